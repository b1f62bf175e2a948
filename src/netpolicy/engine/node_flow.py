"""Flows with a node at one end, as Felix treats them: host → its own pods is never policed; a pod →
its own node passes the pod's egress, then DefaultEndpointToHostAction; across nodes the node is an
address (its InternalIP), judged by the pod's policy and the node's host endpoint hooks. A hostNetwork
pod is its node.

Sources: `felix/rules/static.go` filterOutputChain ("We don't currently police host -> endpoint"),
filterWorkloadToHostChain and `config_params.go` DefaultEndpointToHostAction (docs/semantics.md#nodes).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from netpolicy.engine.flow import (
    EPHEMERAL,
    FlowEvaluator,
    FlowResult,
    SideResult,
    TraceStep,
    side,
    with_sides,
)
from netpolicy.engine.host_hooks import Hop, note
from netpolicy.engine.host_path import (
    Crossing,
    arrive,
    crossing_side,
    depart,
    forwarded,
    host_side,
    node_host_endpoint,
)
from netpolicy.engine.nat_outgoing import masquerade_note, masquerades
from netpolicy.engine.packet import Packet, Peer
from netpolicy.engine.plan import ACCEPT, DROP, NEXT
from netpolicy.engine.star_hooks import from_pod, to_pod
from netpolicy.errors import InputError
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint, HostNetworkPod
from netpolicy.model.ir import EGRESS

NODE_PREFIX = "node/"
TO_HOST_ACTIONS = ("ACCEPT", "DROP", "RETURN")


def node_named(cluster: Cluster, text: str) -> str | None:
    """The node `node/<name>`, a node address or a hostNetwork pod (its node) names, else None."""
    if text.startswith(NODE_PREFIX):
        name = text[len(NODE_PREFIX):]
        if name not in cluster.node_names:
            raise InputError(f"{text!r} names no node", expected="a Node object's name or a pod's spec.nodeName")
        return name
    for name, addresses in cluster.node_addresses.items():
        if any(str(a) == text for a in addresses):
            return name
    governed = governing_node(cluster, text)
    if governed is not None:
        return governed
    pod = host_network_pod(cluster, text)
    if pod is None:
        return None
    node = cluster.node_of(pod)
    if node is None:
        where = "runs on many nodes" if pod.kind != "Pod" else "has no spec.nodeName"
        raise InputError(f"{text!r} is a hostNetwork {pod.kind}: its traffic is its node's, and it {where}",
                         suggestion="ask with node/<name>")
    return node


def governing_node(cluster: Cluster, text: str) -> str | None:
    """The node whose governing host endpoint `text` names (its id or one of its addresses), else None:
    that host endpoint is its node (docs/semantics.md#nodes)."""
    found = cluster.endpoint(text)
    if found is None:
        found = next((e for e in cluster.endpoints if e.kind == HOST_ENDPOINT and any(str(a) == text for a in e.ips)),
                     None)
    if found is None or found.kind != HOST_ENDPOINT or not found.node:
        return None
    return found.node if node_host_endpoint(cluster, found.node) is found else None


def host_network_pod(cluster: Cluster, text: str) -> HostNetworkPod | None:
    """The hostNetwork pod or workload with this id (they are no endpoints: their traffic is their node's)."""
    return next((p for p in cluster.host_network_pods if p.id == text), None)


def node_address(cluster: Cluster, name: str, family: int | None = None) -> str:
    """Where the node's own traffic comes from and goes to: the first of `Cluster.node_addresses` (its
    governing host endpoint's first expectedIP, else its Node object's first address), of `family` if it has one."""
    addresses = cluster.node_addresses.get(name)
    if not addresses:
        raise InputError(f"node {name} has no known address",
                         expected="its Node object with status.addresses, or a host endpoint with expectedIPs")
    return str(next((a for a in addresses if a.version == family), addresses[0]))


def family_of(text: str | None) -> int | None:
    """The address family of `text` when it is an IP address, else None."""
    try:
        return ipaddress.ip_address(text).version if text else None
    except ValueError:
        return None


def _end_address(cluster: Cluster, text: str, name: str, other: str) -> str:
    """The address of a node end: the node's first address of the family `text` names (one of its addresses),
    else of the other end's family (an address), else its first."""
    return node_address(cluster, name, family_of(text) or family_of(other))


def evaluate_node_flow(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                       src_port: int | None) -> FlowResult | None:
    """The flow when one end is a node or a hostNetwork pod (None when neither is)."""
    cluster = evaluator.ctx.cluster
    src_node, dst_node = node_named(cluster, src), node_named(cluster, dst)
    if src_node is None and dst_node is None:
        return None
    result = _node_flow(evaluator, src, dst, src_node, dst_node, protocol, port, src_port)
    on_host = [(ref, pod) for ref in (src, dst) if (pod := host_network_pod(cluster, ref)) is not None]
    if not on_host:
        return result
    notes = tuple(f"{ref} is a hostNetwork {pod.kind}: no workload endpoint, so no NetworkPolicy applies to it; "
                  f"its traffic is node {cluster.node_of(pod)}'s" for ref, pod in on_host)
    ends = {name: ref for name, ref in (("src", src), ("dst", dst)) if host_network_pod(cluster, ref)}
    return replace(result, notes=notes + result.notes, **ends)


def _node_flow(evaluator: FlowEvaluator, src: str, dst: str, src_node: str | None, dst_node: str | None,
               protocol: int, port: int | None, src_port: int | None) -> FlowResult:
    cluster = evaluator.ctx.cluster
    if src_node is not None and src_node == dst_node:
        return _to_itself(evaluator, src, dst, src_node, protocol, port, src_port)
    if src_node is not None:
        pod = cluster.endpoint(dst)
        if pod is not None and cluster.node_of(pod) == src_node:
            return _host_to_local_pod(src, pod, src_node, protocol, port, src_port)
        src = _end_address(cluster, src, src_node, dst)
    if dst_node is not None:
        pod = cluster.endpoint(src)
        if pod is not None and cluster.node_of(pod) == dst_node:
            return pod_to_own_host(evaluator, pod, dst, dst_node, protocol, port, src_port)
        dst = _end_address(cluster, dst, dst_node, src)
    result = evaluator.evaluate(src, dst, protocol, port, src_port)
    return _through_host_endpoints(evaluator, result, src, dst, src_node, dst_node)


def _to_itself(evaluator: FlowEvaluator, src: str, dst: str, node: str, protocol: int, port: int | None,
               src_port: int | None) -> FlowResult:
    """A node's traffic to itself (its own address, 127.0.0.1): out and in by `lo`, which only its `*` host
    endpoint governs (the dispatch's default): filter OUTPUT's normal egress policy, then mangle PREROUTING's
    preDNAT and filter INPUT's normal ingress policy, failsafe ports first (`static.go` filterOutputChain,
    StaticManglePreroutingChain, filterInputChain; raw dispatches no `*` endpoint). Without one: not policed."""
    ctx = evaluator.ctx
    star = ctx.cluster.star_host_endpoints.get(node)
    if star is None:
        step = SideResult(ACCEPT, (TraceStep(None, None, None, None, "Default",
                                             f"both ends are node {node}: its traffic to itself does not "
                                             "cross a policed interface"),))
        return FlowResult(src, dst, protocol, port, src_port, ACCEPT, step, step)
    address = evaluator.peer(_end_address(ctx.cluster, dst, node, src))
    packet = Packet(address, address, protocol, port, src_port if src_port is not None else EPHEMERAL[0])
    why = note(f"both ends are node {node}: out and in by lo, which only {star.id} (interfaceName \"*\") governs "
               "(the default of Felix's dispatch chains)")
    egress = crossing_side([Crossing((Hop(NEXT, (why,)),), ACCEPT), depart(ctx, star, packet, from_host=True)])
    ingress = crossing_side([arrive(ctx, star, packet, to_host=True)])
    verdict = ACCEPT if egress.verdict == ingress.verdict == ACCEPT else DROP
    return FlowResult(src, dst, protocol, port, src_port, verdict, egress, ingress)


def _through_host_endpoints(evaluator: FlowEvaluator, result: FlowResult, src: str, dst: str,
                            src_node: str | None, dst_node: str | None) -> FlowResult:
    """The flow with the node ends judged by their host endpoints' hooks (a node without one is not
    policed): the sending node's raw OUTPUT and filter OUTPUT, the receiving node's raw, preDNAT and
    filter INPUT, and for a doNotTrack-accepted packet its reply (docs/semantics.md#host-endpoint-hooks)."""
    ctx, cluster = evaluator.ctx, evaluator.ctx.cluster
    packet = Packet(evaluator.peer(src), evaluator.peer(dst), result.protocol, result.port,
                    result.src_port if result.src_port is not None else EPHEMERAL[0])
    egress, ingress = result.egress, result.ingress
    sender = node_host_endpoint(cluster, src_node) if src_node else None
    if sender is not None:
        egress = host_side(ctx, sender, packet, arrived=False)
    receiver = node_host_endpoint(cluster, dst_node) if dst_node else None
    if receiver is not None:
        masqueraded = _masqueraded(evaluator, packet) if src_node is None else None
        ingress = host_side(ctx, receiver, masqueraded[0] if masqueraded else packet, arrived=True)
        if masqueraded:
            ingress = SideResult(ingress.verdict, (masqueraded[1], *ingress.trace))
    pod_hooks = _pod_node_crossings(evaluator, packet, src_node, dst_node)
    if pod_hooks:
        ingress = crossing_side(pod_hooks, ingress)
    if sender is None and receiver is None and not pod_hooks:
        return result
    return with_sides(result, egress, ingress)


def _masqueraded(evaluator: FlowEvaluator, packet: Packet) -> tuple[Packet, TraceStep] | None:
    """A pod's packet to another node as that node sees it when natOutgoing masquerades it to the pod's
    node's address (`nat_outgoing.masquerades`), with the trace line; None when it is not."""
    cluster, pod = evaluator.ctx.cluster, packet.src.endpoint
    if pod is None or pod.kind == HOST_ENDPOINT or not pod.policed or not cluster.ip_pools:
        return None
    node = cluster.node_of(pod)
    if node is None or not cluster.node_addresses.get(node) or not masquerades(
            cluster, packet.src.address, packet.dst.address, evaluator.ctx.options.nat_outgoing_exclusions):
        return None
    address = node_address(cluster, node, packet.family)
    step = TraceStep(None, None, None, None, "Default", masquerade_note(pod.id, node, address))
    return replace(packet, src=evaluator.peer(address)), step


def _pod_node_crossings(evaluator: FlowEvaluator, packet: Packet, src_node: str | None,
                        dst_node: str | None) -> list[Crossing]:
    """The hooks of the pod's node at the other end of a node's flow (the pod off that node, on a known
    node): a node's packet to it enters through its raw, preDNAT and from-hep-forward hooks (an untracked
    one's reply leaves through the pod's egress and to-hep-forward); its packet to a node leaves through
    its to-hep-forward (`static.go` StaticRawPreroutingChain, StaticManglePreroutingChain,
    StaticFilterForwardChains: to-hep-forward for every forwarded packet)."""
    ctx = evaluator.ctx
    pod = packet.dst if src_node is not None else packet.src
    endpoint = pod.endpoint if pod.policed else None
    if endpoint is None or endpoint.kind == HOST_ENDPOINT or (src_node is not None and dst_node is not None):
        return []
    node = ctx.cluster.node_of(endpoint)
    hep = node_host_endpoint(ctx.cluster, node) if node else None
    if hep is None:
        return []
    if src_node is None:
        return [*from_pod(ctx, packet), *forwarded(ctx, hep, None, packet)]
    return [*forwarded(ctx, None, hep, packet), *to_pod(ctx, packet)]


def _host_to_local_pod(src: str, pod: Endpoint, node: str, protocol: int, port: int | None,
                       src_port: int | None) -> FlowResult:
    egress = SideResult("allow", (TraceStep(None, None, None, None, "NoPolicy",
                                            f"{src} is {node}, the pod's own node: host traffic"),))
    ingress = SideResult("allow", (TraceStep(None, None, None, None, "Default",
                                             f"traffic from a node to its own pods is never policed (Felix's filter "
                                             f"OUTPUT returns for workload interfaces): kubelet probes reach "
                                             f"{pod.id} whatever its ingress policy"),))
    return FlowResult(src, pod.id, protocol, port, src_port, "allow", egress, ingress)


def own_node_flow(evaluator: FlowEvaluator, src: str | Endpoint, dst: str | Endpoint, protocol: int,
                  port: int | None, src_port: int | None) -> FlowResult | None:
    """A pod's flow with a host endpoint of its own node governing none (eth1 beside eth0): the node's own
    traffic, judged as with the governing one (filterInputChain sends a workload's packet to the
    workload-to-host chain, filterOutputChain returns for workload interfaces); None for anything else."""
    ctx = evaluator.ctx
    if not ctx.host_endpoints:
        return None
    source, target = evaluator.peer(src), evaluator.peer(dst)
    ends = [p.endpoint if p.policed else None for p in (source, target)]
    if any(e is None for e in ends) or [e.kind == HOST_ENDPOINT for e in ends].count(True) != 1:
        return None
    hep, pod = ends if ends[0].kind == HOST_ENDPOINT else ends[::-1]
    if hep.node is None or hep.node != ctx.cluster.node_of(pod) or node_host_endpoint(ctx.cluster, hep.node) is hep:
        return None
    refs = [ref if isinstance(ref, str) else ref.id for ref in (src, dst)]
    if hep is ends[0]:
        return _host_to_local_pod(refs[0], pod, hep.node, protocol, port, src_port)
    return replace(pod_to_own_host(evaluator, pod, refs[1], hep.node, protocol, port, src_port, at=target),
                   src=refs[0])


def pod_to_own_host(evaluator: FlowEvaluator, pod: Endpoint, dst: str, node: str, protocol: int,
                    port: int | None, src_port: int | None, original: Packet | None = None,
                    at: Peer | None = None) -> FlowResult:
    """A pod's packet to its own node (`at`: one of its addresses, else the one of `dst`'s family): a `*`
    endpoint's preDNAT policy on the packet as sent (`original`: a Service address before kube-proxy's DNAT),
    the pod's egress, then DefaultEndpointToHostAction."""
    cluster = evaluator.ctx.cluster
    action = evaluator.ctx.options.endpoint_to_host_action
    target, source = at or evaluator.peer(_end_address(cluster, dst, node, "")), evaluator.peer(pod)
    packet = Packet(source, target, protocol, port, src_port)
    sent = replace(packet, second=EPHEMERAL[0]) if src_port is None and packet.has_ports else packet
    egress = crossing_side(from_pod(evaluator.ctx, sent, original, to_host=True),
                           side(evaluator.ctx, source, EGRESS, packet))
    verdict = "deny" if action == "DROP" else "allow"
    why = {"ACCEPT": "accepts it (what calico.yaml and the operator set)",
           "DROP": "drops it (Felix's own default)",
           "RETURN": "returns it to the host's INPUT chain, where no host endpoint policy applies to it"}[action]
    ingress = SideResult(verdict, (TraceStep(None, None, None, None, "Default",
                                             f"pod → its own node {node}: after the pod's egress, "
                                             f"DefaultEndpointToHostAction {action} {why}"),))
    overall = "allow" if egress.verdict == "allow" and verdict == "allow" else "deny"
    return FlowResult(pod.id, dst, protocol, port, src_port, overall, egress, ingress)
