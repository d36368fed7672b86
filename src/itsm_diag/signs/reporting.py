"""S3 ``reporting``: the five core KPIs cannot be reported without manual assembly.

For each KPI (time to resolve, first-contact resolution via its proxy first-assignment
resolution, SLA adherence, volume by category, backlog trend) decide whether the export
supports it reliably, and when not, whether it is a configuration gap (the field exists
but is empty or junk) or a capability gap (the column is null on every ticket: the
export does not have it). Scope: incidents and service requests. Fewer than
``min_done`` done in the window make the sign unknown.

A status the reading could not put in the vocabulary (a status the mapping's
``values.status`` does not name, a tool's custom status) leaves ``status`` empty and
``status_raw`` filled: the field is filled in the client's tool, so it is no
configuration gap. Such a KPI is ``unread``: not reliable in this report (its caveat
names the values and what to do), not counted as missing from the export; when counting
it would change the verdict, the sign is unknown (``absence_unproven``). Status is the
one field the sign checks that keeps a raw column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import Context, Figure, Measurement, Note, ratio
from itsm_diag.signs.common import fold_words, folded_in, sla_outcome, too_few
from itsm_diag.text import named_counts

#: ``unread``: the field is filled, with values the reading could not put in the
#: vocabulary (no gap of the export; the reading's to fix)
Gap = Literal["configuration", "capability", "unread"]
KPIS: tuple[str, ...] = (
    "time_to_resolve",
    "first_contact_resolution",
    "sla_adherence",
    "volume_by_category",
    "backlog_trend",
)


@dataclass
class Verdict:
    """One KPI: computable or not, the gap when not, a detail code and the fill share."""

    kpi: str
    computable: bool
    detail: str
    gap: Gap | None = None
    share: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"kpi": self.kpi, "computable": self.computable, "gap": self.gap,
                "detail": self.detail, "share": self.share}


def _share(part: pd.Series, whole: pd.Series) -> float:
    n = int(whole.sum())
    return float((part & whole).sum()) / n if n else 1.0


def _verdict(kpi: str, ok: bool, absent: bool, sparse: str, share: float,
             prefix: str, **params: Any) -> Verdict:
    """ok -> computable; else a capability gap when the export lacks the column, a
    configuration gap (``sparse`` detail) when it has it but it is not filled enough."""
    if ok:
        return Verdict(kpi, True, "ok", None, share)
    if absent:
        return Verdict(kpi, False, f"{prefix}_no_field", "capability", share, params)
    return Verdict(kpi, False, sparse, "configuration", share, params)


#: how many of the unread values a note names (most frequent first)
UNREAD_NAMED = 3


def _unread_params(ctx: Context, unread: pd.Series) -> dict[str, Any]:
    """The tickets of ``unread`` (status empty, raw status filled): how many, their most
    frequent raw values with counts (``'In Progress - L2' (40)``, as the file's warning
    quotes them), and whether every one of them came through a built-in reader (else a
    mapping file read some: its ``values.status`` is the fix)."""
    rows = unread.to_numpy(dtype=bool)
    # counted on the column's codes, each distinct raw status trimmed once
    codes, distinct = ctx.distinct(m.STATUS_RAW)
    per = np.bincount(codes[rows], minlength=len(distinct))
    counts = pd.Series(per, index=distinct.astype("object").where(distinct.notna(), "")
                       .astype(str).str.strip()).groupby(level=0).sum()
    named = named_counts(counts[counts > 0], UNREAD_NAMED)
    source_codes, sources = ctx.source_codes
    held = np.flatnonzero(np.bincount(source_codes[rows], minlength=len(sources)))
    tools = sorted(str(sources.iloc[c]) for c in held if pd.notna(sources.iloc[c]))
    by_tool = len(tools) > 0 and all(tool in m.BUILT_IN_TOOLS for tool in tools)
    return {"unread": int(rows.sum()), "values": named,
            "tools": ", ".join(tools), "by_tool": by_tool}


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    w = ctx.window
    min_fill = float(params["min_fill"])

    def present(*cols: str) -> bool:
        """Any of ``cols`` holds a value on some ticket of the export (any kind)."""
        return any(bool(ctx.filled(c).any()) for c in cols)

    scope = ctx.of_kind("incident", "request")
    if not scope.any():
        return Measurement(unknown=Note(code="no_scope"))
    opened = t[m.OPENED_AT]
    # without a status column a resolved/closed time still says the ticket is done
    status_known = t[m.STATUS].notna()
    finish = m.done_stamp(t)
    finished = scope & (ctx.is_done() | (~status_known & finish.notna()))
    done_pop = finished & (w.contains(finish) | (finish.isna() & w.contains(opened)))
    if not done_pop.any():
        return Measurement(unknown=Note(code="no_done_tickets"))
    # fill shares of a handful of tickets cannot tell a configuration gap from chance
    short = too_few(int(done_pop.sum()), int(params["min_done"]))
    if short is not None:
        return Measurement(unknown=short)
    in_window = scope & ctx.opened_in_window()

    # time to resolve: both times on >= min_fill of done tickets, < max_negative negative
    both = done_pop & opened.notna() & finish.notna()
    negative = both & (finish < opened).fillna(False).astype(bool)
    times_share = _share(both, done_pop)
    neg_share = _share(negative, both) if both.any() else 0.0
    ttr = _verdict(
        "time_to_resolve",
        times_share >= min_fill and neg_share < float(params["max_negative"]),
        not present(m.OPENED_AT) or not present(m.RESOLVED_AT, m.CLOSED_AT),
        "ttr_sparse" if times_share < min_fill else "ttr_negative",
        times_share, "ttr", min_fill=min_fill, negative_share=neg_share,
    )

    # first-contact resolution, by its proxy: first-assignment resolution
    fcr_share = _share(done_pop & t[m.REASSIGNMENT_COUNT].notna(), done_pop)
    fcr = _verdict("first_contact_resolution", fcr_share >= min_fill,
                   not present(m.REASSIGNMENT_COUNT), "fcr_sparse", fcr_share, "fcr",
                   min_fill=min_fill)

    # SLA adherence: the tickets with an SLA outcome, the one the KPI, sla-by-priority and
    # the drivers read (the flag, else a due time with a done time to hold it against); a
    # flag on the urgent few and a due time on the rest cover the done tickets together
    # (the larger of the two shares judged the panel on tickets its figure did not describe)
    sla_known = pd.Series(sla_outcome(ctx).known, index=t.index)
    sla_share = _share(done_pop & sla_known, done_pop)
    sla = _verdict("sla_adherence", sla_share >= min_fill, not present(m.SLA_MET, m.DUE_AT),
                   "sla_sparse", sla_share, "sla", min_fill=min_fill)

    # volume by category: filled, and not drowned in catch-all values
    vol_pop = in_window | done_pop
    cat_ok = ctx.filled(m.CATEGORY)
    catch_words = fold_words(ctx.defaults.get("catch_all_categories", []))
    # a blank category folds to <NA>, not "": it is caught by ~cat_ok, whatever the list
    catch = ~cat_ok | pd.Series(folded_in(ctx, m.CATEGORY, catch_words), index=t.index)
    cat_share = _share(cat_ok, vol_pop)
    catch_share = _share(catch, vol_pop)
    max_catch = float(params["max_catch_all"])
    volume = _verdict(
        "volume_by_category", cat_share >= min_fill and catch_share <= max_catch,
        not present(m.CATEGORY), "volume_sparse" if cat_share < min_fill else "volume_catch_all",
        cat_share, "volume", min_fill=min_fill, catch_all_share=catch_share,
        max_catch_all=max_catch,
    )

    # backlog trend: opened time, status, and a done time on done tickets. A status the
    # reading left empty while the file holds one (status_raw) is filled in the tool:
    # it counts as filled for the gap, and as unread for this report
    bl_pop = in_window | done_pop | (scope & ~finished)
    status_unread = pd.Series(False, index=t.index)
    if not bool(status_known.all()):
        status_unread = ~status_known & ctx.filled(m.STATUS_RAW)
    opened_share = _share(opened.notna(), bl_pop)
    done_share = _share(finish.notna(), bl_pop & finished)
    bl_read = min(opened_share, _share(status_known, bl_pop), done_share)
    bl_share = min(opened_share, _share(status_known | status_unread, bl_pop), done_share)
    if bl_read < min_fill <= bl_share:
        unread = _unread_params(ctx, bl_pop & status_unread)
        code = "backlog_unread" if unread.pop("by_tool") else "backlog_unmapped"
        backlog = Verdict("backlog_trend", False, code, "unread", bl_share,
                          {"min_fill": min_fill, "read_share": bl_read, **unread})
    else:
        backlog = _verdict(
            "backlog_trend", bl_share >= min_fill,
            not present(m.OPENED_AT) or not present(m.STATUS, m.STATUS_RAW)
            or not present(m.RESOLVED_AT, m.CLOSED_AT),
            "backlog_sparse", bl_share, "backlog", min_fill=min_fill,
        )

    verdicts = [ttr, fcr, sla, volume, backlog]
    # a KPI left unread is not reliable here, but the export is not short of it: counted
    # apart, and the verdict is unknown when counting it as missing would change it
    not_computable = [v for v in verdicts if not v.computable]
    missing = [v for v in not_computable if v.gap != "unread"]
    unread_kpis = [v for v in not_computable if v.gap == "unread"]
    notes = [Note(code=v.detail, params={"gap": v.gap, "share": v.share, **v.params})
             for v in not_computable]
    decides = None
    if unread_kpis:
        first = unread_kpis[0]
        decides = Note(code=f"{first.detail}_decides",
                       params={"gap": first.gap, "share": first.share, **first.params,
                               "missing": len(missing)})
    n_done = int(done_pop.sum())
    n_vol = int(vol_pop.sum())
    return Measurement(
        metrics={
            "kpis_missing": Figure(value=float(len(missing)), numerator=float(len(missing)),
                                   denominator=float(len(KPIS))),
            "kpis_computable": Figure(value=float(len(KPIS) - len(not_computable))),
            "kpis_unread": Figure(value=float(len(unread_kpis))),
            "configuration_gaps": Figure(value=float(sum(v.gap == "configuration"
                                                         for v in missing))),
            "capability_gaps": Figure(value=float(sum(v.gap == "capability"
                                                      for v in missing))),
            "resolve_times_share": ratio(int(both.sum()), n_done,
                                         ctx.samples(done_pop & ~both)),
            "category_filled_share": ratio(int((cat_ok & vol_pop).sum()), n_vol,
                                           ctx.samples(vol_pop & ~cat_ok)),
            "catch_all_share": ratio(int((catch & vol_pop).sum()), n_vol,
                                     ctx.samples(vol_pop & catch)),
        },
        tables={"kpis": [v.row() for v in verdicts]},
        notes=notes,
        absence_unproven=decides,
        clear_case={"kpis_missing": float(len(not_computable))} if decides else {},
    )
