"""A semantic diff as JSON: counts, added and removed endpoints, and every change with its explanations.

Shape::

    {"summary": {"pairs_newly_allowed": 3, "pairs_newly_blocked": 2, "changes": 4, "layout": "pair",
                 "endpoints_added": [...], "endpoints_removed": [...]},
     "changes": [{"from": "ns/a", "to": "ns/b", "pairs": 1,
                  "before": [allowed...], "after": [allowed...],
                  "newly_allowed": [allowed...], "newly_blocked": [allowed...],
                  "explanations": [{"change": "allowed", "connections": [...],
                                    "example": {"protocol": "TCP", "port": 5432, "src_port": null},
                                    "before": FlowResult|null, "after": FlowResult|null}]}]}

`allowed` entries are the matrix's (INTERFACES.md). In the `class` layout `from`/`to` are
`{"members": [ids], "size": n}` (members cut past `max_members`, with `"members_truncated": true`).
"""

from __future__ import annotations

from netpolicy.analysis.diff.compute import DiffResult, Explanation
from netpolicy.analysis.diff.places import Place
from netpolicy.model.protocols import protocol_name
from netpolicy.render.connections_json import connections_json
from netpolicy.render.diff.rows import PAIR, Row, layout
from netpolicy.render.flow_json import flow_json

MAX_MEMBERS = 1000


def diff_json(result: DiffResult, group_by: str = "auto", max_members: int = MAX_MEMBERS) -> dict:
    """The diff as a JSON-ready dict."""
    chosen, rows = layout(result, group_by)
    return {
        "summary": {
            "pairs_newly_allowed": result.pairs_newly_allowed,
            "pairs_newly_blocked": result.pairs_newly_blocked,
            "changes": len(rows),
            "layout": chosen,
            "endpoints_compared": result.endpoints,
            "external_ranges_compared": result.externals,
            "endpoints_added": [p.id for p in result.added],
            "endpoints_removed": [p.id for p in result.removed],
        },
        "changes": [_row(row, chosen, max_members) for row in rows],
        **({"services": [{"service": c.service, "port": c.port, "protocol": protocol_name(c.protocol),
                          "before": c.before, "after": c.after, "from": list(c.sources),
                          **({"load_balancer_ip": c.via} if c.via else {}),
                          **({"node": c.node, "node_port": c.node_port} if c.node else {})}
                         for c in result.services]} if result.services else {}),
    }


def _row(row: Row, chosen: str, max_members: int) -> dict:
    change = row.change
    out = {
        "from": _places(row.sources, chosen, max_members),
        "to": _places(row.destinations, chosen, max_members),
        "pairs": row.pairs,
        "before": connections_json(change.before),
        "after": connections_json(change.after),
        "newly_allowed": connections_json(change.newly_allowed),
        "newly_blocked": connections_json(change.newly_blocked),
        "explanations": [_explanation(e, "allowed") for e in change.allowed_because]
        + [_explanation(e, "blocked") for e in change.blocked_because],
    }
    untraced = {k: connections_json(v) for k, v in (("allowed", change.untraced_allowed),
                                            ("blocked", change.untraced_blocked)) if v}
    if untraced:
        out["untraced"] = untraced
    return out


def _places(places: tuple[Place, ...], chosen: str, max_members: int) -> str | dict:
    if chosen == PAIR:
        return places[0].id
    out: dict = {"members": [p.id for p in places[:max_members]], "size": len(places)}
    if len(places) > max_members:
        out["members_truncated"] = True
    return out


def _explanation(explanation: Explanation, change: str) -> dict:
    probe = explanation.probe
    return {
        "change": change,
        "connections": connections_json(explanation.connections),
        "example": {"protocol": protocol_name(probe.protocol), "port": probe.port, "src_port": probe.src_port},
        "before": flow_json(explanation.before) if explanation.before else None,
        "after": flow_json(explanation.after) if explanation.after else None,
    }
