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
  the flow predicts an empty queue there. The arrivals a day are read from the weeks
  before the last days (where the desk's own stays say nearly every ticket is done):
  a closure-selected extract holds those whole but lacks most of the last days' (the
  tickets still open), so their count would only repeat the cut.
- **a gap**: weeks on end with no arrival between weeks with a steady flow (a missing
  file of a split export): figures over those weeks lack their tickets.
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
  The window starts after it, so the tickets done before it are done before the window,
  and those open but untouched since it are open in every week of it alike: a backlog
  that did not shrink stands, and everything is judged when the export's own open
  tickets show few can have gone untouched that long (:func:`judge_update_cut`).
- **arrivals stop while completions go on**: an export cut on the opened date with
  the tickets' later history kept. Handled by the window choice (the as-of moves back to
  the last week with arrivals), which says how many tickets were opened and done after.
- **every Nth ticket**: the numbers of one tool's tickets with one prefix (a table's
  INC..., RITM...) step by one and the same k >= 2 between nearly all neighbours (an
  ``iloc[::10]`` or "every 10th row" sample of a whole export): clusters of repeats and
  pairs of duplicates are counts of groups of tickets, and a sample keeps a pair with
  the chance f squared; recurrence and trust's duplicates are not judged. A random
  sample cannot be told from the numbers (a whole log may hold a fifth of its range):
  the README asks for every ticket of the window.
- **an opening burst**: a clock hour whose incidents and requests "opened" far over any
  ordinary hour, most still open a day later (a migration that stamped the tickets it
  carried over with its run time): their age and time to done are not known; the
  backlog's age table counts them apart.
- **one group, one channel**: every incident and request carries one and the same
  assignment group (a team's queue), or one and the same channel (one intake's
  export): a filter on that field, or a desk whose tool records one value, and the
  figures that field decides cannot tell which (a filter on the group drops exactly
  the unrouted tickets ownership looks for; one on the channel makes bypass 0% or
  100% and the intake one door). Those figures are not judged.

