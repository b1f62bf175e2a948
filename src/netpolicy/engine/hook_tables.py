"""Host endpoint hooks folded into the matrix's side tables, so that every cell equals the one-flow path
(`pod_entry.entering_pod`, docs/semantics.md#pod-entry).

A pod's egress table, toward peer classes off its node, is cut by its node's to-hep-forward; its ingress
table, from peer classes off its node, by its node's raw (doNotTrack), preDNAT and from-hep-forward
hooks, with the reply of an untracked packet judged by the pod's own (folded) egress with the ports
swapped. Each hook is its host endpoint's plan walked over the same arrays with the pod as the subject
of the rule's own side (a forward rule's destination is the packet's destination, not the host
endpoint); a plan followed by a catch-all Allow gives what it does not drop. Peer classes are told
apart by node only when such hooks exist (`class_node`).

Sources: `felix/rules/static.go` StaticRawPreroutingChain, StaticManglePreroutingChain,
StaticFilterForwardChains (from-hep-forward unless the accept mark is set, the workload chains, then
to-hep-forward for every forwarded packet); `felix/rules/endpoints.go` (failsafes in raw and preDNAT
chains, never in forward ones; "Allow forwarded traffic by default").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.bits import label_type, refine, representatives
from netpolicy.engine.classset import ClassSet
from netpolicy.engine.context import EngineContext
from netpolicy.engine.flow import EPHEMERAL
from netpolicy.engine.host_hooks import FAILSAFE_INBOUND, FAILSAFE_OUTBOUND, FORWARD
from netpolicy.engine.plan import CONTINUE, Plan, PolicyStart, ProfilesEnd, ProfileStart, RuleStep, Step
from netpolicy.engine.tables import SideTable
from netpolicy.engine.terms import RuleTerm
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, PRE_DNAT, UNTRACKED, Policy, Rule
from netpolicy.model.protocols import UDP

#: A pod on a known node without hooks: off every guarded node (classes are not split among such nodes).
ELSEWHERE = "\x00elsewhere"
_CATCH_ALL = (ProfileStart("catch-all", None), RuleStep(None, None, Rule(ALLOW, INGRESS, 0, "catch-all")))


@dataclass(frozen=True)
class NodeHooks:
    """The hooks of a node's governing host endpoint that can change a pod's packet (None: none applies)."""

    hep: Endpoint
    raw: Plan | None        # raw PREROUTING (doNotTrack ingress; never on a `*` host endpoint)
    pre: Plan | None        # mangle PREROUTING (preDNAT)
    into: Plan | None       # from-hep-forward (applyOnForward ingress)
    out: Plan | None        # to-hep-forward (applyOnForward egress)

    @property
    def arrives(self) -> bool:
        return any(p is not None for p in (self.raw, self.pre, self.into))


def hooked_nodes(ctx: EngineContext) -> dict[str, NodeHooks]:
    """The nodes whose host endpoint has a raw, preDNAT or forward plan that applies (empty: none)."""
    out = {}
    for node, hep in ctx.host_endpoints.items():
        raw, pre, into, leave = (_isolated(ctx, hep, hook, direction) for hook, direction in (
            (UNTRACKED, INGRESS), (PRE_DNAT, INGRESS), (FORWARD, INGRESS), (FORWARD, EGRESS)))
        hooks = NodeHooks(hep, raw if hep.interface != "*" else None, pre, into, leave)
        if hooks.arrives or hooks.out is not None:
            out[node] = hooks
    return out


def _isolated(ctx: EngineContext, hep: Endpoint, hook: str, direction: str) -> Plan | None:
    plan = ctx.host_plan(hep, hook, direction)
    return plan if plan.isolated else None


def hook_policies(ctx: EngineContext) -> list[Policy]:
    """The enforced raw and preDNAT policies (their rules cut peer classes and atoms when hooks matter)."""
    return [p for p in ctx.cluster.policies if not p.staged and p.hook in (PRE_DNAT, UNTRACKED)]


def class_node(ctx: EngineContext, hooks: dict[str, NodeHooks]) -> Callable[[Endpoint], str | None]:
    """A policed pod's or workload's node for its peer class: a hooked node by name, any other known node
    as ELSEWHERE, None when unknown (and for host endpoints and address ranges)."""
    def node_of(endpoint: Endpoint) -> str | None:
        if not endpoint.policed or endpoint.kind == HOST_ENDPOINT:
            return None
        node = ctx.node_of(endpoint)
        return node if node is None or node in hooks else ELSEWHERE

    return node_of


def atom_points(hooks: dict[str, NodeHooks]) -> dict:
    """PortAtoms' extra cuts: failsafe ports (and, with doNotTrack policy, the source ports raw passes as
    failsafe replies, UDP cut alike on both ports for untracked replies, and the ephemeral port)."""
    raw = any(h.raw is not None for h in hooks.values())
    if not any(h.arrives for h in hooks.values()):
        return {}
    points = set(FAILSAFE_INBOUND) | ({(UDP, EPHEMERAL[0])} if raw else set())
    return {"points": points, "source_points": set(FAILSAFE_OUTBOUND) if raw else set(),
            "mirrored": (UDP,) if raw else ()}


class HookTables:
    """Side tables with the host endpoint hooks of the pod's node folded in, cached by their parts."""

    def __init__(self, matrix, hooks: dict[str, NodeHooks]) -> None:
        self.matrix, self.hooks = matrix, hooks
        atoms = matrix.atoms
        self.inbound = self._points(FAILSAFE_INBOUND)
        self.raw_failsafe = self.inbound | self._points(FAILSAFE_OUTBOUND, second=True)
        self.udp = atoms.protocol_mask(UDP)
        index = {(int(lo), int(slo)): i for i, (p, lo, slo) in enumerate(zip(atoms.proto, atoms.d_lo, atoms.s_lo,
                                                                                strict=True)) if p == UDP}
        self.swapped = np.array([index.get((int(s), int(d)), i) if p == UDP else i for i, (p, d, s) in
                                 enumerate(zip(atoms.proto, atoms.d_lo, atoms.s_lo, strict=True))], dtype=np.int64)
        self.everything = RuleTerm(ClassSet.everything(len(matrix.classes)), np.ones(atoms.size, dtype=bool), None)
        self._steps: dict[int, tuple[Step, ...]] = {}
        self._off: dict[str, np.ndarray] = {}
        numbers = {node: i for i, node in enumerate(hooks)}
        # per peer class: -2 an address range, -1 no known node (or a host endpoint), else its hooked node,
        # len(hooks) another known node
        self._class_node = np.array([-2 if c.endpoint is None else -1 if c.node is None else
                                     numbers.get(c.node, len(hooks)) for c in matrix.classes], dtype=np.int64)
        self._numbers = numbers
        self._bases: dict[tuple, tuple] = {}
        self._folded: dict[tuple, SideTable] = {}

    def _points(self, points, second: bool = False) -> np.ndarray:
        mask = np.zeros(self.matrix.atoms.size, dtype=bool)
        for protocol, port in points:
            mask |= self.matrix.atoms.point_mask(protocol, port, second)
        return mask

    def fold(self, endpoint: Endpoint, direction: str, table: SideTable) -> tuple[SideTable, tuple]:
        """The endpoint's table with its node's hooks folded in, and what tells it apart (empty: unchanged)."""
        subject = self.matrix.subject_classes(endpoint)
        node = self.matrix.classes[next(iter(subject.values()))].node if subject else None
        hooks = self.hooks.get(node) if node is not None else None
        if hooks is None:
            return table, ()
        parts: dict[str, SideTable] = {"own": table}
        if direction == EGRESS:
            if hooks.out is None:
                return table, ()
            parts["out"] = self._walk(hooks.out, EGRESS, subject, catch_all=True)
        else:
            if not hooks.arrives:
                return table, ()
            if hooks.raw is not None:
                parts["raw"] = self._walk(hooks.raw, INGRESS, subject, catch_all=False)
                parts["raw_kept"] = self._walk(hooks.raw, INGRESS, subject, catch_all=True)
                parts["reply"] = self.matrix.side_table(endpoint, EGRESS)
            if hooks.pre is not None:
                parts["pre"] = self._walk(hooks.pre, INGRESS, subject, catch_all=False)
                parts["pre_kept"] = self._walk(hooks.pre, INGRESS, subject, catch_all=True)
            if hooks.into is not None:
                parts["into"] = self._walk(hooks.into, INGRESS, subject, catch_all=True)
        names = tuple(parts)
        key = ("hooks", node, direction, names, tuple(id(parts[n]) for n in names))
        found = self._folded.get(key)
        if found is None:
            combine = self._egress if direction == EGRESS else self._arrival
            found = self._folded[key] = self._combine([parts[n] for n in names], self._off_node(node),
                                                      lambda rows, off: combine(dict(zip(names, rows, strict=True)),
                                                                                off))
        return found, key

    def _egress(self, rows: dict[str, np.ndarray], off: np.ndarray) -> np.ndarray:
        """Toward a class off the node: the pod's egress, then to-hep-forward (what it does not drop)."""
        return rows["own"] & (~off[:, None] | rows["out"])

    def _arrival(self, rows: dict[str, np.ndarray], off: np.ndarray) -> np.ndarray:
        """From a class off the node: raw (Allow: untracked, its reply judged by the pod's egress with the
        ports swapped, UDP only; Deny drops), preDNAT (Allow skips the forward hook; Deny drops), then
        from-hep-forward (Deny drops); failsafe ports skip raw and preDNAT policy; then the pod's ingress."""
        passed = rows.get("into", True)
        if "pre" in rows:
            inbound = self.inbound[None, :]
            allowed = rows["pre"] & ~inbound
            passed = allowed | ((rows["pre_kept"] & ~rows["pre"]) | inbound) & passed
        if "raw" in rows:
            failsafe = self.raw_failsafe[None, :]
            untracked = rows["raw"] & ~failsafe & self.udp[None, :] & rows["reply"][:, self.swapped]
            passed = untracked | ((rows["raw_kept"] & ~rows["raw"]) | failsafe) & passed
        return rows["own"] & (~off[:, None] | passed)

    def _walk(self, plan: Plan, direction: str, subject: dict[int, int], catch_all: bool) -> SideTable:
        """A hook's plan over the peer classes with the pod as the subject of each rule's own side;
        `catch_all`: followed by an Allow of everything (the cells it does not drop)."""
        steps = self._steps.get(id(plan))
        if steps is None:
            steps = self._steps[id(plan)] = tuple(
                s for s in plan.steps if not isinstance(s, (PolicyStart, ProfilesEnd))
                and not (isinstance(s, RuleStep) and s.outcome == CONTINUE))
        terms: list[RuleTerm | None] = [
            self.matrix.terms.for_subject(s.rule, direction, subject) if isinstance(s, RuleStep) else None
            for s in steps]
        if catch_all:
            steps, terms = steps + _CATCH_ALL, [*terms, None, self.everything]
        return self.matrix.tables.table(steps, terms)

    def _off_node(self, node: str) -> np.ndarray:
        """Peer classes whose packet crosses `node`'s host endpoint to or from its pods: address ranges
        and pods on another known node (1), the rest (0)."""
        found = self._off.get(node)
        if found is None:
            where = self._class_node
            found = self._off[node] = ((where == -2) | ((where >= 0) & (where != self._numbers[node]))).astype(np.int8)
        return found

    def _combine(self, parts: list[SideTable], category: np.ndarray,
                 rows_of: Callable[[list[np.ndarray], np.ndarray], np.ndarray]) -> SideTable:
        """One table from several over the same peer classes: the groups of every part and the category
        told apart (a base shared by tables of the same bases, the classes any part singles out
        regrouped), each group's row `rows_of(the parts' rows, its category)`."""
        key = (tuple(id(p.base) for p in parts), id(category))
        found = self._bases.get(key)
        if found is None:
            labels, count = category.astype(np.int64), 2
            for part in parts:
                labels, count = refine(labels, count, part.base, len(part.table))
            found = self._bases[key] = (labels.astype(label_type(count)), count, representatives(labels, count),
                                        [p.base for p in parts])
        base, count, base_reps = found[:3]
        positions = np.unique(np.concatenate([p.positions for p in parts])).astype(np.int64)
        labels, narrow = np.zeros(len(positions), dtype=np.int64), 1 if len(positions) else 0
        if len(positions):
            labels, narrow = refine(labels, narrow, category[positions], 2)
            for part in parts:
                labels, narrow = refine(labels, narrow, _local(part, positions), len(part.table))
        singled = representatives(labels, narrow, positions)
        reps = np.concatenate((base_reps, singled))
        # a base group's row is its parts' base rows (its representative may be singled out by a part)
        table = rows_of([p.table[np.concatenate((p.base[base_reps].astype(np.int64), _local(p, singled)))]
                         for p in parts], category[reps].astype(bool))
        return SideTable(base, positions, (count + labels).astype(np.int32), table)


def _local(table: SideTable, classes: np.ndarray) -> np.ndarray:
    """The table's group of each of these peer classes."""
    out = table.base[classes].astype(np.int64)
    if len(table.positions) and len(classes):
        at = np.minimum(np.searchsorted(table.positions, classes), len(table.positions) - 1)
        hit = table.positions[at] == classes
        out[hit] = table.groups[at[hit]]
    return out
