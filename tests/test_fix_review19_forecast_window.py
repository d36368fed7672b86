"""Review 19b #5: the forecast read the backlog sign's threshold per 13-week quarter while
the sign reads it over its window.

Under ``window_weeks: 6`` a backlog falling 3 a week (490 -> 475 over the sign's 6 week
ends, a 3.1% shrink) triggered the sign ("shrank by less than 5% over the window") while
the forecast said "Extra completions a week needed: 0 (zero: the backlog already shrinks
that fast)", from ``-3 + 0.05 x 475 / 13 = -1.2``. The forecast now asks of the trend line
what the sign does: that it fall by the threshold x its start level over the weeks from
its first week end to its last (5 here: ``-3 + 0.05 x 490 / 5 = 1.9`` extra a week), so
extra completions are needed exactly when the sign's shrink is under its threshold,
whatever the window. The desks are built here and their week-end backlogs recounted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app

runner = CliRunner()
END = pd.Timestamp("2026-09-30 23:00")
WEEKS = 80


def _desk(folder: Path, stock: int, per_week: float, weeks: int) -> tuple[pd.Series, pd.Series]:
    """A ServiceNow incident list: 100 incidents a week, each done a day after it opened
    (those of the last day still open), but ``stock`` of them from the sixth week on (the
    first weeks all done: the export reaches back), which stay open until ``per_week`` of
    them a week are done over the last ``weeks`` weeks (the oldest first, evenly).
    Returns the opened and done times."""
    start = END - pd.Timedelta(weeks=WEEKS)
    k = np.arange(WEEKS * 100)
    opened = pd.Series(start + pd.to_timedelta(k // 100, unit="W")
                       + pd.to_timedelta(168 * (k % 100) / 100, unit="h"))
    done = opened + pd.Timedelta(hours=24)
    stuck = (k >= 500) & (k < 500 + stock)
    done[stuck] = pd.NaT
    first = END - pd.Timedelta(weeks=weeks)
    closing = np.flatnonzero(stuck)[:round(per_week * weeks)]
    done.iloc[closing] = [first + pd.Timedelta(hours=168 * (i + 0.5) / per_week)
                          for i in range(len(closing))]
    done[done > END] = pd.NaT

    def when(ts: pd.Series) -> pd.Series:
        return ts.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    folder.mkdir(parents=True, exist_ok=True)
    n = len(opened)
    pd.DataFrame({
        "number": [f"INC{i + 1:07d}" for i in range(n)], "short_description": "App issue",
        "priority": "3 - Moderate", "category": "Software",
        "state": np.where(done.notna(), "Closed", "In Progress"),
        "assignment_group": "Desk", "assigned_to": "Agent A", "caller_id": "User",
        "opened_at": when(opened), "resolved_at": when(done), "closed_at": when(done),
        "reassignment_count": 0, "made_sla": "true",
    }).to_csv(folder / "incident.csv", index=False)
    return opened, done


def _recount(opened: pd.Series, done: pd.Series, window: int) -> list[int]:
    """The open backlog at each of the window's week ends (the end of each of its weeks,
    the last at the data's last day's end), counted here apart from the code."""
    last = END.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    ends = [last - pd.Timedelta(weeks=j) for j in range(window - 1, -1, -1)]
    return [int(((opened <= e) & (done.isna() | (done > e))).sum()) for e in ends]


def _diagnose(tmp_path: Path, folder: Path, window: int) -> dict[str, Any]:
    cfg = tmp_path / "w.yaml"
    cfg.write_text(f"defaults:\n  window_weeks: {window}\n", encoding="utf-8")
    out = tmp_path / f"{folder.name}.json"
    result = runner.invoke(app, ["diagnose", str(folder), "--config", str(cfg),
                                 "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def _agree(doc: dict[str, Any], levels: list[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sign's figures are the recount's; the forecast's extra completions are what
    the recount says the sign's threshold asks of the trend."""
    sign = next(s for s in doc["signs"] if s["id"] == "backlog")
    fc = doc["analyses"]["forecast"]
    m = {k: v["value"] for k, v in fc["metrics"].items()}
    start, end, span = levels[0], levels[-1], len(levels) - 1
    assert sign["metrics"]["backlog_start"]["value"] == pytest.approx(start)
    assert sign["metrics"]["backlog_end"]["value"] == pytest.approx(end)
    assert sign["metrics"]["backlog_shrink"]["value"] == pytest.approx((start - end) / start)
    threshold = sign["threshold"]["conditions"]["min_shrink"]["value"]
    slope = (end - start) / span
    assert m["net_per_week"] == pytest.approx(slope)
    assert m["extra_completions_per_week"] == pytest.approx(
        max(slope + threshold * start / span, 0.0))
    shrank_enough = (start - end) / start >= threshold
    assert (m["extra_completions_per_week"] == 0) == shrank_enough
    assert sign["threshold"]["conditions"]["min_shrink"]["met"] == (not shrank_enough)
    return sign, fc


