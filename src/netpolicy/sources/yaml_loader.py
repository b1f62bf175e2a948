"""YAML streams to plain data on PyYAML's C loader (libyaml), recording the line of every field.

Values are built straight from the parser's events, in one pass: no node tree is composed first.
The result is what composing and then constructing with the safe loader gives (plain tags only),
and problems are reported as composing would: the parser's and composer's own (syntax, undefined
or duplicate anchors) as they are met, the others (unsupported tags, keys that are not strings,
recursive aliases, bad merges) once the document has been read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from netpolicy.sources.lines import LineTable, ParsedDocument

#: libyaml's parser when PyYAML was built with it, else the pure-Python one (same results, slower).
BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Collections nested deeper than this are refused (Kubernetes objects are far shallower).
MAX_DEPTH = 500

_PREFIX = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _PREFIX + "str", _PREFIX + "map", _PREFIX + "seq", _PREFIX + "merge"
_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (_PREFIX + name for name in ("int", "float", "bool", "null", "timestamp"))
_SUPPORTED = "strings, numbers, booleans, null, mappings and lists"
_NON_SPECIFIC = (None, "!")
#: A plain `=` is YAML 1.1's "value" key; kubectl reads it as the string "=" (kube-prometheus has one).
_VALUE = _PREFIX + "value"


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
        reader = _DocumentReader(loader)
        while (document := reader.next_document()) is not None:
            yield document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable YAML"
        raise YamlSyntaxError(problem, mark.line + 1 if mark else None,
                              mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None, None) from None
    finally:
        loader.dispose()


class _Anchored:
    """A node that carries an anchor: where it starts, and its scalar event or its collection's data."""

    __slots__ = ("mark", "scalar", "tag", "data", "open", "item_marks")

    def __init__(self, mark: Mark) -> None:
        self.mark = mark
        self.scalar: ScalarEvent | None = None
        self.tag: str | None = None
        self.data: Any = None
        #: While its collection is still being read: an alias to it then would make a cycle.
        self.open = False
        self.item_marks: list[Mark] | None = None


class _Collection:
    """A mapping or sequence being read: its data, the lines of its entries, and for a mapping the key
    waiting for its value and the values of its merge keys."""

    __slots__ = ("data", "lines", "mapping", "mark", "anchored", "key", "merges", "item_marks")

    def __init__(self, data: Any, lines: Any, mark: Mark, anchored: _Anchored | None) -> None:
        self.data = data
        self.lines = lines
        self.mapping = lines.__class__ is dict
        self.mark = mark
        self.anchored = anchored
        #: For a mapping: None while a key is expected, else `(name, line)`, `_MERGE_KEY` or `_IGNORED`.
        self.key: Any = None
        self.merges: list[tuple[Any, Mark, list[Mark] | None]] = []
        #: For a sequence whose items may be merged into a mapping: where each item starts.
        self.item_marks: list[Mark] | None = None


#: What a mapping waits for after a merge key (`<<`), and after a key that is not a string.
_MERGE_KEY, _IGNORED = object(), object()


