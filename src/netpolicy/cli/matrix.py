"""`netpolicy matrix`: who can reach whom, as a table, JSON, CSV or Markdown."""

from __future__ import annotations

import os
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
    say,
)
from netpolicy.errors import InputError

LARGE_MATRIX = 5000  # endpoints above which `matrix` suggests --group-by class


def screen_rows() -> int:
    """Rows a text table may have before it is grouped: the terminal's height, or a default when piped."""
    from netpolicy.render.matrix_tables import GROUP_AFTER

    return max(os.get_terminal_size().lines - 5, 10) if sys.stdout.isatty() else GROUP_AFTER


class MatrixForm(StrEnum):
    auto = "auto"
    pairs = "pairs"
    compact = "compact"


class MatrixFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    md = "md"
    dot = "dot"
    mermaid = "mermaid"


@with_engine_options
def matrix(
    files: Files = [],  # noqa: B006 - typer reads the default
    output: Annotated[MatrixFormat, typer.Option("-o", "--output", help="Output format.")] = MatrixFormat.text,
    group_by: Annotated[str, typer.Option("--group-by", help="endpoint, or class: endpoints that behave identically.")] = "endpoint",
    max_members: Annotated[int, typer.Option(
        "--max-members", min=1, help="With --group-by class: members listed per class.")] = 50,
    form: Annotated[MatrixForm, typer.Option("--form", help=(
        "pairs: every allowed pair; compact: per class what its policies allow, pairs left implicit "
        "(-o json); auto: compact JSON or a text summary above 200,000 pairs."))] = MatrixForm.auto,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Who can reach whom, on which protocols and ports."""
    with input_errors():
        options = engine.options()
        if group_by not in ("endpoint", "class"):
            raise InputError(f"--group-by: {group_by!r} is not a grouping", expected="endpoint or class")
        if group_by == "class" and output not in (MatrixFormat.json, MatrixFormat.text):
            raise InputError("--group-by class supports -o json and -o text")
        if form is MatrixForm.compact and output is not MatrixFormat.json:
            raise InputError("--form compact is a JSON document", suggestion="-o json --form compact")
        cluster = load(files, options)
        from netpolicy import api
        from netpolicy.engine.node_service_ips import matrix_notes

        for note in matrix_notes(cluster):
            say(note)
        from netpolicy.cli.lasting import keep
        from netpolicy.progress import Progress
        from netpolicy.render import matrix_out, matrix_tables
        from netpolicy.render.matrix_forms import write_compact_or_summary
        from netpolicy.sources.bulk import gc_paused

        with Progress() as progress, gc_paused():  # the engine's data is acyclic: no collection pays off
            result = api.matrix(cluster, options, progress.stage)
            keep(cluster, result)  # freed by the end of the process, not object by object
            if form != "pairs" and write_compact_or_summary(result, output, form, group_by, sys.stdout,
                                                            progress.stage):
                return
            if group_by == "class" and output is MatrixFormat.json:
                matrix_out.stream_matrix_json(result, sys.stdout, group_by_class=True, max_members=max_members,
                                              progress=progress.stage)
                return
        if group_by == "endpoint" and len(result.endpoints) > LARGE_MATRIX:
            print(f"warning: {len(result.endpoints):,} endpoints: listing every pair is slow and large; "
                  "--group-by class lists classes of endpoints that behave identically", file=sys.stderr)
        if group_by == "class":
            matrix_out.render_classes_text(result, console())
        elif output is MatrixFormat.json:
            matrix_out.stream_matrix_json(result, sys.stdout)
        elif output is MatrixFormat.csv:
            matrix_tables.write_csv(result, sys.stdout)
        elif output is MatrixFormat.md:
            matrix_tables.write_markdown(result, sys.stdout)
        elif output in (MatrixFormat.dot, MatrixFormat.mermaid):
            from netpolicy.render.graph_model import matrix_graph

            if output is MatrixFormat.dot:
                from netpolicy.render.graph_dot import graph_dot as draw
            else:
                from netpolicy.render.graph_mermaid import graph_mermaid as draw
            sys.stdout.write(draw(matrix_graph(result)))
        else:
            matrix_tables.write_text(result, sys.stdout, screen_rows())
