"""service-port-confusion: a rule on a Service's port instead of the port its pods listen on."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, service, shop

RULE = "service-port-confusion"
WEB_SERVICE = service("web", "shop", {"app": "web"}, 80, 8080)


def _web_ingress(port: int) -> dict:
    return k8s_policy("p", {"podSelector": {"matchLabels": {"app": "web"}},
                            "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}]})


@pytest.mark.parametrize("document", [
    _web_ingress(80),
    k8s_policy("p", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"protocol": "TCP", "port": 80}]}]}),
    calico_policy("c", {"selector": "app == 'web'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}}]}),
])
def test_hit(document):
    findings = lint(shop(WEB_SERVICE, document), RULE)
    assert len(findings) == 1
    assert "TCP 8080" in findings[0].message and findings[0].suggestion.startswith("use TCP 8080")


@pytest.mark.parametrize("documents", [
    shop(WEB_SERVICE, _web_ingress(8080)),
    shop(service("web", "shop", {"app": "web"}, 8080, 8080), _web_ingress(8080)),
    shop(WEB_SERVICE, k8s_policy("p", {"podSelector": {"matchLabels": {"app": "db"}},
                                       "ingress": [{"ports": [{"protocol": "TCP", "port": 80}]}]})),  # not a backend
])
def test_miss(documents):
    assert lint(documents, RULE) == []
