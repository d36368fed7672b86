"""Edges of reading export files: a workbook's notes sheet, a UTF-8 file with a few
cp1252 rows, UTF-16 with commas, blank and repeated headers, an unpaired quote, a JSON
file holding one value, Excel date serials, and a baseline report's byte order mark and
``as_of``. Each case checks what is read and what the user is told."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag.cli import app
from itsm_diag.errors import InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw
from itsm_diag.importers.registry import Loaded, load_paths

HEADER = ["number", "short_description", "state", "priority", "category", "assignment_group",
          "contact_type", "opened_at", "resolved_at", "closed_at", "sys_updated_on"]
#: the summary of every row (non-ASCII, so encodings show)
SUMMARY = "Café résumé"


def rows(n: int = 300) -> list[list[str]]:
    start = datetime(2025, 3, 1, 9)
    out = []
    for i in range(n):
        opened = start + timedelta(hours=7 * i)
        done = "" if i % 5 == 0 else (opened + timedelta(hours=1 + i % 90)).strftime(
            "%Y-%m-%d %H:%M:%S")
        out.append([f"INC{10001 + i:07d}", SUMMARY, "In Progress" if not done else "Resolved",
                    "3 - Moderate", "Hardware", "Desktop Support", "Email",
                    opened.strftime("%Y-%m-%d %H:%M:%S"), done, "",
                    done or opened.strftime("%Y-%m-%d %H:%M:%S")])
    return out


def csv_text(header: list[str] = HEADER, body: list[list[str]] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows() if body is None else body)
    return buf.getvalue()


def load(*paths: Path, **kw: Any) -> Loaded:
    return load_paths(list(paths), ImportOptions(**kw))


def warnings_of(loaded: Loaded) -> list[str]:
    return [w for s in loaded.sources for w in s.warnings]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


def one_error(*args: str) -> str:
    code, err = run(*args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("itsm-diag: error: ") and "unexpected" not in lines[0], err
    return lines[0]


def workbook(path: Path, sheets: dict[str, list[list[Any]]],
             merge: str | None = None) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            sheet.append(line)
        if merge:
            sheet.merge_cells(merge)
    book.save(path)
    return path


# ---- 1. a workbook's sheet that holds no ticket table ------------------------------------

@pytest.mark.parametrize("notes", [
    [["This export was made by X"]],                       # a header line, no rows
    [["This export was made by X"], ["second line"]],      # no tool's columns
])
@pytest.mark.parametrize("notes_first", [False, True])
def test_notes_sheet_is_named_and_the_ticket_sheet_read(tmp_path: Path, notes: list[list[Any]],
                                                        notes_first: bool) -> None:
    tickets = [HEADER, *rows()]
    sheets = {"Notes": notes, "Page 1": tickets} if notes_first else \
        {"Page 1": tickets, "Notes": notes}
    path = workbook(tmp_path / "notes.xlsx", sheets)
    loaded = load(path)
    assert len(loaded.tickets) == 300
    assert [s.path for s in loaded.skipped] == [f"{path} [Notes]"]
    assert any(n.startswith(f"{path} [Notes] was not read: ") and "no ticket table" in n
               for n in loaded.notes), loaded.notes
    code, err = run("diagnose", str(path), "-o", str(tmp_path / "r.json"), "-f", "json")
    assert code == 0 and f"warning: {path} [Notes] was not read" in err, err
    # inside a folder the workbook is read too, not skipped whole
    assert len(load(tmp_path).tickets) == 300


def test_workbook_of_notes_only_is_still_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "notes.xlsx", {"A": [["just a note"]], "B": [["another"]]})
    assert "the file has a header but no rows" in one_error("diagnose", str(path))
    path = workbook(tmp_path / "notes2.xlsx", {"A": [["a note"], ["more"]],
                                               "B": [["x"], ["y"]]})
    assert "cannot tell which tool" in one_error("diagnose", str(path))


# ---- 2. a UTF-8 file with a few rows saved as cp1252 -------------------------------------

def test_few_cp1252_rows_in_utf8_file_stay_utf8_and_are_counted(tmp_path: Path) -> None:
    lines = csv_text().encode("utf-8").split(b"\n")
    for k in (5, 50, 100):  # rows 6, 51 and 101
        lines[k] = lines[k].replace(SUMMARY.encode(), SUMMARY.encode("cp1252"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(lines))
    raw = read_raw(path)[0]
    assert raw.encoding == "utf-8"
    summaries = raw.frame["short_description"]
    assert (summaries == SUMMARY).sum() == 297
    assert not summaries.str.contains("Ã").any()
    assert any("9 bytes are not valid utf-8 and were replaced" in w and "(first at row 6)" in w
               for w in raw.warnings), raw.warnings


def test_cp1252_file_is_still_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(csv_text().encode("cp1252"))
    raw = read_raw(path)[0]
    assert raw.encoding == "cp1252" and not raw.warnings
    assert (raw.frame["short_description"] == SUMMARY).all()


# ---- 3. UTF-16 with commas ---------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_utf16_file_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes(csv_text().replace('","', f'"{delimiter}"').encode("utf-16"))
    loaded = load(path)
    assert len(loaded.tickets) == 300
    assert loaded.sources[0].encoding == "utf-16"
    assert loaded.sources[0].delimiter == delimiter


# ---- 4. blank and repeated headers -------------------------------------------------------

def test_blank_header_holding_values_is_named(tmp_path: Path) -> None:
    header = list(HEADER)
    header[8] = ""  # resolved_at
    path = tmp_path / "blank.csv"
    path.write_text(csv_text(header))
    said = [w for w in warnings_of(load(path)) if "blank header" in w]
    assert len(said) == 1 and said[0].startswith("column 9 has a blank header but holds 240 "
                                                 "values (first at row 3): kept as 'column_9'")


def test_blank_header_over_an_empty_column_is_not_named(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text(csv_text([*HEADER, ""], [[*r, ""] for r in rows()]))
    assert not [w for w in warnings_of(load(path)) if "blank header" in w]


def test_merged_header_cells_in_a_workbook_are_named(tmp_path: Path) -> None:
    header: list[Any] = list(HEADER)
    header[8] = None  # H1:I1 merged: I1 is blank
    path = workbook(tmp_path / "merged.xlsx", {"Page 1": [header, *rows()]}, merge="H1:I1")
    said = [w for w in warnings_of(load(path)) if "blank header" in w]
    assert len(said) == 1 and said[0].startswith("column 9 (I) has a blank header")
    assert "merged" in said[0]


def test_repeated_header_of_a_read_field_says_which_was_used(tmp_path: Path) -> None:
    header = list(HEADER)
    header[9] = "opened_at"  # closed_at -> a second opened_at, with other values
    body = [[*r[:9], r[8], *r[10:]] for r in rows()]
    path = tmp_path / "dup.csv"
    path.write_text(csv_text(header, body))
    loaded = load(path)
    said = [w for w in warnings_of(loaded) if "share the header 'opened_at'" in w]
    assert len(said) == 1, warnings_of(loaded)
    assert "opened_at was read from column 8; column 10 was not read (its value differs in " \
           "240 rows, first at row 3)" in said[0]
    # the first column is the one read
    assert str(loaded.tickets["opened_at"].min()) == "2025-03-01 09:00:00+00:00"


# ---- 5. messages that named the wrong thing ----------------------------------------------

def test_unpaired_quote_mid_file_names_its_row(tmp_path: Path) -> None:
    lines = csv_text().split("\n")
    lines[100] = lines[100].replace('"Caf', '"Ca"f', 1)  # row 101
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines))
    warnings = warnings_of(load(path))
    assert not [w for w in warnings if "ends inside a quoted cell" in w], warnings
    assert any(w.startswith("row 101 holds a quote character") for w in warnings), warnings


def test_file_cut_inside_a_quote_still_says_so(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(csv_text()[:-20])
    assert any("the file ends inside a quoted cell" in w and "(row 301)" in w
               for w in warnings_of(load(path)))


@pytest.mark.parametrize("text, kind", [("42", "a number"), ('"hello"', "text"),
                                        ("true\n", "true/false")])
def test_json_single_value_is_named_as_json(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "value.json"
    path.write_text(text)
    line = one_error("diagnose", str(path))
    assert f"the file is JSON holding a single value ({kind}), not a list of ticket " \
           "records" in line and "delimited" not in line


def test_excel_serial_dates_get_a_hint_that_works(tmp_path: Path) -> None:
    def serial(text: str) -> float | None:
        if not text:
            return None
        return (datetime.fromisoformat(text) - datetime(1899, 12, 30)) / timedelta(days=1)

    body = [[*r[:7], *(serial(v) for v in r[7:])] for r in rows()]
    path = workbook(tmp_path / "serial.xlsx", {"Page 1": [HEADER, *body]})
    line = one_error("diagnose", str(path))
    assert "Excel date serial numbers" in line and "Format Cells" in line
    assert "pass --date-format" not in line


@pytest.fixture(scope="module")
def report_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "r.json"
    code, err = run("demo", "--format", "json", "-o", str(out))
    assert code == 0, err
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_baseline_with_a_byte_order_mark_is_read(tmp_path: Path,
                                                 report_json: dict[str, Any]) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(report_json).encode())
    assert api.load_report(path).as_of == report_json["as_of"]


def test_baseline_as_of_not_a_date_is_refused(tmp_path: Path,
                                              report_json: dict[str, Any]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**report_json, "as_of": "not a date"}))
    with pytest.raises(InputError, match="as_of 'not a date' is not an ISO 8601 time"):
        api.load_report(path)
    line = one_error("compare", str(path), str(path))
    assert "as_of 'not a date'" in line
