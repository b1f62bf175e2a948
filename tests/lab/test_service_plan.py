"""Which Service probes the lab sends, without root: a probe per client, entry and backend the engine
names, from that backend's picking source port, with the engine's verdict for that backend."""

from __future__ import annotations

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.path import ServicePaths
from netpolicy.lab.api import client_endpoint
from netpolicy.lab.nft.kubeproxy import ServicePicks
from netpolicy.lab.plan import ProbePlan, SourcePorts
from netpolicy.lab.service_probes import ServiceProbePlanner
from netpolicy.lab.topology import plan_topology
from tests.engine.test_service_path import OBJECTS


def planned():
    cluster = load_documents(OBJECTS)
    topology = plan_topology("t", [*cluster.endpoints, client_endpoint("203.0.113.7")], cluster.nodes)
    evaluator = FlowEvaluator(cluster)
    paths = ServicePaths(cluster, evaluator.ctx.backends)
    picks = ServicePicks(evaluator.ctx.backends, paths.node_of)
    plan = ProbePlan()
    ServiceProbePlanner(topology, evaluator, paths, picks, SourcePorts(set()).take).plan(plan, sctp=False)
    return plan, picks


def test_one_probe_per_backend_from_its_picking_port():
    plan, picks = planned()
    probes = [p for p in plan.probes if p.src == "client 203.0.113.7" and p.via.startswith("NodePort node-a:31000")]
    assert {(p.dst, p.expected) for p in probes} == {("web/app-1", True), ("web/app-0", False)}
    by_address = {str(e.address): e.pick for e in picks.by_port[("web", "web", 6, 80)]}
    assert {p.sport for p in probes} == {by_address["10.244.1.10"], by_address["10.244.2.10"]}
    assert all(p.dst_address == "172.18.0.2" and p.port == 31000 for p in probes)
    assert (6, 8000) in plan.listen and (6, 8080) in plan.listen  # target ports, by name per pod


def test_no_backend_is_one_probe_expected_denied():
    plan, _ = planned()
    dropped = [p for p in plan.probes if p.src == "client 203.0.113.7" and "node-c:31001" in p.via]
    assert len(dropped) == 1 and not dropped[0].expected and "drop" in dropped[0].note


def test_outside_clients_never_probe_a_cluster_ip():
    plan, _ = planned()
    assert not [p for p in plan.probes if p.src == "client 203.0.113.7" and p.via.startswith("ClusterIP")]
    assert [p for p in plan.probes if p.src == "web/client" and p.via.startswith("ClusterIP")]
