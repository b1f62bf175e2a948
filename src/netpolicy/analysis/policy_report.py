"""Per policy: the endpoints it selects, the directions it isolates, and what each rule admits."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.matrix import Matrix, rule_peers, selected_endpoints
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import EGRESS, INGRESS, PASS, EntityMatch, Policy, Rule
from netpolicy.model.protocols import protocol_name
from netpolicy.options import Options


@dataclass
class RuleReport:
    rule: Rule
    peers: list[Endpoint]
    traffic: str


@dataclass
class PolicyReport:
    policy: Policy
    selects: list[Endpoint]
    isolates: list[str]
    rules: list[RuleReport]
    governs: list[str]


def describe_rule_traffic(rule: Rule) -> str:
    """Protocol and ports of a rule in words: `TCP 5432`, `TCP from source port 5432`, `all`."""
    parts = []
    if rule.protocol is not None:
        parts.append(protocol_name(rule.protocol))
    if rule.not_protocol is not None:
        parts.append(f"not {protocol_name(rule.not_protocol)}")
    parts += _ports("", rule.destination)
    parts += _ports("from source port ", rule.source)
    if rule.icmp is not None:
        parts.append(f"type {rule.icmp.type}" + (f" code {rule.icmp.code}" if rule.icmp.code is not None else ""))
    if rule.not_icmp is not None:
        parts.append(f"not type {rule.not_icmp.type}")
    if rule.ip_version is not None:
        parts.append(f"IPv{rule.ip_version} only")
    return " ".join(parts) if parts else "all traffic"


def _ports(prefix: str, entity: EntityMatch) -> list[str]:
    out = []
    if entity.ports is not None:
        out.append(prefix + entity.ports.format())
    if entity.not_ports is not None:
        out.append(prefix + "not " + entity.not_ports.format())
    return out


def policy_report(cluster: Cluster, options: Options | None = None) -> list[PolicyReport]:
    """Every policy (staged ones included, flagged), in evaluation order of tiers and policies.

    A policy isolates the directions it governs unless its tier passes what no rule decides (admin tiers)."""
    matrix = Matrix(cluster, options)
    reports = []
    ordered = [(p, t.tier.default_action == PASS) for t in matrix.tiers for p in t.policies]
    ordered += [(p, False) for p in cluster.policies if p.staged]
    for policy, passes in ordered:
        rules = []
        for direction in (INGRESS, EGRESS):
            for rule in policy.rules(direction):
                rules.append(RuleReport(rule, rule_peers(matrix, rule, direction), describe_rule_traffic(rule)))
        governs = [d for d in (INGRESS, EGRESS) if policy.governs(d)]
        reports.append(PolicyReport(policy, selected_endpoints(matrix, policy), [] if passes else governs,
                                    rules, governs))
    return reports
