"""Every matrix cell equals the one-flow path (`pod_entry.entering_pod`) on every port atom when host
endpoints with doNotTrack, preDNAT and applyOnForward policy govern nodes: a table of inputs and a
randomized search (docs/semantics.md#pod-entry).

Sources: `felix/rules/static.go` StaticRawPreroutingChain and StaticManglePreroutingChain (dispatch on
the ingress interface, whatever the destination), StaticFilterForwardChains (from-hep-forward unless the
accept mark is set, the workload chains, then to-hep-forward for every forwarded packet);
`felix/rules/endpoints.go` (failsafes in raw and preDNAT chains, never in forward ones; "Allow forwarded
traffic by default"); the walkthrough is Calico's "Apply policy to Kubernetes node ports".
"""

from __future__ import annotations

import copy
import os
import random

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.atoms import OTHER
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.node_flow import evaluate_node_flow
from netpolicy.engine.pod_entry import entering_pod, query_flow
from netpolicy.engine.service_rows import service_rows
from netpolicy.model.cluster import HOST_ENDPOINT
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS, TCP
from netpolicy.options import Options
from tests.engine import test_host_path as host_path
from tests.engine import test_nat_outgoing as nat
from tests.engine import test_node_addresses as node_addresses
from tests.engine import test_node_pod_hooks as node_pod
from tests.engine import test_pod_entry as pod_entry
from tests.engine import test_tracked_replies as replies
from tests.engine.test_service_path import OBJECTS, node, pod

HEPS = pod_entry.HEPS
THREE_HEPS = [*HEPS, host_path.hep("node-c-eth0", "eth0", node="node-c", ips=("172.18.0.4",))]
FAILSAFE_CLOSED = [
    host_path.gnp("raw-deny-all", {"order": 1, "doNotTrack": True, "applyOnForward": True,
                                   "selector": "has(host-endpoint)", "ingress": [{"action": "Deny"}]}),
    host_path.gnp("pre-deny-all", {"order": 1, "preDNAT": True, "applyOnForward": True,
                                   "selector": "has(host-endpoint)", "ingress": [{"action": "Deny"}]}),
]
NODE_PORT_OFFICE = host_path.gnp("nodeports-office", {
    "order": 10, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["203.0.113.0/24"]},
                 "destination": {"ports": ["30000:32767"]}},
                {"action": "Deny", "protocol": "TCP", "destination": {"ports": ["30000:32767"]}}]})
STAR = {**host_path.hep("node-b-any", "*", node="node-b", ips=("172.18.0.3",))}

# the trojanwall example's kubelet policy with its reply rule: untracked both ways, to and from the node
KUBELET_UNTRACKED = host_path.gnp("kubelet-untracked", {
    "order": 10, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "types": ["Ingress", "Egress"],
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["203.0.113.0/24"]},
                 "destination": {"ports": [10250]}},
                {"action": "Allow", "protocol": "UDP", "source": {"ports": [53]}}],
    "egress": [{"action": "Allow", "protocol": "TCP", "source": {"ports": [10250]}},
               {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}}]})
NODE_POLICY = host_path.gnp("node-ssh-and-kubelet", {
    "order": 20, "selector": "has(host-endpoint)", "types": ["Ingress", "Egress"],
    "ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [10250, 22]}}],
    "egress": [{"action": "Allow", "protocol": "UDP"}]})

