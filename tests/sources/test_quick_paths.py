"""Metadata checks as a table; the quick paths for usual input give exactly what the general reading gives, and leave odd input to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from netpolicy.errors import Diagnostics, Location
from netpolicy.model.cluster import calico_labels
from netpolicy.sources import documents, pod_spec
from netpolicy.sources.accept import accept_objects
from netpolicy.sources.documents import document_objects
from netpolicy.sources.json_loader import parse_json
from netpolicy.sources.raw import RawObject, split_path

from .helpers import cluster_of, messages, pod, read_text


def general_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn every quick path off, so that only the general reading runs."""
    monkeypatch.setattr(documents, "_append_plain_object", lambda *args: False)
    monkeypatch.setattr(pod_spec, "_plain_pod_spec", lambda spec: None)


NOT_A_STRING = "f.yaml:3: metadata.labels.app: 5 is not a string (expected a string); quote the value in YAML so that it stays a string"
NOT_A_MAPPING = "f.yaml:3: metadata.labels: a list is not a mapping (expected a mapping of strings to strings)"
MISSING_NAME = "f.yaml:3: metadata.name: missing (expected a name)"

# metadata → (Pod: namespaced, GlobalNetworkSet: cluster-scoped), each (name, namespace, labels) or None, and messages
METADATA = [
    ({"name": "a"}, ("a", "default", {}), ("a", None, {}), [], []),
    ({"name": "a", "namespace": "n", "labels": {"app": "x", "tier": "web"}},
     ("a", "n", {"app": "x", "tier": "web"}), ("a", None, {"app": "x", "tier": "web"}),
     [], ["f.yaml:3: metadata.namespace: ignored: GlobalNetworkSet is not a namespaced kind"]),
    ({"name": "a", "namespace": ""}, ("a", "default", {}), ("a", None, {}), [], []),
    ({"name": "a", "namespace": 5}, ("a", "default", {}), ("a", None, {}),
     ["f.yaml:3: metadata.namespace: 5 is not a string (expected a string)"],
     ["f.yaml:3: metadata.namespace: ignored: GlobalNetworkSet is not a namespaced kind"]),
    ({"name": "", "namespace": "n"}, None, None, [MISSING_NAME], [MISSING_NAME]),
    ({"name": 7}, None, None, ["f.yaml:3: metadata.name: 7 is not a name (expected a string)"],
     ["f.yaml:3: metadata.name: 7 is not a name (expected a string)"]),
    ({"namespace": "n"}, None, None, [MISSING_NAME], [MISSING_NAME]),
    ({"name": "a", "labels": None}, ("a", "default", {}), ("a", None, {}), [], []),
    ({"name": "a", "labels": {"app": 5, "ok": "y"}}, ("a", "default", {"ok": "y"}), ("a", None, {"ok": "y"}),
     [NOT_A_STRING], [NOT_A_STRING]),
    ({"name": "a", "labels": ["app"]}, ("a", "default", {}), ("a", None, {}), [NOT_A_MAPPING], [NOT_A_MAPPING]),
    ("meta", None, None,
     ['f.yaml:3: metadata: "meta" is not a mapping (expected a mapping with name, namespace and labels)'],
     ['f.yaml:3: metadata: "meta" is not a mapping (expected a mapping with name, namespace and labels)']),
    (None, None, None, [MISSING_NAME], [MISSING_NAME]),
]


@pytest.mark.parametrize(("metadata", "namespaced", "cluster_scoped", "namespaced_messages", "cluster_messages"),
                         METADATA)
@pytest.mark.parametrize(("kind", "api_version"), [("Pod", "v1"), ("GlobalNetworkSet", "projectcalico.org/v3")])
def test_accepted_metadata(metadata: Any, namespaced, cluster_scoped, namespaced_messages, cluster_messages,
                           kind: str, api_version: str) -> None:
    diags = Diagnostics()
    data = {"apiVersion": api_version, "kind": kind}
    if metadata is not None:
        data["metadata"] = metadata
    entries = accept_objects([RawObject(data, Location("f.yaml", 3))], diags)
    expected, expected_messages = ((namespaced, namespaced_messages) if kind == "Pod"
                                   else (cluster_scoped, cluster_messages))
    assert [(e.name, e.namespace, e.labels) for e in entries] == ([expected] if expected else [])
    assert messages(diags) == expected_messages


