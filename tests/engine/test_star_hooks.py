"""An `interfaceName: "*"` host endpoint on its node's pod interfaces: one table per rule, each citing the
Felix source, the same answers from `query` and the matrix, and a randomized matrix-vs-flow search
(docs/semantics.md#star-hooks).

Sources: `felix/rules/dispatch.go` hostDispatchChains (the `*` endpoint is the default chain of every
dispatch: from-host-endpoint, to-host-endpoint and the forward ones, with "Skip egress WHEP policy for
traffic to local workload" only in the mangle egress dispatch); `felix/dataplane/linux/endpoint_mgr.go`
updateHostEndpoints (`allInterfaces` becomes `defaultIfaceName` for the filter and mangle dispatch chains;
"DoNotTrack policy is not supported for a HEP with `interfaceName: *`"; the mangle dispatch names only
host endpoints with preDNAT policy); `felix/rules/static.go` StaticManglePreroutingChain (every interface),
StaticFilterForwardChains (from-hep-forward unless the accept mark is set, the workload chains, then
to-hep-forward for every forwarded packet), filterInputChain (workload traffic to the workload-to-host
chain first), filterOutputChain ("We don't currently police host -> endpoint"); the FV tests
`felix/fv/hostendpoints_test.go` ("all-interfaces host endpoints": "AOF policy on all-interfaces host
endpoints will result in the ingress and egress policy boundaries being enforced").
"""

from __future__ import annotations

import copy
import random

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.service_rows import service_rows
from netpolicy.model.protocols import TCP
from tests.engine import test_host_path as host_path
from tests.engine import test_matrix_hooks as matrix_hooks
from tests.engine.test_service_path import OBJECTS, node, pod

STARS = []
for _name, _address in (("node-a", "172.18.0.2"), ("node-b", "172.18.0.3")):
    _hep = host_path.hep(f"{_name}-any", "*", labels={"host-endpoint": "", "hostname": _name}, node=_name,
                         ips=(_address,))
    _hep["spec"]["profiles"] = ["projectcalico-default-allow"]
    STARS.append(_hep)
NAMED_A = host_path.hep("node-a-eth0", "eth0", labels={"host-endpoint": "", "hostname": "node-a", "named": ""},
                        node="node-a", ips=("172.18.0.2",))
NAMED_A["spec"]["profiles"] = ["projectcalico-default-allow"]


def forward(name: str, selector: str, **directions) -> dict:
    """An applyOnForward policy of the host endpoints `selector` picks."""
    spec = {"order": 10, "applyOnForward": True, "selector": selector,
            "types": [d.capitalize() for d in directions], **directions}
    return host_path.gnp(name, spec)


# the FV test's "aof-f1": node-a's `*` lets in only what its own pod app-1 sends, lets everything out
ONLY_APP_1_IN = forward("aof-a", "hostname == 'node-a'",
                        ingress=[{"action": "Allow", "source": {"selector": "app == 'web'"}}],
                        egress=[{"action": "Allow"}])
NOT_TO_APP_1 = forward("not-to-app-1", "hostname == 'node-a'",
                       egress=[{"action": "Deny", "destination": {"nets": ["10.244.1.10/32"]}}, {"action": "Allow"}])
