"""Sets of integers as sorted, merged, inclusive ranges: ports, protocol numbers and IP addresses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntervalSet:
    """An immutable set of integers stored as sorted, disjoint, non-adjacent inclusive ranges."""

    ranges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, items: Iterable[tuple[int, int] | int]) -> IntervalSet:
        """Build from ranges `(lo, hi)` and single integers in any order."""
        spans = sorted((i, i) if isinstance(i, int) else (i[0], i[1]) for i in items)
        merged: list[list[int]] = []
        for lo, hi in spans:
            if lo > hi:
                continue
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return cls(tuple((lo, hi) for lo, hi in merged))

    @classmethod
    def span(cls, lo: int, hi: int) -> IntervalSet:
        return cls(((lo, hi),)) if lo <= hi else cls()

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.ranges)

    def __contains__(self, value: int) -> bool:
        lo_i, hi_i = 0, len(self.ranges)
        while lo_i < hi_i:
            mid = (lo_i + hi_i) // 2
            lo, hi = self.ranges[mid]
            if value < lo:
                hi_i = mid
            elif value > hi:
                lo_i = mid + 1
            else:
                return True
        return False

    def __len__(self) -> int:
        """Number of integers in the set."""
        return sum(hi - lo + 1 for lo, hi in self.ranges)

    def __or__(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet.of(self.ranges + other.ranges)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        i = j = 0
        a, b = self.ranges, other.ranges
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return IntervalSet(tuple(out))

    def __sub__(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        j = 0
        b = other.ranges
        for lo, hi in self.ranges:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return IntervalSet(tuple(out))

    def issubset(self, other: IntervalSet) -> bool:
        return not (self - other)

    def format(self, sep: str = ",") -> str:
        """`80-81,443` style text."""
        return sep.join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)

    @classmethod
    def parse(cls, text: str) -> IntervalSet:
        """Inverse of `format`: `"80-81,443"`."""
        items: list[tuple[int, int]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, _, hi = part.partition("-")
            items.append((int(lo), int(hi or lo)))
        return cls.of(items)


ALL_PORTS = IntervalSet.span(1, 65535)
