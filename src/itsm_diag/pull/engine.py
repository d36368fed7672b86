"""Run a pull: every stream, window by window, page by page, resumable; then the files.

Per page: the request the tool builds from the saved cursor, the records appended to the
stream's journal (fsynced), then the state saved atomically with the new cursor and the
journal's length. A rerun of the same command goes on from the saved cursors; a rerun
of a finished pull whose range is open (no ``--until``) fetches what changed since.

At the end, where the API counts records (ServiceNow), the server's count of the whole
range is compared with the distinct records received whose latest version lies in it;
an open range that grew meanwhile is paged again (up to :data:`CATCH_UP` times); a
difference left is said and the run exits 1. Then the latest version of each record is
written as the tool's export files (atomically, never over a file the pull did not write:
:class:`itsm_diag.pull.store.Outputs`) and a summary is printed.

Order of the checks: ``--url`` first (nothing else is looked at with a wrong address),
then the options, the credentials, and the files already in ``--out``, all before the
first request. A server's answer that is valid JSON in a shape its API does not document
stops the pull with one line (:func:`server_data`).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from itsm_diag.errors import UsageError
from itsm_diag.pull import store
from itsm_diag.pull.client import Backoff, Client, Credentials, PullError, base_url, safe
from itsm_diag.pull.source import Page, Source, Stream, Window, iso, parse_when, windows

#: tool -> its Source class ("module:Class")
SOURCES = {
    "servicenow": "itsm_diag.pull.servicenow:ServiceNow",
    "jira": "itsm_diag.pull.jira:Jira",
    "zendesk": "itsm_diag.pull.zendesk:Zendesk",
    "freshservice": "itsm_diag.pull.freshservice:Freshservice",
}
#: times an open range that grew during the pull is paged again before the counts are said
CATCH_UP = 3


@dataclass
class PullOptions:
    tool: str
    url: str
    out: Path
    since: str | None = None
    until: str | None = None
    tables: list[str] = field(default_factory=list)
    jql: str | None = None
    page_size: int | None = None
    slice_days: int = 30
    dry_run: bool = False
    timeout: float = 60.0
    backoff: Backoff | None = None
    env: Mapping[str, str] | None = None
    progress: bool | None = None  # None: on when stderr is a terminal
    stdout: TextIO | None = None
    stderr: TextIO | None = None


@dataclass
class Result:
    files: list[tuple[Path, int]] = field(default_factory=list)
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def make_source(options: PullOptions) -> Source:
    if options.tool not in SOURCES:
        raise UsageError(f"unknown tool {options.tool!r}",
                         hint=f"choose one of: {', '.join(SOURCES)}")
    since = parse_when(options.since, "--since") if options.since else None
    until = parse_when(options.until, "--until") if options.until else None
    if since and until and since >= until:
        raise UsageError("--since must be before --until")
    if options.page_size is not None and options.page_size < 1:
        raise UsageError("--page-size must be 1 or more")
    if options.slice_days < 1:
        raise UsageError("--slice-days must be 1 or more")
    module, name = SOURCES[options.tool].split(":")
    source: type[Source] = getattr(importlib.import_module(module), name)
    return source({
        "since": iso(since) if since else None, "until": iso(until) if until else None,
        "since_dt": since, "until_dt": until, "tables": list(options.tables),
        "jql": options.jql, "page_size": options.page_size,
    })


class Progress:
    """One line on a terminal, rewritten at most five times a second; silent elsewhere.
    Waits (rate limits, retries) are always said, on a line of their own."""

    def __init__(self, err: TextIO, enabled: bool) -> None:
        self.err = err
        self.enabled = enabled
        self.last = 0.0
        self.started = time.monotonic()
        self.shown = False

    def update(self, label: str, received: int, pages: int, total: int | None,
               force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.2):
            return
        self.last = now
        rate = received / max(now - self.started, 1e-6)
        line = f"{label}: {received:,} records, {pages:,} pages, {rate:,.0f}/s"
        if total:
            left = max(total - received, 0)
            eta = left / rate if rate > 0 else 0
            line += f" of ~{total:,}, ETA {int(eta // 60)}:{int(eta % 60):02d}"
        self.err.write("\r\033[K" + safe(line, 160))
        self.err.flush()
        self.shown = True

    def say(self, text: str) -> None:
        self.end()
        self.err.write(f"itsm-diag: {safe(text)}\n")
        self.err.flush()

    def end(self) -> None:
        if self.shown:
            self.err.write("\n")
            self.shown = False


@contextlib.contextmanager
def server_data(tool: str, what: str) -> Iterator[None]:
    """Around code that reads what a server sent: a shape the checks did not foresee (a
    list where an object was documented...) is the server's answer, not a bug here, and
    gets one line like the others."""
    try:
        yield
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise PullError(f"the server's answer for {what} is not in the shape the {tool} "
                        f"API documents ({type(exc).__name__})",
                        hint="check that --url is the tool's own address; the pull cannot "
                             "go on safely past it") from exc


def run(options: PullOptions) -> Result:
    out_stream = options.stdout or sys.stdout
    err = options.stderr or sys.stderr
    base_url(options.url)  # first: every other message assumes the address is one
    source = make_source(options)
    creds = Credentials.from_env(options.env)
    if options.dry_run:
        return _dry_run(source, options, creds, out_stream)
    header = source.auth(creds)
    show = err.isatty() if options.progress is None else options.progress
    progress = Progress(err, show)
    client = Client(options.url, auth_header=header, tool=source.tool, env_hint=source.env_hint,
                    timeout=options.timeout, backoff=options.backoff, secrets=creds.secrets(),
                    on_wait=progress.say)
    params = {"tool": source.tool, "url": client.base, "since": source.options["since"],
              "until": source.options["until"], **source.params()}
    out = options.out
    if out.exists() and not out.is_dir():
        raise UsageError("--out must be a folder", file=out)
    out.mkdir(parents=True, exist_ok=True)
    result = Result()
    try:
        with store.locked(out):
            state = store.State.open(out, params)
            files = store.Outputs(out, state)
            files.check(source.outputs())  # before an hour of paging, not after
            with server_data(source.tool, "the account"):
                source.prepare(client)
            data: dict[str, dict[str, list[Any]]] = {}
            for stream in source.streams():
                data[stream.name] = _pull_stream(source, client, state, stream, options,
                                                 progress, result)
            progress.end()
            with server_data(source.tool, "the records received"):
                result.files = source.write(files, data)
            state.data["finished_at"] = iso_now()
            state.save()
    except KeyboardInterrupt:
        progress.end()
        raise PullError(f"interrupted after {result.pages:,} pages this run; every page "
                        "received is saved", hint="rerun the same command to go on") from None
    finally:
        client.close()
    _summary(result, client, out_stream)
    for problem in result.problems:
        err.write(f"itsm-diag: {safe(problem, 400)}\n")
    return result


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _windows(source: Source, stream: Stream, options: PullOptions) -> list[Window]:
    since, until = source.options["since_dt"], source.options["until_dt"]
    if not stream.sliced:
        return [Window(source.options["since"], source.options["until"])]
    return windows(since, until, options.slice_days)


def _pull_stream(source: Source, client: Client, state: store.State, stream: Stream,
                 options: PullOptions, progress: Progress, result: Result
                 ) -> dict[str, list[Any]]:
    st = state.stream(stream.name)
    if not st["windows"]:
        st["windows"] = [{**w.as_dict(), "cursor": None, "done": False, "pages": 0}
                         for w in _windows(source, stream, options)]
    # an open window is never finished for good: a rerun fetches what changed since
    for w in st["windows"]:
        if w["until"] is None:
            w["done"] = False
    journal = store.Journal(state.folder, stream.name)
    journal.open(st["journal_bytes"])
    keys = source.keys(stream)
    latest: dict[str, str] = {}
    for kind, record in journal.entries(st["journal_bytes"]):
        if kind == "main":
            rid, updated = keys["main"](record)
            latest[rid] = max(updated, latest.get(rid, ""))
    label = f"{source.tool} {stream.what}"
    total = _count(source, client, stream, _whole(st)) if stream.counted else None
    try:
        for attempt in range(CATCH_UP + 1):
            for w in st["windows"]:
                if not w["done"]:
                    _pull_window(source, client, state, stream, w, journal, latest, keys,
                                 progress, result, label, total)
            if not stream.counted:
                break
            whole = _whole(st)
            total = _count(source, client, stream, whole)
            received = sum(1 for u in latest.values() if whole.holds(u))
            if total is None or total == received:
                break
            if total < received or whole.until is not None or attempt == CATCH_UP:
                result.problems.append(
                    f"{label}: the server counts {total:,} records updated "
                    f"{_range(whole)}, but {received:,} distinct ones were received"
                    + (" (records were deleted, or changed to outside the range, during the "
                       "pull)" if total < received else
                       " (records were added or changed after their pages were read)")
                    + "; the files hold what was received. Rerun the same command to "
                    "fetch the changes")
                break
            # the open range grew while it was read: page on from the last cursor
            for w in st["windows"]:
                if w["until"] is None:
                    w["done"] = False
    finally:
        journal.close()
        state.save()
    progress.update(label, len(latest), sum(w["pages"] for w in st["windows"]), total,
                    force=True)
    progress.end()
    return journal.latest(st["journal_bytes"], keys)


def _whole(st: dict[str, Any]) -> Window:
    return Window(st["windows"][0]["since"], st["windows"][-1]["until"])


def _range(w: Window) -> str:
    if w.since and w.until:
        return f"from {w.since} to {w.until}"
    if w.since:
        return f"since {w.since}"
    if w.until:
        return f"before {w.until}"
    return "at any time"


def _count(source: Source, client: Client, stream: Stream, window: Window) -> int | None:
    req = source.count(stream, window)
    if req is None:
        return None
    answer = (client.post_read(req.path, req.body, what=stream.what) if req.body is not None
              else client.get(req.path, req.params, what=stream.what))
    return source.count_of(answer)


def _pull_window(source: Source, client: Client, state: store.State, stream: Stream,
                 w: dict[str, Any], journal: store.Journal, latest: dict[str, str],
                 keys: dict[str, Any], progress: Progress, result: Result, label: str,
                 total: int | None) -> None:
    window = Window(w["since"], w["until"])
    st = state.stream(stream.name)
    while True:
        req = source.request(stream, window, w["cursor"])
        answer = (client.post_read(req.path, req.body, what=stream.what)
                  if req.body is not None else client.get(req.path, req.params,
                                                           what=stream.what))
        with server_data(source.tool, stream.what):
            page: Page = source.parse(stream, window, w["cursor"], answer)
            page.records = source.complete(client, page.records)
        for kind, records in (("main", page.records), *page.extras.items()):
            if records:
                st["journal_bytes"] = journal.append(kind, records)
        for record in page.records:
            rid, updated = keys["main"](record)
            latest[rid] = max(updated, latest.get(rid, ""))
        if page.cursor is not None:
            w["cursor"] = page.cursor
        w["pages"] += 1
        w["done"] = page.done
        result.pages += 1
        state.save()  # after the journal's fsync: the state never points past it
        progress.update(label, len(latest), sum(x["pages"] for x in st["windows"]), total)
        if page.done:
            return


def _summary(result: Result, client: Client, out: TextIO) -> None:
    records = sum(n for _, n in result.files)
    out.write(f"pulled {records:,} records in {result.pages:,} pages "
              f"({client.requests:,} requests, {client.retries:,} retried) from {client.host}\n")
    for path, n in result.files:
        out.write(f"  {path} ({n:,} records)\n")
    if result.files:
        out.write(f"next: itsm-diag diagnose {result.files[0][0].parent}\n")


def _dry_run(source: Source, options: PullOptions, creds: Credentials, out: TextIO) -> Result:
    """The requests the pull would start with, and an estimate of its size."""
    base = base_url(options.url)
    out.write(f"dry run: nothing is written; the pull of {source.tool} at {base} would "
              f"read, into {options.out}:\n")
    client: Client | None = None
    note = ""
    try:
        header = source.auth(creds)
    except UsageError as exc:
        note = f"no estimate: {exc.message}"
    else:
        client = Client(options.url, auth_header=header, tool=source.tool,
                        env_hint=source.env_hint, timeout=options.timeout,
                        backoff=options.backoff, secrets=creds.secrets())
        with server_data(source.tool, "the account"):
            source.prepare(client)
    requests_total = 0
    try:
        for stream in source.streams():
            wins = _windows(source, stream, options)
            whole = Window(wins[0].since, wins[-1].until)
            out.write(f"- {stream.what}: {len(wins)} window(s) {_range(whole)}\n")
            for window in wins[:3]:
                req = source.request(stream, window, None)
                query = urlencode(req.params) if req.params else ""
                verb = "POST" if req.body is not None else "GET"
                out.write(f"    {verb} {base}{req.path}{'?' + query if query else ''}\n")
            if len(wins) > 3:
                out.write(f"    ... and {len(wins) - 3} more windows like these\n")
            if client is not None and stream.counted:
                n = _count(source, client, stream, whole)
                if n is not None:
                    pages = max(len(wins), -(-n // source.page_size))
                    requests_total += pages
                    out.write(f"    the server counts {n:,} records: about {pages:,} "
                              f"requests of {source.page_size}\n")
            elif client is not None:
                out.write("    the API gives no count in advance\n")
    finally:
        if client is not None:
            client.close()
    if requests_total and source.rate_per_minute:
        out.write(f"estimate: {requests_total:,} requests; at the documented "
                  f"{source.rate_per_minute}/minute, at least "
                  f"{requests_total / source.rate_per_minute:,.1f} minutes\n")
    if note:
        out.write(note + "\n")
    return Result()
