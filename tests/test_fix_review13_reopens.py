"""The reopens check on reopen data that covers part of the window (review 13, #3).

A tool migration: ServiceNow holds the tickets up to the cut-over and keeps a reopen
count, the new tool's plain Jira CSV keeps none. Over the quarter after the cut-over the
reopen rate rested on the old tool's last 8 days, 411 of the 4,666 done tickets (9%):
"triggered, high, 12%, about 16.4 a month" (truth: 180 a month), where routing, on the
same coverage, was unknown by its ``min_fill`` rule. The check now takes the same rule
(a reopen count or a status history on at least ``min_fill`` of the done tickets in the
window, else unknown with the numbers); a rate measured on part of the done tickets says
its coverage.

Review rd13a: the fill is counted over the done tickets of the kinds that carry reopen
data at all (#1: a ServiceNow list keeps ``reopen_count`` on incidents only, and a desk
with more requests than incidents read unknown at 46% where its incidents were 100%
covered), and the figures a month are the rate scaled to those kinds' done tickets over
the window's months (#5: with coverage mixed within weeks, a new tool holding 60% of
every week's tickets, the weeks read covered and the reopens a month were 40% low).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag.report import Report

START, END = "2025-04-01", "2025-06-30"
#: the window's length in months of 30.44 days (1 Apr 00:00 to 30 Jun 23:59:59.999999)
MONTHS = (pd.Timestamp("2025-07-01") - pd.Timestamp("2025-04-01")
          - pd.Timedelta(microseconds=1)) / pd.Timedelta(days=30.4375)


def _reopens(report: Report) -> Any:
    return next(c for c in report.checks if c.id == "reopens")


def _servicenow(folder: Path, opened: pd.DatetimeIndex, resolved: pd.DatetimeIndex,
                reopens: np.ndarray) -> None:
    """An incident.csv: every ticket closed, with its reopen count (a blank cell for a
    string ``""``)."""
    stamp = "%Y-%m-%d %H:%M:%S"
    n = len(opened)
    pd.DataFrame({
        "number": [f"INC{10001 + i:07d}" for i in range(n)],
        "short_description": "Printer jam",
        "state": "Closed",
        "priority": "3 - Moderate",
        "category": "Hardware",
        "assignment_group": "Service Desk",
        "caller_id": [f"User {i % 97}" for i in range(n)],
        "opened_at": opened.strftime(stamp),
        "resolved_at": resolved.strftime(stamp),
        "closed_at": (resolved + pd.Timedelta(hours=1)).strftime(stamp),
        "sys_updated_on": (resolved + pd.Timedelta(hours=1)).strftime(stamp),
        "reopen_count": reopens.astype(str),
        "reassignment_count": [str(i % 3) for i in range(n)],
    }).to_csv(folder / "incident.csv", index=False)


def _jira(folder: Path, opened: pd.DatetimeIndex, resolved: pd.DatetimeIndex) -> None:
    """A plain Jira CSV: no reopen or reassignment count, no history."""
    stamp = "%d/%b/%y %I:%M %p"
    n = len(opened)
    pd.DataFrame({
        "Summary": "Laptop will not start",
        "Issue key": [f"ITSM-{i + 1}" for i in range(n)],
        "Issue id": [str(20001 + i) for i in range(n)],
        "Issue Type": "Incident",
        "Status": "Closed",
        "Status Category": "Done",
        "Priority": "Medium",
        "Resolution": "Done",
        "Reporter": [f"User {i % 89}" for i in range(n)],
        "Created": opened.strftime(stamp),
        "Updated": resolved.strftime(stamp),
        "Resolved": resolved.strftime(stamp),
        "Custom field (Category)": "End-user devices",
        "Custom field (Team)": "Service Desk",
    }).to_csv(folder / "jira.csv", index=False)


def _days(first: str, days: float, n: int, seed: int) -> pd.DatetimeIndex:
    """``n`` sorted times spread over ``days`` days from ``first`` (working hours)."""
    rng = np.random.default_rng(seed)
    at = pd.Timestamp(first) + pd.to_timedelta(np.sort(rng.uniform(0, days, n)), unit="D")
    return pd.DatetimeIndex(at).floor("min")


@pytest.fixture(scope="module")
def migration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ServiceNow up to the cut-over on 8 Apr 2025, with reopen counts (12% reopened);
    from 1 Apr the new tool's plain Jira CSV. In the quarter from 1 Apr, 45 of the 500
    done tickets (9%) are the old tool's, done in its last week."""
    folder = tmp_path_factory.mktemp("migration")
    rng = np.random.default_rng(13)
    # the old tool: 300 tickets done over Jan to Mar, then 45 done from 1 to 7 April
    before = _days("2025-01-02", 85, 300, 1)
    last = _days("2025-04-01 08:00", 6.5, 45, 2)
    opened = before.append(last - pd.Timedelta(hours=30))
    resolved = before.append(last) + pd.Timedelta(hours=6)
    resolved = resolved.where(resolved >= opened, opened + pd.Timedelta(hours=1))
    reopens = (rng.random(len(opened)) < 0.12).astype(int)
    reopens[-45:] = 0
    reopens[-45:-40] = 1  # 5 of the 45 in the window: 11%
    _servicenow(folder, pd.DatetimeIndex(opened), pd.DatetimeIndex(resolved), reopens)
    # the new tool: 455 tickets opened from 1 April, each done within a day
    new_opened = _days("2025-04-01 09:00", 89, 455, 3)
    _jira(folder, new_opened, new_opened + pd.Timedelta(hours=5))
    return folder


