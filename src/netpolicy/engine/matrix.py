"""The connectivity matrix over equivalence classes: rules become boolean arrays over peer classes × atoms.

Endpoints whose addresses every rule treats alike form one *peer class* (`classes.py`). For each
direction and subject the evaluation plan (`plan.py`) is vectorized once (`tables.py`) over the few
*local groups* of peer classes that the subject's own rule terms (`terms.py`) tell apart, times the
protocol/port atoms. A pair's connections are `egress[src][dst class] & ingress[dst][src class]`. No
pod × pod table is built.

The engine API that analysis/ and render/ use: `Matrix` (endpoints, classes, `side_table`, `plan`,
`governing`, `rule_match`, `connections`, `flows`), `rule_peers`, `selected_endpoints`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from netpolicy.engine.atoms import PortAtoms
from netpolicy.engine.classes import PeerClass, PeerClasses
from netpolicy.engine.context import EngineContext
from netpolicy.engine.match import side_selectors
from netpolicy.engine.plan import (
    CONTINUE,
    Plan,
    PolicyStart,
    ProfilesEnd,
    RuleStep,
    Step,
    TierPolicies,
    build_plan,
    common_family,
)
from netpolicy.engine.tables import SideTable, SideTables
from netpolicy.engine.terms import RuleTerm, RuleTerms, SelfPart
from netpolicy.engine.vectors import ClassVectors
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import EGRESS, INGRESS, Policy, Rule, ServiceRef
from netpolicy.options import Options
from netpolicy.progress import StageReport
from netpolicy.selectors.ast import Selector

__all__ = ["Matrix", "PeerClass", "SideTable", "compute_matrix", "rule_peers", "selected_endpoints"]


class _Vectorized:
    """A plan as the matrix walks it: the steps that act on arrays and the rules whose own side tells
    subjects apart."""

    __slots__ = ("key", "plan", "steps", "dependent")

    def __init__(self, key: tuple, plan: Plan, steps: tuple[Step, ...], dependent: tuple[Rule, ...]) -> None:
        self.key, self.plan, self.steps, self.dependent = key, plan, steps, dependent


class Matrix:
    """The connectivity of every ordered pair of endpoints (pods, workloads, host endpoints, externals)."""

    def __init__(self, cluster: Cluster, options: Options | None = None,
                 progress: StageReport | None = None) -> None:
        self.ctx = EngineContext(cluster, options or Options())
        policies = self.ctx.active_policies + list(cluster.profiles.values())
        hooks, node_of, extra = self._hooked()
        if hooks:
            from netpolicy.engine.hook_tables import hook_policies

            policies = policies + hook_policies(self.ctx)
        self.peers = PeerClasses(self.ctx, policies, _selectors(policies), progress, node_of)
        points = self._service_points() | extra.pop("points", set())
        self.atoms = PortAtoms(self.peers.rules, self.peers.policed, points, **extra)
        self.vectors = ClassVectors(self.peers)
        self.terms = RuleTerms(self.vectors, self.atoms)
        self.tables = SideTables(len(self.peers), self.atoms.size)
        self._applying: dict[tuple[frozenset[int], str], tuple[TierPolicies, ...]] = {}
        self._by_selector: dict[int | None, list[tuple[int, TierPolicies, Policy]]] | None = None
        self._vectorized: dict[tuple, _Vectorized] = {}
        self._by_signature: dict[tuple[frozenset[int], int, str], _Vectorized] = {}
        self._policy_signatures: dict[int, frozenset[int]] = {}
        self._side_keys: dict[tuple[str, str], tuple] = {}
        self._sides: dict[tuple, SideTable] = {}
        self._alike_sides: dict[tuple, SideTable] = {}
        self._conn_cache: dict[bytes, ConnectionSet] = {}
        self.hooks = None
        if hooks:
            from netpolicy.engine.hook_tables import HookTables

            self.hooks = HookTables(self, hooks)

    def _hooked(self) -> tuple[dict, object, dict]:
        """The nodes whose host endpoint hooks cut pods' flows (docs/semantics.md#pod-entry), the peer
        classes' node, and the atoms' extra cuts; nothing without such hooks."""
        if not self.ctx.host_endpoints:
            return {}, None, {}
        from netpolicy.engine.hook_tables import atom_points, class_node, hooked_nodes

        hooks = hooked_nodes(self.ctx)
        return hooks, class_node(self.ctx, hooks), atom_points(hooks)

    def _service_points(self) -> set[tuple[int, int]]:
        """(protocol, port) of every backend of every Service a rule names."""
        refs = {ref for r in self.peers.rules for e in (r.source, r.destination) for ref in e.services}
        return {p for ref in refs for b in self.ctx.backends.of(ref.namespace, ref.name) for p in b.ports}

    # ---- what the peer classes hold -------------------------------------------------------------
    @property
    def policed(self) -> list[Endpoint]:
        """Policed endpoints, sorted by id."""
        return self.peers.policed

    @property
    def externals(self) -> list[Endpoint]:
        """External address ranges, cut along every CIDR the input mentions."""
        return self.peers.externals

    @property
    def endpoints(self) -> list[Endpoint]:
        """Policed endpoints, then external ranges."""
        return self.peers.endpoints

    @property
    def classes(self) -> list[PeerClass]:
        return self.peers.classes

    @property
    def guarded_nodes(self) -> list[str]:
        """The nodes a host endpoint governs (their hooks apply to pod cells)."""
        return sorted(self.ctx.host_endpoints)

    @property
    def peer_class(self) -> dict[tuple[str, int], int]:
        """(endpoint id, address family) → peer class."""
        return self.peers.peer_class

    @property
    def cells(self) -> dict:
        """Address family → the IP cells of that family."""
        return self.peers.cells

    @property
    def cluster(self) -> Cluster:
        return self.ctx.cluster

    @property
    def active_policies(self) -> list[Policy]:
        """The enforced (non-staged) policies, in input order."""
        return self.ctx.active_policies

    @property
    def tiers(self) -> list[TierPolicies]:
        """Every tier with its enforced policies, in Felix's order."""
        return self.ctx.tiers

    def subject_classes(self, endpoint: Endpoint) -> dict[int, int]:
        """The endpoint's peer class per address family."""
        return self.peers.subject(endpoint)

    def signature(self, endpoint: Endpoint) -> int:
        """Which selectors the endpoint's labels match, as a number (endpoints alike share it)."""
        return self.peers.endpoint_signature(endpoint)

    def profiles_of(self, endpoint: Endpoint) -> list[Policy | str]:
        """The endpoint's profiles in order; a name stands for a profile that was not found."""
        return self.ctx.profiles_of(endpoint)

    def service_backends(self, ref: ServiceRef) -> list[Endpoint]:
        """Policed endpoints behind a Service a rule names."""
        return self.ctx.service_backends(ref)

    def service_target_ports(self, ref: ServiceRef, backend: Endpoint) -> list[tuple[int, int]]:
        """(protocol, port) pairs the Service forwards to on this backend."""
        return self.ctx.service_target_ports(ref, backend)

    def endpoint(self, endpoint_id: str) -> Endpoint:
        found = self.peers.by_id.get(endpoint_id)
        if found is None:
            raise KeyError(endpoint_id)
        return found

    # ---- plans ----------------------------------------------------------------------------------
    def _applying_tiers(self, endpoint: Endpoint, direction: str) -> tuple[TierPolicies, ...]:
        """Tiers with at least one policy applying to the endpoint in this direction, in order.

        A policy applies when its selector is in the signature of the endpoint's labels."""
        matched = self._policy_selectors(endpoint)
        key = (matched, direction)
        found = self._applying.get(key)
        if found is None:
            by_selector = self._policies_by_selector()
            applying = sorted((item for number in matched for item in by_selector.get(number, ())
                               if item[2].governs(direction)), key=lambda item: item[0])
            tiers: list[TierPolicies] = []
            for _, tier_policies, policy in applying:
                if tiers and tiers[-1].tier is tier_policies.tier:
                    tiers[-1] = TierPolicies(tier_policies.tier, (*tiers[-1].policies, policy))
                else:
                    tiers.append(TierPolicies(tier_policies.tier, (policy,)))
            found = self._applying[key] = tuple(tiers)
        return found

    def _policy_selectors(self, endpoint: Endpoint) -> frozenset[int]:
        """The policy selectors (by number) that the endpoint's labels match."""
        return self._policy_selectors_of(self.signature(endpoint))

    def _policy_selectors_of(self, signature: int) -> frozenset[int]:
        """The policy selectors (by number) in a label set's signature."""
        found = self._policy_signatures.get(signature)
        if found is None:
            found = self._policy_signatures[signature] = frozenset(
                self.peers.sig_members.get(signature, frozenset()) & self._policies_by_selector().keys())
        return found

    def _policies_by_selector(self) -> dict[int | None, list[tuple[int, TierPolicies, Policy]]]:
        """Selector number → (evaluation position, tier, policy) of the policies with that selector."""
        if self._by_selector is None:
            found: dict[int | None, list[tuple[int, TierPolicies, Policy]]] = {}
            position = 0
            for tier_policies in self.ctx.tiers:
                for policy in tier_policies.policies:
                    number = self.peers.selector_number(policy.selector)
                    found.setdefault(number, []).append((position, tier_policies, policy))
                    position += 1
            self._by_selector = found
        return self._by_selector

    def _plan_of(self, endpoint: Endpoint, direction: str) -> _Vectorized:
        """The endpoint's plan, shared by subjects with the same applying policies and profiles."""
        subject = self.subject_classes(endpoint)
        profiles = self.classes[next(iter(subject.values()))].profiles if subject else -1
        alike = (self._policy_selectors(endpoint), profiles, direction)
        found = self._by_signature.get(alike)
        if found is not None:
            return found
        tiers = self._applying_tiers(endpoint, direction)
        key = (tuple(id(p) for t in tiers for p in t.policies), profiles, direction)
        found = self._vectorized.get(key)
        if found is None:
            plan = build_plan(direction, tiers, self.ctx.profiles_of(endpoint))
            steps = tuple(s for s in plan.steps if not isinstance(s, (PolicyStart, ProfilesEnd))
                          and not (isinstance(s, RuleStep) and s.outcome == CONTINUE))
            dependent = tuple(s.rule for s in steps if isinstance(s, RuleStep)
                              and self.terms.self_dependent(s.rule, direction))
            found = self._vectorized[key] = _Vectorized(key, plan, steps, dependent)
        self._by_signature[alike] = found
        return found

    def plan(self, endpoint: Endpoint, direction: str) -> Plan:
        """The endpoint's evaluation plan in one direction."""
        return self._plan_of(endpoint, direction).plan

    def governing(self, endpoint: Endpoint, direction: str) -> list[Policy]:
        """The enforced policies that apply to the endpoint in this direction, in evaluation order."""
        return [p for t in self._applying_tiers(endpoint, direction) for p in t.policies]

    # ---- side tables ----------------------------------------------------------------------------
    def side_table(self, endpoint: Endpoint, direction: str) -> SideTable:
        """The endpoint's verdicts in one direction, grouped (sparse in peer classes), host endpoint hooks
        folded in (docs/semantics.md#pod-entry)."""
        key = self._side_keys.get((endpoint.id, direction))
        if key is None:
            key, found = self._plain_side(endpoint, direction)
            if self.hooks is not None:
                found, hooked = self.hooks.fold(endpoint, direction, found)
                if hooked:
                    key = (key, hooked)
                    found = self._sides.setdefault(key, found)
            self._side_keys[(endpoint.id, direction)] = key
            return found
        return self._sides[key]

    def class_side_table(self, endpoint: Endpoint, peer_class: PeerClass, families: tuple[int, ...],
                         direction: str) -> SideTable:
        """`side_table` of an endpoint of this peer class and sorted families, shared without a look at
        the endpoint by every one with the same policies and profiles when no rule's own side tells
        subjects apart and no host endpoint hook is folded into pods' tables."""
        if self.hooks is not None:
            return self.side_table(endpoint, direction)
        alike = (self._policy_selectors_of(peer_class.own_labels), peer_class.profiles, families, direction)
        found = self._alike_sides.get(alike)
        if found is None:
            found = self.side_table(endpoint, direction)
            if not self._plan_of(endpoint, direction).dependent:
                self._alike_sides[alike] = found
        return found

    def plain_side_table(self, endpoint: Endpoint, direction: str) -> SideTable:
        """The endpoint's verdicts by its own plan alone (no host endpoint hook folded in)."""
        return self._plain_side(endpoint, direction)[1]

    def _plain_side(self, endpoint: Endpoint, direction: str) -> tuple[tuple, SideTable]:
        subject = self.subject_classes(endpoint)
        vectorized = self._plan_of(endpoint, direction)
        parts = tuple(self.terms.self_part(rule, direction, subject) for rule in vectorized.dependent)
        key = (vectorized.key, tuple(sorted(subject)), parts)
        found = self._sides.get(key)
        if found is None:
            own_parts = dict(zip((id(rule) for rule in vectorized.dependent), parts, strict=True))
            found = self._sides[key] = self._table(vectorized.steps, direction, key[1], own_parts)
        return key, found

    def side(self, endpoint: Endpoint, direction: str) -> np.ndarray:
        """(peer classes × atoms): what the endpoint's policies allow in this direction."""
        return self.side_table(endpoint, direction).dense()

    def _table(self, steps: tuple[Step, ...], direction: str, families: tuple[int, ...],
               own_parts: dict) -> SideTable:
        """The side table of the steps for a subject with these address families and, for the rules
        whose own side tells subjects apart, these own parts."""
        default = SelfPart(tuple((f, True) for f in families), -1)
        terms: list[RuleTerm | None] = [
            self.terms.term(s.rule, direction, own_parts.get(id(s.rule), default)) if isinstance(s, RuleStep)
            else None for s in steps]
        return self.tables.table(steps, terms)

    def rule_match(self, rule: Rule, direction: str, endpoint: Endpoint) -> np.ndarray:
        """(peer classes × atoms) of packets the rule matches for this endpoint as the subject."""
        subject = self.subject_classes(endpoint)
        if not subject:
            return np.zeros((len(self.classes), self.atoms.size), dtype=bool)
        return self.terms.for_subject(rule, direction, subject).dense()

    # ---- results ------------------------------------------------------------------------------
    def common_family(self, src: Endpoint, dst: Endpoint) -> int | None:
        """The address family a pair is judged in (None: they share none)."""
        return common_family({ip.version for ip in src.ips}, {ip.version for ip in dst.ips})

    def mask(self, src: Endpoint, dst: Endpoint) -> np.ndarray | None:
        """Atom vector of what src → dst allows, or None when they share no address family."""
        family = self.common_family(src, dst)
        if family is None:
            return None
        vec = np.ones(self.atoms.size, dtype=bool)
        if src.policed:
            vec &= self.side_table(src, EGRESS).row(self.peer_class[(dst.id, family)])
        if dst.policed:
            vec &= self.side_table(dst, INGRESS).row(self.peer_class[(src.id, family)])
        return vec

    def to_connections(self, mask: np.ndarray) -> ConnectionSet:
        key = mask.tobytes()
        found = self._conn_cache.get(key)
        if found is None:
            found = self._conn_cache[key] = self.atoms.to_connections(mask)
        return found

    def connections(self, src: str | Endpoint, dst: str | Endpoint) -> ConnectionSet:
        """What src may open to dst."""
        src_ep = src if isinstance(src, Endpoint) else self.endpoint(src)
        dst_ep = dst if isinstance(dst, Endpoint) else self.endpoint(dst)
        mask = self.mask(src_ep, dst_ep)
        return ConnectionSet.empty() if mask is None else self.to_connections(mask)

    def flows(self) -> Iterator[tuple[Endpoint, Endpoint, ConnectionSet]]:
        """Every ordered pair with something allowed, in endpoint order, streamed (memory bounded by a
        window of sources); pairs of two unpoliced peers (external ranges) are not governed by any policy
        and are left out."""
        from netpolicy.engine.endpoint_pairs import endpoint_flows

        return endpoint_flows(self)


