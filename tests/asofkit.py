"""Cut one generated desk as a client's export pulled at a moment: the tickets opened by
then, each as it stood then, and the events up to then (review 18, the CI job's
``--until last-month`` on an export pulled weeks later).

The status, resolved and closed times, reopen and reassignment counts, assignment group,
first response, change end and outcome, SLA outcome and last update are read back to
what the export would have held at the cut, from the desk's own status and assignment
history; a later cut of the same desk differs only by what happened after the earlier one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag import synth

KIND_CODE = {"incident": synth.INC, "request": synth.REQ, "change": synth.CHG,
             "problem": synth.PRB, "task": synth.TSK, "other": synth.OTH}
STATUS_CODE = {s: i for i, s in enumerate(m.STATUSES)}
DONE = ("resolved", "closed", "cancelled")


def cut(tickets: pd.DataFrame, events: pd.DataFrame, when: str | pd.Timestamp
        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tickets, events) of the export pulled at ``when`` (UTC)."""
    at = pd.Timestamp(when)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    t = tickets[tickets[m.OPENED_AT] <= at].copy()
    keep_ids = set(t[m.TICKET_ID].astype(str))
    ev_all = events[events[m.EV_TICKET_ID].astype(str).isin(keep_ids)]
    later = ev_all[m.EV_AT] > at
    e = ev_all[~later].copy()
    after = ev_all[later]
    ids = t[m.TICKET_ID].astype(str)

    # the status as of the cut: the last status event up to it
    st = e[e[m.EV_KIND] == "status"].sort_values(m.EV_AT, kind="stable")
    last_status = st.groupby(m.EV_TICKET_ID, observed=True)[m.EV_VALUE].last()
    status = ids.map(last_status).astype(object)
    status = status.where(status.notna(), t[m.STATUS].astype(object))
    # resolved: the last move into resolved up to the cut, when done at the cut
    res_ev = st.groupby(m.EV_TICKET_ID, observed=True)[m.EV_AT].last()
    done_now = status.isin(DONE)
    resolved = t[m.RESOLVED_AT].where(t[m.RESOLVED_AT] <= at)
    resolved = resolved.where(done_now, pd.NaT)
    from_ev = pd.to_datetime(ids.map(res_ev), utc=True)
    # resolved at the cut without its final resolved time (resolved again after a later
    # reopen, or reopened and closed without one): resolved by its last status event
    moved = resolved.isna() & (status == "resolved")
    resolved = resolved.where(~moved, from_ev)
    closed = t[m.CLOSED_AT].where(t[m.CLOSED_AT] <= at)
    # a done status without a done time cannot be: read what the times say
    status = status.where(~(status.isin(("resolved", "closed")) & resolved.isna()
                            & closed.isna()), "open")
    status = status.where(~((status == "closed") & closed.isna()), "resolved")
    changed = (status != t[m.STATUS].astype(object)) | (resolved.fillna(pd.NaT).ne(
        t[m.RESOLVED_AT]) & (resolved.notna() | t[m.RESOLVED_AT].notna()))
    t[m.STATUS] = pd.Categorical(status, categories=m.STATUSES)
    t[m.RESOLVED_AT] = resolved.astype(t[m.RESOLVED_AT].dtype)
    t[m.CLOSED_AT] = closed.astype(t[m.CLOSED_AT].dtype)
    labels = [synth.STATUS_LABELS[KIND_CODE[k]][STATUS_CODE[s]]
              for k, s in zip(t[m.KIND].astype(str), status, strict=True)]
    t[m.STATUS_RAW] = pd.array(np.where(changed, labels, t[m.STATUS_RAW].astype(object)),
                               dtype=t[m.STATUS_RAW].dtype)

    # counts less what happened after the cut
    reas_after = after[(after[m.EV_KIND] == "assignment")
                       & (after[m.EV_AUTHOR_ROLE] != "system")].groupby(
        m.EV_TICKET_ID, observed=True).size()
    t[m.REASSIGNMENT_COUNT] = (t[m.REASSIGNMENT_COUNT] - ids.map(reas_after).fillna(0)
                               .astype("Int32").to_numpy()).astype("Int32")
    every = ev_all[ev_all[m.EV_KIND] == "status"].sort_values(m.EV_AT, kind="stable")
    prev = every.groupby(m.EV_TICKET_ID, observed=True)[m.EV_VALUE].shift()
    reopened = every[(prev == "resolved") & ~every[m.EV_VALUE].isin(DONE)
                     & (every[m.EV_AT] > at)].groupby(m.EV_TICKET_ID, observed=True).size()
    t[m.REOPEN_COUNT] = (t[m.REOPEN_COUNT] - ids.map(reopened).fillna(0).astype("Int32")
                         .to_numpy()).astype("Int32")
    # the group as of the cut
    grp = e[e[m.EV_KIND] == "assignment"].sort_values(m.EV_AT, kind="stable").groupby(
        m.EV_TICKET_ID, observed=True)[m.EV_VALUE].last()
    group = ids.map(grp)
    t[m.ASSIGNMENT_GROUP] = pd.array(group.where(group.notna(), t[m.ASSIGNMENT_GROUP])
                                     .astype(object), dtype=t[m.ASSIGNMENT_GROUP].dtype)

    for c in (m.FIRST_RESPONSE_AT, m.ACTUAL_START, m.ACTUAL_END):
        t[c] = t[c].where(~(t[c] > at))
    # a change's outcome is known once it ended, or (no actual end: cancelled, or a tool
    # that keeps none) once it was closed
    outcome = t[m.CHANGE_OUTCOME].astype(object).where(
        ~(t[m.KIND].eq("change") & t[m.ACTUAL_END].isna() & closed.isna()))
    t[m.CHANGE_OUTCOME] = pd.Categorical(outcome, categories=t[m.CHANGE_OUTCOME].cat.categories)
    # last update: the last event up to the cut (else opened)
    last_ev = e.groupby(m.EV_TICKET_ID, observed=True)[m.EV_AT].max()
    upd = pd.to_datetime(ids.map(last_ev), utc=True).fillna(t[m.OPENED_AT])
    t[m.UPDATED_AT] = t[m.UPDATED_AT].where(t[m.UPDATED_AT] <= at, upd.astype(
        t[m.UPDATED_AT].dtype))
    # an open ticket's SLA outcome: breached once its due time passed
    open_now = resolved.isna() & closed.isna()
    sla = t[m.SLA_MET].copy()
    sla[open_now & sla.notna()] = (t[m.DUE_AT] > at)[open_now & sla.notna()]
    t[m.SLA_MET] = sla
    return t, e


