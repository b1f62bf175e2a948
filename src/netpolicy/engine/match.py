"""Does one rule match one packet? With the reason, for explanations."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from netpolicy.engine.context import EngineContext, selector_matches_any
from netpolicy.engine.packet import Packet, Peer
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EntityMatch, IcmpMatch, PortMatch, Rule
from netpolicy.model.protocols import ICMP, ICMPV6, protocol_name
from netpolicy.selectors.ast import AndNode, NotNode, Selector


def rule_family_ok(rule: Rule, family: int) -> bool:
    """Felix renders a rule per IP family (docs/semantics.md#address-families); is it present for this one?"""
    if rule.ip_version is not None and rule.ip_version != family:
        return False
    if rule.protocol == ICMP and family != 4 or rule.protocol == ICMPV6 and family != 6:
        return False
    for nets in (rule.source.nets, rule.source.not_nets, rule.destination.nets, rule.destination.not_nets):
        if nets and not any(n.version == family for n in nets):
            return False
    return True


def side_selectors(entity: EntityMatch) -> tuple[Selector | None, Selector | None]:
    """(positive, negative) selectors of a rule side as Felix matches them
    (docs/semantics.md#selector-combination): with a positive selector, notSelector is folded into it as
    `(selector) && !(notSelector)`, one selector matched against each IP owner's labels; without one,
    notSelector stays a separate negative match (any owner at the address matching it excludes the
    address). nets and notNets are separate matches either way."""
    if entity.selector is None or entity.not_selector is None:
        return entity.selector, entity.not_selector
    return _combined(entity.selector, entity.not_selector), None


def owners_match(entity: EntityMatch, owners: Sequence[Endpoint]) -> bool:
    """Whether a rule side's selectors admit an address held by `owners`: some owner matches the
    (combined) positive selector and, without one, no owner matches the lone notSelector."""
    positive, negative = side_selectors(entity)
    if positive is not None and not selector_matches_any(positive, owners):
        return False
    return negative is None or not selector_matches_any(negative, owners)


@cache
def _combined(selector: Selector, not_selector: Selector) -> Selector:
    return Selector(AndNode((selector.root, NotNode(not_selector.root))))


def _icmp_hit(icmp: IcmpMatch, packet: Packet) -> bool:
    if not packet.is_icmp or packet.first is None:
        return False
    return icmp.type == packet.first and (icmp.code is None or icmp.code == packet.second)


def _port_hit(ports: PortMatch, port: int | None, packet: Packet, peer: Peer, positive_selector) -> bool:
    if port is None or not packet.has_ports:
        return False
    if port in ports.numbers:
        return True
    endpoint = peer.endpoint
    if not ports.names or endpoint is None:
        return False
    if positive_selector is not None and not positive_selector.matches(endpoint.selector_labels):
        return False
    return any(np.name in ports.names and np.protocol == packet.protocol and np.port == port
               for np in endpoint.ports)


def entity_matches(ctx: EngineContext, entity: EntityMatch, peer: Peer, port: int | None,
                   packet: Packet, side: str, plain: bool = False) -> tuple[bool, str]:
    """Match one side (`source` or `destination`) of a rule; returns (matched, why).

    `plain` leaves selectors out of the reasons (Kubernetes rules describe their peers themselves)."""
    address = peer.address
    owners = list(peer.owners)
    if entity.nets and not any(address in n for n in entity.nets if n.version == address.version):
        return False, f"{side} {peer.display} is not in {_nets(entity.nets)}"
    if entity.not_nets and any(address in n for n in entity.not_nets if n.version == address.version):
        return False, f"{side} {peer.display} is in excluded {_nets(entity.not_nets)}"
    if not owners_match(entity, owners):
        if entity.selector is not None and not selector_matches_any(entity.selector, owners):
            return False, (f"{side} {peer.display} is not one of the selected peers" if plain else
                           f"{side} {peer.display} does not match selector {entity.selector}")
        return False, (f"{side} {peer.display} is excluded" if plain else  # selected, but every such owner excluded
                       f"{side} {peer.display} matches excluded selector {entity.not_selector}")
    positive, _ = side_selectors(entity)
    if entity.services:
        missed = _service_miss(ctx, entity, peer, port, packet, side)
        if missed:
            return False, missed
    if entity.ports is not None and not _port_hit(entity.ports, port, packet, peer, positive):
        return False, f"{side} port {_port_text(port, packet)} is not in {entity.ports.format()}"
    if entity.not_ports is not None:
        if not packet.has_ports or _port_hit(entity.not_ports, port, packet, peer, positive):
            return False, f"{side} port {_port_text(port, packet)} is excluded by notPorts {entity.not_ports.format()}"
    return True, _entity_text(entity, peer, side, plain)


def _service_miss(ctx: EngineContext, entity: EntityMatch, peer: Peer, port: int | None,
                  packet: Packet, side: str) -> str:
    """Why the peer misses the side's `services` (empty when it matches): Felix's IP sets hold every
    backend address (source) or every backend address × numbered port × protocol (destination)."""
    names = ", ".join(f"{s.namespace}/{s.name}" for s in entity.services)
    backends = [b for ref in entity.services for b in ctx.backends.of(ref.namespace, ref.name)
                if b.address == peer.address]
    if not backends:
        return f"{side} {peer.display} is not a backend of service {names}"
    if side == "source" or (packet.has_ports and any((packet.protocol, port) in b.ports for b in backends)):
        return ""
    served = ", ".join(sorted({f"{protocol_name(p)} {n}" for b in backends for p, n in b.ports})) or "no port"
    asked = f"{protocol_name(packet.protocol)} {port}" if packet.has_ports else protocol_name(packet.protocol)
    return f"{side} {peer.display} backs service {names} on {served}, not on {asked}"


def rule_matches(ctx: EngineContext, rule: Rule, packet: Packet, plain: bool = False) -> tuple[bool, str]:
    """Whether the rule matches the packet, and a short reason (what matched, or what did not)."""
    if not rule_family_ok(rule, packet.family):
        return False, f"the rule does not exist for IPv{packet.family}"
    if rule.protocol is not None and rule.protocol != packet.protocol:
        return False, f"protocol {protocol_name(packet.protocol)} is not {protocol_name(rule.protocol)}"
    if rule.not_protocol is not None and rule.not_protocol == packet.protocol:
        return False, f"protocol {protocol_name(packet.protocol)} is excluded"
    if rule.icmp is not None and not _icmp_hit(rule.icmp, packet):
        return False, "ICMP type/code does not match"
    if rule.not_icmp is not None and _icmp_hit(rule.not_icmp, packet):
        return False, "ICMP type/code is excluded"
    ok, src_why = entity_matches(ctx, rule.source, packet.src, packet.second, packet, "source", plain)
    if not ok:
        return False, src_why
    ok, dst_why = entity_matches(ctx, rule.destination, packet.dst, packet.first, packet, "destination", plain)
    if not ok:
        return False, dst_why
    parts = [w for w in (src_why, dst_why) if w]
    if rule.protocol is not None:
        parts.append(f"protocol {protocol_name(rule.protocol)}")
    if rule.http:
        parts.append("HTTP match not enforced at L4 (allowed at L4; the L7 restriction applies in the proxy)")
    return True, "; ".join(parts) if parts else "the rule matches all traffic"


def _nets(nets) -> str:
    return ", ".join(str(n) for n in nets)


def _port_text(port: int | None, packet: Packet) -> str:
    return "(none)" if port is None or not packet.has_ports else str(port)


def _entity_text(entity: EntityMatch, peer: Peer, side: str, plain: bool = False) -> str:
    bits = []
    if entity.selector is not None:
        bits.append("is a selected peer" if plain else f"matches {entity.selector}")
    if entity.nets:
        bits.append(f"is in {_nets(entity.nets)}")
    if entity.not_nets:
        bits.append(f"is not in {_nets(entity.not_nets)}")
    if entity.not_selector is not None and not plain:
        bits.append(f"does not match {entity.not_selector}")
    if entity.services:
        bits.append("is a service backend")
    if entity.ports is not None:
        bits.append(f"port in {entity.ports.format()}")
    if entity.not_ports is not None:
        bits.append(f"port not in {entity.not_ports.format()}")
    return f"{side} {peer.display} " + " and ".join(bits) if bits else ""
