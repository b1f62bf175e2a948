"""Places compared across matrices: policed endpoints by id, external address space cut where any side cuts it.

A *place* is one endpoint, or one range of external addresses, seen from each of one or more matrices
(the two sides of a diff, or the single side of an expectations check). External endpoints differ
between matrices because each cuts the IP space along its own policies' CIDRs; intersecting the cells
of every matrix gives ranges that each matrix treats uniformly, so every address is compared exactly.
Places that every matrix treats alike (same peer classes and profiles) form one *group*: comparing one
representative pair of groups stands for every pair of their members, which keeps big clusters cheap.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from netpolicy.engine.matrix import Matrix
from netpolicy.model.addresses import AddressSet, IPAddress, IPNetwork, format_address, range_to_networks
from netpolicy.model.cluster import EXTERNAL, Endpoint
from netpolicy.model.connections import ConnectionSet


@dataclass(frozen=True)
class Place:
    """An endpoint or an external address range, with what stands for it in each matrix (None: absent)."""

    id: str
    kind: str
    namespace: str | None
    sides: tuple[Endpoint | None, ...]
    nets: tuple[IPNetwork, ...] = ()
    address: IPAddress | None = None   # for external ranges: an address no endpoint owns

    @property
    def external(self) -> bool:
        """Whether the place is a range of outside addresses."""
        return self.kind == EXTERNAL

    @property
    def name(self) -> str:
        """How reports show the place: the endpoint id, or the address range."""
        return self.id.removeprefix("external:")

    def ref(self, side: int) -> str | None:
        """What a flow evaluator is given for this place on a side: an endpoint id or an address."""
        endpoint = self.sides[side]
        if endpoint is None:
            return None
        return str(self.address) if self.external else endpoint.id

    def policed(self, side: int) -> bool:
        """Whether policies apply to the place on a side."""
        endpoint = self.sides[side]
        return endpoint is not None and endpoint.policed


@dataclass(frozen=True)
class Group:
    """Places that every matrix treats identically; `members` are sorted by id."""

    members: tuple[Place, ...]

    @property
    def representative(self) -> Place:
        """The member whose flows stand for every member's."""
        return self.members[0]

    def __len__(self) -> int:
        return len(self.members)


class PlaceIndex:
    """Every place of one or more matrices, and the connections between them on each side."""

    def __init__(self, matrices: Sequence[Matrix], within: AddressSet | None = None) -> None:
        self.matrices = list(matrices)
        self._by_id = [{e.id: e for e in m.endpoints} for m in self.matrices]
        self.endpoints = self._endpoint_places()
        self.externals = external_places(self.matrices, within)
        self.places = self.endpoints + self.externals

    def _endpoint_places(self) -> list[Place]:
        ids = sorted({e.id for m in self.matrices for e in m.endpoints if e.kind != EXTERNAL})
        places = []
        for endpoint_id in ids:
            sides = tuple(index.get(endpoint_id) for index in self._by_id)
            known = next(e for e in sides if e is not None)
            places.append(Place(endpoint_id, known.kind, known.namespace, sides))
        return places

    def connections(self, side: int, src: Place, dst: Place) -> ConnectionSet:
        """What src may open to dst on one side; nothing when either is absent there."""
        a, b = src.sides[side], dst.sides[side]
        if a is None or b is None:
            return ConnectionSet.empty()
        return self.matrices[side].connections(a, b)

    def governed(self, src: Place, dst: Place) -> bool:
        """Whether some side polices one end of the pair (two unpoliced peers are never filtered)."""
        return any(src.policed(k) or dst.policed(k) for k in range(len(self.matrices)))

    def groups(self, places: Sequence[Place] | None = None) -> list[Group]:
        """The places (all of them by default) grouped by how every matrix treats them."""
        buckets: dict[tuple, list[Place]] = {}
        for place in self.places if places is None else places:
            key = tuple(behaviour_key(m, e) for m, e in zip(self.matrices, place.sides, strict=True))
            buckets.setdefault(key, []).append(place)
        groups = [Group(tuple(sorted(members, key=_place_order))) for members in buckets.values()]
        return sorted(groups, key=lambda g: _place_order(g.representative))


