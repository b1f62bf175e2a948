"""The YAML loader: plain data like PyYAML's safe loader, plus the line of every field."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from netpolicy.sources import yaml_loader
from netpolicy.sources.lines import FieldLines, container_paths
from netpolicy.sources.yaml_loader import YamlSyntaxError, parse_yaml

POLICY = textwrap.dedent("""\
    # a comment
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: web
    spec:
      podSelector: {}
      ingress:
      - from:
        - podSelector:
            matchLabels:
              app: db
        ports:
        - protocol: TCP
          port: 5432
        - port: 80
    """)


def lines_of(text: str, index: int = 0) -> FieldLines:
    document = list(parse_yaml(text))[index]
    return FieldLines(document.data, document.table)


@pytest.mark.parametrize("path, line", [
    ("apiVersion", 2),
    ("metadata", 4),
    ("metadata.name", 5),
    ("spec.podSelector", 7),
    ("spec.ingress", 8),
    ("spec.ingress[0]", 9),
    ("spec.ingress[0].from[0].podSelector.matchLabels.app", 12),
    ("spec.ingress[0].ports", 13),
    ("spec.ingress[0].ports[0]", 14),
    ("spec.ingress[0].ports[0].port", 15),
    ("spec.ingress[0].ports[1]", 16),
    ("spec.ingress[0].ports[1].port", 16),
])
def test_line_of_every_field(path: str, line: int) -> None:
    assert lines_of(POLICY)[path] == line


@pytest.mark.parametrize("path", ["spec.egress", "spec.ingress[1]", "spec.ingress[0].ports[2]", "kind.x",
                                  "metadata[0]", ""])
def test_unknown_paths_have_no_line(path: str) -> None:
    lines = lines_of(POLICY)
    assert path not in lines
    with pytest.raises(KeyError):
        lines[path]


def test_field_lines_iterate_every_path() -> None:
    lines = lines_of(POLICY)
    assert dict(lines)["spec.ingress[0].ports[1].port"] == 16
    assert len(lines) == len(list(lines)) == 19


def test_data_equals_pyyaml_safe_load() -> None:
    text = POLICY + "---\na: [1, 2.5, true, null, '3', 0x1f, ~]\nb: {c: yes}\n"
    assert [d.data for d in parse_yaml(text)] == list(yaml.safe_load_all(text))


@pytest.mark.parametrize("text, expected", [
    ("created: 2024-01-02T03:04:05Z\n", {"created": "2024-01-02T03:04:05Z"}),  # Kubernetes keeps strings
    ("80: http\n", {"80": "http"}),  # keys are strings, as Kubernetes reads them
    ("true: x\n", {"true": "x"}),
    ("base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  y: 3\n", {"base": {"x": 1, "y": 2}, "merged": {"x": 1, "y": 3}}),
    ("a: &l [1]\nb: *l\n", {"a": [1], "b": [1]}),
    ("&k 80: x\ny: *k\n", {"80": "x", "y": 80}),  # an anchored key is a string as a key, a number as a value
    # kube-prometheus (prometheus-operator/kube-prometheus, manifests/): a ConfigMap there
    # holds a plain `=` value: YAML 1.1's "value" tag to PyYAML, the string "=" to kubectl.
    ("data:\n  sep: =\n  list: [=, a=b]\n", {"data": {"sep": "=", "list": ["=", "a=b"]}}),
])
def test_values(text: str, expected: object) -> None:
    assert next(parse_yaml(text)).data == expected


def test_merged_keys_take_the_line_of_their_definition() -> None:
    lines = lines_of("base: &b\n  x: 1\nmerged:\n  <<: *b\n  y: 3\n")
    assert (lines["merged.x"], lines["merged.y"]) == (2, 5)


def test_documents_and_their_first_lines() -> None:
    documents = list(parse_yaml("---\n# nothing\n---\n\n\nkind: A\n---\nkind: B\n...\n"))
    assert [d.data for d in documents] == [None, {"kind": "A"}, {"kind": "B"}]
    assert [d.line for d in documents[1:]] == [6, 8]


def test_duplicate_keys_keep_the_last_value_and_are_recorded() -> None:
    text = "spec:\n  containers:\n  - command: [a]\n    name: x\n    command: [b]\n"
    document = next(parse_yaml(text))
    assert document.data["spec"]["containers"][0]["command"] == ["b"]
    [(mapping, key, line)] = document.duplicates
    assert (key, line) == ("command", 5)
    assert container_paths(document.data)[id(mapping)] == "spec.containers[0]"


def test_merged_keys_are_not_duplicates() -> None:
    document = next(parse_yaml("base: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n"))
    assert document.duplicates == []
    assert document.data["m"] == {"x": 2}


@pytest.mark.parametrize("text, line, column, problem", [
    ("a: 1\nb: c: d\n", 2, 5, "mapping values are not allowed"),
    ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"),
    ("a: !Ref x\n", 1, 4, "the tag !Ref is not supported"),
    ("a: !!binary aGVsbG8=\n", 1, 4, "the tag tag:yaml.org,2002:binary is not supported"),
    ("a: !!set {x}\n", 1, 4, "the tag tag:yaml.org,2002:set is not supported"),
    ("? [a, b]\n: c\n", 1, 3, "found a key that is not a string"),
    ("a: &x\n  b: *x\n", 1, 4, "an alias refers to a node that contains it"),
    ("m:\n  <<: 3\n", 2, 7, "expected a mapping or list of mappings to merge"),
    ("a: *missing\n", 1, 4, "found undefined alias"),
    ("\t- x\n", 1, 1, "found character"),
])
def test_syntax_errors_carry_line_and_column(text: str, line: int, column: int, problem: str) -> None:
    """Messages are libyaml's (the pure-Python parser words a few differently)."""
    with pytest.raises(YamlSyntaxError) as caught:
        list(parse_yaml(text))
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.problem.startswith(problem)


