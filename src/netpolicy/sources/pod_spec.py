"""What a pod spec says about networking: container ports, service account, hostNetwork, env values."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import NamedPort
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.sources import fields
from netpolicy.sources.raw import RawObject

DEFAULT_SERVICE_ACCOUNT = "default"
#: Container port protocols Kubernetes accepts (Calico drops a port with any other protocol).
CONTAINER_PROTOCOLS = ("TCP", "UDP", "SCTP")
#: NamedPorts are immutable: pods of one template share each one instead of holding copies.
_named_port = lru_cache(maxsize=4096)(NamedPort)


@dataclass(slots=True)
class PodSpecInfo:
    """The networking facts of one pod spec (a Pod's own, or a workload's pod template)."""

    ports: tuple[NamedPort, ...]
    service_account: str
    host_network: bool
    node: str | None
    #: `(name, value)` of every literal env variable of every container and init container.
    env: tuple[tuple[str, str], ...]


def read_pod_spec(spec: Any, obj: RawObject, path: str, diags: Diagnostics) -> PodSpecInfo:
    """Read the pod spec `spec`, found at field `path` of `obj`, reporting wrong fields to `diags`."""
    plain = _plain_pod_spec(spec)
    if plain is not None:
        return plain
    spec = fields.mapping(spec, obj, path, diags)
    ports: list[NamedPort] = []
    env: list[tuple[str, str]] = []
    for group in ("containers", "initContainers"):
        if group not in spec:
            continue
        for index, container in fields.mappings(spec[group], obj, f"{path}.{group}", diags):
            if "ports" in container:
                ports.extend(_container_ports(container["ports"], obj, f"{path}.{group}[{index}]", diags))
            if "env" in container:
                env.extend(_literal_env(container["env"], obj, f"{path}.{group}[{index}]", diags))
    account = (_string(spec, "serviceAccountName", obj, path, diags) or _string(spec, "serviceAccount", obj, path, diags)
               or DEFAULT_SERVICE_ACCOUNT)
    node = _string(spec, "nodeName", obj, path, diags)
    return PodSpecInfo(tuple(ports), account, spec.get("hostNetwork") is True, node, tuple(env))


def _mappings(value: Any) -> list[dict] | None:
    """`value` as a list of mappings (empty when absent); None when it is anything else."""
    if value is None:
        return []
    if value.__class__ is not list or any(item.__class__ is not dict for item in value):
        return None
    return value


def _plain_pod_spec(spec: Any) -> PodSpecInfo | None:
    """What `read_pod_spec` reads from a spec with nothing to report (the usual case), in one quick pass;
    None for a spec that has something to report, left to the reading that reports it."""
    if spec.__class__ is not dict:
        return None
    ports: list[NamedPort] = []
    env: list[tuple[str, str]] = []
    for group in ("containers", "initContainers"):
        containers = _mappings(spec.get(group))
        if containers is None:
            return None
        for container in containers:
            container_ports, variables = _mappings(container.get("ports")), _mappings(container.get("env"))
            if container_ports is None or variables is None:
                return None
            for port in container_ports:
                number, name, protocol = port.get("containerPort"), port.get("name"), port.get("protocol", "TCP")
                if (number.__class__ is not int or not 1 <= number <= 65535 or protocol not in CONTAINER_PROTOCOLS
                        or (name is not None and name.__class__ is not str)):
                    return None
                ports.append(_named_port(name or None, NUMBER_BY_NAME[protocol], number))
            for variable in variables:
                name, value = variable.get("name"), variable.get("value")
                if name.__class__ is str:
                    env.append((name, value if value.__class__ is str else ""))
    account, fallback, node = spec.get("serviceAccountName"), spec.get("serviceAccount"), spec.get("nodeName")
    for value in (account, fallback, node):
        if value is not None and value.__class__ is not str:
            return None
    return PodSpecInfo(tuple(ports), account or fallback or DEFAULT_SERVICE_ACCOUNT, spec.get("hostNetwork") is True,
                       node or None, tuple(env))


def _string(spec: dict[str, Any], key: str, obj: RawObject, path: str, diags: Diagnostics) -> str | None:
    value = spec.get(key)
    if value.__class__ is str or value is None:
        return value or None
    return fields.optional_string(value, obj, f"{path}.{key}", diags)


def _container_ports(ports: Any, obj: RawObject, path: str, diags: Diagnostics) -> list[NamedPort]:
    out = []
    for index, port in fields.mappings(ports, obj, f"{path}.ports", diags):
        number, name, protocol = port.get("containerPort"), port.get("name"), port.get("protocol", "TCP")
        if number.__class__ is not int or not 1 <= number <= 65535:
            number = fields.port_number(number, obj, f"{path}.ports[{index}].containerPort", diags)
        if name is not None and name.__class__ is not str:
            name = fields.optional_string(name, obj, f"{path}.ports[{index}].name", diags)
        if protocol not in CONTAINER_PROTOCOLS:
            fields.report(diags, obj, f"{path}.ports[{index}].protocol",
                          f"{fields.show(protocol)} is not a container port protocol; the port is ignored",
                          "TCP, UDP or SCTP", warning=True)
        elif number is not None:
            out.append(_named_port(name or None, NUMBER_BY_NAME[protocol], number))
    return out


def _literal_env(variables: Any, obj: RawObject, path: str, diags: Diagnostics) -> list[tuple[str, str]]:
    out = []
    for _, variable in fields.mappings(variables, obj, f"{path}.env", diags):
        name, value = variable.get("name"), variable.get("value")
        if name.__class__ is str:
            out.append((name, value if value.__class__ is str else ""))
    return out
