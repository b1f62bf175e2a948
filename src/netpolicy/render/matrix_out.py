"""The connectivity matrix as JSON (INTERFACES.md), CSV, Markdown and a readable table."""

from __future__ import annotations

import csv
import io

from netpolicy.engine.matrix import Matrix
from netpolicy.model.cluster import Endpoint
from netpolicy.render.words import describe, endpoint_name


def endpoint_json(endpoint: Endpoint) -> dict:
    if endpoint.kind == "External":
        out = {"id": endpoint.id, "kind": "External", "cidrs": [str(n) for n in endpoint.nets]}
        if endpoint.profiles:
            out["network_sets"] = list(endpoint.profiles)
        return out
    out = {"id": endpoint.id, "kind": endpoint.kind, "namespace": endpoint.namespace,
           "labels": dict(endpoint.labels), "ips": [str(ip) for ip in endpoint.ips]}
    if endpoint.nets:
        out["cidrs"] = [str(n) for n in endpoint.nets]
    return out


def matrix_json(matrix: Matrix) -> dict:
    return {
        "endpoints": [endpoint_json(e) for e in matrix.endpoints],
        "flows": [{"from": s.id, "to": d.id, "allowed": c.to_json()} for s, d, c in matrix.flows()],
    }


def matrix_csv(matrix: Matrix) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from", "to", "protocol", "ports", "src_ports"])
    for src, dst, conns in matrix.flows():
        for entry in conns.to_json():
            protocol = entry["protocol"] if entry["protocol"] != "other" else f"other:{entry['numbers']}"
            writer.writerow([src.id, dst.id, protocol, entry.get("ports", ""), entry.get("src_ports", "")])
    return buffer.getvalue()


def matrix_markdown(matrix: Matrix) -> str:
    lines = ["| from | to | allowed |", "|---|---|---|"]
    for src, dst, conns in matrix.flows():
        lines.append(f"| {endpoint_name(src)} | {endpoint_name(dst)} | {describe(conns)} |")
    return "\n".join(lines) + "\n"


def render_matrix_text(matrix: Matrix, console) -> None:
    """A table of every allowed pair, grouped by source, plus the endpoints that appear."""
    from rich.table import Table

    table = Table(title="Connectivity", title_justify="left", show_lines=False)
    table.add_column("from", style="cyan", no_wrap=True)
    table.add_column("to", style="magenta", no_wrap=True)
    table.add_column("allowed")
    previous = None
    count = 0
    for src, dst, conns in matrix.flows():
        name = endpoint_name(src)
        table.add_row(name if name != previous else "", endpoint_name(dst), describe(conns))
        previous = name
        count += 1
    console.print(table)
    policed = [e for e in matrix.endpoints if e.policed]
    console.print(f"{len(policed)} endpoints, {len(matrix.externals)} external ranges, {count} allowed pairs; "
                  "pairs not listed allow nothing.")
