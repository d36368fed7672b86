"""The KPI panel: the five core service KPIs, computed with whatever the export holds.

Returns plain values (the engine wraps them in ``report.Kpis``; this layer must not
import the report model). ``notes`` lists codes ``<kpi>.<reason>`` for what could not be
computed; the report layer words them. Reasons: ``no_done`` (no incident or request
done in the window), ``no_field`` (the field is empty on all of them), ``no_opened``
(nothing opened in the window), ``no_scope`` (no incidents or requests).

Volume by category counts a ticket by its category, except a ticket of a table that has
no category field (:data:`ITEM_CLASSIFIED`: ServiceNow's requested items, ``sc_req_item``,
which its catalogue item classifies): that one by its catalogue item
(:func:`by_item`), under the key ``(CATALOGUE_ITEM, name)`` for the engine to label. The
reporting sign judges the fill share on the same classification: one number per concept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.backlog import SCOPE_KINDS, scope_masks, weekly_rows
from itsm_diag.signs.base import Context, input_file, utc64
from itsm_diag.signs.common import (
    filled,
    left_out_done,
    never_assigned,
    parent_rows,
    sla_outcome,
    waiting_hours,
)

TOP_CATEGORIES = 15
OTHER = "(other)"
BLANK = "(blank)"
#: a volume key ``(CATALOGUE_ITEM, name)``: a catalogue item, which the engine labels
CATALOGUE_ITEM = "catalogue_item"

#: per tool, the kinds of ticket whose table has no category field, so that a catalogue
#: item classifies them (the export-formats reference: ServiceNow's requested item,
#: ``sc_req_item``, has ``cat_item`` and no category; Jira, Zendesk and Freshservice
#: export a category, or a field read as one, on requests as on incidents)
ITEM_CLASSIFIED: dict[str, frozenset[str]] = {"servicenow": frozenset({"request"})}


def by_item(ctx: Context) -> np.ndarray:
    """Per ticket (read-only): classified by its catalogue item (``request_item``), not
    its category, for volume by category: a ticket of a tool and kind whose table has no
    category field (:data:`ITEM_CLASSIFIED`), read from an input file that carries no
    category for it: no ticket of that file and kind holds one, and the file's header has
    no category column unless the file holds other kinds too (a list of one table with a
    category column is a custom field of that table: judged by it, blank or not). Whether
    its catalogue item is filled is another matter: a blank one is uncategorised."""
    def make() -> np.ndarray:
        t = ctx.tickets
        out = np.zeros(len(t), dtype=bool)
        if m.SOURCE_TOOL not in t.columns or not len(t):
            out.flags.writeable = False
            return out
        tool_codes, tools = ctx.source_codes
        kind_codes, kinds = ctx.distinct(m.KIND)
        if m.SOURCE_FILE in t.columns:
            file_codes, files = ctx.distinct(m.SOURCE_FILE)
        else:
            file_codes, files = np.zeros(len(t), dtype=np.intp), pd.Series([pd.NA])
        tool_names = [None if pd.isna(v) else str(v) for v in tools]
        kind_names = [None if pd.isna(v) else str(v) for v in kinds]
        listed = np.array([[k is not None and tool is not None
                            and k in ITEM_CLASSIFIED.get(tool, ()) for k in kind_names]
                           for tool in tool_names], dtype=bool)
        candidate = listed[tool_codes, kind_codes]
        if not candidate.any():
            out.flags.writeable = False
            return out
        # (tool, file, kind) groups: those where a ticket holds a category carry one
        n_files, n_kinds = len(files), len(kind_names)
        group = ((tool_codes.astype(np.int64) * n_files + file_codes) * n_kinds
                 + kind_codes)
        size = len(tool_names) * n_files * n_kinds
        held = ctx.filled(m.CATEGORY).to_numpy(dtype=bool)
        carries = np.bincount(group[candidate & held], minlength=size) > 0
        # (tool, file) pairs whose header has a category column and that hold only
        # tickets of the listed kinds: a custom category field of the table
        pair = tool_codes.astype(np.int64) * n_files + file_codes
        only = (np.bincount(pair[~candidate], minlength=len(tool_names) * n_files) == 0)
        read = ctx.read_fields
        if isinstance(read, tuple) and read:
            headed = {(tool, input_file(path))
                      for tool, path, fields in read if m.CATEGORY in fields}
            with_column = np.array([
                (tool_names[p // n_files], None if pd.isna(files.iloc[p % n_files])
                 else str(files.iloc[p % n_files])) in headed
                for p in range(len(tool_names) * n_files)], dtype=bool)
            carries_pair = with_column & only
        else:
            carries_pair = np.zeros(len(tool_names) * n_files, dtype=bool)
        out = candidate & ~carries[group] & ~carries_pair[pair]
        out.flags.writeable = False
        return out
    result: np.ndarray = ctx.memo(("kpis", "by_item"), make)
    return result


def _left_out(ctx: Context, scope: pd.Series, done: pd.Series) -> dict[str, int]:
    """What the window and the data leave out of the KPIs, counted, so each definition
    can say it: done after the as-of or before the window start, done time taken from
    the closed time (no resolved time), no opened time, negative durations, opened after
    the as-of."""
    t, w = ctx.tickets, ctx.window
    # UTC datetime64 in numpy: a missing time (NaT) compares False, as the masked
    # comparisons filled with False did
    done_at = ctx.done_at.to_numpy(dtype="datetime64[us]")
    opened = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")
    start, end = utc64(w.start), utc64(w.end)
    in_scope, is_done = scope.to_numpy(dtype=bool), done.to_numpy(dtype=bool)

    def count(mask: np.ndarray) -> int:
        return int((in_scope & mask).sum())

    # done_at took the closed time: a done ticket with a closed time and no resolved
    # time (what ``done_source == closed_at`` says, without a million-row text column;
    # ``done`` holds done times in the window, so its tickets' status is done)
    from_closed = (is_done & t[m.CLOSED_AT].notna().to_numpy(dtype=bool)
                   & t[m.RESOLVED_AT].isna().to_numpy(dtype=bool))
    return {
        "done_after": count(done_at > end), "done_before": count(done_at < start),
        "from_closed": int(from_closed.sum()),
        "no_opened": int((is_done & np.isnat(opened)).sum()),
        "negative": int((is_done & (done_at < opened)).sum()),
        "opened_after": count(opened > end),
        "done_no_time": count(ctx.is_done().to_numpy(dtype=bool) & np.isnat(done_at)),
    }


def _done_hours(ctx: Context, done: pd.Series) -> np.ndarray:
    """Per ticket: the hours from its opened to its done time for the ``done`` tickets
    (NaN for the others, and for a negative duration: junk, not a very fast
    resolution): what the time to resolve and its closed-time lean both read."""
    hours = ctx.hours_to_done
    return np.where(done.to_numpy(dtype=bool) & (hours >= 0), hours, np.nan)


def _time_to_resolve(hours: np.ndarray) -> dict[str, Any]:
    """The median and p90 of the measured ``hours`` (:func:`_done_hours`), and how many."""
    measured = pd.Series(hours[~np.isnan(hours)])
    n = len(measured)
    return {
        "median": float(measured.median()) if n else None,
        "p90": float(measured.quantile(0.9)) if n else None,
        "n": n,
    }


def _waiting_time(ctx: Context, hours: np.ndarray) -> dict[str, Any]:
    """The time to resolve's hours (``hours``: :func:`_done_hours`) spent waiting on the
    requester or a third party, where the export measures it (:func:`waiting_hours`:
    its own waiting minutes, Zendesk's agent wait and on-hold time; else the time its
    status history spent in ``pending``): how many tickets measured have a measure
    (``known``: from the export, ``export``, and from the history, ``history``), how
    many of those waited at all (``held``), the share of their calendar hours that was
    waiting (``share``), and the median and p90 of their hours without it (``median_without``,
    ``p90_without``). ``known`` is 0 where nothing measures it."""
    wait, source = waiting_hours(ctx)
    measured = ~np.isnan(hours)
    known = measured & ~np.isnan(wait)
    out: dict[str, Any] = {"n": int(measured.sum()), "known": int(known.sum()),
                           "export": int((known & (source == 1)).sum()),
                           "history": int((known & (source == 2)).sum())}
    if not known.any():
        return out
    # a wait longer than the ticket's own time (a measure of another clock) is all of it
    waited = np.minimum(np.maximum(wait[known], 0.0), hours[known])
    total = float(hours[known].sum())
    own = hours[known] - waited
    return {**out, "held": int((waited > 0).sum()),
            "share": float(waited.sum()) / total if total > 0 else 0.0,
            "hours": float(waited.sum()), "total": total,
            "median_without": float(np.median(own)),
            "p90_without": float(pd.Series(own).quantile(0.9))}


def _hold_columns(ctx: Context) -> list[str]:
    """The export's columns about holds that no field is read from (ServiceNow's
    ``hold_reason``, a Zendesk column of waiting minutes within business hours): named
    in the time to resolve's definition, by the words ``defaults.hold_column_words``."""
    words = [str(w).casefold() for w in ctx.defaults.get("hold_column_words", ())]
    return [c for c in ctx.unread_columns if ctx.unread_filled.get(c, 1) > 0
            and any(w in " ".join(str(c).replace("_", " ").casefold().split())
                    for w in words)]


