"""One escaping function per sink: each holds any string, lone surrogates included."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from netpolicy import escape
from tests.hostile.strings import HOSTILE, control_free


def test_terminal_shows_control_characters_visibly():
    shown = escape.terminal("a\x1b[31mb\ud800\u202e\n")
    assert shown == "a\\x1b[31mb\\ud800\\u202e\\x0a"
    assert control_free(shown)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_neutralises_formula_prefixes(prefix):
    assert escape.csv_cell(prefix + "1+1").startswith("'")


def test_markdown_escapes_pipes_html_and_code():
    text = escape.markdown("a|b `c` <script> [t](http://x)")
    assert "<" not in text and "`" not in text.replace("\\`", "")
    assert text.count("|") == text.count("\\|") == 1
    assert "\\](" in text and "](" not in text.replace("\\](", "")


def test_markdown_code_span_cannot_be_closed_by_the_text():
    span = escape.markdown_code("a`</code><b>`b")
    fence = span[:span.index("a")].strip()
    assert fence == "``" and span.endswith("``") and span.count("``") == 2


def test_xml_text_is_well_formed_in_a_document():
    element = ET.Element("t", {"name": escape.xml(HOSTILE)})
    element.text = escape.xml(HOSTILE)
    ET.fromstring(ET.tostring(element, encoding="unicode"))


def test_nft_text_is_printable_ascii_without_quote_or_backslash():
    text = escape.nft(HOSTILE + '"\\')
    assert all(0x20 <= ord(c) < 0x7f for c in text) and '"' not in text and "\\" not in text


def test_github_command_message_is_one_line():
    assert "\n" not in escape.github_data(HOSTILE) and "\r" not in escape.github_data(HOSTILE)
    assert ":" not in escape.github_property("a:b,c") and "," not in escape.github_property("a:b,c")
