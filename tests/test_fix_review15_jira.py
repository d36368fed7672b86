"""Jira Service Management exports as the real issue navigator writes them (review 15).

The exports below use the real "CSV (all fields)" header of the reference (export-formats
§2.2: the JSM importer's header, ``Summary, Issue key, Issue id, Issue Type, Status,
Project key…``, two ``Components`` columns, no ``Status Category``), with the issue-link
columns an all-fields export writes for each link type some exported issue has.

- Item 1 (rv15c 1): the ITSM template's own issue types (``[System] Incident``,
  ``[System] Service request``…) read as 4,298 "other" tickets and every sign came out
  unknown. They map like their bare names; a file whose issues are mostly of types
  outside the vocabulary gets a warning naming them and saying what to do.
- Item 2 (rv15c 3): with ``Components`` empty, the category kept in ``Labels`` (or the
  request type) was not read: reporting called it a configuration gap and recurrence
  fell back to a summary key. The category is the first of ``Custom field (Category)``,
  ``Components``, ``Labels``, ``Custom field (Request Type)`` filled on half the file's
  incidents and requests.
- Item 3 (rv15c 5): every genuine all-fields file was warned to be a "current fields"
  export for want of ``Status Category``, with advice to export "CSV (all fields)".
- Item 4 (rv15c 2): a desk with no problem management, exported with all fields (link
  columns ``Causes`` written, no ``Problem/Incident`` one), read recurrence as unknown
  and told the user to "export the incidents with their problem field". The export shows
  no incident names a problem: the clusters are graded. A Jira export with no link
  columns at all stays unknown, with advice a Jira user can follow.
- Item 5 (rv15a 6): recurrence's no-key reason counted the problem links of the whole
  export beside the window's incidents (380 against the window's 317).
"""

from __future__ import annotations

import csv
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from casekit import run_case
from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

#: the real all-fields header of a JSM project (reference §2.2), up to the link columns
HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Project type", "Project lead", "Project description", "Project url", "Priority",
    "Resolution", "Assignee", "Reporter", "Creator", "Created", "Updated", "Last Viewed",
    "Resolved", "Fix versions", "Components", "Components", "Due date", "Votes", "Labels",
    "Labels", "Description", "Environment", "Watchers", "Watchers", "Log Work",
    "Original Estimate", "Remaining Estimate", "Time Spent", "Work Ratio",
    "Σ Original Estimate", "Σ Remaining Estimate", "Σ Time Spent", "Security Level",
    "Custom field (Change completion date)", "Custom field (Change reason)",
    "Custom field (Change risk)", "Custom field (Change start date)",
    "Custom field (Change type)", "Custom field (Epic Link)", "Custom field (Impact)",
    "Custom field (Request Type)", "Sprint", "Custom field (Start date)",
    "Custom field ([CHART] Date of First Response)", "Comment", "Comment",
]
#: a "CSV (current fields)" export: the navigator's default columns (no Resolved)
CURRENT = ["Issue Type", "Issue key", "Issue id", "Summary", "Assignee", "Reporter",
           "Priority", "Status", "Resolution", "Created", "Updated", "Due date"]
START = datetime(2026, 1, 5, 9, 0)
#: four recurring issues, each in its own category: (category, summary, incidents)
RECURRING = [("Network", "VPN disconnects every few minutes", 8),
             ("Email", "Outlook crashes opening the shared calendar", 6),
             ("Hardware", "Printer on the third floor jams", 5),
             ("Software", "Teams audio cuts out in calls", 4)]
CATEGORIES = ("Network", "Email", "Hardware", "Software", "Access", "Application")
#: words of one-off summaries: each one-off has two words no other summary has
_WORDS = ["".join(p) for p in itertools.product("bdfgklmnprstvz", "aeiou", "bdgklmnprst")]


def jdate(t: datetime | None) -> str:
    """Jira's default date form: ``12/Jan/26 3:45 PM``."""
    return "" if t is None else t.strftime("%d/%b/%y %I:%M %p").replace(" 0", " ")


