"""nodeport-source-range: externalTrafficPolicy Cluster masquerades cross-node NodePort traffic (kube-proxy
"If we are using non-local endpoints we need to masquerade, in case we cross nodes")."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "nodeport-source-range"


def node_port_service(policy: str = "Cluster", kind: str = "NodePort") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": kind, "selector": {"app": "web"}, "externalTrafficPolicy": policy,
                     "ports": [{"port": 80, "targetPort": 8080, "nodePort": 31000}]}}


NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}}
OFFICE = k8s_policy("office", {"podSelector": {"matchLabels": {"app": "web"}},
                               "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]})


@pytest.mark.parametrize("documents", [
    [node_port_service(), OFFICE],
    [node_port_service(kind="LoadBalancer"), OFFICE],
    [node_port_service(), NODE, OFFICE],
    [node_port_service(), calico_policy("c", {"selector": "app == 'web'", "ingress": [
        {"action": "Allow", "source": {"nets": ["203.0.113.0/24"]}}]})],
])
def test_hit(documents):
    (finding,) = lint(shop(*documents), RULE)
    assert "203.0.113.0/24" in finding.message and "externalTrafficPolicy Cluster" in finding.message


@pytest.mark.parametrize("documents", [
    [node_port_service("Local"), OFFICE],                      # the client address is kept
    [node_port_service(kind="ClusterIP"), OFFICE],             # not exposed on nodes
    [node_port_service(), NODE, k8s_policy("office", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "172.16.0.0/12"}}]}]})],  # admits the nodes too
    [node_port_service(), k8s_policy("office", {"podSelector": {"matchLabels": {"app": "db"}},
                                                "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]})],
])
def test_miss(documents):
    assert lint(shop(*documents), RULE) == []


def test_without_nodes_a_block_over_private_ranges_may_hold_them():
    """No Node objects: node addresses are taken to be private, so 0.0.0.0/0 or 10.0.0.0/8 may hold them."""
    wide = k8s_policy("office", {"podSelector": {"matchLabels": {"app": "web"}},
                                 "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    assert lint(shop(node_port_service(), wide), RULE) == []
