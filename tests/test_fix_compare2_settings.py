"""compare / --baseline name every threshold, cost assumption and KPI target whose value
differs between the two reports, and a sign whose status changed under a changed threshold
is marked so, never "cleared" or "better" without qualification (review 2, item 2).

The CI flow: both monthly runs read the repository's itsm-diag.toml, which was edited in
between (trust's thresholds 0.10/0.50/0.05 -> 0.90): the sets of overridden keys are the
same, so comparing key names alone said nothing while "Cleared: trust", the band and the
hours read as an improvement.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag.cli import app
from itsm_diag.compare import compare
from itsm_diag.render import common
from itsm_diag.report import Report

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "samples" / "demo")
WORDING = config.load_rules().defaults.wording
runner = CliRunner()

M1 = "[signs.trust.thresholds]\nchasers = 0.10\nbypass = 0.50\nduplicates = 0.05\n"
M2 = "[signs.trust.thresholds]\nchasers = 0.90\nbypass = 0.90\nduplicates = 0.90\n"


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def ci_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two monthly runs in one repository, its itsm-diag.toml edited in between."""
    repo = tmp_path_factory.mktemp("cirepo")
    here = Path.cwd()
    os.chdir(repo)
    try:
        Path("itsm-diag.toml").write_text(M1, encoding="utf-8")
        code, _, err = _run("diagnose", DEMO, "-o", "m1.json", "-q")
        assert code == 0, err
        Path("itsm-diag.toml").write_text(M2, encoding="utf-8")
        code, _, err = _run("diagnose", DEMO, "-o", "m2.json", "-q")
        assert code == 0, err
    finally:
        os.chdir(here)
    return repo


def _reports(repo: Path) -> tuple[Report, Report]:
    return (Report.model_validate_json((repo / "m1.json").read_text()),
            Report.model_validate_json((repo / "m2.json").read_text()))


def test_the_changed_thresholds_are_named_with_both_values(ci_runs: Path) -> None:
    old, new = _reports(ci_runs)
    got = compare(old, new, WORDING)
    assert {(s.key, s.finding, s.old, s.new) for s in got.settings} == {
        ("signs.trust.thresholds.chasers", "trust", 0.1, 0.9),
        ("signs.trust.thresholds.bypass", "trust", 0.5, 0.9),
        ("signs.trust.thresholds.duplicates", "trust", 0.05, 0.9),
    }
    note = next(n for n in got.notes if "other values" in n)
    for part in ("trust chasers 0.1 → 0.9", "trust bypass 0.5 → 0.9",
                 "trust duplicates 0.05 → 0.9"):
        assert part in note


def test_a_sign_cleared_under_a_changed_threshold_is_no_improvement(ci_runs: Path) -> None:
    old, new = _reports(ci_runs)
    got = compare(old, new, WORDING)
    trust = next(s for s in got.signs if s.id == "trust")
    assert trust.thresholds_changed == ["bypass", "chasers", "duplicates"]
    assert trust.comparable is False
    assert trust.old == "triggered" and trust.new == "clear"
    # the score fell only because trust's thresholds moved: no "better" anywhere
    assert old.score - new.score == 1
    assert got.band_direction is None and got.score.direction is None
    assert "trust" in got.direction_note
    assert got.hours_left_out == ["trust"]
    assert got.hours_at_stake.direction != "better"
    headline = common.comparison_headline(got)
    assert "(better)" not in headline and "not comparable" in headline
    assert common.change_words(trust) == "cleared, under a changed threshold"
    assert common.moved_signs(got, got.cleared) == "trust (under a changed threshold)"


def test_the_reviewers_ci_compare(ci_runs: Path) -> None:
    """itsm-diag compare m1.json m2.json --fail-on-increase, as the CI job runs it."""
    code, out, err = _run("compare", str(ci_runs / "m1.json"), str(ci_runs / "m2.json"),
                          "--fail-on-increase")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "(better)" not in flat
    assert "Cleared: trust (under a changed threshold)" in flat
    assert "trust chasers 0.1 → 0.9" in flat
    code, out, err = _run("compare", str(ci_runs / "m1.json"), str(ci_runs / "m2.json"),
                          "-f", "json")
    doc = json.loads(out)
    assert doc["band_direction"] is None and doc["hours_at_stake"]["direction"] != "better"
    assert len(doc["settings"]) == 3


def test_the_baseline_section_says_it_too(ci_runs: Path) -> None:
    code, out, err = _run("diagnose", DEMO, "--config", str(ci_runs / "itsm-diag.toml"),
                          "--baseline", str(ci_runs / "m1.json"), "-f", "markdown")
    assert code == 0, err
    assert "- Cleared: trust (under a changed threshold)" in out
    assert "trust chasers 0.1 → 0.9" in " ".join(out.split())


def test_cost_assumptions_and_targets_that_differ_are_named(ci_runs: Path) -> None:
    old, _ = _reports(ci_runs)
    minutes = {**old.assumptions.handle_minutes, "incident": 45.0}
    new = old.model_copy(deep=True, update={"as_of": "2099-01-01T00:00:00+00:00"})
    new.assumptions.handle_minutes = minutes
    new.assumptions.hourly_rate = 80.0
    new.kpis.targets = {"sla_adherence": 0.9}
    got = compare(old, new, WORDING)
    assert {(s.key, s.old, s.new) for s in got.settings} == {
        ("defaults.handle_minutes.incident", 30.0, 45.0),
        ("defaults.hourly_rate", None, 80.0),
        ("defaults.kpi_targets.sla_adherence", None, 0.9),
    }
    note = next(n for n in got.notes if "other values" in n)
    assert "handle_minutes.incident 30 → 45" in note and "hourly_rate not set → 80" in note


def test_hours_under_other_handle_minutes_get_no_direction(ci_runs: Path) -> None:
    old, _ = _reports(ci_runs)
    new = old.model_copy(deep=True, update={"as_of": "2099-01-01T00:00:00+00:00"})
    new.assumptions.handle_minutes = {**old.assumptions.handle_minutes, "incident": 60.0}
    for f in new.signs:  # the same tickets at twice the minutes
        if f.hours_at_stake_per_month:
            f.hours_at_stake_per_month *= 2
    got = compare(old, new, WORDING)
    assert got.hours_at_stake.direction is None
    assert any("minutes the hours rest on differ" in " ".join(n.split()) for n in got.notes)


def test_like_for_like_runs_have_no_settings_note(ci_runs: Path) -> None:
    old, _ = _reports(ci_runs)
    later = old.model_copy(update={"as_of": "2099-01-01T00:00:00+00:00"})
    got = compare(old, later, WORDING)
    assert got.settings == [] and got.hours_left_out == [] and got.direction_note == ""
    assert all(s.comparable or s.old == "unknown" for s in got.signs)
    assert got.hours_at_stake.label == WORDING["compare.hours_at_stake"]
