"""Trust's duplicate share on an export cut to one assignment group (review 16b, D8).

A duplicate is a pair: a cut to one group keeps it only when both tickets sat in that
group. The real log's Group 70 alone read trust "clear, medium, duplicates 2.4%" while a
quarter of that group's pairs had their other ticket in another group. On the
``one_group`` shape the duplicate share is now a floor: a trigger stands, a clear is
unknown, and the reason says why in numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Finding, Report

START = pd.Timestamp("2026-04-01")
HEADER = ("number", "state", "priority", "category", "assignment_group", "assigned_to",
          "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on")
GROUPS = ("Desk", "Network")


def _desk(pairs: int, cross: float, seed: int = 5) -> pd.DataFrame:
    """1,600 incidents over 13 weeks in two groups, by 800 requesters in 8 categories,
    each done within a day; ``pairs`` of them raised again by their requester in their
    category three hours later while still open, the second ticket in the other group
    for a ``cross`` share of the pairs."""
    rng = np.random.default_rng(seed)
    n = 1600
    df = pd.DataFrame({
        "opened": START + pd.to_timedelta(np.sort(rng.uniform(0, 90, n)), unit="D"),
        "hours": rng.uniform(2, 20, n),
        "requester": rng.integers(0, 800, n),
        "category": rng.integers(0, 8, n),
        "group": rng.integers(0, 2, n),
    })
    first = df.iloc[rng.choice(n, pairs, replace=False)].copy()
    first["hours"] = 12.0
    df.loc[first.index, "hours"] = 12.0
    again = first.copy()
    again["opened"] = first["opened"] + pd.Timedelta(hours=3)
    again["hours"] = 4.0
    moved = rng.random(pairs) < cross
    again.loc[moved, "group"] = 1 - again.loc[moved, "group"]
    return pd.concat([df, again], ignore_index=True).sort_values("opened",
                                                                ignore_index=True)


def _write(df: pd.DataFrame, folder: Path, group: str | None = None) -> Path:
    folder.mkdir(parents=True)
    with (folder / "incident.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, r in enumerate(df.itertuples(index=False)):
            name = GROUPS[int(r.group)]
            if group is not None and name != group:
                continue
            done = r.opened + pd.Timedelta(hours=float(r.hours))
            closed = done + pd.Timedelta(days=1)
            when = "%Y-%m-%d %H:%M:%S"
            out.writerow({
                "number": f"INC{i + 1:07d}", "state": "Closed", "priority": "3 - Moderate",
                "category": f"Category {int(r.category)}", "assignment_group": name,
                "assigned_to": f"Agent {i % 7}", "caller_id": f"User {int(r.requester)}",
                "contact_type": ("Phone", "Self-service")[i % 2],
                "opened_at": r.opened.strftime(when), "resolved_at": done.strftime(when),
                "closed_at": closed.strftime(when), "sys_updated_on": closed.strftime(when)})
    return folder


def _trust(report: Report) -> Finding:
    return next(s for s in report.signs if s.id == "trust")


@pytest.fixture(scope="module")
def desk() -> pd.DataFrame:
    # 60 pairs, 40% of them split across the two groups
    return _desk(60, 0.4)


def test_the_whole_desk_clears_on_its_duplicates(desk: pd.DataFrame, tmp_path: Path
                                                 ) -> None:
    report = api.diagnose_paths([_write(desk, tmp_path / "whole")], api.RunOptions())
    assert "one_group" not in report.extract_shape
    trust = _trust(report)
    assert trust.status == "clear"
    assert 0.02 < (trust.metrics["duplicate_share"].value or 0) < 0.05


def test_one_groups_cut_cannot_clear_trust_on_its_duplicates(desk: pd.DataFrame,
                                                             tmp_path: Path) -> None:
    report = api.diagnose_paths([_write(desk, tmp_path / "desk", "Desk")], api.RunOptions())
    assert "one_group" in report.extract_shape
    trust = _trust(report)
    share = trust.metrics["duplicate_share"]
    # before: clear (medium), the pairs split across the groups cut out of the share
    assert trust.status == "unknown"
    assert share.value is not None and share.value < 0.05
    assert 'carries the assignment group "Desk"' in trust.reason
    assert (f"duplicate share ({share.value:.1%}, {share.numerator:,.0f} of "
            f"{share.denominator:,.0f}) can only read lower") in trust.reason
    # the intake channels, a share of the group's own tickets, are still measured
    assert trust.metrics["bypass_share"].value is not None


def test_one_groups_duplicates_still_trigger(tmp_path: Path) -> None:
    # 180 pairs, none split: the group's own share is over 5%, a floor that stands
    desk = _desk(180, 0.0)
    report = api.diagnose_paths([_write(desk, tmp_path / "many", "Desk")],
                                api.RunOptions())
    assert "one_group" in report.extract_shape
    trust = _trust(report)
    assert trust.status == "triggered"
    assert (trust.metrics["duplicate_share"].value or 0) >= 0.05
