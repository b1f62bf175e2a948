"""Flows between nodes and pods, one table (docs/semantics.md#nodes; Felix `felix/rules/static.go`:
filterOutputChain returns for workload interfaces, filterWorkloadToHostChain applies
DefaultEndpointToHostAction after the pod's egress; `config_params.go` defaults it to DROP, calico.yaml
and the operator to ACCEPT)."""

from __future__ import annotations

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.node_flow import evaluate_node_flow
from netpolicy.errors import InputError
from netpolicy.model.protocols import TCP
from netpolicy.options import Options
from tests.engine.test_service_path import OBJECTS

DENY_ALL = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny-all", "namespace": "web"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}

# (case, source, destination, action, verdict, egress verdict, ingress verdict)
CASES = [
    ("kubelet probe: node → own pod, never policed", "node/node-b", "web/app-0", "ACCEPT", "allow", "allow", "allow"),
    ("node → pod on another node: the node's address, policed", "node/node-a", "web/app-0", "ACCEPT", "deny",
     "allow", "deny"),
    ("by the node's address, same node", "172.18.0.3", "web/app-0", "ACCEPT", "allow", "allow", "allow"),
    ("pod → own node: egress, then ACCEPT", "web/client", "node/node-a", "ACCEPT", "deny", "deny", "allow"),
    ("pod → own node with DROP", "web/app-1", "node/node-a", "DROP", "deny", "deny", "deny"),
    ("pod → another node: the pod's egress on the node's address", "web/client", "172.18.0.3", "ACCEPT", "deny",
     "deny", "allow"),
]


@pytest.mark.parametrize("case, src, dst, action, verdict, egress, ingress", CASES, ids=[c[0] for c in CASES])
def test_node_flows(case, src, dst, action, verdict, egress, ingress):
    cluster = load_documents([*OBJECTS, DENY_ALL])
    evaluator = FlowEvaluator(cluster, Options(endpoint_to_host_action=action))
    result = evaluate_node_flow(evaluator, src, dst, TCP, 8000, None)
    assert (result.verdict, result.egress.verdict, result.ingress.verdict) == (verdict, egress, ingress)


@pytest.mark.parametrize("action, verdict", [("ACCEPT", "allow"), ("DROP", "deny"), ("RETURN", "allow")])
def test_pod_to_own_node_follows_the_action(action, verdict):
    cluster = load_documents(OBJECTS)
    evaluator = FlowEvaluator(cluster, Options(endpoint_to_host_action=action))
    result = evaluate_node_flow(evaluator, "web/client", "node/node-a", TCP, 10250, None)
    assert result.verdict == verdict and action in result.ingress.trace[0].reason


def test_neither_end_a_node():
    cluster = load_documents(OBJECTS)
    assert evaluate_node_flow(FlowEvaluator(cluster), "web/client", "web/app-0", TCP, 8000, None) is None


def test_unknown_node():
    cluster = load_documents(OBJECTS)
    with pytest.raises(InputError, match="names no node"):
        evaluate_node_flow(FlowEvaluator(cluster), "node/zz", "web/app-0", TCP, 8000, None)


ONE_NODE = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "only"},
             "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.9"}]}},
            *({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "web", "labels": {"app": n}},
               "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running", "podIP": ip}}
              for n, ip in (("db", "10.244.0.5"), ("web", "10.244.0.6"))), DENY_ALL]

# (case, source, destination, verdict): the pods have no spec.nodeName; a one-node input puts them on its
# node (docs/semantics.md#service-paths), whose traffic to them Felix never polices (static.go
# filterOutputChain: "We don't currently police host -> endpoint"); a pod's to it passes its egress
ONE_NODE_CASES = [
    ("node → a pod without spec.nodeName: its own pod", "node/only", "web/db", "allow"),
    ("by the node's address", "172.18.0.9", "web/web", "allow"),
    ("pod → its (only) node: its egress denies", "web/db", "node/only", "deny"),
]


@pytest.mark.parametrize("case, src, dst, verdict", ONE_NODE_CASES, ids=[c[0] for c in ONE_NODE_CASES])
def test_one_node_input_puts_every_pod_on_its_node(case, src, dst, verdict):
    cluster = load_documents(ONE_NODE)
    result = evaluate_node_flow(FlowEvaluator(cluster), src, dst, TCP, 5432, None)
    assert result.verdict == verdict
    assert "own node" in result.egress.trace[0].reason + result.ingress.trace[0].reason


def test_one_function_places_pods_for_flows_paths_and_the_lab():
    """`Cluster.node_of` (node_flow, service_flow, path) and the lab's topology agree on a pod's node."""
    from netpolicy.lab.topology import plan_topology

    cluster = load_documents(ONE_NODE)
    db = cluster.endpoint("web/db")
    assert db.node is None and cluster.node_of(db) == "only"
    topology = plan_topology("t", cluster.endpoints, cluster.nodes)
    assert topology.host("web/db").parent == topology.nodes[0].netns and topology.nodes[0].name == "only"
    two = load_documents([*OBJECTS, *ONE_NODE[2:4]])
    assert two.node_of(two.endpoint("web/db")) is None  # several nodes: unknown
