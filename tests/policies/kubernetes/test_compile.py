"""How a Kubernetes NetworkPolicy compiles into the IR: identity, types, peers, ports, rule order, details."""

from __future__ import annotations

import pytest

from netpolicy.model import ir
from netpolicy.model.protocols import SCTP, TCP, UDP
from netpolicy.options import Options
from netpolicy.policies.kubernetes.compile import policy_types
from netpolicy.policies.kubernetes.convert import simplify_ports

from .support import canonical, compile_data, compile_yaml, messages, policy_yaml

ORCH = "projectcalico.org/orchestrator == 'k8s'"
PROD = "projectcalico.org/namespace == 'prod'"


def compiled(spec: str, namespace: str | None = "prod", options: Options | None = None) -> ir.Policy:
    policy, diags = compile_yaml(policy_yaml(spec, namespace=namespace), options)
    assert policy is not None, messages(diags)
    assert not diags.errors
    return policy


# --- identity -------------------------------------------------------------------------------------


def test_policy_identity_and_placement():
    policy = compiled("podSelector: {}")
    assert (policy.name, policy.namespace, policy.kind) == ("web", "prod", ir.K8S_NETWORK_POLICY)
    assert (policy.tier, policy.order) == ("default", 1000.0)
    assert policy.id == "prod/web"
    assert str(policy.location) == "web.yaml:1"


def test_namespace_defaults_to_default():
    policy = compiled("podSelector: {}", namespace=None)
    assert policy.namespace == "default"
    assert str(policy.selector) == canonical(f"{ORCH} && projectcalico.org/namespace == 'default'")


@pytest.mark.parametrize("pod_selector, calico", [
    ("{}", ORCH),
    ("{matchLabels: {}}", ORCH),
    ("{matchLabels: {app: web}}", f"{ORCH} && app == 'web'"),
    ("{matchLabels: {tier: db, app: web}}", f"{ORCH} && app == 'web' && tier == 'db'"),
    ("{matchExpressions: [{key: app, operator: In, values: [b, a]}]}", f"{ORCH} && app in {{ 'a', 'b' }}"),
    ("{matchExpressions: [{key: app, operator: NotIn, values: [a]}]}", f"{ORCH} && app not in {{ 'a' }}"),
    ("{matchExpressions: [{key: app, operator: Exists}]}", f"{ORCH} && has(app)"),
    ("{matchExpressions: [{key: app, operator: DoesNotExist}]}", f"{ORCH} && ! has(app)"),
    ("{matchLabels: {z: '1'}, matchExpressions: [{key: a, operator: Exists}]}", f"{ORCH} && z == '1' && has(a)"),
])
def test_applies_to_selector_is_the_pod_selector_scoped_to_the_namespace(pod_selector, calico):
    policy = compiled(f"podSelector: {pod_selector}")
    assert str(policy.selector) == canonical(f"({calico}) && {PROD}")


def test_missing_pod_selector_selects_every_pod_with_a_warning():
    # Kubernetes documents podSelector as optional, defaulting to the empty selector.
    policy, diags = compile_yaml(policy_yaml("policyTypes: [Ingress]"))
    assert policy is not None
    assert str(policy.selector) == canonical(f"({ORCH}) && {PROD}")
    assert [p.path for p in diags.warnings] == ["spec.podSelector"]


# --- policy types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, types", [
    ("podSelector: {}", {ir.INGRESS}),
    ("{podSelector: {}, ingress: [{}]}", {ir.INGRESS}),
    ("{podSelector: {}, egress: [{}]}", {ir.INGRESS, ir.EGRESS}),
    ("{podSelector: {}, egress: []}", {ir.INGRESS}),
    ("{podSelector: {}, ingress: [{}], egress: [{}]}", {ir.INGRESS, ir.EGRESS}),
    ("{podSelector: {}, policyTypes: []}", {ir.INGRESS}),
    ("{podSelector: {}, policyTypes: [Egress]}", {ir.EGRESS}),
    ("{podSelector: {}, policyTypes: [Egress, Ingress]}", {ir.INGRESS, ir.EGRESS}),
    ("{podSelector: {}, policyTypes: [Ingress], egress: [{}]}", {ir.INGRESS}),
    ("{podSelector: {}, policyTypes: [Egress], ingress: [{}]}", {ir.EGRESS}),
])
def test_policy_types_default_the_kubernetes_way(spec, types):
    # A policy with only egress rules and no policyTypes isolates both directions (the API server's
    # defaulting), unlike Calico's own defaulting which would make it egress-only.
    assert compiled(spec).types == frozenset(types)


