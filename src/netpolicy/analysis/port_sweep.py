"""A flow without a destination port: every port of the protocol, cut where a rule's ports change the answer."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.flow import ACCEPT, FlowEvaluator, FlowResult
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import Policy


@dataclass(frozen=True)
class PortOutcome:
    """Destination ports that share one verdict and one explanation, with a flow that shows it."""

    ports: IntervalSet
    verdict: str
    result: FlowResult


@dataclass(frozen=True)
class PortSweep:
    """Every destination port of a protocol, grouped by outcome; `flow` is the outcome a summary shows."""

    outcomes: tuple[PortOutcome, ...]
    flow: FlowResult

    @property
    def allowed(self) -> IntervalSet:
        return IntervalSet.of([r for o in self.outcomes if o.verdict == ACCEPT for r in o.ports.ranges])


def sweep_ports(evaluator: FlowEvaluator, src: str, dst: str, protocol: int,
                src_port: int | None = None, judge=None) -> PortSweep:
    """The verdict of src → dst for every destination port of `protocol`, one trace per distinct outcome;
    `judge(src, dst, protocol, port, src_port)` gives one port's (default: the evaluator's)."""
    judge = judge or evaluator.evaluate
    dst_endpoint = evaluator.ctx.cluster.endpoint(dst)
    groups: dict[tuple, tuple[list[tuple[int, int]], FlowResult]] = {}
    for lo, hi in _cells(evaluator, dst_endpoint):
        result = judge(src, dst, protocol, lo, src_port)
        entry = groups.setdefault(_outcome_key(result), ([], result))
        entry[0].append((lo, hi))
    outcomes = sorted((PortOutcome(IntervalSet.of(ranges), result.verdict, result)
                       for ranges, result in groups.values()), key=lambda o: o.ports.ranges[0])
    shown = next((o.result for o in outcomes if o.verdict == ACCEPT), outcomes[0].result)
    return PortSweep(tuple(outcomes), shown)


def _outcome_key(result: FlowResult) -> tuple:
    """What makes two ports' answers the same: verdicts and the policies, rules and actions that decided."""
    steps = tuple((s.tier, s.policy, s.rule, s.action) for side in (result.egress, result.ingress) for s in side.trace)
    return result.verdict, result.egress.verdict, result.ingress.verdict, steps, result.allowed_src_ports


def _cells(evaluator: FlowEvaluator, dst_endpoint) -> list[tuple[int, int]]:
    """1-65535 cut along every destination port a policy's rule or the destination's ports mention."""
    ctx = evaluator.ctx
    cuts = {1, 65536}
    policies: list[Policy] = [p for tier in ctx.tiers for p in tier.policies]
    names: set[str] = set()
    for policy in policies + [p for p in ctx.profiles_of(dst_endpoint) if not isinstance(p, str)] \
            if dst_endpoint is not None else policies:
        for rule in policy.ingress + policy.egress:
            for ports in (rule.destination.ports, rule.destination.not_ports):
                if ports is not None:
                    for lo, hi in ports.numbers:
                        cuts.update((lo, hi + 1))
                    names.update(ports.names)
            for ref in rule.destination.services:
                for backend in ctx.service_backends(ref):
                    cuts.update(p for _, port in ctx.service_target_ports(ref, backend) for p in (port, port + 1))
    if dst_endpoint is not None:
        cuts.update(p for np in dst_endpoint.ports for p in (np.port, np.port + 1))
    points = sorted(c for c in cuts if 1 <= c <= 65536)
    return list(zip(points, [p - 1 for p in points[1:]], strict=False))