Open-date ramps and mass closures are measured by the backlog sign itself (they bias
only the trend line, which it rebuilds without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    #: the tool whose tickets alone are cut so (several tools; "": the whole export), and
    #: the export's incidents and requests (:func:`_source_params`)
    source: str = ""
    scope: int = 0

    def params(self) -> dict[str, Any]:
        return {
            "silent_from": f"{self.silent_from:%Y-%m-%d}",
            "silent_to": f"{self.silent_to:%Y-%m-%d}",
            "silent_weeks": self.silent_weeks, "silent_arrivals": self.silent_arrivals,
            "silent_completions": self.silent_completions,
            "burst_from": f"{self.burst_from:%Y-%m-%d}", "burst_to": f"{self.burst_to:%Y-%m-%d}",
            "burst_completions": self.burst_completions, "done": self.done, "total": self.total,
            "done_share": self.done / self.total if self.total else 0.0,
            **_source_params(self.source, self.total, self.scope),
        }


def _source_params(source: str, total: int, scope: int) -> dict[str, Any]:
    """The params naming the tool a cut shape was found in (none for the whole export):
    its name, the export's incidents and requests and its share of them."""
    if not source:
        return {}
    return {"source": source, "scope": scope, "source_share": total / scope if scope else 0.0}


@dataclass(frozen=True)
class NoneOpen:
    """(Next to) no ticket open at the cut, though the flow says a queue would hold many."""

    cut: pd.Timestamp
    open_at_cut: int
    expected_open: float
    per_day: float
    #: the mean time to done, each stay counted up to the settle time (Little's law)
    stay_hours: float
    recent_days: int
    done: int
    total: int
    #: the last day of the days the arrivals a day are read from (None: up to the cut)
    rate_to: pd.Timestamp | None = None
    #: the days before the cut left out of the rate: the time within which the
    #: ``none_open_settle_share`` of the done tickets were done
    settle_days: float = 0.0
    #: ``none_open_settle_share``
    settle_share: float = 0.9
    #: the tool whose tickets alone are so (:class:`ClosureSelection`)
    source: str = ""
    scope: int = 0
    #: what the tickets missing at the cut leave out of the window's last week end, set
    #: once the window is chosen and only when the cut comes after the window's end
    #: (:func:`judge_none_open`; ``None`` otherwise)
    at_end: NoneOpenAtEnd | None = None

    def params(self) -> dict[str, Any]:
        to = self.cut if self.rate_to is None else self.rate_to
        return {
            "cut": f"{self.cut:%Y-%m-%d %H:%M}", "open_at_cut": self.open_at_cut,
            "expected_open": self.expected_open, "per_day": self.per_day,
            "stay_hours": self.stay_hours, "recent_days": self.recent_days,
            "rate_to": f"{to:%Y-%m-%d %H:%M}", "settle_days": self.settle_days,
            "settle_hours": self.settle_days * 24.0, "settle_share": self.settle_share,
            "done": self.done, "total": self.total,
            "done_share": self.done / self.total if self.total else 0.0,
            **_source_params(self.source, self.total, self.scope),
            **({} if self.at_end is None else self.at_end.params()),
        }


@dataclass(frozen=True)
class NoneOpenAtEnd:
    """The tickets missing at a cut that comes after the window's end, as they bear on
    the window (:func:`judge_none_open`): a ticket open at the window's end is missing
    only when it stayed open to the cut, so of the ``expected`` open then (the arrivals a
    day before the window's end x the mean time to done) about ``missing`` are (the
    arrivals a day x the mean time each stay runs past ``after_days``, from the tool's
    own times to done)."""

    window_end: pd.Timestamp
    after_days: float
    per_day: float
    expected: float
    missing: float
    #: ``none_open_max_share``: the shape stands for the window when ``missing`` is more
    #: than this share of ``expected``
    max_share: float

    def params(self) -> dict[str, Any]:
        return {"window_end": f"{self.window_end:%Y-%m-%d}", "after_days": self.after_days,
                "end_per_day": self.per_day, "expected_at_end": self.expected,
                "missing_at_end": self.missing,
                "missing_share": self.missing / self.expected if self.expected else 0.0,
                "max_share": self.max_share}


@dataclass(frozen=True)
class Gap:
    """Whole weeks with no arrival between weeks of a steady flow (a missing file of a
    split export): ``expected`` arrivals at the weeks around's rate, none seen."""

    last_before: pd.Timestamp
    first_after: pd.Timestamp
    weeks: int
    #: the quieter side's arrivals a week over its ``side_weeks`` weeks
    per_week: float
    expected: float
    total: int
    #: the weeks each side is judged on (``flow_rolling_weeks``)
    side_weeks: int

    def params(self) -> dict[str, Any]:
        return {"last_before": f"{self.last_before:%Y-%m-%d}",
                "first_after": f"{self.first_after:%Y-%m-%d}",
                # the whole days between the two, neither of which holds an arrival
                "days": (self.first_after.normalize() - self.last_before.normalize()).days - 1,
                "weeks": self.weeks, "per_week": self.per_week, "expected": self.expected,
                "side_weeks": self.side_weeks, "total": self.total}


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
class OpeningBurst:
    """Clock hours whose incidents and requests "opened" far over any ordinary hour, most
    of them still open a day later: a migration or import that stamped the tickets it
    carried over with its own run time (:func:`_opening_burst`). Their opened time is the
    import's, so their age and time to done are not known (at least the time since)."""

    hours: tuple[pd.Timestamp, ...]
    count: int
    top: int
    ordinary: float
    per_day: float
    open_share: float
    open_hours: float
    still_open: int

    def params(self) -> dict[str, Any]:
        return {"hour": f"{self.hours[0]:%Y-%m-%d %H:00}", "hours": len(self.hours),
                "count": self.count, "top": self.top, "ordinary": self.ordinary,
                "per_day": self.per_day, "open_share": self.open_share,
                "open_hours": self.open_hours, "still_open": self.still_open}


@dataclass(frozen=True)
class Migration:
    """A tool change: one tool (``source``) closed ``closed`` incidents and requests
    within the ``hours`` of another tool's (``target``) opening burst, or a few hours
    either side (``migration_hours``), comparable in number to the ``carried`` tickets
    that burst "opened" (within ``migration_count_ratio`` either way): the old tool's
    open tickets closed as they were carried into the new one (:func:`_migration`).
    Each is one ticket: the old copy's done time is the move, not work done
    (:func:`migrated_rows`), and the new copy's opened time is the move, not an arrival
    (:func:`carried_rows`); the old tool's queue is not cut but carried on."""

    source: str
    target: str
    first: pd.Timestamp
    last: pd.Timestamp
    closed: int
    carried: int
    source_first: pd.Timestamp
    source_last: pd.Timestamp
    target_first: pd.Timestamp
    target_last: pd.Timestamp

    def params(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target,
                "from": f"{self.first:%Y-%m-%d %H:%M}",
                "to": f"{self.last:%Y-%m-%d %H:%M}", "closed": self.closed,
                "carried": self.carried,
                "source_first": f"{self.source_first:%Y-%m-%d}",
                "source_last": f"{self.source_last:%Y-%m-%d}",
                "target_first": f"{self.target_first:%Y-%m-%d}",
                "target_last": f"{self.target_last:%Y-%m-%d}"}


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
    #: what the export shows of the tickets it lacks, set once the window is chosen
    #: (:func:`judge_update_cut`; ``None`` before)
    reach: UpdateReach | None = None
    #: the tool whose tickets alone are so (:class:`ClosureSelection`)
    source: str = ""
    scope: int = 0

    @property
    def covered(self) -> bool:
        """Whether the export shows that the tickets it lacks are too few to matter
        (:attr:`UpdateReach.covered`): every sign is then judged on it."""
        return self.reach is not None and self.reach.covered

    def params(self) -> dict[str, Any]:
        return {"floor": f"{self.floor:%Y-%m-%d %H:%M}", "opened_before": self.opened_before,
                "done_before": self.done_before, "total": self.total, "days": self.days,
                "opened_share": self.opened_before / self.total if self.total else 0.0,
                **_source_params(self.source, self.total, self.scope),
                **({} if self.reach is None else self.reach.params())}


@dataclass(frozen=True)
class UpdateReach:
    """What an export selected on its update time shows of the tickets it lacks within
    the window (:func:`judge_update_cut`).

    When the floor lies on or before the window's start, the tickets done before it are
    done before the window, and every other ticket of the window is in the export but
    those still open at the cut and not updated since the floor: a ticket untouched since
    then did not change state either, so each of them is open at every week end of the
    window, the same number added to every week's backlog. They can only make a growth
    or a shrink look larger (``(end - start) / (start + missing)``), never turn one into
    the other: that the backlog did not shrink stands whatever their number. How many
    there are is read from the export's own open tickets: how long each has gone without
    an update at the cut. Those the export cannot hold went without one longer than
    ``horizon_days`` (cut - floor); when at most ``max_share`` of the open tickets (at
    least ``min_open`` of them: a share of a handful is no tail) went without one for
    more than ``part`` of that, tickets untouched for all of it are unlikely (a tail that
    thins as it runs, as idle times do, leaves about ``max_share`` squared beyond all of
    it), and the export is judged like a whole one (``covered``)."""

    cut: pd.Timestamp
    #: the days from the floor to the cut: the longest an open ticket in it can have
    #: gone without an update
    horizon_days: float
    #: the export's incidents and requests still open (not done) at its cut
    open: int
    #: ... of them last updated more than ``part`` x ``horizon_days`` before the cut
    #: (or never)
    stale: int
    #: the longest any of them went without an update, in days
    longest_days: float
    #: the rule's bars (``update_stale_horizon_share``, ``update_stale_share``,
    #: ``update_min_horizon_days``, ``min_update_open``)
    part: float
    max_share: float
    min_days: float
    min_open: int
    #: the floor lies on or before the window's start (the window holds no day before it)
    before_window: bool

    @property
    def covered(self) -> bool:
        return (self.before_window and self.open >= max(self.min_open, 1)
                and self.horizon_days >= self.min_days
                and self.stale <= self.max_share * self.open)

    def params(self) -> dict[str, Any]:
        return {"cut": f"{self.cut:%Y-%m-%d %H:%M}", "horizon_days": self.horizon_days,
                "part_days": self.part * self.horizon_days, "open": self.open,
                "stale": self.stale, "stale_share": self.stale / self.open if self.open else 0.0,
                "longest_days": self.longest_days, "max_share": self.max_share,
                "min_days": self.min_days, "min_open": self.min_open,
                "before_window": self.before_window, "covered": self.covered}


@dataclass(frozen=True)
class SourceEnds:
    """One tool's tickets end weeks before the others' (a retired tool's last export
    beside the new one's): its tickets still open in it are open as of its own end, and
    a backlog would count them open through weeks it never covered."""

    source: str
    last: pd.Timestamp
    others_last: pd.Timestamp
    open: int
    total: int

    def params(self) -> dict[str, Any]:
        return {"source": self.source, "last": f"{self.last:%Y-%m-%d}",
                "others_last": f"{self.others_last:%Y-%m-%d}",
                "weeks": (self.others_last - self.last) / pd.Timedelta(weeks=1),
                "open": self.open, "total": self.total}


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
class EveryNth:
    """The numbers of one tool's tickets with one prefix step by exactly ``step`` (>= 2)
    between ``at_step`` of their ``gaps`` sorted neighbours: an every-Nth sample."""

    source: str
    prefix: str
    #: the ids of the lowest and the highest number
    first: str
    last: str
    step: int
    at_step: int
    gaps: int
    tickets: int
    #: the incidents and requests in every sequence that steps so, and in the export
    sampled: int = 0
    scope: int = 0

    def params(self) -> dict[str, Any]:
        return {"source": self.source, "prefix": self.prefix, "first": self.first,
                "last": self.last, "step": self.step, "at_step": self.at_step,
                "gaps": self.gaps, "tickets": self.tickets,
                "share": self.at_step / self.gaps if self.gaps else 0.0,
                "sampled": self.sampled, "scope": self.scope}


@dataclass(frozen=True)
class OneValue:
    """Every one of ``tickets`` incidents and requests carries the same ``value`` of a
    field (one assignment group, one channel)."""

    value: str
    tickets: int

    def params(self) -> dict[str, Any]:
        return {"value": self.value, "tickets": self.tickets}


#: an every-Nth sample is read from at least this many gaps between the sorted, distinct
#: numbers of one sequence (51 tickets): a short table (a few problems, PRB0001,
#: PRB0003, ...) steps in twos by chance of which ones were kept, fifty gaps do not
EVERY_NTH_MIN_GAPS = 50
#: ... of which at least this share are one and the same step k >= 2. A whole export
#: steps by 1 between most neighbours, and irregularly where its numbering has holes
#: (the UCI ServiceNow log: by 1 over 74% of its 24,917 gaps, by 2 over 18%, by 3 over
#: 5%); an every-k sample of a numbering without holes steps by k on every gap, and the
#: 5% left is room for a few holes (a deleted draft makes one gap k+1). An every-k
#: sample of a numbering with many holes (that log's) steps irregularly: not seen
EVERY_NTH_SHARE = 0.95
#: the sequences that step so stand for (their tickets times their step: what they were
#: cut from) more than this share of the incidents and requests looked at: recurrence
#: and duplicates are counts over all of them, and a small second tool or prefix sampled
#: (a few dozen requests of a side project) leaves most of those counts whole, so it
#: marks no export. Per-sequence verdicts would need every count split by sequence; half
#: is where the sample is what the figures mostly read
EVERY_NTH_MIN_SCOPE = 0.5
#: one assignment group (or channel) on every incident and request is named from this
#: many tickets on: a desk that routes even 5% of its tickets to a second group shows
#: one among 50 with a chance of 92% (1 - 0.95^50), so fifty tickets of one group are a
#: team's export or a tool that records one group, not chance
ONE_VALUE_MIN_TICKETS = 50
#: a tool's tickets are read for a cut of their own (:func:`_tool_cuts`) when they are at
#: least this share of the export's incidents and requests (``source_min_share`` under
#: ``defaults.shape`` overrides it): a closed-only tool of a twentieth of the export
#: lacks about as much of the pooled queue as the ``none_open_max_share`` of 5% that
#: reads a queue as empty
SOURCE_MIN_SHARE = 0.05
#: the digits read of a ticket number (an int64 holds 18); longer ids are no numbers
_MAX_DIGITS = 18
_MAX_ID_BYTES = 64

#: each shape's code in the report and rule files, and its :class:`ExtractShape` field,
#: in the order the report lists them
SHAPE_FIELDS: tuple[tuple[str, str], ...] = (
    ("closure_selected", "closure"), ("none_open", "none_open"), ("open_only", "open_only"),
    ("one_instant", "one_instant"), ("opening_burst", "opening_burst"),
    ("migration", "migration"), ("no_done_times", "no_done_times"),
    ("updated_since", "updated_since"), ("gap", "gap"), ("source_ends", "source_ends"),
    ("starts_late", "starts_late"), ("every_nth", "every_nth"), ("one_group", "one_group"),
    ("one_channel", "one_channel"))


@dataclass(frozen=True)
class ExtractShape:
    """What the extract's shape says (``None`` fields: not seen)."""

    closure: ClosureSelection | None = None
    none_open: NoneOpen | None = None
    open_only: OpenOnly | None = None
    one_instant: OneInstant | None = None
    #: tickets "opened" in an import's hour (their opened time the import's): the age of
    #: the open tickets among them is not known
    opening_burst: OpeningBurst | None = None
    #: the opening burst is a tool change: another tool closed its copies then
    migration: Migration | None = None
    no_done_times: NoDoneTimes | None = None
    updated_since: UpdatedSince | None = None
    gap: Gap | None = None
    source_ends: SourceEnds | None = None
    starts_late: StartsLate | None = None
    #: an every-Nth sample (ticket numbers in steps of k): recurrence's clusters and
    #: trust's duplicate pairs are not judged
    every_nth: EveryNth | None = None
    #: one assignment group on every incident and request: ownership's no-group share is
    #: not judged
    one_group: OneValue | None = None
    #: one channel on every incident and request: trust's bypass share and the channels
    #: check are not judged
    one_channel: OneValue | None = None
    #: where the export's flow of tickets starts (:func:`_flow_start`), so that a few
    #: strays opened long before (a ticket left open for a year in an export of last
    #: month's), a pilot's trickle or an old open backlog do not stand for the start.
    #: Not a shape: not in :meth:`as_dict`
    flow_start: pd.Timestamp | None = None
    #: the incidents and requests opened before ``flow_start``
    flow_earlier: int = 0

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Each shape seen, by code, with its numbers (the report's ``extract_shape``)."""
        return {code: shape.params() for code, field in SHAPE_FIELDS
                if (shape := getattr(self, field)) is not None}

    @property
    def biases_open_tickets(self) -> bool:
        """Whether measurements of the tickets still open are biased (none can be seen)."""
        return (self.closure is not None or self.none_open is not None
                or self.one_instant is not None
                or (self.updated_since is not None and not self.updated_since.covered))

    @property
    def update_cut_measured(self) -> bool:
        """Whether an export selected on its update time (if any) is measured all the
        same: its floor lies on or before the window's start, so it lacks only tickets
        open at every week of the window alike (:class:`UpdateReach`). A sign refused on
        it (``unknown_on_shape``) is then measured: a clear stands only when the export
        shows them too few to matter (:attr:`UpdatedSince.covered`)."""
        cut = self.updated_since
        return cut is not None and cut.reach is not None and cut.reach.before_window


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
    return _counted(weeks_of(ts), weeks)


def _counted(week: np.ndarray, weeks: pd.PeriodIndex) -> np.ndarray:
    """The week numbers ``week`` (:func:`weeks_of`) per week of ``weeks``."""
    n = len(weeks)
    slot = week - int(weeks[0].ordinal)
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
    scope = _flow_scope(tickets)
    t = m.rows_of(tickets, scope, [m.OPENED_AT])
    done_at = (m.done_at(tickets) if done_at is None else done_at)[scope]
    opened = t[m.OPENED_AT]
    us, week = _opened_weeks(opened)  # read once: the flow's start, arrivals and the gap
    total = int(us.size)  # the opened times that are set
    flow, earlier, flow_week = _flow_start(us, week, params)
    # cut on a field, not on time: read whatever the times say
    picked = _selections(tickets, scope)
    if total < int(params["min_tickets"]):
        return ExtractShape(flow_start=flow, flow_earlier=earlier, **picked)
    first = m.earliest_time(opened)
    if first is None:  # no opened time at all (a min_tickets of 0 lets it through)
        return ExtractShape(**picked)
    # the later of the two columns' maxima (no million-row concat to read one value)
    last = max(ts for ts in (m.latest_time(opened), m.latest_time(done_at)) if ts is not None)
    # every time within a few hours: an import stamp or a copied date, not a flow
    span = (last - first) / pd.Timedelta(hours=1)
    if span < float(params["one_instant_hours"]):
        return ExtractShape(one_instant=OneInstant(first=first, last=last, hours=span,
                                                   total=total),
                            flow_start=flow, flow_earlier=earlier, **picked)
    status_done = m.is_done(tickets).to_numpy(dtype=bool)[scope]
    t = m.rows_of(tickets, scope, [m.UPDATED_AT, m.CLOSED_AT])
    updated = t[m.UPDATED_AT]
    # the time a done ticket was last done: its closure when that came after its
    # resolution (a tool that resolves, then closes days or weeks later as an update of
    # its own), the update that put it in an export selected on its update time
    done_us = m.ts_us(done_at)
    last_done = np.where(done_us != m.NAT, np.maximum(done_us, m.ts_us(t[m.CLOSED_AT])), m.NAT)
    done = int(done_at.notna().sum())
    closure, none_open, updated_since = _cut_shapes(opened, done_at, status_done, updated,
                                                    last_done, params, week, (first, last))
    open_only = no_done_times = None
    if done == 0:
        # done by the status, not by a done time: a done ticket without its time is still
        # done (a workflow that never sets a resolution is no extract of the open queue)
        by_status = int((status_done & opened.notna().to_numpy(dtype=bool)).sum())
        if by_status:
            no_done_times = NoDoneTimes(done=by_status, total=total)
        else:
            open_only = OpenOnly(done=0, total=total)
    gap = _gap(us, week, flow_week, params, total)
    tools = tickets[m.SOURCE_TOOL]
    several = (len(tools.cat.categories) > 1 if isinstance(tools.dtype, pd.CategoricalDtype)
               else tools.nunique() > 1)
    burst = _opening_burst(opened, done_at, params, last)
    moved = (_migration(m.rows_of(tickets, scope, [m.SOURCE_TOOL])[m.SOURCE_TOOL], opened,
                        done_at, burst, params) if several and burst is not None else None)
    if moved is not None and (none_open is not None or closure is not None):
        # the pooled cut may be the old tool's move: read each tool apart, the old one
        # aside (a new tool cut on closure is still found so)
        closure = none_open = None
    if several and closure is None and none_open is None:
        # each tool's tickets on their own: a closed-only or update-cut export of one
        # tool is not hidden by another tool's open tickets or earlier updates (a cut
        # that lacks open tickets before one selected on the update time, which the
        # export's own floor, when it has one, stands for)
        tool = _tool_cuts(m.rows_of(tickets, scope, [m.SOURCE_TOOL])[m.SOURCE_TOOL], opened,
                          done_at, status_done, updated, last_done, params, total,
                          retired="" if moved is None else moved.source)
        if tool[0] is not None or tool[1] is not None or updated_since is None:
            closure, none_open, updated_since = tool
    ends = _source_ends(m.rows_of(tickets, scope, [m.SOURCE_TOOL, m.UPDATED_AT]), opened,
                        done_at, status_done, params) if several else None
    if moved is not None and ends is not None and ends.source == moved.source:
        ends = None  # the old tool's open tickets went on in the new one
    return ExtractShape(closure=closure, none_open=none_open, open_only=open_only,
                        no_done_times=no_done_times, updated_since=updated_since, gap=gap,
                        source_ends=ends, opening_burst=burst, migration=moved,
                        flow_start=flow,
                        flow_earlier=earlier, **picked)


def _opening_burst(opened: pd.Series, done_at: pd.Series, params: Mapping[str, Any],
                   last: pd.Timestamp) -> OpeningBurst | None:
    """The clock hours whose arrivals are an import's stamp, not arrivals, else ``None``.

    An hour is one when its incidents and requests "opened" reach ``opening_burst_min``
    and ``opening_burst_factor`` x the 99th percentile of the ordinary hours (those with
    at least one and fewer than ``opening_burst_min``: the mass closures' rule, on the
    opened time), and at least ``opening_burst_open_share`` of them were still open
    ``opening_burst_open_hours`` after the hour's end (or at the data's end, ``last``):
    a migration carries the tickets open at its run, long stays among them; a storm of
    alerts resolved within minutes, or an outage's tickets closed with it, is no import.
    """
    hours = opened.dt.floor("h")
    counts = hours.value_counts()
    min_n = float(params["opening_burst_min"])
    ordinary = counts[counts < min_n]
    p99 = float(np.percentile(ordinary.to_numpy(), 99)) if len(ordinary) else 0.0
    big = counts[(counts >= min_n) & (counts >= float(params["opening_burst_factor"]) * p99)]
    if big.empty:
        return None
    wait = pd.Timedelta(hours=float(params["opening_burst_open_hours"]))
    share = float(params["opening_burst_open_share"])
    in_big = hours.isin(big.index).fillna(False).astype(bool)
    # per ticket of those hours: still open a while after its hour (a vectorised test)
    later = (hours + pd.Timedelta(hours=1) + wait).where(in_big)
    later = later.where(later <= last, last)
    still = in_big & ~(done_at <= later).fillna(False).astype(bool)
    held = still.groupby(hours.where(in_big)).sum().reindex(big.index, fill_value=0)
    kept = big[(held / big) >= share].sort_index()
    if kept.empty:
        return None
    rows = hours.isin(kept.index).fillna(False).astype(bool)
    # the desk's own arrivals a day over the 28 days before the first such hour
    first = pd.Timestamp(kept.index[0])
    before = ((opened >= first - pd.Timedelta(days=28)) & (opened < first)).fillna(False)
    return OpeningBurst(
        hours=tuple(pd.Timestamp(h) for h in kept.index), count=int(kept.sum()),
        top=int(kept.max()), ordinary=p99, per_day=float(before.sum()) / 28.0,
        open_share=float(held[kept.index].sum()) / float(kept.sum()),
        open_hours=float(params["opening_burst_open_hours"]),
        still_open=int((rows & done_at.isna()).sum()))


def opening_burst_rows(shape: ExtractShape, opened: pd.Series) -> pd.Series:
    """Mask: opened within one of the shape's opening-burst hours (none when it has
    none)."""
    burst = shape.opening_burst
    if burst is None:
        return pd.Series(False, index=opened.index)
    return opened.dt.floor("h").isin(list(burst.hours)).fillna(False).astype(bool)


def _migration(tools: pd.Series, opened: pd.Series, done_at: pd.Series,
               burst: OpeningBurst, params: Mapping[str, Any]) -> Migration | None:
    """:class:`Migration` when the opening ``burst`` (of incidents and requests ``opened``
    by tool ``tools``) is one tool's (the most of its tickets) and another tool's
    incidents and requests done (``done_at``) from ``migration_hours`` before its first
    hour to as many after its last number between 1/``migration_count_ratio`` and
    ``migration_count_ratio`` x its count: the old tool closed what the new one took
    over, the same tickets twice. The old tool with most such closures; else None."""
    hours = opened.dt.floor("h")
    in_burst = hours.isin(list(burst.hours)).fillna(False).to_numpy(dtype=bool)
    codes, names = pd.factorize(tools, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    if len(names) < 2 or not in_burst.any():
        return None
    counts = np.bincount(codes[in_burst & (codes >= 0)], minlength=len(names))
    target = int(np.argmax(counts))
    carried = int(counts[target])
    pad = pd.Timedelta(hours=float(params["migration_hours"]))
    first = min(burst.hours) - pad
    last = max(burst.hours) + pd.Timedelta(hours=1) + pad
    near = ((done_at >= first) & (done_at < last)).fillna(False).to_numpy(dtype=bool)
    closed = np.bincount(codes[near & (codes >= 0)], minlength=len(names))
    closed[target] = 0
    source = int(np.argmax(closed))
    ratio = float(params["migration_count_ratio"])
    if not carried or not closed[source] or not (
            carried / ratio <= closed[source] <= carried * ratio):
        return None
    opened_us = m.ts_us(opened)
    has = opened_us != m.NAT

    def stamp(us: int) -> pd.Timestamp:
        return pd.Timestamp(us, unit="us", tz="UTC")

    of_source, of_target = has & (codes == source), has & (codes == target)
    return Migration(source=str(names[source]), target=str(names[target]), first=first,
                     last=last, closed=int(closed[source]), carried=carried,
                     source_first=stamp(int(opened_us[of_source].min())),
                     source_last=stamp(int(opened_us[of_source].max())),
                     target_first=stamp(int(opened_us[of_target].min())),
                     target_last=stamp(int(opened_us[of_target].max())))


def carried_rows(shape: ExtractShape, opened: pd.Series) -> pd.Series:
    """Mask: the tickets an import or migration carried over (:func:`opening_burst_rows`,
    of any kind): their opened time is the move's, so they are no arrival of the window
    (their time to done counts from the move: at least that). Every figure that counts
    arrivals reads this one mask (:meth:`~itsm_diag.signs.base.Context.carried_in`)."""
    return opening_burst_rows(shape, opened)


def migrated_rows(shape: ExtractShape, tickets: pd.DataFrame, done_at: pd.Series
                  ) -> pd.Series:
    """Mask: the old tool's tickets (of any kind) done within a :class:`Migration`'s
    hours: closed as they moved to the new tool, no work done and no completion; the
    new tool's copy carries them on. None without a migration."""
    moved = shape.migration
    if moved is None:
        return pd.Series(False, index=tickets.index)
    of_source = tickets[m.SOURCE_TOOL].astype(object).eq(moved.source).fillna(False)
    within = ((done_at >= moved.first) & (done_at < moved.last)).fillna(False)
    return (of_source & within).astype(bool)


def _cut_shapes(opened: pd.Series, done_at: pd.Series, status_done: np.ndarray,
                updated: pd.Series, last_done: np.ndarray, params: Mapping[str, Any],
                week: np.ndarray | None = None,
                span: tuple[pd.Timestamp, pd.Timestamp] | None = None
                ) -> tuple[ClosureSelection | None, NoneOpen | None, UpdatedSince | None]:
    """The cuts on the time of the tickets given (the whole export's, or one tool's):
    selected on closure, none open at the cut, selected on the update time (at most one
    of them: closure first). ``status_done``: each ticket done by its status;
    ``last_done``: the time each done ticket was last done, in µs (:data:`model.NAT`:
    not done; its closure when that came after its done time); ``week``:
    the opened times' week numbers (:func:`_opened_weeks`) and ``span`` the first opened
    and the latest opened or done time, when the caller has them."""
    if week is None:
        week = _opened_weeks(opened)[1]
    total = int(week.size)  # the opened times that are set
    if span is None:
        first = m.earliest_time(opened)
        if total < int(params["min_tickets"]) or first is None:
            return None, None, None
        last = max(ts for ts in (m.latest_time(opened), m.latest_time(done_at))
                   if ts is not None)
    else:
        first, last = span
    weeks = pd.period_range(first.tz_convert("UTC").tz_localize(None).to_period("W"),
                            last.tz_convert("UTC").tz_localize(None).to_period("W"), freq="W")
    arrivals = _counted(week, weeks)  # the opened times' weeks
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
    none_open = None if closure is not None else _none_open(opened, done_at, status_done,
                                                             params, done, total)
    updated_since = None
    if closure is None and none_open is None and done:
        updated_since = _updated_since(updated, opened, last_done, params, total)
    return closure, none_open, updated_since


def _tool_cuts(tools: pd.Series, opened: pd.Series, done_at: pd.Series,
               status_done: np.ndarray, updated: pd.Series, last_done: np.ndarray,
               params: Mapping[str, Any], scope: int, retired: str = ""
               ) -> tuple[ClosureSelection | None, NoneOpen | None, UpdatedSince | None]:
    """:func:`_cut_shapes` of each tool's tickets on their own (the tools holding at least
    ``source_min_share`` of the export's ``scope`` incidents and requests, and
    ``min_tickets``), naming the tool: those of the first tool, by most tickets, that is
    selected on closure or has none open at its cut, else of the first selected on its
    update time. The export's other tools do not make up for its missing tickets: a
    closed-only ServiceNow list beside a Jira desk with 129 open issues read "none open:
    no" on the two together (129 over 5% of the 794 expected) and its backlog "clear,
    shrank 82%", where the list alone is ``none_open``. Per tool, not per file: the files
    of one tool can be parts of one split export (its resolved tickets in one, its open
    ones in another), which only together hold what a whole export holds.

    The ``retired`` tool (a :class:`Migration`'s old one) is not read: its open tickets
    were closed as they moved to the new tool, so none is open at its cut by design (a
    desk that moved from ServiceNow to Jira read "selected on closure: 0 open where about
    557 are due" and advised exporting open tickets that did not exist)."""
    codes, names = pd.factorize(tools, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    least = max(float(params.get("source_min_share", SOURCE_MIN_SHARE)) * scope,
                float(params["min_tickets"]))
    update = None
    for i in np.argsort(-counts, kind="stable"):  # one value a tool: a few at most
        if counts[i] < least:
            break
        if retired and str(names[i]) == retired:
            continue
        rows = np.flatnonzero(codes == i)
        closure, none_open, cut = _cut_shapes(opened.iloc[rows], done_at.iloc[rows],
                                              status_done[rows], updated.iloc[rows],
                                              last_done[rows], params)
        name = str(names[i])
        if closure is not None or none_open is not None:
            return (None if closure is None else replace(closure, source=name, scope=scope),
                    None if none_open is None else replace(none_open, source=name,
                                                           scope=scope), None)
        if update is None and cut is not None:
            update = replace(cut, source=name, scope=scope)
    return None, None, update


def _source_ends(t: pd.DataFrame, opened: pd.Series, done_at: pd.Series,
                 done: np.ndarray, params: Mapping[str, Any]) -> SourceEnds | None:
    """:class:`SourceEnds` for the tool whose last arrival, completion or update comes at
    least ``source_end_min_weeks`` weeks before the other tools' and which holds tickets
    still open (the one with most of them), else None. One tool: never. Nor a quiet
    tool: its own arrivals a week (over its span) must predict at least
    ``gap_min_expected`` tickets in the weeks it lacks, as for a gap (a side tool of a
    dozen tickets that fell silent for five weeks is no retired tool's export)."""
    codes, names = pd.factorize(t[m.SOURCE_TOOL], use_na_sentinel=True)
    if len(names) < 2:
        return None
    codes = np.asarray(codes, dtype=np.intp)
    opened_us = m.ts_us(opened)
    last = np.maximum(np.maximum(opened_us, m.ts_us(done_at)), m.ts_us(t[m.UPDATED_AT]))
    keep = codes >= 0
    ends = np.full(len(names), m.NAT, dtype=np.int64)
    np.maximum.at(ends, codes[keep], last[keep])
    starts = np.full(len(names), np.iinfo(np.int64).max, dtype=np.int64)
    has = keep & (opened_us != m.NAT)
    np.minimum.at(starts, codes[has], opened_us[has])
    still_open = keep & (m.ts_us(done_at) == m.NAT) & ~done
    n_open = np.bincount(codes[still_open], minlength=len(names))
    n_all = np.bincount(codes[keep], minlength=len(names))
    gap_us = float(params["source_end_min_weeks"]) * 7 * _DAY_US
    best = None
    week_us = 7 * _DAY_US
    for i in range(len(names)):  # one value a tool: a few at most
        others = int(np.delete(ends, i).max())
        if ends[i] == m.NAT or others - int(ends[i]) < gap_us or not n_open[i]:
            continue
        span_weeks = max((int(ends[i]) - int(min(starts[i], ends[i]))) / week_us, 1.0)
        missed = n_all[i] / span_weeks * (others - int(ends[i])) / week_us
        if missed < float(params["gap_min_expected"]):
            continue
        if best is None or n_open[i] > n_open[best[0]]:
            best = (i, others)
    if best is None:
        return None
    i, others = best
    return SourceEnds(source=str(names[i]), last=pd.Timestamp(int(ends[i]), unit="us", tz="UTC"),
                      others_last=pd.Timestamp(others, unit="us", tz="UTC"),
                      open=int(n_open[i]), total=int(n_all[i]))


def flow_start(tickets: pd.DataFrame, params: Mapping[str, Any]) -> pd.Timestamp | None:
    """:attr:`ExtractShape.flow_start` of ``tickets`` (their incidents and requests, every
    ticket when there are none) when tickets of that scope came before it (strays, a
    pilot's trickle), else None: for what needs it without the whole shape (the
    ``--period`` trend's first period)."""
    scope = _flow_scope(tickets)
    opened = m.rows_of(tickets, scope, [m.OPENED_AT])[m.OPENED_AT]
    start, earlier, _ = _flow_start(*_opened_weeks(opened), params)
    return start if earlier else None


def _opened_weeks(opened: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The opened times (µs) that are set, and their week numbers (:func:`week_numbers`)."""
    us = m.ts_us(opened)
    us = us[us != m.NAT]
    return us, week_numbers(us)


def _flow_start(us: np.ndarray, week: np.ndarray, params: Mapping[str, Any]
                ) -> tuple[pd.Timestamp | None, int, int]:
    """The first ticket of the first week whose arrivals, and the median of its own and
    the next weeks' (``flow_rolling_weeks`` in all), reach ``flow_week_share`` of the
    busiest such weeks' mean (at least one ticket): a few strays, a pilot's trickle or
    the old open tickets an "open or opened last month" export carries come before it
    (one busier week among them is no start), the export's flow from it on; and how many
    were opened before it, and its week number. None without an opened time (``us``,
    ``week``: :func:`_opened_weeks`).

    The first week is judged by the days it has: an export that starts on a Saturday has
    a first "week" of a weekend (a weekday desk's weekend is always under a tenth of its
    busiest weeks, yet those are the flow's first two days, not strays). When the flow
    starts the week after it, the first week is part of it if its tickets reach the bar
    times the share of the arrivals that fall on its days of the week."""
    if us.size == 0:
        return None, 0, 0
    first = int(week.min())
    counts = np.bincount(week - first).astype(np.float64)
    span = min(int(params["flow_rolling_weeks"]), counts.size)
    busiest = float(np.convolve(counts, np.ones(span) / span, mode="valid").max())
    bar = max(float(params["flow_week_share"]) * busiest, 1.0)
    # one value a week (a few hundred at most): the first that starts a flow; none (a
    # storm week towering over a trickle) leaves the start at the first ticket
    begins = next((w for w in range(counts.size) if counts[w] >= bar
                   and np.median(counts[w:w + span]) >= bar), 0)
    if begins == 1:
        weekday = (np.floor_divide(us, _DAY_US) + 3) % 7  # Monday 0, as the weeks run
        first_day = int(weekday[week == first].min())  # the first week's first day
        share = float((weekday >= first_day).sum()) / us.size
        if first_day and counts[0] >= bar * share:
            begins = 0
    start = first + begins
    flow = week >= start
    return (pd.Timestamp(int(us[flow].min()), unit="us", tz="UTC"), int(us.size - flow.sum()),
            start)


def _updated_since(updated: pd.Series, opened: pd.Series, last_done: np.ndarray,
                   params: Mapping[str, Any], total: int) -> UpdatedSince | None:
    """:class:`UpdatedSince` when the tickets' update times have a floor that tickets
    were opened well before (``updated_floor_days``; at least ``updated_min_opened`` of
    them) while next to none was done well before it (at most ``updated_max_done_share``
    of those many): in a whole export the earliest update follows the first tickets
    within days (every ticket opened well before it would have been updated since, done
    or not), and a migration that stamped every old ticket keeps their done times before
    it. Read only where ``updated_min_fill`` of the tickets carry an update time.

    "Done well before it" is read from when each ticket was *last* done (``last_done``,
    µs): the update that put a done ticket in the export. A tool that resolves and
    closes later as an update of its own (ServiceNow: auto-close days or weeks after
    the resolution) holds tickets resolved before the floor and closed after it, which
    the cut keeps for their closure: an "updated since 1 May" list read 119 of its 1,007
    tickets opened well before the floor as resolved before it (12%, over the 10%), and
    was not seen, where not one was closed before it."""
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
    done_before = int(((last_done != m.NAT) & (last_done < well_before)).sum())
    if done_before > float(params["updated_max_done_share"]) * opened_before:
        return None
    return UpdatedSince(floor=pd.Timestamp(floor_us, unit="us", tz="UTC"),
                        opened_before=opened_before, done_before=done_before, total=total,
                        days=days)


def judge_update_cut(shape: ExtractShape, tickets: pd.DataFrame, done_at: pd.Series,
                     window_start: pd.Timestamp, params: Mapping[str, Any]
                     ) -> ExtractShape:
    """``shape`` with what its update cut (if any) shows of the tickets it lacks
    (:class:`UpdateReach`), once the window is chosen: its incidents and requests still
    open at its cut (its latest update, arrival or completion), how long each went
    without an update (no update time: counted as the longest), and whether the floor
    lies on or before ``window_start``. ``params``: the backlog sign's
    (``update_stale_horizon_share``, ``update_stale_share``, ``update_min_horizon_days``,
    ``min_update_open``; none: never covered)."""
    cut = shape.updated_since
    if cut is None:
        return shape
    scope = _flow_scope(tickets, cut.source)
    t = m.rows_of(tickets, scope, [m.OPENED_AT, m.UPDATED_AT])
    done_us = m.ts_us(done_at[scope])
    opened_us, updated_us = m.ts_us(t[m.OPENED_AT]), m.ts_us(t[m.UPDATED_AT])
    last = max(int(a[a != m.NAT].max()) for a in (opened_us, updated_us, done_us)
               if (a != m.NAT).any())
    still = ((done_us == m.NAT) & (opened_us != m.NAT)
             & ~m.is_done(tickets).to_numpy(dtype=bool)[scope])
    floor_us = int(cut.floor.value // 1000)
    horizon = max(last - floor_us, 0) / _DAY_US
    part = float(params.get("update_stale_horizon_share", 0.5))
    idle = (last - updated_us[still]) / _DAY_US
    idle[updated_us[still] == m.NAT] = horizon  # never updated: as long as it can be
    n = int(still.sum())
    stale = int((idle > part * horizon).sum())
    reach = UpdateReach(
        cut=pd.Timestamp(last, unit="us", tz="UTC"), horizon_days=horizon, open=n,
        stale=stale, longest_days=float(idle.max()) if n else 0.0,
        part=part,
        # no params (no backlog sign): never covered
        max_share=float(params.get("update_stale_share", -1.0)),
        min_days=float(params.get("update_min_horizon_days", 0.0)),
        min_open=int(params.get("min_update_open", 1)),
        before_window=cut.floor <= window_start)
    return replace(shape, updated_since=replace(cut, reach=reach))


def _flow_scope(tickets: pd.DataFrame, source: str = "") -> np.ndarray:
    """The tickets the shape is read over: the incidents and requests (every ticket when
    there are none); of the one tool ``source`` names when a cut is its own (its own
    open tickets show what it lacks)."""
    scope = tickets[m.KIND].isin(FLOW_KINDS).fillna(False).to_numpy(dtype=bool)
    if not scope.any():
        scope = np.ones(len(tickets), dtype=bool)
    if source:
        scope = scope & tickets[m.SOURCE_TOOL].astype(object).eq(source).to_numpy(
            dtype=bool, na_value=False)
    return scope


def judge_none_open(shape: ExtractShape, tickets: pd.DataFrame, done_at: pd.Series,
                    window_end: pd.Timestamp, params: Mapping[str, Any]) -> ExtractShape:
    """``shape`` with its none-open cut (if any) judged for the window, once it is
    chosen: when the cut comes after the window's end, a ticket open at the end is
    missing only if it stayed open until the cut. Of the tickets the flow predicts open
    at the end (the arrivals a day over the ``none_open_recent_days`` before it x the
    mean time to done), about the arrivals a day x the mean time each stay runs past
    the days from the end to the cut are (the tool's own times to done: the tickets done
    with an opened time). When those are at most ``none_open_max_share`` of them, the
    window's weeks lack next to none and the shape is dropped; else it stands with those
    numbers (:class:`NoneOpenAtEnd`). The real log's cut is 17 February 2017, 256 days
    after its window's end (the as-of moved back where its arrivals thin out to a
    trickle of stragglers): 0.3% of the time to done runs past that, where 3.0 arrivals
    a day at the cut had read "no week's backlog can be rebuilt", while the same list
    without its stragglers read clear."""
    cut = shape.none_open
    if cut is None or cut.cut <= window_end:
        return shape
    scope = _flow_scope(tickets, cut.source)
    opened_us = m.ts_us(m.rows_of(tickets, scope, [m.OPENED_AT])[m.OPENED_AT])
    done_us = m.ts_us(done_at[scope])
    both = (opened_us != m.NAT) & (done_us != m.NAT) & (done_us >= opened_us)
    stays = np.compress(both, done_us - opened_us) / _DAY_US
    after = float((cut.cut - window_end) / pd.Timedelta(days=1))
    days = int(params["none_open_recent_days"])
    end_us = int(window_end.value // 1000)
    arrived = (opened_us != m.NAT) & (opened_us <= end_us) & (opened_us > end_us
                                                                - days * _DAY_US)
    per_day = float(arrived.sum()) / days
    mean = float(stays.mean()) if stays.size else 0.0
    beyond = float(np.maximum(stays - after, 0.0).mean()) if stays.size else 0.0
    at_end = NoneOpenAtEnd(window_end=window_end, after_days=after, per_day=per_day,
                           expected=per_day * mean, missing=per_day * beyond,
                           max_share=float(params["none_open_max_share"]))
    if at_end.missing <= at_end.max_share * at_end.expected:
        return replace(shape, none_open=None)
    return replace(shape, none_open=replace(cut, at_end=at_end))


def _none_open(opened: pd.Series, done_at: pd.Series, status_done: np.ndarray,
               params: Mapping[str, Any], done: int, total: int) -> NoneOpen | None:
    """:class:`NoneOpen` when the tickets open at the cut are far fewer than the
    flow predicts (Little's law: arrivals a day x the mean time to done, each stay
    counted up to the settle time, so that a clean-up of year-old tickets cannot inflate
    it; the median, used before, undercounted a desk's queue by half: 6.6 where 14 were
    due), else ``None``.

    The arrivals a day are those of the ``none_open_recent_days`` days that end the
    settle time before the cut (the time within which ``none_open_settle_share`` of
    the done tickets were done), and not before the first completion: a whole export
    holds every arrival of them, and so does an extract selected on closure (its
    tickets of those days are done by the cut), while its last days lack the tickets
    still open, so a rate read from them shrinks with what is missing (a small desk's
    "resolved since" export read 2.0 a day where 3 arrived). The recent days' rate
    stands when it is higher. Not judged where the settle time is under
    ``none_open_min_settle_hours``: a desk that finishes nearly every ticket within
    its day empties its queue by the end of a day, and the cut is the end of one.

    A ticket is open at the cut when its status is not done (``status_done``), not when
    it lacks a done time: a closed-only list of 23,463 incidents held 91 Resolved
    without a resolved time (created already resolved, closed later), which counted as
    open made 91 of 794 expected, over the 5%, and its backlog read "clear, shrank 89%"
    with 0 open at the window's end where the full list held 1,180."""
    opened_us = m.ts_us(opened)
    done_us = m.ts_us(done_at)
    has_opened = opened_us != m.NAT
    has_done = done_us != m.NAT
    if done == 0 or not has_opened.any():
        return None
    # the cut: the latest arrival or completion (a closure-selected extract ends on both)
    # (a missing time, NAT, is the smallest int64: the plain maxima pass it by, and both
    # columns hold a time here)
    cut = max(int(opened_us.max()), int(done_us.max()))
    days = int(params["none_open_recent_days"])
    both = has_opened & has_done & (done_us >= opened_us)
    if not both.any():
        return None
    # one subtraction and one compress: two boolean gathers of a million irregular rows
    # cost about four times as much (the rows left out are never read)
    stays = np.compress(both, done_us - opened_us)
    settle_us = int(np.quantile(stays, float(params["none_open_settle_share"])))
    stay_hours = float(np.minimum(stays, settle_us).mean()) / 3.6e9
    if settle_us < float(params["none_open_min_settle_hours"]) * 3.6e9:
        return None
    recent = has_opened & (opened_us > cut - days * _DAY_US)
    per_day = float(recent.sum()) / days
    rate_to = cut - settle_us
    rate_from = max(rate_to - days * _DAY_US,
                    int(done_us.min(where=has_done, initial=np.iinfo(np.int64).max)))
    settled_days = (rate_to - rate_from) / _DAY_US
    rate_end = None
    if settled_days >= 7:  # a week at least: one busy day is no rate
        settled = has_opened & (opened_us > rate_from) & (opened_us <= rate_to)
        rate = float(settled.sum()) / settled_days
        if rate > per_day:
            per_day, days = rate, round(settled_days)
            rate_end = pd.Timestamp(rate_to, unit="us", tz="UTC")
    expected = per_day * stay_hours / 24.0
    open_at_cut = int((has_opened & ~has_done & ~status_done).sum())
    if (expected < float(params["none_open_min_expected"])
            or open_at_cut > float(params["none_open_max_share"]) * expected):
        return None
    return NoneOpen(
        cut=pd.Timestamp(cut, unit="us", tz="UTC"), open_at_cut=open_at_cut,
        expected_open=expected, per_day=per_day, stay_hours=stay_hours,
        recent_days=days, done=done, total=total, rate_to=rate_end,
        settle_days=settle_us / _DAY_US,
        settle_share=float(params["none_open_settle_share"]),
    )


def _gap(us: np.ndarray, week: np.ndarray, flow_week: int, params: Mapping[str, Any],
         total: int) -> Gap | None:
    """:class:`Gap` for the run of at least ``gap_min_weeks`` whole weeks without an
    arrival, between weeks with arrivals after the flow's start, whose weeks around
    (``flow_rolling_weeks`` on each side, weeks before the flow's first arrival or
    after its last counted as empty) predict the most arrivals in it, when those
    are at least ``gap_min_expected`` (none where 10 are expected: about 5e-5), at the
    rate of the quieter side (each side alone predicts them); else None. A file of a
    split export left out leaves such a hole; a quiet desk's weeks without a ticket are
    no run of weeks where dozens were due. ``us``, ``week``:
    :func:`_opened_weeks`; ``flow_week``: the week the flow starts (:func:`_flow_start`)."""
    in_flow = week >= flow_week
    if not bool(in_flow.all()):  # strays before the flow: left out (else no copy)
        us, week = us[in_flow], week[in_flow]
    if us.size == 0:
        return None
    first = int(week.min())
    counts = np.bincount(week - first).astype(np.float64)
    side = int(params["flow_rolling_weeks"])
    min_weeks = int(params["gap_min_weeks"])
    best: tuple[float, int, int, float] | None = None
    empty = counts == 0
    w = 0
    while w < counts.size:  # one value a week: a few hundred at most
        if not empty[w]:
            w += 1
            continue
        end = w
        while end < counts.size and empty[end]:
            end += 1
        # the first and last weeks hold arrivals: a run of empty weeks is always inside
        if end - w >= min_weeks:
            # each side must predict the arrivals, not their mean: a missing file has a
            # busy flow on both sides, a flow that ends (a group's cut whose last weeks
            # hold a trickle of stragglers: 2,687 arrivals in the 4 weeks before, 2 in
            # the 4 after) has one busy side only. Each side's arrivals over its whole
            # `side` weeks, those past the flow's first or last week counted as empty:
            # one stray in the data's last week, 10 weeks after a cut, read 1.0 a week
            # over the one week there is, 10 expected, a gap
            per_week = min(float(counts[max(w - side, 0):w].sum()),
                           float(counts[end:end + side].sum())) / side
            expected = per_week * (end - w)
            if best is None or expected > best[0]:
                best = (expected, w, end, per_week)
        w = end
    if best is None or best[0] < float(params["gap_min_expected"]):
        return None
    expected, start, end, per_week = best
    before = us[week < first + start]
    after = us[week >= first + end]
    return Gap(last_before=pd.Timestamp(int(before.max()), unit="us", tz="UTC"),
               first_after=pd.Timestamp(int(after.min()), unit="us", tz="UTC"),
               weeks=end - start, per_week=per_week, expected=expected, total=total,
               side_weeks=side)


def _selections(tickets: pd.DataFrame, scope: np.ndarray) -> dict[str, Any]:
    """The cuts on a field rather than on time, among the tickets under ``scope``:
    :class:`EveryNth`, one assignment group and one channel (:class:`OneValue`), by
    their :class:`ExtractShape` field (the ones seen only)."""
    out: dict[str, Any] = {}
    nth = _every_nth(tickets, scope)
    if nth is not None:
        out["every_nth"] = nth
    for field, column in (("one_group", m.ASSIGNMENT_GROUP), ("one_channel", m.CHANNEL)):
        one = _one_value(tickets[column], scope)
        if one is not None:
            out[field] = one
    return out


def _one_value(values: pd.Series, scope: np.ndarray) -> OneValue | None:
    """:class:`OneValue` when every one of the (at least ``ONE_VALUE_MIN_TICKETS``)
    tickets under ``scope`` carries one and the same non-blank value, else None. One
    comparison with the first ticket's value over the column (no row taken out of it)."""
    rows = np.flatnonzero(scope)
    if rows.size < ONE_VALUE_MIN_TICKETS:
        return None
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[rows]
        if codes[0] < 0 or not bool((codes == codes[0]).all()):
            return None
        return OneValue(value=str(values.cat.categories[codes[0]]), tickets=int(rows.size))
    first = values.iloc[int(rows[0])]
    if first is None or first is pd.NA or not str(first).strip():
        return None
    # a few rows spread over the scope first: a desk with several groups (nearly every
    # export) differs among them, and the column is never read whole
    spread = rows[np.linspace(0, rows.size - 1, min(rows.size, 64)).astype(np.int64)]
    if any(_differs(values.iloc[int(i)], first) for i in spread):
        return None
    same = values.eq(first).to_numpy(dtype=bool, na_value=False)
    if not bool(same[rows].all()):
        return None
    return OneValue(value=str(first), tickets=int(rows.size))


def _differs(value: Any, first: Any) -> bool:
    """A cell is not ``first``: missing, or another value."""
    return bool(pd.isna(value)) or bool(value != first)


def _every_nth(tickets: pd.DataFrame, scope: np.ndarray) -> EveryNth | None:
    """:class:`EveryNth` for the sequence (one tool, one prefix) whose sorted, distinct
    numbers step by one and the same k >= 2 over at least ``EVERY_NTH_SHARE`` of at
    least ``EVERY_NTH_MIN_GAPS`` gaps, else None. A sequence's gaps are read over every
    row of it, whatever its kind: a Jira project whose automation makes a sub-task after
    each request numbers them in turn, and the export holding both is whole. ``scope``
    (the incidents and requests) only picks the sequences that matter, those holding
    some of it; the ones that step so must hold more than ``EVERY_NTH_MIN_SCOPE`` of
    ``scope`` between them, and the one holding the most of it is named. A sampled
    minority (a second tool's or prefix's few dozen tickets) is left unnamed rather than
    made a verdict per sequence: recurrence and duplicates count over the whole scope,
    and with most of it whole those counts are mostly whole.

    The numbers are read from the ids' bytes (:func:`_numbers`); each sequence is sorted
    only when its tickets are not in number order already, and its step is the median
    gap (the step of 95% of the gaps is the median)."""
    total = int(scope.sum())
    if total <= EVERY_NTH_MIN_GAPS:
        return None
    ids = tickets[m.TICKET_ID]
    if not m.is_arrow_text(ids):
        ids = ids.astype(m.STRING_DTYPE)
    prefix, number, prefixes = _numbers(ids)
    keep = prefix >= 0
    source_codes, sources = _codes(tickets[m.SOURCE_TOOL])
    width = max(len(prefixes), 1)
    # the rows kept (None: every row, taken out of nothing), each row's sequence code
    rows = None if bool(keep.all()) else np.flatnonzero(keep)
    key = source_codes.astype(np.int64) * width + prefix
    if rows is None:
        counts = np.bincount(key)
        scoped = counts if bool(scope.all()) else np.bincount(key[scope],
                                                              minlength=counts.size)
    else:
        scoped = np.bincount(key[np.flatnonzero(scope & keep)])
        key, number = key[rows], number[rows]
        counts = np.bincount(key, minlength=scoped.size)
        scoped = np.pad(scoped, (0, counts.size - scoped.size))
    one = int(np.count_nonzero(counts)) == 1  # one tool, one prefix: nothing to pick out
    best: EveryNth | None = None
    best_scoped = 0
    sampled = 0  # the incidents and requests in the sequences that step so
    stands_for = 0  # ... times their step: how many the unsampled sequences held
    for k in np.flatnonzero((counts > EVERY_NTH_MIN_GAPS) & (scoped > 0)):  # a few
        mine = None if one else key == k
        nums = number if mine is None else number[mine]
        step = np.diff(nums)
        if bool((step < 0).any()):  # not in number order
            nums = np.sort(nums)
            step = np.diff(nums)
        # a step of 1 on more than the share left for holes rules a sample out: the usual
        # whole export leaves here, before the median and the copies below
        if np.count_nonzero(step == 1) > (1 - EVERY_NTH_SHARE) * np.count_nonzero(step > 0):
            continue
        gaps = step[step > 0]  # a number listed twice is one ticket
        if gaps.size < EVERY_NTH_MIN_GAPS:
            continue
        k_step = int(np.median(gaps))
        at_step = int((gaps == k_step).sum())
        if k_step < 2 or at_step < EVERY_NTH_SHARE * gaps.size:
            continue
        # a sample of one in k holds a k-th of what it was cut from: weighed as the
        # whole it stands for (an incident table cut to every 10th beside a whole request
        # table of half its size is most of the export, not 15% of it)
        sampled += int(scoped[k])
        stands_for += int(scoped[k]) * k_step
        if best is None or int(scoped[k]) > best_scoped:
            best_scoped = int(scoped[k])
            source = sources[int(k) // width]
            mine_nums = number if mine is None else number[mine]
            at = np.arange(len(number)) if mine is None else np.flatnonzero(mine)
            if rows is not None:
                at = rows[at]
            low, high = int(at[np.argmin(mine_nums)]), int(at[np.argmax(mine_nums)])
            best = EveryNth(source="" if pd.isna(source) else str(source),
                            prefix=prefixes[int(k) % width], first=str(ids.iloc[low]),
                            last=str(ids.iloc[high]), step=k_step, at_step=at_step,
                            gaps=int(gaps.size), tickets=int(gaps.size) + 1)
    if best is None or stands_for <= EVERY_NTH_MIN_SCOPE * (stands_for + total - sampled):
        return None
    return replace(best, sampled=sampled, scope=total)


def _codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """(codes, values by code) of a column, a missing value coded as one more value: a
    categorical's own codes (no pass over its rows), else pandas' factorize."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        cats: list[Any] = list(values.cat.categories)
        if bool((codes < 0).any()):
            codes = np.where(codes < 0, len(cats), codes)
            cats.append(np.nan)
        return codes, cats
    found, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(found), list(uniques)


def _numbers(ids: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per ticket id (Arrow text): the code of its prefix, the text before its trailing
    digits (-1: no trailing digit), the number those (up to ``_MAX_DIGITS``) make, and
    the prefixes by code. Read from the Arrow buffers: the ids of one length (a table's
    zero-padded numbers: INC0010001) are a matrix of bytes whose columns are digit
    places, so a million ids cost a few passes over columns, not a loop over ids."""
    import pyarrow as pa

    arrow: Any = ids.array.__arrow_array__()
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    found: dict[bytes, int] = {}
    codes, numbers = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.int64)]
    for chunk in chunks:
        n = len(chunk)
        code = np.full(n, -1, dtype=np.int32)
        number = np.zeros(n, dtype=np.int64)
        got = m.text_offsets(chunk) if n and chunk.null_count < n else None
        if got is not None:
            offsets, raw = got
            lengths = np.diff(offsets)
            if chunk.null_count:
                lengths[~np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False),
                                    dtype=bool)] = 0
            one = int(lengths[0])
            if 0 < one <= _MAX_ID_BYTES and int(offsets[-1] - offsets[0]) == n * one \
                    and bool((lengths == one).all()):  # one length: the bytes as they lie
                _read_numbers(raw[offsets[0]:offsets[-1]].reshape(n, one), None, code,
                              number, found)
            else:
                seen = np.bincount(np.minimum(lengths, _MAX_ID_BYTES + 1))
                for length in np.flatnonzero(seen[1:_MAX_ID_BYTES + 1]) + 1:  # a few
                    rows = np.flatnonzero(lengths == length)
                    _read_numbers(raw[offsets[:-1][rows][:, None] + np.arange(length)], rows,
                                  code, number, found)
        codes.append(code)
        numbers.append(number)
    return (np.concatenate(codes), np.concatenate(numbers),
            [k.decode("utf-8", "replace") for k in found])


def _read_numbers(mat: np.ndarray, rows: np.ndarray | None, code: np.ndarray,
                  number: np.ndarray, found: dict[bytes, int]) -> None:
    """:func:`_numbers` of the ids of one length, ``mat`` their bytes (one row an id),
    at ``rows`` of ``code`` and ``number`` (None: all of them); ``found``: the prefixes
    coded so far, added to."""
    length = mat.shape[1]
    live = (mat[:, -1] - 48) < 10  # uint8: a byte under "0" wraps round to over 9
    digits = live.astype(np.int8)
    for j in range(length - 2, max(length - _MAX_DIGITS, 0) - 1, -1):
        live &= (mat[:, j] - 48) < 10
        if not live.any():
            break
        digits += live
    # ids of one form have one count of digits
    one = bool((digits == digits[0]).all())
    for d in ([int(digits[0])] if one else np.unique(digits).tolist()):
        if d == 0:  # no trailing digit
            continue
        sub = None if one else np.flatnonzero(digits == d)
        part = mat if sub is None else mat[sub]
        at = sub if rows is None else (rows if sub is None else rows[sub])
        value = np.zeros(len(part), dtype=np.int64)
        for j in range(length - d, length):  # a column of contiguous bytes a digit
            np.multiply(value, 10, out=value)
            np.add(value, np.ascontiguousarray(part[:, j]), out=value, casting="unsafe")
        value -= 48 * int("1" * d)  # each digit's "0" byte, at its place
        head = length - d
        same = np.ones(len(part), dtype=bool)
        for j in range(head):
            same &= part[:, j] == part[0, j]
        if same.all():
            keys, which = [bytes(part[0, :head])], np.zeros(len(part), dtype=np.intp)
        else:  # prefixes of one length (INC and CHG): coded by their bytes
            flat = np.ascontiguousarray(part[:, :head]).view(np.dtype((np.void, head)))
            distinct, which = np.unique(flat.ravel(), return_inverse=True)
            keys = [bytes(x) for x in distinct]
        coded = np.array([found.setdefault(k, len(found)) for k in keys], dtype=np.int32)
        if at is None:
            code[:] = coded[which]
            number[:] = value
        else:
            code[at] = coded[which]
            number[at] = value


def export_first_day(tickets: pd.DataFrame, shape: ExtractShape | None, tz: str
                     ) -> pd.Timestamp | None:
    """Where the export's data starts, whatever the window: the start of the day (in
    ``tz``) of its flow's first ticket (:attr:`ExtractShape.flow_start`, so strays opened
    long before do not stand for it), else of its first opened time, and never before
    the first whole day after an update cut's floor (it lacks what was done before). None
    when no ticket has an opened time. The window's ``data_from`` is this day when it
    falls inside the window; the recurrence sign reads how far before the window it
    reaches."""
    first = (shape.flow_start if shape is not None and shape.flow_start is not None
             else m.earliest_time(tickets[m.OPENED_AT]))
    day = None if first is None else m.wall_time_to_utc(m.local_day(first, tz), tz)
    if shape is not None and shape.updated_since is not None:
        after_floor = m.wall_time_to_utc(
            m.local_day(shape.updated_since.floor, tz) + pd.Timedelta(days=1), tz)
        day = after_floor if day is None else max(day, after_floor)
    return day
