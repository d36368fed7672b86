"""Strategy: a request's tasks are its fulfilment (operational), read from a ServiceNow
export end to end; and the two catch-all shares (reporting, vague-tickets) that measure
different things carry labels that say how they differ."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casekit import run_case
from itsm_diag import config
from itsm_diag.cli import app

runner = CliRunner()

_REQ = ["number", "short_description", "cat_item", "state", "opened_at", "closed_at",
        "time_worked"]
_TASK = ["number", "sys_class_name", "short_description", "request_item", "state",
         "opened_at", "closed_at", "time_worked", "u_labels"]


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, header, quoting=csv.QUOTE_ALL)
        out.writeheader()
        out.writerows(rows)


def _export(folder: Path) -> None:
    """40 requested items (15 min logged each), two catalog tasks each (45 min each: where
    ServiceNow logs the fulfilment) and two project tasks (2 h each)."""
    days = pd.bdate_range("2026-01-05", periods=40)
    stamp = "{:%Y-%m-%d %H:%M:%S}".format
    reqs, tasks = [], []
    for i, day in enumerate(days):
        opened, closed = day + pd.Timedelta(hours=9), day + pd.Timedelta(hours=15)
        rid = f"RITM{i + 1:07d}"
        reqs.append({"number": rid, "short_description": "New laptop", "cat_item": "New laptop",
                     "state": "Closed Complete", "opened_at": stamp(opened),
                     "closed_at": stamp(closed), "time_worked": "15 Minutes"})
        for k, step in enumerate(("Prepare", "Deliver")):
            tasks.append({"number": f"SCTASK{2 * i + k + 1:07d}", "sys_class_name": "Catalog Task",
                          "short_description": f"{step}: New laptop", "request_item": rid,
                          "state": "Closed Complete", "opened_at": stamp(opened),
                          "closed_at": stamp(closed), "time_worked": "45 Minutes",
                          "u_labels": ""})
    for j in range(2):
        opened = days[10 * j] + pd.Timedelta(hours=10)
        tasks.append({"number": f"TASK{j + 1:07d}", "sys_class_name": "Task",
                      "short_description": "Windows 11 rollout project", "request_item": "",
                      "state": "Closed Complete", "opened_at": stamp(opened),
                      "closed_at": stamp(opened + pd.Timedelta(days=10)),
                      "time_worked": "2 Hours", "u_labels": "project"})
    _write(folder / "sc_req_item.csv", _REQ, reqs)
    _write(folder / "task.csv", _TASK, tasks)


def test_catalog_tasks_count_as_their_requests_work(tmp_path: Path) -> None:
    # 10 h on requests + 60 h on their catalog tasks + 4 h of project work: 95%
    # operational. As tactical "other planned work" the tasks cleared it (14% operational)
    export = tmp_path / "export"
    export.mkdir()
    _export(export)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["diagnose", str(export), "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1, 2), result.output
    sign = next(s for s in json.loads(out.read_text(encoding="utf-8"))["signs"]
                if s["id"] == "strategy")
    assert sign["metrics"]["operational_share"]["value"] == pytest.approx(70 / 74, rel=1e-9)
    assert sign["status"] == "triggered"
    rows = {(r["kind"], r["rule"]): r for r in sign["evidence"]["tables"]["classification"]}
    steps = rows[("task", "step of a request")]
    assert steps["bucket"] == "operational"
    assert steps["tickets"] == 80 and steps["hours_logged"] == 60
    assert rows[("task", "strategic word")]["tickets"] == 2
    assert not any(kind == "task" and rule == "other planned work" for kind, rule in rows)


def test_explain_states_the_request_task_rule() -> None:
    result = runner.invoke(app, ["explain", "strategy"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "catalog tasks" in text and "SCTASK" in text
    assert "request_task_prefixes: ['SCTASK']" in text
    # the metric definition says where the tasks go too
    assert re.search(r"operational_share: Operational effort\..*tasks that fulfil a request",
                     text)


def _case() -> dict[str, object]:
    # incidents with a category, requested items with only a catalogue item, and tasks
    # (another kind) in "Other"
    return {"as_of": "2024-04-01T00:00:00", "expect": {}, "tickets": [
        {"kind": "incident", "status": "resolved", "category": "Network",
         "reassignment_count": 0, "sla_met": True, "summary": "VPN drops every hour from home",
         "opened_at": "2024-01-10T09:00:00", "resolved_at": "2024-01-10T11:00:00",
         "_count": 30, "_every": "1D"},
        {"ticket_id": "RITM", "kind": "request", "status": "closed",
         "request_item": "New laptop", "reassignment_count": 0, "sla_met": True,
         "summary": "New laptop for the new starter", "opened_at": "2024-01-10T09:00:00",
         "closed_at": "2024-01-12T11:00:00", "_count": 10, "_every": "1D"},
        {"ticket_id": "TASK", "kind": "task", "status": "closed", "category": "Other",
         "summary": "Move the printer to floor three", "opened_at": "2024-01-10T09:00:00",
         "closed_at": "2024-01-12T11:00:00", "_count": 5, "_every": "1D"},
    ]}


def test_the_two_catch_all_shares_say_how_they_differ() -> None:
    # one label, "Tickets in a catch-all category", stood for 37% and 11% in one report:
    # reporting counts the category field of incidents and requests (a catalogue item does
    # not fill it), vague-tickets the kinds it lists, with the catalogue item standing in
    # (since review 12 incidents and requests by default: planned work has no requester
    # to call back; every kind when listed)
    every = {"checks": {"vague-tickets": {"params": {"kinds": [
        "incident", "request", "task", "change", "problem", "other"]}}}}
    reporting = run_case("reporting", _case()).metrics["catch_all_share"]
    vague = run_case("vague-tickets", {**_case(), "config": every}).metrics["catch_all_share"]
    assert reporting.value == 10 / 40          # the requested items, blank here
    assert vague.value == 5 / 45               # the tasks in "Other" only
    default = run_case("vague-tickets", _case()).metrics["catch_all_share"]
    assert default.value == 0 / 40             # the tasks are out of its default scope
    rules = config.load_rules()
    labels = {rid: rules.get(rid).metrics["catch_all_share"].label
              for rid in ("reporting", "vague-tickets")}
    assert labels["reporting"].lower().startswith("incidents and requests")
    assert "category field" in labels["reporting"]
    assert "no catalogue item" in labels["vague-tickets"]
    # and the labels shown are these, not one for both
    assert reporting.label == labels["reporting"] and vague.label == labels["vague-tickets"]
