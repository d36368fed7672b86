"""Guards against hostile and broken input files: checked before and after a file is read.

Ticket exports come from strangers. Every guard here either raises an
:class:`~itsm_diag.errors.InputError` naming the file (and row or column) and what to do,
or adds a warning and keeps a correct partial result. The readers call them at a few
fixed points:

- :func:`check_file` before a file is parsed: the size limit (``--max-file-mb``, by
  default 2048 MB, and 1024 MB for JSON, which is held in memory whole),
  binary files and wrong extensions (a PDF, an old ``.xls``, an image, a ZIP of CSVs),
  and for a workbook :func:`check_xlsx` (damaged or cut-short ZIPs, zip bombs: declared
  sizes and ratios are checked, then every member is inflated in bounded chunks to prove
  the declared sizes honest, all before calamine opens it);
- :func:`after_read` once the tables are read: a file named ``.csv`` that is really a
  workbook (read by content, with a warning), and a CSV whose last row swallowed the
  rest of the file through an unclosed quote (the swallowed lines are read back as rows);
- :func:`check_json_depth` before ``json.loads``: nesting is measured on the bytes, so
  a document nested thousands deep is refused before Python's recursion limit is near;
- :func:`tolerant_ndjson`: an NDJSON file with a corrupt line (one in a thousand at
  most, or a last line cut short) loses that line only, with a warning;
- :func:`plausible_times` on every parsed date column: timestamps before 1990, and
  event times (opened, resolved, updated...) after the time of the run, are impossible
  in a ticket export; they are counted, the first row named, and left empty;
- :func:`ticket_notes` on the combined tickets: tickets resolved or closed before they
  were opened are counted and reported (the signs leave them out of every duration);
- :func:`check_not_own_output` on every table before detection: itsm-diag's own action
  list (``diagnose --format csv``, ``batch --format csv``) saved among the exports is
  named, not read (its Ticket column of INC numbers would pass for a ServiceNow export).
"""

from __future__ import annotations

import functools
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsm_diag import cpus
from itsm_diag.errors import InputError, NotAnExport, UsageError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from itsm_diag.importers.readers import RawTable

#: ``--max-file-mb`` default: larger files (and workbooks unpacking to more) are refused
DEFAULT_MAX_FILE_MB = 2048
#: its default for JSON, which is read into memory whole, and a single document parsed
#: whole into Python objects (several times the file's size; NDJSON is parsed a part at
#: a time); ``--max-file-mb`` given by the user applies to every format
DEFAULT_MAX_JSON_MB = 1024
_MB = 1 << 20

#: a workbook with more ZIP members than this is not an export
MAX_ZIP_ENTRIES = 10_000
#: a member inflating more than this many times over (and past MIN_BOMB_BYTES) is a bomb;
#: real sheets inflate 5-20 times, sheets of empty styled rows up to about 30
MAX_ZIP_RATIO = 200
MIN_BOMB_BYTES = 16 * _MB
#: a ticket export nests a few levels (ticket -> via -> source -> from); this is generous
MAX_JSON_DEPTH = 64
#: NDJSON: the share of lines that may be corrupt and skipped (as for unreadable dates)
MAX_BAD_LINE_SHARE = 0.001
#: NDJSON: a corrupt last line alone (a download cut short) is skipped in a file this long
MIN_LINES_FOR_A_CUT_LAST_LINE = 100
#: timestamps before this are junk (Excel's and Unix's zero dates, typos)
EARLIEST = "1990-01-01"
#: ``--since`` and ``--until`` end before this (a window to year 9999 would be a
#: million weeks)
LATEST = "2100-01-01"
#: canonical timestamp columns that record something that happened: never in the future
#: (due dates, planned windows and start dates may be)
EVENT_TIMES = frozenset({"opened_at", "first_response_at", "resolved_at", "closed_at",
                         "updated_at", "actual_start", "actual_end", "at"})

_EXPORT_HINT = "export the tickets as CSV, XLSX or JSON and pass that file"
#: leading bytes of files that are certainly not ticket exports -> what they are, what to do
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", _EXPORT_HINT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "an Excel 97-2003 (.xls) workbook or a password-protected Office file",
     "save it in Excel as .xlsx (without a password) or as CSV"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first and pass the file inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it first and pass the files inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it first and pass the files inside"),
    (b"PK\x05\x06", "an empty ZIP archive", _EXPORT_HINT),
    (b"\x89PNG", "a PNG image", _EXPORT_HINT),
    (b"\xff\xd8\xff", "a JPEG image", _EXPORT_HINT),
    (b"GIF8", "a GIF image", _EXPORT_HINT),
    (b"PAR1", "a Parquet file", _EXPORT_HINT),
    (b"SQLite format 3\x00", "an SQLite database", _EXPORT_HINT),
    (b"\x7fELF", "a program (ELF executable)", _EXPORT_HINT),
    (b"{\\rtf", "an RTF document", _EXPORT_HINT),
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


