"""`netpolicy lab`: build the cluster on this machine's kernel (netns + nftables) and send real packets."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.inputs import with_inputs
from netpolicy.cli.shared import (
    Files,
    Output,
    TextOrJson,
    input_errors,
    load,
    say,
)
from netpolicy.errors import InputError, NetpolicyError
from netpolicy.escape import terminal_lines


def verify_settings(ports: str, timeout: float):
    """`--ports` parsed ("auto" or (protocol, port) pairs) after checking it and `--timeout`."""
    if not (math.isfinite(timeout) and 0 < timeout <= 60):
        raise InputError(f"--timeout: {timeout} is not a probe timeout", expected="seconds, more than 0, at most 60")
    if ports == "auto":
        return "auto"
    from netpolicy.lab.plan import parse_ports

    try:
        port_list = parse_ports([p.strip() for p in ports.split(",") if p.strip()])
    except ValueError as exc:
        raise InputError(f"--ports: {exc}") from None
    if not port_list:
        raise InputError("--ports: no port given", expected="auto, or e.g. 80,udp/53")
    return port_list


Clients = Annotated[list[str], typer.Option(
    "--client", help="An outside address that probes every Service and node (repeatable), e.g. 203.0.113.7.")]

lab_app = typer.Typer(help="Build the cluster on this machine's kernel (netns + nftables) and send real packets.",
                      no_args_is_help=True)


def lab_inputs(files: list[str], engine: EngineFlags):
    """The cluster, its matrix and the options a lab is built from."""
    options = engine.options()
    cluster = load(files, options)
    from netpolicy import api

    return cluster, api.matrix(cluster, options), options


@lab_app.command("verify")
@with_inputs
@with_engine_options
def lab_verify(
    files: Files = [],  # noqa: B006
    ports: Annotated[str, typer.Option("--ports", help="auto, or a list such as 80,udp/53,tcp:8000-8002.")] = "auto",
    output: Output = TextOrJson.text,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a probe waits.")] = 1.0,
    clients: Clients = [],  # noqa: B006
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Build the lab, probe every pair on every declared port and every Service's backends, compare with
    the engine, tear down."""
    with input_errors():
        port_list = verify_settings(ports, timeout)
        cluster, matrix, options = lab_inputs(files, engine)
        from netpolicy import api
        from netpolicy.lab import api as lab
        from netpolicy.lab.report import render_text

        query = api.querier(cluster, options)

        def end(endpoint_id: str, address: str) -> str:
            if endpoint_id.startswith("node/"):
                return endpoint_id
            endpoint = cluster.endpoint(endpoint_id)
            return endpoint_id if endpoint is not None and endpoint.policed else address  # ranges: by address

        def explain(probe) -> str:
            try:
                src, dst = end(probe.src, probe.src_address), end(probe.dst, probe.dst_address)
                result = query.path_flow(src, dst, probe.protocol, str(probe.port), probe.sport) \
                    if query.names_node(src, dst) else None
                result = result or query.flow(src, dst, probe.protocol, probe.port, probe.sport)
            except (NetpolicyError, ValueError) as error:
                return f"no trace: {error}"
            steps = [s for side in (result.egress, result.ingress) for s in side.trace]
            return "; ".join(f"{s.action}: {s.reason}" for s in steps)

        report = lab.verify(cluster, matrix, options, port_list, timeout=timeout, explain=explain, clients=clients)
        if output is TextOrJson.json:
            from netpolicy.render.lab_json import verify_json

            print(json.dumps(verify_json(report), indent=2))
        else:
            print(terminal_lines(render_text(report)))
        raise typer.Exit(report.exit_code)


@lab_app.command("up")
@with_inputs
@with_engine_options
def lab_up(
    files: Files = [],  # noqa: B006
    lab_id: Annotated[str | None, typer.Option("--id", help="Lab id (default: a new one).")] = None,  # noqa: UP007
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Build the lab and leave it running (remove it with `lab down ID`)."""
    with input_errors():
        cluster, matrix, options = lab_inputs(files, engine)
        from netpolicy.lab import api as lab

        handle = lab.up(cluster, matrix, options, lab_id=lab_id)
        print(f"lab {handle.id} is up with {len(handle.topology.hosts)} hosts; "
              f"`netpolicy lab exec {handle.id} ENDPOINT -- CMD` runs a command inside one, "
              f"`netpolicy lab down {handle.id}` removes it")


@lab_app.command("down")
def lab_down(
    lab_id: Annotated[str | None, typer.Argument(help="The lab to remove.")] = None,  # noqa: UP007
    all_labs: Annotated[bool, typer.Option("--all", help="Remove every lab and any leftover of a crashed run.")] = False,
) -> None:
    """Remove a lab (or all of them)."""
    with input_errors():
        from netpolicy.lab import api as lab

        busy: list[str] = []
        removed = lab.down(lab_id, all_labs=all_labs, busy=busy)
        print(f"removed: {', '.join(removed)}" if removed else "no lab to remove")
        for item in busy:
            say(f"warning: lab {item} is in use by another netpolicy process: left alone")


@lab_app.command("status")
def lab_status() -> None:
    """List the labs on this machine."""
    with input_errors():
        from netpolicy.lab import api as lab

        labs = lab.status()
        print(terminal_lines("\n".join(item.describe() for item in labs)) if labs else "no lab is running")


@lab_app.command("show-rules")
@with_inputs
@with_engine_options
def lab_show_rules(
    files: Files = [],  # noqa: B006
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Print the nftables ruleset the lab loads: Calico's chain layout, commented (no root needed)."""
    with input_errors():
        cluster, matrix, options = lab_inputs(files, engine)
        from netpolicy.lab import api as lab

        print(lab.show_rules(cluster, matrix, options))


@lab_app.command("exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab_exec(
    lab_id: Annotated[str, typer.Argument(help="The lab.")],
    endpoint: Annotated[str, typer.Argument(help="Endpoint id (ns/name).")],
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
) -> None:
    """Run a command inside an endpoint's network namespace (like `kubectl exec`)."""
    with input_errors():
        from netpolicy.lab import api as lab

        raise typer.Exit(lab.exec_in(lab_id, endpoint, command))
