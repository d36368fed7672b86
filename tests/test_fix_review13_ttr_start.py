"""Time to resolve of a window the export does not reach back before (review 13, rv13b
item 6).

A baseline quarter starting on the export's first day holds no ticket opened before it
and done in it: its times to resolve lack the slowest tickets and lean low. ``compare``
read "Time to resolve, p90 227.1 h -> 290.9 h, worse" against a later quarter of the
same desk, whose resolution times were drawn identically (251 h without its carried-over
tickets), and the baseline's KPI panel said nothing. Now the panel's time to resolve
carries a caveat with the export's reach and the p90 in numbers (and is not reliable),
and ``compare`` gives the median and p90 no direction when either side carries it, with
a note giving the caveat. Quarters the export reaches well before are as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, compare, config
from itsm_diag.report import Delta, Report

WORDING = config.load_rules().defaults.wording
TTR = "time_to_resolve_hours"
FIRST = pd.Timestamp("2025-01-01")
LAST = pd.Timestamp("2026-03-31 23:59:59")
#: tickets opened from here on resolve twice as slowly (a real change, read as such)
SLOWER = pd.Timestamp("2026-01-01")


def _export(folder: Path) -> Path:
    """One desk over 15 months (about 11,000 incidents, a steady flow from the export's
    first day on): resolution log-normal around three days, the same for every ticket
    opened before ``SLOWER``, twice as slow after it."""
    rng = np.random.default_rng(613)
    days = pd.date_range(FIRST, LAST.normalize(), freq="D")
    counts = rng.poisson(np.where(days.day_of_week < 5, 32.0, 5.0))
    opened = pd.DatetimeIndex(np.sort(
        np.repeat(days.values, counts)
        + pd.to_timedelta(rng.uniform(7, 18, counts.sum()), unit="h").values))
    n = len(opened)
    median = np.where(opened >= SLOWER, 144.0, 72.0)
    res = opened + pd.to_timedelta(rng.lognormal(np.log(median), 1.0), unit="h")
    closed = res + pd.Timedelta(days=3)
    still = res > LAST

    def stamp(ts: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(ts.strftime("%Y-%m-%d %H:%M:%S"))

    frame = pd.DataFrame({
        "number": [f"INC{10001 + i:07d}" for i in range(n)],
        "short_description": [f"Issue {i % 97} on LT-{i:06d}" for i in range(n)],
        "state": np.where(still, "In Progress", np.where(closed > LAST, "Resolved", "Closed")),
        "priority": rng.choice(["2 - High", "3 - Moderate", "4 - Low"], n, p=[.1, .5, .4]),
        "category": rng.choice(["Software", "Hardware", "Network"], n),
        "assignment_group": rng.choice(["Service Desk", "Desktop Support"], n),
        "caller_id": [f"User {x:04d}" for x in rng.integers(0, 2000, n)],
        "opened_at": stamp(opened),
        "resolved_at": np.where(still, "", stamp(res)),
        "closed_at": np.where(closed > LAST, "", stamp(closed)),
        "sys_updated_on": stamp(pd.DatetimeIndex(np.minimum(closed.values,
                                                            np.datetime64(LAST)))),
        "reassignment_count": rng.choice([0, 1, 2], n, p=[.6, .3, .1]),
        "reopen_count": (rng.random(n) < .05).astype(int),
    })
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "incident.csv", index=False)
    assert n <= 20_000
    return folder


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(tmp_path_factory.mktemp("ttr_start") / "sn")


def _quarter(desk: Path, since: str, until: str) -> Report:
    return api.diagnose_paths([desk], api.RunOptions(since=since, until=until))


@pytest.fixture(scope="module")
def first(desk: Path) -> Report:
    """The export's first quarter: it starts on the window's first day."""
    return _quarter(desk, "2025-01-01", "2025-03-31")


@pytest.fixture(scope="module")
def third(desk: Path) -> Report:
    """A quarter the export reaches six months before, drawn like the first."""
    return _quarter(desk, "2025-07-01", "2025-09-30")


def _row(got: compare.Comparison, name: str) -> Delta:
    return next(k for k in got.kpis if k.name == name)


def test_a_quarter_starting_on_the_exports_first_day_says_its_times_lean_low(
        first: Report, third: Report) -> None:
    caveat = first.kpis.caveats.get(TTR, "")
    assert caveat.startswith("Leans low:"), first.kpis.caveats
    # in numbers: where the export starts, how far into the window, the p90 in hours
    assert "start on 2025-01-01," in caveat and "days into the window" in caveat
    assert f"{first.kpis.time_to_resolve_hours['p90']:,.1f} h" in caveat
    # the backlog sign's own estimate of the tickets it lacks, not measured again
    assert "the backlog sign estimates about" in caveat
    assert first.kpis.reliable[TTR] is False
    # the quarter the export reaches well before: no caveat, reliable
    assert TTR not in third.kpis.caveats and third.kpis.reliable[TTR] is True
    # what the caveat says: the same draws, the carried-over tickets missing
    assert (first.kpis.time_to_resolve_hours["p90"]  # type: ignore[operator]
            < third.kpis.time_to_resolve_hours["p90"])


def test_compare_gives_a_time_to_resolve_lacking_tickets_no_direction(
        first: Report, third: Report) -> None:
    got = compare.compare(first, third, WORDING)
    for name in ("ttr_median", "ttr_p90"):
        row = _row(got, name)
        assert row.old is not None and row.new is not None and row.delta is not None
        assert row.direction is None, row
    notes = " ".join(got.notes)
    assert "Not reliable, so given no direction:" in notes
    assert "(not reliable in the baseline)" in notes
    assert "The baseline's KPI panel (Time to resolve): Leans low:" in notes
    # the other KPIs are weighed as before
    assert _row(got, "first_assignment_resolution").direction is not None
    # either side: the same pair the other way round
    back = compare.compare(third, first, WORDING)
    assert _row(back, "ttr_p90").direction is None
    assert "(not reliable in this report)" in " ".join(back.notes)


def test_quarters_the_export_reaches_well_before_keep_their_direction(
        desk: Path, third: Report) -> None:
    slow = _quarter(desk, "2026-01-01", "2026-03-31")
    assert TTR not in slow.kpis.caveats and slow.kpis.reliable[TTR] is True
    got = compare.compare(third, slow, WORDING)
    assert _row(got, "ttr_p90").direction == "worse"
    assert _row(got, "ttr_median").direction == "worse"
    assert "Not reliable, so given no direction" not in " ".join(got.notes)


def test_an_export_starting_weeks_into_the_window_says_so_too(desk: Path) -> None:
    late = _quarter(desk, "2024-12-01", "2025-02-28")
    assert "starts_late" in late.extract_shape
    caveat = late.kpis.caveats.get(TTR, "")
    assert "start on 2025-01-01, 31." in caveat and "days into the window" in caveat
    assert late.kpis.reliable[TTR] is False


def test_the_demo_panel_is_unchanged(demo_report: Report) -> None:
    assert TTR not in demo_report.kpis.caveats
    assert demo_report.kpis.reliable[TTR] is True
    # a report marked not reliable on one side: no direction, the caveat in the note
    data = json.loads(demo_report.model_dump_json())
    data["kpis"]["reliable"][TTR] = False
    data["kpis"]["caveats"][TTR] = "Leans low: a test."
    marked = Report.model_validate(data)
    got = compare.compare(demo_report, marked, WORDING)
    assert _row(got, "ttr_p90").direction is None
    assert any("This report's KPI panel (Time to resolve): Leans low: a test." in n
               for n in got.notes)
    # unmarked, the same pair is same, as before
    assert _row(compare.compare(demo_report, demo_report, WORDING), "ttr_p90").direction \
        == "same"
