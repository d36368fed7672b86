"""What a sign (or extra check) module receives and returns.

A module ``itsm_diag.signs.<id>`` (or ``itsm_diag.checks.<id_with_underscores>``) exposes::

    def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement

It only measures: it never decides triggered/clear (the engine grades the metrics
against the rule file's thresholds) and never writes user-facing sentences (every
code it emits in a :class:`Note` is worded by the rule file's ``messages``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from itsm_diag import model as m
from itsm_diag.model import factorize_na, spread
from itsm_diag.signs.shape import ExtractShape, carried_rows, migrated_rows
from itsm_diag.text import fmt, joined

Confidence = Literal["high", "medium", "low"]


#: a month of every "a month" figure: a year's 365.25 days / 12
MONTH_DAYS = 30.4375
#: a quarter of every "a quarter" figure: three such months (91.31 days), so a count
#: reads the same a quarter as three times a month
QUARTER_DAYS = 3 * MONTH_DAYS


def weeks_said(days: float) -> float:
    """A span of ``days`` in weeks as every sentence of a report says it: to a tenth of a
    week, worded with ``:g`` ("13 weeks", "4.3 weeks"), so the data note, the signs'
    summaries and their notes give the same weeks for the same days."""
    return round(float(days) / 7.0, 1)


@dataclass(frozen=True)
class Window:
    """The analysis window, [start, end], UTC. ``data_from``: the start of the day of the
    export's first ticket, when that is inside the window (an export cut on the opened
    date, or a tool only just adopted): the window's part before it holds no ticket.
    ``data_to``: the end of the data (the as-of the run would choose without ``--until``),
    when that is inside the window (a ``--until`` after the export was pulled): the
    window's part after it holds no ticket."""

    start: pd.Timestamp
    end: pd.Timestamp
    data_from: pd.Timestamp | None = None
    data_to: pd.Timestamp | None = None

    @property
    def days(self) -> float:
        return float((self.end - self.start) / pd.Timedelta(days=1))

    @property
    def covered_start(self) -> pd.Timestamp:
        """Where the part of the window the export covers starts (``data_from``)."""
        return self.start if self.data_from is None else max(self.start, self.data_from)

    @property
    def covered_end(self) -> pd.Timestamp:
        """Where the part of the window the export covers ends (``data_to``)."""
        return self.end if self.data_to is None else min(self.end, self.data_to)

    @property
    def covered_days(self) -> float:
        """Days of the part of the window the export covers (from ``data_from`` on, up to
        ``data_to``)."""
        return float((self.covered_end - self.covered_start) / pd.Timedelta(days=1))

    @property
    def covered_weeks(self) -> float:
        """The weeks the export covers of the window, as a report says them
        (:func:`weeks_said`)."""
        return weeks_said(self.covered_days)

    @property
    def weeks_after_data(self) -> float:
        """The weeks of the window after the data's end (:attr:`data_to`; 0 when the data
        reaches the window's end), as a report says them (:func:`weeks_said`)."""
        return weeks_said((self.end - self.covered_end) / pd.Timedelta(days=1))

    @property
    def months(self) -> float:
        """Length in months of 30.44 days of the part of the window the export covers
        (for 'per month' figures: a count over the weeks that hold tickets, not spread
        over weeks before the first one or after the last)."""
        return self.covered_days / MONTH_DAYS

    def contains(self, ts: pd.Series) -> pd.Series:
        """Mask of timestamps inside the window (NaT is outside)."""
        at = _utc_values(ts)
        if at is not None:
            return pd.Series((at >= utc64(self.start)) & (at <= utc64(self.end)),
                             index=ts.index, name=ts.name)
        return ((ts >= self.start) & (ts <= self.end)).fillna(False).astype(bool)

    def after(self, ts: pd.Series) -> pd.Series:
        """Mask of timestamps after the window's end (NaT is not)."""
        at = _utc_values(ts)
        if at is not None:
            return pd.Series(at > utc64(self.end), index=ts.index, name=ts.name)
        return (ts > self.end).fillna(False).astype(bool)


