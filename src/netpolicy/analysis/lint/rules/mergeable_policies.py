"""mergeable-policies: the same policy repeated in many namespaces, which one GlobalNetworkPolicy could replace."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.finding import INFO, Finding, finding_at, raw_key
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "mergeable-policies"
SEVERITY = INFO
DOC = ("The same namespaced policy (identical spec) copied into many namespaces — a default-deny, an "
       "allow-DNS — is one rule written N times, and N policies for Felix to program on every node. One "
       "GlobalNetworkPolicy with a namespaceSelector for those namespaces does the same job. Reported once per "
       "group of at least `min-namespaces` namespaces (option, default 3).")
OPTIONS: dict = {"min-namespaces": 3}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Groups of identical namespaced policies across namespaces."""
    groups: dict[tuple, list[RawObject]] = {}
    for policy, raw in ctx.policies:
        if policy.namespace is None:
            continue
        key = (raw.group, raw.kind, _fingerprint(k8s_fields.spec(raw)))
        groups.setdefault(key, []).append(raw)
    least = max(2, settings["min-namespaces"])
    for (_, kind, _), raws in groups.items():
        namespaces = sorted({r.namespace or "default" for r in raws})
        if len(namespaces) < least:
            continue
        shown = ", ".join(namespaces[:6]) + (f" and {len(namespaces) - 6} more" if len(namespaces) > 6 else "")
        names = sorted({r.name for r in raws})
        listed = ", ".join(f"'{n}'" for n in namespaces)
        yield finding_at(
            ID, raws[0], "metadata.name",
            f"{len(raws)} {kind[:-1] + 'ies' if kind.endswith('y') else kind + 's'} with the same spec ({', '.join(names[:3])}) in {len(namespaces)} namespaces "
            f"({shown}): one GlobalNetworkPolicy could replace them",
            f"a GlobalNetworkPolicy with `namespaceSelector: projectcalico.org/name in {{{listed}}}` and the same "
            "rules (its rule selectors are not limited to the endpoint's namespace: add namespaceSelectors "
            "where the copies relied on that)",
            related=tuple(raw_key(r) for r in raws[1:]))


def _fingerprint(value: Any) -> Hashable:
    """A hashable form of parsed YAML: equal exactly when the values are (mapping order aside)."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted(((str(k), _fingerprint(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, list):
        return ("[]", tuple(_fingerprint(v) for v in value))
    return repr(value)