def test_a_migration_whose_old_tool_alone_counts_reopens_is_unknown(
        migration: Path) -> None:
    report = api.diagnose_paths([migration], api.RunOptions(since=START, until=END))
    reopens = _reopens(report)
    # the old code: triggered, high, "11% of done tickets were reopened, about 1.7 a month"
    assert reopens.status == "unknown"
    assert reopens.hours_at_stake_per_month is None
    assert reopens.metrics["reopen_rate"].value is None
    # incidents in both tools: the new tool's count as the old one's, 45 of 500
    assert ("Only 45 of the 500 done tickets in the window (9%) have a reopen count or a "
            "status history (at least 50% needed), counted over the kinds that carry one "
            "on any done ticket.") in reopens.reason
    # routing, on the same coverage, says the same numbers
    routing = next(c for c in report.checks if c.id == "routing")
    assert routing.status == "unknown"
    assert "Only 45 of the 500 done tickets in the window (9%)" in routing.reason


def test_min_fill_is_a_validated_param_that_lowers_the_bar(migration: Path) -> None:
    """min_fill is the rule's param (a share, as routing's); at 5% the old tool's last
    week is measured, with its coverage said and its figures a month scaled from the 45
    to the 500 done incidents."""
    rules = config.load_rules()
    valid = config.valid_ranges(rules)["checks.reopens.params.min_fill"]
    assert (valid.lo, valid.hi) == (0, 1)
    with pytest.raises(config.ConfigError, match="min_fill"):
        config.apply_overrides(rules, {"checks": {"reopens": {"params": {"min_fill": 1.5}}}},
                               "test")
    path = migration.parent / "low_fill.yaml"
    path.write_text("checks:\n  reopens:\n    params:\n      min_fill: 0.05\n")
    report = api.diagnose_paths([migration], api.RunOptions(since=START, until=END,
                                                            config_file=path))
    reopens = _reopens(report)
    assert reopens.status == "triggered"
    assert reopens.metrics["reopen_rate"].numerator == 5
    assert reopens.metrics["reopen_rate"].denominator == 45
    texts = [n.text for n in [*reopens.evidence.excluded, *reopens.evidence.notes]]
    assert any("the rate is over the other 45 of the 500 done tickets in the window of the "
               "kinds that carry a reopen count or a status history (9%; at least 5% "
               "needed)" in t for t in texts), texts
    # the measured rate (5 of 45) over the 500 done incidents, over the quarter's months
    # (the old code: over the 7 days of the one week holding reopen data, 21.7 a month)
    per_month = reopens.metrics["reopened_per_month"]
    # the quarter's months the export covers (its last done time, 30 Jun), not 7 days
    assert 2.9 < per_month.denominator <= MONTHS
    assert per_month.numerator == pytest.approx(5 / 45 * 500)
    assert per_month.value == pytest.approx(5 / 45 * 500 / per_month.denominator)
    assert not any(n.code == "covered_weeks" for n in reopens.evidence.notes)
    assert reopens.hours_at_stake_per_month == pytest.approx(per_month.value * 30 / 60)


def _blanked(one_tool: Path, target: Path, share: float) -> Path:
    """``one_tool`` with the reopen count of the first ``share`` of every week's tickets
    (in the order they were opened, reopened or not) blank."""
    target.mkdir()
    frame = pd.read_csv(one_tool / "incident.csv", dtype=str, keep_default_na=False)
    week = pd.to_datetime(frame["opened_at"]).dt.to_period("W")
    rank = frame.groupby(week).cumcount() / week.map(week.value_counts())
    frame.loc[rank.to_numpy() < share, "reopen_count"] = ""
    frame.to_csv(target / "incident.csv", index=False)
    return target


