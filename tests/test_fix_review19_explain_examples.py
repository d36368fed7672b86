"""Review 19b, defect 3: ``explain SIGN --config`` printed an "Example" with the shipped
thresholds (and "13 weeks", "portal and phone") under "Values in force". An example
writes each threshold as ``{threshold_NAME:spec}`` (filled exactly, as the condition's
words are), the window as ``{window_weeks}`` and a param as ``{param_NAME}``."""

from __future__ import annotations

from pathlib import Path

import pytest

from itsm_diag import config, explain

# ---- 3: explain's examples -------------------------------------------------------------

EXAMPLES = """defaults: {window_weeks: 6}
signs:
  backlog: {thresholds: {min_shrink: 0.13}}
  trust: {thresholds: {chasers: 0.22, bypass: 0.65, duplicates: 0.085},
          params: {official_channels: [portal]}}
  changes: {thresholds: {rate: 28}}
  onboarding: {thresholds: {late: 0.09}}
  strategy: {thresholds: {operational: 0.5, strategic: 0.34}}
checks:
  reopens: {thresholds: {reopen_rate: 0.045}}
  sla-by-priority: {thresholds: {high_worse: 0.2955}}
  channels: {thresholds: {fragmented: 0.655}}
  routing: {thresholds: {many_reassignments: 0.125, bounces: 0.2}}
"""

#: each example's threshold clause under EXAMPLES (before: the shipped values)
SAID = {
    "backlog": ("over 6 weeks", "threshold: shrink by at least 13% (a backlog larger than "
                "0.5 weeks of arrivals)."),
    "trust": ("arrived outside portal,", "threshold: chasers at least 22%, or bypass at "
              "least 65%, or duplicates at least 8.5%."),
    "changes": ("threshold: more than 28 a quarter.",),
    "onboarding": ("threshold: at least 9% late.",),
    "strategy": ("threshold: operational above 50% and strategic below 34%.",),
    "reopens": ("threshold: 4.5%.",),
    "sla-by-priority": ("threshold: 29.55 points.",),
    "channels": ("threshold: 0.655.",),
    "routing": ("threshold: 12.5% reassigned, or 20% bounced.",),
}


def _example(page: str) -> str:
    return " ".join(page.split("\nExample\n", 1)[1].split("\n\n", 1)[0].split())


@pytest.mark.parametrize("rule_id", sorted(SAID))
def test_an_example_states_the_values_in_force(tmp_path: Path, rule_id: str) -> None:
    path = tmp_path / "r2.yaml"
    path.write_text(EXAMPLES, encoding="utf-8")
    example = _example(explain.explain_page(rule_id, path))
    for said in SAID[rule_id]:
        assert said in example, (said, example)
    # no placeholder left unfilled
    assert "{" not in example


def test_every_example_threshold_clause_follows_the_thresholds() -> None:
    # any rule whose example states a threshold writes it as a placeholder: moved to
    # unusual values, none of the shipped figures stays in that clause
    rules = config.load_rules()
    for top, found in (("signs", rules.signs), ("checks", rules.checks)):
        for rule in found.values():
            if "threshold" not in (rule.example or ""):
                continue
            moved = {name: round(c.value * 1.37 + 0.0013, 4)
                     for name, c in rule.thresholds.conditions.items()}
            page = explain.page(config.apply_overrides(
                config.load_rules(), {top: {rule.id: {"thresholds": moved}}},
                source="t.yaml").get(rule.id))
            clause = _example(page).split("threshold", 1)[1]
            shipped = explain.page(rule)
            assert clause != _example(shipped).split("threshold", 1)[1], rule.id
