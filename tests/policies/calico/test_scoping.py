"""Effective selectors: Calico's rule scoping and applies-to selectors (docs/semantics.md#rule-scoping)."""

from __future__ import annotations

import ipaddress
import json

import pytest

from netpolicy.model import ir
from netpolicy.model.cluster import calico_labels
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.policies.calico import models as m
from netpolicy.policies.calico.policies import applies_to_selector
from netpolicy.policies.calico.rules import compile_rule
from netpolicy.policies.calico.scoping import entity_rule_selectors, global_policy_selector
from netpolicy.selectors import SelectorError, parse
from tests.conformance_data import calico_vectors

from .support import compile_yaml, messages, read, rule_yaml

SCOPING = calico_vectors("calico-k8s-conversion", "rule_selector_scoping")
SIDES = {"src": "source", "dst": "destination"}
BACKEND_PROTOCOLS = {name.lower(): number for name, number in NUMBER_BY_NAME.items()}


def _vector_id(vector: dict) -> str:
    return vector["name"]


@pytest.mark.parametrize("vector", SCOPING, ids=_vector_id)
def test_scoping_text_is_calicos_exactly(vector):
    """The composed selector strings equal Calico's, character for character."""
    rule = m.Rule.model_validate(vector["rule"])
    for short, side in SIDES.items():
        positive, negative = entity_rule_selectors(getattr(rule, side), vector["policyNamespace"])
        expected = vector["expected"]
        if f"{short}Selector" in expected:
            assert positive == expected[f"{short}Selector"]
        if f"not{short.capitalize()}Selector" in expected:
            assert negative == expected[f"not{short.capitalize()}Selector"]


def _parseable(text: str) -> bool:
    try:
        parse(text)
    except SelectorError:
        return False
    return True


@pytest.mark.parametrize("vector", SCOPING, ids=_vector_id)
def test_scoping_compiles_to_calicos_match(vector):
    """The compiled IR rule carries the selectors, nets, ports, protocols and ICMP Felix evaluates."""
    if not all(_parseable(vector["expected"].get(f"{s}Selector", "")) for s in SIDES):
        # The one vector written with invalid syntax: compare its valid spelling (the API rejects the
        # original, see test_invalid_selector_is_rejected).
        vector = json.loads(json.dumps(vector).replace("mylabel = value1", "mylabel == 'value1'"))
    expected = vector["expected"]
    rule_model = m.Rule.model_validate(vector["rule"])
    raw = read(rule_yaml("action: Allow"))[0]
    rule = compile_rule(rule_model, ir.INGRESS, 0, vector["policyNamespace"], raw)
    for short, side in SIDES.items():
        entity = getattr(rule, side)
        if f"{short}Selector" in expected:
            assert entity.selector == parse(expected[f"{short}Selector"])
        not_key = f"not{short.capitalize()}Selector"
        if not_key in expected:
            assert entity.not_selector == parse(expected[not_key])
        for key, nets in ((f"{short}Nets", entity.nets), (f"not{short.capitalize()}Nets", entity.not_nets)):
            if key in expected:
                assert list(nets) == [ipaddress.ip_network(n) for n in expected[key]]
        for key, ports in ((f"{short}Ports", entity.ports), (f"not{short.capitalize()}Ports", entity.not_ports)):
            if key in expected:
                assert ports == ir.PortMatch(IntervalSet.of(expected[key]))
    for key, value in (("protocol", rule.protocol), ("notProtocol", rule.not_protocol)):
        if key in expected:
            want = expected[key]
            assert value == (want if isinstance(want, int) else BACKEND_PROTOCOLS[want])
    if "ipVersion" in expected:
        assert rule.ip_version == expected["ipVersion"]
    if "icmpType" in expected:
        assert (rule.icmp.type, rule.icmp.code) == (expected["icmpType"], expected["icmpCode"])
        assert (rule.not_icmp.type, rule.not_icmp.code) == (expected["notICMPType"], expected["notICMPCode"])
    if "httpMatch" in expected:
        assert rule.http == expected["httpMatch"]
    if "action" in expected:
        assert rule.action.lower() == expected["action"]


