"""ipblock-on-service-address: an egress ipBlock or `nets` on a Service's virtual address, which policy never sees."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.address_blocks import peer_blocks
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import EGRESS

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "ipblock-on-service-address"
SEVERITY = WARNING
DOC = ("kube-proxy rewrites a Service's ClusterIP (and LoadBalancer and external IPs) to a backend pod before "
       "any policy sees the packet. An egress ipBlock or `nets` that covers such an address and no endpoint "
       "therefore matches nothing a client sends to the Service. Allow the backend pods (a pod and namespace "
       "selector, or Calico's `destination.services`) instead.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Egress blocks holding a Service address and no endpoint address."""
    virtual = [(ipaddress.ip_address(a), s.id, kind) for s in ctx.cluster.services
               for kind, addresses in (("ClusterIP", s.cluster_ips), ("LoadBalancer IP", s.load_balancer_ips),
                                       ("external IP", s.external_ips)) for a in addresses]
    if not virtual:
        return
    owned = [ip for e in ctx.ip_owners for ip in e.ips]
    for block in peer_blocks(ctx):
        if block.direction != EGRESS:
            continue
        hits = [(a, sid, kind) for a, sid, kind in virtual if a.version == block.network.version and a in block.network]
        if not hits or any(ip.version == block.network.version and ip in block.network for ip in owned):
            continue
        address, service, kind = hits[0]
        yield finding_at(
            ID, block.raw, block.path,
            f"{block.policy.id} {block.rule}: {block.network} holds {address}, the {kind} of Service {service}, "
            "and no endpoint; kube-proxy rewrites that address to a backend pod before policy, so this block "
            "matches nothing sent to the Service",
            f"allow the backends of {service} (their pod and namespace selector, or a Calico destination.services)")
