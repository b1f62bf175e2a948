"""The matrix's nodePort rows on seeded random clusters: every cell, computed from the side tables, equals
what `query --to <node>:<nodePort>` answers (docs/semantics.md#service-rows)."""

from __future__ import annotations

import ipaddress
import random

import pytest

from netpolicy.api import load_documents, matrix
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.path import ServicePaths
from netpolicy.engine.service_flow import evaluate_service
from netpolicy.engine.service_lb_rows import node_port_rows
from tests.engine.test_lb_rows import sources
from tests.engine.test_service_path import node, pod

TCP = 6
CIDRS = ["172.18.0.0/30", "172.18.0.4/32", "10.244.0.0/16", "203.0.113.0/24", "0.0.0.0/0"]


def cluster(seed: int) -> list[dict]:
    """Three nodes, a dozen pods (some off every node), a Cluster and a Local NodePort Service, random
    policies with pod selectors and ipBlocks on both sides."""
    rng = random.Random(seed)
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}]
    objects += [node(f"node-{i}", f"172.18.0.{i + 2}") for i in range(3)]
    for i in range(12):
        where = rng.choice(["node-0", "node-1", "node-2", None])
        address = f"10.244.{i}.10" if i < 10 else f"203.0.113.{i}"
        objects.append(pod(f"p{i}", address, where, {"app": rng.choice(["web", "api", "client"])}, 8080))
    for name, policy, port in (("web", "Cluster", 31000), ("web-local", "Local", 31001)):
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "web"},
                        "spec": {"type": "NodePort", "selector": {"app": rng.choice(["web", "api"])},
                                 "externalTrafficPolicy": policy,
                                 "ports": [{"port": 80, "targetPort": "http", "nodePort": port}]}})
    for i in range(4):
        peers = [{"ipBlock": {"cidr": rng.choice(CIDRS)}}, {"podSelector": {"matchLabels": {"app": "client"}}}]
        spec = {"podSelector": {"matchLabels": {"app": rng.choice(["web", "api", "client"])}},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": rng.sample(peers, rng.randint(1, 2)), "ports": [{"port": rng.choice([80, 8080])}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": rng.choice(CIDRS)}}],
                            "ports": [{"port": rng.choice([8080, 31000, 31001])}]}]}
        objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "metadata": {"name": f"np{i}", "namespace": "web"}, "spec": spec})
    return objects


@pytest.mark.parametrize("seed", range(6))
def test_every_cell_is_querys_answer(seed):
    m = matrix(load_documents(cluster(seed)))
    loaded = load_documents(cluster(seed))
    evaluator = FlowEvaluator(loaded)
    paths = ServicePaths(loaded, evaluator.ctx.backends)
    rows = node_port_rows(m)
    assert len(rows) == 6
    for row in rows:
        entry = paths.entry(f"{row.node}:{row.port.node_port}", TCP, None)
        assert not row.not_judged
        for source, ref in sources(m, ipaddress.ip_address(row.address).version):
            query = evaluate_service(evaluator, paths, ref, row.service.id, entry, TCP)
            allowed = sum(r.verdict == "allow" for _, r in query.legs)
            assert row.reached.get(source, 0) == allowed, (row.node, row.port.node_port, source, query.dropped)
            if allowed:
                assert row.candidates[source] == len(query.legs), source