def test_invalid_selector_is_rejected():
    """Calico's converter concatenates `mylabel = value1` unchecked; its API rejects it, and so do we."""
    vector = next(v for v in SCOPING if "mylabel = value1" in json.dumps(v["rule"]))
    rule = vector["rule"]
    text = rule_yaml(f"action: Allow\nsource:\n  selector: {rule['source']['selector']}")
    _, diags = compile_yaml(text)
    assert messages(diags) == [
        "<stdin>:10: spec.ingress[0].source.selector: expected '==' (a single '=' is not an operator) "
        "at column 9"]


# --- rule scoping (#rule-scoping) consequences: which IP owners a rule side matches -------------------

NAMESPACE_LABELS = {"prod": {"team": "a"}, "dev": {"team": "b"}}
ACCOUNT_LABELS = {("prod", "api"): {"tier": "gold"}, ("dev", "api"): {}}


def _pod(namespace: str, labels: dict[str, str], account: str = "api") -> dict[str, str]:
    return calico_labels(labels, namespace=namespace, namespace_labels=NAMESPACE_LABELS[namespace],
                         service_account=account, service_account_labels=ACCOUNT_LABELS[namespace, account])


OWNERS = {
    "prod-pod": _pod("prod", {"app": "web"}),
    "dev-pod": _pod("dev", {"app": "web"}),
    "prod-netset": calico_labels({"app": "web"}, namespace="prod", namespace_labels=NAMESPACE_LABELS["prod"],
                                 service_account=None, service_account_labels={}, orchestrator=None),
    "global-netset": {"app": "web"},
    "host": {"app": "web"},
    "external": None,  # an address no Calico IP owner has
}


def _side_matches(entity: ir.EntityMatch, owner: str) -> bool:
    labels = OWNERS[owner]
    if labels is None:
        return entity.selector is None
    if entity.selector is not None and not entity.selector.matches(labels):
        return False
    return entity.not_selector is None or not entity.not_selector.matches(labels)


SCOPING_CASES = [
    # (policy kind, source entity YAML, owners expected to match)
    ("NetworkPolicy", "selector: app == 'web'", {"prod-pod", "prod-netset"}),
    ("GlobalNetworkPolicy", "selector: app == 'web'", {"prod-pod", "dev-pod", "prod-netset", "global-netset", "host"}),
    ("NetworkPolicy", "notSelector: app == 'db'", {"prod-pod", "prod-netset"}),
    ("GlobalNetworkPolicy", "notSelector: app == 'db'", set(OWNERS)),
    ("NetworkPolicy", "notSelector: app == 'web'", set()),
    ("NetworkPolicy", "selector: '!has(app)'", set()),
    ("NetworkPolicy", "namespaceSelector: all()", {"prod-pod", "dev-pod", "prod-netset"}),
    ("NetworkPolicy", "namespaceSelector: global()\n  selector: app == 'web'", {"global-netset", "host"}),
    ("NetworkPolicy", "namespaceSelector: team == 'b'", {"dev-pod"}),
    ("NetworkPolicy", "namespaceSelector: projectcalico.org/name == 'dev'", {"dev-pod"}),
    ("GlobalNetworkPolicy", "namespaceSelector: team == 'a'\n  selector: app == 'web'", {"prod-pod", "prod-netset"}),
    ("NetworkPolicy", "serviceAccounts:\n    names: [api]", {"prod-pod"}),
    ("GlobalNetworkPolicy", "serviceAccounts:\n    names: [api]", {"prod-pod", "dev-pod"}),
    ("GlobalNetworkPolicy", "serviceAccounts:\n    selector: tier == 'gold'", {"prod-pod"}),
    ("GlobalNetworkPolicy", "serviceAccounts:\n    names: [api]\n    selector: tier == 'silver'", set()),
    ("NetworkPolicy", "nets: [10.0.0.0/8]", set(OWNERS)),
]


@pytest.mark.parametrize(("kind", "entity", "matching"), SCOPING_CASES,
                         ids=[f"{k}:{e.splitlines()[0]}" for k, e, _ in SCOPING_CASES])
def test_rule_side_matches_owners(kind, entity, matching):
    result, diags = compile_yaml(rule_yaml(f"action: Allow\nsource:\n  {entity}", kind=kind))
    assert not diags.errors, messages(diags)
    source = result.policies[0].ingress[0].source
    assert {owner for owner in OWNERS if _side_matches(source, owner)} == matching


