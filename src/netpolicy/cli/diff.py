"""`netpolicy diff`: what a change newly allows and newly blocks: the before side from paths or a git revision,
the after side from paths and the input options (--helm, -k, a live cluster)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.shared import (
    console,
    input_errors,
    load,
    other_inputs,
    say,
)
from netpolicy.errors import InputError
from netpolicy.options import Options


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"
    mermaid = "mermaid"


class DiffGrouping(StrEnum):
    auto = "auto"
    pair = "pair"
    klass = "class"


@with_engine_options
def diff(
    before: Annotated[list[str], typer.Option(
        "--before", help="The configuration before the change: file, directory or - (repeatable).")] = [],  # noqa: B006
    after: Annotated[list[str], typer.Option(
        "--after", help="The configuration after the change (repeatable).")] = [],  # noqa: B006
    files: Annotated[list[str], typer.Option(
        "-f", "--file", help="Paths compared: the after side, and with --git also the before side (repeatable).")] = [],  # noqa: B006
    git: Annotated[str | None, typer.Option(
        "--git", help="Take the before side from this git revision of the same paths (e.g. origin/main).")] = None,
    output: Annotated[DiffFormat, typer.Option("-o", "--output", help="Output format.")] = DiffFormat.text,
    group_by: Annotated[DiffGrouping, typer.Option(
        "--group-by", help="One row per endpoint pair, per class of alike endpoints, or pairs unless there "
        "are more than 100.")] = DiffGrouping.auto,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when connectivity changed.")] = False,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """What a change newly allows and newly blocks, and which rules are responsible on each side."""
    with input_errors():
        options = engine.options()
        after_paths = [*after, *files]
        if not after_paths and not other_inputs():
            raise InputError("no after side: give --after PATH, -f PATH, --helm CHART, -k DIR or --context NAME",
                             suggestion="e.g. --before old/ --after new/, or --git origin/main -f deploy/")
        check_before_side(git, before)
        if git is None and not before:
            raise InputError("no before side: give --before PATH or --git REF")
        from netpolicy import api

        old = before_side(git, before, after_paths, options)
        new = load(after_paths, options)
        result = api.diff(old, new, options)
        grouping = group_by.value
        if output is DiffFormat.json:
            from netpolicy.render.diff.json_out import diff_json

            print(json.dumps(diff_json(result, grouping), indent=2))
        elif output is DiffFormat.md:
            from netpolicy.render.diff.markdown import diff_markdown

            sys.stdout.write(diff_markdown(result, grouping))
        elif output is DiffFormat.mermaid:
            from netpolicy.render.graph_mermaid import diff_mermaid

            sys.stdout.write(diff_mermaid(result))
        else:
            from netpolicy.render.diff.text import render_diff_text

            render_diff_text(result, console(), grouping)
    if exit_code and not result.empty:
        raise typer.Exit(1)


def check_before_side(git: str | None, before: list[str]) -> None:
    """Refuse two before sides, and --git with inputs that have no earlier revision."""
    if git is not None and before:
        raise InputError("--before and --git both give the before side", suggestion="use one of them")
    if git is not None and other_inputs():
        raise InputError("--git takes the -f paths as they were at REF; --helm, -k and a live cluster have no "
                         "earlier revision", suggestion="render the before side to a file (e.g. `helm template` "
                         "of a checkout of REF) and give it with --before")


def before_side(git: str | None, before: list[str], after_paths: list[str], options: Options):
    """The cluster before the change: `--before` paths, or the `-f` paths as they are at `--git REF`."""
    from netpolicy.api import load_cluster

    if git is None:
        return load_cluster(before, options, stdin=sys.stdin)
    from netpolicy.analysis.diff.git import GitSnapshot

    with GitSnapshot(git, after_paths) as snapshot:
        for path in snapshot.missing:
            say(f"warning: {path} does not exist at {git}: the before side has nothing from it")
        try:
            with snapshot.inside():
                return load_cluster(snapshot.paths, options)
        except InputError as error:
            raise snapshot.relabel(error) from None
