"""Charts for the HTML report: matplotlib figures of a Report's evidence, as inline SVG.

Each chart plots rows the sign modules already put in the Report (evidence tables and
series, the KPI panel); nothing is measured here. A chart is drawn only when its data is
there and has the expected shape: sign modules evolve, and a missing or reshaped table
must cost a chart, never the report.

Output is deterministic (fixed hash salt per chart, no date or creator metadata) so the
HTML report can be golden-tested, and self-contained: text stays text
(``svg.fonttype: none``) with a generic font fallback, no external references.
matplotlib is imported lazily (only ``--format html`` pays for it), and only the
object-oriented ``Figure`` API is used, so no GUI backend is ever loaded.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsm_diag.render.common import clip

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from itsm_diag.report import Finding, Report

RED, GREEN, AMBER, BLUE, GREY, PURPLE = (
    "#c0392b", "#2e7d32", "#b26a00", "#1f5fa8", "#8a8f98", "#6a3d9a")
INK = "#1d2330"
# chart labels come from ticket data: long ones are cut so the plot keeps its room
LABEL_LIMIT = 48

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,  # a '$' in a category name must stay a dollar sign
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.edgecolor": "#9aa1ad",
    "axes.labelcolor": INK,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "svg.image_inline": True,
}
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Chart:
    """One rendered chart: an id unique in the page, a caption and the SVG markup."""

    id: str
    caption: str
    svg: str


# ---- reading evidence tolerantly ---------------------------------------------------------

def _rows(source: dict[str, list[dict[str, Any]]], *names: str,
          need: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The first of ``names`` present in ``source`` whose rows all carry ``need``."""
    required = tuple(need)
    for name in names:
        rows = source.get(name) or []
        if rows and all(isinstance(r, dict) and all(k in r for k in required) for r in rows):
            return rows
    return []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        out = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out.replace(tzinfo=None)


# ---- drawing -----------------------------------------------------------------------------

def _figure(width: float = 7.2, height: float = 2.7) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure, chart_id: str, caption: str) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    # not savefig: with a layout engine it draws the figure a first time, drawing switched
    # off, only to lay it out; the SVG canvas lays out inside its one draw (same bytes)
    FigureCanvasSVG(fig).print_svg(buf, metadata=_METADATA)
    return _inline(buf.getvalue(), chart_id, caption)


_HEAD = re.compile(r"^.*?(?=<svg)", re.S)
_STYLE = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", re.S)
_IDS = re.compile(r'\sid="([^"]+)"')
_REFS = re.compile(r'(?:href="#|url\(#)([^")]+)')


def _inline(svg: str, chart_id: str, caption: str) -> str:
    """matplotlib's SVG file made fit to sit inside HTML: no XML prolog or DOCTYPE, no
    global ``*{}`` style (the page styles charts), no element ids except the ones the
    drawing refers to (several charts on one page would repeat ``figure_1``...), and an
    accessible name."""
    from markupsafe import escape

    svg = _HEAD.sub("", svg, count=1)
    svg = _STYLE.sub("", svg, count=1)
    used = set(_REFS.findall(svg))
    svg = _IDS.sub(lambda m: m.group(0) if m.group(1) in used else "", svg)
    # no space-only runs at line ends: golden files and diff tools stay quiet
    svg = re.sub(r"[ \t]+\n", "\n", svg)
    return svg.replace(
        "<svg ", f'<svg class="chart-svg" role="img" aria-label="{escape(caption)}" '
        f'data-chart="{escape(chart_id)}" ', 1,
    ).strip()


