"""S5 ``changes``: do changes keep breaking things?

Change-caused incidents are found in three tiers; an incident found by several tiers is
counted once, under its best (lowest) tier:

1. **explicit**: the incident's ``caused_by_change`` names a change;
2. **failed change**: the incident is on the same CI (else service) as a change whose
   outcome is failed / backed out / successful with issues, and was opened from the
   change's start up to ``window_hours`` after its end;
3. **heuristic**: the incident is on the same CI (else service) as any implemented change
   and was opened within ``window_hours`` after the change's end.

"Same CI, else service": both records name a CI and they are equal; or one of them has
no CI and both name the same service. A change's end is ``actual_end``, else
``planned_end``, else ``closed_at``; its start ``actual_start``, else ``planned_start``,
else its end. Cancelled changes (status or outcome) were never implemented and are left
out. Also measured: change failure rate, emergency and standard shares (the tiering).

Minimum samples: fewer than ``min_incidents`` incidents opened in the window make the
sign unknown; so do fewer than ``min_changes`` implemented changes ending in the window
when no incident carries a link (the verdict would rest on a handful of changes).

Names are matched as written (case and surrounding spaces aside): two tables that fill
their CIs but spell them apart (``SRV-APP-07``, ``srv-app-07.corp.example.com``) share
no key, and tiers 2-3 then cannot be applied (unknown, in numbers, without links). Only
changes on a CI or service a window incident names count towards ``min_changes``; under
``min_shared_change_share`` of them, with links too sparse to clear, a clear is unknown.
The tiering (``tiering_problems``) is measured only where the typed changes hold more
than one type: an export of one type is a filtered export, named as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    QUARTER_DAYS,
    Confidence,
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    Window,
    less_sure,
    per_month,
    ratio,
    weeks_said,
)
from itsm_diag.signs.common import (
    effort_words,
    fold_codes,
    folded,
    isin_values,
    kind_minutes,
    too_few,
)
from itsm_diag.signs.shape import week_numbers
from itsm_diag.stats import even_split_tail, poisson_difference
from itsm_diag.text import named_counts

#: the shortest and the longest calendar quarter: a window of these days (a calendar
#: quarter, the default 13 weeks) is a quarter's, neither projected up nor scaled down
CALENDAR_QUARTER_DAYS = (90.0, 92.0)

_COMPLETED = ("successful", "successful_with_issues", "failed", "backed_out")


def window_quarters(days: float) -> float:
    """A window of ``days`` in quarters of three 30.44-day months (91.31 days); a window of
    a calendar quarter (90 to 92 days: the default 13 weeks, Q1 to Q4) is that quarter,
    not projected up or down to 91.31 days: one incident in 13 weeks is 1.0 a quarter,
    never 1.003 against "more than 1", and Q3's 170 incidents read 170."""
    if CALENDAR_QUARTER_DAYS[0] <= days <= CALENDAR_QUARTER_DAYS[1]:
        return 1.0
    return days / QUARTER_DAYS
