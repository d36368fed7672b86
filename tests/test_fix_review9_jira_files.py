"""Jira exports split in several files, cut the way admins cut them (review 9, items 2, 3).

Item 2: one chunk of a three-file export was taken with "current fields", without
``Resolved``, ``Status Category`` and ``Resolution``. Every issue of the other chunks had
a resolved time, yet ``reporting`` triggered on a "configuration gap: the fields exist
but are not filled" and told the client to "make resolving set the resolved time", and no
note named the file. The chunk alone was called a "capability gap: the tool does not
export it", false for Jira. A column a whole file lacks, while the tool exports it, is the
export's cut: the file's warning names the columns, and the KPIs that need them count
its issues as not exported (an export gap, named with the file), not unfilled.

Item 3: overlapping chunks without ``Updated`` kept each issue's row by file-name order,
so an issue resolved by the newer export (``a_new.csv``) counted as open from the older
one (``b_old.csv``). Without an update time the row showing more of the ticket's life
wins: a done row over an open one, else the latest of its times; file order only on ties.
The merge itself is ``registry.combine``, which orders the rows by
:func:`base.repeat_order` (the end-to-end test below needs that call there).
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from casekit import tickets_frame
from itsm_diag import api, config
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions, kept_of_repeats, repeat_order
from itsm_diag.importers.registry import load_paths
from itsm_diag.signs import reporting
from itsm_diag.signs.base import Context, Window

ALL = ["Summary", "Issue key", "Issue Type", "Status", "Status Category", "Priority",
       "Resolution", "Assignee", "Reporter", "Created", "Updated", "Resolved", "Components",
       "Due date"]
#: a "current fields" column set: no Resolved, Status Category or Resolution
CURRENT = [c for c in ALL if c not in ("Resolved", "Status Category", "Resolution")]
START = datetime(2026, 1, 1, 9, 0)


def fmt(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%d/%b/%y %I:%M %p")


def issues(first: int, count: int, start: datetime, *, as_of: datetime | None = None,
           every: timedelta = timedelta(hours=5)) -> list[dict[str, Any]]:
    """``count`` issues opened every ``every`` from ``start``, each resolved 6 hours later
    (open when that is after ``as_of``, the moment the file was exported)."""
    out = []
    for i in range(count):
        opened = start + every * i
        resolved: datetime | None = opened + timedelta(hours=6)
        if as_of is not None and resolved is not None and resolved > as_of:
            resolved = None
        out.append({
            "Summary": f"printer {i} jams", "Issue key": f"ITSM-{first + i}",
            "Issue Type": "Incident" if i % 3 else "Service Request",
            "Status": "Resolved" if resolved else "In Progress",
            "Status Category": "Done" if resolved else "In Progress",
            "Priority": "Medium", "Resolution": "Done" if resolved else "",
            "Assignee": f"Agent {i % 4}", "Reporter": f"User {i % 40}",
            "Created": fmt(opened), "Updated": fmt(resolved or opened),
            "Resolved": fmt(resolved), "Components": ("Hardware", "Network", "Access")[i % 3],
            "Due date": fmt(opened + timedelta(days=3)),
        })
    return out


def write(path: Path, rows: list[dict[str, Any]], cols: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    return path


def mixed(tmp_path: Path) -> Path:
    """jan.csv and feb.csv with every column, mar.csv without Resolved (~430 issues)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    write(folder / "jan.csv", issues(1, 150, START), ALL)
    write(folder / "feb.csv", issues(151, 135, START + timedelta(days=31)), ALL)
    write(folder / "mar.csv", issues(286, 145, START + timedelta(days=59)), CURRENT)
    return folder


def reporting_of(paths: list[Path]) -> Any:
    report = api.diagnose_paths(paths, api.RunOptions())
    return report, next(s for s in report.signs if s.id == "reporting")


def kpi_rows(finding: Any) -> dict[str, dict[str, Any]]:
    return {r["kpi"]: r for r in finding.evidence.tables["kpis"]}


# ---- item 2: a column a whole file lacks -----------------------------------------------

