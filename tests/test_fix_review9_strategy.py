"""Review 9 (rv9c), items 2 and 4: the strategy sign's evidence of project work.

Item 2: desk tasks whose summary holds "program" or "project" ("Install program Visio",
"Create project folder") counted as strategic work, and an export holding no project work
read "clear, high confidence" at 12% strategic. A word in a summary is no project record:
such tasks are listed by word, not counted, and the export without project records is
unknown.

Item 4: the Jira importer mapped Epic and Story to kind ``other`` and dropped the issue
type, so an export holding Epics read "no project, epic or initiative", and once graded
its epics' work was tactical. Epics now carry the label ``epic``, the issues under them
(Epic Link, Parent) ``epic:KEY``, and the sign counts both as project work.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

runner = CliRunner()
START = pd.Timestamp("2026-01-05 09:00")
SN = "%Y-%m-%d %H:%M:%S"
JIRA = "%d/%b/%y %I:%M %p"


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, list(rows[0]), quoting=csv.QUOTE_ALL)
        out.writeheader()
        out.writerows(rows)


def _incidents(folder: Path, n: int = 300) -> None:
    """n closed incidents, one every 6 hours over 75 days, 1 hour logged each."""
    rows = []
    for i in range(n):
        opened = START + pd.Timedelta(hours=6 * i)
        rows.append({"number": f"INC{i + 1:07d}", "short_description": "VPN drops",
                     "state": "Closed", "opened_at": opened.strftime(SN),
                     "resolved_at": (opened + pd.Timedelta(hours=2)).strftime(SN),
                     "closed_at": (opened + pd.Timedelta(hours=2)).strftime(SN),
                     "time_worked": "1 Hours"})
    _write(folder / "incident.csv", rows)


def _strategy(folder: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{folder.name}.json"
    result = runner.invoke(app, ["diagnose", str(folder), "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1, 2), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    sign: dict[str, Any] = next(s for s in report["signs"] if s["id"] == "strategy")
    return sign


# ---- item 2: summary words ------------------------------------------------------------
def _desk_tasks(folder: Path) -> None:
    """60 desk tasks, 3 h each: 20 'Install program Visio', 20 'Create project folder',
    20 'Replace toner'. No project, epic or initiative anywhere."""
    names = ["Install program Visio for new user", "Create project folder on file share",
             "Replace toner in 2nd floor printer"]
    rows = []
    for i in range(60):
        opened = START + pd.Timedelta(hours=30 * i)
        rows.append({"number": f"TASK{i + 1:07d}", "sys_class_name": "Task",
                     "short_description": names[i % 3], "state": "Closed Complete",
                     "opened_at": opened.strftime(SN),
                     "closed_at": (opened + pd.Timedelta(days=1)).strftime(SN),
                     "time_worked": "3 Hours"})
    _write(folder / "task.csv", rows)


def test_desk_tasks_naming_program_or_project_are_no_project_work(tmp_path: Path) -> None:
    # 300 h of incidents, 180 h of desk tasks of which 60 h "Create project folder" and 60 h
    # "Install program": the old code counted 120 h of 480 (25%) strategic and cleared
    export = tmp_path / "desk"
    export.mkdir()
    _incidents(export)
    _desk_tasks(export)
    sign = _strategy(export, tmp_path)
    assert sign["status"] == "unknown", sign["reason"]
    assert "no project, epic or initiative record" in sign["reason"]
    assert sign["metrics"]["strategic_share"]["value"] is None
    tables = sign["evidence"]["tables"]
    rows = {(r["rule"], r["bucket"]): r["tickets"] for r in tables["classification"]}
    assert ("strategic word", "strategic") not in rows
    assert rows[("summary word", "tactical")] == 20  # the project folders; not "program"
    # which tickets matched which word, in the table and the note
    words = tables["project_words"]
    assert [(w["field"], w["word"], w["bucket"], w["tickets"]) for w in words] == [
        ("summary", "project", "tactical", 20)]
    assert words[0]["hours_logged"] == pytest.approx(60.0)
    assert words[0]["sample_ids"][:2] == ["TASK0000002", "TASK0000005"]
    notes = [n["text"] for n in sign["evidence"]["notes"]]
    assert any("by word (tickets): project (20)" in n for n in notes), notes


def test_the_same_tasks_labelled_project_are_project_work(tmp_path: Path) -> None:
    # the label is a field the team sets on a record: the evidence a summary word is not
    export = tmp_path / "labelled"
    export.mkdir()
    _incidents(export)
    _desk_tasks(export)
    path = export / "task.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        r["u_labels"] = "project" if "project" in r["short_description"] else ""
    _write(path, rows)
    sign = _strategy(export, tmp_path)
    assert sign["status"] == "clear", sign["reason"]
    assert sign["confidence"] == "high"
    assert sign["metrics"]["strategic_share"]["value"] == pytest.approx(60 / 480)
    words = sign["evidence"]["tables"]["project_words"]
    assert [(w["field"], w["word"], w["tickets"]) for w in words] == [("labels", "project", 20)]


def _relabel(path: Path, change: Any) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        change(r)
    _write(path, rows)


def test_a_trigger_the_summary_tasks_could_undo_is_unknown(tmp_path: Path) -> None:
    # 500 h of incidents, next to no labelled project work: the sign would trigger; the
    # tasks naming a project in their summary alone (22 in the window) would make
    # strategic work 14% were they project work, so the trigger is not shown
    export = tmp_path / "could"
    export.mkdir()
    _incidents(export, n=500)
    _desk_tasks(export)
    path = export / "task.csv"

    def change(r: dict[str, str]) -> None:
        if "toner" in r["short_description"]:
            r["short_description"] = "Create project folder on file share"
        r["u_labels"] = "project" if r["number"] in ("TASK0000003", "TASK0000006") else ""
    _relabel(path, change)
    sign = _strategy(export, tmp_path)
    assert sign["status"] == "unknown", sign["reason"]
    assert "were they project work, strategic work would be 14%" in sign["reason"]
    assert "project (22)" in sign["reason"]


def test_the_summary_words_note_names_no_hours_where_effort_is_counted(
        tmp_path: Path) -> None:
    # no time logged: the split is by tickets, and the note said "0.0 hours logged"
    export = tmp_path / "counted"
    export.mkdir()
    _incidents(export)
    _desk_tasks(export)
    for name in ("incident.csv", "task.csv"):
        frame = pd.read_csv(export / name, dtype=str).drop(columns=["time_worked"])
        frame.to_csv(export / name, index=False)
    sign = _strategy(export, tmp_path)
    said = [n["text"] for n in sign["evidence"]["notes"] if n["code"] == "summary_words"]
    assert said and "effort counted by tickets" in said[0], said
    assert "hours logged" not in said[0]


# ---- item 4: Jira epics ----------------------------------------------------------------
_JIRA_HEAD = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Status Category",
              "Project key", "Priority", "Resolution", "Assignee", "Reporter", "Created",
              "Updated", "Resolved", "Labels", "Time Spent"]


def _jira(path: Path, link: str | None, n_stories: int = 40) -> None:
    """2 Epics (INF-1, INF-2, 10 h each) and ``n_stories`` Stories (10 h each) tied to
    them through ``link`` (a column: the epic's key, or its issue id for Parent), a
    Sub-task under INF-3 (4 h) and a Bug with no epic (4 h); no labels."""
    rows = []

    def row(k: int, typ: str, summary: str, hours: float, **extra: str) -> dict[str, Any]:
        opened = START + pd.Timedelta(hours=40 * k)
        done = (opened + pd.Timedelta(days=3)).strftime(JIRA)
        out = {"Summary": summary, "Issue key": f"INF-{k}", "Issue id": str(10000 + k),
               "Issue Type": typ, "Status": "Done", "Status Category": "Done",
               "Project key": "INF", "Priority": "Medium", "Resolution": "Done",
               "Assignee": "D", "Reporter": "E", "Created": opened.strftime(JIRA),
               "Updated": done, "Resolved": done, "Labels": "",
               "Time Spent": str(int(hours * 3600))}
        if link is not None:
            out[link] = ""
        out.update(extra)
        return out

    rows.append(row(1, "Epic", "Windows 11 rollout", 10))
    rows.append(row(2, "Epic", "Migrate mailboxes to Exchange Online", 10))
    for k in range(3, 3 + n_stories):
        epic = 1 + k % 2
        ref = {} if link is None else {
            link: str(10000 + epic) if link == "Parent" else f"INF-{epic}"}
        rows.append(row(k, "Story", "Configure autopilot profile", 10, **ref))
    k = 3 + n_stories
    ref = {} if link is None else {link: "10003" if link == "Parent" else ""}
    rows.append(row(k, "Sub-task", "Test the profile", 4, **ref))
    rows.append(row(k + 1, "Bug", "Fix a typo on the portal", 4))
    _write(path, rows)


def _load_jira(path: Path) -> tuple[pd.DataFrame, list[str]]:
    loaded = load_paths([path], ImportOptions())
    warnings = [w for s in loaded.sources for w in s.warnings]
    return loaded.tickets.set_index(m.TICKET_ID), warnings


@pytest.mark.parametrize("link", ["Custom field (Epic Link)", "Parent"])
def test_jira_epics_and_their_work_are_labelled_as_project_records(
        tmp_path: Path, link: str) -> None:
    path = tmp_path / "jira.csv"
    _jira(path, link, n_stories=4)
    t, warnings = _load_jira(path)
    labels = t[m.LABELS]
    assert labels["INF-1"] == "epic" and labels["INF-2"] == "epic"
    assert labels["INF-3"] == "epic:INF-2" and labels["INF-4"] == "epic:INF-1"
    if link == "Parent":
        # a sub-task follows its parent story to the story's epic
        assert labels["INF-7"] == "epic:INF-2"
    else:
        assert pd.isna(labels["INF-7"])  # an Epic Link column names no sub-task's epic
    assert pd.isna(labels["INF-8"])  # the bug under no epic
    assert any("project records: 2 epic-level issues the label of their type (epic) and "
               "5 issues under an epic the label epic:KEY" in w
               for w in warnings) if link == "Parent" else any(
        "project records: 2 epic-level issues the label of their type (epic) and 4 issues"
        in w for w in warnings), warnings


def test_jira_epic_already_labelled_keeps_its_labels(tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    _jira(path, None, n_stories=2)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["Labels"] = "Epic"
    _write(path, rows)
    t, warnings = _load_jira(path)
    assert t.loc["INF-1", m.LABELS] == "Epic" and t.loc["INF-2", m.LABELS] == "epic"
    # epics without a Parent or Epic Link column: the work under them cannot be told
    assert any("2 epic-level issues (epic) but no Parent or Epic Link column" in w
               for w in warnings), warnings


def test_jira_epics_count_as_project_work_in_the_strategy_sign(tmp_path: Path) -> None:
    # 300 h of incidents; 2 epics (20 h) and 40 stories under them (400 h); a sub-task and
    # a bug (8 h, no epic). The old code: kind other, "other planned work" -> tactical for
    # all of it, and (with no strategic word) "no project, epic or initiative": unknown
    export = tmp_path / "jira_epics"
    export.mkdir()
    _incidents(export)
    _jira(export / "jira.csv", "Custom field (Epic Link)")
    sign = _strategy(export, tmp_path)
    assert sign["status"] == "clear", sign["reason"]
    assert sign["confidence"] == "high"
    assert sign["metrics"]["strategic_share"]["value"] == pytest.approx(420 / 728)
    assert sign["metrics"]["tactical_share"]["value"] == pytest.approx(8 / 728)
    words = sign["evidence"]["tables"]["project_words"]
    assert [(w["field"], w["word"], w["tickets"]) for w in words] == [("labels", "epic", 42)]


def test_jira_epics_without_links_still_answer_the_presence_rule(tmp_path: Path) -> None:
    # without Epic Link / Parent the stories stay other planned work, but the Epics are
    # project records: the sign is graded, not "no project, epic or initiative"
    export = tmp_path / "jira_nolinks"
    export.mkdir()
    _incidents(export)
    _jira(export / "jira.csv", None)
    sign = _strategy(export, tmp_path)
    assert sign["status"] != "unknown", sign["reason"]
    assert sign["metrics"]["strategic_share"]["value"] == pytest.approx(20 / 728)
