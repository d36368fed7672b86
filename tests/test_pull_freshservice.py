"""itsm-diag pull freshservice against a fake /api/v2 on 127.0.0.1, with faults injected."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pullkit import TOKEN, FakeServer, FreshserviceApp, Reply, pull

ENV = {"ITSM_DIAG_TOKEN": TOKEN}


def data(n: int = 75) -> dict[str, list[dict[str, Any]]]:
    tickets = [{"id": 100 + i, "type": "Incident" if i % 4 else "Service Request",
                "subject": f"laptop {i}", "status": 2 + i % 4, "priority": 1 + i % 4,
                "source": 1 + i % 3, "requester_id": 7, "responder_id": 8, "group_id": 9,
                "created_at": "2025-01-01T08:00:00Z",
                # 40 tickets updated in one busy second: more than a page of 30
                "updated_at": "2025-01-02T10:00:00Z" if i < 40 else
                f"2025-01-{3 + i // 10:02d}T10:00:{i % 60:02d}Z",
                "due_by": "2025-01-05T00:00:00Z", "tags": ["vip"] if i == 3 else [],
                "stats": {"resolved_at": "2025-01-04T00:00:00Z" if i % 4 == 2 else None,
                          "closed_at": None, "first_responded_at": None}}
               for i in range(n)]
    return {"tickets": tickets, "changes": [],
            "agents": [{"id": 8, "first_name": "Alan", "last_name": "Agent"}],
            "groups": [{"id": 9, "name": "Desk"}],
            "requesters": [{"id": 7, "first_name": "Rita", "last_name": "Requester"}]}


def written(out: Path) -> dict[str, dict[str, str]]:
    with (out / "tickets.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["Ticket Id"] for r in rows]
    assert len(ids) == len(set(ids)), "a ticket was written twice"
    return {r["Ticket Id"]: r for r in rows}


def served(d: dict[str, list[dict[str, Any]]], until: str = "9") -> dict[str, str]:
    return {("SR" if t["type"] == "Service Request" else "INC") + f"-{t['id']}":
            t["updated_at"].replace("T", " ")
            for t in d["tickets"] if t["updated_at"] < until}


def test_key_paging_through_a_busy_second_with_faults(tmp_path: Path) -> None:
    d = data()
    app = FreshserviceApp(d, cap=30)
    with FakeServer(app) as srv:
        srv.faults = {1: "503", 3: "429", 4: "drop"}

        def change() -> None:  # updated during the pull: read again at the end
            d["tickets"][0]["updated_at"] = "2025-02-01T00:00:00Z"
            d["tickets"][0]["status"] = 5
        srv.hooks = {5: change}
        run = pull("freshservice", srv.url, tmp_path, env=ENV)
        pages = [r.query for r in srv.gets("/tickets")]
    assert run.code == 0, run.err
    got = written(tmp_path)
    assert {k: r["Last Updated Time"] for k, r in got.items()} == served(d)
    assert got["SR-100"]["Status"] == "Closed" and got["SR-100"]["Agent"] == "Alan Agent"
    assert got["INC-103"]["Tags"] == "vip" and got["INC-102"]["Resolution Status"] == "Within SLA"
    assert all(q["order_by"] == "updated_at" and q["order_type"] == "asc" for q in pages)
    assert any(q["page"] == "2" for q in pages)  # inside the busy second only
    assert max(int(q["page"]) for q in pages) == 2
    assert not (tmp_path / "changes.csv").exists()


def test_until_and_since(tmp_path: Path) -> None:
    d = data()
    with FakeServer(FreshserviceApp(d)) as srv:
        run = pull("freshservice", srv.url, tmp_path, env=ENV, since="2025-01-03",
                   until="2025-01-09")
        first = srv.gets("/tickets")[0].query
    assert run.code == 0, run.err
    want = {k: v for k, v in served(d, "2025-01-09").items() if v >= "2025-01-03"}
    assert len(want) == 20
    assert {k: r["Last Updated Time"] for k, r in written(tmp_path).items()} == want
    assert first["updated_since"] == "2025-01-03T00:00:00Z"


def test_a_server_ignoring_the_order_stops_the_pull(tmp_path: Path) -> None:
    class Unordered(FreshserviceApp):
        def get(self, path: str, query: dict[str, str]) -> Reply:
            kept = {k: v for k, v in query.items() if k not in ("order_by", "order_type")}
            return super().get(path, kept)

    with FakeServer(Unordered(data())) as srv:
        run = pull("freshservice", srv.url, tmp_path, env=ENV)
    assert run.code == 2
    assert "not in updated_at order" in run.err


def test_the_api_key_is_required(tmp_path: Path) -> None:
    run = pull("freshservice", "https://acme.freshservice.com", tmp_path, env={})
    assert run.code == 2 and "ITSM_DIAG_TOKEN" in run.err
