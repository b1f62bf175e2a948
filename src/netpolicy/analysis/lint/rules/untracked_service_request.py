"""untracked-service-request: a doNotTrack Allow rule that matches requests to a Service's NodePort,
LoadBalancer IP or external IP (or, for a node's own connections, its ClusterIP): untracked, never DNATed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import ERROR, Finding, finding_at
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, UNTRACKED, Rule
from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "untracked-service-request"
SEVERITY = ERROR
DOC = ("A doNotTrack Allow marks a packet untracked (NOTRACK) before connection tracking, and NAT needs a "
       "conntrack entry: the kernel's nat hooks pass an untracked packet unchanged, so kube-proxy never DNATs "
       "it to a backend. A doNotTrack ingress Allow that matches requests to a Service's NodePort (on a node "
       "address of the host endpoints it applies to), LoadBalancer IP or external IP, or a doNotTrack egress "
       "Allow that matches a node's own requests to a Service's ClusterIP, LoadBalancer IP or external IP, "
       "makes those connections reach no backend, reply rule or not. Found on rules whose destination (port, "
       "nets, notPorts, notNets, protocol) admits such an address and port and whose source ports admit a "
       "client's ephemeral ports; rules with a destination selector or services match are left out.")
OPTIONS: dict = {}

#: Which Service addresses a doNotTrack rule of each direction must not untrack (node ports need the node).
_ENTRIES = {INGRESS: ("NodePort", "LoadBalancer IP", "external IP"),
            EGRESS: ("ClusterIP", "LoadBalancer IP", "external IP")}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """doNotTrack Allow rules matching requests to a Service address that kube-proxy translates."""
    if not ctx.cluster.services:
        return
    from netpolicy.engine.flow import EPHEMERAL

    client = IntervalSet.span(*EPHEMERAL)  # the source ports of a client's request (ip_local_port_range)
    for policy, raw in ctx.calico_policies:
        if policy.hook != UNTRACKED or policy.staged:
            continue
        heps = [e for e in ctx.selected(policy) if e.kind == HOST_ENDPOINT and e.interface != "*"]
        if not heps:
            continue
        for direction in (INGRESS, EGRESS):
            for rule in policy.rules(direction):
                hit = _first_entry(ctx, rule, heps, client) if rule.action == ALLOW else None
                if hit is None:
                    continue
                kind, service, address, port, protocol = hit
                where = f"{address}:{port}" if address else f"port {port}"
                sender = "its requests" if direction == INGRESS else "the node's own requests"
                yield finding_at(
                    ID, raw, rule.path or f"spec.{direction}",
                    f"{policy.id} {rule.name}: matches {sender} to the {kind} {where} ({protocol_name(protocol)}) "
                    f"of Service {service}; doNotTrack leaves them untracked and NAT needs conntrack, so "
                    "kube-proxy never translates them and they reach no backend",
                    f"exclude the {kind} from this rule (notPorts or notNets), or allow it in a preDNAT or "
                    "normal host endpoint policy instead of doNotTrack")


def _first_entry(ctx: LintContext, rule: Rule, heps: list[Endpoint], client: IntervalSet) -> tuple | None:
    """(kind, Service, address, port, protocol) of the first Service entry the rule's destination matches."""
    node_ips = sorted({ip for h in heps for ip in (*h.ips, *ctx.cluster.node_addresses.get(h.node or "", ()))},
                      key=lambda ip: (ip.version, ip))
    for service in ctx.cluster.services:
        for sp in service.ports:
            for kind in _ENTRIES[rule.direction]:
                if kind == "NodePort":
                    if sp.node_port is None:
                        continue
                    found = next((ip for ip in node_ips if _admits(rule, client, sp.protocol, sp.node_port, ip)), None)
                    if found is not None or (not node_ips and _admits(rule, client, sp.protocol, sp.node_port, None)):
                        return kind, service.id, found, sp.node_port, sp.protocol
                    continue
                addresses = {"ClusterIP": service.cluster_ips, "LoadBalancer IP": service.load_balancer_ips,
                             "external IP": service.external_ips}[kind]
                for text in addresses:
                    address = ipaddress.ip_address(text)
                    if _admits(rule, client, sp.protocol, sp.port, address):
                        return kind, service.id, address, sp.port, sp.protocol
    return None


def _admits(rule: Rule, client: IntervalSet, protocol: int, port: int, address) -> bool:
    """Whether the rule admits a request from a `client` source port to `address` (None: any) and `port`."""
    dst, src = rule.destination, rule.source
    if src.ports is not None and not src.ports.numbers & client:
        return False  # a reply rule: requests come from ephemeral ports
    if src.not_ports is not None and client.issubset(src.not_ports.numbers):
        return False
    if (rule.protocol is not None and rule.protocol != protocol) or rule.not_protocol == protocol:
        return False
    if rule.icmp is not None or dst.selector is not None or dst.not_selector is not None or dst.services:
        return False
    if dst.ports is not None and port not in dst.ports.numbers:
        return False
    if dst.not_ports is not None and port in dst.not_ports.numbers:
        return False
    if address is None:
        return not dst.nets
    if rule.ip_version is not None and rule.ip_version != address.version:
        return False
    inside = [n for n in dst.nets if n.version == address.version and address in n]
    if dst.nets and not inside:
        return False
    return not any(n.version == address.version and address in n for n in dst.not_nets)