PRE_NO_9999 = host_path.gnp("pre-no-9999", {
    "order": 5, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Deny", "protocol": "TCP", "destination": {"ports": [9999, 22]}}]})
PRE_CLIENT_FIRST = host_path.gnp("pre-client", {
    "order": 5, "preDNAT": True, "applyOnForward": True, "selector": "hostname == 'node-a'",
    "ingress": [{"action": "Allow", "source": {"selector": "app == 'client'"}}]})
FORWARD_CLOSED_A = forward("closed-a", "hostname == 'node-a'", ingress=[{"action": "Deny"}])
NORMAL_DENY_ALL = host_path.gnp("deny-all", {"order": 1, "selector": "has(host-endpoint)",
                                             "ingress": [{"action": "Deny"}], "egress": [{"action": "Deny"}]})
RAW_DENY_ALL = host_path.gnp("raw-deny", {"order": 1, "doNotTrack": True, "applyOnForward": True,
                                          "selector": "has(host-endpoint)", "ingress": [{"action": "Deny"}]})

CLIENT, APP_1, APP_0 = "web/client", "web/app-1", "web/app-0"
# (case, extra objects, source, destination, port, verdict, a phrase of the trace or "")
CASES = [
    # StaticFilterForwardChains: a pod's forwarded packet goes through from-hep-forward, dispatched on its
    # interface to the `*` chain (dispatch.go fromEndForwardRules); on the same node too
    ("same node: from-hep-forward on the sender's interface", [ONLY_APP_1_IN], CLIENT, APP_1, 8080, "deny",
     "polices traffic from the pod's interface"),
    ("same node: the other way is let in", [ONLY_APP_1_IN], APP_1, CLIENT, 8080, "allow", ""),
    ("across nodes: the FV test's w[0] → w[1]", [ONLY_APP_1_IN], APP_0, APP_1, 8080, "deny", "aof-a"),
    ("out of eth0: its pod passes both boundaries (the FV test's w[1] → out)", [ONLY_APP_1_IN], APP_1,
     "203.0.113.7", 443, "allow", "aof-a"),
    # to-hep-forward for every forwarded packet, dispatched on the outgoing pod interface (toEndForwardRules)
    ("same node: to-hep-forward on the receiver's interface", [NOT_TO_APP_1], CLIENT, APP_1, 8080, "deny",
     "polices traffic to the pod's interface"),
    ("another node's pod: to-hep-forward on the receiver's interface", [NOT_TO_APP_1], APP_0, APP_1, 8080, "deny",
     "not-to-app-1"),
    ("an outside address: to-hep-forward on the receiver's interface", [NOT_TO_APP_1], "203.0.113.7", APP_1, 8080,
     "deny", "not-to-app-1"),
    ("another node: to-hep-forward on the receiver's interface", [NOT_TO_APP_1], "node/node-b", APP_1, 8080, "deny",
     "not-to-app-1"),
    # filterOutputChain returns for workload interfaces: the node's own packets to its pods
    ("its own node: never policed", [NOT_TO_APP_1], "node/node-a", APP_1, 8080, "allow", "never policed"),
    # StaticManglePreroutingChain dispatches every interface: preDNAT policy on a pod's packets
    ("same node: preDNAT on the sender's interface", [PRE_NO_9999], CLIENT, APP_1, 9999, "deny", "pre-no-9999"),
    ("an outside address: preDNAT on the sender's interface", [PRE_NO_9999], CLIENT, "203.0.113.7", 9999, "deny",
     "pre-no-9999"),
    ("its own node: preDNAT before the workload-to-host chain", [PRE_NO_9999], CLIENT, "node/node-a", 9999, "deny",
     "pre-no-9999"),
    ("failsafe inbound ports skip preDNAT policy (failsafeInChain)", [PRE_NO_9999], CLIENT, APP_1, 22, "allow",
     "failsafe"),
    ("another port passes", [PRE_NO_9999], CLIENT, APP_1, 8080, "allow", ""),
    # a preDNAT Allow sets the accept mark: filter FORWARD skips from-hep-forward
    ("preDNAT Allow skips from-hep-forward", [PRE_CLIENT_FIRST, FORWARD_CLOSED_A], CLIENT, APP_1, 8080, "allow",
     "from-hep-forward is skipped"),
    ("without it from-hep-forward drops", [PRE_CLIENT_FIRST, FORWARD_CLOSED_A], APP_1, CLIENT, 8080, "deny",
     "closed-a"),
    # the FV test "should not deny host-to-own pod traffic": normal policy never sees a pod's interface
    ("normal policy: pods across nodes", [NORMAL_DENY_ALL], CLIENT, APP_0, 8000, "allow", ""),
    ("normal policy: a node to its own pod", [NORMAL_DENY_ALL], "node/node-a", APP_1, 8080, "allow", ""),
    ("normal policy: a pod to its own node (DefaultEndpointToHostAction)", [NORMAL_DENY_ALL], CLIENT, "node/node-a",
     8080, "allow", ""),
    ("normal policy: a node to another node's pod", [NORMAL_DENY_ALL], "node/node-b", APP_1, 8080, "deny", ""),
    # endpoint_mgr.go: doNotTrack policy is ignored on a `*` host endpoint
    ("doNotTrack is ignored on `*`", [RAW_DENY_ALL], CLIENT, APP_0, 8000, "allow", ""),
]


@pytest.mark.parametrize("case, extra, src, dst, port, verdict, reason", CASES, ids=[c[0] for c in CASES])
def test_star_host_endpoint_on_pod_interfaces(case, extra, src, dst, port, verdict, reason):
    objects = [*OBJECTS, *STARS, *extra]
    result = FlowQuery(load_documents(copy.deepcopy(objects)))(src, dst, "TCP", port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    assert agrees(objects)


_AGREED: set[tuple] = set()


def agrees(objects: list) -> bool:
    """The matrix equals the one-flow path on a sample of every pair's atoms (once per input)."""
    key = tuple(o["metadata"]["name"] for o in objects)
    if key not in _AGREED:
        assert matrix_hooks.disagreements(objects, random.Random(14)) == []
        _AGREED.add(key)
    return True


# A named host endpoint and a `*` one on node-a: the named one governs eth0, the `*` one the pod interfaces
NAMED_CASES = [
    ("pod interfaces take the `*` endpoint's forward policy", [FORWARD_CLOSED_A], CLIENT, APP_1, 8080, "deny",
     "node-a-any"),
    ("eth0 takes the named endpoint's (no forward policy: allowed), then `*` on the pod's interface",
     [forward("closed-named", "has(named)", ingress=[{"action": "Allow"}])], "203.0.113.7", APP_1, 8080, "allow", ""),
    ("mangle: eth0's endpoint has no preDNAT policy, so the `*` one's polices eth0 (endpoint_mgr.go)",
     [host_path.gnp("pre-any", {"order": 5, "preDNAT": True, "applyOnForward": True, "selector": "!has(named)",
                                "ingress": [{"action": "Deny", "source": {"nets": ["203.0.113.0/24"]}}]})],
     "203.0.113.7", APP_1, 8080, "deny", "pre-any"),
]


@pytest.mark.parametrize("case, extra, src, dst, port, verdict, reason", NAMED_CASES, ids=[c[0] for c in NAMED_CASES])
def test_a_named_and_a_star_host_endpoint_on_one_node(case, extra, src, dst, port, verdict, reason):
    objects = [*OBJECTS, NAMED_A, STARS[0], STARS[1], *extra]
    result = FlowQuery(load_documents(copy.deepcopy(objects)))(src, dst, "TCP", port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    assert agrees(objects)


def test_the_matrix_shows_a_star_forward_policy_between_pods_on_one_node():
    """The cell of two pods on one node changes with the `*` endpoint's forward policy (so lint, diff and test,
    which read the matrix, see it)."""
    plain = Matrix(load_documents(copy.deepcopy([*OBJECTS, *STARS])))
    closed = Matrix(load_documents(copy.deepcopy([*OBJECTS, *STARS, ONLY_APP_1_IN])))
    assert plain.connections(CLIENT, APP_1).allows(TCP, 8080, 40000)
    assert not closed.connections(CLIENT, APP_1).allows(TCP, 8080, 40000)
    assert closed.connections(APP_1, CLIENT).allows(TCP, 8080, 40000)


def random_star_input(rng: random.Random) -> list:
    """Two nodes with `*` host endpoints (sometimes a named one beside), pods on them and on no known node,
    and preDNAT and applyOnForward policies with pod selectors on either side."""
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}]
    for i, name in enumerate(("n0", "n1")):
        objects.append(node(name, f"172.18.0.{i + 2}"))
        star = host_path.hep(f"{name}-any", "*", labels={"host-endpoint": "", "app": rng.choice("ab")}, node=name,
                             ips=(f"172.18.0.{i + 2}",))
        if rng.random() < 0.5:
            star["spec"]["profiles"] = ["projectcalico-default-allow"]
        objects.append(star)
        if rng.random() < 0.25:
            objects.append(host_path.hep(f"{name}-eth0", "eth0", node=name, ips=(f"172.18.0.{i + 2}",)))
    for i in range(rng.randint(2, 4)):
        where = rng.choice(["n0", "n0", "n1", None])
        objects.append(pod(f"p{i}", f"10.244.{i}.{10 + i}", where, {"app": rng.choice("ab")}, rng.choice([80, 8080])))
        if where is None:
            del objects[-1]["spec"]["nodeName"]
    for number in range(rng.randint(1, 3)):
        policy = matrix_hooks.random_hook_policy(rng, number)
        if policy["spec"].get("doNotTrack"):
            del policy["spec"]["doNotTrack"]
        objects.append(policy)
    return objects


def test_random_star_host_endpoints_agree_with_the_flow():
    """A bounded randomized search over `*` host endpoints (seeded): every sampled matrix cell equals the
    one-flow path."""
    rng = random.Random(1415)
    for _ in range(10):
        objects = random_star_input(rng)
        assert matrix_hooks.disagreements(objects, rng) == [], objects


PRE_NO_80 = host_path.gnp("pre-no-80", {"order": 5, "preDNAT": True, "applyOnForward": True,
                                        "selector": "has(host-endpoint)",
                                        "ingress": [{"action": "Deny", "protocol": "TCP", "destination": {"ports": [80]}}]})
PRE_NO_8080 = host_path.gnp("pre-no-8080", {**PRE_NO_80["spec"], "ingress": [
    {"action": "Deny", "protocol": "TCP", "destination": {"ports": [8080]}}]})
PRE_NO_8080["metadata"]["name"] = "pre-no-8080"


@pytest.mark.parametrize("extra, reached", [
    ([], {APP_0, APP_1}),
    ([PRE_NO_80], set()),             # preDNAT sees the ClusterIP's port 80, before kube-proxy's DNAT
    ([PRE_NO_8080], {APP_0, APP_1}),  # ... never the target port 8080
    ([NOT_TO_APP_1], {APP_0}),        # to-hep-forward on app-1's interface sees the translated packet
    ([FORWARD_CLOSED_A], set()),      # from-hep-forward on the client's interface, to either backend
])
def test_a_pods_cluster_ip_legs_cross_the_star_hooks(extra, reached):
    """`query --to svc/…` and the matrix's Service rows agree on a pod's ClusterIP legs through `*` hooks."""
    cluster = load_documents(copy.deepcopy([*OBJECTS, *STARS, *extra]))
    flow = FlowQuery(cluster)(CLIENT, "svc/web/web", "TCP", 80)
    assert {leg.name for leg, result in flow.legs if result.verdict == "allow"} == reached
    row = next(r for r in service_rows(Matrix(cluster)) if r.service.name == "web")
    assert row.reached.get(CLIENT, 0) == len(reached)


@pytest.mark.parametrize("src, dst, port, extra, reached", [
    ("203.0.113.7", "172.18.0.2", 31000, [NOT_TO_APP_1], set()),  # app-0's leg: the office policy; app-1's: `*`
    ("203.0.113.7", "172.18.0.2", 31000, [], {APP_1}),
    (CLIENT, "172.18.0.3", 31000, [FORWARD_CLOSED_A], set()),  # to another node's NodePort: its interface first
    (CLIENT, "172.18.0.3", 31000, [], {APP_0}),  # app-1 sees node-b's address: the office policy
    # a LoadBalancer IP from outside: the load balancer hands it to the backend's node, whose eth0 (here its
    # `*` endpoint: aof-a lets in only app=web pods) judges it before the DNAT there
    ("203.0.113.7", "198.51.100.10", 80, [ONLY_APP_1_IN], {APP_0}),
    ("203.0.113.7", "198.51.100.20", 80, [], {APP_0, APP_1}),
])
def test_node_port_and_load_balancer_legs_cross_the_star_hooks(src, dst, port, extra, reached):
    flow = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *STARS, *extra])))(src, dst, "TCP", port)
    assert {leg.name for leg, result in flow.legs if result.verdict == "allow"} == reached


