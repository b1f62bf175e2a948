"""One IR rule → nft statements: actions, ports, nets, selectors, named ports, ICMP, protocols, families."""

from __future__ import annotations

import pytest

from netpolicy.engine.backends import ServiceBackends
from netpolicy.lab.nft.rules import families_for, render_rule
from netpolicy.lab.nft.sets import SetRegistry
from netpolicy.model.cluster import Cluster, Service, ServicePort
from netpolicy.model.ir import ALLOW, DENY, EGRESS, LOG, PASS, EntityMatch, IcmpMatch, ServiceRef
from netpolicy.model.protocols import ICMP, ICMPV6, TCP, UDP
from netpolicy.selectors.ast import CompareNode, NotNode, Selector
from tests.lab.lab_clusters import nets, pod, ports, rule, sel

ACCEPT = "meta mark set meta mark | 0x00010000 return"
PASS_MARK = "meta mark set meta mark | 0x00020000 return"


def endpoints():
    return [pod("x", "a", "10.0.1.10", ports=(("http", TCP, 8080), ("http", UDP, 5353), ("dns", UDP, 53))),
            pod("x", "b", "10.0.1.11", labels={"pod": "b", "role": "db"}, ports=(("http", TCP, 9090),)),
            pod("y", "c", "10.0.2.10")]


def statements(r, families=(4,), services=()):
    registry = SetRegistry(endpoints(), ServiceBackends(Cluster(endpoints=endpoints(), services=list(services))))
    rendered, dropped = render_rule(r, families, registry)
    return [s for item in rendered for s in item.statements], {s.name: s for s in registry.sets}, dropped


@pytest.mark.parametrize("r, expected", [
    (rule(ALLOW, protocol=TCP, destination=EntityMatch(ports=ports(80))), f"tcp dport 80 {ACCEPT}"),
    (rule(DENY, protocol=UDP, destination=EntityMatch(ports=ports(53))), "udp dport 53 drop"),
    (rule(PASS), PASS_MARK),
    (rule(LOG, protocol=TCP), 'meta l4proto tcp log prefix "calico-packet: "'),
    (rule(ALLOW, protocol=TCP, destination=EntityMatch(not_ports=ports(22, (8000, 8080)))),
     f"tcp dport != {{ 22, 8000-8080 }} {ACCEPT}"),
    (rule(ALLOW, protocol=TCP, source=EntityMatch(ports=ports(5432))), f"tcp sport 5432 {ACCEPT}"),
    (rule(ALLOW, protocol=TCP, source=EntityMatch(not_ports=ports(1, 2, 3))), f"tcp sport != 1-3 {ACCEPT}"),
    (rule(ALLOW, source=EntityMatch(nets=nets("10.0.0.0/8", "192.168.0.0/16"))),
     f"ip saddr {{ 10.0.0.0/8, 192.168.0.0/16 }} {ACCEPT}"),
    (rule(ALLOW, source=EntityMatch(nets=nets("10.0.0.0/8"), not_nets=nets("10.1.0.0/16", "10.2.0.0/16"))),
     f"ip saddr 10.0.0.0/8 ip saddr != {{ 10.1.0.0/16, 10.2.0.0/16 }} {ACCEPT}"),
    (rule(ALLOW, destination=EntityMatch(nets=nets("203.0.113.7"))), f"ip daddr 203.0.113.7 {ACCEPT}"),
    (rule(ALLOW, protocol=47), f"meta l4proto 47 {ACCEPT}"),
    (rule(DENY, not_protocol=UDP), "meta l4proto != udp drop"),
    (rule(ALLOW, protocol=ICMP, icmp=IcmpMatch(8)), f"meta l4proto icmp icmp type 8 {ACCEPT}"),
    (rule(ALLOW, protocol=ICMP, icmp=IcmpMatch(3, 1)), f"meta l4proto icmp icmp type 3 icmp code 1 {ACCEPT}"),
    (rule(ALLOW, protocol=ICMP, not_icmp=IcmpMatch(3)), f"meta l4proto icmp icmp type != 3 {ACCEPT}"),
    (rule(ALLOW, protocol=ICMP, not_icmp=IcmpMatch(3, 1)),
     f"meta l4proto icmp icmp type . icmp code != {{ 3 . 1 }} {ACCEPT}"),
    (rule(ALLOW, ip_version=4, protocol=TCP), f"meta nfproto ipv4 meta l4proto tcp {ACCEPT}"),
])
def test_rule_statements(r, expected):
    got, _, _ = statements(r)
    assert got == [expected]


