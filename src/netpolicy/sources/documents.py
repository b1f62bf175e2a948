"""Parsed documents to RawObjects: Lists flattened, apiVersion and kind checked, duplicate keys reported."""

from __future__ import annotations

from typing import Any

from netpolicy.errors import Diagnostics, Location
from netpolicy.sources import fields, kinds
from netpolicy.sources.lines import FieldLines, LineTable, ParsedDocument, child_line, container_paths
from netpolicy.sources.raw import RawObject


def document_objects(document: ParsedDocument, name: str, diags: Diagnostics,
                     skipped: list[int] | None = None) -> list[RawObject]:
    """The objects of one document of the input `name` (none for an empty document).

    A document that is plainly not a Kubernetes object (no kind, or not a mapping) adds its line to
    `skipped` instead of being an error, when `skipped` is given; a top-level list of mappings reads
    like `kind: List` (calicoctl's form).
    """
    if document.duplicates:
        _warn_duplicate_keys(document, name, diags)
    objects: list[RawObject] = []
    data = document.data
    if skipped is not None and data is not None and not _looks_like_object(data):
        skipped.append(document.line)
    elif data.__class__ is list and data and all(item.__class__ is dict for item in data):
        _collect_items({"kind": "List", "items": data}, document.line, "", document.table, name, diags, objects,
                       bare=True)
    else:
        _collect(data, document.line, "", document.table, name, diags, objects)
    return objects


def _looks_like_object(data: Any) -> bool:
    """Whether a document is meant as a Kubernetes object: a mapping with a kind, or a list of mappings."""
    if data.__class__ is list:
        return bool(data) and all(item.__class__ is dict for item in data)
    if data.__class__ is not dict:
        return False
    kind = data.get("kind")
    if kind is None:
        return False
    return data.get("apiVersion") is not None or not isinstance(kind, str) or bool(kinds.known_versions(kind))


def _collect(value: Any, line: int, path: str, table: LineTable, name: str, diags: Diagnostics,
             out: list[RawObject], list_kind: str | None = None, list_api: str | None = None) -> None:
    """Append the object in `value`, or the items of a `List`/`XList`, checking apiVersion and kind."""
    if value is None and not path:
        return
    location = Location(name, line)
    if not isinstance(value, dict):
        diags.error(f"{_describe(value)} is not a Kubernetes object", location, path=path,
                    expected="a mapping with apiVersion and kind")
        return
    if list_kind:
        value.setdefault("kind", list_kind)
        if list_api:
            value.setdefault("apiVersion", list_api)
    kind, api_version = value.get("kind"), value.get("apiVersion")
    if _is_list(value):
        _collect_items(value, line, path, table, name, diags, out)
        return
    prefix = f"{path}." if path else ""
    if kind is None and api_version is None:
        diags.error("not a Kubernetes object: apiVersion and kind are missing", location, path=path,
                    expected="apiVersion and kind, such as `apiVersion: v1` and `kind: Pod`")
        return
    valid = True
    for field, text, expected in (("apiVersion", api_version, "an API version such as v1 or apps/v1"),
                                  ("kind", kind, "the object's kind, such as Pod or NetworkPolicy")):
        if text is None or text == "":
            diags.error("missing", location, path=prefix + field, expected=expected)
            valid = False
        elif not isinstance(text, str):
            diags.error(f"{fields.show(text)} is not a string", Location(name, child_line(table, value, field) or line),
                        path=prefix + field, expected=expected)
            valid = False
    if valid:
        out.append(RawObject(value, location, FieldLines(value, table)))


def _collect_items(value: dict, line: int, path: str, table: LineTable, name: str, diags: Diagnostics,
                   out: list[RawObject], bare: bool = False) -> None:
    items = value.get("items")
    items_path = path if bare else f"{path}.items" if path else "items"
    if items is None:
        return
    if not isinstance(items, list):
        diags.error(f"{_describe(items)} is not a list", Location(name, child_line(table, value, "items") or line),
                    path=items_path, expected="the list's objects")
        return
    kind = value.get("kind")
    item_kind = kind[: -len("List")] if kind != "List" else None
    api_version = value.get("apiVersion") if isinstance(value.get("apiVersion"), str) else None
    entry = table.get(id(items))
    item_lines = entry[1] if entry is not None and entry[0] is items else []
    for index, item in enumerate(items):
        item_line = item_lines[index] if index < len(item_lines) else line
        if not _append_plain_object(item, item_line, table, name, out, item_kind, api_version):
            _collect(item, item_line, f"{items_path}[{index}]", table, name, diags, out, item_kind, api_version)


def _append_plain_object(item: Any, line: int, table: LineTable, name: str, out: list[RawObject],
                         list_kind: str | None, list_api: str | None) -> bool:
    """Append a list item that is plainly an object (the common case, checked cheaply); False otherwise."""
    if item.__class__ is not dict:
        return False
    if list_kind:
        item.setdefault("kind", list_kind)
        if list_api:
            item.setdefault("apiVersion", list_api)
    kind, api_version = item.get("kind"), item.get("apiVersion")
    if kind.__class__ is not str or api_version.__class__ is not str or not kind or not api_version \
            or kind.endswith("List"):
        return False
    out.append(RawObject(item, Location(name, line), FieldLines(item, table)))
    return True


def _is_list(value: dict) -> bool:
    """`kind: List` (kubectl), or a typed list such as `PodList` as the API server returns it."""
    kind = value.get("kind")
    if kind == "List":
        return True
    return isinstance(kind, str) and kind.endswith("List") and len(kind) > 4 and isinstance(value.get("items"), list)


def _warn_duplicate_keys(document: ParsedDocument, name: str, diags: Diagnostics) -> None:
    paths = container_paths(document.data)
    for mapping, key, line in document.duplicates:
        parent = paths.get(id(mapping), "")
        diags.warn("key given twice; the last value is used, as kubectl does", Location(name, line),
                   path=f"{parent}.{key}" if parent else key)


def _describe(value: Any) -> str:
    return "an empty value" if value is None else fields.show(value)