# (case, objects)
INPUTS = [
    ("the walkthrough: preDNAT deny-all-but-cluster", pod_entry.WALKTHROUGH),
    ("from-hep-forward on node-b", [*OBJECTS, *HEPS, pod_entry.FROM_NODE_A_DENIED]),
    ("to-hep-forward on node-a", [*OBJECTS, *HEPS, pod_entry.TO_NODE_B_DENIED]),
    ("to-hep-forward toward outside ranges", [*OBJECTS, *HEPS, pod_entry.NOT_OUTSIDE]),
    ("doNotTrack TCP: the forwarded reply is INVALID", [*OBJECTS, *HEPS, pod_entry.UNTRACKED]),
    ("doNotTrack UDP, its reply through the pod's egress and to-hep-forward",
     [*OBJECTS, *HEPS, pod_entry.UNTRACKED_UDP, pod_entry.NO_REPLY_OUT]),
    ("raw and preDNAT deny all: only failsafe ports pass", [*OBJECTS, *HEPS, *FAILSAFE_CLOSED]),
    ("three nodes, a preDNAT NodePort range (the lab's input)", [*OBJECTS, *THREE_HEPS, NODE_PORT_OFFICE]),
    ("a `*` host endpoint: no raw hook", [*OBJECTS, STAR, pod_entry.UNTRACKED, pod_entry.FROM_NODE_A_DENIED]),
    ("doNotTrack to and from the node, with its replies", [*OBJECTS, *HEPS, KUBELET_UNTRACKED, NODE_POLICY]),
    ("a pod to another node: its node's to-hep-forward", [*OBJECTS, *HEPS, node_pod.NOT_TO_NODE_B]),
    ("a node to a pod on another node: from-hep-forward", [*OBJECTS, *HEPS, node_pod.NOT_FROM_NODE_B]),
    ("a node to a pod on another node: raw and preDNAT",
     [*OBJECTS, *HEPS, node_pod.RAW_NOT_FROM_NODE_B, node_pod.PRE_NOT_FROM_NODE_B, NODE_POLICY]),
    ("a host endpoint at another address than its Node object (the node is at the host endpoint's)",
     [*OBJECTS, {**HEPS[0], "spec": {**HEPS[0]["spec"], "expectedIPs": ["172.18.1.2"]}}, HEPS[1],
      node_addresses.ADMITS_HEP_ADDRESS, node_pod.NOT_FROM_NODE_B]),
    ("doNotTrack Deny on the replies of tracked connections, both raw chains",
     [*OBJECTS, *HEPS, replies.DENY_FROM_OUTSIDE, replies.DENY_TO_OUTSIDE, replies.DENY_FROM_NODE_B,
      replies.DENY_FROM_APP_0]),
    ("doNotTrack Allow on tracked replies: untracked, to the pod's ingress",
     [*OBJECTS, *HEPS, replies.ALLOW_FROM_OUTSIDE, replies.CLIENT_CLOSED, NODE_POLICY]),
    ("natOutgoing: the receiving node's host endpoint sees the sending node, not the pod",
     [*OBJECTS, *THREE_HEPS, nat.NAT_POOL, nat.PODS_ONLY]),
    ("natOutgoing toward a node without a host endpoint's address, a rule on the node range",
     [*OBJECTS, *HEPS, nat.NAT_POOL, nat.NODES_ONLY, node_pod.NOT_FROM_NODE_B]),
    ("natOutgoing with a disabled pool over the nodes: not masqueraded",
     [*OBJECTS, *HEPS, nat.NAT_POOL, nat.NODES_POOL_DISABLED, nat.PODS_ONLY]),
    ("host endpoints without profiles: failsafe ports only", [*OBJECTS, *[
        {**h, "spec": {k: v for k, v in h["spec"].items() if k != "profiles"}} for h in HEPS], NODE_POLICY]),
]


SAMPLE = 16  # atoms tried per pair in the randomized search
#: The table inputs try every STRIDE-th atom of a pair, starting at the pair's number modulo STRIDE: every
#: atom is tried, on every STRIDE-th pair (NETPOLICY_HOOK_STRIDE=1: every atom of every pair).
STRIDE = int(os.environ.get("NETPOLICY_HOOK_STRIDE", "4"))


def atom_packets(matrix: Matrix):
    """One packet per atom: (atom, protocol, port or ICMP type, source port or ICMP code)."""
    atoms = matrix.atoms
    for i in range(atoms.size):
        protocol = int(atoms.proto[i])
        if protocol == OTHER:
            yield i, next(iter(atoms.other))[0], None, None
        elif protocol in PORT_PROTOCOLS or protocol in ICMP_PROTOCOLS:
            yield i, protocol, int(atoms.d_lo[i]), int(atoms.s_lo[i])
        else:
            yield i, protocol, None, None


