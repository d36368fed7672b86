"""Review 22b (rv22b), items 2 and 3: the strategy sign's kinds of work.

Item 2: a ServiceNow task-table export's project and agile rows (``sys_class_name``
pm_project, pm_project_task, rm_story...) were kind ``other`` with no label, so the sign
counted them as other planned work and said the export held no project record (unknown,
"Add the project or epic records"). They carry the label ``project:TABLE`` now, as a Jira
epic carries ``epic``: 740 of 1,260 logged hours, 58.7% strategic, clear.

Item 3: three changes among thousands of incidents made "more than one kind of work"
and turned unknown into a high-confidence "triggered, 0% strategic". A kind counts only
from ``min_kind_share`` of the window's effort, and the one_kind note names the thin
kinds in numbers. A strategic record outside the window proves the export can hold the
window's strategic work only within ``strategic_lookback_days`` before it (or open at its
start), never when opened after the window end.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

runner = CliRunner()
SN = "%Y-%m-%d %H:%M:%S"
JIRA = "%d/%b/%y %I:%M %p"


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, list(rows[0]), quoting=csv.QUOTE_ALL)
        out.writeheader()
        out.writerows(rows)


def _strategy(path: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["diagnose", str(path), *args, "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1, 2), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    sign: dict[str, Any] = next(s for s in report["signs"] if s["id"] == "strategy")
    return sign


# ---- item 2: ServiceNow project-class rows ----------------------------------------------
def _task_table(path: Path, classes: dict[str, str]) -> None:
    """The reviewer's s1: 400 incidents (1 h each), 40 changes (3 h), 5 projects (60 h),
    40 project tasks (8 h), 20 stories (6 h), every row with time_worked (seconds); the
    project rows carry no label or category. ``classes``: the sys_class_name written for
    pm_project, pm_project_task and rm_story (raw or display)."""
    rows: list[dict[str, Any]] = []
    t0 = pd.Timestamp("2026-03-01")

    def add(num: str, cls: str, opened: pd.Timestamp, hours: float, desc: str,
            cat: str = "") -> None:
        rows.append({"number": num, "sys_class_name": cls, "opened_at": opened.strftime(SN),
                     "resolved_at": (opened + pd.Timedelta(hours=4)).strftime(SN),
                     "closed_at": (opened + pd.Timedelta(days=2)).strftime(SN),
                     "state": "Closed" if cls == "incident" else "Closed Complete",
                     "short_description": desc, "category": cat, "assignment_group": "Infra",
                     "time_worked": int(hours * 3600)})

    for i in range(400):
        add(f"INC{10000 + i:07d}", "incident", t0 + pd.Timedelta(hours=5 * i), 1.0,
            "Outlook not syncing", "Software")
    for i in range(40):
        add(f"CHG{10000 + i:07d}", "change_request", t0 + pd.Timedelta(hours=50 * i), 3.0,
            "Patch servers", "Software")
    for i in range(5):
        add(f"PRJ{10000 + i:07d}", classes["pm_project"], t0 + pd.Timedelta(days=15 * i),
            60.0, f"Migrate mail to Exchange Online wave {i}")
    for i in range(40):
        add(f"PRJTASK{10000 + i:07d}", classes["pm_project_task"],
            t0 + pd.Timedelta(days=2 * i), 8.0, f"Mailbox migration batch {i}")
    for i in range(20):
        add(f"STRY{10000 + i:07d}", classes["rm_story"], t0 + pd.Timedelta(days=4 * i), 6.0,
            f"Self-service portal form {i}")
    _write(path, rows)


RAW = {"pm_project": "pm_project", "pm_project_task": "pm_project_task",
       "rm_story": "rm_story"}
DISPLAY = {"pm_project": "Project", "pm_project_task": "Project Task", "rm_story": "Story"}


@pytest.mark.parametrize("classes", [RAW, DISPLAY], ids=["raw", "display"])
def test_servicenow_project_rows_are_labelled_project_records(
        tmp_path: Path, classes: dict[str, str]) -> None:
    path = tmp_path / "task.csv"
    _task_table(path, classes)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc["PRJ0010000", m.LABELS] == "project:pm_project"
    assert t.loc["PRJTASK0010003", m.LABELS] == "project:pm_project_task"
    assert t.loc["STRY0010000", m.LABELS] == "project:rm_story"
    assert t.loc["PRJTASK0010003", m.KIND] == "other"
    assert pd.isna(t.loc["INC0010000", m.LABELS])
    warnings = [w for s in loaded.sources for w in s.warnings]
    assert ("project records: 65 rows of the project and agile tables (pm_project 5, "
            "pm_project_task 40, rm_story 20) are given the label project:TABLE"
            ) in " ".join(warnings)


def test_servicenow_project_rows_keep_their_own_tags(tmp_path: Path) -> None:
    path = tmp_path / "task.csv"
    _task_table(path, RAW)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        r["sys_tags"] = ("wave-1" if r["number"].startswith("PRJ0")
                         else "Epic, q2" if r["number"] == "STRY0010000" else "")
    _write(path, rows)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc["PRJ0010000", m.LABELS] == "wave-1;project:pm_project"
    # one already labelled epic (or project) keeps its labels, as a Jira epic does
    assert t.loc["STRY0010000", m.LABELS] == "Epic, q2"
    warnings = " ".join(w for s in loaded.sources for w in s.warnings)
    assert "(pm_project 5, pm_project_task 40, rm_story 19)" in warnings


@pytest.mark.parametrize("classes", [RAW, DISPLAY], ids=["raw", "display"])
def test_servicenow_project_rows_count_as_strategic_work(
        tmp_path: Path, classes: dict[str, str]) -> None:
    # before: unknown, "None of the export's 505 tickets (kinds: change, incident, other)
    # is strategic work", the 65 project rows "other planned work" (tactical, 740 h)
    path = tmp_path / "task.csv"
    _task_table(path, classes)
    sign = _strategy(path, tmp_path)
    assert sign["status"] == "clear", sign["reason"]
    assert sign["confidence"] == "high"
    metrics = sign["metrics"]
    assert metrics["strategic_share"]["value"] == pytest.approx(740 / 1260)  # 58.7%
    assert metrics["operational_share"]["value"] == pytest.approx(400 / 1260)  # 31.7%
    assert metrics["tactical_share"]["value"] == pytest.approx(120 / 1260)
    rows = {(r["kind"], r["rule"], r["bucket"]): (r["tickets"], r["hours_logged"])
            for r in sign["evidence"]["tables"]["classification"]}
    assert rows[("other", "strategic word", "strategic")] == (65, pytest.approx(740.0))
    words = sign["evidence"]["tables"]["project_words"]
    assert [(w["field"], w["word"], w["tickets"]) for w in words] == [
        ("labels", "project", 65)]


# ---- item 3: a kind too thin to count ---------------------------------------------------
def _jira(path: Path, incidents: int, changes: int, epic_at: pd.Timestamp | None) -> None:
    """A JSM all-fields file: ``incidents`` incidents (30 min logged each, one every
    hour from 2026-03-01), ``changes`` Normal changes (2 h each, from 2026-04-01) and,
    at ``epic_at``, one Epic ("ITSM tool rollout", 40 h, done 3 h later)."""
    rows: list[dict[str, Any]] = []

    def add(typ: str, opened: pd.Timestamp, secs: int, summary: str) -> None:
        i = len(rows) + 1
        res = opened + pd.Timedelta(hours=3)
        rows.append({"Summary": summary, "Issue key": f"ITSM-{i}", "Issue id": str(90000 + i),
                     "Issue Type": typ, "Status": "Done", "Project key": "ITSM",
                     "Priority": "Medium", "Resolution": "Done", "Assignee": "a",
                     "Reporter": f"u{i % 50}", "Created": opened.strftime(JIRA),
                     "Updated": res.strftime(JIRA), "Resolved": res.strftime(JIRA),
                     "Labels": "", "Time Spent": str(secs),
                     "Custom field (Change type)": "Normal" if typ == "Change" else ""})

    if epic_at is not None:
        add("Epic", epic_at, 3600 * 40, "ITSM tool rollout")
    start = pd.Timestamp("2026-03-01 00:30")
    for i in range(incidents):
        add("Incident", start + pd.Timedelta(hours=i), 1800, f"issue {i}")
    for i in range(changes):
        add("Change", pd.Timestamp("2026-04-01 10:00") + pd.Timedelta(hours=7 * i), 7200,
            f"change {i}")
    _write(path, rows)


WINDOW = ("--since", "2026-03-01", "--until", "2026-05-31")
EIGHT_MONTHS_BEFORE = pd.Timestamp("2025-07-01 09:00")


def test_three_changes_among_incidents_make_no_second_kind(tmp_path: Path) -> None:
    # 2,000 incidents (1,000 h) and 3 changes (6 h, 0.60% of 1,006 h): before, "triggered,
    # 0% strategic", high confidence; an incident queue says nothing about the rest
    path = tmp_path / "jira.csv"
    _jira(path, 2000, 3, EIGHT_MONTHS_BEFORE)
    sign = _strategy(path, tmp_path, *WINDOW)
    assert sign["status"] == "unknown", sign["reason"]
    assert sign["metrics"]["strategic_share"]["value"] is None
    assert ("Of the 2,003 tickets in the window (kinds: change, incident), 2,000 are "
            "operational work, 99.40% of the effort; the other kinds are too thin to "
            "count as work of their own, by kind (tickets; share of the effort): "
            "tactical (3; 0.60%). A kind counts from 1% of the window's effort (the "
            "sign's min_kind_share param; strategic work at any size).") in sign["reason"]


def test_a_kind_above_the_floor_still_counts(tmp_path: Path) -> None:
    # 30 changes (60 h, 5.7% of 1,060 h) and an epic 8 months before the window, within
    # its 365-day reach: graded, 0% strategic, as before
    path = tmp_path / "jira.csv"
    _jira(path, 1000, 30, EIGHT_MONTHS_BEFORE)
    sign = _strategy(path, tmp_path, *WINDOW)
    assert sign["status"] == "triggered", sign["reason"]
    assert sign["confidence"] == "high"
    assert sign["metrics"]["tactical_share"]["value"] == pytest.approx(60 / 560)
    assert sign["metrics"]["strategic_share"]["value"] == 0.0


@pytest.mark.parametrize("hours", [8, 12])
def test_thin_strategic_work_is_the_finding_not_a_missing_kind(tmp_path: Path,
                                                               hours: int) -> None:
    # 2,000 incidents (1,000 h) and one epic in the window (review 22e): with 8 logged
    # hours (0.8%, under the 1% floor) it read unknown, "too thin to count", while with
    # 12 (1.2%) it read triggered. How little strategic work there is is the sign's
    # finding: strategic work counts at any size, and both read triggered
    path = tmp_path / "jira.csv"
    _jira(path, 2000, 0, None)
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    epic = rows.iloc[0].copy()
    epic.update({"Issue key": "ITSM-9999", "Issue id": "99999", "Issue Type": "Epic",
                 "Summary": "ITSM tool rollout", "Time Spent": str(3600 * hours),
                 "Created": pd.Timestamp("2026-04-02 09:00").strftime(JIRA)})
    _write(path, [*rows.to_dict("records"), epic.to_dict()])
    sign = _strategy(path, tmp_path, *WINDOW)
    assert sign["status"] == "triggered", sign["reason"]
    assert sign["metrics"]["strategic_share"]["value"] == pytest.approx(
        hours / (1000 + hours))


def test_the_floor_is_tunable(tmp_path: Path) -> None:
    # min_kind_share 0 counts any ticket: the three changes make a kind again
    path = tmp_path / "jira.csv"
    _jira(path, 2000, 3, EIGHT_MONTHS_BEFORE)
    conf = tmp_path / "itsm-diag.yaml"
    conf.write_text("signs: {strategy: {params: {min_kind_share: 0}}}\n", encoding="utf-8")
    sign = _strategy(path, tmp_path, *WINDOW, "--config", str(conf))
    assert sign["status"] == "triggered", sign["reason"]
    assert sign["metrics"]["operational_share"]["value"] == pytest.approx(1000 / 1006)


def test_min_kind_share_has_a_range() -> None:
    rules = config.load_rules()
    with pytest.raises(ConfigError, match="min_kind_share"):
        config.apply_overrides(rules, {"signs": {"strategy": {"params": {
            "min_kind_share": 0.8}}}}, source="test")
    with pytest.raises(ConfigError, match="strategic_lookback_days"):
        config.apply_overrides(rules, {"signs": {"strategy": {"params": {
            "strategic_lookback_days": -1}}}}, source="test")


@pytest.mark.parametrize(("epic_at", "clause"), [
    # 14 months before the window start, done the same day: a past practice
    (pd.Timestamp("2025-01-02 09:00"),
     "; the export's other strategic records are out of the window's reach: 1 opened "
     "before those 365 days and done by the window start"),
    # opened after the window end: an export pulled at its end would not hold it
    (pd.Timestamp("2026-06-20 09:00"),
     "the export's other strategic records are out of the window's reach: 0 opened "
     "before those 365 days and done by the window start (a past practice, not the "
     "window's: the sign's strategic_lookback_days param), 1 opened after the window end"),
], ids=["before-lookback", "after-end"])
def test_a_strategic_record_out_of_reach_proves_nothing(
        tmp_path: Path, epic_at: pd.Timestamp, clause: str) -> None:
    # before: the one epic anywhere in the export made 0% strategic a high-confidence
    # trigger
    path = tmp_path / "jira.csv"
    _jira(path, 1000, 30, epic_at)
    sign = _strategy(path, tmp_path, *WINDOW)
    assert sign["status"] == "unknown", sign["reason"]
    # the tickets as they stood at the window end: an epic opened after it is not one
    existed = ("1,030 tickets opened by the window end (kinds: change, incident)"
               if epic_at > pd.Timestamp("2026-05-31") else
               "1,031 tickets opened by the window end (kinds: change, incident, other)")
    assert (f"None of the export's {existed} is strategic work within the window's reach "
            "(opened in it or in the 365 days before it, or still open at its start)"
            ) in sign["reason"]
    assert clause in sign["reason"]


def test_a_strategic_record_open_at_the_window_start_counts(tmp_path: Path) -> None:
    # opened 14 months before, still open in the window: the practice is live
    path = tmp_path / "jira.csv"
    _jira(path, 1000, 30, pd.Timestamp("2025-01-02 09:00"))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0].update({"Status": "In Progress", "Resolution": "", "Resolved": ""})
    _write(path, rows)
    sign = _strategy(path, tmp_path, *WINDOW)
    assert sign["status"] == "triggered", sign["reason"]
    assert sign["metrics"]["strategic_share"]["value"] == 0.0
