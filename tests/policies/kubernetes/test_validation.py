"""What the API server rejects in a NetworkPolicy, reported with file, line, field path and a hint."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .support import compile_data, compile_yaml, messages, policy_yaml

INGRESS_PEER = "podSelector: {{}}\ningress:\n- from:\n  - {peer}"
INGRESS_PORT = "podSelector: {{}}\ningress:\n- ports:\n  - {port}"


def errors_of(text: str) -> list:
    policy, diags = compile_yaml(text)
    assert policy is None, "an invalid policy must not compile"
    return diags.errors


def single_error(text: str):
    errors = errors_of(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_port_out_of_range_reads_like_the_house_style():
    text = policy_yaml(INGRESS_PORT.format(port="{port: 70000}"))
    assert messages(compile_yaml(text)[1]) == [
        "web.yaml:10: spec.ingress[0].ports[0].port: 70000 is not a port (expected 1-65535)"]


@pytest.mark.parametrize("spec, path, message, hint", [
    # ipBlock
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/33}"), "spec.ingress[0].from[0].ipBlock.cidr",
     "'10.0.0.0/33' is not a valid CIDR", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: not-a-cidr}"), "spec.ingress[0].from[0].ipBlock.cidr",
     "is not a valid CIDR", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.1.2.3}"), "spec.ingress[0].from[0].ipBlock.cidr",
     "is not a valid CIDR", "did you mean '10.1.2.3/32'?"),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: '10.0.0.0/255.0.0.0'}"), "spec.ingress[0].from[0].ipBlock.cidr",
     "is not a valid CIDR", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: ''}"), "spec.ingress[0].from[0].ipBlock.cidr", "required value", ""),
    (INGRESS_PEER.format(peer="ipBlock: {except: [10.0.0.0/8]}"), "spec.ingress[0].from[0].ipBlock.cidr",
     "required value", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}"),
     "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset of `cidr`", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}"),
     "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset of `cidr`", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/8]}"),
     "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset of `cidr`", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/16, except: ['fd00::/64']}"),
     "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset of `cidr`", ""),
    (INGRESS_PEER.format(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/40]}"),
     "spec.ingress[0].from[0].ipBlock.except[0]", "is not a valid CIDR", ""),
    # peers
    (INGRESS_PEER.format(peer="{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}"), "spec.ingress[0].from[0]",
     "may not specify both ipBlock and another peer", "separate list items"),
    (INGRESS_PEER.format(peer="{ipBlock: {cidr: 10.0.0.0/8}, namespaceSelector: {}}"), "spec.ingress[0].from[0]",
     "may not specify both ipBlock and another peer", ""),
    (INGRESS_PEER.format(peer="{}"), "spec.ingress[0].from[0]", "must specify a peer", "omit `from`"),
    ("podSelector: {}\negress:\n- to: [{}]", "spec.egress[0].to[0]", "must specify a peer", "omit `to`"),
    # ports
    (INGRESS_PORT.format(port="{port: 0}"), "spec.ingress[0].ports[0].port", "0 is not a port", ""),
    (INGRESS_PORT.format(port="{port: 80, endPort: 79}"), "spec.ingress[0].ports[0].endPort",
     "79 must be greater than or equal to `port` (80)", ""),
    (INGRESS_PORT.format(port="{port: 80, endPort: 65536}"), "spec.ingress[0].ports[0].endPort",
     "65536 is not a port", ""),
    (INGRESS_PORT.format(port="{port: http, endPort: 90}"), "spec.ingress[0].ports[0].endPort",
     "may not be specified when `port` is non-numeric", ""),
    (INGRESS_PORT.format(port="{endPort: 90}"), "spec.ingress[0].ports[0].endPort",
     "may not be specified when `port` is not specified", ""),
    (INGRESS_PORT.format(port="{protocol: tcp, port: 80}"), "spec.ingress[0].ports[0].protocol",
     "'tcp' is not a supported protocol", "did you mean 'TCP'?"),
    (INGRESS_PORT.format(port="{protocol: ICMP}"), "spec.ingress[0].ports[0].protocol",
     "'ICMP' is not a supported protocol", "cannot match ICMP"),
    (INGRESS_PORT.format(port="{port: '8080'}"), "spec.ingress[0].ports[0].port",
     "'8080' is not a port name", "without quotes: 8080"),
    (INGRESS_PORT.format(port="{port: '8000-8080'}"), "spec.ingress[0].ports[0].port",
     "is not a port name", "`port: 8000` and `endPort: 8080`"),
    (INGRESS_PORT.format(port="{port: HTTP}"), "spec.ingress[0].ports[0].port",
     "'HTTP' is not a port name", "did you mean 'http'?"),
    (INGRESS_PORT.format(port="{port: a-very-long-port-name}"), "spec.ingress[0].ports[0].port",
     "must be no more than 15 characters", ""),
    (INGRESS_PORT.format(port="{port: web--ui}"), "spec.ingress[0].ports[0].port", "consecutive hyphens", ""),
    (INGRESS_PORT.format(port="{port: -web}"), "spec.ingress[0].ports[0].port", "begin or end with a hyphen", ""),
    (INGRESS_PORT.format(port="{port: 80.5}"), "spec.ingress[0].ports[0].port", "80.5 is not a port", ""),
    (INGRESS_PORT.format(port="{port: true}"), "spec.ingress[0].ports[0].port", "true is not a port", ""),
    (INGRESS_PORT.format(port="{port: 80, endPort: '90'}"), "spec.ingress[0].ports[0].endPort",
     "'90' is not an integer", "without quotes: 90"),
    # label selectors
    ("podSelector: {matchExpressions: [{key: app, operator: Equals, values: [a]}]}",
     "spec.podSelector.matchExpressions[0].operator", "'Equals' is not a valid selector operator", ""),
    ("podSelector: {matchExpressions: [{key: app, operator: notin, values: [a]}]}",
     "spec.podSelector.matchExpressions[0].operator", "is not a valid selector operator", "did you mean 'NotIn'?"),
    ("podSelector: {matchExpressions: [{key: app, operator: In}]}",
     "spec.podSelector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'", ""),
    ("podSelector: {matchExpressions: [{key: app, operator: NotIn, values: []}]}",
     "spec.podSelector.matchExpressions[0].values", "must be specified", ""),
    ("podSelector: {matchExpressions: [{key: app, operator: Exists, values: [a]}]}",
     "spec.podSelector.matchExpressions[0].values", "may not be specified when `operator` is 'Exists'", ""),
    ("podSelector: {matchExpressions: [{operator: Exists}]}", "spec.podSelector.matchExpressions[0].key",
     "required value", ""),
    ("podSelector: {matchExpressions: [{key: 'a b', operator: Exists}]}",
     "spec.podSelector.matchExpressions[0].key", "'a b' is not a valid label key", ""),
    ("podSelector: {matchExpressions: [{key: a, operator: In, values: ['x y']}]}",
     "spec.podSelector.matchExpressions[0].values[0]", "'x y' is not a valid label value", ""),
    ("podSelector: {matchLabels: {'-app': web}}", "spec.podSelector.matchLabels.-app", "is not a valid label key", ""),
    ("podSelector: {matchLabels: {'Example.com/app': web}}", "spec.podSelector.matchLabels.Example.com/app",
     "prefix part", ""),
    ("podSelector: {matchLabels: {app: web/v1}}", "spec.podSelector.matchLabels.app",
     "'web/v1' is not a valid label value", ""),
    ("podSelector: {matchLabels: {app: true}}", "spec.podSelector.matchLabels.app", "true is not a string",
     'quote it: "true"'),
    (INGRESS_PEER.format(peer="namespaceSelector: {matchExpressions: [{key: team, operator: Is, values: [a]}]}"),
     "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator", "is not a valid selector operator", ""),
    # policy types and shape
    ("{podSelector: {}, policyTypes: [ingress]}", "spec.policyTypes[0]", "'ingress' is not a policy type",
     "did you mean 'Ingress'?"),
    ("{podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}", "spec.policyTypes",
     "may not specify more than two policyTypes", ""),
    ("{podSelector: {}, policyTypes: Ingress}", "spec.policyTypes", "'Ingress' is not a list", ""),
    ("{podSelector: {}, ingress: {from: []}}", "spec.ingress", "a mapping is not a list", ""),
    ("{podSelector: {}, ingress: [{from: [podSelector]}]}", "spec.ingress[0].from[0]", "'podSelector' is not a mapping",
     ""),
])
def test_invalid_policies(spec, path, message, hint):
    error = single_error(policy_yaml(spec))
    assert error.path == path
    assert message in error.message
    assert hint in error.suggestion
    assert error.location.file == "web.yaml" and error.location.line is not None


@pytest.mark.parametrize("metadata, path, message, hint", [
    ("{namespace: prod}", "metadata.name", "required value", ""),
    ("{name: My_Policy}", "metadata.name", "'My_Policy' is not a valid name", "did you mean 'my-policy'?"),
    ("{name: '-web'}", "metadata.name", "is not a valid name", "did you mean 'web'?"),
    ("{name: web, namespace: Prod}", "metadata.namespace", "'Prod' is not a valid namespace", "did you mean 'prod'?"),
    ("{name: web, namespace: a.b}", "metadata.namespace", "is not a valid namespace", ""),
    ("{name: web, labels: {'bad key': x}}", "metadata.labels.bad key", "is not a valid label key", ""),
    ("{name: web, annotations: {'a/b/c': x}}", "metadata.annotations.a/b/c", "is not a valid annotation key", ""),
    ("{name: 5}", "metadata.name", "5 is not a string", 'quote it: "5"'),
    ("{generateName: Web-}", "metadata.generateName", "is not a valid name", ""),
])
def test_invalid_metadata(metadata, path, message, hint):
    text = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {metadata}\nspec:\n  podSelector: {{}}\n"
    error = single_error(text)
    assert (error.path, error.location.line) == (path, 3)
    assert message in error.message and hint in error.suggestion


def test_every_problem_is_reported_at_once():
    text = policy_yaml("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}
            podSelector: {}
          ports:
          - {protocol: tcp, port: 70000}
          - {port: http, endPort: 80}
        """)
    assert sorted(e.path for e in errors_of(text)) == [
        "spec.ingress[0].from[0]",
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "spec.ingress[0].ports[0].port",
        "spec.ingress[0].ports[0].protocol",
        "spec.ingress[0].ports[1].endPort",
    ]


