"""Reading the cluster's objects: files, directories, stdin, `kubectl get -o json` dumps; workloads to endpoints."""

from netpolicy.sources.cluster_builder import build_cluster
from netpolicy.sources.reader import read_objects

__all__ = ["build_cluster", "read_objects"]
