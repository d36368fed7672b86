"""Charts for the HTML report: a Report's evidence drawn as inline SVG.

Each chart plots rows the sign modules already put in the Report (evidence tables and
series, the KPI panel, the flow view, the periods); nothing is measured here. A chart is
drawn only when its data is there and has the expected shape: sign modules evolve, and
a missing or reshaped table must cost a chart, never the report.

The SVG is written by :mod:`itsm_diag.render.svg` (no plotting library: ``--format
html`` stays cheap), deterministic byte for byte so the HTML report can be
golden-tested, and self-contained: text stays text in the page's font, no ids, no
external references, every ticket-derived label escaped and clipped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsm_diag.render import svg
from itsm_diag.render.common import figure, one_line
from itsm_diag.render.svg import (
    AXIS_ROOM,
    LABEL_BELOW,
    LABEL_SIZE,
    SMALL,
    TICK_BELOW,
    TICK_SIZE,
    WIDTH,
    Canvas,
    Key,
    Scale,
    drop,
    nice_ticks,
    text_width,
)

if TYPE_CHECKING:
    from itsm_diag.report import Finding, Report

RED, GREEN, AMBER, BLUE, GREY, PURPLE = (
    "#c0392b", "#2e7d32", "#b26a00", "#1f5fa8", "#8a8f98", "#6a3d9a")
INK = svg.INK
# chart labels come from ticket data: long ones are cut so the plot keeps its room
LABEL_LIMIT = 48
#: the height of a vertical chart's plot box, and of one bar's row in a horizontal one
PLOT_HEIGHT = 180
ROW = 26
#: the most a category label may take beside a horizontal bar or the heatmap
LABEL_ROOM = 330
#: the longest label the product words itself (a strategy bucket's rule and kind), and the
#: room it has: whole, not cut as ticket text is
OWN_LABEL_LIMIT = 90
OWN_LABEL_ROOM = 380


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
    """A finite number, or None (a bool, text, NaN or infinity cannot be drawn)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        out = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out.replace(tzinfo=None)


def _short_date(text: str) -> str:
    when = _when(text)
    return svg.day_label(when) if when else text


def _label(text: Any) -> str:
    """Ticket text as one chart label: one line, at most :data:`LABEL_LIMIT` characters
    (escaped for SVG when drawn)."""
    return one_line(text, LABEL_LIMIT)


def _code_words(finding: Finding, table: str, column: str) -> dict[str, str]:
    """The words the rule gives a column's codes (``link`` -> ``the caused-by field``)."""
    about = finding.evidence.about_tables.get(table)
    col = about.columns.get(column) if about is not None else None
    return dict(col.values) if col is not None else {}


# ---- layouts shared by the charts ------------------------------------------------------------

@dataclass(frozen=True)
class _Plot:
    """A vertical chart's plot box: categories (or time) across, values up."""

    left: float
    top: float
    right: float
    bottom: float
    y: Scale

    def slot(self, count: int) -> float:
        return (self.right - self.left) / max(count, 1)

    def centre(self, i: int, count: int) -> float:
        return self.left + (i + 0.5) * self.slot(count)

    def bar(self, count: int) -> float:
        """A bar's width: 0.8 of its slot, never a slab when there are few."""
        return min(0.8 * self.slot(count), 64.0)


def _upright(canvas: Canvas, keys: Sequence[Key], ticks: list[float], ylabel: str,
             *, top_value: float | None = None, height: float = PLOT_HEIGHT) -> _Plot:
    """A legend above, a value axis on the left with round ``ticks`` (the scale may reach
    ``top_value``, above the last tick, to leave room for bar labels)."""
    left = 4 + svg.value_axis_room(ticks, bool(ylabel))
    right = WIDTH - 12
    top = 6 + svg.legend(canvas, keys, left, 6, right) + (14 if keys else 10)
    bottom = top + height
    y = Scale(ticks[0], max(ticks[-1], top_value or ticks[-1]), bottom, top)
    svg.value_axis(canvas, y, ticks, left=left, right=right, label=ylabel)
    return _Plot(left, top, right, bottom, y)


