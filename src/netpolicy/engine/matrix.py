"""The connectivity matrix over equivalence classes: rules become boolean arrays over peer classes × atoms.

Peers (endpoint addresses and external cells) that every rule treats alike form one *peer class*;
subjects (policed endpoints) with the same class and profiles form one *subject group*. For each
direction and subject group the tiers are applied once, with first-match-wins, Pass and end-of-tier,
to a (peer classes × atoms) array. A pair's connections are `egress[src group][dst class] &
ingress[dst group][src class]`. No pod × pod table is ever built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from netpolicy.engine.atoms import (
    PortAtoms, external_endpoints, ip_cells, rule_networks,
)
from netpolicy.engine.context import EngineContext
from netpolicy.engine.match import rule_family_ok
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import (
    ALLOW, DENY, EGRESS, INGRESS, PASS, EntityMatch, Policy, Rule,
)
from netpolicy.options import Options
from netpolicy.selectors.ast import Selector


@dataclass
class PeerClass:
    """Peers that every rule treats alike."""

    index: int
    family: int
    cell: int                       # global cell index
    own_labels: int                 # label-set id of the endpoint at the address, -1 for none
    extra_labels: tuple[int, ...]   # label-set ids of other owners (network sets, shared IPs)
    endpoint: Endpoint | None       # a representative policed endpoint (named ports, services)
    members: list[Endpoint] = field(default_factory=list)


class Matrix:
    """The connectivity of every ordered pair of endpoints (pods, workloads, host endpoints, externals)."""

    def __init__(self, cluster: Cluster, options: Options | None = None) -> None:
        self.ctx = EngineContext(cluster, options or Options())
        self._build()

    # ---- set-up -------------------------------------------------------------------------------
    def _build(self) -> None:
        cluster = self.ctx.cluster
        self.policed = sorted((e for e in cluster.endpoints if e.policed), key=lambda e: e.id)
        network_sets = [e for e in cluster.endpoints if not e.policed and e.nets]
        all_rules_policies = self.ctx.active_policies + list(cluster.profiles.values())
        families = {ip.version for e in self.policed for ip in e.ips} | {4}
        nets = rule_networks(all_rules_policies) + [n for s in network_sets for n in s.nets]
        families |= {n.version for n in nets}
        self.cells = ip_cells(nets, families)
        self._cell_offset: dict[int, int] = {}
        offset = 0
        for family in sorted(self.cells):
            self._cell_offset[family] = offset
            offset += len(self.cells[family].starts)
        self.n_cells = offset

        self._label_ids: dict[frozenset, int] = {}
        self.label_sets: list[dict[str, str]] = []
        owners_by_cell: dict[tuple[int, int], list[Endpoint]] = {}
        for netset in network_sets:
            for family, cells in self.cells.items():
                for net in netset.nets:
                    if net.version != family:
                        continue
                    lo, hi = int(net.network_address), int(net.broadcast_address)
                    for idx in range(cells.cell_of(lo), cells.cell_of(hi) + 1):
                        bucket = owners_by_cell.setdefault((family, idx), [])
                        if netset not in bucket:
                            bucket.append(netset)
        self._owners_by_cell = owners_by_cell

        used: dict[int, list[int]] = {}
        for e in cluster.endpoints:
            for ip in e.ips:
                used.setdefault(ip.version, []).append(int(ip))
        for values in used.values():
            values.sort()
        self.externals = [ext for ext, _, _ in external_endpoints(self.cells, used, owners_by_cell)]
        self.endpoints: list[Endpoint] = self.policed + self.externals

        self.classes: list[PeerClass] = []
        self._class_keys: dict[tuple, int] = {}
        self.peer_class: dict[tuple[str, int], int] = {}
        ip_owners: dict = {}
        for e in cluster.endpoints:
            for ip in e.ips:
                ip_owners.setdefault(ip, []).append(e)
        for endpoint in self.endpoints:
            for family in sorted({ip.version for ip in endpoint.ips}):
                address = next(ip for ip in endpoint.ips if ip.version == family)
                self.peer_class[(endpoint.id, family)] = self._classify(endpoint, address, ip_owners)

        self._rules = [r for p in all_rules_policies for r in p.ingress + p.egress]
        extra_ports = {np_.port for e in self.policed for np_ in e.ports}
        self.atoms = PortAtoms(self._rules, extra_ports)
        self._selector_cache: dict[str, np.ndarray] = {}
        self._nets_cache: dict[tuple, np.ndarray] = {}
        self._rule_cache: dict[tuple[int, str], tuple] = {}
        self._results: dict[tuple[str, tuple], np.ndarray] = {}
        self._conn_cache: dict[bytes, ConnectionSet] = {}
        n = len(self.classes)
        self.class_family = np.array([c.family for c in self.classes], dtype=np.int64).reshape(n)
        self.class_cell = np.array([c.cell for c in self.classes], dtype=np.int64).reshape(n)
        self.class_own = np.array([c.own_labels for c in self.classes], dtype=np.int64).reshape(n)

    def _label_id(self, labels) -> int:
        key = frozenset(labels.items())
        found = self._label_ids.get(key)
        if found is None:
            found = self._label_ids[key] = len(self.label_sets)
            self.label_sets.append(dict(labels))
        return found

    def _classify(self, endpoint: Endpoint, address, ip_owners) -> int:
        family = address.version
        cells = self.cells[family]
        local = cells.cell_of(int(address))
        cell = self._cell_offset[family] + local
        policed = endpoint.policed
        own = self._label_id(endpoint.selector_labels) if policed else -1
        extra = {self._label_id(o.selector_labels) for o in self._owners_by_cell.get((family, local), [])}
        extra |= {self._label_id(o.selector_labels) for o in ip_owners.get(address, []) if o is not endpoint}
        extra_ids = tuple(sorted(extra))
        key = (family, cell, own, extra_ids, endpoint.ports if policed else (),
               endpoint.namespace if policed else None, endpoint.id if self._uses_services() and policed else None)
        index = self._class_keys.get(key)
        if index is None:
            index = self._class_keys[key] = len(self.classes)
            self.classes.append(PeerClass(index, family, cell, own, extra_ids, endpoint if policed else None))
        self.classes[index].members.append(endpoint)
        return index

    def _uses_services(self) -> bool:
        cached = self.__dict__.get("_services_used")
        if cached is None:
            cached = any(r.source.services or r.destination.services
                         for p in self.ctx.active_policies + list(self.ctx.cluster.profiles.values())
                         for r in p.ingress + p.egress)
            self.__dict__["_services_used"] = cached
        return cached

    # ---- vectors over peer classes --------------------------------------------------------------
    def _selector_vector(self, selector: Selector) -> np.ndarray:
        """Peer classes at whose address some owner matches the selector."""
        key = selector.canonical
        cached = self._selector_cache.get(key)
        if cached is None:
            by_labels = np.fromiter((selector.matches(ls) for ls in self.label_sets), dtype=bool,
                                    count=len(self.label_sets))
            own = np.where(self.class_own >= 0, by_labels[np.maximum(self.class_own, 0)], False)
            extra = np.array([any(by_labels[i] for i in c.extra_labels) for c in self.classes], dtype=bool)
            cached = self._selector_cache[key] = own | extra
        return cached

    def _own_selector_vector(self, selector: Selector) -> np.ndarray:
        """Peer classes whose own endpoint matches (for named ports, filtered by the positive selector)."""
        by_labels = np.fromiter((selector.matches(ls) for ls in self.label_sets), dtype=bool,
                                count=len(self.label_sets))
        return np.where(self.class_own >= 0, by_labels[np.maximum(self.class_own, 0)], False)

    def _nets_vector(self, nets: tuple) -> np.ndarray:
        cached = self._nets_cache.get(nets)
        if cached is None:
            by_cell = np.zeros(self.n_cells, dtype=bool)
            for family, cells in self.cells.items():
                base = self._cell_offset[family]
                for net in nets:
                    if net.version != family:
                        continue
                    lo = cells.cell_of(int(net.network_address))
                    hi = cells.cell_of(int(net.broadcast_address))
                    by_cell[base + lo: base + hi + 1] = True
            cached = self._nets_cache[nets] = by_cell[self.class_cell]
        return cached

    def _entity_vector(self, entity: EntityMatch, side: str) -> np.ndarray:
        """Peer classes whose address satisfies the side's address conditions (not ports)."""
        vec = np.ones(len(self.classes), dtype=bool)
        if entity.nets:
            vec &= self._nets_vector(entity.nets)
        if entity.not_nets:
            vec &= ~self._nets_vector(entity.not_nets)
        if entity.selector is not None:
            vec &= self._selector_vector(entity.selector)
        if entity.not_selector is not None:
            vec &= ~self._selector_vector(entity.not_selector)
        if entity.services:
            backends = {e.id for ref in entity.services for e in self.ctx.service_backends(ref)}
            vec &= np.array([c.endpoint is not None and c.endpoint.id in backends for c in self.classes],
                            dtype=bool)
        return vec

    def _port_array(self, entity: EntityMatch, side: str) -> np.ndarray | None:
        """Atoms the side's ports allow: a vector, a (classes × atoms) array when named ports or
        services make it depend on the endpoint, or None when the side does not restrict ports."""
        atoms = self.atoms
        second = side == "source"
        mask_fn = atoms.second_mask if second else atoms.first_mask
        parts: list[np.ndarray] = []
        if entity.ports is not None:
            parts.append(self._ports_match(entity, entity.ports, second, mask_fn))
        if entity.not_ports is not None:
            parts.append(atoms.is_port & ~self._ports_match(entity, entity.not_ports, second, mask_fn))
        if entity.services and side == "destination":
            rows = np.zeros((len(self.classes), atoms.size), dtype=bool)
            for ref in entity.services:
                for backend in self.ctx.service_backends(ref):
                    for c in self.classes:
                        if c.endpoint is not None and c.endpoint.id == backend.id:
                            for proto, port in self.ctx.service_target_ports(ref, backend):
                                rows[c.index] |= atoms.point_mask(proto, port)
            parts.append(rows)
        if not parts:
            return None
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out

    def _ports_match(self, entity: EntityMatch, ports, second: bool, mask_fn) -> np.ndarray:
        atoms = self.atoms
        numeric = atoms.is_port & mask_fn(ports.numbers)
        if not ports.names:
            return numeric
        rows = np.zeros((len(self.classes), atoms.size), dtype=bool)
        rows |= numeric
        allowed = (self._own_selector_vector(entity.selector) if entity.selector is not None
                   else np.ones(len(self.classes), dtype=bool))
        for c in self.classes:
            if c.endpoint is None or not allowed[c.index]:
                continue
            for np_ in c.endpoint.ports:
                if np_.name in ports.names:
                    rows[c.index] |= atoms.point_mask(np_.protocol, np_.port, second)
        return rows

    def _rule_parts(self, rule: Rule, direction: str) -> tuple:
        key = (id(rule), direction)
        cached = self._rule_cache.get(key)
        if cached is None:
            atoms = self.atoms
            base = np.ones(atoms.size, dtype=bool)
            if rule.protocol is not None:
                base &= atoms.protocol_mask(rule.protocol)
            if rule.not_protocol is not None:
                base &= ~atoms.protocol_mask(rule.not_protocol)
            for icmp, negate in ((rule.icmp, False), (rule.not_icmp, True)):
                if icmp is None:
                    continue
                hit = atoms.is_icmp & atoms.first_mask(_span(icmp.type))
                if icmp.code is not None:
                    hit &= atoms.second_mask(_span(icmp.code))
                base &= ~hit if negate else hit
            family_ok = {f: rule_family_ok(rule, f) for f in self.cells}
            fam_vec = np.array([family_ok[c.family] for c in self.classes], dtype=bool)
            src_vec = self._entity_vector(rule.source, "source")
            dst_vec = self._entity_vector(rule.destination, "destination")
            src_ports = self._port_array(rule.source, "source")
            dst_ports = self._port_array(rule.destination, "destination")
            cached = self._rule_cache[key] = (base, fam_vec, src_vec, dst_vec, src_ports, dst_ports)
        return cached

    def _rule_match(self, rule: Rule, direction: str, subject_classes: dict[int, int]) -> np.ndarray:
        """(peer classes × atoms) of packets the rule matches, for a subject (its class per family)."""
        base, fam_vec, src_vec, dst_vec, src_ports, dst_ports = self._rule_parts(rule, direction)
        if direction == INGRESS:
            peer_vec, self_vec, peer_ports, self_ports = src_vec, dst_vec, src_ports, dst_ports
        else:
            peer_vec, self_vec, peer_ports, self_ports = dst_vec, src_vec, dst_ports, src_ports
        # The subject's own side, looked up through its class in the peer's family.
        self_ok = np.zeros(len(self.classes), dtype=bool)
        for family, cls in subject_classes.items():
            self_ok |= (self.class_family == family) & bool(self_vec[cls])
        classes = fam_vec & peer_vec & self_ok
        atoms = base
        if self_ports is not None:
            if self_ports.ndim == 2:
                any_cls = next(iter(subject_classes.values()))
                atoms = atoms & self_ports[any_cls]
            else:
                atoms = atoms & self_ports
        result = classes[:, None] & atoms[None, :]
        if peer_ports is not None:
            result &= peer_ports if peer_ports.ndim == 2 else peer_ports[None, :]
        return result

    # ---- evaluation -------------------------------------------------------------------------------
    @cached_property
    def _applicable(self) -> dict[tuple[int, str], list[tuple]]:
        return {}

    def _tiers_for(self, endpoint: Endpoint, direction: str) -> list[tuple]:
        key = (self._label_id(endpoint.selector_labels), direction)
        found = self._applicable.get(key)
        if found is None:
            labels = endpoint.selector_labels
            found = []
            for tier_policies in self.ctx.tiers:
                applying = [p for p in tier_policies.policies
                            if p.governs(direction) and p.selector.matches(labels)]
                if applying:
                    found.append((tier_policies.tier, applying))
            self._applicable[key] = found
        return found

    def side(self, endpoint: Endpoint, direction: str) -> np.ndarray:
        """(peer classes × atoms): what the endpoint's policies allow in this direction."""
        subject_classes = {f: self.peer_class[(endpoint.id, f)] for f in self.cells
                           if (endpoint.id, f) in self.peer_class}
        profiles = tuple(p if isinstance(p, str) else p.name for p in self.ctx.profiles_of(endpoint))
        key = (direction, (tuple(sorted(subject_classes.items())), profiles,
                           self._label_id(endpoint.selector_labels)))
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = self._evaluate(endpoint, direction, subject_classes)
        return found

    def _evaluate(self, endpoint: Endpoint, direction: str, subject_classes: dict[int, int]) -> np.ndarray:
        shape = (len(self.classes), self.atoms.size)
        allowed = np.zeros(shape, dtype=bool)
        decided = np.zeros(shape, dtype=bool)
        for tier, policies in self._tiers_for(endpoint, direction):
            in_tier = np.zeros(shape, dtype=bool)     # decided or passed within this tier
            passed = np.zeros(shape, dtype=bool)
            for policy in policies:
                self._apply_rules(policy, direction, subject_classes, allowed, decided, in_tier, passed)
            if tier.default_action == PASS:
                undecided_here = ~(decided | in_tier)
                passed |= undecided_here
            decided |= ~passed & ~decided            # everything not passed is final after this tier
        rest = ~decided
        if rest.any():
            for profile in self.ctx.profiles_of(endpoint):
                if isinstance(profile, str):
                    continue
                in_profile = np.zeros(shape, dtype=bool)
                passed = np.zeros(shape, dtype=bool)
                # Pass in a profile ends that profile; the next profile sees the packet.
                self._apply_rules(profile, direction, subject_classes, allowed, decided, in_profile, passed)
        return allowed

    def _apply_rules(self, policy: Policy, direction: str, subject_classes: dict[int, int],
                     allowed: np.ndarray, decided: np.ndarray, in_tier: np.ndarray, passed: np.ndarray) -> None:
        for rule in policy.rules(direction):
            if rule.action not in (ALLOW, DENY, PASS):
                continue
            hit = self._rule_match(rule, direction, subject_classes) & ~decided & ~in_tier
            if not hit.any():
                continue
            if rule.action == ALLOW:
                allowed |= hit
                decided |= hit
            elif rule.action == DENY:
                decided |= hit
            else:
                passed |= hit
            in_tier |= hit

    # ---- results ------------------------------------------------------------------------------
    def common_family(self, src: Endpoint, dst: Endpoint) -> int | None:
        src_f = {ip.version for ip in src.ips}
        dst_f = {ip.version for ip in dst.ips}
        both = src_f & dst_f
        return min(both) if both else None

    def mask(self, src: Endpoint, dst: Endpoint) -> np.ndarray | None:
        """Atom vector of what src → dst allows, or None when they share no address family."""
        family = self.common_family(src, dst)
        if family is None:
            return None
        vec = np.ones(self.atoms.size, dtype=bool)
        if src.policed:
            vec &= self.side(src, EGRESS)[self.peer_class[(dst.id, family)]]
        if dst.policed:
            vec &= self.side(dst, INGRESS)[self.peer_class[(src.id, family)]]
        return vec

    def connections(self, src: str | Endpoint, dst: str | Endpoint) -> ConnectionSet:
        """What src may open to dst."""
        src_ep = src if isinstance(src, Endpoint) else self.endpoint(src)
        dst_ep = dst if isinstance(dst, Endpoint) else self.endpoint(dst)
        mask = self.mask(src_ep, dst_ep)
        if mask is None:
            return ConnectionSet.empty()
        key = mask.tobytes()
        found = self._conn_cache.get(key)
        if found is None:
            found = self._conn_cache[key] = self.atoms.to_connections(mask)
        return found

    def endpoint(self, endpoint_id: str) -> Endpoint:
        for e in self.endpoints:
            if e.id == endpoint_id:
                return e
        raise KeyError(endpoint_id)

    def flows(self) -> Iterator[tuple[Endpoint, Endpoint, ConnectionSet]]:
        """Every ordered pair with something allowed; pairs of two unpoliced peers are not governed."""
        for src in self.endpoints:
            for dst in self.endpoints:
                if not (src.policed or dst.policed):
                    continue
                conns = self.connections(src, dst)
                if conns:
                    yield src, dst, conns


