"""The in-repo conformance vectors equal the shared folder they were copied from, file by file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance_data import CONFORMANCE, shared_conformance


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_copy_is_byte_identical_to_shared_folder():
    shared = shared_conformance()
    if shared is None:
        pytest.skip("no shared conformance folder to compare with ($NETPOLICY_CONFORMANCE or ../shared/conformance)")
    ours, theirs = _files(CONFORMANCE), _files(shared)
    assert sorted(ours) == sorted(theirs), f"file names differ from {shared}"
    changed = sorted(name for name in ours if ours[name] != theirs[name])
    assert not changed, f"differ from {shared}: {', '.join(changed)} (copy the folder again)"


def test_copy_keeps_its_provenance():
    """Both READMEs (sources, commits, formats) travel with the vectors."""
    for name in ("README.md", "README-k8s.md"):
        assert "commit" in (CONFORMANCE / name).read_text()
    assert {path.name for path in CONFORMANCE.iterdir() if path.is_dir()} == {"k8s-netpol", "anp", "cnp"}
