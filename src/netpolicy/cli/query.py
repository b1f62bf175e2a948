"""`netpolicy query`: one flow's verdict and both sides' traces, with lint findings on the rules it meets."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
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


def check_ports(protocol: int, port: int | None, src_port: int | None) -> None:
    """Ports 1-65535 for TCP, UDP and SCTP; ICMP type and code 0-255; nothing for other protocols."""
    from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS

    if protocol in ICMP_PROTOCOLS:
        checks = (("--port", port, 0, 255, "an ICMP type 0-255"), ("--src-port", src_port, 0, 255, "an ICMP code 0-255"))
    elif protocol in PORT_PROTOCOLS:
        checks = (("--port", port, 1, 65535, "a port 1-65535"), ("--src-port", src_port, 1, 65535, "a port 1-65535"))
    else:
        checks = (("--port", port, 1, 0, "no port: this protocol has none"),
                  ("--src-port", src_port, 1, 0, "no port: this protocol has none"))
    for name, value, lo, hi, expected in checks:
        if value is not None and not lo <= value <= hi:
            raise InputError(f"{name}: {value} is out of range", expected=expected)


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
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
    to_host: Annotated[str, typer.Option(
        "--endpoint-to-host-action", help="Felix's DefaultEndpointToHostAction for pod → own node: ACCEPT (as "
                                          "calico.yaml and the operator set it), DROP or RETURN.")] = "ACCEPT",
) -> None:
    """Explain one flow: the verdict, and why, rule by rule on both ends. Either end may be a node
    (`node/<name>` or its address); the destination may be a Service."""
    with input_errors():
        if not (source or from_selector or from_namespace) or not (destination or to_selector or to_namespace):
            raise InputError("--from and --to are required", suggestion="e.g. --from ns/app --to ns/db --port 5432")
        number = parse_protocol(protocol)
        check_ports(number, None, src_port)
        if to_host.upper() not in ("ACCEPT", "DROP", "RETURN"):
            raise InputError(f"--endpoint-to-host-action: {to_host!r} is not an action", expected="ACCEPT, DROP or RETURN")
        options = replace(make_options(pod_cidr, ipblock_matches_pods, calico_version),
                          endpoint_to_host_action=to_host.upper())
        cluster = load(files, options)
        from netpolicy.analysis.find_endpoint import find_endpoint, resolve_port
        from netpolicy.engine.flow import FlowEvaluator
        from netpolicy.engine.node_flow import node_named
        from netpolicy.model.protocols import PORT_PROTOCOLS

        evaluator = FlowEvaluator(cluster, options)
        if from_selector or node_named(cluster, source) is None:
            source = _found(find_endpoint(cluster, source, selector=from_selector, namespace=from_namespace,
                                          option="--from"))
        if _path_flow(evaluator, source, destination, to_selector or to_namespace, number, port, src_port, output):
            return
        destination = _found(find_endpoint(cluster, destination, selector=to_selector, namespace=to_namespace,
                                           option="--to"))
        port = resolve_port(port, cluster, destination, number)
        check_ports(number, port, src_port)
        if port is None and number in PORT_PROTOCOLS:
            _sweep(evaluator, source, destination, number, src_port, output, findings)
            return
        result = evaluator.evaluate(source, destination, number, port, src_port)
        result = with_findings(result, cluster, options, findings)
        if output is TextOrJson.json:
            from netpolicy.render.flow_json import flow_json

            print(json.dumps(flow_json(result), indent=2))
        else:
            from netpolicy.render.trace_text import render_flow

            render_flow(result, console())


def _found(end) -> str:
    """The reference of an end found, its note (when it is not what was typed) on stderr."""
    if end.note:
        print(f"note: {end.note}", file=sys.stderr)
    return end.ref


def _path_flow(evaluator, source: str, destination: str, by_selector: str, protocol: int, port: str | None,
               src_port: int | None, output: TextOrJson) -> bool:
    """A flow whose path matters before policy (docs/semantics.md#services-and-host-endpoints): to a
    Service (kube-proxy's translation, per backend) or between a node and a pod. False: neither."""
    from netpolicy.engine.node_flow import evaluate_node_flow
    from netpolicy.engine.path import ServicePaths

    cluster = evaluator.ctx.cluster
    number = int(port) if port is not None and port.isdigit() else None
    paths = ServicePaths(cluster, evaluator.ctx.backends)
    entry = None
    if not by_selector and cluster.endpoint(destination) is None:
        entry = paths.entry(destination, protocol, number, port if number is None else None)
    if entry is not None:
        from netpolicy.engine.service_flow import evaluate_service

        flow = evaluate_service(evaluator, paths, source, destination, entry, protocol, src_port)
        if output is TextOrJson.json:
            from netpolicy.render.flow_json import service_flow_json

            print(json.dumps(service_flow_json(flow), indent=2))
        else:
            from netpolicy.render.trace_text import render_service_flow

            render_service_flow(flow, console())
        return True
    if port is not None and number is None:
        return False
    result = evaluate_node_flow(evaluator, source, destination, protocol, number, src_port)
    if result is None:
        return False
    if output is TextOrJson.json:
        from netpolicy.render.flow_json import flow_json

        print(json.dumps(flow_json(result), indent=2))
    else:
        from netpolicy.render.trace_text import render_flow

        render_flow(result, console())
    return True


def _sweep(evaluator, source: str, destination: str, protocol: int, src_port: int | None,
           output: TextOrJson, findings: str) -> None:
    """No --port: every destination port of the protocol, one trace per distinct outcome."""
    import dataclasses

    from netpolicy.analysis.port_sweep import sweep_ports

    sweep = sweep_ports(evaluator, source, destination, protocol, src_port)
    cluster, options = evaluator.ctx.cluster, evaluator.ctx.options
    outcomes = tuple(dataclasses.replace(o, result=with_findings(o.result, cluster, options, findings))
                     for o in sweep.outcomes)
    sweep = dataclasses.replace(sweep, outcomes=outcomes)
    if output is TextOrJson.json:
        from netpolicy.render.port_sweep_json import sweep_json

        print(json.dumps(sweep_json(sweep), indent=2))
    else:
        from netpolicy.render.trace_text import render_sweep

        render_sweep(sweep, console())


def with_findings(result, cluster, options: Options, mode: str):
    """Attach lint findings to the trace steps whose rules have them (`--findings`)."""
    from netpolicy.analysis.trace_findings import FINDINGS_LIMIT, attach_findings

    if mode not in ("auto", "always", "never"):
        raise InputError(f"--findings: {mode!r} is not a choice", expected="auto, always or never")
    if mode == "never" or (mode == "auto" and len(cluster.endpoints) > FINDINGS_LIMIT):
        return result
    from netpolicy import api

    return attach_findings(result, api.lint(cluster, options))
