"""Reading `-f` inputs (files, directories, stdin) into RawObjects, with line numbers and clear errors."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from netpolicy.errors import Diagnostics, Location
from netpolicy.progress import Progress
from netpolicy.sources import layout
from netpolicy.sources.bulk import gc_paused
from netpolicy.sources.documents import document_objects
from netpolicy.sources.json_loader import JsonSyntaxError, parse_json
from netpolicy.sources.lines import ParsedDocument
from netpolicy.sources.raw import RawObject
from netpolicy.sources.yaml_loader import YamlSyntaxError, parse_yaml

STDIN = "-"
STDIN_NAME = "<stdin>"
#: Files a directory contributes (hidden files and directories are skipped).
EXTENSIONS = (".yaml", ".yml", ".json")
_FIRST_CHARACTER = re.compile(r"\s*(\S)")


@dataclass
class _Source:
    """One input to parse: a file, or stdin already read."""

    name: str
    path: str | None = None
    text: str | None = None
    size: int = 0


def read_objects(paths: list[str], diags: Diagnostics, *, stdin: IO[Any] | None = None,
                 rendered: Sequence[tuple[str, str]] = ()) -> list[RawObject]:
    """Every object in `paths` (files, directories, `-` for stdin), then in `rendered` (name, YAML text)
    pairs, Lists flattened, in input order.

    Problems go to `diags` (errors for unreadable or invalid input, warnings for duplicate keys);
    nothing is raised for bad input.
    """
    sources = _expand(paths, diags, stdin) + [_Source(name, text=text, size=len(text)) for name, text in rendered]
    objects: list[RawObject] = []
    with Progress(sum(s.size for s in sources)) as progress, gc_paused():
        done = 0
        for source in sources:
            text = source.text if source.text is not None else _read_file(source, diags)
            if text is not None:
                skipped: list[int] = []
                for document in _parse(source.name, text, diags):
                    objects.extend(document_objects(document, source.name, diags, skipped))
                    progress.update(done + document.end, f"reading {source.name}")
                if skipped:
                    diags.warn("not a Kubernetes object (no apiVersion and kind): skipped",
                               Location(source.name, skipped[0]), suggestion=layout.hint_for_file(source.name))
            done += source.size
    return objects


def _expand(paths: list[str], diags: Diagnostics, stdin: IO[Any] | None) -> list[_Source]:
    """The inputs named by `paths`, directories walked in sorted order, each real file once."""
    sources: list[_Source] = []
    seen: set[str] = set()
    for path in map(os.fspath, paths):
        if path == STDIN:
            if STDIN_NAME in seen:
                diags.warn("stdin is named twice; it is read once", Location(STDIN_NAME))
                continue
            seen.add(STDIN_NAME)
            text = _read_stdin(stdin, diags)
            if text is not None:
                sources.append(_Source(STDIN_NAME, text=text, size=len(text)))
            continue
        if os.path.isdir(path):
            if (refusal := layout.refusal(path)) is not None:
                diags.error(refusal, Location(path))
                continue
            files = list(_files_in(path, diags))
            if not files:
                diags.warn("no .yaml, .yml or .json files in this directory", Location(path))
        elif os.path.exists(path):
            files = [path]
        else:
            diags.error("no such file or directory", Location(path))
            continue
        for file in files:
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                sources.append(_Source(file, path=file, size=_size(file)))
    return sources


def _files_in(directory: str, diags: Diagnostics) -> Iterator[str]:
    def unreadable(exc: OSError) -> None:
        diags.error(f"cannot read directory: {exc.strerror}", Location(exc.filename or directory))

    for root, dirs, files in os.walk(directory, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for chart in [d for d in dirs if layout.is_chart(os.path.join(root, d))]:
            dirs.remove(chart)
            diags.warn(f"skipped: {layout.refusal(os.path.join(root, chart))}", Location(os.path.join(root, chart)))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(EXTENSIONS):
                yield os.path.join(root, name)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _read_file(source: _Source, diags: Diagnostics) -> str | None:
    try:
        with open(source.path or source.name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        diags.error(f"cannot read: {exc.strerror or exc}", Location(source.name))
        return None
    return _decode(data, source.name, diags)


def _read_stdin(stdin: IO[Any] | None, diags: Diagnostics) -> str | None:
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", sys.stdin)
    try:
        data = stream.read()
    except (OSError, ValueError) as exc:
        diags.error(f"cannot read: {exc}", Location(STDIN_NAME))
        return None
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return _decode(data, STDIN_NAME, diags)


def _decode(data: bytes, name: str, diags: Diagnostics) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        diags.error(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", Location(name, line),
                    expected="a UTF-8 encoded YAML or JSON file")
        return None


def _parse(name: str, text: str, diags: Diagnostics) -> Iterator[ParsedDocument]:
    """The documents of one input, by extension (`.json`, `.yaml`/`.yml`) or else by content."""
    extension = os.path.splitext(name)[1].lower()
    first = _FIRST_CHARACTER.match(text)
    if extension == ".json" or (extension not in (".yaml", ".yml") and first and first.group(1) in "{["):
        try:
            documents = list(parse_json(text))
        except JsonSyntaxError as exc:
            if extension != ".json" and _parses_as_yaml(text):
                yield from parse_yaml(text)
                return
            diags.error(f"invalid JSON: {exc.problem} (column {exc.column})", Location(name, exc.line))
            return
        yield from documents
        return
    try:
        yield from parse_yaml(text)
    except YamlSyntaxError as exc:
        column = f" (column {exc.column})" if exc.column else ""
        diags.error(f"invalid YAML: {exc.problem}{column}", Location(name, exc.line))


def _parses_as_yaml(text: str) -> bool:
    try:
        for _ in parse_yaml(text):
            pass
    except YamlSyntaxError:
        return False
    return True
