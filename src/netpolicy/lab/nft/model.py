"""A small model of an nftables table (sets, chains, rules) that prints as an `nft -f` script."""

from __future__ import annotations

from dataclasses import dataclass, field

from netpolicy.escape import nft

COMMENT_MAX = 120  # the kernel keeps at most 128 bytes of a rule comment


def quote(text: str) -> str:
    """An nft string literal from a safe alphabet (`escape.nft`: no quote, backslash or control character)."""
    return '"' + nft(text.replace('"', "'"))[:COMMENT_MAX] + '"'


def comment_line(indent: str, text: str) -> str:
    """A `# …` line: input text can never end the comment and start a statement."""
    return f"{indent}# {nft(text)}" if text else f"{indent}#"


@dataclass
class NftRule:
    """One rule: its statement text, a short kernel-side comment, and explanation lines above it."""

    text: str
    comment: str = ""
    notes: tuple[str, ...] = ()

    def render(self, indent: str) -> list[str]:
        lines = [comment_line(indent, note) for note in self.notes]
        tail = f" comment {quote(self.comment)}" if self.comment else ""
        first, *rest = (self.text + tail).split("\n")
        lines.append(f"{indent}{first}")
        lines += [f"{indent}\t{line}" if line != "}" else f"{indent}{line}" for line in rest]
        return lines


@dataclass
class NftSet:
    """A named set (addresses, or address . protocol . port tuples), or a map (`kind` "map")."""

    name: str
    type: str
    elements: list[str]
    comment: str = ""
    interval: bool = False
    kind: str = "set"
    #: Seconds an element lives (a dynamic set that rules `update`), None: no timeout.
    timeout: int | None = None

    def render(self, indent: str) -> list[str]:
        inner = indent + "\t"
        lines = [f"{indent}{self.kind} {self.name} {{", f"{inner}type {self.type}"]
        if self.interval:
            lines += [f"{inner}flags interval", f"{inner}auto-merge"]
        if self.timeout is not None:
            lines += [f"{inner}flags dynamic,timeout", f"{inner}timeout {self.timeout}s"]
        if self.comment:
            lines.append(f"{inner}comment {quote(self.comment)}")
        if self.elements:
            lines.append(f"{inner}elements = {{ " + ", ".join(self.elements) + " }")
        lines.append(f"{indent}}}")
        return lines


@dataclass
class NftChain:
    """A chain; `hook` makes it a base chain (`type filter hook forward priority filter; ...`)."""

    name: str
    rules: list[NftRule] = field(default_factory=list)
    hook: str | None = None
    notes: tuple[str, ...] = ()

    def add(self, text: str, comment: str = "", *notes: str) -> None:
        self.rules.append(NftRule(text, comment, tuple(notes)))

    def render(self, indent: str) -> list[str]:
        inner = indent + "\t"
        lines = [comment_line(indent, note) for note in self.notes]
        lines.append(f"{indent}chain {self.name} {{")
        if self.hook:
            lines.append(f"{inner}{self.hook}")
        for rule in self.rules:
            lines += rule.render(inner)
        lines.append(f"{indent}}}")
        return lines


@dataclass
class NftTable:
    """A table with its sets and chains, printed sets first, chains in the order added."""

    family: str
    name: str
    header: list[str] = field(default_factory=list)
    sets: list[NftSet] = field(default_factory=list)
    chains: list[NftChain] = field(default_factory=list)

    def chain(self, name: str) -> NftChain | None:
        return next((c for c in self.chains if c.name == name), None)

    def render(self) -> str:
        lines = [comment_line("", line) for line in self.header]
        lines += [f"table {self.family} {self.name} {{"]
        for item in self.sets:
            lines += item.render("\t") + [""]
        for chain in self.chains:
            lines += chain.render("\t") + [""]
        if lines[-1] == "":
            lines.pop()
        lines.append("}")
        return "\n".join(lines) + "\n"
