"""CIDR text as Kubernetes ipBlocks write it and Calico parses it (Go's `net.ParseCIDR`)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from netpolicy.model.addresses import IPNetwork


@lru_cache(maxsize=16384)
def parse_cidr(text: str) -> IPNetwork | None:
    """`address/prefix` with a decimal prefix length, host bits allowed and cleared; None if unparseable."""
    _, slash, prefix = text.partition("/")
    if not slash or not (prefix.isascii() and prefix.isdigit()):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=16384)
def has_host_bits(text: str) -> bool:
    """True when the CIDR `text` names an address inside its network rather than the network itself."""
    network = parse_cidr(text)
    return network is not None and ipaddress.ip_address(text.partition("/")[0]) != network.network_address


def is_strict_subnet(inner: IPNetwork, outer: IPNetwork) -> bool:
    """`inner` lies inside `outer` and is smaller (`ValidateIPBlock`'s rule for `except`)."""
    return (inner.version == outer.version and inner.prefixlen > outer.prefixlen
            and inner.network_address in outer)
