"""A ServiceNow record the server lists but no page brought is fetched by its id.

Before, such a record (an import that writes ``sys_updated_on`` itself, a row that became
readable after it was paged past, a tie at a page boundary) was said as "not received"
and the run exited 1; in an open range (no ``--until``) every rerun paged on from the
saved position, after the record's update time, and said the same thing for ever. Now
the ids the listing names are asked for (``sysparm_query=sys_idIN...``, 100 a request at
most, the paged requests' fields and display settings), journalled like a page, and only
what that does not bring is said.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from itsm_diag.pull import store
from pullkit import FakeServer, Killed, Reply, ServiceNowApp, pull, sn_record

#: every fake below answers 404 past this many requests, so a loop cannot hang a test
CUT_OFF = 60
_IN = re.compile(r"sys_idIN([^^]*)")


def incidents(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` incidents with distinct, increasing update times."""
    return [sn_record({
        "number": f"INC{i:07d}", "short_description": f"ticket {i}", "state": "6 - Resolved",
        "priority": "3 - Moderate", "assignment_group": "Service Desk",
        "opened_at": "2025-01-01 08:00:00",
        "sys_updated_on": f"2025-01-{1 + i // 600:02d} {(i // 60) % 10:02d}:{i % 60:02d}:00",
    }) for i in range(start, start + n)]


def sid(row: dict[str, Any]) -> str:
    return str(row["sys_id"]["value"])


def numbers(out: Path) -> list[str]:
    return sorted(r["number"] for r in json.loads((out / "incident.json").read_text())["result"])


def by_id(srv: FakeServer, since: int = 0) -> list[list[str]]:
    """The ids each by-id request asked for (``sys_idIN``), in order."""
    asked = []
    for r in srv.log[since:]:
        found = _IN.findall(r.query.get("sysparm_query", ""))
        if found:
            asked.append(found[0].split(","))
    return asked


class _Hiding(ServiceNowApp):
    """Counts and lists (``sysparm_fields``) every row; the paged query never sees the
    rows in ``hidden`` (a record whose ``sys_updated_on`` lies before where the paging
    stands, a row that became readable after it was paged past); asked for by id
    (``sys_idIN``, an encoded-query operator the base fake does not read), it returns
    them, except those in ``lost`` (deleted, or not returned to the account)."""

    def __init__(self, rows: list[dict[str, Any]], hidden: set[str],
                 lost: set[str] | None = None, cap: int = 10_000) -> None:
        super().__init__({"incident": rows}, cap=cap)
        self.hidden = hidden
        self.lost = lost or set()
        self.paged = False
        self.asked = 0

    def get(self, path: str, query: dict[str, str]) -> Reply:
        self.asked += 1
        if self.asked > CUT_OFF:
            return Reply(404, {"error": {"message": "cut off"}})
        self.paged = ("sysparm_fields" not in query
                      and "sys_idIN" not in query.get("sysparm_query", ""))
        return super().get(path, query)

    def select(self, table: str, query: str) -> list[dict[str, Any]]:
        found = _IN.findall(query)
        if found:  # the same list in every ^NQ group (an AND in each)
            assert len(set(found)) == 1, query
            wanted = set(found[0].split(",")) - self.lost
            rows = super().select(table, _IN.sub("", query))
            return [r for r in rows if sid(r) in wanted]
        rows = super().select(table, query)
        return [r for r in rows if not (self.paged and sid(r) in self.hidden)]


# ---- 1. open range: the record no page brings is fetched by id, exit 0 -----------------------

def test_a_listed_record_no_page_brings_is_fetched_by_id_and_written(tmp_path: Path) -> None:
    rows = incidents(30)
    missing = rows[12]
    app = _Hiding(rows, hidden={sid(missing)})
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path / "out", tables=["incident"], page_size=10)
        assert run.code == 0, run.err
        assert run.err == ""
        assert numbers(tmp_path / "out") == sorted(r["number"]["value"] for r in rows)
        assert by_id(srv) == [[sid(missing)]]
        ask = next(r for r in srv.log if "sys_idIN" in r.query.get("sysparm_query", ""))
        # asked as a page is: every field, display values, no reference links
        assert ask.query["sysparm_display_value"] == "all"
        assert ask.query["sysparm_exclude_reference_link"] == "true"
        assert "sysparm_fields" not in ask.query
        assert ask.query["sysparm_query"].endswith("ORDERBYsys_updated_on^ORDERBYsys_id")
        # journalled: a rerun keeps it without asking again
        before = len(srv.log)
        again = pull("servicenow", srv.url, tmp_path / "out", tables=["incident"],
                     page_size=10)
        assert again.code == 0 and again.err == ""
        assert by_id(srv, before) == []
        assert numbers(tmp_path / "out") == sorted(r["number"]["value"] for r in rows)
    # shaped exactly as a paged row: the file is the one a pull that paged it writes
    with FakeServer(ServiceNowApp({"incident": rows})) as srv:
        assert pull("servicenow", srv.url, tmp_path / "ref", tables=["incident"]).code == 0
    assert (tmp_path / "out" / "incident.json").read_bytes() == \
        (tmp_path / "ref" / "incident.json").read_bytes()


def test_a_record_imported_with_an_earlier_update_time_is_fetched_on_the_rerun(
        tmp_path: Path) -> None:
    """The defect as a user meets it: a monthly open-range pull, and an import that wrote
    ``sys_updated_on`` before the saved position. Before, every rerun exited 1."""
    rows = incidents(20)
    with FakeServer(_Hiding(rows, hidden=set())) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"]).code == 0
        imported = incidents(1, start=500)[0]
        imported["sys_updated_on"] = {"display_value": "", "value": "2025-01-01 00:00:30"}
        rows.append(imported)
        for _ in range(2):  # and no exit 1 on the run after either
            run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
            assert run.code == 0, run.err
            assert run.err == ""
            assert "INC0000500" in numbers(tmp_path) and len(numbers(tmp_path)) == 21


