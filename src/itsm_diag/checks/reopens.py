"""Extra check ``reopens``: done tickets that had to be reopened.

A ticket done in the window was reopened when its ``reopen_count`` is above zero, or
when its status history goes from a done status back to a working one. Tickets with
neither a count nor a status history are left out, never counted as not reopened; the
rate is measured only when the others are at least ``min_fill`` of the done tickets (the
routing check's rule), and its figures a month are over the weeks those others were done
in (:func:`_covered_months`).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import (
    events_of,
    handle_minutes,
    ids_mask,
    in_kinds,
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
from itsm_diag.signs.common import fold_key, per_distinct, week_edges
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


def _covered_months(ctx: Context, scope: pd.Series, known: pd.Series) -> tuple[float, int, int]:
    """Months (30.44 days) of the window the reopen data covers, and the window's weeks
    (:func:`~itsm_diag.signs.common.week_edges`, a part week before the first counted
    as one) without it and in all.

    A week in which tickets were done but none with a reopen count or a status history
    is left out: its reopens cannot be seen, so a figure a month over it would be spread
    over weeks nothing was measured in (a tool migration: the old tool's last week,
    measured, a month of the new one's, not). A week with no done ticket at all stays in
    (nothing there to miss), so a desk with reopen data on every ticket, or on every
    ticket of some kinds, keeps the window's months.
    """
    w = ctx.window
    lo, hi = w.covered_start.value, w.covered_end.value
    edges = week_edges(w, ctx.tz)
    # the weeks' bounds in ns, clipped to the part of the window the export covers (a
    # week wholly outside it is none)
    bounds = np.unique(np.clip(np.concatenate(([lo], edges[edges > lo])), lo, hi))
    total = len(bounds) - 1
    if total < 1 or not (scope & ~known).any():
        return w.months, 0, total
    done = ctx.done_at.to_numpy(dtype="datetime64[ns]").view(np.int64)
    # week k is (bounds[k], bounds[k + 1]]; a done time at the window start is in week 0
    week = np.clip(np.searchsorted(bounds, done, side="left") - 1, 0, total - 1)
    with_done = np.zeros(total, dtype=bool)
    with_done[week[scope.to_numpy(dtype=bool)]] = True
    with_data = np.zeros(total, dtype=bool)
    with_data[week[known.to_numpy(dtype=bool)]] = True
    bare = with_done & ~with_data
    bare_days = float(np.diff(bounds)[bare].sum()) / 86_400e9
    return max(w.covered_days - bare_days, 0.0) / 30.4375, int(bare.sum()), total


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    scope = in_kinds(ctx, params) & ctx.done_in_window()
    minimum = int(params["min_tickets"])
    ev = events_of(ctx, "status", scope)
    has_history = ids_mask(ctx, ev[m.EV_TICKET_ID].unique()) & scope
    count = t[m.REOPEN_COUNT]
    known = scope & (count.notna() | has_history)
    if scope.any() and not known.any():
        return Measurement(unknown=no_field(m.REOPEN_COUNT, "status events"))
    n = int(known.sum())
    total = int(scope.sum())
    # the routing check's rule: reopen data kept on a few tickets says nothing about the
    # others (a tool migration: the old tool's last week out of a quarter)
    min_fill = float(params["min_fill"])
    # the share beside the bar with the decimals that tell them apart (49.7%, not "50%
    # ... at least 50% needed")
    share = figure_beside(n / total, min_fill, "ratio") if total else ""
    bar = figure_beside(min_fill, n / total, "ratio") if total else ""
    if total and n / total < min_fill:
        return Measurement(unknown=note("sparse", n=n, total=total, share=share, min=bar))
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum))

    excluded: list[Note] = []
    notes: list[Note] = []
    lacking = scope & ~known
    if lacking.any():
        excluded.append(note("no_reopen_data", int(lacking.sum()), ctx.samples(lacking),
                             n=n, total=total, share=share, min=bar))
    months, bare, weeks = _covered_months(ctx, scope, known)
    if bare:
        notes.append(note("covered_weeks", weeks=weeks - bare, total=weeks, bare=bare,
                          months=months))
    by_field = known & (count > 0).fillna(False).astype(bool)
    by_history = known & ids_mask(ctx, _reopened_in_history(ev, norm_list(params["done_statuses"])))
    reopened = by_field | by_history
    only_history = by_history & ~by_field
    if only_history.any():
        notes.append(note("from_history", int(only_history.sum()), ctx.samples(only_history)))

    n_reopened = int(reopened.sum())
    order = count.astype("float64")
    # per month of the weeks the reopen data covers (the window's months when it covers
    # them all: per_month's figure)
    monthly = float(n_reopened) / months if months > 0 else 0.0
    metrics = {
        "reopen_rate": ratio(n_reopened, n, ctx.samples(reopened, order)),
        "reopened_per_month": Figure(
            value=monthly, numerator=float(n_reopened), denominator=months
        ),
    }
    costs: list[Cost] = []
    minutes = handle_minutes(ctx, reopened)
    if n_reopened and minutes.sum() > 0:
        # a reopen costs roughly one more handling of a ticket of that kind
        costs.append(Cost(
            basis="reopens", count=float(n_reopened),
            hours_per_month=(float(minutes.sum()) / months if months > 0 else 0.0) / 60.0,
            params={"per_month": monthly, "minutes": float(minutes.mean())},
        ))
    return Measurement(
        metrics=metrics,
        tables={"by_kind": _by_kind(t.loc[known, m.KIND], reopened[known])},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
