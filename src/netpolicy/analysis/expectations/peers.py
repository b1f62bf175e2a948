"""Which places of a cluster a peer of an expectation names: endpoints by id, labels, namespace, or addresses."""

from __future__ import annotations

from collections.abc import Sequence

from netpolicy.analysis.diff.places import Place, PlaceIndex, external_places
from netpolicy.analysis.expectations.model import (
    CIDR,
    ENDPOINT,
    EXTERNAL,
    NAMESPACE,
    POD_SELECTOR,
    SELECTOR,
    PeerSpec,
)
from netpolicy.suggest import closest, did_you_mean


class PeerResolver:
    """Resolves peers against the places of one matrix, caching address clippings."""

    def __init__(self, index: PlaceIndex) -> None:
        self.index = index
        self._by_id = {p.id: p for p in index.endpoints}

    def resolve(self, specs: Sequence[PeerSpec]) -> tuple[list[Place], list[str]]:
        """The union of places the peers name, and a note for each peer that names nothing."""
        seen: dict[str, Place] = {}
        notes = []
        for spec in specs:
            found = self.places(spec)
            if not found:
                notes.append(self.nothing(spec))
            for place in found:
                seen.setdefault(place.id, place)
        return list(seen.values()), notes

    def places(self, spec: PeerSpec) -> list[Place]:
        """The places one peer names."""
        if spec.kind == ENDPOINT:
            place = self._by_id.get(spec.text)
            return [place] if place is not None else []
        if spec.kind in (CIDR, EXTERNAL):
            assert spec.addresses is not None
            outside = external_places(self.index.matrices, spec.addresses)
            if spec.kind == EXTERNAL:
                return outside
            inside = [p for p in self.index.endpoints
                      if any(spec.addresses.contains(ip) for ip in _endpoint(p).ips)]
            return inside + outside
        return [p for p in self.index.endpoints if _labelled_match(spec, p)]

    def nothing(self, spec: PeerSpec) -> str:
        """Why a peer names nothing, with a suggestion where one exists."""
        if spec.kind == ENDPOINT:
            close = did_you_mean(closest(spec.text, self._by_id, n=3))
            hint = f"; {close}" if close else ""
            return f"{spec.path}: no endpoint {spec.text}{hint}"
        if spec.kind in (CIDR, EXTERNAL):
            return f"{spec.path}: no address of {spec.text} is {'outside every endpoint' if spec.kind == EXTERNAL else 'known'}"
        namespaces = sorted({p.namespace for p in self.index.endpoints if p.namespace})
        if spec.namespace and spec.namespace not in namespaces:
            close = did_you_mean(closest(spec.namespace, namespaces))
            hint = f"; {close}" if close else ""
            return f"{spec.path}: no endpoint in namespace {spec.namespace}{hint}"
        return f"{spec.path}: {spec.describe()} matches no endpoint"


def _endpoint(place: Place):
    return next(e for e in place.sides if e is not None)


def _labelled_match(spec: PeerSpec, place: Place) -> bool:
    endpoint = _endpoint(place)
    if not endpoint.policed:
        return False
    if spec.namespace is not None and endpoint.namespace != spec.namespace:
        return False
    if spec.kind == NAMESPACE:
        return True
    assert spec.selector is not None
    if spec.kind == POD_SELECTOR:
        return endpoint.namespace is not None and spec.selector.matches(endpoint.labels)
    if spec.kind == SELECTOR:
        return spec.selector.matches(endpoint.selector_labels)
    return False
