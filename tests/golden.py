"""Golden files: `assert_golden(path, text)` compares, or rewrites them under the one update switch.

The switch is `NETPOLICY_UPDATE_GOLDEN=1` in the environment, or `pytest --update-golden` (which sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

UPDATE_ENV = "NETPOLICY_UPDATE_GOLDEN"
HINT = f"rerun with `pytest --update-golden` (or {UPDATE_ENV}=1) if the change is intended"


def updating() -> bool:
    """True when golden files are being rewritten rather than compared."""
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_golden(path: Path, text: str) -> None:
    """`text` equals the golden file at `path`; under the update switch, `path` is rewritten first."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"golden file {path} is missing; {HINT}"
    expected = path.read_text()
    assert text == expected, f"output differs from golden file {path.name}; {HINT}"
