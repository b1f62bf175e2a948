"""nodeport-source-range: an ingress ipBlock for clients of a NodePort whose connections arrive masqueraded."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.address_blocks import peer_blocks
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import INGRESS, ServiceRef

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "nodeport-source-range"
SEVERITY = WARNING
DOC = ("With `externalTrafficPolicy: Cluster` (the default), kube-proxy masquerades a NodePort or LoadBalancer "
       "connection that it sends to a backend on another node: the backend's ingress policy sees the entry "
       "node's address, not the client's. An ingress ipBlock or `nets` that admits a client range on such a "
       "Service's backend, and none of the nodes' addresses (Node objects; without them, private ranges), admits only the connections that "
       "happen to enter on the backend's own node. Set `externalTrafficPolicy: Local` to keep the client's "
       "address, or filter the clients before DNAT (a Calico preDNAT policy on the nodes' host endpoints).")
OPTIONS: dict = {}
EXPOSED = ("NodePort", "LoadBalancer")
#: Where node addresses are taken to be when the input has no Node objects (RFC 1918, RFC 4193).
PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Ingress blocks on backends of NodePort/LoadBalancer Services with externalTrafficPolicy Cluster."""
    exposed = {}
    for service in ctx.cluster.services:
        if service.type in EXPOSED and service.external_traffic_policy == "Cluster":
            for endpoint in ctx.matrix.service_backends(ServiceRef(service.namespace, service.name)):
                exposed.setdefault(endpoint.id, service)
    if not exposed:
        return
    nodes = [ipaddress.ip_network(a) for node in ctx.cluster.nodes.values() for a in node.addresses] or PRIVATE
    for block in peer_blocks(ctx):
        if block.direction != INGRESS or any(n.version == block.network.version and n.overlaps(block.network)
                                             for n in nodes):
            continue
        services = {exposed[e.id].id: exposed[e.id] for e in ctx.selected(block.policy) if e.id in exposed}
        if not services:
            continue
        service = next(iter(services.values()))
        yield finding_at(
            ID, block.raw, block.path,
            f"{block.policy.id} {block.rule}: {block.network} admits clients of Service {service.id} "
            f"({service.type}, externalTrafficPolicy Cluster), but connections that kube-proxy sends across nodes "
            "arrive from the entry node's address, which this block does not hold",
            "set externalTrafficPolicy: Local on the Service to keep the client address, or restrict the clients "
            "with a Calico preDNAT policy on the nodes")
