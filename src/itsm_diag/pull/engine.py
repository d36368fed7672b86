"""Run a pull: every stream, window by window, page by page, resumable; then the files.

Per page: the request the tool builds from the saved cursor, the records appended to the
stream's journal (fsynced), then the state saved atomically with the new cursor and the
journal's length. A rerun of the same command goes on from the saved cursors; a rerun
of a finished pull whose range is open (no ``--until``) fetches what changed since.

A page that leaves the position where it was (the cursor, token or key the request
named) stops the pull with one line before anything of it is journalled: paging on
would ask the same page for ever.

At the end, where the API counts records (ServiceNow), the server's count of the whole
range is compared with the distinct records received whose latest version lies in it;
an open range that grew meanwhile is paged again (up to :data:`CATCH_UP` times, while a
pass brings something). A difference left is explained by a listing of the range's ids
(:meth:`Source.listing`): records received that the server no longer returns in the
range (deleted, updated past ``--until``, no longer readable) are left out of the files
from then on (``gone`` in the state, said once in a note); rows the server counts but
does not return to the account (ACLs) are said in a note, every run, without a listing
again while the difference stays that number; neither is an exit 1, as no rerun could
change them. Rows listed but not received are asked for by id (:meth:`Source.by_id`, in
batches of :attr:`Source.id_batch`), paged and journalled as the range's pages are: an
open range is paged on from its cursor, so a record whose update time lies before it
(an import that writes the time itself, a row readable only after it was paged past)
would else be missed by every rerun. What that does not bring, and what no listing
explains (a count the listing contradicts), is said and the run exits 1. Then the latest
version of each record is written as the tool's export files (atomically, never over a
file the pull did not write: :class:`itsm_diag.pull.store.Outputs`) and a summary is
printed.

Order of the checks: ``--url`` first (nothing else is looked at with a wrong address),
then the options, the credentials, and the files already in ``--out``, all before the
first request. A server's answer that is valid JSON in a shape its API does not document
stops the pull with one line (:func:`server_data`).
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from itsm_diag.errors import UsageError
from itsm_diag.pull import store
from itsm_diag.pull.client import Backoff, Client, Credentials, PullError, base_url, safe
from itsm_diag.pull.source import (
    Malformed,
    Page,
    Source,
    Stream,
    Window,
    iso,
    parse_when,
    repeated,
    windows,
)

#: tool -> its Source class ("module:Class")
SOURCES = {
    "servicenow": "itsm_diag.pull.servicenow:ServiceNow",
    "jira": "itsm_diag.pull.jira:Jira",
    "zendesk": "itsm_diag.pull.zendesk:Zendesk",
    "freshservice": "itsm_diag.pull.freshservice:Freshservice",
}
#: times an open range that grew during the pull is paged again before the counts are said
CATCH_UP = 3
#: the longest --timeout (a day): past it, no answer is worth the wait, and the clock's
#: arithmetic overflows for values near infinity
MAX_TIMEOUT = 86_400.0
#: the longest --slice-days (100 years; a longer window is the same one window)
MAX_SLICE_DAYS = 36_500
#: records named in a note (the rest are counted)
NAMED = 5


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
    notes: list[str] = field(default_factory=list)  # said on stderr, not an exit 1
    #: files of an earlier run removed: no record is left to write in them
    removed: list[Path] = field(default_factory=list)

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
    if not 1 <= options.slice_days <= MAX_SLICE_DAYS:
        raise UsageError(f"--slice-days {options.slice_days} is out of range: it must be "
                         f"from 1 to {MAX_SLICE_DAYS:,} days",
                         hint="leave it out for windows of 30 days")
    timeout = options.timeout
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout)
            and 0 < timeout <= MAX_TIMEOUT):
        raise UsageError(f"--timeout {timeout} is not a number of seconds from more than 0 "
                         f"to {MAX_TIMEOUT:,.0f}", hint="leave it out for 60 seconds")
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
    except (AttributeError, TypeError, ValueError, KeyError, IndexError,
            RecursionError) as exc:
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
            result.notes += source.notes
            # a file of an earlier run that no record is left for (a table whose every
            # record was deleted): removed, so that diagnose does not read them still
            written = {path.name for path, _ in result.files}
            for name in source.outputs():
                if name not in written:
                    gone_file = files.remove(name)
                    if gone_file is not None:
                        result.removed.append(gone_file)
            if client.replaced:
                result.notes.append(
                    f"{client.replaced:,} text{'s' if client.replaced != 1 else ''} received "
                    f"held a lone surrogate (half of a character a server cut in two, such "
                    f"as an emoji), replaced by U+FFFD")
            state.data["finished_at"] = iso_now()
            state.save()
    except KeyboardInterrupt:
        progress.end()
        raise PullError(f"interrupted after {result.pages:,} pages this run; every page "
                        "received is saved", hint="rerun the same command to go on") from None
    except Malformed as exc:
        exc.redact(client.clean)  # the value it quotes came from the server
        raise
    except PullError as exc:  # any text from the server in it: its secrets blanked
        exc.message = client.clean(exc.message)
        exc.hint = client.clean(exc.hint) if exc.hint else exc.hint
        exc.args = (exc.message,)
        raise
    finally:
        client.close()
    _summary(result, client, out_stream)
    for line in (*result.notes, *result.problems):
        err.write(f"itsm-diag: {safe(client.clean(line), 400)}\n")
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
    #: records received once that the server no longer returns in the range: id -> the
    #: version left out (a later version received brings the record back)
    gone: dict[str, str] = st.setdefault("gone", {})
    latest: dict[str, str] = {}
    for kind, record in journal.entries(st["journal_bytes"]):
        if kind == "main":
            rid, updated = keys["main"](record)
            latest[rid] = max(updated, latest.get(rid, ""))
    for rid in [r for r in gone if r in latest and latest[r] <= gone[r]]:
        del latest[rid]
    label = f"{source.tool} {stream.what}"
    total = _count(source, client, stream, _whole(st)) if stream.counted else None
    try:
        for attempt in range(CATCH_UP + 1):
            before = dict(latest) if attempt else None
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
                st.pop("unreadable", None)
                break
            grew = before is None or latest != before
            if (total > received and whole.until is None and attempt < CATCH_UP and grew
                    and total != received + st.get("unreadable", 0)):
                # the open range grew while it was read: page on from the last cursor
                for w in st["windows"]:
                    if w["until"] is None:
                        w["done"] = False
                continue
            _reconcile(source, client, state, stream, whole, total, latest, result, label,
                       journal, keys, progress)
            break
    finally:
        journal.close()
        state.save()
    progress.update(label, len(latest), sum(w["pages"] for w in st["windows"]), total,
                    force=True)
    progress.end()
    data = journal.latest(st["journal_bytes"], keys)
    if gone and "main" in data:
        data["main"] = [r for r in data["main"] if _kept(keys["main"](r), gone)]
    return data


def _kept(key: tuple[str, str], gone: dict[str, str]) -> bool:
    rid, updated = key
    return rid not in gone or updated > gone[rid]


def _reconcile(source: Source, client: Client, state: store.State, stream: Stream,
               whole: Window, total: int, latest: dict[str, str], result: Result,
               label: str, journal: store.Journal, keys: dict[str, Any],
               progress: Progress) -> None:
    """The server counts ``total`` records in ``whole`` and another number were received:
    say why, from a listing of the range's ids where the source gives one; fetch by id
    the records it lists that were not received; leave out of the files the records the
    server no longer returns in the range."""
    st = state.stream(stream.name)
    received = {rid for rid, u in latest.items() if whole.holds(u)}
    where = _range(whole)
    unreadable = st.get("unreadable", 0)
    if unreadable and total == len(received) + unreadable:  # as last run: not listed again
        result.notes.append(_unreadable_note(label, unreadable, where, len(received)))
        return
    with server_data(source.tool, stream.what):  # the listing parses answers too
        listed = source.listing(client, stream, whole)
    if listed is None:
        result.problems.append(
            f"{label}: the server counts {total:,} records updated {where}, but "
            f"{len(received):,} distinct ones were received (records changed while the "
            "range was read, or deleted, or not readable by this account); the files "
            "hold what was received. Rerun the same command to compare again")
        return
    ids, counted = listed  # id -> its update time as listed
    gone = st.setdefault("gone", {})
    for rid in set(ids) & set(gone):  # returned again (restored): no longer left out
        del gone[rid]
    left = received - set(ids)
    if left:
        names = _names(source, journal, st, keys, left)
        for rid in left:
            gone[rid] = latest.pop(rid)
        result.notes.append(
            f"{label}: {len(left):,} record{'s' if len(left) != 1 else ''} received earlier "
            f"{'are' if len(left) != 1 else 'is'} no longer returned by the server among "
            f"those updated {where} (deleted, updated outside the range since, or no "
            f"longer readable by this account); the files leave "
            f"{'them' if len(left) != 1 else 'it'} out: {names}")
        received -= left
    missing = set(ids) - received
    asked = bool(missing) and _fetch_by_id(source, client, state, stream, whole,
                                           sorted(missing), journal, latest, keys,
                                           progress, result, label, total)
    if asked:  # what the ids brought is received like a page's records
        received = {rid for rid, u in latest.items() if whole.holds(u)}
        missing = set(ids) - received
    hidden = max((counted if counted is not None else total) - len(ids), 0)
    if missing and asked:
        many = len(missing) != 1
        result.problems.append(
            f"{label}: the server lists {len(missing):,} record{'s' if many else ''} "
            f"updated {where} that {'were' if many else 'was'} not received, neither in "
            f"its pages nor when asked for by {'their ids' if many else 'its id'} (deleted "
            "or no longer returned while the range was read, or not returned by id to "
            f"this account), {'ids' if many else 'id'} "
            f"{_first_of(missing)}; the files hold what was "
            f"received. Rerun the same command to ask for {'them' if many else 'it'} again")
    elif missing:
        result.problems.append(
            f"{label}: the server lists {len(missing):,} record"
            f"{'s' if len(missing) != 1 else ''} updated {where} that "
            f"{'were' if len(missing) != 1 else 'was'} not received (changed while the range "
            "was read); the files hold what was received. Rerun the same command to read "
            "the range again")
    if missing:
        # an open window is paged on from its cursor by the rerun, which fetches what
        # changed after it (and asks for these by id again); a bounded one is done for
        # good, unless read again whole
        stamps = [ids[rid] for rid in missing]
        for w in st["windows"]:
            if w["until"] is not None and any(Window(w["since"], w["until"]).holds(u)
                                              for u in stamps):
                w["done"], w["cursor"] = False, None
    elif total != len(received) + hidden:
        result.problems.append(
            f"{label}: the server counts {total:,} records updated {where}, but "
            f"{len(received):,} distinct ones were received, and its list of the range "
            f"holds {len(ids):,} of {counted if counted is not None else '?'} counted (the "
            "count and the list disagree: records changed while they were compared); the "
            "files hold what was received. Rerun the same command to compare again")
    if hidden and not missing:
        st["unreadable"] = hidden
        result.notes.append(_unreadable_note(label, hidden, where, len(received)))
    else:
        st.pop("unreadable", None)


def _fetch_by_id(source: Source, client: Client, state: store.State, stream: Stream,
                 whole: Window, ids: list[str], journal: store.Journal,
                 latest: dict[str, str], keys: dict[str, Any], progress: Progress,
                 result: Result, label: str, total: int | None) -> bool:
    """Ask for the records ``ids`` of ``whole`` by id, in batches of at most
    :attr:`Source.id_batch` (and of the page size), each paged, journalled and saved as a
    window's pages are (:func:`_pull_window`): an interrupted fetch resumes from the ids
    still missing. False where the source cannot fetch them by id (nothing asked)."""
    size = max(1, min(source.id_batch, source.page_size))
    asked = False
    for start in range(0, len(ids), size):
        w: dict[str, Any] = {**whole.as_dict(), "cursor": None, "done": False, "pages": 0}
        _pull_window(source, client, state, stream, w, journal, latest, keys, progress,
                     result, label, total, ids=ids[start:start + size])
        asked = asked or w["pages"] > 0
    return asked


def _unreadable_note(label: str, hidden: int, where: str, readable: int) -> str:
    return (f"{label}: {hidden:,} record{'s are' if hidden != 1 else ' is'} counted by the "
            f"server among those updated {where} but not readable by this account (access "
            f"controls); the files hold the {readable:,} it can read (grant the account "
            "read access to them to include them)")


def _names(source: Source, journal: store.Journal, st: dict[str, Any],
           keys: dict[str, Any], rids: set[str]) -> str:
    """The records ``rids`` by their labels (numbers) as the journal holds them."""
    found = {}
    for kind, record in journal.entries(st["journal_bytes"]):
        if kind == "main":
            rid = keys["main"](record)[0]
            if rid in rids:
                found[rid] = source.label(record)
    return _first_of(found.get(r, r) for r in rids)


def _first_of(names: Iterable[str]) -> str:
    """The first :data:`NAMED` of ``names`` in order, and how many more."""
    shown = sorted(names)
    more = len(shown) - NAMED
    return ", ".join(shown[:NAMED]) + (f" and {more:,} more" if more > 0 else "")


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
                 total: int | None, ids: list[str] | None = None) -> None:
    """Page ``w`` to its end from its cursor (with ``ids``: the records of the window
    among them, :meth:`Source.by_id`; nothing asked where it gives no request)."""
    window = Window(w["since"], w["until"])
    st = state.stream(stream.name)
    while True:
        req = (source.request(stream, window, w["cursor"]) if ids is None
               else source.by_id(stream, window, ids, w["cursor"]))
        if req is None:
            return
        answer = (client.post_read(req.path, req.body, what=stream.what)
                  if req.body is not None else client.get(req.path, req.params,
                                                           what=stream.what))
        with server_data(source.tool, stream.what):
            page: Page = source.parse(stream, window, w["cursor"], answer)
            if not page.done and w["cursor"] is not None and page.cursor == w["cursor"]:
                raise repeated(stream.what)  # before a line of it is journalled
            page.records = source.complete(client, page.records)
        gone = st.get("gone")
        for kind, records in (("main", page.records), *page.extras.items()):
            if records:
                st["journal_bytes"] = journal.append(kind, records)
        for record in page.records:
            rid, updated = keys["main"](record)
            if gone and rid in gone:  # the server returns it again
                del gone[rid]
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
    for path in result.removed:
        out.write(f"  {path} removed: no record is left in it\n")
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
