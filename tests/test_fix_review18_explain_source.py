"""Review 18, item 5: ``explain`` named rules/defaults.yaml as the source of handle
minutes a config set. With ``[tool.itsm-diag.defaults.handle_minutes] incident = 45`` in
pyproject.toml, ``explain trust`` read "45 an incident, 20 a request (handle_minutes in
rules/defaults.yaml)" above "handle_minutes.incident: 45  # pyproject.toml
[tool.itsm-diag]; shipped 30". The cost descriptions now say the minutes in force; the
line under them names the source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app
from itsm_diag.rulefiles import rules_dir

runner = CliRunner()

#: the priced rules whose cost descriptions give handle minutes
WITH_MINUTES = {"trust": "45 an incident, 20 a request (handle_minutes in force)",
                "backlog": "45 an incident, 20 a request (handle_minutes in force)",
                "reopens": "task 20, other 20 minutes (handle_minutes in force)",
                "changes": "45 (handle_minutes.incident in force), + 30 (extra_minutes)",
                "recurrence": "45 minutes (handle_minutes.incident in force)"}


def _section(page: str) -> str:
    return page.split("\nHours at stake\n", 1)[1].split("\nFixes\n", 1)[0]


@pytest.mark.parametrize("rule_id", sorted(WITH_MINUTES))
def test_a_pyproject_s_handle_minutes_are_not_said_to_come_from_the_shipped_file(
        rule_id: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.itsm-diag.defaults.handle_minutes]\nincident = 45\n", encoding="utf-8")
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(app, ["explain", rule_id])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    section = " ".join(_section(result.output).split())
    assert "rules/defaults.yaml" not in section
    assert WITH_MINUTES[rule_id] in section
    # the line under it names the source
    assert "# pyproject.toml [tool.itsm-diag]; shipped 30" in section


def test_no_cost_description_names_a_file_for_a_value_a_config_can_set() -> None:
    for path in sorted(rules_dir().rglob("*.yaml")):
        if path.name == "defaults.yaml":
            continue
        text = path.read_text(encoding="utf-8")
        assert "in rules/defaults.yaml" not in " ".join(text.split()), path
