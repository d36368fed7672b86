"""Review 22c, D1 and D3: the backlog sign's mass closures and its automation candidates.

D1. A 24/7 ServiceNow desk (about 260 incidents a day, resolved round the clock in a median
of 10 hours) whose nightly job closes at 02:00 every incident resolved 7 or more days
before: the tool's Resolved -> Closed lifecycle. Every night's closures passed the
mass-closure bar (111 of 112 closed hours held 200 or more: no ordinary hour was left to
set it), and every incident a person resolved between 02:00 and 03:00 was read as the
clean-up's, counted open to the window end: a flat backlog (196 -> 200, 108 open) read
"268 -> 1,171 (+337%)", triggered, 633 open 30-90 days where none is. Now a ticket is a
clean-up's only when its own done time is the clean-up (closures count only for tickets
with no resolved time), closing resolved tickets is said as the tool's lifecycle, and a
scheduled job's hours (the same clock time holding as many on most days) are no
clean-up. A one-off clean-up on the same desk is still found.

D3. ServiceNow incidents where 55% of "Access" (10-30 hours of work) are closed as
Duplicate or Canceled within 20 minutes: the automation candidates counted them, and a
20-hour type read as the top candidate at a median of 0.3 h. Now the candidates (and
their cost) are the done work the KPI panel weighs (``signs.common.left_out_done``), with
a note counting what was left out.

Every figure is recounted here with pandas from the files written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Report
from itsm_diag.signs.common import mass_closures

FMT = "%Y-%m-%d %H:%M:%S"
START, PULLED = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-30 12:00")
CLEANUP = pd.Timestamp("2026-04-20 14:00")


def _fmt(s: pd.Series) -> pd.Series:
    return s.dt.strftime(FMT).fillna("")


def _autoclose_desk(per_day: int = 260) -> pd.DataFrame:
    """The review's E1 (``e1_autoclose.py``), vectorised: incidents round the clock, each
    closed by the first 02:00-02:10 run at least 7 days after its resolution."""
    rng = np.random.default_rng(7)
    days = (PULLED - START).days
    n = per_day * days
    opened = pd.Series(np.sort(START + pd.to_timedelta(rng.uniform(0, days * 86400, n),
                                                       unit="s"))).dt.floor("s")
    resolved = (opened + pd.to_timedelta(rng.lognormal(np.log(10), 1.1, n), unit="h")
                ).dt.floor("s")
    resolved = resolved.where(resolved <= PULLED)
    due = resolved + pd.Timedelta(days=7)
    run = due.dt.normalize() + pd.Timedelta(hours=2)
    run = run.where(run >= due, run + pd.Timedelta(days=1))
    closed = run + pd.to_timedelta(rng.integers(0, 600, n), unit="s")
    closed = closed.where(closed <= PULLED)
    state = np.where(closed.notna(), "Closed",
                     np.where(resolved.notna(), "Resolved", "In Progress"))
    return pd.DataFrame({
        "number": [f"INC{1000000 + i:07d}" for i in range(n)],
        "opened_at": opened, "state": state, "resolved_at": resolved, "closed_at": closed,
        "category": rng.choice(["Software", "Hardware", "Network", "Database"], n),
        "assignment_group": rng.choice(["Service Desk", "Network Ops", "App Support"], n),
        "assigned_to": rng.choice(["Ann Lee", "Bo Chan", "Cy Diaz"], n),
        "priority": "3 - Moderate", "reassignment_count": rng.poisson(0.5, n),
        "contact_type": "Self-service", "caller_id": "Dee Ray",
        "short_description": "Printer not printing on floor 3"})


def _with_cleanup(desk: pd.DataFrame, n: int = 1500) -> pd.DataFrame:
    """``n`` incidents opened from February to mid-April that nobody worked, closed by a
    script within 25 minutes of CLEANUP, with no resolution."""
    rng = np.random.default_rng(5)
    first = pd.Timestamp("2026-02-01")
    opened = pd.Series(np.sort(first + pd.to_timedelta(
        rng.uniform(0, (CLEANUP - pd.Timedelta(days=5) - first).total_seconds(), n),
        unit="s"))).dt.floor("s")
    stale = desk.sample(n, random_state=3).reset_index(drop=True)
    stale["number"] = [f"INC{5000000 + i:07d}" for i in range(n)]
    stale["opened_at"] = opened
    stale["resolved_at"] = pd.NaT
    stale["closed_at"] = CLEANUP + pd.to_timedelta(rng.integers(0, 25 * 60, n), unit="s")
    stale["state"] = "Closed"
    return pd.concat([desk, stale], ignore_index=True)


def _closed_only(desk: pd.DataFrame) -> pd.DataFrame:
    """The same desk exported with no resolved time: the nightly job's closure is every
    ticket's done time, and a resolved ticket awaiting it is open."""
    out = desk.copy()
    out["resolved_at"] = pd.NaT
    out["state"] = np.where(out["closed_at"].notna(), "Closed", "In Progress")
    return out


