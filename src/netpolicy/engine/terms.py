"""Rule terms: what one rule matches for one kind of subject, as peer classes × port atoms.

A rule has a *peer side* (the source of an ingress rule, the destination of an egress rule) and an
*own side* (the other). The own side only tells subjects apart (`SelfPart`); the term is the peer
classes and atoms that the rule then matches. Rules alike (same match, e.g. repeated across
namespaces) share every cached computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from netpolicy.engine.atoms import PortAtoms
from netpolicy.engine.classset import ClassSet
from netpolicy.engine.match import rule_family_ok
from netpolicy.engine.ports import ClassRows, PortRows
from netpolicy.engine.vectors import ClassVectors
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import INGRESS, Rule


class RuleTerm:
    """A rule's match for one kind of subject: the peer classes it matches, the atoms it matches,
    per-class atom rows when named ports make them depend on the peer, and a content digest."""

    __slots__ = ("classes", "atoms", "per_class", "digest", "count", "_indices")

    def __init__(self, classes: ClassSet, atoms: np.ndarray, per_class: ClassRows | None) -> None:
        self.classes, self.atoms, self.per_class = classes, atoms, per_class
        self.digest = hash((classes.key, atoms.tobytes(), id(per_class)))
        self.count = classes.count
        self._indices: np.ndarray | None = None

    @property
    def indices(self) -> np.ndarray:
        """The matched peer classes."""
        if self._indices is None:
            self._indices = self.classes.indices()
        return self._indices

    def dense(self) -> np.ndarray:
        """(peer classes × atoms) the term matches."""
        result = self.classes.dense()[:, None] & self.atoms[None, :]
        if self.per_class is not None:
            result &= self.per_class.dense()
        return result


@dataclass(frozen=True, slots=True)
class SidePart:
    """One side of a rule over peer classes: the classes whose address satisfies it and the atoms its
    ports allow (a vector, per-class rows, or None for any)."""

    classes: ClassSet
    ports: np.ndarray | ClassRows | None


@dataclass(frozen=True, slots=True)
class RuleParts:
    """A rule over peer classes: protocol/ICMP atoms, the address families it exists in, both sides."""

    atoms: np.ndarray
    families: ClassSet
    source: SidePart
    destination: SidePart

    def peer(self, direction: str) -> SidePart:
        """The side of the other end: the source of an ingress rule, the destination of an egress rule."""
        return self.source if direction == INGRESS else self.destination

    def own(self, direction: str) -> SidePart:
        """The subject's own side."""
        return self.destination if direction == INGRESS else self.source


class SelfPart(NamedTuple):
    """What a subject contributes to a rule's match: per family whether it satisfies the rule's own
    side, and its row of the own side's named ports (-1 when they do not depend on the endpoint)."""

    families: tuple[tuple[int, bool], ...]
    row: int


