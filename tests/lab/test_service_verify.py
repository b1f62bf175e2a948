"""`lab verify` on Services (root only): nodes as namespaces, kube-proxy's nftables NAT, the host
endpoint's preDNAT and applyOnForward chains, every backend probed, compared with the engine per backend.

One lab per input, shared by the module's tests. The inputs are the engine's own tables
(tests/engine/test_service_path.py: three nodes, eTP Cluster and Local, LoadBalancer and external IPs;
tests/engine/test_host_path.py: Calico's "Apply policy to Kubernetes node ports" walkthrough) and the
trojanwall example with and without its preDNAT office-range policy.
"""

from __future__ import annotations

import copy

import pytest

from netpolicy import api
from netpolicy.api import load_cluster, load_documents
from netpolicy.lab import api as lab
from netpolicy.lab.environment import missing_requirement
from netpolicy.render.lab_json import disagreement_json
from tests.engine import test_host_path as host_path
from tests.engine.test_service_path import OBJECTS
from tests.lab.probing import PROBE_TIMEOUT

pytestmark = pytest.mark.usefixtures("lab_ready")

EXAMPLE = "examples/trojanwall"


def verify(cluster, clients):
    reason = missing_requirement()
    if reason:
        pytest.skip(f"needs the real kernel: {reason}")
    return lab.verify(cluster, api.matrix(cluster), clients=clients, timeout=PROBE_TIMEOUT)


def reached(report, client, via):
    """backend → kernel result of each probe from `client` through `via` (an entry's description prefix)."""
    return {s["to"]: s["kernel"] for s in report.services if s["from"] == client and s["via"].startswith(via)}


@pytest.fixture(scope="module")
def paths_report():
    return verify(load_documents(OBJECTS), ["203.0.113.7", "198.51.100.99"])


# doNotTrack Allow for one range on the allowed NodePort: untracked, so never DNATed (no backend)
UNTRACKED_NODE_PORT = host_path.gnp("untracked-nodeport", {
    "order": 1, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["198.51.100.0/24"]},
                 "destination": {"ports": [31852]}}]})


@pytest.fixture(scope="module")
def walkthrough_report():
    objects = host_path.CLUSTER + host_path.WALKTHROUGH + [host_path.nodeport("other", 31853), UNTRACKED_NODE_PORT]
    return verify(load_documents(objects), ["203.0.113.7", "172.18.5.5", "198.51.100.7"])


def test_node_port_cluster_masquerades_across_nodes(paths_report):
    # entry node-a: app-1 is on node-a and sees the client (allowed by the ipBlock); app-0 is on node-b
    # and sees node-a's address (the ipBlock no longer matches)
    assert reached(paths_report, "client 203.0.113.7", "NodePort node-a:31000") == {
        "web/app-1": "allowed", "web/app-0": "denied"}
    assert reached(paths_report, "client 203.0.113.7", "NodePort node-b:31000") == {
        "web/app-0": "allowed", "web/app-1": "denied"}


def test_node_port_local_keeps_the_client_and_the_nodes_own_endpoints(paths_report):
    assert reached(paths_report, "client 203.0.113.7", "NodePort node-a:31001") == {"web/app-1": "allowed"}
    assert reached(paths_report, "client 203.0.113.7", "NodePort node-b:31001") == {"web/app-0": "allowed"}
    # node-c has no endpoint: kube-proxy drops
    assert set(reached(paths_report, "client 203.0.113.7", "NodePort node-c:31001").values()) == {"denied"}


def test_cluster_ip_load_balancer_and_external_ip_from_a_pod(paths_report):
    assert reached(paths_report, "web/client", "ClusterIP 10.96.5.5") == {"web/app-0": "allowed",
                                                                         "web/app-1": "allowed"}
    # from node-a: masqueraded to node-a for node-b's backend
    assert reached(paths_report, "web/client", "LoadBalancer 198.51.100.10") == {"web/app-1": "allowed",
                                                                                "web/app-0": "denied"}
    assert reached(paths_report, "web/client", "externalIP 198.51.100.20") == {"web/app-1": "allowed",
                                                                              "web/app-0": "denied"}


def test_load_balancer_from_outside_reaches_each_backend_on_its_node(paths_report):
    # the uplink plays the load balancer: each connection to its backend's node, the client kept
    for via in ("LoadBalancer 198.51.100.10", "externalIP 198.51.100.20"):
        assert reached(paths_report, "client 203.0.113.7", via) == {"web/app-0": "allowed", "web/app-1": "allowed"}
        assert reached(paths_report, "client 198.51.100.99", via) == {"web/app-0": "denied", "web/app-1": "denied"}


def remote_local_short_circuit(d) -> bool:
    """A pod to another node's Local NodePort whose backend is not on that node."""
    p = d.probe
    return p.src == "web/client" and "31001" in p.via and (
        ("node-b" in p.via and p.dst == "web/app-1") or "node-c" in p.via)


def test_every_service_probe_agrees(paths_report):
    assert paths_report.services and paths_report.ok, [disagreement_json(d) for d in paths_report.disagreements]
    assert len(paths_report.services) >= 60


def test_pod_to_a_remote_local_node_port_agrees(paths_report):
    """Another node's Local NodePort DNATs a pod's packet without masquerade ("short-circuit pod traffic"):
    the backend on that node answers, one elsewhere replies around the translating node and fails."""
    assert not [d for d in paths_report.disagreements if remote_local_short_circuit(d)]
    assert reached(paths_report, "web/client", "NodePort node-b:31001") == {"web/app-0": "allowed",
                                                                           "web/app-1": "denied"}
    assert set(reached(paths_report, "web/client", "NodePort node-c:31001").values()) == {"denied"}