def desk(*, types: dict[str, str] | None = None, problems: bool = False) -> list[dict[str, Any]]:
    """Issues over 12 weeks: 23 incidents in four recurring issues, 90 one-off incidents
    (all resolved), 40 service requests and 3 changes, one of which caused an incident.
    ``types``: the Issue Type of each kind (the bare names by default). ``problems``: one
    Problem issue, linked to the first recurring issue's incidents."""
    names = {"incident": "Incident", "request": "Service Request", "change": "Change",
             "problem": "Problem", **(types or {})}
    rows: list[dict[str, Any]] = []

    def add(kind: str, summary: str, category: str, opened: datetime, **extra: Any) -> None:
        n = len(rows)
        resolved = opened + timedelta(hours=5)
        rows.append({"Summary": summary, "Issue key": f"ITSD-{100 + n}",
                     "Issue id": str(10100 + n), "Issue Type": names[kind],
                     "Status": "Resolved", "Resolution": "Done", "Priority": "Medium",
                     "Assignee": f"Agent {n % 5}", "Reporter": f"User {n % 70}",
                     "Created": jdate(opened), "Updated": jdate(resolved),
                     "Resolved": jdate(resolved), "Components": category,
                     "Custom field (Request Type)": {
                         "incident": "Report a system problem",
                         "request": "Get IT help"}.get(kind, ""),
                     "kind": kind, **extra})

    for k, (category, summary, count) in enumerate(RECURRING):
        for i in range(count):
            add("incident", summary, category, START + timedelta(days=9 * i + k, hours=k))
    for i in range(90):
        add("incident", f"{_WORDS[2 * i]} {_WORDS[2 * i + 1]} not working",
            CATEGORIES[i % len(CATEGORIES)], START + timedelta(hours=19 * i + 3))
    for i in range(40):
        add("request", f"Please {_WORDS[300 + 2 * i]} {_WORDS[301 + 2 * i]}",
            CATEGORIES[i % len(CATEGORIES)], START + timedelta(hours=40 * i + 5))
    for i in range(3):
        add("change", f"Upgrade {_WORDS[500 + i]}", "Application",
            START + timedelta(days=20 * i + 2))
    # the second change caused an incident (a Causes link, as JSM writes it)
    rows[-2]["Outward issue link (Causes)"] = rows[30]["Issue key"]
    rows[30]["Inward issue link (Causes)"] = rows[-2]["Issue key"]
    if problems:
        add("problem", "VPN drops", "Network", START + timedelta(days=30))
        rows[-1]["Status"], rows[-1]["Resolution"], rows[-1]["Resolved"] = "Open", "", ""
        for row in rows[:RECURRING[0][2]]:
            row["Outward issue link (Problem/Incident)"] = rows[-1]["Issue key"]
    return rows


def links_of(rows: list[dict[str, Any]]) -> list[str]:
    """The link columns an all-fields export writes: one a link type and direction some
    issue has."""
    found = {k for r in rows for k, v in r.items() if "issue link" in k and v}
    return sorted(found)


def write(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None,
          links: bool = True) -> Path:
    """The rows as Jira writes them: ``header`` (the all-fields one by default) with the
    link columns after it (``links``), repeated columns by position."""
    head = list(header or HEADER) + (links_of(rows) if links else [])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(head)
        for r in rows:
            out, seen = [], set()
            for h in head:
                # a repeated column (Components, Labels) holds its value in its first place
                out.append("" if h in seen else str(r.get(h, "")))
                seen.add(h)
            w.writerow(out)
    return path


def sign(paths: list[Path], sign_id: str) -> Any:
    report = api.diagnose_paths(paths, api.RunOptions())
    return next(s for s in report.signs if s.id == sign_id)


def codes(finding: Any) -> set[str]:
    return {n.code for n in finding.evidence.notes} | {n.code for n in finding.evidence.excluded}


def value(finding: Any, metric: str) -> Any:
    return finding.metrics[metric].value


def loaded(path: Path) -> Any:
    return load_paths([path], ImportOptions())


# ---- item 1: the ITSM template's [System] issue types -----------------------------------

SYSTEM = {"incident": "[System] Incident", "request": "[System] Service request",
          "change": "[System] Change", "problem": "[System] Problem"}


def test_system_issue_types_map_like_their_bare_names(tmp_path: Path) -> None:
    rows = desk(types=SYSTEM, problems=True)
    rows[40]["Issue Type"] = "[System] Service request with approvals"
    rows[41]["Issue Type"] = "[System] Post-incident review"
    got = loaded(write(tmp_path / "sys.csv", rows))
    kinds = {k: n for k, n in got.tickets[m.KIND].value_counts().items() if n}
    want = pd.Series([r["kind"] for r in rows]).value_counts().to_dict()
    # rows 40 and 41 were incidents: a request with approvals, a post-incident review
    want["incident"] -= 2
    want["request"] += 1
    assert kinds == {**want, "other": 1}
    assert not any("outside its vocabulary" in w for w in got.sources[0].warnings)


