"""Property: the bulk matrix engine agrees with the one-flow evaluator on random clusters and policies."""

from __future__ import annotations

import ipaddress
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.errors import Diagnostics, Location
from netpolicy.model.cluster import Cluster, Endpoint, NamedPort, Namespace, calico_labels
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import (
    ALLOW,
    DENY,
    EGRESS,
    INGRESS,
    LOG,
    PASS,
    EntityMatch,
    IcmpMatch,
    Policy,
    PortMatch,
    Rule,
    Tier,
)
from netpolicy.options import Options
from netpolicy.policies.admin import compile_admin_policy
from netpolicy.policies.calico.tiers import builtin_tiers
from netpolicy.selectors.ast import AllNode, AndNode, CompareNode, HasNode, InNode, NotNode, Selector
from netpolicy.sources.raw import RawObject

NAMESPACES = ("x", "y")
KEYS = ("app", "tier")
VALUES = ("a", "b", "c")
PORTS = (53, 80, 81, 443, 5432)
PORT_NAMES = ("http", "dns", "db")
NETS = ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "192.168.0.0/16", "0.0.0.0/0",
        "fd00::/64", "fd00::2/128")

labels_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)


@st.composite
def selector_st(draw, depth: int = 0):
    kind = draw(st.integers(0, 6 if depth < 2 else 4))
    key = draw(st.sampled_from(KEYS + ("projectcalico.org/namespace",)))
    value = draw(st.sampled_from(VALUES + NAMESPACES))
    if kind == 0:
        return AllNode()
    if kind == 1:
        return CompareNode(key, draw(st.sampled_from(("==", "!="))), value)
    if kind == 2:
        return HasNode(key)
    if kind == 3:
        return InNode(key, frozenset(draw(st.lists(st.sampled_from(VALUES), max_size=2))), draw(st.booleans()))
    if kind == 4:
        return NotNode(CompareNode(key, "==", value))
    return AndNode((draw(selector_st(depth + 1)), draw(selector_st(depth + 1))))


@st.composite
def ports_st(draw):
    numbers = draw(st.lists(st.sampled_from(PORTS), max_size=2))
    ranges = [(p, p + draw(st.integers(0, 2))) for p in numbers]
    names = tuple(draw(st.lists(st.sampled_from(PORT_NAMES), max_size=1)))
    return PortMatch(IntervalSet.of(ranges), names)


@st.composite
def entity_st(draw, allow_ports: bool):
    nets = tuple(ipaddress.ip_network(n) for n in draw(st.lists(st.sampled_from(NETS), max_size=1)))
    not_nets = tuple(ipaddress.ip_network(n) for n in draw(st.lists(st.sampled_from(NETS[1:4]), max_size=1)))
    selector = Selector(draw(selector_st())) if draw(st.integers(0, 2)) == 0 else None
    not_selector = Selector(draw(selector_st())) if draw(st.integers(0, 4)) == 0 else None
    ports = draw(ports_st()) if allow_ports and draw(st.booleans()) else None
    not_ports = draw(ports_st()) if allow_ports and draw(st.integers(0, 5)) == 0 else None
    return EntityMatch(nets, not_nets, selector, not_selector, ports, not_ports)


@st.composite
def rule_st(draw, direction: str, index: int):
    protocol = draw(st.sampled_from((None, 6, 6, 17, 1, 47)))
    ports_ok = protocol in (6, 17)
    icmp = None
    if protocol == 1 and draw(st.booleans()):
        icmp = IcmpMatch(draw(st.sampled_from((0, 8))), draw(st.sampled_from((None, 0))))
    return Rule(
        action=draw(st.sampled_from((ALLOW, ALLOW, DENY, PASS, PASS, LOG))), direction=direction, index=index,
        name=f"{direction}[{index}]", protocol=protocol,
        not_protocol=draw(st.sampled_from((None, None, None, 17))) if protocol is None else None,
        icmp=icmp, source=draw(entity_st(ports_ok)), destination=draw(entity_st(ports_ok)),
    )


