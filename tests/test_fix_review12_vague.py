"""``vague-tickets`` judged every task and epic of a ServiceNow export as vague (review 12,
item 5): the task table has no category column, so each of its tickets was a "blank
catch-all", priced a 10-minute call-back to its requester. On the demo 116 of its 148
"vague" tickets were tasks and epics ("Windows 11 rollout"); with its task table tripled
the check triggered (24%, 21 hours a month) while the incidents' own vague share is 3%.

Now each ticket is judged by the fields its own table exports (per tool and kind, by
``Context.source_holds``), a table with neither field is left out and counted, and the
check's scope is incidents and requests: its price is a call-back to a requester, and
changes, problems, tasks and epics are planned work written by IT.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from casekit import run_case
from itsm_diag import api, config

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"
README = Path(__file__).resolve().parents[1] / "README.md"


def _vague(report: Any) -> Any:
    return next(f for f in report.checks if f.id == "vague-tickets")


def _demo_tripled_tasks(tmp_path: Path) -> Path:
    """The demo with its task table's tasks and epics of the window tripled (the
    reviewer's export: two copies under new numbers)."""
    data = tmp_path / "data"
    data.mkdir()
    for f in DEMO.glob("*.csv"):
        shutil.copy(f, data / f.name)
    t = pd.read_csv(DEMO / "task.csv", dtype=str, keep_default_na=False)
    recent = t[t["opened_at"] >= "2026-07-02"]
    copies = []
    for k in (1, 2):
        x = recent.copy()
        x["number"] = (x["number"].str.replace("TASK", f"TASK9{k}")
                       .str.replace("EPIC", f"EPIC9{k}"))
        copies.append(x)
    pd.concat([t, *copies]).to_csv(data / "task.csv", index=False)
    return data


def test_the_demo_judges_its_incidents_and_requests_not_its_tasks() -> None:
    vague = _vague(api.diagnose_paths([DEMO], api.RunOptions()))
    share = vague.metrics["vague_share"]
    # was 148 of 1,323: the 116 tasks and epics of task.csv, each a "blank category"
    # 1,131 less its 21 machine-raised incidents (review 22d, D2: the channels check's set)
    assert (share.numerator, share.denominator) == (32, 1110)
    assert share.sample_ids and all(i.startswith("INC") for i in share.sample_ids)
    assert vague.status == "clear" and vague.confidence == "high"
    assert all(row["value"] for row in vague.evidence.tables["catch_all_categories"])


def test_more_project_tasks_do_not_trigger_a_requester_call_back(tmp_path: Path) -> None:
    vague = _vague(api.diagnose_paths([_demo_tripled_tasks(tmp_path)], api.RunOptions()))
    # was triggered: 380 of 1,555 (24%), 127.1 a month x 10 minutes = 21.2 h
    assert vague.status == "clear"
    assert vague.hours_at_stake_per_month is None and not vague.evidence.costs
    share = vague.metrics["vague_share"]
    # 1,131 less its 21 machine-raised incidents (review 22d, D2: the channels check's set)
    assert (share.numerator, share.denominator) == (32, 1110)


def test_tasks_listed_are_judged_by_their_summary_alone(tmp_path: Path) -> None:
    # a user who lists every kind: the tasks and epics, whose table has no category, are
    # judged by their summaries (none is vague), with a counted note; the demo stays
    # clear (at most (32 + 116) / 1,323 = 11% with every one of them vague), the tripled
    # export cannot show it is clear: (32 + 348) / 1,555 = 24%
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("checks:\n  vague-tickets:\n    params:\n"
                   "      kinds: [incident, request, change, problem, task, other]\n",
                   encoding="utf-8")
    opts = api.RunOptions(config_file=cfg)
    demo = _vague(api.diagnose_paths([DEMO], opts))
    share = demo.metrics["vague_share"]
    # 1,323 less its 21 machine-raised incidents (review 22d, D2)
    assert (share.numerator, share.denominator) == (32, 1302)
    assert demo.status == "clear" and demo.confidence == "medium"
    absent = next(n for n in demo.evidence.notes if n.code == "field_absent")
    assert absent.count == 116
    assert "servicenow task: 94; servicenow other: 22" in absent.text
    tripled = _vague(api.diagnose_paths([_demo_tripled_tasks(tmp_path)], opts))
    assert tripled.status == "unknown"
    assert tripled.metrics["vague_share"].numerator == 32
    assert "never fills category" in tripled.reason


def _case(**extra: Any) -> dict[str, Any]:
    return {"as_of": "2024-06-28T17:00:00", "expect": {}, **extra}


def test_a_table_with_neither_field_is_left_out_and_counted() -> None:
    finding = run_case("vague-tickets", _case(
        config={"checks": {"vague-tickets": {"params": {"kinds": ["incident", "task"]}}}},
        tickets=[
            {"source_tool": "servicenow", "kind": "incident", "status": "open",
             "opened_at": "2024-05-01T09:00", "category": "Network",
             "summary": "VPN drops every hour from home office", "_count": 20},
            {"source_tool": "servicenow", "kind": "task", "status": "open",
             "opened_at": "2024-05-03T09:00", "_count": 30},
        ]))
    # was 30 of 50 vague (60%, triggered, 30 call-backs priced)
    assert finding.status == "clear"
    assert finding.metrics["tickets_in_scope"].value == 20
    left = next(n for n in finding.evidence.excluded if n.code == "no_field_in_table")
    assert left.count == 30 and "servicenow task: 30" in left.text


def test_scope_pricing_and_wording_agree() -> None:
    rule = config.load_rules().get("vague-tickets")
    assert list(rule.params["kinds"]) == ["incident", "request"]
    assert "requester" in rule.costs["clarification"]
    assert "incidents and service requests by default" in rule.scope
    assert "every kind" not in rule.metrics["catch_all_share"].label
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "`vague-tickets` judges incidents and requests" in text
    assert "counts every kind of ticket" not in text
