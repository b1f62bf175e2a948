"""Validation of selector-typed fields of Calico resources (docs/semantics.md#selector-validation)."""

from __future__ import annotations

from enum import Enum

from netpolicy.errors import Diagnostics
from netpolicy.selectors import SelectorError, parse
from netpolicy.selectors.parser import contains_global, is_exactly_global
from netpolicy.sources.raw import RawObject

MAX_SELECTOR_LENGTH = 1024  # +kubebuilder:validation:MaxLength=1024 on every selector field


class GlobalUse(Enum):
    """Where `global()` may appear in a field."""

    FORBIDDEN = "forbidden"  # policy selectors and EntityRule.selector: the substring `global(` is rejected
    ALONE = "alone"  # EntityRule.namespaceSelector: only `global()` by itself
    UNCHECKED = "unchecked"  # notSelector, serviceAccounts.selector: Calico does not look


def check_selector(text: str, raw: RawObject, diags: Diagnostics, path: str,
                   global_use: GlobalUse = GlobalUse.FORBIDDEN) -> bool:
    """Report what Calico's API rejects in one selector field; True when the field is valid."""
    location = raw.at(path)
    if len(text) > MAX_SELECTOR_LENGTH:
        diags.error(f"selector is {len(text)} characters long", location, path,
                    f"at most {MAX_SELECTOR_LENGTH} characters")
        return False
    if global_use is GlobalUse.FORBIDDEN and contains_global(text):
        diags.error("global() can only be used in an EntityRule namespaceSelector", location, path,
                    suggestion="Calico rejects any selector here that contains the text 'global('")
        return False
    if global_use is GlobalUse.ALONE and contains_global(text) and not is_exactly_global(text):
        diags.error("global() cannot be combined with other selectors", location, path,
                    "namespaceSelector: global() on its own")
        return False
    try:
        parse(text)
    except SelectorError as error:
        diags.error(f"{error.message} at column {error.column}", location, path,
                    suggestion=_suggestion(text, error))
        return False
    return True


def _suggestion(text: str, error: SelectorError) -> str:
    """A hint for the mistakes people make most often."""
    if "\n" in text or "\r" in text:
        return "write the selector on one line (a YAML '|' block keeps its line breaks)"
    if error.message.startswith("expected a quoted string"):
        return "quote the value: app == 'web'"
    return ""
