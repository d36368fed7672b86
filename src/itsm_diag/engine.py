"""Grade measurements against the rule files' thresholds and assemble the Report.

Sign modules measure; this module decides ``triggered``/``clear``/``unknown``, words
every finding from the rule files, prices it in agent hours and ranks the fix plan.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from itsm_diag import __version__, progress
from itsm_diag import model as m
from itsm_diag.config import KPI_TARGETS, Condition, Fix, RuleFile, Rules, worded
from itsm_diag.errors import UsageError
from itsm_diag.report import (
    Assumptions,
    ColumnOut,
    ConditionOut,
    CostOut,
    EffortOut,
    Evidence,
    Finding,
    FixOut,
    InputInfo,
    KeyFigure,
    Kpis,
    MetricOut,
    NoiseOut,
    NoteOut,
    PeriodOut,
    Report,
    SharedHours,
    Status,
    TableOut,
    ThresholdOut,
    TicketCounts,
    Tool,
    WindowOut,
)
from itsm_diag.signs.backlog import flow_rows, no_week_shape, unseen_at_end
from itsm_diag.signs.base import Calendar, Context, Measurement, Note, Window, weeks_said
from itsm_diag.signs.common import kind_effort
from itsm_diag.signs.shape import (
    ExtractShape,
    StartsLate,
    export_first_day,
    flow_start,
    judge_none_open,
    judge_update_cut,
    measure_shape,
    weeks_of,
)
from itsm_diag.stats import newcombe, poisson_difference, poisson_score, t_quantile, wilson
from itsm_diag.text import (
    beside_decimals,
    figure,
    figure_exact,
    fmt,
    fmt_known,
    joined,
    with_exact,
    with_named,
)

BANDS: tuple[tuple[int, str], ...] = ((1, "healthy"), (3, "gaps"), (5, "slowing"), (7, "crisis"))
#: the bands from best to worst, and the highest score (every sign triggered)
BAND_ORDER: tuple[str, ...] = tuple(name for _, name in BANDS)
MAX_SCORE: int = BANDS[-1][0]
#: the band of a report whose unknown signs could still move it
UNDETERMINED = "undetermined"


def band_for(score: int) -> str:
    """0-1 healthy, 2-3 gaps, 4-5 slowing, 6-7 crisis."""
    for top, name in BANDS:
        if score <= top:
            return name
    return "crisis"


def band_range(score: int, unknown: int) -> tuple[str, str]:
    """The bands of ``score`` and of ``score + unknown``: where the band lies whatever
    the unknown signs turn out to be."""
    return band_for(score), band_for(score + unknown)


def honest_band(score: int, unknown: int) -> str:
    """The band, stated only when the unknown signs cannot move it; else undetermined."""
    low, high = band_range(score, unknown)
    return low if low == high else UNDETERMINED


def noise_band_range(score: int, unknown: int, noisy: tuple[int, int] = (0, 0)
                     ) -> tuple[str, str]:
    """:func:`band_range` widened by the verdicts within sampling noise, each read the
    other way: ``noisy`` is (triggered within noise, clear within noise)."""
    return band_for(score - noisy[0]), band_for(score + unknown + noisy[1])


def band_sentence(score: int, unknown: int, signs: int, wording: Mapping[str, str],
                  bands: Mapping[str, str], noisy: tuple[int, int] = (0, 0)) -> str:
    """The verdict in words: the band's sentence, or, when unknown signs could move it,
    how many signs were answered and where the band lies; and, when verdicts within
    sampling noise (``noisy``: triggered, clear) could move it further, by how far."""
    low, high = band_range(score, unknown)
    said = bands[low] if low == high else fmt(wording["band_undetermined"], {
        "score": score, "answered": signs - unknown, "unknown": unknown, "low": low,
        "high": high})
    wide = noise_band_range(score, unknown, noisy)
    if wide == (low, high):
        return said
    # the unknown signs' share of the range is said with it, not laid on the noise
    key = "band_within_noise.unknown" if unknown else "band_within_noise"
    return f"{said} " + fmt(wording[key], {
        "noisy": sum(noisy), "verb": "is" if sum(noisy) == 1 else "are", "unknown": unknown,
        "low": score - noisy[0], "high": score + unknown + noisy[1],
        "low_band": wide[0], "high_band": wide[1]})


def shape_notes(shape: ExtractShape, wording: Mapping[str, str]) -> list[str]:
    """The extract's shape as data notes (worded by ``defaults.wording``)."""
    out = []
    for code, values in shape.as_dict().items():
        # the whole export, or the one tool whose tickets alone are cut so
        values = {**values, "subject": fmt(wording[
            "shape_subject.source" if values.get("source") else "shape_subject.export"],
            values)}
        if code == "none_open":  # its cut after the window's end: what the window lacks
            values = {**values, "at_end": fmt(wording["none_open_at_end"], values)
                      if "window_end" in values else ""}
        if code == "starts_late":  # the strays before the flow, said only when there are any
            values = {**values, "strays": " " + fmt(wording["starts_late_strays"], values)
                      if values["earlier"] else ""}
        if code == "updated_since":  # what is judged on it: said by what it shows
            judged = ("judged" if values.get("covered") else "stands"
                      if values.get("before_window") else "refused")
            values = {**values, "judged": fmt(wording[f"updated_since_{judged}"], values)}
        out.append(fmt(wording[f"shape.{code}"], values))
    return out


# ---- window ----------------------------------------------------------------------------

#: the last instant a window includes of its last day: timestamps are kept to the microsecond
LAST_TICK = pd.Timedelta(microseconds=1)


def day_start(ts: pd.Timestamp, tz: str = "UTC") -> pd.Timestamp:
    """The first instant of the calendar day (in ``tz``) holding ``ts``, as a UTC
    timestamp: 00:00, or 01:00 on a day whose midnight a clock change skips."""
    return m.wall_time_to_utc(m.local_day(ts, tz), tz)


def day_end(ts: pd.Timestamp, tz: str = "UTC") -> pd.Timestamp:
    """The last microsecond of the calendar day (in ``tz``) holding ``ts``, in UTC: a
    window that ends there includes the whole day (``--until 2026-09-30``)."""
    return m.wall_time_to_utc(m.local_day(ts, tz) + pd.Timedelta(days=1), tz) - LAST_TICK


@dataclass
class WindowChoice:
    window: Window
    how: str
    notes: list[str] = field(default_factory=list)
    tz: str = "UTC"


def _weekly_arrivals(opened: pd.Series) -> pd.Series:
    """Tickets opened per UTC calendar week (pandas' ``"W"`` periods, Monday to Sunday),
    every week from the first to the last that holds one, empty weeks as 0: counted on
    the weeks' integer numbers (:func:`~itsm_diag.signs.shape.weeks_of`) instead of
    a period per ticket."""
    week = weeks_of(opened)
    first = int(week.min())
    counts = np.bincount(week - first)
    weeks = pd.period_range(pd.Period(ordinal=first, freq="W"), periods=len(counts),
                            freq="W")
    return pd.Series(counts.astype(np.int64), index=weeks)


def _after_as_of(tickets: pd.DataFrame, as_of: pd.Timestamp, done: pd.Series
                 ) -> dict[str, int]:
    """How many tickets were opened, and how many done (``done``: their done times),
    after ``as_of``: what a window ending there leaves out, said whenever the as-of is
    not the data's end."""
    return {"opened": int((tickets[m.OPENED_AT] > as_of).sum()),
            "done": int((done > as_of).sum()), "total": len(tickets)}


def choose_window(
    tickets: pd.DataFrame,
    rules: Rules,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
    note: str | None = None,
    tz: str = "UTC",
    shape: ExtractShape | None = None,
    done_at: pd.Series | None = None,
) -> WindowChoice:
    """The analysis window and a sentence saying how it was chosen (``note``, such as
    what a ``--since last-month`` resolved to, is added to that sentence). ``done_at``:
    the tickets' done times when the caller has them (worked out here otherwise).

    Bounds are whole days in ``tz``: the window starts at 00:00 of its first day and ends
    at the last microsecond of its last day, so the dates it prints, passed back as
    ``--since``/``--until``, give the same window. As-of is ``until`` when given; else
    the end of the day of the latest timestamp in the data, unless the data thins out:
    when the last *active* week (arrivals at least ``active_week_share`` of the
    90th-percentile week) ends more than ``tail_weeks`` before the latest timestamp,
    as-of moves back to the end of the day of that week's latest timestamp, and a note
    counts the tickets opened and the tickets done after it. An extract
    selected on closure keeps its end: its completions come last, and moving back would
    hide them.
    """
    d = rules.defaults
    words = d.wording
    done = m.done_at(tickets) if done_at is None else done_at  # the tickets' done times
    latest = m.activity_bound(tickets, last=True)
    notes: list[str] = []
    # the end of the data: where the window would end without --until (a --until after
    # it leaves the window's part after it without a ticket: Window.data_to)
    data_end = None if latest is None else _data_end(tickets, rules, latest, tz, shape,
                                                            done)
    if until is not None:
        as_of = until
        how = f"as-of {_local(as_of, tz)} from --until"
    elif data_end is None:
        raise UsageError(
            "no ticket has an opened, resolved, closed or updated time",
            hint="check the date columns with 'itsm-diag inspect'",
        )
    else:
        as_of, how, thinned = data_end
        notes.extend(thinned)
    if since is not None:
        start = since
        how += f"; start {_local(start, tz, with_time=False)} from --since"
    else:
        # whole days: the window holds exactly window_weeks x 7 calendar days
        first_day = m.local_day(as_of, tz) - pd.Timedelta(days=7 * d.window_weeks - 1)
        start = m.wall_time_to_utc(first_day, tz)
        how += f"; window the {d.window_weeks} weeks up to it"
        floor = shape.updated_since.floor if shape is not None and shape.updated_since else None
        if floor is not None:
            # an export selected on its update time lacks what was done before its floor:
            # the window starts on the first whole day after it, so counts a month and
            # the hours they cost are not spread over weeks the export does not hold
            after = m.wall_time_to_utc(m.local_day(floor, tz) + pd.Timedelta(days=1), tz)
            if start < after < as_of:
                start = after
                how += fmt(words["window_after_update_floor"], {
                    "start": _local(start, tz, with_time=False),
                    "floor": _local(floor, tz)})
    if start >= as_of:
        raise UsageError(
            f"the window is empty: start {_local(start, tz)} is not before end "
            f"{_local(as_of, tz)}",
            hint="check --since and --until",
        )
    if until is not None and since is None and note is None:
        after = _after_as_of(tickets, as_of, done)
        if after["opened"] or after["done"]:
            notes.append(fmt(words["window_until_leaves_out"], {
                "as_of": _local(as_of, tz, with_time=False), **after}))
    if note:
        how += f"; {note}"
    # the first ticket of the flow, not a stray opened long before it (ExtractShape),
    # and never before an update cut's floor (a --since before it reaches back further)
    data_from = export_first_day(tickets, shape, tz)
    if data_from is None or not start < data_from < as_of:
        data_from = None  # the weeks before the first ticket hold none: see _starts_late
    # a --until after the data's end (an export pulled before the reporting date): the
    # weeks after it hold none, and a note says so in numbers
    data_to = data_end[0] if until is not None and data_end is not None else None
    if data_to is not None and data_to < as_of:
        data_to = _last_activity(tickets, data_to, as_of, tz, done)
    # an as-of read off the data is never before its first record: only a --until can be
    _holds_data(tickets, start, as_of, data_to, tz, first_known=until is None)
    if data_to is None or not max(start, data_from or start) < data_to < as_of:
        data_to = None
    window = Window(start=start, end=as_of, data_from=data_from, data_to=data_to)
    if data_to is not None:
        notes.append(_ends_early(window, tz, words))
    return WindowChoice(window, how, notes, tz)


