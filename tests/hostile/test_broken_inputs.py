"""Broken and hostile input files: each gets one clear error line (exit 2) naming the file
and what to do, or a warning and a correct partial result. Every case asserts the
message or the result, not just the absence of a crash."""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hostilekit import (
    HEADER,
    SAMPLES,
    cli,
    csv_bytes,
    error_line,
    incident_rows,
    write,
    xlsx_bytes,
    zip_bytes,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm_diag import api
from itsm_diag.errors import InputError, UsageError
from itsm_diag.importers import flatten, guards, jsonfiles
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw
from itsm_diag.importers.registry import load_paths


def inspect(*paths: Path, **options: Any) -> dict[str, Any]:
    return api.inspect_paths(list(paths), api.RunOptions(**options))


def warnings_of(info: dict[str, Any]) -> list[str]:
    return [w for i in info["inputs"] for w in i["warnings"]]


# ---- empty, header-only, truncated -------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \n\n  \r\n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "incident.csv", data)
    line = error_line("diagnose", str(path))
    assert f"{path}: the file is empty" in line and "export the tickets again" in line


@pytest.mark.parametrize("name", ["incident.csv", "incident.xlsx"])
def test_header_only_file(tmp_path: Path, name: str) -> None:
    data = csv_bytes([]) if name.endswith(".csv") else xlsx_bytes([])
    path = write(tmp_path / name, data)
    line = error_line("diagnose", str(path))
    assert "the file has a header but no rows" in line and "export again with a filter" in line


def test_csv_cut_mid_row_keeps_the_rows_and_says_so(tmp_path: Path) -> None:
    data = csv_bytes(incident_rows(40))
    path = write(tmp_path / "incident.csv", data[: data.rindex(b",Service Desk")])
    info = inspect(path)
    assert info["tickets"] == 40  # the cut row is kept, its missing cells empty
    assert any("fewer cells than the 10 headers (first at row 41)" in w
               for w in warnings_of(info)), warnings_of(info)


def test_csv_cut_inside_a_quoted_cell_warns(tmp_path: Path) -> None:
    data = (SAMPLES / "servicenow" / "sc_req_item.csv").read_bytes()[:5000]
    path = write(tmp_path / "sc_req_item.csv", data)
    info = inspect(path)
    assert info["tickets"] == 10
    assert any("the file ends inside a quoted cell: it was probably cut short, and its last "
               "row (row 11) may be incomplete" in w for w in warnings_of(info))


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("cut", [True, False])
def test_quotes_counted_beside_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        threads: str, cut: bool) -> None:
    # a file past one count step has its quotes counted in a thread while Arrow reads it
    # (two CPUs), in the reader's thread otherwise: the same warning either way
    monkeypatch.setattr(guards, "_COUNT_STEP", 1000)
    monkeypatch.setenv("ITSM_DIAG_THREADS", threads)
    started: list[bool] = []
    real_init = guards.QuoteCount.__init__

    def init(self: guards.QuoteCount, path: Path, alone: bool = False) -> None:
        real_init(self, path, alone)
        started.append(self._thread is not None)

    monkeypatch.setattr(guards.QuoteCount, "__init__", init)
    data = b"".join(b",".join(b'"%s"' % cell.encode() for cell in row) + b"\n"
                    for row in [HEADER, *incident_rows(40)])  # every cell quoted
    data = data[: data.rindex(b'"Service Desk"') + 5] if cut else data
    assert len(data) > 1000 and data.count(b'"') % 2 == int(cut)
    warnings = warnings_of(inspect(write(tmp_path / "incident.csv", data)))
    assert started == [threads == "2"]
    said = [w for w in warnings if "the file ends inside a quoted cell" in w]
    assert len(said) == int(cut), warnings


