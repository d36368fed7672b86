"""``itsm-diag explain SIGN``: a sign's page, built from its rule file alone."""

from __future__ import annotations

from itsm_diag.config import AnalysisFile, RuleFile, worded
from itsm_diag.text import fmt


def page(rule: RuleFile) -> str:
    """What it does / why it matters / thresholds and how to override / data / fixes."""
    rule = worded(rule)
    head = f"{rule.number}. " if rule.number else ""
    section = "signs" if rule.kind == "sign" else "checks"
    lines = [
        f"{head}{rule.title}  [{rule.id}]",
        "",
        f"Question: {rule.question}",
        "",
        "What it checks",
        f"  {rule.what_it_checks.strip()}",
        f"  Scope: {rule.scope}",
        "",
        "Why it matters",
        f"  {rule.why_it_matters.strip()}",
        "",
        f"Thresholds (triggered when {rule.thresholds.combine} of these hold)",
    ]
    for name, cond in rule.thresholds.conditions.items():
        text = fmt(cond.text, {"value": cond.value})
        lines.append(f"  {name}: {cond.metric} {cond.op} {cond.value:g}  ({text})")
    if rule.params:
        lines += ["", "Parameters"]
        lines += [f"  {k}: {v!r}" for k, v in rule.params.items()]
    first = next(iter(rule.thresholds.conditions), "NAME")
    lines += [
        "",
        "Override in a --config file, e.g.",
        f"  {section}:",
        f"    {rule.id}:",
        f"      thresholds: {{{first}: {rule.thresholds.conditions[first].value:g}}}"
        if rule.thresholds.conditions else "",
        "",
        "Data it needs",
        "  " + ", ".join(rule.data_needed),
        "",
        "Presence rule (when the export can answer it; otherwise it is unknown, never clear)",
        f"  {' '.join(rule.presence.split())}",
        "",
        "Metrics",
    ]
    lines += [f"  {k}: {d.label}. {d.definition}" for k, d in rule.metrics.items()]
    if rule.example:
        lines += ["", "Example", f"  {rule.example.strip()}"]
    if rule.fixes:
        lines += ["", "Fixes"]
        lines += [f"  - [{f.horizon}] {f.action}" for f in rule.fixes]
    return "\n".join(lines) + "\n"


def analysis_page(rule: AnalysisFile) -> str:
    """An analysis's page: what it shows, why, scope, presence rule, params, figures,
    tables and how to override its params. Analyses are never graded or scored."""
    rule = worded(rule)
    lines = [
        f"{rule.title}  [{rule.id}]  (an analysis: not graded, not counted in the score)",
        "",
        f"Question: {rule.question}",
        "",
        "What it shows",
        f"  {' '.join(rule.what_it_shows.split())}",
        f"  Scope: {' '.join(rule.scope.split())}",
        "",
        "Why it matters",
        f"  {' '.join(rule.why_it_matters.split())}",
        "",
        "Data it needs",
        "  " + ", ".join(rule.data_needed),
        "",
        "Presence rule (when the export can answer it; otherwise it is unknown)",
        f"  {' '.join(rule.presence.split())}",
    ]
    if rule.params:
        lines += ["", "Parameters"]
        lines += [f"  {k}: {v!r}" for k, v in rule.params.items()]
        first = next(iter(rule.params))
        lines += ["", "Override in a --config file, e.g.", "  analyses:", f"    {rule.id}:",
                  f"      params: {{{first}: {rule.params[first]!r}}}"]
    if rule.metrics:
        lines += ["", "Figures"]
        lines += [f"  {k}: {d.label}. {' '.join(d.definition.split())}"
                  for k, d in rule.metrics.items()]
    if rule.tables:
        lines += ["", "Tables"]
        lines += [f"  {k}: {d.label}. {' '.join(d.definition.split())}"
                  for k, d in rule.tables.items()]
    if rule.example:
        lines += ["", "Example", f"  {' '.join(rule.example.split())}"]
    return "\n".join(lines) + "\n"
