"""Workflows for CI jobs and IT leads: periods, baselines and gates, compare, config files,
and the ready-made CI examples, all through the command line (typer's runner)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from itsm_diag import config, engine, schema
from itsm_diag.cli import app
from itsm_diag.compare import compare, sign_change
from itsm_diag.report import Report

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "servicenow"
#: a small export whose latest timestamp is 2026-03-31 18:00 UTC
GOOD = [str(FIX / n) for n in ("incident_fields_dayfirst.csv", "change_request_raw.csv",
                               "problem_labels.csv", "sc_req_item.csv")]
DEMO = str(ROOT / "samples" / "demo")
EXAMPLES = ROOT / "examples"
runner = CliRunner()

#: two configs that pin two of the demo's signs either way, at thresholds far from its
#: shares (a share of 0, which every export meets, is refused): BASE has onboarding clear
#: and trust triggered, FLIP the reverse, so the score stays the same while onboarding
#: newly triggers (the demo: 9.1% late, 21.7% chasers, 65.0% bypass, 8.5% duplicates)
NEVER = 1.0
ALWAYS = 0.01
BASE = {"signs": {"onboarding": {"thresholds": {"late": NEVER}},
                  "trust": {"thresholds": {"chasers": ALWAYS}}}}
FLIP = {"signs": {"onboarding": {"thresholds": {"late": ALWAYS}},
                  "trust": {"thresholds": {"chasers": NEVER, "bypass": NEVER,
                                           "duplicates": NEVER}}}}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict[str, Any]:
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo diagnosed at the defaults (``plain``), with :data:`BASE` and with
    :data:`FLIP` (the configs too: ``base_config``, ``flip_config``)."""
    folder = tmp_path_factory.mktemp("demo_reports")
    paths = {"plain": folder / "plain.json"}
    code, _, err = run("diagnose", DEMO, "--format", "json", "--output", paths["plain"])
    assert code == 0, err
    for name, overrides in (("base", BASE), ("flip", FLIP)):
        cfg = folder / f"{name}.yaml"
        cfg.write_text(yaml.safe_dump(overrides), encoding="utf-8")
        paths[f"{name}_config"] = cfg
        paths[name] = folder / f"{name}.json"
        code, _, err = run("diagnose", DEMO, "--config", cfg, "--format", "json",
                           "--output", paths[name])
        assert code == 0, err
    return paths


# ---- periods: keywords --------------------------------------------------------------------

@pytest.mark.parametrize(("as_of", "month", "quarter"), [
    ("2026-09-30 23:59", ("2026-09-01", "2026-09-30"), ("2026-07-01", "2026-09-30")),
    ("2026-10-01 03:00", ("2026-09-01", "2026-09-30"), ("2026-07-01", "2026-09-30")),
    ("2026-09-29 12:00", ("2026-08-01", "2026-08-31"), ("2026-04-01", "2026-06-30")),
    ("2026-01-15 00:00", ("2025-12-01", "2025-12-31"), ("2025-10-01", "2025-12-31")),
])
def test_last_complete_period(as_of: str, month: tuple[str, str],
                              quarter: tuple[str, str]) -> None:
    ts = pd.Timestamp(as_of, tz="UTC")
    for kind, (first, last) in (("month", month), ("quarter", quarter)):
        start, end = engine.last_complete_period(kind, ts)
        assert start == pd.Timestamp(first, tz="UTC")
        assert end == pd.Timestamp(last, tz="UTC") + pd.Timedelta(days=1, microseconds=-1)


def test_since_last_month_is_that_month_from_the_data_not_the_clock() -> None:
    doc = run_json("diagnose", *GOOD, "--since", "last-month")
    # the data ends 2026-03-31 18:00: March is the last month it covers
    assert doc["window"]["start"] == "2026-03-01T00:00:00+00:00"
    assert doc["window"]["end"] == "2026-03-31T23:59:59.999999+00:00"
    assert "counted back from the data's as-of day 2026-03-31" in \
        doc["window"]["how_chosen"]


def test_until_last_quarter_ends_the_default_window_there() -> None:
    doc = run_json("diagnose", *GOOD, "--until", "last-quarter")
    assert doc["window"]["end"] == "2026-03-31T23:59:59.999999+00:00"
    assert doc["window"]["weeks"] == pytest.approx(13, abs=0.01)


