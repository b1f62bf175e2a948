"""Every allowed pair of endpoints in endpoint order, streamed: the class pairs of a window of source
endpoints at a time are expanded to their members, so memory follows the window, never the pairs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from netpolicy.engine.bits import ranges
from netpolicy.engine.pairs import ClassPairs, endpoint_classes
from netpolicy.model.cluster import Endpoint
from netpolicy.model.connections import ConnectionSet

#: Source classes walked at once: their destination lists (up to every endpoint each) are all that is held.
WINDOW_CLASSES = 16


def endpoint_flows(matrix) -> Iterator[tuple[Endpoint, Endpoint, ConnectionSet]]:
    """Every ordered pair of endpoints with something allowed, by source then destination in endpoint
    order; pairs of two unpoliced peers (external ranges) are left out, as in the class pairs."""
    classes = endpoint_classes(matrix)
    walk = ClassPairs(matrix, classes)
    endpoints = matrix.endpoints
    position = {e.id: i for i, e in enumerate(endpoints)}
    member_lists = [sorted(position[m.id] for m in cls.members) for cls in classes]
    sizes = np.array([len(m) for m in member_lists], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    flat = np.array([p for m in member_lists for p in m], dtype=np.int64)
    class_of = [0] * len(endpoints)
    for index, found in enumerate(member_lists):
        for member in found:
            class_of[member] = index
    start = 0
    while start < len(endpoints):
        window: set[int] = set()
        end = start
        while end < len(endpoints) and (len(window) < WINDOW_CLASSES or class_of[end] in window):
            window.add(class_of[end])
            end += 1
        targets = _targets(walk, np.array(sorted(window), dtype=np.int64), flat, starts, sizes)
        connections = walk.connections
        for number in range(start, end):
            found = targets.get(class_of[number])
            if found is None:
                continue
            source = endpoints[number]
            for target, kind in zip(*found, strict=True):
                yield source, endpoints[target], connections[kind]
        start = end


def _targets(walk: ClassPairs, sources: np.ndarray, flat: np.ndarray, starts: np.ndarray,
             sizes: np.ndarray) -> dict[int, tuple[list[int], list[int]]]:
    """Source class → (destination endpoint positions, sorted; their connection numbers)."""
    blocks = list(walk.blocks(sources))
    if not blocks or not any(len(b.sources) for b in blocks):
        return {}
    src = np.concatenate([b.sources for b in blocks])
    dst = np.concatenate([b.targets for b in blocks])
    kinds = np.concatenate([b.kinds for b in blocks])
    order = np.argsort(src, kind="stable")
    src, dst, kinds = src[order], dst[order], kinds[order]
    out: dict[int, tuple[list[int], list[int]]] = {}
    bounds = np.flatnonzero(np.diff(src)) + 1
    for part_dst, part_kind, first in zip(np.split(dst, bounds), np.split(kinds, bounds),
                                          np.concatenate(([0], bounds)).tolist(), strict=True):
        members = flat[ranges(starts[part_dst], sizes[part_dst])]
        member_kinds = np.repeat(part_kind, sizes[part_dst])
        by_position = np.argsort(members, kind="stable")
        out[int(src[first])] = (members[by_position].tolist(), member_kinds[by_position].tolist())
    return out
