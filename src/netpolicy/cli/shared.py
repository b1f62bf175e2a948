"""The options every command shares and the helpers commands use: options, loading, errors, console."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netpolicy.errors import NetpolicyError
from netpolicy.escape import terminal_lines
from netpolicy.options import Options

if TYPE_CHECKING:
    from netpolicy.cli.engine_options import EngineFlags
    from netpolicy.model.cluster import Cluster

Files = Annotated[list[str], typer.Option("-f", "--file", help="YAML/JSON file, directory, or - for stdin (repeatable).")]


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


Output = Annotated[TextOrJson, typer.Option("-o", "--output", help="Output format.")]


def console(stderr: bool = False):
    """A rich console that escapes every segment it writes; 140 columns when the stream is not a terminal."""
    from netpolicy.render.console import make_console

    return make_console(stderr)


def say(text: str) -> None:
    """A message on stderr, escaped for the terminal."""
    print(terminal_lines(text), file=sys.stderr)


def load(files: list[str], options: Options):
    """The cluster of the command's inputs (`-f` paths, `-` is stdin; --helm, -k, a live cluster), its
    warnings printed to stderr."""
    cluster = read(files, options)
    print_warnings(cluster.warnings)
    return cluster


def read(files: list[str], options: Options, *, stdin=None, objects=()):
    """The cluster of `files` and the command's other input options (--helm, -k, a live cluster), with
    `objects` added (stdin: `stdin` if given)."""
    from netpolicy.cli.inputs import current_inputs
    from netpolicy.inputs import load_inputs

    return load_inputs(current_inputs(files), options, stdin=stdin if stdin is not None else sys.stdin,
                       objects=objects)


def load_and_show(files: list[str], output: TextOrJson, engine: EngineFlags, compute: Callable[[Cluster, Options], Any],
                  encode: Callable[[Any], dict], draw: Callable[[Any, Any], None]) -> None:
    """A listing command: load the inputs, `compute(cluster, options)`, print it as JSON (`encode`) or as
    text on the console (`draw`)."""
    with input_errors():
        options = engine.options()
        result = compute(load(files, options), options)
        if output is TextOrJson.json:
            import json

            print(json.dumps(encode(result), indent=2))
        else:
            draw(result, console())


def other_inputs() -> bool:
    """Whether the running command was given --helm, -k or a live cluster besides its paths."""
    from netpolicy.cli.inputs import current_inputs

    inputs = current_inputs([])
    return bool(inputs.helm or inputs.kustomize or inputs.live)


def print_warnings(warnings) -> None:
    """Loading warnings on stderr, one a line."""
    for warning in warnings:
        say(f"warning: {warning}")


@contextmanager
def input_errors() -> Iterator[None]:
    """Bad input becomes its located messages on stderr and exit code 2."""
    try:
        yield
    except NetpolicyError as error:
        problems = getattr(error, "problems", None)
        lines = [str(p) for p in problems] if problems else [str(error)]
        for line in lines:
            say(line)
        raise typer.Exit(2) from None
