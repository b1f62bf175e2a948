"""Partitions of peer classes into groups, and index ranges (numpy helpers)."""

from __future__ import annotations

import numpy as np


def refine(labels: np.ndarray, count: int, values: np.ndarray, n_values: int) -> tuple[np.ndarray, int]:
    """Split the groups `labels` (0..count-1) by a per-item value in 0..n_values-1: new labels and count."""
    return refine_all(labels, count, [(values, n_values)])


def refine_all(labels: np.ndarray, count: int, columns: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """`refine` by each (values, n_values) in turn, renumbering only when the combined range nears 2**62.

    A group's new number is its rank among the (group, value, value, ...) present, as refining one
    column at a time numbers them."""
    key, size = labels.astype(np.int64), count
    if not columns:
        return key, count
    for values, n_values in columns:
        if size * n_values >= 2**62:
            key, size = _renumber(key, size)
        key = key * n_values + values.astype(np.int64)
        size *= n_values
    return _renumber(key, size)


def _renumber(combined: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Values in 0..size-1 renumbered by rank among those present: through a lookup table when the
    range is small, else by sorting."""
    if size <= 4 * len(combined) + 4096:
        present = np.zeros(size, dtype=bool)
        present[combined] = True
        numbers = np.cumsum(present, dtype=np.int64) - 1
        return numbers[combined], int(numbers[-1]) + 1 if size else 0
    unique, inverse = np.unique(combined, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(unique)


#: Sets whose memberships make one column of `refine_all` (item counts stay below 2**30, so the key fits).
SETS_PER_COLUMN = 32


def union_of(sets: list[np.ndarray], n: int) -> np.ndarray:
    """The sorted union of sets of indices below `n`."""
    marks = np.zeros(n, dtype=bool)
    for items in sets:
        marks[items] = True
    return np.flatnonzero(marks)


def membership(sets: list[np.ndarray], union: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """A `refine_all` column for up to SETS_PER_COLUMN sets of indices below `n`: per item of `union`,
    the bits of the sets that hold it (the first set's highest); and the column's range."""
    bits = np.zeros(n, dtype=np.min_scalar_type(2 ** len(sets) - 1))
    for place, items in enumerate(reversed(sets)):
        bits[items] += 1 << place
    return bits[union], 2 ** len(sets)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: `np.unique` without its masked-array check (which imports numpy.ma,
    a sixtieth of a second that a command would pay at start-up)."""
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def label_type(count: int) -> type:
    """The smallest integer type for group labels below `count` (base partitions are kept per table)."""
    return np.int16 if count < 2**15 else np.int32


def representatives(labels: np.ndarray, count: int, items: np.ndarray | None = None) -> np.ndarray:
    """One item of each group (any: every member of a group is treated alike)."""
    reps = np.zeros(count, dtype=np.int64)
    reps[labels] = np.arange(len(labels)) if items is None else items
    return reps


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated `arange(start, start + length)` for each pair."""
    if len(starts) == 1:
        return np.arange(starts[0], starts[0] + lengths[0], dtype=np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    nonempty = lengths > 0
    starts, lengths = starts[nonempty], lengths[nonempty]
    steps = np.ones(total, dtype=np.int64)
    heads = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    steps[heads] = starts - np.concatenate(([0], starts[:-1] + lengths[:-1] - 1))
    return np.cumsum(steps)
