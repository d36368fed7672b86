"""The deliverable a CIO reads says one thing once, in units and words a reader knows.

From the review of the deliverable (sections 4-9): the forecast moved the backlog at a
median that contradicted the backlog sign's own trend ("Backlog in 12 weeks: 0" from a
backlog of 921 shrinking about 54 a week); the flow tables a sign or check copies showed
raw fractions (0.375) where the flow analysis shows 37%; onboarding said "3 of 34 late
(9%)" of a share of 3 in 33; Markdown drew an empty quote under an undetermined band;
figures without their unit or with raw sign ids; plurals as "1 weeks" and "1 clusters".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from casekit import context_over, run_case, tickets_frame
from itsm_diag import api, config
from itsm_diag.report import Finding, PeriodOut, Report
from itsm_diag.text import fmt
from renderkit import demo_report


def _sign(report: Report, rule_id: str) -> Finding:
    return next(f for f in [*report.signs, *report.checks] if f.id == rule_id)


@pytest.fixture(scope="module")
def real(real_log: Path, open_kept: Path) -> Report:
    # the backlog's machinery on real data: the open tickets read as whole (conftest)
    return api.diagnose_paths([real_log], api.RunOptions(config_file=open_kept))


# ---- 4. the forecast moves the open count along the backlog sign's trend ------------------


def _weeks(opens: list[float | None], arrivals: list[int], completions: list[int]
           ) -> list[dict[str, Any]]:
    return [{"week_end": f"w{i}", "arrivals": a, "completions": c, "open": 0, "trend": t}
            for i, (t, a, c) in enumerate(zip(opens, arrivals, completions, strict=True))]


def test_the_forecast_net_change_is_the_backlog_signs_trend_slope() -> None:
    from itsm_diag.analyses import forecast

    rules = config.load_rules()
    report = demo_report()
    backlog = _sign(report, "backlog")
    fc = report.analyses["forecast"]
    weekly = backlog.evidence.series["weekly"]
    start, end = (backlog.metrics[k].value for k in ("backlog_start", "backlog_end"))
    assert start is not None and end is not None
    # the sign's trend line is in its weekly series, from its start level to its end level
    assert weekly[0]["trend"] == pytest.approx(start, abs=0.06)
    assert weekly[-1]["trend"] == pytest.approx(end, abs=0.06)
    slope = (end - start) / (len(weekly) - 1)
    net = fc.metrics["net_per_week"].value
    assert net == pytest.approx(slope, abs=0.01)
    now = fc.metrics["open_now"].value
    assert now == backlog.metrics["open_now"].value
    for h in (4, 12):
        assert fc.metrics[f"backlog_in_{h}_weeks"].value == round(now + h * net)
    # weeks outside the trend (before the export's first ticket) weigh in nothing
    rows = _weeks([None, None, 200.0, 190.0, 180.0, 170.0, 160.0, 150.0],
                  [0, 0, 50, 50, 50, 50, 50, 50], [0, 0, 60, 60, 60, 60, 60, 60])
    ctx = context_over(tickets_frame([{"kind": "incident", "status": "new",
                                       "opened_at": "2024-01-10T09:00:00"}]))
    meas = forecast.measure(ctx, rules.analyses["forecast"].params,
                            {"status": "triggered", "open_now": 150.0, "threshold": 0.05,
                             "weekly": rows})
    assert meas.metrics["net_per_week"].value == pytest.approx(-10.0)
    assert meas.metrics["arrivals_per_week"].value == 50
    assert meas.metrics["completions_per_week"].value == 60
    assert {r["weeks"]: r["expected"] for r in meas.tables["projection"]} == {4: 110, 12: 30}


def test_the_forecast_summary_line_does_not_contradict_its_net_change() -> None:
    from itsm_diag.render.analyses import key_figures

    fc = demo_report().analyses["forecast"]
    line = key_figures(fc)
    # the two means whose difference is not the trend are not side by side on the line
    assert not ("Arrivals" in line and "Completions a week (mean)" in line)
    assert "median" not in line.lower()
    assert "Backlog change a week (its trend)" in line
    for mo in [*fc.metrics.values(), *fc.tables.values()]:
        assert "numerator" not in mo.definition and "denominator" not in mo.definition
    # the definition of the arrivals says plainly that the difference is not the trend
    assert "not the backlog change a week" in fc.metrics["arrivals_per_week"].definition


def test_the_real_logs_backlog_is_not_projected_to_zero(real: Report) -> None:
    backlog = _sign(real, "backlog")
    fc = real.analyses["forecast"]
    start, end = backlog.metrics["backlog_start"].value, backlog.metrics["backlog_end"].value
    assert start is not None and end is not None
    weeks = [w for w in backlog.evidence.series["weekly"] if w["trend"] is not None]
    slope = (end - start) / (len(weeks) - 1)
    assert slope == pytest.approx(-54.4, abs=0.1)
    assert fc.metrics["net_per_week"].value == pytest.approx(slope, abs=0.01)
    # 921 open: the 12 a person resolved in the hours of 2016-03-24's bulk close of
    # resolved incidents are done (review 22c, D1; review 19c had counted them open)
    assert fc.metrics["open_now"].value == 921
    assert fc.metrics["backlog_in_4_weeks"].value == round(921 + 4 * slope)
    assert fc.metrics["backlog_in_12_weeks"].value == round(921 + 12 * slope) > 0


# ---- 5. the flow tables a sign or check copies read as the flow analysis's ------------------

#: the flow tables each sign or check copies into its evidence
COPIED = {"backlog": ("time_in_status", "status_variants"),
          "routing": ("bounce_pairs", "handoffs"), "ownership": ("idle_by_group",)}
RATIO_COLUMNS = {"share", "share_of_time", "idle_share"}


def test_copied_flow_tables_are_worded_as_the_flow_analysis_words_them() -> None:
    rules = config.load_rules()
    flow = rules.analyses["flow"].tables
    for rule_id, names in COPIED.items():
        rule = rules.get(rule_id)
        for name in names:
            doc = rule.tables.get(f"flow_{name}")
            assert doc is not None, (rule_id, name)
            assert doc.title == flow[name].label, (rule_id, name)
            assert {k: c.label for k, c in doc.columns.items()} == flow[name].columns
            assert list(doc.columns) == list(flow[name].columns)
            for key, col in doc.columns.items():
                if key in RATIO_COLUMNS:
                    assert col.unit == "ratio", (rule_id, name, key)
                assert col.unit != "text" or key in ("status", "path", "group", "from",
                                                     "to", "bounced_via"), (name, key)


def test_copied_flow_tables_show_percentages_in_the_report(real: Report) -> None:
    from itsm_diag.render import markdown

    text = markdown.render(real)
    for rule_id, names in COPIED.items():
        f = _sign(real, rule_id)
        if rule_id == "ownership":
            # the log's tickets open at its window end were all updated after it: their
            # owner then comes from the log's assignee and group history (review 22; it
            # was unknown, with no evidence tables, and before review 16b "clear, 0 of
            # 921 unowned"), and the finding carries the flow's tables again
            assert f.status == "triggered" and f.metrics["unowned_share"].numerator == 112
        for name in names:
            about = f.evidence.about_tables[f"flow_{name}"]
            assert about.title == real.analyses["flow"].tables[name].label
            assert "tail" not in about.columns
    assert "| 0\\.375 |" not in text and "| 0\\.252 |" not in text
    # the backlog's copy shows Active's 37% of the time as the flow analysis does
    assert text.count("| Active | 13,704 | 2\\.5") == 2
    assert not re.search(r"\| Active \| 13,704 \| [^\n]*\| 0\\\.3", text)


# ---- 6. onboarding: the late count out of the share's own denominator ----------------------


def test_onboarding_says_late_of_the_decided_requests() -> None:
    case = {"as_of": "2024-03-29T12:00:00", "tickets": [
        {"ticket_id": f"D{i}", "kind": "request", "status": "closed",
         "request_item": "New Hire Setup", "start_date": f"2024-03-{4 + 7 * (i % 3):02d}",
         "opened_at": "2024-02-20T09:00:00",
         "resolved_at": "2024-03-20T10:00:00" if i < 3 else "2024-02-23T10:00:00"}
        for i in range(6)] + [
        # still within its deadline: not decided, left out of the share
        {"ticket_id": "P1", "kind": "request", "status": "open", "summary": "onboarding Tom",
         "start_date": "2024-04-08", "opened_at": "2024-03-27T09:00:00"}]}
    f = run_case("onboarding", case)
    assert f.metrics["late_share"].value == pytest.approx(0.5)
    assert f.metrics["decided_requests"].value == 6
    assert f.evidence.summary.startswith(
        "3 of 6 decided onboarding requests late, of 7 opened in the window; late share 50%;")


# ---- 7. Markdown: no empty quote under an undetermined band ----------------------------------


def test_no_empty_blockquote_under_an_undetermined_band() -> None:
    from itsm_diag.render import markdown

    r = demo_report().model_copy(update={"band": "undetermined", "unknown": 2,
                                         "band_range": ["healthy", "slowing"]})
    lines = markdown.render(r).splitlines()
    assert not any(line.strip() == ">" for line in lines)
    # a band the unknown signs cannot move still says its range in a quote
    sure = demo_report().model_copy(update={"unknown": 1})
    assert any(line.startswith("> ") and "if the unknown sign applies" in line
               for line in markdown.render(sure).splitlines())


# ---- 8. units and names a reader knows -------------------------------------------------------


def test_the_long_tail_says_it_costs_hours(real: Report) -> None:
    from itsm_diag.render.analyses import key_figures

    tail = real.analyses["flow"].metrics["tail_hours_per_month"]
    assert "hours" in tail.label.lower()
    # the paths as they stood at the as-of (review 18: 89.2 when later events were read)
    assert tail.unit == "per_month" and tail.value == pytest.approx(99.7, abs=0.05)
    if "tail_hours_per_month" in list(real.analyses["flow"].metrics)[:6]:
        assert f"{tail.label}: 99.7 a month" in key_figures(real.analyses["flow"])


def test_the_sla_gap_threshold_is_in_points_as_its_measure() -> None:
    f = _sign(demo_report(), "sla-by-priority")
    cond = f.threshold.conditions["high_worse"]
    assert "5 points" in cond.text and "%" not in cond.text
    assert "at least 5 points below" in f.reason or f.status != "triggered"


def test_the_terminal_period_table_names_the_signs_by_title() -> None:
    from itsm_diag.render import terminal

    report = demo_report()
    period = PeriodOut(label="2026-08", start="2026-08-01T00:00:00+00:00",
                       end="2026-08-31T23:59:59+00:00", score=1, band="undetermined",
                       band_range=["healthy", "slowing"], triggered=["trust"], unknown=4)
    r = report.model_copy(update={"periods": [period]})
    title = _sign(r, "trust").title
    for columns in (80, 120):
        text = terminal.render(r, color=False, columns=columns)
        table = text[text.index("Score by month"):]
        table = table[:table.index("\n\n")] if "\n\n" in table else table
        assert " trust " not in f" {' '.join(table.split())} "
        # the title, wrapped in its column: each of its words, in order
        words = " ".join(table.split())
        assert re.search(".*".join(map(re.escape, title.split())), words), words
        assert max(len(line) for line in text.splitlines()) <= columns


def test_the_channels_index_reads_as_what_it_means() -> None:
    f = _sign(demo_report(), "channels")
    assert f.key_figure.label == "Chance two tickets came in through different channels"
    assert "Herfindahl" not in f.threshold.conditions["fragmented"].text
    assert f.threshold.conditions["fragmented"].value == 0.60


# ---- 9. a count takes its noun in its grammar ------------------------------------------------


def test_one_week_one_cluster_one_ticket() -> None:
    from itsm_diag.importers.values import note_unmapped

    rules = config.load_rules()
    lead = fmt(rules.signs["backlog"].messages["before_data"],
               {"weeks": 1, "starts": "The export starts on 2026-07-09"})
    assert "1 week," in lead and "1 weeks" not in lead
    key = fmt(rules.analyses["text-clusters"].messages["key_used"],
              {"similarity": 0.5, "distinct": 1, "clusters": 1, "exact": 1})
    assert "1 distinct wording grouped into 1 cluster " in key
    many = fmt(rules.analyses["text-clusters"].messages["key_used"],
               {"similarity": 0.5, "distinct": 4, "clusters": 2, "exact": 3})
    assert "4 distinct wordings grouped into 2 clusters " in many
    said: list[str] = []
    raw = pd.Series(["fax", "fax", "pigeon", "fax", None, "phone"])
    mapped = pd.Series([None, None, None, None, None, "phone"])
    note_unmapped(said, "channel", raw, mapped, "counted as 'other'")
    note_unmapped(said, "kind", pd.Series(["x"]), pd.Series([None]), "left out")
    assert said == ["channel: 4 tickets with values outside its vocabulary, counted as "
                    "'other': 'fax' (3), 'pigeon' (1)",
                    "kind: 1 ticket with values outside its vocabulary, left out: 'x' (1)"]
    assert not any("(s)" in s for s in said)
