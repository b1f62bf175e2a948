"""Scalar values of Calico resources: ports (`numorstring.Port`), protocols, CIDRs, actions."""

from __future__ import annotations

import ipaddress
import re

from netpolicy.model.addresses import IPNetwork
from netpolicy.model.protocols import NUMBER_BY_NAME, PORT_PROTOCOLS, parse_protocol
from netpolicy.suggest import case_hint

MAX_PORT = 65535
PORT_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_DIGITS_RE = re.compile(r"^[0-9]+$")
_CIDR_RE = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$")

PORT_EXPECTED = "a port 1-65535, a range \"first:last\" or a port name"
PROTOCOL_EXPECTED = "TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"
NET_EXPECTED = "a CIDR such as 10.0.0.0/8 or an IP address"

PortValue = tuple[int, int] | str


class ValueProblem(ValueError):
    """A value Calico rejects: `message` and what was `expected`."""

    def __init__(self, message: str, expected: str = "", suggestion: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.suggestion = suggestion


def parse_port(value: object) -> PortValue:
    """A port as Calico reads it: a number, `"a:b"` (inclusive range) or a named port. Raises ValueProblem.

    Follows `numorstring.PortFromString`: an all-digit string is a number, `a:b` must be two
    numbers, anything else is a port name.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueProblem(f"{value!r} is not a port", PORT_EXPECTED)
    if isinstance(value, int):
        return _single(value, str(value))
    if _DIGITS_RE.match(value):
        return _single(int(value), value)
    parts = value.split(":")
    if len(parts) == 2:
        if not all(_DIGITS_RE.match(p) and int(p) <= MAX_PORT for p in parts):
            raise ValueProblem(f"{value!r} is not a port range", "\"first:last\" with two numbers 1-65535")
        low, high = int(parts[0]), int(parts[1])
        if low > high:
            raise ValueProblem(f"port range {value!r} runs backwards", "first <= last")
        if low < 1:
            raise ValueProblem(f"port range {value!r} includes port 0", "ports 1-65535")
        return low, high
    if not PORT_NAME_RE.match(value):
        raise ValueProblem(f"{value!r} is not a port name", "1-128 letters, digits, '_', '.' or '-'")
    return value


def _single(number: int, text: str) -> tuple[int, int]:
    if not 1 <= number <= MAX_PORT:
        raise ValueProblem(f"{text} is not a port", "1-65535")
    return number, number


def check_protocol(value: object) -> int:
    """A protocol name (case-sensitive) or number 1-255 as its number. Raises ValueProblem."""
    number = parse_protocol(value)
    if number is None:
        raise ValueProblem(f"{value!r} is not a protocol", PROTOCOL_EXPECTED,
                           case_hint(value, tuple(NUMBER_BY_NAME)))
    return number


def supports_ports(protocol: int | None) -> bool:
    """Calico's `Protocol.SupportsPorts`: TCP, UDP and SCTP (by name or number)."""
    return protocol in PORT_PROTOCOLS


def parse_net(text: object) -> IPNetwork:
    """A CIDR or bare address (→ /32 or /128), host bits cleared as Calico does. Raises ValueProblem."""
    if not isinstance(text, str) or not _CIDR_RE.match(text):
        raise ValueProblem(f"{text!r} is not a CIDR", NET_EXPECTED)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueProblem(f"{text!r} is not a CIDR", NET_EXPECTED) from None


def has_host_bits(text: str, network: IPNetwork) -> bool:
    """Whether `text` names an address inside `network` rather than the network itself."""
    address = text.partition("/")[0]
    return ipaddress.ip_address(address) != network.network_address


def parse_ip(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address. Raises ValueProblem."""
    try:
        if not isinstance(text, str):
            raise ValueError
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueProblem(f"{text!r} is not an IP address", "an IPv4 or IPv6 address") from None
