"""redundant-rule: rules whose every flow earlier rules decide the same way."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "redundant-rule"
WEB = {"podSelector": {"matchLabels": {"app": "web"}}}


def _db(*rules: dict) -> dict:
    return k8s_policy("db", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": list(rules)})


@pytest.mark.parametrize("documents, redundant", [
    (shop(_db({"from": [WEB]}, {"from": [WEB], "ports": [{"port": 5432}]})), "shop/db ingress[1]"),
    (shop(_db({}, {"from": [WEB]})), "shop/db ingress[1]"),
    (shop(calico_policy("c", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "protocol": "TCP"}, {"action": "Allow", "protocol": "TCP", "destination": {"ports": [5432]}}]})),
     "shop/c ingress[1]"),
])
def test_hit(documents, redundant):
    findings = lint(documents, RULE)
    assert [f.message.split(" never")[0] for f in findings] == [redundant]
    assert findings[0].severity == "info"


@pytest.mark.parametrize("documents", [
    shop(_db({"from": [WEB], "ports": [{"port": 5432}]}, {"from": [WEB], "ports": [{"port": 9187}]})),
    shop(_db({"from": [WEB], "ports": [{"port": 5432}]}, {"from": [WEB]})),       # the second one is wider
])
def test_miss(documents):
    assert lint(documents, RULE) == []
