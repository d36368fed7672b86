"""The 60-second diagnostic in the terminal (rich): headline, the seven signs, top fixes.

Laid out for the terminal's width (``COLUMNS``, else the terminal's own, else 100),
held between 80 and 160 columns, and no line is wider. The first screen (50 lines at 100
columns) holds the headline, the seven signs and the top three fixes; the KPIs, why
signs are unknown, the extra checks and the data notes follow; KPI definitions, the
whole fix plan and every input file come with ``verbose``. Plain text when the output
is not a terminal; ``quiet`` gives the headline line alone. Ticket text is shown, never
obeyed: rich markup is off and control characters (terminal escape sequences) are made
visible by :func:`common.clean`.
"""

from __future__ import annotations

import os
from io import StringIO
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from itsm_diag.render import common
from itsm_diag.render.common import (
    REDACTED_NOTE,
    clean,
    clip,
    figure,
    headline,
    key_figure_text,
)
from itsm_diag.render.safety import safe
from itsm_diag.report import Comparison, Finding, InputInfo, Report

__all__ = ["MAX_WIDTH", "MIN_WIDTH", "figure", "render", "render_comparison", "width"]

_MARK = {"triggered": ("✘", "bold red"), "clear": ("✔", "green"), "unknown": ("?", "yellow")}
_BAND_STYLE = {"healthy": "green", "gaps": "yellow", "slowing": "dark_orange", "crisis": "red",
               "undetermined": "magenta"}
#: the narrowest and widest layouts: below 80 columns nothing fits, past 160 lines get
#: too long to read
MIN_WIDTH, MAX_WIDTH = 80, 160
#: the width when nothing says otherwise (output to a file or a pipe, no COLUMNS)
DEFAULT_WIDTH = 100
#: the fixes the first screen shows
TOP_FIXES = 3


def width(requested: int | None = None) -> int:
    """The layout width: ``requested``, else ``COLUMNS``, else the terminal's, else 100,
    held between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`."""
    if requested is None:
        columns = os.environ.get("COLUMNS", "")
        requested = int(columns) if columns.isdigit() else _terminal_columns()
    return max(MIN_WIDTH, min(MAX_WIDTH, requested))


def _terminal_columns() -> int:
    """The terminal's width, also when standard output is a pipe (``| head``, ``| less``)
    and standard error still is the terminal; else :data:`DEFAULT_WIDTH`."""
    for fd in (1, 2, 0):
        try:
            return os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
    return DEFAULT_WIDTH


def _headline(r: Report, w: int) -> Panel:
    style = _BAND_STYLE[r.band]
    text = Text()
    text.append(f"Score {r.score} of 7", style=f"bold {style}")
    band = (f"band undetermined ({r.band_range[0]} to {r.band_range[1]})"
            if r.band == "undetermined" else f"{r.band.upper()}")
    if common.noise_band(r):
        band = f"{band} ({common.noise_band(r)})"
    text.append(f"  {band}", style=f"bold {style}")
    text.append(f"  {clean(r.band_text)}\n")
    if common.stake_text(r):
        text.append(clean(common.stake_text(r)) + "\n", style="bold")
    if common.unknown_range(r):
        text.append(common.unknown_range(r) + "\n", style="yellow")
    if r.self_assessed:
        text.append(f"{r.self_assessed} of the signs are self-assessed from an answers file.\n",
                    style="yellow")
    if r.redacted:
        text.append(REDACTED_NOTE + "\n", style="bold")
    # the export's size, then the window's own tickets: one line each (the export's
    # count beside the window's dates read as the window's)
    export, window = common.header_counts(r)
    text.append(f"{clip(export)}\n{window[:1].upper()}{window[1:]}", style="dim")
    title = clip(r.title or "itsm-diag: the 60-second diagnostic", w - 10)
    if r.client:
        title = clip(f"{title} for {r.client}", w - 10)
    # a Text, not a str: Panel reads a str title as Rich markup whatever the console says
    # ("Q3 review [/draft]" crashed, "[internal]" vanished)
    return Panel(text, title=Text(clean(title)), box=box.ROUNDED, width=w, title_align="left")


