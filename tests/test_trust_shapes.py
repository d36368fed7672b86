"""Trust's chasers and duplicates on the shapes that fooled them (review-stats items 3, 7).

- A requester comment that answers the agent ("Following up with the screenshot you asked
  for", half an hour after the agent asked) or confirms a fix ("Status update: ... it
  works, thanks! You can close it.") matched a chaser phrase and counted as chasing: a
  healthy ServiceNow export triggered trust at 15%. A requester's "any update?" after
  days of silence must still count.
- Desk agents or shared accounts logging tickets for others (the real log's three callers
  with 437, 258 and 126 tickets in 13 weeks) open tickets in one category within hours of
  each other: they gave 463 of the real log's 1,789 "duplicates".
"""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from casekit import run_case
from itsm_diag import api
from itsm_diag.render import json as json_render
from itsm_diag.render import markdown
from itsm_diag.report import Finding, Report

CASES = Path(__file__).parent / "cases" / "trust.yaml"
HEADER = ["number", "short_description", "state", "priority", "category",
          "assignment_group", "assigned_to", "caller_id", "contact_type", "opened_at",
          "resolved_at", "closed_at", "sys_updated_on", "comments"]
START = pd.Timestamp("2026-01-05 09:00")


def _stamp(at: pd.Timestamp) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}"


def _journal(entries: list[tuple[pd.Timestamp, str, str]]) -> str:
    """A ServiceNow comments journal: newest entry first."""
    return "\n\n".join(f"{_stamp(at)} - {who} (Additional comments)\n{text}"
                       for at, who, text in sorted(entries, key=lambda e: e[0], reverse=True))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        out.writerows(rows)
    return path


def _row(i: int, caller: str, category: str, opened: pd.Timestamp, done: pd.Timestamp,
         comments: str) -> list[str]:
    return [f"INC{i:07d}", f"{category} issue", "Closed", "4 - Low", category,
            # two groups: on one, the duplicate share is a floor that cannot clear trust
            ("Service Desk", "Network")[i % 2], "Agent Smith", caller, "Phone",
            _stamp(opened), _stamp(done),
            _stamp(done + pd.Timedelta(days=2)), _stamp(done + pd.Timedelta(days=2)),
            comments]


def chase_export(path: Path, *, genuine: bool) -> Path:
    """The reviewer's export shape (/tmp/rev-stats/gen/chase.py): 150 incidents over 13
    weeks, one caller each. On 3 of every 25 (12%) the agent asks for a screenshot and the
    requester answers 30 minutes later "Following up with the screenshot you asked for";
    on 1 of 25 (4%) the requester confirms the fix 30 minutes after the agent's advice;
    the others get "We are looking into it." With ``genuine``, on 4 of 25 (16%) the
    requester also writes "Any update?" three days after the agent's last word."""
    rows = []
    for i in range(150):
        opened = START + pd.Timedelta(hours=14 * i)
        asked, answered = opened + pd.Timedelta(minutes=20), opened + pd.Timedelta(minutes=50)
        done = opened + pd.Timedelta(days=4)
        caller, k = f"User {i:04d}", i % 25
        if k < 3:
            entries = [(asked, "Agent Smith", "Could you send a screenshot of the error?"),
                       (answered, caller,
                        "Following up with the screenshot you asked for - attached.")]
        elif k == 3:
            entries = [(asked, "Agent Smith", "Please reboot and let us know."),
                       (answered, caller,
                        "Status update: after the reboot it works, thanks! You can close it.")]
        else:
            entries = [(asked, "Agent Smith", "We are looking into it.")]
        if genuine and 4 <= k < 8:
            entries.append((asked + pd.Timedelta(days=3), caller, "Any update?"))
        rows.append(_row(i + 1, caller, ("Software", "Hardware", "Network")[i % 3], opened,
                         done, _journal(entries)))
    return _write(path, rows)


def trust_of(report: Report) -> Finding:
    return next(s for s in report.signs if s.id == "trust")