def test_walkthrough_node_ports(walkthrough_report):
    assert reached(walkthrough_report, "client 203.0.113.7", "NodePort node1:31852") == {"web/app": "allowed"}
    assert reached(walkthrough_report, "client 203.0.113.7", "NodePort node1:31853") == {"web/app": "denied"}
    assert reached(walkthrough_report, "client 172.18.5.5", "NodePort node1:31853") == {"web/app": "allowed"}
    assert set(reached(walkthrough_report, "client 198.51.100.7", "NodePort node1:31852").values()) == {"denied"}
    # to the node itself: preDNAT's Allow (cluster-internal range) skips the INPUT policy, which would
    # drop it (the host endpoint has no ingress policy and no profile); outside sources are denied
    assert node_result(walkthrough_report, "client 172.18.5.5", 9) == {"allowed"}
    assert node_result(walkthrough_report, "client 203.0.113.7", 9) == {"denied"}
    assert not [d for d in walkthrough_report.disagreements if d.probe.via]


def test_walkthrough_outside_to_pod_agrees(walkthrough_report):
    """preDNAT policy judges every packet arriving on the host endpoint, outside traffic straight to a pod's
    address included (the walkthrough's deny-all-but-cluster policy drops it), as `query` says."""
    assert walkthrough_report.ok, [disagreement_json(d) for d in walkthrough_report.disagreements]


FIXED_UNTRACKED = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: kubelet-untracked}
spec:
  order: 10
  doNotTrack: true
  applyOnForward: true
  selector: has(kubernetes-host)
  types: [Ingress, Egress]
  ingress:
    - {action: Allow, protocol: TCP, source: {nets: [203.0.113.0/24]}, destination: {ports: [10250]}}
  egress:
    - {action: Allow, protocol: TCP, source: {ports: [10250]}}