def _category_axis(canvas: Canvas, plot: _Plot, labels: Sequence[str], xlabel: str,
                   most: int | None = None) -> float:
    """Category labels under the plot, thinned so none overlaps; the chart's height."""
    count = len(labels)
    widest = max((text_width(t, TICK_SIZE) for t in labels), default=0.0)
    step = svg.thin_step(count, widest, plot.slot(count), most)
    canvas.line(plot.left, plot.bottom, plot.right, plot.bottom)
    for i in range(0, count, step):
        x = plot.centre(i, count)
        canvas.line(x, plot.bottom, x, plot.bottom + 4)
        canvas.text(x, plot.bottom + TICK_BELOW, labels[i], anchor="middle")
    return _x_label(canvas, plot, xlabel)


def _x_label(canvas: Canvas, plot: _Plot, xlabel: str) -> float:
    if not xlabel:
        return plot.bottom + TICK_BELOW + 8
    canvas.text((plot.left + plot.right) / 2, plot.bottom + LABEL_BELOW, xlabel, size=LABEL_SIZE,
                anchor="middle")
    return plot.bottom + AXIS_ROOM


def _value_ticks(values: Iterable[float | None], *, integer: bool = True) -> list[float]:
    return nice_ticks(0.0, max((v for v in values if v is not None), default=0.0),
                      integer=integer)


def _bar_labels(canvas: Canvas, plot: _Plot, values: Sequence[float], count: int) -> None:
    for i, value in enumerate(values):
        canvas.text(plot.centre(i, count), plot.y(value) - 4, figure(value, "count"), size=SMALL,
                    anchor="middle")


def _chart(chart_id: str, caption: str, canvas: Canvas, height: float) -> Chart:
    """The drawing as the chart ``chart_id`` (its caption also labels the SVG)."""
    return Chart(chart_id, caption, canvas.svg(chart_id, caption, height))


def _sideways(chart_id: str, caption: str, labels: Sequence[str], values: Sequence[float],
              colours: Sequence[str], notes: Sequence[str], xlabel: str,
              keys: Sequence[Key] = (), *, whole: bool = True,
              room: float = LABEL_ROOM) -> Chart:
    """Horizontal bars, the first row on top: a label left of each bar (at most ``room``
    wide; the bar's tooltip has it whole), its note (the value) right of its end, a round
    value axis below."""
    cut = [svg.fit(t, TICK_SIZE, room) for t in labels]
    label_w = max(text_width(t, TICK_SIZE) for t in cut)
    note_w = max((text_width(t, SMALL) for t in notes), default=0.0)
    left = 12 + label_w + 8
    right = WIDTH - 10 - note_w - 6
    canvas = Canvas()
    top = 6 + svg.legend(canvas, keys, left, 6, WIDTH - 10) + (10 if keys else 6)
    bottom = top + ROW * len(values)
    ticks = _value_ticks(values, integer=whole)
    x = Scale(ticks[0], ticks[-1], left, right)
    svg.count_axis(canvas, x, ticks, top=top, bottom=bottom, label=xlabel)
    for i, (label, value, colour, note) in enumerate(
            zip(labels, values, colours, notes, strict=True)):
        mid = top + (i + 0.5) * ROW
        canvas.text(left - 6, mid + drop(TICK_SIZE), cut[i], anchor="end")
        canvas.rect(left, mid - ROW * 0.36, x(value) - left, ROW * 0.72, colour,
                    tip=f"{label}: {note}")
        canvas.text(x(value) + 4, mid + drop(SMALL), note, size=SMALL)
    canvas.line(left, top, left, bottom)
    return _chart(chart_id, caption, canvas, bottom + AXIS_ROOM)


# ---- the charts ---------------------------------------------------------------------------

