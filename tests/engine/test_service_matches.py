"""Calico `services` rule matches, one table: the flow evaluator, the matrix and the lab's nft sets agree.

Felix turns `destination.services` into an IP set of every endpoint address × every numbered port of
the Service's EndpointSlices, protocol TCP unless given, ready or not (`felix/serviceindex/
serviceindex.go` `membersFromEndpointSlice`, `felix/calc/rule_scanner.go`); `source.services` into the
addresses alone. Without slices in the input netpolicy takes the pods the Service's selector picks,
targetPort resolved per pod by name and protocol (what the EndpointSlice controller would write).
"""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.backends import ServiceBackends
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.lab.nft.sets import SetRegistry
from netpolicy.model.ir import ServiceRef
from netpolicy.model.protocols import SCTP, TCP, UDP


def ns(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def pod(namespace, name, ip, labels=None, ports=()):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "c", "ports": [
                {"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports]}]},
            "status": {"phase": "Running", "podIP": ip}}


def service(namespace, name, ports, selector=None):
    spec = {"ports": ports, "clusterIP": "10.96.0.50"}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def endpoint_slice(namespace, service_name, endpoints, ports, name=None):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": name or f"{service_name}-x", "namespace": namespace,
                         "labels": {"kubernetes.io/service-name": service_name}},
            "endpoints": endpoints, "ports": ports}


def egress_to_service(name, namespace):
    services = {"name": name, **({"namespace": namespace} if namespace is not None else {})}
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
            "metadata": {"name": "to-svc", "namespace": "app"},
            "spec": {"selector": "app == 'client'", "types": ["Egress"],
                     "egress": [{"action": "Allow", "destination": {"services": services}}]}}


def ingress_from_service(name, namespace):
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
            "metadata": {"name": "from-svc", "namespace": "app"},
            "spec": {"selector": "app == 'client'", "types": ["Ingress"],
                     "ingress": [{"action": "Allow", "source": {"services": {"name": name, "namespace": namespace}}}]}}


BASE = [ns("app"), ns("db"), pod("app", "client", "10.0.0.5", {"app": "client"}),
        pod("db", "pg-0", "10.0.1.10", {"app": "pg"}, [("sql", 5432, "TCP"), ("metrics", 9187, "TCP")]),
        pod("db", "pg-1", "10.0.1.11", {"app": "pg"}, [("sql", 6432, "TCP")]),
        pod("db", "other", "10.0.1.12", {"app": "other"}, [("sql", 5432, "TCP")])]
PG = service("db", "pg", [{"name": "sql", "port": 5432, "targetPort": "sql"}], {"app": "pg"})
DNS = service("db", "dns", [{"name": "dns", "port": 53, "protocol": "UDP"},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP"}], {"app": "other"})

# (case, extra objects, destination, protocol, port, allowed) — egress of app/client; source: Felix file.
EGRESS_CASES = [
    # selector fallback, named targetPort per pod (FindPort): pg-0 on 5432, pg-1 on 6432
    ("named target port, pod 0", [PG], "db/pg-0", TCP, 5432, True),
    ("named target port, pod 0 other port", [PG], "db/pg-0", TCP, 9187, False),
    ("named target port, pod 1", [PG], "db/pg-1", TCP, 6432, True),
    ("named target port, pod 1 service port", [PG], "db/pg-1", TCP, 5432, False),
    ("not selected by the Service", [PG], "db/other", TCP, 5432, False),
    ("external address", [PG], "10.9.9.9", TCP, 5432, False),
    # the docs' allow-kube-dns: the Service's ports only, per protocol
    ("dns UDP 53", [DNS], "db/other", UDP, 53, True),
    ("dns TCP 53", [DNS], "db/other", TCP, 53, True),
    ("dns UDP 54", [DNS], "db/other", UDP, 54, False),
    ("dns TCP 9153", [DNS], "db/other", TCP, 9153, False),
    # EndpointSlices win over the selector: every address × every numbered port (serviceindex.go)
    ("slice port", [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}], [{"port": 7000}])],
     "db/other", TCP, 7000, True),
    ("slice replaces selector", [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}], [{"port": 7000}])],
     "db/pg-0", TCP, 5432, False),
    ("slice protocol defaults to TCP",
     [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}], [{"port": 7000}])], "db/other", UDP, 7000, False),
    ("slice UDP port", [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}],
                                           [{"port": 7000, "protocol": "UDP"}])], "db/other", UDP, 7000, True),
    ("slice SCTP port", [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}],
                                            [{"port": 7000, "protocol": "SCTP"}])], "db/other", SCTP, 7000, True),
    ("not-ready endpoint still matches",
     [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"], "conditions": {"ready": False}}],
                         [{"port": 7000}])], "db/other", TCP, 7000, True),
    ("slice port without number: no member",
     [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}], [{"name": "any"}])], "db/other", TCP, 7000,
     False),
    ("two slices, each its own ports",
     [PG, endpoint_slice("db", "pg", [{"addresses": ["10.0.1.12"]}], [{"port": 7000}], "a"),
      endpoint_slice("db", "pg", [{"addresses": ["10.0.1.10"]}], [{"port": 7001}], "b")], "db/pg-0", TCP, 7000,
     False),
    ("slice address outside every pod (API server)",
     [endpoint_slice("db", "pg", [{"addresses": ["172.18.0.2"]}], [{"port": 6443}])], "172.18.0.2", TCP, 6443, True),
    ("slice address outside every pod, other address",
     [endpoint_slice("db", "pg", [{"addresses": ["172.18.0.2"]}], [{"port": 6443}])], "172.18.0.3", TCP, 6443,
     False),
    ("selector-less Service with hand-made slices",
     [service("db", "pg", [{"port": 80}]), endpoint_slice("db", "pg", [{"addresses": ["10.0.1.11"]}], [{"port": 80}])],
     "db/pg-1", TCP, 80, True),
    ("no Service and no slice: nothing", [], "db/pg-0", TCP, 5432, False),
]


