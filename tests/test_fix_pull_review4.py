"""Review 4 of ``itsm-diag pull``: each defect it found, against the pullkit fakes.

ACL-empty ServiceNow pages, positions that do not advance, differences no rerun can
settle (deleted records, records touched after ``--until``), 429 backoff and Jira's ISO
reset, secrets echoed into malformed records, bad option values and a too-deep answer,
and a Freshservice ticket whose type changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from itsm_diag.pull import store
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

#: every fake below answers 404 past this many requests, so a loop cannot hang a test
CUT_OFF = 40


def incidents(n: int) -> list[dict[str, Any]]:
    """``n`` incidents with distinct, increasing update times."""
    return [sn_record({
        "number": f"INC{i:07d}", "short_description": f"ticket {i}", "state": "6 - Resolved",
        "priority": "3 - Moderate", "opened_at": "2025-01-01 08:00:00",
        "sys_updated_on": f"2025-01-{1 + i // 600:02d} {(i // 60) % 10:02d}:{i % 60:02d}:00",
    }) for i in range(n)]


def numbers(out: Path) -> list[str]:
    return [r["number"] for r in json.loads((out / "incident.json").read_text())["result"]]


# ---- 1. ServiceNow: ACLs empty a page --------------------------------------------------------

class _Acl(ServiceNowApp):
    """ACLs filter rows after the query and the limit (KB3047115): a page holds fewer rows
    than asked, or none, while X-Total-Count still counts the hidden ones."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]], hidden: set[str]) -> None:
        super().__init__(tables)
        self.hidden = hidden
        self.asked = 0

    def get(self, path: str, query: dict[str, str]) -> Reply:
        self.asked += 1
        if self.asked > CUT_OFF * 3:
            return Reply(404, {"error": {"message": "cut off"}})
        reply = super().get(path, query)
        if reply.status == 200:
            reply.body["result"] = [r for r in reply.body["result"]
                                    if r["sys_id"]["value"] not in self.hidden]
        return reply


@pytest.mark.parametrize("hide", [range(20, 35), range(3, 60, 7)], ids=["block", "scattered"])
def test_rows_acls_hide_do_not_end_the_table_and_are_said_as_unreadable(
        tmp_path: Path, hide: range) -> None:
    rows = incidents(60)
    hidden = {rows[i]["sys_id"]["value"] for i in hide}
    app = _Acl({"incident": rows}, hidden)
    readable = sorted(r["number"]["value"] for r in rows if r["sys_id"]["value"] not in hidden)
    with FakeServer(app) as srv:
        for _ in range(3):  # the same on every rerun: no exit 1 for ever
            run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
            assert run.code == 0, run.err
            assert sorted(numbers(tmp_path)) == readable  # every readable row
            assert (f"{len(hidden)} records are counted by the server among those updated at "
                    "any time but not readable by this account") in run.err
            assert "rerun" not in run.err.lower() and "during the pull" not in run.err


def test_an_offset_past_hidden_rows_is_not_kept_for_the_next_run(tmp_path: Path) -> None:
    rows = incidents(60)
    hidden = {rows[i]["sys_id"]["value"] for i in range(35, 60)}  # the last 25
    app = _Acl({"incident": rows[:60]}, hidden)
    with FakeServer(app) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10).code == 0
        assert len(numbers(tmp_path)) == 35
        # the hidden rows are deleted, and 20 readable ones are added after them
        app.tables["incident"] = rows[:35] + incidents(80)[60:]
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
    assert run.code == 0, run.err
    assert len(numbers(tmp_path)) == 55


def test_a_count_no_listing_explains_still_exits_1(tmp_path: Path) -> None:
    class Lying(ServiceNowApp):  # the count alone says one more than any page or list
        def get(self, path: str, query: dict[str, str]) -> Reply:
            reply = super().get(path, query)
            if query.get("sysparm_limit") == "1":
                reply.headers["X-Total-Count"] = str(int(reply.headers["X-Total-Count"]) + 1)
            return reply

    with FakeServer(Lying({"incident": incidents(12)})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=5)
    assert run.code == 1 and "the server counts 13 records" in run.err
    assert "not readable" not in run.err


