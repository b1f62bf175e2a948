"""Reading back the INTERFACES.md `allowed` entries that `render.connections_json` writes."""

from __future__ import annotations

from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import ICMP_PROTOCOLS, NUMBER_BY_NAME, PORT_PROTOCOLS


def connections_from_json(entries: list[dict]) -> ConnectionSet:
    """The connection set of `allowed` entries (the inverse of `connections_json`)."""
    result = ConnectionSet.empty()
    for entry in entries:
        name = entry["protocol"]
        if name == "other":
            result = result | ConnectionSet.from_cells({number: [(0, 0, IntervalSet.span(0, 0))]
                                                        for lo, hi in IntervalSet.parse(entry["numbers"])
                                                        for number in range(lo, hi + 1)})
            continue
        number = NUMBER_BY_NAME.get(name) if name in NUMBER_BY_NAME else int(name)
        if number in PORT_PROTOCOLS:
            sources = IntervalSet.parse(entry["src_ports"]) if "src_ports" in entry else None
            result = result | ConnectionSet.of(number, IntervalSet.parse(entry["ports"]), sources)
        elif number in ICMP_PROTOCOLS and "icmp" in entry:
            for item in entry["icmp"]:
                types = IntervalSet.parse(item["type"])
                codes = IntervalSet.parse(item["code"]) if "code" in item else None
                result = result | ConnectionSet.of(number, types, codes)
        else:
            result = result | ConnectionSet.of(number)
    return result
