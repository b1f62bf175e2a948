"""`netpolicy report`: one offline HTML page of the connectivity, with the explanation of every flow."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from netpolicy.cli.diff import before_side, check_before_side
from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.inputs import current_inputs
from netpolicy.cli.shared import Files, input_errors, read
from netpolicy.errors import InputError


@with_engine_options
def report(
    files: Files = [],  # noqa: B006 - typer reads the default
    output: Annotated[str, typer.Option("-o", "--output", help="The HTML file to write.")] = "report.html",
    diff: Annotated[bool, typer.Option("--diff", help="Show a change: --before PATH or --git REF is the old side.")] = False,
    before: Annotated[list[str], typer.Option(
        "--before", help="The configuration before the change (repeatable; implies --diff).")] = [],  # noqa: B006
    after: Annotated[list[str], typer.Option(
        "--after", help="The configuration after the change (repeatable).")] = [],  # noqa: B006
    git: Annotated[str | None, typer.Option(
        "--git", help="The before side from this git revision of the same paths (implies --diff).")] = None,
    expect: Annotated[list[str], typer.Option(
        "--expect", help="Expectations file whose results the page lists (repeatable).")] = [],  # noqa: B006
    title: Annotated[str, typer.Option("--title", help="The page's title.")] = "",
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """One offline HTML page: the connectivity graph and matrix, and why each flow is allowed or not."""
    with input_errors():
        from netpolicy.render.html.build import ReportArgs, write_report

        options = engine.options()
        after_paths = [*after, *files]
        current_inputs(after_paths).check()
        diff = diff or bool(before) or git is not None
        check_before_side(git, before)
        if diff and git is None and not before:
            raise InputError("--diff needs the before side: give --before PATH or --git REF")
        old = before_side(git, before, after_paths, options) if diff else None
        if not title and not after_paths:
            title = ("change to " if diff else "") + ", ".join(current_inputs(after_paths).describe())
        args = ReportArgs(after_paths, options, output, title, expect, old)
        print(write_report(args, read), file=sys.stderr)
