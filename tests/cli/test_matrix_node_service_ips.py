"""`matrix` says when a node's column leaves out a Service IP on the node's address (docs/semantics.md#nodes):
kube-proxy sends that address's traffic on the Service's ports to the backends before the node sees it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netpolicy.cli import app
from tests.engine.test_host_path import hep
from tests.engine.test_service_families import OBJECTS

NOTE = ("note: 172.18.0.3 is node node-b's address and an external or LoadBalancer IP of service web/lb: kube-proxy "
        "sends its 80/TCP to the Service's backends before the node sees them, which the matrix's column of "
        "node-b-eth0 does not show (ask `query --to node/node-b --port <port>`)")


def external_ips(*addresses):
    objects = copy.deepcopy(OBJECTS)
    next(o for o in objects if o["kind"] == "Service")["spec"]["externalIPs"] = list(addresses)
    return objects


# (case, objects, the note expected)
CASES = [
    ("an external IP on a node with a host endpoint: noted", [*external_ips("172.18.0.3"),
                                                             hep("node-b-eth0", "eth0", node="node-b",
                                                                 ips=("172.18.0.3",))], True),
    ("the same node without a host endpoint: no column, no note", external_ips("172.18.0.3"), False),
    ("an external IP on no node: no note", [*external_ips("192.0.2.9"),
                                           hep("node-b-eth0", "eth0", node="node-b", ips=("172.18.0.3",))], False),
]


@pytest.mark.parametrize("case, objects, noted", CASES, ids=[c[0] for c in CASES])
def test_matrix_notes_a_service_ip_on_a_node(tmp_path: Path, case, objects, noted):
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    result = CliRunner().invoke(app, ["matrix", "-f", str(path), "-o", "json"])
    assert result.exit_code == 0, result.output
    assert (NOTE in result.stderr) == noted
    assert "note:" not in result.stdout
