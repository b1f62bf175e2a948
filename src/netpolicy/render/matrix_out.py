"""The connectivity matrix as JSON (INTERFACES.md) and the class view as text (tables: matrix_tables)."""

from __future__ import annotations

from netpolicy.engine.matrix import Matrix
from netpolicy.model.cluster import Endpoint
from netpolicy.progress import StageReport
from netpolicy.render.connections_json import connections_json
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


def class_json(cls, max_members: int) -> dict:
    members = [m.id for m in cls.members]
    out = {"id": cls.id, "kind": "Class", "members": members[:max_members], "size": len(members)}
    if len(members) > max_members:
        out["members_truncated"] = True
    common = common_labels(cls.members)
    if common:
        out["labels"] = common
    return out


def common_labels(members) -> dict[str, str]:
    """Labels every member carries with the same value (plus the namespace when shared)."""
    first = members[0]
    if len(members) == 1:  # most classes of an open cluster: no comparison to make
        return dict(first.labels)
    rest = members[1:]
    return {k: v for k, v in first.labels.items() if all(m.labels.get(k) == v for m in rest)}


def _write_endpoints(endpoints, stream) -> None:
    import json

    stream.write('{"endpoints": [\n')
    for i, item in enumerate(endpoints):
        stream.write(("" if i == 0 else ",\n") + "  " + json.dumps(item))
    stream.write('\n], "flows": [\n')


def write_json(document_parts, stream, services: list[dict] | None = None, hooks: dict | None = None) -> None:
    """Stream `{"endpoints": [...], "flows": [...]}` one item per line: large matrices never sit in memory
    twice, and each connection set is serialised once; `services` (the Service rows) and `hooks` (the
    host endpoint hooks left out) follow when given."""
    import json

    endpoints, flows = document_parts
    _write_endpoints(endpoints, stream)
    encoded: dict[int, str] = {}
    first = True
    for src, dst, conns in flows:
        text = encoded.get(id(conns))
        if text is None:
            text = encoded[id(conns)] = json.dumps(connections_json(conns))
        stream.write(("" if first else ",\n") + f'  {{"from": {json.dumps(src)}, "to": {json.dumps(dst)}, '
                     f'"allowed": {text}}}')
        first = False
    if services:
        stream.write('\n], "services": [\n' + ",\n".join("  " + json.dumps(item) for item in services))
    stream.write("\n]" + (f', "host_endpoint_hooks": {json.dumps(hooks)}' if hooks else "") + "}\n")


def write_class_json(matrix: Matrix, classes, stream, max_members: int,
                     progress: StageReport | None = None) -> None:
    """`matrix -o json --group-by class`: the class pairs written a block at a time, each line built
    from pre-encoded pieces."""
    import json

    from netpolicy.engine.pairs import class_pair_blocks

    _write_endpoints((class_json(c, max_members) for c in classes), stream)
    heads = [f'  {{"from": {json.dumps(c.id)}, "to": ' for c in classes]
    tails = [f'{json.dumps(c.id)}, "allowed": ' for c in classes]
    texts: list[str] = []
    separator = ""
    for block in class_pair_blocks(matrix, classes, progress):
        texts += [json.dumps(connections_json(conns)) + "}" for conns in block.connections[len(texts):]]
        lines = [heads[s] + tails[d] + texts[k]
                 for s, d, k in zip(block.sources.tolist(), block.targets.tolist(), block.kinds.tolist(), strict=True)]
        if lines:
            stream.write(separator + ",\n".join(lines))
            separator = ",\n"
    stream.write("\n]}\n")


def stream_matrix_json(matrix: Matrix, stream, group_by_class: bool = False, max_members: int = 50,
                       progress: StageReport | None = None) -> None:
    """`matrix -o json` (per endpoint, or per class) written as it is computed."""
    if group_by_class:
        from netpolicy.engine.pairs import endpoint_classes

        write_class_json(matrix, endpoint_classes(matrix), stream, max_members, progress)
    else:
        services = None
        if matrix.cluster.services:
            from netpolicy.engine.service_lb_rows import load_balancer_rows
            from netpolicy.engine.service_rows import service_rows
            from netpolicy.render.matrix_services import services_json

            services = services_json(service_rows(matrix), load_balancer_rows(matrix), matrix.ctx.backends)
        write_json(([endpoint_json(e) for e in matrix.endpoints],
                    ((s.id, d.id, conns) for s, d, conns in matrix.flows())), stream, services, _hooks(matrix))


def _hooks(matrix: Matrix) -> dict | None:
    """`host_endpoint_hooks` when host endpoints govern nodes (the pod cells apply their hooks)."""
    if not (nodes := matrix.guarded_nodes):
        return None
    from netpolicy.render.matrix_services import host_hooks_json

    return host_hooks_json(nodes)


def class_summary(cls) -> str:
    """`trojanwall: app=django (3 endpoints)` style description of a class."""
    members = cls.members
    if members[0].kind == "External":
        return "; ".join(endpoint_name(m) for m in members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
    namespaces = sorted({m.namespace or "" for m in members})
    labels = common_labels(members)
    where = namespaces[0] if len(namespaces) == 1 else f"{len(namespaces)} namespaces"
    what = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "any labels"
    return f"{where}: {what} ({len(members)} endpoint{'s' if len(members) != 1 else ''})"


def render_classes_text(matrix: Matrix, console) -> None:
    from rich.table import Table

    from netpolicy.engine.pairs import class_pairs, endpoint_classes

    classes = endpoint_classes(matrix)
    table = Table(title="Connectivity between classes of endpoints", title_justify="left")
    table.add_column("from", style="cyan")
    table.add_column("to", style="magenta")
    table.add_column("allowed")
    flows = list(class_pairs(matrix, classes))
    for src, dst, conns in flows:
        table.add_row(f"{src.id} {class_summary(src)}", f"{dst.id} {class_summary(dst)}", describe(conns))
    console.print(table)
    console.print(f"{len(classes)} classes, {len(flows)} allowed class pairs.")