def _draw(chart_id: str, caption: str, paint: Callable[[Axes], None],
          width: float = 7.2, height: float = 2.7) -> Chart:
    from itsm_diag.safety import private_matplotlib_config

    private_matplotlib_config()  # no font cache left in ~/.cache: see itsm_diag.safety
    import matplotlib

    # the salt fixes the generated clip-path ids; one per chart keeps them unique per page
    rc: Any = {**_RC, "svg.hashsalt": f"itsm-diag-{chart_id}"}  # Any: stubs want literal keys
    with matplotlib.rc_context(rc):
        fig = _figure(width, height)
        paint(fig.add_subplot())
        return Chart(chart_id, caption, _svg(fig, chart_id, caption))


def _week_ticks(ax: Axes, labels: list[str]) -> None:
    """At most seven readable date labels under weekly bars ('Jul 08')."""
    step = max(1, -(-len(labels) // 7))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [_short_date(labels[i]) for i in ticks])


def _short_date(text: str) -> str:
    when = _when(text)
    return f"{when:%b %d}" if when else text


def _legend_above(ax: Axes, **kwargs: Any) -> None:
    # above the plot, so it never hides a bar or a point
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), borderaxespad=0.0, fontsize=8,
              **kwargs)


def _label(text: Any) -> str:
    return clip(text, LABEL_LIMIT)


def _code_words(finding: Finding, table: str, column: str) -> dict[str, str]:
    """The words the rule gives a column's codes (``link`` -> ``the caused-by field``)."""
    about = finding.evidence.about_tables.get(table)
    col = about.columns.get(column) if about is not None else None
    return dict(col.values) if col is not None else {}


# ---- the charts ---------------------------------------------------------------------------

def backlog_weekly(finding: Finding | None, report: Report, chart_id: str = "backlog-weekly"
                   ) -> Chart | None:
    source = finding.evidence.series if finding else {}
    rows = _rows(source, "weekly", "backlog_weekly", need=("week_end", "open"))
    if not rows:
        rows = _rows({"kpis": report.kpis.backlog_weekly}, "kpis", need=("week_end", "open"))
    if not rows:
        return None
    labels = [str(r["week_end"])[:10] for r in rows]
    opens = [_num(r.get("open")) for r in rows]
    arrivals = [_num(r.get("arrivals")) for r in rows]
    done = [_num(r.get("completions")) for r in rows]

    def paint(ax: Axes) -> None:
        x = list(range(len(rows)))
        if any(v is not None for v in arrivals):
            ax.bar([i - 0.2 for i in x], [v or 0 for v in arrivals], width=0.4, color=BLUE,
                   alpha=0.55, label="Arrivals")
        if any(v is not None for v in done):
            ax.bar([i + 0.2 for i in x], [v or 0 for v in done], width=0.4, color=GREEN,
                   alpha=0.55, label="Completions")
        ax.plot(x, [float("nan") if v is None else v for v in opens], color=RED,
                linewidth=2.2, marker="o", markersize=3, label="Open at week end")
        _week_ticks(ax, labels)
        ax.set_ylabel("tickets")
        ax.set_xlabel("week ending")
        _legend_above(ax, ncols=3)
        ax.set_ylim(bottom=0)

    return _draw(chart_id, "Weekly backlog with arrivals and completions", paint)


def backlog_age(finding: Finding) -> Chart | None:
    tables = finding.evidence.tables
    rows = _rows(tables, "open_by_age", "age_buckets", need=("count",))
    if not rows:
        return None
    key = next((k for k in ("age_days", "age", "bucket", "label") if k in rows[0]), None)
    if key is None:
        return None
    labels = [_label(r[key]) for r in rows]
    counts = [_num(r["count"]) or 0 for r in rows]

    def paint(ax: Axes) -> None:
        bars = ax.bar(labels, counts, color=AMBER)
        ax.bar_label(bars, fmt="{:,.0f}", fontsize=8)
        ax.set_xlabel("age in days")
        ax.set_ylabel("open tickets")

    return _draw("backlog-age", "Open tickets by age", paint, height=2.4)


