"""Kubernetes object metadata as the API server validates it (ValidateObjectMeta and each kind's name rule)."""

from __future__ import annotations

import re
from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.policies.kubernetes import names
from netpolicy.sources import fields
from netpolicy.sources.kinds import KindInfo
from netpolicy.sources.raw import RawObject

ANNOTATIONS_MAX = 256 * 1024  # TotalAnnotationSizeLimitB: keys and values together
_DNS1035_LABEL_RE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
#: Kinds whose names follow another rule than a DNS-1123 subdomain, and extra length limits.
_LABEL_NAMED = {"Namespace"}
_DNS1035_NAMED = {"Service"}
_NAME_MAX = {"CronJob": 52}
#: Label keys and values found valid are remembered (up to this many of each), so that the labels of
#: most objects are checked with two set look-ups: a large input repeats the same few.
KNOWN_MAX = 1 << 16
_KNOWN_KEYS: set[str] = set()
_KNOWN_VALUES: set[str] = set()


def name_problems(kind: str, name: str) -> tuple[tuple[str, ...], str]:
    """Why `name` is not a valid name for `kind`, and the format expected."""
    if kind in _LABEL_NAMED:
        return names.dns1123_label_problems(name), names.DNS1123_LABEL_FORMAT
    if kind in _DNS1035_NAMED:
        bad = len(name) > names.DNS1123_LABEL_MAX or not _DNS1035_LABEL_RE.fullmatch(name)
        return (("must be at most 63 lower-case letters, digits or '-', start with a letter and end with "
                 "a letter or digit",) if bad else ()), "a DNS-1035 label such as my-service"
    problems = names.dns1123_subdomain_problems(name)
    limit = _NAME_MAX.get(kind)
    if limit and len(name) > limit:
        problems += (f"must be no more than {limit} characters",)
    return problems, names.DNS1123_SUBDOMAIN_FORMAT


def metadata_valid(obj: RawObject, info: KindInfo, name: str, namespace: str | None, labels: dict[str, str],
                   metadata: dict[str, Any], diags: Diagnostics) -> bool:
    """Report every invalid name, namespace, label and annotation; False when the object must be skipped."""
    ok = True

    def bad(path: str, value: str, problems: tuple[str, ...], expected: str) -> None:
        nonlocal ok
        ok = False
        fields.report(diags, obj, path, f"{fields.show(value)} is not valid: {'; '.join(problems)}", expected)

    problems, expected = name_problems(info.kind, name)
    if problems:
        bad("metadata.name", name, problems, expected)
    if namespace is not None:
        problems = names.dns1123_label_problems(namespace)
        if problems:
            bad("metadata.namespace", namespace, problems, names.DNS1123_LABEL_FORMAT)
    if _KNOWN_KEYS.issuperset(labels) and _KNOWN_VALUES.issuperset(labels.values()):
        return _annotations_valid(obj, metadata.get("annotations"), diags) and ok
    for key, value in labels.items():
        problems = names.qualified_name_problems(key) if isinstance(key, str) else ("is not a string",)
        if problems:
            bad(f"metadata.labels.{key}", str(key), problems, names.LABEL_KEY_FORMAT)
            continue
        _remember(_KNOWN_KEYS, key)
        problems = names.label_value_problems(value)
        if problems:
            bad(f"metadata.labels.{key}", value, problems, names.LABEL_VALUE_FORMAT)
        else:
            _remember(_KNOWN_VALUES, value)
    return _annotations_valid(obj, metadata.get("annotations"), diags) and ok


def _remember(known: set[str], item: str) -> None:
    """Add a label key or value found valid (forgetting them all past KNOWN_MAX)."""
    if len(known) >= KNOWN_MAX:
        known.clear()
    known.add(item)


def _annotations_valid(obj: RawObject, annotations: Any, diags: Diagnostics) -> bool:
    if annotations is None:
        return True
    values = fields.string_map(annotations, obj, "metadata.annotations", diags)
    ok = True
    total = 0
    for key, value in values.items():
        problems = names.qualified_name_problems(key) if isinstance(key, str) else ("is not a string",)
        if problems:
            ok = False
            fields.report(diags, obj, f"metadata.annotations.{key}",
                          f"{fields.show(str(key))} is not a valid annotation key: {'; '.join(problems)}",
                          names.LABEL_KEY_FORMAT)
        total += len(str(key).encode("utf-8", "surrogatepass")) + len(value.encode("utf-8", "surrogatepass"))
    if total > ANNOTATIONS_MAX:
        fields.report(diags, obj, "metadata.annotations", f"annotations total {total:,} bytes",
                      f"at most {ANNOTATIONS_MAX:,} bytes (256 KiB) of keys and values")
        ok = False
    return ok
