"""Kubernetes NetworkPolicies in the shapes teams write: default denies, DNS, tiers, namespaces, ipBlocks."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable

from bench.cluster_gen import NamespaceInfo, World
from bench.vocab import PRIVATE_NETS, PUBLIC_NETS, TEAMS, UPSTREAM

Spec = dict
Template = Callable[[random.Random, NamespaceInfo, World], tuple[str, Spec]]


def _labels(**labels: str) -> dict:
    return {"matchLabels": labels}


def _expression(key: str, operator: str, values: list[str] | None = None) -> dict:
    expression = {"key": key, "operator": operator}
    if values is not None:
        expression["values"] = values
    return expression


def deny_ingress(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Isolate every pod of the namespace for ingress."""
    return "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}


def deny_all(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Isolate every pod of the namespace both ways."""
    return "default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def allow_dns(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Egress to the cluster DNS on UDP and TCP 53."""
    peer = {"namespaceSelector": _labels(**{"kubernetes.io/metadata.name": "kube-system"}),
            "podSelector": _labels(**{"k8s-app": "kube-dns"})}
    return "allow-dns", {"podSelector": {}, "policyTypes": ["Egress"],
                         "egress": [{"to": [peer], "ports": [{"protocol": "UDP", "port": 53},
                                                             {"protocol": "TCP", "port": 53}]}]}


def allow_upstream(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """An app admits the tiers that call it, on its named TCP ports."""
    app = rng.choice(ns.apps)
    upstream = sorted(UPSTREAM.get(app.tier, ("web",)))
    ports = [{"protocol": p.protocol, "port": p.name} for p in app.ports if p.protocol == "TCP" and p.name != "metrics"]
    rule: dict = {"from": [{"podSelector": {"matchExpressions": [_expression("tier", "In", upstream)]}}]}
    if ports:
        rule["ports"] = ports
    return f"allow-{app.name}-from-{'-'.join(upstream)}", {
        "podSelector": _labels(app=app.name), "policyTypes": ["Ingress"], "ingress": [rule]}


def allow_team_namespaces(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Web and API pods admit a team's namespaces of the same environment (sometimes only their API tier)."""
    team = rng.choice(TEAMS)
    peer: dict = {"namespaceSelector": _labels(team=team, env=ns.env)}
    if rng.random() < 0.5:
        peer["podSelector"] = _labels(tier="api")
    return f"allow-team-{team}", {
        "podSelector": {"matchExpressions": [_expression("tier", "In", ["api", "web"])]},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 443}]}]}


def allow_monitoring(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Prometheus scrapes every labelled app on its `metrics` port."""
    peer = {"namespaceSelector": _labels(**{"kubernetes.io/metadata.name": "monitoring"}),
            "podSelector": _labels(app="prometheus")}
    return "allow-prometheus-scrape", {
        "podSelector": {"matchExpressions": [_expression("app", "Exists")]}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [peer], "ports": [{"port": "metrics"}]}]}


def allow_external_web(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """The web tier admits the internet, private ranges excepted."""
    peer = {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_NETS)}}
    return "allow-internet-to-web", {
        "podSelector": _labels(tier="web"), "policyTypes": ["Ingress"],
        "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443},
                                               {"protocol": "TCP", "port": 8080}]}]}


def egress_to_data(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """API and backend pods reach databases by named port and caches outside dev namespaces."""
    databases = {"to": [{"podSelector": _labels(tier="db")}],
                 "ports": [{"protocol": "TCP", "port": "postgres"}, {"protocol": "TCP", "port": "mysql"}]}
    caches = {"to": [{"namespaceSelector": {"matchExpressions": [_expression("env", "NotIn", ["dev"])]},
                      "podSelector": _labels(tier="cache")}],
              "ports": [{"protocol": "TCP", "port": 6379}, {"protocol": "UDP", "port": 11211}]}
    return "egress-to-data", {
        "podSelector": {"matchExpressions": [_expression("tier", "In", ["api", "backend"])]},
        "policyTypes": ["Egress"], "egress": [databases, caches]}


def egress_external_range(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """An app reaches a partner's range on port ranges, one subnet excepted."""
    app = rng.choice(ns.apps)
    net = ipaddress.ip_network(rng.choice(PUBLIC_NETS))
    holes = list(net.subnets(new_prefix=min(net.prefixlen + 4, 32)))
    peer = {"ipBlock": {"cidr": str(net), "except": [str(rng.choice(holes))]}}
    return f"egress-{app.name}-partner", {
        "podSelector": _labels(app=app.name), "policyTypes": ["Egress"],
        "egress": [{"to": [peer], "ports": [{"protocol": "TCP", "port": 30000, "endPort": 32767},
                                            {"protocol": "UDP", "port": 5000, "endPort": 5100}]}]}


def ingress_pod_subnet(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """An app admits one /24 of the pod network (a /28 excepted) on a port range."""
    app = rng.choice(ns.apps)
    address = world.pod_network.network_address + 1 + rng.randrange(world.pod_count)
    subnet = ipaddress.ip_network(f"{address}/24", strict=False)
    hole = rng.choice(list(subnet.subnets(new_prefix=28)))
    return f"allow-{app.name}-from-subnet", {
        "podSelector": _labels(app=app.name), "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": str(subnet), "except": [str(hole)]}}],
                     "ports": [{"port": 8000, "endPort": 8100}]}]}


