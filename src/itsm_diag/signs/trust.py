"""S4 ``trust``: have users stopped trusting the process?

Four signals, each measured only where the export supports it: **chasers** (requester
comments in the events table that match a phrase list, unless they confirm a fix or
answer an agent's comment of a few hours before), **bypass** (intake outside the
official channels), **duplicates** (same requester and category opened again while the
first is still open; requesters busy enough to be desks or shared accounts left out; on
an export of one assignment group only a floor, as a pair split across groups is cut) and
**silence** (open tickets nobody touched for N business days).
A signal the data cannot give is a Figure with value ``None``; the engine skips it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
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
    less_sure,
    per_month,
    ratio,
    utc64,
    weeks_said,
)
from itsm_diag.signs.common import (
    contains_where,
    effort_minutes,
    effort_words,
    fold_codes,
    machine_raised,
    open_at,
    phrase_pattern,
    then_by_code,
    too_few,
    waiting_at_end,
)
from itsm_diag.text import figure_beside

_GRADED = ("chaser_share", "bypass_share", "duplicate_share")


def _minimum(params: ParamMap) -> int:
    """Tickets a share needs behind it (the sign's ``min_tickets``)."""
    return int(params.get("min_tickets", 30))


def _none() -> Figure:
    """A signal the data cannot give: the engine skips a None value."""
    return Figure(value=None)


def measure(ctx: Context, params: ParamMap) -> Measurement:
    kinds = [str(k) for k in params.get("kinds", ["incident", "request"])]
    scope = ctx.of_kind(*kinds)
    in_win = scope & ctx.opened_in_window()
    n = int(in_win.sum())
    meas = Measurement()
    if n == 0:
        meas.unknown = Note(code="no_scope", params={"kinds": ", ".join(kinds)})
        return meas
    short = too_few(n, _minimum(params), kinds=", ".join(kinds))
    if short is not None:
        meas.unknown = short
        return meas

    _chasers(ctx, params, scope, in_win, meas)
    _bypass(ctx, params, in_win, meas)
    mostly_chance = _duplicates(ctx, params, scope, in_win, meas)
    _silence(ctx, params, scope, meas)
    _machine_note_measured(meas)

    measured = sum(meas.value(k) is not None for k in _GRADED)
    if measured == 0:
        meas.unknown = Note(code="no_signals")
    # more independent signals behind the verdict -> more confidence in it
    conf: dict[int, Confidence] = {3: "high", 2: "medium"}
    meas.confidence = conf.get(measured, "low")
    if mostly_chance:  # more than half of the duplicates are what chance gives
        meas.confidence = less_sure(meas.confidence)
    if meas.value("duplicate_share") is not None:  # its 48 hours between day stamps
        ctx.step_down(meas, (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT), "day_stamps",
                      hours=float(params.get("duplicate_hours", 48.0)))
    meas.tables["signals"] = [
        {"signal": k, "value": meas.value(k),
         "numerator": meas.metrics[k].numerator, "denominator": meas.metrics[k].denominator}
        for k in (*_GRADED, "silent_share")
    ]
    return meas


def _chasers(
    ctx: Context, params: ParamMap, scope: pd.Series, in_win: pd.Series, meas: Measurement
) -> None:
    ev, w = ctx.events, ctx.window
    phrases = [str(x) for x in params.get("chaser_phrases", []) if str(x).strip()]
    # a ticket a machine raised (a monitoring alert) has no requester to chase it: left
    # out of the share and of the chaser comments, as bypass and duplicates leave it out
    # (one set, :func:`raised_by_machine`, and one note)
    machine = scope & raised_by_machine(ctx, params)
    people = scope & ~machine
    # comments on people's tickets in scope; the membership tests go through the
    # Context's id codes (one integer lookup per event) rather than a per-call string
    # ``isin``; up to the window end: a later comment was not there yet
    comments = (ev[m.EV_KIND] == "comment").to_numpy(dtype=bool, na_value=False) \
        & ctx.events_of_tickets(people) & ctx.events_by_end() \
        if not ev.empty else np.zeros(0, dtype=bool)
    # a comment whose author role is unknown cannot be a requester chaser or rule one out
    attributed = comments & ev[m.EV_AUTHOR_ROLE].notna().to_numpy() if not ev.empty \
        else comments
    # chasers count the tickets of the tools whose export carries attributed comments: a
    # tool that exports no conversation (Freshservice's UI export) is no evidence that
    # its requesters never chased
    in_win = _by_people(ctx, params, in_win, meas, "chasers")
    in_win = ctx.by_source(in_win, "trust.comments", lambda: ctx.tickets_of_events(
        attributed)).kept_noted(meas.excluded, "chasers_sources")
    # as bypass: a share needs min_tickets behind it, whatever took the others out
    if int(in_win.sum()) < _minimum(params):
        meas.metrics["chaser_share"] = _none()
        meas.metrics["chasers_per_month"] = _none()
        meas.excluded.append(Note(code="chasers_too_few", params={
            "n": int(in_win.sum()), "min": _minimum(params)}))
        return
    on_win = ctx.events_of_tickets(in_win) if not ev.empty else comments
    if not phrases or not (attributed & on_win).any():
        meas.metrics["chaser_share"] = _none()
        meas.metrics["chasers_per_month"] = _none()
        unroled = comments & on_win
        # comments there, but none with an author role: say how many, not "no comments"
        meas.excluded.append(Note(
            code="comment_roles_unknown", count=int(unroled.sum()),
            params={"tickets": int((in_win & ctx.tickets_of_events(unroled)).sum())})
            if phrases and unroled.any() else Note(code="no_comments"))
        return
    # threads on a few tickets only (an export that carries some, not all) would make "no
    # chaser" read as "nobody chased": the threads must cover the tickets. A thread is any
    # comment or work note: a ticket whose journal holds only the agents' work notes is a
    # thread nobody commented on, not a missing one
    threads = ((ev[m.EV_KIND].isin(["comment", "worklog"])).to_numpy(dtype=bool,
                                                                     na_value=False)
               & ctx.events_of_tickets(people) & ctx.events_by_end())
    commented = in_win & ctx.tickets_of_events(threads)
    share = float(commented.sum()) / max(int(in_win.sum()), 1)
    if share < float(params["min_comment_share"]):
        meas.metrics["chaser_share"] = _none()
        meas.metrics["chasers_per_month"] = _none()
        meas.excluded.append(Note(code="comments_sparse", count=int(commented.sum()), params={
            "n": int(in_win.sum()),
            "share": figure_beside(share, float(params["min_comment_share"]), "ratio"),
            "min": figure_beside(float(params["min_comment_share"]), share, "ratio")}))
        return
    # comments by someone neither the requester nor a known agent (a CC'd colleague, a
    # watcher): no chaser, and no agent's word a chase answers; counted
    unroled = comments & on_win & ~attributed
    if unroled.any():
        meas.notes.append(Note(code="comment_roles_partly", count=int(unroled.sum()), params={
            "comments": int((comments & on_win).sum()),
            "tickets": int((in_win & ctx.tickets_of_events(unroled)).sum())}))
    values = ev.loc[attributed, m.EV_VALUE]
    by_requester = (ev.loc[attributed, m.EV_AUTHOR_ROLE] == "requester").fillna(False) & (
        ev.loc[attributed, m.EV_AT] <= w.end).fillna(False)
    # the phrase match only matters for requesters' comments up to the as-of time
    said = contains_where(values, by_requester.astype(bool), phrase_pattern(phrases),
                          case=False) & by_requester
    # a matching comment that confirms a fix ("status update: it works now, you can close
    # it") is no chaser; nor is one that answers the agent ("following up with the
    # screenshot you asked for"): the agent's comment just before it on the ticket
    confirms = contains_where(values, said, phrase_pattern(
        [str(x) for x in params.get("confirm_phrases", []) if str(x).strip()]), case=False)
    confirmed = _at(attributed, confirms)
    worded = _at(attributed, said) & ~confirmed
    answers = worded & _answers_agent(ctx, comments, float(params["reply_hours"]))
    is_chaser = worded & ~answers
    # the note counts what it left out as chasers_per_month counts: posted in the window
    posted = w.contains(ev[m.EV_AT]).to_numpy(dtype=bool)
    answers, confirmed = answers & posted, confirmed & posted
    if answers.any() or confirmed.any():
        meas.excluded.append(Note(
            code="chaser_replies", count=int(answers.sum() + confirmed.sum()),
            params={"answers": int(answers.sum()), "confirms": int(confirmed.sum()),
                    "hours": float(params["reply_hours"])},
            sample_ids=sorted(map(str, ev.loc[answers | confirmed, m.EV_TICKET_ID]
                                  .dropna().unique()))[: ctx.max_samples]))
    chasers = ev[is_chaser]
    chased = in_win & ctx.tickets_of_events(is_chaser)
    meas.metrics["chaser_share"] = ratio(
        int(chased.sum()), int(in_win.sum()), ctx.samples(chased)
    )
    # the cost counts chasers posted in the window, whatever the ticket's open date
    in_window_chasers = chasers[w.contains(chasers[m.EV_AT])]
    count = len(in_window_chasers)
    meas.metrics["chasers_per_month"] = Figure(
        value=per_month(count, w), numerator=float(count), denominator=w.months,
        sample_ids=sorted(map(str, in_window_chasers[m.EV_TICKET_ID].unique()))[
            : ctx.max_samples],
    )
    minutes = float(params.get("minutes_per_chaser", 5.0))
    if count:
        meas.costs.append(Cost(
            basis="chasers", count=float(count),
            hours_per_month=per_month(count, w) * minutes / 60.0,
            params={"per_month": per_month(count, w), "minutes": minutes},
        ))


def _at(rows: np.ndarray, values: pd.Series) -> np.ndarray:
    """``values`` (one per row under ``rows``) spread over every row, False elsewhere."""
    out = np.zeros(len(rows), dtype=bool)
    out[np.flatnonzero(rows)] = values.to_numpy(dtype=bool)
    return out


def _answers_agent(ctx: Context, comments: np.ndarray, hours: float) -> np.ndarray:
    """Per event: a comment whose previous comment on the same ticket (by time, the file's
    order among equal times) is an agent's, posted at most ``hours`` before it.

    One stable sort of the comments by (ticket, time) (time first, then a radix pass by
    ticket code, as the duplicate pairs sort) and one comparison with the comment before:
    no loop over tickets or comments.
    """
    ev = ctx.events
    out = np.zeros(len(ev), dtype=bool)
    rows = np.flatnonzero(comments)
    if len(rows) < 2:
        return out
    code = ctx.event_id_codes[rows]
    at = m.ts_us(ev[m.EV_AT].astype(m.TIMESTAMP_DTYPE))[rows]
    order = then_by_code(np.argsort(at, kind="stable"), code)
    rows, code, at = rows[order], code[order], at[order]
    agent = (ev[m.EV_AUTHOR_ROLE] == "agent").to_numpy(dtype=bool, na_value=False)[rows]
    gap = at[1:] - at[:-1]  # NAT (the smallest int64) only meets a known time below
    near = (code[1:] == code[:-1]) & agent[:-1] & (at[:-1] != m.NAT) & (at[1:] != m.NAT) \
        & (gap <= int(hours * 3_600_000_000))
    out[rows[1:][near]] = True
    return out


def _bypass(ctx: Context, params: ParamMap, in_win: pd.Series, meas: Measurement) -> None:
    one = ctx.shape.one_channel
    if one is not None:
        # every incident and request through one channel: an export of one intake (its
        # share outside the official channels is 0% or 100% by the filter), or a desk
        # whose tool records one channel; the share cannot tell which
        meas.metrics["bypass_share"] = _none()
        meas.excluded.append(Note(code="bypass_one_channel", params=one.params()))
        return
    t = ctx.tickets
    official = [str(c) for c in params.get("official_channels", ["portal", "phone"])]
    channel = t[m.CHANNEL]
    # machine-made tickets (monitoring alerts, an alert e-mailed by "Zabbix Monitoring")
    # say nothing about whether people trust intake: left out, numerator and denominator
    in_win = _by_people(ctx, params, in_win, meas, "bypass")
    # the tools whose export carries a channel
    in_win = ctx.by_source(in_win, m.CHANNEL).kept_noted(meas.excluded, "bypass_sources")
    no_channel = in_win & channel.isna()
    known = in_win & channel.notna()
    if not known.any():
        meas.metrics["bypass_share"] = _none()
        meas.excluded.append(Note(code="no_channel", count=int(no_channel.sum())))
        return
    # the few tickets that carry a channel are not a sample of the rest
    with_channel = float((in_win & channel.notna()).sum()) / max(int(in_win.sum()), 1)
    if with_channel < float(params["min_signal_fill"]):
        meas.metrics["bypass_share"] = _none()
        meas.excluded.append(Note(code="channel_sparse", count=int(no_channel.sum()), params={
            "share": with_channel, "min": float(params["min_signal_fill"])}))
        return
    if no_channel.any():
        meas.excluded.append(Note(code="channel_missing", count=int(no_channel.sum()),
                                  sample_ids=ctx.samples(no_channel)))
    # a share of a handful of tickets with a channel is noise, however many lack one
    if int(known.sum()) < _minimum(params):
        meas.metrics["bypass_share"] = _none()
        meas.excluded.append(Note(code="bypass_too_few", params={
            "n": int(known.sum()), "min": _minimum(params)}))
        return
    bypass = known & ~channel.isin(official)
    meas.metrics["bypass_share"] = ratio(int(bypass.sum()), int(known.sum()), ctx.samples(bypass))


#: each signal that leaves the machine's tickets out, and the metric that says it measured
_SIGNAL_METRIC = {"chasers": "chaser_share", "bypass": "bypass_share",
                  "duplicates": "duplicate_share"}


def _machine_note_measured(meas: Measurement) -> None:
    """The ``machine_made`` note names only the shares that were measured: each signal
    joins it before its own early exits (too few tickets, no threads), and a note saying
    the alerts were left out of a share never measured reads as if it had been."""
    found = next((n for n in meas.excluded if n.code == "machine_made"), None)
    if found is None:
        return
    kept = [sig for sig in str(found.params["signals"]).split("_")
            if meas.value(_SIGNAL_METRIC[sig]) is not None]
    if not kept:
        meas.excluded.remove(found)
        return
    found.params["signals"] = "_".join(kept)
    found.params["left_out_of"] = Note(code=f"machine_out_{found.params['signals']}")


def raised_by_machine(ctx: Context, params: ParamMap) -> pd.Series:
    """Per ticket: raised by a machine (:func:`~itsm_diag.signs.common.machine_raised`:
    a monitoring or integration channel, or a requester such as "Zabbix Monitoring" or
    "Backup Job Alerts"), or through one of the sign's ``neutral_channels``."""
    t = ctx.tickets
    neutral = tuple(str(c) for c in params.get("neutral_channels", ["monitoring"]))

    def make() -> pd.Series:  # once a run: chasers, bypass, duplicates and channels ask
        out = machine_raised(ctx) | t[m.CHANNEL].isin(list(neutral)).to_numpy(
            dtype=bool, na_value=False)
        return pd.Series(out, index=t.index)
    found: pd.Series = ctx.memo(("raised_by_machine", neutral), make)
    return found


def _by_people(ctx: Context, params: ParamMap, in_win: pd.Series, meas: Measurement,
               signal: str) -> pd.Series:
    """``in_win`` less the tickets a machine raised (:func:`raised_by_machine`), and one note
    (``machine_made``) that counts them among the window's tickets and names the signals
    that leave them out: an alert is no user chasing, going round the desk or raising an
    issue twice."""
    machine = in_win & raised_by_machine(ctx, params)
    if not machine.any():
        return in_win
    found = next((n for n in meas.excluded if n.code == "machine_made"), None)
    if found is None:
        t = ctx.tickets
        neutral = {str(c) for c in params.get("neutral_channels", ["monitoring"])} | {
            str(c) for c in (ctx.analyses.get("text-clusters") or {}).get(
                "machine_channels", [])}
        by_channel = machine & t[m.CHANNEL].isin(sorted(neutral)).fillna(False).astype(bool)
        by_name = machine & ~by_channel
        codes = fold_codes(ctx, m.REQUESTER)[0]
        rows = by_name.to_numpy(dtype=bool) & (codes >= 0)
        counts = np.bincount(codes[rows], minlength=int(codes.max()) + 1 if len(codes) else 0)
        top = [c for c in np.argsort(-counts, kind="stable")[:3] if counts[c]]
        # the busiest requesters named as machines, as the export spells them (a few
        # lookups): a person's name on a monitoring ticket is not named
        names = "; ".join(f"{t[m.REQUESTER].iat[int(np.argmax(codes == c))]}: "
                          f"{int(counts[c]):,}" for c in top)
        found = Note(code="machine_made", count=int(machine.sum()), params={
            "n": int(in_win.sum()), "share": float(machine.sum()) / int(in_win.sum()),
            "by_channel": int(by_channel.sum()), "by_name": int(by_name.sum()),
            "largest": Note(code="machine_named", params={"names": names}) if names
            else Note(code="machine_unnamed"), "signals": signal},
            sample_ids=ctx.samples(machine))
        meas.excluded.append(found)
    elif signal not in str(found.params["signals"]).split("_"):
        found.params["signals"] = f"{found.params['signals']}_{signal}"
    found.params["left_out_of"] = Note(code=f"machine_out_{found.params['signals']}")
    return in_win & ~machine


def _duplicates(
    ctx: Context, params: ParamMap, scope: pd.Series, in_win: pd.Series, meas: Measurement
) -> bool:
    """The duplicate share, beyond what chance gives; whether chance gives more than half
    of the duplicates."""
    nth = ctx.shape.every_nth
    if nth is not None:
        # a sample of a fraction f keeps a pair with the chance f squared: the share of
        # duplicates falls with f (a share of tickets with a chaser does not)
        meas.metrics["duplicate_share"] = _none()
        meas.excluded.append(Note(code="duplicates_every_nth", params=nth.params()))
        return False
    t, w = ctx.tickets, ctx.window
    hours = pd.Timedelta(hours=float(params.get("duplicate_hours", 48.0)))
    # requester and category are compared case- and space-insensitively; blank is missing
    req_ok = fold_codes(ctx, m.REQUESTER)[0] >= 0
    cat_ok = fold_codes(ctx, m.CATEGORY)[0] >= 0
    # the tools whose export carries a requester and a category on some ticket
    # a job or monitoring account's retries (two alerts of one category within hours,
    # under the proxy bar) are no person raising an issue again: the tickets a machine
    # raised, or through a neutral channel, are left out, numerator and denominator
    people = _by_people(ctx, params, in_win, meas, "duplicates")
    in_win = ctx.by_source(people, "trust.duplicate_key", lambda: req_ok & cat_ok
                           ).kept_noted(meas.excluded, "duplicates_sources")
    win = in_win.to_numpy(dtype=bool)
    for column, ok in (("no_requester", req_ok), ("no_category", cat_ok)):
        if not ok[win].any():
            meas.metrics["duplicate_share"] = _none()
            meas.excluded.append(Note(code=column))
            return False
    keyed_rows = scope & ~raised_by_machine(ctx, params) & (req_ok & cat_ok) \
        & t[m.OPENED_AT].notna()
    missing = in_win & ~keyed_rows
    keyed = float((in_win & keyed_rows).sum()) / max(int(in_win.sum()), 1)
    if keyed < float(params["min_signal_fill"]):
        meas.metrics["duplicate_share"] = _none()
        meas.excluded.append(Note(code="duplicate_keys_sparse", count=int(missing.sum()),
                                  params={"share": keyed, "min": float(params["min_signal_fill"])}))
        return False
    if missing.any():
        meas.excluded.append(Note(code="duplicate_keys_missing", count=int(missing.sum()),
                                  sample_ids=ctx.samples(missing)))
    # a desk agent or shared account logging for others opens tickets in one category
    # within hours of each other without anyone raising an issue again: requesters that
    # busy are left out of the duplicate share, numerator and denominator alike
    proxy = pd.Series(_proxies(ctx, params, scope, in_win, meas), index=t.index)
    cand = keyed_rows & ~proxy
    base = in_win & cand
    if int(base.sum()) < _minimum(params):
        meas.metrics["duplicate_share"] = _none()
        meas.excluded.append(Note(code="duplicates_too_few", params={
            "n": int(base.sum()), "min": _minimum(params)}))
        return False
    # one order by (requester, opened, id) for the duplicates and their chance level
    by_req = _by_requester(ctx, _in_time_order(ctx, cand), hours)
    is_dup = pd.Series(_near_open_pairs(ctx, by_req), index=t.index) & in_win
    found, n_base = int(is_dup.sum()), int(base.sum())
    expected, near = _chance_matches(by_req, in_win)
    del by_req
    explained = min(round(expected), found)
    count = found - explained
    meas.metrics["duplicate_share"] = ratio(count, n_base, ctx.samples(is_dup))
    meas.metrics["duplicates_by_chance"] = Figure(value=float(round(expected)))
    if explained:
        values = {"found": found, "near": near, "chance": round(expected), "beyond": count,
                  "hours": hours / pd.Timedelta(hours=1), "share": count / n_base,
                  "raw": found / n_base}
        meas.notes.append(Note(code="duplicates_chance", params=values))
        # the chance level leans low (see _chance_matches), yet a clear must hold with
        # every duplicate counted
        meas.absence_unproven = Note(code="duplicates_chance_decides", params=values)
        meas.clear_case["duplicate_share"] = found / n_base
    one = ctx.shape.one_group
    if one is not None:
        # one group on every incident and request: a cut to the group keeps a pair only
        # when both tickets sat in it, so the share can only read low (a quarter of the
        # real log's Group 70 pairs had their other ticket in another group): a trigger
        # stands, a clear is unknown, whatever chance explains
        meas.absence_unproven = Note(code="duplicates_one_group", params={
            **one.params(), "found": found, "beyond": count, "base": n_base,
            "share": count / n_base})
        meas.clear_case.pop("duplicate_share", None)
    if count:
        minutes = effort_minutes(ctx, is_dup)  # by kind: logged median or default
        mean = float(minutes.sum()) / found  # the hours are the duplicates beyond chance
        # each duplicate's handle minutes, at the share of the duplicates beyond chance
        each = minutes.reindex(t.index, fill_value=0.0) * (count / found) / 60.0
        meas.costs.append(Cost(
            basis="duplicates", count=float(count),
            hours_per_month=per_month(count * mean, w) / 60.0,
            params={"per_month": per_month(count, w), "minutes": mean,
                    "effort": effort_words(ctx, t.loc[is_dup, m.KIND].dropna().unique())},
        ).handling(t, is_dup, each * per_month(1, w)))
    return 2 * explained > found


def _proxies(ctx: Context, params: ParamMap, scope: pd.Series, in_win: pd.Series,
             meas: Measurement) -> np.ndarray:
    """Per ticket: its requester opened more than ``proxy_tickets_per_week`` tickets in
    scope a week, on average over the weeks of the window the export covers (from its
    first ticket in scope, if later than the window start; at least one week). A note
    counts the requesters and their tickets in the window, and names the busiest."""
    t, w = ctx.tickets, ctx.window
    limit = float(params.get("proxy_tickets_per_week", 0.0))
    codes = fold_codes(ctx, m.REQUESTER)[0]
    out = np.zeros(len(t), dtype=bool)
    if limit <= 0:  # 0 turns the rule off
        return out
    win = in_win.to_numpy(dtype=bool) & (codes >= 0)
    counts = np.bincount(codes[win], minlength=int(codes.max()) + 1 if len(codes) else 0)
    first = m.earliest_time(t.loc[scope, m.OPENED_AT])
    start = w.start if first is None else max(w.start, first)
    weeks = max(float((w.covered_end - start) / pd.Timedelta(weeks=1)), 1.0)
    busy = counts > limit * weeks
    if not busy.any():
        return out
    out[codes >= 0] = busy[codes[codes >= 0]]
    left = out & win
    # the busiest requesters by their tickets in the window, named as the export spells
    # them (their first ticket's spelling): a few lookups, one per name shown. "name: n",
    # not "name (n)": a redacted "Requester 2152 (258" reads as a phone number
    top = np.argsort(-counts, kind="stable")[: min(int(busy.sum()), 3)]
    names = [f"{t[m.REQUESTER].iat[int(np.argmax(codes == c))]}: {int(counts[c]):,}"
             for c in top]
    meas.excluded.append(Note(
        code="proxy_requesters", count=int(left.sum()),
        params={"requesters": int(busy.sum()), "per_week": limit, "weeks": weeks_said(7 * weeks),
                "largest": "; ".join(names)},
        sample_ids=ctx.samples(pd.Series(left, index=t.index))))
    return out


def _in_time_order(ctx: Context, cand: pd.Series) -> tuple[np.ndarray, np.ndarray,
                                                           np.ndarray]:
    """The ``cand`` rows with an opened time, their opened times (microseconds), and the
    permutation that orders them by (opened, id): the id only breaks ties, through its
    sort rank (ordered as the id text is)."""
    t = ctx.tickets
    rows = np.flatnonzero(cand.to_numpy(dtype=bool))
    opened = m.ts_us(t[m.OPENED_AT])[rows]
    known = opened != m.NAT
    if not known.all():
        rows, opened = rows[known], opened[known]  # never near
    return rows, opened, np.lexsort((ctx.id_ranks[0][rows], opened))


def _cover(ctx: Context, rows: np.ndarray, at: np.ndarray, hours: pd.Timedelta
           ) -> np.ndarray:
    """The last instant (microseconds) each of ``rows``, opened at ``at``, is both still
    open (up to a microsecond before done) and within ``hours`` of its opening."""
    cover = m.ts_us(ctx.done_at)[rows]
    still_open = cover == m.NAT
    cover -= 1
    cover[still_open] = np.iinfo(np.int64).max
    np.minimum(cover, at + int(hours / pd.Timedelta(microseconds=1)), out=cover)
    return cover


class _ByRequester(NamedTuple):
    """The candidate rows in (requester, opened, id) order: each row's requester and
    category codes, opened time and cover (:func:`_cover`), all in that order."""

    rows: np.ndarray
    req: np.ndarray
    cat: np.ndarray
    at: np.ndarray
    cover: np.ndarray


def _by_requester(ctx: Context, timed: tuple[np.ndarray, np.ndarray, np.ndarray],
                  hours: pd.Timedelta) -> _ByRequester:
    """The ``timed`` rows (:func:`_in_time_order`) re-sorted by requester, stably, so
    each requester's tickets follow in (opened, id) order; their cover read once, in row
    order (a gather of the done times in order), before the re-sort."""
    rows, opened, by_time = timed
    cover = _cover(ctx, rows, opened, hours)
    req = fold_codes(ctx, m.REQUESTER)[0][rows]
    order = then_by_code(by_time, req)
    req, at, cover, rows = req[order], opened[order], cover[order], rows[order]
    del order
    return _ByRequester(rows=rows, req=req, cat=fold_codes(ctx, m.CATEGORY)[0][rows],
                        at=at, cover=cover)


def _chance_matches(by_req: _ByRequester, in_win: pd.Series) -> tuple[float, int]:
    """(how many duplicates chance gives, the window's tickets near an open one of any
    category): a requester with two tickets open at once is a duplicate only when they
    share a category, and some share one by chance.

    Each ``cand`` ticket of the window opened within ``hours`` after the same requester's
    previous ticket, still open then (any category), would share its category by chance
    with that category's share among the window's tickets; the sum is the chance level.
    It leans low, so the share beyond it leans high: one person's tickets keep to fewer
    categories than the whole export's, and only the previous ticket is compared (not
    every one still open)."""
    rows, req, cat, at, cover = by_req
    if len(rows) < 2:
        return 0.0, 0
    near = np.zeros(len(rows), dtype=bool)
    near[1:] = (req[1:] == req[:-1]) & (cover[:-1] >= at[1:])
    win = in_win.to_numpy(dtype=bool)[rows]
    share = np.bincount(cat[win], minlength=int(cat.max()) + 1) / max(int(win.sum()), 1)
    hit = near & win
    previous = np.flatnonzero(hit) - 1
    return float(share[cat[previous]].sum()), int(hit.sum())


def _near_open_pairs(ctx: Context, by_req: _ByRequester) -> np.ndarray:
    """Per ticket: among the ``by_req`` rows (:func:`_by_requester`), opened within
    ``hours`` after an earlier ticket of the same requester and category that was still
    open then.

    Tickets are ordered by (category, requester) on top of their (opened, id) order: a
    stable pass by category over the requester order (the groups' own order does not
    matter, only that each is contiguous and in time order). An earlier ticket j of the
    group covers the times up to ``min(opened_j + hours, done_j - 1 us)`` (still open,
    and near enough); ticket i is a duplicate when the furthest cover of the tickets
    before it in its group reaches its own opened time: one cumulative maximum per
    group, so an alert storm of 30,000 tickets from one requester within a minute costs
    what any 30,000 tickets cost (the lag-by-lag loop it replaces took 7.8 s on it, and
    hours on larger storms).
    """
    # a million candidates make each array here 8 MB: each is freed once used, and
    # worked on in place where it is this function's own (fresh pages cost more than
    # the arithmetic)
    out = np.zeros(len(ctx.tickets), dtype=bool)
    rows, req, cat, at, cover = by_req
    if len(rows) < 2:
        return out
    order = then_by_code(np.arange(len(rows)), cat)
    # (category, requester) as one code, ascending in this order: the grouping below
    # reads its codes in runs (in another order its hash lookups land anywhere)
    group = cat * (int(req.max()) + 1)
    group += req  # both present (>= 0) under cand
    group, at, rows = group[order], at[order], rows[order]
    earlier = np.empty_like(cover)  # the cover of the ticket before, in its group
    earlier[0] = np.iinfo(np.int64).min
    earlier[1:] = cover[order[:-1]]
    del order
    earlier[1:][group[1:] != group[:-1]] = np.iinfo(np.int64).min  # a group's first
    reach = pd.Series(earlier, copy=False).groupby(group, sort=False).cummax().to_numpy()
    out[rows] = reach >= at
    return out


def _silence(ctx: Context, params: ParamMap, scope: pd.Series, meas: Measurement) -> None:
    t, ev, w = ctx.tickets, ctx.events, ctx.window
    limit = int(params.get("silence_business_days", 5))
    has_updates = t.loc[scope, m.UPDATED_AT].notna().any() or (
        not ev.empty and bool(ctx.events_of_tickets(scope).any()))
    # an extract selected on closure shows no ticket that was open when it was cut
    if not has_updates or ctx.shape.biases_open_tickets:
        meas.metrics["silent_share"] = _none()
        meas.metrics["silent_open"] = _none()
        cut = ctx.shape.updated_since
        meas.excluded.append(Note(code="no_updates_update_cut", params=cut.params())
                             if has_updates and cut is not None and not cut.covered
                             and ctx.shape.closure is None and ctx.shape.none_open is None
                             and ctx.shape.one_instant is None
                             else Note(code="no_updates"))
        return
    # silence up to the data's end (``--until`` past it adds weeks nobody could act in)
    end = w.covered_end
    open_at_end = open_at(ctx, scope, end)
    # the tools whose export carries an updated time or events: without either, a
    # ticket's opening is its only sign of life and its age would read as silence
    open_at_end = ctx.by_source(open_at_end, "trust.updates", lambda: _updated_or_events(
        ctx)).kept_noted(meas.excluded, "silence_sources")
    # the tickets open at the end only (the others are never silent): each one's latest
    # sign of life as int64 microseconds, NaT the smallest int64 so a maximum passes it by
    touch = _touches(ctx, params, np.flatnonzero(open_at_end.to_numpy(dtype=bool)),
                     int(utc64(end).astype("datetime64[us]").view(np.int64)))
    # a ticket waiting on the caller or a third party (the backlog's waiting_now, one
    # rule: :func:`waiting_at_end`) is not left in silence by the desk: left out of both
    waiting = pd.Series(waiting_at_end(ctx, open_at_end)[0], index=t.index)
    open_at_end = open_at_end & ~waiting

    def silent_since(within: pd.Series, *last: np.ndarray) -> pd.Series:
        """The ``within`` tickets whose latest of ``last`` is more than ``limit``
        business days before the end (a ticket with none of them known is not)."""
        at = np.maximum.reduce(last)
        on = within.to_numpy(dtype=bool) & (at != m.NAT)
        when = pd.Series(pd.DatetimeIndex(at[on].view("datetime64[us]")).tz_localize("UTC"))
        quiet = ctx.calendar.busday_count(when, pd.Series(end, index=when.index))
        out = np.zeros(len(t), dtype=bool)
        out[on] = (quiet > limit).fillna(False).to_numpy(dtype=bool)
        return pd.Series(out, index=t.index)

    # a person's touch (opening, an event by a named person or role), and what the export
    # cannot attribute (an updated time, an event with no author) as a sign of life; a
    # machine's touch (a "System" reminder, a job's stamp) is none
    silent = silent_since(open_at_end, touch.person, touch.unattributed)
    meas.metrics["silent_share"] = ratio(
        int(silent.sum()), int(open_at_end.sum()), ctx.samples(silent)
    )
    meas.metrics["silent_open"] = Figure(value=float(silent.sum()), sample_ids=ctx.samples(silent))
    said: dict[str, Any] = {"days": limit, "silent": int(silent.sum()),
                            "open": int(open_at_end.sum())}
    by_machine = silent & ~silent_since(open_at_end, touch.person, touch.unattributed,
                                        touch.machine)
    if by_machine.any():
        meas.notes.append(Note(code="silence_machine_touches", count=int(by_machine.sum()),
                               params={**said, "batch": touch.batch},
                               sample_ids=ctx.samples(by_machine)))
    blind = silent_since(open_at_end, touch.person) & ~silent
    if blind.any():
        meas.notes.append(Note(code="silence_unattributed", count=int(blind.sum()),
                               params={**said, "upper": int(silent.sum() + blind.sum())},
                               sample_ids=ctx.samples(blind)))
    if waiting.any():
        quiet = silent_since(waiting, touch.person, touch.unattributed)
        meas.excluded.append(Note(code="silence_waiting", count=int(waiting.sum()), params={
            **said, "quiet": int(quiet.sum())}, sample_ids=ctx.samples(waiting)))


class _Touches(NamedTuple):
    """Per ticket (NAT but on the rows asked for), its latest sign of life up to the
    as-of time ``end`` (int64 microseconds), by who the export says made it:
    ``person`` (the opening, an event by a named author or a requester or agent role
    that is no machine's), ``unattributed`` (an event with neither author nor role, an
    updated time that is no machine's), ``machine`` (an event by the system role or an
    author named like one, an updated time stamped with such an event or shared by many
    open tickets). ``batch`` words the shared instant, if any, as a clause."""

    person: np.ndarray
    unattributed: np.ndarray
    machine: np.ndarray
    batch: Note


def _touches(ctx: Context, params: ParamMap, rows: np.ndarray, end: int) -> _Touches:
    from itsm_diag.analyses.textclusters import machine_named  # analyses build on signs

    t, ev = ctx.tickets, ctx.events
    nat = np.full(len(t), m.NAT, dtype=np.int64)
    person, blind, machine = nat.copy(), nat.copy(), nat.copy()
    person[rows] = m.ts_us(t[m.OPENED_AT])[rows]
    if not ev.empty:
        role = ev[m.EV_AUTHOR_ROLE]
        author = ev[m.EV_AUTHOR].astype(m.STRING_DTYPE).str.strip()
        named = author.notna().to_numpy(dtype=bool) & (author != "").to_numpy(
            dtype=bool, na_value=False)
        by_machine = (role == "system").to_numpy(dtype=bool, na_value=False) | (
            named & machine_named(ctx, ctx.analyses.get("text-clusters") or {}, author))
        attributed = named | role.notna().to_numpy(dtype=bool)
        person = np.maximum(person, _last_event_us(ctx, attributed & ~by_machine))
        blind = _last_event_us(ctx, ~attributed)
        machine = _last_event_us(ctx, by_machine)
    updated = m.ts_us(t[m.UPDATED_AT])
    # an updated_at after the as-of time hides the activity before it: ignore it then
    # (a missing one, NAT, is below any time and stays missing)
    updated = np.where(updated <= end, updated, m.NAT)
    # the stamp of a machine's own event (a reminder's comment sets the updated time)
    tolerance = int(float(params.get("silence_stamp_seconds", 60)) * 1_000_000)
    stamped = (machine != m.NAT) & (updated >= machine) & (updated - machine <= tolerance)
    # one instant shared by many open tickets: a job's stamp (a nightly recalculation),
    # unless the updated times carry no time of day at all
    batch: Note = Note(code="silence_no_batch")
    least = int(params.get("silence_batch_tickets", 10))
    share = float(params.get("silence_batch_share", 0.2))
    if len(rows) and m.UPDATED_AT not in ctx.day_only:
        at = updated[rows]
        at = at[at != m.NAT]
        if len(at):
            values, counts = np.unique(at, return_counts=True)
            top = int(np.argmax(counts))
            if counts[top] >= max(least, share * len(rows)):
                stamped |= updated == values[top]
                instant = pd.Timestamp(int(values[top]), unit="us", tz="UTC")
                batch = Note(code="silence_batch", params={
                    "tickets": int(counts[top]), "open": len(rows),
                    "at": f"{instant:%Y-%m-%d %H:%M:%S}"})
    machine = np.maximum(machine, np.where(stamped, updated, m.NAT))
    blind = np.maximum(blind, np.where(stamped, m.NAT, updated))
    keep = np.zeros(len(t), dtype=bool)
    keep[rows] = True
    person, blind, machine = (np.where(keep, x, m.NAT) for x in (person, blind, machine))
    return _Touches(person=person, unattributed=blind, machine=machine, batch=batch)


def _updated_or_events(ctx: Context) -> np.ndarray:
    """Per ticket: it carries an updated time or some event. Events after the window end
    count too, on purpose: it tells which tools' exports carry signs of life at all (a
    property of the tool, :meth:`Context.by_source`), not what a ticket showed then."""
    updated = ctx.tickets[m.UPDATED_AT].notna().to_numpy(dtype=bool)
    if ctx.events.empty:
        return updated
    return updated | ctx.tickets_of_events(np.ones(len(ctx.events), dtype=bool))


def _last_event_us(ctx: Context, which: np.ndarray) -> np.ndarray:
    """Each ticket's latest event time up to the as-of time, as int64 microseconds
    (:data:`~itsm_diag.model.NAT` when none), of the events ``which`` marks: the events of
    every ticket with its id, by the Context's integer id codes instead of a group-by on
    id strings and a reindex by 1M id strings. The events' times are converted once a run
    (three event sets ask)."""
    ev = ctx.events
    codes, first = ctx.id_ranks
    latest = np.full(len(first) + 2, m.NAT, dtype=np.int64)
    if not ev.empty:
        stamps: np.ndarray = ctx.memo("trust.event_us", lambda: m.ts_us(
            ev[m.EV_AT].astype(m.TIMESTAMP_DTYPE)))
        # one without a time is kept: its NAT is below any time (no sign of life)
        past = ctx.events_by_end() & which
        ev_codes = ctx.event_id_codes[past]
        # a missing id groups nowhere (group-by drops <NA> keys); unknown ids match no ticket
        keep = ev_codes < len(first)
        np.maximum.at(latest, ev_codes[keep], stamps[past][keep])
    return latest[codes]


