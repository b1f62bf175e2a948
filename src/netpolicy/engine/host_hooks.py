"""Calico's host-endpoint hooks, one function each, judged by the plans of `EngineContext`: raw
(doNotTrack), mangle PREROUTING (preDNAT), filter FORWARD (applyOnForward) and filter INPUT/OUTPUT
(normal), each with its failsafe ports (docs/semantics.md#host-endpoint-hooks).

Sources: `felix/rules/endpoints.go` `endpointIptablesChain` (chain types: failsafes in normal, preDNAT
and raw chains, never in forward ones; untracked Allow = NOTRACK + accept mark; forward: "Allow
forwarded traffic by default"; normal: "Drop if no profiles matched"), `felix/rules/static.go`
(failsafeInChain/failsafeOutChain: raw also passes failsafe replies), `felix/config/config_params.go`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from netpolicy.engine.context import EngineContext
from netpolicy.engine.flow import TraceStep, evaluate_side
from netpolicy.engine.packet import Packet
from netpolicy.engine.plan import ACCEPT, DROP, NEXT, RuleStep
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EGRESS, INGRESS, PRE_DNAT, UNTRACKED, Rule
from netpolicy.model.protocols import TCP, UDP, protocol_name

#: Felix's FailsafeInboundHostPorts and FailsafeOutboundHostPorts defaults (`config_params.go`).
FAILSAFE_INBOUND = frozenset({(TCP, 22), (UDP, 68), (TCP, 179), (TCP, 2379), (TCP, 2380), (TCP, 5473),
                              (TCP, 6443), (TCP, 6666), (TCP, 6667)})
FAILSAFE_OUTBOUND = frozenset({(UDP, 53), (UDP, 67), (TCP, 179), (TCP, 2379), (TCP, 2380), (TCP, 5473),
                               (TCP, 6443), (TCP, 6666), (TCP, 6667)})
#: The hooks, as traces name them.
RAW, MANGLE, FORWARD, FILTER = "raw", "preDNAT", "forward", "filter"


@dataclass(frozen=True)
class Hop:
    """What one hook did: `allow` (accepted; the accept mark skips the host endpoint's later raw,
    preDNAT, INPUT and from-hep-forward policy), `deny`, or `next` (undecided: on to the next hook).
    `untracked`: accepted by doNotTrack policy (no conntrack entry: no DNAT, replies need a rule)."""

    verdict: str
    trace: tuple[TraceStep, ...]
    untracked: bool = False


def note(reason: str, action: str = "Default") -> TraceStep:
    """A trace step that no rule made."""
    return TraceStep(None, None, None, None, action, reason)


def failsafe(packet: Packet, direction: str, raw: bool) -> str | None:
    """Why a failsafe rule accepts the packet (None: none does): inbound ports to the host, outbound
    ports from it; in raw also the replies of the other direction's failsafe connections."""
    dport, sport = (packet.first, packet.second) if packet.has_ports else (None, None)
    own, other = (FAILSAFE_INBOUND, FAILSAFE_OUTBOUND) if direction == INGRESS else (FAILSAFE_OUTBOUND, FAILSAFE_INBOUND)
    kind = "inbound" if direction == INGRESS else "outbound"
    if (packet.protocol, dport) in own:
        return f"{protocol_name(packet.protocol)} {dport} is a failsafe {kind} port"
    if raw and sport is not None and (packet.protocol, sport) in other:
        return f"source port {sport} answers a failsafe connection (raw passes failsafe replies)"
    return None


def raw_hook(ctx: EngineContext, hep: Endpoint, direction: str, packet: Packet) -> Hop:
    """raw PREROUTING (ingress) or OUTPUT (egress): doNotTrack policy, never on a `*` host endpoint
    (`endpoint_mgr.go`); a failsafe accept there only ends the raw table."""
    if hep.interface == "*":
        return Hop(NEXT, ())
    hop = _table_hook(ctx, hep, UNTRACKED, RAW, direction, packet)
    if hop.verdict != ACCEPT:
        return hop
    return Hop(ACCEPT, hop.trace + (note(f"[{RAW}] doNotTrack Allow: the packet is untracked (NOTRACK) and skips "
                                         f"{hep.id}'s later host endpoint policy"),), untracked=True)


