"""Representative flows of a connection set: one probe per cell that no rule of either side can tell apart.

Rules name protocols, ports (per protocol), source ports and ICMP types and codes; a cell is a part of
the connection space inside which every rule matches all flows or none, so one flow stands for it.
Protocols that no rule names are one cell: rules without a protocol treat them all alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from netpolicy.model.cluster import Cluster
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import EntityMatch, Policy
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS

ALL_PORTS = IntervalSet.span(1, 65535)
EPHEMERAL = IntervalSet.span(32768, 60999)
EVERY_PROTOCOL = -1  # key of boundaries that rules without a protocol draw


@dataclass(frozen=True)
class Probe:
    """One flow standing for `cell`: destination port or ICMP type, source port or ICMP code.

    `src_port` is None when the cell holds every source port (the flow then stands for any client).
    """

    protocol: int
    port: int | None
    src_port: int | None
    cell: ConnectionSet


@dataclass
class Cuts:
    """Boundaries that some rule draws: protocols it names, and per protocol the port boundaries.

    A boundary is the first value of a new cell; ICMP types and codes are kept as ports and source
    ports of the ICMP protocols.
    """

    protocols: set[int] = field(default_factory=set)
    ports: dict[int, set[int]] = field(default_factory=dict)
    src_ports: dict[int, set[int]] = field(default_factory=dict)

    def first(self, protocol: int) -> set[int]:
        """Boundaries of destination ports (ICMP: types) for a protocol."""
        return _bounds(protocol) | self.ports.get(protocol, set()) | self.ports.get(EVERY_PROTOCOL, set())

    def second(self, protocol: int) -> set[int]:
        """Boundaries of source ports (ICMP: codes) for a protocol."""
        return _bounds(protocol) | self.src_ports.get(protocol, set()) | self.src_ports.get(EVERY_PROTOCOL, set())


def _bounds(protocol: int) -> set[int]:
    return {0, 256} if protocol in ICMP_PROTOCOLS else {1, 65536}


def rule_cuts(clusters: Iterable[Cluster]) -> Cuts:
    """Every boundary the rules of these clusters draw, named ports resolved on every endpoint."""
    cuts = Cuts()
    for cluster in clusters:
        named: dict[str, set[tuple[int, int]]] = {}
        for endpoint in cluster.endpoints:
            for port in endpoint.ports:
                if port.name:
                    named.setdefault(port.name, set()).add((port.protocol, port.port))
        policies: list[Policy] = list(cluster.policies) + list(cluster.profiles.values())
        for policy in policies:
            for rule in policy.ingress + policy.egress:
                cuts.protocols.update(p for p in (rule.protocol, rule.not_protocol) if p is not None)
                key = rule.protocol if rule.protocol is not None else EVERY_PROTOCOL
                _entity_cuts(rule.destination, key, cuts, cuts.ports, named, cluster)
                _entity_cuts(rule.source, key, cuts, cuts.src_ports, named, cluster)
                for icmp in (rule.icmp, rule.not_icmp):
                    if icmp is not None:
                        cuts.ports.setdefault(key, set()).update((icmp.type, icmp.type + 1))
                        if icmp.code is not None:
                            cuts.src_ports.setdefault(key, set()).update((icmp.code, icmp.code + 1))
    return cuts


def _entity_cuts(entity: EntityMatch, key: int, cuts: Cuts, into: dict[int, set[int]],
                 named: dict[str, set[tuple[int, int]]], cluster: Cluster) -> None:
    for match in (entity.ports, entity.not_ports):
        if match is None:
            continue
        for lo, hi in match.numbers:
            into.setdefault(key, set()).update((lo, hi + 1))
        for name in match.names:
            for protocol, port in named.get(name, ()):
                cuts.protocols.add(protocol)
                into.setdefault(protocol, set()).update((port, port + 1))
    if entity.services:
        for service in cluster.services:
            for sp in service.ports:
                cuts.protocols.add(sp.protocol)
                values = {v for v in (sp.port, sp.target_port) if isinstance(v, int)}
                values |= {p.port for e in cluster.endpoints for p in e.ports if p.protocol == sp.protocol}
                into.setdefault(sp.protocol, set()).update(v + d for v in values for d in (0, 1))


def probes(conns: ConnectionSet, cuts: Cuts) -> Iterator[Probe]:
    """One probe per cell of `conns`: protocols that rules name in display order, ports ascending,
    then one probe for every protocol that no rule names."""
    unnamed = [p for p in conns.protocols() if p not in cuts.protocols]
    for protocol in conns.protocols():
        if protocol in unnamed:
            continue
        if protocol not in PORT_PROTOCOLS and protocol not in ICMP_PROTOCOLS:
            yield Probe(protocol, None, None, ConnectionSet.of(protocol))
            continue
        first_cuts, second_cuts = cuts.first(protocol), cuts.second(protocol)
        for lo, hi, seconds in conns.by_protocol[protocol]:
            for first in _split(IntervalSet.span(lo, hi), first_cuts):
                for second in _split(seconds, second_cuts):
                    yield _probe(protocol, first, second, ConnectionSet.of(protocol, first, second))
    if unnamed:
        head = unnamed[0]
        lo, _, seconds = conns.by_protocol[head][0]
        cell = ConnectionSet({p: conns.by_protocol[p] for p in unnamed})
        yield _probe(head, IntervalSet.span(lo, lo), seconds, cell)


def _probe(protocol: int, first: IntervalSet, second: IntervalSet, cell: ConnectionSet) -> Probe:
    if protocol in PORT_PROTOCOLS:
        return Probe(protocol, first.ranges[0][0], None if second == ALL_PORTS else _client_port(second), cell)
    if protocol in ICMP_PROTOCOLS:
        return Probe(protocol, first.ranges[0][0], second.ranges[0][0], cell)
    return Probe(protocol, None, None, cell)


def typical_probe(conns: ConnectionSet, cuts: Cuts) -> Probe | None:
    """The first probe a real client could send (any or an ephemeral source port), else the first probe."""
    first = None
    for probe in probes(conns, cuts):
        if probe.src_port is None or probe.protocol not in PORT_PROTOCOLS or probe.src_port in EPHEMERAL:
            return probe
        first = first or probe
    return first


def _split(values: IntervalSet, cuts: set[int]) -> list[IntervalSet]:
    """`values` cut at every boundary in `cuts`."""
    points = sorted(cuts)
    out = []
    for lo, hi in values:
        start = lo
        for point in points:
            if start < point <= hi:
                out.append(IntervalSet.span(start, point - 1))
                start = point
        out.append(IntervalSet.span(start, hi))
    return out


def _client_port(ports: IntervalSet) -> int:
    """A source port of the set, an ephemeral one when the set has one (as a real client would use)."""
    typical = ports & EPHEMERAL
    return (typical or ports).ranges[0][0]