@pytest.mark.parametrize("star, verdict", [(True, "deny"), (False, "allow")])
def test_a_nodes_own_node_port_to_its_own_address_crosses_lo(star, verdict):
    """A node's connection to its own NodePort, DNATed to a hostNetwork backend on the node itself, goes out
    and in by `lo`: mangle POSTROUTING and filter INPUT dispatch it to a `*` endpoint's normal policy (the
    dispatch's default; metrics-in does not admit the node's own address), and to none without one
    (`dispatch.go` hostDispatchChains, `static.go` StaticManglePostroutingChain, filterInputChain)."""
    from tests.engine.test_node_backends import BASE, GUARDED, METRICS_IN

    any_b = host_path.hep("node-b-any", "*", node="node-b", ips=("172.18.0.3",))
    any_b["spec"]["profiles"] = ["projectcalico-default-allow"]
    objects = [*BASE, any_b, METRICS_IN] if star else GUARDED
    flow = FlowQuery(load_documents(copy.deepcopy(objects)))("node/node-b", "172.18.0.3", "TCP", 31020)
    assert [result.verdict for _, result in flow.legs] == [verdict]
    text = " ".join(s.reason for _, r in flow.legs for s in r.egress.trace)
    assert "routed to lo" in text and ("node-b-any" in text) == star