def test_since_date_with_until_keyword() -> None:
    doc = run_json("diagnose", *GOOD, "--since", "2026-02-01", "--until", "last-month")
    assert doc["window"]["start"].startswith("2026-02-01")
    assert doc["window"]["end"] == "2026-03-31T23:59:59.999999+00:00"


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_keyword_is_exit_2(option: str) -> None:
    code, _, err = run("diagnose", *GOOD, option, "last-week")
    assert code == 2
    assert "last-week" in err and "last-month" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# ---- periods: --period ---------------------------------------------------------------------

def test_period_month_diagnoses_each_month() -> None:
    doc = run_json("diagnose", *GOOD, "--period", "month")
    periods = doc["periods"]
    labels = [p["label"] for p in periods]
    assert labels == sorted(labels) and len(set(labels)) == len(labels)
    assert labels[-1] == "2026-03"
    for p in periods:
        assert re.fullmatch(r"\d{4}-\d{2}", p["label"])
        assert p["start"][:7] == p["label"] and p["end"][:7] == p["label"]
        assert p["score"] == len(p["triggered"])
        assert set(p["triggered"]) <= set(config.SIGN_IDS)
        # a band is stated only when the unknown signs cannot move it
        low, high = engine.band_for(p["score"]), engine.band_for(p["score"] + p["unknown"])
        assert p["band_range"] == [low, high]
        assert p["band"] == (low if low == high and not p["partial"] else "undetermined")
    # the data starts on 2026-02-01 09:00 and its as-of is 2026-03-31 18:00: both months
    # are covered whole days from the first to the last
    assert labels == ["2026-02", "2026-03"]
    assert periods[0]["start"] == "2026-02-01T00:00:00+00:00"
    assert periods[0]["end"] == "2026-02-28T23:59:59.999999+00:00"
    assert periods[1]["start"] == "2026-03-01T00:00:00+00:00"
    assert periods[1]["end"] == "2026-03-31T23:59:59.999999+00:00"
    assert [p["partial"] for p in periods] == [False, False]
    jsonschema.validate(doc, schema.shipped())


def test_a_period_is_the_same_diagnosis_as_that_window() -> None:
    period = run_json("diagnose", *GOOD, "--period", "month", "--since", "last-month")
    assert [p["label"] for p in period["periods"]] == ["2026-03"]
    alone = run_json("diagnose", *GOOD, "--since", "2026-03-01",
                     "--until", "2026-03-31T18:00:00")
    p = period["periods"][0]
    assert (p["score"], p["unknown"]) == (alone["score"], alone["unknown"])
    assert p["triggered"] == [s["id"] for s in alone["signs"] if s["status"] == "triggered"]


def test_period_quarter_labels() -> None:
    doc = run_json("diagnose", *GOOD, "--period", "quarter")
    assert doc["periods"][-1]["label"] == "2026-Q1"


def test_bad_period_is_exit_2() -> None:
    code, _, err = run("diagnose", *GOOD, "--period", "week")
    assert code == 2 and "--period 'week'" in err and "month" in err


def test_periods_absent_from_plain_json() -> None:
    doc = run_json("diagnose", *GOOD)
    assert "periods" not in doc and "comparison" not in doc


@pytest.mark.parametrize(("fmt", "marker"), [
    ("terminal", "Score by month"), ("markdown", "## Score by month"),
    ("html", 'id="periods"'),
])
def test_periods_rendered(fmt: str, marker: str) -> None:
    code, out, err = run("diagnose", *GOOD, "--period", "month", "--format", fmt)
    assert code == 0, err
    assert marker in out and "2026-03" in out
    if fmt == "terminal":
        assert max(len(line) for line in out.splitlines()) <= 100


# ---- baseline, compare and the CI gates ------------------------------------------------------

def test_fail_on_increase_when_a_sign_newly_triggers(demo_reports: dict[str, Path]) -> None:
    code, out, err = run("diagnose", DEMO, "--config", demo_reports["flip_config"],
                         "--baseline", demo_reports["base"], "--fail-on-increase",
                         "--format", "json")
    assert code == 1, err
    assert "newly triggered: onboarding" in err
    comparison = json.loads(out)["comparison"]
    # the score did not rise: the sign alone fails the gate
    assert comparison["score"]["delta"] == 0
    assert comparison["appeared"] == ["onboarding"] and comparison["cleared"] == ["trust"]
    assert comparison["increased"] is True


