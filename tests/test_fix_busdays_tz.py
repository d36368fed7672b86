"""Business days are counted on the calendar days of the run's zone (``--tz``), with the
configured weekmask and holidays matched against those local days, by every caller of
the one Calendar: onboarding's lead time, ownership's grace days, trust's silence, the
flow's idle gaps and the action list's stale days.

The old rule took each instant's UTC day: under ``--tz Asia/Tokyo`` a request opened
Tuesday 08:30 local (Monday in UTC) and done Thursday 16:00 counted 3 business days, and
under America/New_York a Thursday 20:00 close fell on Friday.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag import model as m
from itsm_diag.analyses import actions, flow
from itsm_diag.checks import ownership
from itsm_diag.report import Report
from itsm_diag.signs import trust
from itsm_diag.signs.base import Calendar, Context, Measurement, Window

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"
HEADER = ["number", "short_description", "cat_item", "state", "priority", "assignment_group",
          "assigned_to", "requested_for", "contact_type", "opened_at", "closed_at",
          "sys_updated_on"]


def _onboarding_export(folder: Path, opened: pd.Timedelta, done: pd.Timedelta) -> Path:
    """The reviewer's shape: 12 onboarding requests without a start date, each opened on a
    Tuesday at ``opened`` and closed ``done`` after that Tuesday's midnight, local wall
    times (the export carries no zone: they are read in ``--tz``)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, tue in enumerate(pd.date_range("2026-01-06", periods=12, freq="W-TUE")):
        op, end = tue + opened, tue + done
        rows.append({"number": f"RITM{i + 1:07d}", "short_description": "New hire onboarding",
                     "cat_item": "New hire onboarding", "state": "Closed Complete",
                     "priority": "3 - Moderate", "assignment_group": "Service Desk",
                     "assigned_to": "Agent 1", "requested_for": f"Manager {i}",
                     "contact_type": "Self-service", "opened_at": f"{op:%Y-%m-%d %H:%M:%S}",
                     "closed_at": f"{end:%Y-%m-%d %H:%M:%S}",
                     "sys_updated_on": f"{end:%Y-%m-%d %H:%M:%S}"})
    with (folder / "sc_req_item.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, HEADER, quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    return folder


def _onboarding(folder: Path, tz: str, config_file: Path | None = None) -> Any:
    report: Report = api.diagnose_paths([folder], api.RunOptions(
        tz=tz, tz_given=True, config_file=config_file))
    return next(s for s in report.signs if s.id == "onboarding")


TUE_0830_THU_1600 = (pd.Timedelta(hours=8, minutes=30), pd.Timedelta(days=2, hours=16))
TUE_1000_THU_2000 = (pd.Timedelta(hours=10), pd.Timedelta(days=2, hours=20))


@pytest.mark.parametrize(("tz", "times"), [
    (TOKYO, TUE_0830_THU_1600),       # opened Tuesday local = Monday in UTC
    (NEW_YORK, TUE_1000_THU_2000),    # closed Thursday 20:00 local = Friday in UTC
    ("Europe/Berlin", TUE_0830_THU_1600),
    ("UTC", TUE_0830_THU_1600),       # unchanged
    ("UTC", TUE_1000_THU_2000),
])
def test_onboarding_lead_time_counts_local_business_days(
        tmp_path: Path, tz: str, times: tuple[pd.Timedelta, pd.Timedelta]) -> None:
    sign = _onboarding(_onboarding_export(tmp_path / "onb", *times), tz)
    # Tuesday to Thursday: 2 business days, and late is "more than 2"
    assert sign.status == "clear"
    late = sign.metrics["late_share"]
    assert (late.numerator, late.denominator) == (0, 12)
    assert sign.metrics["median_lead_business_days"].value == 2
    assert not sign.hours_at_stake_per_month
    lead = sign.evidence.series["lead_times"]
    assert {r["business_days"] for r in lead} == {2}
    # the day the count starts from, as the reader's calendar shows it: a Tuesday
    assert {pd.Timestamp(r["opened"]).day_name() for r in lead} == {"Tuesday"}


def test_utc_still_counts_utc_days(tmp_path: Path) -> None:
    """Under UTC nothing moves: Tuesday 20:00 to Friday 07:00 is 3 business days, late."""
    folder = _onboarding_export(tmp_path / "onb", pd.Timedelta(hours=20),
                                pd.Timedelta(days=3, hours=7))
    sign = _onboarding(folder, "UTC")
    assert sign.status == "triggered"
    assert sign.metrics["late_share"].numerator == 12
    assert sign.metrics["median_lead_business_days"].value == 3
    # the same wall times in Tokyo are the same local days: 3 as well
    assert _onboarding(folder, TOKYO).metrics["median_lead_business_days"].value == 3


def test_a_configured_holiday_is_a_local_day(tmp_path: Path) -> None:
    """The holiday is the Tuesday each request was opened on, in Tokyo: in UTC that opening
    is still Monday. Tuesday (holiday) to Friday leaves Wednesday and Thursday: 2 business
    days, on time. Matched against UTC days, Monday to Friday counted Monday, Wednesday
    and Thursday: 3, late."""
    folder = _onboarding_export(tmp_path / "onb", pd.Timedelta(hours=8, minutes=30),
                                pd.Timedelta(days=3, hours=16))
    tuesdays = [f"{d:%Y-%m-%d}" for d in pd.date_range("2026-01-06", periods=12,
                                                       freq="W-TUE")]
    cfg = tmp_path / "holidays.yaml"
    cfg.write_text("defaults:\n  holidays: [" + ", ".join(f'"{d}"' for d in tuesdays)
                   + "]\n", encoding="utf-8")
    with_holidays = _onboarding(folder, TOKYO, cfg)
    assert with_holidays.status == "clear"
    assert with_holidays.metrics["late_share"].numerator == 0
    assert with_holidays.metrics["median_lead_business_days"].value == 2
    # the holidays do the work: without them Tuesday to Friday is 3 business days
    without = _onboarding(folder, TOKYO)
    assert without.status == "triggered"
    assert without.metrics["median_lead_business_days"].value == 3


# ---- the other callers of the Calendar --------------------------------------------------

def _end_of(day: str, tz: str) -> pd.Timestamp:
    """The last microsecond of ``day`` in ``tz``, in UTC (a window end as the engine cuts
    it)."""
    return (pd.Timestamp(day) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
            ).tz_localize(tz).tz_convert("UTC")


def _at(wall: str, tz: str) -> pd.Timestamp:
    return pd.Timestamp(wall).tz_localize(tz).tz_convert("UTC")


def _ctx(tickets: list[dict[str, Any]], end: pd.Timestamp, tz: str,
         events: list[dict[str, Any]] | None = None) -> Context:
    rules = config.load_rules()
    d = rules.defaults
    return Context(
        tickets=m.conform_tickets(pd.DataFrame(tickets)),
        events=m.conform_events(pd.DataFrame(events)) if events else m.empty_events(),
        window=Window(start=end - pd.Timedelta(weeks=13), end=end),
        # as the engine builds it: the calendar takes the run's zone from the Context
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(), max_samples=d.max_samples,
        analyses={a.id: a.params for a in rules.analyses.values()}, tz=tz)


def _open(ticket_id: str, opened: pd.Timestamp, **more: Any) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "kind": "incident", "status": "open",
            "status_raw": "In Progress", "priority": 3, "opened_at": opened,
            "updated_at": opened, "assignment_group": "Service Desk", **more}


