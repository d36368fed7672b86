"""Analysis ``forecast``: the backlog's forward look along the backlog sign's trend.

Reads the backlog sign's own weekly series and open count (one number per concept): the
net change a week is the slope of the sign's trend line (the ``trend`` of its weekly
rows: the Theil-Sen line behind its start and end levels, a mass closure's tickets open
to the window end: no completion), the rates are the means of the trend's weeks, the
spread 1.4826 x the median absolute deviation of those weeks' arrivals minus completions,
of that series (the sign's ``recorded_weekly``, the clean-up a completion, is not read;
the work in progress below counts their stays as still running). The backlog in ``h``
weeks is ``open now + h x trend a week``, held at the desk's work in progress where the
trend would take it lower (:func:`_wip`: mean arrivals a week x the mean weeks a ticket
opened in the trend's weeks stays open, Kaplan-Meier, when that is under every week-end
backlog of the trend and the open count now: a week end can sit under the week's average
in work, or the arrivals fall, and the trend is then projected as it runs), never below
zero, with an interval of
``t x sqrt(spread^2 x h + (h x se)^2)`` around that value: the weeks varying
independently, and the trend's own uncertainty ``se``, which grows with ``h``, not
``sqrt(h)``. ``se`` is the larger of two: ``spread x`` :func:`walk_error`, the error of a
line's slope through the running sum of the nets (a week-end backlog carries its open
tickets into the next week: the week ends are not independent draws around the line,
and their scatter alone read a slope error of 0.6-2.6 a week where the slopes scattered
by 7.4, review 17b), and 1.4826 x the median absolute deviation of the
week-end backlogs' deviations from the sign's published trend line (the ``trend`` of its
weekly rows, rounded to 0.1: the line the projection moves along) over the square root of
the sum of squared distances of the weeks from their middle; ``t`` Student's for the
``interval`` coverage on :data:`MAD_EFFICIENCY` x (weeks - 1) degrees of freedom (the
spread is a median absolute deviation of a dozen weeks: with the normal ``z`` the 80%
range held 73% of 3,000 simulated random walks, with ``t`` 80% at 4 weeks, 79% at 12).
This ``se`` is not the one of the backlog sign's noise rule
(:func:`itsm_diag.signs.backlog._shrink_in_noise`), which refits the Theil-Sen line
unrounded and widens the scatter to an effective number of week ends, since a month's 4
or 5 week ends can be all its evidence. The completions
a week needed to meet the backlog sign's threshold over the period the sign judges its
shrink across: the sign's shrink is ``(start - end) / start`` of its trend line, from the
trend's first week end to its last, so the line must fall by ``threshold x start`` over
the weeks between them (``span``: 12 in a 13-week window whose trend holds its every
week end, 5 in a 6-week one); today's mean completions plus the extra ones that bring the
trend down to ``-threshold x start / span`` a week (none when it already falls that
fast: exactly when the line shrank by the threshold or more, whatever the window); the
extra ones, in agent hours, at the handle time of the open tickets' kinds. (A 13-week
quarter here judged a 6-week window's 3% shrink against 5% a quarter: "0 extra needed"
beside a sign triggered on it, review 19b.) A trend the backlog sign
found lacking the tickets of an export cut on the opened date, whose line in its weekly
rows (the export's own tickets, also where the sign's figures count the estimate of those
it lacks: the line projected here) does not shrink
(:func:`itsm_diag.signs.backlog.trend_cut`), is not projected: its growth may be the
cut's ramp.

The method is checked on the export's own history: when the export holds the weeks it
would have needed one year (52 weeks) earlier (the window's trend weeks 52 weeks back,
with the tickets open then, and the weeks up to the longest horizon after them), the
same projection is made as of that earlier date, from the backlog's weekly series of
those weeks (:func:`itsm_diag.signs.common.weekly_backlog` over the earlier weeks, its
trend fitted as the sign fits it) and held against the open tickets the export shows at
each horizon's week end, counted the way that series counts them. A material miss
withholds the projection (unknown, the earlier figures in the note: a seasonal peak at
the window's end, projected forward, had not carried on a year earlier): at a horizon,
the outcome went the other way from the earlier projection (a rise that fell
back, a fall that rose) and lies outside its range widened by half its width
(the ``history_miss_share`` param; an 80% range is missed now and then by chance). A smaller miss,
or outcomes inside all the ranges, keep it, with a note that says how it went. The check
is skipped, with a note, when the export does not reach back that far (its first ticket,
or where its flow starts, later than the earlier trend's first week, or too late to hold
that week's backlog: :func:`itsm_diag.signs.backlog.reaches_back`), when the export's
gap or a tool's end lies in those weeks, or when their arrivals a week differ from
today's by more than ``history_volume_ratio`` either way. The earlier series counts
mass closures as the raw weekly series does (the sign's mass-closure rule is its own)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.analyses._util import note
from itsm_diag.checks._common import open_now
from itsm_diag.signs.backlog import (
    Waiting,
    mass_closed,
    mean_stay,
    reaches_back,
    scope_masks,
    stays_of,
    trend_cut,
    waiting_found,
    with_trend,
)
from itsm_diag.signs.base import Context, Figure, Measurement, Note, Window
from itsm_diag.signs.common import (
    kind_effort,
    series_rows,
    trend_levels,
    week_edges,
    weekly_backlog,
)
from itsm_diag.signs.shape import ExtractShape
from itsm_diag.stats import t_quantile
from itsm_diag.text import joined

#: how far back the method is checked on the export's history: a year of whole weeks
#: (the same weekdays, the same time of year)
YEAR_WEEKS = 52
#: the backlog sign's reach params when its mapping does not carry them (its shipped
#: values, rules/backlog.yaml)
_REACH_PARAMS = {"reach_done_share": 0.99, "unseen_min_share": 0.01}


def measure(ctx: Context, params: Mapping[str, Any], backlog: Mapping[str, Any]
            ) -> Measurement:
    """``backlog``: the backlog sign's ``status``, ``reason``, ``open_now``, ``weekly``
    rows (with its ``trend`` line), ``threshold`` (its ``min_shrink``) and, when given,
    ``params`` (its params: the history check's reach reads ``reach_done_share`` and
    ``unseen_min_share`` from them)."""
    if backlog.get("status") == "unknown":
        return Measurement(unknown=note("backlog_unknown", reason=backlog.get("reason", "")))
    # a trend that lacks the tickets an export cut on the opened date does not hold, and
    # whose line here (the export's own tickets) did not shrink, may show the cut's ramp
    # as growth: not projected, as when unknown (a counted shrink does not make it one)
    cut = trend_cut(ctx)
    if cut is not None:
        return Measurement(unknown=note(
            "cut_unbounded" if "still" in cut else "cut_estimate", **cut))
    weekly = list(backlog.get("weekly") or [])
    # the weeks of the sign's trend (the weeks before the export's first ticket and an
    # open-date ramp are left out of it, and of the rates here)
    at = [i for i, r in enumerate(weekly) if r.get("trend") is not None]
    if len(at) < max(int(params["min_weeks"]), 2) or backlog.get("open_now") is None:
        return Measurement(unknown=note("too_few_weeks", n=len(at),
                                        min=int(params["min_weeks"])))
    now = float(backlog["open_now"])
    # the work in progress the desk's own flow keeps open: of the tickets opened in the
    # trend's weeks, a clean-up script's still open at the window end, as the trend
    # counts them
    usable = scope_masks(ctx)[0]
    mass = mass_closed(ctx)
    held = mass if mass is not None and len(mass) == len(usable) and mass.any() else None
    first = pd.Timestamp(int(week_edges(ctx.window, ctx.tz)[at[0]]), tz="UTC")
    line = _project(weekly, at, now, params,
                    partial(_wip, ctx, usable, first, open_through=held))
    # the same method a year earlier, held against what the export shows came next
    reach = {**_REACH_PARAMS, **dict(backlog.get("params") or {})}
    history, checked, withheld = _history(ctx, params, reach, len(weekly), at, line)
    if withheld:
        return Measurement(unknown=history, tables={"history": checked})
    slope, moved = line["slope"], line["moved"]
    a, c = line["arrivals"], line["completions"]
    mean_a, mean_c = float(a.mean()), float(c.mean())
    metrics: dict[str, Figure] = {
        "open_now": Figure(value=now),
        "arrivals_per_week": Figure(value=mean_a, numerator=float(a.sum()),
                                    denominator=float(len(a))),
        "completions_per_week": Figure(value=mean_c, numerator=float(c.sum()),
                                       denominator=float(len(c))),
        "net_per_week": Figure(value=slope, numerator=moved,
                               denominator=float(at[-1] - at[0])),
    }
    for row in line["projection"]:
        metrics[f"backlog_in_{row['weeks']}_weeks"] = Figure(value=float(row["expected"]))
    shrink = float(backlog["threshold"])
    # the sign's bar as a trend a week: its shrink is the line's fall from its first week
    # end to its last over the line's start level, so the line must fall by shrink x
    # start over those weeks; today it runs at slope: the completions a week must grow
    # by the difference (never below zero; above it exactly when the sign's shrink on
    # this line is under its threshold)
    span = float(at[-1] - at[0])
    start = max(float(weekly[at[0]]["trend"]), 0.0)
    pace = shrink * start / span
    extra = max(slope + pace, 0.0)
    # the tickets waiting on the caller or a third party are no work the desk can
    # complete: the extra completions are those of the queue it can work
    extra, waiting = _workable(waiting_found(ctx), slope, start, span, shrink, extra)
    needed = mean_c + extra
    minutes = _handle_minutes(ctx)
    # no numerator and denominator: a sum of a mean and a rate, no ratio of two counts
    metrics["completions_needed_per_week"] = Figure(value=needed)
    metrics["extra_completions_per_week"] = Figure(value=extra)
    metrics["extra_agent_hours_per_week"] = Figure(value=extra * minutes / 60.0)
    if waiting is not None:
        metrics["waiting_now"] = Figure(value=float(waiting.params["waiting"]))
    held = _held_note(line)
    return Measurement(
        metrics=metrics,
        tables={"projection": line["projection"], **({"history": checked} if checked else {})},
        notes=[*([held] if held is not None else []),
               *([waiting] if waiting is not None else []),
               note("assumptions", weeks=len(at), spread=line["spread"], se=line["se"],
                    interval=float(params["interval"]), shrink=shrink, minutes=minutes,
                    span=span, start=start, goal=start * (1 - shrink), pace=pace),
               history])


def _workable(waits: Waiting | None, slope: float, start: float, span: float,
              shrink: float, extra: float) -> tuple[float, Note | None]:
    """The extra completions a week the desk can make, and the note that says how, when
    the backlog sign found open tickets waiting on the caller or a third party (status
    pending; :func:`~itsm_diag.signs.backlog.waiting_found`): agents cannot complete a
    ticket that waits on someone else, so no agent hours are priced on them. With the
    waiting tickets at each week end (a status history), the workable queue's own trend
    (the sign's weekly counts less them, its start and end levels): the completions that
    bring it down by the sign's threshold over the same span; else (a list export: which
    tickets waited is known at its cut only) the whole trend's extra completions x the
    share of the open tickets the desk can work now. ``extra`` and no note when none
    wait."""
    if waits is None or waits.decides is None or span <= 0:
        return extra, None
    p = waits.decides.params
    if "rest_start" in p:
        r_start, r_end = max(float(p["rest_start"]), 0.0), float(p["rest_end"])
        workable = max((r_end - r_start) / span + shrink * r_start / span, 0.0)
        return workable, note("waiting_weekly", **p, extra_all=extra, extra=workable,
                              slope=slope, start=start)
    workable = extra * (1.0 - float(p["share"]))
    return workable, note("waiting_at_end", **p, extra_all=extra, extra=workable)


def _held_note(line: Mapping[str, Any]) -> Note | None:
    """The note when the projection is held at the desk's work in progress at a horizon
    (:func:`_project`'s ``floor``), else ``None``."""
    floor = line.get("floor")
    if not floor or not floor["held"]:
        return None
    weeks = [h for h, _ in floor["held"]]
    trend = [max(round(mid), 0) for _, mid in floor["held"]]
    return note("wip_floor", floor=floor["floor"], per_week=floor["per_week"],
                stay=floor["stay"], reach=floor["reach"], slope=line["slope"],
                weeks=joined([f"{w:,}" for w in weeks]),
                trend=joined([f"{t:,}" for t in trend]))


def _wip(ctx: Context, keep: pd.Series, first: pd.Timestamp, per_week: float,
         open_through: pd.Series | None = None) -> tuple[float, float]:
    """The work in progress the desk's own flow implies (Little's law), and the mean weeks
    a ticket stays open: ``per_week`` arrivals a week x the mean stay of the ``keep``
    tickets opened after ``first`` (the trend's first week's start) and by the window end,
    from opened to done, a stay still running at the window end counted for as long as it
    was seen (:func:`~itsm_diag.signs.backlog.mean_stay`, Kaplan-Meier: a lower
    bound); a ticket under ``open_through`` (a clean-up script's closure) still open."""
    opened = ctx.tickets[m.OPENED_AT]
    window = keep & ((opened > first) & (opened <= ctx.window.end)).fillna(False).astype(bool)
    if per_week <= 0 or not window.any():
        return 0.0, 0.0
    days = mean_stay(stays_of(ctx, window, open_through))
    return per_week * days / 7.0, days / 7.0


#: the asymptotic efficiency of 1.4826 x the median absolute deviation as an estimate of
#: a normal spread, against the standard deviation's: its effective degrees of freedom
#: are that share of theirs
MAD_EFFICIENCY = 0.3675


def walk_error(t: np.ndarray) -> float:
    """The standard error of the least-squares slope through the week ends at the weeks
    ``t`` of a backlog that is the running sum of independent weekly nets of spread 1:
    the slope is sum_i w_i y_i, w_i = (t_i - mean t) / sum (t - mean t)^2, and the k-th
    step between week ends (``t_k - t_(k-1)`` weeks of nets) reaches every later week end,
    so its weight is the sum of the w_i from k on: the error is the square root of the sum
    over the steps of their weeks x that weight squared. Over 13 consecutive weeks it is
    1.06 / sqrt(12), a little above the mean of the 12 steps' 1 / sqrt(12); the
    Theil-Sen line's slope (the sign's trend) scatters like it within 2% (1.07 on
    simulated walks of 13 weeks)."""
    t = np.asarray(t, dtype="float64")
    if t.size < 2:
        return 0.0
    centred = t - t.mean()
    w = centred / float((centred ** 2).sum())
    reach = np.cumsum(w[::-1])[::-1][1:]
    return float(np.sqrt((np.diff(t) * reach ** 2).sum()))


def _project(weekly: list[dict[str, Any]], at: list[int],
             now: float, params: Mapping[str, Any],
             wip: Callable[[float], tuple[float, float]] | None = None) -> dict[str, Any]:
    """The projection from ``now`` along the trend of ``weekly`` (its ``trend`` at the
    weeks ``at``), with the rates, the spread and the deviations from that line: the
    slope a week (``slope``, moved
    ``moved`` over the trend's weeks), the weeks' ``arrivals`` and ``completions``, the
    ``spread``, the trend's own error ``se`` and the ``projection`` rows (weeks,
    expected, low, high).

    The expected value is held at the desk's work in progress where the trend would take
    it lower (``floor``: ``wip(mean arrivals a week)``, :func:`_wip`, read only when a
    horizon falls under the lowest week-end backlog of the trend's weeks and ``now``, and
    a floor only when under that lowest level too), and never below zero; the range is
    around that held value."""
    weeks = [weekly[i] for i in at]
    a = np.array([float(r["arrivals"]) for r in weeks])
    c = np.array([float(r["completions"]) for r in weeks])
    net = a - c
    moved = float(weekly[at[-1]]["trend"]) - float(weekly[at[0]]["trend"])
    slope = moved / float(at[-1] - at[0])
    spread = 1.4826 * float(np.median(np.abs(net - np.median(net))))
    # the trend's slope is itself uncertain: noise in a flat backlog must not project as
    # a certain drift (a stationary queue of 57 read "33 (13-53)" in 12 weeks)
    off = np.array([float(weekly[i]["open"]) - float(weekly[i]["trend"]) for i in at
                    if weekly[i].get("open") is not None])
    t = np.array(at, dtype=float)
    scatter = (1.4826 * float(np.median(np.abs(off - np.median(off))))
               / float(np.sqrt(((t - t.mean()) ** 2).sum()))) if len(off) else 0.0
    # ... and a week-end backlog carries its open tickets into the next week: the week
    # ends are the running sum of the weekly nets, not independent draws around the line,
    # so their scatter says little of the slope (a backlog growing a true 10 a week read
    # slopes from -1 to +26 over 13 weeks, with a scatter error of 0.6-2.6 a week: its
    # 80% range held 60% of the time). :func:`walk_error`: the error of the line's slope
    # through a running sum of nets of that spread
    se = max(scatter, spread * walk_error(t))
    # the spread is itself read from a dozen weeks, by their median absolute deviation
    # (a week unlike the others does not widen every range): Student's t on the degrees
    # of freedom such a spread carries, not z (with z the range held 73% of the time)
    z = t_quantile(0.5 + float(params["interval"]) / 2,
                   max(MAD_EFFICIENCY * (len(at) - 1), 1.0))
    horizons = [int(h) for h in params["horizons_weeks"]]
    mids = {h: now + h * slope for h in horizons}
    # the backlog cannot fall below the tickets the desk's own flow keeps in work: a
    # trend that drains an old backlog stops where the old backlog runs out (a desk of
    # 300 arrivals a week read "2 (0-82)" in 12 weeks and showed 147)
    levels = [float(weekly[i]["open"]) for i in at if weekly[i].get("open") is not None]
    lowest = min([*levels, now])
    floor: dict[str, Any] | None = None
    if wip is not None and lowest > 0 and min(mids.values()) < lowest:
        per_week = float(a.mean())
        work, stay = wip(per_week)
        # a level above the lowest week end is no floor the week ends can be held to
        # (a week end can sit under the week's average in work, or the arrivals fall):
        # the trend is then projected as it runs
        if 0 < work < lowest:
            floor = {"floor": work, "stay": stay, "per_week": per_week,
                     "held": [(h, mids[h]) for h in horizons if mids[h] < work],
                     "reach": (now - work) / -slope}
    bottom = floor["floor"] if floor is not None else 0.0
    projection = []
    for h in horizons:
        expected = max(mids[h], bottom, 0.0)
        half = z * float(np.sqrt(spread ** 2 * h + (h * se) ** 2))
        projection.append({"weeks": h, "expected": round(expected),
                           "low": round(max(expected - half, 0.0)),
                           "high": round(expected + half)})
    return {"slope": slope, "moved": moved, "arrivals": a, "completions": c,
            "spread": spread, "se": se, "projection": projection, "floor": floor}


def _history(ctx: Context, params: Mapping[str, Any], reach_params: Mapping[str, Any],
             n_rows: int, at: list[int], current: Mapping[str, Any]
             ) -> tuple[Note, list[dict[str, Any]], bool]:
    """The method checked on the export's history: (the note that says how it went,
    the check's rows: per horizon, the earlier projection, what the export shows then
    and whether it is inside the range, none when it could not be checked; whether the
    projection is withheld).

    The backlog's weekly series (:func:`~itsm_diag.signs.common.weekly_backlog`, of
    the incidents and requests the backlog sign counts) over the window's weeks 52 weeks
    back and the longest horizon's weeks after them: its first ``n_rows`` weeks stand
    for the sign's weekly rows (the trend over the weeks ``at``, as the sign fits it:
    :func:`~itsm_diag.signs.common.trend_levels` and the line of its weekly rows), the
    projection is made from the open count of the trend's last week, and the outcome at
    ``h`` weeks is the open count ``h`` weeks after it. ``current``: this window's
    projection (:func:`_project`: its ``slope`` and ``arrivals``).

    Not checked (a note, the projection stands) when those weeks are not all in the
    data, when the export's gap or a tool's end lies in them (what came next is then
    the missing file, not the desk), when the export does not reach back to the earlier
    trend's backlog (:func:`~itsm_diag.signs.backlog.reaches_back`, with the backlog
    sign's ``reach_params``), or when the earlier trend weeks' arrivals differ from this
    window's by more than ``history_volume_ratio`` either way. Withheld only on a
    material miss at a horizon (:func:`_material`); a smaller one keeps the projection, with a note
    that says how far off it was."""
    w, tz = ctx.window, ctx.tz
    horizons = sorted({int(h) for h in params["horizons_weeks"]})
    reach = horizons[-1]
    usable = scope_masks(ctx)[0]
    opened = ctx.tickets[m.OPENED_AT]
    earliest = m.earliest_time(opened[usable])
    flow = ctx.shape.flow_start
    if flow is not None and earliest is not None and flow > earliest:
        earliest = flow  # strays before the flow are not where the export starts
    first = f"{m.local_day(earliest, tz):%Y-%m-%d}" if earliest is not None else ""
    n_weeks = len(week_edges(w, tz)) - 1
    start_then = _weeks_later(w.start, -YEAR_WEEKS, tz)
    # the window's weeks end at the data's end when it reaches past it (week_edges)
    end_then = _weeks_later(w.covered_end, reach - YEAR_WEEKS, tz)
    # the outcome a year earlier must be in the data the window covers
    edges = week_edges(Window(start=start_then, end=end_then), tz)
    if (earliest is None or reach >= YEAR_WEEKS or end_then > w.covered_end
            or len(edges) - 1 != n_weeks + reach):
        return note("history_unchecked_span", reach=reach), [], False
    # a missing file of a split export, or a tool's end, in those weeks: the export
    # shows the hole, not what the desk did next
    hole = _hole(ctx.shape, start_then, end_then, reach)
    if hole is not None:
        return hole, [], False
    # the export must hold the backlog of the earlier trend's first week: that week,
    # and the tickets opened before it and still open then (the backlog sign's reach)
    frame = weekly_backlog(ctx.at_window(Window(start=start_then, end=end_then)), usable)
    trend = frame.iloc[:n_rows]
    week_start = pd.Timestamp(int(edges[at[0]]), tz="UTC")
    from_start = usable & (opened >= earliest).fillna(False).astype(bool)
    if earliest > week_start or not reaches_back(
            ctx, usable, earliest, trend, at[0], reach_params, partial(stays_of, ctx, from_start)):
        return note("history_unchecked", first=first,
                    needed=f"{m.local_day(week_start, tz):%Y-%m-%d}"), [], False
    # a desk whose volume changed since: the earlier range, of another size, says little
    then_a = float(frame["arrivals"].to_numpy()[at].mean())
    now_a = float(np.asarray(current["arrivals"], dtype=float).mean())
    volume = float(params["history_volume_ratio"])
    if min(then_a, now_a) <= 0 or max(then_a, now_a) > volume * min(then_a, now_a):
        return note("history_unchecked_volume", then=then_a, now=now_a,
                    ratio=volume), [], False
    rows = series_rows(trend)
    start, end = trend_levels(np.array([float(r["open"]) for r in rows[at[0]:]]))
    rows = with_trend(rows, at[0], start, end)
    then = float(rows[at[-1]]["open"])
    shown = frame["open"].to_numpy()
    ends = frame["week_end"]
    # the work in progress of the desk then: its tickets of those weeks, their stays as
    # the export showed them as of that date (the raw series counts mass closures)
    as_of = pd.Timestamp(ends.iloc[at[-1]]).tz_convert("UTC")
    earlier = ctx.at_window(Window(start=start_then, end=as_of))
    line = _project(rows, at, then, params,
                    partial(_wip, earlier, usable, pd.Timestamp(int(edges[at[0]]), tz="UTC")))
    checked = []
    for row in line["projection"]:
        k = at[-1] + int(row["weeks"])
        actual = int(shown[k])
        checked.append({**row, "as_of": f"{pd.Timestamp(ends.iloc[at[-1]]):%Y-%m-%d}",
                        "week_end": f"{pd.Timestamp(ends.iloc[k]):%Y-%m-%d}",
                        "actual": actual, "inside": row["low"] <= actual <= row["high"]})
    missed = [r for r in checked if not r["inside"]]
    said = (missed or checked)[-1]  # the longest horizon that missed, or the longest
    figures = {k: said[k] for k in ("as_of", "weeks", "expected", "low", "high", "actual",
                                    "week_end")}
    if not missed:
        return note("history_held", **figures), checked, False
    material = [r for r in missed if _material(r, then, float(line["slope"]),
                                               float(params["history_miss_share"]))]
    if not material:
        off = max(said["low"] - said["actual"], said["actual"] - said["high"])
        return note("history_missed_small", **figures, off=off,
                    interval=float(params["interval"]),
                    widen=float(params["history_miss_share"])), checked, False
    figures = {k: material[-1][k] for k in figures}
    # the season's wording only for a rise then and now (a trend that shrinks now, or a
    # fall a year ago that rose, is no season's peak)
    rise = line["slope"] > 0 and float(current["slope"]) > 0
    return note("history_missed_rise" if rise else "history_missed", **figures), checked, True


def _material(row: Mapping[str, Any], then: float, slope: float, share: float) -> bool:
    """Whether the earlier projection's ``row`` (one horizon), made from ``then``
    open along ``slope`` a week, missed materially: the outcome went the other way (a
    rise that fell back below ``then``, a fall that rose above it) and lies beyond the
    range widened by ``share`` of its width on that side (``history_miss_share``). A
    flat line has no way to go against."""
    low, high, actual = float(row["low"]), float(row["high"]), float(row["actual"])
    widen = share * (high - low)
    if slope > 0:
        return actual < then and actual < low - widen
    if slope < 0:
        return actual > then and actual > high + widen
    return False


def _hole(shape: ExtractShape, start: pd.Timestamp, end: pd.Timestamp, reach: int
          ) -> Note | None:
    """The note when the export's gap (weeks with no arrival), or the carried weeks after
    a tool's end, overlap ``start`` to ``end`` (the earlier weeks and the horizons after
    them), else ``None``."""
    gap = shape.gap
    if gap is not None and gap.last_before < end and gap.first_after > start:
        return note("history_unchecked_gap", reach=reach, **gap.params())
    ends = shape.source_ends
    if ends is not None and ends.last < end and ends.others_last > start:
        return note("history_unchecked_source", reach=reach, **ends.params())
    return None


def _weeks_later(at: pd.Timestamp, weeks: int, tz: str) -> pd.Timestamp:
    """``at`` moved by whole ``weeks`` on the wall clock of ``tz`` (its time of day kept
    across a clock change, as the window's week ends are)."""
    return m.wall_time_to_utc(at.tz_convert(tz).tz_localize(None)
                              + pd.Timedelta(days=7 * weeks), tz)


def _handle_minutes(ctx: Context) -> float:
    """Handle minutes of an open incident or request, weighted by the open tickets' kinds
    (the backlog's open: a clean-up script's closures still open), each kind at the handle
    time every cost prices it at (:func:`~itsm_diag.signs.common.kind_effort`: its median
    logged time where enough is logged, else ``handle_minutes``)."""
    table = {k: e.minutes for k, e in kind_effort(ctx).items()}
    scope = ctx.of_kind("incident", "request")
    mass = mass_closed(ctx)
    still = open_now(ctx, scope) | (scope & mass) if mass is not None else open_now(ctx, scope)
    kinds = ctx.tickets.loc[still, m.KIND]
    counts = kinds.astype("object").value_counts()
    if counts.empty:
        return float(table.get("incident", 0.0))
    total = sum(table.get(str(k), 0.0) * int(n) for k, n in counts.items())
    return total / float(counts.sum())
