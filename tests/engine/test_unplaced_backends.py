"""Backends whose node kube-proxy or netpolicy does not know, one table (docs/semantics.md#node-backends).

Sources: the EndpointSlice controller lists every pod the selector picks, hostNetwork ones included, at its pod
IPs (a hostNetwork pod's are its node's) with `nodeName` (`staging/src/k8s.io/endpointslice/reconciler.go`
reconcileByAddressType, `podToEndpoint`); kube-proxy counts an endpoint local only by that field
(`pkg/proxy/endpointslicecache.go` addEndpoints: `isLocal := endpoint.NodeName != nil && cache.isLocal(...)`),
so an endpoint without `nodeName` is in no node's local chain (externalTrafficPolicy and
internalTrafficPolicy Local) and in every cluster chain.
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.backends import ServiceBackends
from tests.engine.test_node_backends import AGENT, AGENT_SERVICE
from tests.engine.test_service_matches import endpoint_slice
from tests.engine.test_service_path import OBJECTS, flow_of, node, service

DAEMON = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "web"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"hostNetwork": True, "containers": [
                                    {"name": "c", "ports": [{"name": "metrics", "containerPort": 9100}]}]}}}}
ONE_NODE = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}, node("node-a", "172.18.0.2"),
            DAEMON, AGENT_SERVICE]
WEB_SLICE = [{"addresses": ["10.244.2.10"], "conditions": {"ready": True}},  # app-0 on node-b, no nodeName
             {"addresses": ["10.244.1.10"], "conditions": {"ready": True}, "nodeName": "node-a"}]
LOCAL_WEB = [*OBJECTS, endpoint_slice("web", "web-local", WEB_SLICE, [{"port": 8000, "protocol": "TCP"}])]
CLUSTER_WEB = [*OBJECTS, endpoint_slice("web", "web", WEB_SLICE, [{"port": 8000, "protocol": "TCP"}])]
ITL = copy.deepcopy(service("web-itl", 31010, ip="10.96.5.7"))
ITL["spec"]["internalTrafficPolicy"] = "Local"
ITL_ON_B = [*OBJECTS, ITL, endpoint_slice("web", "web-itl", WEB_SLICE[:1], [{"port": 8000, "protocol": "TCP"}])]

# (case, objects, source, destination, {backend: verdict}, text in the dropped reason or notes)
CASES = [
    ("a hostNetwork DaemonSet among several nodes: its nodes unknown, said instead of 'rejects'",
     [*OBJECTS, DAEMON, AGENT_SERVICE], "web/client", "svc/web/agent", {}, "runs on nodes the input does not name"),
    ("a hostNetwork pod with its node beside it: that pod judged, the workload named as not judged",
     [*OBJECTS, DAEMON, copy.deepcopy(AGENT), AGENT_SERVICE], "203.0.113.7", "node-b:31020",
     {"web/agent": "allow"}, "not judged: hostNetwork web/DaemonSet/agent"),
    ("a hostNetwork DaemonSet in a one-node input: a backend at the node's address", ONE_NODE, "203.0.113.7",
     "node-a:31020", {"web/agent": "allow"}, ""),
    ("eTP Local: a slice endpoint without nodeName is local to no node (node-b drops)", LOCAL_WEB, "203.0.113.7",
     "node-b:31001", {}, "no endpoint of web/web-local on node node-b"),
    ("eTP Local: one with nodeName is node-a's", LOCAL_WEB, "203.0.113.7", "node-a:31001",
     {"web/app-1": "allow"}, ""),
    ("eTP Cluster: every endpoint, nodeName or not", CLUSTER_WEB, "web/client", "svc/web/web",
     {"web/app-0": "allow", "web/app-1": "allow"}, ""),
    ("iTP Local: a pod beside an endpoint without nodeName has no local endpoint", ITL_ON_B, "node/node-b",
     "svc/web/web-itl", {}, "no ready endpoint of web/web-itl on node node-b"),
]


@pytest.mark.parametrize("case, objects, src, dst, expected, text", CASES, ids=[c[0] for c in CASES])
def test_unplaced_backends(case, objects, src, dst, expected, text):
    flow = flow_of(copy.deepcopy(objects), src, dst, None)
    assert {leg.name: r.verdict for leg, r in flow.legs} == expected
    said = " ".join((flow.dropped, *flow.notes))
    assert text in said, said
    assert flow.verdict == ("allow" if expected and all(v == "allow" for v in expected.values()) else "deny")


def test_unplaced_lists_only_the_selector_path():
    """With EndpointSlices the slices say where the backends are: nothing is unplaced."""
    objects = [*OBJECTS, DAEMON, AGENT_SERVICE]
    backends = ServiceBackends(load_documents(copy.deepcopy(objects)))
    assert [p.id for p in backends.unplaced("web", "agent")] == ["web/agent"]
    sliced = [*objects, endpoint_slice("web", "agent", [{"addresses": ["172.18.0.3"], "nodeName": "node-b"}],
                                       [{"port": 9100, "protocol": "TCP"}])]
    assert ServiceBackends(load_documents(copy.deepcopy(sliced))).unplaced("web", "agent") == ()


def test_matrix_rows_name_the_unplaced_workload():
    """The matrix's Service rows say which hostNetwork workload they could not count, instead of 'rejects'."""
    import io

    from netpolicy.api import matrix
    from netpolicy.engine.service_rows import service_rows
    from netpolicy.render.matrix_services import services_json, write_services_text

    m = matrix(load_documents(copy.deepcopy([*OBJECTS, DAEMON, AGENT_SERVICE])))
    rows = [r for r in service_rows(m) if r.service.name == "agent"]
    (entry,) = services_json(rows, (), m.ctx.backends)
    assert entry["backends"] == 0 and entry["host_network_on_unknown_nodes"] == ["web/agent"]
    text = io.StringIO()
    write_services_text(rows, text, (), m.ctx.backends)
    assert "no ready backend netpolicy can place\n    not counted: hostNetwork web/agent" in text.getvalue()
