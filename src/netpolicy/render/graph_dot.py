"""`matrix -o dot`: Graphviz, namespaces as clusters, edges to a whole namespace drawn to its box."""

from __future__ import annotations

from netpolicy.render.graph_model import Graph


def dot_string(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, line breaks as `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def graph_dot(graph: Graph) -> str:
    """The graph in DOT (ids are generated, every label is a quoted, escaped string)."""
    lines = ["digraph netpolicy {", "  compound=true; rankdir=LR; newrank=true;",
             '  node [shape=box, style="rounded,filled", fillcolor="#e8effc", color="#4b7bd8", fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10, color="#2e9d5b"];']
    anchors: dict[str, str] = {}
    for number, (name, nodes) in enumerate(graph.clusters.items()):
        anchors[name] = f"a{number}"
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label={dot_string(name)}; style="rounded"; color="#b8c2d3";')
        lines.append(f'    a{number} [shape=point, style=invis, width=0];')
        lines.extend(f"    {node} [label={dot_string(graph.nodes[node])}];" for node in nodes)
        lines.append("  }")
    for src, dst, label in graph.edges:
        attrs = [f"label={dot_string(label)}"]
        ends = []
        for end, side in ((src, "ltail"), (dst, "lhead")):
            if end.startswith("cluster:"):
                name = end.removeprefix("cluster:")
                number = list(graph.clusters).index(name)
                attrs.append(f"{side}=cluster_{number}")
                ends.append(anchors[name])
            else:
                ends.append(end)
        lines.append(f"  {ends[0]} -> {ends[1]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
