"""Input text never becomes nftables statements: hostile strings in every field that reaches the script."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from netpolicy.lab.nft import compile_ruleset
from netpolicy.lab.topology import plan_topology
from netpolicy.model.cluster import Cluster
from netpolicy.model.ir import GLOBAL_NETWORK_POLICY, EntityMatch, Tier
from netpolicy.model.protocols import TCP, UDP
from netpolicy.selectors.ast import AndNode, CompareNode, Selector
from tests.hostile.strings import HOSTILE, NFT_BREAKOUT
from tests.lab.lab_clusters import ORCH, pod, policy, ports, rule, sel


def cluster_with(text: str) -> Cluster:
    """One cluster whose names, labels, selector values, policy, tier and rule names all carry `text`."""
    endpoints = [pod("x", f"a{text}", "10.0.1.10", labels={"pod": "a", "k": text}),
                 pod(f"y{text}", "c", "10.0.2.10", labels={"pod": "c"})]
    selector = Selector(AndNode((ORCH, CompareNode("k", "==", text))))
    allow = policy(f"allow{text}", selector=sel(("pod", "a")), ingress=[
        rule(protocol=TCP, source=EntityMatch(selector=selector), destination=EntityMatch(ports=ports(80))),
    ])
    deny = policy(f"deny{text}", kind=GLOBAL_NETWORK_POLICY, tier="security", order=10,
                  selector=Selector(CompareNode("k", "!=", text)),
                  ingress=[rule("Deny", protocol=UDP, source=EntityMatch(selector=selector))])
    renamed = [type(r)(**{**r.__dict__, "name": f"{r.name}{text}"}) if hasattr(r, "__dict__") else r
               for r in deny.ingress]
    deny = type(deny)(**{**deny.__dict__, "ingress": tuple(renamed)})
    return Cluster(endpoints=endpoints, policies=[allow, deny],
                   tiers={"default": Tier("default", 1_000_000.0), "security": Tier("security", 100.0)})


def statements(script: str) -> list[str]:
    """The script's lines that are not comments."""
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def script_for(text: str) -> str:
    cluster = cluster_with(text)
    return compile_ruleset(cluster, plan_topology("t", cluster.endpoints)).render()


@pytest.mark.parametrize("text", [NFT_BREAKOUT, HOSTILE, "\r\naccept\r\n", '";accept;"'])
def test_hostile_text_adds_no_statement(text):
    hostile, benign = script_for(text), script_for("z")
    assert len(statements(hostile)) == len(statements(benign))
    assert sum(" accept" in s for s in statements(hostile)) == sum(" accept" in s for s in statements(benign))
    assert all(0x20 <= ord(c) < 0x7f or c in "\t\n" for c in hostile)


def test_chain_names_of_different_policies_never_collide():
    from netpolicy.lab.nft.names import safe_name

    assert safe_name("cali-pi-a b") != safe_name("cali-pi-a_b")
    assert safe_name("cali-pi-ok/name") == "cali-pi-ok/name"


@pytest.mark.skipif(shutil.which("nft") is None, reason="needs nft")
def test_nft_parses_the_hostile_script(tmp_path):
    path = tmp_path / "rules.nft"
    path.write_text(script_for(NFT_BREAKOUT))
    result = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True)
    if "Operation not permitted" in result.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN")
    assert result.returncode == 0, result.stderr


def test_kernel_never_accepts_what_the_engine_denies_with_hostile_selectors():
    """A Calico selector with a newline and `accept` in a string: the lab still agrees with the engine."""
    from netpolicy.lab.environment import missing_requirement

    if missing_requirement():
        pytest.skip(f"needs the real kernel: {missing_requirement()}")
    from netpolicy.api import load_documents
    from netpolicy.engine.matrix import compute_matrix
    from netpolicy.lab import api
    from netpolicy.lab.report import render_text

    hostile = NFT_BREAKOUT.replace('"', "")
    docs = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "x", "labels": {"app": n}},
             "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
             "status": {"podIP": ip}} for n, ip in (("a", "10.0.1.10"), ("b", "10.0.1.11"))]
    docs.append({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                 "metadata": {"name": "deny-b"},
                 "spec": {"selector": f"app == 'b' || app == '{hostile}'", "types": ["Ingress"],
                          "ingress": [{"action": "Allow", "source": {"selector": f"app == '{hostile}'"}}]}})
    cluster = load_documents(docs)
    report = api.verify(cluster, compute_matrix(cluster), ports=["80"], timeout=0.5)
    assert report.ok, render_text(report)
