"""admin-accept-overridden: an admin Accept that the other end's own policies deny."""

from __future__ import annotations

from .support import cluster_policy, k8s_policy, lint, pods_in, shop

RULE = "admin-accept-overridden"
DB_INGRESS_ONLY_FROM_NOBODY = k8s_policy("db-lockdown", {"podSelector": {"matchLabels": {"app": "db"}},
                                                         "policyTypes": ["Ingress"]})
WEB_TO_DB = cluster_policy("web-to-db", 10, subject=pods_in("shop", app="web"),
                           egress=[{"name": "db", "action": "Accept", "to": [pods_in("shop", app="db")],
                                    "protocols": [{"tcp": {"destinationPort": {"number": 5432}}}]}])


def test_hit():
    (finding,) = lint(shop(WEB_TO_DB, DB_INGRESS_ONLY_FROM_NOBODY), RULE)
    assert "web-to-db db accepts egress traffic, but the other end's ingress denies it: shop/web → shop/db" in finding.message
    assert "TCP 5432" in finding.message


def test_hit_on_ingress():
    web_egress_locked = k8s_policy("web-lockdown", {"podSelector": {"matchLabels": {"app": "web"}},
                                                    "policyTypes": ["Egress"]})
    db_from_web = cluster_policy("db-from-web", 10, subject=pods_in("shop", app="db"),
                                 ingress=[{"action": "Accept", "from": [pods_in("shop", app="web")]}])
    (finding,) = lint(shop(db_from_web, web_egress_locked), RULE)
    assert "the other end's egress denies it: shop/web → shop/db" in finding.message


def test_miss():
    db_allows_web = k8s_policy("db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})
    assert lint(shop(WEB_TO_DB, db_allows_web), RULE) == []
    assert lint(shop(WEB_TO_DB), RULE) == []