# ---- the size limit ----------------------------------------------------------------------

def known_tz(tz: object) -> bool:
    """Whether the zone database knows the time zone name ``tz`` (the one test of the
    ``--tz`` option and a mapping's ``time_zone``)."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)  # type: ignore[arg-type]  # a non-text value is not a zone
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        # OSError: a name too long for a file name in the zone database
        return False
    return True


def check_tz(tz: str, option: str = "--tz") -> None:
    """Refuse a time zone name the zone database does not know."""
    from itsm_diag.text import quote

    if not known_tz(tz):
        raise UsageError(f"{option} {quote(tz)} is not a known time zone",
                         hint="use an IANA name such as Europe/Berlin, America/New_York or "
                              "UTC")


#: strftime directives that give a year, a month and a day of the month
_YEAR, _MONTH, _DAY = ("%Y", "%y"), ("%m", "%b", "%B"), ("%d",)


def date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot be a date format (None when it can): ``dayfirst``,
    ``monthfirst``, or a strftime format with a year, a month and a day."""
    import time

    if fmt in ("dayfirst", "monthfirst"):
        return None
    try:
        time.strptime("", fmt)
    except ValueError as exc:
        if "does not match format" not in str(exc):
            return str(exc)  # "'Q' is a bad directive in format '%Q'", "stray %..."
    missing = [what for what, codes in (("year", _YEAR), ("month", _MONTH), ("day", _DAY))
               if not any(code in fmt for code in codes)]
    return f"it has no {' and no '.join(missing)} directive" if missing else None


def check_date_format(fmt: str | None, option: str = "--date-format") -> None:
    """Refuse a date format no date can be read with."""
    from itsm_diag.text import quote

    problem = None if fmt is None else date_format_problem(fmt)
    if problem is not None:
        raise UsageError(f"{option} {quote(fmt)} is not a date format: {problem}",
                         hint="use dayfirst, monthfirst, or a format such as "
                              "'%d.%m.%Y %H:%M'")


#: the largest --max-file-mb taken (a petabyte): more is no limit at all, and its bytes
#: would not fit a 64-bit count
MAX_FILE_MB_OPTION = 1e9


def check_max_file_mb(max_file_mb: float | None) -> None:
    """Refuse a ``--max-file-mb`` that is not a positive number of MB."""
    if max_file_mb is not None and not 0 < max_file_mb <= MAX_FILE_MB_OPTION:
        raise UsageError(f"--max-file-mb {max_file_mb:g} must be a positive number of MB, at "
                         f"most {MAX_FILE_MB_OPTION:,.0f}",
                         hint=f"the default is {DEFAULT_MAX_FILE_MB}")


def max_file_bytes(max_file_mb: float | None, json: bool = False) -> int:
    """The size limit in bytes: ``--max-file-mb`` when given, else the default for the
    file's format."""
    check_max_file_mb(max_file_mb)
    if max_file_mb is None:
        max_file_mb = DEFAULT_MAX_JSON_MB if json else DEFAULT_MAX_FILE_MB
    return int(max_file_mb * _MB)


def _mb(n: int) -> str:
    return f"{n / _MB:,.1f}" if n < 10 * _MB else f"{n / _MB:,.0f}"


