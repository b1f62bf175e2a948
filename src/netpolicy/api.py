"""The library's front door: load a cluster (from paths or in-memory objects), then `matrix`, `query`
(`querier` for many queries), `lint` or `diff` it. `import netpolicy` offers these same functions; the CLI calls them."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.diff.compute import DiffResult
    from netpolicy.analysis.flow_query import FlowQuery
    from netpolicy.analysis.lint import Finding, LintConfig
    from netpolicy.analysis.port_sweep import PortSweep
    from netpolicy.engine.flow import FlowResult
    from netpolicy.engine.matrix import Matrix
    from netpolicy.engine.service_flow import ServiceFlow
    from netpolicy.progress import StageReport

K8S_POLICY_GROUP = "networking.k8s.io"
ADMIN_GROUP = "policy.networking.k8s.io"


def load_cluster(paths: Sequence[str], options: Options | None = None, *, stdin: IO[str] | None = None,
                 diagnostics: Diagnostics | None = None, rendered: Sequence[tuple[str, str]] = (),
                 objects: Sequence[RawObject] = ()) -> Cluster:
    """Read every path, build endpoints, compile every policy kind; raise `InputErrors` on bad input.

    `rendered` adds YAML texts by name (a chart rendered by helm); `objects` adds objects already read
    (from a live cluster).
    """
    from netpolicy.sources.bulk import gc_paused

    diags = diagnostics if diagnostics is not None else Diagnostics()
    with gc_paused():  # what loading makes is acyclic: no collection needs to look at it
        return _load(paths, options or Options(), stdin, diags, rendered, objects)


def _load(paths: Sequence[str], options: Options, stdin: IO[str] | None, diags: Diagnostics,
          rendered: Sequence[tuple[str, str]], extra: Sequence[RawObject]) -> Cluster:
    from netpolicy.sources import read_objects

    objects = read_objects(list(paths), diags, stdin=stdin, rendered=rendered) if paths or rendered else []
    return _compile([*objects, *extra], options, diags)


def _compile(objects: list[RawObject], options: Options, diags: Diagnostics) -> Cluster:
    """The cluster of `objects`: endpoints built, every policy kind compiled; raises on bad input."""
    from netpolicy.policies.admin import compile_admin_policy
    from netpolicy.policies.calico.compile import builtin_profiles, builtin_tiers, compile_calico
    from netpolicy.policies.kubernetes.compile import compile_network_policy
    from netpolicy.sources import build_cluster

    base = build_cluster(objects, options, diags)
    policies = []
    for obj in base.objects:
        group = obj.group
        policy = None
        if group == K8S_POLICY_GROUP and obj.kind == "NetworkPolicy":
            policy = compile_network_policy(obj, options, diags)
        elif group == ADMIN_GROUP:
            policy = compile_admin_policy(obj, options, diags)
        if policy is not None:
            policies.append(policy)
    calico = compile_calico(base.objects, base, options, diags)
    with_endpoints = replace(base, endpoints=(*base.endpoints, *calico.endpoints), ip_pools=calico.ip_pools)
    diags.raise_if_errors()
    return replace(with_endpoints, policies=(*policies, *calico.policies),
                   tiers={**builtin_tiers(options.calico_version), **calico.tiers},
                   profiles={**builtin_profiles(with_endpoints), **calico.profiles}, warnings=diags.warnings)


def load_documents(documents: Sequence[Mapping[str, Any]], options: Options | None = None, *,
                   source: str = "<memory>", diagnostics: Diagnostics | None = None) -> Cluster:
    """Like `load_cluster`, from already-parsed Kubernetes/Calico objects (mappings; `List`s are
    flattened). Locations name `source`; the documents are copied, never changed."""
    from netpolicy.sources.bulk import gc_paused
    from netpolicy.sources.documents import document_objects
    from netpolicy.sources.lines import ParsedDocument

    diags = diagnostics if diagnostics is not None else Diagnostics()
    objects: list[RawObject] = []
    with gc_paused():
        for document in documents:
            parsed = ParsedDocument(copy.deepcopy(dict(document)) if isinstance(document, Mapping) else document, 1, 0)
            objects.extend(document_objects(parsed, source, diags))
        return _compile(objects, options or Options(), diags)


def matrix(cluster: Cluster, options: Options | None = None, progress: StageReport | None = None) -> Matrix:
    """Who can reach whom: the connectivity matrix (`Matrix.connections(src, dst)`, `Matrix.flows()`).

    `options` should be those the cluster was loaded with; `progress(stage, done, total)` hears how far
    the set-up is."""
    from netpolicy.engine.matrix import compute_matrix

    return compute_matrix(cluster, options, progress)


def query(cluster: Cluster, source: str, destination: str, protocol: int | str = "TCP", port: int | str | None = None,
          src_port: int | None = None, options: Options | None = None) -> FlowResult | ServiceFlow | PortSweep:
    """One flow's verdict and both sides' traces, as `netpolicy query` answers it.

    `source`/`destination`: an endpoint id (`ns/name`), an IP address or a node (`node/<name>`, its address);
    the destination may also be a Service (`svc/<ns>/<name>`, its ClusterIP, a load-balancer or external IP,
    `<node>:<nodePort>`), then the answer is a `ServiceFlow` judged per backend. `protocol` is a name in any
    case or a number; `port` a number or a named port of the destination (ICMP: the type, `src_port` the
    code). Without `port`, a TCP, UDP or SCTP flow is swept over every port: a `PortSweep`."""
    return querier(cluster, options)(source, destination, protocol, port, src_port)


def querier(cluster: Cluster, options: Options | None = None) -> FlowQuery:
    """`query` bound to one cluster, for many questions: `querier(cluster)(source, destination, ...)`
    answers as `query` does; `.flow(...)` evaluates one packet between endpoints or addresses only."""
    from netpolicy.analysis.flow_query import FlowQuery

    return FlowQuery(cluster, options)


def lint(cluster: Cluster, options: Options | None = None, config: LintConfig | str | None = None) -> list[Finding]:
    """Every lint finding, sorted by file and line; `config` is a `LintConfig`, a configuration file's
    path, or None for `.netpolicy.yaml` in the working directory if there is one."""
    from netpolicy.analysis.lint import LintConfig, load_config, run_lint

    if not isinstance(config, LintConfig):
        config = load_config(config)
    return run_lint(cluster, options, config)


def diff(before: Cluster, after: Cluster, options: Options | None = None) -> DiffResult:
    """What changing `before` into `after` newly allows and newly blocks, with the rules responsible."""
    from netpolicy.analysis.diff.compute import semantic_diff

    return semantic_diff(before, after, options)
