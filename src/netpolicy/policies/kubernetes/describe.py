"""Short human descriptions of Kubernetes peers, ports and label selectors, for rule explanations."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from netpolicy.model.intervals import IntervalSet

if TYPE_CHECKING:
    from netpolicy.policies.kubernetes.convert import CalicoPort
    from netpolicy.policies.kubernetes.models import LabelSelector, NetworkPolicyPeer


def label_selector_text(selector: LabelSelector) -> str:
    """kubectl's notation: `app=web,tier in (a,b),!legacy`; `<all>` for an empty selector."""
    terms = [f"{k}={v}" for k, v in sorted(selector.labels.items())]
    for expr in selector.match_expressions or ():
        values = ",".join(expr.values or ())
        terms.append({
            "In": f"{expr.key} in ({values})",
            "NotIn": f"{expr.key} notin ({values})",
            "Exists": expr.key,
            "DoesNotExist": f"!{expr.key}",
        }.get(expr.operator, f"{expr.key} {expr.operator} ({values})"))
    return ",".join(terms) or "<all>"


def peer_text(peer: NetworkPolicyPeer | None, field: str, index: int | None, namespace: str) -> str:
    """`from[1] ipBlock 10.0.0.0/8 except 10.0.1.0/24`, `to[0] pods app=db in namespace prod`, `from anywhere`."""
    if peer is None or index is None:
        return f"{field} anywhere"
    head = f"{field}[{index}]"
    if peer.ip_block is not None:
        excluded = ", ".join(peer.ip_block.except_ or ())
        return f"{head} ipBlock {peer.ip_block.cidr}" + (f" except {excluded}" if excluded else "")
    pods = peer.pod_selector
    who = "all pods" if pods is None or pods.is_empty else f"pods {label_selector_text(pods)}"
    namespaces = peer.namespace_selector
    if namespaces is None:
        where = f"in namespace {namespace}"
    elif namespaces.is_empty:
        where = "in all namespaces"
    else:
        where = f"in namespaces {label_selector_text(namespaces)}"
    return f"{head} {who} {where}"


@lru_cache(maxsize=4096)
def ports_text(protocol: str | None, ports: tuple[CalicoPort, ...]) -> str:
    """`TCP 80-81,443,http`, `UDP all ports`, or `all protocols and ports`."""
    if protocol is None:
        return "all protocols and ports"
    if not ports:
        return f"{protocol} all ports"
    numbers = IntervalSet.of([p for p in ports if isinstance(p, tuple)]).format()
    names = [p for p in ports if isinstance(p, str)]
    return f"{protocol} " + ",".join(([numbers] if numbers else []) + names)