@pytest.mark.parametrize("spec, expected", [
    ({}, ["Ingress"]),
    ({"egress": [{}]}, ["Ingress", "Egress"]),
    ({"egress": []}, ["Ingress"]),
    ({"policyTypes": ["Egress"]}, ["Egress"]),
    ({"policyTypes": ["Egress", "Ingress"]}, ["Ingress", "Egress"]),
    ({"policyTypes": ["Egress", "bogus"]}, ["Egress"]),
    (None, ["Ingress"]),
])
def test_policy_types_of_a_raw_spec(spec, expected):
    assert policy_types(spec) == expected


def test_egress_rules_are_kept_when_egress_is_not_a_type():
    policy = compiled("{podSelector: {}, policyTypes: [Ingress], egress: [{ports: [{port: 53, protocol: UDP}]}]}")
    assert not policy.governs(ir.EGRESS)
    assert [(r.name, r.protocol) for r in policy.egress] == [("egress[0]", UDP)]


def test_notes_say_when_policy_types_were_defaulted():
    assert compiled("{podSelector: {}, egress: [{}]}").notes == (
        "policyTypes not set: Kubernetes defaults them to Ingress, Egress",)
    assert compiled("{podSelector: {}, policyTypes: [Ingress]}").notes == ()


# --- peers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("peer, selector", [
    ("podSelector: {}", f"({PROD}) && ({ORCH})"),
    ("podSelector: {matchLabels: {app: api}}", f"({PROD}) && ({ORCH} && app == 'api')"),
    ("namespaceSelector: {}", f"(has(projectcalico.org/namespace)) && ({ORCH})"),
    ("namespaceSelector: {matchLabels: {}}", f"(has(projectcalico.org/namespace)) && ({ORCH})"),
    ("namespaceSelector: {matchLabels: {team: a}}", f"(pcns.team == 'a') && ({ORCH})"),
    ("namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}",
     f"(pcns.kubernetes.io/metadata.name == 'dev') && ({ORCH})"),
    ("{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: api}}}",
     f"(pcns.team == 'a') && ({ORCH} && app == 'api')"),
    ("{namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}, podSelector: {}}",
     f"(pcns.env not in {{ 'prod' }}) && ({ORCH})"),
    ("{namespaceSelector: {matchLabels: {a: '1', b: '2'}}}", f"(pcns.a == '1' && pcns.b == '2') && ({ORCH})"),
])
def test_selector_peers_become_effective_selectors(peer, selector):
    policy = compiled(f"podSelector: {{}}\ningress:\n- from:\n  - {peer}")
    (rule,) = policy.ingress
    assert str(rule.source.selector) == canonical(selector)
    assert (rule.source.nets, rule.source.not_nets, rule.source.not_selector) == ((), (), None)


@pytest.mark.parametrize("block, nets, not_nets", [
    ("{cidr: 10.0.0.0/8}", ["10.0.0.0/8"], []),
    ("{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}", ["10.0.0.0/8"], ["10.1.0.0/16", "10.2.0.0/16"]),
    ("{cidr: 10.0.0.7/8}", ["10.0.0.0/8"], []),
    ("{cidr: 'fd00::/8', except: ['fd00::/16']}", ["fd00::/8"], ["fd00::/16"]),
    ("{cidr: 0.0.0.0/0}", ["0.0.0.0/0"], []),
])
def test_ip_block_peers_become_nets_without_selector(block, nets, not_nets):
    policy = compiled(f"podSelector: {{}}\negress:\n- to:\n  - ipBlock: {block}")
    (rule,) = policy.egress
    assert [str(n) for n in rule.destination.nets] == nets
    assert [str(n) for n in rule.destination.not_nets] == not_nets
    assert rule.destination.selector is None and rule.destination.not_selector is None
    assert rule.source == ir.EMPTY_ENTITY


