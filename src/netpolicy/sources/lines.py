"""Line numbers of parsed fields: a side table filled while parsing, read lazily by field path."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from netpolicy.sources.raw import split_path

#: `id(container)` → `(container, lines)`: `lines` is `{key: line}` for a mapping and `[line, …]`
#: for a sequence. Holding the container keeps its id from being reused while the table lives.
LineTable = dict[int, tuple[Any, Any]]


@dataclass
class ParsedDocument:
    """One document of a stream: its data, where it starts and ends, and the lines of its fields."""

    data: Any
    line: int
    end: int
    table: LineTable = field(default_factory=dict)
    #: `(mapping, key, line)` for every key given twice in one mapping (the last value was kept).
    duplicates: list[tuple[dict, str, int]] = field(default_factory=list)


def child_line(table: LineTable, container: Any, key: str | int) -> int | None:
    """The line of `container[key]` as recorded while parsing, or None."""
    entry = table.get(id(container))
    if entry is None or entry[0] is not container:
        return None
    lines = entry[1]
    if isinstance(lines, dict):
        return lines.get(key) if isinstance(key, str) else None
    if isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return None


class FieldLines(Mapping[str, int]):
    """`{field path: line}` for one object, computed on lookup from the parse's line table.

    Looking up `spec.ingress[0].ports` walks three containers; nothing is built per field up front,
    which keeps loading large inputs cheap.
    """

    __slots__ = ("_root", "_table")

    def __init__(self, root: Any, table: LineTable) -> None:
        self._root = root
        self._table = table

    def __getitem__(self, path: str) -> int:
        node = self._root
        line = None
        for part in split_path(path):
            line = child_line(self._table, node, part)
            if line is None:
                raise KeyError(path)
            try:
                node = node[part]
            except (KeyError, IndexError):
                raise KeyError(path) from None
        if line is None:
            raise KeyError(path)
        return line

    def nearest(self, path: str) -> int | None:
        """The line of the field at `path`, else of its nearest ancestor whose line is known; None if none is.

        One walk down the path gives what looking up each shorter prefix in turn would.
        """
        node = self._root
        found = None
        for part in split_path(path):
            line = child_line(self._table, node, part)
            if line is None:
                break
            try:
                node = node[part]
            except (KeyError, IndexError):
                break
            found = line
        return found

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        try:
            self[path]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        yield from (path for path, _ in self._walk(self._root, ""))

    def __len__(self) -> int:
        return sum(1 for _ in self._walk(self._root, ""))

    def _walk(self, node: Any, prefix: str) -> Iterator[tuple[str, int]]:
        entry = self._table.get(id(node))
        if entry is None or entry[0] is not node:
            return
        lines = entry[1]
        if isinstance(lines, dict):
            for key, line in lines.items():
                if key in node:
                    path = f"{prefix}.{key}" if prefix else key
                    yield path, line
                    yield from self._walk(node[key], path)
        else:
            for index, line in enumerate(lines[:len(node)]):
                path = f"{prefix}[{index}]"
                yield path, line
                yield from self._walk(node[index], path)


def container_paths(root: Any) -> dict[int, str]:
    """`id(container)` → field path, for every mapping and sequence under `root` (root is `""`)."""
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if id(node) in paths:
            continue
        if isinstance(node, dict):
            paths[id(node)] = path
            stack.extend((value, f"{path}.{key}" if path else str(key)) for key, value in node.items())
        elif isinstance(node, list):
            paths[id(node)] = path
            stack.extend((value, f"{path}[{index}]") for index, value in enumerate(node))
    return paths
