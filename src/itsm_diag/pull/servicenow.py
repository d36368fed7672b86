"""ServiceNow: the Table API (``GET /api/now/table/{table}``), one stream per table.

Each request asks for ``sysparm_display_value=all`` (every field as ``{"display_value",
"value"}``), ``sysparm_exclude_reference_link=true`` and ``sysparm_limit`` rows at offset
0, ordered by ``sys_updated_on`` then ``sys_id``. Paging is by key, not by offset: the
next page asks for the rows after the last one received (``sys_updated_on`` later, or
equal with a greater ``sys_id``, an ``^NQ`` query), so neither a deep offset nor a row
updated during the pull (it moves to the end, and is read again there) can shift a row
past a page boundary. A window is done when a page says there is no next page (no
``rel="next"`` in ``Link``, or fewer rows than ``X-Total-Count``), or is empty with
nothing counted past it: a page shorter than asked (the instance's cap on
``sysparm_limit``) is not an end.

ACLs filter rows *after* the query and the limit (ServiceNow KB3047115): a page may hold
fewer rows than asked, or none, while ``X-Total-Count`` still counts the rows the
account cannot read. An empty page that says rows remain (``X-Total-Count`` beyond it,
or a ``rel="next"`` link) does not end the window: the next request keeps the same key
and steps ``sysparm_offset`` past the unreadable rows (by the ``sysparm_offset`` of the
``rel="next"`` link, which the instance's own cap on the limit sets, read and never
requested; else by the page size), back to 0 once a row arrives.

``X-Total-Count`` of a one-row request counts a range: the check at the end. When it
and the records received differ, :meth:`ServiceNow.listing` lists the range's
``sys_id`` (and ``sys_updated_on``, to page by key the same way) to tell rows the
account cannot read from rows deleted or moved out of the range. Rows it lists that no
page brought are asked for by id (:meth:`ServiceNow.by_id`: ``sys_idIN`` added to the
page request, 100 ids a request at most).

The file: ``<table>.json`` ``{"result": [...]}`` with each field's display value
(state labels, "3 - Moderate", names of referenced groups and people, as a list export
shows them) except date-times, which keep the stored UTC value marked as such,
``yyyy-MM-dd HH:mm:ssZ`` (the display value is in the API user's time zone and format;
the ``Z`` keeps ``diagnose --tz`` from shifting them), and durations (``time_worked``),
stored as a time after the epoch, written as ``H:MM:SS`` (the display value, "30
Minutes", is in the API user's language and drops the seconds).

A table left with no record (every one deleted, or no longer returned) has its earlier
file removed by the engine (:attr:`itsm_diag.pull.engine.Result.removed`).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from itsm_diag.errors import UsageError
from itsm_diag.pull.client import Answer, Client, Credentials, PullError, dumps
from itsm_diag.pull.source import (
    Key,
    Page,
    Request,
    Source,
    Stream,
    Window,
    repeated,
    utc,
)
from itsm_diag.pull.store import Outputs

TABLES = ("incident", "change_request", "problem", "sc_req_item")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
#: a date or a time in a display value (a duration's says "3 Days 17 Hours" in words)
_DATE_LIKE = re.compile(r"\d[-/.:]\d")
_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)
#: the fields of the listing that tells unreadable rows from deleted ones
_LIST_FIELDS = "sys_id,sys_updated_on"
#: a sys_id an encoded query can name (32 hex digits; a few baseline records' are words)
_SYS_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _sn_time(iso_utc: str) -> str:
    """``2025-01-31T08:00:00Z`` -> ``2025-01-31 08:00:00``, as encoded queries compare."""
    return iso_utc[:19].replace("T", " ")


def _value(record: dict[str, Any], name: str) -> str:
    field = record.get(name)
    if isinstance(field, dict):
        return str(field.get("value") or "")
    return "" if field is None else str(field)


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One row as a list export shows it: display values, date-times as stored (UTC,
    marked ``Z`` so that ``diagnose --tz`` does not shift them; dates alone as they
    are), durations as ``H:MM:SS`` (:func:`_duration`)."""
    row: dict[str, Any] = {}
    for name, field in record.items():
        if isinstance(field, dict) and ("display_value" in field or "value" in field):
            value, shown = field.get("value"), field.get("display_value")
            # a date-time: the stored value and a short display value (a journal field's
            # value may start with a stamp, but its display value is the whole journal)
            if (isinstance(value, str) and _STAMP.match(value) is not None
                    and (not shown or (len(str(shown)) <= 32 and "\n" not in str(shown)))):
                length = _duration(value, shown)
                if length is not None:
                    row[name] = length
                elif len(value) > 10:  # a date and a time: UTC as stored, said so
                    row[name] = value + "Z"
                else:
                    row[name] = value
            else:
                row[name] = value if shown is None else shown
        else:
            row[name] = field
    return row


