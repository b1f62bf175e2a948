"""Partitions of the flow space: IP cells (external address ranges) and protocol/port atoms."""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from netpolicy.model.addresses import FAMILY_MAX, IPNetwork, format_address, range_to_networks
from netpolicy.model.cluster import Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import Policy, PortMatch, Rule
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS

NAMED_PROTOCOLS = (6, 17, 132, 1, 58)
OTHER = -1  # the atom standing for every protocol number not tracked individually


@dataclass
class IPCells:
    """One address family cut along every CIDR boundary: cell i is [starts[i], starts[i+1])."""

    family: int
    starts: list[int]

    def cell_of(self, value: int) -> int:
        return bisect.bisect_right(self.starts, value) - 1

    def bounds(self, index: int) -> tuple[int, int]:
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else FAMILY_MAX[self.family]
        return self.starts[index], end


def ip_cells(networks: Iterable[IPNetwork], families: set[int]) -> dict[int, IPCells]:
    """Cut each family's address space along the boundaries of the given networks."""
    cuts: dict[int, set[int]] = {f: {0} for f in families}
    for net in networks:
        if net.version in cuts:
            cuts[net.version].add(int(net.network_address))
            end = int(net.broadcast_address) + 1
            if end <= FAMILY_MAX[net.version]:
                cuts[net.version].add(end)
    return {f: IPCells(f, sorted(c)) for f, c in cuts.items()}


def rule_networks(policies: Iterable[Policy]) -> list[IPNetwork]:
    """Every CIDR any rule of these policies mentions."""
    nets: list[IPNetwork] = []
    for policy in policies:
        for rule in policy.ingress + policy.egress:
            for entity in (rule.source, rule.destination):
                nets.extend(entity.nets)
                nets.extend(entity.not_nets)
    return nets


def external_endpoints(cells: dict[int, IPCells], endpoint_ips: dict[int, list[int]],
                       owners_by_cell: dict[tuple[int, int], list[Endpoint]]) -> list[tuple[Endpoint, int, int]]:
    """One `External` endpoint per cell that holds an address no endpoint owns.

    Returns (endpoint, family, cell index); the endpoint's first IP is a free representative address.
    """
    out = []
    for family, cell_set in sorted(cells.items()):
        used = endpoint_ips.get(family, [])
        for index in range(len(cell_set.starts)):
            lo, hi = cell_set.bounds(index)
            free = _first_free(lo, hi, used)
            if free is None:
                continue
            first, last = format_address(family, lo), format_address(family, hi)
            nets = tuple(range_to_networks(family, lo, hi))
            owners = owners_by_cell.get((family, index), [])
            endpoint = Endpoint(
                id=f"external:{first}-{last}", kind="External", name=f"{first}-{last}", namespace=None,
                labels={}, selector_labels={}, ips=(_address(family, free),), nets=nets,
                policed=False, profiles=tuple(o.id for o in owners),
            )
            out.append((endpoint, family, index))
    return out


