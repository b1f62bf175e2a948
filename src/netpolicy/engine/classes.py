"""Peer classes: endpoints whose addresses every rule treats alike, found through selector signatures.

Every IP owner's labels go into a label index; a label set's *signature* is the set of selectors (of
policies and rules) matching it. A peer class is an IP cell, the signature of the endpoint's own labels,
the signatures of other owners at its address (network sets, shared IPs), its named ports, the services
it backs and its profiles, and, when host endpoint hooks matter to pods (`hook_tables.py`), its node.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from netpolicy.engine.atoms import external_endpoints, ip_cells, rule_networks
from netpolicy.engine.context import EngineContext
from netpolicy.engine.labelindex import LabelIndex
from netpolicy.engine.nat_outgoing import pool_networks
from netpolicy.model.cluster import EXTERNAL, Endpoint, default_profiles
from netpolicy.model.ir import Policy, Rule
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
    node: str | None = None         # its pods' node, when classes are told apart by node


class PeerClasses:
    """The cluster's endpoints and external ranges, their IP cells, and their peer classes."""

    def __init__(self, ctx: EngineContext, policies: list[Policy], selectors: list[Selector],
                 progress: StageReport | None = None,
                 node_of: Callable[[Endpoint], str | None] | None = None) -> None:
        self.ctx = ctx
        self.node_of = node_of
        cluster = ctx.cluster
        self.policed = sorted((e for e in cluster.endpoints if e.policed), key=lambda e: e.id)
        network_sets = [e for e in cluster.endpoints if not e.policed and e.nets]
        self.rules: list[Rule] = [r for p in policies for r in p.ingress + p.egress]
        families = {ip.version for e in self.policed for ip in e.ips} | {4}
        self.service_refs = sorted({ref for r in self.rules for e in (r.source, r.destination) for ref in e.services},
                                   key=lambda r: (r.namespace, r.name))
        nets = (rule_networks(policies) + [n for s in network_sets for n in s.nets] + self._backend_hosts()
                + [n for s in cluster.services if s.type == "LoadBalancer" for n in s.load_balancer_source_ranges]
                + pool_networks(cluster))
        families |= {n.version for n in nets}
        self.cells = ip_cells(nets, families)
        self.cell_offset: dict[int, int] = {}
        offset = 0
        for family in sorted(self.cells):
            self.cell_offset[family] = offset
            offset += len(self.cells[family].starts)
        self.n_cells = offset
        self.owners_by_cell = self._network_set_cells(network_sets)

        used: dict[int, list[int]] = {}
        for e in cluster.endpoints:
            for ip in e.ips:
                used.setdefault(ip.version, []).append(int(ip))
        for values in used.values():
            values.sort()
        self.externals = [ext for ext, _, _ in external_endpoints(self.cells, used, self.owners_by_cell)]
        self.endpoints: list[Endpoint] = self.policed + self.externals
        self.by_id = {e.id: e for e in self.endpoints}
        self._signatures(network_sets, selectors)
        self._classify_all(progress)

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

    # ---- signatures ------------------------------------------------------------------------------
    def _signatures(self, network_sets: list[Endpoint], selectors: list[Selector]) -> None:
        """Index every owner's labels; a label set's signature is the set of selectors matching it."""
        self.index = LabelIndex()
        owners = self.policed + network_sets
        self.set_of_endpoint = {e.id: self.index.add(e.selector_labels) for e in owners}
        self.selectors = selectors
        self.selector_numbers = {s.canonical: i for i, s in enumerate(selectors)}
        members: list[np.ndarray] = []
        owners_of: list[np.ndarray] = []
        for number, selector in enumerate(selectors):
            ids = self.index.matching(selector)
            members.append(ids)
            owners_of.append(np.full(len(ids), number, dtype=np.int64))
        n_sets = len(self.index)
        signature_ids: dict[tuple[int, ...], int] = {}
        if members:
            set_ids = np.concatenate(members)
            sel_ids = np.concatenate(owners_of)
            order = np.lexsort((sel_ids, set_ids))
            set_ids, sel_ids = set_ids[order], sel_ids[order]
            bounds = np.searchsorted(set_ids, np.arange(n_sets + 1)).tolist()
            numbers = sel_ids.tolist()
            self.sig_of_set: list[int] = [
                signature_ids.setdefault(tuple(numbers[bounds[ls]:bounds[ls + 1]]), len(signature_ids))
                for ls in range(n_sets)]
        else:
            self.sig_of_set = [signature_ids.setdefault((), 0)] * n_sets
        self.signature_ids = signature_ids
        self.sig_members = {sig: frozenset(key) for key, sig in signature_ids.items()}
        self._sigs_by_selector: dict[int, set[int]] | None = None
        self._classes_of_set: dict[int, list[int]] | None = None

    def signature(self, labels: Mapping[str, str]) -> int:
        """The selector signature of any label set (one not indexed is matched selector by selector)."""
        known = self.index.find(labels)
        if known is not None and known < len(self.sig_of_set):
            return self.sig_of_set[known]
        members = tuple(i for i, sel in enumerate(self.selectors) if sel.matches(labels))
        found = self.signature_ids.get(members)
        if found is None:
            found = self.signature_ids[members] = len(self.signature_ids)
            self.sig_members[found] = frozenset(members)
            self._sigs_by_selector = None
        return found

    def endpoint_signature(self, endpoint: Endpoint) -> int:
        found = self.set_of_endpoint.get(endpoint.id)
        if found is None:
            return self.signature(endpoint.selector_labels)
        return self.sig_of_set[found]

    def selector_number(self, selector: Selector) -> int | None:
        return self.selector_numbers.get(selector.canonical)

    def sigs_with(self, number: int) -> set[int]:
        """The signatures that contain selector `number`."""
        if self._sigs_by_selector is None:
            by_selector: dict[int, set[int]] = {}
            for sig, members in self.sig_members.items():
                for sel in members:
                    by_selector.setdefault(sel, set()).add(sig)
            self._sigs_by_selector = by_selector
        return self._sigs_by_selector.get(number, set())

    def own_classes(self, number: int) -> np.ndarray:
        """Sorted policed peer classes whose endpoint's own labels match selector `number`."""
        if self._classes_of_set is None:
            by_set: dict[int, list[int]] = {}
            for cls in self.classes:
                if cls.endpoint is not None:
                    by_set.setdefault(self.set_of_endpoint[cls.endpoint.id], []).append(cls.index)
            self._classes_of_set = by_set
        by_set = self._classes_of_set
        found = [c for ls in self.index.matching(self.selectors[number]).tolist() for c in by_set.get(ls, ())]
        return np.sort(np.array(found, dtype=np.int64))

    # ---- classes -------------------------------------------------------------------------------
    def _classify_all(self, progress: StageReport | None) -> None:
        used_names = {n for r in self.rules for e in (r.source, r.destination)
                      for m in (e.ports, e.not_ports) if m is not None for n in m.names}
        self.service_backends = self._services_used()
        self._external_by_cell: dict[int, int] | None = None
        ip_owners: dict = {}
        for e in self.ctx.cluster.endpoints:
            for ip in e.ips:
                ip_owners.setdefault(ip, []).append(e)
        self.classes: list[PeerClass] = []
        self._class_keys: dict[tuple, int] = {}
        self.peer_class: dict[tuple[str, int], int] = {}
        self._profile_keys: dict[tuple, int] = {}
        self._profile_names: dict[tuple[str, ...], int] = {}
        for number, endpoint in enumerate(self.endpoints):
            if progress is not None and number % 4096 == 0:
                progress("classes of endpoints", number, len(self.endpoints))
            for family in sorted({ip.version for ip in endpoint.ips}):
                address = next(ip for ip in endpoint.ips if ip.version == family)
                self.peer_class[(endpoint.id, family)] = self._classify(endpoint, address, ip_owners, used_names)
        n = len(self.classes)
        self.class_family = np.array([c.family for c in self.classes], dtype=np.int64).reshape(n)
        self.class_cell = np.array([c.cell for c in self.classes], dtype=np.int64).reshape(n)
        self.extra_classes: list[int] = []
        self.classes_by_extra_sig: dict[int, list[int]] = {}
        for cls in self.classes:
            if cls.extra_labels:
                self.extra_classes.append(cls.index)
                for sig in cls.extra_labels:
                    self.classes_by_extra_sig.setdefault(sig, []).append(cls.index)

    def _services_used(self) -> dict[str, tuple]:
        """Endpoint id → (service ref, ports served) for each Service (named by rules) it backs: endpoints
        that serve other ports are told apart."""
        backends: dict[str, dict] = {}
        for ref in self.service_refs:
            for backend in self.ctx.backends.of(ref.namespace, ref.name):
                if backend.endpoint is not None:
                    served = backends.setdefault(backend.endpoint.id, {}).setdefault(ref, set())
                    served.update(backend.ports)
        return {k: tuple((ref, tuple(sorted(ports))) for ref, ports in v.items()) for k, v in backends.items()}

    def _backend_hosts(self) -> list:
        """Service backend addresses that no pod holds (EndpointSlices may name any address), as host
        networks: each gets a cell, so an external class of its own."""
        return [ipaddress.ip_network(b.address) for ref in self.service_refs
                for b in self.ctx.backends.of(ref.namespace, ref.name) if b.endpoint is None]

    def backend_ports(self, refs) -> dict[int, set[tuple[int, int]]]:
        """Peer class → (protocol, port) pairs it serves for these Services (every backend address)."""
        out: dict[int, set[tuple[int, int]]] = {}
        for ref in refs:
            for backend in self.ctx.backends.of(ref.namespace, ref.name):
                index = self.address_class(backend.address, backend.endpoint)
                if index is not None:
                    out.setdefault(index, set()).update(backend.ports)
        return out

    def address_class(self, address, owner: Endpoint | None) -> int | None:
        """The peer class of an address: its owner's, else the external range's that holds it."""
        family = address.version
        if owner is not None:
            return self.peer_class.get((owner.id, family))
        if family not in self.cells:
            return None
        cell = self.cell_offset[family] + self.cells[family].cell_of(int(address))
        if self._external_by_cell is None:
            self._external_by_cell = {c.cell: c.index for c in self.classes if c.endpoint is None
                                      and c.members[0].kind == EXTERNAL}
        return self._external_by_cell.get(cell)

    def _classify(self, endpoint: Endpoint, address, ip_owners, used_names: set[str]) -> int:
        family = address.version
        local = self.cells[family].cell_of(int(address))
        cell = self.cell_offset[family] + local
        policed = endpoint.policed
        own = self.endpoint_signature(endpoint) if policed else -1
        extra = {self.endpoint_signature(o) for o in self.owners_by_cell.get((family, local), ())}
        extra |= {self.endpoint_signature(o) for o in ip_owners.get(address, ())
                  if o is not endpoint and (o.policed or o.nets)}
        services = self.service_backends.get(endpoint.id, ()) if policed else ()
        ports = (endpoint.ports if services else
                 tuple(p for p in endpoint.ports if p.name in used_names)) if policed and used_names else ()
        profiles = self._profile_key(endpoint) if policed else -1
        node = self.node_of(endpoint) if self.node_of is not None else None
        key = (family, cell, own, tuple(sorted(extra)), ports, services, profiles, node)
        index = self._class_keys.get(key)
        if index is None:
            index = self._class_keys[key] = len(self.classes)
            self.classes.append(PeerClass(index, family, cell, own, tuple(sorted(extra)),
                                          endpoint if policed else None, profiles, node=node))
        self.classes[index].members.append(endpoint)
        return index

    def _profile_key(self, endpoint: Endpoint) -> int:
        names = default_profiles(endpoint)
        found = self._profile_names.get(names)
        if found is None:
            content = tuple(p if isinstance(p, str) else (p.ingress, p.egress) for p in self.ctx.profiles_of(endpoint))
            found = self._profile_names[names] = self._profile_keys.setdefault(content, len(self._profile_keys))
        return found

    def extra_owners(self, cls: PeerClass) -> list[Endpoint]:
        """The network sets whose CIDRs hold the class's address."""
        member = cls.members[0]
        address = next(ip for ip in member.ips if ip.version == cls.family)
        local = self.cells[cls.family].cell_of(int(address))
        return list(self.owners_by_cell.get((cls.family, local), []))

    def subject(self, endpoint: Endpoint) -> dict[int, int]:
        """The endpoint's peer class per address family."""
        return {f: self.peer_class[(endpoint.id, f)] for f in self.cells if (endpoint.id, f) in self.peer_class}

    def __len__(self) -> int:
        return len(self.classes)
