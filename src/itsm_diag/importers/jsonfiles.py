"""Read JSON and NDJSON exports into raw string tables, like the CSV path does.

Shapes accepted (told apart by content, not by extension):

- an API page: ``{"tickets": [...], "metric_sets": [...], "users": [...], ...}`` (the
  Zendesk incremental export and list endpoints; the largest list of objects that is
  not a known side-load is the records list);
- a bare array of records ``[{...}, ...]``;
- a single wrapped record ``{"ticket": {...}}``;
- NDJSON: one record per line, bare or wrapped (``{"ticket": {...}}``), as in
  Zendesk's full JSON export.

Nested objects become dotted columns (``via.channel``, ``satisfaction_rating.score``);
lists of scalars are ``;``-joined (``tags``); ``[{id, value}]`` lists become one column
per id (``custom_fields.360001``); other lists stay JSON text (``comments``). Every
value is text, as from a CSV. Side-loaded ``metric_sets`` are joined by ticket id as
``metric_set.*`` columns; side-loaded ``users``/``groups``/``organizations`` give
names to the id columns that point at them (``assignee_id`` -> ``assignee.name``).

Records are parsed and flattened one at a time (:mod:`~.flatten`); in a big file (16 MB
and more, with a second CPU) a second process flattens the last part of them meanwhile
(:mod:`~.jsonworker`), which gives the same table as one process, or leaves its part to
this one.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import gc
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from itsm_diag.errors import InputError, NotAnExport
from itsm_diag.importers import guards, jsonworker
from itsm_diag.importers.flatten import NotPlain, TextColumns, line_parts, plain, unwrap
from itsm_diag.importers.readers import RawTable, dedupe_headers, may_need_trim

#: top-level lists that are side-loads, not the records themselves
SIDELOADS = frozenset({"metric_sets", "users", "groups", "organizations", "brands",
                       "ticket_forms", "ticket_fields", "audits", "comments", "last_audits"})
#: side-load -> the record columns holding its ids (the Zendesk API conventions)
_REFERENCES: dict[str, tuple[str, ...]] = {
    "users": ("requester_id", "submitter_id", "assignee_id"),
    "groups": ("group_id",),
    "organizations": ("organization_id",),
}
#: the side-loads :func:`_join_sideloads` may read
_JOINED = frozenset({"metric_sets", *_REFERENCES})


def looks_like_json(head: bytes) -> bool:
    """First non-space byte ``{`` or ``[`` followed by what only JSON would hold there."""
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text[:1] == b"{":
        return text[1:].lstrip()[:1] in (b'"', b"}")
    if text[:1] == b"[":
        return text[1:].lstrip()[:1] in (b"{", b"[", b"]")
    return False


def read_json(path: Path) -> list[RawTable]:
    """Read a JSON document or NDJSON file into one raw table of text cells (its size was
    checked against ``--max-file-mb`` by :func:`~.guards.check_file`)."""
    data = path.read_bytes()
    guards.check_json_depth(data, path)  # before json.loads can recurse
    data, broken = _mend_surrogates(data)
    with _collector_paused():
        frame = _ndjson_by_parts(data, path)
        if frame is not None:
            return _finish(path, frame, True, [], broken)
        frame = _document_by_parts(data, path)
        if frame is not None:
            return _finish(path, frame, False, [], broken)
        quick = _quick_parse(data)
        parse_warnings: list[str] = []
        if quick is not None:
            (doc,), ndjson = quick, False
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError(f"JSON must be UTF-8; byte {exc.start} is not", file=path,
                                 hint="export the file again (JSON exports are UTF-8)") from exc
            doc, ndjson, parse_warnings = _parse(text, path)
            del text
        if isinstance(doc, dict) and "schema_version" in doc and "generated_by" in doc:
            raise NotAnExport("this is an itsm-diag report, not a ticket export", file=path,
                              hint="pass the export it was made from; compare two reports "
                                   "with 'itsm-diag compare'")
        records, extras = _records(doc, path)
        if not records:
            if isinstance(doc, dict):
                return []  # an empty page of a paged export: nothing to read or wrong
            raise InputError("the JSON file holds no records", file=path,
                             hint="export the tickets again")
        frame = _join_sideloads(_flattened(enumerate(_taken(records)), path), extras, path)
        # freed while the collector is still off: turned on with millions of them alive,
        # its first full pass would walk them all once more
        del doc, records, extras
    return _finish(path, frame, ndjson, parse_warnings, broken)


def _finish(path: Path, frame: pd.DataFrame, ndjson: bool, parse_warnings: list[str],
            broken: int) -> list[RawTable]:
    """The raw table of the flattened records: headers made unique, cells trimmed, blank
    cells missing."""
    frame.columns = dedupe_headers([str(c) for c in frame.columns])
    frame = frame.astype(pd.StringDtype("pyarrow"))
    out = {}
    for col in frame.columns:
        # most columns hold no padded cell and no empty one: the trim and the mask (two
        # copies of the column) only where the Arrow bytes say they can change something
        s = frame[col]
        if may_need_trim(s.array.__arrow_array__()):
            s = s.str.strip()
        empty = (s == "").to_numpy(dtype=bool, na_value=False)
        out[col] = s.mask(empty) if empty.any() else s
    frame = pd.DataFrame(out, index=frame.index)
    if broken:
        parse_warnings.append(
            f"{broken:,} half character(s) (a lone UTF-16 surrogate escape such as \\ud83d, "
            "half an emoji) replaced by U+FFFD")
    return [RawTable(path=path, frame=frame, encoding="utf-8",
                     delimiter="ndjson" if ndjson else None, first_data_row=1,
                     warnings=parse_warnings)]


#: a JSON escape of a UTF-16 surrogate half (``\\ud800``-``\\udfff``)
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _mend_surrogates(data: bytes) -> tuple[bytes, int]:
    """``data`` with every lone surrogate escape (a high half without its low half, or a
    low half alone) replaced by ``\\ufffd``, and how many: ``json.loads`` would keep them
    as half characters that no UTF-8 output can write. A pair stays as it is; an escape
    after an odd number of backslashes is text (``\\\\ud83d``), not an escape."""
    if _SURROGATE.search(data) is None:
        return data, 0  # (a regex's search: 5x quicker than two "in" tests on bytes)
    out, kept, count, skip_to = [], 0, 0, 0
    for m in _SURROGATE.finditer(data):
        at = m.start()
        if at < skip_to:
            continue  # the low half of a pair just kept
        before = at
        while before and data[before - 1] == 0x5C:  # the backslashes before it
            before -= 1
        if (at - before) % 2:
            continue  # an escaped backslash, then the letters "ud83d"
        if m.group()[3:4] in b"89abAB" and _LOW.match(data, m.end()):
            skip_to = m.end() + 6
            continue
        out += [data[kept:at], b"\\ufffd"]
        kept = m.end()
        count += 1
    return (b"".join([*out, data[kept:]]), count) if count else (data, 0)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a document becomes millions of dicts, lists and
    strings: they hold no cycles, and each collection walks all of them again (a quarter
    of reading a 100k-ticket NDJSON export). On again after, if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


#: records are flattened this many at a time into Arrow columns (each read a record at a
#: time, so a part's flattened rows are the most that is alive at once)
RECORDS_PER_PART = 10_000
#: NDJSON's lines are cut from the file this many bytes at a time (one part's copy of
#: the lines alive, not the whole file's)
NDJSON_PART_BYTES = 8 << 20


def _ndjson_by_parts(data: bytes, path: Path) -> pd.DataFrame | None:
    """The flattened records of an NDJSON file of plain records, each line parsed (by
    msgspec) and flattened on its own; None when it is not that, or anything in it is refused:
    a single document, a corrupt line, a line that is not an object, an object nested
    too deep. Then the whole file is read at once, which reads those or names the
    problem exactly as for any file.

    It is NDJSON when its first line that is not JSON white space is a whole document
    and another non-blank line follows: exactly when parsing the whole text stops after
    the first document. Why one line at a time: a 100k-ticket export's records, their
    flattened rows and the file's text alive at once took a gigabyte, and the system's
    time to hand over that memory was a third of the read. One record's objects are
    alive at a time and the next reuses their memory: 8 MB of lines parsed at once made
    40 MB of objects that Python handed back to the system when they were flattened, and
    took fresh for the next 8 MB (10k page faults each). A line that parses alone parses to the same
    values inside the array :func:`_parse` makes of all the lines; one that does not (two
    values on one line) sends the file to that whole read. In a big file the lines after
    a line break past :data:`~.jsonworker.OWN_SHARE` of it are flattened by a second
    process meanwhile (:class:`_Rest`)."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    start = _bom_length(data)
    found = _NOT_JSON_SPACE.search(data, start)
    if found is None:
        return None
    begin = data.rfind(b"\n", start, found.start()) + 1 or start
    end = data.find(b"\n", found.start())
    if end < 0 or _NOT_BLANK.search(data, end) is None:
        return None  # one line: a document, not NDJSON (read without copying it here)
    try:
        decode(data[begin:end])
    except msgspec.DecodeError:
        return None

    def records(begin: int, stop: int, first: int = 0) -> Iterable[tuple[int, dict[str, Any]]]:
        lines = itertools.chain.from_iterable(line_parts(data, begin, stop, NDJSON_PART_BYTES))
        return enumerate(plain(map(decode, lines)), first)

    cut, rest = len(data), None
    if jsonworker.wanted(len(data)):
        # the lines after the first line break past the reader's share go to a second
        # process
        half = data.find(b"\n", max(end, start + int((len(data) - start)
                                                      * jsonworker.OWN_SHARE))) + 1
        if half and _NOT_BLANK.search(data, half):
            rest = _Rest.start("lines", memoryview(data)[half:],
                               lambda first: records(half, len(data), first))
            if rest is not None:
                cut = half
    try:
        frame = _flattened(records(start, cut), path, rest)
    except (msgspec.DecodeError, InputError, NotPlain):
        return None
    return frame if len(frame.columns) else None


def _document_by_parts(data: bytes, path: Path) -> pd.DataFrame | None:
    """The records of a JSON document (an API page with its side-loads, or an array of
    records) with their side-loads joined, each record parsed and flattened on its own;
    None when the document is not that plainly, or anything in it is refused: then the
    whole document is parsed at once as before, which reads it or names the problem.

    msgspec first reads the document's outer layer with each value kept as raw JSON (its
    form checked, nothing turned into objects): the page's keys, then the items of its
    lists. The records list and the side-loads are chosen as :func:`_records` chooses
    them (a list whose first 50 items are objects; the longest that is not a side-load),
    from the raw items' first bytes. Whatever else the document holds is parsed too, a
    value at a time, before the frame is returned, so a value the whole read refuses
    refuses the file here as well. Why: the whole page parsed at once kept every record's
    objects alive until its flattening, 650 MB for a 100 MB page of 100k tickets, cold in
    the caches by the time they were flattened; one record at a time, its objects are
    still hot and the next record reuses their memory."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    bom = _bom_length(data)
    found = _NOT_JSON_SPACE.search(data, bom)
    if found is None or data[found.start():found.start() + 1] not in (b"{", b"["):
        return None
    raw_list = msgspec.json.Decoder(list[msgspec.Raw]).decode
    view = memoryview(data)[bom:]
    try:
        if data[found.start():found.start() + 1] == b"[":
            records = _Parsed(raw_list(view), decode)
            values = [records]
            extras: dict[str, _Parsed] = {}
        else:
            top = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode(view)
            if "schema_version" in top and "generated_by" in top:
                return None  # an itsm-diag report: the whole read names it
            # every value of the page: a list as its raw items, anything else as itself
            page = {key: _Parsed(raw_list(raw) if _opens(raw, b"[") else [raw], decode)
                    for key, raw in top.items()}
            lists = [key for key, raw in top.items() if _opens(raw, b"[")
                     and all(_opens(x, b"{") for x in page[key].raws[:50])]
            primary = [key for key in lists if key not in SIDELOADS]
            if not primary:
                return None  # one record, not a page: read whole
            records = page[max(primary, key=lambda key: len(page[key].raws))]
            values = list(page.values())
            extras = {key: page[key] for key in lists if key in SIDELOADS}
        if not records.raws:
            return None  # an empty page, or no records at all: the whole read says which
        joined = {key: items for key, items in extras.items() if key in _JOINED}
        frame, sides = _flattened_split(records, joined, len(data), decode, path)
        frame = _join_sideloads(frame, extras, path, sides)
        # the raw values were checked for their form only: what no step above parsed (a
        # side-load not joined, the page's other values) is parsed now, a value at a
        # time, so that one the whole read refuses (a byte that is not UTF-8) refuses
        # the file here as well
        for value in values:
            if not value.read:
                collections.deque(value, maxlen=0)
    except (msgspec.DecodeError, InputError, NotPlain):
        return None
    return frame


def _flattened_split(records: _Parsed, joined: Mapping[str, _Parsed], size: int,
                     decode: Callable[[Any], Any], path: Path
                     ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """:func:`_flattened` of a document's records, and the side-loads a join may use
    (``joined``) flattened, by name. In a big document a second process flattens the
    last records (:mod:`~.jsonworker`) while this one flattens the others, then the
    side-loads (the cut leaves this process their time), not after. ``records`` are
    marked read either way (every one was parsed, here or there, or the read refused)."""
    sides: dict[str, pd.DataFrame] = {}

    def flatten_sides() -> None:
        sides.update((key, _side_frame(items, path)) for key, items in joined.items())

    raws, rest = records.raws, None
    if jsonworker.wanted(size) and len(raws) > 1:
        side_weight = sum(len(items.raws) for items in joined.values()) * jsonworker.SIDE_WEIGHT
        own = int((len(raws) + side_weight) * jsonworker.OWN_SHARE - side_weight)
        own = min(max(own, 1), len(raws) - 1)
        later = raws[own:]
        rest = _Rest.start("array", b"[" + b",".join(later) + b"]",
                           lambda first: enumerate(plain(map(decode, later)), first),
                           flatten_sides)
        raws = raws[:own] if rest is not None else raws
    frame = _flattened(enumerate(plain(map(decode, raws))), path, rest)
    records.read = True
    return frame, sides


class _Parsed:
    """Raw JSON values, parsed one at a time on every pass over them; ``read`` once a
    pass has parsed them all (so a value nothing needed can still be checked)."""

    def __init__(self, raws: list[Any], decode: Callable[[Any], Any]) -> None:
        self.raws, self.decode, self.read = raws, decode, False

    def __iter__(self) -> Iterator[Any]:
        yield from map(self.decode, self.raws)
        self.read = True


def _bom_length(data: bytes) -> int:
    """The length of the UTF-8 byte order mark ``data`` starts with (0 without one)."""
    return len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0


def _opens(raw: Any, byte: bytes) -> bool:
    """Whether a raw JSON value (msgspec keeps it without white space around) starts with
    ``byte``: ``[`` a list, ``{`` an object."""
    return memoryview(raw)[:1].tobytes() == byte


#: a line break as ``bytes.splitlines`` knows them (not the other characters that
#: ``str.splitlines`` breaks at)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: a byte that is not JSON's white space (space, tab, line feed, carriage return)
_NOT_JSON_SPACE = re.compile(rb"[^ \t\r\n]")
#: a byte that makes a line not blank to ``bytes.strip`` (which also strips \v and \f)
_NOT_BLANK = re.compile(rb"[^ \t\r\n\x0b\x0c]")


def _quick_parse(data: bytes) -> tuple[Any] | None:
    """A whole document parsed by msgspec straight from the bytes, or None when msgspec
    refuses it (NDJSON, NaN, a half character, anything malformed or not UTF-8): then
    :func:`_parse` reads the decoded text, or names what is wrong. The bytes, not the
    text: msgspec would copy a text holding any non-ASCII character into UTF-8 again
    (100 MB and 0.3 CPU-s for a 100k-ticket API page)."""
    import msgspec

    bom = _bom_length(data)
    try:
        return (msgspec.json.decode(memoryview(data)[bom:]),)
    except msgspec.DecodeError:
        return None


def _parse(text: str, path: Path) -> tuple[Any, bool, list[str]]:
    """The document, whether it was NDJSON (several top-level values, one a line), and
    warnings (corrupt NDJSON lines skipped). :func:`~.guards.loads` parses (msgspec,
    else the standard library). NDJSON lines end at line breaks only (``\\n``, ``\\r``),
    as :func:`~.flatten.line_parts` splits them: Python's text splitting would also cut a line at
    a raw U+2028 or U+0085 inside a string, which JSON allows."""
    try:
        return guards.loads(text), False, []
    except RecursionError as exc:
        raise _too_deep(path) from exc
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise _bad_json(path, exc, text) from exc
    # NDJSON: join the lines into one array so the C parser does the work in one call
    lines = [ln for ln in _LINE_BREAK.split(text) if ln.strip()]
    try:
        return guards.loads("[" + ",".join(lines) + "]"), True, []
    except RecursionError as exc:
        raise _too_deep(path) from exc
    except json.JSONDecodeError:
        pass
    # a corrupt line (or a last line cut short) costs that line, not the file
    docs, warnings = guards.tolerant_ndjson(lines, path)
    return docs, True, warnings


def _bad_json(path: Path, exc: json.JSONDecodeError, text: str) -> InputError:
    return InputError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                      file=path, row=exc.lineno,
                      hint="the file may be cut short; download the export again")


def _too_deep(path: Path) -> InputError:
    return InputError("the JSON is nested too deeply to be a ticket export", file=path,
                      hint="pass the ticket export itself (JSON pages or NDJSON)")


def _records(doc: Any, path: Path) -> tuple[list[Any], dict[str, list[Any]]]:
    """The record objects and the side-load lists of a parsed document."""
    if isinstance(doc, list):
        items = doc
        extras: dict[str, list[Any]] = {}
    elif isinstance(doc, dict):
        lists = {k: v for k, v in doc.items()
                 if isinstance(v, list) and all(isinstance(x, dict) for x in v[:50])}
        primary = [k for k in lists if k not in SIDELOADS]
        if primary:
            # an empty page (the last page of an incremental export) has an empty list
            key = max(primary, key=lambda k: len(lists[k]))
            items = lists[key]
            extras = {k: v for k, v in lists.items() if k in SIDELOADS}
        else:
            items, extras = [doc], {}
    else:
        raise InputError("the JSON holds a single value, not records", file=path,
                         hint="pass a JSON export of tickets")
    records = [unwrap(x) for x in items]
    bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InputError(f"record {bad + 1} is not a JSON object", file=path, row=bad + 1,
                         hint="pass a JSON export of tickets (a list of objects)")
    items.clear()  # the records list is their one holder: each is freed once flattened
    return records, extras


def _side_frame(items: Iterable[Any], path: Path) -> pd.DataFrame:
    """The side-load's objects flattened (``items`` may parse each as it is asked for);
    anything else in it is passed over, its place still counted."""
    return _flattened(((i, x) for i, x in enumerate(items) if isinstance(x, dict)), path)


def _flattened(records: Iterable[tuple[int, dict[str, Any]]], path: Path,
               rest: _Rest | None = None) -> pd.DataFrame:
    """The records, each with its place in the file (for errors), flattened into Arrow
    text columns :data:`RECORDS_PER_PART` at a time (every way of reading JSON ends
    here, so a part's flattened rows are the most alive at once); then ``rest``'s."""
    columns = TextColumns()
    try:
        columns.flatten(records, path, RECORDS_PER_PART)
        if rest is not None:
            rest.add_to(columns, path)
    finally:
        if rest is not None:  # whatever refused the records here: no helper outlives it
            rest.helper.close()
    return _frame(columns)


def _frame(columns: TextColumns) -> pd.DataFrame:
    """The columns as a frame of Arrow-backed text (no copy)."""
    if not columns.parts:
        return pd.DataFrame()  # records without a field are no rows, as from_records made
    text = pd.StringDtype("pyarrow")
    return pd.DataFrame(
        {name: pd.Series(pd.arrays.ArrowStringArray(array), dtype=text, copy=False)
         for name, array in columns.arrays().items()}, index=pd.RangeIndex(columns.size))


class _Rest:
    """The records after a cut in a big export, flattened by a second process
    (:mod:`~.jsonworker`) while this one flattens those before; here, after the others,
    when it gave no whole answer. ``records(first)`` gives them to flatten here, numbered
    from ``first``; ``meanwhile``, other work done here before the answer is awaited."""

    def __init__(self, helper: jsonworker.Helper,
                 records: Callable[[int], Iterable[tuple[int, dict[str, Any]]]],
                 meanwhile: Callable[[], None] | None = None) -> None:
        self.helper, self.records, self.meanwhile = helper, records, meanwhile

    @classmethod
    def start(cls, mode: str, payload: Any,
              records: Callable[[int], Iterable[tuple[int, dict[str, Any]]]],
              meanwhile: Callable[[], None] | None = None) -> _Rest | None:
        """A helper started on ``payload`` (:meth:`.jsonworker.Helper.start`), or None
        when none could start (then every record is flattened here)."""
        helper = jsonworker.Helper.start(mode, payload, RECORDS_PER_PART, NDJSON_PART_BYTES)
        return None if helper is None else cls(helper, records, meanwhile)

    def add_to(self, columns: TextColumns, path: Path) -> None:
        """The helper's columns after ``columns``, or these records flattened here (the
        caller stops the helper whatever happens: :func:`_flattened`)."""
        if self.meanwhile is not None:
            self.meanwhile()
        answer = self.helper.columns()
        self.helper.close()  # its process and pipes let go before any flatten here
        if answer is None:
            columns.flatten(self.records(columns.size), path, RECORDS_PER_PART)
        else:
            columns.add_columns(*answer)


def _taken(records: list[Any]) -> Iterator[Any]:
    """The records of a list, each freed from it as it is handed out (the list is their
    one holder, so each is gone once flattened and its memory holds the next rows)."""
    for i, record in enumerate(records):
        records[i] = None
        yield record


def _join_sideloads(frame: pd.DataFrame, extras: Mapping[str, Iterable[Any]], path: Path,
                    ready: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Join side-loaded metric sets (by ticket id) and names of referenced users/groups
    (``ready``: side-loads already flattened, by name)."""
    def side(key: str) -> pd.DataFrame:
        return ready[key] if ready and key in ready else _side_frame(extras[key], path)

    if "metric_sets" in extras and "id" in frame.columns:
        ms = side("metric_sets")
        if "ticket_id" in ms.columns:
            # one metric set per ticket: the last one listed is the newest
            ms = ms.drop_duplicates("ticket_id", keep="last").set_index("ticket_id")
            ms = ms.drop(columns=[c for c in ("id", "url") if c in ms.columns])
            ms.columns = [f"metric_set.{c}" for c in ms.columns]
            ms = ms.drop(columns=[c for c in ms.columns if c in frame.columns])
            frame = frame.join(ms, on="id")
    for name, refs in _REFERENCES.items():
        if name not in extras:
            continue
        lookup = side(name)
        if not {"id", "name"} <= set(lookup.columns):
            continue
        names = lookup.drop_duplicates("id", keep="last").set_index("id")["name"]
        for ref in refs:
            target = ref.removesuffix("_id") + ".name"
            if ref in frame.columns and target not in frame.columns:
                frame[target] = frame[ref].map(names)
    return frame
