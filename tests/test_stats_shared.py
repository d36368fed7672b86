"""One implementation each for the statistics written twice before: Fisher's exact test
(drivers' one-sided tail, compare's two-sided move), the backlog's unseen-ticket estimate
(``_reach`` and ``_unseen_at_start``), and the two trend-slope standard errors that are
different on purpose (the backlog's noise rule and the forecast)."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import compare, config, engine, stats, synth
from itsm_diag import model as m
from itsm_diag.analyses import drivers, forecast
from itsm_diag.signs import backlog
from itsm_diag.signs.base import Context

# ---- Fisher's exact test -----------------------------------------------------------------


def _pmf(x: int, draws: int, events: int, total: int) -> Fraction:
    """P(X = x), X hypergeometric, exactly."""
    if x < 0 or x > draws or x > events or draws - x > total - events:
        return Fraction(0)
    return Fraction(math.comb(events, x) * math.comb(total - events, draws - x),
                    math.comb(total, draws))


def _support(draws: int, events: int, total: int) -> range:
    return range(max(0, draws + events - total), min(draws, events) + 1)


def _tables(most: int) -> list[tuple[int, int, int]]:
    """Every (draws, events, total) with total up to ``most``."""
    return [(draws, events, total) for total in range(most + 1)
            for events in range(total + 1) for draws in range(total + 1)]


def test_the_upper_tail_is_the_exact_sum_over_a_grid_of_small_tables() -> None:
    rows = [(k, draws, events, total) for draws, events, total in _tables(12)
            for k in range(-1, draws + 2)]
    k, n, events, total = (np.array(c) for c in zip(*rows, strict=True))
    got = stats.upper_tail(k, n, events, total)
    want = [float(sum((_pmf(x, dr, ev, to) for x in range(max(kk, 0), dr + 1)),
                      Fraction(0)))
            for kk, dr, ev, to in rows]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_the_two_sided_p_is_the_exact_sum_over_a_grid_of_small_tables() -> None:
    for draws, events, total in _tables(12):
        pmf = {x: _pmf(x, draws, events, total) for x in _support(draws, events, total)}
        for k, at in pmf.items():
            # an outcome no likelier than the one seen (exact ties count)
            want = float(sum((p for p in pmf.values() if p <= at), Fraction(0)))
            assert stats.fisher_two_sided(k, draws, events, total) == pytest.approx(
                want, rel=1e-12), (k, draws, events, total)


def test_the_two_sided_p_of_larger_tables_against_the_exact_sum() -> None:
    rng = np.random.default_rng(3)
    for _ in range(60):
        total = int(rng.integers(20, 400))
        events, draws = (int(v) for v in rng.integers(0, total + 1, 2))
        support = _support(draws, events, total)
        k = int(rng.integers(support.start, support.stop))
        pmf = [_pmf(x, draws, events, total) for x in support]
        at = pmf[k - support.start]
        want = float(sum((p for p in pmf if p <= at), Fraction(0)))
        assert stats.fisher_two_sided(k, draws, events, total) == pytest.approx(
            want, rel=1e-9, abs=1e-300)


def test_compare_and_drivers_use_the_one_implementation() -> None:
    assert drivers.upper_tail is stats.upper_tail
    # Fisher's tea: 3 of 4 cups against 1 of 4, two-sided p = 34/70
    assert compare._fisher(3, 4, 1, 4) == pytest.approx(34 / 70, rel=1e-12)
    # k of n each: the old share's count among the old tickets, both shares' outcomes
    for k_old, n_old, k_new, n_new in [(689, 984, 640, 990), (0, 5, 5, 5), (2, 30, 9, 41)]:
        pmf = [_pmf(x, n_old, k_old + k_new, n_old + n_new)
               for x in _support(n_old, k_old + k_new, n_old + n_new)]
        at = _pmf(k_old, n_old, k_old + k_new, n_old + n_new)
        want = float(sum((p for p in pmf if p <= at), Fraction(0)))
        assert compare._fisher(k_old, n_old, k_new, n_new) == pytest.approx(want, rel=1e-9)


def test_the_ratio_of_successive_hypergeometric_probabilities() -> None:
    for draws, events, total in _tables(9):
        support = _support(draws, events, total)
        x = np.arange(support.start, support.stop - 1, dtype=float)
        got = stats.hypergeom_log_ratio(x, events, draws, total)
        want = [math.log(_pmf(int(v) + 1, draws, events, total)
                         / _pmf(int(v), draws, events, total)) for v in x]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


# ---- the backlog's unseen tickets: one estimate for _reach and _unseen_at_start ----------


def _trend(weeks: int, end: str = "2026-03-01") -> pd.DataFrame:
    rng = np.random.default_rng(weeks)
    return pd.DataFrame({
        "week_end": pd.date_range(end=pd.Timestamp(end, tz="UTC"), periods=weeks, freq="7D"),
        "arrivals": rng.integers(20, 60, weeks),
        "open": rng.integers(50, 90, weeks)})


def _km_beyond(stays: list[float], done: list[bool], gap: float) -> float:
    """The area under the Kaplan-Meier survival curve of ``stays`` (those not ``done``
    cut short) from ``gap`` to the longest stay, one distinct time after another."""
    stays = [max(s, 0.0) for s in stays]
    survival, area, before = 1.0, 0.0, 0.0
    for t in sorted(set(stays)):
        area += survival * max(t - max(before, gap), 0.0)
        at_risk = sum(1 for s in stays if s >= t)
        ended = sum(1 for s, d in zip(stays, done, strict=True) if s == t and d)
        survival *= 1.0 - ended / at_risk
        before = t
    return area


def test_the_unseen_estimate_is_arrivals_a_day_times_the_mean_stay_beyond_each_gap() -> None:
    trend = _trend(13)
    earliest = pd.Timestamp(trend["week_end"].iloc[0]) - pd.Timedelta(days=9.5)
    rng = np.random.default_rng(5)
    opened = (earliest.value // 1000) + rng.integers(0, 80 * 86_400, 300) * 10**6
    end = opened + rng.integers(0, 60 * 86_400, 300) * 10**6
    end[:40] = end[40:80]  # ties, between stays ended and stays cut short
    for done in (np.ones(300, dtype=bool), rng.random(300) < 0.7):
        for first in (0, 2, 5):
            got, per_day = backlog._unseen(opened, end, done, earliest, trend, first)
            days = trend["arrivals"].to_numpy()[first:].sum() / (7 * (13 - first))
            assert per_day == pytest.approx(days, rel=1e-12)
            stays = ((end - opened) / 86_400e6).tolist()
            gaps = [max((w - earliest).total_seconds() / 86_400, 0.0)
                    for w in trend["week_end"].iloc[first:]]
            want = [days * _km_beyond(stays, done.tolist(), g) for g in gaps]
            assert got == pytest.approx(want, rel=1e-9)
            if done.all():  # every stay ended: the plain mean stay beyond each gap
                plain = [days * statistics.fmean(max(s - g, 0.0) for s in stays) for g in gaps]
                assert got == pytest.approx(plain, rel=1e-9)
    none, _ = backlog._unseen(opened[:0], end[:0], done[:0], earliest, trend, 3)
    assert none.tolist() == [0.0] * 10


def _ctx(tickets: pd.DataFrame, events: pd.DataFrame, rules: config.Rules) -> Context:
    window = engine.choose_window(tickets, rules).window
    return Context(tickets=tickets, events=events, window=window,
                   defaults=rules.defaults.model_dump(),
                   analyses={a.id: a.params for a in rules.analyses.values()})


@pytest.fixture(scope="module")
def world() -> synth.Synthetic:
    return synth.generate(1500, seed=11, weeks=20)


def test_reach_answers_only_whether_the_export_reaches_back(world: synth.Synthetic) -> None:
    """_reach's one answer, against the estimate computed here from the tickets: it lacks
    the tickets opened before a (pretended) late first ticket and still open at the first
    week's end, arrivals a day x the mean stay beyond that distance."""
    rules = config.load_rules()
    ctx = _ctx(world.tickets, world.events, rules)
    keep, _, _ = backlog.scope_masks(ctx)
    trend = backlog.raw_weekly(ctx)
    params = dict(rules.signs["backlog"].params)
    t = ctx.tickets
    opened = t[m.OPENED_AT]
    outcomes: set[tuple[bool, bool]] = set()
    for first in (2, 6):
        week_end = pd.Timestamp(trend["week_end"].iloc[first])
        for lag_days in (0.5, 3.0, 30.0, 200.0):
            earliest = week_end - pd.Timedelta(days=lag_days)
            gap = lag_days
            ended = ctx.done_at.notna() & (ctx.done_at <= ctx.window.end)
            end = ctx.done_at.where(ended, ctx.window.end)
            rows = keep & opened.notna()
            stays = ((end[rows] - opened[rows]) / pd.Timedelta(days=1)).to_numpy(float)
            per_day = trend["arrivals"].to_numpy()[first:].sum() / (7 * (len(trend) - first))
            missing = per_day * _km_beyond(stays.tolist(), ended[rows].tolist(), gap)
            seen = float(trend["open"].iloc[first])
            done = keep & ctx.done_at.notna() & opened.notna()
            early = done & (opened <= week_end)
            took = ((ctx.done_at - opened)[early if early.any() else done]
                    / pd.Timedelta(days=1))
            # every done ticket's stay, or none; a missing share that counts or not
            for share, least in [(0.0, 0.01), (1.0, 0.01), (1.0, 0.6)]:
                got = backlog._reach(ctx, keep, earliest, trend, first, {
                    **params, "reach_done_share": share, "unseen_min_share": least},
                    lambda: backlog.stays_of(ctx, keep))
                assert type(got) is bool
                quantile = float(took[took >= 0].quantile(share))
                far_enough = missing < 1.5 or missing / (seen + missing) < least
                assert got == (gap >= quantile or far_enough), (first, lag_days, share)
                outcomes.add((gap >= quantile, got))
    # both ways out of the estimate were taken, and the quantile's
    assert outcomes == {(True, True), (False, True), (False, False)}


