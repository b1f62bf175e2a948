"""source-port-rule: a Calico rule restricted by source port, which almost never matches a client's connection."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.endpoints import ports_text
from netpolicy.analysis.lint.finding import WARNING, Finding, enumeration, finding_at
from netpolicy.model.ir import EGRESS, PortMatch

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "source-port-rule"
SEVERITY = WARNING
DOC = ("A client opens a connection from an ephemeral source port (32768-60999 on Linux), chosen anew for "
       "each connection; the well-known port is the destination. A Calico rule with `source: {ports: …}` "
       "therefore matches almost no connection. On an egress rule, packets from the endpoint's own listening "
       "port are the replies to its clients, which conntrack admits without any rule. The fix is nearly always "
       "to move `ports` under `destination`, or to drop the rule.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Calico rules that match on the source port."""
    for policy, raw in ctx.calico_policies:
        for rule in policy.ingress + policy.egress:
            for field, ports in (("ports", rule.source.ports), ("notPorts", rule.source.not_ports)):
                if ports is None:
                    continue
                text = ports.format()
                where = f"{policy.id} {rule.name}"
                if field == "notPorts":
                    message = (f"{where} excludes source ports {text}: a client's source port is ephemeral, so "
                               "this tells nothing about the service being reached")
                elif rule.direction == EGRESS:
                    message = f"{where} matches only packets its endpoints send from source port {text}" + _own(
                        ctx, policy, ports) + (". Connections they open come from ephemeral ports and are not "
                                               "matched")
                else:
                    message = (f"{where} matches only connections whose client uses source port {text}; clients "
                               "use ephemeral ports, so it admits almost nothing")
                yield finding_at(ID, raw, f"{rule.path}.source.{field}", message,
                                 "to restrict the port being connected to, put `ports` under `destination`; "
                                 "replies need no rule (conntrack admits them)")


def _own(ctx: LintContext, policy, ports: PortMatch) -> str:
    """`: TCP 5432 is where trojanwall/postgresql listens …`, when the source port is a listening port."""
    served: set[tuple[int, int]] = set()
    owners = []
    for endpoint in ctx.selected(policy):
        mine = {(p.protocol, p.port) for p in endpoint.ports if p.port in ports.numbers or p.name in ports.names}
        if mine:
            served |= mine
            owners.append(endpoint.id)
    if not owners:
        return ""
    verb, them = ("listens", "it") if len(owners) == 1 else ("listen", "them")
    return (f": {ports_text(served)} is where {enumeration(owners)} {verb}, so these packets are the replies on "
            f"connections clients opened to {them}, which conntrack admits without any rule")