def _checklist(findings: list[Finding], title: str, w: int, numbered: bool = True,
               total: float | None = None) -> Table:
    """The signs' or checks' table; ``total``: the report's hours at stake, each ticket
    counted once, as its last row (the column is no sum when two signs price a ticket)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, width=w, title_justify="left",
                  show_lines=False, pad_edge=False, title_style="bold", show_edge=False)
    if numbered:
        table.add_column("#", width=1, justify="right")
    table.add_column("Sign" if numbered else "Check", ratio=5)
    table.add_column("Status", width=11, no_wrap=True)
    table.add_column("Key figure", ratio=4)
    table.add_column("Hours", width=5, justify="right")
    for f in findings:
        mark, style = _MARK[f.status]
        # a narrow cell cannot hold why a sign is unknown: that has its own lines below
        label = "see why below" if (f.status == "unknown" and not f.self_assessed) \
            else key_figure_text(f)
        hours = common.hours(f.hours_at_stake_per_month)
        cells: list[RenderableType] = [str(f.number or "")] if numbered else []
        cells += [Text(clean(f.title)), Text(f"{mark} {f.status}", style=style),
                  Text(clip(label, 400)), hours]
        table.add_row(*cells, end_section=total is not None and f is findings[-1])
    if total is not None:
        table.add_row(*([""] if numbered else []), Text(common.STAKE_ROW, style="bold"), "",
                      "", Text(common.hours(total), style="bold"))
    return table


def _legend(r: Report) -> Text:
    """Units and marks, said once; and, when two signs price the same tickets' handle
    minutes, the hours counted once (the column is then no sum)."""
    text = Text("Hours: agent hours a month at stake, for triggered signs only (the basis is "
                "under Assumptions). Confidence is high unless the key figure says otherwise.",
                style="dim")
    if r.hours_note:
        text.append(f"\n{clip(r.hours_note, 600)}")
    return text


def _whole_or_cut(text: object, limit: int, verbose: bool) -> str:
    """``text`` whole with ``verbose``; else cut to ``limit`` characters, the cut saying
    where the rest is."""
    if verbose:
        return clean(text)
    cut = clip(text, limit)
    return cut if cut == clean(text) else f"{cut} (whole with -v)"


def _kpis(r: Report, w: int, verbose: bool = False) -> Table:
    k = r.kpis

    def label(key: str) -> Text:
        # a config can reword a label: shown as text, never as rich markup
        return Text(clean(common.kpi_label(r, key)))

    def value(key: str, text: str) -> Text:
        out = Text(clean(text))
        caveat = common.kpi_caveat(r, key)
        if caveat:
            out.append(f"  ⚠ {_whole_or_cut(caveat, 300, verbose)}", style="yellow")
        return out

    table = Table(title="Core KPIs", box=box.SIMPLE_HEAD, width=w, title_justify="left",
                  pad_edge=False, title_style="bold", show_edge=False)
    # the targets a config set (defaults.kpi_targets), each met or not: a column of
    # their own only then, the KPI column as wide as without it (at 80 columns 2:5:3
    # cut "First-assignment" to "First-assignme…")
    targets = bool(k.target_texts)
    table.add_column("KPI", ratio=2)
    table.add_column("Value", ratio=4 if targets else 5)
    if targets:
        table.add_column("Target", ratio=3)
    rows = [("time_to_resolve_hours", common.ttr_text(r)),
            ("first_assignment_resolution", common.kpi_share(r, "first_assignment_resolution")),
            ("sla_adherence", common.kpi_share(r, "sla_adherence")),
            ("volume_by_category", common.category_counts(r, 3, 60) or "n/a")]
    if k.backlog or k.backlog_weekly:
        rows.append(("backlog_weekly", common.backlog_text(r)))
    for key, text in rows:
        cells = [label(key), value(key, text)]
        table.add_row(*cells, *([Text(common.kpi_target(r, key))] if targets else []))
    return table


def _kpi_definitions(r: Report) -> Text:
    """How each KPI above was computed (scope, numerator, denominator, window): whole,
    wrapped to the width (cut at 400 characters, SLA adherence's read "…read the s…"
    and hid what it leaves out)."""
    text = Text()
    for key, definition in r.kpis.definitions.items():
        text.append(f"{clean(common.kpi_label(r, key))}: {clean(definition)}\n",
                    style="dim")
    return text



def _fixes(r: Report, w: int, top: int | None = TOP_FIXES) -> Table:
    shown = r.fixes if top is None else r.fixes[:top]
    title = ("Fix plan, ranked by hours at stake" if len(shown) == len(r.fixes)
             else f"Top {len(shown)} of {len(r.fixes)} fixes, ranked by hours at stake "
                  "(--verbose: all)")
    table = Table(title=title, box=box.SIMPLE_HEAD, width=w, title_justify="left",
                  pad_edge=False, title_style="bold", show_edge=False)
    table.add_column("#", width=2, justify="right")
    table.add_column("Fix", ratio=5)
    table.add_column("Horizon", width=10)
    table.add_column("Hours", width=15, justify="right")
    money = r.assumptions.hourly_rate is not None
    if money:  # as wide as its widest figure: 13,551,377 IDR is never cut to "13,551,3…"
        widest = max((len(f"{fix.money_per_month:,.0f}") for fix in shown
                      if fix.money_per_month is not None), default=0)
        table.add_column(clean(r.assumptions.currency)[:4], width=max(9, widest),
                         justify="right", no_wrap=True)
    for fix in shown:
        hours = common.fix_hours(fix)
        cells: list[RenderableType] = [str(fix.rank), Text(clean(fix.action)), fix.horizon,
                                       hours]
        if money:
            cells.append("" if fix.money_per_month is None else f"{fix.money_per_month:,.0f}")
        table.add_row(*cells)
    if not r.fixes:
        table.add_row("", common.no_fixes(r), "", "",
                      *([""] if money else []))
    return table


def _assumptions(r: Report) -> Text:
    """The basis of every hours figure, so a reader can judge (and tune) it."""
    a = r.assumptions
    rate = (f"{common.plain_amount(a.hourly_rate)} {clean(a.currency)} an hour"
            if a.hourly_rate is not None else "no hourly rate (hours only)")
    text = Text(f"Assumptions: {clean(common.assumptions_text(r))}; {rate}", style="dim")
    if a.overrides:
        text.append("; overridden: " + ", ".join(
            f"{clip(k, 80)} ({clip(v, 80)})" for k, v in a.overrides.items()), style="dim")
    return text


def _unknowns(findings: list[Finding], title: str, verbose: bool = False) -> Text:
    """Why each unknown finding is unknown, and what would answer it."""
    text = Text()
    unknown = [f for f in findings if f.status == "unknown" and not f.self_assessed]
    if not unknown:
        return text
    text.append(f"{title}\n", style="bold")
    for f in unknown:
        head = f"{f.number}. " if f.number else ""
        text.append(f"? {head}{clean(f.title)}: ", style="yellow")
        text.append(_whole_or_cut(f.reason, 1000, verbose))
        if f.what_would_answer:
            text.append(f" {_whole_or_cut(f.what_would_answer, 400, verbose)}.", style="dim")
        text.append("\n")
    return text


def _check_fixes(r: Report, verbose: bool) -> Text:
    """What to do about each triggered check: its first fix (all with ``verbose``)."""
    text = Text()
    by_check: dict[str, list[Any]] = {}
    for fix in r.check_fixes:
        by_check.setdefault(fix.sign, []).append(fix)
    if not by_check:
        return text
    text.append(f"{common.CHECK_FIXES_TITLE}\n", style="bold")
    for f in r.checks:
        for fix in by_check.get(f.id, [])[: None if verbose else 1]:
            text.append(f"{clean(f.title)}: ", style="red")
            text.append(clip(fix.action, 400))
            text.append(f" ({common.check_fix_note(fix)})\n", style="dim")
    return text


def _present(text: Text) -> list[RenderableType]:
    """``[text]`` without its last line break, or nothing when empty: an empty Text still
    prints a blank line."""
    text.rstrip()
    return [text] if text.plain else []


#: how far an input's detection reasons and column map are indented under its line
_INPUT_INDENT = 4


def _packed(pieces: list[str], w: int) -> str:
    """``pieces`` joined with ", " into lines at most ``w`` cells wide, broken between
    pieces only (rich folds a piece wider than a line on its own)."""
    lines: list[str] = []
    for piece in pieces:
        joined = f"{lines[-1]}, {piece}" if lines else piece
        if lines and cell_len(joined) + 1 <= w:  # +1: the line's trailing comma
            lines[-1] = joined
        else:
            if lines:
                lines[-1] += ","
            lines.append(piece)
    return "\n".join(lines)


def _input_details(inp: InputInfo, w: int) -> Padding:
    """Under an input's line (``verbose``): what detected its tool, and which column of
    the export each canonical field was read from, wrapped at the layout's width."""
    text = Text(style="dim")
    if inp.detected_by:
        text.append(f"detected by: {clip(inp.detected_by, 1000)}\n")
    if inp.column_map:
        text.append(common.COLUMNS_READ.format(arrow="<-") + ":\n")
        text.append(_packed(common.column_pairs(inp), w - _INPUT_INDENT))
    text.rstrip()
    return Padding(text, (0, 0, 0, _INPUT_INDENT))


