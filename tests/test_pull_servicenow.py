"""itsm-diag pull servicenow against a fake Table API on 127.0.0.1, with faults injected.

Every test asserts the exact records written: the server's latest version of each row,
each once, nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from itsm_diag.pull import store
from pullkit import (
    ENV,
    PASSWORD,
    FakeServer,
    Killed,
    Reply,
    ServiceNowApp,
    pull,
    sn_record,
    sys_id,
)


def incidents(n: int, day: int = 1, prefix: str = "INC") -> list[dict[str, Any]]:
    """``n`` rows; every third shares its update second with the one before (ties the
    key paging must break by sys_id)."""
    rows = []
    for i in range(n):
        second = i - (1 if i % 3 == 2 else 0)
        rows.append(sn_record({
            "number": f"{prefix}{i:07d}", "short_description": f"printer {i} jams",
            "state": "6 - Resolved" if i % 2 else "2 - In Progress",
            "priority": "3 - Moderate", "assignment_group": "Service Desk",
            "assigned_to": "Ada Lovelace", "caller_id": f"Caller {i % 7}",
            "opened_at": f"2025-01-{day:02d} 08:00:00",
            "sys_updated_on": f"2025-01-{day + second // 3600:02d} "
                              f"{9 + (second % 3600) // 60:02d}:{second % 60:02d}:00",
        }))
    return rows


def written(out: Path, table: str = "incident") -> dict[str, dict[str, Any]]:
    doc = json.loads((out / f"{table}.json").read_text())
    rows = doc["result"]
    numbers = [r["number"] for r in rows]
    assert len(numbers) == len(set(numbers)), "a record was written twice"
    return {r["number"]: r for r in rows}


def expected(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["number"]["value"]: r["sys_updated_on"]["value"] for r in rows}


def updated(out: Path, table: str = "incident") -> dict[str, str]:
    # written in UTC with its zone (a Z), so that diagnose --tz does not shift it
    return {k: r["sys_updated_on"].removesuffix("Z") for k, r in written(out, table).items()}


@pytest.fixture
def server() -> Any:
    app = ServiceNowApp({"incident": incidents(57), "problem": incidents(5, prefix="PRB")},
                        cap=10)
    with FakeServer(app) as srv:
        yield srv


def test_pages_past_the_servers_cap_on_page_size(server: FakeServer, tmp_path: Path) -> None:
    run = pull("servicenow", server.url, tmp_path, tables=["incident", "problem"])
    assert run.code == 0, run.err
    assert updated(tmp_path) == expected(server.app.tables["incident"])
    assert updated(tmp_path, "problem") == expected(server.app.tables["problem"])
    pages = [r for r in server.gets("/incident") if r.query.get("sysparm_limit") == "1000"]
    assert len(pages) == 6  # 57 rows, 10 a page (asked 1000: the cap answers shorter pages)
    assert all(r.query["sysparm_offset"] == "0" for r in pages)  # key paging, no offsets
    assert all(r.query["sysparm_display_value"] == "all" for r in pages)
    assert {r.method for r in server.log} == {"GET"}
    row = written(tmp_path)["INC0000001"]
    # display values, except times: the stored UTC value, not the user's zone and format
    assert row["state"] == "6 - Resolved" and row["assignment_group"] == "Service Desk"
    assert row["opened_at"] == "2025-01-01 08:00:00Z"
    assert row["sys_id"] == sys_id("INC0000001")
    assert "pulled 62 records" in run.out


def test_short_pages_without_link_headers(tmp_path: Path) -> None:
    app = ServiceNowApp({"incident": incidents(23)}, cap=4, links=False)
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=5)
    assert run.code == 0, run.err
    assert updated(tmp_path) == expected(app.tables["incident"])


def test_429_503_and_a_dropped_connection_are_retried(server: FakeServer,
                                                        tmp_path: Path) -> None:
    server.faults = {2: "429", 3: "503", 5: "drop", 6: "drop", 9: "503"}
    run = pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    assert updated(tmp_path) == expected(server.app.tables["incident"])
    assert run.waits[0] == 2.0  # Retry-After honoured
    assert len(run.waits) == 5 and all(0 <= w <= 60 for w in run.waits[1:])
    assert "rate limited (429)" in run.err and "server error (503)" in run.err
    assert "transfer broke" in run.err


def test_gives_up_after_the_bounded_retries(server: FakeServer, tmp_path: Path) -> None:
    server.faults = {n: "503" for n in range(2, 40)}
    run = pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert run.code == 2
    assert "gave up on table incident at 127.0.0.1 after 8 tries: server error (503)" in run.err
    assert "rerun the same command" in run.err
    # and the rerun, with the server well again, ends with every row
    server.faults = {}
    assert pull("servicenow", server.url, tmp_path, tables=["incident"]).code == 0
    assert updated(tmp_path) == expected(server.app.tables["incident"])


def test_records_updated_and_added_during_the_pull(server: FakeServer, tmp_path: Path) -> None:
    rows = server.app.tables["incident"]

    def change() -> None:
        # one row already received, one not yet: both now updated last; and a new row
        for i in (1, 40):
            rows[i]["sys_updated_on"] = {"display_value": "", "value": "2025-02-01 12:00:00"}
            rows[i]["state"] = {"display_value": "7 - Closed", "value": "7"}
        rows.append(incidents(60)[58] | {"sys_updated_on": {
            "display_value": "", "value": "2025-02-01 12:00:01"}})

    server.hooks = {4: change}  # after two pages of ten were read
    run = pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    got = written(tmp_path)
    assert {k: r["sys_updated_on"].removesuffix("Z") for k, r in got.items()} == expected(rows)
    assert len(got) == 58
    assert got["INC0000001"]["state"] == "7 - Closed" and got["INC0000040"]["state"] == "7 - Closed"


@pytest.mark.parametrize("where", ["after the state", "between journal and state"])
def test_an_interrupted_run_resumes_and_ends_with_each_record_once(
        server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    calls = {"n": 0}
    if where == "after the state":
        real = store.State.save

        def save(self: store.State) -> None:
            real(self)
            calls["n"] += 1
            if calls["n"] == 3:
                raise Killed
        monkeypatch.setattr(store.State, "save", save)
    else:
        real_append = store.Journal.append

        def append(self: store.Journal, kind: str, records: list[Any]) -> int:
            size = real_append(self, kind, records)
            calls["n"] += 1
            if calls["n"] == 3:  # the page is in the journal, the state does not know it
                raise Killed
            return size
        monkeypatch.setattr(store.Journal, "append", append)
    with pytest.raises(Killed):
        pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert not (tmp_path / "incident.json").exists()  # no partial file to diagnose
    monkeypatch.undo()
    before = len(server.log)
    run = pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    assert updated(tmp_path) == expected(server.app.tables["incident"])
    pages = [r for r in server.log[before:] if r.query.get("sysparm_limit") == "1000"]
    # three of six pages were saved; the third again when it was cut off before the state
    assert len(pages) == (3 if where == "after the state" else 4)
    lines = (tmp_path / store.STATE_DIR / "incident.ndjson").read_text().splitlines()
    assert len(lines) == 57  # each page landed in the journal exactly once


def test_a_rerun_fetches_only_what_changed_since(server: FakeServer, tmp_path: Path) -> None:
    assert pull("servicenow", server.url, tmp_path, tables=["incident"]).code == 0
    rows = server.app.tables["incident"]
    rows[3]["sys_updated_on"] = {"display_value": "", "value": "2025-03-01 00:00:00"}
    rows[3]["state"] = {"display_value": "7 - Closed", "value": "7"}
    before = len(server.log)
    run = pull("servicenow", server.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    pages = [r for r in server.log[before:] if r.query.get("sysparm_limit") == "1000"]
    assert len(pages) == 1 and "sys_updated_on>" in pages[0].query["sysparm_query"]
    got = written(tmp_path)
    assert len(got) == 57 and got["INC0000003"]["state"] == "7 - Closed"


def test_since_and_until_cut_the_range_into_windows(server: FakeServer, tmp_path: Path) -> None:
    rows = server.app.tables["incident"]
    for i, r in enumerate(rows):  # spread over 57 days
        r["sys_updated_on"] = {"display_value": "",
                               "value": f"2025-{1 + i // 28:02d}-{1 + i % 28:02d} 10:00:00"}
    run = pull("servicenow", server.url, tmp_path, tables=["incident"], since="2025-01-10",
               until="2025-02-20", slice_days=7)
    assert run.code == 0, run.err
    want = {k: v for k, v in expected(rows).items()
            if "2025-01-10" <= v < "2025-02-20"}
    assert updated(tmp_path) == want and len(want) == 38
    queries = {r.query["sysparm_query"] for r in server.gets("/incident")
               if r.query.get("sysparm_limit") == "1000" and "NQ" not in r.query["sysparm_query"]}
    assert "sys_updated_on>=2025-01-10 00:00:00^sys_updated_on<2025-01-17 00:00:00^" \
           "ORDERBYsys_updated_on^ORDERBYsys_id" in queries
    assert len(queries) == 6  # six windows of at most 7 days


class _Lying(ServiceNowApp):
    """Counts one record more than it serves (a row hidden by an ACL, say)."""

    def get(self, path: str, query: dict[str, str]) -> Reply:
        reply = super().get(path, query)
        if query.get("sysparm_fields") == "sys_id":
            reply.headers["X-Total-Count"] = str(int(reply.headers["X-Total-Count"]) + 1)
        return reply


def test_a_count_the_records_do_not_match_is_said_and_exits_1(tmp_path: Path) -> None:
    app = _Lying({"incident": incidents(12)}, cap=5)
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], until="2026-01-01")
    assert run.code == 1
    assert "table incident: the server counts 13 records updated before 2026-01-01T00:00:00Z, " \
           "but 12 distinct ones were received" in run.err
    assert updated(tmp_path) == expected(app.tables["incident"])  # what was received


@pytest.mark.parametrize(("status", "says"), [
    (401, "the server refused the credentials (401): check ITSM_DIAG_USER and "
          "ITSM_DIAG_PASSWORD"),
    (403, "the account may not read table incident (403)"),
    (404, "table incident was not found at 127.0.0.1 (404): check --url"),
])
def test_refusals_stop_with_one_line(tmp_path: Path, status: int, says: str) -> None:
    class Refusing(ServiceNowApp):
        def get(self, path: str, query: dict[str, str]) -> Reply:
            return Reply(status, {"error": {"message": "no", "detail": PASSWORD}})

    with FakeServer(Refusing({"incident": []})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        assert len(srv.log) == 1  # no retry of a refusal
    assert run.code == 2
    assert says in run.err and run.err.count("\n") == 1
    assert PASSWORD not in run.err


def test_dry_run_prints_requests_and_an_estimate_and_writes_nothing(
        server: FakeServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = pull("servicenow", server.url, out, tables=["incident"], since="2025-01-01",
               dry_run=True)
    assert run.code == 0, run.err
    assert "GET http://127.0.0.1" in run.out and "/api/now/table/incident?sysparm_query=" in run.out
    # one request a window at least: 2025-01-01 to now in windows of 30 days
    assert "the server counts 57 records: about " in run.out
    assert not out.exists()
    assert all(r.query.get("sysparm_limit") == "1" for r in server.log)  # counts only
    assert {r.method for r in server.log} == {"GET"}


def test_another_pulls_folder_is_refused(server: FakeServer, tmp_path: Path) -> None:
    assert pull("servicenow", server.url, tmp_path, tables=["incident"]).code == 0
    run = pull("servicenow", server.url, tmp_path, tables=["problem"])
    assert run.code == 2 and "holds another pull" in run.err
    assert "ENV" not in run.err and ENV["ITSM_DIAG_PASSWORD"] not in run.err
