"""Compare two reports: which signs appeared or cleared, score, band, KPI and hours deltas.

Pure: two :class:`~itsm_diag.report.Report` objects in, a
:class:`~itsm_diag.report.Comparison` out (the model lives in ``report.py`` because a
report can carry its comparison with a baseline). Reading report files is
:func:`itsm_diag.api.load_report`'s job.

The CI gate (``--fail-on-increase``) is :attr:`Comparison.increased`: true when the
score is higher than the baseline's, or when at least one sign is triggered now that
was not triggered in the baseline (clear, unknown or absent there), even if another
sign cleared and the score stayed the same. A sign that appeared or cleared with its
verdict now within noise (``Finding.within_noise``: its threshold lies inside its
figure's sampling interval; the baseline's verdict does not decide) is marked so and
counts on neither side: it never fires the gate, nor does a score that rose only by such
signs. Nothing else fails it: a sign
turning unknown, a KPI getting worse or more hours at stake are reported, never gated.

A move is like for like only when the same thing was measured the same way: each report
records the thresholds it graded with, every param each finding was measured under, the
global defaults that decide what is measured and its cost assumptions, and compare names
every value that differs (:func:`_settings`). A sign unknown or absent in either report,
self-assessed in either (an answers file filled what the data could not tell), graded
under a changed threshold, or measured under changed params (:func:`_params_changed`;
with a report that does not record them, a param overridden in one report only or from
another source), is not comparable: the hours at stake are summed over the
comparable signs only (the others are named, and so is a sign triggered in both but
priced in one only), and the score and band get no direction when such a sign moved them
(a sign turning unknown, or answered clear, lowers the score but improves nothing). A
self-assessed status counts as what the data said, unknown: it never reads cleared or
newly triggered, and never fires the gate; nor does a sign measured under changed params
(the baseline measured another figure), while one graded under a tightened threshold
still does.

A KPI's move is called better or worse only when the samples behind the two figures
resolve it (:func:`_kpi_deltas`): a move two samples of an unchanged process make more often
than once in 100 is ``same``, and a note says it is within noise and why; a move the
reports do not carry enough to weigh gets no direction, and a note says what is missing;
so does a time to resolve either report marks not reliable (``kpis.reliable``: an export
that does not reach back before the window's start lacks its slowest tickets), and the
note gives that report's caveat.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from itsm_diag.engine import READ_BY_EVERY_SIGN, band_for
from itsm_diag.report import (
    Band,
    Comparison,
    Delta,
    Direction,
    Finding,
    Report,
    ReportRef,
    SettingChange,
    SignChange,
    SignChangeKind,
    Status,
)
from itsm_diag.stats import fisher_two_sided, two_sided
from itsm_diag.text import SHOWN_DIGITS, figure, fmt

__all__ = ["Comparison", "compare", "sign_change"]

_BANDS: tuple[Band, ...] = ("healthy", "gaps", "slowing", "crisis")
#: deltas are rounded so float noise (0.1 + 0.2) cannot make two runs' JSON differ
_DIGITS = 6


def sign_change(old: Status | None, new: Status | None) -> SignChangeKind:
    """How one sign moved. ``None`` means the sign is not in that report.

    appeared: triggered now, not before · cleared: triggered before, clear now ·
    now_unknown: unknown now, known (or absent) before · now_measured: unknown before,
    clear now · unchanged: the same status.
    """
    if old == new:
        return "unchanged"
    if new == "triggered":
        return "appeared"
    if old == "triggered" and new == "clear":
        return "cleared"
    if new == "unknown" or new is None:
        return "now_unknown"
    return "now_measured"


#: the digits a value is shown with, by unit: a move smaller than what is shown is no
#: move (64.04% against 64.01% reads "64% -> 64%", and must not be called worse); a
#: ratio's change shows tenths of a point, one digit more than its value
_SHOWN = {**SHOWN_DIGITS, "ratio": 3}


def _direction(old: float | None, new: float | None, lower_is_better: bool,
               unit: str = "") -> Direction | None:
    if old is None or new is None:
        return None
    digits = _SHOWN.get(unit, _DIGITS)
    old, new = round(old, digits), round(new, digits)
    if new == old:
        return "same"
    return "better" if (new < old) == lower_is_better else "worse"


def _delta(name: str, label: str, unit: str, old: float | None, new: float | None,
           lower_is_better: bool | None) -> Delta:
    diff = None if old is None or new is None else round(new - old, _DIGITS)
    if diff is not None and round(diff, _SHOWN.get(unit, _DIGITS)) == 0:
        diff = 0.0  # no "-0.0 pp": an unchanged value moved by nothing
    return Delta(
        name=name, label=label, unit=unit,
        old=None if old is None else round(old, _DIGITS),
        new=None if new is None else round(new, _DIGITS),
        delta=diff,
        direction=None if lower_is_better is None
        else _direction(old, new, lower_is_better, unit),
    )


def _kind(o: Finding | None, n: Finding | None) -> SignChangeKind:
    """How one sign moved, a self-assessed status read as what the data said (unknown):
    an answer never makes a sign cleared or newly triggered (the statuses shown are the
    reports' own, so the same status on both sides stays unchanged)."""
    s_old, s_new = (o.status if o else None), (n.status if n else None)
    kind = sign_change(s_old, s_new)
    if kind == "unchanged" or not ((o and o.self_assessed) or (n and n.self_assessed)):
        return kind
    if n is not None and n.self_assessed:
        return "now_unknown"  # the data cannot tell now
    return sign_change("unknown", s_new)


def _ref(r: Report) -> ReportRef:
    return ReportRef(as_of=r.as_of, window_start=r.window.start, window_end=r.window.end,
                     version=r.generated_by.version, score=r.score, band=r.band,
                     band_range=list(r.band_range) if r.band_range else None)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _open_backlog(r: Report) -> float | None:
    """Tickets open at the window end, as the backlog sign counted them."""
    if "open_now" in r.kpis.backlog:
        return _number(r.kpis.backlog["open_now"])
    weekly = r.kpis.backlog_weekly
    return _number(weekly[-1].get("open")) if weekly else None


def _gated_score(r: Report, skip: set[str]) -> int:
    """The signs triggered in ``r`` but those in ``skip`` (self-assessed on either side):
    what --fail-on-increase weighs the score by."""
    return sum(1 for f in r.signs if f.status == "triggered" and f.id not in skip)


def _uncounted(r: Report, only: set[str]) -> list[str]:
    """The triggered signs of ``only`` with a cost that is no count's (logged time) or
    whose count the report does not say: :func:`_hours_variance` cannot weigh them."""
    return [f.id for f in r.signs if f.status == "triggered" and f.id in only
            and any(not cost.count for cost in f.evidence.costs)]


def _hours_variance(r: Report, only: set[str]) -> float | None:
    """The chance variation (a variance, hours² a month) of the hours at stake summed over
    the triggered signs of ``only``: each cost is a count of tickets (or events) at so many
    hours each, and a Poisson count's variance is itself, so a cost of h hours on c counts
    varies by h²/c. None when some cost is no count's (logged time), or the report does
    not say (made before it recorded its counts)."""
    total = 0.0
    for f in r.signs:
        if f.status != "triggered" or f.id not in only:
            continue
        for cost in f.evidence.costs:
            if not cost.count:
                return None
            total += cost.hours_per_month ** 2 / cost.count
    return total


def counts_once(r: Report) -> bool:
    """Whether the report records how much of each sign's hours an earlier sign prices
    (made since the hours at stake count each ticket's handle minutes once)."""
    return "hours_at_stake_per_month" in r.model_fields_set


def hours_at_stake(r: Report, only: set[str] | None = None, once: bool = True) -> float:
    """Agent hours a month at stake: the sum over triggered signs (what the fix plan
    addresses), over the signs in ``only`` when given, each ticket's handle minutes
    counted once (a sign's hours less those an earlier sign summed here already prices:
    at most its ``hours_shared_per_month``); a triggered sign that cannot be priced adds
    nothing. Rounded once, from the unrounded figures."""
    summed = [f for f in r.signs
              if f.status == "triggered" and (only is None or f.id in only)]
    ids = {f.id for f in summed} if once else set()
    return round(sum((f.hours_at_stake_per_month or 0.0) - min(
        f.hours_shared_per_month or 0.0,
        sum(h for sign, h in f.hours_shared_with.items() if sign in ids)) for f in summed), 1)


# ---- the values each report was made with ----------------------------------------------

def _thresholds(r: Report) -> dict[tuple[str, str], dict[str, float]]:
    """Each finding's threshold values: (signs|checks, id) -> condition -> value."""
    return {(top, f.id): {name: c.value for name, c in f.threshold.conditions.items()}
            for top, findings in (("signs", r.signs), ("checks", r.checks))
            for f in findings}


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _params(r: Report) -> dict[tuple[str, str], dict[str, Any] | None]:
    """Each finding's params in force: (signs|checks, id) -> name -> value; None for a
    finding of a report made before they were recorded."""
    return {(top, f.id): f.params
            for top, findings in (("signs", r.signs), ("checks", r.checks))
            for f in findings}


def _settings(old: Report, new: Report) -> list[SettingChange]:
    """The thresholds, params, cost assumptions, KPI targets and measuring defaults whose
    values differ. A condition, param or finding in one report only is left to the
    version note (rules changed)."""
    out: list[SettingChange] = []
    t_old, t_new = _thresholds(old), _thresholds(new)
    for (top, fid), conds in t_new.items():
        before = t_old.get((top, fid), {})
        out += [SettingChange(key=f"{top}.{fid}.thresholds.{name}", finding=fid,
                              old=before[name], new=value)
                for name, value in conds.items()
                if name in before and not _same(before[name], value)]
    # every param a finding was measured under, where both reports record them
    p_old, p_new = _params(old), _params(new)
    recorded = set()
    for (top, fid), params in p_new.items():
        was = p_old.get((top, fid))
        if params is None or was is None:
            continue
        recorded.add((top, fid))
        out += [SettingChange(key=f"{top}.{fid}.params.{name}", finding=fid,
                              old=was[name], new=value)
                for name, value in params.items()
                if name in was and not _same(was[name], value)]
    a_old, a_new = old.assumptions, new.assumptions
    pairs: list[tuple[str, Any, Any]] = [
        (f"handle_minutes.{kind}", a_old.handle_minutes.get(kind),
         a_new.handle_minutes.get(kind))
        for kind in sorted(set(a_old.handle_minutes) & set(a_new.handle_minutes))]
    pairs += [("hourly_rate", a_old.hourly_rate, a_new.hourly_rate),
              ("currency", a_old.currency, a_new.currency)]
    pairs += [(f"kpi_targets.{kpi}", old.kpis.targets.get(kpi), new.kpis.targets.get(kpi))
              for kpi in sorted(set(old.kpis.targets) | set(new.kpis.targets))]
    m_old, m_new = a_old.measuring or {}, a_new.measuring or {}
    pairs += [(key, m_old[key], m_new[key]) for key in m_new if key in m_old]
    out += [SettingChange(key=f"defaults.{key}", old=o, new=n)
            for key, o, n in pairs if not _same(o, n)]
    # the rule params the hours rest on, where both reports record them (a report made
    # before the findings recorded their params records these)
    c_old, c_new = old.assumptions.cost_params, new.assumptions.cost_params
    for key in sorted(set(c_old) & set(c_new)):
        top, fid = key.split(".")[:2]
        if (top, fid) not in recorded and not _same(c_old[key], c_new[key]):
            out.append(SettingChange(key=key, finding=fid, old=c_old[key], new=c_new[key]))
    return out


def _params_changed(old: Report, new: Report, settings: Sequence[SettingChange]
                    ) -> dict[str, list[str]]:
    """Each sign's params measured under other values (sign id -> names), and
    ``defaults.<key>`` for a changed default every sign reads. Where a report does not
    record a value (made before it did), an override of the param in one report only, or
    from another source, counts as changed: the value cannot be shown equal."""
    out: dict[str, set[str]] = {}
    for c in settings:
        if c.finding is not None and ".params." in c.key:
            out.setdefault(c.finding, set()).add(c.key.rsplit(".", 1)[-1])
    o_over, n_over = old.assumptions.overrides, new.assumptions.overrides
    differ = {key for key in set(o_over) | set(n_over) if o_over.get(key) != n_over.get(key)}
    p_old = _params(old)
    valued = {c.key for c in settings}
    for f in new.signs:
        if p_old.get(("signs", f.id)) is not None and f.params is not None:
            continue  # both record every value: the settings hold what differs
        prefix = f"signs.{f.id}.params."
        out.setdefault(f.id, set()).update(
            key.removeprefix(prefix) for key in differ
            if key.startswith(prefix) and key not in valued)
    every = {f"defaults.{key}" for key in READ_BY_EVERY_SIGN
             if f"defaults.{key}" in valued
             or (f"defaults.{key}" in differ
                 and (old.assumptions.measuring is None or new.assumptions.measuring is None))}
    ids = {f.id for f in (*old.signs, *new.signs)}
    return {i: sorted(out.get(i, set())) + sorted(every) for i in ids
            if out.get(i) or every}


#: the longest a setting's value is shown in the settings note (a list of holidays or
#: channels is cut, an ellipsis marking it: the note keeps every name and its conclusion)
_VALUE_LIMIT = 80


def _shown(value: Any, wording: Mapping[str, str]) -> str:
    if value is None:
        return wording["compare_setting.unset"]
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float | int):
        text = f"{value:g}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_shown(v, wording) for v in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_shown(v, wording)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= _VALUE_LIMIT else text[:_VALUE_LIMIT - 1] + "…"


