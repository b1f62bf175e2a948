"""unreachable-service: Services whose backends admit no client."""

from __future__ import annotations

import pytest

from .support import k8s_policy, lint, service, shop

RULE = "unreachable-service"
DB_SERVICE = service("db", "shop", {"app": "db"}, 5432, 5432)
DB = {"matchLabels": {"app": "db"}}


@pytest.mark.parametrize("policy", [
    k8s_policy("p", {"podSelector": DB, "policyTypes": ["Ingress"]}),
    k8s_policy("p", {"podSelector": DB, "ingress": [{"ports": [{"port": 5433}]}]}),
])
def test_hit(policy):
    findings = lint(shop(DB_SERVICE, policy), RULE)
    assert [f.object for f in findings] == ["shop/Service/db"]


@pytest.mark.parametrize("documents", [
    shop(DB_SERVICE),
    shop(DB_SERVICE, k8s_policy("p", {"podSelector": DB, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}]})),
    shop(service("ghost", "shop", {"app": "ghost"}, 80, 80),
         k8s_policy("p", {"podSelector": {}, "policyTypes": ["Ingress"]})),       # no backends in the input
])
def test_miss(documents):
    assert lint(documents, RULE) == []
