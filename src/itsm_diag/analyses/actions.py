"""Analysis ``actions``: the list to work through on Monday.

Tickets open at the as-of time (the window end: what the backlog sign counts as open)
and still open in the export (one done since needs nobody), each with the reasons it
needs attention:

- ``overdue`` / ``due_soon``: past its due time, or due within ``due_within_hours``. The
  due time is the export's own (``due_at``); without one, a ticket's planned end (a
  change's ``planned_end``: a change whose work has ended, ``actual_end`` by the window
  end, is due no more); without either, for the kinds the resolution targets apply to
  (``target_kinds``: the SLA's incidents and requests), the opened time plus the target
  of its priority (``target_hours``, an assumption the list prints). A ticket of another
  kind (a problem, an epic, a task) with no due time of its own is not called overdue by
  an assumed target: it is listed only when stale, unowned or bouncing (a note counts it);
- ``stale``: no update (event, else the ticket's updated time) for more than
  ``stale_business_days`` business days;
- ``unowned``: no assignee more than ``unowned_hours`` after it was opened;
- ``bouncing``: its assignment history went A -> B -> A within ``bounce_days``, or it was
  reassigned ``min_reassignments`` times or more;
- ``waiting``: in a waiting status at the as-of time (pending: on hold, awaiting the
  caller or a vendor), by the rule the backlog's ``waiting_now`` counts
  (:func:`~itsm_diag.signs.common.waiting_at_end`: by its status history where it has
  an event by then, else by its status now where nothing changed it after), given
  with another reason or when past its assumed due time. SLA clocks pause on hold, and
  the assumed due time (opened + target) does not: a waiting ticket is not called
  overdue or due soon on it (a due time of the export's own or a planned end still
  counts), and a note counts the waiting tickets.

Ordered: the workable tickets first, those waiting on the customer or a vendor after
them; in each, overdue first (earliest due first), then due soon, then by priority and
age.
Vectorised over the open tickets; only the rows kept for the report become dicts.

Open is the backlog's open (:func:`itsm_diag.checks._common.open_now`): opened by the
window end and not done by it, by the status history or the done time; a clean-up
script's closures, which the backlog sign counts open (no work done), are closed in the
tool and need nobody, so they are not open here (the sign's mass-closure note says how
many). A ticket whose
status the reading could not put in the vocabulary (a tool's custom status, one a
mapping does not map), and that has no done time, is open there and here (a note counts
them, names their statuses and the tool or mapping that left them unread).

An export cut on the opened date lacks the tickets opened before its first one and still
open: when the backlog sign finds so (tickets of its first week still open at the window
end, older ones would be too; or an estimate of those still open), the list says it is
not the whole queue (:func:`after_signs`, after the signs: one test in one report).

An export whose opened times (or due dates) carry no time of day (``Context.day_only``,
as the loader found them) gets a reason counted in hours only where it holds whatever
the time of day: a day stamp
stands for any time up to the end of its day, so the ticket counts as opened then, and a
due date is met through the end of its day (a note says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.analyses._util import note, ticket_rows_of_events
from itsm_diag.checks._common import open_now, unread
from itsm_diag.model import NAT, ts_us
from itsm_diag.signs.backlog import scope_masks, unseen_at_end
from itsm_diag.signs.base import Context, Figure, Measurement, Note, ratio
from itsm_diag.signs.common import (
    by_code_then,
    day_stamp_end,
    filled,
    fold_key,
    per_distinct,
    status_trail,
    unread_of,
    waiting_at_end,
)

REASONS = ("overdue", "due_soon", "stale", "unowned", "bouncing", "waiting")
US_HOUR = 3_600_000_000
US_DAY = 24 * US_HOUR


def _last_update(ctx: Context, rows: np.ndarray, end: int) -> np.ndarray:
    """Per open ticket (``rows``): its latest event up to ``end`` (us), else its updated
    time when that is not after ``end``, else its opened time; NAT when none is known."""
    t = ctx.tickets
    n = len(t)
    last = np.full(n, NAT, dtype=np.int64)
    if not ctx.events.empty:
        ev_rows = ticket_rows_of_events(ctx)
        at = ts_us(ctx.events[m.EV_AT])
        ok = (ev_rows >= 0) & (at != NAT) & (at <= end)
        np.maximum.at(last, ev_rows[ok], at[ok])
    updated = ts_us(t[m.UPDATED_AT])
    opened = ts_us(t[m.OPENED_AT])
    use_upd = (last == NAT) & (updated != NAT) & (updated <= end)
    last = np.where(use_upd, updated, last)
    last = np.where((last == NAT) & (opened != NAT), opened, last)
    return last[rows]


def _waiting(ctx: Context, open_mask: pd.Series, rows: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per open ticket (``rows``, of ``open_mask``): in a waiting status at the window end
    by the one rule the backlog's ``waiting_now`` counts (:func:`waiting_at_end`: by its
    status history where it has an event by then, else by its status now where nothing
    changed it after), and since when (us: the first of its last run of waiting status
    events up to the end; NAT where no status history shows it)."""
    waiting, _ = waiting_at_end(ctx, open_mask)
    since = np.full(len(rows), NAT, dtype=np.int64)
    trail = status_trail(ctx)
    if trail is not None:
        ns = trail.pending_since(int(ctx.window.covered_end.value))[rows]
        since = np.where(ns == NAT, NAT, ns // 1000)
    return waiting[rows], np.where(waiting[rows], since, NAT)


def _bouncing(ctx: Context, rows: np.ndarray, end: int, since: int) -> np.ndarray:
    """Per open ticket (``rows``): an A -> B -> A bounce in its assignment history that
    came back between ``since`` and ``end`` (us)."""
    out = np.zeros(len(rows), dtype=bool)
    ev = ctx.events
    if ev.empty or not len(rows):
        return out
    ev_rows = ticket_rows_of_events(ctx)
    at = ts_us(ev[m.EV_AT])
    wanted = np.zeros(len(ctx.tickets), dtype=bool)
    wanted[rows] = True
    keep = (ev[m.EV_KIND].eq("assignment").fillna(False).to_numpy(dtype=bool)
            & (ev_rows >= 0) & (at != NAT) & (at <= end)
            & filled(ev[m.EV_VALUE]).to_numpy(dtype=bool))
    keep = keep & wanted[np.maximum(ev_rows, 0)]
    idx = np.flatnonzero(keep)
    if not len(idx):
        return out
    idx = idx[by_code_then(ev_rows[idx], at[idx])]
    key = per_distinct(ev[m.EV_VALUE].take(idx).reset_index(drop=True),
                       partial(fold_key, spaces=True))
    codes = np.asarray(pd.factorize(key.array)[0], dtype=np.int64)
    r = ev_rows[idx]
    same = np.r_[False, (r[1:] == r[:-1]) & (codes[1:] == codes[:-1])]
    r, codes, when = r[~same], codes[~same], at[idx][~same]
    if len(r) < 3:
        return out
    bounce = np.r_[False, False, (r[2:] == r[:-2]) & (codes[2:] == codes[:-2])]
    recent = bounce & (when >= since)
    hit = np.zeros(len(ctx.tickets), dtype=bool)
    hit[r[recent]] = True
    return hit[rows]


def after_signs(ctx: Context, meas: Measurement) -> Measurement:
    """``meas`` (the list, measured beside the signs) with what the backlog sign found of
    an export cut on the opened date (:func:`~itsm_diag.signs.backlog.unseen_at_end`):
    tickets of its first week still open at the window end (older ones would be too, how
    many has no bound), or an estimate of those opened before it still open then. One test
    of one export in one report: the list says it is not the whole queue exactly when
    the backlog sign says the export lacks them."""
    found = unseen_at_end(ctx)
    if meas.unknown is not None or found is None:
        return meas
    unseen, earliest, first_day = found
    usable, _, _ = scope_masks(ctx)  # the backlog's incidents and requests
    if unseen.code == "unseen_unbounded":
        opened = ctx.tickets[m.OPENED_AT]
        week = usable & ((opened >= earliest)
                         & (opened < earliest + pd.Timedelta(days=7))).fillna(False)
        still = open_now(ctx, week.astype(bool))
        ids = ctx.samples(still)
        cut = note("cut_on_open", int(unseen.params["still"]), ids, first=first_day,
                   first_week=int(unseen.params["first_week"]))
        figure = {"first_week_open": ratio(int(unseen.params["still"]),
                                           int(unseen.params["first_week"]), ids)}
    elif float(unseen.params.get("unseen_end", 0.0)) >= 1.5:  # two tickets at least
        cut = note("cut_on_open_estimate", round(float(unseen.params["unseen_end"])),
                   first=first_day)
        figure = {}
    else:
        return meas
    # the figure beside the open count, the note first: in every format
    metrics: dict[str, Figure] = {}
    for name, fig in meas.metrics.items():
        metrics[name] = fig
        if name == "open_tickets":
            metrics.update(figure)
    return meas.model_copy(update={"metrics": metrics, "notes": [cut, *meas.notes]})


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    if not t[m.STATUS].notna().any():
        # statuses the reading could not put in the vocabulary are filled in the tool:
        # named with their labels and what reads them, not called missing
        every = pd.Series(True, index=t.index)
        return Measurement(unknown=unread(ctx, m.STATUS, every, code="no_status_unread")
                           or note("no_status"))
    if ctx.shape.biases_open_tickets:
        return Measurement(unknown=_cut_note(ctx, params))
    open_then = open_now(ctx, ctx.of_kind(*params["kinds"]))
    # a to-do list holds what is still open: a ticket open at the as-of but done since (the
    # export runs past a window that ended earlier) needs nobody on Monday; one whose
    # status is not read is done since by its done time
    status_empty = t[m.STATUS].isna()
    done_since = open_then & (ctx.is_done() | (status_empty & ctx.done_at.notna()))
    open_mask = open_then & ~done_since
    rows = np.flatnonzero(open_mask.to_numpy(dtype=bool))
    if not len(rows):
        return Measurement(unknown=note("none_open"),
                           excluded=[note("done_since", int(done_since.sum()),
                                          ctx.samples(done_since))] if done_since.any() else [])
    # ages and due times to the data's end (a --until past it adds weeks with no ticket)
    end = int(ts_us(pd.Series([ctx.window.covered_end]))[0])
    opened = ts_us(t[m.OPENED_AT])[rows]
    has_opened = opened != NAT
    age_days = np.where(has_opened, (end - opened) / US_DAY, np.nan)
    # dates without a time of day: a reason in hours is given only where it holds
    # whenever in its day the ticket was opened (or is due): a day stamp stands for any
    # time up to the day's end
    all_due = ts_us(t[m.DUE_AT])
    # as the loader found them (importers.timeofday): one rule, one place
    opened_days, due_days = m.OPENED_AT in ctx.day_only, m.DUE_AT in ctx.day_only
    # the day's last instant in the run's zone (--tz), by the rule the SLA outcome uses
    opened_latest = day_stamp_end(opened, ctx.tz) if opened_days else opened

    # due: the export's, else the planned end (a change's), else, for the kinds the
    # resolution targets apply to, opened + the priority's target
    due = all_due[rows]
    due = np.where(due > end + 400 * US_DAY, NAT, due)  # no due time a year away is real
    from_field = due != NAT
    plan = ts_us(t[m.PLANNED_END])[rows]
    plan = np.where(plan > end + 400 * US_DAY, NAT, plan)
    # a change whose work has ended is only waiting to be closed: due no more
    work_end = ts_us(t[m.ACTUAL_END])[rows]
    work_ended = ~from_field & (plan != NAT) & (work_end != NAT) & (work_end <= end)
    from_plan = ~from_field & (plan != NAT) & ~work_ended
    due = np.where(from_plan, plan, due)
    targets = {int(k): float(v) for k, v in params["target_hours"].items()}
    target_kinds = tuple(params["target_kinds"])
    # the SLA's kinds: a problem, an epic or a task has no resolution target of its own
    applies = ctx.of_kind(*target_kinds).to_numpy(dtype=bool)[rows]
    prio = t[m.PRIORITY].take(rows).astype("Float64").to_numpy(dtype="float64",
                                                                na_value=np.nan)
    target_h = pd.Series(prio).map(targets).to_numpy(dtype="float64", na_value=np.nan)
    from_target = (~from_field & (plan == NAT) & applies & has_opened
                   & np.isfinite(target_h) & bool(params["use_priority_targets"]))
    due = np.where(from_target,
                   opened_latest + np.nan_to_num(target_h * US_HOUR).astype(np.int64), due)
    has_due = from_field | from_plan | from_target
    # no due time of its own and no target that applies: not judged on time
    untimed = ~has_due & ~work_ended & ~applies
    # a due date without a time of day is met through the end of its day (in --tz, as
    # the SLA outcome reads it: signs.common.day_stamp_end), a planned end's alike
    due_latest = due
    if due_days:
        due_latest = np.where(from_field, day_stamp_end(due, ctx.tz), due_latest)
    if m.PLANNED_END in ctx.day_only:
        due_latest = np.where(from_plan, day_stamp_end(due, ctx.tz), due_latest)
    # a ticket waiting on the caller or a vendor: an SLA clock pauses there, the assumed
    # due time's (opened + target) does not, so it is not judged on that one
    waiting, waiting_since = _waiting(ctx, open_mask, rows)
    paused = waiting & from_target
    clock = has_due & ~paused
    passed = due_latest < end
    overdue = clock & passed
    due_soon = clock & ~passed & (due_latest <= end + int(
        float(params["due_within_hours"]) * US_HOUR))

    last = _last_update(ctx, rows, end)
    cal = ctx.calendar  # business days of the run's zone (--tz), as every count of them
    known_last = last != NAT
    idle_days = np.full(len(rows), -1, dtype=np.int64)
    idle_days[known_last] = cal.count_days(cal.local_days(last[known_last]),
                                           cal.local_days(np.array([end], dtype=np.int64)))
    stale = known_last & (idle_days > int(params["stale_business_days"]))

    # an export that never fills the assignee says nothing about ownership
    has_assignee = ctx.filled(m.ASSIGNEE).to_numpy(dtype=bool)
    carries_assignee = bool(has_assignee.any())
    no_owner = ~has_assignee[rows]  # the run's mask (a take of the column joins its chunks)
    unowned = (carries_assignee & no_owner & has_opened
               & (end - opened_latest > float(params["unowned_hours"]) * US_HOUR))

    reassign = t[m.REASSIGNMENT_COUNT].take(rows).astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan)
    since = end - int(params["bounce_days"]) * US_DAY
    bouncing = _bouncing(ctx, rows, end, since) | (
        np.nan_to_num(reassign, nan=0.0) >= int(params["min_reassignments"]))

    flags = {"overdue": overdue, "due_soon": due_soon, "stale": stale, "unowned": unowned,
             "bouncing": bouncing}
    any_flag = np.zeros(len(rows), dtype=bool)
    for f in flags.values():
        any_flag |= f
    # a waiting ticket is listed with another reason, or once past its assumed due time
    # (which it would have been called overdue on), saying it waits
    paused_past = paused & passed
    flags["waiting"] = waiting & (any_flag | paused_past)
    any_flag |= flags["waiting"]
    metrics: dict[str, Figure] = {"open_tickets": Figure(value=float(len(rows)))}
    for name, mask in flags.items():
        if name == "waiting":
            continue
        metrics[name] = ratio(int(mask.sum()), len(rows), _ids(ctx, rows[mask],
                                                               age_days[mask]))
    metrics["listed"] = ratio(int(any_flag.sum()), len(rows))
    if waiting.any():
        # every open ticket waiting on the caller or a vendor, listed or not
        metrics["waiting"] = ratio(int(waiting.sum()), len(rows),
                                   _ids(ctx, rows[waiting], age_days[waiting]))
    if from_target.any():
        # an overdue share resting on assumed due times says so beside it, in every format
        metrics["due_assumed"] = ratio(int(from_target.sum()), len(rows))
    notes: list[Note] = []
    excluded: list[Note] = []
    if waiting.any():
        notes.append(note("waiting", int(waiting.sum()), _ids(ctx, rows[waiting],
                                                              age_days[waiting]),
                          paused=note("paused_clause", int(paused_past.sum()),
                                      assumed=int(paused.sum())) if paused.any()
                          else note("none_clause"),
                          listed=int(flags["waiting"].sum()),
                          own=note("own_clause" if (waiting & overdue).any()
                                   else "none_clause", int((waiting & overdue).sum()))))
    if from_target.any():
        notes.append(note("due_from_targets", int(from_target.sum()),
                          kinds=", ".join(target_kinds),
                          targets=", ".join(f"P{k} {v:g} h" for k, v in sorted(targets.items()))))
    if from_plan.any() or work_ended.any():
        n_ended = int(work_ended.sum())
        notes.append(note("due_from_plan", int(from_plan.sum()), ended=note(
            "ended_clause" if n_ended else "none_clause", n_ended)))
    if untimed.any():
        # a ticket without a kind is counted with the catch-all kind, other
        kinds = pd.Series(m.take_rows(t[m.KIND], rows[untimed]).astype("string").fillna(
            "other").to_numpy()).value_counts()
        # the most first; at equal counts by name (not in the export's row order)
        kinds = kinds.iloc[np.lexsort((kinds.index.to_numpy(dtype=str), -kinds.to_numpy()))]
        notes.append(note("no_target", int(untimed.sum()), kinds=", ".join(
            f"{k} {n:,}" for k, n in kinds.items()), target_kinds=", ".join(target_kinds)))
    # the open tickets without a status: a label the reading could not put in the
    # vocabulary (named, with the tool or mapping that left it), or none at all
    unread_open = unread(ctx, m.STATUS, open_mask, code="status_unread")
    if unread_open is not None:
        notes.append(unread_open)
    blank_open = open_mask & status_empty & ~unread_of(ctx, m.STATUS)
    if blank_open.any():
        notes.append(note("status_blank", int(blank_open.sum()), ctx.samples(blank_open)))
    if not (has_due | untimed | work_ended).any():
        notes.append(note("no_due"))
    if opened_days or (due_days and from_field.any()):
        notes.append(note("day_stamps", fields=" and ".join(
            w for w, on in (("opened times", opened_days),
                            ("due dates", due_days and from_field.any())) if on)))
    if not carries_assignee:
        notes.append(note("no_assignee_field"))
    if (~has_opened).any():
        excluded.append(note("no_opened", int((~has_opened).sum())))
    if done_since.any():
        excluded.append(note("done_since", int(done_since.sum()), ctx.samples(done_since)))
    # the list: flagged tickets, the workable ones first, those waiting on the caller or a
    # vendor after them; in each, overdue first (earliest due), then due soon, by priority,
    # age and, at last, by id (not in the export's row order)
    sel = np.flatnonzero(any_flag)
    order = np.lexsort((ctx.id_ranks[0][rows[sel]], -np.nan_to_num(age_days[sel], nan=0.0),
                        np.nan_to_num(prio[sel], nan=9.0),
                        np.where(overdue[sel] | due_soon[sel], due[sel], np.iinfo(np.int64).max),
                        ~due_soon[sel], ~overdue[sel], waiting[sel]))
    sel = sel[order]
    cap = int(params["max_rows"])
    kept = sel[:cap]
    table = _rows(ctx, rows[kept], flags, kept, age_days, idle_days, due,
                  {"field": from_field, "planned end": from_plan,
                   "priority target": from_target}, reassign, prio,
                  np.where(waiting, waiting_since, NAT))
    if len(sel) > cap:
        notes.append(note("capped", len(sel), shown=cap))
    return Measurement(metrics=metrics, tables={"actions": table}, notes=notes,
                       excluded=excluded)


