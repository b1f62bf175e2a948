"""The fields of a Kubernetes NetworkPolicy as written: its rules, their peers and ports, with field paths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.selectors import k8s as k8s_selectors
from netpolicy.selectors.ast import Node, Selector
from netpolicy.sources.raw import RawObject

PEERS_FIELD = {INGRESS: "from", EGRESS: "to"}


def spec(raw: RawObject) -> dict[str, Any]:
    value = raw.data.get("spec")
    return value if isinstance(value, dict) else {}


def rules(raw: RawObject, direction: str) -> list[tuple[int, dict[str, Any]]]:
    """`(index, rule)` of `spec.ingress` or `spec.egress`."""
    items = spec(raw).get(direction)
    return [(i, r) for i, r in enumerate(items) if isinstance(r, dict)] if isinstance(items, list) else []


def rule_at(raw: RawObject, rule_path: str) -> dict[str, Any]:
    """The rule at an IR rule's path (`spec.ingress[2]`), as written; `{}` if there is none."""
    direction, _, rest = rule_path.removeprefix("spec.").partition("[")
    try:
        index = int(rest.rstrip("]"))
    except ValueError:
        return {}
    return dict(rules(raw, direction)).get(index, {})


@dataclass(frozen=True)
class Peer:
    """One entry of a rule's `from`/`to` list."""

    direction: str
    rule_index: int
    index: int
    data: dict[str, Any]

    @property
    def path(self) -> str:
        return f"spec.{self.direction}[{self.rule_index}].{PEERS_FIELD[self.direction]}[{self.index}]"

    @property
    def pod_selector(self) -> dict | None:
        value = self.data.get("podSelector")
        return value if isinstance(value, dict) else None

    @property
    def namespace_selector(self) -> dict | None:
        value = self.data.get("namespaceSelector")
        return value if isinstance(value, dict) else None

    @property
    def ip_block(self) -> dict | None:
        value = self.data.get("ipBlock")
        return value if isinstance(value, dict) else None


def peers(raw: RawObject, direction: str | None = None) -> Iterator[Peer]:
    """Every peer of every rule (of one direction, or both)."""
    for each in (direction,) if direction else (INGRESS, EGRESS):
        for i, rule in rules(raw, each):
            items = rule.get(PEERS_FIELD[each])
            if isinstance(items, list):
                yield from (Peer(each, i, j, p) for j, p in enumerate(items) if isinstance(p, dict))


def label_node(selector: dict | None) -> Node:
    """A LabelSelector (as written) as a selector node over plain labels."""
    selector = selector or {}
    return k8s_selectors.label_selector_node(selector.get("matchLabels"), selector.get("matchExpressions"))


def peer_selector(peer: Peer, namespace: str) -> Selector | None:
    """The effective selector of a pod/namespace peer as Calico scopes it; None for ipBlock peers."""
    from netpolicy.policies.kubernetes.compile import scoped_selector

    if peer.ip_block is not None:
        return None
    pods = k8s_selectors.pod_selector(peer.pod_selector)
    namespaces = peer.namespace_selector
    scope = k8s_selectors.namespace_selector(namespaces) if namespaces is not None else None
    return scoped_selector(pods, scope, namespace)


def selector_text(selector: dict | None) -> str:
    """kubectl's notation of a LabelSelector: `app=web,tier in (a,b)`; `<all>` when empty."""
    selector = selector or {}
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op = expr.get("key"), expr.get("operator")
        values = ",".join(str(v) for v in expr.get("values") or ())
        terms.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": f"{key}",
                      "DoesNotExist": f"!{key}"}.get(op, f"{key} {op} ({values})"))
    return ",".join(terms) or "<all>"


def port_path(raw: RawObject, rule_path: str, port: object) -> str:
    """The path of the `port` field of the rule's first `ports` entry naming `port`, else the rule's path."""
    items = rule_at(raw, rule_path).get("ports")
    for j, entry in enumerate(items if isinstance(items, list) else []):
        if isinstance(entry, dict) and str(entry.get("port")) == str(port):
            return f"{rule_path}.ports[{j}].port"
    return rule_path
