"""The `netpolicy` app: one line per command, in the order `--help` lists them, and the entry point."""

from __future__ import annotations

import os
import sys

import typer

from netpolicy.cli import diff, endpoints, expectations, lab, lasting, lint, matrix, policies, query, report
from netpolicy.cli.inputs import with_inputs
from netpolicy.cli.shared import say

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
    """Console-script entry point: any unexpected error becomes one line and exit 2 (NETPOLICY_DEBUG=1: traceback)."""
    try:
        lasting.forget()
        try:
            app()
        except SystemExit as done:
            lasting.exit_now(done.code)
            raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the reader left: say nothing more
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the guard of last resort
        if os.environ.get("NETPOLICY_DEBUG") == "1":
            raise
        say(internal_error(exc))
        sys.exit(2)


def internal_error(exc: BaseException) -> str:
    """`netpolicy: internal error at FILE:LINE: Type: message` for an error no check anticipated."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    message = str(exc).splitlines()[0][:300] if str(exc) else ""
    return (f"netpolicy: internal error{place}: {type(exc).__name__}: {message} "
            "(please report it; NETPOLICY_DEBUG=1 shows the traceback)")
