"""unknown-namespace: a policy in, or a selector naming, a namespace the input does not have."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.calico_fields import sides
from netpolicy.analysis.lint.finding import INFO, WARNING, Finding, finding_at
from netpolicy.model.cluster import K8S_NAMESPACE_NAME_LABEL, NAME_LABEL
from netpolicy.selectors import Selector, SelectorError, parse
from netpolicy.selectors.restrictions import required_equalities
from netpolicy.suggest import closest, did_you_mean

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "unknown-namespace"
SEVERITY = WARNING
DOC = ("A policy whose namespace, or a namespaceSelector that names a namespace "
       "(`kubernetes.io/metadata.name`, Calico's `projectcalico.org/name`), refers to a namespace the input "
       "neither defines nor deploys into is usually a typo or a stale copy: a warning when a namespace of the "
       "input is a near spelling, otherwise info (the namespace may simply live outside the input). "
       "Kubernetes' own namespaces (kube-system, kube-public, kube-node-lease, default) are always known. "
       "Only checked when the input defines namespaces at all.")
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})
OPTIONS: dict = {}
NAME_KEYS = (K8S_NAMESPACE_NAME_LABEL, NAME_LABEL)


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Namespaces named by policies that the input does not hold."""
    yield from _name_label_mistakes(ctx)
    defined = {name for name, ns in ctx.cluster.namespaces.items() if ns.defined}
    if not defined:
        return
    known = ctx.known_namespaces | SYSTEM_NAMESPACES
    for policy, raw in ctx.policies:
        if policy.namespace and policy.namespace not in known:
            yield _finding(raw, "metadata.namespace",
                           f"{policy.id} is in namespace {policy.namespace}, which the input does not define",
                           policy.namespace, ctx.known_namespaces)
    for policy, raw in ctx.k8s_policies:
        for peer in k8s_fields.peers(raw):
            selector = peer.namespace_selector
            if selector is None:
                continue
            for name in sorted(_named(k8s_fields.label_node(selector)) - known):
                yield _finding(raw, f"{peer.path}.namespaceSelector",
                               f"{policy.id} {peer.direction}[{peer.rule_index}] selects namespace {name}, "
                               "which the input does not define", name, ctx.known_namespaces)
    for policy, raw in ctx.calico_policies:
        for direction, i, side_name, entity in sides(raw):
            text = entity.get("namespaceSelector")
            if not isinstance(text, str) or not text.strip():
                continue
            try:
                node = parse(text)
            except SelectorError:
                continue
            for name in sorted(_named(node) - known):
                yield _finding(raw, f"spec.{direction}[{i}].{side_name}.namespaceSelector",
                               f"{policy.id} {direction}[{i}] {side_name} selects namespace {name}, which the "
                               "input does not define", name, ctx.known_namespaces)


def _name_label_mistakes(ctx: LintContext) -> Iterator[Finding]:
    """`namespaceSelector: {matchLabels: {name: x}}` where no namespace has a `name` label of x: Kubernetes
    sets only `kubernetes.io/metadata.name` on every namespace."""
    for policy, raw in ctx.k8s_policies:
        for peer in k8s_fields.peers(raw):
            selector = peer.namespace_selector
            labels = selector.get("matchLabels") if isinstance(selector, dict) else None
            value = labels.get("name") if isinstance(labels, dict) else None
            if not isinstance(value, str) or ctx.namespaces_matching(Selector(k8s_fields.label_node(selector))):
                continue
            fixed = {**labels}
            fixed.pop("name")
            fixed[K8S_NAMESPACE_NAME_LABEL] = value
            if not ctx.namespaces_matching(Selector(k8s_fields.label_node({**selector, "matchLabels": fixed}))):
                continue
            yield finding_at(ID, raw, f"{peer.path}.namespaceSelector.matchLabels.name",
                             f"{policy.id} {peer.direction}[{peer.rule_index}] selects namespaces labelled "
                             f"name={value}, and no namespace carries that label: Kubernetes labels every "
                             f"namespace {K8S_NAMESPACE_NAME_LABEL}=<name>, not name=<name>, so the peer "
                             "admits nothing", did_you_mean([f"{K8S_NAMESPACE_NAME_LABEL}: {value}"]),
                             severity=WARNING)


def _named(selector) -> set[str]:
    """Namespace names the selector requires through a name label."""
    required = required_equalities(selector)
    return {name for key in NAME_KEYS for name in required.get(key, ())}


def _finding(raw, path: str, message: str, name: str, known: set[str]) -> Finding:
    """A warning with a correction when a known namespace is a near spelling, else an info."""
    guess = did_you_mean(closest(name, known))
    if guess:
        return finding_at(ID, raw, path, message, guess)
    return finding_at(ID, raw, path, message, f"namespaces in the input: {', '.join(sorted(known)[:8])}",
                      severity=INFO)
