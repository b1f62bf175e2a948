"""hostNetwork pods: no workload endpoint (Calico's CNI plugin is never called for them, so Felix has no
endpoint and no NetworkPolicy applies); their traffic is their node's: the node's address, host endpoint
policy, and "host → local workload" is never policed (`felix/rules/static.go` filterOutputChain;
docs/semantics.md#nodes)."""

from __future__ import annotations

import pytest

from netpolicy.analysis.endpoint_list import list_host_network
from netpolicy.api import load_documents, matrix
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.node_flow import evaluate_node_flow
from netpolicy.errors import InputError
from netpolicy.model.protocols import TCP
from tests.engine.test_host_hooks import hep
from tests.engine.test_service_path import OBJECTS


def host_pod(name, node, labels):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "web", "labels": labels},
            "spec": {"nodeName": node, "hostNetwork": True, "containers": [{"name": "c", "ports": [{"containerPort": 9100}]}]},
            "status": {"phase": "Running", "podIP": "172.18.0.2"}}


EXPORTER = host_pod("exporter", "node-a", {"app": "exporter"})
AGENT = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "web"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}},
                               "spec": {"hostNetwork": True, "containers": [{"name": "c"}]}}}}
ON_EXPORTER = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "exporter-ingress", "namespace": "web"},
               "spec": {"podSelector": {"matchLabels": {"app": "exporter"}}, "policyTypes": ["Ingress"]}}
CLUSTER = [*OBJECTS, EXPORTER, AGENT, ON_EXPORTER]


def test_loaded_as_host_network_not_as_endpoints():
    cluster = load_documents(CLUSTER)
    assert [(p.id, p.kind, p.node) for p in cluster.host_network_pods] == [
        ("web/agent", "DaemonSet", None), ("web/exporter", "Pod", "node-a")]
    assert cluster.endpoint("web/exporter") is None
    assert "web/exporter" not in {e.id for e in matrix(cluster).endpoints}
    rows = {row.pod.id: row.selected_by for row in list_host_network(cluster)}
    assert rows == {"web/agent": (), "web/exporter": ("web/exporter-ingress",)}


# (case, extra, source, destination, verdict, a fragment of the trace or notes)
CASES = [
    ("to a hostNetwork pod: its node, the NetworkPolicy selecting it has no effect", [], "web/client",
     "web/exporter", "allow", "hostNetwork Pod"),
    ("... the node's host endpoint governs it", [hep("node-a", "172.18.0.2")], "203.0.113.7", "web/exporter",
     "deny", "no profile"),
    ("from a hostNetwork pod to a pod on its node: never policed", [], "web/exporter", "web/app-1", "allow",
     "never policed"),
    ("from a hostNetwork pod to another node's pod: the node's address", [], "web/exporter", "web/app-0",
     "deny", "172.18.0.2"),
]


@pytest.mark.parametrize("case, extra, src, dst, verdict, fragment", CASES, ids=[c[0] for c in CASES])
def test_host_network_flows(case, extra, src, dst, verdict, fragment):
    cluster = load_documents([*CLUSTER, *extra])
    result = evaluate_node_flow(FlowEvaluator(cluster), src, dst, TCP, 9100 if dst == "web/exporter" else 8000, None)
    assert result.verdict == verdict
    text = " ".join([*result.notes, *(s.reason for side in (result.egress, result.ingress) for s in side.trace)])
    assert fragment in text, text


def test_a_host_network_workload_has_no_one_node():
    with pytest.raises(InputError, match="runs on many nodes"):
        evaluate_node_flow(FlowEvaluator(load_documents(CLUSTER)), "web/agent", "web/app-0", TCP, 8000, None)
