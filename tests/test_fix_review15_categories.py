"""Review 15b, defect 3: a ServiceNow export's requested items have no category field
(``sc_req_item``: its catalogue item classifies it), so reporting's fill share, counted on
the category field alone, made "Volume by category" a configuration gap on every desk whose
requests are more than about a tenth of its tickets: one real gap (blank SLA fields) read
"triggered, high (measured 2)", and the fix plan told the client to make category
mandatory on a table that has none. Such a request is now classified by its catalogue
item, by the KPI panel's volume and by reporting's fill share alike (one population); a
blank catalogue item is still uncategorised, a catch-all one a catch-all; other tools keep
the category field."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from casekit import tickets_frame
from itsm_diag import api, config
from itsm_diag import model as m
from itsm_diag.report import Report
from itsm_diag.signs import reporting
from itsm_diag.signs.base import Context, Window

_T0 = datetime(2026, 7, 1, 9, 0)
_FMT = "%Y-%m-%d %H:%M:%S"
_ITEMS = ("Password reset", "Software installation", "VPN access", "New laptop")
_CATEGORIES = ("Software", "Hardware", "Network", "Email")


def _incidents(n: int, sla: bool) -> pd.DataFrame:
    rows = []
    for k in range(n):
        opened = _T0 + timedelta(hours=14 * k)
        done = opened + timedelta(hours=20)
        rows.append({
            "number": f"INC{10000 + k:07d}", "short_description": "Outlook keeps crashing",
            "state": "Closed", "priority": "3 - Moderate",
            "category": _CATEGORIES[k % len(_CATEGORIES)],
            "assignment_group": "Service Desk", "assigned_to": "Agent A",
            "caller_id": f"User {k}", "contact_type": "Self-service",
            "opened_at": opened.strftime(_FMT), "resolved_at": done.strftime(_FMT),
            "closed_at": (done + timedelta(days=1)).strftime(_FMT),
            "sys_updated_on": (done + timedelta(days=1)).strftime(_FMT),
            "due_date": (opened + timedelta(days=3)).strftime(_FMT) if sla else "",
            "reassignment_count": str(k % 3), "made_sla": "true" if sla else ""})
    return pd.DataFrame(rows)


def _requests(items: list[str], sla: bool) -> pd.DataFrame:
    rows = []
    for k, item in enumerate(items):
        opened = _T0 + timedelta(hours=21 * k + 3)
        done = opened + timedelta(hours=30)
        rows.append({
            "number": f"RITM{10000 + k:07d}", "short_description": item or "Request",
            "cat_item": item, "state": "Closed Complete", "priority": "4 - Low",
            "assignment_group": "Service Desk", "assigned_to": "Agent B",
            "requested_for": f"User {k}", "contact_type": "Self-service",
            "opened_at": opened.strftime(_FMT), "closed_at": done.strftime(_FMT),
            "due_date": (opened + timedelta(days=5)).strftime(_FMT) if sla else "",
            "sys_updated_on": done.strftime(_FMT), "reassignment_count": str(k % 2),
            "made_sla": "true" if sla else ""})
    return pd.DataFrame(rows)


def desk(tmp_path: Path, items: list[str] | None = None, *, sla: bool = True,
         request_category: list[str] | None = None) -> list[Path]:
    """A ServiceNow list export: 120 incidents with a category, 80 requested items
    (40% of the tickets) with a catalogue item and, like ``sc_req_item``, no category
    column (``request_category``: a category column on the requests' list, a custom
    field of the table)."""
    items = items if items is not None else [_ITEMS[k % len(_ITEMS)] for k in range(80)]
    inc, req = _incidents(120, sla), _requests(items, sla)
    if request_category is not None:
        req["category"] = request_category
    inc.to_csv(tmp_path / "incident.csv", index=False)
    req.to_csv(tmp_path / "sc_req_item.csv", index=False)
    return [tmp_path / "incident.csv", tmp_path / "sc_req_item.csv"]


def diagnose(paths: list[Path]) -> tuple[Report, Any, dict[str, dict[str, Any]]]:
    report = api.diagnose_paths(paths, api.RunOptions())
    sign = next(s for s in report.signs if s.id == "reporting")
    return report, sign, {r["kpi"]: r for r in sign.evidence.tables["kpis"]}


def notes(sign: Any) -> dict[str, str]:
    return {n.code: n.text for n in sign.evidence.notes}


# ---- the ServiceNow requested items: classified by their catalogue item ----------------

def test_requested_items_are_classified_by_their_catalogue_item(tmp_path: Path) -> None:
    report, sign, kpis = diagnose(desk(tmp_path))
    volume = kpis["volume_by_category"]
    # it read "configuration gap, volume_sparse 0.6" with every field of both tables filled
    assert volume["computable"] and volume["gap"] is None, volume
    assert sign.metrics["kpis_missing"].value == 0
    assert sign.metrics["category_filled_share"].value == 1.0
    assert sign.metrics["catch_all_share"].value == 0.0
    # the KPI panel counts the same classification, each catalogue item labelled so
    panel = report.kpis.volume_by_category
    assert "(blank)" not in panel, panel
    assert panel["Password reset (catalogue item)"] == 20
    assert panel["Software"] == 30 and sum(panel.values()) == 200
    assert report.kpis.reliable.get("volume_by_category", True)
    definition = report.kpis.definitions["volume_by_category"]
    assert "80 of them are requested items of a table with no category field" in definition
    assert 'marked "(catalogue item)"' in definition


def test_one_real_gap_is_one(tmp_path: Path) -> None:
    # the reviewer's threshold edge: only the SLA fields blank
    _, sign, kpis = diagnose(desk(tmp_path, sla=False))
    assert sign.metrics["kpis_missing"].value == 1
    assert sign.status == "clear", sign.reason
    assert [k for k, row in kpis.items() if not row["computable"]] == ["sla_adherence"]


def test_a_blank_catalogue_item_is_still_uncategorised(tmp_path: Path) -> None:
    items = [_ITEMS[k % len(_ITEMS)] if k % 2 else "" for k in range(80)]
    # the SLA fields blank too: two gaps, so the fix plan holds the sign's fixes
    report, sign, kpis = diagnose(desk(tmp_path, items, sla=False))
    assert sign.status == "triggered" and sign.metrics["kpis_missing"].value == 2
    volume = kpis["volume_by_category"]
    assert (volume["gap"], volume["detail"]) == ("configuration", "volume_sparse_items")
    assert volume["share"] == 160 / 200
    text = " ".join(notes(sign)["volume_sparse_items"].split())
    assert "only 80% of incidents and requests are classified" in text
    assert "filled on 100% of the 120 tickets whose table has one" in text
    assert "catalogue item on 50% of the 80 requested items" in text
    # the fix asks for a catalogue item on every request, not a category on a table
    # that has no such field
    action = next(f.action for f in report.fixes if f.sign == "reporting"
                  and "configuration gaps" in f.action)
    assert "raise every request from a catalogue item" in action
    assert "make category mandatory with a short list" not in action
    assert report.kpis.volume_by_category["(blank)"] == 40


def test_a_catch_all_catalogue_item_is_a_catch_all(tmp_path: Path) -> None:
    items = ["Other request" if k % 8 < 5 else "Password reset" for k in range(80)]
    _, sign, kpis = diagnose(desk(tmp_path, items))
    assert sign.metrics["catch_all_share"].value == 50 / 200
    volume = kpis["volume_by_category"]
    assert (volume["gap"], volume["detail"]) == ("configuration", "volume_catch_all_items")
    text = " ".join(notes(sign)["volume_catch_all_items"].split())
    assert "0% of the 120 tickets whose table has a category field" in text
    assert "62% of the 80 requested items" in text


def test_a_category_column_on_the_requests_list_is_judged_by_it(tmp_path: Path) -> None:
    # a list of requested items with a category column: a custom field of the table,
    # filled or not, is judged as the field it is
    _, _, kpis = diagnose(desk(tmp_path, request_category=[""] * 80))
    assert kpis["volume_by_category"]["detail"] == "volume_sparse"
    report, _, kpis = diagnose(desk(tmp_path, request_category=["Access"] * 80))
    assert kpis["volume_by_category"]["computable"]
    assert report.kpis.volume_by_category["Access"] == 80
    assert not any(k.endswith("(catalogue item)") for k in report.kpis.volume_by_category)


# ---- other tools keep the category field ------------------------------------------------

def _context(tool: str | None) -> Context:
    as_of = pd.Timestamp("2024-04-01", tz="UTC")
    base = {"status": "closed", "status_raw": "Closed", "reassignment_count": 0,
            "opened_at": "2024-02-01T09:00:00", "resolved_at": "2024-02-01T11:00:00",
            "due_at": "2024-02-02T09:00:00"}
    if tool is not None:
        base["source_tool"] = tool
    return Context(tickets=tickets_frame([
        {**base, "kind": "incident", "category": "Network", "source_file": "a.csv",
         "_count": 60},
        {**base, "kind": "request", "request_item": "New laptop", "source_file": "b.csv",
         "_count": 40},
    ]), events=m.empty_events(),
        window=Window(start=as_of - pd.Timedelta(weeks=13), end=as_of),
        defaults=config.Defaults(handle_minutes={"incident": 30, "request": 20},
                                 catch_all_categories=["other"]).model_dump())


def test_other_tools_keep_the_category_field() -> None:
    # Jira, Zendesk and Freshservice export a category on requests too: a request
    # without one is uncategorised there, its request type notwithstanding
    from itsm_diag.signs.kpis import by_item

    params = config.load_rules().get("reporting").params
    for tool in ("jira", "zendesk", "freshservice", None):
        ctx = _context(tool)
        assert not by_item(ctx).any(), tool
        rows = {r["kpi"]: r for r in reporting.measure(ctx, params).tables["kpis"]}
        assert rows["volume_by_category"]["detail"] == "volume_sparse", tool
    ctx = _context("servicenow")
    assert int(by_item(ctx).sum()) == 40
    rows = {r["kpi"]: r for r in reporting.measure(ctx, params).tables["kpis"]}
    assert rows["volume_by_category"]["computable"]


# ---- the demo ---------------------------------------------------------------------------

def test_the_demo_reads_its_requests_by_catalogue_item() -> None:
    # the demo read "Volume by category: the category field is filled on only 66% ...
    # configuration gap; a catalogue item does not count" (measured 1 of 5)
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions())
    sign = next(s for s in report.signs if s.id == "reporting")
    rows = {r["kpi"]: r for r in sign.evidence.tables["kpis"]}
    assert rows["volume_by_category"]["computable"], rows["volume_by_category"]
    assert sign.metrics["category_filled_share"].value == 1.0
    assert "(blank)" not in report.kpis.volume_by_category
    assert report.kpis.volume_by_category["Password reset (catalogue item)"] > 0
    assert "volume_by_category" not in report.kpis.caveats
