"""The connectivity in a form whose size follows the classes and the rules, never the class pairs.

Each endpoint class has an egress and an ingress *table* (shared by classes alike), and a table is an
ordered list of (peer set, connections): the connections a peer class gets are those of the first
entry whose set holds it (none when no entry does). Peer sets are stored once and shared by every
table that uses them; they are the side tables' own groups (`SideTable`), so nothing here is computed
per pair. A pair's connections are `egress(source)[destination's peer class] &
ingress(destination)[source's peer class]`, in the lowest address family both have.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.pairs import EndpointClass, class_tables
from netpolicy.model.connections import ConnectionSet
from netpolicy.progress import StageReport


@dataclass
class Compact:
    """Tables of (peer set, connection) entries; indices into `peer_sets` and `connections`."""

    classes: list[EndpointClass]
    n_peers: int
    egress: list[int | None]                           # per class: its table, None when unpoliced
    ingress: list[int | None]
    tables: list[list[tuple[int, int | None]]]        # (peer set, connection or None for nothing)
    peer_sets: list[np.ndarray]                        # sorted peer classes (int32)
    connections: list[ConnectionSet]
    open_tables: list[bool]                           # whether a table gives every peer class everything
    reach: np.ndarray                                 # per table: peer classes, endpoints it allows something

    def pair_bound(self, endpoints: bool = False) -> int:
        """An upper bound on the allowed class pairs (endpoint pairs with `endpoints`), from the side
        that allows least, found without listing a pair."""
        column = 1 if endpoints else 0
        sizes = np.array([len(c.members) if endpoints else 1 for c in self.classes], dtype=np.int64)
        counts = []
        for side in (self.egress, self.ingress):
            tables = np.array([-1 if t is None else t for t in side], dtype=np.int64)
            counts.append(int((sizes * self.reach[tables, column]).sum()) if len(tables) else 0)
        return min(counts)


class _Interner:
    """Peer sets and connection sets, each stored once."""

    def __init__(self, matrix) -> None:
        self.matrix = matrix
        self.sets: list[np.ndarray] = []
        self.set_ids: dict[bytes, int] = {}
        self.connections: list[ConnectionSet] = []
        self.conn_ids: dict[bytes, int | None] = {}

    def peer_set(self, members: np.ndarray) -> int:
        """The number of a set of sorted int32 peer classes (stored on first sight)."""
        key = hashlib.blake2b(members.tobytes(), digest_size=16).digest()
        found = self.set_ids.get(key)
        if found is None:
            found = self.set_ids[key] = len(self.sets)
            self.sets.append(members.copy())
        return found

    def connections_of(self, table: np.ndarray) -> list[int | None]:
        """The connection of each row of a (groups × atoms) table; None for a row allowing nothing."""
        out: list[int | None] = []
        for number, key in enumerate(map(bytes, np.packbits(table, axis=1))):
            if key not in self.conn_ids:
                row = table[number]
                if row.any():
                    self.conn_ids[key] = len(self.connections)
                    self.connections.append(self.matrix.atoms.to_connections(row))
                else:
                    self.conn_ids[key] = None
            out.append(self.conn_ids[key])
        return out


def _split(members: np.ndarray, labels: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """`members` grouped by their label (members stay sorted within a group, as int32): the labels in
    increasing order and each one's members."""
    if not len(members):
        return [], []
    order = np.argsort(labels, kind="stable")
    members, labels = members[order].astype(np.int32), labels[order]
    bounds = (np.flatnonzero(np.diff(labels)) + 1).tolist()
    starts, ends = [0, *bounds], [*bounds, len(members)]
    return labels[starts].tolist(), [members[start:end] for start, end in zip(starts, ends, strict=True)]


def _table_entries(table, base_sets: list[tuple[int, int, int, int]], weights: np.ndarray, interner: _Interner) -> tuple[list, bool, np.ndarray]:
    """A side table as ordered (peer set, connection) entries: the classes its own rules single out
    first, then the groups of its shared base; whether every peer class gets everything; and how many
    peer classes get something."""
    conn_of = interner.connections_of(table.table)
    full = table.table.all(axis=1).tolist()
    labels, parts = _split(table.positions, table.groups)
    entries = [(interner.peer_set(members), conn_of[group]) for group, members in zip(labels, parts, strict=True)]
    is_open = all(full[group] for group in labels)
    singled_weights = weights[table.positions]
    allowed = np.array([conn is not None for conn in conn_of], dtype=bool)[table.groups]
    reach = np.array([allowed.sum(), singled_weights[allowed].sum()], dtype=np.int64)
    size = max(group for group, *_ in base_sets) + 1
    base_of = table.base[table.positions]
    shadowed = np.bincount(base_of, minlength=size)
    shadowed_weight = np.bincount(base_of, weights=singled_weights, minlength=size)
    for group, set_id, count, weight in base_sets:
        if shadowed[group] == count:
            continue  # every member of this base group is singled out above
        is_open &= full[group]
        if conn_of[group] is not None:
            entries.append((set_id, conn_of[group]))
            reach += (count - int(shadowed[group]), weight - int(shadowed_weight[group]))
    return entries, is_open, reach


def compact_connectivity(matrix, classes: list[EndpointClass], progress: StageReport | None = None) -> Compact:
    """The classes' connectivity as shared tables of (peer set, connections) entries."""
    tables, egress, ingress = class_tables(matrix, classes, progress)
    interner = _Interner(matrix)
    bases: dict[int, list[tuple[int, int, int, int]]] = {}
    out_tables: list[list[tuple[int, int | None]]] = []
    open_tables: list[bool] = []
    reach: list[np.ndarray] = []
    n_peers = len(matrix.classes)
    weights = np.array([len(c.members) for c in matrix.classes], dtype=np.int64)
    for number, table in enumerate(tables):
        if progress is not None and number % 256 == 0:
            progress("compact tables", number, len(tables))
        base_sets = bases.get(id(table.base))
        if base_sets is None:
            labels, parts = _split(np.arange(n_peers, dtype=np.int64), table.base.astype(np.int64))
            base_sets = bases[id(table.base)] = [(g, interner.peer_set(m), len(m), int(weights[m].sum()))
                                                 for g, m in zip(labels, parts, strict=True)]
        entries, is_open, allowed = _table_entries(table, base_sets, weights, interner)
        out_tables.append(entries)
        open_tables.append(is_open)
        reach.append(allowed)
    side = [[None if t < 0 else t for t in column.tolist()] for column in (egress, ingress)]
    reach.append(np.array([n_peers, weights.sum()], dtype=np.int64))  # row -1: no table, everyone
    return Compact(classes, n_peers, side[0], side[1], out_tables, interner.sets, interner.connections,
                   open_tables, np.array(reach, dtype=np.int64).reshape(-1, 2))
