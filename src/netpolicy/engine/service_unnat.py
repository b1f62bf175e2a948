"""Which pods' ClusterIP legs to backends on other nodes lose their reply's un-NAT: the reply enters the pod's
node through raw PREROUTING before conntrack, and a doNotTrack rule deciding it there (Allow: untracked, never
un-NATed; Deny: dropped) fails the leg (`host_path.tracked_reply`, docs/semantics.md#service-rows).

Vectorised over source groups (class and node) × backend peer classes: each group's node's raw hook is walked
once over the peer classes with the group's pod as the subject (`HookTables.walk`, as the matrix folds it into
a pod's egress), then read at the reply's atom (the ephemeral client port from the target port) per port.
"""

from __future__ import annotations

import numpy as np

from netpolicy.engine.backends import Backend, Target
from netpolicy.engine.flow import EPHEMERAL
from netpolicy.model.ir import INGRESS


class ReplyUnNat:
    """Per source group: whether the reply of its leg to a backend is decided by its node's raw hook."""

    def __init__(self, matrix, members: list, first: np.ndarray, node: np.ndarray, names: list[str],
                 raw: frozenset[str]) -> None:
        self.matrix = matrix
        hooks = matrix.hooks
        self.group_node = node[first]
        self.tables: list[tuple | None] = []
        walks: dict[tuple, tuple] = {}
        for index in first.tolist():
            here = names[node[index]] if node[index] >= 0 else None
            plan = hooks.hooks[here].raw if hooks is not None and here in raw and here in hooks.hooks else None
            if plan is None:
                self.tables.append(None)
                continue
            subject = matrix.subject_classes(members[index])
            key = (here, tuple(sorted(subject.items())))
            found = walks.get(key)
            if found is None:
                found = walks[key] = tuple(hooks.walk(plan, INGRESS, subject, catch_all=c) for c in (False, True))
            self.tables.append(found)
        self.active = np.array([p is not None for p in self.tables], dtype=bool)
        self._decided: dict[tuple[int, int], np.ndarray] = {}

    def _reply_atom(self, protocol: int, port: int) -> int | None:
        """The atom of the reply: from the target port to the ephemeral client port (None: no such atom)."""
        atoms = self.matrix.atoms
        found = np.flatnonzero(atoms.point_mask(protocol, EPHEMERAL[0]) & atoms.point_mask(protocol, port, True))
        return int(found[0]) if len(found) else None

    def _decided_at(self, protocol: int, port: int) -> np.ndarray:
        """Groups × peer classes: the reply from that peer class on the port is decided by raw (not failsafe)."""
        key = (protocol, port)
        found = self._decided.get(key)
        if found is None:
            hooks, atom = self.matrix.hooks, self._reply_atom(protocol, port)
            found = np.zeros((len(self.tables), len(self.matrix.classes)), dtype=bool)
            if atom is not None and not (hooks.inbound[atom] or hooks.outbound_from[atom]):
                columns: dict[int, np.ndarray] = {}
                for group, pair in enumerate(self.tables):
                    if pair is None:
                        continue
                    allowed, kept = (self._column(columns, t, atom) for t in pair)
                    found[group] = allowed | ~kept
            self._decided[key] = found
        return found

    @staticmethod
    def _column(columns: dict[int, np.ndarray], table, atom: int) -> np.ndarray:
        """A side table at one atom for every peer class, once per table."""
        found = columns.get(id(table))
        if found is None:
            found = columns[id(table)] = table.table[table.local, atom]
        return found

    def untracked(self, backend: Backend, target: Target, node: int) -> np.ndarray:
        """Per source group: the leg to the backend (on node number `node`, -1 unknown) fails at its reply."""
        peer = self.matrix.peer_class.get((backend.endpoint.id, backend.address.version))
        if peer is None or not self.active.any():
            return np.zeros(len(self.tables), dtype=bool)
        return self._decided_at(target.protocol, target.port)[:, peer] & (self.group_node != node)
