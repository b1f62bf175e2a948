"""Shared fixtures: the conformance vectors (the in-repo copy), the bundled example, golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.golden")

from tests.conformance_data import REPO, conformance_root  # noqa: E402
from tests.golden import UPDATE_ENV  # noqa: E402

EXAMPLE = REPO / "examples" / "trojanwall"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help=f"rewrite golden files from the current output (same as {UPDATE_ENV}=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-golden"):
        os.environ[UPDATE_ENV] = "1"


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The folder of the conformance vectors (tests/data/conformance)."""
    return conformance_root()


@pytest.fixture(scope="session")
def example() -> Path:
    return EXAMPLE
