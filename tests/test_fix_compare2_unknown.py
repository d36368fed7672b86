"""compare / --baseline never call a sign turning unknown an improvement (review 2, item 4).

On the real log, April -> May: trust went triggered -> unknown (its duplicates beyond chance
4.9% against a 5% threshold: the export cannot tell), the score fell 2 -> 1, and compare said
"band undetermined (gaps to slowing) -> undetermined (healthy to slowing) (better)" and
"Agent hours 148.7 h -> 0.7 h, better": nothing improved, those hours are no longer measured.
The band and score now get no direction (a note says which sign moved them and how), and the
hours compare only the signs measured in both reports (the others are named).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag.cli import app
from itsm_diag.compare import compare
from itsm_diag.engine import band_for, band_range
from itsm_diag.render import common
from itsm_diag.render.markdown import render_comparison as markdown
from itsm_diag.render.terminal import render_comparison as terminal
from itsm_diag.report import Report

ROOT = Path(__file__).resolve().parents[1]
WORDING = config.load_rules().defaults.wording
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = tmp_path_factory.mktemp("demo") / "demo.json"
    result = runner.invoke(app, ["demo", "-f", "json", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.stderr
    return Report.model_validate_json(out.read_text())


def _with(r: Report, as_of: str, **statuses: str) -> Report:
    """``r`` with the given signs' statuses (hours only on a triggered one) and the score,
    unknown count and band they give."""
    out = r.model_copy(deep=True, update={"as_of": as_of})
    for f in out.signs:
        if f.id in statuses:
            f.status = statuses[f.id]  # type: ignore[assignment]
            if f.status != "triggered":
                f.hours_at_stake_per_month = None
            elif not f.hours_at_stake_per_month:
                f.hours_at_stake_per_month = 50.0
    out.score = sum(f.status == "triggered" for f in out.signs)
    out.unknown = sum(f.status == "unknown" for f in out.signs)
    out.band_range = list(band_range(out.score, out.unknown))  # type: ignore[arg-type]
    out.band = (out.band_range[0] if out.band_range[0] == out.band_range[1]  # type: ignore[assignment]
                else "undetermined")
    out.score_max_if_unknown_apply = out.score + out.unknown
    return out


APR = "2016-04-30T23:59:59+00:00"
MAY = "2016-05-31T23:59:59+00:00"
#: the real log's shape: two signs triggered, trust among them, four unknown
BASE = {"backlog": "unknown", "recurrence": "unknown", "reporting": "clear",
        "trust": "triggered", "changes": "triggered", "onboarding": "unknown",
        "strategy": "unknown"}


def test_a_sign_turning_unknown_is_no_better_band(demo: Report) -> None:
    old = _with(demo, APR, **BASE)
    new = _with(demo, MAY, **{**BASE, "trust": "unknown"})
    assert band_for(old.score) == "gaps" and band_for(new.score) == "healthy"
    got = compare(old, new, WORDING)
    assert got.band_direction is None and got.score.direction is None
    assert got.direction_note == ("not comparable: trust is triggered in the baseline, "
                                  "unknown now")
    headline = common.comparison_headline(got)
    assert "(better)" not in headline
    assert headline.endswith("(not comparable: trust is triggered in the baseline, unknown "
                             "now).")


def test_hours_no_longer_measured_are_not_saved(demo: Report) -> None:
    old = _with(demo, APR, **BASE)
    new = _with(demo, MAY, **{**BASE, "trust": "unknown"})
    trust_hours = next(f for f in old.signs if f.id == "trust").hours_at_stake_per_month
    changes_hours = next(f for f in old.signs if f.id == "changes").hours_at_stake_per_month
    assert trust_hours and changes_hours
    got = compare(old, new, WORDING)
    # only changes is measured in both: its hours, the same on both sides
    assert got.hours_at_stake.old == got.hours_at_stake.new == pytest.approx(
        round(changes_hours, 1))  # the total is rounded once, the sign's hours are not
    assert got.hours_at_stake.direction == "same"
    assert got.hours_left_out == ["trust"]
    assert got.hours_at_stake.label == WORDING["compare.hours_at_stake_compared"]
    note = next(n for n in got.notes if "left out" in n)
    assert "trust (" in note and "→ unknown)" in note
    for text in (terminal(got, color=False, columns=100), markdown(got)):
        hours_row = next(line for line in text.splitlines()
                         if line.lstrip("| ").startswith("Agent hours"))
        assert "better" not in hours_row


def test_a_sign_measured_now_is_no_worse_band_either(demo: Report) -> None:
    """The other way round (unknown -> triggered): newly seen, not the process worsening;
    the gate still fires, as documented (a sign triggered that was not)."""
    old = _with(demo, APR, **{**BASE, "trust": "unknown"})
    new = _with(demo, MAY, **BASE)
    got = compare(old, new, WORDING)
    assert got.band_direction is None and got.increased is True
    assert got.appeared == ["trust"]


def test_a_real_clear_is_still_better(demo: Report) -> None:
    """A sign measured in both under the same thresholds that cleared is an improvement."""
    old = _with(demo, APR, **BASE)
    new = _with(demo, MAY, **{**BASE, "trust": "clear"})
    got = compare(old, new, WORDING)
    assert got.band_direction == "better" and got.score.direction == "better"
    assert got.hours_at_stake.direction == "better" and got.hours_left_out == []
    assert got.direction_note == ""
    assert "(better)" in common.comparison_headline(got)


def test_the_json_contract_allows_a_null_band_direction(demo: Report, tmp_path: Path
                                                        ) -> None:
    import jsonschema

    from itsm_diag import schema

    old = _with(demo, APR, **BASE)
    new = _with(demo, MAY, **{**BASE, "trust": "unknown"})
    got = compare(old, new, WORDING)
    doc = json.loads(new.model_copy(update={"comparison": got}).model_dump_json())
    assert doc["comparison"]["band_direction"] is None
    jsonschema.validate(doc, schema.shipped())


def test_the_scores_missing_direction_is_explained_when_the_band_did_not_move() -> None:
    # a triggered sign turned unknown: the score fell 4 -> 3 with no direction, the band
    # read the same on both sides, and the reason was shown nowhere
    from renderkit import GOLDEN

    old = Report.model_validate_json((GOLDEN / "demo.json").read_text(encoding="utf-8"))
    new = old.model_copy(update={"score": old.score - 1, "signs": [
        f.model_copy(update={"status": "unknown", "hours_at_stake_per_month": None})
        if f.id == "backlog" else f for f in old.signs]})
    c = compare(old, new, WORDING)
    assert c.score.direction is None and c.direction_note
    line = common.comparison_headline(c)
    assert c.direction_note in line, line
