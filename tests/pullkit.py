"""Fake ITSM APIs on 127.0.0.1 for the pull tests, speaking each vendor's documented shapes.

A :class:`FakeServer` runs one app in a thread and logs every request (method, path,
query, Authorization). Faults are injected by request number: ``faults[n] = "429"``
(with ``Retry-After: 2``), ``"503"``, ``"drop"`` (headers and half the body, then the
connection closes), ``"trickle"`` (the answer one byte every 50 ms: each read is quick,
the whole never ends in time), ``"html"`` (a 200 web page: a login portal, a hibernating
instance), ``"echo"`` (a 400 whose body quotes the Authorization header it got) and
``"gzip"`` (the answer gzip-compressed). ``hooks[n]`` runs before answering request
``n`` (records updated during the pull). :class:`Killed` stands for Ctrl-C or a kill in
the client, raised by the tests at an exact point.

Apps (the documented shapes they follow are named in each):

- :class:`ServiceNowApp`: ``/api/now/table/{table}``, encoded queries (``^``, ``^NQ``,
  ``ORDERBY``; ``>=``, ``>``, ``<``, ``=`` on any field), ``sysparm_limit`` capped at
  ``cap``, ``sysparm_offset``, ``X-Total-Count``, ``Link`` first/prev/next/last;
  records in ``sysparm_display_value=all`` form.
- :class:`ZendeskApp`: ``/api/v2/incremental/tickets/cursor.json``: ``start_time`` or
  ``cursor``, ``per_page`` capped, ``after_cursor``/``after_url``/``end_of_stream``,
  side-loads ``metric_sets``, ``users``, ``groups``; tickets in the order of their
  ``generated_timestamp`` (Unix seconds; system changes move it, ``updated_at`` stays),
  which defaults to ``updated_at``; a ticket of status ``deleted`` is left out when
  ``exclude_deleted=true`` is asked, as the export does.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

USER, PASSWORD, TOKEN = "reader@example.com", "s3cret-Pa55-word", "tok-9f8e7d6c5b4a"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ENV = {"ITSM_DIAG_USER": USER, "ITSM_DIAG_PASSWORD": PASSWORD}


class Killed(BaseException):
    """Stands for Ctrl-C / kill at an exact request (BaseException, as KeyboardInterrupt)."""


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, str]
    auth: str | None
    body: bytes


class App:
    """Answers one request; subclasses implement :meth:`get`."""

    auth: str = BASIC

    def get(self, path: str, query: dict[str, str]) -> Reply:
        raise NotImplementedError

    def post(self, path: str, query: dict[str, str], body: Any) -> Reply:
        return Reply(405, {"error": "method not allowed"})


class FakeServer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.log: list[Logged] = []
        self.faults: dict[int, str] = {}
        self.hooks: dict[int, Callable[[], None]] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with server.lock:
                    server.log.append(Logged(self.command, parts.path, query,
                                             self.headers.get("Authorization"), body))
                    n = len(server.log)
                    fault = server.faults.get(n)
                    hook = server.hooks.get(n)
                if hook is not None:
                    hook()
                if fault == "429":
                    return self._send(Reply(429, {"error": "slow down"}, {"Retry-After": "2"}))
                if fault == "503":
                    return self._send(Reply(503, {"error": "unavailable"}))
                if fault == "html":
                    return self._raw(200, b"<!DOCTYPE html><html><head><title>Instance "
                                     b"Hibernating page</title></head><body>Your instance "
                                     b"is hibernating</body></html>", "text/html")
                if fault == "echo":
                    return self._send(Reply(400, {"error": "malformed header: Authorization: "
                                                  + str(self.headers.get("Authorization"))}))
                if self.headers.get("Authorization") != server.app.auth:
                    return self._send(Reply(401, {"error": "not authenticated"}))
                if self.command == "GET":
                    reply = server.app.get(parts.path, query)
                elif self.command == "POST":
                    reply = server.app.post(parts.path, query,
                                            json.loads(body) if body else None)
                else:
                    reply = Reply(405, {"error": "method not allowed"})
                self._send(reply, drop=fault == "drop", trickle=fault == "trickle",
                           zipped=fault == "gzip")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def _raw(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send(self, reply: Reply, drop: bool = False, trickle: bool = False,
                      zipped: bool = False) -> None:
                data = json.dumps(reply.body).encode()
                if zipped:
                    data = gzip.compress(data)
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if zipped:
                    self.send_header("Content-Encoding", "gzip")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if drop or trickle:
                    self.send_header("Connection", "close")
                self.end_headers()
                if trickle:
                    self.close_connection = True
                    try:
                        for i in range(len(data)):
                            self.wfile.write(data[i: i + 1])
                            self.wfile.flush()
                            time.sleep(0.05)
                    except OSError:  # the client gave up on it
                        pass
                    return
                if drop:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # a short poll: shutdown() waits up to one interval, in every test
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def gets(self, path_part: str = "") -> list[Logged]:
        return [r for r in self.log if path_part in r.path]


# ---- ServiceNow ---------------------------------------------------------------------------

def sys_id(number: str) -> str:
    return hashlib.md5(number.encode()).hexdigest()  # an id, not security


def sn_record(row: dict[str, str | None], *, tz_shift_hours: int = 1) -> dict[str, Any]:
    """A list-export row (display values, UTC times) as the Table API's
    ``sysparm_display_value=all`` record: times' display values in the API user's zone
    and format (here UTC+1, dd-MM-yyyy), references with a sys_id value."""
    import datetime as dt

    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None:
            out[name] = {"display_value": "", "value": ""}
        elif len(value) == 19 and value[4] == "-" and value[10] == " ":
            local = dt.datetime.fromisoformat(value) + dt.timedelta(hours=tz_shift_hours)
            out[name] = {"display_value": local.strftime("%d-%m-%Y %H:%M:%S"), "value": value}
        elif name in ("assignment_group", "assigned_to", "caller_id", "requested_for",
                      "problem_id", "caused_by", "opened_by"):
            out[name] = {"display_value": value, "value": sys_id(value)}
        else:
            out[name] = {"display_value": value, "value": value.split(" - ")[0]}
    out["sys_id"] = {"display_value": sys_id(row["number"] or ""),
                     "value": sys_id(row["number"] or "")}
    return out


def _sn_value(rec: dict[str, Any], name: str) -> str:
    f = rec.get(name)
    return str(f.get("value", "")) if isinstance(f, dict) else str(f or "")


def _sn_match(rec: dict[str, Any], cond: str) -> bool:
    for op in (">=", "<=", ">", "<", "="):
        if op in cond:
            name, want = cond.split(op, 1)
            have = _sn_value(rec, name)
            return {">=": have >= want, "<=": have <= want, ">": have > want,
                    "<": have < want, "=": have == want}[op]
    raise ValueError(cond)


class ServiceNowApp(App):
    def __init__(self, tables: dict[str, list[dict[str, Any]]], cap: int = 10_000,
                 links: bool = True) -> None:
        self.tables = tables
        self.cap = cap
        self.links = links

    def select(self, table: str, query: str) -> list[dict[str, Any]]:
        groups, order = [], []
        for group in query.split("^NQ") if query else [""]:
            conds = []
            for c in group.split("^") if group else []:
                if c.startswith("ORDERBY"):
                    order.append(c[len("ORDERBY"):])
                elif c:
                    conds.append(c)
            groups.append(conds)
        rows = [r for r in self.tables[table]
                if any(all(_sn_match(r, c) for c in g) for g in groups)]
        if order:
            rows.sort(key=lambda r: tuple(_sn_value(r, o) for o in order))
        return rows

    def get(self, path: str, query: dict[str, str]) -> Reply:
        prefix = "/api/now/table/"
        table = path[len(prefix):] if path.startswith(prefix) else ""
        if table not in self.tables:
            return Reply(404, {"error": {"message": "Invalid table", "detail": table}})
        rows = self.select(table, query.get("sysparm_query", ""))
        limit = min(int(query.get("sysparm_limit", 10_000)), self.cap)
        offset = int(query.get("sysparm_offset", 0))
        page = rows[offset: offset + limit]
        if "sysparm_fields" in query:
            keep = query["sysparm_fields"].split(",")
            page = [{k: v for k, v in r.items() if k in keep} for r in page]
        headers = {"X-Total-Count": str(len(rows))}
        if self.links:
            def link(off: int, rel: str) -> str:
                q = {**query, "sysparm_offset": off, "sysparm_limit": limit}
                return f'<http://127.0.0.1{path}?{urlencode(q)}>;rel="{rel}"'
            parts = [link(0, "first")]
            if offset > 0:
                parts.append(link(max(0, offset - limit), "prev"))
            if offset + limit < len(rows):
                parts.append(link(offset + limit, "next"))
            parts.append(link(max(0, (len(rows) - 1) // limit * limit), "last"))
            headers["Link"] = ",".join(parts)
        return Reply(200, {"result": page}, headers)


# ---- Zendesk ------------------------------------------------------------------------------

def _zd_cursor(position: int, tid: int) -> str:
    return base64.urlsafe_b64encode(f"{position}|{tid}".encode()).decode()


def _zd_position(ticket: dict[str, Any]) -> int:
    """Where a ticket stands in the export: its generated_timestamp (Unix seconds), which
    defaults here to its updated_at."""
    import datetime as dt

    if "generated_timestamp" in ticket:
        return int(ticket["generated_timestamp"])
    when = dt.datetime.fromisoformat(ticket["updated_at"].replace("Z", "+00:00"))
    return int(when.timestamp())


class ZendeskApp(App):
    def fields_page(self, query: dict[str, str]) -> Reply:
        """Ticket fields, cursor-paged as the API does (``page[size]``, ``page[after]``,
        ``meta.has_more`` / ``after_cursor``): the cursor is the last id, base64."""
        size = min(int(query.get("page[size]", 100)), 100)
        after = int(base64.urlsafe_b64decode(query["page[after]"]).decode()) \
            if "page[after]" in query else -1
        rest = sorted((f for f in self.ticket_fields if f["id"] > after), key=lambda f: f["id"])
        page = rest[:size]
        cursor = base64.urlsafe_b64encode(str(page[-1]["id"]).encode()).decode() \
            if page else None
        return Reply(200, {"ticket_fields": page, "meta": {
            "has_more": len(rest) > size, "after_cursor": cursor, "before_cursor": None}})

    def __init__(self, tickets: list[dict[str, Any]], metric_sets: list[dict[str, Any]],
                 users: list[dict[str, Any]], groups: list[dict[str, Any]],
                 cap: int = 1000, ticket_fields: list[dict[str, Any]] | None = None) -> None:
        self.ticket_fields = ticket_fields or []
        self.tickets = tickets
        self.metrics = {ms["ticket_id"]: ms for ms in metric_sets}
        self.users = {u["id"]: u for u in users}
        self.groups = {g["id"]: g for g in groups}
        self.cap = cap
        self.auth = BASIC

    def get(self, path: str, query: dict[str, str]) -> Reply:
        if path == "/api/v2/ticket_fields.json":
            return self.fields_page(query)
        if path != "/api/v2/incremental/tickets/cursor.json":
            return Reply(404, {"error": "InvalidEndpoint"})
        if "cursor" in query:
            position, tid = base64.urlsafe_b64decode(query["cursor"]).decode().split("|")
            pos = (int(position), int(tid))
            start = 0
        elif "start_time" in query:
            start = int(query["start_time"])
            pos = (-1, -1)
        else:
            return Reply(400, {"error": "start_time or cursor required"})
        # a deleted ticket has status "deleted" (and a later generated_timestamp); with
        # exclude_deleted=true the export leaves it out
        live = [t for t in self.tickets if query.get("exclude_deleted") != "true"
                or t.get("status") != "deleted"]
        order = sorted(live, key=lambda t: (_zd_position(t), t["id"]))
        rest = [t for t in order if _zd_position(t) >= start
                and (_zd_position(t), t["id"]) > pos]
        size = min(int(query.get("per_page", 1000)), self.cap)
        page = rest[:size]
        last = (_zd_position(page[-1]), page[-1]["id"]) if page else pos
        after = _zd_cursor(*last) if last[1] >= 0 else query.get("cursor") or _zd_cursor(-1, -1)
        include = query.get("include", "").split(",")
        body: dict[str, Any] = {
            "tickets": page,
            "after_url": f"http://127.0.0.1{path}?cursor={after}",
            "after_cursor": after,
            "before_url": None, "before_cursor": None,
            "end_of_stream": len(rest) <= size,
        }
        if "metric_sets" in include:
            body["metric_sets"] = [self.metrics[t["id"]] for t in page if t["id"] in self.metrics]
        if "users" in include:
            ids = {t.get(k) for t in page for k in ("requester_id", "submitter_id",
                                                     "assignee_id")}
            body["users"] = [u for i, u in self.users.items() if i in ids]
        if "groups" in include:
            ids = {t.get("group_id") for t in page}
            body["groups"] = [g for i, g in self.groups.items() if i in ids]
        return Reply(200, body, {"X-Rate-Limit": "10", "X-Rate-Limit-Remaining": "9"})


# ---- running a pull -----------------------------------------------------------------------

@dataclass
class Run:
    code: int
    out: str
    err: str
    waits: list[float]


def pull(tool: str, url: str, out: Any, *, env: dict[str, str] | None = None,
         **options: Any) -> Run:
    """Run a pull in this process (waits recorded, not slept) and catch its errors as the
    command line would (exit 2 and one line)."""
    import io

    from itsm_diag.errors import ItsmDiagError
    from itsm_diag.pull.client import Backoff
    from itsm_diag.pull.engine import PullOptions, run

    waits: list[float] = []
    stdout, stderr = io.StringIO(), io.StringIO()
    options.setdefault("backoff", Backoff(sleep=waits.append))
    opts = PullOptions(tool=tool, url=url, out=out, env=ENV if env is None else env,
                       progress=False, stdout=stdout, stderr=stderr, **options)
    try:
        code = run(opts).exit_code
    except ItsmDiagError as exc:
        stderr.write(exc.one_line() + "\n")
        code = 2
    return Run(code, stdout.getvalue(), stderr.getvalue(), waits)


# ---- Freshservice -------------------------------------------------------------------------

def _inverse(table: dict[int, str]) -> dict[str, int]:
    return {v: k for k, v in table.items()}


def _fs_iso(text: str | None) -> str | None:
    return text.replace(" ", "T") + "Z" if text else None


class People:
    """Stable numeric ids for names (agents, groups, requesters)."""

    def __init__(self, start: int) -> None:
        self.ids: dict[str, int] = {}
        self.start = start

    def id(self, name: str | None) -> int | None:
        if not name:
            return None
        return self.ids.setdefault(name, self.start + len(self.ids))

    def records(self, kind: str) -> list[dict[str, Any]]:
        out = []
        for name, i in self.ids.items():
            if kind == "groups":
                out.append({"id": i, "name": name, "updated_at": "2024-01-01T00:00:00Z"})
            else:
                first, _, last = name.partition(" ")
                out.append({"id": i, "first_name": first, "last_name": last or None,
                            "updated_at": "2024-01-01T00:00:00Z"})
        return out


def freshservice_from_export(tickets: list[dict[str, str]], changes: list[dict[str, str]]
                             ) -> dict[str, list[dict[str, Any]]]:
    """The API records behind a Freshservice UI export's rows (English headers)."""
    from itsm_diag.pull import freshservice as fs

    agents, groups, people = People(100), People(200), People(1000)
    out: dict[str, list[dict[str, Any]]] = {"tickets": [], "changes": []}
    for row in tickets:
        g = row.get
        out["tickets"].append({
            "id": int(g("Ticket Id", "").split("-")[1]), "type": g("Type") or None,
            "subject": g("Subject") or None,
            "status": _inverse(fs.TICKET_STATUS)[g("Status", "")],
            "priority": _inverse(fs.PRIORITY).get(g("Priority", "")),
            "source": _inverse(fs.SOURCE)[g("Source", "")] if g("Source") else None,
            "requester_id": people.id(g("Requester Name")),
            "responder_id": agents.id(g("Agent")), "group_id": groups.id(g("Group")),
            "category": g("Category") or None, "sub_category": g("Sub-Category") or None,
            "created_at": _fs_iso(g("Created Time")), "updated_at": _fs_iso(g("Last Updated Time")),
            "due_by": _fs_iso(g("Due by Time")),
            "tags": g("Tags").split(";") if g("Tags") else [],
            "stats": {"resolved_at": _fs_iso(g("Resolved Time")),
                      "closed_at": _fs_iso(g("Closed Time")),
                      "first_responded_at": _fs_iso(g("Initial Response Time"))},
        })
    for row in changes:
        g = row.get
        out["changes"].append({
            "id": int(g("Change ID", "").split("-")[1]), "subject": g("Subject") or None,
            "status": _inverse(fs.CHANGE_STATUS)[g("Status", "")],
            "change_type": _inverse(fs.CHANGE_TYPE).get(g("Change Type", "")),
            "risk": _inverse(fs.RISK).get(g("Risk", "")),
            "priority": _inverse(fs.PRIORITY).get(g("Priority", "")),
            "planned_start_date": _fs_iso(g("Planned Start Date")),
            "planned_end_date": _fs_iso(g("Planned End Date")),
            "agent_id": agents.id(g("Agent")), "group_id": groups.id(g("Group")),
            "requester_id": people.id(g("Requester Name")), "category": g("Category") or None,
            "created_at": _fs_iso(g("Created Time")), "closed_at": _fs_iso(g("Closed Time")),
            "updated_at": _fs_iso(g("Last Updated Time")),
        })
    out["agents"], out["groups"] = agents.records("agents"), groups.records("groups")
    out["requesters"] = people.records("requesters")
    return out