def test_a_file_without_the_resolved_column_is_named_in_its_warning(tmp_path: Path) -> None:
    folder = mixed(tmp_path)
    loaded = load_paths([folder], ImportOptions())
    said = {Path(s.path).name: s.warnings for s in loaded.sources}
    mar = [w for w in said["mar.csv"] if w.startswith("no Resolved")]
    assert len(mar) == 1
    # (Status Category is no column every all-fields export has: review 15c)
    assert mar[0].startswith("no Resolved or Resolution column in this file")
    assert "CSV (all fields)" in mar[0]
    # the chunks with every column are not warned about
    assert not any("column in this file" in w for w in said["jan.csv"] + said["feb.csv"])


def test_a_chunk_without_resolved_is_an_export_gap_not_a_configuration_gap(
        tmp_path: Path) -> None:
    report, finding = reporting_of([mixed(tmp_path)])
    rows = kpi_rows(finding)
    ttr = rows["time_to_resolve"]
    assert (ttr["computable"], ttr["gap"], ttr["detail"]) == (False, "export", "ttr_left_out")
    assert ttr["share"] == 1.0  # every done issue of the files that carry it has both
    assert (rows["backlog_trend"]["gap"], rows["backlog_trend"]["detail"]) == (
        "export", "backlog_left_out")
    assert rows["sla_adherence"]["gap"] == "export"
    assert finding.metrics["configuration_gaps"].value == 0
    assert finding.metrics["kpis_left_out"].value == 3
    # one KPI missing (no reassignment count in a Jira CSV) is not enough to trigger; the
    # three left out would: the verdict is unknown, and says which file to export again
    assert finding.metrics["kpis_missing"].value == 1
    assert finding.status == "unknown"
    assert "mar.csv" in finding.reason
    texts = " ".join(n.text for n in finding.evidence.notes)
    assert "mar.csv" in texts and "configuration gap" not in texts
    assert not any("make resolving set the resolved time" in f.action
                   for f in report.fixes)
    caveat = report.kpis.caveats["time_to_resolve_hours"]
    assert "mar.csv" in caveat and "not filled" not in caveat


def test_the_chunk_alone_says_the_export_left_the_done_time_out(tmp_path: Path) -> None:
    path = write(tmp_path / "mar.csv", issues(1, 300, START), CURRENT)
    _, finding = reporting_of([path])
    ttr = kpi_rows(finding)["time_to_resolve"]
    assert (ttr["gap"], ttr["detail"]) == ("export", "ttr_not_exported")
    rows = kpi_rows(finding)
    assert rows["backlog_trend"]["detail"] == "backlog_not_exported"
    assert rows["sla_adherence"]["detail"] == "sla_not_exported"
    text = next(n.text for n in finding.evidence.notes if n.code == "ttr_not_exported")
    assert "mar.csv" in text and "left the done time out" in text
    assert "the tool does not export it" not in text


def test_a_resolved_column_left_empty_is_still_a_configuration_gap(tmp_path: Path) -> None:
    # every file carries Resolved; the workflow fills it on half the issues only
    rows = issues(1, 300, START)
    for r in rows[::2]:
        r["Resolved"] = ""
    path = write(tmp_path / "all.csv", rows, ALL)
    _, finding = reporting_of([path])
    ttr = kpi_rows(finding)["time_to_resolve"]
    assert (ttr["gap"], ttr["detail"]) == ("configuration", "ttr_sparse")
    assert finding.metrics["kpis_left_out"].value == 0


