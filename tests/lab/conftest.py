"""Lab tests that need the real kernel run as root with `ip` and `nft`; elsewhere they skip and say why."""

from __future__ import annotations

import pytest

from netpolicy.lab.environment import missing_requirement


@pytest.fixture
def lab_ready() -> None:
    reason = missing_requirement()
    if reason:
        pytest.skip(f"needs the real kernel: {reason}")
