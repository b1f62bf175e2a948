"""Command-line interface: options → library call → renderer, and exit codes (0 ok, 1 findings, 2 bad input)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from netpolicy.errors import InputError, NetpolicyError
from netpolicy.options import DEFAULT_POD_CIDR, Options

app = typer.Typer(
    name="netpolicy",
    help="What your Kubernetes and Calico network policies really allow, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Files = Annotated[list[str], typer.Option("-f", "--file", help="YAML/JSON file, directory, or - for stdin (repeatable).")]
PodCidr = Annotated[str, typer.Option("--pod-cidr", help="Where endpoints without an IP get a stable address.")]
IpBlockPods = Annotated[str, typer.Option(
    "--ipblock-matches-pods", help="true: Kubernetes ipBlock matches pod IPs (Calico); false: it does not (Cilium).")]
CalicoVersion = Annotated[str, typer.Option("--calico-version", help="Calico version whose tie-break rules apply.")]


class MatrixFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    md = "md"


class QueryFormat(str, Enum):
    text = "text"
    json = "json"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _options(pod_cidr: str, ipblock_matches_pods: str, calico_version: str) -> Options:
    value = ipblock_matches_pods.strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise InputError(f"--ipblock-matches-pods: {ipblock_matches_pods!r} is not a boolean", expected="true or false")
    try:
        major, minor = (int(x) for x in calico_version.split(".")[:2])
    except ValueError:
        raise InputError(f"--calico-version: {calico_version!r} is not a version", expected="e.g. 3.32") from None
    import ipaddress

    try:
        ipaddress.ip_network(pod_cidr)
    except ValueError:
        raise InputError(f"--pod-cidr: {pod_cidr!r} is not a CIDR", expected="e.g. 10.244.0.0/16") from None
    return Options(pod_cidr=pod_cidr, ipblock_matches_pods=value in ("true", "1", "yes"),
                   calico_version=(major, minor))


def _load(files: list[str], options: Options):
    from netpolicy.api import load_cluster

    if not files:
        raise InputError("no input: give at least one -f PATH", suggestion="e.g. -f manifests/ -f policies/")
    cluster = load_cluster(files, options, stdin=sys.stdin)
    for warning in cluster.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return cluster


def _fail(error: NetpolicyError) -> None:
    problems = getattr(error, "problems", None)
    lines = [str(p) for p in problems] if problems else [str(error)]
    for line in lines:
        print(line, file=sys.stderr)
    raise typer.Exit(2)


def _parse_protocol(text: str) -> int:
    from netpolicy.model.protocols import NUMBER_BY_NAME, parse_protocol

    canonical = {k.lower(): k for k in NUMBER_BY_NAME}.get(text.lower(), text)
    number = parse_protocol(canonical)
    if number is None:
        raise InputError(f"--protocol: {text!r} is not a protocol", expected="TCP, UDP, SCTP, ICMP, ICMPv6 or 1-255")
    return number


@app.command()
def matrix(
    files: Files = [],  # noqa: B006 - typer reads the default
    output: Annotated[MatrixFormat, typer.Option("-o", "--output", help="Output format.")] = MatrixFormat.text,
    group_by: Annotated[str, typer.Option("--group-by", help="endpoint, or class: endpoints that behave identically.")] = "endpoint",
    max_members: Annotated[int, typer.Option("--max-members", help="With --group-by class: members listed per class.")] = 50,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Who can reach whom, on which protocols and ports."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        from netpolicy.engine.matrix import compute_matrix
        from netpolicy.render import matrix_out

        if group_by not in ("endpoint", "class"):
            raise InputError(f"--group-by: {group_by!r} is not a grouping", expected="endpoint or class")
        result = compute_matrix(cluster, options)
        if group_by == "class":
            if output is MatrixFormat.json:
                print(json.dumps(matrix_out.matrix_classes_json(result, max_members), indent=2))
            elif output is MatrixFormat.text:
                matrix_out.render_classes_text(result, _console())
            else:
                raise InputError("--group-by class supports -o json and -o text")
        elif output is MatrixFormat.json:
            print(json.dumps(matrix_out.matrix_json(result), indent=2))
        elif output is MatrixFormat.csv:
            sys.stdout.write(matrix_out.matrix_csv(result))
        elif output is MatrixFormat.md:
            sys.stdout.write(matrix_out.matrix_markdown(result))
        else:
            matrix_out.render_matrix_text(result, _console())
    except NetpolicyError as error:
        _fail(error)


@app.command()
def query(
    files: Files = [],  # noqa: B006
    source: Annotated[str, typer.Option("--from", help="Source endpoint id (ns/name) or IP address.")] = "",
    destination: Annotated[str, typer.Option("--to", help="Destination endpoint id or IP address.")] = "",
    protocol: Annotated[str, typer.Option("--protocol", help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number.")] = "TCP",
    port: Annotated[Optional[int], typer.Option("--port", help="Destination port (ICMP: type).")] = None,  # noqa: UP007
    src_port: Annotated[Optional[int], typer.Option("--src-port", help="Source port (ICMP: code).")] = None,  # noqa: UP007
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Explain one flow: the verdict, and why, rule by rule on both ends."""
    try:
        if not source or not destination:
            raise InputError("--from and --to are required", suggestion="e.g. --from ns/app --to ns/db --port 5432")
        for name, value in (("--port", port), ("--src-port", src_port)):
            if value is not None and not 0 <= value <= 65535:
                raise InputError(f"{name}: {value} is not a port", expected="1-65535")
        number = _parse_protocol(protocol)
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        from netpolicy.engine.flow import FlowEvaluator

        result = FlowEvaluator(cluster, options).evaluate(source, destination, number, port, src_port)
        if output is QueryFormat.json:
            print(json.dumps(result.to_json(), indent=2))
        else:
            from netpolicy.render.trace_text import render_flow

            render_flow(result, _console())
    except NetpolicyError as error:
        _fail(error)


@app.command()
def policies(
    files: Files = [],  # noqa: B006
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Every policy: what it selects, which directions it isolates, and what each rule admits."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        from netpolicy.analysis.policy_report import policy_report
        from netpolicy.render import policies_out

        report = policy_report(cluster, options)
        if output is QueryFormat.json:
            print(json.dumps(policies_out.report_json(report), indent=2))
        else:
            policies_out.render_report_text(report, _console())
    except NetpolicyError as error:
        _fail(error)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
