"""Every allowed pair of endpoint classes, in bulk: array lookups into the side tables, never a Python
step per pair.

A pair's connections are `egress(source)[destination's peer class] & ingress(destination)[source's
peer class]`. Candidate pairs are found from the side that allows least: a *closed* egress lists the
peer classes it allows anything to; an *open* source (most peers allowed, or no policy at all) is paired
with every open destination and with the closed destinations whose ingress lists its peer class. So the
work follows the number of allowed pairs, not the square of the number of classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from netpolicy.engine.bits import ranges
from netpolicy.model.cluster import Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.progress import StageReport

#: Candidate pairs handled per block (bounds the size of the arrays built at once).
BLOCK_PAIRS = 1 << 20


@dataclass
class EndpointClass:
    """Endpoints that behave identically: same treatment by every rule, same profiles."""

    id: str
    members: list[Endpoint]
    classes: dict[int, int] = field(default_factory=dict)  # family → peer class

    @property
    def representative(self) -> Endpoint:
        return self.members[0]


def endpoint_classes(matrix) -> list[EndpointClass]:
    """Group the matrix's endpoints into classes whose rows and columns are identical."""
    groups: dict[tuple, list[Endpoint]] = {}
    for endpoint in matrix.endpoints:
        classes = tuple(sorted((f, matrix.peer_class[(endpoint.id, f)]) for f in matrix.cells
                               if (endpoint.id, f) in matrix.peer_class))
        groups.setdefault((endpoint.policed, classes), []).append(endpoint)
    return [EndpointClass(f"class-{i}", members, dict(key[1])) for i, (key, members) in enumerate(groups.items())]


@dataclass
class PairBlock:
    """Allowed class pairs: indices into the class list, and each pair's entry in `connections`."""

    sources: np.ndarray
    targets: np.ndarray
    kinds: np.ndarray
    connections: list[ConnectionSet]


class _Rows:
    """Every side table's rows packed into one array, and the lookup of a peer class's row in any table."""

    def __init__(self, matrix, tables: list) -> None:
        n = len(matrix.classes)
        size = matrix.atoms.size
        everything = np.packbits(np.ones((1, size), dtype=bool), axis=1)
        packed = [everything] + [np.packbits(t.table, axis=1) for t in tables]
        counts = np.array([len(p) for p in packed], dtype=np.int64)
        self.rows = np.ascontiguousarray(np.concatenate(packed)) if packed else everything
        self.offset = np.cumsum(counts)[:-1]  # table t's first row (row 0 is "everything")
        base_ids: dict[int, int] = {}
        bases: list[np.ndarray] = []
        for table in tables:
            if id(table.base) not in base_ids:
                base_ids[id(table.base)] = len(bases)
                bases.append(table.base)
        self.base_of = np.array([base_ids[id(t.base)] for t in tables], dtype=np.int64)
        self.bases = np.stack(bases) if bases else np.zeros((0, n), dtype=np.int32)
        keys = [t_id * n + t.positions for t_id, t in enumerate(tables)]
        values = [self.offset[t_id] + t.groups for t_id, t in enumerate(tables)]
        self.override_keys = np.concatenate(keys).astype(np.int64) if keys else np.zeros(0, dtype=np.int64)
        self.override_rows = np.concatenate(values).astype(np.int64) if values else np.zeros(0, dtype=np.int64)
        self.n = n

    def lookup(self, table_ids: np.ndarray, peer_classes: np.ndarray) -> np.ndarray:
        """Row of each peer class in each table (-1 table: the row allowing everything)."""
        out = np.zeros(len(table_ids), dtype=np.int64)
        known = table_ids >= 0
        tids, peers = table_ids[known], peer_classes[known]
        rows = self.offset[tids] + self.bases[self.base_of[tids], peers]
        if len(self.override_keys):
            keys = tids * self.n + peers
            at = np.minimum(np.searchsorted(self.override_keys, keys), len(self.override_keys) - 1)
            hit = self.override_keys[at] == keys
            rows[hit] = self.override_rows[at[hit]]
        out[known] = rows
        return out


class _Expander:
    """Peer class → the endpoint classes (of one family) that have it."""

    def __init__(self, peer: np.ndarray, n_peers: int) -> None:
        members = np.flatnonzero(peer >= 0)
        order = np.argsort(peer[members], kind="stable")
        self.items = members[order]
        self.starts = np.searchsorted(peer[self.items], np.arange(n_peers + 1))

    def expand(self, peer_classes: np.ndarray) -> np.ndarray:
        starts, ends = self.starts[peer_classes], self.starts[peer_classes + 1]
        lengths = ends - starts
        if len(lengths) and (lengths == 1).all():
            return self.items[starts]
        return self.items[ranges(starts, lengths)]


