"""The one-flow evaluator: the verdict of a single flow with the trace of both sides (the reference)."""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

from netpolicy.engine.context import EngineContext
from netpolicy.engine.match import rule_matches
from netpolicy.engine.packet import Packet, Peer
from netpolicy.engine.plan import (
    ACCEPT,
    CONTINUE,
    DROP,
    NEXT,
    Plan,
    ProfilesEnd,
    ProfileStart,
    RuleStep,
    TierEnd,
    TierStart,
    common_family,
)
from netpolicy.engine.staged import with_staged
from netpolicy.errors import InputError
from netpolicy.model.cluster import EXTERNAL, Cluster, Endpoint
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, DENY, EGRESS, INGRESS, LOG, PASS, PROFILE, Policy, Rule
from netpolicy.model.protocols import PORT_PROTOCOLS
from netpolicy.options import Options

EPHEMERAL = (32768, 60999)


@dataclass(frozen=True)
class TraceStep:
    """One step of an explanation, in Calico's flow-log vocabulary (INTERFACES.md TraceStep)."""

    tier: str | None
    policy: str | None
    kind: str | None
    rule: str | None
    action: str
    reason: str
    location: str | None = None
    unmatched: tuple[tuple[str, str, str], ...] = ()  # (policy, rule, why it did not match)
    findings: tuple[str, ...] = ()                    # lint findings on the rule that decided


@dataclass(frozen=True)
class SideResult:
    """The verdict of one side (the source's egress or the destination's ingress) and its trace."""

    verdict: str
    trace: tuple[TraceStep, ...]


@dataclass(frozen=True)
class FlowResult:
    """The verdict of a flow; without a source port it holds only if every source port is allowed."""

    src: str
    dst: str
    protocol: int
    port: int | None
    src_port: int | None
    verdict: str
    egress: SideResult
    ingress: SideResult
    allowed_src_ports: IntervalSet | None = None
    notes: tuple[str, ...] = field(default=())
    pending: FlowResult | None = None


def with_sides(result: FlowResult, egress: SideResult | None = None,
               ingress: SideResult | None = None) -> FlowResult:
    """The result with the sides given (None: kept) and the verdict both give together; allowed source
    ports only while it allows."""
    egress = egress if egress is not None else result.egress
    ingress = ingress if ingress is not None else result.ingress
    verdict = ACCEPT if egress.verdict == ACCEPT and ingress.verdict == ACCEPT else DROP
    return dataclasses.replace(result, egress=egress, ingress=ingress, verdict=verdict,
                               allowed_src_ports=result.allowed_src_ports if verdict == ACCEPT else None)


def _location(policy: Policy, rule: Rule | None) -> str | None:
    loc = (rule.location if rule is not None and rule.location else None) or policy.location
    return str(loc) if loc else None


def evaluate_side(ctx: EngineContext, subject: Endpoint, direction: str, packet: Packet,
                  plan: Plan | None = None) -> SideResult:
    """Walk the subject's plan (docs/semantics.md#endpoint-algorithm; another `plan` when given) for one
    packet, with the trace; a plan without a final drop that nothing decided gives the verdict `next`."""
    plan = plan or ctx.plan(subject, direction)
    trace: list[TraceStep] = []
    if not plan.isolated:
        trace.append(TraceStep(None, None, None, None, "NoPolicy",
                               f"no policy selects {subject.id} for {direction}: it is not isolated"))
    left = False        # a Pass left the current tier or profile: skip to its end
    unmatched: list[tuple[str, str, str]] = []
    for step in plan.steps:
        if isinstance(step, RuleStep):
            if left:
                continue
            hit, found = (_tier_rule if step.tier is not None else _profile_rule)(ctx, step, packet, unmatched)
            if not hit:
                continue
            if found is not None:
                trace.append(found)
            if step.outcome == NEXT:
                left = True
            elif step.outcome != CONTINUE:
                return SideResult(ACCEPT if step.outcome == ACCEPT else DROP, tuple(trace))
        elif isinstance(step, TierStart):
            left, unmatched = False, []
        elif isinstance(step, TierEnd):
            if left:
                continue
            trace.append(_end_of_tier(step, subject, direction, packet, unmatched))
            if step.outcome == DROP:
                return SideResult(DROP, tuple(trace))
        elif isinstance(step, ProfileStart):
            left = False
            if step.profile is None:
                trace.append(TraceStep(None, step.name, PROFILE, None, "Default",
                                       f"profile {step.name} is not in the input; skipped"))
        elif isinstance(step, ProfilesEnd):
            trace.append(TraceStep(None, None, None, None, "Default",
                                   f"no profile of {subject.id} allowed the traffic: dropped"))
            return SideResult(DROP, tuple(trace))
    return SideResult(NEXT, tuple(trace))


