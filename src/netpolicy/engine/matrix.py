"""The connectivity matrix over equivalence classes: rules become boolean arrays over peer classes × atoms.

Endpoints whose addresses every rule treats alike form one *peer class*: same IP cell, same set of
selectors matching their labels (found through a label index, not by testing every selector against
every endpoint), same named ports, same profiles. For each direction and subject the applicable
policies are applied once, with first-match-wins, Pass and end-of-tier, over the few *local groups*
of peer classes that the subject's own rules tell apart, times the protocol/port atoms. A pair's
connections are `egress[src][dst class] & ingress[dst][src class]`. No pod × pod table is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from netpolicy.engine.atoms import PortAtoms, external_endpoints, ip_cells, rule_networks
from netpolicy.engine.context import EngineContext
from netpolicy.engine.labelindex import LabelIndex
from netpolicy.engine.match import rule_family_ok
from netpolicy.model.cluster import Cluster, Endpoint, default_profiles
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, DENY, EGRESS, INGRESS, PASS, EntityMatch, Policy, Rule, Tier
from netpolicy.options import Options
from netpolicy.progress import StageReport
from netpolicy.selectors.ast import Selector


@dataclass
class PeerClass:
    """Peers that every rule treats alike."""

    index: int
    family: int
    cell: int                       # global cell index
    own_labels: int                 # selector signature of the endpoint's own labels, -1 for none
    extra_labels: tuple[int, ...]   # selector signatures of other owners (network sets, shared IPs)
    endpoint: Endpoint | None       # a representative policed endpoint (named ports, services)
    profiles: int = -1              # id of the profiles' content (-1 for unpoliced peers)
    members: list[Endpoint] = field(default_factory=list)


@dataclass
class SideTable:
    """One subject's verdicts in one direction: peer class → local group → allowed atoms.

    `base` gives every peer class a group and is shared by every table whose broad rules are the same;
    the classes this table's own (narrower) rules single out are listed in `positions` with their
    groups in `groups`. So a table costs memory in proportion to what its own rules single out.
    """

    base: np.ndarray                # int16/int32 group of every peer class before this table's narrow rules
    positions: np.ndarray           # int64 peer classes whose group differs from base, sorted
    groups: np.ndarray              # int32 their groups
    table: np.ndarray               # bool (local groups × atoms)

    @property
    def size(self) -> int:
        return len(self.base)

    @property
    def local(self) -> np.ndarray:
        """The group of every peer class."""
        out = self.base.astype(np.int32)
        out[self.positions] = self.groups
        return out

    def group(self, peer_class: int) -> int:
        found = self.override_map.get(peer_class)
        return int(self.base[peer_class]) if found is None else found

    def row(self, peer_class: int) -> np.ndarray:
        return self.table[self.group(peer_class)]

    def dense(self) -> np.ndarray:
        return self.table[self.local]

    def used_groups(self) -> set[int]:
        """The groups some peer class is in."""
        return set(np.unique(self.local).tolist())

    @property
    def override_map(self) -> dict[int, int]:
        found = self.__dict__.get("_overrides")
        if found is None:
            found = self.__dict__["_overrides"] = dict(zip(self.positions.tolist(), self.groups.tolist(), strict=True))
        return found

    @property
    def reachable(self) -> np.ndarray:
        """Peer classes whose row allows something."""
        found = self.__dict__.get("_reachable")
        if found is None:
            nonempty = self.table.any(axis=1)
            allows = nonempty[self.base]
            allows[self.positions] = nonempty[self.groups]
            found = self.__dict__["_reachable"] = np.flatnonzero(allows)
        return found

    @property
    def is_open(self) -> bool:
        """Whether most peer classes are allowed something (then pairs are tried one by one)."""
        return 2 * len(self.reachable) > self.size


@dataclass
class ClassRows:
    """Per-peer-class atom rows stored once per distinct row: class → row id (0 for most classes).

    Only the classes with another row than 0 are listed (`positions`, sorted; `values` their rows)."""

    positions: np.ndarray           # int64 peer classes whose row is not row 0
    values: np.ndarray              # int32 their row ids
    rows: np.ndarray                # bool (distinct rows × atoms)
    size: int

    def at(self, classes: np.ndarray) -> np.ndarray:
        """Row ids of the given peer classes."""
        out = np.zeros(len(classes), dtype=np.int32)
        if len(self.positions):
            pos = np.searchsorted(self.positions, classes)
            pos = np.minimum(pos, len(self.positions) - 1)
            hit = self.positions[pos] == classes
            out[hit] = self.values[pos[hit]]
        return out

    def row(self, peer_class: int) -> np.ndarray:
        return self.rows[int(self.at(np.array([peer_class]))[0])]

    def dense(self) -> np.ndarray:
        index = np.zeros(self.size, dtype=np.int32)
        index[self.positions] = self.values
        return self.rows[index]


class RuleTerm:
    """A rule's match for one kind of subject: the peer classes it matches (packed bits), the atoms it
    matches, per-class atom rows when named ports make them depend on the peer, and a content digest."""

    __slots__ = ("classes", "atoms", "per_class", "digest", "count", "_indices", "_size")

    def __init__(self, classes: np.ndarray, atoms: np.ndarray, per_class: ClassRows | None, size: int) -> None:
        self.classes, self.atoms, self.per_class, self._size = classes, atoms, per_class, size
        self.digest = hash((classes.tobytes(), atoms.tobytes(), id(per_class)))
        self.count = int(np.unpackbits(classes).sum())
        self._indices: np.ndarray | None = None

    @property
    def indices(self) -> np.ndarray:
        """The matched peer classes."""
        if self._indices is None:
            self._indices = np.flatnonzero(_unpack(self.classes, self._size))
        return self._indices


def _refine(labels: np.ndarray, count: int, values: np.ndarray, n_values: int) -> tuple[np.ndarray, int]:
    """Split the groups `labels` (0..count-1) by a per-item value in 0..n_values-1: new labels and count.

    Renumbers through a lookup table when the combined range is small, else by sorting."""
    combined = labels * n_values + values.astype(np.int64)
    size = count * n_values
    if size <= 4 * len(labels) + 4096:
        present = np.zeros(size, dtype=bool)
        present[combined] = True
        numbers = np.cumsum(present, dtype=np.int64) - 1
        return numbers[combined], int(numbers[-1]) + 1 if size else 0
    unique, inverse = np.unique(combined, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(unique)


def _label_type(count: int) -> type:
    """The smallest integer type for group labels below `count` (base partitions are kept per table)."""
    return np.int16 if count < 2**15 else np.int32


def _representatives(labels: np.ndarray, count: int, items: np.ndarray | None = None) -> np.ndarray:
    """One item of each group (any: every member of a group is treated alike)."""
    reps = np.zeros(count, dtype=np.int64)
    reps[labels] = np.arange(len(labels)) if items is None else items
    return reps


def _pack(vector: np.ndarray) -> np.ndarray:
    return np.packbits(vector)


def _unpack(bits: np.ndarray, size: int) -> np.ndarray:
    return np.unpackbits(bits, count=size).view(bool)


def _bits_at(bits: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The packed vector's values at the given positions."""
    return ((bits[positions >> 3] >> (7 - (positions & 7))) & 1).astype(bool)


