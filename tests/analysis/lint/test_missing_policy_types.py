"""missing-policy-types: directions left to defaulting."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "missing-policy-types"
EGRESS_RULE = [{"to": [{"podSelector": {}}]}]


@pytest.mark.parametrize("document, severity, says", [
    (k8s_policy("p", {"podSelector": {}}), "info", "[Ingress]"),
    (k8s_policy("p", {"podSelector": {}, "egress": EGRESS_RULE}), "warning", "also isolates ingress"),
    (calico_policy("c", {"selector": "all()", "egress": [{"action": "Allow"}]}), "info", "[Egress]"),
])
def test_hit(document, severity, says):
    findings = lint(shop(document), RULE)
    assert [(f.severity, says in f.message) for f in findings] == [(severity, True)]


@pytest.mark.parametrize("document", [
    k8s_policy("p", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    calico_policy("c", {"selector": "all()", "types": ["Egress"], "egress": [{"action": "Allow"}]}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []
