"""selector-never-matches: a selector whose terms contradict each other, so no label set can satisfy it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.calico_fields import selector_fields
from netpolicy.analysis.lint.finding import ERROR, Finding, finding_at
from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.restrictions import always_matches, never_matches

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "selector-never-matches"
SEVERITY = ERROR
DOC = ("A selector that no label set can satisfy — `app == 'a' && app == 'b'`, `has(x) && !has(x)`, a "
       "matchExpressions `In` and `NotIn` of the same value — selects nothing today and never will, "
       "whatever is deployed. Found from the selector's label restrictions, as Calico's own index does. "
       "A `notSelector` that matches every label set makes its rule unmatchable and is reported too.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Contradictory selectors in Kubernetes and Calico policies."""
    for policy, raw in ctx.k8s_policies:
        written = k8s_fields.spec(raw).get("podSelector")
        if never_matches(k8s_fields.label_node(written)):
            yield finding_at(ID, raw, "spec.podSelector",
                             f"{policy.id} podSelector {k8s_fields.selector_text(written)} can never match: "
                             "its terms contradict each other, so the policy selects no pod",
                             "remove or correct the contradicting matchLabels/matchExpressions")
        for peer in k8s_fields.peers(raw):
            for field, written in (("podSelector", peer.pod_selector), ("namespaceSelector", peer.namespace_selector)):
                if written is not None and never_matches(k8s_fields.label_node(written)):
                    yield finding_at(ID, raw, f"{peer.path}.{field}",
                                     f"{policy.id} {field} {k8s_fields.selector_text(written)} can never match: "
                                     "its terms contradict each other, so this peer admits nothing",
                                     "remove or correct the contradicting matchLabels/matchExpressions")
    for policy, raw in ctx.calico_policies:
        reported = False
        for path, name, text in selector_fields(raw):
            try:
                selector = parse(text)
            except SelectorError:
                continue
            if name == "notSelector":
                if always_matches(selector):
                    reported = True
                    yield finding_at(ID, raw, path, f"{policy.id} notSelector {selector} excludes every "
                                     "endpoint, so the rule can never match", "remove or narrow the notSelector")
            elif never_matches(selector):
                reported = True
                yield finding_at(ID, raw, path, f"{policy.id} {name} {selector} can never match: its terms "
                                 "contradict each other", "remove or correct the contradicting terms")
        if not reported and never_matches(policy.selector):
            yield finding_at(ID, raw, "spec.selector",
                             f"{policy.id} can never apply: its effective selector {policy.selector} "
                             "(the policy's own selectors with Calico's namespace scoping) is contradictory",
                             "a namespaced policy only selects endpoints of its own namespace; "
                             "use a GlobalNetworkPolicy to reach others")
