"""Hand-built clusters and policies for the lab tests (no YAML, no engine)."""

from __future__ import annotations

import ipaddress

from netpolicy.model.cluster import POD, Cluster, Endpoint, NamedPort, calico_labels
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import (
    ALLOW,
    GLOBAL_NETWORK_POLICY,
    INGRESS,
    K8S_NETWORK_POLICY,
    EntityMatch,
    Policy,
    PortMatch,
    Rule,
    Tier,
)
from netpolicy.model.protocols import TCP, UDP
from netpolicy.selectors.ast import ALL, AndNode, CompareNode, Selector

ORCH = CompareNode("projectcalico.org/orchestrator", "==", "k8s")


def sel(*terms: tuple[str, str]) -> Selector:
    """`k == "v" && …` (all() when empty)."""
    nodes = tuple(CompareNode(k, "==", v) for k, v in terms)
    if not nodes:
        return ALL
    return Selector(nodes[0] if len(nodes) == 1 else AndNode(nodes))


def in_namespace(ns: str, *terms: tuple[str, str]) -> Selector:
    """A Kubernetes pod selector scoped to a namespace, as the compiler writes it."""
    return Selector(AndNode((ORCH, *(CompareNode(k, "==", v) for k, v in terms),
                             CompareNode("projectcalico.org/namespace", "==", ns))))


def pod(ns: str, name: str, ip: str, labels: dict | None = None,
        ports: tuple[tuple[str | None, int, int], ...] = ((None, TCP, 80), (None, UDP, 80))) -> Endpoint:
    labels = dict(labels or {"pod": name})
    return Endpoint(
        id=f"{ns}/{name}", kind=POD, name=name, namespace=ns, labels=labels,
        selector_labels=calico_labels(labels, namespace=ns, namespace_labels={"ns": ns},
                                      service_account="default", service_account_labels={}),
        ips=(ipaddress.ip_address(ip),), ports=tuple(NamedPort(n, p, port) for n, p, port in ports),
        service_account="default", ip_assigned=True)


def rule(action: str = ALLOW, direction: str = INGRESS, index: int = 0, **fields) -> Rule:
    return Rule(action, direction, index, f"{direction}[{index}]", **fields)


def policy(name: str, *, ns: str | None = "x", kind: str = K8S_NETWORK_POLICY, tier: str = "default",
           order: float = 1000.0, selector: Selector | None = None, types=(INGRESS,), ingress=(), egress=()) -> Policy:
    if kind == GLOBAL_NETWORK_POLICY:
        ns = None
    return Policy(name=name, kind=kind, namespace=ns, tier=tier, order=order,
                  selector=selector or (in_namespace(ns) if ns else ALL), types=frozenset(types),
                  ingress=tuple(ingress), egress=tuple(egress))


def ports(*numbers: int | tuple[int, int], names: tuple[str, ...] = ()) -> PortMatch:
    return PortMatch(IntervalSet.of(numbers), names)


def nets(*cidrs: str):
    return tuple(ipaddress.ip_network(c) for c in cidrs)


def small_cluster() -> Cluster:
    """x/a, x/b, y/c; in x a Kubernetes-style default deny plus an allow from y on TCP 80; a Calico tier
    `security` (order 100) that denies y/c → x/b on UDP 80 and passes everything else."""
    endpoints = [pod("x", "a", "10.0.1.10"), pod("x", "b", "10.0.1.11"), pod("y", "c", "10.0.2.10")]
    deny_all = policy("default-deny", selector=in_namespace("x"))
    allow_from_y = policy("allow-from-y", selector=in_namespace("x"), ingress=[
        rule(protocol=TCP, source=EntityMatch(selector=Selector(AndNode((ORCH, CompareNode("pcns.ns", "==", "y"))))),
             destination=EntityMatch(ports=ports(80)))])
    security = [
        policy("deny-c-to-b-udp", kind=GLOBAL_NETWORK_POLICY, tier="security", order=10, selector=sel(("pod", "b")),
               ingress=[rule("Deny", protocol=UDP, source=EntityMatch(selector=sel(("pod", "c"))),
                             destination=EntityMatch(ports=ports(80))),
                        rule("Pass", index=1)]),
    ]
    return Cluster(endpoints=endpoints, policies=[deny_all, allow_from_y, *security],
                   tiers={"default": Tier("default", 1_000_000.0), "security": Tier("security", 100.0)})


def small_expectations() -> dict[tuple[str, str], ConnectionSet]:
    """Hand-computed connections of `small_cluster` (every other pair: everything allowed)."""
    everything = ConnectionSet.all()
    tcp80 = ConnectionSet.of(TCP, IntervalSet.span(80, 80))
    out = {}
    ids = ["x/a", "x/b", "y/c"]
    for src in ids:
        for dst in ids:
            if dst.startswith("x/"):
                out[(src, dst)] = tcp80 if src == "y/c" else ConnectionSet.empty()
            else:
                out[(src, dst)] = everything
    return out


class HandMatrix:
    """A stand-in for the engine's matrix: endpoints and hand-computed connections."""

    def __init__(self, endpoints, connections: dict[tuple[str, str], ConnectionSet],
                 default: ConnectionSet | None = None) -> None:
        self.endpoints = list(endpoints)
        self._connections = connections
        self._default = default if default is not None else ConnectionSet.all()

    def connections(self, src: str, dst: str) -> ConnectionSet:
        return self._connections.get((src, dst), self._default)


