"""Options and config files keep the contract README states: ``--since``/``--until`` take
the documented forms only, a config's keys and types are checked everywhere (closed
mappings, numbers, wording placeholders, vocabulary params), an answers file says it is
one, and the published JSON schema refuses what the tool refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
import yaml

from itsm_diag import api, config, model, report, schema
from itsm_diag.errors import ConfigError, UsageError
from test_cli import GOOD, run

# ---- --since / --until ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "31.08.2026",          # read as midnight: the last day dropped
    "2026/08/31",
    "02.03.2026",          # read month-first
    "2026-08",             # ended at 1 August 00:00
    "2026-08-31Z",         # a date with a zone: no documented form
    "2026-08-31+02:00",
    "20260831",
    "2026-8-31",
    "Aug 31 2026",
    "2026-02-30",
    "2026-08-31T25:00",
    "",
    "9999-12-31",          # past what a time zone can compute: outside, not a crash
    "0001-01-01",
])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_when_takes_only_the_documented_forms(text: str, option: str) -> None:
    with pytest.raises(UsageError) as caught:
        api.parse_when(text, option)
    line = caught.value.one_line()
    assert option in line and "YYYY-MM-DD" in line and "last-month" in line
    assert "\n" not in line


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_an_undocumented_date_is_one_line_and_exit_2(option: str) -> None:
    code, _, err = run("diagnose", *GOOD, option, "31.08.2026")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert option in err and "YYYY-MM-DD" in err and "Traceback" not in err
    assert "This is a bug" not in err


@pytest.mark.parametrize(("text", "option", "tz", "expected"), [
    ("2026-08-31", "--until", "UTC", "2026-08-31T23:59:59.999999+00:00"),
    ("2026-08-31", "--since", "UTC", "2026-08-31T00:00:00+00:00"),
    (" 2026-08-31 ", "--since", "UTC", "2026-08-31T00:00:00+00:00"),
    ("2026-08-31", "--until", "Europe/Berlin", "2026-08-31T21:59:59.999999+00:00"),
    ("2026-08-31T18:00:00Z", "--until", "UTC", "2026-08-31T18:00:00+00:00"),
    ("2026-08-31t18:00z", "--until", "UTC", "2026-08-31T18:00:00+00:00"),
    ("2026-08-31T18:00+02:00", "--since", "UTC", "2026-08-31T16:00:00+00:00"),
    ("2026-08-31 18:00:00", "--since", "Europe/Berlin", "2026-08-31T16:00:00+00:00"),
    # a report's own window.end, passed back
    ("2026-03-31T23:59:59.999999+00:00", "--until", "UTC", "2026-03-31T23:59:59.999999+00:00"),
    # the clock-change rules of the importers: a skipped hour moves on by the gap, a
    # repeated one is its first pass
    ("2026-03-29T02:30", "--until", "Europe/Berlin", "2026-03-29T01:30:00+00:00"),
    ("2026-10-25T02:30", "--until", "Europe/Berlin", "2026-10-25T00:30:00+00:00"),
    # a day whose midnight a clock change skips starts at 01:00
    ("2026-09-06", "--since", "America/Santiago", "2026-09-06T04:00:00+00:00"),
    ("2026-09-05", "--until", "America/Santiago", "2026-09-06T03:59:59.999999+00:00"),
])
def test_when_reads_the_documented_forms(text: str, option: str, tz: str,
                                         expected: str) -> None:
    got = api.parse_when(text, option, tz)
    assert got is not None and got == pd.Timestamp(expected)
    assert str(got.tz) == "UTC"


# a day whose midnight a clock change skips starts at 01:00, in every place a day is cut:
# America/Santiago skips 2026-09-06 00:00, America/Asuncion skipped 2023-10-01 00:00
#: 2026-09-06 01:00 -03 in UTC, and the last instant of 2026-09-06 (-03 from 01:00 on)
SKIPPED_DAY = "2026-09-06T04:00:00+00:00"
SKIPPED_DAY_END = "2026-09-07T02:59:59.999999+00:00"


@pytest.mark.parametrize(("bounds", "start", "end"), [
    (("--until", "2026-09-06"), None, SKIPPED_DAY_END),   # the window's last day
    (("--until", "2026-12-05"), SKIPPED_DAY, None),       # its first day, 91 days back
    (("--since", "2026-09-06", "--until", "2026-10-10"), SKIPPED_DAY, None),
    (("--since", "2026-08-01", "--until", "2026-09-06", "--period", "month"),
     None, SKIPPED_DAY_END),
])
def test_a_day_whose_midnight_is_skipped_starts_at_one(
        bounds: tuple[str, ...], start: str | None, end: str | None) -> None:
    # the demo's data covers 2026-07-02 to 2026-09-30: every window here holds some of it
    code, out, err = run("diagnose", str(api.demo_dir()), "--tz", "America/Santiago",
                         *bounds, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    window = doc["window"]
    if start:
        assert (window["start"], window["first_day"]) == (start, "2026-09-06")
    if end:
        assert (window["end"], window["last_day"]) == (end, "2026-09-06")
    if "--period" in bounds:
        september = doc["periods"][-1]
        assert september["label"] == "2026-09" and september["partial"]


def test_calendar_days_and_periods_through_a_skipped_midnight() -> None:
    from itsm_diag import engine
    inside = pd.Timestamp("2023-10-01T12:00:00+00:00")
    one_am = pd.Timestamp("2023-10-01T04:00:00+00:00")  # 01:00 -03 in America/Asuncion
    assert engine.day_start(inside, "America/Asuncion") == one_am
    assert engine.period_start(inside, "month", "America/Asuncion") == one_am
    september = engine.period_start(pd.Timestamp("2023-09-15", tz="UTC"), "month",
                                    "America/Asuncion")
    assert engine.period_end(september, "month", "America/Asuncion") == (
        one_am - engine.LAST_TICK)
    assert engine.day_end(pd.Timestamp("2023-09-30T12:00:00+00:00"), "America/Asuncion") == (
        one_am - engine.LAST_TICK)
    # a day the clocks go back is 25 hours long and starts at its one midnight
    berlin = pd.Timestamp("2026-10-25T12:00:00+00:00")
    assert engine.day_start(berlin, "Europe/Berlin") == pd.Timestamp("2026-10-24T22:00+00:00")
    assert engine.day_end(berlin, "Europe/Berlin") == pd.Timestamp(
        "2026-10-25T22:59:59.999999+00:00")


def test_until_a_date_includes_its_last_day() -> None:
    code, out, err = run("diagnose", *GOOD, "--format", "json", "--since", "2026-03-01",
                         "--until", "2026-03-31")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["window"]["last_day"] == "2026-03-31"
    assert doc["window"]["end"] == "2026-03-31T23:59:59.999999+00:00"


# ---- config files: closed mappings, types, wording, vocabularies -------------------------

def _apply(overrides: dict[str, Any]) -> config.Rules:
    return config.apply_overrides(config.load_rules(), overrides, "c.yaml")


def _refused(overrides: dict[str, Any], *words: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _apply(overrides)
    line = caught.value.one_line()
    assert "c.yaml" in line and "\n" not in line
    for word in words:
        assert word in line, line
    return line


@pytest.mark.parametrize(("key", "sub"), [
    ("handle_minutes", "incidnt"), ("shape", "min_tickts"), ("bands", "helthy"),
    ("wording", "band_undetermind"),
])
def test_a_misspelt_key_in_a_defaults_mapping_is_named(key: str, sub: str) -> None:
    line = _refused({"defaults": {key: {sub: 1 if key in ("handle_minutes", "shape") else "x"}}},
                    f"defaults.{key}.{sub}", "valid keys")
    assert "did you mean" in line


def test_handle_minutes_take_the_canonical_kinds() -> None:
    assert set(config.load_rules().defaults.handle_minutes) == set(model.KINDS)
    rules = _apply({"defaults": {"handle_minutes": {"incident": 25}}})
    assert rules.defaults.handle_minutes["incident"] == 25
    assert rules.defaults.handle_minutes["request"] == 20  # merged, not replaced
    _refused({"defaults": {"handle_minutes": {"ticket": 5}}}, "incident", "request")


@pytest.mark.parametrize(("key", "value"), [
    ("window_weeks", True), ("max_samples", True), ("hourly_rate", True),
    ("structural_weight", False), ("tail_weeks", "2"), ("window_weeks", 13.0),
    ("handle_minutes", {"incident": True}), ("shape", {"min_tickets": True}),
    ("kpi_targets", {"sla_adherence": True}),
])
def test_a_value_of_the_wrong_type_under_defaults_is_refused(key: str, value: Any) -> None:
    _refused({"defaults": {key: value}}, f"defaults.{key}")


def test_numbers_under_defaults_still_read() -> None:
    d = _apply({"defaults": {"window_weeks": 26, "hourly_rate": 55, "structural_weight": 1,
                             "holidays": ["2026-12-25"]}}).defaults
    assert (d.window_weeks, d.hourly_rate, d.structural_weight) == (26, 55.0, 1.0)


def test_a_true_window_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("defaults:\n  window_weeks: true\n")
    code, _, err = run("diagnose", *GOOD, "--config", str(path))
    assert code == 2 and "defaults.window_weeks" in err and "whole number" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("text", "words"), [
    ("{0} x", ["'{0}'", "{score}"]),
    ("x {", ["not a valid text template"]),
    ("{score.__class__.__mro__}", ["'{score.__class__.__mro__}'", "not one this text takes"]),
    ("{score[0]}", ["not one this text takes"]),
    ("{score!r:>99999999999}", ["!r"]),
    ("{score:>99999999999}", ["format spec"]),
    ("{score:{low}}", ["format spec"]),
    ("{}", ["not one this text takes"]),
    ("{nosuch} x", ["{nosuch}"]),
])
def test_wording_takes_only_its_own_plain_placeholders(text: str, words: list[str]) -> None:
    _refused({"defaults": {"wording": {"band_undetermined": text}}},
             "defaults.wording.band_undetermined", *words)


@pytest.mark.parametrize("text", [
    "{score} of {answered}; between {low} and {high} ({unknown} unknown)",
    "{score:>3} signs {{literally}}",
    "no placeholder at all",
])
def test_wording_with_the_shipped_placeholders_is_used(text: str) -> None:
    rules = _apply({"defaults": {"wording": {"band_undetermined": text}}})
    assert rules.defaults.wording["band_undetermined"] == text


@pytest.mark.parametrize("name", ["w0", "w1", "w2", "w3"])
def test_hostile_wording_is_exit_2_never_a_bug(tmp_path: Path, name: str) -> None:
    text = {"w0": "{0} x", "w1": "x {", "w2": "{score.__class__.__mro__}",
            "w3": "{score!r:>99999999999}"}[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"wording": {"band_undetermined": text}}}))
    code, out, err = run("diagnose", *GOOD, "--config", str(path), "-q")
    assert code == 2 and "defaults.wording.band_undetermined" in err
    assert "This is a bug" not in err and "memory" not in err and "mro" not in out
    assert len(err.strip().splitlines()) == 1


def test_a_client_config_may_use_a_placeholder_the_batch_config_left_out() -> None:
    first = _apply({"defaults": {"wording": {"band_undetermined": "{score} only"}}})
    again = config.apply_overrides(
        first, {"defaults": {"wording": {"band_undetermined": "{score} and {unknown}"}}},
        "client.yaml")
    assert again.defaults.wording["band_undetermined"] == "{score} and {unknown}"


@pytest.mark.parametrize(("top", "rule", "key", "value", "word"), [
    ("signs", "trust", "official_channels", ["portl"], "'portl'"),
    ("signs", "trust", "neutral_channels", ["monitoring", "Email"], "'Email'"),
    ("signs", "trust", "kinds", ["incident", "incidents"], "'incidents'"),
    ("checks", "channels", "kinds", ["incident", 1], "1"),
    ("checks", "routing", "kinds", ["ticket"], "'ticket'"),
    ("signs", "changes", "failed_outcomes", ["failed", "rollback"], "'rollback'"),
    ("signs", "strategy", "unmatched_bucket", "strategik", "'strategik'"),
    ("checks", "sla-by-priority", "high_priorities", [1, 6], "6"),
    ("analyses", "flow", "kinds", ["incident", "problme"], "'problme'"),
    ("analyses", "actions", "target_hours", {1: 4, 7: 3}, "7"),
])
def test_a_vocabulary_param_takes_only_canonical_values(top: str, rule: str, key: str,
                                                        value: Any, word: str) -> None:
    section = {"params": {key: value}}
    _refused({top: {rule: section}}, f"{top}.{rule}.params.{key}", word, "valid:")


def test_vocabulary_params_still_take_canonical_values() -> None:
    rules = _apply({
        "signs": {"trust": {"params": {"official_channels": ["portal"],
                                       "kinds": ["incident"]}},
                  "strategy": {"params": {"unmatched_bucket": "operational"}}},
        "checks": {"sla-by-priority": {"params": {"high_priorities": [1]}}},
        # TOML writes every key as text
        "analyses": {"actions": {"params": {"target_hours": {"1": 2, "2": 8}}}},
    })
    assert rules.signs["trust"].params["official_channels"] == ["portal"]
    assert rules.analyses["actions"].params["target_hours"] == {"1": 2, "2": 8}


def test_every_shipped_param_passes_the_checks_a_config_gets() -> None:
    """The shipped rule files' own vocabulary params (``kinds: [incident, request]``, the
    channels, outcomes, priorities) hold canonical values: set back through a config, each
    is accepted as it is."""
    rules = config.load_rules()
    again = _apply({
        "signs": {r.id: {"params": r.params} for r in rules.signs.values() if r.params},
        "checks": {r.id: {"params": r.params} for r in rules.checks.values() if r.params},
        "analyses": {a.id: {"params": a.params} for a in rules.analyses.values() if a.params},
    })
    assert {r.id: r.params for r in again.all()} == {r.id: r.params for r in rules.all()}


def test_a_misspelt_channel_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("signs:\n  trust:\n    params: {official_channels: [portl]}\n")
    code, _, err = run("diagnose", *GOOD, "--config", str(path))
    assert code == 2 and "'portl'" in err and "portal" in err
    assert len(err.strip().splitlines()) == 1


# ---- answers files ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["- recurrence\n", "recurrence\n", "42\n"])
def test_a_malformed_answers_file_says_it_is_one(tmp_path: Path, text: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        api.load_answers(path)
    line = caught.value.one_line()
    assert "answers file" in line and "sign: true/false" in line
    assert "config file" not in line


def test_a_malformed_answers_file_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("- recurrence\n")
    for args in (("diagnose", *GOOD), ("quiz", "--no-input")):
        code, _, err = run(*args, "--answers", str(path))
        assert code == 2 and "answers file" in err and "sign: true/false" in err
        assert len(err.strip().splitlines()) == 1


def test_answers_file_values_and_signs_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("recurrence: true\nbacklog: false\n")
    assert api.load_answers(path) == {"recurrence": True, "backlog": False}
    path.write_text("recurence: true\n")
    with pytest.raises(ConfigError, match="valid signs"):
        api.load_answers(path)
    path.write_text("recurrence: maybe\n")
    with pytest.raises(ConfigError, match="sign: true/false"):
        api.load_answers(path)
    path.write_text("")
    assert api.load_answers(path) == {}


# ---- the published JSON schema ------------------------------------------------------------

@pytest.fixture(scope="module")
def real_report() -> dict[str, Any]:
    code, out, err = run("diagnose", *GOOD, "--format", "json", "--period", "month")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    jsonschema.validate(doc, schema.shipped())
    return doc


def _invalid(doc: dict[str, Any]) -> bool:
    try:
        jsonschema.validate(doc, schema.shipped())
    except jsonschema.ValidationError:
        return True
    return False


def test_the_schema_requires_schema_version_1(real_report: dict[str, Any]) -> None:
    doc = dict(real_report)
    del doc["schema_version"]
    assert _invalid(doc)
    assert _invalid({**real_report, "schema_version": 2})


def test_the_schema_requires_every_field_the_json_always_writes(
        real_report: dict[str, Any]) -> None:
    period = dict(real_report["periods"][0])
    del period["partial"]
    assert _invalid({**real_report, "periods": [period]})
    doc = dict(real_report)
    del doc["redacted"]
    assert _invalid(doc)
    # the sections written only when asked for stay optional
    plain = {k: v for k, v in real_report.items() if k not in report.OMITTED_WHEN_NONE}
    assert not _invalid(plain)


def test_the_json_renderer_omits_only_what_the_schema_lets_it() -> None:
    from itsm_diag.render import json as render_json

    assert set(render_json._OMIT_WHEN_NONE) == set(report.OMITTED_WHEN_NONE)


def test_band_range_has_two_items(real_report: dict[str, Any]) -> None:
    low = real_report["band_range"][0]
    assert _invalid({**real_report, "band_range": [low]})
    assert _invalid({**real_report, "band_range": [low, low, low]})
    period = {**real_report["periods"][0], "band_range": []}
    assert _invalid({**real_report, "periods": [period]})


def test_the_schema_words_a_ratio_as_a_fraction_that_may_leave_0_to_1() -> None:
    text = json.dumps(schema.shipped())
    assert "a share between 0 and 1)" not in text
    assert "negative" in text


def test_the_shipped_schema_is_the_model_s() -> None:
    assert schema.shipped() == json.loads(schema.text())
