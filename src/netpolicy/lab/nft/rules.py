"""One IR rule → nft rules, as Felix renders a rule (felix/rules/policy.go), one address family at a time.

A rule's fields are ANDed; numeric ports and named ports of one side are ORed, which one nft rule
cannot say, so each such alternative becomes its own nft rule with the same action (a Log rule
collects its alternatives in a scratch mark bit first, so it logs a packet once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netpolicy.engine.match import side_selectors
from netpolicy.lab.nft.names import (
    LOG_PREFIX,
    MARK_ACCEPT,
    MARK_PASS,
    MARK_SCRATCH,
    bits_set,
    clear_bits,
    set_bits,
)
from netpolicy.lab.nft.sets import SetRegistry, cidr_elements, proto_text
from netpolicy.model.addresses import AddressSet, IPNetwork
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, DENY, LOG, PASS, EntityMatch, IcmpMatch, Rule
from netpolicy.model.protocols import ICMP, ICMPV6, PORT_PROTOCOLS

ADDR = {4: "ip", 6: "ip6"}
NFPROTO = {4: "ipv4", 6: "ipv6"}
FAMILY_NAME = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class RenderedRule:
    """The nft rules for one IR rule in one family (None: the same rule serves both families)."""

    family: int | None
    statements: tuple[str, ...]


def families_for(rule: Rule, lab_families: Iterable[int]) -> tuple[list[int | None], list[str]]:
    """The families the rule exists in (Felix's FilterRuleToIPVersion), and why others were dropped."""
    families = sorted(lab_families)
    dropped: list[str] = []

    def keep(condition, why: str) -> None:
        nonlocal families
        for family in [f for f in families if not condition(f)]:
            dropped.append(f"absent for {FAMILY_NAME[family]}: {why}")
        families = [f for f in families if condition(f)]

    if rule.ip_version:
        keep(lambda f: f == rule.ip_version, f"ipVersion {rule.ip_version}")
    if rule.protocol == ICMP:
        keep(lambda f: f == 4, "protocol ICMP is IPv4 only")
    if rule.protocol == ICMPV6:
        keep(lambda f: f == 6, "protocol ICMPv6 is IPv6 only")
    for side, entity in (("source", rule.source), ("destination", rule.destination)):
        if entity.nets:
            keep(lambda f, e=entity: any(n.version == f for n in e.nets), f"{side} nets has no CIDR of the family")
        if entity.not_nets:
            keep(lambda f, e=entity: any(n.version == f for n in e.not_nets),
                 f"{side} notNets has no CIDR of the family")
            keep(lambda f, e=entity: not any(n.version == f and n.prefixlen == 0 for n in e.not_nets),
                 f"{side} notNets holds the catch-all CIDR")
    if not _family_specific(rule) and families == sorted(lab_families):
        return [None], dropped
    return list(families), dropped


def _family_specific(rule: Rule) -> bool:
    def addressy(e: EntityMatch) -> bool:
        named = bool((e.ports and e.ports.names) or (e.not_ports and e.not_ports.names))
        return bool(e.nets or e.not_nets or e.selector or e.not_selector or e.services or named)
    return bool(rule.ip_version or rule.icmp or rule.not_icmp or rule.protocol in (ICMP, ICMPV6)
                or addressy(rule.source) or addressy(rule.destination))


def net_text(family: int, nets: Sequence[IPNetwork]) -> str:
    elements = cidr_elements(family, AddressSet.of_networks([n for n in nets if n.version == family]).family(family))
    return elements[0] if len(elements) == 1 else "{ " + ", ".join(elements) + " }"


def ports_text(ports: IntervalSet) -> str:
    items = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _port_word(protocol: int | None) -> str:
    return proto_text(protocol) if protocol in PORT_PROTOCOLS else "th"


class _Side:
    """The matches of one side (source or destination) of a rule in one family."""

    def __init__(self, rule: Rule, entity: EntityMatch, source: bool, family: int, sets: SetRegistry):
        self.positive: list[str] = []
        self.negative: list[str] = []
        self.alternatives: list[list[str]] = []
        addr = f"{ADDR[family]} {'s' if source else 'd'}addr"
        port = f"{'s' if source else 'd'}port"
        protocol = rule.protocol if rule.protocol in PORT_PROTOCOLS else None
        if entity.nets:
            self.positive.append(f"{addr} {net_text(family, entity.nets)}")
        selector, negative = side_selectors(entity)
        numbers = entity.ports.numbers if entity.ports else IntervalSet()
        names = entity.ports.names if entity.ports else ()
        if selector is not None and (numbers or not names):
            self.positive.append(f"{addr} @{sets.addresses(selector, family)}")
        if entity.services:
            if source:
                self.positive.append(f"{addr} @{sets.service_addresses(entity.services, family)}")
            else:
                self.positive.append(f"{addr} . meta l4proto . th dport @{sets.service_ports(entity.services, family)}")
        if numbers:
            self.alternatives.append([f"{_port_word(rule.protocol)} {port} {ports_text(numbers)}"])
        if names:
            self.alternatives.append(
                [f"{addr} . meta l4proto . th {port} @{sets.named_ports(names, protocol, selector, family)}"])
        if entity.not_nets:
            self.negative.append(f"{addr} != {net_text(family, entity.not_nets)}")
        if negative is not None:
            self.negative.append(f"{addr} != @{sets.addresses(negative, family)}")
        if entity.not_ports and entity.not_ports.numbers:
            self.negative.append(f"{_port_word(rule.protocol)} {port} != {ports_text(entity.not_ports.numbers)}")
        if entity.not_ports and entity.not_ports.names:
            if protocol is None:
                self.negative.append("meta l4proto { tcp, udp, sctp }")
            named = sets.named_ports(entity.not_ports.names, protocol, selector, family)
            self.negative.append(f"{addr} . meta l4proto . th {port} != @{named}")

    @property
    def choices(self) -> list[list[str]]:
        return self.alternatives or [[]]


def _icmp(match: IcmpMatch, family: int, negated: bool) -> str:
    word = "icmp" if family == 4 else "icmpv6"
    if negated:
        if match.code is None:
            return f"{word} type != {match.type}"
        return f"{word} type . {word} code != {{ {match.type} . {match.code} }}"
    text = f"{word} type {match.type}"
    return text + (f" {word} code {match.code}" if match.code is not None else "")


def rule_matches(rule: Rule, family: int | None, sets: SetRegistry) -> list[list[str]]:
    """The alternatives (ORed) of match expressions (ANDed) for the rule in one family."""
    head: list[str] = []
    if rule.protocol is not None:
        head.append(f"meta l4proto {proto_text(rule.protocol)}")
    if family is None:
        src_alts = [[f"{_port_word(rule.protocol)} sport {ports_text(rule.source.ports.numbers)}"]] \
            if rule.source.ports and rule.source.ports.numbers else [[]]
        dst_alts = [[f"{_port_word(rule.protocol)} dport {ports_text(rule.destination.ports.numbers)}"]] \
            if rule.destination.ports and rule.destination.ports.numbers else [[]]
        tail = [f"meta l4proto != {proto_text(rule.not_protocol)}"] if rule.not_protocol is not None else []
        for entity, port in ((rule.source, "sport"), (rule.destination, "dport")):
            if entity.not_ports and entity.not_ports.numbers:
                tail.append(f"{_port_word(rule.protocol)} {port} != {ports_text(entity.not_ports.numbers)}")
        return [_tidy(rule, head + s + d + tail) for s in src_alts for d in dst_alts]
    src = _Side(rule, rule.source, True, family, sets)
    dst = _Side(rule, rule.destination, False, family, sets)
    icmp = [_icmp(rule.icmp, family, False)] if rule.icmp else []
    tail = [f"meta l4proto != {proto_text(rule.not_protocol)}"] if rule.not_protocol is not None else []
    tail += src.negative + dst.negative
    if rule.not_icmp:
        tail.append(_icmp(rule.not_icmp, family, True))
    out = []
    for s in src.choices:
        for d in dst.choices:
            exprs = head + src.positive + s + dst.positive + d + icmp + tail
            if not any(e.startswith(("ip ", "ip6 ", "icmp")) for e in exprs):
                exprs.insert(0, f"meta nfproto {NFPROTO[family]}")
            out.append(_tidy(rule, exprs))
    return out


def _tidy(rule: Rule, exprs: list[str]) -> list[str]:
    """Drop `meta l4proto tcp` when a `tcp sport/dport` match already implies it."""
    if rule.protocol in PORT_PROTOCOLS:
        word = proto_text(rule.protocol)
        if any(e.startswith((f"{word} sport", f"{word} dport")) for e in exprs):
            exprs = [e for e in exprs if e != f"meta l4proto {word}"]
    return exprs


def action_text(action: str) -> str:
    """Felix's actions: Allow and Pass set their mark bit and return, Deny drops, Log logs and goes on."""
    return {
        ALLOW: f"{set_bits(MARK_ACCEPT)} return",
        PASS: f"{set_bits(MARK_PASS)} return",
        DENY: "drop",
        LOG: f'log prefix "{LOG_PREFIX}"',
    }[action]


def render_rule(rule: Rule, lab_families: Iterable[int], sets: SetRegistry) -> tuple[list[RenderedRule], list[str]]:
    """Every nft rule for the IR rule, per family, and notes on families where the rule is absent."""
    families, dropped = families_for(rule, lab_families)
    out = []
    for family in families:
        alternatives = rule_matches(rule, family, sets)
        action = action_text(rule.action)
        if len(alternatives) == 1:
            statements = (" ".join(alternatives[0] + [action]),)
        elif rule.action == LOG:
            statements = (clear_bits(MARK_SCRATCH),
                          *(" ".join(alt + [set_bits(MARK_SCRATCH)]) for alt in alternatives),
                          f"{bits_set(MARK_SCRATCH)} {action}")
        else:
            statements = tuple(" ".join(alt + [action]) for alt in alternatives)
        out.append(RenderedRule(family, statements))
    return out, dropped
