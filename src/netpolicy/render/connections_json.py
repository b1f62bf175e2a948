"""Connection sets as JSON (INTERFACES.md `allowed` entries), for every JSON output that lists connections."""

from __future__ import annotations

from netpolicy.model.connections import ICMP_PROTOCOLS, PORT_PROTOCOLS, ConnectionSet, Step
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import protocol_name


def connections_json(conns: ConnectionSet) -> list[dict]:
    """INTERFACES.md `allowed` entries: protocol, ports, src_ports (only when restricted)."""
    entries: list[dict] = []
    others = []
    for protocol in conns.protocols():
        if protocol in PORT_PROTOCOLS:
            full_src = IntervalSet.span(1, 65535)
            for ports, sports in conns.groups(protocol):
                entry = {"protocol": protocol_name(protocol), "ports": ports.format()}
                if sports != full_src:
                    entry["src_ports"] = sports.format()
                entries.append(entry)
        elif protocol in ICMP_PROTOCOLS:
            entry = {"protocol": protocol_name(protocol)}
            if not conns.is_full(protocol):
                entry["icmp"] = icmp_json(conns.by_protocol[protocol])
            entries.append(entry)
        else:
            others.append(protocol)
    if len(others) > 4:
        entries.append({"protocol": "other", "numbers": IntervalSet.of(others).format()})
    else:
        entries.extend({"protocol": str(p)} for p in others)
    return entries


def icmp_json(step: Step) -> list[dict]:
    """ICMP restrictions: `[{"type": "8"}, {"type": "3", "code": "1-3"}]` (ranges as text)."""
    out = []
    for lo, hi, codes in step:
        item: dict = {"type": str(lo) if lo == hi else f"{lo}-{hi}"}
        if codes != IntervalSet.span(0, 255):
            item["code"] = codes.format()
        out.append(item)
    return out
