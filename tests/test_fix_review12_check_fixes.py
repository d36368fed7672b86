"""What to do about a triggered extra check (review 12, rv12d item 7).

The real log's routing check showed 887 agent hours a month, the largest figure in its
report, while its fixes ("Route by category and service with assignment rules...")
appeared in no format: the fix plan is the signs' (signs.md), and nothing else listed a
check's. A triggered check's fixes whose cause held are listed with the check now
(``check_fixes``), never in the plan or its hours.
"""

from __future__ import annotations

import pytest

from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Report


@pytest.fixture
def demo(demo_report: Report) -> Report:
    return demo_report


def test_a_triggered_checks_fixes_are_listed_with_it(demo: Report) -> None:
    triggered = {f.id for f in demo.checks if f.status == "triggered"}
    assert triggered and demo.check_fixes
    assert {x.sign for x in demo.check_fixes} <= triggered
    assert [x.rank for x in demo.check_fixes] == list(range(1, len(demo.check_fixes) + 1))
    # never in the plan, whose hours are the signs'
    signs = {f.id for f in demo.signs}
    assert all(x.sign in signs for x in demo.fixes)
    first = demo.check_fixes[0].action
    for text in (terminal.render(demo, color=False, columns=200), markdown.render(demo),
                 html.render(demo)):
        assert first[:60] in text


def test_a_clear_or_unknown_check_brings_no_fix(demo: Report) -> None:
    quiet = {f.id for f in demo.checks if f.status != "triggered"}
    assert quiet and not [x for x in demo.check_fixes if x.sign in quiet]


def test_fixes_of_the_same_hours_say_so_instead_of_repeating_them() -> None:
    """The real log's routing check listed three fixes each "887 agent hours a month"
    (the JSON's shares_hours_with said they are the same hours; a reader of the change)."""
    from itsm_diag.render import common
    from itsm_diag.report import FixOut

    first = FixOut(rank=1, sign="routing", id="a", action="x", horizon="quick",
                   hours_at_stake_per_month=886.6, why_here="")
    second = first.model_copy(update={"rank": 2, "id": "b", "shares_hours_with": [1]})
    unpriced = first.model_copy(update={"rank": 3, "hours_at_stake_per_month": None})
    assert common.check_fix_note(first) == "quick, 887 agent hours a month"
    assert common.check_fix_note(second) == (
        "quick, 887 agent hours a month, some or all of them counted under the fix above")
    assert common.check_fix_note(unpriced) == "quick"
