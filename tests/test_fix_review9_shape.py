"""Review 9, extract shapes: a small desk exported with ``resolved >= ...`` (nothing
open) read as a backlog that shrank, a missing middle file of a split export went
unnoticed, and two monthly runs of one rolling JQL were said to be cut differently
because one started a day later into its window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shapes
from itsm_diag import api, compare, config
from itsm_diag.report import Finding, Report

START = pd.Timestamp("2012-01-02", tz="UTC")
PULLED = START + pd.Timedelta(weeks=26)


def by_id(r: Report) -> dict[str, Finding]:
    return {f.id: f for f in [*r.signs, *r.checks]}


def run(paths: tuple[Path, Path]) -> Report:
    log, mapping = paths
    return api.diagnose_paths([log], api.RunOptions(mapping=mapping))


def small_desk(seed: int = 7) -> pd.DataFrame:
    """About 3 incidents a day over 26 weeks, a median of 4 days to done."""
    return shapes._population(546, "2012-01-02", 26, median_days=4.0, seed=seed)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return run(shapes._write_log(shapes._log_rows(small_desk(), PULLED),
                                 tmp_path_factory.mktemp("whole")))


def test_a_small_desks_resolved_since_export_is_read_as_selected_on_closure(
        whole: Report, tmp_path: Path) -> None:
    # "resolved >= 17 weeks ago", nothing open: its last 28 days held only the tickets
    # already done (2.0 a day where 3 arrived), so the flow predicted 8 open, under the
    # gate of 10, and the backlog read "clear, high confidence, shrink 30%"; compare
    # called it better. The rate now comes from the days before the last ones, whose
    # tickets such an extract holds whole
    cases = small_desk()
    chosen = cases[(cases["done"] > PULLED - pd.Timedelta(weeks=17))
                   & (cases["done"] <= PULLED)]
    r = run(shapes._write_log(shapes._log_rows(chosen, PULLED), tmp_path))
    shape = r.extract_shape["none_open"]
    assert shape["open_at_cut"] == 0 and shape["expected_open"] >= 8
    assert shape["per_day"] > 2.5  # the desk's 3 a day, not the 2 the last days hold
    assert by_id(r)["backlog"].status == "unknown"
    assert any("selected on closure" in n and f"up to {shape['rate_to']}" in n
               for n in r.data_notes)
    # the whole export of the same desk keeps its queue and no shape
    assert whole.extract_shape == {} and by_id(whole)["backlog"].status != "unknown"
    wording = config.load_rules().defaults.wording
    notes = compare.compare(whole, r, wording).notes
    assert any("cut differently" in n and "now: none_open" in n for n in notes), notes


def test_a_desk_done_with_every_ticket_within_its_day_is_no_closure_cut(
        tmp_path: Path) -> None:
    # 100 incidents a weekday, opened 08:00-11:00 and done by 17:00 (a median of about
    # 5 hours), exported at night: nothing open, and the old estimate (71 a day x the
    # median) predicted 15 open, so a whole export read as selected on closure
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2012-01-02", periods=80, tz="UTC")
    opened = pd.DatetimeIndex(np.concatenate([
        (day + pd.Timedelta(hours=8) + pd.to_timedelta(rng.uniform(0, 3, 100), unit="h"))
        .to_numpy() for day in days]))
    # from 2.5 hours on: the log's "In Progress" comes 2 hours after the opening
    stay = pd.to_timedelta(2.5 + 2.5 * np.exp(rng.normal(0, 0.6, len(opened))), unit="h")
    closing = opened.normalize() + pd.Timedelta(hours=17)
    done = pd.DatetimeIndex(np.minimum(opened + stay, closing))
    n = len(opened)
    cases = pd.DataFrame({"case": [f"C{i:06d}" for i in range(n)], "opened": opened,
                          "done": done, "group": rng.choice(shapes.GROUPS, n),
                          "impact": rng.choice(["High", "Medium", "Low"], n)})
    cut = days[-1] + pd.Timedelta(hours=22)
    r = run(shapes._write_log(shapes._log_rows(cases, cut), tmp_path))
    assert r.tickets.total == 8000 and "none_open" not in r.extract_shape


@pytest.fixture(scope="module")
def hole(tmp_path_factory: pytest.TempPathFactory) -> Report:
    # the file of weeks 14-18 left out of a split export
    cases = small_desk()
    gone = (cases["opened"] >= START + pd.Timedelta(weeks=14)) & (
        cases["opened"] < START + pd.Timedelta(weeks=18, days=3))
    return run(shapes._write_log(shapes._log_rows(cases[~gone], PULLED),
                                 tmp_path_factory.mktemp("hole")))


def test_a_missing_middle_file_is_named_as_a_gap(whole: Report, hole: Report) -> None:
    # four weeks with 0 arrivals inside a flow of ~20 a week: no note, no shape
    gap = hole.extract_shape["gap"]
    assert gap["weeks"] == 4 and gap["days"] >= 30
    assert gap["expected"] >= 60 and 15 <= gap["per_week"] <= 25
    assert gap["last_before"] < "2012-04-09" < gap["first_after"]
    note = next(n for n in hole.data_notes if "split export" in n)
    assert f"between {gap['last_before']} and {gap['first_after']}" in note
    assert "gap" not in whole.extract_shape
    wording = config.load_rules().defaults.wording
    notes = compare.compare(whole, hole, wording).notes
    assert any("cut differently" in n and "now: gap" in n for n in notes), notes
    # the backlog's trend across the hole is no measurement: unknown, saying why
    backlog = next(f for f in hole.signs if f.id == "backlog")
    assert backlog.status == "unknown"
    assert f"between {gap['last_before']} and {gap['first_after']}" in backlog.reason
    assert next(f for f in whole.signs if f.id == "backlog").status != "unknown"


def test_a_start_a_day_or_two_late_is_no_other_cut(whole: Report) -> None:
    # two monthly runs of "created >= -90d": one started 1.4 days into its 13-week
    # window, and compare said the two were cut differently
    wording = config.load_rules().defaults.wording
    late = {"first": "2012-04-04", "before": 0.2, "covered": 12.8, "earlier": 0}
    a = whole.model_copy(update={"extract_shape": {}})
    b = whole.model_copy(update={"extract_shape": {"starts_late": late}})
    assert not [n for n in compare.compare(a, b, wording).notes if "cut differently" in n]
    # weeks missing from the window are still another cut
    later = {**late, "before": 3.0, "covered": 10.0}
    c = whole.model_copy(update={"extract_shape": {"starts_late": later}})
    assert [n for n in compare.compare(a, c, wording).notes if "cut differently" in n]
