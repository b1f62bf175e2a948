"""The golden-file helper: compares by default, rewrites under the one update switch."""

from __future__ import annotations

import pytest

from tests.golden import UPDATE_ENV, assert_golden


@pytest.mark.parametrize(("switch", "written", "passes"), [
    (None, "old\n", False),   # differs: fails and leaves the file alone
    ("0", "old\n", False),    # an explicit 0 is off
    ("1", "new\n", True),     # rewritten, then equal
])
def test_switch_decides_between_compare_and_rewrite(tmp_path, monkeypatch, switch, written, passes):
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    if switch is None:
        monkeypatch.delenv(UPDATE_ENV, raising=False)
    else:
        monkeypatch.setenv(UPDATE_ENV, switch)
    if passes:
        assert_golden(path, "new\n")
    else:
        with pytest.raises(AssertionError, match="--update-golden"):
            assert_golden(path, "new\n")
    assert path.read_text() == written


def test_missing_golden_file_says_how_to_create_it(tmp_path, monkeypatch):
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    with pytest.raises(AssertionError, match="missing"):
        assert_golden(tmp_path / "golden" / "new.txt", "x")
    monkeypatch.setenv(UPDATE_ENV, "1")
    assert_golden(tmp_path / "golden" / "new.txt", "x")
    assert (tmp_path / "golden" / "new.txt").read_text() == "x"


def test_equal_output_passes(tmp_path, monkeypatch):
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    (tmp_path / "g.txt").write_text("same")
    assert_golden(tmp_path / "g.txt", "same")