def test_selector_becomes_a_set_of_owner_addresses():
    got, sets, _ = statements(rule(ALLOW, source=EntityMatch(selector=sel(("pcns.ns", "x")))))
    assert got == [f"ip saddr @cali40s-1 {ACCEPT}"]
    assert sets["cali40s-1"].elements == ["10.0.1.10/31"]


def test_selector_and_not_selector_combine_as_felix_does():
    r = rule(ALLOW, source=EntityMatch(selector=sel(("pcns.ns", "x")), not_selector=sel(("role", "db"))))
    got, sets, _ = statements(r)
    assert got == [f"ip saddr @cali40s-1 {ACCEPT}"]
    assert sets["cali40s-1"].elements == ["10.0.1.10"]
    assert '!role == "db"' in sets["cali40s-1"].comment


def test_not_selector_alone_is_a_negated_set():
    got, sets, _ = statements(rule(DENY, source=EntityMatch(not_selector=sel(("pcns.ns", "x")))))
    assert got == ["ip saddr != @cali40s-1 drop"]
    assert sets["cali40s-1"].elements == ["10.0.1.10/31"]


def test_named_port_resolves_per_endpoint_and_protocol():
    got, sets, _ = statements(rule(ALLOW, protocol=TCP, destination=EntityMatch(ports=ports(names=("http",)))))
    assert got == [f"meta l4proto tcp ip daddr . meta l4proto . th dport @cali40n-1 {ACCEPT}"]
    assert sets["cali40n-1"].elements == ["10.0.1.10 . tcp . 8080", "10.0.1.11 . tcp . 9090"]


def test_named_port_without_protocol_matches_every_protocol_of_that_name():
    _, sets, _ = statements(rule(ALLOW, destination=EntityMatch(ports=ports(names=("http",)))))
    assert sets["cali40n-1"].elements == ["10.0.1.10 . tcp . 8080", "10.0.1.10 . udp . 5353",
                                          "10.0.1.11 . tcp . 9090"]


def test_named_ports_are_filtered_by_the_positive_selector():
    r = rule(ALLOW, protocol=TCP, destination=EntityMatch(selector=sel(("role", "db")), ports=ports(names=("http",))))
    got, sets, _ = statements(r)
    assert got == [f"meta l4proto tcp ip daddr . meta l4proto . th dport @cali40n-1 {ACCEPT}"]
    assert sets["cali40n-1"].elements == ["10.0.1.11 . tcp . 9090"]


def test_numeric_and_named_ports_are_alternatives():
    r = rule(ALLOW, protocol=TCP, destination=EntityMatch(ports=ports(80, names=("http",))))
    got, _, _ = statements(r)
    assert got == [f"meta nfproto ipv4 tcp dport 80 {ACCEPT}", f"meta l4proto tcp ip daddr . meta l4proto . th dport @cali40n-1 {ACCEPT}"]


def test_log_with_alternatives_logs_once_through_a_scratch_mark():
    r = rule(LOG, protocol=TCP, destination=EntityMatch(ports=ports(80, names=("http",))))
    got, _, _ = statements(r)
    assert got == ["meta mark set meta mark & 0xfffbffff",
                   "meta nfproto ipv4 tcp dport 80 meta mark set meta mark | 0x00040000",
                   "meta l4proto tcp ip daddr . meta l4proto . th dport @cali40n-1 meta mark set meta mark | 0x00040000",
                   'meta mark & 0x00040000 == 0x00040000 log prefix "calico-packet: "']


