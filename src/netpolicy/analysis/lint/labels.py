""""Did you mean": the label keys and values that exist, nearest by edit distance to the ones a selector wants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netpolicy.selectors.ast import Selector
from netpolicy.selectors.restrictions import label_restrictions


def edit_distance(a: str, b: str) -> int:
    """Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one edit
    each (optimal string alignment), so `wbe` is one edit from `web`."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word`, if it is near enough to be a likely slip (ties: alphabetical)."""
    limit = max(2, (len(word) + 2) // 3)
    scored = sorted((edit_distance(word, c), c) for c in set(candidates) if c != word)
    if scored and scored[0][0] <= limit:
        return scored[0][1]
    return None


def suggestions(selector: Selector, label_sets: Iterable[Mapping[str, str]]) -> list[str]:
    """`key: value` (or `key`) corrections for the labels `selector` requires that no label set has.

    For a required `key == value` whose key exists, the nearest existing value of that key is offered;
    when the key exists nowhere, the nearest key (with the wanted value, if some set has that pair).
    """
    sets = list(label_sets)
    values_by_key: dict[str, set[str]] = {}
    for labels in sets:
        for key, value in labels.items():
            values_by_key.setdefault(key, set()).add(value)
    out: list[str] = []
    for key, restriction in sorted(label_restrictions(selector).items()):
        if not restriction.must_be_present:
            continue
        wanted = restriction.must_have_one_of_values
        if key in values_by_key:
            if wanted is None or wanted & values_by_key[key]:
                continue
            for value in sorted(wanted):
                guess = closest(value, values_by_key[key])
                if guess is not None:
                    out.append(f"{key}: {guess}")
            continue
        guess = closest(key, values_by_key)
        if guess is None:
            continue
        if wanted is not None and len(wanted) == 1:
            out.append(f"{guess}: {next(iter(wanted))}")
        else:
            out.append(guess)
    return out


def did_you_mean(selector: Selector, label_sets: Iterable[Mapping[str, str]]) -> str:
    """`did you mean app: django?`, or `""` when nothing near exists."""
    found = suggestions(selector, label_sets)
    return f"did you mean {' / '.join(found)}?" if found else ""
