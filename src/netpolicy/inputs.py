"""Where a command's objects come from: files, a rendered Helm chart or kustomization, or a live cluster."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import IO

from netpolicy.errors import Diagnostics, InputError, Problem
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options
from netpolicy.sources.raw import RawObject

#: The program name under which kubectl runs netpolicy as a plugin (`kubectl netpolicy matrix`).
KUBECTL_PLUGIN = "kubectl-netpolicy"


@dataclass
class Inputs:
    """The input options of one command line."""

    files: list[str] = field(default_factory=list)
    helm: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    release: str | None = None
    kustomize: list[str] = field(default_factory=list)
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    as_plugin: bool = False

    @property
    def live(self) -> bool:
        """Whether the cluster is read: --context or --kubeconfig, or no other input with -n, -A or as a plugin."""
        if self.context or self.kubeconfig:
            return True
        return not (self.files or self.helm or self.kustomize) and (
            self.namespace is not None or self.all_namespaces or self.as_plugin)

    def describe(self) -> list[str]:
        """Each input in a few words: paths, `helm CHART`, `kustomize DIR`, `cluster CONTEXT`."""
        names = [*self.files, *(f"helm {c}" for c in self.helm), *(f"kustomize {d}" for d in self.kustomize)]
        if self.live:
            names.append(f"cluster {self.context or 'of the current context'}"
                         + (f" (namespace {self.namespace})" if self.namespace else ""))
        return names

    def check(self) -> None:
        """Refuse contradictory or missing input options."""
        if self.namespace is not None and self.all_namespaces:
            raise InputError("-n/--namespace and -A/--all-namespaces both given", suggestion="use one of them")
        if (self.values or self.release) and not self.helm:
            raise InputError("--values and --release go with --helm CHART")
        if not (self.files or self.helm or self.kustomize or self.live):
            raise InputError("no input: give -f PATH, --helm CHART, -k DIR or --context NAME",
                             suggestion="e.g. -f manifests/ -f policies/, or --context prod for a live cluster")


def running_as_plugin() -> bool:
    """Whether this process was started as `kubectl-netpolicy` (kubectl's plugin name)."""
    return os.path.basename(sys.argv[0] or "") == KUBECTL_PLUGIN


def load_inputs(inputs: Inputs, options: Options, stdin: IO[str] | None = None,
                diagnostics: Diagnostics | None = None, objects: Sequence[RawObject] = ()) -> Cluster:
    """The cluster of every input named (and of `objects`, already read), through one pipeline; raises
    InputErrors on bad input."""
    from netpolicy.api import load_cluster

    inputs.check()
    rendered = []
    if inputs.helm or inputs.kustomize:
        from netpolicy.sources.rendered import helm_template, kustomize_build

        chart_namespace = None if inputs.live else inputs.namespace
        rendered = [helm_template(chart, inputs.values, inputs.release, chart_namespace) for chart in inputs.helm]
        rendered += [kustomize_build(directory) for directory in inputs.kustomize]
    diags = diagnostics if diagnostics is not None else Diagnostics()
    live = []
    if inputs.live:
        from netpolicy.sources.live import LiveSource, read_cluster

        source = LiveSource(inputs.kubeconfig, inputs.context, None if inputs.all_namespaces else inputs.namespace)
        live = read_cluster(source, diags)
    cluster = load_cluster(inputs.files, options, stdin=stdin, diagnostics=diags,
                           rendered=[(r.name, r.text) for r in rendered], objects=[*live, *objects])
    if cluster.policies and not any(e.policed for e in cluster.endpoints):
        cluster = replace(cluster, warnings=(*cluster.warnings, Problem(
            f"{len(cluster.policies)} polic{'y' if len(cluster.policies) == 1 else 'ies'} read but no pods or "
            "workloads: there is nothing for them to select, so every answer is about external addresses",
            suggestion="add the app's manifests (Deployments, StatefulSets, Pods) with another -f, "
                       "or read them from a cluster with `kubectl get deploy,sts,ds,pods -A -o yaml`",
            severity="warning")))
    return cluster
