"""Pods and workloads to endpoints: ids, folding, labels, ports, addresses, exclusions."""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import NamedPort
from netpolicy.model.protocols import SCTP, TCP, UDP

from .helpers import cluster_of, messages


def owner(kind: str, name: str, *, controller: bool = True, uid: str | None = None) -> str:
    api = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
           "Job": "batch/v1", "CronJob": "batch/v1", "ReplicationController": "v1"}[kind]
    uid_text = f", uid: {uid}" if uid else ""
    return f"{{apiVersion: {api}, kind: {kind}, name: {name}, controller: {str(controller).lower()}{uid_text}}}"


def pod(name: str, *, ns: str = "shop", labels: str = "{app: web}", owners: str = "", status: str = "",
        spec: str = "{containers: [{name: c}]}") -> str:
    owner_text = f"\n  ownerReferences: [{owners}]" if owners else ""
    status_text = f"\nstatus: {status}" if status else ""
    return (f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {labels}"
            f"{owner_text}\nspec: {spec}{status_text}\n")


def workload(kind: str, name: str, *, ns: str = "shop", labels: str = "{app: web}", owners: str = "",
             spec: str = "", pod_spec: str = "{containers: [{name: c}]}") -> str:
    api = {"Job": "batch/v1", "CronJob": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
    owner_text = f"\n  ownerReferences: [{owners}]" if owners else ""
    template = f"template: {{metadata: {{labels: {labels}}}, spec: {pod_spec}}}"
    if kind == "CronJob":
        body = f"  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      {template}\n"
    else:
        body = f"  {template}\n"
    extra = f"  {spec}\n" if spec else ""
    return (f"---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}{owner_text}\n"
            f"spec:\n{body}{extra}")


def endpoint_summary(text: str, **options: object) -> tuple[list[tuple[str, str, tuple[str, ...]]], Diagnostics]:
    diags = Diagnostics()
    cluster = cluster_of(text, diags, **options)
    return [(e.id, e.kind, tuple(str(ip) for ip in e.ips)) for e in cluster.endpoints], diags


RUNNING = "{phase: Running, podIP: %s}"

FOLDING_CASES = [
    pytest.param(
        workload("Deployment", "web") + workload("ReplicaSet", "web-5d", owners=owner("Deployment", "web"))
        + pod("web-5d-a", owners=owner("ReplicaSet", "web-5d"), status=RUNNING % "10.1.0.7")
        + pod("web-5d-b", owners=owner("ReplicaSet", "web-5d"), status=RUNNING % "10.1.0.8"),
        [("shop/web", "Deployment", ("10.1.0.7", "10.1.0.8"))],
        id="deployment-replicaset-pods"),
    pytest.param(
        workload("ReplicaSet", "web-5d", owners=owner("Deployment", "web"))
        + pod("web-5d-a", owners=owner("ReplicaSet", "web-5d"), status=RUNNING % "10.1.0.7"),
        [("shop/web-5d", "ReplicaSet", ("10.1.0.7",))],
        id="replicaset-whose-deployment-was-not-read"),
    pytest.param(
        workload("Deployment", "web")
        + pod("web-5d-a", owners=owner("ReplicaSet", "web-5d"), status=RUNNING % "10.1.0.7"),
        [("shop/web", "Deployment", ("10.244.0.1",)), ("shop/web-5d-a", "Pod", ("10.1.0.7",))],
        id="pod-whose-replicaset-was-not-read"),
    pytest.param(
        workload("CronJob", "backup") + workload("Job", "backup-28", owners=owner("CronJob", "backup"))
        + pod("backup-28-x", owners=owner("Job", "backup-28"), status=RUNNING % "10.1.0.9"),
        [("shop/backup", "CronJob", ("10.1.0.9",))],
        id="cronjob-job-pod"),
    pytest.param(
        workload("StatefulSet", "db") + pod("db-0", owners=owner("StatefulSet", "db"), status=RUNNING % "10.1.0.3")
        + pod("db-1", owners=owner("StatefulSet", "db"), status=RUNNING % "10.1.0.2"),
        [("shop/db", "StatefulSet", ("10.1.0.2", "10.1.0.3"))],  # address order, whatever the input order
        id="statefulset"),
    pytest.param(
        workload("DaemonSet", "agent") + pod("agent-x", owners=owner("DaemonSet", "agent")),
        [("shop/agent", "DaemonSet", ("10.244.0.1",))],
        id="daemonset-pod-without-ip"),
    pytest.param(
        workload("ReplicationController", "old") + pod("old-x", owners=owner("ReplicationController", "old")),
        [("shop/old", "ReplicationController", ("10.244.0.1",))],
        id="replicationcontroller"),
    pytest.param(
        workload("Deployment", "web", ns="a") + workload("ReplicaSet", "web-5d", ns="b",
                                                          owners=owner("Deployment", "web")),
        [("a/web", "Deployment", ("10.244.0.1",)), ("b/web-5d", "ReplicaSet", ("10.244.0.2",))],
        id="owners-are-looked-up-in-the-same-namespace"),
    pytest.param(
        workload("StatefulSet", "db") + pod("db-0", owners=owner("StatefulSet", "db", uid="old-uid"),
                                             status=RUNNING % "10.1.0.3"),
        [("shop/db", "StatefulSet", ("10.1.0.3",))],
        id="a-reference-uid-alone-does-not-prevent-folding"),
    pytest.param(
        workload("StatefulSet", "db") + workload("StatefulSet", "other")
        + pod("db-0", owners=owner("StatefulSet", "other", controller=False) + ", " + owner("StatefulSet", "db"),
              status=RUNNING % "10.1.0.3"),
        [("shop/db", "StatefulSet", ("10.1.0.3",)), ("shop/other", "StatefulSet", ("10.244.0.1",))],
        id="the-controller-reference-wins"),
    pytest.param(
        workload("ReplicaSet", "a", owners=owner("ReplicaSet", "b")) + workload("ReplicaSet", "b", owners=owner("ReplicaSet", "a"))
        + workload("ReplicaSet", "c", owners=owner("ReplicaSet", "c")),
        [("shop/a", "ReplicaSet", ("10.244.0.1",)), ("shop/c", "ReplicaSet", ("10.244.0.2",))],
        id="ownership-cycles-end"),
    pytest.param(
        pod("web") + workload("Deployment", "web") + workload("StatefulSet", "web"),
        [("shop/Deployment/web", "Deployment", ("10.244.0.1",)),
         ("shop/StatefulSet/web", "StatefulSet", ("10.244.0.2",)), ("shop/web", "Pod", ("10.244.0.3",))],
        id="id-collision-gives-workloads-their-kind"),
    pytest.param(
        pod("web", ns="a") + workload("Deployment", "web", ns="b"),
        [("a/web", "Pod", ("10.244.0.1",)), ("b/web", "Deployment", ("10.244.0.2",))],
        id="no-collision-across-namespaces"),
]


@pytest.mark.parametrize("text, expected", FOLDING_CASES)
def test_folding_and_ids(text: str, expected: list) -> None:
    endpoints, diags = endpoint_summary(text)
    assert endpoints == expected
    assert diags.errors == []


def test_uid_in_the_owner_object_must_match() -> None:
    text = (workload("StatefulSet", "db").replace("  namespace: shop\n", "  namespace: shop\n  uid: new-uid\n", 1)
            + pod("db-0", owners=owner("StatefulSet", "db", uid="old-uid"), status=RUNNING % "10.1.0.3")
            + pod("db-1", owners=owner("StatefulSet", "db", uid="new-uid"), status=RUNNING % "10.1.0.4"))
    endpoints, _ = endpoint_summary(text)
    assert endpoints == [("shop/db", "StatefulSet", ("10.1.0.4",)), ("shop/db-0", "Pod", ("10.1.0.3",))]


@pytest.mark.parametrize("kind, spec, replicas", [
    ("Deployment", "replicas: 3", 3),
    ("Deployment", "", 1),
    ("Deployment", "replicas: 0", 0),
    ("StatefulSet", "replicas: 5", 5),
    ("ReplicaSet", "replicas: 2", 2),
    ("ReplicationController", "replicas: 4", 4),
    ("DaemonSet", "", 1),
    ("Job", "parallelism: 6", 6),
    ("Job", "", 1),
])
def test_replicas(kind: str, spec: str, replicas: int) -> None:
    cluster = cluster_of(workload(kind, "w", spec=spec))
    assert [e.replicas for e in cluster.endpoints] == [replicas]


def test_cronjob_parallelism_and_template() -> None:
    text = workload("CronJob", "c", labels="{job: backup}").replace(
        "    spec:\n      template", "    spec:\n      parallelism: 2\n      template")
    [endpoint] = cluster_of(text).endpoints
    assert (endpoint.replicas, dict(endpoint.labels)) == (2, {"job": "backup"})


def test_workload_endpoint_takes_the_pod_template() -> None:
    text = (workload("Deployment", "web", labels="{app: web, tier: front}",
                     pod_spec="{serviceAccountName: web-sa, containers: [{name: c, ports: [{name: http, "
                              "containerPort: 8080}]}]}")
            + "---\napiVersion: v1\nkind: ServiceAccount\n"
              "metadata: {name: web-sa, namespace: shop, labels: {role: api}}\n")
    [endpoint] = cluster_of(text).endpoints
    assert dict(endpoint.labels) == {"app": "web", "tier": "front"}
    assert endpoint.ports == (NamedPort("http", TCP, 8080),)
    assert endpoint.service_account == "web-sa"
    assert endpoint.profiles == ("kns.shop", "ksa.shop.web-sa")
    assert endpoint.selector_labels["pcsa.role"] == "api"
    assert endpoint.namespace == "shop" and endpoint.name == "web" and endpoint.policed


def test_pod_endpoint() -> None:
    text = pod("api", labels="{app: api}", spec="""
    nodeName: node-1
    serviceAccount: legacy
    initContainers: [{name: init, ports: [{name: init-port, containerPort: 3000}]}]
    containers:
    - name: a
      ports:
      - {containerPort: 5678}
      - {name: dns, containerPort: 53, protocol: UDP}
      - {name: sig, containerPort: 9, protocol: SCTP}
      - {name: quic, containerPort: 443, protocol: QUIC}
    """.replace("\n", "\n  "))
    diags = Diagnostics()
    [endpoint] = cluster_of(text, diags).endpoints
    assert (endpoint.id, endpoint.kind, endpoint.node, endpoint.service_account) == ("shop/api", "Pod", "node-1", "legacy")
    assert endpoint.ports == (NamedPort(None, TCP, 5678), NamedPort("dns", UDP, 53), NamedPort("sig", SCTP, 9),
                              NamedPort("init-port", TCP, 3000))
    [warning] = messages(diags)
    assert warning.startswith('<stdin>:18: spec.containers[0].ports[3].protocol: "QUIC" is not a container port protocol; '
                            "the port is ignored (expected TCP, UDP or SCTP)")


def test_default_service_account_and_namespace() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    [endpoint] = cluster_of(text).endpoints
    assert (endpoint.id, endpoint.namespace, endpoint.service_account) == ("default/p", "default", "default")
    assert endpoint.selector_labels == {
        "pcns.kubernetes.io/metadata.name": "default", "pcns.projectcalico.org/name": "default",
        "pcsa.projectcalico.org/name": "default", "projectcalico.org/namespace": "default",
        "projectcalico.org/orchestrator": "k8s", "projectcalico.org/serviceaccount": "default"}


def test_selector_labels_inherit_namespace_and_service_account_labels() -> None:
    text = (pod("p", labels="{app: web, pcns.team: mine}", spec="{serviceAccountName: api}")
            + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: blue, env: prod}}\n"
            + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop, labels: {tier: x}}\n")
    [endpoint] = cluster_of(text).endpoints
    labels = endpoint.selector_labels
    assert labels["pcns.env"] == "prod"
    assert labels["pcns.team"] == "mine"  # the pod's own label wins (docs/semantics.md#label-inheritance)
    assert labels["pcns.kubernetes.io/metadata.name"] == "shop"
    assert labels["pcsa.tier"] == "x"
    assert labels["projectcalico.org/serviceaccount"] == "api"


