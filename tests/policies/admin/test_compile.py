"""Admin policies compiled as Calico converts them (docs/semantics.md#admin-policies): tiers, orders, rules, fail-closed."""

from __future__ import annotations

import pytest

from netpolicy.model import ir
from tests.policies.admin.support import admin_yaml, compile_admin
from tests.policies.kubernetes.support import canonical

ORCH = "projectcalico.org/orchestrator == 'k8s'"


def rule_view(rule: ir.Rule) -> tuple:
    """(action, protocol, ports, peer selector, nets) of one IR rule; the peer is on source for ingress."""
    peer = rule.source if rule.direction == ir.INGRESS else rule.destination
    ports = rule.destination.ports.format() if rule.destination.ports else ""
    return (rule.action, rule.protocol, ports, str(peer.selector) if peer.selector else "",
            ",".join(str(n) for n in peer.nets))


def canonical_views(views: list[tuple]) -> list[tuple]:
    return [(a, p, ports, canonical(sel) if sel else "", nets) for a, p, ports, sel, nets in views]


@pytest.mark.parametrize("kind, head, version, tier, order, name", [
    ("ClusterNetworkPolicy", "tier: Admin\npriority: 7", (3, 32), "kube-admin", 7.0, "p"),
    ("ClusterNetworkPolicy", "tier: Baseline\npriority: 0", (3, 32), "kube-baseline", 0.0, "p"),
    ("AdminNetworkPolicy", "priority: 30", (3, 31), "adminnetworkpolicy", 30.0, "p"),
    ("BaselineAdminNetworkPolicy", "", (3, 30), "baselineadminnetworkpolicy", 1000.0, "default"),
])
def test_tier_and_order(kind, head, version, tier, order, name):
    text = admin_yaml(head + "\nsubject: {namespaces: {}}\negress: [{action: Deny, to: [{namespaces: {}}]}]", kind, name)
    policy, diags = compile_admin(text, version)
    assert not diags.problems
    assert (policy.kind, policy.tier, policy.order, policy.namespace) == (kind, tier, order, None)


def test_equal_priorities_order_by_name_as_felix_does():
    names = {}
    for version, kind, head in [((3, 32), "ClusterNetworkPolicy", "tier: Admin\n"), ((3, 31), "AdminNetworkPolicy", "")]:
        policies = [compile_admin(admin_yaml(head + "priority: 5\nsubject: {namespaces: {}}", kind, n), version)[0]
                    for n in ("b", "a")]
        names[kind] = [p.tie_break_name(version) for p in sorted(policies, key=lambda p: p.sort_key(version))]
    assert names == {"ClusterNetworkPolicy": ["a//KubernetesClusterNetworkPolicy", "b//KubernetesClusterNetworkPolicy"],
                     "AdminNetworkPolicy": ["kanp.adminnetworkpolicy.a", "kanp.adminnetworkpolicy.b"]}


@pytest.mark.parametrize("subject, selector", [
    ("{namespaces: {}}", f"{ORCH} && has(projectcalico.org/namespace)"),
    ("{namespaces: {matchLabels: {team: a}}}", f"({ORCH}) && pcns.team == 'a'"),
    ("{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}",
     f"({ORCH} && app == 'web') && has(projectcalico.org/namespace)"),
])
def test_subject_selector(subject, selector):
    policy, _ = compile_admin(admin_yaml(f"tier: Admin\npriority: 1\nsubject: {subject}"))
    assert str(policy.selector) == canonical(selector)
    assert policy.types == frozenset()


NS_A = "{namespaces: {matchLabels: {team: a}}}"
PODS = "{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}"


