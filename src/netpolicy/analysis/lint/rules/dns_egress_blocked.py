"""dns-egress-blocked: an endpoint whose egress is isolated without UDP and TCP 53 to the cluster DNS."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import ERROR, WARNING, Finding, enumeration, finding_at
from netpolicy.analysis.lint.objects import is_k8s_policy, types_field
from netpolicy.analysis.lint.portable import portable_cluster
from netpolicy.errors import InputError
from netpolicy.model.cluster import K8S_NAMESPACE_NAME_LABEL, POD, Endpoint, NamedPort, calico_labels
from netpolicy.model.ir import EGRESS, Policy
from netpolicy.model.protocols import TCP, UDP
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "dns-egress-blocked"
SEVERITY = WARNING
DOC = ("An endpoint whose egress is isolated needs an explicit allowance for DNS — UDP and TCP port 53 to "
       "the cluster DNS pods (kube-system pods labelled `k8s-app: kube-dns` by default) — or it cannot "
       "resolve any name. This is the most common way a default-deny policy breaks an application. When the "
       "input holds no DNS pods the check runs against a stand-in DNS pod with those labels. It is an error "
       "when the endpoint's environment names a Service (as `postgresql:5432` in a URL): it then needs DNS "
       "to reach it. DNS let through only by a Kubernetes ipBlock that covers pod addresses is reported as a "
       "warning: Calico matches pods with ipBlocks, CNIs such as Cilium do not. Options: `namespace`, "
       "`labels` (the DNS pods' labels) and `address` (of the stand-in).")
OPTIONS: dict = {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}, "address": ""}
STAND_IN = "cluster-dns"
#: A client's source port, for explaining which rule lets a query out.
EPHEMERAL_PORT = 40000


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Isolated endpoints that cannot reach the cluster DNS on UDP 53 and TCP 53."""
    from netpolicy.engine.matrix import Matrix

    namespace = settings["namespace"]
    labels = settings["labels"]
    servers = [e for e in ctx.policed
               if e.namespace == namespace and all(e.labels.get(k) == v for k, v in labels.items())]
    label_text = ",".join(f"{k}={v}" for k, v in labels.items())
    target = f"{namespace} pods {label_text}"
    extra: list[Endpoint] = []
    if not servers:
        servers = extra = [_stand_in(ctx, namespace, labels, settings["address"])]
        target += f" (none in the input: checked against a stand-in at {servers[0].ips[0]})"
    cluster = replace(ctx.cluster, endpoints=[*ctx.cluster.endpoints, *extra]) if extra else ctx.cluster
    matrix = Matrix(cluster, ctx.options) if extra else ctx.matrix
    portable = portable_cluster(ctx)
    portable_matrix = None
    for endpoint in ctx.policed:
        if endpoint in servers:
            continue
        missing = _missing(matrix, endpoint, servers)
        only_portable = False
        if not missing and portable is not None:
            if portable_matrix is None:
                portable_cluster_, portable_options = portable
                portable_matrix = Matrix(replace(portable_cluster_, endpoints=[*portable_cluster_.endpoints, *extra]),
                                         portable_options)
            missing = _missing(portable_matrix, endpoint, servers)
            only_portable = bool(missing)
        if not missing:
            continue
        governing = matrix.governing(endpoint, EGRESS)
        blamed = _blamed(ctx, governing)
        if blamed is None:
            continue
        policy, raw = blamed
        through = _allowed_by(cluster, ctx.options, endpoint, servers[0], missing) if only_portable else ""
        message = _message(endpoint, missing, governing, target, through)
        severity = ""
        if endpoint.env_refs_services:
            message += "; its environment names a Service, which it can only find through DNS"
            severity = "" if only_portable else ERROR
        related = tuple(k for k in (ctx.endpoint_key(endpoint),) if k is not None)
        yield finding_at(ID, raw, _egress_type_path(raw), message, _suggestion(policy, raw, namespace, labels),
                         severity=severity, related=related)


def _missing(matrix, endpoint: Endpoint, servers: list[Endpoint]) -> list[str]:
    """`UDP` and/or `TCP`: what the endpoint's egress does not allow on port 53 (from every source port)
    to some DNS server."""
    missing = []
    for name, protocol in (("UDP", UDP), ("TCP", TCP)):
        columns = matrix.atoms.point_mask(protocol, 53)
        for server in servers:
            family = matrix.common_family(endpoint, server)
            if family is None:
                continue
            row = matrix.side_table(endpoint, EGRESS).row(matrix.peer_class[(server.id, family)])
            if not (columns.any() and row[columns].all()):
                missing.append(name)
                break
    return missing


