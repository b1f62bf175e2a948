"""The commands' new fields end to end: matrix's Services (text and JSON), diff's Service changes,
endpoints' host-network pods, query to a node through its host endpoint (docs/semantics.md#service-rows,
#nodes, #host-endpoint-hooks)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from netpolicy.cli import app
from tests.engine.test_host_hooks import HEP_A
from tests.engine.test_host_network import CLUSTER as HOST_NETWORK_CLUSTER
from tests.engine.test_service_rows import A0_CLOSED, BASE, FROM_CLIENT_TO_A1


def write(tmp_path: Path, name: str, documents: list) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_matrix_services(tmp_path: Path) -> None:
    path = write(tmp_path, "after.yaml", [*BASE, FROM_CLIENT_TO_A1, A0_CLOSED])
    data = json.loads(run("matrix", "-f", path, "-o", "json"))
    (service,) = data["services"]
    assert (service["id"], service["port"], service["protocol"], service["backends"]) == ("web/web", 80, "TCP", 2)
    assert service["from"] == [{"from": "web/client", "reached": 1, "verdict": "partial"}]
    text = run("matrix", "-f", path)
    assert "web/web TCP 80 (2 ready backends): reached from no endpoint" in text
    assert "PARTIAL, some backends only: web/client (1 of 2)" in text


def test_diff_services(tmp_path: Path) -> None:
    before = write(tmp_path, "before.yaml", BASE)
    after = write(tmp_path, "after.yaml", [*BASE, FROM_CLIENT_TO_A1, A0_CLOSED])
    data = json.loads(run("diff", "--before", before, "--after", after, "-o", "json"))
    assert {"service": "web/web", "port": 80, "protocol": "TCP", "before": "allow", "after": "partial",
            "from": ["web/client"]} in data["services"]
    assert "web/web TCP 80: allow → partial from web/client" in run("diff", "--before", before, "--after", after)


def test_endpoints_and_query_of_host_network_pods(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", [*HOST_NETWORK_CLUSTER, HEP_A])
    data = json.loads(run("endpoints", "-f", path, "-o", "json"))
    assert {"id": "web/exporter", "kind": "Pod", "namespace": "web", "labels": {"app": "exporter"},
            "node": "node-a", "selected_by": ["web/exporter-ingress"]} in data["host_network_pods"]
    assert "web/exporter" not in {e["id"] for e in data["endpoints"]}
    flow = json.loads(run("query", "-f", path, "--from", "203.0.113.7", "--to", "web/exporter", "--port", "9100",
                          "-o", "json"))
    assert (flow["to"], flow["verdict"]) == ("web/exporter", "deny")
    assert any("hostNetwork Pod" in note for note in flow["notes"])
    assert flow["ingress"]["trace"][-1]["reason"].startswith("[filter]")
    assert json.loads(run("query", "-f", path, "--from", "203.0.113.7", "--to", "node/node-a", "--port", "22",
                          "-o", "json"))["verdict"] == "allow"


def test_query_nat_outgoing_exclusions(tmp_path: Path) -> None:
    """natOutgoing masquerades web/client's packet to node-b under Felix's default IPPoolsOnly, not under
    IPPoolsAndHostIPs (docs/semantics.md#nat-outgoing); a bad setting is a located input error."""
    from tests.engine import test_nat_outgoing as nat
    from tests.engine.test_pod_entry import HEPS
    from tests.engine.test_service_path import OBJECTS

    path = write(tmp_path, "nat.yaml", [*OBJECTS, *HEPS, nat.NAT_POOL, nat.PODS_ONLY])
    ask = ("query", "-f", path, "--from", "web/client", "--to", "node/node-b", "--port", "9999")
    assert ": DENY" in run(*ask).splitlines()[0]
    assert ": ALLOW" in run(*ask, "--nat-outgoing-exclusions", "IPPoolsAndHostIPs").splitlines()[0]
    bad = CliRunner().invoke(app, [*ask, "--nat-outgoing-exclusions", "bogus"])
    assert bad.exit_code == 2 and "not a setting" in bad.output


def test_engine_switches_reach_the_matrix_as_they_reach_query(tmp_path: Path) -> None:
    """--nat-outgoing-exclusions and --endpoint-to-host-action are engine options of every command: the
    matrix's cell from web/client to a node's host endpoint says what `query` says under each setting."""
    from tests.engine import test_nat_outgoing as nat
    from tests.engine.test_pod_entry import HEPS
    from tests.engine.test_service_path import OBJECTS

    path = write(tmp_path, "nat.yaml", [*OBJECTS, *HEPS, nat.NAT_POOL, nat.PODS_ONLY])

    def cell(to: str, *switches: str) -> bool:
        flows = json.loads(run("matrix", "-f", path, "-o", "json", *switches))["flows"]
        allowed = next((f["allowed"] for f in flows if (f["from"], f["to"]) == ("web/client", to)), [])
        return any(a["protocol"] == "TCP" and a["ports"] == "1-65535" for a in allowed)

    def asked(node: str, *switches: str) -> bool:
        return ": ALLOW" in run("query", "-f", path, "--from", "web/client", "--to", node, "--port", "9999",
                                *switches).splitlines()[0]

    for switches, to_b, to_a in ([(), False, True], [("--nat-outgoing-exclusions", "IPPoolsAndHostIPs"), True, True],
                                 [("--endpoint-to-host-action", "DROP"), False, False]):
        assert (cell("node-b-eth0", *switches), cell("node-a-eth0", *switches)) == (to_b, to_a), switches
        assert (asked("node/node-b", *switches), asked("node/node-a", *switches)) == (to_b, to_a), switches
    bad = CliRunner().invoke(app, ["matrix", "-f", path, "--endpoint-to-host-action", "bogus"])
    assert bad.exit_code == 2 and "not an action" in bad.output
