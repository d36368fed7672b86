"""Repeated rows in a ServiceNow list export (review 13, #1).

The ServiceNow reader read a file as an audit log as soon as one number repeated: a list
export with one duplicated row, or two team exports pasted into one CSV, gave every
ticket a status "history" (each one-row ticket an event at its ``sys_updated_on``) and
the backlog, KPIs, flow and drivers read it (the demo plus one repeated row: backlog key
figure 58% -> 50%). Rows that repeat another in every column are now dropped first (with
a note), and a file is an audit log only when at least half of its numbers have two or
more rows; otherwise the latest row of each repeated number is kept, as a list export's,
with no history, and a warning says so in numbers.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers import servicenow
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.report import Report


def _findings(report: Report) -> dict[str, Any]:
    """What a report finds: the signs, the checks and the KPI panel (not the data notes
    or the inputs, which name the files and carry the importer's warnings)."""
    dumped = report.model_dump(mode="json")
    return {key: dumped[key] for key in ("score", "band", "signs", "checks", "kpis")}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def demo_report() -> Report:
    return api.diagnose_paths([api.demo_dir()], api.RunOptions())


def test_demo_with_one_repeated_row_reads_as_the_demo(tmp_path: Path,
                                                      demo_report: Report) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(api.demo_dir(), demo)
    inc = demo / "incident_1.csv"
    with inc.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with inc.open("a", encoding="utf-8", newline="") as fh:  # the first row once more
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerow(rows[1])
    first_number = rows[1][rows[0].index("number")]

    loaded = load_paths([inc], ImportOptions())
    assert loaded.tickets[m.TICKET_ID].is_unique
    kinds = set(loaded.events[m.EV_KIND])
    assert "status" not in kinds and "assignment" not in kinds  # no history invented
    note = " ".join(loaded.sources[0].warnings)
    assert "1 row is a copy of a later row, every column equal" in note
    assert repr(first_number) in note and "audit log" not in note

    report = api.diagnose_paths([demo], api.RunOptions())
    backlog = next(f for f in report.signs if f.id == "backlog")
    want = next(f for f in demo_report.signs if f.id == "backlog")
    assert backlog.key_figure == want.key_figure  # was 58% -> 50%
    assert report.model_dump(mode="json")["kpis"] == demo_report.model_dump(mode="json")["kpis"]
    assert _findings(report) == _findings(demo_report)


def _two_exports(tmp_path: Path, *, earlier_copy: bool) -> tuple[Path, Path]:
    """Two overlapping team exports of the demo's incident_1.csv: A holds its first 60%
    of rows, B its last 60% (a fifth of the numbers in both). With ``earlier_copy``, A
    was exported earlier: its rows of the shared numbers show them in progress, with no
    resolved or closed time, updated when they were opened."""
    df = _read(api.demo_dir() / "incident_1.csv")
    n = len(df)
    a, b = df.iloc[: int(n * 0.6)].copy(), df.iloc[int(n * 0.4):].copy()
    if earlier_copy:
        shared = a["number"].isin(b["number"])
        a.loc[shared, "state"] = "In Progress"
        a.loc[shared, ["resolved_at", "closed_at"]] = ""
        a.loc[shared, "sys_updated_on"] = a.loc[shared, "opened_at"]
    return _apart_and_pasted(tmp_path, {"incident_teamA.csv": a, "incident_teamB.csv": b})


def _apart_and_pasted(tmp_path: Path, parts: dict[str, pd.DataFrame]) -> tuple[Path, Path]:
    """The same rows as one file each (folder ``apart``) and pasted into one file
    (folder ``pasted``)."""
    apart, pasted = tmp_path / "apart", tmp_path / "pasted"
    apart.mkdir()
    pasted.mkdir()
    for name, frame in parts.items():
        _write(frame, apart / name)
    _write(pd.concat(list(parts.values())), pasted / "incident.csv")
    return apart, pasted


@pytest.mark.parametrize("earlier_copy", [False, True], ids=["same-rows", "earlier-export"])
def test_pasted_exports_read_as_the_two_files(tmp_path: Path, earlier_copy: bool) -> None:
    apart, pasted = _two_exports(tmp_path, earlier_copy=earlier_copy)
    one = api.diagnose_paths([pasted], api.RunOptions())
    two = api.diagnose_paths([apart], api.RunOptions())
    weekly = [(w["week_end"], w["open"]) for w in one.kpis.backlog_weekly]
    assert weekly == [(w["week_end"], w["open"]) for w in two.kpis.backlog_weekly]
    assert len(weekly) > 10
    assert _findings(one) == _findings(two)
    loaded = load_paths([pasted / "incident.csv"], ImportOptions())
    assert not loaded.events[m.EV_KIND].isin(["status", "assignment"]).any()
    note = " ".join(loaded.sources[0].warnings)
    if earlier_copy:
        shared = len(_read(apart / "incident_teamA.csv").merge(
            _read(apart / "incident_teamB.csv")[["number"]]))
        total = len(loaded.tickets)
        assert (f"{shared:,} of {total:,} numbers appear in more than one row" in note
                and "an audit log repeats most of its numbers" in note
                and f"{shared:,} other rows dropped" in note), note
    else:
        assert "rows are copies of a later row, every column equal" in note


def test_a_few_repeated_numbers_keep_the_latest_row_without_history(tmp_path: Path) -> None:
    rows = ["number,state,opened_at,resolved_at,sys_updated_on"]
    for i in range(1, 11):
        rows.append(f"INC00100{i:02d},In Progress,2026-03-{i:02d} 09:00:00,,"
                    f"2026-03-{i:02d} 10:00:00")
    # two numbers exported again later, resolved meanwhile (the later row comes first)
    rows.insert(1, "INC0010002,Resolved,2026-03-02 09:00:00,2026-03-20 09:00:00,"
                   "2026-03-20 09:00:00")
    rows.append("INC0010005,Resolved,2026-03-05 09:00:00,2026-03-21 09:00:00,"
                "2026-03-21 09:00:00")
    path = tmp_path / "incident.csv"
    path.write_text("\n".join(rows) + "\n")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 10
    assert t.loc["INC0010002", m.STATUS] == "resolved"
    assert t.loc["INC0010005", m.STATUS] == "resolved"
    assert t.loc["INC0010001", m.STATUS] == "open"
    assert loaded.events.empty
    note = next(w for w in loaded.sources[0].warnings if "more than one row" in w)
    assert note.startswith("2 of 10 numbers appear in more than one row ('INC0010002', "
                           "'INC0010005')"), note
    assert "2 other rows dropped" in note and "latest row of each number is kept" in note
    assert "an audit log repeats most of its numbers" in note


def test_a_genuine_audit_log_still_collapses_with_its_history(tmp_path: Path) -> None:
    """Three of four numbers with several rows (one also copied exactly): a log."""
    path = tmp_path / "log.csv"
    path.write_text(
        "number,incident_state,sys_mod_count,assignment_group,opened_at,sys_updated_on,"
        "resolved_at\n"
        "INC0000001,New,0,Group 1,2026-03-02 09:00:00,2026-03-02 09:00:00,\n"
        "INC0000001,Active,1,Group 2,2026-03-02 09:00:00,2026-03-02 11:00:00,\n"
        "INC0000001,Active,1,Group 2,2026-03-02 09:00:00,2026-03-02 11:00:00,\n"
        "INC0000001,Resolved,2,Group 2,2026-03-02 09:00:00,2026-03-03 09:00:00,"
        "2026-03-03 09:00:00\n"
        "INC0000002,New,0,Group 1,2026-03-04 09:00:00,2026-03-04 09:00:00,\n"
        "INC0000002,Active,1,Group 1,2026-03-04 09:00:00,2026-03-04 10:00:00,\n"
        "INC0000003,New,0,Group 1,2026-03-05 09:00:00,2026-03-05 09:00:00,\n"
        "INC0000003,Active,1,Group 3,2026-03-05 09:00:00,2026-03-05 12:00:00,\n"
        "INC0000003,Resolved,2,Group 3,2026-03-05 09:00:00,2026-03-06 12:00:00,"
        "2026-03-06 12:00:00\n"
        "INC0000004,New,0,Group 1,2026-03-06 09:00:00,2026-03-06 09:00:00,\n"
    )
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 4
    assert t.loc["INC0000001", m.STATUS] == "resolved"
    assert t.loc["INC0000002", m.STATUS] == "open"
    ev = loaded.events
    status = ev[(ev[m.EV_TICKET_ID] == "INC0000001") & (ev[m.EV_KIND] == "status")]
    assert list(status[m.EV_VALUE]) == ["New", "Active", "Resolved"]
    groups = ev[(ev[m.EV_TICKET_ID] == "INC0000003") & (ev[m.EV_KIND] == "assignment")]
    assert list(groups[m.EV_VALUE]) == ["Group 1", "Group 3"]
    warnings = loaded.sources[0].warnings
    assert ("1 row is a copy of a later row, every column equal (e.g. 'INC0000001'), and "
            "was dropped (the last copy is kept)") in warnings[0], warnings
    assert any(w.startswith("audit log: 9 update rows collapsed to 4 tickets")
               for w in warnings), warnings


def _log_rows(repeated: int, single: int) -> str:
    """An incident file of ``repeated`` numbers with two rows each (New at opening, then
    Resolved) and ``single`` numbers with one row each (resolved on the 10th, the row
    updated a week later, as a list export's row is when it is closed)."""
    rows = ["number,incident_state,assignment_group,opened_at,resolved_at,sys_updated_on"]
    for i in range(1, repeated + 1):
        rows.append(f"INC00100{i:02d},New,Group 1,2026-03-{i:02d} 09:00:00,,"
                    f"2026-03-{i:02d} 09:00:00")
        rows.append(f"INC00100{i:02d},Resolved,Group 2,2026-03-{i:02d} 09:00:00,"
                    f"2026-03-{i:02d} 15:00:00,2026-03-{i:02d} 15:00:00")
    for i in range(repeated + 1, repeated + single + 1):
        rows.append(f"INC00100{i:02d},Resolved,Group 1,2026-03-{i:02d} 09:00:00,"
                    f"2026-03-{i:02d} 12:00:00,2026-03-{i + 7:02d} 12:00:00")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(("repeated", "single", "log"),
                         [(4, 5, False), (5, 5, True), (5, 4, True)],
                         ids=["4-of-9-list", "5-of-10-log", "5-of-9-log"])
def test_a_file_is_a_log_from_half_of_its_numbers_repeated(
        tmp_path: Path, repeated: int, single: int, log: bool) -> None:
    """Just under half of the numbers repeated: a list export (latest rows, no history);
    half or more: an audit log, whose history is made from the repeated numbers only."""
    path = tmp_path / "incident.csv"
    path.write_text(_log_rows(repeated, single))
    loaded = load_paths([path], ImportOptions())
    assert len(loaded.tickets) == repeated + single
    assert (loaded.tickets[m.STATUS] == "resolved").all()
    warnings = " ".join(loaded.sources[0].warnings)
    ev = loaded.events
    status = ev[ev[m.EV_KIND] == "status"]
    if not log:
        assert "read as a list export, not an audit log" in warnings, warnings
        assert "audit log:" not in warnings
        assert status.empty
        return
    assert warnings.startswith(f"audit log: {2 * repeated + single} update rows collapsed to "
                               f"{repeated + single} tickets"), warnings
    assert f"{single} numbers have a single row, read as a list export's" in warnings
    # each repeated number: New, then Resolved; a number with one row: no event at all
    assert sorted(set(status[m.EV_TICKET_ID])) == [f"INC00100{i:02d}"
                                                   for i in range(1, repeated + 1)]
    assert len(status) == 2 * repeated
    singles = {f"INC00100{i:02d}" for i in range(repeated + 1, repeated + single + 1)}
    assert not ev[m.EV_TICKET_ID].isin(singles).any()


def _log_and_list(tmp_path: Path) -> tuple[Path, Path]:
    """The demo's incident_1.csv with an earlier snapshot of 60% of its numbers (in
    progress, no done time, updated when opened) added: ``apart`` holds those numbers'
    rows (every number twice: a log) and the other 40% (one row each: a list) as two
    files, ``pasted`` all of them in one file, a log whose 40% have a single row."""
    df = _read(api.demo_dir() / "incident_1.csv")
    cut = int(len(df) * 0.6)
    twice, once = df.iloc[:cut], df.iloc[cut:]
    earlier = twice.copy()
    earlier["state"] = "In Progress"
    earlier[["resolved_at", "closed_at"]] = ""
    earlier["sys_updated_on"] = earlier["opened_at"]
    log = pd.concat([earlier, twice])
    return _apart_and_pasted(tmp_path, {"incident_a_log.csv": log,
                                        "incident_b_list.csv": once})


def test_single_row_numbers_of_a_log_read_as_a_list(tmp_path: Path) -> None:
    """rd13a #4: a number with one row in a log gets no status event at its
    ``sys_updated_on``; its ticket, its events and the report read as a list export's."""
    apart, pasted = _log_and_list(tmp_path)
    whole = load_paths([pasted / "incident.csv"], ImportOptions())
    log = load_paths([apart / "incident_a_log.csv"], ImportOptions())
    listed = load_paths([apart / "incident_b_list.csv"], ImportOptions())
    once = set(listed.tickets[m.TICKET_ID])
    assert len(once) == 280 and len(whole.tickets) == 700
    ev = whole.events
    assert not (ev[m.EV_KIND].isin(["status", "assignment"])
                & ev[m.EV_TICKET_ID].isin(once)).any()
    history = ev[ev[m.EV_KIND].isin(["status", "assignment"])].reset_index(drop=True)
    want = log.events[log.events[m.EV_KIND].isin(["status", "assignment"])].reset_index(
        drop=True)
    pd.testing.assert_frame_equal(history, want)
    t = whole.tickets.set_index(m.TICKET_ID)
    got = t.loc[sorted(once), [m.STATUS, m.RESOLVED_AT, m.CLOSED_AT]]
    exp = listed.tickets.set_index(m.TICKET_ID).loc[sorted(once), got.columns]
    pd.testing.assert_frame_equal(got, exp)
    note = " ".join(whole.sources[0].warnings)
    assert "history kept as" in note and "280 numbers have a single row" in note, note

    one = api.diagnose_paths([pasted], api.RunOptions())
    two = api.diagnose_paths([apart], api.RunOptions())
    weekly = [(w["week_end"], w["open"]) for w in one.kpis.backlog_weekly]
    assert weekly == [(w["week_end"], w["open"]) for w in two.kpis.backlog_weekly]
    assert len(weekly) > 10
    assert _findings(one) == _findings(two)


def test_rows_per_number_are_counted_once(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """rd13a #7: the repeat check and the rows per number run once a file."""
    calls = {"any_repeated": 0, "_repeat_counts": 0}
    for name in calls:
        real = getattr(servicenow, name)

        def counted(ids: pd.Series, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(ids)

        monkeypatch.setattr(servicenow, name, counted)
    for repeated, single in ((2, 8), (8, 2)):  # a list with repeats, then a log
        path = tmp_path / f"incident_{repeated}.csv"
        path.write_text(_log_rows(repeated, single))
        calls.update(dict.fromkeys(calls, 0))
        loaded = load_paths([path], ImportOptions())
        assert len(loaded.tickets) == repeated + single
        assert calls == {"any_repeated": 1, "_repeat_counts": 1}, (repeated, calls)