# ---- 2. not returned by id either: said, exit 1, no loop -------------------------------------

def test_a_record_not_returned_by_id_either_is_said_and_the_rerun_does_not_loop(
        tmp_path: Path) -> None:
    rows = incidents(30)
    missing = sid(rows[7])
    app = _Hiding(rows, hidden={missing}, lost={missing})
    line = ("table incident: the server lists 1 record updated at any time that was not "
            "received, neither in its pages nor when asked for by its id")
    with FakeServer(app) as srv:
        for _ in range(2):
            before = len(srv.log)
            run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=10)
            assert run.code == 1, run.err
            assert line in run.err and missing in run.err
            assert "Traceback" not in run.err and "cut off" not in run.err
            assert by_id(srv, before) == [[missing]]  # asked once a run
            assert len(srv.log) - before <= 12
            assert len(numbers(tmp_path)) == 29  # what was received
        assert app.asked <= CUT_OFF


# ---- 3. a bounded range --------------------------------------------------------------------------

def test_a_bounded_range_fetches_by_id_and_else_reads_the_window_again(tmp_path: Path) -> None:
    rows = incidents(30)
    missing = sid(rows[20])
    opts: dict[str, Any] = {"tables": ["incident"], "page_size": 10, "since": "2025-01-01",
                            "until": "2025-02-01", "slice_days": 10}
    app = _Hiding(rows, hidden={missing}, lost={missing})
    with FakeServer(app) as srv:
        first = pull("servicenow", srv.url, tmp_path, **opts)
        assert first.code == 1 and "when asked for by its id" in first.err
        # asked by id within the range
        ask = next(r for r in srv.log if "sys_idIN" in r.query.get("sysparm_query", ""))
        assert "sys_updated_on>=2025-01-01 00:00:00^sys_updated_on<2025-02-01 00:00:00" \
            in ask.query["sysparm_query"]
        # as before: the window that holds it is read again whole by the rerun
        state = json.loads((tmp_path / store.STATE_DIR / "state.json").read_text())
        win = state["streams"]["incident"]["windows"][0]
        assert win["cursor"] is None and win["done"] is False
        app.hidden = set()
        app.lost = set()
        before = len(srv.log)
        again = pull("servicenow", srv.url, tmp_path, **opts)
        assert again.code == 0 and again.err == ""
        assert by_id(srv, before) == []  # the window read again brought it
        assert len(numbers(tmp_path)) == 30
    # and a record the pages miss but its id brings: exit 0 on the first run
    rows = incidents(30)
    with FakeServer(_Hiding(rows, hidden={sid(rows[3])})) as srv:
        run = pull("servicenow", srv.url, tmp_path / "b", **opts)
        assert run.code == 0 and run.err == ""
        assert len(numbers(tmp_path / "b")) == 30 and by_id(srv) == [[sid(rows[3])]]


# ---- 4. batches ------------------------------------------------------------------------------

@pytest.mark.parametrize(("page_size", "cap", "batches"), [
    (None, 10_000, [100, 100, 50]),
    (None, 30, [100, 100, 50]),  # the instance's cap: each batch paged by key
    (40, 10_000, [40] * 6 + [10]),  # a smaller --page-size: batches of that size
], ids=["default", "capped", "page-size"])
def test_250_missing_ids_are_asked_for_in_batches(
        tmp_path: Path, page_size: int | None, cap: int, batches: list[int]) -> None:
    rows = incidents(300)
    hidden = {sid(r) for r in rows[20:270]}
    app = _Hiding(rows, hidden=hidden, cap=cap)
    with FakeServer(app) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], page_size=page_size)
        assert run.code == 0, run.err
        assert len(numbers(tmp_path)) == 300
        asked = by_id(srv)
        # a batch's later pages (cap) repeat its ids in each ^NQ group
        firsts = [ids for ids, r in zip(asked, [r for r in srv.log if "sys_idIN" in
                                                 r.query.get("sysparm_query", "")],
                                        strict=True)
                  if "^NQ" not in r.query["sysparm_query"]]
        assert [len(ids) for ids in firsts] == batches
        assert {i for ids in firsts for i in ids} == hidden
        if cap == 10_000:
            assert len(asked) == len(batches)
    lines = (tmp_path / store.STATE_DIR / "incident.ndjson").read_text().splitlines()
    assert len(lines) == 300  # each record journalled once


def test_an_interrupted_fetch_by_id_resumes_with_what_it_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = incidents(300)
    hidden = {sid(r) for r in rows[20:270]}
    app = _Hiding(rows, hidden=hidden)
    real = store.Journal.append
    calls = {"n": 0}

    def append(self: store.Journal, kind: str, records: list[Any]) -> int:
        size = real(self, kind, records)
        calls["n"] += 1
        if calls["n"] == 3:  # the page, the first batch; the second is cut off
            raise Killed
        return size

    with FakeServer(app) as srv:
        monkeypatch.setattr(store.Journal, "append", append)
        with pytest.raises(Killed):
            pull("servicenow", srv.url, tmp_path, tables=["incident"])
        monkeypatch.undo()
        assert not (tmp_path / "incident.json").exists()
        before = len(srv.log)
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        assert run.code == 0, run.err
        assert [len(ids) for ids in by_id(srv, before)] == [100, 50]
    assert len(numbers(tmp_path)) == 300
    lines = (tmp_path / store.STATE_DIR / "incident.ndjson").read_text().splitlines()
    assert len(lines) == 300