def class_pair_blocks(matrix, classes: list[EndpointClass], progress: StageReport | None = None) -> Iterator[PairBlock]:
    """The allowed pairs of classes, a block of sources at a time, ordered by source then destination
    (per address family: a pair is judged in the lowest family both have, as `Matrix.mask` does).

    Pairs of two unpoliced classes (external ranges) are governed by no policy and left out.
    `progress(stage, done, total)` is told how far the side tables and the pairs are."""
    return ClassPairs(matrix, classes, progress).blocks()


class _Family:
    """What the pair walk needs for one address family: each class's peer class and which sides are open."""

    def __init__(self, walk: ClassPairs, number: int, family: int) -> None:
        classes, matrix, tables = walk.classes, walk.matrix, walk.tables
        self.number, self.family = number, family
        self.lower = (1 << number) - 1  # a pair sharing a lower family is judged in that family (Matrix.mask)
        self.peer = np.array([c.classes.get(family, -1) for c in classes], dtype=np.int64)
        self.expander = _Expander(self.peer, len(matrix.classes))
        self.in_family = self.peer >= 0
        self.open_out = self.in_family & walk.is_open[walk.egress]
        open_in = self.in_family & walk.is_open[walk.ingress]
        self.open_targets = np.flatnonzero(open_in)
        self.policed_open_targets = self.open_targets[walk.ingress[self.open_targets] >= 0]
        wanted = np.zeros(len(matrix.classes), dtype=bool)
        wanted[self.peer[self.open_out]] = True
        self.closed_in = _closed_ingress_index(tables, walk.ingress, np.flatnonzero(self.in_family & ~open_in),
                                               wanted, len(matrix.classes))


