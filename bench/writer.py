"""Writing objects as ordinary manifest files: multi-document YAML, or a kubectl-style JSON List."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_objects(stem: Path, objects: list[dict], file_format: str) -> Path:
    """Write `objects` to `stem.yaml` or `stem.json` and return the path written."""
    if file_format == "yaml":
        path = stem.with_suffix(".yaml")
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump_all(objects, handle, Dumper=_DUMPER, sort_keys=False, default_flow_style=False)
        return path
    if file_format != "json":
        raise ValueError(f"unknown file format {file_format!r} (expected yaml or json)")
    path = stem.with_suffix(".json")
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[\n')
        handle.write(",\n".join(map(encode, objects)))
        handle.write("\n]}\n")
    return path