def test_the_fill_bar_takes_a_desk_on_one_side_or_the_other(one_tool: Path,
                                                            tmp_path: Path) -> None:
    """The default bar is half of the done tickets: a reopen count on 45% of each
    week's incidents is unknown with its numbers, on 55% measured."""
    under = api.diagnose_paths([_blanked(one_tool, tmp_path / "under", 0.55)],
                               api.RunOptions(since=START, until=END))
    reopens = _reopens(under)
    assert reopens.status == "unknown"
    assert reopens.metrics["reopen_rate"].value is None
    assert "of the 600 done tickets in the window (4" in reopens.reason
    assert "(at least 50% needed)" in reopens.reason
    over = api.diagnose_paths([_blanked(one_tool, tmp_path / "over", 0.45)],
                              api.RunOptions(since=START, until=END))
    reopens = _reopens(over)
    assert reopens.status != "unknown"
    rate = reopens.metrics["reopen_rate"]
    assert 300 < rate.denominator < 600
    left_out = next(n for n in reopens.evidence.excluded if n.code == "no_reopen_data")
    assert left_out.count == 600 - rate.denominator


def test_a_count_on_part_of_every_week_is_scaled_to_all_the_done_tickets(
        one_tool: Path, tmp_path: Path) -> None:
    """A new tool holding 60% of every week's tickets (a parallel run): every week holds
    a done ticket with reopen data, and the old code counted the reopens of that 60%
    alone a month, 40% low. The rate is now scaled to the 600 done tickets."""
    part = api.diagnose_paths([_blanked(one_tool, tmp_path / "part", 0.4)],
                              api.RunOptions(since=START, until=END))
    reopens = _reopens(part)
    assert (reopens.status, reopens.confidence) == ("triggered", "high")
    rate = reopens.metrics["reopen_rate"]
    assert 300 < rate.denominator < 400
    per_month = reopens.metrics["reopened_per_month"]
    expected = rate.numerator / rate.denominator * 600
    assert per_month.numerator == pytest.approx(expected)
    assert per_month.denominator == pytest.approx(MONTHS, abs=1e-9)
    assert per_month.value == pytest.approx(expected / MONTHS)
    # the handle minutes of the reopened incidents (30 each), scaled the same way
    assert reopens.hours_at_stake_per_month == pytest.approx(expected * 30 / MONTHS / 60)
    assert f"about {expected / MONTHS:,.1f} a month" in reopens.evidence.summary
    left_out = next(n for n in reopens.evidence.excluded if n.code == "no_reopen_data")
    assert left_out.text.endswith("and the figures a month scale it to all 600.")


def _requests(folder: Path, opened: pd.DatetimeIndex) -> None:
    """A ServiceNow sc_req_item.csv: every item closed, with no reopen count (the table
    has no such field)."""
    stamp = "%Y-%m-%d %H:%M:%S"
    n = len(opened)
    closed = opened + pd.Timedelta(hours=8)
    pd.DataFrame({
        "number": [f"RITM{10001 + i:07d}" for i in range(n)],
        "short_description": "Access to shared folder",
        "cat_item": "Access to shared folder",
        "state": "Closed Complete",
        "priority": "4 - Low",
        "assignment_group": "Service Desk",
        "requested_for": [f"User {i % 97}" for i in range(n)],
        "opened_at": opened.strftime(stamp),
        "closed_at": closed.strftime(stamp),
        "sys_updated_on": closed.strftime(stamp),
        "reassignment_count": [str(i % 3) for i in range(n)],
    }).to_csv(folder / "sc_req_item.csv", index=False)


def test_requests_outnumbering_incidents_keep_the_incidents_rate(
        one_tool: Path, tmp_path: Path) -> None:
    """rd13a #1: a desk with more requests than incidents, its requests without the
    reopen count ServiceNow keeps on incidents only. The old code counted the fill over
    every done ticket (600 of 1,500, 40%) and read unknown; the incidents are wholly
    covered and their rate is measured."""
    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "incident.csv").write_bytes((one_tool / "incident.csv").read_bytes())
    _requests(folder, _days("2025-04-01 08:00", 89, 900, 6))
    report = api.diagnose_paths([folder], api.RunOptions(since=START, until=END))
    reopens = _reopens(report)
    assert (reopens.status, reopens.confidence) == ("triggered", "high")
    rate = reopens.metrics["reopen_rate"]
    assert (rate.numerator, rate.denominator) == (48, 600)
    # the incidents' reopens a month, not priced onto the requests
    per_month = reopens.metrics["reopened_per_month"]
    assert per_month.value == pytest.approx(48 / MONTHS)
    assert reopens.hours_at_stake_per_month == pytest.approx(48 / MONTHS * 30 / 60)
    kinds = next(n for n in reopens.evidence.excluded if n.code == "kinds_without_data")
    assert kinds.count == 900
    assert kinds.text.startswith("900 done tickets of kinds with no reopen count or status "
                                 "history on any done ticket in the window (request) are "
                                 "left out")
    assert not any(n.code == "no_reopen_data" for n in reopens.evidence.excluded)


