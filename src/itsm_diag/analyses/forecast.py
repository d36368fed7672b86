"""Analysis ``forecast``: the backlog's forward look at the current rates.

Reads the backlog sign's own weekly series and open count (one number per concept):
the typical week is the median of the window's weekly arrivals, completions and net
change (a one-off clean-up week does not move a median), its spread 1.4826 x the median
absolute deviation of the net change. The backlog in ``h`` weeks is ``open now + h x
median net change``, with an interval of ``z x spread x sqrt(h)`` (weeks varying
independently; ``z`` for the ``interval`` coverage), never below zero. The completions
a week needed to bring the backlog down by the backlog sign's threshold in a quarter
(13 weeks): today's median completions plus the extra ones that turn the median net
change into ``-threshold x open now / 13`` (none when it already shrinks that fast); the
extra ones, in agent hours, at the handle time of the open tickets' kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

from itsm_diag import model as m
from itsm_diag.analyses._util import note
from itsm_diag.checks._common import open_at_end
from itsm_diag.signs.base import Context, Figure, Measurement

QUARTER_WEEKS = 13


def measure(ctx: Context, params: Mapping[str, Any], backlog: Mapping[str, Any]
            ) -> Measurement:
    """``backlog``: the backlog sign's ``status``, ``reason``, ``open_now``, ``weekly``
    rows and ``threshold`` (its ``min_shrink``)."""
    if backlog.get("status") == "unknown":
        return Measurement(unknown=note("backlog_unknown", reason=backlog.get("reason", "")))
    weekly = backlog.get("weekly") or []
    if len(weekly) < int(params["min_weeks"]) or backlog.get("open_now") is None:
        return Measurement(unknown=note("too_few_weeks", n=len(weekly),
                                        min=int(params["min_weeks"])))
    a = np.array([float(r["arrivals"]) for r in weekly])
    c = np.array([float(r["completions"]) for r in weekly])
    net = a - c
    now = float(backlog["open_now"])
    med_a, med_c, med_net = float(np.median(a)), float(np.median(c)), float(np.median(net))
    spread = 1.4826 * float(np.median(np.abs(net - np.median(net))))
    z = NormalDist().inv_cdf(0.5 + float(params["interval"]) / 2)
    projection = []
    metrics: dict[str, Figure] = {
        "open_now": Figure(value=now),
        "arrivals_per_week": Figure(value=med_a, denominator=float(len(a))),
        "completions_per_week": Figure(value=med_c, denominator=float(len(c))),
        "net_per_week": Figure(value=med_net, denominator=float(len(net))),
    }
    for h in params["horizons_weeks"]:
        h = int(h)
        mid = max(now + h * med_net, 0.0)
        half = z * spread * float(np.sqrt(h))
        low, high = max(now + h * med_net - half, 0.0), max(now + h * med_net + half, 0.0)
        projection.append({"weeks": h, "expected": round(mid), "low": round(low),
                           "high": round(high)})
        metrics[f"backlog_in_{h}_weeks"] = Figure(value=float(round(mid)),
                                                  numerator=float(round(low)),
                                                  denominator=float(round(high)))
    shrink = float(backlog["threshold"])
    # the net change a week must reach -shrink x now / 13; today's median net change is
    # med_net: the completions a week must grow by the difference (never below zero)
    extra = max(med_net + shrink * now / QUARTER_WEEKS, 0.0)
    needed = med_c + extra
    minutes = _handle_minutes(ctx)
    metrics["completions_needed_per_week"] = Figure(value=needed, numerator=shrink * now,
                                                    denominator=float(QUARTER_WEEKS))
    metrics["extra_completions_per_week"] = Figure(value=extra)
    metrics["extra_agent_hours_per_week"] = Figure(value=extra * minutes / 60.0)
    return Measurement(
        metrics=metrics, tables={"projection": projection},
        notes=[note("assumptions", weeks=len(a), spread=spread, interval=float(
            params["interval"]), shrink=shrink, minutes=minutes, quarter=QUARTER_WEEKS)])


def _handle_minutes(ctx: Context) -> float:
    """Handle minutes of an open incident or request, weighted by the open tickets' kinds."""
    table = {str(k): float(v) for k, v in (ctx.defaults.get("handle_minutes") or {}).items()}
    kinds = ctx.tickets.loc[open_at_end(ctx) & ctx.of_kind("incident", "request"), m.KIND]
    counts = kinds.astype("object").value_counts()
    if counts.empty:
        return float(table.get("incident", 0.0))
    total = sum(table.get(str(k), 0.0) * int(n) for k, n in counts.items())
    return total / float(counts.sum())