"""


@pytest.fixture(scope="module", params=["article", "office-only", "untracked", "untracked-fixed"])
def trojanwall(request, tmp_path_factory):
    """The example's NodePort and kubelet: the article's policies, the preDNAT office-range policy, and the
    doNotTrack kubelet policy as written (no reply rule) and fixed."""
    extra = {"article": [], "office-only": ["nodeport-policies"],
             "untracked": ["nodeport-policies", "untracked-policies"]}.get(request.param)
    files = [f"{EXAMPLE}/{d}" for d in ("manifests", "nodes", "fixed-policies", *(["nodeport-policies"] if extra is None else extra))]
    if extra is None:
        fixed = tmp_path_factory.mktemp("untracked") / "kubelet-untracked.yaml"
        fixed.write_text(FIXED_UNTRACKED)
        files.append(str(fixed))
    return request.param, verify(load_cluster(files), ["203.0.113.7", "198.51.100.20"])


def node_result(report, client, port):
    return {n["kernel"] for n in report.nodes if n["from"] == client and n["port"] == port}


def test_trojanwall_node_port_and_kubelet(trojanwall):
    case, report = trojanwall
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    via = "NodePort trojanwall-node:31000"
    outside = "allowed" if case == "article" else "denied"
    assert set(reached(report, "client 203.0.113.7", via).values()) == {outside}
    assert set(reached(report, "client 198.51.100.20", via).values()) == {"allowed"}
    kubelet = {"untracked": {"denied"}, "untracked-fixed": {"allowed"}}.get(case)
    if kubelet:  # the untracked request's reply needs its own doNotTrack rule
        assert node_result(report, "client 203.0.113.7", 10250) == kubelet


def test_trojanwall_node_to_its_pods_agrees(trojanwall):
    """The example's pods have no spec.nodeName: on its only node (`Cluster.node_of`), whose traffic to
    them Felix never polices (filter OUTPUT returns for workload interfaces)."""
    assert trojanwall[1].ok


def test_nodes_to_every_node_port_load_balancer_and_external_ip(paths_report):
    """Each node → every NodePort, LoadBalancer and external IP, per backend (docs/semantics.md#service-fields):
    its own NodePort and the VIPs translated in its nat OUTPUT to every endpoint (eTP Local: short-circuit
    local traffic), its own pod unpoliced; another node's NodePort translated there."""
    assert paths_report.ok, [disagreement_json(d) for d in paths_report.disagreements]
    assert reached(paths_report, "node/node-a", "NodePort node-a:31001") == {"web/app-1": "allowed",
                                                                            "web/app-0": "denied"}
    assert reached(paths_report, "node/node-b", "LoadBalancer 198.51.100.10") == {"web/app-0": "allowed",
                                                                                 "web/app-1": "denied"}
    assert set(reached(paths_report, "node/node-a", "NodePort node-c:31001").values()) == {"denied"}
    froms = {s["via"].split(" ")[0] for s in paths_report.services if s["from"].startswith("node/")}
    assert froms == {"ClusterIP", "NodePort", "LoadBalancer", "externalIP"}


@pytest.mark.parametrize("denied", ["10.244.0.0/16", "172.18.0.3/32"])
def test_nodes_to_services_under_host_endpoint_egress_policy(denied):
    """Host endpoint egress policy on node-a/node-b: a node's own DNATed connection (its NodePort, a VIP) is
    judged in mangle POSTROUTING on the interface after DNAT (filter OUTPUT skips DNATed packets): out eth0
    to node-b's pod, never to its own pod; another node's NodePort is judged as sent (`static.go`
    filterOutputChain, StaticManglePostroutingChain)."""
    from tests.engine.test_node_service_client import NODES, hep_egress_deny
    from tests.engine.test_pod_entry import HEPS

    report = verify(load_documents([*NODES, *HEPS, hep_egress_deny(denied)]), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    expected = ({"web/app-0": "denied", "web/app-1": "allowed"} if denied.startswith("10.") else
                {"web/app-0": "allowed", "web/app-1": "allowed"})
    assert reached(report, "node/node-a", "LoadBalancer 198.51.100.10") == expected
    assert reached(report, "node/node-a", "NodePort node-a:31000") == expected


def open_host_endpoints() -> list[dict]:
    """A host endpoint on each node's eth0 with the default-allow profile."""
    heps = []
    for name, address in (("node-a", "172.18.0.2"), ("node-b", "172.18.0.3"), ("node-c", "172.18.0.4")):
        hep = host_path.hep(f"{name}-eth0", "eth0", node=name, ips=(address,))
        hep["spec"]["profiles"] = ["projectcalico-default-allow"]
        heps.append(hep)
    return heps


def test_three_nodes_with_host_endpoints_and_a_pre_dnat_node_port_range():
    """Each node's eth0 has a host endpoint; NodePorts only for the office range, before DNAT."""
    heps = open_host_endpoints()
    office = host_path.gnp("nodeports-office", {
        "order": 10, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
        "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["203.0.113.0/24"]},
                     "destination": {"ports": ["30000:32767"]}},
                    {"action": "Deny", "protocol": "TCP", "destination": {"ports": ["30000:32767"]}}]})
    report = verify(load_documents([*OBJECTS, *heps, office]), ["203.0.113.7", "198.51.100.99"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert reached(report, "client 203.0.113.7", "NodePort node-a:31000") == {"web/app-1": "allowed",
                                                                             "web/app-0": "denied"}
    assert set(reached(report, "web/client", "NodePort node-b:31000").values()) == {"denied"}
    assert report.nodes and len(report.services) >= 60


def test_hairpin_a_pod_reaching_itself_through_its_cluster_ip():
    """kube-proxy masquerades the hairpin ("traffic that loops back to the originator"): with no node
    address in the input the lab gives the node a spare one, as masquerade needs some address."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},
           "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
           "status": {"phase": "Running", "podIP": "10.0.0.1"}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"},
               "spec": {"selector": {"app": "a"}, "clusterIP": "10.96.0.5", "ports": [{"port": 80, "targetPort": 8080}]}}
    report = verify(load_documents([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}, pod,
                                    service]), [])
    assert report.ok and reached(report, "x/a", "ClusterIP 10.96.0.5") == {"x/a": "allowed"}


@pytest.fixture(scope="module")
def fields_report():
    """The Service fields kube-proxy acts on (tests/engine/test_service_fields.py): internalTrafficPolicy
    Local, loadBalancerSourceRanges, sessionAffinity ClientIP."""
    from tests.engine.test_service_fields import CLIENT_C, LOCAL, RANGES, STICKY

    return verify(load_documents([*OBJECTS, LOCAL, RANGES, STICKY, CLIENT_C]), ["203.0.113.7", "198.51.100.99"])


def test_internal_traffic_policy_local_agrees(fields_report):
    """ClusterIP from a pod: only its node's endpoint; none on its node: kube-proxy drops."""
    assert fields_report.ok, [disagreement_json(d) for d in fields_report.disagreements]
    assert reached(fields_report, "web/client", "ClusterIP 10.96.5.7") == {"web/app-1": "allowed"}
    assert set(reached(fields_report, "web/client-c", "ClusterIP 10.96.5.7").values()) == {"denied"}
    assert set(reached(fields_report, "web/app-0", "ClusterIP 10.96.5.7")) == {"web/app-0"}  # node-b's own
    # a node's own connection: kube-proxy on that node, its endpoints only (to its own pod: never policed)
    assert reached(fields_report, "node/node-b", "ClusterIP 10.96.5.7") == {"web/app-0": "allowed"}
    assert set(reached(fields_report, "node/node-c", "ClusterIP 10.96.5.7").values()) == {"denied"}
    # the NodePort of the same Service follows externalTrafficPolicy Cluster: every endpoint
    assert set(reached(fields_report, "client 203.0.113.7", "NodePort node-c:31010")) == {"web/app-0", "web/app-1"}


def test_load_balancer_source_ranges_agree(fields_report):
    """The LoadBalancer IP only from the ranges; the NodePort and ClusterIP of the same Service are open."""
    assert reached(fields_report, "client 203.0.113.7", "LoadBalancer 198.51.100.30") == {
        "web/app-0": "allowed", "web/app-1": "allowed"}
    assert set(reached(fields_report, "client 198.51.100.99", "LoadBalancer 198.51.100.30").values()) == {"denied"}
    assert set(reached(fields_report, "web/client", "LoadBalancer 198.51.100.30").values()) == {"denied"}
    assert reached(fields_report, "client 203.0.113.7", "NodePort node-a:31011") == {
        "web/app-1": "allowed", "web/app-0": "denied"}
    assert not [d for d in fields_report.disagreements if "198.51.100.30" in (d.probe.via or "")]


def test_session_affinity_keeps_every_backend_probed(fields_report):
    """kube-proxy's affinity sets are rendered; the lab's pick by source port comes first, so each backend
    is still probed on purpose."""
    assert reached(fields_report, "web/client", "ClusterIP 10.96.5.9") == {"web/app-0": "allowed",
                                                                          "web/app-1": "allowed"}


def test_host_network_backends_agree():
    """A Service whose selector picks a hostNetwork pod: kube-proxy DNATs to the node's address, the node
    (a listener in its namespace) answers as its host endpoint's INPUT policy says, as the engine says."""
    from tests.engine.test_node_backends import GUARDED

    report = verify(load_documents(GUARDED), ["203.0.113.7", "198.51.100.99"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert reached(report, "web/client", "ClusterIP 10.96.5.20") == {"node/node-b": "allowed"}
    assert reached(report, "web/client-c", "ClusterIP 10.96.5.20") == {"node/node-b": "denied"}
    assert reached(report, "web/app-0", "ClusterIP 10.96.5.20") == {"node/node-b": "allowed"}
    assert reached(report, "client 203.0.113.7", "NodePort node-b:31020") == {"node/node-b": "allowed"}
    assert reached(report, "client 203.0.113.7", "NodePort node-a:31020") == {"node/node-b": "denied"}



def test_a_nodes_own_node_port_to_its_host_network_backend_under_a_star_host_endpoint():
    """node-b's connection to its own NodePort, DNATed to its own address (a hostNetwork backend), goes out and
    in by `lo`, which only a `*` host endpoint governs: its normal egress and ingress policy judge it
    (metrics-in admits neither node-b's address), as the engine says; from a pod in the admitted range it
    passes (`dispatch.go` hostDispatchChains, `static.go` StaticManglePostroutingChain, filterInputChain)."""
    from tests.engine.test_node_backends import BASE, METRICS_IN

    star = host_path.hep("node-b-any", "*", node="node-b", ips=("172.18.0.3",))
    star["spec"]["profiles"] = ["projectcalico-default-allow"]
    report = verify(load_documents(copy.deepcopy([*BASE, star, METRICS_IN])), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert reached(report, "node/node-b", "NodePort node-b:31020") == {"node/node-b": "denied"}
    assert reached(report, "web/client", "ClusterIP 10.96.5.20") == {"node/node-b": "allowed"}

def test_session_affinity_sets_pin_a_client_to_one_backend():
    """kube-proxy's affinity sets as the lab renders them work: connections from a client's ordinary source
    ports (below the lab's picking ports) all land on one backend, whose `affinity-…` set alone holds it."""
    import socket
    import subprocess

    from netpolicy.lab import netns
    from tests.engine.test_service_fields import STICKY

    reason = missing_requirement()
    if reason:
        pytest.skip(f"needs the real kernel: {reason}")
    with lab.up(load_documents([*OBJECTS, STICKY]), hold=True) as handle:
        with netns.inside(handle.namespace("web/client")):
            for _ in range(6):
                with socket.socket() as sock:
                    sock.settimeout(0.2)
                    try:
                        sock.connect(("10.96.5.9", 80))
                    except OSError:
                        pass  # no server listens: the SYN has updated the set all the same
        node = next(n.netns for n in handle.topology.nodes if n.name == "node-a")
        with netns.inside(node):
            sets = subprocess.run(["nft", "list", "sets", "ip"], capture_output=True, text=True, check=True).stdout
    holding = [block.split()[0] for block in sets.split("set affinity-")[1:] if "10.244.1.5" in block]
    assert len(holding) == 1, sets


@pytest.mark.parametrize("hook", ["forward", "doNotTrack", "preDNAT"])
def test_a_nodes_and_a_pods_flows_cross_the_pods_node(hook):
    """Two nodes with host endpoints: a pod's packet to another node (its address, its NodePort) leaves its
    node through to-hep-forward, which denies node-b's address; a node's packet to a pod on another node
    enters the pod's node through its raw, preDNAT or from-hep-forward hook, which denies node-b's address
    (`static.go` StaticFilterForwardChains, StaticRawPreroutingChain, StaticManglePreroutingChain). The
    kernel and the engine agree on every probe."""
    from tests.engine import test_node_pod_hooks as hooks
    from tests.engine.test_pod_entry import HEPS

    extra = {"forward": [hooks.NOT_TO_NODE_B, hooks.NOT_FROM_NODE_B], "doNotTrack": [hooks.RAW_NOT_FROM_NODE_B],
             "preDNAT": [hooks.PRE_NOT_FROM_NODE_B]}[hook]
    report = verify(load_documents([*OBJECTS, *HEPS, *extra]), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    # node-b → web/client on node-a: node-a's hook drops it; node-a → its own pod: never policed
    port = 22 if hook == "forward" else 9999  # failsafe ports skip raw and preDNAT, never forward
    to_client = {n["from"]: n["kernel"] for n in report.nodes if n["to"] == "web/client" and n["port"] == port}
    assert to_client["node/node-b"] == "denied" and to_client["node/node-a"] == "allowed"
    if hook == "forward":  # web/client on node-a → node-b's NodePort: its own node's to-hep-forward drops it
        assert set(reached(report, "web/client", "NodePort node-b:31000").values()) == {"denied"}


def test_donottrack_deny_on_the_replies_of_tracked_connections():
    """doNotTrack Deny on replies only: raw PREROUTING drops what web/app-0 (node-b) sends into node-a, so
    node-a's and web/client's tracked connections to it fail; raw OUTPUT drops node-a's and node-b's
    replies to 203.0.113.0/24, so the outside client cannot reach a node, while its forwarded connection to
    a pod passes (`static.go` StaticRawPreroutingChain, StaticRawOutputChain: raw runs before conntrack).
    The kernel and the engine agree on every probe."""
    from tests.engine import test_tracked_replies as replies
    from tests.engine.test_pod_entry import HEPS

    objects = [*OBJECTS, *HEPS, replies.DENY_FROM_APP_0, replies.DENY_TO_OUTSIDE]
    report = verify(load_documents(objects), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    to_app = {n["from"]: n["kernel"] for n in report.nodes if n["to"] == "web/app-0" and n["port"] == 8000}
    assert to_app["node/node-a"] == "denied", report.nodes
    # web/client → node-a's own NodePort, DNATed to web/app-0 on node-b: its reply is dropped in node-a's raw
    assert reached(report, "web/client", "NodePort node-a:31001")["web/app-0"] == "denied"


def test_a_drop_in_the_nodes_own_output_chain_is_a_denial():
    """A node's UDP probe dropped by its host endpoint's egress policy in filter OUTPUT never leaves: the
    kernel answers the send with EPERM (netfilter's drop in LOCAL_OUT), which the lab counts as denied."""
    heps = open_host_endpoints()
    no_udp_out = host_path.gnp("nodes-no-udp-out", {
        "order": 10, "selector": "has(host-endpoint)", "types": ["Egress"],
        "egress": [{"action": "Deny", "protocol": "UDP"}, {"action": "Allow"}]})
    report = verify(load_documents([*OBJECTS, *heps, no_udp_out]), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    leaving = [n["kernel"] for n in report.nodes if n["from"].startswith("node/") and n["protocol"] == "UDP"
               and n["engine"] == "deny"]
    assert leaving and set(leaving) == {"denied"}


# `*` host endpoints on node-a and node-b (tests/engine/test_star_hooks.py): preDNAT on the pods' packets
# (web/client → TCP 8000, before DNAT, so its ClusterIP leg to web/app-0 on port 80 passes), node-a's forward
# policy keeping web/client from web/app-1 (on the same node), a doNotTrack deny-all (ignored on `*`) and a
# normal deny-all (never on the pods' interfaces)
STAR_PRE_CLIENT = host_path.gnp("pre-client-8000", {
    "order": 5, "preDNAT": True, "applyOnForward": True, "selector": "hostname == 'node-a'",
    "ingress": [{"action": "Deny", "protocol": "TCP", "source": {"selector": "app == 'client'"},
                 "destination": {"ports": [8000]}}]})
STAR_CLIENT_NOT_APP_1 = host_path.gnp("client-not-app-1", {
    "order": 10, "applyOnForward": True, "selector": "hostname == 'node-a'", "types": ["Ingress"],
    "ingress": [{"action": "Deny", "source": {"selector": "app == 'client'"},
                 "destination": {"nets": ["10.244.1.10/32"]}}, {"action": "Allow"}]})


@pytest.fixture(scope="module")
def star_report():
    from tests.engine import test_star_hooks as star

    objects = [*OBJECTS, *star.STARS, STAR_CLIENT_NOT_APP_1, STAR_PRE_CLIENT, star.RAW_DENY_ALL,
               star.NORMAL_DENY_ALL]
    return verify(load_documents(copy.deepcopy(objects)), ["203.0.113.7"])


def test_star_host_endpoints_on_pod_interfaces_agree(star_report):
    """Felix dispatches every interface no other host endpoint names to the `*` endpoint's chains, pod
    interfaces included (`dispatch.go` hostDispatchChains): the kernel and the engine agree on every probe."""
    assert star_report.ok, [disagreement_json(d) for d in star_report.disagreements]


def test_star_forward_policy_polices_pods_on_one_node(star_report):
    """The engine denies web/client → web/app-1 (both on node-a) because of node-a's `*` forward policy and
    web/client → web/app-0:8000 because of its preDNAT policy; the kernel agrees (no disagreement), and the
    ClusterIP leg to web/app-0 passes preDNAT (it sees port 80) while the one to web/app-1 does not pass the
    forward policy."""
    from netpolicy.analysis.flow_query import FlowQuery
    from tests.engine import test_star_hooks as star

    objects = [*OBJECTS, *star.STARS, STAR_CLIENT_NOT_APP_1, STAR_PRE_CLIENT]
    query = FlowQuery(load_documents(copy.deepcopy(objects)))
    for dst, port, policy in (("web/app-1", 8080, "client-not-app-1"), ("web/app-0", 8000, "pre-client-8000")):
        result = query("web/client", dst, "TCP", port)
        assert result.verdict == "deny" and policy in " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
    assert star_report.ok and star_report.probes >= 100
    assert reached(star_report, "web/client", "ClusterIP 10.96.5.5") == {"web/app-0": "allowed",
                                                                        "web/app-1": "denied"}


def test_a_named_and_a_star_host_endpoint_on_one_node_agree():
    """node-a's eth0 has its own host endpoint (no preDNAT policy: the `*` one's polices eth0 too), its pods'
    interfaces the `*` one; to-hep-forward on app-1's interface drops what reaches it."""
    from tests.engine import test_star_hooks as star

    pre_any = host_path.gnp("pre-any", {"order": 5, "preDNAT": True, "applyOnForward": True,
                                        "selector": "!has(named)",
                                        "ingress": [{"action": "Deny", "source": {"nets": ["203.0.113.0/24"]}}]})
    objects = [*OBJECTS, star.NAMED_A, *star.STARS, star.NOT_TO_APP_1, pre_any]
    report = verify(load_documents(copy.deepcopy(objects)), ["203.0.113.7", "198.51.100.99"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert set(reached(report, "client 203.0.113.7", "NodePort node-a:31000").values()) == {"denied"}
    assert reached(report, "client 198.51.100.99", "NodePort node-a:31000")["web/app-1"] == "denied"


def node_pair_objects() -> list[dict]:
    """Two nodes with host endpoints (default-allow profile): node-b's kubelet port only from node-a (filter
    INPUT); doNotTrack Allow from node-a on 5000 and 5010, with a doNotTrack return rule for 5010 only (raw
    PREROUTING and OUTPUT on node-b); node-a's egress denies 6000 to node-b (filter OUTPUT)."""
    from tests.engine.test_pod_entry import HEPS

    heps = [h | {"metadata": {**h["metadata"], "labels": {"host-endpoint": "", "node": h["spec"]["node"]}}}
            for h in HEPS]
    kubelet = host_path.gnp("kubelet-from-node-a", {
        "order": 10, "selector": "node == 'node-b'", "types": ["Ingress"],
        "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["172.18.0.2/32"]},
                     "destination": {"ports": [10250]}},
                    {"action": "Deny", "protocol": "TCP", "destination": {"ports": [10250]}}]})
    untracked = host_path.gnp("untracked-from-node-a", {
        "order": 5, "doNotTrack": True, "applyOnForward": True, "selector": "node == 'node-b'",
        "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["172.18.0.2/32"]},
                     "destination": {"ports": [5000, 5010]}}],
        "egress": [{"action": "Allow", "protocol": "TCP", "source": {"ports": [5010]},
                    "destination": {"nets": ["172.18.0.2/32"]}}]})
    no_6000 = host_path.gnp("node-a-not-6000-to-node-b", {
        "order": 10, "selector": "node == 'node-a'", "types": ["Egress"],
        "egress": [{"action": "Deny", "protocol": "TCP", "destination": {"nets": ["172.18.0.3/32"], "ports": [6000]}},
                   {"action": "Allow"}]})
    return [*OBJECTS[:3], *OBJECTS[4:6], OBJECTS[7], *heps, kubelet, untracked, no_6000]


def test_node_to_node_flows_agree():
    """Host to host (docs/semantics.md#lab-services): the sender's raw and filter OUTPUT, the receiver's raw,
    preDNAT and filter INPUT; an untracked request's reply needs its own doNotTrack rule (`static.go`
    StaticRawPreroutingChain, StaticRawOutputChain; `endpoints.go` appendConntrackRules); a node to the
    other node's NodePort is translated there."""
    report = verify(load_documents(node_pair_objects()), [])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    pairs = {(n["from"], n["to"], n["port"]): n["kernel"] for n in report.nodes
             if n["from"].startswith("node/") and n["to"].startswith("node/") and n["protocol"] == "TCP"}
    a, b = "node/node-a", "node/node-b"
    assert {p: pairs[(a, b, p)] for p in (22, 10250, 5000, 5010, 6000)} == {
        22: "allowed", 10250: "allowed", 5000: "denied", 5010: "allowed", 6000: "denied"}
    assert {p: pairs[(b, a, p)] for p in (22, 10250, 5000, 6000)} == {
        22: "allowed", 10250: "allowed", 5000: "allowed", 6000: "allowed"}
    assert reached(report, a, "NodePort node-b:31000") == {"web/app-0": "allowed", "web/app-1": "allowed"}


def ipv6_objects(dual: bool) -> list[dict]:
    """tests/engine/test_service_path.py's two first nodes and web/app-0, web/client, in IPv6 (`dual`: and in
    IPv4): Nodes with IPv6 InternalIPs, host endpoints with IPv6 expectedIPs (node-b's kubelet port closed to
    node-a), a LoadBalancer Service with an IPv6 ClusterIP, LoadBalancer and external IP (`dual`: dual-stack,
    both of each) and the office ipBlock policy on an IPv6 range (and an IPv4 one)."""
    from tests.engine.test_ipv6_services import node, pod

    def both(v6: str, v4: str) -> tuple[str, ...]:
        return (v4, v6) if dual else (v6,)

    heps = []
    for name, address, v4 in (("node-a", "fd00:18::2", "172.18.0.2"), ("node-b", "fd00:18::3", "172.18.0.3")):
        hep = host_path.hep(f"{name}-eth0", "eth0", labels={"host-endpoint": "", "node": name}, node=name,
                            ips=both(address, v4))
        hep["spec"]["profiles"] = ["projectcalico-default-allow"]
        heps.append(hep)
    kubelet = host_path.gnp("kubelet-not-from-node-a", {
        "order": 10, "selector": "node == 'node-b'", "types": ["Ingress"],
        "ingress": [*({"action": "Deny", "protocol": "TCP", "source": {"nets": [net]}, "destination": {"ports": [10250]}}
                      for net in ("fd00:18::2/128", "172.18.0.2/32")), {"action": "Allow"}]})
    cluster_ips = both("fd00:96::5", "10.96.5.5")
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web6", "namespace": "web"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                        "ipFamilies": ["IPv4", "IPv6"] if dual else ["IPv6"],
                        "clusterIP": cluster_ips[0], "clusterIPs": list(cluster_ips),
                        "externalIPs": list(both("2001:db8:100::20", "198.51.100.20")),
                        "ports": [{"port": 80, "targetPort": "http", "nodePort": 31006}]},
               "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in both("2001:db8:100::10", "198.51.100.10")]}}}
    office = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "office-and-client", "namespace": "web"},
              "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                       "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8:7::/48"}},
                                             {"ipBlock": {"cidr": "203.0.113.0/24"}},
                                             {"podSelector": {"matchLabels": {"app": "client"}}}]}]}}
    return [OBJECTS[0], node("node-a", *both("fd00:18::2", "172.18.0.2")),
            node("node-b", *both("fd00:18::3", "172.18.0.3")),
            pod("app-0", "node-b", {"app": "web"}, *both("fd00:244:2::10", "10.244.2.10"), port=8000),
            pod("client", "node-a", {"app": "client"}, *both("fd00:244:1::5", "10.244.1.5")),
            service, office, *heps, kubelet]