def test_no_quote_count_outlives_a_refused_read(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the read fails while the count still runs: the reader waits for it before leaving
    # (a piped file is a temporary copy removed next, which Windows refuses while open)
    import threading

    from itsm_diag.importers import readers

    monkeypatch.setattr(guards, "_COUNT_STEP", 10)
    monkeypatch.setenv("ITSM_DIAG_THREADS", "2")
    real_count = guards.count_byte

    def slow_count(path: Path, byte: bytes) -> int:
        time.sleep(0.3)
        return real_count(path, byte)

    def refuse(path: Path, head: bytes) -> Any:
        raise InputError("refused", file=path)

    monkeypatch.setattr(guards, "count_byte", slow_count)
    monkeypatch.setattr(readers, "read_csv", refuse)
    path = write(tmp_path / "x.csv", csv_bytes(incident_rows(5)))
    with pytest.raises(InputError, match="refused"):
        read_raw(path)
    assert not [t for t in threading.enumerate() if t.name == "quote-count"]


def test_quote_count_of_a_file_gone_is_none(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # a file that cannot be read again for the count: no count, so no warning, no error
    monkeypatch.setattr(guards, "_COUNT_STEP", 10)
    monkeypatch.setenv("ITSM_DIAG_THREADS", "2")
    path = write(tmp_path / "x.csv", b'"a","b"\n"1","2"\n')
    count = guards.QuoteCount(path)
    assert count.result() == 8
    path.unlink()
    assert guards.QuoteCount(path, alone=True).result() is None


@pytest.mark.parametrize("size", [0, 1, 999, 4096, 10_000])
def test_quote_count_over_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 size: int) -> None:
    import random

    monkeypatch.setattr(guards, "_COUNT_STEP", 1000)  # many steps, a partial last one
    rng = random.Random(size)
    data = bytes(rng.choice(b'ab",\n') for _ in range(size))
    path = write(tmp_path / "quotes.csv", data)
    assert guards.count_byte(path, b'"') == data.count(b'"')


def test_xlsx_cut_short(tmp_path: Path) -> None:
    data = (SAMPLES / "servicenow" / "incident.xlsx").read_bytes()
    path = write(tmp_path / "incident.xlsx", data[: len(data) // 2])
    line = error_line("diagnose", str(path))
    assert "the Excel workbook is damaged or cut short" in line
    assert "download or export it again" in line


def test_json_cut_short(tmp_path: Path) -> None:
    data = (SAMPLES / "zendesk" / "api" / "tickets_1.json").read_bytes()
    path = write(tmp_path / "tickets.json", data[:3000])
    line = error_line("diagnose", str(path))
    assert "not valid JSON" in line and "the file may be cut short" in line


def test_ndjson_last_line_cut_short_loses_that_line_only(tmp_path: Path) -> None:
    lines = (SAMPLES / "zendesk" / "full_export" / "tickets.ndjson").read_bytes().splitlines()
    whole = len(lines)
    path = write(tmp_path / "tickets.ndjson", b"\n".join(lines)[:-40])
    raw = read_raw(path)[0]
    assert len(raw.frame) == whole - 1
    assert any(w.startswith("the last line is cut short (the download may be incomplete): "
                            f"skipped (first at line {whole}") for w in raw.warnings)


def test_empty_json_page_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "page.json", b'{"tickets": [], "next_page": null}')
    line = error_line("diagnose", str(path))
    assert "no tickets were read from the inputs" in line


# ---- binary files and wrong extensions ---------------------------------------------------

@pytest.mark.parametrize(("data", "said"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "this is a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003 (.xls) workbook"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "this is a PNG image"),
    (b"\x1f\x8b\x08\x00" + bytes(100), "a gzip-compressed file"),
    (bytes(range(256)) * 20, "not a text, JSON or Excel file"),
])
def test_binary_files_are_refused(tmp_path: Path, data: bytes, said: str) -> None:
    path = write(tmp_path / "incident.csv", data)
    line = error_line("diagnose", str(path))
    assert line.startswith(f"itsm-diag: error: {path}: ") and said in line, line
    assert "not a ticket export" in line or "not a text" in line or "decompress" in line


def test_utf16_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "incident.csv", csv_bytes(incident_rows(5)).decode().encode(
        "utf-16-le"))
    line = error_line("diagnose", str(path))
    assert "UTF-16 text without a byte-order mark" in line and "UTF-8" in line


