"""Calico objects: tiers, global and namespaced network sets, GlobalNetworkPolicies and NetworkPolicies."""

from __future__ import annotations

import ipaddress
import random

from bench.cluster_gen import NamespaceInfo, World
from bench.k8s_policies import spread
from bench.vocab import ENVS, PRIVATE_NETS, PUBLIC_NETS, TEAMS, TIERS, VERSIONS

API = "projectcalico.org/v3"
TIER_ORDERS = {"security": 100, "platform": 500}
_TIER_WEIGHTS = (("default", 6), ("platform", 2), ("security", 1))
_ACTION_WEIGHTS = (("Allow", 7), ("Deny", 2), ("Pass", 1))


def _object(kind: str, name: str, spec: dict, namespace: str | None = None, labels: dict | None = None) -> dict:
    metadata: dict = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": API, "kind": kind, "metadata": metadata, "spec": spec}


def _random_subnets(rng: random.Random, count: int, prefix: int = 24) -> list[str]:
    nets = []
    for _ in range(count):
        parent = ipaddress.ip_network(rng.choice(PUBLIC_NETS))
        size = max(prefix, parent.prefixlen)
        offset = rng.randrange(2 ** (size - parent.prefixlen))
        nets.append(str(ipaddress.ip_network((int(parent.network_address) + offset * 2 ** (32 - size), size))))
    return sorted(set(nets))


def tiers() -> list[dict]:
    """A security tier that denies or passes, and a platform tier that passes what it does not decide."""
    return [_object("Tier", "security", {"order": TIER_ORDERS["security"], "defaultAction": "Deny"}),
            _object("Tier", "platform", {"order": TIER_ORDERS["platform"], "defaultAction": "Pass"})]


