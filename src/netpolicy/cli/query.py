"""`netpolicy query`: one flow's verdict and both sides' traces, with lint findings on the rules it meets."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from netpolicy.cli.shared import (
    CalicoVersion,
    Files,
    IpBlockPods,
    Output,
    PodCidr,
    TextOrJson,
    console,
    input_errors,
    load,
    make_options,
)
from netpolicy.errors import InputError
from netpolicy.options import DEFAULT_POD_CIDR, Options


def parse_protocol(text: str) -> int:
    """`--protocol` as a number: a name in any case, or 1-255."""
    from netpolicy.model.protocols import protocol_number

    number = protocol_number(text)
    if number is None:
        raise InputError(f"--protocol: {text!r} is not a protocol", expected="TCP, UDP, SCTP, ICMP, ICMPv6 or 1-255")
    return number


def query(
    files: Files = [],  # noqa: B006
    source: Annotated[str, typer.Option("--from", help="Source endpoint id (ns/name) or IP address.")] = "",
    destination: Annotated[str, typer.Option("--to", help="Destination endpoint id or IP address.")] = "",
    protocol: Annotated[str, typer.Option("--protocol", help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number.")] = "TCP",
    port: Annotated[int | None, typer.Option("--port", help="Destination port (ICMP: type).")] = None,  # noqa: UP007
    src_port: Annotated[int | None, typer.Option("--src-port", help="Source port (ICMP: code).")] = None,  # noqa: UP007
    output: Output = TextOrJson.text,
    findings: Annotated[str, typer.Option(
        "--findings", help="auto (clusters up to 2,000 endpoints), always or never: show lint findings on "
                           "the rules the flow passes through.")] = "auto",
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Explain one flow: the verdict, and why, rule by rule on both ends."""
    with input_errors():
        if not source or not destination:
            raise InputError("--from and --to are required", suggestion="e.g. --from ns/app --to ns/db --port 5432")
        for name, value in (("--port", port), ("--src-port", src_port)):
            if value is not None and not 0 <= value <= 65535:
                raise InputError(f"{name}: {value} is not a port", expected="1-65535")
        number = parse_protocol(protocol)
        options = make_options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = load(files, options)
        from netpolicy import api

        result = api.query(cluster, source, destination, number, port, src_port, options)
        result = with_findings(result, cluster, options, findings)
        if output is TextOrJson.json:
            print(json.dumps(result.to_json(), indent=2))
        else:
            from netpolicy.render.trace_text import render_flow

            render_flow(result, console())


def with_findings(result, cluster, options: Options, mode: str):
    """Attach lint findings to the trace steps whose rules have them (`--findings`)."""
    from netpolicy.analysis.trace_findings import FINDINGS_LIMIT, attach_findings

    if mode not in ("auto", "always", "never"):
        raise InputError(f"--findings: {mode!r} is not a choice", expected="auto, always or never")
    if mode == "never" or (mode == "auto" and len(cluster.endpoints) > FINDINGS_LIMIT):
        return result
    from netpolicy import api

    return attach_findings(result, api.lint(cluster, options))
