"""S6 ``onboarding``: do new starters still wait for access on day two?

Onboarding requests are request-like tickets opened in the window that name a new
starter: their request item, subcategory, category, summary or labels contain an
onboarding word (several languages, tunable; in labels ``_`` and ``-`` count as spaces,
so the Zendesk tag ``new_hire`` matches "new hire"). The fields are read most specific
first, and the first that decides, decides:

- a value whose onboarding word stands in a ``not_person_words`` phrase (application,
  vendor, SSO or device onboarding) is cut of that phrase first; with no onboarding word
  left, it names something other than a person;
- a value holding a ``leaver_words`` word (leaver, mover, offboarding, termination) and
  no onboarding word names another person's request: not a new starter;
- a value holding both (a "Joiners, Movers and Leavers" category, shared by the three)
  does not decide: the next, less specific field does;
- a value holding an onboarding word and neither names a new starter.

So a leaver's request filed under a JML category is no new starter, and neither is an
"Application onboarding to SSO" item. The values that decided, counted as new starters
or left out, are listed with their request counts (``scope`` table; a summary is free
text, so its row is the word found in it, not the text). Request-like: service requests
(Zendesk questions are imported as requests), and tasks: Zendesk teams often type
onboarding tickets as tasks. Tasks count only when the export holds no onboarding
request: in ServiceNow and Jira a request's catalogue or sub-tasks are the steps of
fulfilling it, and counting them would count one new starter several times (the tasks
left out are reported). A request is **late**:

- with a start date: when it was not done by ``start_hour`` on the start day, in the run's
  time zone (``--tz``; an open
  request whose deadline has passed is late; one whose deadline is still ahead is pending);
- without one: when it took more than ``max_business_days`` business days from opening to
  done (weekends and ``ctx.calendar`` holidays excluded), both days in ``--tz`` (opened
  Tuesday 08:30 in Tokyo is a Tuesday, not UTC's Monday); an open request already older
  than that is late, a younger one pending.

Each request is read as it stood at the window end: one done or cancelled after it was
open then (pending, or late once its deadline had passed), so a report as of a month's
end gives the same figures from an export pulled that day and from one pulled weeks later.

Pending and cancelled requests are left out of the late share, and reported. Fewer
than ``min_requests`` decided requests make the sign unknown.

A lead time far over the limit cannot tell a slow request from one raised well ahead of
the start (a manager asked to order three weeks before the first day, and the request
done before it): when the requests judged by lead time are late and their median lead
time is at least ``raised_ahead_days`` business days, their lateness is unproven. The
verdict must then hold with them all on time (``presence_unproven`` with
``worst_case``), or it is unknown, and they are not priced: neither the expedite hours
nor the new starters' lost hours count them (the latter is unknown when no request has
a start date).

A request done by its status but without a resolved or closed time (a Jira workflow whose
done transition sets no resolution) is decided, but whether it was late is unknown. It is
never dropped one-sidedly (the open late requests would then make the whole share):
when fewer than ``min_done_time_share`` of the decided requests carry what decides them
(a done time, or an open one past its deadline), the sign is unknown and says so in
numbers; otherwise the late share is that of the others, and the verdict must hold across
the range the unknown ones span (all on time to all late: ``presence_unproven`` with
``worst_case``, ``absence_unproven`` with ``clear_case``), or it is unknown.

The cost is agent time spent expediting late requests; the new starters' own lost hours
are a metric, not a cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    per_month,
    ratio,
)
from itsm_diag.signs.common import (
    NEVER,
    WORD_CHARS,
    contains_values,
    distinct_codes,
    fold_codes,
    phrase_pattern,
    too_few,
)
from itsm_diag.text import SPACE, named_counts, quote

#: where onboarding words are looked for, most specific first (a catalogue item says what
#: was asked for, a category groups items, a summary or a tag is free text); the first
#: field that decides, decides (request type usually lands in subcategory)
FIELDS = (m.REQUEST_ITEM, m.SUBCATEGORY, m.CATEGORY, m.SUMMARY, m.LABELS)
#: request-like kinds, in order of preference (tasks stand in when no request matches)
KINDS = ("request", "task")
#: free-text fields: their evidence row is the word found, never the ticket's own text
FREE_TEXT = frozenset({m.SUMMARY})
#: what one field's value says (a class per distinct value)
NO_WORD, STARTER, NOT_STARTER, SHARED = 0, 1, 2, 3
#: rows of the ``scope`` table (most requests first; the count of all is stated)
SCOPE_ROWS = 15
#: what separates the words of a column's name (``u_employee_start``, ``hire-date``)
_COLUMN_SEPARATORS = re.compile(r"[_.\-]+")
#: values a note names (the table holds more)
NAMED = 3
#: a word or phrase found in a value, trimmed of the boundary characters the pattern holds
_EDGES = f"^[^{WORD_CHARS}]+|[^{WORD_CHARS}]+$"


@dataclass(frozen=True)
class _Patterns:
    words: str      # an onboarding word
    cut: str        # a phrase in which an onboarding word names no person
    leaver: str     # a leaver, mover or offboarding word
    other: str      # a word of an item that is no request to set a starter up (a survey)


#: a whole word's edges (as :func:`~itsm_diag.signs.common.phrase_pattern` checks them)
_BEFORE = f"(?:^|[^{WORD_CHARS}])"
_AFTER = f"(?:[^{WORD_CHARS}]|$)"
#: what may stand between a party and its onboarding word ("Vendor/Supplier – onboarding",
#: "Supplier: onboarding"): a few characters that are no letter or digit
_GAP = f"[^{WORD_CHARS}]{{1,6}}"
#: words that may stand before the party in "Onboarding of a new supplier"
_FILL = f"(?:(?:a|an|the|new|our|external){_GAP})*"


def _bodies(words: Sequence[str]) -> str:
    """The phrases of ``words`` as one alternation without word boundaries (a trailing
    ``*`` runs to the end of the word), for a pattern that puts them beside each other;
    empty when none."""
    bodies = []
    for phrase in sorted({" ".join(str(w).lower().split()) for w in words}, key=len,
                         reverse=True):
        prefix = phrase.endswith("*")
        phrase = phrase.rstrip("*").rstrip()
        if phrase:
            body = f"{SPACE}+".join(re.escape(part) for part in phrase.split(" "))
            bodies.append(body + (f"[{WORD_CHARS}]*" if prefix else ""))
    return "|".join(bodies)


def _beside(params: ParamMap) -> list[str]:
    """Patterns of an onboarding verb beside what is onboarded when no person is: a party
    before it, whatever the punctuation between ("Supplier – onboarding", "Vendor/Supplier
    onboarding"), or a party or a thing after it and "of" ("Onboarding of a new
    supplier", "Onboarding of an application"). A thing before it needs no pattern of its
    own: the ``not_person_words`` list holds those phrases."""
    verbs = _bodies([str(x) for x in params.get("onboard_words", []) if str(x).strip()])
    parties = _bodies([str(x) for x in params.get("not_person_parties", [])
                       if str(x).strip()])
    things = _bodies([str(x) for x in params.get("not_person_things", []) if str(x).strip()])
    if not verbs:
        return []
    out = []
    if parties:
        out.append(f"{_BEFORE}(?:{parties}){_GAP}(?:{verbs})")
    after = "|".join(b for b in (parties, things) if b)
    if after:
        out.append(f"{_BEFORE}(?:{verbs}){_GAP}of{_GAP}{_FILL}(?:{after}){_AFTER}")
    return out


def _cut_pattern(params: ParamMap) -> str:
    """One pattern of every phrase in which an onboarding word names no person."""
    literal = phrase_pattern([str(x) for x in params.get("not_person_words", [])
                              if str(x).strip()])
    parts = [p for p in [literal, *_beside(params)] if p != NEVER]
    return "(?:" + "|".join(parts) + ")" if parts else NEVER


@dataclass(frozen=True)
class _Field:
    """One field's classes: per ticket, the code of its value (``ctx.distinct``), and per
    code the class of the value and whether it holds an onboarding word at all."""

    name: str
    codes: np.ndarray
    distinct: pd.Series
    cls: np.ndarray       # int8 per code
    raw: np.ndarray       # bool per code: an onboarding word, before any cut


@dataclass(frozen=True)
class _Scope:
    """Which of the chosen rows name a new starter, and which field decided."""

    counted: np.ndarray   # bool per ticket
    left_out: np.ndarray  # bool per ticket: an onboarding word somewhere, not counted
    starter_at: np.ndarray  # int8 per ticket: the field that named a new starter, or -1
    other_at: np.ndarray    # int8 per ticket: the field that said otherwise, or -1


def _prepared(column: str, values: pd.Series) -> pd.Series:
    # a tag cannot hold a space: new_hire, new-starter
    return values.str.replace(r"[_\-]+", " ", regex=True) if column == m.LABELS else values


def _cut(values: pd.Series, pats: _Patterns) -> pd.Series:
    """``values`` with the application/vendor phrases cut out (twice: of two adjacent
    phrases, a match takes the boundary between them)."""
    for _ in range(2):
        values = values.str.replace(pats.cut, " ", case=False, regex=True)
    return values


def _field(ctx: Context, column: str, rows: np.ndarray, pats: _Patterns) -> _Field:
    """The classes of ``column``'s distinct values held by ``rows`` (a text pass over the
    distinct values, never over each ticket)."""
    codes, distinct = ctx.distinct(column)
    cls = np.zeros(len(distinct), dtype=np.int8)
    raw = np.zeros(len(distinct), dtype=bool)
    used = distinct_codes(codes[rows])[0] if rows.any() else np.zeros(0, dtype=np.int64)
    if len(used):
        seen = _prepared(column, distinct)
        values = seen.take(used).reset_index(drop=True)
        has = contains_values(values, seen, pats.words, False)
        qualified = contains_values(values, seen, pats.cut, False)  # NEVER: none
        leaver = contains_values(values, seen, pats.leaver, False)
        # about new starters (a survey, a report) or another person (an existing employee)
        other = contains_values(values, seen, pats.other, False)
        # an onboarding word left once the application/vendor phrases are cut out
        starter = has.copy()
        if qualified.any():
            starter[qualified] = contains_values(
                _cut(values[qualified], pats).reset_index(drop=True), seen, pats.words,
                False)
        out = np.where(other, NOT_STARTER,
                       np.where(starter & ~leaver, STARTER,
                                np.where(starter, SHARED,
                                         np.where(leaver | qualified, NOT_STARTER, NO_WORD))))
        cls[used] = out
        raw[used] = has
    return _Field(name=column, codes=codes, distinct=distinct, cls=cls, raw=raw)


def _scope(fields: list[_Field], rows: np.ndarray) -> _Scope:
    """Walk the fields most specific first: the first that names a new starter, or says
    the request is something else, decides; a shared value (a JML category) does not."""
    n = len(rows)
    undecided = rows.copy()
    starter_at = np.full(n, -1, dtype=np.int8)
    not_at = np.full(n, -1, dtype=np.int8)
    shared_at = np.full(n, -1, dtype=np.int8)
    raw_any = np.zeros(n, dtype=bool)
    for i, f in enumerate(fields):
        cls = f.cls[f.codes]
        raw_any |= f.raw[f.codes]
        yes = undecided & (cls == STARTER)
        no = undecided & (cls == NOT_STARTER)
        starter_at[yes] = i
        not_at[no] = i
        shared_at[undecided & (cls == SHARED) & (shared_at < 0)] = i
        undecided &= ~(yes | no)
    counted = starter_at >= 0
    left_out = rows & raw_any & ~counted
    other_at = np.where(not_at >= 0, not_at, shared_at).astype(np.int8)
    return _Scope(counted=counted, left_out=left_out, starter_at=starter_at,
                  other_at=np.where(left_out, other_at, -1).astype(np.int8))


def _found(values: pd.Series, pattern: str) -> pd.Series:
    """The first match of ``pattern`` in each value, lower case, edges trimmed; a match
    of a ``*`` phrase runs to the end of its word ("vendor onboarding", not "...onboard")."""
    got = values.str.extract(f"({pattern})([{WORD_CHARS}]*)", flags=re.IGNORECASE)
    head, tail = got[0], got[1].fillna("")
    # the rest of the word only where the match ended inside one (a "*" phrase), not
    # after the boundary character a whole-word match takes (the next word)
    inside = head.str.contains(f"[{WORD_CHARS}]$", regex=True, na=False)
    return head.where(~inside, head + tail).str.replace(_EDGES, "", regex=True).str.lower()


def _scope_rows(fields: list[_Field], sc: _Scope, counted: np.ndarray, pats: _Patterns
                ) -> pd.DataFrame:
    """The values that decided, with their request counts: per field, the values that
    named a new starter (``counted``) and those that held an onboarding word but were
    left out (a leaver's item, an application's onboarding, a shared JML category).
    A free-text field's row is the word found, not the text."""
    parts: list[pd.DataFrame] = []
    for decision, at, mask in (("new_starter", sc.starter_at, counted),
                               ("left_out", sc.other_at, sc.left_out)):
        for i, f in enumerate(fields):
            chosen = mask & (at == i)
            if not chosen.any():
                continue
            found, counts = distinct_codes(f.codes[chosen])
            values = f.distinct.take(found).reset_index(drop=True).astype(str)
            cls = f.cls[found]
            if f.name in FREE_TEXT:
                text = _prepared(f.name, values)
                if decision == "new_starter":
                    values = _found(_cut(text, pats), pats.words)
                else:  # the leaver word, else the application phrase: never the text
                    word = pd.Series(pd.NA, index=text.index, dtype=object)
                    for pattern in (pats.other, pats.leaver, pats.cut):
                        if pattern != NEVER:
                            word = word.fillna(_found(text, pattern))
                    values = word
            why = (np.full(len(found), "new_starter", dtype=object) if decision == "new_starter"
                   else np.where(cls == SHARED, "shared", "not_new_starter").astype(object))
            parts.append(pd.DataFrame({"field": f.name, "value": values.fillna("").to_numpy(),
                                       "counted": why, "requests": counts}))
    if not parts:
        return pd.DataFrame(columns=["field", "value", "counted", "requests"])
    rows = pd.concat(parts, ignore_index=True)
    # summaries found by one word are one row: grouped on what is shown
    rows = rows.groupby(["field", "value", "counted"], sort=False, as_index=False)[
        "requests"].sum()
    order = {name: i for i, name in enumerate(FIELDS)}
    rows["_f"] = rows["field"].map(order)
    rows = rows.sort_values(["requests", "counted", "_f", "value"],
                            ascending=[False, False, True, True], kind="stable")
    return rows.drop(columns="_f").reset_index(drop=True)


