"""One home for suggestions: the known names nearest to a misspelt one, and `did you mean …?` in words."""

from __future__ import annotations

from collections.abc import Iterable


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


def closest(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` candidates that are likely slips for `word`: equal but for case first, then the nearest
    by edit distance within a third of its length (at least 1); ties alphabetical."""
    others = sorted(set(candidates) - {word})
    same_case = [c for c in others if c.lower() == word.lower()]
    limit = max(1, len(word) // 3)
    scored = sorted((edit_distance(word, c), c) for c in others if c not in same_case)
    return (same_case + [c for distance, c in scored if distance <= limit])[:n]


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The likeliest candidate `word` is a slip for, or None."""
    found = closest(word, candidates)
    return found[0] if found else None


def did_you_mean(found: Iterable[str], *, quote: bool = False, separator: str = ", ") -> str:
    """`did you mean a, b?` (`'a'` with `quote`), or `""` when nothing was found."""
    names = [repr(name) if quote else name for name in found]
    return f"did you mean {separator.join(names)}?" if names else ""


def case_hint(value: object, choices: Iterable[str]) -> str:
    """`values are case-sensitive: did you mean 'Allow'?` when `value` differs from a choice only in case."""
    if isinstance(value, str):
        for choice in choices:
            if choice.lower() == value.lower():
                return f"values are case-sensitive: {did_you_mean([choice], quote=True)}"
    return ""
