"""--helm and -k: rendered by helm / kubectl kustomize (fake executables here print known YAML)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app

# What `helm template` prints for a chart like examples/helm/shop (helm's "# Source:" comments included).
RENDERED = """\
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}
---
# Source: shop/templates/db.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{containerPort: 5432}]}]}
---
# Source: shop/templates/policy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
"""


def fake_tool(directory: Path, name: str, output: str, status: int = 0) -> Path:
    """An executable `name` that records its arguments and prints `output`."""
    directory.mkdir(exist_ok=True)
    (directory / "out.yaml").write_text(output)
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "$@" > "{directory}/{name}.args"\ncat "{directory}/out.yaml"\n'
                      + (f'echo "Error: chart not found" >&2\nexit {status}\n' if status else ""))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def run(args: list[str], path: Path) -> object:
    return CliRunner().invoke(app, args, env={"PATH": f"{path}{os.pathsep}/usr/bin:/bin"})


QUERY = ["query", "--from", "shop/web", "--to", "shop/db", "--port", "5432", "-o", "json"]


def test_helm_renders_the_chart_with_values_release_and_namespace(tmp_path: Path) -> None:
    tools = fake_tool(tmp_path / "bin", "helm", RENDERED)
    result = run([*QUERY, "--helm", "charts/shop", "--values", "prod.yaml", "--release", "r1", "-n", "shop"], tools)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "allow"
    assert (tools / "helm.args").read_text().split() == [
        "template", "r1", "charts/shop", "--values", "prod.yaml", "--namespace", "shop"]


def test_kustomize_builds_with_kubectl(tmp_path: Path) -> None:
    tools = fake_tool(tmp_path / "bin", "kubectl", RENDERED)
    result = run([*QUERY, "-k", "overlays/prod"], tools)
    assert result.exit_code == 0, result.output
    assert (tools / "kubectl.args").read_text().split() == ["kustomize", "overlays/prod"]


def test_a_failing_render_shows_the_tools_last_words(tmp_path: Path) -> None:
    tools = fake_tool(tmp_path / "bin", "helm", "", status=1)
    result = run([*QUERY, "--helm", "nope"], tools)
    assert result.exit_code == 2
    assert "--helm: `helm template release nope` failed (exit 1): Error: chart not found" in result.output


@pytest.mark.parametrize("option, message", [
    ("--helm", "--helm needs helm, which is not installed (not on PATH)"),
    ("-k", "-k needs kubectl or kustomize, and neither is installed (not on PATH)"),
])
def test_a_missing_tool_says_so(tmp_path: Path, option: str, message: str) -> None:
    result = CliRunner().invoke(app, [*QUERY, option, "x"], env={"PATH": str(tmp_path)})
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.skipif(__import__("shutil").which("kubectl") is None, reason="kubectl is not installed")
def test_the_shop_example_through_real_kubectl_kustomize() -> None:
    result = CliRunner().invoke(app, ["query", "-k", "examples/shop/kustomize", "--from", "shop/web",
                                      "--to", "shop/db", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["allowed_ports"] == "5432"
