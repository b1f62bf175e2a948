"""Host endpoint hooks folded into the matrix's side tables, so that every cell equals the one-flow path
(`pod_entry.query_flow`, docs/semantics.md#pod-entry).

A pod's egress table, toward peer classes off its node, is cut by its node's to-hep-forward; its ingress
table, from peer classes off its node, by its node's raw (doNotTrack), preDNAT and from-hep-forward
hooks, with the reply of an untracked packet judged by the pod's own (folded) egress with the ports
swapped. Each hook is its host endpoint's plan walked over the same arrays with the pod as the subject
of the rule's own side (a forward rule's destination is the packet's destination, not the host
endpoint); a plan followed by a catch-all Allow gives what it does not drop. From its node's governing
host endpoint a pod's ingress allows everything; that host endpoint's own tables are its node's
(`node_tables.py`). Peer classes are told apart by node only when a host endpoint governs a node
(`class_node`).

Sources: `felix/rules/static.go` StaticRawPreroutingChain, StaticManglePreroutingChain,
StaticFilterForwardChains (from-hep-forward unless the accept mark is set, the workload chains, then
to-hep-forward for every forwarded packet); `felix/rules/endpoints.go` (failsafes in raw and preDNAT
chains, never in forward ones; "Allow forwarded traffic by default").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.bits import label_type, refine_all, representatives
from netpolicy.engine.classset import ClassSet
from netpolicy.engine.context import EngineContext
from netpolicy.engine.flow import EPHEMERAL
from netpolicy.engine.host_hooks import FAILSAFE_INBOUND, FAILSAFE_OUTBOUND, FORWARD
from netpolicy.engine.nat_outgoing import pool_networks
from netpolicy.engine.nat_tables import masqueraded_table
from netpolicy.engine.node_tables import (
    N_KINDS,
    OFF,
    OTHER,
    OWN_HOST,
    OWN_POD,
    STRAY_HOST,
    node_parts,
    stray_parts,
)
from netpolicy.engine.plan import CONTINUE, Plan, PolicyStart, ProfilesEnd, ProfileStart, RuleStep, Step
from netpolicy.engine.tables import SideTable
from netpolicy.engine.terms import RuleTerm
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, PRE_DNAT, UNTRACKED, Policy, Rule
from netpolicy.model.protocols import PORT_PROTOCOLS, UDP

#: A pod on a known node without hooks: off every guarded node (classes are not split among such nodes).
ELSEWHERE = "\x00elsewhere"
#: The prefix of a host endpoint's node when it governs none and `*` host endpoints police pod interfaces
#: (kind STRAY_HOST on its own node: a pod's packet to it goes to the node itself; OTHER elsewhere).
STRAY = "\x00stray:"
_CATCH_ALL = (ProfileStart("catch-all", None), RuleStep(None, None, Rule(ALLOW, INGRESS, 0, "catch-all")))


@dataclass(frozen=True)
class NodeHooks:
    """A node's governing host endpoint and its hook plans that apply (None: none applies)."""

    hep: Endpoint
    raw: Plan | None        # raw PREROUTING (doNotTrack ingress; never on a `*` host endpoint)
    pre: Plan | None        # mangle PREROUTING (preDNAT)
    into: Plan | None       # from-hep-forward (applyOnForward ingress)
    out: Plan | None        # to-hep-forward (applyOnForward egress)
    raw_out: Plan | None    # raw OUTPUT (doNotTrack egress; never on a `*` host endpoint)
    star: StarHooks | None = None  # the node's `*` host endpoint on its pods' interfaces


@dataclass(frozen=True)
class StarHooks:
    """A `*` host endpoint's hooks on its node's pod interfaces (`star_hooks.py`; None: no policy of the hook)."""

    pre: Plan | None        # mangle PREROUTING of a pod's packets (preDNAT)
    into: Plan | None       # from-hep-forward of a pod's forwarded packets
    out: Plan | None        # to-hep-forward of packets forwarded to a pod

    @property
    def arrives(self) -> bool:
        return any(p is not None for p in (self.raw, self.pre, self.into))