def test_system_issue_types_give_the_same_verdicts_as_the_bare_names(tmp_path: Path) -> None:
    bare = sign([write(tmp_path / "bare.csv", desk())], "recurrence")
    system = sign([write(tmp_path / "sys.csv", desk(types=SYSTEM))], "recurrence")
    assert system.status == bare.status == "triggered"
    assert value(system, "uncovered_clusters") == value(bare, "uncovered_clusters") == 4


def test_a_file_of_unknown_issue_types_says_what_to_do(tmp_path: Path) -> None:
    types = {"incident": "Hardware fault", "request": "Laptop order"}
    got = loaded(write(tmp_path / "custom.csv", desk(types=types)))
    assert (got.tickets[m.KIND] == "other").mean() > 0.9
    said = [w for w in got.sources[0].warnings if w.startswith("most of this file's issues")]
    assert len(said) == 1
    note = said[0]
    # names the values, and what to do with them
    assert "'Hardware fault' (113)" in note and "'Laptop order' (40)" in note
    assert "values.kind" in note and "mapping file" in note
    assert "Rename those types" in note


def test_a_few_unknown_issue_types_get_no_advice(tmp_path: Path) -> None:
    rows = desk()
    for r in rows[:5]:
        r["Issue Type"] = "Hardware fault"
    got = loaded(write(tmp_path / "few.csv", rows))
    warnings = got.sources[0].warnings
    assert any("'Hardware fault' (5)" in w for w in warnings)
    assert not any(w.startswith("most of this file's issues") for w in warnings)


# ---- item 2: category from Labels / Request Type ----------------------------------------