@pytest.mark.parametrize("dual", [False, True], ids=["ipv6", "dual-stack"])
def test_ipv6_services_and_node_ends_agree(dual):
    """kube-proxy's `ip6 kube-proxy` table (`setupNFTables`: `ip6 daddr`, `ipv6_addr`, `ip6 daddr != ::1`; dual
    stack: beside the `ip` one, each with its family's endpoints), the host endpoint chains and the uplink's
    routes in IPv6: the NodePort through node-a masquerades to node-a's IPv6 address (the ipBlock no longer
    matches), through node-b keeps the client; node ↔ node and node ↔ pod in each family."""
    clients = ["2001:db8:7::7", "203.0.113.7"] if dual else ["2001:db8:7::7"]
    report = verify(load_documents(ipv6_objects(dual)), clients)
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    for client in clients:
        assert reached(report, f"client {client}", "NodePort node-a:31006") == {"web/app-0": "denied"}
        assert reached(report, f"client {client}", "NodePort node-b:31006") == {"web/app-0": "allowed"}
    for vip in ("fd00:96::5", "10.96.5.5") if dual else ("fd00:96::5",):
        assert reached(report, "web/client", f"ClusterIP {vip}") == {"web/app-0": "allowed"}
        assert reached(report, "node/node-a", f"ClusterIP {vip}") == {"web/app-0": "denied"}
    for client in clients:  # the uplink balances to node-b, app-0's node: the client kept
        assert reached(report, f"client {client}", "LoadBalancer") == {"web/app-0": "allowed"}
        assert reached(report, f"client {client}", "externalIP") == {"web/app-0": "allowed"}
    # from web/client on node-a: translated there, masqueraded to node-a's address for node-b's backend
    assert set(reached(report, "web/client", "LoadBalancer").values()) == {"denied"}
    assert {s["via"].split(" ")[1].rsplit(":", 1)[0] for s in report.services
            if s["via"].startswith(("LoadBalancer", "externalIP"))} >= {"2001:db8:100::10", "2001:db8:100::20"}
    pairs = {(n["from"], n["to"], n["port"], n["family"]): n["kernel"] for n in report.nodes if n["protocol"] == "TCP"}
    for family in (4, 6) if dual else (6,):
        assert pairs[("node/node-a", "node/node-b", 10250, family)] == "denied"
        assert pairs[("node/node-b", "node/node-a", 10250, family)] == "allowed"
        assert pairs[("node/node-b", "web/app-0", 8000, family)] == "allowed"  # its own pod: never policed


