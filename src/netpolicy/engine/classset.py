"""Sets of peer classes stored as the policies make them: every class, a few sorted class ids, or bits.

A rule's peers are often narrow (one namespace, one label value): their set is kept as sorted ids and
combined in time proportional to its size, never to the number of classes. Wide sets are packed bits.
The form is chosen from the size alone, so equal sets have equal `key`s.
"""

from __future__ import annotations

import numpy as np

from netpolicy.engine.bits import sorted_unique

#: A set with at most `size >> SPARSE_SHIFT` classes is kept as sorted ids (8 bytes each, 1/8 of a
#: byte per class in bits: ids are also the smaller form up to size / 64).
SPARSE_SHIFT = 5

_EMPTY = np.zeros(0, dtype=np.int64)


class ClassSet:
    """An immutable set of peer classes among `size`; `key` identifies its content."""

    __slots__ = ("size", "count", "ids", "bits", "_key")

    def __init__(self, size: int, count: int, ids: np.ndarray | None, bits: np.ndarray | None) -> None:
        self.size, self.count, self.ids, self.bits = size, count, ids, bits
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        """The content as bytes (equal sets of one size have equal keys)."""
        if self._key is None:
            self._key = (b"s" + self.ids.tobytes() if self.ids is not None
                         else b"b" + self.bits.tobytes() if self.bits is not None else b"a")
        return self._key

    # ---- making one -------------------------------------------------------------------------------
    @classmethod
    def everything(cls, size: int) -> ClassSet:
        return cls(size, size, None, None)

    @classmethod
    def of_ids(cls, ids: np.ndarray, size: int) -> ClassSet:
        """The set of these sorted, distinct class ids."""
        count = len(ids)
        if count == size:
            return cls.everything(size)
        if count <= size >> SPARSE_SHIFT:
            return cls(size, count, ids.astype(np.int64, copy=False), None)
        mask = np.zeros(size, dtype=bool)
        mask[ids] = True
        return cls(size, count, None, np.packbits(mask))

    @classmethod
    def of_any_ids(cls, ids, size: int) -> ClassSet:
        """The set of these class ids (any order, repeats allowed)."""
        return cls.of_ids(sorted_unique(np.asarray(ids, dtype=np.int64)), size)

    @classmethod
    def of_mask(cls, mask: np.ndarray) -> ClassSet:
        """The set of the classes a boolean vector marks."""
        size = len(mask)
        count = int(np.count_nonzero(mask))
        if count == size:
            return cls.everything(size)
        if count <= size >> SPARSE_SHIFT:
            return cls(size, count, np.flatnonzero(mask), None)
        return cls(size, count, None, np.packbits(mask))

    @classmethod
    def _of_bits(cls, bits: np.ndarray, size: int) -> ClassSet:
        count = int(np.bitwise_count(bits).sum())
        if count == size:
            return cls.everything(size)
        if count <= size >> SPARSE_SHIFT:
            return cls(size, count, np.flatnonzero(np.unpackbits(bits, count=size)), None)
        return cls(size, count, None, bits)

    # ---- reading it -------------------------------------------------------------------------------
    @property
    def is_all(self) -> bool:
        return self.count == self.size

    def dense(self) -> np.ndarray:
        """A boolean vector over the classes."""
        if self.bits is not None:
            return np.unpackbits(self.bits, count=self.size).view(bool)
        if self.ids is None:
            return np.ones(self.size, dtype=bool)
        mask = np.zeros(self.size, dtype=bool)
        mask[self.ids] = True
        return mask

    def indices(self) -> np.ndarray:
        """The sorted class ids."""
        if self.ids is not None:
            return self.ids
        if self.bits is None:
            return np.arange(self.size, dtype=np.int64)
        return np.flatnonzero(self.dense())

    def contains(self, positions: np.ndarray) -> np.ndarray:
        """Whether each of the given classes is in the set (booleans)."""
        positions = np.asarray(positions, dtype=np.int64)
        if self.bits is not None:
            return ((self.bits[positions >> 3] >> (7 - (positions & 7))) & 1).astype(bool)
        if self.ids is None:
            return np.ones(len(positions), dtype=bool)
        if not self.count:
            return np.zeros(len(positions), dtype=bool)
        at = np.minimum(np.searchsorted(self.ids, positions), self.count - 1)
        return self.ids[at] == positions

    # ---- combining --------------------------------------------------------------------------------
    def __and__(self, other: ClassSet) -> ClassSet:
        if self.is_all:
            return other
        if other.is_all:
            return self
        if self.ids is not None and other.ids is not None:
            return _subset(self.size, np.intersect1d(self.ids, other.ids, assume_unique=True))
        if self.ids is not None:
            return _subset(self.size, self.ids[other.contains(self.ids)])
        if other.ids is not None:
            return _subset(self.size, other.ids[self.contains(other.ids)])
        return ClassSet._of_bits(self.bits & other.bits, self.size)

    def __or__(self, other: ClassSet) -> ClassSet:
        if self.is_all or not other.count:
            return self
        if other.is_all or not self.count:
            return other
        if self.ids is not None and other.ids is not None:
            return ClassSet.of_ids(sorted_unique(np.concatenate((self.ids, other.ids))), self.size)
        return ClassSet.of_mask(self.dense() | other.dense())

    def __invert__(self) -> ClassSet:
        if self.is_all:
            return ClassSet(self.size, 0, _EMPTY, None)
        return ClassSet.of_mask(~self.dense())

    def __len__(self) -> int:
        return self.count


def _subset(size: int, ids: np.ndarray) -> ClassSet:
    """Part of a set kept as ids (so kept as ids too)."""
    return ClassSet(size, len(ids), ids, None)
