"""An audit log pulled part way through a ticket's life dates it as a later pull does
(review 18c, D1).

The real ServiceNow log cut at 7 May 2016 and at 20 June 2016, both run ``--until
2016-04-30``: the 7 May pull read 44 incidents as "done tickets with neither resolved nor
closed time" (15,894 done, median time to resolve 18.18 h), the 20 June pull dated all 44
(15,938 done, 18.0 h). Each was created already Resolved (``resolved_at`` blank, as the
UCI log leaves it until the close) and had that one row by 7 May; a number with a single
row got no history, so only the later pull, whose Closed row gives a two-row history,
dated it (by the first row's update time). Now a single resolved row of a log with no
resolved time takes its update time (never before the opened time): both pulls agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

HEAD = "number,incident_state,assignment_group,sys_mod_count,opened_at,resolved_at,sys_updated_on"
UNTIL = "2026-03-31"
#: the later pull: every row (Closed rows in mid April, after the window end)
#: the earlier pull: the rows updated by 3 April
CUT = pd.Timestamp("2026-04-03 23:59:59")


def _rows() -> list[tuple[str, pd.Timestamp]]:
    """(row, its update time) of an incident log: 30 tickets opened New, resolved the
    next day, closed in mid April; 6 created already Resolved (no resolved_at, as the
    UCI log leaves it until the close), closed in mid April; one of them with its row
    stamped before its opened time; one created Closed (left to its closed time)."""
    out: list[tuple[str, pd.Timestamp]] = []
    for i in range(30):
        opened = pd.Timestamp("2026-03-01 09:00") + pd.Timedelta(hours=17 * i)
        resolved = opened + pd.Timedelta(hours=5 + 3 * (i % 7))
        closed = pd.Timestamp("2026-04-15 10:00") + pd.Timedelta(hours=i)
        n = f"INC{i:07d}"
        out.append((f"{n},New,Group A,0,{opened},,{opened}", opened))
        out.append((f"{n},Resolved,Group B,1,{opened},{resolved},{resolved}", resolved))
        out.append((f"{n},Closed,Group B,2,{opened},{resolved},{closed}", closed))
    for j in range(6):
        opened = pd.Timestamp("2026-03-20 08:00") + pd.Timedelta(days=j)
        # the last one's row stamped an hour before its opened time
        stamped = opened + (pd.Timedelta(hours=-1) if j == 5 else pd.Timedelta(minutes=7))
        closed = pd.Timestamp("2026-04-20 10:00") + pd.Timedelta(hours=j)
        n = f"INC{100 + j:07d}"
        out.append((f"{n},Resolved,Group C,0,{opened},,{stamped}", stamped))
        out.append((f"{n},Closed,Group C,1,{opened},,{closed}", closed))
    return out


def _pulls(tmp_path: Path) -> tuple[Path, Path]:
    rows = _rows()
    early, late = tmp_path / "early", tmp_path / "late"
    for folder, keep in ((early, [r for r, at in rows if at <= CUT]), (late, [r for r, _ in rows])):
        folder.mkdir()
        (folder / "incident.csv").write_text("\n".join([HEAD, *keep]) + "\n", encoding="utf-8")
    return early, late


def _resolved(path: Path) -> pd.Series:
    tickets = load_paths([path / "incident.csv"], ImportOptions()).tickets
    return tickets.set_index(m.TICKET_ID)[m.RESOLVED_AT].sort_index()


def _kpi(path: Path) -> dict[str, Any]:
    report = api.diagnose_paths([path], api.RunOptions(until=UNTIL))
    out: dict[str, Any] = json.loads(report.model_dump_json())
    return out


def test_two_pulls_of_a_log_date_the_same_resolutions(tmp_path: Path) -> None:
    early, late = _pulls(tmp_path)
    a, b = _resolved(early), _resolved(late)
    pd.testing.assert_series_equal(a, b)
    # created Resolved: the row's update time; before the opened time: the opened time
    assert a["INC0000100"] == pd.Timestamp("2026-03-20 08:07", tz="UTC")
    assert a["INC0000105"] == pd.Timestamp("2026-03-25 08:00", tz="UTC")
    assert a.notna().all() and len(a) == 36

    one, two = _kpi(early), _kpi(late)
    ttr = one["kpis"]["time_to_resolve_hours"]
    assert ttr == two["kpis"]["time_to_resolve_hours"]
    assert ttr["n"] == 36
    for report in (one, two):
        backlog = next(s for s in report["signs"] if s["id"] == "backlog")
        assert not any("neither resolved nor closed" in e["text"]
                       for e in backlog["evidence"]["excluded"]), backlog["evidence"]["excluded"]
    note = " ".join(load_paths([early / "incident.csv"], ImportOptions()).sources[0].warnings)
    assert "6 numbers have a single row" in note, note
    assert "resolved time taken from the row's update time for 6 tickets" in note, note


def test_only_a_logs_single_resolved_row_is_dated(tmp_path: Path) -> None:
    """A single Closed row with no resolved time is left to its closed time (as a closed
    run of a history is); a list export (most numbers once) keeps its row as it was."""
    log = tmp_path / "log.csv"
    log.write_text("\n".join([
        HEAD,
        "INC1,New,A,0,2026-03-01 09:00,,2026-03-01 09:00",
        "INC1,Resolved,A,1,2026-03-01 09:00,2026-03-02 09:00,2026-03-02 09:00",
        "INC2,New,A,0,2026-03-01 09:00,,2026-03-01 09:00",
        "INC2,Active,A,1,2026-03-01 09:00,,2026-03-02 09:00",
        "INC3,Closed,A,0,2026-03-03 09:00,,2026-03-03 10:00",
    ]) + "\n", encoding="utf-8")
    t = load_paths([log], ImportOptions()).tickets.set_index(m.TICKET_ID)
    assert pd.isna(t.loc["INC3", m.RESOLVED_AT])
    listed = tmp_path / "list.csv"
    listed.write_text("\n".join([
        HEAD,
        "INC1,Resolved,A,4,2026-03-01 09:00,,2026-03-05 09:00",
        "INC2,Resolved,A,3,2026-03-01 09:00,,2026-03-06 09:00",
        "INC3,New,A,0,2026-03-03 09:00,,2026-03-03 10:00",
        "INC3,Active,A,1,2026-03-03 09:00,,2026-03-03 11:00",
    ]) + "\n", encoding="utf-8")
    loaded = load_paths([listed], ImportOptions())
    assert "read as a list export" in " ".join(loaded.sources[0].warnings)
    assert loaded.tickets[m.RESOLVED_AT].isna().all()
