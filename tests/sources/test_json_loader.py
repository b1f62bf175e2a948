"""The JSON loader: stdlib results, several documents per stream, the line of each list item."""

from __future__ import annotations

import json

import pytest

from netpolicy.sources.json_loader import JsonSyntaxError, parse_json
from netpolicy.sources.lines import child_line

PODS = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"i": str(i)}}}
        for i in range(3)]


def kubectl_list(items: list[dict]) -> str:
    """What `kubectl get -o json` prints: a List, indented by four spaces."""
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                      indent=4)


def test_kubectl_list_items_know_their_lines() -> None:
    text = kubectl_list(PODS)
    [document] = parse_json(text)
    assert document.data == json.loads(text)
    items = document.data["items"]
    expected = [number for number, line in enumerate(text.splitlines(), 1) if line == "        {"]
    assert [child_line(document.table, items, i) for i in range(3)] == expected
    assert document.line == 1


@pytest.mark.parametrize("text, count, lines", [
    ('{"a": 1}\n{"b": [1, 2]}\n\n  {"c": {}}', 3, [1, 2, 4]),
    ("[1, 2]", 1, [1]),
    ('"x"\n', 1, [1]),
    ("   \n", 0, []),
    ('{"items": [], "kind": "List"}', 1, [1]),
    ('{}', 1, [1]),
])
def test_streams_of_documents(text: str, count: int, lines: list[int]) -> None:
    documents = list(parse_json(text))
    assert len(documents) == count
    assert [d.line for d in documents] == lines


def test_items_deeper_than_the_top_are_plain_values() -> None:
    [document] = parse_json('{"spec": {"items": [1, 2]}, "items": "x"}')
    assert document.data == {"spec": {"items": [1, 2]}, "items": "x"}
    assert document.table == {}


@pytest.mark.parametrize("text, line, column, problem", [
    ('{"a": 1,}', 1, 9, "Expecting property name enclosed in double quotes"),
    ('{\n  "items": [\n    {"a": 1}\n    {"b": 2}\n  ]\n}', 4, 5, "Expecting ',' delimiter"),
    ('{"a" 1}', 1, 6, "Expecting ':' delimiter"),
    ('{"a": }', 1, 7, "Expecting value"),
    ('{"items": [1,', 1, 14, "Expecting value"),
    ('{"a": 1', 1, 8, "Expecting ',' delimiter"),
    ("{\n  'a': 1\n}", 2, 3, "Expecting property name enclosed in double quotes"),
])
def test_syntax_errors_carry_line_and_column(text: str, line: int, column: int, problem: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        list(parse_json(text))
    assert (caught.value.problem, caught.value.line, caught.value.column) == (problem, line, column)


def test_same_values_as_the_standard_library() -> None:
    value = {"items": [{"x": [1.5, None, True, "é\u2028", {"y": -3e10}]}], "kind": "List", "n": 7}
    text = json.dumps(value)
    assert next(parse_json(text)).data == json.loads(text)


@pytest.mark.parametrize("text, lines", [
    ('{"items": [\n{"a": 1},\n{"b": 2},\n{"c": 3}\n]}', [2, 3, 4]),  # one item a line
    ('{"items": [{"a": 1}, {"b": 2},\n\n  {"c": 3}]}', [1, 1, 3]),
    ('{"items": [\r\n  {"a": 1}\r\n  ,\r\n  {"b": [1,\r\n 2]}\r\n , 3 ]}', [2, 4, 6]),
    ('{"kind": "List",\n "items": [], "more": {"items": [1]}}', []),
    ('\n\n{"items": [\n\n"x"]}\n{"items": [1,\n2]}', [5, 6, 7]),
])
def test_item_lines_whatever_the_layout(text: str, lines: list[int]) -> None:
    documents = list(parse_json(text))
    assert [d.data for d in documents] == [json.loads(t) for t in text.replace("}\n{", "}\0{").split("\0")]
    found = [child_line(d.table, d.data["items"], i) for d in documents for i in range(len(d.data["items"]))]
    assert found == lines


@pytest.mark.parametrize("text, line, column, problem", [
    ('{"items": [1 2]}', 1, 14, "Expecting ',' delimiter"),
    ('{"items": [1,\n  ]}', 2, 3, "Expecting value"),
    ('{"items": [{"a": 1}\n  {"b": 2}]}', 2, 3, "Expecting ',' delimiter"),
    ('{"items": [1, 2', 1, 16, "Expecting ',' delimiter"),
    ('{"items": [1, 2]', 1, 17, "Expecting ',' delimiter"),
])
def test_item_list_errors_carry_line_and_column(text: str, line: int, column: int, problem: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        list(parse_json(text))
    assert (caught.value.problem, caught.value.line, caught.value.column) == (problem, line, column)