def _settings_note(changes: list[SettingChange], wording: Mapping[str, str]) -> str:
    """Every changed value, by name: ``trust chasers 0.1 → 0.9; hourly_rate ...``."""
    parts = []
    for c in changes:
        values = {"old": _shown(c.old, wording), "new": _shown(c.new, wording)}
        if c.finding is not None:
            values |= {"finding": c.finding, "name": c.key.rsplit(".", 1)[-1]}
            parts.append(fmt(wording["compare_setting.threshold"], values))
        else:
            parts.append(fmt(wording["compare_setting.default"],
                             values | {"name": c.key.removeprefix("defaults.")
                                       .replace(".params.", " ")}))
    return fmt(wording["compare_note.settings"], {"changes": "; ".join(parts)})


# ---- is a KPI's move more than noise? ------------------------------------------------

#: a move is called better or worse only when two samples of an unchanged process would
#: differ by as much less often than this (two-sided): several KPIs are compared every
#: time (each month in CI), so once in 100, not once in 20 (the noise note words its
#: "once in 100" from this value)
_ALPHA = 0.01
#: the standard normal: its 0.9 quantile turns the median and p90 into a log-normal's
#: spread, its density at a quantile weighs that quantile's order statistic
_NORMAL = NormalDist()


@dataclass(frozen=True)
class _Weighed:
    """What the samples say about a move: ``resolved`` (a direction may be called),
    ``noise`` (the samples cannot tell it from chance) or ``unweighed`` (a report lacks
    what a test needs); ``key`` and ``values`` word the reason in the note."""

    outcome: Literal["resolved", "noise", "unweighed"]
    key: str = ""
    values: Mapping[str, Any] | None = None