def test_long_service_account_names_have_no_serviceaccount_label() -> None:
    long_name = "sa-" + "x" * 70
    [endpoint] = cluster_of(pod("p", spec=f"{{serviceAccountName: {long_name}}}")).endpoints
    assert "projectcalico.org/serviceaccount" not in endpoint.selector_labels
    assert endpoint.selector_labels["pcsa.projectcalico.org/name"] == long_name


@pytest.mark.parametrize("status, expected", [
    ("{podIP: 10.0.0.5}", ("10.0.0.5",)),
    ("{podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}, {ip: 'fd00::5'}]}", ("10.0.0.5", "fd00::5")),
    ("{podIPs: [{ip: 'fd00::1:5'}]}", ("fd00::1:5",)),
    ("{phase: Running, podIPs: [{ip: 10.0.0.5}, {ip: 10.0.0.5}]}", ("10.0.0.5",)),
])
def test_pod_addresses(status: str, expected: tuple[str, ...]) -> None:
    [endpoint] = cluster_of(pod("p", status=status)).endpoints
    assert tuple(str(ip) for ip in endpoint.ips) == expected
    assert endpoint.ip_assigned


@pytest.mark.parametrize("status, path", [
    ("{podIP: 10.0.0.300}", "status.podIP"),
    ("{podIPs: [{ip: 10.0.0.1}, {ip: nope}]}", "status.podIPs[1].ip"),
    ("{podIPs: [{ip: 17}]}", "status.podIPs[0].ip"),
])
def test_invalid_pod_address_is_an_error(status: str, path: str) -> None:
    diags = Diagnostics()
    cluster_of(pod("p", status=status), diags)
    [error] = messages(diags, "error")
    assert f": {path}: " in error and "is not an IP address (expected an IPv4 or IPv6 address, without a zone" in error
    assert error.startswith("<stdin>:")