def consistent(tickets: pd.DataFrame, events: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The desk without the generator's tickets reopened after their resolved time and
    closed without a second resolve: their row keeps the first resolved time, which no
    tool does (ServiceNow clears it on a reopen), so a later export would read them done
    before a window end at which they were open."""
    st = events[events[m.EV_KIND] == "status"]
    res = tickets.set_index(m.TICKET_ID)[m.RESOLVED_AT]
    at_res = pd.to_datetime(st[m.EV_TICKET_ID].map(res), utc=True)
    bad = st[(st[m.EV_AT] > at_res) & ~st[m.EV_VALUE].isin(DONE)][m.EV_TICKET_ID].unique()
    keep = ~tickets[m.TICKET_ID].isin(bad)
    return (tickets[keep].reset_index(drop=True),
            events[~events[m.EV_TICKET_ID].isin(bad)].reset_index(drop=True))


def reopened_after(tickets: pd.DataFrame, events: pd.DataFrame, when: str | pd.Timestamp
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The desk without the tickets done at ``when`` and reopened after it: a later
    export holds only their final done time (a list export keeps no earlier one), so a
    report as of ``when`` cannot read them done at it from that export."""
    at = pd.Timestamp(when)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    st = events[events[m.EV_KIND] == "status"].sort_values(m.EV_AT, kind="stable")
    before = st[st[m.EV_AT] <= at].groupby(m.EV_TICKET_ID, observed=True)[m.EV_VALUE].last()
    later = st[(st[m.EV_AT] > at) & ~st[m.EV_VALUE].isin(DONE)][m.EV_TICKET_ID].unique()
    bad = before[before.isin(DONE)].index.intersection(pd.Index(later))
    keep = ~tickets[m.TICKET_ID].isin(bad)
    return (tickets[keep].reset_index(drop=True),
            events[~events[m.EV_TICKET_ID].isin(bad)].reset_index(drop=True))
