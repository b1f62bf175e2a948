"""admin-priority-tie: admin policies of one tier with the same priority."""

from __future__ import annotations

import pytest

from netpolicy.options import Options

from .support import cluster_policy, lint, shop

RULE = "admin-priority-tie"
DENY_WEB = [{"action": "Deny", "from": [{"namespaces": {}}]}]
ACCEPT = [{"action": "Accept", "from": [{"namespaces": {}}]}]


def test_hit():
    (finding,) = lint(shop(cluster_policy("b", 5, ingress=DENY_WEB), cluster_policy("a", 5, ingress=ACCEPT)), RULE)
    assert "a and b both have priority 5 in tier kube-admin" in finding.message
    assert "Calico runs a first" in finding.message


def test_hit_for_admin_network_policies_on_calico_3_31():
    anp = [{"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": n},
            "spec": {"priority": 5, "subject": {"namespaces": {}}, "ingress": [{"action": a, "from": [{"namespaces": {}}]}]}}
           for n, a in (("x", "Deny"), ("y", "Allow"))]
    (finding,) = lint(shop(*anp), RULE, Options(calico_version=(3, 31)))
    assert "tier adminnetworkpolicy" in finding.message


@pytest.mark.parametrize("documents", [
    shop(cluster_policy("a", 5, ingress=DENY_WEB), cluster_policy("b", 6, ingress=ACCEPT)),          # priorities differ
    shop(cluster_policy("a", 5, ingress=ACCEPT), cluster_policy("b", 5, ingress=ACCEPT)),            # Accept only
    shop(cluster_policy("a", 5, ingress=DENY_WEB), cluster_policy("b", 5, "Baseline", ingress=ACCEPT)),  # two tiers
    shop(cluster_policy("a", 5, ingress=DENY_WEB), cluster_policy("b", 5, egress=[{"action": "Deny", "to": [{"namespaces": {}}]}])),
])
def test_miss(documents):
    assert lint(documents, RULE) == []