def test_ownership_grace_counts_local_days() -> None:
    """New York, window end: the end of Wednesday local (Thursday 04:59 UTC). Opened
    Tuesday 10:00 local: Tuesday to Wednesday is 1 business day, within the grace of 1.
    On UTC days it was Tuesday to Thursday, 2: aged, and unowned."""
    end = _end_of("2026-01-14", NEW_YORK)  # a Wednesday
    tickets = [_open(f"NEW{i}", _at("2026-01-13 10:00", NEW_YORK), assignee=None)
               for i in range(6)]
    # older tickets, owned, so the check is measured either way
    tickets += [_open(f"OLD{i}", _at("2026-01-05 10:00", NEW_YORK), assignee="Kim")
                for i in range(6)]
    params = {**config.load_rules().checks["ownership"].params}
    assert params["grace_business_days"] == 1
    meas = ownership.measure(_ctx(tickets, end, NEW_YORK), params)
    assert meas.unknown is None
    assert meas.metrics["open_aged"].value == 6
    assert meas.metrics["unowned_count"].value == 0


def test_trust_silence_counts_local_days() -> None:
    """Tokyo: last sign of life Tuesday 08:30 local (Monday 23:30 UTC), window end the
    next Tuesday's end: 5 business days, not more than the limit of 5. On UTC days it was
    Monday to Tuesday, 6: silent."""
    end = _end_of("2026-01-13", TOKYO)
    tickets = [_open(f"T{i}", _at("2026-01-06 08:30", TOKYO), assignee="Kim")
               for i in range(4)]
    ctx = _ctx(tickets, end, TOKYO)
    params = config.load_rules().signs["trust"].params
    assert int(params["silence_business_days"]) == 5
    meas = Measurement()
    trust._silence(ctx, params, ctx.of_kind("incident"), meas)
    silent = meas.metrics["silent_share"]
    assert (silent.numerator, silent.denominator) == (0, 4)


