"""`query` shows the lint findings of the rules a flow passes through."""

from __future__ import annotations

from typer.testing import CliRunner

from netpolicy.cli import app
from tests.conftest import EXAMPLE

RUNNER = CliRunner()


def _query(policies: str, *args: str) -> dict:
    import json

    result = RUNNER.invoke(app, ["query", "-f", str(EXAMPLE / "manifests"), "-f", str(EXAMPLE / policies),
                                 *args, "-o", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_source_port_rule_finding_is_shown_on_the_step_that_used_it():
    out = _query("calico-policies", "--from", "trojanwall/postgresql", "--to", "trojanwall/trojanwall-django",
                 "--port", "8000", "--src-port", "5432")
    step = out["egress"]["trace"][-1]
    assert step["rule"] == "egress[0]" and step["action"] == "Allow"
    assert any("source-port-rule" in f for f in step["findings"])


def test_clean_rules_carry_no_findings_and_never_turns_them_off():
    fixed = _query("fixed-policies", "--from", "trojanwall/trojanwall-django", "--to", "trojanwall/postgresql",
                   "--port", "5432")
    assert all("findings" not in step for side in ("egress", "ingress") for step in fixed[side]["trace"])
    off = _query("calico-policies", "--from", "trojanwall/postgresql", "--to", "trojanwall/trojanwall-django",
                 "--port", "8000", "--src-port", "5432", "--findings", "never")
    assert all("findings" not in step for side in ("egress", "ingress") for step in off[side]["trace"])
