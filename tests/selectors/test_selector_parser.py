"""Calico selector parsing: AST shapes, lexical corner cases, evaluation, canonical form, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.ast import (
    AllNode,
    AndNode,
    CompareNode,
    GlobalNode,
    HasNode,
    InNode,
    NotNode,
    OrNode,
    Selector,
)
from netpolicy.selectors.parser import contains_global, is_exactly_global

env_dev = CompareNode("env", "==", "dev")
has_team = HasNode("team")
tier_web = CompareNode("tier", "==", "web")


@pytest.mark.parametrize(
    ("text", "root"),
    [
        ("", AllNode()),
        (" \t ", AllNode()),
        ("env=='dev'", env_dev),
        ("\tenv == \"dev\"\t", env_dev),
        ("env != 'dev'", CompareNode("env", "!=", "dev")),
        ("host contains 'db'", CompareNode("host", "contains", "db")),
        ("host contains'db'", CompareNode("host", "contains", "db")),
        ("host starts with 'db'", CompareNode("host", "starts with", "db")),
        ("host startswith 'db'", CompareNode("host", "starts with", "db")),
        ("host starts\t \twith 'db'", CompareNode("host", "starts with", "db")),
        ("host endswith 'db'", CompareNode("host", "ends with", "db")),
        ("zone in {'b', 'a', 'b'}", InNode("zone", frozenset({"a", "b"}))),
        ("zone in {'a',}", InNode("zone", frozenset({"a"}))),
        ("zone in {}", InNode("zone", frozenset())),
        ("zone notin{'a'}", InNode("zone", frozenset({"a"}), negated=True)),
        ("zone not \t in {'a'}", InNode("zone", frozenset({"a"}), negated=True)),
        ("has( team\t)", has_team),
        ("all( )", AllNode()),
        ("global(\t)", GlobalNode()),
        # Keywords are ordinary label names where no operator is expected.
        ("in == 'x'", CompareNode("in", "==", "x")),
        ("has == 'x'", CompareNode("has", "==", "x")),
        ("not not in {'x'}", InNode("not", frozenset({"x"}), negated=True)),
        ("global contains 'global('", CompareNode("global", "contains", "global(")),
        # No escapes: a literal ends at the next quote of its own kind.
        ("msg == 'say \"hi\"'", CompareNode("msg", "==", 'say "hi"')),
        ("msg == \"it's\"", CompareNode("msg", "==", "it's")),
        ("msg == '\\'", CompareNode("msg", "==", "\\")),
        ("app.kubernetes.io/name-x_1 == ''", CompareNode("app.kubernetes.io/name-x_1", "==", "")),
        # Negation: consecutive `!`s collapse by parity; `!(...)` keeps its own level.
        ("!has(team)", NotNode(has_team)),
        ("!!has(team)", has_team),
        ("! ! !has(team)", NotNode(has_team)),
        ("!(!has(team))", NotNode(NotNode(has_team))),
        ("env!='dev'", CompareNode("env", "!=", "dev")),
        # Precedence: `!` > `&&` > `||`; chains are flat, parentheses keep their group.
        ("env == 'dev' && has(team) && tier == 'web'", AndNode((env_dev, has_team, tier_web))),
        ("env == 'dev' || has(team) && tier == 'web'", OrNode((env_dev, AndNode((has_team, tier_web))))),
        ("!env == 'dev' || has(team)", OrNode((NotNode(env_dev), has_team))),
        ("(env == 'dev' && has(team)) && tier == 'web'", AndNode((AndNode((env_dev, has_team)), tier_web))),
        ("((((has(team)))))", has_team),
        ("!(env == 'dev' || has(team))", NotNode(OrNode((env_dev, has_team)))),
    ],
)
def test_parse_builds_the_calico_ast(text, root):
    assert parse(text).root == root


LONGEST_LABEL = "l" * 512


@pytest.mark.parametrize(
    "text",
    [
        f"{LONGEST_LABEL} == 'x'",
        f"has({LONGEST_LABEL})",
    ],
)
def test_label_names_up_to_512_characters(text):
    assert LONGEST_LABEL in str(parse(text))


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("env == 'dev'\n", 13, "line break"),
        ("env == 'dev'\r\n&& has(team)", 13, "line break"),
        ("env\u00a0== 'dev'", 4, "operator after label 'env'"),
        ("\u00a0env == 'dev'", 1, "whitespace"),
        ("env = 'dev'", 5, "'=='"),
        ("env === 'dev'", 7, "'=='"),
        ("env == 'dev' & has(team)", 14, "'&&'"),
        ("has(team) | has(env)", 11, "'||'"),
        ("env ! = 'dev'", 7, "'=='"),
        ("env:x == 'dev'", 4, "operator after label 'env', found ':'"),
        ("env == 'dev' && %", 17, "unexpected character '%'"),
        ("env == 'dev", 8, "unterminated string"),
        ("env == \"dev'", 8, "unterminated string"),
        ("env == dev", 8, "quoted string after '=='"),
        ("env == 'dev' tier == 'web'", 14, "unexpected content at end of selector"),
        ("has(team)has(env)", 10, "unexpected content at end of selector"),
        ("env == 'dev' )", 14, "unexpected content at end of selector"),
        ("env", 4, "operator after label 'env', found end of selector"),
        ("env containsx 'd'", 5, "operator after label 'env'"),
        ("env in 'dev'", 8, "set literal"),
        ("env in {'a' 'b'}", 13, "',' or '}'"),
        ("env in {,}", 9, "quoted string or '}'"),
        ("env in {'a',,}", 13, "quoted string or '}'"),
        ("env in {'a'", 12, "',' or '}'"),
        ("has (team)", 5, "operator after label 'has'"),
        ("all ()", 5, "operator after label 'all'"),
        ("has(team", 9, "')'"),
        ("has( )", 6, "label name"),
        ("has(a b)", 7, "')'"),
        ("(has(team) || has(env)", 23, "'&&', '||' or ')'"),
        ("(has(team) has(env))", 12, "'&&', '||' or ')'"),
        ("has(team) && ", 14, "found end of selector"),
        ("has(team) || || has(env)", 14, "found '||'"),
        ("!", 2, "found end of selector"),
        ("!= 'x'", 1, "found '!='"),
        ("'dev' == env", 1, "found string 'dev'"),
        ("x" * 513 + " == 'y'", 1, "too long"),
    ],
)
def test_errors_carry_a_1_based_column_and_a_reason(text, column, message):
    with pytest.raises(SelectorError) as caught:
        parse(text)
    error = caught.value
    assert error.column == column
    assert message in error.message
    assert error.selector == text
    assert f"column {column}" in str(error)
    assert isinstance(error, ValueError)


def test_a_selector_must_be_text():
    with pytest.raises(SelectorError, match="must be a string, not int"):
        parse(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("env == ''", {}, False),
        ("env == ''", {"env": ""}, True),
        ("env != 'dev'", {}, True),
        ("env != 'dev'", {"env": "DEV"}, True),
        ("env not in {'dev'}", {}, True),
        ("env in {}", {"env": "dev"}, False),
        ("env not in {}", {}, True),
        ("env contains ''", {}, False),
        ("env contains ''", {"env": ""}, True),
        ("env starts with 'de'", {"env": "dev"}, True),
        ("env ends with 'de'", {"env": "dev"}, False),
        ("has(env)", {"env": ""}, True),
        ("!has(env)", {"env": ""}, False),
        ("global()", {}, True),
        ("!all()", {"env": "dev"}, False),
        ("env == 'dev' || has(team) && tier == 'web'", {"env": "dev"}, True),
        ("env == 'dev' || has(team) && tier == 'web'", {"team": "a"}, False),
        ("(env == 'dev' || has(team)) && tier == 'web'", {"env": "dev"}, False),
    ],
)
def test_evaluation(text, labels, expected):
    assert parse(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("  ", "all()"),
        ("tier=='web'&&( env=='dev')", '(tier == "web" && env == "dev")'),
        ("!(has(team))", "!has(team)"),
        ("!(env=='dev'&&has(team))", '!(env == "dev" && has(team))'),
        ("zone in {'z', \"a\", 'z',}", 'zone in {"a", "z"}'),
        ("q == 'x\"y'", "q == 'x\"y'"),
        ("q in {'\"', \"'\"}", "q in {'\"', \"'\"}"),
        ("a startswith 'p' || b endswith 's' || c contains 'm'",
         '(a starts with "p" || b ends with "s" || c contains "m")'),
        ("all() && global()", "(all() && global())"),
    ],
)
def test_canonical_form(text, canonical):
    selector = parse(text)
    assert str(selector) == canonical
    assert str(parse(canonical)) == canonical


def test_equal_canonical_forms_share_identity():
    one, other = parse("env=='dev'&&has(team)"), parse('(env == "dev" && has(team))')
    assert one == other and hash(one) == hash(other) and one.unique_id == other.unique_id
    assert parse("has(team) && env == 'dev'").unique_id != one.unique_id


def test_parses_are_cached_by_text():
    assert parse("tier == 'cache-me'") is parse("tier == 'cache-me'")
    assert isinstance(parse("tier == 'cache-me'"), Selector)


@pytest.mark.parametrize(
    ("selector", "contains", "exactly"),
    [
        ("global()", True, True),
        (" global( ) ", True, True),
        ("(global())", True, False),
        ("!!global()", True, False),
        ("global() || has(a)", True, False),
        ("a == 'global('", True, False),
        ("has(global)", False, False),
        ("global == 'x'", False, False),
        ("global(", True, False),
    ],
)
def test_global_helpers_follow_calicos_textual_rules(selector, contains, exactly):
    assert contains_global(selector) is contains
    assert is_exactly_global(selector) is exactly


@pytest.mark.parametrize(
    ("text", "contains", "exactly"),
    [
        ("global()", True, True),
        ("(global())", True, True),
        ("global() || has(a)", True, False),
        ("!global()", True, False),
        ("a == 'global('", False, False),
        ("has(a)", False, False),
    ],
)
def test_global_helpers_on_parsed_selectors(text, contains, exactly):
    selector = parse(text)
    assert contains_global(selector) is contains
    assert is_exactly_global(selector) is exactly


def test_lark_is_imported_only_when_parsing():
    script = (
        "import sys\n"
        "import netpolicy.selectors as s\n"
        "assert 'lark' not in sys.modules, 'lark imported with the package'\n"
        "s.parse('a == \"b\"')\n"
        "assert 'lark' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
