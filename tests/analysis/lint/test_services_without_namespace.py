"""services-without-namespace: Felix keys a `services` match by `<namespace>/<name>` as written."""

from __future__ import annotations

import pytest

from .support import calico_policy, lint, shop

RULE = "services-without-namespace"


def egress_to(services: dict, namespace: str | None = "shop") -> dict:
    return calico_policy("c", {"selector": "app == 'web'", "types": ["Egress"],
                               "egress": [{"action": "Allow", "destination": {"services": services}}]}, namespace)


def test_hit():
    (finding,) = lint(shop(egress_to({"name": "db"})), RULE)
    assert "'/db'" in finding.message and finding.suggestion == "add namespace: shop"


@pytest.mark.parametrize("document", [
    egress_to({"name": "db", "namespace": "shop"}),
    egress_to({"name": "db", "namespace": "shop"}, namespace=None),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []
