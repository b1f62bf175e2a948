"""`matrix` as text on a large input: per namespace, the endpoints open both ways counted, the isolated
ones listed with what their ingress admits (from the compact form: nothing here is per pair)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from netpolicy.engine.compact import Compact
from netpolicy.render.matrix_out import class_summary
from netpolicy.render.words import describe

#: Namespaces shown with their isolated endpoints, isolated classes per namespace, sources per entry.
NAMESPACES_SHOWN = 30
ISOLATED_SHOWN = 5
SOURCES_SHOWN = 3


def _printable(text: str) -> str:
    """Control characters (terminal escapes) shown as `\\xNN`."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _count(number: int, one: str, many: str = "") -> str:
    """`1 namespace`, `3 namespaces`."""
    return f"{number:,} {one if number == 1 else many or one + 's'}"


def _peer_namespaces(compact: Compact) -> tuple[np.ndarray, list[str]]:
    """Each peer class's namespace (as a code), and the names (`(external)` for address ranges)."""
    names: dict[str, int] = {}
    codes = np.zeros(compact.n_peers, dtype=np.int64)
    for cls in compact.classes:
        first = cls.representative
        code = names.setdefault(first.namespace if first.kind != "External" else "(external)", len(names))
        for peer in cls.classes.values():
            codes[peer] = code
    return codes, list(names)


def _sources(members: np.ndarray, compact: Compact, codes: np.ndarray, names: list[str]) -> str:
    """`everyone`, or the namespaces of a peer set, the largest first."""
    if len(members) == compact.n_peers:
        return "everyone"
    found = Counter(codes[members].tolist()).most_common()
    shown = ", ".join(f"{_printable(names[code])} ({count})" for code, count in found[:SOURCES_SHOWN])
    more = f" and {len(found) - SOURCES_SHOWN} more namespaces" if len(found) > SOURCES_SHOWN else ""
    return shown + more


def summary_lines(compact: Compact, pairs_bound: int) -> list[str]:
    """The summary, a bounded number of lines whatever the input's size."""
    codes, names = _peer_namespaces(compact)
    per_ns: dict[str, dict] = {}
    for number, cls in enumerate(compact.classes):
        first = cls.representative
        if first.kind == "External":
            continue
        entry = per_ns.setdefault(first.namespace or "", {"endpoints": 0, "open": 0, "isolated": []})
        entry["endpoints"] += len(cls.members)
        tables = (compact.ingress[number], compact.egress[number])
        if all(t is None or compact.open_tables[t] for t in tables):
            entry["open"] += len(cls.members)
        else:
            entry["isolated"].append(number)
    endpoints = sum(e["endpoints"] for e in per_ns.values())
    opened = sum(e["open"] for e in per_ns.values())
    lines = [f"{_count(endpoints, 'endpoint')} in {_count(len(per_ns), 'namespace')}, "
             f"{_count(len(compact.classes), 'class', 'classes')}, up to "
             f"{pairs_bound:,} allowed pairs: too many to list.",
             f"{opened:,} endpoints are open both ways (no policy restricts them); the others, by namespace:"]
    shown = sorted((ns for ns, e in per_ns.items() if e["isolated"]), key=lambda ns: (-len(per_ns[ns]["isolated"]), ns))
    for ns in shown[:NAMESPACES_SHOWN]:
        entry = per_ns[ns]
        lines.append(f"  {_printable(ns)}: {entry['endpoints']} endpoints, {entry['open']} open")
        for number in entry["isolated"][:ISOLATED_SHOWN]:
            cls = compact.classes[number]
            lines.append(f"    {cls.id} {_printable(class_summary(cls))}")
            lines += _admits(compact, compact.ingress[number], codes, names)
            if compact.egress[number] is not None and not compact.open_tables[compact.egress[number]]:
                lines.append("      egress restricted")
        if len(entry["isolated"]) > ISOLATED_SHOWN:
            lines.append(f"    and {len(entry['isolated']) - ISOLATED_SHOWN} more classes")
    if len(shown) > NAMESPACES_SHOWN:
        lines.append(f"  and {len(shown) - NAMESPACES_SHOWN} more namespaces with isolated endpoints")
    lines.append("Every pair: -o json (the compact form; netpolicy.expand_compact lists its pairs), "
                 "--form pairs for the full table; one flow: netpolicy query --from NS/NAME --to NS/NAME.")
    return lines


def _admits(compact: Compact, table: int | None, codes: np.ndarray, names: list[str]) -> list[str]:
    """What a class's ingress admits, entry by entry (bounded)."""
    if table is None or compact.open_tables[table]:
        return ["      ingress open"]
    out = []
    seen = np.zeros(compact.n_peers, dtype=bool)
    for set_id, conn in compact.tables[table]:
        members = compact.peer_sets[set_id]
        fresh = members[~seen[members]]
        seen[members] = True
        if conn is None or not len(fresh):
            continue
        out.append(f"      admits {describe(compact.connections[conn])} from {_sources(fresh, compact, codes, names)}")
    if len(out) > ISOLATED_SHOWN:
        out = out[:ISOLATED_SHOWN] + [f"      and {len(out) - ISOLATED_SHOWN} more entries"]
    return out or ["      admits nothing"]


def render_summary(compact: Compact, pairs_bound: int, stream) -> None:
    """Write the summary lines."""
    stream.write("\n".join(summary_lines(compact, pairs_bound)) + "\n")