def test_xlsx_named_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = write(tmp_path / "incident.csv", xlsx_bytes(incident_rows(30)))
    info = inspect(path)
    assert info["tickets"] == 30
    assert "the file is named .csv but holds an Excel workbook; it was read as an Excel " \
           "workbook" in warnings_of(info)


def test_csv_named_xlsx_is_read_as_text(tmp_path: Path) -> None:
    path = write(tmp_path / "incident.xlsx", csv_bytes(incident_rows(30)))
    info = inspect(path)
    assert info["tickets"] == 30
    assert "the file is named .xlsx but holds CSV text; it was read as CSV text" in \
        warnings_of(info)


def test_zip_of_csv_files(tmp_path: Path) -> None:
    path = write(tmp_path / "export.xlsx", zip_bytes({"incident.csv": csv_bytes([])}))
    line = error_line("diagnose", str(path))
    assert "this is a ZIP archive, not an Excel workbook (it holds incident.csv)" in line
    assert "unzip it and pass the export files inside" in line


def test_word_document(tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.xlsx", zip_bytes({"[Content_Types].xml": b"<x/>",
                                                       "word/document.xml": b"<w/>"}))
    assert "this is a Word document, not a ticket export" in error_line("diagnose", str(path))


# ---- duplicates, negative durations, impossible timestamps -------------------------------

def test_duplicate_ids_with_conflicting_data_warn_and_latest_wins(tmp_path: Path) -> None:
    old = incident_rows(20)
    new = [list(r) for r in old[:3]]
    for r in new:
        r[2] = "Resolved"
        r[7] = r[7].replace("15:00:00", "18:00:00")  # updated later
    a = write(tmp_path / "a.csv", csv_bytes(old))
    b = write(tmp_path / "b.csv", csv_bytes(new))
    loaded = load_paths([a, b], ImportOptions())
    assert len(loaded.tickets) == 20
    note = next(n for n in loaded.notes if "more than one input row" in n)
    assert note.startswith("3 ticket ids appear in more than one input row, 3 of them with "
                           "conflicting data (e.g. INC0000001); the latest update of each "
                           "is kept")
    kept = loaded.tickets.set_index("ticket_id")
    assert kept.loc["INC0000001", "status"] == "resolved"
    assert kept.loc["INC0000004", "status"] == "closed"


def test_duplicate_ids_without_update_times_say_the_last_row_read_wins(tmp_path: Path
                                                                       ) -> None:
    # no update time to choose by: the note must not claim "the latest update" won
    head = "number,opened_at,state\n"
    a = write(tmp_path / "a.csv", (head + "INC0000001,2025-01-02 09:00:00,New\n"
                                   "INC0000002,2025-01-02 10:00:00,New\n").encode())
    b = write(tmp_path / "b.csv", (head + "INC0000001,2025-01-02 09:00:00,Resolved\n").encode())
    loaded = load_paths([a, b], ImportOptions())
    note = next(n for n in loaded.notes if "more than one input row" in n)
    assert "the last row read of each is kept (the rows carry no update time)" in note
    assert "latest update" not in note
    kept = loaded.tickets.set_index("ticket_id")
    assert kept.loc["INC0000001", "status_raw"] == "Resolved"


def test_identical_duplicates_are_not_called_conflicting(tmp_path: Path) -> None:
    rows = incident_rows(10)
    a = write(tmp_path / "a.csv", csv_bytes(rows))
    b = write(tmp_path / "b.csv", csv_bytes(rows[:4]))
    note = next(n for n in load_paths([a, b], ImportOptions()).notes
                if "more than one input row" in n)
    assert note.startswith("4 ticket ids appear in more than one input row; the latest "
                           "update of each is kept")
    assert "conflicting" not in note


