"""Calico NetworkPolicy / GlobalNetworkPolicy / Staged*: validation and compilation.

See docs/semantics.md#calico-policies.
"""

from __future__ import annotations

import math

import pytest

from netpolicy.errors import Diagnostics
from netpolicy.model import ir
from netpolicy.model.cluster import calico_labels
from netpolicy.model.intervals import IntervalSet
from netpolicy.options import Options
from netpolicy.policies.kubernetes.compile import compile_network_policy
from netpolicy.selectors import parse
from tests.conftest import EXAMPLE

from .support import compile_yaml, messages, policy_yaml, read

EXAMPLE_NAME = "app-db-default-deny.yaml"


def test_bundled_example_compiles():
    path = EXAMPLE / "calico-policies" / EXAMPLE_NAME
    result, diags = compile_yaml(path.read_text())
    assert diags.problems == []
    by_name = {p.name: p for p in result.policies}
    assert sorted(by_name) == ["default-deny", "trojanwall-app-traffic-network-policy",
                               "trojanwall-db-traffic-network-policy"]
    deny = by_name["default-deny"]
    assert (deny.order, deny.types, deny.ingress, deny.egress) == (30.0, frozenset({"ingress", "egress"}), (), ())
    app = by_name["trojanwall-app-traffic-network-policy"]
    django = calico_labels({"app": "django"}, namespace="trojanwall", namespace_labels={},
                           service_account="default", service_account_labels={})
    elsewhere = calico_labels({"app": "django"}, namespace="other", namespace_labels={},
                              service_account="default", service_account_labels={})
    assert app.selector.matches(django) and not app.selector.matches(elsewhere)
    assert [r.name for r in app.egress] == ["egress[0]", "egress[1]"]
    assert app.egress[1].source.ports == ir.PortMatch(IntervalSet.of([8000]))
    assert app.egress[1].detail == "Allow TCP from selector app == 'django' ports 8000 to nets 0.0.0.0/0"


# --- types: Calico's defaulting, not Kubernetes' ------------------------------------------------

TYPES_CASES = [
    ("no rules", "selector: all()", {"ingress"}),
    ("ingress only", "ingress:\n- action: Allow", {"ingress"}),
    ("egress only", "egress:\n- action: Allow", {"egress"}),
    ("both", "ingress:\n- action: Allow\negress:\n- action: Allow", {"ingress", "egress"}),
    ("empty list", "types: []\negress:\n- action: Allow", {"egress"}),
    ("explicit", "types: [Egress]\ningress:\n- action: Allow", {"egress"}),
    ("explicit both", "types: [Ingress, Egress]", {"ingress", "egress"}),
]


@pytest.mark.parametrize(("spec", "types"), [c[1:] for c in TYPES_CASES], ids=[c[0] for c in TYPES_CASES])
def test_calico_types_default(spec, types):
    result, diags = compile_yaml(policy_yaml(spec))
    assert messages(diags) == []
    assert result.policies[0].types == frozenset(types)


def test_types_default_differs_from_kubernetes():
    """Egress rules only, no types: Calico isolates egress only; Kubernetes both ways (#calico-types)."""
    calico, _ = compile_yaml(policy_yaml("egress:\n- action: Allow"))
    k8s_text = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: prod\n"
                "spec:\n  podSelector: {}\n  egress:\n  - {}\n")
    k8s = compile_network_policy(read(k8s_text)[0], Options(), Diagnostics())
    assert calico.policies[0].types == frozenset({"egress"})
    assert k8s.types == frozenset({"ingress", "egress"})


@pytest.mark.parametrize(("types", "fragment"), [
    ("[Ingress, Ingress]", "spec.types[1]: 'Ingress' type specified more than once"),
    ("[ingress]", "spec.types[0]: 'ingress' is not a policy type (expected Ingress or Egress); "
                  "values are case-sensitive: did you mean 'Ingress'?"),
    ("Ingress", "spec.types: 'Ingress' is not a list (expected a list)"),
])
def test_bad_types(types, fragment):
    _, diags = compile_yaml(policy_yaml(f"types: {types}"))
    assert any(fragment in m for m in messages(diags)), messages(diags)


# --- order, tier, names ---------------------------------------------------------------------------

