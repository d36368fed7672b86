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
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    Confidence,
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    per_month,
    ratio,
)
from itsm_diag.signs.common import too_few

_COMPLETED = ("successful", "successful_with_issues", "failed", "backed_out")
_FAILED = ("failed", "backed_out")


def _key(s: pd.Series) -> pd.Series:
    """CI / service / change names compared case- and space-insensitively; blank is missing."""
    out = s.astype(m.STRING_DTYPE).str.strip().str.lower()
    return out.mask(out == "")


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t, w = ctx.tickets, ctx.window
    meas = Measurement()
    inc = ctx.of_kind("incident")
    chg = ctx.of_kind("change")
    linked = inc & _key(t[m.CAUSED_BY_CHANGE]).notna()
    if not chg.any() and not linked.any():
        meas.unknown = Note(code="no_changes")
        return meas
    inc_win = inc & ctx.opened_in_window()
    # incidents outside the window only say the export does not cover it: not "none broke"
    if not inc_win.any():
        meas.unknown = Note(code="no_incidents")
        return meas

    _change_model(ctx, params, chg, meas)

    hours = pd.Timedelta(hours=float(params.get("window_hours", 48.0)))
    bad = [str(x) for x in params.get("failed_outcomes",
                                      ["failed", "backed_out", "successful_with_issues"])]
    cancelled = (t[m.STATUS] == "cancelled").fillna(False) | (
        t[m.CHANGE_OUTCOME] == "cancelled").fillna(False)
    end = t[m.ACTUAL_END].fillna(t[m.PLANNED_END]).fillna(t[m.CLOSED_AT])
    start = t[m.ACTUAL_START].fillna(t[m.PLANNED_START]).fillna(end)
    implemented = chg & ~cancelled.astype(bool) & end.notna()

    # ---- which tiers can this export answer at all? (missing data must not read as 0)
    unusable: list[Note] = []
    tier1_ok = bool(linked.any())
    if not tier1_ok:
        unusable.append(Note(code="tier1_unavailable"))
    ci, svc = _key(t[m.CI]), _key(t[m.SERVICE])
    keys_ok = bool(
        (ci[implemented].notna().any() and ci[inc].notna().any())
        or (svc[implemented].notna().any() and svc[inc].notna().any())
    )
    if not chg.any():
        unusable.append(Note(code="tier23_no_changes"))
    elif not implemented.any():
        unusable.append(Note(code="tier23_no_end"))
    elif not keys_ok:
        unusable.append(Note(code="tier23_no_keys"))
    tier3_ok = bool(implemented.any()) and keys_ok
    tier2_ok = tier3_ok and bool(t.loc[implemented, m.CHANGE_OUTCOME].notna().any())
    if tier3_ok and not tier2_ok:
        unusable.append(Note(code="tier2_no_outcome"))
    meas.notes.extend(unusable)
    if not (tier1_ok or tier2_ok or tier3_ok):
        meas.unknown = Note(code="no_tier_usable")
        return meas
    # the rate is sought among the window's incidents: a few dozen at least, or "none was
    # caused by a change" only means "there were hardly any incidents"
    short = too_few(int(inc_win.sum()), int(params.get("min_incidents", 30)))
    if short is None and not tier1_ok:
        # without links, tiers 2-3 search from the change side: they need changes to search
        n_chg = int((implemented & w.contains(end)).sum())
        minimum = int(params.get("min_changes", 10))
        if n_chg < minimum:
            short = Note(code="too_few_changes", params={"n": n_chg, "min": minimum})
    if short is not None:
        meas.unknown = short
        return meas
    usable = int(tier1_ok) + int(tier2_ok) + int(tier3_ok)
    conf: dict[int, Confidence] = {3: "high", 2: "medium"}
    meas.confidence = conf.get(usable, "low")

    # ---- tier 1: explicit links
    t1 = pd.DataFrame({
        "incident": t.loc[inc_win & linked, m.TICKET_ID],
        "change": t.loc[inc_win & linked, m.CAUSED_BY_CHANGE],
        "opened": t.loc[inc_win & linked, m.OPENED_AT],
        "tier": 1,
        "matched_on": "link",
        "gap_h": float("nan"),
    })

    # ---- tiers 2 and 3: same CI, else service, and a time filter (vectorised merges)
    incs = pd.DataFrame({
        "incident": t.loc[inc_win, m.TICKET_ID], "opened": t.loc[inc_win, m.OPENED_AT],
        "ci": ci[inc_win], "service": svc[inc_win],
    }).dropna(subset=["opened"])
    chgs = pd.DataFrame({
        "change": t.loc[implemented, m.TICKET_ID], "start": start[implemented],
        "end": end[implemented], "ci": ci[implemented], "service": svc[implemented],
        "bad": t.loc[implemented, m.CHANGE_OUTCOME].isin(bad).fillna(False).astype(bool),
    })
    pairs = _pairs(incs, chgs)
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
    best = found.sort_values(["tier", "closeness", "change"], na_position="first", kind="stable")
    best = best.drop_duplicates("incident", keep="first")

    count = len(best)
    quarters = w.days / 90.0
    caused = t[m.TICKET_ID].isin(best["incident"]) & inc_win
    meas.metrics["change_caused_per_quarter"] = Figure(
        value=count / quarters if quarters > 0 else None,
        numerator=float(count), denominator=quarters, sample_ids=ctx.samples(caused),
    )
    for tier in (1, 2, 3):
        ok = (tier1_ok, tier2_ok, tier3_ok)[tier - 1]
        ids = best.loc[best["tier"] == tier, "incident"]
        meas.metrics[f"tier{tier}_incidents"] = Figure(
            value=float(len(ids)) if ok else None,
            sample_ids=sorted(map(str, ids))[: ctx.max_samples],
        )
    max_rows = int(params.get("max_table_rows", 50))
    table = best.sort_values(["tier", "opened", "incident"], kind="stable").head(max_rows)
    rows = pd.DataFrame({
        "incident": table["incident"].astype(str),
        "change": table["change"].astype(str),
        "tier": table["tier"].astype(int),
        "matched_on": table["matched_on"].astype(str),
        "incident_opened": table["opened"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hours_after_change_end": table["gap_h"].round(1),
    }).astype(object)
    # NaN (no gap for an explicit link) must reach the report as null
    meas.tables["change_caused"] = rows.where(rows.notna(), None).to_dict("records")
    if count:
        handle = dict(ctx.defaults.get("handle_minutes", {}))
        minutes = float(handle.get("incident", 0.0)) + float(params.get("extra_minutes", 30.0))
        meas.costs.append(Cost(
            basis="change_caused",
            hours_per_month=per_month(count, w) * minutes / 60.0,
            params={"per_month": per_month(count, w), "minutes": minutes},
        ))
    return meas


def _gap_h(pairs: pd.DataFrame) -> pd.Series:
    return (pairs["opened"] - pairs["end"]) / pd.Timedelta(hours=1)


def _pairs(incs: pd.DataFrame, chgs: pd.DataFrame) -> pd.DataFrame:
    """Every (incident, change) on the same CI, or the same service when a CI is missing."""
    by_ci = incs.dropna(subset=["ci"]).merge(
        chgs.dropna(subset=["ci"]), on="ci", suffixes=("", "_c")
    ).assign(matched_on="ci")
    by_svc = incs.dropna(subset=["service"]).merge(
        chgs.dropna(subset=["service"]), on="service", suffixes=("", "_c")
    )
    # two CIs that differ are different things even on one service: no service match then
    by_svc = by_svc[by_svc["ci"].isna() | by_svc["ci_c"].isna()].assign(matched_on="service")
    cols = ["incident", "opened", "change", "start", "end", "bad", "matched_on"]
    return pd.concat([by_ci[cols], by_svc[cols]], ignore_index=True)


def _change_model(ctx: Context, params: ParamMap, chg: pd.Series, meas: Measurement) -> None:
    """Change failure rate and the standard / normal / emergency tiering."""
    t, w = ctx.tickets, ctx.window
    end = t[m.ACTUAL_END].fillna(t[m.PLANNED_END]).fillna(t[m.CLOSED_AT])
    # a change belongs to the window by its end, else (not yet ended) by its opening
    in_win = chg & w.contains(end.fillna(t[m.OPENED_AT]))
    outcome = t[m.CHANGE_OUTCOME]
    completed = in_win & outcome.isin(_COMPLETED).fillna(False).astype(bool)
    failed = completed & outcome.isin(_FAILED).fillna(False).astype(bool)
    if completed.any():
        meas.metrics["change_failure_rate"] = ratio(
            int(failed.sum()), int(completed.sum()), ctx.samples(failed))
    else:
        meas.metrics["change_failure_rate"] = Figure(value=None)
        if in_win.any():
            meas.notes.append(Note(code="no_outcomes", count=int(in_win.sum())))
    ctype = t[m.CHANGE_TYPE]
    typed = in_win & ctype.notna()
    meas.metrics["changes_in_window"] = Figure(value=float(in_win.sum()))
    if not typed.any():
        meas.metrics["emergency_share"] = Figure(value=None)
        meas.metrics["standard_share"] = Figure(value=None)
        if in_win.any():
            meas.notes.append(Note(code="no_change_types", count=int(in_win.sum())))
        return
    emergency = typed & (ctype == "emergency").fillna(False).astype(bool)
    standard = typed & (ctype == "standard").fillna(False).astype(bool)
    n = int(typed.sum())
    meas.metrics["emergency_share"] = ratio(int(emergency.sum()), n, ctx.samples(emergency))
    meas.metrics["standard_share"] = ratio(int(standard.sum()), n, ctx.samples(standard))
    emergency_max = float(params.get("emergency_share_max", 0.10))
    share = emergency.sum() / n
    if not standard.any():
        meas.notes.append(Note(code="no_standard_changes", count=n))
    if share > emergency_max:
        meas.notes.append(Note(code="emergency_high", count=int(emergency.sum()),
                               params={"share": float(share), "max": emergency_max},
                               sample_ids=ctx.samples(emergency)))
