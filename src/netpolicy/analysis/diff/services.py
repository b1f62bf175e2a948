"""Service-level changes between two matrices: which sources reach which Service ports fully, partly or
not at all, before and after (engine/service_rows.py; docs/semantics.md#service-rows)."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.service_lb_rows import load_balancer_rows, node_port_rows
from netpolicy.engine.service_rows import service_rows

NONE = "none"


@dataclass(frozen=True)
class ServiceChange:
    """Sources whose reach of one Service port went from `before` to `after` (allow, partial, none)."""

    service: str
    port: int
    protocol: int
    before: str
    after: str
    sources: tuple[str, ...]
    #: The LoadBalancer IP the sources go through (a Service with loadBalancerSourceRanges); None: the ClusterIP.
    via: str | None = None
    #: The node and nodePort the sources go through (a Service with nodePorts); None: not a nodePort row.
    node: str | None = None
    node_port: int | None = None


def service_changes(before, after, externals=()) -> list[ServiceChange]:
    """Every change of a source's verdict on a Service port, grouped by Service port and verdicts;
    `externals`: the external places common to both sides (each side's ranges cut where either cuts)."""
    sides = [_verdicts(matrix, externals, side) for side, matrix in enumerate((before, after))]
    keys = list(dict.fromkeys([*sides[0], *sides[1]]))
    changes = []
    for key in keys:
        old, new = sides[0].get(key, {}), sides[1].get(key, {})
        grouped: dict[tuple[str, str], list[str]] = {}
        for source in dict.fromkeys([*old, *new]):
            was, now = old.get(source, NONE), new.get(source, NONE)
            if was != now:
                grouped.setdefault((was, now), []).append(source)
        changes += [ServiceChange(*key[:3], was, now, tuple(sources), *key[3:])
                    for (was, now), sources in grouped.items()]
    return changes


def _verdicts(matrix, externals, side: int) -> dict[tuple, dict[str, str]]:
    """(Service id, port, protocol[, LoadBalancer IP, node, nodePort]) → source → allow or partial; the
    external ranges of a LoadBalancer or nodePort row as the common places (`externals`) that their side's
    range holds."""
    if not matrix.cluster.services:
        return {}
    out = {(row.service.id, row.port.port, row.port.protocol): {s: row.verdict(s) for s in row.reached}
           for row in service_rows(matrix)}
    ranges = {e.id for e in matrix.externals}
    for row in [*load_balancer_rows(matrix), *node_port_rows(matrix)]:
        reached = {s: row.verdict(s) for s in row.reached if s not in ranges}
        reached |= {p.id: verdict for p in externals if p.sides[side] is not None
                    and (verdict := row.verdict(p.sides[side].id))}
        entered = (None, row.node, row.port.node_port) if row.node else (row.address,)
        out[(row.service.id, row.port.port, row.port.protocol, *entered)] = reached
    return out
