"""Builders for lint tests: small clusters as Kubernetes and Calico objects, and running one rule on them."""

from __future__ import annotations

from pathlib import Path

from netpolicy.analysis.lint import Finding, LintConfig, run_lint
from netpolicy.analysis.lint.config import RuleSettings
from netpolicy.api import load_cluster, load_documents
from netpolicy.options import Options

CALICO = "projectcalico.org/v3"


def namespace(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}}}


def deployment(name: str, namespace: str = "shop", labels: dict | None = None, ports: list | None = None,
               env: dict | None = None, annotations: dict | None = None) -> dict:
    """A Deployment; `ports` are `(port, protocol)` or `(port, protocol, name)` tuples."""
    container: dict = {"name": name, "image": "example/app:1"}
    if ports:
        container["ports"] = [{"containerPort": p[0], "protocol": p[1], **({"name": p[2]} if len(p) > 2 else {})}
                              for p in ports]
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    labels = labels or {"app": name}
    metadata: dict = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}


def service(name: str, namespace: str, selector: dict, port: int, target: int | str, protocol: str = "TCP") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target, "protocol": protocol}]}}


def k8s_policy(name: str, spec: dict, namespace: str = "shop", annotations: dict | None = None) -> dict:
    metadata: dict = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata, "spec": spec}


def calico_policy(name: str, spec: dict, namespace: str | None = "shop") -> dict:
    metadata: dict = {"name": name}
    if namespace is None:
        return {"apiVersion": CALICO, "kind": "GlobalNetworkPolicy", "metadata": metadata, "spec": spec}
    metadata["namespace"] = namespace
    return {"apiVersion": CALICO, "kind": "NetworkPolicy", "metadata": metadata, "spec": spec}


def shop(*extra: dict) -> list[dict]:
    """Namespace `shop` with `web` (app=web, TCP 8080 named http) and `db` (app=db, TCP 5432), plus `extra`."""
    return [namespace("shop"),
            deployment("web", ports=[(8080, "TCP", "http")]),
            deployment("db", ports=[(5432, "TCP")]),
            *extra]


def lint(documents: list[dict], rule: str | None = None, options: Options | None = None,
         config: LintConfig | None = None) -> list[Finding]:
    """The findings (of one rule, if given) on a cluster made of `documents`; only that rule runs."""
    if rule is not None and config is None:
        config = only(rule)
    cluster = load_documents(documents, options)
    return [f for f in run_lint(cluster, options, config) if rule is None or f.rule == rule]


def lint_paths(paths: list[Path | str], rule: str | None = None, options: Options | None = None) -> list[Finding]:
    """Like `lint`, from files (which keeps every field's line)."""
    cluster = load_cluster([str(p) for p in paths], options)
    return [f for f in run_lint(cluster, options, only(rule) if rule else None) if rule is None or f.rule == rule]


def only(rule: str, **settings) -> LintConfig:
    """A configuration running just one rule (with options)."""
    from netpolicy.analysis.lint import RULES

    rules = {r: RuleSettings(enabled=False) for r in RULES if r != rule}
    rules[rule] = RuleSettings(options=settings)
    return LintConfig(rules)


def cluster_policy(name: str, priority: int, tier: str = "Admin", subject: dict | None = None,
                   ingress: list | None = None, egress: list | None = None) -> dict:
    """A ClusterNetworkPolicy (v1alpha2); the subject defaults to every namespace."""
    spec: dict = {"tier": tier, "priority": priority, "subject": subject or {"namespaces": {}}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def pods_in(namespace: str, **labels: str) -> dict:
    """A `pods` peer or subject: pods with these labels in the named namespace."""
    return {"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                     "podSelector": {"matchLabels": labels}}}