@pytest.mark.parametrize(("order", "expected"), [(None, math.inf), ("10", 10.0), ("-2.5", -2.5), ("0", 0.0)])
def test_order(order, expected):
    spec = "selector: all()" if order is None else f"order: {order}"
    result, _ = compile_yaml(policy_yaml(spec))
    assert result.policies[0].order == expected


@pytest.mark.parametrize(("order", "fragment"), [
    ("'10'", "spec.order: '10' is not a number (expected a number)"),
    (".nan", "spec.order: nan is not a finite number"),
    (".inf", "spec.order: inf is not a finite number"),
])
def test_bad_order(order, fragment):
    result, diags = compile_yaml(policy_yaml(f"order: {order}"))
    assert any(fragment in m for m in messages(diags)), messages(diags)
    assert result.policies == []


TIER_OBJECT = "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n---\n"

TIER_CASES = [
    # (id, name, tier, Calico version, with the Tier object, error fragment or None)
    ("default tier", "allow", "", (3, 32), False, None),
    ("explicit default", "default.allow", "default", (3, 32), False, None),
    ("unknown tier", "allow", "security", (3, 32), False, "spec.tier: tier 'security' does not exist"),
    ("user tier", "allow", "security", (3, 32), True, None),
    ("user tier, prefixed", "security.allow", "security", (3, 32), True, None),
    ("wrong prefix", "other.allow", "security", (3, 32), True,
     "metadata.name: policy name 'other.allow' is prefixed with 'other' but the policy is in tier 'security'"),
    ("unprefixed before 3.32", "allow", "security", (3, 31), True,
     "metadata.name: a policy in tier 'security' must be named 'security.<name>' before Calico v3.32"),
    ("prefixed before 3.32", "security.allow", "security", (3, 31), True, None),
    ("kube-admin in 3.32", "allow", "kube-admin", (3, 32), False, None),
    ("kube-admin in 3.31", "kube-admin.allow", "kube-admin", (3, 31), False, "tier 'kube-admin' does not exist"),
    ("adminnetworkpolicy in 3.31", "adminnetworkpolicy.allow", "adminnetworkpolicy", (3, 31), False, None),
    ("invalid name", "Allow_All", "", (3, 32), False, "metadata.name: 'Allow_All' is not a valid policy name"),
    ("two dots", "a.b.c", "a", (3, 32), False, "'a.b.c' is not a valid policy name"),
    ("k8s-style name", "knp.default.web", "", (3, 32), False, None),
]


@pytest.mark.parametrize(("name", "tier", "version", "with_tier", "fragment"), [c[1:] for c in TIER_CASES],
                         ids=[c[0] for c in TIER_CASES])
def test_tier_and_name(name, tier, version, with_tier, fragment):
    spec = f"tier: {tier}" if tier else "selector: all()"
    text = (TIER_OBJECT if with_tier else "") + policy_yaml(spec, name=name)
    result, diags = compile_yaml(text, options=Options(calico_version=version))
    if fragment is None:
        assert messages(diags) == []
        assert result.policies[0].tier == (tier or "default")
    else:
        assert any(fragment in m for m in messages(diags)), messages(diags)
        assert result.policies == []


def test_global_policy_name_rules():
    result, diags = compile_yaml(policy_yaml("selector: all()", kind="GlobalNetworkPolicy", name="a.b.c",
                                             namespace=None))
    assert any("'a.b.c' is not a valid policy name" in m for m in messages(diags))
    result, diags = compile_yaml(policy_yaml("selector: all()", kind="GlobalNetworkPolicy", name="knp.default.x",
                                             namespace=None))
    assert any("is not a valid policy name" in m for m in messages(diags))


def test_missing_name_and_namespace():
    result, diags = compile_yaml("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {}\nspec: {}\n")
    assert messages(diags) == ["<stdin>:3: metadata.name: is required (expected the policy's name)"]
    result, diags = compile_yaml(policy_yaml("selector: all()", namespace=None))
    assert result.policies[0].namespace == "default"
    assert result.policies[0].selector == parse("all() && projectcalico.org/namespace == 'default'")


