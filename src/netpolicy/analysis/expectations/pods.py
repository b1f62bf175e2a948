"""Stand-in pods: pods an expectations file declares because the checked files lack them (cluster DNS…)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from netpolicy.analysis.expectations.model import StandInPod
from netpolicy.model.cluster import Cluster
from netpolicy.model.protocols import protocol_name
from netpolicy.options import Options


def pod_document(pod: StandInPod) -> dict:
    """The Kubernetes Pod a stand-in stands for."""
    container: dict = {"name": "main"}
    if pod.ports:
        container["ports"] = [
            {"containerPort": p.port, "protocol": protocol_name(p.protocol), **({"name": p.name} if p.name else {})}
            for p in pod.ports]
    document = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels)},
                "spec": {"containers": [container]}}
    if pod.ip:
        document["status"] = {"podIP": pod.ip, "podIPs": [{"ip": pod.ip}]}
    return document


@contextmanager
def _json_file(documents: list[dict]) -> Iterator[str]:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="netpolicy-pods-", delete=False)
    try:
        with handle:
            json.dump({"apiVersion": "v1", "kind": "List", "items": documents}, handle)
        yield handle.name
    finally:
        os.unlink(handle.name)


@contextmanager
def _stdin_file(stdin: IO[str]) -> Iterator[str]:
    handle = tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="netpolicy-stdin-", delete=False)
    try:
        with handle:
            handle.write(stdin.read())
        yield handle.name
    finally:
        os.unlink(handle.name)


def load_with_pods(paths: Sequence[str], pods: Sequence[StandInPod], options: Options,
                   stdin: IO[str] | None = None, read: Callable[[list[str]], Cluster] | None = None) -> Cluster:
    """Load `paths` (with `read`, default: the files alone), adding each stand-in pod whose id the input
    does not already have."""
    from netpolicy.api import load_cluster

    if read is None:
        def read(some: list[str]) -> Cluster:
            return load_cluster(some, options, stdin=stdin)
    if not pods:
        return read(list(paths))
    if "-" in paths:
        with _stdin_file(stdin or sys.stdin) as copy:
            return load_with_pods([copy if p == "-" else p for p in paths], pods, options, read=read)
    cluster = read(list(paths))
    missing = [p for p in _unique(pods) if cluster.endpoint(p.id) is None]
    if not missing:
        return cluster
    with _json_file([pod_document(p) for p in missing]) as extra:
        return read([*paths, extra])


def _unique(pods: Sequence[StandInPod]) -> list[StandInPod]:
    """Each id once (several files may declare the same stand-in)."""
    seen: dict[str, StandInPod] = {}
    for pod in pods:
        seen.setdefault(pod.id, pod)
    return list(seen.values())
