"""A measured figure beside its threshold never prints as the threshold (a review).

The real log's backlog was 0.525 weeks of arrivals against "more than 0.5 weeks", met, and
an export of its last two months 0.482, not met: both printed "0.5 weeks", so one printed
value carried opposite verdicts. Beside its threshold a figure takes the decimals that tell
the two apart.
"""

from __future__ import annotations

import pytest

from itsm_diag import config, engine
from itsm_diag.report import ConditionOut
from itsm_diag.text import figure, figure_beside


@pytest.mark.parametrize(("value", "other", "unit", "said"), [
    (0.482, 0.5, "weeks", "0.48 weeks"),
    (0.525, 0.5, "weeks", "0.53 weeks"),
    (0.4988, 0.5, "weeks", "0.499 weeks"),
    (0.0496, 0.05, "ratio", "4.96%"),
    (0.051, 0.05, "ratio", "5.1%"),
    (9.6, 10.0, "count", "9.6"),
    (0.3, 0.5, "weeks", "0.3 weeks"),  # already apart: as figure() prints it
    (0.5, 0.5, "weeks", "0.5 weeks"),  # equal: nothing to tell apart
    (None, 0.5, "weeks", "n/a"),
])
def test_a_figure_beside_its_threshold_takes_the_decimals_that_tell_them_apart(
        value: float | None, other: float, unit: str, said: str) -> None:
    assert figure_beside(value, other, unit) == said
    if value is not None and value != other:
        assert figure_beside(value, other, unit) != figure(other, unit)


def test_the_grading_sentence_says_the_figure_that_decides() -> None:
    rule = config.load_rules().signs["backlog"]
    metric = next(c.metric for c in rule.thresholds.conditions.values()
                  if rule.metrics[c.metric].unit == "weeks")
    out = engine._shown(rule, {"c": ConditionOut(
        metric=metric, op=">", value=0.5, measured=0.482, met=False,
        text="the backlog is larger than 0.5 weeks of arrivals")})["c"]
    assert engine._measured_text(rule, out).endswith("(measured 0.48 weeks)")
