"""baseline-overridden: a baseline admin policy the namespaces' own NetworkPolicies always decide first."""

from __future__ import annotations

from .support import calico_policy, cluster_policy, k8s_policy, lint, shop

RULE = "baseline-overridden"
BASELINE = cluster_policy("default", 10, "Baseline", ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}])
ISOLATE_ALL = k8s_policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})
ISOLATE_DB = k8s_policy("db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"]})


def test_hit():
    (finding,) = lint(shop(BASELINE, ISOLATE_ALL), RULE)
    assert finding.severity == "warning"
    assert "default's ingress rules are never reached for any of its pods (shop/db, shop/web)" in finding.message
    assert "shop/deny-all isolate(s) them for ingress" in finding.message


def test_hit_on_some_pods_is_info():
    (finding,) = lint(shop(BASELINE, ISOLATE_DB), RULE)
    assert finding.severity == "info"
    assert "1 of its 2 pods (shop/db)" in finding.message


def test_miss():
    assert lint(shop(BASELINE), RULE) == []
    egress_only = k8s_policy("egress", {"podSelector": {}, "policyTypes": ["Egress"]})
    assert lint(shop(BASELINE, egress_only), RULE) == []
    # a Calico policy in the default tier that passes: the baseline is reached
    passing = calico_policy("pass", {"selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Pass"}]})
    assert lint(shop(BASELINE, passing), RULE) == []