# ---- 2. a position that does not advance -----------------------------------------------------

class _StuckZendesk(ZendeskApp):
    def get(self, path: str, query: dict[str, str]) -> Reply:
        if len(self.seen) >= CUT_OFF:
            return Reply(404, {"error": "cut off"})
        self.seen.append(query)
        if path.endswith("cursor.json") and "cursor" in query:
            return Reply(200, {"tickets": [], "after_cursor": query["cursor"],
                               "end_of_stream": False, "metric_sets": [], "users": [],
                               "groups": []})
        return super().get(path, query)


class _StuckJira(JiraApp):
    def get(self, path: str, query: dict[str, str]) -> Reply:
        if path.endswith("/search/jql"):
            if len(self.seen) >= CUT_OFF:
                return Reply(404, {"errorMessages": ["cut off"]})
            self.seen.append(query)
            return super().get(path, {**query, "nextPageToken": "0"})  # never advances
        return super().get(path, query)


class _StuckServiceNow(ServiceNowApp):
    def get(self, path: str, query: dict[str, str]) -> Reply:
        if len(self.seen) >= CUT_OFF:
            return Reply(404, {"error": {"message": "cut off"}})
        self.seen.append(query)
        if "sysparm_fields" not in query:  # the key condition ignored: the same page
            query = {**query, "sysparm_query": "ORDERBYsys_updated_on^ORDERBYsys_id"}
        return super().get(path, query)


def _jira_issues(n: int) -> list[dict[str, Any]]:
    return [{"id": str(10000 + i), "key": f"ITSM-{i}", "fields": {
        "summary": f"s{i}", "issuetype": {"name": "Incident"},
        "status": {"name": "Resolved", "statusCategory": {"name": "Done"}},
        "project": {"key": "ITSM"}, "priority": {"name": "Medium"},
        "created": "2025-01-01T08:00:00.000+0000",
        "updated": f"2025-01-02T10:00:{i:02d}.000+0000",  # one busy minute
        "comment": {"comments": [], "total": 0, "maxResults": 0}, "labels": []},
        "changelog": {"histories": [], "total": 0, "maxResults": 0}} for i in range(1, 31)]


def _stuck(tool: str) -> tuple[Any, dict[str, Any], str]:
    if tool == "zendesk":
        ts = [{"id": 1000 + i, "status": "open", "created_at": "2025-01-01T08:00:00Z",
               "updated_at": f"2025-01-02T10:00:{i:02d}Z"} for i in range(30)]
        return _StuckZendesk(ts, [], [], [], cap=10), {}, "tickets"
    if tool == "jira":
        return _StuckJira(_jira_issues(30), {}, cap=10, zone="UTC"), {"jql": "project = ITSM"}, \
            "issues"
    return _StuckServiceNow({"incident": incidents(30)}), {"tables": ["incident"],
                                                           "page_size": 10}, "incident"


@pytest.mark.parametrize("tool", ["zendesk", "jira", "servicenow"])
def test_the_same_position_twice_stops_at_once_with_nothing_journalled(
        tmp_path: Path, tool: str) -> None:
    app, options, journal = _stuck(tool)
    app.seen = []
    with FakeServer(app) as srv:
        run = pull(tool, srv.url, tmp_path, **options)
    assert run.code == 2, run.err
    assert "the server returned the same position twice" in run.err
    assert run.err.count("\n") == 1 and "cut off" not in run.err
    assert len(app.seen) <= 4
    lines = (tmp_path / store.STATE_DIR / f"{journal}.ndjson").read_text().splitlines()
    # the pages before the repeated one, once each (Jira reads its busy minute twice)
    assert len(lines) <= 20
    state = json.loads((tmp_path / store.STATE_DIR / "state.json").read_text())
    assert state["streams"][journal]["journal_bytes"] == \
        (tmp_path / store.STATE_DIR / f"{journal}.ndjson").stat().st_size