class FreshserviceApp(App):
    """``/api/v2/{tickets,changes,agents,groups,requesters}``: ``updated_since`` (tickets
    and changes: required, as the list otherwise holds only the last 30 days),
    ``order_by``/``order_type``, ``page``/``per_page`` (at most ``cap``), ``Link`` next,
    ``X-RateLimit-*`` headers; the API key as Basic ``KEY:X``."""

    def __init__(self, data: dict[str, list[dict[str, Any]]], cap: int = 100) -> None:
        self.data = data
        self.cap = cap
        self.auth = "Basic " + base64.b64encode(f"{TOKEN}:X".encode()).decode()

    def get(self, path: str, query: dict[str, str]) -> Reply:
        name = path.removeprefix("/api/v2/")
        if name not in self.data:
            return Reply(404, {"code": "not_found"})
        rows = list(self.data[name])
        if name in ("tickets", "changes"):
            since = query.get("updated_since")
            if since is None:
                return Reply(400, {"description": "updated_since expected in this test"})
            rows = [r for r in rows if r["updated_at"] >= since]
            field = query.get("order_by", "created_at")
            rows.sort(key=lambda r: (r[field], r["id"]),
                      reverse=query.get("order_type", "desc") == "desc")
        size = min(int(query.get("per_page", 30)), self.cap)
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * size: page * size]
        headers = {"X-RateLimit-Total": "100", "X-RateLimit-Remaining": "99",
                   "X-RateLimit-Used-CurrentRequest": "1"}
        if page * size < len(rows):
            q = {**query, "page": page + 1}
            headers["Link"] = f'<http://127.0.0.1{path}?{urlencode(q)}>; rel="next"'
        return Reply(200, {name: chunk}, headers)


