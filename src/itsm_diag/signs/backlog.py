"""S1 ``backlog``: the open backlog of incidents and requests never shrinks.

Rebuilds the weekly backlog over the window, fits a Theil-Sen trend (without mass
closures and without the ramp of an open-date-filtered export), and gathers the
evidence: arrivals per completion, open tickets by age and the automation candidates.
Fewer than ``min_tickets`` incidents and requests opened in the window make it unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    per_month,
    ratio,
    weeks_said,
)
from itsm_diag.signs.common import (
    JOB_RUNS,
    count_upto,
    effort_words,
    filled,
    hour_numbers,
    in_hours,
    kind_effort,
    leading_ramp,
    left_out_done,
    mass_hours,
    open_at,
    series_rows,
    status_history,
    status_trail,
    theil_sen,
    too_few,
    trend_levels,
    waiting_at_end,
    waiting_weekly,
    week_edges,
    weekly_backlog,
)
from itsm_diag.signs.shape import opening_burst_rows
from itsm_diag.stats import t_quantile

SCOPE_KINDS: tuple[str, ...] = ("incident", "request")
#: at most this many mass-closure hours get their own note (the rest are still excluded)
MAX_MASS_NOTES = 5
#: the order the automation note lists the tickets left out of its candidates in (every
#: kind of :data:`~itsm_diag.signs.common.LEFT_OUT_KINDS`)
AUTOMATION_LEFT_OUT = ("cancelled", "machine", "children", "cleanup")



#: the extract shapes no week's backlog can be rebuilt from (the tickets open at the cut
#: missing, only the open queue, a tool's open tickets carried past its end): the sign
#: is unknown on them, and the reporting sign's backlog trend is the extract's gap
NO_TREND_SHAPES: tuple[str, ...] = ("closure_selected", "none_open", "open_only",
                                    "source_ends")
#: those shapes and an export selected on its update time whose floor lies after the
#: window's start (the engine makes the sign unknown on it before it measures; one on or
#: before it is measured: :attr:`~itsm_diag.signs.shape.ExtractShape.update_cut_measured`):
#: no week's open count can be rebuilt from any of them, so none is shown beside the
#: sign's "n/a", only the weeks' arrivals and completions of the tickets the export holds
#: (:func:`flow_rows`)
NO_WEEK_SHAPES: tuple[str, ...] = (*NO_TREND_SHAPES, "updated_since")


def no_week_shape(ctx: Context) -> str | None:
    """The extract shape (:data:`NO_WEEK_SHAPES`) that leaves no week's backlog to rebuild
    from the export, else ``None``."""
    seen = ctx.shape.as_dict()
    return next((code for code in NO_WEEK_SHAPES if code in seen and not (
        code == "updated_since" and ctx.shape.update_cut_measured)), None)


def _shape_params(params: dict[str, Any]) -> dict[str, Any]:
    """A shape's params (:meth:`~itsm_diag.signs.shape.ExtractShape.as_dict`) with the
    clauses its message names: whom it is found in (the export, or one tool's tickets on
    their own) and, for a none-open cut after the window's end, what the window lacks."""
    return {**params, "subject": Note(code="shape_subject_source" if params.get("source")
                                      else "shape_subject_export", params=params),
            "at_end": Note(code="none_open_at_end" if "window_end" in params
                           else "none_open_at_cut", params=params)}


def flow_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Weekly rows without their open count (and trend line): each week's arrivals and
    completions of the tickets the export holds, all that an extract lacking the tickets
    still open at its cut shows truly (its week-end counts read as a backlog the sign
    says cannot be rebuilt: "n/a" above a table falling from 1,589 to 921)."""
    return [{k: v for k, v in row.items() if k not in ("open", "trend")} for row in rows]


def scope_masks(ctx: Context) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(usable, no opened time, done without a done time) among incidents and requests.

    Usable tickets were opened by the window end and, when done, say when: a done
    ticket with no done time cannot be placed on the weekly series. Computed once per
    Context: the backlog sign and the KPI panel share it.
    """
    result: tuple[pd.Series, pd.Series, pd.Series] = ctx.memo(
        "backlog_scope", lambda: _scope_masks(ctx))
    return result


def _scope_masks(ctx: Context) -> tuple[pd.Series, pd.Series, pd.Series]:
    t = ctx.tickets
    scope = ctx.of_kind(*SCOPE_KINDS)
    no_open = scope & t[m.OPENED_AT].isna()
    by_end = scope & ~no_open & ctx.opened_by_end()
    no_done_time = by_end & ctx.is_done() & ctx.done_at.isna()
    return by_end & ~no_done_time, no_open, no_done_time


@dataclass(frozen=True)
class MassClosure:
    """A clean-up script's closures (:func:`mass_closure`): the clock ``hours`` whose
    completions are a clean-up, the incidents and requests whose done time in the window
    *is* one of them (``tickets``: no work done, counted open from their opening to the
    window end), and those closed or done in those hours at all (``touched``: a ticket
    resolved earlier by a person keeps its real done time). ``resolved`` counts, by hour
    start, the hours in which the tool closed already-resolved tickets in bulk (a nightly
    auto-close job's, or a one-off), and ``resolved_closed`` marks those tickets: the
    tool's lifecycle, no completion and no clean-up (their done time is the resolved
    time); ``resolved_scheduled`` of those hours are a scheduled job's
    (:func:`~itsm_diag.signs.common.scheduled_hours`). ``done_hour`` and ``closed_hour``
    are the floors every hour was found on."""

    hours: pd.Index
    tickets: pd.Series
    touched: pd.Series
    resolved: pd.Series
    resolved_closed: pd.Series
    resolved_scheduled: int
    #: each ticket's done time and its closed time in the window (of the usable
    #: tickets), as its clock hour (:func:`~itsm_diag.signs.common.hour_numbers`): the
    #: notes on each hour read them
    done_hour: np.ndarray
    closed_hour: np.ndarray


def _mass_key(ctx: Context, params: Mapping[str, Any] | None
              ) -> tuple[float, float, int] | None:
    given = params if params is not None else ctx.signs.get("backlog")
    if given is None or "mass_closure_min" not in given:
        return None
    return (float(given["mass_closure_min"]), float(given["mass_closure_factor"]),
            int(given.get("mass_closure_job_runs", JOB_RUNS)))


def mass_closure(ctx: Context, params: Mapping[str, Any] | None = None) -> MassClosure | None:
    """The clean-up script's closures among the incidents and requests, found once per
    Context by the backlog sign's rule (``params``, else its params in
    :attr:`Context.signs`; ``None`` when neither holds them): an hour is one when its
    completions (by the done time: a script resolving or closing stale ones; or by the
    closed time of the tickets with no resolved time, whose done time it is) reach
    ``mass_closure_min`` and ``mass_closure_factor`` x the ordinary hours' 99th
    percentile, and it is no scheduled job's
    (:func:`~itsm_diag.signs.common.mass_closures`). Closing tickets resolved before is
    the tool's lifecycle (a nightly auto-close), never a clean-up's: those hours are only
    said (:attr:`MassClosure.resolved`). The backlog sign, its weekly series
    (the KPI panel's too), the forecast and the knowledge and reopen checks read this one
    set."""
    key = _mass_key(ctx, params)
    if key is None:
        return None
    found: MassClosure = ctx.memo(("backlog", "mass", key), lambda: _mass_closure(ctx, {
        "mass_closure_min": key[0], "mass_closure_factor": key[1],
        "mass_closure_job_runs": key[2]}))
    return found


def _mass_closure(ctx: Context, params: Mapping[str, Any]) -> MassClosure:
    t, w = ctx.tickets, ctx.window
    usable = scope_masks(ctx)[0]
    done_at = ctx.done_at
    done_in_window = usable & ctx.done_in_window()
    closed = t[m.CLOSED_AT].where(usable & w.contains(t[m.CLOSED_AT]))
    unresolved = t[m.RESOLVED_AT].isna()
    span = (w.start, w.covered_end)
    # a ticket is a clean-up's only when its own done time is the clean-up: an hour of
    # done times, or of closures of tickets with no resolved time (the closure their done
    # time); closing a ticket resolved before is the tool's lifecycle, never a completion.
    # A scheduled job's hours (the same clock time on most days) are none: a clean-up
    # stands out against its clock time's other days
    # each time column floored to its hour once: the hours are found on these floors,
    # and every ticket is tested against them
    done_hour, closed_hour = hour_numbers(done_at), hour_numbers(closed)
    in_window = done_in_window.to_numpy(dtype=bool)
    no_resolved = unresolved.to_numpy(dtype=bool)
    by_done = _unscheduled(mass_hours(done_hour[in_window], params, span=span, tz=ctx.tz))
    by_close = _unscheduled(mass_hours(closed_hour[no_resolved & in_window], params,
                                       span=span, tz=ctx.tz))
    hours = by_done.union(by_close)
    tickets = done_in_window & (in_hours(done_hour, by_done)
                                | (no_resolved & in_hours(done_hour, by_close)))
    # the tool closing already-resolved tickets in bulk: said, nothing left out; of its
    # hours, those of a scheduled job (found in the same pass) are counted
    resolved, scheduled = mass_hours(closed_hour[~no_resolved], params, span=span,
                                     tz=ctx.tz)
    resolved_closed = usable & ~unresolved & in_hours(closed_hour, resolved.index)
    return MassClosure(hours=hours, tickets=tickets,
                       touched=usable & (in_hours(done_hour, hours)
                                         | in_hours(closed_hour, hours)),
                       resolved=resolved, resolved_closed=resolved_closed,
                       resolved_scheduled=int(scheduled.sum()),
                       done_hour=done_hour, closed_hour=closed_hour)


def _unscheduled(found: tuple[pd.Series, np.ndarray]) -> pd.Index:
    """The hour starts of :func:`~itsm_diag.signs.common.mass_hours`'s hours that are no
    scheduled job's."""
    mass, scheduled = found
    return mass.index[~scheduled]


