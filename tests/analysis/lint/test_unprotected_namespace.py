"""unprotected-namespace: workloads no policy isolates in a direction."""

from __future__ import annotations

import pytest

from .support import deployment, k8s_policy, lint, namespace, only, shop

RULE = "unprotected-namespace"


@pytest.mark.parametrize("documents, directions", [
    (shop(), ["ingress", "egress"]),
    (shop(k8s_policy("in", {"podSelector": {}, "policyTypes": ["Ingress"]})), ["egress"]),
    (shop(k8s_policy("db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress", "Egress"]})),
     ["ingress", "egress"]),
])
def test_hit(documents, directions):
    findings = lint(documents, RULE)
    assert [d for d in ("ingress", "egress") if any(f"for {d}" in f.message for f in findings)] == directions
    assert all(f.object == "Namespace/shop" and f.severity == "info" for f in findings)


def test_miss_with_a_default_deny():
    assert lint(shop(k8s_policy("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})), RULE) == []


def test_system_namespaces_are_skipped_and_configurable():
    documents = [namespace("kube-system"), deployment("coredns", namespace="kube-system")]
    assert lint(documents, RULE) == []
    assert len(lint(documents, RULE, config=only(RULE, **{"ignore-namespaces": []}))) == 2
