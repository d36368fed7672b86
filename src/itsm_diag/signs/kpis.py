"""The KPI panel: the five core service KPIs, computed with whatever the export holds.

Returns plain values (the engine wraps them in ``report.Kpis``; this layer must not
import the report model). ``notes`` lists codes ``<kpi>.<reason>`` for what could not be
computed; the report layer words them. Reasons: ``no_done`` (no incident or request
done in the window), ``no_field`` (the field is empty on all of them), ``no_opened``
(nothing opened in the window), ``no_scope`` (no incidents or requests).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.backlog import SCOPE_KINDS, scope_masks, weekly_rows
from itsm_diag.signs.base import Context, utc64
from itsm_diag.signs.common import filled, sla_outcome

TOP_CATEGORIES = 15
OTHER = "(other)"
BLANK = "(blank)"


def _left_out(ctx: Context, scope: pd.Series, done: pd.Series) -> dict[str, int]:
    """What the window and the data leave out of the KPIs, counted, so each definition
    can say it: done after the as-of or before the window start, done time taken from
    the closed time (no resolved time), no opened time, negative durations, opened after
    the as-of."""
    t, w = ctx.tickets, ctx.window
    # UTC datetime64 in numpy: a missing time (NaT) compares False, as the masked
    # comparisons filled with False did
    done_at = ctx.done_at.to_numpy(dtype="datetime64[us]")
    opened = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")
    start, end = utc64(w.start), utc64(w.end)
    in_scope, is_done = scope.to_numpy(dtype=bool), done.to_numpy(dtype=bool)

    def count(mask: np.ndarray) -> int:
        return int((in_scope & mask).sum())

    # done_at took the closed time: a done ticket with a closed time and no resolved
    # time (what ``done_source == closed_at`` says, without a million-row text column;
    # ``done`` holds done times in the window, so its tickets' status is done)
    from_closed = (is_done & t[m.CLOSED_AT].notna().to_numpy(dtype=bool)
                   & t[m.RESOLVED_AT].isna().to_numpy(dtype=bool))
    return {
        "done_after": count(done_at > end), "done_before": count(done_at < start),
        "from_closed": int(from_closed.sum()),
        "no_opened": int((is_done & np.isnat(opened)).sum()),
        "negative": int((is_done & (done_at < opened)).sum()),
        "opened_after": count(opened > end),
        "done_no_time": count(ctx.is_done().to_numpy(dtype=bool) & np.isnat(done_at)),
    }


def _time_to_resolve(ctx: Context, done: pd.Series) -> dict[str, Any]:
    # the done tickets' rows first: the durations of a window's tickets, not of all
    hours = (ctx.done_at[done] - ctx.tickets.loc[done, m.OPENED_AT]) / pd.Timedelta(hours=1)
    # a negative duration is junk, not a very fast resolution
    hours = hours[hours >= 0].dropna().astype("float64")
    n = len(hours)
    return {
        "median": float(hours.median()) if n else None,
        "p90": float(hours.quantile(0.9)) if n else None,
        "n": n,
    }


def _first_assignment(ctx: Context, done: pd.Series) -> tuple[float | None, int, int]:
    """The share never reassigned, and its numerator and denominator."""
    count = ctx.tickets.loc[done, m.REASSIGNMENT_COUNT].dropna()
    never = int((count == 0).sum())
    return (never / len(count) if len(count) else None), never, len(count)


def _sla(ctx: Context, done: pd.Series) -> tuple[float | None, dict[str, int]]:
    """SLA adherence over the done tickets with an SLA outcome, each ticket's
    :func:`~itsm_diag.signs.common.sla_outcome`: the made-SLA flag where the ticket
    carries one, else done by its due time (a due date without a time of day through the
    end of its day). A flag on some tickets (only the urgent ones carry an SLA) leaves the
    others to their due times: the flag on 14% of the tickets must not stand for all of
    them. Also the counts its definition states: ``sla_met`` of ``sla_n`` (``sla_flag``
    read from the flag, ``sla_due`` from the due time), ``sla_neither`` done with
    neither."""
    outcome = sla_outcome(ctx)
    is_done = done.to_numpy(dtype=bool)
    known = is_done & outcome.known
    n_flag = int((known & outcome.by_flag).sum())
    n_due = int((known & outcome.by_due).sum())
    n = n_flag + n_due
    met = int((known & outcome.met).sum())
    counts = {"sla_met": met, "sla_n": n, "sla_flag": n_flag, "sla_due": n_due,
              "sla_neither": int(is_done.sum()) - n}
    return (met / n if n else None), counts


def _volume(ctx: Context, opened: pd.Series) -> dict[str, int]:
    # each distinct category trimmed (or blank) once, then taken for the tickets opened
    codes, distinct = ctx.distinct(m.CATEGORY)
    names = distinct.astype(m.STRING_DTYPE).str.strip().where(filled(distinct), BLANK)
    rows = np.flatnonzero(opened.to_numpy(dtype=bool))
    counts = pd.Series(names.array.take(codes[rows])).value_counts()
    out = {str(k): int(v) for k, v in counts.head(TOP_CATEGORIES).items()}
    rest = int(counts.iloc[TOP_CATEGORIES:].sum())
    if rest:
        out[OTHER] = rest
    return out


def compute_kpis(ctx: Context) -> dict[str, Any]:
    """The KPI panel over incidents and requests: keys as ``report.Kpis``."""
    scope = ctx.of_kind(*SCOPE_KINDS)
    done = scope & ctx.done_in_window()
    opened = scope & ctx.opened_in_window()
    ttr = _time_to_resolve(ctx, done)
    far, far_k, far_n = _first_assignment(ctx, done)
    sla, sla_counts = _sla(ctx, done)
    notes: list[str] = []
    if not scope.any():
        notes.append("all.no_scope")
    reason = "no_field" if done.any() else "no_done"
    for name, value in (("time_to_resolve_hours", ttr["median"]),
                        ("first_assignment_resolution", far), ("sla_adherence", sla)):
        if scope.any() and value is None:
            notes.append(f"{name}.{reason}")
    volume = _volume(ctx, opened) if opened.any() else {}
    if scope.any() and not opened.any():
        notes.append("volume_by_category.no_opened")
    usable, _, _ = scope_masks(ctx)
    weekly = weekly_rows(ctx) if usable.any() else []
    if scope.any() and not usable.any():
        notes.append("backlog_weekly.no_field")
    # the first-assignment figure's counts, as SLA adherence's: ``far_never`` of
    # ``far_n``, ``far_unknown`` done with no reassignment count
    far_counts = {"far_never": far_k, "far_n": far_n,
                  "far_unknown": int(done.sum()) - far_n}
    return {
        # what the window leaves out, and the shares' counts: worded in the KPI
        # definitions
        "left_out": {**_left_out(ctx, scope, done), **sla_counts, **far_counts},
        "time_to_resolve_hours": ttr,
        "first_assignment_resolution": far,
        "sla_adherence": sla,
        # the tickets behind each share: a comparison weighs a move on them
        "counts": {k: {"numerator": a, "denominator": b} for k, a, b in (
            ("first_assignment_resolution", far_k, far_n),
            ("sla_adherence", sla_counts["sla_met"], sla_counts["sla_n"])) if b},
        "volume_by_category": volume,
        "backlog_weekly": weekly,
        "notes": notes,
    }
