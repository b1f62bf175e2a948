"""A generated `kubectl get -o json` dump: Deployments, their ReplicaSets and running Pods, per namespace."""

from __future__ import annotations

import json
from typing import Any


def deployment_dump(namespaces: int, deployments: int, replicas: int) -> dict[str, Any]:
    """A `kind: List` of every namespace's Deployments, ReplicaSets and Pods (pod IPs 10.x.y.z, unique)."""
    items: list[dict[str, Any]] = []
    serial = 0
    for n in range(namespaces):
        ns = f"ns-{n}"
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": f"t{n % 3}"}}})
        for d in range(deployments):
            name, labels = f"app-{d}", {"app": f"app-{d}"}
            template = {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "c", "ports": [{"name": "http", "containerPort": 8080}],
                 "env": [{"name": "PEER", "value": f"http://app-{(d + 1) % deployments}:8080/"}]}]}}
            items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                          "metadata": {"name": name, "namespace": ns, "uid": f"{ns}-{name}"},
                          "spec": {"replicas": replicas, "template": template}})
            rs = f"{name}-7d9f"
            items.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                          "metadata": {"name": rs, "namespace": ns, "uid": f"{ns}-{rs}", "ownerReferences": [
                              {"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                               "uid": f"{ns}-{name}", "controller": True}]},
                          "spec": {"replicas": replicas, "template": template}})
            for r in range(replicas):
                serial += 1
                ip = f"10.{serial >> 16 & 255}.{serial >> 8 & 255}.{serial & 255}"
                items.append({"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": f"{rs}-{r}", "namespace": ns, "labels": labels,
                                           "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                                "name": rs, "uid": f"{ns}-{rs}",
                                                                "controller": True}]},
                              "spec": {"nodeName": f"node-{serial % 7}", **template["spec"]},
                              "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def dump_text(namespaces: int, deployments: int, replicas: int) -> str:
    """The dump as `kubectl get -o json` prints it."""
    return json.dumps(deployment_dump(namespaces, deployments, replicas), indent=4)
