"""IP addresses and networks as integer ranges, one address family at a time."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netpolicy.model.intervals import IntervalSet

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

FAMILY_MAX = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


@dataclass(frozen=True, slots=True)
class AddressSet:
    """A set of IPv4 addresses and a set of IPv6 addresses, as integer interval sets."""

    v4: IntervalSet = IntervalSet()
    v6: IntervalSet = IntervalSet()

    @classmethod
    def of_networks(cls, nets: list[IPNetwork] | tuple[IPNetwork, ...]) -> AddressSet:
        v4 = [(int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == 4]
        v6 = [(int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == 6]
        return cls(IntervalSet.of(v4), IntervalSet.of(v6))

    @classmethod
    def everything(cls) -> AddressSet:
        return cls(IntervalSet.span(0, FAMILY_MAX[4]), IntervalSet.span(0, FAMILY_MAX[6]))

    def family(self, version: int) -> IntervalSet:
        return self.v4 if version == 4 else self.v6

    def __bool__(self) -> bool:
        return bool(self.v4) or bool(self.v6)

    def __or__(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.v4 | other.v4, self.v6 | other.v6)

    def __and__(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.v4 & other.v4, self.v6 & other.v6)

    def __sub__(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.v4 - other.v4, self.v6 - other.v6)

    def contains(self, address: IPAddress) -> bool:
        return int(address) in self.family(address.version)


def parse_network(text: str, *, strict: bool = False) -> IPNetwork:
    """A CIDR or bare address (bare → /32 or /128); `strict` rejects host bits. Raises ValueError."""
    return ipaddress.ip_network(text.strip(), strict=strict)


def range_to_networks(version: int, lo: int, hi: int) -> list[IPNetwork]:
    """The minimal list of CIDRs covering the inclusive integer range."""
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return list(ipaddress.summarize_address_range(cls(lo), cls(hi)))


def format_address(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))
