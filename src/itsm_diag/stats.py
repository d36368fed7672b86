"""Exact tests shared by the analyses and the comparison: Fisher's exact test (the
hypergeometric tail, one-sided for a driver, two-sided for a KPI's move between two
reports) and the two-sided p of any exact discrete distribution; and the score intervals
a verdict's sampling noise is read from (Wilson's for a share, Newcombe's for a gap of two
shares, the Poisson score interval for a count over a time). Pure numpy and math: no scipy,
and the tests need no normal approximation.

The hypergeometric count ``X``: the tickets with an outcome among ``draws`` tickets drawn
without replacement from ``total`` tickets of which ``events`` have it. Its support runs
from ``max(0, draws + events - total)`` to ``min(draws, events)``, and every probability is
built from its neighbour by their ratio (:func:`hypergeom_log_ratio`), in logs.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = ["even_split_tail", "fisher_two_sided", "hypergeom_log_ratio", "newcombe",
           "poisson_difference",
           "poisson_score", "two_sided", "upper_tail", "wilson"]

_LGAMMA = np.frompyfunc(math.lgamma, 1, 1)


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """log(n choose k), per item (a handful of items: math.lgamma on each)."""
    def lg(x: np.ndarray) -> np.ndarray:
        return np.asarray(_LGAMMA(x.astype(float)), dtype=float)
    return lg(n + 1) - lg(k + 1) - lg(n - k + 1)


def hypergeom_log_ratio(x: np.ndarray, events: np.ndarray | int, draws: np.ndarray | int,
                        total: np.ndarray | int) -> np.ndarray:
    """log(P(X = x + 1) / P(X = x)) of the hypergeometric count, per item:
    ``(events - x)(draws - x) / ((x + 1)(total - events - draws + x + 1))``, each factor's
    log summed (``x`` a float array; the others integers or floats, broadcast)."""
    return (np.log(events - x) + np.log(draws - x) - np.log(x + 1)
            - np.log(total - events - draws + x + 1))


def upper_tail(k: np.ndarray, n: np.ndarray, events: np.ndarray, total: np.ndarray
               ) -> np.ndarray:
    """Per item, P(X >= k) where X counts the outcomes among ``n`` tickets drawn without
    replacement from ``total`` tickets of which ``events`` had it: the one-sided Fisher
    exact p-value of ``k`` outcomes among a value's ``n`` tickets. Exact: each tail's
    terms from the first (its log from ``math.lgamma``) by the ratio of successive
    hypergeometric probabilities, summed in logs (no normal approximation, no scipy)."""
    k, n, big_k, big_n = (np.asarray(a, dtype=np.int64) for a in (k, n, events, total))
    lo = np.maximum(0, n + big_k - big_n)
    hi = np.minimum(n, big_k)
    length = np.maximum(hi - k + 1, 0)
    # k at or below the support's least value: certain; above its greatest: impossible
    out = np.where(k <= lo, 1.0, 0.0)
    todo = np.flatnonzero((k > lo) & (length > 0))
    if not len(todo):
        return out
    k_, n_, kk, nn, size = k[todo], n[todo], big_k[todo], big_n[todo], length[todo]
    first = _log_choose(kk, k_) + _log_choose(nn - kk, n_ - k_) - _log_choose(nn, n_)
    seg = np.repeat(np.arange(len(todo)), size)
    begins = np.cumsum(size) - size
    offset = np.arange(int(size.sum())) - begins[seg]
    # term x / term x-1, from x = k + 1 on
    step = np.zeros(len(seg))
    on = offset > 0
    x = (k_[seg] + offset)[on].astype(float)
    step[on] = hypergeom_log_ratio(x - 1, kk[seg][on], n_[seg][on], nn[seg][on])
    # each tail's log terms relative to its first (a step of 0 opens each tail)
    logs = np.cumsum(step)
    logs -= logs[begins][seg]
    top = np.maximum.reduceat(logs, begins)
    summed = np.add.reduceat(np.exp(logs - top[seg]), begins)
    out[todo] = np.minimum(1.0, np.exp(first + top + np.log(summed)))
    return out


def two_sided(log_pmf: np.ndarray, at: int) -> float:
    """An exact test's two-sided p: the chance of an outcome no likelier than the one at
    ``at``, under the distribution whose log probabilities (up to a constant) are given."""
    log_pmf = log_pmf - log_pmf.max()
    pmf = np.exp(log_pmf)
    tail = pmf[log_pmf <= log_pmf[at] + 1e-7].sum()  # ties within rounding count as ties
    return float(min(1.0, tail / pmf.sum()))


def fisher_two_sided(k: int, draws: int, events: int, total: int) -> float:
    """Fisher's exact test, two-sided: the chance that X (as in :func:`upper_tail`) takes
    a value no likelier than ``k``. For two shares, k1 of n1 and k2 of n2: ``k = k1``,
    ``draws = n1``, ``events = k1 + k2``, ``total = n1 + n2``."""
    lo, hi = max(0, draws + events - total), min(draws, events)
    x = np.arange(lo, hi, dtype="float64")
    log_pmf = np.concatenate([[0.0], np.cumsum(hypergeom_log_ratio(x, events, draws,
                                                                   total))])
    return two_sided(log_pmf, k - lo)


def _z(level: float) -> float:
    """The standard normal quantile of a two-sided ``level`` interval (0.9: 1.645)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson(k: float, n: float, level: float) -> tuple[float, float]:
    """The Wilson score interval of a share ``k`` of ``n`` at the two-sided ``level``
    (0 < level < 1): the shares whose score test at that level would not reject ``k / n``.
    ``k`` and ``n`` may be fractional (an effective number of tickets); ``n`` > 0."""
    z = _z(level)
    p = min(max(k / n, 0.0), 1.0)
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: float, n1: float, k2: float, n2: float, level: float
             ) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) of the difference of two shares,
    ``k1 / n1 - k2 / n2``, at the two-sided ``level``: each share's Wilson interval, the
    difference's ends from the squared distances to them."""
    p1, p2 = k1 / n1, k2 / n2
    lo1, hi1 = wilson(k1, n1, level)
    lo2, hi2 = wilson(k2, n2, level)
    diff = p1 - p2
    return (diff - math.sqrt((p1 - lo1) ** 2 + (hi2 - p2) ** 2),
            diff + math.sqrt((hi1 - p1) ** 2 + (p2 - lo2) ** 2))


