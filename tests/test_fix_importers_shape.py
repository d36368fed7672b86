"""Done by status without a done time is no extract of the open queue.

Review 2 (tools), item 6: a Jira project whose workflow never sets a resolution (most
issues in Done, ``Resolved`` empty) was called "an extract of the open queue", and
reporting, onboarding and strategy went unknown on it, the note asking for done tickets
that were in the file. The export is written here as Jira's ``CSV (all fields)`` writes
it (reference, section 2: ``Issue key``, ``Issue Type``, ``Status``, ``Resolution``,
``Created`` / ``Updated`` / ``Resolved`` in ``dd/MMM/yy h:mm a``).
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from itsm_diag import api
from itsm_diag.report import Report

_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority",
           "Resolution", "Assignee", "Reporter", "Created", "Updated", "Resolved",
           "Component/s"]


def _jira_time(t: datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{t:%d/%b/%y} {hour}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def _write(path: Path, resolution_set: bool, all_open: bool = False, n: int = 400,
           seed: int = 11) -> Path:
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8)
    end = start + timedelta(weeks=20)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_HEADER)
        for i in range(n):
            created = start + (end - start) * rng.random()
            done = created + timedelta(hours=rng.uniform(2, 60))
            finished = done <= end and not all_open
            status = rng.choice(["Done", "Closed", "Resolved"]) if finished else rng.choice(
                ["Open", "In Progress", "Waiting for support"])
            resolved = _jira_time(done) if finished and resolution_set else ""
            w.writerow([f"Printer {i % 7} jammed", f"ITSM-{i + 1}", str(10000 + i),
                        rng.choice(["Incident", "Service Request"]), status,
                        rng.choice(["Medium", "High", "Low"]),
                        "Done" if resolved else "", "Ann", f"user{i % 60}",
                        _jira_time(created), _jira_time(done if finished else created),
                        resolved, rng.choice(["Printing", "Network", "Email"])])
    return path


def _sign(r: Report, sign: str) -> str:
    return next(f for f in r.signs if f.id == sign).status


def test_done_issues_without_a_resolution_are_not_an_open_queue(tmp_path: Path) -> None:
    r = api.diagnose_paths([_write(tmp_path / "never.csv", resolution_set=False)],
                           api.RunOptions())
    # it said: open_only {"done": 0}, "an extract of the open queue... Export the done
    # tickets of the period too", and reporting, onboarding and strategy unknown
    assert "open_only" not in r.extract_shape
    shape = r.extract_shape["no_done_times"]
    assert shape["done"] > 300 and shape["total"] == 400
    assert not any("open queue" in n for n in r.data_notes)
    note = next(n for n in r.data_notes if "done by their status" in n)
    assert f"{shape['done']:,} of the export's 400" in note and "Resolved" in note
    reporting = next(f for f in r.signs if f.id == "reporting")
    assert reporting.status != "unknown" and "open queue" not in reporting.reason
    assert _sign(r, "backlog") == "unknown"  # no done time: the trend cannot be rebuilt


def test_a_real_open_queue_is_still_one(tmp_path: Path) -> None:
    r = api.diagnose_paths([_write(tmp_path / "open.csv", resolution_set=True,
                                   all_open=True)], api.RunOptions())
    assert r.extract_shape["open_only"] == {"done": 0, "total": 400}
    assert "no_done_times" not in r.extract_shape
    assert _sign(r, "reporting") == "unknown"


def test_resolved_issues_have_neither_shape(tmp_path: Path) -> None:
    r = api.diagnose_paths([_write(tmp_path / "ok.csv", resolution_set=True)],
                           api.RunOptions())
    assert "open_only" not in r.extract_shape and "no_done_times" not in r.extract_shape
