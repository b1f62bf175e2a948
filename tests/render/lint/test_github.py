"""Lint findings as GitHub Actions annotations."""

from __future__ import annotations

from pathlib import Path

from netpolicy.analysis.lint import Finding
from netpolicy.render.lint.github import github_annotations
from tests.golden import assert_golden

from .findings import FINDINGS

GOLDEN = Path(__file__).parent / "golden" / "lint_github.txt"


def test_matches_golden():
    assert_golden(GOLDEN, github_annotations(FINDINGS))


def test_special_characters_are_escaped():
    finding = Finding("r", "warning", "two\nlines, 50%", "ns/Kind/a,b", "dir/a:b.yaml", 3, "")
    line = github_annotations([finding])
    assert line == "::warning file=dir/a%3Ab.yaml,line=3,title=r (ns/Kind/a%2Cb)::two%0Alines, 50%25\n"