def test_resolved_before_opened_is_counted_and_left_out_of_durations(tmp_path: Path) -> None:
    rows = incident_rows(60)
    for r in rows[:3]:
        r[5] = r[4].replace("09:00:00", "01:00:00")  # resolved 8 h before it was opened
    path = write(tmp_path / "incident.csv", csv_bytes(rows))
    info = inspect(path)
    note = next(n for n in info["notes"] if "before they were opened" in n)
    assert note.startswith("3 tickets were resolved before they were opened (first: "
                           "INC0000001, opened 2024-01-02 09:00, resolved 2024-01-02 01:00)")
    report = api.diagnose_paths([path], api.RunOptions())
    ttr = report.kpis.time_to_resolve_hours
    assert ttr["n"] == 57 and ttr["median"] == pytest.approx(4.0)  # the 3 are not in it
    assert any("before they were opened" in n for n in report.data_notes)


@pytest.mark.parametrize(("value", "what"), [
    ("2999-01-01 09:00:00", "in the future"), ("1970-01-01 00:00:00", "before 1990"),
    ("1899-12-30 00:00:00", "before 1990"),
])
def test_impossible_timestamps_are_counted_and_left_empty(tmp_path: Path, value: str,
                                                          what: str) -> None:
    rows = incident_rows(50)
    rows[4][4] = value
    rows[9][4] = value
    path = write(tmp_path / "incident.csv", csv_bytes(rows))
    loaded = load_paths([path], ImportOptions())
    warnings = loaded.sources[0].warnings
    assert f"column 'opened_at': 2 timestamp(s) {what} left empty (first at row 6: " \
           f"{value[:16]})" in warnings, warnings
    opened = loaded.tickets.set_index("ticket_id")["opened_at"]
    assert opened.isna().sum() == 2 and pd.isna(opened["INC0000005"])


def test_due_dates_may_be_in_the_future(tmp_path: Path) -> None:
    rows = [[*r, "2999-01-01 00:00:00"] for r in incident_rows(20)]
    path = write(tmp_path / "incident.csv", csv_bytes(rows, [*HEADER, "due_date"]))
    loaded = load_paths([path], ImportOptions())
    assert loaded.tickets["due_at"].notna().all()
    assert not any("future" in w for w in loaded.sources[0].warnings)


# ---- one corrupt row among very many -----------------------------------------------------

def test_one_corrupt_row_in_a_million_is_reported_not_fatal(tmp_path: Path) -> None:
    n = 1_000_000
    bad = 654_321
    body = [f"INC{i:07d},Printer jam,Closed,2024-03-{1 + i % 28:02d} 09:00:00\n"
            for i in range(1, n + 1)]
    # the corrupt row: an unreadable date and a byte that is not UTF-8
    body[bad - 1] = f"INC{bad:07d},Printer ~BAD~ jam,Closed,2024-13-45 99:99:99\n"
    text = "number,short_description,state,opened_at\n" + "".join(body)
    path = write(tmp_path / "incident.csv", text.encode().replace(b"~BAD~", b"\xff"))
    loaded = load_paths([path], ImportOptions())
    assert len(loaded.tickets) == n  # nothing lost: the row is kept, its bad date empty
    warnings = loaded.sources[0].warnings
    assert any(f"1 unreadable date(s) left empty (first at row {bad + 1}: "
               "'2024-13-45 99:99:99')" in w for w in warnings), warnings
    assert any("1 bytes are not valid utf-8 and were replaced" in w for w in warnings), warnings
    assert loaded.tickets["opened_at"].isna().sum() == 1


def test_unclosed_quote_does_not_swallow_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = incident_rows(300)
    rows[99][1] = "BROKEN"
    data = csv_bytes(rows).replace(b"BROKEN", b'"unclosed quote')
    path = write(tmp_path / "incident.csv", data)
    raw = read_raw(path)[0]
    assert len(raw.frame) == 300  # without the repair: 100 rows, the last one huge
    assert raw.frame["short_description"].iloc[99] == "unclosed quote"
    assert raw.frame["number"].iloc[-1] == "INC0000300"
    assert any(w.startswith("row 101, column 'short_description': a quote opened there is "
                            "never closed, so the 200 lines after it were read as one cell; "
                            "they were read back as rows") for w in raw.warnings), raw.warnings


