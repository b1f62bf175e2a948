"""`netpolicy.io/ignore: rule-a,rule-b` on an object suppresses those findings for it."""

from __future__ import annotations

import pytest

from .support import deployment, k8s_policy, lint, namespace

DENY_SPEC = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def _documents(policy_annotations=None, web_annotations=None) -> list[dict]:
    return [namespace("shop"), deployment("web", annotations=web_annotations), deployment("db"),
            k8s_policy("deny", DENY_SPEC, annotations=policy_annotations)]


def _dns(findings) -> set[str]:
    return {f.message.split(" ")[0] for f in findings if f.rule == "dns-egress-blocked"}


def test_without_annotations_both_are_reported():
    assert _dns(lint(_documents())) == {"shop/web", "shop/db"}


@pytest.mark.parametrize("value", ["dns-egress-blocked", "missing-policy-types, dns-egress-blocked"])
def test_annotation_on_the_policy_suppresses_its_findings(value):
    assert _dns(lint(_documents(policy_annotations={"netpolicy.io/ignore": value}))) == set()


def test_annotation_on_the_workload_suppresses_findings_about_it():
    findings = lint(_documents(web_annotations={"netpolicy.io/ignore": "dns-egress-blocked"}))
    assert _dns(findings) == {"shop/db"}


def test_other_rules_are_not_suppressed():
    findings = lint(_documents(policy_annotations={"netpolicy.io/ignore": "source-port-rule"}))
    assert _dns(findings) == {"shop/web", "shop/db"}