_FAILED = ("failed", "backed_out")


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t, w = ctx.tickets, ctx.window
    meas = Measurement()
    # the incidents and changes that existed at the window end: next month's change is no
    # change of this window's desk, nor is next month's incident's link to one evidence
    # that the desk links them (an export pulled weeks later reads as one pulled then)
    opened = ctx.opened_by_end()
    inc = ctx.of_kind("incident") & opened
    chg = ctx.of_kind("change") & opened
    linked = inc & folded(ctx, m.CAUSED_BY_CHANGE).notna()
    if not chg.any() and not linked.any():
        meas.unknown = Note(code="no_changes")
        return meas
    inc_win = inc & ctx.opened_in_window()
    # incidents outside the window only say the export does not cover it: not "none broke"
    if not inc_win.any():
        meas.unknown = Note(code="no_incidents")
        return meas

    # each change as it stood at the window end (:func:`_as_of_end`)
    end, outcome, unread_outcome = _as_of_end(ctx)
    _change_model(ctx, params, chg, meas, end, outcome, unread_outcome)

    hours = pd.Timedelta(hours=float(params.get("window_hours", 48.0)))
    bad = [str(x) for x in params.get("failed_outcomes",
                                      ["failed", "backed_out", "successful_with_issues"])]
    # cancelled at the window end: a ticket cancelled (done) after it was still open then
    cancelled = ctx.cancelled_by_end() | (outcome == "cancelled").fillna(False).astype(bool)
    start = ctx.as_of_end(m.ACTUAL_START).fillna(t[m.PLANNED_START]).fillna(end)
    # (a change opened after the window end, left out of ``chg``, was no record at it: an
    # incident of the window's last days is no match "by chance" for next month's change)
    # implemented by the window end: an actual start or end then, a done status (resolved,
    # closed) or a read close code. A change still in Assess, Authorize or Scheduled whose
    # planned dates passed was postponed, not done: no incident follows it
    acted = (ctx.as_of_end(m.ACTUAL_START).notna() | ctx.as_of_end(m.ACTUAL_END).notna()
             | ctx.done_by_end().notna()
             | outcome.isin(_COMPLETED).fillna(False).astype(bool))
    dated = chg & ~cancelled.astype(bool) & end.notna()
    implemented = dated & acted
    not_done = _not_implemented(ctx, dated & ~acted, implemented, end)

    # ---- which tiers can this export answer at all? (missing data must not read as 0)
    unusable: list[Note] = []
    tier1_ok = bool(linked.any())
    if not tier1_ok:
        unusable.append(Note(code="tier1_unavailable"))
    ci, svc = folded(ctx, m.CI), folded(ctx, m.SERVICE)
    keys_ok = bool(
        (ci[implemented].notna().any() and ci[inc].notna().any())
        or (svc[implemented].notna().any() and svc[inc].notna().any())
    )
    chg_win = implemented & w.contains(end)
    # a change table cut shorter than the incidents' (last month's changes beside a
    # quarter of incidents): no incident of the weeks without changes can be matched, so
    # the rate is counted over the weeks the changes cover, from their incidents alone
    span = _change_span(ctx, params, end[implemented], int(chg_win.sum()))
    if span is not None:
        w, cover = span
        inc_win = inc_win & w.contains(t[m.OPENED_AT])
        meas.notes.append(cover)
    # filled on both sides is not linked: "SRV-APP-07" and "srv-app-07.corp.example.com"
    # never match, and a search that cannot match finds nothing, which is no "clear"
    shared = _Overlap(ctx, implemented, chg_win, inc_win) if keys_ok else None
    keys_note = None
    if not chg.any():
        unusable.append(Note(code="tier23_no_changes"))
    elif not implemented.any() and not_done is not None:
        unusable.append(not_done.model_copy(update={"code": "tier23_not_implemented"}))
        not_done = None
    elif not implemented.any():
        unusable.append(Note(code="tier23_no_end"))
    elif not keys_ok:
        unusable.append(Note(code="tier23_no_keys"))
    elif shared is not None and not shared.any_incident:
        keys_note = Note(code="tier23_keys_unshared", params=shared.params(ctx))
        unusable.append(keys_note)
        keys_ok = False
    tier3_ok = bool(implemented.any()) and keys_ok
    tier2_ok = tier3_ok and bool(outcome[implemented].notna().any())
    if tier3_ok and not tier2_ok:
        unusable.append(Note(code="tier2_no_outcome"))
    if not (tier1_ok or tier2_ok or tier3_ok):
        # the unknown says it in numbers (the note would repeat it)
        meas.notes.extend(n for n in unusable if n is not keys_note)
        never = next((n for n in unusable if n.code == "tier23_not_implemented"), None)
        meas.notes[:] = [n for n in meas.notes if n is not never]
        meas.unknown = keys_note or never or Note(code="no_tier_usable")
        return meas
    meas.notes.extend(unusable)
    if not_done is not None:
        meas.notes.append(not_done)
    # the rate is sought among the window's incidents: a few dozen at least, or "none was
    # caused by a change" only means "there were hardly any incidents"
    short = too_few(int(inc_win.sum()), int(params.get("min_incidents", 30)))
    if short is None and not tier1_ok:
        # without links, tiers 2-3 search from the change side: they need changes to
        # search, each on a CI or service some incident names (presence rule)
        n_all = int(chg_win.sum())
        n_chg = shared.changes_linkable if shared is not None else n_all
        minimum = int(params.get("min_changes", 10))
        if n_chg < minimum:
            short = Note(code="too_few_changes",
                         params={"n": n_chg, "all": n_all, "min": minimum})
    if short is not None:
        meas.unknown = short
        return meas
    usable = int(tier1_ok) + int(tier2_ok) + int(tier3_ok)
    conf: dict[int, Confidence] = {3: "high", 2: "medium"}
    meas.confidence = conf.get(usable, "low")
    # links alone, on a sliver of the incidents, can show that changes break things but
    # not that they do not: a few links say the field exists, not that it is kept
    n_linked_win = int((inc_win & linked).sum())
    link_share = n_linked_win / int(inc_win.sum())
    min_share = float(params["min_link_share"])
    if not tier3_ok and link_share < min_share:
        meas.absence_unproven = Note(code="links_sparse", params={
            "linked": n_linked_win, "n": int(inc_win.sum()), "share": link_share,
            "min": min_share, "all_linked": int(linked.sum())})
    # an input whose incidents neither carry links nor name a CI or service a change
    # names (a second tool's desk, a list without CIs) is never searched: a clear from
    # the others' incidents says nothing of its own, and when most of the window's
    # incidents are its, nothing of the desk
    unsearched = _unsearched(ctx, params, inc_win, linked, shared)
    # over the bar it is the reason a clear cannot stand (said there, not twice)
    unproven = unsearched is not None and unsearched.params["share"] > 1.0 - float(
        params["min_searched_share"])
    if unsearched is not None and not unproven:
        meas.notes.append(unsearched)
    # tiers 2-3 search only the changes whose CI or service an incident names: when most
    # changes name keys no incident names (two spellings of the CIs), "none followed"
    # covers a part of the changes, and links too sparse to clear cannot make up for it
    min_shared = float(params.get("min_shared_change_share", 0.5))
    partly = None
    if tier3_ok and shared is not None and link_share < min_share \
            and shared.changes_share < min_shared:
        partly = Note(code="keys_partly_shared",
                      params={**shared.params(ctx), "min": min_shared})

    # ids travel as sort-rank codes: carrying, sorting and de-duplicating millions of
    # candidate pairs works on integers, and the id strings are looked up for the kept
    # rows only. Codes sort as the strings do; a missing incident id sorts last and a
    # missing change id first, as the sorts below place <NA>.
    inc_codes, inc_names = _ranks(t.loc[inc_win, m.TICKET_ID], na_last=True)
    link_in_win = (inc_win & linked)[inc_win].to_numpy(dtype=bool)
    n_links = int(link_in_win.sum())
    chg_codes, chg_names = _ranks(pd.concat([t.loc[inc_win & linked, m.CAUSED_BY_CHANGE],
                                             t.loc[implemented, m.TICKET_ID]]), na_last=False)

    # ---- tier 1: explicit links
    t1 = pd.DataFrame({
        "incident": inc_codes[link_in_win],
        "change": chg_codes[:n_links],
        "opened": t.loc[inc_win & linked, m.OPENED_AT].reset_index(drop=True),
        "tier": 1,
        "matched_on": "link",
        "gap_h": float("nan"),
    }, copy=False)

    # ---- tiers 2 and 3: same CI, else service, and a time filter (vectorised merges)
    incs = pd.DataFrame({
        "incident": inc_codes, "opened": t.loc[inc_win, m.OPENED_AT],
        "ci": ci[inc_win], "service": svc[inc_win],
    }, copy=False).dropna(subset=["opened"])
    chgs = pd.DataFrame({
        "change": chg_codes[n_links:], "start": start[implemented],
        "end": end[implemented], "ci": ci[implemented], "service": svc[implemented],
        "bad": outcome[implemented].isin(bad).fillna(False).astype(bool),
    }, copy=False)
    # only pairs that can pass a time filter below: from the change's start (tier 2, on a
    # failed change) or end, up to ``hours`` after its end
    lower = chgs["end"]
    if tier2_ok:
        lower = lower.where(~chgs["bad"], pd.concat([chgs["start"], chgs["end"]], axis=1)
                            .min(axis=1))
    pairs = _pairs(incs, chgs, lower, chgs["end"] + hours)
    in_tail = (pairs["opened"] >= pairs["end"]) & (pairs["opened"] <= pairs["end"] + hours)
    in_run = (pairs["opened"] >= pairs["start"]) & (pairs["opened"] <= pairs["end"] + hours)
    t2 = pairs[in_run & pairs["bad"]] if tier2_ok else pairs.iloc[0:0]
    t2 = t2.assign(tier=2)
    t3 = pairs[in_tail].assign(tier=3)
    cols = ["incident", "opened", "change", "tier", "matched_on", "gap_h"]
    found = pd.concat(
        [t1[cols], t2.assign(gap_h=_gap_h(t2))[cols], t3.assign(gap_h=_gap_h(t3))[cols]],
        ignore_index=True,
    )
    # best tier wins; within a tier, the change that ended closest before the incident
    found["closeness"] = found["gap_h"].abs()
    best = _first_per_incident(found)
    best = best.assign(_rank=best["incident"],
                       incident=_names(inc_names, best["incident"], na_code=len(inc_names)),
                       change=_names(chg_names, best["change"], na_code=-1))

    # the weeks the export holds tickets in, in quarters of three 30.44-day months: the
    # rate a quarter is three times the hours line's count a month (a 90-day quarter read
    # 28.7 a quarter beside 9.7 a month)
    quarters = window_quarters(w.covered_days)
    # the count a verdict can rest on: tier 1, and tiers 2-3 only where they find more
    # than the same spans before the changes hold (which no change can have caused),
    # beyond chance at the noise level: a difference within noise is no count
    level = float(ctx.defaults.get("noise_level", 0.9))
    tiers = _by_chance(ctx, meas, best, incs, chgs, hours, inc_names, tier2_ok, level) \
        if tier3_ok else {}
    counted = [c for c in tiers.values() if c.counted]
    count = int((best["tier"] == 1).sum()) + sum(c.excess for c in counted)
    _chance_unproven(meas, tiers, count, quarters, hours)
    if partly is not None:  # no count of tiers 2-3 can clear what was never searched
        meas.absence_unproven, meas.clear_case = partly, {}
    if unsearched is not None and unproven:
        if meas.absence_unproven is not None:
            meas.notes.append(meas.absence_unproven)
        meas.absence_unproven, meas.clear_case = unsearched, {}
    _inferred_changes(ctx, meas, best, count, quarters)
    # the samples of the rate: tier 1's and those of the tiers beyond chance
    shown = best.loc[best["tier"].isin([1, *(c.tier for c in counted)]), "incident"]
    caused = isin_values(t[m.TICKET_ID], shown) & inc_win
    # a rate projected up from a short window rests on its few incidents alone: one in a
    # month is no "three a quarter" (none stays none, whatever the window)
    minimum = int(params.get("min_projected", 2))
    projected_from_few = quarters < 1 and 0 < count < minimum
    if projected_from_few:  # the other figures stay: the evidence of what was found
        meas.unknown = Note(code="too_few_to_project", params={
            "found": count, "days": round(w.covered_days, 1), "min": minimum})
    # the weeks the rate is over: the window's, or the part the change records cover
    meas.metrics["rate_weeks"] = Figure(value=w.covered_weeks)
    meas.metrics["change_caused_per_quarter"] = Figure(
        value=count / quarters if quarters > 0 and not projected_from_few else None,
        numerator=float(count), denominator=quarters, sample_ids=ctx.samples(caused),
        # the counts before the changes subtracted from it: Poisson too (the noise)
        chance=float(sum(c.before for c in counted)) if counted else None,
    )
    meas.series["change_caused_weekly"] = _weekly_by_tier(best)
    if (best["tier"] > 1).any():  # tiers 2-3 count hours between day stamps
        ctx.step_down(meas, (m.OPENED_AT, m.ACTUAL_START, m.ACTUAL_END, m.PLANNED_START,
                             m.PLANNED_END, m.CLOSED_AT), "day_stamps",
                      hours=hours / pd.Timedelta(hours=1))
    for tier in (1, 2, 3):
        ok = (tier1_ok, tier2_ok, tier3_ok)[tier - 1]
        ids = best.loc[best["tier"] == tier, "incident"]
        meas.metrics[f"tier{tier}_incidents"] = Figure(
            value=float(len(ids)) if ok else None,
            sample_ids=sorted(map(str, ids))[: ctx.max_samples],
        )
    max_rows = int(params.get("max_table_rows", 50))
    # by the incident's code: the same order as its id, <NA> last
    table = best.sort_values(["tier", "opened", "_rank"], kind="stable").head(max_rows)
    rows = pd.DataFrame({
        "incident": table["incident"].astype(str),
        "change": table["change"].astype(str),
        "tier": table["tier"].astype(int),
        "matched_on": table["matched_on"].astype(str),
        "incident_opened": table["opened"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hours_after_change_end": table["gap_h"].round(1),
    }, copy=False).astype(object)
    # NaN (no gap for an explicit link) must reach the report as null
    meas.tables["change_caused"] = rows.where(rows.notna(), None).to_dict("records")
    if len(best) > len(rows):
        meas.table_totals["change_caused"] = len(best)
    if count:
        handle = kind_minutes(ctx, "incident")  # its logged median, else the default
        minutes = handle + float(params.get("extra_minutes", 30.0))
        # the incidents' own handle minutes (the extra minutes are rework, no handle time):
        # tier 1 whole, a tier beyond chance at its share beyond the count before changes
        each = pd.Series(1.0, index=t.index)
        for c in counted:
            on = isin_values(t[m.TICKET_ID], best.loc[best["tier"] == c.tier, "incident"])
            each = each.mask(on, c.excess / c.after)
        meas.costs.append(Cost(
            basis="change_caused", count=float(count),
            hours_per_month=per_month(count, w) * minutes / 60.0,
            params={"per_month": per_month(count, w), "minutes": minutes,
                    "effort": effort_words(ctx, ["incident"])},
        ).handling(t, caused,
                   each * per_month(1, w) * handle / 60.0))
    return meas


def _change_span(ctx: Context, params: ParamMap, ends: pd.Series,
                 n_win: int) -> tuple[Window, Note] | None:
    """The part of the window the change records cover, when they cover clearly less:
    none ends in its first (or last) weeks, and none before (or after) it, where the days
    with a change ending, spread over the window, would leave an edge that long empty
    with a chance under ``change_edge_chance`` (and never under
    ``min_change_edge_days``: a freeze over the holidays is no cut). Days, not changes:
    24 changes of one release weekend are three days' work, not 24 draws, and a calendar
    of release weekends is no cut. ``None`` when they cover it all."""
    w = ctx.window
    days = w.covered_days
    if n_win == 0 or days <= 0:
        return None
    # the part of the window the export covers (``--until`` past the data ends early)
    start, end = w.covered_start, w.covered_end
    inside = ends[(ends >= start) & (ends <= end)]
    first, last = inside.min(), inside.max()
    if pd.isna(first) or pd.isna(last):
        return None
    change_days = int(inside.dt.floor("D").nunique())
    chance = float(params.get("change_edge_chance", 0.01))
    longest = max(float(params.get("min_change_edge_days", 14.0)),
                  days * (1.0 - chance ** (1.0 / change_days)))
    day = pd.Timedelta(days=1)
    lead, tail = (first - start) / day, (end - last) / day
    cut_start = lead > longest and not bool((ends < start).any())
    cut_end = tail > longest and not bool((ends > end).any())
    if not (cut_start or cut_end):
        return None
    hours = pd.Timedelta(hours=float(params.get("window_hours", 48.0)))
    lo = first.normalize() if cut_start else start
    hi = min(end, last + hours) if cut_end else end
    cover = Window(start=lo, end=hi)
    return cover, Note(code="changes_cover_less", params={
        "first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}", "lead": lead, "tail": tail,
        "weeks": weeks_said(cover.days), "window_weeks": w.covered_weeks, "changes": n_win,
        "change_days": change_days,
        "longest": longest, "from": f"{lo:%Y-%m-%d}", "to": f"{hi:%Y-%m-%d}"})


@dataclass(frozen=True)
class _Chance:
    """One tier's incidents after changes (``after``: the tier's own) against the same
    spans before the changes began (``before``), the ``level`` interval of their
    difference (``low`` to ``high``: two Poisson counts, :func:`poisson_difference`) and
    the exact chance ``p`` of ``after`` or more of their sum after the changes when chance
    splits them evenly (:func:`even_split_tail`)."""

    tier: int
    after: int
    before: int
    low: float
    high: float
    p: float
    level: float

    @property
    def excess(self) -> int:
        return self.after - self.before

    @property
    def alpha(self) -> float:
        """The one-sided chance under which the excess is beyond chance: the ``level``
        interval's tail."""
        return (1.0 - self.level) / 2

    @property
    def counted(self) -> bool:
        """Beyond chance: an even split gives this many after the changes less often
        than :attr:`alpha` (exact, the interval's own test at small counts is not)."""
        return self.excess > 0 and self.p < self.alpha


def _by_chance(ctx: Context, meas: Measurement, best: pd.DataFrame, incs: pd.DataFrame,
               chgs: pd.DataFrame, hours: pd.Timedelta, inc_names: Any, tier2_ok: bool,
               level: float) -> dict[int, _Chance]:
    """Tiers 2 and 3 against what timing gives by chance, per tier.

    Tiers 2-3 match an incident to a change on its CI or service and its timing alone, and
    on a busy CI or service timing matches by chance. A span of the same length *before*
    each change's start (an incident cannot be caused by a change not yet begun) holds
    what chance gives: tier 2's span of a failed change (from its start to ``hours``
    after its end) and tier 3's ``hours``, each counted as the tier is (distinct
    incidents, not in tier 1; tier 3's not in tier 2's). Both counts are Poisson: the
    tier's excess counts only when it is beyond chance at ``level`` (the exact test of an
    even split of their sum, :attr:`_Chance.counted`); else the
    tier cannot be told from chance and counts none (a note says so in numbers). With
    both tiers tested, each is at ``1 - (1 - level) / 2`` (95% for a 90% noise level), so
    a desk where changes break nothing reads a tier beyond chance no more often than the
    noise level allows for one figure (one desk in 20, not one in ten). A tier
    counted with more than half its matches by chance costs a step of confidence.

    Incidents that prompt a change also land before it, so this leans towards chance: the
    rate it gives is a floor."""
    found_1 = best.loc[best["tier"] == 1, "_rank"].to_numpy(dtype=np.int64)
    # tier 2's span of a failed change: its start to ``hours`` after its end
    run = (chgs["end"] + hours - chgs["start"]).clip(lower=pd.Timedelta(0))
    span = run.where(chgs["bad"], hours) if tier2_ok else pd.Series(hours, index=chgs.index)
    span = span.where(span > hours, hours)
    pairs = _pairs(incs, chgs, chgs["start"] - span, chgs["start"])
    opened, start = pairs["opened"], pairs["start"]
    code = pairs["incident"].to_numpy(dtype=np.int64)
    tail = (opened >= start - hours) & (opened <= start)
    before_run = (opened >= start - (pairs["end"] + hours - start)) & (opened <= start)
    seen = found_1
    out: dict[int, _Chance] = {}
    level = 1.0 - (1.0 - level) / (2 if tier2_ok else 1)
    for tier, mask in ((2, pairs["bad"] & before_run), (3, tail)):
        if tier == 2 and not tier2_ok:
            continue
        codes = np.unique(code[mask.to_numpy(dtype=bool)])
        codes = codes[~np.isin(codes, seen)]
        seen = np.concatenate([seen, codes])
        after = int((best["tier"] == tier).sum())
        low, high = poisson_difference(after, len(codes), level)
        c = out[tier] = _Chance(tier, after, len(codes), low, high,
                                even_split_tail(after, after + len(codes)), level)
        ids = _names(inc_names, pd.Series(codes[:ctx.max_samples]), na_code=len(inc_names))
        meas.metrics[f"tier{tier}_by_chance"] = Figure(
            value=float(c.before), sample_ids=[str(i) for i in ids.dropna()])
        meas.metrics[f"tier{tier}_beyond_chance"] = Figure(
            value=float(c.excess if c.counted else 0))
        if not (after or c.before):
            continue
        verdict = Note(code="chance_beyond" if c.counted else "chance_within", params={
            "excess": c.excess, "low": low, "high": high, "level": level, "p": c.p,
            "alpha": c.alpha, "total": after + c.before, "after": after})
        meas.notes.append(Note(code=f"tier{tier}_chance", params={
            "after": after, "before": c.before, "hours": hours / pd.Timedelta(hours=1),
            "verdict": verdict}))
    if any(c.counted and 2 * c.before > c.after for c in out.values()):
        meas.confidence = less_sure(meas.confidence)
    return out


def _chance_unproven(meas: Measurement, tiers: dict[int, _Chance], count: int,
                     quarters: float, hours: pd.Timedelta) -> None:
    """A clear is unproven when the tiers that could not be told from chance would, at
    their measured excess, make it a trigger: timing alone cannot tell either way
    (``absence_unproven``, graded again with that rate in ``clear_case``)."""
    left = [c for c in tiers.values() if not c.counted and c.excess > 0]
    if not left or quarters <= 0:
        return
    extra = sum(c.excess for c in left)
    meas.absence_unproven = Note(code="chance_decides", params={
        "rate": count / quarters, "raw": (count + extra) / quarters, "extra": extra,
        "after": sum(c.after for c in left), "before": sum(c.before for c in left),
        "high": sum(c.high for c in left), "tiers": " and ".join(str(c.tier) for c in left),
        "hours": hours / pd.Timedelta(hours=1)})
    meas.clear_case["change_caused_per_quarter"] = (count + extra) / quarters


def _unsearched(ctx: Context, params: ParamMap, inc_win: pd.Series, linked: pd.Series,
                shared: _Overlap | None) -> Note | None:
    """A note naming the inputs (by tool) whose window incidents no tier can search, with
    their incidents and share of the window's, or None when every input's can be or the
    window's incidents come from one input. An input's incidents can be searched when
    links are filled on at least ``min_link_share`` of them or some of them name a CI or
    service an implemented change names."""
    codes, names = ctx.source_codes
    if len(names) < 2:
        return None
    win = inc_win.to_numpy(dtype=bool)
    size = len(names)
    n = np.bincount(codes[win], minlength=size)
    if int((n > 0).sum()) < 2:
        return None
    links = np.bincount(codes[win & linked.to_numpy(dtype=bool)], minlength=size)
    keyed = (np.bincount(codes[shared.incident_ok], minlength=size) if shared is not None
             else np.zeros(size, dtype=np.int64))
    blind = (n > 0) & (links < float(params["min_link_share"]) * n) & (keyed == 0)
    if not blind.any():
        return None
    order = np.flatnonzero(blind)[np.argsort(-n[blind], kind="stable")]
    left = int(n[blind].sum())
    total = int(n.sum())
    return Note(code="sources_unsearched", count=left, params={
        "sources": "; ".join(f"{names.iloc[c]}: {int(n[c]):,}" for c in order),
        "n": total, "share": left / total, "searched": total - left,
        "min": float(params["min_searched_share"]),
        "link_min": float(params["min_link_share"])})


class _Overlap:
    """Which changes and incidents name a CI or service the other side names, as tiers
    2-3 match them (same CI; else the same service where one of the two has no CI), on
    the fold's integer codes: a presence table per key, no per-ticket Python.

    Linkable incidents are the window's that an implemented change could match; linkable
    changes are the implemented ones ending in the window that a window incident could."""

    def __init__(self, ctx: Context, implemented: pd.Series, chg_win: pd.Series,
                 inc_win: pd.Series) -> None:
        self.chg_rows = chg_win.to_numpy(dtype=bool)
        self.inc_rows = inc_win.to_numpy(dtype=bool)
        impl = implemented.to_numpy(dtype=bool)
        self.ci, self.ci_keys = fold_codes(ctx, m.CI)
        self.svc, self.svc_keys = fold_codes(ctx, m.SERVICE)
        ci_blank = self.ci < 0
        ci_of = self._present(self.ci, len(self.ci_keys))
        svc_of = self._present(self.svc, len(self.svc_keys))
        inc_ok = ci_of(impl)[self.ci] | (ci_blank & svc_of(impl)[self.svc]) \
            | svc_of(impl & ci_blank)[self.svc]
        chg_ok = ci_of(self.inc_rows)[self.ci] | (ci_blank & svc_of(self.inc_rows)[self.svc]) \
            | svc_of(self.inc_rows & ci_blank)[self.svc]
        self.incidents = int(self.inc_rows.sum())
        #: per ticket: a window incident an implemented change could match
        self.incident_ok = inc_ok & self.inc_rows
        self.incidents_linkable = int(self.incident_ok.sum())
        self.changes = int(self.chg_rows.sum())
        self.changes_linkable = int((chg_ok & self.chg_rows).sum())
        self.any_incident = self.incidents_linkable > 0
        self.changes_share = self.changes_linkable / self.changes if self.changes else 0.0
        self.changes_blank = int((self.chg_rows & ci_blank & (self.svc < 0)).sum())

    @staticmethod
    def _present(codes: np.ndarray, size: int) -> Any:
        """``rows`` -> per key code (and a last, always False slot that a blank's -1
        reads): some ticket of ``rows`` names the key."""
        def of(rows: np.ndarray) -> np.ndarray:
            hit = np.zeros(size + 1, dtype=bool)
            hit[codes[rows]] = True
            hit[-1] = False
            return hit
        return of

    def params(self, ctx: Context) -> dict[str, Any]:
        """The note's numbers: how many changes and incidents can be linked, the distinct
        CIs and services each side names and how many both do, and the most common
        unshared spelling of each side (CI when both sides name CIs, else service)."""
        out: dict[str, Any] = {
            "changes": self.changes, "changes_linkable": self.changes_linkable,
            "changes_share": self.changes_share, "changes_blank": self.changes_blank,
            "incidents": self.incidents,
            "incidents_linkable": self.incidents_linkable,
            "incidents_share": self.incidents_linkable / self.incidents
            if self.incidents else 0.0}
        examples: dict[str, str] = {}
        for name, codes, size, column in (("ci", self.ci, len(self.ci_keys), m.CI),
                                          ("service", self.svc, len(self.svc_keys),
                                           m.SERVICE)):
            of = self._present(codes, size)
            on_chg, on_inc = of(self.chg_rows)[:-1], of(self.inc_rows)[:-1]
            out[f"{name}_changes"] = int(on_chg.sum())
            out[f"{name}_incidents"] = int(on_inc.sum())
            out[f"{name}_shared"] = int((on_chg & on_inc).sum())
            if examples or not (on_chg.any() and on_inc.any()):
                continue
            raw, named = ctx.tickets[column], codes >= 0
            unshared = named & ~(on_chg & on_inc)[codes]
            for side, rows in (("change", self.chg_rows), ("incident", self.inc_rows)):
                # a name the other side lacks, else (all shared) any: its spelling
                examples[side] = _spelling(raw, codes, rows & unshared, size) \
                    or _spelling(raw, codes, rows & named, size)
        out["change_example"] = examples.get("change", "")
        out["incident_example"] = examples.get("incident", "")
        return out


def _spelling(raw: pd.Series, codes: np.ndarray, rows: np.ndarray, size: int) -> str:
    """The value of ``raw`` as written (trimmed) on the first of ``rows`` holding their
    most common key (the lowest code on a tie), or "" when ``rows`` holds none."""
    if not rows.any():
        return ""
    key = int(np.argmax(np.bincount(codes[rows], minlength=size)))
    first = int(np.flatnonzero(rows & (codes == key))[0])
    return str(raw.iloc[first]).strip()


def _weekly_by_tier(best: pd.DataFrame) -> list[dict[str, Any]]:
    """Incidents matched to a change per week (Monday to Sunday, UTC) and tier, every
    week from the first to the last: the chart's rows, uncut (the table keeps its top)."""
    if best.empty:
        return []
    week = week_numbers(m.ts_us(best["opened"]))
    first = int(week.min())
    counts = np.zeros((int(week.max()) - first + 1, 3), dtype=np.int64)
    np.add.at(counts, (week - first, best["tier"].to_numpy(dtype=np.int64) - 1), 1)
    weeks = pd.period_range(pd.Period(ordinal=first, freq="W"), periods=len(counts), freq="W")
    return [{"week_start": f"{week.start_time:%Y-%m-%d}", "tier_1": int(c[0]),
             "tier_2": int(c[1]), "tier_3": int(c[2])}
            for week, c in zip(weeks, counts, strict=True)]


def _gap_h(pairs: pd.DataFrame) -> pd.Series:
    return (pairs["opened"] - pairs["end"]) / pd.Timedelta(hours=1)


def _first_per_incident(found: pd.DataFrame) -> pd.DataFrame:
    """``found.sort_values(["tier", "closeness", "change"], na_position="first",
    kind="stable").drop_duplicates("incident")``, on the rows that can win only.

    Each incident keeps the rows with its lowest tier, then its lowest closeness (a link's
    NaN lowest), then its lowest change code: three hash group-bys on integer codes over
    millions of candidate pairs; only that remainder (about one row per incident) is sorted.
    """
    rest = found.assign(_close=found["closeness"].fillna(-1.0))
    for col in ("tier", "_close", "change"):
        low = rest.groupby("incident", sort=False)[col].transform("min")
        rest = rest[(rest[col] == low).to_numpy(dtype=bool)]
    best = rest.sort_values(["tier", "closeness", "change"], na_position="first",
                            kind="stable")
    return best.drop_duplicates("incident", keep="first").drop(columns="_close")


def _ranks(values: pd.Series, *, na_last: bool) -> tuple[np.ndarray, Any]:
    """(code of each value, the distinct values in sort order): codes sort as the values
    do; a missing value gets ``len(distinct)`` with ``na_last``, else -1."""
    codes, names = pd.factorize(values.array, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    if na_last:
        codes[codes < 0] = len(names)
    return codes, names


def _names(names: Any, codes: pd.Series, na_code: int) -> pd.Series:
    """The values behind ``codes`` (``na_code`` is <NA>), on ``codes``' index."""
    pos = codes.to_numpy(dtype=np.int64)
    pos = np.where(pos == na_code, -1, pos)
    return pd.Series(pd.api.extensions.take(names, pos, allow_fill=True), index=codes.index)


def _pairs(incs: pd.DataFrame, chgs: pd.DataFrame, lower: pd.Series, upper: pd.Series
           ) -> pd.DataFrame:
    """Every (incident, change) on the same CI, or the same service when a CI is missing,
    whose incident was opened in the change's [lower, upper]: the rows (and row order)
    of inner merges on each key, cut to that range, without the merge's
    every-incident-times-every-change product (it grows with the square of the tickets
    on a busy CI) and without carrying any text column."""
    parts: list[pd.DataFrame] = []
    for on in ("ci", "service"):
        left = np.flatnonzero(incs[on].notna().to_numpy())
        right = np.flatnonzero(chgs[on].notna().to_numpy())
        i_rows, c_rows = _merge_in_range(
            incs[on].iloc[left], m.ts_us(incs["opened"].iloc[left]),
            chgs[on].iloc[right], m.ts_us(lower.iloc[right]), m.ts_us(upper.iloc[right]))
        i_rows, c_rows = left[i_rows], right[c_rows]
        if on == "service":
            # two CIs that differ are different things even on one service: no match then
            ok = incs["ci"].isna().to_numpy()[i_rows] | chgs["ci"].isna().to_numpy()[c_rows]
            i_rows, c_rows = i_rows[ok], c_rows[ok]
        parts.append(pd.DataFrame({
            "incident": incs["incident"].to_numpy()[i_rows],
            "opened": incs["opened"].iloc[i_rows].reset_index(drop=True),
            "change": chgs["change"].to_numpy()[c_rows],
            "start": chgs["start"].iloc[c_rows].reset_index(drop=True),
            "end": chgs["end"].iloc[c_rows].reset_index(drop=True),
            "bad": chgs["bad"].to_numpy()[c_rows],
            "matched_on": on,
        }, copy=False))
    return pd.concat(parts, ignore_index=True)


def _merge_in_range(inc_key: pd.Series, opened: np.ndarray, chg_key: pd.Series,
                    lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (incident, change) of ``inc_key == chg_key`` with ``opened`` in the
    change's [lower, upper] (widened by a microsecond: the caller filters exactly), in
    an inner merge's order: by incident row, then change row.

    Incidents are sorted by (key, opened); each change finds its range with two binary
    searches on one integer (key code x time rank), so the cost follows the pairs kept.
    """
    codes, _ = pd.factorize(pd.concat([inc_key, chg_key], ignore_index=True))
    i_code = codes[: len(inc_key)].astype(np.int64)
    c_code = codes[len(inc_key):].astype(np.int64)
    lo, hi = lower - 1, upper + 1
    # dense time ranks keep key code x rank inside int64 whatever the time span
    times, ranks = np.unique(np.concatenate([opened, lo, hi]), return_inverse=True)
    width = np.int64(len(times) + 1)
    n_i, n_c = len(opened), len(lo)
    inc_sort_key = i_code * width + ranks[:n_i]
    order = np.argsort(inc_sort_key, kind="stable")
    sorted_key = inc_sort_key[order]
    first = np.searchsorted(sorted_key, c_code * width + ranks[n_i:n_i + n_c], side="left")
    stop = np.searchsorted(sorted_key, c_code * width + ranks[n_i + n_c:], side="right")
    counts = np.maximum(stop - first, 0)
    total = int(counts.sum())
    chg_rows = np.repeat(np.arange(n_c), counts)
    # positions first[c], first[c] + 1, ... for each change c, without a Python loop
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    inc_rows = order[np.repeat(first, counts) + offsets]
    # the merge's order: incident row, then change row (one int64 key, all distinct)
    keep = np.argsort(inc_rows * np.int64(max(n_c, 1)) + chg_rows)
    return inc_rows[keep], chg_rows[keep]


def _as_of_end(ctx: Context) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each change as it stood at the window end: (its end: the actual end, else the
    planned end, else the closed time, an actual end or closed time after the window end
    unknown then; its outcome, unknown then when it ended, or without an end was closed,
    after the window end; and the changes whose outcome was filled with a value not read,
    by then). A change that ended on 1 September was running on 31 August:
    August's report reads it by its planned end with no outcome, from an export pulled
    that night or weeks later."""
    t = ctx.tickets
    actual, closed = ctx.as_of_end(m.ACTUAL_END), ctx.as_of_end(m.CLOSED_AT)
    end = actual.fillna(t[m.PLANNED_END]).fillna(closed)
    # a time there that :meth:`Context.as_of_end` left out fell after the window end
    has_end = t[m.ACTUAL_END].notna()
    later = (has_end & actual.isna()) | (~has_end & t[m.CLOSED_AT].notna() & closed.isna())
    outcome = t[m.CHANGE_OUTCOME].where(~later)
    # an outcome the export fills with a value the reading could not put in the
    # vocabulary (a localised close code): not read, not missing
    unread = (ctx.filled(m.CHANGE_OUTCOME_RAW) & t[m.CHANGE_OUTCOME].isna() & ~later
              ).fillna(False).astype(bool)
    return end, outcome, unread


def _not_implemented(ctx: Context, planned: pd.Series, implemented: pd.Series,
                     end: pd.Series) -> Note | None:
    """A note counting the changes left out of tiers 2-3 as never implemented by the
    window end: planned (an end time there, by then) with no actual start or end, no done
    status and no close code then, naming their statuses; None when there are none."""
    passed = planned & ~ctx.window.after(end)
    n = int(passed.sum())
    if not n:
        return None
    status = ctx.tickets.loc[passed, m.STATUS_RAW].astype("string").str.strip()
    top = status.fillna("(blank)").replace("", "(blank)").value_counts()
    return Note(code="changes_not_implemented", count=n, params={
        "statuses": named_counts(top, 3),
        "implemented": int((implemented & ~ctx.window.after(end)).sum())},
        sample_ids=ctx.samples(passed))


def _inferred_changes(ctx: Context, meas: Measurement, best: pd.DataFrame, count: int,
                      quarters: float) -> None:
    """A trigger that the changes done by a status label outside the vocabulary (read
    done by their done time: ``model.STATUS_INFERRED``) could undo is unproven: had they
    been cancelled, no incident would be matched to them. Graded again without every
    incident matched on timing to one (``worst_case``)."""
    inferred = ctx.tickets[m.STATUS_INFERRED].fillna(False).astype(bool) & ctx.of_kind("change")
    if not inferred.any() or quarters <= 0 or meas.presence_unproven is not None:
        return
    ids = ctx.tickets.loc[inferred, m.TICKET_ID].astype(str)
    on_them = (best["tier"] > 1) & best["change"].astype(str).isin(set(ids))
    n = int(on_them.sum())
    if not n:
        return
    meas.presence_unproven = Note(code="status_inferred_decides", count=int(inferred.sum()),
                                  params={"incidents": n, "rate": count / quarters,
                                          "low": max(count - n, 0) / quarters})
    meas.worst_case = {"change_caused_per_quarter": max(count - n, 0) / quarters}


def _unread_note(ctx: Context, meas: Measurement, code: str, unread: pd.Series, read: int,
                 column: str, params: ParamMap, extra: dict[str, Any] | None = None,
                 moved: int | None = None) -> bool:
    """A note counting the window's changes whose ``column`` (a raw change field) holds a
    value the reading left empty, naming them; True when they are more than
    ``max_unread_share`` of the filled ones, or (``moved``: the count of the read ones the
    figure counts, the failed changes of a failure rate) more than ``max_unread_moved`` of
    that count: the unread ones could then each be one, so the share of the read ones
    is not read (n/a), not 0%. ``extra``: the note's other params (the range)."""
    n = int(unread.sum())
    if not n:
        return False
    share = n / (n + read)
    top = ctx.tickets.loc[unread, column].astype(str).str.strip().value_counts()
    most = float(params.get("max_unread_share", 0.05))
    meas.notes.append(Note(code=code, count=n, params={
        "read": read, "share": share, "values": named_counts(top, 3), "max": most,
        **(extra or {})}, sample_ids=ctx.samples(unread)))
    if moved is not None and n > float(params.get("max_unread_moved", 0.25)) * moved:
        return True
    return share > most


def _change_model(ctx: Context, params: ParamMap, chg: pd.Series, meas: Measurement,
                  end: pd.Series, outcome: pd.Series, unread_outcome: pd.Series) -> None:
    """Change failure rate and the standard / normal / emergency tiering, of each change
    as it stood at the window end (``end`` and ``outcome``: :func:`_as_of_end`; the
    outcomes filled but not read: ``unread_outcome``). Cancelled changes are left out of
    the window's changes (a note counts them); the outcomes not read give the failure
    rate's range; the changes without a type give the shares' range, and a tiering
    problem that range could undo (or make) is not measured."""
    t, w = ctx.tickets, ctx.window
    # a change belongs to the window by its end, else (not yet ended) by its opening; a
    # planned end after the data's end (a --until past the pull) is a plan the export
    # could not yet show done or failed: the window's changes are those up to the data's
    # end, as a run whose --until is that end counts them (the rates divide by its weeks)
    when = end.fillna(t[m.OPENED_AT])
    of_win = chg & w.contains(when) & (when <= w.covered_end).fillna(False).astype(bool)
    # cancelled at the window end (status or outcome): never implemented, no change of it
    cancelled = (ctx.cancelled_by_end() | (outcome == "cancelled")).fillna(False).astype(bool)
    in_win = of_win & ~cancelled
    n_cancelled = int((of_win & cancelled).sum())
    if n_cancelled:
        meas.notes.append(Note(code="changes_cancelled", count=n_cancelled,
                               params={"kept": int(in_win.sum())}))
    completed = in_win & outcome.isin(_COMPLETED).fillna(False).astype(bool)
    failed = completed & outcome.isin(_FAILED).fillna(False).astype(bool)
    unread = (in_win & unread_outcome).astype(bool)
    n_unread, n_failed = int(unread.sum()), int(failed.sum())
    over = int(completed.sum()) + n_unread
    rate_range = {"low": n_failed / over if over else 0.0,
                  "high": (n_failed + n_unread) / over if over else 0.0,
                  "failed": n_failed, "over": over}
    if _unread_note(ctx, meas, "outcomes_unread", unread, int(completed.sum()),
                    m.CHANGE_OUTCOME_RAW, params, extra=rate_range, moved=n_failed):
        meas.metrics["change_failure_rate"] = Figure(value=None)
    elif completed.any():
        meas.metrics["change_failure_rate"] = ratio(
            n_failed, int(completed.sum()), ctx.samples(failed))
    else:
        meas.metrics["change_failure_rate"] = Figure(value=None)
        if in_win.any():
            meas.notes.append(Note(code="no_outcomes", count=int(in_win.sum())))
    ctype = t[m.CHANGE_TYPE]
    typed = in_win & ctype.notna()
    meas.metrics["changes_in_window"] = Figure(value=float(in_win.sum()))
    unread_type = (in_win & ctx.filled(m.CHANGE_TYPE_RAW) & ctype.isna()).astype(bool)
    if _unread_note(ctx, meas, "types_unread", unread_type, int(typed.sum()),
                    m.CHANGE_TYPE_RAW, params):
        typed = typed & False  # the shares of the read ones alone are not the desk's
    meas.metrics["typed_changes"] = Figure(value=float(typed.sum()) if typed.any() else None)
    if not typed.any():
        meas.metrics["emergency_share"] = Figure(value=None)
        meas.metrics["standard_share"] = Figure(value=None)
        # the tiering findings plan the tiered-model fix (when_metrics): none measured
        meas.metrics["tiering_problems"] = Figure(value=None)
        if in_win.any() and not unread_type.any():
            meas.notes.append(Note(code="no_change_types", count=int(in_win.sum())))
        return
    emergency = typed & (ctype == "emergency").fillna(False).astype(bool)
    standard = typed & (ctype == "standard").fillna(False).astype(bool)
    n = int(typed.sum())
    n_emergency, n_standard = int(emergency.sum()), int(standard.sum())
    n_normal = n - n_emergency - n_standard
    meas.metrics["emergency_share"] = ratio(n_emergency, n, ctx.samples(emergency))
    meas.metrics["standard_share"] = ratio(n_standard, n, ctx.samples(standard))
    emergency_max = float(params.get("emergency_share_max", 0.10))
    # the window's changes without a type (blank, not unread: those are counted above):
    # each could be of any lane, so the shares of all the window's changes lie in a range
    untyped = (in_win & ~typed & ~unread_type).astype(bool)
    n_untyped, n_all = int(untyped.sum()), int(in_win.sum())
    share_untyped = n_untyped / n_all if n_all else 0.0
    # a range worth saying: more untyped than the unread share a reading may leave
    ranged = n_untyped > 0 and share_untyped > float(params.get("max_unread_share", 0.05))
    if ranged:
        meas.notes.append(Note(code="types_partly_missing", count=n_untyped, params={
            "n": n_all, "share": share_untyped, "typed": n,
            "emergency": n_emergency, "standard": n_standard,
            "emergency_low": n_emergency / n_all,
            "emergency_high": (n_emergency + n_untyped) / n_all,
            "standard_low": n_standard / n_all,
            "standard_high": (n_standard + n_untyped) / n_all,
            "max": emergency_max}, sample_ids=ctx.samples(untyped)))
    lanes = {"standard": n_standard, "normal": n_normal, "emergency": n_emergency}
    only = [lane for lane, count in lanes.items() if count == n]
    if only:
        # every typed change in one lane: an export filtered to that type (a real change
        # model uses more than one), and no finding about the other lanes follows from it
        meas.notes.append(Note(code=f"only_{only[0]}_changes", count=n))
        meas.metrics["tiering_problems"] = Figure(value=None)
        return
    share = n_emergency / n
    problems, open_questions = 0, []
    if not standard.any():  # normal and emergency changes only
        if ranged:  # the untyped ones may hold the standard changes
            open_questions.append("no_standard")
        else:
            problems += 1
            meas.notes.append(Note(code="no_standard_changes", count=n, params={
                "normal": n_normal, "emergency": n_emergency}))
    if ranged and (n_emergency / n_all <= emergency_max
                   < (n_emergency + n_untyped) / n_all):
        open_questions.append("emergency")  # the range straddles the threshold
    elif share > emergency_max and (
            not ranged or n_emergency / n_all > emergency_max):
        problems += 1
        meas.notes.append(Note(code="emergency_high", count=n_emergency,
                               params={"share": float(share), "max": emergency_max},
                               sample_ids=ctx.samples(emergency)))
    # a problem the untyped changes could undo or make is not measured; one that holds
    # whatever they are stands (the advice follows it)
    meas.metrics["tiering_problems"] = Figure(
        value=None if open_questions and not problems else float(problems))
