"""``itsm-diag config`` lists a ``defaults`` mapping of numbers key by key (review 14b,
item 6): a config that set one shape test or one kind's handle minutes is the source of
that key alone, each key shows its range, and ``--json`` carries the ranges too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag.cli import app


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


@pytest.fixture
def nest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nest.yaml"
    path.write_text("defaults:\n  shape: {min_tickets: 40}\n  handle_minutes: {incident: 45}\n",
                    encoding="utf-8")
    return path


def test_a_nested_key_names_its_own_source_and_range(nest: Path) -> None:
    code, out = run("config", "--config", nest)
    assert code == 0
    lines = out.splitlines()
    set_line = next(x for x in lines if x.strip().startswith("min_tickets: 40"))
    assert f"# {nest}; shipped 50; valid: a whole number from 1 to 1,000,000" in set_line
    # the keys the file did not set are the shipped ones, with their ranges
    ratio = next(x for x in lines if x.strip().startswith("silent_ratio:"))
    assert "# shipped default; valid: from 0 to 1" in ratio
    incident = next(x for x in lines if x.strip().startswith("incident: 45"))
    assert f"# {nest}; shipped 30" in incident and "valid: from 0 to" in incident
    request = next(x for x in lines if x.strip().startswith("request:"))
    assert "# shipped default" in request
    assert not any(x.strip().startswith("shape: {") for x in lines)  # no whole-mapping line


def test_json_carries_sources_shipped_values_and_ranges(nest: Path) -> None:
    code, out = run("config", "--json", "--config", nest)
    settings = json.loads(out)["settings"]
    assert code == 0
    assert settings["defaults.shape.min_tickets"] == {
        "value": 40.0, "source": str(nest), "shipped": 50.0,
        "valid": "a whole number from 1 to 1,000,000"}
    assert settings["defaults.shape.silent_ratio"]["source"] == config.SHIPPED
    assert "shipped" not in settings["defaults.handle_minutes.request"]
    assert settings["defaults.handle_minutes.incident"]["shipped"] == 30.0
    assert settings["signs.backlog.thresholds.min_shrink"]["valid"] == "from 0 to 1"
    # every value with numbers in it says its range
    ranged = {k for k, v in settings.items() if "valid" in v}
    assert {"defaults.window_weeks", "defaults.shape.gap_min_weeks"} <= ranged


def test_the_listing_loads_back_as_a_config(nest: Path, tmp_path: Path) -> None:
    """What ``config`` prints is YAML ``--config`` loads, giving the same settings."""
    code, out = run("config", "--config", nest)
    again = tmp_path / "again.yaml"
    again.write_text(out, encoding="utf-8")
    code2, out2 = run("config", "--json", "--config", again)
    assert code == code2 == 0
    first = json.loads(run("config", "--json", "--config", nest)[1])["settings"]
    second = json.loads(out2)["settings"]
    assert {k: v["value"] for k, v in first.items()} == {k: v["value"] for k, v in second.items()}