# ---- the trend slope's standard error: two definitions, each for its use ------------------


def _theil_sen(y: list[float]) -> tuple[float, float]:
    slopes = [(y[j] - y[i]) / (j - i) for i in range(len(y)) for j in range(i + 1, len(y))]
    slope = statistics.median(slopes)
    return slope, statistics.median(v - slope * i for i, v in enumerate(y))


def _mad(values: list[float]) -> float:
    mid = statistics.median(values)
    return 1.4826 * statistics.median(abs(v - mid) for v in values)


def test_the_noise_rules_error_takes_the_larger_scatter_around_its_own_fit() -> None:
    """The backlog's noise: max(1.4826 x MAD, RMS over n - 2) around the Theil-Sen fit of
    the levels, over sqrt(sum of (t - mean t)^2): a month's 4 week ends."""
    params = config.load_rules().signs["backlog"].params
    for levels in ([30.0, 34.0, 27.0, 21.0], [40.0, 40.5, 39.0, 36.0, 33.0],
                   [100.0, 90.0, 95.0, 80.0, 70.0, 81.0, 60.0]):
        slope, intercept = _theil_sen(levels)
        off = [v - (intercept + slope * i) for i, v in enumerate(levels)]
        n = len(levels)
        scatter = max(_mad(off), math.sqrt(sum(o * o for o in off) / (n - 2)))
        sxx = sum((i - (n - 1) / 2) ** 2 for i in range(n))
        start, end = levels[0] + 5, levels[-1]
        note = backlog._shrink_in_noise(np.array(levels), start, end,
                                        {**params, "noise_interval_share": 0.999999})
        assert note is not None
        assert note.params["scatter"] == pytest.approx(scatter, rel=1e-12)
        assert note.params["se"] == pytest.approx(scatter / math.sqrt(sxx), rel=1e-12)


