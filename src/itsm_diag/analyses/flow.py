"""Analysis ``flow``: how work really flows, from the status and assignment history.

Done tickets in the window whose events hold a status or an assignment history:

- **time in each status**: a status lasts from its event to the next status event; the
  clock stops at the done status after which the ticket never reopened (time a ticket
  waits in Resolved before it is closed is not work). Per status: tickets that visited
  it, median and p90 of each ticket's total time in it, and its share of all time.
- **time in each group, idle time, touchpoints**: one timeline per ticket of every update
  the input records (status, assignment, comment, work note, and an audit log's other
  rows: the ``update`` events, touches that changed neither state nor group) from its
  opened time to its done time; each gap belongs to the group holding the ticket when it
  starts. A gap spanning more than ``idle_business_days`` business days is idle. Updates
  are counted for the group that held the ticket when they were made.
- **handoffs**: consecutive assignment groups (repeats of one group dropped): transfers
  per pair, and A -> B -> A bounces per pair, with sample ids.
- **variants**: each ticket's path of statuses and of groups; the most frequent paths with
  share and median time to done, and what the long tail costs in extra updates (status,
  group, comment and work note events: not the touches).

Everything is sorted once and reduced with numpy and pandas group-bys over integer
codes: no Python loop over tickets or events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itsm_diag import model as m
from itsm_diag.analyses._util import (
    ffill_within,
    hours,
    ids_of,
    note,
    params_key,
    rank_in_runs,
    rounded,
    run_starts,
    ticket_rows_of_events,
    top_positions_per_key,
    top_rows_per_key,
)
from itsm_diag.model import NAT, ts_us
from itsm_diag.signs.base import Context, Figure, Measurement, Note, per_month, ratio
from itsm_diag.signs.common import by_code_then, filled, fold_key, per_distinct, then_by_code

NO_GROUP = "(no group)"
ARROW = " → "


@dataclass
class Flow:
    """The flow of the done tickets in the window, measured once per Context."""

    scope: pd.Series
    n_scope: int
    status_tickets: int = 0
    group_tickets: int = 0
    #: per status label: the rows of the time-in-status table
    time_in_status: list[dict[str, Any]] = field(default_factory=list)
    groups: pd.DataFrame | None = None
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    bounce_pairs: list[dict[str, Any]] = field(default_factory=list)
    status_variants: list[dict[str, Any]] = field(default_factory=list)
    group_variants: list[dict[str, Any]] = field(default_factory=list)
    #: ticket rows that bounced A -> B -> A, and those with an assignment history (a
    #: group named up to the window end): the bounce share's numerator and denominator
    bounced_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    group_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfers: int = 0
    updates: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    update_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    held_hours: float = 0.0
    #: idle gaps spent in a waiting status (pending: on hold, awaiting the caller or a
    #: vendor) apart from the other idle gaps: hours, gaps and ticket rows
    idle_hours: float = 0.0
    idle_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    waiting_hours: float = 0.0
    waiting_gaps: int = 0
    waiting_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: ticket rows on one of the top status paths, and in the long tail
    top_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    tail_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


# ---- the events, sorted once ---------------------------------------------------------------

def _scope(ctx: Context, params: Mapping[str, Any]) -> pd.Series:
    kinds = ctx.of_kind(*params["kinds"])
    return kinds & ctx.done_in_window()


def _sorted_events(ctx: Context, scope: pd.Series) -> pd.DataFrame:
    """The scope's events with a time, sorted by ticket row then time (stable), as
    columns: row, at (us), kind (code in m.EVENT_KINDS), i (the event's position)."""
    ev = ctx.events
    if ev.empty:
        return pd.DataFrame({"row": [], "at": [], "kind": [], "i": []}, dtype=np.int64)
    rows = ticket_rows_of_events(ctx)
    at = ts_us(ev[m.EV_AT])
    # the events up to the window end: a done ticket's later close or reopen was not
    # there yet (an export pulled weeks later reads the window's paths as one pulled then)
    keep = ctx.events_of_tickets(scope) & (rows >= 0) & (at != NAT) & ctx.events_by_end()
    idx = np.flatnonzero(keep)
    kinds = ev[m.EV_KIND]
    if isinstance(kinds.dtype, pd.CategoricalDtype):
        kind = np.asarray(kinds.cat.codes)[idx].astype(np.int64)
        names = list(kinds.dtype.categories)
    else:
        names = list(m.EVENT_KINDS)
        kind = pd.Categorical(kinds.iloc[idx], categories=names).codes.astype(np.int64)
    # an assignee event stands beside the event its audit-log row already made (a
    # status, a group or a touch): one update, counted once (by its code, on the kept
    # events only)
    if "assignee" in names:
        other = kind != names.index("assignee")
        idx, kind = idx[other], kind[other]
    order = by_code_then(rows[idx], at[idx])
    idx = idx[order]
    return pd.DataFrame({"row": rows[idx], "at": at[idx], "kind": kind[order], "i": idx},
                        copy=False)


def _labels(ctx: Context, ev_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code of each event's value, folded: case and spaces ignored, -1 when blank; the
    label each code shows: the value as first written)."""
    values = ctx.events[m.EV_VALUE].take(ev_idx).reset_index(drop=True)
    key = per_distinct(values, partial(fold_key, spaces=True))
    codes, uniques = pd.factorize(key.array)
    codes = np.asarray(codes, dtype=np.int64)
    shown = np.empty(len(uniques), dtype=object)
    if len(uniques):
        first = np.unique(codes[codes >= 0], return_index=True)[1]
        ok = np.flatnonzero(codes >= 0)[first]
        shown[codes[ok]] = values.take(ok).str.strip().to_numpy(dtype=object)
    return codes, shown


def _done_labels(ctx: Context, ev_idx: np.ndarray, codes: np.ndarray, n_labels: int,
                 statuses: frozenset[str] = m.DONE_STATUSES) -> np.ndarray:
    """Per status label code: True when the status it names is one of ``statuses`` (by
    default done: resolved, closed, cancelled; or ``m.WAITING_STATUSES``: pending), by the
    events' canonical status where the importer set it, else by the tickets' own pairs of
    raw and canonical status, else by the label itself."""
    done = np.zeros(n_labels, dtype=bool)
    known = np.zeros(n_labels, dtype=bool)
    ev = ctx.events
    if m.EV_STATUS in ev.columns and ev[m.EV_STATUS].notna().any():
        canon = ev[m.EV_STATUS].take(ev_idx).to_numpy(dtype=object)
        ok = (codes >= 0) & pd.notna(canon)
        frame = pd.DataFrame({"code": codes[ok], "done": pd.Series(canon[ok]).isin(
            statuses).to_numpy()}, copy=False)
        by = frame.groupby("code")["done"].mean()
        done[by.index.to_numpy()] = by.to_numpy() >= 0.5
        known[by.index.to_numpy()] = True
    first = np.unique(codes[codes >= 0], return_index=True)[1]
    first_rows = np.flatnonzero(codes >= 0)[first]
    rows = first_rows
    if known[codes[rows]].all():
        return done
    values = ctx.events[m.EV_VALUE].take(ev_idx[rows]).reset_index(drop=True)
    folded = fold_key(values, spaces=True)
    # the tickets' own (raw, canonical) status pairs, counted once per distinct pair
    t = ctx.tickets
    both = pd.DataFrame({"raw": t[m.STATUS_RAW].fillna(t[m.STATUS].astype("string")),
                         "status": t[m.STATUS].astype("string")}, copy=False).dropna()
    counts = both.value_counts().reset_index(name="n")
    counts["raw"] = fold_key(counts["raw"].astype("string"), spaces=True)
    by_raw = counts.groupby(["raw", "status"])["n"].sum().reset_index().sort_values(
        "n", ascending=False).drop_duplicates("raw").set_index("raw")["status"]
    rows = np.arange(len(rows))
    for code, text in zip(codes[first_rows], folded.take(rows), strict=True):  # per label
        if known[code]:
            continue
        canon = by_raw.get(text, text)
        done[code] = canon in statuses
    return done


# ---- status timeline ------------------------------------------------------------------------

def _status_part(ctx: Context, ev: pd.DataFrame, done_us: np.ndarray, params: Mapping[str, Any],
                 flow: Flow) -> np.ndarray:
    """The time-in-status table and the status paths; returns, per event of ``ev``, 1
    when it sets a waiting status (``m.WAITING_STATUSES``: pending, by the event's
    canonical status, else the tickets' raw and canonical pairs, else the label), 0 when
    it sets another status, -1 when it sets none (not a status event, or blank): read
    from the labels computed here once, for the group timeline's waiting gaps."""
    wait = np.full(len(ev), -1, dtype=np.int64)
    pos = np.flatnonzero(ev["kind"].to_numpy() == m.EVENT_KINDS.index("status"))
    pos = pos[filled(ctx.events[m.EV_VALUE].take(ev["i"].to_numpy()[pos])).to_numpy()]
    st = ev.iloc[pos]
    if st.empty:
        return wait
    codes, shown = _labels(ctx, st["i"].to_numpy())
    row, at = st["row"].to_numpy(), st["at"].to_numpy()
    keep = codes >= 0
    row, at, codes, ev_i = row[keep], at[keep], codes[keep], st["i"].to_numpy()[keep]
    wait[pos[keep]] = _done_labels(ctx, ev_i, codes, len(shown),
                                   m.WAITING_STATUSES)[codes].astype(np.int64)
    # a status saved again is no new status
    same = np.r_[False, (row[1:] == row[:-1]) & (codes[1:] == codes[:-1])]
    row, at, codes, ev_i = row[~same], at[~same], codes[~same], ev_i[~same]
    done_label = _done_labels(ctx, ev_i, codes, len(shown))
    is_done = done_label[codes]
    n = len(row)
    flow.status_tickets = len(run_starts(row))
    starts = run_starts(row)
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    pos = np.arange(n)
    last_active = np.maximum.reduceat(np.where(~is_done, pos, -1), starts)[run]
    next_same = np.r_[row[1:] == row[:-1], False]
    nxt = np.r_[at[1:], NAT]
    ticket_done = done_us[row]
    end = np.where(next_same, nxt, np.where(is_done, NAT, ticket_done))
    counted = (pos <= last_active) & (end != NAT)
    dur = np.clip(hours(end - at), 0, None)
    frame = pd.DataFrame({"label": codes[counted], "row": row[counted], "h": dur[counted]},
                         copy=False)
    per = frame.groupby(["label", "row"], sort=False)["h"].sum().reset_index()
    total = float(per["h"].sum())
    agg = per.groupby("label")["h"].agg(["count", "median", "sum"])
    agg["p90"] = per.groupby("label")["h"].quantile(0.9)
    # at equal time and count by status name; each row's samples at equal hours by id
    agg = agg.assign(name=shown[agg.index.to_numpy()].astype(str)).sort_values(
        ["sum", "count", "name"], ascending=[False, False, True], kind="stable")
    top = top_rows_per_key(per["label"].to_numpy(), per["h"].to_numpy(), per["row"].to_numpy(),
                           int(params["samples_per_row"]),
                           ctx.id_ranks[0][per["row"].to_numpy()])
    flow.time_in_status = [
        {"status": str(shown[code]), "tickets": int(r["count"]),
         "median_hours": rounded(r["median"]), "p90_hours": rounded(r["p90"]),
         "share_of_time": rounded(r["sum"] / total if total else None, 4),
         "sample_ids": ids_of(ctx, top.get(int(code), []))}
        for code, r in agg.head(int(params["top_rows"])).iterrows()]
    flow.status_variants, flow.top_rows, flow.tail_rows = _variants(
        ctx, row, shown[codes], done_us, params)
    return wait


# ---- group timeline: time held, idle gaps, touchpoints, handoffs -------------------------

def _group_part(ctx: Context, ev: pd.DataFrame, opened_us: np.ndarray, done_us: np.ndarray,
                params: Mapping[str, Any], flow: Flow, ev_wait: np.ndarray) -> None:
    """The group timeline: time held, idle gaps, touchpoints, handoffs; ``ev_wait``
    per event of ``ev``: whether it set a waiting status (:func:`_status_part`)."""
    assign = ev["kind"].to_numpy() == m.EVENT_KINDS.index("assignment")
    gv = ev[assign]
    gv = gv[filled(ctx.events[m.EV_VALUE].take(gv["i"].to_numpy())).to_numpy()]
    if gv.empty:
        return
    g_codes, g_shown = _labels(ctx, gv["i"].to_numpy())
    g_shown = np.append(g_shown, NO_GROUP)  # code -1 (before any group) shows last
    flow.group_tickets = len(run_starts(gv["row"].to_numpy()))
    _handoffs(ctx, gv["row"].to_numpy(), g_codes, g_shown, done_us, params, flow)

    # one timeline per ticket: opened, every update up to done, done
    group_code = np.full(len(ev), -1, dtype=np.int64)
    group_code[np.flatnonzero(assign)[filled(ctx.events[m.EV_VALUE].take(
        ev["i"].to_numpy()[assign])).to_numpy()]] = g_codes
    # the group timeline covers the tickets with an assignment history
    g_rows = gv["row"].to_numpy()
    rows_all = g_rows[run_starts(g_rows)]
    flow.group_rows = rows_all
    has_hist = np.zeros(len(ctx.tickets), dtype=bool)
    has_hist[rows_all] = True
    in_hist = has_hist[ev["row"].to_numpy()]
    e_row, e_at, e_grp = ev["row"].to_numpy()[in_hist], ev["at"].to_numpy()[in_hist], \
        group_code[in_hist]
    e_wait = ev_wait[in_hist]
    ok_open = opened_us[rows_all] != NAT
    # [row, at, tie (0 opened, 1 update, 2 done), group, waiting (status events: 1 a
    # waiting status, 0 another; -1 no status event)]
    row = np.concatenate([rows_all[ok_open], e_row, rows_all])
    at = np.concatenate([opened_us[rows_all][ok_open], e_at, done_us[rows_all]])
    tie = np.concatenate([np.zeros(ok_open.sum(), np.int64), np.ones(len(e_row), np.int64),
                          np.full(len(rows_all), 2, np.int64)])
    grp = np.concatenate([np.full(ok_open.sum(), -1), e_grp, np.full(len(rows_all), -1)])
    wait = np.concatenate([np.full(ok_open.sum(), -1), e_wait, np.full(len(rows_all), -1)])
    # the active life ends at done: what is recorded after it is not part of the flow
    keep = (tie == 2) | (at <= done_us[row])
    row, at, tie, grp, wait = row[keep], at[keep], tie[keep], grp[keep], wait[keep]
    # at one time, a save's assignment before its other events: the status event of the
    # creation save (New) belongs to the group the same save assigned, not "(no group)"
    order = then_by_code(np.lexsort((grp < 0, tie, at)), row)
    row, at, tie, grp, wait = row[order], at[order], tie[order], grp[order], wait[order]
    n = len(row)
    first = np.r_[True, row[1:] != row[:-1]]
    cur = ffill_within(grp, grp >= 0, first)
    # the status each gap starts in: waiting on someone else (the caller, a vendor) or not
    waiting_now = ffill_within(wait, wait >= 0, first) == 1
    next_same = np.r_[row[1:] == row[:-1], False]
    gap_us = np.where(next_same, np.r_[at[1:], 0] - at, 0).clip(min=0)
    # each update's calendar day in the run's zone (--tz), as every business-day count
    day = ctx.calendar.local_days(at)
    next_day = np.r_[day[1:], day[-1:]] if n else day
    bdays = ctx.calendar.count_days(day, next_day)
    long_gap = next_same & (bdays > int(params["idle_business_days"]))
    # a long gap in a waiting status is time the ticket waited on the caller or a vendor,
    # not time the group held it untouched: counted apart, out of the idle time
    waiting = long_gap & waiting_now
    idle = long_gap & ~waiting
    update = tie == 1
    label = np.where(cur >= 0, cur, len(g_shown) - 1)
    frame = pd.DataFrame({"g": label, "row": row, "h": hours(gap_us),
                          "idle_h": np.where(idle, hours(gap_us), 0.0),
                          "idle_n": idle.astype(np.int64),
                          "wait_h": np.where(waiting, hours(gap_us), 0.0),
                          "wait_n": waiting.astype(np.int64), "upd": update.astype(np.int64)},
                         copy=False)
    per = frame.groupby(["g", "row"], sort=False).sum().reset_index()
    # a group that held a ticket for no time and made no update did not hold it
    per = per[(per["h"] > 0) | (per["upd"] > 0)]
    by = per.groupby("g")
    out = pd.DataFrame({
        "tickets": by.size(), "median_hours": by["h"].median(), "p90_hours": by["h"].quantile(0.9),
        "hours": by["h"].sum(), "idle_hours": by["idle_h"].sum(),
        "idle_tickets": (per["idle_n"] > 0).groupby(per["g"]).sum(),
        "idle_gaps": by["idle_n"].sum(), "waiting_hours": by["wait_h"].sum(),
        "waiting_gaps": by["wait_n"].sum(), "median_updates": by["upd"].median(),
        "p90_updates": by["upd"].quantile(0.9), "updates": by["upd"].sum()}, copy=False)
    total = float(out["hours"].sum())
    out["share_of_time"] = out["hours"] / total if total else np.nan
    # idle out of the hours the group held tickets not waiting on someone else
    workable = out["hours"] - out["waiting_hours"]
    out["idle_share"] = (out["idle_hours"] / workable).where(workable > 0)
    out["label"] = g_shown[out.index.to_numpy()]
    k = int(params["samples_per_row"])
    g, row = per["g"].to_numpy(), per["row"].to_numpy()
    out["time_ids"] = _ids_by(ctx, g, per["h"].to_numpy(), row, k, out.index)
    idle = (per["idle_h"] > 0).to_numpy(dtype=bool)
    out["idle_ids"] = _ids_by(ctx, g[idle], per["idle_h"].to_numpy()[idle], row[idle], k,
                              out.index)
    out["touch_ids"] = _ids_by(ctx, g, per["upd"].to_numpy().astype(float), row, k, out.index)
    flow.groups = out
    flow.held_hours = total
    flow.idle_hours = float(out["idle_hours"].sum())
    flow.idle_rows = np.unique(row[idle])
    flow.waiting_hours = float(out["waiting_hours"].sum())
    flow.waiting_gaps = int(out["waiting_gaps"].sum())
    flow.waiting_rows = np.unique(row[(per["wait_h"] > 0).to_numpy(dtype=bool)])


def _ids_by(ctx: Context, keys: np.ndarray, order_by: np.ndarray, rows: np.ndarray, k: int,
            index: pd.Index) -> list[list[str]]:
    """For each key of ``index``, the ticket ids of its ``k`` rows with the largest
    ``order_by`` (ties: first): ``ids_of`` of :func:`top_rows_per_key`'s rows, with one
    sort and one gather of the ids for all keys, not a look-up per key."""
    keep = top_positions_per_key(keys, order_by, k, ctx.id_ranks[0][rows])
    return _ids_per_key(ctx, keys[keep], rows[keep], index)


def _ids_per_key(ctx: Context, keys: np.ndarray, rows: np.ndarray, wanted: pd.Index | np.ndarray
                 ) -> list[list[str]]:
    """For each key in ``wanted``, the ticket ids of the ``rows`` under it (``keys``
    sorted; each key's rows in their order): ``ids_of`` of each key's rows, from one
    gather of the ids of the keys wanted."""
    want = np.asarray(wanted, dtype=np.int64)
    lo = np.searchsorted(keys, want, side="left")
    hi = np.searchsorted(keys, want, side="right")
    size = hi - lo
    cut = np.r_[0, np.cumsum(size)]
    # the positions of every wanted key's rows, key after key
    pos = np.arange(int(cut[-1]), dtype=np.int64) + np.repeat(lo - cut[:-1], size)
    ids = ids_of(ctx, rows[pos])
    bounds = cut.tolist()
    return [ids[bounds[i]:bounds[i + 1]] for i in range(len(want))]


def _handoffs(ctx: Context, row: np.ndarray, codes: np.ndarray, shown: np.ndarray,
              done_us: np.ndarray, params: Mapping[str, Any], flow: Flow) -> None:
    ok = codes >= 0
    row, codes = row[ok], codes[ok]
    same = np.r_[False, (row[1:] == row[:-1]) & (codes[1:] == codes[:-1])]
    row, codes = row[~same], codes[~same]
    prev_same = np.r_[False, row[1:] == row[:-1]]
    prev2_same = np.r_[False, False, row[2:] == row[:-2]]
    prev = np.r_[-1, codes[:-1]]
    prev2 = np.r_[-1, -1, codes[:-2]] if len(codes) >= 2 else np.full(len(codes), -1)
    transfer = prev_same
    bounce = prev2_same & (codes == prev2)
    flow.transfers = int(transfer.sum())
    flow.bounced_rows = np.unique(row[bounce])
    k = int(params["samples_per_row"])
    width = len(shown) + 1
    pair = prev * width + codes
    t_pairs, t_counts = np.unique(pair[transfer], return_counts=True)
    b_pairs, b_counts = np.unique(pair[bounce], return_counts=True)
    b_of = dict(zip(b_pairs.tolist(), b_counts.tolist(), strict=True))
    t_tickets = pd.Series(row[transfer]).groupby(pair[transfer]).nunique()
    # the most first; at equal counts by the groups' names (not the export's row order)
    names = shown.astype(str)
    order = np.lexsort((names[t_pairs % width], names[t_pairs // width], -t_counts))[
        : int(params["top_handoffs"])]
    idr = ctx.id_ranks[0]
    t_ids = _ids_per_key(ctx, *_first_rows(pair[transfer], row[transfer], k, idr),
                         t_pairs[order])
    flow.handoffs = [
        {"from": str(shown[p // width]), "to": str(shown[p % width]), "transfers": int(c),
         "tickets": int(t_tickets.get(p, 0)), "sent_back": int(b_of.get(int(p), 0)),
         "sample_ids": ids}
        for p, c, ids in zip(t_pairs[order], t_counts[order], t_ids, strict=True)]
    # a bounce A -> B -> A is counted for the pair (A, B): A sent it to B, B sent it back
    b_tickets = pd.Series(row[bounce]).groupby(pair[bounce]).nunique()
    order = np.lexsort((names[b_pairs // width], names[b_pairs % width], -b_counts))[
        : int(params["top_rows"])]
    b_ids = _ids_per_key(ctx, *_first_rows(pair[bounce], row[bounce], k, idr), b_pairs[order])
    flow.bounce_pairs = [
        {"group": str(shown[p % width]), "bounced_via": str(shown[p // width]),
         "bounces": int(c), "tickets": int(b_tickets.get(p, 0)), "sample_ids": ids}
        for p, c, ids in zip(b_pairs[order], b_counts[order], b_ids, strict=True)]
    flow.group_variants = _variants(ctx, row, shown[codes], done_us, params)[0]


def _first_rows(keys: np.ndarray, rows: np.ndarray, k: int, idr: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per key, its first ``k`` distinct ticket rows by id order (``idr``: the tickets'
    id ranks, so the samples do not follow the export's row order): (the keys, ascending,
    and their rows), for :func:`_ids_per_key`."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((rows, idr[rows], keys))
    keys, rows = keys[order], rows[order]
    new = np.r_[True, (keys[1:] != keys[:-1]) | (rows[1:] != rows[:-1])]
    keys, rows = keys[new], rows[new]
    first = rank_in_runs(keys) < k
    return keys[first], rows[first]


# ---- variants --------------------------------------------------------------------------------

def _variants(ctx: Context, row: np.ndarray, labels: np.ndarray, done_us: np.ndarray,
              params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """The most frequent paths (``labels`` in order per ticket row, rows sorted), with
    their share of tickets and median hours from opened to done, the long tail last; and
    the ticket rows on a top path and in the tail."""
    none = np.zeros(0, np.int64)
    if not len(row):
        return [], none, none
    starts = run_starts(row)
    offsets = np.r_[starts, len(row)].astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(labels.astype(str)))
    paths = pc.binary_join(lists, ARROW)
    tickets = row[starts]
    codes, uniques = pd.factorize(pd.Series(pd.arrays.ArrowStringArray(paths.cast(
        pa.large_string()))).array)
    opened = ts_us(ctx.tickets[m.OPENED_AT])[tickets]
    dur = np.where((opened != NAT) & (done_us[tickets] != NAT),
                   hours(done_us[tickets] - opened), np.nan)
    dur = np.where(dur >= 0, dur, np.nan)
    # "first": a path's smallest ticket id (rank), its tie-break: not the export's row order
    idr = ctx.id_ranks[0]
    frame = pd.DataFrame({"code": codes, "h": dur, "idr": idr[tickets]}, copy=False)
    by = frame.groupby("code")
    agg = pd.DataFrame({"tickets": by.size(), "median_hours": by["h"].median(),
                        "first": by["idr"].min()}, copy=False)
    agg = agg.sort_values(["tickets", "first"], ascending=[False, True])
    top_n = int(params["top_variants"])
    top = agg.head(top_n)
    n = len(tickets)
    k = int(params["samples_per_row"])
    ids = _ids_per_key(ctx, *_first_rows(codes, tickets, k, idr), top.index)
    out = [{"path": str(uniques[code]), "tickets": int(r["tickets"]),
            "share": round(float(r["tickets"]) / n, 4), "median_hours": rounded(r["median_hours"]),
            "sample_ids": sample} for (code, r), sample in zip(top.iterrows(), ids, strict=True)]
    rest = ~np.isin(codes, top.index.to_numpy())
    if rest.any():
        tail_rows = tickets[rest]
        out.append({"path": f"({len(agg) - len(top):,} other paths)", "tickets": int(rest.sum()),
                    "share": round(float(rest.sum()) / n, 4),
                    "median_hours": rounded(float(np.nanmedian(dur[rest]))
                                            if np.isfinite(dur[rest]).any() else None),
                    "sample_ids": ctx.sample_rows(tail_rows, k), "tail": True})
    return out, tickets[~rest], tickets[rest]


# ---- measure ---------------------------------------------------------------------------------

def flow_of(ctx: Context, params: Mapping[str, Any]) -> Flow:
    """The flow of the done tickets in the window (computed once per Context and params)."""
    def make() -> Flow:
        scope = _scope(ctx, params)
        flow = Flow(scope=scope, n_scope=int(scope.sum()))
        if flow.n_scope == 0 or ctx.events.empty:
            return flow
        ev = _sorted_events(ctx, scope)
        if ev.empty:
            return flow
        t = ctx.tickets
        done_us = ts_us(ctx.done_at)
        opened_us = ts_us(t[m.OPENED_AT])
        # updates per ticket (and the long tail's cost): every status, group, comment and
        # work note event up to the ticket's done time; an audit log's touches (rows that
        # changed neither state nor group) cut the group timeline only
        ev_rows = ev["row"].to_numpy()
        counted = (ev["at"].to_numpy() <= done_us[ev_rows]) & (
            ev["kind"].to_numpy() != m.EVENT_KINDS.index("update"))
        active_rows = ev_rows[counted]  # still sorted
        starts = run_starts(active_rows)
        flow.update_rows = active_rows[starts]
        flow.updates = np.diff(np.r_[starts, len(active_rows)])
        ev_wait = _status_part(ctx, ev, done_us, params, flow)
        _group_part(ctx, ev, opened_us, done_us, params, flow, ev_wait)
        return flow
    result: Flow = ctx.memo(("analyses.flow", params_key(params)), make)
    return result


def _group_rows(flow: Flow, sort: str, cols: dict[str, str], ids: str, top: int
                ) -> list[dict[str, Any]]:
    if flow.groups is None:
        return []
    g = flow.groups.sort_values([sort, "tickets", "label"], ascending=[False, False, True],
                                kind="stable").head(top)
    out = []
    for _, r in g.iterrows():  # at most ``top`` rows
        row: dict[str, Any] = {"group": str(r["label"])}
        for col, kind in cols.items():
            value = r[col]
            row[col] = (int(value) if kind == "int" else
                        rounded(float(value), 4 if kind == "share" else 1))
        row["sample_ids"] = list(r[ids])
        out.append(row)
    return out


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    flow = flow_of(ctx, params)
    minimum = int(params["min_tickets"])
    if flow.n_scope < minimum:
        return Measurement(unknown=note("too_few", n=flow.n_scope, min=minimum))
    if ctx.events.empty or (flow.status_tickets == 0 and flow.group_tickets == 0):
        return Measurement(unknown=note("no_history", n=flow.n_scope))
    min_fill = float(params["min_fill"])
    status_ok = flow.status_tickets / flow.n_scope >= min_fill
    group_ok = flow.group_tickets / flow.n_scope >= min_fill
    if not (status_ok or group_ok):
        return Measurement(unknown=note(
            "sparse", n=max(flow.status_tickets, flow.group_tickets), total=flow.n_scope,
            share=max(flow.status_tickets, flow.group_tickets) / flow.n_scope, min=min_fill))
    notes: list[Note] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    metrics: dict[str, Figure] = {
        "tickets": Figure(value=float(flow.n_scope), sample_ids=ctx.samples(flow.scope)),
    }
    top = int(params["top_rows"])
    if status_ok:
        metrics["status_history_share"] = ratio(flow.status_tickets, flow.n_scope)
        tables["time_in_status"] = flow.time_in_status
        tables["status_variants"] = flow.status_variants
    else:
        notes.append(note("part_sparse", part="status", n=flow.status_tickets,
                          total=flow.n_scope, min=min_fill))
    if group_ok:
        with_hist = flow.group_tickets
        metrics["group_history_share"] = ratio(with_hist, flow.n_scope)
        metrics["transfers_per_ticket"] = Figure(
            value=flow.transfers / with_hist, numerator=float(flow.transfers),
            denominator=float(with_hist))
        metrics["bounced_tickets"] = ratio(len(flow.bounced_rows), with_hist,
                                           ctx.sample_rows(flow.bounced_rows))
        # idle out of the hours not spent waiting on the caller or a vendor (a long gap
        # in a waiting status), which are shown apart
        workable = flow.held_hours - flow.waiting_hours
        metrics["idle_share"] = Figure(
            value=flow.idle_hours / workable if workable > 0 else None,
            numerator=rounded(flow.idle_hours), denominator=rounded(workable),
            sample_ids=ctx.sample_rows(flow.idle_rows))
        if flow.waiting_gaps:
            metrics["waiting_share"] = Figure(
                value=flow.waiting_hours / flow.held_hours if flow.held_hours else None,
                numerator=rounded(flow.waiting_hours), denominator=rounded(flow.held_hours),
                sample_ids=ctx.sample_rows(flow.waiting_rows))
            notes.append(note("waiting", len(flow.waiting_rows),
                              ctx.sample_rows(flow.waiting_rows), gaps=flow.waiting_gaps,
                              hours=flow.waiting_hours,
                              share=flow.waiting_hours / flow.held_hours,
                              days=int(params["idle_business_days"])))
        tables["time_in_group"] = _group_rows(
            flow, "hours", {"tickets": "int", "median_hours": "h", "p90_hours": "h",
                            "share_of_time": "share"}, "time_ids", top)
        tables["idle_by_group"] = _group_rows(
            flow, "idle_hours", {"idle_hours": "h", "idle_share": "share",
                                 "idle_tickets": "int", "idle_gaps": "int",
                                 "waiting_hours": "h", "waiting_gaps": "int", "tickets": "int"},
            "idle_ids", top)
        tables["idle_by_group"] = [r for r in tables["idle_by_group"]
                                   if r["idle_hours"] or r["waiting_hours"]]
        tables["touchpoints_by_group"] = _group_rows(
            flow, "median_updates", {"median_updates": "h", "p90_updates": "h",
                                     "tickets": "int"}, "touch_ids", top)
        tables["handoffs"] = flow.handoffs
        tables["bounce_pairs"] = flow.bounce_pairs
        tables["group_variants"] = flow.group_variants
    else:
        notes.append(note("part_sparse", part="assignment", n=flow.group_tickets,
                          total=flow.n_scope, min=min_fill))
    if len(flow.updates):
        metrics["median_updates"] = Figure(
            value=float(np.median(flow.updates)), denominator=float(len(flow.updates)))
    if status_ok:
        cost = _tail(ctx, flow, params)
        if cost:
            # the agent hours over the window's covered months, a month: the figure is
            # their ratio (the extra updates are in its note, with the minutes each)
            metrics["tail_hours_per_month"] = Figure(
                value=per_month(cost["hours"], ctx.window), numerator=cost["hours"],
                denominator=ctx.window.months, sample_ids=cost["sample_ids"])
            notes.append(note("tail_cost", **{k: v for k, v in cost.items()
                                              if k not in ("sample_ids", "hours")}))
    notes.append(note("idle_gap", days=int(params["idle_business_days"])))
    return Measurement(metrics=metrics, tables={k: v for k, v in tables.items() if v},
                       notes=notes)


def _tail(ctx: Context, flow: Flow, params: Mapping[str, Any]) -> dict[str, Any]:
    """What the long tail of status paths costs: its tickets' updates beyond the mean of
    the tickets on the top paths, a month, in agent hours (``minutes_per_update``)."""
    if not len(flow.tail_rows) or not len(flow.top_rows):
        return {}
    counts = pd.Series(flow.updates, index=flow.update_rows)
    top = counts.reindex(flow.top_rows).fillna(0).to_numpy()
    tail = counts.reindex(flow.tail_rows).fillna(0).to_numpy()
    extra = max(float(tail.mean() - top.mean()), 0.0) * len(tail)
    minutes = float(params["minutes_per_update"])
    per_m = per_month(extra, ctx.window)
    return {"tickets": len(tail), "tail_updates": round(float(tail.mean()), 1),
            "top_updates": round(float(top.mean()), 1), "extra_updates": round(extra, 1),
            "minutes": minutes, "hours_per_month": round(per_m * minutes / 60.0, 1),
            "hours": extra * minutes / 60.0,
            "sample_ids": ctx.sample_rows(flow.tail_rows)}


def evidence(ctx: Context, names: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Flow tables for a sign's or check's evidence (empty when the flow is unknown)."""
    params = ctx.analyses.get("flow")
    if not params:
        return {}
    meas = measure(ctx, params)
    if meas.unknown is not None:
        return {}
    return {f"flow_{name}": meas.tables[name] for name in names if meas.tables.get(name)}
