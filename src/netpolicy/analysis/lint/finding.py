"""A lint finding: which rule, how severe, what is wrong, on which object, at which file and line."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.errors import Location
from netpolicy.sources.raw import RawObject

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
RANK = {INFO: 1, WARNING: 2, ERROR: 3}

#: Kinds without a namespace: their object id is `Kind/name`.
CLUSTER_SCOPED = frozenset({
    "Namespace", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "GlobalNetworkSet", "Tier",
    "Profile", "HostEndpoint", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
})
DEFAULT_NAMESPACE = "default"

#: `(object id, file)`: how an object is told apart from a namesake of another API group.
ObjectKey = tuple[str, str | None]


@dataclass(frozen=True)
class Finding:
    """One finding (INTERFACES.md `lint`). `related` names other objects whose
    `netpolicy.io/ignore` annotation also suppresses it (e.g. the workload a policy finding is about)."""

    rule: str
    severity: str
    message: str
    object: str
    file: str | None = None
    line: int | None = None
    suggestion: str = ""
    related: tuple[ObjectKey, ...] = ()

    @property
    def key(self) -> ObjectKey:
        return (self.object, self.file)

    def sort_key(self) -> tuple:
        return (self.file is None, self.file or "", self.line or 0, -RANK.get(self.severity, 0), self.rule,
                self.message)


def object_id(kind: str, name: str, namespace: str | None) -> str:
    """`namespace/Kind/name`, or `Kind/name` for cluster-scoped kinds."""
    if kind in CLUSTER_SCOPED:
        return f"{kind}/{name}"
    return f"{namespace or DEFAULT_NAMESPACE}/{kind}/{name}"


def raw_object_id(raw: RawObject) -> str:
    """The object id of an input object."""
    return object_id(raw.kind, raw.name, raw.namespace)


def raw_key(raw: RawObject) -> ObjectKey:
    return (raw_object_id(raw), raw.location.file)


def finding_at(rule: str, raw: RawObject, path: str, message: str, suggestion: str = "", *,
               severity: str = "", related: tuple[ObjectKey, ...] = ()) -> Finding:
    """A finding on an input object, pointing at the line of the field at `path` (`""`: the object).

    An empty `severity` stands for the rule's default (or the configured one).
    """
    location = raw.at(path)
    return Finding(rule, severity, message, raw_object_id(raw), location.file, location.line, suggestion, related)


def finding_on(rule: str, object_name: str, location: Location | None, message: str, suggestion: str = "", *,
               severity: str = "", related: tuple[ObjectKey, ...] = ()) -> Finding:
    """A finding on an object known only by id and location."""
    return Finding(rule, severity, message, object_name, location.file if location else None,
                   location.line if location else None, suggestion, related)


def at_or_above(severity: str, threshold: str) -> bool:
    """Whether `severity` is at least as severe as `threshold` (`error`, `warning` or `info`)."""
    return RANK.get(severity, 0) >= RANK[threshold]


def enumeration(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
