"""A packet between a pod and anything off the pod's node crosses the host endpoints on the way: the
sending pod's node's to-hep-forward (to a pod on another node or an outside address) and the receiving
pod's node's raw, preDNAT and from-hep-forward hooks (from an outside address or a pod on another node),
ahead of the destination's ingress (docs/semantics.md#pod-entry).

Sources: `felix/rules/static.go` StaticRawPreroutingChain and StaticManglePreroutingChain dispatch every
packet arriving on a host endpoint's interface, whatever its destination; StaticFilterForwardChains
sends every forwarded packet through from-hep-forward (unless the accept mark is set), the workload
dispatch chains (which return on allow) and then to-hep-forward.
"""

from __future__ import annotations

from dataclasses import replace

from netpolicy.engine.flow import EPHEMERAL, FlowEvaluator, FlowResult
from netpolicy.engine.host_path import Crossing, crossing_side, forwarded
from netpolicy.engine.node_flow import evaluate_node_flow, governing_node, own_node_flow
from netpolicy.engine.packet import Packet, Peer
from netpolicy.engine.star_hooks import from_pod, pod_node, to_pod
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.protocols import PORT_PROTOCOLS


def entering_pod(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                 src_port: int | None = None) -> FlowResult:
    """src → dst as policy judges it, with the host endpoint hooks its packet crosses between a pod and
    anything off the pod's node (as is when on it, when a node is unknown or no host endpoint is crossed);
    a pod's flow with another host endpoint of its node is the node's own (`own_node_flow`)."""
    own = own_node_flow(evaluator, src, dst, protocol, port, src_port)
    if own is not None:
        return own
    result = evaluator.evaluate(src, dst, protocol, port, src_port)
    crossings = pod_crossings(evaluator, src, dst, protocol, port, src_port)
    return behind(result, crossings) if crossings else result


def query_flow(evaluator: FlowEvaluator, src: str | Endpoint, dst: str | Endpoint, protocol: int,
               port: int | None, src_port: int | None = None) -> FlowResult:
    """src → dst as `query` judges two endpoints or addresses (what a matrix cell says): a node's
    governing host endpoint as its node (node_flow), anything else through the hooks of `entering_pod`."""
    if evaluator.ctx.host_endpoints:
        refs = [ref if not isinstance(ref, Endpoint) else ref.id if ref.policed else str(ref.ips[0])
                for ref in (src, dst)]
        cluster = evaluator.ctx.cluster
        if any(governing_node(cluster, ref) is not None for ref in refs):
            return evaluate_node_flow(evaluator, *refs, protocol, port, src_port)
    return entering_pod(evaluator, src, dst, protocol, port, src_port)


def crossed(evaluator: FlowEvaluator, src: str, dst: str) -> tuple[Endpoint | None, Endpoint | None]:
    """The host endpoints src → dst crosses, the sending node's and the receiving node's: a pod's packet
    to a pod on another known node or to an outside address leaves through its node's to-hep-forward; a
    packet to a pod from an outside address or a pod on another known node enters the pod's node.
    (None, None) when none is (a host endpoint's address is its node: node_flow's path)."""
    ctx = evaluator.ctx
    if not ctx.host_endpoints:
        return None, None
    ends = []
    for peer in (evaluator.peer(src), evaluator.peer(dst)):
        endpoint = peer.endpoint if peer.policed else None
        if endpoint is not None and endpoint.kind == HOST_ENDPOINT:
            return None, None
        node = ctx.cluster.node_of(endpoint) if endpoint is not None else None
        if endpoint is not None and node is None:
            return None, None  # a pod whose node is unknown
        ends.append(node)
    client_node, pod_node = ends
    if client_node == pod_node:
        return None, None  # the same node, or two outside addresses
    return tuple(ctx.host_endpoints.get(n) if n else None for n in ends)


def pod_crossings(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                  src_port: int | None, translated: bool = False, sent: Packet | None = None) -> list[Crossing]:
    """The host endpoint crossings of src → dst, in order: the `*` endpoints' hooks on the pods' interfaces
    (star_hooks), and the hooks between a pod and anything off its node (`translated`: a Service leg, DNATed
    on the pod's node from the packet as `sent`)."""
    if not evaluator.ctx.host_endpoints:
        return []
    sender, receiver = crossed(evaluator, src, dst)
    source, target = evaluator.peer(src), evaluator.peer(dst)
    if src_port is None and protocol in PORT_PROTOCOLS:
        src_port = EPHEMERAL[0]
    packet = Packet(source, target, protocol, port, src_port)
    between = [] if sender is None and receiver is None else forwarded(evaluator.ctx, sender, receiver, packet,
                                                                      translated)
    ctx = evaluator.ctx
    if target.endpoint is not None and target.endpoint.kind == HOST_ENDPOINT:  # one governing no node
        return [*from_pod(ctx, packet, sent, to_host=_on_node(ctx, target.endpoint, source)), *between]
    if source.endpoint is not None and source.endpoint.kind == HOST_ENDPOINT:
        return [*between, *([] if _on_node(ctx, source.endpoint, target) else to_pod(ctx, packet))]
    return [*from_pod(ctx, packet, sent), *between, *to_pod(ctx, packet)]


def _on_node(ctx, hep: Endpoint, pod: Peer) -> bool:
    """Whether a host endpoint governing no node is on the pod's node: its traffic is the node's own (a pod's
    packet to it goes to the node itself; the node's to its pods is never forwarded)."""
    return hep.node is not None and hep.node == pod_node(ctx, pod)


def behind(result: FlowResult, crossings: list[Crossing]) -> FlowResult:
    """The result with host endpoint crossings ahead of the destination's ingress."""
    ingress = crossing_side(crossings, result.ingress)
    if ingress.verdict == result.ingress.verdict:
        return replace(result, ingress=ingress)
    return replace(result, ingress=ingress, verdict="deny", allowed_src_ports=None)
