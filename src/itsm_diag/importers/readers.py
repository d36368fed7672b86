"""Read an export file into raw string tables: encoding and delimiter here, workbooks in
:mod:`itsm_diag.importers.xlsx`.

Every cell comes back as text (Arrow-backed strings) or null, so importers decide all
conversions explicitly; nothing is guessed by a CSV reader.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag.errors import CannotOpen, InputError, ItsmDiagError, NotAnExport
from itsm_diag.model import is_arrow_text
from itsm_diag.text import path_text

#: cells that mean "no value" in real exports (the UCI ServiceNow log uses "?")
NULL_TOKENS: tuple[str, ...] = (
    "", "?", "NA", "N/A", "n/a", "NULL", "null", "None", "(empty)", "-", "#MULTIVALUE", "NS",
)
#: row counts at which common tools cut an export short
TRUNCATION_ROWS: frozenset[int] = frozenset({500, 1_000, 10_000, 32_000, 1_048_575})
_DELIMITERS = ",;\t|"
_SAMPLE_BYTES = 256 * 1024


@dataclass
class RawTable:
    """One table read from a file (a CSV, or one XLSX sheet group: see :mod:`.xlsx`)."""

    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    #: file row number (1-based, header = row 1) of each frame row, for error messages
    first_data_row: int = 2
    warnings: list[str] = field(default_factory=list)
    #: positions (0-based) of columns whose header cell was blank (named ``column_N``)
    unnamed: tuple[int, ...] = ()
    #: why this table (one sheet of a workbook) holds no tickets, when the reader knows:
    #: the loader names it and reads the workbook's other sheets
    not_read: str | None = None

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def name(self) -> str:
        """The file's name as text (bytes that are not UTF-8 shown as escapes)."""
        return path_text(self.path.name)

    @property
    def label(self) -> str:
        """The file's path as text, and its sheet when it has one: ``x.xlsx [Page 1]``."""
        return path_text(self.path) + (f" [{self.sheet}]" if self.sheet else "")