def note(finding: Finding, code: str) -> Any:
    return next(n for n in finding.evidence.notes + finding.evidence.excluded
                if n.code == code)


# ---- chasers -----------------------------------------------------------------------------

def test_answers_and_confirmations_in_a_servicenow_journal_are_not_chasers(
        tmp_path: Path) -> None:
    report = api.diagnose_paths([chase_export(tmp_path / "incident.csv", genuine=False)],
                                api.RunOptions())
    trust = trust_of(report)
    # the phrase match alone counted every answer and confirmation: 16%, triggered
    assert trust.metrics["chaser_share"].value == 0.0
    assert trust.status == "clear", trust.reason
    left = note(trust, "chaser_replies")
    assert left.count and left.count > 0
    assert "answer an agent's comment posted at most 4 hours before" in left.text
    assert "confirm a fix" in left.text


def test_any_update_after_days_of_silence_still_counts(tmp_path: Path) -> None:
    report = api.diagnose_paths([chase_export(tmp_path / "incident.csv", genuine=True)],
                                api.RunOptions())
    trust = trust_of(report)
    share = trust.metrics["chaser_share"]
    # 4 of every 25 tickets chase (16%); the answers and confirmations (another 16%) do not
    assert share.value is not None and 0.14 <= share.value <= 0.18, share
    assert trust.status == "triggered"
    chased = {int(i[3:]) - 1 for i in share.sample_ids}
    assert chased and all(4 <= i % 25 < 8 for i in chased), sorted(chased)


def _threads_case() -> dict[str, Any]:
    doc = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    case: dict[str, Any] = next(c for c in doc["cases"] if c["name"].startswith(
        "chasers that answer the agent"))
    return case


def test_replies_do_not_depend_on_the_events_order() -> None:
    """The events table in any order (here reversed: every requester's comment comes
    before the agent's it answers) gives the same chasers: the previous comment is found
    by time within the ticket, not as the row before."""
    case = _threads_case()
    base = run_case("trust", case)
    shuffled = copy.deepcopy(case)
    shuffled["events"] = list(reversed(shuffled["events"]))
    again = run_case("trust", shuffled)
    assert again.metrics["chaser_share"].value == base.metrics["chaser_share"].value == 0.5
    assert set(again.metrics["chaser_share"].sample_ids) == set(
        base.metrics["chaser_share"].sample_ids)


def test_following_up_with_no_agent_comment_before_it_is_a_chaser() -> None:
    case = copy.deepcopy(_threads_case())
    # without T00001's agent question the requester's "following up" answers nobody: a
    # chaser (the rule reads the thread, not the words)
    case["events"] = [e for e in case["events"]
                      if not (e["ticket_id"] == "T00001" and e["author_role"] == "agent")]
    found = run_case("trust", case)
    assert found.metrics["chaser_share"].value == pytest.approx(0.6)
    assert "T00001" in found.metrics["chaser_share"].sample_ids


# ---- proxy requesters in duplicates ------------------------------------------------------

DESK = "Front Desk Walk-In"


def proxy_export(path: Path) -> Path:
    """13 weeks of incidents: 60 callers with one ticket each, and a walk-in desk logging
    100 tickets for others (about 7.7 a week) in one category, each open three days."""
    rows = []
    for i in range(100):
        opened = START + pd.Timedelta(hours=21 * i)
        rows.append(_row(i + 1, DESK, "Access", opened, opened + pd.Timedelta(days=3), ""))
    for i in range(60):
        opened = START + pd.Timedelta(hours=35 * i + 3)
        rows.append(_row(200 + i, f"User {i:04d}", "Software", opened,
                         opened + pd.Timedelta(hours=5), ""))
    return _write(path, rows)