class RuleTerms:
    """Rule parts and terms over the peer classes, cached by rule content."""

    def __init__(self, vectors: ClassVectors, atoms: PortAtoms) -> None:
        self.vectors = vectors
        self.classes = vectors.classes
        self.atoms = atoms
        self.ports = PortRows(vectors, atoms)
        self._alike: dict[int, Rule] = {}
        self._by_content: dict[tuple, Rule] = {}
        self._parts: dict[tuple[int, str], RuleParts] = {}
        self._dependent: dict[tuple[int, str], bool] = {}
        self._terms: dict[tuple, RuleTerm] = {}
        self._protocols: dict[tuple, np.ndarray] = {}

    def alike(self, rule: Rule) -> Rule:
        """The first rule seen that matches the same packets (rules repeat across namespaces): caches
        keyed by it are shared by every rule alike."""
        found = self._alike.get(id(rule))
        if found is None:
            content = (rule.protocol, rule.not_protocol, rule.icmp, rule.not_icmp, rule.ip_version,
                       rule.source, rule.destination)
            found = self._alike[id(rule)] = self._by_content.setdefault(content, rule)
        return found

    def parts(self, rule: Rule, direction: str) -> RuleParts:
        rule = self.alike(rule)
        key = (id(rule), direction)
        cached = self._parts.get(key)
        if cached is None:
            vectors = self.vectors
            families = vectors.families(tuple(f for f in sorted(self.classes.cells) if rule_family_ok(rule, f)))
            cached = self._parts[key] = RuleParts(
                self._protocol_atoms(rule), families,
                SidePart(vectors.entity(rule.source), self.ports.side(rule.source, "source")),
                SidePart(vectors.entity(rule.destination), self.ports.side(rule.destination, "destination")))
        return cached

    def _protocol_atoms(self, rule: Rule) -> np.ndarray:
        """The atoms of the rule's protocol and ICMP conditions (shared by rules alike there)."""
        key = (rule.protocol, rule.not_protocol, rule.icmp, rule.not_icmp)
        found = self._protocols.get(key)
        if found is None:
            atoms = self.atoms
            found = np.ones(atoms.size, dtype=bool)
            if rule.protocol is not None:
                found &= atoms.protocol_mask(rule.protocol)
            if rule.not_protocol is not None:
                found &= ~atoms.protocol_mask(rule.not_protocol)
            for icmp, negate in ((rule.icmp, False), (rule.not_icmp, True)):
                if icmp is None:
                    continue
                hit = atoms.is_icmp & atoms.first_mask(IntervalSet.span(icmp.type, icmp.type))
                if icmp.code is not None:
                    hit &= atoms.second_mask(IntervalSet.span(icmp.code, icmp.code))
                found &= ~hit if negate else hit
            self._protocols[key] = found
        return found

    def self_dependent(self, rule: Rule, direction: str) -> bool:
        """Whether the rule's own side (destination of ingress, source of egress) tells subjects apart."""
        rule = self.alike(rule)
        key = (id(rule), direction)
        found = self._dependent.get(key)
        if found is None:
            own = self.parts(rule, direction).own(direction)
            found = self._dependent[key] = isinstance(own.ports, ClassRows) or not own.classes.is_all
        return found

    def self_part(self, rule: Rule, direction: str, subject: dict[int, int]) -> SelfPart:
        """What a subject (its peer class per family) contributes to the rule's match."""
        if not self.self_dependent(rule, direction):
            return SelfPart(tuple((f, True) for f in sorted(subject)), -1)
        own = self.parts(rule, direction).own(direction)
        first = next(iter(subject.values()))
        row = int(own.ports.at(np.array([first]))[0]) if isinstance(own.ports, ClassRows) else -1
        classes = np.array([c for _, c in sorted(subject.items())], dtype=np.int64)
        bits = own.classes.contains(classes).tolist()
        return SelfPart(tuple(zip(sorted(subject), bits, strict=True)), row)

    def term(self, rule: Rule, direction: str, self_part: SelfPart) -> RuleTerm:
        """The rule's match for a subject that contributes `self_part`: peer classes × atoms, with
        per-class atoms where named ports make them depend on the peer. Subjects alike share it."""
        rule = self.alike(rule)
        key = (id(rule), direction, self_part)
        found = self._terms.get(key)
        if found is not None:
            return found
        parts = self.parts(rule, direction)
        peer, own = parts.peer(direction), parts.own(direction)
        self_ok = self.vectors.families(tuple(family for family, ok in self_part.families if ok))
        classes = self.vectors.intern(peer.classes & parts.families & self_ok)
        atoms = parts.atoms
        if own.ports is not None:
            atoms = atoms & (own.ports.rows[self_part.row] if isinstance(own.ports, ClassRows) else own.ports)
        per_class = peer.ports if isinstance(peer.ports, ClassRows) else None
        if peer.ports is not None and per_class is None:
            atoms = atoms & peer.ports
        found = self._terms[key] = RuleTerm(classes, atoms, per_class)
        return found

    def for_subject(self, rule: Rule, direction: str, subject: dict[int, int]) -> RuleTerm:
        """The rule's match for a subject (its peer class per family)."""
        return self.term(rule, direction, self.self_part(rule, direction, subject))

    def peers(self, rule: Rule, direction: str) -> np.ndarray:
        """Peer classes on the rule's peer side, in an address family the rule exists in."""
        parts = self.parts(rule, direction)
        return (parts.peer(direction).classes & parts.families).dense()
