"""Which peer classes satisfy a rule side's address conditions: selectors, nets, address families.

Vectors are boolean over peer classes and cached packed, one shared copy per distinct content."""

from __future__ import annotations

import numpy as np

from netpolicy.engine.bits import pack, unpack
from netpolicy.engine.classes import PeerClasses
from netpolicy.engine.match import side_selectors
from netpolicy.model.ir import EntityMatch
from netpolicy.selectors.ast import Selector


class ClassVectors:
    """Address conditions as vectors over the peer classes."""

    def __init__(self, classes: PeerClasses) -> None:
        self.classes = classes
        self._cache: dict[tuple, np.ndarray] = {}
        self._interned: dict[bytes, np.ndarray] = {}

    def packed(self, vector: np.ndarray) -> np.ndarray:
        """The vector packed into bits, one shared copy per distinct content (rules repeat vectors)."""
        packed = pack(vector)
        return self._interned.setdefault(packed.tobytes(), packed)

    def selector(self, selector: Selector, own_only: bool = False) -> np.ndarray:
        """Peer classes at whose address some owner matches the selector (`own_only`: the endpoint itself)."""
        pc = self.classes
        key = ("own" if own_only else "sel", selector.canonical)
        cached = self._cache.get(key)
        if cached is not None:
            return unpack(cached, len(pc))
        vec = np.zeros(len(pc), dtype=bool)
        number = pc.selector_number(selector)
        if number is None:  # a selector no policy uses: match it directly
            matching = set(pc.index.matching(selector).tolist())
            own = {c.index for c in pc.classes if c.endpoint is not None
                   and pc.index.add(c.endpoint.selector_labels) in matching}
            vec[list(own)] = True
            if not own_only:
                for index in pc.extra_classes:
                    if any(o.nets and pc.index.add(o.selector_labels) in matching
                           for o in pc.extra_owners(pc.classes[index])):
                        vec[index] = True
        else:
            sigs = pc.sigs_with(number)
            for sig in sigs:
                vec[pc.classes_by_sig.get(sig, [])] = True
            if not own_only:
                for sig in sigs:
                    vec[pc.classes_by_extra_sig.get(sig, [])] = True
        self._cache[key] = self.packed(vec)
        return vec

    def nets(self, nets: tuple) -> np.ndarray:
        """Peer classes whose address is in one of the networks."""
        pc = self.classes
        key = ("nets", nets)
        cached = self._cache.get(key)
        if cached is None:
            by_cell = np.zeros(pc.n_cells, dtype=bool)
            for family, cells in pc.cells.items():
                base = pc.cell_offset[family]
                for net in nets:
                    if net.version != family:
                        continue
                    lo = cells.cell_of(int(net.network_address))
                    hi = cells.cell_of(int(net.broadcast_address))
                    by_cell[base + lo: base + hi + 1] = True
            vec = by_cell[pc.class_cell]
            self._cache[key] = self.packed(vec)
            return vec
        return unpack(cached, len(pc))

    def families(self, families: tuple[int, ...]) -> np.ndarray:
        """Peer classes of these address families (not packed)."""
        found = self._cache.get(("families", families))
        if found is None:
            found = self._cache[("families", families)] = np.isin(self.classes.class_family, list(families))
        return found

    def entity(self, entity: EntityMatch) -> np.ndarray:
        """Peer classes whose address satisfies the side's address conditions (not ports)."""
        pc = self.classes
        vec = np.ones(len(pc), dtype=bool)
        if entity.nets:
            vec &= self.nets(entity.nets)
        if entity.not_nets:
            vec &= ~self.nets(entity.not_nets)
        positive, negative = side_selectors(entity)
        if positive is not None:
            vec &= self.selector(positive)
        if negative is not None:
            vec &= ~self.selector(negative)
        if entity.services:
            hit = np.zeros(len(pc), dtype=bool)
            hit[list(pc.backend_ports(entity.services))] = True
            vec &= hit
        return vec
