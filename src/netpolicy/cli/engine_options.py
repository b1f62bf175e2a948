"""The engine options of every evaluating command (--pod-cidr, --ipblock-matches-pods, --calico-version,
--endpoint-to-host-action, --nat-outgoing-exclusions), declared once and added by one decorator in the place of the command's `engine` parameter."""

from __future__ import annotations

import functools
import inspect
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from netpolicy.errors import InputError
from netpolicy.options import DEFAULT_POD_CIDR, Options

_OPTIONS: dict[str, tuple[Any, Any]] = {
    "pod_cidr": (Annotated[str, typer.Option(
        "--pod-cidr", help="Where endpoints without an IP get a stable address.")], DEFAULT_POD_CIDR),
    "ipblock_matches_pods": (Annotated[str, typer.Option(
        "--ipblock-matches-pods", help="true: Kubernetes ipBlock matches pod IPs (Calico); false: it does not "
        "(Cilium).")], "true"),
    "calico_version": (Annotated[str, typer.Option(
        "--calico-version", help="Calico version whose tie-break rules apply.")], "3.32"),
    "endpoint_to_host_action": (Annotated[str, typer.Option(
        "--endpoint-to-host-action", help="Felix's DefaultEndpointToHostAction for pod → own node: ACCEPT (as "
                                          "calico.yaml and the operator set it), DROP or RETURN.")], "ACCEPT"),
    "nat_outgoing_exclusions": (Annotated[str, typer.Option(
        "--nat-outgoing-exclusions", help="Felix's NATOutgoingExclusions: IPPoolsOnly (its default: natOutgoing "
                                          "masquerades pods' packets to nodes too) or IPPoolsAndHostIPs.")],
                                "IPPoolsOnly"),
}


@dataclass(frozen=True)
class EngineFlags:
    """The engine options as typed; `options()` checks them (InputError) and builds the engine's Options."""

    pod_cidr: str
    ipblock_matches_pods: str
    calico_version: str
    endpoint_to_host_action: str
    nat_outgoing_exclusions: str

    def options(self) -> Options:
        return make_options(self.pod_cidr, self.ipblock_matches_pods, self.calico_version,
                            self.endpoint_to_host_action, self.nat_outgoing_exclusions)


#: The placeholder default of a command's `engine` parameter (the decorator replaces it).
ENGINE_DEFAULTS = EngineFlags(**{name: default for name, (_, default) in _OPTIONS.items()})


def make_options(pod_cidr: str, ipblock_matches_pods: str, calico_version: str,
                 endpoint_to_host_action: str = "ACCEPT", nat_outgoing_exclusions: str = "IPPoolsOnly") -> Options:
    """The engine's options from the shared command-line options, each checked."""
    value = ipblock_matches_pods.strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise InputError(f"--ipblock-matches-pods: {ipblock_matches_pods!r} is not a boolean", expected="true or false")
    found = re.fullmatch(r"v?(\d{1,4})\.(\d{1,4})(\.\d{1,4})?", calico_version.strip())
    if not found:
        raise InputError(f"--calico-version: {calico_version!r} is not a version", expected="e.g. 3.32")
    major, minor = int(found[1]), int(found[2])
    try:
        ipaddress.ip_network(pod_cidr)
    except ValueError:
        raise InputError(f"--pod-cidr: {pod_cidr!r} is not a CIDR", expected="e.g. 10.244.0.0/16") from None
    action = endpoint_to_host_action.upper()
    if action not in ("ACCEPT", "DROP", "RETURN"):
        raise InputError(f"--endpoint-to-host-action: {endpoint_to_host_action!r} is not an action",
                         expected="ACCEPT, DROP or RETURN")
    if nat_outgoing_exclusions not in ("IPPoolsOnly", "IPPoolsAndHostIPs"):
        raise InputError(f"--nat-outgoing-exclusions: {nat_outgoing_exclusions!r} is not a setting",
                         expected="IPPoolsOnly or IPPoolsAndHostIPs")
    return Options(pod_cidr=pod_cidr, ipblock_matches_pods=value in ("true", "1", "yes"),
                   calico_version=(major, minor), endpoint_to_host_action=action,
                   nat_outgoing_exclusions=nat_outgoing_exclusions)


def with_engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` with the engine options in the place of its `engine` parameter, which receives them as
    `EngineFlags`."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        kwargs["engine"] = EngineFlags(**{name: kwargs.pop(name) for name in _OPTIONS})
        return command(*args, **kwargs)

    signature = inspect.signature(command, eval_str=True)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name == "engine":
            parameters += [inspect.Parameter(name, parameter.kind, default=default, annotation=annotation)
                           for name, (annotation, default) in _OPTIONS.items()]
        else:
            parameters.append(parameter)
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {**{p.name: p.annotation for p in parameters}, "return": signature.return_annotation}
    del run.__wrapped__  # typer reads the signature above, not the command's own
    return run