# ---- Jira ---------------------------------------------------------------------------------

def _jira_iso(text: str | None) -> str | None:
    """A Jira CSV time (``12/Jan/26 3:45 PM``, UTC here) as the API writes it."""
    import datetime as dt

    if not text:
        return None
    when = dt.datetime.strptime(text, "%d/%b/%y %I:%M %p")
    return when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")]}


def jira_from_export(headers: list[str], rows: list[list[str]]) -> tuple[
        list[dict[str, Any]], dict[str, str]]:
    """The API issues (``fields=*all``, ``expand=changelog``) behind a Jira CSV export;
    the columns ``Reassignment count`` / ``Reopen count``, where present, become that
    many assignee changes / reopening status changes in the change history."""
    names: dict[str, str] = {}
    issues = []
    for row in rows:
        cells: dict[str, list[str]] = {}
        for h, v in zip(headers, row, strict=True):
            cells.setdefault(h, []).append(v)

        def one(h: str, cells: dict[str, list[str]] = cells) -> str | None:
            vals = [v for v in cells.get(h, []) if v]
            return vals[0] if vals else None

        def person(name: str | None, account: str | None) -> dict[str, Any] | None:
            return {"displayName": name, "accountId": account} if name or account else None

        f: dict[str, Any] = {
            "summary": one("Summary"), "issuetype": {"name": one("Issue Type")},
            "status": {"name": one("Status"),
                       "statusCategory": {"name": one("Status Category")}},
            "project": {"key": one("Project key")},
            "priority": {"name": one("Priority")} if one("Priority") else None,
            "resolution": {"name": one("Resolution")} if one("Resolution") else None,
            "assignee": person(one("Assignee"), one("Assignee Id")),
            "reporter": person(one("Reporter"), one("Reporter Id")),
            "created": _jira_iso(one("Created")), "updated": _jira_iso(one("Updated")),
            "resolutiondate": _jira_iso(one("Resolved")),
            "duedate": (_jira_iso(one("Due date")) or "")[:10] or None,
            "components": [{"name": c} for c in cells.get("Components", []) if c],
            "labels": [v for v in cells.get("Labels", []) if v],
            "timespent": int(one("Time Spent")) if one("Time Spent") else None,
            "issuelinks": [], "comment": {"comments": [], "startAt": 0},
        }
        for h in cells:
            if h.startswith("Custom field (") and "count)" not in h:
                fid = "customfield_" + str(10000 + sorted(
                    x for x in dict.fromkeys(headers) if x.startswith("Custom field (")).index(h))
                names[fid] = h[len("Custom field ("):-1]
                value = one(h)
                if value and len(value) > 9 and value[2] == "/" and value[-1] == "M":
                    value = _jira_iso(value)
                elif value and "date" in h.lower() and len(value) == 9:
                    value = "20" + value[7:9] + "-" + {m: f"{i:02d}" for i, m in enumerate(
                        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                         "Nov", "Dec"), 1)}[value[3:6]] + "-" + value[:2]
                f[fid] = {"value": value} if value and "type" in h.lower() else value
            if h.startswith(("Inward issue link (", "Outward issue link (")):
                kind = h.split("(", 1)[1][:-1]
                side = "inwardIssue" if h.startswith("Inward") else "outwardIssue"
                f["issuelinks"] += [{"type": {"name": kind}, side: {"key": k}}
                                    for k in cells[h] if k]
        for c in cells.get("Comment", []):
            if c:
                at, author, body = c.split(";", 2)
                f["comment"]["comments"].append({"created": _jira_iso(at),
                                                 "author": {"accountId": author},
                                                 "body": adf(body)})
        f["comment"]["total"] = f["comment"]["maxResults"] = len(f["comment"]["comments"])
        histories = []
        for i in range(int(one("Custom field (Reassignment count)") or 0)):
            histories.append({"created": f["created"], "items": [
                {"field": "assignee", "from": f"a{i}", "fromString": f"A{i}",
                 "to": f"a{i + 1}", "toString": f"A{i + 1}"}]})
        for _ in range(int(one("Custom field (Reopen count)") or 0)):
            histories.append({"created": f["created"], "items": [
                {"field": "status", "fromString": "Resolved", "toString": "In Progress"}]})
        issues.append({"id": one("Issue id"), "key": one("Issue key"), "fields": f,
                       "changelog": {"startAt": 0, "maxResults": len(histories),
                                     "total": len(histories), "histories": histories}})
    return issues, names


