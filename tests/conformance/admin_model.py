"""Builds the cluster of an anp/cnp conformance case (houses, StatefulSet pods, host-network centaurs)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass
class AdminConformanceState:
    """Namespaces and policies as a case's steps change them; the pods never change."""

    model: dict
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    policies: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    @classmethod
    def initial(cls, case: dict) -> AdminConformanceState:
        state = cls(case["model"], {ns: dict(labels) for ns, labels in case["model"]["namespaces"].items()})
        state.set_policies({"policies": case.get("policies") or []})
        return state

    def apply(self, op: dict) -> None:
        if op["op"] != "set-namespace-labels":
            raise ValueError(f"unknown setup op {op['op']}")
        ns = op["namespace"]
        self.namespaces[ns] = {**op["labels"], "kubernetes.io/metadata.name": ns}

    def set_policies(self, step: dict) -> None:
        for ref in step.get("delete_policies") or ():
            self.policies.pop((ref["kind"], ref.get("namespace") or "", ref["name"]), None)
        for policy in step.get("policies") or ():
            meta = policy["metadata"]
            self.policies[(policy["kind"], meta.get("namespace") or "", meta["name"])] = copy.deepcopy(policy)

    def host_ips(self) -> dict[str, str]:
        """Host-network pods (no workload endpoint): their node IP, to probe as an address."""
        return {pod["pod"]: pod["ip"] for pod in self.model["pods"] if pod.get("hostNetwork")}

    def documents(self) -> list[dict]:
        """Namespaces, pods (IPs, named container ports, hostNetwork) and the policies in force."""
        docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
                            for ns, labels in self.namespaces.items()]
        for pod in self.model["pods"]:
            ns, name = pod["pod"].split("/")
            ports = [{"containerPort": p["port"], "protocol": p["protocol"], **({"name": p["name"]} if "name" in p else {})}
                     for p in pod["ports"]]
            spec = {"nodeName": "node-1", "containers": [{"name": "serve", "ports": ports}]}
            if pod.get("hostNetwork"):
                spec["hostNetwork"] = True
            docs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": name, "namespace": ns, "labels": dict(pod["labels"])},
                         "spec": spec, "status": {"phase": "Running", "podIP": pod["ip"]}})
        docs.extend(self.policies.values())
        return docs


def replay(case: dict):
    """Yield (step number, step, state) as the case's steps change the cluster."""
    state = AdminConformanceState.initial(case)
    for number, step in enumerate(case["steps"]):
        for op in step.get("setup") or ():
            state.apply(op)
        state.set_policies(step)
        yield number, step, state
