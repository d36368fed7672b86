"""Extra check ``reopens``: done tickets that had to be reopened.

A ticket done in the window (not one a clean-up script closed: the backlog sign's mass
closure, left out and counted) was reopened when its ``reopen_count`` is above zero, or
when its status history goes from a done status back to a working one. Tickets with
neither a count nor a status history are left out, never counted as not reopened; the
rate is measured only when the others are at least ``min_fill`` of the done tickets of
the kinds that carry reopen data at all (the routing check's rule: a ServiceNow list
keeps ``reopen_count`` on incidents only, and its requests, changes and tasks are no
gap in it). Its figures a month are the rate scaled to those kinds' done tickets in the
window, over the window's months.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import (
    events_of,
    ids_mask,
    in_kinds,
    left_out_notes,
    no_field,
    norm_list,
    note,
)
from itsm_diag.signs.base import (
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    ratio,
)
from itsm_diag.signs.common import (
    effort_minutes,
    effort_words,
    fold_key,
    left_out_done,
    per_distinct,
)
from itsm_diag.text import figure_beside


def _reopened_in_history(ev: pd.DataFrame, done_words: set[str]) -> pd.Series:
    """Ticket ids whose status goes from a done value to a non-done one (or says 'reopen')."""
    # statuses repeat: normalise each distinct value once
    status = per_distinct(ev[m.EV_VALUE], partial(fold_key, spaces=True))
    is_done = status.isin(done_words).fillna(False).astype(bool)
    was_done = is_done.groupby(ev[m.EV_TICKET_ID], sort=False).shift(1)
    back = was_done.fillna(False).astype(bool) & ~is_done
    # some tools log the reopen itself as a status ('Reopened', 're-opened')
    says = per_distinct(status, lambda s: s.str.contains(r"re-?open", regex=True)).fillna(
        False).astype(bool)
    return ev.loc[back | says, m.EV_TICKET_ID].drop_duplicates()


def _by_kind(kinds: pd.Series, reopened: pd.Series) -> list[dict[str, object]]:
    frame = pd.DataFrame({"kind": kinds.astype("object"), "reopened": reopened.astype(int)},
                         copy=False)
    grouped = frame.groupby("kind")["reopened"].agg(["size", "sum"])
    return [
        {"kind": str(k), "done": int(r["size"]), "reopened": int(r["sum"]),
         "share": round(float(r["sum"]) / float(r["size"]), 4)}
        for k, r in grouped.iterrows()
    ]


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    scope = in_kinds(ctx, params) & ctx.done_in_window()
    # the done work a reopen would undo: the done-work split the KPI panel and the drivers
    # leave out (:func:`~itsm_diag.signs.common.left_out_done`): a machine's alert that
    # fires again, a clean-up script's closures, cancelled tickets and a major incident's
    # children reopen no fix of their own (the drivers' "Reopened" read 31 of 620 beside
    # this check's 31 of 690 on the demo)
    left = left_out_done(ctx, scope)
    said = left_out_notes(ctx, left)
    scope = left.kept
    minimum = int(params["min_tickets"])
    ev = events_of(ctx, "status", scope)
    has_history = ids_mask(ctx, ev[m.EV_TICKET_ID].unique()) & scope
    count = t[m.REOPEN_COUNT]
    known = scope & (count.notna() | has_history)
    if scope.any() and not known.any():
        return Measurement(unknown=no_field(m.REOPEN_COUNT, "status events"))
    # the kinds that carry reopen data at all: a ServiceNow list keeps reopen_count on
    # incidents only (sc_req_item, change_request, problem and task have no such field),
    # so a desk with more requests than incidents is no sparse export; the done tickets
    # of the other kinds are left out and named
    kinds = t[m.KIND]
    carried = scope & kinds.isin(kinds[known].unique())
    # the routing check's rule, per kind: reopen data kept on a few tickets of a kind says
    # nothing about the others (a tool migration, incidents in both tools: the old tool's
    # last week out of a quarter; 61 of 1,600 requests with a count beside incidents with
    # one on each). A kind under min_fill is left out and named; unknown when none holds
    min_fill = float(params["min_fill"])
    done_by = kinds[carried].value_counts()
    done_by = done_by[done_by > 0]  # a categorical counts its unused kinds too
    known_by = kinds[known].value_counts().reindex(done_by.index, fill_value=0)
    held = [k for k in done_by.index if done_by[k] and known_by[k] / done_by[k] >= min_fill]
    thin = scope & carried & ~kinds.isin(held)
    n, total = int(known.sum()), int(carried.sum())
    if not held and total:
        # the share beside the bar with the decimals that tell them apart (49.7%, not
        # "50% ... at least 50% needed")
        return Measurement(unknown=note(
            "sparse", n=n, total=total, share=figure_beside(n / total, min_fill, "ratio"),
            min=figure_beside(min_fill, n / total, "ratio")))
    carried &= kinds.isin(held)
    known = known & carried
    n, total = int(known.sum()), int(carried.sum())
    share = figure_beside(n / total, min_fill, "ratio") if total else ""
    bar = figure_beside(min_fill, n / total, "ratio") if total else ""
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum))

    excluded: list[Note] = said
    notes: list[Note] = []
    other_kinds = scope & ~carried & ~thin
    if other_kinds.any():
        names = sorted(str(k) for k in kinds[other_kinds].unique())
        excluded.append(note("kinds_without_data", int(other_kinds.sum()),
                             ctx.samples(other_kinds), kinds=", ".join(names)))
    for kind in (k for k in done_by.index if k not in held):
        done_k, known_k = int(done_by[kind]), int(known_by[kind])
        rows = thin & (kinds == kind).to_numpy(dtype=bool)
        excluded.append(note("kind_sparse", int(rows.sum()), ctx.samples(rows), kind=str(kind),
                             n=known_k, total=done_k,
                             share=figure_beside(known_k / done_k, min_fill, "ratio"),
                             min=figure_beside(min_fill, known_k / done_k, "ratio")))
    lacking = carried & ~known
    if lacking.any():
        excluded.append(note("no_reopen_data", int(lacking.sum()), ctx.samples(lacking),
                             n=n, total=total, share=share, min=bar))
    by_field = known & (count > 0).fillna(False).astype(bool)
    by_history = known & ids_mask(ctx, _reopened_in_history(ev, norm_list(params["done_statuses"])))
    reopened = by_field | by_history
    only_history = by_history & ~by_field
    if only_history.any():
        notes.append(note("from_history", int(only_history.sum()), ctx.samples(only_history)))

    n_reopened = int(reopened.sum())
    order = count.astype("float64")
    # a month: the measured rate over the done tickets of the kinds with reopen data in
    # the window, over the window's months; the rate stands for the tickets without data
    # once min_fill holds (a migration whose new tool keeps 60% of every week's tickets
    # is not 40% low), and a desk with data on every ticket gets its reopens a month
    months = ctx.window.months
    # per kind: its reopens scaled to its own done tickets (a kind's rate never stands
    # for another's: incidents reopened at 8% beside requests at 1%)
    # over the reopened tickets' rows, each kind at the handle time every cost prices it
    # at (its median logged time where enough is logged, else handle_minutes)
    minutes = effort_minutes(ctx, reopened)
    minutes_by = minutes.groupby(kinds.loc[minutes.index].astype("object")).sum()
    seen_by = kinds[known].astype("object").value_counts()
    done_in = kinds[carried].astype("object").value_counts()
    reopened_by = kinds[reopened].astype("object").value_counts()
    expected = spent = 0.0
    for kind in held:  # a kind or a few: per distinct value
        seen = int(seen_by.get(kind, 0))
        if not seen:
            continue
        scale = int(done_in.get(kind, 0)) / seen
        expected += int(reopened_by.get(kind, 0)) * scale
        spent += float(minutes_by.get(kind, 0.0)) * scale
    monthly = expected / months if months > 0 else 0.0
    metrics = {
        "reopen_rate": ratio(n_reopened, n, ctx.samples(reopened, order)),
        "reopened_per_month": Figure(value=monthly, numerator=expected, denominator=months),
    }
    costs: list[Cost] = []
    if n_reopened and minutes.sum() > 0:
        # a reopen costs roughly one more handling of a ticket of that kind, the reopened
        # tickets' minutes scaled as their count is, kind by kind
        hours = spent / months / 60.0 if months > 0 else 0.0
        costs.append(Cost(
            basis="reopens", count=float(n_reopened), hours_per_month=hours,
            params={"per_month": monthly, "minutes": float(minutes.mean()),
                    "effort": effort_words(ctx, reopened_by.index)},
        ))
    return Measurement(
        metrics=metrics,
        tables={"by_kind": _by_kind(t.loc[known, m.KIND], reopened[known])},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