@pytest.mark.parametrize("closed, verdict", [(False, "allow"), (True, "deny")])
def test_a_pods_leg_to_a_host_network_backend_leaves_by_its_interface(closed, verdict):
    """web/client (node-a) → the agent Service (a hostNetwork backend on node-b): its packet enters node-a by
    its interface, so node-a's `*` endpoint's from-hep-forward judges it (`static.go` StaticFilterForwardChains)."""
    from tests.engine.test_node_backends import BASE, METRICS_IN

    stars = []
    for name, address in (("node-a", "172.18.0.2"), ("node-b", "172.18.0.3")):
        any_hep = host_path.hep(f"{name}-any", "*", node=name, ips=(address,))
        any_hep["spec"]["profiles"] = ["projectcalico-default-allow"]
        stars.append(any_hep)
    shut = forward("no-client", "all()", ingress=[{"action": "Deny", "source": {"selector": "app == 'client'"}},
                                                  {"action": "Allow"}])
    objects = [*BASE, *stars, METRICS_IN, *([shut] if closed else [])]
    flow = FlowQuery(load_documents(copy.deepcopy(objects)))(CLIENT, "svc/web/agent", "TCP", 80)
    assert [result.verdict for _, result in flow.legs] == [verdict]


DENY_IN = host_path.gnp("deny-in", {"order": 1, "selector": "has(host-endpoint)", "ingress": [{"action": "Deny"}]})
PRE_FROM_SELF = host_path.gnp("pre-from-self", {
    "order": 5, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "source": {"nets": ["172.18.0.2/32"]}}]})
