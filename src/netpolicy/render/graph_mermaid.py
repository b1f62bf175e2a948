"""`matrix -o mermaid` and `diff -o mermaid`: flowcharts for Markdown, namespaces as subgraphs; a diff
coloured like the HTML report (added green, removed red dashed, changed amber)."""

from __future__ import annotations

from netpolicy.analysis.diff.compute import DiffResult
from netpolicy.render.diff.rows import layout, places_text
from netpolicy.render.graph_model import Graph
from netpolicy.render.words import describe

COLOURS = {"added": "#1f9d55", "removed": "#d64545", "changed": "#e0a100"}


def mermaid_text(text: str) -> str:
    """A quoted Mermaid label: `"`, `<`, `>`, `#`, `&` and line breaks written as entity codes, so no input
    can end the label, add markup or start a new statement."""
    codes = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "\n": " ", "\r": " ",
             "`": "#96;", "|": "#124;"}
    return '"' + "".join(codes.get(ch, ch) for ch in text) + '"'


def graph_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart (ids are generated; labels quoted and escaped)."""
    lines = ["flowchart LR"]
    subgraphs: dict[str, str] = {}
    for number, (name, nodes) in enumerate(graph.clusters.items()):
        subgraphs[name] = f"ns{number}"
        lines.append(f"  subgraph ns{number}[{mermaid_text(name)}]")
        lines.extend(f"    {node}[{mermaid_text(graph.nodes[node])}]" for node in nodes)
        lines.append("  end")

    def end(ref: str) -> str:
        return subgraphs[ref.removeprefix("cluster:")] if ref.startswith("cluster:") else ref

    lines.extend(f"  {end(src)} -->|{mermaid_text(label)}| {end(dst)}" for src, dst, label in graph.edges)
    return "\n".join(lines) + "\n"


def diff_mermaid(result: DiffResult) -> str:
    """The change as a Mermaid flowchart: one edge per changed pair (or class of pairs), coloured."""
    lines = ["flowchart LR"]
    ids: dict[tuple, str] = {}

    def node(places) -> str:
        key = tuple(p.id for p in places)
        if key not in ids:
            ids[key] = f"p{len(ids)}"
            lines.append(f"  {ids[key]}[{mermaid_text(places_text(places))}]")
        return ids[key]

    edges = []
    for row in layout(result)[1]:
        change = row.change
        state = "added" if change.before.is_empty else "removed" if change.after.is_empty else "changed"
        label = (f"+ {describe(change.after)}" if state == "added" else f"- {describe(change.before)}"
                 if state == "removed" else f"{describe(change.before)} ⇒ {describe(change.after)}")
        edges.append((node(row.sources), node(row.destinations), label, state))
    for number, (src, dst, label, state) in enumerate(edges):
        arrow = "-.->" if state == "removed" else "-->"
        lines.append(f"  {src} {arrow}|{mermaid_text(label)}| {dst}")
        lines.append(f"  linkStyle {number} stroke:{COLOURS[state]},stroke-width:2px,color:{COLOURS[state]}")
    if not edges:
        lines.append(f"  same[{mermaid_text('no change in connectivity')}]")
    return "\n".join(lines) + "\n"
