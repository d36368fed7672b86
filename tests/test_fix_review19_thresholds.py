"""Review 19b #4: a threshold at which a condition's comparison alone gives the verdict.

``reporting.min_missing: 0`` and ``ownership.unowned: 0`` made both "triggered, high
confidence" on a measured 0 (score 4 -> 5 on the demo); ``strategy.strategic: 0`` made
strategy unable to ever trigger. The ranges were closed [0, 1] (or [0, 5]) whatever the
condition's comparison. Now the range leaves out the end at which the comparison holds
for every export or for none, derived from the condition's operator and the metric's
bounds, and the refusal says so in one line (key, value, why, range), exit 2.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from itsm_diag import config
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError

runner = CliRunner()

#: (config, key, value, what the line says, range) of the reviewer's configs and their kin
REFUSED = [
    ("signs: {reporting: {thresholds: {min_missing: 0}}}",
     "signs.reporting.thresholds.min_missing", "0",
     "kpis_missing >= 0 holds for every export (kpis_missing is never below 0), so the "
     "sign would be triggered by the configuration, not the data", "above 0 up to 5"),
    ("checks: {ownership: {thresholds: {unowned: 0}}}",
     "checks.ownership.thresholds.unowned", "0",
     "unowned_share >= 0 holds for every export (unowned_share is from 0 to 1), so the "
     "check would be triggered by the configuration, not the data", "above 0 up to 1"),
    ("signs: {strategy: {thresholds: {strategic: 0}}}",
     "signs.strategy.thresholds.strategic", "0",
     "strategic_share < 0 holds for no export (strategic_share is from 0 to 1), so the "
     "sign could never trigger", "above 0 up to 1"),
    ("signs: {strategy: {thresholds: {operational: 1}}}",
     "signs.strategy.thresholds.operational", "1",
     "operational_share > 1 holds for no export (operational_share is from 0 to 1), so "
     "the sign could never trigger", "from 0 to below 1"),
    ("checks: {knowledge: {thresholds: {low_use: 0.0}}}",
     "checks.knowledge.thresholds.low_use", "0.0",
     "knowledge_share < 0 holds for no export", "above 0 up to 1"),
    ("signs: {recurrence: {thresholds: {min_uncovered: 0}}}",
     "signs.recurrence.thresholds.min_uncovered", "0",
     "uncovered_clusters >= 0 holds for every export", "above 0 up to 1,000,000,000"),
    ("checks: {channels: {thresholds: {fragmented: 0}}}",
     "checks.channels.thresholds.fragmented", "0",
     "fragmentation >= 0 holds for every export", "above 0 up to 1"),
]


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A small ServiceNow incident list (the refusal comes before it is read)."""
    path = tmp_path / "incident.csv"
    rows = ["number,opened_at,state,resolved_at,assigned_to"]
    rows += [f"INC{i:04d},2024-01-{1 + i % 28:02d} 09:00:00,Resolved,"
             f"2024-01-{1 + i % 28:02d} 15:00:00,Ann" for i in range(60)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "key", "value", "why", "valid"), REFUSED,
                         ids=[r[1] for r in REFUSED])
def test_a_threshold_that_decides_alone_is_one_line_exit_2(
        tmp_path: Path, desk: Path, text: str, key: str, value: str, why: str,
        valid: str) -> None:
    path = tmp_path / "r4.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    result = runner.invoke(app, ["diagnose", str(desk), "--config", str(path), "-q"])
    assert result.exit_code == 2, result.stdout
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert f"{path}: {key}: {value} is out of range: {why}" in err, err
    assert err.endswith(f"valid: {valid}."), err


def test_the_reviewers_config_is_refused_on_its_first_key() -> None:
    with pytest.raises(ConfigError) as caught:
        config.apply_overrides(config.load_rules(), {
            "signs": {"reporting": {"thresholds": {"min_missing": 0}},
                      "strategy": {"thresholds": {"strategic": 0}}},
            "checks": {"ownership": {"thresholds": {"unowned": 0}}}}, "r4.yaml")
    assert caught.value.one_line() == (
        "r4.yaml: signs.reporting.thresholds.min_missing: 0 is out of range: kpis_missing "
        ">= 0 holds for every export (kpis_missing is never below 0), so the sign would be "
        "triggered by the configuration, not the data. valid: above 0 up to 5.")


