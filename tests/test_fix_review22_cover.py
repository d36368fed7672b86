"""Problem coverage as the window end saw it (review 22b, findings 1, 4 and 6).

1. A problem opened after the window end covered a cluster: the same March-May read
   "triggered, 4 of 5 uncovered" from an export pulled on 1 June and "clear, 2 of 5" from
   one pulled on 15 July, once the problem manager had opened two problems in June and
   linked the clusters' last incidents to them (``/work/rv22b/r2_flip.py``). A link to a
   problem record of the export counts only when that problem was opened by the window
   end (the one rule the problem records figure already used); a link to a problem
   outside the export counts as before. The text-clusters analysis reads the same links.
4. An incident list exported alone (no problem table) printed "0 problem records" beside
   clusters covered by problem links (``r3_no_problem_table.sh``): the figure is n/a,
   with a note giving the distinct problems the window's incidents name.
6. A problem cancelled by the window end ("not a problem", the day after it was opened)
   covered its cluster and counted as a problem record (``r1_build.py``, C3): it does
   neither, with a note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.render import html, markdown
from itsm_diag.render import json as json_render
from itsm_diag.writers.zendesk import write_zendesk_pages

SINCE, UNTIL = "2026-03-01", "2026-05-31"
#: the clusters' summaries, one issue each (no two share a word that matters)
TOPICS = ("Payroll screen freezes when exporting payslips",
          "VPN tunnel drops every morning at login",
          "Printer queue jams on the third floor",
          "Outlook calendar invites vanish from mailbox",
          "Badge reader rejects visitor cards at reception",
          "Timesheet portal rejects weekend overtime entries",
          "Scanner driver crashes after firmware update",
          "Shared drive mapping fails for new laptops")


def _words(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` one-off summaries, each of three made-up words no other shares."""
    letters = rng.integers(0, 26, (n, 3, 7)) + ord("a")
    return [" ".join(bytes(w.astype(np.uint8)).decode() for w in row) for row in letters]


