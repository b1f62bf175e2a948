"""Rule validation: one row per entry of docs/semantics.md#rule-validation, accept and reject."""

from __future__ import annotations

import pytest

from .support import compile_yaml, messages, rule_yaml

NP, GNP, PROFILE = "NetworkPolicy", "GlobalNetworkPolicy", "Profile"
IN, OUT = "ingress", "egress"
OK = None

# (id, direction, kind, rule YAML, None = accepted | (field path, message fragment) of the error)
CASES = [
    # action
    ("no action", IN, NP, "protocol: TCP", ("spec.ingress[0].action", "is required (expected Allow, Deny, Log or Pass)")),
    ("unknown action", IN, NP, "action: Reject", ("spec.ingress[0].action", "'Reject' is not an action")),
    ("lower-case action", IN, NP, "action: allow", ("spec.ingress[0].action", "did you mean 'Allow'?")),
    ("action Log", IN, NP, "action: Log", OK),
    ("action Pass", IN, NP, "action: Pass", OK),
    # ipVersion
    ("ipVersion 0", IN, NP, "action: Allow\nipVersion: 0", ("spec.ingress[0].ipVersion", "0 is not an IP version")),
    ("ipVersion 6", IN, NP, "action: Allow\nipVersion: 6", OK),
    ("ipVersion as string", IN, NP, "action: Allow\nipVersion: '4'", ("spec.ingress[0].ipVersion", "is not an integer")),
    # protocol
    ("protocol tcp", IN, NP, "action: Allow\nprotocol: tcp", ("spec.ingress[0].protocol", "did you mean 'TCP'?")),
    ("protocol tcpfoo", IN, NP, "action: Allow\nprotocol: tcpfoo", ("spec.ingress[0].protocol", "'tcpfoo' is not a protocol")),
    ("protocol 0", IN, NP, "action: Allow\nprotocol: 0", ("spec.ingress[0].protocol", "0 is not a protocol")),
    ("protocol 256", IN, NP, "action: Allow\nprotocol: 256", ("spec.ingress[0].protocol", "256 is not a protocol")),
    ("protocol '0'", IN, NP, "action: Allow\nprotocol: '0'", ("spec.ingress[0].protocol", "'0' is not a protocol")),
    ("notProtocol udp", IN, NP, "action: Allow\nnotProtocol: udp", ("spec.ingress[0].notProtocol", "did you mean 'UDP'?")),
    ("protocol 1", IN, NP, "action: Allow\nprotocol: 1", OK),
    ("protocol 255", IN, NP, "action: Allow\nprotocol: 255", OK),
    ("protocol '1'", IN, NP, "action: Allow\nprotocol: '1'", OK),
    ("protocol '255'", IN, NP, "action: Allow\nprotocol: '255'", OK),
    ("protocol UDPLite", IN, NP, "action: Allow\nprotocol: UDPLite", OK),
    ("protocol ICMPv6", IN, NP, "action: Allow\nprotocol: ICMPv6", OK),
    # ports need a protocol that has ports (#named-ports)
    ("dest ports, no protocol", IN, NP, "action: Allow\ndestination:\n  ports: [80]",
     ("spec.ingress[0].destination.ports", "rules with numeric port or port range must set protocol to TCP or UDP or SCTP")),
    ("source ports, no protocol", IN, NP, "action: Allow\nsource:\n  ports: ['80:90']",
     ("spec.ingress[0].source.ports", "numeric port or port range must set protocol")),
    ("dest notPorts, no protocol", OUT, NP, "action: Allow\ndestination:\n  notPorts: [443]",
     ("spec.egress[0].destination.notPorts", "numeric port or port range must set protocol")),
    ("dest named ports, no protocol", IN, NP, "action: Allow\ndestination:\n  ports: [http]", OK),
    ("source named notPorts, no protocol", IN, NP, "action: Allow\nsource:\n  notPorts: [metrics]", OK),
    ("source ports, protocol 7", IN, NP, "action: Allow\nprotocol: 7\nsource:\n  ports: [80]",
     ("spec.ingress[0].source.ports", "must set protocol to TCP or UDP or SCTP")),
    ("source notPorts, protocol 100", IN, NP, "action: Allow\nprotocol: 100\nsource:\n  notPorts: [80]",
     ("spec.ingress[0].source.notPorts", "must set protocol to TCP or UDP or SCTP")),
    ("named ports, protocol ICMP", IN, NP, "action: Allow\nprotocol: ICMP\ndestination:\n  ports: [http]",
     ("spec.ingress[0].destination.ports", "rules that specify ports must set protocol to TCP or UDP or SCTP")),
    ("ports, protocol UDPLite", IN, NP, "action: Allow\nprotocol: UDPLite\ndestination:\n  ports: [80]",
     ("spec.ingress[0].destination.ports", "must set protocol to TCP or UDP or SCTP")),
    ("empty ports, protocol 7", IN, NP, "action: Allow\nprotocol: 7\nsource:\n  ports: []", OK),
    ("ports with protocol 6", IN, NP, "action: Allow\nprotocol: 6\ndestination:\n  ports: [80]", OK),
    ("ports with SCTP", IN, NP, "action: Allow\nprotocol: SCTP\ndestination:\n  ports: [80]", OK),
    # port values
    ("port 0", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: [0]",
     ("spec.ingress[0].destination.ports[0]", "0 is not a port (expected 1-65535)")),
    ("port 70000", OUT, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: [80, 70000]",
     ("spec.egress[0].destination.ports[1]", "70000 is not a port (expected 1-65535)")),
    ("port name and number", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: ['http:80']",
     ("spec.ingress[0].destination.ports[0]", "'http:80' is not a port range")),
    ("backwards range", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: ['90:80']",
     ("spec.ingress[0].destination.ports[0]", "runs backwards")),
    ("range from 0", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: ['0:80']",
     ("spec.ingress[0].destination.ports[0]", "includes port 0")),
    ("range", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: ['80:90', '443', 8080]", OK),
    ("port as float", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: [8.5]",
     ("spec.ingress[0].destination.ports[0]", "8.5 is not a port")),
    ("bad port name", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: ['web port']",
     ("spec.ingress[0].destination.ports[0]", "'web port' is not a port name")),
    # ICMP fields
    ("icmp code without type", IN, NP, "action: Allow\nprotocol: ICMP\nicmp:\n  code: 0",
     ("spec.ingress[0].icmp.code", "ICMP code specified without an ICMP type")),
    ("notICMP code without type", IN, NP, "action: Allow\nprotocol: ICMP\nnotICMP:\n  code: 0",
     ("spec.ingress[0].notICMP.code", "ICMP code specified without an ICMP type")),
    ("icmp type too high", IN, NP, "action: Allow\nprotocol: ICMP\nicmp:\n  type: 255",
     ("spec.ingress[0].icmp.type", "255 is not an ICMP type (expected 0-254)")),
    ("icmp code too high", IN, NP, "action: Allow\nprotocol: ICMP\nicmp:\n  type: 3\n  code: 256",
     ("spec.ingress[0].icmp.code", "256 is not an ICMP code (expected 0-255)")),
    ("icmp without protocol", IN, NP, "action: Allow\nicmp:\n  type: 8",
     ("spec.ingress[0].icmp", "ICMP fields require protocol to be ICMP or ICMPv6")),
    ("icmp with TCP", IN, NP, "action: Allow\nprotocol: TCP\nicmp:\n  type: 8",
     ("spec.ingress[0].icmp", "ICMP fields require protocol to be ICMP or ICMPv6")),
    ("icmp with protocol 1", IN, NP, "action: Allow\nprotocol: 1\nicmp:\n  type: 8\n  code: 0", OK),
    ("icmp with ICMPv6", IN, NP, "action: Allow\nprotocol: ICMPv6\nicmp:\n  type: 128", OK),
    ("notICMP without protocol", IN, NP, "action: Allow\nnotICMP:\n  type: 8", OK),
    # IP version agreement (#address-families)
    ("ICMP with ipVersion 6", IN, NP, "action: Allow\nprotocol: ICMP\nipVersion: 6",
     ("spec.ingress[0].ipVersion", "protocol ICMP requires ipVersion 4")),
    ("ICMPv6 with ipVersion 4", IN, NP, "action: Allow\nprotocol: ICMPv6\nipVersion: 4",
     ("spec.ingress[0].ipVersion", "protocol ICMPv6 requires ipVersion 6")),
    ("notProtocol ICMP with ipVersion 6", IN, NP, "action: Allow\nnotProtocol: ICMP\nipVersion: 6",
     ("spec.ingress[0].ipVersion", "protocol ICMP requires ipVersion 4")),
    ("protocol 1 with ipVersion 6", IN, NP, "action: Allow\nprotocol: 1\nipVersion: 6",
     ("spec.ingress[0].ipVersion", "protocol ICMP requires ipVersion 4")),
    ("ICMP with ipVersion 4", IN, NP, "action: Allow\nprotocol: ICMP\nipVersion: 4", OK),
    ("mixed families across sides", IN, NP,
     "action: Allow\nsource:\n  nets: [10.0.0.0/8]\ndestination:\n  nets: ['fd00::/8']",
     ("spec.ingress[0].destination.nets", "rule contains both IPv4 and IPv6 CIDRs")),
    ("mixed families in one field", IN, NP, "action: Allow\nsource:\n  notNets: [10.0.0.0/8, 'fd00::/8']",
     ("spec.ingress[0].source.notNets", "rule contains both IPv4 and IPv6 CIDRs")),
    ("CIDR against ipVersion", IN, NP, "action: Allow\nipVersion: 6\nsource:\n  nets: [10.0.0.0/8]",
     ("spec.ingress[0].source.nets", "rule IP version doesn't match CIDR version")),
    ("IPv6 rule", IN, NP, "action: Allow\nipVersion: 6\nsource:\n  nets: ['fd00::/8', '::1']", OK),
    ("catch-all v4 notNets", IN, NP, "action: Allow\nsource:\n  notNets: [0.0.0.0/0]",
     ("spec.ingress[0].source.notNets[0]", "catch-all CIDR in negation creates logical contradiction")),
    ("catch-all v6 notNets", OUT, NP, "action: Allow\ndestination:\n  notNets: ['::/0']",
     ("spec.egress[0].destination.notNets[0]", "catch-all CIDR in negation")),
    ("catch-all nets", OUT, NP, "action: Allow\ndestination:\n  nets: [0.0.0.0/0]", OK),
    ("invalid CIDR", IN, NP, "action: Allow\nsource:\n  nets: [10.2402.0.0/16]",
     ("spec.ingress[0].source.nets[0]", "'10.2402.0.0/16' is not a CIDR")),
    ("netmask form", IN, NP, "action: Allow\nsource:\n  nets: [10.0.0.0/255.0.0.0]",
     ("spec.ingress[0].source.nets[0]", "is not a CIDR")),
    ("bare IP", IN, NP, "action: Allow\nsource:\n  nets: [10.1.2.3]", OK),
    ("too many nets", IN, NP, "action: Allow\nsource:\n  nets: [" + ", ".join(f"10.0.{i // 250}.{i % 250}" for i in range(257)) + "]",
     ("spec.ingress[0].source.nets", "257 entries (expected at most 256)")),
    ("too many ports", IN, NP, "action: Allow\nprotocol: TCP\ndestination:\n  ports: [" + ", ".join(str(p) for p in range(1, 52)) + "]",
     ("spec.ingress[0].destination.ports", "51 entries (expected at most 50)")),
    # global() placement (#selector-validation)
    ("global() in selector", IN, NP, "action: Allow\nsource:\n  selector: global()",
     ("spec.ingress[0].source.selector", "global() can only be used in an EntityRule namespaceSelector")),
    ("'global(' inside a value", IN, NP, "action: Allow\nsource:\n  selector: a == 'global('",
     ("spec.ingress[0].source.selector", "global() can only be used in an EntityRule namespaceSelector")),
    ("global() as namespaceSelector", IN, NP, "action: Allow\nsource:\n  namespaceSelector: global()", OK),
    ("global() with spaces", IN, NP, "action: Allow\nsource:\n  namespaceSelector: ' global( ) '", OK),
    ("global() combined", IN, NP, "action: Allow\nsource:\n  namespaceSelector: global() || a == 'b'",
     ("spec.ingress[0].source.namespaceSelector", "global() cannot be combined with other selectors")),
    ("global() in parentheses", IN, NP, "action: Allow\nsource:\n  namespaceSelector: (global())",
     ("spec.ingress[0].source.namespaceSelector", "global() cannot be combined with other selectors")),
    ("global() with projectcalico.org/name", IN, GNP,
     "action: Allow\ndestination:\n  namespaceSelector: global()\n  selector: projectcalico.org/name == 'x'", OK),
    ("global() in notSelector", IN, NP, "action: Allow\nsource:\n  notSelector: global()", OK),
    # selector syntax and size
    ("bad selector", IN, NP, "action: Allow\nsource:\n  selector: app == web",
     ("spec.ingress[0].source.selector", "expected a quoted string after '==', found label 'web' at column 8; quote the value")),
    ("selector over 1024", IN, NP, "action: Allow\nsource:\n  selector: a == '" + "x" * 1020 + "'",
     ("spec.ingress[0].source.selector", "selector is 1027 characters long (expected at most 1024 characters)")),
    ("selector of 1024", IN, NP, "action: Allow\nsource:\n  selector: a == '" + "x" * 1017 + "'", OK),
    ("bad serviceAccounts selector", IN, NP, "action: Allow\nsource:\n  serviceAccounts:\n    selector: a ==",
     ("spec.ingress[0].source.serviceAccounts.selector", "at column")),
    # services (CEL on EntityRule and Rule)
    ("services with selector", OUT, NP, "action: Allow\ndestination:\n  services: {name: web}\n  selector: a == 'b'",
     ("spec.egress[0].destination.services", "cannot specify selector and services on the same rule")),
    ("services with notSelector", OUT, NP, "action: Allow\ndestination:\n  services: {name: web}\n  notSelector: a == 'b'",
     ("spec.egress[0].destination.services", "cannot specify notSelector and services")),
    ("services with namespaceSelector", OUT, NP,
     "action: Allow\ndestination:\n  services: {name: web}\n  namespaceSelector: a == 'b'",
     ("spec.egress[0].destination.services", "cannot specify namespaceSelector and services")),
    ("services with nets", OUT, NP, "action: Allow\ndestination:\n  services: {name: web}\n  nets: [10.0.0.0/8]",
     ("spec.egress[0].destination.services", "cannot specify nets and services")),
    ("services with notNets", IN, NP, "action: Allow\nsource:\n  services: {name: web}\n  notNets: [10.0.0.0/8]",
     ("spec.ingress[0].source.services", "cannot specify notNets and services")),
    ("services with serviceAccounts", IN, NP,
     "action: Allow\nsource:\n  services: {name: web}\n  serviceAccounts: {names: [api]}",
     ("spec.ingress[0].source.services", "cannot specify serviceAccounts and services")),
    ("services without name", OUT, NP, "action: Allow\ndestination:\n  services: {namespace: prod}",
     ("spec.egress[0].destination.services.name", "services must specify a service name")),
    ("destination services with ports", OUT, NP,
     "action: Allow\nprotocol: TCP\ndestination:\n  services: {name: web}\n  ports: [80]",
     ("spec.egress[0].destination.ports", "ports and notPorts cannot be specified with services")),
    ("source services with ports", IN, NP,
     "action: Allow\nprotocol: TCP\nsource:\n  services: {name: web}\ndestination:\n  ports: [80]", OK),
    ("destination services in ingress", IN, NP, "action: Allow\ndestination:\n  services: {name: web}",
     ("spec.ingress[0].destination.services", "not allowed in ingress rule destination")),
    ("source services in egress", OUT, NP, "action: Allow\nsource:\n  services: {name: web}",
     ("spec.egress[0].source.services", "not allowed in egress rule source")),
    ("destination services in egress", OUT, NP, "action: Allow\ndestination:\n  services: {name: web, namespace: prod}", OK),
    ("GNP services without namespace", OUT, GNP, "action: Allow\ndestination:\n  services: {name: web}",
     ("spec.egress[0].destination.services.namespace", "must specify a namespace")),
    ("GNP services with namespace", OUT, GNP, "action: Allow\ndestination:\n  services: {name: web, namespace: prod}", OK),
    # http (CEL on Rule, ruleUsesAppLayerPolicy)
    ("http on Deny", IN, NP, "action: Deny\nhttp:\n  methods: [GET]",
     ("spec.ingress[0].http", "HTTP match is only valid on Allow rules")),
    ("http with UDP", IN, NP, "action: Allow\nprotocol: UDP\nhttp:\n  methods: [GET]",
     ("spec.ingress[0].http", "rules with HTTP match must have protocol TCP or unset")),
    ("http in egress", OUT, NP, "action: Allow\nhttp:\n  methods: [GET]", ("spec.egress[0].http", "not allowed in egress rules")),
    ("http with TCP", IN, NP, "action: Allow\nprotocol: TCP\nhttp:\n  methods: [GET, PUT]\n  paths: [{exact: /a}, {prefix: /b}]", OK),
    ("http with protocol 6", IN, NP, "action: Allow\nprotocol: 6\nhttp:\n  methods: [GET]", OK),
    ("http duplicate methods", IN, NP, "action: Allow\nhttp:\n  methods: [GET, GET]",
     ("spec.ingress[0].http.methods", "duplicate methods")),
    ("http path exact and prefix", IN, NP, "action: Allow\nhttp:\n  paths: [{exact: /a, prefix: /b}]",
     ("spec.ingress[0].http.paths[0]", "both 'exact' and 'prefix' are set")),
    ("http path without slash", IN, NP, "action: Allow\nhttp:\n  paths: [{exact: a}]",
     ("spec.ingress[0].http.paths[0]", "'a' is not a valid path")),
    ("http path with query", IN, NP, "action: Allow\nhttp:\n  paths: [{prefix: '/a?b'}]",
     ("spec.ingress[0].http.paths[0]", "is not a valid path")),
    # Profiles take rules without the spec-level checks
    ("profile http in egress", OUT, PROFILE, "action: Allow\nhttp:\n  methods: [GET]", OK),
]


def _document(direction: str, kind: str, rule: str) -> str:
    if kind == PROFILE:
        text = rule_yaml(rule, direction, kind="GlobalNetworkPolicy")
        return text.replace("kind: GlobalNetworkPolicy", "kind: Profile")
    return rule_yaml(rule, direction, kind=kind)


@pytest.mark.parametrize(("direction", "kind", "rule", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rule_validation(direction, kind, rule, expected):
    result, diags = compile_yaml(_document(direction, kind, rule))
    errors = messages(diags)
    if expected is OK:
        assert errors == []
        assert len(result.policies) + len(result.profiles) == 1
        return
    path, fragment = expected
    assert any(f": {path}: " in e and fragment in e for e in errors), errors
    assert result.policies == [] and result.profiles == {}


def test_error_names_file_line_and_field():
    """The house style: `FILE:LINE: FIELD.PATH: what is wrong (what was expected)`."""
    text = rule_yaml("action: Allow\nprotocol: TCP\ndestination:\n  ports: [80, 70000]", direction="egress")
    _, diags = compile_yaml(text)
    assert messages(diags) == ["<stdin>:11: spec.egress[0].destination.ports[1]: 70000 is not a port "
                               "(expected 1-65535)"]


def test_host_bits_are_a_warning():
    _, diags = compile_yaml(rule_yaml("action: Allow\nsource:\n  nets: [10.1.2.3/8]"))
    assert messages(diags) == []
    assert messages(diags, "warning") == [
        "<stdin>:10: spec.ingress[0].source.nets[0]: 10.1.2.3/8 has host bits set; Calico matches 10.0.0.0/8"]


def test_unknown_fields_are_warnings():
    _, diags = compile_yaml(rule_yaml("action: Allow\nsource:\n  selectr: a == 'b'\nprotocl: TCP"))
    assert messages(diags) == []
    assert [p.path for p in diags.warnings] == ["spec.ingress[0].protocl", "spec.ingress[0].source.selectr"]


def test_profile_pass_is_a_warning():
    text = _document(IN, PROFILE, "action: Pass")
    result, diags = compile_yaml(text)
    assert messages(diags) == []
    assert [p.path for p in diags.warnings] == ["spec.ingress[0].action"]
    assert result.profiles["p"].ingress[0].action == "Pass"
