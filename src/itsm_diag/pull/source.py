"""What every tool's puller provides, and the helpers they share (times, windows).

A :class:`Source` names its streams (a ServiceNow table, Jira's issues, Freshservice's
agents...), builds the request for a stream's next page from a cursor, reads a page's
answer into records and the next cursor, tells each record's id and update time, and at
the end writes the records as files its tool's importer reads. The engine
(:mod:`itsm_diag.pull.engine`) does the rest: paging, journal, state, progress, checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from itsm_diag.errors import UsageError
from itsm_diag.pull.client import Answer, Client, Credentials, PullError, safe
from itsm_diag.pull.store import Outputs

# the pulled CSVs escape every cell against spreadsheet formulas (one implementation)
from itsm_diag.safety import csv_text as csv_text
from itsm_diag.safety import sheet_safe as sheet_safe

Key = Callable[[Any], tuple[str, str]]


@dataclass(frozen=True)
class Stream:
    name: str          # journal/state key and file stem
    what: str          # in messages: "table incident"
    sliced: bool = True  # read window by window (--since/--until); False: one pass
    counted: bool = False  # the API can count the records in a range (checked at the end)


@dataclass(frozen=True)
class Request:
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # a read POST (client.READ_POSTS)


@dataclass
class Page:
    records: list[Any]
    cursor: dict[str, Any] | None  # the position after this page (where a rerun goes on)
    done: bool  # the window holds nothing more (for now: an open window goes on later)
    extras: dict[str, list[Any]] = field(default_factory=dict)  # side-loads by name
    total: int | None = None  # the server's count of what the request matches, if given


@dataclass(frozen=True)
class Window:
    since: str | None  # ISO UTC, inclusive
    until: str | None  # ISO UTC, exclusive; None: open (up to now, and on)

    def holds(self, updated: str) -> bool:
        return (self.since is None or updated >= self.since) and (
            self.until is None or updated < self.until)

    def as_dict(self) -> dict[str, str | None]:
        return {"since": self.since, "until": self.until}


class Source:
    """One tool's API. Subclasses set the class attributes and the methods."""

    tool = ""
    #: the environment variables this tool reads, for messages
    env_hint = "ITSM_DIAG_USER and ITSM_DIAG_PASSWORD (or ITSM_DIAG_TOKEN)"
    #: documented requests/minute the estimate assumes (None: not documented)
    rate_per_minute: int | None = None
    page_size = 100
    #: ids asked for in one request by :meth:`by_id` (few enough for a URL; fewer when
    #: the page size is smaller)
    id_batch = 100

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        #: what :meth:`write` has to say (records it left out), said on stderr, exit 0
        self.notes: list[str] = []

    # ---- what to read -------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The options that make a pull this pull (saved; a rerun must match them)."""
        return {}

    def streams(self) -> list[Stream]:
        raise NotImplementedError

    def auth(self, creds: Credentials) -> str:
        """The Authorization header value, from the environment's credentials."""
        raise NotImplementedError

    # ---- paging ---------------------------------------------------------------------------
    def prepare(self, client: Client) -> None:
        """Anything to learn from the server before the first page (Jira: its time zone)."""

    def complete(self, client: Client, records: list[Any]) -> list[Any]:
        """A page's records made whole (Jira: comments and history the search cut short)."""
        return records

    def request(self, stream: Stream, window: Window, cursor: dict[str, Any] | None) -> Request:
        raise NotImplementedError

    def parse(self, stream: Stream, window: Window, cursor: dict[str, Any] | None,
              answer: Answer) -> Page:
        raise NotImplementedError

    def keys(self, stream: Stream) -> dict[str, Key]:
        """Per record kind (``main`` and each side-load): ``record -> (id, updated)``;
        ``updated`` in :func:`utc` form (side-loads: any text, later wins)."""
        raise NotImplementedError

    def count(self, stream: Stream, window: Window) -> Request | None:
        """A request whose answer counts the records of ``window`` (``counted`` streams)."""
        return None

    def count_of(self, answer: Answer) -> int | None:
        return None

    def listing(self, client: Client, stream: Stream, window: Window
                ) -> tuple[dict[str, str], int | None] | None:
        """The ids of the records of ``window`` the server returns to this account now,
        each with its update time (:func:`utc` form), and the number the server counts
        for the range while listing (which counts records the account may not read);
        None where the API cannot list a range cheaply. Asked
        only when the count at the end and the records received differ, to tell why."""
        return None

    def by_id(self, stream: Stream, window: Window, ids: list[str],
              cursor: dict[str, Any] | None) -> Request | None:
        """A request for the records of ``window`` whose ids are among ``ids`` (at most
        :attr:`id_batch`), built as :meth:`request` builds a page (the same fields, so the
        records are shaped the same) and read by :meth:`parse`, paged on from ``cursor``
        (None: the first); None where the API cannot fetch these records by id (the
        default). Asked at the end for the ids :meth:`listing` names that no page brought
        (a record whose update time lies before where an open range is paged on from)."""
        return None

    def label(self, record: Any) -> str:
        """How a message names a record (ServiceNow: its number)."""
        return str(record)

    # ---- the files ------------------------------------------------------------------------
    def outputs(self) -> list[str]:
        """The names of every file :meth:`write` may write (checked before the first
        request: none may be a file the pull did not write)."""
        raise NotImplementedError

    def write(self, files: Outputs, data: dict[str, dict[str, list[Any]]]
              ) -> list[tuple[Path, int]]:
        """Write the latest records of every stream (``data[stream][kind]``) as files the
        importer of this tool reads, each through ``files``; returns ``(path, records)``
        per file. A file of :meth:`outputs` not written (no record left for it) is
        removed by the engine if an earlier run wrote it."""
        raise NotImplementedError


