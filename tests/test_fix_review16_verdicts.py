"""Review 16 (small desks): verdicts whose evidence is within sampling noise say so, the
band says how far such verdicts could move it, and an unknown finding claims no confidence.

- A backlog that "grew" over a month's 4 week ends of a 50-a-month desk read "triggered,
  high" though the queue's own week-to-week noise was about +-100% of its level (on 20
  such desks whose queue truly shrank 16%, 5 triggered at high confidence). The shrink
  now carries the trend line's standard error and the engine grades either end of its
  t interval, as it does a share's Wilson interval: such a trigger is low confidence,
  within noise, and says its interval; a large desk's clear growth stays high.
- A band read HEALTHY on a score of 1 that three verdicts within noise could move to 3:
  the band stays what the score says (signs.md), and the band's sentence, the band label
  and ``band_range_within_noise`` say where the verdicts within noise could move it.
- An unknown finding read ``confidence: "high"`` in the JSON: it is low.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api, config
from itsm_diag.engine import band_sentence, noise_band_range
from itsm_diag.render import common
from itsm_diag.report import Finding
from test_fix_backlog_cut import END, _desk, _write

MONTH = f"{(END - pd.Timedelta(weeks=4)).normalize():%Y-%m-%d}"


def _report(folder: Path, **options: str) -> api.Report:
    return api.diagnose_paths([folder], api.RunOptions(**options))


@pytest.mark.parametrize("seed", [0, 4])
def test_a_small_desks_growth_within_its_noise_is_a_low_confidence_trigger(
        tmp_path: Path, seed: int) -> None:
    # ~2.5 tickets a working day, a median stay of 6 days, judged over 4 week ends: the
    # queue holds about ten tickets and grew 20% (seed 0) or 55% (seed 4)
    report = _report(_write(_desk(seed, 2.5, 30, 6.0), tmp_path / "desk"), since=MONTH)
    sign = next(s for s in report.signs if s.id == "backlog")
    assert sign.status == "triggered"
    assert sign.confidence == "low" and sign.within_noise
    noise = sign.noise["min_shrink"]
    shrink = sign.metrics["backlog_shrink"].value
    assert noise.method == "trend" and noise.within and noise.n == 4
    assert shrink is not None and shrink < 0
    # a t interval about the shrink that holds the 5% bar
    assert noise.low < shrink < noise.high and noise.low < 0.05 < noise.high
    assert (noise.low + noise.high) / 2 == pytest.approx(shrink)
    assert "within noise" in sign.reason and "growth over the window" in sign.reason
    assert "as a shrink" in sign.reason


def test_a_large_desks_clear_growth_stays_a_high_confidence_trigger(tmp_path: Path) -> None:
    # 40 tickets a working day whose arrivals climb 80% over 16 weeks: the queue grew
    # about half over the quarter, far beyond its noise
    report = _report(_write(_desk(0, 40.0, 30, 6.0, drop=-0.8), tmp_path / "desk"))
    sign = next(s for s in report.signs if s.id == "backlog")
    assert sign.status == "triggered" and sign.confidence == "high"
    assert not sign.within_noise
    noise = sign.noise["min_shrink"]
    assert noise.method == "trend" and not noise.within and noise.n == 13
    assert noise.high < 0.05  # even the top of its interval is no shrink at all


def test_an_unknown_finding_claims_no_confidence(tmp_path: Path) -> None:
    report = _report(_write(_desk(1, 2.5, 30, 6.0), tmp_path / "desk"), since=MONTH)
    unknown = [s for s in report.signs + report.checks if s.status == "unknown"]
    assert unknown and all(s.confidence == "low" for s in unknown)


def test_the_band_says_how_far_verdicts_within_noise_could_move_it() -> None:
    rules = config.load_rules()
    d = rules.defaults
    # score 1, nothing unknown; one trigger and two clears within noise: 0 to 3
    assert noise_band_range(1, 0, (1, 2)) == ("healthy", "gaps")
    text = band_sentence(1, 0, 7, d.wording, d.bands, (1, 2))
    assert text.startswith(d.bands["healthy"])
    assert "3 of the verdicts are within sampling noise" in text
    assert "the score could be 0 to 3 of 7" in text and "healthy to gaps" in text
    # verdicts within noise that cannot move the band leave the sentence alone
    assert noise_band_range(4, 0, (0, 1)) == ("slowing", "slowing")
    assert band_sentence(4, 0, 7, d.wording, d.bands, (0, 1)) == d.bands["slowing"]
    # with unknown signs too: the range the unknowns give, widened by the noise
    assert noise_band_range(2, 2, (1, 1)) == ("healthy", "slowing")
    wide = band_sentence(2, 2, 7, d.wording, d.bands, (1, 1))
    assert "between gaps and slowing" in wide and "healthy to slowing" in wide
    # the unknowns' share of the range is said with it (review 16's read: one noisy
    # clear beside one unknown sign read as if the noise alone moved the band)
    assert "and with the 2 unknown signs applying, the score could be 1 to 5" in wide
    one = band_sentence(2, 1, 7, d.wording, d.bands, (0, 1))
    assert "with the 1 unknown sign applying, the score could be 2 to 4" in one


def test_the_reports_band_fields_and_labels_agree(tmp_path: Path) -> None:
    report = _report(_write(_desk(0, 2.5, 30, 6.0), tmp_path / "desk"), since=MONTH)
    trig = sum(1 for s in report.signs if s.status == "triggered" and s.within_noise)
    clear = sum(1 for s in report.signs if s.status == "clear" and s.within_noise)
    assert trig >= 1  # the backlog's trigger above
    wide = noise_band_range(report.score, report.unknown, (trig, clear))
    assert report.band_range_within_noise == list(wide)
    if list(wide) != list(report.band_range):
        assert "within sampling noise" in report.band_text
        said = "WITHIN NOISE AND UNKNOWNS" if report.unknown else "WITHIN NOISE"
        assert f"{said}: {wide[0].upper()} TO {wide[1].upper()}" in common.band_label(
            report)
    else:
        assert common.noise_band(report) == ""


def _changes(report: api.Report) -> Finding:
    return next(s for s in report.signs if s.id == "changes")


def test_a_second_tools_changes_do_not_clear_a_desk_they_cannot_search(
        tmp_path: Path) -> None:
    """A ServiceNow list whose incidents carry neither a caused-by-change link nor a CI,
    beside a small Jira desk with change records: changes read "clear" from the Jira
    desk's 149 incidents for a window of 22,936 (review 16, the real log). A clear needs
    most of the window's incidents searchable; the note names the input left out."""
    from itsm_diag import synth
    from itsm_diag.writers.jira import write_jira

    folder = _write(_desk(0, 12.0, 30, 6.0), tmp_path / "mixed")
    jira = synth.generate(300, seed=3, end=f"{END:%Y-%m-%d}", weeks=16)
    write_jira(jira.tickets, jira.events, folder, name="jira_desk")
    alone = tmp_path / "jira"
    write_jira(jira.tickets, jira.events, alone, name="jira_desk")
    by_itself = _changes(_report(alone))
    assert by_itself.status != "unknown"  # the Jira desk alone is judged
    sign = _changes(_report(folder))
    assert sign.status == "unknown"
    assert "come from inputs whose export gives no way to find a change-caused" in sign.reason
    assert "servicenow: " in sign.reason
    # said once, as the reason: not again among the notes
    assert not any("come from inputs whose export" in n.text for n in sign.evidence.notes)


