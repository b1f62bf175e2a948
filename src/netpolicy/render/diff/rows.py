"""How a diff is laid out: one row per endpoint pair, or per class of alike endpoints for big changes."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.analysis.diff.compute import Change, DiffResult, Explanation
from netpolicy.analysis.diff.places import Place
from netpolicy.render.ranges import display_id

PAIR, CLASS, AUTO = "pair", "class", "auto"
PAIR_LIMIT = 100     # `auto` lists pairs up to this many changed pairs, classes beyond
MEMBERS_SHOWN = 5    # members named when a class is shown in words


@dataclass(frozen=True)
class Row:
    """Sources and destinations (one each in pair layout) that share one change."""

    sources: tuple[Place, ...]
    destinations: tuple[Place, ...]
    change: Change

    @property
    def pairs(self) -> int:
        """How many endpoint pairs the row stands for."""
        return len(self.sources) * len(self.destinations)


def layout(result: DiffResult, group_by: str = AUTO) -> tuple[str, list[Row]]:
    """The layout chosen (`pair` or `class`) and its rows, in the diff's order."""
    chosen = group_by if group_by != AUTO else (PAIR if result.pairs_changed <= PAIR_LIMIT else CLASS)
    rows = []
    for change in result.changes:
        if chosen == PAIR:
            rows.extend(Row((s,), (d,), change)
                        for s in change.sources.members for d in change.destinations.members)
        else:
            rows.append(Row(change.sources.members, change.destinations.members, change))
    return chosen, rows


def places_text(places: tuple[Place, ...]) -> str:
    """`ns/a`, or `3 endpoints: ns/a, ns/b, ns/c` (at most MEMBERS_SHOWN named)."""
    if len(places) == 1:
        return display_id(places[0].id)
    shown = places[:MEMBERS_SHOWN]
    named = ("; " if any(p.external for p in shown) else ", ").join(display_id(p.id) for p in shown)
    more = f", … {len(places) - MEMBERS_SHOWN} more" if len(places) > MEMBERS_SHOWN else ""
    return f"{len(places)} places: {named}{more}"


def explanations(change: Change, allowed: bool) -> tuple[Explanation, ...]:
    """The explanations of what a change newly allows (or newly blocks)."""
    return change.allowed_because if allowed else change.blocked_because
