"""peer-and-vs-or: a pod-only peer beside a namespace-only peer."""

from __future__ import annotations

import pytest

from .support import k8s_policy, lint, shop

RULE = "peer-and-vs-or"
PODS = {"podSelector": {"matchLabels": {"app": "web"}}}
SPACES = {"namespaceSelector": {"matchLabels": {"team": "shop"}}}


def _ingress(*peers: dict) -> dict:
    return k8s_policy("p", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": list(peers)}]})


@pytest.mark.parametrize("document", [_ingress(SPACES, PODS), _ingress(PODS, SPACES)])
def test_hit(document):
    findings = lint(shop(document), RULE)
    assert len(findings) == 1
    assert "either one is admitted" in findings[0].message


@pytest.mark.parametrize("document", [
    _ingress({**SPACES, **PODS}),
    _ingress(PODS, {"podSelector": {"matchLabels": {"app": "db"}}}),
    _ingress(SPACES, {"ipBlock": {"cidr": "203.0.113.0/24"}}),
    _ingress(SPACES, {"ipBlock": {"cidr": "203.0.113.0/24"}}, PODS),  # not side by side
    # kubernetes/website content/en/examples/service/networking/networkpolicy.yaml: ipBlock, namespaceSelector
    # and podSelector as three alternatives (the docs say so: "allows connections from ... any pod in a
    # namespace with the label project=myproject, any pod in the default namespace with role=frontend").
    _ingress({"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
             {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
             {"podSelector": {"matchLabels": {"role": "frontend"}}}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []
