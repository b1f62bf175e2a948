"""Lint configuration: `.netpolicy.yaml` (or `--config FILE`) turns rules off, changes severities, sets options.

The file's `lint.rules` mapping is keyed by rule id; a value is `off`/`false`/`disable` (the rule does
not run), `on`/`true`, or a mapping with `enabled`, `severity` (error, warning, info) and the rule's
own options, checked against the rule registry (rule id → module with `OPTIONS`) the caller gives::

    lint:
      rules:
        unprotected-namespace: off
        source-port-rule: {severity: error}
        dns-egress-blocked: {namespace: kube-system, labels: {k8s-app: kube-dns}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from netpolicy.analysis.lint.finding import SEVERITIES
from netpolicy.errors import InputError, Location
from netpolicy.suggest import closest, did_you_mean

CONFIG_NAME = ".netpolicy.yaml"
_OFF = ("off", "false", "disable", "disabled", "no")
_ON = ("on", "true", "enable", "enabled", "yes")
_RESERVED = ("enabled", "severity")


@dataclass(frozen=True)
class RuleSettings:
    """What the configuration says about one rule."""

    enabled: bool = True
    severity: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LintConfig:
    """Per-rule settings; rules the file does not mention run with their defaults."""

    rules: Mapping[str, RuleSettings] = field(default_factory=dict)

    def enabled(self, rule_id: str) -> bool:
        return self.rules.get(rule_id, RuleSettings()).enabled

    def severity(self, rule_id: str) -> str | None:
        """The configured severity, or None for the rule's own."""
        return self.rules.get(rule_id, RuleSettings()).severity

    def settings(self, rule_id: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """A rule's options: the configured values over the rule's `defaults`."""
        return {**defaults, **self.rules.get(rule_id, RuleSettings()).options}


def read_config(path: str | None, rules: Mapping[str, ModuleType], cwd: Path | None = None) -> LintConfig:
    """`path` if given (it must exist), else `.netpolicy.yaml` in `cwd` if present, else the defaults.

    Raises `InputError` (with file and line) for unreadable YAML, unknown rules, severities or options.
    """
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return LintConfig()
        path = str(candidate)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read the configuration: {error.strerror or error}",
                         Location(path), expected="a readable YAML file") from None
    return parse_config(text, path, rules)


def parse_config(text: str, source: str, rules: Mapping[str, ModuleType]) -> LintConfig:
    """A configuration from YAML text, checked against the registry `rules`; `source` names it in errors."""
    from netpolicy.sources.lines import FieldLines
    from netpolicy.sources.yaml_loader import YamlSyntaxError, parse_yaml

    try:
        documents = [d for d in parse_yaml(text) if d.data is not None]
    except YamlSyntaxError as error:
        raise InputError(error.problem, Location(source, error.line), expected="valid YAML") from None
    if not documents:
        return LintConfig()
    document = documents[0]
    lines = FieldLines(document.data, document.table)
    reader = _Reader(source, lines, document.line, rules)
    data = document.data
    if not isinstance(data, dict):
        raise reader.error("", "the configuration is not a mapping", "a mapping with a `lint` key")
    for key in data:
        if key != "lint":
            raise reader.error(str(key), f"unknown key {str(key)!r}", "lint", did_you_mean(closest(str(key), ["lint"])))
    lint = data.get("lint")
    if lint is None:
        return LintConfig()
    if not isinstance(lint, dict):
        raise reader.error("lint", "is not a mapping", "a mapping with a `rules` key")
    unknown = [key for key in lint if key != "rules"]
    if unknown:
        raise reader.error(f"lint.{unknown[0]}", f"unknown key {unknown[0]!r}", "rules")
    settings = lint.get("rules") or {}
    if not isinstance(settings, dict):
        raise reader.error("lint.rules", "is not a mapping", "rule ids as keys")
    return LintConfig({str(rule_id): reader.rule(str(rule_id), value) for rule_id, value in settings.items()})


@dataclass
class _Reader:
    """Validates one configuration file, raising errors that point at the offending line."""

    source: str
    lines: Any
    first_line: int
    registry: Mapping[str, ModuleType]

    def error(self, path: str, message: str, expected: str = "", suggestion: str = "") -> InputError:
        line = self.lines.get(path) if path else self.first_line
        return InputError(message, Location(self.source, line or self.first_line), path, expected, suggestion)

    def rule(self, rule_id: str, value: Any) -> RuleSettings:
        path = f"lint.rules.{rule_id}"
        module = self.registry.get(rule_id)
        if module is None:
            raise self.error(path, f"no such rule: {rule_id!r}", "a rule id from `netpolicy lint --list-rules`",
                             did_you_mean(closest(rule_id, self.registry)))
        if isinstance(value, bool) or value is None:
            return RuleSettings(enabled=value is not False)
        if isinstance(value, str):
            if value.lower() in _OFF:
                return RuleSettings(enabled=False)
            if value.lower() in _ON:
                return RuleSettings()
            raise self.error(path, f"{value!r} is not a rule setting", "off, on, or a mapping")
        if not isinstance(value, dict):
            raise self.error(path, "is not a rule setting", "off, on, or a mapping")
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.error(f"{path}.enabled", f"{enabled!r} is not a boolean", "true or false")
        severity = value.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise self.error(f"{path}.severity", f"{severity!r} is not a severity", ", ".join(SEVERITIES))
        defaults = getattr(module, "OPTIONS", {})
        options: dict[str, Any] = {}
        for name, option in value.items():
            if name in _RESERVED:
                continue
            if name not in defaults:
                known = ", ".join(["enabled", "severity", *defaults])
                raise self.error(f"{path}.{name}", f"rule {rule_id} has no option {name!r}", known)
            options[name] = self.option(f"{path}.{name}", option, defaults[name])
        return RuleSettings(enabled, severity, options)

    def option(self, path: str, value: Any, default: Any) -> Any:
        """`value` checked against the type of the option's default."""
        if isinstance(default, dict):
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                raise self.error(path, f"{value!r} is not a mapping", "a mapping of strings")
            return {k: str(v) for k, v in value.items()}
        if isinstance(default, list):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.error(path, f"{value!r} is not a list", "a list of strings")
            return list(value)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise self.error(path, f"{value!r} is not a boolean", "true or false")
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(path, f"{value!r} is not a whole number", "an integer")
            return value
        if not isinstance(value, str):
            raise self.error(path, f"{value!r} is not a string", "a string")
        return value