def test_named_not_ports_without_protocol_only_match_port_protocols():
    got, _, _ = statements(rule(ALLOW, destination=EntityMatch(not_ports=ports(names=("dns",)))))
    assert got == ["meta l4proto { tcp, udp, sctp } ip daddr . meta l4proto . th dport != @cali40n-1 " + ACCEPT]


def test_destination_service_matches_backends_on_target_ports():
    svc = Service("x", "web", {"pod": "a"}, (ServicePort(80, TCP, "http"),))
    r = rule(ALLOW, EGRESS, destination=EntityMatch(services=(ServiceRef("x", "web"),)))
    got, sets, _ = statements(r, services=[svc])
    assert got == [f"ip daddr . meta l4proto . th dport @cali40v-1 {ACCEPT}"]
    assert sets["cali40v-1"].elements == ["10.0.1.10 . tcp . 8080"]


def test_source_service_matches_backend_addresses():
    svc = Service("x", "web", {"pod": "b"}, (ServicePort(80, TCP, 9090),))
    got, sets, _ = statements(rule(ALLOW, source=EntityMatch(services=(ServiceRef("x", "web"),))), services=[svc])
    assert got == [f"ip saddr @cali40a-1 {ACCEPT}"]
    assert sets["cali40a-1"].elements == ["10.0.1.11"]


@pytest.mark.parametrize("r, lab, expected", [
    (rule(ALLOW, protocol=TCP), (4, 6), [None]),
    (rule(ALLOW, ip_version=6), (4, 6), [6]),
    (rule(ALLOW, protocol=ICMP), (4, 6), [4]),
    (rule(ALLOW, protocol=ICMPV6), (4, 6), [6]),
    (rule(ALLOW, source=EntityMatch(nets=nets("fd00::/8"))), (4, 6), [6]),
    (rule(ALLOW, source=EntityMatch(not_nets=nets("fd00::/8"))), (4, 6), [6]),
    (rule(ALLOW, source=EntityMatch(nets=nets("10.0.0.0/8", "fd00::/8"))), (4, 6), [4, 6]),
    (rule(ALLOW, destination=EntityMatch(not_nets=nets("0.0.0.0/0", "fd00::/8"))), (4, 6), [6]),
    (rule(ALLOW, source=EntityMatch(selector=sel(("pcns.ns", "x")))), (4,), [4]),
    (rule(ALLOW, source=EntityMatch(nets=nets("fd00::/8"))), (4,), []),
])
def test_families_follow_felix_filter_rule_to_ip_version(r, lab, expected):
    families, dropped = families_for(r, lab)
    assert families == expected
    assert len(dropped) == len(lab) - len([f for f in expected if f]) - (len(lab) if expected == [None] else 0)


def test_a_rule_absent_in_every_family_renders_nothing_and_says_why():
    got, _, dropped = statements(rule(ALLOW, source=EntityMatch(not_nets=nets("fd00::/8"))))
    assert got == []
    assert dropped == ["absent for IPv4: source notNets has no CIDR of the family"]


def test_ipv6_rules_use_ip6_and_icmpv6():
    r = rule(ALLOW, protocol=ICMPV6, icmp=IcmpMatch(128), source=EntityMatch(nets=nets("fd00::/8")))
    got, _, _ = statements(r, families=(4, 6))
    assert got == [f"meta l4proto icmpv6 ip6 saddr fd00::/8 icmpv6 type 128 {ACCEPT}"]


def test_empty_match_sets_match_nothing_and_negated_everything():
    never = Selector(NotNode(CompareNode("ns", "!=", "nobody")))
    got, sets, _ = statements(rule(ALLOW, source=EntityMatch(selector=never)))
    assert got == [f"ip saddr @cali40s-1 {ACCEPT}"]
    assert sets["cali40s-1"].elements == []