NAMED_DENY_ALL = host_path.gnp("named-deny-all", {"order": 1, "selector": "has(named)",
                                                  "ingress": [{"action": "Deny"}], "egress": [{"action": "Deny"}]})
# (case, host endpoints, extra objects, destination, protocol, port, verdict, a phrase of the trace)
LO_CASES = [
    # without a `*` endpoint nothing governs lo (dispatch.go: only named interfaces and the default)
    ("no host endpoint", [], [], "node/node-a", "TCP", 8080, "allow", "does not cross a policed"),
    ("a named eth0 endpoint only: lo is not its", [NAMED_A], [NAMED_DENY_ALL], "172.18.0.2", "TCP", 8080, "allow",
     "does not cross a policed"),
    # filterOutputChain and filterInputChain dispatch lo to the `*` endpoint's normal chains
    ("`*`: its profile allows", STARS, [], "node/node-a", "TCP", 8080, "allow", "by lo"),
    ("`*`: its normal policy denies (filter OUTPUT first)", STARS, [NORMAL_DENY_ALL], "172.18.0.2", "TCP", 8080,
     "deny", "deny-all"),
    ("`*`: ingress only denies (filter INPUT)", STARS, [DENY_IN], "node/node-a", "TCP", 8080, "deny", "deny-in"),
    # failsafeOutChain, then failsafeInChain: a port must be failsafe both ways to pass a deny-all
    ("failsafe both ways (TCP 179)", STARS, [NORMAL_DENY_ALL], "node/node-a", "TCP", 179, "allow", "failsafe"),
    ("failsafe inbound only (TCP 22): OUTPUT denies", STARS, [NORMAL_DENY_ALL], "node/node-a", "TCP", 22, "deny",
     "deny-all"),
    ("failsafe outbound only (UDP 53): INPUT denies", STARS, [NORMAL_DENY_ALL], "node/node-a", "UDP", 53, "deny",
     "failsafe outbound"),
    # StaticManglePreroutingChain: a packet back by lo meets the `*` endpoint's preDNAT policy
    ("preDNAT on lo", STARS, [PRE_NO_9999], "node/node-a", "TCP", 9999, "deny", "pre-no-9999"),
    ("preDNAT Allow skips INPUT (acceptAlreadyAccepted)", STARS, [PRE_FROM_SELF, DENY_IN], "node/node-a", "TCP",
     8080, "allow", "INPUT policy is skipped"),
    # a named eth0 endpoint beside: lo still takes the `*` one's chains
    ("named and `*`: lo takes the `*` one", [NAMED_A, *STARS], [NAMED_DENY_ALL], "node/node-a", "TCP", 8080,
     "allow", "node-a-any"),
    ("named and `*`: the `*` one's policy", [NAMED_A, *STARS], [NORMAL_DENY_ALL], "node/node-a", "TCP", 8080,
     "deny", "deny-all"),
]