def dedupe_headers(names: list[str]) -> list[str]:
    """Clean header names and number repeats by position: ``Comment``, ``Comment.1``, ..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, raw in enumerate(names):
        name = " ".join(str(raw).replace("\ufeff", "").split()) or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def blank_headers(names: list[str]) -> tuple[int, ...]:
    """Positions of the header cells that are blank (:func:`dedupe_headers` names them
    ``column_N``)."""
    return tuple(i for i, raw in enumerate(names)
                 if not " ".join(str(raw).replace("\ufeff", "").split()))


def _mostly_utf8(head: bytes) -> bool:
    """Whether a sample that is not valid UTF-8 is still mostly UTF-8 text: more than
    twice as many valid non-ASCII characters as invalid byte sequences (a UTF-8 export
    with a few rows pasted from a cp1252 program). A cp1252 file's accented letters are
    almost never valid UTF-8 sequences, so it has next to no valid ones."""
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii - bad > 2 * bad


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sample's end is still UTF-8
        if exc.start >= len(head) - 3 and len(head) == _SAMPLE_BYTES:
            return "utf-8"
    if _mostly_utf8(head):
        # read as UTF-8; the few bad bytes are replaced and counted (read_csv)
        return "utf-8"
    try:
        # Excel's "CSV" in Western locales is cp1252; charset detection on a few KB of
        # mostly-ASCII text guesses cp1250/cp1006 for such files, so try cp1252 first
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise InputError(
            "the file is not text in any encoding tried (UTF-8, UTF-16, cp1252...)",
            file=path, hint="export it again as CSV (UTF-8) or XLSX",
        )
    return str(best.encoding)


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    try:
        # csv.Sniffer's regexes are quadratic in a line's length (a hostile 200 KB line
        # takes minutes): a few KB of each of the first lines are enough to sniff
        sample = "\n".join(ln[:4096] for ln in lines[:20])[:8192]
        dialect = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
        return str(dialect.delimiter)
    except csv.Error:
        pass
    # fall back to the delimiter whose count per line is the most consistent and highest
    best, best_score = ",", -1.0
    for d in _DELIMITERS:
        counts = [ln.count(d) for ln in lines[:20]]
        if not counts or max(counts) == 0:
            continue
        score = min(counts) + (1.0 if len(set(counts)) == 1 else 0.0)
        if score > best_score:
            best, best_score = d, score
    return best


def is_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def read_csv(path: Path, head: bytes) -> RawTable:
    """Read a delimited text file with pyarrow, every column as text."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    encoding = _detect_encoding(path, head)
    text = head.decode(encoding, errors="replace")
    skip = 0
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    explicit_sep = None
    if first.lower().startswith("sep=") and len(first) == 5:
        explicit_sep = first[4]
        skip = 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if not text.strip():
        raise NotAnExport("the file is empty", file=path, hint="export the tickets again")
    # UTF-16 too: Excel's "Unicode Text" is tab-separated, other programs write commas
    delimiter = explicit_sep or _sniff_delimiter(text)
    sample = io.StringIO(text, newline="")
    header_row = next(csv.reader(sample, delimiter=delimiter), None)
    if header_row is not None and len(head) == _SAMPLE_BYTES and sample.tell() >= len(text):
        # the header runs past the sample (a header of thousands of columns): read it whole
        header_row = _whole_header(path, encoding, delimiter, skip)
    if not header_row or not any(h.strip() for h in header_row):
        raise NotAnExport("the file has no header row", file=path, row=skip + 1,
                         hint="the first line must name the columns")
    names = dedupe_headers(header_row)
    ragged: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # pyarrow cannot keep a row whose width differs from the header (and does not say
        # where it was): count it here, then re-read the file tolerantly below
        ragged.append(row.actual_columns)
        return "skip"

    source: Path | io.BytesIO = path
    read_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    replaced_warning: str | None = None
    multiline = _multiline_head(text, delimiter)
    try:
        with _quiet_unraisable():
            table = _arrow_csv(source, names, skip, read_encoding, delimiter, on_invalid,
                               multiline)
    except pa.ArrowInvalid as exc:
        # "Expected N columns, got M": a ragged row whose bytes are not UTF-8, which
        # pyarrow cannot hand to on_invalid; it decodes once the bad bytes are replaced
        undecodable = "UTF8" in str(exc) or "columns, got" in str(exc)
        if not undecodable or read_encoding != "utf8":
            raise InputError(
                f"cannot be read as a {delimiter!r}-delimited file: {str(exc).splitlines()[0]}",
                file=path, hint="check the file is a complete CSV export",
            ) from exc
        # a UTF-8 file with a few stray bytes (a cp1252 character pasted in): never fail
        # on one bad byte; replace it and say how many were replaced
        text = path.read_bytes().decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        source = io.BytesIO(text.encode("utf-8"))
        ragged.clear()
        with _quiet_unraisable():
            table = _arrow_csv(source, names, skip, "utf8", delimiter, on_invalid, multiline)
        replaced_warning = (f"{bad:,} bytes are not valid {encoding} and were replaced by "
                            "'\ufffd' (first at row {row}); check the file's encoding if "
                            "names look wrong")
    warnings = [replaced_warning] if replaced_warning else []
    if ragged:
        from itsm_diag.importers.guards import check_row_widths

        check_row_widths(path, ragged, len(names))  # a row of 100,000 cells: refused
        table, ragged_warnings = _read_ragged(
            path if isinstance(source, Path) else source, encoding, delimiter, skip, names)
        warnings.extend(ragged_warnings)
        # Python's csv module kept the tokens: trimmed and nulled in Arrow like the rest
        frame = _arrow_frame(table)
    else:
        # trimmed in Arrow, and only the columns that need it: no second copy of the file
        frame = _arrow_frame(table, tokens_nulled=True)
    frame = _blank_repeated_headers(frame, header_row, skip + 2, warnings)
    if replaced_warning:
        warnings[0] = replaced_warning.format(row=_first_row_holding(frame, "\ufffd", skip + 2))
    raw = RawTable(path=path, frame=frame, encoding=encoding, delimiter=delimiter,
                   first_data_row=skip + 2, warnings=warnings,
                   unnamed=blank_headers(header_row))
    return raw


def _first_row_holding(frame: pd.DataFrame, text: str, first_row: int) -> int | str:
    """The file row of the first frame row with a cell holding ``text`` ("?" if none)."""
    found = np.zeros(len(frame), dtype=bool)
    for col in frame.columns:
        found |= frame[col].str.contains(text, regex=False).fillna(False).to_numpy(bool)
    return first_row + int(found.argmax()) if found.any() else "?"