@st.composite
def policy_st(draw, number: int):
    namespace = draw(st.sampled_from(NAMESPACES + (None,)))
    selector = Selector(draw(selector_st()))
    if namespace:
        selector = Selector(AndNode((CompareNode("projectcalico.org/namespace", "==", namespace), selector.root)))
    types = frozenset(draw(st.lists(st.sampled_from((INGRESS, EGRESS)), min_size=1, max_size=2)))
    ingress = tuple(draw(rule_st(INGRESS, i)) for i in range(draw(st.integers(0, 3))))
    egress = tuple(draw(rule_st(EGRESS, i)) for i in range(draw(st.integers(0, 3))))
    return Policy(name=f"p{number}", kind="CalicoNetworkPolicy" if namespace else "GlobalNetworkPolicy",
                  namespace=namespace, tier=draw(st.sampled_from(("default", "security"))),
                  order=float(draw(st.sampled_from((1, 10, 1000, float("inf"))))),
                  selector=selector, types=types, ingress=ingress, egress=egress)


@st.composite
def admin_peer_st(draw, ingress: bool, named: bool):
    """A ClusterNetworkPolicy peer; egress peers may be networks or (failing closed) nodes."""
    namespaces = draw(st.sampled_from(({}, *({"matchLabels": {"kubernetes.io/metadata.name": ns}} for ns in NAMESPACES))))
    kinds = ["namespaces", "pods"] + ([] if ingress or named else ["networks", "networks", "nodes"])
    kind = draw(st.sampled_from(kinds))
    if kind == "namespaces":
        return {"namespaces": namespaces}
    if kind == "pods":
        pods = {"matchLabels": draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1))}
        return {"pods": {"namespaceSelector": namespaces, "podSelector": pods}}
    if kind == "nodes":
        return {"nodes": {}}
    return {"networks": draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=2, unique=True))}


@st.composite
def admin_protocol_st(draw):
    kind = draw(st.sampled_from(("tcp", "udp", "sctp", "named", "range")))
    if kind == "named":
        return {"destinationNamedPort": draw(st.sampled_from(PORT_NAMES))}
    port = draw(st.sampled_from(PORTS))
    if kind == "range":
        return {"tcp": {"destinationPort": {"range": {"start": port, "end": port + draw(st.integers(1, 3))}}}}
    return {kind: {"destinationPort": {"number": port}}}


@st.composite
def admin_rule_st(draw, ingress: bool):
    protocols = draw(st.lists(admin_protocol_st(), min_size=1, max_size=2)) if draw(st.booleans()) else None
    named = any("destinationNamedPort" in p for p in protocols or ())
    rule = {"action": draw(st.sampled_from(("Accept", "Deny", "Pass"))),
            "from" if ingress else "to": draw(st.lists(admin_peer_st(ingress, named), min_size=1, max_size=2))}
    if protocols:
        rule["protocols"] = protocols
    return rule


@st.composite
def admin_policy_st(draw, number: int):
    """A random ClusterNetworkPolicy, compiled by the real converter (Calico 3.32)."""
    if draw(st.booleans()):
        subject = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": draw(st.sampled_from(NAMESPACES))}}}
    else:
        subject = {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": draw(
            st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1))}}}
    spec = {"tier": draw(st.sampled_from(("Admin", "Baseline"))), "priority": draw(st.sampled_from((1, 5))),
            "subject": subject,
            "ingress": [draw(admin_rule_st(True)) for _ in range(draw(st.integers(0, 2)))],
            "egress": [draw(admin_rule_st(False)) for _ in range(draw(st.integers(0, 2)))]}
    data = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": f"cnp{number}"}, "spec": spec}
    diags = Diagnostics()
    policy = compile_admin_policy(RawObject(data, Location("random.yaml")), Options(), diags)
    assert policy is not None, [str(e) for e in diags.errors]
    return policy