def _tier_rule(ctx: EngineContext, step: RuleStep, packet: Packet, unmatched: list) -> tuple[bool, TraceStep | None]:
    """Whether a tier's rule matches the packet, and its trace step (a miss is noted in `unmatched`)."""
    policy, rule = step.policy, step.rule
    plain = policy.describes_peers
    hit, why = rule_matches(ctx, rule, packet, plain)
    if not hit:
        _note_miss(unmatched, policy, rule, why)
        return False, None
    return True, TraceStep(step.tier.name, policy.id, policy.kind, rule.name, rule.action,
                           _rule_reason(rule, why, packet, plain), _location(policy, rule))


def _profile_rule(ctx: EngineContext, step: RuleStep, packet: Packet,
                  unmatched: list) -> tuple[bool, TraceStep | None]:
    """Whether a profile's rule matches the packet, and its trace step (none for a Pass)."""
    profile, rule = step.policy, step.rule
    hit, why = rule_matches(ctx, rule, packet)
    if not hit or step.outcome == NEXT:
        return hit, None
    if step.outcome == CONTINUE:
        return True, TraceStep(None, profile.id, PROFILE, rule.name, rule.action, why)
    reason = f"profile {profile.id} {'allows' if step.outcome == ACCEPT else 'denies'} traffic that no policy decided"
    return True, TraceStep(None, profile.id, PROFILE, rule.name, rule.action, reason, _location(profile, rule))


def _end_of_tier(step: TierEnd, subject: Endpoint, direction: str, packet: Packet,
                 unmatched: list) -> TraceStep:
    tier = step.tier
    names = ", ".join(p.id for p in step.policies)
    if step.outcome == NEXT:
        return TraceStep(tier.name, None, None, None, "EndOfTier",
                         f"no rule of {names} decided; tier {tier.name} passes to the next tier",
                         unmatched=tuple(unmatched))
    peer = packet.src if direction == INGRESS else packet.dst
    return TraceStep(
        tier.name, None, None, None, "EndOfTier",
        f"{subject.id} is isolated for {direction} by {names} (tier {tier.name}); "
        f"no rule admits {packet.describe()} {'from' if direction == INGRESS else 'to'} "
        f"{peer.display}: the end of the tier drops it",
        unmatched=tuple(unmatched))


def _rule_reason(rule: Rule, why: str, packet: Packet, plain: bool) -> str:
    verb = {ALLOW: "allows", DENY: "denies", PASS: "passes to the next tier", LOG: "logs and continues"}
    head = f"{rule.name}{f' ({rule.detail})' if rule.detail else ''} {verb[rule.action]}"
    if plain:
        return f"{head} {packet.describe()} from {packet.src.display} to {packet.dst.display}"
    return f"{head}: {why}" if why else head


def _note_miss(unmatched: list, policy: Policy, rule: Rule, why: str) -> None:
    """Keep one reason per (policy, user-visible rule) and reason, to explain an end-of-tier drop."""
    label = f"{rule.name} ({rule.detail})" if rule.detail else rule.name
    entry = (policy.id, label, why)
    if entry not in unmatched and len(unmatched) < 20:
        unmatched.append(entry)


def side(ctx: EngineContext, peer: Peer, direction: str, packet: Packet) -> SideResult:
    """A side's result; traffic from or to an unpoliced peer (external, network set) is not filtered there."""
    if not peer.policed:
        what = "source" if direction == EGRESS else "destination"
        return SideResult(ACCEPT, (TraceStep(None, None, None, None, "NoPolicy",
                                             f"{what} {peer.display} is not a policed endpoint: "
                                             f"no {direction} policy applies"),))
    assert peer.endpoint is not None
    return evaluate_side(ctx, peer.endpoint, direction, packet)