def test_endpoints_without_address_get_stable_ones_in_id_order() -> None:
    text = pod("c") + pod("a") + pod("b", status="{podIP: 10.244.0.2}") + pod("d")
    endpoints, _ = endpoint_summary(text)
    assert endpoints == [("shop/a", "Pod", ("10.244.0.1",)), ("shop/b", "Pod", ("10.244.0.2",)),
                         ("shop/c", "Pod", ("10.244.0.3",)), ("shop/d", "Pod", ("10.244.0.4",))]
    shuffled, _ = endpoint_summary(pod("d") + pod("b", status="{podIP: 10.244.0.2}") + pod("a") + pod("c"))
    assert shuffled == endpoints
    cluster = cluster_of(text)
    assert [e.ip_assigned for e in cluster.endpoints] == [False, True, False, False]


def test_addresses_of_services_and_host_endpoints_are_not_handed_out() -> None:
    text = pod("a") + pod("b") + """
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: shop}
spec: {clusterIP: 10.244.0.1, ports: [{port: 80}]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: h}
spec: {node: n, expectedIPs: [10.244.0.2, bogus]}
"""
    endpoints, diags = endpoint_summary(text)
    assert endpoints == [("shop/a", "Pod", ("10.244.0.3",)), ("shop/b", "Pod", ("10.244.0.4",))]


