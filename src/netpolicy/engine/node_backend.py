"""A Service leg whose backend lives in its node's network namespace (a hostNetwork pod): after DNAT the
packet goes to the node itself, so the node's host endpoint judges it (raw, preDNAT, filter INPUT), never
pod policy; a pod on that node, translated there, passes its egress and DefaultEndpointToHostAction
(docs/semantics.md#node-backends). Sources: the EndpointSlice controller lists a hostNetwork pod with its
pod IPs, its node's (`reconciler.go` reconcileByAddressType); Felix has no workload endpoint for it.
"""

from __future__ import annotations

from dataclasses import replace

from netpolicy.engine.flow import EPHEMERAL, FlowEvaluator, FlowResult, SideResult, TraceStep, with_sides
from netpolicy.engine.host_path import (
    Crossing,
    arrival,
    arrive,
    crossing_side,
    depart,
    node_host_endpoint,
    tracked_reply,
)
from netpolicy.engine.node_flow import pod_to_own_host
from netpolicy.engine.packet import Packet
from netpolicy.engine.path import Entry, Leg
from netpolicy.engine.star_hooks import from_pod


def to_node_backend(evaluator: FlowEvaluator, src: str, entry: Entry, leg: Leg, protocol: int,
                    src_port: int | None, client_node: str | None) -> FlowResult:
    """src → a backend on its node's network (`client_node`: the client pod's node, None for others)."""
    node = leg.backend.node
    at = entry.node or client_node or node  # the node where kube-proxy translated the packet
    masquerade = leg.rewrite.ingress_from
    ctx, port = evaluator.ctx, src_port if src_port is not None else EPHEMERAL[0]
    source, target = evaluator.peer(src), evaluator.peer(str(leg.backend.address))
    if client_node is not None and client_node == node == at and masquerade is None:
        # translated on the pod's own node: a `*` endpoint's preDNAT sees the packet as sent (mangle PREROUTING)
        sent = Packet(source, evaluator.peer(entry.address), protocol, entry.port, port) if entry.address else None
        pod = ctx.cluster.endpoint(src)
        assert pod is not None
        return _named(pod_to_own_host(evaluator, pod, f"node/{node}", node, protocol, leg.target.port, src_port,
                                      sent), leg, node)
    result = evaluator.evaluate(src, str(leg.backend.address), protocol, leg.target.port, src_port, leg.rewrite)
    translated = Packet(source, target, protocol, leg.target.port, port)
    hep = node_host_endpoint(ctx.cluster, at) if at else None
    sent = Packet(source, evaluator.peer(entry.address), protocol, entry.port, port) if entry.address else translated
    # a pod's packet enters its node by its interface: a `*` endpoint's preDNAT and from-hep-forward (star_hooks)
    crossings = from_pod(ctx, translated if at == client_node else sent, sent) if client_node is not None else []
    own = node_host_endpoint(ctx.cluster, client_node) if client_node is not None and client_node != at else None
    if own is not None:  # a pod's packet to another node's address leaves its node through to-hep-forward
        crossings.append(depart(ctx, own, sent))
    if client_node != at and hep is not None:  # from off `at`: it entered `at` through its host endpoint
        crossings.append(arrive(ctx, hep, sent, translated, to_host=node == at))
    if node != at and hep is not None:  # translated on `at`, forwarded to the backend's node
        crossings.append(depart(ctx, hep, translated))
    far = node_host_endpoint(ctx.cluster, node) if node != at else None
    sent_on = Packet(evaluator.peer(masquerade), target, protocol, leg.target.port, port) if masquerade \
        else translated
    if far is not None:
        crossings += arrival(ctx, far, sent_on, to_host=True)
    if not any(c.untracked for c in crossings):  # an untracked request's reply is arrival's
        crossings += _replies(ctx, (hep, far if node != at else hep, own), sent, sent_on,
                              own_reply=client_node != node or node != at)
    head = TraceStep(None, None, None, None, "Default",
                     f"{leg.name} runs in node {node}'s network namespace: the packet goes to the node itself, "
                     "judged by its host endpoint, not by pod policy")
    if crossings:
        judged = crossing_side(crossings)
        ingress = SideResult(judged.verdict, (head,) + judged.trace)
    else:
        ingress = SideResult("allow", (head, TraceStep(None, None, None, None, "Default",
                                                        f"no host endpoint polices node {node}'s traffic")))
    return with_sides(result, ingress=ingress)


def _replies(ctx, heps: tuple, sent: Packet, sent_on: Packet, own_reply: bool) -> list[Crossing]:
    """The reply through the raw chains it crosses before conntrack (`host_path.tracked_reply`; `heps`: the
    translating node's, the backend node's, the client pod's node's if another): the node sends it, so its
    raw OUTPUT judges it unless it goes to its own pod (`own_reply`; `static.go` StaticRawOutputChain);
    from another node it enters the translating node's raw PREROUTING before un-NAT, then the client's."""
    at, backend, own = heps
    out = []
    if backend is not None and own_reply:
        out.append(tracked_reply(ctx, backend, sent_on, arrived=True, translated=backend is at))
    if backend is not at and at is not None:
        out.append(tracked_reply(ctx, at, sent_on, arrived=False, translated=True))
    if own is not None:
        out.append(tracked_reply(ctx, own, sent, arrived=False, into_pod=True))
    return out


def _named(flow: FlowResult, leg: Leg, node: str) -> FlowResult:
    """The node flow as the leg's result, saying why the node judges it."""
    why = TraceStep(None, None, None, None, "Default",
                    f"{leg.name} runs in node {node}'s network namespace: a pod's packet to it is a packet to its "
                    "own node")
    return replace(flow, ingress=SideResult(flow.ingress.verdict, (why,) + flow.ingress.trace))