class OutsideData(UsageError):
    """A window that holds none of the data (:func:`_holds_data`): refused for the run's
    window, left out of ``--period`` (a period before the data's first record)."""


def _holds_data(tickets: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp,
                data_to: pd.Timestamp | None, tz: str, *, first_known: bool = False) -> None:
    """Refuse a window that holds none of the data: a ``--until`` before its first record,
    or a window starting after its last arrival or completion (``data_to``). Every sign
    would read unknown and every count zero under dates that look like a diagnosis of
    them: a stale export in a monthly job is an error to fix, not a report to file.
    ``first_known``: ``as_of`` was read off the data's own times, so it is not before its
    first record (four columns' minima left unread)."""
    first = None if first_known else m.activity_bound(tickets, last=False)
    if first is not None and first > as_of:
        where = f"its first record is on {_local(first, tz, with_time=False)}"
    elif data_to is not None and data_to <= start:
        where = (f"its last ticket was opened or done on "
                 f"{_local(data_to, tz, with_time=False)}")
    else:
        return
    raise OutsideData(
        f"the window {_local(start, tz)} to {_local(as_of, tz)} holds none of the data: "
        f"{where}",
        hint="choose --since and --until within the data's dates, or diagnose an export "
             "that covers the window")


def _data_end(tickets: pd.DataFrame, rules: Rules, latest: pd.Timestamp, tz: str,
              shape: ExtractShape | None, done: pd.Series
              ) -> tuple[pd.Timestamp, str, list[str]]:
    """The automatic as-of (``latest``: the data's latest timestamp), how it was chosen
    and the note of a thinning tail (:func:`choose_window`): the end of the day of
    ``latest``, or, when the data thins out, the end of the day of the latest timestamp
    of any kind in the last active week (not the week's end: a cut on a Thursday put the
    window's end on the Sunday after it, three days that hold no ticket, and its first
    three days out). The note counts the tickets opened and done after it, up to the
    latest arrival or completion, or says that only closed or updated times come later.
    The same instant is the data's end a ``--until`` after it is
    measured against: a stray timestamp weeks after the flow stopped is no part of it."""
    d = rules.defaults
    words = d.wording
    notes: list[str] = []
    as_of = day_end(latest, tz)
    how = f"as-of {_local(as_of, tz)}, the end of the day of the latest timestamp in the data"
    opened = tickets[m.OPENED_AT]
    closure = shape is not None and shape.closure is not None
    if opened.notna().any() and not closure:
        weekly = _weekly_arrivals(opened)
        bar = d.active_week_share * float(np.percentile(weekly.to_numpy(), 90))
        active = weekly[weekly >= max(bar, 1.0)]
        if not active.empty:
            last_active_end = pd.Timestamp(active.index.max().end_time).tz_localize("UTC")
            if latest - last_active_end > pd.Timedelta(weeks=d.tail_weeks):
                # the day of the week's latest timestamp of any kind, as a plain run
                # ends on the data's latest (an auto-close on the Sunday after a
                # Thursday's last ticket is a record of that day: the real log's 5 June
                # 2016): not the week's end, which may hold none
                upto = [at[at <= last_active_end] for at in
                        (tickets[c] for c in m.ACTIVITY_COLUMNS)]
                as_of = day_end(max(at.max() for at in upto if len(at)), tz)
                after = _after_as_of(tickets, as_of, done)
                # the tail left out ends at its latest arrival or completion (the cut the
                # extract's shape names), not at a later closed or updated stamp (the
                # real log: an auto-close on 18 Feb of a ticket resolved 17 Feb); a tail
                # of such stamps alone (nothing opened or done after the as-of) is said
                # as one, up to its latest
                key = "window_thins_out" if after["opened"] or after["done"] \
                    else "window_thins_out_stamps"
                seen = max((s.max() for s in (opened, done) if s.notna().any()),
                           default=latest) if key == "window_thins_out" else latest
                how = fmt(words[key], {
                    "as_of": _local(as_of, tz, with_time=False),
                    "latest": _local(seen, tz, with_time=False), **after,
                    "opened_share": after["opened"] / max(after["total"], 1),
                    "done_share": after["done"] / max(after["total"], 1)})
                notes.append(how)
    return as_of, how, notes


def _last_activity(tickets: pd.DataFrame, data_end: pd.Timestamp, as_of: pd.Timestamp,
                   tz: str, done: pd.Series) -> pd.Timestamp | None:
    """The data's end a ``--until`` is measured against: the end of the day of the latest
    arrival or completion up to ``as_of`` (``data_end``, where the arrivals thin out, when
    none comes after it). The weeks after it hold no ticket, as its note says: a tail of
    completions (an event log closing its old tickets for weeks) is data, not empty weeks,
    and a stray opened weeks later ends the data where it stands. None when a ticket is
    opened or done after ``as_of``: the window ends inside the data."""
    opened = tickets[m.OPENED_AT]
    if any(bool((at > as_of).any()) for at in (opened, done)):
        return None
    later = [at[(at > data_end) & (at <= as_of)] for at in (opened, done)]
    found = [at.max() for at in later if len(at)]
    return day_end(max(found), tz) if found else data_end


def _ends_early(window: Window, tz: str, words: Mapping[str, str]) -> str:
    """The data note of a window whose end comes after the data's (``Window.data_to``):
    its last day, the weeks after it and the weeks a figure a month is over."""
    return fmt(words["window_after_data"], {
        "as_of": _local(window.end, tz, with_time=False),
        "last": _local(window.covered_end, tz, with_time=False),
        "after": window.weeks_after_data, "covered": window.covered_weeks})


def _floor_in_window(shape: ExtractShape, window: Window, weeks: int) -> ExtractShape:
    """``shape`` without its update floor when that lies before the ``weeks`` up to the
    window's end (more than the day the window starts after it): a desk whose tool
    began with a migrated open backlog shows the same floor at its start. A ``--since``
    after the floor keeps it: the open tickets not updated since are missing from every
    week of such a window too."""
    cut = shape.updated_since
    full = window.end - pd.Timedelta(weeks=weeks)
    if cut is None or cut.floor >= min(window.start, full) - pd.Timedelta(days=2):
        return shape
    return replace(shape, updated_since=None)


def _gap_in_window(shape: ExtractShape, window: Window) -> ExtractShape:
    """``shape`` without its gap when the weeks without an arrival start after the
    window's end: no figure of the window is over them (a ``--until`` before a missing
    file's weeks; a group's cut read a gap in June where its window ended 5 June)."""
    gap = shape.gap
    if gap is None or gap.last_before < window.end:
        return shape
    return replace(shape, gap=None)


def _source_ends_in_window(shape: ExtractShape, window: Window, weeks: float
                           ) -> ExtractShape:
    """``shape`` without its tool that ends early when that tool reaches to within
    ``weeks`` of the window's end (a ``--until`` before it ends): its open tickets are
    then as of the window's end, not carried past its own."""
    ends = shape.source_ends
    if ends is None or ends.last < window.end - pd.Timedelta(weeks=weeks):
        return shape
    return replace(shape, source_ends=None)


def _starts_late(shape: ExtractShape, window: Window, tz: str) -> ExtractShape:
    """``shape`` with the window's weeks before the export's first ticket named, when it
    has any (a figure a month is over the rest: :attr:`Window.months`); ``compare`` then
    says two reports were cut differently."""
    if window.data_from is None or shape.updated_since is not None:
        return shape  # an update cut's note says where its figures begin
    return replace(shape, starts_late=StartsLate(
        first=_local(window.data_from, tz, with_time=False),
        weeks_before=weeks_said(window.days - window.covered_days),
        weeks_covered=window.covered_weeks, earlier=shape.flow_earlier))


def _local(ts: pd.Timestamp, tz: str, *, with_time: bool = True) -> str:
    """A bound for people, in the run's time zone: ``2026-09-30`` for a day's first or
    last instant (what ``--since``/``--until`` take back), else with its time."""
    local = ts.tz_convert(tz)
    whole = ts == day_start(ts, tz) or ts + LAST_TICK == day_start(ts + LAST_TICK, tz)
    if whole or not with_time:
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M} {tz}"


# ---- grading ---------------------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def grade(rule: RuleFile, meas: Measurement) -> tuple[Status, dict[str, ConditionOut]]:
    """Compare the measured metrics with the rule's threshold conditions.

    ``all``: any measured condition that fails -> clear; else any unmeasurable -> unknown;
    else triggered. ``any``: any condition met -> triggered; none measurable -> unknown;
    else clear. A module's ``unknown`` note always wins; a condition the module settled
    (``Measurement.decided``) counts as measured.
    """
    outs: dict[str, ConditionOut] = {}
    for name, cond in rule.thresholds.conditions.items():
        value = meas.value(cond.metric)
        met = None if value is None else _OPS[cond.op](value, cond.value)
        if name in meas.decided:
            met = meas.decided[name]
        outs[name] = ConditionOut(
            metric=cond.metric,
            op=cond.op,
            value=cond.value,
            text=_condition_text(cond),
            measured=value,
            met=met,
        )
    if meas.unknown is not None:
        return "unknown", outs
    status = _combine(rule.thresholds.combine, [o.met for o in outs.values()])
    # graded again on what the unproven records could make of the metrics
    if status == "clear" and meas.absence_unproven is not None and (
            not meas.clear_case or _again(rule, outs, meas.clear_case) != "clear"):
        return "unknown", outs
    if status == "triggered" and meas.presence_unproven is not None and (
            _again(rule, outs, meas.worst_case) != "triggered"):
        return "unknown", outs
    return status, outs


def _again(rule: RuleFile, outs: dict[str, ConditionOut], values: Mapping[str, float]
           ) -> Status:
    """The grade again with ``values`` in place of the metrics they name (what unproven
    records could make of them)."""
    return _combine(rule.thresholds.combine, [
        _OPS[o.op](values[o.metric], o.value) if o.metric in values else o.met
        for o in outs.values()])


def _combine(how: str, mets: list[bool | None]) -> Status:
    if how == "all":
        if any(x is False for x in mets):
            return "clear"
        return "unknown" if any(x is None for x in mets) else "triggered"
    if any(x is True for x in mets):
        return "triggered"
    return "unknown" if all(x is None for x in mets) else "clear"


def fragile(rule: RuleFile, meas: Measurement, outs: dict[str, ConditionOut],
            status: Status) -> bool:
    """Whether one ticket more or less behind a count or a share would change the
    verdict (a rate of 1 incident in 91 days against "more than one a quarter")."""
    if status == "unknown":
        return False
    for name in outs:
        fig = meas.metrics.get(outs[name].metric)
        if fig is None or fig.value is None or name in meas.decided:
            continue
        if fig.nudged:  # a figure that says itself what one ticket would make of it
            moves = fig.nudged
        elif (fig.numerator is None or not fig.denominator
              or not float(fig.numerator).is_integer()
              or abs(fig.value - fig.numerator / fig.denominator) > 1e-9):
            continue
        else:
            moves = [max(fig.numerator + step, 0.0) / fig.denominator for step in (-1.0, 1.0)]
        if any(_again(rule, outs, {outs[name].metric: moved}) != status for moved in moves):
            return True
    # figures one ticket moves together, graded whole (a condition the module settled
    # itself keeps its answer)
    settled = {outs[n].metric for n in meas.decided if n in outs}
    return any(_again(rule, outs, {k: v for k, v in nudge.items() if k not in settled})
               != status for nudge in meas.nudges)


