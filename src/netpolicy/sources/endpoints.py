"""Pods and workloads to endpoints: one per standalone pod and per top-level workload, with addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.model.addresses import IPAddress, IPNetwork
from netpolicy.model.cluster import (
    POD,
    Endpoint,
    HostNetworkPod,
    Namespace,
    ServiceAccount,
    assigned_labels,
    profile_labels,
)
from netpolicy.options import Options
from netpolicy.sources import fields, kinds
from netpolicy.sources.accept import Accepted
from netpolicy.sources.env_refs import env_refs_services
from netpolicy.sources.ip_pool import AddressPool, PoolExhausted, pod_networks
from netpolicy.sources.ownership import Owners
from netpolicy.sources.pod_spec import PodSpecInfo, read_pod_spec

#: Where each workload kind keeps its pod template (every other kind: `spec.template`).
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {"CronJob": ("spec", "jobTemplate", "spec", "template")}
FINISHED_PHASES = ("Succeeded", "Failed")

# Why a pod or workload is not an endpoint (docs/semantics.md#not-endpoints).
HOST_NETWORK = "hostNetwork: traffic carries the node's address and no policy applies"
FINISHED = "finished (phase Succeeded or Failed), so no address"
UNSCHEDULED = "not scheduled to a node, so no address"
#: Past this many objects excluded for one reason, one warning lists the first few.
_LISTED = 3


@dataclass
class _Draft:
    """An endpoint being built: everything but its final id and, perhaps, its address."""

    entry: Accepted
    labels: dict[str, str]
    spec: PodSpecInfo
    replicas: int = 1
    ips: list[IPAddress] = field(default_factory=list)
    ip_assigned: bool = False
    id: str = ""


@dataclass
class EndpointContext:
    """What endpoints inherit or refer to: namespaces, service accounts, Service names, taken addresses."""

    namespaces: Mapping[str, Namespace]
    service_accounts: Mapping[tuple[str, str], ServiceAccount]
    services_by_namespace: Mapping[str, Set[str]]
    reserved: Iterable[IPAddress] = ()


def build_endpoints(accepted: list[Accepted], context: EndpointContext, options: Options,
                    diags: Diagnostics, host_network: list[HostNetworkPod] | None = None
                    ) -> tuple[list[Endpoint], list[IPNetwork]]:
    """The endpoints of every standalone pod and top-level workload, sorted by id, and the pod CIDR(s)
    endpoints without an address were given one from; the hostNetwork pods and workloads, which are no
    endpoints, are added to `host_network` when given."""
    workloads = [a for a in accepted if a.info.family == kinds.WORKLOAD and a.info.kind != POD]
    pods = [a for a in accepted if a.info.family == kinds.WORKLOAD and a.info.kind == POD]
    owners = Owners(workloads)
    excluded: dict[str, list[Accepted]] = {}
    drafts: list[_Draft] = []
    on_host: list[_Draft] = []
    folded: dict[int, list[IPAddress]] = {}
    for pod in pods:
        root = owners.root(pod) if workloads else pod
        reason = _pod_exclusion(pod.obj.data)
        ips = _pod_ips(pod, diags) if reason is None else []
        if root is not pod:
            folded.setdefault(id(root), []).extend(ips)
        elif reason is not None:
            excluded.setdefault(reason, []).append(pod)
            if reason == HOST_NETWORK and host_network is not None:
                on_host.append(_Draft(pod, pod.labels, read_pod_spec(pod.obj.data.get("spec"), pod.obj, "spec", diags)))
        else:
            spec = read_pod_spec(pod.obj.data.get("spec"), pod.obj, "spec", diags)
            drafts.append(_Draft(pod, pod.labels, spec, ips=ips))
    for workload in workloads:
        if owners.root(workload) is workload:
            draft = _workload_draft(workload, diags)
            if draft.spec.host_network:
                excluded.setdefault(HOST_NETWORK, []).append(workload)
                on_host.append(draft)
            else:
                draft.ips = _sorted_unique(folded.get(id(workload), []))
                drafts.append(draft)
    for reason, entries in excluded.items():
        _warn_excluded(reason, entries, diags)
    _assign_ids(drafts)
    for draft in drafts:
        draft.ip_assigned = bool(draft.ips)
    in_input_order = list(drafts)
    drafts.sort(key=lambda d: d.id)
    _warn_shared_addresses(drafts, diags)
    networks = _assign_addresses(drafts, context.reserved, options, diags)
    inherited = _Inherited(context)
    # Built in input order, where the objects read lie together in memory, then sorted.
    endpoints = [_endpoint(d, context, inherited) for d in in_input_order]
    endpoints.sort(key=lambda e: e.id)
    if host_network is not None:
        _assign_ids(on_host)
        host_network.extend(sorted((_host_network_pod(d, inherited) for d in on_host), key=lambda h: h.id))
    return endpoints, networks


def _host_network_pod(draft: _Draft, inherited: _Inherited) -> HostNetworkPod:
    entry = draft.entry
    namespace = entry.namespace or kinds.DEFAULT_NAMESPACE
    from_profiles, assigned, _ = inherited.parts(namespace, draft.spec.service_account)
    return HostNetworkPod(draft.id, entry.info.kind, namespace, entry.name, draft.labels,
                          {**from_profiles, **draft.labels, **assigned},
                          draft.spec.node if entry.info.kind == POD else None, entry.obj.location, draft.spec.ports)


def _pod_exclusion(pod: dict[str, Any]) -> str | None:
    """Why a pod has no workload endpoint, or None: hostNetwork, finished, or (in a dump) unscheduled."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    if spec.get("hostNetwork") is True:
        return HOST_NETWORK
    status = pod.get("status") if isinstance(pod.get("status"), dict) else {}
    phase = status.get("phase")
    if phase in FINISHED_PHASES:
        return FINISHED
    if phase == "Pending" and not spec.get("nodeName"):
        return UNSCHEDULED
    return None