def test_fail_on_increase_passes_when_nothing_got_worse(demo_reports: dict[str, Path]) -> None:
    code, out, err = run("diagnose", DEMO, "--baseline", demo_reports["plain"],
                         "--fail-on-increase", "--format", "markdown")
    assert code == 0, err
    assert "## Since the baseline" in out and "--fail-on-increase would pass" in out


def test_fail_on_increase_needs_a_baseline() -> None:
    code, _, err = run("diagnose", *GOOD, "--fail-on-increase")
    assert code == 2 and "--baseline" in err


def test_fail_on_and_fail_on_increase_together(demo_reports: dict[str, Path]) -> None:
    code, _, err = run("diagnose", DEMO, "--baseline", demo_reports["plain"],
                       "--fail-on-increase", "--fail-on", "0", "--quiet")
    assert code == 1 and "reached --fail-on 0" in err and "--fail-on-increase" not in err
    code, _, err = run("diagnose", DEMO, "--config", demo_reports["flip_config"],
                       "--baseline", demo_reports["base"], "--fail-on-increase",
                       "--fail-on", "7", "--quiet")
    assert code == 1 and "--fail-on-increase" in err and "reached" not in err


@pytest.mark.parametrize(("content", "message"), [
    ({"schema_version": 2, "score": 0}, "schema version 2"),
    ({"score": 0}, "no schema_version"),
    ({"schema_version": 1, "score": "x"}, "not a valid itsm-diag report"),
    ("not json", "not JSON"),
])
def test_bad_baseline_is_exit_2(tmp_path: Path, content: object, message: str) -> None:
    old = tmp_path / "old.json"
    old.write_text(content if isinstance(content, str) else json.dumps(content))
    for args in (["diagnose", *GOOD, "--baseline", str(old)],
                 ["compare", str(old), str(old)]):
        code, _, err = run(*args)
        assert code == 2, (args, err)
        assert message in err and str(old) in err and "Traceback" not in err


