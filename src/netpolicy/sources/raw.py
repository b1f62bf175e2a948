"""A Kubernetes or Calico object as read, with where it came from and the line of each field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netpolicy.errors import Location

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """`spec.ingress[0].ports` → `['spec', 'ingress', 0, 'ports']`."""
    return [int(idx) if idx else name for name, idx in _PATH_PART.findall(path)]


@dataclass
class RawObject:
    """One object of the input.

    `data` is the parsed mapping; `lines` maps a field path (`spec.ingress[0].ports[0].port`) to its
    1-based line, for every field whose line is known (YAML input; JSON input knows object starts).
    """

    data: dict[str, Any]
    location: Location
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kind = self.data.get("kind")
        return kind if kind.__class__ is str else str(kind or "")

    @property
    def api_version(self) -> str:
        api_version = self.data.get("apiVersion")
        return api_version if api_version.__class__ is str else str(api_version or "")

    @property
    def group(self) -> str:
        """API group: `networking.k8s.io`, `projectcalico.org`, `` for core."""
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns else None

    def line(self, path: str = "") -> int | None:
        """The line of the field at `path`, or of its nearest known ancestor, or of the object.

        `lines` that can find the nearest known line themselves (`FieldLines.nearest`) do so in one walk.
        """
        nearest = getattr(self.lines, "nearest", None)
        if nearest is not None:
            found = nearest(path)
            return found if found is not None else self.location.line
        parts = split_path(path)
        while parts:
            key = _join(parts)
            if key in self.lines:
                return self.lines[key]
            parts.pop()
        return self.location.line

    def at(self, path: str = "") -> Location:
        """Location of the field at `path`."""
        return Location(self.location.file, self.line(path))


def _join(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