def _blank_repeated_headers(frame: pd.DataFrame, header: list[str], first_row: int,
                            warnings: list[str]) -> pd.DataFrame:
    """Rows that repeat the header (two exports joined with ``cat``, each with its header
    and perhaps its ``sep=`` line) emptied, with a note: kept as empty rows, so every
    later row number still names its line in the file. Found from the first column (one
    comparison over it), then checked cell by cell on those rows only."""
    if frame.empty:
        return frame
    names = [" ".join(str(h).replace("\ufeff", "").split()) for h in header]
    maybe = _header_like(frame.iloc[:, 0], names[0])
    if not maybe.any():
        return frame
    rows, seps = [], []
    for pos in np.flatnonzero(maybe):
        cells = frame.iloc[pos, : len(names)]
        filled = [(str(v).replace("\ufeff", ""), n) for v, n in zip(cells, names, strict=True)
                  if v is not None and v is not pd.NA]
        if filled[0][0].startswith("sep=") and all(v == "" for v, _ in filled[1:]):
            seps.append(pos)  # the `sep=` line of the second file
        elif len(filled) >= min(2, len(names)) and all(v == n for v, n in filled):
            rows.append(pos)
    if not rows and not seps:
        return frame
    frame = frame.copy()
    frame.iloc[[*rows, *seps], :] = None
    if seps:  # a line of its own, not a repeated header (nor a short row: _read_ragged)
        warnings.append(
            f"row {first_row + seps[0]} is a `sep=` line (files joined one after the other?): "
            "read as an empty row, not as a ticket" if len(seps) == 1 else
            f"{len(seps):,} rows are `sep=` lines (files joined one after the other?), first "
            f"at row {first_row + seps[0]}: read as empty rows, not as tickets")
    if rows:
        warnings.append(f"{len(rows):,} row(s) repeat the header line (files joined one after "
                        f"the other?), first at row {first_row + rows[0]}: read as empty rows, "
                        "not as tickets")
    return frame


def _sep_line(cells: Sequence[str]) -> bool:
    """A row that is a ``sep=`` line (byte order marks aside): its first cell ``sep=`` and
    at most one character, every other cell empty (a second file's, files joined with
    ``cat``: :func:`_blank_repeated_headers` names it, as a line of its own)."""
    return (bool(cells) and re.fullmatch(_SEP_CELL, cells[0].replace("\ufeff", "").strip())
            is not None and not any(c.strip() for c in cells[1:]))


#: the first cell of a ``sep=`` line: ``sep=;`` whole, or ``sep=`` when the character is
#: the file's own delimiter (the line then splits into ``sep=`` and an empty cell)
_SEP_CELL = r"sep=.?"


