"""Felix's policy-program packet tests (`rule_matching` vectors) through the one-flow evaluator.

Each vector's IP sets become network sets labelled with the set's name (named-port sets become
endpoints serving the named port), its tiers and policies become IR tiers and policies in order, and
each packet's verdict is the evaluator's verdict for the endpoint's side, with no profiles.
"""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.engine.context import EngineContext
from netpolicy.engine.flow import evaluate_side
from netpolicy.engine.packet import Packet, Peer
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint, NamedPort
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import DENY, INGRESS, PASS, EntityMatch, IcmpMatch, Policy, PortMatch, Rule, Tier
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.selectors.ast import AllNode, InNode, Selector
from tests.conformance_data import calico_vectors

CASES = calico_vectors("calico-k8s-conversion", "rule_matching")
PROTOCOLS = {name.lower(): number for name, number in NUMBER_BY_NAME.items()}


def _protocol(value) -> int | None:
    if value is None:
        return None
    return int(value) if isinstance(value, int) or str(value).isdigit() else PROTOCOLS[str(value).lower()]


def _ports(ranges, names=()) -> PortMatch | None:
    if ranges is None and not names:
        return None
    return PortMatch(IntervalSet.of([tuple(r) for r in ranges or ()]), tuple(names))


def _sets(names) -> Selector | None:
    return Selector(InNode("ipset", frozenset(names))) if names else None


def _side(rule: dict, side: str) -> EntityMatch:
    nets = tuple(ipaddress.ip_network(n) for n in rule.get(f"{side}Nets") or ())
    not_nets = tuple(ipaddress.ip_network(n) for n in rule.get(f"not{side.capitalize()}Nets") or ())
    return EntityMatch(
        nets=nets, not_nets=not_nets,
        selector=_sets(rule.get(f"{side}IPSets")), not_selector=_sets(rule.get(f"not{side.capitalize()}IPSets")),
        ports=_ports(rule.get(f"{side}Ports"), rule.get(f"{side}NamedPortIPSets") or ()),
        not_ports=_ports(rule.get(f"not{side.capitalize()}Ports")))


def _rule(rule: dict, index: int) -> Rule:
    icmp = rule.get("icmp")
    not_icmp = rule.get("notICMP")
    return Rule(
        action=rule["action"], direction=INGRESS, index=index, name=f"ingress[{index}]",
        protocol=_protocol(rule.get("protocol")), not_protocol=_protocol(rule.get("notProtocol")),
        icmp=IcmpMatch(icmp["type"], icmp.get("code")) if icmp else None,
        not_icmp=IcmpMatch(not_icmp["type"], not_icmp.get("code")) if not_icmp else None,
        source=_side(rule, "src"), destination=_side(rule, "dst"))


def _cluster(case: dict) -> Cluster:
    endpoints: list[Endpoint] = []
    named: dict[str, list[NamedPort]] = {}
    for name, members in (case.get("ipSets") or {}).items():
        cidrs = [m for m in members if isinstance(m, str)]
        if cidrs or not members:
            endpoints.append(Endpoint(id=f"set/{name}", kind="GlobalNetworkSet", name=name, namespace=None,
                                      labels={"ipset": name}, selector_labels={"ipset": name},
                                      nets=tuple(ipaddress.ip_network(c) for c in cidrs), policed=False))
        for member in members:
            if isinstance(member, dict):
                address = str(ipaddress.ip_network(member["cidr"]).network_address)
                named.setdefault(address, []).append(NamedPort(name, _protocol(member["protocol"]), member["port"]))
    for address, ports in named.items():
        endpoints.append(Endpoint(id=f"ep/{address}", kind="Pod", name=address, namespace=None, labels={},
                                  selector_labels={}, ips=(ipaddress.ip_address(address),), ports=tuple(ports)))
    tiers, policies = {}, []
    for t_index, tier in enumerate(case["tiers"]):
        tiers[tier["name"]] = Tier(tier["name"], float(t_index), DENY if tier["endOfTier"] == "deny" else PASS)
        for p_index, policy in enumerate(tier["policies"]):
            rules = tuple(_rule(r, i) for i, r in enumerate(policy["rules"]))
            policies.append(Policy(name=policy["name"], kind="GlobalNetworkPolicy", namespace=None,
                                   tier=tier["name"], order=float(p_index), selector=Selector(AllNode()),
                                   types=frozenset({INGRESS}), ingress=rules))
    return Cluster(endpoints=endpoints, policies=policies, tiers=tiers)


def _peer(ctx: EngineContext, address: str) -> Peer:
    ip = ipaddress.ip_address(address)
    owners = ctx.owners.owners(ip)
    policed = [o for o in owners if o.policed]
    return Peer(ip, policed[0] if policed else None, tuple(owners))


def _packet(ctx: EngineContext, raw: dict) -> Packet:
    protocol = raw["protocol"]
    first = raw.get("dstPort", raw.get("icmpType"))
    second = raw.get("srcPort", raw.get("icmpCode"))
    return Packet(_peer(ctx, raw["src"]), _peer(ctx, raw["dst"]), protocol, first, second)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_felix_policy_program_verdicts(case):
    ctx = EngineContext(_cluster(case))
    subject = Endpoint(id="subject", kind=HOST_ENDPOINT, name="subject", namespace=None, labels={},
                       selector_labels={}, profiles=())
    wrong = []
    for expected, packets in (("allow", case["allowed"]), ("deny", case["dropped"])):
        for raw in packets:
            verdict = evaluate_side(ctx, subject, INGRESS, _packet(ctx, raw)).verdict
            if verdict != expected:
                wrong.append(f"{raw}: expected {expected}, got {verdict}")
    assert not wrong, "\n".join(wrong)


def test_rule_matching_vectors_present():
    assert len(CASES) == 19 and sum(len(c["allowed"]) + len(c["dropped"]) for c in CASES) == 102