def test_missing_baseline_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("diagnose", *GOOD, "--baseline", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in err


def test_compare_terminal(demo_reports: dict[str, Path]) -> None:
    code, out, err = run("compare", demo_reports["base"], demo_reports["flip"])
    assert code == 0, err
    assert "Newly triggered: onboarding" in out and "Cleared: trust" in out
    assert re.search(r"Score (\d) → \1 \(\+0\)", out) and "SLA adherence" in out
    assert "Agent hours a month at stake" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_compare_markdown(demo_reports: dict[str, Path]) -> None:
    code, out, err = run("compare", demo_reports["base"], demo_reports["flip"],
                         "--format", "markdown")
    assert code == 0, err
    assert re.match(r"# itsm-diag: as of \d{4}-\d\d-\d\d against the baseline\n", out)
    assert "- Newly triggered: onboarding" in out and "- Cleared: trust" in out
    assert "| KPI | Baseline | Now | Change | Direction |" in out
    # BASE and FLIP move onboarding's threshold: the change says so
    assert "| 6 | New starters still wait for access on day two | clear → triggered | " \
           "newly triggered, under a changed threshold |" in out


def test_compare_json_and_gate(demo_reports: dict[str, Path], tmp_path: Path) -> None:
    out_file = tmp_path / "cmp.json"
    code, _, err = run("compare", demo_reports["base"], demo_reports["flip"], "--format",
                       "json", "--output", out_file, "--fail-on-increase")
    assert code == 1 and "newly triggered: onboarding" in err
    doc = json.loads(out_file.read_text())
    assert doc["appeared"] == ["onboarding"] and doc["cleared"] == ["trust"]
    assert [s["id"] for s in doc["signs"]] == list(config.SIGN_IDS)
    assert {k["name"] for k in doc["kpis"]} >= {"ttr_median", "sla_adherence", "open_backlog"}
    assert doc["hours_at_stake"]["delta"] == pytest.approx(
        doc["hours_at_stake"]["new"] - doc["hours_at_stake"]["old"], abs=0.01)
    # the other way round the flipped report is the baseline: trust newly triggers
    code, _, err = run("compare", demo_reports["flip"], demo_reports["base"],
                       "--fail-on-increase")
    assert code == 1 and "newly triggered: trust" in err


def test_compare_unsupported_format_is_exit_2(demo_reports: dict[str, Path]) -> None:
    code, _, _ = run("compare", demo_reports["base"], demo_reports["flip"], "--format", "html")
    assert code == 2


@pytest.mark.parametrize(("fmt", "marker"), [
    ("terminal", "Since the baseline"), ("html", 'id="comparison"'),
])
def test_baseline_section_rendered(demo_reports: dict[str, Path], fmt: str,
                                   marker: str) -> None:
    code, out, err = run("diagnose", DEMO, "--config", demo_reports["flip_config"],
                         "--baseline", demo_reports["base"], "--format", fmt)
    assert code == 0, err
    assert marker in out and "onboarding" in out


def test_report_with_periods_and_comparison_matches_schema(
        demo_reports: dict[str, Path]) -> None:
    doc = run_json("diagnose", DEMO, "--period", "month", "--baseline", demo_reports["plain"])
    jsonschema.validate(doc, schema.shipped())
    assert doc["schema_version"] == 1
    labels = [p["label"] for p in doc["periods"]]
    # a year of demo data: consecutive months up to the as-of month
    assert len(labels) >= 6 and labels[-1] == doc["as_of"][:7]
    months = [pd.Period(label, "M") for label in labels]
    assert all(b.ordinal - a.ordinal == 1 for a, b in itertools.pairwise(months))
    # a report that carries a comparison still loads as a baseline
    assert Report.model_validate(doc).comparison is not None


def test_same_input_same_bytes(tmp_path: Path) -> None:
    """CI diffs and caches rely on it: no wall clock, no dict-order or float noise."""
    base = tmp_path / "base.json"
    assert run("diagnose", *GOOD, "--format", "json", "--output", base)[0] == 0
    outputs = []
    for n in range(2):
        out = tmp_path / f"run{n}.json"
        code, _, err = run("diagnose", *GOOD, "--period", "month", "--since", "last-quarter",
                           "--baseline", base, "--format", "json", "--output", out)
        assert code == 0, err
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    again = tmp_path / "again.json"
    assert run("diagnose", *GOOD, "--format", "json", "--output", again)[0] == 0
    assert again.read_bytes() == base.read_bytes()


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("clear", "triggered", "appeared"), ("unknown", "triggered", "appeared"),
    (None, "triggered", "appeared"), ("triggered", "clear", "cleared"),
    ("triggered", "unknown", "now_unknown"), ("clear", "unknown", "now_unknown"),
    ("unknown", "clear", "now_measured"), ("triggered", "triggered", "unchanged"),
    ("clear", "clear", "unchanged"), ("unknown", "unknown", "unchanged"),
])
def test_sign_change_kinds(old: Any, new: Any, kind: str) -> None:
    assert sign_change(old, new) == kind


WORDING = config.load_rules().defaults.wording


def test_compare_is_pure_and_symmetric_in_its_counts(demo_reports: dict[str, Path]) -> None:
    a = Report.model_validate_json(demo_reports["base"].read_text())
    b = Report.model_validate_json(demo_reports["flip"].read_text())
    forward, back = compare(a, b, WORDING), compare(b, a, WORDING)
    assert forward.appeared == back.cleared == ["onboarding"]
    assert forward.cleared == back.appeared == ["trust"]
    assert compare(a, a, WORDING).increased is False and not compare(a, a, WORDING).appeared
    assert compare(a, b, WORDING) == forward  # no hidden state


def test_compare_words_its_rows_and_notes_from_the_rules(demo_reports: dict[str, Path]
                                                         ) -> None:
    a = Report.model_validate_json(demo_reports["base"].read_text())
    later = a.model_copy(update={"as_of": "2099-01-01T00:00:00+00:00"})
    wording = {**WORDING, **{k: f"<{k}>" for k in WORDING if k.startswith("compare.")},
               "compare_note.order": "order {old} before {new}"}
    got = compare(later, a, wording)
    assert got.score.label == "<compare.score>"
    assert got.hours_at_stake.label == "<compare.hours_at_stake>"
    assert [d.label for d in got.kpis] == [f"<compare.{d.name}>" for d in got.kpis]
    assert got.notes == [f"order 2099-01-01 before {a.as_of[:10]}"]