def _named(rows: pd.DataFrame, which: pd.Series) -> str:
    """The values of ``rows`` under ``which``, with their counts, as a note names them."""
    part = rows[which]
    return named_counts(pd.Series(part["requests"].to_numpy(), index=part["value"].to_numpy()),
                        NAMED)


def _start_columns(columns: Sequence[str], params: ParamMap) -> list[str]:
    """The unread columns whose name looks like a new starter's start date (a
    ``start_column_words`` phrase, none of ``not_start_column_words``: a change's planned
    start is no first day), in the files' order."""
    looks = phrase_pattern([str(x) for x in params.get("start_column_words", [])])
    not_it = phrase_pattern([str(x) for x in params.get("not_start_column_words", [])])
    if looks == NEVER or not columns:
        return []
    # u_employee_start, variables.new_hire_start, Custom field (Hire date): words apart
    names = pd.Series([_COLUMN_SEPARATORS.sub(" ", c) for c in columns], dtype=object)
    hit = names.str.contains(looks, case=False, regex=True)
    if not_it != NEVER:
        hit &= ~names.str.contains(not_it, case=False, regex=True)
    return [c for c, h in zip(columns, hit.to_numpy(dtype=bool), strict=True) if h]


@dataclass(frozen=True)
class _Units:
    """The requests judged, each in its unit: a new starter (one requester, one start
    day) or, where no requester and start date tie it to one, the request alone."""

    rows: np.ndarray        # int: the tickets' positions
    unit: np.ndarray        # int per row: its unit, 0..n-1
    keyed_units: int        # units that are new starters (a requester and a start date)
    keyed_rows: int         # requests in them
    many_starts: int        # requesters with requests for several start days