class FlowEvaluator:
    """Answers one flow at a time; build once per cluster."""

    def __init__(self, cluster: Cluster, options: Options | None = None, *, preview_staged: bool = True) -> None:
        self.ctx = EngineContext(cluster, options or Options())
        staged = with_staged(cluster) if preview_staged else None
        self.staged = FlowEvaluator(staged, options, preview_staged=False) if staged is not None else None

    def peer(self, ref: str | Endpoint, family: int | None = None) -> Peer:
        """An endpoint id (or Endpoint) or an IP address as a peer."""
        if isinstance(ref, Endpoint):
            endpoint = ref
        else:
            endpoint = self.ctx.cluster.endpoint(ref)
        if endpoint is not None:
            ips = [ip for ip in endpoint.ips if family is None or ip.version == family]
            if not ips and endpoint.nets:
                ips = [n.network_address for n in endpoint.nets if family is None or n.version == family]
            if not ips:
                raise InputError(f"endpoint {endpoint.id} has no IPv{family or ''} address")
            address = ips[0]
            owners = self.ctx.owners.owners(address)
            if endpoint not in owners and endpoint.kind != EXTERNAL:
                owners.insert(0, endpoint)
            return Peer(address, endpoint, tuple(owners))
        try:
            address = ipaddress.ip_address(str(ref).strip())
        except ValueError:
            raise InputError(f"{ref!r} is neither an endpoint id nor an IP address",
                             suggestion=_suggest(self.ctx.cluster, str(ref))) from None
        owners = self.ctx.owners.owners(address)
        policed = [o for o in owners if o.policed]
        return Peer(address, policed[0] if policed else None, tuple(owners))

    def _peers(self, src: str | Endpoint, dst: str | Endpoint) -> tuple[Peer, Peer]:
        """Both ends in one address family: the lowest both have (as the matrix judges a pair)."""
        family = common_family(self.families(src), self.families(dst))
        if family is None:
            names = [ref.id if isinstance(ref, Endpoint) else str(ref) for ref in (src, dst)]
            raise InputError(f"{names[0]} and {names[1]} share no address family",
                             expected="two ends with an IPv4 or two with an IPv6 address")
        return self.peer(src, family), self.peer(dst, family)

    def families(self, ref: str | Endpoint) -> set[int]:
        """The address families a flow end can use (an IP address given as such: its own)."""
        endpoint = ref if isinstance(ref, Endpoint) else self.ctx.cluster.endpoint(ref)
        if endpoint is None:
            return {self.peer(ref).address.version}
        return {ip.version for ip in endpoint.ips} or {n.version for n in endpoint.nets}

    def evaluate(self, src: str | Endpoint, dst: str | Endpoint, protocol: int = 6,
                 port: int | None = None, src_port: int | None = None, rewrite: Rewrite | None = None) -> FlowResult:
        """The verdict of src → dst; `port`/`src_port` are ICMP type/code for ICMP.

        With staged policies in the input, `pending` holds the result they would give (Calico's
        "pending" policy trace), and notes say what the policies that decided leave unmodelled."""
        result = self._evaluate(src, dst, protocol, port, src_port, rewrite)
        notes = tuple(dict.fromkeys(
            f"{step.policy}: {note}" for side_ in (result.egress, result.ingress) for step in side_.trace
            for note in self._notes(step.policy) if not note.startswith("stagedAction")))
        pending = self.staged._evaluate(src, dst, protocol, port, src_port, rewrite) if self.staged else None
        if notes or pending is not None:
            result = dataclasses.replace(result, notes=result.notes + notes, pending=pending)
        return result

    def _notes(self, policy_id: str | None) -> tuple[str, ...]:
        if policy_id is None:
            return ()
        index = self.__dict__.get("_notes_by_id")
        if index is None:
            index = self.__dict__["_notes_by_id"] = {p.id: p.notes for p in self.ctx.cluster.policies
                                                     if p.notes and not p.staged}
        return index.get(policy_id, ())

    def _evaluate(self, src: str | Endpoint, dst: str | Endpoint, protocol: int,
                  port: int | None, src_port: int | None, rewrite: Rewrite | None = None) -> FlowResult:
        src_peer, dst_peer = self._peers(src, dst)
        hops = _Hops(src_peer, dst_peer, protocol, port, rewrite or Rewrite(), self)
        if src_port is not None or protocol not in PORT_PROTOCOLS:
            egress, ingress = hops.sides(self.ctx, src_port, True)
            verdict = ACCEPT if egress.verdict == ACCEPT and ingress.verdict == ACCEPT else DROP
            return FlowResult(src_peer.display, dst_peer.display, protocol, port, src_port, verdict,
                              egress, ingress)
        return self._any_source_port(hops)

    def _any_source_port(self, hops: _Hops) -> FlowResult:
        src, dst, protocol, port = hops.src, hops.dst, hops.protocol, hops.port
        cells = source_port_cells(self.ctx, src, dst)
        allowed: list[tuple[int, int]] = []
        results = {}
        for lo, hi in cells:
            egress, ingress = hops.sides(self.ctx, _representative(lo, hi), len(cells) > 1)
            ok = egress.verdict == ACCEPT and ingress.verdict == ACCEPT
            results[(lo, hi)] = (ok, egress, ingress)
            if ok:
                allowed.append((lo, hi))
        allowed_set = IntervalSet.of(allowed)
        everything = allowed_set == IntervalSet.span(1, 65535)
        # Explain with a typical client port, from a denied cell when the verdict is deny.
        candidates = [cell for cell, (ok, _, _) in results.items() if ok == everything]
        pick = max(candidates, key=lambda c: (_has_ephemeral(*c), c[1] - c[0]))
        _, egress, ingress = results[pick]
        partial = bool(allowed_set) and not everything
        return FlowResult(src.display, dst.display, protocol, port, None, ACCEPT if everything else DROP,
                          egress, ingress, allowed_src_ports=allowed_set if partial else None)


