"""``itsm-diag explain SIGN``: a sign's page, built from its rule file with the values in
force: the shipped rules with the config ``diagnose`` would read applied (``--config``,
else ``itsm-diag.toml`` or ``pyproject.toml``'s ``[tool.itsm-diag]`` in the working
directory), each overridden value marked with its source and the shipped value, as
``itsm-diag config`` marks it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from itsm_diag import config
from itsm_diag.config import AnalysisFile, Defaults, RuleFile, worded
from itsm_diag.text import fmt, plurals, with_exact, with_named


def explain_page(rule_id: str, config_file: Path | None, found_by: str = "") -> str:
    """``explain RULE_ID``'s page with the thresholds and params in force under
    ``config_file`` (the file diagnose would read; None: the shipped defaults);
    ``found_by`` says how the file was found (``--config``, or the working directory)."""
    shipped = config.load_rules()
    rules = shipped if config_file is None else config.load_rules_with(config_file)
    if rule_id in rules.analyses:
        text = analysis_page(rules.analyses[rule_id], rules.overrides,
                             shipped.analyses[rule_id], rules.defaults)
    else:
        text = page(rules.get(rule_id), rules.overrides, shipped.get(rule_id),
                    rules.defaults, shipped.defaults)
    if config_file is None:
        return text
    how = f" ({found_by})" if found_by else ""
    title, rest = text.split("\n", 1)
    # under the title, so no reader takes a marked value for the shipped one
    return (f"{title}\nValues in force: the shipped defaults with "
            f"{config.config_source(config_file)}{how} applied; an overridden value is "
            f"marked with its source and the shipped value.\n{rest}")


def _prose(text: str) -> str:
    """A prose field of a rule file (filled with the params in force) on one line: its
    whitespace folded, each "N word(s)" a param filled in the number's grammar ("more
    than 1 business day")."""
    return plurals(" ".join(text.split()))


def _mark(key: str, overrides: Mapping[str, str] | None, shipped: Any) -> str:
    """``  # itsm-diag.toml; shipped 0.05`` after a value a config set, else nothing."""
    if not overrides or key not in overrides:
        return ""
    was = f"{shipped:g}" if isinstance(shipped, float) else repr(shipped)
    return f"  # {overrides[key]}; shipped {was}"


#: ``{handle_minutes_KIND}`` (one kind's handle minutes) or ``{handle_minutes}`` (every
#: kind's) in a cost basis's description; ``{param_NAME}`` is a param of the rule
_VALUE = re.compile(r"\{(param_(\w+)|handle_minutes(?:_(\w+))?)(?::[^{}]*)?\}")


def hours_at_stake(rule: RuleFile, defaults: Defaults, overrides: Mapping[str, str] | None = None,
                   shipped: RuleFile | None = None,
                   shipped_defaults: Defaults | None = None) -> list[str]:
    """The page's "Hours at stake" lines: per cost basis of the rule file, what it counts
    and the minutes it gives each (its ``costs`` entry's description, filled with the values
    in force), the values it uses (each a config set marked with its source and the shipped
    value) and the fixes whose ``addresses`` name it; a rule with no costs prices nothing.
    ``rule`` is the rule file before :func:`worded` (its placeholders name the values)."""
    words = defaults.wording
    what = "sign" if rule.kind == "sign" else "check"
    lines = ["Hours at stake"]
    if not rule.costs:
        return [*lines, "  " + fmt(words["explain_hours_none"], {"what": what})]
    lines.append("  " + fmt(words["explain_hours"], {"what": what}))
    filled = worded(rule)
    section = "signs" if rule.kind == "sign" else "checks"
    minutes = defaults.handle_minutes
    was_minutes = shipped_defaults.handle_minutes if shipped_defaults else minutes
    values: dict[str, Any] = {
        f"handle_minutes_{k}": v for k, v in minutes.items()}
    values["handle_minutes"] = ", ".join(f"{k} {v:g}" for k, v in minutes.items())

    # a config sets the handle minutes as one table: per kind, its source where its value
    # moved from the shipped one
    source = (overrides or {}).get("defaults.handle_minutes")
    marks = {k: "" if not source or was_minutes.get(k) == v else
             f"  # {source}; shipped {was_minutes[k]:g}" if k in was_minutes
             else f"  # {source}" for k, v in minutes.items()}

    for basis, template in rule.costs.items():
        described = filled.cost_descriptions.get(basis)
        text = fmt(described, values) if described else fmt(
            words["explain_hours_undescribed"], {"template": " ".join(template.split())})
        lines += ["", f"  {basis}: {text}"]
        used: list[str] = []
        for match in _VALUE.finditer(rule.cost_descriptions.get(basis, "")):
            param, kind = match.group(2), match.group(3)
            if param is not None and param in rule.params:
                line = f"{param}: {rule.params[param]!r}" + _mark(
                    f"{section}.{rule.id}.params.{param}", overrides,
                    shipped.params.get(param) if shipped else None)
            elif param is None and kind is not None and kind in minutes:
                line = f"handle_minutes.{kind}: {minutes[kind]:g}" + marks[kind]
            elif param is None and kind is None:
                line = "handle_minutes: " + values["handle_minutes"] + "".join(
                    dict.fromkeys(mark for mark in marks.values() if mark))
            else:
                continue
            if line not in used:
                used.append(line)
        lines += [f"    {line}" for line in used]
        fixes = [f.id for f in rule.fixes if basis in f.addresses]
        if not fixes:
            lines.append("    " + fmt(words["explain_hours_no_fix"], {}))
            continue
        said = fmt(words["explain_hours_fixes"], {"fixes": ", ".join(fixes)})
        if len(fixes) > 1:
            said += " " + fmt(words["explain_hours_shared"], {})
        lines.append(f"    {said}")
    return lines


