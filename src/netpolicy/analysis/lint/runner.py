"""Running the rule catalogue: configured rules, severities resolved, ignore annotations applied, sorted."""

from __future__ import annotations

from dataclasses import replace

from netpolicy.analysis.lint.config import LintConfig
from netpolicy.analysis.lint.context import LintContext
from netpolicy.analysis.lint.finding import Finding, ObjectKey, raw_key
from netpolicy.analysis.lint.rules import RULES
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options

IGNORE_ANNOTATION = "netpolicy.io/ignore"


def run_lint(cluster: Cluster, options: Options | None = None, config: LintConfig | None = None) -> list[Finding]:
    """Every finding of every enabled rule on the cluster, minus those its objects' annotations ignore."""
    config = config or LintConfig()
    ctx = LintContext(cluster, options)
    ignored = ignored_rules(cluster)
    found: dict[tuple, Finding] = {}
    for rule_id, module in RULES.items():
        if not config.enabled(rule_id):
            continue
        for finding in module.check(ctx, config.settings(rule_id, module.OPTIONS)):
            severity = config.severity(rule_id) or finding.severity or module.SEVERITY
            finding = replace(finding, severity=severity)
            if any(finding.rule in ignored.get(key, ()) for key in (finding.key, *finding.related)):
                continue
            found.setdefault((finding.rule, finding.object, finding.file, finding.line, finding.message), finding)
    return sorted(found.values(), key=Finding.sort_key)


def ignored_rules(cluster: Cluster) -> dict[ObjectKey, frozenset[str]]:
    """The rule ids each object's `netpolicy.io/ignore: rule-a,rule-b` annotation names."""
    out: dict[ObjectKey, frozenset[str]] = {}
    for raw in cluster.objects:
        annotations = raw.metadata.get("annotations")
        value = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
        if isinstance(value, str) and value.strip():
            out[raw_key(raw)] = frozenset(part.strip() for part in value.split(",") if part.strip())
    return out