def test_a_table_that_cannot_hold_the_field_left_nothing_out() -> None:
    # ServiceNow: the incident table has a category, the requested-item table has none
    # (its catalogue item classifies it): requests are no export that left it out
    as_of = pd.Timestamp("2024-04-01", tz="UTC")
    window = Window(start=as_of - pd.Timedelta(weeks=13), end=as_of)
    base = {"status": "closed", "status_raw": "Closed", "reassignment_count": 0,
            "opened_at": "2024-02-01T09:00:00", "resolved_at": "2024-02-01T11:00:00",
            "due_at": "2024-02-02T09:00:00", "source_tool": "servicenow"}
    ctx = Context(tickets=tickets_frame([
        {**base, "kind": "incident", "category": "Network", "source_file": "incident.csv",
         "_count": 60},
        {**base, "kind": "request", "source_file": "sc_req_item.csv", "_count": 40},
    ]), events=m.empty_events(), window=window,
        defaults=config.Defaults(handle_minutes={"incident": 30, "request": 20},
                                 catch_all_categories=["other"]).model_dump())
    params = {"min_fill": 0.9, "max_negative": 0.01, "max_catch_all": 0.2,
              "one_value_share": 0.95, "one_value_min_tickets": 200, "min_done": 30}
    rows = {r["kpi"]: r for r in reporting.measure(ctx, params).tables["kpis"]}
    assert rows["volume_by_category"]["gap"] == "configuration"


# ---- item 3: overlapping chunks without Updated ----------------------------------------

def test_without_update_times_the_done_row_wins_over_file_order() -> None:
    opened = pd.Timestamp("2026-02-20 09:00", tz="UTC")
    t = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["ITSM-1", "ITSM-2", "ITSM-1", "ITSM-2", "ITSM-3", "ITSM-3"],
        m.OPENED_AT: [opened] * 6,
        # read first (a_new.csv): done; read last (b_old.csv): open
        m.RESOLVED_AT: [opened + pd.Timedelta(days=20), pd.NaT, pd.NaT, pd.NaT, pd.NaT,
                        pd.NaT],
        m.STATUS: ["resolved", "closed", "open", "open", "open", "open"],
        m.FIRST_RESPONSE_AT: [pd.NaT, pd.NaT, pd.NaT, pd.NaT,
                              opened + pd.Timedelta(hours=2), pd.NaT],
    }).astype({m.STATUS: "object"}))
    order = repeat_order(t)
    kept = order.drop_duplicates(m.TICKET_ID, keep="last").index
    assert sorted(kept) == [0, 1, 4]
    # a done row with no done time (a file without Resolved) is done by its status; two
    # open rows tie on their done state and the one with the later time wins
    note = kept_of_repeats(t[m.UPDATED_AT])
    assert note.startswith("the last row read of each is kept (the rows carry no update "
                           "time) unless another shows more of the ticket's life")


def test_with_update_times_the_latest_update_still_wins() -> None:
    opened = pd.Timestamp("2026-02-20 09:00", tz="UTC")
    t = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["ITSM-1", "ITSM-1"],
        m.OPENED_AT: [opened] * 2,
        m.UPDATED_AT: [opened + pd.Timedelta(days=3), opened + pd.Timedelta(days=9)],
        m.RESOLVED_AT: [opened + pd.Timedelta(days=3), pd.NaT],  # reopened since
        m.STATUS: ["resolved", "open"],
    }).astype({m.STATUS: "object"}))
    kept = repeat_order(t).drop_duplicates(m.TICKET_ID, keep="last").index
    assert list(kept) == [1]


def test_overlapping_chunks_without_updated_keep_the_resolved_row(tmp_path: Path) -> None:
    """Needs ``registry.combine`` to order the repeated rows by ``repeat_order``."""
    cols = [c for c in ALL if c != "Updated"]
    cut = datetime(2026, 3, 2, 9, 0)
    # the older export, taken on 2 March: the last issues still open; the newer one,
    # read first by its name, has them resolved
    old = issues(1, 60, START + timedelta(days=50), as_of=cut, every=timedelta(hours=8))
    new = issues(1, 60, START + timedelta(days=50), every=timedelta(hours=8))
    write(tmp_path / "a_new.csv", new, cols)
    write(tmp_path / "b_old.csv", old, cols)
    open_then = {r["Issue key"] for r in old if not r["Resolved"]}
    assert open_then
    loaded = load_paths([tmp_path], ImportOptions())
    kept = loaded.tickets.set_index(m.TICKET_ID)
    assert kept.loc[sorted(open_then), m.RESOLVED_AT].notna().all()
    assert set(kept.loc[sorted(open_then), m.SOURCE_FILE]) == {"a_new.csv"}
    note = next(n for n in loaded.notes if "more than one input row" in n)
    assert "unless another shows more of the ticket's life" in note
