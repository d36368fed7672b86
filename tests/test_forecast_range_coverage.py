"""The forecast's 80% range holds about 80% of the time on backlogs that keep to a trend.

Simulated random walks (Poisson arrivals and completions a week, a drift of up to 10% of
the arrivals either way), the sign's Theil-Sen trend line rounded as the sign rounds it,
projected by the forecast's own :func:`itsm_diag.analyses.forecast._project` and held
against the walk's open count 4 and 12 weeks on. With the normal z and the trend error
spread / sqrt(weeks - 1) the range held 73% and 72% (13 weeks), 68% (8 weeks); with
Student's t on the median absolute deviation's degrees of freedom and the slope error
of a line through a running sum (:func:`forecast.walk_error`), 80% and 79%.
"""

from __future__ import annotations

import numpy as np
import pytest

from itsm_diag.analyses import forecast
from itsm_diag.signs.common import theil_sen


def _coverage(weeks: int, walks: int, seed: int) -> dict[int, float]:
    rng = np.random.default_rng(seed)
    inside: dict[int, list[bool]] = {4: [], 12: []}
    params = {"interval": 0.8, "horizons_weeks": [4, 12]}
    for _ in range(walks):
        per_week = rng.uniform(20, 300)
        drift = rng.uniform(-0.1, 0.1) * per_week
        a = rng.poisson(per_week, weeks + 12)
        c = rng.poisson(max(per_week - drift, 1.0), weeks + 12)
        opens = 20 * per_week + np.cumsum(a - c)
        y = opens[:weeks].astype(float)
        slope, level = theil_sen(y)
        rows = [{"arrivals": int(a[i]), "completions": int(c[i]), "open": float(y[i]),
                 "trend": round(level + slope * i, 1)} for i in range(weeks)]
        line = forecast._project(rows, list(range(weeks)), float(y[-1]), params)
        for row in line["projection"]:
            actual = opens[weeks - 1 + row["weeks"]]
            inside[row["weeks"]].append(row["low"] <= actual <= row["high"])
    return {h: float(np.mean(v)) for h, v in inside.items()}


@pytest.mark.parametrize("weeks", [8, 13, 26])
def test_the_80_percent_range_holds_about_80_percent_of_the_time(weeks: int) -> None:
    share = _coverage(weeks, 1500, seed=weeks)
    # 1,500 walks: the share's standard error is about 1 point
    for h in (4, 12):
        assert 0.77 <= share[h] <= 0.85, (weeks, share)


def test_walk_error_is_the_least_squares_slope_error_of_a_running_sum() -> None:
    # exact against a direct simulation of the least-squares slope through random walks
    rng = np.random.default_rng(0)
    t = np.arange(13, dtype=float)
    steps = rng.normal(0.0, 1.0, (40_000, 12))
    y = np.concatenate([np.zeros((40_000, 1)), np.cumsum(steps, axis=1)], axis=1)
    w = (t - t.mean()) / ((t - t.mean()) ** 2).sum()
    assert forecast.walk_error(t) == pytest.approx(float((y @ w).std()), rel=0.02)
    assert forecast.walk_error(t) == pytest.approx(1.059 / np.sqrt(12), rel=0.005)
    # trend weeks with a week left out between them: that step holds two weeks of nets
    at = np.array([0, 1, 2, 4, 5, 6])
    g = at.astype(float)
    wg = (g - g.mean()) / ((g - g.mean()) ** 2).sum()
    assert forecast.walk_error(g) == pytest.approx(float((y[:, at] @ wg).std()), rel=0.02)
    assert forecast.walk_error(np.array([3.0])) == 0.0


@pytest.mark.parametrize(("df", "exact", "within"), [
    (1.5, 2.196, 0.05), (1.84, 1.960, 0.02), (3.3, 1.598, 0.003), (4.41, 1.505, 0.003)])
def test_a_fractional_degrees_of_freedom_reads_near_the_exact_quantile(
        df: float, exact: float, within: float) -> None:
    # linearly in df the quantile read 2.482 at 1.5 and 2.076 at 1.84 (13% and 6% wide):
    # the forecast's range over its 6 minimum weeks is on 1.84 degrees of freedom
    from itsm_diag.stats import t_quantile

    assert t_quantile(0.9, df) == pytest.approx(exact, rel=within)
