"""A single packet between two peers, as the one-flow evaluator sees it."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import Endpoint
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS, protocol_name


@dataclass(frozen=True)
class Peer:
    """One end of a flow: an address, the endpoint it belongs to (if any) and every IP owner there."""

    address: IPAddress
    endpoint: Endpoint | None
    owners: tuple[Endpoint, ...]

    @property
    def display(self) -> str:
        return self.endpoint.id if self.endpoint else str(self.address)

    @property
    def policed(self) -> bool:
        return self.endpoint is not None and self.endpoint.policed


@dataclass(frozen=True)
class Packet:
    """protocol number; `first` = destination port or ICMP type; `second` = source port or ICMP code."""

    src: Peer
    dst: Peer
    protocol: int
    first: int | None = None
    second: int | None = None
    show_second: bool = True

    @property
    def family(self) -> int:
        return self.dst.address.version

    @property
    def has_ports(self) -> bool:
        return self.protocol in PORT_PROTOCOLS

    @property
    def is_icmp(self) -> bool:
        return self.protocol in ICMP_PROTOCOLS

    def reply(self) -> Packet:
        """The reply: ends swapped, and ports swapped too (ICMP type and code stay as they are)."""
        if not self.has_ports:
            return Packet(self.dst, self.src, self.protocol, self.first, self.second)
        return Packet(self.dst, self.src, self.protocol, self.second, self.first)

    def describe(self) -> str:
        """`TCP 5432 from source port 40000`, `ICMP type 8 code 0`, `protocol 47`."""
        name = protocol_name(self.protocol)
        if self.has_ports:
            text = f"{name} {self.first}"
            shown = self.second is not None and self.show_second
            return text + (f" from source port {self.second}" if shown else "")
        if self.is_icmp and self.first is not None:
            return f"{name} type {self.first}" + (f" code {self.second}" if self.second is not None else "")
        return name if name[0].isalpha() else f"protocol {name}"