def _duration(value: str, shown: Any) -> str | None:
    """A duration field (``time_worked``, ``business_duration``...) as ``H:MM:SS`` (hours
    past 24 kept: ``89:21:09``), which the importer reads as a duration; None for a
    date-time. The Table API stores a duration as the time after the epoch (``1970-01-04
    17:21:09`` is 3 days 17:21:09) and displays it in words ("30 Minutes", in the API
    user's language), never as a date: a 1970 value whose display value holds no date
    or time (no two digits joined by ``-``, ``/``, ``.`` or ``:``) is one."""
    if not value.startswith("1970-") or len(value) != 19:
        return None
    if shown and _DATE_LIKE.search(str(shown)):
        return None
    try:
        after = datetime.fromisoformat(value) - datetime(1970, 1, 1)
    except ValueError:
        return None
    seconds = int(after.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ServiceNow(Source):
    tool = "servicenow"
    env_hint = "ITSM_DIAG_USER and ITSM_DIAG_PASSWORD (or ITSM_DIAG_TOKEN, an OAuth token)"
    page_size = 1000

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.tables = list(dict.fromkeys(options.get("tables") or TABLES))
        bad = [t for t in self.tables if not _TABLE.match(t)]
        if bad:
            raise UsageError(f"--table {bad[0]!r} is not a table name",
                             hint="use the table's system name, e.g. incident or sc_req_item")
        self.page_size = options.get("page_size") or self.page_size

    def params(self) -> dict[str, Any]:
        return {"tables": self.tables}

    def streams(self) -> list[Stream]:
        return [Stream(t, f"table {t}", counted=True) for t in self.tables]

    def auth(self, creds: Credentials) -> str:
        import base64

        if creds.user and creds.password:
            pair = f"{creds.user}:{creds.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if creds.token:
            return f"Bearer {creds.token}"
        raise UsageError("no credentials for ServiceNow",
                         hint="set ITSM_DIAG_USER and ITSM_DIAG_PASSWORD (a user with the "
                              "itil role, or snc_read_only) or ITSM_DIAG_TOKEN")

    # ---- paging -------------------------------------------------------------------------
    def _range(self, window: Window) -> list[str]:
        parts = []
        if window.since:
            parts.append(f"sys_updated_on>={_sn_time(window.since)}")
        if window.until:
            parts.append(f"sys_updated_on<{_sn_time(window.until)}")
        return parts

    def query(self, window: Window, cursor: dict[str, Any] | None,
              only: tuple[str, ...] = ()) -> str:
        """The encoded query of a page: the range (and the conditions ``only`` adds, in
        every ``^NQ`` group), ordered by key, after ``cursor``."""
        base = [*self._range(window), *only]
        order = "ORDERBYsys_updated_on^ORDERBYsys_id"
        if not cursor or not cursor.get("updated"):
            return "^".join([*base, order])
        at, sys_id = cursor["updated"], cursor["sys_id"]
        later = "^".join([*base, f"sys_updated_on>{at}"])
        tie = "^".join([*base, f"sys_updated_on={at}", f"sys_id>{sys_id}"])
        return f"{later}^NQ{tie}^{order}"

    def request(self, stream: Stream, window: Window, cursor: dict[str, Any] | None) -> Request:
        return self._page(stream, window, cursor)

    def by_id(self, stream: Stream, window: Window, ids: list[str],
              cursor: dict[str, Any] | None) -> Request | None:
        """The rows of ``window`` among ``ids``: the page request with ``sys_idIN`` added
        (the same fields and display values, paged by key the same way). An id that an
        encoded query cannot hold (``^``, ``,``...) is not asked for."""
        asked = [i for i in ids if _SYS_ID.match(i)]
        if not asked:
            return None
        return self._page(stream, window, cursor, (f"sys_idIN{','.join(asked)}",))

    def _page(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              only: tuple[str, ...] = ()) -> Request:
        return Request(f"/api/now/table/{stream.name}", {
            "sysparm_query": self.query(window, cursor, only),
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_limit": self.page_size,
            "sysparm_offset": int((cursor or {}).get("offset") or 0),
        })

    def parse(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              answer: Answer) -> Page:
        rows = answer.data.get("result") if isinstance(answer.data, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PullError(f"the answer for {stream.what} holds no 'result' list of rows",
                            hint="check that --url is the instance's address")
        total = _int(answer.headers.get("X-Total-Count"))
        link = answer.headers.get("Link")
        if not rows:
            # empty: the end, or a stretch of rows ACLs hide (counted, not returned)
            offset = int((cursor or {}).get("offset") or 0)
            step = _next_offset(link, offset) or self.page_size
            more = (offset + step < total if total is not None
                    else _NEXT.search(link or "") is not None)
            if not more:
                # the key kept, the offset not: rows hidden now may be gone next run, and
                # an offset kept would then skip the rows that took their places
                kept = {k: v for k, v in (cursor or {}).items() if k != "offset"}
                return Page([], kept, done=True, total=total)
            return Page([], {**(cursor or {}), "offset": offset + step}, done=False,
                        total=total)
        last = rows[-1]
        missing = [n for n in ("sys_id", "sys_updated_on") if not _value(last, n)]
        if missing:
            raise PullError(f"the rows of {stream.what} lack {missing[0]}",
                            hint="the account needs read access to the system fields")
        nxt = {"updated": _value(last, "sys_updated_on"), "sys_id": _value(last, "sys_id")}
        if cursor and all(cursor.get(k) == nxt[k] for k in nxt):
            # the last row is the one the request started after: the key did not move
            raise repeated(stream.what)
        if total is not None:
            done = len(rows) >= total
        elif link is not None:
            done = _NEXT.search(link) is None  # as the empty page reads it
        else:
            done = False  # no hint: the next (empty) page says
        return Page(rows, nxt, done=done, total=total)

    def keys(self, stream: Stream) -> dict[str, Key]:
        return {"main": lambda r: (_value(r, "sys_id"), utc(_value(r, "sys_updated_on")))}

    def count(self, stream: Stream, window: Window) -> Request:
        return Request(f"/api/now/table/{stream.name}", {
            "sysparm_query": "^".join(self._range(window)), "sysparm_fields": "sys_id",
            "sysparm_limit": 1})

    def count_of(self, answer: Answer) -> int | None:
        return _int(answer.headers.get("X-Total-Count"))

    def listing(self, client: Client, stream: Stream, window: Window
                ) -> tuple[dict[str, str], int | None]:
        """The ``sys_id`` of every row of ``window`` the account is returned now, paged by
        key as the records are (and past ACL-empty stretches), and the ``X-Total-Count``
        of the range as the listing started (rows the account cannot read included)."""
        ids: dict[str, str] = {}
        counted: int | None = None
        cursor: dict[str, Any] | None = None
        first = True
        while True:
            req = self.request(stream, window, cursor)
            params = {**req.params, "sysparm_fields": _LIST_FIELDS,
                      "sysparm_display_value": "false"}
            answer = client.get(req.path, params, what=stream.what)
            page = self.parse(stream, window, cursor, answer)
            if first:
                counted, first = page.total, False
            ids.update((_value(r, "sys_id"), utc(_value(r, "sys_updated_on")))
                       for r in page.records)
            cursor = page.cursor
            if page.done:
                return ids, counted

    def label(self, record: Any) -> str:
        return _value(record, "number") or _value(record, "sys_id")

    # ---- the files ------------------------------------------------------------------------
    def outputs(self) -> list[str]:
        return [f"{table}.json" for table in self.tables]

    def write(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
              ) -> list[tuple[Path, int]]:
        written = []
        for table in self.tables:
            rows = data.get(table, {}).get("main", [])
            if not rows:
                continue
            rows = sorted(rows, key=lambda r: (_value(r, "number"), _value(r, "sys_id")))
            body = ",\n".join(dumps(flat(r)) for r in rows)
            path = files.write(f"{table}.json", '{"result":[\n' + body + "\n]}\n")
            written.append((path, len(rows)))
        return written


def _next_offset(link: str | None, offset: int) -> int | None:
    """How far the ``rel="next"`` link of ``Link`` moves ``sysparm_offset`` past
    ``offset`` (the instance's own page length, its cap included); None without one.
    The link is read, never requested."""
    found = _NEXT.search(link or "")
    if found is None:
        return None
    values = parse_qs(urlsplit(found.group(1)).query).get("sysparm_offset") or []
    nxt = _int(values[-1]) if values else None
    return nxt - offset if nxt is not None and nxt > offset else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