# ---- 3. differences no rerun settles ---------------------------------------------------------

def test_a_deleted_record_is_said_once_left_out_and_no_exit_1(tmp_path: Path) -> None:
    rows = incidents(20)
    with FakeServer(ServiceNowApp({"incident": rows})) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"]).code == 0
        gone = rows.pop(5)["number"]["value"]  # an admin deletes a duplicate
        first = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        assert first.code == 0, first.err
        assert "1 record received earlier is no longer returned by the server" in first.err
        assert gone in first.err and "during the pull" not in first.err
        assert "rerun" not in first.err.lower()
        assert len(numbers(tmp_path)) == 19 and gone not in numbers(tmp_path)
        again = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        assert again.code == 0 and again.err == ""  # said once
        assert len(numbers(tmp_path)) == 19


def test_a_record_touched_after_until_leaves_a_finished_range(tmp_path: Path) -> None:
    rows = incidents(20)
    opts: dict[str, Any] = {"tables": ["incident"], "since": "2025-01-01",
                            "until": "2025-02-01"}
    with FakeServer(ServiceNowApp({"incident": rows})) as srv:
        assert pull("servicenow", srv.url, tmp_path, **opts).code == 0
        rows[4]["sys_updated_on"] = {"display_value": "", "value": "2025-03-01 00:00:00"}
        first = pull("servicenow", srv.url, tmp_path, **opts)
        assert first.code == 0, first.err
        assert "no longer returned by the server among those updated from 2025-01-01" \
            in first.err and "INC0000004" in first.err
        assert "INC0000004" not in numbers(tmp_path) and len(numbers(tmp_path)) == 19
        again = pull("servicenow", srv.url, tmp_path, **opts)
        assert again.code == 0 and again.err == ""


# ---- 4. 429 -----------------------------------------------------------------------------------

class _Limited(ServiceNowApp):
    def __init__(self, headers: dict[str, str] | None = None) -> None:
        super().__init__({"incident": []})
        self.headers = headers or {}

    def get(self, path: str, query: dict[str, str]) -> Reply:
        return Reply(429, {"error": {"message": "Rate limit exceeded"}}, dict(self.headers))


def test_a_429_without_retry_after_backs_off_for_a_minute_or_more(tmp_path: Path) -> None:
    with FakeServer(_Limited()) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 2 and "rate limited (429)" in run.err
    assert len(run.waits) == 7 and sum(run.waits) >= 60
    assert run.waits[-1] > run.waits[0] * 4  # exponential, not 1 s each


def test_jiras_iso_rate_limit_reset_is_honoured(tmp_path: Path) -> None:
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)
    app = _Limited({"X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ")})
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 2 and run.waits
    assert 60 < run.waits[0] <= 180  # the reset minute, two to three minutes away


# ---- 5. a secret echoed into a record --------------------------------------------------------

LONG_TOKEN = "k" * 30 + "-a-long-api-key-0123456789"


@pytest.mark.parametrize("field", ["id", "updated_at"])
def test_a_secret_echoed_into_a_record_is_blanked_before_it_is_cut(
        tmp_path: Path, field: str) -> None:
    class Echo(FreshserviceApp):
        def get(self, path: str, query: dict[str, str]) -> Reply:
            ticket = {"id": 1, "updated_at": "2025-01-01T00:00:00Z"}
            ticket[field] = self.auth if field == "id" else f"{LONG_TOKEN}:X"
            return Reply(200, {"tickets": [ticket]})

    app = Echo({"tickets": []})
    import base64

    app.auth = "Basic " + base64.b64encode(f"{LONG_TOKEN}:X".encode()).decode()
    with FakeServer(app) as srv:
        run = pull("freshservice", srv.url, tmp_path, env={"ITSM_DIAG_TOKEN": LONG_TOKEN})
    assert run.code == 2 and "the server's answer is malformed" in run.err
    assert "***" in run.err
    for part in (LONG_TOKEN[:12], app.auth.split()[1][:12]):
        assert part not in run.err


