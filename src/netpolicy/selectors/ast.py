"""The selector AST shared by Calico selectors and Kubernetes label selectors: match and canonical print."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

Labels = Mapping[str, str]


def quote(value: str) -> str:
    """Calico's quoting: double quotes unless the value contains one."""
    return f"'{value}'" if '"' in value else f'"{value}"'


class Node:
    """A selector expression node."""

    __slots__ = ()

    def matches(self, labels: Labels) -> bool:
        raise NotImplementedError

    def canonical(self) -> str:
        raise NotImplementedError

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        """The same expression with every label name passed through `fn`."""
        raise NotImplementedError

    def transform(self, fn: Callable[[Node], Node | None]) -> Node:
        """Rebuild bottom-up; `fn` may return a replacement for a node (or None to keep it)."""
        return fn(self) or self


@dataclass(frozen=True, slots=True)
class AllNode(Node):
    def matches(self, labels: Labels) -> bool:
        return True

    def canonical(self) -> str:
        return "all()"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return self


@dataclass(frozen=True, slots=True)
class GlobalNode(Node):
    """`global()`: matches everything; meaningful only as a rule namespaceSelector."""

    def matches(self, labels: Labels) -> bool:
        return True

    def canonical(self) -> str:
        return "global()"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return self


@dataclass(frozen=True, slots=True)
class HasNode(Node):
    label: str

    def matches(self, labels: Labels) -> bool:
        return self.label in labels

    def canonical(self) -> str:
        return f"has({self.label})"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return HasNode(fn(self.label))


@dataclass(frozen=True, slots=True)
class CompareNode(Node):
    """`label OP "value"` for `==`, `!=`, `contains`, `starts with`, `ends with`."""

    label: str
    op: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.label)
        if actual is None:
            return self.op == "!="
        if self.op == "==":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        if self.op == "contains":
            return self.value in actual
        if self.op == "starts with":
            return actual.startswith(self.value)
        return actual.endswith(self.value)

    def canonical(self) -> str:
        return f"{self.label} {self.op} {quote(self.value)}"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return CompareNode(fn(self.label), self.op, self.value)


@dataclass(frozen=True, slots=True)
class InNode(Node):
    """`label in {…}` or, with `negated`, `label not in {…}` (true when the label is absent)."""

    label: str
    values: frozenset[str]
    negated: bool = False

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.label)
        if actual is None:
            return self.negated
        return (actual in self.values) != self.negated

    def canonical(self) -> str:
        items = ", ".join(quote(v) for v in sorted(self.values))
        return f"{self.label} {'not in' if self.negated else 'in'} {{{items}}}"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return InNode(fn(self.label), self.values, self.negated)


@dataclass(frozen=True, slots=True)
class NotNode(Node):
    operand: Node

    def matches(self, labels: Labels) -> bool:
        return not self.operand.matches(labels)

    def canonical(self) -> str:
        return "!" + self.operand.canonical()

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return NotNode(self.operand.map_labels(fn))

    def transform(self, fn: Callable[[Node], Node | None]) -> Node:
        rebuilt = NotNode(self.operand.transform(fn))
        return fn(rebuilt) or rebuilt


@dataclass(frozen=True, slots=True)
class AndNode(Node):
    operands: tuple[Node, ...]

    def matches(self, labels: Labels) -> bool:
        for operand in self.operands:  # a loop, not all(generator): selectors are matched by the million
            if not operand.matches(labels):
                return False
        return True

    def canonical(self) -> str:
        return "(" + " && ".join(o.canonical() for o in self.operands) + ")"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return AndNode(tuple(o.map_labels(fn) for o in self.operands))

    def transform(self, fn: Callable[[Node], Node | None]) -> Node:
        rebuilt = AndNode(tuple(o.transform(fn) for o in self.operands))
        return fn(rebuilt) or rebuilt


@dataclass(frozen=True, slots=True)
class OrNode(Node):
    operands: tuple[Node, ...]

    def matches(self, labels: Labels) -> bool:
        for operand in self.operands:
            if operand.matches(labels):
                return True
        return False

    def canonical(self) -> str:
        return "(" + " || ".join(o.canonical() for o in self.operands) + ")"

    def map_labels(self, fn: Callable[[str], str]) -> Node:
        return OrNode(tuple(o.map_labels(fn) for o in self.operands))

    def transform(self, fn: Callable[[Node], Node | None]) -> Node:
        rebuilt = OrNode(tuple(o.transform(fn) for o in self.operands))
        return fn(rebuilt) or rebuilt


def and_(*nodes: Node) -> Node:
    """Conjunction that drops `all()` operands and flattens nothing else."""
    kept = tuple(n for n in nodes if not isinstance(n, AllNode))
    if not kept:
        return AllNode()
    return kept[0] if len(kept) == 1 else AndNode(kept)


class Selector:
    """A parsed selector: `matches(labels)`, canonical `str()`, Calico's `unique_id`."""

    __slots__ = ("root", "__dict__")

    def __init__(self, root: Node) -> None:
        self.root = root

    def matches(self, labels: Labels) -> bool:
        return self.root.matches(labels)

    @cached_property
    def canonical(self) -> str:
        return self.root.canonical()

    def __str__(self) -> str:
        return self.canonical

    def __repr__(self) -> str:
        return f"Selector({self.canonical!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selector) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(self.canonical)

    @property
    def unique_id(self) -> str:
        """`s:` + base64url(SHA-224(`s:` + canonical)) without padding, as Calico computes it."""
        digest = hashlib.sha224(("s:" + self.canonical).encode("utf-8", "surrogatepass")).digest()
        return "s:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    @property
    def is_all(self) -> bool:
        return isinstance(self.root, AllNode)

    def prefixed(self, prefix: str) -> Selector:
        """Every label name prefixed, as Calico turns namespace selectors into `pcns.` selectors."""
        return Selector(self.root.map_labels(lambda name: prefix + name))

    def __and__(self, other: Selector) -> Selector:
        return Selector(and_(self.root, other.root))


ALL = Selector(AllNode())
