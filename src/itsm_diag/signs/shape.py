"""The shape of the extract, measured before anything is graded.

Real exports are cut and selected in ways that bias what the signs measure. This module
looks at the incidents and requests over the whole span of the data (not only the
window) and reports what it sees, in numbers; the engine words it as data notes and the
signs a shape biases become ``unknown``:

- **closure-selected**: cases chosen because they were completed in a late period
  (process-mining logs are usually cut that way). Weeks on end with arrivals and next to
  no completions, then a burst of completions, and (nearly) every case done. A backlog
  rebuilt from it misses every ticket still open at the cut.
- **none open at the cut**: (next to) no ticket open at the latest arrival or completion,
  where the flow itself (arrivals a day in the weeks before it x the median time to done,
  Little's law) says a live queue would hold many. A plain "state is closed" filter makes
  that shape with no silent weeks at all. An export cut on the opened date with the later
  history kept does not: no ticket arrived in the weeks before its last completion, so
  the flow predicts an empty queue there.
- **one instant**: every opened and done time within a few hours (an import stamp or a
  copied date): times that carry no flow, so no sign that reads time is judged.
- **open only**: no ticket done at all, by its status or a done time: an extract of the
  open queue. Completions, times to resolve and lateness cannot be read from it.
- **no done times**: tickets done by their status, but not one with a resolved or closed
  time (a Jira workflow that never sets a resolution, a mapping without a done time):
  the done tickets are in the file, their times are not. Not a cut: the signs that need
  done times say so themselves (a reporting gap is one), and the note asks for the times.
- **updated since**: every ticket last updated on or after one time, yet many opened well
  before it and next to none done well before it (an "updated in the last 30 days"
  export): the tickets done before it, and the open ones not updated since, are missing.
  The window starts after it; the backlog and what is open are not judged.
- **arrivals stop while completions go on**: an export cut on the opened date with
  the tickets' later history kept. Handled by the window choice (the as-of moves back to
  the last week with arrivals), which says how many tickets were opened and done after.

Open-date ramps and mass closures are measured by the backlog sign itself (they bias
only the trend line, which it rebuilds without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m

#: the kinds whose flow the shape is read from (the backlog's scope); all tickets when none
FLOW_KINDS: tuple[str, ...] = ("incident", "request")
_DAY_US = 86_400 * 10**6


@dataclass(frozen=True)
class ClosureSelection:
    """Weeks of arrivals with (next to) no completions, then the completions."""

    silent_from: pd.Timestamp
    silent_to: pd.Timestamp
    silent_weeks: int
    silent_arrivals: int
    silent_completions: int
    burst_from: pd.Timestamp
    burst_to: pd.Timestamp
    burst_completions: int
    done: int
    total: int

    def params(self) -> dict[str, Any]:
        return {
            "silent_from": f"{self.silent_from:%Y-%m-%d}",
            "silent_to": f"{self.silent_to:%Y-%m-%d}",
            "silent_weeks": self.silent_weeks, "silent_arrivals": self.silent_arrivals,
            "silent_completions": self.silent_completions,
            "burst_from": f"{self.burst_from:%Y-%m-%d}", "burst_to": f"{self.burst_to:%Y-%m-%d}",
            "burst_completions": self.burst_completions, "done": self.done, "total": self.total,
            "done_share": self.done / self.total if self.total else 0.0,
        }


@dataclass(frozen=True)
class NoneOpen:
    """(Next to) no ticket open at the cut, though the flow says a queue would hold many."""

    cut: pd.Timestamp
    open_at_cut: int
    expected_open: float
    per_day: float
    median_hours: float
    recent_days: int
    done: int
    total: int

    def params(self) -> dict[str, Any]:
        return {
            "cut": f"{self.cut:%Y-%m-%d %H:%M}", "open_at_cut": self.open_at_cut,
            "expected_open": self.expected_open, "per_day": self.per_day,
            "median_hours": self.median_hours, "recent_days": self.recent_days,
            "done": self.done, "total": self.total,
            "done_share": self.done / self.total if self.total else 0.0,
        }


@dataclass(frozen=True)
class OneInstant:
    """Every opened and done time within a few hours: times that carry no flow."""

    first: pd.Timestamp
    last: pd.Timestamp
    hours: float
    total: int

    def params(self) -> dict[str, Any]:
        return {"first": f"{self.first:%Y-%m-%d %H:%M}", "last": f"{self.last:%Y-%m-%d %H:%M}",
                "hours": self.hours, "total": self.total}


@dataclass(frozen=True)
class OpenOnly:
    """Not one ticket done: an extract of the open queue."""

    done: int
    total: int

    def params(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total}


@dataclass(frozen=True)
class NoDoneTimes:
    """Tickets done by their status, not one with a done time: the times are missing."""

    done: int
    total: int

    def params(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total,
                "done_share": self.done / self.total if self.total else 0.0}


@dataclass(frozen=True)
class UpdatedSince:
    """Every ticket last updated on or after one time (``floor``), yet many opened well
    before it and next to none done well before it: an export selected on its update
    time ("updated in the last 30 days"). The tickets done before it, and those still
    open but not updated since, are not in it."""

    floor: pd.Timestamp
    opened_before: int
    done_before: int
    total: int
    #: ``updated_floor_days``: "well before" the floor
    days: float = 7.0

    def params(self) -> dict[str, Any]:
        return {"floor": f"{self.floor:%Y-%m-%d %H:%M}", "opened_before": self.opened_before,
                "done_before": self.done_before, "total": self.total, "days": self.days,
                "opened_share": self.opened_before / self.total if self.total else 0.0}


@dataclass(frozen=True)
class StartsLate:
    """The export's tickets start inside the window (cut on the opened date, or a tool
    only just adopted): the weeks before hold none, or only the ``earlier`` few that are
    no flow (:attr:`ExtractShape.flow_start`, :attr:`ExtractShape.flow_earlier`). Set
    once the window is chosen (:func:`itsm_diag.engine.diagnose`), not by
    :func:`measure_shape`."""

    first: str
    weeks_before: float
    weeks_covered: float
    earlier: int = 0

    def params(self) -> dict[str, Any]:
        return {"first": self.first, "before": self.weeks_before,
                "covered": self.weeks_covered, "earlier": self.earlier}


@dataclass(frozen=True)
class ExtractShape:
    """What the extract's shape says (``None`` fields: not seen)."""

    closure: ClosureSelection | None = None
    none_open: NoneOpen | None = None
    open_only: OpenOnly | None = None
    one_instant: OneInstant | None = None
    no_done_times: NoDoneTimes | None = None
    updated_since: UpdatedSince | None = None
    starts_late: StartsLate | None = None
    #: where the export's flow of tickets starts (:func:`_flow_start`), so that a few
    #: strays opened long before (a ticket left open for a year in an export of last
    #: month's), a pilot's trickle or an old open backlog do not stand for the start.
    #: Not a shape: not in :meth:`as_dict`
    flow_start: pd.Timestamp | None = None
    #: the incidents and requests opened before ``flow_start``
    flow_earlier: int = 0

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Each shape seen, by code, with its numbers (the report's ``extract_shape``)."""
        out: dict[str, dict[str, Any]] = {}
        if self.closure is not None:
            out["closure_selected"] = self.closure.params()
        if self.none_open is not None:
            out["none_open"] = self.none_open.params()
        if self.open_only is not None:
            out["open_only"] = self.open_only.params()
        if self.one_instant is not None:
            out["one_instant"] = self.one_instant.params()
        if self.no_done_times is not None:
            out["no_done_times"] = self.no_done_times.params()
        if self.updated_since is not None:
            out["updated_since"] = self.updated_since.params()
        if self.starts_late is not None:
            out["starts_late"] = self.starts_late.params()
        return out

    @property
    def biases_open_tickets(self) -> bool:
        """Whether measurements of the tickets still open are biased (none can be seen)."""
        return (self.closure is not None or self.none_open is not None
                or self.one_instant is not None or self.updated_since is not None)


def week_numbers(us: np.ndarray) -> np.ndarray:
    """The UTC calendar week (Monday to Sunday, pandas' ``"W"`` periods) of each instant
    (microseconds since the epoch), numbered as those periods' ordinals are: week 1 holds
    1970-01-01, a Thursday. Integer arithmetic where a conversion to periods costs ~30 ms
    a million timestamps."""
    return (np.floor_divide(us, _DAY_US) + 3) // 7 + 1


def weeks_of(ts: pd.Series) -> np.ndarray:
    """The :func:`week_numbers` of the times ``ts`` holds (missing times left out)."""
    us = m.ts_us(ts)  # UTC instants, any year the model holds
    return week_numbers(us[us != m.NAT])


def _weekly(ts: pd.Series, weeks: pd.PeriodIndex) -> np.ndarray:
    """Timestamps of ``ts`` per week of ``weeks`` (consecutive weeks; others not counted)."""
    n = len(weeks)
    slot = weeks_of(ts) - int(weeks[0].ordinal)
    slot = slot[(slot >= 0) & (slot < n)]
    return np.bincount(slot, minlength=n).astype(np.int64)


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True in ``flags`` (the first on ties)."""
    best = (0, 0)
    start = -1
    for i, flag in enumerate([*flags.tolist(), False]):  # one value a week: a few hundred
        if flag and start < 0:
            start = i
        elif not flag and start >= 0:
            if i - start > best[1]:
                best = (start, i - start)
            start = -1
    return best


def measure_shape(tickets: pd.DataFrame, params: Mapping[str, Any],
                  done_at: pd.Series | None = None) -> ExtractShape:
    """The extract's shape over incidents and requests (every ticket when there are none).

    ``params`` (``defaults.shape`` of the rules): ``silent_ratio``, ``min_silent_weeks``,
    ``min_silent_arrivals_share``, ``min_done_share``, ``min_tickets``. ``done_at``:
    :func:`model.done_at` of ``tickets`` when the caller has it already.
    """
    scope = tickets[m.KIND].isin(FLOW_KINDS).fillna(False).to_numpy(dtype=bool)
    if not scope.any():
        scope = np.ones(len(tickets), dtype=bool)
    t = m.rows_of(tickets, scope, [m.OPENED_AT])
    done_at = (m.done_at(tickets) if done_at is None else done_at)[scope]
    opened = t[m.OPENED_AT]
    total = int(opened.notna().sum())
    flow, earlier = _flow_start(opened, params)
    if total < int(params["min_tickets"]):
        return ExtractShape(flow_start=flow, flow_earlier=earlier)
    first = m.earliest_time(opened)
    if first is None:  # no opened time at all (a min_tickets of 0 lets it through)
        return ExtractShape()
    # the later of the two columns' maxima (no million-row concat to read one value)
    last = max(ts for ts in (m.latest_time(opened), m.latest_time(done_at)) if ts is not None)
    # every time within a few hours: an import stamp or a copied date, not a flow
    span = (last - first) / pd.Timedelta(hours=1)
    if span < float(params["one_instant_hours"]):
        return ExtractShape(one_instant=OneInstant(first=first, last=last, hours=span,
                                                   total=total),
                            flow_start=flow, flow_earlier=earlier)
    weeks = pd.period_range(first.tz_convert("UTC").tz_localize(None).to_period("W"),
                            last.tz_convert("UTC").tz_localize(None).to_period("W"), freq="W")
    arrivals = _weekly(opened, weeks)
    completions = _weekly(done_at, weeks)
    done = int(done_at.notna().sum())
    closure = None
    ratio = float(params["silent_ratio"])
    silent = (arrivals > 0) & (completions <= ratio * arrivals)
    start, length = _longest_run(silent)
    if length >= int(params["min_silent_weeks"]) and done >= float(
            params["min_done_share"]) * total:
        run = slice(start, start + length)
        silent_arrivals = int(arrivals[run].sum())
        later = completions[start + length:]
        if (silent_arrivals >= float(params["min_silent_arrivals_share"]) * total
                and later.sum() > 0):
            busy = np.flatnonzero(later)
            burst_first, burst_last = start + length + int(busy[0]), start + length + int(busy[-1])
            closure = ClosureSelection(
                silent_from=weeks[start].start_time.tz_localize("UTC"),
                silent_to=weeks[start + length - 1].end_time.tz_localize("UTC").floor("s"),
                silent_weeks=length, silent_arrivals=silent_arrivals,
                silent_completions=int(completions[run].sum()),
                burst_from=weeks[burst_first].start_time.tz_localize("UTC"),
                burst_to=weeks[burst_last].end_time.tz_localize("UTC").floor("s"),
                burst_completions=int(later.sum()), done=done, total=total,
            )
    none_open = None if closure is not None else _none_open(opened, done_at, params, done,
                                                             total)
    open_only = no_done_times = None
    if done == 0:
        # done by the status, not by a done time: a done ticket without its time is still
        # done (a workflow that never sets a resolution is no extract of the open queue)
        by_status = int((m.is_done(tickets).to_numpy(dtype=bool)[scope]
                         & opened.notna().to_numpy(dtype=bool)).sum())
        if by_status:
            no_done_times = NoDoneTimes(done=by_status, total=total)
        else:
            open_only = OpenOnly(done=0, total=total)
    updated_since = None
    if closure is None and none_open is None and done:
        updated_since = _updated_since(m.rows_of(tickets, scope, [m.UPDATED_AT])[m.UPDATED_AT],
                                       opened, done_at, params, total)
    return ExtractShape(closure=closure, none_open=none_open, open_only=open_only,
                        no_done_times=no_done_times, updated_since=updated_since,
                        flow_start=flow, flow_earlier=earlier)


def flow_start(tickets: pd.DataFrame, params: Mapping[str, Any]) -> pd.Timestamp | None:
    """:attr:`ExtractShape.flow_start` of ``tickets`` (their incidents and requests, every
    ticket when there are none) when tickets of that scope came before it (strays, a
    pilot's trickle), else None: for what needs it without the whole shape (the
    ``--period`` trend's first period)."""
    scope = tickets[m.KIND].isin(FLOW_KINDS).fillna(False).to_numpy(dtype=bool)
    if not scope.any():
        scope = np.ones(len(tickets), dtype=bool)
    start, earlier = _flow_start(m.rows_of(tickets, scope, [m.OPENED_AT])[m.OPENED_AT], params)
    return start if earlier else None


def _flow_start(opened: pd.Series, params: Mapping[str, Any]
                ) -> tuple[pd.Timestamp | None, int]:
    """The first ticket of the first week whose arrivals, and the median of its own and
    the next weeks' (``flow_rolling_weeks`` in all), reach ``flow_week_share`` of the
    busiest such weeks' mean (at least one ticket): a few strays, a pilot's trickle or
    the old open tickets an "open or opened last month" export carries come before it
    (one busier week among them is no start), the export's flow from it on; and how many
    were opened before it. None without an opened time."""
    us = m.ts_us(opened)
    us = us[us != m.NAT]
    if us.size == 0:
        return None, 0
    week = week_numbers(us)
    first = int(week.min())
    counts = np.bincount(week - first).astype(np.float64)
    span = min(int(params["flow_rolling_weeks"]), counts.size)
    busiest = float(np.convolve(counts, np.ones(span) / span, mode="valid").max())
    bar = max(float(params["flow_week_share"]) * busiest, 1.0)
    # one value a week (a few hundred at most): the first that starts a flow; none (a
    # storm week towering over a trickle) leaves the start at the first ticket
    start = first + next((w for w in range(counts.size) if counts[w] >= bar
                          and np.median(counts[w:w + span]) >= bar), 0)
    flow = week >= start
    return pd.Timestamp(int(us[flow].min()), unit="us", tz="UTC"), int(us.size - flow.sum())


def _updated_since(updated: pd.Series, opened: pd.Series, done_at: pd.Series,
                   params: Mapping[str, Any], total: int) -> UpdatedSince | None:
    """:class:`UpdatedSince` when the tickets' update times have a floor that tickets
    were opened well before (``updated_floor_days``; at least ``updated_min_opened`` of
    them) while next to none was done well before it (at most ``updated_max_done_share``
    of those many): in a whole export the earliest update follows the first tickets
    within days (every ticket opened well before it would have been updated since, done
    or not), and a migration that stamped every old ticket keeps their done times before
    it. Read only where ``updated_min_fill`` of the tickets carry an update time."""
    up_us = m.ts_us(updated)
    filled = up_us != m.NAT
    if int(filled.sum()) < float(params["updated_min_fill"]) * total or not filled.any():
        return None
    floor_us = int(up_us[filled].min())
    days = float(params["updated_floor_days"])
    well_before = floor_us - int(days * _DAY_US)
    opened_us = m.ts_us(opened)
    opened_before = int(((opened_us != m.NAT) & (opened_us < well_before)).sum())
    if opened_before < max(float(params["updated_min_opened"]), 1.0):
        return None
    done_us = m.ts_us(done_at)
    done_before = int(((done_us != m.NAT) & (done_us < well_before)).sum())
    if done_before > float(params["updated_max_done_share"]) * opened_before:
        return None
    return UpdatedSince(floor=pd.Timestamp(floor_us, unit="us", tz="UTC"),
                        opened_before=opened_before, done_before=done_before, total=total,
                        days=days)


def _none_open(opened: pd.Series, done_at: pd.Series, params: Mapping[str, Any],
               done: int, total: int) -> NoneOpen | None:
    """:class:`NoneOpen` when the tickets open at the cut are far fewer than the
    flow predicts (Little's law with the median time to done, which a long tail cannot
    inflate), else ``None``."""
    opened_us = m.ts_us(opened)
    done_us = m.ts_us(done_at)
    has_opened = opened_us != m.NAT
    if done == 0 or not has_opened.any():
        return None
    # the cut: the latest arrival or completion (a closure-selected extract ends on both)
    cut = max(int(opened_us[has_opened].max()), int(done_us[done_us != m.NAT].max()))
    days = int(params["none_open_recent_days"])
    recent = has_opened & (opened_us > cut - days * _DAY_US)
    per_day = float(recent.sum()) / days
    both = has_opened & (done_us != m.NAT) & (done_us >= opened_us)
    if not both.any():
        return None
    median_hours = float(np.median(done_us[both] - opened_us[both])) / 3.6e9
    expected = per_day * median_hours / 24.0
    open_at_cut = int((has_opened & (done_us == m.NAT)).sum())
    if (expected < float(params["none_open_min_expected"])
            or open_at_cut > float(params["none_open_max_share"]) * expected):
        return None
    return NoneOpen(
        cut=pd.Timestamp(cut, unit="us", tz="UTC"), open_at_cut=open_at_cut,
        expected_open=expected, per_day=per_day, median_hours=median_hours,
        recent_days=days, done=done, total=total,
    )
