"""A packet to a pod from off its node crosses the host endpoints on the way: the sending node's
to-hep-forward (a pod on another node) and the pod's node's raw, preDNAT and from-hep-forward hooks
(an outside address or a pod on another node), ahead of the pod's ingress (docs/semantics.md#pod-entry).

Sources: `felix/rules/static.go` StaticRawPreroutingChain and StaticManglePreroutingChain dispatch every
packet arriving on a host endpoint's interface, whatever its destination; StaticFilterForwardChains
sends forwarded packets through from-hep-forward and to-hep-forward.
"""

from __future__ import annotations

from dataclasses import replace

from netpolicy.engine.flow import EPHEMERAL, FlowEvaluator, FlowResult
from netpolicy.engine.host_path import (
    Crossing,
    arrive,
    crossing_side,
    depart,
    node_host_endpoint,
    untracked_reply,
)
from netpolicy.engine.packet import Packet
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint


def entering_pod(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                 src_port: int | None = None) -> FlowResult:
    """src → dst as policy judges it, with the host endpoint hooks its packet crosses when dst is a pod
    and src is off its node (as is when on it, when either node is unknown or no host endpoint is crossed)."""
    result = evaluator.evaluate(src, dst, protocol, port, src_port)
    crossings = pod_crossings(evaluator, src, dst, protocol, port, src_port)
    return behind(result, crossings) if crossings else result


def crossed(evaluator: FlowEvaluator, src: str, dst: str) -> tuple[Endpoint | None, Endpoint | None]:
    """The host endpoints src → dst crosses when dst is a pod and src is off its node: the sending
    node's (a pod on another node) and the pod's node's; (None, None) when none is."""
    cluster = evaluator.ctx.cluster
    source, target = evaluator.peer(src), evaluator.peer(dst)
    pod = target.endpoint
    if pod is None or not pod.policed or pod.kind == HOST_ENDPOINT or (node := cluster.node_of(pod)) is None:
        return None, None
    client = source.endpoint if source.policed else None
    if client is not None and client.kind == HOST_ENDPOINT:
        return None, None  # a host endpoint's address is its node: node_flow's path
    client_node = cluster.node_of(client) if client is not None else None
    if client is not None and client_node in (None, node):
        return None, None
    return (node_host_endpoint(cluster, client_node) if client_node else None), node_host_endpoint(cluster, node)


def pod_crossings(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                  src_port: int | None) -> list[Crossing]:
    """The host endpoint crossings of src → dst (a pod) from off the pod's node, in order."""
    sender, receiver = crossed(evaluator, src, dst)
    if sender is None and receiver is None:
        return []
    ctx = evaluator.ctx
    source, target = evaluator.peer(src), evaluator.peer(dst)
    packet = Packet(source, target, protocol, port, src_port if src_port is not None else EPHEMERAL[0])
    out: list[Crossing] = []
    if sender is not None:
        out.append(depart(ctx, sender, packet))
    if receiver is not None:
        out.append(arrive(ctx, receiver, packet))
        if out[-1].untracked:
            out.append(untracked_reply(ctx, receiver, packet, arrived=True, to_host=False))
    return out


def behind(result: FlowResult, crossings: list[Crossing]) -> FlowResult:
    """The result with host endpoint crossings ahead of the destination's ingress."""
    ingress = crossing_side(crossings, result.ingress)
    if ingress.verdict == result.ingress.verdict:
        return replace(result, ingress=ingress)
    return replace(result, ingress=ingress, verdict="deny", allowed_src_ports=None)


def guarded_nodes(cluster: Cluster) -> list[str]:
    """The nodes a host endpoint governs (the matrix's pod cells leave their hooks out)."""
    return sorted(n for n in cluster.node_names if node_host_endpoint(cluster, n) is not None)
