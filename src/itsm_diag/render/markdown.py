"""Markdown report (GitHub-flavoured), readable as a CI job summary.

Headline, checklist, KPI table, fix plan, then one section per sign with its evidence in
a collapsed ``<details>`` block (GitHub renders Markdown inside it). Every piece of text
from the Report goes through :func:`md`, which escapes Markdown and HTML syntax, so a
ticket summary such as ``| **x** <script>`` shows as typed and cannot break a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from itsm_diag.render import common
from itsm_diag.render.safety import safe
from itsm_diag.report import Comparison, Finding, NoteOut, Report, TableOut

MAX_ROWS = 15

# ASCII punctuation that starts something in GFM (CommonMark lets any of it be escaped):
# code, emphasis, links/images ('!' and '(' are harmless once '[' is escaped), headings,
# table cells, strikethrough, GitHub's '$' math. '<' and '>' become entities. '-', '+',
# '=' and '1.' only matter at a line start (lists, setext headings).
_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
_BULLET_START = re.compile(r"^(\s*)([-+=])")
_NUMBER_START = re.compile(r"^(\s*)(\d+)([.)])")


def md(text: Any, limit: int | None = common.CELL_LIMIT) -> str:
    """``text`` as inline Markdown that renders exactly as typed, on one line."""
    s = common.one_line(text, limit) if limit else " ".join(common.clean(text).split())
    # entities, not backslashes, for HTML: no '<' survives for any renderer to act on
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _SPECIAL.sub(r"\\\1", s)
    s = _BULLET_START.sub(r"\1\\\2", s)
    return _NUMBER_START.sub(r"\1\2\\\3", s)


def _prose(text: Any) -> str:
    """Rule-file wording: escaped like ticket text, but never cut short."""
    return md(text, limit=None)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]],
           align: Iterable[str] | None = None) -> list[str]:
    head = list(header)
    aligns = list(align) if align is not None else ["l"] * len(head)
    rule = ["---:" if a == "r" else "---" for a in aligns]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(rule) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _ids(sample_ids: list[str]) -> str:
    return f" (e.g. {md(', '.join(sample_ids))})" if sample_ids else ""


def _notes(title: str, notes: list[NoteOut]) -> list[str]:
    if not notes:
        return []
    lines = [f"**{title}**", ""]
    for n in notes:
        count = common.count_suffix(n.text, n.count)
        lines.append(f"- {md(n.text, 1000)}{count}{_ids(n.sample_ids)}")
    return [*lines, ""]


def _data_table(about: TableOut | None, name: str, rows: list[dict[str, Any]]) -> list[str]:
    if about is None:  # a report written before its tables were worded
        cols = {c: None for c in common.columns(rows)}
        title, total = name.replace("_", " ").capitalize(), len(rows)
        labels = {c: c.replace("_", " ").capitalize() for c in cols}
    else:
        cols = dict(about.columns)  # type: ignore[arg-type]
        title, total = about.title, max(about.rows_total, len(rows))
        labels = {c: col.label for c, col in about.columns.items()}
    extent = f"{total:,} row{'s' if total != 1 else ''}"
    if len(rows) > MAX_ROWS:
        extent += f"; the first {MAX_ROWS} shown"
    elif len(rows) < total:
        extent += f"; the first {len(rows)} shown"
    lines = [f"**{_prose(title)}** ({extent})", ""]
    lines += _table([md(labels[c]) for c in cols],
                    ([md(t[c]) for c in cols]
                     for t in common.table_texts(rows[:MAX_ROWS], cols)),
                    ["r" if common.is_numeric(col) else "l" for col in cols.values()])
    return [*lines, ""]


def _finding(f: Finding, r: Report) -> list[str]:
    mark = common.MARKS[f.status]
    number = f"{f.number}. " if f.number else ""
    lines = [f"### {mark} {number}{_prose(f.title)}", "",
             f"**{common.STATUS_WORDS[f.status]}**"
             + ("" if f.status == "unknown" else f" · {common.confidence_words(f)}")
             + (" · self-assessed" if f.self_assessed else ""), "",
             f"*{_prose(f.question)}*", "", _prose(f.reason), ""]
    if f.what_would_answer:
        lines += [_prose(f.what_would_answer), ""]
    if f.drivers:
        from itsm_diag.render.analyses import driver_lines

        lines += ["**Where it concentrates:**", "",
                  *[f"- {md(x, 400)}" for x in driver_lines(f)], ""]
    # an unknown finding's evidence sentence would be a row of n/a: its reason says it all
    if f.status != "unknown":
        lines += [f"**Evidence:** {_prose(f.evidence.summary)}", ""]
    lines += [f"Scope: {_prose(f.evidence.scope)}", ""]
    if f.hours_at_stake_per_month is not None:
        lines += [f"**{common.hours(f.hours_at_stake_per_month)}** agent "
                  f"{common.hours_word(f.hours_at_stake_per_month)} a month at stake.", ""]
    lines += ["<details><summary>Measures, thresholds and evidence</summary>", ""]
    lines += _table(
        ["Measure", "Value", "Counted", "Out of", "How it is computed"],
        ([f"{md(mo.label)}{_ids(mo.sample_ids)}", md(common.figure(mo.value, mo.unit)),
          md(common.amount(mo.numerator)), md(common.amount(mo.denominator)),
          _prose(mo.definition)] for mo in f.metrics.values()),
        align="lrrrl",
    )
    lines.append("")
    if f.threshold.conditions:
        combine = "all must hold" if f.threshold.combine == "all" else "any one is enough"
        lines += [f"**Thresholds** ({combine})", ""]
        rows = []
        for c in f.threshold.conditions.values():
            unit = f.metrics[c.metric].unit if c.metric in f.metrics else ""
            met = "yes" if c.met else ("no" if c.met is False else "not measurable")
            rows.append([_prose(c.text), md(f"{c.op} {common.figure_exact(c.value, unit)}"),
                         md(common.figure(c.measured, unit, c.decimals)), met])
        lines += [*_table(["Condition", "Threshold", "Measured", "Holds"], rows, "lrrl"), ""]
    if f.evidence.costs:
        lines += ["**Hours at stake**", ""]
        for cost in f.evidence.costs:
            money = ("" if cost.money_per_month is None else
                     f" ({cost.money_per_month:,.0f} {md(r.assumptions.currency)} a month)")
            lines.append(f"- {_prose(cost.text)} **{common.hours(cost.hours_per_month)} "
                         f"{common.hours_word(cost.hours_per_month)} a month**{money}")
        lines.append("")
    lines += _notes("Notes", f.evidence.notes)
    lines += _notes("Records left out", f.evidence.excluded)
    for name, data in [*f.evidence.tables.items(), *f.evidence.series.items()]:
        if data:
            lines += _data_table(f.evidence.about_tables.get(name), name, data)
    return [*lines, "</details>", ""]


def _headline(r: Report) -> list[str]:
    title = _prose(r.title or "itsm-diag: IT service management health check")
    lines = [f"# {title}", ""]
    if r.client:
        lines += [f"For {_prose(r.client)}", ""]
    lines += [f"**Score {r.score} of 7 · {common.band_label(r)}**: {_prose(r.band_text)}", ""]
    if common.stake_text(r):
        lines += [f"**{md(common.stake_text(r))}**", ""]
    # an undetermined band says its range in the headline: no empty quote under it
    if common.unknown_range(r):
        lines += [f"> {md(common.unknown_range(r))}", ""]
    if r.self_assessed:
        lines += [f"> {r.self_assessed} of the signs are self-assessed from an answers file.",
                  ""]
    if r.redacted:
        lines += [f"> **{common.REDACTED_NOTE}**", ""]
    export, window = common.header_counts(r)
    lines += [f"{md(export)}; {md(window)}; data as of {common.human_date(r.as_of)}.", ""]
    return lines


def _checklist(r: Report) -> list[str]:
    lines = ["## The seven warning signs", ""]
    lines += _table(
        ["#", "Sign", "Status", "Key figure", "Confidence", "Hours a month"],
        ([str(f.number or ""), _prose(f.title),
          f"{common.MARKS[f.status]} {common.STATUS_WORDS[f.status]}",
          md(_figure(f), 400), common.confidence_text(f),
          common.hours(f.hours_at_stake_per_month)]
         for f in r.signs),
        align="rllllr",
    )
    if r.hours_at_stake_per_month is not None:  # each ticket counted once: no column sum
        total = common.hours(r.hours_at_stake_per_month)
        lines.append(f"|  | **{common.STAKE_ROW}** |  |  |  | **{total}** |")
    shared = [md(r.hours_note, None), ""] if r.hours_note else []
    return [*lines, "", md(common.HOURS_NOTE, None), "", *shared]


def _figure(f: Finding) -> str:
    """The key figure, or, for an unknown finding, no sentence of n/a."""
    if f.self_assessed:
        return "self-assessed from an answers file"
    if f.status == "unknown":
        return "cannot be answered from this export (see below)"
    return f"{f.key_figure.label}: {common.key_value(f)}"


def _kpis(r: Report) -> list[str]:
    k = r.kpis

    # the targets a config set (defaults.kpi_targets), each met or not: a column of
    # their own only then
    targets = bool(k.target_texts)

    def row(key: str, value: str) -> list[str]:
        caveat = common.kpi_caveat(r, key)
        if caveat:
            # whole: it qualifies the figure beside it (cut at 400, its end was lost)
            value = f"{value} ⚠ {md(caveat, common.KPI_TEXT_LIMIT)}"
        target = [md(common.kpi_target(r, key))] if targets else []
        return [_prose(common.kpi_label(r, key)), value, *target,
                md(k.definitions.get(key, ""), common.KPI_TEXT_LIMIT)]

    rows = [
        row("time_to_resolve_hours", md(common.ttr_text(r))),
        row("first_assignment_resolution",
            md(common.kpi_share(r, "first_assignment_resolution"))),
        row("sla_adherence", md(common.kpi_share(r, "sla_adherence"))),
        row("volume_by_category", md(common.category_counts(r, 5, 60) or "n/a", 400)),
    ]
    if k.backlog or k.backlog_weekly:
        rows.append(row("backlog_weekly", md(common.backlog_text(r))))
    head = ["KPI", "Value", *(["Target"] if targets else []), "How it is computed"]
    lines = ["## Core KPIs", "", *_table(head, rows), ""]
    if k.notes:
        lines += [f"KPI notes: {md('; '.join(k.notes), 1000)}", ""]
    return lines


def _fixes(r: Report) -> list[str]:
    lines = ["## Fix plan", ""]
    if not r.fixes:
        return [*lines, common.no_fixes(r), ""]
    money = r.assumptions.hourly_rate is not None
    head = ["#", "Fix", "For the sign", "Horizon", "Hours a month"]
    head += [f"{md(r.assumptions.currency)} a month"] if money else []
    titles = {f.id: f.title for f in r.signs}
    rows = []
    for fix in r.fixes:
        row = [str(fix.rank), _prose(fix.action), _prose(titles.get(fix.sign, fix.sign)),
               fix.horizon, common.fix_hours(fix)]
        if money:
            row.append("" if fix.money_per_month is None else f"{fix.money_per_month:,.0f}")
        rows.append(row)
    lines += _table(head, rows, "rlllr" + ("r" if money else ""))
    lines += ["", "<details><summary>Why each fix sits where it does</summary>", ""]
    lines += [f"- {fix.rank}: {_prose(fix.why_here)}" for fix in r.fixes]
    return [*lines, "", "</details>", ""]


def _checks(r: Report) -> list[str]:
    if not r.checks:
        return []
    lines = ["## Extra checks (not counted in the score)", ""]
    # the hours a triggered check costs, as the terminal and HTML show them
    lines += _table(
        ["Check", "Status", "Key figure", "Confidence", "Hours a month", "Finding"],
        ([_prose(f.title), f"{common.MARKS[f.status]} {common.STATUS_WORDS[f.status]}",
          md(_figure(f)), common.confidence_text(f), common.hours(f.hours_at_stake_per_month),
          _prose(f.reason)] for f in r.checks),
        align="llllrl",
    )
    todo = [(f, [x for x in r.check_fixes if x.sign == f.id]) for f in r.checks]
    if any(fixes for _, fixes in todo):
        lines += ["", f"**{common.CHECK_FIXES_TITLE}**", ""]
        for f, fixes in todo:
            lines += [f"- {_prose(f.title)}: {_prose(x.action)} ({common.check_fix_note(x)})"
                      for x in fixes]
    return [*lines, ""]


def _data_notes(r: Report) -> list[str]:
    lines = ["## Data notes", ""]
    if r.inputs:
        lines += _table(
            ["File", "Tool", "Table", "Detection confidence", "Rows", "Tickets", "Encoding",
             "Delimiter"],
            ([md(i.path), md(i.tool), md(i.table), common.figure(i.confidence, "ratio"),
              f"{i.rows:,}",
              f"{i.tickets:,}", md(i.encoding or ""), md(common.delimiter_name(i.delimiter))]
             for i in r.inputs),
            align="lllrrrll",
        )
        lines.append("")
        for i in r.inputs:
            if i.detected_by:
                lines.append(f"- {md(i.path)}: detected by {md(i.detected_by, 1000)}")
            if i.column_map:
                lines.append(f"- {md(i.path)}: {common.COLUMNS_READ.format(arrow='←')}: "
                             + ", ".join(common.column_pairs(i, "←", piece=md)))
            if i.date_formats:
                formats = "; ".join(f"{c} read as {common.date_pattern(f)}"
                                    for c, f in i.date_formats.items())
                lines.append(f"- {md(i.path)}: date columns {md(formats, 1000)}")
            lines += [f"- ⚠ {md(i.path)}: {md(w, 1000)}" for w in i.warnings]
        lines.append("")
    lines += [f"**Window:** {md(common.window_text(r))}. {md(r.window.how_chosen, 1000)}", ""]
    notes = common.data_notes(r)
    lines += [f"- {md(n, 1000)}" for n in notes]
    if notes:
        lines.append("")
    a = r.assumptions
    rate = (f"{common.plain_amount(a.hourly_rate)} {md(a.currency)}" if a.hourly_rate is not None
            else "not set (hours only)")
    lines += [f"**Assumptions:** {md(common.assumptions_text(r), 2000)}; hourly rate: "
              f"{rate}.", ""]
    lines += [f"- override {md(k)}: {md(v)}" for k, v in a.overrides.items()]
    if a.overrides:
        lines.append("")
    return lines


def _periods(r: Report) -> list[str]:
    """The score of each calendar period (``--period``), oldest first."""
    if not r.periods:
        return []
    kind = common.period_kind(r)
    lines = [f"## Score by {kind}", "",
             f"Each {kind} diagnosed on its own window; a {kind} the data covers only in "
             "part is not graded.", ""]
    titles = {f.id: f.title for f in r.signs}
    lines += _table(
        [kind.capitalize(), "Score", "Band", "Triggered signs", "Unknown"],
        ([p.label, common.period_cells(p, " of 7")[0], common.period_band(p),
          md(common.period_cells(p, joined=lambda ids: "; ".join(titles.get(t, t)
                                                                 for t in ids))[1], 1000),
          common.period_cells(p)[2]] for p in r.periods),
        align="lrllr",
    )
    return [*lines, ""]


def _comparison(c: Comparison, heading: str) -> list[str]:
    """What changed since the baseline: headline, signs that moved, KPI deltas, notes."""
    lines = [f"{heading}", "",
             f"Baseline as of {md(c.baseline.as_of[:10])} (window "
             f"{md(c.baseline.window_start[:10])} to {md(c.baseline.window_end[:10])}), "
             f"now as of {md(c.current.as_of[:10])}.", "",
             f"**{md(common.comparison_headline(c))}**", ""]
    if c.appeared:
        lines.append(f"- Newly triggered: {md(common.moved_signs(c, c.appeared))}")
    if c.cleared:
        lines.append(f"- Cleared: {md(common.moved_signs(c, c.cleared))}")
    lines += [f"- {md(common.comparison_verdict(c))}", ""]
    lines += _table(
        ["#", "Sign", "Status", "Change", "Hours a month"],
        ([str(s.number or ""), _prose(s.title), md(common.status_move(s.old, s.new)),
          md(common.change_words(s)),
          f"{common.hours(s.hours_old) or '-'} → {common.hours(s.hours_new) or '-'}"]
         for s in c.signs),
        align="rlllr",
    )
    lines.append("")
    lines += _table(
        ["KPI", "Baseline", "Now", "Change", "Direction"],
        ([md(d.label), md(common.figure(d.old, d.unit)), md(common.figure(d.new, d.unit)),
          md(common.change(d)), d.direction or ""]
         for d in [*c.kpis, c.hours_at_stake]),
        align="lrrrl",
    )
    lines.append("")
    lines += [f"- ⚠ {md(n, common.COMPARE_NOTE_LIMIT)}" for n in c.notes]
    if c.notes:
        lines.append("")
    return lines


def render_comparison(comparison: Comparison) -> str:
    """``itsm-diag compare --format markdown``: a CI job summary of what changed."""
    c = safe(comparison, "markdown")  # a baseline's fields come from a file
    lines = _comparison(c, f"# itsm-diag: as of {md(c.current.as_of[:10])} against the "
                           "baseline")
    return "\n".join(lines).rstrip() + "\n"


def render(report: Report) -> str:
    """The report as GitHub-flavoured Markdown."""
    r = safe(report, "markdown")
    lines = [*_headline(r), *_checklist(r)]
    if r.comparison is not None:
        lines += _comparison(r.comparison, "## Since the baseline")
    lines += [*_kpis(r), *_periods(r), *_fixes(r), "## Signs", ""]
    for f in r.signs:
        lines += _finding(f, r)
    from itsm_diag.render import analyses

    lines += [*_checks(r), *analyses.markdown(r), *_data_notes(r)]
    lines.append(f"<sub>{md(r.generated_by.name)} {md(r.generated_by.version)} · report "
                 f"schema {r.schema_version}</sub>")
    return "\n".join(lines).rstrip() + "\n"