def hooked_nodes(ctx: EngineContext) -> dict[str, NodeHooks]:
    """Every node a host endpoint governs, with its hook plans (empty: no host endpoint)."""
    out = {}
    for node, hep in ctx.host_endpoints.items():
        raw, pre, into, leave, raw_out = (_isolated(ctx, hep, hook, direction) for hook, direction in (
            (UNTRACKED, INGRESS), (PRE_DNAT, INGRESS), (FORWARD, INGRESS), (FORWARD, EGRESS), (UNTRACKED, EGRESS)))
        star = ctx.cluster.star_host_endpoints.get(node)
        on_pods = None
        if star is not None:
            on_pods = StarHooks(*(_isolated(ctx, star, hook, direction) for hook, direction in (
                (PRE_DNAT, INGRESS), (FORWARD, INGRESS), (FORWARD, EGRESS))))
            pre = pre if pre is not None else on_pods.pre  # the mangle dispatch's default (`pre_dnat_endpoint`)
        named = hep.interface != "*"
        out[node] = NodeHooks(hep, raw if named else None, pre, into, leave, raw_out if named else None, on_pods)
    return out


def _isolated(ctx: EngineContext, hep: Endpoint, hook: str, direction: str) -> Plan | None:
    plan = ctx.host_plan(hep, hook, direction)
    return plan if plan.isolated else None


def hook_policies(ctx: EngineContext) -> list[Policy]:
    """The enforced raw and preDNAT policies (their rules cut peer classes and atoms when hooks matter)."""
    return [p for p in ctx.cluster.policies if not p.staged and p.hook in (PRE_DNAT, UNTRACKED)]


def class_node(ctx: EngineContext, hooks: dict[str, NodeHooks]) -> Callable[[Endpoint], str | None]:
    """A peer class's node: a policed pod's or workload's (ELSEWHERE: a node no host endpoint governs;
    None: unknown), a governing host endpoint's; None for address ranges; STRAY and its node for another host
    endpoint on a guarded node or under `*` host endpoints (its pods' traffic with it is the node's own)."""
    stray = any(h.star is not None for h in hooks.values())
    every_node = bool(pool_networks(ctx.cluster))  # natOutgoing needs every pod's node (`nat_tables.py`)

    def node_of(endpoint: Endpoint) -> str | None:
        if not endpoint.policed:
            return None
        if endpoint.kind == HOST_ENDPOINT:
            found = hooks.get(endpoint.node) if endpoint.node else None
            if found is not None and found.hep is endpoint:
                return endpoint.node
            return f"{STRAY}{endpoint.node or ''}" if stray or found is not None else None
        node = ctx.cluster.node_of(endpoint)
        return node if node is None or node in hooks or every_node else ELSEWHERE

    return node_of


def atom_points(hooks: dict[str, NodeHooks]) -> dict:
    """PortAtoms' extra cuts: failsafe ports both ways and on both ports (the node's own flows, the replies
    raw passes); with doNotTrack policy every port protocol cut alike on both ports (an untracked reply's
    atom is the request's with its ports swapped) and the ephemeral port."""
    failsafe = set(FAILSAFE_INBOUND) | set(FAILSAFE_OUTBOUND)
    raw = any(h.raw is not None or h.raw_out is not None for h in hooks.values())
    points = failsafe | ({(p, EPHEMERAL[0]) for p in PORT_PROTOCOLS} if raw else set())
    return {"points": points, "source_points": failsafe, "mirrored": PORT_PROTOCOLS if raw else ()}


