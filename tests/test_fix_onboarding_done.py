"""Onboarding never drops done requests without a done time one-sidedly.

Review 2 (tools), item 3: a Jira workflow whose Done transition sets no resolution leaves
``Resolved`` empty. Onboarding left those done requests out and kept the open late ones,
so 40 requests done the next morning and 5 open past their deadline read "5 of 5 decided
onboarding requests late (100%)", triggered, where the late share is at most 5/42. Now a
material share of such requests makes the sign unknown with the numbers; a few enter the
decision as "lateness unknown" (the verdict must hold with them all on time and all
late); an export where no done ticket has a done time (the ``no_done_times`` shape, a
Zendesk JSON without metric sets) leaves the sign unknown. The Jira files are written as
``CSV (all fields)`` writes them (reference, section 2), the Zendesk page as the API
returns it without ``include=metric_sets`` (section 3).
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from itsm_diag import api
from itsm_diag.report import Finding

_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
           "Priority", "Resolution", "Assignee", "Reporter", "Created", "Updated",
           "Resolved", "Custom field (Request Type)"]
#: the first onboarding request's day (a Monday), two weeks into the export
_FIRST = datetime(2025, 3, 17, 9, 30)


def _jira_time(t: datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{t:%d/%b/%y} {hour}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def _weekdays(n: int) -> list[datetime]:
    """``n`` consecutive weekdays from :data:`_FIRST`, at 09:30."""
    out, day = [], _FIRST
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def _jira(path: Path, on_time: int, late: int, no_time: int, open_late: int) -> Path:
    """Onboarding requests done on time (the next morning), done late (after a week),
    done without a ``Resolved`` (the next morning, in ``Done``) and open past their
    deadline, among 300 resolved incidents around them."""
    kinds = ["on_time"] * on_time + ["late"] * late + ["no_time"] * no_time + \
        ["open"] * open_late
    # spread the kinds over the days, so that none sits at one end of the window
    random.Random(5).shuffle(kinds)
    rng = random.Random(3)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_HEADER)
        for i, (kind, created) in enumerate(zip(kinds, _weekdays(len(kinds)), strict=True)):
            done = created + timedelta(hours=20 if kind != "late" else 24 * 7)
            status = "Waiting for support" if kind == "open" else "Done"
            resolved = _jira_time(done) if kind in ("on_time", "late") else ""
            updated = created + timedelta(hours=1) if kind == "open" else done
            w.writerow([f"New starter: {i}", f"HR-{i + 1}", str(i + 1), "Service Request",
                        status, "HR", "Medium", "Done" if resolved else "", "Ann Agent",
                        f"Mgr {i}", _jira_time(created), _jira_time(updated), resolved,
                        "Onboard new employee"])
        start = _FIRST - timedelta(days=14)
        for i in range(300):
            created = start + timedelta(hours=rng.randint(0, 24 * 92))
            done = created + timedelta(hours=rng.randint(1, 40))
            w.writerow(["Laptop slow", f"HR-{1000 + i}", str(1000 + i), "Incident",
                        "Resolved", "HR", "Medium", "Done", "Ann Agent", f"User {i % 50}",
                        _jira_time(created), _jira_time(done), _jira_time(done),
                        "Get IT Help"])
    return path


def _onboarding(path: Path) -> Finding:
    r = api.diagnose_paths([path], api.RunOptions())
    return next(f for f in r.signs if f.id == "onboarding")


def test_done_without_resolved_is_not_one_sided(tmp_path: Path) -> None:
    """The reviewer's shape: 40 done without a done time, 5 open past their deadline."""
    f = _onboarding(_jira(tmp_path / "onb.csv", on_time=0, late=0, no_time=40,
                          open_late=5))
    # it said: triggered, "5 of 5 decided onboarding requests late (100%)"
    assert f.status == "unknown", f.reason
    assert f.metrics["late_share"].value is None
    assert "40 of the 45 judged onboarding requests (89%)" in f.reason
    assert "from 11% (all of them on time: 5 late) to 100% (all of them late)" in f.reason
    assert "Resolved" in f.reason