@pytest.mark.parametrize("case, heps, extra, dst, protocol, port, verdict, reason", LO_CASES,
                         ids=[c[0] for c in LO_CASES])
def test_a_nodes_traffic_to_itself_crosses_lo(case, heps, extra, dst, protocol, port, verdict, reason):
    """node-a → its own address: out and in by `lo`, which only a `*` host endpoint governs (Felix's dispatch
    default: `dispatch.go` hostDispatchChains; `static.go` filterOutputChain, StaticManglePreroutingChain,
    filterInputChain; raw clears the marks filter OUTPUT set, StaticRawPreroutingChain)."""
    objects = [*OBJECTS, *heps, *extra]
    result = FlowQuery(load_documents(copy.deepcopy(objects)))("node/node-a", dst, protocol, port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    if heps:
        assert agrees(objects)


PRE_NO_9100 = host_path.gnp("pre-no-9100", {**PRE_NO_80["spec"], "ingress": [
    {"action": "Deny", "protocol": "TCP", "destination": {"ports": [9100]}}]})
PRE_NO_9100["metadata"]["name"] = "pre-no-9100"


@pytest.mark.parametrize("extra, verdict, reason", [
    ([], "allow", "DefaultEndpointToHostAction"),
    ([PRE_NO_80], "deny", "pre-no-80"),     # mangle PREROUTING sees the ClusterIP's port 80, before DNAT
    ([PRE_NO_9100], "allow", ""),           # ... never the hostNetwork backend's port 9100
])
def test_a_pods_leg_to_a_host_network_backend_on_its_node_meets_pre_dnat_before_dnat(extra, verdict, reason):
    """web/app-0 (node-b) → the agent Service, whose hostNetwork backend is node-b itself: kube-proxy translates
    it on node-b, after mangle PREROUTING dispatched it on the pod's interface to the `*` endpoint's preDNAT
    policy (`static.go` StaticManglePreroutingChain; `dispatch.go` default), so that policy judges the ClusterIP
    and Service port; `query` and the Service rows agree."""
    from tests.engine.test_node_backends import BASE

    cluster = load_documents(copy.deepcopy([*BASE, *STARS, *extra]))
    flow = FlowQuery(cluster)(APP_0, "svc/web/agent", "TCP", 80)
    ((_, result),) = flow.legs
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    row = next(r for r in service_rows(Matrix(cluster)) if r.service.name == "agent")
    assert row.reached.get(APP_0, 0) == (verdict == "allow")


def _stray(name: str, node_name: str, address: str) -> dict:
    """A host endpoint naming eth1: eth0's named one governs its node (the alphabetically first), so this one
    governs none."""
    found = host_path.hep(name, "eth1", labels={"host-endpoint": "", "stray": ""},
                          node=node_name, ips=(address,))
    found["spec"]["profiles"] = ["projectcalico-default-allow"]
    return found


# in the office range app-1 admits
ETH1_A, ETH1_B = _stray("node-a-eth1", "node-a", "203.0.113.50"), _stray("node-b-eth1", "node-b", "203.0.113.60")
# (case, extra objects, source, destination, port, verdict, a phrase of the trace or "")
STRAY_CASES = [
    # StaticFilterForwardChains: a pod's packet to another node's address is forwarded: from-hep-forward of the
    # `*` endpoint on its interface
    ("to another node's eth1: from-hep-forward", [FORWARD_CLOSED_A], CLIENT, "node-b-eth1", 8080, "deny",
     "closed-a"),
    # filterInputChain: to its own node's eth1 address the packet goes to the node itself (workload-to-host)
    ("to its own node's eth1: not forwarded", [FORWARD_CLOSED_A], CLIENT, "node-a-eth1", 8080, "allow", ""),
    # StaticManglePreroutingChain: preDNAT on the pod's interface, whatever the destination
    ("to its own node's eth1: preDNAT", [PRE_NO_9999], CLIENT, "node-a-eth1", 9999, "deny", "pre-no-9999"),
    ("to another node's eth1: preDNAT", [PRE_NO_9999], CLIENT, "node-b-eth1", 9999, "deny", "pre-no-9999"),
    # to-hep-forward of every packet forwarded to a pod; a node's own packets to its pods are not forwarded
    ("from another node's eth1: to-hep-forward", [NOT_TO_APP_1], "node-b-eth1", APP_1, 8080, "deny",
     "not-to-app-1"),
    ("from its own node's eth1: never forwarded", [NOT_TO_APP_1], "node-a-eth1", APP_1, 8080, "allow", ""),
]


@pytest.mark.parametrize("case, extra, src, dst, port, verdict, reason", STRAY_CASES,
                         ids=[c[0] for c in STRAY_CASES])
def test_a_pods_traffic_with_a_host_endpoint_governing_no_node_crosses_the_star_hooks(case, extra, src, dst, port,
                                                                                    verdict, reason):
    """A host endpoint governing no node (node-x's eth1 beside its governing eth0 one) is still an address on
    a node: the `*` endpoint's hooks on the pod's interface judge the pod's packets to it and those forwarded
    from it (`dispatch.go` hostDispatchChains default; `static.go` as cited)."""
    named_b = host_path.hep("node-b-eth0", "eth0", labels={"host-endpoint": "", "hostname": "node-b", "named": ""},
                            node="node-b", ips=("172.18.0.3",))
    named_b["spec"]["profiles"] = ["projectcalico-default-allow"]
    objects = [*OBJECTS, NAMED_A, named_b, *STARS, ETH1_A, ETH1_B, *extra]
    result = FlowQuery(load_documents(copy.deepcopy(objects)))(src, dst, "TCP", port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    assert agrees(objects)
