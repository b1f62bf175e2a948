"""How many backends each pod, workload or external range reaches through a LoadBalancer IP, in bulk from
the matrix's side tables, where no host endpoint hook is on the path (docs/semantics.md#service-rows).

A pod's node translates (`service-ips`): each leg is the pod's egress to the backend on its target port
and the backend's ingress from the source it sees — the pod itself (a backend on the pod's node, a pod on
no known node, externalTrafficPolicy Local: "short-circuit pod traffic"), else the pod's node's address
(externalTrafficPolicy Cluster: masqueraded; `ServicePaths._leg`). An outside address has no egress and
is seen as itself. Computed per class, node and backend,
never per pod; what `query` cannot judge (a node without an address to masquerade to) is marked failed.

Through a node's nodePort only the entry node translates: a pod elsewhere first needs its own egress to the
node's address on the nodePort; under Cluster a backend on the entry node sees the client, any other the
entry node's address; under Local pods reach every backend with their address kept (from another node,
only those on the entry node answer through it) and outside clients the entry node's backends only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.path import unaddressed
from netpolicy.engine.tables import distinct_tables
from netpolicy.model.ir import EGRESS, INGRESS


@dataclass(frozen=True)
class Target:
    """A protocol and port a packet is judged at."""

    protocol: int
    port: int


def entry_family(entry) -> int:
    """The address family of an entry's address."""
    return ipaddress.ip_address(entry.address).version


class LoadBalancerReach:
    """Side tables of the source classes, and per source member its class and node."""

    def __init__(self, matrix, classes: list, klass: np.ndarray, node: np.ndarray, names: list[str]) -> None:
        self.matrix = matrix
        self.klass, self.node, self.names = klass, node, names
        self.egress, self.table_of = distinct_tables([matrix.side_table(c.representative, EGRESS)
                                                      if c.representative.policed else None for c in classes])
        self.peer = {f: np.array([c.classes.get(f, -1) for c in classes], dtype=np.int64) for f in matrix.cells}
        self.pod = np.array([c.representative.policed for c in classes], dtype=bool)[klass]

    def counts(self, service, legs: list, node_of) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Per member: backends reached, backends counted, whether `query` fails (and why) — over `legs`
        ((backend, target) pairs; only those with a pod are counted); `node_of`: a backend's node."""
        n = len(self.klass)
        reached, counted, failed = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                                    np.zeros(n, dtype=bool))
        why = ""
        cluster = self.matrix.cluster
        addresses = [cluster.node_addresses.get(name) for name in self.names]
        for backend, target in legs:
            family = backend.address.version
            node_peer = np.array([self._address_peer(found, family) for found in addresses] + [-1],
                                 dtype=np.int64)[self.node]
            if service.external_traffic_policy == "Local":
                masked = np.zeros(n, dtype=bool)
            else:
                there = node_of(backend)
                elsewhere = np.array([name != there for name in self.names] + [False], dtype=bool)
                masked = elsewhere[self.node]  # index -1 (unknown node) picks the trailing False
            lost = np.array([not any(a.version == family for a in found or ()) for found in addresses] + [False],
                            dtype=bool)[self.node] & masked
            if lost.any():
                failed |= lost
                why = why or str(unaddressed(self.names[int(self.node[np.argmax(lost)])]))
            if backend.endpoint is None or not backend.endpoint.policed:
                continue
            peer = self.matrix.peer_class.get((backend.endpoint.id, family))
            peers = self.peer.get(family)
            counted += 1
            if peer is None or peers is None:
                continue
            admitted = self._ok(self.matrix.side_table(backend.endpoint, INGRESS), target)
            kept = np.where(peers >= 0, admitted[np.maximum(peers, 0)], False)[self.klass]
            from_node = np.where(node_peer >= 0, admitted[np.maximum(node_peer, 0)], False)
            reached += self._sent(target, peer)[self.klass] & np.where(masked, from_node, kept)
        return np.where(failed, 0, reached), counted, failed, why

    def node_port_counts(self, service, legs: list, node_of, entry, members: dict[str, int]) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
        """Per member: backends reached and counted through `entry` (a node's address and nodePort), over
        `legs` of pod backends grouped by ingress table, target and being on the entry node; `members`: the
        member index of an endpoint id."""
        n, family = len(self.klass), entry_family(entry)
        local = service.external_traffic_policy == "Local"
        on_entry = self.node == (self.names.index(entry.node) if entry.node in self.names else -2)
        far = self.pod & ~on_entry
        reached, counted = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        peers = self.peer.get(family)
        node_peer = self.matrix.peers.address_class(ipaddress.ip_address(entry.address), None)
        port = Target(entry.service_port.protocol, entry.port)
        sent_far = self._sent(port, node_peer)[self.klass] if node_peer is not None else np.zeros(n, dtype=bool)
        groups: dict[tuple, list] = {}
        for backend, target in legs:
            if backend.endpoint is None or not backend.endpoint.policed:
                continue
            here = node_of(backend) == entry.node
            peer = self.matrix.peer_class.get((backend.endpoint.id, family))
            table = self.matrix.side_table(backend.endpoint, INGRESS)
            found = groups.setdefault((id(table), peer, target.protocol, target.port, here), [table, target, 0])
            found[2] += 1
        for (_, peer, _, _, here), (table, target, count) in groups.items():
            counted += count if not local or here else np.where(self.pod, count, 0)
            if peer is None or peers is None:
                continue
            admitted = self._ok(table, target)
            kept = np.where(peers >= 0, admitted[np.maximum(peers, 0)], False)[self.klass]
            seen = kept if here or local else np.full(n, node_peer is not None and bool(admitted[node_peer]))
            sent = np.where(far, sent_far, self._sent(target, peer)[self.klass])
            # Local: an outside client reaches the entry node's backends only, a far pod's others fail
            able = self.pod & ~far if local and not here else np.full(n, True)
            reached += np.where(sent & seen & able, count, 0)
        if local and node_peer is not None:  # a far pod that is a backend: its hairpin, masqueraded to the node
            for backend, target in legs:
                member = members.get(backend.endpoint.id) if backend.endpoint is not None else None
                if member is not None and far[member] and node_of(backend) != entry.node and sent_far[member]:
                    reached[member] += bool(self._ok(self.matrix.side_table(backend.endpoint, INGRESS), target)[node_peer])
        return reached, counted

    def _sent(self, target, peer: int | None) -> np.ndarray:
        """Per source class: its egress allows the target's port toward that peer class."""
        return np.array([True if table is None else peer is not None and bool(self._ok(table, target, peer))
                         for table in self.egress], dtype=bool)[self.table_of]

    def _address_peer(self, found, family: int) -> int:
        """The peer class of the address a node masquerades to (its first of the family, `ServicePaths._leg`),
        else -1."""
        address = next((a for a in found or () if a.version == family), None)
        peer = self.matrix.peers.address_class(address, None) if address is not None else None
        return -1 if peer is None else peer

    def _ok(self, table, target, peer: int | None = None):
        """Every atom of the target's port allowed: per peer class (ingress tables), or toward one peer class."""
        atoms = self.matrix.atoms.point_mask(target.protocol, target.port)
        groups = table.table[:, atoms].all(axis=1) if atoms.any() else np.zeros(len(table.table), dtype=bool)
        if peer is None:
            return groups[table.local]
        return groups[table.groups_of(np.array([peer], dtype=np.int64))][0]
