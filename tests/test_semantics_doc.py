"""docs/semantics.md: every section the code and tests cite exists, and nothing cites an outside document."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conformance_data import REPO

DOC = REPO / "docs" / "semantics.md"
# A full citation `docs/semantics.md#anchor`, or a short `#anchor` after it in the same parentheses.
CITATION = re.compile(r"(?:docs/semantics\.md|[(,] )#([a-z][a-z0-9-]*)")
ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>')


def _sources() -> list[Path]:
    return sorted(p for folder in ("src", "tests", "bench") for p in (REPO / folder).rglob("*.py"))


def test_every_cited_section_exists():
    anchors = set(ANCHOR.findall(DOC.read_text()))
    cited: dict[str, list[str]] = {}
    for path in _sources():
        text = path.read_text()
        if "docs/semantics.md" not in text or path == Path(__file__):
            continue
        for anchor in CITATION.findall(text):
            cited.setdefault(anchor, []).append(path.relative_to(REPO).as_posix())
    assert cited, "no module cites docs/semantics.md"
    missing = {anchor: files for anchor, files in cited.items() if anchor not in anchors}
    assert not missing, f"cited sections missing from {DOC.name}: {missing}"


def test_no_citation_of_an_outside_document():
    outside = "calico" + "-semantics.md"  # the research note outside the repository
    assert [p.name for p in _sources() if outside in p.read_text()] == []


def test_internal_links_resolve():
    text = DOC.read_text()
    anchors = set(ANCHOR.findall(text))
    assert set(re.findall(r"\]\(#([^)]+)\)", text)) <= anchors

