"""Service-level changes between two matrices: which sources reach which Service ports fully, partly or
not at all, before and after (engine/service_rows.py; docs/semantics.md#service-rows)."""

from __future__ import annotations

from dataclasses import dataclass

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


def service_changes(before, after) -> list[ServiceChange]:
    """Every change of a source's verdict on a Service port, grouped by Service port and verdicts."""
    sides = [_verdicts(matrix) for matrix in (before, after)]
    keys = list(dict.fromkeys([*sides[0], *sides[1]]))
    changes = []
    for key in keys:
        old, new = sides[0].get(key, {}), sides[1].get(key, {})
        grouped: dict[tuple[str, str], list[str]] = {}
        for source in dict.fromkeys([*old, *new]):
            was, now = old.get(source, NONE), new.get(source, NONE)
            if was != now:
                grouped.setdefault((was, now), []).append(source)
        changes += [ServiceChange(*key, was, now, tuple(sources)) for (was, now), sources in grouped.items()]
    return changes


def _verdicts(matrix) -> dict[tuple[str, int, int], dict[str, str]]:
    """(Service id, port, protocol) → source → allow or partial."""
    if not matrix.cluster.services:
        return {}
    return {(row.service.id, row.port.port, row.port.protocol): {s: row.verdict(s) for s in row.reached}
            for row in service_rows(matrix)}