@pytest.mark.parametrize("lines, path, line", [
    ("podSelector: {}\ningress:\n- ports:\n  - port: 1\n  - port: 99999", "spec.ingress[0].ports[1].port", 11),
    ("podSelector: {}\negress:\n- to:\n  - ipBlock:\n      cidr: 1.2.3.4/40", "spec.egress[0].to[0].ipBlock.cidr", 11),
])
def test_errors_point_at_the_line_of_the_field(lines, path, line):
    error = single_error(policy_yaml(lines))
    assert (error.path, error.location.line) == (path, line)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 70000) | st.text(max_size=6) | st.sampled_from(
        ["TCP", "In", "Ingress", "10.0.0.0/8", "app", "http"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["from", "to", "ports", "port", "endPort", "protocol", "podSelector", "namespaceSelector",
                         "ipBlock", "cidr", "except", "matchLabels", "matchExpressions", "key", "operator",
                         "values", "x"]), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(spec=st.dictionaries(st.sampled_from(["podSelector", "ingress", "egress", "policyTypes", "extra"]), JSON))
def test_arbitrary_specs_never_raise(spec):
    policy, diags = compile_data({"metadata": {"name": "p"}, "spec": spec})
    assert (policy is None) == bool(diags.errors)
    assert all(p.path for p in diags.problems)
