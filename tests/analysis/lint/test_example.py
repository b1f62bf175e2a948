"""The article's example: what lint must say about its policies, at which file and line; and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app

from .support import lint_paths

K8S_FILE = "k8s-policies/app-db-default-deny.yaml"
CUSTOM_FILE = "k8s-policies/deny-custom-network.yaml"
CALICO_FILE = "calico-policies/app-db-default-deny.yaml"


@pytest.fixture(scope="module")
def k8s_findings(example):
    return lint_paths([example / "manifests", example / "k8s-policies"])


@pytest.fixture(scope="module")
def calico_findings(example):
    return lint_paths([example / "manifests", example / "calico-policies"])


def _at(findings, rule: str, file: str, line: int):
    return [f for f in findings if f.rule == rule and f.file.endswith(file) and f.line == line]


@pytest.mark.parametrize("workload", ["trojanwall/trojanwall-django", "trojanwall/trojanwall-db-migrate-job"])
@pytest.mark.parametrize("policies, file, line", [
    ("k8s", K8S_FILE, 80),      # default-deny-all-network-policy policyTypes: - Egress
    ("calico", CALICO_FILE, 83),  # default-deny types: - Egress
])
def test_blocked_dns_of_the_app_and_the_job(k8s_findings, calico_findings, workload, policies, file, line):
    findings = k8s_findings if policies == "k8s" else calico_findings
    hits = [f for f in _at(findings, "dns-egress-blocked", file, line) if f.message.startswith(workload + " ")]
    assert len(hits) == 1, [f.message for f in findings if f.rule == "dns-egress-blocked"]
    assert "names a Service" in hits[0].message


def test_calico_dns_of_the_app_is_an_error_because_it_names_the_database_service(calico_findings):
    errors = {f.message.split(" ")[0] for f in calico_findings if f.rule == "dns-egress-blocked" and f.severity == "error"}
    assert errors == {"trojanwall/trojanwall-django", "trojanwall/trojanwall-db-migrate-job"}


def test_k8s_dns_of_the_app_only_passes_through_the_custom_ipblock(k8s_findings):
    django = next(f for f in k8s_findings if f.rule == "dns-egress-blocked"
                  and f.message.startswith("trojanwall/trojanwall-django "))
    assert "trojanwall/deny-custom-policy-app egress[0]" in django.message


@pytest.mark.parametrize("line, policy, rule", [
    (29, "trojanwall-app-traffic-network-policy", "ingress[0]"),   # from the database on 5432
    (56, "trojanwall-db-traffic-network-policy", "egress[0]"),     # to the app on 8000
])
def test_reply_direction_rules(k8s_findings, line, policy, rule):
    hits = _at(k8s_findings, "reply-direction-rule", K8S_FILE, line)
    assert len(hits) == 1
    assert hits[0].object == f"trojanwall/NetworkPolicy/{policy}"
    assert f"{policy} {rule}" in hits[0].message


@pytest.mark.parametrize("line, policy", [
    (24, "trojanwall-app-traffic-network-policy"),   # source: ports: [8000]
    (60, "trojanwall-db-traffic-network-policy"),    # source: ports: [5432]
])
def test_calico_source_port_rules(calico_findings, line, policy):
    hits = _at(calico_findings, "source-port-rule", CALICO_FILE, line)
    assert [f.object for f in hits] == [f"trojanwall/NetworkPolicy/{policy}"]


@pytest.mark.parametrize("line, direction", [(18, "egress"), (24, "ingress")])
def test_except_range_cuts_calicos_default_pool(k8s_findings, line, direction):
    hits = _at(k8s_findings, "ipblock-covers-pods", CUSTOM_FILE, line)
    assert len(hits) == 1
    assert hits[0].severity == "warning"
    assert f"{direction}[0]" in hits[0].message
    assert "192.168.163.0/24" in hits[0].message and "192.168.0.0/16" in hits[0].message


def test_the_corrected_policies_lint_clean(example):
    assert lint_paths([example / "manifests", example / "fixed-policies"]) == []


@pytest.mark.parametrize("policies", ["k8s-policies", "calico-policies"])
def test_fail_on_warning_exits_1(example, policies):
    result = CliRunner().invoke(app, ["lint", "-f", str(example / "manifests"), "-f", str(example / policies),
                                      "--fail-on", "warning"])
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize("fail_on, code", [("error", 0), ("never", 0), ("warning", 1), ("info", 1)])
def test_fail_on_thresholds_on_the_k8s_policies(example, fail_on, code):
    # The Kubernetes set has warnings and info findings but no error.
    result = CliRunner().invoke(app, ["lint", "-f", str(example / "manifests"), "-f", str(example / "k8s-policies"),
                                      "--fail-on", fail_on, "-o", "json"])
    assert result.exit_code == code, result.output


def test_errors_fail_by_default(example):
    result = CliRunner().invoke(app, ["lint", "-f", str(example / "manifests"), "-f", str(example / "calico-policies")])
    assert result.exit_code == 1
    assert "dns-egress-blocked" in result.output


def test_json_output_follows_the_interface(example):
    result = CliRunner().invoke(app, ["lint", "-f", str(example / "manifests"), "-f", str(example / "k8s-policies"),
                                      "-o", "json", "--fail-on", "never"])
    findings = json.loads(result.output)["findings"]
    assert findings
    for finding in findings:
        assert set(finding) == {"rule", "severity", "message", "object", "file", "line", "suggestion"}
        assert finding["severity"] in ("error", "warning", "info")
        assert isinstance(finding["line"], int)


def test_bad_input_exits_2(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x}\nspec: [\n")
    result = CliRunner().invoke(app, ["lint", "-f", str(broken)])
    assert result.exit_code == 2
    assert "broken.yaml" in result.output


def test_list_rules(example):
    from netpolicy.analysis.lint import RULES

    result = CliRunner().invoke(app, ["lint", "--list-rules"])
    assert result.exit_code == 0
    assert all(rule_id in result.output for rule_id in RULES)
