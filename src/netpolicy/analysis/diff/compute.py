"""Semantic diff: the flows a change newly allows and newly blocks, computed from both matrices exactly.

Endpoints are aligned by id; external address space is compared range by range, cut wherever either
side cuts it. Places that both sides treat alike are compared once per group, so the cost follows the
number of behaviours, not of pods. Each difference is explained by the rules that decide a
representative flow of it on both sides (what allows or blocks it now, and what did before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from netpolicy.analysis.diff.places import Group, Place, PlaceIndex
from netpolicy.analysis.diff.probes import Cuts, Probe, probes, rule_cuts
from netpolicy.analysis.diff.services import ServiceChange, service_changes
from netpolicy.engine.flow import FlowEvaluator, FlowResult
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.pod_entry import query_flow
from netpolicy.model.cluster import Cluster
from netpolicy.model.connections import ConnectionSet
from netpolicy.options import Options

BEFORE, AFTER = 0, 1
EXPLAIN_LIMIT = 24       # probes traced per change and direction; the rest is reported as not traced
EXPLAINED_CHANGES = 1000  # changes explained; later ones (huge diffs) are reported as not traced


@dataclass(frozen=True)
class Explanation:
    """Part of a change decided by the same rules: its flows, one probe, and both sides' verdicts.

    `before`/`after` are None when an end of the flow did not exist on that side.
    """

    connections: ConnectionSet
    probe: Probe
    before: FlowResult | None
    after: FlowResult | None


Explanations = tuple[Explanation, ...]


@dataclass(frozen=True)
class Change:
    """What changed between every source of one group and every destination of another."""

    sources: Group
    destinations: Group
    before: ConnectionSet
    after: ConnectionSet
    allowed_because: Explanations = ()
    blocked_because: Explanations = ()
    untraced_allowed: ConnectionSet = field(default_factory=ConnectionSet.empty)
    untraced_blocked: ConnectionSet = field(default_factory=ConnectionSet.empty)

    @cached_property
    def newly_allowed(self) -> ConnectionSet:
        """Connections allowed after the change and not before."""
        return self.after - self.before

    @cached_property
    def newly_blocked(self) -> ConnectionSet:
        """Connections allowed before the change and not after."""
        return self.before - self.after

    @property
    def pairs(self) -> int:
        """How many endpoint pairs (source, destination) the change stands for."""
        return len(self.sources) * len(self.destinations)


@dataclass
class DiffResult:
    """Every change, and the endpoints that exist on one side only."""

    changes: list[Change]
    added: list[Place]
    removed: list[Place]
    endpoints: int
    externals: int
    services: list[ServiceChange] = field(default_factory=list)

    @property
    def pairs_newly_allowed(self) -> int:
        """Endpoint pairs that gain some connection."""
        return sum(c.pairs for c in self.changes if c.newly_allowed)

    @property
    def pairs_newly_blocked(self) -> int:
        """Endpoint pairs that lose some connection."""
        return sum(c.pairs for c in self.changes if c.newly_blocked)

    @property
    def pairs_changed(self) -> int:
        """Endpoint pairs whose connections differ at all."""
        return sum(c.pairs for c in self.changes)

    @property
    def empty(self) -> bool:
        """Whether the connectivity is the same on both sides (Service rows included)."""
        return not self.changes and not self.services


def semantic_diff(before: Cluster, after: Cluster, options: Options | None = None, *,
                  explain: bool = True, explain_limit: int = EXPLAIN_LIMIT,
                  explained_changes: int = EXPLAINED_CHANGES) -> DiffResult:
    """Compare the connectivity of two configurations; explain the first `explained_changes` changes
    (none when `explain` is False)."""
    options = options or Options()
    index = PlaceIndex([Matrix(before, options), Matrix(after, options)])
    explainer = _Explainer(before, after, options, explain_limit) if explain else None
    groups = index.groups()
    changes = []
    for sources in groups:
        for destinations in groups:
            src, dst = sources.representative, destinations.representative
            if not index.governed(src, dst):
                continue
            old = index.connections(BEFORE, src, dst)
            new = index.connections(AFTER, src, dst)
            if old == new:
                continue
            change = Change(sources, destinations, old, new)
            if explainer is not None and len(changes) < explained_changes:
                change = explainer.explain(change)
            elif explain:
                change = Change(sources, destinations, old, new, untraced_allowed=change.newly_allowed,
                                untraced_blocked=change.newly_blocked)
            changes.append(change)
    return DiffResult(
        changes=changes,
        added=[p for p in index.endpoints if p.sides[BEFORE] is None],
        removed=[p for p in index.endpoints if p.sides[AFTER] is None],
        endpoints=len(index.endpoints),
        externals=len(index.externals),
        services=service_changes(*index.matrices, index.externals),
    )


class _Explainer:
    """Traces representative flows of each change on both sides, grouping them by deciding rules."""

    def __init__(self, before: Cluster, after: Cluster, options: Options, limit: int) -> None:
        self.evaluators = (FlowEvaluator(before, options), FlowEvaluator(after, options))
        self.cuts: Cuts = rule_cuts((before, after))
        self.limit = limit

    def explain(self, change: Change) -> Change:
        """The change with the rules behind what it newly allows and newly blocks."""
        src, dst = change.sources.representative, change.destinations.representative
        allowed, untraced_allowed = self._explain(src, dst, change.newly_allowed)
        blocked, untraced_blocked = self._explain(src, dst, change.newly_blocked)
        return Change(change.sources, change.destinations, change.before, change.after,
                      allowed, blocked, untraced_allowed, untraced_blocked)

    def _explain(self, src: Place, dst: Place, conns: ConnectionSet) -> tuple[Explanations, ConnectionSet]:
        """Explanations of `conns` (at most `limit` probes traced), and what was left untraced."""
        grouped: dict[tuple, list] = {}
        complete = True
        for count, probe in enumerate(probes(conns, self.cuts)):
            if count >= self.limit:
                complete = False
                break
            results = tuple(self._evaluate(side, src, dst, probe) for side in (BEFORE, AFTER))
            grouped.setdefault(tuple(decision_signature(r) for r in results), [[], probe, *results])[0].append(probe.cell)
        if complete and len(grouped) == 1:
            (_, probe, before, after), = grouped.values()
            return (Explanation(conns, probe, before, after),), ConnectionSet.empty()
        explanations = tuple(Explanation(union_all(cells), probe, before, after)
                             for cells, probe, before, after in grouped.values())
        if complete:
            return explanations, ConnectionSet.empty()
        return explanations, conns - union_all([e.connections for e in explanations])

    def _evaluate(self, side: int, src: Place, dst: Place, probe: Probe) -> FlowResult | None:
        src_ref, dst_ref = src.ref(side), dst.ref(side)
        if src_ref is None or dst_ref is None:
            return None
        return query_flow(self.evaluators[side], src_ref, dst_ref, probe.protocol, probe.port, probe.src_port)


def union_all(sets: list[ConnectionSet]) -> ConnectionSet:
    """The union of many connection sets, merged pairwise (balanced) to keep the sets small."""
    if not sets:
        return ConnectionSet.empty()
    while len(sets) > 1:
        sets = [sets[i] | sets[i + 1] if i + 1 < len(sets) else sets[i] for i in range(0, len(sets), 2)]
    return sets[0]


def decision_signature(result: FlowResult | None) -> tuple | None:
    """The rules that decided a flow on both ends, without the flow-specific wording."""
    if result is None:
        return None
    return tuple((s.tier, s.policy, s.kind, s.rule, s.action)
                 for side in (result.egress, result.ingress) for s in side.trace)
