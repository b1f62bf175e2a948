"""redundant-policy: policies whose removal changes no verdict."""

from __future__ import annotations

import pytest

from .support import k8s_policy, lint, shop

RULE = "redundant-policy"
ALLOW_ALL_EGRESS = k8s_policy("all-out", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})
ALLOW_DNS = k8s_policy("dns", {"podSelector": {}, "policyTypes": ["Egress"],
                               "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]})
DENY_ALL = k8s_policy("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_hit():
    findings = lint(shop(ALLOW_ALL_EGRESS, ALLOW_DNS), RULE)
    assert [f.object for f in findings] == ["shop/NetworkPolicy/dns"]


@pytest.mark.parametrize("documents", [
    shop(ALLOW_DNS, DENY_ALL),                   # it lets DNS out of the default deny
    shop(ALLOW_DNS),                             # alone, it isolates egress
    shop(ALLOW_ALL_EGRESS, DENY_ALL),            # a default deny has no rules: never reported
])
def test_miss(documents):
    assert lint(documents, RULE) == []