def _closed_lean(ctx: Context, done: pd.Series, hours: np.ndarray) -> dict[str, Any]:
    """How far the closed-time fallback carries the time to resolve: the tickets it
    measures to their closed time where their tool records resolutions (a tool and
    kind of which some incident or request in scope has a resolved time: a ticket of a
    table with no resolved field, ServiceNow's requested items, is done when closed),
    the median closed-minus-resolved lag on the tickets done in the window that have
    both (how long after the resolution the closure comes), and the median and p90
    with those tickets left out (``hours``: :func:`_done_hours`). ``leaning``: 0 when
    there are none.

    The closure comes after the resolution (an auto-close days later: the real
    ServiceNow log's 1,524 incidents created already resolved sat at their closure a
    median 120.8 h after opening), so those tickets pull the figure high. A ticket never
    resolved has no resolution for its closure to come after: its closed time is its
    done time. So a cancelled one (status cancelled) and one whose status history never
    shows it resolved (:func:`_never_resolved`) are not counted: a desk that cancels 5%
    of its done incidents read "leans high" (71 of the 1,050 tickets) with the p90
    without them higher (78.1 h against 76.6 h)."""
    t = ctx.tickets
    scope = ctx.of_kind(*SCOPE_KINDS).to_numpy(dtype=bool)
    resolved = t[m.RESOLVED_AT].notna().to_numpy(dtype=bool)
    closed = t[m.CLOSED_AT].notna().to_numpy(dtype=bool)
    cancelled = (t[m.STATUS] == "cancelled").to_numpy(dtype=bool, na_value=False)
    tool_codes, tools = ctx.source_codes
    kind_codes, kinds = ctx.distinct(m.KIND)
    group = tool_codes.astype(np.int64) * (len(kinds) + 1) + kind_codes
    size = (len(tools) + 1) * (len(kinds) + 1)
    records = np.bincount(group[scope & resolved], minlength=size) > 0
    measured = ~np.isnan(hours)  # done, with a duration that is no junk
    leaning = measured & closed & ~resolved & ~cancelled & records[group]
    share = float(ctx.defaults.get("ttr_closed_share", 0.0))
    if leaning.any() and int(leaning.sum()) >= share * int(measured.sum()):
        # the history read only where a caveat could follow (most exports: none)
        leaning &= ~_never_resolved(ctx)
    n_leaning, n_measured = int(leaning.sum()), int(measured.sum())
    if n_leaning < share * n_measured or not n_leaning:
        # under the share the caveat needs, no caveat reads the rest: two million-row
        # passes and a median and a p90 of a million hours saved on most exports
        return {"leaning": n_leaning, "n": n_measured, "lag_median": None, "lag_n": 0,
                "median_without": None, "p90_without": None, "n_without": 0}
    # the closure as the window end saw it: a ticket resolved in the window and closed
    # after it had no closure then (its lag would enter only a later export's median)
    lag = ((ctx.as_of_end(m.CLOSED_AT) - t[m.RESOLVED_AT]) / pd.Timedelta(hours=1)
           ).to_numpy(dtype="float64", na_value=np.nan)
    # a missing closure (or one after the window end) is a NaN lag: no ``lag >= 0``
    both = done.to_numpy(dtype=bool) & resolved & records[group] & (lag >= 0)
    rest = hours[measured & ~leaning]
    return {
        "leaning": n_leaning, "n": n_measured,
        "lag_median": float(np.median(lag[both])) if both.any() else None,
        "lag_n": int(both.sum()),
        "median_without": float(np.median(rest)) if len(rest) else None,
        "p90_without": float(pd.Series(rest).quantile(0.9)) if len(rest) else None,
        "n_without": len(rest),
    }