def _pod_ips(pod: Accepted, diags: Diagnostics) -> list[IPAddress]:
    """`status.podIPs` (or `status.podIP`), each address once; invalid ones are errors."""
    status = pod.obj.data.get("status")
    if not isinstance(status, dict):
        return []
    entries = status.get("podIPs")
    if entries.__class__ is list and len(entries) == 1 and entries[0].__class__ is dict:
        try:
            return [parse_ip(entries[0].get("ip"))]  # one address: the usual case
        except ValueError:
            pass
    found: list[tuple[str, Any]] = []
    for index, entry in fields.mappings(entries, pod.obj, "status.podIPs", diags):
        found.append((f"status.podIPs[{index}].ip", entry.get("ip")))
    if not found and status.get("podIP") not in (None, ""):
        found.append(("status.podIP", status.get("podIP")))
    ips: list[IPAddress] = []
    for path, text in found:
        try:
            address = parse_ip(text)
        except ValueError:
            fields.report(diags, pod.obj, path, f"{fields.show(text)} is not an IP address",
                          "an IPv4 or IPv6 address, without a zone (%eth0), not IPv4-mapped (::ffff:a.b.c.d)")
            continue
        if address not in ips:
            ips.append(address)
    return ips


def _sorted_unique(addresses: list[IPAddress]) -> list[IPAddress]:
    """The addresses of a workload's pods in address order, each once, whatever the input order."""
    by_value = {(a.version, int(a)): a for a in addresses}
    return [by_value[key] for key in sorted(by_value)]


def parse_ip(text: Any) -> IPAddress:
    """An IPv4 or IPv6 address from its text (IPv4 on a fast path); raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(text)
    try:
        return ipaddress.IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
    except OSError:
        address = ipaddress.ip_address(text)
    if address.version == 6 and (address.scope_id is not None or address.ipv4_mapped is not None):
        raise ValueError(text)  # the API server accepts neither a zone nor an IPv4-mapped IPv6 address
    return address


def _workload_draft(workload: Accepted, diags: Diagnostics) -> _Draft:
    obj, kind = workload.obj, workload.info.kind
    template_keys = TEMPLATE_PATHS.get(kind, ("spec", "template"))
    template: Any = obj.data
    for depth, key in enumerate(template_keys):
        template = fields.mapping(template.get(key), obj, ".".join(template_keys[:depth + 1]), diags)
    path = ".".join(template_keys)
    metadata = fields.mapping(template.get("metadata"), obj, f"{path}.metadata", diags)
    labels = fields.string_map(metadata.get("labels"), obj, f"{path}.metadata.labels", diags)
    spec = read_pod_spec(template.get("spec"), obj, f"{path}.spec", diags)
    _check_selector(obj, labels, diags)
    return _Draft(workload, labels, spec, replicas=_replicas(workload, diags))


def _check_selector(obj, template_labels: dict[str, str], diags: Diagnostics) -> None:
    """The API server rejects a workload whose `spec.selector.matchLabels` does not select its template."""
    spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not isinstance(selector.get("matchLabels"), dict):
        return
    for key, value in selector["matchLabels"].items():
        if template_labels.get(key) != value:
            fields.report(diags, obj, f"spec.selector.matchLabels.{key}",
                          "`selector` does not match template `labels`",
                          f"the template's label {key}={fields.show(value)}")
            return


def _replicas(workload: Accepted, diags: Diagnostics) -> int:
    """Pods a workload runs at once: `replicas`, a Job's `parallelism`; a DaemonSet counts as one."""
    obj, kind = workload.obj, workload.info.kind
    spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    if kind == "DaemonSet":
        return 1
    if kind == "Job":
        return fields.count(spec.get("parallelism"), obj, "spec.parallelism", diags, 1)
    if kind == "CronJob":
        job = spec.get("jobTemplate", {}).get("spec") if isinstance(spec.get("jobTemplate"), dict) else None
        parallelism = job.get("parallelism") if isinstance(job, dict) else None
        return fields.count(parallelism, obj, "spec.jobTemplate.spec.parallelism", diags, 1)
    return fields.count(spec.get("replicas"), obj, "spec.replicas", diags, 1)