def recurrence_clusters(finding: Finding) -> Chart | None:
    tables = finding.evidence.tables
    rows = _rows(tables, "top_uncovered_clusters", "clusters", "top_clusters",
                 need=("key", "count"))
    if not rows:
        return None
    top = rows[:10]
    labels = [_label(r["key"]) for r in top][::-1]
    counts = [_num(r["count"]) or 0 for r in top][::-1]
    covered = [r.get("covered") for r in top][::-1]
    colors = [GREEN if c is True else RED if c is False else GREY for c in covered]

    def paint(ax: Axes) -> None:
        bars = ax.barh(labels, counts, color=colors)
        ax.bar_label(bars, fmt="{:,.0f}", fontsize=8, padding=2)
        ax.set_xlabel("incidents in the cluster")
        handles = [(GREEN, "has a problem record"), (RED, "no problem record"),
                   (GREY, "problem coverage unknown")]
        from matplotlib.patches import Patch

        shown = [Patch(color=c, label=t) for c, t in handles if c in colors]
        ax.legend(handles=shown, loc="lower right", fontsize=8)

    return _draw("recurrence-clusters", "Recurring clusters, top 10", paint,
                 height=0.9 + 0.28 * len(top))


def _week_start(d: datetime) -> date:
    return (d - timedelta(days=d.weekday())).date()


def changes_over_time(finding: Finding) -> Chart | None:
    tables = finding.evidence.tables
    rows = _rows(tables, "change_caused", "change_caused_incidents", need=("incident_opened",))
    dated = [(w, str(r.get("matched_on") or "other")) for r in rows
             if (w := _when(r["incident_opened"])) is not None]
    if not dated:
        return None
    first = _week_start(min(w for w, _ in dated))
    last = _week_start(max(w for w, _ in dated))
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    # counting the listed incidents per week is arranging rows for a chart, not a metric
    counts = Counter((_week_start(w), how) for w, how in dated)
    kinds = sorted({how for _, how in dated})
    palette = [RED, AMBER, PURPLE, BLUE, GREY]
    words = _code_words(finding, "change_caused", "matched_on")

    def paint(ax: Axes) -> None:
        bottom = [0.0] * len(weeks)
        for i, how in enumerate(kinds):
            values = [float(counts.get((wk, how), 0)) for wk in weeks]
            ax.bar(range(len(weeks)), values, bottom=bottom, color=palette[i % len(palette)],
                   label=f"matched on {_label(words.get(how, how))}")
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        _week_ticks(ax, [wk.isoformat() for wk in weeks])
        ax.set_xlabel("week starting")
        ax.set_ylabel("incidents")
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _legend_above(ax, ncols=min(len(kinds), 3))

    return _draw("changes-over-time", "Change-caused incidents per week", paint)


def onboarding_lead_times(finding: Finding) -> Chart | None:
    rows = _rows(finding.evidence.series, "lead_times", need=("business_days",))
    points = [(w, d, r.get("late"), r.get("done")) for r in rows
              if (w := _when(r.get("opened"))) is not None
              and (d := _num(r["business_days"])) is not None]
    if not points:
        return None

    def paint(ax: Axes) -> None:
        import matplotlib.dates as mdates

        for late, color, text in ((False, GREEN, "on time"), (True, RED, "late"),
                                  (None, GREY, "not judged")):
            pts = [p for p in points if p[2] is late]
            if not pts:
                continue
            done = [p for p in pts if p[3] is not False]
            open_ = [p for p in pts if p[3] is False]
            if done:
                ax.scatter(mdates.date2num([p[0] for p in done]), [p[1] for p in done], s=16,
                           color=color,
                           label=f"{text}, done")
            if open_:
                ax.scatter(mdates.date2num([p[0] for p in open_]), [p[1] for p in open_], s=16,
                           facecolors="none", edgecolors=color, label=f"{text}, still open")
        ax.set_ylabel("business days")
        ax.set_xlabel("request opened")
        _legend_above(ax, ncols=4)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))

    return _draw("onboarding-lead-times", "Onboarding lead times", paint)


