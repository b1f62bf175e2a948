"""unreachable-service: a Service whose backends admit no client at all on its target ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import INGRESS, ServiceRef
from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "unreachable-service"
SEVERITY = WARNING
DOC = ("A Service exists to be connected to. When the ingress policies of every backend pod admit no client "
       "at all — no pod, no address — on the port the Service forwards to, the Service is dead: usually the "
       "policy allows the Service's `port` instead of its `targetPort`, or names the wrong labels. Checked for "
       "every port of every Service with backends in the input.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Service ports no client can reach on any backend."""
    engine = ctx.matrix
    for service in ctx.cluster.services:
        ref = ServiceRef(service.namespace, service.name)
        backends = engine.service_backends(ref)
        raw = service.source
        if not backends or raw is None:
            continue
        for index, service_port in enumerate(service.ports):
            targets = [(b, t) for b in backends for t in engine.service_target_ports(ref, b)
                       if t[0] == service_port.protocol]
            if not targets or any(_admits_someone(ctx, b, t) for b, t in targets):
                continue
            shown = sorted({f"{protocol_name(p)} {n}" for _, (p, n) in targets})
            names = ", ".join(sorted({b.id for b, _ in targets})[:3])
            yield finding_at(
                ID, raw, f"spec.ports[{index}]",
                f"Service {service.id} port {service_port.port} forwards to {', '.join(shown)}, and the ingress "
                f"policies of its backends ({names}) admit no client there",
                f"allow ingress on {', '.join(shown)} to {names} from the Service's clients (policies see the "
                "target port, not the Service port)")


def _admits_someone(ctx: LintContext, backend: Endpoint, target: tuple[int, int]) -> bool:
    """Whether some peer may open a connection (from any source port) to the backend's target port."""
    matrix = ctx.matrix
    table = matrix.side_table(backend, INGRESS)
    columns = matrix.atoms.point_mask(*target)
    if not columns.any():
        return False
    used = table.used_groups()
    return any(table.table[group][columns].all() for group in used)
