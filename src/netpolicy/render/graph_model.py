"""The connectivity matrix as a small graph for docs and pull requests: endpoints grouped by namespace,
one labelled edge per pair, and edges merged where a whole namespace is reached (or reaches) alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from netpolicy.engine.matrix import Matrix
from netpolicy.render.words import describe, endpoint_name

EXTERNAL_CLUSTER = "(external)"


@dataclass
class Graph:
    """Nodes (`id → label`), clusters (`name → node ids`) and edges `(from, to, label)`, where an end is a
    node id or `cluster:NAME` for every node of a namespace."""

    nodes: dict[str, str] = field(default_factory=dict)
    clusters: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)


def matrix_graph(matrix: Matrix) -> Graph:
    """The graph of a matrix: only endpoints that take part in some flow, edges merged per namespace."""
    graph = Graph()
    ids: dict[str, str] = {}
    pairs: dict[tuple[str, str], str] = {}
    for src, dst, conns in matrix.flows():
        for endpoint in (src, dst):
            if endpoint.id not in ids:
                ids[endpoint.id] = node = f"n{len(ids)}"
                graph.nodes[node] = endpoint.name if endpoint.kind != "External" else endpoint_name(endpoint)
                graph.clusters.setdefault(endpoint.namespace or EXTERNAL_CLUSTER, []).append(node)
        pairs[(ids[src.id], ids[dst.id])] = describe(conns)
    merged = _merge(_merge(list(pairs.items()), graph.clusters, 1), graph.clusters, 0)
    graph.edges = [(a, b, label) for (a, b), label in merged]
    return graph


def _merge(edges: list[tuple[tuple[str, str], str]], clusters: dict[str, list[str]], end: int) -> list:
    """Edges whose `end` (0: source, 1: destination) covers every node of a namespace with one label,
    the other end being the same, become one edge to (or from) the namespace."""
    members = {node: name for name, nodes in clusters.items() for node in nodes}
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for pair, label in edges:
        node = pair[end]
        name = members.get(node, "")
        grouped.setdefault((pair[1 - end], name, label), []).append(node)
    out = []
    for (other, name, label), nodes in grouped.items():
        whole = name and len(clusters[name]) > 1 and set(nodes) == set(clusters[name])
        for node in ([f"cluster:{name}"] if whole else nodes):
            out.append(((other, node) if end == 1 else (node, other), label))
    return out
