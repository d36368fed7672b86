"""Extra check ``knowledge``: do resolved incidents reference a knowledge article?

Share of incidents resolved in the window with ``knowledge_ref`` filled; those a clean-up
script closed (the backlog sign's mass closure) are no resolution, and those a machine
raised (:func:`~itsm_diag.signs.common.machine_raised`) no fix a person could write up:
both left out, counted. An export whose ``knowledge_ref`` is empty on every ticket lacks
the field: unknown, not 0%; so does an input file (tool and file) that fills it on none
of its tickets, whose incidents are left out, counted by file. Flag-style values
("false", "no") some tools export instead of a reference count as empty.
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import (
    blank,
    filled,
    in_kinds,
    left_out_notes,
    no_field,
    norm_list,
    note,
)
from itsm_diag.signs.base import Context, Figure, Measurement, Note, ParamMap, ratio
from itsm_diag.signs.common import fold_key, left_out_done

# cancelled tickets were not resolved: nothing was fixed, so no article could apply
_RESOLVED = ("resolved", "closed")


def _by_category(tickets: pd.DataFrame, with_ref: pd.Series, top: int) -> list[dict[str, object]]:
    """The most frequent categories of resolved incidents and their article share."""
    cat = tickets[m.CATEGORY].str.strip().mask(blank(tickets[m.CATEGORY]), "")
    frame = pd.DataFrame({"category": cat.fillna(""), "with_article": with_ref.astype(int)},
                         copy=False)
    # the categories by name (a sort of the few distinct ones), then the most frequent
    # first: at equal counts by name, not in the export's row order
    grouped = frame.groupby("category", sort=True)["with_article"].agg(["size", "sum"])
    grouped = grouped.sort_values("size", ascending=False, kind="stable").head(top)
    return [
        {"category": str(c), "resolved": int(r["size"]), "with_article": int(r["sum"]),
         "share": round(float(r["sum"]) / float(r["size"]), 4)}
        for c, r in grouped.iterrows()
    ]


def _referenced(ctx: Context, params: ParamMap) -> pd.Series:
    """Mask: a knowledge reference that is not a blank or a 'no' flag."""
    words = norm_list(params["not_a_reference"])
    # one test per distinct reference (they repeat), spread back to the tickets
    return ctx.per_value(m.KNOWLEDGE_REF, ("knowledge.referenced", frozenset(words)),
                         lambda ref: filled(ref) & ~fold_key(ref, spaces=True).isin(words)
                         .fillna(False).astype(bool))


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    referenced = _referenced(ctx, params)
    # filled at all (even with 'false') means the export has the field
    if not ctx.filled(m.KNOWLEDGE_REF).any():
        return Measurement(unknown=no_field(m.KNOWLEDGE_REF))
    resolved = t[m.STATUS].isin(_RESOLVED).fillna(False).astype(bool)
    scope = in_kinds(ctx, params) & resolved & ctx.done_in_window()
    excluded: list[Note] = []
    # an input file (a tool's export, a team's list view) that holds the field on none of
    # its tickets lacks it: its incidents are no evidence of "no article" and are left
    # out, named by file (a second ServiceNow list without the Knowledge column read
    # 16% of 1,493 where the one file with it holds 39% of 598)
    scope = ctx.by_source(scope, m.KNOWLEDGE_REF, per_file=True).kept_noted(
        excluded, "no_field_files")
    # an alert a machine raised and resolved is no fix a person could have written up:
    # 3,000 alerts of a storm read 18% where the desk's own incidents hold 29%; closed by
    # a clean-up script with no resolution of their own (the backlog sign's mass
    # closure): nothing was fixed, so no article could apply. The done-work split's
    # first two kinds (:func:`~itsm_diag.signs.common.left_out_done`), each counted once,
    # the clean-up's "over the other N" the share's denominator
    left = left_out_done(ctx, scope, kinds=("machine", "cleanup"))
    excluded += left_out_notes(ctx, left)
    scope = left.kept
    n = int(scope.sum())
    minimum = int(params["min_tickets"])
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum), excluded=excluded)

    with_ref = scope & referenced
    without = scope & ~with_ref
    metrics = {
        "knowledge_share": ratio(with_ref.sum(), n, ctx.samples(with_ref)),
        "without_article": Figure(value=float(without.sum()), sample_ids=ctx.samples(without)),
    }
    table = _by_category(t.loc[scope], with_ref[scope], int(params["top_categories"]))
    categories = int(t.loc[scope, m.CATEGORY].str.strip().mask(
        blank(t.loc[scope, m.CATEGORY]), "").fillna("").nunique())
    return Measurement(metrics=metrics, tables={"by_category": table}, excluded=excluded,
                       table_totals={"by_category": categories}
                       if categories > len(table) else {})
