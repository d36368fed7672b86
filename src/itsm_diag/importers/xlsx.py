"""Read an XLSX workbook into raw text tables, one per group of sheets with one header.

fastexcel (calamine's parser, Arrow out) reads each sheet with its cells' own types,
sheets in parallel threads; every column is then turned into text with Arrow compute,
written the way the cells read: whole numbers without ``.0``, date-times as
``YYYY-MM-DD HH:MM:SS``, booleans as ``true``/``false``. A column mixing kinds (numbers
and text) comes back as fastexcel's text.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

from itsm_diag import cpus
from itsm_diag.errors import InputError
from itsm_diag.importers.readers import RawTable, _arrow_frame, blank_headers, dedupe_headers

#: sheets read at once, at most one a CPU (each thread opens the workbook itself: a
#: fastexcel reader is not shared between threads; more threads than CPUs measured no
#: faster on ServiceNow's 4-sheet 100k workbook, and each holds a sheet in memory)
MAX_THREADS = 4
#: ServiceNow's last row when an Excel export hit its size cap
_STOP = "export stopped due to excessive size"
#: columns fastexcel cannot type (numbers and text, say) re-read as text, one a retry;
#: past this many, the whole sheet is read as text
_MAX_RETRIES = 3
#: fastexcel's name for a column whose header cell is blank (or not text or a number)
_GENERATED = "__UNNAMED__"
_FAILED_COLUMN = re.compile(r"could not determine dtype for column (.+)$", re.M)
_HINT = "open it in Excel and save it again as .xlsx or CSV"


def _failed(path: Path, exc: BaseException) -> InputError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot be read as an Excel workbook: {first}", file=path, hint=_HINT)


def _is_reader_error(exc: BaseException) -> bool:
    """fastexcel's errors, and a panic in its Rust code (a BaseException in Python)."""
    import fastexcel

    return isinstance(exc, (fastexcel.FastExcelError, OSError)) or \
        type(exc).__name__ == "PanicException"


def read_xlsx(path: Path) -> list[RawTable]:
    """Every sheet of a workbook; sheets with the same header are one table.

    ServiceNow splits large exports 32,000 rows per sheet and may end with an
    "Export stopped due to excessive size" row, which is dropped (with a warning).
    """
    import fastexcel
    import pyarrow as pa

    # fastexcel logs a warning for every all-empty column; those are normal here
    logging.getLogger("fastexcel").setLevel(logging.ERROR)
    local = threading.local()

    def reader() -> Any:
        if getattr(local, "reader", None) is None:
            local.reader = fastexcel.read_excel(str(path))
        return local.reader

    try:
        names = list(reader().sheet_names)
        threads = min(MAX_THREADS, cpus.usable(), len(names))
        if threads <= 1:
            sheets = [_read_sheet(reader(), name) for name in names]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads, thread_name_prefix="xlsx") as pool:
                sheets = list(pool.map(lambda name: _read_sheet(reader(), name), names))
    except BaseException as exc:  # a panic in fastexcel's Rust code is a BaseException
        if not _is_reader_error(exc):
            raise
        raise _failed(path, exc) from exc

    groups: dict[tuple[str, ...], tuple[str, list[Any], list[str]]] = {}
    unnamed: dict[tuple[str, ...], tuple[int, ...]] = {}
    for sheet_name, found in zip(names, sheets, strict=True):
        if found is None:
            continue
        header, body, blanks = found
        unnamed.setdefault(tuple(header), blanks)
        warnings = []
        last = body.column(0)[-1].as_py() if body.num_rows else None
        if last and _STOP in last.lower():
            body = body.slice(0, body.num_rows - 1)
            warnings.append(
                f"sheet {sheet_name!r}: the export was stopped for size (ServiceNow's "
                "'Export stopped due to excessive size' row); the data is incomplete, "
                "export as CSV for all rows"
            )
        key = tuple(header)
        _, bodies, notes = groups.setdefault(key, (sheet_name, [], []))
        bodies.append(body.rename_columns(header))
        notes.extend(warnings)
    if not groups:
        raise InputError("the workbook has no data", file=path, hint="export the tickets again")
    return [
        RawTable(path=path, frame=_arrow_frame(pa.concat_tables(bodies)), sheet=first,
                 warnings=notes, unnamed=unnamed[key])
        for key, (first, bodies, notes) in groups.items()
    ]


