"""Open cluster shapes (profiles `varied` and `statefulsets`): few policies, most pods not isolated, and
selectors that tell most pods apart, so the number of classes follows the number of pods.

- `varied`: every pod carries its own `zone`, `shard` and `track` labels (drawn per pod, not per
  workload); each namespace's policy isolates one app for ingress and admits pods of some zones, of two
  sets of shards, canaries, and one zone of a team's namespaces.
- `statefulsets`: every workload is a StatefulSet; each namespace's policy singles out ordinals by
  `statefulset.kubernetes.io/pod-name` (the primary `-0` admits the app's other replicas and the
  namespace's clients; replicas admit the primary only).
"""

from __future__ import annotations

import random

from bench.cluster_gen import NamespaceInfo, World
from bench.k8s_policies import spread
from bench.vocab import TEAMS

ZONES = ("a", "b", "c", "d")
SHARDS = tuple(str(i) for i in range(8))
POD_NAME = "statefulset.kubernetes.io/pod-name"


def shape_world(world: World, profile: str) -> None:
    """`statefulsets`: every workload becomes a StatefulSet (pods `name-0`, `name-1`, … with pod-name labels)."""
    if profile == "statefulsets":
        for ns in world.namespaces:
            for workload in ns.workloads:
                workload.kind = "StatefulSet"


def shape_pods(pods: list[dict], profile: str, rng: random.Random) -> None:
    """`varied`: each pod gets its own `zone`, `shard` and `track` (system pods keep theirs)."""
    if profile != "varied":
        return
    for pod in pods:
        labels = pod["metadata"]["labels"]
        if "team" not in labels:
            continue
        labels["zone"] = rng.choice(ZONES)
        labels["shard"] = rng.choice(SHARDS)
        labels["track"] = "canary" if rng.random() < 0.2 else "stable"


def _in(key: str, values: list[str]) -> dict:
    return {"matchExpressions": [{"key": key, "operator": "In", "values": values}]}


def _policy(ns: NamespaceInfo, name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns.name}, "spec": spec}


def varied_policy(rng: random.Random, ns: NamespaceInfo, number: int) -> dict:
    """One app isolated for ingress, admitting pods by zone, shard, track and a team's zone."""
    app = ns.apps[number % len(ns.apps)]
    ports = [{"protocol": p.protocol, "port": p.port} for p in app.ports]
    rules = [
        {"from": [{"podSelector": _in("zone", sorted(rng.sample(ZONES, 2)))}], "ports": ports},
        {"from": [{"podSelector": _in("shard", sorted(rng.sample(SHARDS, 4)))}], "ports": ports[:1]},
        {"from": [{"podSelector": _in("shard", sorted(rng.sample(SHARDS, 4)))}]},
        {"from": [{"podSelector": {"matchLabels": {"track": "canary"}}}], "ports": ports[:1]},
        {"from": [{"namespaceSelector": {"matchLabels": {"team": rng.choice(TEAMS)}},
                   "podSelector": {"matchLabels": {"zone": rng.choice(ZONES)}}}], "ports": ports[:1]},
    ]
    return _policy(ns, f"allow-{app.name}-{number}", {"podSelector": {"matchLabels": {"app": app.name}},
                                                      "policyTypes": ["Ingress"], "ingress": rules})


def statefulset_policy(rng: random.Random, ns: NamespaceInfo, number: int) -> dict:
    """One workload's primary (`-0`) admits its replicas and the namespace's web and API tiers; on
    every second policy the replicas admit the primary only."""
    workloads = [w for w in ns.workloads if w.replicas > 1] or ns.workloads
    workload = workloads[number % len(workloads)]
    primary = f"{workload.name}-0"
    ports = [{"protocol": p.protocol, "port": p.port} for p in workload.app.ports]
    others = [f"{workload.name}-{i}" for i in range(1, workload.replicas)]
    if number % 2 and others:
        return _policy(ns, f"replicas-of-{workload.name}-{number}", {
            "podSelector": _in(POD_NAME, others), "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {POD_NAME: primary}}}]}]})
    peers = [{"podSelector": _in("tier", ["web", "api"])}]
    if others:
        peers.append({"podSelector": _in(POD_NAME, others)})
    return _policy(ns, f"primary-{workload.name}-{number}", {
        "podSelector": {"matchLabels": {POD_NAME: primary}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": peers, "ports": ports}]})


def open_policies(profile: str):
    """The policy writer of an open profile: `total` policies spread over the user namespaces."""
    template = varied_policy if profile == "varied" else statefulset_policy

    def write(rng: random.Random, world: World, total: int) -> list[dict]:
        namespaces = world.user_namespaces
        return [template(rng, ns, number) for ns, count in zip(namespaces, spread(total, len(namespaces)), strict=True)
                for number in range(count)]

    return write
