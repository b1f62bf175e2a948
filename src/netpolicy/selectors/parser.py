"""Parse Calico selectors (LALR grammar in grammar.lark over tokenizer.py) into the shared AST."""

from __future__ import annotations

import functools
from pathlib import Path

from netpolicy.selectors import tokenizer as tok
from netpolicy.selectors.ast import (
    AllNode,
    AndNode,
    CompareNode,
    GlobalNode,
    HasNode,
    InNode,
    Node,
    NotNode,
    OrNode,
    Selector,
)
from netpolicy.selectors.tokenizer import Token, TokenizeError, tokenize

__all__ = ["SelectorError", "contains_global", "is_exactly_global", "parse"]

GRAMMAR = Path(__file__).with_name("grammar.lark")
PARSE_CACHE_SIZE = 1 << 16

_COMPARISON_OPS = {
    tok.EQ: "==",
    tok.NE: "!=",
    tok.CONTAINS: "contains",
    tok.STARTSWITH: "starts with",
    tok.ENDSWITH: "ends with",
}
_OPERAND_STARTERS = {None, tok.NOT, tok.AND, tok.OR, tok.LPAR}


class SelectorError(ValueError):
    """A selector Calico rejects. `column` is 1-based, counted in characters of `selector`.

    A column one past the last character means the selector ended too early.
    """

    def __init__(self, message: str, selector: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.selector = selector
        self.column = column


def parse(text: str) -> Selector:
    """Parse a Calico selector; empty or blank text is `all()`. Raises `SelectorError`.

    Results are cached by text (the last PARSE_CACHE_SIZE distinct strings): parsing a string
    again returns the same `Selector` object.
    """
    if not isinstance(text, str):
        raise SelectorError(f"a selector must be a string, not {type(text).__name__}", repr(text), 1)
    return _parse_cached(text)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(text: str) -> Selector:
    try:
        tokens = tokenize(text)
    except TokenizeError as error:
        raise SelectorError(error.message, text, error.offset + 1) from None
    if not tokens:
        return Selector(AllNode())
    from lark.exceptions import UnexpectedToken

    try:
        root = _lalr_parser().parse(tokens)
    except UnexpectedToken as error:
        raise _syntax_error(text, tokens, error.token) from None
    return Selector(root)


def contains_global(selector: str | Selector) -> bool:
    """Whether `global()` appears: for text, Calico's CRD rule (the substring `global(` anywhere,
    even inside a quoted value); for a parsed selector, whether any term is `global()`."""
    if isinstance(selector, str):
        return "global(" in selector
    return any(isinstance(node, GlobalNode) for node in _walk(selector.root))


def is_exactly_global(selector: str | Selector) -> bool:
    """Whether the selector is `global()` alone, the only form a rule namespaceSelector may use it in.

    For text this is Calico's check (the tokens are exactly `global()`, so `(global())` is not);
    a parsed selector no longer knows its parentheses, so there it means the whole tree is `global()`.
    """
    if isinstance(selector, str):
        try:
            tokens = tokenize(selector)
        except TokenizeError:
            return False
        return len(tokens) == 1 and tokens[0].kind == tok.GLOBAL
    return isinstance(selector.root, GlobalNode)


def _walk(node: Node):
    yield node
    if isinstance(node, NotNode):
        yield from _walk(node.operand)
    elif isinstance(node, (AndNode, OrNode)):
        for operand in node.operands:
            yield from _walk(operand)


class _AstBuilder:
    """Grammar callbacks, applied while the LALR parser reduces (no parse tree is built)."""

    def start(self, children):
        return children[0]

    def or_expr(self, children):
        return OrNode(tuple(children[::2]))

    def and_expr(self, children):
        return AndNode(tuple(children[::2]))

    def negation(self, children):
        operand = children[-1]
        return NotNode(operand) if (len(children) - 1) % 2 else operand

    def has(self, children):
        return HasNode(children[0].value)

    def all(self, children):
        return AllNode()

    def global_(self, children):
        return GlobalNode()

    def comparison(self, children):
        label, op, value = children
        return CompareNode(label.value, _COMPARISON_OPS[op.type], value.value)

    def membership(self, children):
        label, op, values = children
        return InNode(label.value, values, negated=op.type == tok.NOTIN)

    def set(self, children):
        return frozenset(t.value for t in children if t.type == tok.STRING)

    def group(self, children):
        return children[1]


@functools.cache
def _lalr_parser():
    """The LALR parser over grammar.lark, built once on first use (lark loads only then)."""
    import lark

    class TokenListLexer(lark.lexer.Lexer):
        """Feeds tokens already cut by `tokenize` (keyword recognition depends on context)."""

        def __init__(self, lexer_conf) -> None:
            pass

        def lex(self, tokens: list[Token]):
            for t in tokens:
                yield lark.Token(t.kind, t.value, t.offset)

    return lark.Lark(GRAMMAR.read_text(), parser="lalr", lexer=TokenListLexer, transformer=_AstBuilder())


def _syntax_error(text: str, tokens: list[Token], bad) -> SelectorError:
    """Explain a token the grammar does not allow, from what came just before it."""
    index = len(tokens) if bad.type == "$END" else next(i for i, t in enumerate(tokens) if t.offset == bad.start_pos)
    before = tokens[:index]
    found = _describe(tokens[index]) if index < len(tokens) else "end of selector"
    column = (tokens[index].offset if index < len(tokens) else len(text)) + 1
    previous = before[-1] if before else None
    kind = previous.kind if previous else None
    if kind == tok.LABEL:
        message = f"expected operator after label {previous.value!r}, found {found}"
    elif kind in _COMPARISON_OPS:
        message = f"expected a quoted string after {previous.value!r}, found {found}"
    elif kind in (tok.IN, tok.NOTIN):
        message = f"expected a set literal {{…}} after {previous.value!r}, found {found}"
    elif kind in (tok.LBRACE, tok.COMMA):
        message = f"expected a quoted string or '}}' in set, found {found}"
    elif kind == tok.STRING and _inside_set(before):
        message = f"expected ',' or '}}' in set, found {found}"
    elif kind in _OPERAND_STARTERS:
        message = f"expected a label, has(…), all(), global(), '!' or '(', found {found}"
    elif _open_parentheses(before):
        message = f"expected '&&', '||' or ')', found {found}"
    else:
        message = f"unexpected content at end of selector: {found} (expected '&&', '||' or nothing)"
    return SelectorError(message, text, column)


def _describe(token: Token) -> str:
    if token.kind == tok.LABEL:
        return f"label {token.value!r}"
    if token.kind == tok.STRING:
        return f"string {token.value!r}"
    if token.kind == tok.HAS:
        return f"has({token.value})"
    return repr(token.value)


def _inside_set(tokens: list[Token]) -> bool:
    braces = [t.kind for t in tokens if t.kind in (tok.LBRACE, tok.RBRACE)]
    return bool(braces) and braces[-1] == tok.LBRACE


def _open_parentheses(tokens: list[Token]) -> int:
    return sum(1 if t.kind == tok.LPAR else -1 for t in tokens if t.kind in (tok.LPAR, tok.RPAR))
