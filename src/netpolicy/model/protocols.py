"""IP protocol names and numbers as Kubernetes and Calico spell them."""

from __future__ import annotations

TCP, UDP, SCTP, ICMP, ICMPV6, UDPLITE = 6, 17, 132, 1, 58, 136

NUMBER_BY_NAME: dict[str, int] = {
    "TCP": TCP, "UDP": UDP, "SCTP": SCTP, "ICMP": ICMP, "ICMPv6": ICMPV6, "UDPLite": UDPLITE,
}
NAME_BY_NUMBER: dict[int, str] = {v: k for k, v in NUMBER_BY_NAME.items()}

#: Protocols whose packets carry ports (Calico `Protocol.SupportsPorts`).
PORT_PROTOCOLS = frozenset({TCP, UDP, SCTP})
#: Protocols whose packets carry an ICMP type and code.
ICMP_PROTOCOLS = frozenset({ICMP, ICMPV6})


def protocol_name(number: int) -> str:
    """`TCP` for 6, and the number as a string for protocols without a well-known name here."""
    name = NAME_BY_NUMBER.get(number)
    return name if name and number != UDPLITE else str(number)


def parse_protocol(value: object) -> int | None:
    """A protocol name (`TCP`, case-sensitive) or number (1-255, int or numeric string); None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 255 else None
    if isinstance(value, str):
        if value in NUMBER_BY_NAME:
            return NUMBER_BY_NAME[value]
        if value.isdigit():
            number = int(value)
            return number if 1 <= number <= 255 else None
    return None


def protocol_number(text: str) -> int | None:
    """A protocol as people type it: a name in any case (`tcp`, `icmpv6`) or a number 1-255; None if invalid."""
    canonical = {name.lower(): name for name in NUMBER_BY_NAME}.get(text.lower(), text)
    return parse_protocol(canonical)
