"""Kubernetes LabelSelectors compiled to the selector AST, as Calico's `k8sSelectorToCalico` does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netpolicy.selectors.ast import (
    AllNode,
    AndNode,
    CompareNode,
    HasNode,
    InNode,
    Node,
    NotNode,
    Selector,
)

ORCHESTRATOR_TERM = CompareNode("projectcalico.org/orchestrator", "==", "k8s")


def label_selector_node(match_labels: Mapping[str, str] | None,
                        match_expressions: Sequence[Mapping[str, object]] | None) -> Node:
    """matchLabels (sorted by key) then matchExpressions in order, ANDed; `{}` is `all()`.

    Operators: In, NotIn, Exists, DoesNotExist (already validated by the caller).
    """
    terms: list[Node] = [CompareNode(k, "==", str(v)) for k, v in sorted((match_labels or {}).items())]
    for expr in match_expressions or ():
        key, op = str(expr["key"]), str(expr["operator"])
        values = frozenset(str(v) for v in (expr.get("values") or ()))
        if op == "In":
            terms.append(InNode(key, values))
        elif op == "NotIn":
            terms.append(InNode(key, values, negated=True))
        elif op == "Exists":
            terms.append(HasNode(key))
        elif op == "DoesNotExist":
            terms.append(NotNode(HasNode(key)))
        else:
            raise ValueError(f"unknown operator {op!r}")
    if not terms:
        return AllNode()
    return terms[0] if len(terms) == 1 else AndNode(tuple(terms))


def pod_selector(selector: Mapping[str, object] | None) -> Selector:
    """A podSelector as Calico writes it: `projectcalico.org/orchestrator == 'k8s' && …`."""
    node = label_selector_node(*_parts(selector))
    if isinstance(node, AllNode):
        return Selector(ORCHESTRATOR_TERM)
    rest = node.operands if isinstance(node, AndNode) else (node,)
    return Selector(AndNode((ORCHESTRATOR_TERM, *rest)))


def namespace_selector(selector: Mapping[str, object] | None) -> Selector:
    """A namespaceSelector over namespace labels (nil or `{}` both give `all()` here)."""
    return Selector(label_selector_node(*_parts(selector)))


def _parts(selector: Mapping[str, object] | None):
    if not selector:
        return None, None
    return selector.get("matchLabels"), selector.get("matchExpressions")  # type: ignore[return-value]
