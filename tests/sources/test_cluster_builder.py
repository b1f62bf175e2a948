"""The cluster model from objects: namespaces, services, service accounts, accepted objects, errors."""

from __future__ import annotations

import pytest

from netpolicy.errors import Diagnostics, Location
from netpolicy.model.cluster import Namespace, Service, ServiceAccount, ServicePort
from netpolicy.model.protocols import SCTP, TCP, UDP
from netpolicy.options import Options
from netpolicy.sources import build_cluster
from netpolicy.sources.raw import RawObject

from .helpers import cluster_of, messages, read_text

NS_LABEL = "kubernetes.io/metadata.name"


def test_namespaces_defined_and_referenced() -> None:
    cluster = cluster_of("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels: {team: blue, kubernetes.io/metadata.name: wrong}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: billing}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: g}
        """)
    assert cluster.namespaces == {
        "billing": Namespace("billing", {NS_LABEL: "billing"}, defined=False),
        "default": Namespace("default", {NS_LABEL: "default"}, defined=False),
        "shop": Namespace("shop", {"team": "blue", NS_LABEL: "shop"}, True, Location("<stdin>", 2)),
    }


def test_services() -> None:
    diags = Diagnostics()
    cluster = cluster_of("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          type: NodePort
          selector: {app: web}
          clusterIPs: [10.96.0.10, "fd00::10"]
          ports:
          - {name: http, port: 80, targetPort: http, nodePort: 30080}
          - {port: 53, protocol: UDP}
          - {port: 9, protocol: SCTP, targetPort: 9009}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: headless}
        spec: {clusterIP: None, selector: {}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: legacy}
        spec: {clusterIP: 10.96.0.11}
        """, diags)
    assert list(cluster.services) == [
        Service("shop", "web", {"app": "web"},
                (ServicePort(80, TCP, "http", "http", 30080), ServicePort(53, UDP, 53), ServicePort(9, SCTP, 9009)),
                "NodePort", ("10.96.0.10", "fd00::10"), Location("<stdin>", 2)),
        Service("default", "headless", None, (), "ClusterIP", (), Location("<stdin>", 14)),
        Service("default", "legacy", None, (), "ClusterIP", ("10.96.0.11",), Location("<stdin>", 19)),
    ]
    assert diags.problems == []


@pytest.mark.parametrize("spec, message", [
    ("{ports: [{port: 0}]}", "<stdin>:4: spec.ports[0].port: 0 is not a port (expected 1-65535)"),
    ("{ports: [{port: 80, protocol: ICMP}]}",
     '<stdin>:4: spec.ports[0].protocol: "ICMP" is not a service protocol (expected TCP, UDP or SCTP)'),
    ("{ports: [{port: 80, targetPort: 99999}]}",
     "<stdin>:4: spec.ports[0].targetPort: 99999 is not a port (expected 1-65535)"),
    ("{ports: [{port: 80, targetPort: [1]}]}",
     "<stdin>:4: spec.ports[0].targetPort: a list is not a port (expected a port number or a container port name)"),
    ("{clusterIP: 10.0.0.256}",
     '<stdin>:4: spec.clusterIP: "10.0.0.256" is not an IP address '
     '(expected an IPv4 or IPv6 address, or "None" for a headless service)'),
    ("{clusterIPs: 10.0.0.1}", '<stdin>:4: spec.clusterIPs: "10.0.0.1" is not a list (expected a list of IP addresses)'),
    ("{selector: [app]}", "<stdin>:4: spec.selector: a list is not a mapping (expected a mapping of strings to strings)"),
    # kube-proxy's fields, checked as the API server's ValidateService checks them
    ("{internalTrafficPolicy: Node}",
     '<stdin>:4: spec.internalTrafficPolicy: "Node" is not a traffic policy (expected Cluster or Local)'),
    ("{type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/33]}",
     '<stdin>:4: spec.loadBalancerSourceRanges[0]: "10.0.0.0/33" is not a CIDR '
     "(expected an IPv4 or IPv6 CIDR such as 203.0.113.0/24)"),
    ("{type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.1]}",
     '<stdin>:4: spec.loadBalancerSourceRanges[0]: "10.0.0.1" is not a CIDR '
     "(expected an IPv4 or IPv6 CIDR such as 203.0.113.0/24)"),
    ("{type: LoadBalancer, loadBalancerSourceRanges: 10.0.0.0/8}",
     '<stdin>:4: spec.loadBalancerSourceRanges: "10.0.0.0/8" is not a list (expected a list of CIDRs)'),
    ("{type: NodePort, loadBalancerSourceRanges: [10.0.0.0/8]}",
     "<stdin>:4: spec.loadBalancerSourceRanges: may only be used when type is LoadBalancer (it is NodePort) "
     "(expected type: LoadBalancer, or no loadBalancerSourceRanges)"),
    ("{sessionAffinity: Cookie}",
     '<stdin>:4: spec.sessionAffinity: "Cookie" is not a session affinity (expected None or ClientIP)'),
    ("{sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}}",
     "<stdin>:4: spec.sessionAffinityConfig: must not be set when session affinity is None "
     "(expected sessionAffinity: ClientIP, or no sessionAffinityConfig)"),
    ("{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}}",
     "<stdin>:4: spec.sessionAffinityConfig.clientIP.timeoutSeconds: 86401 is not a timeout "
     "(expected whole seconds 1-86400)"),
    ("{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}}",
     "<stdin>:4: spec.sessionAffinityConfig.clientIP.timeoutSeconds: 0 is not a timeout "
     "(expected whole seconds 1-86400)"),
])
def test_invalid_services(spec: str, message: str) -> None:
    diags = Diagnostics()
    cluster = cluster_of(f"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {spec}\n", diags)
    assert messages(diags, "error") == [message]
    assert len(cluster.services) == 1