def _fisher(k_old: int, n_old: int, k_new: int, n_new: int) -> float:
    """Fisher's exact test of two shares, k of n each (two-sided): exact, so a share of a
    few tickets is not weighed by a normal approximation that fits it badly."""
    return fisher_two_sided(k_old, n_old, k_old + k_new, n_old + n_new)


def _poisson_pair(old: int, new: int) -> float:
    """Two counts with one mean (two draws of one Poisson count): given their sum, the
    newer is binomial (sum, 1/2); the exact two-sided p of that."""
    total = old + new
    k = np.arange(total, dtype="float64")
    log_pmf = np.concatenate([[0.0], np.cumsum(np.log((total - k) / (k + 1)))])
    return two_sided(log_pmf, new)


def _done_in_window(r: Report) -> int | None:
    """Done incidents and requests in the window, as the reporting sign counted them: the
    most tickets a share of the KPI panel (a part of those) can stand on."""
    sign = next((f for f in r.signs if f.id == "reporting"), None)
    metric = sign.metrics.get("resolve_times_share") if sign else None
    most = _number(metric.denominator) if metric else None
    return int(most) if most is not None and most >= 1 else None


def _share_counts(value: float, most: int | None
                  ) -> tuple[tuple[int, int], tuple[int, int] | None] | None:
    """The fewest and the most tickets a share can stand on, as (k, n) pairs.

    The report carries a share as its exact ratio k / n, which fixes k / n in lowest terms
    (689/984; 908/984 is 227/246): n is a multiple of that denominator, and at most the
    done tickets in the window (``most``). None when the value is no exact ratio (written
    rounded); the most is None when it is unknown."""
    frac = Fraction(value).limit_denominator(most or 10**7)
    if not math.isclose(frac.numerator / frac.denominator, value, rel_tol=1e-12,
                        abs_tol=1e-15):
        return None
    fewest = (frac.numerator, frac.denominator)
    if most is None or most < frac.denominator:
        return fewest, None
    times = most // frac.denominator
    return fewest, (frac.numerator * times, frac.denominator * times)


