"""The real kernel on small hand-built clusters, against hand-computed expectations (root only)."""

from __future__ import annotations

import pytest

from netpolicy.lab import api, netns
from netpolicy.lab.errors import LabNotFoundError
from netpolicy.model.cluster import Cluster
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import ALLOW, CALICO_NETWORK_POLICY, EntityMatch, IcmpMatch
from netpolicy.model.protocols import ICMP, TCP
from tests.lab.lab_clusters import (
    HandMatrix,
    pod,
    policy,
    ports,
    rule,
    sel,
    small_cluster,
    small_expectations,
)

pytestmark = pytest.mark.usefixtures("lab_ready")


def rows(report):
    return {(r.protocol, r.port): (r.allowed, r.denied) for r in report.summary}


def test_default_deny_allow_rule_and_tiers_match_hand_computed_expectations():
    cluster = small_cluster()
    report = api.verify(cluster, HandMatrix(cluster.endpoints, small_expectations()))
    assert report.disagreements == []
    assert report.agreements == report.probes == 36
    # TCP 80 gets through to y/c from everyone (3) and from y/c to x/a and x/b (Pass, then the allow rule);
    # UDP 80 only to y/c: the security tier denies y/c → x/b, the default tier isolates x.
    assert rows(report) == {("TCP", 9): (3, 6), ("TCP", 80): (5, 4), ("UDP", 9): (3, 6), ("UDP", 80): (3, 6)}


def test_a_wrong_expectation_is_reported_as_a_disagreement():
    cluster = small_cluster()
    wrong = small_expectations()
    wrong[("y/c", "x/a")] = ConnectionSet.empty()
    report = api.verify(cluster, HandMatrix(cluster.endpoints, wrong))
    assert [(d.probe.src, d.probe.dst, d.probe.protocol, d.probe.port, d.kernel) for d in report.disagreements] \
        == [("y/c", "x/a", TCP, 80, "allowed")]
    assert report.exit_code == 1


def test_source_port_rule_is_probed_from_the_allowed_source_port():
    endpoints = [pod("x", "app", "10.0.1.10", ports=((None, TCP, 8000),)),
                 pod("x", "db", "10.0.1.11", ports=((None, TCP, 5432),))]
    only_from_5432 = policy("app-from-db", kind=CALICO_NETWORK_POLICY, order=10, selector=sel(("pod", "app")),
                            ingress=[rule(ALLOW, protocol=TCP, source=EntityMatch(selector=sel(("pod", "db")),
                                                                                  ports=ports(5432)),
                                          destination=EntityMatch(ports=ports(8000)))])
    cluster = Cluster(endpoints=endpoints, policies=[only_from_5432])
    expected = {(s, "x/app"): ConnectionSet.empty() for s in ("x/app", "x/db")}
    expected[("x/db", "x/app")] = ConnectionSet.of(TCP, IntervalSet.span(8000, 8000), IntervalSet.span(5432, 5432))
    report = api.verify(cluster, HandMatrix(endpoints, expected), ports=["tcp/8000"])
    assert report.disagreements == []
    assert rows(report)[("TCP", 8000)] == (3, 2)  # x/app and x/db to x/db, and x/db → x/app from 5432 only


def test_icmp_type_rule_and_named_port():
    endpoints = [pod("x", "a", "10.0.1.10", ports=(("http", TCP, 80),)),
                 pod("x", "b", "10.0.1.11", ports=(("http", TCP, 8080),))]
    to_b = policy("b-ingress", kind=CALICO_NETWORK_POLICY, order=10, selector=sel(("pod", "b")), ingress=[
        rule(ALLOW, protocol=ICMP, icmp=IcmpMatch(8), source=EntityMatch(selector=sel(("pod", "a")))),
        rule(ALLOW, index=1, protocol=TCP, destination=EntityMatch(ports=ports(names=("http",))))])
    cluster = Cluster(endpoints=endpoints, policies=[to_b])
    echo = ConnectionSet.of(ICMP, IntervalSet.span(8, 8))
    http = ConnectionSet.of(TCP, IntervalSet.span(8080, 8080))
    expected = {("x/a", "x/b"): echo | http, ("x/b", "x/b"): http}
    report = api.verify(cluster, HandMatrix(endpoints, expected), ports=["tcp/80", "tcp/8080", "udp/8080"])
    assert report.disagreements == []
    assert rows(report)[("ICMP", None)] == (3, 1)
    assert rows(report)[("TCP", 8080)] == (4, 0)
    assert rows(report)[("TCP", 80)] == (2, 2)
    assert rows(report)[("UDP", 8080)] == (2, 2)


def test_up_exec_status_down():
    cluster = small_cluster()
    handle = api.up(cluster, HandMatrix(cluster.endpoints, {}))
    try:
        assert handle.id in {s.lab_id for s in api.status()}
        assert api.exec_in(handle.id, "x/a", ["ip", "-o", "addr", "show", "dev", "eth0"]) == 0
        assert api.exec_in(handle.id, "x/a", ["sh", "-c", "exit 3"]) == 3
        with pytest.raises(LabNotFoundError, match="no endpoint 'x/zz'"):
            api.exec_in(handle.id, "x/zz", ["true"])
        listed = netns.run(["nft", "list", "table", "inet", "calico"], netns=handle.topology.node)
        assert "cali-pi-security/gnp/deny-c-to-b-udp" in listed
        routes = netns.run(["ip", "route"], netns=handle.topology.host("x/a").netns)
        assert "default via 169.254.1.1 dev eth0" in routes
    finally:
        assert api.down(handle.id) == [handle.id]
    assert handle.id not in {s.lab_id for s in api.status()}
    with pytest.raises(LabNotFoundError):
        api.down(handle.id)




def test_ipv6_endpoints_with_a_v6_only_rule():
    from dataclasses import replace
    from ipaddress import ip_address

    from tests.lab.lab_clusters import nets

    a = replace(pod("x", "a", "10.0.1.10"), ips=(ip_address("fd00::10"),))
    b = replace(pod("x", "b", "10.0.1.11"), ips=(ip_address("fd00::11"),))
    deny_a = policy("deny-a", kind=CALICO_NETWORK_POLICY, order=10, selector=sel(("pod", "b")), ingress=[
        rule("Deny", protocol=TCP, source=EntityMatch(nets=nets("fd00::10/128"))), rule(ALLOW, index=1)])
    cluster = Cluster(endpoints=[a, b], policies=[deny_a])
    everything_but_tcp = ConnectionSet.all() - ConnectionSet.of(TCP)
    report = api.verify(cluster, HandMatrix([a, b], {("x/a", "x/b"): everything_but_tcp}),
                        ports=["tcp/80", "udp/80"], icmp=True)
    assert report.disagreements == []
    assert rows(report) == {("TCP", 80): (3, 1), ("UDP", 80): (4, 0), ("ICMPv6", None): (4, 0)}
