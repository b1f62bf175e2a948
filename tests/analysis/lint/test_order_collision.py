"""order-collision: equal orders where Calico's name tie-break decides."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "order-collision"
DENY = [{"action": "Deny", "protocol": "TCP", "destination": {"ports": [22]}}]
ALLOW = [{"action": "Allow"}]


def _calico(name: str, order: float, rules: list, selector: str = "app == 'db'") -> dict:
    return calico_policy(name, {"selector": selector, "order": order, "ingress": rules})


K8S_DB = k8s_policy("k8s-db", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{}]})


@pytest.mark.parametrize("documents, says", [
    (shop(_calico("a", 10, ALLOW), _calico("b", 10, DENY)), "shop/a and shop/b both have order 10"),
    (shop(_calico("zz", 1000, DENY), K8S_DB), "the order of every Kubernetes NetworkPolicy"),
])
def test_hit(documents, says):
    findings = lint(documents, RULE)
    assert len(findings) == 1
    assert says in findings[0].message


def test_says_when_older_calico_orders_them_the_other_way():
    # 3.32+ compares "aa/shop/NetworkPolicy" with "k8s-db/shop/KubernetesNetworkPolicy", 3.31
    # "shop/default.aa" with "shop/knp.default.k8s-db": aa goes first either way.
    findings = lint(shop(_calico("aa", 1000, DENY), K8S_DB), RULE)
    assert "other way" not in findings[0].message
    # "m/…" sorts after "k8s-db/…", but "shop/default.m" before "shop/knp.default.k8s-db".
    flipped = lint(shop(_calico("m", 1000, DENY), K8S_DB), RULE)
    assert "Calico 3.31 orders them the other way" in flipped[0].message


@pytest.mark.parametrize("documents", [
    shop(_calico("a", 10, ALLOW), _calico("b", 20, DENY)),
    shop(_calico("a", 10, ALLOW), _calico("b", 10, ALLOW)),                      # allow-only: order is moot
    shop(_calico("a", 10, DENY), _calico("b", 10, ALLOW, "app == 'web'")),        # no common endpoint
    shop(_calico("zz", 999, DENY), K8S_DB),
])
def test_miss(documents):
    assert lint(documents, RULE) == []
