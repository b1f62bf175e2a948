"""Everything the HTML report shows, as one JSON-ready dict: namespaces, nodes (places that behave alike,
per namespace), the allowed pairs with their explanations, lint findings, policies and expectations.

A node stands for the members of one behaviour group inside one namespace, so a page for 1,000
workloads holds as many nodes as the cluster has distinct behaviours, and pairs are computed per group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netpolicy.analysis.diff.places import Group, Place, PlaceIndex
from netpolicy.engine.matrix import Matrix, selected_endpoints
from netpolicy.engine.pairs import class_pair_blocks, endpoint_classes
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.options import Options
from netpolicy.render.html.explain import Explainer
from netpolicy.render.lint.json_out import finding_json
from netpolicy.render.matrix_out import common_labels
from netpolicy.render.ranges import display_id

EXTERNAL_NS = "(external)"
MEMBERS_LISTED = 50
NAME_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name")
DENIED_GROUPS = 150   # up to this many groups, denied pairs are listed and traced too
EMPTY = ConnectionSet.empty()


@dataclass
class ReportInput:
    """The clusters to show (one, or before and after a change) and what else the page lists."""

    clusters: Sequence[Cluster]
    options: Options
    title: str
    sources: Sequence[str]
    findings: list | None = None      # lint findings of the last cluster
    expectations: dict | None = None  # `netpolicy test -o json` of the last cluster


def report_data(spec: ReportInput) -> dict:
    """The page's data (the shape is documented in README's report section)."""
    matrices = [Matrix(c, spec.options) for c in spec.clusters]
    index = PlaceIndex(matrices)
    groups = index.groups()
    findings = spec.findings or []
    per_side = [[] for _ in spec.clusters]
    per_side[-1] = findings
    explainer = Explainer(spec.clusters, matrices, spec.options, per_side)
    selected = [_selected(m) for m in matrices]
    nodes, node_groups, node_of = _nodes(groups, [_isolated(m, s) for m, s in zip(matrices, selected, strict=True)])
    namespaces = _namespaces(spec.clusters, nodes)
    for node in nodes:
        node["ns"] = namespaces["index"][node.pop("namespace")]
    pairs = _pairs(index, groups, explainer)
    policy_rows = _policies(spec.clusters[-1], selected[-1], node_of)
    return {
        "meta": {"title": spec.title, "diff": len(spec.clusters) > 1, "sources": list(spec.sources),
                 "workloads": sum(len(g) for g in groups)},
        "namespaces": namespaces["rows"],
        "nodes": nodes,
        "groups": node_groups,
        "pairs": pairs,
        "conns": explainer.conns.items,
        "whys": explainer.whys.items,
        "flows": explainer.flows.items,
        "steps": explainer.steps.items,
        "findings": [_finding(f, policy_rows) for f in findings],
        "policies": policy_rows,
        "expectations": spec.expectations,
    }


def _nodes(groups: list[Group], isolated: list[dict[str, set[str]]]) -> tuple[list[dict], list[list[int]], dict[str, int]]:
    """One node per group and namespace; for each group, its nodes; each place's node."""
    nodes: list[dict] = []
    node_groups: list[list[int]] = []
    node_of: dict[str, int] = {}
    for group in groups:
        by_ns: dict[str, list[Place]] = {}
        for place in group.members:
            by_ns.setdefault(place.namespace or EXTERNAL_NS, []).append(place)
        mine = []
        for namespace, members in by_ns.items():
            mine.append(len(nodes))
            node_of.update((p.id, len(nodes)) for p in members)
            nodes.append(_node(namespace, members, isolated))
        node_groups.append(mine)
    return nodes, node_groups, node_of


def _node(namespace: str, members: list[Place], isolated: list[dict[str, set[str]]]) -> dict:
    first = members[0]
    endpoints = [next(e for e in reversed(p.sides) if e is not None) for p in members]
    node = {"namespace": namespace, "kind": first.kind, "name": _name(members, endpoints),
            "members": [display_id(p.id) for p in members[:MEMBERS_LISTED]], "size": len(members)}
    if first.external:
        node["cidrs"] = sorted({str(n) for p in members for n in p.nets})
        return node
    node["labels"] = common_labels(endpoints)
    last = isolated[-1]
    node["isolated"] = [d for d in (INGRESS, EGRESS) if first.id in last[d]]
    if len(first.sides) > 1:
        state = ("added" if first.sides[0] is None else "removed" if first.sides[-1] is None else "")
        if state:
            node["status"] = state
    return node


def _name(members: list[Place], endpoints: list) -> str:
    """The node's short name: the member's name, or what the members share (`django ×3`)."""
    if len(members) == 1 or members[0].external:
        place = members[0]
        return display_id(place.id) if place.external else endpoints[0].name
    labels = common_labels(endpoints)
    for key in NAME_LABELS:
        if key in labels:
            return f"{labels[key]} ×{len(members)}"
    return f"{endpoints[0].name} +{len(members) - 1}"


