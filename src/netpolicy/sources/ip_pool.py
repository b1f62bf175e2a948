"""Stable addresses for endpoints without one, taken in order from the pod CIDR(s)."""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable

from netpolicy.model.addresses import IPAddress, IPNetwork
from netpolicy.options import DEFAULT_POD_CIDR


class PoolExhausted(Exception):
    """Every usable address of a pod CIDR is taken."""

    def __init__(self, network: IPNetwork) -> None:
        super().__init__(str(network))
        self.network = network


def parse_pod_cidrs(text: str) -> list[IPNetwork]:
    """`10.244.0.0/16` or a dual-stack `10.244.0.0/16,fd00:10:244::/64`; raises ValueError."""
    networks = [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]
    if not networks:
        raise ValueError("no CIDR")
    if len({n.version for n in networks}) != len(networks):
        raise ValueError("at most one CIDR per IP family")
    return networks


def sized_default(network: IPNetwork, needed: int, used: Iterable[IPAddress]) -> IPNetwork:
    """The default pod CIDR widened, one prefix bit at a time (10.244.0.0/16, /15, /14, then
    10.240.0.0/13 …, at most a /8), until it has `needed` free addresses besides those `used`."""
    same = sorted(int(a) for a in used if a.version == network.version)
    wider = network
    while wider.prefixlen > 8:
        lo, hi = int(wider.network_address), int(wider.broadcast_address)
        taken = bisect.bisect_right(same, hi) - bisect.bisect_left(same, lo)
        if wider.num_addresses - 2 - taken >= needed:
            break
        wider = wider.supernet()
    return wider


def pod_networks(pod_cidr: str, needed: int, used: Iterable[IPAddress]) -> list[IPNetwork]:
    """The pod CIDR(s) in effect, chosen here only: those given, or the default widened (`sized_default`) to
    hold `needed` more addresses; raises ValueError. Addresses are handed out from them and lint judges
    ipBlocks against them (`Cluster.pod_networks`)."""
    networks = parse_pod_cidrs(pod_cidr)
    if pod_cidr == DEFAULT_POD_CIDR:
        networks = [sized_default(networks[0], needed, used)]
    return networks


def cluster_pod_networks(cluster, pod_cidr: str) -> list[IPNetwork]:
    """The pod CIDR(s) a cluster's addresses were chosen in; `pod_cidr` as given for a cluster made by hand."""
    return list(cluster.pod_networks) or parse_pod_cidrs(pod_cidr)


class AddressPool:
    """Hands out the lowest free address of each network, skipping addresses already in use.

    The network address and the last address (IPv4 broadcast) are never handed out.
    """

    def __init__(self, networks: list[IPNetwork], used: Iterable[IPAddress]) -> None:
        self._networks = networks
        self._used: dict[int, set[int]] = {4: set(), 6: set()}
        for address in used:
            self._used[address.version].add(int(address))
        self._next = {id(n): int(n.network_address) + 1 for n in networks}

    def allocate(self) -> tuple[IPAddress, ...]:
        """One new address from each network; raises PoolExhausted."""
        return tuple(self._take(network) for network in self._networks)

    def _take(self, network: IPNetwork) -> IPAddress:
        used = self._used[network.version]
        candidate = self._next[id(network)]
        last = int(network.broadcast_address) - 1
        while candidate <= last and candidate in used:
            candidate += 1
        if candidate > last:
            raise PoolExhausted(network)
        self._next[id(network)] = candidate + 1
        used.add(candidate)
        return ipaddress.IPv4Address(candidate) if network.version == 4 else ipaddress.IPv6Address(candidate)
