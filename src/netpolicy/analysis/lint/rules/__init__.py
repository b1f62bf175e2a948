"""The rule catalogue: one module per rule, each with `ID`, `SEVERITY`, `DOC`, `OPTIONS` and
`check(ctx, settings)`: the runner hands each rule its settings (its `OPTIONS` as configured)."""

from __future__ import annotations

from types import ModuleType

from netpolicy.analysis.lint.rules import (
    admin_accept_overridden,
    admin_priority_tie,
    admin_unenforced_peer,
    baseline_overridden,
    dns_egress_blocked,
    duplicate_policy,
    egress_rules_without_egress_type,
    ipblock_covers_pods,
    ipblock_on_service_address,
    mergeable_policies,
    missing_policy_types,
    named_port_unresolved,
    nat_outgoing_host_rule,
    nodeport_source_range,
    order_collision,
    pass_to_nothing,
    peer_and_vs_or,
    redundant_policy,
    redundant_rule,
    reply_direction_rule,
    selector_never_matches,
    selects_host_network,
    selects_nothing,
    service_port_confusion,
    services_without_namespace,
    shadowed_rule,
    source_port_rule,
    unknown_namespace,
    unprotected_namespace,
    unreachable_service,
    untracked_service_request,
    untracked_without_reply,
)

#: In catalogue order: what the rules say about the input first, then how it is written.
_MODULES = (
    selects_nothing,
    selects_host_network,
    selector_never_matches,
    dns_egress_blocked,
    reply_direction_rule,
    source_port_rule,
    shadowed_rule,
    redundant_rule,
    redundant_policy,
    order_collision,
    admin_priority_tie,
    admin_unenforced_peer,
    admin_accept_overridden,
    pass_to_nothing,
    baseline_overridden,
    ipblock_covers_pods,
    named_port_unresolved,
    service_port_confusion,
    ipblock_on_service_address,
    nodeport_source_range,
    nat_outgoing_host_rule,
    peer_and_vs_or,
    missing_policy_types,
    egress_rules_without_egress_type,
    unknown_namespace,
    duplicate_policy,
    mergeable_policies,
    unprotected_namespace,
    unreachable_service,
    services_without_namespace,
    untracked_without_reply,
    untracked_service_request,
)

RULES: dict[str, ModuleType] = {module.ID: module for module in _MODULES}


def summary(module: ModuleType) -> str:
    """The rule in one line: its module docstring without the leading `rule-id: `."""
    text = (module.__doc__ or "").strip().split("\n")[0]
    return text.split(": ", 1)[1] if text.startswith(f"{module.ID}: ") else text


def get(rule_id: str) -> ModuleType:
    """The rule module with this id; raises ValueError for an unknown id."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise ValueError(f"no such rule: {rule_id!r}") from None
