"""Jira Cloud (Service Management): the enhanced JQL search, with change history.

``GET /rest/api/3/search/jql?jql=...&fields=*all&expand=changelog,names&maxResults=N``
with ``nextPageToken`` (the old ``/rest/api/3/search`` answers 410 Gone). The JQL is
``(<--jql>) AND updated >= "<T>" [AND updated < "<until>"] ORDER BY updated ASC, key ASC``;
paging is by key: when a page ends in a later minute than ``T``, the next request starts
a new search at that minute (issues of that minute come twice and are kept once), so a
token is followed only inside one busy minute, and an issue updated during the pull moves
to the end and is read there. JQL times are minutes in the account's time zone
(``GET /rest/api/3/myself``), so bounds are written in it. An issue's comments or change
history longer than the search returns are read from ``/issue/{key}/comment`` and
``/issue/{key}/changelog``.

Authentication: the account's email and an API token, over Basic, the only way Jira
Cloud's site REST API (``https://SITE.atlassian.net/rest/api/3``) takes an API token. A
bearer token is not offered: Atlassian's OAuth tokens are valid only through
``api.atlassian.com``, and Data Center's personal access tokens are for servers that
have no ``/rest/api/3/search/jql``.

The file: ``jira.csv`` in the issue navigator's "CSV (all fields)" layout (repeated
``Labels``, ``Comment`` ``date;accountId;body``, ``Inward/Outward issue link (type)``,
``Custom field (name)``: fields sharing a name fill one column, with the first filled
value by field id), times in UTC marked ``Z`` (``2025-01-31 08:00:00Z``: ``diagnose
--tz`` does not shift them), plus what the CSV export cannot hold and the
change history gives: ``Custom field (Reassignment count)`` (assignee changes after the
first assignment) and ``Custom field (Reopen count)`` (status changes from a done status
back to an open one).
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itsm_diag.errors import UsageError
from itsm_diag.importers.jira import STATUSES
from itsm_diag.pull.client import Answer, Client, Credentials, PullError
from itsm_diag.pull.source import (
    Key,
    Page,
    Request,
    Source,
    Stream,
    Window,
    csv_text,
    file_time,
    is_time,
    malformed,
    number,
    obj,
    objects,
    utc,
)
from itsm_diag.pull.store import Outputs

SEARCH = "/rest/api/3/search/jql"
_DONE = {"resolved", "closed", "cancelled"}
_SKIP_FIELDS = {"summary", "issuetype", "status", "project", "priority", "resolution",
                "assignee", "reporter", "creator", "created", "updated", "resolutiondate",
                "duedate", "components", "labels", "timespent", "issuelinks", "comment",
                "description", "attachment", "worklog", "watches", "votes", "subtasks"}


def adf_text(node: Any) -> str:
    """Atlassian Document Format (v3 comment bodies) as plain text, a line a paragraph."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    parts = [adf_text(c) for c in node.get("content") or []]
    sep = "\n" if node.get("type") in ("doc", "bulletList", "orderedList") else ""
    return sep.join(parts)


