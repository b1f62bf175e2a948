"""External address ranges in words: the range's CIDRs, or one CIDR minus its holes when that is shorter.

The rule (exact, and the same in every human-readable output): a range is written as the fewest CIDRs
that cover exactly it (`0.0.0.0/5, 8.0.0.0/7`), unless one CIDR containing it followed by `except` and
the CIDRs it holds outside the range takes fewer CIDRs in all (`172.17.2.0-172.17.255.255` is
`172.17.0.0/16 except 172.17.0.0/23`, not seven CIDRs). Ties keep the plain list. JSON keeps the
`external:<first>-<last>` ids.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

EXTERNAL_PREFIX = "external:"


def display_id(endpoint_id: str) -> str:
    """How text shows an endpoint or place id: external ranges as CIDRs, any other id as it is."""
    if not endpoint_id.startswith(EXTERNAL_PREFIX):
        return endpoint_id
    first, sep, last = endpoint_id.removeprefix(EXTERNAL_PREFIX).partition("-")
    try:
        lo, hi = ipaddress.ip_address(first), ipaddress.ip_address(last if sep else first)
    except ValueError:
        return endpoint_id
    if lo.version != hi.version or lo > hi:
        return endpoint_id
    return range_text(lo.version, int(lo), int(hi))


@lru_cache(maxsize=4096)
def range_text(version: int, lo: int, hi: int) -> str:
    """The inclusive integer range `lo..hi` of one IP family in CIDR words (see the module's rule)."""
    plain = _cidrs(version, lo, hi)
    best: tuple[int, str] = (len(plain), ", ".join(map(str, plain)))
    bits = 32 if version == 4 else 128
    for prefix in range(bits, -1, -1):
        size = 1 << (bits - prefix)
        start = lo - lo % size
        if start + size - 1 < hi:
            continue
        holes = _cidrs(version, start, lo - 1) + _cidrs(version, hi + 1, start + size - 1)
        if holes and 1 + len(holes) < best[0]:
            outer = ipaddress.ip_network((start, prefix)) if version == 4 else ipaddress.IPv6Network((start, prefix))
            best = (1 + len(holes), f"{outer} except {', '.join(map(str, holes))}")
    return best[1]


def _cidrs(version: int, lo: int, hi: int) -> list:
    if lo > hi:
        return []
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return list(ipaddress.summarize_address_range(cls(lo), cls(hi)))
