"""Service-level connectivity, one table of small clusters asked through every command: the matrix's
Service rows, `query` to the Service, `test` expectations to it, `diff` against the open cluster, and
lint's unreachable-service must agree on each (docs/semantics.md#service-rows).

Semantics (kube-proxy `pkg/proxy/nftables/proxier.go` `syncProxyRules`: a ClusterIP connection is DNATed
to one ready endpoint; Felix judges the translated packet): a source reaches a Service port when it
reaches every ready backend on its target port; some: partial; none: not listed.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from netpolicy.analysis.diff.compute import semantic_diff
from netpolicy.analysis.expectations.check import check_expectations
from netpolicy.analysis.expectations.load import load_suites
from netpolicy.api import lint, load_documents, matrix
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.path import ServicePaths
from netpolicy.engine.service_flow import evaluate_service
from netpolicy.engine.service_rows import service_rows
from netpolicy.model.protocols import TCP


def pod(name, ip, labels, node):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "web", "labels": labels},
            "spec": {"nodeName": node, "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip}}


def netpol(name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "web"}, "spec": spec}


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "web"},
           "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.5.5",
                    "ports": [{"port": 80, "targetPort": "http"}]}}
BASE = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
        pod("a0", "10.244.1.10", {"app": "web", "v": "0"}, "node-a"),
        pod("a1", "10.244.2.10", {"app": "web", "v": "1"}, "node-b"),
        pod("client", "10.244.1.5", {"app": "client"}, "node-a"),
        pod("other", "10.244.2.5", {"app": "other"}, "node-b"), SERVICE]
FROM_CLIENT = netpol("web-in", {"podSelector": {"matchLabels": {"app": "web"}},
                                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                                             "ports": [{"port": 8080}]}]})
FROM_CLIENT_TO_A1 = netpol("a1-in", {"podSelector": {"matchLabels": {"v": "1"}},
                                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]})
A0_CLOSED = netpol("a0-closed", {"podSelector": {"matchLabels": {"v": "0"}}, "policyTypes": ["Ingress"]})
SERVICE_PORT = netpol("web-port-80", {"podSelector": {"matchLabels": {"app": "web"}},
                                      "ingress": [{"ports": [{"port": 80}]}]})
NOT_TO_A1 = netpol("client-not-a1", {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                                     "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                                     "except": ["10.244.2.10/32"]}}]}]})
TO_CLUSTER_IP = netpol("client-to-vip", {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                                         "egress": [{"to": [{"ipBlock": {"cidr": "10.96.5.5/32"}}]}]})
TARGET_8081 = {**SERVICE, "spec": {**SERVICE["spec"], "ports": [{"port": 80, "targetPort": 8081}]}}
SOURCES = ("web/client", "web/other", "web/a0")

# (case, objects, {source: allow | partial | None}, lint unreachable-service fires)
CASES = [
    ("open cluster: every source reaches every backend", BASE, {s: "allow" for s in SOURCES}, False),
    ("backends admit the client on the target port", [*BASE, FROM_CLIENT],
     {"web/client": "allow", "web/other": None, "web/a0": None}, False),
    ("one backend closed: partial", [*BASE, FROM_CLIENT_TO_A1, A0_CLOSED],
     {"web/client": "partial", "web/other": None, "web/a0": None}, False),
    ("a policy on the Service port, not the target port: unreachable", [*BASE, SERVICE_PORT],
     {s: None for s in SOURCES}, True),
    ("the client's egress excludes one backend: partial", [*BASE, NOT_TO_A1],
     {"web/client": "partial", "web/other": "allow", "web/a0": "allow"}, False),
    ("an egress ipBlock on the ClusterIP matches nothing after DNAT", [*BASE, TO_CLUSTER_IP],
     {"web/client": None, "web/other": "allow", "web/a0": "allow"}, False),
    ("only the Service changes: targetPort 8081 where the policy admits 8080", [*BASE[:-1], TARGET_8081, FROM_CLIENT],
     {s: None for s in SOURCES}, True),
]


def rows_of(cluster):
    (row,) = service_rows(matrix(cluster))
    return row


@pytest.mark.parametrize("case, objects, expected, unreachable", CASES, ids=[c[0] for c in CASES])
def test_matrix_rows(case, objects, expected, unreachable):
    row = rows_of(load_documents(copy.deepcopy(objects)))
    assert {s: row.verdict(s) for s in SOURCES} == expected
    assert len(row.backends) == 2


@pytest.mark.parametrize("case, objects, expected, unreachable", CASES, ids=[c[0] for c in CASES])
def test_query_agrees(case, objects, expected, unreachable):
    cluster = load_documents(copy.deepcopy(objects))
    row = rows_of(cluster)
    evaluator = FlowEvaluator(cluster)
    paths = ServicePaths(cluster, evaluator.ctx.backends)
    for source in SOURCES:
        flow = evaluate_service(evaluator, paths, source, "svc/web/web", paths.entry("svc/web/web", TCP, None), TCP)
        assert (flow.verdict == "allow") == (expected[source] == "allow"), source
        assert sum(r.verdict == "allow" for _, r in flow.legs) == row.reached.get(source, 0), source


@pytest.mark.parametrize("case, objects, expected, unreachable", CASES, ids=[c[0] for c in CASES])
def test_expectations_agree(case, objects, expected, unreachable, tmp_path):
    items = [{"name": f"{source} {expect}", "from": {"endpoint": source}, "to": {"service": "web/web"},
              "expect": expect} for source in SOURCES for expect in ("allow", "deny")]
    path = tmp_path / "expect.yaml"
    path.write_text(yaml.safe_dump({"expectations": items}))
    report = check_expectations(load_documents(copy.deepcopy(objects)), load_suites([str(path)]))
    passed = {o.expectation.name: o.passed for o in report.outcomes}
    for source in SOURCES:
        assert passed[f"{source} allow"] == (expected[source] == "allow"), source
        assert passed[f"{source} deny"] == (expected[source] is None), source


@pytest.mark.parametrize("case, objects, expected, unreachable", CASES, ids=[c[0] for c in CASES])
def test_diff_agrees(case, objects, expected, unreachable):
    result = semantic_diff(load_documents(copy.deepcopy(BASE)), load_documents(copy.deepcopy(objects)), explain=False)
    changed = {s: (c.before, c.after) for c in result.services for s in c.sources if s in SOURCES}
    assert changed == {s: ("allow", v or "none") for s, v in expected.items() if v != "allow"}


@pytest.mark.parametrize("case, objects, expected, unreachable", CASES, ids=[c[0] for c in CASES])
def test_lint_agrees(case, objects, expected, unreachable):
    findings = [f for f in lint(load_documents(copy.deepcopy(objects)), config=None) if f.rule == "unreachable-service"]
    assert bool(findings) == unreachable
    if unreachable:
        assert not rows_of(load_documents(copy.deepcopy(objects))).reached