@pytest.mark.parametrize("matches_pods, not_selector", [
    (True, None),
    (False, "has(projectcalico.org/orchestrator)"),
])
def test_ip_block_matching_pod_addresses_is_an_option(matches_pods, not_selector):
    policy = compiled("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}",
                      options=Options(ipblock_matches_pods=matches_pods))
    (rule,) = policy.ingress
    assert (str(rule.source.not_selector) if rule.source.not_selector else None) == not_selector
    assert [str(n) for n in rule.source.nets] == ["10.0.0.0/8"]


def test_no_peers_means_anyone():
    for peers in ("", "from: []"):
        policy = compiled(f"podSelector: {{}}\ningress:\n- {peers or 'ports: []'}")
        (rule,) = policy.ingress
        assert rule.source == ir.EMPTY_ENTITY and rule.destination == ir.EMPTY_ENTITY


# --- ports ----------------------------------------------------------------------------------------


def port_summary(rules: tuple[ir.Rule, ...]) -> list[tuple[int | None, str | None]]:
    return [(r.protocol, r.destination.ports.format() if r.destination.ports else None) for r in rules]


@pytest.mark.parametrize("ports, expected", [
    (None, [(None, None)]),
    ("[]", [(None, None)]),
    ("[{}]", [(TCP, None)]),
    ("[{port: 80}]", [(TCP, "80")]),
    ("[{port: 80}, {}]", [(TCP, None)]),
    ("[{}, {port: 80}]", [(TCP, None)]),
    ("[{port: 80, protocol: TCP}, {port: 81}, {port: 79}]", [(TCP, "79-81")]),
    ("[{port: 8000, endPort: 8080}, {port: 8081}]", [(TCP, "8000-8081")]),
    ("[{port: 53, protocol: UDP}, {port: 53}, {port: 9, protocol: SCTP}]", [(SCTP, "9"), (TCP, "53"), (UDP, "53")]),
    ("[{protocol: UDP}, {protocol: UDP, port: 53}]", [(UDP, None)]),
    ("[{protocol: UDP, port: 53}, {protocol: UDP}]", [(UDP, None)]),
    ("[{port: http}, {port: 80}, {port: metrics}]", [(TCP, "80,http,metrics")]),
    ("[{port: http, protocol: UDP}, {port: 443}]", [(TCP, "443"), (UDP, "http")]),
])
def test_ports_group_by_protocol(ports, expected):
    rule = "- {}" if ports is None else f"- ports: {ports}"
    policy = compiled(f"podSelector: {{}}\ningress:\n{rule}")
    assert port_summary(policy.ingress) == expected


def test_named_ports_are_kept_as_names():
    policy = compiled("podSelector: {}\negress:\n- ports: [{port: db}, {port: 5432}, {port: dns, protocol: UDP}]")
    tcp, udp = policy.egress
    assert (tcp.destination.ports.names, tcp.destination.ports.numbers.format()) == (("db",), "5432")
    assert (udp.destination.ports.names, udp.destination.ports.numbers.format()) == (("dns",), "")


@pytest.mark.parametrize("ports, simplified", [
    ([], ()),
    ([(80, 80)], ((80, 80),)),
    ([(8000, 9000)], ((8000, 9000),)),
    (["foo", (80, 80)], ("foo", (80, 80))),
    ([(80, 80), "foo"], ((80, 80), "foo")),
    ([(81, 81), "foo", (80, 80)], ("foo", (80, 81))),
    ([(80, 80), (80, 80)], ((80, 80),)),
    ([(1, 1), (3, 3), "b", "a"], ("b", "a", (1, 1), (3, 3))),
    ([(5, 9), "x"], ("x", (5, 9))),
    ([(10, 20), (15, 30), (31, 31)], ((10, 31),)),
])
def test_simplify_ports_as_calico(ports, simplified):
    # Calico only rewrites the list when it holds two or more numeric port values: then the names
    # come first, in input order, followed by the merged ranges in ascending order.
    assert simplify_ports(ports) == simplified


