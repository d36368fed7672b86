"""Ownership judged by the owner an export shows long after the window end (review 16b, D5).

A current-state list exported months after the window end shows each ticket's owner as
of its last update: the real ServiceNow log's incidents opened March to May, listed as
they ended (as-of 2016-06-05), read ownership "clear, 0 of 922 unowned" where the audit
log shows 130 of 915 (14%) without an assignee that day. A ticket updated after the
as-of is now judged by its group in the assignment history where the export holds one;
its assignee never is, so the check triggers on the owners it sees, clears only when it
would with every unseen one unowned, and is unknown when fewer than ``min_tickets`` are
seen, saying how far after the as-of the export was cut and how many were updated since.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Finding, Report

START = pd.Timestamp("2026-04-01")
#: the window end the run chooses: the day of the last active week's latest timestamp
#: (opened up to 30 June, the last closure on 4 July; review 18: not the week's end, 5 July)
AS_OF = pd.Timestamp("2026-07-04 23:59")
#: when the list was exported: long after the window end
LATER = pd.Timestamp("2026-09-15")
HEADER = ("number", "state", "priority", "category", "assignment_group", "assigned_to",
          "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on", "sys_mod_count")


def _when(ts: object) -> str:
    return "" if pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _desk(n_open: int, *, later: int, unowned: int, seed: int = 3) -> pd.DataFrame:
    """1,200 incidents opened over the 13 weeks up to the as-of, the done ones resolved
    within two days and closed three days later; ``n_open`` of those opened before
    mid-June still open at the as-of. ``later`` of them were done after it (closed in
    September, with the assignee who closed them), the others are still open, last
    updated before it; ``unowned`` of the still-open ones have no assignee."""
    rng = np.random.default_rng(seed)
    n = 1200
    opened = START + pd.to_timedelta(np.sort(rng.uniform(0, 90, n)), unit="D")
    resolved = opened + pd.to_timedelta(rng.uniform(0.05, 2.0, n), unit="D")
    closed = resolved + pd.Timedelta(days=3)
    updated = closed.copy()
    assignee = np.array([f"Agent {i % 9}" for i in range(n)], dtype=object)
    early = np.flatnonzero(opened < pd.Timestamp("2026-06-15"))
    held = rng.choice(early, n_open, replace=False)
    moved, still = held[:later], held[later:]
    resolved = pd.Series(resolved)
    closed = pd.Series(closed)
    updated = pd.Series(updated)
    resolved.iloc[moved] = LATER - pd.Timedelta(days=3)
    closed.iloc[moved] = LATER
    updated.iloc[moved] = LATER
    resolved.iloc[still] = pd.NaT
    closed.iloc[still] = pd.NaT
    updated.iloc[still] = pd.Series(opened).iloc[still] + pd.Timedelta(hours=2)
    assignee[still[:unowned]] = ""
    return pd.DataFrame({"opened": opened, "resolved": resolved, "closed": closed,
                         "updated": updated, "assignee": assignee})


def _group(i: int) -> str:
    return ("Desk", "Network")[i % 2]


def _row(i: int, state: str, group: str, assignee: str, opened: object, resolved: object,
         closed: object, updated: object, count: int) -> dict[str, object]:
    return {"number": f"INC{i + 1:07d}", "state": state, "priority": "3 - Moderate",
            "category": "Software", "assignment_group": group, "assigned_to": assignee,
            "caller_id": f"User {i % 500}", "contact_type": "Phone",
            "opened_at": _when(opened), "resolved_at": _when(resolved),
            "closed_at": _when(closed), "sys_updated_on": _when(updated),
            "sys_mod_count": count}


def _write_list(df: pd.DataFrame, folder: Path) -> Path:
    """One row a ticket, as it stood at its last update."""
    folder.mkdir(parents=True)
    with (folder / "incident.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, r in enumerate(df.itertuples(index=False)):
            state = "Closed" if not pd.isna(r.closed) else "In Progress"
            out.writerow(_row(i, state, _group(i), r.assignee, r.opened, r.resolved,
                              r.closed, r.updated, 1))
    return folder


def _write_log(df: pd.DataFrame, folder: Path, unrouted: int) -> Path:
    """An audit log of the same tickets: a first row at the opened time, then the
    closing one. The first ``unrouted`` tickets done after the as-of had no group until
    after it (their first row has none; a row after the as-of routes them)."""
    folder.mkdir(parents=True)
    late = np.flatnonzero((df["closed"] > AS_OF).to_numpy())
    no_group = set(late[:unrouted].tolist())
    with (folder / "incident.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, r in enumerate(df.itertuples(index=False)):
            first = "" if i in no_group else _group(i)
            out.writerow(_row(i, "New", first, "", r.opened, None, None,
                              r.opened + pd.Timedelta(minutes=5), 0))
            if i in no_group:
                routed = AS_OF + pd.Timedelta(days=20)
                out.writerow(_row(i, "In Progress", _group(i), "", r.opened, None, None,
                                  routed, 1))
            state = "Closed" if not pd.isna(r.closed) else "In Progress"
            out.writerow(_row(i, state, _group(i), r.assignee, r.opened, r.resolved,
                              r.closed, r.updated, 2))
    return folder


def _ownership(report: Report) -> Finding:
    return next(c for c in report.checks if c.id == "ownership")


def _run(folder: Path) -> Report:
    return api.diagnose_paths([folder], api.RunOptions())


@pytest.fixture(scope="module")
def later_list(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """60 tickets open at the as-of, every one done in September: the list shows the
    assignee who closed each."""
    desk = _desk(60, later=60, unowned=0)
    return _run(_write_list(desk, tmp_path_factory.mktemp("own") / "list"))


def test_a_list_exported_later_cannot_clear_ownership(later_list: Report) -> None:
    assert str(later_list.window.end)[:10] == "2026-07-04"
    own = _ownership(later_list)
    # before: clear, medium, "0 of 60 open tickets past the grace period have no owner"
    assert own.status == "unknown"
    assert "was cut 72 days after the window end (2026-07-04" in own.reason
    assert "60 of the 60 tickets open at the window end" in own.reason
    assert "updated after it" in own.reason
    assert "the share would be 100%" in own.reason
    assert own.metrics["unowned_share"].value is None


def test_the_owners_seen_still_trigger_and_the_unseen_bound_a_clear(
        tmp_path: Path) -> None:
    # 60 open at the as-of: 10 done later (owner unseen), 50 still open untouched since,
    # 8 of them with no assignee: 8 of 60 seen unowned is 13%, a floor: triggered
    desk = _desk(60, later=10, unowned=8)
    own = _ownership(_run(_write_list(desk, tmp_path / "some")))
    assert own.status == "triggered"
    assert own.metrics["unowned_share"].numerator == 8
    assert own.metrics["unowned_share"].denominator == 60
    note = next(n for n in own.evidence.notes if n.code == "owner_after")
    assert "10 of the 60 tickets" in note.text and "the share would be 30%" in note.text
    # 3 done later, none unowned among the 57 seen: even with all 3 unowned, 5%: clear
    desk = _desk(60, later=3, unowned=0)
    own = _ownership(_run(_write_list(desk, tmp_path / "few")))
    assert own.status == "clear" and own.confidence == "medium"
    assert any(n.code == "owner_after" and "the share would be 5%" in n.text
               for n in own.evidence.notes)
    # 12 done later: with them unowned 20%, so a clear on 0 of 48 seen is not shown
    desk = _desk(60, later=12, unowned=0)
    own = _ownership(_run(_write_list(desk, tmp_path / "more")))
    assert own.status == "unknown"
    assert "12 of the 60 aged open tickets were updated after" in own.reason
    assert "would be 20%" in own.reason


def test_the_assignment_history_gives_the_group_at_the_window_end(tmp_path: Path) -> None:
    # the audit log of 60 tickets open at the as-of and done later; 15 of them had no
    # group until 20 days after it: 15 of 60 (25%) with no group at the as-of, from history
    desk = _desk(60, later=60, unowned=0)
    report = _run(_write_log(desk, tmp_path / "log", unrouted=15))
    own = _ownership(report)
    # before: clear, medium, 0% (the groups and assignees of the last rows)
    assert own.status == "triggered"
    assert own.metrics["no_group_share"].numerator == 15
    # review 22: the log's assignee history is read too. Every ticket's rows up to the
    # as-of name no assignee (the one who closed it came in September): all 60 had none
    # since their opening (it was "15, and 45 unseen" while the assignee was not read)
    assert own.metrics["no_assignee_share"].numerator == 60
    assert own.metrics["unowned_share"].numerator == 60
    assert own.metrics["unowned_share"].denominator == 60
    note = next(n for n in own.evidence.notes if n.code == "owner_after_history")
    assert "taken from the assignment history (the group of 60, the assignee of 60)" \
        in note.text
