"""The analyses section (flow, text clusters, drivers, action list, forecast) per format,
and the action list as CSV.

Self-contained on purpose: each format's renderer calls one function here
(:func:`markdown`, :func:`terminal`, :func:`html`; :func:`driver_lines` under a finding),
so the section moves with whatever shape the renderers take. Everything shown comes
from ``Report.analyses`` and ``Finding.drivers``; nothing is computed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from itsm_diag.render import common
from itsm_diag.report import AnalysisOut, AnalysisTable, Finding, Report

if TYPE_CHECKING:
    from rich.console import RenderableType

#: the heading of the section, in every format
HEADING = "Where work flows, what recurs, what to act on"
#: columns whose values are ratios (shown as percentages)
PERCENT = frozenset({"share", "share_of_time", "idle_share", "rate", "rate_elsewhere"})
#: rows of each table shown in the terminal, Markdown and HTML (the JSON has them all)
TERMINAL_ROWS = 5
MAX_ROWS = 15
#: the tables the terminal shows, per analysis (the others are in the other formats)
TERMINAL_TABLES = {"flow": ("time_in_status", "bounce_pairs", "idle_by_group",
                            "status_variants"),
                   "text-clusters": ("clusters",), "drivers": ("drivers",),
                   "actions": ("actions",), "forecast": ("projection",)}
#: notes the terminal shows under an analysis's figures: those that say a figure covers
#: less than the export (the other formats show every note)
TERMINAL_NOTES = {"text-clusters": ("over_budget",)}
#: columns the terminal leaves out of a table (kept in the other formats); never a
#: table's first column
TERMINAL_SKIP = frozenset({"sample_ids", "summaries", "first_seen", "last_seen", "assignee",
                           "due_from", "summary", "p", "others", "p90_hours", "status", "due",
                           "waiting_since",
                           "idle_business_days", "reassignments", "problem_linked",
                           "idle_gaps", "waiting_gaps", "rate", "rate_elsewhere"})


def value(key: str, raw: Any, limit: int = common.CELL_LIMIT) -> str:
    """An analysis cell as text."""
    if key in PERCENT and isinstance(raw, int | float) and not isinstance(raw, bool):
        return common.figure(float(raw), "ratio")
    if key in ("due", "waiting_since") and isinstance(raw, str):
        return raw[:16].replace("T", " ")
    if key == "summaries" and isinstance(raw, list):
        return common.one_line("; ".join(
            f"{s.get('summary')} ({common.cell(s.get('tickets'))})"
            if isinstance(s, dict) else str(s) for s in raw), limit)
    return common.cell(raw, key, limit)


def metric_text(out: AnalysisOut, name: str) -> str:
    mo = out.metrics[name]
    text = common.figure(mo.value, mo.unit)
    if mo.unit == "ratio" and mo.numerator is not None and mo.denominator:
        text += f" ({mo.numerator:,.0f} of {mo.denominator:,.0f})"
    return text


#: figures an analysis shows in its overview line (the rest are in its detail)
OVERVIEW_FIGURES = 6


def key_figures(out: AnalysisOut) -> str:
    """The analysis's first figures as one line, ``label: value; ...``: what the terminal
    and the HTML show before any detail."""
    return "; ".join(f"{mo.label}: {metric_text(out, k)}"
                     for k, mo in list(out.metrics.items())[:OVERVIEW_FIGURES])


def _table_rows(table: AnalysisTable, limit: int, skip: frozenset[str] = frozenset()
                ) -> tuple[list[str], list[str], list[list[str]]]:
    # the first column says what a row is about (the status of time in each status,
    # the ticket of the action list): never skipped, or the figures lose their subject
    keys = [k for i, k in enumerate(table.columns) if i == 0 or k not in skip]
    labels = [table.columns[k] for k in keys]
    shown = table.rows[:limit]
    # each column at one precision ("199,097.4" above "98,327" read as two scales)
    columns = [common.column_cells([r.get(k) for r in shown], [value(k, r.get(k)) for r in shown])
               for k in keys]
    rows = [list(cells) for cells in zip(*columns, strict=True)] if keys else []
    return keys, labels, rows


#: the mean characters above which a text column holds sentences (``long``)
_LONG_TEXT = 30
#: a date, or a date and time, as the tables print them (kept on one line)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


def _column_kinds(table: AnalysisTable, keys: list[str], shown: list[list[str]]
                  ) -> dict[str, str]:
    """How each column of a table's shown rows is laid out: ``num`` (numbers and shares:
    right-aligned in every format, one line in HTML), and in HTML ``date`` (dates and
    times as shown: one line), ``long`` (sentences: wraps, but not below a readable
    width) or ``text`` (wraps). Read from the values, so a table of twelve columns gives
    its room to the reasons and summaries rather than breaking each over six lines, or a
    date over three."""
    kinds = {}
    for i, k in enumerate(keys):
        raw = [r.get(k) for r in table.rows[:len(shown)] if r.get(k) is not None]
        text = [row[i] for row in shown if row[i]]
        if k in PERCENT or (raw and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in raw)):
            kinds[k] = "num"
        elif text and all(_DATE.fullmatch(v) for v in text):
            kinds[k] = "date"
        elif (k != "sample_ids"  # lists of ids wrap at any width
              and text and sum(map(len, text)) > _LONG_TEXT * len(text)):
            kinds[k] = "long"
        else:
            kinds[k] = "text"
    return kinds


def _css(kind: str, only: str | None = None) -> str:
    """The class attribute of a cell of that kind (none for text, or unless ``only``)."""
    if kind == "text" or (only is not None and kind != only):
        return ""
    return f' class="{kind}"'


def driver_lines(f: Finding) -> list[str]:
    """The drivers that explain a finding, one sentence each (with sample ids)."""
    return [d.text + (f" (e.g. {', '.join(d.sample_ids[:3])})" if d.sample_ids else "")
            for d in f.drivers]


# ---- Markdown -------------------------------------------------------------------------------

def markdown(r: Report) -> list[str]:
    """The section as Markdown lines (every text escaped by the Markdown renderer's md)."""
    from itsm_diag.render.markdown import _table, md

    if not r.analyses:
        return []
    lines = [f"## {HEADING}", ""]
    for out in r.analyses.values():
        lines += [f"### {md(out.title)}", "", f"*{md(out.question, None)}*", "",
                  f"**{out.status}** · {md(out.reason, None)}", "",
                  f"Scope: {md(out.scope, None)}", ""]
        if out.metrics:
            lines += _table(["Figure", "Value", "Definition"], (
                [md(mo.label) + (f" (e.g. {md(', '.join(mo.sample_ids[:5]))})"
                                 if mo.sample_ids else ""),
                 md(metric_text(out, name)), md(mo.definition, None)]
                for name, mo in out.metrics.items()), "lrl")
            lines.append("")
        for table in out.tables.values():
            keys, labels, rows = _table_rows(table, MAX_ROWS)
            more = (f"; the first {MAX_ROWS} of {len(table.rows):,} rows shown"
                    if len(table.rows) > MAX_ROWS else "")
            n = f" (n = {table.n:,})" if table.n is not None else ""
            lines += [f"**{md(table.label)}**{n}{more}: {md(table.definition, None)}", ""]
            kinds = _column_kinds(table, keys, rows)
            lines += _table([md(x) for x in labels], ([md(c) for c in row] for row in rows),
                            ["r" if kinds[k] == "num" else "l" for k in keys])
            lines.append("")
        for note in [*out.notes, *out.excluded]:
            count = common.count_suffix(note.text, note.count)
            lines.append(f"- {md(note.text, 1000)}{count}")
        lines.append("")
    return lines


# ---- terminal -------------------------------------------------------------------------------

def terminal(r: Report) -> list[RenderableType]:
    """The section as rich renderables: key figures and the top rows of the main tables."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    def indented(line: str, style: str) -> RenderableType:
        # a block indented as a whole: its wrapped lines line up under its first
        return Padding(Text(common.clip(line, 600), style=style), (0, 0, 0, 2))

    if not r.analyses:
        return []
    parts: list[RenderableType] = [Text(HEADING, style="bold")]
    for out in r.analyses.values():
        head = Text(f"{out.title}", style="bold")
        parts.append(head)
        if out.status == "unknown":
            parts.append(indented(f"? {out.reason}", "yellow"))
            continue
        parts.append(indented(key_figures(out), "dim"))
        for note in out.notes:
            if note.code in TERMINAL_NOTES.get(out.id, ()):
                parts.append(indented(f"! {note.text}", "yellow"))
        for name in TERMINAL_TABLES.get(out.id, ()):
            table = out.tables.get(name)
            if table is None:
                continue
            keys, labels, rows = _table_rows(table, TERMINAL_ROWS, TERMINAL_SKIP)
            kinds = _column_kinds(table, keys, rows)
            grid = Table(title=common.clean(table.label), title_justify="left",
                         box=box.SIMPLE, show_edge=False, pad_edge=False)
            for key, label in zip(keys, labels, strict=True):
                grid.add_column(common.clean(label), overflow="fold",
                                justify="right" if kinds[key] == "num" else "left",
                                max_width=40 if key in ("path", "label", "reasons") else 24)
            for row in rows:
                grid.add_row(*[common.one_line(c, 80) for c in row])
            parts.append(grid)
    return parts


# ---- HTML -----------------------------------------------------------------------------------

def html(r: Report, charts: dict[str, list[tuple[str, Any]]]) -> Any:
    """The section as HTML (markupsafe Markup, every text escaped)."""
    from markupsafe import Markup, escape

    if not r.analyses:
        return Markup("")
    e = escape
    parts = [f'<section id="analyses"><h2>{e(HEADING)}</h2>']
    for out in r.analyses.values():
        parts.append(f'<section class="analysis st-{e(out.status)}" id="analysis-{e(out.id)}">'
                     f"<h3>{e(out.title)}</h3><p class=\"question\">{e(out.question)}</p>"
                     f"<p class=\"reason\">{e(out.reason)}</p>")
        if out.metrics:  # the result itself, before any detail (as the terminal shows it)
            parts.append(f'<p class="summary">{e(common.clip(key_figures(out), 600))}</p>')
        parts.append(f'<p class="dim">{e(out.scope)}</p>')
        if out.id == "flow":
            for caption, svg in charts.get("flow", []):
                parts.append(f'<figure class="chart">{svg}<figcaption>{e(caption)}'
                             "</figcaption></figure>")
        notes = [*out.notes, *out.excluded]
        if not (out.metrics or out.tables or notes):  # no empty "Detail: 0 figures" fold
            parts.append("</section>")
            continue
        # the detail folds away (and prints as one line), as each finding's does
        inside = [common.counted(n, w) for n, w in ((len(out.metrics), "figure"),
                                                   (len(out.tables), "table"),
                                                   (len(notes), "note")) if n]
        parts.append(f"<details><summary>Detail: {e(', '.join(inside))}</summary>")
        if out.metrics:
            parts.append('<div class="scroll"><table class="metrics"><thead><tr>'
                         '<th>Figure</th><th class="num">Value</th><th>Definition</th>'
                         "</tr></thead><tbody>")
            for name, mo in out.metrics.items():
                ids = (f' <span class="ids">e.g. {e(", ".join(mo.sample_ids[:5]))}</span>'
                       if mo.sample_ids else "")
                parts.append(f"<tr><td>{e(mo.label)}{ids}</td><td class=\"num\">"
                             f"{e(metric_text(out, name))}</td><td class=\"def\">"
                             f"{e(mo.definition)}</td></tr>")
            parts.append("</tbody></table></div>")
        for table in out.tables.values():
            keys, labels, rows = _table_rows(table, MAX_ROWS)
            n = f" (n = {table.n:,})" if table.n is not None else ""
            more = (f"; the first {MAX_ROWS} of {len(table.rows)} rows"
                    if len(table.rows) > MAX_ROWS else "")
            kinds = _column_kinds(table, keys, rows)
            parts.append(f"<h4>{e(table.label)}{e(n)}{e(more)}</h4>"
                         f'<p class="dim">{e(table.definition)}</p><div class="scroll">'
                         # ten columns or more: a smaller type, so they fit the page
                         f'<table class="evidence{" wide" if len(keys) >= 10 else ""}">'
                         "<thead><tr>"
                         + "".join(f"<th{_css(kinds[k], 'num')}>{e(x)}</th>"
                                   for k, x in zip(keys, labels, strict=True))
                         + "</tr></thead><tbody>")
            for row in rows:
                parts.append("<tr>" + "".join(
                    f"<td{_css(kinds[k])}>{e(c)}</td>"
                    for k, c in zip(keys, row, strict=True)) + "</tr>")
            parts.append("</tbody></table></div>")
        if notes:
            parts.append("<ul class=\"notes\">" + "".join(
                f"<li>{e(common.clip(n.text, 1000))}</li>" for n in notes) + "</ul>")
        parts.append("</details></section>")
    parts.append("</section>")
    return Markup("".join(parts))  # nosec B704  # every piece above went through escape


# ---- CSV --------------------------------------------------------------------------------------

def action_csv(r: Report) -> str:
    """The Monday action list as CSV (``diagnose --format csv``): every row the report
    holds, the action list's column labels as the header, every cell escaped against
    spreadsheet formulas and with its control characters and line breaks shown as
    escapes (:func:`itsm_diag.safety.csv_text`, ``inert``). Only a header when the
    list is empty or unknown."""
    from itsm_diag.safety import csv_text

    out = r.analyses.get("actions")
    table = out.tables.get("actions") if out is not None else None
    if table is None:
        from itsm_diag.config import load_rules

        columns = load_rules().analyses["actions"].tables["actions"].columns
        return csv_text(list(columns.values()), [], inert=True)
    keys = list(table.columns)

    def cell(key: str, raw: Any) -> object:
        if isinstance(raw, list):
            return "; ".join(str(x) for x in raw)
        return raw

    return csv_text([table.columns[k] for k in keys],
                    ([cell(k, row.get(k)) for k in keys] for row in table.rows), inert=True)