def test_nesting_too_deep_is_an_error() -> None:
    with pytest.raises(YamlSyntaxError):
        list(parse_yaml("[" * 5000 + "]" * 5000))


def test_documents_before_an_error_are_returned() -> None:
    documents = parse_yaml("kind: A\n---\nkind: [\n")
    assert next(documents).data == {"kind": "A"}
    with pytest.raises(YamlSyntaxError):
        next(documents)


def test_pure_python_parser_gives_the_same_data_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    text = POLICY + "---\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: [a, {z: 2}]\n"
    with_libyaml = [(d.data, d.line, dict(FieldLines(d.data, d.table))) for d in parse_yaml(text)]
    monkeypatch.setattr(yaml_loader, "BASE_LOADER", yaml.SafeLoader)
    pure = [(d.data, d.line, dict(FieldLines(d.data, d.table))) for d in parse_yaml(text)]
    assert pure == with_libyaml
    assert pure[1][2]["m.y[1].z"] == 21


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\nc: [*x, *x]\n",
    "a: &l [1, {b: 2}]\nb: [*l, *l]\n",
    "base: &b {x: 1}\nm:\n  <<: [*b, {y: 2}]\n  z: 3\n",
    "base: &b {x: 1}\nl: &L [*b, {x: 2, y: 2}]\nm:\n  <<: *L\n",
    "m: {<<: {x: 1}, x: 2, <<: {y: 3}}\n",
    "'<<': {a: 1}\n",
    "a: !!str 1\nb: !!int '7'\nc: !!float '1.5'\nd: !!bool 'true'\ne: !!null ''\nf: ! 12\n",
    "a: 0x1f\nb: 0o17\nc: 1_000\nd: 1:30\ne: .inf\nf: yes\ng: ~\nh:\n",
    "x: [a, b, {c: d}]\n---\n- 1\n- &a 2\n- *a\n",
    "k: |\n  text\n  more\nz: >\n  folded\n",
])
def test_anchors_merges_and_tags_as_pyyaml_reads_them(text: str) -> None:
    assert [d.data for d in parse_yaml(text)] == list(yaml.safe_load_all(text))


@pytest.mark.parametrize("text, path, line", [
    ("a: &l [1]\nb:\n- *l\n- 2\n", "b[0]", 1),  # an alias item is where its anchor is
    ("a: &l [1]\nb:\n- *l\n- 2\n", "b[1]", 4),
    ("&k name: x\nm:\n  *k : y\n", "m.name", 1),
    ("base: &b\n  x: 1\nl: &l [*b]\nm:\n  <<: *l\n  y: 2\n", "m.x", 2),
])
def test_lines_of_aliased_and_merged_fields(text: str, path: str, line: int) -> None:
    assert lines_of(text)[path] == line


@pytest.mark.parametrize("text, line, column, problem", [
    ("a: !!int abc\n", 1, 4, "'abc' is not a valid int"),
    ("a: !!bool maybe\n", 1, 4, "'maybe' is not a valid bool"),
    ("a: !!float x\n", 1, 4, "'x' is not a valid float"),
    ("a: &x 1\nb: &x 2\n", 2, 4, "second occurrence"),  # the composer's words for a duplicate anchor
    ("merge: &m [{a: 1}, 3]\nx:\n  <<: *m\n", 1, 20, "expected a mapping or list of mappings to merge"),
    ("m: &m\n  <<: *m\n", 1, 4, "an alias refers to a node that contains it"),
    ("a: &c {x: 1}\nm:\n  *c : 1\n", 1, 4, "found a key that is not a string"),
    ("a: !Ref x\nb: [\n", 3, 1, "did not find expected"),  # what the parser finds comes first
    ("a: !Ref x\nb: *nowhere\n", 2, 4, "found undefined alias"),
    ("a: [!Ref x, !!set {y}]\n", 1, 5, "the tag !Ref is not supported"),
])
def test_problems_as_composing_then_building_reports_them(text: str, line: int, column: int, problem: str) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        list(parse_yaml(text))
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.problem.startswith(problem)


@pytest.mark.parametrize("depth, readable", [(yaml_loader.MAX_DEPTH, True), (yaml_loader.MAX_DEPTH + 1, False)])
def test_nesting_limit(depth: int, readable: bool) -> None:
    text = "[" * depth + "]" * depth
    if readable:
        assert len(list(parse_yaml(text))) == 1
    else:
        with pytest.raises(YamlSyntaxError, match="nested too deeply"):
            list(parse_yaml(text))