def disagreements(objects, rng: random.Random | None = None, options: Options | None = None) -> list:
    """The (source, destination, protocol, port, source port) whose matrix cell and one-flow verdict differ
    (with `rng`: on a sample of the atoms of each pair): a node's governing host endpoint is judged as
    `query` judges `node/<name>`, every other pair as `query` judges it (pod_entry)."""
    cluster = load_documents(copy.deepcopy(objects))
    matrix, evaluator = Matrix(cluster, options), FlowEvaluator(cluster, options)
    assert matrix.hooks is not None
    nodes = {hooks.hep.id: node for node, hooks in matrix.hooks.hooks.items()}
    ends = [e for e in matrix.endpoints if e.kind != HOST_ENDPOINT or e.id in nodes]
    packets = list(atom_packets(matrix))
    found: list = []
    pairs = 0
    for src in ends:
        for dst in ends:
            if not (src.policed or dst.policed) or matrix.common_family(src, dst) is None:
                continue
            mask = matrix.mask(src, dst)
            refs = [f"node/{nodes[e.id]}" if e.id in nodes else e.id if e.policed else str(e.ips[0]) for e in (src, dst)]
            judge = evaluate_node_flow if src.id in nodes or dst.id in nodes else entering_pod
            if rng is None and pairs % 7 == 0:  # what test, diff and reports trace: the same flow
                assert query_flow(evaluator, src, dst, TCP, 22, 40000).verdict == judge(
                    evaluator, *refs, TCP, 22, 40000).verdict
            tried = rng.sample(packets, min(SAMPLE, len(packets))) if rng else packets[pairs % STRIDE::STRIDE]
            pairs += 1
            for atom, protocol, port, sport in tried:
                verdict = judge(evaluator, *refs, protocol, port, sport).verdict
                if (verdict == "allow") != bool(mask[atom]):
                    found.append((*refs, protocol, port, sport, verdict))
    return found


@pytest.mark.parametrize("case, objects", INPUTS, ids=[c[0] for c in INPUTS])
def test_every_matrix_cell_equals_the_flow_through_the_hooks(case, objects):
    assert disagreements(objects) == []


@pytest.mark.parametrize("action", ["DROP", "RETURN"])
def test_a_pods_traffic_to_its_own_node_follows_default_endpoint_to_host_action(action):
    assert disagreements([*OBJECTS, *HEPS, KUBELET_UNTRACKED], options=Options(endpoint_to_host_action=action)) == []


def test_the_hooks_change_the_cells():
    """The walkthrough's preDNAT policy denies an outside range straight to the pod: in the matrix too."""
    matrix = Matrix(load_documents(copy.deepcopy(pod_entry.WALKTHROUGH)))
    outside = next(e for e in matrix.externals if str(e.ips[0]).startswith("0."))
    to_pod = matrix.connections(outside, "web/app")
    assert not to_pod.allows(TCP, 8080, 40000) and to_pod.allows(TCP, 22, 40000)  # failsafe ports skip preDNAT
    inside = next(e for e in matrix.externals if e.ips[0].version == 4 and str(e.ips[0]).startswith("172.18."))
    assert matrix.connections(inside, "web/app")


def test_no_host_endpoint_no_node_split():
    """Without a host endpoint no peer class is told apart by node, and no atom is added."""
    plain = Matrix(load_documents(copy.deepcopy(OBJECTS)))
    assert plain.hooks is None and all(c.node is None for c in plain.classes)
    assert Matrix(load_documents(copy.deepcopy([*OBJECTS, *HEPS]))).atoms.size > plain.atoms.size


def test_query_names_a_governing_host_endpoint_as_its_node():
    """`query` with a node's governing host endpoint (its id or address) judges it as `node/<name>`, as the
    matrix's row and column of that host endpoint do."""
    from netpolicy.analysis.flow_query import FlowQuery

    query = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS])))
    for name in ("node-a-eth0", "172.18.0.2", "node/node-a"):
        kubelet = query("203.0.113.7", name, "TCP", 22)
        assert kubelet.verdict == "allow", name  # a failsafe inbound port
        probe = query(name, "web/app-1", "TCP", 9999)
        assert probe.verdict == "allow" and "never policed" in probe.ingress.trace[-1].reason, name


