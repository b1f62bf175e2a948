"""Which workload stands for a pod: owner references followed through the workloads that were read."""

from __future__ import annotations

from typing import Any

from netpolicy.sources.accept import Accepted

#: Kinds whose objects own pods or other workloads, as ownerReferences name them.
OWNER_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                         "ReplicationController"})

ObjectKey = tuple[str | None, str, str]  # (namespace, kind, name)


class Owners:
    """Resolves each pod or workload to its topmost owner among the workloads read (linear overall)."""

    def __init__(self, workloads: list[Accepted]) -> None:
        """`workloads`: every workload read (not pods)."""
        self._by_key: dict[ObjectKey, Accepted] = {(w.namespace, w.info.kind, w.name): w for w in workloads}
        self._root: dict[int, Accepted] = {}

    def root(self, entry: Accepted) -> Accepted:
        """The workload read that ultimately controls `entry`, or `entry` itself when none does."""
        owner = self._owner(entry)
        if owner is None:
            return entry
        chain: list[Accepted] = [entry]
        seen = {id(entry)}
        while id(owner) not in self._root and id(owner) not in seen:
            seen.add(id(owner))
            chain.append(owner)
            following = self._owner(owner)
            if following is None:
                break
            owner = following
        top = self._root.get(id(owner), owner)
        for member in chain:
            self._root[id(member)] = top
        return top

    def _owner(self, entry: Accepted) -> Accepted | None:
        metadata = entry.obj.data.get("metadata")
        reference = controller_reference(metadata.get("ownerReferences") if isinstance(metadata, dict) else None)
        if reference is None:
            return None
        owner = self._by_key.get((entry.namespace, reference["kind"], reference["name"]))
        if owner is None:
            return None
        uid, owner_uid = reference.get("uid"), owner.obj.metadata.get("uid")
        return owner if not (uid and owner_uid and uid != owner_uid) else None


def controller_reference(references: Any) -> dict[str, Any] | None:
    """The owner reference marked `controller: true`, else the first naming a workload kind."""
    if not isinstance(references, list):
        return None
    candidates = [r for r in references if isinstance(r, dict) and isinstance(r.get("kind"), str)
                  and r["kind"] in OWNER_KINDS and isinstance(r.get("name"), str)]
    for reference in candidates:
        if reference.get("controller") is True:
            return reference
    return candidates[0] if candidates else None