@pytest.fixture(scope="module")
def one_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ServiceNow desk with a reopen count on every ticket: 600 done in the quarter,
    48 of them reopened."""
    folder = tmp_path_factory.mktemp("one_tool")
    opened = _days("2025-04-01 08:00", 89, 600, 4)
    reopens = np.zeros(600, dtype=int)
    reopens[np.random.default_rng(5).choice(600, 48, replace=False)] = 1
    _servicenow(folder, opened, opened + pd.Timedelta(hours=20), reopens)
    return folder


def test_a_desk_with_counts_on_every_ticket_is_measured_as_before(one_tool: Path) -> None:
    report = api.diagnose_paths([one_tool], api.RunOptions(since=START, until=END))
    reopens = _reopens(report)
    assert (reopens.status, reopens.confidence) == ("triggered", "high")
    rate = reopens.metrics["reopen_rate"]
    assert (rate.numerator, rate.denominator) == (48, 600)
    per_month = reopens.metrics["reopened_per_month"]
    # over the window's months, as before: nothing left out, no coverage note
    assert per_month.denominator == pytest.approx(MONTHS, abs=1e-9)
    assert per_month.value == pytest.approx(48 / MONTHS)
    assert reopens.hours_at_stake_per_month == pytest.approx(48 / MONTHS * 30 / 60)
    assert reopens.evidence.summary == (
        f"8% of done tickets were reopened, about {48 / MONTHS:,.1f} a month, "
        f"{START} to {END}")
    assert not reopens.evidence.excluded and not reopens.evidence.notes


def test_the_demo_keeps_its_rate_and_verdict(demo_report: Report) -> None:
    """Only the demo's incidents carry reopen data (its done incidents): the 19 a
    machine raised and the 52 cancelled left out, as the KPI panel and the drivers leave
    them out, the rate is over the other 620, about 10.4 reopens a month, and the kinds
    left out named."""
    reopens = _reopens(demo_report)
    # 31 of 620 (5.0%) against 5%: its 90% Wilson interval holds 5%, so the verdict is
    # within noise, at low confidence (review 14c). Over 690 (the machine's alerts and
    # the cancelled duplicates in) it read 4.5%, clear, where the drivers' "Reopened"
    # read 31 of 620
    assert (reopens.status, reopens.confidence) == ("triggered", "low")
    assert reopens.within_noise
    rate = reopens.metrics["reopen_rate"]
    assert (rate.numerator, rate.denominator) == (31, 620)
    drivers = demo_report.analyses["drivers"].metrics["reopen_rate"]
    assert (drivers.numerator, drivers.denominator) == (31, 620)
    said = {n.code: n.count for n in reopens.evidence.excluded}
    assert (said["machine_made"], said["cancelled"]) == (19, 52)
    assert reopens.evidence.summary == ("5% of done tickets were reopened, about 10.4 a "
                                        "month, 2026-07-02 to 2026-09-30")
    assert not any(n.code == "covered_weeks" for n in reopens.evidence.notes)
    assert reopens.metrics["reopened_per_month"].value == pytest.approx(31 / 2.98973306,
                                                                         rel=1e-6)
    assert not any(n.code == "no_reopen_data" for n in reopens.evidence.excluded)
    left_out = next(n for n in reopens.evidence.excluded if n.code == "kinds_without_data")
    # 543 done tickets of the other kinds, one of them cancelled (counted there, once)
    assert left_out.count == 542
    assert "in the window (change, other, problem, request, task) are left out" in \
        left_out.text


def test_a_share_just_under_the_bar_is_not_printed_as_the_bar(migration: Path,
                                                               tmp_path: Path) -> None:
    # 45 of 500 is 9.0%; a bar of 9.1% printed both as "9%" ("Only 45 of the 500 (9%) ...
    # at least 9% needed"), as 1,945 of 3,911 read "(50%) ... at least 50% needed"
    cfg = tmp_path / "bar.yaml"
    cfg.write_text("checks:\n  reopens:\n    params:\n      min_fill: 0.091\n"
                   "  routing:\n    params:\n      min_fill: 0.091\n", encoding="utf-8")
    report = api.diagnose_paths([migration], api.RunOptions(since=START, until=END,
                                                            config_file=cfg))
    for check in ("reopens", "routing"):
        found = next(c for c in report.checks if c.id == check)
        assert found.status == "unknown", check
        assert "window (9.0%) have" in found.reason and "(at least 9.1% needed)" in \
            found.reason, found.reason