def test_a_six_week_window_the_sign_triggers_on_needs_extra_completions(
        tmp_path: Path) -> None:
    opened, done = _desk(tmp_path / "six", stock=500, per_week=3, weeks=13)
    levels = _recount(opened, done, 6)
    # 3 a week fewer: 490 -> 475 over the 5 weeks between the 6 week ends, 3.1%
    assert levels == [490, 487, 484, 481, 478, 475]
    doc = _diagnose(tmp_path, tmp_path / "six", 6)
    sign, fc = _agree(doc, levels)
    assert sign["status"] == "triggered"
    # 5% of 490 over 5 weeks is 4.9 a week; it falls 3: 1.9 more (the quarter read 0)
    assert fc["metrics"]["extra_completions_per_week"]["value"] == pytest.approx(1.9)
    assert fc["metrics"]["completions_needed_per_week"]["value"] == pytest.approx(
        fc["metrics"]["completions_per_week"]["value"] + 1.9)
    said = next(n["text"] for n in fc["notes"] if n["code"] == "assumptions")
    assert ("target: the backlog sign's threshold on its trend line, over the span it "
            "judges the shrink across (5 weeks, from its first week end to its last): 5% "
            "smaller, from 490 to 466, a fall of 4.90 a week") in said
    assert "13 weeks" not in said and "quarter" not in said


@pytest.mark.parametrize(("name", "stock", "per_week", "weeks", "window", "ends", "status",
                          "extra"), [
    # 2 a week fewer over the 25 weeks between the 26 week ends: 50 of 600, 8.3%, over 5%:
    # clear, and no extra completions (a quarter's 0.05 x 550 / 13 = 2.1 a week asked for
    # 0.1 more)
    ("long", 596, 2, 30, 26, (600, 550), "clear", 0.0),
    # 13 weeks, 2 a week fewer: 24 of 500 over the 12 weeks between the week ends, 4.8%,
    # under 5%: the sign triggers, and the trend must fall 0.05 x 500 / 12 = 2.08 a week
    # (open now / 13 read 1.8: "0 extra" beside the sign)
    ("edge", 488, 2, 13, 13, (500, 476), "triggered", -2 + 0.05 * 500 / 12),
])
def test_the_sign_and_the_forecast_agree_on_either_side(
        tmp_path: Path, name: str, stock: int, per_week: int, weeks: int, window: int,
        ends: tuple[int, int], status: str, extra: float) -> None:
    opened, done = _desk(tmp_path / name, stock=stock, per_week=per_week, weeks=weeks)
    levels = _recount(opened, done, window)
    assert (levels[0], levels[-1]) == ends
    doc = _diagnose(tmp_path, tmp_path / name, window)
    sign, fc = _agree(doc, levels)
    assert sign["status"] == status
    assert fc["metrics"]["extra_completions_per_week"]["value"] == pytest.approx(extra)