def _which(old_ok: bool, new_ok: bool) -> str:
    return "both" if not (old_ok or new_ok) else "old" if not old_ok else "new"


def _counts_of(r: Report, key: str, value: float
               ) -> tuple[tuple[int, int], tuple[int, int] | None] | None:
    """The tickets behind a share KPI: the report's own numerator and denominator
    (``kpis.counts``, in every report since they were added), else what an older report's
    exact ratio and done tickets allow (:func:`_share_counts`)."""
    pair = r.kpis.counts.get(key)
    if pair and pair.get("denominator"):
        k, n = int(pair.get("numerator", 0)), int(pair["denominator"])
        return (k, n), (k, n)
    return _share_counts(value, _done_in_window(r))


def _weigh_share(key: str) -> _Weigher:
    def weigh(old: Report, new: Report, value: Callable[[Report], float | None]
              ) -> _Weighed:
        return _weigh_share_of(key, old, new, value)
    return weigh


def _weigh_share_of(key: str, old: Report, new: Report,
                    value: Callable[[Report], float | None]) -> _Weighed:
    """A share's move by Fisher's exact test on the tickets behind the two shares.

    Where a report leaves its count open (an older report without ``kpis.counts``), the
    move is weighed at both ends: resolved when even the fewest tickets resolve it, within
    noise when even the most do not; otherwise, and when a share's count cannot be told at
    all, it is not weighed."""
    v_old, v_new = value(old), value(new)
    assert v_old is not None and v_new is not None  # nosec B101  # a move has both sides
    c_old = _counts_of(old, key, v_old)
    c_new = _counts_of(new, key, v_new)
    if c_old is None or c_new is None:
        return _Weighed("unweighed", "share", {"which": _which(c_old is not None,
                                                                 c_new is not None)})
    (few_old, most_old), (few_new, most_new) = c_old, c_new
    if _fisher(*few_old, *few_new) < _ALPHA:
        return _Weighed("resolved")
    if most_old is None or most_new is None:
        return _Weighed("unweighed", "share", {"which": _which(most_old is not None,
                                                                 most_new is not None)})
    p = _fisher(*most_old, *most_new)
    if p < _ALPHA:  # the fewest tickets cannot resolve it, the most can: not told which
        return _Weighed("unweighed", "share", {"which": "both"})
    pinned = (few_old, few_new) == (most_old, most_new)
    return _Weighed("noise", "share" if pinned else "share_most",
                    {"k_old": most_old[0], "n_old": most_old[1], "k_new": most_new[0],
                     "n_new": most_new[1], "p": p})


def _log_spread(r: Report, q: float) -> float | None:
    """The standard error of the log of time to resolve's quantile ``q`` (0.5, 0.9): the
    order statistic's p(1 - p) / (n f²), with the density f of a log-normal through the
    report's median and p90 (the two quantiles it carries) over its n tickets measured."""
    t = r.kpis.time_to_resolve_hours
    median, p90, n = (_number(t.get(k)) for k in ("median", "p90", "n"))
    if median is None or p90 is None or n is None or n < 1 or not 0 < median < p90:
        return None
    sigma = math.log(p90 / median) / _NORMAL.inv_cdf(0.9)
    density = _NORMAL.pdf(_NORMAL.inv_cdf(q))  # phi(z_q)
    return sigma * math.sqrt(q * (1 - q) / n) / density


