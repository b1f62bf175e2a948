"""Which port atoms a rule side allows, per peer class when named ports or services make it depend on
the endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netpolicy.engine.atoms import PortAtoms
from netpolicy.engine.match import side_selectors
from netpolicy.engine.vectors import ClassVectors
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EntityMatch


@dataclass
class ClassRows:
    """Per-peer-class atom rows stored once per distinct row: class → row id (0 for most classes).

    Only the classes with another row than 0 are listed (`positions`, sorted; `values` their rows)."""

    positions: np.ndarray           # int64 peer classes whose row is not row 0
    values: np.ndarray              # int32 their row ids
    rows: np.ndarray                # bool (distinct rows × atoms)
    size: int

    def at(self, classes: np.ndarray) -> np.ndarray:
        """Row ids of the given peer classes."""
        out = np.zeros(len(classes), dtype=np.int32)
        if len(self.positions):
            pos = np.searchsorted(self.positions, classes)
            pos = np.minimum(pos, len(self.positions) - 1)
            hit = self.positions[pos] == classes
            out[hit] = self.values[pos[hit]]
        return out

    def row(self, peer_class: int) -> np.ndarray:
        return self.rows[int(self.at(np.array([peer_class]))[0])]

    def dense(self) -> np.ndarray:
        index = np.zeros(self.size, dtype=np.int32)
        index[self.positions] = self.values
        return self.rows[index]


class PortRows:
    """Port conditions of rule sides as atom vectors or per-class rows."""

    def __init__(self, vectors: ClassVectors, atoms: PortAtoms) -> None:
        self.vectors = vectors
        self.classes = vectors.classes
        self.atoms = atoms
        self._groups: dict[tuple, dict] = {}
        self._by_name: dict[str, set[int]] | None = None
        self._sides: dict[tuple[EntityMatch, str], np.ndarray | ClassRows | None] = {}

    def side(self, entity: EntityMatch, side: str) -> np.ndarray | ClassRows | None:
        """Atoms the side's ports allow: a vector, per-class rows when named ports or services make
        it depend on the endpoint, or None when the side does not restrict ports (shared by sides alike)."""
        key = (entity, side)
        if key not in self._sides:
            self._sides[key] = self._side(entity, side)
        return self._sides[key]

    def _side(self, entity: EntityMatch, side: str) -> np.ndarray | ClassRows | None:
        atoms = self.atoms
        second = side == "source"
        mask_fn = atoms.second_mask if second else atoms.first_mask
        services = entity.services if side == "destination" else ()
        if entity.ports is None and entity.not_ports is None and not services:
            return None
        numeric = np.ones(atoms.size, dtype=bool)
        if entity.ports is not None:
            numeric &= atoms.is_port & mask_fn(entity.ports.numbers)
        if entity.not_ports is not None:
            numeric &= atoms.is_port & ~mask_fn(entity.not_ports.numbers)
        names = set(entity.ports.names if entity.ports else ()) | set(
            entity.not_ports.names if entity.not_ports else ())
        if services:
            return self._service_rows(services, numeric)
        if not names:
            return numeric
        pc = self.classes
        selector = side_selectors(entity)[0]
        positive = self.vectors.selector(selector, own_only=True) if selector is not None else None
        rows = _RowTable(numeric)
        for members in self._classes_by_ports(names).values():
            endpoint = pc.classes[int(members[0])].endpoint
            own = positive.contains(members) if positive is not None else np.ones(len(members), dtype=bool)
            for own_ok in (True, False):
                chosen = members[own == own_ok]
                if len(chosen):
                    rows.add(chosen, self._endpoint_row(entity, endpoint, second, own_ok))
        return rows.done(len(pc))

    def _service_rows(self, services, numeric: np.ndarray) -> ClassRows:
        """A destination `services` match: per peer class, the (protocol, port) its backends serve
        (Felix's IP set of address . protocol . port); nothing for other classes."""
        rows = _RowTable(np.zeros(self.atoms.size, dtype=bool))
        for index, served in sorted(self.classes.backend_ports(services).items()):
            row = np.zeros(self.atoms.size, dtype=bool)
            for protocol, port in served:
                row |= self.atoms.point_mask(protocol, port)
            rows.add(np.array([index], dtype=np.int64), row & numeric)
        return rows.done(len(self.classes))

    def _classes_by_ports(self, names: set[str]) -> dict[tuple, np.ndarray]:
        """Peer classes whose endpoint has a port of one of these names, grouped by the endpoint's ports."""
        cache_key = frozenset(names)
        cached = self._groups.get(cache_key)
        if cached is not None:
            return cached
        pc = self.classes
        if self._by_name is None:
            self._by_name = {}
            for cls in pc.classes:
                if cls.endpoint is not None:
                    for np_ in cls.endpoint.ports:
                        if np_.name:
                            self._by_name.setdefault(np_.name, set()).add(cls.index)
        found = set().union(*(self._by_name.get(n, set()) for n in names))
        groups: dict[tuple, list[int]] = {}
        for index in sorted(found):
            groups.setdefault(pc.classes[index].endpoint.ports, []).append(index)
        found_groups = {key: np.array(members, dtype=np.int64) for key, members in groups.items()}
        self._groups[cache_key] = found_groups
        return found_groups

    def _endpoint_row(self, entity: EntityMatch, endpoint: Endpoint, second: bool, own_ok: bool) -> np.ndarray:
        atoms = self.atoms
        mask_fn = atoms.second_mask if second else atoms.first_mask

        def named(match) -> np.ndarray:
            out = np.zeros(atoms.size, dtype=bool)
            if match is not None and match.names and own_ok:
                for np_ in endpoint.ports:
                    if np_.name in match.names:
                        out |= atoms.point_mask(np_.protocol, np_.port, second)
            return out

        row = np.ones(atoms.size, dtype=bool)
        if entity.ports is not None:
            row &= (atoms.is_port & mask_fn(entity.ports.numbers)) | named(entity.ports)
        if entity.not_ports is not None:
            row &= atoms.is_port & ~(mask_fn(entity.not_ports.numbers) | named(entity.not_ports))
        return row


class _RowTable:
    """Distinct atom rows and the classes that use each (row 0, the default, is not listed)."""

    def __init__(self, default: np.ndarray) -> None:
        self.rows: dict[bytes, int] = {default.tobytes(): 0}
        self.table = [default]
        self.positions: list[np.ndarray] = []
        self.values: list[np.ndarray] = []

    def add(self, classes: np.ndarray, row: np.ndarray) -> None:
        found = self.rows.setdefault(row.tobytes(), len(self.table))
        if found == len(self.table):
            self.table.append(row)
        if found:
            self.positions.append(classes)
            self.values.append(np.full(len(classes), found, dtype=np.int32))

    def done(self, size: int) -> ClassRows:
        positions, values = self.positions, self.values
        order_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
        order_val = np.concatenate(values) if values else np.zeros(0, dtype=np.int32)
        order = np.argsort(order_pos, kind="stable")
        return ClassRows(order_pos[order], order_val[order], np.array(self.table, dtype=bool), size)