# --- policy-level selectors ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "spec", "fragment"), [
    ("NetworkPolicy", "selector: global()",
     "spec.selector: global() can only be used in an EntityRule namespaceSelector"),
    ("NetworkPolicy", "serviceAccountSelector: has(global())", "spec.serviceAccountSelector: global() can only"),
    ("GlobalNetworkPolicy", "namespaceSelector: global()", "spec.namespaceSelector: global() can only"),
    ("GlobalNetworkPolicy", "selector: app == 'web' &&", "spec.selector: expected a label"),
    ("NetworkPolicy", "selector: \"a == 'b'\\n\"", "write the selector on one line"),
    ("NetworkPolicy", "selector: 42", "spec.selector: 42 is not a string (expected a string)"),
])
def test_policy_selector_validation(kind, spec, fragment):
    namespace = None if kind.startswith("Global") else "prod"
    result, diags = compile_yaml(policy_yaml(spec, kind=kind, namespace=namespace))
    assert any(fragment in m for m in messages(diags)), messages(diags)
    assert result.policies == []


# --- GlobalNetworkPolicy host-endpoint flags (#calico-globalnetworkpolicy) ---------------------------

GNP_FLAG_CASES = [
    ("doNotTrack and preDNAT", "doNotTrack: true\npreDNAT: true\napplyOnForward: true",
     "spec.preDNAT: PreDNAT and DoNotTrack cannot both be true"),
    ("preDNAT with egress rules", "preDNAT: true\napplyOnForward: true\negress:\n- action: Allow",
     "spec.egress: PreDNAT policy cannot have any egress rules"),
    ("preDNAT with Egress type", "preDNAT: true\napplyOnForward: true\ntypes: [Ingress, Egress]",
     "spec.types: PreDNAT policy cannot have 'Egress' type"),
    ("doNotTrack without applyOnForward", "doNotTrack: true",
     "spec.applyOnForward: ApplyOnForward must be true if either PreDNAT or DoNotTrack is true"),
    ("preDNAT without applyOnForward", "preDNAT: true", "ApplyOnForward must be true"),
    ("flag as string", "preDNAT: 'yes'", "spec.preDNAT: 'yes' is not true or false"),
]


@pytest.mark.parametrize(("spec", "fragment"), [c[1:] for c in GNP_FLAG_CASES], ids=[c[0] for c in GNP_FLAG_CASES])
def test_host_flag_validation(spec, fragment):
    _, diags = compile_yaml(policy_yaml(spec, kind="GlobalNetworkPolicy", namespace=None))
    assert any(fragment in m for m in messages(diags)), messages(diags)


@pytest.mark.parametrize(("flags", "governs", "note"), [
    ("preDNAT: true\napplyOnForward: true", frozenset(), "preDNAT: evaluated on the path into a node"),
    ("doNotTrack: true\napplyOnForward: true", frozenset(), "doNotTrack: evaluated in raw"),
    ("applyOnForward: true", frozenset({"ingress"}), "applyOnForward: evaluated on the path through a node"),
])
def test_host_flags_are_noted(flags, governs, note):
    text = policy_yaml(f"{flags}\nselector: has(host)\ningress:\n- action: Allow", kind="GlobalNetworkPolicy",
                       namespace=None)
    result, diags = compile_yaml(text)
    assert messages(diags) == []
    policy = result.policies[0]
    assert policy.types == governs
    assert any(n.startswith(note) for n in policy.notes), policy.notes
    assert len(policy.ingress) == 1


def test_namespaced_service_without_namespace_is_noted():
    text = policy_yaml("egress:\n- action: Allow\n  destination:\n    services: {name: web}")
    result, diags = compile_yaml(text)
    assert messages(diags) == []
    policy = result.policies[0]
    assert policy.egress[0].destination.services == (ir.ServiceRef("", "web"),)
    assert policy.notes == (
        "spec.egress[0].destination.services: no namespace; Calico looks the Service up as '/web', which "
        "matches no Service (the API documentation says the policy's namespace 'prod' is meant; name it "
        "explicitly)",)


# --- staged policies (#staged) ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "spec", "action"), [
    ("StagedNetworkPolicy", "selector: all()", "Set"),
    ("StagedNetworkPolicy", "stagedAction: Learn\ningress:\n- action: Deny", "Learn"),
    ("StagedGlobalNetworkPolicy", "stagedAction: Ignore\nnamespaceSelector: all()", "Ignore"),
    ("StagedGlobalNetworkPolicy", "stagedAction: Delete\ntier: default", "Delete"),
])
def test_staged_policies(kind, spec, action):
    namespace = None if "Global" in kind else "prod"
    result, diags = compile_yaml(policy_yaml(spec, kind=kind, namespace=namespace))
    assert messages(diags) == []
    policy = result.policies[0]
    assert (policy.staged, policy.kind, policy.notes) == (True, kind, (f"stagedAction: {action}",))
    assert policy.staged_action == action


