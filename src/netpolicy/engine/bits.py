"""Partitions of peer classes into groups, and index ranges (numpy helpers)."""

from __future__ import annotations

import numpy as np


def refine(labels: np.ndarray, count: int, values: np.ndarray, n_values: int) -> tuple[np.ndarray, int]:
    """Split the groups `labels` (0..count-1) by a per-item value in 0..n_values-1: new labels and count.

    Renumbers through a lookup table when the combined range is small, else by sorting."""
    combined = labels * n_values + values.astype(np.int64)
    size = count * n_values
    if size <= 4 * len(labels) + 4096:
        present = np.zeros(size, dtype=bool)
        present[combined] = True
        numbers = np.cumsum(present, dtype=np.int64) - 1
        return numbers[combined], int(numbers[-1]) + 1 if size else 0
    unique, inverse = np.unique(combined, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(unique)


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
