"""The matrix as CSV, Markdown and a text table, written pair by pair as computed (flat memory).

Each distinct connection set is described once (pairs of one class pair share the object); every
cell taken from the input passes through the escaping function of its sink.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import TextIO

from netpolicy.engine.matrix import Matrix
from netpolicy.escape import csv_cell, markdown, terminal
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import ICMP, ICMPV6, SCTP, TCP, UDP
from netpolicy.render.connections_json import icmp_json
from netpolicy.render.words import FULL_PORTS, describe, endpoint_name

CSV_PROTOCOLS = ((TCP, "TCP"), (UDP, "UDP"), (SCTP, "SCTP"), (ICMP, "ICMP"), (ICMPV6, "ICMPv6"))
CSV_HEADER = ["from", "to", *(name for _, name in CSV_PROTOCOLS), "other"]
GROUP_AFTER = 40  # a text table longer than this (or the terminal's height) is grouped by namespace
_BLOCK = 2000     # rows written at once


def _described(matrix: Matrix, text: Callable[[ConnectionSet], object]) -> Iterator[tuple]:
    """(source, destination, text(conns)) for every allowed pair, each connection set described once."""
    cache: dict[int, tuple[ConnectionSet, object]] = {}
    for src, dst, conns in matrix.flows():
        found = cache.get(id(conns))
        if found is None or found[0] is not conns:
            found = cache[id(conns)] = (conns, text(conns))
        yield src, dst, found[1]


def _port_cell(conns: ConnectionSet, protocol: int) -> str:
    if protocol not in conns.by_protocol:
        return ""
    if conns.is_full(protocol):
        return "all"
    if protocol in (ICMP, ICMPV6):
        return "; ".join(f"type {i['type']}" + (f" code {i['code']}" if "code" in i else "")
                         for i in icmp_json(conns.by_protocol[protocol]))
    parts = []
    for ports, sports in conns.groups(protocol):
        text = "all" if ports == FULL_PORTS else ports.format()
        parts.append(text if sports == FULL_PORTS else f"{text} from {sports.format()}")
    return "; ".join(parts)


def csv_cells(conns: ConnectionSet) -> list[str]:
    """The protocol cells of one pair: `all`, ports (`80,443`), ICMP types, other protocol numbers."""
    cells = [_port_cell(conns, protocol) for protocol, _ in CSV_PROTOCOLS]
    others = [p for p in conns.by_protocol if p not in dict(CSV_PROTOCOLS)]
    other = "all" if len(others) >= 250 else IntervalSet.of(others).format() if others else ""
    return [*cells, other]


def _csv_line(cells: list[str]) -> str:
    """One CSV line (quoted as the csv module quotes), without its line end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def write_csv(matrix: Matrix, stream: TextIO) -> None:
    """One row per allowed pair: `from,to,TCP,UDP,SCTP,ICMP,ICMPv6,other`; each name and connection set is
    quoted once and rows are joined from those pieces."""
    stream.write(_csv_line(CSV_HEADER) + "\n")
    names = {e.id: _csv_line([csv_cell(endpoint_name(e))]) for e in matrix.endpoints}
    lines = []
    for src, dst, cells in _described(matrix, lambda c: _csv_line(csv_cells(c)) + "\n"):
        lines.append(f"{names[src.id]},{names[dst.id]},{cells}")
        if len(lines) >= _BLOCK:
            stream.write("".join(lines))
            lines.clear()
    stream.write("".join(lines))


def write_markdown(matrix: Matrix, stream: TextIO) -> None:
    """A Markdown table `| from | to | allowed |`, one row per allowed pair."""
    stream.write("| from | to | allowed |\n|---|---|---|\n")
    names = {e.id: markdown(endpoint_name(e)) for e in matrix.endpoints}
    lines = []
    for src, dst, text in _described(matrix, lambda c: markdown(describe(c))):
        lines.append(f"| {names[src.id]} | {names[dst.id]} | {text} |\n")
        if len(lines) >= _BLOCK:
            stream.write("".join(lines))
            lines.clear()
    stream.write("".join(lines))


class _TextTable:
    """The text table: plain rows while short; past a screenful, grouped under source-namespace headings."""

    def __init__(self, matrix: Matrix, stream: TextIO, group_after: int) -> None:
        self.stream = stream
        self.group_after = group_after
        self.names = {e.id: terminal(endpoint_name(e)) for e in matrix.endpoints}
        policed = (self.names[e.id] for e in matrix.endpoints if e.kind != "External")
        self.width = min(max(map(len, policed), default=4), 60) + 2  # longer names (CIDR lists) overflow
        self.padded = {key: name.ljust(self.width - 2) + "  " for key, name in self.names.items()}
        self.blank = " " * self.width
        self.grouped = False
        self.previous: str | None = None
        self.namespace: str | None = None

    def flat(self, src, dst, text: str) -> str:
        if src.id != self.previous:
            self.previous = src.id
            return self.padded[src.id] + self.padded[dst.id] + text
        return self.blank + self.padded[dst.id] + text

    def group(self, src, dst, text: str) -> str:
        head = ""
        namespace = src.namespace if src.kind != "External" else "(external ranges)"
        if namespace != self.namespace:
            self.namespace = namespace
            head = f"\nfrom namespace {terminal(namespace or '(none)')}:\n"
        return head + "  " + self.flat(src, dst, text)

    def write(self, rows: Iterator[tuple]) -> int:
        buffered = []
        count = 0
        for count, row in enumerate(rows, 1):
            if not self.grouped:
                buffered.append(row)
                if count > self.group_after:
                    self.grouped = True
                    self.stream.write("Connectivity, grouped by source namespace\n")
                    self.previous = None
                    self.stream.write("".join(self.group(*r) for r in buffered))
                    buffered = []
                continue
            buffered.append(self.group(*row))
            if len(buffered) >= _BLOCK:
                self.stream.write("".join(buffered))
                buffered.clear()
        if self.grouped:
            self.stream.write("".join(buffered))
        else:
            self.stream.write("Connectivity\n" + "from".ljust(self.width) + "to".ljust(self.width) + "allowed\n")
            self.stream.write("".join(self.flat(*r) for r in buffered))
        return count


def write_text(matrix: Matrix, stream: TextIO, group_after: int = GROUP_AFTER) -> None:
    """Every allowed pair, the source shown once per run of rows, then a one-line count."""
    table = _TextTable(matrix, stream, group_after)
    count = table.write(_described(matrix, lambda c: terminal(describe(c)) + "\n"))
    policed = sum(1 for e in matrix.endpoints if e.policed)
    stream.write(f"{policed} endpoints, {len(matrix.externals)} external ranges, {count} allowed pairs; "
                 "pairs not listed allow nothing.\n")
    if nodes := matrix.guarded_nodes:
        from netpolicy.render.matrix_services import write_host_hooks_text

        write_host_hooks_text(nodes, stream)
    if matrix.cluster.services:
        from netpolicy.engine.service_lb_rows import load_balancer_rows, node_port_rows
        from netpolicy.engine.service_rows import service_rows
        from netpolicy.render.matrix_services import write_services_text

        write_services_text(service_rows(matrix), stream, load_balancer_rows(matrix), matrix.ctx.backends,
                            node_port_rows(matrix))
