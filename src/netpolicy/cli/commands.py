"""The `netpolicy` app: one line per command, in the order `--help` lists them, and the entry point."""

from __future__ import annotations

import sys

import typer

from netpolicy.cli import diff, endpoints, expectations, lab, lint, matrix, policies, query, report
from netpolicy.cli.inputs import with_inputs

app = typer.Typer(
    name="netpolicy",
    help="What your Kubernetes and Calico network policies really allow, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(with_inputs(matrix.matrix))
app.command()(with_inputs(query.query))
app.command()(with_inputs(policies.policies))
app.command()(with_inputs(endpoints.endpoints))
app.command()(with_inputs(diff.diff))
app.command("test")(with_inputs(expectations.run_expectations, paths=False))
app.command()(with_inputs(lint.lint))
app.command()(with_inputs(report.report))
app.add_typer(lab.lab_app, name="lab")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