def strategy_effort(finding: Finding) -> Chart | None:
    rows = _rows(finding.evidence.tables, "classification", "effort", need=("bucket",))
    if not rows:
        return None
    # the sign counts logged hours when every row has them, else tickets: show the same
    use_hours = all(_num(r.get("hours_logged")) is not None for r in rows)
    measure = "hours_logged" if use_hours else "tickets"
    values = [_num(r.get(measure)) for r in rows]
    if any(v is None for v in values):
        return None
    # the rule that put the tickets in their bucket, in words ("emergency changes"); work
    # found by its wording also names its kind ("planned work named as project work (tasks)")
    rule_words = _code_words(finding, "classification", "rule")
    kind_words = _code_words(finding, "classification", "kind")
    planned = ("strategic word", "improvement word", "other planned work")
    labels = [_label(rule_words.get(str(r.get("rule")), str(r.get("rule") or r["bucket"]))
                     + (f" ({kind_words.get(str(r['kind']), r['kind'])})"
                        if r.get("rule") in planned and r.get("kind") else ""))
              for r in rows]
    buckets = [str(r["bucket"]) for r in rows]
    colors = {"operational": RED, "tactical": AMBER, "strategic": GREEN}
    order = sorted(range(len(rows)), key=lambda i: (values[i] or 0.0))

    def paint(ax: Axes) -> None:
        bars = ax.barh([labels[i] for i in order], [values[i] or 0.0 for i in order],
                       color=[colors.get(buckets[i], GREY) for i in order])
        ax.bar_label(bars, fmt="{:,.0f}", fontsize=8, padding=2)
        ax.set_xlabel("hours logged" if use_hours else "tickets")
        from matplotlib.patches import Patch

        present = [b for b in colors if b in buckets]
        ax.legend(handles=[Patch(color=colors[b], label=b) for b in present],
                  loc="lower right", fontsize=8)

    return _draw("strategy-effort", "Effort split by kind of work", paint,
                 height=0.9 + 0.3 * len(rows))


_BAND_COLOURS = {"healthy": GREEN, "gaps": AMBER, "slowing": "#c45000", "crisis": RED}


