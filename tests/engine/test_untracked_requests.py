"""An untracked request to a Service address is never DNATed: doNotTrack Allow marks it NOTRACK before
conntrack, and NAT needs a conntrack entry (`net/netfilter/nf_nat_core.c` nf_nat_inet_fn accepts a packet
without one unchanged), so kube-proxy's nat rules never see it and it reaches no backend, reply rule or
not (docs/semantics.md#host-endpoint-hooks; lint `untracked-service-request`). One table: every kind of
Service address, into a node (raw PREROUTING) and from the node itself (raw OUTPUT)."""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.lint import run_lint
from netpolicy.api import load_documents
from tests.engine.test_host_hooks import allow, untracked
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_path import OBJECTS, flow_of

NOT_DNATED = "not DNATed"


def both_ways(port: int, direction: str = "Ingress") -> dict:
    """A doNotTrack Allow of requests to `port` in `direction`, with the rule for their replies."""
    request, reply = allow(ports=[port]), allow(source_ports=[port])
    ingress, egress = (request, reply) if direction == "Ingress" else (reply, request)
    return untracked(f"raw-{direction.lower()}-{port}", ingress=[ingress], egress=[egress])


# (case, doNotTrack policy, source, destination, port, fragment of every leg's trace: each leg is denied)
CASES = [
    ("from outside to a NodePort", both_ways(31000), "203.0.113.7", "node-a:31000", None),
    ("from outside to a LoadBalancer IP", both_ways(80), "203.0.113.7", "198.51.100.10", 80),
    ("from outside to an external IP", both_ways(80), "203.0.113.7", "198.51.100.20", 80),
    ("a pod to another node's NodePort: untracked on arrival there", both_ways(31000), "web/client", "node-b:31000",
     None),
    ("a node to a ClusterIP: raw OUTPUT untracks it before nat OUTPUT", both_ways(80, "Egress"), "node/node-a",
     "svc/web/web", None),
]


@pytest.mark.parametrize("case, policy, src, dst, port", CASES, ids=[c[0] for c in CASES])
def test_untracked_requests_reach_no_backend(case, policy, src, dst, port):
    flow = flow_of([*copy.deepcopy(OBJECTS), *copy.deepcopy(HEPS), policy], src, dst, port)
    assert flow.legs and {r.verdict for _, r in flow.legs} == {"deny"}
    for _, result in flow.legs:
        text = " ".join(s.reason for s in (*result.egress.trace, *result.ingress.trace))
        assert NOT_DNATED in text, text


@pytest.mark.parametrize("case, policy, src, dst, port", CASES, ids=[c[0] for c in CASES])
def test_without_the_untracked_request_a_leg_gets_through(case, policy, src, dst, port):
    flow = flow_of([*copy.deepcopy(OBJECTS), *copy.deepcopy(HEPS)], src, dst, port)
    assert "allow" in {r.verdict for _, r in flow.legs}


@pytest.mark.parametrize("case, policy, src, dst, port", CASES, ids=[c[0] for c in CASES])
def test_lint_names_the_rule_query_denies(case, policy, src, dst, port):
    cluster = load_documents([*copy.deepcopy(OBJECTS), *copy.deepcopy(HEPS), copy.deepcopy(policy)])
    findings = [f for f in run_lint(cluster) if f.rule == "untracked-service-request"]
    assert findings and all(policy["metadata"]["name"] in f.message for f in findings)
