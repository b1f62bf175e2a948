"""Staged policies never change the verdict; `pending` shows the verdict they would give."""

from __future__ import annotations

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.render.flow_json import flow_json

BASE = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},
     "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}, "status": {"podIP": "10.0.0.1"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "x", "labels": {"app": "b"}},
     "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.0.0.2"}},
]
DENY_INGRESS = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": {"name": "guard", "namespace": "x"},
                "spec": {"selector": "app == 'a'", "types": ["Ingress"]}}


def staged(kind: str, action: str | None, rules: list | None = None) -> dict:
    spec = {"selector": "app == 'a'", "types": ["Ingress"], "ingress": rules or []}
    if action:
        spec["stagedAction"] = action
    if action == "Delete":
        spec = {"stagedAction": "Delete"}
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": {"name": "guard", "namespace": "x"},
            "spec": spec}


ALLOW_ALL = [{"action": "Allow"}]


@pytest.mark.parametrize(("documents", "verdict", "pending"), [
    ([DENY_INGRESS], "deny", None),                                                     # nothing staged
    ([DENY_INGRESS, staged("StagedNetworkPolicy", None, ALLOW_ALL)], "deny", "allow"),  # Set replaces
    ([staged("StagedNetworkPolicy", "Set", [])], "allow", "deny"),                      # Set adds
    ([DENY_INGRESS, staged("StagedNetworkPolicy", "Delete")], "deny", "allow"),         # Delete removes
    ([DENY_INGRESS, staged("StagedNetworkPolicy", "Learn", ALLOW_ALL)], "deny", "deny"),  # Learn: no effect
])
def test_staged_policies_are_pending_only(documents, verdict, pending):
    result = FlowEvaluator(load_documents(BASE + documents)).evaluate("x/b", "x/a", 6, 80)
    assert result.verdict == verdict
    if pending is None:
        assert result.pending is None and "pending" not in flow_json(result)
    else:
        assert result.pending.verdict == pending
        assert flow_json(result)["pending"]["verdict"] == pending