def _cut_note(ctx: Context, params: Mapping[str, Any]) -> Note:
    """Why an extract whose shape hides what was open at its cut gets no list, by the
    shape seen: selected on closure, (next to) nothing open where the flow predicts a
    queue, selected on its update time (the open tickets untouched since are missing),
    or every time within a few hours (the open tickets are there, but their
    ages, due times and idle days are an import stamp's)."""
    shape = ctx.shape
    if shape.closure is not None:
        return note("closure_selected")
    if shape.none_open is not None:
        return note("cut_none_open", shape.none_open.open_at_cut)
    if shape.updated_since is not None and shape.one_instant is None:
        # the open tickets are there but those untouched since the floor: the ones a
        # to-do list would most need
        return note("cut_update_floor", **shape.updated_since.params())
    still_open = (ctx.of_kind(*params["kinds"]) & ctx.tickets[m.STATUS].notna()
                  & ~ctx.is_done())
    return note("cut_one_instant", int(still_open.sum()), ctx.samples(still_open),
                hours=shape.one_instant.hours if shape.one_instant is not None else 0.0)


def _ids(ctx: Context, rows: np.ndarray, age: np.ndarray) -> list[str]:
    """The ids of the ``max_samples`` oldest of ``rows`` (at equal age, the smaller id)."""
    order = np.lexsort((ctx.id_ranks[0][rows], -np.nan_to_num(age, nan=-1.0)))
    order = order[:ctx.max_samples]
    return [str(x) for x in m.take_rows(ctx.tickets[m.TICKET_ID], rows[order]).tolist()]