def _weekly(opened: list[float], trend: list[float]) -> list[dict[str, Any]]:
    return [{"week_end": f"w{i}", "arrivals": 50, "completions": 50, "open": o, "trend": t}
            for i, (o, t) in enumerate(zip(opened, trend, strict=True))]


def test_the_forecasts_error_is_the_robust_scatter_around_the_published_line(
        world: synth.Synthetic) -> None:
    """The forecast's se: 1.4826 x MAD alone of the deviations from the sign's published
    (rounded) trend line, not the noise rule's larger root mean square: two odd weeks of
    13 do not widen the projection, and a scatter pins the interval."""
    rules = config.load_rules()
    ctx = _ctx(world.tickets, world.events, rules)
    params = rules.analyses["forecast"].params
    line = [100.0] * 13
    odd = [100.0] * 11 + [130.0, 70.0]
    backlog_ = {"status": "clear", "open_now": 100.0, "threshold": 0.05,
                "weekly": _weekly(odd, line)}
    proj = {r["weeks"]: r for r in forecast.measure(ctx, params, backlog_)
            .tables["projection"]}
    assert proj[12] == {"weeks": 12, "expected": 100, "low": 100, "high": 100}

    rng = np.random.default_rng(8)
    off = [float(v) for v in rng.normal(0, 6, 13)]
    line = [round(200.0 + 1.37 * i, 1) for i in range(13)]
    backlog_["weekly"] = _weekly([t + o for t, o in zip(line, off, strict=True)], line)
    backlog_["open_now"] = 200.0
    proj = {r["weeks"]: r for r in forecast.measure(ctx, params, backlog_)
            .tables["projection"]}
    se = _mad(off) / math.sqrt(sum((i - 6) ** 2 for i in range(13)))
    # Student's t on the effective degrees of freedom of a spread read by its median
    # absolute deviation over 13 weeks (the weeks' own spread is nil here)
    z = stats.t_quantile(0.5 + float(params["interval"]) / 2, forecast.MAD_EFFICIENCY * 12)
    slope = (line[-1] - line[0]) / 12
    for h in params["horizons_weeks"]:
        mid = 200.0 + h * slope
        assert proj[h] == {"weeks": h, "expected": round(mid),
                           "low": round(mid - z * h * se), "high": round(mid + z * h * se)}
