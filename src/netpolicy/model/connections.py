"""Connection sets: which protocols, destination ports and source ports (or ICMP types and codes) pass.

Every protocol has a two-dimensional domain, stored as a step function over the first dimension:

- TCP, UDP, SCTP: destination port 1-65535 × source port 1-65535;
- ICMP, ICMPv6: type 0-255 × code 0-255;
- any other protocol number: the single cell 0 × 0 (it carries no ports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS

Step = tuple[tuple[int, int, IntervalSet], ...]  # (first_lo, first_hi, second set), sorted, merged

NAMED_ORDER = (6, 17, 132, 1, 58)  # TCP, UDP, SCTP, ICMP, ICMPv6: shown first, in this order


def domain(protocol: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (first, second) dimension bounds for a protocol."""
    if protocol in PORT_PROTOCOLS:
        return (1, 65535), (1, 65535)
    if protocol in ICMP_PROTOCOLS:
        return (0, 255), (0, 255)
    return (0, 0), (0, 0)


def full_step(protocol: int) -> Step:
    (dlo, dhi), (slo, shi) = domain(protocol)
    return ((dlo, dhi, IntervalSet.span(slo, shi)),)


def _normalise(cells: list[tuple[int, int, IntervalSet]]) -> Step:
    out: list[tuple[int, int, IntervalSet]] = []
    for lo, hi, second in sorted(cells, key=lambda c: c[0]):
        if not second or lo > hi:
            continue
        if out and out[-1][1] + 1 == lo and out[-1][2] == second:
            out[-1] = (out[-1][0], hi, second)
        else:
            out.append((lo, hi, second))
    return tuple(out)


def _combine(a: Step, b: Step, op: Callable[[IntervalSet, IntervalSet], IntervalSet]) -> Step:
    points = sorted({lo for lo, _, _ in a} | {hi + 1 for _, hi, _ in a}
                    | {lo for lo, _, _ in b} | {hi + 1 for _, hi, _ in b})
    empty = IntervalSet()
    cells = []
    ia = ib = 0
    for start, end in zip(points, points[1:], strict=False):
        while ia < len(a) and a[ia][1] < start:
            ia += 1
        while ib < len(b) and b[ib][1] < start:
            ib += 1
        sa = a[ia][2] if ia < len(a) and a[ia][0] <= start else empty
        sb = b[ib][2] if ib < len(b) and b[ib][0] <= start else empty
        cells.append((start, end - 1, op(sa, sb)))
    return _normalise(cells)


@dataclass(frozen=True)
class ConnectionSet:
    """An immutable set of connections: protocol number → step function over its two dimensions."""

    by_protocol: Mapping[int, Step]

    @classmethod
    def empty(cls) -> ConnectionSet:
        return cls({})

    @classmethod
    def all(cls) -> ConnectionSet:
        return cls({p: full_step(p) for p in range(256)})

    @classmethod
    def of(cls, protocol: int, first: IntervalSet | None = None, second: IntervalSet | None = None) -> ConnectionSet:
        """Connections of one protocol; None for a dimension means all of it."""
        (dlo, dhi), (slo, shi) = domain(protocol)
        first = IntervalSet.span(dlo, dhi) if first is None else first & IntervalSet.span(dlo, dhi)
        second = IntervalSet.span(slo, shi) if second is None else second & IntervalSet.span(slo, shi)
        step = _normalise([(lo, hi, second) for lo, hi in first])
        return cls({protocol: step} if step else {})

    @classmethod
    def from_cells(cls, cells: Mapping[int, list[tuple[int, int, IntervalSet]]]) -> ConnectionSet:
        """Build from unsorted, possibly unmerged (but non-overlapping) cells per protocol."""
        out = {}
        for protocol, items in cells.items():
            step = _normalise(list(items))
            if step:
                out[protocol] = step
        return cls(out)

    def __bool__(self) -> bool:
        return bool(self.by_protocol)

    @property
    def is_empty(self) -> bool:
        return not self.by_protocol

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectionSet) and dict(self.by_protocol) == dict(other.by_protocol)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.by_protocol.items())))

    def _merge(self, other: ConnectionSet, op, keep_left_only: bool, keep_right_only: bool) -> ConnectionSet:
        out: dict[int, Step] = {}
        for protocol in set(self.by_protocol) | set(other.by_protocol):
            a, b = self.by_protocol.get(protocol), other.by_protocol.get(protocol)
            if a is None or b is None:
                if (a is not None and keep_left_only) or (b is not None and keep_right_only):
                    out[protocol] = a or b  # type: ignore[assignment]
                continue
            step = _combine(a, b, op)
            if step:
                out[protocol] = step
        return ConnectionSet(out)

    def __or__(self, other: ConnectionSet) -> ConnectionSet:
        return self._merge(other, lambda x, y: x | y, True, True)

    def __and__(self, other: ConnectionSet) -> ConnectionSet:
        return self._merge(other, lambda x, y: x & y, False, False)

    def __sub__(self, other: ConnectionSet) -> ConnectionSet:
        return self._merge(other, lambda x, y: x - y, True, False)

    def issubset(self, other: ConnectionSet) -> bool:
        return (self - other).is_empty

    def allows(self, protocol: int, first: int | None = None, second: int | None = None) -> bool:
        """Whether the connection is in the set; None for a dimension means *every* value of it."""
        step = self.by_protocol.get(protocol)
        if not step:
            return False
        (dlo, dhi), (slo, shi) = domain(protocol)
        if first is not None and second is not None and dlo <= first <= dhi and slo <= second <= shi:
            return second in self.seconds_for(protocol, first)
        probe = ConnectionSet.of(protocol, None if first is None else IntervalSet.span(first, first),
                                 None if second is None else IntervalSet.span(second, second))
        return probe.issubset(self)

    def seconds_for(self, protocol: int, first: int) -> IntervalSet:
        """The source ports (or ICMP codes) allowed for one destination port (or ICMP type)."""
        for lo, hi, second in self.by_protocol.get(protocol, ()):
            if lo <= first <= hi:
                return second
        return IntervalSet()

    def protocols(self) -> list[int]:
        """Protocol numbers present, named ones first (TCP, UDP, SCTP, ICMP, ICMPv6) then ascending."""
        rank = {p: i for i, p in enumerate(NAMED_ORDER)}
        return sorted(self.by_protocol, key=lambda p: (rank.get(p, len(rank)), p))

    def is_full(self, protocol: int) -> bool:
        return self.by_protocol.get(protocol) == full_step(protocol)

    def groups(self, protocol: int) -> Iterator[tuple[IntervalSet, IntervalSet]]:
        """(destination ports, source ports) rectangles, grouped by identical source-port sets."""
        by_second: dict[IntervalSet, list[tuple[int, int]]] = {}
        for lo, hi, second in self.by_protocol.get(protocol, ()):
            by_second.setdefault(second, []).append((lo, hi))
        for second, firsts in sorted(by_second.items(), key=lambda kv: kv[1][0]):
            yield IntervalSet.of(firsts), second
