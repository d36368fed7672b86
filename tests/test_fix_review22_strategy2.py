"""Code read rd22a, item 4: the strategy sign's strategic records out of the window's reach.

The ``older`` count was worded "opened and done before those 365 days" but counted the
records opened before the lookback and done any time before the window start, and the
records with no opened time besides. "Open at the window start" was a rougher copy of the
backlog's :func:`~itsm_diag.signs.common.open_at`: it ignored the status history and took
a record done exactly at the start as open. Now it is ``open_at``, the sentence says
"opened before those 365 days and done by the window start", and a record with no opened
time is counted apart.

The window: 13 weeks to 2026-05-31 (from 2026-03-01 00:00 UTC), 100 incidents (1 h each)
and 30 changes (2 h each) in it, and one epic (a task labelled ``epic``, 40 h) outside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from casekit import run_case
from itsm_diag.report import Finding

AS_OF = "2026-05-31"
START = pd.Timestamp(AS_OF) - pd.Timedelta(weeks=13)  # 2026-03-01 00:00
OLD = START - pd.Timedelta(days=400)  # before the 365-day lookback

CLAUSE = ("the export's other strategic records are out of the window's reach: {older} "
          "opened before those 365 days and done by the window start (a past practice, "
          "not the window's: the sign's strategic_lookback_days param), 0 opened after "
          "the window end (an export pulled at its end would not hold them){undated}. An "
          "export that cannot hold strategic work")


def _iso(ts: pd.Timestamp) -> str:
    return ts.isoformat()


def _strategy(epic: dict[str, Any], events: list[dict[str, Any]] | None = None) -> Finding:
    tickets = [
        {"kind": "incident", "status": "closed", "opened_at": _iso(START + pd.Timedelta(hours=1)),
         "resolved_at": _iso(START + pd.Timedelta(hours=3)), "time_spent_hours": 1.0,
         "_count": 100, "_every": "12h", "_id": "INC"},
        {"kind": "change", "status": "closed", "opened_at": _iso(START + pd.Timedelta(hours=2)),
         "resolved_at": _iso(START + pd.Timedelta(hours=5)), "time_spent_hours": 2.0,
         "_count": 30, "_every": "2D", "_id": "CHG"},
        {"ticket_id": "EPIC-1", "kind": "task", "labels": "epic", "summary": "ITSM rollout",
         "time_spent_hours": 40.0, **epic},
    ]
    return run_case("strategy", {"as_of": AS_OF, "tickets": tickets, "events": events or []})


def _status(at: pd.Timestamp, status: str) -> dict[str, Any]:
    return {"ticket_id": "EPIC-1", "at": _iso(at), "kind": "status", "status": status,
            "value": status}


def test_older_records_are_worded_as_counted() -> None:
    # opened 400 days before the start, done 10 days before it: not done "before those
    # 365 days" (before: "1 opened and done before those 365 days")
    f = _strategy({"status": "closed", "opened_at": _iso(OLD),
                   "resolved_at": _iso(START - pd.Timedelta(days=10))})
    assert f.status == "unknown"
    assert CLAUSE.format(older=1, undated="") in f.reason
    assert "opened and done before" not in f.reason


def test_a_record_done_at_the_window_start_is_not_open_at_it() -> None:
    # done at 2026-03-01 00:00 exactly: the backlog's open_at counts it done then (<=);
    # before, "< start" kept it open, in reach, and the sign graded clear (62% operational)
    f = _strategy({"status": "closed", "opened_at": _iso(OLD), "resolved_at": _iso(START)})
    assert f.status == "unknown", f.reason
    assert f.metrics["operational_share"].value is None
    assert CLAUSE.format(older=1, undated="") in f.reason


def test_open_at_the_start_reads_the_status_history() -> None:
    # open now, but the history says done 30 days before the start and reopened 5 days
    # into the window: done at the start, as the backlog counts it; before, the final
    # (empty) done time made it open at the start and the sign graded clear
    f = _strategy({"status": "open", "opened_at": _iso(OLD)},
                  [_status(START - pd.Timedelta(days=30), "closed"),
                   _status(START + pd.Timedelta(days=5), "open")])
    assert f.status == "unknown", f.reason
    assert CLAUSE.format(older=1, undated="") in f.reason


def test_a_record_reopened_before_the_start_is_in_reach() -> None:
    # the control: reopened 5 days before the start, open at it; graded on the window
    f = _strategy({"status": "open", "opened_at": _iso(OLD)},
                  [_status(START - pd.Timedelta(days=30), "closed"),
                   _status(START - pd.Timedelta(days=5), "open")])
    assert f.status == "clear", f.reason
    assert f.metrics["operational_share"].value == pytest.approx(100 / 160)
    assert f.metrics["strategic_share"].value == 0.0


def test_a_record_with_no_opened_time_is_counted_apart() -> None:
    # before: "1 opened and done before those 365 days", for a record with no opened time
    f = _strategy({"status": "closed"})
    assert f.status == "unknown"
    assert CLAUSE.format(
        older=0, undated=", 1 with no opened time (the export cannot place them against "
        "the window)") in f.reason
