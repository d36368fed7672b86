"""Review 19b, defects 6a and 6b: words under a valid config.

6a. "changes caused more than 28 incident a quarter": the rate's threshold text kept the
    singular for any value; it writes ``incident(s)`` and the number decides.
6b. The silence and onboarding definitions said "the limit in business days", not the
    value in force (``silence_business_days``, ``max_business_days``).
"""

from __future__ import annotations

from typing import Any

import pytest

from itsm_diag import config, engine


def _rule(top: str, rule_id: str, part: str, values: dict[str, Any]) -> Any:
    rules = config.apply_overrides(config.load_rules(), {top: {rule_id: {part: values}}},
                                   source="t.yaml")
    return config.worded(rules.get(rule_id))


@pytest.mark.parametrize(("rate", "said"), [
    (28, "changes caused more than 28 incidents a quarter"),
    (1, "changes caused more than 1 incident a quarter"),
    (2.5, "changes caused more than 2.5 incidents a quarter"),
])
def test_the_change_rate_takes_its_number(rate: float, said: str) -> None:
    rule = _rule("signs", "changes", "thresholds", {"rate": rate})
    assert engine._condition_text(rule.thresholds.conditions["rate"]) == said


@pytest.mark.parametrize(("days", "said"), [(3, "3 business days"), (1, "1 business day")])
def test_definitions_say_the_business_days_in_force(days: int, said: str) -> None:
    trust = _rule("signs", "trust", "params", {"silence_business_days": days})
    assert trust.metrics["silent_open"].definition.endswith(
        f"with no update by a person for more than {said}.")
    assert f"is more than {said} old / tickets open then," in " ".join(
        trust.metrics["silent_share"].definition.split())
    onboarding = _rule("signs", "onboarding", "params", {"max_business_days": days})
    assert f"without a start date, more than {said} from opening to done." in " ".join(
        onboarding.metrics["late_share"].definition.split())


def test_no_definition_names_the_limit_without_its_value() -> None:
    rules = config.load_rules()
    for rule in [*rules.signs.values(), *rules.checks.values()]:
        for key, doc in config.worded(rule).metrics.items():
            assert "the limit in" not in doc.definition, (rule.id, key)
