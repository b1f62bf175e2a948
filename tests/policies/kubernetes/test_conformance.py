"""Calico's conversion vectors: `k8s_networkpolicy`, `k8s_peer` and `k8s_label_selector`.

Two steps are checked separately. First the conversion itself (`k8s_convert`), whose unscoped
selector / namespaceSelector / nets / ports must equal what Calico's converter writes. Then the IR
(`k8s.build_policy`), whose selectors are the effective ones: the test scopes Calico's expected strings
the way Calico's rule processor does (text concatenation, docs/semantics.md#rule-scoping) and compares.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from netpolicy.errors import Diagnostics, Location
from netpolicy.model import ir
from netpolicy.options import Options
from netpolicy.policies.kubernetes.compile import build_policy, compile_network_policy
from netpolicy.policies.kubernetes.convert import (
    CalicoPeer,
    CalicoRule,
    calico_namespace_selector,
    calico_peer,
    calico_pod_selector,
    calico_rules,
)
from netpolicy.policies.kubernetes.models import (
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    parse_network_policy,
)
from netpolicy.policies.kubernetes.validation import validate_network_policy
from netpolicy.selectors import parse
from netpolicy.sources.raw import RawObject

SECTION_SIZES = {"k8s_networkpolicy": 24, "k8s_peer": 2, "k8s_label_selector": 9}
SELECTOR_FIELDS = ("selector", "namespaceSelector")

# Inputs the Kubernetes API server rejects although Calico's converter copies them unchanged: the
# except CIDRs lie outside `cidr` ("must be a strict subset of `cidr`", ValidateIPBlock). We report
# them as errors and compile nothing; the conversion step is still compared with Calico's output.
API_SERVER_REJECTS = {
    "should parse a NetworkPolicy with both an Egress and an Ingress rule": {
        "spec.egress[0].to[0].ipBlock.except[0]",
        "spec.egress[0].to[0].ipBlock.except[1]",
        "spec.egress[0].to[0].ipBlock.except[2]",
    },
}
_RULE_PATH = re.compile(r"spec\.(ingress|egress)\[(\d+)\]")


@pytest.fixture(scope="session")
def vectors(conformance):
    return json.loads((conformance / "calico-k8s-conversion.json").read_text())


def vector(vectors, section: str, index: int) -> dict:
    items = vectors[section]
    if index >= len(items):
        pytest.fail(f"{section} has {len(items)} vectors, expected {SECTION_SIZES[section]}")
    return items[index]


def test_sections_have_the_documented_sizes(vectors):
    assert {name: len(vectors[name]) for name in SECTION_SIZES} == SECTION_SIZES


# --- Calico-shaped views of our results ----------------------------------------------------------


def canonical(text: str) -> str:
    return str(parse(text))


def calico_port(port) -> int | str:
    if isinstance(port, str):
        return port
    lo, hi = port
    return lo if lo == hi else f"{lo}:{hi}"


def calico_peer_dict(peer: CalicoPeer) -> dict:
    """The EntityRule fields Calico would write, with selectors in canonical form."""
    out: dict = {}
    if peer.selector is not None:
        out["selector"] = str(peer.selector)
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = str(peer.namespace_selector)
    if peer.nets:
        out["nets"] = [str(n) for n in peer.nets]
    if peer.not_nets:
        out["notNets"] = [str(n) for n in peer.not_nets]
    return out


def calico_rule_dict(rule: CalicoRule, ingress: bool) -> dict:
    """One converted rule as Calico's v3 Rule, source/destination placed by direction."""
    ports = {"ports": [calico_port(p) for p in rule.ports]} if rule.ports else {}
    out: dict = {"action": "Allow"}
    if rule.protocol:
        out["protocol"] = rule.protocol
    peer = calico_peer_dict(rule.peer)
    out["source"], out["destination"] = (peer, ports) if ingress else ({}, {**peer, **ports})
    return out


def ir_side_dict(side: ir.EntityMatch) -> dict:
    out: dict = {}
    if side.selector is not None:
        out["selector"] = str(side.selector)
    if side.nets:
        out["nets"] = [str(n) for n in side.nets]
    if side.not_nets:
        out["notNets"] = [str(n) for n in side.not_nets]
    if side.ports is not None:
        numbers = [lo if lo == hi else f"{lo}:{hi}" for lo, hi in side.ports.numbers]
        out["ports"] = sorted(numbers + list(side.ports.names), key=str)
    return out