# per input: {(client, entry): {backend: kernel result}} — each a case of tests/engine/test_service_replies.py
SERVICE_REPLIES = {
    "deny": {("client 203.0.113.7", "NodePort node-a:31000"): {"web/app-0": "denied", "web/app-1": "allowed"},
             ("client 203.0.113.7", "NodePort node-b:31000"): {"web/app-0": "allowed", "web/app-1": "allowed"},
             ("client 203.0.113.7", "NodePort node-b:31001"): {"web/app-0": "allowed"},
             ("client 203.0.113.7", "LoadBalancer 198.51.100.10"): {"web/app-0": "allowed", "web/app-1": "allowed"},
             ("web/client", "NodePort node-b:31000"): {"web/app-0": "denied", "web/app-1": "denied"},
             ("node/node-a", "ClusterIP 10.96.5.5"): {"web/app-0": "denied", "web/app-1": "allowed"}},
    "allow": {("client 203.0.113.7", "NodePort node-a:31000"): {"web/app-0": "denied", "web/app-1": "allowed"},
              ("client 203.0.113.7", "NodePort node-b:31001"): {"web/app-0": "allowed"},
              ("web/client", "NodePort node-b:31000"): {"web/app-0": "allowed", "web/app-1": "allowed"},
              ("node/node-a", "NodePort node-a:31000"): {"web/app-0": "denied", "web/app-1": "allowed"}},
    "host-network": {("client 203.0.113.7", "NodePort node-b:31020"): {"node/node-b": "denied"},
                     ("client 203.0.113.7", "NodePort node-a:31020"): {"node/node-b": "denied"},
                     ("web/client", "ClusterIP 10.96.5.20"): {"node/node-b": "denied"},
                     ("client 203.0.113.7", "externalIP 198.51.100.40"): {"node/node-b": "denied"}},
}


