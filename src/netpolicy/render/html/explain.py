"""Why each pair of places in the report is allowed or denied: representative flows traced on every side,
stored once each in shared tables so that the page stays small however many pairs it shows."""

from __future__ import annotations

import json
from collections.abc import Sequence

from netpolicy.analysis.diff.compute import decision_signature, union_all
from netpolicy.analysis.diff.places import Place
from netpolicy.analysis.diff.probes import Cuts, Probe, probes, rule_cuts
from netpolicy.analysis.trace_findings import attach_findings, index_findings
from netpolicy.engine.flow import FlowEvaluator, FlowResult
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.pod_entry import query_flow
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.model.protocols import PORT_PROTOCOLS, TCP, protocol_name
from netpolicy.options import Options
from netpolicy.render.connections_json import connections_json
from netpolicy.render.flow_json import flow_json
from netpolicy.render.words import describe

PROBES_PER_PAIR = 4   # flows traced per pair; the rest of the pair's connections is listed as not traced
TRACE_BUDGET = 3000   # flows traced in all; pairs decided in ways not traced by then point at `netpolicy query`


class Tables:
    """Interned JSON values: each distinct value is stored once and referred to by its index."""

    def __init__(self) -> None:
        self.items: list = []
        self._index: dict[str, int] = {}

    def add(self, value) -> int:
        """The index of `value` (nested dicts and lists), added when new."""
        key = json.dumps(value, sort_keys=True)  # its identity for the dedup, never output (render/ encodes)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.items)
            self.items.append(value)
        return found


class Explainer:
    """Traces flows of place pairs on each side (one cluster, or before and after a change), once per
    distinct decision: pairs whose ends fall in the same groups of the same side tables are decided by
    the same rules, so the flow traced for the first such pair explains them all."""

    def __init__(self, clusters: Sequence[Cluster], matrices: Sequence[Matrix], options: Options,
                 findings: Sequence[list]) -> None:
        self.evaluators = [FlowEvaluator(c, options) for c in clusters]
        self.matrices = matrices
        self.findings = [index_findings(f) for f in findings]
        self._conn_ids: dict[int, tuple[ConnectionSet, int]] = {}
        self.cuts: Cuts = rule_cuts(clusters)
        self.conns = Tables()
        self.steps = Tables()
        self.flows = Tables()
        self.whys = Tables()
        self.budget = TRACE_BUDGET
        self._decided: dict[tuple, int] = {}

    def connections(self, conns: ConnectionSet) -> int:
        """Index of a connection set in the shared table: its words and its INTERFACES.md items."""
        known = self._conn_ids.get(id(conns))
        if known is None:
            known = self._conn_ids[id(conns)] = (conns, self.conns.add({"text": describe(conns),
                                                                       "items": connections_json(conns)}))
        return known[1]

    def explain(self, src: Place, dst: Place, conns: Sequence[ConnectionSet]) -> int:
        """Index in `whys` of the explanation of a pair (-1 once the budget is spent): what any side
        allows cut into cells decided by the same rules, each with one flow traced per side (a last
        cell without flows holds what was not traced); for a pair denied everywhere, one flow."""
        key = tuple(_decision(m, src.sides[k], dst.sides[k]) for k, m in enumerate(self.matrices))
        found = self._decided.get(key)
        if found is None:
            if self.budget <= 0:
                return -1
            union = union_all([c for c in conns if not c.is_empty])
            entries = self._cells(src, dst, union) if not union.is_empty else self._denied(src, dst)
            found = self._decided[key] = self.whys.add(entries)
        return found

    def _cells(self, src: Place, dst: Place, conns: ConnectionSet) -> list[dict]:
        grouped: dict[tuple, dict] = {}
        cells: dict[tuple, list[ConnectionSet]] = {}
        untraced = conns
        for count, probe in enumerate(probes(conns, self.cuts)):
            if count >= PROBES_PER_PAIR:
                break
            results = [self._evaluate(side, src, dst, probe) for side in range(len(self.evaluators))]
            key = tuple(decision_signature(r) for r in results)
            if key not in grouped:
                grouped[key] = {"probe": probe_text(probe), "flows": [self._flow(r) for r in results]}
            cells.setdefault(key, []).append(probe.cell)
            untraced = untraced - probe.cell
        out = []
        for key, entry in grouped.items():
            entry["conns"] = self.connections(union_all(cells[key]))
            out.append(entry)
        if not untraced.is_empty:
            out.append({"conns": self.connections(untraced), "probe": None, "flows": []})
        return out

    def _denied(self, src: Place, dst: Place) -> list[dict]:
        probe = denied_probe(dst)
        results = [self._evaluate(side, src, dst, probe) for side in range(len(self.evaluators))]
        return [{"conns": None, "probe": probe_text(probe), "flows": [self._flow(r) for r in results]}]

    def _evaluate(self, side: int, src: Place, dst: Place, probe: Probe) -> FlowResult | None:
        src_ref, dst_ref = src.ref(side), dst.ref(side)
        if src_ref is None or dst_ref is None:
            return None
        self.budget -= 1
        result = query_flow(self.evaluators[side], src_ref, dst_ref, probe.protocol, probe.port, probe.src_port)
        return attach_findings(result, self.findings[side]) if self.findings[side] else result

    def _flow(self, result: FlowResult | None) -> int | None:
        """Index of a traced flow in the shared table, its steps interned in the steps table."""
        if result is None:
            return None
        data = flow_json(result)
        for part in (data, data.get("pending")):
            if part:
                for side in ("egress", "ingress"):
                    part[side]["trace"] = [self.steps.add(step) for step in part[side]["trace"]]
        return self.flows.add(data)


def _decision(matrix: Matrix, src: Endpoint | None, dst: Endpoint | None) -> tuple | None:
    """What decides src → dst in a matrix: each policed end's side table and the group of the other
    end's peer class in it (None when an end is absent or they share no address family)."""
    if src is None or dst is None:
        return None
    family = matrix.common_family(src, dst)
    if family is None:
        return None
    key: tuple = ()
    for subject, peer, direction in ((src, dst, EGRESS), (dst, src, INGRESS)):
        if subject.policed:
            table = matrix.side_table(subject, direction)
            key += (id(table), table.group(matrix.peer_class[(peer.id, family)]))
        else:
            key += (subject.id, peer.id)
    return key


def denied_probe(dst: Place) -> Probe:
    """The flow traced for a denied pair: the first port the destination declares, else TCP to any port."""
    endpoint = next((e for e in dst.sides if e is not None), None)
    ports = endpoint.ports if endpoint is not None else ()
    if ports:
        first = ports[0]
        return Probe(first.protocol, first.port, None, ConnectionSet.of(first.protocol))
    return Probe(TCP, None, None, ConnectionSet.of(TCP))


def probe_text(probe: Probe) -> str:
    """`TCP 5432`, `UDP 53 from source port 1000`, `ICMP type 8`, `protocol 47`."""
    name = protocol_name(probe.protocol)
    if probe.port is None:
        return f"{name} (any port)" if probe.protocol in PORT_PROTOCOLS else name
    if probe.protocol in PORT_PROTOCOLS:
        text = f"{name} {probe.port}"
        return text + (f" from source port {probe.src_port}" if probe.src_port is not None else "")
    text = f"{name} type {probe.port}"
    return text + (f" code {probe.src_port}" if probe.src_port is not None else "")