def _never_resolved(ctx: Context) -> np.ndarray:
    """Per ticket: its status history (status events with a canonical status) holds no
    resolved state: closed without a resolution (cancelled, or closed straight from
    work). False for a ticket with no status history: nothing says either way. The
    history up to the window end (:meth:`Context.events_by_end`): a resolve after it
    was not there yet."""
    ev = ctx.events
    out = np.zeros(len(ctx.tickets), dtype=bool)
    if ev.empty or m.EV_STATUS not in ev:
        return out
    status = ev[m.EV_STATUS]
    known = status.notna().to_numpy(dtype=bool) & ctx.events_by_end()
    if not known.any():
        return out
    was_resolved = (status == "resolved").to_numpy(dtype=bool, na_value=False) & known
    return ctx.tickets_of_events(known) & ~ctx.tickets_of_events(was_resolved)


def _first_assignment(ctx: Context, done: pd.Series
                      ) -> tuple[float | None, int, int, int]:
    """The share never reassigned among the ``done`` tickets with a reassignment count
    that were assigned at all, its numerator and denominator, and how many were never
    assigned (:func:`~itsm_diag.signs.common.never_assigned`: a count of 0 with no group
    and no assignee), left out of both: who resolved such a ticket the export does not
    say (an agent on first contact, a trigger, its requester), so it counts neither way
    (Zendesk's 155 never-assigned tickets read 69.6% where 64.7% of those assigned were
    resolved at their first)."""
    is_done = done.to_numpy(dtype=bool)
    count = ctx.tickets[m.REASSIGNMENT_COUNT].to_numpy(dtype="float64", na_value=np.nan)
    unassigned = is_done & never_assigned(ctx)
    known = is_done & ~np.isnan(count) & ~unassigned
    n, never = int(known.sum()), int((known & (count == 0)).sum())
    return (never / n if n else None), never, n, int(unassigned.sum())