def pre_dnat_hook(ctx: EngineContext, hep: Endpoint, packet: Packet) -> Hop:
    """mangle PREROUTING: preDNAT policy (ingress only) on the packet as it arrived, failsafe first. Felix's
    mangle dispatch names only host endpoints with preDNAT policy, so an interface whose own has none goes
    to the node's `*` endpoint's (`endpoint_mgr.go` newPreDNATIfaceNameToHostEpID, default chain)."""
    return _table_hook(ctx, pre_dnat_endpoint(ctx, hep), PRE_DNAT, MANGLE, INGRESS, packet)


def pre_dnat_endpoint(ctx: EngineContext, hep: Endpoint) -> Endpoint:
    """The host endpoint whose preDNAT policy polices `hep`'s interface: its own, else its node's `*` one."""
    if hep.interface == "*" or not hep.node or ctx.host_plan(hep, PRE_DNAT, INGRESS).isolated:
        return hep
    return ctx.cluster.star_host_endpoints.get(hep.node, hep)


def _table_hook(ctx: EngineContext, hep: Endpoint, hook: str, label: str, direction: str, packet: Packet) -> Hop:
    """A raw or mangle hook: nothing without a policy of the hook; a failsafe accept ends only that table."""
    plan = ctx.host_plan(hep, hook, direction)
    if not plan.isolated:
        return Hop(NEXT, ())
    why = failsafe(packet, direction, raw=hook == UNTRACKED)
    if why:
        return Hop(NEXT, (note(f"[{label}] {why} of {hep.id}: accepted in {label} before its {hook} policy"),))
    side = evaluate_side(ctx, hep, direction, packet, plan)
    return Hop(side.verdict, tuple(tag(s, label) for s in side.trace))


def forward_hook(ctx: EngineContext, hep: Endpoint, direction: str, packet: Packet) -> Hop:
    """from-hep-forward (ingress) or to-hep-forward (egress): applyOnForward policy, no failsafe, no
    profiles; none applies, or nothing decided: allowed."""
    plan = ctx.host_plan(hep, FORWARD, direction)
    chain = "from-hep-forward" if direction == INGRESS else "to-hep-forward"
    if not plan.isolated:
        return Hop(ACCEPT, (note(f"[{FORWARD}] no applyOnForward {direction} policy applies to {hep.id} "
                                 f"({chain}): forwarded traffic is allowed"),))
    side = evaluate_side(ctx, hep, direction, packet, plan)
    return Hop(DROP if side.verdict == DROP else ACCEPT, tuple(tag(s, FORWARD) for s in side.trace))


def normal_hook(ctx: EngineContext, hep: Endpoint, direction: str, packet: Packet) -> Hop:
    """filter INPUT (ingress) or OUTPUT (egress): failsafe, then the normal plan (tiers, profiles, and
    "Drop if no profiles matched": a host endpoint without policy or profile drops all but failsafes)."""
    why = failsafe(packet, direction, raw=False)
    if why:
        return Hop(ACCEPT, (note(f"[{FILTER}] {why} of {hep.id}: accepted before its policy", "Allow"),))
    side = evaluate_side(ctx, hep, direction, packet)
    return Hop(side.verdict, tuple(tag(s, FILTER) for s in side.trace))


def governing_rules(ctx: EngineContext, hep: Endpoint) -> list[Rule]:
    """The policy rules of every hook that judges the host endpoint's traffic (normal, preDNAT, doNotTrack,
    applyOnForward; both directions), as its plans list them: the active policies that select it."""
    plans = [ctx.plan(hep, INGRESS), ctx.plan(hep, EGRESS), ctx.host_plan(hep, PRE_DNAT, INGRESS),
             *(ctx.host_plan(hep, hook, d) for hook in (UNTRACKED, FORWARD) for d in (INGRESS, EGRESS))]
    return [step.rule for plan in plans for step in plan.tier_steps if isinstance(step, RuleStep)]


def tag(step: TraceStep, hook: str) -> TraceStep:
    """A host endpoint step, its reason prefixed with the hook it ran in."""
    return replace(step, reason=f"[{hook}] {step.reason}")
