"""admin-unenforced-peer: rules Calico's converter fails closed (nodes, domainNames) or widens (v1alpha1 named ports)."""

from __future__ import annotations

import pytest

from netpolicy.options import Options

from .support import cluster_policy, lint, shop

RULE = "admin-unenforced-peer"
NODES = {"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}


@pytest.mark.parametrize("action, says", [
    ("Deny", "replaces this Deny rule with a bare Deny: every egress packet of its 2 pod(s)"),
    ("Pass", "replaces this Pass rule with a bare Deny"),
    ("Accept", "drops this Accept rule"),
])
def test_hit(action, says):
    policy = cluster_policy("nodes", 1, egress=[{"action": action, "to": [{"namespaces": {}}, NODES]}])
    (finding,) = lint(shop(policy), RULE)
    assert "Calico does not implement nodes peers" in finding.message and says in finding.message


def test_hit_on_a_domain_name_peer():
    policy = cluster_policy("dns", 1, egress=[{"action": "Accept", "to": [{"domainNames": ["example.com"]}]}])
    (finding,) = lint(shop(policy), RULE)
    assert "domainNames peers" in finding.message


def test_hit_on_a_v1alpha1_named_port():
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "n"},
           "spec": {"priority": 1, "subject": {"namespaces": {}},
                    "ingress": [{"action": "Allow", "from": [{"namespaces": {}}], "ports": [{"namedPort": "http"}]}]}}
    (finding,) = lint(shop(anp), RULE, Options(calico_version=(3, 31)))


@pytest.mark.parametrize("rules", [
    [{"action": "Deny", "to": [{"namespaces": {}}, {"networks": ["10.0.0.0/8"]}]}],
    [{"action": "Accept", "to": [{"namespaces": {}}], "protocols": [{"destinationNamedPort": "http"}]}],
])
def test_miss(rules):
    assert lint(shop(cluster_policy("fine", 1, egress=rules)), RULE) == []