# ---- configuration files ---------------------------------------------------------------------

TOML = """\
[defaults]
window_weeks = 26
hourly_rate = 60

[signs.backlog.thresholds]
min_shrink = 0.10
"""


def test_itsm_diag_toml_found_in_working_directory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "itsm-diag.toml").write_text(TOML)
    monkeypatch.chdir(tmp_path)
    doc = run_json("diagnose", *GOOD)
    assert doc["window"]["weeks"] == 26
    assert doc["assumptions"]["overrides"] == {
        "defaults.window_weeks": "itsm-diag.toml", "defaults.hourly_rate": "itsm-diag.toml",
        "signs.backlog.thresholds.min_shrink": "itsm-diag.toml"}


def test_pyproject_table_found_in_working_directory(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    body = TOML.replace("[defaults]", "[tool.itsm-diag.defaults]").replace(
        "[signs.", "[tool.itsm-diag.signs.")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ops"\n\n' + body)
    monkeypatch.chdir(tmp_path)
    doc = run_json("diagnose", *GOOD)
    assert doc["window"]["weeks"] == 26
    assert doc["assumptions"]["overrides"]["defaults.hourly_rate"] == \
        "pyproject.toml [tool.itsm-diag]"


def test_pyproject_without_table_is_ignored(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ops"\n')
    monkeypatch.chdir(tmp_path)
    assert run_json("diagnose", *GOOD)["assumptions"]["overrides"] == {}


def test_broken_pyproject_without_our_table_is_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'x'\n")
    monkeypatch.chdir(tmp_path)
    assert run_json("diagnose", *GOOD)["assumptions"]["overrides"] == {}
    (tmp_path / "pyproject.toml").write_text("[tool.itsm-diag.defaults\nwindow_weeks = 2\n")
    code, _, err = run("diagnose", *GOOD)
    assert code == 2 and "pyproject.toml" in err and "not valid TOML" in err


def test_itsm_diag_toml_wins_and_config_option_wins_over_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "itsm-diag.toml").write_text("[defaults]\nwindow_weeks = 20\n")
    (tmp_path / "pyproject.toml").write_text("[tool.itsm-diag.defaults]\nwindow_weeks = 30\n")
    other = tmp_path / "other.yaml"
    other.write_text("defaults: {window_weeks: 8}\n")
    monkeypatch.chdir(tmp_path)
    assert run_json("diagnose", *GOOD)["window"]["weeks"] == 20
    doc = run_json("diagnose", *GOOD, "--config", str(other))
    assert doc["window"]["weeks"] == 8
    assert doc["assumptions"]["overrides"] == {"defaults.window_weeks": str(other)}


def test_config_option_reads_toml(tmp_path: Path) -> None:
    path = tmp_path / "tuned.toml"
    path.write_text(TOML)
    doc = run_json("diagnose", *GOOD, "--config", str(path))
    assert doc["assumptions"]["overrides"]["defaults.window_weeks"] == str(path)


@pytest.mark.parametrize(("text", "message"), [
    ("[defaults]\nwindow_wekks = 26\n", "unknown key 'defaults.window_wekks'"),
    ("[defaults]\nwindow_weeks = 'many'\n", "window_weeks"),
    ("[defaults\n", "not valid TOML"),
])
def test_bad_toml_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                            message: str) -> None:
    (tmp_path / "itsm-diag.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    code, _, err = run("diagnose", *GOOD)
    assert code == 2 and message in err and "itsm-diag.toml" in err


def test_config_command_names_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "itsm-diag.toml").write_text(TOML)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("config")
    assert code == 0, err
    assert "# config file: itsm-diag.toml (found in the working directory)" in out
    assert "  window_weeks: 26  # itsm-diag.toml" in out
    assert "  tail_weeks: 2  # shipped default" in out
    assert "      min_shrink: 0.1  # itsm-diag.toml" in out
    assert "      material: 0.5  # shipped default" in out
    # the text is YAML a --config accepts, and gives back the same configuration
    rules = config.apply_overrides(config.load_rules(), yaml.safe_load(out), "roundtrip")
    assert rules.defaults.window_weeks == 26
    assert rules.signs["backlog"].thresholds.conditions["min_shrink"].value == 0.1