@pytest.mark.parametrize("direction, rule, expected", [
    # peers: namespaces (pcns-prefixed), pods (namespace scope && pod selector), networks (masked)
    ("egress", f"{{action: Accept, to: [{NS_A}, {PODS}, {{networks: ['10.1.2.3/8', 'fd00::1/64']}}]}}", [
        ("Allow", None, "", "pcns.team == 'a'", ""),
        ("Allow", None, "", f"(has(projectcalico.org/namespace)) && ({ORCH} && app == 'db')", ""),
        ("Allow", None, "", "", "10.0.0.0/8,fd00::/64")]),
    # protocol groups sorted "" < SCTP < TCP < UDP, peers inside; ports of a protocol merged
    ("ingress", f"{{action: Pass, from: [{NS_A}], protocols: [{{udp: {{destinationPort: {{number: 53}}}}}}, "
                "{tcp: {destinationPort: {number: 81}}}, {tcp: {destinationPort: {number: 80}}}, "
                "{destinationNamedPort: dns}]}", [
        ("Pass", None, "dns", "pcns.team == 'a'", ""),
        ("Pass", 6, "80-81", "pcns.team == 'a'", ""),
        ("Pass", 17, "53", "pcns.team == 'a'", "")]),
    # a protocol without a port: every port of it, and a later port does not narrow it again
    ("egress", f"{{action: Deny, to: [{NS_A}], protocols: [{{tcp: {{destinationPort: {{range: {{start: 1, end: 9}}}}}}}}, "
               "{sctp: {destinationPort: {number: 9}}}]}", [
        ("Deny", 132, "9", "pcns.team == 'a'", ""), ("Deny", 6, "1-9", "pcns.team == 'a'", "")]),
    # an empty named port passes the CRD and means everything
    ("egress", f"{{action: Deny, to: [{NS_A}], protocols: [{{tcp: {{destinationPort: {{number: 80}}}}}}, "
               "{destinationNamedPort: ''}]}", [("Deny", None, "", "pcns.team == 'a'", "")]),
    # fail closed: a nodes or domainNames peer fails the whole rule; Deny/Pass become a bare Deny
    ("egress", f"{{action: Deny, to: [{NS_A}, {{nodes: {{}}}}]}}", [("Deny", None, "", "", "")]),
    ("egress", "{action: Pass, to: [{domainNames: [example.com]}]}", [("Deny", None, "", "", "")]),
    # ... and an Accept rule is dropped
    ("egress", f"{{action: Accept, to: [{{nodes: {{}}}}, {NS_A}]}}", []),
])
def test_cnp_rules(direction, rule, expected):
    policy, diags = compile_admin(admin_yaml(f"tier: Admin\npriority: 1\nsubject: {{namespaces: {{}}}}\n"
                                             f"{direction}: [{rule}]"))
    assert not diags.errors, [str(e) for e in diags.errors]
    assert [rule_view(r) for r in policy.rules(direction)] == canonical_views(expected)
    assert policy.types == (frozenset({direction}) if expected else frozenset())


def test_a_rule_that_fails_closed_is_a_located_warning_and_a_note():
    text = admin_yaml("tier: Admin\npriority: 1\nsubject: {namespaces: {}}\negress:\n"
                      "- {action: Accept, to: [{namespaces: {}}]}\n- {name: no-nodes, action: Deny, to: [{nodes: {}}]}")
    policy, diags = compile_admin(text)
    (warning,) = diags.warnings
    assert str(warning).startswith("admin.yaml:11: spec.egress[1]: Calico does not implement nodes peers")
    assert "replaces this Deny rule with a bare Deny" in str(warning)
    assert policy.notes and policy.notes[0].startswith("spec.egress[1]: ")
    assert [r.name for r in policy.egress] == ["egress[0]", "no-nodes"]


@pytest.mark.parametrize("kind, name, action, expected", [
    ("AdminNetworkPolicy", "p", "Allow", []),
    ("AdminNetworkPolicy", "p", "Pass", [("Deny", None, "", "", "")]),
    ("BaselineAdminNetworkPolicy", "default", "Deny", [("Deny", None, "", "", "")]),
    ("BaselineAdminNetworkPolicy", "default", "Allow", []),
])
def test_v1alpha1_fails_closed_like_v1alpha2(kind, name, action, expected):
    head = "priority: 1\n" if kind == "AdminNetworkPolicy" else ""
    text = admin_yaml(f"{head}subject: {{namespaces: {{}}}}\negress: [{{action: {action}, to: [{{nodes: {{}}}}]}}]",
                      kind, name)
    policy, _ = compile_admin(text, (3, 31))
    assert [rule_view(r) for r in policy.egress] == canonical_views(expected)


@pytest.mark.parametrize("ports, expected", [
    # Calico 3.29-3.31 do not convert named ports: the entry reads as every protocol and port
    ("[{portNumber: {protocol: UDP, port: 53}}, {namedPort: dns}]", [("Allow", None, "", "pcns.team == 'a'", "")]),
    ("[{portNumber: {port: 80}}, {portRange: {protocol: UDP, start: 5, end: 6}}]",
     [("Allow", 6, "80", "pcns.team == 'a'", ""), ("Allow", 17, "5-6", "pcns.team == 'a'", "")]),
    # a range with start > end passes the v1alpha1 CRD but fails Calico's conversion: Allow dropped
    ("[{portRange: {start: 9, end: 5}}]", []),
])
def test_v1alpha1_ports(ports, expected):
    text = admin_yaml(f"priority: 1\nsubject: {{namespaces: {{}}}}\ningress: [{{action: Allow, from: [{NS_A}], "
                      f"ports: {ports}}}]", "AdminNetworkPolicy")
    policy, diags = compile_admin(text, (3, 31))
    assert not diags.errors
    assert [rule_view(r) for r in policy.ingress] == canonical_views(expected)
    if "namedPort" in ports:
        assert "do not convert named ports" in str(diags.warnings[0])
