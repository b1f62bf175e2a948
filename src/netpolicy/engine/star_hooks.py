"""An `interfaceName: "*"` host endpoint's hooks on its node's pod interfaces (docs/semantics.md#star-hooks).

Felix makes the `*` endpoint the default of its dispatch chains, so every interface no other host endpoint
names goes to its chains, workload interfaces included (`felix/rules/dispatch.go` hostDispatchChains, the
`defaultIfaceName` end rules; `felix/dataplane/linux/endpoint_mgr.go` updateHostEndpoints). On a pod's
interface that means: mangle PREROUTING dispatches the pod's new packets to its preDNAT policy (before DNAT,
to any destination, its own node included: StaticManglePreroutingChain skips no interface); filter FORWARD
sends the pod's forwarded packets through its from-hep-forward (unless the accept mark is set) and every
packet forwarded to a pod through its to-hep-forward (StaticFilterForwardChains). Its normal policy never
sees a pod's interface (filterInputChain sends workload traffic to the workload-to-host chain first,
filterOutputChain returns for it, the mangle POSTROUTING dispatch skips it: "Skip egress WHEP policy for
traffic to local workload"), nor does its doNotTrack policy (ignored on a `*` endpoint).
"""

from __future__ import annotations

from netpolicy.engine.context import EngineContext
from netpolicy.engine.host_hooks import Hop, forward_hook, note, pre_dnat_hook
from netpolicy.engine.host_path import Crossing
from netpolicy.engine.packet import Packet, Peer
from netpolicy.engine.plan import ACCEPT, DROP
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.ir import EGRESS, INGRESS


def pod_node(ctx: EngineContext, peer: Peer) -> str | None:
    """The known node of a policed pod or workload (None for anything else)."""
    endpoint = peer.endpoint if peer.policed else None
    if endpoint is None or endpoint.kind == HOST_ENDPOINT:
        return None
    return ctx.cluster.node_of(endpoint)


def star_of(ctx: EngineContext, node: str | None) -> Endpoint | None:
    """The node's `*` host endpoint, if it has one."""
    return ctx.cluster.star_host_endpoints.get(node) if node else None


def from_pod(ctx: EngineContext, packet: Packet, original: Packet | None = None,
                to_host: bool = False) -> list[Crossing]:
    """A pod's packet entering its node from the pod's interface: the `*` endpoint's preDNAT policy on the
    packet as sent (`original`, before kube-proxy's DNAT), then, forwarded (not `to_host`), its
    from-hep-forward on the packet after DNAT unless preDNAT allowed it (the accept mark)."""
    star = star_of(ctx, pod_node(ctx, packet.src))
    if star is None:
        return []
    pre = pre_dnat_hook(ctx, star, original or packet)
    hops = [pre] if pre.trace else []
    if pre.verdict == DROP:
        return [_crossing(hops, star, "from", DROP)]
    if to_host:
        return [_crossing(hops, star, "from", ACCEPT)] if hops else []
    if pre.verdict == ACCEPT:
        hops.append(Hop(ACCEPT, (note(f"preDNAT allowed it: {star.id}'s from-hep-forward is skipped"),)))
        return [_crossing(hops, star, "from", ACCEPT)]
    into = forward_hook(ctx, star, INGRESS, packet)
    return [_crossing([*hops, into], star, "from", into.verdict)]


def to_pod(ctx: EngineContext, packet: Packet) -> list[Crossing]:
    """A packet forwarded to a pod through its node's `*` endpoint's to-hep-forward (a node's own packet to
    its pods is never forwarded: not policed)."""
    star = star_of(ctx, pod_node(ctx, packet.dst))
    if star is None:
        return []
    out = forward_hook(ctx, star, EGRESS, packet)
    return [_crossing([out], star, "to", out.verdict)]


def _crossing(hops: list[Hop], star: Endpoint, way: str, verdict: str) -> Crossing:
    """The hops as one crossing, led by a step saying that the `*` endpoint polices the pod's interface."""
    why = note(f"{star.id} (interfaceName \"*\") is the default of Felix's dispatch chains: it polices traffic "
               f"{way} the pod's interface too")
    return Crossing((Hop(verdict, (why,)), *hops), verdict)
