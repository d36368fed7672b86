"""Review 20b, defect 1: a queue mostly waiting on callers or vendors (status pending:
ServiceNow On Hold / Awaiting ..., Zendesk pending and on-hold) read "The backlog never
shrinks" triggered (9 of 12 seeds, 2 with high confidence: "growth 28%"), where the same
work without holds was clear on every seed, and nothing said the queue was 87% on hold;
the forecast priced agent hours on it.

Now the backlog sign counts the open tickets waiting at the window end (and, with an
audit log, at each week end) in its evidence; a trigger the workable queue would not
give is unknown, its reason giving both; the KPI panel's backlog line says it; the
forecast prices no agent hours on waiting tickets. Every figure is recounted here with
pandas from the files the report read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import holddesk
from itsm_diag import api

END = pd.Timestamp("2026-09-30 23:59:59")


def _diagnose(path: Path) -> Any:
    return api.diagnose_paths([path], api.RunOptions())


def _sign(report: Any, sign_id: str = "backlog") -> Any:
    return next(s for s in report.signs if s.id == sign_id)


def _open_waiting_list(path: Path) -> tuple[int, int]:
    """(open at END, of them On Hold) recounted from the list export."""
    df = pd.read_csv(path, keep_default_na=False)
    opened = pd.to_datetime(df.opened_at)
    done = pd.to_datetime(df.resolved_at.replace("", None))
    open_end = (opened <= END) & ~(done <= END)
    return int(open_end.sum()), int((open_end & (df.state == "On Hold")).sum())


@pytest.fixture(scope="module")
def seed12(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Review 20b's seed 12: 40% of incidents held 5-15 days, and the same work with no
    holds (the control), as a list and an audit log."""
    root = tmp_path_factory.mktemp("hold")
    held, control = holddesk.desk(0.4, 10, 12), holddesk.desk(0.0, 10, 12)
    out = {"truth": held,
           "list": holddesk.write_list(held, root / "incident.csv"),
           "control": holddesk.write_list(control, root / "control.csv")}
    (root / "log").mkdir()
    out["log"] = holddesk.write_log(held, root / "log" / "incident_event_log.csv")
    out["reports"] = {k: _diagnose(out[k]) for k in ("list", "control", "log")}
    return out


def test_a_queue_mostly_on_hold_is_no_confident_trigger(seed12: dict[str, Any]) -> None:
    """Before: triggered, high confidence, growth 28%, no word of the holds. Now unknown,
    its reason the waiting count and the workable queue, recounted."""
    report = seed12["reports"]["list"]
    sign = _sign(report)
    n_open, n_wait = _open_waiting_list(seed12["list"])
    assert (n_open, n_wait) == (123, 107)
    assert sign.metrics["open_now"].value == n_open
    assert sign.metrics["waiting_now"].value == n_wait
    # the whole queue still reads as growth, material: the trigger's own figures stand
    assert sign.metrics["backlog_shrink"].value < -0.2
    assert all(c.met for c in sign.threshold.conditions.values())
    # ... but without the waiting tickets the queue is 16, under half a week of arrivals
    per_week = sign.metrics["backlog_weeks_of_arrivals"].denominator
    assert (n_open - n_wait) / per_week < 0.5
    assert sign.status == "unknown"
    assert f"{n_wait} of the {n_open} tickets open at the window end (87%)" in sign.reason
    assert f"the desk's queue is {n_open - n_wait} tickets, " \
           f"{(n_open - n_wait) / per_week:.2f} weeks" in sign.reason
    assert "On Hold" in sign.reason
    assert f"{n_wait} of them waiting on others" in sign.evidence.summary
    # the control desk (the same work, no holds) is clear, with none waiting
    control = _sign(seed12["reports"]["control"])
    assert (control.status, control.confidence) == ("clear", "high")
    assert control.metrics["waiting_now"].value == 0


