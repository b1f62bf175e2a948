"""Typed reads of an object's fields; a wrong type becomes an error at the field's file and line."""

from __future__ import annotations

from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.sources.raw import RawObject

PORT_RANGE = "1-65535"
INT32_MAX = 2**31 - 1


def report(diags: Diagnostics, obj: RawObject, path: str, message: str, expected: str = "",
           *, warning: bool = False, suggestion: str = "") -> None:
    """An error (or warning) about the field at `path` of `obj`."""
    add = diags.warn if warning else diags.error
    add(message, obj.at(path), path=path, expected=expected, suggestion=suggestion)


def show(value: Any) -> str:
    """A value as a message quotes it: strings quoted, everything else as YAML would print it."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def mapping(value: Any, obj: RawObject, path: str, diags: Diagnostics) -> dict[str, Any]:
    """`value` if it is a mapping, `{}` if absent; an error otherwise."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    report(diags, obj, path, f"{show(value)} is not a mapping", "a mapping of fields")
    return {}


def mappings(value: Any, obj: RawObject, path: str, diags: Diagnostics) -> list[tuple[int, dict[str, Any]]]:
    """`(index, item)` for each mapping of the list `value`; errors for a non-list or non-mapping items."""
    if value is None:
        return []
    if not isinstance(value, list):
        report(diags, obj, path, f"{show(value)} is not a list", "a list")
        return []
    out = [(index, item) for index, item in enumerate(value) if item.__class__ is dict]
    if len(out) == len(value):
        return out
    out = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            out.append((index, item))
        else:
            report(diags, obj, f"{path}[{index}]", f"{show(item)} is not a mapping", "a mapping of fields")
    return out


def string_map(value: Any, obj: RawObject, path: str, diags: Diagnostics) -> dict[str, str]:
    """A `{string: string}` mapping such as labels or a selector; errors for values that are not strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        report(diags, obj, path, f"{show(value)} is not a mapping", "a mapping of strings to strings")
        return {}
    for item in value.values():
        if item.__class__ is not str:
            break
    else:
        return dict(value)
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            out[key] = item
        else:
            scalar = not isinstance(item, (dict, list))
            report(diags, obj, f"{path}.{key}", f"{show(item)} is not a string", "a string",
                   suggestion="quote the value in YAML so that it stays a string" if scalar else "")
    return out


def optional_string(value: Any, obj: RawObject, path: str, diags: Diagnostics) -> str | None:
    """A string field, None if absent or empty; an error for any other type."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    report(diags, obj, path, f"{show(value)} is not a string", "a string")
    return None


def port_number(value: Any, obj: RawObject, path: str, diags: Diagnostics) -> int | None:
    """A port number 1-65535; an error (and None) otherwise, also when absent."""
    if value is None:
        report(diags, obj, path, "missing", f"a port number ({PORT_RANGE})")
    elif isinstance(value, bool) or not isinstance(value, int):
        report(diags, obj, path, f"{show(value)} is not a port number", f"an integer {PORT_RANGE}")
    elif not 1 <= value <= 65535:
        report(diags, obj, path, f"{value} is not a port", PORT_RANGE)
    else:
        return value
    return None


def count(value: Any, obj: RawObject, path: str, diags: Diagnostics, default: int) -> int:
    """A non-negative integer such as `replicas`, `default` if absent; an error otherwise."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT32_MAX:
        report(diags, obj, path, f"{show(value)} is not a count", f"a whole number 0-{INT32_MAX} (int32)")
        return default
    return value
