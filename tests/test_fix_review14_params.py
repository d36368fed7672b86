"""Review 14 (rv14b), items 3, 4 and 5.

3. ``checks: {routing: {params: {min_reassignments: 5}}}`` (the README's own example of
   words that follow the params) made routing read "reassigned 5 or more times" while the
   driver sentences under it, the drivers table and the action list kept "3 or more": the
   drivers and actions analyses have a ``min_reassignments`` of their own. Likewise the
   recurrence sign's ``cluster_size``/``span_days`` left the text-clusters table's
   "Recurs" at "3 incidents within 90 days". An analysis param that counts what a sign or
   check counts now follows it (``config.FOLLOWS``), unless a config sets the analysis's
   own.
4. A KPI renamed in ``--config`` (``wording: kpi.sla_adherence``) reached the KPI panel but
   not the reporting sign's table "Can each core KPI be computed from the export?".
5. ``compare`` took a report whose total hours at stake, or a cost's hours, are negative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from itsm_diag import api, config
from itsm_diag.errors import InputError
from itsm_diag.render.markdown import render as render_markdown
from itsm_diag.report import Report

ROUTING_5 = "checks:\n  routing:\n    params: {min_reassignments: 5}\n"
FOLLOWING = "following checks.routing.params.min_reassignments"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- 3: the analyses follow the sign's or check's value -----------------------------------

def test_drivers_and_actions_follow_routing(tmp_path: Path) -> None:
    r5 = _write(tmp_path, "r5.yaml", ROUTING_5)
    rules = config.load_rules_with(r5)
    assert rules.checks["routing"].params["min_reassignments"] == 5
    for analysis in ("drivers", "actions"):
        assert rules.analyses[analysis].params["min_reassignments"] == 5
        source = rules.overrides[f"analyses.{analysis}.params.min_reassignments"]
        assert source == f"{r5}, {FOLLOWING}"
    # and their words say it
    drivers = config.worded(rules.analyses["drivers"])
    assert drivers.metrics["reassigned_rate"].label == "Reassigned 5 or more times"
    assert "reassigned 5 or more times" in drivers.wording["outcome.reassigned"]
    actions = config.worded(rules.analyses["actions"])
    assert "reassigned 5 times or more" in actions.metrics["bouncing"].definition


def test_the_analysis_own_param_wins(tmp_path: Path) -> None:
    both = _write(tmp_path, "both.yaml", ROUTING_5 + "analyses:\n  drivers:\n"
                  "    params: {min_reassignments: 4}\n")
    rules = config.load_rules_with(both)
    assert rules.analyses["drivers"].params["min_reassignments"] == 4
    assert rules.overrides["analyses.drivers.params.min_reassignments"] == str(both)
    assert rules.analyses["actions"].params["min_reassignments"] == 5
    # a client's config over a batch's: a value a config set stays, a followed one moves
    own = _write(tmp_path, "own.yaml", "analyses:\n  drivers:\n"
                 "    params: {min_reassignments: 4}\n")
    six = _write(tmp_path, "six.yaml", ROUTING_5.replace("5", "6"))
    rules = config.load_rules_with(own, six)
    assert rules.analyses["drivers"].params["min_reassignments"] == 4
    assert rules.analyses["actions"].params["min_reassignments"] == 6
    rules = config.load_rules_with(_write(tmp_path, "r5.yaml", ROUTING_5), six)
    assert rules.analyses["drivers"].params["min_reassignments"] == 6
    assert rules.overrides["analyses.drivers.params.min_reassignments"] == \
        f"{six}, {FOLLOWING}"
    # nothing set: nothing follows, nothing is listed
    rules = config.load_rules_with(own)
    assert rules.analyses["actions"].params["min_reassignments"] == 3
    assert "analyses.actions.params.min_reassignments" not in rules.overrides


def test_text_clusters_follow_recurrence(tmp_path: Path) -> None:
    rec = _write(tmp_path, "rec.yaml", "signs:\n  recurrence:\n"
                 "    params: {cluster_size: 4, span_days: 60, template_min_share: 0.1}\n")
    rules = config.load_rules_with(rec)
    params = rules.analyses["text-clusters"].params
    assert (params["cluster_size"], params["span_days"], params["template_min_share"]) == \
        (4, 60, 0.1)
    clusters = config.worded(rules.analyses["text-clusters"]).tables["clusters"]
    assert "whether it recurs (4 incidents within 60 days)" in clusters.definition


def test_demo_analyses_say_routing_bar(tmp_path: Path) -> None:
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions(
        config_file=_write(tmp_path, "r5.yaml", ROUTING_5)))
    drivers = report.analyses["drivers"]
    assert drivers.metrics["reassigned_rate"].label == "Reassigned 5 or more times"
    actions = report.analyses["actions"]
    said = [m.definition for m in actions.metrics.values() if "reassigned" in m.definition]
    assert said and all("reassigned 5 times or more" in d for d in said)
    assert not any("reassigned 3" in d for d in said)


def test_real_log_drivers_under_routing_say_5(real_log: Path, tmp_path: Path) -> None:
    """The reviewer's repro: routing triggered at 5 reassignments; its drivers' sentences
    and the drivers table say 5 too."""
    r5 = _write(tmp_path, "r5.yaml", ROUTING_5 + "    thresholds: {many_reassignments: "
                "0.001}\n")
    report = api.diagnose_paths([real_log], api.RunOptions(config_file=r5))
    routing = next(f for f in report.checks if f.id == "routing")
    assert routing.status == "triggered"
    reassigned = [d.text for d in routing.drivers if d.outcome == "reassigned"]
    assert reassigned
    assert all("reassigned 5 or more times" in text for text in reassigned)
    rows = report.analyses["drivers"].tables["drivers"].rows
    outcomes = {row["outcome"] for row in rows if row["outcome_id"] == "reassigned"}
    assert outcomes == {"Reassigned 5 or more times"}


# ---- 4: the reporting sign's KPI table names the KPIs as the panel does --------------------

def test_reporting_table_uses_the_kpi_names(tmp_path: Path) -> None:
    kw = _write(tmp_path, "kw.yaml", 'defaults:\n  wording:\n    kpi.sla_adherence: '
                '"Within SLA"\n    kpi.time_to_resolve_hours: "Lead time"\n')
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions(config_file=kw))
    assert report.kpis.labels["sla_adherence"] == "Within SLA"
    reporting = next(f for f in report.signs if f.id == "reporting")
    names = reporting.evidence.about_tables["kpis"].columns["kpi"].values
    assert names["sla_adherence"] == "Within SLA"
    assert names["time_to_resolve"] == "Lead time"
    assert names["backlog_trend"] == report.kpis.labels["backlog_weekly"]
    text = render_markdown(report)
    assert "| Within SLA | yes |" in text and "| Lead time | yes |" in text
    assert "| SLA adherence | yes |" not in text and "| Time to resolve | yes |" not in text


# ---- 5: compare refuses negative hours or money ------------------------------------------

@pytest.mark.parametrize(("edit", "said"), [
    (lambda d: d.update(hours_at_stake_per_month=-1), "hours_at_stake_per_month -1"),
    (lambda d: d.update(money_per_month=-3), "money_per_month -3"),
    (lambda d: next(f for f in d["signs"] if f["evidence"]["costs"])["evidence"]["costs"][0]
     .update(hours_per_month=-5), ".evidence.costs[0].hours_per_month -5"),
    (lambda d: d["fixes"][0].update(hours_at_stake_per_month=-2),
     "fixes[0].hours_at_stake_per_month -2"),
])
def test_negative_hours_refused(demo_json: str, tmp_path: Path, edit, said: str) -> None:
    data = json.loads(demo_json)
    assert api.negative_hours(Report.model_validate(data)) == ""
    edit(data)
    assert api.negative_hours(Report.model_validate(data)).endswith(f"{said} is negative")
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        api.load_report(path)
    assert f"{said} is negative" in str(caught.value)
    assert "edited.json" in str(caught.value)