def _selectors(policies: list[Policy]) -> list[Selector]:
    """Every distinct selector of the policies and their rules (what a signature is made of)."""
    selectors: dict[str, Selector] = {}
    for policy in policies:
        selectors.setdefault(policy.selector.canonical, policy.selector)
        for rule in policy.ingress + policy.egress:
            for entity in (rule.source, rule.destination):
                for sel in (entity.selector, entity.not_selector, *side_selectors(entity)):
                    if sel is not None:
                        selectors.setdefault(sel.canonical, sel)
    return list(selectors.values())


def compute_matrix(cluster: Cluster, options: Options | None = None,
                   progress: StageReport | None = None) -> Matrix:
    """The connectivity matrix of a cluster; `progress(stage, done, total)`, when given, is told how
    far the set-up is."""
    return Matrix(cluster, options, progress)


def rule_peers(matrix: Matrix, rule: Rule, direction: str) -> list[Endpoint]:
    """Endpoints and external ranges on the rule's peer side (sources of ingress, destinations of egress)."""
    vec = matrix.terms.peers(rule, direction)
    seen: dict[str, Endpoint] = {}
    for cls in matrix.classes:
        if vec[cls.index]:
            for member in cls.members:
                seen.setdefault(member.id, member)
    order = {e.id: i for i, e in enumerate(matrix.endpoints)}
    return sorted(seen.values(), key=lambda e: order.get(e.id, 0))


def selected_endpoints(matrix: Matrix, policy: Policy) -> list[Endpoint]:
    """Policed endpoints the policy applies to."""
    return [e for e in matrix.policed if policy.selector.matches(e.selector_labels)]
