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