# ---- 6. option values and a hostile answer ---------------------------------------------------

@pytest.mark.parametrize(("option", "value"), [
    ("timeout", 0.0), ("timeout", -5.0), ("timeout", float("nan")), ("timeout", float("inf")),
    ("slice_days", 999_999_999)])
def test_bad_option_values_are_usage_errors_naming_the_option(
        tmp_path: Path, option: str, value: Any) -> None:
    with FakeServer(ServiceNowApp({"incident": []})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], since="2025-01-01",
                   dry_run=True, **{option: value})
        assert srv.log == []
    assert run.code == 2 and f"--{option.replace('_', '-')}" in run.err
    assert "bug" not in run.err


def test_an_answer_nested_too_deep_is_a_malformed_answer(tmp_path: Path) -> None:
    deep = b'{"result":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(deep)))
            self.end_headers()
            self.wfile.write(deep)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        run = pull("servicenow", f"http://127.0.0.1:{httpd.server_address[1]}", tmp_path,
                   tables=["incident"])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert run.code == 2 and "the server's answer is malformed" in run.err
    assert "too deep" in run.err and "bug" not in run.err and run.waits == []
    assert len(asked) == 1  # the first answer (the count): not retried


# ---- 7. Freshservice: a ticket whose type changes --------------------------------------------

def test_a_freshservice_ticket_whose_type_changes_is_one_ticket(tmp_path: Path) -> None:
    def ticket(i: int, kind: str, updated: str, status: int = 2) -> dict[str, Any]:
        return {"id": i, "type": kind, "subject": f"s{i}", "status": status, "priority": 2,
                "source": 1, "requester_id": 7, "responder_id": 8, "group_id": 9,
                "created_at": "2025-01-01T08:00:00Z", "updated_at": updated,
                "due_by": "2025-01-03T08:00:00Z", "tags": [],
                "stats": {"resolved_at": None, "closed_at": None, "first_responded_at": None}}

    data: dict[str, list[dict[str, Any]]] = {
        "tickets": [ticket(i, "Incident", f"2025-01-02T{i:02d}:00:00Z") for i in range(1, 11)],
        "changes": [], "agents": [{"id": 8, "first_name": "Ann"}],
        "groups": [{"id": 9, "name": "Desk"}], "requesters": [{"id": 7, "first_name": "Bob"}]}
    env = {"ITSM_DIAG_TOKEN": TOKEN}
    with FakeServer(FreshserviceApp(data)) as srv:
        assert pull("freshservice", srv.url, tmp_path, env=env).code == 0
        data["tickets"][2] = ticket(3, "Service Request", "2025-01-05T10:00:00Z", status=4)
        run = pull("freshservice", srv.url, tmp_path, env=env)
    assert run.code == 0, run.err
    with (tmp_path / "tickets.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["Ticket Id"], r["Status"]) for r in rows if r["Ticket Id"].endswith("-3")] \
        == [("SR-3", "Resolved")]
    assert len(rows) == 10


# ---- a diff review: the listing reads answers as the pull does -------------------------------

class _BadListing(ServiceNowApp):
    """A table that lost a record, whose id listing answers an empty page that its count
    says is not the end, with a Link no URL parser reads."""

    def get(self, path: str, query: dict[str, str]) -> Reply:
        reply = super().get(path, query)
        if query.get("sysparm_fields") == "sys_id,sys_updated_on" and reply.status == 200:
            return Reply(200, {"result": []}, {
                **reply.headers, "X-Total-Count": "19",
                "Link": '<https://[x/api/now/table/incident?sysparm_offset=10>; rel="next"'})
        return reply


def test_an_unreadable_listing_answer_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    rows = incidents(20)
    with FakeServer(_BadListing({"incident": rows})) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"]).code == 0
        rows.pop(5)  # the count now differs, so the ids are listed
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 2, run.err
    assert "not in the shape the servicenow API documents" in run.err
    assert "Traceback" not in run.err and "bug" not in run.err
