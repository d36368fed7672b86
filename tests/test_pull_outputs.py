"""A pull writes its files into --out, and never over a file it did not write there
itself: an export the user saved in that folder is an input, and an output never
replaces an input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from itsm_diag.pull import store
from pullkit import (
    TOKEN,
    FakeServer,
    FreshserviceApp,
    JiraApp,
    Killed,
    ServiceNowApp,
    ZendeskApp,
    pull,
    sn_record,
)


def rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [sn_record({"number": f"INC{i:07d}", "sys_updated_on": f"2025-01-01 10:00:{i:02d}",
                       "short_description": "x"}) for i in range(start, start + n)]


def zendesk() -> ZendeskApp:
    t = {"id": 1, "subject": "x", "status": "open", "requester_id": 1,
         "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
    return ZendeskApp([t], [], [{"id": 1, "name": "R"}], [])


CASES = {  # tool, the file a user may have saved there, the fake, the options
    "incident.json": ("servicenow", lambda: ServiceNowApp({"incident": rows(3)}),
                      {"tables": ["incident"]}),
    "jira.csv": ("jira", lambda: JiraApp([], {}), {"jql": "project = A"}),
    "tickets.json": ("zendesk", zendesk, {}),
    "ticket_fields.json": ("zendesk", zendesk, {}),
    "tickets.csv": ("freshservice", lambda: FreshserviceApp({
        "tickets": [], "changes": [], "agents": [], "groups": [], "requesters": []}),
        {"env": {"ITSM_DIAG_TOKEN": TOKEN}}),
    "changes.csv": ("freshservice", lambda: FreshserviceApp({
        "tickets": [], "changes": [], "agents": [], "groups": [], "requesters": []}),
        {"env": {"ITSM_DIAG_TOKEN": TOKEN}}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_file_the_user_put_in_out_is_never_replaced(name: str, tmp_path: Path) -> None:
    tool, make, options = CASES[name]
    mine = tmp_path / name
    mine.write_text("the user's own export, 5000 rows\n")
    with FakeServer(make()) as srv:
        run = pull(tool, srv.url, tmp_path, **options)
        asked = len(srv.log)
    assert run.code == 2
    assert mine.read_text() == "the user's own export, 5000 rows\n"
    assert asked == 0  # said before the first request, not after an hour of paging
    assert name in run.err and "no earlier pull into this folder wrote this file" in run.err
    assert "move it out of the folder, or pull into another --out" in run.err
    assert run.err.count("\n") == 1


def test_a_rerun_replaces_its_own_files_but_not_one_edited_since(tmp_path: Path) -> None:
    app = ServiceNowApp({"incident": rows(3)})
    with FakeServer(app) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"]).code == 0
        app.tables["incident"] += rows(2, start=3)
        again = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        assert again.code == 0, again.err
        assert len(json.loads((tmp_path / "incident.json").read_text())["result"]) == 5
        # the file the pull wrote, replaced by the user: theirs now
        (tmp_path / "incident.json").write_text('{"result": []}')
        third = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert third.code == 2 and "incident.json" in third.err
    assert (tmp_path / "incident.json").read_text() == '{"result": []}'


def test_a_run_killed_while_writing_its_files_still_knows_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = ServiceNowApp({"incident": rows(3)})
    real = store.write_atomic

    def killed(path: Path, data: str | bytes) -> None:
        real(path, data)  # replaced, and killed before the state says so
        if path.name == "incident.json":
            raise Killed

    with FakeServer(app) as srv:
        assert pull("servicenow", srv.url, tmp_path, tables=["incident"]).code == 0
        app.tables["incident"] += rows(2, start=3)
        monkeypatch.setattr(store, "write_atomic", killed)
        with pytest.raises(Killed):
            pull("servicenow", srv.url, tmp_path, tables=["incident"])
        monkeypatch.undo()
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    assert len(json.loads((tmp_path / "incident.json").read_text())["result"]) == 5


def test_a_link_or_a_folder_of_that_name_is_not_replaced(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / "incident.json").symlink_to(elsewhere)
    (out / "problem.json").mkdir()
    with FakeServer(ServiceNowApp({"incident": rows(1), "problem": rows(1)})) as srv:
        first = pull("servicenow", srv.url, out, tables=["incident"])
        second = pull("servicenow", srv.url, out / "x", tables=["problem"])
        (out / "incident.json").unlink()
        third = pull("servicenow", srv.url, out, tables=["problem"])
    assert first.code == 2 and "incident.json" in first.err
    assert elsewhere.read_text() == "mine"
    assert second.code == 0, second.err
    assert third.code == 2 and "problem.json" in third.err
