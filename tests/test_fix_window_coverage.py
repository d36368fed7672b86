"""A window that reaches back before the export's first ticket (a CI review).

An export of the tickets opened this month, judged over the default 13 weeks, spread its
month of counts over 13 weeks: every figure a month and the hours at stake read about a
third of the truth ("6.4 late onboarding requests a month over 13 weeks" for 19), with
no note. The weeks before the first ticket hold none; a figure a month is now over the
weeks the export covers, and a data note says so in numbers.
"""

from __future__ import annotations

import pandas as pd
import pytest

from itsm_diag import api, compare, config, synth
from itsm_diag.report import Report
from itsm_diag.writers.servicenow import write_servicenow


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report, Report]:
    data = synth.generate(8000, seed=31, weeks=26, conditions=synth.Conditions(
        changes=True))
    folder = tmp_path_factory.mktemp("desk")
    files = write_servicenow(data.tickets, None, folder / "full",
                             tables=("incident", "change_request"))
    for sub in ("month", "stray"):
        (folder / sub).mkdir()
    for path in files:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        opened = pd.to_datetime(frame["opened_at"])
        month = frame[opened >= opened.max() - pd.Timedelta(days=30)]
        month.to_csv(folder / "month" / path.name, index=False)
        # one incident opened months before and left open: a stray, not where it starts
        stray = frame[(opened < opened.max() - pd.Timedelta(days=150))].head(1).assign(
            state="In Progress", resolved_at="", closed_at="")
        stray_month = pd.concat([stray, month]) if path.name == "incident.csv" else month
        stray_month.to_csv(folder / "stray" / path.name, index=False)
    return (api.diagnose_paths([folder / "full"], api.RunOptions()),
            api.diagnose_paths([folder / "month"], api.RunOptions()),
            api.diagnose_paths([folder / "stray"], api.RunOptions()))


def _per_month(r: Report, check: str, metric: str) -> float:
    value = next(c for c in [*r.signs, *r.checks] if c.id == check).metrics[metric].value
    assert value is not None
    return value


@pytest.mark.parametrize(("finding", "metric", "low", "high"), [
    # the same steady desk: reopened tickets a month over the 13 weeks, and over the
    # month the cut export holds (a third of it before)
    ("reopens", "reopened_per_month", 0.75, 1.33),
    # the changes sign's incidents a quarter divided the month's count by the whole
    # window's 13 weeks (a review: 204 a quarter against 610), and its min_projected rule
    # then never saw that a month was being projected
    ("changes", "change_caused_per_quarter", 0.7, 1.4)])
def test_a_month_of_tickets_is_counted_over_the_weeks_it_covers(
        reports: tuple[Report, Report, Report], finding: str, metric: str, low: float,
        high: float) -> None:
    full, month, _ = reports
    whole, cut = _per_month(full, finding, metric), _per_month(month, finding, metric)
    assert low < cut / whole < high, (cut, whole)


def test_the_note_says_what_the_window_holds(
        reports: tuple[Report, Report, Report]) -> None:
    full, month, _ = reports
    assert not [n for n in full.data_notes if "tickets start on" in n]
    note = next(n for n in month.data_notes if "tickets start on" in n)
    assert "weeks hold next to none" in note and "every figure a month" in note
    assert month.window.weeks == 13  # the window itself is what was asked
    assert "starts_late" not in full.extract_shape
    assert month.extract_shape["starts_late"]["covered"] == pytest.approx(4.4, abs=0.2)


def test_compare_says_a_month_and_a_quarter_were_cut_differently(
        reports: tuple[Report, Report, Report]) -> None:
    full, month, _ = reports
    notes = compare.compare(full, month, config.load_rules().defaults.wording).notes
    assert any("cut differently" in n and "starts_late" in n for n in notes)


def test_one_stray_ticket_does_not_stand_for_the_start(
        reports: tuple[Report, Report, Report]) -> None:
    """One incident opened five months before the month the export holds: the start was
    taken from it, and every figure a month read a third of the truth again, the
    backlog triggered on the cut (a review)."""
    _, month, stray = reports
    assert stray.extract_shape["starts_late"]["earlier"] == 1
    assert stray.extract_shape["starts_late"]["first"] == month.extract_shape[
        "starts_late"]["first"]
    for check, metric in (("reopens", "reopened_per_month"),
                          ("changes", "change_caused_per_quarter")):
        assert _per_month(stray, check, metric) == pytest.approx(
            _per_month(month, check, metric), rel=0.05)
    backlog = next(s for s in stray.signs if s.id == "backlog")
    assert backlog.status == next(s for s in month.signs if s.id == "backlog").status
