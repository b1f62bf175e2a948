"""The trojanwall expectations: the article's policies fail them for the article's mistakes; the fix passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.analysis.expectations.check import FAIL, PASS, check_expectations
from netpolicy.analysis.expectations.load import load_suites
from netpolicy.analysis.expectations.pods import load_with_pods
from netpolicy.cli import app
from netpolicy.options import Options

DNS = "the app and its migration job can resolve names (UDP and TCP 53 to the cluster DNS)"
DB_OPENS = "the database opens no connections, DNS lookups aside"
APP_OPENS = "the app opens connections to the database and the cluster DNS only"
OUTSIDE_ONLY_8000 = "from outside the cluster, the app is reachable on TCP 8000 and on nothing else"


@pytest.fixture
def expectations(example: Path) -> Path:
    path = example / "expectations.yaml"
    if not path.exists() or not (example / "manifests").is_dir():
        pytest.skip("the trojanwall example is not present")
    return path


def _run(example: Path, expectations: Path, *policies: str):
    suites = load_suites([str(expectations)])
    paths = [str(example / "manifests"), *(str(example / p) for p in policies)]
    cluster = load_with_pods(paths, [p for s in suites for p in s.pods], Options())
    return {o.expectation.name: o for o in check_expectations(cluster, suites).outcomes}


def test_fixed_policies_meet_every_expectation(example, expectations):
    outcomes = _run(example, expectations, "fixed-policies")
    assert {name: o.status for name, o in outcomes.items() if o.status != PASS} == {}


def test_the_articles_kubernetes_policies_fail_for_its_mistakes(example, expectations):
    outcomes = _run(example, expectations, "k8s-policies")
    failing = {name for name, o in outcomes.items() if o.status == FAIL}
    assert failing == {DB_OPENS, OUTSIDE_ONLY_8000, APP_OPENS}
    # The database's egress rule to the app on 8000 is written for replies, which need no rule.
    opens = outcomes[DB_OPENS].failures
    assert {(f.source.id, f.destination.id) for f in opens} == {
        ("trojanwall/postgresql", "trojanwall/trojanwall-django"),
        ("trojanwall/postgresql", "trojanwall/trojanwall-db-migrate-job")}
    egress = opens[0].flow.egress.trace[-1]
    assert (egress.policy, egress.rule) == ("trojanwall/trojanwall-db-traffic-network-policy", "egress[0]")
    # deny-custom-policy-app allows every port from (and to) every address but 192.168.163.0/24.
    wide = outcomes[OUTSIDE_ONLY_8000].failures[0].flow.ingress.trace[-1]
    assert wide.policy == "trojanwall/deny-custom-policy-app"


def test_without_the_wide_policy_dns_is_blocked_by_default_deny(example, expectations):
    outcomes = _run(example, expectations, "k8s-policies/app-db-default-deny.yaml")
    dns = outcomes[DNS]
    assert dns.status == FAIL and dns.failing_pairs == 2
    step = dns.failures[0].flow.egress.trace[-1]
    assert step.action == "EndOfTier"
    assert "trojanwall/default-deny-all-network-policy" in step.reason


def test_the_articles_calico_policies_fail_on_source_ports(example, expectations):
    outcomes = _run(example, expectations, "calico-policies")
    assert outcomes[DNS].status == FAIL
    opens = outcomes[DB_OPENS]
    assert opens.status == FAIL
    assert opens.failures[0].flow.src_port == 5432


def test_cli_exit_codes_and_junit(example, expectations, tmp_path):
    runner = CliRunner()
    args = ["test", str(expectations), "-f", str(example / "manifests")]
    failing = runner.invoke(app, [*args, "-f", str(example / "k8s-policies"), "--junit", str(tmp_path / "j.xml")])
    assert failing.exit_code == 1, failing.output
    assert "5 of 8 expectations hold; 3 fail." in failing.stdout
    assert (tmp_path / "j.xml").read_text().count("<failure") == 3
    passing = runner.invoke(app, [*args, "-f", str(example / "fixed-policies"), "-o", "json"])
    assert passing.exit_code == 0, passing.output
    assert json.loads(passing.stdout)["summary"] == {"expectations": 8, "passed": 8, "failed": 0, "errors": 0}


@pytest.mark.parametrize(("args", "message"), [
    (["test", "missing.yaml", "-f", "x.yaml"], "cannot read the expectations file"),
    (["test", "whatever.yaml"], "no input"),
])
def test_cli_bad_input_exits_two(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
