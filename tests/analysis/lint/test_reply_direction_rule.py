"""reply-direction-rule: rules written for replies, which admit the reverse connection instead."""

from __future__ import annotations

import pytest

from .support import deployment, k8s_policy, lint, shop

RULE = "reply-direction-rule"
WEB, DB = {"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "db"}}


def _policy(name: str, selector: dict, **rules) -> dict:
    return k8s_policy(name, {"podSelector": selector, "policyTypes": ["Ingress", "Egress"], **rules})


def _tcp(port: int) -> list[dict]:
    return [{"protocol": "TCP", "port": port}]


# web (TCP 8080) is the client of db (TCP 5432).
WEB_TO_DB = _policy("web", WEB, egress=[{"to": [{"podSelector": DB}], "ports": _tcp(5432)}])
DB_FROM_WEB = _policy("db", DB, ingress=[{"from": [{"podSelector": WEB}], "ports": _tcp(5432)}])


@pytest.mark.parametrize("documents, policy, rule", [
    # ingress on a port web does not listen on, from db which does
    (shop(_policy("web", WEB, egress=[{"to": [{"podSelector": DB}], "ports": _tcp(5432)}],
                  ingress=[{"from": [{"podSelector": DB}], "ports": _tcp(5432)}]), DB_FROM_WEB), "shop/web", "ingress[0]"),
    # the egress mirror: db sends to web on a port web does not listen on and db does
    (shop(WEB_TO_DB, _policy("db", DB, ingress=[{"from": [{"podSelector": WEB}], "ports": _tcp(5432)}],
                             egress=[{"to": [{"podSelector": WEB}], "ports": _tcp(5432)}])), "shop/db", "egress[0]"),
    # the server opening connections to its client's own port
    (shop(WEB_TO_DB, _policy("db", DB, ingress=[{"from": [{"podSelector": WEB}], "ports": _tcp(5432)}],
                             egress=[{"to": [{"podSelector": WEB}], "ports": _tcp(8080)}])), "shop/db", "egress[0]"),
    # egress to anywhere on the port it serves anywhere
    (shop(_policy("web", WEB, ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(8080)}],
                  egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(8080)}])), "shop/web", "egress[0]"),
])
def test_hit(documents, policy, rule):
    findings = lint(documents, RULE)
    assert [f.message.split(" ")[:2] for f in findings] == [[policy, rule]]


@pytest.mark.parametrize("documents", [
    shop(WEB_TO_DB, DB_FROM_WEB),
    # two services calling each other on their own ports, without the server/client pairing
    shop(_policy("web", WEB, ingress=[{"from": [{"podSelector": DB}], "ports": _tcp(8080)}]),
         _policy("db", DB, egress=[{"to": [{"podSelector": WEB}], "ports": _tcp(8080)}])),
    # egress to an address range on the served port, with no ingress rule mirroring it
    shop(_policy("web", WEB, egress=[{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": _tcp(8080)}])),
    # a port nobody on this side serves, but from peers that do not all serve it either
    shop(deployment("cache", ports=[(6379, "TCP")]),
         _policy("cache", {"matchLabels": {"app": "cache"}}, ingress=[{"from": [{"podSelector": {}}], "ports": _tcp(5432)}])),
])
def test_miss(documents):
    assert lint(documents, RULE) == []