def _iso(us: int) -> str | None:
    return None if us == NAT else pd.Timestamp(us, unit="us", tz="UTC").isoformat()


def _rows(ctx: Context, rows: np.ndarray, flags: dict[str, np.ndarray], pos: np.ndarray,
          age: np.ndarray, idle: np.ndarray, due: np.ndarray,
          sources: dict[str, np.ndarray], reassign: np.ndarray, prio: np.ndarray,
          since: np.ndarray) -> list[dict[str, Any]]:
    """The kept rows as plain dicts (at most ``max_rows``); ``sources``: where each due
    time came from (its word in the table, the mask of the open tickets it holds for)."""
    t = ctx.tickets
    cols = {c: m.take_rows(t[c], rows).astype("string").str.strip().tolist()
            for c in (m.TICKET_ID, m.STATUS_RAW, m.STATUS, m.ASSIGNMENT_GROUP, m.ASSIGNEE,
                      m.SUMMARY)}
    out = []
    for i, p in enumerate(pos):  # the kept rows only (max_rows), not every open ticket
        due_from = next((word for word, mask in sources.items() if mask[p]), None)
        out.append({
            "ticket_id": cols[m.TICKET_ID][i],
            # what the ticket is about next to its id: a reader scans both together, and a
            # page too narrow for every column keeps them in view
            "summary": _text(cols[m.SUMMARY][i]),
            "reasons": [r for r in REASONS if flags[r][p]],
            "priority": None if not np.isfinite(prio[p]) else int(prio[p]),
            "status": _text(cols[m.STATUS_RAW][i]) or _text(cols[m.STATUS][i]),
            "group": _text(cols[m.ASSIGNMENT_GROUP][i]),
            "assignee": _text(cols[m.ASSIGNEE][i]),
            "age_days": None if not np.isfinite(age[p]) else round(float(age[p]), 1),
            "idle_business_days": None if idle[p] < 0 else int(idle[p]),
            "due": _iso(int(due[p])) if due_from is not None else None,
            "due_from": due_from,
            "waiting_since": _iso(int(since[p])),
            "reassignments": None if not np.isfinite(reassign[p]) else int(reassign[p]),
        })
    return out


def _text(value: Any) -> str | None:
    return None if value is None or value is pd.NA or value == "" else str(value)
