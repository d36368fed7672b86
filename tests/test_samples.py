"""Every sample command the README shows runs and detects the right tool."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### Try the samples", 1)[1].split("\n### ", 1)[0]
COMMANDS = re.findall(r"^itsm-diag (diagnose .+)$", SECTION, flags=re.M)
EXPECTED_TOOL = {"servicenow": "servicenow", "jira": "jira", "zendesk": "zendesk",
                 "freshservice": "freshservice", "glpi": "glpi"}


@pytest.mark.parametrize("command", COMMANDS)
def test_sample_command(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = [*shlex.split(command), "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    tool = EXPECTED_TOOL[args[1].split("/")[1]]
    assert {i["tool"] for i in doc["inputs"]} == {tool}
    assert doc["tickets"]["total"] >= 300
    assert len(doc["signs"]) == 7