@pytest.mark.parametrize("name", list(SERVICE_REPLIES))
def test_donottrack_on_the_replies_of_node_port_and_external_connections(name):
    """doNotTrack Deny and Allow matching the replies of NodePort, LoadBalancer and ClusterIP connections, two
    nodes (tests/engine/test_service_replies.py): the entry node's raw PREROUTING judges a remote backend's reply
    before un-NAT (Allow: never un-NATed, the connection fails), a local pod backend's reply crosses no raw chain,
    a hostNetwork backend's node sends its reply through raw OUTPUT; a node's own connection's remote reply crosses
    its raw PREROUTING. 0 disagreements, every probe."""
    from tests.engine.test_service_replies import LAB_INPUTS

    report = verify(load_documents(LAB_INPUTS[name]), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    for (client, via), expected in SERVICE_REPLIES[name].items():
        assert reached(report, client, via) == expected, (client, via)


# node-a's `*` host endpoint polices lo: its normal ingress policy keeps node-a's own address from its port 8080
# (filter INPUT), its preDNAT policy drops 9999 (mangle PREROUTING on lo), failsafe 22 passes
LO_NO_8080 = host_path.gnp("lo-no-8080", {
    "order": 10, "selector": "hostname == 'node-a'", "types": ["Ingress"],
    "ingress": [{"action": "Deny", "protocol": "TCP", "source": {"nets": ["172.18.0.2/32"]},
                 "destination": {"ports": [8080]}}, {"action": "Allow"}]})


def test_a_nodes_traffic_to_its_own_address_crosses_lo():
    """node-a → 172.18.0.2 leaves and enters by `lo`, dispatched to the `*` endpoint's chains for every packet
    (`dispatch.go` hostDispatchChains default; `static.go` filterOutputChain, StaticManglePreroutingChain,
    filterInputChain): the kernel and the engine agree, and the engine denies 8080 and 9999, allows 22."""
    from tests.engine import test_star_hooks as star

    objects = [*OBJECTS, *star.STARS, LO_NO_8080, star.PRE_NO_9999]
    report = verify(load_documents(copy.deepcopy(objects)), [])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    own = {(n["protocol"], n["port"]): (n["engine"], n["kernel"]) for n in report.nodes
           if n["from"] == n["to"] == "node/node-a"}
    assert own[("TCP", 8080)] == ("deny", "denied")
    assert own[("TCP", 9999)] == ("deny", "denied")
    assert own[("TCP", 22)] == ("allow", "allowed")


def test_a_pods_leg_to_a_host_network_backend_on_its_node_meets_pre_dnat_before_dnat():
    """web/app-0 (node-b) → the agent ClusterIP, DNATed on node-b to node-b itself: node-b's `*` endpoint's
    preDNAT policy (mangle PREROUTING on the pod's interface) sees port 80, not 9100: pre-no-80 drops it,
    pre-no-9100 does not (`static.go` StaticManglePreroutingChain); the kernel agrees with the engine."""
    from tests.engine import test_star_hooks as star
    from tests.engine.test_node_backends import BASE

    for pre, kernel in ((star.PRE_NO_80, "denied"), (star.PRE_NO_9100, "allowed")):
        report = verify(load_documents(copy.deepcopy([*BASE, *star.STARS, pre])), [])
        assert report.ok, [disagreement_json(d) for d in report.disagreements]
        assert reached(report, "web/app-0", "ClusterIP 10.96.5.20") == {"node/node-b": kernel}


def test_a_slice_endpoint_without_node_name_is_local_nowhere():
    """externalTrafficPolicy Local with an EndpointSlice endpoint that has no nodeName (app-0, on node-b):
    kube-proxy on node-b has no local endpoint and drops; node-a's (nodeName set) answers — kernel and engine
    alike (docs/semantics.md#node-backends)."""
    from tests.engine.test_unplaced_backends import LOCAL_WEB

    report = verify(load_documents(LOCAL_WEB), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert set(reached(report, "client 203.0.113.7", "NodePort node-b:31001").values()) == {"denied"}
    assert reached(report, "client 203.0.113.7", "NodePort node-a:31001") == {"web/app-1": "allowed"}


def test_a_service_address_that_is_the_nodes_own_routes_to_lo():
    """An external IP that is node-a's own address: node-a's connection to it routes to `lo`, so its host
    endpoint's raw OUTPUT (a doNotTrack Deny toward it) never sees it; one off the node leaves by eth0 and is
    denied; from outside, routing delivers it to node-a, which translates it — kernel and engine alike
    (docs/semantics.md#service-fields)."""
    from tests.engine.test_node_service_client import NODES, OWN_EXTERNAL, RAW_OUT
    from tests.engine.test_pod_entry import HEPS

    report = verify(load_documents([*NODES, *HEPS, OWN_EXTERNAL, RAW_OUT]), [])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    assert set(reached(report, "node/node-a", "externalIP 172.18.0.2").values()) == {"allowed"}
    assert set(reached(report, "node/node-a", "externalIP 198.51.100.21").values()) == {"denied"}


def test_an_external_ip_on_a_nodes_address_is_querys_node_answer():
    """An external IP that is node-b's address: the kernel DNATs an outside client's packet to it on the
    Service's port to the backends, and `query --to node/node-b --port 80` answers the same per backend;
    the lab probes no IPv6 source to that IPv4 entry, and `query` refuses one (docs/semantics.md#nodes,
    #service-fields)."""
    from netpolicy.analysis.flow_query import FlowQuery
    from netpolicy.errors import InputError
    from tests.engine.test_service_families import OBJECTS as ON_NODE

    cluster = load_documents(copy.deepcopy(ON_NODE))
    report = verify(cluster, ["203.0.113.7", "198.51.100.1"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    query = FlowQuery(cluster)
    for client in ("203.0.113.7", "198.51.100.1"):
        kernel = reached(report, f"client {client}", "externalIP 172.18.0.3")
        flow = query(client, "node/node-b", "TCP", 80)
        assert kernel and {leg.name: r.verdict for leg, r in flow.legs} == {
            to: "allow" if result == "allowed" else "deny" for to, result in kernel.items()}, (client, kernel)
    assert not [s for s in report.services
                if s["via"].startswith("externalIP 172.18.0.3") and ":" in s["from"].removeprefix("external:")]
    with pytest.raises(InputError, match="a packet keeps its address family"):
        query("2001:db8:7::7", "node/node-b", "TCP", 80)


@pytest.mark.parametrize("allowed", ["pods", "nodes"])
def test_nat_outgoing_masquerades_a_pods_packet_to_another_node(allowed):
    """An IPPool with natOutgoing: web/client's (node-a) packet to node-b leaves node-a masqueraded to its
    address by the lab's cali-nat-outgoing (`felix/rules/nat.go` NATOutgoingChain), so node-b's host
    endpoint policy allowing only the pod CIDR drops it and one allowing only the node range accepts it;
    its packets to its own node are not masqueraded. The kernel and the engine agree on every probe."""
    from tests.engine import test_nat_outgoing as nat
    from tests.engine.test_pod_entry import HEPS

    policy = nat.PODS_ONLY if allowed == "pods" else nat.NODES_ONLY
    report = verify(load_documents([*OBJECTS, *HEPS, nat.NAT_POOL, policy]), ["203.0.113.7"])
    assert report.ok, [disagreement_json(d) for d in report.disagreements]
    to_b = {n["port"]: n["kernel"] for n in report.nodes if n["from"] == "web/client" and n["to"] == "node/node-b"
            and n["protocol"] == "TCP" and n["port"] != 22}
    assert to_b and set(to_b.values()) == {"denied" if allowed == "pods" else "allowed"}, report.nodes