@st.composite
def cluster_st(draw):
    namespaces = {ns: Namespace(ns, {"kubernetes.io/metadata.name": ns}) for ns in NAMESPACES}
    endpoints = []
    addresses = ["10.1.2.3", "10.1.2.4", "10.1.9.9", "10.2.0.1", "192.168.1.1", "172.16.0.1"]
    for i in range(draw(st.integers(1, 4))):
        ns = draw(st.sampled_from(NAMESPACES))
        own = draw(labels_st)
        ports = tuple(NamedPort(draw(st.sampled_from(PORT_NAMES)), draw(st.sampled_from((6, 17))),
                                draw(st.sampled_from(PORTS))) for _ in range(draw(st.integers(0, 2))))
        ipv4, ipv6 = ipaddress.ip_address(addresses[i]), ipaddress.ip_address(f"fd00::{i + 1}")
        stack = draw(st.sampled_from(("ipv4", "ipv4", "dual", "ipv6")))
        ips = {"ipv4": (ipv4,), "dual": (ipv4, ipv6), "ipv6": (ipv6,)}[stack]
        endpoints.append(Endpoint(
            id=f"{ns}/pod{i}", kind="Pod", name=f"pod{i}", namespace=ns, labels=own,
            selector_labels=calico_labels(own, namespace=ns, namespace_labels=namespaces[ns].labels,
                                          service_account="default", service_account_labels={}),
            ips=ips, ports=ports))
    if draw(st.booleans()):
        own = draw(labels_st)
        endpoints.append(Endpoint(id="x/set", kind="NetworkSet", name="set", namespace="x", labels=own,
                                  selector_labels={**own, "projectcalico.org/namespace": "x"},
                                  nets=(ipaddress.ip_network("10.1.0.0/16"),), policed=False))
    policies = [draw(policy_st(i)) for i in range(draw(st.integers(0, 4)))]
    policies += [draw(admin_policy_st(i)) for i in range(draw(st.integers(0, 3)))]
    tiers = {**builtin_tiers((3, 32)), "default": Tier("default", 1_000_000.0),
             "security": Tier("security", 100.0, draw(st.sampled_from((DENY, PASS))))}
    return Cluster(namespaces=namespaces, endpoints=endpoints, policies=policies, tiers=tiers)


PACKETS = [(6, 80, 40000), (6, 5432, 40000), (6, 53, 53), (17, 53, 40000), (17, 81, 80), (6, 443, 80),
           (1, 8, 0), (1, 0, 0), (47, None, None)]


def _tiered(security_default: str, security_action: str, default_rules: tuple[str, ...]) -> Cluster:
    """Two pods and a policy in each tier (security before default): always in the examples, so that
    Pass, end of tier and the fall-through to profiles are checked on every run."""
    ns = Namespace("x", {"kubernetes.io/metadata.name": "x"})
    endpoints = [Endpoint(id=f"x/pod{i}", kind="Pod", name=f"pod{i}", namespace="x", labels={},
                          selector_labels=calico_labels({}, namespace="x", namespace_labels=ns.labels,
                                                        service_account="default", service_account_labels={}),
                          ips=(ipaddress.ip_address(f"10.1.2.{i + 3}"),)) for i in range(2)]
    everything = Selector(AllNode())

    def policy(name: str, tier: str, actions: tuple[str, ...]) -> Policy:
        rules = tuple(Rule(a, INGRESS, i, f"ingress[{i}]", protocol=6) for i, a in enumerate(actions))
        return Policy(name=name, kind="GlobalNetworkPolicy", namespace=None, tier=tier, order=1.0,
                      selector=everything, types=frozenset((INGRESS,)), ingress=rules)
    policies = [policy("s", "security", (security_action,) if security_action else ())]
    if default_rules:
        policies.append(policy("d", "default", default_rules))
    tiers = {"default": Tier("default", 1_000_000.0), "security": Tier("security", 100.0, security_default)}
    return Cluster(namespaces={"x": ns}, endpoints=endpoints, policies=policies, tiers=tiers)


@settings(max_examples=int(os.environ.get("NETPOLICY_PROPERTY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cluster_st())
@example(_tiered(DENY, PASS, (ALLOW,)))            # Pass goes to the next tier
@example(_tiered(DENY, PASS, ()))                  # Pass in the last applying tier: the profiles decide
@example(_tiered(PASS, "", (DENY, ALLOW)))         # end of a tier that passes by default
@example(_tiered(DENY, LOG, (ALLOW,)))             # Log goes on; the end of tier drops
def test_matrix_agrees_with_flow_evaluator(cluster):
    matrix = compute_matrix(cluster)
    flows = FlowEvaluator(cluster)
    listed = {(src.id, dst.id): conns for src, dst, conns in matrix.flows()}
    assert len(listed) == sum(1 for _ in matrix.flows()), "a pair was listed twice"
    for src in matrix.endpoints:
        for dst in matrix.endpoints:
            if not (src.policed or dst.policed):
                continue
            conns = matrix.connections(src, dst)
            if matrix.common_family(src, dst) is None:  # IPv4-only and IPv6-only: no flow at all
                assert not conns and (src.id, dst.id) not in listed
                continue
            assert listed.get((src.id, dst.id), conns) == conns and (bool(conns) == ((src.id, dst.id) in listed))
            for protocol, port, sport in PACKETS:
                expected = flows.evaluate(src, dst, protocol, port, sport).verdict == "allow"
                assert conns.allows(protocol, port, sport) == expected, (src.id, dst.id, protocol, port, sport)