def _counted(fig: Any) -> bool:
    """Whether a figure is a share of counted tickets: a whole numerator of a whole
    denominator, at most it, and its value their ratio."""
    num, den = fig.numerator, fig.denominator
    return (fig.value is not None and num is not None and bool(den)
            and float(num).is_integer() and float(den).is_integer() and 0 <= num <= den
            and abs(fig.value - num / den) <= 1e-9)


#: the span of time a rate's denominator counts, by the rate's unit
_RATE_SPANS = {"per_quarter": "quarter", "per_month": "month"}


def _counted_over_time(fig: Any) -> bool:
    """Whether a rate is a whole count over a span of time: a whole numerator, a
    positive denominator and its value their ratio."""
    num, den = fig.numerator, fig.denominator
    return (fig.value is not None and num is not None and bool(den) and den > 0
            and num >= 0 and float(num).is_integer()
            and abs(fig.value - num / den) <= 1e-9 * max(1.0, abs(fig.value)))


def _gap_of(meas: Measurement, rule: RuleFile, value: float) -> tuple[Any, Any] | None:
    """The two shares of counted tickets (ratio metrics) whose difference a gap figure is
    (sla-by-priority's adherence gap is the rest's adherence minus the high priorities'),
    the first pair in the measurement's order; None when no pair is."""
    shares = [f for k, f in meas.metrics.items()
              if k in rule.metrics and rule.metrics[k].unit == "ratio" and _counted(f)]
    for a in shares:
        for b in shares:
            if a is not b and abs((a.value or 0.0) - (b.value or 0.0) - value) <= 1e-9:
                return a, b
    return None


def noise(rule: RuleFile, meas: Measurement, outs: dict[str, ConditionOut],
          status: Status, level: float) -> tuple[dict[str, NoiseOut], dict[str, Any]]:
    """The sampling interval at the two-sided ``level`` of each condition's figure that
    has one, and the values that word the first within noise (empty when none is).

    A share of counted tickets (:func:`_counted`): the Wilson score interval. A ratio
    metric that carries ``<metric>_effective_n`` (strategy's share of logged hours, whose
    numerator is hours): the Wilson interval of its value on that many tickets. A gap of
    two shares of counted tickets (:func:`_gap_of`): Newcombe's hybrid score interval. A
    whole count over a span of time (a rate a quarter or a month,
    :func:`_counted_over_time`): the Poisson score interval of the count over that span;
    one that subtracts a baseline count (``Figure.chance``: changes' incidents less those
    before the changes) the score interval of the difference of the two Poisson counts
    (:func:`~itsm_diag.stats.poisson_difference`), not below zero.
    A value fitted to a series that carries its standard error (``se`` and ``se_df``: a
    backlog trend line's shrink, whose week ends are no tickets drawn from a population):
    its t interval. Another ratio that reads as a signed change (its metric has a label for
    negative values) is no share and has none. A
    condition is within noise when the figure at either end of its interval would grade
    the finding otherwise (its threshold lies inside the interval, and the other
    conditions let it decide). Conditions the module settled itself are not weighed."""
    out: dict[str, NoiseOut] = {}
    words: dict[str, Any] = {}
    if status == "unknown":
        return out, words
    for name, cond in outs.items():
        fig = meas.metrics.get(cond.metric)
        doc = rule.metrics.get(cond.metric)
        if fig is None or fig.value is None or doc is None or name in meas.decided:
            continue
        eff = meas.metrics.get(f"{cond.metric}_effective_n")
        values: dict[str, Any]
        method: Literal["wilson", "wilson_effective_n", "newcombe", "poisson",
                        "poisson_difference", "trend"]
        if fig.se is not None and fig.se_df:
            # a value fitted to a series (a backlog trend's change): its t interval
            half = t_quantile(0.5 + level / 2, fig.se_df) * fig.se
            low, high = fig.value - half, fig.value + half
            method, n = "trend", float(fig.se_df + 2)
            values = {"key": "trend", "points": n}
        elif doc.unit == "ratio" and eff is not None and eff.value and fig.denominator:
            n = float(eff.value)
            (low, high), method = wilson(fig.value * n, n, level), "wilson_effective_n"
            values = {"key": "weighted", "total": fig.denominator, "n": n}
        elif doc.unit == "ratio" and not doc.label_if_negative and _counted(fig):
            # a share, not a signed change (a backlog's shrink, whose whole counts are no
            # tickets drawn from a population)
            n = float(fig.denominator or 0)
            (low, high), method = wilson(float(fig.numerator or 0), n, level), "wilson"
            values = {"key": "share", "k": fig.numerator, "n": n}
        elif doc.unit == "points" and fig.numerator is None:
            pair = _gap_of(meas, rule, fig.value)
            if pair is None:
                continue
            a, b = pair
            low, high = newcombe(a.numerator, a.denominator, b.numerator, b.denominator,
                                 level)
            method, n = "newcombe", float(a.denominator + b.denominator)
            values = {"key": "gap", "k1": a.numerator, "n1": a.denominator,
                      "k2": b.numerator, "n2": b.denominator}
        elif doc.unit in _RATE_SPANS and _counted_over_time(fig) and fig.chance is not None:
            # a count less a baseline count (changes' incidents after changes less those
            # in the same spans before them): both Poisson, the difference's interval
            span, chance = float(fig.denominator or 0), float(fig.chance)
            found = float(fig.numerator or 0) + chance
            low, high = (max(end, 0.0) / span
                         for end in poisson_difference(found, chance, level))
            method, n = "poisson_difference", found + chance
            values = {"key": "rate_chance", "k": fig.numerator, "found": found,
                      "chance": chance, "span": span, "per": _RATE_SPANS[doc.unit]}
        elif doc.unit in _RATE_SPANS and _counted_over_time(fig):
            # a count over a span of time (changes' incidents a quarter): the count is
            # Poisson, the span fixed
            span = float(fig.denominator or 0)
            n = float(fig.numerator or 0)
            low, high = (end / span for end in poisson_score(n, level))
            method = "poisson"
            values = {"key": "rate", "k": n, "span": span, "per": _RATE_SPANS[doc.unit]}
        else:
            continue
        within = any(_again(rule, outs, {cond.metric: end}) != status for end in (low, high))
        out[name] = NoiseOut(metric=cond.metric, level=level, low=low, high=high,
                             method=method, n=n, threshold=cond.value, within=within)
        if within and not words:
            more = _NOISE_DECIMALS.get(doc.unit, 0)
            # a signed change below zero in its own words ("growth 19%", not "shrink -19%")
            label, value = ((doc.label_if_negative, -fig.value)
                            if fig.value < 0 and doc.label_if_negative else (doc.label, fig.value))
            words = {**values, "label": label[:1].lower() + label[1:],
                     # the figure as the reason's "measured" and the key figure show it
                     "value": figure(value, doc.unit, _decimals(doc, fig.value, cond.value)),
                     "low": figure(low, doc.unit, more), "high": figure(high, doc.unit, more),
                     "threshold": figure_exact(cond.value, doc.unit), "level": level}
    return out, words


#: the decimals beyond the unit's usual of a within-noise interval's ends: a share of
#: tickets to a tenth of a point ("its 90% interval, -6.9% to 13.8%")
_NOISE_DECIMALS = {"ratio": 1}


def _decimals(doc: Any, measured: float | None, threshold: float) -> int:
    """The decimals beyond the unit's usual with which a finding shows a measured figure,
    the same in its reason, noise words, tables and key figure: as many as tell it from
    its threshold (its interval's ends are other figures, with their own)."""
    if measured is None:
        return 0
    if measured < 0 and doc.label_if_negative:  # shown by its size under that label
        measured, threshold = -measured, -threshold
    return beside_decimals(measured, threshold, doc.unit)


def _shown(rule: RuleFile, conds: dict[str, ConditionOut]) -> dict[str, ConditionOut]:
    """``conds`` with the decimals each measured figure is shown with (:func:`_decimals`)."""
    return {name: o.model_copy(update={"decimals": _decimals(
        rule.metrics[o.metric], o.measured, o.value)}) for name, o in conds.items()}


def _measured_text(rule: RuleFile, out: ConditionOut) -> str:
    """'the backlog is larger than 0.5 weeks of arrivals (measured 0.3 weeks)'."""
    doc = rule.metrics[out.metric]
    more = out.decimals  # the decimals the finding shows it with (:func:`_shown`)
    if out.measured is None:
        said = "no figure: see the notes"
    elif out.measured < 0 and doc.label_if_negative:
        # "measured -58%" of a shrink reads as a riddle: say what the sign of it means
        said = f"{doc.label_if_negative.lower()}: {figure(-out.measured, doc.unit, more)}"
    else:
        said = f"measured {figure(out.measured, doc.unit, more)}"
    return f"{out.text} ({said})"


def _condition_text(cond: Condition) -> str:
    """The condition in words, its threshold as the value in force reads (8.5%, not the
    shipped spec's 8%: :func:`~itsm_diag.text.with_exact`)."""
    return fmt(with_exact(cond.text, {"value": cond.value}), {})


# ---- findings --------------------------------------------------------------------------

def module_name(rule: RuleFile) -> str:
    package = "itsm_diag.signs" if rule.kind == "sign" else "itsm_diag.checks"
    return f"{package}.{rule.id.replace('-', '_')}"


def measure(rule: RuleFile, ctx: Context) -> Measurement:
    """Run the rule's module, unless the extract's shape biases its evidence."""
    seen = ctx.shape.as_dict()
    # an update cut whose floor lies on or before the window's start lacks only tickets
    # open at every week of it alike (shape.UpdateReach): measured, and a clear stands
    # only when the export shows them too few to matter (``updated_since_judged``)
    update_cut = ("updated_since" in rule.unknown_on_shape and "updated_since" in seen
                  and ctx.shape.update_cut_measured)
    for code in rule.unknown_on_shape:
        if code in seen and not (code == "updated_since" and update_cut):
            return Measurement(unknown=Note(code=code, params=seen[code]))
    module = importlib.import_module(module_name(rule))
    result: Measurement = module.measure(ctx, rule.params)
    if update_cut and result.unknown is None:
        cut = seen["updated_since"]
        if cut["covered"]:
            return result.model_copy(update={"notes": [
                *result.notes, Note(code="updated_since_judged", params=cut)]})
        return result.model_copy(update={
            "notes": [*result.notes, Note(code="updated_since_stands", params=cut)],
            "absence_unproven": Note(code="updated_since_unproven", params=cut),
            "clear_case": {}})
    return result


def threads() -> int:
    """How many threads measure at once: the CPUs this process may use, at most 4
    (``ITSM_DIAG_THREADS`` overrides it; 1 measures one rule after another)."""
    from itsm_diag import cpus

    return cpus.wanted(4)


def measure_all(rule_list: list[RuleFile], ctx: Context,
                more: Mapping[str, Callable[[], Any]] | None = None
                ) -> tuple[list[Measurement], dict[str, Any], dict[str, Any]]:
    """Every rule's measurement (in ``rule_list``'s order), the raw KPI panel, and the
    result of each job in ``more`` by name.

    Measurements only read the tickets (and share the Context's caches, which are
    computed once under a lock); the part of their time spent in Arrow and numpy
    kernels, which release the GIL, runs in parallel (at 1M tickets on 2 CPUs: 2.4 s
    one after another, 1.9 s in threads). The results are the same either way.

    ``more``: other measurements that read only the Context (the analyses), run in the
    same threads.
    """
    from itsm_diag.signs.kpis import compute_kpis

    for rule in rule_list:  # imported here, not under the import lock of many threads
        importlib.import_module(module_name(rule))
    total = len(rule_list)
    done: list[str] = []
    progress.say(f"measuring {total} signs and checks in {len(ctx.tickets):,} tickets")

    def one(rule: RuleFile) -> Measurement:
        result = measure(rule, ctx)
        done.append(rule.id)  # list.append is atomic: the count is right in threads
        progress.say(f"measured {len(done)} of {total} signs and checks ({rule.id})")
        return result

    extra = dict(more or {})
    n = threads()
    if n < 2:
        measured = [one(r) for r in rule_list]
        return measured, compute_kpis(ctx), {k: job() for k, job in extra.items()}
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="itsm-diag") as pool:
        # the longest first (the analyses, then the panel), so no thread is left with
        # one long job at the end
        # each in the run's context: the stages it says pass through this run's hider
        later = {k: pool.submit(progress.carried(job)) for k, job in extra.items()}
        panel = pool.submit(progress.carried(compute_kpis), ctx)
        measured = list(pool.map(progress.carried(one), rule_list))
        return measured, panel.result(), {k: f.result() for k, f in later.items()}


