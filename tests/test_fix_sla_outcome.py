"""One SLA outcome per ticket, read by every SLA figure; a due date is met through its day.

- Each ticket's SLA outcome (met, breached, unknown) is computed once per Context: its
  made-SLA flag where it carries one, else done by its due time. The SLA adherence KPI,
  the sla-by-priority check (its shares and its one-ticket test) and the drivers' SLA
  breach all read it: before, sla-by-priority compared the flagged tickets only and the
  drivers counted only the flag, so one concept showed three numbers.
- Jira's ``Due date`` is a date: a due time that is a day stamp (the loader found the
  column without a time of day) is met through the end of that day in ``--tz``. Every
  issue of the reviewer's ``due_same_day.csv`` was resolved on its due day and read 0%
  (now 100%); ``jira/base.csv`` read 69% (now 86%).
- The date-only data note says what the day stamps affect, and only that: a Jira export
  whose due date alone is a day stamp was told "time to resolve comes in whole days".
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag import model as m
from itsm_diag.analyses import actions, drivers
from itsm_diag.checks import sla_by_priority
from itsm_diag.importers import timeofday
from itsm_diag.signs.base import Calendar, Context, Window
from itsm_diag.signs.kpis import compute_kpis

NY = "America/New_York"
US = 1_000_000


def _us(text: str, tz: str = "UTC") -> int:
    return int(pd.Timestamp(text).tz_localize(tz).tz_convert("UTC").value // 1000)


def _ctx(tickets: list[dict[str, Any]], end: pd.Timestamp, *, tz: str = "UTC",
         day_only: frozenset[str] = frozenset()) -> Context:
    rules = config.load_rules()
    d = rules.defaults
    frame = pd.DataFrame(tickets)
    for col in m.TIMESTAMP_COLUMNS:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return Context(
        tickets=m.conform_tickets(frame), events=m.empty_events(),
        window=Window(start=end - pd.Timedelta(weeks=13), end=end),
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(), max_samples=d.max_samples,
        analyses={a.id: a.params for a in rules.analyses.values()}, tz=tz, day_only=day_only)


# ---- the end of a day stamp's day -------------------------------------------------------

def test_a_day_stamp_ends_at_its_days_last_instant_in_the_zone() -> None:
    from itsm_diag.signs.common import day_stamp_end

    stamps = np.array([
        _us("2025-10-15"),                      # a UTC midnight
        _us("2025-10-15 14:20"),                # a time of day: kept
        m.NAT,
    ], dtype=np.int64)
    got = day_stamp_end(stamps, "UTC")
    assert got[0] == _us("2025-10-16") - 1
    assert got[1] == stamps[1] and got[2] == m.NAT
    ny = np.array([
        _us("2025-10-15", NY),                  # an ordinary day: 24 hours
        _us("2025-11-02", NY),                  # clocks go back: 25 hours
        _us("2025-03-09", NY),                  # clocks go forward: 23 hours
        _us("2025-10-15", "UTC"),               # midnight in UTC is 20:00 in New York
    ], dtype=np.int64)
    got = day_stamp_end(ny, NY)
    assert got[0] == _us("2025-10-16", NY) - 1
    assert got[1] == _us("2025-11-03", NY) - 1 == ny[1] + 25 * 3600 * US - 1
    assert got[2] == _us("2025-03-10", NY) - 1 == ny[2] + 23 * 3600 * US - 1
    assert got[3] == ny[3]
    # a day whose midnight a clock change skips starts at 01:00 (where the loader puts a
    # date of that day): that too is a day stamp
    santiago = "America/Santiago"
    first = int(m.wall_time_to_utc(pd.Timestamp("2025-09-07"), santiago).value // 1000)
    assert day_stamp_end(np.array([first]), santiago)[0] == _us("2025-09-08", santiago) - 1


def test_the_outcome_is_computed_once_and_reads_the_flag_first() -> None:
    from itsm_diag.signs.common import sla_outcome

    end = pd.Timestamp("2025-12-01", tz="UTC")
    base = {"kind": "incident", "status": "resolved", "opened_at": "2025-10-14 09:00"}
    ctx = _ctx([
        {**base, "ticket_id": "FLAG-NO", "sla_met": False, "due_at": "2025-10-16",
         "resolved_at": "2025-10-14 10:00"},                     # the flag wins
        {**base, "ticket_id": "DUE-DAY", "due_at": "2025-10-15",
         "resolved_at": "2025-10-15 18:00"},                     # done on its due day
        {**base, "ticket_id": "LATE", "due_at": "2025-10-15",
         "resolved_at": "2025-10-16 08:00"},                     # the day after
        {**base, "ticket_id": "NEITHER", "resolved_at": "2025-10-15 08:00"},
        {**base, "ticket_id": "OPEN", "status": "open", "due_at": "2025-10-15"},
    ], end, day_only=frozenset({m.DUE_AT}))
    outcome = sla_outcome(ctx)
    assert sla_outcome(ctx) is outcome  # once per Context
    assert outcome.known.tolist() == [True, True, True, False, False]
    assert outcome.met.tolist() == [False, True, False, False, False]
    assert outcome.breached.tolist() == [True, False, True, False, False]
    assert outcome.by_flag.tolist() == [True, False, False, False, False]
    # a due time with a time of day (not a day stamp) is held as it is
    timed = _ctx([{**base, "ticket_id": "T", "due_at": "2025-10-15 12:00",
                   "resolved_at": "2025-10-15 18:00"}], end, day_only=frozenset({m.DUE_AT}))
    assert sla_outcome(timed).breached.tolist() == [True]


# ---- one outcome behind the KPI, sla-by-priority and the drivers -----------------------

def _mixed_desk() -> Context:
    """Urgent incidents (priority 1) carry the made-SLA flag, 12 of 20 met, each also done
    by its due time; the 40 others (priority 3) carry a due time only, 36 done by it; 12
    changes done after their due time."""
    end = pd.Timestamp("2025-12-01", tz="UTC")
    rows: list[dict[str, Any]] = []
    for i in range(60):
        urgent = i < 20
        opened = pd.Timestamp("2025-10-01 09:00") + pd.Timedelta(hours=13 * i)
        late = (not urgent) and i % 10 == 0
        rows.append({
            "ticket_id": f"T{i:03d}", "kind": "incident", "status": "resolved",
            "priority": 1 if urgent else 3, "category": ["Network", "Mail", "Apps"][i % 3],
            "assignment_group": ["Desk", "Net", "Apps"][i % 3],
            "opened_at": opened, "due_at": opened + pd.Timedelta(hours=24),
            "resolved_at": opened + pd.Timedelta(hours=30 if late else 4),
            "sla_met": (i % 5 < 3) if urgent else None,
        })
    # changes with a due time, done late: not the KPI's tickets, so none of the three's
    rows += [{**rows[40 + i], "ticket_id": f"C{i:03d}", "kind": "change",
              "resolved_at": rows[40 + i]["opened_at"] + pd.Timedelta(hours=30)}
             for i in range(12)]
    return _ctx(rows, end)


def test_the_kpi_the_check_and_the_drivers_read_the_same_tickets() -> None:
    ctx = _mixed_desk()
    rules = config.load_rules()
    kpis = compute_kpis(ctx)
    counts = kpis["left_out"]
    assert (counts["sla_met"], counts["sla_n"]) == (12 + 36, 60)
    assert (counts["sla_flag"], counts["sla_due"]) == (20, 40)

    check = sla_by_priority.measure(ctx, rules.checks["sla-by-priority"].params)
    assert check.unknown is None  # the flag alone gave the rest no ticket: too few
    overall = check.metrics["overall_adherence"]
    assert (overall.numerator, overall.denominator) == (48, 60)
    assert overall.value == pytest.approx(kpis["sla_adherence"])
    high, rest = check.metrics["high_adherence"], check.metrics["rest_adherence"]
    assert (high.numerator, high.denominator) == (12, 20)
    assert (rest.numerator, rest.denominator) == (36, 40)
    # the one-ticket test moves one of those same tickets
    assert check.metrics["adherence_gap"].nudged == pytest.approx(
        [36 / 40 - 11 / 20, 36 / 40 - 13 / 20, 35 / 40 - 12 / 20, 37 / 40 - 12 / 20])
    assert {r["priority"]: (r["n"], r["met"]) for r in check.tables["by_priority"]} == {
        1: (20, 12), 3: (40, 36)}

    found = drivers.measure(ctx, rules.analyses["drivers"].params)
    breach = found.metrics["sla_breach_rate"]
    assert (breach.numerator, breach.denominator) == (60 - 48, 60)


def test_sla_by_priority_reads_due_times_without_any_flag() -> None:
    ctx = _mixed_desk()
    ctx.tickets[m.SLA_MET] = pd.Series(pd.NA, index=ctx.tickets.index,
                                       dtype=ctx.tickets[m.SLA_MET].dtype)
    check = sla_by_priority.measure(ctx, config.load_rules().checks["sla-by-priority"].params)
    assert check.unknown is None
    assert check.metrics["overall_adherence"].denominator == 60
    # no flag and no due time anywhere: unknown, naming both
    bare = _mixed_desk()
    for col in (m.SLA_MET, m.DUE_AT):
        bare.tickets[col] = pd.Series(pd.NA, index=bare.tickets.index,
                                      dtype=bare.tickets[col].dtype)
    check = sla_by_priority.measure(bare, config.load_rules().checks["sla-by-priority"].params)
    assert check.unknown is not None and check.unknown.code == "no_field"
    assert check.unknown.params["field"] == "sla_met / due_at"


# ---- a Jira export whose due dates are days, under --tz America/New_York ---------------

HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution",
          "Assignee", "Reporter", "Created", "Updated", "Resolved", "Due date", "Components"]


def _jira(t: pd.Timestamp) -> str:
    return f"{t.day:02d}/{t:%b}/{t:%y} {int(t.strftime('%I'))}:{t:%M} {t:%p}"


def write_jira(path: Path) -> tuple[int, int]:
    """80 incidents, each due the day after it was opened (a date, no time): three in four
    resolved on the due day (one of those at 23:30, New York time), the fourth the morning
    after; four more due on 2 Nov 2025 (25 hours in New York) resolved at 23:30 that day.
    Returns (met, total)."""
    rows, met = [], 0
    for i in range(84):
        if i < 80:
            opened = pd.Timestamp("2025-10-01 09:00") + pd.Timedelta(hours=13 * i)
            due = (opened + pd.Timedelta(days=1)).normalize()
            resolved = due + pd.Timedelta(hours=(23.5, 10.25, 16.5, 33)[i % 4])
        else:
            opened = pd.Timestamp("2025-11-01 10:00")
            due = pd.Timestamp("2025-11-02")
            resolved = due + pd.Timedelta(hours=23.5)
        met += resolved.normalize() == due
        rows.append([f"VPN drops {i}", f"SD-{i + 1}", str(i + 1), "Incident", "Resolved",
                     "High" if i % 2 else "Medium", "Done", f"Agent {i % 3}", f"User {i % 30}",
                     _jira(opened), _jira(resolved), _jira(resolved),
                     f"{due.day:02d}/{due:%b}/{due:%y}", ["VPN", "Mail", "SAP"][i % 3]])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return met, len(rows)


@pytest.fixture(scope="module")
def jira_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, int, int]:
    folder = tmp_path_factory.mktemp("jira_due")
    met, total = write_jira(folder / "due.csv")
    report = api.diagnose_paths([folder / "due.csv"],
                                api.RunOptions(tz=NY, tz_given=True))
    return report, met, total


def test_an_issue_resolved_on_its_due_day_met_it_in_the_runs_zone(
        jira_report: tuple[Any, int, int]) -> None:
    report, met, total = jira_report
    assert (met, total) == (64, 84)  # 60 on the due day (20 at 23:30) and the 4 of 2 Nov
    k = report.kpis
    assert k.counts["sla_adherence"] == {"numerator": met, "denominator": total}  # was 0
    assert k.sla_adherence == pytest.approx(met / total)
    assert "a due date without a time of day met through the end of its day" in (
        k.definitions["sla_adherence"])


def test_the_check_and_the_drivers_agree_with_the_kpi_on_the_jira_export(
        jira_report: tuple[Any, int, int]) -> None:
    report, met, total = jira_report
    check = next(c for c in report.checks if c.id == "sla-by-priority")
    assert check.status != "unknown"  # was: no value at all in sla_met
    overall = check.metrics["overall_adherence"]
    assert (overall.numerator, overall.denominator) == (met, total)
    found = report.analyses["drivers"]
    breach = found.metrics["sla_breach_rate"]
    assert (breach.numerator, breach.denominator) == (total - met, total)


def test_the_note_on_a_due_date_alone_says_what_it_affects(
        jira_report: tuple[Any, int, int]) -> None:
    report = jira_report[0]
    note = next(n for n in report.data_notes if "carry no time of day" in n)
    assert "due_at" in note and f"({NY})" in note
    assert "A due date stands for its whole day" in note
    # created and resolved carry minutes: nothing in hours is counted between midnights
    assert "time to resolve" not in note and "48-hour" not in note
    assert "opened_at" not in note and "resolved_at" not in note


# ---- the data note's wording -------------------------------------------------------------

def _note(found: dict[str, int]) -> str:
    words = config.load_rules().defaults.wording
    return timeofday.note(found, {}, ["UTC"], words)


def test_the_note_names_only_what_its_columns_affect() -> None:
    due = _note({m.DUE_AT: 700})
    assert "700 of 700 due_at" in due and "whole day" in due
    assert "time to resolve" not in due and "48-hour" not in due
    opened = _note({m.OPENED_AT: 40})
    assert "time to resolve comes in whole days" in opened
    assert "incidents after a change, duplicate tickets" in opened
    assert "hour-based reasons" in opened and "onboarding" not in opened
    assert "due date" not in opened
    change = _note({m.ACTUAL_END: 30})
    assert "the 48-hour windows (incidents after a change) read whole days" in change
    assert "time to resolve" not in change and "duplicate" not in change
    resolved = _note({m.RESOLVED_AT: 40})
    assert "time to resolve comes in whole days" in resolved
    assert "onboarding start-day morning" in resolved and "hour-based reasons" not in resolved
    updated = _note({m.UPDATED_AT: 50})
    assert "no figure in hours reads these dates" in updated
    assert "time to resolve" not in updated
    every = _note({m.OPENED_AT: 10, m.RESOLVED_AT: 10, m.CLOSED_AT: 10, m.DUE_AT: 10})
    assert ("time to resolve comes in whole days, and the 48-hour windows (incidents after "
            "a change, duplicate tickets), the onboarding start-day morning and the action "
            "list's hour-based reasons read whole days") in every
    assert "A due date stands for its whole day" in every


# ---- the action list: the same end of day ----------------------------------------------

def test_the_action_list_ends_a_due_day_where_the_zones_clock_does() -> None:
    # 2 Nov 2025 has 25 hours in New York: at 23:30 that evening a ticket due that day is
    # not overdue yet (the day's midnight plus 24 hours called it overdue at 23:00)
    end = pd.Timestamp("2025-11-02 23:30").tz_localize(NY).tz_convert("UTC")
    due = pd.Timestamp("2025-11-02").tz_localize(NY).tz_convert("UTC")
    ticket = {"ticket_id": "DUE-TODAY", "kind": "incident", "status": "open",
              "status_raw": "In Progress", "priority": 3, "assignee": "Agent A",
              "assignment_group": "Desk", "opened_at": due - pd.Timedelta(hours=20),
              "updated_at": end - pd.Timedelta(hours=1), "due_at": due}
    ctx = _ctx([ticket], end, tz=NY, day_only=frozenset({m.DUE_AT}))
    meas = actions.measure(ctx, config.load_rules().analyses["actions"].params)
    reasons = {r["ticket_id"]: r["reasons"] for r in meas.tables["actions"]}
    assert reasons["DUE-TODAY"] == ["due_soon"]
