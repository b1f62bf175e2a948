"""Peer sets are written as runs (`0-5,9,12-14`), the same by the short path and the numpy path."""

from __future__ import annotations

import numpy as np
import pytest

from netpolicy.render import matrix_compact
from netpolicy.render.matrix_compact import peer_set_text


@pytest.mark.parametrize(("members", "text"), [
    ([], ""), ([4], "4"), ([0, 1, 2, 3, 4, 5, 9, 12, 13, 14], "0-5,9,12-14"), ([1, 3, 5], "1,3,5"), ([7, 8], "7-8"),
])
@pytest.mark.parametrize("small_set", [0, 100])
def test_peer_set_runs(monkeypatch, members, text, small_set):
    monkeypatch.setattr(matrix_compact, "SMALL_SET", small_set)
    assert peer_set_text(np.array(members, dtype=np.int32)) == text
