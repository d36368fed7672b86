"""The XLSX reader (fastexcel): every kind of cell comes back as the text it reads as.

Workbooks are written by openpyxl with known cells; the expected text is what the
previous reader (python-calamine, a cell at a time in Python) gave: whole numbers
without ``.0``, other numbers as ``repr``, ISO date-times, ``true``/``false``, durations
as ``str(timedelta)``, error cells and empty strings empty.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app
from itsm_diag.errors import InputError
from itsm_diag.importers import xlsx
from itsm_diag.importers.readers import read_raw

openpyxl = pytest.importorskip("openpyxl")


def _book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _texts(path: Path) -> dict[str, list[str | None]]:
    (raw,) = read_raw(path)
    return {c: raw.frame[c].astype(object).where(raw.frame[c].notna(), None).tolist()
            for c in raw.frame.columns}


def test_each_cell_type_reads_as_its_text(tmp_path: Path, capfd: pytest.CaptureFixture[str]
                                          ) -> None:
    rows = [
        ["number", "id", "ratio", "opened", "day", "flag", "duration", "error", "note",
         "clock"],
        ["INC0000001", 12345.0, 1.5, datetime(2024, 3, 1, 9, 30, 15), date(2024, 3, 2), True,
         timedelta(hours=1, minutes=30), "#N/A", "", time(10, 30)],
        ["INC0000002", 7.0, 1 / 3, datetime(2024, 3, 2, 0, 0), date(1999, 12, 31), False,
         timedelta(days=2, seconds=5), "#DIV/0!", None, None],
        [None] * 10,  # a blank row is not a row
        ["INC0000003", 1e20, 1e-07, datetime(2024, 3, 1, 9, 30, 15, 500000), None, None,
         timedelta(hours=-1), None, "", None],
        ["INC0000004", -3.0, 123456789012345.6, None, None, True, None, "#N/A", "", None],
    ]
    t = _texts(_book(tmp_path / "types.xlsx", {"Page 1": rows}))
    assert t["number"] == ["INC0000001", "INC0000002", "INC0000003", "INC0000004"]
    assert t["id"] == ["12345", "7", "100000000000000000000", "-3"]
    assert t["ratio"] == ["1.5", "0.3333333333333333", "1e-07", "123456789012345.6"]
    assert t["opened"] == ["2024-03-01 09:30:15", "2024-03-02 00:00:00",
                           "2024-03-01 09:30:15.500000", None]
    assert t["day"] == ["2024-03-02 00:00:00", "1999-12-31 00:00:00", None, None]
    assert t["flag"] == ["true", "false", None, "true"]
    assert t["duration"] == ["1:30:00", "2 days, 0:00:05", "-1 day, 23:00:00", None]
    assert t["error"] == [None, None, None, None]
    assert t["note"] == [None, None, None, None]
    # a time-of-day cell is a date-time on Excel's day 0 (the old reader failed on it)
    assert t["clock"] == ["1899-12-31 10:30:00", None, None, None]
    assert capfd.readouterr().err == ""  # fastexcel's log warnings stay quiet


def test_columns_mixing_kinds_read_as_text(tmp_path: Path) -> None:
    rows = [["number", "count", "spent", "b", "c", "d", "e", "flag", "took"],
            ["INC1", 2.0, timedelta(hours=1), 1.0, 1.0, 1.0, 1.0, 1.0, 2.0],
            ["INC2", 1.5, "n/a", "x", "x", "x", "x", True, timedelta(hours=1)],
            ["INC3", True, timedelta(minutes=5), 2.5, 2.5, 2.5, 2.5, False, None],
            ["INC4", "text", None, None, None, None, None, None, None]]
    t = _texts(_book(tmp_path / "mixed.xlsx", {"Page 1": rows}))
    assert t["count"] == ["2", "1.5", "true", "text"]
    # numbers and booleans alone: a coercing read would write the booleans as 1 and 0
    assert t["flag"] == ["1", "true", "false", None]
    # numbers and durations alone: no type holds both, so the column is read as text
    assert t["took"] == ["2", "1899-12-31 01:00:00", None, None]
    assert t["b"] == t["e"] == ["1", "x", "2.5", None]
    assert t["number"] == ["INC1", "INC2", "INC3", "INC4"]
    # text and durations: fastexcel writes the durations as date-times on Excel's day 0
    assert t["spent"] == ["1899-12-31 01:00:00", None, "1899-12-31 00:05:00", None]


def test_cells_trimmed_and_missing_value_tokens_empty(tmp_path: Path) -> None:
    # the CSV reader's null_values option does not reach workbooks: trimmed, then nulled
    rows = [["number", "short_description", "state"],
            ["INC1", "  VPN down  ", " New"],
            ["INC2", "-", "N/A "],
            ["INC3", "NA", "(empty)"]]
    t = _texts(_book(tmp_path / "tokens.xlsx", {"Page 1": rows}))
    assert t["short_description"] == ["VPN down", None, None]
    assert t["state"] == ["New", None, None]


def test_every_sheet_in_order_same_headers_combined(tmp_path: Path) -> None:
    header = ["number", "state"]
    sheets = {f"Page {i}": [header] + [[f"INC{i}{j:03d}", "New"] for j in range(3)]
              for i in range(1, 6)}
    sheets["Page 5"].append(["Export stopped due to excessive size. Use CSV for a complete "
                             "export"])
    sheets["Groups"] = [["name", "manager"], ["Service Desk", "Ann"]]
    sheets["Empty"] = []
    tables = read_raw(_book(tmp_path / "pages.xlsx", sheets))
    assert [t.sheet for t in tables] == ["Page 1", "Groups"]
    numbers = tables[0].frame["number"].tolist()
    assert numbers == [f"INC{i}{j:03d}" for i in range(1, 6) for j in range(3)]
    assert tables[0].warnings == [
        "sheet 'Page 5': the export was stopped for size (ServiceNow's 'Export stopped due "
        "to excessive size' row); the data is incomplete, export as CSV for all rows"]
    assert tables[1].frame.to_dict("list") == {"name": ["Service Desk"], "manager": ["Ann"]}


def test_header_cells_as_written(tmp_path: Path) -> None:
    rows = [[None] * 9,  # a blank row above the header
            [None, "Comment", "Comment", None, 2024, "Comment_1", " Assigned   to ",
             datetime(2024, 1, 1), True],
            [None, "a", "b", "c", 1.0, "d", "e", "f", "g"]]
    (raw,) = read_raw(_book(tmp_path / "headers.xlsx", {"Sheet": rows}))
    assert raw.headers == ["Comment", "Comment.1", "column_3", "2024", "Comment_1",
                           "Assigned to", "2024-01-01 00:00:00", "true"]
    assert raw.frame.iloc[0].tolist() == ["a", "b", "c", "1", "d", "e", "f", "g"]
    # plain headers (the usual export) are taken from the typed read, numbers kept
    (plain,) = read_raw(_book(tmp_path / "plain.xlsx", {"S": [["u_level", "u_level_2"],
                                                              [1.0, 2.0]]}))
    assert plain.headers == ["u_level", "u_level_2"]
    assert plain.frame.iloc[0].tolist() == ["1", "2"]


def test_header_row_of_empty_strings_is_skipped(tmp_path: Path) -> None:
    rows = [["", "", ""], ["number", "state", "count"], ["INC1", "New", 3.0]]
    (raw,) = read_raw(_book(tmp_path / "blank_header.xlsx", {"S": rows}))
    assert raw.headers == ["number", "state", "count"]
    assert raw.frame.iloc[0].tolist() == ["INC1", "New", "3"]


def test_many_mixed_columns_fall_back_to_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setattr(xlsx, "_MAX_RETRIES", 1)
    whole_sheet_reads: list[str] = []
    text_table = xlsx._text_table

    def counted(reader: Any, name: str) -> Any:
        whole_sheet_reads.append(name)
        return text_table(reader, name)

    monkeypatch.setattr(xlsx, "_text_table", counted)
    rows = [["a", "b", "c"], [1.0, 2.0, 0.25], ["x", "y", "z"]]
    t = _texts(_book(tmp_path / "text.xlsx", {"S": rows}))
    assert t == {"a": ["1", "x"], "b": ["2", "y"], "c": ["0.25", "z"]}
    # three mixed columns, one retry allowed: the sheet was read whole as text, once
    assert whole_sheet_reads == ["S"]


def test_empty_workbook(tmp_path: Path) -> None:
    path = _book(tmp_path / "empty.xlsx", {"Sheet1": [], "Sheet2": [[None, ""]]})
    with pytest.raises(InputError, match="the workbook has no data"):
        read_raw(path)


def _broken(tmp_path: Path, part: str, data: bytes) -> Path:
    good = _book(tmp_path / "good.xlsx", {"Page 1": [["number"], ["INC1"]]})
    buf = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, data if info.filename == part else src.read(info))
    path = tmp_path / "broken.xlsx"
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("part,data", [
    ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>9"),
    ("xl/workbook.xml", b"not xml at all"),
])
def test_unreadable_workbook_is_one_error_line(tmp_path: Path, part: str, data: bytes) -> None:
    path = _broken(tmp_path, part, data)
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert err.value.message.startswith("cannot be read as an Excel workbook: ")
    assert err.value.hint == "open it in Excel and save it again as .xlsx or CSV"
    result = CliRunner().invoke(app, ["diagnose", str(path)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert "cannot be read as an Excel workbook" in lines[0] and "Traceback" not in \
        result.stderr


def test_cli_import_does_not_load_fastexcel() -> None:
    code = "import sys; from itsm_diag.cli import app; print('fastexcel' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