def page(rule: RuleFile, overrides: Mapping[str, str] | None = None,
         shipped: RuleFile | None = None, defaults: Defaults | None = None,
         shipped_defaults: Defaults | None = None) -> str:
    """What it does / why it matters / thresholds and how to override / data / hours at
    stake / fixes.

    ``overrides`` (the rules' dotted key -> source) marks each threshold and param a
    config set, with its ``shipped`` value; ``defaults`` (the handle minutes and wording
    in force; None: the shipped ones) words the hours at stake."""
    if defaults is None:
        defaults = config.load_rules().defaults
    hours = hours_at_stake(rule, defaults, overrides, shipped, shipped_defaults)
    rule = worded(rule)
    head = f"{rule.number}. " if rule.number else ""
    section = "signs" if rule.kind == "sign" else "checks"
    lines = [
        f"{head}{rule.title}  [{rule.id}]",
        "",
        f"Question: {rule.question}",
        "",
        "What it checks",
        f"  {_prose(rule.what_it_checks)}",
        f"  Scope: {_prose(_defined(rule.scope, defaults))}",
        "",
        "Why it matters",
        f"  {_prose(rule.why_it_matters)}",
        "",
        f"Thresholds (triggered when {rule.thresholds.combine} of these hold)",
    ]
    for name, cond in rule.thresholds.conditions.items():
        text = fmt(with_exact(cond.text, {"value": cond.value}), {})
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
        f"  {_prose(rule.presence)}",
        "",
        "Metrics",
    ]
    lines += [f"  {k}: {d.label}. {_defined(d.definition, defaults)}"
              for k, d in rule.metrics.items()]
    if rule.example:
        lines += ["", "Example", f"  {_prose(_in_force(rule, rule.example, defaults))}"]
    lines += ["", *hours]
    if rule.fixes:
        lines += ["", "Fixes"]
        lines += [f"  - [{f.horizon}] {f.id}: {f.action}" for f in rule.fixes]
    return "\n".join(lines) + "\n"


def _in_force(rule: RuleFile, text: str, defaults: Defaults) -> str:
    """``text`` (an example) with each ``{threshold_NAME}`` the rule's threshold in force,
    exactly, and ``{window_weeks}`` the window's weeks in force: under a config, an
    example that wrote "threshold: shrink by at least 5%" and "over 13 weeks" stood
    below "min_shrink: backlog_shrink < 0.13" and "Values in force"."""
    exact = with_exact(text, {f"threshold_{name}": cond.value
                              for name, cond in rule.thresholds.conditions.items()})
    return with_named(exact, {"window_weeks": f"{defaults.window_weeks:,}"})


def _defined(text: str, defaults: Defaults) -> str:
    """A definition as a page without a run says it: where its open tickets are counted
    is the window end (a report says the data's end, with its day, when a ``--until``
    reaches past the data: :func:`itsm_diag.insights.end_said`)."""
    return " ".join(with_named(text, {"end_said": defaults.wording["end_said.window"]}
                               ).split())


def analysis_page(rule: AnalysisFile, overrides: Mapping[str, str] | None = None,
                  shipped: AnalysisFile | None = None, defaults: Defaults | None = None
                  ) -> str:
    """An analysis's page: what it shows, why, scope, presence rule, params, figures,
    tables and how to override its params. Analyses are never graded or scored; a param
    a config set is marked as on :func:`page`. ``defaults``: the wording in force (None:
    the shipped)."""
    if defaults is None:
        defaults = config.load_rules().defaults
    rule = worded(rule)
    lines = [
        f"{rule.title}  [{rule.id}]  (an analysis: not graded, not counted in the score)",
        "",
        f"Question: {rule.question}",
        "",
        "What it shows",
        f"  {_prose(rule.what_it_shows)}",
        f"  Scope: {_prose(_defined(rule.scope, defaults))}",
        "",
        "Why it matters",
        f"  {_prose(rule.why_it_matters)}",
        "",
        "Data it needs",
        "  " + ", ".join(rule.data_needed),
        "",
        "Presence rule (when the export can answer it; otherwise it is unknown)",
        f"  {_prose(rule.presence)}",
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
        lines += [f"  {k}: {d.label}. {_defined(d.definition, defaults)}"
                  for k, d in rule.metrics.items()]
    if rule.tables:
        lines += ["", "Tables"]
        lines += [f"  {k}: {d.label}. {_defined(d.definition, defaults)}"
                  for k, d in rule.tables.items()]
    if rule.example:
        lines += ["", "Example", f"  {_prose(rule.example)}"]
    return "\n".join(lines) + "\n"
