"""`netpolicy diff --git REF -f PATH`: the before side is the same paths at a git revision."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netpolicy.analysis.diff.git import GitSnapshot
from netpolicy.cli import app
from netpolicy.errors import InputError
from tests.analysis.diff.test_diff import BASE, ISOLATE_B, pod

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose `deploy/` gains a policy after the first commit and loses `extra.yaml`."""
    deploy = tmp_path / "deploy"
    (deploy / "policies").mkdir(parents=True)
    (deploy / "cluster.yaml").write_text(yaml.safe_dump_all(BASE))
    (deploy / "extra.yaml").write_text(yaml.safe_dump(pod("x", "extra", "10.0.0.9", app="extra")))
    (deploy / "README.md").write_text("not an input\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "before")
    (deploy / "policies" / "b.yaml").write_text(yaml.safe_dump(ISOLATE_B))
    (deploy / "extra.yaml").unlink()
    return tmp_path


def test_snapshot_copies_the_paths_as_they_were(repo, monkeypatch):
    monkeypatch.chdir(repo)
    with GitSnapshot("HEAD", ["deploy", "deploy/extra.yaml", "deploy/policies"]) as snapshot:
        assert snapshot.paths == ["deploy", "deploy/extra.yaml"]
        assert snapshot.missing == ["deploy/policies"]
        with snapshot.inside():
            assert sorted(str(p) for p in Path("deploy").rglob("*")) == ["deploy/cluster.yaml", "deploy/extra.yaml"]
        root = snapshot.root
    assert not root.exists()


def test_snapshot_from_a_subdirectory_keeps_relative_paths(repo, monkeypatch):
    monkeypatch.chdir(repo / "deploy")
    with GitSnapshot("HEAD", ["cluster.yaml"]) as snapshot, snapshot.inside():
        assert Path("cluster.yaml").read_text() == (repo / "deploy" / "cluster.yaml").read_text()


@pytest.mark.parametrize(("ref", "paths", "message"), [
    ("no-such-ref", ["deploy"], "is not a revision"),
    ("HEAD", ["-"], "standard input has no earlier revision"),
    ("HEAD", ["/"], "outside the repository"),
])
def test_snapshot_errors(repo, monkeypatch, ref, paths, message):
    monkeypatch.chdir(repo)
    with pytest.raises(InputError, match=message), GitSnapshot(ref, paths):
        pass


def test_cli_diff_against_head(repo, monkeypatch):
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["diff", "--git", "HEAD", "-f", "deploy", "-o", "json", "--exit-code"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["endpoints_removed"] == ["x/extra"]
    row = next(c for c in data["changes"] if (c["from"], c["to"]) == ("x/a", "x/b"))
    assert row["newly_allowed"] == []
    assert {"protocol": "TCP", "ports": "1-79,81-65535"} in row["newly_blocked"]
    (blocked,) = [e for e in row["explanations"] if e["change"] == "blocked"]
    assert blocked["after"]["ingress"]["trace"][-1]["action"] == "EndOfTier"


def test_cli_diff_unchanged_revision_exits_zero(repo, monkeypatch):
    monkeypatch.chdir(repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "after")
    result = CliRunner().invoke(app, ["diff", "--git", "HEAD", "-f", "deploy", "--exit-code"])
    assert result.exit_code == 0, result.output
    assert "no change in connectivity" in result.stdout


def test_cli_diff_before_side_errors_name_the_revision(repo, monkeypatch):
    monkeypatch.chdir(repo)
    (repo / "deploy" / "cluster.yaml").write_text("kind: [unclosed\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "broken")
    (repo / "deploy" / "cluster.yaml").write_text(yaml.safe_dump_all(BASE))
    result = CliRunner().invoke(app, ["diff", "--git", "HEAD", "-f", "deploy"])
    assert result.exit_code == 2
    assert "HEAD:deploy/cluster.yaml:" in result.stderr