def backlog_weekly(finding: Finding | None, report: Report) -> Chart | None:
    source = finding.evidence.series if finding else {}
    rows = _rows(source, "weekly", "backlog_weekly", need=("week_end", "open"))
    if not rows:
        rows = _rows({"kpis": report.kpis.backlog_weekly}, "kpis", need=("week_end", "open"))
    if not rows:
        return None
    labels = [_short_date(str(r["week_end"])[:10]) for r in rows]
    opens = [_num(r.get("open")) for r in rows]
    arrivals = [_num(r.get("arrivals")) for r in rows]
    done = [_num(r.get("completions")) for r in rows]
    bars = [(values, colour, name, offset)
            for values, colour, name, offset in ((arrivals, BLUE, "Arrivals", -1),
                                                 (done, GREEN, "Completions", 1))
            if any(v is not None for v in values)]
    keys = [Key("Open at week end", RED, "line"),
            *(Key(name, colour, opacity=0.55) for _, colour, name, _ in bars)]
    caption = "Weekly backlog with arrivals and completions"
    canvas = Canvas()
    plot = _upright(canvas, keys, _value_ticks([*opens, *arrivals, *done]), "tickets")
    count, half = len(rows), plot.bar(len(rows)) / 2
    for values, colour, name, offset in bars:
        for i, v in enumerate(values):
            if v is None:  # a week without the count is not a week of zero
                continue
            # arrivals left of the week's centre, completions right of it
            x = plot.centre(i, count) - (half if offset < 0 else 0.0)
            canvas.rect(x, plot.y(v), half, plot.bottom - plot.y(v), colour,
                        opacity=0.55, tip=f"week ending {labels[i]}: {figure(v, 'count')} "
                                          f"{name.lower()}")
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*opens, None]):
        if v is not None:
            run.append((plot.centre(i, count), plot.y(v)))
        elif run:
            canvas.polyline(run, RED, 2.6)
            run = []
    for i, v in enumerate(opens):
        if v is not None:
            canvas.circle(plot.centre(i, count), plot.y(v), 3, RED,
                          tip=f"week ending {labels[i]}: {figure(v, 'count')} open")
    height = _category_axis(canvas, plot, labels, "week ending", most=8)
    return _chart("backlog-weekly", caption, canvas, height)


def recurrence_clusters(finding: Finding) -> Chart | None:
    tables = finding.evidence.tables
    rows = _rows(tables, "top_uncovered_clusters", "clusters", "top_clusters",
                 need=("key", "count"))
    if not rows:
        return None
    top = rows[:10]
    # the sign counts (and ranks, and prices) occurrences: a major incident's children
    # and a same-day burst are one (a table from before occurrences holds incidents only)
    unit = "occurrences" if all("occurrences" in r for r in top) else "count"
    counts = [_num(r[unit]) or 0.0 for r in top]
    colours = [GREEN if r.get("covered") is True else RED if r.get("covered") is False
               else GREY for r in top]
    keys = [Key(text, c) for c, text in ((GREEN, "has a problem record"),
                                         (RED, "no problem record"),
                                         (GREY, "problem coverage unknown")) if c in colours]
    return _sideways("recurrence-clusters", "Recurring clusters, top 10",
                     [_label(r["key"]) for r in top], counts, colours,
                     [figure(c, "count") for c in counts],
                     "occurrences in the cluster" if unit == "occurrences"
                     else "incidents in the cluster", keys)


def _week_start(d: datetime) -> date:
    return (d - timedelta(days=d.weekday())).date()


def changes_over_time(finding: Finding) -> Chart | None:
    """Incidents matched to a change per week, stacked by tier (tier 3, timing alone, in
    grey: it holds the matches chance gives), from the sign's uncut weekly series."""
    rows = _rows(finding.evidence.series, "change_caused_weekly", need=("week_start",))
    weeks = [w for r in rows if (w := _when(r["week_start"])) is not None]
    if not rows or len(weeks) != len(rows):
        return None
    about = finding.evidence.about_tables.get("change_caused_weekly")
    tiers = [(col, colour, about.columns[col].label if about and col in about.columns
              else col) for col, colour in (("tier_1", RED), ("tier_2", AMBER),
                                            ("tier_3", GREY))]
    tiers = [t for t in tiers if any(_num(r.get(t[0])) for r in rows)]
    if not tiers:
        return None
    keys = [Key(_label(name), colour) for _, colour, name in tiers]
    totals = [sum(_num(r.get(col)) or 0.0 for col, _, _ in tiers) for r in rows]
    caption = "Incidents matched to a change per week, by tier"
    canvas = Canvas()
    plot = _upright(canvas, keys, _value_ticks(totals), "incidents")
    bar = plot.bar(len(rows))
    labels = [svg.day_label(_week_start(w)) for w in weeks]
    for j, r in enumerate(rows):
        base = 0.0
        for col, colour, name in tiers:
            value = _num(r.get(col)) or 0.0
            if value:
                top = plot.y(base + value)
                canvas.rect(plot.centre(j, len(rows)) - bar / 2, top, bar, plot.y(base) - top,
                            colour, tip=f"week starting {labels[j]}: {figure(value, 'count')} "
                                        f"{_label(name)}")
            base += value
    height = _category_axis(canvas, plot, labels, "week starting", most=8)
    return _chart("changes-over-time", caption, canvas, height)