def _beside(rule: RuleFile, note: Note, conds: Mapping[str, ConditionOut]) -> Note:
    """``note`` with ``{shown_METRIC}`` (each condition's figure with the decimals the
    finding shows it with) and ``{threshold_NAME}`` (each threshold in force, exactly) for
    its words to say a figure beside its threshold with."""
    said: dict[str, Any] = {}
    for name, o in conds.items():
        unit = rule.metrics[o.metric].unit
        said[f"shown_{o.metric}"] = figure(o.measured, unit, o.decimals)
        said[f"threshold_{name}"] = figure_exact(o.value, unit)
    return note.model_copy(update={"params": {**said, **note.params}})


def _note_out(rule: RuleFile, note: Note) -> NoteOut:
    return NoteOut(code=note.code, text=note.text(rule.messages, f"rule {rule.id!r}"),
                   count=note.count, sample_ids=note.sample_ids)


def _key_figure(metric: str, doc: Any, value: float | None, decimals: int) -> KeyFigure:
    """The key figure as it reads: a negative value with a label for that case (a shrink
    below zero is growth) is shown by its size under that label; with its condition's
    decimals, as the reason shows it."""
    if value is not None and value < 0 and doc.label_if_negative:
        return KeyFigure(metric=metric, label=doc.label_if_negative, unit=doc.unit,
                         value=-value, decimals=decimals)
    return KeyFigure(metric=metric, label=doc.label, unit=doc.unit, value=value,
                     decimals=decimals)


def _humanised(key: str) -> str:
    """A key no rule words yet, as a phrase ('median_hours' -> 'Median hours'): the meta
    test names every such key, so this only keeps a new column from showing raw."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _about_tables(rule: RuleFile, meas: Measurement) -> dict[str, TableOut]:
    """Each evidence table and series of a finding, as the rule words it: title, column
    labels and units, and whether the rows are all there (a table cut to its top rows
    says how many it would have held)."""
    out: dict[str, TableOut] = {}
    for name, rows in [*meas.tables.items(), *meas.series.items()]:
        doc = rule.tables.get(name)
        cols: dict[str, ColumnOut] = {}
        for row in rows:
            for key in row:
                if key in cols:
                    continue
                col = doc.columns.get(key) if doc is not None else None
                cols[key] = (ColumnOut(label=col.label, unit=col.unit, values=col.values)
                             if col is not None else ColumnOut(label=_humanised(key)))
        total = max(meas.table_totals.get(name, len(rows)), len(rows))
        out[name] = TableOut(title=doc.title if doc is not None else _humanised(name),
                             columns=cols, rows=len(rows), rows_total=total,
                             complete=total == len(rows))
    return out


def _kpi_labels(rule: RuleFile, rules: Rules) -> dict[str, str]:
    """The reporting sign's KPI names by code, as the KPI panel names them (``wording:
    kpi.<key>``, a config's name included), over its KPI table's own words; empty for
    any other rule."""
    table = rule.tables.get("kpis") if rule.id == "reporting" else None
    column = table.columns.get("kpi") if table is not None else None
    if column is None:
        return {}
    words = rules.defaults.wording
    return {**column.values,
            **{code: words[f"kpi.{key}"] for code, key in _PANEL_KEY.items()
               if f"kpi.{key}" in words}}


def _kpi_names(about: dict[str, TableOut], labels: Mapping[str, str]
               ) -> dict[str, TableOut]:
    """The reporting sign's KPI table names each KPI by ``labels`` (:func:`_kpi_labels`):
    one name for a KPI in every part of every format, not its rule file's own words."""
    table = about.get("kpis")
    column = table.columns.get("kpi") if table is not None and labels else None
    if table is None or column is None:
        return about
    columns = {**table.columns, "kpi": column.model_copy(update={"values": dict(labels)})}
    return {**about, "kpis": table.model_copy(update={"columns": columns})}


def _named(note: Note, labels: Mapping[str, str]) -> Note:
    """``note`` with its ``kpi`` param (a KPI's code) replaced by the KPI's name."""
    code = note.params.get("kpi")
    if not isinstance(code, str) or code not in labels:
        return note
    return note.model_copy(update={"params": {**note.params, "kpi": labels[code]}})


def _one_time_form(tables: dict[str, list[dict[str, Any]]],
                   about: dict[str, TableOut]) -> dict[str, list[dict[str, Any]]]:
    """Timestamps in one form in every table (``+00:00``, as everywhere in the report),
    whichever form a module wrote them in."""
    out = {}
    for name, rows in tables.items():
        cols = about[name].columns
        stamps = [k for k, c in cols.items() if c.unit == "timestamp"]
        if stamps:
            rows = [{k: (v[:-1] + "+00:00" if k in stamps and isinstance(v, str)
                         and v.endswith("Z") else v) for k, v in row.items()} for row in rows]
        out[name] = rows
    return out


def _window_out(choice: WindowChoice) -> WindowOut:
    w = choice.window
    return WindowOut(
        start=w.start.isoformat(), end=w.end.isoformat(), weeks=round(w.days / 7, 2),
        how_chosen=choice.how, first_day=_local(w.start, choice.tz, with_time=False),
        last_day=_local(w.end, choice.tz, with_time=False), tz=choice.tz,
    )


def build_finding(
    rule: RuleFile, meas: Measurement, choice: WindowChoice, rules: Rules
) -> Finding:
    rule = worded(rule)  # its words follow its params, once for every part below
    status, conds = grade(rule, meas)
    confidence = meas.confidence
    shaky = fragile(rule, meas, conds, status)
    intervals, noisy = noise(rule, meas, conds, status, rules.defaults.noise_level)
    conds = _shown(rule, conds)
    if shaky or noisy or status == "unknown":  # an unknown has no verdict to trust
        confidence = "low"
    values: dict[str, Any] = {k: f.value for k, f in meas.metrics.items()}
    # the weeks the figures are over: the window's, from the export's first ticket on
    values["window_weeks"] = choice.window.covered_weeks
    # the dates its figures cover: from the export's first day to its last, as the weeks
    values["window_start"] = _local(choice.window.covered_start, choice.tz, with_time=False)
    values["window_end"] = _local(choice.window.covered_end, choice.tz, with_time=False)
    # where its open tickets are counted, as its definitions and summary say it
    from itsm_diag.insights import end_said

    said = {"end_said": end_said(choice.window, choice.tz, rules.defaults.wording)}
    values.update(said)
    # a threshold a text names reads as the value in force, whatever its spec's precision
    thresholds = {f"threshold_{name}": cond.value
                  for name, cond in rule.thresholds.conditions.items()}
    values.update(thresholds)
    for name, param in rule.params.items():
        values[f"param_{name}"] = param
    metrics = {
        name: MetricOut(
            label=doc.label, definition=with_named(doc.definition, said), unit=doc.unit,
            value=meas.metrics[name].value if name in meas.metrics else None,
            numerator=meas.metrics[name].numerator if name in meas.metrics else None,
            denominator=meas.metrics[name].denominator if name in meas.metrics else None,
            sample_ids=meas.metrics[name].sample_ids if name in meas.metrics else [],
        )
        for name, doc in rule.metrics.items()
    }
    undocumented = set(meas.metrics) - set(rule.metrics)
    if undocumented:
        raise KeyError(f"rule {rule.id!r} does not document metrics {sorted(undocumented)}")
    d_words = rules.defaults.wording
    rate = rules.defaults.hourly_rate
    costs = [
        CostOut(
            basis=c.basis,
            text=fmt(rule.costs[c.basis], c.params),
            # unrounded: each format rounds it once, and money is rounded once from it
            hours_per_month=c.hours_per_month,
            money_per_month=None if rate is None else round(c.hours_per_month * rate, 0),
            count=c.count,
        )
        for c in meas.costs
    ]
    reason = fmt(with_exact(rule.reason(status, meas.reasons), thresholds), values)
    what_would_answer = None
    # what left a measured grade unknown: absence (a clear) or presence (a triggered),
    # the one of the grade the measures gave (a sign may carry both)
    measured = [o.met for o in conds.values()]
    graded = (_combine(rule.thresholds.combine, measured)
              if measured and None not in measured else None)
    unproven = (meas.presence_unproven or meas.absence_unproven) if graded == "triggered" \
        else (meas.absence_unproven or meas.presence_unproven)
    if status == "unknown":
        if meas.unknown is not None:
            reason = f"{reason} {_note_out(rule, meas.unknown).text}"
        elif unproven is not None and not any(o.met is None for o in conds.values()):
            # the note holds a figure against its threshold: both as the finding shows
            # them ("the share is 8.47%, under the 8.5% threshold", not "8.5%, under")
            reason = f"{reason} {_note_out(rule, _beside(rule, unproven, conds)).text}"
        else:
            missing = [o.text for o in conds.values() if o.met is None]
            reason = f"{reason} Not measurable: {'; '.join(missing)}."
            # and why, where the module knows (no incident names a problem): a list of
            # conditions alone tells the reader what is missing, not what to export
            if meas.absence_unproven is not None:
                told = _beside(rule, meas.absence_unproven, conds)
                reason = f"{reason} {_note_out(rule, told).text}"
        what_would_answer = "Needs: " + ", ".join(rule.data_needed)
    elif status == "triggered":
        met_texts = [_measured_text(rule, o) for o in conds.values() if o.met]
        if met_texts:  # as a clear lists what was not met: no bracket after a full stop
            reason = f"{reason} {d_words['met']} {'; '.join(met_texts)}."
    else:
        # a clear verdict says which condition failed, so a figure that looks alarming
        # on its own (a backlog that grew, but is too small to matter) is not a puzzle
        failed = [_measured_text(rule, o) for o in conds.values() if o.met is False]
        if failed:
            reason = f"{reason} {d_words['not_met']} {'; '.join(failed)}."
    # the key figure is the one that decided: the condition that triggered the sign (trust
    # may fire on bypass while its usual figure, chasers, could not be measured), or the
    # one that failed and cleared it
    key_metric = rule.key_figure
    deciding = [o.metric for o in conds.values()
                if (o.met if status == "triggered" else o.met is False)]
    if status != "unknown" and deciding and key_metric not in deciding:
        key_metric = deciding[0]
    key = rule.metrics[key_metric]
    if shaky:
        reason = f"{reason} {d_words['fragile']}"
    if noisy:  # the numbers: the figure, its interval and the threshold inside it
        reason = f"{reason} {fmt(d_words['within_noise.' + noisy['key']], noisy)}"
    # hours are at stake only where the sign applies: a clear or unknown sign prices nothing
    if status != "triggered":
        costs = []
    else:  # nor a basis whose cause did not hold here: no planned fix would carry it
        costs = [c for c in costs if _basis_held(rule, c.basis, conds, metrics)]
    hours = sum(c.hours_per_month for c in costs) if costs else None
    labels = _kpi_labels(rule, rules)
    about = _kpi_names(_about_tables(rule, meas), labels)
    return Finding(
        id=rule.id,
        number=rule.number,
        title=rule.title,
        question=rule.question,
        status=status,
        confidence=confidence,
        within_noise=bool(noisy),
        noise=intervals,
        key_figure=_key_figure(key_metric, key, meas.value(key_metric), max(
            (o.decimals for o in conds.values() if o.metric == key_metric), default=0)),
        metrics=metrics,
        threshold=ThresholdOut(combine=rule.thresholds.combine, conditions=conds),
        # every param in force: compare tells a sign measured under other values apart
        params=dict(rule.params),
        evidence=Evidence(
            # an unknown finding keeps every clause: its n/a are the evidence
            summary=(fmt if status == "unknown" else fmt_known)(
                with_exact(rule.evidence_template, thresholds), values),
            scope=with_named(rule.scope, said),
            window=_window_out(choice),
            tables=_one_time_form(meas.tables, about),
            series=_one_time_form(meas.series, about),
            about_tables=about,
            excluded=[_note_out(rule, n) for n in meas.excluded],
            notes=[_note_out(rule, _named(n, labels)) for n in meas.notes],
            costs=costs,
        ),
        hours_at_stake_per_month=hours,
        reason=reason,
        what_would_answer=what_would_answer,
    )