def test_one_input_keeps_its_verdict(tmp_path: Path) -> None:
    """A single input is never split: its changes sign reads as before."""
    folder = _write(_desk(0, 12.0, 30, 6.0), tmp_path / "sn")
    sign = _changes(_report(folder))
    assert "come from inputs whose export" not in sign.reason


def test_a_second_tools_clusters_do_not_clear_a_desk_it_cannot_key(tmp_path: Path) -> None:
    """A ServiceNow list whose incidents fill no recurrence key (no CI, no summary) beside
    a small Jira desk: recurrence read "clear, high" from the Jira desk's incidents alone
    (review 16, the real log). A clear needs most of the window's incidents keyed."""
    from itsm_diag import synth
    from itsm_diag.writers.jira import write_jira

    folder = _write(_desk(0, 12.0, 30, 6.0), tmp_path / "mixed")
    listing = pd.read_csv(folder / "incident.csv", dtype=str, keep_default_na=False)
    listing["short_description"] = ""
    listing.to_csv(folder / "incident.csv", index=False)
    jira = synth.generate(300, seed=3, end=f"{END:%Y-%m-%d}", weeks=16)
    write_jira(jira.tickets, jira.events, folder, name="jira_desk")
    alone = tmp_path / "jira"
    write_jira(jira.tickets, jira.events, alone, name="jira_desk")
    assert next(s for s in _report(alone).signs if s.id == "recurrence").status != "unknown"
    sign = next(s for s in _report(folder).signs if s.id == "recurrence")
    assert sign.status == "unknown"
    assert "come from tools whose export fills no recurrence key" in sign.reason
    assert "servicenow: " in sign.reason


@pytest.mark.parametrize(("days", "quarters"), [
    (90.0, 1.0), (91.0, 1.0), (91.31, 1.0), (92.0, 1.0),  # Q1 to Q4, 13 weeks
    (28.0, 28.0 / 91.31), (89.0, 89.0 / 91.31), (93.0, 93.0 / 91.31), (182.0, 182 / 91.31)])
def test_a_calendar_quarter_is_one_quarter(days: float, quarters: float) -> None:
    """A quarter is three 30.44-day months, and a window of a calendar quarter (90 to 92
    days) is one: the read of review 16 found Q3's and Q4's 92 days scaled (170 incidents
    read 168.7 a quarter) where a 91-day window's counted whole."""
    from itsm_diag.signs.changes import window_quarters

    assert window_quarters(days) == pytest.approx(quarters, rel=1e-3)