class Matrix:
    """The connectivity of every ordered pair of endpoints (pods, workloads, host endpoints, externals)."""

    def __init__(self, cluster: Cluster, options: Options | None = None,
                 progress: StageReport | None = None) -> None:
        self.ctx = EngineContext(cluster, options or Options())
        self._progress = progress
        self._build()

    # ---- set-up -------------------------------------------------------------------------------
    def _build(self) -> None:
        cluster = self.ctx.cluster
        self.policed = sorted((e for e in cluster.endpoints if e.policed), key=lambda e: e.id)
        network_sets = [e for e in cluster.endpoints if not e.policed and e.nets]
        self._policies = self.ctx.active_policies + list(cluster.profiles.values())
        self._rules = [r for p in self._policies for r in p.ingress + p.egress]
        families = {ip.version for e in self.policed for ip in e.ips} | {4}
        nets = rule_networks(self._policies) + [n for s in network_sets for n in s.nets]
        families |= {n.version for n in nets}
        self.cells = ip_cells(nets, families)
        self._cell_offset: dict[int, int] = {}
        offset = 0
        for family in sorted(self.cells):
            self._cell_offset[family] = offset
            offset += len(self.cells[family].starts)
        self.n_cells = offset
        self._owners_by_cell = self._network_set_cells(network_sets)

        used: dict[int, list[int]] = {}
        for e in cluster.endpoints:
            for ip in e.ips:
                used.setdefault(ip.version, []).append(int(ip))
        for values in used.values():
            values.sort()
        self.externals = [ext for ext, _, _ in external_endpoints(self.cells, used, self._owners_by_cell)]
        self.endpoints: list[Endpoint] = self.policed + self.externals
        self._by_id = {e.id: e for e in self.endpoints}

        self._signatures()
        self._classify_all(cluster)
        self.atoms = PortAtoms(self._rules, self.policed)
        self._vec_cache: dict[tuple, np.ndarray] = {}
        self._interned: dict[bytes, np.ndarray] = {}
        self._rule_cache: dict[tuple[int, str], tuple] = {}
        self._terms_cache: dict[tuple, RuleTerm] = {}
        self._self_cache: dict[tuple[int, str], bool] = {}
        self._alike_rules: dict[int, Rule] = {}
        self._rules_by_content: dict[tuple, Rule] = {}
        self._steps_cache: dict[tuple, tuple] = {}
        self._ports_groups: dict[tuple, dict] = {}
        self._tables: dict[tuple, SideTable] = {}
        self._bases: dict[tuple, tuple[np.ndarray, int, np.ndarray]] = {}
        self._sides: dict[tuple, SideTable] = {}
        self._side_keys: dict[tuple[str, str], tuple] = {}
        self._conn_cache: dict[bytes, ConnectionSet] = {}
        self._applicable: dict[tuple[int, str], list[tuple[Tier, list[Policy]]]] = {}

    def _network_set_cells(self, network_sets: list[Endpoint]) -> dict[tuple[int, int], list[Endpoint]]:
        owners: dict[tuple[int, int], dict[str, Endpoint]] = {}
        for netset in network_sets:
            for net in netset.nets:
                cells = self.cells.get(net.version)
                if cells is None:
                    continue
                lo, hi = int(net.network_address), int(net.broadcast_address)
                for idx in range(cells.cell_of(lo), cells.cell_of(hi) + 1):
                    owners.setdefault((net.version, idx), {})[netset.id] = netset
        return {key: list(found.values()) for key, found in owners.items()}

    def _signatures(self) -> None:
        """Index every owner's labels; a label set's signature is the set of selectors matching it."""
        self.index = LabelIndex()
        owners = self.policed + [e for e in self.ctx.cluster.endpoints if not e.policed and e.nets]
        self._set_of_endpoint = {e.id: self.index.add(e.selector_labels) for e in owners}
        selectors: dict[str, Selector] = {}
        for policy in self._policies:
            selectors.setdefault(policy.selector.canonical, policy.selector)
            for rule in policy.ingress + policy.egress:
                for entity in (rule.source, rule.destination):
                    for sel in (entity.selector, entity.not_selector):
                        if sel is not None:
                            selectors.setdefault(sel.canonical, sel)
        self._selector_list = list(selectors.values())
        members: list[np.ndarray] = []
        owners_of: list[np.ndarray] = []
        for number, selector in enumerate(self._selector_list):
            ids = self.index.matching(selector)
            members.append(ids)
            owners_of.append(np.full(len(ids), number, dtype=np.int64))
        n_sets = len(self.index)
        signature_ids: dict[tuple[int, ...], int] = {}
        self.sig_of_set = np.zeros(n_sets, dtype=np.int64)
        if members:
            set_ids = np.concatenate(members)
            sel_ids = np.concatenate(owners_of)
            order = np.lexsort((sel_ids, set_ids))
            set_ids, sel_ids = set_ids[order], sel_ids[order]
            bounds = np.searchsorted(set_ids, np.arange(n_sets + 1))
            for ls in range(n_sets):
                key = tuple(sel_ids[bounds[ls]:bounds[ls + 1]].tolist())
                self.sig_of_set[ls] = signature_ids.setdefault(key, len(signature_ids))
        else:
            self.sig_of_set[:] = signature_ids.setdefault((), 0)
        self._signature_ids = signature_ids
        self._sig_members = {sig: frozenset(key) for key, sig in signature_ids.items()}

    def _signature(self, labels) -> int:
        """The selector signature of any label set (one not indexed is matched selector by selector)."""
        key = frozenset(labels.items())
        known = self.index._ids.get(key)
        if known is not None and known < len(self.sig_of_set):
            return int(self.sig_of_set[known])
        members = tuple(i for i, sel in enumerate(self._selector_list) if sel.matches(labels))
        found = self._signature_ids.get(members)
        if found is None:
            found = self._signature_ids[members] = len(self._signature_ids)
            self._sig_members[found] = frozenset(members)
            self.__dict__.pop("_sigs_by_selector", None)
        return found

    def _endpoint_signature(self, endpoint: Endpoint) -> int:
        found = self._set_of_endpoint.get(endpoint.id)
        if found is None:
            return self._signature(endpoint.selector_labels)
        return int(self.sig_of_set[found])

    def _classify_all(self, cluster: Cluster) -> None:
        used_names = {n for r in self._rules for e in (r.source, r.destination)
                      for m in (e.ports, e.not_ports) if m is not None for n in m.names}
        self._service_backends = self._services_used()
        ip_owners: dict = {}
        for e in cluster.endpoints:
            for ip in e.ips:
                ip_owners.setdefault(ip, []).append(e)
        self.classes: list[PeerClass] = []
        self._class_keys: dict[tuple, int] = {}
        self.peer_class: dict[tuple[str, int], int] = {}
        self._profile_keys: dict[tuple, int] = {}
        self._profile_names: dict[tuple[str, ...], int] = {}
        for number, endpoint in enumerate(self.endpoints):
            if self._progress is not None and number % 4096 == 0:
                self._progress("classes of endpoints", number, len(self.endpoints))
            for family in sorted({ip.version for ip in endpoint.ips}):
                address = next(ip for ip in endpoint.ips if ip.version == family)
                self.peer_class[(endpoint.id, family)] = self._classify(endpoint, address, ip_owners, used_names)
        n = len(self.classes)
        self.class_family = np.array([c.family for c in self.classes], dtype=np.int64).reshape(n)
        self.class_cell = np.array([c.cell for c in self.classes], dtype=np.int64).reshape(n)
        self.class_own = np.array([c.own_labels for c in self.classes], dtype=np.int64).reshape(n)
        self._classes_by_sig: dict[int, list[int]] = {}
        self._extra_classes: list[int] = []
        self._classes_by_extra_sig: dict[int, list[int]] = {}
        for cls in self.classes:
            if cls.own_labels >= 0:
                self._classes_by_sig.setdefault(cls.own_labels, []).append(cls.index)
            if cls.extra_labels:
                self._extra_classes.append(cls.index)
                for sig in cls.extra_labels:
                    self._classes_by_extra_sig.setdefault(sig, []).append(cls.index)

    def _services_used(self) -> dict[str, tuple]:
        """Endpoint id → service refs (named by rules) it backs."""
        refs = {ref for r in self._rules for e in (r.source, r.destination) for ref in e.services}
        backends: dict[str, list] = {}
        for ref in sorted(refs, key=lambda r: (r.namespace, r.name)):
            for backend in self.ctx.service_backends(ref):
                backends.setdefault(backend.id, []).append(ref)
        return {k: tuple(v) for k, v in backends.items()}

    def _classify(self, endpoint: Endpoint, address, ip_owners, used_names: set[str]) -> int:
        family = address.version
        local = self.cells[family].cell_of(int(address))
        cell = self._cell_offset[family] + local
        policed = endpoint.policed
        own = self._endpoint_signature(endpoint) if policed else -1
        extra = {self._endpoint_signature(o) for o in self._owners_by_cell.get((family, local), ())}
        extra |= {self._endpoint_signature(o) for o in ip_owners.get(address, ())
                  if o is not endpoint and (o.policed or o.nets)}
        services = self._service_backends.get(endpoint.id, ()) if policed else ()
        ports = (endpoint.ports if services else
                 tuple(p for p in endpoint.ports if p.name in used_names)) if policed and used_names else ()
        profiles = self._profile_key(endpoint) if policed else -1
        key = (family, cell, own, tuple(sorted(extra)), ports, services, profiles)
        index = self._class_keys.get(key)
        if index is None:
            index = self._class_keys[key] = len(self.classes)
            self.classes.append(PeerClass(index, family, cell, own, tuple(sorted(extra)),
                                          endpoint if policed else None, profiles))
        self.classes[index].members.append(endpoint)
        return index

    def _profile_key(self, endpoint: Endpoint) -> int:
        names = default_profiles(endpoint)
        found = self._profile_names.get(names)
        if found is None:
            content = tuple(p if isinstance(p, str) else (p.ingress, p.egress) for p in self.ctx.profiles_of(endpoint))
            found = self._profile_names[names] = self._profile_keys.setdefault(content, len(self._profile_keys))
        return found

    # ---- vectors over peer classes --------------------------------------------------------------
    def _selector_vector(self, selector: Selector, own_only: bool = False) -> np.ndarray:
        """Peer classes at whose address some owner matches the selector (`own_only`: the endpoint itself)."""
        key = ("own" if own_only else "sel", selector.canonical)
        cached = self._vec_cache.get(key)
        if cached is not None:
            return _unpack(cached, len(self.classes))
        if cached is None:
            vec = np.zeros(len(self.classes), dtype=bool)
            number = self._selector_number(selector)
            if number is None:  # a selector no policy uses: match it directly
                matching = set(self.index.matching(selector).tolist())
                sigs = {int(self.sig_of_set[i]) for i in matching}
                own = {c.index for c in self.classes if c.endpoint is not None
                       and self.index.add(c.endpoint.selector_labels) in matching}
                vec[list(own)] = True
                extra_ok = lambda c: any(  # noqa: E731
                    o.nets and self.index.add(o.selector_labels) in matching for o in self._extra_owners(c))
            else:
                sigs = self._sigs_with(number)
                for sig in sigs:
                    vec[self._classes_by_sig.get(sig, [])] = True
                if not own_only:
                    for sig in sigs:
                        vec[self._classes_by_extra_sig.get(sig, [])] = True
                extra_ok = None
            if not own_only and extra_ok is not None:
                for index in self._extra_classes:
                    if extra_ok(self.classes[index]):
                        vec[index] = True
            self._vec_cache[key] = self._packed(vec)
        return vec

    def _packed(self, vector: np.ndarray) -> np.ndarray:
        """The vector packed into bits, one shared copy per distinct content (rules repeat vectors)."""
        packed = _pack(vector)
        return self._interned.setdefault(packed.tobytes(), packed)

    def _extra_owners(self, cls: PeerClass) -> list[Endpoint]:
        member = cls.members[0]
        address = next(ip for ip in member.ips if ip.version == cls.family)
        local = self.cells[cls.family].cell_of(int(address))
        return [o for o in self._owners_by_cell.get((cls.family, local), [])]

    def _selector_number(self, selector: Selector) -> int | None:
        numbers = self.__dict__.get("_sel_numbers")
        if numbers is None:
            numbers = self.__dict__["_sel_numbers"] = {s.canonical: i for i, s in enumerate(self._selector_list)}
        return numbers.get(selector.canonical)

    def _sigs_with(self, number: int) -> set[int]:
        by_selector = self.__dict__.get("_sigs_by_selector")
        if by_selector is None:
            by_selector = {}
            for sig, members in self._sig_members.items():
                for sel in members:
                    by_selector.setdefault(sel, set()).add(sig)
            self.__dict__["_sigs_by_selector"] = by_selector
        return by_selector.get(number, set())

    def _nets_vector(self, nets: tuple) -> np.ndarray:
        key = ("nets", nets)
        cached = self._vec_cache.get(key)
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
            vec = by_cell[self.class_cell]
            self._vec_cache[key] = self._packed(vec)
            return vec
        return _unpack(cached, len(self.classes))

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

    def _port_array(self, entity: EntityMatch, side: str) -> np.ndarray | ClassRows | None:
        """Atoms the side's ports allow: a vector, per-class rows when named ports or services make
        it depend on the endpoint, or None when the side does not restrict ports."""
        atoms = self.atoms
        second = side == "source"
        mask_fn = atoms.second_mask if second else atoms.first_mask
        services = entity.services if side == "destination" else ()
        if entity.ports is None and entity.not_ports is None and not services:
            return None
        numeric = np.ones(atoms.size, dtype=bool)
        if entity.ports is not None:
            numeric &= atoms.is_port & mask_fn(entity.ports.numbers)
        if entity.not_ports is not None:
            numeric &= atoms.is_port & ~mask_fn(entity.not_ports.numbers)
        names = set(entity.ports.names if entity.ports else ()) | set(
            entity.not_ports.names if entity.not_ports else ())
        if not names and not services:
            return numeric
        backends = {b.id: ref for ref in services for b in self.ctx.service_backends(ref)}
        positive = (self._selector_vector(entity.selector, own_only=True) if entity.selector is not None
                    else None)
        default = numeric if not services else np.zeros(atoms.size, dtype=bool)
        rows: dict[bytes, int] = {default.tobytes(): 0}
        table = [default]
        positions: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for (_ports, _backend), members in self._classes_by_ports(names, backends).items():
            endpoint = self.classes[int(members[0])].endpoint
            own = positive[members] if positive is not None else np.ones(len(members), dtype=bool)
            for own_ok in (True, False):
                chosen = members[own == own_ok]
                if not len(chosen):
                    continue
                row = self._endpoint_ports_row(entity, endpoint, second, own_ok, numeric, backends)
                found = rows.setdefault(row.tobytes(), len(table))
                if found == len(table):
                    table.append(row)
                if found:
                    positions.append(chosen)
                    values.append(np.full(len(chosen), found, dtype=np.int32))
        order_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
        order_val = np.concatenate(values) if values else np.zeros(0, dtype=np.int32)
        order = np.argsort(order_pos, kind="stable")
        return ClassRows(order_pos[order], order_val[order], np.array(table, dtype=bool), len(self.classes))

    def _classes_by_ports(self, names: set[str], backends: dict) -> dict[tuple, np.ndarray]:
        """Peer classes whose endpoint has a port of one of these names or backs one of the services,
        grouped by the endpoint's ports (and, for service backends, the endpoint)."""
        cache_key = (frozenset(names), frozenset(backends))
        cached = self._ports_groups.get(cache_key)
        if cached is not None:
            return cached
        by_name = self.__dict__.get("_classes_by_port_name")
        if by_name is None:
            by_name = {}
            for cls in self.classes:
                if cls.endpoint is not None:
                    for np_ in cls.endpoint.ports:
                        if np_.name:
                            by_name.setdefault(np_.name, set()).add(cls.index)
            self.__dict__["_classes_by_port_name"] = by_name
        found = set().union(*(by_name.get(n, set()) for n in names)) if names else set()
        if backends:
            found |= {c.index for c in self.classes if c.endpoint is not None and c.endpoint.id in backends}
        groups: dict[tuple, list[int]] = {}
        for index in sorted(found):
            endpoint = self.classes[index].endpoint
            groups.setdefault((endpoint.ports, endpoint.id if endpoint.id in backends else None), []).append(index)
        found_groups = {key: np.array(members, dtype=np.int64) for key, members in groups.items()}
        self._ports_groups[cache_key] = found_groups
        return found_groups

    def _endpoint_ports_row(self, entity: EntityMatch, endpoint: Endpoint, second: bool, own_ok: bool,
                            numeric: np.ndarray, backends: dict) -> np.ndarray:
        atoms = self.atoms
        mask_fn = atoms.second_mask if second else atoms.first_mask

        def named(match) -> np.ndarray:
            out = np.zeros(atoms.size, dtype=bool)
            if match is not None and match.names and own_ok:
                for np_ in endpoint.ports:
                    if np_.name in match.names:
                        out |= atoms.point_mask(np_.protocol, np_.port, second)
            return out

        row = np.ones(atoms.size, dtype=bool)
        if entity.ports is not None:
            row &= (atoms.is_port & mask_fn(entity.ports.numbers)) | named(entity.ports)
        if entity.not_ports is not None:
            row &= atoms.is_port & ~(mask_fn(entity.not_ports.numbers) | named(entity.not_ports))
        if backends:
            served = np.zeros(atoms.size, dtype=bool)
            ref = backends.get(endpoint.id)
            if ref is not None:
                for ref_ in entity.services:
                    for proto, port in self.ctx.service_target_ports(ref_, endpoint):
                        served |= atoms.point_mask(proto, port)
            row &= served
        return row

    def _family_vector(self, families: tuple[int, ...]) -> np.ndarray:
        """Peer classes of these address families."""
        found = self._vec_cache.get(("families", families))
        if found is None:
            found = self._vec_cache[("families", families)] = np.isin(self.class_family, list(families))
        return found

    def _alike(self, rule: Rule) -> Rule:
        """The first rule seen that matches the same packets (rules repeat across namespaces): caches
        keyed by it are shared by every rule alike."""
        found = self._alike_rules.get(id(rule))
        if found is None:
            content = (rule.protocol, rule.not_protocol, rule.icmp, rule.not_icmp, rule.ip_version,
                       rule.source, rule.destination)
            found = self._alike_rules[id(rule)] = self._rules_by_content.setdefault(content, rule)
        return found

    def _rule_parts(self, rule: Rule, direction: str) -> tuple:
        rule = self._alike(rule)
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
                hit = atoms.is_icmp & atoms.first_mask(IntervalSet.span(icmp.type, icmp.type))
                if icmp.code is not None:
                    hit &= atoms.second_mask(IntervalSet.span(icmp.code, icmp.code))
                base &= ~hit if negate else hit
            fam_vec = self._family_vector(tuple(f for f in sorted(self.cells) if rule_family_ok(rule, f)))
            src_vec = self._entity_vector(rule.source, "source")
            dst_vec = self._entity_vector(rule.destination, "destination")
            src_ports = self._port_array(rule.source, "source")
            dst_ports = self._port_array(rule.destination, "destination")
            cached = self._rule_cache[key] = (base, self._packed(fam_vec), self._packed(src_vec),
                                              self._packed(dst_vec),
                                              src_ports, dst_ports)
        return cached

    def _peer_and_own(self, rule: Rule, direction: str) -> tuple:
        """(atoms, families, peer vector, peer ports, own vector, own ports) of the rule: the peer side is
        the source of an ingress rule and the destination of an egress rule, the own side the other."""
        base, fam_vec, src_vec, dst_vec, src_ports, dst_ports = self._rule_parts(rule, direction)
        if direction == INGRESS:
            return base, fam_vec, src_vec, src_ports, dst_vec, dst_ports
        return base, fam_vec, dst_vec, dst_ports, src_vec, src_ports

    def _self_part(self, rule: Rule, direction: str, subject_classes: dict[int, int]) -> tuple:
        """What a subject contributes to a rule's match: per family whether it satisfies the rule's own
        side, and its row of the own side's named ports (-1 when they do not depend on the endpoint)."""
        *_, self_vec, self_ports = self._peer_and_own(rule, direction)
        if not self._self_dependent(rule, direction):
            return tuple((f, True) for f in sorted(subject_classes)), -1
        own = next(iter(subject_classes.values()))
        self_row = int(self_ports.at(np.array([own]))[0]) if isinstance(self_ports, ClassRows) else -1
        classes = np.array([c for _, c in sorted(subject_classes.items())], dtype=np.int64)
        bits = _bits_at(self_vec, classes).tolist()
        return tuple(zip(sorted(subject_classes), bits, strict=True)), self_row

    def _self_dependent(self, rule: Rule, direction: str) -> bool:
        """Whether the rule's own side (destination of ingress, source of egress) tells subjects apart."""
        rule = self._alike(rule)
        key = (id(rule), direction)
        found = self._self_cache.get(key)
        if found is None:
            *_, self_vec, self_ports = self._peer_and_own(rule, direction)
            found = self._self_cache[key] = (isinstance(self_ports, ClassRows)
                                             or not _unpack(self_vec, len(self.classes)).all())
        return found

    def _rule_terms(self, rule: Rule, direction: str, subject_classes: dict[int, int]) -> RuleTerm:
        """The rule's match for a subject (its peer class per family)."""
        return self._term(rule, direction, self._self_part(rule, direction, subject_classes))

    def _term(self, rule: Rule, direction: str, self_part: tuple) -> RuleTerm:
        """The rule's match for a subject that contributes `self_part` (see `_self_part`): peer classes ×
        atoms, with per-class atoms where named ports make them depend on the peer.

        Cached by what the subject contributes, so that subjects alike share one computation."""
        rule = self._alike(rule)
        key = (id(rule), direction, self_part)
        found = self._terms_cache.get(key)
        if found is not None:
            return found
        base, fam_vec, peer_vec, peer_ports, _, self_ports = self._peer_and_own(rule, direction)
        self_key, self_row = self_part
        self_ok = np.zeros(len(self.classes), dtype=bool)
        for family, ok in self_key:
            if ok:
                self_ok |= self.class_family == family
        n = len(self.classes)
        classes = self._packed(_unpack(fam_vec, n) & _unpack(peer_vec, n) & self_ok)
        atoms = base
        if self_ports is not None:
            atoms = atoms & (self_ports.rows[self_row] if isinstance(self_ports, ClassRows) else self_ports)
        per_class = peer_ports if isinstance(peer_ports, ClassRows) else None
        if peer_ports is not None and per_class is None:
            atoms = atoms & peer_ports
        found = self._terms_cache[key] = RuleTerm(classes, atoms, per_class, n)
        return found

    def _rule_match(self, rule: Rule, direction: str, subject_classes: dict[int, int]) -> np.ndarray:
        """(peer classes × atoms) of packets the rule matches, for a subject (its class per family)."""
        term = self._rule_terms(rule, direction, subject_classes)
        result = _unpack(term.classes, len(self.classes))[:, None] & term.atoms[None, :]
        if term.per_class is not None:
            result &= term.per_class.dense()
        return result

    # ---- evaluation -------------------------------------------------------------------------------
    def _tiers_for(self, endpoint: Endpoint, direction: str) -> list[tuple[Tier, list[Policy]]]:
        """Tiers with at least one policy applying to the endpoint in this direction, in order.

        A policy applies when its selector is in the signature of the endpoint's labels."""
        signature = self._endpoint_signature(endpoint)
        key = (signature, direction)
        found = self._applicable.get(key)
        if found is None:
            matched = self._sig_members.get(signature, frozenset())
            by_selector = self._policies_by_selector()
            applying = sorted((item for number in matched for item in by_selector.get(number, ())
                               if item[2].governs(direction)), key=lambda item: item[0])
            found = []
            for _, tier, policy in applying:
                if found and found[-1][0] is tier:
                    found[-1][1].append(policy)
                else:
                    found.append((tier, [policy]))
            self._applicable[key] = found
        return found

    def _policies_by_selector(self) -> dict[int | None, list[tuple[int, Tier, Policy]]]:
        """Selector number → (evaluation position, tier, policy) of the policies with that selector."""
        found = self.__dict__.get("_by_selector")
        if found is None:
            found = {}
            position = 0
            for tier_policies in self.ctx.tiers:
                for policy in tier_policies.policies:
                    number = self._selector_number(policy.selector)
                    found.setdefault(number, []).append((position, tier_policies.tier, policy))
                    position += 1
            self.__dict__["_by_selector"] = found
        return found

    def _subject_classes(self, endpoint: Endpoint) -> dict[int, int]:
        return {f: self.peer_class[(endpoint.id, f)] for f in self.cells if (endpoint.id, f) in self.peer_class}

    def _steps(self, endpoint: Endpoint, direction: str, subject: dict[int, int]) -> tuple[tuple, list, list]:
        """The evaluation steps (tier starts, rules, tier ends, profiles) of a subject in one direction,
        shared by subjects with the same applying policies and profiles; with the rules whose own side
        tells subjects apart."""
        profiles = self.classes[next(iter(subject.values()))].profiles if subject else -1
        tiers = self._tiers_for(endpoint, direction)
        key = (tuple(id(p) for _, policies in tiers for p in policies), profiles, direction)
        found = self._steps_cache.get(key)
        if found is None:
            steps: list[tuple[str, Tier | None, Rule | None]] = []
            for tier, policies in tiers:
                steps.append(("tier", tier, None))
                steps += [("rule", tier, rule) for policy in policies for rule in policy.rules(direction)
                          if rule.action in (ALLOW, DENY, PASS)]
                steps.append(("end", tier, None))
            for profile in self.ctx.profiles_of(endpoint):
                if isinstance(profile, str):
                    continue
                steps.append(("profile", None, None))
                steps += [("rule", None, rule) for rule in profile.rules(direction)
                          if rule.action in (ALLOW, DENY, PASS)]
            dependent = [rule for _, _, rule in steps if rule is not None and self._self_dependent(rule, direction)]
            found = self._steps_cache[key] = (key, steps, dependent)
        return found

    def side_table(self, endpoint: Endpoint, direction: str) -> SideTable:
        """The endpoint's verdicts in one direction, grouped (sparse in peer classes)."""
        key = self._side_keys.get((endpoint.id, direction))
        if key is None:
            subject = self._subject_classes(endpoint)
            steps_key, steps, dependent = self._steps(endpoint, direction, subject)
            parts = tuple(self._self_part(rule, direction, subject) for rule in dependent)
            key = (steps_key, tuple(sorted(subject)), parts)
            self._side_keys[(endpoint.id, direction)] = key
            found = self._sides.get(key)
            if found is None:
                own_parts = dict(zip((id(rule) for rule in dependent), parts, strict=True))
                found = self._sides[key] = self._evaluate(steps, direction, key[1], own_parts)
            return found
        return self._sides[key]

    def side(self, endpoint: Endpoint, direction: str) -> np.ndarray:
        """(peer classes × atoms): what the endpoint's policies allow in this direction."""
        return self.side_table(endpoint, direction).dense()

    def _evaluate(self, steps: list[tuple], direction: str, families: tuple[int, ...],
                  own_parts: dict[int, tuple]) -> SideTable:
        """The side table of the steps for a subject with these address families and, for the rules
        whose own side tells subjects apart, these own parts."""
        default = (tuple((f, True) for f in families), -1)
        terms = [(kind, tier, rule, self._term(rule, direction, own_parts.get(id(rule), default))
                  if rule is not None else None) for kind, tier, rule in steps]
        content = tuple((kind, tier.default_action if tier else None, rule.action if rule else None,
                         term.digest if term else None) for kind, tier, rule, term in terms)
        found = self._tables.get(content)
        if found is None:
            groups = self._local_groups([t[3] for t in terms if t[3] is not None])
            found = self._tables[content] = self._side_table(groups, terms)
        return found

    def _side_table(self, groups: tuple, terms: list[tuple]) -> SideTable:
        base, base_count, positions, members, reps, narrow = groups
        return SideTable(base, positions, members, self._first_match(terms, reps, base_count, narrow))

    def _local_groups(self, terms: list[RuleTerm]) -> tuple:
        """Group peer classes that the rule terms cannot tell apart: (base groups, their number, classes
        the narrow terms single out, their groups, a representative class per group, the narrow terms).

        Broad terms (touching many classes, typically cluster-wide policies) give a base partition that
        is computed once and shared; narrow terms only regroup the classes they touch. The classes a
        base group keeps are matched by no narrow term, so its row is found from the broad terms alone."""
        n = len(self.classes)
        broad, narrow = [], []
        for term in terms:
            (broad if term.count > n // 16 else narrow).append(term)
        base, base_count, base_reps = self._base_groups(tuple(broad))
        narrow_ids = {id(t) for t in narrow}
        idx = (np.unique(np.concatenate([t.indices for t in narrow])) if narrow
               else np.zeros(0, dtype=np.int64))
        labels, count = base[idx].astype(np.int64), base_count
        marks = np.zeros(n, dtype=bool)
        for term in narrow:
            marks[term.indices] = True
            labels, count = _refine(labels, count, marks[idx], 2)
            marks[term.indices] = False
            if term.per_class is not None:
                labels, count = _refine(labels, count, term.per_class.at(idx), len(term.per_class.rows))
        groups = (base_count + labels).astype(np.int32)
        reps = np.concatenate((base_reps, _representatives(labels, count, idx)))
        return base, base_count, idx.astype(np.int64), groups, reps, narrow_ids

    def _base_groups(self, broad: tuple) -> tuple[np.ndarray, int, np.ndarray]:
        """The partition of every peer class by the broad terms (shared by every table that has them),
        built by refining the partition of the longest prefix already known: (groups, count, a
        representative class per group)."""
        key = tuple((t.digest, id(t.per_class)) for t in broad)
        found = self._bases.get(key)
        if found is not None:
            return found
        n = len(self.classes)
        if not broad:
            labels, count = np.zeros(n, dtype=np.int64), 1 if n else 0
        else:
            previous, count, _ = self._base_groups(broad[:-1])
            term = broad[-1]
            labels, count = _refine(previous.astype(np.int64), count, _unpack(term.classes, n), 2)
            if term.per_class is not None:
                labels, count = _refine(labels, count, term.per_class.at(np.arange(n)), len(term.per_class.rows))
        found = self._bases[key] = (labels.astype(_label_type(count)), count, _representatives(labels, count))
        return found

    def _first_match(self, terms: list[tuple], reps: np.ndarray, base_count: int = 0,
                     narrow: set[int] = frozenset()) -> np.ndarray:
        """Felix's algorithm over (local groups × atoms); narrow terms do not match the first
        `base_count` groups (the classes they leave alone)."""
        shape = (len(reps), self.atoms.size)
        allowed = np.zeros(shape, dtype=bool)
        undecided = np.ones(shape, dtype=bool)
        open_ = passed = undecided          # open_: undecided and not yet matched in this tier
        tier: Tier | None = None
        for kind, step_tier, rule, term in terms:
            if kind in ("tier", "profile"):
                open_ = undecided.copy()
                passed = np.zeros(shape, dtype=bool)
                tier = step_tier
                continue
            if kind == "end":
                if tier is not None and tier.default_action == PASS:
                    passed |= open_
                undecided &= passed
                continue
            hit = _bits_at(term.classes, reps)[:, None] & term.atoms[None, :]
            if term.per_class is not None:
                hit &= term.per_class.rows[term.per_class.at(reps)]
            if id(term) in narrow:
                hit[:base_count] = False
            hit &= open_
            if not hit.any():
                continue
            open_ &= ~hit
            if rule.action == ALLOW:
                allowed |= hit
                undecided &= ~hit
            elif rule.action == DENY:
                undecided &= ~hit
            else:
                passed |= hit
        return allowed

    # ---- results ------------------------------------------------------------------------------
    def common_family(self, src: Endpoint, dst: Endpoint) -> int | None:
        both = {ip.version for ip in src.ips} & {ip.version for ip in dst.ips}
        return min(both) if both else None

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

    def endpoint(self, endpoint_id: str) -> Endpoint:
        found = self._by_id.get(endpoint_id)
        if found is None:
            raise KeyError(endpoint_id)
        return found

    def flows(self) -> Iterator[tuple[Endpoint, Endpoint, ConnectionSet]]:
        """Every ordered pair with something allowed, in endpoint order; pairs of two unpoliced peers
        (external ranges) are not governed by any policy and are left out."""
        from netpolicy.engine.pairs import class_pairs, endpoint_classes

        classes = endpoint_classes(self)
        position = {e.id: i for i, e in enumerate(self.endpoints)}
        targets: dict[str, list[tuple[int, Endpoint, ConnectionSet]]] = {}
        for src, dst, conns in class_pairs(self, classes):
            targets.setdefault(src.id, []).extend((position[m.id], m, conns) for m in dst.members)
        class_of = {m.id: c.id for c in classes for m in c.members}
        for found in targets.values():
            found.sort(key=lambda item: item[0])
        for src in self.endpoints:
            for _, dst, conns in targets.get(class_of[src.id], ()):
                yield src, dst, conns


def compute_matrix(cluster: Cluster, options: Options | None = None,
                   progress: StageReport | None = None) -> Matrix:
    """The connectivity matrix of a cluster; `progress(stage, done, total)`, when given, is told how
    far the set-up is."""
    return Matrix(cluster, options, progress)


def rule_peers(matrix: Matrix, rule: Rule, direction: str) -> list[Endpoint]:
    """Endpoints and external ranges on the rule's peer side (sources of ingress, destinations of egress)."""
    _, fam_bits, peer_bits, *_ = matrix._peer_and_own(rule, direction)
    n = len(matrix.classes)
    vec = _unpack(peer_bits, n) & _unpack(fam_bits, n)
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
