"""Reading `-f` inputs: files, directories, stdin, Lists and dumps; every bad input is a located problem."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpolicy.errors import Diagnostics
from netpolicy.options import Options
from netpolicy.sources import build_cluster, read_objects, reader

from .helpers import messages, read_text

TWO_PODS = textwrap.dedent("""\
    ---
    # first
    apiVersion: v1
    kind: Pod
    metadata:
      name: a
    ---
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: b
    spec:
      containers:
      - name: web
        ports:
        - containerPort: 80
    """)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def read(paths: list[str | Path], stdin: object = None) -> tuple[list, Diagnostics]:
    diags = Diagnostics()
    objects = read_objects([str(p) for p in paths], diags, stdin=stdin)  # type: ignore[arg-type]
    return objects, diags


def test_multi_document_yaml_skips_empty_documents(tmp_path: Path) -> None:
    objects, diags = read([write(tmp_path, "pods.yaml", TWO_PODS)])
    assert [o.name for o in objects] == ["a", "b"]
    assert [o.location.line for o in objects] == [3, 9]
    assert objects[0].location.file.endswith("pods.yaml")
    assert diags.problems == []


def test_nested_field_lines(tmp_path: Path) -> None:
    [_, pod], _ = read([write(tmp_path, "pods.yaml", TWO_PODS)])
    assert pod.line("spec.containers[0].ports[0].containerPort") == 17
    assert pod.line("spec.containers[0].ports") == 16
    assert pod.line("spec.containers[0].name") == 15
    assert pod.line("spec.containers[0].image") == 15  # nearest known ancestor
    assert str(pod.at("metadata.name")).endswith("pods.yaml:12")


LIST_YAML = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: x}
    - apiVersion: v1
      kind: List
      items:
      - apiVersion: v1
        kind: Service
        metadata: {name: s}
    """

POD_LIST = """\
    apiVersion: v1
    kind: PodList
    items:
    - metadata: {name: p}
    - metadata: {name: q}
      kind: Pod
      apiVersion: v1
    """


@pytest.mark.parametrize("text, expected", [
    (LIST_YAML, [("Namespace", "v1", "x", 4), ("Service", "v1", "s", 10)]),
    (POD_LIST, [("Pod", "v1", "p", 4), ("Pod", "v1", "q", 5)]),
    ("apiVersion: v1\nkind: List\nitems: []\n", []),
    ("apiVersion: v1\nkind: List\n", []),
])
def test_lists_are_flattened(text: str, expected: list) -> None:
    diags = Diagnostics()
    objects = read_text(text, diags)
    assert [(o.kind, o.api_version, o.name, o.location.line) for o in objects] == expected
    assert diags.problems == []


def test_item_fields_have_lines_relative_to_the_item() -> None:
    [namespace, service] = read_text(LIST_YAML)
    assert namespace.line("metadata.name") == 6
    assert service.line("metadata") == 12


def test_kubectl_json_dump(tmp_path: Path) -> None:
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "x"},
             "status": {"podIP": f"10.0.0.{i + 1}"}} for i in range(3)]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": pods, "metadata": {}}, indent=4)
    objects, diags = read([write(tmp_path, "dump.json", text)])
    assert [o.name for o in objects] == ["p0", "p1", "p2"]
    item_lines = [n for n, line in enumerate(text.splitlines(), 1) if line == "        {"]
    assert [o.location.line for o in objects] == item_lines
    assert objects[1].line("status.podIP") == item_lines[1]  # JSON knows where each item starts
    assert diags.problems == []


@pytest.mark.parametrize("text", [
    TWO_PODS,
    json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}]}),
    '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}\n'
    '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}\n',
    "{apiVersion: v1, kind: Pod, metadata: {name: a}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: b}}\n",
])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_stdin_yaml_or_json(text: str, as_bytes: bool) -> None:
    stream = io.BytesIO(text.encode()) if as_bytes else io.StringIO(text)
    objects, diags = read(["-"], stdin=stream)
    assert [o.name for o in objects] == ["a", "b"]
    assert {o.location.file for o in objects} == {"<stdin>"}
    assert diags.problems == []


def test_stdin_named_twice_is_read_once() -> None:
    objects, diags = read(["-", "-"], stdin=io.StringIO(TWO_PODS))
    assert len(objects) == 2
    assert messages(diags) == ["<stdin>: stdin is named twice; it is read once"]


def test_directories_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    def obj(name: str) -> str:
        return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"

    write(tmp_path, "b.yaml", obj("b"))
    write(tmp_path, "a.yml", obj("a"))
    write(tmp_path, "c.json", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}))
    write(tmp_path, "sub/d.YAML", obj("d"))
    write(tmp_path, "sub/deeper/e.yaml", obj("e"))
    write(tmp_path, "notes.txt", "not: [yaml")
    write(tmp_path, "README.md", "# nothing")
    write(tmp_path, ".hidden.yaml", obj("hidden"))
    write(tmp_path, ".git/config.yaml", obj("git"))
    objects, diags = read([tmp_path])
    assert [o.name for o in objects] == ["a", "b", "c", "d", "e"]
    assert objects[3].location.file == str(tmp_path / "sub" / "d.YAML")
    assert diags.problems == []


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "pods.yaml", TWO_PODS)
    objects, diags = read([tmp_path, path])
    assert len(objects) == 2