def test_a_walk_in_desk_is_named_and_left_out_and_redaction_hides_it(tmp_path: Path) -> None:
    export = proxy_export(tmp_path / "incident.csv")
    plain = trust_of(api.diagnose_paths([export], api.RunOptions()))
    share = plain.metrics["duplicate_share"]
    # the desk's near-daily tickets in one category were all "duplicates" (99 of 160 at
    # most; the window is the 13 weeks up to the last active week)
    assert share.value == 0.0 and share.denominator and 50 <= share.denominator <= 60, share
    proxy = note(plain, "proxy_requesters")
    assert proxy.count and 90 <= proxy.count <= 100
    assert f"{DESK}: {proxy.count}." in proxy.text and "1 of them" in proxy.text
    report = api.diagnose_paths([export], api.RunOptions(redact=True))
    hidden = trust_of(report)
    text = note(hidden, "proxy_requesters").text
    assert re.search(rf"Requester \d+: {proxy.count}\.", text), text
    for doc in (json_render.render(report), markdown.render(report)):
        assert DESK not in doc and "Front Desk" not in doc
    # "Requester 12 (100" would read as a phone number to the redaction sweep
    assert not re.search(r"\[phone( \d+)?\]", text)


def test_proxy_rate_counts_the_weeks_the_export_covers() -> None:
    """An export that starts four weeks before the as-of: a desk with 25 tickets in those
    weeks opens 6 a week, a proxy, though over the 13-week window it would average 2."""
    case: dict[str, Any] = {
        "as_of": "2024-03-29T12:00:00",
        "tickets": [
            {"kind": "incident", "status": "closed", "category": "access",
             "requester": "desk", "channel": "phone", "opened_at": "2024-03-01T12:00:00",
             "resolved_at": "2024-03-04T12:00:00", "_count": 25, "_every": "26h"},
            *({"kind": "incident", "status": "closed", "category": "email",
               "requester": who, "channel": "portal", "opened_at": f"2024-03-01T1{k}:00:00",
               "resolved_at": f"2024-03-01T1{k}:30:00", "_count": 12, "_every": "54h"}
              for k, who in enumerate(("ann", "bob", "cy"))),
        ],
    }
    found = run_case("trust", case)
    # the desk's 24 "duplicates" of 61 tickets (39%) triggered trust
    assert found.metrics["duplicate_share"].value == 0.0
    assert found.metrics["duplicate_share"].denominator == 36
    proxy = note(found, "proxy_requesters")
    assert "over 4.0 weeks" in proxy.text and "1 of them, with 25 tickets" in proxy.text
    assert found.status == "clear"


# ---- the real log ------------------------------------------------------------------------

def test_real_log_duplicates_leave_out_its_three_proxy_callers(real_log: Path) -> None:
    report = api.diagnose_paths([real_log], api.RunOptions(redact=True))
    trust = trust_of(report)
    share = trust.metrics["duplicate_share"]
    # was 1,789 / 22,783 (8%, 299 hours a month), 463 of them from the three callers;
    # 1,185 found without them, 277 of which chance gives: 908 / 21,963 (4.1%). (With
    # the 1,543 tickets measured to their auto-close, ~120 h after their resolution,
    # "still open" ran on to it: 1,329, 316 by chance, 1,013.)
    assert (share.numerator, share.denominator) == (908, 21963)
    chance = note(trust, "duplicates_chance")
    assert "about 277 would share its category by chance" in chance.text
    # under 5% beyond chance, 5.4% with every one: the clear does not hold either way
    # (the share as the finding shows it, beside the threshold in force)
    assert trust.status == "unknown" and "the share is 4%, under the 5% threshold" in \
        trust.reason and "with all 1,185 it would be 5.4%" in trust.reason
    proxy = note(trust, "proxy_requesters")
    assert proxy.count == 821 and "3 of them" in proxy.text
    assert re.search(r"Requester \d+: 437; Requester \d+: 258; Requester \d+: 126\.",
                     proxy.text), proxy.text
    assert "Caller" not in json.dumps(json.loads(json_render.render(report))["signs"])