def _cause_held(fix: Fix, conditions: Mapping[str, ConditionOut],
                metrics: Mapping[str, MetricOut]) -> bool:
    """Whether a fix's cause held: one of its ``when`` conditions was met and one of its
    ``when_metrics`` measured above zero (each only when the fix names some)."""
    met = {n for n, c in conditions.items() if c.met}
    if fix.when and not met.intersection(fix.when):
        return False
    return not fix.when_metrics or any(
        (metrics[n].value or 0) > 0 for n in fix.when_metrics if n in metrics)


def _basis_held(rule: RuleFile, basis: str, conditions: Mapping[str, ConditionOut],
                metrics: Mapping[str, MetricOut]) -> bool:
    """Whether a cost basis's cause held: some fix that addresses it has its cause held
    (or no fix addresses it). Trust triggered on bypass and duplicates prices no chasers
    measured under their threshold: no fix would carry those hours."""
    fixes = [f for f in rule.fixes if basis in f.addresses]
    return not fixes or any(_cause_held(f, conditions, metrics) for f in fixes)


def count_once(signs: list[Finding], measured: list[Measurement], n_tickets: int,
               rules: Rules) -> list[Finding]:
    """The signs with the hours each prices that an earlier sign (in sign order) already
    prices: a ticket's handle minutes two signs price (a recurring incident that is also
    a duplicate, or change-caused, or of an automation candidate's type) are one cost.
    Each cost says which earlier costs share its tickets (``shared_with``) and the hours
    of it they already count (``hours_shared_per_month``: per ticket, the least of its
    hours and the most an earlier sign puts on it); the report's total leaves those out.
    Only costs that name the tickets whose handle minutes they price take part (a
    chaser's minutes and a change's extra rework are no handle time)."""
    words = rules.defaults.wording
    most = np.zeros(n_tickets)  # per ticket, the most hours an earlier sign puts on it
    earlier: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    out: list[Finding] = []
    for finding, meas in zip(signs, measured, strict=True):
        handled = {c.basis: c.handled for c in meas.costs if c.handled is not None}
        costs: list[CostOut] = []
        mine: list[tuple[str, str, np.ndarray, np.ndarray]] = []
        with_sign: dict[str, float] = {}
        for cost in finding.evidence.costs:
            if cost.basis not in handled:
                costs.append(cost)
                continue
            rows, each = handled[cost.basis]
            shared: list[SharedHours] = []
            for sign, basis, o_rows, o_each in earlier:
                _, a, b = np.intersect1d(rows, o_rows, assume_unique=True,
                                         return_indices=True)
                both = float(np.minimum(each[a], o_each[b]).sum())
                if both > 0:
                    shared.append(SharedHours(sign=sign, basis=basis, hours_per_month=both))
                    with_sign[sign] = with_sign.get(sign, 0.0) + both
            joint = float(np.minimum(each, most[rows]).sum()) if len(rows) else 0.0
            text = cost.text
            if joint > 0:
                signs_named = list(dict.fromkeys(x.sign for x in shared))
                text = f"{text} " + fmt(words["cost_shared"], {
                    "hours": joint, "others": joined(signs_named)})
            costs.append(cost.model_copy(update={
                "text": text, "hours_shared_per_month": joint, "shared_with": shared}))
            mine.append((finding.id, cost.basis, rows, each))
        for _, _, rows, each in mine:  # a sign's own bases are no earlier sign
            most[rows] = np.maximum(most[rows], each)
        earlier.extend(mine)
        update: dict[str, Any] = {
            "evidence": finding.evidence.model_copy(update={"costs": costs}),
            "hours_shared_with": with_sign}
        if finding.hours_at_stake_per_month is not None:
            update["hours_shared_per_month"] = sum(c.hours_shared_per_month for c in costs)
        out.append(finding.model_copy(update=update))
    return out


def hours_counted_once(signs: list[Finding], rules: Rules
                       ) -> tuple[float | None, float | None, str]:
    """The agent hours a month at stake over the triggered signs, each ticket's handle
    minutes counted once (unrounded); their money, rounded once; and the note that says
    which signs share which hours (empty when none do)."""
    d = rules.defaults
    priced = [s for s in signs if s.status == "triggered"
              and s.hours_at_stake_per_month is not None]
    if not priced:
        return None, None, ""
    added = sum(s.hours_at_stake_per_month or 0.0 for s in priced)
    total = added - sum(s.hours_shared_per_month or 0.0 for s in priced)
    money = None if d.hourly_rate is None else round(total * d.hourly_rate, 0)
    # per sign, the hours it leaves out of the total, with the earlier signs that price
    # them (a ticket three signs price is left out once, not once per earlier sign)
    pairs = [fmt(d.wording["hours_shared_pair"], {
        "sign": s.id, "hours": s.hours_shared_per_month,
        "earlier": joined(list(s.hours_shared_with))})
        for s in priced if s.hours_shared_per_month and s.hours_shared_with]
    note = fmt(d.wording["hours_counted_once"], {
        "total": total, "added": added, "pairs": "; ".join(pairs)}) if pairs else ""
    return total, money, note


# ---- fix plan --------------------------------------------------------------------------

def _fix_action(fix: Fix, rule: RuleFile, finding: Finding,
                words: Mapping[str, str]) -> str:
    """The fix's action, followed by its parts for what the finding found: the rule's
    message ``<fix id>.<note code>`` of each note the finding carries, in the notes'
    order ("Close the configuration gaps …: make category mandatory …"). A fix with no
    such message is its action alone; one listing every gap the sign can find named
    gaps the export did not have (category and resolved time on a desk filling both)."""
    parts = list(dict.fromkeys(rule.messages[key] for key in (
        f"{fix.id}.{note.code}" for note in finding.evidence.notes) if key in rule.messages))
    if not parts:
        return fix.action
    return fmt(words["fix_parts"], {"action": fix.action.strip().rstrip("."),
                                    "parts": joined(parts)})


def fix_plan(findings: list[Finding], rules: Rules, checks: bool = False) -> list[FixOut]:
    """Fixes of triggered signs whose cause held (a fix's ``when`` conditions and
    ``when_metrics``; a fix aimed at hours needs them measured), ranked: hours at stake
    (structural ones weighted by ``structural_weight``, as they pay back later), quick
    before structural on ties, quantified before unquantified, then by sign number. With
    ``checks``, the same for triggered extra checks (their own list: the plan is the
    signs')."""
    d = rules.defaults
    rule_of = rules.checks if checks else rules.signs
    rows: list[tuple[tuple[float, int, int, int], FixOut]] = []
    #: the cost bases each planned fix addresses, to name fixes that share their hours
    bases_of: dict[int, set[tuple[str, str]]] = {}
    #: the planned fixes of signs the answers file triggered (no data measured them)
    answered: set[int] = set()
    #: each cost basis with the other signs' bases that price some of its tickets' handle
    #: minutes (both ways): fixes of two signs can address the same hours too
    linked: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for finding in findings:
        for cost in finding.evidence.costs:
            for other in cost.shared_with:
                one, two = (finding.id, cost.basis), (other.sign, other.basis)
                linked.setdefault(one, set()).add(two)
                linked.setdefault(two, set()).add(one)
    for finding in findings:
        if finding.status != "triggered":
            continue
        rule = worded(rule_of[finding.id])  # its actions follow its params too
        by_basis = {c.basis: c.hours_per_month for c in finding.evidence.costs}
        # a self-assessed answer measured nothing: every fix of the sign stands
        judged = not finding.self_assessed and any(
            c.met is not None for c in finding.threshold.conditions.values())
        for fix in rule.fixes:
            if judged and not _cause_held(fix, finding.threshold.conditions, finding.metrics):
                continue  # its cause was measured and did not hold here
            bases = [b for b in fix.addresses if b in by_basis]
            # unrounded: its money is rounded once from the same figure as its bases'
            hours = sum(by_basis[b] for b in bases) if bases else None
            if fix.needs_hours and not hours:
                continue
            weight = 1.0 if fix.horizon == "quick" else d.structural_weight
            key = (
                -(hours or 0.0) * weight,
                0 if hours is not None else 1,
                0 if fix.horizon == "quick" else 1,
                finding.number or 99,
            )
            planned = FixOut(
                rank=0, sign=finding.id, id=fix.id,
                action=_fix_action(fix, rule, finding, d.wording), horizon=fix.horizon,
                hours_at_stake_per_month=hours,
                money_per_month=None if (hours is None or d.hourly_rate is None)
                else round(hours * d.hourly_rate, 0),
                why_here="",
            )
            bases_of[id(planned)] = {(finding.id, b) for b in bases}
            if finding.self_assessed:
                answered.add(id(planned))
            rows.append((key, planned))
    rows.sort(key=lambda r: r[0])
    seen: list[tuple[int, set[tuple[str, str]]]] = []
    out: list[FixOut] = []
    for rank, (_, planned) in enumerate(rows, start=1):
        if planned.hours_at_stake_per_month is None:
            template = d.wording["why_self_assessed" if id(planned) in answered
                                 else "why_unquantified"]
        elif planned.horizon == "quick":
            template = d.wording["why_quick"]
        else:
            template = d.wording["why_structural"]
        planned.rank = rank
        planned.why_here = fmt(template, {
            "hours": planned.hours_at_stake_per_month, "sign": planned.sign,
            "weight": d.structural_weight, "rank": rank,
        })
        # two fixes can address the same hours (two of one sign, or of two signs that price
        # the same tickets' handle minutes): say so, or readers add them up
        mine = bases_of[id(planned)]
        shared = [r for r, theirs in seen if mine & theirs]
        if shared:
            planned.why_here += " " + fmt(d.wording["why_shared"], {
                "first": ", ".join(f"#{r}" for r in shared)})
            planned.shares_hours_with = shared
        # its bases and the other signs' bases that price some of the same tickets
        seen.append((rank, mine.union(*(linked.get(b, set()) for b in mine))))
        out.append(planned)
    return out


# ---- the whole diagnosis ---------------------------------------------------------------

