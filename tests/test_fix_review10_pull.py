"""Review 10d of ``itsm-diag pull`` (items 1-7): times written with their zone, ServiceNow
durations, lone surrogates, Jira custom fields sharing a name, files of tables left with
no record, Zendesk deleted tickets, and a spent quota whose reset is past 15 minutes."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.pull.servicenow import flat
from itsm_diag.render.json import render
from pullkit import (
    TOKEN,
    FakeServer,
    FreshserviceApp,
    JiraApp,
    Reply,
    ServiceNowApp,
    ZendeskApp,
    pull,
    sn_record,
)

TOKYO = "Asia/Tokyo"


#: read in --tz, rightly: a start date is a calendar day, and a ServiceNow journal's
#: entries are stamped in its display value, in the API user's zone
LOCAL = ("tickets.start_date", "events.at")


def instants(path: Path, tz: str, local: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """Every time column of the tickets and events read from ``path`` under ``--tz tz``
    (but those named in ``local``)."""
    loaded = load_paths([path], ImportOptions(tz=tz, tz_given=True))
    out: dict[str, list[Any]] = {}
    for name, frame in (("tickets", loaded.tickets), ("events", loaded.events)):
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                out[f"{name}.{col}"] = frame[col].tolist()
    for name in local:
        out.pop(name, None)
    return out


def as_of(path: Path, tz: str) -> str:
    doc = json.loads(render(api.diagnose_paths([path], api.RunOptions(tz=tz, tz_given=True))))
    return str(doc["as_of"])


# ---- 1. the times carry their zone: --tz does not shift them ----------------------------

@pytest.fixture(scope="module")
def sn_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    from itsm_diag.writers.servicenow import write_servicenow

    data = synth.generate(150, seed=11, conditions=synth.Conditions.all())
    paths = write_servicenow(data.tickets, data.events, tmp_path_factory.mktemp("snfiles"))
    tables = {}
    for p in paths:
        with p.open(newline="", encoding="utf-8") as fh:
            tables[p.stem] = [sn_record(row) for row in csv.DictReader(fh)]
    return tables


def test_servicenow_times_are_utc_with_their_zone(sn_tables: dict[str, Any],
                                                  tmp_path: Path) -> None:
    with FakeServer(ServiceNowApp(sn_tables)) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=list(sn_tables))
    assert run.code == 0, run.err
    row = json.loads((tmp_path / "incident.json").read_text())["result"][0]
    served = next(r for r in sn_tables["incident"] if r["number"]["value"] == row["number"])
    assert row["opened_at"] == served["opened_at"]["value"] + "Z"
    assert row["sys_updated_on"] == served["sys_updated_on"]["value"] + "Z"
    # read at UTC whatever --tz says (before: shifted by the zone's offset)
    utc, tokyo = instants(tmp_path, "UTC", LOCAL), instants(tmp_path, TOKYO, LOCAL)
    assert utc["tickets.opened_at"] and utc == tokyo


def jira_issue(i: int, updated: str, cat_a: str | None = None, cat_b: str | None = None,
               ) -> dict[str, Any]:
    return {"id": str(10000 + i), "key": f"ITSM-{i}", "fields": {
        "summary": f"vpn {i}", "issuetype": {"name": "Incident"},
        "status": {"name": "Open", "statusCategory": {"name": "To Do"}},
        "project": {"key": "ITSM"}, "priority": {"name": "High"}, "resolution": None,
        "assignee": None, "reporter": None, "created": "2026-03-01T10:00:00.000+0000",
        "updated": updated, "resolutiondate": None, "duedate": None, "components": [],
        "labels": [], "timespent": None, "issuelinks": [],
        "comment": {"comments": [{"created": "2026-03-01T22:30:00.000+0000",
                                  "author": {"accountId": "a1"}, "body": "any news?"}],
                    "total": 1, "maxResults": 1, "startAt": 0},
        "customfield_10001": {"value": cat_a} if cat_a else None,
        "customfield_10002": {"value": cat_b} if cat_b else None},
        "changelog": {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}}


def jira_rows(out: Path) -> list[dict[str, str]]:
    with (out / "jira.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_jira_times_are_utc_with_their_zone(tmp_path: Path) -> None:
    issues = [jira_issue(1, "2026-03-02T10:00:00.000+0000"),
              jira_issue(2, "2026-03-02T20:00:00.000+0000")]
    with FakeServer(JiraApp(issues, {})) as srv:
        run = pull("jira", srv.url, tmp_path, jql="project = ITSM")
    assert run.code == 0, run.err
    rows = jira_rows(tmp_path)
    assert rows[1]["Updated"] == "2026-03-02 20:00:00Z"
    assert rows[0]["Comment"].startswith("2026-03-01 22:30:00Z;a1;")
    utc, tokyo = instants(tmp_path, "UTC"), instants(tmp_path, TOKYO)
    assert utc["tickets.opened_at"] and utc["events.at"] and utc == tokyo
    # 20:00 UTC is 05:00 the next day in Tokyo: the last day is 2026-03-03 there
    assert as_of(tmp_path, TOKYO).startswith("2026-03-03T14:59:59")


def test_freshservice_times_are_utc_with_their_zone(tmp_path: Path) -> None:
    tickets = [{"id": 100 + i, "type": "Incident", "subject": f"laptop {i}", "status": 4,
                "priority": 2, "source": 1, "requester_id": 7, "responder_id": 8,
                "group_id": 9, "created_at": f"2025-01-0{1 + i}T20:00:00Z",
                "updated_at": f"2025-01-0{2 + i}T21:00:00Z", "due_by": "2025-01-09T00:00:00Z",
                "tags": [], "stats": {"resolved_at": f"2025-01-0{2 + i}T21:00:00Z",
                                      "closed_at": None, "first_responded_at": None}}
               for i in range(5)]
    data = {"tickets": tickets, "changes": [],
            "agents": [{"id": 8, "first_name": "Alan", "last_name": "Agent"}],
            "groups": [{"id": 9, "name": "Desk"}],
            "requesters": [{"id": 7, "first_name": "Rita", "last_name": "Requester"}]}
    with FakeServer(FreshserviceApp(data)) as srv:
        run = pull("freshservice", srv.url, tmp_path, env={"ITSM_DIAG_TOKEN": TOKEN})
    assert run.code == 0, run.err
    with (tmp_path / "tickets.csv").open(newline="") as fh:
        first = next(csv.DictReader(fh))
    assert first["Created Time"] == "2025-01-01 20:00:00Z"
    utc, tokyo = instants(tmp_path, "UTC"), instants(tmp_path, TOKYO)
    assert utc["tickets.opened_at"] and utc == tokyo


# ---- 2. ServiceNow durations ----------------------------------------------------------------

def test_servicenow_durations_are_written_as_durations(tmp_path: Path) -> None:
    record = {
        "time_worked": {"display_value": "3 Days 17 Hours 21 Minutes",
                        "value": "1970-01-04 17:21:09"},
        "business_duration": {"display_value": "30 Minutes", "value": "1970-01-01 00:30:00"},
        "calendar_duration": {"display_value": "", "value": "1970-01-01 00:00:00"},
        # a date-time of 1970 (its display value is a date): a time, not a duration
        "u_epoch": {"display_value": "01-01-1970 01:00:00", "value": "1970-01-01 00:00:00"},
        "due_date": {"display_value": "03-03-2026", "value": "2026-03-03"},
    }
    row = flat(record)
    assert row["time_worked"] == "89:21:09"
    assert row["business_duration"] == "0:30:00"
    assert row["calendar_duration"] == "0:00:00"
    assert row["u_epoch"] == "1970-01-01 00:00:00Z"
    assert row["due_date"] == "2026-03-03"  # a date alone: no zone, no shift


def test_servicenow_time_worked_is_read_as_time_spent(sn_tables: dict[str, Any],
                                                     tmp_path: Path) -> None:
    tables = json.loads(json.dumps(sn_tables))
    worked = 0
    for rec in tables["incident"]:  # as the Table API gives a duration
        rec["time_worked"] = {"display_value": "1 Hour 30 Minutes",
                              "value": "1970-01-01 01:30:00"}
        worked += 1
    with FakeServer(ServiceNowApp(tables)) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    loaded = load_paths([tmp_path], ImportOptions())
    spent = loaded.tickets[m.TIME_SPENT_HOURS].dropna()
    assert len(spent) == worked and set(spent) == {1.5}
    assert not any("not durations" in n for n in loaded.notes)


# ---- 3. a lone surrogate ------------------------------------------------------------------------

def test_a_lone_surrogate_is_replaced_and_the_pull_goes_on(sn_tables: dict[str, Any],
                                                          tmp_path: Path) -> None:
    tables = {"incident": json.loads(json.dumps(sn_tables["incident"][:5]))}
    tables["incident"][0]["short_description"] = {"display_value": "VPN down \ud83d",
                                                  "value": "VPN down \ud83d"}
    tables["incident"][1]["short_description"] = {"display_value": "ok \ud83d\ude00",
                                                  "value": "ok \ud83d\ude00"}
    with FakeServer(ServiceNowApp(tables)) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        again = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    assert again.code == 0, again.err
    rows = {r["number"]: r for r in json.loads((tmp_path / "incident.json").read_text(
        encoding="utf-8"))["result"]}
    first, second = (tables["incident"][i]["number"]["value"] for i in (0, 1))
    assert rows[first]["short_description"] == "VPN down \ufffd"
    assert rows[second]["short_description"] == "ok \U0001f600"  # a pair is one character
    assert "lone surrogate" in run.err and "U+FFFD" in run.err


# ---- 4. Jira custom fields sharing a name ---------------------------------------------------

def test_jira_custom_fields_sharing_a_name_keep_the_filled_value(tmp_path: Path) -> None:
    issues = [jira_issue(1, "2026-03-02T10:00:00.000+0000", "Network", None),
              jira_issue(2, "2026-03-02T11:00:00.000+0000", None, "Hardware"),
              jira_issue(3, "2026-03-02T12:00:00.000+0000", "Access", "Software")]
    names = {"customfield_10002": "Category", "customfield_10001": "Category"}
    with FakeServer(JiraApp(issues, names)) as srv:
        run = pull("jira", srv.url, tmp_path, jql="project = ITSM")
    assert run.code == 0, run.err
    got = {r["Issue key"]: r["Custom field (Category)"] for r in jira_rows(tmp_path)}
    # both filled: the first field by id (10001)
    assert got == {"ITSM-1": "Network", "ITSM-2": "Hardware", "ITSM-3": "Access"}
    loaded = load_paths([tmp_path], ImportOptions())
    assert sorted(loaded.tickets[m.CATEGORY].dropna()) == ["Access", "Hardware", "Network"]


# ---- 5. a table left with no record ------------------------------------------------------

def test_a_table_whose_records_are_all_gone_loses_its_file(sn_tables: dict[str, Any],
                                                           tmp_path: Path) -> None:
    tables = {"incident": json.loads(json.dumps(sn_tables["incident"][:20])),
              "problem": json.loads(json.dumps(sn_tables["problem"][:1]))}
    with FakeServer(ServiceNowApp(tables)) as srv:
        first = pull("servicenow", srv.url, tmp_path, tables=["incident", "problem"])
        assert first.code == 0, first.err
        assert (tmp_path / "problem.json").exists()
        tables["problem"].clear()
        tables["incident"].pop(3)
        run = pull("servicenow", srv.url, tmp_path, tables=["incident", "problem"])
    assert run.code == 0, run.err
    assert not (tmp_path / "problem.json").exists()
    assert f"{tmp_path / 'problem.json'} removed: no record is left in it" in run.out
    assert len(json.loads((tmp_path / "incident.json").read_text())["result"]) == 19
    loaded = load_paths([tmp_path], ImportOptions())
    assert len(loaded.tickets) == 19  # no problem read from an old file


# ---- 6. Zendesk deleted tickets ---------------------------------------------------------------

def zendesk(n: int) -> ZendeskApp:
    tickets = [{"id": 1 + i, "subject": f"vpn {i}", "status": "open", "type": "incident",
                "requester_id": 1, "assignee_id": 2, "group_id": 9,
                "via": {"channel": "web"}, "created_at": "2025-01-01T08:00:00Z",
                "updated_at": f"2025-01-02T10:00:0{i}Z"} for i in range(n)]
    return ZendeskApp(tickets, [{"id": 500 + t["id"], "ticket_id": t["id"], "reopens": 0,
                                 "updated_at": t["updated_at"]} for t in tickets],
                      [{"id": 1, "name": "Rita Requester"}, {"id": 2, "name": "Alan Agent"}],
                      [{"id": 9, "name": "Service Desk"}],
                      ticket_fields=[{"id": 77, "title": "Category", "type": "tagger"}])


def test_zendesk_deleted_tickets_leave_the_files(tmp_path: Path) -> None:
    app = zendesk(3)
    with FakeServer(app) as srv:
        first = pull("zendesk", srv.url, tmp_path)
        assert first.code == 0, first.err
        app.tickets[1].update(status="deleted", updated_at="2025-01-03T09:00:00Z")
        app.tickets[2].update(status="solved", updated_at="2025-01-03T10:00:00Z")
        run = pull("zendesk", srv.url, tmp_path)
        asked = [r.query for r in srv.gets("cursor.json")]
        doc = json.loads((tmp_path / "tickets.json").read_text())
        # every ticket deleted: the files go (tickets.json, and the fields beside it)
        for t in app.tickets:
            t.update(status="deleted", updated_at="2025-01-04T09:00:00Z")
        last = pull("zendesk", srv.url, tmp_path)
    assert run.code == 0, run.err
    assert all("exclude_deleted" not in q for q in asked)
    assert [(t["id"], t["status"]) for t in doc["tickets"]] == [(1, "open"), (3, "solved")]
    assert {ms["ticket_id"] for ms in doc["metric_sets"]} == {1, 3}
    assert "1 ticket deleted in Zendesk" in run.err
    assert last.code == 0, last.err
    assert "3 tickets deleted in Zendesk" in last.err
    assert not (tmp_path / "tickets.json").exists()
    assert not (tmp_path / "ticket_fields.json").exists()
    assert "tickets.json removed: no record is left in it" in last.out


# ---- 7. a spent quota whose reset is far ----------------------------------------------------

class QuotaApp(ServiceNowApp):
    """The first answer spends the quota (``X-RateLimit-Remaining: 0``) until ``reset``."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]], reset: str) -> None:
        super().__init__(tables)
        self.reset = reset
        self.served = 0

    def get(self, path: str, query: dict[str, str]) -> Reply:
        reply = super().get(path, query)
        self.served += 1
        if self.served == 2:  # the first page (the count came first)
            reply.headers.update({"X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset": self.reset})
        return reply


def test_a_spent_quota_past_15_minutes_stops_with_one_line(sn_tables: dict[str, Any],
                                                           tmp_path: Path) -> None:
    tables = {"incident": json.loads(json.dumps(sn_tables["incident"][:30]))}
    app = QuotaApp(tables, "3600")
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
        sent = len(srv.log)
        # the page received is kept: the rerun (after the reset) goes on after it
        again = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
        resumed = srv.log[sent + 1].query["sysparm_query"]  # after the rerun's count
    assert run.code == 2
    assert run.waits == []  # nothing waited, nothing sent before the reset
    assert sent == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "asks to wait 3,600 s" in lines[0], run.err
    assert "waiting" not in run.err
    assert again.code == 0, again.err
    assert "^NQ" in resumed  # after the first page's last row, not from the start
    assert len(json.loads((tmp_path / "incident.json").read_text())["result"]) == 30


def test_a_spent_quota_within_15_minutes_is_waited_for(sn_tables: dict[str, Any],
                                                       tmp_path: Path) -> None:
    tables = {"incident": json.loads(json.dumps(sn_tables["incident"][:30]))}
    with FakeServer(QuotaApp(tables, "30")) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
    assert run.code == 0, run.err
    assert run.waits == [30.0]