def test_flow_idle_gap_counts_local_days() -> None:
    """Tokyo: assigned Tuesday 08:31 local (Monday in UTC), done Thursday 16:00: a gap of
    2 business days, not idle (idle is more than 2). On UTC days, Monday to Thursday: 3,
    55 idle hours."""
    end = _end_of("2026-01-16", TOKYO)
    tickets, events = [], []
    for i in range(5):
        tid = f"F{i}"
        tickets.append({**_open(tid, _at("2026-01-06 08:30", TOKYO), assignee="Kim"),
                        "status": "closed", "status_raw": "Closed",
                        "resolved_at": _at("2026-01-08 16:00", TOKYO),
                        "updated_at": _at("2026-01-08 16:00", TOKYO)})
        events.append({"ticket_id": tid, "at": _at("2026-01-06 08:31", TOKYO),
                       "kind": "assignment", "author_role": "agent", "value": "Service Desk"})
    ctx = _ctx(tickets, end, TOKYO, events)
    params = config.load_rules().analyses["flow"].params
    assert int(params["idle_business_days"]) == 2
    got = flow.flow_of(ctx, params)
    assert got.group_tickets == 5
    assert got.held_hours > 0
    assert got.idle_hours == 0


def test_action_list_stale_days_count_local_days() -> None:
    """Tokyo: last update Tuesday 08:30 local (Monday in UTC), window end the next
    Tuesday's end: 5 business days idle, not stale (stale is more than 5). On UTC days, 6."""
    end = _end_of("2026-01-13", TOKYO)
    tickets = [_open("IDLE", _at("2026-01-06 08:30", TOKYO), assignee="Kim",
                     due_at=end + pd.Timedelta(days=30))]
    ctx = _ctx(tickets, end, TOKYO)
    params = config.load_rules().analyses["actions"].params
    assert int(params["stale_business_days"]) == 5
    meas = actions.measure(ctx, params)
    assert meas.unknown is None
    assert meas.metrics["stale"].numerator == 0


def test_calendar_takes_the_contexts_zone() -> None:
    """One zone for every count: a Context hands its calendar the run's zone."""
    end = _end_of("2026-01-13", TOKYO)
    ctx = _ctx([_open("A", end - pd.Timedelta(days=1))], end, TOKYO)
    assert ctx.calendar.tz == TOKYO
    start = pd.Series([_at("2026-01-06 08:30", TOKYO), pd.NaT], dtype="datetime64[us, UTC]")
    stop = pd.Series([_at("2026-01-08 16:00", TOKYO)] * 2, dtype="datetime64[us, UTC]")
    assert ctx.calendar.busday_count(start, stop).tolist() == [2, pd.NA]
    # UTC: the same instants are Monday to Thursday, 3
    assert Calendar().busday_count(start, stop).tolist() == [3, pd.NA]
