"""Probe planning: ports, source ports (and the extra probe when they matter), ICMP, SCTP, pairs."""

from __future__ import annotations

import pytest

from netpolicy.lab.plan import NO_SCTP, auto_ports, mentions_icmp, parse_ports, plan_probes
from netpolicy.lab.topology import plan_topology
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, IcmpMatch
from netpolicy.model.protocols import ICMP, SCTP, TCP, UDP
from tests.lab.lab_clusters import pod, policy, rule
from tests.lab.test_topology import external


@pytest.mark.parametrize("items, expected", [
    ([80], [(TCP, 80), (UDP, 80)]),
    (["udp/53"], [(UDP, 53)]),
    (["TCP:8000-8002"], [(TCP, 8000), (TCP, 8001), (TCP, 8002)]),
    (["sctp/9000"], [(SCTP, 9000)]),
    ([(TCP, 443), "443"], [(TCP, 443), (UDP, 443)]),
])
def test_parse_ports(items, expected):
    assert parse_ports(items) == expected


@pytest.mark.parametrize("item", ["http", "icmp/8", "0", "70000", "1-1000"])
def test_parse_ports_rejects(item):
    with pytest.raises(ValueError):
        parse_ports([item])


def test_auto_ports_are_the_declared_ones_plus_one_nobody_declares():
    endpoints = [pod("x", "a", "10.0.1.10", ports=((None, TCP, 9), (None, UDP, 80))), external(["0.0.0.0/0"])]
    assert auto_ports(endpoints) == [(TCP, 9), (TCP, 10), (UDP, 10), (UDP, 80)]


def test_mentions_icmp():
    assert not mentions_icmp([policy("p", ingress=[rule(ALLOW, protocol=TCP)])])
    assert mentions_icmp([policy("p", ingress=[rule(ALLOW, protocol=ICMP, icmp=IcmpMatch(8))])])
    assert mentions_icmp([policy("p", ingress=[rule(ALLOW, not_protocol=ICMP)])])


def topology():
    return plan_topology("t", [pod("x", "a", "10.0.1.10"), pod("x", "b", "10.0.1.11"), external(["0.0.0.0/0"])])


def test_every_pair_with_a_workload_is_probed_and_carries_the_engine_verdict():
    conns = {("x/a", "x/b"): ConnectionSet.of(TCP, IntervalSet.span(80, 80))}
    plan = plan_probes(topology(), lambda s, d: conns.get((s, d), ConnectionSet.empty()), [(TCP, 80), (TCP, 9)],
                       icmp=False, sctp=False)
    pairs = {(p.src, p.dst) for p in plan.probes}
    assert ("external:x", "external:x") not in pairs
    assert ("x/a", "x/a") in pairs and ("external:x", "x/a") in pairs
    assert len(pairs) == 8
    verdicts = {(p.src, p.dst, p.port): p.expected for p in plan.probes}
    assert verdicts[("x/a", "x/b", 80)] is True
    assert verdicts[("x/a", "x/b", 9)] is False
    assert verdicts[("x/b", "x/a", 80)] is False
    assert plan.listen == {(TCP, 80), (TCP, 9)}


def test_source_ports_are_distinct_and_away_from_probed_ports():
    plan = plan_probes(topology(), lambda s, d: ConnectionSet.all(), [(TCP, 33000), (TCP, 33001)],
                       icmp=False, sctp=False)
    sports = [(p.src, p.sport) for p in plan.probes if p.protocol == TCP]
    assert len(sports) == len(set(sports))
    assert not {s for _, s in sports} & {33000, 33001}


def test_a_source_port_dependent_allowance_gets_a_probe_from_an_allowed_source_port():
    only_5432 = ConnectionSet.of(TCP, IntervalSet.span(8000, 8000), IntervalSet.span(5432, 5432))
    plan = plan_probes(topology(), lambda s, d: only_5432 if (s, d) == ("x/a", "x/b") else ConnectionSet.empty(),
                       [(TCP, 8000)], icmp=False, sctp=False)
    pair = [p for p in plan.probes if (p.src, p.dst) == ("x/a", "x/b")]
    assert [(p.sport == 5432, p.expected, p.extra) for p in pair] == [(False, False, False), (True, True, True)]


def test_sctp_is_not_probed_without_kernel_support():
    plan = plan_probes(topology(), lambda s, d: ConnectionSet.all(), [(SCTP, 80), (TCP, 80)], icmp=False, sctp=False)
    assert all(p.protocol == TCP for p in plan.probes)
    assert {n.reason for n in plan.not_probed} == {NO_SCTP}
    assert len(plan.not_probed) == 8
    assert (SCTP, 80) not in plan.listen


def test_icmp_echo_is_probed_when_asked():
    echo = ConnectionSet.of(ICMP, IntervalSet.span(8, 8), IntervalSet.span(0, 0))
    plan = plan_probes(topology(), lambda s, d: echo, [], icmp=True, sctp=False)
    assert {(p.protocol, p.port, p.sport, p.expected) for p in plan.probes} == {(ICMP, 8, 0, True)}


def test_skipped_endpoints_are_reported():
    from netpolicy.model.cluster import Endpoint
    no_ip = Endpoint(id="x/pending", kind="Pod", name="pending", namespace="x", labels={}, selector_labels={})
    plan = plan_probes(plan_topology("t", [pod("x", "a", "10.0.1.10"), no_ip]), lambda s, d: ConnectionSet.all(),
                       [(TCP, 80)], icmp=False, sctp=True)
    assert [(n.src, n.dst, n.reason) for n in plan.not_probed] == [("x/pending", "*", "no IP address")]


