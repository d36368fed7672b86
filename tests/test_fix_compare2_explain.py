"""``explain SIGN`` states the thresholds in force: the config diagnose reads (``--config``,
else ./itsm-diag.toml or pyproject.toml's [tool.itsm-diag]) applied, each overridden value
marked with its source and the shipped value, as ``itsm-diag config`` marks it (review 2,
item 7: with ``min_shrink = 0.10`` in ./itsm-diag.toml, explain said "< 0.05").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app

runner = CliRunner()
TOML = "[signs.backlog.thresholds]\nmin_shrink = 0.10\n"
LINE = "min_shrink: backlog_shrink < "


def _explain(*args: str) -> str:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _threshold_line(page: str) -> str:
    return next(line for line in page.splitlines() if LINE in line)


def test_the_working_directorys_config_is_in_force(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("itsm-diag.toml").write_text(TOML, encoding="utf-8")
    page = _explain("backlog")
    line = _threshold_line(page)
    assert f"{LINE}0.1 " in line and "less than 10%" in line
    assert line.endswith("# itsm-diag.toml; shipped 0.05")
    assert "itsm-diag.toml (found in the working directory)" in page.splitlines()[1]
    # the unchanged threshold carries no mark
    material = next(x for x in page.splitlines() if x.lstrip().startswith("material:"))
    assert "#" not in material


def test_config_option_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("itsm-diag.toml").write_text(TOML, encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text("signs:\n  backlog:\n    thresholds: {min_shrink: 0.2}\n",
                     encoding="utf-8")
    page = _explain("backlog", "--config", str(other))
    assert _threshold_line(page).endswith(f"# {other}; shipped 0.05")
    assert "less than 20%" in _threshold_line(page)
    assert "(--config)" in page.splitlines()[1]


def test_without_a_config_the_shipped_values_unmarked(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = _explain("backlog")
    assert f"{LINE}0.05 " in _threshold_line(page) and "#" not in _threshold_line(page)
    assert "Values in force" not in page


def test_params_of_signs_and_analyses_are_marked(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("itsm-diag.toml").write_text(
        "[signs.backlog.params]\nmin_tickets = 40\n[analyses.forecast.params]\n"
        "interval = 0.9\n", encoding="utf-8")
    sign = _explain("backlog")
    assert "  min_tickets: 40  # itsm-diag.toml; shipped 30" in sign.splitlines()
    forecast = _explain("forecast")
    assert "  interval: 0.9  # itsm-diag.toml; shipped 0.8" in forecast.splitlines()


def test_a_broken_config_is_one_line_exit_2(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("itsm-diag.toml").write_text("[signs.backlog.thresholds]\nmin_shrink = 7\n",
                                      encoding="utf-8")
    result = runner.invoke(app, ["explain", "backlog"])
    assert result.exit_code == 2 and "min_shrink" in result.stderr
    assert "Traceback" not in result.stderr
