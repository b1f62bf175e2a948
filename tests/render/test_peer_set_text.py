"""Peer sets are written as runs (`0-5,9,12-14`), the same however many sets are turned into text at once."""

from __future__ import annotations

import numpy as np
import pytest

from netpolicy.render import run_text
from netpolicy.render.run_text import run_texts


@pytest.mark.parametrize(("members", "text"), [
    ([], ""), ([4], "4"), ([0, 1, 2, 3, 4, 5, 9, 12, 13, 14], "0-5,9,12-14"), ([1, 3, 5], "1,3,5"), ([7, 8], "7-8"),
    ([9, 10, 99, 100, 101, 999, 1000], "9-10,99-101,999-1000"), ([10**12, 10**12 + 1], "1000000000000-1000000000001"),
])
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_peer_set_runs(monkeypatch, members, text, chunk):
    monkeypatch.setattr(run_text, "CHUNK", chunk)
    assert list(run_texts([np.array(members, dtype=np.int64)])) == [text]


@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
def test_runs_never_cross_sets(monkeypatch, chunk):
    """A set that continues the last one's members starts its own runs; empty sets stay empty."""
    monkeypatch.setattr(run_text, "CHUNK", chunk)
    sets = [[], [0, 1, 2], [3, 4], [], [5], [7, 9, 10], [], [11, 12], []]
    texts = list(run_texts([np.array(s, dtype=np.int32) for s in sets]))
    assert texts == ["", "0-2", "3-4", "", "5", "7,9-10", "", "11-12", ""]


@pytest.mark.parametrize("seed", range(4))
def test_runs_of_random_sets(seed):
    """Each set's runs, as a plain walk over its members writes them."""
    rng = np.random.default_rng(seed)
    sets = [np.unique(rng.integers(0, int(rng.choice([6, 60, 10**6])), size=int(rng.integers(0, 30))))
            for _ in range(200)]
    expected = []
    for members in sets:
        runs: list[list[int]] = []
        for member in members.tolist():
            if runs and runs[-1][1] + 1 == member:
                runs[-1][1] = member
            else:
                runs.append([member, member])
        expected.append(",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs))
    assert list(run_texts(sets)) == expected