class JiraApp(App):
    """``GET /rest/api/3/search/jql`` (jql, nextPageToken, maxResults capped at ``cap``,
    isLast, names), ``/rest/api/3/myself`` (timeZone) and ``/rest/api/3/issue/{key}/
    changelog|comment`` (startAt paging). The fake understands the JQL the pull writes:
    ``(...) AND updated >= "t" AND updated < "t" ORDER BY updated ASC, key ASC``, times in
    ``zone``; comments and histories beyond ``inline`` are left for the issue endpoints."""

    def __init__(self, issues: list[dict[str, Any]], names: dict[str, str], cap: int = 100,
                 zone: str = "Europe/Paris", inline: int = 1000) -> None:
        self.issues = issues
        self.names = names
        self.cap = cap
        self.zone = zone
        self.inline = inline

    def _utc(self, local: str) -> str:
        import datetime as dt
        from zoneinfo import ZoneInfo

        when = dt.datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(self.zone))
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def get(self, path: str, query: dict[str, str]) -> Reply:
        import re

        if path == "/rest/api/3/myself":
            return Reply(200, {"accountId": "me", "timeZone": self.zone})
        m = re.fullmatch(r"/rest/api/3/issue/([^/]+)/(changelog|comment)", path)
        if m:
            issue = next((i for i in self.issues if i["key"] == m[1]), None)
            if issue is None:
                return Reply(404, {"errorMessages": ["Issue does not exist"]})
            items = (issue["changelog"]["histories"] if m[2] == "changelog"
                     else issue["fields"]["comment"]["comments"])
            start, size = int(query.get("startAt", 0)), int(query.get("maxResults", 50))
            field = "values" if m[2] == "changelog" else "comments"
            return Reply(200, {field: items[start: start + size], "startAt": start,
                               "maxResults": size, "total": len(items),
                               "isLast": start + size >= len(items)})
        if path == "/rest/api/3/search":
            return Reply(410, {"errorMessages": ["The requested API has been removed."]})
        if path != "/rest/api/3/search/jql":
            return Reply(404, {"errorMessages": ["not found"]})
        jql = query["jql"]
        low = re.search(r'updated >= "([^"]+)"', jql)
        high = re.search(r'updated < "([^"]+)"', jql)
        rows = [i for i in self.issues
                if (not low or i["fields"]["updated"][:19] >= self._utc(low[1]))
                and (not high or i["fields"]["updated"][:19] < self._utc(high[1]))]
        rows.sort(key=lambda i: (i["fields"]["updated"], int(i["key"].split("-")[1])))
        start = int(query.get("nextPageToken", "0") or 0)
        size = min(int(query.get("maxResults", 50)), self.cap)
        page = json.loads(json.dumps(rows[start: start + size]))
        for issue in page:  # a search returns the first `inline` comments and changes only
            c, h = issue["fields"]["comment"], issue["changelog"]
            c["comments"], c["maxResults"] = c["comments"][: self.inline], self.inline
            h["histories"], h["maxResults"] = h["histories"][: self.inline], self.inline
        last = start + size >= len(rows)
        body: dict[str, Any] = {"issues": page, "isLast": last, "names": self.names}
        if not last:
            body["nextPageToken"] = str(start + size)
        return Reply(200, body)