def _weigh_quantile(q: float) -> Callable[[Report, Report, Callable[[Report], float | None]],
                                          _Weighed]:
    def weigh(old: Report, new: Report, value: Callable[[Report], float | None]) -> _Weighed:
        v_old, v_new = value(old), value(new)
        assert v_old is not None and v_new is not None  # nosec B101  # both sides
        se_old, se_new = _log_spread(old, q), _log_spread(new, q)
        if se_old is None or se_new is None or v_old <= 0 or v_new <= 0:
            return _Weighed("unweighed", "quantile",
                            {"which": _which(se_old is not None, se_new is not None)})
        z = math.log(v_new / v_old) / math.hypot(se_old, se_new)
        p = math.erfc(abs(z) / math.sqrt(2))
        if p < _ALPHA:
            return _Weighed("resolved")
        return _Weighed("noise", "quantile",
                        {"n_old": int(_number(old.kpis.time_to_resolve_hours["n"]) or 0),
                         "n_new": int(_number(new.kpis.time_to_resolve_hours["n"]) or 0),
                         "p": p})
    return weigh


def _weigh_count(old: Report, new: Report, value: Callable[[Report], float | None]
                 ) -> _Weighed:
    """A count of tickets (the open backlog) as two draws of one Poisson count: the least
    a count of tickets varies by chance."""
    v_old, v_new = value(old), value(new)
    assert v_old is not None and v_new is not None  # nosec B101  # both sides
    p = _poisson_pair(max(0, round(v_old)), max(0, round(v_new)))
    return _Weighed("resolved") if p < _ALPHA else _Weighed("noise", "count", {"p": p})


_Weigher = Callable[[Report, Report, Callable[[Report], float | None]], _Weighed]

#: (name, unit, getter, lower is better (None: neither), how a move is weighed); each
#: row's label is the ``compare.<name>`` wording of ``rules/defaults.yaml``
_KPIS: tuple[tuple[str, str, Callable[[Report], float | None], bool | None,
                   _Weigher | None], ...] = (
    ("ttr_median", "hours", lambda r: _number(r.kpis.time_to_resolve_hours.get("median")),
     True, _weigh_quantile(0.5)),
    ("ttr_p90", "hours", lambda r: _number(r.kpis.time_to_resolve_hours.get("p90")), True,
     _weigh_quantile(0.9)),
    ("first_assignment_resolution", "ratio", lambda r: r.kpis.first_assignment_resolution,
     False, _weigh_share("first_assignment_resolution")),
    ("sla_adherence", "ratio", lambda r: r.kpis.sla_adherence, False,
     _weigh_share("sla_adherence")),
    ("open_backlog", "count", _open_backlog, True, _weigh_count),
    ("tickets_in_window", "count", lambda r: float(r.tickets.in_window), None, None),
)


#: the compare rows that read a KPI of the panel, and its key there: a KPI a report marks
#: not reliable (``kpis.reliable`` false, its caveat says why) gets no direction
_PANEL_KEY = {"ttr_median": "time_to_resolve_hours", "ttr_p90": "time_to_resolve_hours"}


def _unreliable(old: Report, new: Report, key: str) -> str:
    """Which report marks the panel's KPI ``key`` not reliable: ``old``, ``new``, ``both``,
    or '' (neither; a report without the flag, written before it, marks nothing)."""
    old_not, new_not = (r.kpis.reliable.get(key) is False for r in (old, new))
    return "both" if old_not and new_not else "old" if old_not else "new" if new_not else ""


def _unreliable_why(old: Report, new: Report, keys: Sequence[str],
                    wording: Mapping[str, str]) -> str:
    """Each caveat of a KPI a report marks not reliable, once per report and KPI."""
    out = []
    for key in dict.fromkeys(keys):
        for side, r in (("old", old), ("new", new)):
            caveat = r.kpis.caveats.get(key, "")
            if r.kpis.reliable.get(key) is False and caveat:
                kpi = r.kpis.labels.get(key) or wording.get(f"kpi.{key}", key)
                out.append(fmt(wording[f"compare_unreliable.why_{side}"],
                               {"kpi": kpi, "caveat": caveat}))
    return " ".join(out)


def _kpi_deltas(old: Report, new: Report, wording: Mapping[str, str]
                ) -> tuple[list[Delta], list[str]]:
    """The KPI rows, each move weighed; and the notes on the moves within noise (marked
    same), on those not weighed (no direction) and on those of a KPI a report marks not
    reliable (no direction, however it moved: a time to resolve lacking the slowest
    tickets on one side moves by that alone)."""
    rows: list[Delta] = []
    noise: list[str] = []
    unweighed: list[str] = []
    unreliable: list[str] = []
    unreliable_keys: list[str] = []
    for name, unit, get, lower, weigh in _KPIS:
        label = wording[f"compare.{name}"]
        row = _delta(name, label, unit, get(old), get(new), lower)
        key = _PANEL_KEY.get(name, "")
        which = _unreliable(old, new, key) if key else ""
        if which and row.direction is not None:
            unreliable.append(fmt(wording[f"compare_unreliable.{which}"], {
                "label": label, "old": figure(row.old, unit), "new": figure(row.new, unit)}))
            unreliable_keys.append(key)
            rows.append(row.model_copy(update={"direction": None}))
            continue
        if weigh is not None and row.direction in ("better", "worse"):
            weighed = weigh(old, new, get)
            if weighed.outcome != "resolved":
                values = {**(weighed.values or {}), "label": label,
                          "old": figure(row.old, unit), "new": figure(row.new, unit)}
                if "which" in values:
                    values["which"] = wording[f"compare_which.{values['which']}"]
                kind = weighed.outcome
                {"noise": noise, "unweighed": unweighed}[kind].append(
                    fmt(wording[f"compare_{kind}.{weighed.key}"], values))
                row = row.model_copy(update={"direction": "same" if kind == "noise"
                                             else None})
        rows.append(row)
    notes = [fmt(wording["compare_note.noise"], {"moves": "; ".join(noise),
                                                 "one_in": round(1 / _ALPHA)})] if noise else []
    if unweighed:
        notes.append(fmt(wording["compare_note.unweighed"], {"moves": "; ".join(unweighed)}))
    if unreliable:
        notes.append(fmt(wording["compare_note.unreliable"], {
            "moves": "; ".join(unreliable),
            "why": _unreliable_why(old, new, unreliable_keys, wording)}))
    return rows, notes