def _address(family: int, value: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address of that family (`ip_address` would read an IPv6 value below 2**32 as IPv4)."""
    return ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value)


def _first_free(lo: int, hi: int, used_sorted: list[int]) -> int | None:
    candidate = lo
    i = bisect.bisect_left(used_sorted, lo)
    while candidate <= hi:
        if i < len(used_sorted) and used_sorted[i] == candidate:
            candidate += 1
            i += 1
            continue
        return candidate
    return None


class PortAtoms:
    """The protocol × first × second space (ports, or ICMP type × code) cut into atoms.

    Every rule's protocol, port and ICMP conditions are unions of atoms, so a rule's match on the
    connection dimensions is a boolean vector over atoms. Each port protocol is cut only along the
    ports that rules of that protocol (or of no protocol) mention, named ports resolved per endpoint,
    the destination `points` (protocol, port) of Services that rules name and of failsafe ports, and
    the `source_points`; the `mirrored` protocols are cut alike on both ports (a reply's atom is the
    request's with its ports swapped).
    """

    def __init__(self, rules: Iterable[Rule], endpoints: Iterable[Endpoint] = (),
                 points: Iterable[tuple[int, int]] = (), source_points: Iterable[tuple[int, int]] = (),
                 mirrored: Iterable[int] = ()) -> None:
        rules = list(rules)
        protocols = set(NAMED_PROTOCOLS)
        d_cuts = {p: {1, 65536} for p in PORT_PROTOCOLS}
        s_cuts = {p: {1, 65536} for p in PORT_PROTOCOLS}
        t_cuts, c_cuts = {0, 256}, {0, 256}
        d_names: dict[int, set[str]] = {p: set() for p in PORT_PROTOCOLS}
        s_names: dict[int, set[str]] = {p: set() for p in PORT_PROTOCOLS}
        for rule in rules:
            for p in (rule.protocol, rule.not_protocol):
                if p is not None:
                    protocols.add(p)
            targets = [rule.protocol] if rule.protocol in PORT_PROTOCOLS else (
                list(PORT_PROTOCOLS) if rule.protocol is None else [])
            for p in targets:
                _add_port_cuts(d_cuts[p], d_names[p], rule.destination.ports, rule.destination.not_ports)
                _add_port_cuts(s_cuts[p], s_names[p], rule.source.ports, rule.source.not_ports)
            for icmp in (rule.icmp, rule.not_icmp):
                if icmp is not None:
                    t_cuts.update((icmp.type, icmp.type + 1))
                    if icmp.code is not None:
                        c_cuts.update((icmp.code, icmp.code + 1))
        for endpoint in endpoints:
            for np_ in endpoint.ports:
                if np_.protocol in PORT_PROTOCOLS and np_.name:
                    if np_.name in d_names[np_.protocol]:
                        d_cuts[np_.protocol].update((np_.port, np_.port + 1))
                    if np_.name in s_names[np_.protocol]:
                        s_cuts[np_.protocol].update((np_.port, np_.port + 1))
        for cuts, chosen in ((d_cuts, points), (s_cuts, source_points)):
            for protocol, port in chosen:
                if protocol in PORT_PROTOCOLS:
                    cuts[protocol].update((port, port + 1))
        for protocol in mirrored:
            d_cuts[protocol] = s_cuts[protocol] = d_cuts[protocol] | s_cuts[protocol]
        self.tracked = sorted(protocols)
        self.other = IntervalSet.span(0, 255) - IntervalSet.of(self.tracked)
        t_cells, c_cells = _cells(t_cuts), _cells(c_cuts)
        rows: list[tuple[int, int, int, int, int]] = []
        for p in self.tracked:
            if p in PORT_PROTOCOLS:
                rows += [(p, d[0], d[1], s[0], s[1]) for d in _cells(d_cuts[p]) for s in _cells(s_cuts[p])]
            elif p in ICMP_PROTOCOLS:
                rows += [(p, t[0], t[1], c[0], c[1]) for t in t_cells for c in c_cells]
            else:
                rows.append((p, 0, 0, 0, 0))
        if self.other:
            rows.append((OTHER, 0, 0, 0, 0))
        self._rows = rows
        self._second_sets: dict[tuple, IntervalSet] = {}
        table = np.array(rows, dtype=np.int64)
        self.proto, self.d_lo, self.d_hi, self.s_lo, self.s_hi = (table[:, i] for i in range(5))
        self.size = len(rows)
        self.is_port = np.isin(self.proto, list(PORT_PROTOCOLS))
        self.is_icmp = np.isin(self.proto, list(ICMP_PROTOCOLS))

    def protocol_mask(self, protocol: int) -> np.ndarray:
        return self.proto == protocol

    def first_mask(self, values: IntervalSet) -> np.ndarray:
        """Atoms whose first dimension (destination port / ICMP type) lies in `values`."""
        return _range_mask(self.d_lo, self.d_hi, values)

    def second_mask(self, values: IntervalSet) -> np.ndarray:
        return _range_mask(self.s_lo, self.s_hi, values)

    def point_mask(self, protocol: int, port: int, second: bool = False) -> np.ndarray:
        lo, hi = (self.s_lo, self.s_hi) if second else (self.d_lo, self.d_hi)
        return (self.proto == protocol) & (lo <= port) & (hi >= port)

    def _second_set(self, cells: list[tuple[int, int]]) -> IntervalSet:
        """The source ports (or ICMP codes) of these cells, built once per distinct list."""
        key = tuple(cells)
        found = self._second_sets.get(key)
        if found is None:
            found = self._second_sets[key] = IntervalSet.of(cells)
        return found

    def to_connections(self, mask: np.ndarray) -> ConnectionSet:
        """The connection set a boolean atom vector stands for."""
        cells: dict[int, dict[tuple[int, int], list[tuple[int, int]]]] = {}
        other = False
        rows = self._rows
        for i in np.flatnonzero(mask).tolist():
            p, d_lo, d_hi, s_lo, s_hi = rows[i]
            if p == OTHER:
                other = True
                continue
            cells.setdefault(p, {}).setdefault((d_lo, d_hi), []).append((s_lo, s_hi))
        result = ConnectionSet.from_cells({
            p: [(d[0], d[1], self._second_set(seconds)) for d, seconds in by_first.items()]
            for p, by_first in cells.items()})
        if other:
            result = result | ConnectionSet.from_cells({p: [(0, 0, IntervalSet.span(0, 0))]
                                                        for lo, hi in self.other for p in range(lo, hi + 1)})
        return result


def _add_port_cuts(cuts: set[int], names: set[str], *matches: PortMatch | None) -> None:
    for match in matches:
        if match is not None:
            for lo, hi in match.numbers:
                cuts.update((lo, hi + 1))
            names.update(match.names)


def _cells(cuts: set[int]) -> list[tuple[int, int]]:
    points = sorted(cuts)
    return [(a, b - 1) for a, b in zip(points, points[1:], strict=False)]


def _range_mask(lo: np.ndarray, hi: np.ndarray, values: IntervalSet) -> np.ndarray:
    """Atoms `[lo, hi]` lying inside `values`: the range holding `lo` (the last to start at or before
    it, the ranges being sorted and disjoint) must reach `hi`."""
    mask = np.zeros(lo.shape, dtype=bool)
    if not values:
        return mask
    starts = np.fromiter((a for a, _ in values), dtype=np.int64)
    ends = np.fromiter((b for _, b in values), dtype=np.int64)
    holder = np.searchsorted(starts, lo, side="right") - 1
    inside = holder >= 0
    mask[inside] = hi[inside] <= ends[holder[inside]]
    return mask