class ClassPairs:
    """The pair walk, set up once (side tables, rows, open sides per family): `blocks(sources)` walks all
    source classes or some of them; connection sets are numbered across every walk."""

    def __init__(self, matrix, classes: list[EndpointClass], progress: StageReport | None = None) -> None:
        self.matrix, self.classes = matrix, classes
        self.report = progress or _silent
        self.tables, self.egress, self.ingress = class_tables(matrix, classes, self.report)
        self.rows = _Rows(matrix, self.tables)
        self.is_open = np.array([t.is_open for t in self.tables] + [True], dtype=bool)  # index -1: no policy
        self.kinds: dict[bytes, int] = {}
        self.connections: list[ConnectionSet] = []
        families = sorted(matrix.cells)
        self.family_bits = np.array([sum(1 << families.index(f) for f in c.classes) for c in classes],
                                    dtype=np.int64)
        self.families = [_Family(self, number, family) for number, family in enumerate(families)]

    def blocks(self, sources: np.ndarray | None = None) -> Iterator[PairBlock]:
        """The allowed pairs of the given source classes (sorted; all by default), family by family."""
        n_cls = len(self.classes)
        rows = self.rows
        for fam in self.families:
            chosen = np.flatnonzero(fam.in_family) if sources is None else sources[fam.in_family[sources]]
            for pair_src, pair_dst in _candidates(chosen, self.tables, self.egress, fam.peer, fam.open_out,
                                                  fam.expander, fam.open_targets, fam.policed_open_targets,
                                                  fam.closed_in):
                self.report(f"class pairs (IPv{fam.family})", int(pair_src[-1]) + 1, n_cls)
                if fam.lower:
                    keep = (self.family_bits[pair_src] & self.family_bits[pair_dst] & fam.lower) == 0
                    pair_src, pair_dst = pair_src[keep], pair_dst[keep]
                out_rows = rows.lookup(self.egress[pair_src], fam.peer[pair_dst])
                in_rows = rows.lookup(self.ingress[pair_dst], fam.peer[pair_src])
                combined = out_rows * len(rows.rows) + in_rows
                unique, inverse = np.unique(combined, return_inverse=True)
                bits = rows.rows[unique // len(rows.rows)] & rows.rows[unique % len(rows.rows)]
                kind_of = np.array([_kind(self.matrix, row, self.kinds, self.connections) for row in bits],
                                   dtype=np.int64)
                pair_kind = kind_of[inverse.reshape(-1)]
                allowed = pair_kind >= 0
                yield PairBlock(pair_src[allowed], pair_dst[allowed], pair_kind[allowed], self.connections)


def class_tables(matrix, classes: list[EndpointClass],
                 progress: StageReport | None = None) -> tuple[list, np.ndarray, np.ndarray]:
    """The distinct side tables of the classes, and each class's egress and ingress table (-1 for an
    unpoliced class: no policy, everything allowed on that side)."""
    report = progress or _silent
    table_ids: dict[int, int] = {}
    tables: list = []
    n_cls = len(classes)
    egress = np.full(n_cls, -1, dtype=np.int64)
    ingress = np.full(n_cls, -1, dtype=np.int64)
    peers = matrix.classes
    for index, cls in enumerate(classes):
        if index % 1024 == 0:
            report("side tables", index, n_cls)
        if cls.representative.policed:
            families = tuple(sorted(cls.classes))
            peer = peers[cls.classes[families[0]]]
            for direction, column in ((EGRESS, egress), (INGRESS, ingress)):
                table = matrix.class_side_table(cls.representative, peer, families, direction)
                column[index] = table_ids.setdefault(id(table), len(tables))
                if column[index] == len(tables):
                    tables.append(table)
    return tables, egress, ingress


def _silent(stage: str, done: int, total: int) -> None:
    """No progress reporting."""


def _closed_ingress_index(tables: list, ingress: np.ndarray, closed: np.ndarray, wanted: np.ndarray,
                          n_peers: int) -> tuple[np.ndarray, np.ndarray]:
    """For destinations whose ingress is closed: peer class → those destinations that allow it something,
    for the `wanted` peer classes only (those of open sources, the only ones looked up)."""
    dests_of: dict[int, list[int]] = {}
    for dst, table in zip(closed.tolist(), ingress[closed].tolist(), strict=True):
        dests_of.setdefault(table, []).append(dst)
    peer_parts, target_parts = [], []
    for table, dests in dests_of.items():
        reachable = tables[table].reachable
        reachable = reachable[wanted[reachable]]
        if len(reachable):
            peer_parts.append(np.repeat(reachable, len(dests)))
            target_parts.append(np.tile(np.array(dests, dtype=np.int64), len(reachable)))
    peers = np.concatenate(peer_parts) if peer_parts else np.zeros(0, dtype=np.int64)
    targets = np.concatenate(target_parts) if target_parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(peers, kind="stable")
    return np.searchsorted(peers[order], np.arange(n_peers + 1)), targets[order]


def _candidates(sources: np.ndarray, tables: list, egress: np.ndarray, peer: np.ndarray, open_out: np.ndarray,
                expander: _Expander, open_targets: np.ndarray, policed_open_targets: np.ndarray,
                closed_in: tuple) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs worth computing, a block of about BLOCK_PAIRS at a time, sorted by source then destination."""
    starts, closed_targets = closed_in
    pending_src: list[np.ndarray] = []
    pending_dst: list[np.ndarray] = []
    pending = 0
    for src in sources.tolist():
        if open_out[src]:
            own = peer[src]
            found = closed_targets[starts[own]:starts[own + 1]]
            wide = open_targets if egress[src] >= 0 else policed_open_targets
            found = np.sort(np.concatenate((wide, found))) if len(found) else wide
        else:
            found = np.sort(expander.expand(tables[egress[src]].reachable))
        if not len(found):
            continue
        pending_src.append(np.full(len(found), src, dtype=np.int64))
        pending_dst.append(found)
        pending += len(found)
        if pending >= BLOCK_PAIRS:
            yield np.concatenate(pending_src), np.concatenate(pending_dst)
            pending_src, pending_dst, pending = [], [], 0
    if pending:
        yield np.concatenate(pending_src), np.concatenate(pending_dst)


def _kind(matrix, packed_row: np.ndarray, kinds: dict[bytes, int], connections: list[ConnectionSet]) -> int:
    """Index of the row's connection set in `connections` (added when new); -1 when it allows nothing."""
    key = packed_row.tobytes()
    found = kinds.get(key)
    if found is None:
        mask = np.unpackbits(packed_row, count=matrix.atoms.size).astype(bool)
        if not mask.any():
            found = kinds[key] = -1
        else:
            found = kinds[key] = len(connections)
            connections.append(matrix.atoms.to_connections(mask))
    return found


def class_pairs(matrix, classes: list[EndpointClass]) -> Iterator[tuple[EndpointClass, EndpointClass, ConnectionSet]]:
    """Every ordered pair of classes with something allowed, ordered by source then destination."""
    for block in class_pair_blocks(matrix, classes):
        conns = block.connections
        for src, dst, kind in zip(block.sources.tolist(), block.targets.tolist(), block.kinds.tolist(), strict=True):
            yield classes[src], classes[dst], conns[kind]
