"""One report, one story: parts of a report that contradicted each other (review 11).

1. A closed-only export read onboarding "clear, 0 late, high confidence" while its own
   data note said the tickets open at its cut were missing: the demo's three late
   onboarding requests are all open, so the cut removed every one of them.
3. "Where it concentrates" stood under the real log's unknown backlog (five drivers)
   and under a clear reopens check: a driver is shown under a triggered finding only.
4. The changes sign said "over 13 weeks" of a rate counted over the 6 its change records
   cover.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Finding, Report

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"


def _cut(tmp: Path, keep: dict[str, str]) -> Path:
    """The demo's files with the rows each ``keep`` query names kept (a file without
    one is copied whole)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for path in DEMO.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        query = keep.get(path.stem) or keep.get("*")
        if query is not None and query.split()[0].strip("`") in frame.columns:
            frame = frame.query(query)
        frame.to_csv(tmp / path.name, index=False)
    return tmp


def _find(report: Report, rule: str) -> Finding:
    return next(f for f in [*report.signs, *report.checks] if f.id == rule)


def test_a_closed_only_export_cannot_clear_onboarding(tmp_path: Path) -> None:
    full = api.diagnose_paths([DEMO], api.RunOptions())
    assert _find(full, "onboarding").metrics["late_requests"].value == 3
    closed = api.diagnose_paths([_cut(tmp_path / "closed", {"*": "closed_at != ''"})],
                                api.RunOptions())
    assert closed.extract_shape  # read as selected on closure, with a data note
    onboarding = _find(closed, "onboarding")
    # it said: clear, 0 of 30 late, high confidence
    assert onboarding.status == "unknown", onboarding.reason
    assert "an open onboarding request past its start day is a late one" in onboarding.reason


def test_the_changes_rate_says_the_weeks_it_is_over(tmp_path: Path) -> None:
    short = api.diagnose_paths(
        [_cut(tmp_path / "short", {"change_request": "opened_at < '2026-07-31'"})],
        api.RunOptions())
    changes = _find(short, "changes")
    assert any("cover less of the window" in n.text for n in changes.evidence.notes)
    weeks = changes.metrics["rate_weeks"].value
    assert weeks is not None and weeks < 8
    assert f"a quarter over {weeks:,.1f} weeks" in changes.evidence.summary
    assert "over 13 weeks" not in changes.evidence.summary
    full = _find(api.diagnose_paths([DEMO], api.RunOptions()), "changes")
    assert "a quarter over 13.0 weeks" in full.evidence.summary


@pytest.mark.parametrize("config", [False, True])
def test_drivers_stand_only_under_triggered_findings(real_log: Path, open_kept: Path,
                                                     config: bool) -> None:
    report = api.diagnose_paths([real_log], api.RunOptions(
        config_file=open_kept if config else None))
    findings = [*report.signs, *report.checks]
    assert any(f.drivers for f in findings)  # sla-by-priority and routing: triggered
    for f in findings:
        assert not f.drivers or f.status == "triggered", (f.id, f.status)
    if not config:  # the real log's backlog is clear (its cut, long after the window,
        # leaves next to none of the window's open tickets missing: review 16)
        backlog = _find(report, "backlog")
        assert backlog.status == "clear" and backlog.drivers == []
        assert report.analyses["drivers"].metrics["drivers"].value == 18  # all still here


def test_the_reporting_sign_and_the_kpi_panel_agree_on_a_cut_extract(
        tmp_path: Path, real_log: Path, cut_kept: Path) -> None:
    """Item 2: on a closed-only extract the panel marked the backlog trend unusable while
    the reporting sign counted it computable and cleared (counted as the panel counts,
    2 of 5 missing, it would trigger); the JSON flag said reliable beside a caveat that
    began "Not reliable". The trend is the extract's gap, not the tool's: not reliable
    in both places, and the sign is unknown where counting it would change the verdict."""
    # one real gap besides the cut's (the SLA outcome blanked: the demo's other gap,
    # requests without a category, was none, review 15b), so the cut decides
    folder = _cut(tmp_path / "closed", {"*": "closed_at != ''"})
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ("made_sla", "due_date"):
            if col in frame.columns:
                frame[col] = ""
        frame.to_csv(path, index=False)
    closed = api.diagnose_paths([folder], api.RunOptions())
    reporting = _find(closed, "reporting")
    assert reporting.status == "unknown", reporting.reason  # it said: clear
    assert "whether the backlog trend can be reported decides the verdict" in reporting.reason
    row = next(r for r in reporting.evidence.tables["kpis"] if r["kpi"] == "backlog_trend")
    assert row["computable"] is False
    assert closed.kpis.reliable["backlog_weekly"] is False
    # the real log read as none open for its window too (``cut_kept``): 4 of 5, as its
    # panel shows, and still clear
    real = api.diagnose_paths([real_log], api.RunOptions(config_file=cut_kept))
    assert real.kpis.reliable["backlog_weekly"] is False
    assert real.kpis.caveats["backlog_weekly"]
    sign = _find(real, "reporting")
    assert sign.status == "clear" and sign.evidence.summary.startswith(
        "4 of 5 core KPIs computable")