def _units(ctx: Context, members: pd.Series, start_day: pd.Series) -> _Units:
    rows = np.flatnonzero(members.to_numpy(dtype=bool))
    req = fold_codes(ctx, m.REQUESTER)[0][rows]
    day = start_day.iloc[rows]
    keyed = (req >= 0) & day.notna().to_numpy(dtype=bool)
    days = np.where(keyed, (day.to_numpy(dtype="datetime64[D]", na_value=np.datetime64(0, "D"))
                            .astype(np.int64)), 0)
    # a keyed request's key is its (requester, day); any other its own (negative) one
    key = np.where(keyed, req.astype(np.int64) * 10_000_000 + (days + 5_000_000),
                   -1 - rows.astype(np.int64))
    found, unit = np.unique(key, return_inverse=True)
    k_req = req[keyed]
    many = 0
    if keyed.any():
        per = pd.Series(days[keyed]).groupby(k_req).nunique()
        many = int((per > 1).sum())
    return _Units(rows=rows, unit=unit.astype(np.int64), keyed_units=int((found >= 0).sum()),
                  keyed_rows=int(keyed.sum()), many_starts=many)


def _inferred(ctx: Context, meas: Measurement, u: _Units, done: pd.Series,
              u_late: np.ndarray, u_decided: np.ndarray, n_late: int, n_all: int,
              unit_word: Note) -> None:
    # n_all: the late share's denominator (the decided units with a done time or late)
    """The done requests whose status label the reading did not know, read done by their
    done time (``model.STATUS_INFERRED``): had they been cancelled (the hire withdrew,
    ``Abgebrochen`` in a language not read), they would leave the share. A trigger must
    hold without the late ones, a clear without the ones on time; the range is said.
    Counted in the share's units: a new starter with such a request is one."""
    inferred_t = done & ctx.tickets[m.STATUS_INFERRED].fillna(False).astype(bool)
    if not inferred_t.any() or not n_all:
        return
    by_unit = pd.Series(inferred_t.to_numpy(dtype=bool)[u.rows]).groupby(u.unit).any()
    inferred_u = by_unit.to_numpy(dtype=bool) & u_decided
    n = int(inferred_u.sum())
    if not n:
        return
    inferred = inferred_t
    n_il = int((inferred_u & u_late).sum())
    n_io = n - n_il
    low = (n_late - n_il) / (n_all - n_il) if n_all > n_il else 0.0
    high = n_late / (n_all - n_io) if n_all > n_io else 0.0
    span = {"count": n, "late": n_il, "on_time": n_io, "decided": n_all, "low": low,
            "high": high, "unit": unit_word,
            "values": named_counts(ctx.tickets.loc[inferred, m.STATUS_RAW]
                                   .astype(str).value_counts(), NAMED)}
    note = Note(code="status_inferred_decides", count=n, params=span,
                sample_ids=ctx.samples(inferred))
    meas.notes.append(Note(code="status_inferred", count=n, params=span,
                           sample_ids=ctx.samples(inferred)))
    if n_il:
        meas.presence_unproven = meas.presence_unproven or note
        meas.worst_case = {"late_share": min(low, meas.worst_case.get("late_share", low))}
    if n_io and meas.absence_unproven is None:
        meas.absence_unproven = note
        meas.clear_case = {"late_share": max(high, meas.clear_case.get("late_share", high))}


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t, w, cal = ctx.tickets, ctx.window, ctx.calendar
    meas = Measurement()
    words = [str(x) for x in params.get("words", []) if str(x).strip()]
    limit = int(params.get("max_business_days", 2))
    start_hour = float(params.get("start_hour", 9.0))

    inw = ctx.opened_in_window()
    requests = ctx.of_kind("request") & inw
    tasks = ctx.of_kind("task") & inw
    t_req, t_task = requests.to_numpy(dtype=bool), tasks.to_numpy(dtype=bool)
    onb = pd.Series(False, index=t.index)
    onb_tasks = onb
    fields: list[_Field] = []
    scopes: dict[str, _Scope] = {}
    pats = _Patterns(
        words=phrase_pattern(words),
        cut=_cut_pattern(params),
        leaver=phrase_pattern([str(x) for x in params.get("leaver_words", [])
                               if str(x).strip()]),
        other=phrase_pattern([str(x) for x in params.get("not_starter_words", [])
                              if str(x).strip()]))
    if words and (t_req | t_task).any():
        # once per distinct value of each field (request items and categories repeat)
        fields = [_field(ctx, f, t_req | t_task, pats) for f in FIELDS]
        scopes = {"request": _scope(fields, t_req), "task": _scope(fields, t_task)}
        onb = pd.Series(scopes["request"].counted, index=t.index)
        onb_tasks = pd.Series(scopes["task"].counted, index=t.index)
    kind = "request"
    if scopes and not onb.any() and not scopes["request"].left_out.any():
        kind = "task"  # no request holds an onboarding word: the tasks' scope is shown
    if onb.any() and onb_tasks.any():
        meas.excluded.append(Note(code="tasks_left_out", count=int(onb_tasks.sum()),
                                  sample_ids=ctx.samples(onb_tasks)))
    elif onb_tasks.any():
        onb, kind = onb_tasks, "task"
        meas.notes.append(Note(code="onboarding_tasks", count=int(onb.sum())))
    # which values were counted as new starters and which left out, with their counts:
    # the scope of the verdict, at a glance (the tasks' when they stand in)
    n_left = 0
    if scopes:
        sc = scopes[kind]
        rows = _scope_rows(fields, sc, onb.to_numpy(dtype=bool), pats)
        if len(rows):
            meas.tables["scope"] = rows.head(SCOPE_ROWS).astype(object).to_dict("records")
            meas.table_totals["scope"] = len(rows)
        counted_rows = rows["counted"] == "new_starter"
        if counted_rows.any():
            meas.notes.append(Note(code="counted_values", count=int(onb.sum()),
                                   params={"values": _named(rows, counted_rows)}))
        n_left = int(sc.left_out.sum())
        if n_left:
            left_mask = pd.Series(sc.left_out, index=t.index)
            meas.excluded.append(Note(code="not_new_starters", count=n_left,
                                      params={"values": _named(rows, ~counted_rows)},
                                      sample_ids=ctx.samples(left_mask)))
    if not onb.any():
        meas.unknown = Note(
            code="no_onboarding_requests", count=int(requests.sum()),
            params={"fields": ", ".join(FIELDS), "words": ", ".join(words),
                    "tasks": int(tasks.sum()),
                    "left": Note(code="left_out_clause" if n_left else "none_left_out",
                                 count=n_left)},
        )
        return meas

    # each request as it stood at the window end: one done (or cancelled) after it was
    # open then, judged as open (pending, or late once its deadline passed), so an export
    # pulled weeks after the window end reads the window as one pulled at its end did
    # a cancelled onboarding request (the hire withdrew) says nothing about speed
    cancelled = onb & ctx.cancelled_by_end()
    # done by the status without a resolved or closed time: decided, but whether it was
    # late is unknown (left out of the share only within a range the verdict must hold on)
    done_no_time = onb & ~cancelled & ctx.is_done() & ctx.done_at.isna()
    scope = onb & ~cancelled & ~done_no_time
    done = ctx.done_by_end().where(scope)
    # open requests are measured up to the as-of time (the data's end, when a --until
    # goes past it: a request cannot be late in weeks the export does not hold)
    end = pd.Series(w.covered_end, index=t.index)
    until = done.fillna(end)
    lead = cal.busday_count(t[m.OPENED_AT], until)

    # start_hour on the start day in the run's zone: a start date "2026-01-12" read in
    # Europe/Berlin is 2026-01-11 23:00 UTC, and the UTC day put the deadline on Sunday
    start_day = m.local_day(t[m.START_DATE], ctx.tz)
    deadline = m.wall_to_utc(start_day + pd.Timedelta(hours=start_hour), ctx.tz)[0]
    dated = scope & t[m.START_DATE].notna()
    # raised after the start morning (HR's late notice): the desk could not be on time,
    # however fast it was; left out of the late share and counted in a note
    late_notice = (onb & ~cancelled & t[m.START_DATE].notna()
                   & (t[m.OPENED_AT] > deadline).fillna(False).astype(bool))
    has_start = dated & ~late_notice
    done_no_time = done_no_time & ~late_notice
    late_sd = has_start & (until > deadline).fillna(False).astype(bool)
    # an open request is decided only once its deadline has passed
    decided_sd = has_start & (done.notna() | late_sd)

    by_lead = scope & ~dated & t[m.OPENED_AT].notna()
    late_lt = by_lead & (lead > limit).fillna(False).astype(bool)
    decided_lt = by_lead & (done.notna() | late_lt)

    late = late_sd | late_lt
    decided = decided_sd | decided_lt
    # a start date under a name no importer reads (a custom variable u_employee_start):
    # named, so the lead time's proxy verdict says how to judge the first day instead
    n_no_start = int(by_lead.sum())
    unread = _start_columns(ctx.unread_columns, params) if n_no_start else []
    if unread:
        meas.notes.append(Note(code="start_column_unread", count=n_no_start,
                               params={"total": int(scope.sum()),
                                       "columns": ", ".join(quote(c, 40) for c in unread)}))
    pending = scope & ~decided & (has_start | by_lead)
    no_time = scope & ~dated & t[m.OPENED_AT].isna()

    n_onb = int(onb.sum())
    meas.metrics["onboarding_requests"] = Figure(value=float(n_onb), sample_ids=ctx.samples(onb))
    for code, mask in (("cancelled", cancelled), ("pending", pending), ("no_opened", no_time)):
        if mask.any():
            meas.excluded.append(Note(code=code, count=int(mask.sum()),
                                      sample_ids=ctx.samples(mask)))
    # the unit counted: a new starter (the requests of one requester and one start date),
    # each late when any of their requests is; a request no requester and start date tie
    # to one counts alone
    members = has_start | by_lead | done_no_time
    u = _units(ctx, members, start_day)
    n_starters = int(u.keyed_units)
    agg = pd.DataFrame({"unit": u.unit, "late": late.to_numpy(dtype=bool)[u.rows],
                        "decided": decided.to_numpy(dtype=bool)[u.rows],
                        "unknown": done_no_time.to_numpy(dtype=bool)[u.rows],
                        "pending": pending.to_numpy(dtype=bool)[u.rows],
                        "sd": has_start.to_numpy(dtype=bool)[u.rows]}
                       ).groupby("unit", sort=True).agg(
        late=("late", "any"), unknown=("unknown", "any"), pending=("pending", "any"),
        sd=("sd", "any"))
    u_late = agg["late"].to_numpy(dtype=bool)
    u_unknown = ~u_late & agg["unknown"].to_numpy(dtype=bool)
    u_decided = u_late | ~(u_unknown | agg["pending"].to_numpy(dtype=bool))
    u_sd = agg["sd"].to_numpy(dtype=bool)
    grouped = n_starters > 0
    unit_word = Note(code="unit_starters" if grouped else "unit_requests")
    if grouped:
        meas.notes.append(Note(code="per_starter", count=n_starters, params={
            "requests": int(u.keyed_rows),
            "alone": Note(code="alone_clause" if len(u.rows) > u.keyed_rows else "none_alone",
                          count=len(u.rows) - u.keyed_rows),
            "hour": start_hour}))
        if u.many_starts:
            meas.notes.append(Note(code="requester_many_starts", count=int(u.many_starts)))
    elif len(u.rows):
        meas.notes.append(Note(code="per_request", count=len(u.rows)))

    n_decided, n_late = int(u_decided.sum()), int(u_late.sum())
    n_unknown = int(u_unknown.sum())
    if late_notice.any():
        # had they been counted: late, each (their new starter) with the rest
        w_u = _units(ctx, members | late_notice, start_day)
        w_late = pd.Series((late | late_notice).to_numpy(dtype=bool)[w_u.rows]).groupby(
            w_u.unit).any().to_numpy(dtype=bool)
        w_dec = pd.Series((decided | late_notice).to_numpy(dtype=bool)[w_u.rows]).groupby(
            w_u.unit).all().to_numpy(dtype=bool) | w_late
        # done by the window end, as every other figure of the sign reads them
        hours = (done[late_notice] - t.loc[late_notice, m.OPENED_AT]).dt.total_seconds() \
            / 3600.0
        n_ln = int(late_notice.sum())
        meas.excluded.append(Note(code="raised_after_start", count=n_ln, params={
            "unit": unit_word,
            "starters": int(w_late.sum()) - n_late if grouped else n_ln,
            "done": int(hours.notna().sum()),
            "median_hours": float(hours.median()) if hours.notna().any() else 0.0,
            "with_share": float(w_late.sum() / w_dec.sum()) if w_dec.sum() else 0.0,
            "share": n_late / n_decided if n_decided else 0.0, "hour": start_hour},
            sample_ids=ctx.samples(late_notice)))
    n_all = n_decided + n_unknown  # done ones count as decided, their lateness or not
    # the late share the done requests without a done time could make: all on time, all late
    low = n_late / n_all if n_all else 0.0
    high = (n_late + n_unknown) / n_all if n_all else 0.0
    span = {"count": n_unknown, "decided": n_all, "late": n_late, "unit": unit_word,
            "low": low, "high": high}
    # too many decided requests whose lateness is unknown: the share of the rest says
    # nothing (the open late ones would make it alone), whatever the range
    min_timed = float(params.get("min_done_time_share", 0.9))
    timed_share = n_decided / n_all if n_all else 1.0
    sparse = bool(n_unknown) and (n_decided == 0 or timed_share < min_timed)
    if n_unknown and not sparse:
        meas.excluded.append(Note(code="done_without_time", count=n_unknown,
                                  params=span, sample_ids=ctx.samples(done_no_time)))
    # a late share of two or three requests is one new starter's bad luck, not a process
    short = (Note(code="none_decided", count=n_onb) if n_all == 0
             else too_few(n_all, int(params.get("min_requests", 5))))
    if short is not None:
        meas.unknown = short
        return meas
    if sparse:
        meas.unknown = Note(code="done_times_sparse", count=n_unknown,
                            params={**span, "share": 1.0 - timed_share, "min": min_timed},
                            sample_ids=ctx.samples(done_no_time))
        return meas

    meas.metrics["late_share"] = ratio(n_late, n_decided, ctx.samples(late))
    if grouped:
        meas.metrics["late_starters"] = Figure(value=float(n_late), sample_ids=ctx.samples(late))
        meas.metrics["decided_starters"] = Figure(value=float(n_decided),
                                                  sample_ids=ctx.samples(decided))
    if n_unknown:
        # graded on the share of the timed ones, and again at both ends of the range: a
        # triggered verdict must hold with them all on time, a clear one with them all late
        unproven = Note(code="lateness_unknown_decides", count=n_unknown, params=span)
        meas.presence_unproven = meas.absence_unproven = unproven
        meas.worst_case = {"late_share": low}
        meas.clear_case = {"late_share": high}
    # without a start date, a lead time far over the limit is what a request raised weeks
    # ahead of the first day and done before it looks like, as much as a slow one: their
    # lateness is unproven, the verdict must hold with them all on time, and they are not
    # priced (neither the agents' expedite hours nor the new starters' lost hours)
    lt_done = lead[by_lead & done.notna()].dropna()
    lt_median = float(lt_done.median()) if len(lt_done) else None
    # requests judged by lead time are never grouped: each is a unit of its own
    n_late_lt = int(late_lt.sum())
    ahead = float(params.get("raised_ahead_days", 5))
    raised_ahead = bool(n_late_lt) and lt_median is not None and (
        lt_median >= ahead and lt_median > limit)
    n_sd = int((u_decided & u_sd).sum())
    if raised_ahead:
        meas.presence_unproven = Note(
            code="raised_ahead", count=int(decided_lt.sum()),
            params={"late": n_late_lt, "median": lt_median, "limit": limit, "ahead": ahead,
                    "share": n_late_lt / int(decided_lt.sum()),
                    "others": Note(code="with_start_clause" if n_sd else "no_start_clause",
                                   count=n_sd, params={"unit": unit_word})},
            sample_ids=ctx.samples(late_lt))
        meas.worst_case = {"late_share": (n_late - n_late_lt) / n_all}
        if n_sd:  # the start-date ones may carry the verdict: say what is left unpriced
            meas.notes.append(Note(code="lead_time_unpriced", count=n_late_lt))
    _inferred(ctx, meas, u, onb & ctx.done_by_end().notna() & decided, u_late, u_decided,
              n_late, n_decided, unit_word)
    priced = late_sd if raised_ahead else late
    meas.metrics["late_requests"] = Figure(value=float(late.sum()), sample_ids=ctx.samples(late))
    # the late share's denominator, said beside it: "3 of 33 decided", not "3 of 34 found"
    meas.metrics["decided_requests"] = Figure(value=float(decided.sum()),
                                              sample_ids=ctx.samples(decided))
    meas.metrics["start_date_share"] = ratio(int(dated.sum()), int(scope.sum()),
                                             ctx.samples(dated))
    done_lead = lead[scope & ~late_notice & done.notna()].dropna()
    meas.metrics["median_lead_business_days"] = Figure(
        value=float(done_lead.median()) if len(done_lead) else None,
        numerator=None, denominator=float(len(done_lead)),
    )
    # the lead-time rule is a proxy for "ready on day one": say how much rests on it
    n_lt = int((u_decided & ~u_sd).sum())
    meas.notes.append(Note(code="basis", params={"with_start": n_sd, "without_start": n_lt,
                                                 "limit": limit, "hour": start_hour,
                                                 "tz": ctx.tz, "unit": unit_word}))
    # graded on what makes the share: its late ones (a share made of lead-time requests
    # alone is a proxy, however many start dates the on-time ones carry) and its whole
    n_late_sd_u = int((u_late & u_sd).sum())
    meas.confidence = ("high" if n_sd >= n_lt and n_late_sd_u >= n_late - n_late_sd_u
                       else "medium")
    if ctx.shape.biases_open_tickets:
        # an extract without the tickets open at its cut lacks the open requests past
        # their start day, the late ones: a share from the rest can only be too low, so a
        # clear cannot stand (a trigger does). One selected on its update time lacks only
        # those untouched since its floor, more than its own open ones show to be few
        shape = ctx.shape
        cut = shape.updated_since
        meas.absence_unproven = (
            Note(code="open_requests_stale", params=cut.params())
            if cut is not None and cut.reach is not None and not (
                shape.closure or shape.none_open or shape.one_instant)
            else Note(code="open_requests_missing"))
        meas.clear_case = {}

    sel = (scope & (dated | by_lead)) | late_notice
    rule = np.where(late_notice[sel], "late_notice",
                    np.where(has_start[sel], "start_date", "lead_time"))
    frame = pd.DataFrame({
        "ticket_id": t.loc[sel, m.TICKET_ID].astype(str),
        # the day its business days are counted from: the opened day in the run's zone
        "opened": m.local_day(t.loc[sel, m.OPENED_AT], ctx.tz).dt.strftime("%Y-%m-%d"),
        "business_days": lead[sel],
        "done": done[sel].notna(),
        "late": late[sel] | late_notice[sel],
        "rule": rule,
    }, copy=False).sort_values(["opened", "ticket_id"], kind="stable").astype(object)
    meas.series["lead_times"] = frame.where(frame.notna(), None).to_dict("records")

    # the new starters' wait: business days each late request ran past its deadline (at
    # least one), priced in *their* hours, once per new starter (their longest wait).
    # Evidence, not a cost: costs are agent hours. (a lead time that cannot tell a slow
    # request from one raised ahead prices nothing: with no start date at all the figure
    # is unknown, not 0)
    past_sd = cal.busday_count(t[m.START_DATE], until).clip(lower=1)
    days_late = past_sd.where(late_sd).fillna((lead - limit).where(late_lt)).fillna(0)
    per_unit = pd.Series(days_late.where(priced, 0.0).to_numpy(dtype=float)[u.rows]
                         ).groupby(u.unit).max()
    total_days = float(per_unit.sum())
    starter_hours = float(params.get("lost_hours_per_late_day", 4.0))
    unpriced = raised_ahead and not decided_sd.any()
    meas.metrics["starter_hours_lost_per_month"] = Figure(
        value=None if unpriced else per_month(total_days, w) * starter_hours,
        numerator=None if unpriced else total_days * starter_hours, denominator=w.months,
        sample_ids=ctx.samples(priced),
    )
    # the cost: agent time spent on each late request (chasing, escalating, stop-gap access)
    minutes = float(params.get("expedite_minutes", 45.0))
    n_priced = int(priced.sum())
    if n_priced and minutes > 0:
        meas.costs.append(Cost(
            basis="expedite", count=float(n_priced),
            hours_per_month=per_month(n_priced, w) * minutes / 60.0,
            params={"late_per_month": per_month(n_priced, w), "minutes": minutes},
        ))
    return meas