def _assign_ids(drafts: list[_Draft]) -> None:
    """`namespace/name`; a workload whose namespace and name another endpoint shares: `namespace/Kind/name`."""
    names = Counter((d.entry.namespace, d.entry.name) for d in drafts)
    for draft in drafts:
        namespace, name, kind = draft.entry.namespace, draft.entry.name, draft.entry.info.kind
        shared = kind != POD and names[(namespace, name)] > 1
        draft.id = f"{namespace}/{kind}/{name}" if shared else f"{namespace}/{name}"


def _warn_shared_addresses(drafts: list[_Draft], diags: Diagnostics) -> None:
    owner: dict[tuple[int, int], str] = {}
    for draft in drafts:
        for address in draft.ips:
            other = owner.setdefault((address.version, int(address)), draft.id)
            if other != draft.id:
                diags.warn(f"{draft.id} has the address {address}, which {other} has too",
                           draft.entry.obj.location, suggestion="the input mixes pods of different times")


def _assign_addresses(drafts: list[_Draft], reserved: Iterable[IPAddress], options: Options,
                      diags: Diagnostics) -> list[IPNetwork]:
    """Give each endpoint without an address the next free one of the pod CIDR(s), in id order; the
    pod CIDR(s) in effect (none when --pod-cidr is not one)."""
    homeless = [d for d in drafts if not d.ips]
    used = [*(address for d in drafts for address in d.ips), *reserved]
    try:
        networks = pod_networks(options.pod_cidr, len(homeless), used)
    except ValueError:
        diags.error(f"{fields.show(options.pod_cidr)} is not a pod CIDR", path="--pod-cidr",
                    expected="a CIDR such as 10.244.0.0/16, or one IPv4 and one IPv6 CIDR separated by a comma")
        return []
    if not homeless:
        return networks
    pool = AddressPool(networks, used)
    for draft in homeless:
        try:
            draft.ips = list(pool.allocate())
        except PoolExhausted as exc:
            diags.error(f"the pod CIDR {exc.network} has no free address left for {draft.id}",
                        draft.entry.obj.location, suggestion="give a larger --pod-cidr")
            break
    return networks


class _Inherited:
    """What the workload endpoints of one namespace and service account share, made once per pair: the
    labels their profiles give, the `projectcalico.org/*` labels Calico sets, their profile names."""

    def __init__(self, context: EndpointContext) -> None:
        self._context = context
        self._parts: dict[tuple[str, str], tuple[dict[str, str], dict[str, str], tuple[str, str]]] = {}

    def parts(self, namespace: str, account: str) -> tuple[dict[str, str], dict[str, str], tuple[str, str]]:
        """(profile labels, assigned labels, profile names) of a workload endpoint."""
        found = self._parts.get((namespace, account))
        if found is None:
            context = self._context
            namespace_labels = context.namespaces[namespace].labels if namespace in context.namespaces else {}
            service_account = context.service_accounts.get((namespace, account))
            found = self._parts[(namespace, account)] = (
                profile_labels(namespace=namespace, namespace_labels=namespace_labels, service_account=account,
                               service_account_labels=service_account.labels if service_account else {}),
                assigned_labels(namespace=namespace, service_account=account),
                (f"kns.{namespace}", f"ksa.{namespace}.{account}"),
            )
        return found


def _endpoint(draft: _Draft, context: EndpointContext, inherited: _Inherited) -> Endpoint:
    entry, spec = draft.entry, draft.spec
    namespace = entry.namespace or kinds.DEFAULT_NAMESPACE
    account = spec.service_account
    from_profiles, assigned, profiles = inherited.parts(namespace, account)
    return Endpoint(
        id=draft.id,
        kind=entry.info.kind,
        name=entry.name,
        namespace=namespace,
        labels=draft.labels,
        selector_labels={**from_profiles, **draft.labels, **assigned},
        ips=tuple(draft.ips),
        ports=spec.ports,
        service_account=account,
        profiles=profiles,
        replicas=draft.replicas,
        ip_assigned=draft.ip_assigned,
        node=spec.node,
        location=entry.obj.location,
        source=entry.obj,
        env_refs_services=bool(spec.env) and env_refs_services(spec.env, namespace, context.services_by_namespace),
    )


def _warn_excluded(reason: str, entries: list[Accepted], diags: Diagnostics) -> None:
    """One warning per object, or past a few, one warning naming the first ones and the count."""
    if len(entries) <= _LISTED:
        for entry in entries:
            diags.warn(f"{entry.info.kind} {entry.namespace}/{entry.name} is not an endpoint: {reason}",
                       entry.obj.location)
        return
    names = ", ".join(f"{e.namespace}/{e.name}" for e in entries[:_LISTED])
    kinds_named = "/".join(sorted({e.info.kind for e in entries}))
    diags.warn(f"{len(entries)} objects ({kinds_named}) are not endpoints: {reason}: "
               f"{names} and {len(entries) - _LISTED} more", entries[0].obj.location)
