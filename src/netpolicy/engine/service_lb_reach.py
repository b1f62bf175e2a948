"""How many backends each pod, workload or external range reaches through a LoadBalancer IP, in bulk from
the matrix's side tables, where no host endpoint hook is on the path (docs/semantics.md#service-rows).

A pod's node translates (`service-ips`): each leg is the pod's egress to the backend on its target port
and the backend's ingress from the source it sees — the pod itself (a backend on the pod's node, a pod on
no known node, externalTrafficPolicy Local: "short-circuit pod traffic"), else the pod's node's address
(externalTrafficPolicy Cluster: masqueraded; `ServicePaths._leg`). An outside address has no egress and
is seen as itself. Computed per class, node and backend,
never per pod; what `query` cannot judge (a node without an address to masquerade to) is marked failed.
"""

from __future__ import annotations

import numpy as np

from netpolicy.engine.path import unaddressed
from netpolicy.engine.tables import distinct_tables
from netpolicy.model.ir import EGRESS, INGRESS


class LoadBalancerReach:
    """Side tables of the source classes, and per source member its class and node."""

    def __init__(self, matrix, classes: list, klass: np.ndarray, node: np.ndarray, names: list[str]) -> None:
        self.matrix = matrix
        self.klass, self.node, self.names = klass, node, names
        self.egress, self.table_of = distinct_tables([matrix.side_table(c.representative, EGRESS)
                                                      if c.representative.policed else None for c in classes])
        self.peer = {f: np.array([c.classes.get(f, -1) for c in classes], dtype=np.int64) for f in matrix.cells}

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
            sent = np.array([True if table is None else bool(self._ok(table, target, peer)) for table in self.egress],
                            dtype=bool)[self.table_of][self.klass]
            reached += sent & np.where(masked, from_node, kept)
        return np.where(failed, 0, reached), counted, failed, why

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
