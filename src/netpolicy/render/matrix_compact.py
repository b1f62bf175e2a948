"""`matrix -o json --form compact`: the compact connectivity document (README "JSON outputs"), written
one item per line."""

from __future__ import annotations

import json

from netpolicy.engine.compact import Compact
from netpolicy.render.connections_json import connections_json
from netpolicy.render.matrix_out import class_json
from netpolicy.render.run_text import run_texts

FORM = "compact"


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
    _items(stream, "peer_sets", map(encode, run_texts(compact.peer_sets)))
    _items(stream, "connections", (encode(connections_json(conns)) for conns in compact.connections), last=True)
    stream.write("}\n")
