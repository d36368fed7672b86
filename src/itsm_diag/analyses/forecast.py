"""Analysis ``forecast``: the backlog's forward look along the backlog sign's trend.

Reads the backlog sign's own weekly series and open count (one number per concept): the
net change a week is the slope of the sign's trend line (the ``trend`` of its weekly rows:
the Theil-Sen line behind its start and end levels, mass closures left out), the rates
are the means of the trend's weeks, the spread 1.4826 x the median absolute deviation of
those weeks' arrivals minus completions. With mass closures the rates, the spread and the
deviations from the line are of the series the trend is fitted to (the sign's
``trend_weekly``: their tickets left out). The backlog in ``h`` weeks is ``open now + h x
trend a week``, with an interval of ``z x sqrt(spread^2 x h + (h x se)^2)``: the weeks
varying independently, and the trend's own uncertainty (``se``: 1.4826 x the median
absolute deviation of the week-end backlogs' deviations from the sign's published trend
line, the ``trend`` of its weekly rows, rounded to 0.1: the line the projection moves
along, over the square root of the sum of squared distances of the weeks from their
middle), which grows with ``h``, not ``sqrt(h)``; ``z`` for the ``interval`` coverage;
never below zero. This ``se`` is not the one of the backlog sign's noise rule
(:func:`itsm_diag.signs.backlog._shrink_in_noise`), which refits the Theil-Sen line
unrounded and takes the larger of this scatter and the deviations' root mean square over
``n - 2`` weeks, since a month's 4 or 5 week ends can be all its evidence: the forecast's
trend spans ``min_weeks`` or more weeks (6 by default), where the robust scatter keeps
one odd week from widening the projection, and the weeks' own variation (``spread``)
keeps the interval open when the scatter is small. The completions
a week needed to bring the backlog down by the backlog sign's threshold in a quarter
(13 weeks): today's mean completions plus the extra ones that bring the trend down to
``-threshold x open now / 13`` (none when it already shrinks that fast); the extra ones,
in agent hours, at the handle time of the open tickets' kinds. A trend the backlog sign
found lacking the tickets of an export cut on the opened date, and not shrinking
(:func:`itsm_diag.signs.backlog.trend_cut`), is not projected: its growth may be the
cut's ramp.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

from itsm_diag import model as m
from itsm_diag.analyses._util import note
from itsm_diag.checks._common import open_now
from itsm_diag.signs.backlog import trend_cut
from itsm_diag.signs.base import Context, Figure, Measurement

QUARTER_WEEKS = 13


def measure(ctx: Context, params: Mapping[str, Any], backlog: Mapping[str, Any]
            ) -> Measurement:
    """``backlog``: the backlog sign's ``status``, ``reason``, ``open_now``, ``weekly``
    rows (with its ``trend`` line) and ``threshold`` (its ``min_shrink``)."""
    if backlog.get("status") == "unknown":
        return Measurement(unknown=note("backlog_unknown", reason=backlog.get("reason", "")))
    # a trend that lacks the tickets an export cut on the opened date does not hold, and
    # did not shrink, may show the cut's ramp as growth: not projected, as when unknown
    cut = trend_cut(ctx)
    if cut is not None:
        return Measurement(unknown=note(
            "cut_unbounded" if "still" in cut else "cut_estimate", **cut))
    weekly = list(backlog.get("weekly") or [])
    # the weeks of the sign's trend (the weeks before the export's first ticket and an
    # open-date ramp are left out of it, and of the rates here)
    at = [i for i, r in enumerate(weekly) if r.get("trend") is not None]
    if len(at) < max(int(params["min_weeks"]), 2) or backlog.get("open_now") is None:
        return Measurement(unknown=note("too_few_weeks", n=len(at),
                                        min=int(params["min_weeks"])))
    # the series the trend is fitted to: with a mass closure, the sign's weekly series
    # without its tickets (a clean-up script's closures are no throughput, and the raw
    # backlog sits off the line by them until the clean-up)
    fitted = list(backlog.get("trend_weekly") or weekly)
    if len(fitted) != len(weekly):
        fitted = weekly
    weeks = [fitted[i] for i in at]
    a = np.array([float(r["arrivals"]) for r in weeks])
    c = np.array([float(r["completions"]) for r in weeks])
    net = a - c
    now = float(backlog["open_now"])
    moved = float(weekly[at[-1]]["trend"]) - float(weekly[at[0]]["trend"])
    slope = moved / float(at[-1] - at[0])
    mean_a, mean_c = float(a.mean()), float(c.mean())
    spread = 1.4826 * float(np.median(np.abs(net - np.median(net))))
    # the trend's slope is itself uncertain: noise in a flat backlog must not project as
    # a certain drift (a stationary queue of 57 read "33 (13-53)" in 12 weeks)
    off = np.array([float(fitted[i]["open"]) - float(weekly[i]["trend"]) for i in at
                    if fitted[i].get("open") is not None])
    t = np.array(at, dtype=float)
    se = (1.4826 * float(np.median(np.abs(off - np.median(off))))
          / float(np.sqrt(((t - t.mean()) ** 2).sum()))) if len(off) else 0.0
    z = NormalDist().inv_cdf(0.5 + float(params["interval"]) / 2)
    projection = []
    metrics: dict[str, Figure] = {
        "open_now": Figure(value=now),
        "arrivals_per_week": Figure(value=mean_a, numerator=float(a.sum()),
                                    denominator=float(len(a))),
        "completions_per_week": Figure(value=mean_c, numerator=float(c.sum()),
                                       denominator=float(len(c))),
        "net_per_week": Figure(value=slope, numerator=moved,
                               denominator=float(at[-1] - at[0])),
    }
    for h in params["horizons_weeks"]:
        h = int(h)
        mid = now + h * slope
        half = z * float(np.sqrt(spread ** 2 * h + (h * se) ** 2))
        projection.append({"weeks": h, "expected": round(max(mid, 0.0)),
                           "low": round(max(mid - half, 0.0)),
                           "high": round(max(mid + half, 0.0))})
        metrics[f"backlog_in_{h}_weeks"] = Figure(value=float(round(max(mid, 0.0))))
    shrink = float(backlog["threshold"])
    # the trend must reach -shrink x now / 13 a week; today it runs at slope: the
    # completions a week must grow by the difference (never below zero)
    extra = max(slope + shrink * now / QUARTER_WEEKS, 0.0)
    needed = mean_c + extra
    minutes = _handle_minutes(ctx)
    # no numerator and denominator: a sum of a mean and a rate, no ratio of two counts
    metrics["completions_needed_per_week"] = Figure(value=needed)
    metrics["extra_completions_per_week"] = Figure(value=extra)
    metrics["extra_agent_hours_per_week"] = Figure(value=extra * minutes / 60.0)
    return Measurement(
        metrics=metrics, tables={"projection": projection},
        notes=[note("assumptions", weeks=len(weeks), spread=spread, interval=float(
            params["interval"]), shrink=shrink, minutes=minutes, quarter=QUARTER_WEEKS)])


def _handle_minutes(ctx: Context) -> float:
    """Handle minutes of an open incident or request, weighted by the open tickets' kinds."""
    table = {str(k): float(v) for k, v in (ctx.defaults.get("handle_minutes") or {}).items()}
    kinds = ctx.tickets.loc[open_now(ctx, ctx.of_kind("incident", "request")), m.KIND]
    counts = kinds.astype("object").value_counts()
    if counts.empty:
        return float(table.get("incident", 0.0))
    total = sum(table.get(str(k), 0.0) * int(n) for k, n in counts.items())
    return total / float(counts.sum())
