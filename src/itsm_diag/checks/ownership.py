"""Extra check ``ownership``: open tickets that nobody owns.

Open at the window end, older than the grace period in business days, and with no
assignee or no assignment group. Only fields the export actually fills are judged: an
export without a group column must not make every ticket look unowned. Open is the
backlog's open (:func:`itsm_diag.checks._common.open_now`, the Monday list's too): a
ticket whose status the reading could not put in the vocabulary (a tool's custom status,
one a mapping does not map), with no done time, is open; a clean-up script's closures
(which the backlog sign counts open, no work done) are closed in the tool: nobody need
own them.

Where the export holds a ticket's assignee history (a ServiceNow audit log's
``assignee`` events), its assignee at the window end is the history's, and it counts
unowned on the assignee only when it has had none for more than the grace period since
the update that cleared it (ServiceNow clears the assignee on every group change: a
ticket handed on an hour ago is a recent handoff, not an unowned ticket); the rule's
reasons' ``dated`` variant says so. Where the history does not cover every aged ticket
(a list export holds none), the rule's reasons say what is judged: open more than the
grace period and with no owner now, a fresh handoff included. A ticket is covered when
its source writes the assignee history and it has an event at or before the window end
(:func:`_last_at`): one never assigned has no assignee event, and has had none since its
opening.

The owner is otherwise the one the export shows, as of each ticket's last update. An export cut
after the window end (a current-state list) shows, for a ticket updated since, its owner
then: one that shows none counts unowned, the assignment history (where the events hold
one covering the ticket) gives its group at the window end, and the assignee history its
assignee; the others are unseen: the share counts them owned (a floor), a clear must
hold with them all unowned, and with fewer than ``min_tickets`` seen the check is unknown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import in_kinds, no_field, no_value, note
from itsm_diag.checks._common import open_now as backlog_open
from itsm_diag.rulefiles import REASON_VARIANTS
from itsm_diag.signs.base import (
    Confidence,
    Context,
    Figure,
    Measurement,
    Note,
    ParamMap,
    ratio,
    utc64,
)
from itsm_diag.signs.common import by_code_then, filled

#: the reasons' variant worded by the assignee history (every aged ticket's time without
#: an assignee dated from the update that cleared it); the rule's own reasons judge the
#: owner now
(DATED,) = REASON_VARIANTS["ownership"]


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    has_assignee = bool(ctx.filled(m.ASSIGNEE).any())
    has_group = bool(ctx.filled(m.ASSIGNMENT_GROUP).any())
    if not (has_assignee or has_group):
        return Measurement(unknown=no_field(m.ASSIGNEE, m.ASSIGNMENT_GROUP))
    if not t[m.OPENED_AT].notna().any():
        return Measurement(unknown=no_field(m.OPENED_AT))
    if not t[m.STATUS].notna().any():
        # statuses the reading could not put in the vocabulary: named, not called missing
        return Measurement(unknown=no_value(ctx, [m.STATUS], code="status_unread"))
    if ctx.shape.biases_open_tickets:
        # one selected on its update time lacks the open tickets untouched since its
        # floor (the unowned ones, as likely as not), more than its own show to be few
        shape, cut = ctx.shape, ctx.shape.updated_since
        if cut is not None and cut.reach is not None and not (
                shape.closure or shape.none_open or shape.one_instant):
            return Measurement(unknown=note("update_cut", **cut.params()))
        return Measurement(unknown=note("closure_selected"))

    kinds = in_kinds(ctx, params)
    excluded: list[Note] = []
    notes: list[Note] = []
    # a status the export does not read, with no done time: open, as the backlog counts
    # it (one count of open tickets in one report); with a done time: done then
    no_opened = (kinds & t[m.OPENED_AT].isna() & ~ctx.is_done()
                 & (t[m.STATUS].notna() | ctx.done_at.isna()))
    if no_opened.any():
        excluded.append(note("no_opened", int(no_opened.sum()), ctx.samples(no_opened)))

    open_now = backlog_open(ctx, kinds)
    # business-day ages of the open tickets only (the others are never judged), placed at
    # their rows of a float column (NaN: not open, or no opened time) instead of a
    # reindex of a nullable column by a million labels
    rows = np.flatnonzero(open_now.to_numpy(dtype=bool))
    opened = t[m.OPENED_AT].take(rows)
    # aged to the data's end (a --until past it adds weeks nobody could act in)
    days = ctx.calendar.busday_count(opened,
                                     pd.Series(ctx.window.covered_end, index=opened.index))
    age = np.full(len(t), np.nan)
    age[rows] = days.to_numpy(dtype="float64", na_value=np.nan)
    grace = int(params["grace_business_days"])
    aged = open_now & pd.Series(age > grace, index=t.index)
    n_aged = int(aged.sum())
    if n_aged < int(params["min_tickets"]):
        return Measurement(
            unknown=note("too_few", n=n_aged, min=int(params["min_tickets"]), grace=grace),
            excluded=excluded,
        )

    # a field the export never fills says nothing about ownership: judge only the others
    none = pd.Series(False, index=t.index)
    # one group on every incident and request: a filter on the group (a team's queue)
    # drops exactly the unrouted tickets the no-group share looks for, and a desk whose
    # tool records one group looks the same: that share is not judged, and the
    # assignee's alone can show unowned tickets but not that there are none
    one_group = ctx.shape.one_group
    judged_group = has_group and one_group is None
    # the export holds each ticket's owner as of its last update: a ticket updated after
    # the as-of (a list exported later) shows its owner then, not at the as-of; its
    # group at the as-of is rebuilt from the assignment history where the events hold
    # one, its assignee never is (no history carries it)
    as_of = ctx.window.covered_end
    latest = m.activity_bound(t, last=True)
    cut_later = latest is not None and latest > as_of
    moved = aged & pd.Series(_touched_after(ctx, as_of), index=t.index) if cut_later \
        else none
    rebuilt, grouped = _group_at(ctx, moved, as_of) if judged_group and moved.any() \
        else (none, none)
    # the assignee's history (an audit log's assignee events), where it covers a ticket:
    # its assignee at the as-of, and since when it had none (the update that cleared it:
    # ServiceNow clears the assignee with every group change, and a ticket handed on an
    # hour ago has had no assignee for an hour, not since it was opened)
    dated, assigned, since = _assignee_at(ctx, aged, as_of) if has_assignee \
        else (none, none, pd.Series(pd.NaT, index=t.index, dtype=m.TIMESTAMP_DTYPE))
    without = dated & ~assigned
    # its business days without one: from the clearing, else (none yet) from its opening
    start = since.where(since.notna(), t[m.OPENED_AT])[without]
    gap_days = ctx.calendar.busday_count(start, pd.Series(as_of, index=start.index))
    long_without = pd.Series(False, index=t.index)
    long_without[without] = gap_days.to_numpy(dtype="float64", na_value=np.nan) > grace
    fresh = without & ~long_without
    # no history: a ticket that shows no owner now had none at the as-of either (an
    # owner is seldom taken away); the group history, where it covers a ticket, says
    # which it had then
    no_assignee = ((aged & ~dated & ~ctx.filled(m.ASSIGNEE)) | long_without) if has_assignee \
        else none
    no_group = ((aged & ~rebuilt & ~ctx.filled(m.ASSIGNMENT_GROUP)) | (rebuilt & ~grouped)
                if judged_group else none)
    unowned = no_assignee | no_group
    # updated after the as-of and showing an owner: whether it had that owner then is
    # not seen, unless its history says so (the assignee's where the export fills one,
    # and its group's where the group is judged)
    seen = (dated & (rebuilt if judged_group else True)) if has_assignee else rebuilt
    unseen = moved & ~unowned & ~seen
    for field, present in ((m.ASSIGNEE, has_assignee), (m.ASSIGNMENT_GROUP, has_group)):
        if not present:
            notes.append(note("field_absent", field=field))
    unproven = None
    if has_group and one_group is not None:
        unproven = note("one_group", **one_group.params(), aged=n_aged)
        notes.append(note("one_group_part", **one_group.params()))

    confidence: Confidence = "high"
    clear_case: dict[str, float] = {}
    n_unseen, n_unowned = int(unseen.sum()), int(unowned.sum())
    if cut_later and latest is not None:
        confidence = "medium"
        if not moved.any():
            notes.append(note("current_owner", latest=f"{latest:%Y-%m-%d}"))
        else:
            after: dict[str, Any] = {
                "as_of": f"{as_of:%Y-%m-%d}", "latest": f"{latest:%Y-%m-%d}",
                "days": float((latest - as_of) / pd.Timedelta(days=1)),
                "aged": n_aged, "moved": int(moved.sum()), "rebuilt": int(rebuilt.sum()),
                "dated": int((moved & dated).sum()),
                "unseen": n_unseen, "unowned": n_unowned,
                "worst": (n_unowned + n_unseen) / n_aged}
            history = bool(rebuilt.any() or (moved & dated).any())
            code = ("owner_after_history" if history and not n_unseen
                    else "owner_after_rebuilt" if history
                    else "owner_after" if n_unseen else "owner_after_unowned")
            if n_aged - n_unseen < int(params["min_tickets"]):
                # next to none seen at the as-of: no share of them is a figure
                return Measurement(unknown=note(code, **after), excluded=excluded)
            notes.append(note(code, **after))
            if n_unseen:
                # the share counts the unseen ones as owned (a floor): a trigger stands,
                # a clear must hold with every one of them unowned
                clear_case["unowned_share"] = after["worst"]
                unproven = unproven or note("owner_unseen", **after)

    # what the figures measure: the owner now (the rule's reasons), a ticket handed to a
    # new group moments ago included, unless the assignee history dates every aged
    # ticket's time without an owner (the "dated" variant)
    n_dated = int(dated.sum())
    reasons: str | None = None
    if has_assignee and n_dated == n_aged:
        reasons = DATED
        notes.append(note("dated", aged=n_aged, without=int(without.sum()),
                          fresh=int(fresh.sum()), grace=grace))
    elif n_dated:
        notes.append(note("dated_part", aged=n_aged, dated=n_dated,
                          fresh=int(fresh.sum()), grace=grace))

    oldest_first = pd.Series(age, index=t.index)
    metrics: dict[str, Figure] = {
        "unowned_share": ratio(unowned.sum(), n_aged, ctx.samples(unowned, oldest_first)),
        "unowned_count": Figure(
            value=float(unowned.sum()), sample_ids=ctx.samples(unowned, oldest_first)
        ),
        "open_aged": Figure(value=float(n_aged)),
    }
    if has_assignee:
        metrics["no_assignee_share"] = ratio(
            no_assignee.sum(), n_aged, ctx.samples(no_assignee, oldest_first)
        )
    if judged_group:
        metrics["no_group_share"] = ratio(
            no_group.sum(), n_aged, ctx.samples(no_group, oldest_first)
        )
    both = no_assignee & no_group
    by_gap = [
        {"missing": f"{m.ASSIGNEE}+{m.ASSIGNMENT_GROUP}", "count": int(both.sum())},
        {"missing": m.ASSIGNEE, "count": int((no_assignee & ~no_group).sum())},
        {"missing": m.ASSIGNMENT_GROUP, "count": int((no_group & ~no_assignee).sum())},
    ]
    from itsm_diag.analyses.flow import evidence as flow_evidence

    return Measurement(
        metrics=metrics,
        confidence=confidence,
        # where owned tickets sit untouched, from the flow view (done tickets' history)
        tables={"by_gap": [r for r in by_gap if r["count"]],
                **flow_evidence(ctx, ("idle_by_group",))},
        excluded=excluded,
        notes=notes,
        # the assignee's share alone, or owners not seen at the as-of: a triggered check
        # stands, a clear one is unknown (unless it holds with the unseen ones unowned)
        reasons=reasons,
        absence_unproven=unproven,
        clear_case=clear_case if unproven is not None and unproven.code != "one_group"
        else {},
    )


def _touched_after(ctx: Context, as_of: pd.Timestamp) -> np.ndarray:
    """Per ticket: updated, resolved or closed after ``as_of``, or with an event after it
    (the owner a list shows is the one at that later update). It reads the events after
    the as-of time on purpose (not :meth:`Context.events_by_end`): they are what makes
    the row's owner a later one."""
    t = ctx.tickets
    cut = utc64(as_of).astype("datetime64[us]")
    out = np.zeros(len(t), dtype=bool)
    for column in (m.UPDATED_AT, m.RESOLVED_AT, m.CLOSED_AT):
        out |= t[column].to_numpy(dtype="datetime64[us]") > cut
    ev = ctx.events
    if not ev.empty:
        out |= ctx.tickets_of_events(ev[m.EV_AT].to_numpy(dtype="datetime64[us]") > cut)
    return out


