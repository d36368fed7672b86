"""Extra check ``routing``: misrouting and ping-pong between groups.

Share of done tickets reassigned at least N times, and share of tickets whose
assignment history bounces A -> B -> A. The reassignment count comes from the ticket
field, else from the assignment events (group changes after the first assignment).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import (
    events_of,
    ids_mask,
    in_kinds,
    no_field,
    note,
)
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
from itsm_diag.signs.common import fold_key, lookup, per_distinct
from itsm_diag.text import figure_beside


def _history(ev: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Assignment events without consecutive repeats, and the bounce mask on them.

    Re-saving the same group is not a handoff, so consecutive repeats are dropped first;
    then a row bounces when the group two steps back in the same ticket is the same.
    """
    # group names repeat: normalise each distinct value once
    group = per_distinct(ev[m.EV_VALUE], partial(fold_key, spaces=True))
    tid = ev[m.EV_TICKET_ID]
    repeat = (tid.eq(tid.shift()) & group.eq(group.shift())).fillna(False).astype(bool)
    hist = ev.loc[~repeat].assign(
        _group=group[~repeat], _shown=ev.loc[~repeat, m.EV_VALUE].str.strip()
    ).reset_index(drop=True)
    by_ticket = hist.groupby(m.EV_TICKET_ID, sort=False)
    hist["_prev"] = by_ticket["_shown"].shift(1)
    hist["_prev2"] = by_ticket["_group"].shift(2)
    bounce = hist["_group"].eq(hist["_prev2"]).fillna(False).astype(bool)
    return hist, bounce


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    scope = in_kinds(ctx, params) & ctx.done_in_window()
    minimum = int(params["min_tickets"])
    ev = events_of(ctx, "assignment", scope)
    hist, bounce = _history(ev)
    has_history = ids_mask(ctx, hist[m.EV_TICKET_ID].unique()) & scope

    # reassignments: the ticket's own count, else group changes seen in its history
    changes = hist.groupby(m.EV_TICKET_ID).size().sub(1).clip(lower=0)
    # per ticket as floats, NaN where unknown: numpy over the rows, not a nullable Float64
    # column copied at each step (a fresh 9 MB each at a million tickets)
    in_scope = scope.to_numpy(dtype=bool)
    from_events = lookup(t[m.TICKET_ID], changes).to_numpy(dtype="float64", na_value=np.nan)
    field = t[m.REASSIGNMENT_COUNT].to_numpy(dtype="float64", na_value=np.nan)
    count = np.where(in_scope, np.where(np.isnan(field), from_events, field), np.nan)
    measurable = pd.Series(~np.isnan(count), index=t.index)
    if not measurable.any() and not has_history.any():
        if not scope.any():
            return Measurement(unknown=note("too_few", n=0, min=minimum))
        return Measurement(unknown=no_field(m.REASSIGNMENT_COUNT, "assignment events"))

    covered = int((measurable | has_history).sum())
    fill = covered / max(int(scope.sum()), 1)
    if fill < float(params["min_fill"]):
        # the share beside the bar with the decimals that tell them apart (49.7%, not
        # "50% ... at least 50% needed")
        return Measurement(unknown=note("sparse", n=covered, total=int(scope.sum()),
                                        share=figure_beside(fill, float(params["min_fill"]),
                                                            "ratio"),
                                        min=figure_beside(float(params["min_fill"]), fill,
                                                          "ratio")))
    excluded: list[Note] = []
    notes: list[Note] = []
    unmeasured = scope & ~measurable
    if unmeasured.any():
        excluded.append(note("no_count", int(unmeasured.sum()), ctx.samples(unmeasured)))
    used_events = pd.Series(in_scope & np.isnan(field) & ~np.isnan(from_events),
                            index=t.index)
    if used_events.any():
        notes.append(note("count_from_events", int(used_events.sum()), ctx.samples(used_events)))

    metrics: dict[str, Figure] = {}
    costs: list[Cost] = []
    n_measurable = int(measurable.sum())
    n_history = int(has_history.sum())
    order = pd.Series(count, index=t.index)
    if n_measurable >= minimum:
        many = pd.Series(count >= int(params["min_reassignments"]), index=t.index)
        metrics["multi_reassigned_share"] = ratio(
            many.sum(), n_measurable, ctx.samples(many, order)
        )
        # the measured counts only (whole numbers: their sums are exact in any order, so
        # these are np.nanmean's and np.nansum's figures without three full-length copies)
        known = count[measurable.to_numpy(dtype=bool)]
        metrics["mean_reassignments"] = Figure(value=float(known.mean()))
        # a first handoff (desk -> resolver) is normal routing; the rest is rework. A desk
        # whose every ticket goes through a dispatch step has a longer designed path: what
        # the median ticket takes (short of what the threshold calls misrouted) is normal
        normal = int(params["normal_reassignments"])
        typical = int(np.median(known)) if len(known) else 0
        designed = min(max(normal, typical), int(params["min_reassignments"]) - 1)
        if designed > normal:
            notes.append(note("designed_path", typical=typical, designed=designed,
                              normal=normal))
        extra = float(np.clip(known - designed, 0, None).sum())
        extra_month = per_month(extra, ctx.window)
        metrics["extra_reassignments_per_month"] = Figure(
            value=extra_month, numerator=extra, denominator=ctx.window.months
        )
        minutes = float(params["handoff_minutes"])
        if extra_month > 0:
            costs.append(Cost(
                basis="handoffs", count=float(extra),
                hours_per_month=extra_month * minutes / 60.0,
                params={"per_month": extra_month, "minutes": minutes},
            ))
    if n_history >= minimum:
        bounced = ids_mask(ctx, hist.loc[bounce, m.EV_TICKET_ID].unique()) & scope
        metrics["bounce_share"] = ratio(bounced.sum(), n_history, ctx.samples(bounced))
    if not metrics:
        return Measurement(
            unknown=note("too_few", n=max(n_measurable, n_history), min=minimum),
            excluded=excluded,
        )

    all_pairs = hist.loc[bounce, ["_shown", "_prev"]].value_counts()
    pairs = (
        all_pairs
        .head(10)
        .reset_index(name="bounces")
    )
    table = [
        {"group": str(r["_shown"]), "bounced_via": str(r["_prev"]), "bounces": int(r["bounces"])}
        for r in pairs.to_dict("records")
    ]
    from itsm_diag.analyses.flow import evidence as flow_evidence

    tables = {"bounces": table} if table else {}
    # the flow view's pairs, with sample ids (same bounces: one number per concept)
    tables.update(flow_evidence(ctx, ("bounce_pairs", "handoffs")))
    return Measurement(
        metrics=metrics,
        tables=tables,
        table_totals={"bounces": len(all_pairs)} if len(all_pairs) > len(table) else {},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