@pytest.mark.parametrize("pod_cidr, expected", [
    ("10.9.0.0/24", [("10.9.0.1",), ("10.9.0.2",)]),
    ("10.9.0.7/24", [("10.9.0.1",), ("10.9.0.2",)]),
    ("fd00:10::/64", [("fd00:10::1",), ("fd00:10::2",)]),
    ("10.9.0.0/24, fd00:10::/64", [("10.9.0.1", "fd00:10::1"), ("10.9.0.2", "fd00:10::2")]),
    ("10.9.0.0/30", [("10.9.0.1",), ("10.9.0.2",)]),
])
def test_pod_cidr(pod_cidr: str, expected: list) -> None:
    endpoints, diags = endpoint_summary(pod("a") + pod("b"), pod_cidr=pod_cidr)
    assert [ips for _, _, ips in endpoints] == expected
    assert diags.problems == []


def test_exhausted_pod_cidr_is_an_error() -> None:
    endpoints, diags = endpoint_summary(pod("a") + pod("b") + pod("c"), pod_cidr="10.9.0.0/30")
    assert [ips for _, _, ips in endpoints] == [("10.9.0.1",), ("10.9.0.2",), ()]
    [error] = messages(diags, "error")
    assert error.endswith("the pod CIDR 10.9.0.0/30 has no free address left for shop/c; give a larger --pod-cidr")


@pytest.mark.parametrize("pod_cidr", ["10.9.0.0/33", "nope", "", "10.0.0.0/8,10.1.0.0/16"])
def test_invalid_pod_cidr_is_an_error(pod_cidr: str) -> None:
    endpoints, diags = endpoint_summary(pod("a"), pod_cidr=pod_cidr)
    assert endpoints == [("shop/a", "Pod", ())]
    [error] = messages(diags, "error")
    assert error.startswith("--pod-cidr: ") and "is not a pod CIDR" in error


