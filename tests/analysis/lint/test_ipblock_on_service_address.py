"""ipblock-on-service-address: kube-proxy DNATs a Service address before policy (docs/semantics.md)."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "ipblock-on-service-address"
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.20", "externalIPs": ["198.51.100.5"],
                    "ports": [{"port": 80, "targetPort": 8080}]}}


def egress_block(cidr: str) -> dict:
    return k8s_policy("p", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"ipBlock": {"cidr": cidr}}]}]})


@pytest.mark.parametrize("document, address", [
    (egress_block("10.96.0.20/32"), "10.96.0.20"),
    (egress_block("10.96.0.0/12"), "10.96.0.20"),
    (egress_block("198.51.100.0/24"), "198.51.100.5"),
    (calico_policy("c", {"selector": "app == 'db'", "types": ["Egress"],
                         "egress": [{"action": "Allow", "destination": {"nets": ["10.96.0.20/32"]}}]}), "10.96.0.20"),
])
def test_hit(document, address):
    (finding,) = lint(shop(SERVICE, document), RULE)
    assert address in finding.message and "shop/web" in finding.message


@pytest.mark.parametrize("document", [
    egress_block("0.0.0.0/0"),          # also holds the pods: not only the virtual address
    egress_block("10.97.0.0/16"),       # no Service address
    k8s_policy("p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.96.0.20/32"}}]}]}),  # ingress
])
def test_miss(document):
    assert lint(shop(SERVICE, document), RULE) == []
