"""Time to resolve measured to the closed time where the tool records resolutions (review
16b, D6).

The real ServiceNow log listed as a current-state list read a median time to resolve of
23.95 h where its audit log reads 7.37 h: 1,524 incidents created already resolved carry
no resolved time in the list, so the done time fell back to their closure, an auto-close
about 120 h later, and the panel's only caveat said the figure "leans low". The done
time keeps its definition (resolved, else closed); when the fallback measures at least
``defaults.ttr_closed_share`` of the tickets where their tool records resolutions, the
panel now says the figure leans high, by the median closed-minus-resolved lag, and what
it reads without them, and marks it not reliable.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag.report import Report

START = pd.Timestamp("2026-01-05")
HEADER = ("number", "state", "priority", "category", "assignment_group", "assigned_to",
          "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on")
#: ServiceNow closes a resolved incident five days later
AUTO_CLOSE = pd.Timedelta(hours=120)


def _desk(n: int, no_resolved: float, seed: int = 8) -> pd.DataFrame:
    """``n`` incidents over 20 weeks, resolved within 1-5 hours and closed 120 hours
    after; a ``no_resolved`` share of them was created already resolved: no resolved
    time, closed 120 hours after opening."""
    rng = np.random.default_rng(seed)
    # whole seconds, as the file writes them
    opened = (START + pd.to_timedelta(np.sort(rng.uniform(0, 140, n)), unit="D")).floor("s")
    resolved = pd.Series(opened + pd.to_timedelta(rng.uniform(1, 5, n), unit="h")).dt.floor(
        "s")
    closed = resolved + AUTO_CLOSE
    blank = rng.random(n) < no_resolved
    closed[blank] = pd.Series(opened)[blank] + AUTO_CLOSE
    resolved[blank] = pd.NaT
    return pd.DataFrame({"opened": opened, "resolved": resolved, "closed": closed})


def _write(df: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir(parents=True)
    when = "%Y-%m-%d %H:%M:%S"
    with (folder / "incident.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, r in enumerate(df.itertuples(index=False)):
            out.writerow({
                "number": f"INC{i + 1:07d}", "state": "Closed", "priority": "3 - Moderate",
                "category": f"Category {i % 6}", "assignment_group": ("Desk", "Net")[i % 2],
                "assigned_to": f"Agent {i % 7}", "caller_id": f"User {i % 900}",
                "contact_type": "Phone", "opened_at": r.opened.strftime(when),
                "resolved_at": "" if pd.isna(r.resolved) else r.resolved.strftime(when),
                "closed_at": r.closed.strftime(when),
                "sys_updated_on": r.closed.strftime(when)})
    return folder


def _measured(df: pd.DataFrame, report: Report) -> pd.DataFrame:
    """The tickets the panel measures: done (resolved, else closed) in the window."""
    start, end = (pd.Timestamp(x).tz_localize(None) for x in
                  (report.window.start, report.window.end))
    done = df["resolved"].fillna(df["closed"])
    return df[(done >= start) & (done <= end)].assign(
        hours=(done - df["opened"]) / pd.Timedelta(hours=1))


@pytest.fixture(scope="module")
def created_resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame,
                                                                        Report]:
    df = _desk(3000, 0.10)
    return df, api.diagnose_paths([_write(df, tmp_path_factory.mktemp("ttr") / "list")],
                                  api.RunOptions())


def test_the_closed_time_fallback_says_the_figure_leans_high(
        created_resolved: tuple[pd.DataFrame, Report]) -> None:
    df, report = created_resolved
    ttr = report.kpis.time_to_resolve_hours
    mine = _measured(df, report)
    leaning = mine["resolved"].isna()
    assert ttr["n"] == len(mine)
    assert ttr["median"] == pytest.approx(mine["hours"].median())
    caveat = (report.kpis.caveats or {}).get("time_to_resolve_hours", "")
    # before: no caveat at all, and the KPI reliable
    assert caveat.startswith(
        f"Leans high: {int(leaning.sum()):,} of the {len(mine):,} tickets measured "
        f"({leaning.mean():.1%}) have no resolved time")
    assert (f"on the {int((~leaning).sum()):,} tickets done in the window with both times "
            "the closure came a median 120.0 h after the resolution") in caveat
    rest = mine.loc[~leaning, "hours"]
    assert (f"without them the median would be {rest.median():,.2f} h and the p90 "
            f"{rest.quantile(0.9):,.1f} h ({len(rest):,} tickets)") in caveat
    assert rest.median() < ttr["median"]
    assert "Leans low" not in caveat
    assert report.kpis.reliable["time_to_resolve_hours"] is False
    # the definition still says which done time was used, and for how many
    assert (f"The done time is the closed time for {int(leaning.sum()):,} with no "
            "resolved time") in report.kpis.definitions["time_to_resolve_hours"]


def test_a_few_fallbacks_or_a_table_without_resolutions_say_nothing(tmp_path: Path) -> None:
    assert config.load_rules().defaults.ttr_closed_share == 0.05
    # 2% created resolved: under the share, no caveat
    report = api.diagnose_paths([_write(_desk(3000, 0.02), tmp_path / "few")],
                                api.RunOptions())
    assert "time_to_resolve_hours" not in (report.kpis.caveats or {})
    # a tool that records no resolution at all (not one ticket has a resolved time): the
    # closure is the done time, nothing leans
    df = _desk(3000, 0.0)
    df["closed"], df["resolved"] = df["resolved"], pd.NaT
    report = api.diagnose_paths([_write(df, tmp_path / "none")], api.RunOptions())
    assert "time_to_resolve_hours" not in (report.kpis.caveats or {})


def test_against_a_short_reach_the_low_lean_is_said_after_the_high_one(
        created_resolved: tuple[pd.DataFrame, Report], tmp_path: Path) -> None:
    df, _ = created_resolved
    # cut on the opened date to the last 10 weeks, 3 weeks into the 13-week window: it
    # lacks the slowest tickets too
    late = df[df["opened"] >= START + pd.Timedelta(weeks=10)].reset_index(drop=True)
    report = api.diagnose_paths([_write(late, tmp_path / "late")], api.RunOptions())
    caveat = (report.kpis.caveats or {}).get("time_to_resolve_hours", "")
    assert caveat.startswith("Leans high: ")
    assert ". Against that, it leans low: the median and p90 lack the tickets opened before" \
        in caveat