def _write(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.copy()
    for col in ("opened_at", "resolved_at", "closed_at"):
        out[col] = _fmt(pd.Series(pd.to_datetime(out[col])))
    out.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("rv22c")
    desk = _autoclose_desk()
    frames = {"autoclose": desk, "cleanup": _with_cleanup(desk),
              "closed_only": _closed_only(desk)}
    out: dict[str, Any] = {}
    for name, frame in frames.items():
        sub = folder / name
        sub.mkdir()
        path = _write(frame, sub / "incident.csv")
        out[name] = (api.diagnose_paths([path], api.RunOptions()), frame)
    return out


def _sign(r: Report, sid: str = "backlog") -> Any:
    return next(s for s in r.signs if s.id == sid)


def _open_at(frame: pd.DataFrame, when: pd.Timestamp, done: pd.Series,
             forever: pd.Series | None = None) -> int:
    """Opened by ``when`` and not done by it (``forever``: open whatever its done time)."""
    still = (frame["opened_at"] <= when) & ~(done <= when)
    if forever is not None:
        still |= (frame["opened_at"] <= when) & forever
    return int(still.sum())


def _week_ends(r: Report) -> list[pd.Timestamp]:
    weekly = _sign(r).evidence.series["weekly"]
    return [pd.Timestamp(w["week_end"]).tz_convert("UTC").tz_localize(None) for w in weekly]


# ---- D1: the nightly auto-close job -------------------------------------------------------

def test_a_nightly_autoclose_job_is_no_cleanup(runs: dict[str, Any]) -> None:
    r, frame = runs["autoclose"]
    backlog = _sign(r)
    # it read "268 -> 1,171 over 13.0 weeks; 1,081 open", growth 337%, triggered
    assert backlog.status == "clear"
    codes = [n.code for n in backlog.evidence.notes]
    assert "mass_closure" not in codes
    assert "recorded_weekly" not in backlog.evidence.series
    # each week end's open count is the pandas recount: opened and not resolved by then
    weekly = backlog.evidence.series["weekly"]
    recount = [_open_at(frame, t, frame["resolved_at"]) for t in _week_ends(r)]
    assert [w["open"] for w in weekly] == recount
    end = _week_ends(r)[-1]
    assert backlog.metrics["open_now"].value == recount[-1] == _open_at(
        frame, end, frame["resolved_at"])
    start_level, end_level = backlog.metrics["backlog_start"].value, \
        backlog.metrics["backlog_end"].value
    assert abs(end_level - start_level) < 0.05 * start_level  # flat, not +337%
    assert backlog.metrics["backlog_weeks_of_arrivals"].value < 0.5
    # no incident stays open a month (it read 633 open 30-90 days)
    ages = {row["age_days"]: row["count"] for row in backlog.evidence.tables["open_by_age"]}
    assert ages["30-90"] == ages[">90"] == 0


def test_the_autoclose_job_is_said_as_the_tools_lifecycle(runs: dict[str, Any]) -> None:
    r, frame = runs["autoclose"]
    note = next(n for n in _sign(r).evidence.notes if n.code == "mass_close_resolved")
    # every night's job: the resolved incidents it closed in the hours of 200 or more
    closed = frame["closed_at"]
    window = (closed >= pd.Timestamp(r.window.start).tz_localize(None)) & (
        closed <= pd.Timestamp(r.window.end).tz_localize(None))
    hours = closed[window].dt.floor("h").value_counts()
    big = hours[hours >= 200]
    assert note.count == int(big.sum())
    assert len(big) > 80
    text = " ".join(note.text.split())
    assert f"closed in {len(big):,} clock hours" in text
    assert f"; {len(big):,} of those hours at a clock time that holds" in text
    assert "the tool closing resolved tickets, its lifecycle" in text


def test_people_resolving_at_two_are_done_everywhere(runs: dict[str, Any]) -> None:
    # 973 incidents a person resolved between 02:00 and 03:00 were left out of the done
    # work of every figure (knowledge, reopens, the KPI panel, the drivers) as the clean-up's
    r, _ = runs["autoclose"]
    assert "clean-up" not in r.kpis.definitions["time_to_resolve_hours"]
    for check in r.checks:
        assert not any(n.code == "mass_closed" for n in check.evidence.excluded), check.id
    assert not any(n.code == "mass_closed" for n in r.analyses["drivers"].notes)


def test_a_cleanup_on_the_same_desk_is_still_found(runs: dict[str, Any]) -> None:
    r, frame = runs["cleanup"]
    backlog = _sign(r)
    notes = [n for n in backlog.evidence.notes if n.code == "mass_closure"]
    assert len(notes) == 1 and f"{CLEANUP:%Y-%m-%d %H}:00" in notes[0].text
    # the clean-up's tickets: every one done in its hour (its 1,500, and the few a person
    # resolved in it), open to the window end; the nightly job's hours are none of it
    done = frame["resolved_at"].fillna(frame["closed_at"])
    in_hour = (done >= CLEANUP) & (done < CLEANUP + pd.Timedelta(hours=1))
    assert int(in_hour.sum()) > 1500
    assert f"the {int(in_hour.sum()):,} whose only done time is that clean-up" in " ".join(
        notes[0].text.split())
    end = _week_ends(r)[-1]
    assert backlog.metrics["open_now"].value == _open_at(frame, end, done, forever=in_hour)
    # the flat desk plus 1,500 stale incidents nobody worked: the queue grew
    assert backlog.status == "triggered"
    assert backlog.metrics["backlog_shrink"].value < 0
    recorded = backlog.evidence.series["recorded_weekly"]
    assert backlog.evidence.series["weekly"][-1]["open"] - recorded[-1]["open"] == int(
        in_hour.sum())
    assert f"{int(in_hour.sum()):,} closed unworked by a clean-up script" in \
        r.kpis.definitions["time_to_resolve_hours"]


def test_a_closed_only_export_of_the_nightly_job_is_no_cleanup(runs: dict[str, Any]) -> None:
    # no resolved time: the job's 02:00 closure is each ticket's done time, every night
    # a few hundred and nothing else, which passed the bar every night (no ordinary
    # hour left) and read every ticket as a clean-up's, open to the window end
    r, frame = runs["closed_only"]
    backlog = _sign(r)
    assert not any(n.code == "mass_closure" for n in backlog.evidence.notes)
    weekly = backlog.evidence.series["weekly"]
    recount = [_open_at(frame, t, frame["closed_at"]) for t in _week_ends(r)]
    assert [w["open"] for w in weekly] == recount
    start_level, end_level = backlog.metrics["backlog_start"].value, \
        backlog.metrics["backlog_end"].value
    assert abs(end_level - start_level) < 0.05 * start_level


# ---- the rule itself -------------------------------------------------------------------

PARAMS = {"mass_closure_min": 200, "mass_closure_factor": 10.0}
SPAN = (pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-31 23:59", tz="UTC"))


def _nightly(at: str = "02:00", per_night: int = 300, days: int = 91,
             shift: bool = False) -> pd.DatetimeIndex:
    """``per_night`` closures within minutes of ``at`` every night (an hour earlier on
    alternate weeks when ``shift``: a job on a clock with daylight saving, read in UTC)."""
    nights = pd.date_range(f"2024-01-01 {at}", periods=days, freq="D", tz="UTC")
    if shift:
        nights = nights - pd.to_timedelta((np.arange(days) // 7) % 2, unit="h")
    secs = np.tile(np.linspace(0, 599, per_night), days)
    return pd.DatetimeIndex(np.repeat(nights, per_night)) + pd.to_timedelta(secs, unit="s")


def _people(per_hour: int = 5) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01 00:30", "2024-03-31 23:30", periods=91 * 24 * per_hour,
                         tz="UTC")


def test_a_nightly_job_is_no_mass_closure() -> None:
    for job in (_nightly(), _nightly(shift=True)):
        done = pd.Series(job.append(_people()))
        assert len(mass_closures(done, PARAMS)) > 80  # every night, without the span
        assert mass_closures(done, PARAMS, span=SPAN).empty


def test_a_cleanup_beside_a_nightly_job_is_one() -> None:
    afternoon = pd.date_range("2024-03-15 14:00", periods=600, freq="2s", tz="UTC")
    # at the job's own clock time, ten times a night's
    night = pd.date_range("2024-02-10 02:20", "2024-02-10 02:58", periods=3500, tz="UTC")
    done = pd.Series(_nightly().append(_people()).append(afternoon).append(night))
    found = mass_closures(done, PARAMS, span=SPAN)
    assert list(found.index) == [pd.Timestamp("2024-02-10 02:00", tz="UTC"),
                                 pd.Timestamp("2024-03-15 14:00", tz="UTC")]
    assert found.iloc[1] == 600 + 5


# ---- D3: cancelled and duplicate tickets are no automation candidate --------------------

def _cancelled_desk() -> pd.DataFrame:
    """The review's E4 (``e4_cancelled_candidates.py``), vectorised: "Access" takes 10-30
    hours, 55% of it closed as Duplicate or Canceled within 20 minutes; "Password" 2-6
    hours; "Printer" 20-60 hours; plus "Disk" incidents nobody resolves (the backlog grows,
    so the fix plan prices the candidates)."""
    rng = np.random.default_rng(3)
    days = (PULLED - START).days
    n = 60 * days
    opened = pd.Series(START + pd.to_timedelta(rng.uniform(0, days * 86400, n), unit="s")
                       ).dt.floor("s")
    sub = rng.choice(["Access", "Password", "Printer"], n, p=[0.4, 0.3, 0.3])
    given_up = (sub == "Access") & (rng.random(n) < 0.55)
    duplicate = given_up & (rng.random(n) < 0.7)
    hours = np.select([given_up, sub == "Access", sub == "Password"],
                      [rng.uniform(0.05, 0.33, n), rng.uniform(10, 30, n),
                       rng.uniform(2, 6, n)], rng.uniform(20, 60, n))
    done = (opened + pd.to_timedelta(hours, unit="h")).dt.floor("s")
    done = done.where(done <= PULLED)
    closed = (done + pd.Timedelta(days=3)).where(done + pd.Timedelta(days=3) <= PULLED)
    cancelled = given_up & ~duplicate & done.notna()
    state = np.select([cancelled, closed.notna(), done.notna()],
                      ["Canceled", "Closed", "Resolved"], "In Progress")
    frame = pd.DataFrame({
        "number": [f"INC{3000000 + i:07d}" for i in range(n)], "opened_at": opened,
        "state": state, "resolved_at": done.where(~cancelled),
        "closed_at": closed.where(~cancelled, done), "category": "Software",
        "subcategory": sub,
        "close_code": np.where(duplicate & done.notna(), "Duplicate",
                               np.where(done.notna() & ~cancelled, "Solution provided", ""))})
    k = 5 * days  # five a day nobody resolves
    stale = pd.DataFrame({
        "number": [f"INC{8000000 + i:07d}" for i in range(k)],
        "opened_at": pd.Series(START + pd.to_timedelta(np.sort(
            rng.uniform(0, days * 86400, k)), unit="s")).dt.floor("s"),
        "state": "In Progress", "resolved_at": pd.NaT, "closed_at": pd.NaT,
        "category": "Hardware", "subcategory": "Disk", "close_code": ""})
    out = pd.concat([frame, stale], ignore_index=True)
    out["assignment_group"], out["assigned_to"] = "Service Desk", "Ann Lee"
    out["priority"], out["caller_id"] = "3 - Moderate", "Dee Ray"
    out["short_description"] = "Need access to the finance share"
    return out


@pytest.fixture(scope="module")
def cancelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, pd.DataFrame]:
    frame = _cancelled_desk()
    path = _write(frame, tmp_path_factory.mktemp("rv22c_e4") / "incident.csv")
    return api.diagnose_paths([path], api.RunOptions()), frame


def _done_in_window(r: Report, frame: pd.DataFrame) -> pd.Series:
    done = frame["resolved_at"].fillna(frame["closed_at"])
    start = pd.Timestamp(r.window.start).tz_localize(None)
    end = pd.Timestamp(r.window.end).tz_localize(None)
    return (frame["state"] != "In Progress") & (done >= start) & (done <= end)


def test_cancelled_and_duplicates_are_no_automation_candidate(
        cancelled: tuple[Report, pd.DataFrame]) -> None:
    r, frame = cancelled
    backlog = _sign(r)
    rows = backlog.evidence.tables["automation_candidates"]
    # it read "Software / Access 2,123 ... median 0.3 h" first: the worked ones take 20 h
    win = _done_in_window(r, frame)
    gave_up = (frame["state"] == "Canceled") | (frame["close_code"] == "Duplicate")
    done = frame["resolved_at"].fillna(frame["closed_at"])
    hours = (done - frame["opened_at"]) / pd.Timedelta(hours=1)
    access = win & (frame["subcategory"] == "Access") & ~gave_up
    assert hours[access].median() > 8
    password = win & (frame["subcategory"] == "Password")
    assert [(x["ticket_type"], x["volume"]) for x in rows] == [
        ("Software / Password", int(password.sum()))]
    assert rows[0]["median_hours_to_done"] == pytest.approx(
        round(float(hours[password].median()), 2))
    note = next(n for n in backlog.evidence.notes if n.code == "automation_left_out")
    kept, left = int((win & ~gave_up).sum()), int((win & gave_up).sum())
    assert note.count == left > 1000
    text = " ".join(note.text.split())
    assert f"count the {kept:,} incidents and requests" in text
    assert f"{left:,} are left out" in text and f"{left:,} cancelled" in text


def test_the_automation_cost_prices_the_same_tickets(
        cancelled: tuple[Report, pd.DataFrame]) -> None:
    r, frame = cancelled
    backlog = _sign(r)
    assert backlog.status == "triggered"
    cost = next(c for c in backlog.evidence.costs if c.basis == "automation")
    password = _done_in_window(r, frame) & (frame["subcategory"] == "Password")
    assert cost.count == int(password.sum())
    row = backlog.evidence.tables["automation_candidates"][0]
    assert cost.hours_per_month == pytest.approx(
        row["volume_per_month"] * row["minutes_each"] / 60, rel=1e-3)