def _header_like(first: pd.Series, name: str) -> np.ndarray:
    """Rows whose first cell, byte order marks removed, is ``name`` or a ``sep=`` line.

    Two Arrow passes over the column (equal, starts-with), then the exact test on those
    few rows: a pandas replace and regex over every cell cost ~10x more. A column that
    may hold a byte order mark takes the pandas path (a mark can sit anywhere in a cell).
    """
    import pyarrow.compute as pc

    if not is_arrow_text(first) or _arrow_may_contain(
            first.array.__arrow_array__(), ("\ufeff".encode(),)):
        text = first.str.replace("\ufeff", "", regex=False)
        return (text.eq(name) | text.str.fullmatch(_SEP_CELL)).fillna(False).to_numpy(bool)
    cells = first.array.__arrow_array__()
    near = pc.or_(pc.equal(cells, name), pc.starts_with(cells, "sep="))
    maybe = np.asarray(near.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    for pos in np.flatnonzero(maybe):
        cell = first.iloc[pos]
        maybe[pos] = cell == name or re.fullmatch(_SEP_CELL, cell) is not None
    return maybe


def _whole_header(path: Path, encoding: str, delimiter: str, skip: int) -> list[str] | None:
    """The file's header row, read from the file itself (however long it is)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(skip):  # the `sep=` line
            fh.readline()
        return next(csv.reader(fh, delimiter=delimiter), None)


@contextmanager
def _quiet_unraisable() -> Iterator[None]:
    """Mute "Exception ignored" reports while pyarrow reads.

    pyarrow decodes a bad row before calling the invalid-row handler; when that decoding
    fails it prints a traceback to stderr and raises ArrowInvalid, which read_csv
    handles. The traceback is noise on a tool that promises one-line errors.
    """
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _multiline_head(text: str, delimiter: str) -> bool:
    """Whether the file's first rows (the head sample) hold a cell with a line break."""
    try:
        return any("\n" in cell or "\r" in cell
                   for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                   for cell in row)
    except csv.Error:
        return True


def _arrow_csv(
    source: Path | io.BytesIO,
    names: list[str],
    skip: int,
    encoding: str,
    delimiter: str,
    on_invalid: Callable[[Any], str],
    multiline: bool = True,
) -> Any:
    """pyarrow's multi-threaded reader, every column as text, null tokens as null.

    ``multiline=False`` (the head sample showed no cell with a line break) first tries
    pyarrow's faster reader that takes every line break for a row end. A line break
    inside a quoted cell would then show as a cell holding one (inside a block), or an
    invalid row or a parse error (at a block boundary); any of those, and the file is
    read again allowing line breaks in cells.
    """
    import pyarrow as pa

    if not multiline:
        invalid: list[Any] = []

        def note_invalid(row: Any) -> str:
            invalid.append(row)
            return "skip"

        try:
            table = _arrow_csv_once(source, names, skip, encoding, delimiter, note_invalid,
                                    False)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            table = None
        if table is not None and not invalid and not any(
                _arrow_may_contain(col, (b"\n", b"\r")) for col in table.columns):
            return table
    return _arrow_csv_once(source, names, skip, encoding, delimiter, on_invalid, True)


def _arrow_may_contain(column: Any, needles: tuple[bytes, ...]) -> bool:
    """False only when no cell of an Arrow string column can hold one of ``needles``
    (one ``bytes.find`` per data buffer; True means "maybe")."""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None:
            raw = data.to_pybytes()
            if any(raw.find(n) >= 0 for n in needles):
                return True
    return False


def _arrow_csv_once(
    source: Path | io.BytesIO,
    names: list[str],
    skip: int,
    encoding: str,
    delimiter: str,
    on_invalid: Callable[[Any], str],
    newlines_in_values: bool,
) -> Any:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if isinstance(source, io.BytesIO):
        source.seek(0)
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=skip + 1,
                encoding=encoding,
                block_size=8 << 20,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=newlines_in_values,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                # large_string: the offsets pandas' Arrow strings use, so the frame takes
                # the reader's buffers as they are (a string column would be cast: a
                # copy of every column's offsets, ~0.1 s at 1M rows)
                column_types={n: pa.large_string() for n in names},
                null_values=list(NULL_TOKENS),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except UnicodeDecodeError as exc:
        raise pa.ArrowInvalid(f"invalid UTF8 data: {exc}") from exc


def _read_ragged(
    source: Path | io.BytesIO, encoding: str, delimiter: str, skip: int, names: list[str]
) -> tuple[Any, list[str]]:
    """Re-read a file whose rows differ in width, keeping every row: (Arrow table, warnings).

    Rows wider than the header keep their extra cells in added columns ``extra_1``,
    ``extra_2``... (real Jira exports carry an unheaded extra ``Labels`` cell; dropping
    the row would lose a ticket, dropping the cells would lose data silently). Narrower
    rows are padded with nulls. Only taken when pyarrow met such rows, so the fast path
    stays fast. Cells come back untrimmed, tokens included (:func:`_arrow_frame` does both).
    """
    import pyarrow as pa

    # cells over Python's default 131,072-character limit occur in real Jira exports
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    handle: io.TextIOBase
    if isinstance(source, io.BytesIO):
        handle = io.TextIOWrapper(io.BytesIO(source.getvalue()), encoding="utf-8", newline="")
    else:
        handle = source.open(encoding=encoding, errors="replace", newline="")
    with handle as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for _ in range(skip + 1):  # the `sep=` line and the header
            next(reader, None)
        rows = list(filter(None, reader))  # blank lines are not rows (as in pyarrow)
    widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = max(len(names), int(widths.max()) if len(widths) else 0)
    all_names = names + [f"extra_{i}" for i in range(1, width - len(names) + 1)]
    # one transpose in C: zip_longest pads short rows with None up to the widest row
    columns = [pa.array(c, type=pa.string())
               for c in itertools.zip_longest(*rows, fillvalue=None)]
    columns += [pa.nulls(len(rows), pa.string())] * (width - len(columns))
    warnings = []
    first_row = skip + 2
    wide = widths > len(names)
    if wide.any():
        warnings.append(
            f"{int(wide.sum())} rows have more cells than the {len(names)} headers (first at "
            f"row {first_row + int(wide.argmax())}); the extra cells were kept in added "
            f"columns {', '.join(all_names[len(names):][:3])}"
            f"{'...' if width - len(names) > 3 else ''}"
        )
    narrow = widths < len(names)
    for pos in np.flatnonzero(narrow):  # a `sep=` line is named as such, not as short
        narrow[pos] = not _sep_line(rows[pos])
    if narrow.any():
        warnings.append(
            f"{int(narrow.sum())} rows have fewer cells than the {len(names)} headers (first "
            f"at row {first_row + int(narrow.argmax())}); the missing cells were left empty"
        )
    return pa.table(columns, names=all_names), warnings


def trim_cells(column: Any, tokens_nulled: bool = False) -> Any:
    """Trim the cells of one Arrow string column; blank-after-trim and missing-value
    tokens become null (padded ones such as `` - `` too, which no reader option covers).

    ``tokens_nulled``: the reader already nulled the exact tokens (pyarrow's
    ``null_values``), so a column that no trim changes is returned as is, with no copy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if tokens_nulled and not may_need_trim(column):
        return column  # nothing to trim: no cell can have become a token
    trimmed = pc.utf8_trim_whitespace(column)
    if tokens_nulled and (pc.sum(pc.binary_length(trimmed)).as_py()
                          == pc.sum(pc.binary_length(column)).as_py()):
        return column
    tokens = pc.is_in(trimmed, value_set=pa.array(NULL_TOKENS, type=trimmed.type))
    return pc.if_else(tokens, pa.scalar(None, type=trimmed.type), trimmed)


#: last bytes that may end a character ``utf8_trim_whitespace`` removes: ASCII
#: whitespace, or any byte of a multi-byte character (>= 0x80; conservative); the first
#: bytes are :data:`itsm_diag.model.WS_FIRST`
_WS_LAST = np.zeros(256, dtype=bool)
_WS_LAST[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_WS_LAST[0x80:] = True


def may_need_trim(column: Any) -> bool:
    """False only when no cell of an Arrow string column starts or ends with whitespace.

    Reads each cell's first and last byte straight from the Arrow buffers (two gathers
    per chunk, no string pass): ~20x cheaper than trimming to find nothing changed,
    which is the usual case (exports do not pad their cells). A column with non-ASCII
    text at cell ends may be flagged without need; the trim then decides.
    """
    import pyarrow as pa

    from itsm_diag.model import WS_FIRST, text_offsets

    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        if chunk.type not in (pa.string(), pa.large_string()):
            return True
        got = text_offsets(chunk)
        if got is None:
            continue
        offsets, raw = got
        # an empty (or null) cell reads its neighbours' bytes: they are checked anyway;
        # mode="clip" keeps the gathers in bounds without a clamped copy of the offsets
        first = raw.take(offsets[:-1], mode="clip")
        if np.take(WS_FIRST, first).any():
            return True
        last = raw.take(offsets[1:] - 1, mode="clip")
        if np.take(_WS_LAST, last).any():
            return True
    return False


def _arrow_frame(table: Any, tokens_nulled: bool = False) -> pd.DataFrame:
    """An Arrow table of text -> trimmed pandas frame (Arrow-backed strings, no copy)."""
    import pyarrow as pa

    columns = [trim_cells(table.column(i), tokens_nulled) for i in range(table.num_columns)]
    text = pd.StringDtype("pyarrow")
    return pa.table(columns, names=table.column_names).to_pandas(
        types_mapper={pa.string(): text, pa.large_string(): text}.get)


#: a number Excel displayed (and then saved) in scientific notation: digits are lost
_SCIENTIFIC = r"^[+-]?\d(?:[.,]\d+)?[eE]\+\d{1,3}$"
#: header words that mark an identifier column (where every digit matters)
_ID_WORDS = re.compile(r"(?:^|[\s_.#-])(id|ids|number|no|nr|num|key|ref|reference|ticket|"
                       r"nummer|numero|número|identifiant)(?:$|[\s_.#-])|id$|#", re.I)


def _may_contain(values: pd.Series, needle: bytes) -> bool:
    """:func:`_arrow_may_contain` for a pandas column (True when it is not Arrow text)."""
    if not is_arrow_text(values):
        return True
    return _arrow_may_contain(values.array.__arrow_array__(), (needle,))


def flag_mangled_ids(raw: RawTable) -> None:
    """Warn about id-like columns holding Excel's scientific notation (``1.03006E+13``).

    Such a value was a long number that Excel rounded to six digits before saving: the
    original id cannot be recovered, and different ids may now look equal.
    """
    for col in raw.frame.columns:
        name = str(col)
        if not (_ID_WORDS.search(name) or col == raw.frame.columns[0]):
            continue
        values = raw.frame[col]
        if not _may_contain(values, b"+"):  # every such value holds "E+"
            continue
        hits = values.str.match(_SCIENTIFIC).fillna(False).astype(bool)
        if hits.any():
            first = int(hits.to_numpy().argmax())
            raw.warnings.append(
                f"column {name!r}: {int(hits.sum()):,} values like {values.iloc[first]!r} "
                f"(first at row {raw.first_data_row + first}) are numbers Excel shortened to "
                "scientific notation; their digits are lost (lossy) and distinct ids may "
                "collide. Export again and do not open and save the file in Excel"
            )


def read_raw(path: Path, max_file_mb: float | None = None) -> list[RawTable]:
    """Read ``path`` (CSV/TSV/TXT, XLSX or JSON, told apart by content, not extension);
    ``max_file_mb``: the user's ``--max-file-mb`` (None: the defaults). A pipe (``<(cat
    export.csv)``, a named pipe) is first copied to a private temporary file: the parsers
    need to seek, and the copy is bounded by the size limit."""
    with _seekable(path, max_file_mb) as source:
        try:
            tables = _read_file(source, max_file_mb)
        except ItsmDiagError as exc:
            if source != path and exc.file == str(source):
                exc.file = str(path)  # name what the user passed, not the copy
            raise
    for t in tables:
        t.path = path
    return tables


#: how long a pipe may stay silent before it is refused (a named pipe nothing writes to
#: would otherwise wait for ever)
PIPE_WAIT_SECONDS = 30.0


@contextmanager
def _seekable(path: Path, max_file_mb: float | None) -> Iterator[Path]:
    """``path`` itself when it is a regular file; a pipe's bytes in a temporary file
    (removed afterwards) otherwise; anything else (a socket, a device) refused."""
    import os
    import stat

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        what = "a broken link (its target does not exist)" if path.is_symlink() else \
            exc.strerror
        raise CannotOpen(f"cannot open: {what}", file=path,
                         hint="check the path and permissions") from exc
    if stat.S_ISREG(mode):
        if _utf8_name(path):
            yield path
            return
        # a name holding bytes that are not UTF-8 (Python keeps them as surrogates): the
        # Arrow and workbook parsers take UTF-8 paths only, so they read it through a
        # link of a plain name (no copy)
        import tempfile

        with tempfile.TemporaryDirectory(prefix="itsm-diag-link-") as folder:
            suffix = path.suffix if _utf8_name(Path(path.suffix)) else ""
            link = Path(folder) / f"export{suffix}"
            os.symlink(os.path.abspath(path), link)
            yield link
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise NotAnExport("this is not a file (a socket or a device)", file=path,
                          hint="pass an export file")
    import select
    import tempfile

    from itsm_diag.importers.guards import max_file_bytes, too_big

    limit = max_file_bytes(max_file_mb)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise CannotOpen(f"cannot open: {exc.strerror}", file=path,
                         hint="check the path and permissions") from exc
    handle, tmp = tempfile.mkstemp(prefix="itsm-diag-pipe-", suffix=path.suffix)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(int(PIPE_WAIT_SECONDS * 1000)):
            raise CannotOpen(f"nothing was written to this pipe within "
                             f"{PIPE_WAIT_SECONDS:g} seconds", file=path,
                             hint="start the program that writes to it first, or pass a file")
        os.set_blocking(fd, True)
        size = 0
        with os.fdopen(handle, "wb") as out:
            handle = -1
            while chunk := os.read(fd, 1 << 20):
                size += len(chunk)
                if size > limit:
                    raise too_big(path, size, "the piped data is more than", limit)
                out.write(chunk)
        yield Path(tmp)
    finally:
        os.close(fd)
        if handle >= 0:
            os.close(handle)
        Path(tmp).unlink(missing_ok=True)


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_file(path: Path, max_file_mb: float | None) -> list[RawTable]:
    """:func:`read_raw` of a regular file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise CannotOpen(f"cannot open: {exc.strerror}", file=path,
                         hint="check the path and permissions") from exc
    if not head.strip():
        raise NotAnExport("the file is empty", file=path, hint="export the tickets again")
    from itsm_diag.importers import guards, jsonfiles  # here: both import this module

    # size limit, binary files, damaged or bomb workbooks
    guards.check_file(path, head, max_file_mb)

    quotes = None
    if is_xlsx(head):
        from itsm_diag.importers.xlsx import read_xlsx

        tables = read_xlsx(path)
    elif jsonfiles.looks_like_json(head):  # content sniff: first non-space byte { or [
        tables = jsonfiles.read_json(path)
    else:
        _refuse_json_value(path, head)  # `42`, `"hello"`: JSON, but no records
        with guards.QuoteCount(path) as quotes:  # counted while Arrow reads the file
            tables = [read_csv(path, head)]
    guards.after_read(path, head, tables, quotes)  # extension mismatch, a runaway quote
    if tables and all(len(t.frame) == 0 for t in tables):  # (an empty JSON page: none)
        raise NotAnExport("the file has a header but no rows", file=path,
                          hint="export again with a filter that matches tickets")
    for t in tables:
        if len(t.frame) == 0:
            # a workbook's other sheet holding a line of text (notes, a title) and no
            # rows: named by the loader, the sheets with rows are read
            t.not_read = "the sheet has a first line but no rows under it: no ticket table"
            continue
        _note_unnamed(t)
        flag_mangled_ids(t)
        if len(t.frame) in TRUNCATION_ROWS:
            t.warnings.append(
                f"exactly {len(t.frame):,} rows: a common export cap, so the export is "
                "probably truncated; export in chunks (e.g. by month) and pass all files"
            )
    return tables


