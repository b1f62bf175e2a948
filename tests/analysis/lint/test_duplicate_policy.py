"""duplicate-policy: two policies that compile to the same thing."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "duplicate-policy"
SPEC = {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": 5432}]}]}


@pytest.mark.parametrize("copy", [
    k8s_policy("copy", SPEC),
    k8s_policy("copy", {"podSelector": {"matchLabels": {"app": "db"}},                 # TCP written out
                        "policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": "TCP", "port": 5432}]}]}),
])
def test_hit(copy):
    findings = lint(shop(k8s_policy("original", SPEC), copy), RULE)
    assert [f.object for f in findings] == ["shop/NetworkPolicy/copy"]
    assert "shop/original" in findings[0].message


@pytest.mark.parametrize("other", [
    k8s_policy("other", {**SPEC, "ingress": [{"ports": [{"port": 5433}]}]}),
    k8s_policy("other", SPEC, namespace="elsewhere"),
    calico_policy("other", {"selector": "app == 'db'", "ingress": [{"action": "Allow"}]}),
])
def test_miss(other):
    assert lint(shop(k8s_policy("original", SPEC), other), RULE) == []
