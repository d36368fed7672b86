"""Zendesk Support: the cursor-based incremental ticket export.

``GET /api/v2/incremental/tickets/cursor.json?start_time=<since, Unix>`` and then
``?cursor=<after_cursor>`` until ``end_of_stream``, with ``include=metric_sets,users,
groups`` (each ticket's metric set: reopens, group stations, reply and resolution times,
solved at; the names of requesters, assignees and groups), without ``exclude_deleted``:
a ticket deleted (or marked as spam and deleted) comes again in the stream with status
``deleted``, so a rerun sees the deletion and the files leave the ticket out (said
with a count on stderr); with ``exclude_deleted=true`` the export would stop returning
it, and a ticket received before its deletion would stay in the files for ever.
The export returns tickets in the order of their ``generated_timestamp``, the time of
their last change *including system changes* (an SLA recomputed, a metric updated),
which ``updated_at`` does not show: ``generated_timestamp >= updated_at``, and the stream
is not in ``updated_at`` order. A ticket updated during the pull comes again later in the
stream; the latest wins. The saved ``after_cursor`` is where a rerun goes on, also after
``end_of_stream``: rerunning a finished pull fetches the tickets changed since.

``--since``/``--until`` select by ``updated_at``, as for the other tools: the stream
starts at ``start_time=<since>`` (every ticket updated since then has a later
``generated_timestamp``), is read to its end (the export has no end time, and a ticket
last updated before ``--until`` may stand anywhere after it in the stream), and the
files keep the tickets whose latest ``updated_at`` is in the range. So what is kept does
not depend on the page size.

The files: ``tickets.json``, one document shaped like an export page (``tickets``,
``metric_sets``, ``users``, ``groups``), and ``ticket_fields.json``, the account's ticket
fields (``GET /api/v2/ticket_fields.json``, cursor-paged with ``page[size]`` and
``page[after]``), which name the custom fields (category, request type, time spent...)
the tickets carry by id only: what the Zendesk importer reads.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from itsm_diag.errors import UsageError
from itsm_diag.pull.client import Answer, Credentials, PullError, dumps
from itsm_diag.pull.source import (
    Key,
    Page,
    Request,
    Source,
    Stream,
    Window,
    malformed,
    objects,
    utc,
)
from itsm_diag.pull.store import Outputs

PATH = "/api/v2/incremental/tickets/cursor.json"
FIELDS_PATH = "/api/v2/ticket_fields.json"
SIDELOADS = ("metric_sets", "users", "groups")


class Zendesk(Source):
    tool = "zendesk"
    env_hint = "ITSM_DIAG_USER and ITSM_DIAG_TOKEN (an API token), or ITSM_DIAG_TOKEN alone " \
               "(an OAuth token)"
    rate_per_minute = 10  # the incremental exports' own limit
    page_size = 1000

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.page_size = min(options.get("page_size") or self.page_size, 1000)

    def streams(self) -> list[Stream]:
        return [Stream("tickets", "tickets", sliced=False),
                Stream("ticket_fields", "ticket fields", sliced=False)]

    def auth(self, creds: Credentials) -> str:
        if creds.user and creds.token:
            pair = f"{creds.user}/token:{creds.token}".encode()
        elif creds.user and creds.password:
            pair = f"{creds.user}:{creds.password}".encode()
        elif creds.token:
            return f"Bearer {creds.token}"
        else:
            raise UsageError("no credentials for Zendesk",
                             hint="set ITSM_DIAG_USER (the agent's email) and ITSM_DIAG_TOKEN "
                                  "(an API token); the agent must be an admin")
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def request(self, stream: Stream, window: Window, cursor: dict[str, Any] | None) -> Request:
        if stream.name == "ticket_fields":
            page: dict[str, Any] = {"page[size]": 100}
            if cursor and cursor.get("after"):
                page["page[after]"] = cursor["after"]
            return Request(FIELDS_PATH, page)
        # deleted tickets are not excluded: the export then returns a ticket deleted
        # since it was read with status "deleted", and the files drop it
        params: dict[str, Any] = {"include": ",".join(SIDELOADS), "per_page": self.page_size}
        if cursor and cursor.get("after"):
            params["cursor"] = cursor["after"]
        else:
            start = self.options["since_dt"]
            params["start_time"] = int(start.timestamp()) if start else 0
        return Request(PATH, params)

    def parse(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              answer: Answer) -> Page:
        doc = answer.data
        if stream.name == "ticket_fields":
            return self._fields_page(doc, cursor)
        tickets = doc.get("tickets") if isinstance(doc, dict) else None
        if not isinstance(tickets, list) or "end_of_stream" not in doc:
            raise PullError("the answer is not an incremental ticket export page",
                            hint="check that --url is the account's https://SUBDOMAIN."
                                 "zendesk.com address")
        tickets = objects(tickets, "tickets")
        after = doc.get("after_cursor")
        if after is not None and not isinstance(after, str):
            raise malformed("after_cursor", "is not text")
        done = bool(doc["end_of_stream"])
        # no --until here: the stream is not in updated_at order (see the module's doc)
        extras = {
            "metric_sets": objects(doc.get("metric_sets") or [], "metric_sets",
                                   ident="ticket_id", stamp=None),
            "users": objects(doc.get("users") or [], "users", stamp=None),
            "groups": objects(doc.get("groups") or [], "groups", stamp=None),
        }
        nxt = {"after": after} if after else cursor
        if not done and not after:
            raise PullError("the export page has no after_cursor but the stream goes on")
        return Page(tickets, nxt, done=done, extras=extras)

    @staticmethod
    def _fields_page(doc: Any, cursor: dict[str, Any] | None) -> Page:
        fields = doc.get("ticket_fields") if isinstance(doc, dict) else None
        if not isinstance(fields, list):
            raise PullError("the answer is not a ticket fields page",
                            hint="check that the account lets the agent read ticket fields")
        fields = objects(fields, "ticket_fields", stamp=None)
        meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
        more = bool(meta.get("has_more"))
        after = meta.get("after_cursor")
        if more and not after:
            raise PullError("the ticket fields page says it has more but gives no cursor")
        return Page(fields, {"after": after} if after else cursor, done=not more)

    def keys(self, stream: Stream) -> dict[str, Key]:
        if stream.name == "ticket_fields":
            return {"main": lambda f: (str(f.get("id")), utc(f.get("updated_at")) or "")}
        return {
            "main": lambda t: (str(t.get("id")), utc(t.get("updated_at"))),
            "metric_sets": lambda ms: (str(ms.get("ticket_id")), utc(ms.get("updated_at"))),
            "users": lambda u: (str(u.get("id")), utc(u.get("updated_at"))),
            "groups": lambda g: (str(g.get("id")), utc(g.get("updated_at"))),
        }

    def outputs(self) -> list[str]:
        return ["tickets.json", "ticket_fields.json"]

    def write(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
              ) -> list[tuple[Path, int]]:
        written = self._write_tickets(files, data)
        fields = sorted(data.get("ticket_fields", {}).get("main", []),
                        key=lambda f: int(f.get("id") or 0))
        if written and fields:
            path = files.write("ticket_fields.json", dumps({
                "ticket_fields": fields, "next_page": None, "previous_page": None,
                "count": len(fields)}) + "\n")
            written.append((path, len(fields)))
        return written

    def _write_tickets(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
                       ) -> list[tuple[Path, int]]:
        got = data.get("tickets", {})
        # the range on the latest version of each ticket, over the whole stream read
        window = Window(self.options["since"], self.options["until"])
        tickets = [t for t in got.get("main", []) if window.holds(utc(t.get("updated_at")))]
        # deleted (latest version: status "deleted"): no longer a ticket of the account
        deleted = sum(1 for t in tickets if t.get("status") == "deleted")
        if deleted:
            tickets = [t for t in tickets if t.get("status") != "deleted"]
            self.notes.append(
                f"zendesk tickets: {deleted:,} ticket{'s' if deleted != 1 else ''} deleted "
                f"in Zendesk (status \"deleted\" in the export) "
                f"{'are' if deleted != 1 else 'is'} left out of the files")
        # by last update, as an export sorted on it
        tickets.sort(key=lambda t: (utc(t.get("updated_at")), int(t.get("id") or 0)))
        if not tickets:
            return []
        ids = {str(t.get("id")) for t in tickets}
        doc = {"tickets": tickets,
               "metric_sets": [m for m in got.get("metric_sets", [])
                               if str(m.get("ticket_id")) in ids],
               **{name: got.get(name, []) for name in SIDELOADS if name != "metric_sets"},
               "end_of_stream": True}
        path = files.write("tickets.json", dumps(doc) + "\n")
        return [(path, len(tickets))]
