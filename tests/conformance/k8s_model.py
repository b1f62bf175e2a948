"""Builds the cluster of a k8s-netpol conformance case (namespaces x/y/z, pods a/b/c) as manifests."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

NAMESPACE_INDEX = {"x": 1, "y": 2, "z": 3, "w": 4, "y-2": 5}
POD_INDEX = {"a": 1, "b": 2, "c": 3, "d": 4}


def pod_ip(pod: str, explicit: dict[str, str]) -> str:
    if pod in explicit:
        return explicit[pod]
    ns, name = pod.split("/")
    return f"10.0.{NAMESPACE_INDEX[ns]}.{16 * POD_INDEX[name]}"


@dataclass
class ConformanceState:
    """Namespaces, pods and policies as a case's steps change them."""

    model: dict
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    pods: dict[str, dict[str, str]] = field(default_factory=dict)
    policies: dict[tuple[str, str], dict] = field(default_factory=dict)

    @classmethod
    def initial(cls, model: dict) -> ConformanceState:
        state = cls(model)
        for ns in model["namespaces"]:
            state.namespaces[ns] = {"ns": ns, "kubernetes.io/metadata.name": ns}
            for pod in model["pods"]:
                state.pods[f"{ns}/{pod}"] = {"pod": pod}
        return state

    def apply(self, op: dict) -> None:
        kind = op["op"]
        if kind == "add-namespace-labels":
            self.namespaces[op["namespace"]].update(op["labels"])
        elif kind == "set-namespace-labels":
            ns = op["namespace"]
            self.namespaces[ns] = {**op["labels"], "kubernetes.io/metadata.name": ns}
        elif kind == "create-namespace":
            ns = op["namespace"]
            self.namespaces[ns] = {**(op.get("labels") or {}), "kubernetes.io/metadata.name": ns}
        elif kind == "delete-namespace":
            ns = op["namespace"]
            self.namespaces.pop(ns)
            self.pods = {k: v for k, v in self.pods.items() if not k.startswith(ns + "/")}
            self.policies = {k: v for k, v in self.policies.items() if k[0] != ns}
        elif kind == "add-pod-labels":
            self.pods[op["pod"]].update(op["labels"])
        elif kind == "set-pod-labels":
            self.pods[op["pod"]] = dict(op["labels"])
        elif kind == "create-pod":
            self.pods[op["pod"]] = dict(op.get("labels") or {})
        elif kind == "delete-pod":
            self.pods.pop(op["pod"])
        else:
            raise ValueError(f"unknown setup op {kind}")

    def set_policies(self, step: dict) -> None:
        if step.get("delete_all_policies"):
            self.policies.clear()
        for ref in step.get("delete_policies") or ():
            self.policies.pop((ref["namespace"], ref["name"]), None)
        for policy in step.get("policies") or ():
            meta = policy["metadata"]
            self.policies[(meta.get("namespace", "default"), meta["name"])] = copy.deepcopy(policy)

    def documents(self) -> list[dict]:
        """Namespaces, pods (IPs, named container ports) and policies as Kubernetes objects."""
        explicit = self.model.get("pod_ips") or {}
        docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
                            for ns, labels in self.namespaces.items()]
        ports = [{"name": f"serve-{port}-{proto.lower()}", "containerPort": port, "protocol": proto}
                 for port in self.model["ports"] for proto in self.model["protocols"]]
        for pod, labels in self.pods.items():
            ns, name = pod.split("/")
            docs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": name, "namespace": ns, "labels": labels},
                         "spec": {"nodeName": "node-1", "containers": [{"name": "serve", "ports": ports}]},
                         "status": {"phase": "Running", "podIP": pod_ip(pod, explicit)}})
        docs.extend(self.policies.values())
        return docs


def case_steps(case: dict) -> list[dict]:
    """A case's steps; a single-step case is one step of its top-level setup, policies and expectations."""
    if "steps" in case:
        return case["steps"]
    return [{"setup": case.get("setup"), "policies": case.get("policies"),
             "expectations": case.get("expectations") or []}]


def replay(case: dict):
    """Yield (step number, step, cluster documents) as the case's steps change the cluster."""
    state = ConformanceState.initial(case["model"])
    for number, step in enumerate(case_steps(case)):
        for op in step.get("setup") or ():
            state.apply(op)
        state.set_policies(step)
        yield number, step, state.documents()