def _scalar(value: Any) -> str | None:
    """A custom field's value as CSV text (options, users, request types, lists)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if isinstance(value.get(key), (str, int, float)):
                return str(value[key])
        inner = value.get("requestType")
        return _scalar(inner) if inner is not None else None
    if isinstance(value, list):
        parts = [p for p in map(_scalar, value) if p]
        return ",".join(parts) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return file_time(text) if len(text) >= 20 and text[4:5] == "-" and text[10:11] == "T" else text


class Jira(Source):
    tool = "jira"
    env_hint = "ITSM_DIAG_USER (the account's email) and ITSM_DIAG_PASSWORD (an API token)"
    page_size = 100

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        jql = (options.get("jql") or "").strip()
        if not jql:
            raise UsageError("pull jira needs --jql", hint='e.g. --jql "project = ITSM"')
        if " order by " in f" {jql.lower()} ":
            raise UsageError("--jql must not hold ORDER BY",
                             hint="the pull orders by update time itself; leave it out")
        self.jql = jql
        self.page_size = min(options.get("page_size") or 100, 5000)
        self.zone: ZoneInfo | None = None

    def params(self) -> dict[str, Any]:
        return {"jql": self.jql}

    def streams(self) -> list[Stream]:
        return [Stream("issues", "issues")]

    def auth(self, creds: Credentials) -> str:
        # email + API token over Basic only (see the module's doc); the API token may be
        # in ITSM_DIAG_PASSWORD or ITSM_DIAG_TOKEN
        if creds.user and (creds.password or creds.token):
            pair = f"{creds.user}:{creds.password or creds.token}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        raise UsageError("no credentials for Jira: Jira Cloud takes the account's email "
                         "with an API token (a token alone cannot sign in)",
                         hint="set ITSM_DIAG_USER (the account's email) and "
                              "ITSM_DIAG_PASSWORD (an API token, from "
                              "id.atlassian.com > Security > API tokens)")

    # ---- paging -------------------------------------------------------------------------
    def prepare(self, client: Client) -> None:
        """The account's time zone, in which JQL reads times."""
        answer = client.get("/rest/api/3/myself", what="the account (myself)")
        name = answer.data.get("timeZone") if isinstance(answer.data, dict) else None
        try:
            self.zone = ZoneInfo(name) if isinstance(name, str) and name else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.zone = ZoneInfo("UTC")

    def _minute(self, iso_utc: str) -> str:
        when = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
        return when.astimezone(self.zone or ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")

    def query(self, window: Window, since: str | None) -> str:
        parts = [f"({self.jql})"]
        if since:
            parts.append(f'updated >= "{self._minute(since)}"')
        if window.until:
            parts.append(f'updated < "{self._minute(window.until)}"')
        return " AND ".join(parts) + " ORDER BY updated ASC, key ASC"

    def request(self, stream: Stream, window: Window, cursor: dict[str, Any] | None) -> Request:
        cursor = cursor or {}
        params: dict[str, Any] = {
            "jql": self.query(window, cursor.get("since") or window.since),
            "fields": "*all", "expand": "changelog,names", "maxResults": self.page_size}
        if cursor.get("token"):
            params["nextPageToken"] = cursor["token"]
        return Request(SEARCH, params)

    def parse(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              answer: Answer) -> Page:
        doc = answer.data
        issues = doc.get("issues") if isinstance(doc, dict) else None
        if not isinstance(issues, list):
            raise PullError("the search answer holds no 'issues' list",
                            hint="check that --url is https://SITE.atlassian.net")
        objects(issues, "issues", stamp=None)
        for n, issue in enumerate(issues):
            fields = issue.get("fields")
            if not isinstance(fields, dict):
                raise malformed(f"issues[{n}].fields", "is not an object")
            if not is_time(fields.get("updated")):
                raise malformed(f"issues[{n}].fields", "has no readable 'updated'")
        token = doc.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise malformed("nextPageToken", "is not text")
        done = bool(doc.get("isLast")) or not token
        given = obj(doc.get("names"))
        names = [{"id": k, "name": v} for k, v in given.items() if isinstance(v, str)]
        cursor = cursor or {}
        since = cursor.get("since") or window.since
        if not issues:
            return Page([], cursor or None, done=True, extras={"names": names})
        last = utc(issues[-1]["fields"].get("updated"))
        nxt: dict[str, Any]
        if done:
            nxt = {"since": last}
        elif since is None or self._minute(last) > self._minute(since):
            nxt = {"since": last}  # a new search from the last issue's minute
        else:
            nxt = {"since": since, "token": token}  # inside one busy minute
        return Page(issues, nxt, done=done, extras={"names": names})

    def complete(self, client: Client, records: list[Any]) -> list[Any]:
        """Comments and change history the search cut short, read in full."""
        for issue in records:
            key = issue.get("key")
            fields = issue["fields"]  # an object: parse checked it
            comment = obj(fields.get("comment"))
            have = _dicts(comment.get("comments"))
            if (number(comment.get("total")) or 0) > len(have):
                comment["comments"] = self._all(client, f"/rest/api/3/issue/{key}/comment",
                                                "comments", key)
            log = obj(issue.get("changelog"))
            hist = _dicts(log.get("histories"))
            if (number(log.get("total")) or 0) > len(hist):
                log["histories"] = self._all(client, f"/rest/api/3/issue/{key}/changelog",
                                             "values", key)
        return records

    @staticmethod
    def _all(client: Client, path: str, field: str, key: Any) -> list[Any]:
        out: list[Any] = []
        while True:
            answer = client.get(path, {"startAt": len(out), "maxResults": 100},
                                what=f"issue {key}")
            doc = answer.data if isinstance(answer.data, dict) else {}
            items = objects(doc.get(field) or [], f"{field} of issue {key}", ident=None,
                            stamp=None)
            out.extend(items)
            total = number(doc.get("total"))
            if not items or doc.get("isLast") or (total is not None and len(out) >= total):
                return out

    def keys(self, stream: Stream) -> dict[str, Key]:
        return {"main": lambda i: (str(i.get("id") or i.get("key")),
                                   utc((i.get("fields") or {}).get("updated"))),
                "names": lambda n: (str(n.get("id")), "")}

    # ---- the file -------------------------------------------------------------------------
    def outputs(self) -> list[str]:
        return ["jira.csv"]

    def write(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
              ) -> list[tuple[Path, int]]:
        got = data.get("issues", {})
        issues = sorted(got.get("main", []), key=lambda i: (
            utc((i.get("fields") or {}).get("created")), int(i.get("id") or 0)))
        if not issues:
            return []
        names = {n["id"]: n["name"] for n in got.get("names", [])}
        rows = [self._row(i, names) for i in issues]
        headers: list[str] = []
        widths: dict[str, int] = {}
        for row in rows:
            for h, values in row.items():
                if h not in widths:
                    headers.append(h)
                widths[h] = max(widths.get(h, 0), len(values))
        lines = []
        for row in rows:
            cells: list[object] = []
            for h in headers:
                values = row.get(h, [])
                cells += [*values, *[None] * (max(widths[h], 1) - len(values))]
            lines.append(cells)
        path = files.write("jira.csv", csv_text(
            [h for h in headers for _ in range(max(widths[h], 1))], lines))
        return [(path, len(rows))]

    def _row(self, issue: dict[str, Any], names: dict[str, str]) -> dict[str, list[Any]]:
        f = issue.get("fields") or {}

        def name(obj: Any, key: str = "name") -> str | None:
            return obj.get(key) if isinstance(obj, dict) else None

        status = obj(f.get("status"))
        row: dict[str, list[Any]] = {
            "Summary": [f.get("summary")], "Issue key": [issue.get("key")],
            "Issue id": [issue.get("id")], "Issue Type": [name(f.get("issuetype"))],
            "Status": [status.get("name")],
            "Status Category": [name(status.get("statusCategory"))],
            "Project key": [name(f.get("project"), "key")],
            "Priority": [name(f.get("priority"))], "Resolution": [name(f.get("resolution"))],
            "Assignee": [name(f.get("assignee"), "displayName")],
            "Assignee Id": [name(f.get("assignee"), "accountId")],
            "Reporter": [name(f.get("reporter"), "displayName")],
            "Reporter Id": [name(f.get("reporter"), "accountId")],
            "Created": [file_time(f.get("created"))], "Updated": [file_time(f.get("updated"))],
            "Resolved": [file_time(f.get("resolutiondate"))], "Due date": [f.get("duedate")],
            "Components": [name(c) for c in f.get("components") or []],
            "Labels": _texts(f.get("labels")),
            "Time Spent": [None if f.get("timespent") is None else str(f["timespent"])],
        }
        # one column per name, as the importer reads one: fields sharing a name (each
        # team-managed project makes its own "Category") give the first filled value,
        # in the order of their ids, so an empty one never hides a filled one
        for fid in sorted((k for k in f if k.startswith("customfield_") and k in names),
                          key=_field_order):
            value = _scalar(f[fid])
            column = f"Custom field ({names[fid]})"
            if row.get(column, [None])[0] is None:
                row[column] = [value]
        for link in _dicts(f.get("issuelinks")):
            kind = name(link.get("type")) or "Relates"
            for side, field in (("Inward", "inwardIssue"), ("Outward", "outwardIssue")):
                if isinstance(link.get(field), dict):
                    row.setdefault(f"{side} issue link ({kind})", []).append(
                        link[field].get("key"))
        comment = obj(f.get("comment"))
        row["Comment"] = [
            f"{file_time(c.get('created'))};{name(c.get('author'), 'accountId') or ''};"
            f"{adf_text(c.get('body'))}"
            for c in _dicts(comment.get("comments"))]
        moves, reopens = _history(issue)
        row["Custom field (Reassignment count)"] = [str(moves)]
        row["Custom field (Reopen count)"] = [str(reopens)]
        return row


def _history(issue: dict[str, Any]) -> tuple[int, int]:
    """(reassignments, reopens) from the change history, oldest change first."""
    moves = reopens = 0
    log = obj(issue.get("changelog"))
    histories = sorted(_dicts(log.get("histories")), key=lambda h: utc(h.get("created")))
    for h in histories:
        for item in _dicts(h.get("items")):
            field = str(item.get("field") or "").lower()
            if field == "assignee" and item.get("from") and item.get("to"):
                moves += 1
            elif field == "status":
                before = STATUSES.get(str(item.get("fromString") or "").lower())
                after = STATUSES.get(str(item.get("toString") or "").lower())
                if before in _DONE and after is not None and after not in _DONE:
                    reopens += 1
    return moves, reopens


def _field_order(fid: str) -> tuple[int, str]:
    """``customfield_10002`` after ``customfield_10001`` (by number, then by name)."""
    number = fid.rpartition("_")[2]
    return (int(number) if number.isdigit() else 0, fid)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list the API documents as a list of objects (anything else in it,
    or a list that is not one, holds nothing this file can use)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _texts(value: Any) -> list[str]:
    """A list of texts (labels): one text alone is a list of one, not of its letters."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []
