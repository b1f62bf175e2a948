"""`matrix -o json --form compact`: the compact connectivity document (README "JSON outputs"), written
one item per line."""

from __future__ import annotations

import json

import numpy as np

from netpolicy.engine.compact import Compact
from netpolicy.render.connections_json import connections_json
from netpolicy.render.matrix_out import class_json

FORM = "compact"
#: Peer sets up to this size are written without numpy.
SMALL_SET = 32


def peer_set_text(members: np.ndarray) -> str:
    """Sorted peer classes as `0-5,9,12-14` (the `ports` syntax)."""
    if not len(members):
        return ""
    if len(members) <= SMALL_SET:  # numpy's per-call cost exceeds a walk over a few ids
        runs: list[list[int]] = []
        for member in members.tolist():
            if runs and runs[-1][1] + 1 == member:
                runs[-1][1] = member
            else:
                runs.append([member, member])
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    breaks = np.flatnonzero(np.diff(members) != 1) + 1
    firsts = members[np.concatenate(([0], breaks))].tolist()
    lasts = members[np.concatenate((breaks - 1, [len(members) - 1]))].tolist()
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in zip(firsts, lasts, strict=True))


def _items(stream, key: str, lines, last: bool = False) -> None:
    """`"key": [` then one JSON text per line."""
    stream.write(f' "{key}": [\n')
    separator = ""
    for line in lines:
        stream.write(separator + "  " + line)
        separator = ",\n"
    stream.write("\n]" + ("" if last else ",") + "\n")


def write_compact_json(compact: Compact, stream) -> None:
    """The compact document: classes (every member listed), tables, peer sets and connections."""
    encode = json.JSONEncoder(ensure_ascii=True).encode
    stream.write(f'{{"form": "{FORM}", "peer_classes": {compact.n_peers},\n')

    def classes():
        for number, cls in enumerate(compact.classes):
            item = class_json(cls, len(cls.members))
            item["peers"] = {str(family): peer for family, peer in sorted(cls.classes.items())}
            item["egress"], item["ingress"] = compact.egress[number], compact.ingress[number]
            yield encode(item)

    _items(stream, "classes", classes())
    _items(stream, "tables", (encode(entries) for entries in compact.tables))
    _items(stream, "peer_sets", (encode(peer_set_text(members)) for members in compact.peer_sets))
    _items(stream, "connections", (encode(connections_json(conns)) for conns in compact.connections), last=True)
    stream.write("}\n")
