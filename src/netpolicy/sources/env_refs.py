"""Whether a workload's environment names a Service (so the workload resolves it through DNS)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set

_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
#: Variables Kubernetes injects for every Service (`POSTGRESQL_SERVICE_HOST`); apps set them too.
SERVICE_HOST_SUFFIX = "_SERVICE_HOST"


def env_refs_services(env: Iterable[tuple[str, str]], namespace: str,
                      services: Mapping[str, Set[str]]) -> bool:
    """True when a variable is a `*_SERVICE_HOST`, or a value names a Service by its DNS name.

    `services` maps a namespace to its Service names. A value names a Service as `name` (same
    namespace), `name.namespace`, or `name.namespace.svc[.cluster.local]`, inside any text such as
    `postgres://user@postgresql:5432/db`.
    """
    local = services.get(namespace, ())
    for name, value in env:
        if name.endswith(SERVICE_HOST_SUFFIX):
            return True
        if value and any(_names_service(host, local, services) for host in _HOST_NAME.findall(value.lower())):
            return True
    return False


def _names_service(host: str, local: Set[str] | tuple, services: Mapping[str, Set[str]]) -> bool:
    labels = host.split(".")
    if len(labels) == 1:
        return labels[0] in local
    if len(labels) > 2 and labels[2] != "svc":
        return False
    return labels[0] in services.get(labels[1], ())
