"""selects-nothing: policies and peers that match no endpoint, with a "did you mean"."""

from __future__ import annotations

import pytest

from .support import calico_policy, deployment, k8s_policy, lint, namespace, shop

RULE = "selects-nothing"


def _ingress_from(peer: dict) -> dict:
    return k8s_policy("p", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [peer]}]})


@pytest.mark.parametrize("document, suggestion", [
    (k8s_policy("p", {"podSelector": {"matchLabels": {"app": "webb"}}}), "did you mean app: web?"),
    (k8s_policy("p", {"podSelector": {"matchLabels": {"ap": "web"}}}), "did you mean app: web?"),
    (_ingress_from({"podSelector": {"matchLabels": {"app": "wbe"}}}), "did you mean app: web?"),
    (calico_policy("p", {"selector": "app == 'dbb'", "types": ["Ingress"]}), "did you mean app: db?"),
    (calico_policy("p", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"selector": "app == 'weeb'"}}]}), "did you mean app: web?"),
])
def test_hit_with_did_you_mean(document, suggestion):
    findings = lint(shop(document), RULE)
    assert len(findings) == 1
    assert findings[0].suggestion == suggestion


@pytest.mark.parametrize("document", [
    k8s_policy("p", {"podSelector": {"matchLabels": {"app": "web"}}}),
    k8s_policy("p", {"podSelector": {}}),
    _ingress_from({"podSelector": {"matchLabels": {"app": "web"}}}),
    _ingress_from({"namespaceSelector": {}}),
    calico_policy("p", {"selector": "app == 'db'", "ingress": [{"action": "Allow", "source": {"selector": "app == 'web'"}}]}),
])
def test_miss_when_something_matches(document):
    assert lint(shop(document), RULE) == []


def test_peer_in_a_namespace_outside_the_input_is_not_judged():
    dns = _ingress_from({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}})
    assert lint(shop(dns), RULE) == []


def test_peer_in_another_namespace_of_the_input_is_judged():
    peer = {"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {"matchLabels": {"app": "promethus"}}}
    documents = shop(namespace("ops", team="ops"), deployment("prometheus", namespace="ops"), _ingress_from(peer))
    findings = lint(documents, RULE)
    assert [f.suggestion for f in findings] == ["did you mean app: prometheus?"]


def test_policies_only_input_says_nothing():
    assert lint([k8s_policy("p", {"podSelector": {"matchLabels": {"app": "nothing-here"}}})], RULE) == []


def _calico_from(source: dict, namespace: str | None = "shop") -> dict:
    return calico_policy("p", {"selector": "app == 'db'", "ingress": [{"action": "Allow", "source": source}]},
                         namespace=namespace)


@pytest.mark.parametrize(("document", "found"), [
    # a namespaced policy's lone notSelector is scoped to its namespace: every pod there has an app label
    (_calico_from({"notSelector": "has(app)"}), "ingress[0] source: notSelector has(app) excludes every endpoint"),
    (_calico_from({"selector": "app == 'web'", "notSelector": "app == 'web'"}),
     "ingress[0] source: notSelector app == 'web' excludes every endpoint"),
    (_calico_from({"selector": "app == 'web'", "notSelector": "tier == 'x'"}), None),
    (_calico_from({"notSelector": "app == 'web'"}), None),                  # db is left
    (_calico_from({"notSelector": "has(app)"}, namespace=None), None),      # global: external addresses are left
])
def test_calico_side_judged_as_selector_and_not_notselector(document, found):
    findings = lint(shop(document), RULE)
    assert len(findings) == (1 if found else 0)
    if found:
        assert found in findings[0].message and findings[0].suggestion == "narrow the notSelector"