def onboarding_lead_times(finding: Finding) -> Chart | None:
    rows = _rows(finding.evidence.series, "lead_times", need=("business_days",))
    points = [(w, d, r.get("late"), r.get("done")) for r in rows
              if (w := _when(r.get("opened"))) is not None
              and (d := _num(r["business_days"])) is not None]
    if not points:
        return None
    groups = []
    for late, colour, text in ((False, GREEN, "on time"), (True, RED, "late"),
                               (None, GREY, "not judged")):
        pts = [p for p in points if p[2] is late]
        for still_open, words in ((False, "done"), (True, "still open")):
            chosen = [p for p in pts if (p[3] is False) == still_open]
            if chosen:
                groups.append((chosen, colour, f"{text}, {words}", still_open))
    keys = [Key(name, colour, "ring" if hollow else "dot")
            for _, colour, name, hollow in groups]
    caption = "Onboarding lead times"
    canvas = Canvas()
    plot = _upright(canvas, keys, _value_ticks([p[1] for p in points], integer=False),
                    "business days")
    lo, hi = min(p[0] for p in points), max(p[0] for p in points)
    pad = max((hi - lo) * 0.03, timedelta(days=1))
    lo, hi = lo - pad, hi + pad
    x = Scale(0.0, (hi - lo).total_seconds(), plot.left + 4, plot.right - 4)

    def at(when: datetime) -> float:
        return x((when - lo).total_seconds())

    canvas.line(plot.left, plot.bottom, plot.right, plot.bottom)
    for when, text in svg.date_ticks(lo, hi, most=8):
        canvas.line(at(when), plot.bottom, at(when), plot.bottom + 4)
        canvas.text(at(when), plot.bottom + TICK_BELOW, text, anchor="middle")
    for chosen, colour, name, hollow in groups:
        for when, days, _, _ in chosen:
            canvas.circle(at(when), plot.y(days), 3.5, colour, hollow=hollow,
                          tip=f"opened {svg.day_label(when)}: {days:,.1f} business days, {name}")
    height = _x_label(canvas, plot, "request opened")
    return _chart("onboarding-lead-times", caption, canvas, height)


def strategy_effort(finding: Finding) -> Chart | None:
    rows = _rows(finding.evidence.tables, "classification", "effort", need=("bucket",))
    if not rows:
        return None
    # the effort the sign used: logged hours when its note says so (a bucket logging no
    # time would read as no work), else tickets
    use_hours = any(n.code == "effort_time" for n in finding.evidence.notes) and all(
        _num(r.get("hours_logged")) is not None for r in rows)
    measure = "hours_logged" if use_hours else "tickets"
    values = [_num(r.get(measure)) for r in rows]
    if any(v is None for v in values):
        return None
    # the rule that put the tickets in their bucket, in words ("emergency changes"); work
    # found by its wording also names its kind ("planned work named as project work (tasks)")
    rule_words = _code_words(finding, "classification", "rule")
    kind_words = _code_words(finding, "classification", "kind")
    planned = ("strategic word", "improvement word", "other planned work")
    words = [rule_words.get(str(r.get("rule")), str(r.get("rule") or r["bucket"]))
             for r in rows]
    repeated = {w for w, c in Counter(words).items() if c > 1}
    # the rules' own words, whole: LABEL_LIMIT is for ticket text ("planned work labelled
    # as project work (other re…" was cut at it)
    labels = [one_line(w + (f" ({kind_words.get(str(r['kind']), r['kind'])})"
                            if (r.get("rule") in planned or w in repeated) and r.get("kind")
                            else ""), OWN_LABEL_LIMIT)
              for w, r in zip(words, rows, strict=True)]
    buckets = [str(r["bucket"]) for r in rows]
    colours = {"operational": RED, "tactical": AMBER, "strategic": GREEN}
    order = sorted(range(len(rows)), key=lambda i: -(values[i] or 0.0))
    shown = [values[i] or 0.0 for i in order]
    keys = [Key(b, colours[b]) for b in colours if b in buckets]
    return _sideways("strategy-effort", "Effort split by kind of work",
                     [labels[i] for i in order], shown,
                     [colours.get(buckets[i], GREY) for i in order],
                     [figure(v, "count") for v in shown],
                     "hours logged" if use_hours else "tickets", keys, room=OWN_LABEL_ROOM)


