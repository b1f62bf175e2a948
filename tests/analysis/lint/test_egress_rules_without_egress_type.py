"""egress-rules-without-egress-type: rules of a direction the declared types leave out."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "egress-rules-without-egress-type"


@pytest.mark.parametrize("document, field", [
    (k8s_policy("p", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]}), "spec.egress"),
    (k8s_policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}], "egress": [{}]}), "spec.ingress"),
    (calico_policy("c", {"selector": "all()", "types": ["Ingress"], "egress": [{"action": "Allow"}]}), "spec.egress"),
])
def test_hit(document, field):
    findings = lint(shop(document), RULE)
    assert len(findings) == 1
    assert findings[0].severity == "error"
    assert f"{field.split('.')[1]} rule" in findings[0].message


@pytest.mark.parametrize("document", [
    k8s_policy("p", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [{}]}),
    k8s_policy("p", {"podSelector": {}, "egress": [{}]}),   # no policyTypes: Egress is implied
    calico_policy("c", {"selector": "all()", "egress": [{"action": "Allow"}]}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []
