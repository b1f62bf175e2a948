"""Nothing of a lab survives it: not after verify, not after a failure, not after Ctrl-C (root only).

Each test uses its own lab id and checks only that lab's namespaces and state, plus the machine's
own links and nftables tables, so labs run by anyone else at the same time are left alone.
"""

from __future__ import annotations

import secrets
import subprocess

import pytest

from netpolicy.lab import api, netns, state
from netpolicy.lab.errors import LabSetupError
from netpolicy.lab.topology import lab_prefix
from tests.lab.lab_clusters import HandMatrix, small_cluster, small_expectations

pytestmark = pytest.mark.usefixtures("lab_ready")


def machine_snapshot() -> dict:
    """The machine's own links and nftables tables, which a lab must never touch."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return {"links": sorted(line.split(": ")[1].split("@")[0] for line in links.splitlines() if ": " in line),
            "tables": sorted(tables.splitlines())}


@pytest.fixture
def lab_id():
    """A fresh lab id; afterwards nothing of it may remain and the machine must be as it was."""
    before = machine_snapshot()
    ident = "hyg" + secrets.token_hex(3)
    yield ident
    assert netns.existing(lab_prefix(ident)) == [], "namespaces left behind"
    assert state.load(ident) is None, "state file left behind"
    after = machine_snapshot()
    assert after == before
    assert not any(name.startswith(("cali", "ext", "uplink")) for name in after["links"])
    assert not any("calico" in table for table in after["tables"])


class BrokenRuleset:
    def render(self) -> str:
        return "table inet calico { nonsense }\n"


def matrix():
    cluster = small_cluster()
    return cluster, HandMatrix(cluster.endpoints, small_expectations())


def test_verify_leaves_nothing_behind(lab_id):
    report = api.verify(*matrix(), lab_id=lab_id)
    assert report.ok and report.lab_id == lab_id


def test_an_interrupted_verify_leaves_nothing_behind(lab_id, monkeypatch):
    def interrupted(self, probes, timeout=None):
        assert netns.existing(lab_prefix(lab_id)), "the lab should exist while probing"
        raise KeyboardInterrupt
    monkeypatch.setattr(api.Prober, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.verify(*matrix(), lab_id=lab_id)


def test_a_failed_build_leaves_nothing_behind(lab_id, monkeypatch):
    monkeypatch.setattr(api, "compile_ruleset", lambda *args, **kwargs: BrokenRuleset())
    with pytest.raises(LabSetupError, match="loading the nftables ruleset"):
        api.up(*matrix(), lab_id=lab_id)


def test_leftovers_of_a_crashed_run_are_found_and_removed(lab_id, monkeypatch):
    netns.create([f"{lab_prefix(lab_id)}node", f"{lab_prefix(lab_id)}x.a"])
    found = {s.lab_id: s for s in api.status()}
    assert found[lab_id].recorded is False and found[lab_id].namespaces == 2
    assert "leftover of a crashed run" in found[lab_id].describe()
    monkeypatch.setattr(api, "_ids_in_use", lambda: {lab_id})  # leave other people's labs alone
    assert api.down(all_labs=True) == [lab_id]


def test_a_second_lab_with_the_same_id_is_refused(lab_id):
    with api.up(*matrix(), lab_id=lab_id):
        with pytest.raises(api.LabError, match="already exists"):
            api.up(*matrix(), lab_id=lab_id)


def test_nodes_services_and_their_tables_leave_nothing_behind(lab_id):
    from netpolicy import api as netpolicy
    from netpolicy.api import load_documents
    from tests.engine.test_service_path import OBJECTS

    cluster = load_documents(OBJECTS)
    with api.up(cluster, netpolicy.matrix(cluster), lab_id=lab_id, clients=["203.0.113.7"]) as handle:
        names = netns.existing(lab_prefix(lab_id))
        assert len([n for n in names if "-node-" in n]) == 3
        tables = netns.run(["nft", "list", "tables"], netns=handle.topology.lab_node("node-a").netns)
        assert "table ip kube-proxy" in tables and "table inet calico" in tables