def _notes(r: Report, verbose: bool, w: int) -> list[RenderableType]:
    text = Text()
    for note in common.data_notes(r):
        text.append(f"• {clip(note, 1000)}\n", style="dim")
    warned = sum(len(i.warnings) for i in r.inputs)
    if not verbose:
        rows = sum(i.rows for i in r.inputs)
        text.append(f"• {len(r.inputs)} input file{'s' if len(r.inputs) != 1 else ''}, "
                    f"{rows:,} rows; {warned} warning{'s' if warned != 1 else ''} "
                    "(--verbose: each file)\n", style="dim")
        for inp in r.inputs:
            for warning in inp.warnings:
                text.append(f"  ! {clip(inp.path, 80)}: {clip(warning, 1000)}\n", style="yellow")
        return _present(text)
    parts: list[RenderableType] = []
    for inp in r.inputs:
        text.append(f"• {clip(inp.path)}: {clip(inp.tool, 40)} {clip(inp.table, 40)}, "
                    f"{inp.rows:,} rows -> {inp.tickets:,} tickets (confidence "
                    f"{inp.confidence:.2f})\n", style="dim")
        if inp.detected_by or inp.column_map:
            parts += [*_present(text), _input_details(inp, w)]
            text = Text()
        for warning in inp.warnings:
            text.append(f"  ! {clip(warning, 1000)}\n", style="yellow")
    return [*parts, *_present(text)]


