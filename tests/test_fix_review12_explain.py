"""``explain SIGN`` says where the hours at stake come from (review 12, item 8): for every
priced sign and check, per cost basis, what is counted, the minutes each counts with the
values in force (a config's marked) and the fixes that address those hours; a rule with
no costs says it prices nothing. The words come from the rule file: a ``costs`` entry's
``description`` (validated: no other key, and no ``cost_descriptions`` of a file's own)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError
from itsm_diag.rulefiles import rules_dir

runner = CliRunner()

PRICED = ("backlog", "recurrence", "trust", "changes", "onboarding", "strategy", "routing",
          "reopens", "vague-tickets")


def _explain(*args: str) -> str:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _section(page: str) -> str:
    assert "\nHours at stake\n" in page, page
    return page.split("\nHours at stake\n", 1)[1].split("\nFixes\n", 1)[0]


def test_the_priced_rules_are_the_nine_of_the_review() -> None:
    rules = config.load_rules()
    priced = {r.id for r in [*rules.signs.values(), *rules.checks.values()] if r.costs}
    assert priced == set(PRICED)


@pytest.mark.parametrize("rule_id", PRICED)
def test_each_basis_says_what_it_counts_its_minutes_and_its_fixes(rule_id: str) -> None:
    rule = config.load_rules().get(rule_id)
    section = _section(_explain(rule_id))
    assert "30.44 days" in section
    for basis in rule.costs:
        # every shipped basis is described in its rule file, in words, with values
        assert rule.cost_descriptions.get(basis), (rule_id, basis)
        line = next(x for x in section.splitlines() if x.startswith(f"  {basis}: "))
        assert "{" not in line and "n/a" not in line, line
        assert re.search(r"\d", line), line  # a value in force, not a name alone
        fixes = [f.id for f in rule.fixes if basis in f.addresses]
        assert fixes, (rule_id, basis)
        assert f"Fixes that address these hours: {', '.join(fixes)}." in section


def test_the_minutes_are_the_ones_in_force(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("defaults:\n  handle_minutes:\n    incident: 45\n"
                   "signs:\n  changes:\n    params:\n      extra_minutes: 90\n"
                   "  trust:\n    params:\n      minutes_per_chaser: 15\n", encoding="utf-8")
    changes = _section(_explain("changes", "--config", str(cfg)))
    assert "45 (handle_minutes.incident in force), + 90 (extra_minutes)" in changes
    assert f"handle_minutes.incident: 45  # {cfg}; shipped 30" in changes
    assert f"extra_minutes: 90  # {cfg}; shipped 30" in changes
    trust = _section(_explain("trust", "--config", str(cfg)))
    assert "Each counts 15 agent minutes (minutes_per_chaser)" in trust
    recurrence = _section(_explain("recurrence", "--config", str(cfg)))
    assert "else 45 minutes (handle_minutes.incident in force)" in recurrence
    # the shipped page: the shipped minutes, nothing marked
    shipped = _section(_explain("changes"))
    assert "30 (handle_minutes.incident in force), + 30 (extra_minutes)" in shipped
    assert "#" not in shipped


@pytest.mark.parametrize("rule_id", ["reporting", "ownership", "channels", "knowledge",
                                     "sla-by-priority"])
def test_a_rule_without_costs_says_it_prices_nothing(rule_id: str) -> None:
    section = _section(_explain(rule_id))
    assert "prices nothing: it puts no agent hours at stake" in section


def _rules_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(rules_dir(), copy)
    return copy


def test_a_costs_entry_takes_only_a_template_and_a_description(tmp_path: Path) -> None:
    copy = _rules_copy(tmp_path)
    path = copy / "changes.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    description: >\n" in text
    # a key of its own is refused, not silently accepted
    path.write_text(text.replace("    description: >\n", "    units: minutes\n"
                                 "    description: >\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("unknown key 'costs.change_caused.units'")):
        config.load_rule_file(path)
    # a misspelt description leaves the description missing
    path.write_text(text.replace("    description: >\n", "    descripton: >\n", 1),
                    encoding="utf-8")
    missing = re.escape("costs.change_caused.description: Field required")
    with pytest.raises(ConfigError, match=missing):
        config.load_rule_file(path)


def test_a_rule_file_has_no_cost_descriptions_key_of_its_own(tmp_path: Path) -> None:
    copy = _rules_copy(tmp_path)
    path = copy / "checks" / "routing.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "cost_descriptions:\n  handoffs: anything\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cost_descriptions"):
        config.load_rule_file(path)


def test_a_plain_template_entry_still_loads_and_explain_quotes_it(tmp_path: Path) -> None:
    from itsm_diag.explain import page

    rule = config.load_rules().get("routing")
    bare = rule.model_copy(update={"cost_descriptions": {}})
    section = _section(page(bare))
    assert "does not describe this basis; its cost line reads:" in section
    assert "extra handoffs a month" in section