def _read_sheet(reader: Any, name: str) -> tuple[list[str], Any, tuple[int, ...]] | None:
    """One sheet -> (its header, an Arrow table of text columns, the positions of its
    blank header cells); None when it is empty.

    Read with the cells' own types (every row looked at, no type forced on a cell); the
    header row is the first non-blank row. Only when fastexcel cannot type a column, or
    its column names are not the header cells as written, is the sheet read (again) as
    fastexcel's text.
    """
    batch = _typed_batch(reader, name)
    if batch is not None and _exact_names(batch.schema.names):
        if batch.num_columns == 0:
            return None
        return (dedupe_headers(batch.schema.names),
                _text_columns([_as_text(c) for c in batch.columns]), ())
    found = _text_table(reader, name)
    if found is None:
        return None
    table, first_blank = found
    cells = [c or "" for c in table.slice(0, 1).to_pylist()[0].values()]
    header, blanks = dedupe_headers(cells), blank_headers(cells)
    if batch is not None and not first_blank:
        # the typed read took the same row for the header: keep its typed cells
        return header, _text_columns([_as_text(c) for c in batch.columns]), blanks
    return header, _text_columns(table.slice(1).columns, blank_dropped=True), blanks


def _text_columns(columns: list[Any], blank_dropped: bool = False) -> Any:
    """Text columns -> a table (``c0``, ``c1``...; nullable, so sheets concatenate),
    blank rows dropped."""
    import pyarrow as pa

    table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    return table if blank_dropped else _drop_blank_rows(table)


def _typed_batch(reader: Any, name: str) -> Any:
    """The sheet with each column in its cells' type (fastexcel's ``strict`` guess over
    every row); a column mixing types is read as text. None when it cannot be typed.

    Not fastexcel's ``coerce`` in one read: it turns a column of numbers and booleans
    into numbers (``true`` reads ``1``) and still fails on numbers mixed with durations.
    fastexcel names only the first column it cannot type, so each retry adds one.
    """
    import fastexcel

    as_text: dict[str | int, Any] = {}
    for _ in range(_MAX_RETRIES + 1):
        try:
            return reader.load_sheet(
                name, header_row=0, schema_sample_rows=None, dtype_coercion="strict",
                dtypes=as_text or None, eager=True)
        except (fastexcel.UnsupportedColumnTypeCombinationError,
                fastexcel.CalamineCellError) as exc:
            # "... could not determine dtype for column NAME": that column as text
            found = _FAILED_COLUMN.search(str(exc))
            column = found.group(1) if found else None
            if column is None or column in as_text:
                return None
            as_text[column] = "string"
        except fastexcel.ColumnNotFoundError:  # a name the message did not give whole
            return None
    return None


def _exact_names(names: list[str]) -> bool:
    """Whether fastexcel's column names are the header cells as written: no generated
    name (a blank or date header cell) and none that may be a repeat it renamed
    (``Comment``, ``Comment`` -> ``Comment``, ``Comment_1``)."""
    seen = set(names)
    for n in names:
        if n.startswith(_GENERATED):
            return False
        base, sep, digits = n.rpartition("_")
        if sep and digits.isdigit() and base in seen:
            return False
    return True


def _text_table(reader: Any, name: str) -> tuple[Any, bool] | None:
    """The sheet as fastexcel's text, blank rows dropped (the header row included);
    with whether the sheet's first row was one of them. None when nothing is left."""
    import pyarrow as pa

    batch = reader.load_sheet(name, header_row=None, dtypes="string", eager=True)
    if batch.num_columns == 0 or batch.num_rows == 0:
        return None
    table = pa.Table.from_batches([batch])
    blank = _blank_rows(table)
    first_blank = bool(blank is not None and blank[0].as_py())
    table = _drop_blank_rows(table, blank)
    return (table, first_blank) if table.num_rows else None


def _blank_rows(table: Any) -> Any:
    import pyarrow.compute as pc

    blank = None
    for arr in table.columns:
        empty = pc.or_kleene(pc.is_null(arr), pc.equal(arr, ""))
        blank = empty if blank is None else pc.and_(blank, empty)
    return blank


def _drop_blank_rows(table: Any, blank: Any = None) -> Any:
    """Rows whose every cell is empty are not rows (Excel keeps them; exports do not)."""
    import pyarrow.compute as pc

    blank = _blank_rows(table) if blank is None else blank
    if blank is not None and pc.any(blank).as_py():
        table = table.filter(pc.invert(blank))
    return table