def test_config_command_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["config_file"] is None
    assert {v["source"] for v in doc["settings"].values()} == {"shipped default"}
    path = tmp_path / "x.yaml"
    path.write_text("checks: {routing: {thresholds: {bounces: 0.05}}}\n")
    code, out, _ = run("config", "--json", "--config", str(path))
    doc = json.loads(out)
    assert doc["found_by"] == "--config"
    assert doc["settings"]["checks.routing.thresholds.bounces"] == {
        "value": 0.05, "source": str(path), "shipped": 0.1, "valid": "above 0 up to 1"}
    assert doc["settings"]["defaults.window_weeks"]["source"] == "shipped default"


def test_config_command_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config")
    assert code == 0 and "none (shipped defaults only)" in out
    assert "# itsm-diag.toml" not in out


# ---- the CI examples ----------------------------------------------------------------------

def _commands(script: str) -> list[str]:
    """The ``itsm-diag`` command lines of a shell script (continuations joined)."""
    lines = script.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("itsm-diag ")]


def _github_scripts() -> list[str]:
    doc = yaml.safe_load((EXAMPLES / "github-actions" / "itsm-health.yml").read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    runs = [s["run"] for s in steps if "run" in s]
    assert any('>> "$GITHUB_STEP_SUMMARY"' in r for r in runs)
    assert any("gh run download" in r for r in runs)
    return runs


def _gitlab_scripts() -> list[str]:
    doc = yaml.safe_load((EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml").read_text())
    job = doc["itsm-health"]
    assert job["artifacts"]["when"] == "always"
    assert "itsm-health.json" in job["artifacts"]["paths"]
    assert any("jobs/artifacts" in line for line in job["before_script"])
    return [*job["before_script"], *job["script"]]


@pytest.mark.parametrize("scripts", [_github_scripts, _gitlab_scripts],
                         ids=["github-actions", "gitlab-ci"])
def test_ci_example_commands_are_valid(scripts: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       demo_reports: dict[str, Path]) -> None:
    """Every ``itsm-diag`` line of the example, run in order on the demo sample with last
    month's report in place: all succeed (the demo is 'slowing', under --fail-on crisis,
    and no worse than the baseline)."""
    commands = [c for script in scripts() for c in _commands(script)]
    joined = " ".join(commands)
    for needed in ("--fail-on ", "--fail-on-increase", "--format markdown", "--format json",
                   "itsm-diag compare baseline/itsm-health.json itsm-health.json",
                   "--until last-month", "--period month"):
        assert needed in joined, needed
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "itsm-health.json").write_bytes(
        demo_reports["plain"].read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ITSM_EXPORT", DEMO)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    for command in commands:
        words = shlex.split(os.path.expandvars(command))
        # the shell's redirections and pipes are not the tool's arguments
        for i, word in enumerate(words):
            if word in (">", ">>", "|", "||", "&&", ";"):
                words = words[:i]
                break
        assert words[0] == "itsm-diag"
        code, _, err = run(*words[1:])
        assert code == 0, f"{command}: exit {code}: {err}"
    assert (tmp_path / "itsm-health.json").is_file()
    assert (tmp_path / "itsm-health.md").read_text().startswith("# itsm-diag")
    report = json.loads((tmp_path / "itsm-health.json").read_text())
    # --until last-month: the window ends at the last second of a calendar month
    end = pd.Timestamp(report["window"]["end"])
    assert (end + pd.Timedelta(seconds=1)).day == 1 and report["periods"]


def test_readme_use_in_ci_matches_the_examples(tmp_path: Path) -> None:
    """The README's copy-paste commands are the GitHub example's, and its TOML applies."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use in CI", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block
    example = "\n".join(_github_scripts())
    for command in _commands(block.group(1)):
        assert command in example, command
    toml = re.search(r"```toml\n(.*?)```", section, flags=re.S)
    assert toml
    path = tmp_path / "itsm-diag.toml"
    path.write_text(toml.group(1))
    rules = config.apply_overrides(config.load_rules(), config.load_config_file(path), "x")
    assert rules.defaults.window_weeks == 26 and rules.defaults.hourly_rate == 55
