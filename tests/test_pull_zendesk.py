"""itsm-diag pull zendesk against a fake cursor-based incremental export on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from itsm_diag.pull import store
from pullkit import FakeServer, Killed, ZendeskApp, pull


def tickets(n: int) -> list[dict[str, Any]]:
    return [{"id": 1000 + i, "subject": f"vpn {i}", "status": "open", "type": "incident",
             "requester_id": 1, "assignee_id": 2, "group_id": 9, "via": {"channel": "web"},
             "created_at": "2025-01-01T08:00:00Z",
             "updated_at": f"2025-01-{1 + i // 10:02d}T10:00:{i % 3:02d}Z"} for i in range(n)]


def app(n: int = 45, cap: int = 10) -> ZendeskApp:
    ts = tickets(n)
    return ZendeskApp(ts, [{"id": 5000 + t["id"], "ticket_id": t["id"], "reopens": 0,
                            "updated_at": t["updated_at"]} for t in ts],
                      [{"id": 1, "name": "Rita Requester"}, {"id": 2, "name": "Alan Agent"}],
                      [{"id": 9, "name": "Service Desk"}], cap=cap)


def written(out: Path) -> dict[int, dict[str, Any]]:
    doc = json.loads((out / "tickets.json").read_text())
    ids = [t["id"] for t in doc["tickets"]]
    assert len(ids) == len(set(ids)), "a ticket was written twice"
    assert {m["ticket_id"] for m in doc["metric_sets"]} == set(ids)
    assert doc["users"] and doc["groups"]
    return {t["id"]: t for t in doc["tickets"]}


def served(a: ZendeskApp, until: str = "9") -> dict[int, str]:
    return {t["id"]: t["updated_at"] for t in a.tickets if t["updated_at"] < until}


EXPORT = "/api/v2/incremental/tickets/cursor.json"


def test_cursor_export_with_faults_and_a_capped_page_size(tmp_path: Path) -> None:
    a = app()
    with FakeServer(a) as srv:
        srv.faults = {1: "429", 3: "drop", 4: "503"}
        run = pull("zendesk", srv.url, tmp_path, since="2025-01-01", page_size=1000)
        log = srv.log
    assert run.code == 0, run.err
    assert {k: t["updated_at"] for k, t in written(tmp_path).items()} == served(a)
    assert run.waits[0] == 2.0
    assert log[0].query["start_time"] == "1735689600"  # 2025-01-01 as Unix time
    assert log[0].query["include"] == "metric_sets,users,groups"
    exports = [r for r in log if r.path == EXPORT]
    assert all("cursor" in r.query for r in exports[2:])
    assert {r.method for r in log} == {"GET"}


def test_updates_during_the_pull_and_a_resumed_run(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a = app()

    def change() -> None:
        a.tickets[0]["updated_at"] = "2025-02-01T00:00:00Z"  # received already
        a.tickets[0]["status"] = "solved"
        a.tickets[30]["updated_at"] = "2025-02-01T00:00:01Z"  # not yet
        a.metrics[a.tickets[0]["id"]]["updated_at"] = "2025-02-01T00:00:00Z"
        a.metrics[a.tickets[0]["id"]]["reopens"] = 1

    saves = {"n": 0}
    real = store.State.save

    def save(self: store.State) -> None:
        real(self)
        saves["n"] += 1
        if saves["n"] == 3:
            raise Killed

    monkeypatch.setattr(store.State, "save", save)
    with FakeServer(a) as srv:
        srv.hooks = {2: change}
        with pytest.raises(Killed):
            pull("zendesk", srv.url, tmp_path)
        monkeypatch.undo()
        run = pull("zendesk", srv.url, tmp_path)
        assert run.code == 0, run.err
        got = written(tmp_path)
        assert {k: t["updated_at"] for k, t in got.items()} == served(a)
        assert got[1000]["status"] == "solved"
        doc = json.loads((tmp_path / "tickets.json").read_text())
        assert [m["reopens"] for m in doc["metric_sets"] if m["ticket_id"] == 1000] == [1]
        # a finished pull rerun asks from its last cursor: nothing new, one request
        before = [r for r in srv.log if r.path == EXPORT]
        assert pull("zendesk", srv.url, tmp_path).code == 0
        after = [r for r in srv.log if r.path == EXPORT]
        assert len(after) == len(before) + 1 and "cursor" in after[-1].query


def test_until_keeps_what_was_last_updated_before_it(tmp_path: Path) -> None:
    a = app()
    with FakeServer(a) as srv:
        run = pull("zendesk", srv.url, tmp_path, until="2025-01-03")
        asked = sum(r.path == EXPORT for r in srv.log)
    assert run.code == 0, run.err
    assert {k: t["updated_at"] for k, t in written(tmp_path).items()} == served(
        a, "2025-01-03")
    # the export has no end time and is not in updated_at order: read to its end
    assert asked == 5


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_the_range_is_on_updated_at_whatever_the_page_size(tmp_path: Path,
                                                           page_size: int) -> None:
    # the export streams by generated_timestamp, which system changes move: ticket 2 was
    # last updated on 1 March (inside the range) but stands after 20 March in the stream;
    # ticket 4 stands after --since but was last updated before it
    def at(day: str) -> int:
        import datetime as dt

        return int(dt.datetime.fromisoformat(f"2025-03-{day}T00:00:00+00:00").timestamp())

    base = {"subject": "x", "status": "solved", "requester_id": 1, "assignee_id": 2,
            "group_id": 9, "created_at": "2025-01-01T00:00:00Z"}
    ts = [{**base, "id": 1, "updated_at": "2025-03-02T00:00:00Z", "generated_timestamp": at("02")},
          {**base, "id": 3, "updated_at": "2025-03-15T00:00:00Z", "generated_timestamp": at("15")},
          {**base, "id": 2, "updated_at": "2025-03-01T12:00:00Z", "generated_timestamp": at("20")},
          {**base, "id": 4, "updated_at": "2025-02-27T00:00:00Z", "generated_timestamp": at("21")}]
    a = ZendeskApp(ts, [{"id": 50 + t["id"], "ticket_id": t["id"], "reopens": 0,
                         "updated_at": t["updated_at"]} for t in ts],
                   [{"id": 1, "name": "Rita Requester"}, {"id": 2, "name": "Alan Agent"}],
                   [{"id": 9, "name": "Service Desk"}], cap=page_size)
    with FakeServer(a) as srv:
        run = pull("zendesk", srv.url, tmp_path, since="2025-03-01", until="2025-03-10",
                   page_size=page_size)
    assert run.code == 0, run.err
    assert sorted(written(tmp_path)) == [1, 2]


def test_ticket_fields_are_pulled_page_by_page(tmp_path: Path) -> None:
    # the tickets carry custom fields by id: the fields' names come from ticket_fields
    a = app()
    a.ticket_fields = [{"id": 360000000 + i, "title": f"Field {i}", "type": "text",
                        "updated_at": "2024-06-01T00:00:00Z"} for i in range(150)]
    with FakeServer(a) as srv:
        run = pull("zendesk", srv.url, tmp_path)
        fields = [r for r in srv.log if r.path == "/api/v2/ticket_fields.json"]
    assert run.code == 0, run.err
    assert len(fields) == 2 and fields[1].query["page[size]"] == "100"
    doc = json.loads((tmp_path / "ticket_fields.json").read_text())
    assert [f["id"] for f in doc["ticket_fields"]] == [f["id"] for f in a.ticket_fields]


def test_credentials_per_zendesk_convention(tmp_path: Path) -> None:
    import base64

    a = app(5)
    a.auth = "Basic " + base64.b64encode(b"agent@example.com/token:zd-api-token").decode()
    with FakeServer(a) as srv:
        run = pull("zendesk", srv.url, tmp_path, env={"ITSM_DIAG_USER": "agent@example.com",
                                                      "ITSM_DIAG_TOKEN": "zd-api-token"})
    assert run.code == 0, run.err
    assert len(written(tmp_path)) == 5