@dataclass
class Diagnosis:
    """Inputs of a diagnosis besides the rules: the tables and what was read."""

    tickets: pd.DataFrame
    events: pd.DataFrame
    inputs: list[InputInfo]
    data_notes: list[str] = field(default_factory=list)
    #: canonical time columns that carry no time of day (every value at midnight)
    day_only: frozenset[str] = frozenset()
    #: the people's name words before ``--redact`` pseudonymised them (Context.name_words)
    name_words: frozenset[str] | None = None
    #: the inputs' headers no field was read from (Context.unread_columns)
    unread_columns: tuple[str, ...] = ()
    #: the rows that fill each of them (Context.unread_filled)
    unread_filled: Mapping[str, int] = field(default_factory=dict)


def diagnose(
    data: Diagnosis,
    rules: Rules,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
    answers: Mapping[str, bool] | None = None,
    window_note: str | None = None,
    checks: bool = True,
    tz: str = "UTC",
) -> Report:
    """Measure and grade every sign and check (the checks only when ``checks``: a
    period's trend point needs the signs alone), and assemble the Report."""
    d = rules.defaults
    progress.say(f"reading the shape of {len(data.tickets):,} tickets")
    # model.done_at made of its two parts, which the Context keeps for the signs that
    # read them (reporting, backlog): each a million-row pass, worked out once a run
    stamp, done = m.done_stamp(data.tickets), m.is_done(data.tickets)
    done_at = stamp.where(done)
    shape = measure_shape(data.tickets, d.shape, done_at)
    choice = choose_window(data.tickets, rules, since, until, window_note, tz, shape,
                           done_at)
    shape = _starts_late(_source_ends_in_window(
        _floor_in_window(_gap_in_window(shape, choice.window), choice.window,
                         d.window_weeks), choice.window,
        float(d.shape["source_end_min_weeks"])), choice.window, tz)
    # the tickets a none-open cut lacks, as they bear on the window's weeks
    shape = judge_none_open(shape, data.tickets, done_at, choice.window.end, d.shape)
    # what an update cut shows of the tickets it lacks (the backlog sign's bars)
    backlog_rule = rules.signs.get("backlog")
    shape = judge_update_cut(shape, data.tickets, done_at, choice.window.start,
                             backlog_rule.params if backlog_rule is not None else {})
    ctx = Context(
        tickets=data.tickets,
        events=data.events,
        window=choice.window,
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(),
        max_samples=d.max_samples,
        shape=shape,
        analyses={a.id: a.params for a in rules.analyses.values()},
        checks={c.id: c.params for c in rules.checks.values()},
        signs={s.id: s.params for s in rules.signs.values()},
        tz=tz,
        day_only=data.day_only,
        name_words=data.name_words,
        unread_columns=data.unread_columns,
        unread_filled=data.unread_filled,
        # the canonical fields each input's header carries (filled or not), by its tool
        # and file: a blank column is a configuration gap, an absent one a capability gap
        read_fields=tuple((i.tool, i.path, frozenset(i.column_map)) for i in data.inputs),
    ).given_done_at(done_at, stamp=stamp, done=done)
    sign_rules = list(rules.signs.values())
    check_rules = list(rules.checks.values()) if checks else []
    more: dict[str, Callable[[], Any]] = {}
    if checks:  # a period's trend point needs the signs alone
        from itsm_diag.insights import jobs

        more = jobs(ctx, rules)
    measured, raw_kpis, premeasured = measure_all([*sign_rules, *check_rules], ctx, more)
    signs = [build_finding(r, meas, choice, rules)
             for r, meas in zip(sign_rules, measured[:len(sign_rules)], strict=True)]
    # a ticket's handle minutes two signs price are one cost: the later sign says so
    signs = count_once(signs, measured[:len(sign_rules)], len(data.tickets), rules)
    checked = [build_finding(r, meas, choice, rules)
               for r, meas in zip(check_rules, measured[len(sign_rules):], strict=True)]
    analyses: dict[str, Any] = {}
    if checks:  # a period's trend point needs the signs alone
        from itsm_diag.insights import analyse

        progress.say("reading the flow, the recurring wordings and the open tickets")
        analyses, signs, checked = analyse(ctx, rules, signs, checked, premeasured)
    # an unknown names what would answer it in the words of the inputs' tools
    from itsm_diag.advice import answered

    read = [(i.tool, i.column_map) for i in data.inputs]
    def mask_of(kinds: tuple[str, ...]) -> pd.Series:
        return ctx.of_kind(*kinds)  # the masks the signs asked for (ctx.tickets is data's)

    signs = answered(signs, rules, read, data.tickets, data.events, mask_of=mask_of)
    checked = answered(checked, rules, read, data.tickets, data.events, mask_of=mask_of)
    self_assessed = 0
    if answers:
        for i, finding in enumerate(signs):
            if finding.status == "unknown" and finding.id in answers:
                status: Status = "triggered" if answers[finding.id] else "clear"
                signs[i] = finding.model_copy(update={
                    "status": status, "self_assessed": True, "confidence": "low",
                    "reason": d.wording["self_assessed_yes" if answers[finding.id]
                                        else "self_assessed_no"],
                })
                self_assessed += 1
    score = sum(1 for s in signs if s.status == "triggered")
    unknown = sum(1 for s in signs if s.status == "unknown")
    # the verdicts another window of the same desk could read the other way
    noisy = (sum(1 for s in signs if s.status == "triggered" and s.within_noise),
             sum(1 for s in signs if s.status == "clear" and s.within_noise))
    kpis = _kpis(raw_kpis, choice, rules, signs, data.day_only, ctx)
    by_kind = data.tickets[m.KIND].value_counts()
    total_hours, total_money, hours_note = hours_counted_once(signs, rules)
    return Report(
        generated_by=Tool(version=__version__),
        as_of=choice.window.end.isoformat(),
        window=_window_out(choice),
        inputs=data.inputs,
        tickets=TicketCounts(
            total=len(data.tickets),
            by_kind={str(k): int(v) for k, v in by_kind.items()},
            in_window=int(ctx.opened_in_window().sum()),
            done_in_window=int(ctx.done_in_window().sum()),
        ),
        score=score,
        band=honest_band(score, unknown),  # type: ignore[arg-type]
        band_range=list(band_range(score, unknown)),  # type: ignore[arg-type]
        band_range_within_noise=list(
            noise_band_range(score, unknown, noisy)),  # type: ignore[arg-type]
        band_text=band_sentence(score, unknown, len(signs), d.wording, d.bands, noisy),
        unknown=unknown,
        score_max_if_unknown_apply=score + unknown,
        self_assessed=self_assessed,
        signs=signs,
        checks=checked,
        kpis=kpis,
        fixes=fix_plan(signs, rules),
        check_fixes=fix_plan(checked, rules, checks=True),
        hours_at_stake_per_month=total_hours, money_per_month=total_money,
        hours_note=hours_note,
        analyses=analyses,
        data_notes=[*data.data_notes, *shape_notes(shape, d.wording), *choice.notes],
        extract_shape=shape.as_dict(),
        assumptions=Assumptions(
            handle_minutes=d.handle_minutes, hourly_rate=d.hourly_rate, currency=d.currency,
            effort={kind: EffortOut(
                minutes=e.minutes, source="logged" if e.from_log else "default",
                done=e.done, logged=e.logged, text=e.words(kind, d.wording))
                for kind, e in kind_effort(ctx).items()},
            overrides=rules.overrides,
            cost_params={f"{section}.{rule.id}.params.{name}": value
                         for section, group in (("signs", rules.signs), ("checks", rules.checks))
                         for rule in group.values()
                         for name, value in rule.cost_params().items()},
            measuring={key: getattr(d, key) for key in MEASURING_DEFAULTS},
        ),
    )


#: the global defaults that decide what is measured (``assumptions.measuring``): compare
#: names any that differ between two reports
MEASURING_DEFAULTS = ("weekmask", "holidays", "catch_all_categories", "vague_summaries",
                      "vague_filler_words", "shape", "active_week_share", "tail_weeks",
                      "ttr_closed_share", "noise_level")
#: those of them several signs read (the business-day calendar, the category and summary
#: word lists): a change leaves every sign measured under other rules
READ_BY_EVERY_SIGN = ("weekmask", "holidays", "catch_all_categories", "vague_summaries",
                      "vague_filler_words")


#: the reporting sign's KPI names and the KPI panel's keys they judge
_PANEL_KEY = {"time_to_resolve": "time_to_resolve_hours",
              "first_contact_resolution": "first_assignment_resolution",
              "sla_adherence": "sla_adherence", "volume_by_category": "volume_by_category",
              "backlog_trend": "backlog_weekly"}


#: the KPI panel's figures in hours, and the columns they are measured between
_HOURS_KPIS = {"time_to_resolve_hours": (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT)}


def _ttr_reach(ttr: Mapping[str, Any], ctx: Context, tz: str,
               words: Mapping[str, str], lean: str) -> str:
    """The time to resolve's caveat when the export does not reach back before the
    window's start ('' when it does): its tickets opened before then and done in the
    window, the slowest ones, are not in the median and p90, which lean low (a baseline
    quarter starting on the export's first day read p90 227.1 h where the same desk's
    later quarter read 290.9 h with them, 251 h without, and ``compare`` called it worse).

    Not measured again: it reaches back too little when the window has days before the
    export's first ticket (or its flow's start: the ``starts_late`` shape, which says so
    among the data notes), or when the backlog sign found it lacks tickets opened
    earlier and still open in its trend's first week (:func:`unseen_at_end`: the export
    starts within 28 days of the window, or less far back than the 99th percentile of its
    tickets' time to done, and a material number of them is missing). The p90 is no
    yardstick for the reach: an export reaching back as far as the p90 ticket takes
    still lacks the tickets slower than it, which are the p90's own (a generated desk's
    p90 read 6-11% low at that reach, under 2% at 28 days)."""
    p90 = ttr.get("p90")
    late, found = ctx.shape.starts_late, unseen_at_end(ctx)
    if p90 is None or (late is None and found is None):
        return ""
    start = ctx.window.start
    if found is not None and pd.notna(found[1]):
        first = _local(found[1], tz, with_time=False)
        days = float((found[1] - start) / pd.Timedelta(days=1))
    elif late is not None:
        first, days = late.first, late.weeks_before * 7
    else:
        return ""
    reach = fmt(words["kpi_caveat.ttr_reach.inside" if days >= 0
                      else "kpi_caveat.ttr_reach.before"], {"first": first, "days": abs(days)})
    unseen = ""
    if found is not None and found[0].code == "unseen_unbounded":
        unseen = fmt(words["kpi_caveat.ttr_unseen.unbounded"], found[0].params)
    elif found is not None:
        unseen = fmt(words["kpi_caveat.ttr_unseen.estimate"], found[0].params)
    return fmt(words["kpi_caveat.ttr_reach"], {
        "lean": lean, "reach": reach, "p90": p90, "p90_days": p90 / 24, "unseen": unseen})


def _volume_items(raw: dict[str, Any], left_out: Mapping[str, Any],
                  words: Mapping[str, str]) -> None:
    """The KPI panel's catalogue items in its volume by category (keyed ``(CATALOGUE_ITEM,
    name)``: the requests of a table with no category field,
    :func:`~itsm_diag.signs.kpis.by_item`), each labelled ``kpi_volume.item`` ("Password
    reset (catalogue item)"), and the definition saying how many were."""
    volume = raw["volume_by_category"]
    if any(isinstance(key, tuple) for key in volume):
        labelled: dict[str, int] = {}
        for key, n in volume.items():  # in order: most first, "(other)" last
            label = fmt(words["kpi_volume.item"], {"item": key[1]}) \
                if isinstance(key, tuple) else str(key)
            labelled[label] = labelled.get(label, 0) + int(n)
        raw["volume_by_category"] = labelled
    if left_out.get("by_item"):
        raw["definitions"]["volume_by_category"] += " " + fmt(
            words["kpi_def.volume_by_category.items"], left_out)