def test_labels_remembered_valid_never_hide_a_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys and values seen valid are checked by look-up; a new bad key or value is still reported,
    also once the remembered ones were forgotten (bound reached)."""
    from netpolicy.sources import metadata

    monkeypatch.setattr(metadata, "KNOWN_MAX", 2)
    labels = [{"app": "web", "tier": "a"}, {"app": "web", "tier": "a"}, {"app": "-bad", "tier": "a"},
              {"app": "web", "x/y/z": "a"}, {"app": "web", "tier": "a"}]
    objects = [RawObject({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": found}},
                         Location("f.yaml", 3 + i)) for i, found in enumerate(labels)]
    diags = Diagnostics()
    assert [e.name for e in accept_objects(objects, diags)] == ["p0", "p1", "p4"]
    assert [m.split(":")[1] for m in messages(diags)] == ["5", "6"]


LIST_ITEMS = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}},
    {"kind": "Pod", "metadata": {"name": "b"}},
    {"apiVersion": "v1", "metadata": {"name": "c"}},
    {"apiVersion": "v1", "kind": None, "metadata": {"name": "d"}},
    {"apiVersion": "", "kind": "Pod"},
    {"apiVersion": "v1", "kind": 5},
    {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "e"}}]},
    {"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "f"}}]},
    {"apiVersion": "v1", "kind": "SecretList"},
    "pod",
    None,
    [],
]


@pytest.mark.parametrize("list_kind", ["List", "PodList"])
def test_list_items_as_the_general_collection_gives(monkeypatch: pytest.MonkeyPatch, list_kind: str) -> None:
    text = json.dumps({"apiVersion": "v1", "kind": list_kind, "items": LIST_ITEMS}, indent=2)

    def objects() -> tuple[list, list[str]]:
        diags = Diagnostics()
        found = [o for document in parse_json(text) for o in document_objects(document, "f.json", diags)]
        return [(o.data, str(o.location), o.line("metadata.name")) for o in found], messages(diags)

    quick = objects()
    general_reading(monkeypatch)
    assert quick == objects()
    assert len(quick[0]) >= 3 and quick[1]  # both kinds of item are in the table


POD_SPECS = [
    "{}",
    "{containers: [{name: c, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP, name: dns}]}]}",
    "{containers: [{name: c}], initContainers: [{name: i, ports: [{containerPort: 9000, name: init}]}]}",
    "{containers: [{name: c, env: [{name: A, value: x}, {name: B}, {name: 5, value: y}, {name: C, value: 7}]}]}",
    "{serviceAccountName: sa, nodeName: node-1, hostNetwork: true}",
    "{serviceAccount: legacy}",
    "{serviceAccountName: '', serviceAccount: legacy, nodeName: ''}",
    "{serviceAccountName: sa, serviceAccount: 5}",
    "{serviceAccountName: 5}",
    "{nodeName: [a]}",
    "{containers: null, initContainers: null}",
    "{containers: [{name: c, ports: null, env: null}]}",
    "{containers: [{name: c, ports: [{containerPort: 70000}]}]}",
    "{containers: [{name: c, ports: [{containerPort: true}]}]}",
    "{containers: [{name: c, ports: [{containerPort: 80, protocol: ICMP}]}]}",
    "{containers: [{name: c, ports: [{containerPort: 80, protocol: null}]}]}",
    "{containers: [{name: c, ports: [{containerPort: 80, name: 8}]}]}",
    "{containers: [{name: c, ports: [web]}]}",
    "{containers: [{name: c, ports: {containerPort: 80}}]}",
    "{containers: [{name: c, env: {A: x}}]}",
    "{containers: [{name: c, env: [A]}]}",
    "{containers: [web]}",
    "{containers: {name: c}}",
    "[]",
    "null",
]


@pytest.mark.parametrize("spec", POD_SPECS)
def test_pod_spec_as_the_general_reading_gives(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    obj = RawObject({"spec": yaml.safe_load(spec)}, Location("f.yaml", 1))

    def read() -> tuple[pod_spec.PodSpecInfo, list[str]]:
        diags = Diagnostics()
        return pod_spec.read_pod_spec(obj.data["spec"], obj, "spec", diags), messages(diags)

    quick = read()
    general_reading(monkeypatch)
    general = read()
    assert quick == general
    if general[1]:
        assert pod_spec._plain_pod_spec(obj.data["spec"]) is None  # what has something to report is left to it


@pytest.mark.parametrize("own", [
    {},
    {"app": "web"},
    {"projectcalico.org/namespace": "spoofed", "app": "web"},
    {"pcns.team": "own", "pcsa.role": "own", "z": "1"},
])
def test_endpoint_selector_labels_are_calico_labels_in_order(own: dict[str, str]) -> None:
    namespace = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {team: a}\n"
    account = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop, labels: {role: b}}\n"
    text = (namespace + account + pod("p", "shop", own, extra="spec: {serviceAccountName: api}\n")
            + pod("q", "shop", own))
    cluster = cluster_of(text)
    for endpoint in cluster.endpoints:
        account_labels = {"role": "b"} if endpoint.service_account == "api" else {}
        expected = calico_labels(own, namespace="shop", namespace_labels=cluster.namespaces["shop"].labels,
                                 service_account=endpoint.service_account, service_account_labels=account_labels)
        assert list(endpoint.selector_labels.items()) == list(expected.items())
    assert [e.profiles for e in cluster.endpoints] == [("kns.shop", "ksa.shop.api"), ("kns.shop", "ksa.shop.default")]


YAML_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  ingress:
  - from:
    - podSelector: {}
    ports:
    - port: 80
"""


@pytest.mark.parametrize("path, line", [
    ("", 1),
    ("kind", 2),
    ("metadata.name", 4),
    ("metadata.labels", 5),
    ("metadata.labels.app.kubernetes.io/name", 5),  # a dotted key is not a path: the nearest known field
    ("spec.ingress[0].ports[0].port", 12),
    ("spec.ingress[0].ports[1].port", 11),
    ("spec.ingress[3]", 8),
    ("spec.egress[0].to", 7),
    ("status.podIP", 1),
    ("kind.more", 2),
])
def test_line_of_a_field_or_its_nearest_known_ancestor(path: str, line: int) -> None:
    [obj] = read_text(YAML_POLICY)
    assert obj.line(path) == line
    assert obj.line(path) == prefix_by_prefix(obj, path)


def prefix_by_prefix(obj: RawObject, path: str) -> int | None:
    """The line as looking up each ever shorter prefix of the path would find it."""
    parts = split_path(path)
    while parts:
        key = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(parts))
        if key in obj.lines:
            return obj.lines[key]
        parts.pop()
    return obj.location.line


def test_lines_of_a_plain_mapping_are_looked_up_by_prefix() -> None:
    obj = RawObject({"spec": {"a": [1]}}, Location("f.yaml", 3), {"spec": 4, "spec.a": 5})
    assert [obj.line(p) for p in ("spec.a[0]", "spec.b", "other", "")] == [5, 4, 3, 3]
