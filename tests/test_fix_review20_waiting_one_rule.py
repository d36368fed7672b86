"""Review 20b (rd20b items 1 and 4): "waiting at the window end" is one rule.

The backlog sign's ``waiting_now`` (and the KPI panel and the forecast that read it) and
the Monday action list's ``waiting`` answered the same question at the same moment with
two rules: the backlog by the status history's last status by the end (else the status
now, where nothing changed it after the end), the list by the status now unless a
status event fell after the end. On a desk whose history's last status by the end
differs from the status now, with tickets updated after the end, one report counted 13
waiting in the backlog and 17 in the list. Now both read
:func:`itsm_diag.signs.common.waiting_at_end`: a ticket's status at the window end, from
its history where it has an event by then, else its status now where nothing changed
it after the end.

The truth is recounted with pandas from the tickets and events the test builds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import config, engine
from itsm_diag import model as m
from itsm_diag.report import Report

WEND = pd.Timestamp("2026-09-30 23:59:59", tz="UTC")  # the window end (--until)
DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
RAW = {"new": "New", "open": "In Progress", "pending": "On Hold", "closed": "Closed"}


def _ticket(tid: str, opened: pd.Timestamp, status: str, updated: pd.Timestamp,
            done: pd.Timestamp | None = None) -> dict[str, Any]:
    return {"ticket_id": tid, "kind": "incident", "status": status,
            "status_raw": RAW[status], "priority": 3, "assignment_group": "SD",
            "assignee": "Kim", "opened_at": opened, "resolved_at": done,
            "closed_at": done, "updated_at": updated}


def _event(tid: str, at: pd.Timestamp, status: str) -> dict[str, Any]:
    return {"ticket_id": tid, "at": at, "kind": "status", "author_role": "agent",
            "author": "Kim", "value": RAW[status], "status": status}


def _desk() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Done incidents from long before the window on (four a day, each done after two
    days), and open ones at the window end of each kind where the two rules disagreed
    (the status-now rule of the list, the history rule of the backlog)."""
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    first = WEND - 200 * DAY
    for i in range(198 * 4):
        opened = first + i * 6 * HOUR
        rows.append(_ticket(f"D{i:04d}", opened, "closed", opened + 2 * DAY,
                            opened + 2 * DAY))
    base = WEND - 20 * DAY

    def group(tag: str, n: int, status: str, updated: pd.Timedelta,
              trail: list[tuple[pd.Timedelta, str]]) -> None:
        for i in range(n):
            tid = f"{tag}{i}"
            opened = base + i * HOUR
            rows.append(_ticket(tid, opened, status, WEND + updated))
            events.extend(_event(tid, opened + at, st) for at, st in trail)

    # A: the history's last status by the end is On Hold, the status now In Progress,
    # no later event (an incomplete log): waiting by the history
    group("A", 5, "open", -2 * DAY, [(0 * DAY, "new"), (DAY, "pending")])
    # B: the history's last status In Progress, the status now On Hold: not waiting
    group("B", 3, "pending", -2 * DAY, [(0 * DAY, "new"), (DAY, "open")])
    # C: no history, On Hold now, updated after the end: not known to wait then
    group("C", 4, "pending", 3 * DAY, [])
    # D: no history, On Hold now, nothing changed since the end: waiting
    group("D", 6, "pending", -DAY, [])
    # E: On Hold by the end, back In Progress after it (the event after the end): waiting
    group("E", 2, "open", 5 * DAY, [(0 * DAY, "new"), (DAY, "pending"),
                                    (WEND - base + 4 * DAY, "open")])
    # G: its only status events after the end, On Hold now and updated after the end:
    # its history says nothing of the end, its status now is not known then
    group("G", 2, "pending", 6 * DAY, [(WEND - base + 5 * DAY, "pending")])
    # H: workable, no history
    group("H", 10, "open", -DAY, [])
    tickets = m.conform_tickets(pd.DataFrame(rows))
    return tickets, m.conform_events(pd.DataFrame(events))


def _truth(tickets: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Per ticket open at the window end: its status then (NA where not known), by its
    last status event by then, else its status now where not updated after the end."""
    t = tickets.reset_index(drop=True)
    opened = t.opened_at <= WEND
    done = t.resolved_at.notna() & (t.resolved_at <= WEND)
    open_ = t[opened & ~done].set_index("ticket_id")
    ev = events[events["at"] <= WEND].sort_values(["ticket_id", "at"], kind="stable")
    by_history = ev.groupby("ticket_id")["status"].last().astype(object)
    now = open_.status.astype(object).where(open_.updated_at <= WEND)
    return by_history.reindex(open_.index).fillna(now)


@pytest.fixture(scope="module")
def report() -> Report:
    tickets, events = _desk()
    return engine.diagnose(engine.Diagnosis(tickets=tickets, events=events, inputs=[]),
                           config.load_rules(), until=WEND)


def test_the_backlog_the_kpi_panel_and_the_monday_list_count_one_waiting(
        report: Report) -> None:
    tickets, events = _desk()
    then = _truth(tickets, events)
    waiting = then.eq("pending")
    expected = int(waiting.sum())
    # A 5 + D 6 + E 2; the list's former rule gave B 3 + C 4 + D 6 + E 2 + G 2 = 17
    assert expected == 13 and len(then) == 32
    backlog = next(s for s in report.signs if s.id == "backlog")
    assert backlog.metrics["open_now"].value == len(then)
    assert backlog.metrics["waiting_now"].value == expected
    assert report.kpis.backlog["waiting_now"] == expected
    a = report.analyses["actions"]
    assert a.metrics["open_tickets"].value == len(then)
    assert a.metrics["waiting"].numerator == expected
    said = next(n for n in a.notes if n.code == "waiting")
    assert said.count == expected


def test_waiting_since_is_the_move_into_the_waiting_status(report: Report) -> None:
    """Since when, for a ticket whose history says it waits: its move into On Hold."""
    _, events = _desk()
    rows = pd.DataFrame(report.analyses["actions"].tables["actions"].rows)
    rows = rows.set_index("ticket_id")
    held = events[(events.status == "pending") & (events["at"] <= WEND)]
    since = held.groupby("ticket_id")["at"].first()
    listed = [i for i in rows.index if i[0] in "AE" and isinstance(
        rows.loc[i, "waiting_since"], str)]
    assert listed  # waiting tickets listed (stale: no update for 2 business days)
    for i in listed:
        assert pd.Timestamp(rows.loc[i, "waiting_since"]) == since[i]
    # a ticket waiting by its status now has no history to date it
    for i in rows.index:
        if i[0] == "D":
            assert rows.loc[i, "waiting_since"] is None or (
                isinstance(rows.loc[i, "waiting_since"], float)
                and np.isnan(rows.loc[i, "waiting_since"]))
