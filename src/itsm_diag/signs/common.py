"""Vectorised helpers shared by sign modules.

- :func:`weekly_backlog`: arrivals, completions and open backlog per week of the window;
- :func:`theil_sen` / :func:`trend_levels`: a robust trend (median of pairwise slopes);
- :func:`leading_ramp`: the near-empty weeks at the start of an open-date-filtered export;
- :func:`fold_key` (:func:`folded` / :func:`fold_codes` on a Context, :func:`fold_words`
  for configured word lists): text as a grouping or comparison key;
- :func:`normalise_summary` / :func:`recurrence_key`: grouping keys for recurrence;
- :func:`mass_closures`: clock hours whose completions are a clean-up, not work (not a
  scheduled job's: :func:`scheduled_hours`);
- :func:`filled`: present and not blank;
- :func:`sla_outcome` (:func:`day_stamp_end`): each ticket's SLA outcome, met, breached or
  unknown, the one every SLA figure reads;
- :func:`machine_raised`: the tickets a machine raised (the text clusters' test), left out
  of what measures the desk's work;
- :func:`left_out_done`: a done mask's tickets no figure of done work weighs (a machine's,
  a clean-up's, cancelled, a major incident's children), disjoint, and the kept rest;
- :func:`sorted_distinct`: ``np.unique`` of integers by a sort (numpy's hash path is
  slow on codes spread wide);
- :func:`phrase_pattern`: one regex matching any of a word/phrase list as whole words;
- :func:`too_few`: the ``unknown`` note of a sign measured on too small a sample;
- :func:`isin_values` / :func:`lookup`: membership and mapping on Arrow strings in C
  (pandas 3's ``ArrowStringArray.isin`` builds one Python scalar per lookup value);
- :func:`contains_where`: a regex match on some rows only, computed on their distinct
  values, with exactly the result of ``str.contains`` on the whole column;
- :func:`kind_effort` / :func:`effort_minutes`: each ticket kind's handle minutes, its
  median logged time where the export logs enough, else ``handle_minutes``, the one
  every handle-time cost prices (:func:`effort_words` says which, by the defaults'
  wording).

Nothing here words anything; it only computes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itsm_diag import model as m
from itsm_diag.model import factorize_na, spread
from itsm_diag.signs.base import Context, Note, Window
from itsm_diag.text import NOT_SPACE, SPACE, SPACE_RUNS, TOOL_TITLES, fmt, named_counts

WEEK_NS: int = 7 * 24 * 3600 * 10**9
HOUR = pd.Timedelta(hours=1)

# summary normalisation, applied in this order (lower case first); every pattern is
# valid in both Python's re and RE2, since Arrow-backed strings may use either engine
_URL = rf"(?:https?://|www\.){NOT_SPACE}+"
_EMAIL = f"{NOT_SPACE}+@{NOT_SPACE}+"
# any token holding a digit: ticket numbers, user ids, host names like srv-0042, error codes
_ID_TOKEN = r"[\w\-]*\d[\w\-]*"
# ASCII punctuation only (letters with accents stay)
_PUNCT = r"[!-/:-@\[-`{-~]"
# what counts as part of a word for phrase boundaries: ASCII letters, digits and underscore,
# the Latin-1 and Latin Extended letters (é, ß, ø, ł, ő...) and combining accents (text in
# decomposed form). Spelled as a class, not \b: RE2's \b knows ASCII letters only.
WORD_CHARS = "0-9A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff"
_BEFORE = f"(?:^|[^{WORD_CHARS}])"
_AFTER = f"(?:[^{WORD_CHARS}]|$)"
#: matches nothing (valid in Python's re and RE2, which has no lookarounds)
NEVER = r"[^\s\S]"


def filled(series: pd.Series) -> pd.Series:
    """Mask: value present, and for text not blank after trimming."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # judged once per category, then spread by code (code -1, a missing value, is not)
        ok = filled(pd.Series(np.asarray(dtype.categories, dtype=object), dtype=m.STRING_DTYPE))
        codes = np.asarray(series.cat.codes)
        return pd.Series(np.append(ok.to_numpy(dtype=bool), False)[codes], index=series.index)
    if m.is_arrow_text(series):
        # "not empty and not all whitespace": what trimming then testing the length
        # says (the same Unicode whitespace), without a trimmed copy of every string
        return pd.Series(m.text_filled(series), index=series.index, dtype=bool)
    if pd.api.types.is_string_dtype(dtype):
        text = series.astype(m.STRING_DTYPE).str.strip()
        return text.fillna("").ne("").astype(bool)
    return series.notna().astype(bool)


def category_sorted(series: pd.Series, missing: str | None = None) -> pd.Series:
    """The text of a categorical column (what ``astype("string")`` gives, ``missing`` in
    place of a missing value when given), kept categorical with its categories in text
    order: comparisons, ``isin`` and a sorted group-by then work on codes and give what
    they give on the text, without a million strings taken. Other categories (numbers)
    get the text itself, by pandas' own cast."""
    dtype = series.dtype
    if not (isinstance(dtype, pd.CategoricalDtype)
            and pd.api.types.infer_dtype(dtype.categories, skipna=True) in ("string", "empty")):
        text = series.astype("string")
        return text if missing is None else text.fillna(missing)
    if missing is not None:
        if missing not in dtype.categories:
            series = series.cat.add_categories([missing])
        series = series.fillna(missing)
    return series.cat.reorder_categories(sorted(series.cat.categories))


def phrase_pattern(words: Sequence[str], *, separators: str | None = None) -> str:
    r"""One regex matching any of ``words`` (literal words or phrases) as whole words.

    Phrases are trimmed and lower-cased (match with ``case=False``), escaped, and a run of
    spaces in a phrase matches any run of whitespace. A phrase must start and end on a
    word boundary, checked only on a side where the phrase has a letter or digit (so
    ``status?`` needs no letter-free character after its ``?``): ``epic`` does not match
    "epicentre", ``projet`` matches "Projet:" and "nouveau-projet". A trailing ``*``
    lifts the end boundary (``onboard*`` matches "onboarding"). Letters are Latin,
    accents included. With ``separators`` (a character-class body such as ``,;|`` and
    :data:`~itsm_diag.text.WHITESPACE`),
    only those characters delimit, not any non-letter: for label tokens such as
    ``okr-2024``. No usable phrase gives :data:`NEVER`. Valid for Python's re and RE2.
    """
    if separators is None:
        before, after = _BEFORE, _AFTER
        word = re.compile(f"[{WORD_CHARS}]")
    else:
        before, after = f"(?:^|[{separators}])", f"(?:[{separators}]|$)"
        word = re.compile(f"[^{separators}]")
    # phrases grouped by which ends need a boundary, so the boundary classes appear once
    # per group, not once per phrase; longest first, so no phrase is cut short by a prefix
    groups: dict[tuple[bool, bool], list[str]] = {}
    for phrase in sorted({" ".join(str(w).lower().split()) for w in words}, key=len,
                         reverse=True):
        prefix = phrase.endswith("*")
        phrase = phrase.rstrip("*").rstrip()
        if not phrase:
            continue
        body = f"{SPACE}+".join(re.escape(part) for part in phrase.split(" "))
        ends = (bool(word.match(phrase[0])), bool(word.match(phrase[-1])) and not prefix)
        groups.setdefault(ends, []).append(body)
    alts = [
        f"{before if head else ''}(?:{'|'.join(bodies)}){after if tail else ''}"
        for (head, tail), bodies in sorted(groups.items())
    ]
    return "(?:" + "|".join(alts) + ")" if alts else NEVER


def too_few(n: int, minimum: int, **params: Any) -> Note | None:
    """The ``too_few`` unknown note when ``n`` is under ``minimum``, else None.

    The rule file's ``messages.too_few`` words it with ``{n}``, ``{min}`` and ``params``.
    """
    if n < minimum:
        return Note(code="too_few", params={"n": int(n), "min": int(minimum), **params})
    return None


