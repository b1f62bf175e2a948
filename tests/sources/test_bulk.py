"""Pausing the garbage collector for bulk work, and freezing what a large batch made."""

from __future__ import annotations

import gc

import pytest

from netpolicy.sources import bulk


@pytest.fixture
def collector_state():  # type: ignore[no-untyped-def]
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_paused_then_restored(collector_state: None) -> None:
    gc.enable()
    with bulk.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_left_disabled_when_it_was(collector_state: None) -> None:
    gc.disable()
    with bulk.gc_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.parametrize("threshold, frozen", [(0, True), (10**12, False)])
def test_large_batches_are_frozen(collector_state: None, monkeypatch: pytest.MonkeyPatch,
                                  threshold: int, frozen: bool) -> None:
    monkeypatch.setattr(bulk, "FREEZE_ABOVE", threshold)
    gc.enable()
    gc.collect()
    before = gc.get_freeze_count()
    with bulk.gc_paused():
        made = [{"n": i} for i in range(1000)]
    assert (gc.get_freeze_count() >= before + len(made)) is frozen


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("documents", [
    [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}],
    [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 5}}],  # bad input: load_cluster raises
])
def test_loading_leaves_the_collector_as_it_was(collector_state: None, enabled: bool, documents: list) -> None:
    from netpolicy.api import load_documents
    from netpolicy.errors import InputErrors

    (gc.enable if enabled else gc.disable)()
    try:
        load_documents(documents)
    except InputErrors:
        assert documents[0]["metadata"]["name"] == 5
    assert gc.isenabled() is enabled
