"""One stray ticket weeks after an export's cut is no missing file (review 18a, #2).

A 17 Sep 14:20 cut of a desk of about 200 tickets a week, plus one incident with a
typo'd open date (2026-12-03), read "No incident or request was opened between
2026-09-17 and 2026-12-03 ... the weeks on each side hold at least 1.0 a week (about 10
expected): a file of a split export is probably missing", and the backlog (clear, high)
turned unknown. The weeks after the run held one ticket over the one week the data has
there: 1.0 a week over that slice, where the 4 weeks (``flow_rolling_weeks``) each side
is judged on hold 0.25 a week, about 2.5 expected, under ``gap_min_expected`` (10). A
side's weeks past the flow's first or last arrival now count as empty; a month missing
between two files of a split export is still a gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag.report import Finding, Report
from itsm_diag.signs import shape as sh
from shapes import printer_desk_csv

#: a Thursday afternoon: the export's cut
CUT = pd.Timestamp("2025-09-18 14:20:00")
START = pd.Timestamp("2025-03-03")


def _desk(path: Path, *, stray: str | None = None,
          missing: tuple[str, str] | None = None, seed: int = 5) -> Path:
    """A ServiceNow incident CSV of a steady desk (35 a weekday, 5 a weekend day), cut
    at :data:`CUT`: the tickets opened by then, a resolution after it left out (open).
    ``stray``: one more incident opened then (open); ``missing``: the tickets opened in
    that span left out (a file of a split export)."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in pd.date_range(START, CUT.normalize(), freq="D"):
        for _ in range(rng.poisson(5 if day.day_of_week >= 5 else 35)):
            rows.append(day + pd.Timedelta(hours=float(rng.uniform(7, 18))))
    opened = pd.Series(sorted(rows)).dt.floor("s")
    opened = opened[opened <= CUT]
    if missing is not None:
        opened = opened[(opened < pd.Timestamp(missing[0]))
                        | (opened >= pd.Timestamp(missing[1]))]
    opened = opened.reset_index(drop=True)
    n = len(opened)
    resolved = (opened + pd.to_timedelta(rng.lognormal(np.log(20 * 3600), 1.0, n),
                                         unit="s")).dt.floor("s")
    resolved = resolved.where(resolved <= CUT)
    if stray is not None:
        opened = pd.concat([opened, pd.Series([pd.Timestamp(stray)])], ignore_index=True)
        resolved = pd.concat([resolved, pd.Series([pd.NaT])], ignore_index=True)
    return printer_desk_csv(path, opened, resolved)


def _backlog(report: Report) -> Finding:
    return next(s for s in report.signs if s.id == "backlog")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = _desk(tmp_path_factory.mktemp("plain") / "incident.csv")
    return api.diagnose_paths([path], api.RunOptions())


@pytest.mark.parametrize("stray", ["2025-10-30 09:12:00", "2025-12-04 09:12:00"])
def test_one_stray_weeks_after_the_cut_is_no_gap(plain: Report, stray: str,
                                                 tmp_path: Path) -> None:
    # 6 weeks after the cut (the run's 5 whole weeks: about 1.25 expected) and 11 weeks
    # after (10 whole weeks: the old 1.0 a week made exactly 10 expected, a gap)
    got = api.diagnose_paths([_desk(tmp_path / "incident.csv", stray=stray)],
                             api.RunOptions())
    assert "gap" not in got.extract_shape, got.extract_shape
    assert not any("split export" in n for n in got.data_notes), got.data_notes
    assert any("thins out" in n for n in got.data_notes), got.data_notes
    # the backlog is judged as without the stray, not unknown for a gap
    ref, judged = _backlog(plain), _backlog(got)
    assert ref.status in ("clear", "triggered") and ref.confidence == "high"
    assert (judged.status, judged.confidence) == (ref.status, ref.confidence)


def test_a_month_missing_between_two_files_is_still_a_gap(plain: Report,
                                                          tmp_path: Path) -> None:
    # June left out of a split export: about 200 a week on each side, 4 whole weeks
    got = api.diagnose_paths([_desk(tmp_path / "incident.csv",
                                    missing=("2025-06-01", "2025-07-01"))],
                             api.RunOptions())
    gap = got.extract_shape["gap"]
    assert gap["weeks"] == 4 and gap["side_weeks"] == 4
    assert 150 <= gap["per_week"] <= 250 and gap["expected"] >= 600
    assert gap["last_before"] <= "2025-05-31" and gap["first_after"] >= "2025-07-01"
    note = next(n for n in got.data_notes if "split export" in n)
    assert "where the 4 weeks on each side hold at least" in note
    assert _backlog(got).status == "unknown" and "gap" not in plain.extract_shape


def _weeks(counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Opened times (µs) and their week numbers for ``counts`` arrivals a week."""
    week = np.repeat(np.arange(len(counts), dtype=np.int64), counts) + 2000
    us = week * 7 * 86_400_000_000 + 3_600_000_000
    return us, week


def test_each_side_is_judged_over_its_whole_weeks() -> None:
    params = config.load_rules().defaults.shape
    # 20 busy weeks, 10 empty, one stray in the last week: 1 over 4 weeks, 2.5 expected
    us, week = _weeks([100] * 20 + [0] * 10 + [1])
    assert sh._gap(us, week, 2000, params, int(us.size)) is None
    # a busy file of two weeks after a missing month: its 400 over 4 weeks, 100 a week
    us, week = _weeks([100] * 20 + [0] * 4 + [200, 200])
    gap = sh._gap(us, week, 2000, params, int(us.size))
    assert gap is not None and gap.weeks == 4 and gap.side_weeks == 4
    assert gap.per_week == pytest.approx(100.0) and gap.expected == pytest.approx(400.0)
    # two busy weeks before the run, after the flow's start: 300 over 4 weeks
    us, week = _weeks([150, 150] + [0] * 3 + [100] * 10)
    gap = sh._gap(us, week, 2000, params, int(us.size))
    assert gap is not None and gap.per_week == pytest.approx(75.0)
