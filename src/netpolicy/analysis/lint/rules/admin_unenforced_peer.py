"""admin-unenforced-peer: admin rules Calico cannot convert (node and domain peers, v1alpha1 named ports)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.admin import converted_rules
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "admin-unenforced-peer"
SEVERITY = WARNING
DOC = ("Calico's converter knows `namespaces`, `pods` and `networks` peers only. A rule with a `nodes` or "
       "`domainNames` peer (or a named port or range it cannot parse) fails conversion as a whole, good peers "
       "included, and fails closed: an Accept/Allow rule is dropped, so what it was to admit falls through to "
       "the later rules and tiers; a Deny or Pass rule becomes a bare Deny that drops every packet of that "
       "direction reaching it, whatever its peer and port. Calico 3.29-3.31 also convert no AdminNetworkPolicy "
       "named port: the entry reads as every protocol and port, so the rule matches all traffic to its peers.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Admin rules whose Calico conversion fails (closed) or widens."""
    version = ".".join(map(str, ctx.options.calico_version))
    for policy, raw in ctx.admin_policies:
        subjects = len(ctx.selected(policy))
        for rule in converted_rules(raw):
            conversion = rule.conversion
            field = "from" if rule.direction == "ingress" else "to"
            if conversion.failure:
                bad = next((j for j, p in enumerate(rule.peers) if p.nodes is not None or p.domain_names), None)
                path = f"{rule.path}.{field}[{bad}]" if bad is not None else rule.path
                if conversion.rules:
                    effect = (f"Calico {version} replaces this {rule.action} rule with a bare Deny: every "
                              f"{rule.direction} packet of its {subjects} pod(s) that reaches it is dropped, "
                              "including traffic later rules and tiers would admit")
                    hint = "move the peer Calico cannot enforce into a rule of its own, after the rules that must work"
                else:
                    effect = (f"Calico {version} drops this {rule.action} rule: the traffic it was to admit is "
                              "decided by the later rules and tiers")
                    hint = "admit that traffic with a `networks` peer (the nodes' or domains' addresses)"
                yield finding_at(ID, raw, path, f"{policy.name} {rule.path}: {conversion.failure}; {effect}", hint)
            for note in conversion.notes:
                yield finding_at(ID, raw, f"{rule.path}.ports", f"{policy.name} {rule.path}: {note}",
                                 "write the port numbers (portNumber/portRange) the name stands for")