def test_a_few_without_a_done_time_are_judged_with_the_range(tmp_path: Path) -> None:
    """3 of 53 done without a done time: judged, and the range is stated."""
    f = _onboarding(_jira(tmp_path / "few.csv", on_time=48, late=2, no_time=3,
                          open_late=0))
    assert f.status == "clear", f.reason
    assert f.metrics["late_share"].value == 2 / 50  # the timed ones' share
    note = next(n for n in f.evidence.excluded if n.code == "done_without_time")
    assert note.count == 3
    # 2 of 53 with all three on time, 5 of 53 with all three late: clear either way
    assert "between 4% (all on time) and 9% (all late) of 53 judged" in note.text


def test_a_verdict_the_range_straddles_is_unknown(tmp_path: Path) -> None:
    """8 of 40 timed late (20%, the threshold), 4 done without a done time: with them on
    time 8 of 44 (18%), so triggered does not hold; 6 of 40 (15%) with them late 10 of 44
    (23%), so clear does not either."""
    high = _onboarding(_jira(tmp_path / "high.csv", on_time=32, late=8, no_time=4,
                             open_late=0))
    assert high.status == "unknown", high.reason  # it said: triggered, 20%
    assert high.metrics["late_share"].value == 8 / 40
    assert "with all of them on time the late share would be 18%, with all of them " \
           "late 27%" in high.reason
    low = _onboarding(_jira(tmp_path / "low.csv", on_time=34, late=6, no_time=4,
                            open_late=0))
    assert low.status == "unknown", low.reason  # it said: clear, 15%
    assert "would be 14%, with all of them late 23%" in low.reason


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zendesk(path: Path) -> Path:
    """An API page without metric sets: 30 onboarding questions solved or closed within a
    day (no solve time in the JSON), 6 open past their deadline, 300 incidents."""
    rng = random.Random(9)
    tickets: list[dict[str, Any]] = []

    def ticket(i: int, subject: str, kind: str, status: str, created: datetime,
               updated: datetime, tags: list[str]) -> dict[str, Any]:
        return {"url": f"https://acme.zendesk.com/api/v2/tickets/{i}.json", "id": i,
                "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
                "created_at": _iso(created), "updated_at": _iso(updated), "type": kind,
                "subject": subject, "raw_subject": subject, "description": "...",
                "priority": "normal", "status": status, "requester_id": 100000 + i % 90,
                "submitter_id": 100000 + i % 90, "assignee_id": 901, "group_id": 360000,
                "problem_id": None, "has_incidents": False, "is_public": True,
                "due_at": None, "tags": tags, "ticket_form_id": 1, "brand_id": 2}

    for i, created in enumerate(_weekdays(36)):
        done = i >= 6
        # a closed ticket's last update is the automatic close, 4 days after the solve
        status = rng.choice(["solved", "closed"]) if done else "open"
        updated = created + timedelta(hours=20, days=4 if status == "closed" else 0)
        tickets.append(ticket(5000 + i, f"New hire: starter {i}", "question", status,
                              created, updated if done else created + timedelta(hours=1),
                              ["new_hire"]))
    start = _FIRST - timedelta(days=14)
    for i in range(300):
        created = start + timedelta(hours=rng.randint(0, 24 * 92))
        tickets.append(ticket(6000 + i, "Login issue", "incident", "solved", created,
                              created + timedelta(hours=rng.randint(1, 40)), []))
    path.write_text(json.dumps({"tickets": tickets, "next_page": None,
                                "previous_page": None, "count": len(tickets)}),
                    encoding="utf-8")
    return path


def test_zendesk_without_metric_sets_is_not_triggered(tmp_path: Path) -> None:
    r = api.diagnose_paths([_zendesk(tmp_path / "tickets.json")], api.RunOptions())
    assert "no_done_times" in r.extract_shape
    f = next(f for f in r.signs if f.id == "onboarding")
    # it said: triggered, "6 of 6 decided onboarding requests late (100%)"
    assert f.status == "unknown", f.reason
    assert "done by their status, but not one carries a resolved or closed time" in f.reason