def _sla(ctx: Context, done: pd.Series) -> tuple[float | None, dict[str, int]]:
    """SLA adherence over the done tickets with an SLA outcome, each ticket's
    :func:`~itsm_diag.signs.common.sla_outcome`: the made-SLA flag where the ticket
    carries one, else done by its due time (a due date without a time of day through the
    end of its day). A flag on some tickets (only the urgent ones carry an SLA) leaves the
    others to their due times: the flag on 14% of the tickets must not stand for all of
    them. A flag on a ticket with no due time where the export holds due times is no
    outcome (:attr:`~itsm_diag.signs.common.SlaOutcome.no_sla`: the tool's default where
    no SLA is attached), left out and counted. Also the counts its definition states:
    ``sla_met`` of ``sla_n`` (``sla_flag`` read from the flag, ``sla_due`` from the due
    time), ``sla_no_sla`` done with such a flag, ``sla_neither`` done with neither a flag
    nor a due time."""
    outcome = sla_outcome(ctx)
    is_done = done.to_numpy(dtype=bool)
    known = is_done & outcome.known
    n_flag = int((known & outcome.by_flag).sum())
    n_due = int((known & outcome.by_due).sum())
    n = n_flag + n_due
    met = int((known & outcome.met).sum())
    no_sla = int((is_done & outcome.no_sla).sum())
    # done without an outcome while the file fills the flag with words not read
    unread = (is_done & ~outcome.known & ~outcome.no_sla
              & ctx.filled(m.SLA_MET_RAW).to_numpy(dtype=bool))
    counts = {"sla_met": met, "sla_n": n, "sla_flag": n_flag, "sla_due": n_due,
              "sla_no_sla": no_sla, "sla_neither": int(is_done.sum()) - n - no_sla,
              "sla_unread": int(unread.sum())}
    return (met / n if n else None), counts


