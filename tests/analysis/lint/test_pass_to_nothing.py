"""pass-to-nothing: a Pass with no later tier to pass to."""

from __future__ import annotations

from .support import cluster_policy, k8s_policy, lint, shop

RULE = "pass-to-nothing"
PASS_ALL = cluster_policy("delegate", 10, ingress=[{"name": "to-owners", "action": "Pass", "from": [{"namespaces": {}}]}])


def test_hit():
    (finding,) = lint(shop(PASS_ALL), RULE)
    assert "no later tier has a policy for shop/db, shop/web" in finding.message
    assert "acts as an Accept" in finding.message


def test_hit_names_only_the_pods_nothing_catches():
    web = k8s_policy("web", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]})
    (finding,) = lint(shop(PASS_ALL, web), RULE)
    assert "for shop/db:" in finding.message


def test_miss():
    everyone = k8s_policy("all", {"podSelector": {}, "policyTypes": ["Ingress"]})
    assert lint(shop(PASS_ALL, everyone), RULE) == []
    baseline = cluster_policy("default", 10, "Baseline", ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}])
    assert lint(shop(PASS_ALL, baseline), RULE) == []