def ir_rule_dict(rule: ir.Rule) -> dict:
    out: dict = {"action": rule.action}
    if rule.protocol is not None:
        out["protocol"] = {6: "TCP", 17: "UDP", 132: "SCTP"}[rule.protocol]
    out["source"] = ir_side_dict(rule.source)
    out["destination"] = ir_side_dict(rule.destination)
    return out


# --- expectations, normalised ------------------------------------------------------------------


def calico_scoped(selector: str, namespace_selector: str, namespace: str) -> str:
    """`getEndpointSelector` (updateprocessors/rules.go) for a rule without notSelector/serviceAccounts."""
    if namespace_selector:
        scope = str(parse(namespace_selector).prefixed("pcns.")).replace("all()", "has(projectcalico.org/namespace)")
    else:
        scope = f"projectcalico.org/namespace == '{namespace}'"
    if not selector and not namespace_selector:
        return ""
    return f"({scope}) && ({selector})" if selector else scope


def unscoped_expected_side(side: dict) -> dict:
    """An expected EntityRule with canonical selectors and unset fields dropped."""
    out = {}
    for key, value in side.items():
        if value in ("", None, [], {}):
            continue
        out[key] = canonical(value) if key in SELECTOR_FIELDS else value
    return out


def scoped_expected_side(side: dict, namespace: str) -> dict:
    """An expected EntityRule as the IR holds it: selector scoped, namespaceSelector folded in."""
    out = {k: v for k, v in unscoped_expected_side(side).items() if k not in SELECTOR_FIELDS}
    scoped = calico_scoped(side.get("selector", ""), side.get("namespaceSelector", ""), namespace)
    if scoped:
        out["selector"] = canonical(scoped)
    if "ports" in out:
        out["ports"] = sorted(out["ports"], key=str)
    return out


def expected_rule(rule: dict, side_fn) -> dict:
    out = {k: v for k, v in rule.items() if k not in ("source", "destination")}
    out["source"] = side_fn(rule.get("source", {}))
    out["destination"] = side_fn(rule.get("destination", {}))
    return out


def assert_has_fields(ours: dict, expected: dict, where: str) -> None:
    """Every listed field matches; an expected `""` means the field must be unset in ours."""
    for key, want in expected.items():
        got = ours.get(key)
        if want in ("", None, [], {}):
            assert not got, f"{where}.{key}: expected unset, got {got!r}"
        elif isinstance(want, dict):
            assert_has_fields(got or {}, want, f"{where}.{key}")
        elif key in SELECTOR_FIELDS:
            assert got == canonical(want), f"{where}.{key}"
        elif key == "ports":
            assert [str(p) for p in got or []] == [str(p) for p in want], f"{where}.{key}"
        else:
            assert got == want, f"{where}.{key}"


def as_multiset(rules: list[dict]) -> Counter:
    return Counter(json.dumps(r, sort_keys=True) for r in rules)


# --- k8s_networkpolicy ---------------------------------------------------------------------------


def bad_rules(expected: dict) -> dict[str, set[int]]:
    error = expected.get("error") or {}
    return {"ingress": set(error.get("badIngressRuleIndexes", ())),
            "egress": set(error.get("badEgressRuleIndexes", ()))}


def without_rules(model: NetworkPolicy, drop: dict[str, set[int]]) -> NetworkPolicy:
    """The policy without the Kubernetes rules Calico's converter drops."""
    spec = model.spec.model_copy(update={
        direction: [r for i, r in enumerate(getattr(model.spec, direction) or []) if i not in drop[direction]]
        for direction in ("ingress", "egress")
    })
    return model.model_copy(update={"spec": spec})


