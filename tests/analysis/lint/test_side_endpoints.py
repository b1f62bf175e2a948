"""Which endpoints lint puts on a rule side: the engine's term, `(selector) && !(notSelector)` (or the lone
notSelector), matched on every IP owner at an endpoint's address, as Felix's IP sets do."""

from __future__ import annotations

import pytest

from netpolicy.analysis.lint.context import LintContext
from netpolicy.analysis.lint.endpoints import side_endpoints
from netpolicy.api import load_documents, query

from .support import CALICO, calico_policy, namespace


def pod(name: str, ip: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "example/app:1"}]}, "status": {"podIP": ip}}


#: web's address lies in a GlobalNetworkSet labelled role=db, zone=edge: a selector sees both owners there.
EDGE = {"apiVersion": CALICO, "kind": "GlobalNetworkSet",
        "metadata": {"name": "edge", "labels": {"role": "db", "zone": "edge"}}, "spec": {"nets": ["10.0.0.1/32"]}}
PODS = [namespace("shop"), pod("web", "10.0.0.1", app="web"), pod("db", "10.0.0.2", app="db", role="db"),
        pod("api", "10.0.0.3", app="api"), EDGE]


@pytest.mark.parametrize(("destination", "expected"), [
    ({"notSelector": "role == 'db'"}, {"shop/api"}),                       # the set at web's address excludes it
    ({"selector": "role == 'db'"}, {"shop/db", "shop/web"}),               # the set at web's address selects it
    ({"selector": "has(app)", "notSelector": "role == 'db'"}, {"shop/api", "shop/web"}),  # web's pod owner holds
    ({"selector": "has(zone) || app == 'api'", "notSelector": "app == 'web'"}, {"shop/api", "shop/web"}),  # the set
    ({"selector": "app == 'db'"}, {"shop/db"}),
    ({"notSelector": "app == 'nothing'"}, {"shop/api", "shop/db", "shop/web"}),
])
def test_peer_side_is_the_engines_per_owner_term(destination, expected):
    policy = calico_policy("api-out", {"selector": "app == 'api'", "types": ["Egress"],
                                       "egress": [{"action": "Allow", "protocol": "TCP", "destination": destination}]},
                           namespace=None)
    cluster = load_documents([*PODS, policy])
    compiled = next(p for p in cluster.policies if p.name == "api-out")
    found = {e.id for e in side_endpoints(LintContext(cluster), compiled, compiled.egress[0], "destination")}
    engine = {e.id for e in cluster.endpoints if e.kind == "Pod"
              and query(cluster, "shop/api", e.id, "TCP", 80).verdict == "allow"}
    assert found == engine == expected