def _blamed(ctx: LintContext, governing: list[Policy]) -> tuple[Policy, RawObject] | None:
    """The policy to fix: of those isolating the endpoint, the one selecting the most endpoints."""
    candidates = [(p, p.source) for p in governing]
    candidates = [(p, r) for p, r in candidates if r is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda pr: (len(ctx.selected(pr[0])), -candidates.index(pr)))


def _allowed_by(cluster, options, endpoint: Endpoint, server: Endpoint, missing: list[str]) -> str:
    """The rule that lets the endpoint's DNS queries out today (`ns/policy egress[0]`)."""
    from netpolicy.engine.flow import FlowEvaluator

    protocol = UDP if "UDP" in missing else TCP
    step = FlowEvaluator(cluster, options).evaluate(endpoint, server, protocol, 53, EPHEMERAL_PORT).egress.trace[-1]
    return f"{step.policy} {step.rule}" if step.policy and step.rule else "an ipBlock rule"


def _message(endpoint: Endpoint, missing: list[str], governing: list[Policy], target: str, through: str) -> str:
    names = enumeration([p.id for p in governing])
    if len(missing) == 2:
        what = "no rule allows UDP 53 or TCP 53"
    elif missing == ["TCP"]:
        what = "UDP 53 is allowed but TCP 53 is not (DNS retries over TCP when an answer is too large for UDP)"
    else:
        what = "TCP 53 is allowed but UDP 53 is not (DNS queries go over UDP first)"
    if through:
        return (f"{endpoint.id} reaches the cluster DNS only because the ipBlock of {through} covers pod "
                "addresses, which Calico matches and CNIs that keep ipBlock for traffic from outside the cluster "
                f"(Cilium, for one) do not: its egress is isolated by {names}, and apart from that ipBlock {what} "
                f"to {target}")
    return f"{endpoint.id} cannot resolve names: its egress is isolated by {names}, and {what} to {target}"


def _egress_type_path(raw: RawObject) -> str:
    """The `Egress` entry of policyTypes/types, else the egress rules, else the spec."""
    spec = raw.data.get("spec") or {}
    field = types_field(raw)
    types = spec.get(field)
    if isinstance(types, list) and "Egress" in types:
        return f"spec.{field}[{types.index('Egress')}]"
    return "spec.egress" if spec.get("egress") is not None else "spec"


def _suggestion(policy: Policy, raw: RawObject, namespace: str, labels: dict) -> str:
    if is_k8s_policy(raw):
        pods = ", ".join(f"{k}: {v}" for k, v in labels.items())
        return (f"allow DNS in {policy.name} (or a policy of its own): an egress rule "
                f"`to: [{{namespaceSelector: {{matchLabels: {{{K8S_NAMESPACE_NAME_LABEL}: {namespace}}}}}, "
                f"podSelector: {{matchLabels: {{{pods}}}}}}}]` with "
                "`ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]`")
    selector = " && ".join(f"{k} == '{v}'" for k, v in labels.items())
    return (f"add to {policy.name}, before any rule that denies it, an egress rule `{{action: Allow, protocol: UDP, "
            f"destination: {{namespaceSelector: projectcalico.org/name == '{namespace}', selector: {selector}, "
            "ports: [53]}}` and the same with protocol TCP")


def _stand_in(ctx: LintContext, namespace: str, labels: dict, configured: str) -> Endpoint:
    """A DNS pod as the cluster would have it, for inputs that do not hold one."""
    known = ctx.cluster.namespaces.get(namespace)
    namespace_labels = dict(known.labels) if known else {K8S_NAMESPACE_NAME_LABEL: namespace}
    address = _address(ctx, configured)
    return Endpoint(
        id=f"{namespace}/{STAND_IN}", kind=POD, name=STAND_IN, namespace=namespace, labels=dict(labels),
        selector_labels=calico_labels(labels, namespace=namespace, namespace_labels=namespace_labels,
                                      service_account=None, service_account_labels={}),
        ips=(address,), ports=(NamedPort("dns", UDP, 53), NamedPort("dns-tcp", TCP, 53)),
    )


def _address(ctx: LintContext, configured: str):
    if configured:
        try:
            return ipaddress.ip_address(configured)
        except ValueError:
            raise InputError(f"lint.rules.{ID}.address: {configured!r} is not an IP address",
                             expected="e.g. 10.244.255.254") from None
    from netpolicy.sources.ip_pool import cluster_pod_networks

    network = cluster_pod_networks(ctx.cluster, ctx.options.pod_cidr)[0]
    used = {ip for e in ctx.cluster.endpoints for ip in e.ips}
    candidate = network.broadcast_address - 1
    while candidate in used and candidate > network.network_address:
        candidate -= 1
    return candidate
