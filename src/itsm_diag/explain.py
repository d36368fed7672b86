"""``itsm-diag explain SIGN``: a sign's page, built from its rule file with the values in
force: the shipped rules with the config ``diagnose`` would read applied (``--config``,
else ``itsm-diag.toml`` or ``pyproject.toml``'s ``[tool.itsm-diag]`` in the working
directory), each overridden value marked with its source and the shipped value, as
``itsm-diag config`` marks it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from itsm_diag import config
from itsm_diag.config import AnalysisFile, RuleFile, worded
from itsm_diag.text import fmt


def explain_page(rule_id: str, config_file: Path | None, found_by: str = "") -> str:
    """``explain RULE_ID``'s page with the thresholds and params in force under
    ``config_file`` (the file diagnose would read; None: the shipped defaults);
    ``found_by`` says how the file was found (``--config``, or the working directory)."""
    shipped = config.load_rules()
    rules = shipped if config_file is None else config.load_rules_with(config_file)
    if rule_id in rules.analyses:
        text = analysis_page(rules.analyses[rule_id], rules.overrides,
                             shipped.analyses[rule_id])
    else:
        text = page(rules.get(rule_id), rules.overrides, shipped.get(rule_id))
    if config_file is None:
        return text
    how = f" ({found_by})" if found_by else ""
    title, rest = text.split("\n", 1)
    # under the title, so no reader takes a marked value for the shipped one
    return (f"{title}\nValues in force: the shipped defaults with "
            f"{config.config_source(config_file)}{how} applied; an overridden value is "
            f"marked with its source and the shipped value.\n{rest}")


def _mark(key: str, overrides: Mapping[str, str] | None, shipped: Any) -> str:
    """``  # itsm-diag.toml; shipped 0.05`` after a value a config set, else nothing."""
    if not overrides or key not in overrides:
        return ""
    was = f"{shipped:g}" if isinstance(shipped, float) else repr(shipped)
    return f"  # {overrides[key]}; shipped {was}"


def page(rule: RuleFile, overrides: Mapping[str, str] | None = None,
         shipped: RuleFile | None = None) -> str:
    """What it does / why it matters / thresholds and how to override / data / fixes.

    ``overrides`` (the rules' dotted key -> source) marks each threshold and param a
    config set, with its ``shipped`` value."""
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
        was = shipped.thresholds.conditions[name].value if shipped else None
        mark = _mark(f"{section}.{rule.id}.thresholds.{name}", overrides, was)
        lines.append(f"  {name}: {cond.metric} {cond.op} {cond.value:g}  ({text}){mark}")
    if rule.params:
        lines += ["", "Parameters"]
        lines += [f"  {k}: {v!r}" + _mark(f"{section}.{rule.id}.params.{k}", overrides,
                                          shipped.params.get(k) if shipped else None)
                  for k, v in rule.params.items()]
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


def analysis_page(rule: AnalysisFile, overrides: Mapping[str, str] | None = None,
                  shipped: AnalysisFile | None = None) -> str:
    """An analysis's page: what it shows, why, scope, presence rule, params, figures,
    tables and how to override its params. Analyses are never graded or scored; a param
    a config set is marked as on :func:`page`."""
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
        lines += [f"  {k}: {v!r}" + _mark(f"analyses.{rule.id}.params.{k}", overrides,
                                          shipped.params.get(k) if shipped else None)
                  for k, v in rule.params.items()]
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