def _utc_values(ts: pd.Series) -> np.ndarray | None:
    """A tz-aware column (the canonical ones) as UTC datetime64 in numpy, in its own unit
    (nothing rounded; NaT compares False): a fifth of the time of pandas' masked
    comparisons. None for any other column."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.to_numpy(dtype=f"datetime64[{ts.dtype.unit}]")
    return None


def utc64(at: pd.Timestamp) -> np.datetime64:
    """A window bound as a naive UTC datetime64 (in its own unit: nothing rounded)."""
    value: np.datetime64 = at.tz_convert("UTC").tz_localize(None).to_datetime64()
    return value


@dataclass(frozen=True)
class Calendar:
    """Business days: a numpy weekmask and holiday dates, matched against calendar days
    in ``tz`` (:class:`Context` sets it to the run's zone, ``--tz``): a ticket opened on a
    Tuesday morning in Tokyo was opened on a Tuesday, though it was still Monday in UTC.
    Every business-day count goes through it (one rule for the day of an instant)."""

    weekmask: str = "1111100"
    holidays: tuple[str, ...] = ()
    tz: str = "UTC"

    def local_days(self, at: pd.Series | np.ndarray) -> np.ndarray:
        """The calendar day in ``tz`` (``datetime64[D]``, NaT where missing) of each
        instant: a tz-aware Series, or an array of int64 UTC microseconds
        (:data:`~itsm_diag.model.NAT` missing). Vectorised, as :func:`model.local_day`:
        the zone's offsets are applied to the whole array at once."""
        if isinstance(at, pd.Series):
            wall = at.dt.tz_convert(self.tz).dt.tz_localize(None).to_numpy()
        else:
            wall = m.local_wall(at, self.tz)
        days: np.ndarray = wall.astype("datetime64[D]")
        return days

    def count_days(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Whole business days from each ``start`` day to each ``end`` day (both
        ``datetime64[D]`` from :meth:`local_days`, no NaT; broadcast as numpy does),
        int64, negative when end is before start."""
        counts: np.ndarray = np.busday_count(
            start, end, weekmask=self.weekmask,
            holidays=np.array(self.holidays, dtype="datetime64[D]"))
        return counts

    def busday_count(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Whole business days from ``start``'s day to ``end``'s day, both days in ``tz``
        (vectorised).

        NaT in either gives <NA>. Negative when end is before start.
        """
        ok = start.notna() & end.notna()
        out = pd.Series(pd.NA, index=start.index, dtype="Int64")
        if not ok.any():
            return out
        out[ok] = self.count_days(self.local_days(start[ok]), self.local_days(end[ok]))
        return out


def less_sure(confidence: Confidence) -> Confidence:
    """One step of confidence less (low stays low)."""
    return "medium" if confidence == "high" else "low"


@dataclass(frozen=True)
class Context:
    """Everything a measurement may look at.

    ``tickets`` is the whole canonical table (not cut to the window: a backlog at the
    window start needs tickets opened before it); each sign applies its own scope.
    ``done_at`` is precomputed once (see :func:`model.done_at`).
    """

    tickets: pd.DataFrame
    events: pd.DataFrame
    window: Window
    calendar: Calendar = field(default_factory=Calendar)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    max_samples: int = 10
    #: the extract's shape, measured over the whole data before grading
    shape: ExtractShape = field(default_factory=ExtractShape)
    #: each analysis's params (``rules/analyses/<id>.yaml``), by id: a sign that uses an
    #: analysis's measurement (the recurrence sign's text clusters, the routing check's
    #: handoff pairs) reads its params here, so both use one setting
    analyses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: each extra check's params (``rules/checks/<id>.yaml``), by id, whether or not the
    #: run grades the checks: a test a check defines and a sign shares (the
    #: vague-tickets check's vague summary, which the recurrence key leaves out) reads
    #: them here, so both use one setting
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: each sign's params (``rules/<id>.yaml``), by id: a test a sign defines and a check
    #: shares (the backlog sign's mass closure, which the knowledge and reopen checks
    #: leave out of their done work) reads them here, so both use one setting
    signs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the run's time zone (``--tz``): a calendar day a ticket names (a start date) is
    #: that day in this zone
    tz: str = "UTC"
    #: canonical time columns that carry no time of day (every value at midnight): what
    #: is counted in hours between them is counted between midnights
    day_only: frozenset[str] = frozenset()
    #: the words of the people's names as the export wrote them, when the people columns
    #: hold pseudonyms (``--redact``): a name typed into a summary is still a name, and
    #: the redacted diagnosis must read the tickets as the plain one does
    name_words: frozenset[str] | None = None
    #: the inputs' column headers no canonical field was read from: a sign that lacks a
    #: field may name a column that looks like it (onboarding's start date under a custom
    #: name). Only for naming: columns read outside the column map are among them
    unread_columns: tuple[str, ...] = ()
    #: of those columns, the rows of the inputs that hold a value in each: a column blank
    #: on every row keeps nothing there. A column not in it is not known (a Context
    #: built without the files)
    unread_filled: Mapping[str, int] = field(default_factory=dict)
    #: per input, its tool (``InputInfo.tool``), its path (``InputInfo.path``, a sheet's
    #: name after it) and the canonical fields it read from a column of its header (the
    #: keys of its ``column_map``): a field no ticket holds is then in the export, empty
    #: or junk (a configuration gap), not missing from it, when an input whose tickets a
    #: sign reads has the column. A plain set of fields: one input of no known tool or
    #: file. Empty when not known: the tickets' values alone tell then
    read_fields: tuple[tuple[str, str, frozenset[str]], ...] | frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # business days are counted on the run's calendar days: the calendar takes the
        # run's zone (a Calendar built without one counted UTC days under any --tz)
        if self.calendar.tz != self.tz:
            object.__setattr__(self, "calendar", replace(self.calendar, tz=self.tz))

    def step_down(self, meas: Measurement, columns: tuple[str, ...], note: str,
                  **params: Any) -> None:
        """A step of confidence less, and ``note``, when a verdict's hours are counted
        between ``columns`` that carry days only (a 48-hour window over day stamps spans
        three calendar days)."""
        named = [c for c in columns if c in self.day_only]
        if not named:
            return
        meas.confidence = less_sure(meas.confidence)
        meas.notes.append(Note(code=note, params={**params, "columns": ", ".join(named)}))

    @property
    def done_at(self) -> pd.Series:
        return _cached(self, "_done_at", lambda: m.done_at(self.tickets))

    @property
    def hours_to_done(self) -> np.ndarray:
        """Per ticket, the hours from its opened time to :attr:`done_at` (NaN where
        either is missing; a negative one kept: each reader decides it is junk), computed
        once: the KPI panel's time to resolve and the backlog's automation candidates
        both read it. Read-only."""
        def make() -> np.ndarray:
            out = ((self.done_at - self.tickets[m.OPENED_AT]) / pd.Timedelta(hours=1)
                   ).to_numpy(dtype="float64", na_value=np.nan)
            out.flags.writeable = False
            return out
        result: np.ndarray = _cached(self, "_hours_to_done", make)
        return result

    @property
    def done_stamp(self) -> pd.Series:
        """:func:`model.done_stamp` of the tickets (resolved, else closed, whatever the
        status says), computed once, handed out as a copy like :meth:`is_done`."""
        return _cached(self, "_done_stamp",
                       lambda: m.done_stamp(self.tickets)).copy(deep=False)

    def given_done_at(self, done_at: pd.Series, *, stamp: pd.Series | None = None,
                      done: pd.Series | None = None) -> Context:
        """This Context with :attr:`done_at` already known (the engine computed it for
        the extract's shape), and the :attr:`done_stamp` and :meth:`is_done` it was
        made of when given: million-row passes saved, the same values."""
        cache = self.__dict__.setdefault("_cache", {})
        cache["_done_at"] = done_at
        cache.pop("_hours_to_done", None)  # made of the done times
        cache.pop("_moved_out", None)
        if stamp is not None:
            cache["_done_stamp"] = stamp
        if done is not None:
            cache["_is_done"] = done
        return self

    def of_kind(self, *kinds: str) -> pd.Series:
        """Mask of tickets whose kind is one of ``kinds``."""
        # every sign asks for the same few scopes: computed once per Context; a shallow
        # copy is handed out (copy-on-write: a caller's in-place ``&=`` copies first and
        # cannot reach the cache)
        return _cached(self, ("of_kind", kinds), lambda: in_values(
            self.tickets[m.KIND], kinds)).copy(deep=False)

    def filled(self, column: str) -> pd.Series:
        """Mask of tickets whose ``column`` holds a value (text: not blank once trimmed),
        as :func:`~itsm_diag.signs.common.filled` gives it; computed once per column,
        handed out as a copy like :meth:`of_kind`."""
        from itsm_diag.signs.common import filled

        return _cached(self, ("filled", column),
                       lambda: filled(self.tickets[column])).copy(deep=False)

    def is_done(self) -> pd.Series:
        """:func:`model.is_done` of the tickets (status resolved, closed or cancelled),
        computed once, handed out as a copy."""
        return _cached(self, "_is_done", lambda: m.is_done(self.tickets)).copy(deep=False)

    def done_in_window(self) -> pd.Series:
        """Mask of tickets done (:attr:`done_at`) inside the window, computed once. Not a
        ticket an old tool closed as it moved to a new one (:meth:`moved_out`): the new
        tool's copy carries it on, and is done when that is."""
        return _cached(self, "_done_in_window",
                       lambda: self.window.contains(self.done_at) & ~self.moved_out()
                       ).copy(deep=False)

    def carried_in(self) -> pd.Series:
        """Mask of the tickets an import or migration carried over
        (:func:`~itsm_diag.signs.shape.carried_rows`: "opened" in an opening burst's
        hour): no arrival. Their time to done counts from the move (at least the time
        since it): left out, the longest stays would be, and a p90 of 151 h read 77 h
        (measured from the move it reads 137 h). Computed once, handed out as a copy."""
        return _cached(self, "_carried_in", lambda: carried_rows(
            self.shape, self.tickets[m.OPENED_AT])).copy(deep=False)

    def moved_out(self) -> pd.Series:
        """Mask of the old tool's copies a migration closed
        (:func:`~itsm_diag.signs.shape.migrated_rows`): no completion and no clean-up,
        the ticket goes on in the new tool. Computed once, handed out as a copy."""
        return _cached(self, "_moved_out", lambda: migrated_rows(
            self.shape, self.tickets, self.done_at)).copy(deep=False)

    def as_of_end(self, column: str) -> pd.Series:
        """Ticket time ``column`` as the window end saw it: missing where it falls after
        the window end (a change that ended, a ticket closed or answered later had not
        then). A report as of the window end reads each ticket as it stood then, so two
        exports of one desk, pulled on different days after it, give the same figures.
        Computed once per column and window, handed out as a copy."""
        def make() -> pd.Series:
            at = self.tickets[column]
            return at.where(~self.window.after(at))
        return _cached(self, ("as_of_end", column), make).copy(deep=False)

    def done_after_end(self) -> pd.Series:
        """Mask of tickets done (:attr:`done_at`) after the window end: still open at it.
        Computed once per window, handed out as a copy."""
        return _cached(self, "_done_after_end",
                       lambda: self.window.after(self.done_at)).copy(deep=False)

    def cancelled_by_end(self) -> pd.Series:
        """Mask of tickets cancelled by the window end: cancelled now, and not done after
        it (a ticket cancelled later was still open then). Computed once per window."""
        return _cached(self, "_cancelled_by_end", lambda: (
            self.tickets[m.STATUS] == "cancelled").fillna(False).astype(bool)
            & ~self.done_after_end()).copy(deep=False)

    def done_by_end(self) -> pd.Series:
        """:attr:`done_at` as the window end saw it (:meth:`as_of_end`): missing for a
        ticket done after the window end (:meth:`done_after_end`), which was still open
        then. Computed once per window, handed out as a copy."""
        return _cached(self, "_done_by_end", lambda: self.done_at.where(
            ~self.done_after_end())).copy(deep=False)

    def opened_by_end(self) -> pd.Series:
        """Mask of tickets opened by the window end (or with no opened time): the
        tickets that existed at it. What one opened later shows (a problem link of
        next month's incidents) is no evidence of the desk as it stood then."""
        return _cached(self, "_opened_by_end", lambda: ~self.window.after(
            self.tickets[m.OPENED_AT])).copy(deep=False)

    def events_by_end(self) -> np.ndarray:
        """Boolean array over events (read-only): the event happened by the window end
        (or has no time). What a window figure reads of the events: a report as of the
        window end knows no later status, assignment or comment, so two exports of one
        desk pulled on different days after it read the same history. A reader of later
        events says why in a comment."""
        def make() -> np.ndarray:
            out = ~self.window.after(self.events[m.EV_AT]).to_numpy(dtype=bool)
            out.flags.writeable = False
            return out
        result: np.ndarray = _cached(self, "_events_by_end", make)
        return result

    def opened_in_window(self) -> pd.Series:
        """Mask of tickets opened inside the window, computed once: not those an import
        or migration carried over (:meth:`carried_in`), whose opened time is the move's
        (a desk's 385 migrated tickets read as 385 arrivals in one week)."""
        mask = _cached(self, "_opened_in_window",
                       lambda: self.window.contains(self.tickets[m.OPENED_AT])
                       & ~self.carried_in())
        return mask.copy(deep=False)

    def samples(self, mask: pd.Series, order_by: pd.Series | None = None) -> list[str]:
        """Up to ``max_samples`` ticket ids under ``mask``: the smallest ids, or the
        largest ``order_by`` first and, at equal keys, the smaller id first (the sample is
        a function of the tickets, not of the export's row order)."""
        if order_by is not None:
            return _top_by(self.tickets, _positions(self.tickets, mask), self.max_samples,
                           order_by, self.id_ranks[0])
        # by id: the ids' sort ranks are computed once, so a sample is a partial sort of
        # small integers instead of a sort of every matching id string; an export listed
        # in id order (most are) has its smallest ids in its first matching rows
        codes, first = self.id_ranks
        if self._ids_in_row_order:
            rows = _first_positions(self.tickets, mask, self.max_samples)
        else:
            rows = _positions(self.tickets, mask)
        return _smallest_ids(codes[rows], self.tickets[m.TICKET_ID], first, self.max_samples)

    def sample_rows(self, rows: np.ndarray, n: int | None = None) -> list[str]:
        """Up to ``n`` (``max_samples``) ticket ids of the tickets at row positions
        ``rows``: the smallest ids, as :meth:`samples` names them (a partial sort of the
        chosen rows' id ranks only), whatever order the export listed them in."""
        rows = np.asarray(rows, dtype=np.int64)
        codes, first = self.id_ranks
        return _smallest_ids(codes[rows], self.tickets[m.TICKET_ID], first,
                             self.max_samples if n is None else n)

    @property
    def _ids_in_row_order(self) -> bool:
        """Whether every ticket's id rank is >= the one before (the export is listed by
        id): then the first rows under a mask hold its smallest ids."""
        def make() -> bool:
            codes = self.id_ranks[0]
            return bool(len(codes) < 2 or (codes[1:] >= codes[:-1]).all())
        result: bool = _cached(self, "_ids_in_row_order", make)
        return result

    # ---- per-Context caches (additive helpers; nothing here changes what is measured) --

    @property
    def id_ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """(rank of each ticket's id among the distinct ids in sort order; for each rank,
        a row holding that id). ``len`` of the second is the number of distinct ids.

        A missing id ranks after every id (code ``len(ids)``), as ``sort_values`` puts it.
        """
        def make() -> tuple[np.ndarray, np.ndarray]:
            ids = self.tickets[m.TICKET_ID]
            ranks = m.dense_ranks(ids)
            n_values = int(ranks.max()) + 1 if len(ranks) else 0
            n_distinct = n_values - (1 if ids.hasnans else 0)  # missing ids rank last
            first = np.zeros(n_distinct, dtype=np.int64)
            real = ranks < n_distinct
            first[ranks[real]] = np.flatnonzero(real)  # any row holding each id
            return ranks, first
        return _cached(self, "_id_ranks", make)

    @property
    def id_rows(self) -> np.ndarray:
        """For each id code (:attr:`id_ranks`, and the two past the last id: a missing
        id, an id no ticket has), a ticket row holding that id; -1 for those two."""
        def make() -> np.ndarray:
            first = self.id_ranks[1]
            return np.concatenate([first, np.full(2, -1, dtype=np.int64)])
        result: np.ndarray = _cached(self, "_id_rows", make)
        return result

    @property
    def event_id_codes(self) -> np.ndarray:
        """For each event, the id rank (:attr:`id_ranks`) of its ticket id.

        ``len(ids)`` for a missing ticket id (it equals a ticket's missing id, as
        ``isin`` treats <NA>), ``len(ids) + 1`` for an id no ticket has.
        """
        def make() -> np.ndarray:
            _, first = self.id_ranks
            ev_ids = self.events[m.EV_TICKET_ID]
            n = len(first)
            if ev_ids.empty:
                return np.zeros(0, dtype=np.int64)
            # the distinct ticket ids in rank order: their positions are the ranks
            every = _arrow_values(self.tickets[m.TICKET_ID].array.take(first))
            found = pc.index_in(_arrow(ev_ids), value_set=every)
            out = found.to_numpy(zero_copy_only=False)
            out = np.where(np.isnan(out), n + 1, out).astype(np.int64) if out.dtype.kind == "f" \
                else out.astype(np.int64)
            out[ev_ids.isna().to_numpy()] = n
            return out
        return _cached(self, "_event_id_codes", make)

    def events_of_tickets(self, mask: pd.Series) -> np.ndarray:
        """Boolean array over events: the event's ticket id is the id of a ticket under
        ``mask`` (what ``events.ticket_id.isin(tickets.loc[mask, ticket_id])`` gives)."""
        codes, first = self.id_ranks
        chosen = np.zeros(len(first) + 2, dtype=bool)
        chosen[codes[_positions(self.tickets, mask)]] = True
        return chosen[self.event_id_codes]

    def tickets_of_events(self, ev_mask: np.ndarray | pd.Series) -> np.ndarray:
        """Boolean array over tickets: the ticket's id is the ticket id of an event under
        ``ev_mask`` (what ``tickets.ticket_id.isin(events.loc[ev_mask, ticket_id])`` gives)."""
        codes, first = self.id_ranks
        hit = np.zeros(len(first) + 2, dtype=bool)
        sel = np.asarray(ev_mask, dtype=bool)
        hit[self.event_id_codes[sel]] = True
        return hit[codes]

    def per_value(self, column: str, how: Hashable,
                  fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
        """``fn`` applied to ticket ``column``, computed on its distinct values only and
        cached under ``how``. ``fn`` must work value by value (a string normalisation, a
        match), which is what makes the result identical to ``fn(tickets[column])``.
        The Series is shared by every caller: read it, never modify it in place."""
        def make() -> pd.Series:
            return spread(self._mapped(column, how, fn), self.distinct(column)[0],
                          self.tickets.index)
        return _cached(self, ("per_value", column, how), make)

    def _mapped(self, column: str, how: Hashable,
                fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
        # fn of the distinct values, shared by per_value and value_table
        return _cached(self, ("mapped", column, how), lambda: fn(self.distinct(column)[1]))

    def value_codes(self, column: str, how: Hashable,
                    fn: Callable[[pd.Series], pd.Series]) -> np.ndarray:
        """Per ticket, an integer code of ``fn``'s value for its ``column`` (equal codes,
        equal values; -1 where ``fn`` gives a missing value): for grouping and sorting on
        normalised text without hashing a million strings. Same ``fn`` rule as
        :meth:`per_value`; computed once per ``how``."""
        return self.value_table(column, how, fn)[0]

    def value_table(self, column: str, how: Hashable, fn: Callable[[pd.Series], pd.Series]
                    ) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
        """(:meth:`value_codes`, the value of ``fn`` each code stands for)."""
        def make() -> tuple[np.ndarray, Any]:
            mapped = self._mapped(column, how, fn)
            keys, uniques = pd.factorize(mapped.array)  # a few thousand values
            return np.asarray(keys, dtype=np.int64)[self.distinct(column)[0]], uniques
        return _cached(self, ("value_codes", column, how), make)

    def distinct(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(code of each ticket's value, the distinct values of ticket ``column`` with one
        <NA> last): see :func:`factorize_na`."""
        return _cached(self, ("distinct", column), lambda: factorize_na(self.tickets[column]))

    def at_window(self, window: Window) -> Context:
        """This Context over another ``window``, keeping the caches that do not depend on
        the window (done times, ids, kinds, filled columns, status histories): a look at
        other weeks of the same export (the forecast's year-earlier check) makes no
        million-row pass twice."""
        other = replace(self, window=window)
        cache = dict(self.__dict__.get("_cache", {}))
        other.__dict__["_cache"] = {k: v for k, v in cache.items() if _timeless(k)}
        return other

    def memo(self, name: Hashable, make: Any) -> Any:
        """``make()`` once per Context: for results several signs share (the caller must
        not mutate what it gets back)."""
        return _cached(self, ("memo", name), make)

    # ---- sources: which tool's export holds what a measure needs ------------------------

    @property
    def source_codes(self) -> tuple[np.ndarray, pd.Series]:
        """(code of each ticket's source, the exporting tool in ``source_tool``; the
        sources' names), as :meth:`distinct` gives them: a ticket without a source is
        one more source. A table without the column is one source."""
        if m.SOURCE_TOOL not in self.tickets.columns:
            return (np.zeros(len(self.tickets), dtype=np.intp),
                    pd.Series([pd.NA], dtype="object"))
        return self.distinct(m.SOURCE_TOOL)

    @property
    def file_codes(self) -> tuple[np.ndarray, pd.Series]:
        """(code of each ticket's input: its tool and its file, ``source_tool`` and
        ``source_file`` together; the inputs' names: the file's, with the tool after it
        when one file name holds tickets of two tools, the tool's for tickets without a
        file), as :attr:`source_codes` gives the tools. Two exports of one tool, one
        with a column and one without (two list views, two teams' exports), are two
        inputs. A table without ``source_file`` has its tools as its inputs."""
        if m.SOURCE_FILE not in self.tickets.columns:
            return self.source_codes
        result: tuple[np.ndarray, pd.Series] = _cached(self, "_file_codes",
                                                        self._make_file_codes)
        return result

    def _make_file_codes(self) -> tuple[np.ndarray, pd.Series]:
        tool_codes, tools = self.source_codes
        file_codes, files = self.distinct(m.SOURCE_FILE)
        # each (file, tool) pair as one integer, numbered by np.unique (a sort of the
        # tickets' small integers, no pass per ticket); the few pairs named one by one
        pairs, codes = np.unique(file_codes.astype(np.int64) * len(tools) + tool_codes,
                                 return_inverse=True)
        file_of, tool_of = pairs // len(tools), pairs % len(tools)
        file_names = files.astype("object").to_numpy()[file_of]
        tool_names = tools.astype("object").to_numpy()[tool_of]
        shared = pd.Series(file_of).duplicated(keep=False).to_numpy()
        names = [str(t) if pd.isna(f) else f"{f} ({t})" if two else str(f)
                 for f, t, two in zip(file_names, tool_names, shared, strict=True)]
        out = np.asarray(codes, dtype=np.intp).reshape(-1)
        out.flags.writeable = False
        return out, pd.Series(names, dtype="object")

    def source_holds(self, what: str,
                     evidence: Callable[[], pd.Series | np.ndarray] | None = None,
                     *, per_file: bool = False) -> np.ndarray:
        """Per ticket (a read-only bool array): some ticket of its source holds ``what``,
        a column (filled, :meth:`filled`), or, with ``evidence``, the mask over tickets
        ``evidence()`` gives (comments for chasers, a problem link for coverage), cached
        under the name ``what``. A tool that cannot export a field has it on none of its
        tickets: its tickets are no evidence of the field's absence. One grouping of the
        evidence by the source codes (a bincount), computed once per name. With
        ``per_file``, the sources are the input files (:attr:`file_codes`: tool and
        file), for a field one export of a tool holds and another does not (a list
        view without the column)."""
        def make() -> np.ndarray:
            codes, names = self.file_codes if per_file else self.source_codes
            found = self.filled(what) if evidence is None else evidence()
            has = _mask_array(self.tickets, found)
            held = np.bincount(codes[has], minlength=len(names)) > 0
            out: np.ndarray = held[codes]
            out.flags.writeable = False
            return out
        result: np.ndarray = _cached(self, ("file_holds" if per_file else "source_holds",
                                            what), make)
        return result

    def by_source(self, scope: pd.Series | np.ndarray, what: str,
                  evidence: Callable[[], pd.Series | np.ndarray] | None = None,
                  *, per_file: bool = False) -> SourceSplit:
        """The ``scope`` tickets split by whether their source holds ``what``
        (:meth:`source_holds`, its input file with ``per_file``): a measure that needs
        it counts the tickets of the sources that hold it, and names the others in a
        note. When every source of the scope holds it, or none does, nothing is left
        out (the measure's own missing-field path applies), so a run over one source
        measures as it always did."""
        t = self.tickets
        in_scope = _mask_array(t, scope)
        holds = self.source_holds(what, evidence, per_file=per_file)
        left = in_scope & ~holds
        kept = in_scope & holds
        whole = scope if isinstance(scope, pd.Series) else pd.Series(in_scope, index=t.index)
        if not left.any():
            return SourceSplit(kept=whole.copy(deep=False))
        codes, names = self.file_codes if per_file else self.source_codes
        per = np.bincount(codes[left], minlength=len(names))
        named = np.flatnonzero(per)
        order = named[np.lexsort((names.astype("object").astype(str).to_numpy()[named],
                                  -per[named]))]  # most tickets first, then by name
        text = "; ".join(f"{names.iloc[c]}: {int(per[c]):,}" for c in order)  # a few
        split = bool(kept.any())
        return SourceSplit(kept=pd.Series(kept, index=t.index) if split
                           else whole.copy(deep=False),
                           left_out=int(left.sum()), sources=text, split=split)


@dataclass(frozen=True)
class SourceSplit:
    """A scope split by source (:meth:`Context.by_source`)."""

    #: the scope's tickets whose source holds the field (the whole scope when no source
    #: of it lacks the field, or when none holds it)
    kept: pd.Series
    #: the scope's tickets whose source does not hold it, and those sources with their
    #: counts ("freshservice: 387; ...": most first)
    left_out: int = 0
    sources: str = ""
    #: some sources of the scope hold it and some do not: ``kept`` leaves the others out
    split: bool = False

    def note(self, code: str, **params: Any) -> Note:
        """The note naming the sources left out (``sources`` and ``params`` for its
        message, the tickets left out as its count)."""
        return Note(code=code, count=self.left_out, params={"sources": self.sources, **params})

    def kept_noted(self, excluded: list[Note], code: str) -> pd.Series:
        """``kept``, with the note ``code`` naming the sources left out added to
        ``excluded`` when some were."""
        if self.split:
            excluded.append(self.note(code))
        return self.kept


#: the Context caches (:func:`_cached` names) that do not depend on the window
_TIMELESS = frozenset({"_done_at", "_done_stamp", "_is_done", "_hours_to_done",
                       "_carried_in", "_moved_out",
                       "_id_ranks", "_id_rows", "_event_id_codes"})


def _timeless(key: Hashable) -> bool:
    """Whether the cache entry ``key`` holds for any window (:meth:`Context.at_window`)."""
    if key in _TIMELESS:
        return True
    if not isinstance(key, tuple) or not key:
        return False
    inner = key[1] if key[0] == "memo" and len(key) > 1 else None
    return key[0] in ("of_kind", "filled") or (
        isinstance(inner, tuple) and bool(inner) and inner[0] == "status_history")


#: guards the creation of per-key locks (held only for a dict lookup)
_LOCKS_LOCK = threading.Lock()


def _cached(ctx: Context, name: Hashable, make: Any) -> Any:
    # the engine measures signs in threads that share one Context: a lock per key makes
    # each cached value computed once (not once per thread), lets different keys be
    # computed in parallel and one value build on another (its own key, its own lock);
    # re-entrant so a maker that asks for its own key ends in a RecursionError, not a hang
    cache = ctx.__dict__.setdefault("_cache", {})
    if name in cache:
        return cache[name]
    with _LOCKS_LOCK:
        lock = ctx.__dict__.setdefault("_locks", {}).setdefault(name, threading.RLock())
    with lock:
        if name not in cache:
            cache[name] = make()
    return cache[name]


def in_values(column: pd.Series, values: tuple[str, ...]) -> pd.Series:
    """Mask: ``column``'s value is one of ``values`` (a missing value is not). A
    categorical is judged once per category and spread by its codes (a gather of small
    integers, not a hash of every row)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # code -1 (missing) takes the appended False
        table = np.append(np.asarray(column.cat.categories.isin(values), dtype=bool), False)
        return pd.Series(table[np.asarray(column.cat.codes)], index=column.index)
    return column.isin(values).fillna(False).astype(bool)


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    return pa.array(values.array)


def _arrow_values(values: Any) -> pa.Array:
    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _mask_array(tickets: pd.DataFrame, mask: pd.Series | np.ndarray) -> np.ndarray:
    """``mask`` as a numpy bool array over the tickets' rows (a Series is aligned on the
    tickets' index; missing is False)."""
    if isinstance(mask, pd.Series) and not mask.index.equals(tickets.index):
        mask = mask.reindex(tickets.index, fill_value=False)
    return mask.to_numpy(dtype=bool, na_value=False) if isinstance(mask, pd.Series) \
        else np.asarray(mask, dtype=bool)


def _positions(tickets: pd.DataFrame, mask: pd.Series | np.ndarray) -> np.ndarray:
    """Row positions where ``mask`` holds (a Series is aligned on the tickets' index)."""
    return np.flatnonzero(_mask_array(tickets, mask))


def _first_positions(tickets: pd.DataFrame, mask: pd.Series | np.ndarray, n: int
                     ) -> np.ndarray:
    """The first ``n`` row positions where ``mask`` holds (all of them when fewer): read
    in blocks growing fourfold from the top, so a sample of a dense mask reads a few
    thousand rows, not a million."""
    arr = _mask_array(tickets, mask)
    found: list[np.ndarray] = []
    have, start, step = 0, 0, 4096
    while have < n and start < len(arr):
        part = np.flatnonzero(arr[start:start + step]) + start
        found.append(part)
        have += len(part)
        start, step = start + step, step * 4
    return np.concatenate(found)[:n] if found else np.zeros(0, dtype=np.int64)


def _smallest_ids(codes: np.ndarray, ids: pd.Series, first: np.ndarray, n: int) -> list[str]:
    """The ``n`` smallest ids (by rank code, :attr:`Context.id_ranks`) as text, read from
    the rows holding them; a missing id (ranked last) reads ``<NA>``."""
    if n <= 0:
        return []
    if len(codes) > n:
        codes = np.partition(codes, n - 1)[:n]
    codes = np.sort(codes)
    known = codes[codes < len(first)]
    named = [str(x) for x in m.take_rows(ids, first[known]).tolist()]
    return named + [str(pd.NA)] * (len(codes) - len(known))


def _top_by(tickets: pd.DataFrame, rows: np.ndarray, n: int, order_by: pd.Series,
            id_codes: np.ndarray) -> list[str]:
    """The first ``n`` ids of ``rows`` by ``order_by`` descending (missing last), at
    equal keys by id (``id_codes``: :attr:`Context.id_ranks`), without sorting every row:
    only those up to the n-th key."""
    if not order_by.index.equals(tickets.index):
        order_by = order_by.reindex(tickets.index)
    # the chosen rows' keys only: a float copy of a million-row key costs ~0.05 s
    keys = -order_by.iloc[rows].to_numpy(dtype="float64", na_value=-np.inf)
    if n <= 0:
        return []
    if len(keys) > n:
        kth = np.partition(keys, n - 1)[n - 1]
        keep = keys <= kth  # everything before the n-th key, and all its ties
        rows, keys = rows[keep], keys[keep]
    pick = rows[np.lexsort((id_codes[rows], keys))[:n]]
    return [str(x) for x in m.take_rows(tickets[m.TICKET_ID], pick).tolist()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(_Strict):
    """One measured value, with how it was computed.

    ``value`` is what thresholds compare (a ratio is 0..1, never a percentage);
    ``None`` means the data could not give it. Numerator/denominator are given for
    every ratio; ``sample_ids`` name tickets that stand behind it.
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample_ids: list[str] = Field(default_factory=list)
    #: the value with one ticket more or less behind it, for a figure that is no plain
    #: numerator / denominator (the gap between two shares): the engine's one-ticket test
    #: of a verdict reads these
    nudged: list[float] = Field(default_factory=list)
    #: the standard error of a value fitted to a series (the backlog's trend line, whose
    #: week ends are no tickets drawn from a population), and the degrees of freedom of
    #: its t: the engine's sampling interval of the value reads these
    se: float | None = None
    se_df: int | None = None
    #: a count over time that subtracts a baseline count (changes' incidents after a
    #: change less those in the same spans before it): that baseline, Poisson like the
    #: count it is taken from (numerator + chance); the engine's interval reads both
    chance: float | None = None


class Note(_Strict):
    """A coded statement; the rule file's ``messages[code]`` words it using ``params``.
    A param that is itself a Note is a clause the module chose between (which of two
    things the data shows), worded from the same messages first (:meth:`text`); a list
    of Notes is the clauses that apply (the kinds a count holds, zeros left unsaid),
    worded each and joined as a sentence lists them ("a, b and c")."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    count: int | None = None
    sample_ids: list[str] = Field(default_factory=list)

    def text(self, messages: Mapping[str, str], owner: str) -> str:
        """The note worded by ``messages`` (the rule file of ``owner``), clauses first."""
        template = messages.get(self.code)
        if template is None:
            raise KeyError(f"{owner} has no message for code {self.code!r}")
        def worded(v: Any) -> Any:
            # a clause; the clauses that apply (none: nothing said); any other value as is
            if isinstance(v, Note):
                return v.text(messages, owner)
            if isinstance(v, list) and all(isinstance(n, Note) for n in v):
                return joined([n.text(messages, owner) for n in v])
            return v
        values = {k: worded(v) for k, v in self.params.items()}
        return fmt(template, {**values, "count": self.count})


class Cost(_Strict):
    """Agent hours per month at stake for one basis (the rule file's ``costs[basis]``).

    A cost that prices tickets' handle minutes says which (:meth:`handling`, not
    serialised): the engine sees every sign's costs, and a ticket two signs price (a
    recurring incident that is also a duplicate, or change-caused) has its handle minutes
    counted once in the report's total, the later sign's share of them named. Minutes
    that are no handle time (a chaser's, a change's extra rework) are not given."""

    basis: str
    hours_per_month: float
    params: dict[str, Any] = Field(default_factory=dict)
    #: how many tickets (or events: handoffs, chasers) the hours rest on over the covered
    #: window, a count chance moves as a Poisson count does; None when the hours are no
    #: count's (logged time)
    count: float | None = None
    #: row positions (in the Context's tickets) of the tickets whose handle minutes the
    #: hours price, and the hours a month each puts on its ticket
    _rows: np.ndarray | None = PrivateAttr(default=None)
    _each: np.ndarray | None = PrivateAttr(default=None)

    def handling(self, tickets: pd.DataFrame, mask: pd.Series | np.ndarray,
                 each: float | pd.Series | np.ndarray) -> Cost:
        """This cost, saying it prices the handle minutes of the ``mask`` tickets (over
        ``tickets``' rows) at ``each`` hours a month per ticket: a number, or one per
        ticket row (a count priced beyond chance scales each ticket by its share)."""
        rows = _positions(tickets, mask)
        if isinstance(each, pd.Series):
            each = each.reindex(tickets.index) if not each.index.equals(tickets.index) \
                else each
            each = each.to_numpy(dtype="float64", na_value=0.0)
        per = np.asarray(each, dtype="float64")
        self._rows = rows
        self._each = np.full(len(rows), float(per)) if per.ndim == 0 else per[rows]
        return self

    @property
    def handled(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(row positions, hours a month on each) of the tickets whose handle minutes
        this cost prices; ``None`` when it prices none (or does not say)."""
        if self._rows is None or self._each is None:
            return None
        return self._rows, self._each


class Measurement(_Strict):
    """What a sign or check module returns."""

    metrics: dict[str, Figure] = Field(default_factory=dict)
    #: set when the data cannot answer at all: the sign is ``unknown`` whatever the metrics
    unknown: Note | None = None
    #: threshold conditions the module settles itself, by condition name, where their
    #: metric cannot honestly be a number (a backlog that grew from an empty queue has no
    #: percentage of growth, but it plainly did not shrink); a note says why
    decided: dict[str, bool] = Field(default_factory=dict)
    #: set when the evidence could show that the statement applies but not that it does
    #: not (a link field filled on 0.01% of incidents): a clear grade becomes ``unknown``
    #: with this note, a triggered one stands
    absence_unproven: Note | None = None
    #: with ``absence_unproven``: the metrics a clear grade is graded again with (what the
    #: unproven records could make of them); a clear that still holds stands. Without
    #: them, a clear under ``absence_unproven`` is unknown outright
    clear_case: dict[str, float] = Field(default_factory=dict)
    #: the mirror: the evidence may lack records that would clear the sign (a backlog
    #: rebuilt from an export that starts too late to hold the tickets still open from
    #: before: its start can only look smaller). A triggered grade is graded again with
    #: ``worst_case`` in place of the metrics it names; when it no longer triggers, it
    #: becomes ``unknown`` with this note. A clear one stands.
    presence_unproven: Note | None = None
    worst_case: dict[str, float] = Field(default_factory=dict)
    confidence: Confidence = "high"
    #: the rule's ``reason_variants`` entry its reasons are worded by (what the figures
    #: measure, where the export decides it); None: the rule's ``reasons``
    reasons: str | None = None
    #: what one ticket more or less would make of several figures at once, for figures
    #: that move together (an incident more can close a new cluster, counted and in the
    #: share): each a {metric: value} the engine's one-ticket test grades whole
    nudges: list[dict[str, float]] = Field(default_factory=list)
    #: evidence tables, e.g. automation candidates or top clusters (rows of plain values)
    tables: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    #: series for charts, e.g. the weekly backlog (rows of plain values)
    series: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    #: the rows a table would hold uncut, for each table the module cut to its top rows
    #: (the report states the cut; a table not named here is complete)
    table_totals: dict[str, int] = Field(default_factory=dict)
    #: records in scope that could not be used, and why
    excluded: list[Note] = Field(default_factory=list)
    #: data notes (mass closure, ramp-up, which key or tier was used)
    notes: list[Note] = Field(default_factory=list)
    costs: list[Cost] = Field(default_factory=list)

    def value(self, metric: str) -> float | None:
        fig = self.metrics.get(metric)
        return None if fig is None else fig.value


def ratio(numerator: float, denominator: float, ids: list[str] | None = None) -> Figure:
    """A ratio figure; ``None`` value when the denominator is zero."""
    value = float(numerator) / float(denominator) if denominator else None
    return Figure(
        value=value,
        numerator=float(numerator),
        denominator=float(denominator),
        sample_ids=ids or [],
    )


def input_file(path: str) -> str:
    """The file name an input's tickets carry (``source_file``): its path's name without
    the sheet a workbook's input names after it ("tickets.xlsx [Tickets]" is
    "tickets.xlsx": the sheets of one workbook share their tickets' file name)."""
    name = PurePath(path).name
    return name.split(" [", 1)[0] if name.endswith("]") else name


def per_month(count: float, window: Window) -> float:
    """Scale a count over ``window`` to a 30.44-day month."""
    return float(count) / window.months if window.months > 0 else 0.0


ParamMap = Mapping[str, Any]