def week_edges(window: Window, tz: str = "UTC") -> np.ndarray:
    """The weeks' edges (ns) over the window: the last exactly at the end of the part of
    the window the data covers (:attr:`Window.covered_end`: the window's end, or the
    data's end when a ``--until`` reaches past it, so the weeks are those of a window
    ending there and no week is part empty), each seven calendar days in ``tz`` before
    the next (a week across a clock change is 167 or 169 hours, and its days are the
    report's days); week ``k`` is ``(edges[k], edges[k + 1]]``. Whole weeks only, so
    none reaches back before the window start (a window of 6.6 weeks counted one from 3
    days before it)."""
    end = window.covered_end
    days = (m.local_day(end, tz) - m.local_day(window.start, tz)).days + 1
    back = np.arange(max(1, days // 7), -1, -1)
    if tz == "UTC":
        return np.asarray(end.value - WEEK_NS * back, dtype="int64")
    wall = end.tz_convert(tz).tz_localize(None)
    edges = m.wall_to_utc(pd.Series(wall - pd.to_timedelta(7 * back, unit="D")), tz)[0]
    return edges.to_numpy(dtype="datetime64[ns]").astype("int64")


def weekly_backlog(
    ctx: Context, mask: pd.Series, exclude_mask: pd.Series | None = None,
    open_through: pd.Series | None = None,
) -> pd.DataFrame:
    """Weekly arrivals, completions and open backlog of the tickets under ``mask``.

    Weeks end at the window end (the data's end when the window reaches past it:
    :func:`week_edges`) and every 7 days before it; week ``k`` is
    ``(end_k - 7d, end_k]``. ``open`` at ``t`` = opened <= t and not done at t.
    Tickets under ``exclude_mask`` are left out entirely; tickets without an opened
    time cannot be placed and are ignored (callers report them). Tickets under
    ``open_through`` (a clean-up script's closures: no work done) arrive when opened and
    are never done: open at every week end from their opening on, no completion.

    A ticket an import or migration carried over (:meth:`Context.carried_in`) is open
    from its opened time on but no arrival; an old tool's copy a migration closed
    (:meth:`Context.moved_out`) leaves the backlog then but is no completion: one ticket
    moved, counted once (a desk's move read +385 arrivals and completions in one week).

    Where the events hold a ticket's status history (status events with a canonical
    status), "done at t" is the status it had at t: a ticket resolved, reopened and
    closed again is back in the backlog between the two, and each time it is done
    counts as a completion. Other tickets are done from their final done time on.
    Columns: week_end (a timestamp in ``ctx.tz``), arrivals, completions, open.
    """
    keep = mask if exclude_mask is None else mask & ~exclude_mask
    keep = keep & ctx.tickets[m.OPENED_AT].notna()
    never = None if open_through is None or not open_through.any() else keep & open_through
    worked = keep if never is None else keep & ~never
    moved = worked & ctx.moved_out()
    history = status_history(ctx, worked & ~moved)
    plain = worked if history is None else worked & ~pd.Series(history.tickets,
                                                                index=keep.index)
    edges = week_edges(ctx.window, ctx.tz)
    starts, ends = edges[:-1], edges[1:]
    # the times as int64 microseconds cut by the masks, then in ns (what numpy's cast to
    # ns gives, wrapping alike): not a dropped, converted and cast copy of each column
    opened = m.ts_us(ctx.tickets[m.OPENED_AT])
    keep_at, plain_at = keep.to_numpy(dtype=bool), plain.to_numpy(dtype=bool)
    o = opened[keep_at] * 1000  # every kept ticket has an opened time
    # the arrivals leave out the carried-over tickets, the completions the moved ones
    arrived = o[~ctx.carried_in().to_numpy(dtype=bool)[keep_at]]
    done = m.ts_us(ctx.done_at)[plain_at]
    both = done != m.NAT
    d = done[both] * 1000
    # a ticket leaves the backlog at max(opened, done): a done time before the opened
    # time (junk) must not make the count negative
    leave = np.maximum(opened[plain_at][both] * 1000, d)
    d = d[~moved.to_numpy(dtype=bool)[plain_at][both]]
    back = np.array([], "int64")
    if history is not None:
        d = np.concatenate([d, history.done])
        leave = np.concatenate([leave, history.done])
        back = history.reopened

    def upto(arr: np.ndarray, t: np.ndarray) -> np.ndarray:
        return count_upto(arr, t)

    return pd.DataFrame(
        {
            # in the report's zone: the same instants, written as its days are
            "week_end": pd.to_datetime(ends, utc=True).tz_convert(ctx.tz),
            "arrivals": upto(arrived, ends) - upto(arrived, starts),
            "completions": upto(d, ends) - upto(d, starts),
            "open": upto(o, ends) - upto(leave, ends) + upto(back, ends),
        },
        copy=False,
    )


def then_by_code(order: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``order`` (a permutation of rows) stably re-sorted by the rows' integer ``codes``:
    ``np.lexsort((..., codes))`` when ``order`` sorts by the other keys. Non-negative
    codes go through a least-significant-digit radix sort on 16-bit digits (numpy's
    stable sort of ``uint16`` is a counting sort): a pass or two over the rows where a
    comparison sort of a million random codes costs several times more."""
    if not len(order):
        return order
    top = int(codes.max())
    if int(codes.min()) < 0:
        return order[np.argsort(codes[order], kind="stable")]
    for shift in range(0, max(top.bit_length(), 1), 16):
        digit = ((codes[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def distinct_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values of non-negative integer ``codes``, ascending; how many times
    each occurs): ``np.unique(codes, return_counts=True)`` by counting instead of
    sorting (a million cluster or value codes: ~1 ms against ~20-35 ms). Codes far
    larger than their number (a sparse code space) are sorted as ``np.unique`` does."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(codes.max())
    if int(codes.min()) < 0:
        raise ValueError("distinct_codes counts non-negative codes only")
    if top > 4 * len(codes) + 1024:
        found, counts = np.unique(codes, return_counts=True)
        return found.astype(np.int64), counts.astype(np.int64)
    counts = np.bincount(codes, minlength=top + 1)
    found = np.flatnonzero(counts)
    return found.astype(np.int64), counts[found].astype(np.int64)


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending: ``np.unique(values)`` by one
    sort and one comparison of neighbours. numpy 2.4's ``np.unique`` without indices or
    counts goes through a hash table that costs 20-60 times a sort on codes spread
    wide (pair keys such as ``a * n + b``: 100,000 of them ~20 ms against ~1 ms)."""
    ordered = np.sort(values, axis=None)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def by_code_then(codes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Rows ordered by integer ``codes``, then by ``at`` (times), then as given (a stable
    sort): ``np.lexsort((at, codes))``, by :func:`then_by_code`."""
    return then_by_code(np.argsort(at, kind="stable"), codes)


def count_upto(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per point ``p`` (ascending), how many ``values`` are <= ``p``: what
    ``np.searchsorted(np.sort(values), points, side="right")`` gives, without sorting a
    million values to read a few dozen counts (each value is placed among the points,
    then the points' tallies are summed up)."""
    slot = np.searchsorted(points, values, side="left")  # points below each value
    return np.cumsum(np.bincount(slot, minlength=len(points) + 1))[:len(points)]


@dataclass(frozen=True)
class StatusHistory:
    """Tickets' status histories: their events with a canonical status and a time, by
    ticket row, then time (ns), then export order, sorted once per Context
    (:func:`status_trail`, every ticket of the export); a scope's histories that agree
    with the tickets' final status are cut from it (:func:`status_history`). What status
    a ticket had at a moment (done, waiting: :meth:`state_at`), its done and reopen
    moments, and how long it sat waiting."""

    #: per ticket row: its status at a moment is read from this history
    tickets: np.ndarray
    #: each time one of them became done (resolved, closed, cancelled)
    done: np.ndarray
    #: each time one of them left a done status again (a reopen)
    reopened: np.ndarray
    #: the history itself, by ticket then time: ticket row, moment (ns), done after it,
    #: waiting after it (:data:`itsm_diag.model.WAITING_STATUSES`: on hold, awaiting the
    #: caller or a vendor), and the event's position in ``ctx.events``
    rows: np.ndarray
    when: np.ndarray
    is_done: np.ndarray
    pending: np.ndarray
    events: np.ndarray

    def _last_by(self, t_ns: int) -> np.ndarray:
        """Positions of each ticket's last event at or before ``t_ns``."""
        past = np.flatnonzero(self.when <= t_ns)
        rows = self.rows[past]
        last = np.r_[rows[1:] != rows[:-1], True] if len(rows) else np.zeros(0, dtype=bool)
        return past[last]

    def state_at(self, flag: np.ndarray, t_ns: int) -> np.ndarray:
        """Per ticket row: ``flag`` (one per event: :attr:`is_done`, :attr:`pending`) of its
        last event at or before ``t_ns`` (False before its first event, and without one)."""
        out = np.zeros(len(self.tickets), dtype=bool)
        at = self._last_by(t_ns)
        out[self.rows[at]] = flag[at]
        return out

    def done_by(self, t_ns: int) -> np.ndarray:
        """Per ticket row: done at ``t_ns`` by its history (False before its first event)."""
        return self.state_at(self.is_done, t_ns)

    def pending_at(self, t_ns: int) -> np.ndarray:
        """Per ticket row: its last status event at or before ``t_ns`` set a waiting
        status (False before its first status event, and without one)."""
        return self.state_at(self.pending, t_ns)

    def seen_by(self, t_ns: int) -> np.ndarray:
        """Per ticket row: its history has an event at or before ``t_ns`` (it says the
        ticket's status then)."""
        out = np.zeros(len(self.tickets), dtype=bool)
        out[self.rows[self.when <= t_ns]] = True
        return out

    def pending_since(self, t_ns: int) -> np.ndarray:
        """Per ticket row waiting at ``t_ns`` (:meth:`pending_at`): since when (ns), the
        first of its last run of waiting events up to ``t_ns``; NaT (int64 min) for the
        others."""
        out = np.full(len(self.tickets), np.iinfo(np.int64).min, dtype=np.int64)
        n = len(self.rows)
        same = np.r_[False, self.rows[1:] == self.rows[:-1]]
        # where each run of waiting events of one ticket starts, carried along the run
        run_start = self.pending & ~(same & np.r_[False, self.pending[:-1]])
        start = np.maximum.accumulate(np.where(run_start, np.arange(n), 0)) if n else \
            np.zeros(0, dtype=np.int64)
        at = self._last_by(t_ns)
        at = at[self.pending[at]]
        out[self.rows[at]] = self.when[start[at]]
        return out

    def pending_spells(self, upto_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each spell in a waiting status: (ticket row, from, to; ns), a spell ending at
        the ticket's next event or at ``upto_ns`` (per ticket row), whichever is first;
        empty spells (to <= from) left out."""
        same = np.r_[self.rows[1:] == self.rows[:-1], False]
        nxt = np.where(same, np.r_[self.when[1:], 0], np.iinfo(np.int64).max)
        end = np.minimum(nxt, upto_ns[self.rows])
        keep = self.pending & (end > self.when)
        return self.rows[keep], self.when[keep], end[keep]

    def pending_hours(self, upto_ns: np.ndarray) -> np.ndarray:
        """Per ticket row: the hours its status history spent in a waiting status up to
        ``upto_ns`` (per ticket row, ns: its done time), each waiting spell ending at the
        next status event or there; NaN for a ticket with no status events."""
        n = len(self.tickets)
        if not len(self.rows):
            return np.full(n, np.nan)
        rows, start, end = self.pending_spells(upto_ns)
        out = np.bincount(rows, weights=(end - start) / 3.6e12, minlength=n)
        return np.where(self.tickets, out, np.nan)


def _turns(rows: np.ndarray, is_done: np.ndarray, when: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Of a history by ticket then time: the moments a ticket became done, and those it
    left a done status again (a reopen)."""
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    prev = np.r_[False, is_done[:-1]] & ~first if len(rows) else first
    return when[is_done & ~prev], when[~is_done & prev]


def open_at(ctx: Context, mask: pd.Series, when: pd.Timestamp) -> pd.Series:
    """Tickets under ``mask`` open at ``when``: opened by then and not done then (by the
    status history where it is known, else by the final done time), as the weekly
    backlog counts them."""
    t = ctx.tickets
    opened = mask & (t[m.OPENED_AT] <= when).fillna(False).astype(bool)
    not_done = ~(ctx.done_at <= when).fillna(False).astype(bool)
    history = status_history(ctx, mask & t[m.OPENED_AT].notna())
    if history is None:
        return opened & not_done
    by_history = ~history.done_by(int(when.value))
    return opened & pd.Series(np.where(history.tickets, by_history, not_done.to_numpy()),
                              index=t.index)


def status_history(ctx: Context, keep: pd.Series) -> StatusHistory | None:
    """The status history of the tickets under ``keep``, cut from :func:`status_trail`
    (None when there is none). A ticket whose history ends in another state than its
    final status says (done or not) keeps its final done time instead: its history is
    incomplete. Moments before the ticket was opened count at its opening. Computed once
    per ``keep`` (the backlog's scope) and cached.

    It holds the events after the window end too, on purpose: it is shared by every
    window (:meth:`Context.at_window`) and read at moments up to the window end (the week
    ends, :meth:`StatusHistory.done_by`), and whether a history is complete is judged
    against the ticket's final status, which only its last event can agree with."""
    trail = status_trail(ctx)
    if trail is None:
        return None

    def make() -> StatusHistory | None:
        sel = ctx.events_of_tickets(keep)[trail.events]
        if not sel.any():
            return None
        rows, when, is_done = trail.rows[sel], trail.when[sel], trail.is_done[sel]
        last = np.r_[rows[1:] != rows[:-1], True]
        final_done = ctx.is_done().to_numpy(dtype=bool)
        agree = np.zeros(len(ctx.tickets), dtype=bool)
        agree[rows[last]] = is_done[last] == final_done[rows[last]]
        use = agree[rows]
        done, reopened = _turns(rows[use], is_done[use], when[use])
        return StatusHistory(tickets=agree & keep.to_numpy(dtype=bool), done=done,
                             reopened=reopened, rows=rows[use], when=when[use],
                             is_done=is_done[use], pending=trail.pending[sel][use],
                             events=trail.events[sel][use])
    key = ("status_history", hash(np.packbits(keep.to_numpy(dtype=bool)).tobytes()))
    result: StatusHistory | None = ctx.memo(key, make)
    return result


def status_trail(ctx: Context) -> StatusHistory | None:
    """Every ticket's status history (:class:`StatusHistory`): the events with a
    canonical status and a time of a ticket of the export, sorted by ticket row, time and
    export order once per run (shared by every window, like :func:`status_history`,
    which is cut from it); None when the events hold none. Moments before a ticket's
    opening count at it. Its :attr:`~StatusHistory.tickets` are those with any such
    event, whether or not their history agrees with their status now."""
    ev = ctx.events
    if ev.empty or m.EV_STATUS not in ev or not ev[m.EV_STATUS].notna().any():
        return None

    def make() -> StatusHistory | None:
        sel = (ev[m.EV_STATUS].notna() & ev[m.EV_AT].notna()).to_numpy(dtype=bool)
        rows = np.flatnonzero(sel)
        t_rows = ctx.id_rows[ctx.event_id_codes[rows]]
        ok = t_rows >= 0  # an event of no ticket of the export
        rows, t_rows = rows[ok], t_rows[ok]
        if not len(rows):
            return None
        at = ev[m.EV_AT].iloc[rows].to_numpy(dtype="datetime64[ns]").view(np.int64)
        status = ev[m.EV_STATUS].iloc[rows]
        is_done = status.isin(m.DONE_STATUSES).to_numpy(dtype=bool)
        pending = status.isin(m.WAITING_STATUSES).to_numpy(dtype=bool)
        # ticket, time, then export order (rows ascend: a stable sort keeps it)
        order = by_code_then(t_rows, at)
        rows, t_rows, at = rows[order], t_rows[order], at[order]
        is_done, pending = is_done[order], pending[order]
        opened = ctx.tickets[m.OPENED_AT].to_numpy(dtype="datetime64[ns]").view(np.int64)
        when = np.maximum(at, opened[t_rows])
        has = np.zeros(len(ctx.tickets), dtype=bool)
        has[t_rows] = True
        done, reopened = _turns(t_rows, is_done, when)
        return StatusHistory(tickets=has, done=done, reopened=reopened, rows=t_rows,
                             when=when, is_done=is_done, pending=pending, events=rows)
    result: StatusHistory | None = ctx.memo(("status_history", "trail"), make)
    return result


def waiting_at_end(ctx: Context, open_mask: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per ticket row, of the ``open_mask`` tickets (open at the window end): (waiting
    then, whether that is known): its status at the window end (the data's end when the
    window reaches past it) is one of :data:`itsm_diag.model.WAITING_STATUSES`. The one
    rule of "waiting at the end" (the backlog's ``waiting_now``, the KPI panel, the
    forecast and the Monday list read it).

    - A ticket with a status event by then: the status its history gives then (its last
      status event by then), whatever its status now says. The history says what the
      status was at the end; the status now was set at the export's cut, maybe after.
      The history wins even where its last event disagrees with the status now (an
      incomplete log): it is the record of the moment asked about.
    - Any other (no status events, or only later ones): its status now, known only when
      nothing changed it after the window end (its last update is by then, or, with
      none, the window reaches the data's end): a list export says which tickets wait
      at its cut, not before. A ticket updated after the end is not known to wait then."""
    t, w = ctx.tickets, ctx.window
    open_now = open_mask.to_numpy(dtype=bool)
    now = t[m.STATUS].isin(m.WAITING_STATUSES).to_numpy(dtype=bool)
    updated = t[m.UPDATED_AT]
    latest = m.activity_bound(t, last=True)
    whole = latest is None or w.covered_end >= latest
    known = (updated <= w.covered_end).to_numpy(dtype=bool, na_value=False)
    if whole:
        known = known | updated.isna().to_numpy(dtype=bool)
    trail = status_trail(ctx)
    waiting = now & known
    if trail is not None:
        end = int(w.covered_end.value)
        seen = trail.seen_by(end)
        waiting = np.where(seen, trail.pending_at(end), waiting)
        known = known | seen
    return waiting & open_now, known & open_now


def waiting_weekly(ctx: Context, keep: pd.Series, ends_ns: np.ndarray
                   ) -> np.ndarray | None:
    """Per week end (``ends_ns``), how many of the ``keep`` tickets open then (as the
    weekly backlog counts them: :func:`open_at`) were waiting by their status events;
    None when no ticket of them has status events (a list export: which tickets waited
    at the week ends before its cut is not known).

    One pass: each waiting spell of the trail (a waiting event to the ticket's next
    event), cut at the final done time where the ticket's open-ness is not read from its
    history, counted at the week ends it spans. A spell starts at or after the opening,
    and where the history says open-ness its waiting event says not done."""
    trail = status_trail(ctx)
    rows = keep.to_numpy(dtype=bool)
    if trail is None or not (trail.tickets & rows).any() or not trail.pending.any():
        return None
    t = ctx.tickets
    has_opened = t[m.OPENED_AT].notna()
    history = status_history(ctx, keep & has_opened)
    by_history = np.zeros(len(t), dtype=bool) if history is None else history.tickets
    never = np.iinfo(np.int64).max
    done = ctx.done_at.to_numpy(dtype="datetime64[ns]").view(np.int64)
    upto = np.where(by_history | (done == np.iinfo(np.int64).min), never, done)
    s_rows, start, end = trail.pending_spells(upto)
    mine = (rows & has_opened.to_numpy(dtype=bool))[s_rows]
    ends = np.asarray(ends_ns, dtype=np.int64)
    return (count_upto(start[mine], ends) - count_upto(end[mine], ends)).astype(np.int64)


def waiting_hours(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Per ticket: the hours it waited on the requester or a third party from its
    opening to its done time (:attr:`Context.done_at`), and where they were taken from
    (0: not measured, NaN hours; 1: the export's own measure, ``waiting_hours``; 2: its
    status history, the time in ``pending``). The export's measure wins where it gives
    one. Computed once per Context."""
    def make() -> tuple[np.ndarray, np.ndarray]:
        t = ctx.tickets
        given = t[m.WAITING_HOURS].to_numpy(dtype="float64", na_value=np.nan) \
            if m.WAITING_HOURS in t else np.full(len(t), np.nan)
        source = np.where(np.isnan(given), 0, 1).astype(np.int8)
        hours = given.copy()
        trail = status_trail(ctx)
        if trail is not None:
            done = ctx.done_at.to_numpy(dtype="datetime64[ns]").view(np.int64)
            upto = np.where(done == np.iinfo(np.int64).min, np.iinfo(np.int64).max, done)
            from_history = trail.pending_hours(upto)
            use = (source == 0) & ~np.isnan(from_history)
            hours[use] = from_history[use]
            source[use] = 2
        hours.flags.writeable = False
        source.flags.writeable = False
        return hours, source
    result: tuple[np.ndarray, np.ndarray] = ctx.memo("waiting_hours", make)
    return result


def series_rows(weekly: pd.DataFrame) -> list[dict[str, Any]]:
    """The weekly frame as plain rows (week_end as ISO text) for Measurement.series."""
    return [
        {
            "week_end": pd.Timestamp(row.week_end).isoformat(),
            "arrivals": int(row.arrivals),
            "completions": int(row.completions),
            "open": int(row.open),
        }
        for row in weekly.itertuples(index=False)  # one row per week: at most ~13
    ]


def theil_sen(y: Sequence[float] | np.ndarray, x: Sequence[float] | np.ndarray | None = None
              ) -> tuple[float, float]:
    """Theil-Sen line ``y = intercept + slope * x``: slope is the median of all pairwise
    slopes, intercept the median of ``y - slope * x``. Robust to a few outlying weeks.
    ``x`` defaults to 0..n-1. Raises ValueError on empty input.
    """
    yy = np.asarray(y, dtype="float64")
    xx = np.arange(len(yy), dtype="float64") if x is None else np.asarray(x, dtype="float64")
    if yy.size == 0:
        raise ValueError("theil_sen needs at least one point")
    i, j = np.triu_indices(yy.size, k=1)
    dx = xx[j] - xx[i]
    ok = dx != 0
    slope = float(np.median((yy[j] - yy[i])[ok] / dx[ok])) if ok.any() else 0.0
    intercept = float(np.median(yy - slope * xx))
    return slope, intercept


def trend_levels(y: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Start and end levels of the Theil-Sen line through ``y`` (first and last point)."""
    slope, intercept = theil_sen(y)
    return intercept, intercept + slope * (len(y) - 1)


def leading_ramp(values: Sequence[float] | np.ndarray, share: float, min_keep: int = 4) -> int:
    """How many leading points sit under ``share`` x the median (a ramp from near zero).

    At most ``len(values) - min_keep`` points are counted, so a trend keeps enough weeks.
    """
    v = np.asarray(values, dtype="float64")
    if v.size == 0:
        return 0
    low = v < share * float(np.median(v))
    # length of the leading run of True
    run = int(np.argmin(low)) if not low.all() else int(low.size)
    return max(0, min(run, v.size - min_keep))


#: the Context cache name of :func:`normalise_summary`
_SUMMARY_KEY = "recurrence.normalise_summary"


def normalise_summary(summary: pd.Series) -> pd.Series:
    """Lower case; urls, e-mails and tokens holding digits (ids) removed; ASCII
    punctuation dropped; whitespace folded. Blank results become <NA>."""
    text = summary.astype(m.STRING_DTYPE).str.lower()
    for pattern in (_URL, _EMAIL, _ID_TOKEN, _PUNCT):
        text = text.str.replace(pattern, " ", regex=True)
    text = text.str.replace(SPACE_RUNS, " ", regex=True).str.strip()
    return text.mask(text.fillna("").eq(""))


def fold_key(values: pd.Series, *, spaces: bool = False) -> pd.Series:
    """Text as a key, compared case- and space-insensitively: trimmed, lower case, blank
    (empty after trimming) is <NA>. With ``spaces``, each inner run of whitespace is
    also one space.

    ``spaces`` is a real difference, not a style: the checks compare free text (group
    names, statuses, knowledge references, summaries) with runs folded, while the signs'
    keys (requester, category, CI, service, change) have always kept inner whitespace;
    folding it there would merge keys they count apart and change their figures.
    """
    text = values.astype(m.STRING_DTYPE).str.strip().str.lower()
    if spaces:
        text = text.str.replace(SPACE_RUNS, " ", regex=True)
    return text.mask(text.fillna("").eq(""))


def fold_words(words: Iterable[Any], *, spaces: bool = False) -> set[str]:
    """A configured word list folded by :func:`fold_key`, the very fold its column gets,
    so a word and a value it should match can never be folded two ways (blanks dropped)."""
    return set(fold_key(pd.Series([str(w) for w in words], dtype=object), spaces=spaces)
               .dropna())


#: the Context cache name of :func:`fold_key` (without ``spaces``): one per column per run
FOLD_KEY = "fold_key"


def fold_codes(ctx: Context, column: str
               ) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """:func:`fold_key` of ticket ``column`` as (a code per ticket, -1 where blank; the key
    each code stands for); see :meth:`Context.value_table`."""
    return ctx.value_table(column, FOLD_KEY, fold_key)


def folded_in(ctx: Context, column: str, words: Iterable[str]) -> np.ndarray:
    """Per ticket: its :func:`fold_key` of ``column`` is one of ``words`` (False where
    blank): ``folded(ctx, column).isin(words)``, read on the fold's codes (each distinct
    folded value tested once) without the folded text of every ticket."""
    codes, keys = fold_codes(ctx, column)
    hit = pd.Series(keys).isin(list(words)).to_numpy(dtype=bool)
    return np.append(hit, False)[codes]  # a blank value's code, -1, reads the last slot


def folded(ctx: Context, column: str) -> pd.Series:
    """:func:`fold_key` of ticket ``column``, per ticket (shared: never modify it).

    Built from :func:`fold_codes`, not with :meth:`Context.per_value`, so signs that
    want the text and signs that want the codes share one fold of the column.
    """
    def make() -> pd.Series:
        codes, keys = fold_codes(ctx, column)
        return pd.Series(keys.take(codes, allow_fill=True), index=ctx.tickets.index,
                         name=column)
    result: pd.Series = ctx.memo((FOLD_KEY, column), make)
    return result


def _normalised(ctx: Context, column: str) -> pd.Series:
    """:func:`normalise_summary` of ticket ``column``, per ticket, from the value table
    the text clusters read too: one normalisation a run."""
    codes, keys = ctx.value_table(column, _SUMMARY_KEY, normalise_summary)
    return pd.Series(keys.take(codes, allow_fill=True), index=ctx.tickets.index, name=column)


def recurrence_key(tickets: pd.DataFrame, columns: Sequence[str],
                   ctx: Context | None = None) -> pd.Series:
    """One text key per ticket joining ``columns`` with `` | ``.

    The summary column is normalised (:func:`normalise_summary`), other columns are
    folded (:func:`fold_key`). <NA> when any part is blank. With ``ctx`` (whose tickets
    are ``tickets``), each part is computed once per distinct value and cached.
    """
    parts: list[pd.Series] = []
    for col in columns:
        if ctx is None:
            fn = normalise_summary if col == m.SUMMARY else fold_key
            parts.append(fn(tickets[col]))
        elif col == m.SUMMARY:
            # from the value table the text clusters read too: one normalisation a run
            parts.append(ctx.memo((_SUMMARY_KEY, col), partial(_normalised, ctx, col)))
        else:
            parts.append(folded(ctx, col))
    key = parts[0]
    for part in parts[1:]:
        key = key + " | " + part  # <NA> propagates: a key with a blank part is no key
    return key


def recurrence_key_codes(ctx: Context, columns: Sequence[str],
                         summary: tuple[np.ndarray, Any] | None = None
                         ) -> tuple[np.ndarray, Callable[[np.ndarray], list[str]]]:
    """:func:`recurrence_key` as integers: (a code per ticket, -1 where any part is
    blank; a function giving the key text of given ticket rows).

    Equal codes are equal keys (each part is coded through its normalised distinct
    values), so grouping, sorting and counting clusters run on integers; only the keys
    a report shows become text. ``summary``, when given, codes the summary part instead
    of the normalised summary: (a code per ticket, the text of each code), such as the
    text clusters of :mod:`itsm_diag.analyses.textclusters`.
    """
    tables = [(summary if summary is not None
               else ctx.value_table(col, _SUMMARY_KEY, normalise_summary)) if col == m.SUMMARY
              else fold_codes(ctx, col) for col in columns]
    codes = tables[0][0].copy()
    for part, uniques in tables[1:]:
        if len(uniques) and int(codes.max(initial=0)) >= (2**62) // len(uniques):
            ok = codes >= 0  # renumber the keys so far 0..k-1 (no overflow); -1 stays
            codes = codes.copy()
            codes[ok] = pd.factorize(codes[ok])[0]
        codes = np.where((codes < 0) | (part < 0), -1, codes * len(uniques) + part)

    def text(rows: np.ndarray) -> list[str]:
        pieces = [np.asarray(uniques, dtype=object)[part[rows]] for part, uniques in tables]
        return [" | ".join(str(p) for p in row) for row in zip(*pieces, strict=True)]
    return codes.astype(np.int64), text


def mass_closures(done_at: pd.Series, params: Mapping[str, Any], *,
                  span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                  tz: str = "UTC") -> pd.Series:
    """Clock hours that look like a clean-up script, with their completion counts.

    An hour is a mass closure when its completions reach ``mass_closure_min`` and
    ``mass_closure_factor`` x the 99th percentile of the ordinary hours (hours with at
    least one and fewer than ``mass_closure_min`` completions: the candidates
    themselves must not raise the bar). Given the ``span`` the times were taken over (the
    window), an hour of a scheduled job is none (:func:`scheduled_hours`: the same clock
    time holds as many on most days). Returns a Series indexed by hour start, sorted.
    """
    mass, scheduled = mass_hours(hour_numbers(done_at), params, span=span, tz=tz)
    return mass[~scheduled]


_HOUR_US = 3_600 * 10**6
#: the hour number (:func:`hour_numbers`) of a missing time: no real time's
NO_HOUR = m.NAT // _HOUR_US


def hour_numbers(times: pd.Series) -> np.ndarray:
    """Each time's clock hour as whole hours since the epoch (UTC), :data:`NO_HOUR` where
    missing: the floor :func:`mass_hours` and :func:`in_hours` read, taken once a column
    (one integer division of its microseconds)."""
    return m.ts_us(times) // _HOUR_US


def mass_hours(hours: np.ndarray, params: Mapping[str, Any], *,
               span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
               tz: str = "UTC") -> tuple[pd.Series, np.ndarray]:
    """The hours :func:`mass_closures` finds among times' clock hours (``hours``:
    :func:`hour_numbers`; :data:`NO_HOUR` ones are none), before a scheduled job's are
    left out: (every hour past the bar with its count, indexed by hour start (UTC),
    sorted; per hour, whether it is a scheduled job's, all False without the ``span``).
    A caller that has the hours of a column tests its tickets against them
    (:func:`in_hours`) and counts the scheduled hours from the one pass."""
    held = pd.Series(hours[hours != NO_HOUR]).value_counts(sort=False)  # distinct hours
    starts = (held.index.to_numpy(dtype=np.int64) * _HOUR_US).astype("datetime64[us]")
    counts = pd.Series(held.to_numpy(), index=pd.DatetimeIndex(starts).tz_localize("UTC"),
                       name="count")
    min_n = float(params["mass_closure_min"])
    factor = float(params["mass_closure_factor"])
    ordinary = counts[counts < min_n]
    p99 = float(np.percentile(ordinary.to_numpy(), 99)) if len(ordinary) else 0.0
    bar = max(min_n, factor * p99)
    mass = counts[counts >= bar].sort_index()
    scheduled = (scheduled_hours(mass, counts, span, tz, factor, bar=bar,
                                 recur=int(params.get("mass_closure_job_runs", JOB_RUNS)))
                 if span is not None and len(mass) else np.zeros(len(mass), dtype=bool))
    return mass, scheduled


#: a scheduled job is recognised by its runs on at least this many other days at its clock
#: time (a weekly job in a month's window has three; a one-off clean-up has none): the
#: backlog sign's ``mass_closure_job_runs`` param, this when a caller gives none
JOB_RUNS = 3


def scheduled_hours(mass: pd.Series, counts: pd.Series,
                    span: tuple[pd.Timestamp, pd.Timestamp], tz: str,
                    factor: float, *, bar: float | None = None,
                    recur: int = JOB_RUNS) -> np.ndarray:
    """Per hour of ``mass`` (counts by hour start), whether it is a scheduled job's: its
    surplus over its clock time's usual count is under the mass ``bar`` (by default the
    smallest of ``mass``). The usual count is the median, over the other days of the
    ``span`` whose same clock time in ``tz`` (within an hour either side, so a job that
    moves with daylight saving stays one) holds more than 1/``factor`` of the hour's
    count, of what they hold there, when at least ``recur`` days do (a job recurs at its
    clock time: every night, every Sunday, or every night since it was switched on);
    else the median day's. ``counts`` is every time's count by hour start (the few
    thousand distinct hours are put in the zone, not each time). A job's run stands
    level with its other runs; a clean-up stands out by the bar, at any clock time
    (a busy hour's or a job's own hour's usual count is taken off, not its total)."""
    first = pd.Timestamp(span[0]).tz_convert(tz).normalize()
    n_days = max(int((pd.Timestamp(span[1]).tz_convert(tz).normalize() - first)
                     / pd.Timedelta(days=1)) + 1, 1)
    local = pd.DatetimeIndex(counts.index).tz_convert(tz)
    day = ((local.normalize() - first) / pd.Timedelta(days=1)).to_numpy(
        dtype="float64", na_value=np.nan)
    clock = np.asarray(local.hour, dtype="float64")
    keep = (day >= 0) & (day < n_days) & ~np.isnan(clock)
    grid = np.bincount(day[keep].astype(np.int64) * 24 + clock[keep].astype(np.int64),
                       weights=counts.to_numpy(dtype="float64")[keep],
                       minlength=n_days * 24).reshape(n_days, 24)
    # each day's busiest of the clock time and the hours either side (days wrap at 0:00)
    near = np.maximum(grid, np.maximum(np.roll(grid, 1, axis=1), np.roll(grid, -1, axis=1)))
    typical = np.median(near, axis=0)
    at_local = pd.DatetimeIndex(mass.index).tz_convert(tz)
    at = at_local.hour.to_numpy()
    own = ((at_local.normalize() - first) / pd.Timedelta(days=1)).to_numpy(
        dtype="float64", na_value=np.nan)
    count = mass.to_numpy(dtype="float64")
    # per mass hour (columns), each day's holding at its clock time, its own day left out
    column = near[:, at]
    others = np.arange(n_days)[:, None] != own[None, :]
    similar = others & (column > count / factor)
    runs = similar.sum(axis=0)
    held = np.where(similar | (runs == 0)[None, :], column, np.nan)  # no all-NaN column
    usual = np.where(runs >= recur, np.nanmedian(held, axis=0), typical[at])
    lowest = float(count.min()) if len(count) else 0.0
    return np.asarray(count - usual < (lowest if bar is None else bar), dtype=bool)


def in_hours(numbers: np.ndarray, hours: pd.Index) -> np.ndarray:
    """Mask: a time's clock hour (``numbers``: :func:`hour_numbers`) is one of the clock
    ``hours`` (hour starts, as returned by :func:`mass_closures`)."""
    if len(hours) == 0:
        return np.zeros(len(numbers), dtype=bool)
    return np.isin(numbers, pd.DatetimeIndex(hours).as_unit("us").asi8 // _HOUR_US)


# ---- each ticket's SLA outcome ----------------------------------------------------------

_DAY_US = 86_400 * 10**6


def day_stamp_end(us: np.ndarray, tz: str) -> np.ndarray:
    """Each day stamp (a time at the first instant of its calendar day in ``tz``: what a
    date without a time of day is read as) moved to the last microsecond of that day;
    any other time, and :data:`~itsm_diag.model.NAT`, as it is. Int64 UTC microseconds
    in and out. A date stands for its whole day: a ticket due on 2025-03-14 and done at
    15:10 that day met it. The day's bounds are its midnights by
    :func:`~itsm_diag.model.wall_to_utc` (a midnight a clock change skips starts the day
    at 01:00), so a day of 23 or 25 hours ends where the zone's clock says."""
    us = np.asarray(us, dtype=np.int64)
    out = us.copy()
    ok = us != m.NAT
    if not ok.any():
        return out
    if tz == "UTC":
        start = us[ok] - us[ok] % _DAY_US
        out[ok] = np.where(us[ok] == start, start + _DAY_US - 1, us[ok])
        return out
    local = m.local_wall(us[ok], tz)
    # the distinct days (due dates are few), each day's first instant and the next's
    days, inverse = np.unique(local.astype("datetime64[D]"), return_inverse=True)
    bounds = pd.Series(np.concatenate([days, days + np.timedelta64(1, "D")])
                       .astype("datetime64[us]"))
    first = m.ts_us(m.wall_to_utc(bounds, tz)[0])
    start, end = first[:len(days)][inverse], first[len(days):][inverse] - 1
    out[ok] = np.where(us[ok] == start, end, us[ok])
    return out


@dataclass(frozen=True)
class SlaOutcome:
    """Each ticket's SLA outcome, met, breached or unknown (arrays over the Context's
    ticket rows): its made-SLA flag where it carries one, else whether it was done by its
    due time (a due date without a time of day is met through the end of its day in the
    run's zone), else unknown. A flag on a ticket with no due time, where the export
    holds due times and its file has no such flag false, is the tool's default on a
    ticket with no SLA attached (:attr:`no_sla`): unknown. The SLA adherence KPI, the
    sla-by-priority check and the drivers' SLA breach all read it, so the same tickets
    stand behind the three."""

    #: the outcome is known: a made-SLA flag, or a due time and a done time
    known: np.ndarray
    #: met its SLA (False where unknown)
    met: np.ndarray
    #: the outcome is the flag's (where known and not by the flag: the due time's)
    by_flag: np.ndarray
    #: a made-SLA flag on a ticket with no SLA attached (no due time, where the export
    #: holds due times): the tool's default, no outcome (not in ``known``)
    no_sla: np.ndarray

    @property
    def breached(self) -> np.ndarray:
        """Breached its SLA (False where unknown)."""
        return self.known & ~self.met

    @property
    def by_due(self) -> np.ndarray:
        """The outcome is the done time held against the due time."""
        return self.known & ~self.by_flag


#: the vocabulary fields whose raw twin keeps the tool's own label (the model's)
RAW_OF = m.RAW_OF
#: how many of the unread values a note names (most frequent first)
UNREAD_NAMED = 3


def unread_of(ctx: Context, field: str) -> pd.Series:
    """Mask of tickets whose vocabulary ``field`` (a key of :data:`RAW_OF`) the reading
    left empty while the tool's own label is kept: the field is filled in the tool, with
    a value this report could not read (not "no value")."""
    return ctx.tickets[field].isna() & ctx.filled(RAW_OF[field])


def unread_labels(ctx: Context, raw: str, unread: pd.Series) -> dict[str, Any]:
    """The tickets of ``unread`` (a vocabulary field left empty, its raw twin ``raw``
    filled: :func:`unread_of`): how many (``unread``), their most frequent raw values
    with counts (``values``: ``'In Progress - L2' (40)``, as the file's warning quotes
    them), the tools that read them (``tools``), and whether every one of them came
    through a built-in reader (``by_tool``; else a mapping file read some: its
    ``values`` section is the fix), and who left them so (``reader``: ``tool``, every
    one a built-in importer's; ``mapping``, a mapping file read some; ``frame``, the
    rest came in a caller's frame). One wording of unread labels for every sign, check
    and analysis that names them."""
    rows = unread.to_numpy(dtype=bool)
    # counted on the column's codes, each distinct raw value trimmed once
    codes, distinct = ctx.distinct(raw)
    per = np.bincount(codes[rows], minlength=len(distinct))
    counts = pd.Series(per, index=distinct.astype("object").where(distinct.notna(), "")
                       .astype(str).str.strip()).groupby(level=0).sum()
    named = named_counts(counts[counts > 0], UNREAD_NAMED)
    source_codes, sources = ctx.source_codes
    held = np.flatnonzero(np.bincount(source_codes[rows], minlength=len(sources)))
    tools = sorted(str(sources.iloc[c]) for c in held if pd.notna(sources.iloc[c]))
    by_tool = len(tools) > 0 and all(tool in m.BUILT_IN_TOOLS for tool in tools)
    mapped = any(tool not in (*m.BUILT_IN_TOOLS, m.FRAME_TOOL) for tool in tools)
    reader = "tool" if by_tool else "mapping" if mapped or not tools else "frame"
    return {"unread": int(rows.sum()), "values": named,
            "tools": ", ".join(TOOL_TITLES.get(tool, tool) for tool in tools),
            "by_tool": by_tool, "reader": reader}


def sla_outcome(ctx: Context) -> SlaOutcome:
    """Each ticket's :class:`SlaOutcome`, computed once per Context (shared: never modify
    it). A due time is a day stamp where the loader found the column without a time of
    day (``ctx.day_only``): it is then met through the end of its day in ``ctx.tz``.

    Where the export holds a due time on some tickets, the due time marks where an SLA
    runs: a made-SLA flag on a ticket without one is no outcome (:attr:`SlaOutcome.no_sla`)
    when its file holds no ticket without a due time whose flag is false. ServiceNow sets
    ``made_sla`` true on every ticket with no SLA attached: an export where only the
    priority 1-2 incidents carried an SLA (``sla_due`` filled, 62 of 93 met) read SLA
    adherence 97% from 1,030 such defaults, and sla-by-priority compared the urgent
    tickets with "the rest" at 100%, none of which had an SLA. A false flag without a due
    time shows the file's flag is measured without one: that file's flags are read as
    they are, as every flag is where the export holds no due time at all."""
    def make() -> SlaOutcome:
        t = ctx.tickets
        flag = t[m.SLA_MET]
        has_flag = flag.notna().to_numpy(dtype=bool)
        flag_met = flag.to_numpy(dtype=bool, na_value=False)
        due = m.ts_us(t[m.DUE_AT])
        if m.DUE_AT in ctx.day_only:
            due = day_stamp_end(due, ctx.tz)
        has_due = due != m.NAT
        no_sla = _flag_without_sla(ctx, has_flag & ~has_due, flag_met, bool(has_due.any()))
        by_flag = has_flag & ~no_sla
        done = m.ts_us(ctx.done_at)
        by_due = ~has_flag & has_due & (done != m.NAT)
        met = np.where(by_flag, flag_met, by_due & (done <= due))
        return SlaOutcome(known=by_flag | by_due, met=met, by_flag=by_flag, no_sla=no_sla)
    result: SlaOutcome = ctx.memo("sla_outcome", make)
    return result


def _flag_without_sla(ctx: Context, lone: np.ndarray, flag_met: np.ndarray,
                      any_due: bool) -> np.ndarray:
    """Per ticket: a made-SLA flag with no due time (``lone``) read as no SLA attached:
    the export holds a due time somewhere (``any_due``) and the ticket's file holds no
    ticket with the flag false and no due time (its input, :attr:`Context.file_codes`:
    tool and file)."""
    if not any_due or not lone.any():
        return np.zeros(len(lone), dtype=bool)
    # the files with a false flag on a ticket without a due time: their flags are measured
    measured = ctx.source_holds("sla.flag_false_undue", lambda: lone & ~flag_met,
                                per_file=True)
    out: np.ndarray = lone & ~measured
    return out


def machine_raised(ctx: Context) -> np.ndarray:
    """Per ticket (read-only): raised by a machine, not by a person: the text-clusters
    analysis's test (:func:`~itsm_diag.analyses.textclusters.machine_made`: a
    ``machine_channels`` channel, or a requester whose name holds one of
    ``machine_words``) with its params (``ctx.analyses``), the one definition recurrence,
    the text clusters, the knowledge and SLA-by-priority checks, the KPI panel's time to
    resolve, first-assignment resolution and SLA adherence, and the drivers read, worked
    out once a run (the test's Context cache). An alert storm (3,000 alerts a monitoring
    account raised and resolved in minutes) is no work of the desk's: counted in, it
    halved the median time to resolve and flipped two checks. All False without the
    analysis's params."""
    params = ctx.analyses.get("text-clusters")
    if not params:
        def none() -> np.ndarray:
            out = np.zeros(len(ctx.tickets), dtype=bool)
            out.flags.writeable = False
            return out
        empty: np.ndarray = ctx.memo("machine_raised.none", none)
        return empty
    from itsm_diag.analyses.textclusters import machine_made  # analyses build on signs

    return machine_made(ctx, params)


def cancelled_done(ctx: Context) -> pd.Series:
    """Mask of the tickets cancelled by the window end (:meth:`Context.cancelled_by_end`:
    a cancelled state, a ServiceNow close code or a Jira resolution that says Duplicate,
    Won't Do or Withdrawn), the one set that no figure of done work weighs: the KPI
    panel's time to resolve, first-assignment resolution and SLA adherence, the
    sla-by-priority check and the drivers leave them out (counted), and the recurrence
    sign counts them as no occurrence. Closed without the work being done: 134 duplicates
    closed a median 4 minutes after opening read as the desk's fastest resolutions."""
    return ctx.cancelled_by_end()


def ref_rows(ctx: Context, column: str, linked: np.ndarray, targets: np.ndarray
             ) -> np.ndarray:
    """For the ``linked`` ticket rows (whose ``column`` names a ticket id), the row of the
    ticket among ``targets`` (a mask over tickets) that holds that id in the same tool,
    -1 where none does (an id outside the export, or of another kind). The few linked
    rows are looked up by their (id, tool) pair as one integer: no pass per ticket."""
    t = ctx.tickets
    rows = np.flatnonzero(targets)
    if not len(linked) or not len(rows):
        return np.full(len(linked), -1, dtype=np.int64)
    tool, _ = ctx.source_codes
    id_codes, ids = ctx.distinct(m.TICKET_ID)
    width = int(tool.max(initial=0)) + 1
    # each target's (id, tool) pair as one integer; the first row holding it
    pair = id_codes[rows].astype(np.int64) * width + tool[rows]
    first, at = np.unique(pair, return_index=True)
    refs = t[column].iloc[linked].astype(m.STRING_DTYPE).str.strip()
    # the few distinct refs are hashed and each distinct id probed against them: no hash
    # index of every id is built (a million ids took 0.3 s a call)
    ref_at, named = pd.factorize(refs.array)
    code_of = np.full(len(named), -1, dtype=np.int64)
    if len(named):
        every = pa.array(ids.astype(m.STRING_DTYPE).array)
        pos = pc.fill_null(pc.index_in(every, value_set=pa.array(named).cast(every.type)),
                           -1).to_numpy(zero_copy_only=False)
        hit = np.flatnonzero(pos >= 0)
        code_of[pos[hit]] = hit
    ref_code = np.where(ref_at >= 0, code_of[ref_at], -1)
    wanted = np.where(ref_code >= 0, ref_code.astype(np.int64) * width + tool[linked], -1)
    hit = np.minimum(np.searchsorted(first, wanted), len(first) - 1)
    return np.where((wanted >= 0) & (first[hit] == wanted), rows[at[hit]], -1).astype(np.int64)


def never_assigned(ctx: Context) -> np.ndarray:
    """Per ticket (read-only): never assigned to anyone: a reassignment count of 0, no
    assignment group and no assignee, from a source some of whose tickets hold a group or
    an assignee (a tool whose export carries neither says nothing of it). One rule for
    every tool: Zendesk's ``Group stations`` 0 (read as 0 reassignments), a ServiceNow
    ticket resolved with ``reassignment_count`` 0 and no group nor ``assigned_to``, an
    unassigned Jira issue with a reassignment count. Who solved such a ticket the export
    does not say (an agent on first contact, a trigger, its requester): the
    first-assignment resolution leaves it out (counted in its definition); 155 of 1,144
    Zendesk tickets
    read as "resolved at the first assignment" (69.6%; 64.7% of those assigned)."""
    def make() -> np.ndarray:
        t = ctx.tickets
        count = t[m.REASSIGNMENT_COUNT].to_numpy(dtype="float64", na_value=np.nan)
        unassigned = (count == 0) & ~(ctx.filled(m.ASSIGNMENT_GROUP).to_numpy(dtype=bool)
                                      | ctx.filled(m.ASSIGNEE).to_numpy(dtype=bool))
        if unassigned.any():
            unassigned &= ctx.source_holds("assigned", lambda: ctx.filled(
                m.ASSIGNMENT_GROUP) | ctx.filled(m.ASSIGNEE))
        unassigned.flags.writeable = False
        return unassigned
    result: np.ndarray = ctx.memo("never_assigned", make)
    return result


#: how many links up a child's parent is followed (a child of a child of a major incident)
PARENT_HOPS = 8


def parent_rows(ctx: Context) -> np.ndarray:
    """Per ticket (read-only): the row of the incident it is a child of, -1 for none.

    A child is an incident whose ``parent_ref`` names an incident of the same tool in
    the export (a major incident's child: ServiceNow's ``parent_incident``); a parent that
    is itself a child is followed up to its top (:data:`PARENT_HOPS` links), a link to
    itself or a loop is none. Only the few linked rows are looked up. Recurrence folds a
    child into its parent (one occurrence: the parent's key and time) and the KPI panel
    leaves it out of the time to resolve, first-assignment resolution and SLA adherence
    (counted with its parent). Worked out once a run."""
    def make() -> np.ndarray:
        t = ctx.tickets
        out = np.full(len(t), -1, dtype=np.int64)
        if m.PARENT_REF not in t.columns:
            out.flags.writeable = False
            return out
        incident = ctx.of_kind("incident").to_numpy(dtype=bool)
        linked = np.flatnonzero(ctx.filled(m.PARENT_REF).to_numpy(dtype=bool) & incident)
        if not len(linked):
            out.flags.writeable = False
            return out
        parent = ref_rows(ctx, m.PARENT_REF, linked, incident)
        out[linked] = np.where(parent == linked, -1, parent)
        for _ in range(PARENT_HOPS):  # a parent that is a child: its own parent
            up = out[linked]
            has = up >= 0
            higher = np.where(has, out[np.maximum(up, 0)], -1)
            if not (higher >= 0).any():
                break
            out[linked] = np.where(higher >= 0, higher, up)
        else:
            up = out[linked]
            loop = (up >= 0) & (out[np.maximum(up, 0)] >= 0)
            out[linked[loop]] = -1
        out[linked[out[linked] == linked]] = -1  # a loop back to itself
        out.flags.writeable = False
        return out
    result: np.ndarray = ctx.memo("parent_rows", make)
    return result


#: the tickets left out of done work, in their one precedence: a ticket of two kinds is
#: counted as the first one's (a machine's alert a clean-up closed is the machine's)
LEFT_OUT_KINDS = ("machine", "cleanup", "cancelled", "children")
#: each kind's note code in the rule files of the checks and analyses that say it
LEFT_OUT_CODES = {"machine": "machine_made", "cleanup": "mass_closed",
                  "cancelled": "cancelled", "children": "child_incidents"}


@dataclass(frozen=True)
class LeftOut:
    """The tickets of a done mask left out of every figure of done work
    (:func:`left_out_done`), each in one mask only, and the ``kept`` rest: ``machine``
    raised by a machine (:func:`machine_raised`), ``cleanup`` a clean-up script's
    closures (the backlog sign's mass closure), ``cancelled`` (:func:`cancelled_done`),
    ``children`` a major incident's child incidents (:func:`parent_rows`). A kind not
    asked for is all False. Masks are per ticket, indexed as :attr:`Context.tickets`."""

    machine: pd.Series
    cleanup: pd.Series
    cancelled: pd.Series
    children: pd.Series
    kept: pd.Series

    def counts(self) -> dict[str, int]:
        """Each kind's count and the kept tickets' (``kept``): what the notes say."""
        return {name: int(getattr(self, name).sum()) for name in (*LEFT_OUT_KINDS, "kept")}

    def parts(self, order: Sequence[str] = LEFT_OUT_KINDS) -> list[tuple[str, int]]:
        """The kinds with tickets, each with its count, in ``order`` (the kinds a note
        lists, each a clause: a kind with none is not said). Their sum is every ticket
        left out."""
        counts = {kind: int(getattr(self, kind).sum()) for kind in order}
        return [(kind, n) for kind, n in counts.items() if n]


def _left_out_codes(ctx: Context, kinds: tuple[str, ...]) -> np.ndarray:
    """Per ticket (read-only): 1 + the index in ``kinds`` of the first kind it is of, 0
    for none. Worked out once a run per ``kinds``."""
    def make() -> np.ndarray:
        from itsm_diag.signs.backlog import mass_closure  # the backlog sign's one set

        n = len(ctx.tickets)

        def raw(kind: str) -> np.ndarray:
            if kind == "machine":
                return machine_raised(ctx)
            if kind == "cleanup":
                found = mass_closure(ctx)
                return (np.zeros(n, dtype=bool) if found is None
                        else found.tickets.to_numpy(dtype=bool))
            if kind == "cancelled":
                return cancelled_done(ctx).to_numpy(dtype=bool)
            return parent_rows(ctx) >= 0

        codes = np.zeros(n, dtype=np.int8)
        for at, kind in reversed(list(enumerate(kinds, start=1))):  # the first one wins
            codes[raw(kind)] = at
        codes.flags.writeable = False
        return codes
    result: np.ndarray = ctx.memo(("left_out_codes", kinds), make)
    return result


def left_out_done(ctx: Context, done: pd.Series,
                  kinds: Sequence[str] = LEFT_OUT_KINDS) -> LeftOut:
    """The ``done`` tickets (a mask of tickets done in the window) no figure of done work
    weighs, split into disjoint masks in :data:`LEFT_OUT_KINDS`'s order (of those in
    ``kinds``), and the ``kept`` rest: the one split the KPI panel's time to resolve,
    first-assignment resolution and SLA adherence, the sla-by-priority check and the
    drivers leave out (the knowledge and reopen checks take some kinds only), so each
    note's "kept" is the count its figure is over. Which kind each ticket is of is worked
    out once a run; ``done`` only selects."""
    chosen = tuple(k for k in LEFT_OUT_KINDS if k in kinds)
    codes = _left_out_codes(ctx, chosen)
    index = ctx.tickets.index
    in_done = done.to_numpy(dtype=bool)
    masks = {kind: pd.Series(in_done & (codes == chosen.index(kind) + 1)
                             if kind in chosen else np.zeros(len(index), dtype=bool),
                             index=index)
             for kind in LEFT_OUT_KINDS}
    return LeftOut(**masks, kept=pd.Series(in_done & (codes == 0), index=index))


# ---- fast membership and text passes ----------------------------------------------------

def _arrow_text(values: pd.Series | pd.Index | Any, *, one: bool = False
                ) -> pa.Array | pa.ChunkedArray | None:
    """The values as Arrow strings (one contiguous array with ``one``, as a value set
    must be), or None when they are not Arrow-backed strings."""
    if not m.is_arrow_text(values):
        return None
    arr = pa.array(values.array if hasattr(values, "array") else values)
    return arr.combine_chunks() if one and isinstance(arr, pa.ChunkedArray) else arr


def isin_values(values: pd.Series, lookup: pd.Series | pd.Index | Any) -> pd.Series:
    """``values.isin(lookup)`` as a bool Series, computed by Arrow's hash lookup when both
    are Arrow strings (same semantics: a missing value matches a missing lookup value);
    any other input takes pandas' own ``isin``."""
    arr, value_set = _arrow_text(values), _arrow_text(lookup, one=True)
    if arr is None or value_set is None:
        return values.isin(lookup).fillna(False).astype(bool)
    if len(arr) == 0 or len(value_set) == 0:
        return pd.Series(False, index=values.index)
    hit = pc.is_in(arr, value_set=value_set.cast(arr.type))
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def lookup(values: pd.Series, table: pd.Series) -> pd.Series:
    """``values.map(table)`` for Arrow-string ``values`` and a ``table`` with unique
    Arrow-string index labels: the positions come from one Arrow hash lookup."""
    arr, labels = _arrow_text(values), _arrow_text(table.index, one=True)
    if arr is None or labels is None or not table.index.is_unique:
        return values.map(table)
    at = np.full(len(values), -1, dtype=np.intp)  # -1: not in the table (a missing value)
    if len(labels):  # an empty table (no events) finds nothing: no hash of every value
        pos = pc.index_in(arr, value_set=labels.cast(arr.type)).to_numpy(zero_copy_only=False)
        found = ~np.isnan(pos) if pos.dtype.kind == "f" else np.ones(len(pos), dtype=bool)
        at[found] = pos[found]
    return pd.Series(table.array.take(at, allow_fill=True), index=values.index)


def _witnesses(values: pd.Series, chosen: pd.Series) -> list[Any]:
    """Values of ``values`` that give ``chosen`` the whole column's traits pandas looks at
    to pick its regex engine (RE2 or Python's re): a newline, a non-ASCII character."""
    full, part = _arrow_text(values), _arrow_text(chosen)
    if full is None or part is None:
        return []
    extra: list[Any] = []
    for probe in (lambda a: pc.match_substring(a, "\n"),
                  lambda a: pc.invert(pc.string_is_ascii(a))):
        if pc.any(probe(full), min_count=0).as_py() and not pc.any(probe(part),
                                                                    min_count=0).as_py():
            extra.append(full.filter(pc.fill_null(probe(full), False))[0].as_py())
    return extra


def contains_values(part: pd.Series, seen: pd.Series, pattern: str, case: bool
                    ) -> np.ndarray:
    """Per value of ``part``: ``str.contains(pattern)``, run with the regex engine pandas
    would pick for ``seen`` (the column the call stands for; ``part`` is drawn from it):
    a value of ``seen`` with the trait ``part`` lacks is matched along, then dropped."""
    extra = _witnesses(seen, part)
    if extra:
        part = pd.concat([part, pd.Series(extra, dtype=part.dtype)], ignore_index=True)
    hit = part.str.contains(pattern, case=case, regex=True, na=False).to_numpy(
        dtype=bool, na_value=False)
    return hit[:len(hit) - len(extra)]


def contains_where(values: pd.Series, rows: pd.Series, pattern: str, *,
                   case: bool = True) -> pd.Series:
    """``values.str.contains(pattern, case=case, regex=True, na=False)`` where ``rows``
    holds, False elsewhere: the same per-row result, computed once per distinct value of
    the chosen rows only.

    pandas runs a pattern with RE2 or with Python's ``re`` depending on the pattern and on
    whether the column holds a newline or non-ASCII text; a row of the whole column that
    has the trait the chosen rows lack is matched along (and dropped), so the engine, and
    hence every result, is the one the whole-column call would give. For a ticket column
    :func:`contains_in` does the same from the Context's factorization of it.
    """
    keep = rows.to_numpy(dtype=bool) if isinstance(rows, pd.Series) else np.asarray(rows,
                                                                                    dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    if keep.any():
        codes, distinct = factorize_na(values[keep])
        out[keep] = contains_values(distinct, values, pattern, case)[codes]
    return pd.Series(out, index=values.index)


def contains_in(ctx: Context, column: str, rows: np.ndarray, pattern: str, *,
                case: bool = True, scope: np.ndarray | None = None) -> np.ndarray:
    """:func:`contains_where` on ticket ``column`` from the Context's factorization of it
    (:meth:`Context.distinct`): per ticket, True where ``rows`` holds and the value
    matches. ``scope`` (default every ticket) is the column the call stands for: its
    rows decide pandas' regex engine as the whole column would (the window's tickets,
    for a sign that reads only those). No ticket's text is copied: the pattern runs on
    the distinct values of ``rows``, the traits are read on those of ``scope``."""
    codes, distinct = ctx.distinct(column)
    rows = np.asarray(rows, dtype=bool)
    out = np.zeros(len(codes), dtype=bool)
    if not rows.any():
        return out
    # the codes some row holds, in order (a count, not a sort)
    used = distinct_codes(codes[rows])[0]
    seen = distinct_codes(codes if scope is None else codes[np.asarray(scope, dtype=bool)])[0]
    by_code = np.zeros(len(distinct), dtype=bool)
    by_code[used] = contains_values(distinct.take(used).reset_index(drop=True),
                              distinct.take(seen), pattern, case)
    out[rows] = by_code[codes[rows]]
    return out


def per_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn(values)`` for a value-by-value ``fn``, computed on the distinct values only."""
    codes, distinct = factorize_na(values)
    return spread(fn(distinct), codes, values.index)


# ---- vague summaries: one test for the vague-tickets check and the recurrence key -------

# punctuation that separates words; listed explicitly (not \W) so that accented letters
# survive whichever regex engine (RE2 for Arrow strings, re otherwise) runs it
_WORD_PUNCT = r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~“”«»…–—]+"


def plain_words(values: pd.Series) -> pd.Series:
    """Lower-case words separated by single spaces; curly apostrophes made straight."""
    text = values.astype(m.STRING_DTYPE).str.lower().str.replace("’", "'", regex=False)
    text = text.str.replace(_WORD_PUNCT, " ", regex=True)
    return text.str.replace(SPACE_RUNS, " ", regex=True).str.strip()


#: combining accents, dropped after a canonical decomposition (see :func:`unaccented`)
_COMBINING = "[\u0300-\u036f]"


def unaccented(words: pd.Series) -> pd.Series:
    """``words`` with their accents dropped where Unicode decomposes them ("problème" reads
    "probleme", "não" "nao", "störung" "storung"); letters that do not decompose (ß, ø,
    ł) stay. A canonical decomposition (NFD), so no word is split or joined: the word
    count of :func:`fewer_words` is the same before and after."""
    text = words.astype(m.STRING_DTYPE).str.normalize("NFD")
    return text.str.replace(_COMBINING, "", regex=True)


def fewer_words(words: pd.Series, limit: int) -> pd.Series:
    """Mask: the text (words separated by single spaces, see :func:`plain_words`) holds
    fewer than ``limit`` words (an empty text none); missing is False. Spaces are counted
    by Arrow's literal substring count (pandas' ``str.count`` is a regex, 10x slower)."""
    if m.is_arrow_text(words):
        spaces = pc.count_substring(words.array.__arrow_array__(), " ").to_numpy(
            zero_copy_only=False)
        n_words = pd.Series(spaces, index=words.index, dtype="float64") + 1
    else:
        n_words = words.str.count(" ").astype("float64") + 1
    n_words = n_words.where(words.ne("").fillna(True).to_numpy(dtype=bool), 0)
    return (n_words < limit).fillna(False).astype(bool)


def words_pattern(phrases: Iterable[str]) -> str | None:
    """Regex matching any phrase as whole words in space-separated text (None when empty)."""
    alts = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not alts:
        return None
    return r"(?:^| )(?:" + "|".join(re.escape(p) for p in alts) + r")(?: |$)"


def vague_summaries(ctx: Context, max_words: int) -> pd.Series:
    """Per ticket: its summary is vague, as the vague-tickets check calls a summary vague
    (one definition for the check and for the recurrence sign's summary key, which leaves
    such a summary out): filled, fewer than ``max_words`` words (the check's param) and
    holding one of the ``vague_summaries`` phrases of the defaults as whole words,
    punctuation and accents ignored ("probleme" is "problème": :func:`unaccented`, on
    the phrases and the summaries alike). Computed once per distinct summary
    (``Context.per_value``), shared by every caller with the same phrases and
    ``max_words``; read, never modify."""
    listed = pd.Series(list(ctx.defaults.get("vague_summaries") or []), dtype="object")
    pattern = words_pattern(set(unaccented(plain_words(listed)).dropna()))

    def is_vague(summary: pd.Series) -> pd.Series:
        words = plain_words(summary)
        short = fewer_words(words, max_words)
        if not pattern:
            return pd.Series(False, index=summary.index)
        # the phrase match only where it can matter: a long summary is never vague
        # (a regex over 660 MB of long summaries cost 30 s)
        matches = pd.Series(False, index=summary.index)
        if short.any():
            matches[short] = unaccented(words[short]).str.contains(
                pattern, regex=True).fillna(False).astype(bool)
        return filled(summary) & short & matches

    return ctx.per_value(m.SUMMARY, ("vague.summary", pattern, max_words), is_vague)


def wordless_summaries(ctx: Context, max_words: int) -> pd.Series:
    """Per ticket: its summary is vague (:func:`vague_summaries`) and holds nothing but
    the vague phrases and the defaults' ``vague_filler_words`` ("urgent", "help!", "it
    issue", "please help asap"): no word says what it is about. "wifi not working" is
    vague to the check, which asks for more words, but names what recurs: the
    recurrence key keeps it. Read only on the distinct summaries that are vague (a few
    hundred among a million tickets' tens of thousands), once per Context; read, never
    modify."""
    vague = vague_summaries(ctx, max_words)
    listed = pd.Series(list(ctx.defaults.get("vague_summaries") or []), dtype="object")
    filler = pd.Series(list(ctx.defaults.get("vague_filler_words") or []), dtype="object")
    pattern = words_pattern(set(unaccented(plain_words(pd.concat([listed, filler])))
                                .dropna()))

    def make() -> pd.Series:
        codes, values = ctx.distinct(m.SUMMARY)
        on = vague.to_numpy(dtype=bool)
        made = np.zeros(len(values) + 1, dtype=bool)  # and a last, False slot for -1
        if pattern is not None and on.any():
            which = np.flatnonzero(np.bincount(codes[on], minlength=len(values)))
            words = unaccented(plain_words(values.iloc[which].reset_index(drop=True)))
            # each pass takes every other of two adjacent phrases (a match keeps the
            # space before the next one): as many passes as a vague summary has words
            for _ in range(max(max_words, 1)):
                words = words.str.replace(pattern, " ", regex=True)
            made[which] = words.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        return pd.Series(made[codes], index=ctx.tickets.index)

    result: pd.Series = ctx.memo(("wordless.summary", pattern, max_words), make)
    return result


def wordless_left_out(ctx: Context, params: Mapping[str, Any]) -> np.ndarray:
    """Per ticket: a summary that says nothing (:func:`wordless_summaries`, the
    vague-tickets check's max_words) which a rule's ``vague_summaries`` param leaves out
    of what it groups (the recurrence key, the text clusters); all False when the param
    is false or the run has no such check's params."""
    max_words = vague_max_words(ctx)
    if not params.get("vague_summaries", True) or max_words is None:
        return np.zeros(len(ctx.tickets), dtype=bool)
    return wordless_summaries(ctx, max_words).to_numpy(dtype=bool)


def vague_max_words(ctx: Context) -> int | None:
    """The vague-tickets check's ``max_words`` param (:func:`vague_summaries`), None when
    the run has no such check's params (a Context built without them)."""
    params = ctx.checks.get("vague-tickets")
    if not params or "max_words" not in params:
        return None
    return int(params["max_words"])


# ---- a value scheme replaced inside the window ------------------------------------------

#: a scheme that turns over inside the window (a category scheme, the assignment groups
#: of a reorganisation): the values whose last ticket falls before a moment D carry at
#: least this share of the tickets before D, and the values whose first falls on or after
#: D at least this share of those from D on. Half: most of each side's tickets changed
#: names, which is a new scheme, not a value added or retired (a few renamed values split
#: a few clusters, as any reclassification does)
SCHEME_MIN_SHARE = 0.5
#: a value counts towards a side only with this many tickets: a name used once or twice
#: (a typo, a free-text subcategory) ends and begins anywhere, a scheme's names carry the
#: work
SCHEME_MIN_VALUE = 5
#: each side of D holds at least this many tickets (the recurrence sign's own default
#: min_incidents): a side of a handful is no scheme
SCHEME_MIN_SIDE = 30
#: the ended and the begun values share at least this many values of what they hold (the
#: CI, service or summary cluster of a category; the categories of a group): the work the
#: change would split, as many as the fewest uncovered clusters the recurrence sign
#: triggers on
SCHEME_MIN_SHARED = 3
#: a value has ended at D when at most this share of its tickets fall on or after D, and
#: begun at D when at most this share fall before it: a scheme replaced leaves stragglers
#: (an agent picking an old value, a template, a reclassification), and read by its last
#: (or first) ticket alone one straggler a value hid the change (2% of the incidents
#: after it given an old value read 120 clusters for 60). A value used on both sides
#: (more than this share on each) runs on through D
SCHEME_STRAY_SHARE = 0.05


@dataclass(frozen=True)
class SchemeChange:
    """A scheme of values replaced inside the window (:func:`scheme_change`)."""

    #: the value codes that end before the change and those that begin at it
    ended: np.ndarray
    begun: np.ndarray
    #: per value code, the value it is read as across the change: a begun value the ended
    #: value that shares the most of what they hold with it, any other value itself
    read_as: np.ndarray
    #: per row, the code of what it holds (``other_of``'s)
    other: np.ndarray
    #: the last ended row's and the first begun row's time (int64 UTC microseconds)
    last_us: int
    first_us: int
    share_before: float
    share_after: float
    #: the values of what they hold that the ended and the begun share
    shared: int
    #: the begun values read as an ended one, and the ended values they are read as
    mapped: int
    onto: int

    def params(self, tz: str) -> dict[str, Any]:
        """The figures a note words: the values that end and begin, the days in ``tz``,
        the shares, what they share and how they map."""
        def day(us: int) -> str:
            return pd.Timestamp(us, unit="us", tz="UTC").tz_convert(tz).date().isoformat()

        return {"ended": len(self.ended), "begun": len(self.begun),
                "last_day": day(self.last_us), "first_day": day(self.first_us),
                "share_before": self.share_before, "share_after": self.share_after,
                "shared": self.shared, "mapped": self.mapped, "onto": self.onto}


def scheme_change(value: np.ndarray, t: np.ndarray, other_of: Callable[[], np.ndarray]
                  ) -> SchemeChange | None:
    """A scheme of values turning over among some rows (tickets), each with the code of
    its ``value`` (0..k-1) at the time ``t`` (int64 UTC microseconds): a set of values
    that end before a moment D and another that begin on or after it, each carrying
    :data:`SCHEME_MIN_SHARE` of the rows on its side, sharing :data:`SCHEME_MIN_SHARED` or
    more of what the rows hold (``other_of()``: per row, a code, asked only once a moment
    qualifies: the CI or summary cluster of a category, the category of a group). None
    when no D qualifies. Found, each begun value is read as the ended value that shares
    the most of it (per held value, the fewer of its rows under either), ties to the
    first: a one-to-one rename keeps every CI's (category's) work under one name, a split
    or merge reads it as the old value it came from. Ended and begun are read by share,
    not by the extreme row: a value has ended at D when at most
    :data:`SCHEME_STRAY_SHARE` of its rows fall on or after D, begun when at most that
    share fall before D, so a few stragglers under the old names do not hide the change.
    The recurrence sign reads a category scheme replaced with it, the drivers a
    reorganisation's renamed groups.

    Per value: its rows (bincount over integer codes), and its start and stop, the times
    with that share of its rows before and after them (one sort of the rows by value and
    time, read at each value's quantile index); the candidate moments are the values'
    starts, and the shares' numerators are sums over the values sorted by start and by
    stop. Only a moment whose ended and begun values hold half the rows between them (as
    a turnover must) is counted exactly."""
    n = len(value)
    if n < 2 * SCHEME_MIN_SIDE:
        return None
    k = int(value.max(initial=-1)) + 1
    cnt = np.bincount(value, minlength=k)
    used = np.flatnonzero(cnt >= SCHEME_MIN_VALUE)
    if len(used) < 2:
        return None
    # the times sorted within each value: one sort of value and time packed in an int64
    # (a lexsort when they do not fit)
    t0 = int(t.min())
    span_bits = max(int(t.max()) - t0, 1).bit_length()
    packed = span_bits + max(k - 1, 1).bit_length() <= 62
    in_order = (np.sort((value << span_bits) | (t - t0)) if packed
                else t[np.lexsort((t, value))])
    # per value: stragglers allowed on either side, its start (the time that many of its
    # rows precede) and its stop (that many follow); with none allowed, its first and last
    stray = (SCHEME_STRAY_SHARE * cnt[used]).astype(np.int64)  # floor: at most the share
    base = np.concatenate(([0], np.cumsum(cnt)[:-1]))[used]
    ends = np.stack((in_order[base + stray], in_order[base + cnt[used] - 1 - stray]))
    if packed:
        ends = (ends & ((1 << span_bits) - 1)) + t0
    first = np.full(k, np.iinfo(np.int64).max)
    last = np.full(k, np.iinfo(np.int64).min)
    first[used], last[used] = ends[0], ends[1]
    # the candidates: each used value's start; ended(D) = stop < D, begun(D) = start >= D
    # (the sums count a value's stragglers too: up to that share more, bounds only)
    cand = np.unique(first[used])
    by_last = used[np.argsort(last[used], kind="stable")]
    by_first = used[np.argsort(first[used], kind="stable")]
    ended_n = np.concatenate(([0], np.cumsum(cnt[by_last])))[
        np.searchsorted(last[by_last], cand, side="left")]
    begun_cum = np.concatenate(([0], np.cumsum(cnt[by_first])))
    begun_n = begun_cum[-1] - begun_cum[np.searchsorted(first[by_first], cand, side="left")]
    # ended/before >= s and begun/after >= s, each side at least SCHEME_MIN_SIDE, need
    # ended + begun >= s * n and each of them >= s * SCHEME_MIN_SIDE: values that run on
    # through the window stop here, before any sort of the rows
    least = SCHEME_MIN_SHARE * SCHEME_MIN_SIDE
    maybe = np.flatnonzero((ended_n + begun_n >= SCHEME_MIN_SHARE * n)
                           & (ended_n >= least) & (begun_n >= least))
    if not len(maybe):
        return None
    t_sorted = np.sort(t)
    before = np.searchsorted(t_sorted, cand[maybe], side="left")
    after = n - before
    with np.errstate(divide="ignore", invalid="ignore"):
        share_before = np.where(before > 0, ended_n[maybe] / np.maximum(before, 1), 0.0)
        share_after = np.where(after > 0, begun_n[maybe] / np.maximum(after, 1), 0.0)
    ok = ((before >= SCHEME_MIN_SIDE) & (after >= SCHEME_MIN_SIDE)
          & (share_before >= SCHEME_MIN_SHARE) & (share_after >= SCHEME_MIN_SHARE))
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmax(np.minimum(share_before, share_after)[ok])])
    d = int(cand[maybe[best]])
    ended = used[last[used] < d]
    begun = used[first[used] >= d]
    in_ended = np.isin(value, ended)
    in_begun = np.isin(value, begun)
    # any D after the ended values' stops and up to the begun values' starts makes these
    # sets: D is the one that leaves the fewest of their rows on the wrong side (the first
    # row under a new name when there are no stragglers; a value's start alone falls
    # inside its first few rows)
    lo, hi = int(last[ended].max()), int(first[begun].min())
    near = np.flatnonzero((in_ended | in_begun) & (t > lo) & (t <= hi))
    if len(near):
        order = near[np.argsort(t[near], kind="stable")]
        was_begun = np.concatenate(([0], np.cumsum(in_begun[order])))
        was_ended = np.concatenate(([0], np.cumsum(in_ended[order])))
        wrong = was_begun + (was_ended[-1] - was_ended)  # D at each one's time, or past all
        at = int(np.argmin(wrong[:-1]))  # D past them all: at most hi, one of them
        d = int(t[order[at]])
    early = t < d
    n_before = int(np.searchsorted(t_sorted, d, side="left"))
    n_after = n - n_before
    if n_before < SCHEME_MIN_SIDE or n_after < SCHEME_MIN_SIDE:
        return None
    # the shares at D exactly: the ended values' rows before D, the begun ones' from D on
    # (the sums above counted their stragglers too)
    share_b = int(np.count_nonzero(in_ended & early)) / n_before
    share_a = int(np.count_nonzero(in_begun & ~early)) / n_after
    if share_b < SCHEME_MIN_SHARE or share_a < SCHEME_MIN_SHARE:
        return None
    mine = other_of()
    shared = np.intersect1d(mine[in_ended], mine[in_begun])
    if len(shared) < SCHEME_MIN_SHARED:
        return None
    olds = pd.DataFrame({"o": mine[in_ended], "a": value[in_ended]}).value_counts()
    news = pd.DataFrame({"o": mine[in_begun], "b": value[in_begun]}).value_counts()
    pairs = olds.rename("na").reset_index().merge(news.rename("nb").reset_index(), on="o")
    pairs["n"] = np.minimum(pairs["na"], pairs["nb"])
    votes = pairs.groupby(["b", "a"], sort=False)["n"].sum().reset_index()
    best_a = votes.sort_values(["b", "n", "a"], ascending=[True, False, True]
                               ).drop_duplicates("b")  # one row a value, a few
    read_as = np.arange(k, dtype=np.int64)
    read_as[best_a["b"].to_numpy(dtype=np.int64)] = best_a["a"].to_numpy(dtype=np.int64)
    return SchemeChange(ended=ended, begun=begun, read_as=read_as, other=mine,
                        last_us=int(t[in_ended & early].max()),
                        first_us=int(t[in_begun & ~early].min()),
                        share_before=share_b, share_after=share_a, shared=len(shared),
                        mapped=len(best_a), onto=int(best_a["a"].nunique()))


@dataclass(frozen=True)
class KindEffort:
    """One ticket kind's handle time, as every handle-time cost prices it
    (:func:`kind_effort`)."""

    #: the minutes a ticket of the kind is priced at
    minutes: float
    #: the kind's ``handle_minutes`` in force
    default: float
    #: the window's done tickets of the kind, and those of them that log time (above 0)
    done: int
    logged: int
    #: their median logged minutes (``None`` when none logs time)
    median: float | None
    #: ``minutes`` is ``median``: logged time covers enough of the done tickets
    #: (``logged_time_share`` of them, and at least ``logged_time_min_tickets``)
    from_log: bool

    #: the coverage it needed (``logged_time_share``, ``logged_time_min_tickets``)
    share: float = 0.5
    least: int = 10

    def words(self, kind: str, wording: Mapping[str, str]) -> str:
        """Where the minutes come from, worded by ``effort_logged`` or ``effort_default``
        ("incident: median logged 60 min (435 of 438 done log time)")."""
        return fmt(wording.get("effort_logged" if self.from_log else "effort_default", ""), {
            "kind": kind, "minutes": self.minutes, "logged": self.logged, "done": self.done,
            "share": self.share, "least": self.least})


def kind_effort(ctx: Context) -> dict[str, KindEffort]:
    """Per ticket kind of ``handle_minutes``: its median logged time (the export's time
    worked, ``time_spent_hours``) over the window's done tickets of the kind when at
    least ``logged_time_share`` of them (and ``logged_time_min_tickets``) log time above
    zero, else its ``handle_minutes``. One answer per Context: every handle-time cost
    (automation, recurring, duplicates, change-caused) prices a ticket the same."""
    d = ctx.defaults

    def make() -> dict[str, KindEffort]:
        table = {str(k): float(v) for k, v in (d.get("handle_minutes") or {}).items()}
        share = float(d.get("logged_time_share", 0.5))
        least = int(d.get("logged_time_min_tickets", 10))
        t = ctx.tickets
        # a cancelled ticket logs no work (a duplicate closed in minutes): counted, it would
        # make logging look rarer than it is and push a kind back to the default
        rows = np.flatnonzero((ctx.done_in_window() & ~cancelled_done(ctx)).to_numpy(
            dtype=bool))
        kinds = t[m.KIND].iloc[rows].astype("object").to_numpy()
        if m.TIME_SPENT_HOURS in t.columns:
            spent = t[m.TIME_SPENT_HOURS].iloc[rows].to_numpy(dtype="float64",
                                                               na_value=np.nan)
        else:
            spent = np.full(len(rows), np.nan)
        minutes = np.where(spent > 0, spent * 60.0, np.nan)
        g = pd.DataFrame({"kind": kinds, "minutes": minutes}, copy=False).groupby(
            "kind", dropna=True)["minutes"].agg(["size", "count", "median"])
        out: dict[str, KindEffort] = {}
        for kind, default in table.items():  # a handful of kinds
            done, logged, median = (int(g.at[kind, "size"]), int(g.at[kind, "count"]),
                                    g.at[kind, "median"]) if kind in g.index else (0, 0, np.nan)
            median = None if pd.isna(median) else float(median)
            use = median is not None and logged >= least and logged >= share * done
            out[kind] = KindEffort(minutes=median if use and median is not None else default,
                                   default=default, done=done, logged=logged, median=median,
                                   from_log=use, share=share, least=least)
        return out

    found: dict[str, KindEffort] = ctx.memo(
        ("kind_effort", ctx.window.start, ctx.window.end), make)
    return found


def effort_minutes(ctx: Context, mask: pd.Series | np.ndarray) -> pd.Series:
    """The handle minutes (:func:`kind_effort`) of each ticket under ``mask`` by its
    kind (a kind with none, the ``other`` kind's; else 0), indexed as the tickets."""
    table = {k: e.minutes for k, e in kind_effort(ctx).items()}
    sel = np.asarray(mask, dtype=bool)
    kinds = ctx.tickets[m.KIND].iloc[np.flatnonzero(sel)].astype("object")
    return kinds.map(table).astype("float64").fillna(table.get("other", 0.0))


def effort_words(ctx: Context, kinds: Iterable[Any]) -> str:
    """Where the handle minutes of ``kinds`` come from (:meth:`KindEffort.words`), each
    kind once, in ``handle_minutes`` order, joined by "; "."""
    wording = ctx.defaults.get("wording") or {}
    wanted = {str(k) for k in kinds}
    return "; ".join(e.words(k, wording) for k, e in kind_effort(ctx).items()
                     if k in wanted)


def kind_minutes(ctx: Context, kind: str) -> float:
    """The handle minutes (:func:`kind_effort`) of one ticket ``kind`` (0 when
    ``handle_minutes`` has no such kind)."""
    found = kind_effort(ctx).get(kind)
    return 0.0 if found is None else found.minutes