#: a late start of at most this many weeks is an export's edge, not a cut: a rolling
#: "created in the last 90 days" export starts a day or two into its 13-week window
#: depending on the hour and weekday it is taken (the figures a month are over the weeks
#: it covers either way, and the window note weighs lengths to half a week as well)
_LATE_START_WEEKS = 1.0


def _cuts(shape: Mapping[str, Mapping[str, object]]) -> set[str]:
    """The codes of the extract shapes a comparison weighs: all but a ``starts_late``
    of at most :data:`_LATE_START_WEEKS` before the export's first ticket."""
    late = shape.get("starts_late")
    before = _number(late.get("before")) if late is not None else None
    return {code for code in shape
            if not (code == "starts_late" and before is not None
                    and before <= _LATE_START_WEEKS)}


def _notes(old: Report, new: Report, wording: Mapping[str, str],
           settings: Sequence[SettingChange] = ()) -> list[str]:
    """Reasons to read the deltas with care; empty when the runs are like for like
    (``settings``: the values that differ, said in their own note)."""
    def note(key: str, **values: Any) -> str:
        return fmt(wording[f"compare_note.{key}"], values)

    notes = []
    tools_old, tools_new = _tools(old), _tools(new)
    if tools_old and tools_new and tools_old != tools_new:
        notes.append(note("tools", old=", ".join(sorted(tools_old)),
                          new=", ".join(sorted(tools_new))))
    kinds_old = {k for k, n in old.tickets.by_kind.items() if n}
    kinds_new = {k for k, n in new.tickets.by_kind.items() if n}
    if kinds_old != kinds_new:
        notes.append(note("kinds", only_old=", ".join(sorted(kinds_old - kinds_new)) or "none",
                          only_new=", ".join(sorted(kinds_new - kinds_old)) or "none"))
    small, large = sorted((old.tickets.in_window, new.tickets.in_window))
    if small and large >= 2 * small:
        notes.append(note("size", old=old.tickets.in_window, new=new.tickets.in_window))
    if old.as_of >= new.as_of:
        notes.append(note("order", old=old.as_of[:10], new=new.as_of[:10]))
    shapes_old, shapes_new = _cuts(old.extract_shape), _cuts(new.extract_shape)
    if shapes_old != shapes_new:
        # a cut that hides the open work (closure-selected, nothing open) changes what the
        # signs can see, so deltas across two cuts are not the process moving
        notes.append(note("shape", old=", ".join(sorted(shapes_old)) or "none",
                          new=", ".join(sorted(shapes_new)) or "none"))
    # a self-assessed sign is one the data could not answer either
    unknown_old, unknown_new = old.unknown + old.self_assessed, new.unknown + new.self_assessed
    if unknown_new > unknown_old:
        notes.append(note("unknown", old=unknown_old, new=unknown_new))
    if abs(old.window.weeks - new.window.weeks) > 0.5:
        notes.append(note("window", old=old.window.weeks, new=new.window.weeks))
    if old.window.tz != new.window.tz:
        # --tz sets the window's days and the instants of times without a zone
        notes.append(note("tz", old=old.window.tz, new=new.window.tz))
    if old.generated_by.version != new.generated_by.version:
        notes.append(note("version", old=old.generated_by.version,
                          new=new.generated_by.version))
    # keys whose values both reports record are in the settings note (old -> new): the
    # overrides note names the others (a value a report does not record)
    valued = {c.key for c in settings}
    only_old = sorted(set(old.assumptions.overrides) - set(new.assumptions.overrides) - valued)
    only_new = sorted(set(new.assumptions.overrides) - set(old.assumptions.overrides) - valued)
    if only_old or only_new:
        parts = [note("only_old", ids=", ".join(only_old))] if only_old else []
        parts += [note("only_new", ids=", ".join(only_new))] if only_new else []
        notes.append(note("overrides", parts="; ".join(parts)))
    return notes


def _tools(r: Report) -> set[str]:
    return {i.tool for i in r.inputs}


