"""Stand-in pods: pods an expectations file declares because the checked files lack them (cluster DNS…)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from typing import IO

from netpolicy.analysis.expectations.model import StandInPod
from netpolicy.errors import Diagnostics, Location
from netpolicy.model.cluster import Cluster
from netpolicy.model.protocols import protocol_name
from netpolicy.options import Options
from netpolicy.sources.raw import RawObject

#: Reads the paths (stdin from the stream given) with extra input objects: the stand-ins.
Reader = Callable[[list[str], IO[str] | None, Sequence[RawObject]], Cluster]
STAND_INS = "<stand-in pods>"


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


def stand_in_objects(pods: Sequence[StandInPod]) -> list[RawObject]:
    """The Pods of the stand-ins as input objects, each located where its expectations file declares it."""
    from netpolicy.sources.documents import document_objects
    from netpolicy.sources.lines import ParsedDocument

    diags = Diagnostics()
    objects: list[RawObject] = []
    for pod in pods:
        where = pod.location or Location(STAND_INS)
        objects += document_objects(ParsedDocument(pod_document(pod), where.line or 1, where.line or 1), where.file,
                                    diags)
    diags.raise_if_errors()
    return objects


def load_with_pods(paths: Sequence[str], pods: Sequence[StandInPod], options: Options,
                   stdin: IO[str] | None = None, read: Reader | None = None) -> Cluster:
    """Load `paths` (with `read`, default: the files alone), adding each stand-in pod whose id the input
    does not already have; stdin, read twice then, is kept in memory."""
    from netpolicy.api import load_cluster

    if read is None:
        def read(some: list[str], source: IO[str] | None, extra: Sequence[RawObject]) -> Cluster:
            return load_cluster(some, options, stdin=source, objects=extra)
    if not pods:
        return read(list(paths), stdin, ())
    if "-" in paths:
        stdin = io.StringIO((stdin or sys.stdin).read())
    cluster = read(list(paths), stdin, ())
    missing = [p for p in _unique(pods) if cluster.endpoint(p.id) is None]
    if not missing:
        return cluster
    if "-" in paths and stdin is not None:
        stdin.seek(0)
    return read(list(paths), stdin, stand_in_objects(missing))


def _unique(pods: Sequence[StandInPod]) -> list[StandInPod]:
    """Each id once (several files may declare the same stand-in)."""
    seen: dict[str, StandInPod] = {}
    for pod in pods:
        seen.setdefault(pod.id, pod)
    return list(seen.values())