def _incidents(clusters: dict[str, str], seed: int = 11, background: int = 400,
               late: int = 0) -> pd.DataFrame:
    """A ServiceNow incident list: ``background`` one-off incidents over January-June 2026
    (each its own CI) and, per cluster name, four incidents on its CI 10 days apart from
    March, the last naming the cluster's problem (blank: none). ``late``: incidents of
    June and July (an export pulled weeks after the window)."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        rng.integers(0, 181 * 24 * 60, background), unit="m")
    frames = [pd.DataFrame({
        "opened_at": opened, "cmdb_ci": [f"srv-bg-{i:04d}" for i in range(background)],
        "category": np.array(["Software", "Hardware", "Network"])[np.arange(background) % 3],
        "short_description": _words(rng, background),
        "problem_id": ""})]
    for j, (name, problem) in enumerate(clusters.items()):
        t0 = pd.Timestamp("2026-03-05 09:00") + pd.Timedelta(days=3 * j)
        frames.append(pd.DataFrame({
            "opened_at": [t0 + pd.Timedelta(days=10 * k) for k in range(4)],
            "cmdb_ci": f"app-{name}", "category": "Software",
            "short_description": TOPICS[j],
            "problem_id": ["", "", "", problem]}))
    if late:
        at = pd.Timestamp("2026-06-01") + pd.to_timedelta(
            rng.integers(0, 44 * 24 * 60, late), unit="m")
        frames.append(pd.DataFrame({
            "opened_at": at, "cmdb_ci": [f"srv-late-{i:04d}" for i in range(late)],
            "category": "Hardware",
            "short_description": _words(rng, late),
            "problem_id": ""}))
    df = pd.concat(frames, ignore_index=True)
    hours = rng.integers(2, 48, len(df))
    df["resolved_at"] = df["opened_at"] + pd.to_timedelta(hours, unit="h")
    df["closed_at"] = df["resolved_at"] + pd.Timedelta(days=3)
    df["number"] = [f"INC{2000000 + i:07d}" for i in range(1, len(df) + 1)]
    df["state"], df["contact_type"], df["priority"] = "Closed", "Phone", "3 - Moderate"
    df["assignment_group"] = "Service Desk"
    df["caller_id"] = [f"User {i % 300}" for i in range(len(df))]
    for col in ("opened_at", "resolved_at", "closed_at"):
        df[col] = df[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    return df


def _problem(number: str, opened: str, state: str = "Assess", closed: str = "",
             code: str = "") -> dict[str, str]:
    return {"number": number, "opened_at": f"{opened} 10:00:00", "state": state,
            "resolved_at": "", "closed_at": closed, "short_description": f"{number} crashes",
            "category": "Software", "cmdb_ci": "", "resolution_code": code}


def _write(folder: Path, incidents: pd.DataFrame, problems: list[dict[str, str]] | None
           ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    incidents.to_csv(folder / "incident.csv", index=False)
    if problems is not None:
        pd.DataFrame(problems).to_csv(folder / "problem.csv", index=False)
    return folder


def _report(folder: Path) -> Any:
    return api.diagnose_paths([folder], api.RunOptions(since=SINCE, until=UNTIL))


def _sign(report: Any) -> Any:
    return next(s for s in report.signs if s.id == "recurrence")


def _values(sign: Any) -> dict[str, float | None]:
    return {k: v.value for k, v in sign.metrics.items()}


def _note(sign: Any, code: str) -> Any:
    return next(n for n in sign.evidence.notes if n.code == code)


def _pull(tmp_path: Path, late: bool) -> Path:
    """The reviewer's r2 desk pulled on 1 June (``late`` False) or on 15 July: C1 names
    PRB0002001 (opened 25 March); in June the problem manager opened PRB0002002 and
    PRB0002003 and linked C2's and C3's last incident to them; C4 and C5 name none. Both
    pulls hold the old PRB0002000 (closed in February)."""
    clusters = {"C1": "PRB0002001", "C2": "PRB0002002" if late else "",
                "C3": "PRB0002003" if late else "", "C4": "", "C5": ""}
    problems = [_problem("PRB0002000", "2026-02-01", "Closed", "2026-02-10 10:00:00"),
                _problem("PRB0002001", "2026-03-25")]
    if late:
        problems += [_problem("PRB0002002", "2026-06-10"), _problem("PRB0002003", "2026-06-12")]
    return _write(tmp_path / ("pulled-0715" if late else "pulled-0601"),
                  _incidents(clusters, late=200 if late else 0), problems)


@pytest.fixture(scope="module")
def pulls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    tmp = tmp_path_factory.mktemp("pulls")
    return _report(_pull(tmp, False)), _report(_pull(tmp, True))


# ---- 1: a problem opened after the window end covers nothing ---------------------------

def test_two_pulls_of_one_desk_read_march_to_may_alike(pulls: tuple[Any, Any]) -> None:
    early, late = (_sign(r) for r in pulls)
    # the 15 July pull read "clear: 5 recurring clusters, 2 without a problem record"
    expected = {"recurring_clusters": 5.0, "uncovered_clusters": 4.0,
                "uncovered_share": 0.8, "problem_records": 1.0}
    for sign in (early, late):
        assert sign.status == "triggered"
        assert {k: _values(sign)[k] for k in expected} == expected
    assert _values(early) == _values(late)
    assert pulls[0].score == pulls[1].score
    # the clusters counted uncovered are the same four CIs
    uncovered = [sorted(r["key"] for r in s.evidence.tables["top_uncovered_clusters"])
                 for s in (early, late)]
    assert uncovered[0] == uncovered[1] == [f"app-c{i} | software" for i in (2, 3, 4, 5)]


def test_the_later_pull_counts_the_links_it_left_out(pulls: tuple[Any, Any]) -> None:
    early, late = (_sign(r) for r in pulls)
    assert "problem_links_later" not in {n.code for n in early.evidence.notes}
    note = _note(late, "problem_links_later")
    assert note.count == 2
    assert sorted(note.sample_ids) == ["INC2000408", "INC2000412"]
    text = note.text
    assert "2 incidents of the window to 2 problem records of the export" in text
    assert "(2026-05-31)" in text
    assert "2 recurring clusters counted without a problem record" in text
    assert "(from 0 incidents of the window)" in text


def test_the_text_clusters_read_the_later_links_as_the_sign_does(
        pulls: tuple[Any, Any]) -> None:
    # the analysis counted C2 and C3 linked in the later pull: 3 of 5, against 1 of 5
    shares = [r.analyses["text-clusters"].metrics["covered_share"] for r in pulls]
    assert [(s.numerator, s.denominator) for s in shares] == [(1.0, 5.0), (1.0, 5.0)]
    for report in pulls:
        rows = [r for r in report.analyses["text-clusters"].tables["clusters"].rows
                if r["recurring"]]
        assert len(rows) == 5 and sum(r["problem_linked"] for r in rows) == 1


# ---- 6: a cancelled problem covers nothing --------------------------------------------

def test_a_cancelled_problem_leaves_its_cluster_uncovered(tmp_path: Path) -> None:
    # the reviewer's r1 without the later problem: C1 in hand, C3's problem cancelled the
    # day after it was opened, C4's outside the export, C5..C8 none
    clusters = {"C1": "PRB0001001", "C3": "PRB0001003", "C4": "PRB0009999",
                **{f"C{i}": "" for i in range(5, 9)}}
    problems = [_problem("PRB0001001", "2026-03-25"),
                _problem("PRB0001003", "2026-04-10", "Canceled", "2026-04-11 10:00:00",
                         "Canceled"),
                _problem("PRB0001010", "2026-02-01", "Closed", "2026-02-15 10:00:00",
                         "Fix Applied")]
    sign = _sign(_report(_write(tmp_path / "r1", _incidents(clusters, seed=7), problems)))
    values = _values(sign)
    # was 7 clusters, 4 uncovered (C3 covered), 2 problem records (PRB0001003 among them)
    assert values["recurring_clusters"] == 7
    assert values["uncovered_clusters"] == 5
    assert values["problem_records"] == 1
    assert sign.metrics["problem_records"].sample_ids == ["PRB0001001"]
    keys = {r["key"] for r in sign.evidence.tables["top_uncovered_clusters"]}
    assert keys == {f"app-c{i} | software" for i in (3, 5, 6, 7, 8)}  # C4's outside: counts
    note = _note(sign, "problem_links_cancelled")
    assert note.count == 1 and note.sample_ids == ["PRB0001003"]
    assert "(from 1 incident of the window) covers no cluster" in note.text
    assert "(1 recurring cluster counted without a problem record" in note.text


# ---- 4: no problem table, no "0 problem records" --------------------------------------

def test_an_incident_list_alone_shows_no_problem_count(tmp_path: Path) -> None:
    clusters = {"C1": "PRB0001001", "C2": "PRB0001002", "C3": "PRB0001003",
                "C4": "PRB0009999", **{f"C{i}": "" for i in range(5, 9)}}
    report = _report(_write(tmp_path / "r3", _incidents(clusters, seed=7), None))
    sign = _sign(report)
    # was "Problem records: 0" and "...; 0 problem records, 2026-03-01 to 2026-05-31"
    assert sign.metrics["problem_records"].value is None
    assert _values(sign)["uncovered_clusters"] == 4
    note = _note(sign, "no_problem_records")
    assert "the window's incidents name 4 distinct problems" in note.text
    assert "problem records figure is n/a, not 0" in note.text
    summary = sign.evidence.summary
    assert summary == ("8 recurring clusters, 4 without a problem record (50%); 14% of "
                       "incidents recur; 2026-03-01 to 2026-05-31")
    for text in (markdown.render(report), html.render(report)):
        assert "0 problem records" not in text
        assert "n/a problem records" not in text
        assert "name 4 distinct problems" in text
    assert "| Problem records | n/a |" in markdown.render(report)
    data = json.loads(json_render.render(report))
    rec = next(s for s in data["signs"] if s["id"] == "recurrence")
    assert rec["metrics"]["problem_records"]["value"] is None
    assert "no_problem_records" in {n["code"] for n in rec["evidence"]["notes"]}


def test_an_export_with_problems_keeps_its_count_in_the_evidence(
        pulls: tuple[Any, Any]) -> None:
    summary = _sign(pulls[0]).evidence.summary
    assert summary.endswith("1 problem records; 2026-03-01 to 2026-05-31")
    assert "no_problem_records" not in {n.code for n in _sign(pulls[0]).evidence.notes}


# ---- Zendesk: problem_id goes the same way --------------------------------------------

def _zendesk(late: bool) -> pd.DataFrame:
    """Model-shaped Zendesk tickets: 300 one-off incidents and five clusters of four; C1
    names a problem opened in March, C2 one opened in June (``late``: linked, as an export
    pulled in July shows it; the June pull has neither), C3..C5 none. (Zendesk has no
    cancelled state: a closed problem is done work.)"""
    rng = np.random.default_rng(5)
    n = 300
    opened = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 150 * 24 * 60, n), unit="m")
    rows = pd.DataFrame({"ticket_id": [f"Z{i:05d}" for i in range(n)], "kind": "incident",
                         "opened_at": opened, "ci": [f"host-{i:04d}" for i in range(n)],
                         "category": "Software", "summary": [f"One-off {i}" for i in range(n)],
                         "problem_ref": pd.NA})
    plan = {"C1": "P1", "C2": "P2" if late else None, "C3": None, "C4": None, "C5": None}
    parts = [rows]
    for j, (name, problem) in enumerate(plan.items()):
        t0 = pd.Timestamp("2026-03-05 09:00", tz="UTC") + pd.Timedelta(days=3 * j)
        parts.append(pd.DataFrame({
            "ticket_id": [f"{name}-{k}" for k in range(4)], "kind": "incident",
            "opened_at": [t0 + pd.Timedelta(days=10 * k) for k in range(4)],
            "ci": f"app-{name}", "category": "Software",
            "summary": f"App {name} crashes on save", "problem_ref": [pd.NA] * 3 + [problem]}))
    problems = pd.DataFrame({
        "ticket_id": ["P1", "P2"], "kind": "problem",
        "opened_at": pd.to_datetime(["2026-03-25", "2026-06-10"], utc=True),
        "ci": pd.NA, "category": "Software", "summary": ["p1", "p2"], "problem_ref": pd.NA})
    t = pd.concat([*parts, problems if late else problems[problems.ticket_id != "P2"]],
                  ignore_index=True)
    done = t["opened_at"] + pd.Timedelta(hours=6)
    t["status"] = np.where(t["kind"] == "problem", "open", "closed")
    t["resolved_at"] = done.where(t["status"] != "open")
    t["closed_at"] = t["resolved_at"] + pd.Timedelta(days=1)
    t["updated_at"] = t["closed_at"].fillna(t["opened_at"])
    t["priority"], t["channel"] = 3, "email"
    t["assignment_group"], t["assignee"] = "Support", "Agent A"
    t["requester"] = [f"user{i % 50}" for i in range(len(t))]
    return m.conform_tickets(t)


@pytest.mark.parametrize("late", [False, True])
def test_zendesk_problem_ids_go_the_same_way(tmp_path: Path, late: bool) -> None:
    folder = tmp_path / "zd"
    write_zendesk_pages(_zendesk(late), folder, stale_share=0.0)
    report = api.diagnose_paths([folder], api.RunOptions(since=SINCE, until=UNTIL))
    sign = _sign(report)
    values = _values(sign)
    # C1 covered; C2 (its problem opened 10 June) is not: the July pull read 3 uncovered
    assert values["recurring_clusters"] == 5
    assert values["uncovered_clusters"] == 4
    assert values["problem_records"] == 1
    keys = {r["key"] for r in sign.evidence.tables["top_uncovered_clusters"]}
    assert keys == {f"app-c{i} | software" for i in (2, 3, 4, 5)}
    assert ("problem_links_later" in {n.code for n in sign.evidence.notes}) is late
