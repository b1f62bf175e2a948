"""Hostile strings: every way a name could try to break out of the document it is written into."""

from __future__ import annotations

# ESC sequences, formula prefix, pipe, backtick, HTML, a lone surrogate, CR/LF, NUL, bidi override.
HOSTILE = "=cmd|' /C calc'!A0 \x1b[31mred\x1b]0;title\x07 `</code><script>x</script>| \ud800\r\n\x00\u202e"
NFT_BREAKOUT = 'x"\n\t\taccept\n# '


def control_free(text: str) -> bool:
    """No control character, escape sequence, bidi override or lone surrogate in `text` (newlines allowed)."""
    return not any((ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f or 0xd800 <= ord(c) <= 0xdfff
                   or c == "\u202e" for c in text)
