"""Extra check ``reopens``: done tickets that had to be reopened.

A ticket done in the window was reopened when its ``reopen_count`` is above zero, or
when its status history goes from a done status back to a working one. Tickets with
neither a count nor a status history are left out, never counted as not reopened.
"""

from __future__ import annotations

from functools import partial

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
    per_month,
    ratio,
)
from itsm_diag.signs.common import fold_key, per_distinct


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
    minimum = int(params["min_tickets"])
    ev = events_of(ctx, "status", scope)
    has_history = ids_mask(ctx, ev[m.EV_TICKET_ID].unique()) & scope
    count = t[m.REOPEN_COUNT]
    known = scope & (count.notna() | has_history)
    if scope.any() and not known.any():
        return Measurement(unknown=no_field(m.REOPEN_COUNT, "status events"))
    n = int(known.sum())
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum))

    excluded: list[Note] = []
    notes: list[Note] = []
    lacking = scope & ~known
    if lacking.any():
        excluded.append(note("no_reopen_data", int(lacking.sum()), ctx.samples(lacking)))
    by_field = known & (count > 0).fillna(False).astype(bool)
    by_history = known & ids_mask(ctx, _reopened_in_history(ev, norm_list(params["done_statuses"])))
    reopened = by_field | by_history
    only_history = by_history & ~by_field
    if only_history.any():
        notes.append(note("from_history", int(only_history.sum()), ctx.samples(only_history)))

    n_reopened = int(reopened.sum())
    order = count.astype("float64")
    monthly = per_month(n_reopened, ctx.window)
    metrics = {
        "reopen_rate": ratio(n_reopened, n, ctx.samples(reopened, order)),
        "reopened_per_month": Figure(
            value=monthly, numerator=float(n_reopened), denominator=ctx.window.months
        ),
    }
    costs: list[Cost] = []
    minutes = handle_minutes(ctx, reopened)
    if n_reopened and minutes.sum() > 0:
        # a reopen costs roughly one more handling of a ticket of that kind
        costs.append(Cost(
            basis="reopens", count=float(n_reopened),
            hours_per_month=per_month(float(minutes.sum()), ctx.window) / 60.0,
            params={"per_month": monthly, "minutes": float(minutes.mean())},
        ))
    return Measurement(
        metrics=metrics,
        tables={"by_kind": _by_kind(t.loc[known, m.KIND], reopened[known])},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