# --- rule layout ----------------------------------------------------------------------------------


def test_rules_are_protocol_major_then_peer():
    policy = compiled("""
        podSelector: {}
        ingress:
        - from:
          - podSelector: {matchLabels: {app: a}}
          - ipBlock: {cidr: 10.0.0.0/8}
          ports: [{port: 53, protocol: UDP}, {port: 80}]
        - from:
          - podSelector: {matchLabels: {app: b}}
        """)
    layout = [(r.index, r.name, r.protocol, str(r.source.selector or r.source.nets[0])) for r in policy.ingress]
    a = canonical(f"({PROD}) && ({ORCH} && app == 'a')")
    b = canonical(f"({PROD}) && ({ORCH} && app == 'b')")
    assert layout == [
        (0, "ingress[0]", TCP, a),
        (1, "ingress[0]", TCP, "10.0.0.0/8"),
        (2, "ingress[0]", UDP, a),
        (3, "ingress[0]", UDP, "10.0.0.0/8"),
        (4, "ingress[1]", None, b),
    ]


@pytest.mark.parametrize("direction, peer_field", [("ingress", "from"), ("egress", "to")])
def test_peer_and_ports_sides_by_direction(direction, peer_field):
    policy = compiled(f"""
        podSelector: {{}}
        policyTypes: [Ingress, Egress]
        {direction}:
        - {peer_field}: [{{podSelector: {{}}}}]
          ports: [{{port: 443}}]
        """)
    (rule,) = policy.rules(direction)
    assert rule.action == ir.ALLOW and rule.direction == direction
    peer_side, other_side = (rule.source, rule.destination) if direction == "ingress" else (rule.destination, rule.source)
    assert peer_side.selector is not None
    assert rule.destination.ports.format() == "443"
    assert other_side.selector is None and (direction == "egress" or other_side.ports is not None)
    if direction == "egress":
        assert rule.source == ir.EMPTY_ENTITY


def test_rule_names_paths_and_lines():
    policy = compiled("""
        podSelector: {}
        policyTypes: [Ingress, Egress]
        ingress:
        - from: [{podSelector: {}}]
        - ports: [{port: 1}, {port: 2, protocol: UDP}]
        egress:
        - {}
        """)
    seen = [(r.direction, r.index, r.name, r.path, r.location.line) for r in policy.ingress + policy.egress]
    assert seen == [
        ("ingress", 0, "ingress[0]", "spec.ingress[0]", 10),
        ("ingress", 1, "ingress[1]", "spec.ingress[1]", 11),
        ("ingress", 2, "ingress[1]", "spec.ingress[1]", 11),
        ("egress", 0, "egress[0]", "spec.egress[0]", 13),
    ]


@pytest.mark.parametrize("rule, details", [
    ("- {}", ["from anywhere, all protocols and ports"]),
    ("- ports: [{}]", ["from anywhere, TCP all ports"]),
    ("- from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.1.0/24]}}]\n  ports: [{port: 5432}]",
     ["from[0] ipBlock 10.0.0.0/8 except 10.0.1.0/24, TCP 5432"]),
    ("- from: [{podSelector: {matchLabels: {app: api}}}, {namespaceSelector: {}}]",
     ["from[0] pods app=api in namespace prod, all protocols and ports",
      "from[1] all pods in all namespaces, all protocols and ports"]),
    ("- from: [{namespaceSelector: {matchLabels: {team: a}},"
     " podSelector: {matchExpressions: [{key: tier, operator: In, values: [x, y]}, {key: old, operator: DoesNotExist}]}}]",
     ["from[0] pods tier in (x,y),!old in namespaces team=a, all protocols and ports"]),
    ("- ports: [{port: 80}, {port: 81}, {port: http}, {port: 53, protocol: UDP}]",
     ["from anywhere, TCP 80-81,http", "from anywhere, UDP 53"]),
])
def test_rule_details(rule, details):
    policy = compiled(f"podSelector: {{}}\ningress:\n{rule}")
    assert [r.detail for r in policy.ingress] == details


# --- warnings that do not stop compilation --------------------------------------------------------