@pytest.mark.parametrize(("spec", "fragment"), [
    ("stagedAction: Delete\ningress:\n- action: Allow",
     "spec: spec fields, except tier, should all be zero-value if stagedAction is Delete"),
    ("stagedAction: set", "spec.stagedAction: 'set' is not a staged action"),
])
def test_bad_staged_policies(spec, fragment):
    _, diags = compile_yaml(policy_yaml(spec, kind="StagedNetworkPolicy"))
    assert any(fragment in m for m in messages(diags)), messages(diags)


STAGED_K8S = """\
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata:
  name: web
  namespace: prod
spec:
  stagedAction: Learn
  podSelector:
    matchLabels: {app: web}
  egress:
  - ports:
    - port: 53
      protocol: UDP
"""


def test_staged_kubernetes_policy_compiles_as_kubernetes():
    result, diags = compile_yaml(STAGED_K8S)
    assert messages(diags) == []
    policy = result.policies[0]
    assert (policy.kind, policy.staged, policy.tier, policy.order) == (
        "StagedKubernetesNetworkPolicy", True, "default", 1000.0)
    assert policy.types == frozenset({"ingress", "egress"})  # Kubernetes' defaulting
    assert "stagedAction: Learn" in policy.notes
    assert policy.egress[0].destination.ports.numbers.format() == "53"


def test_staged_kubernetes_policy_errors_point_at_the_object():
    result, diags = compile_yaml(STAGED_K8S.replace("port: 53", "port: 70000"))
    assert result.policies == []
    assert any(m.startswith("<stdin>:12: spec.egress[0].ports[0].port") for m in messages(diags)), messages(diags)


# --- objects, API groups, duplicates ---------------------------------------------------------------

def test_storage_form_and_other_kinds():
    text = (policy_yaml("selector: all()").replace("projectcalico.org/v3", "crd.projectcalico.org/v1")
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: k\nspec: {}\n"
            + "---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec: {}\n")
    result, diags = compile_yaml(text)
    assert diags.problems == []
    assert [(p.name, p.kind) for p in result.policies] == [("p", ir.CALICO_NETWORK_POLICY)]


def test_later_definition_wins():
    text = policy_yaml("order: 1") + "---\n" + policy_yaml("order: 2")
    result, diags = compile_yaml(text)
    assert [p.order for p in result.policies] == [2.0]
    assert messages(diags, "warning") == [
        "<stdin>:12: metadata.name: NetworkPolicy 'p' is defined again here; this definition replaces the one "
        "at <stdin>:1"]


def test_unknown_spec_field_is_a_warning():
    result, diags = compile_yaml(policy_yaml("selector: all()\nordr: 5"))
    assert len(result.policies) == 1
    assert messages(diags, "warning") == [
        "<stdin>:8: spec.ordr: unknown field, ignored; check the spelling against the Calico API reference"]


def test_rule_locations():
    result, _ = compile_yaml(policy_yaml("ingress:\n- action: Allow\n- action: Deny\n  protocol: UDP"))
    rule = result.policies[0].ingress[1]
    assert (rule.name, rule.index, rule.path, str(rule.location)) == (
        "ingress[1]", 1, "spec.ingress[1]", "<stdin>:9")


@pytest.mark.parametrize(("extra", "fragment"), [
    ("", None),
    ("  podSelector: {}\n", "spec: spec fields should all be zero-value if stagedAction is Delete"),
])
def test_staged_kubernetes_delete(extra, fragment):
    text = ("apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata:\n  name: web\n"
            f"  namespace: prod\nspec:\n  stagedAction: Delete\n{extra}")
    result, diags = compile_yaml(text)
    if fragment is None:
        assert diags.problems == []
        assert result.policies[0].notes[-1] == "stagedAction: Delete"
    else:
        assert any(fragment in m for m in messages(diags)), messages(diags)
        assert result.policies == []