def _kpis(raw: dict[str, Any], choice: WindowChoice, rules: Rules,
          signs: list[Finding], day_only: frozenset[str] = frozenset(),
          ctx: Context | None = None) -> Kpis:
    """The KPI panel, measured by the signs layer; the engine words its note codes, takes
    the backlog figures from the backlog sign (so the panel and the sign show one number)
    and each KPI's reliability from the reporting sign (so a KPI the export cannot carry
    is never shown without its caveat); the time to resolve of an export that does not
    reach back before the window's start is not reliable either (:func:`_ttr_reach`)."""
    words = rules.defaults.wording
    notes = []
    for code in raw["notes"]:
        kpi, _, reason = code.partition(".")
        notes.append(fmt(words["kpi_note"], {
            "kpi": words.get(f"kpi.{kpi}", kpi),
            "reason": words.get(f"kpi_reason.{reason}", reason),
        }))
    raw["notes"] = notes
    left_out = raw.pop("left_out", {})
    bounds = {"start": choice.window.start, "end": choice.window.end}
    bounds = {k: _local(v, choice.tz, with_time=False) for k, v in bounds.items()}
    keys = ("time_to_resolve_hours", "first_assignment_resolution", "sla_adherence",
            "volume_by_category", "backlog_weekly")
    raw["labels"] = {kpi: words[f"kpi.{kpi}"] for kpi in keys}
    raw["targets"] = {k: v for k, v in rules.defaults.kpi_targets.items() if k in keys}
    # the backlog's week ends run to the data's end when a --until reaches past it, and
    # its open tickets are counted there (as the backlog sign says it)
    from itsm_diag.insights import end_said

    open_at = end_said(choice.window, choice.tz, words)
    weeks_end = _local(choice.window.covered_end, choice.tz, with_time=False)
    raw["definitions"] = {kpi: fmt(words[f"kpi_def.{kpi}"], {
        **bounds, **left_out, "rest": words["kpi_volume.rest"], "weeks_end": weeks_end,
        "end_said": open_at}) for kpi in keys}
    raw["backlog_open_at"] = open_at
    # the requests of a table with no category field (ServiceNow's requested items) are
    # counted by their catalogue item: labelled so, in the one volume table, and said
    _volume_items(raw, left_out, words)
    if left_out.get("cleanup"):  # a clean-up script's closures: no work done
        for kpi in ("time_to_resolve_hours", "first_assignment_resolution", "sla_adherence"):
            raw["definitions"][kpi] += " " + fmt(words["kpi_def.cleanup"], left_out)
    if left_out.get("children"):  # a major incident's children: its one outage
        for kpi in ("time_to_resolve_hours", "first_assignment_resolution", "sla_adherence"):
            raw["definitions"][kpi] += " " + fmt(words["kpi_def.children"], left_out)
    if left_out.get("sla_no_sla"):  # a made-SLA flag on tickets with no SLA attached
        raw["definitions"]["sla_adherence"] += " " + fmt(
            words["kpi_def.sla_adherence.no_sla"], left_out)
    if left_out.get("far_unassigned"):  # done never assigned: no first assignment
        raw["definitions"]["first_assignment_resolution"] += " " + fmt(
            words["kpi_def.first_assignment_resolution.unassigned"], left_out)
    if left_out.get("sla_unread"):  # a made-SLA flag filled with words not read
        raw["definitions"]["sla_adherence"] += " " + fmt(
            words["kpi_def.sla_adherence.unread"], left_out)
    by_id = {f.id: f for f in signs}
    backlog = by_id.get("backlog")
    if backlog is not None:
        raw["backlog"] = {name: backlog.metrics[metric].value for name, metric in (
            ("start", "backlog_start"), ("end", "backlog_end"), ("shrink", "backlog_shrink"),
            ("open_now", "open_now"), ("waiting_now", "waiting_now"))
            if metric in backlog.metrics}
        # an extract no week's backlog can be rebuilt from: no week's open count beside
        # the panel's "n/a" (the sign's table and chart show none either)
        if raw["backlog"]["open_now"] is None and ctx is not None and no_week_shape(ctx):
            raw["backlog_weekly"] = flow_rows(raw["backlog_weekly"])
        if backlog.status == "unknown":
            raw.setdefault("caveats", {})["backlog_weekly"] = fmt(
                words["kpi_caveat.backlog_unknown"], {"reason": backlog.reason})
            # the flag says what the caveat says ("Not reliable" beside true misled a CI)
            raw.setdefault("reliable", {})["backlog_weekly"] = False
        else:
            # a verdict that stands on a trend lacking tickets (the sign's estimate of
            # them in a note): its growth may be the cut's ramp, which the panel says
            cut = next((n for n in backlog.evidence.notes if n.code == "unseen_estimate"),
                       None)
            # ... or whose figures count the sign's estimate of them (unseen_counted)
            counted = next((n for n in backlog.evidence.notes
                            if n.code == "unseen_counted"), None)
            start, end = raw["backlog"]["start"], raw["backlog"]["end"]
            if counted is not None:
                raw.setdefault("caveats", {})["backlog_weekly"] = fmt(
                    words["kpi_caveat.backlog_counted"], {"note": counted.text})
            elif cut is not None and start is not None and end is not None and end >= start:
                raw.setdefault("caveats", {})["backlog_weekly"] = fmt(
                    words["kpi_caveat.backlog_cut"], {"note": cut.text})
        # said once: not again where the sign's unknown says it (its reason, above)
        from itsm_diag.signs.backlog import waiting_found

        waits = None if ctx is None else waiting_found(ctx)
        said_already = (backlog.status == "unknown" and waits is not None
                        and waits.decides is not None and _note_out(
                            worded(rules.signs["backlog"]), waits.decides).text
                        in backlog.reason)
        if not said_already:
            _backlog_waiting(raw, rules.defaults.waiting_open_share, words)
    reporting = by_id.get("reporting")
    # the sign's table whenever it measured: an unknown verdict (a KPI left unread that
    # decides it) still knows which KPIs are unreliable here
    if reporting is not None and reporting.evidence.tables.get("kpis"):
        texts = {n.code: n.text for n in reporting.evidence.notes}
        for row in reporting.evidence.tables.get("kpis", []):
            key = _PANEL_KEY.get(str(row.get("kpi")))
            if key is None:
                continue
            held = raw.setdefault("reliable", {})
            held[key] = bool(row.get("computable")) and held.get(key, True)
            if not row.get("computable"):
                caveats = raw.setdefault("caveats", {})
                text = texts.get(str(row.get("detail")), "")
                # a trend the extract cannot rebuild: the backlog sign's own reason, when
                # it gave one, says it best; any other gap is the sign's to say
                if row.get("gap") == "extract":
                    caveats.setdefault(key, text)
                else:
                    caveats[key] = text
    # hours counted between day stamps are whole days between midnights (a median of
    # 19.1 hours reads 24.0): said wherever the panel is, a period's too
    for key, columns in _HOURS_KPIS.items():
        if day_only.intersection(columns):
            raw.setdefault("caveats", {}).setdefault(key, fmt(words["kpi_caveat.date_only"], {}))
    _machine_made(raw, rules.defaults.machine_made_share, words)
    # after any other caveat on it (said too): measured to the closed time where the
    # tool records resolutions, it leans high; lacking the slowest tickets, it leans low
    # (said against the first when both hold), and ``compare`` gives a KPI not reliable
    # on either side no direction
    high = _ttr_closed(raw.pop("ttr_closed", None), rules.defaults.ttr_closed_share, words,
                       raw["time_to_resolve_hours"])
    lean = words["kpi_caveat.ttr_lean.against" if high else "kpi_caveat.ttr_lean.low"]
    reach = "" if ctx is None else _ttr_reach(raw["time_to_resolve_hours"], ctx, choice.tz,
                                               words, lean)
    if high or reach:
        key = "time_to_resolve_hours"
        caveats = raw.setdefault("caveats", {})
        caveats[key] = " ".join(text for text in (caveats.get(key, ""), high, reach) if text)
        raw.setdefault("reliable", {})[key] = False
    # after those: the calendar clock counts time waiting on others, which the figure
    # without it beside says (the figure stays reliable: it is what the customer waited)
    _ttr_waiting(raw, rules.defaults.waiting_share, words)
    _kpi_targets(raw, words)
    from itsm_diag.signs.kpis import OTHER  # as compute_kpis: imported where it runs

    raw["volume_words"] = {"other": OTHER, "rest": words["kpi_volume.rest"]}
    return Kpis.model_validate(raw)


def _machine_made(raw: dict[str, Any], share: float, words: Mapping[str, str]) -> None:
    """The caveats of the three figures that leave out the tickets a machine raised
    (:func:`~itsm_diag.signs.kpis.compute_kpis`) when those are at least ``share``
    (``defaults.machine_made_share``) of the incidents and requests done in the window:
    each figure with them counted in (an alert storm of 3,000 auto-resolved alerts read
    a median of 9.8 h where the desk's own tickets took 20.0 h). Said after any other
    caveat on it; the figure stays reliable (it is the desk's)."""
    found = raw.pop("machine_made", None) or {}
    n, done = int(found.get("machine", 0)), int(found.get("done", 0))
    if not n or n < share * done:
        return
    values = {**found, "share": n / done}
    for key, needs in (("time_to_resolve_hours", "median_with"),
                       ("first_assignment_resolution", "far_with"),
                       ("sla_adherence", "sla_with")):
        if found.get(needs) is None:
            continue
        text = fmt(words[f"kpi_caveat.machine_made.{key}"], values)
        caveats = raw.setdefault("caveats", {})
        caveats[key] = " ".join(t for t in (caveats.get(key, ""), text) if t)


def _ttr_waiting(raw: dict[str, Any], share: float, words: Mapping[str, str]) -> None:
    """The time to resolve's definition says its hours are calendar hours, waiting on
    the requester or a third party included, where the export measures that waiting and
    which columns about holds it leaves unread; a caveat gives the median and p90
    without the waiting when it is at least ``share`` (``defaults.waiting_share``) of the
    hours measured (a desk whose tickets waited days on vendors read a median of 85.3 h
    where its own work took 7.9 h, while its flow view showed 85% of the time in
    Awaiting statuses). Said after any other caveat on it; the figure stays reliable (it
    is the calendar time the customer waited)."""
    found = raw.pop("ttr_waiting", None) or {}
    key = "time_to_resolve_hours"
    values = {**found, "columns": ", ".join(found.get("columns") or [])}
    parts = [fmt(words["kpi_def.ttr_waiting"], values)]
    if found.get("known"):
        source = ("export" if not found.get("history") else "history"
                  if not found.get("export") else "both")
        values["source"] = fmt(words[f"kpi_def.ttr_waiting.{source}"], values)
        parts.append(fmt(words["kpi_def.ttr_waiting.measured"], values))
    if values["columns"]:
        parts.append(fmt(words["kpi_def.ttr_waiting.unread"], values))
    raw["definitions"][key] += " " + " ".join(parts)
    if not found.get("known") or found.get("share", 0.0) < share or not found.get("held"):
        return
    text = fmt(words["kpi_caveat.ttr_waiting"], values)
    caveats = raw.setdefault("caveats", {})
    caveats[key] = " ".join(t for t in (caveats.get(key, ""), text) if t)


