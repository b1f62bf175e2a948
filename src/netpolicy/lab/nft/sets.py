"""The nft sets a ruleset needs, as Felix's IP sets: selector address sets, named ports, services.

A selector becomes the set of addresses of every IP owner it matches (endpoint IPs, network-set
CIDRs, host-endpoint expected IPs). A named port becomes the set of (address . protocol . port) of
the endpoints that name that port and match the rule's positive selector on that side. Sets are
shared: the same selector in many rules is one set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from netpolicy.engine.backends import Backend, ServiceBackends
from netpolicy.lab.nft.model import NftSet
from netpolicy.model.addresses import range_to_networks
from netpolicy.model.cluster import Endpoint
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ServiceRef
from netpolicy.model.protocols import NAME_BY_NUMBER, PORT_PROTOCOLS, protocol_name
from netpolicy.selectors.ast import Selector

ADDR_TYPE = {4: "ipv4_addr", 6: "ipv6_addr"}
FAMILY_TAG = {4: "40", 6: "60"}


def proto_text(protocol: int) -> str:
    """`tcp` for 6, `icmpv6` for 58 (nft's own spelling), the number for other protocols."""
    name = NAME_BY_NUMBER.get(protocol)
    return name.lower() if name and protocol in PORT_PROTOCOLS | {1, 58} else str(protocol)


def cidr_elements(family: int, values: IntervalSet) -> list[str]:
    """Merged address ranges as CIDRs (bare addresses for single hosts)."""
    out = []
    for lo, hi in values:
        for net in range_to_networks(family, lo, hi):
            full = 32 if family == 4 else 128
            out.append(str(net.network_address) if net.prefixlen == full else str(net))
    return out


def addresses_of(owner: Endpoint, family: int) -> IntervalSet:
    ranges = [(int(ip), int(ip)) for ip in owner.ips if ip.version == family]
    ranges += [(int(n.network_address), int(n.broadcast_address)) for n in owner.nets if n.version == family]
    return IntervalSet.of(ranges)


class SetRegistry:
    """Creates each set once, names it Felix-style (`cali40s-3`), and keeps them in creation order."""

    def __init__(self, owners: Sequence[Endpoint], backends: ServiceBackends | None = None) -> None:
        self.owners = list(owners)
        self.backends = backends
        self._by_key: dict[tuple, NftSet] = {}
        self._counter = 0

    @property
    def sets(self) -> list[NftSet]:
        return list(self._by_key.values())

    def _get(self, key: tuple, make) -> str:
        found = self._by_key.get(key)
        if found is None:
            self._counter += 1
            found = self._by_key[key] = make(self._counter)
        return found.name

    def addresses(self, selector: Selector, family: int) -> str:
        """The set of addresses whose owners match `selector`."""
        def make(n: int) -> NftSet:
            values = IntervalSet()
            members = []
            for owner in self.owners:
                if selector.matches(owner.selector_labels):
                    got = addresses_of(owner, family)
                    if got:
                        values |= got
                        members.append(owner.id)
            return NftSet(f"cali{FAMILY_TAG[family]}s-{n}", ADDR_TYPE[family], cidr_elements(family, values),
                          f"selector {selector.canonical} ({len(members)} owners)", interval=True)
        return self._get(("s", family, selector.canonical), make)

    def named_ports(self, names: Iterable[str], protocol: int | None, selector: Selector | None,
                    family: int) -> str:
        """(address . protocol . port) of endpoints that name one of `names` and match `selector`."""
        names = tuple(sorted(set(names)))
        key = ("n", family, names, protocol, selector.canonical if selector else "all()")

        def make(n: int) -> NftSet:
            elements = []
            for owner in self.owners:
                if not owner.policed or (selector is not None and not selector.matches(owner.selector_labels)):
                    continue
                for port in owner.ports:
                    if port.name in names and (protocol is None or port.protocol == protocol):
                        elements += [f"{ip} . {proto_text(port.protocol)} . {port.port}"
                                     for ip in owner.ips if ip.version == family]
            which = protocol_name(protocol) if protocol is not None else "any protocol"
            scope = f"endpoints matching {selector.canonical}" if selector else "any endpoint"
            return NftSet(f"cali{FAMILY_TAG[family]}n-{n}", f"{ADDR_TYPE[family]} . inet_proto . inet_service",
                          sorted(set(elements)), f"named port {','.join(names)} ({which}) of {scope}")
        return self._get(key, make)

    def service_ports(self, refs: Iterable[ServiceRef], family: int) -> str:
        """(backend address . protocol . target port) of the Services' backends."""
        refs = tuple(sorted(set(refs), key=lambda r: (r.namespace, r.name)))

        def make(n: int) -> NftSet:
            elements = set()
            for backend in self._backends(refs):
                if backend.address.version == family:
                    elements |= {f"{backend.address} . {proto_text(p)} . {n}" for p, n in backend.ports}
            names = ", ".join(f"{r.namespace}/{r.name}" for r in refs)
            return NftSet(f"cali{FAMILY_TAG[family]}v-{n}", f"{ADDR_TYPE[family]} . inet_proto . inet_service",
                          sorted(elements), f"backends and target ports of service {names}")
        return self._get(("v", family, refs), make)

    def service_addresses(self, refs: Iterable[ServiceRef], family: int) -> str:
        """Addresses of the Services' backends (any port), as Felix matches source services."""
        refs = tuple(sorted(set(refs), key=lambda r: (r.namespace, r.name)))

        def make(n: int) -> NftSet:
            values = {b.address for b in self._backends(refs) if b.address.version == family}
            names = ", ".join(f"{r.namespace}/{r.name}" for r in refs)
            return NftSet(f"cali{FAMILY_TAG[family]}a-{n}", ADDR_TYPE[family],
                          cidr_elements(family, IntervalSet.of(int(v) for v in values)),
                          f"backends of service {names}", interval=True)
        return self._get(("a", family, refs), make)

    def _backends(self, refs: Iterable[ServiceRef]) -> list[Backend]:
        if self.backends is None:
            return []
        return [b for ref in refs for b in self.backends.of(ref.namespace, ref.name)]