class _DocumentReader:
    """Reads the documents of one stream from the loader's events."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._get_event = loader.get_event
        resolvers = loader.yaml_implicit_resolvers
        self._resolvers = resolvers
        #: Whether the resolver is the plain safe one, which the quick tag lookup below matches exactly.
        self._plain_resolver = not loader.yaml_path_resolvers and None not in resolvers
        self._scalars = {
            _INT: loader.construct_yaml_int,
            _FLOAT: loader.construct_yaml_float,
            _BOOL: loader.construct_yaml_bool,
            _NULL: lambda node: None,
            _TIMESTAMP: lambda node: node.value,  # Kubernetes keeps timestamps as strings
        }

    def next_document(self) -> ParsedDocument | None:
        """The next document, or None at the end of the stream."""
        event = self._get_event()
        if event.__class__ is StreamStartEvent:
            event = self._get_event()
        if event.__class__ is StreamEndEvent:
            return None
        if event.__class__ is not DocumentStartEvent:
            raise ComposerError(None, None, f"expected a document, found {event}", event.start_mark)
        return self._document()

    def _document(self) -> ParsedDocument:
        """Read events up to the end of the document, building its data and line table."""
        get_event = self._get_event
        plain_resolver = self._plain_resolver
        table: LineTable = {}
        duplicates: list[tuple[dict, str, int]] = []
        anchors: dict[str, _Anchored] = {}
        stack: list[_Collection] = []
        #: The first problem found past the parser; raised once the document is read, as composing would.
        problem: ConstructorError | None = None
        root: Any = None
        root_mark: Mark | None = None
        end_index = 0
        while True:
            event = get_event()
            cls = event.__class__
            mark = event.start_mark
            parent = stack[-1] if stack else None
            item_marks = None
            if cls is ScalarEvent:
                anchored = None
                if event.anchor is not None:
                    anchored = self._anchor(anchors, event.anchor, mark)
                    anchored.scalar, anchored.tag = event, self._scalar_tag(event)
                if parent is not None and parent.key is None and parent.mapping:
                    text = event.value
                    merge = (text == "<<" and self._is_merge_key(event)) if plain_resolver and event.tag is None \
                        else self._is_merge_key(event)
                    parent.key = _MERGE_KEY if merge else (text, mark.line + 1)
                    continue
                value = None
                if problem is None and not (parent is not None and parent.key is _MERGE_KEY):
                    if plain_resolver and not event.implicit[0] and event.tag in _NON_SPECIFIC:
                        value = event.value  # quoted and untagged: a string
                    else:
                        value, problem = self._scalar(event, self._scalar_tag(event))
                item_mark, end = mark, event.end_mark
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                anchored = self._anchor(anchors, event.anchor, mark) if event.anchor is not None else None
                if len(stack) >= MAX_DEPTH:
                    raise ComposerError(None, None, "nested too deeply", mark)
                mapping = cls is MappingStartEvent
                merged = parent is not None and parent.key is _MERGE_KEY
                if problem is None and parent is not None and parent.key is None and parent.mapping:
                    problem = ConstructorError("while reading a mapping", parent.mark,
                                               "found a key that is not a string", mark)
                tag = self._collection_tag(event, mapping)
                if problem is None and tag != (_MAP if mapping else _SEQ) and not (merged and not mapping):
                    problem = _unsupported(tag, mark)
                collection = _Collection({}, {}, mark, anchored) if mapping else _Collection([], [], mark, anchored)
                if not mapping and (anchored is not None or merged):
                    collection.item_marks = []
                table[id(collection.data)] = (collection.data, collection.lines)
                if anchored is not None:
                    anchored.data, anchored.open = collection.data, True
                stack.append(collection)
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                collection = stack.pop()
                parent = stack[-1] if stack else None
                if collection.merges and problem is None:
                    problem = _merge(collection, table)
                if collection.anchored is not None:
                    collection.anchored.open = False
                    collection.anchored.item_marks = collection.item_marks
                value, item_mark, end = collection.data, collection.mark, event.end_mark
                item_marks = collection.item_marks
            elif cls is AliasEvent:
                anchored = anchors.get(event.anchor)
                if anchored is None:
                    raise ComposerError(None, None, "found undefined alias", mark)
                scalar = anchored.scalar
                if parent is not None and parent.key is None and parent.mapping:
                    if scalar is None:
                        problem = problem or ConstructorError("while reading a mapping", parent.mark,
                                                              "found a key that is not a string", anchored.mark)
                        parent.key = _IGNORED
                    else:
                        parent.key = _MERGE_KEY if anchored.tag == _MERGE else (scalar.value, anchored.mark.line + 1)
                    continue
                if anchored.open and problem is None:
                    problem = ConstructorError(None, None, "an alias refers to a node that contains it",
                                               anchored.mark)
                value = anchored.data
                if scalar is not None:
                    value = None
                    if problem is None and not (parent is not None and parent.key is _MERGE_KEY):
                        value, problem = self._scalar(scalar, anchored.tag)
                item_mark, end, item_marks = anchored.mark, event.end_mark, anchored.item_marks
            elif cls is DocumentEndEvent:
                if problem is not None:
                    raise problem
                return ParsedDocument(root, root_mark.line + 1 if root_mark else 1, end_index, table, duplicates)
            else:
                raise ComposerError(None, None, f"unexpected {event}", mark)
            if parent is None:
                root, root_mark, end_index = value, item_mark, end.index
            elif not parent.mapping:
                parent.data.append(value)
                parent.lines.append(item_mark.line + 1)
                if parent.item_marks is not None:
                    parent.item_marks.append(item_mark)
            else:
                key, parent.key = parent.key, None
                if key is _MERGE_KEY:
                    parent.merges.append((value, item_mark, item_marks))
                elif key is None:
                    parent.key = _IGNORED  # a collection was the key: its problem is already recorded
                elif key is not _IGNORED:
                    name, line = key
                    data = parent.data
                    if name in data:
                        duplicates.append((data, name, line))
                    data[name] = value
                    parent.lines[name] = line

    def _scalar_tag(self, event: ScalarEvent) -> str:
        """The scalar's tag as the resolver gives it: explicit, or implied by a plain scalar's text."""
        tag = event.tag
        if tag not in _NON_SPECIFIC:
            return tag
        if not self._plain_resolver:
            return self._loader.resolve(ScalarNode, event.value, event.implicit)
        if event.implicit[0]:
            value = event.value
            for resolved, pattern in self._resolvers.get(value[:1], ()):
                if pattern.match(value):
                    return resolved
        return _STR

    def _is_merge_key(self, event: ScalarEvent) -> bool:
        """Whether a key is the merge key `<<` (the only plain text the resolver reads as a merge)."""
        tag = event.tag
        if tag not in _NON_SPECIFIC:
            return tag == _MERGE
        if not self._plain_resolver:
            return self._scalar_tag(event) == _MERGE
        return event.value == "<<" and event.implicit[0]

    def _collection_tag(self, event: MappingStartEvent | SequenceStartEvent, mapping: bool) -> str:
        tag = event.tag
        if tag not in _NON_SPECIFIC:
            return tag
        if not self._plain_resolver:
            return self._loader.resolve(MappingNode if mapping else SequenceNode, None, event.implicit)
        return _MAP if mapping else _SEQ

    def _scalar(self, event: ScalarEvent, tag: str) -> tuple[Any, ConstructorError | None]:
        """The scalar's value, or None and the problem with it."""
        if tag == _STR or tag == _VALUE:
            return event.value, None
        construct = self._scalars.get(tag)
        if construct is None:
            return None, _unsupported(tag, event.start_mark)
        try:
            return construct(ScalarNode(tag, event.value, event.start_mark, event.end_mark)), None
        except (ValueError, KeyError, TypeError):
            return None, ConstructorError(None, None, f"{event.value!r} is not a valid {tag.removeprefix(_PREFIX)}",
                                          event.start_mark)

    @staticmethod
    def _anchor(anchors: dict[str, _Anchored], name: str, mark: Mark) -> _Anchored:
        first = anchors.get(name)
        if first is not None:
            raise ComposerError("found duplicate anchor; first occurrence", first.mark, "second occurrence", mark)
        anchored = anchors[name] = _Anchored(mark)
        return anchored


def _merge(collection: _Collection, table: LineTable) -> ConstructorError | None:
    """Apply a mapping's merge keys (`<<: *base`): explicit keys win, then earlier merged mappings."""
    data, lines = collection.data, collection.lines
    for value, mark, item_marks in collection.merges:
        sources = list(zip(value, item_marks, strict=True)) if item_marks is not None else [(value, mark)]
        for merged, source_mark in sources:
            if merged.__class__ is not dict:
                return ConstructorError("while reading a mapping", collection.mark,
                                        "expected a mapping or list of mappings to merge", source_mark)
            source_lines = table[id(merged)][1]
            for name, item in merged.items():
                if name not in data:
                    data[name] = item
                    lines[name] = source_lines.get(name, source_mark.line + 1)
    return None


def _unsupported(tag: str, mark: Mark) -> ConstructorError:
    return ConstructorError(None, None, f"the tag {tag} is not supported (expected {_SUPPORTED})", mark)
