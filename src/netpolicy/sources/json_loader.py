"""JSON streams (one or more documents, `kubectl get -o json` lists) with the line of each list item."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Iterator
from typing import Any

from netpolicy.sources.lines import LineTable, ParsedDocument

_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: What may follow a list item: the next item's comma or the list's end, with whitespace around.
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
def _bounded_int(text: str) -> int:
    """A JSON integer within 64 bits (Kubernetes integers), checked before Python converts its digits."""
    if len(text.lstrip("-")) > 19 or not -2**63 <= int(text) < 2**63:
        raise json.JSONDecodeError("integer out of the 64-bit range Kubernetes accepts", "", 0)
    return int(text)


_scan_value = json.scanner.make_scanner(json.JSONDecoder(parse_int=_bounded_int))
_scan_string = json.decoder.scanstring


class JsonSyntaxError(Exception):
    """The stream is not valid JSON."""

    def __init__(self, problem: str, line: int, column: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


def parse_json(text: str) -> Iterator[ParsedDocument]:
    """Each JSON document of `text` in order; the table records the line of every `items[i]`."""
    lines = _LineCounter(text)
    index = _skip(text, 0)
    try:
        while index < len(text):
            line = lines.line_at(index)
            table: LineTable = {}
            data, index = _document(text, index, table, lines)
            yield ParsedDocument(data, line, index, table)
            index = _skip(text, index)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        line = lines.line_at(index)
        raise JsonSyntaxError("nested too deeply", line, 1) from None


def _document(text: str, index: int, table: LineTable, lines: _LineCounter) -> tuple[Any, int]:
    """One top-level value; an object's `items` array is read item by item to learn their lines."""
    if text[index] != "{":
        return _value(text, index)
    data: dict[str, Any] = {}
    index = _skip(text, index + 1)
    if text.startswith("}", index):
        return data, index + 1
    while True:
        if not text.startswith('"', index):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, index)
        key, index = _scan_string(text, index + 1)
        index = _skip(text, index)
        if not text.startswith(":", index):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _skip(text, index + 1)
        if key == "items" and text.startswith("[", index):
            data[key], index = _items(text, index, table, lines)
        else:
            data[key], index = _value(text, index)
        index = _skip(text, index)
        if text.startswith("}", index):
            return data, index + 1
        if not text.startswith(",", index):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _items(text: str, index: int, table: LineTable, lines: _LineCounter) -> tuple[list[Any], int]:
    items: list[Any] = []
    starts: list[int] = []
    index = _skip(text, index + 1)
    if not text.startswith("]", index):
        while True:
            starts.append(index)
            item, index = _value(text, index)
            items.append(item)
            separator = _SEPARATOR.match(text, index)
            if separator is None:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, _skip(text, index))
            index = separator.end()
            if separator.group(1) == "]":
                break
    else:
        index += 1
    table[id(items)] = (items, lines.lines_at(starts))
    return items, index


def _value(text: str, index: int) -> tuple[Any, int]:
    try:
        return _scan_value(text, index)
    except StopIteration:
        raise json.JSONDecodeError("Expecting value", text, index) from None


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]


class _LineCounter:
    """1-based line of a character offset, for offsets asked in ascending order (linear overall)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def lines_at(self, offsets: list[int]) -> list[int]:
        """The lines of ascending offsets (one pass over the text they span)."""
        if offsets and offsets[0] < self._offset:
            self._offset, self._line = 0, 1
        count = self._text.count
        line, last = self._line, self._offset
        out = []
        for offset in offsets:
            line += count("\n", last, offset)
            last = offset
            out.append(line)
        self._line, self._offset = line, last
        return out

    def line_at(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line