EXCLUSIONS = [
    ("{hostNetwork: true, containers: [{name: c}]}", "", "hostNetwork: traffic carries the node's address"),
    ("{nodeName: n, containers: [{name: c}]}", "{phase: Succeeded, podIP: 10.0.0.1}", "finished (phase Succeeded"),
    ("{nodeName: n, containers: [{name: c}]}", "{phase: Failed}", "finished (phase Succeeded or Failed)"),
    ("{containers: [{name: c}]}", "{phase: Pending}", "not scheduled to a node, so no address"),
]


@pytest.mark.parametrize("spec, status, reason", EXCLUSIONS)
def test_pods_that_are_not_endpoints(spec: str, status: str, reason: str) -> None:
    diags = Diagnostics()
    cluster = cluster_of(pod("p", spec=spec, status=status) + pod("q"), diags)
    assert [e.id for e in cluster.endpoints] == ["shop/q"]
    [warning] = messages(diags, "warning")
    assert warning.startswith(f"<stdin>:2: Pod shop/p is not an endpoint: {reason}")
    assert diags.errors == []
    assert list(cluster.warnings) == diags.warnings


@pytest.mark.parametrize("spec, status", [
    ("{containers: [{name: c}]}", ""),  # a manifest: it will be scheduled
    ("{containers: [{name: c}]}", "{}"),  # kubectl --dry-run output
    ("{nodeName: n, containers: [{name: c}]}", "{phase: Pending}"),  # scheduled, address coming
    ("{hostNetwork: false, containers: [{name: c}]}", "{phase: Running, podIP: 10.0.0.1}"),
])
def test_pods_that_are_endpoints(spec: str, status: str) -> None:
    diags = Diagnostics()
    assert [e.id for e in cluster_of(pod("p", spec=spec, status=status), diags).endpoints] == ["shop/p"]
    assert diags.problems == []


def test_host_network_workloads_are_not_endpoints_nor_their_pods() -> None:
    diags = Diagnostics()
    text = (workload("DaemonSet", "proxy", pod_spec="{hostNetwork: true, containers: [{name: c}]}")
            + pod("proxy-x", owners=owner("DaemonSet", "proxy"), spec="{hostNetwork: true}",
                  status=RUNNING % "192.168.1.5"))
    assert cluster_of(text, diags).endpoints == ()
    assert messages(diags) == ["<stdin>:2: DaemonSet shop/proxy is not an endpoint: hostNetwork: traffic carries "
                               "the node's address and no policy applies"]


def test_finished_pods_of_a_workload_give_no_address() -> None:
    diags = Diagnostics()
    text = (workload("Job", "migrate") + pod("migrate-a", owners=owner("Job", "migrate"),
                                              status="{phase: Succeeded, podIP: 10.1.0.1}")
            + pod("migrate-b", owners=owner("Job", "migrate"), status=RUNNING % "10.1.0.2"))
    assert [(e.id, tuple(map(str, e.ips))) for e in cluster_of(text, diags).endpoints] == [
        ("shop/migrate", ("10.1.0.2",))]
    assert diags.problems == []


def test_many_exclusions_are_one_warning() -> None:
    diags = Diagnostics()
    text = "".join(pod(f"done-{i}", status="{phase: Succeeded}") for i in range(5))
    assert cluster_of(text, diags).endpoints == ()
    assert messages(diags) == ["<stdin>:2: 5 objects (Pod) are not endpoints: finished (phase Succeeded or Failed), "
                               "so no address: shop/done-0, shop/done-1, shop/done-2 and 2 more"]


def test_two_endpoints_with_one_address_is_a_warning() -> None:
    diags = Diagnostics()
    cluster_of(pod("a", status=RUNNING % "10.0.0.1") + pod("b", status=RUNNING % "10.0.0.1"), diags)
    [warning] = messages(diags)
    assert "shop/b has the address 10.0.0.1, which shop/a has too" in warning


