"""The synthetic cluster itself: namespaces, workloads and their pods (with addresses), and Services."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field

from bench.sizes import POD_CIDR, ClusterSpec
from bench.vocab import APPS, ENVS, PRODUCTS, SERVICE_PORT, TEAMS, VERSIONS, App, ContainerPort

SERVICE_CIDR = "10.96.0.0/12"
PODS_PER_NODE = 110
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

COREDNS = App("coredns", "system", (ContainerPort("dns", 53, "UDP"), ContainerPort("dns-tcp", 53),
                                    ContainerPort("metrics", 9153)))
PROMETHEUS = App("prometheus", "monitoring", (ContainerPort("web", 9090),), stateful=True)


@dataclass
class Workload:
    """One Deployment or StatefulSet and the addresses of its replicas."""

    namespace: str
    name: str
    app: App
    kind: str
    labels: dict[str, str]
    service_account: str
    first_ip: int
    replicas: int
    template_hash: str
    pod_names: list[str] = field(default_factory=list)


@dataclass
class NamespaceInfo:
    """A namespace, its labels and the workloads in it."""

    name: str
    labels: dict[str, str]
    workloads: list[Workload] = field(default_factory=list)

    @property
    def team(self) -> str:
        """The owning team (system namespaces belong to the platform team)."""
        return self.labels.get("team", "platform")

    @property
    def env(self) -> str:
        """The environment label (system namespaces count as prod)."""
        return self.labels.get("env", "prod")

    @property
    def apps(self) -> list[App]:
        """The distinct apps running here, in order of first appearance."""
        seen: dict[str, App] = {}
        for workload in self.workloads:
            seen.setdefault(workload.app.name, workload.app)
        return list(seen.values())


@dataclass
class World:
    """The whole generated cluster: user namespaces come after the two system ones."""

    namespaces: list[NamespaceInfo]
    pod_network: ipaddress.IPv4Network
    pod_count: int

    @property
    def user_namespaces(self) -> list[NamespaceInfo]:
        """Namespaces of the teams, without kube-system and monitoring."""
        return [ns for ns in self.namespaces if "team" in ns.labels]


def build_world(spec: ClusterSpec, rng: random.Random) -> World:
    """Namespaces and workloads with `spec.pods` replicas in all, addresses assigned in order."""
    if spec.namespaces < 3:
        raise ValueError("a cluster needs at least 3 namespaces (kube-system, monitoring and one of its own)")
    system = [_namespace("kube-system", {}), _namespace("monitoring", {"purpose": "observability"})]
    next_ip = [0]

    def add(ns: NamespaceInfo, app: App, name: str, replicas: int, extra: dict[str, str]) -> None:
        kind = "StatefulSet" if app.stateful else "Deployment"
        labels = {**extra}
        workload = Workload(ns.name, name, app, kind, labels, _service_account(rng, app),
                            next_ip[0], replicas, _hash(rng, 10 if kind == "Deployment" else 9))
        next_ip[0] += replicas
        ns.workloads.append(workload)

    add(system[0], COREDNS, "coredns", 2, {"k8s-app": "kube-dns"})
    add(system[1], PROMETHEUS, "prometheus", 1, {"app": "prometheus", "app.kubernetes.io/name": "prometheus"})
    user_count = spec.namespaces - len(system)
    remaining = spec.pods - next_ip[0]
    if remaining < user_count:
        raise ValueError(f"{spec.pods} pods cannot fill {spec.namespaces} namespaces")
    width = len(str(user_count))
    user = []
    for index in range(user_count):
        team, env, product = rng.choice(TEAMS), rng.choice(ENVS), rng.choice(PRODUCTS)
        labels = {"team": team, "env": env, "product": product}
        if rng.random() < 0.1:
            labels["compliance"] = "pci"
        if rng.random() < 0.3:
            labels["istio-injection"] = "enabled"
        ns = _namespace(f"{product}-{env}-{index + 1:0{width}d}", labels)
        pods = remaining // user_count + (1 if index < remaining % user_count else 0)
        _fill_namespace(rng, ns, pods, add)
        user.append(ns)
    network = ipaddress.ip_network(POD_CIDR)
    if next_ip[0] > network.num_addresses - 2:
        raise ValueError(f"{next_ip[0]} pods do not fit in {POD_CIDR}")
    return World(system + user, network, next_ip[0])


def _namespace(name: str, labels: dict[str, str]) -> NamespaceInfo:
    return NamespaceInfo(name, {"kubernetes.io/metadata.name": name, **labels})


def _fill_namespace(rng: random.Random, ns: NamespaceInfo, pods: int, add) -> None:
    """Workloads of a few apps until the namespace holds `pods` replicas."""
    apps = rng.sample(APPS, k=min(len(APPS), rng.randint(3, 8)))
    used: dict[str, int] = {}
    while pods > 0:
        app = rng.choice(apps)
        replicas = min(pods, rng.choice((1, 2, 2, 3, 3, 4, 5)))
        used[app.name] = used.get(app.name, 0) + 1
        name = app.name if used[app.name] == 1 else f"{app.name}-{used[app.name]}"
        labels = {"app": app.name, "tier": app.tier, "team": ns.team, "env": ns.env}
        if rng.random() < 0.8:
            labels["version"] = rng.choice(VERSIONS)
        if rng.random() < 0.05:
            labels["canary"] = "true"
        add(ns, app, name, replicas, labels)
        pods -= replicas


def _service_account(rng: random.Random, app: App) -> str:
    """Half the workloads run as their own service account, the others as `default`."""
    return app.name if rng.random() < 0.5 else "default"


def _hash(rng: random.Random, length: int) -> str:
    """A random name suffix in the alphabet Kubernetes uses for generated names."""
    number = rng.getrandbits(5 * length)
    letters = []
    for _ in range(length):
        number, digit = divmod(number, len(_HASH_ALPHABET))
        letters.append(_HASH_ALPHABET[digit])
    return "".join(letters)


def pod_ip(world: World, index: int) -> str:
    """The address of the pod with this global index (skipping the network address)."""
    n = int(world.pod_network.network_address) + 1 + index
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def namespace_objects(world: World) -> list[dict]:
    """Every Namespace."""
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": dict(ns.labels)}}
            for ns in world.namespaces]


def _containers(workload: Workload, version: str) -> list[dict]:
    ports = [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in workload.app.ports]
    return [{"name": workload.app.name, "image": f"registry.example.com/{workload.app.name}:{version}",
             "ports": ports}]


def pod_objects(world: World, rng: random.Random) -> list[dict]:
    """One Pod per replica, as `kubectl get pods -o json` shows them: owner references, addresses, nodes."""
    pods = []
    for ns in world.namespaces:
        for workload in ns.workloads:
            containers = _containers(workload, workload.labels.get("version", "latest"))
            for replica in range(workload.replicas):
                index = workload.first_ip + replica
                labels = dict(workload.labels)
                if workload.kind == "Deployment":
                    owner_kind, owner = "ReplicaSet", f"{workload.name}-{workload.template_hash}"
                    name = f"{owner}-{_hash(rng, 5)}"
                    labels["pod-template-hash"] = workload.template_hash
                else:
                    owner_kind, owner = "StatefulSet", workload.name
                    name = f"{workload.name}-{replica}"
                    labels["controller-revision-hash"] = f"{workload.name}-{workload.template_hash}"
                    labels["statefulset.kubernetes.io/pod-name"] = name
                workload.pod_names.append(name)
                ip = pod_ip(world, index)
                pods.append({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": ns.name, "labels": labels,
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner,
                                                      "controller": True}]},
                    "spec": {"serviceAccountName": workload.service_account,
                             "nodeName": f"node-{index // PODS_PER_NODE}", "containers": containers},
                    "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
                })
    return pods


def workload_objects(world: World) -> list[dict]:
    """One Deployment or StatefulSet per workload, replicas counted but not written out."""
    objects = []
    for ns in world.namespaces:
        for workload in ns.workloads:
            selector = {k: v for k, v in workload.labels.items() if k in ("app", "k8s-app", "tier", "team")}
            spec = {
                "replicas": workload.replicas,
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": dict(workload.labels)},
                             "spec": {"serviceAccountName": workload.service_account,
                                      "containers": _containers(workload, workload.labels.get("version", "latest"))}},
            }
            if workload.kind == "StatefulSet":
                spec["serviceName"] = workload.name
            objects.append({"apiVersion": "apps/v1", "kind": workload.kind,
                            "metadata": {"name": workload.name, "namespace": ns.name, "labels": selector},
                            "spec": spec})
    return objects


def service_objects(world: World) -> list[dict]:
    """A ClusterIP Service in front of the first workload of each app (workers serve nobody)."""
    services = []
    addresses = ipaddress.ip_network(SERVICE_CIDR).hosts()
    next(addresses)  # the API server's own address
    for ns in world.namespaces:
        seen: set[str] = set()
        for workload in ns.workloads:
            if workload.app.name in seen or workload.app.name == "worker":
                continue
            seen.add(workload.app.name)
            key = "k8s-app" if "k8s-app" in workload.labels else "app"
            ports = [{"name": p.name, "port": SERVICE_PORT.get(p.name, p.port), "targetPort": p.name,
                      "protocol": p.protocol} for p in workload.app.ports]
            name = "kube-dns" if key == "k8s-app" else workload.name
            services.append({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": ns.name},
                "spec": {"type": "ClusterIP", "clusterIP": str(next(addresses)),
                         "selector": {key: workload.labels[key]}, "ports": ports},
            })
    return services