# ---- what a server sends --------------------------------------------------------------------

_NOTHING = object()


class Malformed(PullError):
    """A valid JSON answer in a shape the API does not document. The value it quotes came
    from the server, which may echo what it was sent: :meth:`redact` blanks the secrets
    in it *before* it is cut to length (a cut secret would no longer be recognised)."""

    def __init__(self, what: str, problem: str, value: Any = _NOTHING) -> None:
        self.what, self.problem, self.value = what, problem, value
        super().__init__(self._text(lambda text: text),
                         hint="check that --url is the tool's own address; if it is, the "
                              "tool's support should know of this record")

    def _text(self, clean: Callable[[str], str]) -> str:
        quoted = "" if self.value is _NOTHING else f" ({safe(clean(repr(self.value)), 40)})"
        return clean(f"the server's answer is malformed: {self.what} {self.problem}") + quoted

    def redact(self, clean: Callable[[str], str]) -> None:
        self.message = self._text(clean)
        self.args = (self.message,)


def malformed(what: str, problem: str, value: Any = _NOTHING) -> Malformed:
    """A valid JSON answer in a shape the API does not document: one line, exit 2 (paging
    on past a record that cannot be placed could skip or misplace records). ``value``,
    when given, is quoted (secrets blanked by the engine, then cut to 40 characters)."""
    return Malformed(what, problem, value)


def repeated(what: str) -> PullError:
    """A page that leaves the position where it was (the same cursor, token or last
    record as the request named): paging on would ask the same page for ever."""
    return PullError(f"the server returned the same position twice for {what}: the pull "
                     "cannot go on past it",
                     hint="rerun the same command later (every page received before it is "
                          "saved); if it happens again, the tool's support should know")


def is_id(value: Any) -> bool:
    """A record id as the APIs give it: a whole number, or its digits as text."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")


def is_time(value: Any) -> bool:
    """A timestamp :func:`utc` can read (into a real date and time)."""
    text = utc(value)
    if _UTC.match(text) is None:
        return False
    try:
        datetime.fromisoformat(text[:19])
    except ValueError:
        return False
    return True


def objects(rows: Any, what: str, *, ident: str | None = "id",
            stamp: str | None = "updated_at") -> list[dict[str, Any]]:
    """``rows`` checked to be a list of objects, each with a numeric ``ident`` and a
    readable ``stamp`` (when named); the first that is not is named in the error."""
    if not isinstance(rows, list):
        raise malformed(what, f"is {_kind(rows)}, not a list")
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            raise malformed(f"{what}[{n}]", f"is {_kind(row)}, not an object")
        if ident is not None and not is_id(row.get(ident)):
            raise malformed(f"{what}[{n}]", f"has no numeric {ident!r}", row.get(ident))
        if stamp is not None and not is_time(row.get(stamp)):
            raise malformed(f"{what}[{n}]", f"has no readable {stamp!r}", row.get(stamp))
    return rows


def _kind(value: Any) -> str:
    return {type(None): "null", bool: "true/false", int: "a number", float: "a number",
            str: "text", list: "a list", dict: "an object"}.get(type(value), "a value")


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else an empty one (a documented object that is not)."""
    return value if isinstance(value, dict) else {}


def number(value: Any) -> int | None:
    """A count the API gives (``total``), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# ---- times ----------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(text: str, option: str) -> datetime:
    """``--since``/``--until``: a date or an ISO date and time (UTC unless it says)."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{option} {value!r} is not a date",
                         hint="write it as 2025-01-31 or 2025-01-31T08:00:00Z") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(text: Any) -> str:
    """A tool's timestamp as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC (sorts as text); text
    that is no time is returned as it is, anything else (a number, null) as ``""``."""
    if not text or not isinstance(text, str):
        return ""
    value = text.strip().replace(" ", "T", 1)
    if _DATE_ONLY.match(value):
        value += "T00:00:00"
    # Jira writes +0000 without the colon, which fromisoformat (3.11) takes as well
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


def file_time(value: Any) -> str | None:
    """A tool's timestamp as the pulled files write it: ``YYYY-MM-DD HH:MM:SSZ``, UTC and
    marked so (the importers read the ``Z``: ``diagnose --tz`` shifts only times without
    a zone); None for nothing, text that is no time as it is."""
    text = utc(value) if value else ""
    if not text:
        return None
    if _UTC.match(text) is None:
        return text
    return text[:19].replace("T", " ") + "Z"


def windows(since: datetime | None, until: datetime | None, days: int) -> list[Window]:
    """[since, until) cut into windows of ``days`` (one window without --since)."""
    if since is None:
        return [Window(None, iso(until) if until else None)]
    out: list[Window] = []
    start = since
    end = until or datetime.now(UTC)
    while True:
        try:
            stop = start + timedelta(days=days)
        except OverflowError:  # past the year 9999: the last window
            stop = end
        if stop >= end:
            out.append(Window(iso(start), iso(until) if until else None))
            return out
        out.append(Window(iso(start), iso(stop)))
        start = stop
