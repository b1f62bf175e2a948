"""`test`, `diff` and `report` take the input options of the other commands (-k, --helm, live clusters).

Input: the Kubernetes docs' NetworkPolicy example (kubernetes/website
content/en/examples/service/networking/networkpolicy.yaml) with pods for it, printed by a fake `kubectl
kustomize` or listed by a fake API server (no cluster or tool needed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from netpolicy.cli import app

from ..inputs.fake_api import FakeApi, kubeconfig
from ..inputs.test_live import routes
from ..inputs.test_rendered import fake_tool
from .docs_example import PODS, POLICY, write_example

EXPECTATIONS = """\
pods:
  - id: kube-system/coredns
    labels: {k8s-app: kube-dns}
    ports: [{port: 53, protocol: UDP}]
expectations:
  - name: the frontend reaches redis on its port
    from: {endpoint: default/web}
    to: {endpoint: default/redis}
    protocol: TCP
    ports: 6379
    expect: allow
  - name: redis cannot resolve names (the docs' policy allows no DNS)
    from: {endpoint: default/redis}
    to: {endpoint: kube-system/coredns}
    protocol: UDP
    ports: 53
    expect: deny
"""


def invoke(args: list[str], tools: Path | None = None):
    env = {"PATH": f"{tools}{os.pathsep}/usr/bin:/bin"} if tools else None
    return CliRunner().invoke(app, args, env=env)


def kustomize(tmp_path: Path, text: str) -> Path:
    """A fake kubectl whose `kustomize` prints `text`."""
    return fake_tool(tmp_path / "bin", "kubectl", text)


def test_test_reads_a_kustomization_with_its_stand_in_pods(tmp_path: Path) -> None:
    expectations = tmp_path / "expect.yaml"
    expectations.write_text(EXPECTATIONS)
    tools = kustomize(tmp_path, POLICY + "---\n" + PODS)
    result = invoke(["test", str(expectations), "-k", "overlays/prod", "-o", "json"], tools)
    assert result.exit_code == 0, result.output
    assert (tools / "kubectl.args").read_text().split() == ["kustomize", "overlays/prod"]
    assert all(r["status"] == "pass" for r in json.loads(result.stdout)["results"])


def test_test_reads_a_live_cluster(tmp_path: Path) -> None:
    expectations = tmp_path / "expect.yaml"
    expectations.write_text(EXPECTATIONS.replace("default/web", "default/frontend-5d4f-aaaaa")
                            .replace("default/redis", "default/db-0"))
    with FakeApi(routes()) as api:
        config = str(kubeconfig(tmp_path / "kc", api.url))
        result = invoke(["test", str(expectations), "--kubeconfig", config, "-o", "json"])
    assert result.exit_code == 1, result.output  # the live policy isolates ingress only: DNS is not denied
    statuses = [r["status"] for r in json.loads(result.stdout)["results"]]
    assert statuses == ["pass", "fail"]
    assert {m for m, _ in api.requests} == {"GET"}


def test_test_without_any_input_says_what_to_give(tmp_path: Path) -> None:
    expectations = tmp_path / "expect.yaml"
    expectations.write_text(EXPECTATIONS)
    result = invoke(["test", str(expectations)])
    assert result.exit_code == 2
    assert "no input: give -f PATH, --helm CHART, -k DIR or --context NAME" in result.output


def test_diff_compares_paths_with_a_kustomization(tmp_path: Path) -> None:
    before, pods = write_example(tmp_path)
    tools = kustomize(tmp_path, POLICY.replace("port: 6379", "port: 6380") + "---\n" + PODS)
    result = invoke(["diff", "--before", str(before), "--before", str(pods), "-k", "overlays/prod",
                     "-o", "json"], tools)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["pairs_newly_blocked"] >= 1, data["summary"]


def test_diff_git_refuses_inputs_without_history(tmp_path: Path) -> None:
    result = invoke(["diff", "--git", "HEAD", "-k", "overlays/prod"])
    assert result.exit_code == 2
    assert "--git takes the -f paths as they were at REF" in result.output


def test_report_needs_no_f(tmp_path: Path) -> None:
    tools = kustomize(tmp_path, POLICY + "---\n" + PODS)
    page = tmp_path / "page.html"
    result = invoke(["report", "-k", "overlays/prod", "-o", str(page)], tools)
    assert result.exit_code == 0, result.output
    assert "default" in page.read_text() and "wrote" in result.output
    assert '"title":"kustomize overlays/prod"' in page.read_text()


def test_report_of_a_live_cluster(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    with FakeApi(routes()) as api:
        config = str(kubeconfig(tmp_path / "kc", api.url))
        result = invoke(["report", "--kubeconfig", config, "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert "frontend-5d4f-aaaaa" in page.read_text()