def _verdicts(objects, src, dst, protocol, port):
    cluster = load_documents(objects)
    flow = FlowEvaluator(cluster).evaluate(src, dst, protocol, port).verdict == "allow"
    matrix = compute_matrix(cluster)
    target = cluster.endpoint(dst)
    if target is None:     # an address: the external range that holds it
        address = ipaddress.ip_address(dst)
        target = next(e for e in matrix.externals if any(address in n for n in e.nets))
    source = cluster.endpoint(src)
    bulk = matrix.connections(source, target).allows(protocol, port)
    return flow, bulk


@pytest.mark.parametrize("case, extra, dst, protocol, port, allowed", EGRESS_CASES, ids=[c[0] for c in EGRESS_CASES])
def test_destination_services(case, extra, dst, protocol, port, allowed):
    flow, bulk = _verdicts([*BASE, *extra, egress_to_service("pg" if "dns" not in case else "dns", "db")],
                           "app/client", dst, protocol, port)
    assert (flow, bulk) == (allowed, allowed)


@pytest.mark.parametrize("src, port, allowed", [
    ("db/pg-0", 1, True), ("db/pg-1", 65000, True), ("db/other", 5432, False)])
def test_source_services_match_addresses_on_any_port(src, port, allowed):
    """`source.services`: the backends' addresses, any port (serviceindex.go, includePorts false)."""
    flow, bulk = _verdicts([*BASE, PG, ingress_from_service("pg", "db")], src, "app/client", TCP, port)
    assert (flow, bulk) == (allowed, allowed)


def test_lab_sets_hold_the_same_members():
    """The lab's nft sets are Felix's IP sets: address . protocol . port, and addresses alone."""
    cluster = load_documents([*BASE, PG, DNS])
    registry = SetRegistry(cluster.endpoints, ServiceBackends(cluster))
    ports = registry.service_ports([ServiceRef("db", "pg")], 4)
    addresses = registry.service_addresses([ServiceRef("db", "dns")], 4)
    sets = {s.name: s for s in registry.sets}
    assert sorted(sets[ports].elements) == ["10.0.1.10 . tcp . 5432", "10.0.1.11 . tcp . 6432"]
    assert sets[addresses].elements == ["10.0.1.12"]


def test_port_miss_is_explained():
    cluster = load_documents([*BASE, DNS, egress_to_service("dns", "db")])
    result = FlowEvaluator(cluster).evaluate("app/client", "db/other", TCP, 9153)
    text = " ".join(why for step in result.egress.trace for _, _, why in step.unmatched)
    assert "backs service db/dns on TCP 53, UDP 53, not on TCP 9153" in text
