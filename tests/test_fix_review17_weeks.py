"""One report says the data's weeks one way, and dates its open tickets where it counts
them (review 17).

The demo with ``--until 2026-11-30`` (its data ends on 30 September) counted the same
span four ways: "the 4.3 weeks up to 2026-09-30" and "the window's last 8.7 weeks" in the
data note, "over 4.3 weeks" in the changes sign, "over 4 weeks" in the trust, strategy
and backlog summaries, "the window's last 8 weeks" in the backlog's note. The action
list's, the trust sign's and the backlog's open tickets are counted at the data's end
while their definitions said "the window end" (30 November). Every sentence now says the
weeks as the data note does (:func:`itsm_diag.signs.base.weeks_said`, one decimal), and
a definition of open tickets names the data's end, with its day, when the window reaches
past it.
"""

from __future__ import annotations

import re

import pytest

from itsm_diag import api
from itsm_diag.explain import explain_page
from itsm_diag.report import Finding, Report


def _finding(report: Report, sign: str) -> Finding:
    return next(f for f in report.signs + report.checks if f.id == sign)


@pytest.fixture(scope="module")
def late() -> Report:
    return api.diagnose_paths([api.demo_dir()], api.RunOptions(until="2026-11-30"))


def test_weeks_said_rounds_once() -> None:
    import pandas as pd

    from itsm_diag.signs.base import Window, weeks_said

    assert weeks_said(30) == 4.3
    assert weeks_said(61) == 8.7
    assert weeks_said(91) == 13.0
    w = Window(start=pd.Timestamp("2026-09-01", tz="UTC"),
               end=pd.Timestamp("2026-11-30 23:59:59.999999", tz="UTC"),
               data_to=pd.Timestamp("2026-09-30 23:59:59.999999", tz="UTC"))
    assert (w.covered_weeks, w.weeks_after_data) == (4.3, 8.7)


def test_every_sentence_says_the_data_weeks_alike(late: Report) -> None:
    note = next(n for n in late.data_notes if "--until 2026-11-30" in n)
    assert "the 4.3 weeks up to 2026-09-30" in note and "last 8.7 weeks" in note
    for sign in ("backlog", "trust", "strategy", "changes"):
        summary = _finding(late, sign).evidence.summary
        assert "over 4.3 weeks" in summary, (sign, summary)
        assert not re.search(r"over 4 weeks", summary), (sign, summary)
    after = next(n for n in _finding(late, "backlog").evidence.notes if n.code == "after_data")
    assert "the window's last 8.7 weeks" in after.text
    forecast = (late.analyses or {})["forecast"]
    assert forecast.status == "unknown"
    # the trend's weeks: the whole weeks to 30 September (4), not 5 week ends
    assert "spans 4 whole weeks" in forecast.reason


def test_open_tickets_are_dated_where_they_are_counted(late: Report) -> None:
    end = "the data's end (2026-09-30)"
    actions = (late.analyses or {})["actions"].metrics
    for name in ("overdue", "due_soon", "stale", "unowned", "open_tickets"):
        definition = actions[name].definition
        assert end in definition and "window end" not in definition, (name, definition)
    trust = _finding(late, "trust").metrics
    for name in ("silent_share", "silent_open"):
        assert end in trust[name].definition and "window end" not in trust[name].definition
    backlog = _finding(late, "backlog")
    assert f"218 open at {end}" in backlog.evidence.summary
    assert end in backlog.metrics["open_now"].definition
    assert end in _finding(late, "ownership").metrics["open_aged"].definition


def test_a_window_the_data_reaches_says_the_window_end() -> None:
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions())
    actions = (report.analyses or {})["actions"].metrics
    assert "before the window end / open tickets" in actions["overdue"].definition
    assert "open at the window end," in _finding(report, "backlog").evidence.summary
    assert "over 13.0 weeks" in _finding(report, "trust").evidence.summary
    # the explain pages, read without a run, say the window end too: no placeholder
    for rule in ("actions", "trust", "backlog", "ownership"):
        page = explain_page(rule, None)
        assert "{end_said}" not in page and "the window end" in page, rule