#: the event kinds an audit log's rows make (comments and work logs a list's journal
#: writes too)
_HISTORY_KINDS = ("status", "assignment", "update", "assignee")


def _last_at(ctx: Context, scope: pd.Series, kind: str, as_of: pd.Timestamp
             ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Of the tickets under ``scope``: those whose ``kind`` history (``assignment``: the
    group's, ``assignee``: the assignee's) covers ``as_of``, and for them, each one's last
    ``kind`` event at or before it (its event row and the ticket's id code; a covered
    ticket without one had none yet).

    Covered: its input file writes that history (some ticket of it has a ``kind`` event: an
    audit log writes one for the first row naming a value and for every change, so a
    ticket never assigned has none, and its history is still whole) and it has a history
    event (a status, group, assignee or update row's) at or before the as-of (a log that
    begins after it says nothing of then)."""
    t, ev = ctx.tickets, ctx.events
    nothing = np.zeros(0, dtype=np.int64)
    if ev.empty:
        return pd.Series(False, index=t.index), nothing, nothing
    of_kind = ev[m.EV_KIND].eq(kind).fillna(False).to_numpy(dtype=bool)
    at = ev[m.EV_AT].to_numpy(dtype="datetime64[us]")
    by_cut = at <= utc64(as_of).astype("datetime64[us]")
    # per input file: a list export of the same tool beside the audit log (its requested
    # items) writes no history, and its tickets are no never-assigned ones
    written = ctx.source_holds(f"{kind}_history", lambda: ctx.tickets_of_events(of_kind),
                               per_file=True)
    # a row of the ticket's own history by then (a comment is no history row: a list's
    # journal writes those, and a number with a single row in a log has no history)
    history = ev[m.EV_KIND].isin(_HISTORY_KINDS).fillna(False).to_numpy(dtype=bool)
    covered = scope & pd.Series(written & ctx.tickets_of_events(by_cut & history),
                                index=t.index)
    # the last one at or before the as-of, per ticket (by id code, then time, then the
    # log's own order: two updates of one minute keep their order)
    rows = np.flatnonzero(of_kind & by_cut & ctx.events_of_tickets(covered))
    codes = ctx.event_id_codes[rows]
    order = by_code_then(codes, at[rows].view(np.int64))
    rows, codes = rows[order], codes[order]
    last = np.r_[codes[1:] != codes[:-1], True] if len(rows) else np.zeros(0, dtype=bool)
    return covered, rows[last], codes[last]


def _group_at(ctx: Context, moved: pd.Series, as_of: pd.Timestamp
              ) -> tuple[pd.Series, pd.Series]:
    """Of the tickets under ``moved``: those whose group at ``as_of`` the assignment
    history shows (:func:`_last_at`), and of those, the ones that had a group then (their
    last group event at or before the as-of names one; none yet is none)."""
    rebuilt, rows, codes = _last_at(ctx, moved, "assignment", as_of)
    if not rebuilt.any():
        return rebuilt, rebuilt
    named = filled(ctx.events[m.EV_VALUE].take(rows)).to_numpy(dtype=bool)
    held = np.zeros(len(ctx.id_ranks[1]) + 2, dtype=bool)
    held[codes[named]] = True
    return rebuilt, rebuilt & pd.Series(held[ctx.id_ranks[0]], index=rebuilt.index)


def _assignee_at(ctx: Context, aged: pd.Series, as_of: pd.Timestamp
                 ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Of the tickets under ``aged``: those whose assignee at ``as_of`` the assignee
    history shows (:func:`_last_at`: an audit log's ``assignee`` events, its first row
    naming one and every change, a cleared one included), which of them had one then
    (their last assignee event at or before the as-of names one; none yet is none), and,
    for those with none, when they lost it (that event's time; NaT: never had one, so
    since their opening)."""
    t = ctx.tickets
    since = pd.Series(pd.NaT, index=t.index, dtype=m.TIMESTAMP_DTYPE)
    dated, rows, codes = _last_at(ctx, aged, "assignee", as_of)
    if not dated.any():
        return dated, dated, since
    ev = ctx.events
    named = filled(ev[m.EV_VALUE].take(rows)).to_numpy(dtype=bool)
    held = np.zeros(len(ctx.id_ranks[1]) + 2, dtype=bool)
    held[codes[named]] = True
    cleared = np.full(len(held), np.datetime64("NaT"), dtype="datetime64[us]")
    cleared[codes[~named]] = ev[m.EV_AT].take(rows[~named]).to_numpy(dtype="datetime64[us]")
    ranks = ctx.id_ranks[0]
    assigned = dated & pd.Series(held[ranks], index=t.index)
    when = pd.Series(pd.DatetimeIndex(cleared[ranks]).tz_localize("UTC"), index=t.index)
    return dated, assigned, since.where(~(dated & ~assigned), when.astype(since.dtype))
