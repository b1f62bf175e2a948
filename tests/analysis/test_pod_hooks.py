"""`test`, `diff` and `lint` read the matrix, which applies host endpoint hooks to pod cells: they agree with
`query` on Calico's "Apply policy to Kubernetes node ports" walkthrough, whose preDNAT policy drops
outside traffic sent straight to a pod's address (docs/semantics.md#pod-entry; `felix/rules/static.go`
StaticManglePreroutingChain dispatches on the ingress interface, whatever the destination).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from netpolicy import api
from netpolicy.analysis.expectations.check import FAIL, PASS, check_expectations
from netpolicy.analysis.expectations.load import load_suites
from netpolicy.api import load_documents
from netpolicy.model.protocols import TCP
from tests.engine import test_host_path as host_path

WALKTHROUGH = [*host_path.CLUSTER, *host_path.WALKTHROUGH]


@pytest.mark.parametrize("expect, status", [("deny", PASS), ("allow", FAIL)])
def test_expectations_see_the_pre_dnat_policy(tmp_path, expect, status):
    path = tmp_path / "expect.yaml"
    path.write_text(yaml.safe_dump({"expectations": [
        {"name": "outside to the pod", "from": {"external": "203.0.113.0/24"}, "to": {"endpoint": "web/app"},
         "protocol": "TCP", "ports": 8080, "expect": expect}]}))
    cluster = load_documents(copy.deepcopy(WALKTHROUGH))
    (outcome,) = check_expectations(cluster, load_suites([str(path)])).outcomes
    assert outcome.status == status, outcome
    query = api.query(cluster, "203.0.113.7", "web/app", "TCP", 8080)
    assert query.verdict == "deny"
    if status == FAIL:  # the failure's trace is query's, the preDNAT step included
        flow = outcome.failures[0].flow
        assert flow.verdict == "deny" and any("[preDNAT]" in s.reason for s in flow.ingress.trace)


def test_diff_reports_what_the_pre_dnat_policy_blocks():
    before = load_documents(copy.deepcopy(host_path.CLUSTER))
    after = load_documents(copy.deepcopy(WALKTHROUGH))
    result = api.diff(before, after)
    blocked = [c for c in result.changes if c.newly_blocked.allows(TCP, 8080, 40000)
               and any(d.id == "web/app" for d in c.destinations.members)]
    assert blocked, [(c.sources.representative.id, c.destinations.representative.id) for c in result.changes]
    because = blocked[0].blocked_because[0]
    assert because.after.verdict == "deny"
    assert "allow-cluster-internal-ingress-only" in " ".join(str(s.policy) for s in because.after.ingress.trace)