#: values just inside: each condition can still go either way on some export
ACCEPTED = [
    ("signs", "reporting", "min_missing", 1), ("signs", "reporting", "min_missing", 5),
    ("checks", "ownership", "unowned", 0.01), ("checks", "ownership", "unowned", 1),
    ("signs", "strategy", "strategic", 0.01), ("signs", "strategy", "strategic", 1),
    ("signs", "strategy", "operational", 0), ("signs", "strategy", "operational", 0.99),
    ("signs", "trust", "chasers", 1),
    # the backlog's shrink is negative when it grew: "< 0" is "it grew", a verdict
    ("signs", "backlog", "min_shrink", 0),
    # a gap of two shares runs from -1 to 1: ">= 0" is "the high priorities no better"
    ("checks", "sla-by-priority", "high_worse", 0),
    # a rate above 0: any change-caused incident
    ("signs", "changes", "rate", 0),
]


@pytest.mark.parametrize(("top", "rule", "name", "value"), ACCEPTED,
                         ids=[f"{r}.{n}={v}" for _, r, n, v in ACCEPTED])
def test_a_threshold_the_data_can_go_either_way_on_is_accepted(
        top: str, rule: str, name: str, value: float) -> None:
    rules = config.apply_overrides(config.load_rules(),
                                   {top: {rule: {"thresholds": {name: value}}}}, "c.yaml")
    table = rules.signs if top == "signs" else rules.checks
    assert table[rule].thresholds.conditions[name].value == value


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _measurable(unit: str, rule: str, metric: str) -> list[float]:
    """Values the metric can measure, written out here apart from the code: a share or
    an index from 0 to 1, a gap of two shares from -1 to 1, a count, rate or duration
    from 0 up, the backlog's shrink negative too (a growth)."""
    if (rule, metric) == ("backlog", "backlog_shrink"):
        return [-2.0, -0.5, 0.0, 0.05, 0.5, 1.0]
    return {"ratio": [0.0, 0.05, 0.5, 1.0], "index": [0.0, 0.05, 0.5, 1.0],
            "points": [-1.0, -0.05, 0.0, 0.05, 1.0]}.get(unit, [0.0, 0.5, 3.0, 1e6, 2e9])


def _conditions() -> list[tuple[str, str, str]]:
    rules = config.load_rules()
    return [(top, rule.id, name) for top, table in (("signs", rules.signs),
                                                    ("checks", rules.checks))
            for rule in table.values() for name in rule.thresholds.conditions]


@pytest.mark.parametrize(("top", "rule_id", "name"), _conditions(),
                         ids=[f"{r}.{n}" for _, r, n in _conditions()])
def test_every_threshold_at_an_end_is_refused_exactly_when_its_comparison_decides(
        top: str, rule_id: str, name: str) -> None:
    """Every condition of every rule file, at each end of its range: refused when its
    comparison holds for every measurable value or for none, accepted otherwise."""
    rules = config.load_rules()
    rule = (rules.signs if top == "signs" else rules.checks)[rule_id]
    cond = rule.thresholds.conditions[name]
    unit = rule.metrics[cond.metric].unit
    measured = _measurable(unit, rule_id, cond.metric)
    valid = config.threshold_range(top, rule, name)
    assert valid is not None and valid.lo is not None and valid.hi is not None
    for value in (valid.lo, valid.hi):
        held = {_OPS[cond.op](x, value) for x in measured}
        decides = len(held) == 1
        overrides: Any = {top: {rule_id: {"thresholds": {name: value}}}}
        if decides:
            with pytest.raises(ConfigError, match=r"holds for (every|no) export"):
                config.apply_overrides(config.load_rules(), overrides, "c.yaml")
        else:
            config.apply_overrides(config.load_rules(), overrides, "c.yaml")


def test_config_prints_each_thresholds_range_by_its_comparison() -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    out = result.stdout
    assert "      min_missing: 2  # shipped default; valid: above 0 up to 5\n" in out
    assert "      strategic: 0.1  # shipped default; valid: above 0 up to 1\n" in out
    assert "      operational: 0.7  # shipped default; valid: from 0 to below 1\n" in out
    assert "      min_shrink: 0.05  # shipped default; valid: from 0 to 1\n" in out
