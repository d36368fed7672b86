"""Extra check ``vague-tickets``: tickets that say nothing about what is wrong.

A ticket is vague when its category is a catch-all value (or blank) and it names no
request item (a catalogue item or request type that is not a catch-all either), or when
its summary has fewer than N words and contains one of the vague phrases ("IT issue",
"not working"). The request item counts because it says what a request is about:
ServiceNow's requested items have no category column at all, while Jira, Zendesk or
Freshservice export a category for the same requests, sometimes "Other". Word lists come
from the global defaults.

A field a ticket's own table never fills is not judged on it: a ticket is judged by its
category (or request item) when some ticket of its tool and kind holds one, and by its
summary when some ticket of its tool and kind holds one (``Context.source_holds``, per
kind), so a ServiceNow task table, which has no category column, is judged by its
summaries alone, and a table with neither is left out with a note counting its tickets.
The default scope is incidents and requests: the requester call-back the check prices
is theirs; changes, problems, tasks and epics are planned work written by IT. Tickets a
machine raised (the trust sign's bypass set: :func:`~itsm_diag.signs.trust.
raised_by_machine`, the set channels leaves out) have no requester to call back and a
category and subject written by the integration: left out of the scope and the cost,
and counted (``machine_made``).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import (
    blank,
    in_kinds,
    no_field,
    norm_list,
    note,
)
from itsm_diag.signs.base import (
    Confidence,
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    in_values,
    per_month,
    ratio,
)
from itsm_diag.signs.common import fold_key, per_distinct, vague_summaries
from itsm_diag.signs.trust import raised_by_machine


def _top(values: pd.Series, n: int = 10) -> list[dict[str, object]]:
    counts = values.fillna("").value_counts().head(n)
    return [{"value": str(k), "count": int(v)} for k, v in counts.items()]


def _tool_kind(ctx: Context) -> tuple[np.ndarray, int]:
    """(per ticket, its tool and kind as one code; how many such codes)."""
    tool_codes, tools = ctx.source_codes
    kind_codes, kinds = ctx.distinct(m.KIND)
    return tool_codes.astype(np.int64) * len(kinds) + kind_codes, len(tools) * len(kinds)


def _exported(ctx: Context, kinds: list[str], key: tuple[np.ndarray, int],
              *fields: str) -> np.ndarray:
    """Per ticket: its kind is one of ``kinds`` and some ticket of its tool and kind holds
    one of ``fields`` (its table exports them): a tool's tables are its kinds
    (ServiceNow's task table has no category column, its incident table has). ``key``:
    :func:`_tool_kind`; one grouping of the filled rows by it (not one per kind)."""
    codes, size = key
    held = ctx.filled(fields[0]).to_numpy(dtype=bool)
    for field in fields[1:]:
        held = held | ctx.filled(field).to_numpy(dtype=bool)
    distinct = ctx.distinct(m.KIND)[1]
    # per (tool, kind) code: the kind is listed (judged per distinct kind, as of_kind)
    listed = np.tile(in_values(distinct.reset_index(drop=True), tuple(kinds))
                     .to_numpy(dtype=bool), size // max(len(distinct), 1))
    exported = (np.bincount(codes[held], minlength=size) > 0) & listed
    out: np.ndarray = exported[codes]
    return out


def _by_table(ctx: Context, mask: np.ndarray) -> str:
    """The tickets under ``mask`` counted by tool and kind ("servicenow task: 94; ..."),
    most first, then by name."""
    tool_codes, tools = ctx.source_codes
    kind_codes, kinds = ctx.distinct(m.KIND)
    key = tool_codes[mask].astype(np.int64) * len(kinds) + kind_codes[mask]
    per = np.bincount(key, minlength=len(tools) * len(kinds))

    def name(values: pd.Series, code: int) -> str:
        value = values.iloc[code]
        return "?" if pd.isna(value) else str(value)

    counts = [(f"{name(tools, int(c) // len(kinds))} {name(kinds, int(c) % len(kinds))}",
               int(per[c])) for c in np.flatnonzero(per)]  # a few tables
    return "; ".join(f"{k}: {v:,}" for k, v in sorted(counts, key=lambda kv: (-kv[1], kv[0])))


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    kinds = [str(k) for k in params["kinds"]]
    in_kind = in_kinds(ctx, params).to_numpy(dtype=bool)
    # a field a ticket's table never fills is not judged on it: per tool and kind (a field
    # filled nowhere is missing from the export, not blank on every ticket)
    # every text pass below runs once per distinct value (Context.per_value), then spreads
    key = _tool_kind(ctx)
    by_category = _exported(ctx, kinds, key, m.CATEGORY, m.REQUEST_ITEM)
    by_summary = _exported(ctx, kinds, key, m.SUMMARY)
    has_category = bool((in_kind & by_category).any())
    has_summary = bool((in_kind & by_summary).any())
    if not (has_category or has_summary):
        return Measurement(unknown=no_field(m.CATEGORY, m.SUMMARY))
    opened = ctx.opened_in_window().to_numpy(dtype=bool) & in_kind
    # a monitoring alert ("Problem: Disk full" from "Zabbix Monitoring") has no requester
    # to call back, and its category and subject are the integration's: left out as the
    # channels check and the trust sign's bypass leave it out (one set, one note)
    machine = opened & raised_by_machine(ctx, ctx.signs.get("trust") or {}).to_numpy(
        dtype=bool)
    opened = opened & ~machine
    judged = by_category | by_summary
    notes: list[Note] = []
    excluded: list[Note] = []
    if machine.any():
        made = pd.Series(machine, index=t.index)
        excluded.append(note("machine_made", int(machine.sum()), ctx.samples(made),
                             n=int(opened.sum() + machine.sum())))
    neither = opened & ~judged
    if neither.any():
        excluded.append(Note(code="no_field_in_table", count=int(neither.sum()),
                             params={"tables": _by_table(ctx, neither)}))
    scope = pd.Series(opened & judged, index=t.index)
    n = int(scope.sum())
    minimum = int(params["min_tickets"])
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum), excluded=excluded)

    none = pd.Series(False, index=t.index)
    catch_all = none
    if has_category:
        catch_values = norm_list(ctx.defaults.get("catch_all_categories") or [])

        def is_catch_all(values: pd.Series) -> pd.Series:
            return blank(values) | fold_key(values, spaces=True).isin(catch_values).fillna(
                False).astype(bool)

        how = ("vague.catch_all", frozenset(catch_values))
        # a request item that says what the ticket is about makes up for the category
        catch_all = (scope & pd.Series(by_category, index=t.index)
                     & ctx.per_value(m.CATEGORY, how, is_catch_all)
                     & ctx.per_value(m.REQUEST_ITEM, how, is_catch_all))
    vague_summary = none
    if has_summary:
        # the one test of a vague summary (the recurrence sign's key leaves them out too)
        vague_summary = (scope & pd.Series(by_summary, index=t.index)
                         & vague_summaries(ctx, int(params["max_words"])))

    confidence: Confidence = "high"
    # a field a ticket's table never fills is not judged on it: the share is then a floor,
    # enough to show many vague tickets but not that tickets say what is wrong, unless it
    # stays clear with every ticket judged by one field alone counted vague
    unjudged: Note | None = None
    in_scope = scope.to_numpy(dtype=bool)
    vague = catch_all | vague_summary
    for field, exported in ((m.CATEGORY, by_category), (m.SUMMARY, by_summary)):
        missing = in_scope & ~exported
        if missing.any():
            notes.append(Note(code="field_absent", count=int(missing.sum()), params={
                "field": field, "tables": _by_table(ctx, missing)}))
            unjudged = unjudged or note("field_unjudged", field=field)
            confidence = "medium"
    clear_case: dict[str, float] = {}
    if unjudged is not None:
        one_field = in_scope & ~(by_category & by_summary)
        could_be = int((vague.to_numpy(dtype=bool) | one_field).sum())
        clear_case = {"vague_share": could_be / n}

    metrics: dict[str, Figure] = {
        "vague_share": ratio(vague.sum(), n, ctx.samples(vague)),
        "tickets_in_scope": Figure(value=float(n)),
    }
    tables: dict[str, list[dict[str, object]]] = {}
    totals: dict[str, int] = {}
    if has_category:
        metrics["catch_all_share"] = ratio(catch_all.sum(), n, ctx.samples(catch_all))
        values = m.rows_of(t, catch_all, [m.CATEGORY])[m.CATEGORY].str.strip()
        tables["catch_all_categories"] = _top(values)
        totals["catch_all_categories"] = int(values.fillna("").nunique())
    if has_summary:
        metrics["vague_summary_share"] = ratio(
            vague_summary.sum(), n, ctx.samples(vague_summary)
        )
        # the vague tickets' summaries only, each distinct one folded once (not every
        # summary of the export: fold_key gives each value the same result whatever other
        # values it is given)
        normalised = per_distinct(m.rows_of(t, vague_summary, [m.SUMMARY])[m.SUMMARY],
                                  partial(fold_key, spaces=True))
        tables["vague_summaries"] = _top(normalised)
        totals["vague_summaries"] = int(normalised.fillna("").nunique())
    # a table holding every value is complete: only a cut one states its full size
    totals = {k: v for k, v in totals.items() if v > len(tables.get(k, []))}

    costs: list[Cost] = []
    vague_month = per_month(float(vague.sum()), ctx.window)
    minutes = float(params["clarify_minutes"])
    if vague_month > 0 and minutes > 0:
        costs.append(Cost(
            basis="clarification", count=float(vague.sum()),
            hours_per_month=vague_month * minutes / 60.0,
            params={"per_month": vague_month, "minutes": minutes},
        ))
    return Measurement(
        metrics=metrics,
        absence_unproven=unjudged,
        clear_case=clear_case,
        confidence=confidence,
        tables={k: v for k, v in tables.items() if v},
        table_totals=totals,
        notes=notes,
        excluded=excluded,
        costs=costs,
    )
