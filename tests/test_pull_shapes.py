"""A server's answer that is valid JSON in a shape its API does not document: one line
naming what is wrong, exit 2; never the "unexpected ... bug" line. And the credentials
each tool's API can take, and only those."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from pullkit import BASIC, ENV, TOKEN, App, FakeServer, Reply, pull

FS_AUTH = "Basic " + base64.b64encode(f"{TOKEN}:X".encode()).decode()
ISSUE = {"id": "10001", "key": "A-1", "fields": {"updated": "2025-01-01T00:00:00.000+0000"}}


class Canned(App):
    """The first answer whose path ends with a key of ``answers``; a valid empty page of
    the tool otherwise."""

    def __init__(self, answers: dict[str, Any], auth: str = BASIC) -> None:
        self.answers = answers
        self.auth = auth

    def get(self, path: str, query: dict[str, str]) -> Reply:
        for end, body in self.answers.items():
            if path.endswith(end):
                return Reply(200, body)
        if path.endswith("/myself"):
            return Reply(200, {"timeZone": "UTC"})
        if path.endswith("ticket_fields.json"):
            return Reply(200, {"ticket_fields": [], "meta": {"has_more": False}})
        return Reply(200, {path.rsplit("/", 1)[-1]: []})


ZD = "incremental/tickets/cursor.json"
OK_TICKET = {"id": 1, "updated_at": "2025-01-01T00:00:00Z"}
CASES = [
    ("zendesk", {ZD: {"tickets": [None], "end_of_stream": True}}, "tickets[0] is null"),
    ("zendesk", {ZD: {"tickets": [OK_TICKET], "metric_sets": [1], "end_of_stream": True}},
     "metric_sets[0] is a number, not an object"),
    ("zendesk", {ZD: {"tickets": [{**OK_TICKET, "id": "abc"}], "end_of_stream": True}},
     "tickets[0] has no numeric 'id'"),
    ("zendesk", {ZD: {"tickets": [{**OK_TICKET, "updated_at": 5}], "end_of_stream": True}},
     "tickets[0] has no readable 'updated_at'"),
    ("zendesk", {ZD: {"tickets": [], "users": {"a": 1}, "end_of_stream": True}},
     "users is an object, not a list"),
    ("jira", {"search/jql": {"issues": [None], "isLast": True}}, "issues[0] is null"),
    ("jira", {"search/jql": {"issues": [{**ISSUE, "fields": []}], "isLast": True}},
     "issues[0].fields is not an object"),
    ("jira", {"search/jql": {"issues": [{**ISSUE, "id": None}], "isLast": True}},
     "issues[0] has no numeric 'id'"),
    ("jira", {"search/jql": {"issues": [{**ISSUE, "fields": {"updated": "soon"}}],
                             "isLast": True}}, "has no readable 'updated'"),
    ("freshservice", {"tickets": {"tickets": [None]}}, "tickets[0] is null"),
    ("freshservice", {"tickets": {"tickets": [{**OK_TICKET, "id": "x1"}]}},
     "tickets[0] has no numeric 'id'"),
    ("freshservice", {"tickets": {"tickets": [{**OK_TICKET, "updated_at": "yesterday"}]}},
     "tickets[0] has no readable 'updated_at'"),
    ("freshservice", {"tickets": {"tickets": [
        {**OK_TICKET, "updated_at": "2025-13-45T00:00:00Z"}]}}, "has no readable 'updated_at'"),
    ("freshservice", {"agents": {"agents": ["Alan"]}}, "agents[0] is text, not an object"),
]


@pytest.mark.parametrize("tool, answers, said", CASES,
                         ids=[f"{c[0]}: {c[2]}" for c in CASES])
def test_a_malformed_answer_is_one_line(tool: str, answers: dict[str, Any], said: str,
                                        tmp_path: Path) -> None:
    fs = tool == "freshservice"
    with FakeServer(Canned(answers, FS_AUTH if fs else BASIC)) as srv:
        run = pull(tool, srv.url, tmp_path, jql="project = A" if tool == "jira" else None,
                   env={"ITSM_DIAG_TOKEN": TOKEN} if fs else ENV)
    assert run.code == 2
    assert "unexpected" not in run.err and run.err.count("\n") == 1
    assert "the server's answer is malformed" in run.err and said in run.err, run.err
    assert run.waits == []  # the same answer next time: not retried


def test_jira_counts_given_as_text_are_read(tmp_path: Path) -> None:
    issue = {**ISSUE, "fields": {**ISSUE["fields"], "created": "2025-01-01T00:00:00.000+0000",
                                 "comment": {"total": "1", "comments": []}},
             "changelog": {"total": None, "histories": "none"}}
    comments = {"comments": [{"created": "2025-01-01T00:00:00.000+0000",
                              "author": {"accountId": "u1"}, "body": "hello"}],
                "total": "1", "isLast": True}
    with FakeServer(Canned({"search/jql": {"issues": [issue], "isLast": True},
                            "/comment": comments})) as srv:
        run = pull("jira", srv.url, tmp_path, jql="project = A")
        asked = [r.path for r in srv.log]
    assert run.code == 0, run.err
    assert "/rest/api/3/issue/A-1/comment" in asked
    assert "hello" in (tmp_path / "jira.csv").read_text()


def test_odd_parts_of_a_jira_issue_are_passed_over(tmp_path: Path) -> None:
    # a status that is text where the API documents an object, a link that is a list...
    issue = {**ISSUE, "fields": {**ISSUE["fields"], "status": "Open", "components": ["x"],
                                 "issuelinks": [[1]], "labels": "vpn",
                                 "comment": {"comments": [None]}}}
    with FakeServer(Canned({"search/jql": {"issues": [issue], "isLast": True,
                                           "names": ["not", "an", "object"]}})) as srv:
        run = pull("jira", srv.url, tmp_path, jql="project = A")
    assert run.code == 0, run.err
    import csv

    with (tmp_path / "jira.csv").open(newline="") as fh:
        header, row = list(csv.reader(fh))
    assert header.count("Labels") == 1 and row[header.index("Labels")] == "vpn"


def test_a_shape_no_check_foresaw_is_one_line_too(tmp_path: Path) -> None:
    answers = {"tickets": {"tickets": [{**OK_TICKET, "responder_id": 8}]},
               "agents": {"agents": [{"id": 8, "first_name": 5, "last_name": "Agent"}]}}
    with FakeServer(Canned(answers, FS_AUTH)) as srv:
        run = pull("freshservice", srv.url, tmp_path, env={"ITSM_DIAG_TOKEN": TOKEN})
    assert run.code == 2 and "unexpected" not in run.err
    assert "not in the shape the freshservice API documents (TypeError)" in run.err


def test_jira_takes_an_api_token_with_the_email_only(tmp_path: Path) -> None:
    # Jira Cloud's site API takes API tokens over Basic only: a token alone (a bearer)
    # cannot sign in, so it is refused before anything is sent
    with FakeServer(Canned({"search/jql": {"issues": [], "isLast": True}})) as srv:
        alone = pull("jira", srv.url, tmp_path / "a", jql="project = A",
                     env={"ITSM_DIAG_TOKEN": TOKEN})
        asked = len(srv.log)
        srv.app.auth = "Basic " + base64.b64encode(f"me@example.com:{TOKEN}".encode()).decode()
        both = pull("jira", srv.url, tmp_path / "b", jql="project = A",
                    env={"ITSM_DIAG_USER": "me@example.com", "ITSM_DIAG_TOKEN": TOKEN})
    assert alone.code == 2 and asked == 0
    assert "a token alone cannot sign in" in alone.err and "ITSM_DIAG_USER" in alone.err
    assert both.code == 0, both.err
    assert {r.auth for r in srv.log} == {srv.app.auth}


def test_freshservice_takes_the_api_key_only(tmp_path: Path) -> None:
    run = pull("freshservice", "https://acme.freshservice.com", tmp_path, env=ENV)
    assert run.code == 2 and "ITSM_DIAG_TOKEN" in run.err and "API key" in run.err
