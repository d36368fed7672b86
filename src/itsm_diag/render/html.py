"""HTML report: one self-contained file (inline CSS and SVG charts, no script, no network).

The page arranges the Report through Jinja2 templates in ``render/templates`` with
autoescaping on, so ticket text can never become markup. A Content-Security-Policy meta
tag forbids every fetch the page could attempt (``default-src 'none'``), so even a
future template mistake cannot make the report phone home. The print stylesheet starts
each sign on a new page, so "Print to PDF" gives a clean document.
"""

from __future__ import annotations

from typing import Any

from itsm_diag.render import common
from itsm_diag.report import ConditionOut, Finding, Report

#: the rows of an evidence table shown in the page; the JSON report has them all
MAX_ROWS = 15
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _measured(finding: Finding, cond: ConditionOut) -> str:
    metric = finding.metrics.get(cond.metric)
    return common.figure(cond.measured, metric.unit if metric else "")


def _threshold(finding: Finding, cond: ConditionOut) -> str:
    metric = finding.metrics.get(cond.metric)
    return f"{cond.op} {common.figure(cond.value, metric.unit if metric else '')}"


def _money(value: float | None, currency: str) -> str:
    return "" if value is None else f"{value:,.0f} {currency}"


def _environment() -> Any:
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
    )
    # --period and --baseline sections
    env.globals.update(
        score_trend=common.score_trend, period_kind=common.period_kind,
        status_move=common.status_move, change_words=common.CHANGE_WORDS,
        comparison_headline=common.comparison_headline,
        comparison_verdict=common.comparison_verdict,
    )
    env.globals.update(
        marks=common.MARKS, measured=_measured, threshold=_threshold, money=_money,
        key_figure_text=common.key_figure_text, kpi_label=common.kpi_label,
        columns=common.columns, max_rows=MAX_ROWS,
        redacted_note=common.REDACTED_NOTE,
    )
    return env


def render(report: Report) -> str:
    """The report as one HTML document."""
    from markupsafe import Markup

    from itsm_diag.render.charts import charts_for
    from itsm_diag.render.safety import safe

    report = safe(report, "html")
    # Markup: the SVG is matplotlib's output, which escapes the (ticket) text it draws
    charts = {
        sign: [(c.caption, Markup(c.svg)) for c in found]  # nosec B704  # see above
        for sign, found in charts_for(report).items()
    }
    template = _environment().get_template("report.html.j2")
    return str(template.render(
        r=report, charts=charts, csp=CSP,
        headline=common.headline(report), unknown_range=common.unknown_range(report),
        ticket_counts=common.ticket_counts(report), ttr=common.ttr_text(report),
        top_categories=common.top_categories(report),
        backlog_open=[w.get("open") for w in report.kpis.backlog_weekly],
    ))
