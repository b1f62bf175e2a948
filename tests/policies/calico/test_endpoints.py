"""NetworkSets, GlobalNetworkSets, HostEndpoints as endpoints; built-in and user profiles.

See docs/semantics.md#ip-owners and #profiles.
"""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.model.cluster import (
    GLOBAL_NETWORK_SET,
    HOST_ENDPOINT,
    NETWORK_SET,
    Cluster,
    Endpoint,
    NamedPort,
    Namespace,
    ServiceAccount,
)
from netpolicy.model.ir import ALLOW, PROFILE
from netpolicy.model.protocols import TCP, UDP
from netpolicy.policies.calico.compile import builtin_profiles, default_profiles

from .support import compile_yaml, messages

CLUSTER = Cluster(
    namespaces={"prod": Namespace("prod", {"team": "a"})},
    endpoints=[Endpoint("prod/db", "Pod", "db", "prod", {"app": "db"}, {"app": "db"}, service_account="api")],
    service_accounts={("prod", "api"): ServiceAccount("prod", "api", {"tier": "gold"})},
)


def _doc(kind: str, name: str, body: str, namespace: str | None = None, labels: str = "") -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {namespace}\n" if namespace else "") + labels
    return f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata:\n{meta}spec:\n{body}"


def test_network_set():
    text = _doc("NetworkSet", "partners", "  nets: [198.51.100.0/24, 203.0.113.7, '2001:db8::/32']\n", "prod",
                "  labels: {role: partner}\n")
    result, diags = compile_yaml(text, CLUSTER)
    assert diags.problems == []
    (endpoint,) = result.endpoints
    assert (endpoint.id, endpoint.kind, endpoint.namespace, endpoint.policed) == (
        "prod/partners", NETWORK_SET, "prod", False)
    assert endpoint.nets == tuple(ipaddress.ip_network(n) for n in ("198.51.100.0/24", "203.0.113.7/32",
                                                                     "2001:db8::/32"))
    assert endpoint.labels == {"role": "partner"}
    assert endpoint.selector_labels == {"role": "partner", "projectcalico.org/namespace": "prod",
                                        "pcns.team": "a", "pcns.projectcalico.org/name": "prod"}
    assert endpoint.profiles == ("kns.prod",)


def test_network_set_in_unknown_namespace_inherits_its_name_label():
    result, _ = compile_yaml(_doc("NetworkSet", "n", "  nets: [10.0.0.0/8]\n", "other"), CLUSTER)
    labels = result.endpoints[0].selector_labels
    assert labels["pcns.kubernetes.io/metadata.name"] == "other"


def test_network_set_id_avoids_a_pod():
    result, _ = compile_yaml(_doc("NetworkSet", "db", "  nets: [10.0.0.0/8]\n", "prod"), CLUSTER)
    assert result.endpoints[0].id == "prod/NetworkSet/db"


def test_global_network_set():
    text = _doc("GlobalNetworkSet", "internet", "  nets: [0.0.0.0/0]\n", labels="  labels: {zone: world}\n")
    result, diags = compile_yaml(text, CLUSTER)
    assert diags.problems == []
    (endpoint,) = result.endpoints
    assert (endpoint.id, endpoint.kind, endpoint.namespace, endpoint.policed) == (
        "internet", GLOBAL_NETWORK_SET, None, False)
    assert endpoint.selector_labels == {"zone": "world"}


@pytest.mark.parametrize(("kind", "body", "labels", "fragment"), [
    ("GlobalNetworkSet", "  nets: [10.0.0.0/8]\n", "  labels: {projectcalico.org/namespace: x}\n",
     "metadata.labels.projectcalico.org/namespace: projectcalico.org/namespace is not a valid label name"),
    ("NetworkSet", "  nets: [10.0.0.0/33]\n", "", "spec.nets[0]: '10.0.0.0/33' is not a CIDR"),
    ("NetworkSet", "  nets: 10.0.0.0/8\n", "", "spec.nets: '10.0.0.0/8' is not a list"),
    ("NetworkSet", "  nets: [10.0.0.0/8]\n", "  labels: {'bad key!': x}\n", "'bad key!' is not a valid label key"),
    ("NetworkSet", "  nets: [10.0.0.0/8]\n", "  labels: {a: 'not ok'}\n", "'not ok' is not a valid label value"),
])
def test_bad_network_sets(kind, body, labels, fragment):
    result, diags = compile_yaml(_doc(kind, "n", body, "prod" if kind == "NetworkSet" else None, labels))
    assert any(fragment in m for m in messages(diags)), messages(diags)
    assert result.endpoints == []


HEP = """\
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: node-defaults
spec:
  labelsToApply: {role: node, zone: z1}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: other
spec:
  labelsToApply: {zone: z2, extra: "yes"}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {role: worker}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.0.2.10, "2001:db8::10"]
  profiles: [node-defaults, other]
  ports:
  - {name: ssh, protocol: TCP, port: 22}
  - {name: dns, protocol: UDP, port: 53}
"""


