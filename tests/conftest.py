"""Shared fixtures: where the upstream conformance vectors live, and the bundled example."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "trojanwall"


def conformance_root() -> Path | None:
    """`$NETPOLICY_CONFORMANCE`, else `../shared/conformance` beside the repository, if present."""
    env = os.environ.get("NETPOLICY_CONFORMANCE")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "conformance")
    for path in candidates:
        if path.is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def conformance() -> Path:
    root = conformance_root()
    if root is None:
        pytest.skip("conformance vectors not found: set NETPOLICY_CONFORMANCE or place them in ../shared/conformance")
    return root


@pytest.fixture(scope="session")
def example() -> Path:
    return EXAMPLE