@pytest.mark.parametrize("spec, path, hint", [
    ("{podSelector: {}, ingres: [{}]}", "spec.ingres", "did you mean 'ingress'?"),
    ("podSelector: {}\ningress:\n- from:\n  - podSelector: {}\n    ports: [{port: 80}]",
     "spec.ingress[0].from[0].ports", "`ports` belongs to the rule"),
    ("{podSelector: {matchLabel: {app: a}}}", "spec.podSelector.matchLabel", "did you mean 'matchLabels'?"),
])
def test_unknown_fields_are_warnings_and_ignored(spec, path, hint):
    policy, diags = compile_yaml(policy_yaml(spec))
    assert policy is not None and not diags.errors
    (warning,) = diags.warnings
    assert warning.path == path and "unknown field" in warning.message and hint in warning.suggestion


def test_unknown_peer_field_leaves_an_empty_peer_which_is_an_error():
    policy, diags = compile_yaml(policy_yaml("podSelector: {}\ningress:\n- from:\n  - podselector: {}"))
    assert policy is None
    assert [p.path for p in diags.warnings] == ["spec.ingress[0].from[0].podselector"]
    assert [p.path for p in diags.errors] == ["spec.ingress[0].from[0]"]


@pytest.mark.parametrize("spec, path", [
    # Kubernetes accepts a CIDR with host bits (legacy parsing) and reads it as its network.
    ("podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 10.1.2.3/8}}]", "spec.ingress[0].from[0].ipBlock.cidr"),
    # Kubernetes accepts a repeated policy type (only more than two entries are rejected).
    ("{podSelector: {}, policyTypes: [Ingress, Ingress]}", "spec.policyTypes[1]"),
    # Go decodes a null label value as the empty string.
    ("podSelector: {matchLabels: {app: null}}", "spec.podSelector.matchLabels.app"),
])
def test_accepted_but_suspicious_inputs_are_warnings(spec, path):
    policy, diags = compile_yaml(policy_yaml(spec))
    assert policy is not None
    assert [p.path for p in diags.warnings] == [path]


def test_null_label_value_matches_the_empty_string():
    policy, _ = compile_yaml(policy_yaml("podSelector: {matchLabels: {app: null}}"))
    assert str(policy.selector) == canonical(f"({ORCH} && app == '') && {PROD}")


def test_generate_name_stands_in_for_a_missing_name():
    policy, diags = compile_data({"metadata": {"generateName": "allow-", "namespace": "prod"},
                                  "spec": {"podSelector": {}}})
    assert policy is not None and policy.name == "allow-"
    assert [p.path for p in diags.warnings] == ["metadata.generateName"]


@pytest.mark.parametrize("spec, details, error_paths", [
    # Go decodes a null list item as an empty struct: an empty rule allows everything...
    ({"podSelector": {}, "ingress": [None]}, ["from anywhere, all protocols and ports"], []),
    ({"podSelector": {}, "egress": [{"ports": [None]}], "policyTypes": ["Egress"]}, [], []),
    # ...and an empty peer is rejected.
    ({"podSelector": {}, "ingress": [{"from": [None]}]}, None, ["spec.ingress[0].from[0]"]),
])
def test_null_list_items_decode_as_empty_structs(spec, details, error_paths):
    policy, diags = compile_data({"metadata": {"name": "p"}, "spec": spec})
    assert [p.path for p in diags.errors] == error_paths
    if details is not None:
        assert [r.detail for r in policy.ingress] == details
    if "egress" in spec:
        assert [r.detail for r in policy.egress] == ["to anywhere, TCP all ports"]


def test_null_spec_is_an_empty_spec():
    policy, _ = compile_data({"metadata": {"name": "p"}, "spec": None})
    assert policy is not None and policy.types == {ir.INGRESS} and policy.ingress == ()


def test_shared_selectors_are_shared_objects():
    a, _ = compile_data({"metadata": {"name": "a", "namespace": "n"}, "spec": {"podSelector": {"matchLabels": {"x": "1"}}}})
    b, _ = compile_data({"metadata": {"name": "b", "namespace": "n"}, "spec": {"podSelector": {"matchLabels": {"x": "1"}}}})
    assert a.selector is b.selector