@pytest.mark.parametrize("extra, reached", [
    ([], {"web/app-0", "web/app-1"}),
    ([pod_entry.TO_NODE_B_DENIED], {"web/app-1"}),
    ([pod_entry.FROM_NODE_A_DENIED], {"web/app-1"}),
])
def test_service_rows_agree_with_the_cluster_ip_legs(extra, reached):
    """Service rows read the folded side tables: a ClusterIP leg to another node's backend crosses both
    nodes' hooks there as in `query --to svc/…`."""
    from netpolicy.analysis.flow_query import FlowQuery

    cluster = load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra]))
    flow = FlowQuery(cluster)("web/client", "svc/web/web", "TCP", 80)
    assert {leg.name for leg, result in flow.legs if result.verdict == "allow"} == reached
    row = next(r for r in service_rows(Matrix(cluster)) if r.service.name == "web")
    assert row.reached.get("web/client") == len(reached)


def random_input(rng: random.Random) -> list:
    """Nodes with host endpoints (some `*`, some at another address than the Node object's), pods on them
    (some on no known node), and raw, preDNAT and applyOnForward policies over ranges, ports and labels."""
    nodes = [f"n{i}" for i in range(rng.randint(2, 3))]
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}]
    objects += [node(n, f"172.18.0.{i + 2}") for i, n in enumerate(nodes)]
    for i, name in enumerate(nodes):
        if rng.random() < 0.85:
            hep = host_path.hep(f"{name}-eth0", rng.choice(["eth0", "eth0", "*"]), node=name,
                                ips=(f"172.18.{rng.choice([0, 0, 1])}.{i + 2}",))  # some off the Node's
            if rng.random() < 0.5:
                hep["spec"]["profiles"] = ["projectcalico-default-allow"]
            objects.append(hep)
    for i in range(rng.randint(2, 4)):
        where = rng.choice([*nodes, None])
        objects.append(pod(f"p{i}", f"10.244.{i}.{10 + i}", where, {"app": rng.choice("ab")}, rng.choice([80, 8080])))
        if where is None:
            del objects[-1]["spec"]["nodeName"]
    if rng.random() < 0.6:
        objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "metadata": {"name": "a-only", "namespace": "web"},
                        "spec": {"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Ingress", "Egress"],
                                 "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/1"}},
                                                       {"podSelector": {}}]}],
                                 "egress": [{"ports": [{"protocol": "UDP"}, {"protocol": "TCP", "port": 80}]}]}})
    for number in range(rng.randint(1, 4)):
        objects.append(random_hook_policy(rng, number))
    return objects


def random_hook_policy(rng: random.Random, number: int) -> dict:
    kind = rng.choice(["doNotTrack", "preDNAT", "forward"])
    types = ["Ingress"] if kind == "preDNAT" else rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
    spec = {"order": rng.randint(1, 20), "applyOnForward": True,
            "selector": rng.choice(["has(host-endpoint)", "all()"]), "types": types}
    if kind != "forward":
        spec[kind] = True

    def rule():
        out = {"action": rng.choice(["Allow", "Deny", "Pass", "Allow"])}
        if rng.random() < 0.7:
            out["protocol"] = rng.choice(["TCP", "UDP"])
            if rng.random() < 0.6:
                out["destination"] = {"ports": [rng.choice([80, 8080, 22, "30000:32767"])]}
            if rng.random() < 0.3:
                out.setdefault("source", {})["ports"] = [rng.choice([53, 80, "32768:60999"])]
        side = rng.choice(["source", "destination", None])
        if side:
            choice = rng.random()
            entity = out.setdefault(side, {})
            if choice < 0.5:
                entity["nets"] = [rng.choice(["203.0.113.0/24", "10.244.0.0/16", "10.244.1.0/24", "0.0.0.0/1"])]
            else:
                entity["selector"] = rng.choice(["app == 'a'", "has(host-endpoint)", "app == 'b'"])
        return out

    for direction in types:
        spec[direction.lower()] = [rule() for _ in range(rng.randint(1, 3))]
    return host_path.gnp(f"hook-{number}", spec)


def test_random_hooks_agree_with_the_flow():
    """A bounded randomized search: random nodes, host endpoints and hook policies (seeded)."""
    rng = random.Random(1414)
    checked = 0
    while checked < 12:
        objects = random_input(rng)
        if Matrix(load_documents(copy.deepcopy(objects))).hooks is None:
            continue
        assert disagreements(objects, rng) == [], objects
        checked += 1