def test_empty_directory_is_a_warning(tmp_path: Path) -> None:
    objects, diags = read([tmp_path])
    assert objects == []
    assert messages(diags, "warning") == [f"{tmp_path}: no .yaml, .yml or .json files in this directory"]


def test_a_file_without_extension_is_recognised_by_content(tmp_path: Path) -> None:
    json_file = write(tmp_path, "dump", json.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": "j"}}))
    yaml_file = write(tmp_path, "manifest", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: y\n")
    objects, diags = read([json_file, yaml_file])
    assert [o.name for o in objects] == ["j", "y"]
    assert objects[1].line("metadata.name") == 4


def test_duplicate_keys_warn_with_line_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, "app.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app
        spec:
          template:
            spec:
              containers:
              - name: app
                command: ["a"]
                image: app
                command: ["b"]
        """)
    [deployment], diags = read([path])
    assert deployment.data["spec"]["template"]["spec"]["containers"][0]["command"] == ["b"]
    assert messages(diags) == [f"{path}:12: spec.template.spec.containers[0].command: "
                               "key given twice; the last value is used, as kubectl does"]
    assert diags.errors == []


NOT_AN_OBJECT = "a Kubernetes object (expected a mapping with apiVersion and kind)"


@pytest.mark.parametrize("name, text, expected", [
    ("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: x: y\n",
     ["bad.yaml:5: invalid YAML: mapping values are not allowed in this context (column 12)"]),
    ("bad.json", '{"apiVersion": "v1",\n "kind": Pod}', ["bad.json:2: invalid JSON: Expecting value (column 10)"]),
    ("noapi.yaml", "\n\nkind: Pod\nmetadata: {name: a}\n",
     ["noapi.yaml:3: apiVersion: missing (expected an API version such as v1 or apps/v1)"]),
    ("kind5.yaml", "apiVersion: v1\nkind: 5\n",
     ["kind5.yaml:2: kind: 5 is not a string (expected the object's kind, such as Pod or NetworkPolicy)"]),
    ("items.yaml", "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
     ["items.yaml:3: items: a mapping is not a list (expected the list's objects)"]),
    ("item.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- 7\n- \n",
     [f"item.yaml:7: items[1]: 7 is not {NOT_AN_OBJECT}",
      f"item.yaml:8: items[2]: an empty value is not {NOT_AN_OBJECT}"]),
    ("tag.yaml", "apiVersion: v1\nkind: !Pod x\n",
     ["tag.yaml:2: invalid YAML: the tag !Pod is not supported "
      "(expected strings, numbers, booleans, null, mappings and lists) (column 7)"]),
])
def test_bad_input_is_a_located_error(tmp_path: Path, name: str, text: str, expected: list[str]) -> None:
    path = write(tmp_path, name, text)
    _, diags = read([path])
    prefix = f"{tmp_path}/"
    assert [m.removeprefix(prefix) for m in messages(diags, "error")] == expected


SKIPPED = "not a Kubernetes object (no apiVersion and kind): skipped"


@pytest.mark.parametrize("name, text, expected", [
    ("list.yaml", "- a\n- b\n", [f"list.yaml:1: {SKIPPED}"]),
    ("scalar.yaml", "---\nhello\n---\nworld\n", [f"scalar.yaml:2: {SKIPPED}"]),  # one warning a file
    ("number.yaml", "42\n", [f"number.yaml:1: {SKIPPED}"]),
    # A chart's values.yaml and Chart.yaml (helm create's layout) beside the manifests.
    ("values.yaml", "replicaCount: 1\nimage: {repository: x}\n",
     [f"values.yaml:1: {SKIPPED}; Helm values, not objects; render the chart with --helm DIR --values FILE"]),
    ("Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n",
     [f"Chart.yaml:1: {SKIPPED}; a Helm chart's description; render the chart with --helm DIR"]),
    ("fixture.json", '{"expected": [1, 2]}', [f"fixture.json:1: {SKIPPED}"]),
    ("custom.yaml", "kind: Widget\nspec: {}\n", [f"custom.yaml:1: {SKIPPED}"]),
])
def test_files_that_are_not_objects_are_skipped_with_one_warning(
        tmp_path: Path, name: str, text: str, expected: list[str]) -> None:
    path = write(tmp_path, name, text)
    objects, diags = read([path])
    assert objects == [] and diags.errors == []
    assert [m.removeprefix(f"{tmp_path}/") for m in messages(diags, "warning")] == expected


def test_a_top_level_list_reads_like_kind_list(tmp_path: Path) -> None:
    # calicoctl's documented form: a YAML list of resources
    # (docs.tigera.io/calico/latest/reference/calicoctl/create, "multiple resources in one file").
    path = write(tmp_path, "calico.yaml", """\
        - apiVersion: projectcalico.org/v3
          kind: GlobalNetworkPolicy
          metadata: {name: allow-dns}
        - apiVersion: projectcalico.org/v3
          kind: NetworkPolicy
          metadata: {name: web, namespace: shop}
        """)
    objects, diags = read([path])
    assert [(o.kind, o.name, o.location.line) for o in objects] == [
        ("GlobalNetworkPolicy", "allow-dns", 1), ("NetworkPolicy", "web", 4)]
    assert diags.problems == []


@pytest.mark.parametrize("marker, option", [("Chart.yaml", "--helm"), ("kustomization.yaml", "-k")])
def test_a_chart_or_kustomization_given_to_f_names_the_option_to_use(
        tmp_path: Path, marker: str, option: str) -> None:
    (tmp_path / "app").mkdir()
    write(tmp_path / "app", marker, "apiVersion: v2\nname: app\n")
    objects, diags = read([tmp_path / "app"])
    [error] = messages(diags, "error")
    assert objects == [] and f"give it as {option} {tmp_path}/app instead of -f" in error


def test_a_chart_inside_a_directory_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "charts" / "web" / "templates").mkdir(parents=True)
    write(tmp_path / "charts" / "web", "Chart.yaml", "apiVersion: v2\nname: web\n")
    write(tmp_path / "charts" / "web" / "templates", "deploy.yaml", "kind: {{ .Values.kind }}\n")
    write(tmp_path, "pod.yaml", TWO_PODS)
    objects, diags = read([tmp_path])
    assert [o.name for o in objects] == ["a", "b"] and diags.errors == []
    assert [m.split(": a Helm chart")[0] for m in messages(diags)] == [f"{tmp_path}/charts/web: skipped"]


def test_objects_before_invalid_yaml_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "half.yaml", TWO_PODS + "---\nkind: [\n")
    objects, diags = read([path])
    assert [o.name for o in objects] == ["a", "b"]
    assert len(diags.errors) == 1


def test_missing_path(tmp_path: Path) -> None:
    objects, diags = read([tmp_path / "nope.yaml"])
    assert objects == []
    assert messages(diags) == [f"{tmp_path / 'nope.yaml'}: no such file or directory"]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.yaml", TWO_PODS)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reader, "open", refuse, raising=False)
    _, diags = read([path])
    assert messages(diags) == [f"{path}: cannot read: Permission denied"]


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n")
    _, diags = read([path])
    assert messages(diags) == [f"{path}:4: not UTF-8 text (byte 0xe9) (expected a UTF-8 encoded YAML or JSON file)"]


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    objects, diags = read([path])
    assert [o.name for o in objects] == ["x"] and diags.problems == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abk:{}[]-'\"\n\t #&*!|>%@,?.0123456789\\é")), max_size=200))
def test_garbage_text_never_raises(text: str) -> None:
    diags = Diagnostics()
    objects = read_objects(["-"], diags, stdin=io.StringIO(text))
    assert all(o.kind and o.api_version for o in objects)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_bytes_never_raise(data: bytes) -> None:
    read_objects(["-"], Diagnostics(), stdin=io.BytesIO(data))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["apiVersion", "kind", "items", "metadata", "name", "x"]), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(JSONISH, st.booleans())
def test_random_structures_never_raise(value: object, as_json: bool) -> None:
    text = json.dumps(value) if as_json else yaml.safe_dump(value)
    diags = Diagnostics()
    objects = read_objects(["-"], diags, stdin=io.StringIO(text))
    assert all(isinstance(o.data, dict) for o in objects)


def _pods(bad: int) -> list[dict]:
    """Three pods; pod `bad` has a label that is not a string."""
    return [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": f"p{i}", "labels": {"app": 5 if i == bad else "web"}}} for i in range(3)]


@pytest.mark.parametrize("layout", ["kubectl", "one per line", "one line"])
@pytest.mark.parametrize("bad", [0, 2])
def test_errors_in_a_json_dump_name_the_file_and_the_item_line(tmp_path: Path, layout: str, bad: int) -> None:
    pods = _pods(bad)
    if layout == "kubectl":
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}, indent=4)
        line = [n for n, text_line in enumerate(text.splitlines(), 1) if text_line == "        {"][bad]
    elif layout == "one per line":
        text = '{"apiVersion": "v1", "kind": "List", "items": [\n' + ",\n".join(map(json.dumps, pods)) + "\n]}\n"
        line = bad + 2
    else:
        text, line = json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}), 1
    path = write(tmp_path, "dump.json", text)
    diags = Diagnostics()
    build_cluster(read_objects([str(path)], diags), Options(), diags)
    assert messages(diags, "error") == [f"{path}:{line}: metadata.labels.app: 5 is not a string (expected a string); "
                                        "quote the value in YAML so that it stays a string"]
