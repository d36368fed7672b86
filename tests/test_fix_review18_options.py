"""Review 18, defects 3 and 6: ``RunOptions.answers`` is checked as an answers file is
(``{'strategy': 'no'}`` triggered the sign, score 2 -> 3; None and 0 counted as "does
not apply"; a misspelled sign was ignored), in one place for both; and every path
option takes a ``str`` (``config_file="x.yaml"`` raised an untyped AttributeError)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from itsm_diag import api
from itsm_diag.errors import ConfigError, UsageError
from itsm_diag.render.json import render

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _strategy(answers: dict) -> tuple[str, int, bool]:
    report = api.diagnose_paths([SAMPLES / "jira"], api.RunOptions(answers=answers))
    sign = next(s for s in report.signs if s.id == "strategy")
    return sign.status, report.score, sign.self_assessed


def test_a_true_answer_still_fills_an_unknown_sign() -> None:
    assert _strategy({}) == ("unknown", 2, False)
    assert _strategy({"strategy": True}) == ("triggered", 3, True)
    assert _strategy({"strategy": False}) == ("clear", 2, True)


@pytest.mark.parametrize("value", ["no", "yes", None, 0, 1, "false"])
def test_an_answer_that_is_not_true_or_false_is_refused(value: object) -> None:
    # before: 'no' triggered strategy (score 2 -> 3), None and 0 cleared it
    with pytest.raises(ConfigError) as caught:
        api.RunOptions(answers={"strategy": value})  # type: ignore[dict-item]
    assert "strategy: answer true (applies) or false (does not apply)" in str(caught.value)
    assert "RunOptions.answers maps a sign id to True" in str(caught.value)


@pytest.mark.parametrize("sign", ["Strategy", "nosuchsign", "strategie"])
def test_a_sign_that_does_not_exist_is_refused(sign: str) -> None:
    # before: ignored, and the sign stayed unknown without a word
    with pytest.raises(ConfigError) as caught:
        api.RunOptions(answers={sign: True})
    assert f"RunOptions.answers names no sign '{sign}'" in str(caught.value)
    assert "valid signs: backlog, recurrence" in str(caught.value)


def test_answers_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"RunOptions\.answers holds a list"):
        api.RunOptions(answers=["strategy"])  # type: ignore[arg-type]


def test_the_answers_file_and_the_option_share_one_check(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("strategy: no\n", encoding="utf-8")  # YAML 1.1 'no' is False
    assert api.load_answers(path) == {"strategy": False}
    path.write_text("strategy: 'no'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as from_file:
        api.load_answers(path)
    with pytest.raises(ConfigError) as from_option:
        api.RunOptions(answers={"strategy": "no"})  # type: ignore[dict-item]
    assert from_file.value.message == from_option.value.message
    assert from_file.value.file is not None and from_option.value.file is None


def test_every_path_option_takes_a_str(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("defaults:\n  window_weeks: 8\n", encoding="utf-8")
    baseline = tmp_path / "old.json"
    demo = api.demo_dir()
    baseline.write_text(render(api.diagnose_paths([demo], api.RunOptions())),
                        encoding="utf-8")
    options = api.RunOptions(config_file=str(config), client_config=str(config),
                             baseline=str(baseline), answers_file=str(tmp_path / "a.yaml"),
                             mapping=[str(tmp_path / "m.yaml")],
                             shared_mappings=[str(tmp_path / "m.yaml")])
    assert options.config_file == config and options.baseline == baseline
    assert options.client_config == config
    assert options.mapping == (tmp_path / "m.yaml",)
    assert options.shared_mappings == (tmp_path / "m.yaml",)
    assert api.RunOptions(mapping=str(config)).mappings == (config,)
    # before: AttributeError: 'str' object has no attribute 'stat' (registry.py)
    report = api.diagnose_paths([str(demo)], api.RunOptions(
        config_file=str(config), baseline=str(baseline)))
    data = json.loads(render(report))
    assert data["window"]["weeks"] == 8.0  # the config was read (13 without it)
    assert data["comparison"] is not None  # and the baseline


@pytest.mark.parametrize("name", ["config_file", "baseline", "client_config", "mapping"])
def test_a_path_option_of_another_type_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError, match=rf"RunOptions\.{name} must be"):
        api.RunOptions(**{name: 42})
