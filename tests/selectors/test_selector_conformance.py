"""Every vector of calico-selectors.json, through the public selector API."""

from __future__ import annotations

import json

import pytest

from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.tokenizer import TokenizeError, tokenize

SECTION_SIZES = {
    "valid": 98,
    "invalid": 41,
    "invalid_detail": 42,
    "canonical": 17,
    "prefix_visitor": 11,
    "tokens": 33,
    "parse_ok": 64,
    "canonical_computed": 107,
}

# Calico's token kind names → ours; Calico ends every stream with TokEOF, ours has no EOF token.
CALICO_TOKEN_KINDS = {
    "TokLabel": "LABEL", "TokStringLiteral": "STRING", "TokLBrace": "LBRACE", "TokRBrace": "RBRACE",
    "TokComma": "COMMA", "TokEq": "EQ", "TokNe": "NE", "TokIn": "IN", "TokNot": "NOT", "TokNotIn": "NOTIN",
    "TokContains": "CONTAINS", "TokStartsWith": "STARTSWITH", "TokEndsWith": "ENDSWITH", "TokAll": "ALL",
    "TokHas": "HAS", "TokLParen": "LPAR", "TokRParen": "RPAR", "TokAnd": "AND", "TokOr": "OR",
    "TokGlobal": "GLOBAL",
}
VALUED_KINDS = {"LABEL", "STRING", "HAS"}


@pytest.fixture(scope="session")
def vectors(conformance):
    return json.loads((conformance / "calico-selectors.json").read_text())


def vector(vectors, section: str, index: int):
    items = vectors[section]
    if index >= len(items):
        pytest.fail(f"{section} has {len(items)} vectors, expected {SECTION_SIZES[section]}")
    return items[index]


def indices(section: str):
    return range(SECTION_SIZES[section])


def test_sections_have_the_documented_sizes(vectors):
    assert {name: len(vectors[name]) for name in SECTION_SIZES} == SECTION_SIZES


@pytest.mark.parametrize("index", indices("valid"))
def test_valid(vectors, index):
    v = vector(vectors, "valid", index)
    selector = parse(v["selector"])
    assert selector.matches(v["labels"]) is v["matches"]
    reparsed = parse(str(selector))
    assert str(reparsed) == str(selector)
    assert reparsed.matches(v["labels"]) is v["matches"]


@pytest.mark.parametrize("index", indices("invalid"))
def test_invalid(vectors, index):
    text = vector(vectors, "invalid", index)
    with pytest.raises(SelectorError) as caught:
        parse(text)
    assert 1 <= caught.value.column <= len(text) + 1


@pytest.mark.parametrize("index", indices("invalid_detail"))
def test_invalid_detail_fails_in_the_same_stage(vectors, index):
    v = vector(vectors, "invalid_detail", index)
    with pytest.raises(SelectorError):
        parse(v["selector"])
    try:
        tokenize(v["selector"])
        stage = "parser"
    except TokenizeError:
        stage = "tokenizer"
    assert stage == v["fails_in"]


@pytest.mark.parametrize("index", indices("canonical"))
def test_canonical(vectors, index):
    v = vector(vectors, "canonical", index)
    selector = parse(v["selector"])
    assert str(selector) == v["string"]
    if "uid" in v:
        assert selector.unique_id == v["uid"]


@pytest.mark.parametrize("index", indices("prefix_visitor"))
def test_prefix_visitor(vectors, index):
    v = vector(vectors, "prefix_visitor", index)
    assert str(parse(v["selector"]).prefixed(v["prefix"])) == v["string"]


@pytest.mark.parametrize("index", indices("parse_ok"))
def test_parse_ok(vectors, index):
    selector = parse(vector(vectors, "parse_ok", index)["selector"])
    assert str(parse(str(selector))) == str(selector)


@pytest.mark.parametrize("index", indices("canonical_computed"))
def test_canonical_computed(vectors, index):
    v = vector(vectors, "canonical_computed", index)
    assert str(parse(v["selector"])) == v["string"]


@pytest.mark.parametrize("index", indices("tokens"))
def test_tokens(vectors, index):
    v = vector(vectors, "tokens", index)
    expected = [(CALICO_TOKEN_KINDS[t["kind"]], t.get("value")) for t in v["tokens"] if t["kind"] != "TokEOF"]
    got = [(t.kind, t.value if t.kind in VALUED_KINDS else None) for t in tokenize(v["input"])]
    assert got == expected
    must_parse = {x["selector"] for x in vectors["valid"]} | {x["selector"] for x in vectors["parse_ok"]}
    if v["input"] in must_parse:
        parse(v["input"])
