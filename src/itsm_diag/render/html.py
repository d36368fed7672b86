"""HTML report: one self-contained file (inline CSS and SVG charts, no script, no network).

The page arranges the Report through Jinja2 templates in ``render/templates`` with
autoescaping on, so ticket text can never become markup. A Content-Security-Policy meta
tag forbids every fetch the page could attempt (``default-src 'none'``), so even a
future template mistake cannot make the report phone home. Page 1 is an executive
summary; the detail of every finding sits in a closed ``<details>``, so the printed
report (``--format pdf``, or the browser's Print) stays a short document.
"""

from __future__ import annotations

import functools
from typing import Any

from itsm_diag.render import common
from itsm_diag.report import ConditionOut, Finding, Report, TableOut

#: the rows of an evidence table shown in the page (the JSON report holds every row the
#: finding kept, and says when that is itself a cut)
MAX_ROWS = 15
#: the report's title when ``--title`` is not given
DEFAULT_TITLE = "IT service management health check"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _measured(finding: Finding, cond: ConditionOut) -> str:
    metric = finding.metrics.get(cond.metric)
    return common.figure(cond.measured, metric.unit if metric else "", cond.decimals)


def _threshold(finding: Finding, cond: ConditionOut) -> str:
    metric = finding.metrics.get(cond.metric)
    return f"{cond.op} {common.figure_exact(cond.value, metric.unit if metric else '')}"


def _money(value: float | None, currency: str) -> str:
    return "" if value is None else f"{value:,.0f} {currency}"


def _summary_figure(f: Finding) -> str:
    """The summary table's key figure: short, and for an unknown finding no sentence of
    n/a (its section says why it is unknown)."""
    if f.self_assessed:
        return "self-assessed from an answers file"
    if f.status == "unknown":
        return "cannot be answered from this export"
    return f"{f.key_figure.label}: {common.key_value(f)}"


def _detail_summary(f: Finding) -> str:
    parts = [common.counted(len(f.metrics), "measure")] if f.metrics else []
    if f.threshold.conditions:
        parts.append("the thresholds")
    tables = [n for n, rows in [*f.evidence.tables.items(), *f.evidence.series.items()] if rows]
    if tables:
        parts.append(common.counted(len(tables), "table"))
    notes = len(f.evidence.notes) + len(f.evidence.excluded)
    if notes:
        parts.append(common.counted(notes, "note"))
    return ", ".join(parts) or "how it was measured"


def _about(f: Finding, name: str) -> TableOut:
    found = f.evidence.about_tables.get(name)
    if found is not None:
        return found
    # a report written before tables were worded: the columns in first-seen order
    rows = f.evidence.tables.get(name) or f.evidence.series.get(name) or []
    from itsm_diag.report import ColumnOut

    cols = {k: ColumnOut(label=k.replace("_", " ").capitalize()) for k in common.columns(rows)}
    return TableOut(title=name.replace("_", " ").capitalize(), columns=cols, rows=len(rows),
                    rows_total=len(rows))


def _table_extent(about: TableOut, shown: int) -> str:
    """'60 rows; the first 15 shown here, the JSON report has 50 of them'."""
    rows, total = about.rows, max(about.rows_total, about.rows)
    text = f"{total:,} row{'s' if total != 1 else ''}"
    if rows > shown:
        text += f"; the first {shown} shown here"
        text += (f", all {rows:,} in the JSON report" if rows == total
                 else f", {rows:,} in the JSON report")
    elif rows < total:
        text += f"; the first {rows:,} shown"
    return text


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _kpi_rows(r: Report) -> list[tuple[str, str]]:
    k = r.kpis
    rows = [("time_to_resolve_hours", common.ttr_text(r)),
            ("first_assignment_resolution", common.kpi_share(r, "first_assignment_resolution")),
            ("sla_adherence", common.kpi_share(r, "sla_adherence"))]
    rows.append(("volume_by_category", common.category_counts(r, 3, 40) or "n/a"))
    if k.backlog or k.backlog_weekly:
        rows.append(("backlog_weekly", common.backlog_text(r)))
    return rows