@pytest.mark.parametrize("env, expected", [
    ("[{name: DATABASE_URL, value: 'postgres://u:p@postgresql:5432/db'}]", True),
    ("[{name: DB_HOST, value: postgresql.shop.svc.cluster.local}]", True),
    ("[{name: DB_HOST, value: 'postgresql.shop:5432'}]", True),
    ("[{name: POSTGRES_SERVICE_HOST, value: 10.0.0.1}]", True),
    ("[{name: DB_HOST, value: 10.0.0.1}]", False),
    ("[{name: DB_HOST, value: postgresql.example.com}]", False),
    ("[{name: DB_HOST, value: postgresql-old}]", False),
    ("[{name: DB, valueFrom: {secretKeyRef: {name: postgresql, key: k}}}]", False),
])
def test_env_references_to_services(env: str, expected: bool) -> None:
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: postgresql, namespace: shop}\nspec: {ports: [{port: 5432}]}\n"
    text = service + pod("p", spec=f"{{containers: [{{name: c, env: {env}}}]}}")
    [endpoint] = cluster_of(text).endpoints
    assert endpoint.env_refs_services is expected


def test_service_in_another_namespace_needs_its_namespace() -> None:
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: infra}\n"
    bare = cluster_of(service + pod("p", spec="{containers: [{name: c, env: [{name: H, value: cache}]}]}"))
    qualified = cluster_of(service + pod("p", spec="{containers: [{name: c, env: [{name: H, value: cache.infra}]}]}"))
    assert [e.env_refs_services for e in bare.endpoints + qualified.endpoints] == [False, True]


@pytest.mark.parametrize("spec, path, message", [
    ("{containers: [{name: c, ports: [{containerPort: 70000}]}]}", "spec.containers[0].ports[0].containerPort",
     "70000 is not a port (expected 1-65535)"),
    ("{containers: [{name: c, ports: [{containerPort: 0}]}]}", "spec.containers[0].ports[0].containerPort",
     "0 is not a port (expected 1-65535)"),
    ("{containers: [{name: c, ports: [{containerPort: '80'}]}]}", "spec.containers[0].ports[0].containerPort",
     '"80" is not a port number (expected an integer 1-65535)'),
    ("{containers: [{name: c, ports: [{name: x}]}]}", "spec.containers[0].ports[0].containerPort",
     "missing (expected a port number (1-65535))"),
    ("{containers: [{name: c, ports: {containerPort: 80}}]}", "spec.containers[0].ports",
     "a mapping is not a list (expected a list)"),
    ("{containers: [web]}", "spec.containers[0]", '"web" is not a mapping (expected a mapping of fields)'),
    ("{serviceAccountName: 5}", "spec.serviceAccountName", "5 is not a string (expected a string)"),
])
def test_invalid_pod_spec_is_an_error(spec: str, path: str, message: str) -> None:
    diags = Diagnostics()
    cluster_of(pod("p", spec=spec), diags)
    assert messages(diags, "error") == [f"<stdin>:8: {path}: {message}"]


def test_invalid_replicas_is_an_error() -> None:
    diags = Diagnostics()
    [endpoint] = cluster_of(workload("Deployment", "w", spec="replicas: three"), diags).endpoints
    assert endpoint.replicas == 1
    assert messages(diags, "error") == ['<stdin>:9: spec.replicas: "three" is not a count '
                                        "(expected a whole number 0-2147483647 (int32))"]


def test_workload_template_errors_point_into_the_template() -> None:
    diags = Diagnostics()
    cluster_of(workload("Deployment", "w", labels="{version: 1.5}"), diags)
    assert messages(diags, "error") == [
        "<stdin>:8: spec.template.metadata.labels.version: 1.5 is not a string (expected a string); "
        "quote the value in YAML so that it stays a string"]


def test_endpoint_addresses_are_ip_objects() -> None:
    [endpoint] = cluster_of(pod("p", status="{podIP: 'fd00::1'}")).endpoints
    assert endpoint.ips == (ipaddress.IPv6Address("fd00::1"),)


def test_default_pod_cidr_grows_to_fit(monkeypatch) -> None:
    """Without --pod-cidr, more endpoints than 10.244.0.0/16 holds still get addresses (it widens);
    the pool is shrunk here to keep the test small: the rule is the same."""
    from netpolicy.sources import ip_pool

    monkeypatch.setattr(ip_pool, "DEFAULT_POD_CIDR", "10.9.0.0/30")
    found, diags = endpoint_summary(pod("a") + pod("b") + pod("c"), pod_cidr="10.9.0.0/30")
    assert [ips for _, _, ips in found] == [("10.9.0.1",), ("10.9.0.2",), ("10.9.0.3",)]
    assert diags.problems == []