def global_objects(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """The threat feed set and the cluster-wide policies (security tier ends in Pass for everyone), ending
    with a baseline default deny for application namespaces."""
    feed = _object("GlobalNetworkSet", "threat-feed", {"nets": _random_subnets(rng, 6, 28)}, labels={"feed": "threats"})
    pci = _object("GlobalNetworkPolicy", "security.pci-isolation", {
        "tier": "security", "order": 5, "selector": "all()", "namespaceSelector": "compliance == 'pci'",
        "types": ["Ingress"],
        "ingress": [{"action": "Pass", "source": {"namespaceSelector": "compliance == 'pci'"}},
                    {"action": "Pass", "source": {"namespaceSelector": "kubernetes.io/metadata.name == 'monitoring'"}},
                    {"action": "Deny"}]})
    dev_to_prod = _object("GlobalNetworkPolicy", "security.no-dev-to-prod", {
        "tier": "security", "order": 8, "selector": "env == 'prod'", "types": ["Ingress"],
        "ingress": [{"action": "Log", "source": {"selector": "env == 'dev'"}},
                    {"action": "Deny", "source": {"selector": "env == 'dev'"}}]})
    threats = _object("GlobalNetworkPolicy", "security.block-threats", {
        "tier": "security", "order": 10, "selector": "all()", "types": ["Ingress", "Egress"],
        "ingress": [{"action": "Deny", "source": {"selector": "feed == 'threats'"}}, {"action": "Pass"}],
        "egress": [{"action": "Deny", "destination": {"selector": "feed == 'threats'"}}, {"action": "Pass"}]})
    dns = {"selector": "k8s-app == 'kube-dns'", "namespaceSelector": "kubernetes.io/metadata.name == 'kube-system'",
           "ports": [53]}
    platform_dns = _object("GlobalNetworkPolicy", "platform.allow-dns", {
        "tier": "platform", "order": 100, "selector": "all()", "types": ["Egress"],
        "egress": [{"action": "Allow", "protocol": "UDP", "destination": dns},
                   {"action": "Allow", "protocol": "TCP", "destination": dict(dns)}]})
    # The baseline Calico recommends: every application pod is isolated both ways in the default tier,
    # behind the Kubernetes policies (order 1000) that allow what each namespace needs.
    baseline = _object("GlobalNetworkPolicy", "default.baseline-deny", {
        "tier": "default", "order": 10000, "selector": "all()",
        "namespaceSelector": "kubernetes.io/metadata.name not in {'kube-system', 'monitoring'}",
        "types": ["Ingress", "Egress"]})
    return [feed], [pci, dev_to_prod, threats, platform_dns, baseline]


def _selector(rng: random.Random, ns: NamespaceInfo) -> str:
    apps = [app.name for app in ns.apps]
    choice = rng.randrange(6)
    if choice == 0:
        return f"app == '{rng.choice(apps)}'"
    if choice == 1:
        first, second = sorted(rng.sample(TIERS, 2))
        return f"tier in {{'{first}', '{second}'}} && env == '{ns.env}'"
    if choice == 2:
        return "has(version) && !has(canary)"
    if choice == 3:
        return f"app == '{rng.choice(apps)}' || app == '{rng.choice(apps)}'"
    if choice == 4:
        return f"version != '{rng.choice(VERSIONS)}'"
    return "all()"


def _peer(rng: random.Random, ns: NamespaceInfo, outward: bool) -> dict:
    choice = rng.randrange(7)
    if choice == 0:
        return {"selector": f"tier == '{rng.choice(TIERS)}'"}
    if choice == 1:
        return {"namespaceSelector": f"team == '{rng.choice(TEAMS)}' && env != '{rng.choice(ENVS)}'"}
    if choice == 2:
        return {"nets": _random_subnets(rng, rng.randint(1, 3), 24 if outward else 20)}
    if choice == 3:
        return {"nets": ["0.0.0.0/0"], "notNets": list(PRIVATE_NETS)}
    if choice == 4:
        return {"selector": "role == 'partner'"}
    if choice == 5:
        return {"selector": f"app == '{rng.choice(ns.apps).name}'", "notSelector": f"version == '{rng.choice(VERSIONS)}'"}
    return {"selector": "all()", "namespaceSelector": f"product == '{ns.labels.get('product', 'shop')}'"}


def _rule(rng: random.Random, ns: NamespaceInfo, direction: str) -> dict:
    action = rng.choices(*zip(*_ACTION_WEIGHTS, strict=True))[0]
    rule: dict = {"action": action}
    rule["source" if direction == "ingress" else "destination"] = _peer(rng, ns, outward=direction == "egress")
    if action == "Allow" or rng.random() < 0.5:
        protocol = "TCP" if rng.random() < 0.8 else "UDP"
        rule["protocol"] = protocol
        destination = rule.setdefault("destination", {})
        if protocol == "TCP":
            destination["ports"] = rng.choice([["http"], [8080], ["8000:8100"], [5432, "9000:9100"], ["https", 443]])
            if rng.random() < 0.1:
                destination["notPorts"] = [22]
        else:
            destination["ports"] = rng.choice([[53], ["5000:5100"], ["statsd"]])
        if rng.random() < 0.05:
            rule.setdefault("source", {})["ports"] = ["1024:65535"]
    return rule


def namespace_policy(rng: random.Random, ns: NamespaceInfo, taken: set[str]) -> dict:
    """One Calico NetworkPolicy in a tier, with an order, selectors in Calico syntax and mixed actions."""
    tier = rng.choices(*zip(*_TIER_WEIGHTS, strict=True))[0]
    kind = rng.random()
    types = ["Ingress"] if kind < 0.6 else ["Egress"] if kind < 0.8 else ["Ingress", "Egress"]
    spec: dict = {"tier": tier, "selector": _selector(rng, ns), "types": types}
    if rng.random() < 0.9:
        spec["order"] = rng.choice([100, 200, 500, 900, 1000, 1100, 1500])
    for direction in ("ingress", "egress"):
        if direction.capitalize() in types:
            spec[direction] = [_rule(rng, ns, direction) for _ in range(rng.randint(1, 3))]
    base = f"{tier}.{types[0].lower()}-{rng.randrange(10_000):04d}" if tier != "default" else \
        f"{types[0].lower()}-{rng.randrange(10_000):04d}"
    name, serial = base, 1
    while name in taken:
        serial += 1
        name = f"{base}-{serial}"
    taken.add(name)
    return _object("NetworkPolicy", name, spec, namespace=ns.name)


def calico_objects(rng: random.Random, world: World, total: int) -> tuple[list[dict], int]:
    """Tiers, network sets and `total` Calico policies (global ones first); returns them and the policy count."""
    sets, global_policies = global_objects(rng)
    global_policies = global_policies[:total]
    objects = tiers() + sets + global_policies
    namespaced = total - len(global_policies)
    namespaces = world.user_namespaces
    order = rng.sample(range(len(namespaces)), len(namespaces))
    for position, count in zip(order, spread(namespaced, len(namespaces)), strict=True):
        if count == 0:
            continue
        ns = namespaces[position]
        if rng.random() < 0.2:
            objects.append(_object("NetworkSet", "partners", {"nets": _random_subnets(rng, 2)},
                                   namespace=ns.name, labels={"role": "partner"}))
        taken: set[str] = set()
        objects.extend(namespace_policy(rng, ns, taken) for _ in range(count))
    return objects, len(global_policies) + namespaced