def period_scores(report: Report) -> Chart | None:
    """The score of each ``--period`` period on the 0-7 scale, coloured by band; a
    partial or undetermined period is grey."""
    periods = report.periods or []
    if not periods:
        return None

    def paint(ax: Axes) -> None:
        x = list(range(len(periods)))
        colours = [GREY if (p.partial or p.band == "undetermined")
                   else _BAND_COLOURS.get(p.band, GREY) for p in periods]
        bars = ax.bar(x, [p.score for p in periods], color=colours)
        ax.bar_label(bars, fmt="{:,.0f}", fontsize=8)
        step = max(1, -(-len(periods) // 12))
        ax.set_xticks(x[::step], [p.label for p in periods][::step])
        ax.set_ylim(0, 7.5)
        ax.set_yticks(range(0, 8))
        ax.set_ylabel("signs triggered")

    return _draw("period-scores", "Signs triggered in each period (grey: partial or band not "
                 "settled)", paint, height=2.3)


# ---- per finding ------------------------------------------------------------------------

# one chart per sign, where a chart says more than the sentence: the backlog's is its
# weekly trend (drawn below, as it may come from the KPI panel); its age split is a table
_BY_SIGN: dict[str, list[Callable[[Finding], Chart | None]]] = {
    "backlog": [],
    "recurrence": [recurrence_clusters],
    "changes": [changes_over_time],
    "onboarding": [onboarding_lead_times],
    "strategy": [strategy_effort],
}


# ---- the flow view (issue 17): drawn from Report.analyses["flow"] ---------------------

def time_in_status(report: Report) -> Chart | None:
    """Share of time in each status, with the median hours per ticket."""
    flow = report.analyses.get("flow")
    table = flow.tables.get("time_in_status") if flow is not None else None
    rows = [r for r in (table.rows if table else [])
            if _num(r.get("share_of_time")) is not None][:12]
    if not rows:
        return None
    labels = [_label(r.get("status")) for r in rows][::-1]
    shares = [100 * (_num(r["share_of_time"]) or 0.0) for r in rows][::-1]
    medians = [_num(r.get("median_hours")) for r in rows][::-1]

    def paint(ax: Axes) -> None:
        bars = ax.barh(labels, shares, color=BLUE)
        ax.bar_label(bars, labels=[f"{s:.0f}% · median {m:,.1f} h" if m is not None
                                   else f"{s:.0f}%" for s, m in zip(shares, medians,
                                                                   strict=True)],
                     fontsize=8, padding=2)
        ax.set_xlabel("share of all time from opened to done (%)")
        ax.set_xlim(0, max(shares) * 1.45 or 1)

    return _draw("flow-time-in-status", "Time in each status", paint,
                 height=0.9 + 0.3 * len(rows))


def handoff_heatmap(report: Report, top: int = 12) -> Chart | None:
    """Transfers between the busiest groups (from: rows, to: columns)."""
    flow = report.analyses.get("flow")
    table = flow.tables.get("handoffs") if flow is not None else None
    rows = [r for r in (table.rows if table else [])
            if _num(r.get("transfers")) is not None and r.get("from") is not None
            and r.get("to") is not None]
    if not rows:
        return None
    volume: Counter[str] = Counter()
    for r in rows:
        volume[str(r["from"])] += int(_num(r["transfers"]) or 0)
        volume[str(r["to"])] += int(_num(r["transfers"]) or 0)
    groups = [g for g, _ in volume.most_common(top)]
    index = {g: i for i, g in enumerate(groups)}
    grid = [[0.0] * len(groups) for _ in groups]
    for r in rows:
        a, b = index.get(str(r["from"])), index.get(str(r["to"]))
        if a is not None and b is not None:
            grid[a][b] += _num(r["transfers"]) or 0.0
    peak = max(max(row) for row in grid) or 1.0

    def paint(ax: Axes) -> None:
        image = ax.imshow(grid, cmap="Reds", vmin=0, vmax=peak, aspect="auto")
        names = [_label(g) for g in groups]
        ax.set_xticks(range(len(groups)), names, rotation=40, ha="right", fontsize=7)
        ax.set_yticks(range(len(groups)), names, fontsize=7)
        ax.set_xlabel("to group")
        ax.set_ylabel("from group")
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if value:
                    ax.text(j, i, f"{value:,.0f}", ha="center", va="center", fontsize=6,
                            color="white" if value > peak / 2 else INK)
        ax.figure.colorbar(image, ax=ax, label="transfers", shrink=0.8)

    size = 2.6 + 0.32 * len(groups)
    return _draw("flow-handoffs", f"Handoffs between the {len(groups)} busiest groups", paint,
                 width=max(size + 1.5, 6.0), height=size)


def charts_for(report: Report) -> dict[str, list[Chart]]:
    """Every chart the report's data allows, by sign id (``periods``: the score by
    period); each is drawn once in the page."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # belt and braces: never a GUI backend
    out: dict[str, list[Chart]] = {}
    trend = period_scores(report)
    if trend is not None:
        out["periods"] = [trend]
    by_id = {f.id: f for f in report.signs}
    for sign_id, makers in _BY_SIGN.items():
        finding = by_id.get(sign_id)
        if finding is None:
            continue
        charts = [c for make in makers if (c := make(finding)) is not None]
        if sign_id == "backlog":
            weekly = backlog_weekly(finding, report)
            charts = ([weekly] if weekly else []) + charts
        if charts:
            out[sign_id] = charts
    flow = [c for c in (time_in_status(report), handoff_heatmap(report)) if c is not None]
    if flow:
        out["flow"] = flow
    return out
