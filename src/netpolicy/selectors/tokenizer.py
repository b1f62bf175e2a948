"""Calico's selector tokenizer: context-dependent keyword operators, no escapes, spaces and tabs only."""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_LABEL_LENGTH = 512
"""Calico's `MaxLabelLength`: a label name longer than this is rejected."""

# Token kinds: the terminal names declared in grammar.lark.
LABEL, STRING, HAS, ALL, GLOBAL = "LABEL", "STRING", "HAS", "ALL", "GLOBAL"
EQ, NE, CONTAINS, STARTSWITH, ENDSWITH = "EQ", "NE", "CONTAINS", "STARTSWITH", "ENDSWITH"
IN, NOTIN, NOT = "IN", "NOTIN", "NOT"
AND, OR, LPAR, RPAR, LBRACE, RBRACE, COMMA = "AND", "OR", "LPAR", "RPAR", "LBRACE", "RBRACE", "COMMA"

_PUNCTUATION = {"(": LPAR, ")": RPAR, "{": LBRACE, "}": RBRACE, ",": COMMA}
_DOUBLED = {"=": EQ, "&": AND, "|": OR}

_SPACE = re.compile(r"[ \t]*")
_IDENT = re.compile(r"[a-zA-Z0-9_./-]*")
_BOUNDARY = r"(?![a-zA-Z0-9_./-])"
# Multi-word operators: any spaces/tabs (or none) between and after the words, then a word boundary.
_OPERATORS_AFTER_LABEL = [
    (re.compile(r"contains" + _BOUNDARY), CONTAINS),
    (re.compile(r"starts[ \t]*+with[ \t]*+" + _BOUNDARY), STARTSWITH),
    (re.compile(r"ends[ \t]*+with[ \t]*+" + _BOUNDARY), ENDSWITH),
    (re.compile(r"not[ \t]*+in[ \t]*+" + _BOUNDARY), NOTIN),
    (re.compile(r"in" + _BOUNDARY), IN),
]
_FUNCTIONS = {"all(": ALL, "global(": GLOBAL}


class Token(NamedTuple):
    """One token: its kind, its value (label name, string contents, or the text matched) and offset."""

    kind: str
    value: str
    offset: int


class TokenizeError(ValueError):
    """The text is not a sequence of selector tokens; `offset` is the 0-based character offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def tokenize(text: str) -> list[Token]:
    """The token stream of `text` exactly as Calico's `tokenizer.Tokenize` cuts it (without EOF)."""
    tokens: list[Token] = []
    pos = _SPACE.match(text, 0).end()
    end = len(text)
    while pos < end:
        char = text[pos]
        if char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, pos))
            pos += 1
        elif char == '"' or char == "'":
            close = text.find(char, pos + 1)
            if close < 0:
                raise TokenizeError("unterminated string", pos)
            tokens.append(Token(STRING, text[pos + 1:close], pos))
            pos = close + 1
        elif char in _DOUBLED:
            if not text.startswith(char * 2, pos):
                raise TokenizeError(f"expected {char * 2!r} (a single {char!r} is not an operator)", pos)
            tokens.append(Token(_DOUBLED[char], char * 2, pos))
            pos += 2
        elif char == "!":
            kind = NE if text.startswith("!=", pos) else NOT
            width = 2 if kind == NE else 1
            tokens.append(Token(kind, text[pos:pos + width], pos))
            pos += width
        elif tokens and tokens[-1].kind == LABEL:
            pos = _operator_after_label(text, pos, tokens)
        else:
            pos = _word(text, pos, tokens)
        pos = _SPACE.match(text, pos).end()
    return tokens


def _operator_after_label(text: str, pos: int, tokens: list[Token]) -> int:
    for pattern, kind in _OPERATORS_AFTER_LABEL:
        match = pattern.match(text, pos)
        if match:
            tokens.append(Token(kind, match.group().rstrip(" \t"), pos))
            return match.end()
    found = _IDENT.match(text, pos).group() or text[pos]
    raise TokenizeError(f"expected operator after label {tokens[-1].value!r}, found {found!r} "
                        "(operators: ==, !=, in, not in, contains, starts with, ends with)", pos)


def _word(text: str, pos: int, tokens: list[Token]) -> int:
    """`has(label)`, `all()`, `global()` or a label name."""
    if text.startswith("has(", pos):
        inner = _SPACE.match(text, pos + 4).end()
        label, after = _identifier(text, inner, "expected label name inside has(…)")
        close = _SPACE.match(text, after).end()
        if not text.startswith(")", close):
            raise TokenizeError("expected ')' to close has(…)", close)
        tokens.append(Token(HAS, label, pos))
        return close + 1
    for opening, kind in _FUNCTIONS.items():
        if text.startswith(opening, pos):
            close = _SPACE.match(text, pos + len(opening)).end()
            if not text.startswith(")", close):
                raise TokenizeError(f"expected ')' after {opening}", close)
            tokens.append(Token(kind, text[pos:close + 1], pos))
            return close + 1
    label, after = _identifier(text, pos, _unexpected(text[pos]))
    tokens.append(Token(LABEL, label, pos))
    return after


def _identifier(text: str, pos: int, missing: str) -> tuple[str, int]:
    after = _IDENT.match(text, pos).end()
    if after == pos:
        raise TokenizeError(missing, pos)
    if after - pos > MAX_LABEL_LENGTH:
        raise TokenizeError(f"label name too long ({after - pos} characters, at most {MAX_LABEL_LENGTH})", pos)
    return text[pos:after], after


def _unexpected(char: str) -> str:
    if char in "\r\n":
        return "unexpected line break (only spaces and tabs may separate tokens)"
    if char.isspace():
        return f"unexpected whitespace character {char!r} (only spaces and tabs may separate tokens)"
    return f"unexpected character {char!r} (expected a label, a quoted string or an operator)"