def test_host_endpoint():
    result, diags = compile_yaml(HEP, CLUSTER)
    assert diags.problems == []
    (endpoint,) = result.endpoints
    assert (endpoint.id, endpoint.kind, endpoint.namespace, endpoint.policed, endpoint.node, endpoint.interface) == (
        "node1-eth0", HOST_ENDPOINT, None, True, "node1", "eth0")
    assert endpoint.ips == (ipaddress.ip_address("192.0.2.10"), ipaddress.ip_address("2001:db8::10"))
    assert endpoint.ports == (NamedPort("ssh", TCP, 22), NamedPort("dns", UDP, 53))
    assert endpoint.profiles == ("node-defaults", "other")
    # Own labels win; then profiles in order (the first profile's zone wins over the second's).
    assert endpoint.selector_labels == {"role": "worker", "zone": "z1", "extra": "yes"}
    assert default_profiles(endpoint) == ("node-defaults", "other")


def test_host_endpoint_id_avoids_a_global_network_set():
    text = (_doc("GlobalNetworkSet", "node1", "  nets: [10.0.0.0/8]\n") + "---\n"
            + _doc("HostEndpoint", "node1", "  node: node1\n  interfaceName: '*'\n"))
    result, _ = compile_yaml(text)
    assert sorted(e.id for e in result.endpoints) == ["hostendpoint/node1", "node1"]


@pytest.mark.parametrize(("body", "fragment"), [
    ("  interfaceName: eth0\n", "spec.node: no node has been specified"),
    ("  node: n1\n", "spec: no interface or expected IPs have been specified"),
    ("  node: n1\n  interfaceName: 'eth0:1'\n", "spec.interfaceName: 'eth0:1' is not an interface name"),
    ("  node: n1\n  expectedIPs: [10.0.0.0/8]\n", "spec.expectedIPs[0]: '10.0.0.0/8' is not an IP address"),
    ("  node: n1\n  interfaceName: eth0\n  ports: [{name: x, protocol: ICMP, port: 1}]\n",
     "spec.ports[0].protocol: EndpointPort protocol does not support ports"),
    ("  node: n1\n  interfaceName: eth0\n  ports: [{name: x, protocol: TCP, port: 0}]\n",
     "spec.ports[0].port: 0 is not a port (expected 1-65535)"),
    ("  node: n1\n  interfaceName: eth0\n  ports: [{name: Web_Port, protocol: TCP, port: 80}]\n",
     "spec.ports[0].name: 'Web_Port' is not a port name"),
    ("  node: n1\n  interfaceName: eth0\n  ports: [{name: web, port: 80}]\n",
     "spec.ports[0].protocol: is required (expected TCP, UDP or SCTP)"),
])
def test_bad_host_endpoints(body, fragment):
    result, diags = compile_yaml(_doc("HostEndpoint", "h", body))
    assert any(fragment in m for m in messages(diags)), messages(diags)
    assert result.endpoints == []


def test_host_endpoint_with_unknown_profile_is_a_warning():
    result, diags = compile_yaml(_doc("HostEndpoint", "h", "  node: n1\n  interfaceName: eth0\n"
                                      "  profiles: [projectcalico-default-allow, missing]\n"))
    assert messages(diags) == []
    assert messages(diags, "warning") == [
        "<stdin>:8: spec.profiles[1]: profile 'missing' is not defined in the input; it is treated as having no rules"]
    assert len(result.endpoints) == 1


# --- profiles -------------------------------------------------------------------------------------

def test_builtin_profiles():
    profiles = builtin_profiles(CLUSTER)
    assert sorted(profiles) == ["kns.prod", "ksa.prod.api", "projectcalico-default-allow"]
    for name in ("kns.prod", "projectcalico-default-allow"):
        profile = profiles[name]
        assert (profile.kind, profile.tier, profile.namespace) == (PROFILE, None, None)
        assert [r.action for r in profile.ingress + profile.egress] == [ALLOW, ALLOW]
        assert profile.ingress[0].source.is_empty and profile.egress[0].destination.is_empty
    assert profiles["ksa.prod.api"].ingress == profiles["ksa.prod.api"].egress == ()


@pytest.mark.parametrize(("endpoint", "expected"), [
    (Endpoint("prod/web", "Pod", "web", "prod", {}, {}, service_account="api"), ("kns.prod", "ksa.prod.api")),
    (Endpoint("prod/web", "Deployment", "web", "prod", {}, {}), ("kns.prod", "ksa.prod.default")),
    (Endpoint("prod/web", "Pod", "web", "prod", {}, {}, profiles=("custom",)), ("custom",)),
    (Endpoint("h", HOST_ENDPOINT, "h", None, {}, {}), ()),
])
def test_default_profiles(endpoint, expected):
    assert default_profiles(endpoint) == expected


USER_PROFILE = """\
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: ops
spec:
  ingress:
  - action: Allow
    source:
      selector: role == 'ops'
  egress:
  - action: Deny
    protocol: UDP
    destination:
      ports: [53]
"""


def test_user_profile():
    result, diags = compile_yaml(USER_PROFILE)
    assert diags.problems == []
    profile = result.profiles["ops"]
    assert (profile.kind, profile.tier, profile.types) == (PROFILE, None, frozenset({"ingress", "egress"}))
    # Profile rules are scoped like a GlobalNetworkPolicy's: no namespace is implied.
    assert str(profile.ingress[0].source.selector) == 'role == "ops"'
    assert profile.egress[0].destination.ports.numbers.format() == "53"


def test_host_endpoint_inherits_builtin_profile_labels():
    result, _ = compile_yaml(_doc("HostEndpoint", "h", "  node: n1\n  interfaceName: eth0\n  profiles: [kns.prod]\n"),
                             CLUSTER)
    assert result.endpoints[0].selector_labels == {"pcns.team": "a", "pcns.projectcalico.org/name": "prod"}
