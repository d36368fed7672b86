"""The analyses in the Report: measured by :mod:`itsm_diag.analyses`, worded here.

Engine layer, like :mod:`itsm_diag.engine` (which calls :func:`analyse`): runs each
analysis, words its figures, tables and notes from ``rules/analyses/<id>.yaml``, hands the
backlog sign's numbers to the forecast (one number per concept), and puts each driver of a
bad outcome under the sign or check it explains. Nothing here is graded or scored.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

from itsm_diag.config import AnalysisFile, Rules, worded
from itsm_diag.model import local_day
from itsm_diag.report import AnalysisOut, AnalysisTable, DriverOut, Finding, MetricOut, NoteOut
from itsm_diag.signs.base import Context, Measurement, Note, Window
from itsm_diag.text import fmt, with_named

#: module of each analysis id
MODULES = {"flow": "flow", "text-clusters": "textclusters", "drivers": "drivers",
           "actions": "actions", "forecast": "forecast"}


def params_of(rules: Rules) -> dict[str, Mapping[str, Any]]:
    """Each analysis's params, by id (what :attr:`Context.analyses` holds)."""
    return {a.id: a.params for a in rules.analyses.values()}


def _backlog(findings: list[Finding], rules: Rules) -> dict[str, Any]:
    """What the forecast reads of the backlog sign."""
    found = next((f for f in findings if f.id == "backlog"), None)
    if found is None:
        return {"status": "unknown", "reason": "no backlog sign"}
    shrink = rules.signs["backlog"].thresholds.conditions.get("min_shrink")
    return {"status": found.status, "reason": found.reason,
            "open_now": found.metrics["open_now"].value if "open_now" in found.metrics
            else None,
            "weekly": found.evidence.series.get("weekly", []),
            "threshold": shrink.value if shrink is not None else 0.05,
            # the reach test's params, as a config sets them (the forecast's year-earlier
            # check asks the backlog's own test)
            "params": dict(rules.signs["backlog"].params)}


def measure(rule: AnalysisFile, ctx: Context, findings: list[Finding], rules: Rules
            ) -> Measurement:
    module = importlib.import_module(f"itsm_diag.analyses.{MODULES[rule.id]}")
    if rule.id == "forecast":
        result: Measurement = module.measure(ctx, rule.params, _backlog(findings, rules))
    else:
        result = module.measure(ctx, rule.params)
    return result


def _note(rule: AnalysisFile, note: Note) -> NoteOut:
    return NoteOut(code=note.code, text=note.text(rule.messages, f"analysis {rule.id!r}"),
                   count=note.count, sample_ids=note.sample_ids)