@functools.cache
def _environment() -> Any:
    """The templates' environment, made once per process: Jinja compiles each template
    the first time it is asked for and keeps it, so a batch or a test session renders
    later reports without compiling again. Nothing in it depends on one report."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("itsm_diag.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        figure=common.figure, cell=common.cell, clip=common.clip, one_line=common.one_line,
        hours=common.hours, delimiter=common.delimiter_name, signed=common.signed,
        human_date=common.human_date, human_time=common.human_time, amount=common.amount,
        date_format=common.date_pattern,
    )
    # --period and --baseline sections
    env.globals.update(
        score_trend=common.score_trend, period_kind=common.period_kind,
        status_move=common.status_move, change_words=common.change_words,
        comparison_headline=common.comparison_headline,
        comparison_verdict=common.comparison_verdict,
        compare_note_limit=common.COMPARE_NOTE_LIMIT,
    )
    env.globals.update(
        marks=common.MARKS, measured=_measured, threshold=_threshold, money=_money,
        key_figure_text=common.key_figure_text, kpi_label=common.kpi_label,
        period_band=common.period_band, fix_hours=common.fix_hours,
        check_fix_note=common.check_fix_note,
        count_suffix=common.count_suffix, hours_word=common.hours_word,
        data_notes=common.data_notes,
        kpi_caveat=common.kpi_caveat, kpi_caveat_head=common.kpi_caveat_head,
        confidence_text=common.confidence_text, noise_band=common.noise_band,
        columns=common.columns, max_rows=MAX_ROWS,
        redacted_note=common.REDACTED_NOTE, status_words=common.STATUS_WORDS,
        summary_figure=_summary_figure, detail_summary=_detail_summary, about=_about,
        table_extent=_table_extent,
        table_texts=common.table_texts,
        is_numeric=common.is_numeric, as_list=_as_list, kpi_target=common.kpi_target,
        change=common.change, column_name_limit=common.COLUMN_NAME_LIMIT,
    )
    from itsm_diag.render.analyses import driver_lines

    env.globals.update(driver_lines=driver_lines)
    def sign_title(ctx: Any, sign_id: str) -> str:
        """A sign's title from the report being rendered (its context's sign_titles)."""
        return str(ctx["sign_titles"].get(sign_id, sign_id))

    env.filters["sign_title"] = jinja2.pass_context(sign_title)
    # signs that appeared or cleared, by title, qualified under a changed threshold
    env.globals["moved_signs"] = jinja2.pass_context(
        lambda ctx, c, ids: common.moved_signs(c, ids, lambda i: sign_title(ctx, i)))
    return env


def render(report: Report) -> str:
    """The report as one HTML document."""
    from markupsafe import Markup

    from itsm_diag.render.charts import charts_for
    from itsm_diag.render.safety import safe

    report = safe(report, "html")
    # Markup: render.svg writes the SVG and escapes every text it draws (ticket text too)
    charts = {
        sign: [(c.caption, Markup(c.svg)) for c in found]  # nosec B704  # see above
        for sign, found in charts_for(report).items()
    }
    titles = {f.id: f.title for f in [*report.signs, *report.checks]}
    template = _environment().get_template("report.html.j2")
    from itsm_diag.render.analyses import html as analyses_html

    return str(template.render(
        r=report, charts=charts, csp=CSP, analyses_html=analyses_html(report, charts),
        title=report.title or DEFAULT_TITLE,
        unknown_range=common.unknown_range(report), stake=common.stake_text(report),
        stake_row=common.STAKE_ROW,
        no_fixes=common.no_fixes(report),
        window_text=common.window_text(report), header_counts=common.header_counts(report),
        sign_titles=titles,
        kpi_rows=_kpi_rows(report), hours_note=common.HOURS_NOTE,
        assumptions_text=common.assumptions_text(report),
        kpi_caveat_keys=[k for k, _ in _kpi_rows(report) if common.kpi_caveat(report, k)],
        kpi_note_keys=_kpi_note_keys(report), kpi_notes_title=common.KPI_NOTES_TITLE,
        kpi_text_limit=common.KPI_TEXT_LIMIT,
    ))


def _kpi_note_keys(r: Report) -> list[str]:
    """The KPIs the notes after the fix plan speak of: each defined one, then any other
    with a caveat (a report written before KPIs were defined)."""
    keys = list(r.kpis.definitions)
    return keys + [k for k in r.kpis.caveats if k not in keys]