def _selected(matrix: Matrix) -> dict[int, set[str]]:
    """Ids of the endpoints each policy selects, by the policy's `id()`."""
    return {id(p): {e.id for e in selected_endpoints(matrix, p)} for p in matrix.cluster.policies}


def _isolated(matrix: Matrix, selected: dict[int, set[str]]) -> dict[str, set[str]]:
    """Ids of the endpoints each direction's enforced policies select (isolated in that direction)."""
    out: dict[str, set[str]] = {INGRESS: set(), EGRESS: set()}
    for policy in matrix.active_policies:
        for direction in (INGRESS, EGRESS):
            if policy.governs(direction):
                out[direction] |= selected[id(policy)]
    return out


def _namespaces(clusters: Sequence[Cluster], nodes: list[dict]) -> dict:
    names = sorted({n["namespace"] for n in nodes} - {EXTERNAL_NS})
    rows = []
    for name in names:
        known = next((c.namespaces[name] for c in reversed(clusters) if name in c.namespaces), None)
        rows.append({"name": name, "labels": dict(known.labels) if known is not None else {}})
    if any(n["namespace"] == EXTERNAL_NS for n in nodes):
        rows.append({"name": EXTERNAL_NS, "labels": {}, "external": True})
    return {"rows": rows, "index": {row["name"]: i for i, row in enumerate(rows)}}


def _pairs(index: PlaceIndex, groups: list[Group], explainer: Explainer) -> list[list]:
    """Pairs of groups with something allowed on some side: `[source group, destination group,
    connections per side (index into `conns`, -1 for nothing), explanation (index into `whys`, -1 when
    not traced)]`. Small clusters also list their denied pairs, each with one traced flow."""
    sides = range(len(index.matrices))
    allowed = [_allowed_classes(m) for m in index.matrices]
    class_of = [[_class_of(allowed[k][0], g.representative.sides[k]) for g in groups] for k in sides]
    groups_of: list[dict[int, list[int]]] = [{} for _ in sides]
    for k in sides:
        for number, cls in enumerate(class_of[k]):
            if cls is not None:
                groups_of[k].setdefault(cls, []).append(number)
    candidates: set[tuple[int, int]] = set()
    for k in sides:
        for src_cls, dst_cls in allowed[k][1]:
            candidates.update((a, b) for a in groups_of[k].get(src_cls, ()) for b in groups_of[k].get(dst_cls, ()))
    out = []
    for src_id, dst_id in sorted(candidates):
        conns = [allowed[k][1].get((class_of[k][src_id], class_of[k][dst_id]), EMPTY) for k in sides]
        why = explainer.explain(groups[src_id].representative, groups[dst_id].representative, conns)
        out.append([src_id, dst_id, [-1 if c.is_empty else explainer.connections(c) for c in conns], why])
    if len(groups) <= DENIED_GROUPS:
        for src_id, src in enumerate(groups):
            for dst_id, dst in enumerate(groups):
                if (src_id, dst_id) not in candidates and index.governed(src.representative, dst.representative):
                    why = explainer.explain(src.representative, dst.representative, [EMPTY for _ in sides])
                    out.append([src_id, dst_id, [-1 for _ in sides], why])
    return out


def _allowed_classes(matrix: Matrix) -> tuple[dict[str, int], dict[tuple[int, int], ConnectionSet]]:
    """Each endpoint's class, and what every allowed pair of classes allows (computed in bulk)."""
    classes = endpoint_classes(matrix)
    class_of = {m.id: number for number, c in enumerate(classes) for m in c.members}
    pairs: dict[tuple[int, int], ConnectionSet] = {}
    for block in class_pair_blocks(matrix, classes):
        conns = block.connections
        for src, dst, kind in zip(block.sources.tolist(), block.targets.tolist(), block.kinds.tolist(), strict=True):
            pairs[(src, dst)] = conns[kind]
    return class_of, pairs


def _class_of(class_of: dict[str, int], endpoint: Endpoint | None) -> int | None:
    return None if endpoint is None else class_of[endpoint.id]


def _policies(cluster: Cluster, chosen: dict[int, set[str]], node_of: dict[str, int]) -> list[dict]:
    """Every policy: id, kind, tier, file:line, and the nodes it selects."""
    rows = []
    for policy in cluster.policies:
        selected = sorted({node_of[e] for e in chosen[id(policy)] if e in node_of})
        rows.append({"id": policy.id, "kind": policy.kind, "tier": policy.tier, "staged": policy.staged,
                     "types": sorted(policy.types),
                     "location": str(policy.location) if policy.location else None, "nodes": selected})
    return rows


def _finding(finding, policies: list[dict]) -> dict:
    """A lint finding (INTERFACES.md) with the policy it concerns, when it is one."""
    out = finding_json(finding)
    parts = finding.object.split("/")
    policy_id = f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else parts[-1]
    out["policy"] = next((i for i, p in enumerate(policies) if p["id"] == policy_id), None)
    return out