class HookTables:
    """Side tables with the host endpoint hooks folded in, cached by their parts: a pod's with its
    node's hooks, a governing host endpoint's as its node's own traffic (`node_tables.py`)."""

    def __init__(self, matrix, hooks: dict[str, NodeHooks]) -> None:
        self.matrix, self.hooks = matrix, hooks
        atoms = matrix.atoms
        self.inbound, self.outbound = self._points(FAILSAFE_INBOUND), self._points(FAILSAFE_OUTBOUND)
        self.inbound_from = self._points(FAILSAFE_INBOUND, second=True)
        self.outbound_from = self._points(FAILSAFE_OUTBOUND, second=True)
        self.udp = atoms.protocol_mask(UDP)
        index = {(int(p), int(d), int(s)): i for i, (p, d, s) in enumerate(zip(atoms.proto, atoms.d_lo, atoms.s_lo,
                                                                                strict=True))}
        self.swapped = np.array([index.get((int(p), int(s), int(d)), i) if p in PORT_PROTOCOLS else i
                                 for i, (p, d, s) in enumerate(zip(atoms.proto, atoms.d_lo, atoms.s_lo, strict=True))],
                                dtype=np.int64)
        self.everything = RuleTerm(ClassSet.everything(len(matrix.classes)), np.ones(atoms.size, dtype=bool), None)
        self._steps: dict[int, tuple[Step, ...]] = {}
        self._kinds: dict[str, np.ndarray] = {}
        self._numbers = {node: i for i, node in enumerate(hooks)}
        classes = matrix.classes
        # per peer class: its pod's node (-1 unknown or none, len(hooks) a node no host endpoint governs),
        # the node whose governing host endpoint it is (-1), whether it is an address range
        self._pod_node = np.array([-1 if c.endpoint is None or c.endpoint.kind == HOST_ENDPOINT or c.node is None
                                   else self._numbers.get(c.node, len(hooks)) for c in classes], dtype=np.int64)
        self._host_node = np.array([self._numbers[c.node] if c.endpoint is not None
                                    and c.endpoint.kind == HOST_ENDPOINT and c.node is not None
                                    and not c.node.startswith(STRAY) else -1 for c in classes], dtype=np.int64)
        # per peer class: the node of a host endpoint governing none ("" when not one)
        self._stray = np.array([c.node[len(STRAY):] if c.node and c.node.startswith(STRAY) else ""
                                for c in classes], dtype=object)
        self._outside = np.array([c.endpoint is None for c in classes], dtype=bool)
        self._bases: dict[tuple, tuple] = {}
        self._folded: dict[tuple, SideTable] = {}

    def _points(self, points, second: bool = False) -> np.ndarray:
        mask = np.zeros(self.matrix.atoms.size, dtype=bool)
        for protocol, port in points:
            mask |= self.matrix.atoms.point_mask(protocol, port, second)
        return mask

    def fold(self, endpoint: Endpoint, direction: str, table: SideTable) -> tuple[SideTable, tuple]:
        """The endpoint's table with the hooks folded in, and what tells it apart (empty: unchanged)."""
        subject = self.matrix.subject_classes(endpoint)
        node = self.matrix.classes[next(iter(subject.values()))].node if subject else None
        stray = node is not None and node.startswith(STRAY)
        hooks = self.hooks.get(node[len(STRAY):] if stray else node) if node is not None else None
        if hooks is None:
            return table, ()
        if stray:
            parts, rows_of = stray_parts(self, table, direction)
        elif endpoint.kind == HOST_ENDPOINT:
            parts, rows_of = node_parts(self, endpoint, direction, hooks, subject)
        else:
            parts, rows_of = self._pod_parts(endpoint, direction, table, hooks, subject)
        if parts is None:
            return table, ()
        names = tuple(parts)
        key = ("hooks", node, endpoint.kind == HOST_ENDPOINT, direction, names, tuple(id(parts[n]) for n in names))
        found = self._folded.get(key)
        if found is None:
            found = self._combine([parts[n] for n in names], self.kinds(hooks.hep.node),
                                  lambda rows, kinds: rows_of(dict(zip(names, rows, strict=True)), kinds))
            if endpoint.kind == HOST_ENDPOINT and direction == INGRESS:
                found = masqueraded_table(self.matrix, hooks.hep.node, self.kinds(hooks.hep.node), found)
            self._folded[key] = found
        return found, key

    def _pod_parts(self, endpoint: Endpoint, direction: str, table: SideTable, hooks: NodeHooks,
                   subject: dict[int, int]) -> tuple[dict | None, Callable]:
        """A pod's table and its node's hooks (None: its egress crosses no to-hep-forward policy)."""
        parts: dict[str, SideTable] = {"own": table}
        star = self._star_parts(parts, direction, hooks.star, subject)
        if direction == EGRESS:
            if hooks.out is None and hooks.raw is None and not star:
                return None, self._egress
            if hooks.out is not None:
                parts["out"] = self.walk(hooks.out, EGRESS, subject, catch_all=True)
            if hooks.raw is not None:  # the reply enters the node through raw PREROUTING, before conntrack
                self.tri_state(parts, "raw", hooks.raw, INGRESS, subject)
                parts["back"] = self.matrix.plain_side_table(endpoint, INGRESS)
            return parts, self._star_egress if star else self._egress
        if hooks.raw is not None:
            self.tri_state(parts, "raw", hooks.raw, INGRESS, subject)
            parts["reply"] = self.matrix.side_table(endpoint, EGRESS)
        if hooks.pre is not None:
            self.tri_state(parts, "pre", hooks.pre, INGRESS, subject)
        if hooks.into is not None:
            parts["into"] = self.walk(hooks.into, INGRESS, subject, catch_all=True)
        return parts, self._star_arrival if star else self._arrival

    def _star_parts(self, parts: dict, direction: str, star: StarHooks | None, subject: dict[int, int]) -> bool:
        """A `*` host endpoint's hooks on the pod's interface, walked with the pod as the subject of the rule's
        other side (its packets' source for preDNAT and from-hep-forward, their destination for
        to-hep-forward); whether any applies."""
        if star is None:
            return False
        if direction == EGRESS:
            if star.pre is not None:
                self.tri_state(parts, "star_pre", star.pre, EGRESS, subject)
            if star.into is not None:
                parts["star_into"] = self.walk(star.into, EGRESS, subject, catch_all=True)
            return star.pre is not None or star.into is not None
        if star.out is not None:
            parts["star_out"] = self.walk(star.out, INGRESS, subject, catch_all=True)
        return star.out is not None

    def _star_egress(self, rows: dict[str, np.ndarray], kinds: np.ndarray) -> np.ndarray:
        """`_egress`, then the `*` endpoint on the pod's interface: preDNAT (to anything; failsafe inbound ports
        skip it; Allow skips from-hep-forward), from-hep-forward (forwarded: not to its own node, nor to a host
        endpoint of it governing none)."""
        allowed, undecided = self.decided(rows, "star_pre", self.inbound[None, :])
        forwarded = ~np.isin(kinds, (OWN_HOST, STRAY_HOST))[:, None]
        passed = allowed | undecided & (~forwarded | rows.get("star_into", True))
        return self._egress(rows, kinds) & passed

    def _star_arrival(self, rows: dict[str, np.ndarray], kinds: np.ndarray) -> np.ndarray:
        """`_arrival`, then the `*` endpoint's to-hep-forward on the pod's interface for every packet
        forwarded to the pod (not its node's own: from its governing host endpoint or another of it)."""
        kept = np.isin(kinds, (OWN_HOST, STRAY_HOST))[:, None] | rows.get("star_out", True)
        return self._arrival(rows, kinds) & kept

    def tri_state(self, parts: dict, name: str, plan: Plan, direction: str, subject: dict[int, int]) -> None:
        """A raw or preDNAT hook as two walks: what it allows (`name`) and what it does not drop (`name_kept`)."""
        parts[name] = self.walk(plan, direction, subject, catch_all=False)
        parts[f"{name}_kept"] = self.walk(plan, direction, subject, catch_all=True)

    @staticmethod
    def decided(rows: dict, name: str, failsafe: np.ndarray, swap: np.ndarray | None = None):
        """A tri-state hook's (allowed, undecided) cells (failsafe ones undecided: they skip its policy);
        at the swapped atoms with `swap`; (False, True) when the hook has no policy."""
        if name not in rows:
            return False, True
        allowed, kept = rows[name], rows[f"{name}_kept"]
        if swap is not None:
            allowed, kept = allowed[:, swap], kept[:, swap]
        return allowed & ~failsafe, (kept & ~allowed) | failsafe

    def _egress(self, rows: dict[str, np.ndarray], kinds: np.ndarray) -> np.ndarray:
        """Toward a class off the node: the pod's egress, then to-hep-forward (what it does not drop), and
        the reply through raw PREROUTING at the swapped atom (Deny drops it; Allow leaves it untracked, to
        the pod's ingress policy; undecided: established)."""
        passed = rows.get("out", True)
        if "raw" in rows:
            allowed, undecided = self.decided(rows, "raw", (self.outbound | self.inbound_from)[None, :], self.swapped)
            passed = passed & (undecided | allowed & rows["back"][:, self.swapped])
        return rows["own"] & ((kinds != OFF)[:, None] | passed)

    def _arrival(self, rows: dict[str, np.ndarray], kinds: np.ndarray) -> np.ndarray:
        """From a class off the node: raw (Allow: untracked, its reply judged by the pod's egress with the
        ports swapped, UDP only; Deny drops), preDNAT (Allow skips the forward hook; Deny drops), then
        from-hep-forward (Deny drops); failsafe ports skip raw and preDNAT policy; then the pod's ingress.
        From its node's own host endpoints: never policed (`static.go` filterOutputChain)."""
        passed = rows.get("into", True)
        allowed, undecided = self.decided(rows, "pre", self.inbound[None, :])
        passed = allowed | undecided & passed
        allowed, undecided = self.decided(rows, "raw", (self.inbound | self.outbound_from)[None, :])
        if "raw" in rows:
            allowed = allowed & self.udp[None, :] & rows["reply"][:, self.swapped]
        passed = allowed | undecided & passed
        return (rows["own"] & ((kinds != OFF)[:, None] | passed)) | np.isin(kinds, (OWN_HOST, STRAY_HOST))[:, None]

    def walk(self, plan: Plan, direction: str, subject: dict[int, int], catch_all: bool) -> SideTable:
        """A hook's plan over the peer classes with the endpoint as the subject of each rule's own side;
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

    def kinds(self, node: str) -> np.ndarray:
        """What each peer class is to `node`: OTHER, OFF, OWN_POD, OWN_HOST or STRAY_HOST."""
        found = self._kinds.get(node)
        if found is None:
            number = self._numbers[node]
            found = np.full(len(self._outside), OTHER, dtype=np.int8)
            found[self._outside | ((self._pod_node >= 0) & (self._pod_node != number))
                  | ((self._host_node >= 0) & (self._host_node != number))] = OFF
            found[self._pod_node == number] = OWN_POD
            found[self._host_node == number] = OWN_HOST
            found[self._stray == node] = STRAY_HOST
            self._kinds[node] = found
        return found

    def _combine(self, parts: list[SideTable], category: np.ndarray,
                 rows_of: Callable[[list[np.ndarray], np.ndarray], np.ndarray]) -> SideTable:
        """One table from several over the same peer classes: the groups of every part and the category
        told apart (a base shared by tables of the same bases, the classes any part singles out
        regrouped), each group's row `rows_of(the parts' rows, its category)`."""
        key = (tuple(id(p.base) for p in parts), id(category))
        found = self._bases.get(key)
        if found is None:
            labels, count = refine_all(category.astype(np.int64), N_KINDS, [(p.base, len(p.table)) for p in parts])
            found = self._bases[key] = (labels.astype(label_type(count)), count, representatives(labels, count),
                                        [p.base for p in parts])
        base, count, base_reps = found[:3]
        positions = np.unique(np.concatenate([p.positions for p in parts])).astype(np.int64)
        labels, narrow = np.zeros(len(positions), dtype=np.int64), 1 if len(positions) else 0
        if len(positions):
            labels, narrow = refine_all(labels, narrow, [(category[positions], N_KINDS)]
                                        + [(p.groups_of(positions), len(p.table)) for p in parts])
        singled = representatives(labels, narrow, positions)
        reps = np.concatenate((base_reps, singled))
        # a base group's row is its parts' base rows (its representative may be singled out by a part)
        table = rows_of([p.table[np.concatenate((p.base[base_reps].astype(np.int64), p.groups_of(singled)))]
                         for p in parts], category[reps])
        return SideTable(base, positions, (count + labels).astype(np.int32), table)

