"""Effective selectors, built exactly as Calico builds them (docs/semantics.md#rule-scoping).

Calico composes these selectors as text (`updateprocessors/networkpolicyprocessor.go`,
`globalnetworkpolicyprocessor.go`, `selectors.go`, `rules.go getEndpointSelector`), including a plain
text replacement of `all()` and `global()` that also reaches into quoted values; Felix then parses the
result. The functions here reproduce those strings character for character, and `effective` parses
them with the shared parser, so what the engine evaluates is what Felix evaluates.
"""

from __future__ import annotations

from netpolicy.model.cluster import NAMESPACE_LABEL, SERVICE_ACCOUNT_LABEL
from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.ast import Selector

NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
HAS_NAMESPACE = f"has({NAMESPACE_LABEL})"
NO_NAMESPACE = f"!has({NAMESPACE_LABEL})"
HAS_SERVICE_ACCOUNT = f"has({SERVICE_ACCOUNT_LABEL})"


def attach_prefix(text: str, prefix: str) -> str:
    """Every label name prefixed, printed canonically; `""` if the text does not parse (Calico's
    `parseSelectorAttachPrefix`)."""
    try:
        return parse(text).prefixed(prefix).canonical
    except SelectorError:
        return ""


def prefix_and_append(current: str, new: str, prefix: str) -> str:
    """`(current) && <new, prefixed>`, or the prefixed selector alone (Calico's `prefixAndAppendSelector`)."""
    if not new:
        return current
    prefixed = attach_prefix(new, prefix)
    if not prefixed:
        return current
    return f"({current}) && {prefixed}" if current else prefixed


def namespace_equals(namespace: str) -> str:
    """`projectcalico.org/namespace == '<ns>'`, as Calico writes it."""
    return f"{NAMESPACE_LABEL} == '{namespace}'"


def namespaced_policy_selector(selector: str, service_account_selector: str, namespace: str) -> str:
    """The applies-to selector of a namespaced NetworkPolicy (`ConvertNetworkPolicyV3ToV1Value`)."""
    text = selector
    if namespace:
        scope = namespace_equals(namespace)
        text = f"({text}) && {scope}" if text else scope
    return prefix_and_append(text, service_account_selector, SERVICE_ACCOUNT_PREFIX)


def global_policy_selector(selector: str, namespace_selector: str, service_account_selector: str) -> str:
    """The applies-to selector of a GlobalNetworkPolicy (`ConvertGlobalNetworkPolicyV3ToV1Value`).

    After each of the namespace and service-account selectors is appended, every `all()` in the
    whole text becomes `has(projectcalico.org/namespace)` (resp. `…/serviceaccount`).
    """
    text = selector
    if namespace_selector:
        text = prefix_and_append(text, namespace_selector, NAMESPACE_PREFIX)
        text = text.replace("all()", HAS_NAMESPACE)
    if service_account_selector:
        text = prefix_and_append(text, service_account_selector, SERVICE_ACCOUNT_PREFIX)
        text = text.replace("all()", HAS_SERVICE_ACCOUNT)
    return text


def service_accounts_selector(names: list[str] | None, selector: str) -> str:
    """`serviceAccounts` as a selector: names as `projectcalico.org/serviceaccount in {…}` ANDed with the
    `pcsa.`-prefixed selector (Calico's `parseServiceAccounts`)."""
    prefixed = attach_prefix(selector, SERVICE_ACCOUNT_PREFIX) if selector else ""
    if not names:
        return prefixed
    listed = "', '".join(names)
    try:
        in_names = parse(f"{SERVICE_ACCOUNT_LABEL} in {{ '{listed}' }}").canonical
    except SelectorError:
        return ""
    return f"({prefixed}) && ({in_names})" if prefixed else in_names


def endpoint_selector(namespace_selector: str, selector: str, service_account_selector: str,
                      not_selector: str, namespace: str) -> str:
    """The positive selector of one side of a rule (Calico's `getEndpointSelector`).

    `namespace` is the policy's namespace, `""` for GlobalNetworkPolicy and Profile. The result is
    `""` when the side has no selector constraint at all.
    """
    scope = ""
    if namespace_selector:
        scope = attach_prefix(namespace_selector, NAMESPACE_PREFIX)
        scope = scope.replace("all()", HAS_NAMESPACE)
        scope = scope.replace("global()", NO_NAMESPACE)
    elif namespace:
        scope = namespace_equals(namespace)
    parts = [s for s in (service_account_selector, selector) if s]
    text = ""
    if len(parts) == 1:
        text = parts[0]
    elif parts:
        text = "(" + ") && (".join(parts) + ")"
    if scope and (text or not_selector or namespace_selector):
        text = f"({scope}) && ({text})" if text else scope
    return text


def entity_rule_selectors(entity, namespace: str) -> tuple[str, str]:
    """(positive, negative) selector text of an EntityRule model; the negative one is never scoped."""
    accounts = entity.service_accounts
    account_text = service_accounts_selector(accounts.names, accounts.selector) if accounts else ""
    positive = endpoint_selector(entity.namespace_selector, entity.selector, account_text,
                                 entity.not_selector, namespace)
    return positive, entity.not_selector


def effective(text: str) -> Selector | None:
    """Parse a composed selector; `""` means no constraint (None). Raises `SelectorError`."""
    return parse(text) if text else None