def test_service_accounts() -> None:
    cluster = cluster_of("""
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: api, namespace: shop, labels: {tier: back}}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: api}
        """)
    assert cluster.service_accounts == {
        ("shop", "api"): ServiceAccount("shop", "api", {"tier": "back"}, Location("<stdin>", 2)),
        ("default", "api"): ServiceAccount("default", "api", {}, Location("<stdin>", 6)),
    }


def test_objects_holds_every_known_object_and_warnings_every_warning() -> None:
    diags = Diagnostics()
    objects = read_text("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p}
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: a}
        ---
        apiVersion: crd.projectcalico.org/v1
        kind: Tier
        metadata: {name: t}
        """, diags)
    cluster = build_cluster(objects, Options(), diags)
    assert [o.kind for o in cluster.objects] == ["NetworkPolicy", "AdminNetworkPolicy", "Tier"]
    assert cluster.objects[0] is objects[1]
    assert cluster.policies == () and cluster.endpoints == ()
    assert [str(w) for w in cluster.warnings] == ["<stdin>:2: unknown kind ConfigMap (v1): 1 object ignored"]


def test_unknown_kinds_are_one_warning_per_kind() -> None:
    diags = Diagnostics()
    text = "".join(f"---\napiVersion: v1\nkind: Foo\nmetadata: {{name: f{i}}}\n" for i in range(3))
    text += "---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n"
    text += "---\napiVersion: example.com/v1\nkind: Foo\nmetadata: {name: other}\n"
    cluster_of(text, diags)
    assert messages(diags) == [
        "<stdin>:2: unknown kind Foo (v1): 3 objects ignored",
        "<stdin>:14: unknown kind Deployment (extensions/v1beta1): 1 object ignored; netpolicy reads Deployment as apps/v1",
        "<stdin>:18: unknown kind Foo (example.com/v1): 1 object ignored",
    ]
    assert diags.errors == []


@pytest.mark.parametrize("text, expected", [
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\n",
     ["<stdin>:3: metadata.name: missing (expected a name)"]),
    ("apiVersion: v1\nkind: Pod\n", ["<stdin>:1: metadata.name: missing (expected a name)"]),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ''\n", ["<stdin>:4: metadata.name: missing (expected a name)"]),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: 12\n",
     ["<stdin>:4: metadata.name: 12 is not a name (expected a string)"]),
    ("apiVersion: v1\nkind: Pod\nmetadata: [x]\n",
     ["<stdin>:3: metadata: a list is not a mapping (expected a mapping with name, namespace and labels)"]),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    version: 2\n",
     ["<stdin>:6: metadata.labels.version: 2 is not a string (expected a string); "
      "quote the value in YAML so that it stays a string"]),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: [x]\n",
     ["<stdin>:5: metadata.namespace: a list is not a string (expected a string)"]),
])
def test_metadata_errors(text: str, expected: list[str]) -> None:
    diags = Diagnostics()
    cluster_of(text, diags)
    assert messages(diags, "error") == expected


def test_the_same_object_twice_names_both_places() -> None:
    diags = Diagnostics()
    cluster = cluster_of("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: default}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: web}
        ---
        apiVersion: crd.projectcalico.org/v1
        kind: NetworkPolicy
        metadata: {name: web}
        """, diags)
    assert messages(diags, "error") == [
        "<stdin>:8: Pod default/web is defined twice (first at <stdin>:4); keep one of the two definitions",
        "<stdin>:20: NetworkPolicy default/web is defined twice (first at <stdin>:16); keep one of the two definitions",
    ]
    assert [o.kind for o in cluster.objects] == ["Pod", "NetworkPolicy", "NetworkPolicy"]


