"""peer-and-vs-or: `from: [{podSelector}, {namespaceSelector}]` — two peers (OR) where one combined peer (AND) was meant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import EGRESS, INGRESS

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "peer-and-vs-or"
SEVERITY = WARNING
DOC = ("In a Kubernetes rule, `- namespaceSelector: …` and `podSelector: …` in one list entry select pods "
       "matching both (AND); written as two entries (`- namespaceSelector: …` and `- podSelector: …`) they are "
       "two peers and either admits (OR) — every pod of the selected namespaces, plus the selected pods of the "
       "policy's own namespace. One stray dash turns a narrow rule into a wide one. Reported when a rule has "
       "a podSelector-only peer right next to a namespaceSelector-only peer (the stray dash splits one entry "
       "in two adjacent ones), unless the rule also lists an ipBlock: a list mixing address blocks, namespaces "
       "and pods is a list of alternatives, as in the Kubernetes documentation's own example.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Rules listing a pod-only peer and a namespace-only peer side by side."""
    for policy, raw in ctx.k8s_policies:
        namespace = policy.namespace or "default"
        for direction in (INGRESS, EGRESS):
            by_rule: dict[int, list[k8s_fields.Peer]] = {}
            for peer in k8s_fields.peers(raw, direction):
                by_rule.setdefault(peer.rule_index, []).append(peer)
            for index, peers in by_rule.items():
                pair = _split_pair(peers)
                if pair is None:
                    continue
                pod, space = pair
                field = k8s_fields.PEERS_FIELD[direction]
                pod_text = k8s_fields.selector_text(pod.pod_selector)
                space_text = k8s_fields.selector_text(space.namespace_selector)
                later = max(pod, space, key=lambda p: p.index)
                yield finding_at(
                    ID, raw, later.path,
                    f"{policy.id} {direction}[{index}] lists {field}[{pod.index}] (pods {pod_text} in namespace "
                    f"{namespace}) and {field}[{space.index}] (every pod in namespaces {space_text}) as separate "
                    "peers, so either one is admitted. If pods "
                    f"{pod_text} in namespaces {space_text} were meant, that is one peer with both selectors",
                    "write them as one list entry: `- namespaceSelector: …` with `podSelector: …` below it, "
                    "without a dash of its own")


def _split_pair(peers: list[k8s_fields.Peer]) -> tuple[k8s_fields.Peer, k8s_fields.Peer] | None:
    """A pod-only peer and a namespace-only peer next to each other, in a rule without ipBlock peers."""
    if any(p.ip_block is not None for p in peers):
        return None
    for first, second in zip(peers, peers[1:], strict=False):
        if second.index != first.index + 1:
            continue
        for pod, space in ((first, second), (second, first)):
            if pod.pod_selector is not None and pod.namespace_selector is None \
                    and space.namespace_selector is not None and space.pod_selector is None:
                return pod, space
    return None