# ---- one typed column -> text ------------------------------------------------------------

def _as_text(arr: Any) -> Any:
    """An Arrow column of fastexcel's types -> Arrow text, as the cells read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    if pa.types.is_floating(t):
        return _float_text(arr)
    if pa.types.is_timestamp(t):
        return _datetime_text(arr)
    if pa.types.is_date(t):
        return pc.binary_join_element_wise(pc.cast(arr, pa.string()), " 00:00:00", "")
    if pa.types.is_duration(t):
        return _duration_text(arr)
    return pc.cast(arr, pa.string())


def _float_text(arr: Any) -> Any:
    """Whole numbers as integers (``12345.0`` -> ``12345``: ids and counts), others as
    Python's ``repr``.

    Arrow's shortest round-trip text has the same digits as ``repr``; it differs in
    layout only for numbers written with an exponent (below 1e-4, or above 1e14 with a
    fraction), which are done in Python, once per distinct value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.cast(arr, pa.float64())
    whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 2.0 ** 63))
    ints = pc.cast(pc.if_else(whole, arr, 0.0), pa.int64())
    text = pc.if_else(whole, pc.cast(ints, pa.string()), pc.cast(arr, pa.string()))
    odd = pc.and_not(
        pc.or_(pc.less(pc.abs(arr), 1e-4), pc.match_substring(text, "e")), whole)
    odd = pc.or_(odd, pc.invert(pc.is_finite(arr)))
    odd = pc.fill_null(odd, False)
    if not pc.any(odd).as_py():
        return text
    values = pc.filter(arr, odd)
    distinct = pc.unique(values)
    written = pa.array([_py_float(v) for v in distinct.to_pylist()], pa.string())
    return pc.replace_with_mask(text, odd, pc.take(written, pc.index_in(values, distinct)))


def _py_float(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _datetime_text(arr: Any) -> Any:
    """``YYYY-MM-DD HH:MM:SS`` (a date-only cell at 00:00:00), with ``.ffffff`` only
    when the time has a fraction of a second (as ``datetime.isoformat(" ")``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    micros = pc.cast(pc.cast(arr, pa.timestamp("us")), pa.int64())
    seconds = pc.floor_temporal(pc.cast(arr, pa.timestamp("us")), unit="second")
    text = pc.strftime(pc.cast(seconds, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
    fraction = pc.subtract(micros, pc.cast(seconds, pa.int64()))
    if not pc.any(pc.not_equal(fraction, 0)).as_py():
        return text
    return pc.if_else(
        pc.equal(fraction, 0), text,
        pc.binary_join_element_wise(text, ".", _zero_padded(fraction, 6), ""))


def _duration_text(arr: Any) -> Any:
    """As ``str(datetime.timedelta)``: ``1:30:00``, ``2 days, 0:00:05``, ``-1 day,
    23:00:00``, ``0:00:01.500000``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    us = pc.cast(pc.cast(arr, pa.duration("us")), pa.int64())
    day_us = 86_400 * 10**6
    days = pc.cast(pc.floor(pc.divide(pc.cast(us, pa.float64()), float(day_us))), pa.int64())
    rest = pc.subtract(us, pc.multiply(days, day_us))  # 0 <= rest < one day
    secs = pc.divide(rest, 10**6)  # integer division (both sides are positive)
    frac = pc.subtract(rest, pc.multiply(secs, 10**6))
    hours = pc.divide(secs, 3600)
    minutes = pc.subtract(pc.divide(secs, 60), pc.multiply(hours, 60))
    sec = pc.subtract(secs, pc.multiply(pc.divide(secs, 60), 60))
    clock = pc.binary_join_element_wise(
        pc.cast(hours, pa.string()), _zero_padded(minutes, 2), _zero_padded(sec, 2), ":")
    clock = pc.if_else(pc.equal(frac, 0), clock, pc.binary_join_element_wise(
        clock, ".", _zero_padded(frac, 6), ""))
    unit = pc.if_else(pc.equal(pc.abs(days), 1), " day, ", " days, ")
    with_days = pc.binary_join_element_wise(pc.cast(days, pa.string()), unit, clock, "")
    return pc.if_else(pc.equal(days, 0), clock, with_days)


def _zero_padded(ints: Any, width: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.utf8_lpad(pc.cast(ints, pa.string()), width=width, padding="0")