def _backlog_waiting(raw: dict[str, Any], share: float, words: Mapping[str, str]) -> None:
    """The backlog line's caveat when at least ``share`` (``defaults.waiting_open_share``) of
    its open tickets wait on the caller or a third party (the backlog sign's
    ``waiting_now``): the desk cannot complete them, and the line counts them (a queue
    87% on hold read "100 -> 127 (trend), 123 open" with no word of it)."""
    b = raw.get("backlog") or {}
    wait, now = b.get("waiting_now"), b.get("open_now")
    if not wait or not now or wait < share * now:
        return
    text = fmt(words["kpi_caveat.backlog_waiting"], {
        "waiting": wait, "open_now": now, "share": wait / now, "rest": now - wait})
    caveats = raw.setdefault("caveats", {})
    caveats["backlog_weekly"] = " ".join(
        t for t in (caveats.get("backlog_weekly", ""), text) if t)


def _kpi_targets(raw: dict[str, Any], words: Mapping[str, str]) -> None:
    """Each target set (``defaults.kpi_targets``) held against its figure, the time to
    resolve's median, the shares' value: met or missed (``targets_met``), unjudged
    (null) where the figure is missing or not reliable; worded once
    (``target_texts``: "median at most 24.0 h: met (19.1 h)") for every format, and
    said in the KPI's definition. The HTML alone showed "at most 24.0 h", beside both
    a median of 19.1 h and a p90 of 76.6 h, with no word of which or whether met."""
    met: dict[str, bool | None] = {}
    texts: dict[str, str] = {}
    decimals: dict[str, int] = {}
    for key, target in raw["targets"].items():
        unit = "hours" if key == "time_to_resolve_hours" else "ratio"
        value = (raw["time_to_resolve_hours"] or {}).get("median") \
            if key == "time_to_resolve_hours" else raw.get(key)
        # the target in force, exactly (77.53%, not 78%; 19.08 h, not 19.1 h), and the
        # figure beside it with the decimals that keep it on its side
        goal = fmt(words[f"kpi_target.{key}"], {"target": figure_exact(target, unit)})
        if value is None:
            met[key], outcome = None, "none"
        elif not raw.get("reliable", {}).get(key, True):
            met[key], outcome = None, "unreliable"
        else:
            up = KPI_TARGETS.get(key) == "at_least"
            met[key] = bool(value >= target if up else value <= target)
            outcome = "met" if met[key] else "missed"
        decimals[key] = beside_decimals(value, target, unit)
        texts[key] = fmt(words[f"kpi_target.{outcome}"], {
            "target": goal, "value": figure(value, unit, decimals[key])})
        raw["definitions"][key] = " ".join(
            (raw["definitions"][key], fmt(words["kpi_def.target"], {"target": texts[key]})))
    raw["targets_met"], raw["target_texts"], raw["decimals"] = met, texts, decimals


def _ttr_closed(lean: Mapping[str, Any] | None, share: float,
                words: Mapping[str, str], ttr: Mapping[str, Any] | None = None) -> str:
    """The time to resolve's caveat when the closed-time fallback measures at least
    ``share`` (``defaults.ttr_closed_share``) of its tickets where their tool records
    resolutions ('' otherwise): their closure comes after the resolution, so the figure
    leans high; by how much, where tickets with both times show the lag, and what the
    median and p90 are without them (:func:`~itsm_diag.signs.kpis._closed_lean`). The
    real log's list read 23.95 h where its audit log, which knows when its 1,524
    incidents created already resolved were resolved, reads 7.37 h.

    It leans high as far as the figures without them say: both, or only the median or
    only the p90 where the other would be no lower without them
    (``kpi_caveat.ttr_closed.lean.*``); where neither would be lower, those tickets do
    not pull the figure high (closed straight away, they are among the fastest), and no
    caveat is said."""
    if not lean or not lean.get("n") or not lean.get("leaning"):
        return ""
    part = lean["leaning"] / lean["n"]
    if part < share:
        return ""
    which = "both"
    median, p90 = (ttr or {}).get("median"), (ttr or {}).get("p90")
    if lean.get("median_without") is not None and median is not None and p90 is not None:
        lower = (lean["median_without"] < median, lean["p90_without"] < p90)
        if not any(lower):
            return ""
        which = "both" if all(lower) else "median" if lower[0] else "p90"
    values = {**lean, "share": part,
              "lean": fmt(words[f"kpi_caveat.ttr_closed.lean.{which}"], {})}
    lag = "" if lean.get("lag_median") is None else fmt(
        words["kpi_caveat.ttr_closed.lag"], values)
    without = "" if lean.get("median_without") is None else fmt(
        words["kpi_caveat.ttr_closed.without"], values)
    return fmt(words["kpi_caveat.ttr_closed"], {**values, "lag": lag, "without": without})


# ---- calendar periods: --since/--until keywords and --period ---------------------------

#: ``--since``/``--until`` keywords and the calendar period each names
PERIOD_KEYWORDS: dict[str, str] = {"last-month": "month", "last-quarter": "quarter"}
#: ``--period`` values and their length in months
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3}
#: a ``--period`` run diagnoses at most this many periods, the latest ones
MAX_PERIODS = 36


def period_start(ts: pd.Timestamp, kind: str, tz: str = "UTC") -> pd.Timestamp:
    """The first instant (as UTC) of the calendar month or quarter (in ``tz``) holding ``ts``."""
    months = PERIOD_MONTHS[kind]
    local = ts.tz_convert(tz)
    month = (local.month - 1) // months * months + 1
    return m.wall_time_to_utc(pd.Timestamp(year=local.year, month=month, day=1), tz)


def period_end(start: pd.Timestamp, kind: str, tz: str = "UTC") -> pd.Timestamp:
    """The last instant of the period starting at ``start`` (windows include their end)."""
    following = m.local_day(start, tz) + pd.DateOffset(months=PERIOD_MONTHS[kind])
    return m.wall_time_to_utc(following, tz) - LAST_TICK


def period_label(start: pd.Timestamp, kind: str, tz: str = "UTC") -> str:
    """``2026-09`` for a month, ``2026-Q3`` for a quarter."""
    local = start.tz_convert(tz)
    if kind == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local:%Y-%m}"


def last_complete_period(kind: str, as_of: pd.Timestamp, tz: str = "UTC"
                         ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The latest calendar month or quarter whose last day ``as_of`` reaches: the
    period holding ``as_of`` when ``as_of`` falls on its last day (an export taken up
    to 23:59 on 30 September covers September), else the period before it."""
    start = period_start(as_of, kind, tz)
    end = period_end(start, kind, tz)
    if day_start(as_of, tz) < day_start(end, tz):
        start = period_start(start - pd.Timedelta(days=1), kind, tz)
        end = period_end(start, kind, tz)
    return start, end


def calendar_periods(
    kind: str, start: pd.Timestamp, end: pd.Timestamp, tz: str = "UTC"
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Each calendar period overlapping [start, end]: ``(label, period start, period
    end)`` in time order, whole (the caller cuts them to what the data covers)."""
    out = []
    p_start = period_start(start, kind, tz)
    while p_start <= end:
        p_end = period_end(p_start, kind, tz)
        out.append((period_label(p_start, kind, tz), p_start, p_end))
        p_start = p_end + LAST_TICK
    return out


def data_start(tickets: pd.DataFrame, shape: Mapping[str, Any]) -> pd.Timestamp | None:
    """When the data begins: where its flow of tickets starts when strays or a pilot's
    trickle came before it (they are no period of their own; ``shape``: the rules' shape
    params), else the first opened time, else the first activity time."""
    first = flow_start(tickets, shape) or m.earliest_time(tickets[m.OPENED_AT])
    return first if first is not None else m.activity_bound(tickets, last=False)


def data_end(tickets: pd.DataFrame, rules: Rules, as_of: pd.Timestamp,
             tz: str = "UTC") -> pd.Timestamp:
    """Where the data ends, up to ``as_of`` (the report's): ``as_of`` when the data
    reaches it, else the end of the day of its last arrival or completion, the day a
    ``--until`` after the data is measured against (:func:`choose_window`'s
    ``Window.data_to``, found the same way): the weeks after it hold no ticket."""
    done = m.done_at(tickets)
    latest = m.activity_bound(tickets, last=True)
    if latest is None:
        return as_of
    shape = measure_shape(tickets, rules.defaults.shape, done)
    end = _data_end(tickets, rules, latest, tz, shape, done)[0]
    if end >= as_of:
        return as_of
    last = _last_activity(tickets, end, as_of, tz, done)
    return as_of if last is None else min(last, as_of)


def diagnose_periods(
    data: Diagnosis,
    rules: Rules,
    kind: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp,
    answers: Mapping[str, bool] | None = None,
    tz: str = "UTC",
) -> tuple[list[PeriodOut], list[str]]:
    """One full diagnosis per calendar period from ``start`` (``--since``; None: where
    the data starts) to ``end`` (the report's as-of), the tickets read once and each
    period its own window, summarised for a trend line; and data notes.

    Each period is cut to what the data covers: from the day its flow starts
    (:func:`data_start`, as without ``--since``: strays opened before it are no period's
    data) to where it ends (:func:`data_end`: a ``--until`` after it adds no ticket),
    and to ``--since``/the as-of. A period so cut is diagnosed over the whole days left,
    marked partial with the share of its days they are, and given no band (its rates and
    counts are of a shorter span than its label says). A period the data's flow does not
    reach is not diagnosed; a data note names it and why."""
    flow = data_start(data.tickets, rules.defaults.shape)
    if start is None:
        start = end if flow is None else flow
    periods = calendar_periods(kind, start, end, tz)
    notes = []
    if len(periods) > MAX_PERIODS:
        dropped = periods[:-MAX_PERIODS]
        notes.append(f"--period {kind}: only the latest {MAX_PERIODS} periods are diagnosed; "
                     f"{dropped[0][0]} to {dropped[-1][0]} are left out. Use --since to "
                     "choose the range")
        periods = periods[-MAX_PERIODS:]
    first_day, last_day = day_start(start, tz), day_end(end, tz)
    # the data's own span: a --since before its flow or a --until after its end asks for
    # days it does not cover, and a period of them is partial, not full
    last = data_end(data.tickets, rules, end, tz)
    covers_from = first_day if flow is None else max(first_day, day_start(flow, tz))
    covers_to = min(last_day, last)
    out = []
    for label, p_start, p_end in periods:
        w_start, w_end = max(p_start, first_day), min(p_end, last_day)
        if w_start >= w_end:
            continue
        c_start, c_end = max(w_start, covers_from), min(w_end, covers_to)
        try:
            if c_start >= c_end:  # none of the data's flow: why, as a window of it says
                _holds_data(data.tickets, w_start, w_end, last if last < end else None, tz)
                notes.append(f"--period {kind}: {label} is not diagnosed: it ends before "
                             f"the data's flow starts on {_local(covers_from, tz)} (the "
                             "tickets opened before that day are too few a week to be "
                             "its flow)")
                continue
            report = diagnose(data, rules, since=c_start, until=c_end, answers=answers,
                              checks=False, tz=tz)
        except OutsideData as exc:  # a --since before the data reaches a period it lacks
            notes.append(f"--period {kind}: {label} is not diagnosed: {exc.message}")
            continue
        days = (p_end + LAST_TICK - p_start) / pd.Timedelta(days=1)
        covered = (c_end + LAST_TICK - c_start) / pd.Timedelta(days=1)
        partial = covered < days
        # a partial period is not graded: a score of a day's data read as a month's would
        # be a verdict the period cannot carry (a one-day "month" whose queue "grew")
        out.append(PeriodOut(
            label=label, start=c_start.isoformat(), end=c_end.isoformat(),
            score=None if partial else report.score,
            band=UNDETERMINED if partial else report.band,  # type: ignore[arg-type]
            band_range=None if partial else report.band_range,
            triggered=[] if partial else [s.id for s in report.signs
                                          if s.status == "triggered"],
            unknown=None if partial else report.unknown, partial=partial,
            coverage=round(covered / days, 4),
        ))
    return out, notes
