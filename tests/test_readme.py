"""The README stays true: its config example applies, its two set-up commands stand first."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from itsm_diag import config

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_first_two_commands_install_demo_and_test() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert "pip install . && itsm-diag demo" in blocks[0]
    assert "pip install -e '.[test]' && pytest" in blocks[1]


def test_config_example_applies() -> None:
    section = README.split("## Configuration", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, flags=re.S)
    assert example
    rules = config.apply_overrides(config.load_rules(), yaml.safe_load(example.group(1)),
                                   source="README")
    assert rules.defaults.window_weeks == 26
    assert rules.defaults.handle_minutes["incident"] == 25
    assert rules.defaults.handle_minutes["request"] == 20  # a partial mapping merges


def test_mapping_examples_load(tmp_path: Path) -> None:
    from itsm_diag.importers.mapping import load_mapping

    section = README.split("### Any other tool: mapping files", 1)[1].split("\n### ", 1)[0]
    examples = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert len(examples) == 2
    for n, text in enumerate(examples):
        path = tmp_path / f"m{n}.yaml"
        path.write_text(text, encoding="utf-8")
        assert load_mapping(path).name in ("mytool", "bpi2014")
    # the first example, applied to a file with its headers, gives the documented values
    export = tmp_path / "mytool.csv"
    export.write_text(
        "Ticket No,Subject,Created,Solved,Closed,State,Urgency,Origin,Ticket type,"
        "Category,Team,Owner,Caller,SLA breached\n"
        "T-1,Printer jam,03.02.2026 09:15,03.02.2026 11:00,,Done,Major,Hotline,Fault,"
        "Hardware,Desk,Ana,Ben,Yes\n",
        encoding="utf-8")
    from itsm_diag import model as m
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    row = load_paths([export], ImportOptions(), mapping=tmp_path / "m0.yaml").tickets.iloc[0]
    assert (row[m.STATUS], row[m.PRIORITY], row[m.CHANNEL], row[m.KIND]) == (
        "resolved", 2, "phone", "incident")
    assert not row[m.SLA_MET]  # "breached: yes" means the SLA was missed
    assert row[m.OPENED_AT] == pd.Timestamp("2026-02-03 08:15", tz="UTC")  # Europe/Berlin


def test_every_sample_command_names_an_existing_folder() -> None:
    section = README.split("### Try the samples", 1)[1].split("\n### ", 1)[0]
    folders = re.findall(r"itsm-diag diagnose (\S+)", section)
    assert len(folders) >= 7
    root = Path(__file__).resolve().parents[1]
    for folder in folders:
        assert (root / folder).is_dir(), folder


def test_library_example_runs(monkeypatch) -> None:
    """The library section's example runs as written (from the checkout's root, where
    its samples path is), and says what it shows: the repeated ticket kept once."""
    section = README.split("### Using it as a library", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert code
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    scope: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), scope)
    report = scope["report"]
    assert report.tickets.total == 2  # type: ignore[attr-defined]
    assert report.data_notes[0].startswith(  # type: ignore[attr-defined]
        "1 ticket ids appear in more than one input row")
    assert '"schema_version"' in str(scope["json_text"])
