"""Extra check ``ownership``: open tickets that nobody owns.

Open at the window end, older than the grace period in business days, and with no
assignee or no assignment group. Only fields the export actually fills are judged: an
export without a group column must not make every ticket look unowned. Open is the
backlog's open (:func:`itsm_diag.checks._common.open_now`, the Monday list's too): a
ticket whose status the export's mapping does not read, with no done time, is open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import in_kinds, no_field, note
from itsm_diag.checks._common import open_now as backlog_open
from itsm_diag.signs.base import Confidence, Context, Figure, Measurement, Note, ParamMap, ratio


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    has_assignee = bool(ctx.filled(m.ASSIGNEE).any())
    has_group = bool(ctx.filled(m.ASSIGNMENT_GROUP).any())
    if not (has_assignee or has_group):
        return Measurement(unknown=no_field(m.ASSIGNEE, m.ASSIGNMENT_GROUP))
    if not t[m.OPENED_AT].notna().any():
        return Measurement(unknown=no_field(m.OPENED_AT))
    if not t[m.STATUS].notna().any():
        return Measurement(unknown=no_field(m.STATUS))
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
    no_assignee = aged & ~ctx.filled(m.ASSIGNEE) if has_assignee else none
    no_group = aged & ~ctx.filled(m.ASSIGNMENT_GROUP) if judged_group else none
    unowned = no_assignee | no_group
    for field, present in ((m.ASSIGNEE, has_assignee), (m.ASSIGNMENT_GROUP, has_group)):
        if not present:
            notes.append(note("field_absent", field=field))
    unproven = None
    if has_group and one_group is not None:
        unproven = note("one_group", **one_group.params(), aged=n_aged)
        notes.append(note("one_group_part", **one_group.params()))

    # the export holds today's owner: with an earlier window end the owner may have changed
    latest = m.activity_bound(t, last=True)
    confidence: Confidence = "high"
    if latest is not None and latest > ctx.window.end:
        notes.append(note("current_owner", latest=f"{latest:%Y-%m-%d}"))
        confidence = "medium"

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
        # the assignee's share alone: a triggered check stands, a clear one is unknown
        absence_unproven=unproven,
    )
