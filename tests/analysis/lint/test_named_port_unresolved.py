"""named-port-unresolved: named ports no endpoint on that side defines."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "named-port-unresolved"


def _web_ingress(port: str, protocol: str = "TCP") -> dict:
    return k8s_policy("p", {"podSelector": {"matchLabels": {"app": "web"}},
                            "ingress": [{"ports": [{"protocol": protocol, "port": port}]}]})


@pytest.mark.parametrize("document, says", [
    (_web_ingress("htpp"), "defined by none"),
    (_web_ingress("http", "UDP"), "defined only for TCP"),
    (k8s_policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": "http"}]}]}), "defined by none"),
    (calico_policy("c", {"selector": "app == 'web'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": ["metrics"]}}]}), "defined by none"),
])
def test_hit(document, says):
    findings = lint(shop(document), RULE)
    assert len(findings) == 1
    assert says in findings[0].message


def test_suggests_the_near_name():
    assert lint(shop(_web_ingress("htpp")), RULE)[0].suggestion == "did you mean 'http'?"


@pytest.mark.parametrize("document", [
    _web_ingress("http"),
    k8s_policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "http"}]}]}),
    calico_policy("c", {"selector": "app == 'web'", "ingress": [{"action": "Allow", "destination": {"ports": ["http"]}}]}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []
