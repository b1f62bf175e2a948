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


@pytest.mark.parametrize("total, open_, direction, expected", [
    (1, ["shop/web"], "ingress",
     "its only workload is not isolated for ingress; shop/web accepts any incoming connection"),
    (3, ["shop/a", "shop/b", "shop/c"], "ingress",
     "none of its 3 workloads is isolated for ingress; shop/a, shop/b, shop/c accept any incoming connections"),
    (3, ["shop/a", "shop/b"], "egress", "1 of its 3 workloads is isolated for egress; shop/a, shop/b may open any "
                                        "outgoing connection"),
    (3, ["shop/a"], "ingress", "2 of its 3 workloads are isolated for ingress; shop/a accepts any incoming connection"),
])
def test_the_message_reads_as_english(total, open_, direction, expected):
    from netpolicy.analysis.lint.rules.unprotected_namespace import _isolation_text

    assert _isolation_text(total, open_, ", ".join(open_), direction) == expected