def _periods(r: Report, w: int) -> Table:
    """The score of each calendar period (``--period``), oldest first."""
    kind = common.period_kind(r)
    table = Table(title=f"Score by {kind}", box=box.SIMPLE_HEAD, width=w,
                  title_justify="left", pad_edge=False, title_style="bold", show_edge=False)
    table.add_column(kind.capitalize(), width=9, no_wrap=True)
    table.add_column("Score", width=5, justify="right")
    table.add_column("Band", ratio=1)
    table.add_column("Triggered signs", ratio=2)
    table.add_column("Unknown", width=7, justify="right")
    # the signs by their titles, as Markdown and HTML name them (never their ids)
    titles = {f.id: f.title for f in r.signs}
    for p in r.periods or []:
        score, triggered, unknown = common.period_cells(
            p, joined=lambda ids: "; ".join(clean(titles.get(t, t)) for t in ids))
        table.add_row(p.label, score, Text(common.period_band(p), style=_BAND_STYLE[p.band]),
                      Text(triggered), unknown)
    return table


def _comparison(c: Comparison, title: str, w: int) -> Group:
    """What changed since the baseline: headline, signs that moved, KPI deltas, notes."""
    head = Text()
    head.append(f"{title} (as of {c.baseline.as_of[:10]}, window {c.baseline.window_start[:10]}"
                f" to {c.baseline.window_end[:10]})\n", style="bold")
    worse = c.band_direction == "worse" or c.score.direction == "worse"
    better = c.band_direction == "better" or c.score.direction == "better"
    head.append(common.comparison_headline(c) + "\n",
                style="bold red" if worse else "green" if better else "")
    if c.appeared:
        head.append(f"Newly triggered: {common.moved_signs(c, c.appeared)}\n", style="red")
    if c.cleared:
        head.append(f"Cleared: {common.moved_signs(c, c.cleared)}\n", style="green")
    head.append(common.comparison_verdict(c) + "\n", style="dim")
    signs = Table(box=box.SIMPLE_HEAD, width=w, pad_edge=False, show_edge=False)
    signs.add_column("#", width=2, justify="right")
    signs.add_column("Sign", ratio=4)
    signs.add_column("Status", ratio=2)
    signs.add_column("Change", ratio=2)
    signs.add_column("Hours", width=11, justify="right")
    for s in c.signs:
        hours = f"{common.hours(s.hours_old) or '-'} → {common.hours(s.hours_new) or '-'}"
        signs.add_row(str(s.number or ""), Text(clean(s.title)),
                      common.status_move(s.old, s.new),
                      Text(common.change_words(s),
                           style={"appeared": "red", "cleared": "green"}.get(s.change, "")),
                      hours)
    kpis = Table(box=box.SIMPLE_HEAD, width=w, pad_edge=False, show_edge=False)
    kpis.add_column("KPI", ratio=1)
    kpis.add_column("Baseline", width=8, justify="right")
    kpis.add_column("Now", width=8, justify="right")
    kpis.add_column("Change", width=8, justify="right")
    kpis.add_column("Direction", width=9)
    for d in [*c.kpis, c.hours_at_stake]:
        kpis.add_row(d.label, figure(d.old, d.unit), figure(d.new, d.unit),
                     common.change(d), d.direction or "")
    notes = Text()
    for note in c.notes:
        notes.append(f"• {clip(note, common.COMPARE_NOTE_LIMIT)}\n", style="yellow")
    return Group(head, signs, kpis, notes)