def poisson_score(k: float, level: float) -> tuple[float, float]:
    """The score interval of a Poisson mean from one observed count ``k`` at the two-sided
    ``level``: the means ``m`` whose score test ``(k - m)² / m <= z²`` would not reject
    ``k``, so ``k + z²/2 ± z·sqrt(k + z²/4)`` (0 to z² for none seen). The counterpart of
    :func:`wilson` for a count over a time, not a share of tickets."""
    z = _z(level)
    half = z * math.sqrt(max(k, 0.0) + z * z / 4)
    centre = max(k, 0.0) + z * z / 2
    return max(0.0, centre - half), centre + half


def even_split_tail(k: int, n: int) -> float:
    """The chance of ``k`` or more of ``n`` events on one side of an even split
    (binomial, p = 1/2): the exact one-sided test of two Poisson counts over equal spans
    (``k`` after changes, ``n - k`` before them), conditional on their total."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    x = np.arange(k, n + 1, dtype="float64")
    log_pmf = (math.lgamma(n + 1) - np.asarray(_LGAMMA(x + 1), dtype=float)
               - np.asarray(_LGAMMA(n - x + 1), dtype=float) - n * math.log(2.0))
    return float(min(1.0, np.exp(log_pmf).sum()))


def poisson_difference(x: float, y: float, level: float) -> tuple[float, float]:
    """The score interval of ``mx - my``, the difference of two Poisson means over spans
    of equal length, from one count of each (``x`` and ``y``: the incidents after changes
    and the same spans before them) at the two-sided ``level``: the differences ``d`` whose
    score test ``(x - y - d)² / (mx + my) <= z²`` would not reject them, ``mx`` and ``my``
    fitted to both counts under ``mx - my = d``. Both counts vary: 192 after and 182
    before is 10 with an interval of about -21 to 41, not 10 give or take 5 (the Poisson
    interval of 10 alone). With ``y`` = 0 its upper end is :func:`poisson_score`'s of
    ``x``; its lower end is lower, as a baseline seen once as 0 could still be above 0."""
    z2 = _z(level) ** 2
    x, y = max(float(x), 0.0), max(float(y), 0.0)

    def score(d: float) -> float:
        # the fitted means under mx - my = d: the positive root of a quadratic in the
        # smaller mean (my for d >= 0, else mx by symmetry)
        a, b, e = (x, y, d) if d >= 0 else (y, x, -d)
        small = (a + b - 2 * e + math.sqrt((2 * e - a - b) ** 2 + 8 * b * e)) / 4
        total = 2 * small + e
        return (x - y - d) ** 2 / total if total > 0 else 0.0

    centre = x - y
    reach = 4.0 * math.sqrt(x + y + z2) + z2 + 1.0

    def end(step: float) -> float:
        inside, outside = centre, centre + step * reach
        while score(outside) <= z2:  # widen until the end lies inside the bracket
            inside, outside = outside, outside + step * reach
        for _ in range(80):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if score(mid) <= z2 else (inside, mid)
        return (inside + outside) / 2

    return end(-1.0), end(1.0)


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile at ``p`` with ``df`` degrees of freedom: exact for 1 and 2,
    else the Cornish-Fisher expansion around the normal one (within 0.3% of the exact
    value from 3 degrees of freedom on, exact in the limit). An effective ``df`` that is
    not a whole number takes the expansion from 3 on (at 3.3: 1.598, the exact 1.598),
    and between 1 and 3 reads between the whole numbers' quantiles linearly in 1 / df,
    in which the quantile is nearly straight (at p = 0.9, df 1.84: 1.989 against the
    exact 1.960; linearly in df it read 2.076)."""
    if df != int(df) and 1 < df < 3:
        lo, hi = int(df), int(df) + 1
        share = (1 / lo - 1 / df) / (1 / lo - 1 / hi)
        return (1 - share) * t_quantile(p, lo) + share * t_quantile(p, hi)
    if df == 1:
        return float(np.tan(np.pi * (p - 0.5)))
    if df == 2:
        return float((2 * p - 1) / np.sqrt(2 * p * (1 - p)))
    z = NormalDist().inv_cdf(p)
    v = float(df)
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3))