def stays_of(ctx: Context, keep: pd.Series, open_through: pd.Series | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opened and end times (µs) of the kept tickets with an opened time, and whether
    each was done by the window end: the end is the done time, or the window end for a
    ticket still open then (its stay so far: a stay cut short, not ended). The data's
    end when the window reaches past it (:attr:`Window.covered_end`): a stay is not seen
    to go on through weeks the export never saw. A ticket under ``open_through`` (a
    clean-up script's closure: no work done) is still open then."""
    rows = keep.to_numpy(dtype=bool)
    opened_us = m.ts_us(m.rows_of(ctx.tickets, rows, [m.OPENED_AT])[m.OPENED_AT])
    window_end_us = int(ctx.window.covered_end.value // 1000)
    end_us = m.ts_us(ctx.done_at[rows])
    if open_through is not None:
        end_us = np.where(open_through.to_numpy(dtype=bool)[rows], m.NAT, end_us)
    done = (end_us != m.NAT) & (end_us <= window_end_us)
    end_us = np.where(done, end_us, window_end_us)
    ok = opened_us != m.NAT
    return opened_us[ok], end_us[ok], done[ok]


def _residual_stay(stay: np.ndarray, done: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """For each gap g (days), the mean time a ticket stays open beyond g, from stays
    (days) of which those not ``done`` were cut short by the export's end: the area under
    the Kaplan-Meier survival curve from g to the longest stay seen.

    Treating a cut stay as ended (the open tickets at their age so far) makes stays look
    shorter the more of them are still open: on an export of the last 120 days, where
    most of the long stays are still running, that read the tickets missing from its
    first weeks 3-5x too few. Kaplan-Meier counts a cut stay only for as long as it was
    seen. Beyond the longest stay seen the curve is not known and adds nothing, so this
    is still a lower bound; with no stay cut short it is the plain mean of
    ``max(stay - g, 0)``."""
    n = stay.size
    stay = np.maximum(stay, 0.0)  # a done time before the opened time: no stay at all
    order = np.lexsort((~done, stay))  # at a tie, the ended stays first (the usual rule)
    x = stay[order]
    at_risk = n - np.arange(n, dtype="float64")
    survival = np.cumprod(np.where(done[order], 1.0 - 1.0 / at_risk, 1.0))
    # the curve is 1 up to the first stay, then survival[k] from stay k to stay k + 1
    edges = np.concatenate([[0.0], x])
    level = np.concatenate([[1.0], survival[:-1]])
    area = np.concatenate([[0.0], np.cumsum(level * np.diff(edges))])
    at = np.clip(np.searchsorted(edges, gaps, side="right") - 1, 0, n)
    upto = area[at] + np.where(at < n, level[np.minimum(at, n - 1)] * (gaps - edges[at]), 0.0)
    return np.maximum(area[-1] - upto, 0.0)


def _unseen(opened_us: np.ndarray, end_us: np.ndarray, done: np.ndarray,
            earliest: pd.Timestamp, trend: pd.DataFrame, first: int
            ) -> tuple[np.ndarray, float]:
    """The tickets opened before the export's first one (``earliest``) and still open at
    each week end of the trend from week ``first`` on, estimated from the export's own
    flow, and that flow (arrivals a day over those weeks): arrivals a day x the mean time
    a ticket stays open beyond that week end's distance from the first ticket (the stays
    of :func:`stays_of`, through :func:`_residual_stay`: a lower bound). All zero when no
    ticket has an opened time."""
    ends = pd.DatetimeIndex(trend["week_end"].iloc[first:])
    per_day = float(trend["arrivals"].to_numpy()[first:].sum()) / (7.0 * len(ends))
    if opened_us.size == 0:
        return np.zeros(len(ends)), per_day
    stay = (end_us - opened_us) / 86_400e6
    gaps = np.maximum(((ends - earliest) / pd.Timedelta(days=1)).to_numpy(dtype=float), 0.0)
    return per_day * _residual_stay(stay, done, gaps), per_day


_Stays = tuple[np.ndarray, np.ndarray, np.ndarray]


def reaches_back(ctx: Context, keep: pd.Series, earliest: pd.Timestamp, trend: pd.DataFrame,
           first: int, params: Mapping[str, Any], stays: Callable[[], _Stays]) -> bool:
    """Whether the export reaches back far enough for the backlog of the trend's first
    week, from its own stays.

    It reaches back far enough when its first ticket is older, at that week's end, than
    the ``reach_done_share`` quantile of the time to done of its done tickets opened by
    then (all of them when none were: those could show the longest stays); nearly every
    ticket opened earlier was done by then (one never done shifts the start and the end
    of the trend alike). Else it lacks tickets opened earlier and still open in that
    week (:func:`_unseen`); it still reaches back when fewer than two tickets, or under
    ``unseen_min_share`` of that week's backlog, would be missing. Read as the window end
    saw the stays (a ticket done after it was still open). A queue whose tickets
    stay open for months needs an export that reaches back months, however many days
    that is. ``stays``: :func:`stays_of` of ``keep`` (read once, for the unseen estimate too).
    """
    week_end = pd.Timestamp(trend["week_end"].iloc[first])
    gap = max((week_end - earliest) / pd.Timedelta(days=1), 0.0)
    opened = ctx.tickets[m.OPENED_AT]
    # the stays as the window end saw them, as :func:`stays_of` reads them: a ticket done
    # after it was still open then (a 14-month stay ended after the window end made an
    # export pulled later read "does not reach back" where one pulled then did not)
    done_at = ctx.done_by_end()
    done = keep & done_at.notna() & opened.notna()
    early = done & (opened <= week_end).fillna(False).astype(bool)
    rows = early if early.any() else done
    took = ((done_at[rows] - opened[rows]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    took = took[np.isfinite(took) & (took >= 0)]
    quantile = (float(np.quantile(took, float(params["reach_done_share"])))
                if took.size else 0.0)
    if gap >= quantile:
        return True
    missing = float(_unseen(*stays(), earliest, trend, first)[0][0])
    seen = float(trend["open"].to_numpy()[first])
    share = missing / (seen + missing) if seen + missing > 0 else 0.0
    return missing < 1.5 or share < float(params["unseen_min_share"])


#: the name the tests knew it by
_reach = reaches_back


def _reopened_then(ctx: Context, keep: pd.Series, trend: pd.DataFrame, first: int
                   ) -> tuple[np.ndarray, list[str | None], pd.Series]:
    """The histories a list export's reopened tickets allow: (per history, per week end of
    the trend from week ``first`` on, how many of ``keep``'s tickets were done then though
    the trend counts them open; when each history reopens them; those tickets).

    They are open at the export (status not done) yet carry a resolved or closed time:
    a resolution the tool kept when the ticket was reopened (a list export holds no
    history of when). The trend counts them open since they were opened; they were done
    from that time until they were reopened, somewhere up to their last update (the
    window end when they have none). Each history reopens them all at one of the trend's
    week ends (no earlier than their done time, no later than their last update), or each
    at its last update: a reopen early in the trend lowers only its first weeks, one at
    the last update lowers them all, and which leaves the least shrink depends on the
    weeks (a robust line is no sum of them), so every such moment is tried. Tickets whose
    status history is in the export follow it already and are not among them."""
    t, w = ctx.tickets, ctx.window
    ends = m.ts_us(trend["week_end"].iloc[first:])
    history = status_history(ctx, keep & t[m.OPENED_AT].notna())
    plain = keep if history is None else keep & ~pd.Series(history.tickets, index=keep.index)
    was = ctx.done_stamp
    stale = (plain & ~ctx.is_done() & (was >= t[m.OPENED_AT]) & (was <= w.end)
             ).fillna(False).astype(bool)
    if not stale.any():
        return np.zeros((0, len(ends)), dtype=np.int64), [], stale
    rows = stale.to_numpy(dtype=bool)
    done_us = m.ts_us(was)[rows]
    back_us = m.ts_us(t[m.UPDATED_AT])[rows]  # a copy: rows is a mask
    end_us = int(w.end.value // 1000)
    back_us[(back_us == m.NAT) | (back_us < done_us) | (back_us > end_us)] = end_us
    done_by = count_upto(done_us, ends)
    moments = [*ends, None]  # None: each at its last update
    out = np.empty((len(moments), len(ends)), dtype=np.int64)
    for i, at in enumerate(moments):
        reopen = back_us if at is None else np.clip(at, done_us, back_us)
        # done by the week end and not yet reopened by it (a reopen at or after the done
        # time: the week end the reopen falls on counts it open again)
        out[i] = done_by - count_upto(reopen, ends)
    # the week end each history reopens them at (None: each at its last update)
    whens: list[str | None] = [f"{e:%Y-%m-%d}" for e in trend["week_end"].iloc[first:]]
    return out, [*whens, None], stale


def _unseen_at_start(ctx: Context, stays: _Stays, earliest: pd.Timestamp, starts: Note,
                     trend: pd.DataFrame, first: int, start: float, end: float,
                     params: Mapping[str, Any]) -> tuple[Note | None, np.ndarray | None]:
    """A note when an export that does not reach back far enough (:func:`reaches_back`: cut
    on the opened date, or a tool only just adopted) lacks part of the backlog of the trend's
    weeks, else ``None``; with ``unseen_at_start``, the estimate of the tickets missing at
    each week end of the trend (which the sign's figures may count). ``start`` and ``end``
    are the trend's levels from the export's own tickets.

    The tickets opened before the export's first one and still open at a week's end are
    not in it. Their number is estimated from the export's own flow (:func:`_unseen`:
    arrivals a day x the mean time a ticket stays open beyond that week end's distance
    from the first ticket, the stays still running counted for as long as they were
    seen: a lower bound), which fades as the weeks go by. Added to each week's level, the
    trend is fitted again: ``shrink_with`` is the shrink it shows then, and the grading
    decides with it (missing tickets only make the early weeks look smaller, so a backlog
    that shrank did so at least as much; one that "did not shrink" may be that artefact).
    """
    opened_us, end_us, done = stays  # of the kept tickets (:func:`stays_of`)
    window_end_us = int(ctx.window.end.value // 1000)
    # the stays the export can show end where it begins: when the tickets of its first
    # week are still open at the window end, tickets outlive its reach, and how many of
    # those opened before it are open in the trend's weeks has no bound
    first_us = int(earliest.value // 1000)
    first_week = (opened_us >= first_us) & (opened_us < first_us + 7 * 86_400 * 10**6)
    still = int((first_week & (end_us >= window_end_us)).sum())
    tail = float(params["unseen_tail_share"])
    if first_week.any() and still >= max(tail * int(first_week.sum()), 1.0):
        return Note(code="unseen_unbounded", params={
            "starts": starts, "still": still,
            "first_week": int(first_week.sum()), "share": tail, "shrink_with": 1.0}), None
    missing, per_day = _unseen(opened_us, end_us, done, earliest, trend, first)
    if missing[0] < 1.5:  # not two tickets (or no stays at all): nothing to weigh
        return None, None
    start_with, end_with = trend_levels(trend["open"].to_numpy()[first:] + missing)
    shrink_with = (start_with - end_with) / start_with if start_with > 0 else 0.0
    # ``unseen_end``: those still open at the last week end (the window end), for the
    # materiality (:func:`_unseen_material`)
    return Note(code="unseen_at_start", params={
        "starts": starts, "unseen": float(missing[0]), "start": start,
        "per_day": per_day, "start_with": start_with, "end_with": end_with,
        "shrink_with": shrink_with, "unseen_end": float(missing[-1]),
        "seen_start": start, "seen_end": end}), missing


def _counted(unseen: Note, levels: np.ndarray, start: float, end: float
             ) -> tuple[float, float] | None:
    """The trend's start and end levels with the estimate of the tickets the export lacks
    (:func:`_unseen_at_start`'s ``unseen_at_start`` note) counted in each week, when there
    is one and it makes the trend shrink more (or grow less) than the export's own tickets
    (``levels``, fitted to ``start`` and ``end``) show, else ``None``.

    An export cut on the opened date lacks the tickets opened before it and still open,
    most of them in the trend's first weeks: its own tickets read the cut's ramp as the
    queue's growth (on 3-month exports of desks whose queue grew 4-22%, "growth
    85-124%"), where the trend with the estimate read 8-34% (review 15b). Where counting
    them makes the trend shrink less (a small shrink of a large unseen start), the
    export's own shrink stands, as the grading lets it."""
    if unseen.code != "unseen_at_start" or levels.size == 0:
        return None
    own = (start - end) / start if start > 0 else float("-inf")
    if float(unseen.params["shrink_with"]) <= own:
        return None
    return float(unseen.params["start_with"]), float(unseen.params["end_with"])


def _estimate_note(unseen: Note, levels: np.ndarray, counted: bool,
                   params: Mapping[str, Any], flat: Callable[[int], np.ndarray]) -> Note:
    """The note that gives the trend with and without the estimate of the tickets the
    export lacks (``unseen``: an ``unseen_at_start`` note), in words that say which way it
    moved (``change``: "a growth of 8%", never "-8% shrink"), and how far it is known:
    ``give`` (a share of the start, in points) is t x the counted trend's slope error over
    its weeks (:func:`_trend_noise` on ``levels``, the week ends with the estimate) and the
    estimate's own count noise (t x the square root of the first week's unseen tickets,
    a Poisson count), added in quadrature. ``unseen_counted`` when the trend's figures
    count them (``counted``), else ``unseen_estimate`` (the export's own shrink stands)."""
    p = unseen.params
    start_with, end_with = float(p["start_with"]), float(p["end_with"])
    change = _change(start_with, end_with)
    give = 0.0
    if levels.size >= 3 and start_with > 0:
        trend = _trend_noise(np.asarray(levels, dtype="float64"), start_with, params, flat)
        tq = t_quantile(0.5 + float(params["noise_interval_share"]) / 2, levels.size - 2)
        count = tq * float(np.sqrt(max(float(p["unseen"]), 0.0))) / start_with
        give = float(np.hypot(trend["noise"], count))
    return Note(code="unseen_counted" if counted else "unseen_estimate", params={
        **p, "change": change, "give": give, "give_points": 100.0 * give,
        "seen_change": _change(float(p["seen_start"]), float(p["seen_end"]))})


def _change(start: float, end: float) -> Note:
    """How a trend from ``start`` to ``end`` moved, as a clause that says which way
    (``trend_grew`` / ``trend_shrank`` with its ``share`` of the start; ``trend_from_zero``
    from a start of none)."""
    if start <= 0:
        return Note(code="trend_from_zero", params={"end": end})
    share = (end - start) / start
    return Note(code="trend_grew" if share >= 0 else "trend_shrank",
                params={"share": abs(share)})


def _unseen_material(unseen: Note | None, open_now: int, mean_arrivals: float
                     ) -> tuple[Note, float] | None:
    """The note and the backlog in weeks of arrivals a clear that it is too small to
    matter is graded again with, when the export lacks tickets opened before its first
    one and still open at the window end (``unseen``: :func:`_unseen_at_start`'s note),
    else ``None``. The note is worded for the trend too: the engine words an unknown
    grade by a clear's note first, whichever way the grade went.

    Those tickets make the open count, and so the materiality, only larger: a "not
    material" clear stands only if it holds with them too. Where tickets outlive what
    the export reaches back to (``unseen_unbounded``) their number has no bound, and no
    clear can rest on the backlog being small; else they are :func:`_unseen`'s estimate
    for the last week end (none under two tickets: nothing to weigh)."""
    if unseen is None or mean_arrivals <= 0:
        return None
    weeks = open_now / mean_arrivals
    said = {"starts": unseen.params["starts"], "open_now": open_now, "weeks": weeks,
            "per_week": mean_arrivals}
    if unseen.code == "unseen_unbounded":
        return Note(code="unseen_material_unbounded", params={
            **said, **{k: unseen.params[k] for k in ("still", "first_week", "share")}}), \
            float("inf")
    missing = float(unseen.params["unseen_end"])
    if missing < 1.5:
        return None
    weeks_with = (open_now + missing) / mean_arrivals
    return Note(code="unseen_material", params={
        **unseen.params, **said, "open_with": open_now + missing,
        "weeks_with": weeks_with}), weeks_with


def trend_cut(ctx: Context) -> dict[str, Any] | None:
    """What the backlog sign measured of its trend lacking tickets the export does not
    hold (opened before its first one and still open in the trend's weeks), when the
    weekly table's trend line (the export's own tickets, also where the sign's figures
    count the estimate of those it lacks) did not shrink, else ``None``: ``first`` (the
    export's first day) and either ``unseen`` (about how many are missing from the
    trend's first week) or ``still`` of the ``first_week`` tickets of its first week
    still open at the window end (how many are missing has no bound).

    A growth read from such a trend may be the cut's ramp, not the queue's (missing
    tickets only make the early weeks look smaller; a shrink is shown all the same). The
    sign records it once per Context when it measures; the forecast, measured after the
    signs, reads it here (``None`` when the sign did not measure a trend)."""
    cut: dict[str, Any] | None = ctx.memo(("backlog", "trend_cut"), lambda: None)
    return cut


def mass_closed(ctx: Context) -> pd.Series | None:
    """The tickets whose only done time is a clean-up script's closure
    (:attr:`MassClosure.tickets` of :func:`mass_closure`, by the backlog sign's params in
    :attr:`Context.signs`): no work done. The backlog counts them open to the window end;
    the forecast reads them so, and the knowledge and reopen checks leave them out of
    their done work. ``None`` when the Context holds no backlog params."""
    found = mass_closure(ctx)
    return None if found is None else found.tickets


def unseen_at_end(ctx: Context) -> tuple[Note, pd.Timestamp, str] | None:
    """What the backlog sign found of an export that does not reach back far enough
    (cut on the opened date): its unseen note (``unseen_unbounded``: tickets of the
    export's first week still open at the window end, so older ones would be too, how
    many has no bound; ``unseen_at_start``: ``unseen_end`` of them estimated still open
    at the window end), the export's first time and day; ``None`` when the sign found
    none, or did not get as far as the test (too few tickets or weeks). Tested on an
    extract no trend is graded on too (closed only, none open at its cut: the KPI
    panel's time to resolve leans low there all the same). Read after the signs (the
    Monday list, the KPI panel: one test of one export in one report)."""
    found: tuple[Note | None, pd.Timestamp, str] | None = ctx.memo(("backlog", "unseen"),
                                                                   lambda: None)
    if found is None or found[0] is None:
        return None
    return found[0], found[1], found[2]


def _trend_cut(unseen: Note | None, first_day: str, start: float, end: float
               ) -> dict[str, Any] | None:
    """:func:`trend_cut`'s figures from the sign's unseen note and the levels of the
    weekly table's trend line (``start``, ``end``: the line the forecast projects, of
    the export's own tickets even where the sign's figures count the estimate of those
    it lacks, whose shrink does not make the own line's ramp the queue's)."""
    if unseen is None or end < start:
        return None
    if unseen.code == "unseen_unbounded":
        return {"first": first_day, "still": unseen.params["still"],
                "first_week": unseen.params["first_week"]}
    return {"first": first_day, "unseen": unseen.params["unseen"]}


def flat_queue_cov(stays: _Stays, per_day: float, weeks: int) -> np.ndarray:
    """The autocovariance of the week-end backlog of a queue that did not move, at lags
    0 .. ``weeks`` - 1 weeks, from the desk's own flow: ``per_day`` arrivals a day and the
    stays of :func:`stays_of`. With arrivals at a steady rate, each ticket open at one
    week end is still open ``h`` weeks later for as long as its stay lasts beyond that, so
    the covariance at lag ``h`` is arrivals a day x the mean stay beyond ``7h`` days
    (:func:`_residual_stay`, Kaplan-Meier: a lower bound), and lag 0 is the mean backlog
    itself (a steady queue's count is Poisson). A ticket open three weeks is in three
    week ends: with long-tailed stays the week ends are far from independent."""
    opened_us, end_us, done = stays
    if opened_us.size == 0 or per_day <= 0:
        return np.zeros(weeks)
    stay = (end_us - opened_us) / 86_400e6
    return per_day * _residual_stay(stay, done, 7.0 * np.arange(weeks, dtype="float64"))


def mean_stay(stays: _Stays) -> float:
    """The mean stay in days of ``stays`` (:func:`stays_of`), a stay still running counted
    for as long as it was seen (Kaplan-Meier: the area under the survival curve, a lower
    bound)."""
    opened_us, end_us, done = stays
    if opened_us.size == 0:
        return 0.0
    return float(_residual_stay((end_us - opened_us) / 86_400e6, done, np.zeros(1))[0])


def _scatter(y: np.ndarray) -> tuple[np.ndarray, float]:
    """The week-end backlogs ``y`` (3 or more) against their Theil-Sen line: each one's
    deviation from it, and their scatter, 1.4826 x the median absolute deviation of the
    deviations or their root mean square over ``n - 2`` weeks, whichever is larger (four
    or five points of a month leave a line through most of them, and a median deviation
    of almost nothing). The shrink's noise and the open count's both read it."""
    slope, intercept = theil_sen(y)
    off = y - (intercept + slope * np.arange(y.size, dtype="float64"))
    return off, max(1.4826 * float(np.median(np.abs(off - np.median(off)))),
                    float(np.sqrt((off ** 2).sum() / (y.size - 2))))


def _shrink_in_noise(levels: np.ndarray, start: float, end: float,
                     params: Mapping[str, Any],
                     flat: Callable[[int], np.ndarray] | None = None,
                     said: Mapping[str, float] | None = None) -> Note | None:
    """A note when the shrink lies within the queue's own week-to-week noise, else
    ``None``.

    The noise is the trend slope's standard error (``se``), carried over the trend's
    weeks and taken as a share of its start level; it is the larger of two:

    - the week ends' own scatter: their scatter around their Theil-Sen line, fitted here
      to ``levels`` and not rounded, over the square root of the sum of squared distances
      of the weeks from their middle, widened for the week ends' correlation (the
      scatter: :func:`_scatter`). A queue's week ends are not independent draws (a
      ticket open three weeks is in three of them), so the independent-weeks error is too
      small: it is widened to an effective number of week ends ``n (1 - r) / (1 + r)``,
      ``r`` the lag-1 autocorrelation of the deviations clipped to [0,
      ``noise_max_autocorrelation``]
      (the variance of an AR(1) series' slope; ``n - 2`` degrees of freedom are kept, as a
      t on a handful of effective weeks would make a month's noise limitless);
    - with ``flat`` (the autocovariance of a flat queue's week ends by lag,
      :func:`flat_queue_cov`): the slope's error a queue that did not move shows with
      the desk's own arrivals and stays, ``sqrt(w' C w)`` for the least-squares weights
      ``w`` of the slope. The lag-1 correction alone is not enough: long-tailed stays
      keep week ends correlated over many weeks (not the geometric decay of AR(1)), and
      13 deviations around a fitted line hide most of it (the line takes up the slow
      part); on 1,500 simulated flat 13-week queues with lognormal stays (sigma 1.5-2) it
      still cleared 7-15% against its 5%, where the larger of the two clears 2-4%.

    The forecast's ``se`` (:mod:`itsm_diag.analyses.forecast`) is deliberately not this
    one: it takes the larger of the weekly nets' robust spread / sqrt(weeks - 1) (the
    trend as the mean of the backlog's weekly changes) and the robust scatter around the
    sign's published trend line (rounded to 0.1, the line it projects along), over a whole
    window's trend (6 weeks or more by default); here 4 or 5 week ends can be all the evidence,
    and a scatter that collapses would clear a queue that did not move. A shrink under
    ``t`` times that (``t`` of a two-sided ``noise_interval_share`` interval on ``n - 2``
    degrees of freedom) is one a queue that did not move shows as often: no evidence that
    it shrank (a stationary queue of 30 over a month's 4 week ends reads anything from
    -40% to +40%). ``None`` with fewer than 3 weeks or no shrink at all (a backlog that grew is
    not cleared by this rule). ``said``: :func:`_trend_noise` of these levels, when the
    caller has it.
    """
    y = np.asarray(levels, dtype="float64")
    if y.size < 3 or start <= 0 or end >= start:
        return None
    if said is None:
        said = _trend_noise(y, start, params, flat)
    shrink = (start - end) / start
    if shrink >= said["noise"]:
        return None
    return Note(code="shrink_in_noise", params={
        "shrink": shrink, "start": start, "end": end, "weeks": int(y.size), **said})


def _trend_noise(y: np.ndarray, start: float, params: Mapping[str, Any],
                 flat: Callable[[int], np.ndarray] | None = None) -> dict[str, float]:
    """The move a queue that did not move shows over the week ends ``y`` (3 or more), as a
    share of ``start``, and how it was read (:func:`_shrink_in_noise` says how): ``noise``
    (t x the slope's error x the weeks), ``scatter``, ``r``, ``weeks_eff``, ``se_weeks``,
    ``flat_se``, ``se`` and ``share`` (the interval's coverage)."""
    t = np.arange(y.size, dtype="float64")
    off, scatter = _scatter(y)
    centred = off - off.mean()
    sumsq = float((centred ** 2).sum())
    r = float((centred[1:] * centred[:-1]).sum()) / sumsq if sumsq > 0 else 0.0
    r = min(max(r, 0.0), float(params["noise_max_autocorrelation"]))
    widen = (1.0 + r) / (1.0 - r)
    sxx = float(((t - t.mean()) ** 2).sum())
    se_weeks = scatter / float(np.sqrt(sxx)) * float(np.sqrt(widen))
    share = float(params["noise_interval_share"])
    tq = t_quantile(0.5 + share / 2, y.size - 2)
    flat_se = 0.0
    if flat is not None:
        cov = np.asarray(flat(y.size), dtype="float64")
        w = (t - t.mean()) / sxx
        lag = np.abs(np.subtract.outer(np.arange(y.size), np.arange(y.size)))
        flat_se = float(np.sqrt(max(float(w @ cov[lag] @ w), 0.0)))
    se = max(se_weeks, flat_se)
    return {"scatter": scatter, "r": r, "weeks_eff": y.size / widen, "se_weeks": se_weeks,
            "flat_se": flat_se, "se": se, "noise": tq * se * (y.size - 1) / start,
            "share": share}


def _small_in_noise(levels: np.ndarray, end: float, open_now: int, mean_arrivals: float,
                    params: Mapping[str, Any]) -> tuple[Note, float] | None:
    """The note and the weeks of arrivals a "too small to matter" clear is graded again
    with, or None when there are no arrivals to count weeks of.

    The open count at the window end is one week end's count, and it moves from week to
    week as the trend's week ends do: a queue whose level is half a week of arrivals
    reads under that about half the time. A clear that it is too small to matter stands
    only when the queue is under the threshold at the top of its noise: the larger of
    that count and the trend line's end level (which pools every week end), plus ``t``
    (a two-sided ``noise_interval_share`` interval on ``n - 2`` degrees of freedom, whose
    upper side it is) times a week end's noise, the larger of the week ends' scatter
    around their Theil-Sen line and what a queue that did not move shows, the square root
    of that level (a steady queue's count is Poisson: :func:`flat_queue_cov` at lag 0 is
    its mean). It is one count's noise, not the mean's: the figure reads one draw. The
    week ends all fall on the window end's weekday, so neither says how the queue moves
    within a week: a window that ends on a quiet day is not corrected for.
    The second value is that margin in weeks of arrivals."""
    y = np.asarray(levels, dtype="float64")
    if mean_arrivals <= 0 or y.size < 3:
        return None
    scatter = _scatter(y)[1]
    level = max(float(open_now), float(end))
    flat_sd = float(np.sqrt(max(level, 0.0)))
    sd = max(scatter, flat_sd)
    share = float(params["noise_interval_share"])
    margin = t_quantile(0.5 + share / 2, y.size - 2) * sd
    upper = level + margin
    return Note(code="small_in_noise", params={
        "open_now": int(open_now), "weeks": open_now / mean_arrivals, "end": float(end),
        "scatter": scatter, "flat_sd": flat_sd, "upper": upper,
        "weeks_upper": upper / mean_arrivals, "per_week": mean_arrivals, "share": share,
    }), margin / mean_arrivals


@dataclass(frozen=True)
class Waiting:
    """The open tickets waiting on the caller or a third party (:func:`_waiting`): the
    ``waiting_now`` figure, the notes that say it, and the note and workable-queue
    metrics a trigger is graded again with when waiting tickets are open (``decides``,
    ``workable``; None and empty when none are)."""

    figure: Figure
    notes: list[Note]
    decides: Note | None = None
    workable: dict[str, float] = field(default_factory=dict)

    def presence(self, other: Note | None) -> Note | None:
        """The trigger's unproven note: another one already there (the tickets the export
        lacks) stays, and this one is then among the notes; else this one."""
        return other if other is not None else self.decides

    def worst_case(self, other: dict[str, float]) -> dict[str, float]:
        """The metrics a trigger is graded again with: the other case's and the workable
        queue's, each metric at the value nearer a clear (a larger shrink, a smaller
        queue)."""
        out = dict(other)
        for key, value in self.workable.items():
            if key not in out:
                out[key] = value
            elif key == "backlog_shrink":
                out[key] = max(out[key], value)
            else:
                out[key] = min(out[key], value)
        return out


def waiting_found(ctx: Context) -> Waiting | None:
    """What the backlog sign found of its open tickets waiting on the caller or a third
    party (:func:`_waiting`), ``None`` when it did not get as far as counting them. Read
    after the signs (the KPI panel, the forecast)."""
    found: Waiting | None = ctx.memo(("backlog", "waiting"), lambda: None)
    return found


def _waiting(ctx: Context, open_mask: pd.Series, usable: pd.Series, first: int,
             levels: np.ndarray, mean_arrivals: float, floor: float, open_now: int
             ) -> Waiting:
    """Of the ``open_now`` tickets open at the window end (``open_mask``), those waiting
    on the caller or a third party: a waiting status (``m.WAITING_STATUSES``: ServiceNow
    On Hold / Awaiting ..., Zendesk pending and on-hold, Jira Waiting for customer,
    Freshservice Pending), by their status history where it has an event by the window
    end, else by their status now where nothing changed it after the window end
    (:func:`waiting_at_end`, the one rule the Monday list reads too). Where status events
    give it at each week end of the trend (from week ``first`` on: ``levels``), the
    workable queue's trend too.

    The desk cannot complete a ticket that waits on someone else, so a queue that grows
    in its waiting part is no capacity problem, yet waiting tickets may also be work
    parked out of sight: the statuses alone cannot say which. A trigger that the workable
    queue alone would not give (too small to matter, or shrinking) is so graded again
    (``presence_unproven``): unknown, with the numbers. The workable queue's trend is the
    weekly one less the waiting tickets where status events give them at each week end;
    a list export says which tickets wait only at its cut, and the trend is then judged
    on the whole queue (a waiting share that held through the window leaves the shrink
    as it is), its size on the workable part."""
    waiting, known = waiting_at_end(ctx, open_mask)
    n_wait, n_known = int(waiting.sum()), int(known.sum())
    sample = ctx.samples(pd.Series(waiting, index=open_mask.index))
    if not n_known:
        return Waiting(figure=Figure(value=None), notes=[])
    figure = Figure(value=float(n_wait), sample_ids=sample)
    if not n_wait:
        return Waiting(figure=figure, notes=[])
    ends = week_edges(ctx.window, ctx.tz)[1:][first:]
    weekly = waiting_weekly(ctx, usable, ends)
    rest = open_now - n_wait
    weeks_rest = rest / mean_arrivals if mean_arrivals > 0 else None
    said: dict[str, Any] = {
        "open_now": open_now, "waiting": n_wait, "share": n_wait / open_now,
        "rest": rest, "weeks_rest": weeks_rest if weeks_rest is not None else 0.0,
        "per_week": mean_arrivals, "unknown": open_now - n_known,
        "labels": ", ".join(_waiting_labels(ctx, waiting)),
        # where the open tickets are counted, as the sign's summary says it (the data's
        # end when a --until reaches past it)
        "end_said": _end_said(ctx)}
    workable: dict[str, float] = {}
    if weeks_rest is not None:
        workable["backlog_weeks_of_arrivals"] = weeks_rest
    if weekly is not None and len(weekly) == len(levels) and levels.size >= 2:
        rest_levels = np.asarray(levels, dtype="float64") - weekly
        w_start, w_end = trend_levels(weekly.astype("float64"))
        r_start, r_end = trend_levels(rest_levels)
        said.update({"wait_first": int(weekly[0]), "wait_last": int(weekly[-1]),
                     "wait_peak": int(weekly.max()), "wait_start": w_start,
                     "wait_end": w_end, "rest_start": r_start, "rest_end": r_end,
                     "rest_low": int(rest_levels.min()), "rest_high": int(rest_levels.max()),
                     "weeks": int(levels.size)})
        if r_start >= floor and r_start > 0:
            workable["backlog_shrink"] = (r_start - r_end) / r_start
        elif r_end < r_start:  # a near-empty workable start that did not grow: shrank
            workable["backlog_shrink"] = 1.0
        code = "waiting_weekly"
    else:
        code = "waiting_at_end"
    note = Note(code=code, count=n_wait, params=said, sample_ids=sample)
    decides = Note(code=f"{code}_decides", count=n_wait, params=said, sample_ids=sample)
    return Waiting(figure=figure, notes=[note], decides=decides, workable=workable)


def _end_said(ctx: Context) -> str:
    """:func:`itsm_diag.insights.end_said` of the run's window, in the run's words (the
    window end where the data reaches it)."""
    from itsm_diag.insights import end_said

    wording = ctx.defaults.get("wording") or {}
    if "end_said.window" not in wording:  # a Context built without the rule files
        return "the window end"
    return end_said(ctx.window, ctx.tz, wording)


def _waiting_labels(ctx: Context, waiting: np.ndarray) -> list[str]:
    """The tool's own labels of the waiting tickets' statuses (On Hold, Awaiting Vendor,
    pending), most first: what the reader knows them by."""
    raw = ctx.tickets[m.STATUS_RAW]
    trail = status_trail(ctx)
    labels = raw[waiting].astype("object").dropna().astype(str).str.strip()
    if trail is not None and (waiting & trail.tickets).any():
        # the status events' own labels (an audit log: Awaiting User Info, Awaiting
        # Vendor): the trail's waiting events of these tickets
        held = trail.events[trail.pending & waiting[trail.rows]]
        labels = pd.concat([labels, ctx.events[m.EV_VALUE].take(held).astype("object")
                            .dropna().astype(str).str.strip()])
    counts = labels[labels != ""].value_counts()
    return [str(k) for k in counts.index[:4]]


def recorded_weekly(ctx: Context) -> pd.DataFrame:
    """The weekly series of all usable incidents and requests as the tool records them
    (a clean-up script's closures counted as completions), computed once per Context."""
    usable, _, _ = scope_masks(ctx)
    frame: pd.DataFrame = ctx.memo("backlog_weekly", lambda: weekly_backlog(ctx, usable))
    return frame


def raw_weekly(ctx: Context, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The backlog's weekly series of all usable incidents and requests, computed once per
    Context for the backlog sign and the KPI panel: a clean-up script's closures
    (:func:`mass_closure`, by ``params`` or the sign's params in :attr:`Context.signs`)
    are no completions, their tickets open from their opening to the window end (the
    series as the tool records it: :func:`recorded_weekly`). Its weeks end at
    the data's end when the window reaches past it (:func:`week_edges`): the weeks after
    it hold no arrival and no completion, only the open tickets carried flat, which would
    read as a desk gone quiet, and a week across it would hold a few days of tickets
    counted as a whole week's."""
    mass = mass_closure(ctx, params)
    if mass is None or not mass.tickets.any():
        return recorded_weekly(ctx)
    usable, _, _ = scope_masks(ctx)
    frame: pd.DataFrame = ctx.memo(("backlog_weekly", "mass_open", _mass_key(ctx, params)),
                                   lambda: weekly_backlog(ctx, usable,
                                                          open_through=mass.tickets))
    return frame


def weekly_rows(ctx: Context) -> list[dict[str, Any]]:
    """The weekly series of incidents and requests as plain rows (also the KPI panel's)."""
    return series_rows(raw_weekly(ctx))


def _ticket_type(t: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Ticket type and the field it came from: request item, else category[/subcategory]."""
    item = filled(t[m.REQUEST_ITEM])
    cat = filled(t[m.CATEGORY])
    sub = filled(t[m.SUBCATEGORY])
    category = t[m.CATEGORY].astype(m.STRING_DTYPE).str.strip()
    with_sub = category + " / " + t[m.SUBCATEGORY].astype(m.STRING_DTYPE).str.strip()
    ttype = pd.Series(pd.NA, index=t.index, dtype=m.STRING_DTYPE)
    ttype = ttype.mask(cat, category).mask(cat & sub, with_sub)
    ttype = ttype.mask(item, t[m.REQUEST_ITEM].astype(m.STRING_DTYPE).str.strip())
    field = pd.Series(pd.NA, index=t.index, dtype=m.STRING_DTYPE)
    field = field.mask(cat, m.CATEGORY).mask(item, m.REQUEST_ITEM)
    return ttype, field


def _ticket_type_codes(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ticket_type` as integers: per ticket a code of its (field, type) pair, -1
    when it has no type; and the field and type text of each code.

    The type depends on a ticket's request item, category and subcategory only, so it is
    worded once per distinct combination of the three (a few thousand), not per ticket.
    """
    t = ctx.tickets
    combo = np.zeros(len(t), dtype=np.int64)
    for column in (m.REQUEST_ITEM, m.CATEGORY, m.SUBCATEGORY):
        codes, distinct = ctx.distinct(column)
        combo, _ = pd.factorize(combo * len(distinct) + codes)  # renumbered: no overflow
    combo = np.asarray(combo, dtype=np.int64)
    n_combos = int(combo.max()) + 1 if len(combo) else 0
    first = np.zeros(n_combos, dtype=np.int64)
    first[combo[::-1]] = np.arange(len(combo) - 1, -1, -1)  # a row holding each combination
    ttype, field = _ticket_type(t.iloc[first][[m.REQUEST_ITEM, m.CATEGORY, m.SUBCATEGORY]])
    has = ttype.notna().to_numpy(dtype=bool)
    pairs = pd.DataFrame({"field": field, "type": ttype}, copy=False)[has]
    pair_codes, pair_uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
    per_combo = np.full(n_combos, -1, dtype=np.int64)
    per_combo[has] = pair_codes
    fields = np.array([f for f, _ in pair_uniques], dtype=object)
    types = np.array([ty for _, ty in pair_uniques], dtype=object)
    return per_combo[combo], fields, types


def _automation(
    ctx: Context, done_in_window: pd.Series, params: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[Cost]]:
    """The ticket types with the most volume and the shortest median time to done."""
    pair, fields, types = _ticket_type_codes(ctx)
    # by kind: its median logged time where the export logs enough, else handle_minutes
    minutes_by_kind = {k: e.minutes for k, e in kind_effort(ctx).items()}
    # once per distinct kind (a handful), spread back to the tickets
    minutes = ctx.per_value(m.KIND, ("backlog.minutes", tuple(minutes_by_kind.items())),
                            lambda kind: kind.astype("object").map(minutes_by_kind)
                            .astype("float64").fillna(minutes_by_kind.get("other", 0.0)))
    rows = done_in_window.to_numpy(dtype=bool) & (pair >= 0)
    sel = np.flatnonzero(rows)
    if not len(sel):
        return [], []
    hours_sel = ctx.hours_to_done[sel]
    df = pd.DataFrame({
        "pair": pair[sel],
        # a negative duration is junk: it counts for volume, not for the median
        "hours": np.where(hours_sel >= 0, hours_sel, np.nan),
        "minutes": minutes.iloc[sel].to_numpy(),
    }, copy=False)
    g = df.groupby("pair").agg(
        volume=("hours", "size"), median_hours=("hours", "median"), minutes=("minutes", "sum")
    ).reset_index()
    g["field"] = fields[g["pair"].to_numpy()]
    g["type"] = types[g["pair"].to_numpy()]
    # the order a grouping by (field, type) text gives, on which the ranking below is stable
    g = g.sort_values(["field", "type"]).reset_index(drop=True)
    # frequent AND quick: a ticket type that takes a day to close is not a script's job
    g = g[(g["volume"] >= int(params["automation_min_volume"]))
          & (g["median_hours"] <= float(params["automation_max_median_hours"]))]
    if g.empty:
        return [], []
    # most volume and fastest: the sum of both ranks, volume breaking ties
    score = (g["volume"].rank(ascending=False, method="min")
             + g["median_hours"].rank(ascending=True, method="min", na_option="bottom"))
    g = g.assign(score=score).sort_values(
        ["score", "volume", "type"], ascending=[True, False, True]
    ).head(int(params["automation_candidates"]))
    table: list[dict[str, Any]] = []
    for row in g.itertuples(index=False):  # at most automation_candidates rows
        mask = rows & (pair == row.pair)
        table.append({
            "ticket_type": str(row.type),
            "field": str(row.field),
            "volume": int(row.volume),
            "volume_per_month": round(per_month(row.volume, ctx.window), 1),
            "median_hours_to_done": None if pd.isna(row.median_hours)
            else round(float(row.median_hours), 2),
            "minutes_each": round(float(row.minutes) / int(row.volume), 1),
            "sample_ids": ctx.samples(mask),
        })
    volume = float(g["volume"].sum())
    total_minutes = float(g["minutes"].sum())
    costs: list[Cost] = []
    if total_minutes > 0:
        priced = rows & np.isin(pair, g["pair"].to_numpy())  # the candidates' tickets
        costs.append(Cost(
            basis="automation", count=volume,
            hours_per_month=per_month(total_minutes / 60.0, ctx.window),
            params={"volume_per_month": per_month(volume, ctx.window),
                    "minutes": total_minutes / volume, "types": len(table),
                    "max_hours": float(params["automation_max_median_hours"]),
                    "effort": effort_words(ctx, ctx.tickets[m.KIND].iloc[np.flatnonzero(
                        priced)].dropna().unique())},
        ).handling(ctx.tickets, priced,
                   minutes * per_month(1, ctx.window) / 60.0))
    return table, costs


def _open_by_age(ctx: Context, open_mask: pd.Series, bounds: list[float],
                 stamped: pd.Series | None = None) -> list[dict[str, Any]]:
    """The open tickets by age in days; those under ``stamped`` (opened in an import's
    hour: the extract's opening burst) in a row of their own (``stamped``), their age not
    known, the shares over every open ticket."""
    aged = open_mask if stamped is None else open_mask & ~stamped
    age = (ctx.window.covered_end - ctx.tickets.loc[aged, m.OPENED_AT]
           ) / pd.Timedelta(days=1)
    edges = [float(b) for b in bounds]
    counts = np.bincount(np.searchsorted(edges, age.to_numpy("float64"), side="right"),
                         minlength=len(edges) + 1)
    labels = [f"<{edges[0]:g}"]
    labels += [f"{a:g}-{b:g}" for a, b in pairwise(edges)]
    labels.append(f">{edges[-1]:g}")
    unknown = 0 if stamped is None else int((open_mask & stamped).sum())
    if unknown:
        labels.append("stamped")
        counts = np.append(counts, unknown)
    total = int(counts.sum())
    return [
        {"age_days": label, "count": int(c), "share": (int(c) / total) if total else None}
        for label, c in zip(labels, counts, strict=True)
    ]


def with_trend(rows: list[dict[str, Any]], first: int, start: float, end: float
               ) -> list[dict[str, Any]]:
    """The weekly rows with the sign's trend line at each week end (``None`` before
    ``first``, the weeks left out of the trend): the straight line from the start level
    to the end level (to a tenth of a ticket), so a reader (and the forecast) takes its
    slope a week from the same numbers the sign grades."""
    span = max(len(rows) - 1 - first, 1)
    return [{**row, "trend": None if i < first
             else round(start + (end - start) * (i - first) / span, 1)}
            for i, row in enumerate(rows)]


def _flow_evidence(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    from itsm_diag.analyses.flow import evidence

    # the variants' "tail" flag marks the row of every other path, which says so itself:
    # the flow analysis does not show it either
    return {name: [{k: v for k, v in row.items() if k != "tail"} for row in rows]
            for name, rows in evidence(ctx, ("time_in_status", "status_variants")).items()}


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    w = ctx.window
    scope = ctx.of_kind(*SCOPE_KINDS)
    usable, no_open, no_done_time = scope_masks(ctx)
    excluded: list[Note] = []
    if no_open.any():
        excluded.append(Note(code="no_open_times", count=int(no_open.sum()),
                             sample_ids=ctx.samples(no_open)))
    if no_done_time.any():
        excluded.append(Note(code="done_without_time", count=int(no_done_time.sum()),
                             sample_ids=ctx.samples(no_done_time)))
    if not scope.any():
        return Measurement(unknown=Note(code="no_scope"), excluded=excluded)
    if not (scope & ~no_open).any():
        return Measurement(unknown=Note(code="no_open_times", count=int(no_open.sum())),
                           excluded=excluded)
    if not usable.any():
        if no_done_time.any():  # opened, but every done one lacks its done time
            return Measurement(unknown=Note(code="done_times_sparse", count=int(
                no_done_time.sum()), params={"share": 0.0, "done": int(no_done_time.sum()),
                                             "min": float(params["min_done_time_share"])}),
                               excluded=excluded)
        return Measurement(unknown=Note(code="no_scope"), excluded=excluded)
    # a queue of a dozen tickets going 0 -> 3 is not a trend: ask for a real flow first
    short = too_few(int((scope & ctx.opened_in_window()).sum()), int(params["min_tickets"]))
    if short is not None:
        return Measurement(unknown=short, excluded=excluded)
    # done tickets that cannot be placed in time leave holes in every week's backlog: of
    # the tickets done at the window end (by a done time up to it; one done after it was
    # open then), and those done without a time, which might have been
    done_then = scope & ctx.opened_by_end() & (
        ctx.is_done() & ctx.done_by_end().notna() | no_done_time)
    placed = 1.0 - float(no_done_time.sum()) / max(int(done_then.sum()), 1)
    if placed < float(params["min_done_time_share"]):
        return Measurement(unknown=Note(code="done_times_sparse", count=int(no_done_time.sum()),
                                        params={"share": placed, "done": int(done_then.sum()),
                                                "min": float(params["min_done_time_share"])}),
                           excluded=excluded)
    # an extract selected on closure holds no ticket that was still open when it was cut:
    # every past week's backlog is missing exactly the tickets that make a backlog; one
    # of the open queue alone has no completions to weigh the arrivals against
    # ... yet whether the export reaches back far enough is read all the same (the KPI
    # panel's time to resolve leans low on it whatever the trend's verdict): the shape's
    # unknown is returned once the reach test below has recorded what it found
    seen = ctx.shape.as_dict()
    shaped = next((Measurement(unknown=Note(code=code, params=_shape_params(seen[code])),
                               excluded=excluded,
                               # no week's open count stands beside its "n/a": the
                               # weeks' arrivals and completions do (:func:`flow_rows`)
                               series={"weekly_flow": flow_rows(weekly_rows(ctx))})
                   for code in NO_TREND_SHAPES if code in seen), None)

    notes: list[Note] = []
    # a clean-up script closing thousands in an hour is not productivity. It shows in the
    # closed time (a script closing long-resolved tickets) or in the done time (a script
    # resolving stale ones): look at both. Only tickets whose done time *is* the clean-up
    # are no completion: open from their opening to the window end, as they were before
    # it and would be without it (nobody worked them); a ticket resolved earlier by a
    # person keeps its real done time.
    done_in_window = usable & ctx.done_in_window()
    found = mass_closure(ctx, params)
    if found is None:  # the sign's own params hold the rule: never, but typed so
        raise ValueError("the backlog sign's params hold no mass-closure rule")
    mass, touched = found.tickets, found.touched
    done_hour, closed_hour = found.done_hour, found.closed_hour
    mass_notes: list[Note] = []
    for hour in found.hours[:MAX_MASS_NOTES]:
        start = hour_numbers(pd.Series([hour]))[0]
        done_then = done_hour == start
        in_hour = touched & (done_then | (closed_hour == start))
        left_out = in_hour & mass & done_then
        mass_notes.append(Note(code="mass_closure", count=int(in_hour.sum()), params={
            "hour": f"{pd.Timestamp(hour):%Y-%m-%d %H:00} UTC",
            "excluded": int(left_out.sum())}, sample_ids=ctx.samples(in_hour)))
    if found.resolved_closed.any():
        # the tool closing resolved tickets in bulk (a nightly auto-close job): said, and
        # no week moves (their done time is the resolved time)
        notes.append(Note(code="mass_close_resolved", count=int(found.resolved_closed.sum()),
                          params={"hours": len(found.resolved),
                                  "first": f"{found.resolved.index[0]:%Y-%m-%d %H:00} UTC",
                                  "last": f"{found.resolved.index[-1]:%Y-%m-%d %H:00} UTC",
                                  "scheduled": Note(
                                      code="mass_close_resolved." + (
                                          "scheduled" if found.resolved_scheduled
                                          else "unscheduled"),
                                      count=found.resolved_scheduled),
                                  "min": int(params["mass_closure_min"]),
                                  "factor": float(params["mass_closure_factor"])},
                          sample_ids=ctx.samples(found.resolved_closed)))

    # the backlog's weeks: the clean-up's tickets open to the window end (the tool's
    # record, their closure a completion, is its own table)
    raw = raw_weekly(ctx, params)
    gap = ctx.shape.gap
    if gap is not None and gap.first_after > w.start and gap.last_before < w.end:
        # weeks without a ticket (a file of a split export missing) inside the window:
        # the backlog dips through them and climbs back, which no trend measures (weeks
        # after its end are no week of it)
        return shaped or Measurement(unknown=Note(code="gap", params=gap.params()),
                                     excluded=excluded, series={"weekly": series_rows(raw)})
    trend = raw
    # the window's weeks after the data's end (a --until after the export was pulled)
    # hold no evidence: the weeks end at the data's end (week_edges), and a note says so
    tail = w.covered_end < w.end
    last_day = f"{m.local_day(w.covered_end, ctx.tz):%Y-%m-%d}"
    earliest = t.loc[usable, m.OPENED_AT].min()
    flow = ctx.shape.flow_start
    first_day = f"{m.local_day(earliest, ctx.tz):%Y-%m-%d}" if pd.notna(earliest) else ""
    # the clause the notes open with: where the export starts, and why there
    starts = Note(code="starts_first_ticket", params={"first": first_day})
    if flow is not None and pd.notna(earliest) and earliest < flow:
        # tickets opened before the export's flow starts (ExtractShape.flow_start) that
        # are (next to) all still open are strays or an open backlog the export carries
        # ("open, or opened last month"), not where it starts: it lacks the tickets done
        # meanwhile. Done ones among them (a pilot's) show it reaches back, but not into
        # the window: a trickle there holds no evidence of the flow's trend, and the
        # queue that fills from the flow's start is the tool's adoption, not its growth
        before = usable & (t[m.OPENED_AT] < flow).fillna(False).astype(bool)
        # done by the window end: one done after it was still open then
        earlier, done = int(before.sum()), int((before & ctx.done_by_end().notna()).sum())
        if flow > w.start or done <= float(params["carried_max_done_share"]) * earlier:
            earliest = flow
            first_day = f"{m.local_day(earliest, ctx.tz):%Y-%m-%d}"
            starts = Note(code="starts_flow", params={
                "first": first_day, "earlier": earlier, "still": earlier - done})
    # weeks of the window that end before the export's start hold no evidence (a
    # window reaching back before the data): out of the trend and of the arrival rate
    lead = int((trend["week_end"] < earliest).sum()) if pd.notna(earliest) else 0
    min_weeks = int(params["min_trend_weeks"])
    if len(trend) - lead < min_weeks:
        # the end's note when the window reaches past the data's end (said with its day)
        covers: dict[str, Any] = {"starts": starts, "weeks": len(trend) - lead,
                                  "window_weeks": len(trend), "min": min_weeks}
        ends = {**covers, "last": last_day, "covered": w.covered_weeks,
                "window_weeks": weeks_said(w.days)}
        return shaped or Measurement(unknown=Note(
            code="data_ends_early", params=ends) if tail else Note(
            code="data_starts_late", params=covers),
            excluded=excluded, series={"weekly": series_rows(raw)})
    if lead:
        notes.append(Note(code="before_data", params={"weeks": lead, "starts": starts}))
    if tail:
        notes.append(Note(code="after_data", params={"weeks": w.weeks_after_data,
                                                     "last": last_day}))
    # the weeks are whole weeks back from the window end: days of a window that is not a
    # whole number of weeks come before the first one, and their arrivals are in no week
    first_start = pd.Timestamp(week_edges(w, ctx.tz)[0], tz="UTC")
    opened = t[m.OPENED_AT]
    before = usable & ((opened >= w.start) & (opened <= first_start)).fillna(
        False).astype(bool)
    if before.any() and not lead:
        notes.append(Note(code="days_before_weeks", count=int(before.sum()), params={
            "days": (m.local_day(first_start, ctx.tz) - m.local_day(w.start, ctx.tz)).days
            + 1, "weeks": len(trend), "last": last_day}, sample_ids=ctx.samples(before)))
    # an export filtered by open date lacks the tickets opened before it and still open
    # in the window's first weeks: its backlog starts low and climbs. Whether it reaches
    # back far enough is read from its own stays (a queue whose tickets stay open for
    # months needs months of history), and always looked at within ramp_lookback_days
    ramp = 0
    lookback = pd.Timedelta(days=float(params["ramp_lookback_days"]))
    # for both, read once; the stays of the tickets from the start on (those before a
    # flow's start are there for being still open: a stay the cut chose, not the flow's)
    from_start = usable & (t[m.OPENED_AT] >= earliest).fillna(False).astype(bool) \
        if pd.notna(earliest) else usable
    # (a clean-up's ticket: a stay still running at the window end)
    stays = cache(partial(stays_of, ctx, from_start, mass if mass.any() else None))
    cut_on_open = bool(pd.notna(earliest) and (
        earliest >= w.start - lookback
        or not reaches_back(ctx, usable & ~mass, earliest, trend, lead, params, stays)))
    if cut_on_open:
        ramp = leading_ramp(trend["open"].to_numpy()[lead:], float(params["ramp_share"]))
    if ramp:
        notes.append(Note(code="ramp", params={"weeks": ramp}))
    levels = trend["open"].to_numpy()[lead + ramp:]
    start, end = trend_levels(levels)
    # the tickets opened before the export and still open in the trend's weeks, when it
    # does not reach back far enough (their estimate, or that they have no bound)
    unseen, missing = (_unseen_at_start(ctx, stays(), earliest, starts, trend, lead + ramp,
                                        start, end, params) if cut_on_open else (None, None))
    # ... which the trend's figures count when it estimates them and they make the trend
    # shrink more (or grow less): the export's own tickets alone read the cut's ramp as
    # the queue's growth (a desk that grew 4% read "growth 118%"). The weekly table and
    # its trend line stay the export's own counts; the note gives both trends
    counted = _counted(unseen, levels, start, end) if unseen is not None else None
    own_line = start, end
    if counted is not None and missing is not None:
        levels = levels + missing
        start, end = counted
    if min(start, end) < 0:
        # a straight line through a queue that empties dips below zero: a backlog cannot,
        # so the levels are the medians of the first and last weeks instead
        edge = int(params["edge_weeks"])
        start, end = float(np.median(levels[:edge])), float(np.median(levels[-edge:]))
        notes.append(Note(code="levels_from_edges", params={"weeks": edge}))
    # the weekly table's trend line: through its own counts, not the estimate
    line = own_line if counted is not None else (start, end)

    # open at the end as the weekly series counts it (by the status history where known)
    # (at the data's end when the window reaches past it: ages do not grow through weeks
    # the export never saw)
    open_mask = open_at(ctx, usable, w.covered_end) | (mass & (
        t[m.OPENED_AT] <= w.covered_end).fillna(False).astype(bool))
    age = (w.covered_end - t[m.OPENED_AT]) / pd.Timedelta(days=1)
    oldest = ctx.samples(open_mask, order_by=age)
    open_now = int(open_mask.sum())
    # tickets "opened" in an import's hour (the extract's opening burst): their age is
    # the import's, not theirs, so the age table counts them apart and says so
    stamped = open_mask & opening_burst_rows(ctx.shape, t[m.OPENED_AT])
    burst = ctx.shape.opening_burst
    if burst is not None and stamped.any():  # rows in a burst only when there is one
        notes.append(Note(code="open_by_age_stamped", count=int(stamped.sum()), params={
            "open": open_now, "hour": f"{burst.hours[0]:%Y-%m-%d %H:00}",
            "days": float((w.covered_end - burst.hours[-1]) / pd.Timedelta(days=1))},
            sample_ids=ctx.samples(stamped)))
    if mass_notes:
        # each clean-up with both readings: its tickets open to the window end (the
        # sign's figures) and counted done at it, as the tool records them
        recorded = recorded_weekly(ctx)["open"].to_numpy()[lead + ramp:]
        rec_start, rec_end = trend_levels(recorded)
        readings = {"start": start, "end": end, "open_with": open_now,
                    "open_without": int((open_mask & ~mass).sum()),
                    "recorded_start": rec_start, "recorded_end": rec_end}
        notes[0:0] = [n.model_copy(update={"params": {**n.params, **readings}})
                      for n in mass_notes]
    mean_arrivals = float(raw["arrivals"].to_numpy()[lead:].mean())
    # a share of a near-empty start is no figure (0.4 -> 768 is "+190,000%"): below the
    # floor the shrink is not a percentage, and whether the queue shrank is settled by
    # the levels themselves
    floor = max(float(params["min_start_tickets"]),
                float(params["min_start_weeks"]) * mean_arrivals)
    decided: dict[str, bool] = {}
    if start < floor:
        shrink = Figure(value=None, numerator=start - end, denominator=None, sample_ids=oldest)
        decided["min_shrink"] = end >= start
        notes.append(Note(code="near_empty_start", params={
            "start": start, "end": end, "floor": floor,
            "grew": "grew" if end > start else "did not grow"}))
    else:
        shrink = Figure(value=(start - end) / start, numerator=start - end, denominator=start,
                        sample_ids=oldest)
    metrics = {
        "backlog_start": Figure(value=start),
        "backlog_end": Figure(value=end),
        "backlog_shrink": shrink,
        # an empty queue is no backlog whatever the arrivals; a queue with no arrivals at
        # all cannot be put in weeks of them
        "backlog_weeks_of_arrivals": Figure(
            value=open_now / mean_arrivals if mean_arrivals > 0
            else (0.0 if open_now == 0 else None),
            numerator=float(open_now), denominator=mean_arrivals, sample_ids=oldest),
        "arrivals_per_completion": ratio(float(trend["arrivals"].sum()),
                                         float(trend["completions"].sum())),
        "open_now": Figure(value=float(open_now), sample_ids=oldest),
    }
    # of the open tickets, those waiting on the caller or a third party (pending): at
    # the window end, and at each week end where status events say so (an audit log)
    waits = _waiting(ctx, open_mask, usable, lead + ramp, levels, mean_arrivals, floor,
                     open_now)
    metrics["waiting_now"] = waits.figure
    notes.extend(waits.notes)
    # the KPI panel and the forecast read them (:func:`waiting_found`)
    ctx.memo(("backlog", "waiting"), lambda: waits)
    # the Monday list and the KPI panel read whether the queue at the window end lacks
    # tickets (:func:`unseen_at_end`), whatever the verdict
    ctx.memo(("backlog", "unseen"), lambda: (unseen, earliest, first_day))
    if shaped is not None:  # no trend to grade, nor one the forecast could read
        return shaped
    # the candidates are done work: the tickets the KPI panel, the reopen check and the
    # drivers weigh (a cancelled or duplicate ticket given up in minutes, a machine's
    # alert, a major incident's child are no quick type a script could take over)
    # (``kept`` already leaves out the clean-up's tickets: the same memoised set as
    # ``found``, so the note's count and the candidates agree)
    left = left_out_done(ctx, done_in_window)
    candidates, costs = _automation(ctx, left.kept, params)
    parts = left.parts(AUTOMATION_LEFT_OUT)
    if parts:
        # the kinds it holds, each a clause; a kind with none is not said
        notes.append(Note(code="automation_left_out", count=sum(n for _, n in parts),
                          params={"kept": int(left.kept.sum()), "parts": [
                              Note(code=f"automation_left_out.{kind}", count=n)
                              for kind, n in parts]},
                          sample_ids=ctx.samples(done_in_window & ~left.kept)))
    per_day = float(trend["arrivals"].to_numpy()[lead + ramp:].sum()) / (7.0 * len(levels))

    @cache
    def flat(weeks: int) -> np.ndarray:
        # the estimate's note and the shrink's noise both read it: one Kaplan-Meier pass
        return flat_queue_cov(stays(), per_day, weeks)

    estimate = (_estimate_note(unseen, levels, counted is not None, params, flat)
                if unseen is not None and unseen.code == "unseen_at_start" else None)
    if estimate is not None:
        notes.append(estimate)
    # the forecast reads whether the trend lacks tickets (:func:`trend_cut`): of the line
    # it projects, the weekly table's (the export's own tickets where the sign's figures
    # count the estimate: a counted shrink does not make their ramp a projection)
    ctx.memo(("backlog", "trend_cut"), lambda: _trend_cut(unseen, first_day, *line))
    material = _unseen_material(unseen, open_now, mean_arrivals)
    # the move a queue that did not move shows over these week ends (with a flat queue's
    # week ends from the desk's own arrivals and stays): a shrink within it is no clear,
    # and a growth within it no firm trigger (the engine grades either end of the
    # shrink's interval, its standard error below)
    moves = (_trend_noise(np.asarray(levels, dtype="float64"), start, params, flat)
             if shrink.value is not None and levels.size >= 3 and start > 0 else None)
    noisy = _shrink_in_noise(levels, start, end, params, said=moves) if moves else None
    if moves is not None:
        # the counted trend's give-or-take adds the estimate's own count noise to it
        se = (estimate.params["give"] / t_quantile(
            0.5 + float(params["noise_interval_share"]) / 2, levels.size - 2)
            if counted is not None and estimate is not None
            else moves["se"] * (levels.size - 1) / start)
        metrics["backlog_shrink"] = shrink.model_copy(update={
            "se": se, "se_df": int(levels.size) - 2})
    # the open count at the window end is one week end's draw: a clear that the queue is
    # too small to matter is graded again at the top of its noise
    small = _small_in_noise(levels, end, open_now, mean_arrivals, params)
    # the trend counts reopened tickets of a list export open since they were opened;
    # counted done until a reopen their times allow, a clear must hold too (the least
    # shrink of those histories)
    absence, clear_case = noisy, ({} if noisy is None else {
        "backlog_shrink": noisy.params["shrink"] - noisy.params["noise"]})
    # a shrink that only the estimate of the tickets the export lacks shows is no clear:
    # it must hold on the export's own tickets too (a shrink there stands). Its note is
    # the reason of an unknown only when a clear could rest on the counted shrink (at
    # some bar: not one that grew, under every bar), and over the shrink's noise only
    # when the export's own tickets do not shrink (their ramp is the story; where they
    # shrink too, the estimate adds a few tickets and the noise's note says why, the
    # estimate among the notes). Whether the clear rested on the shrink or on a small
    # queue is the thresholds' to say: the open count's note joins it below
    if counted is not None and estimate is not None:
        own_start, own_end = own_line
        own = (own_start - own_end) / own_start if own_start > 0 else -1.0
        clear_case = {"backlog_shrink": min(own, clear_case.get("backlog_shrink", own))}
        shrank = end < start if shrink.value is None else shrink.value >= 0
        if shrank and (absence is None or own <= 0):
            if absence is not None:
                notes.append(absence)
            absence = estimate
    if shrink.value is not None:
        histories, whens, stale = _reopened_then(ctx, usable & ~mass, trend, lead + ramp)
        if histories.any():
            shrinks = []
            for done_then in histories:
                s_done, e_done = trend_levels(levels - done_then)
                shrinks.append(((s_done - e_done) / s_done if s_done > 0 else 0.0, s_done, e_done))
            pick = int(np.argmin([x[0] for x in shrinks]))
            least, start_done, end_done = shrinks[pick]
            if least < shrink.value:
                # the reopen week in the words, or "each at its last update" (its own message)
                last = "" if whens[pick] is not None else "_last"
                said = Note(code=f"reopened_done_before{last}", count=int(stale.sum()), params={
                    "start": start, "end": end, "shrink": shrink.value,
                    "start_done": start_done, "end_done": end_done, "least": least,
                    "when": whens[pick] or ""}, sample_ids=ctx.samples(stale))
                notes.append(said.model_copy(update={"code": f"reopened_estimate{last}"}))
                if not clear_case or least < clear_case["backlog_shrink"]:
                    absence, clear_case = said, {"backlog_shrink": least}
    # the open tickets the export lacks make the backlog only larger: a clear that it is
    # too small to matter is graded again with them (a clear on the shrink stands). With
    # another unproven clear, that one's note says why and this one is among the notes
    if material is not None:
        said, weeks_with = material
        if absence is None:
            absence = said
        else:
            notes.append(said)
        clear_case = {**clear_case, "backlog_weeks_of_arrivals": weeks_with}
    # ... and at the top of the open count's noise (on top of the tickets the export
    # lacks); a clear on the shrink stands. With the shrink in its noise too, one note
    # says both (it is the reason of an unknown either way); with another unproven clear
    # (the reopened tickets'), that one's note says why and this one is among the notes
    if small is not None:
        said, margin = small
        # the top of the noise over the larger of the open count and the count with the
        # tickets the export lacks (the clear case above)
        weeks_at = max(clear_case.get("backlog_weeks_of_arrivals", 0.0) + margin,
                       said.params["weeks_upper"])
        clear_case = {**clear_case, "backlog_weeks_of_arrivals": weeks_at}
        small_params = {f"small_{k}": v for k, v in said.params.items()}
        if absence is None:
            absence = said
        elif absence.code == "shrink_in_noise":
            absence = Note(code="shrink_and_small_in_noise",
                           params={**absence.params, **small_params})
        elif absence.code == "unseen_counted":
            # whether the clear rested on the counted shrink (the estimate refuses it)
            # or on the queue being small (its noise refuses that) is the thresholds'
            # to say, so one note says both, as above
            absence = Note(code="unseen_counted_and_small_in_noise",
                           params={**absence.params, **small_params})
        else:
            notes.append(said)
    return Measurement(
        metrics=metrics,
        decided=decided,
        # a shrink a flat queue's week-to-week noise shows as often is no evidence that
        # it shrank: a clear is graded again at the low end of the noise (a shrink under
        # zero), and stands only when it did not rest on the shrink (a queue too small to
        # matter); a triggered one stands
        absence_unproven=absence,
        clear_case=clear_case,
        # (the trend's figures count the estimate already: no second grade on it); a
        # trigger that the waiting tickets decide is graded again on the workable queue
        presence_unproven=waits.presence(None if counted is not None else unseen),
        worst_case=waits.worst_case({} if unseen is None or counted is not None
                                    else {"backlog_shrink": unseen.params["shrink_with"]}),
        confidence="medium" if (ramp or mass.any() or unseen is not None) else "high",
        tables={
            "open_by_age": _open_by_age(ctx, open_mask, list(params["age_buckets_days"]),
                                        stamped if stamped.any() else None),
            "automation_candidates": candidates,
            # where the time to done goes, from the flow view (status history)
            **_flow_evidence(ctx),
        },
        # the backlog's weeks (a clean-up's tickets open to the window end: the series
        # the trend is fitted to, and the forecast's), and with mass closures the weeks
        # as the tool records them (their closure a completion)
        series={"weekly": with_trend(series_rows(raw), lead + ramp, *line),
                **({"recorded_weekly": series_rows(recorded_weekly(ctx))}
                   if mass.any() else {})},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