def test_namespace_on_a_cluster_scoped_kind_is_ignored_with_a_warning() -> None:
    diags = Diagnostics()
    cluster = cluster_of("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
                         "metadata: {name: g, namespace: shop}\n", diags)
    assert messages(diags) == ["<stdin>:3: metadata.namespace: ignored: GlobalNetworkSet is not a namespaced kind"]
    assert cluster.namespaces == {}


def test_raw_objects_from_elsewhere_with_odd_values_do_not_raise() -> None:
    diags = Diagnostics()
    odd = [
        RawObject({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "ownerReferences": "x"},
                   "spec": None, "status": "running"}, Location("odd.json")),
        RawObject({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q", "ownerReferences": [
            {"kind": ["x"], "name": "y"}, 5]}, "spec": {"containers": None, "hostNetwork": "yes"}},
            Location("odd.json")),
        RawObject({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                   "spec": {"template": [], "replicas": True}}, Location("odd.json")),
        RawObject({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                   "spec": {"jobTemplate": "x"}}, Location("odd.json")),
        RawObject({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                   "spec": {"ports": [{"port": 80, "protocol": ["TCP"]}]}}, Location("odd.json")),
    ]
    cluster = build_cluster(odd, Options(), diags)
    assert sorted(e.id for e in cluster.endpoints) == ["default/c", "default/d", "default/p", "default/q"]
    assert [str(p) for p in diags.problems] == [
        "odd.json: spec.ports[0].protocol: a list is not a service protocol (expected TCP, UDP or SCTP)",
        "odd.json: spec.template: a list is not a mapping (expected a mapping of fields)",
        "odd.json: spec.replicas: true is not a count (expected a whole number 0-2147483647 (int32))",
        'odd.json: spec.jobTemplate: "x" is not a mapping (expected a mapping of fields)',
    ]


@pytest.mark.parametrize("cluster_ip, stored, error", [
    ("10.96.0.1", ("10.96.0.1",), ""),
    ("'FD00:0:0::0010'", ("fd00::10",), ""),
    ("010.96.0.1", (), '"010.96.0.1" is not an IP address'),
    ("5", (), "5 is not an IP address"),
    ("''", (), ""),
])
def test_cluster_ips_are_stored_in_canonical_form(cluster_ip: str, stored: tuple[str, ...], error: str) -> None:
    diags = Diagnostics()
    [service] = cluster_of(f"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {{clusterIP: {cluster_ip}}}\n",
                           diags).services
    assert service.cluster_ips == stored
    assert [m.split(": ", 2)[2].split(" (")[0] for m in messages(diags, "error")] == ([error] if error else [])


def test_a_repeated_namespace_that_agrees_is_read_once() -> None:
    # sock-shop (microservices-demo/microservices-demo, deploy/kubernetes/manifests and
    # manifests-policy/netpol-default-deny.yaml) defines Namespace sock-shop twice, the second time with an
    # annotation only; kubectl apply accepts both.
    diags = Diagnostics()
    cluster = cluster_of("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: sock-shop}
        ---
        kind: Namespace
        apiVersion: v1
        metadata:
          name: sock-shop
          annotations: {net.beta.kubernetes.io/network-policy: '{"ingress": {"isolation": "DefaultDeny"}}'}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: sock-shop, labels: {team: other}}
        """, diags)
    assert messages(diags, "warning") == [
        "<stdin>:9: Namespace sock-shop is defined again (first at <stdin>:4); the definitions agree, "
        "so it is read once, as kubectl apply would"]
    assert messages(diags, "error") == [
        "<stdin>:14: Namespace sock-shop is defined twice (first at <stdin>:4); keep one of the two definitions"]
    assert list(cluster.namespaces) == ["sock-shop"]


@pytest.mark.parametrize("spec, expected", [
    ("{}", ("Cluster", (), "None", None)),
    ("{internalTrafficPolicy: Local}", ("Local", (), "None", None)),
    # space padding and host bits pass, as the API server and kube-proxy's newBaseServiceInfo let them
    ('{type: LoadBalancer, loadBalancerSourceRanges: [" 203.0.113.7/24 ", "2001:db8::/32"]}',
     ("Cluster", ("203.0.113.0/24", "2001:db8::/32"), "None", None)),
    ("{sessionAffinity: ClientIP}", ("Cluster", (), "ClientIP", 10800)),
    ("{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}}",
     ("Cluster", (), "ClientIP", 60)),
])
def test_kube_proxy_fields(spec: str, expected: tuple) -> None:
    diags = Diagnostics()
    (service,) = cluster_of(f"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {spec}\n", diags).services
    assert diags.problems == []
    assert (service.internal_traffic_policy, tuple(map(str, service.load_balancer_source_ranges)),
            service.session_affinity, service.affinity_timeout) == expected
