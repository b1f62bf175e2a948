"""Stable addresses from the pod CIDR(s): lowest free first, never network or last address."""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.sources.ip_pool import AddressPool, PoolExhausted, parse_pod_cidrs


def allocate(cidrs: str, used: list[str], count: int) -> list[tuple[str, ...]]:
    pool = AddressPool(parse_pod_cidrs(cidrs), [ipaddress.ip_address(u) for u in used])
    return [tuple(str(a) for a in pool.allocate()) for _ in range(count)]


@pytest.mark.parametrize("cidrs, used, count, expected", [
    ("10.0.0.0/29", [], 3, [("10.0.0.1",), ("10.0.0.2",), ("10.0.0.3",)]),
    ("10.0.0.0/29", ["10.0.0.1", "10.0.0.3", "192.168.0.1", "fd00::1"], 3, [("10.0.0.2",), ("10.0.0.4",), ("10.0.0.5",)]),
    ("10.0.0.0/29", [], 6, [(f"10.0.0.{i}",) for i in range(1, 7)]),
    ("10.0.0.0/30", [], 2, [("10.0.0.1",), ("10.0.0.2",)]),
    ("fd00::/126", ["fd00::1"], 1, [("fd00::2",)]),
    ("10.0.0.0/30,fd00::/120", ["fd00::1"], 2, [("10.0.0.1", "fd00::2"), ("10.0.0.2", "fd00::3")]),
])
def test_allocation(cidrs: str, used: list[str], count: int, expected: list) -> None:
    assert allocate(cidrs, used, count) == expected


@pytest.mark.parametrize("cidrs, used, count", [
    ("10.0.0.0/29", [], 7),  # .7 is the broadcast address
    ("10.0.0.0/30", ["10.0.0.2"], 2),
    ("10.0.0.1/32", [], 1),
    ("10.0.0.0/31", [], 1),
])
def test_exhaustion(cidrs: str, used: list[str], count: int) -> None:
    with pytest.raises(PoolExhausted):
        allocate(cidrs, used, count)


@pytest.mark.parametrize("text, expected", [
    ("10.244.0.0/16", ["10.244.0.0/16"]),
    (" 10.244.3.4/16 ", ["10.244.0.0/16"]),
    ("10.244.0.0/16,fd00::/64", ["10.244.0.0/16", "fd00::/64"]),
])
def test_parse(text: str, expected: list[str]) -> None:
    assert [str(n) for n in parse_pod_cidrs(text)] == expected


@pytest.mark.parametrize("text", ["", ",", "10.0.0.0/8,10.1.0.0/16", "x", "10.0.0.0/40"])
def test_parse_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pod_cidrs(text)


@pytest.mark.parametrize("needed, used, expected", [
    (1, [], "10.244.0.0/16"),
    (65_534, [], "10.244.0.0/16"),
    (65_535, [], "10.244.0.0/15"),
    (65_534, ["10.244.9.9"], "10.244.0.0/15"),             # an address in use counts
    (65_534, ["10.99.0.1", "fd00::1"], "10.244.0.0/16"),   # outside it, or another family, does not
    (150_000, [], "10.244.0.0/14"),
    (300_000, [], "10.240.0.0/13"),
    (20_000_000, [], "10.0.0.0/8"),                        # never wider than a /8
])
def test_default_pool_sized_to_the_input(needed: int, used: list[str], expected: str) -> None:
    from netpolicy.sources.ip_pool import sized_default

    network = ipaddress.ip_network("10.244.0.0/16")
    assert str(sized_default(network, needed, [ipaddress.ip_address(a) for a in used])) == expected
