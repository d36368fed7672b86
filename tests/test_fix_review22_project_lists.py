"""A ServiceNow list export of one project or agile table (pm_project: PRJ0010001,
pm_project_task: PRJTASK..., rm_story: STRY..., rm_epic: EPIC...) has no task type
column. Its numbers were unknown to the importer, so the file fell back to the incident
table: 12 projects read as 12 incidents (312 incidents in all), and the strategy sign,
which tells the user to "add the project or epic records", saw none. The numbers' prefix
now says the table: kind ``other``, labelled ``project:TABLE``, counted as project work
(review 22b's fixer noted it beside item 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

SN = "%Y-%m-%d %H:%M:%S"


def _desk(folder: Path, prefix: str, table: str) -> None:
    """300 incidents of 1 logged hour each, and 12 records of one project table of 10
    logged hours each (time_worked in seconds), in two list exports."""
    rng = np.random.default_rng(3)
    n = 300
    opened = pd.date_range("2026-01-05", periods=n, freq="7h")
    pd.DataFrame({
        "number": [f"INC{10_000 + i:07d}" for i in range(n)],
        "opened_at": opened.strftime(SN),
        "resolved_at": (opened + pd.Timedelta(hours=5)).strftime(SN),
        "closed_at": (opened + pd.Timedelta(hours=5)).strftime(SN),
        "state": "Closed", "priority": "3 - Moderate",
        "category": rng.choice(["Network", "Software", "Hardware"], n),
        "short_description": [f"issue {i}" for i in range(n)],
        "assignment_group": "Service Desk", "time_worked": 3600,
    }).to_csv(folder / "incident.csv", index=False)
    p = 12
    pd.DataFrame({
        "number": [f"{prefix}{10_000 + i:07d}" for i in range(p)],
        "opened_at": pd.date_range("2026-01-06", periods=p, freq="5D").strftime(SN),
        "state": ["Work in Progress"] * 6 + ["Closed Complete"] * 6,
        "short_description": [f"Roadmap item {i}" for i in range(p)],
        "assignment_group": "PMO", "time_worked": 36_000,
    }).to_csv(folder / f"{table}.csv", index=False)


@pytest.mark.parametrize(("prefix", "table"), [
    ("PRJ", "pm_project"), ("PRJTASK", "pm_project_task"), ("STRY", "rm_story"),
    ("EPIC", "rm_epic")])
def test_a_project_list_is_read_as_project_records(tmp_path: Path, prefix: str,
                                                   table: str) -> None:
    _desk(tmp_path, prefix, table)
    loaded = load_paths([tmp_path], ImportOptions())
    t = loaded.tickets
    rows = t[m.TICKET_ID].astype(str).str.startswith(prefix)
    assert int(rows.sum()) == 12
    # no incident among them: the 300 incidents are the file's incidents only
    assert (t.loc[rows, m.KIND].astype(str) == "other").all()
    assert int((t[m.KIND].astype(str) == "incident").sum()) == 300
    assert (t.loc[rows, m.LABELS].astype(str) == f"project:{table}").all()
    # their states are read (a project's Closed Complete is closed, not unmapped)
    assert t.loc[rows, m.STATUS].notna().all()
    assert any(f"({table} 12) are given the label project:TABLE" in w
               for s in loaded.sources for w in s.warnings)


def test_the_strategy_sign_counts_a_project_list(tmp_path: Path) -> None:
    _desk(tmp_path, "PRJ", "pm_project")
    report = api.diagnose_paths([tmp_path], api.RunOptions())
    strategy = next(s for s in report.signs if s.id == "strategy")
    # 120 logged hours of project work among 420: 28.6% strategic, clear; it read unknown
    # ("no project, epic or initiative record"), the 12 projects counted as incidents
    assert strategy.status == "clear"
    share = strategy.metrics["strategic_share"]
    assert (share.numerator, share.denominator) == pytest.approx((120.0, 420.0))
    assert report.tickets.by_kind["incident"] == 300