_BAND_COLOURS = {"healthy": GREEN, "gaps": AMBER, "slowing": "#c45000", "crisis": RED}


def period_scores(report: Report) -> Chart | None:
    """The score of each ``--period`` period on the 0-7 scale, coloured by band; a
    partial or undetermined period is grey."""
    periods = report.periods or []
    if not periods:
        return None
    caption = ("Signs triggered in each period (grey: band not settled; no bar: partial, "
               "not graded)")
    canvas = Canvas()
    plot = _upright(canvas, (), [float(t) for t in range(8)], "signs triggered",
                    top_value=7.5, height=PLOT_HEIGHT - 20)
    bar, count = plot.bar(len(periods)), len(periods)
    # a partial period is not graded: its slot stays, empty, so the months keep their places
    scores = [float(p.score or 0) for p in periods]
    for i, p in enumerate(periods):
        if p.partial or p.score is None:
            canvas.text(plot.centre(i, count), plot.y(0) - 4, "partial", size=SMALL,
                        anchor="middle")
            continue
        canvas.text(plot.centre(i, count), plot.y(scores[i]) - 4,
                    figure(scores[i], "count"), size=SMALL, anchor="middle")
        colour = (GREY if p.band == "undetermined" else _BAND_COLOURS.get(p.band, GREY))
        canvas.rect(plot.centre(i, count) - bar / 2, plot.y(scores[i]), bar,
                    plot.bottom - plot.y(scores[i]), colour,
                    tip=f"{p.label}: {figure(scores[i], 'count')} of 7, {p.band}"
                        + (", partial" if p.partial else ""))
    height = _category_axis(canvas, plot, [_label(p.label) for p in periods], "", most=12)
    return _chart("period-scores", caption, canvas, height)


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
    shares = [100 * (_num(r["share_of_time"]) or 0.0) for r in rows]
    medians = [_num(r.get("median_hours")) for r in rows]
    notes = [f"{s:.0f}% · median {m:,.1f} h a ticket" if m is not None else f"{s:.0f}%"
             for s, m in zip(shares, medians, strict=True)]
    return _sideways("flow-time-in-status", "Time in each status",
                     [_label(r.get("status")) for r in rows], shares, [BLUE] * len(rows),
                     notes, "share of all time from opened to done (%)", whole=False)


#: matplotlib's "Reds" (ColorBrewer's 9-class Reds), low to high
_REDS = ("#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
         "#a50f15", "#67000d")


