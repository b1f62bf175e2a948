"""Packed boolean vectors over peer classes, and partitions of classes into groups (numpy helpers)."""

from __future__ import annotations

import numpy as np


def pack(vector: np.ndarray) -> np.ndarray:
    return np.packbits(vector)


def unpack(bits: np.ndarray, size: int) -> np.ndarray:
    return np.unpackbits(bits, count=size).view(bool)


def bits_at(bits: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The packed vector's values at the given positions."""
    return ((bits[positions >> 3] >> (7 - (positions & 7))) & 1).astype(bool)


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