def test_an_audit_log_gives_the_waiting_at_each_week_end(seed12: dict[str, Any]) -> None:
    """With the status history, the waiting tickets at each week end of the trend are
    counted, and the workable queue's trend is in the reason: recounted from the log."""
    sign = _sign(seed12["reports"]["log"])
    log = pd.read_csv(seed12["log"])
    log["at"] = pd.to_datetime(log.sys_updated_at, format="%d/%m/%Y %H:%M")
    weekly = sign.evidence.series["weekly"]
    ends = [pd.Timestamp(r["week_end"]).tz_convert(None) for r in weekly]
    waiting, opened = [], []
    for end in ends:
        last = log[log["at"] <= end].groupby("number").incident_state.last()
        waiting.append(int(last.isin(["Awaiting User Info", "Awaiting Vendor"]).sum()))
        opened.append(int((~last.isin(["Resolved", "Closed"])).sum()))
    assert opened == [r["open"] for r in weekly]
    assert sign.metrics["waiting_now"].value == waiting[-1]
    rest = np.array(opened) - np.array(waiting)
    assert sign.status == "unknown"
    assert (f"ran from {waiting[0]} to {waiting[-1]} (at most {max(waiting)}"
            in sign.reason)
    assert f"the desk can work ran from {rest.min()} to {rest.max()}" in sign.reason


def test_the_kpi_panel_says_the_backlog_is_mostly_waiting(tmp_path: Path) -> None:
    """Review 20b's desk B (50% held 3-9 days): the backlog sign unknown on its noise
    (its reason not about the holds), so the panel's backlog line says the waiting."""
    path = holddesk.write_list(holddesk.desk(0.5, 6, 1), tmp_path / "incident.csv")
    report = _diagnose(path)
    n_open, n_wait = _open_waiting_list(path)
    assert report.kpis.backlog["open_now"] == n_open
    assert report.kpis.backlog["waiting_now"] == n_wait
    caveat = report.kpis.caveats["backlog_weekly"]
    assert (f"{n_wait} of the {n_open} open ({n_wait / n_open:.0%}) wait on others (on "
            f"hold, pending); the desk can work {n_open - n_wait}.") in caveat
    assert caveat.count(f"{n_wait} of the {n_open}") == 1
    # the line itself, in every format
    from itsm_diag.render import common

    assert common.backlog_text(report).endswith(
        f"{n_open} open at the window end, {n_wait} of them waiting")


def test_the_forecast_prices_no_agent_hours_on_waiting_tickets(tmp_path: Path) -> None:
    """A desk whose workable queue grows too (arrivals rising by half, slow work) and
    whose holds add to it: the sign triggers on both, and the forecast's extra
    completions are the whole trend's x the share not waiting (a list export), its
    hours those completions' only."""
    truth = holddesk.desk(0.4, 10, 5, work_median=60.0, ramp=1.6)
    path = holddesk.write_list(truth, tmp_path / "incident.csv")
    report = _diagnose(path)
    sign = _sign(report)
    n_open, n_wait = _open_waiting_list(path)
    per_week = sign.metrics["backlog_weeks_of_arrivals"].denominator
    assert sign.status == "triggered"
    assert (n_open - n_wait) / per_week > 0.5  # the workable queue is material too
    fc = report.analyses["forecast"]
    assert fc.metrics["waiting_now"].value == n_wait
    trend = [r["trend"] for r in sign.evidence.series["weekly"] if r.get("trend") is not None]
    span = len(trend) - 1
    whole = max((trend[-1] - trend[0]) / span + 0.05 * trend[0] / span, 0.0)
    assert whole > 0
    extra = fc.metrics["extra_completions_per_week"].value
    assert extra == pytest.approx(whole * (n_open - n_wait) / n_open, rel=0.01)
    minutes = report.assumptions.handle_minutes["incident"]
    assert fc.metrics["extra_agent_hours_per_week"].value == pytest.approx(
        extra * minutes / 60, rel=1e-6)
    assert any(f"{n_wait:,} of the {n_open:,} open now" in n.text and f"{extra:,.2f}" in n.text
               for n in fc.notes)


def test_the_capacity_fix_does_not_say_arrivals_outrun_completions() -> None:
    """The fix read "while arrivals outrun completions" beside arrivals per completion
    1.01."""
    rules = api.load_rules(None)
    fix = next(f for f in rules.signs["backlog"].fixes if f.id == "capacity-review")
    assert "while arrivals outrun completions" not in fix.action
