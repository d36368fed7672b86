"""Review 21b, defect 2: a Jira "Causes" link has a direction.

An incident's ``Outward issue link (Causes)`` = CHG-1 says the incident *causes* the change
(the emergency fix it prompted), and the change's ``Inward issue link (Causes)`` mirrors it:
neither is a change-caused incident. Only the incident's inward link ("is caused by") or
the change's outward one ("causes" the incident) is. Before the fix, 25 incidents that
prompted a change read "25.0 change-caused incidents a quarter (tier 1: 25)", triggered.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

HEAD = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution",
        "Created", "Updated", "Resolved"]
F = "%d/%b/%y %I:%M %p"


def _write(path: Path, rows: list[dict[str, str]], links: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD + links)
        for r in rows:
            w.writerow([r.get(h, "") for h in HEAD + links])
    return path


def _issue(key: str, kind: str, at: pd.Timestamp, **links: str) -> dict[str, str]:
    done = (at + pd.Timedelta(hours=5)).strftime(F)
    return {"Summary": f"{kind} {key}", "Issue key": key, "Issue id": key.split("-")[1],
            "Issue Type": kind, "Status": "Resolved", "Priority": "Medium",
            "Resolution": "Done", "Created": at.strftime(F), "Updated": done,
            "Resolved": done, **links}


def _tickets(path: Path) -> pd.DataFrame:
    return load_paths([path], ImportOptions()).tickets.set_index(m.TICKET_ID)


OUT, IN = "Outward issue link (Causes)", "Inward issue link (Causes)"


def test_each_direction_of_a_causes_link(tmp_path: Path) -> None:
    t0 = pd.Timestamp("2026-01-05 09:00")
    rows = [
        # INC-1 prompted CHG-1 (both sides written): not caused by it
        _issue("INC-1", "Incident", t0, **{OUT: "CHG-1"}),
        _issue("CHG-1", "Change", t0, **{IN: "INC-1"}),
        # INC-2 is caused by CHG-2 (its inward link)
        _issue("INC-2", "Incident", t0, **{IN: "CHG-2"}),
        _issue("CHG-2", "Change", t0),
        # CHG-3 causes INC-3 (the change's outward link only)
        _issue("INC-3", "Incident", t0),
        _issue("CHG-3", "Change", t0, **{OUT: "INC-3"}),
        # INC-4 prompted CHG-4, written on the change's side only
        _issue("INC-4", "Incident", t0),
        _issue("CHG-4", "Change", t0, **{IN: "INC-4"}),
        # an inward link to a change outside the export: is caused by it
        _issue("INC-5", "Incident", t0, **{IN: "OPS-9"}),
        # an outward link to an issue outside the export: it causes that one
        _issue("INC-6", "Incident", t0, **{OUT: "OPS-8"}),
    ]
    t = _tickets(_write(tmp_path / "j.csv", rows, [OUT, IN]))
    got = t[m.CAUSED_BY_CHANGE]
    assert got.isna()["INC-1"] and got.isna()["INC-4"] and got.isna()["INC-6"]
    assert got["INC-2"] == "CHG-2"
    assert got["INC-3"] == "CHG-3"
    assert got["INC-5"] == "OPS-9"
    assert int(got[t[m.KIND] == "incident"].notna().sum()) == 3


def test_a_link_type_named_in_the_passive_reads_the_other_way(tmp_path: Path) -> None:
    t0 = pd.Timestamp("2026-01-05 09:00")
    out, inw = "Outward issue link (is caused by)", "Inward issue link (is caused by)"
    rows = [
        _issue("INC-1", "Incident", t0, **{out: "CHG-1"}),   # is caused by CHG-1
        _issue("CHG-1", "Change", t0),
        _issue("INC-2", "Incident", t0, **{inw: "CHG-2"}),   # causes CHG-2
        _issue("CHG-2", "Change", t0),
    ]
    got = _tickets(_write(tmp_path / "j.csv", rows, [out, inw]))[m.CAUSED_BY_CHANGE]
    assert got["INC-1"] == "CHG-1"
    assert pd.isna(got["INC-2"])


def test_incidents_that_prompted_changes_are_not_change_caused(tmp_path: Path) -> None:
    """The reviewer's scen_jira: 600 incidents, 40 changes, 25 incidents prompted a change
    (incident outward, change inward). No incident was caused by a change."""
    import numpy as np

    rng = np.random.default_rng(3)
    t0 = pd.Timestamp("2026-01-05")
    rows = []
    for i in range(600):
        at = t0 + pd.Timedelta(seconds=float(rng.uniform(0, 88 * 86400)))
        rows.append(_issue(f"ITS-{i + 1}", "Incident", at))
    changes = []
    for j in range(40):
        at = t0 + pd.Timedelta(seconds=float(rng.uniform(0, 88 * 86400)))
        changes.append(_issue(f"CHG-{j + 1}", "Change", at))
    for j in range(25):
        i = int(rng.integers(0, 600))
        rows[i][OUT] = f"CHG-{j + 1}"
        changes[j][IN] = rows[i]["Issue key"]
    path = _write(tmp_path / "jira.csv", rows + changes, [OUT, IN])
    report = api.diagnose_paths([path], api.RunOptions())
    sign = next(s for s in report.signs if s.id == "changes")
    assert sign.status != "triggered"  # was: triggered, 25.0 a quarter (tier 1: 25)
    assert not sign.metrics["tier1_incidents"].value  # 0 or not measured: never 25
    assert "tier 1: 25" not in sign.evidence.summary
