"""Sorting the objects read into those netpolicy understands: known kind, valid metadata, defined once."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.errors import Diagnostics
from netpolicy.sources import fields, kinds
from netpolicy.sources.kinds import KindInfo
from netpolicy.sources.raw import RawObject


@dataclass(slots=True)
class Accepted:
    """An object of a known kind with a valid name, its namespace (None if cluster-scoped) and labels."""

    obj: RawObject
    info: KindInfo
    name: str
    namespace: str | None
    labels: dict[str, str]

    @property
    def key(self) -> tuple[str, str, str | None, str]:
        """What names the object in a cluster: API group, kind, namespace, name."""
        return self.info.identity_group, self.info.kind, self.namespace, self.name


def accept_objects(objects: list[RawObject], diags: Diagnostics) -> list[Accepted]:
    """The objects of known kinds whose metadata is valid, each (kind, namespace, name) once, in order.

    Unknown kinds are listed in one warning per kind; an object defined twice is an error at the
    second place, naming the first, unless both agree on everything but annotations (a warning).
    """
    accepted: list[Accepted] = []
    unknown: dict[tuple[str, str], list[RawObject]] = {}
    first_seen: dict[tuple[str, str, str | None, str], RawObject] = {}
    for obj in objects:
        info = kinds.kind_info(obj)
        if info is None:
            unknown.setdefault((obj.kind, obj.api_version), []).append(obj)
            continue
        entry = _check_metadata(obj, info, diags)
        if entry is None:
            continue
        first = first_seen.setdefault(entry.key, obj)
        if first is not obj:
            where = f"{entry.namespace}/{entry.name}" if entry.namespace else entry.name
            if _same_object(first, obj):
                diags.warn(f"{info.kind} {where} is defined again (first at {first.at('metadata.name')}); "
                           "the definitions agree, so it is read once, as kubectl apply would",
                           obj.at("metadata.name"))
                continue
            diags.error(f"{info.kind} {where} is defined twice (first at {first.at('metadata.name')})",
                        obj.at("metadata.name"), suggestion="keep one of the two definitions")
            continue
        accepted.append(entry)
    for (kind, api_version), ignored in unknown.items():
        _warn_unknown(kind, api_version, ignored, diags)
    return accepted


def _same_object(first: RawObject, second: RawObject) -> bool:
    """Whether two definitions of one object agree on all but annotations and status."""
    return _essence(first.data) == _essence(second.data)


def _essence(data: dict) -> dict:
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        metadata = {k: v for k, v in metadata.items() if k != "annotations"}
    return {**{k: v for k, v in data.items() if k != "status"}, "metadata": metadata}


def _check_metadata(obj: RawObject, info: KindInfo, diags: Diagnostics) -> Accepted | None:
    metadata = obj.data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        fields.report(diags, obj, "metadata", f"{fields.show(metadata)} is not a mapping",
                      "a mapping with name, namespace and labels")
        return None
    metadata = metadata or {}
    name = metadata.get("name")
    if name is None or name == "":
        fields.report(diags, obj, "metadata.name", "missing", "a name")
        return None
    if not isinstance(name, str):
        fields.report(diags, obj, "metadata.name", f"{fields.show(name)} is not a name", "a string")
        return None
    namespace = metadata.get("namespace")
    if info.namespaced:
        namespace = fields.optional_string(namespace, obj, "metadata.namespace", diags) or kinds.DEFAULT_NAMESPACE
    else:
        if namespace not in (None, ""):
            fields.report(diags, obj, "metadata.namespace",
                          f"ignored: {info.kind} is not a namespaced kind", warning=True)
        namespace = None
    labels = fields.string_map(metadata.get("labels"), obj, "metadata.labels", diags)
    return Accepted(obj, info, name, namespace, labels)


def _warn_unknown(kind: str, api_version: str, ignored: list[RawObject], diags: Diagnostics) -> None:
    count = len(ignored)
    known = kinds.known_versions(kind)
    suggestion = f"netpolicy reads {kind} as {' or '.join(known)}" if known else ""
    diags.warn(f"unknown kind {kind} ({api_version}): {count} object{'s' if count != 1 else ''} ignored",
               ignored[0].location, suggestion=suggestion)
