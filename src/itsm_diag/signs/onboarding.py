"""S6 ``onboarding``: do new starters still wait for access on day two?

Onboarding requests are request-like tickets opened in the window whose request item,
subcategory, category, summary or labels contain an onboarding word (several languages,
tunable; in labels ``_`` and ``-`` count as spaces, so the Zendesk tag ``new_hire``
matches "new hire"). Request-like: service requests (Zendesk questions are imported as
requests), and tasks: Zendesk teams often type onboarding tickets as tasks. Tasks count
only when the export holds no onboarding request: in ServiceNow and Jira a request's
catalogue or sub-tasks are the steps of fulfilling it, and counting them would count one
new starter several times (the tasks left out are reported). A request is **late**:

- with a start date: when it was not done by ``start_hour`` on the start day, in the run's
  time zone (``--tz``; an open
  request whose deadline has passed is late; one whose deadline is still ahead is pending);
- without one: when it took more than ``max_business_days`` business days from opening to
  done (weekends and ``ctx.calendar`` holidays excluded), both days in ``--tz`` (opened
  Tuesday 08:30 in Tokyo is a Tuesday, not UTC's Monday); an open request already older
  than that is late, a younger one pending.

Pending and cancelled requests are left out of the late share, and reported. Fewer
than ``min_requests`` decided requests make the sign unknown.

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
from itsm_diag.signs.common import contains_in, contains_where, phrase_pattern, too_few

#: where onboarding words are looked for (request type usually lands in subcategory)
FIELDS = (m.REQUEST_ITEM, m.SUBCATEGORY, m.CATEGORY, m.SUMMARY, m.LABELS)
#: request-like kinds, in order of preference (tasks stand in when no request matches)
KINDS = ("request", "task")


def _matches(ctx: Context, rows: pd.Series, pattern: str) -> pd.Series:
    """Tickets under ``rows`` whose onboarding fields hold an onboarding word."""
    t = ctx.tickets
    hits = pd.Series(False, index=t.index)
    chosen = rows.to_numpy(dtype=bool)
    for f in FIELDS:
        if f == m.LABELS:
            # a tag cannot hold a space: new_hire, new-starter
            tags = ctx.per_value(m.LABELS, "onboarding.tag_words",
                                 lambda v: v.str.replace(r"[_\-]+", " ", regex=True))
            hits |= contains_where(tags, rows, pattern, case=False)
        else:  # the ticket column itself: matched on the Context's distinct values
            hits |= contains_in(ctx, f, chosen, pattern, case=False)
    return hits


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t, w, cal = ctx.tickets, ctx.window, ctx.calendar
    meas = Measurement()
    words = [str(x) for x in params.get("words", []) if str(x).strip()]
    limit = int(params.get("max_business_days", 2))
    start_hour = float(params.get("start_hour", 9.0))

    inw = ctx.opened_in_window()
    requests = ctx.of_kind("request") & inw
    tasks = ctx.of_kind("task") & inw
    onb = pd.Series(False, index=t.index)
    onb_tasks = onb
    if words and (requests | tasks).any():
        # once per distinct value of each field (request items and categories repeat)
        pattern = phrase_pattern(words)
        onb = _matches(ctx, requests, pattern)
        onb_tasks = _matches(ctx, tasks, pattern)
    if onb.any() and onb_tasks.any():
        meas.excluded.append(Note(code="tasks_left_out", count=int(onb_tasks.sum()),
                                  sample_ids=ctx.samples(onb_tasks)))
    elif onb_tasks.any():
        onb = onb_tasks
        meas.notes.append(Note(code="onboarding_tasks", count=int(onb.sum())))
    if not onb.any():
        meas.unknown = Note(
            code="no_onboarding_requests", count=int(requests.sum()),
            params={"fields": ", ".join(FIELDS), "words": ", ".join(words),
                    "tasks": int(tasks.sum())},
        )
        return meas

    # a cancelled onboarding request (the hire withdrew) says nothing about speed
    cancelled = onb & (t[m.STATUS] == "cancelled").fillna(False).astype(bool)
    # done by the status without a resolved or closed time: decided, but whether it was
    # late is unknown (left out of the share only within a range the verdict must hold on)
    done_no_time = onb & ~cancelled & ctx.is_done() & ctx.done_at.isna()
    scope = onb & ~cancelled & ~done_no_time
    done = ctx.done_at.where(scope)
    end = pd.Series(w.end, index=t.index)
    until = done.fillna(end)  # open requests are measured up to the as-of time
    lead = cal.busday_count(t[m.OPENED_AT], until)

    has_start = scope & t[m.START_DATE].notna()
    # start_hour on the start day in the run's zone: a start date "2026-01-12" read in
    # Europe/Berlin is 2026-01-11 23:00 UTC, and the UTC day put the deadline on Sunday
    deadline = m.wall_to_utc(m.local_day(t[m.START_DATE], ctx.tz)
                             + pd.Timedelta(hours=start_hour), ctx.tz)[0]
    late_sd = has_start & (until > deadline).fillna(False).astype(bool)
    # an open request is decided only once its deadline has passed
    decided_sd = has_start & (done.notna() | late_sd)

    by_lead = scope & ~has_start & t[m.OPENED_AT].notna()
    late_lt = by_lead & (lead > limit).fillna(False).astype(bool)
    decided_lt = by_lead & (done.notna() | late_lt)

    late = late_sd | late_lt
    decided = decided_sd | decided_lt
    pending = scope & ~decided & (has_start | by_lead)
    no_time = scope & ~has_start & t[m.OPENED_AT].isna()

    n_onb = int(onb.sum())
    meas.metrics["onboarding_requests"] = Figure(value=float(n_onb), sample_ids=ctx.samples(onb))
    for code, mask in (("cancelled", cancelled), ("pending", pending), ("no_opened", no_time)):
        if mask.any():
            meas.excluded.append(Note(code=code, count=int(mask.sum()),
                                      sample_ids=ctx.samples(mask)))
    n_decided, n_late = int(decided.sum()), int(late.sum())
    n_unknown = int(done_no_time.sum())
    n_all = n_decided + n_unknown  # done ones count as decided, their lateness or not
    # the late share the done requests without a done time could make: all on time, all late
    span = {"count": n_unknown, "decided": n_all, "late": n_late,
            "low": n_late / n_all if n_all else 0.0,
            "high": (n_late + n_unknown) / n_all if n_all else 0.0}
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
    if n_unknown:
        # graded on the share of the timed ones, and again at both ends of the range: a
        # triggered verdict must hold with them all on time, a clear one with them all late
        unproven = Note(code="lateness_unknown_decides", count=n_unknown, params=span)
        meas.presence_unproven = meas.absence_unproven = unproven
        meas.worst_case = {"late_share": span["low"]}
        meas.clear_case = {"late_share": span["high"]}
    meas.metrics["late_requests"] = Figure(value=float(late.sum()), sample_ids=ctx.samples(late))
    # the late share's denominator, said beside it: "3 of 33 decided", not "3 of 34 found"
    meas.metrics["decided_requests"] = Figure(value=float(n_decided),
                                              sample_ids=ctx.samples(decided))
    meas.metrics["start_date_share"] = ratio(int(has_start.sum()), int(scope.sum()),
                                             ctx.samples(has_start))
    done_lead = lead[scope & done.notna()].dropna()
    meas.metrics["median_lead_business_days"] = Figure(
        value=float(done_lead.median()) if len(done_lead) else None,
        numerator=None, denominator=float(len(done_lead)),
    )
    # the lead-time rule is a proxy for "ready on day one": say how much rests on it
    n_sd, n_lt = int(decided_sd.sum()), int(decided_lt.sum())
    meas.notes.append(Note(code="basis", params={"with_start": n_sd, "without_start": n_lt,
                                                 "limit": limit, "hour": start_hour,
                                                 "tz": ctx.tz}))
    meas.confidence = "high" if n_sd >= n_lt else "medium"

    sel = scope & (has_start | by_lead)
    frame = pd.DataFrame({
        "ticket_id": t.loc[sel, m.TICKET_ID].astype(str),
        # the day its business days are counted from: the opened day in the run's zone
        "opened": m.local_day(t.loc[sel, m.OPENED_AT], ctx.tz).dt.strftime("%Y-%m-%d"),
        "business_days": lead[sel],
        "done": done[sel].notna(),
        "late": late[sel],
        "rule": has_start[sel].map({True: "start_date", False: "lead_time"}),
    }, copy=False).sort_values(["opened", "ticket_id"], kind="stable").astype(object)
    meas.series["lead_times"] = frame.where(frame.notna(), None).to_dict("records")

    # the new starters' wait: business days each late request ran past its deadline (at
    # least one), priced in *their* hours. Evidence, not a cost: costs are agent hours.
    past_sd = cal.busday_count(t[m.START_DATE], until).clip(lower=1)
    days_late = past_sd.where(late_sd).fillna((lead - limit).where(late_lt)).fillna(0)
    total_days = float(days_late[late].sum())
    starter_hours = float(params.get("lost_hours_per_late_day", 4.0))
    meas.metrics["starter_hours_lost_per_month"] = Figure(
        value=per_month(total_days, w) * starter_hours,
        numerator=total_days * starter_hours, denominator=w.months, sample_ids=ctx.samples(late),
    )
    # the cost: agent time spent on each late request (chasing, escalating, stop-gap access)
    minutes = float(params.get("expedite_minutes", 45.0))
    if n_late and minutes > 0:
        meas.costs.append(Cost(
            basis="expedite",
            hours_per_month=per_month(n_late, w) * minutes / 60.0,
            params={"late_per_month": per_month(n_late, w), "minutes": minutes},
        ))
    return meas
