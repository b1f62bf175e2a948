"""Every misuse the hostile-input review found: one located line, exit 2, never a traceback or a hang.

What the process itself does (its streams' encoding, a closed stdin, a FIFO) runs `python -m netpolicy`;
the error messages run the command in this process (an unexpected exception there is exit 1, not 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app

POD = """apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {labels}}}
status: {{podIP: "{ip}"}}
"""


def run(args: list[str], cwd: Path, stdin=subprocess.DEVNULL, env: dict | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netpolicy", *args], cwd=cwd, stdin=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def invoke(args: list[str], cwd: Path, monkeypatch) -> subprocess.CompletedProcess:
    """The command run in this process from `cwd`: exit code, stdout and stderr as `run` gives them."""
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, args)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def pod(name="a", ns="x", labels="{app: a}", ip="10.0.0.1") -> str:
    return POD.format(name=name, ns=ns, labels=labels, ip=ip)


def assert_clean_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def cluster(tmp_path) -> Path:
    (tmp_path / "c.yaml").write_text(pod() + "---\n" + pod("b", labels="{app: b}", ip="10.0.0.2"))
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (["matrix", "--group-by", "class", "--max-members", "-1"], ["--max-members"]),
    (["matrix", "--calico-version", "-1.-1"], ["--calico-version"]),
    (["query", "--from", "x/a", "--to", "x/b", "--port", "0"], ["--port", "1-65535"]),
    (["query", "--from", "x/a", "--to", "x/b", "--protocol", "ICMP", "--port", "300"], ["ICMP type"]),
    (["lab", "verify", "--timeout", "nan"], ["--timeout"]),
    (["lab", "verify", "--timeout", "-1"], ["--timeout"]),
    (["lab", "verify", "--ports", "tcp/0"], ["--ports"]),
])
def test_out_of_range_options_are_errors(cluster, args, words, monkeypatch):
    assert_clean_error(invoke([*args, "-f", "c.yaml"], cluster, monkeypatch), *words)


@pytest.mark.parametrize("text, words", [
    (pod(name="Deployment/web"), ["metadata.name"]),
    (pod(name="a b"), ["metadata.name"]),
    (pod(name="UPPER"), ["metadata.name"]),
    (pod(ns='"x\\x1b[31m"'), ["metadata.namespace"]),
    (pod(labels="{app: 'a b'}"), ["metadata.labels.app"]),
    (pod(labels="{" + "k" * 64 + ": v}"), ["metadata.labels"]),
    (pod(labels="{app: " + "v" * 64 + "}"), ["metadata.labels.app"]),
    (pod(ip="fe80::1%eth0"), ["status.podIP"]),
    (pod(ip="::ffff:10.0.0.1"), ["status.podIP"]),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n  replicas: "
     "1000000000000\n  selector: {matchLabels: {app: d}}\n  template: {metadata: {labels: {app: d}}}\n",
     ["spec.replicas"]),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n"
     "  selector: {matchLabels: {app: d}}\n  template: {metadata: {labels: {app: e}}}\n", ["spec.selector"]),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, annotations: {k: '" + "v" * 300_000 + "'}}\n",
     ["metadata.annotations"]),
    ('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"x": ' + "9" * 5000 + "}}",
     ["64-bit"]),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 0x" + "f" * 5000 + "}\n",
     ["64-bit"]),
])
def test_invalid_input_is_a_located_error(tmp_path, text, words, monkeypatch):
    (tmp_path / "in.yaml").write_text(text)
    result = invoke(["matrix", "-f", "in.yaml"], tmp_path, monkeypatch)
    assert_clean_error(result, "in.yaml:", *words)


def test_lone_surrogates_never_crash_an_output(tmp_path):
    (tmp_path / "in.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},'
        ' "status": {"podIP": "10.0.0.1"}}\n'
        '{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "p"},'
        ' "spec": {"selector": "app == \'\\ud800\\u001b\'", "ingress": [{"action": "Allow"}]}}\n')
    for args in (["matrix"], ["matrix", "-o", "csv"], ["matrix", "-o", "md"], ["lint"], ["lint", "-o", "github"],
                 ["policies"], ["query", "--from", "x/a", "--to", "10.1.1.1", "--port", "80"]):
        result = run([*args, "-f", "in.json"], tmp_path)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert "\x1b" not in result.stdout + result.stderr


def test_closed_stdin_and_endless_input(tmp_path):
    result = subprocess.run([sys.executable, "-m", "netpolicy", "matrix", "-f", "-"], cwd=tmp_path, stdin=None,
                            capture_output=True, text=True, timeout=60, close_fds=True,
                            preexec_fn=lambda: os.close(0))
    assert_clean_error(result, "stdin")
    assert_clean_error(run(["matrix", "-f", "/dev/zero"], tmp_path, env={"NETPOLICY_MAX_INPUT_MB": "2"}), "2 MB")


def test_fifo_in_an_input_folder_is_skipped(cluster):
    os.mkfifo(cluster / "pipe.yaml")
    result = run(["matrix", "-f", "."], cluster, timeout=30)
    assert result.returncode == 0 and "not a regular file" in result.stderr


@pytest.mark.parametrize("ports", ["ports:", "ports: []", "protocol: []"])
def test_expectations_that_check_nothing_are_errors(cluster, ports, monkeypatch):
    (cluster / "e.yaml").write_text(f"expectations:\n- name: n\n  from: x/a\n  to: x/b\n  expect: deny\n  {ports}\n")
    assert_clean_error(invoke(["test", "e.yaml", "-f", "c.yaml"], cluster, monkeypatch), "checks nothing")


def test_lint_config_with_a_top_level_typo_is_an_error(cluster, monkeypatch):
    (cluster / "cfg.yaml").write_text("lnt:\n  rules: {}\n")
    assert_clean_error(invoke(["lint", "--config", "cfg.yaml", "-f", "c.yaml"], cluster, monkeypatch), "did you mean lint")


def test_unexpected_errors_become_one_line(monkeypatch, capsys):
    from netpolicy.cli import commands as cli

    def boom():
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "RuntimeError: boom" in err
    monkeypatch.setenv("NETPOLICY_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main()