def test_namespaced_not_selector_never_matches_external_addresses():
    """Only a notSelector still gives a namespaced rule a positive selector: external IPs fail it."""
    namespaced, _ = compile_yaml(rule_yaml("action: Allow\nsource:\n  notSelector: app == 'db'"))
    global_, _ = compile_yaml(rule_yaml("action: Allow\nsource:\n  notSelector: app == 'db'",
                                        kind="GlobalNetworkPolicy"))
    assert namespaced.policies[0].ingress[0].source.selector == parse("projectcalico.org/namespace == 'prod'")
    assert global_.policies[0].ingress[0].source.selector is None


def test_pod_label_shadows_namespace_label():
    """A pod's own `pcns.team` label wins over its namespace's `team` (docs/semantics.md#label-inheritance)."""
    result, _ = compile_yaml(rule_yaml("action: Allow\nsource:\n  namespaceSelector: team == 'a'"))
    selector = result.policies[0].ingress[0].source.selector
    assert selector.matches(_pod("prod", {"app": "web"}))
    assert not selector.matches(_pod("prod", {"app": "web", "pcns.team": "x"}))


# --- applies-to selectors -----------------------------------------------------------------------

APPLIES_CASES = [
    ("NetworkPolicy", "selector: ''", {"prod-pod"}),
    ("NetworkPolicy", "selector: all()", {"prod-pod"}),
    ("NetworkPolicy", "selector: app == 'web'\n  serviceAccountSelector: tier == 'gold'", {"prod-pod"}),
    ("NetworkPolicy", "serviceAccountSelector: tier == 'silver'", set()),
    ("GlobalNetworkPolicy", "selector: ''", {"prod-pod", "dev-pod", "host"}),
    ("GlobalNetworkPolicy", "selector: all()", {"prod-pod", "dev-pod", "host"}),
    ("GlobalNetworkPolicy", "namespaceSelector: all()", {"prod-pod", "dev-pod"}),
    ("GlobalNetworkPolicy", "namespaceSelector: team == 'a'", {"prod-pod"}),
    ("GlobalNetworkPolicy", "selector: all()\n  namespaceSelector: team == 'b'", {"dev-pod"}),
    ("GlobalNetworkPolicy", "serviceAccountSelector: all()", {"prod-pod", "dev-pod"}),
    ("GlobalNetworkPolicy", "selector: app == 'web'\n  serviceAccountSelector: tier == 'gold'", {"prod-pod"}),
]


@pytest.mark.parametrize(("kind", "spec", "applies"), APPLIES_CASES,
                         ids=[f"{k}:{s.splitlines()[0]}:{s.count(chr(10))}" for k, s, _ in APPLIES_CASES])
def test_policy_applies_to(kind, spec, applies):
    namespace = None if kind.startswith("Global") else "prod"
    ns_line = f"\n  namespace: {namespace}" if namespace else ""
    text = f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata:\n  name: p{ns_line}\nspec:\n  {spec}\n"
    result, diags = compile_yaml(text)
    assert not diags.errors, messages(diags)
    selector = result.policies[0].selector
    endpoints = {"prod-pod", "dev-pod", "host"}
    assert {e for e in endpoints if selector.matches(OWNERS[e])} == applies


@pytest.mark.parametrize(("selector", "namespace_selector", "account_selector", "expected"), [
    ("", "", "", ""),
    ("a == 'x'", "", "", "a == 'x'"),
    ("", "all()", "", "has(projectcalico.org/namespace)"),
    ("all()", "team == 'a'", "", '(has(projectcalico.org/namespace)) && pcns.team == "a"'),
    ("", "", "all()", "has(projectcalico.org/serviceaccount)"),
    # Calico rewrites the text, so a quoted "all()" changes too (derived; see
    # docs/semantics.md#calico-globalnetworkpolicy).
    ("note == 'all()'", "all()", "",
     "(note == 'has(projectcalico.org/namespace)') && has(projectcalico.org/namespace)"),
    # ... while `all( )` (valid syntax) escapes the rewrite: all( ) keeps matching host endpoints.
    ("all( )", "all()", "", "(all( )) && has(projectcalico.org/namespace)"),
])
def test_global_policy_selector_text(selector, namespace_selector, account_selector, expected):
    assert global_policy_selector(selector, namespace_selector, account_selector) == expected


def test_namespaced_policy_selector_text():
    spec = m.NetworkPolicySpec.model_validate({"selector": "app == 'web'", "serviceAccountSelector": "all()"})
    assert applies_to_selector(spec, "prod") == "((app == 'web') && projectcalico.org/namespace == 'prod') && all()"
