"""``--period`` periods are cut to what the data covers, not to the dates asked (review 14).

With ``--since`` before the data's flow, a period the flow barely reaches read full
(``partial: False, coverage: 1.0``) and was graded: the demo's ``--period quarter --since
2025-10-01`` graded 2025-Q4 and 2026-Q1 "1/7, trust triggered" on 76 strays the same
report calls too few to be its flow, and ``--since 2026-03-15 --period month`` gave March
the share after ``--since`` (55%), not the 6% the data covers. With ``--until`` after the
data's end, a month holding one day of it read full. A period is now cut to where the
data's flow starts (as without ``--since``) and to where the data ends; one that the flow
does not reach is named in a note, not diagnosed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itsm_diag import api
from itsm_diag.report import PeriodOut, Report
from test_fix_review12_window_end import _desk

#: strays opened before the flow (left open): a few a month, too few a week to be one
STRAYS = ("2025-12-10 10:00:00", "2026-01-20 11:00:00", "2026-02-11 09:30:00",
          "2026-03-04 14:00:00")
FLOW = "2026-03-16"  # a Monday: the desk's flow starts here
END = "2026-08-05"  # a Wednesday: the second desk's export ends here


@pytest.fixture(scope="module")
def strays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A steady desk from 16 March to 31 August 2026, with strays before it."""
    return _desk(tmp_path_factory.mktemp("strays") / "incident.csv", FLOW, "2026-08-31",
                 seed=3, extra=STRAYS)


@pytest.fixture(scope="module")
def ends_early(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A steady desk from 1 June to 5 August 2026 (the export was pulled that day)."""
    return _desk(tmp_path_factory.mktemp("early") / "incident.csv", "2026-06-01", END,
                 seed=4)


def _run(path: Path, **options: str) -> Report:
    return api.diagnose_paths([path], api.RunOptions(**options))  # type: ignore[arg-type]


def _by_label(report: Report) -> dict[str, PeriodOut]:
    assert report.periods is not None
    return {p.label: p for p in report.periods}


def _is_partial(period: PeriodOut, coverage: float) -> None:
    assert period.partial
    assert period.coverage == pytest.approx(coverage, abs=1e-4)
    assert period.score is None and period.unknown is None and period.band_range is None
    assert period.triggered == [] and period.band == "undetermined"


def _is_graded(period: PeriodOut) -> None:
    assert not period.partial and period.coverage == 1.0
    assert period.score is not None and period.unknown is not None


def test_the_no_flag_trend_starts_at_the_flow(strays: Path) -> None:
    # unchanged: the first month is cut to where the flow starts and not graded
    periods = _by_label(_run(strays, period="month"))
    assert list(periods) == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
                             "2026-08"]
    _is_partial(periods["2026-03"], 16 / 31)
    assert periods["2026-03"].start.startswith(FLOW)
    for label in list(periods)[1:]:
        _is_graded(periods[label])


MONTHS = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]


@pytest.mark.parametrize(("kind", "since", "first", "coverage", "graded", "skipped"), [
    # months before the flow hold strays only: named, not graded on them
    ("month", "2025-12-01", "2026-03", 16 / 31, MONTHS, ["2025-12", "2026-01", "2026-02"]),
    # the quarter the flow starts in holds 16 of its 90 days, not all of them (and
    # 2026-Q3 ends with the data on 31 August)
    ("quarter", "2025-10-01", "2026-Q1", 16 / 90, ["2026-Q2"], ["2025-Q4"]),
    # a --since inside the month before the flow: the share the data covers (16 of 31
    # days), not the share after --since (22 of 31)
    ("month", "2026-03-10", "2026-03", 16 / 31, MONTHS, []),
])
def test_a_since_before_the_flow_makes_no_period_full(
        strays: Path, kind: str, since: str, first: str, coverage: float,
        graded: list[str], skipped: list[str]) -> None:
    report = _run(strays, period=kind, since=since)
    periods = _by_label(report)
    assert list(periods)[:len(graded) + 1] == [first, *graded]
    _is_partial(periods[first], coverage)
    assert periods[first].start.startswith(FLOW)
    for label in graded:
        _is_graded(periods[label])
    notes = [n for n in report.data_notes if "is not diagnosed" in n]
    assert [n.split(":")[1].split()[0] for n in notes] == skipped
    assert all(f"ends before the data's flow starts on {FLOW}" in n for n in notes)
    # the periods from the flow on are those of a run without --since
    plain = _by_label(_run(strays, period=kind))
    assert periods == plain


def test_a_since_inside_the_data_still_cuts_its_period(strays: Path) -> None:
    periods = _by_label(_run(strays, period="month", since="2026-05-11"))
    assert list(periods) == ["2026-05", "2026-06", "2026-07", "2026-08"]
    _is_partial(periods["2026-05"], 21 / 31)
    assert periods["2026-05"].start.startswith("2026-05-11")
    for label in ("2026-06", "2026-07", "2026-08"):
        _is_graded(periods[label])


def test_a_until_after_the_data_makes_no_period_full(ends_early: Path) -> None:
    report = _run(ends_early, period="month", until="2026-08-31")
    periods = _by_label(report)
    assert list(periods) == ["2026-06", "2026-07", "2026-08"]
    _is_graded(periods["2026-06"])
    _is_graded(periods["2026-07"])
    # the data covers 1 to 5 August: 5 of 31 days
    _is_partial(periods["2026-08"], 5 / 31)
    assert periods["2026-08"].end.startswith(END)
    # a month wholly after the data is named, as before
    later = _by_label(_run(ends_early, period="month", until="2026-09-30"))
    assert later == periods


def test_a_until_inside_the_data_still_cuts_its_period(ends_early: Path) -> None:
    periods = _by_label(_run(ends_early, period="month", until="2026-07-15"))
    assert list(periods) == ["2026-06", "2026-07"]
    _is_graded(periods["2026-06"])
    _is_partial(periods["2026-07"], 15 / 31)


@pytest.mark.parametrize(("which", "options"), [
    ("strays", {"since": "2025-12-01"}),
    ("ends_early", {"until": "2026-08-31"}),
])
def test_the_main_window_is_unchanged_by_the_periods(
        request: pytest.FixtureRequest, which: str, options: dict[str, str]) -> None:
    path = request.getfixturevalue(which)
    alone = _run(path, **options)
    with_periods = _run(path, period="month", **options)
    assert with_periods.model_dump(exclude={"periods", "data_notes"}) == alone.model_dump(
        exclude={"periods", "data_notes"})
    assert with_periods.data_notes[:len(alone.data_notes)] == alone.data_notes


def test_the_demo_quarters_before_its_flow_are_not_graded() -> None:
    # the review's repro: 2025-Q4 and 2026-Q1 read "1/7, trust triggered" on the 76
    # strays before the demo's flow (2026-03-30); the quarters before its first record
    # (2025-10-06) are named as before
    report = _run(api.demo_dir(), period="quarter", since="2025-01-01")
    periods = _by_label(report)
    assert list(periods) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    _is_partial(periods["2026-Q1"], 2 / 90)
    assert periods == _by_label(_run(api.demo_dir(), period="quarter"))
    notes = [n for n in report.data_notes if "is not diagnosed" in n]
    assert [n.split(":")[1].split()[0] for n in notes] == [
        "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert all("holds none of the data: its first record is on 2025-10-06" in n
               for n in notes[:3])
    assert "ends before the data's flow starts on 2026-03-30" in notes[3]