def _names(ctx: Context, column: str, rows: np.ndarray) -> pd.Series:
    """Each distinct value of ``column`` trimmed (or blank) once, then taken for ``rows``."""
    codes, distinct = ctx.distinct(column)
    names = distinct.astype(m.STRING_DTYPE).str.strip().where(filled(distinct), BLANK)
    return pd.Series(names.array.take(codes[rows]))


def _volume(ctx: Context, opened: pd.Series) -> dict[Any, int]:
    """The tickets opened by category, and those a catalogue item classifies
    (:func:`by_item`) by catalogue item, keyed ``(CATALOGUE_ITEM, name)``, in one top
    :data:`TOP_CATEGORIES` (a blank catalogue item is a blank: counted under "(blank)"
    with the blank categories)."""
    rows = np.flatnonzero(opened.to_numpy(dtype=bool))
    names = _names(ctx, m.CATEGORY, rows)
    item = by_item(ctx)[rows]
    if item.any():
        text = names.to_numpy(dtype=object)
        text[item] = _names(ctx, m.REQUEST_ITEM, rows[item]).to_numpy(dtype=object)
        counts = pd.DataFrame({"item": item & (text != BLANK), "name": text}).value_counts()
    else:
        counts = names.value_counts()
    out: dict[Any, int] = {}
    for key, v in counts.head(TOP_CATEGORIES).items():
        if isinstance(key, tuple):
            out[(CATALOGUE_ITEM, str(key[1])) if key[0] else str(key[1])] = int(v)
        else:
            out[str(key)] = int(v)
    rest = int(counts.iloc[TOP_CATEGORIES:].sum())
    if rest:
        out[OTHER] = rest
    return out


def _machine(ctx: Context, done: pd.Series, machine: pd.Series) -> dict[str, Any]:
    """The tickets a machine raised among those done in the window (``machine``, left
    out of the time to resolve, first-assignment resolution and SLA adherence), and
    those three figures with them counted in (``done``: all done in the window), which
    the engine gives in a caveat when they are ``defaults.machine_made_share`` of the
    done tickets or more."""
    n = int(machine.sum())
    out: dict[str, Any] = {"machine": n, "done": int(done.sum())}
    # the figures with them in are the caveat's alone: worked out only when it is said
    if not n or n < float(ctx.defaults.get("machine_made_share", 0.05)) * out["done"]:
        return out
    ttr = _time_to_resolve(_done_hours(ctx, done))
    far, _, _, _ = _first_assignment(ctx, done)
    sla, _ = _sla(ctx, done)
    return {**out, "median_with": ttr["median"], "p90_with": ttr["p90"], "n_with": ttr["n"],
            "far_with": far, "sla_with": sla}


def _children(ctx: Context, children: pd.Series) -> dict[str, int]:
    """The child incidents left out (``children``: done in the window, each with its
    parent incident in the export) and their parents, for the definitions to say."""
    rows = parent_rows(ctx)[children.to_numpy(dtype=bool)]
    return {"children": len(rows), "parents": len(np.unique(rows))}