def test_ndjson_one_corrupt_line_in_thousands_is_skipped(tmp_path: Path) -> None:
    recs = [json.dumps({"id": i, "subject": "x", "status": "open", "type": "incident",
                        "created_at": "2025-01-01T10:00:00Z",
                        "updated_at": "2025-01-02T10:00:00Z"}) for i in range(1, 3001)]
    recs[1499] = '{"id": 1500, "subject": "cut'
    path = write(tmp_path / "tickets.ndjson", "\n".join(recs).encode())
    raw = read_raw(path)[0]
    assert len(raw.frame) == 2999
    assert any(w.startswith("1 corrupt lines of 3,000: skipped (first at line 1500: ")
               for w in raw.warnings), raw.warnings


def test_ndjson_with_many_corrupt_lines_is_an_error(tmp_path: Path) -> None:
    recs = ['{"id": 1}', "{oops", '{"id": 3}', "{oops"]
    path = write(tmp_path / "tickets.ndjson", "\n".join(recs).encode())
    line = error_line("diagnose", str(path))
    assert "row 2: line 2 is not valid JSON" in line and "(2 bad lines of 4)" in line


# ---- workbooks: zip bombs, lying sizes, empty styled rows --------------------------------

def _workbook_with_sheet(sheet: bytes | None = None, stream: Any = None) -> bytes:
    """A workbook whose sheet XML is ``sheet`` (or written from the ``stream`` chunks)."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(incident_rows(2))))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in base.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                if stream is not None:
                    with out.open(info.filename, "w", force_zip64=True) as fh:
                        for chunk in stream:
                            fh.write(chunk)
                    continue
                out.writestr(info.filename, sheet if sheet is not None else base.read(info))
            else:
                out.writestr(info.filename, base.read(info))
    return buf.getvalue()


def test_zip_bomb_is_refused_before_calamine(tmp_path: Path) -> None:
    head = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    chunks = [head] + [b" " * (1 << 20)] * 40 + [b"</sheetData></worksheet>"]
    path = write(tmp_path / "incident.xlsx", _workbook_with_sheet(stream=chunks))
    line = error_line("diagnose", str(path))
    assert "the workbook part 'xl/worksheets/sheet1.xml' inflates" in line
    assert "a zip bomb, not an export" in line


@pytest.mark.parametrize("threaded", [False, True])
def test_workbook_lying_about_its_sizes_is_refused(tmp_path: Path, threaded: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if threaded:  # every part inflated on the thread pool, as a large workbook's sheets
        monkeypatch.setattr(guards, "THREADED_PART_BYTES", 0)
        monkeypatch.setattr(guards.cpus, "usable", lambda: 2)  # on a 1-CPU runner too
    data = bytearray(_workbook_with_sheet())
    name = b"xl/worksheets/sheet1.xml"
    # the sheet's central-directory entry declares 10 bytes; it inflates to far more
    entry = data.index(b"PK\x01\x02", data.rindex(name) - 46 - len(name))
    assert data[entry + 46: entry + 46 + len(name)] == name
    data[entry + 24: entry + 28] = (10).to_bytes(4, "little")
    path = write(tmp_path / "incident.xlsx", bytes(data))
    line = error_line("diagnose", str(path))
    assert "the Excel workbook is damaged (part 'xl/worksheets/sheet1.xml'" in line


def test_a_million_empty_styled_rows_read_in_bounded_time(tmp_path: Path) -> None:
    rows = incident_rows(3)
    sheet = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows))).read(
        "xl/worksheets/sheet1.xml")
    cut = sheet.index(b"</sheetData>")
    styled = (b'<row r="%d" s="1" customFormat="1"/>' % i for i in range(10, 1_000_010))
    chunks = [sheet[:cut], *styled, sheet[cut:]]
    path = write(tmp_path / "incident.xlsx", _workbook_with_sheet(stream=iter(chunks)))
    start = time.monotonic()
    tables = read_raw(path)
    assert time.monotonic() - start < 20
    assert [len(t.frame) for t in tables] == [3]


def test_workbook_unpacking_past_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "incident.xlsx", (SAMPLES / "servicenow" / "incident.xlsx")
                 .read_bytes())
    line = error_line("diagnose", str(path), "--max-file-mb", "0.5")
    assert "the workbook unpacks to 1.9 MB, more than the 0.5 MB limit" in line
    assert "pass --max-file-mb 3 to read it anyway" in line


# ---- size limit --------------------------------------------------------------------------

def test_file_over_the_size_limit_says_how_to_raise_it(tmp_path: Path) -> None:
    path = write(tmp_path / "incident.csv", csv_bytes(incident_rows(20_000)))
    size_mb = path.stat().st_size / (1 << 20)
    line = error_line("diagnose", str(path), "--max-file-mb", "1")
    assert f"the file is {size_mb:,.1f} MB, more than the 1.0 MB limit" in line
    assert f"pass --max-file-mb {int(size_mb) + 2} to read it anyway" in line
    code, _, err = cli("inspect", str(path), "--max-file-mb", "3")
    assert code == 0, err


def test_default_size_limits() -> None:
    assert guards.max_file_bytes(None) == guards.DEFAULT_MAX_FILE_MB << 20 == 2048 << 20
    assert guards.max_file_bytes(None, json=True) == guards.DEFAULT_MAX_JSON_MB << 20
    assert guards.DEFAULT_MAX_JSON_MB < guards.DEFAULT_MAX_FILE_MB
    # a limit the user gives applies to every format
    assert guards.max_file_bytes(1) == guards.max_file_bytes(1, json=True) == 1 << 20


def test_json_has_its_own_default_and_the_option_lifts_it(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    path = write(tmp_path / "tickets.json",
                 (SAMPLES / "zendesk" / "api" / "tickets_4.json").read_bytes())
    size_mb = path.stat().st_size / (1 << 20)
    monkeypatch.setattr(guards, "DEFAULT_MAX_JSON_MB", size_mb / 2)
    line = error_line("inspect", str(path))
    assert f"more than the {size_mb / 2:,.1f} MB limit for JSON, which is held in memory " \
           "whole" in line
    assert f"pass --max-file-mb {int(size_mb) + 2} to read it anyway" in line
    code, _, err = cli("inspect", str(path), "--max-file-mb", f"{size_mb * 2:.3f}")
    assert code == 0, err
    loaded = load_paths([path], ImportOptions(max_file_mb=size_mb * 2))
    assert len(loaded.tickets) > 0
    with pytest.raises(InputError, match="limit for JSON"):
        load_paths([path], ImportOptions())


@pytest.mark.parametrize("value", ["0", "-5", "inf", "nan"])
def test_size_limit_must_be_positive(tmp_path: Path, value: str) -> None:
    # said before any file is looked at: the missing file is not what is reported
    missing = tmp_path / "missing.csv"
    for command in ("diagnose", "inspect"):
        line = error_line(command, str(missing), "--max-file-mb", value)
        assert f"--max-file-mb {value} must be a positive number of MB" in line
    with pytest.raises(UsageError):
        ImportOptions(max_file_mb=float(value))


# ---- JSON nesting ------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "depth"), [
    (b"[" * 100_000 + b"]" * 100_000, 100_000),
    (b'{"tickets": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}", 5_001),
    (b'{"id": 1}\n' + b"[" * 3_000 + b"]" * 3_000 + b"\n", 3_000),
    # the first line itself too deep; a list too deep inside a page's record
    (b"[" * 5_000 + b"]" * 5_000 + b'\n{"id": 1}\n', 5_000),
    (b'{"tickets": [{"id": 1, "x": ' + b"[" * 2_000 + b"]" * 2_000 + b"}]}", 2_003),
    (b"[" * 1_000_000, 1_000_000),  # not even closed
])
def test_deeply_nested_json_is_refused_before_parsing(tmp_path: Path, data: bytes,
                                                      depth: int) -> None:
    path = write(tmp_path / "tickets.json", data)
    line = error_line("diagnose", str(path))
    assert f"the JSON is nested too deeply to be a ticket export ({depth:,} levels; an " \
        f"export nests fewer than {guards.MAX_JSON_DEPTH})" in line


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    doc = json.dumps([{"subject": "[" * 10_000 + "{" * 10_000, "id": 1}]).encode()
    assert guards.json_depth(doc) == 2
    guards.check_json_depth(doc, Path("x.json"))  # no error


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_TRICKY = st.text(alphabet='ab[]{}"\\\n\u00e9', max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=20)


@contextlib.contextmanager
def _depth_step(step: int) -> Iterator[None]:
    """json_depth measured ``step`` bytes at a time (small: every carry is exercised)."""
    saved = guards._DEPTH_STEP
    guards._DEPTH_STEP = step
    try:
        yield
    finally:
        guards._DEPTH_STEP = saved


@settings(max_examples=300, deadline=None)
@given(_JSON, st.booleans(), st.sampled_from([None, 2]), st.sampled_from([3, 1 << 21]))
def test_json_depth_is_the_documents_nesting(value: Any, ascii_only: bool,
                                             indent: int | None, step: int) -> None:
    # quotes, backslashes and brackets inside strings, escaped every way json writes them,
    # on one line or pretty-printed over many
    data = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode()
    with _depth_step(step):
        assert guards.json_depth(data) == _depth(value)


_LINE = (st.tuples(st.just("doc"), _JSON)
         | st.tuples(st.just("junk"), st.text(alphabet='[]{}"\\ab', min_size=1, max_size=30)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=6), st.sampled_from([3, 1 << 21]))
def test_a_corrupt_ndjson_line_cannot_hide_the_nesting_after_it(
        lines: list[tuple[str, Any]], step: int) -> None:
    # a junk line of stray closers or an unclosed quote must not make the documents after
    # it measure shallower than they nest: the guard may only over-count
    data = b"\n".join(json.dumps(v).encode() if kind == "doc" else v.encode()
                      for kind, v in lines)
    nesting = max((_depth(v) for kind, v in lines if kind == "doc"), default=0)
    with _depth_step(step):
        assert guards.json_depth(data) >= nesting


def _measured(data: bytes) -> Any:
    """The bytes json_depth measures (escapes gone, then all but quotes, breaks, brackets)."""
    import numpy as np

    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    return np.frombuffer(data.translate(None, guards._NOT_MEASURED), dtype=np.uint8)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.sampled_from([None, 2]), st.sampled_from([3, 1 << 21]))
def test_valid_json_is_measured_by_quote_pairs(value: Any, indent: int | None,
                                               step: int) -> None:
    # the quick measure applies to every valid document and agrees with the line count
    kept = _measured(json.dumps(value, indent=indent).encode())
    with _depth_step(step):
        assert guards.depth_by_quote_pairs(kept) == guards.depth_by_lines(kept) == _depth(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=6), st.sampled_from([3, 1 << 21]))
def test_quote_pairs_measure_as_lines_do_or_step_aside(lines: list[tuple[str, Any]],
                                                       step: int) -> None:
    # on corrupt NDJSON the quick measure gives the line count's answer, or none when a
    # line break falls inside a string (then the line count, which ends it there, is used)
    data = b"\n".join(json.dumps(v).encode() if kind == "doc" else v.encode()
                      for kind, v in lines)
    kept = _measured(data)
    with _depth_step(step):
        quick = guards.depth_by_quote_pairs(kept)
        assert quick is None or quick == guards.depth_by_lines(kept)
        assert guards.json_depth(data) == (guards.depth_by_lines(kept) if quick is None
                                           else quick)


def test_a_line_break_inside_a_string_leaves_the_quick_measure() -> None:
    kept = _measured(b'{"a": "cut short\n' + b"[" * 70 + b"]" * 70)
    assert guards.depth_by_quote_pairs(kept) is None
    assert guards.depth_by_lines(kept) == 71


def test_stray_closers_do_not_hide_the_next_lines_nesting() -> None:
    data = b"]" * 200 + b"\n" + b"[" * 150 + b"]" * 150
    assert guards.json_depth(data) == 150
    # an unclosed quote ends with its line: the next line's brackets are not text
    assert guards.json_depth(b'{"a": "cut short\n' + b"[" * 70 + b"]" * 70) == 71


def _nested_record(levels: int) -> bytes:
    """One ticket whose objects nest ``levels`` deep, the record itself the first."""
    inner: Any = "deep"
    for _ in range(levels - 1):
        inner = {"k": inner}
    return json.dumps([{"id": 1, "x": inner}]).encode()


def test_objects_nested_to_the_limit_read_and_one_more_is_refused(tmp_path: Path) -> None:
    limit = flatten.MAX_DEPTH
    path = write(tmp_path / "tickets.json", _nested_record(limit))
    assert read_raw(path)[0].frame.columns[-1] == "x" + ".k" * (limit - 1)
    path = write(tmp_path / "tickets.json", _nested_record(limit + 1))
    line = error_line("diagnose", str(path))
    assert f"record 1 nests objects more than {limit} levels deep" in line


def _nested_lists(depth: int) -> bytes:
    """A ticket export whose brackets nest ``depth`` deep (a list in a record in a list),
    with more brackets than that in all, so the depth itself is measured."""
    lists = "[" * (depth - 2) + "1" + "]" * (depth - 2)
    return f'[{{"id": 1, "tags": ["a"], "x": {lists}}}]'.encode()


def test_brackets_nested_to_the_limit_read_and_one_more_is_refused(tmp_path: Path) -> None:
    limit = guards.MAX_JSON_DEPTH
    data = _nested_lists(limit)
    assert guards.json_depth(data) == limit < data.count(b"[") + data.count(b"{")
    path = write(tmp_path / "tickets.json", data)
    assert read_raw(path)[0].frame["x"].iloc[0] == "[" * (limit - 2) + "1" + "]" * (limit - 2)
    path = write(tmp_path / "tickets.json", _nested_lists(limit + 1))
    line = error_line("diagnose", str(path))
    assert f"({limit + 1:,} levels; an export nests fewer than {limit})" in line


def test_errors_are_input_errors() -> None:
    with pytest.raises(InputError):
        guards.check_json_depth(b"[" * 100, Path("x.json"))


def test_ragged_row_with_bad_bytes_past_the_sample_is_kept_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A wide row whose bytes are not UTF-8, beyond the encoding sample: pyarrow cannot
    decode it for the invalid-row handler; the file must still load, with warnings and
    no traceback on stderr."""
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    rows = "".join(f"INC{i:07d},Closed,2026-01-01 10:00:00\n" for i in range(9000))
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"number,state,opened_at\n" + rows.encode()
                     + b"INC9999999,Closed,2026-01-02 10:00:00,\xff\xfe,x\n"
                     + b"INC9999998,Closed,2026-01-03 10:00:00\n")
    loaded = load_paths([path], ImportOptions())
    assert len(loaded.tickets) == 9002
    warnings = " ".join(loaded.sources[0].warnings)
    assert "not valid utf-8" in warnings and "more cells than the 3 headers" in warnings
    assert "Exception ignored" not in capfd.readouterr().err


@pytest.mark.parametrize("doc", ["[{}, {}]", '{"tickets": [{"a": {}}, {}]}'])
def test_records_without_a_field_are_no_rows(tmp_path: Path, doc: str) -> None:
    # not rows of nothing, which an importer would index into
    path = write(tmp_path / "tickets.json", doc.encode())
    assert jsonfiles.read_json(path)[0].frame.shape == (0, 0)
    assert "the file has a header but no rows" in error_line("diagnose", str(path))
