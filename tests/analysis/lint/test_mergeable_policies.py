"""mergeable-policies: one policy copied into many namespaces."""

from __future__ import annotations

from .support import k8s_policy, lint, only, shop

RULE = "mergeable-policies"
DENY = {"podSelector": {}, "policyTypes": ["Ingress"]}


def _copies(count: int) -> list[dict]:
    return [k8s_policy("deny", DENY, namespace=f"team-{i}") for i in range(count)]


def test_hit():
    findings = lint(shop(*_copies(3)), RULE)
    assert len(findings) == 1
    assert "3 namespaces" in findings[0].message and "GlobalNetworkPolicy" in findings[0].message


def test_miss_below_the_threshold():
    assert lint(shop(*_copies(2)), RULE) == []


def test_threshold_is_an_option():
    assert len(lint(shop(*_copies(2)), RULE, config=only(RULE, **{"min-namespaces": 2}))) == 1


def test_miss_when_specs_differ():
    documents = shop(*_copies(2), k8s_policy("deny", {**DENY, "policyTypes": ["Egress"]}, namespace="team-9"))
    assert lint(documents, RULE) == []