def behaviour_key(matrix: Matrix, endpoint: Endpoint | None) -> tuple | None:
    """Endpoints with equal keys have identical rows and columns in the matrix (None: absent).

    A pair's connections depend only on each end's peer class per address family and, for a policed
    end, its profiles; the peer class already holds the labels, namespace, ports and address cell.
    """
    if endpoint is None:
        return None
    classes = tuple(sorted((family, matrix.peer_class[(endpoint.id, family)]) for family in matrix.cells
                           if (endpoint.id, family) in matrix.peer_class))
    profiles = (tuple(p if isinstance(p, str) else p.name for p in matrix.profiles_of(endpoint))
                if endpoint.policed else ())
    return endpoint.policed, classes, profiles


def external_places(matrices: Sequence[Matrix], within: AddressSet | None = None) -> list[Place]:
    """External ranges that every matrix treats uniformly, clipped to `within` when given.

    A range is kept when it holds an address that no endpoint of any matrix owns; that address stands
    for the range in flow evaluations.
    """
    used = sorted({(ip.version, int(ip)) for m in matrices for e in m.endpoints if e.kind != EXTERNAL
                   for ip in e.ips})
    places = []
    for family in sorted({f for m in matrices for f in m.cells}):
        spans = [_external_spans(m, family) for m in matrices]
        limit = within.family(family) if within is not None else None
        for lo, hi, owners in _intersect(spans):
            for clip_lo, clip_hi in _clip(lo, hi, limit):
                free = _first_free(family, clip_lo, clip_hi, used)
                if free is None:
                    continue
                first, last = format_address(family, clip_lo), format_address(family, clip_hi)
                places.append(Place(f"external:{first}-{last}", EXTERNAL, None, owners,
                                    tuple(range_to_networks(family, clip_lo, clip_hi)),
                                    ipaddress.IPv4Address(free) if family == 4 else ipaddress.IPv6Address(free)))
    return places


def _external_spans(matrix: Matrix, family: int) -> list[tuple[int, int, Endpoint]]:
    spans = []
    for endpoint in matrix.externals:
        nets = [n for n in endpoint.nets if n.version == family]
        if nets:
            spans.append((min(int(n.network_address) for n in nets),
                           max(int(n.broadcast_address) for n in nets), endpoint))
    return sorted(spans, key=lambda s: s[0])


def _intersect(per_matrix: list[list[tuple[int, int, Endpoint]]]) -> list[tuple[int, int, tuple]]:
    """Ranges covered by an external span of every matrix, with each matrix's span endpoint."""
    pieces: list[tuple[int, int, tuple]] = [(lo, hi, (e,)) for lo, hi, e in per_matrix[0]]
    for spans in per_matrix[1:]:
        merged = []
        i = j = 0
        while i < len(pieces) and j < len(spans):
            lo = max(pieces[i][0], spans[j][0])
            hi = min(pieces[i][1], spans[j][1])
            if lo <= hi:
                merged.append((lo, hi, pieces[i][2] + (spans[j][2],)))
            if pieces[i][1] < spans[j][1]:
                i += 1
            else:
                j += 1
        pieces = merged
    return pieces


def _clip(lo: int, hi: int, limit) -> list[tuple[int, int]]:
    if limit is None:
        return [(lo, hi)]
    from netpolicy.model.intervals import IntervalSet

    return list((IntervalSet.span(lo, hi) & limit).ranges)


def _first_free(family: int, lo: int, hi: int, used: list[tuple[int, int]]) -> int | None:
    candidate = lo
    i = bisect.bisect_left(used, (family, lo))
    while candidate <= hi:
        if i < len(used) and used[i] == (family, candidate):
            candidate += 1
            i += 1
            continue
        return candidate
    return None


def _place_order(place: Place) -> tuple:
    if place.external and place.address is not None:
        return (1, place.address.version, int(place.address))
    return (0, 0, place.id)