def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The desk categorising with a label: Components empty, the category the first
    label."""
    for r in rows:
        r["Labels"], r["Components"] = r["Components"].lower(), ""
    return rows


def test_labels_are_the_category_when_components_are_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "labels.csv", _labelled(desk()))
    got = loaded(path)
    assert got.tickets[m.CATEGORY].notna().all()
    assert set(got.tickets[m.CATEGORY]) == {c.lower() for c in CATEGORIES}
    column = got.sources[0].column_map[m.CATEGORY]
    assert column.startswith("Labels")
    # the first of two Labels columns is read by design: no "keep one such column"
    assert not any("share the header 'Labels'" in w for w in got.sources[0].warnings)
    rec = sign([path], "recurrence")
    assert "category" in next(n.text for n in rec.evidence.notes if n.code == "key_used")
    assert value(rec, "uncovered_clusters") == 4
    reporting = sign([path], "reporting")
    rows = {r["kpi"]: r for r in reporting.evidence.tables["kpis"]}
    assert rows["volume_by_category"]["gap"] is None


def test_the_request_type_is_the_category_without_components_or_labels(
        tmp_path: Path) -> None:
    rows = desk()
    for r in rows:
        r["Components"] = ""
    got = loaded(write(tmp_path / "rt.csv", rows))
    assert got.sources[0].column_map[m.CATEGORY] == "Custom field (Request Type)"
    incidents = got.tickets[got.tickets[m.KIND] == "incident"]
    assert (incidents[m.CATEGORY] == "Report a system problem").all()


def test_components_stay_the_category_when_filled(tmp_path: Path) -> None:
    rows = desk()
    for r in rows:
        r["Labels"] = "vip"
    got = loaded(write(tmp_path / "comp.csv", rows))
    assert got.sources[0].column_map[m.CATEGORY] == (
        "Components (the issue's first, of 2 columns)")
    assert set(got.tickets[m.CATEGORY]) == set(CATEGORIES)


def test_an_empty_category_column_is_still_in_the_export(tmp_path: Path) -> None:
    # Components empty and nothing else to read: the header has the field (a gap of the
    # workflow, named in the column map), as before
    rows = desk()
    for r in rows:
        r["Components"] = r["Custom field (Request Type)"] = ""
    got = loaded(write(tmp_path / "empty.csv", rows))
    assert got.sources[0].column_map[m.CATEGORY].startswith("Components")
    assert got.tickets[m.CATEGORY].isna().all()


# ---- item 3: Status Category is no all-fields column -------------------------------------

def test_a_real_all_fields_header_gets_no_current_fields_warning(tmp_path: Path) -> None:
    got = loaded(write(tmp_path / "all.csv", desk()))
    warnings = got.sources[0].warnings
    assert not any("Status Category" in w for w in warnings)
    assert not any("CSV (all fields)" in w for w in warnings)


def test_a_current_fields_export_is_still_named(tmp_path: Path) -> None:
    got = loaded(write(tmp_path / "cur.csv", desk(), CURRENT, links=False))
    said = [w for w in got.sources[0].warnings if "column in this file" in w]
    assert len(said) == 1
    assert said[0].startswith("no Resolved column in this file")
    assert "Status Category" not in said[0]


# ---- item 4: problem links in an all-fields export ----------------------------------------

def test_link_columns_without_problem_links_grade_recurrence(tmp_path: Path) -> None:
    path = write(tmp_path / "nolinks.csv", desk())
    with open(path, encoding="utf-8") as f:
        head = next(csv.reader(f))
    assert "Outward issue link (Causes)" in head
    assert not any("Problem/Incident" in h for h in head)
    rec = sign([path], "recurrence")
    assert rec.status == "triggered"
    assert value(rec, "recurring_clusters") == value(rec, "uncovered_clusters") == 4
    assert "links_by_header" in codes(rec)
    assert loaded(path).sources[0].column_map[m.PROBLEM_REF] == (
        "issue-link columns (no Problem/Incident link written)")


def test_the_text_clusters_read_the_links_as_the_sign_does(tmp_path: Path) -> None:
    # the analysis under the sign said "No incident names a problem … cannot be told"
    # beside the sign's clusters counted without a problem record on the same evidence
    path = write(tmp_path / "nolinks.csv", desk())
    report = api.diagnose_paths([path], api.RunOptions())
    clusters = report.analyses["text-clusters"]
    assert "no_problem_links" not in {n.code for n in clusters.notes}
    assert clusters.metrics["covered_share"].value == 0
    bare = api.diagnose_paths([write(tmp_path / "bare.csv", desk(), links=False)],
                              api.RunOptions())
    assert "no_problem_links" in {n.code for n in bare.analyses["text-clusters"].notes}


def test_problem_links_still_cover_their_cluster(tmp_path: Path) -> None:
    rec = sign([write(tmp_path / "links.csv", desk(problems=True))], "recurrence")
    assert value(rec, "recurring_clusters") == 4
    assert value(rec, "uncovered_clusters") == 3
    assert "links_by_header" not in codes(rec)


def test_no_link_columns_at_all_stay_unknown_with_jira_advice(tmp_path: Path) -> None:
    rec = sign([write(tmp_path / "bare.csv", desk(), links=False)], "recurrence")
    assert rec.status == "unknown"
    assert value(rec, "uncovered_clusters") is None
    assert "CSV (all fields)" in rec.reason and "Problem issues" in rec.reason
    assert "Export the incidents with their problem field" not in rec.reason


def test_a_current_fields_export_with_link_columns_stays_unknown(tmp_path: Path) -> None:
    # without Resolved, Updated, Status or Resolution the file is no all-fields export:
    # which link columns it writes proves nothing
    head = [h for h in HEADER if h != "Resolved"]
    rec = sign([write(tmp_path / "cut.csv", desk(), head)], "recurrence")
    assert rec.status == "unknown"


def test_link_columns_holding_no_link_prove_nothing(tmp_path: Path) -> None:
    # Jira writes a link column only for a link some issue has: empty link columns are
    # no Jira export's (a file made or re-saved by something else), and show nothing
    rows = desk()
    head = [*HEADER, "Inward issue link (Causes)", "Outward issue link (Causes)"]
    for r in rows:
        r.pop("Inward issue link (Causes)", None)
        r.pop("Outward issue link (Causes)", None)
    path = write(tmp_path / "empty_links.csv", rows, head, links=False)
    assert m.PROBLEM_REF not in loaded(path).sources[0].column_map
    assert sign([path], "recurrence").status == "unknown"


def test_another_tools_empty_problem_column_stays_unknown(tmp_path: Path) -> None:
    # a ServiceNow list with its Problem column, blank on every incident: as before
    rows = [r for r in desk() if r["kind"] == "incident"]
    path = tmp_path / "incident.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["number", "short_description", "category", "state", "priority",
                    "opened_at", "resolved_at", "problem_id"])
        for i, r in enumerate(rows):
            opened = datetime.strptime(r["Created"], "%d/%b/%y %I:%M %p")
            w.writerow([f"INC{1000 + i:07d}", r["Summary"], r["Components"], "Resolved",
                        "3 - Moderate", opened.strftime("%Y-%m-%d %H:%M:%S"),
                        (opened + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S"), ""])
    got = loaded(path)
    assert got.sources[0].tool == "servicenow"
    assert m.PROBLEM_REF in got.sources[0].column_map
    rec = sign([path], "recurrence")
    assert rec.status == "unknown"
    assert "Export the incidents with their problem field" in rec.reason


# ---- item 5: one scope in the no-key sentence ----------------------------------------------

def test_the_no_key_reason_counts_the_windows_problem_links() -> None:
    # 40 incidents in the window without any key, 10 of them linked; 30 linked ones
    # opened long before the window
    case = {
        "as_of": "2024-04-01T00:00:00",
        "tickets": [
            {"_id": "W", "kind": "incident", "status": "resolved",
             "opened_at": "2024-01-10T09:00:00", "resolved_at": "2024-01-10T13:00:00",
             "_count": 30, "_every": "1D"},
            {"_id": "L", "kind": "incident", "status": "resolved", "problem_ref": "PRB1",
             "opened_at": "2024-02-20T09:00:00", "resolved_at": "2024-02-20T13:00:00",
             "_count": 10, "_every": "1D"},
            {"_id": "O", "kind": "incident", "status": "resolved", "problem_ref": "PRB1",
             "opened_at": "2023-01-10T09:00:00", "resolved_at": "2023-01-10T13:00:00",
             "_count": 30, "_every": "1D"},
        ],
    }
    finding = run_case("recurrence", case)
    assert finding.status == "unknown"
    assert "window's 40 incidents" in finding.reason
    assert "and 10 of them carry a problem link" in finding.reason
    assert "40 incidents carry" not in finding.reason


@pytest.mark.parametrize("name", ["no_problem_links", "no_problem_link_columns",
                                  "links_by_header"])
def test_the_link_messages_say_the_problem_records_are_the_exports(name: str) -> None:
    from itsm_diag import config

    text = config.load_rules().get("recurrence").messages[name]
    assert "problem records in the export" in text


# ---- review 15, rd15 items 2 and 6: the link columns' evidence is the file's -------------
#
# rd15 2: one all-fields file with issue-link columns (no Problem/Incident one) beside
# "current fields" files without any link column made recurrence count every cluster of
# the tool without a problem record (53 of 53), the current-fields files' too. The
# evidence is per file: a cluster with an incident of a file that cannot show its links
# is left out, with a note naming the files; the text clusters follow the same rule.
# rd15 6: the links_by_header note counted every tool's problem records as the Jira
# export's (32, 20 of them ServiceNow's).

#: "CSV (current fields)": the all-fields columns a user's view keeps, without Resolved
#: and without any issue-link column
CURRENT_NO_LINKS = [h for h in HEADER if h != "Resolved"]


def _split_desk(tmp_path: Path, in_b: set[int], mixed: set[int] = frozenset()
                ) -> list[Path]:
    """desk() in two files: ``all.csv`` all fields with its issue-link columns (Causes
    only, no Problem/Incident), ``cur.csv`` a current-fields file with no link column.
    The incidents of the recurring issues numbered in ``in_b`` go to cur.csv, those of
    ``mixed`` alternate between the files; odd one-offs go to cur.csv too."""
    rows = desk()
    a: list[dict[str, Any]] = []
    b: list[dict[str, Any]] = []
    n = 0
    for k, (_, _, count) in enumerate(RECURRING):
        for i in range(count):
            row = rows[n]
            n += 1
            to_b = k in in_b or (k in mixed and i % 2 == 1)
            (b if to_b else a).append(row)
    for i, row in enumerate(rows[n:]):
        if row["kind"] == "incident" and i % 2 == 1 and "Inward issue link (Causes)" not in row:
            b.append(row)
        else:
            a.append(row)
    return [write(tmp_path / "all.csv", a),
            write(tmp_path / "cur.csv", b, CURRENT_NO_LINKS, links=False)]


def _note(finding: Any, code: str) -> str:
    return next(n.text for n in [*finding.evidence.notes, *finding.evidence.excluded]
                if n.code == code)


def test_a_current_fields_file_is_not_shown_linkless_by_another_files_columns(
        tmp_path: Path) -> None:
    # issue 0 mixes the files, issue 1 is the all-fields file's, issues 2 and 3 the
    # current-fields file's: only issue 1's cluster can be told without a problem record
    paths = _split_desk(tmp_path, in_b={2, 3}, mixed={0})
    srcs = loaded(paths[0]).sources[0].column_map, loaded(paths[1]).sources[0].column_map
    assert m.PROBLEM_REF in srcs[0] and m.PROBLEM_REF not in srcs[1]
    rec = sign(paths, "recurrence")
    assert value(rec, "recurring_clusters") == 4
    assert value(rec, "uncovered_clusters") == 1  # was 4: every cluster of the tool
    assert rec.metrics["uncovered_share"].value == 1.0
    assert rec.metrics["uncovered_share"].denominator == 1
    left = _note(rec, "links_files")
    assert "'cur.csv'" in left and "'all.csv'" not in left
    assert "The 3 recurring clusters" in left
    said = _note(rec, "links_by_header_files")
    assert "headers of 1 of its 2 files" in said and "'all.csv'" in said
    assert "links_by_header" not in codes(rec)


def test_current_fields_files_alone_in_the_window_stay_unknown(tmp_path: Path) -> None:
    # the report's export: every recurring incident in the current-fields file (the
    # all-fields file's incidents recur in none) reads unknown, as those files alone do
    paths = _split_desk(tmp_path, in_b={0, 1, 2, 3})
    rec = sign(paths, "recurrence")
    assert rec.status == "unknown"
    assert value(rec, "recurring_clusters") == 4
    assert value(rec, "uncovered_clusters") is None
    assert "'cur.csv'" in rec.reason and "CSV (all fields)" in rec.reason
    assert "links_by_header" not in codes(rec)
    alone = sign([paths[1]], "recurrence")
    assert alone.status == "unknown" and value(alone, "uncovered_clusters") is None


def test_the_text_clusters_read_the_links_per_file(tmp_path: Path) -> None:
    # the analysis said 0 of the 4 recurring text clusters are linked, on the evidence of
    # a file that holds one of them whole
    paths = _split_desk(tmp_path, in_b={2, 3}, mixed={0})
    clusters = api.diagnose_paths(paths, api.RunOptions()).analyses["text-clusters"]
    assert "covered_share" not in clusters.metrics
    assert "no_problem_links" in {n.code for n in clusters.notes}
    assert all(row["problem_linked"] is None for row in clusters.tables["clusters"].rows)
    # the all-fields file alone still shows it
    whole = api.diagnose_paths([write(tmp_path / "one.csv", desk())], api.RunOptions())
    assert whole.analyses["text-clusters"].metrics["covered_share"].value == 0


def test_every_all_fields_file_keeps_the_tool_note(tmp_path: Path) -> None:
    # two all-fields files, both with issue-link columns: the tool's note, as before
    rows = desk()
    half = len(rows) // 2
    paths = [write(tmp_path / "a.csv", rows[:half]), write(tmp_path / "b.csv", rows[half:])]
    rec = sign(paths, "recurrence")
    assert value(rec, "uncovered_clusters") == 4
    assert "links_by_header" in codes(rec)
    assert {"links_files", "links_by_header_files"}.isdisjoint(codes(rec))


def test_the_header_note_counts_the_problem_records_of_its_tool(tmp_path: Path) -> None:
    # a Jira desk with one Problem issue (linked to nothing) beside ServiceNow's problem
    # list of five: the note on Jira's export says 1, not 6
    rows = desk()
    rows.append({**rows[0], "Summary": "VPN drops", "Issue key": "ITSD-999",
                 "Issue id": "10999", "Issue Type": "Problem", "Status": "Open",
                 "Resolution": "", "Resolved": "", "kind": "problem"})
    jira = write(tmp_path / "jira.csv", rows)
    prb = tmp_path / "problem.csv"
    with prb.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["number", "short_description", "state", "priority", "opened_at"])
        for i in range(5):
            w.writerow([f"PRB{40001 + i:07d}", f"Problem {i}", "Open", "3 - Moderate",
                        (START + timedelta(days=3 * i)).strftime("%Y-%m-%d %H:%M:%S")])
    rec = sign([jira, prb], "recurrence")
    said = _note(rec, "links_by_header")
    assert "(1 problem records in the export opened by the window end and not cancelled)" in said
