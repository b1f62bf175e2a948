"""A packet crossing a node's host endpoint, hook after hook (docs/semantics.md#host-endpoint-hooks).

Into a node (`arrive`): raw PREROUTING (doNotTrack: Allow marks the packet untracked and accepted,
Deny drops), mangle PREROUTING (preDNAT on the packet as sent; Allow sets the accept mark), kube-proxy's
DNAT (none for an untracked packet), then filter INPUT (normal policy, to the node itself) or
from-hep-forward (applyOnForward, forwarded), both skipped under the accept mark. Out of a node
(`depart`): raw OUTPUT then filter OUTPUT (from the node itself), or to-hep-forward (forwarded, never
skipped). An untracked request's reply needs its own rule (`untracked_reply`). Sources:
`felix/rules/static.go` (StaticRawPreroutingChain, StaticRawOutputChain, StaticManglePreroutingChain,
filterInputChain/filterOutputChain acceptAlreadyAccepted, StaticFilterForwardChains).
"""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.context import EngineContext
from netpolicy.engine.flow import SideResult, side
from netpolicy.engine.host_hooks import (
    FAILSAFE_INBOUND,
    FAILSAFE_OUTBOUND,
    FORWARD,
    Hop,
    forward_hook,
    normal_hook,
    note,
    pre_dnat_hook,
    raw_hook,
)
from netpolicy.engine.packet import Packet
from netpolicy.engine.plan import ACCEPT, DROP, NEXT
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.model.protocols import UDP, protocol_name

#: The path API (the lab renders the same hooks): the crossings, and the hook names and failsafe ports.
__all__ = ["FAILSAFE_INBOUND", "FAILSAFE_OUTBOUND", "FORWARD", "Crossing", "arrival", "arrive", "crossing_side",
           "depart", "forwarded", "host_side", "node_host_endpoint", "tracked_reply", "untracked_reply"]


def node_host_endpoint(cluster: Cluster, node: str) -> Endpoint | None:
    """The host endpoint governing a node's fabric interface (`Cluster.governing_host_endpoints`)."""
    return cluster.governing_host_endpoints.get(node)


@dataclass(frozen=True)
class Crossing:
    """The hooks a packet took through one host endpoint, the verdict, and whether doNotTrack policy
    accepted it (then its reply needs a rule of its own)."""

    hops: tuple[Hop, ...]
    verdict: str
    untracked: bool = False

    @property
    def trace(self) -> tuple:
        return tuple(step for hop in self.hops for step in hop.trace)


def crossing_side(crossings: list[Crossing], last: SideResult | None = None) -> SideResult:
    """Crossings (up to the first that denies) as one side of a flow, ahead of the side `last`."""
    trace: list = []
    for crossing in crossings:
        trace += crossing.trace
        if crossing.verdict != ACCEPT:
            return SideResult(DROP, tuple(trace))
    return SideResult(last.verdict if last else ACCEPT, tuple(trace) + (last.trace if last else ()))


def arrive(ctx: EngineContext, hep: Endpoint, packet: Packet, translated: Packet | None = None,
           to_host: bool = False) -> Crossing:
    """A packet entering through `hep`: `translated` is what kube-proxy's DNAT makes of it (None: not
    translated); `to_host`: delivered to the node itself (filter INPUT), else forwarded."""
    raw = raw_hook(ctx, hep, INGRESS, packet)
    hops = [raw]
    if raw.verdict == DROP:
        return Crossing(tuple(hops), DROP)
    if raw.untracked:
        if translated is not None:
            hops.append(_not_translated())
            return Crossing(tuple(hops), DROP, True)
        return Crossing(tuple(hops), ACCEPT, True)
    pre = pre_dnat_hook(ctx, hep, packet)
    hops.append(pre)
    if pre.verdict == DROP:
        return Crossing(tuple(hops), DROP)
    if pre.verdict == ACCEPT:
        skipped = "INPUT" if to_host else "forward"
        hops.append(Hop(ACCEPT, (note(f"preDNAT allowed it: {hep.id}'s {skipped} policy is skipped"
                                      + ("" if to_host else " (the workload's still applies)")),)))
        return Crossing(tuple(hops), ACCEPT)
    after = translated or packet
    last = normal_hook(ctx, hep, INGRESS, after) if to_host else forward_hook(ctx, hep, INGRESS, after)
    hops.append(last)
    return Crossing(tuple(hops), DROP if last.verdict == DROP else ACCEPT)