def render_comparison(comparison: Comparison, color: bool = True,
                      columns: int | None = None) -> str:
    """``itsm-diag compare`` in the terminal."""
    comparison = safe(comparison, "terminal")  # a baseline's fields come from a file
    buf = StringIO()
    w = width(columns)
    console = Console(file=buf, width=w, force_terminal=color, color_system="standard"
                      if color else None, highlight=False, emoji=False, markup=False)
    c = comparison
    console.print(_comparison(c, f"itsm-diag: as of {c.current.as_of[:10]} against the "
                                 "baseline", w))
    return buf.getvalue()


def _analyses(report: Report) -> list[RenderableType]:
    from itsm_diag.render import analyses

    return analyses.terminal(_drivers_shown(report, analyses.TERMINAL_ROWS))


def _drivers_shown(r: Report, limit: int) -> Report:
    """The report with the drivers the terminal has room for: the strongest of each
    outcome first, then the next of each (the table holds each outcome's ranked), the
    title saying how many of how many; and the number of drivers found first among the
    analysis's figures, so the overview line keeps it when all five outcomes are tested
    (the values tested, also in the notes, give way)."""
    out = (r.analyses or {}).get("drivers")
    if out is None or out.status != "measured":
        return r
    metrics = {k: out.metrics[k] for k in ("drivers",) if k in out.metrics}
    metrics.update(out.metrics)
    tables = dict(out.tables)
    table = tables.get("drivers")
    if table is not None:
        found = table.total_rows or len(table.rows)
        picked = _across_outcomes(table.rows, limit)
        label = (table.label if len(picked) == found
                 else f"{table.label} ({len(picked)} of {found:,}: the strongest of each "
                      "outcome first)")
        tables["drivers"] = table.model_copy(update={"rows": picked, "label": label})
    drivers = out.model_copy(update={"metrics": metrics, "tables": tables})
    return r.model_copy(update={"analyses": {**(r.analyses or {}), "drivers": drivers}})


