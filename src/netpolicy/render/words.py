"""Connection sets and endpoints in words: `TCP 5432`, `all TCP`, `all`, `TCP 8000 from source port 5432`."""

from __future__ import annotations

from functools import cache

from netpolicy.model.cluster import Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS, protocol_name
from netpolicy.render.connections_json import icmp_json
from netpolicy.render.ranges import display_id

FULL_PORTS = IntervalSet.span(1, 65535)


def describe(conns: ConnectionSet) -> str:
    """A short, readable summary of a connection set."""
    if conns.is_empty:
        return "nothing"
    if conns == _everything():
        return "all"
    parts: list[str] = []
    others: list[int] = []
    for protocol in conns.protocols():
        name = protocol_name(protocol)
        if protocol in PORT_PROTOCOLS:
            if conns.is_full(protocol):
                parts.append(f"all {name}")
                continue
            for ports, sports in conns.groups(protocol):
                text = f"all {name}" if ports == FULL_PORTS else f"{name} {ports.format(', ')}"
                if sports != FULL_PORTS:
                    text += f" from source port{'s' if len(sports) > 1 else ''} {sports.format(', ')}"
                parts.append(text)
        elif protocol in ICMP_PROTOCOLS:
            if conns.is_full(protocol):
                parts.append(name)
            else:
                items = icmp_json(conns.by_protocol[protocol])
                parts.append(name + " " + ", ".join(
                    f"type {i['type']}" + (f" code {i['code']}" if "code" in i else "") for i in items))
        else:
            others.append(protocol)
    if others:
        if len(others) > 4:
            parts.append("all other protocols" if len(others) >= 250 else
                         f"protocols {IntervalSet.of(others).format(', ')}")
        else:
            parts.extend(f"protocol {p}" for p in others)
    return ", ".join(parts)


@cache
def _everything() -> ConnectionSet:
    return ConnectionSet.all()


def endpoint_name(endpoint: Endpoint) -> str:
    """How tables show an endpoint: its id, or the CIDRs of an external range (render/ranges.py)."""
    return display_id(endpoint.id)
