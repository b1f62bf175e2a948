"""`netpolicy query`: one flow's verdict and both sides' traces, with lint findings on the rules it meets."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.shared import (
    Files,
    Output,
    TextOrJson,
    console,
    input_errors,
    load,
)
from netpolicy.errors import InputError
from netpolicy.options import Options


@with_engine_options
def query(
    files: Files = [],  # noqa: B006
    source: Annotated[str, typer.Option(
        "--from", help="Source: endpoint id (ns/name), pod name, Service (svc/ns/name: one of its pods), node "
                       "(node/<name>) or IP address.")] = "",
    destination: Annotated[str, typer.Option(
        "--to", help="Destination, as --from; a Service (svc/<ns>/<name>, its ClusterIP, a LoadBalancer or external "
                     "IP, <node>:<nodePort>, a node address with --port <nodePort>) is reached through kube-proxy's "
                     "translation, judged per backend.")] = "",
    from_selector: Annotated[str, typer.Option(
        "--from-selector", help="Source by labels (app=web,tier!=db), matching one endpoint.")] = "",
    to_selector: Annotated[str, typer.Option("--to-selector", help="Destination by labels.")] = "",
    from_namespace: Annotated[str, typer.Option(
        "--from-namespace", help="Namespace of --from or --from-selector.")] = "",
    to_namespace: Annotated[str, typer.Option("--to-namespace", help="Namespace of --to or --to-selector.")] = "",
    protocol: Annotated[str, typer.Option("--protocol", help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number.")] = "TCP",
    port: Annotated[str | None, typer.Option(
        "--port", help="Destination port, number or name (ICMP: type); without it, every port.")] = None,  # noqa: UP007
    src_port: Annotated[int | None, typer.Option("--src-port", help="Source port (ICMP: code).")] = None,  # noqa: UP007
    output: Output = TextOrJson.text,
    findings: Annotated[str, typer.Option(
        "--findings", help="auto (clusters up to 2,000 endpoints), always or never: show lint findings on "
                           "the rules the flow passes through.")] = "auto",
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Explain one flow: the verdict, and why, rule by rule on both ends. Either end may be a node
    (`node/<name>` or its address); the destination may be a Service."""
    with input_errors():
        if not (source or from_selector or from_namespace) or not (destination or to_selector or to_namespace):
            raise InputError("--from and --to are required", suggestion="e.g. --from ns/app --to ns/db --port 5432")
        from netpolicy.analysis.flow_query import check_ports, protocol_of

        number = protocol_of(protocol, "--protocol")
        check_ports(number, None, src_port)
        options = engine.options()
        cluster = load(files, options)
        from netpolicy import api
        from netpolicy.analysis.find_endpoint import find_endpoint

        source = _found(find_endpoint(cluster, source, selector=from_selector, namespace=from_namespace,
                                      option="--from"))
        destination = _found(find_endpoint(cluster, destination, selector=to_selector, namespace=to_namespace,
                                           option="--to", entries=True))
        ask = api.querier(cluster, options)
        result = ask(source, destination, number, port, src_port)
        if not ask.names_node(source, destination):  # node flows are shown without findings
            result = with_findings(result, cluster, options, findings)
        show(result, output)


def _found(end) -> str:
    """The reference of an end found, its note (when it is not what was typed) on stderr."""
    if end.note:
        print(f"note: {end.note}", file=sys.stderr)
    return end.ref


def show(result, output: TextOrJson) -> None:
    """A flow, a flow to a Service or a port sweep, as JSON or text."""
    from netpolicy.analysis.port_sweep import PortSweep
    from netpolicy.engine.flow import FlowResult

    if output is TextOrJson.json:
        from netpolicy.render.flow_json import flow_json, service_flow_json
        from netpolicy.render.port_sweep_json import sweep_json

        encode = sweep_json if isinstance(result, PortSweep) else \
            flow_json if isinstance(result, FlowResult) else service_flow_json
        print(json.dumps(encode(result), indent=2))
    else:
        from netpolicy.render.trace_text import render_flow, render_service_flow, render_sweep

        draw = render_sweep if isinstance(result, PortSweep) else \
            render_flow if isinstance(result, FlowResult) else render_service_flow
        draw(result, console())


def with_findings(result, cluster, options: Options, mode: str):
    """Attach lint findings to the trace steps whose rules have them (`--findings`): of a flow, or of
    each outcome of a port sweep; a flow to a Service is shown as it is."""
    import dataclasses

    from netpolicy.analysis.port_sweep import PortSweep
    from netpolicy.analysis.trace_findings import FINDINGS_LIMIT, attach_findings, index_findings
    from netpolicy.engine.flow import FlowResult

    if mode not in ("auto", "always", "never"):
        raise InputError(f"--findings: {mode!r} is not a choice", expected="auto, always or never")
    if mode == "never" or (mode == "auto" and len(cluster.endpoints) > FINDINGS_LIMIT):
        return result
    if not isinstance(result, FlowResult | PortSweep):
        return result
    from netpolicy import api

    index = index_findings(api.lint(cluster, options))
    if isinstance(result, FlowResult):
        return attach_findings(result, index)
    outcomes = tuple(dataclasses.replace(o, result=attach_findings(o.result, index)) for o in result.outcomes)
    return dataclasses.replace(result, outcomes=outcomes)
