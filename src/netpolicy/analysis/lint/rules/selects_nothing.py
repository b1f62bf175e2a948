"""selects-nothing: a policy, or a peer of one of its rules, that matches no endpoint of the input."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.calico_fields import side
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.analysis.lint.labels import did_you_mean
from netpolicy.engine.match import side_selectors
from netpolicy.model.ir import K8S_NETWORK_POLICY, Policy
from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.ast import Selector
from netpolicy.selectors.restrictions import never_matches
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "selects-nothing"
SEVERITY = WARNING
DOC = ("A policy whose selector matches none of the pods and workloads in the input protects nothing, "
       "and a rule peer (podSelector/namespaceSelector, or a Calico selector) that matches no endpoint "
       "admits nothing: both are usually a typo in a label key or value. A Calico rule side is judged as "
       "Felix matches it, `(selector) && !(notSelector)`: a notSelector that excludes every endpoint its side "
       "selects is reported too. The finding offers the existing "
       "labels nearest by edit distance (\"did you mean app: django?\"). Peers are only judged in namespaces "
       "whose workloads the input holds: a peer in kube-system is not wrong because kube-system is not in "
       "the input.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Policies and peers that select nothing the input holds."""
    if not ctx.policed:
        return
    for policy, raw in ctx.policies:
        if (not ctx.selected(policy) and _judged(ctx, [policy.namespace] if policy.namespace else None)
                and not any(policy.selector.matches(p.selector_labels) for p in ctx.cluster.host_network_pods)):
            yield _policy_finding(ctx, policy, raw)
    for policy, raw in ctx.k8s_policies:
        yield from _k8s_peers(ctx, policy, raw)
    for policy, raw in ctx.calico_policies:
        yield from _calico_peers(ctx, policy, raw)


def _policy_finding(ctx: LintContext, policy: Policy, raw: RawObject) -> Finding:
    in_scope = ctx.endpoints_in(policy.namespace)
    if policy.kind == K8S_NETWORK_POLICY:
        path = "spec.podSelector"
        written = k8s_fields.spec(raw).get("podSelector")
        what = f"podSelector {k8s_fields.selector_text(written)}"
        hint = did_you_mean(Selector(k8s_fields.label_node(written)), [e.labels for e in in_scope])
    else:
        path = "spec.selector"
        text = k8s_fields.spec(raw).get("selector") or "all()"
        what = f"selector {text}"
        hint = did_you_mean(_parse(text), [e.selector_labels for e in in_scope])
    where = f"namespace {policy.namespace}" if policy.namespace else "the input"
    message = (f"{policy.id} selects nothing: its {what} matches none of the {len(in_scope)} "
               f"pods and workloads in {where}")
    return finding_at(ID, raw, path, message, hint or "check the selector against the pods' labels")


def _k8s_peers(ctx: LintContext, policy: Policy, raw: RawObject) -> Iterator[Finding]:
    namespace = policy.namespace or "default"
    for peer in k8s_fields.peers(raw):
        selector = k8s_fields.peer_selector(peer, namespace)
        if selector is None or never_matches(selector):
            continue
        namespaces = peer.namespace_selector
        if namespaces is None:
            scope, where = [namespace], f"in namespace {namespace}"
        else:
            scope = ctx.namespaces_matching(Selector(k8s_fields.label_node(namespaces)))
            where = f"in namespaces {k8s_fields.selector_text(namespaces)}"
        if not _judged(ctx, scope) or ctx.matching(selector):
            continue
        pods_text = k8s_fields.selector_text(peer.pod_selector)
        field = f"{peer.direction}[{peer.rule_index}].{k8s_fields.PEERS_FIELD[peer.direction]}[{peer.index}]"
        candidates = [e.labels for n in scope for e in ctx.endpoints_in(n)]
        hint = did_you_mean(Selector(k8s_fields.label_node(peer.pod_selector)), candidates)
        message = (f"{policy.id} {field} (pods {pods_text} {where}) matches no pod or workload "
                   "of the input: the rule admits nothing through this peer")
        yield finding_at(ID, raw, peer.path, message, hint or "check the selectors against the labels in use")


def _calico_peers(ctx: LintContext, policy: Policy, raw: RawObject) -> Iterator[Finding]:
    for rule in policy.ingress + policy.egress:
        for side_name in ("source", "destination"):
            entity = getattr(rule, side_name)
            positive, _ = side_selectors(entity)  # with a notSelector, `(selector) && !(notSelector)`
            if positive is None or never_matches(entity.selector):
                continue
            written = side(k8s_fields.rule_at(raw, rule.path), side_name)
            scope = _calico_scope(ctx, policy, written.get("namespaceSelector"))
            if not _judged(ctx, scope) or ctx.matching(positive):
                continue
            excluded = positive is not entity.selector and bool(ctx.matching(entity.selector))
            yield _calico_finding(ctx, policy, raw, rule, side_name, written, scope, excluded)


def _calico_finding(ctx: LintContext, policy: Policy, raw: RawObject, rule, side_name: str, written: Mapping,
                    scope: list[str] | None, excluded: bool) -> Finding:
    """A Calico rule side matching no endpoint: its selectors select none, or its notSelector excludes
    every endpoint they select."""
    if excluded:
        message = (f"{policy.id} {rule.name} {side_name}: notSelector {written.get('notSelector')} excludes every "
                   f"endpoint of the input the side selects{'' if written.get('selector') else ' (in its namespace)'}"
                   ": the rule can never match")
        return finding_at(ID, raw, f"{rule.path}.{side_name}.notSelector", message, "narrow the notSelector")
    field = next((f for f in ("selector", "namespaceSelector", "serviceAccounts", "notSelector")
                  if written.get(f)), "")
    path = f"{rule.path}.{side_name}" + (f".{field}" if field else "")
    text = written.get("selector")
    candidates = [e.selector_labels for e in ctx.policed] if scope is None else [
        e.selector_labels for n in scope for e in ctx.endpoints_in(n)]
    hint = did_you_mean(_parse(text), candidates) if text else ""
    shown = f"{field} {written.get(field)}" if field and isinstance(written.get(field), str) else field
    message = (f"{policy.id} {rule.name} {side_name} ({shown or getattr(rule, side_name).selector}) matches no "
               "endpoint of the input: the rule can never match")
    return finding_at(ID, raw, path, message, hint or "check the selector against the labels in use")


def _calico_scope(ctx: LintContext, policy: Policy, namespace_selector: object) -> list[str] | None:
    """Namespaces a Calico rule side can select in: its namespaceSelector's, else the policy's own
    (None: every namespace, for a global policy)."""
    if isinstance(namespace_selector, str) and namespace_selector.strip():
        return ctx.namespaces_matching(_parse(namespace_selector))
    return [policy.namespace] if policy.namespace else None


def _judged(ctx: LintContext, scope: list[str] | None) -> bool:
    """Whether the input holds the namespaces a peer selects in: pods elsewhere are not the input's to judge."""
    return scope is None or any(n in ctx.populated_namespaces for n in scope)


def _parse(text: str) -> Selector:
    try:
        return parse(text)
    except SelectorError:
        return parse("all()")