def _refuse_json_value(path: Path, head: bytes) -> None:
    """Refuse a file that is one JSON value other than an object or a list (``42``,
    ``"hello"``, ``true``): JSON, but no records; the CSV reader would call it a broken
    CSV file. Only a whole file (shorter than the sample) is looked at."""
    import json

    text = head.lstrip(codecs.BOM_UTF8).strip()
    if len(head) >= _SAMPLE_BYTES or not text or text[:1] not in b'"-0123456789tfn':
        return
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return
    kind = ("text" if isinstance(value, str) else "null" if value is None
            else "true/false" if isinstance(value, bool) else "a number")
    raise NotAnExport(f"the file is JSON holding a single value ({kind}), not a list of "
                      "ticket records", file=path,
                      hint="export the tickets as JSON records, CSV or XLSX")


def _column_letter(pos: int) -> str:
    """Excel's letter(s) for a 0-based column position: 0 -> A, 27 -> AB."""
    letters = ""
    pos += 1
    while pos:
        pos, rest = divmod(pos - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _note_unnamed(t: RawTable) -> None:
    """Warn about columns whose header cell is blank but which hold values: no importer
    reads a ``column_N``, so their values would be lost without a word. A blank column
    under a blank header (a trailing delimiter) is normal and not named."""
    for pos in t.unnamed:
        if pos >= len(t.frame.columns):
            continue
        values = t.frame.iloc[:, pos]
        filled = values.notna().to_numpy(bool)
        if not filled.any():
            continue
        where = (f"column {pos + 1} ({_column_letter(pos)})" if t.sheet else
                 f"column {pos + 1}")
        merged = (" (a header cell merged across two columns, such as K1:L1, leaves the "
                  "second blank: unmerge it and name each column)" if t.sheet else "")
        t.warnings.append(
            f"{where} has a blank header but holds {int(filled.sum()):,} values (first at "
            f"row {t.first_data_row + int(filled.argmax())}): kept as "
            f"{str(t.frame.columns[pos])!r}, which no field reads, so they are not used; "
            f"give the column its name in the export{merged}"
        )