def depart(ctx: EngineContext, hep: Endpoint, packet: Packet, from_host: bool = False,
           translated: Packet | None = None) -> Crossing:
    """A packet leaving through `hep`: from the node itself (raw OUTPUT, then filter OUTPUT on what
    kube-proxy's nat OUTPUT made of it, `translated`) or forwarded (to-hep-forward, after the NAT of
    PREROUTING, before masquerade)."""
    if not from_host:
        hop = forward_hook(ctx, hep, EGRESS, packet)
        return Crossing((hop,), hop.verdict)
    raw = raw_hook(ctx, hep, EGRESS, packet)
    if raw.untracked and translated is not None:
        return Crossing((raw, _not_translated()), DROP, True)
    if raw.verdict == DROP or raw.untracked:
        return Crossing((raw,), raw.verdict, raw.untracked)
    last = normal_hook(ctx, hep, EGRESS, translated or packet)
    return Crossing((raw, last), DROP if last.verdict == DROP else ACCEPT)


def untracked_reply(ctx: EngineContext, hep: Endpoint, request: Packet, arrived: bool,
                    to_host: bool = True) -> Crossing:
    """The reply of a request doNotTrack policy accepted through `hep` (`arrived`: inbound). Only a
    doNotTrack rule of the other direction admits it untracked; otherwise conntrack, which never saw
    the request, finds a TCP/SCTP/ICMP reply INVALID and Calico's tracked chains drop it; a UDP reply
    is a new flow to the tracked policy (derived: `endpoints.go` appendConntrackRules)."""
    back = request.reply()
    if not to_host:
        # Forwarded: the reply leaves the workload, whose egress chain judges it, then the node through
        # `hep`'s to-hep-forward (StaticFilterForwardChains: every forwarded packet); raw never sees it
        # (raw dispatches only traffic from host interfaces and the host itself).
        if back.protocol != UDP:
            return Crossing((_invalid(back),), DROP)
        egress = side(ctx, back.src, EGRESS, back)
        hops = (Hop(egress.verdict, egress.trace),)
        if egress.verdict == ACCEPT:
            hops += (forward_hook(ctx, hep, EGRESS, back),)
        return Crossing(hops, hops[-1].verdict)
    direction = EGRESS if arrived else INGRESS
    raw = raw_hook(ctx, hep, direction, back)
    if raw.untracked:
        return Crossing((raw, Hop(ACCEPT, (note(f"the reply ({_shown(back)}) is allowed untracked by a "
                                                f"doNotTrack {direction} rule"),))), ACCEPT, True)
    if raw.verdict == DROP:
        return Crossing((raw,), DROP)
    if back.protocol != UDP:
        return Crossing((raw, _invalid(back)), DROP)
    hops = [raw]
    if not arrived:  # the reply enters the node: preDNAT policy first (tracked, but a new flow)
        pre = pre_dnat_hook(ctx, hep, back)
        hops.append(pre)
        if pre.verdict != NEXT:
            return Crossing(tuple(hops), pre.verdict)
    hops.append(normal_hook(ctx, hep, direction, back))
    return Crossing(tuple(hops), DROP if hops[-1].verdict == DROP else ACCEPT)