def _rows(rule: AnalysisFile, name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence rows as the report shows them: the action list's reason codes and the
    drivers' outcome and attribute ids worded (the ids kept beside them). A driver's
    row names its outcome and attribute as table values ("SLA breached", "Priority"),
    as the outcomes table does; its sentence (:func:`drivers_for`) uses the phrases."""
    if rule.id == "drivers" and name == "drivers":
        w = rule.wording
        return [{**row, "outcome": rule.metrics[f"{row['outcome']}_rate"].label,
                 "attribute": w.get(f"column.{row['attribute']}", row["attribute"]),
                 "value": w.get(f"value.{row['attribute']}.{row['value']}", row["value"]),
                 "outcome_id": row["outcome"], "attribute_id": row["attribute"]}
                for row in rows]
    if rule.id == "drivers" and name == "outcomes":
        return [{**row, "outcome": rule.metrics[f"{row['outcome']}_rate"].label,
                 "outcome_id": row["outcome"]} for row in rows]
    if rule.id != "actions" or name != "actions":
        return rows
    out = []
    for row in rows:
        words = [fmt(rule.wording[f"reason.{code}"], {"days": row.get("idle_business_days")})
                 for code in row["reasons"]]
        out.append({**row, "reasons": "; ".join(words)})
    return out


def end_said(window: Window, tz: str, wording: Mapping[str, str]) -> str:
    """Where a figure of open tickets is counted, as its definition says it: the window
    end, or, when a ``--until`` reaches past the data (:attr:`Window.covered_end`), the
    data's end with its day (``defaults.wording``: ``end_said.window``,
    ``end_said.data``). The ``{end_said}`` of a definition or a summary."""
    if window.covered_end >= window.end:
        return wording["end_said.window"]
    return fmt(wording["end_said.data"], {
        "last": f"{local_day(window.covered_end, tz):%Y-%m-%d}"})


def build(rule: AnalysisFile, meas: Measurement, end: str = "") -> AnalysisOut:
    """The analysis as the Report holds it. ``end``: :func:`end_said` of the run."""
    rule = worded(rule)  # its words follow its params
    said = {"end_said": end} if end else {}
    undocumented = set(meas.metrics) - set(rule.metrics)
    if undocumented:
        raise KeyError(f"analysis {rule.id!r} does not document metrics {sorted(undocumented)}")
    unknown_tables = set(meas.tables) - set(rule.tables)
    if unknown_tables:
        raise KeyError(f"analysis {rule.id!r} does not document tables {sorted(unknown_tables)}")
    metrics = {
        name: MetricOut(label=doc.label,
                        definition=" ".join(with_named(doc.definition, said).split()),
                        unit=doc.unit, value=meas.metrics[name].value,
                        numerator=meas.metrics[name].numerator,
                        denominator=meas.metrics[name].denominator,
                        sample_ids=meas.metrics[name].sample_ids)
        for name, doc in rule.metrics.items() if name in meas.metrics
    }
    n_of = {"tickets": "tickets", "open_tickets": "open_tickets"}
    n = next((int(meas.metrics[k].value or 0) for k in n_of if k in meas.metrics), None)
    tables = {
        name: AnalysisTable(label=doc.label,
                            definition=" ".join(with_named(doc.definition, said).split()),
                       columns=doc.columns, n=n, rows=_rows(rule, name, meas.tables[name]))
        for name, doc in rule.tables.items() if meas.tables.get(name)
    }
    status: Literal["measured", "unknown"] = ("unknown" if meas.unknown is not None
                                              else "measured")
    reason = " ".join(getattr(rule.reasons, status).split())
    if meas.unknown is not None:
        reason = f"{reason} {_note(rule, meas.unknown).text}"
    return AnalysisOut(
        id=rule.id, title=rule.title, question=rule.question, status=status, reason=reason,
        scope=" ".join(with_named(rule.scope, said).split()), metrics=metrics, tables=tables,
        notes=[_note(rule, x) for x in meas.notes],
        excluded=[_note(rule, x) for x in meas.excluded])


def drivers_for(rule: AnalysisFile, out: AnalysisOut) -> dict[str, list[DriverOut]]:
    """The drivers, by the id of the sign or check each explains."""
    rule = worded(rule)
    table = out.tables.get("drivers")
    if table is None:
        return {}
    explains = rule.params.get("explains", {})
    words = rule.wording
    found: dict[str, list[DriverOut]] = {}
    for row in table.rows:
        target = explains.get(row["outcome_id"])
        if target is None:
            continue
        # the phrases that make the sentence ("of priority", "miss their SLA"); "the
        # slowest 10%" follows the long_quantile param
        outcome = fmt(words.get(f"outcome.{row['outcome_id']}", row["outcome_id"]),
                      {"slowest": 1.0 - float(rule.params.get("long_quantile", 0.9))})
        attribute = words.get(f"attribute.{row['attribute_id']}", row["attribute_id"])
        # a like for like figure only where some attribute was held equal
        template = words["driver" if row.get("lift_like_shown") is not None
                         else "driver_unheld"]
        text = fmt(template, {**row, "outcome": outcome, "attribute": attribute})
        found.setdefault(str(target), []).append(DriverOut(
            outcome=row["outcome_id"], outcome_label=outcome, attribute=row["attribute_id"],
            attribute_label=attribute, value=row["value"], tickets=row["tickets"],
            with_outcome=row["with_outcome"], rate=row["rate"], others=row["others"],
            others_with_outcome=row["others_with_outcome"],
            rate_elsewhere=row["rate_elsewhere"], lift=row["lift"], text=text,
            sample_ids=row["sample_ids"]))
    return found


def jobs(ctx: Context, rules: Rules) -> dict[str, Callable[[], Measurement]]:
    """The analyses that read only the Context (all but the forecast, which reads the
    backlog sign's finding), as jobs the engine runs beside the signs and checks."""
    chosen = [rule for rule in rules.analyses.values() if rule.id != "forecast"]
    for rule in chosen:  # imported here, not under the import lock of many threads
        importlib.import_module(f"itsm_diag.analyses.{MODULES[rule.id]}")
    return {rule.id: partial(measure, rule, ctx, [], rules) for rule in chosen}


def analyse(ctx: Context, rules: Rules, signs: list[Finding], checks: list[Finding],
            measured: Mapping[str, Measurement] | None = None
            ) -> tuple[dict[str, AnalysisOut], list[Finding], list[Finding]]:
    """Every analysis, and the findings with the drivers that explain them.
    ``measured``: analyses already measured (by :func:`jobs`), by id."""
    outs: dict[str, AnalysisOut] = {}
    done = measured or {}
    for rule in rules.analyses.values():
        meas = done[rule.id] if rule.id in done else measure(rule, ctx, signs, rules)
        # an analysis measured beside the signs may read what they found once they are
        # measured (the Monday list: the backlog's cut), through its module's after_signs
        after = getattr(importlib.import_module(f"itsm_diag.analyses.{MODULES[rule.id]}"),
                        "after_signs", None)
        if after is not None:
            meas = after(ctx, meas)
        outs[rule.id] = build(rule, meas, end_said(ctx.window, ctx.tz,
                                                   rules.defaults.wording))
    drivers = rules.analyses.get("drivers")
    if drivers is not None and "drivers" in outs:
        # where a triggered problem concentrates: under a sign that is clear or unknown
        # ("? the backlog cannot be rebuilt ... Where it concentrates: ...") a driver reads
        # as a verdict it is not; it stays in the drivers analysis
        by_target = drivers_for(drivers, outs["drivers"])
        signs = [f.model_copy(update={"drivers": by_target.get(f.id, [])
                                      if f.status == "triggered" else []}) for f in signs]
        checks = [f.model_copy(update={"drivers": by_target.get(f.id, [])
                                       if f.status == "triggered" else []}) for f in checks]
    return outs, signs, checks
