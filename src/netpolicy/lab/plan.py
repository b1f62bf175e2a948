"""Which probes to send, and what the engine says of each, before any packet is sent.

Every ordered pair of lab hosts where at least one side is a policed workload is probed on every
(protocol, port) chosen (by default: every port an endpoint declares, plus one port no one
declares, to prove denials), from an explicit source port so the engine's answer is exact. When
the engine's answer for a port depends on the source port, the pair is probed once more from a
source port on the other side of that line. ICMP echo is probed when a rule mentions ICMP.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count

from netpolicy.errors import NetpolicyError
from netpolicy.lab.topology import Host, Topology
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import ALL_PORTS, IntervalSet
from netpolicy.model.ir import Policy
from netpolicy.model.protocols import ICMP, ICMPV6, NUMBER_BY_NAME, PORT_PROTOCOLS, SCTP, TCP, UDP

ECHO_REQUEST = {4: (ICMP, 8), 6: (ICMPV6, 128)}
SOURCE_PORTS = (33000, 60999)
NO_SCTP = "this kernel has no SCTP support"


@dataclass(frozen=True)
class Probe:
    """One connection attempt: for ICMP, `port` is the echo-request type and `sport` the code (0)."""

    src: str
    dst: str
    family: int
    protocol: int
    port: int
    sport: int
    src_address: str
    dst_address: str
    expected: bool
    extra: bool = False
    via: str = ""
    note: str = ""


@dataclass(frozen=True)
class NotProbed:
    """A flow (or a whole endpoint, with `dst` "*") the lab could not test, and why."""

    src: str
    dst: str
    protocol: int | None
    port: int | None
    reason: str


@dataclass
class ProbePlan:
    probes: list[Probe] = field(default_factory=list)
    not_probed: list[NotProbed] = field(default_factory=list)
    listen: set[tuple[int, int]] = field(default_factory=set)
    node_listen: set[tuple[int, int]] = field(default_factory=set)  # what node ends serve (no nodePort)


def engine_answer(plan: ProbePlan, src: str, dst: str, protocol: int, port: int,
                  ask: Callable[[], object]) -> tuple[bool, object]:
    """`(True, ask())`; `(False, None)`, the flow noted as not probed, when the engine cannot answer."""
    try:
        return True, ask()
    except NetpolicyError as error:
        plan.not_probed.append(NotProbed(src, dst, protocol, port, f"the engine cannot answer: {error}"))
        return False, None


_ITEM = re.compile(r"^(?:(?P<proto>[A-Za-z]+)[/:])?(?P<lo>\d+)(?:-(?P<hi>\d+))?$")


def parse_ports(items: Iterable[object]) -> list[tuple[int, int]]:
    """`[80, "udp/53", "tcp:8000-8002", (17, 5353)]` → (protocol, port) pairs; a bare number is TCP and UDP."""
    out: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, tuple):
            out.append((int(item[0]), int(item[1])))
            continue
        match = _ITEM.match(str(item).strip())
        if not match:
            raise ValueError(f"{item!r} is not a port (expected 80, tcp/80, udp/53 or sctp/9000-9002)")
        lo, hi = int(match["lo"]), int(match["hi"] or match["lo"])
        if not 1 <= lo <= hi <= 65535 or hi - lo > 256:
            raise ValueError(f"{item!r} is not a port range the lab probes (1-65535, at most 257 ports)")
        name = match["proto"]
        protocol = NUMBER_BY_NAME.get(name.upper() if name else "", None) if name else None
        if name and protocol not in PORT_PROTOCOLS:
            raise ValueError(f"{item!r}: protocol {name} has no ports (expected tcp, udp or sctp)")
        for port in range(lo, hi + 1):
            out += [(protocol, port)] if protocol else [(TCP, port), (UDP, port)]
    return sorted(set(out))


def auto_ports(endpoints: Iterable) -> list[tuple[int, int]]:
    """Every declared (protocol, port) of policed endpoints, plus one port number no one declares on TCP and UDP."""
    declared = {(p.protocol, p.port) for e in endpoints if getattr(e, "policed", False)
                for p in getattr(e, "ports", ()) if p.protocol in PORT_PROTOCOLS}
    numbers = {port for _, port in declared}
    spare = next(p for p in count(9) if p not in numbers)
    return sorted(declared | {(TCP, spare), (UDP, spare)})


def mentions_icmp(policies: Iterable[Policy]) -> bool:
    """Whether any rule names ICMP or ICMPv6 (as protocol, notProtocol, or with an ICMP type)."""
    return any(r.protocol in (ICMP, ICMPV6) or r.not_protocol in (ICMP, ICMPV6) or r.icmp or r.not_icmp
               for p in policies for r in p.ingress + p.egress)


class SourcePorts:
    """Fresh source ports per (host, protocol), away from the ports being probed."""

    def __init__(self, avoid: set[int]) -> None:
        self.avoid = avoid
        self.next: dict[tuple[str, int], int] = {}

    def take(self, host: str, protocol: int, outside: IntervalSet | None = None) -> int:
        lo, hi = SOURCE_PORTS
        port = self.next.get((host, protocol), lo)
        for _ in range(hi - lo + 1):
            candidate = port
            port = lo if port >= hi else port + 1
            if candidate not in self.avoid and (outside is None or candidate not in outside):
                self.next[(host, protocol)] = port
                return candidate
        return (ALL_PORTS - (outside or IntervalSet())).ranges[0][0]


def plan_probes(topology: Topology, connections, ports: Sequence[tuple[int, int]], *, icmp: bool,
                sctp: bool, sources: SourcePorts | None = None, service_clients: frozenset[str] = frozenset()
                ) -> ProbePlan:
    """Every probe with the engine's verdict; `connections(src_id, dst_id) -> ConnectionSet`; hosts in
    `service_clients` probe Services only."""
    plan = ProbePlan()
    for endpoint_id, reason in topology.skipped.items():
        plan.not_probed.append(NotProbed(endpoint_id, "*", None, None, reason))
    port_list = [(p, n) for p, n in ports if p != SCTP or sctp]
    if any(p == SCTP for p, _ in ports) and not sctp:
        for src in topology.hosts:
            for dst in topology.hosts:
                if src.workload or dst.workload:
                    plan.not_probed += [NotProbed(src.endpoint_id, dst.endpoint_id, SCTP, n, NO_SCTP)
                                        for p, n in ports if p == SCTP]
    plan.listen = set(port_list)
    sources = sources or SourcePorts({n for _, n in ports})
    hosts = [h for h in topology.hosts if h.endpoint_id not in service_clients]
    for src in hosts:
        for dst in hosts:
            if src.workload or dst.workload:
                _plan_pair(plan, src, dst, connections, port_list, sources, icmp)
    return plan


def _plan_pair(plan: ProbePlan, src: Host, dst: Host, connections, ports, sources: SourcePorts,
               icmp: bool) -> None:
    common = src.families & dst.families
    if not common:
        plan.not_probed.append(NotProbed(src.endpoint_id, dst.endpoint_id, None, None, "no common address family"))
        return
    family = min(common)
    conns: ConnectionSet = connections(src.endpoint_id, dst.endpoint_id)
    base = dict(src=src.endpoint_id, dst=dst.endpoint_id, family=family,
                src_address=str(src.address(family)), dst_address=str(dst.address(family)))
    for protocol, port in ports:
        sport = sources.take(src.endpoint_id, protocol)
        expected = conns.allows(protocol, port, sport)
        plan.probes.append(Probe(protocol=protocol, port=port, sport=sport, expected=expected, **base))
        allowed = conns.seconds_for(protocol, port)
        if allowed and allowed != ALL_PORTS:
            other = allowed.ranges[0][0] if not expected else sources.take(src.endpoint_id, protocol, allowed)
            plan.probes.append(Probe(protocol=protocol, port=port, sport=other,
                                     expected=conns.allows(protocol, port, other), extra=True, **base))
    if icmp:
        protocol, kind = ECHO_REQUEST[family]
        plan.probes.append(Probe(protocol=protocol, port=kind, sport=0,
                                 expected=conns.allows(protocol, kind, 0), **base))