def tracked_reply(ctx: EngineContext, hep: Endpoint, request: Packet, arrived: bool,
                  into_pod: bool = False, translated: bool = False) -> Crossing:
    """The reply of a tracked connection through `hep` (`arrived`: the request came in) crossing raw, which
    runs before conntrack on every packet (`static.go` StaticRawPreroutingChain, StaticRawOutputChain):
    Deny drops it; Allow accepts it (the accept mark) but untracked, so a reply `into_pod` meets the
    pod's ingress policy as a new packet, and the reply of a `translated` (NATed) connection is never
    un-NATed (NAT needs conntrack), so it fails; undecided: conntrack's ESTABLISHED rules accept it."""
    back = request.reply()
    raw = raw_hook(ctx, hep, EGRESS if arrived else INGRESS, back)
    if raw.verdict == DROP:
        return Crossing((raw, Hop(DROP, (note(f"the reply ({_shown(back)}) was dropped by raw doNotTrack policy "
                                              "before conntrack: the tracked connection fails"),))), DROP)
    if raw.untracked and translated:
        return Crossing((raw, Hop(DROP, (note(f"the reply ({_shown(back)}) is untracked (doNotTrack Allow): "
                                              "conntrack never reverses the connection's NAT, so it fails"),))), DROP)
    if not (raw.untracked and into_pod):
        return Crossing((raw,), ACCEPT)
    ingress = side(ctx, back.dst, INGRESS, back)
    why = note(f"the reply ({_shown(back)}) is untracked (doNotTrack Allow): not ESTABLISHED to conntrack, "
               "the pod's ingress policy judges it")
    return Crossing((raw, Hop(ingress.verdict, (why,) + ingress.trace)), ingress.verdict)


def arrival(ctx: EngineContext, hep: Endpoint, packet: Packet, to_host: bool = False) -> list[Crossing]:
    """A packet entering through `hep` (`arrive`, untranslated), then its reply if doNotTrack accepted it."""
    crossing = arrive(ctx, hep, packet, to_host=to_host)
    if not crossing.untracked:
        return [crossing]
    return [crossing, untracked_reply(ctx, hep, packet, arrived=True, to_host=to_host)]


def forwarded(ctx: EngineContext, sender: Endpoint | None, receiver: Endpoint | None, packet: Packet,
              translated: bool = False) -> list[Crossing]:
    """A pod's forwarded packet leaving its node through `sender` and entering the other end's through
    `receiver` (None: not crossed), then its reply entering `sender`'s node to the pod (`tracked_reply`)."""
    out = [depart(ctx, sender, packet)] if sender is not None else []
    if receiver is not None:
        out += arrival(ctx, receiver, packet)
    if sender is not None:
        out.append(tracked_reply(ctx, sender, packet, arrived=False, into_pod=True, translated=translated))
    return out


def host_side(ctx: EngineContext, hep: Endpoint, packet: Packet, arrived: bool) -> SideResult:
    """The node itself as one end of a flow: the packet arriving to it (`arrived`) or leaving it through
    `hep`, with the reply of an untracked packet."""
    crossings = [arrive(ctx, hep, packet, to_host=True) if arrived else depart(ctx, hep, packet, from_host=True)]
    if crossings[0].untracked:
        crossings.append(untracked_reply(ctx, hep, packet, arrived=arrived))
    else:
        crossings.append(tracked_reply(ctx, hep, packet, arrived=arrived))
    return crossing_side(crossings)


def _not_translated() -> Hop:
    return Hop(DROP, (note("untracked packets are not DNATed (NAT needs a conntrack entry): "
                           "kube-proxy never translates it, so it reaches no backend"),))


def _invalid(back: Packet) -> Hop:
    return Hop(DROP, (note(f"doNotTrack accepted the request untracked, and no doNotTrack rule admits its reply "
                           f"({_shown(back)}): conntrack finds the reply INVALID and Calico's tracked chains "
                           "drop it"),))


def _shown(packet: Packet) -> str:
    """`TCP trojanwall-node-eth0:10250 → 203.0.113.7:32768`."""
    if not packet.has_ports:
        return f"{packet.describe()} {packet.src.display} → {packet.dst.display}"
    return (f"{protocol_name(packet.protocol)} {packet.src.display}:{packet.second} → "
            f"{packet.dst.display}:{packet.first}")
