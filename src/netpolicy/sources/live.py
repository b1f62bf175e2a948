"""Reading a live cluster, read-only: list every kind netpolicy understands through the user's kubeconfig.

The official `kubernetes` client (extra `live`) loads the kubeconfig as kubectl does, exec credential
plugins (EKS, GKE, AKS, OIDC) included; only `list` requests are sent, one kind at a time, page by page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from netpolicy.errors import Diagnostics, InputError, Location
from netpolicy.progress import Progress
from netpolicy.sources import kinds
from netpolicy.sources.raw import RawObject

PAGE = 500
#: Resource names (plural, as the API serves them) of the kinds netpolicy reads.
_PLURALS = {
    "Namespace": "namespaces", "Service": "services", "ServiceAccount": "serviceaccounts", "Pod": "pods",
    "Node": "nodes", "EndpointSlice": "endpointslices",
    "ReplicationController": "replicationcontrollers", "Deployment": "deployments",
    "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "ReplicaSet": "replicasets", "Job": "jobs",
    "CronJob": "cronjobs", "NetworkPolicy": "networkpolicies", "GlobalNetworkPolicy": "globalnetworkpolicies",
    "NetworkSet": "networksets", "GlobalNetworkSet": "globalnetworksets", "Tier": "tiers", "Profile": "profiles",
    "HostEndpoint": "hostendpoints", "IPPool": "ippools", "StagedNetworkPolicy": "stagednetworkpolicies",
    "StagedGlobalNetworkPolicy": "stagedglobalnetworkpolicies",
    "StagedKubernetesNetworkPolicy": "stagedkubernetesnetworkpolicies",
    "AdminNetworkPolicy": "adminnetworkpolicies", "BaselineAdminNetworkPolicy": "baselineadminnetworkpolicies",
    "ClusterNetworkPolicy": "clusternetworkpolicies",
}
#: Families whose API may be absent from a cluster (a CRD or an aggregated API not installed).
_OPTIONAL = (kinds.CALICO, kinds.ADMIN)


@dataclass(frozen=True)
class LiveSource:
    """Which cluster to read: kubeconfig file and context (None: kubectl's defaults), and namespace scope."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None  # None: all namespaces


@dataclass(frozen=True)
class _Resource:
    info: kinds.KindInfo
    api_version: str
    plural: str

    def path(self, namespace: str | None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        scoped = namespace is not None and self.info.namespaced
        return f"{base}/namespaces/{namespace}/{self.plural}" if scoped else f"{base}/{self.plural}"

    def describe(self, namespace: str | None) -> str:
        group = self.api_version.rpartition("/")[0]
        resource = f"{self.plural}.{group}" if group else self.plural
        scope = f"in namespace {namespace}" if namespace and self.info.namespaced else (
            "in all namespaces" if self.info.namespaced else "(cluster-scoped)")
        return f"list {resource} {scope}"


def resources() -> list[_Resource]:
    """Every (kind, API version) read from a cluster; Calico's v3 API first, its CRDs as the fallback."""
    return [_Resource(info, version, _PLURALS[info.kind]) for info in kinds.KINDS for version in info.api_versions]


def read_cluster(source: LiveSource, diags: Diagnostics) -> list[RawObject]:
    """Every object of the kinds netpolicy reads, from the cluster `source` names; raises InputError if unusable."""
    client, context = _client(source)
    objects: list[RawObject] = []
    missing: list[str] = []
    read_calico = False
    with Progress(len(resources())) as progress:
        for index, resource in enumerate(resources()):
            progress.update(index, f"reading {resource.plural} from {context}")
            if resource.info.family == kinds.CALICO and resource.api_version != kinds.CALICO_API_VERSIONS[0] \
                    and read_calico:
                continue  # the v3 API served this kind: its CRD holds the same objects
            items = _list(client, resource, source.namespace, context, diags)
            if items is None:
                if resource.info.family in _OPTIONAL and resource.api_version == resource.info.api_versions[-1]:
                    missing.append(f"{resource.info.kind} ({resource.api_version})")
                continue
            read_calico |= resource.info.family == kinds.CALICO and resource.api_version == kinds.CALICO_API_VERSIONS[0]
            for item in items:
                item.setdefault("apiVersion", resource.api_version)
                item.setdefault("kind", resource.info.kind)
                objects.append(RawObject(item, Location(_location(context, item))))
    if missing:
        diags.warn(f"not served by this cluster (CRD not installed), skipped: {', '.join(missing)}",
                   Location(f"cluster:{context}"))
    return objects


def _location(context: str, item: dict[str, Any]) -> str:
    metadata = item.get("metadata") or {}
    namespace = metadata.get("namespace") or "-"
    return f"cluster:{context}/{item['kind']}/{namespace}/{metadata.get('name', '?')}"


def _client(source: LiveSource) -> tuple[Any, str]:
    try:
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise InputError("reading a live cluster needs the kubernetes client",
                         suggestion="pip install 'netpolicy[live]'") from None
    try:
        contexts, active = config.list_kube_config_contexts(config_file=source.kubeconfig)
        names = [c["name"] for c in contexts or []]
        context = source.context or (active or {}).get("name", "")
        if source.context and source.context not in names:
            raise InputError(f"--context: no context {source.context!r} in the kubeconfig",
                             expected=", ".join(names) or "a context of the kubeconfig")
        client = config.new_client_from_config(config_file=source.kubeconfig, context=source.context)
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        raise InputError(f"cannot use the kubeconfig: {exc}",
                         suggestion="check `kubectl config view` and --kubeconfig/--context") from None
    return client, context


def _list(client: Any, resource: _Resource, namespace: str | None, context: str,
          diags: Diagnostics) -> list[dict[str, Any]] | None:
    """Every item of one resource, page by page; None (with a note) when the API is not served."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    items: list[dict[str, Any]] = []
    token = ""
    while True:
        query = [("limit", PAGE)] + ([("continue", token)] if token else [])
        try:
            status, data = _get(client, resource.path(namespace), query)
        except ApiException as exc:
            status, data = exc.status, b""
        except HTTPError as exc:
            raise InputError(f"cannot reach the cluster of context {context!r}: {_reason(exc)}",
                             suggestion="check the network and `kubectl --context "
                                        f"{context} get ns`") from None
        if status == 0:
            raise InputError(f"cannot reach the cluster of context {context!r}: TLS or connection failure")
        if status != 200:
            return _refused(status, resource, namespace, context, diags)
        page = json.loads(data)
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def _get(client: Any, path: str, query: list[tuple[str, Any]]) -> tuple[int, bytes]:
    """One GET through the client's authentication: (status, body), for the client's old and new call styles."""
    headers = {"Accept": "application/json"}
    if hasattr(client, "param_serialize"):  # kubernetes >= 33
        request = client.param_serialize("GET", path, query_params=query, header_params=headers,
                                         auth_settings=["BearerToken"])
        response = client.call_api(*request, _request_timeout=30)
        return response.status, response.read()
    response = client.call_api(path, "GET", query_params=query, header_params=headers, auth_settings=["BearerToken"],
                               _preload_content=False, _request_timeout=30, _return_http_data_only=False)
    return response[1], response[0].data


def _refused(status: int, resource: _Resource, namespace: str | None, context: str,
             diags: Diagnostics) -> list[dict[str, Any]] | None:
    """What a refused list means: None for an API not served, [] when it can be done without, else an error."""
    where = Location(f"cluster:{context}")
    if status == 404 and resource.info.family in _OPTIONAL:
        return None
    if status == 403 and namespace is not None and not resource.info.namespaced:
        diags.warn(f"forbidden: {resource.describe(namespace)}; read without it", where)
        return []
    if status in (401, 403):
        verb = resource.describe(namespace)
        raise InputError(f"forbidden: {verb} (HTTP {status}); netpolicy only lists, so the account needs "
                         f"the list verb on {resource.plural}", where,
                         suggestion=f"check with `kubectl auth can-i {' '.join(verb.split()[:2])}"
                                    f"{' -A' if namespace is None and resource.info.namespaced else ''}`")
    raise InputError(f"the cluster refused to {resource.describe(namespace)} (HTTP {status})", where)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason).split(": ", 1)[-1][:200]
