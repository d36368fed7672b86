"""The backlog's weeks are the report's weeks (a review).

Under ``--tz America/New_York`` the weeks were cut 7 x 24 hours back from the window end,
so across the March clock change the first one began at 23:00 the evening before the
window: its arrivals held two tickets from outside it (22,789 against 22,787 opened in the
window). A window of 6.6 weeks was counted as 7, the first reaching 3 days before its
start. Weeks are now seven calendar days in the report's zone, whole weeks only, and their
ends are written in that zone.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.writers.servicenow import write_servicenow


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A desk whose 26 weeks span the March 2026 clock change, many tickets at night."""
    data = synth.generate(6000, seed=5, end="2026-05-31", weeks=26)
    folder = tmp_path_factory.mktemp("weeks")
    write_servicenow(data.tickets, None, folder, tables=("incident",))
    return folder


def _weekly(path: Path, **options: str) -> tuple[list[dict[str, object]], int, pd.Timestamp,
                                                   pd.Timestamp]:
    r = api.diagnose_paths([path], api.RunOptions(**options))  # type: ignore[arg-type]
    backlog = next(s for s in r.signs if s.id == "backlog")
    frame = pd.read_csv(path / "incident.csv", dtype=str)
    tz = options.get("tz", "UTC")
    # the export's times are wall-clock times in the zone --tz names, read by its rules
    opened = m.wall_to_utc(pd.to_datetime(frame["opened_at"]), tz)[0]
    start, end = pd.Timestamp(r.window.start), pd.Timestamp(r.window.end)
    weekly = backlog.evidence.series["weekly"]
    first = pd.Timestamp(weekly[0]["week_end"]) - pd.DateOffset(days=7)
    held = int(((opened > first.tz_convert("UTC")) & (opened <= end)).sum())
    assert tz == "UTC" or str(weekly[0]["week_end"]).endswith(("-04:00", "-05:00"))
    return weekly, held, start, end


def test_weeks_across_a_clock_change_are_the_zone_s_calendar_weeks(export: Path) -> None:
    weekly, held, start, _ = _weekly(export, tz="America/New_York", tz_given="1",
                                     since="2026-02-02", until="2026-04-26")
    assert len(weekly) == 12
    ends = [pd.Timestamp(str(w["week_end"])) for w in weekly]
    # each week ends at the last instant of a Sunday in New York, whatever the offset
    for at in ends:
        local = at.tz_convert("America/New_York")
        assert (local.day_of_week, local.hour, local.minute) == (6, 23, 59)
    assert {(b - a) / pd.Timedelta(hours=1) for a, b in itertools.pairwise(ends)} == {
        167.0, 168.0}
    # the arrivals counted are those of the window's days, no more
    assert sum(int(w["arrivals"]) for w in weekly) == held  # type: ignore[call-overload]
    assert ends[0] - pd.Timedelta(days=7) >= start - pd.Timedelta(microseconds=1)


def test_a_window_of_six_and_a_half_weeks_has_six_whole_weeks(export: Path) -> None:
    # 46 days: 6.6 weeks were rounded to 7, the first week beginning 3 days before
    weekly, _, start, _ = _weekly(export, since="2026-04-01", until="2026-05-16")
    assert len(weekly) == 6
    first_start = pd.Timestamp(str(weekly[0]["week_end"])) - pd.Timedelta(days=7)
    assert first_start >= start - pd.Timedelta(microseconds=1)


def test_the_days_before_the_first_whole_week_are_said(export: Path) -> None:
    # 1 April to 15 May: 6 whole weeks and 3 days before them, whose arrivals silently
    # dropped out of the weekly figures (564 on the real log)
    r = api.diagnose_paths([export], api.RunOptions(since="2026-04-01", until="2026-05-15"))
    backlog = next(s for s in r.signs if s.id == "backlog")
    weekly = backlog.evidence.series["weekly"]
    frame = pd.read_csv(export / "incident.csv", dtype=str)
    opened = pd.to_datetime(frame["opened_at"]).dt.tz_localize("UTC")
    first = pd.Timestamp(str(weekly[0]["week_end"])) - pd.Timedelta(days=7)
    early = int(((opened >= pd.Timestamp(r.window.start)) & (opened <= first)).sum())
    note = next(n for n in backlog.evidence.notes if n.code == "days_before_weeks")
    assert early > 0 and note.count == early
    assert "the window's first 3 days come before them" in note.text
    whole = api.diagnose_paths([export], api.RunOptions(since="2026-04-03",
                                                        until="2026-05-14"))
    assert not [n for n in next(s for s in whole.signs if s.id == "backlog").evidence.notes
                if n.code == "days_before_weeks"]
