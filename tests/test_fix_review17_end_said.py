"""A ``--until`` past the data's end: every place that says where the open tickets are
counted says the data's end (the read of review 17's change).

The weeks fix made the backlog's, trust's, ownership's and the action list's definitions
say "the data's end (2026-09-30)", but page 1's KPI panel still read "218 open at the
window end" (English in the renderer), the KPI definition dated the backlog's week ends
to the window's end (2026-11-30, eight weeks after the data) and said "the window end",
and the action list's, ownership's and trust's scope lines said "the window end" above
metrics that said the data's end.
"""

from __future__ import annotations

import pytest

from itsm_diag import api, explain
from itsm_diag.render import markdown, terminal
from itsm_diag.render.common import backlog_text
from itsm_diag.report import Report

DATA_END = "the data's end (2026-09-30)"


@pytest.fixture(scope="module")
def late() -> Report:
    """The demo (its data ends on 30 September) judged to 30 November."""
    return api.diagnose_paths([api.demo_dir()], api.RunOptions(since="2026-09-01",
                                                               until="2026-11-30"))


def test_the_kpi_panel_counts_the_backlog_where_the_sign_does(late: Report) -> None:
    backlog = next(s for s in late.signs if s.id == "backlog")
    assert DATA_END in backlog.evidence.summary
    assert late.kpis.backlog_open_at == DATA_END
    text = backlog_text(late)
    assert f"218 open at {DATA_END}" in text and "window end" not in text
    for page in (markdown.render(late), terminal.render(late, color=False, columns=200)):
        assert f"218 open at {DATA_END}" in page
        assert "open at the window end" not in page


def test_the_backlog_definition_dates_its_weeks_to_the_data(late: Report) -> None:
    said = late.kpis.definitions["backlog_weekly"]
    assert "from 2026-09-01 to 2026-09-30" in said and "2026-11-30" not in said
    assert f"the tickets open at {DATA_END}" in said
    assert late.kpis.backlog_weekly[-1]["week_end"].startswith("2026-09-30")


def test_the_scopes_say_the_data_end(late: Report) -> None:
    scopes = {f.id: f.evidence.scope for f in [*late.signs, *late.checks]}
    scopes["actions"] = late.analyses["actions"].scope
    for rule_id in ("actions", "ownership", "trust"):
        assert DATA_END in scopes[rule_id], rule_id
        assert "{end_said}" not in scopes[rule_id]
    assert "open at the window end" not in scopes["ownership"]


def test_a_window_the_data_reaches_and_the_explain_pages_say_the_window_end() -> None:
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions())
    assert report.kpis.backlog_open_at == "the window end"
    assert "open at the window end" in backlog_text(report)
    assert "the tickets open at the window end" in report.kpis.definitions["backlog_weekly"]
    for rule_id in ("actions", "ownership", "trust"):
        page = explain.explain_page(rule_id, None)
        scope = next(line for line in page.splitlines() if "Scope:" in line)
        assert "{end_said}" not in page and "open at the window end" in scope, rule_id
