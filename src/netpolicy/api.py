"""The library's front door: load a cluster from paths, then query flows or compute the matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options
from netpolicy.sources.raw import RawObject

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
    from netpolicy.policies.admin import compile_admin_policy
    from netpolicy.policies.calico.compile import builtin_profiles, builtin_tiers, compile_calico
    from netpolicy.policies.kubernetes.compile import compile_network_policy
    from netpolicy.sources import build_cluster, read_objects

    objects = read_objects(list(paths), diags, stdin=stdin, rendered=rendered) if paths or rendered else []
    objects.extend(extra)
    cluster = build_cluster(objects, options, diags)
    for obj in cluster.objects:
        group = obj.group
        policy = None
        if group == K8S_POLICY_GROUP and obj.kind == "NetworkPolicy":
            policy = compile_network_policy(obj, options, diags)
        elif group == ADMIN_GROUP:
            policy = compile_admin_policy(obj, options, diags)
        if policy is not None:
            cluster.policies.append(policy)
    calico = compile_calico(cluster.objects, cluster, options, diags)
    cluster.policies.extend(calico.policies)
    cluster.endpoints.extend(calico.endpoints)
    cluster.tiers = {**builtin_tiers(options.calico_version), **calico.tiers}
    cluster.profiles = {**builtin_profiles(cluster), **calico.profiles}
    diags.raise_if_errors()
    cluster.warnings = diags.warnings
    return cluster


def load_documents(documents: Sequence[dict], options: Options | None = None, *, source: str = "<memory>",
                   diagnostics: Diagnostics | None = None) -> Cluster:
    """Like `load_cluster`, from already-parsed Kubernetes/Calico objects (dicts)."""
    import json
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="netpolicy-", delete=True) as handle:
        json.dump({"apiVersion": "v1", "kind": "List", "items": list(documents)}, handle)
        handle.flush()
        cluster = load_cluster([handle.name], options, diagnostics=diagnostics)
    return cluster