def compute_kpis(ctx: Context) -> dict[str, Any]:
    """The KPI panel over incidents and requests: keys as ``report.Kpis``. The time to
    resolve, first-assignment resolution and SLA adherence leave out the tickets a
    machine raised (:func:`~itsm_diag.signs.common.machine_raised`: an alert storm's
    3,000 auto-resolved alerts halved the median), a clean-up script's closures (the
    backlog sign's mass closure: no work done), the cancelled tickets
    (:func:`~itsm_diag.signs.common.cancelled_done`: a duplicate closed in minutes is no
    resolution) and the child incidents of a parent incident in the export
    (:func:`~itsm_diag.signs.common.parent_rows`: a major incident's reports, resolved
    with it; the parent counts once), each once (the one split,
    :func:`~itsm_diag.signs.common.left_out_done`), counted in their definitions; the
    volume counts every ticket opened."""
    scope = ctx.of_kind(*SCOPE_KINDS)
    done_all = scope & ctx.done_in_window()
    # left out of done work, each counted once (:func:`left_out_done`, the one split the
    # sla-by-priority check and the drivers take too):
    # - an alert storm's auto-resolved alerts halved the median;
    # - a clean-up script's closures are no work done (the backlog sign counts them open
    #   to the window end): 1,955 stale incidents closed in 25 minutes are no resolution
    #   time;
    # - a cancelled ticket (closed as a duplicate, withdrawn, won't do) was resolved by no
    #   work either: 134 duplicates closed a median 4 minutes after opening, never
    #   reassigned, pulled the median 8.17 h to 7.48 h and added 2.9 points of
    #   first-assignment resolution;
    # - a major incident's child incidents are reports of its one outage, resolved with
    #   it and never worked on their own: counted, 120 children of three outages read as
    #   120 first-assignment resolutions and moved the median to the parents' hours. The
    #   parent carries the outage's figures once
    left = left_out_done(ctx, done_all)
    machine, cleanup, cancelled, children = (
        left.machine, left.cleanup, left.cancelled, left.children)
    done = left.kept
    opened = scope & ctx.opened_in_window()
    hours = _done_hours(ctx, done)
    ttr = _time_to_resolve(hours)
    far, far_k, far_n, far_unassigned = _first_assignment(ctx, done)
    sla, sla_counts = _sla(ctx, done)
    notes: list[str] = []
    if not scope.any():
        notes.append("all.no_scope")
    reason = "no_field" if done.any() else "no_done"
    for name, value in (("time_to_resolve_hours", ttr["median"]),
                        ("first_assignment_resolution", far), ("sla_adherence", sla)):
        if scope.any() and value is None:
            # an SLA flag filled with words not read is no empty field
            # ... nor a flag on tickets with no SLA attached (the tool's default)
            said = reason if name != "sla_adherence" else (
                "unread" if sla_counts["sla_unread"] else
                "no_sla" if sla_counts["sla_no_sla"] else reason)
            notes.append(f"{name}.{said}")
    volume = _volume(ctx, opened) if opened.any() else {}
    if scope.any() and not opened.any():
        notes.append("volume_by_category.no_opened")
    usable, _, _ = scope_masks(ctx)
    weekly = weekly_rows(ctx) if usable.any() else []
    if scope.any() and not usable.any():
        notes.append("backlog_weekly.no_field")
    # the first-assignment figure's counts, as SLA adherence's: ``far_never`` of
    # ``far_n``, ``far_unknown`` done with no reassignment count, ``far_unassigned`` done
    # never assigned (left out of both)
    far_counts = {"far_never": far_k, "far_n": far_n, "far_unassigned": far_unassigned,
                  "far_unknown": int(done.sum()) - far_n - far_unassigned}
    return {
        # what the window leaves out, and the shares' counts: worded in the KPI
        # definitions
        # ``by_item``: the tickets opened in the window a catalogue item classifies
        # ``machine``: done in the window, raised by a machine, left out
        "left_out": {**_left_out(ctx, scope, done), **sla_counts, **far_counts,
                     "by_item": int((opened.to_numpy(dtype=bool) & by_item(ctx)).sum()),
                     "machine": int(machine.sum()), "cleanup": int(cleanup.sum()),
                     "cancelled": int(cancelled.sum()), **_children(ctx, children)},
        # the three figures with the machine-raised tickets in: the engine's caveat
        "machine_made": _machine(ctx, done | machine, machine),
        "time_to_resolve_hours": ttr,
        # the tickets measured to their closed time where their tool records
        # resolutions: the engine words the caveat (the figure leans high)
        "ttr_closed": _closed_lean(ctx, done, hours),
        # the time to resolve's hours spent waiting on the requester or a third party,
        # where the export measures them, and the export's hold columns left unread: the
        # engine words the definition's clause and the caveat
        "ttr_waiting": {**_waiting_time(ctx, hours), "columns": _hold_columns(ctx)},
        "first_assignment_resolution": far,
        "sla_adherence": sla,
        # the tickets behind each share: a comparison weighs a move on them
        "counts": {k: {"numerator": a, "denominator": b} for k, a, b in (
            ("first_assignment_resolution", far_k, far_n),
            ("sla_adherence", sla_counts["sla_met"], sla_counts["sla_n"])) if b},
        # a catalogue item (:func:`by_item`) under ``(CATALOGUE_ITEM, name)``: the engine
        # labels it
        "volume_by_category": volume,
        "backlog_weekly": weekly,
        "notes": notes,
    }
