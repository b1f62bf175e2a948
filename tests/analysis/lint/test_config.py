"""`.netpolicy.yaml`: disabling rules, changing severities, rule options, and errors that point at the line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from netpolicy.analysis.lint import RULES, LintConfig, load_config
from netpolicy.analysis.lint.config import parse_config
from netpolicy.cli import app
from netpolicy.errors import InputError

from .support import k8s_policy, lint, shop

DENY_ALL = k8s_policy("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


@pytest.mark.parametrize("value", ["off", "false", "disable", "{enabled: false}"])
def test_a_rule_can_be_turned_off(value):
    config = parse_config(f"lint:\n  rules:\n    dns-egress-blocked: {value}\n", "cfg.yaml", RULES)
    assert not config.enabled("dns-egress-blocked")
    assert not [f for f in lint(shop(DENY_ALL), config=config) if f.rule == "dns-egress-blocked"]


def test_severity_override_wins_over_the_rules_own():
    config = parse_config("lint:\n  rules:\n    dns-egress-blocked: {severity: info}\n", "cfg.yaml", RULES)
    findings = [f for f in lint(shop(DENY_ALL), config=config) if f.rule == "dns-egress-blocked"]
    assert findings and {f.severity for f in findings} == {"info"}


def test_rule_options_are_read():
    config = parse_config("lint:\n  rules:\n    dns-egress-blocked:\n      labels: {app: coredns}\n"
                          "      namespace: dns\n", "cfg.yaml", RULES)
    settings = config.settings("dns-egress-blocked", RULES["dns-egress-blocked"].OPTIONS)
    assert settings == {"labels": {"app": "coredns"}, "namespace": "dns", "address": ""}


@pytest.mark.parametrize("text, line, says", [
    ("lint:\n  rules:\n    dns-egres-blocked: off\n", 3, "did you mean dns-egress-blocked?"),
    ("lint:\n  rules:\n    source-port-rule:\n      severity: fatal\n", 4, "is not a severity"),
    ("lint:\n  rules:\n    dns-egress-blocked:\n      zone: x\n", 4, "has no option 'zone'"),
    ("lint:\n  rules:\n    mergeable-policies: {min-namespaces: many}\n", 3, "is not a whole number"),
    ("lint:\n  rulez: {}\n", 2, "unknown key 'rulez'"),
    ("lint: [\n", None, "valid YAML"),
])
def test_bad_configuration_points_at_the_line(text, line, says):
    with pytest.raises(InputError) as caught:
        parse_config(text, "cfg.yaml", RULES)
    problem = caught.value.problem
    assert says in str(problem)
    if line is not None:
        assert problem.location.line == line


def test_project_file_is_found_in_the_working_directory(tmp_path):
    assert load_config(cwd=tmp_path) == LintConfig()
    (tmp_path / ".netpolicy.yaml").write_text("lint:\n  rules:\n    unprotected-namespace: off\n")
    assert not load_config(cwd=tmp_path).enabled("unprotected-namespace")


def test_an_explicit_file_must_exist(tmp_path):
    with pytest.raises(InputError):
        load_config(str(tmp_path / "missing.yaml"))


def test_cli_reads_config_and_exits_2_on_a_bad_one(example, tmp_path):
    files = ["-f", str(example / "manifests"), "-f", str(example / "calico-policies")]
    quiet = tmp_path / "quiet.yaml"
    quiet.write_text("lint:\n  rules:\n    dns-egress-blocked: {severity: warning}\n")
    assert CliRunner().invoke(app, ["lint", *files]).exit_code == 1
    assert CliRunner().invoke(app, ["lint", *files, "--config", str(quiet)]).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("lint:\n  rules:\n    no-such-rule: off\n")
    result = CliRunner().invoke(app, ["lint", *files, "--config", str(broken)])
    assert result.exit_code == 2
    assert "broken.yaml:3" in result.output
