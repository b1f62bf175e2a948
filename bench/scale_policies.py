"""Kubernetes NetworkPolicies shaped like the OpenShift network-policy scale test (the `scale-test` profile).

Every policy selects some of its namespace's apps and has one selector rule (5 namespaces by name and
5 `app` labels) and 5 ipBlock rules (one CIDR each, some with `except`), every rule on the same 5 single
TCP ports and 5 TCP port ranges. Policies alternate between Ingress and Egress.
"""

from __future__ import annotations

import ipaddress
import random

from bench.cluster_gen import NamespaceInfo, World
from bench.k8s_policies import spread
from bench.vocab import APPS, PUBLIC_NETS

SINGLE_PORTS = 5
PORT_RANGES = 5
REMOTE_NAMESPACES = 5
REMOTE_PODS = 5
CIDRS = 5

NAMESPACE_NAME = "kubernetes.io/metadata.name"
#: Well-known service ports that fill a policy's single ports after its own apps' ports.
COMMON_PORTS: tuple[int, ...] = (80, 443, 8080, 8443, 9090, 5432, 3306, 6379, 9092, 5672, 8000, 9200, 50051,
                                 11211, 15672, 2379, 6443, 27017)
#: Port ranges sit in distinct blocks of this many ports, so a policy's ranges never overlap.
_RANGE_BLOCK = 1000
_RANGE_WIDTHS = (5, 10, 50, 100, 500)


def _in(key: str, values: list[str]) -> dict:
    return {"matchExpressions": [{"key": key, "operator": "In", "values": values}]}


def _app_values(namespaces: list[NamespaceInfo]) -> list[str]:
    """The `app` label values of the workloads in these namespaces, in order of first appearance."""
    seen: dict[str, None] = {}
    for ns in namespaces:
        for workload in ns.workloads:
            if "app" in workload.labels:
                seen.setdefault(workload.labels["app"], None)
    return list(seen)


def _remote_apps(rng: random.Random, peers: list[NamespaceInfo], world: World) -> list[str]:
    """5 `app` values: from the peer namespaces first, then from the rest of the cluster, then the vocabulary."""
    chosen: list[str] = []
    for pool in (_app_values(peers), _app_values(world.namespaces), [app.name for app in APPS]):
        fresh = [app for app in pool if app not in chosen]
        chosen += rng.sample(fresh, min(REMOTE_PODS - len(chosen), len(fresh)))
    return sorted(chosen)


def _single_ports(rng: random.Random, targets: list[NamespaceInfo], apps: list[str]) -> list[int]:
    """5 distinct TCP ports: the ports the target apps listen on first, then well-known ones."""
    served = sorted({port.port for ns in targets for workload in ns.workloads if workload.labels.get("app") in apps
                     for port in workload.app.ports if port.protocol == "TCP"})
    chosen = rng.sample(served, min(SINGLE_PORTS, len(served)))
    common = [port for port in COMMON_PORTS if port not in chosen]
    chosen += rng.sample(common, SINGLE_PORTS - len(chosen))
    return sorted(chosen)


def _port_ranges(rng: random.Random) -> list[tuple[int, int]]:
    """5 TCP port ranges of assorted widths, each in its own block between 1000 and 64999."""
    blocks = sorted(rng.sample(range(1, 65_535 // _RANGE_BLOCK), PORT_RANGES))
    ranges = []
    for block in blocks:
        start = block * _RANGE_BLOCK + rng.randrange(_RANGE_BLOCK // 2)
        ranges.append((start, start + rng.choice(_RANGE_WIDTHS)))
    return ranges


def _pod_subnet(rng: random.Random, world: World) -> dict:
    """A small subnet of the pod network around a real pod, sometimes with a /28 cut out."""
    address = world.pod_network.network_address + 1 + rng.randrange(world.pod_count)
    subnet = ipaddress.ip_network(f"{address}/{rng.choice((24, 25, 26))}", strict=False)
    block: dict = {"cidr": str(subnet)}
    if rng.random() < 0.5:
        block["except"] = [str(rng.choice(list(subnet.subnets(new_prefix=28))))]
    return block


def _external_net(rng: random.Random) -> dict:
    """A range outside the cluster, sometimes with one or two subnets cut out."""
    parent = ipaddress.ip_network(rng.choice(PUBLIC_NETS))
    prefix = max(parent.prefixlen, rng.choice((16, 20, 24)))
    offset = rng.randrange(2 ** (prefix - parent.prefixlen))
    net = ipaddress.ip_network((int(parent.network_address) + offset * 2 ** (32 - prefix), prefix))
    block: dict = {"cidr": str(net)}
    if rng.random() < 0.5:
        holes = net.subnets(new_prefix=min(prefix + 4, 32))
        picked = sorted(rng.sample(list(holes), rng.randint(1, 2)))
        block["except"] = [str(hole) for hole in picked]
    return block


def _ip_blocks(rng: random.Random, world: World) -> list[dict]:
    """5 distinct ipBlocks, about two in five inside the pod network."""
    blocks: dict[str, dict] = {}
    while len(blocks) < CIDRS:
        block = _pod_subnet(rng, world) if rng.random() < 0.4 else _external_net(rng)
        blocks.setdefault(block["cidr"], block)
    return list(blocks.values())


def scale_policy(rng: random.Random, ns: NamespaceInfo, world: World, index: int) -> dict:
    """The `index`-th policy of a namespace: Ingress for even indexes, Egress for odd ones."""
    ingress = index % 2 == 0
    local_apps = sorted(rng.sample([app.name for app in ns.apps], rng.randint(1, len(ns.apps))))
    peers = rng.sample(world.namespaces, REMOTE_NAMESPACES)
    remote_apps = _remote_apps(rng, peers, world)
    targets, target_apps = ([ns], local_apps) if ingress else (peers, remote_apps)
    ports = [{"protocol": "TCP", "port": port} for port in _single_ports(rng, targets, target_apps)]
    ports += [{"protocol": "TCP", "port": start, "endPort": end} for start, end in _port_ranges(rng)]
    peer_key = "from" if ingress else "to"
    selector_peer = {"namespaceSelector": _in(NAMESPACE_NAME, sorted(p.name for p in peers)),
                     "podSelector": _in("app", remote_apps)}
    # Each rule gets its own copy of the ports: YAML would otherwise write shared lists as anchors.
    rules = [{peer_key: [selector_peer], "ports": [dict(port) for port in ports]}]
    rules += [{peer_key: [{"ipBlock": block}], "ports": [dict(port) for port in ports]}
              for block in _ip_blocks(rng, world)]
    direction = "Ingress" if ingress else "Egress"
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"{direction.lower()}-{index + 1:03d}", "namespace": ns.name},
            "spec": {"podSelector": _in("app", local_apps), "policyTypes": [direction],
                     direction.lower(): rules}}


def scale_test_policies(rng: random.Random, world: World, total: int) -> list[dict]:
    """`total` scale-test NetworkPolicies spread over the user namespaces."""
    if len(world.namespaces) < REMOTE_NAMESPACES:
        raise ValueError(f"the scale-test profile needs at least {REMOTE_NAMESPACES} namespaces")
    policies = []
    for ns, count in zip(world.user_namespaces, spread(total, len(world.user_namespaces)), strict=True):
        policies.extend(scale_policy(rng, ns, world, index) for index in range(count))
    return policies