def _across_outcomes(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most ``limit`` rows: each outcome's first (its strongest), then each one's
    second, and so on, kept in the table's order."""
    rank: dict[str, int] = {}
    order = []
    for i, row in enumerate(rows):
        outcome = str(row.get("outcome_id", row.get("outcome")))
        rank[outcome] = rank.get(outcome, -1) + 1
        order.append((rank[outcome], i))
    chosen = sorted(i for _, i in sorted(order)[:limit])
    return [rows[i] for i in chosen]


def render(report: Report, color: bool = True, quiet: bool = False,
           columns: int | None = None, verbose: bool = False) -> str:
    """The report as terminal text (ANSI colours when ``color``), ``columns`` wide (see
    :func:`width`); with ``quiet`` only the headline line; ``verbose`` adds the KPI
    definitions, the whole fix plan and each input file."""
    report = safe(report, "terminal")
    if quiet:
        return clean(headline(report)) + "\n"
    buf = StringIO()
    w = width(columns)
    # markup off: a '[' in a ticket's text must print, not style (or crash) the output
    console = Console(file=buf, width=w, force_terminal=color, color_system="standard"
                      if color else None, highlight=False, emoji=False, markup=False)
    checks: list[RenderableType] = (
        [_checklist(report.checks, "Extra checks (not counted in the score)", w,
                    numbered=False),
         *_present(_check_fixes(report, verbose)),
         *_present(_unknowns(report.checks, "Why some checks are unknown", verbose))]
        if report.checks else [])
    parts: list[list[RenderableType]] = [
        [_headline(report, w)],
        [_checklist(report.signs, "The seven warning signs", w,
                    total=report.hours_at_stake_per_month), _legend(report)],
        [_fixes(report, w, top=None if verbose else TOP_FIXES)],
        _present(_unknowns(report.signs, "Why some signs are unknown", verbose)),
        [_comparison(report.comparison, "Since the baseline", w)]
        if report.comparison is not None else [],
        [_kpis(report, w, verbose),
         *(_present(_kpi_definitions(report)) if verbose else [])],
        [_periods(report, w)] if report.periods else [],
        checks,
        _analyses(report),
        [Text("Data notes", style="bold"), *_notes(report, verbose, w),
         Text(f"Window: {clean(report.window.how_chosen)}", style="dim"),
         _assumptions(report)],
    ]
    blocks: list[RenderableType] = []
    for part in (p for p in parts if p):
        # one blank line between the sections, so each reads as a block
        blocks += [Text(""), *part] if blocks else part
    console.print(Group(*blocks))
    return buf.getvalue() if color else _trimmed(buf.getvalue())


def _trimmed(text: str) -> str:
    """Plain text without the spaces rich pads each line to the full width with."""
    return "\n".join(line.rstrip() for line in text.split("\n"))
