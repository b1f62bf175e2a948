"""What a valid Calico rule compiles to: every field (docs/semantics.md#rules) into ir.Rule / ir.EntityMatch."""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.model import ir
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import ICMP, ICMPV6, SCTP, TCP, UDP, UDPLITE
from netpolicy.selectors import parse

from .support import compile_yaml, messages, rule_yaml


def _rule(rule: str, direction: str = "ingress", kind: str = "NetworkPolicy") -> ir.Rule:
    result, diags = compile_yaml(rule_yaml(rule, direction, kind))
    assert messages(diags) == []
    policy = result.policies[0]
    return (policy.ingress if direction == "ingress" else policy.egress)[0]


@pytest.mark.parametrize(("written", "number"), [
    ("TCP", TCP), ("UDP", UDP), ("SCTP", SCTP), ("ICMP", ICMP), ("ICMPv6", ICMPV6), ("UDPLite", UDPLITE),
    ("6", TCP), ("47", 47), ("'132'", SCTP),
])
def test_protocols(written, number):
    rule = _rule(f"action: Allow\nprotocol: {written}\nnotProtocol: {written}")
    assert (rule.protocol, rule.not_protocol) == (number, number)


def test_ip_version_is_kept_as_written():
    """ICMP implies IPv4 for Felix, but the IR keeps ipVersion as written; the evaluator applies the
    family rule (docs/semantics.md#address-families)."""
    assert _rule("action: Allow\nprotocol: ICMP").ip_version is None
    assert _rule("action: Allow\nipVersion: 6").ip_version == 6


@pytest.mark.parametrize(("ports", "numbers", "names"), [
    ("[80]", "80", ()),
    ("[80, '8000:8080', 443, '81']", "80-81,443,8000-8080", ()),
    ("[http, 80, metrics, http]", "80", ("http", "metrics")),
    ("[]", None, None),
])
def test_ports(ports, numbers, names):
    rule = _rule(f"action: Allow\nprotocol: TCP\ndestination:\n  ports: {ports}\n  notPorts: {ports}")
    for match in (rule.destination.ports, rule.destination.not_ports):
        if numbers is None:
            assert match is None
        else:
            assert (match.numbers, match.names) == (IntervalSet.parse(numbers), names)


def test_named_ports_without_protocol():
    rule = _rule("action: Allow\ndestination:\n  ports: [http]")
    assert (rule.protocol, rule.destination.ports) == (None, ir.PortMatch(IntervalSet(), ("http",)))


def test_nets():
    rule = _rule("action: Allow\nsource:\n  nets: [10.1.2.3, 10.9.0.0/16]\n  notNets: [10.9.1.0/24]\n"
                 "destination:\n  nets: [10.0.0.5/8]")
    assert rule.source.nets == (ipaddress.ip_network("10.1.2.3/32"), ipaddress.ip_network("10.9.0.0/16"))
    assert rule.source.not_nets == (ipaddress.ip_network("10.9.1.0/24"),)
    assert rule.destination.nets == (ipaddress.ip_network("10.0.0.0/8"),)
    v6 = _rule("action: Allow\nsource:\n  nets: ['2001:db8::1']")
    assert v6.source.nets == (ipaddress.ip_network("2001:db8::1/128"),)


@pytest.mark.parametrize(("icmp", "expected"), [
    ("icmp: {type: 8}", ir.IcmpMatch(8)),
    ("icmp: {type: 3, code: 1}", ir.IcmpMatch(3, 1)),
    ("icmp: {}", None),
])
def test_icmp(icmp, expected):
    rule = _rule(f"action: Allow\nprotocol: ICMP\n{icmp}\nnot{icmp.replace('icmp', 'ICMP', 1)}")
    assert (rule.icmp, rule.not_icmp) == (expected, expected)


def test_http_is_kept():
    rule = _rule("action: Allow\nprotocol: TCP\nhttp:\n  methods: [GET]\n  paths: [{exact: /a}, {prefix: /b}]")
    assert rule.http == {"methods": ["GET"], "paths": [{"exact": "/a"}, {"prefix": "/b"}]}
    assert rule.detail == "Allow TCP HTTP GET /a /b*"


def test_services():
    rule = _rule("action: Allow\ndestination:\n  services: {name: web, namespace: shop}", "egress")
    assert rule.destination.services == (ir.ServiceRef("shop", "web"),)
    assert rule.destination.selector is None


def test_selectors_are_effective():
    rule = _rule("action: Deny\nsource:\n  selector: app == 'a'\n  notSelector: has(b)", "egress")
    assert rule.source.selector == parse("(projectcalico.org/namespace == 'prod') && (app == 'a')")
    assert rule.source.not_selector == parse("has(b)")
    assert rule.destination.is_empty


@pytest.mark.parametrize(("rule", "detail"), [
    ("action: Allow", "Allow everything"),
    ("action: Deny\nprotocol: UDP\ndestination:\n  ports: [53]", "Deny UDP to ports 53"),
    ("action: Pass\nipVersion: 4\nsource:\n  namespaceSelector: team == 'a'\n  notNets: [10.0.0.0/8]",
     "Pass IPv4 from namespaces team == 'a' not nets 10.0.0.0/8"),
    ("action: Log\nprotocol: ICMP\nicmp: {type: 8, code: 0}\nsource:\n  serviceAccounts: {names: [a, b]}",
     "Log ICMP type 8 code 0 from service accounts a, b"),
])
def test_detail(rule, detail):
    assert _rule(rule).detail == detail


def test_rule_identity():
    rule = _rule("action: Allow", "egress")
    assert (rule.direction, rule.index, rule.name, rule.path, str(rule.location)) == (
        "egress", 0, "egress[0]", "spec.egress[0]", "<stdin>:8")
