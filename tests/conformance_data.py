"""Where the upstream conformance vectors live: the repository's own copy (tests/data/conformance).

The copy is byte-identical to the project's shared folder (`$NETPOLICY_CONFORMANCE`, else
`../shared/conformance` beside the repository); tests/test_conformance_copy.py checks it when present.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO / "tests" / "data" / "conformance"


def conformance_root() -> Path:
    """The in-repo copy of the vectors (always present in a checkout)."""
    return CONFORMANCE


def calico_vectors(name: str, section: str | None = None) -> Any:
    """A Calico JSON file of the copy (`calico-selectors`, `calico-k8s-conversion`), or one section of it."""
    data = json.loads((CONFORMANCE / f"{name}.json").read_text())
    return data if section is None else data[section]


def case_files(folder: str) -> list[Path]:
    """The YAML cases of one folder of the copy (`k8s-netpol`, `anp`, `cnp`), sorted by name."""
    return sorted((CONFORMANCE / folder).glob("*.yaml"))


def shared_conformance() -> Path | None:
    """The folder the copy must equal: `$NETPOLICY_CONFORMANCE`, else `../shared/conformance`, if present."""
    env = os.environ.get("NETPOLICY_CONFORMANCE")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "conformance")
    return next((path for path in candidates if path.is_dir()), None)