@dataclass(frozen=True)
class Rewrite:
    """What the packet's path changes between the two sides (engine/path.py): the destination and port
    the source's egress sees (before DNAT) and the source the destination's ingress sees (after SNAT),
    as endpoint ids or addresses; None: unchanged."""

    egress_to: str | Endpoint | None = None
    egress_port: int | None = None
    ingress_from: str | Endpoint | None = None


class _Hops:
    """The two packets of a flow: the one the source's egress judges and the one the destination's
    ingress judges (the same unless a Rewrite says otherwise)."""

    def __init__(self, src: Peer, dst: Peer, protocol: int, port: int | None, rewrite: Rewrite,
                 evaluator: FlowEvaluator) -> None:
        self.src, self.dst, self.protocol, self.port = src, dst, protocol, port
        family = dst.address.version
        self.egress_dst = evaluator.peer(rewrite.egress_to, family) if rewrite.egress_to is not None else dst
        self.egress_port = rewrite.egress_port if rewrite.egress_to is not None else port
        self.ingress_src = evaluator.peer(rewrite.ingress_from, family) if rewrite.ingress_from is not None else src

    def sides(self, ctx: EngineContext, src_port: int | None, show: bool) -> tuple[SideResult, SideResult]:
        out = Packet(self.src, self.egress_dst, self.protocol, self.egress_port, src_port, show_second=show)
        into = Packet(self.ingress_src, self.dst, self.protocol, self.port, src_port, show_second=show)
        return side(ctx, self.src, EGRESS, out), side(ctx, self.dst, INGRESS, into)


def _representative(lo: int, hi: int) -> int:
    """A source port inside [lo, hi], preferring the ephemeral range clients really use."""
    if hi < EPHEMERAL[0] or lo > EPHEMERAL[1]:
        return lo
    return max(lo, EPHEMERAL[0])


def _has_ephemeral(lo: int, hi: int) -> bool:
    return not (hi < EPHEMERAL[0] or lo > EPHEMERAL[1])


def source_port_cells(ctx: EngineContext, src: Peer, dst: Peer) -> list[tuple[int, int]]:
    """Cut 1-65535 along every source-port boundary that a rule applying to either side mentions."""
    cuts = {1, 65536}
    for subject in (src.endpoint, dst.endpoint):
        if subject is None:
            continue
        policies = [p for t in ctx.tiers for p in t.policies] + [
            p for p in ctx.profiles_of(subject) if not isinstance(p, str)]
        for policy in policies:
            for rule in policy.ingress + policy.egress:
                for ports in (rule.source.ports, rule.source.not_ports):
                    if ports is None:
                        continue
                    for lo, hi in ports.numbers:
                        cuts.update((lo, hi + 1))
                    if ports.names and src.endpoint is not None:
                        for np in src.endpoint.ports:
                            if np.name in ports.names:
                                cuts.update((np.port, np.port + 1))
    points = sorted(c for c in cuts if 1 <= c <= 65536)
    return [(a, b - 1) for a, b in zip(points, points[1:], strict=False)]


def _suggest(cluster: Cluster, text: str) -> str:
    from netpolicy.suggest import closest, did_you_mean

    return did_you_mean(closest(text, [e.id for e in cluster.endpoints], n=3))
