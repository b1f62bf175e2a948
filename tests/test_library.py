"""The public library surface: `import netpolicy` is cheap, the README's example runs, and the loaded
cluster is immutable and keeps each policy's and endpoint's input object."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import netpolicy

REPO = Path(__file__).resolve().parents[1]
SHOP = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "shop"},
     "spec": {"podSelector": {}}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
     "spec": {"selector": "all()", "types": ["Egress"], "egress": [{"action": "Allow"}]}},
]


def test_import_is_cheap():
    code = ("import sys, netpolicy; heavy = [m for m in ('netpolicy.api', 'numpy', 'pydantic', 'yaml', 'rich', "
            "'typer') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_resolve():
    for name in netpolicy.__all__:
        assert getattr(netpolicy, name) is not None
    with pytest.raises(AttributeError):
        netpolicy.no_such_name  # noqa: B018


def test_readme_example_runs():
    text = (REPO / "README.md").read_text()
    section = text[text.index("## As a library"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    with contextlib.chdir(REPO), contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "True False"
    assert lines[1].startswith("allow ['trojanwall/")
    assert lines[2:4] == ["5432 ['deny', 'allow']", "allow ['trojanwall/postgresql']"]
    assert any(re.fullmatch(r"examples/\S+\.yaml:\d+: (error|warning|info) [a-z-]+", line) for line in lines)
    assert re.fullmatch(r"\d+ endpoint pairs lose a connection", lines[-2])
    assert lines[-1] == "allow"


def test_documents_are_read_in_memory_and_left_unchanged(monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", None)
    documents = [dict(d) for d in SHOP]
    cluster = netpolicy.load_documents(documents, source="shop")
    assert documents == SHOP
    assert {p.location.file for p in cluster.policies if p.location} == {"shop"}


def test_ir_keeps_its_source_objects():
    cluster = netpolicy.load_documents(SHOP)
    by_kind = {p.source.kind: p.source for p in cluster.policies if p.source is not None}
    assert by_kind["NetworkPolicy"].data["metadata"]["name"] == "deny"
    assert by_kind["GlobalNetworkPolicy"].name == "g"
    assert cluster.endpoint("shop/web").source.kind == "Pod"
    assert cluster.namespaces["shop"].source.kind == "Namespace"
    assert cluster.services[0].source.name == "web"
    assert all(p.source is None for p in cluster.profiles.values())  # built-in profiles come from no object


def test_cluster_is_frozen():
    cluster = netpolicy.load_documents(SHOP)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cluster.policies = ()
    with pytest.raises(TypeError):
        cluster.tiers["x"] = None
    with pytest.raises(AttributeError):
        cluster.endpoints.append(None)
    fewer = dataclasses.replace(cluster, policies=cluster.policies[:1])
    assert len(fewer.policies) == 1 and len(cluster.policies) == 2


def test_query_takes_protocol_names_and_rejects_others():
    cluster = netpolicy.load_documents(SHOP)
    assert netpolicy.query(cluster, "shop/web", "shop/web", "udp", 53).protocol == 17
    with pytest.raises(netpolicy.InputError, match="'GRE' is not a protocol"):
        netpolicy.query(cluster, "shop/web", "shop/web", "GRE")


def test_query_answers_as_the_cli_does():
    """Service destinations, node ends, named ports and port sweeps, each as the result type it documents."""
    from netpolicy.analysis.port_sweep import PortSweep
    from netpolicy.engine.flow import FlowResult
    from netpolicy.engine.service_flow import ServiceFlow

    example = REPO / "examples" / "trojanwall"
    cluster = netpolicy.load_cluster([str(example / d) for d in ("manifests", "nodes", "k8s-policies")])
    web, db = "trojanwall/trojanwall-django", "trojanwall/postgresql"
    ask = netpolicy.querier(cluster)
    sweep = ask(web, db)
    assert isinstance(sweep, PortSweep) and sweep.allowed.format() == "5432"
    service = ask(web, "svc/trojanwall/postgresql", port=5432)
    assert isinstance(service, ServiceFlow) and service.verdict == "allow"
    node_port = ask("203.0.113.7", "trojanwall-node:31000")
    assert isinstance(node_port, ServiceFlow) and len(node_port.legs) == 2
    from_node = ask("node/trojanwall-node", db, "TCP", 5432)
    assert isinstance(from_node, FlowResult) and ask.names_node("node/trojanwall-node", db)
    assert not ask.names_node(web, db)
    assert ask(web, db, "TCP", 5432).verdict == ask.flow(web, db, "TCP", 5432).verdict == "allow"
    with pytest.raises(netpolicy.InputError, match="no port named 'nope'"):
        ask(web, db, "TCP", "nope")
    with pytest.raises(netpolicy.InputError, match="--port: 300 is out of range"):
        ask(web, db, "ICMP", 300)
