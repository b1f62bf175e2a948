"""Shared fixtures: the conformance vectors (the in-repo copy), the bundled example, golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance_data import REPO, conformance_root

EXAMPLE = REPO / "examples" / "trojanwall"


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The folder of the conformance vectors (tests/data/conformance)."""
    return conformance_root()


@pytest.fixture(scope="session")
def example() -> Path:
    return EXAMPLE
