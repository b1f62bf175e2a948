"""The options every command shares and the helpers commands use: options, loading, errors, console."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer

from netpolicy.errors import InputError, NetpolicyError
from netpolicy.escape import terminal_lines
from netpolicy.options import Options

Files = Annotated[list[str], typer.Option("-f", "--file", help="YAML/JSON file, directory, or - for stdin (repeatable).")]
PodCidr = Annotated[str, typer.Option("--pod-cidr", help="Where endpoints without an IP get a stable address.")]
IpBlockPods = Annotated[str, typer.Option(
    "--ipblock-matches-pods", help="true: Kubernetes ipBlock matches pod IPs (Calico); false: it does not (Cilium).")]
CalicoVersion = Annotated[str, typer.Option("--calico-version", help="Calico version whose tie-break rules apply.")]


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


def make_options(pod_cidr: str, ipblock_matches_pods: str, calico_version: str) -> Options:
    """The engine's options from the shared command-line options, each checked."""
    value = ipblock_matches_pods.strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise InputError(f"--ipblock-matches-pods: {ipblock_matches_pods!r} is not a boolean", expected="true or false")
    found = re.fullmatch(r"v?(\d{1,4})\.(\d{1,4})(\.\d{1,4})?", calico_version.strip())
    if not found:
        raise InputError(f"--calico-version: {calico_version!r} is not a version", expected="e.g. 3.32")
    major, minor = int(found[1]), int(found[2])
    import ipaddress

    try:
        ipaddress.ip_network(pod_cidr)
    except ValueError:
        raise InputError(f"--pod-cidr: {pod_cidr!r} is not a CIDR", expected="e.g. 10.244.0.0/16") from None
    return Options(pod_cidr=pod_cidr, ipblock_matches_pods=value in ("true", "1", "yes"),
                   calico_version=(major, minor))


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