def _span(value: int):
    from netpolicy.model.intervals import IntervalSet

    return IntervalSet.span(value, value)


def compute_matrix(cluster: Cluster, options: Options | None = None) -> Matrix:
    """The connectivity matrix of a cluster."""
    return Matrix(cluster, options)


def rule_peers(matrix: Matrix, rule: Rule, direction: str) -> list[Endpoint]:
    """Endpoints and external ranges on the rule's peer side (sources of ingress, destinations of egress)."""
    _, fam_vec, src_vec, dst_vec, _, _ = matrix._rule_parts(rule, direction)
    vec = (src_vec if direction == INGRESS else dst_vec) & fam_vec
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


@dataclass
class EndpointClass:
    """Endpoints that behave identically: same treatment by every rule, same profiles."""

    id: str
    members: list[Endpoint]

    @property
    def representative(self) -> Endpoint:
        return self.members[0]


def endpoint_classes(matrix: Matrix) -> list[EndpointClass]:
    """Group the matrix's endpoints into classes whose rows and columns are identical."""
    groups: dict[tuple, list[Endpoint]] = {}
    for endpoint in matrix.endpoints:
        classes = tuple(sorted((f, matrix.peer_class[(endpoint.id, f)]) for f in matrix.cells
                               if (endpoint.id, f) in matrix.peer_class))
        profiles = tuple(p if isinstance(p, str) else p.name for p in matrix.ctx.profiles_of(endpoint))
        key = (endpoint.policed, classes, profiles if endpoint.policed else ())
        groups.setdefault(key, []).append(endpoint)
    return [EndpointClass(f"class-{i}", members) for i, members in enumerate(groups.values())]
