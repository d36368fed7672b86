"""The README stays true: its config example applies, its two set-up commands stand first."""

from __future__ import annotations

import re
from pathlib import Path

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
        assert load_mapping(path) is not None


def test_every_sample_command_names_an_existing_folder() -> None:
    section = README.split("### Try the samples", 1)[1].split("\n### ", 1)[0]
    folders = re.findall(r"itsm-diag diagnose (\S+)", section)
    assert len(folders) >= 7
    root = Path(__file__).resolve().parents[1]
    for folder in folders:
        assert (root / folder).is_dir(), folder