def too_big(path: Path, size: int, what: str, limit: int, why: str = "") -> InputError:
    need = -(-size // _MB) + 1
    return InputError(
        f"{what} {_mb(size)} MB, more than the {_mb(limit)} MB limit{why}",
        file=path,
        hint=f"pass --max-file-mb {need} to read it anyway (it needs several times that in "
             "memory), or export in smaller chunks (e.g. by month) and pass all files",
    )


# ---- before parsing ----------------------------------------------------------------------

def check_file(path: Path, head: bytes, max_file_mb: float | None = None) -> None:
    """Refuse what is not a ticket export before any parser sees it (``max_file_mb``:
    the user's ``--max-file-mb``, None for the defaults)."""
    from itsm_diag.importers.jsonfiles import looks_like_json

    try:
        size = path.stat().st_size
    except OSError:  # read_raw already opened it; a vanished file fails there
        size = len(head)
    json = looks_like_json(head)
    limit = max_file_bytes(max_file_mb, json=json)
    if size > limit:
        why = " for JSON, which is held in memory whole" if json and max_file_mb is None \
            else ""
        raise too_big(path, size, "the file is", limit, why)
    if not head:
        return
    for magic, what, hint in _MAGIC:
        if head.startswith(magic):
            raise NotAnExport(f"this is {what}, not a ticket export", file=path, hint=hint)
    if head.startswith(b"PK\x03\x04"):
        check_xlsx(path, limit)
        return
    if head.startswith(_BOMS):
        return
    sample = head[: 64 * 1024]
    nul = sample.count(0)
    if nul and nul >= len(sample) // 4 and sample[1::2].count(0) >= len(sample) // 3:
        raise InputError("the file looks like UTF-16 text without a byte-order mark",
                         file=path, hint="save it again as CSV (UTF-8) or XLSX")
    controls = sum(sample.count(b) for b in range(32) if b not in (9, 10, 13)) + sample.count(
        127)
    if controls > max(8, len(sample) // 20):
        raise NotAnExport(
            f"this is not a text, JSON or Excel file ({controls:,} of its first "
            f"{len(sample):,} bytes are binary control codes)",
            file=path, hint=_EXPORT_HINT,
        )


def check_xlsx(path: Path, limit: int) -> None:
    """A ZIP that calamine may open: complete, a workbook, and no bomb.

    Declared sizes are checked first (cheap), then every member is inflated in 1 MB
    chunks without keeping them, which proves the declared sizes honest (a member that
    inflates to more than it declares fails its CRC check) in bounded memory.
    """
    import struct

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, struct.error,
            ValueError, EOFError, OSError) as exc:  # what zipfile raises on garbage
        raise InputError(
            "the Excel workbook is damaged or cut short (its ZIP directory cannot be read)",
            file=path, hint="download or export it again; a complete .xlsx opens in Excel",
        ) from exc
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InputError(f"the workbook holds {len(infos):,} parts; an Excel export "
                             "holds a few dozen", file=path,
                             hint="export the tickets again as .xlsx or CSV")
        if "xl/workbook.xml" not in names:
            raise _not_a_workbook(path, names)
        total = sum(i.file_size for i in infos)
        if total > limit:
            raise too_big(path, total, "the workbook unpacks to", limit)
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MIN_BOMB_BYTES and ratio > MAX_ZIP_RATIO:
                raise InputError(
                    f"the workbook part {info.filename!r} inflates {ratio:,.0f} times "
                    f"(to {info.file_size / _MB:,.0f} MB): a zip bomb, not an export",
                    file=path, hint="export the tickets again as .xlsx or CSV",
                )
    _inflate_all(path, infos)


#: workbook parts inflated at once: zlib lets go of the GIL while it inflates, and a
#: ServiceNow workbook's sheets are a few parts of equal size
_INFLATE_THREADS = 4
#: parts smaller than this (compressed) are inflated one after another: a thread costs
#: more than they do
THREADED_PART_BYTES = _MB


def _inflate_all(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate every part, the large ones in threads."""
    large = [i for i in infos if i.compress_size >= THREADED_PART_BYTES]
    threads = min(_INFLATE_THREADS, len(large)) if cpus.usable() > 1 else 1
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads, thread_name_prefix="unzip") as pool:
            list(pool.map(lambda info: _inflate(path, [info]), large))
        infos = [i for i in infos if i.compress_size < THREADED_PART_BYTES]
    _inflate(path, infos)


def _inflate(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate ``infos`` in 1 MB chunks, kept nowhere, through a ZipFile of their own (a
    ZipFile's reads share one file position, so each thread opens its own). Worksheets
    and the shared strings are checked on the way for sizes the parser would allocate
    (:mod:`.sheetbounds`)."""
    import zlib

    from itsm_diag.importers.sheetbounds import SheetBounds, check_shared_strings

    info = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                name = info.filename
                sheet = None
                with zf.open(info) as fh:
                    seen = 0
                    while chunk := fh.read(_MB):
                        if not seen and name.lower() == "xl/sharedstrings.xml":
                            check_shared_strings(path, info.file_size, chunk[:4096])
                        elif not seen and chunk.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
                            # any XML part: a worksheet may be stored under any name
                            sheet = SheetBounds(path, name, info.file_size)
                        seen += len(chunk)
                        if seen > info.file_size:  # zipfile stops there; belt too
                            raise zipfile.BadZipFile("more data than declared")
                        if sheet is not None:
                            sheet.feed(chunk)
                if sheet is not None:
                    sheet.feed(b"", last=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            NotImplementedError, RuntimeError, ValueError) as exc:
        # a damaged part (bad CRC, cut short), a compression zipfile cannot inflate, an
        # encrypted part (RuntimeError), a file changed since it was opened (OSError)
        part = f"part {info.filename!r}: " if info is not None else ""
        raise InputError(
            f"the Excel workbook is damaged ({part}{exc})",
            file=path, hint="download or export it again; a complete .xlsx opens in Excel",
        ) from exc


def _not_a_workbook(path: Path, names: set[str]) -> NotAnExport:
    if any(n.startswith("word/") for n in names):
        what = "a Word document"
    elif any(n.startswith("ppt/") for n in names):
        what = "a PowerPoint presentation"
    elif "content.xml" in names:
        what = "an OpenDocument file (.ods/.odt)"
    else:
        shown = ", ".join(sorted(names)[:3]) + ("..." if len(names) > 3 else "")
        return NotAnExport(f"this is a ZIP archive, not an Excel workbook (it holds {shown})",
                           file=path, hint="unzip it and pass the export files inside")
    return NotAnExport(f"this is {what}, not a ticket export", file=path,
                       hint="save the tickets as .xlsx or CSV and pass that file")


#: cells a row may hold beyond its header before the file is refused: a real export's
#: ragged rows carry a few extra cells (Jira's unheaded Labels); each extra one becomes
#: a column, and a hostile row of 100,000 delimiters would cost minutes
MAX_EXTRA_CELLS = 1_000


def check_row_widths(path: Path, widths: Sequence[int], headers: int) -> None:
    """Refuse a CSV whose rows are far wider than its header (before they become columns)."""
    widest = max(widths, default=0)
    if widest > headers + MAX_EXTRA_CELLS:
        raise InputError(
            f"a row has {widest:,} cells but the header names {headers:,} columns: this is "
            "not a ticket export, or its delimiter or quotes are broken",
            file=path, hint="export the tickets again as CSV or XLSX",
        )


# ---- after reading -----------------------------------------------------------------------

def after_read(path: Path, head: bytes, tables: Sequence[RawTable],
               quotes: QuoteCount | None = None) -> None:
    """Warnings about what was read: content that contradicts the file's extension, and a
    CSV whose last row swallowed the rest of the file through an unclosed quote
    (``quotes``: the CSV's quote characters, counted while it was read)."""
    from itsm_diag.importers.jsonfiles import looks_like_json

    suffix = path.suffix.lower()
    workbook = head.startswith(b"PK\x03\x04")
    kind = ("an Excel workbook" if workbook else "JSON" if looks_like_json(head)
            else "CSV text")
    expected = {".csv": "CSV text", ".tsv": "CSV text", ".txt": "CSV text",
                ".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook",
                ".json": "JSON", ".ndjson": "JSON", ".jsonl": "JSON"}.get(suffix)
    for t in tables:
        if expected is not None and expected != kind:
            t.warnings.append(f"the file is named {suffix} but holds {kind}; it was read as "
                              f"{kind}")
        if kind == "CSV text":
            _runaway_quote(t)
            _cut_in_a_quote(path, t, quotes or QuoteCount(path, alone=True))


#: a cell this many lines long may be the rest of the file swallowed by an unclosed quote
_RUNAWAY_LINES = 5


def _runaway_quote(t: RawTable) -> None:
    """Repair a last row whose quoted cell never closed and swallowed every later line.

    pyarrow (like Excel) reads an unclosed quote to the end of the file: thousands of
    rows become one cell of the last row. When a cell of the last row holds lines that
    each have the header's number of delimiters, those lines are rows: the cell is cut
    at its first line break (the rest of that line is the row's own later cells) and the
    other lines are read back as rows, with a warning naming the row. Only the last row
    is looked at: a quote closed later in the file hurts one row, not the rest of it.
    """
    import csv

    import pandas as pd

    frame = t.frame
    delim = t.delimiter
    if len(frame) == 0 or not delim or len(delim) != 1:
        return
    last = frame.iloc[-1]
    width = len(frame.columns)
    for col, value in last.items():
        if not isinstance(value, str) or value.count("\n") < _RUNAWAY_LINES:
            continue
        first, *rest = value.split("\n")
        try:
            rows = [r for r in csv.reader(rest, delimiter=delim) if r]
        except csv.Error:  # a stray carriage return: not lines of this file's rows
            continue
        rowlike = sum(len(r) == width for r in rows)
        if not rows or rowlike < 0.8 * len(rows):
            continue
        fixed = [(r + [None] * width)[:width] for r in rows]
        extra = pd.DataFrame(fixed, columns=frame.columns, dtype=frame.dtypes.iloc[0])
        # the broken row's own later cells are on the cell's first line
        at = frame.columns.get_loc(col)
        cells = next(csv.reader([first], delimiter=delim), [""])[: width - at]
        frame = frame.copy()
        for offset, cell in enumerate(cells):
            frame.iloc[-1, at + offset] = cell.strip() or None
        row = t.first_data_row + len(frame) - 1
        extra = extra.mask(extra.isin(_null_tokens()))
        t.frame = pd.concat([frame, extra], ignore_index=True)
        t.warnings.append(
            f"row {row}, column {str(col)!r}: a quote opened there is never closed, so the "
            f"{len(rows):,} lines after it were read as one cell; they were read back as "
            "rows. Check the quotes in that row"
        )
        return


def _cut_in_a_quote(path: Path, t: RawTable, quotes: QuoteCount) -> None:
    """Warn when the file's quote characters do not pair up (an odd count). Either the
    file ends inside a quoted cell (a download cut short leaves its last row with a
    partial cell and no closing quote), or a quote stands alone earlier (``"Pri"nter"``),
    which the reader took as a character of its cell, reading every later row as usual:
    the line where the unpaired quote opened tells the two apart."""
    if any("never closed" in w for w in t.warnings):
        return  # the runaway-quote repair already said so
    count = quotes.result()
    if count is None or not count % 2:
        return
    last = t.first_data_row + len(t.frame) - 1
    try:
        opened, lines = quote_opening_line(path)
    except OSError:
        opened, lines = last, last
    last_row_lines = 1 + (sum(v.count("\n") for v in t.frame.iloc[-1] if isinstance(v, str))
                          if len(t.frame) else 0)
    if opened > lines - last_row_lines:
        t.warnings.append(
            f"the file ends inside a quoted cell: it was probably cut short, and its last "
            f"row (row {last}) may be incomplete; export or download it again"
        )
        return
    # without multi-line cells or blank lines, a line of the file is a row of it
    where = f"row {opened}" if lines == last else f"line {opened}"
    t.warnings.append(
        f"{where} holds a quote character (\") with no partner: it was read as part of its "
        "cell and the rows after it were read as usual; check that row's cells"
    )


def quote_opening_line(path: Path) -> tuple[int, int]:
    """(the 1-based line where a file's unpaired quote opened, the file's line count):
    the line after the last line end before which the quotes pair up. numpy, a step at a
    time, like :func:`count_byte`; only run on a file whose quotes do not pair up."""
    import numpy as np

    quotes = lines = last_even = 0
    ended = True
    with path.open("rb") as fh:
        while chunk := fh.read(_COUNT_STEP):
            data = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(data == ord("\n"))
            marks = np.flatnonzero(data == ord('"'))
            before = quotes + np.searchsorted(marks, ends)  # quotes before each line end
            even = np.flatnonzero(before % 2 == 0)
            if len(even):
                last_even = lines + int(even[-1]) + 1
            lines += len(ends)
            quotes += len(marks)
            ended = bool(data[-1] == ord("\n"))
    return last_even + 1, lines + (0 if ended else 1)


#: bytes read and compared at a time by :func:`count_byte`
_COUNT_STEP = 8 * _MB


class QuoteCount:
    """The quote characters of a CSV file (:func:`count_byte`), counted in a thread while
    the file is read when it is big and a second CPU is there: a second pass over every
    byte (1M tickets: 175 MB, 0.08 s) that numpy and the file reads run without the GIL,
    beside Arrow's parse instead of after it. ``None``: the file could not be read again
    (the warning it feeds is then left out, as before)."""

    def __init__(self, path: Path, alone: bool = False) -> None:
        import threading

        self._path = path
        self._count: int | None = None
        self._done = False
        self._thread: threading.Thread | None = None
        try:
            big = path.stat().st_size >= _COUNT_STEP
        except OSError:
            big = False
        if big and not alone and cpus.wanted(2) >= 2:
            self._thread = threading.Thread(target=self._run, name="quote-count", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._count = count_byte(self._path, b'"')
        except OSError:
            self._count = None
        self._done = True

    def __enter__(self) -> QuoteCount:
        return self

    def __exit__(self, *exc: object) -> None:
        # the thread is done before the reader leaves, whatever happened: a file read
        # from a pipe is a temporary copy, removed next (Windows refuses to remove a
        # file that is still open), and no thread outlives the read that started it
        if self._thread is not None:
            self._thread.join()

    def result(self) -> int | None:
        """The count (waiting for the thread, or counted now when there is none)."""
        if self._thread is not None:
            self._thread.join()
        elif not self._done:
            self._run()
        return self._count


def count_byte(path: Path, byte: bytes) -> int:
    """How many times ``byte`` occurs in the file: read into one reused buffer and
    counted by numpy (``bytes.count`` is five times slower). Not a memory map: a file
    cut short while mapped kills the process (SIGBUS) instead of raising."""
    import numpy as np

    value = byte[0]
    total = 0
    with path.open("rb", buffering=0) as fh:
        # no larger than the file: zeroing 8 MB costs more than counting a small export
        size = os.fstat(fh.fileno()).st_size
        buffer = bytearray(max(1, min(_COUNT_STEP, size)))
        view = np.frombuffer(buffer, dtype=np.uint8)  # the same memory, no copy
        while n := fh.readinto(buffer):
            total += int(np.count_nonzero(view[:n] == value))
    return total


def _null_tokens() -> list[str]:
    from itsm_diag.importers.readers import NULL_TOKENS

    return list(NULL_TOKENS)


# ---- JSON --------------------------------------------------------------------------------

#: every byte but a quote, a line break and the four brackets: what nesting is measured on
_NOT_MEASURED = bytes(b for b in range(256) if b not in b'"\n[]{}')
#: a JSON text this short may skip the depth walk when it holds few brackets (a long one
#: never does, and counting them would cost a pass over it)
_SMALL_JSON = 1 << 16
#: bytes measured at a time by :func:`json_depth` (bounds its temporary arrays)
_DEPTH_STEP = 2 * _MB


def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON (or NDJSON) text, strings skipped.

    Linear in the size and computed without recursion, so a document nested a million
    deep costs no more than a flat one. Escapes go first (escaped backslashes, then
    escaped quotes: left to right, as a JSON parser pairs them), then every byte but
    quotes, line breaks and brackets. Depth never counts below 0, so a line of stray
    closing brackets cannot hide the nesting after it. Never less than the depth a
    parser reaches; exact for valid JSON. Bytes' C methods and numpy, a step at a time:
    a regex over the strings cost a quarter of reading a JSON export.
    """
    import numpy as np

    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = np.frombuffer(data.translate(None, _NOT_MEASURED), dtype=np.uint8)
    depth = depth_by_quote_pairs(kept)
    return depth_by_lines(kept) if depth is None else depth


def depth_by_quote_pairs(kept: np.ndarray) -> int | None:
    """:func:`json_depth` of the measured bytes when no line break falls inside a string,
    else None. Valid JSON never breaks a line inside a string, so a string is what lies
    between a pair of quotes: one running parity of the quotes, a byte wide (a sixth of
    the work of counting them line by line)."""
    import numpy as np

    depth, deepest, odd = 0, 0, 0
    for start in range(0, len(kept), _DEPTH_STEP):
        part = kept[start:start + _DEPTH_STEP]
        quote = part == ord('"')
        inside = np.bitwise_xor.accumulate(quote.view(np.uint8))
        if odd:
            inside ^= 1  # the part starts inside a string
        odd = int(inside[-1])
        newline = part == ord("\n")
        if inside[newline].any():
            return None
        depth, deepest = _walk(part[(inside == 0) & ~quote & ~newline], depth, deepest)
    return deepest


def depth_by_lines(kept: np.ndarray) -> int:
    """:func:`json_depth` of the measured bytes, a corrupt line's open quote ending with
    its line: a bracket after an odd number of quotes on its line is inside a string
    (so the documents after a cut NDJSON line are measured as they nest)."""
    import numpy as np

    depth, deepest, in_string = 0, 0, False
    for start in range(0, len(kept), _DEPTH_STEP):
        part = kept[start:start + _DEPTH_STEP]
        quote = part == ord('"')
        newline = part == ord("\n")
        # quotes so far on each byte's line, the carried string state counting for the
        # part's first line only
        seen = np.cumsum(quote, dtype=np.int64)
        line = np.cumsum(newline, dtype=np.int64)
        at_break = np.zeros(int(line[-1]) + 1, dtype=np.int64)
        at_break[line[newline]] = seen[newline]
        on_line = seen - at_break[line] + np.where(line == 0, int(in_string), 0)
        inside = (on_line & 1).astype(bool)
        in_string = bool(inside[-1]) and not bool(newline[-1])
        depth, deepest = _walk(part[~quote & ~newline & ~inside], depth, deepest)
    return deepest


def _walk(marks: np.ndarray, depth: int, deepest: int) -> tuple[int, int]:
    """The depth after the brackets ``marks`` (outside strings) and the deepest so far,
    from ``depth`` and ``deepest`` before them."""
    import numpy as np

    if not len(marks):
        return depth, deepest
    walk = depth + np.cumsum(np.where((marks == ord("[")) | (marks == ord("{")), 1, -1),
                             dtype=np.int64)
    walk -= np.minimum(np.minimum.accumulate(walk), 0)  # stray closers: stay at 0
    return int(walk[-1]), max(deepest, int(walk.max()))


def loads(text: str) -> Any:
    """``json.loads``, but an integer of thousands of digits (past Python's limit for
    turning text into an int, which raises a plain ValueError) is kept as its text: a
    ticket id or count that long is junk to name, not a reason to stop. The usual
    document pays nothing: the slower pass runs only after that error.

    msgspec parses first (twice as quick); what it refuses (NaN, infinities, lone
    surrogates escaped or raw, such integers, anything malformed) the standard library
    reads or names, and where both parse a text their values are the same."""
    import json

    import msgspec

    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, UnicodeEncodeError):  # the latter: a raw lone surrogate
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return json.loads(text, parse_int=_long_int)


def _long_int(text: str) -> int | str:
    return int(text) if len(text) <= 4000 else text


def check_json_depth(data: bytes, path: Path) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH` before parsing it."""
    if len(data) <= _SMALL_JSON and data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return  # cannot nest deeper than it has brackets
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"the JSON is nested too deeply to be a ticket export ({depth:,} levels; an "
            f"export nests fewer than {MAX_JSON_DEPTH})",
            file=path, hint="pass the ticket export itself (JSON pages or NDJSON)",
        )


def tolerant_ndjson(lines: Sequence[str], path: Path) -> tuple[list[Any], list[str]]:
    """Parse NDJSON lines one by one, skipping corrupt ones when they are few.

    At most :data:`MAX_BAD_LINE_SHARE` of the lines may be corrupt, or just the last
    line of a file of :data:`MIN_LINES_FOR_A_CUT_LAST_LINE` lines or more (a download cut
    short); they are skipped and counted in a warning. More is an error naming the first
    bad line.
    """
    import json

    docs: list[Any] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        try:
            docs.append(loads(line))
        except json.JSONDecodeError as exc:
            bad.append((number, exc.msg))
        except RecursionError as exc:  # depth is checked first; belt and braces
            raise InputError("the JSON is nested too deeply to be a ticket export",
                             file=path, row=number) from exc
    if not bad:
        return docs, []
    only_last = (len(bad) == 1 and bad[0][0] == len(lines)
                 and len(lines) >= MIN_LINES_FOR_A_CUT_LAST_LINE)
    if not docs or (len(bad) > MAX_BAD_LINE_SHARE * len(lines) and not only_last):
        number, msg = bad[0]
        raise InputError(
            f"line {number} is not valid JSON: {msg}"
            + (f" ({len(bad):,} bad lines of {len(lines):,})" if len(bad) > 1 else ""),
            file=path, row=number,
            hint="each line of an NDJSON file must be one complete JSON object",
        )
    number, msg = bad[0]
    what = ("the last line is cut short (the download may be incomplete)" if only_last
            else f"{len(bad):,} corrupt lines of {len(lines):,}")
    return docs, [f"{what}: skipped (first at line {number}: {msg}); every other line "
                  "was read"]


# ---- parsed values -----------------------------------------------------------------------

def plausible_times(series: pd.Series, canonical: str, column: str, first_row: int,
                    warnings: list[str]) -> pd.Series:
    """``series`` with impossible timestamps left empty, and a warning counting them.

    Before 1990 is impossible for any column; after the time of the run (plus a day of
    clock skew) is impossible for an event time (opened, resolved, updated...), not for
    a due date or a planned window. Such values are nulled rather than kept: one ticket
    "opened" in 2099 would otherwise move the as-of time and every window with it, and
    one from 1900 would sit in the backlog for a century.
    """
    import numpy as np
    import pandas as pd

    if len(series) == 0 or not series.notna().any():
        return series
    early = (series < pd.Timestamp(EARLIEST, tz="UTC")).fillna(False).astype(bool)
    late = pd.Series(False, index=series.index)
    if canonical in EVENT_TIMES:
        now = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
        late = (series > now).fillna(False).astype(bool)
    for mask, what in ((early, f"before {EARLIEST[:4]}"), (late, "in the future")):
        if mask.any():
            pos = int(np.flatnonzero(mask.to_numpy())[0])
            warnings.append(
                f"column {column!r}: {int(mask.sum()):,} timestamp(s) {what} left empty "
                f"(first at row {first_row + pos}: {series.iloc[pos]:%Y-%m-%d %H:%M})"
            )
    bad = early | late
    return series.mask(bad) if bad.any() else series


def times_left_empty(warnings: Sequence[str]) -> list[str]:
    """The warnings of :func:`plausible_times` among ``warnings``: the timestamps it left
    empty as impossible (the reason a file can end with no time at all)."""
    import re

    said = re.compile(r"timestamp\(s\) (?:before \d{4}|in the future) left empty")
    return [w for w in warnings if said.search(w)]


def ticket_notes(tickets: pd.DataFrame) -> list[str]:
    """Data notes on the combined tickets: those resolved or closed before opening."""
    from itsm_diag import model as m

    opened = tickets[m.OPENED_AT]
    notes = []
    for col, verb in ((m.RESOLVED_AT, "resolved"), (m.CLOSED_AT, "closed")):
        neg = (tickets[col] < opened).fillna(False).astype(bool)
        if neg.any():
            first = tickets.loc[neg].iloc[0]
            notes.append(
                f"{int(neg.sum()):,} tickets were {verb} before they were opened (first: "
                f"{first[m.TICKET_ID]}, opened {first[m.OPENED_AT]:%Y-%m-%d %H:%M}, {verb} "
                f"{first[col]:%Y-%m-%d %H:%M}); they count as tickets but are left out of "
                "every duration (time to resolve, its median and p90)"
            )
    return notes


def conflicting_ids(rows: pd.DataFrame) -> list[str]:
    """Ticket ids among duplicated ``rows`` whose copies differ in any field but the file
    they came from (sorted; identical copies from overlapping exports are not conflicts)."""
    from itsm_diag import model as m

    data = rows.drop(columns=[c for c in (m.SOURCE_FILE,) if c in rows.columns])
    distinct = data.astype("string").drop_duplicates()
    counts = distinct[m.TICKET_ID].value_counts()
    return sorted(str(i) for i in counts[counts > 1].index)


#: header cells of an action list that may differ from the shipped labels (an older
#: version's, such as "Reassignments" for "Re-assigned") while it is still recognised
_ACTION_LIST_SLACK = 2


def check_not_own_output(raw: RawTable) -> None:
    """Refuse a table that is itsm-diag's own Monday action list (the CSV ``diagnose
    --format csv`` and ``batch --format csv`` write), as an itsm-diag JSON report is
    refused: it is no export, and inside a folder it is named, not read. Recognised by
    its header: the first cell is the action list's ticket label and every other cell
    but :data:`_ACTION_LIST_SLACK` is one of its column labels (the labels of the rules,
    the ones the writer uses)."""
    cells = [str(h).strip() for h in raw.headers]
    labels = _action_list_labels()
    if not labels or not cells or cells[0] != labels[0]:
        return
    known = sum(1 for cell in cells if cell in set(labels))
    if known < len(labels) - _ACTION_LIST_SLACK or len(cells) - known > _ACTION_LIST_SLACK:
        return
    raise NotAnExport("this is an itsm-diag action list (diagnose --format csv), not a "
                      "ticket export", file=raw.path,
                      hint="pass the export it was made from")


@functools.cache
def _action_list_labels() -> tuple[str, ...]:
    """The action list's column labels, in its order (the shipped rules')."""
    from itsm_diag.config import load_rules

    analysis = load_rules().analyses.get("actions")
    table = analysis.tables.get("actions") if analysis is not None else None
    return tuple(table.columns.values()) if table is not None else ()