def allow_same_namespace(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Every pod admits every pod of its own namespace."""
    return "allow-same-namespace", {"podSelector": {}, "policyTypes": ["Ingress"],
                                    "ingress": [{"from": [{"podSelector": {}}]}]}


def version_gate(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Versioned, non-canary pods admit non-dev pods of any namespace on `http`."""
    peer = {"namespaceSelector": {}, "podSelector": {"matchExpressions": [_expression("env", "NotIn", ["dev"])]}}
    return "allow-versioned-http", {
        "podSelector": {"matchExpressions": [_expression("version", "Exists"),
                                             _expression("canary", "DoesNotExist")]},
        "policyTypes": ["Ingress"], "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": "http"}]}]}


def queue_replication(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """Queue brokers admit each other on SCTP replication and their client ports from the backend."""
    return "allow-queue-traffic", {
        "podSelector": _labels(tier="queue"), "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": _labels(tier="queue")}], "ports": [{"protocol": "SCTP", "port": 9899}]},
                    {"from": [{"podSelector": _labels(tier="backend")}, {"podSelector": _labels(tier="api")}],
                     "ports": [{"port": "kafka"}, {"port": "amqp"}]}]}


def allow_all_egress(rng: random.Random, ns: NamespaceInfo, world: World) -> tuple[str, Spec]:
    """One tier may open connections anywhere."""
    tier = rng.choice(["web", "api", "backend"])
    return f"allow-{tier}-egress", {"podSelector": _labels(tier=tier), "policyTypes": ["Egress"], "egress": [{}]}


#: Templates after the first policy of a namespace, with their weights.
WEIGHTED: tuple[tuple[Template, int], ...] = (
    (allow_upstream, 8), (allow_team_namespaces, 3), (allow_monitoring, 2), (allow_external_web, 2),
    (egress_to_data, 2), (egress_external_range, 2), (ingress_pod_subnet, 2), (allow_same_namespace, 1),
    (version_gate, 2), (queue_replication, 1), (allow_all_egress, 1), (allow_dns, 1), (deny_ingress, 1),
)


def namespace_policies(rng: random.Random, ns: NamespaceInfo, world: World, count: int) -> list[dict]:
    """`count` NetworkPolicies for one namespace: usually a default deny first, then allowances."""
    chosen: list[Template] = []
    if count >= 2 and rng.random() < 0.7:
        chosen.append(deny_all if rng.random() < 0.4 else deny_ingress)
        if chosen[0] is deny_all:
            chosen.append(allow_dns)
    templates, weights = zip(*WEIGHTED, strict=True)
    while len(chosen) < count:
        chosen.append(rng.choices(templates, weights)[0])
    policies, names = [], set()
    for template in chosen[:count]:
        base, spec = template(rng, ns, world)
        name, serial = base, 1
        while name in names:
            serial += 1
            name = f"{base}-{serial}"
        names.add(name)
        policies.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": name, "namespace": ns.name}, "spec": spec})
    return policies


def spread(total: int, buckets: int) -> list[int]:
    """`total` split into `buckets` near-equal counts, larger ones first."""
    return [total // buckets + (1 if i < total % buckets else 0) for i in range(buckets)]


def kubernetes_policies(rng: random.Random, world: World, total: int) -> list[dict]:
    """`total` NetworkPolicies spread over the user namespaces."""
    namespaces = world.user_namespaces
    policies = []
    for ns, count in zip(namespaces, spread(total, len(namespaces)), strict=True):
        policies.extend(namespace_policies(rng, ns, world, count))
    return policies
