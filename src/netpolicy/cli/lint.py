"""`netpolicy lint`: findings as text, JSON, SARIF or GitHub annotations; exit 1 at `--fail-on`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.shared import (
    Files,
    console,
    input_errors,
    load,
)


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


@with_engine_options
def lint(
    files: Files = [],  # noqa: B006
    output: Annotated[LintFormat, typer.Option("-o", "--output", help="Output format.")] = LintFormat.text,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a finding is at or above this severity.")] = FailOn.error,
    config: Annotated[str | None, typer.Option(
        "--config", help="Lint configuration file (default: .netpolicy.yaml in the working directory).")] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    show_info: Annotated[bool, typer.Option(
        "--show-info", help="List info findings in text output too (they are counted, not listed, by default; "
        "--fail-on info lists them).")] = False,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Find mistakes: rules that do not do what they seem to, blocked DNS, selectors that select nothing."""
    findings = []
    with input_errors():
        from netpolicy import api
        from netpolicy.analysis.lint import RULES, at_or_above, load_config

        if list_rules:
            from netpolicy.render.lint.text import render_rules_text

            render_rules_text(RULES, console())
            return
        lint_config = load_config(config)
        options = engine.options()
        cluster = load(files, options)
        findings = api.lint(cluster, options, lint_config)
        if output is LintFormat.json:
            from netpolicy.render.lint.json_out import findings_json

            print(json.dumps(findings_json(findings), indent=2))
        elif output is LintFormat.sarif:
            from netpolicy.render.lint.sarif import findings_sarif

            print(json.dumps(findings_sarif(findings, RULES), indent=2))
        elif output is LintFormat.github:
            from netpolicy.render.lint.github import github_annotations

            sys.stdout.write(github_annotations(findings))
        else:
            from netpolicy.render.lint.text import render_findings_text

            render_findings_text(findings, console(), show_info=show_info or fail_on is FailOn.info)
    if fail_on is not FailOn.never and any(at_or_above(f.severity, fail_on.value) for f in findings):
        raise typer.Exit(1)
