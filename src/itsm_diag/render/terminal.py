"""The 60-second diagnostic in the terminal (rich): headline, checklist, KPIs, top fixes.

Fits 100 columns; plain text when the output is not a terminal; ``quiet`` gives the
headline line alone. Ticket text is shown, never obeyed: rich markup is off and control
characters (terminal escape sequences) are made visible by :func:`common.clean`.
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
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
    one_line,
)
from itsm_diag.render.safety import safe
from itsm_diag.report import Comparison, Finding, Report

__all__ = ["WIDTH", "figure", "render", "render_comparison"]

_MARK = {"triggered": ("✘", "bold red"), "clear": ("✔", "green"), "unknown": ("?", "yellow")}
_BAND_STYLE = {"healthy": "green", "gaps": "yellow", "slowing": "dark_orange", "crisis": "red"}
WIDTH = 100


def _headline(r: Report) -> Panel:
    style = _BAND_STYLE[r.band]
    text = Text()
    text.append(f"Score {r.score}/7", style=f"bold {style}")
    text.append(f"  {r.band.upper()}", style=f"bold {style}")
    text.append(f"  {clean(r.band_text)}\n")
    if r.unknown:
        text.append(f"{r.score} now, up to {r.score_max_if_unknown_apply} if the {r.unknown} "
                    f"unknown sign{'s' if r.unknown != 1 else ''} apply.\n", style="yellow")
    if r.self_assessed:
        text.append(f"{r.self_assessed} sign(s) self-assessed from an answers file.\n",
                    style="yellow")
    if r.redacted:
        text.append(REDACTED_NOTE + "\n", style="bold")
    text.append(f"{r.tickets.total:,} tickets (", style="dim")
    text.append(clip(", ".join(f"{n:,} {k}" for k, n in r.tickets.by_kind.items() if n)),
                style="dim")
    text.append(f"); window {r.window.start[:10]} to {r.window.end[:10]}", style="dim")
    return Panel(text, title="itsm-diag: the 60-second diagnostic", box=box.ROUNDED,
                 width=WIDTH)


def _checklist(findings: list[Finding], title: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, width=WIDTH, title_justify="left",
                  show_lines=False)
    table.add_column("", width=2, no_wrap=True)
    table.add_column("#", width=2, justify="right")
    table.add_column("Sign", ratio=3)
    table.add_column("Key figure", ratio=2)
    table.add_column("h/mo", width=6, justify="right")
    for f in findings:
        mark, style = _MARK[f.status]
        # a narrow cell cannot hold why a sign is unknown: that has its own section
        label = "unknown: see below" if (f.status == "unknown" and not f.self_assessed) \
            else key_figure_text(f)
        hours = "" if f.hours_at_stake_per_month is None else f"{f.hours_at_stake_per_month:,.0f}"
        table.add_row(Text(mark, style=style), str(f.number or ""), Text(clean(f.title)),
                      Text(clip(label, 400)), hours)
    return table


def _kpis(r: Report) -> Table:
    k = r.kpis

    def label(key: str) -> Text:
        # a config can reword a label: shown as text, never as rich markup
        return Text(clean(common.kpi_label(r, key)))

    table = Table(title="Core KPIs", box=box.SIMPLE_HEAD, width=WIDTH, title_justify="left")
    table.add_column("KPI", ratio=2)
    table.add_column("Value", ratio=3)
    table.add_row(label("time_to_resolve_hours"), common.ttr_text(r))
    table.add_row(label("first_assignment_resolution"),
                  figure(k.first_assignment_resolution, "ratio"))
    table.add_row(label("sla_adherence"), figure(k.sla_adherence, "ratio"))
    top = common.top_categories(r, 3)
    table.add_row(label("volume_by_category"),
                  Text(", ".join(f"{one_line(c, 60)} {n:,}" for c, n in top) or "n/a"))
    if k.backlog_weekly:
        opens = [int(w.get("open", 0)) for w in k.backlog_weekly]
        table.add_row(label("backlog_weekly"), f"{_spark(opens)}  {opens[0]:,} -> {opens[-1]:,}")
    return table


def _kpi_definitions(r: Report) -> Text:
    """How each KPI above was computed (scope, numerator, denominator, window)."""
    text = Text()
    for key, definition in r.kpis.definitions.items():
        text.append(f"{clean(common.kpi_label(r, key))}: {clip(definition, 400)}\n",
                    style="dim")
    return text


_BARS = "▁▂▃▄▅▆▇█"


def _spark(values: list[int]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo or 1
    return "".join(_BARS[int((v - lo) / span * (len(_BARS) - 1))] for v in values)


def _fixes(r: Report, top: int = 5) -> Table:
    table = Table(title="Fix plan (top 5, ranked by hours at stake)", box=box.SIMPLE_HEAD,
                  width=WIDTH, title_justify="left")
    table.add_column("#", width=2, justify="right")
    table.add_column("Fix", ratio=5)
    table.add_column("Horizon", width=10)
    table.add_column("h/mo", width=6, justify="right")
    money = r.assumptions.hourly_rate is not None
    if money:
        table.add_column(f"{clean(r.assumptions.currency)[:4]}/mo", width=9, justify="right")
    for fix in r.fixes[:top]:
        hours = ("" if fix.hours_at_stake_per_month is None
                 else f"{fix.hours_at_stake_per_month:,.0f}")
        cells: list[RenderableType] = [str(fix.rank), Text(clean(fix.action)), fix.horizon,
                                       hours]
        if money:
            cells.append("" if fix.money_per_month is None else f"{fix.money_per_month:,.0f}")
        table.add_row(*cells)
    if not r.fixes:
        table.add_row("", "No sign is triggered: nothing to fix urgently.", "", "",
                      *([""] if money else []))
    return table


def _assumptions(r: Report) -> Text:
    """The basis of every hours figure, so a reader can judge (and tune) it."""
    a = r.assumptions
    minutes = ", ".join(f"{k} {v:g}" for k, v in a.handle_minutes.items())
    rate = (f"{a.hourly_rate:g} {clean(a.currency)} an hour" if a.hourly_rate is not None
            else "no hourly rate (hours only)")
    text = Text(f"Assumptions: handle minutes per ticket: {minutes}; {rate}", style="dim")
    if a.overrides:
        text.append("; overridden: " + ", ".join(
            f"{clip(k, 80)} ({clip(v, 80)})" for k, v in a.overrides.items()), style="dim")
    return text


def _unknowns(findings: list[Finding], title: str) -> Text:
    """Why each unknown finding is unknown, and what would answer it."""
    text = Text()
    unknown = [f for f in findings if f.status == "unknown" and not f.self_assessed]
    if not unknown:
        return text
    text.append(f"{title}\n", style="bold")
    for f in unknown:
        head = f"{f.number}. " if f.number else ""
        text.append(f"? {head}{clean(f.title)}: ", style="yellow")
        text.append(f"{clip(f.reason, 1000)}")
        if f.what_would_answer:
            text.append(f" {clip(f.what_would_answer, 400)}.", style="dim")
        text.append("\n")
    return text


def _present(text: Text) -> list[Text]:
    """``[text]``, or nothing when empty: an empty Text still prints a blank line."""
    return [text] if text.plain else []


def _notes(r: Report) -> Text:
    text = Text()
    for note in r.data_notes:
        text.append(f"• {clip(note, 1000)}\n", style="dim")
    for inp in r.inputs:
        text.append(f"• {clip(inp.path)}: {clip(inp.tool, 40)} {clip(inp.table, 40)}, "
                    f"{inp.rows:,} rows -> {inp.tickets:,} tickets (confidence "
                    f"{inp.confidence:.2f})\n", style="dim")
        for w in inp.warnings:
            text.append(f"  ! {clip(w, 1000)}\n", style="yellow")
    return text


def _periods(r: Report) -> Table:
    """The score of each calendar period (``--period``), oldest first, with a trend line."""
    kind = common.period_kind(r)
    trend = common.score_trend([p.score for p in r.periods or []])
    table = Table(title=f"Score by {kind}  {trend}", box=box.SIMPLE_HEAD, width=WIDTH,
                  title_justify="left")
    table.add_column(kind.capitalize(), width=9, no_wrap=True)
    table.add_column("Score", width=5, justify="right")
    table.add_column("Band", width=8)
    table.add_column("Triggered signs", ratio=1)
    table.add_column("Unknown", width=7, justify="right")
    for p in r.periods or []:
        table.add_row(p.label, f"{p.score}/7", Text(p.band, style=_BAND_STYLE[p.band]),
                      ", ".join(p.triggered) or "none", str(p.unknown))
    return table


def _comparison(c: Comparison, title: str) -> Group:
    """What changed since the baseline: headline, signs that moved, KPI deltas, notes."""
    head = Text()
    head.append(f"{title} (as of {c.baseline.as_of[:10]}, window {c.baseline.window_start[:10]}"
                f" to {c.baseline.window_end[:10]})\n", style="bold")
    worse = c.band_direction == "worse" or c.score.direction == "worse"
    better = c.band_direction == "better" or c.score.direction == "better"
    head.append(common.comparison_headline(c) + "\n",
                style="bold red" if worse else "green" if better else "")
    if c.appeared:
        head.append(f"Newly triggered: {', '.join(c.appeared)}\n", style="red")
    if c.cleared:
        head.append(f"Cleared: {', '.join(c.cleared)}\n", style="green")
    head.append(common.comparison_verdict(c) + "\n", style="dim")
    signs = Table(box=box.SIMPLE_HEAD, width=WIDTH)
    signs.add_column("#", width=2, justify="right")
    signs.add_column("Sign", ratio=1)
    signs.add_column("Status", width=21, no_wrap=True)
    signs.add_column("Change", width=20, no_wrap=True)
    signs.add_column("h/mo", width=11, justify="right")
    for s in c.signs:
        hours = f"{common.hours(s.hours_old) or '-'} → {common.hours(s.hours_new) or '-'}"
        signs.add_row(str(s.number or ""), Text(clean(s.title)),
                      common.status_move(s.old, s.new),
                      Text(common.CHANGE_WORDS[s.change],
                           style={"appeared": "red", "cleared": "green"}.get(s.change, "")),
                      hours)
    kpis = Table(box=box.SIMPLE_HEAD, width=WIDTH)
    kpis.add_column("KPI", ratio=1)
    kpis.add_column("Baseline", width=12, justify="right")
    kpis.add_column("Now", width=12, justify="right")
    kpis.add_column("Change", width=12, justify="right")
    kpis.add_column("", width=6)
    for d in [*c.kpis, c.hours_at_stake]:
        kpis.add_row(d.label, figure(d.old, d.unit), figure(d.new, d.unit),
                     common.signed(d.delta, d.unit), d.direction or "")
    notes = Text()
    for note in c.notes:
        notes.append(f"• {clip(note, 1000)}\n", style="yellow")
    return Group(head, signs, kpis, notes)


def render_comparison(comparison: Comparison, color: bool = True) -> str:
    """``itsm-diag compare`` in the terminal."""
    comparison = safe(comparison, "terminal")  # a baseline's fields come from a file
    buf = StringIO()
    console = Console(file=buf, width=WIDTH, force_terminal=color, color_system="standard"
                      if color else None, highlight=False, emoji=False, markup=False)
    c = comparison
    console.print(_comparison(c, f"itsm-diag: as of {c.current.as_of[:10]} against the "
                                 "baseline"))
    return buf.getvalue()


def render(report: Report, color: bool = True, quiet: bool = False) -> str:
    """The report as terminal text (ANSI colours when ``color``); with ``quiet`` only the
    headline line."""
    report = safe(report, "terminal")
    if quiet:
        return clean(headline(report)) + "\n"
    buf = StringIO()
    # markup off: a '[' in a ticket's text must print, not style (or crash) the output
    console = Console(file=buf, width=WIDTH, force_terminal=color, color_system="standard"
                      if color else None, highlight=False, emoji=False, markup=False)
    checks: list[RenderableType] = (
        [_checklist(report.checks, "Extra checks (not counted in the score)"),
         *_present(_unknowns(report.checks, "Why some checks are unknown"))]
        if report.checks else [])
    console.print(Group(
        _headline(report),
        _checklist(report.signs, "The seven warning signs"),
        *_present(_unknowns(report.signs, "Why some signs are unknown")),
        *([_comparison(report.comparison, "Since the baseline")]
          if report.comparison is not None else []),
        _kpis(report),
        *_present(_kpi_definitions(report)),
        *([_periods(report)] if report.periods else []),
        _fixes(report),
        *checks,
        Text("Data notes", style="bold"),
        _notes(report),
        Text(f"How the window was chosen: {clean(report.window.how_chosen)}", style="dim"),
        _assumptions(report),
    ))
    return buf.getvalue()
