"""The reference expander of the compact connectivity document: every allowed class pair, in the
shape of the pairwise `flows` of `matrix -o json --group-by class`."""

from __future__ import annotations

from collections.abc import Iterator

from netpolicy.model.intervals import IntervalSet
from netpolicy.render.connections_json import connections_json
from netpolicy.render.connections_read import connections_from_json


def _rows(entries: list, peer_sets: list[IntervalSet], n_peers: int) -> list[int | None]:
    """A table's connection (index) for every peer class: the first entry holding it decides."""
    rows: list[int | None] = [None] * n_peers
    decided = [False] * n_peers
    for set_id, conn in entries:
        for lo, hi in peer_sets[set_id]:
            for peer in range(lo, hi + 1):
                if not decided[peer]:
                    decided[peer], rows[peer] = True, conn
    return rows


def expand_compact(doc: dict) -> Iterator[dict]:
    """`{"from", "to", "allowed"}` for every ordered pair of classes with something allowed, ordered by
    source then destination (pairs of two unpoliced classes, governed by no policy, are left out)."""
    if doc.get("form") != "compact":
        raise ValueError(f"not a compact connectivity document (form {doc.get('form')!r})")
    n_peers = doc["peer_classes"]
    peer_sets = [IntervalSet.parse(text) for text in doc["peer_sets"]]
    connections = [connections_from_json(entries) for entries in doc["connections"]]
    tables: dict[int, list[int | None]] = {}
    both: dict[tuple, list | None] = {}  # (egress connection, ingress connection) → their intersection

    def side(table: int | None, peer: int) -> int | None | str:
        """The connection a table gives the peer class (None: nothing; "all": the side has no table)."""
        if table is None:
            return "all"
        if table not in tables:
            tables[table] = _rows(doc["tables"][table], peer_sets, n_peers)
        return tables[table][peer]

    def allowed(out: int | None | str, into: int | None | str) -> list | None:
        """The JSON of what both sides allow, None when nothing."""
        key = (out, into)
        if key not in both:
            if None in key:
                both[key] = None
            else:
                sets = [connections[c] for c in key if c != "all"]
                found = sets[0] & sets[1] if len(sets) == 2 else sets[0]
                both[key] = connections_json(found) if found else None
        return both[key]

    classes = doc["classes"]
    for src in classes:
        for dst in classes:
            if src["egress"] is None and dst["ingress"] is None:
                continue
            common = set(src["peers"]) & set(dst["peers"])
            if not common:
                continue
            family = min(common, key=int)
            found = allowed(side(src["egress"], dst["peers"][family]), side(dst["ingress"], src["peers"][family]))
            if found is not None:
                yield {"from": src["id"], "to": dst["id"], "allowed": found}
