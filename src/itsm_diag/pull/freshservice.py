"""Freshservice: ``/api/v2/tickets`` and ``/api/v2/changes``, plus agents, groups, requesters.

Tickets and changes are asked ``updated_since=<T>&order_by=updated_at&order_type=asc
&per_page=100`` (tickets with ``include=stats``: resolved, closed and first-response
times). Paging is by key: after each page the next request starts again at page 1 with
``updated_since`` one second before the last record's ``updated_at`` (records seen twice
are kept once), so no page number grows past the list's page cap and a record updated
during the pull moves to the end and is read there. Only inside one busy second (a full
page of records updated in it) does the page number grow. A window is done when the
answer's ``Link`` header has no ``rel="next"``. A page not in ascending ``updated_at``
order (a server ignoring ``order_by``) stops the pull: paging it would be unsafe.

Agents, groups and requesters are read whole (page by page, ``Link`` next) to give names
to the ids. The files are the UI exports the Freshservice importer reads: ``tickets.csv``
(Ticket Id ``INC-12`` / ``SR-12``, labels for status, priority and source, names,
``Resolution Status`` derived: resolved or closed by ``due_by`` is Within SLA) and
``changes.csv`` (``CHN-12``), times in UTC marked ``Z`` (``diagnose --tz`` does not
shift them). Not pulled: time tracked (a request per ticket), custom
statuses beyond the documented codes (written as their number).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from itsm_diag.errors import UsageError
from itsm_diag.importers.freshservice import HEADERS
from itsm_diag.pull.client import Answer, Credentials, PullError
from itsm_diag.pull.source import (
    Key,
    Page,
    Request,
    Source,
    Stream,
    Window,
    csv_text,
    file_time,
    obj,
    objects,
    utc,
)
from itsm_diag.pull.store import Outputs

EPOCH = "1970-01-01T00:00:00Z"
TICKET_STATUS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
CHANGE_STATUS = {1: "Open", 2: "Planning", 3: "Awaiting Approval", 4: "Pending Release",
                 5: "Pending Review", 6: "Closed"}
PRIORITY = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE = {1: "Email", 2: "Portal", 3: "Phone", 4: "Chat", 5: "Feedback Widget", 6: "Yammer",
          7: "AWS Cloudwatch", 8: "Pagerduty", 9: "Walkup", 10: "Slack"}
CHANGE_TYPE = {1: "Minor", 2: "Standard", 3: "Major", 4: "Emergency"}
RISK = {1: "Low", 2: "Medium", 3: "High", 4: "Very High"}
_PREFIX = {"Incident": "INC", "Service Request": "SR"}
_LOOKUPS = ("agents", "groups", "requesters")


def display_id(record: dict[str, Any], stream: str) -> str:
    prefix = "CHN" if stream == "changes" else _PREFIX.get(str(record.get("type")), "INC")
    return f"{prefix}-{record.get('id')}"


def _label(table: dict[int, str], value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        return table.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value)


class Freshservice(Source):
    tool = "freshservice"
    env_hint = "ITSM_DIAG_TOKEN (the API key)"
    rate_per_minute = 100  # the smallest plan's documented account-wide limit
    page_size = 100

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.page_size = min(options.get("page_size") or 100, 100)

    def streams(self) -> list[Stream]:
        return [Stream("tickets", "tickets", sliced=False), Stream("changes", "changes",
                                                                   sliced=False),
                *(Stream(name, name, sliced=False) for name in _LOOKUPS)]

    def auth(self, creds: Credentials) -> str:
        # the API key only: Freshworks ended user name and password sign-in to its APIs
        if creds.token:
            pair = f"{creds.token}:X".encode()
        else:
            raise UsageError("no credentials for Freshservice (it takes the API key, not a "
                             "user name and password)",
                             hint="set ITSM_DIAG_TOKEN to the API key of an agent who can "
                                  "see all tickets and changes")
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def request(self, stream: Stream, window: Window, cursor: dict[str, Any] | None) -> Request:
        cursor = cursor or {}
        params: dict[str, Any] = {"per_page": self.page_size, "page": cursor.get("page", 1)}
        if stream.name in ("tickets", "changes"):
            params = {"updated_since": cursor.get("since") or window.since or EPOCH,
                      "order_by": "updated_at", "order_type": "asc", **params}
            if stream.name == "tickets":
                params["include"] = "stats"
        return Request(f"/api/v2/{stream.name}", params)

    def parse(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              answer: Answer) -> Page:
        rows = answer.data.get(stream.name) if isinstance(answer.data, dict) else None
        if not isinstance(rows, list):
            raise PullError(f"the answer holds no {stream.name!r} list",
                            hint="check that --url is https://DOMAIN.freshservice.com")
        more = 'rel="next"' in (answer.headers.get("Link") or "")
        cursor = cursor or {}
        page = int(cursor.get("page", 1))
        if stream.name in _LOOKUPS:
            rows = objects(rows, stream.name, stamp=None)
            return Page(rows, {"page": page + 1} if more else cursor, done=not more)
        # paging is by updated_at: a record without a readable one cannot be placed
        rows = objects(rows, stream.name)
        stamps = [utc(r.get("updated_at")) for r in rows]
        if stamps != sorted(stamps):
            raise PullError(f"the {stream.name} came back not in updated_at order "
                            "(order_by=updated_at ignored): paging them could skip records")
        if window.until is not None and stamps and stamps[-1] >= window.until:
            keep = sum(1 for s in stamps if s < window.until)
            rows, stamps, more = rows[:keep], stamps[:keep], False
        since = cursor.get("since") or window.since or EPOCH
        if not stamps:
            return Page(rows, cursor or None, done=True)
        step = datetime.fromisoformat(stamps[-1][:19]) - timedelta(seconds=1)
        back = step.strftime("%Y-%m-%dT%H:%M:%SZ")
        if back > since:
            nxt = {"since": back, "page": 1}
        else:  # a full page inside one second: the page number goes on
            nxt = {"since": since, "page": page + 1 if more else page}
        return Page(rows, nxt, done=not more)

    def keys(self, stream: Stream) -> dict[str, Key]:
        # by what never changes: the numeric id and the creation time. The INC-/SR-
        # display id follows the ticket's type, and a ticket whose type changes is still
        # one ticket (its latest version, with its latest display id, replaces the old).
        # The creation time keeps apart records that share a number but are not one
        # ticket (exports rebuilt from INC-12 and SR-12, say), which no type change makes
        name = stream.name

        def key(r: Any) -> tuple[str, str]:
            rid = str(r.get("id"))
            if name in ("tickets", "changes"):
                rid += "@" + utc(r.get("created_at"))
            return rid, utc(r.get("updated_at"))

        return {"main": key}

    # ---- the files ------------------------------------------------------------------------
    def outputs(self) -> list[str]:
        return ["tickets.csv", "changes.csv"]

    def write(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
              ) -> list[tuple[Path, int]]:
        def names(stream: str) -> dict[Any, str]:
            found = {}
            for r in data.get(stream, {}).get("main", []):
                name = r.get("name") or " ".join(
                    p for p in (r.get("first_name"), r.get("last_name")) if p)
                found[r.get("id")] = name or r.get("email") or r.get("primary_email") or ""
            return found

        agents, groups, people = names("agents"), names("groups"), names("requesters")
        written = []
        for stream, build in (("tickets", self._ticket_row), ("changes", self._change_row)):
            records = sorted(data.get(stream, {}).get("main", []),
                             key=lambda r: (utc(r.get("created_at")), int(r.get("id") or 0)))
            if not records:
                continue
            rows = [build(r, agents, groups, people) for r in records]
            path = files.write(f"{stream}.csv", csv_text(
                [HEADERS[f]["en"][0] for f in rows[0]], [list(row.values()) for row in rows]))
            written.append((path, len(rows)))
        return written

    @staticmethod
    def _ticket_row(r: dict[str, Any], agents: dict[Any, str], groups: dict[Any, str],
                    people: dict[Any, str]) -> dict[str, Any]:
        stats = obj(r.get("stats"))
        done = stats.get("resolved_at") or stats.get("closed_at")
        due = r.get("due_by")
        sla = None
        if done and due:
            sla = "Within SLA" if utc(done) <= utc(due) else "SLA Violated"
        return {
            "ticket_id": display_id(r, "tickets"), "subject": r.get("subject"),
            "status": _label(TICKET_STATUS, r.get("status")),
            "priority": _label(PRIORITY, r.get("priority")),
            "source": _label(SOURCE, r.get("source")), "type": r.get("type"),
            "requester": people.get(r.get("requester_id")),
            "agent": agents.get(r.get("responder_id")), "group": groups.get(r.get("group_id")),
            "category": r.get("category"), "sub_category": r.get("sub_category"),
            "created": file_time(r.get("created_at")), "due_by": file_time(due),
            "resolved": file_time(stats.get("resolved_at")),
            "closed": file_time(stats.get("closed_at")), "updated": file_time(r.get("updated_at")),
            "initial_response": file_time(stats.get("first_responded_at")),
            "resolution_status": sla, "tags": ";".join(map(str, r.get("tags") or [])) or None,
        }

    @staticmethod
    def _change_row(r: dict[str, Any], agents: dict[Any, str], groups: dict[Any, str],
                    people: dict[Any, str]) -> dict[str, Any]:
        return {
            "change_id": display_id(r, "changes"), "subject": r.get("subject"),
            "status": _label(CHANGE_STATUS, r.get("status")),
            "change_type": _label(CHANGE_TYPE, r.get("change_type")),
            "risk": _label(RISK, r.get("risk")), "priority": _label(PRIORITY, r.get("priority")),
            "planned_start": file_time(r.get("planned_start_date")),
            "planned_end": file_time(r.get("planned_end_date")),
            "agent": agents.get(r.get("agent_id")), "group": groups.get(r.get("group_id")),
            "requester": people.get(r.get("requester_id")), "category": r.get("category"),
            "created": file_time(r.get("created_at")), "closed": file_time(r.get("closed_at")),
            "updated": file_time(r.get("updated_at")),
        }
