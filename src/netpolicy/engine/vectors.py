"""Which peer classes satisfy a rule side's address conditions: selectors, nets, address families.

Each condition is a `ClassSet` (sorted class ids when narrow, bits when wide), cached by condition and
shared by content, so a rule that names one namespace costs what that namespace holds."""

from __future__ import annotations

import numpy as np

from netpolicy.engine.bits import ranges
from netpolicy.engine.classes import PeerClasses
from netpolicy.engine.classset import ClassSet
from netpolicy.engine.match import side_selectors
from netpolicy.model.ir import EntityMatch
from netpolicy.selectors.ast import Selector


class _Sorted:
    """Peer classes sorted by an integer per class, to find those whose value is in given spans."""

    def __init__(self, values: np.ndarray) -> None:
        self.order = np.argsort(values, kind="stable")
        self.values = values[self.order]

    def spans(self, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
        """The classes (sorted) with a value in some [low, high]."""
        starts = np.searchsorted(self.values, lows, side="left")
        ends = np.searchsorted(self.values, highs, side="right")
        return np.sort(self.order[ranges(starts, np.maximum(ends - starts, 0))])


class ClassVectors:
    """Address conditions as sets of peer classes."""

    def __init__(self, classes: PeerClasses) -> None:
        self.classes = classes
        self.size = len(classes)
        self.everything = ClassSet.everything(self.size)
        self._cache: dict[tuple, ClassSet] = {}
        self._interned: dict[bytes, ClassSet] = {}
        self._by_cell: _Sorted | None = None

    def intern(self, found: ClassSet) -> ClassSet:
        """One shared copy per distinct content (rules repeat their sets)."""
        return self._interned.setdefault(found.key, found)

    def selector(self, selector: Selector, own_only: bool = False) -> ClassSet:
        """Peer classes at whose address some owner matches the selector (`own_only`: the endpoint itself)."""
        key = ("own" if own_only else "sel", selector.canonical)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.intern(self._selector(selector, own_only))
        return found

    def _selector(self, selector: Selector, own_only: bool) -> ClassSet:
        pc = self.classes
        number = pc.selector_number(selector)
        if number is None:  # a selector no policy uses: match it directly
            matching = set(pc.index.matching(selector).tolist())
            hit = [c.index for c in pc.classes if c.endpoint is not None
                   and pc.index.add(c.endpoint.selector_labels) in matching]
            if not own_only:
                hit += [index for index in pc.extra_classes
                        if any(o.nets and pc.index.add(o.selector_labels) in matching
                               for o in pc.extra_owners(pc.classes[index]))]
            return ClassSet.of_any_ids(hit, self.size)
        found = pc.own_classes(number)
        if not own_only and pc.classes_by_extra_sig:
            extra = [index for sig in pc.sigs_with(number) for index in pc.classes_by_extra_sig.get(sig, ())]
            return ClassSet.of_any_ids(np.concatenate((found, np.array(extra, dtype=np.int64))), self.size)
        return ClassSet.of_ids(found, self.size)

    def nets(self, nets: tuple) -> ClassSet:
        """Peer classes whose address is in one of the networks."""
        pc = self.classes
        key = ("nets", nets)
        found = self._cache.get(key)
        if found is None:
            lows, highs = [], []
            for family, cells in pc.cells.items():
                base = pc.cell_offset[family]
                for net in nets:
                    if net.version == family:
                        lows.append(base + cells.cell_of(int(net.network_address)))
                        highs.append(base + cells.cell_of(int(net.broadcast_address)))
            if self._by_cell is None:
                self._by_cell = _Sorted(pc.class_cell)
            hit = self._by_cell.spans(np.array(lows, dtype=np.int64), np.array(highs, dtype=np.int64))
            found = self._cache[key] = self.intern(ClassSet.of_any_ids(hit, self.size))
        return found

    def families(self, families: tuple[int, ...]) -> ClassSet:
        """Peer classes of these address families."""
        key = ("families", families)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.intern(
                ClassSet.of_mask(np.isin(self.classes.class_family, list(families))))
        return found

    def entity(self, entity: EntityMatch) -> ClassSet:
        """Peer classes whose address satisfies the side's address conditions (not ports)."""
        found = self.everything
        positive, negative = side_selectors(entity)
        if positive is not None:
            found &= self.selector(positive)
        if entity.nets:
            found &= self.nets(entity.nets)
        if entity.not_nets:
            found &= ~self.nets(entity.not_nets)
        if negative is not None:
            found &= ~self.selector(negative)
        if entity.services:
            found &= ClassSet.of_any_ids(list(self.classes.backend_ports(entity.services)), self.size)
        return self.intern(found)