def compare(old: Report, new: Report, wording: Mapping[str, str]) -> Comparison:
    """What changed from the baseline ``old`` to ``new`` (signs in ``new``'s order, then
    any the baseline alone has), worded with ``wording`` (the rules' defaults)."""
    before: dict[str, Finding] = {f.id: f for f in old.signs}
    after: dict[str, Finding] = {f.id: f for f in new.signs}
    order = [*after, *(i for i in before if i not in after)]
    settings = _settings(old, new)
    moved = {(c.finding, c.key.rsplit(".", 1)[-1]) for c in settings
             if c.finding and ".thresholds." in c.key}
    params_changed = _params_changed(old, new, settings)
    changes = []
    for sign_id in order:
        o, n = before.get(sign_id), after.get(sign_id)
        ref = n or o
        assert ref is not None  # nosec B101  # type narrowing: every id came from a report
        s_old, s_new = (o.status if o else None), (n.status if n else None)
        sa_old, sa_new = bool(o and o.self_assessed), bool(n and n.self_assessed)
        changed = sorted(name for fid, name in moved if fid == sign_id)
        measured_under = params_changed.get(sign_id, [])
        sides = "both" if sa_old and sa_new else "old" if sa_old else "new" if sa_new else ""
        changes.append(SignChange(
            id=sign_id, number=ref.number,
            # the sign table shows the title: it says which status was answered, not measured
            title=fmt(wording[f"compare_self_assessed.{sides}"], {"title": ref.title})
            if sides else ref.title,
            old=s_old, new=s_new,
            change=_kind(o, n),
            hours_old=o.hours_at_stake_per_month if o else None,
            hours_new=n.hours_at_stake_per_month if n else None,
            thresholds_changed=changed,
            params_changed=measured_under,
            self_assessed_old=sa_old, self_assessed_new=sa_new,
            comparable=not changed and not measured_under
            and s_old in _MEASURED and s_new in _MEASURED
            and not (sa_old or sa_new),
            # a flip to a verdict that lies within its figure's sampling noise now (the
            # baseline's noise says nothing of whether today's verdict is real: a clear
            # within noise then, 91% late against 20% now, is a trigger beyond noise)
            within_noise=_kind(o, n) in ("appeared", "cleared") and bool(n and n.within_noise),
        ))
    appeared = [c.id for c in changes if c.change == "appeared"]
    cleared = [c.id for c in changes if c.change == "cleared"]
    # an undetermined band moves with its lower end, the band of the score
    band_old, band_new = (_BANDS.index(band_for(old.score)), _BANDS.index(band_for(new.score)))
    band_direction: Direction | None = ("same" if band_old == band_new
                                        else "worse" if band_new > band_old else "better")
    score = _delta("score", wording["compare.score"], "count", old.score, new.score, True)
    # a sign triggered on one side only that is not comparable moved the score without
    # the process moving: the score and band get no direction (the move is still shown);
    # so does a self-assessed status that differs from the other side's (an answer filling
    # an unknown sign settles the band without anything measured)
    answered = {c.id for c in changes
                if (c.self_assessed_old or c.self_assessed_new) and c.old != c.new}
    unlike = [c for c in changes
              if (not c.comparable and (c.old == "triggered") != (c.new == "triggered"))
              or c.id in answered]
    direction_note = ""
    # signs that flipped under other rules: even a score they left the same (one appeared,
    # one cleared) compares reports made under different rules
    rules_moved = any(c.thresholds_changed or c.params_changed for c in unlike)
    if unlike and (band_direction != "same" or score.direction != "same" or rules_moved):
        direction_note = _direction_note(unlike, wording)
        band_direction = None if band_direction != "same" else band_direction
        score = score.model_copy(update={"direction": None})
    elif answered and (old.band, old.band_range) != (new.band, new.band_range):
        direction_note = _direction_note(unlike, wording)
        band_direction = None
    skip = {c.id for c in changes if c.self_assessed_old or c.self_assessed_new}
    # nor does a sign measured under other params: the baseline measured another figure
    measured_apart = {c.id for c in changes if c.params_changed}
    # a sign that appeared or cleared within noise moves neither side of the gate
    noisy = {c.id for c in changes if c.within_noise}
    # nor the score's direction: a score (and band) moved by such signs alone is no
    # better or worse process, only another window of the same one
    flipped = set(appeared) | set(cleared)
    if (flipped and flipped <= noisy and not direction_note
            and (band_direction != "same" or score.direction != "same")):
        direction_note = fmt(wording["compare_note.score_noise"],
                             {"signs": ", ".join(c.id for c in changes if c.id in flipped)})
        band_direction = None if band_direction != "same" else band_direction
        score = score.model_copy(update={"direction": None})
    kpis, kpi_notes = _kpi_deltas(old, new, wording)
    hours, hours_notes, left_out = _hours(old, new, changes, settings, wording)
    notes = [*kpi_notes, *_notes(old, new, wording, settings)]
    if noisy:
        notes.append(fmt(wording["compare_note.signs_noise"],
                         {"signs": ", ".join(c.id for c in changes if c.id in noisy)}))
    if settings:
        notes.append(_settings_note(settings, wording))
    return Comparison(
        baseline=_ref(old),
        current=_ref(new),
        score=score,
        band_old=old.band,
        band_new=new.band,
        band_direction=band_direction,
        direction_note=direction_note,
        appeared=appeared,
        cleared=cleared,
        signs=changes,
        kpis=kpis,
        hours_at_stake=hours,
        hours_left_out=left_out,
        settings=settings,
        # a self-assessed status on either side never fires the gate
        # and a sign that appeared or cleared within noise counts on neither side
        increased=_gated_score(new, skip | noisy | measured_apart)
        > _gated_score(old, skip | noisy | measured_apart)
        or any(i not in noisy and i not in measured_apart for i in appeared),
        notes=[*notes, *hours_notes],
    )


#: the statuses a sign is measured with (unknown, or absent: not measured)
_MEASURED = ("triggered", "clear")