def _red(share: float) -> str:
    """The colour of ``share`` (0..1) on :data:`_REDS`, interpolated."""
    pos = min(max(share, 0.0), 1.0) * (len(_REDS) - 1)
    i = min(int(pos), len(_REDS) - 2)
    a, b = _REDS[i], _REDS[i + 1]
    mix = [round(int(a[k:k + 2], 16) + (int(b[k:k + 2], 16) - int(a[k:k + 2], 16))
                 * (pos - i)) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def handoff_heatmap(report: Report, top: int = 12) -> Chart | None:
    """Transfers between the busiest groups (from: rows, to: columns)."""
    flow = report.analyses.get("flow")
    table = flow.tables.get("handoffs") if flow is not None else None
    pairs = [(str(r["from"]), str(r["to"]), value) for r in (table.rows if table else [])
             if (value := _num(r.get("transfers"))) is not None
             and r.get("from") is not None and r.get("to") is not None]
    if not pairs:
        return None
    volume: Counter[str] = Counter()
    for source, target, value in pairs:  # transfers are counts
        volume[source] += int(value)
        volume[target] += int(value)
    groups = [g for g, _ in volume.most_common(top)]
    index = {g: i for i, g in enumerate(groups)}
    grid = [[0.0] * len(groups) for _ in groups]
    hidden = 0.0
    for source, target, value in pairs:
        a, b = index.get(source), index.get(target)
        if a is not None and b is not None:
            grid[a][b] += value
        else:
            hidden += value
    peak = max(max(row) for row in grid) or 1.0
    # what "busiest" means, and what the grid leaves out
    caption = (f"Handoffs between the {len(groups)} busiest groups (most transfers in and "
               f"out)" + (f"; {figure(hidden, 'count')} transfers with other groups not shown"
                          if hidden else ""))
    names = [_label(g) for g in groups]
    short = [svg.fit(t, SMALL, LABEL_ROOM * 0.6) for t in names]
    name_w = max(text_width(t, SMALL) for t in short)
    left = 12 + LABEL_SIZE + 10 + name_w + 6
    cell = max(min(44.0, (WIDTH - left - 110) / len(groups)), 12.0)
    top_y, size = 10.0, cell * len(groups)
    font = min(10.5, cell * 0.36)
    canvas = Canvas()
    for i, row in enumerate(grid):
        y = top_y + i * cell
        canvas.text(left - 6, y + cell / 2 + drop(SMALL), short[i], size=SMALL,
                    anchor="end")
        for j, value in enumerate(row):
            canvas.rect(left + j * cell, y, cell, cell, _red(value / peak),
                        tip=f"{names[i]} to {names[j]}: {figure(value, 'count')} transfers")
            if value:
                canvas.text(left + (j + 0.5) * cell, y + cell / 2 + drop(font),
                            figure(value, "count"), size=font, anchor="middle",
                            color="#fff" if value > peak / 2 else INK)
    bottom = top_y + size
    for j, name in enumerate(short):
        x = left + (j + 0.5) * cell
        canvas.line(x, bottom, x, bottom + 4)
        canvas.text(x + 3, bottom + 4 + SMALL, name, size=SMALL, anchor="end", rotate=-40)
    canvas.text(left - 10 - name_w - 6, top_y + size / 2, "from group", size=LABEL_SIZE,
                anchor="middle", rotate=-90)
    under = bottom + 4 + SMALL + name_w * math.sin(math.radians(40)) + 8
    canvas.text(left + size / 2, under + LABEL_SIZE, "to group", size=LABEL_SIZE,
                anchor="middle")
    _colour_bar(canvas, left + size + 18, top_y + size * 0.1, size * 0.8, peak)
    height = under + LABEL_SIZE + 8
    return _chart("flow-handoffs", caption, canvas, height)


def _colour_bar(canvas: Canvas, x: float, y: float, height: float, peak: float) -> None:
    """The heatmap's key: the colour scale from 0 (bottom) to ``peak``, with round ticks."""
    steps = 40
    for k in range(steps):
        canvas.rect(x, y + height * (1 - (k + 1) / steps), 14, height / steps + 0.3,
                    _red((k + 0.5) / steps))
    scale = Scale(0.0, peak, y + height, y)
    ticks = [t for t in nice_ticks(0.0, peak, 5, integer=True) if t <= peak]
    widest = 0.0
    for t in ticks:
        text = svg.tick_text(t, ticks)
        widest = max(widest, text_width(text, SMALL))
        canvas.line(x + 14, scale(t), x + 18, scale(t))
        canvas.text(x + 21, scale(t) + drop(SMALL), text, size=SMALL)
    canvas.text(x + 21 + widest + 18, y + height / 2, "transfers", size=LABEL_SIZE,
                anchor="middle", rotate=-90)


def charts_for(report: Report) -> dict[str, list[Chart]]:
    """Every chart the report's data allows, by sign id (``periods``: the score by
    period; ``flow``: the flow view); each is drawn once in the page."""
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
