"""S2 ``recurrence``: the same incidents keep coming back without a problem record.

Groups the window's incidents by the most specific recurrence key the export fills,
finds recurring clusters (at least ``cluster_size`` with one key within any
``span_days``), and checks whether each cluster links to a problem record. Fewer than
``min_incidents`` keyed incidents in the window make the sign unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import Context, Cost, Figure, Measurement, Note, per_month, ratio
from itsm_diag.signs.common import (
    filled,
    isin_values,
    normalise_summary,
    recurrence_key,
    too_few,
)

#: key candidates, most specific first; the first whose fields are filled enough is used
KEY_CANDIDATES: tuple[tuple[str, ...], ...] = (
    (m.CI, m.CATEGORY),
    (m.SERVICE, m.CATEGORY),
    (m.CATEGORY, m.SUMMARY),
    (m.SUMMARY,),
)


def choose_key(incidents: pd.DataFrame, min_fill: float, ctx: Context | None = None
               ) -> tuple[str, ...] | None:
    """The first key candidate whose every field is filled on ``min_fill`` of incidents;
    subcategory joins category when it is filled that well too. With ``ctx`` (whose
    tickets hold ``incidents``), the fill tests run once per distinct value, cached."""
    n = len(incidents)
    if n == 0:
        return None

    def share(col: str) -> float:
        if ctx is not None:
            # both tests work value by value: the whole column's, cut to the incidents
            fn = (lambda s: normalise_summary(s).notna()) if col == m.SUMMARY else filled
            how = "recurrence.summary_filled" if col == m.SUMMARY else "signs.filled"
            ok = ctx.per_value(col, how, fn).loc[incidents.index]
        else:
            ok = normalise_summary(incidents[col]).notna() if col == m.SUMMARY else filled(
                incidents[col]
            )
        return float(ok.sum()) / n

    with_sub = share(m.SUBCATEGORY) >= min_fill
    for candidate in KEY_CANDIDATES:
        if all(share(col) >= min_fill for col in candidate):
            if with_sub and m.CATEGORY in candidate:
                i = candidate.index(m.CATEGORY) + 1
                return (*candidate[:i], m.SUBCATEGORY, *candidate[i:])
            return candidate
    return None


def cluster_members(key: pd.Series, at: pd.Series, min_n: int, span: pd.Timedelta) -> pd.Series:
    """Mask: the incident belongs to ``min_n`` or more with its key within ``span``.

    Sorted by key and time, row i closes a cluster when the row ``min_n - 1`` places
    earlier has the same key and lies within ``span``; that row and the ones between
    are members too.
    """
    order = pd.DataFrame({"key": key, "at": at}).sort_values(["key", "at"], kind="stable")
    by_key = order.groupby("key", sort=False)
    closes = ((order["at"] - by_key["at"].shift(min_n - 1)) <= span).fillna(False).astype(bool)
    member = closes.copy()
    closes_by_key = closes.groupby(order["key"], sort=False)
    for back in range(1, min_n):  # min_n - 1 shifts, not a loop over tickets
        member |= closes_by_key.shift(-back).fillna(False).astype(bool)
    return member.reindex(key.index).fillna(False).astype(bool)


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    w = ctx.window
    incident = ctx.of_kind("incident")
    no_open = incident & t[m.OPENED_AT].isna()
    scope = incident & ctx.opened_in_window()
    excluded: list[Note] = []
    if no_open.any():
        excluded.append(Note(code="no_open_times", count=int(no_open.sum()),
                             sample_ids=ctx.samples(no_open)))
    if not scope.any():
        # incidents that all lack an opened time cannot be placed in the window
        code = "no_open_times" if incident.any() and not (incident & ~no_open).any() \
            else "no_incidents"
        return Measurement(unknown=Note(code=code, count=int(no_open.sum())), excluded=excluded)

    min_fill = float(params["key_min_fill"])
    key_cols = choose_key(t[scope], min_fill, ctx)
    if key_cols is None:
        return Measurement(unknown=Note(code="no_key", params={"min_fill": min_fill}),
                           excluded=excluded)
    key_name = " + ".join(key_cols)
    notes = [Note(code="key_used", params={"key": key_name})]
    key = recurrence_key(t, key_cols, ctx).where(scope)
    keyed = scope & key.notna()
    no_key = scope & key.isna()
    if no_key.any():
        excluded.append(Note(code="no_key_value", count=int(no_key.sum()),
                             params={"key": key_name}, sample_ids=ctx.samples(no_key)))
    if not keyed.any():
        return Measurement(unknown=Note(code="no_key", params={"min_fill": min_fill}),
                           excluded=excluded, notes=notes)
    # "no recurring clusters" in five incidents says nothing about problem management
    short = too_few(int(keyed.sum()), int(params["min_incidents"]), key=key_name)
    if short is not None:
        return Measurement(unknown=short, excluded=excluded, notes=notes)

    member = cluster_members(key[keyed], t.loc[keyed, m.OPENED_AT],
                             int(params["cluster_size"]),
                             pd.Timedelta(days=float(params["span_days"])))
    member = member.reindex(t.index, fill_value=False).astype(bool)
    cluster_keys = pd.Index(key[member].unique())
    # a cluster is covered when any of its incidents in the window names a problem
    links_known = bool(filled(t[m.PROBLEM_REF]).any())
    linked = keyed & filled(t[m.PROBLEM_REF])
    covered_keys = pd.Index(key[linked].unique()).intersection(cluster_keys)
    uncovered_keys = cluster_keys.difference(covered_keys)
    if not links_known:
        notes.append(Note(code="no_problem_links"))

    n_clusters = len(cluster_keys)
    in_cluster_ids = ctx.samples(member)
    if links_known or n_clusters == 0:
        # with no clusters nothing can be uncovered, whatever the export says about links
        n_uncovered = len(uncovered_keys) if links_known else 0
        uncovered = Figure(value=float(n_uncovered), sample_ids=ctx.samples(
            member & isin_values(key, uncovered_keys)))
        share = ratio(n_uncovered, n_clusters)
    else:
        uncovered = Figure(value=None)
        share = Figure(value=None, denominator=float(n_clusters))

    done_at = ctx.done_at
    problems = ctx.of_kind("problem") & ~(t[m.OPENED_AT] > w.end).fillna(False).astype(bool) & ~(
        done_at < w.start).fillna(False).astype(bool)
    metrics = {
        "recurring_clusters": Figure(value=float(n_clusters), sample_ids=in_cluster_ids),
        "uncovered_clusters": uncovered,
        "uncovered_share": share,
        "recurring_incident_share": ratio(int(member.sum()), int(keyed.sum()), in_cluster_ids),
        "problem_records": Figure(value=float(problems.sum()), sample_ids=ctx.samples(problems)),
    }

    # evidence: the largest clusters not known to be covered
    show = uncovered_keys if links_known else cluster_keys
    hours = ((done_at - t[m.OPENED_AT]) / pd.Timedelta(hours=1)).astype("float64")
    df = pd.DataFrame({"key": key[keyed], "at": t.loc[keyed, m.OPENED_AT],
                       "hours": hours[keyed].where(hours[keyed] >= 0)})
    df = df[isin_values(df["key"], show)]
    table: list[dict[str, Any]] = []
    if not df.empty:
        g = df.groupby("key").agg(count=("at", "size"), first=("at", "min"), last=("at", "max"),
                                  median_hours=("hours", "median"))
        g = g.sort_values(["count", "last"], ascending=[False, False]).head(
            int(params["top_clusters"]))
        for k, row in g.iterrows():  # at most top_clusters rows
            table.append({
                "key": str(k),
                "count": int(row["count"]),
                "first_seen": pd.Timestamp(row["first"]).isoformat(),
                "last_seen": pd.Timestamp(row["last"]).isoformat(),
                "median_hours_to_resolve": None if pd.isna(row["median_hours"])
                else round(float(row["median_hours"]), 2),
                "covered": False if links_known else None,
                "sample_ids": ctx.samples(keyed & key.eq(k).fillna(False).astype(bool)),
            })

    costs: list[Cost] = []
    minutes = float(ctx.defaults.get("handle_minutes", {}).get("incident", 0.0))
    if member.any() and minutes > 0:
        per_m = per_month(int(member.sum()), w)
        costs.append(Cost(basis="recurring", hours_per_month=per_m * minutes / 60.0,
                          params={"incidents_per_month": per_m, "minutes": minutes}))
    return Measurement(
        metrics=metrics,
        # a summary-based key groups by wording, which is weaker evidence than a CI
        confidence="high" if m.SUMMARY not in key_cols else "medium",
        tables={"top_uncovered_clusters": table},
        excluded=excluded,
        notes=notes,
        costs=costs,
    )