def _status_words(status: Status | None, wording: Mapping[str, str],
                  self_assessed: bool = False) -> str:
    words = wording[f"compare_status.{status or 'absent'}"]
    return fmt(wording["compare_status.self_assessed"], {"status": words}) \
        if self_assessed else words


def _direction_note(unlike: list[SignChange], wording: Mapping[str, str]) -> str:
    """Why the score and band get no direction: each sign that moved them unlike for
    like, and how (measured on one side only, or under a changed threshold)."""
    parts = []
    for c in unlike:
        if c.thresholds_changed or c.params_changed:
            key = "threshold" if not c.params_changed else "params"
            parts.append(fmt(wording[f"compare_unlike.{key}"], {
                "id": c.id, "names": ", ".join([*c.thresholds_changed, *c.params_changed])}))
        else:
            parts.append(fmt(wording["compare_unlike.measured"],
                             {"id": c.id,
                              "old": _status_words(c.old, wording, c.self_assessed_old),
                              "new": _status_words(c.new, wording, c.self_assessed_new)}))
    return fmt(wording["compare_note.unlike"], {"signs": "; ".join(parts)})


def _hours(old: Report, new: Report, changes: list[SignChange],
           settings: list[SettingChange], wording: Mapping[str, str]
           ) -> tuple[Delta, list[str], list[str]]:
    """The hours at stake over the comparable signs priced on both sides, the notes on
    what is left out and on other handle minutes, and the ids left out.

    A sign triggered in both reports but priced in one only (the table its hours come
    from is missing now) is left out too: its hours did not fall, they went unmeasured."""
    def priced_once(c: SignChange) -> bool:
        return (c.old == c.new == "triggered"
                and (c.hours_old is None) != (c.hours_new is None))

    comparable = {c.id for c in changes if c.comparable and not priced_once(c)}
    left = [c for c in changes if c.id not in comparable and (c.hours_old or c.hours_new)]
    # a sign compared that could carry hours: triggered on either side
    weighed = any(c.id in comparable and "triggered" in (c.old, c.new) for c in changes)
    key = ("compare.hours_at_stake" if not left else "compare.hours_at_stake_compared"
           if weighed else "compare.hours_at_stake_none")
    # a baseline made before the hours counted each ticket once adds the signs' hours up:
    # so does the other side then (like for like, not a fall from counting)
    once = counts_once(old) and counts_once(new)
    row = _delta("hours_at_stake", wording[key], "hours",
                 hours_at_stake(old, comparable, once), hours_at_stake(new, comparable, once),
                 True)
    notes = [] if once else [wording["compare_note.hours_counted_plainly"]]

    def side(hours: float | None, status: Status | None, self_assessed: bool) -> str:
        if hours:
            return figure(hours, "hours")
        if status == "triggered" and not self_assessed:
            return wording["compare_hours.unpriced"]
        return _status_words(status, wording, self_assessed)

    if left:
        signs = "; ".join(
            fmt(wording["compare_hours.sign"],
                {"id": c.id, "old": side(c.hours_old, c.old, c.self_assessed_old),
                 "new": side(c.hours_new, c.new, c.self_assessed_new)})
            for c in left)
        notes.append(fmt(wording["compare_note.hours_left_out"],
                         {"signs": signs, "old": figure(hours_at_stake(old, once=once), "hours"),
                          "new": figure(hours_at_stake(new, once=once), "hours")}))
    # handle minutes, or a rule's own minutes or target the hours rest on
    minutes = [c for c in settings if c.key.startswith("defaults.handle_minutes.")
               or (".params." in c.key and (c.finding is None or c.finding in comparable))]
    if left and not weighed:
        # every sign with hours was left out: "0.0 h -> 0.0 h" compares nothing
        return row.model_copy(update={"direction": None}), notes, [c.id for c in left]
    spread = [_hours_variance(r, comparable) for r in (old, new)]
    moved = row.delta
    if not minutes and row.direction in ("better", "worse") and None in spread:
        # hours that are no count's (logged time) are not weighed: a move the reports do
        # not carry enough to weigh gets no direction, as a KPI's would
        uncounted = dict.fromkeys([*_uncounted(old, comparable), *_uncounted(new, comparable)])
        row = row.model_copy(update={"direction": None})
        notes.append(fmt(wording["compare_note.hours_unweighed"], {
            "delta": abs(moved or 0.0), "signs": ", ".join(uncounted)}))
    if (not minutes and row.direction in ("better", "worse") and moved is not None
            and spread[0] is not None and spread[1] is not None):
        # the hours rest on counts of tickets: a move chance gives as often as once in 100
        # is no news, as for the KPIs beside it
        band = _NORMAL.inv_cdf(1 - _ALPHA / 2) * math.sqrt(spread[0] + spread[1])
        if abs(moved) < band:
            row = row.model_copy(update={"direction": "same"})
            notes.append(fmt(wording["compare_note.hours_noise"], {
                "delta": abs(moved), "band": band, "one_in": round(1 / _ALPHA)}))
    if minutes and row.direction is not None:
        # the same tickets cost other hours: the move is the assumption's, not the
        # process's (hours the same under other minutes are no more like for like)
        row = row.model_copy(update={"direction": None})
        notes.append(wording["compare_note.hours_minutes"])
    return row, notes, [c.id for c in left]
