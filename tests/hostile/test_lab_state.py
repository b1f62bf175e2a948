"""Lab ids and state: no paths, no other lab's namespaces, a lock per id, corrupt state tolerated (root only)."""

from __future__ import annotations

import json
import subprocess

import pytest

from netpolicy.lab import api, netns, state
from netpolicy.lab.errors import LabError

pytestmark = pytest.mark.usefixtures("lab_ready")


@pytest.fixture
def lab_ready():
    from netpolicy.lab.environment import missing_requirement

    reason = missing_requirement()
    if reason:
        pytest.skip(f"needs the real kernel: {reason}")


@pytest.fixture
def decoy_netns():
    name = "netpolicy-decoy-h13"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.mark.parametrize("lab_id", ["../../tmp/victim", "/tmp/victim", "a-external", "A", "", "x" * 13, "a\n"])
def test_down_refuses_ids_outside_the_alphabet(tmp_path, lab_id):
    decoy = tmp_path / "victim.json"
    decoy.write_text("{}")
    with pytest.raises(LabError, match="is not a lab id"):
        api.down(lab_id)
    with pytest.raises(LabError, match="is not a lab id"):
        api.exec_in(lab_id, "x/a", ["true"])
    assert decoy.exists()


def test_down_deletes_only_namespaces_with_the_labs_prefix(decoy_netns):
    state.save(state.LabRecord("h13decoy", [decoy_netns, "../" + decoy_netns], "node"))
    assert api.down("h13decoy") == ["h13decoy"]
    assert decoy_netns in netns.existing("netpolicy-decoy")
    assert state.load("h13decoy") is None


def test_down_of_a_prefix_id_leaves_the_other_lab(decoy_netns):
    subprocess.run(["ip", "netns", "add", "netpolicy-lab-h13a-external-x"], check=True)
    try:
        with pytest.raises(LabError):
            api.down("h13a-external")
        assert "netpolicy-lab-h13a-external-x" in netns.existing("netpolicy-lab-h13a-")
    finally:
        subprocess.run(["ip", "netns", "del", "netpolicy-lab-h13a-external-x"], check=False)


@pytest.mark.parametrize("content", [b"{", b"[]", b'{"id": "h13c", "namespaces": 5}', b"\xff\xfe", b""])
def test_corrupt_state_never_breaks_status_or_down_all(content, decoy_netns):
    state.STATE_DIR.mkdir(parents=True, exist_ok=True)
    state.path_of("h13c").write_bytes(content)
    try:
        assert any(s.lab_id == "h13c" for s in api.status())
        assert all(isinstance(s.describe(), str) for s in api.status())
        assert "h13c" in api.down(all_labs=True, busy=[])
        assert decoy_netns in netns.existing("netpolicy-decoy")
    finally:
        state.remove("h13c")


def test_a_locked_lab_is_left_alone_by_a_second_process(decoy_netns):
    subprocess.run(["ip", "netns", "add", "netpolicy-lab-h13l-node"], check=True)  # the winner's namespace
    state.save(state.LabRecord("h13l", ["netpolicy-lab-h13l-node"], "node"))
    lock = state.Lock("h13l").acquire()
    try:
        with pytest.raises(state.LabBusyError):
            api.down("h13l")
        busy: list[str] = []
        api.down(all_labs=True, busy=busy)
        assert "h13l" in busy and state.load("h13l") is not None
        with pytest.raises(state.LabBusyError):
            api.up(None, None, lab_id="h13l")
        assert "netpolicy-lab-h13l-node" in netns.existing("netpolicy-lab-h13l-")
    finally:
        lock.release()
        api.down("h13l")


def test_state_records_only_prefixed_namespaces():
    record = state.record_of("h13r", json.loads(json.dumps(
        {"id": "h13r", "namespaces": ["netpolicy-lab-h13r-node", "netpolicy-lab-other-node", "/etc"]})))
    assert record.namespaces == ["netpolicy-lab-h13r-node"]