@pytest.mark.parametrize("index", range(SECTION_SIZES["k8s_networkpolicy"]))
def test_k8s_networkpolicy(vectors, index):
    case = vector(vectors, "k8s_networkpolicy", index)
    expected = case["expected"]
    raw = RawObject(case["input"], Location("vector.json"))
    diags = Diagnostics()
    model = parse_network_policy(raw, diags)
    assert model is not None and not diags.problems, [str(p) for p in diags.problems]

    # Validation: the API server rejects exactly the rules Calico's converter drops (their port is
    # not a port name), plus the inputs listed in API_SERVER_REJECTS.
    validate_network_policy(model, raw, diags)
    error_paths = {p.path for p in diags.errors}
    drop = bad_rules(expected)
    rejected_rules = {(m[1], int(m[2])) for m in map(_RULE_PATH.match, error_paths) if m}
    assert rejected_rules >= {(d, i) for d, indexes in drop.items() for i in indexes}
    if case["name"] in API_SERVER_REJECTS:
        assert error_paths == API_SERVER_REJECTS[case["name"]]
    else:
        assert rejected_rules == {(d, i) for d, indexes in drop.items() for i in indexes}
    invalid = bool(error_paths)
    assert (compile_network_policy(raw, Options(), Diagnostics()) is None) is invalid

    # Step 1: Calico's conversion of the rules it keeps, unscoped.
    kept = without_rules(model, drop)
    namespace = kept.metadata.namespace or "default"
    for direction in ("ingress", "egress"):
        ours = [calico_rule_dict(r, direction == "ingress")
                for k8s_rule in getattr(kept.spec, direction) or []
                for r in calico_rules(k8s_rule.ports, k8s_rule.peers)]
        check_direction(ours, expected.get(direction), unscoped_expected_side, direction, scoped=False)

    # Step 2: the IR, with effective selectors.
    policy = build_policy(kept, raw, Options())
    assert policy.name == case["input"]["metadata"]["name"]
    assert policy.namespace == namespace
    assert policy.kind == ir.K8S_NETWORK_POLICY and policy.tier == "default"
    if "order" in expected:
        assert policy.order == expected["order"]
    if "namespace" in expected:
        assert policy.namespace == expected["namespace"]
    if "selector" in expected:
        scoped = f"({expected['selector']}) && projectcalico.org/namespace == '{namespace}'"
        assert str(policy.selector) == canonical(scoped)
    if "types" in expected:
        assert [t for t in ("Ingress", "Egress") if t.lower() in policy.types] == expected["types"]
    for direction in ("ingress", "egress"):
        ours = [ir_rule_dict(r) for r in policy.rules(direction)]
        check_direction(ours, expected.get(direction), lambda side: scoped_expected_side(side, namespace),
                        direction, scoped=True)


def check_direction(ours: list[dict], expected: dict | None, side_fn, direction: str, scoped: bool) -> None:
    """Compare one direction's rules with the vector: count, then the rule multiset or listed fields."""
    if not expected:
        return
    if "count" in expected:
        assert len(ours) == expected["count"], direction
    if expected.get("compare") == "unordered-exact":
        want = [expected_rule(r, side_fn) for r in expected["rules"]]
        assert as_multiset(ours) == as_multiset(want), direction
    elif expected.get("compare") == "ordered-fields":
        for i, want in enumerate(expected["rules"]):
            rule = dict(want)
            for side in ("source", "destination"):
                if side in rule:
                    rule[side] = _fields_of(rule[side], side_fn, scoped)
            assert_has_fields(ours[i], rule, f"{direction}[{i}]")


def _fields_of(side: dict, side_fn, scoped: bool) -> dict:
    """Listed fields of an expected side after normalisation, keeping explicit empties (must be unset).

    After scoping, an empty namespaceSelector is folded into the selector and is no longer a field.
    """
    empties = {k: v for k, v in side.items()
               if v in ("", None, [], {}) and not (scoped and k in SELECTOR_FIELDS)}
    normalised = side_fn(side)
    if "ports" in normalised:
        normalised["ports"] = [str(p) for p in normalised["ports"]]
    return {**empties, **normalised}


# --- k8s_peer and k8s_label_selector -------------------------------------------------------------


@pytest.mark.parametrize("index", range(SECTION_SIZES["k8s_peer"]))
def test_k8s_peer(vectors, index):
    case = vector(vectors, "k8s_peer", index)
    peer = calico_peer(NetworkPolicyPeer.model_validate(case["input"]))
    want = case["expected"]
    assert (str(peer.selector) if peer.selector else "") == (canonical(want["selector"]) if want["selector"] else "")
    assert (str(peer.namespace_selector) if peer.namespace_selector else "") == (
        canonical(want["namespaceSelector"]) if want["namespaceSelector"] else "")
    assert [str(n) for n in peer.nets] == (want["nets"] or [])
    assert [str(n) for n in peer.not_nets] == (want["notNets"] or [])


@pytest.mark.parametrize("index", range(SECTION_SIZES["k8s_label_selector"]))
def test_k8s_label_selector(vectors, index):
    case = vector(vectors, "k8s_label_selector", index)
    selector = None if case["input"] is None else LabelSelector.model_validate(case["input"])
    if case["selectorType"] == "pod":
        ours = calico_pod_selector(selector)
    else:
        ours = calico_namespace_selector(selector)
    if case["expected"] == "":
        assert ours is None
    else:
        assert ours is not None and str(ours) == canonical(case["expected"])
