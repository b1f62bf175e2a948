"""unknown-namespace: namespaces the input does not have."""

from __future__ import annotations

import pytest

from .support import calico_policy, deployment, k8s_policy, lint, shop

RULE = "unknown-namespace"


def _from_namespace(name: str) -> dict:
    return k8s_policy("p", {"podSelector": {}, "ingress": [
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}]}]})


@pytest.mark.parametrize("document, severity, suggestion", [
    (_from_namespace("shpo"), "warning", "did you mean shop?"),
    (_from_namespace("monitoring"), "info", "namespaces in the input: shop"),
    (k8s_policy("p", {"podSelector": {}}, namespace="sohp"), "warning", "did you mean shop?"),
    (calico_policy("c", {"selector": "all()", "ingress": [
        {"action": "Allow", "source": {"namespaceSelector": "projectcalico.org/name == 'shops'"}}]}),
     "warning", "did you mean shop?"),
])
def test_hit(document, severity, suggestion):
    findings = lint(shop(document), RULE)
    assert [(f.severity, f.suggestion) for f in findings] == [(severity, suggestion)]


@pytest.mark.parametrize("documents", [
    shop(_from_namespace("shop")),
    shop(_from_namespace("kube-system")),
    [deployment("web"), _from_namespace("elsewhere")],      # the input defines no namespace
])
def test_miss(documents):
    assert lint(documents, RULE) == []


def _from_name_label(labels: dict) -> dict:
    # The peer of ahmetb/kubernetes-network-policy-recipes 06-allow-traffic-from-a-namespace.md
    # (`namespaceSelector: matchLabels: {purpose: production}`) written with `name:`, the most common
    # real mistake (issue 16): no namespace carries a `name` label unless someone added it.
    return k8s_policy("p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": labels}}]}]})


@pytest.mark.parametrize("documents, expected", [
    ([deployment("web"), _from_name_label({"name": "shop"})],
     [("warning", "did you mean kubernetes.io/metadata.name: shop?")]),
    (shop(_from_name_label({"name": "shop"})), [("warning", "did you mean kubernetes.io/metadata.name: shop?")]),
    (shop(_from_name_label({"name": "nowhere"})), []),  # no namespace of that name either: nothing to suggest
    (shop({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops", "labels": {"name": "shop"}}},
          _from_name_label({"name": "shop"})), []),  # a namespace really labelled name=shop
])
def test_name_instead_of_the_metadata_name_label(documents, expected):
    findings = lint(documents, RULE)
    assert [(f.severity, f.suggestion) for f in findings] == expected
    if expected:
        assert "kubernetes.io/metadata.name=<name>, not name=<name>" in findings[0].message
