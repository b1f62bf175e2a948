"""Service-level connectivity from the matrix: for each Service port, how many of its ready backends each
pod or workload reaches through the ClusterIP (docs/semantics.md#service-rows).

kube-proxy DNATs a ClusterIP connection to one ready backend and policy judges the translated packet, so
a source reaches a backend on a Service port when the matrix allows source → backend on the backend's
target port for every source port (as `query` judges a flow). Every backend reached: `allow`; some:
`partial` (a connection fails or succeeds by kube-proxy's pick); none: left out. Computed over endpoint
classes and the side tables' rows, one step per distinct egress table and backend, never per pod.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netpolicy.engine.backends import Backend, Target
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint, Service, ServicePort
from netpolicy.model.ir import EGRESS, INGRESS

ALLOW, PARTIAL = "allow", "partial"


@dataclass(frozen=True)
class ServiceRow:
    """One port of one Service: its ready backends with a pod in the input (address, endpoint, target)
    and, for each source that reaches some, how many (`reached`: endpoint id → count, in endpoint order)."""

    service: Service
    port: ServicePort
    backends: tuple[tuple[Backend, Target], ...]
    reached: dict[str, int]
    unknown: int = 0

    def verdict(self, source: str) -> str | None:
        """`allow` (every backend), `partial` (some) or None (none) for a source endpoint id."""
        count = self.reached.get(source, 0)
        return None if not count else ALLOW if count == len(self.backends) else PARTIAL


def service_rows(matrix) -> list[ServiceRow]:
    """A row per port of every Service of the input (in input order), from the matrix's side tables."""
    from netpolicy.engine.pairs import endpoint_classes

    backends = matrix.ctx.backends
    classes = [c for c in endpoint_classes(matrix) if c.members[0].policed and c.members[0].kind != HOST_ENDPOINT]
    reach = _Reach(matrix, classes)
    rows = []
    for service in matrix.cluster.services:
        serving = backends.serving(service.namespace, service.name)
        for sp in service.ports:
            legs = [(b, t) for b in serving for t in b.targets if t.service_port == sp]
            known = tuple((b, t) for b, t in legs if b.endpoint is not None and b.endpoint.policed)
            counts = np.zeros(len(classes), dtype=np.int64)
            for backend, target in known:
                counts += reach.reaches(backend.endpoint, backend.address.version, target.protocol, target.port)
            reached = {m.id: int(n) for c, n in zip(classes, counts.tolist(), strict=True) if n for m in c.members}
            order = {e.id: i for i, e in enumerate(matrix.endpoints)}
            rows.append(ServiceRow(service, sp, known, dict(sorted(reached.items(), key=lambda kv: order[kv[0]])),
                                   len(legs) - len(known)))
    return rows


class _Reach:
    """Which source classes reach one backend on one target port (every source port), in bulk."""

    def __init__(self, matrix, classes: list) -> None:
        self.matrix = matrix
        tables = [matrix.side_table(c.representative, EGRESS) for c in classes]
        unique: dict[int, int] = {}
        self.egress = []
        for table in tables:
            if id(table) not in unique:
                unique[id(table)] = len(self.egress)
                self.egress.append(table)
        self.table_of = np.array([unique[id(t)] for t in tables], dtype=np.int64)
        self.peer = {f: np.array([c.classes.get(f, -1) for c in classes], dtype=np.int64) for f in matrix.cells}
        self._cache: dict[tuple, np.ndarray] = {}

    def reaches(self, backend: Endpoint, family: int, protocol: int, port: int) -> np.ndarray:
        key = (backend.id, family, protocol, port)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._compute(backend, family, protocol, port)
        return found

    def _compute(self, backend: Endpoint, family: int, protocol: int, port: int) -> np.ndarray:
        matrix = self.matrix
        atoms = matrix.atoms.point_mask(protocol, port)
        target = matrix.peer_class.get((backend.id, family))
        peers = self.peer.get(family)
        if target is None or peers is None or not atoms.any():
            return np.zeros(len(self.table_of), dtype=bool)
        inbound = matrix.side_table(backend, INGRESS)
        admitted = inbound.table[:, atoms].all(axis=1)[inbound.local]
        ingress = np.where(peers >= 0, admitted[np.maximum(peers, 0)], False)
        sent = np.array([t.row(target)[atoms].all() for t in self.egress], dtype=bool)
        return ingress & sent[self.table_of]
