"""YAML streams to plain data on PyYAML's C loader (libyaml), recording the line of every field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from netpolicy.sources.lines import LineTable, ParsedDocument

#: libyaml's parser when PyYAML was built with it, else the pure-Python one (same results, slower).
BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PREFIX = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _PREFIX + "str", _PREFIX + "map", _PREFIX + "seq", _PREFIX + "merge"
_SUPPORTED = "strings, numbers, booleans, null, mappings and lists"


class YamlSyntaxError(Exception):
    """The stream is not valid YAML, or uses YAML that Kubernetes objects cannot hold."""

    def __init__(self, problem: str, line: int | None, column: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


def parse_yaml(text: str) -> Iterator[ParsedDocument]:
    """Each document of `text` in order (empty ones included, as None); raises YamlSyntaxError."""
    loader = BASE_LOADER(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield _build_document(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable YAML"
        raise YamlSyntaxError(problem, mark.line + 1 if mark else None,
                              mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None, None) from None
    except RecursionError:
        raise YamlSyntaxError("nested too deeply", None, None) from None
    finally:
        loader.dispose()


def _build_document(loader: Any, root: Node) -> ParsedDocument:
    """Plain data for one composed document, filling a line table as mappings and lists are built."""
    table: LineTable = {}
    duplicates: list[tuple[dict, str, int]] = []
    built: dict[int, Any] = {}
    in_progress: set[int] = set()
    scalars: dict[str, Callable[[ScalarNode], Any]] = {
        _PREFIX + "int": loader.construct_yaml_int,
        _PREFIX + "float": loader.construct_yaml_float,
        _PREFIX + "bool": loader.construct_yaml_bool,
        _PREFIX + "null": lambda node: None,
        _PREFIX + "timestamp": lambda node: node.value,  # Kubernetes keeps timestamps as strings
    }

    def build(node: Node) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            if node.tag == _STR:
                return node.value
            construct = scalars.get(node.tag)
            if construct is None:
                raise _unsupported(node)
            return construct(node)
        key = id(node)
        if key in built:
            if key in in_progress:
                raise yaml.constructor.ConstructorError(
                    None, None, "an alias refers to a node that contains it", node.start_mark)
            return built[key]
        in_progress.add(key)
        if cls is MappingNode and node.tag == _MAP:
            data = built[key] = {}
            fill_mapping(node, data)
        elif cls is SequenceNode and node.tag == _SEQ:
            data = built[key] = []
            table[id(data)] = (data, [item.start_mark.line + 1 for item in node.value])
            data.extend([build(item) for item in node.value])
        else:
            raise _unsupported(node)
        in_progress.discard(key)
        return data

    def fill_mapping(node: MappingNode, data: dict) -> None:
        lines: dict[str, int] = {}
        table[id(data)] = (data, lines)
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    "found a key that is not a string", key_node.start_mark)
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            name = key_node.value
            line = key_node.start_mark.line + 1
            if name in data:
                duplicates.append((data, name, line))
            data[name] = build(value_node)
            lines[name] = line
        if merges:
            merge_into(node, data, lines, merges)

    def merge_into(node: MappingNode, data: dict, lines: dict[str, int], merges: list[Node]) -> None:
        """YAML merge keys (`<<: *base`): explicit keys win, then earlier merged mappings."""
        sources: list[Node] = []
        for value_node in merges:
            sources.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
        for source in sources:
            merged = build(source) if isinstance(source, MappingNode) else None
            if not isinstance(merged, dict):
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    "expected a mapping or list of mappings to merge", source.start_mark)
            source_lines = table[id(merged)][1]
            for name, value in merged.items():
                if name not in data:
                    data[name] = value
                    lines[name] = source_lines.get(name, source.start_mark.line + 1)

    data = build(root)
    return ParsedDocument(data, root.start_mark.line + 1, root.end_mark.index, table, duplicates)


def _unsupported(node: Node) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} is not supported (expected {_SUPPORTED})", node.start_mark)
