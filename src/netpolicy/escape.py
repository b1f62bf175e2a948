"""One escaping function per output sink: terminal, CSV, Markdown, HTML, XML, nftables, GitHub commands.

Text from the input (names, labels, selectors, messages quoting them) passes through the function of
the sink it is written to, and nowhere else; each function accepts any `str`, lone surrogates included.
"""

from __future__ import annotations

import html as _html
import re

# C0 and C1 controls, DEL, lone surrogates, and the bidirectional overrides that reorder what a reader sees.
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same, but keeping tab and newline (multi-line text on a terminal).
_UNSAFE_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What XML 1.0 cannot hold at all (even as a character reference).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_|~]|\](?=\())")
# nftables: printable ASCII but the quote and the backslash, which no nft string can hold safely.
_NOT_NFT = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')


def visible(char: str) -> str:
    """`\\x1b`, `\\u202e`, `\\ud800`: a character written as its Python escape."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line for a terminal: every control character, escape sequence and lone surrogate shown visibly."""
    return _UNSAFE_TEXT.sub(lambda m: visible(m.group()), text)


def terminal_lines(text: str) -> str:
    """Like `terminal`, but tab and newline stay (text that spans lines)."""
    return _UNSAFE_LINES.sub(lambda m: visible(m.group()), text)


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a formula prefix (`= + - @`, tab, CR) is quoted with `'`."""
    formula = text.startswith(_CSV_FORMULA)
    text = terminal(text)
    return "'" + text if formula else text


def markdown(text: str) -> str:
    """Markdown text (also inside a table cell): emphasis, code, pipes and links escaped, HTML shown as text."""
    text = _html.escape(terminal(text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_code(text: str) -> str:
    """A Markdown code span that holds `text` literally, safe inside a table cell."""
    text = terminal(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html(text: str) -> str:
    """HTML text or attribute value."""
    return _html.escape(terminal(text), quote=True)


def xml(text: str) -> str:
    """Text an XML 1.0 document can hold: characters XML forbids shown visibly (the serialiser escapes `<&`)."""
    return _NOT_XML.sub(lambda m: visible(m.group()), text)


def nft(text: str) -> str:
    """A comment for an nftables script (`# …` line or `comment "…"`): printable ASCII, no quote or backslash."""
    return _NOT_NFT.sub("?", text)


def github_data(text: str) -> str:
    """The message of a GitHub Actions workflow command."""
    return terminal_lines(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value of a GitHub Actions workflow command (`:` and `,` separate properties)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")
