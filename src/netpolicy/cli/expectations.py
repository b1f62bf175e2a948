"""`netpolicy test`: check expectations files against the matrix; exit 1 when one fails."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.inputs import current_inputs
from netpolicy.cli.shared import (
    Files,
    Output,
    TextOrJson,
    console,
    input_errors,
    print_warnings,
    read,
)
from netpolicy.errors import InputError


@with_engine_options
def run_expectations(
    expectations: Annotated[list[str], typer.Argument(help="Expectations files (YAML).", show_default=False)],
    files: Files = [],  # noqa: B006
    output: Output = TextOrJson.text,
    junit: Annotated[str | None, typer.Option(
        "--junit", help="Also write the results as JUnit XML to this file.")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show details of passing expectations too.")] = False,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Check expectations (who must and must not reach whom); exit 1 when any fails."""
    with input_errors():
        options = engine.options()
        current_inputs(files).check()
        from netpolicy.analysis.expectations.check import check_expectations
        from netpolicy.analysis.expectations.load import load_suites
        from netpolicy.analysis.expectations.pods import load_with_pods

        suites = load_suites(expectations)
        cluster = load_with_pods(files, [p for s in suites for p in s.pods], options,
                                 read=lambda paths, stdin, extra: read(paths, options, stdin=stdin, objects=extra))
        print_warnings(cluster.warnings)
        report = check_expectations(cluster, suites, options)
        if junit is not None:
            from netpolicy.render.expectations.junit import report_junit

            try:
                with open(junit, "w", encoding="utf-8") as handle:
                    handle.write(report_junit(report))
            except OSError as exc:
                raise InputError(f"--junit: cannot write {junit}: {exc.strerror}") from None
        if output is TextOrJson.json:
            from netpolicy.render.expectations.json_out import report_json

            print(json.dumps(report_json(report), indent=2))
        else:
            from netpolicy.render.expectations.text import render_report_text

            render_report_text(report, console(), verbose)
    if not report.ok:
        raise typer.Exit(1)
