"""One fixture per messiness case seen in real exports, each with an assertion on the result.

Small cases are files in ``fixtures/messy``; the large ones (a 200,000-character cell, a
500-row export, a stray byte past the encoding sample) are generated into a temporary
folder so the repository stays small.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw
from itsm_diag.importers.registry import load_paths

FIX = Path(__file__).parent / "fixtures" / "messy"
IDS = ["INC0010001", "INC0010002", "INC0010003"]


def tickets(path: Path) -> pd.DataFrame:
    return load_paths([path], ImportOptions()).tickets


def warnings_of(path: Path) -> list[str]:
    return load_paths([path], ImportOptions()).sources[0].warnings


def test_utf8_bom_first_header_is_clean() -> None:
    raw = read_raw(FIX / "utf8_bom.csv")[0]
    assert raw.headers[0] == "number" and raw.encoding == "utf-8-sig"
    assert list(tickets(FIX / "utf8_bom.csv")[m.TICKET_ID]) == IDS


def test_utf8_without_bom() -> None:
    t = tickets(FIX / "utf8.csv")
    assert t.loc[1, m.SUMMARY] == "Café – menu broken"


def test_utf16_tab_separated() -> None:
    raw = read_raw(FIX / "utf16_tab.txt")[0]
    assert raw.encoding == "utf-16" and raw.delimiter == "\t"
    t = tickets(FIX / "utf16_tab.txt")
    assert list(t[m.TICKET_ID]) == IDS and t.loc[1, m.SUMMARY] == "Café – menu broken"


def test_cp1252() -> None:
    raw = read_raw(FIX / "cp1252.csv")[0]
    assert raw.encoding == "cp1252"
    assert tickets(FIX / "cp1252.csv").loc[1, m.SUMMARY] == "Café – menu broken"


@pytest.mark.parametrize(("name", "delimiter"), [
    ("semicolon.csv", ";"), ("tab.tsv", "\t"), ("pipe.csv", "|"), ("utf8.csv", ","),
])
def test_delimiters(name: str, delimiter: str) -> None:
    assert read_raw(FIX / name)[0].delimiter == delimiter
    t = tickets(FIX / name)
    assert list(t[m.TICKET_ID]) == IDS and list(t[m.PRIORITY]) == [3, 2, 4]


def test_leading_sep_line() -> None:
    raw = read_raw(FIX / "sep_line.csv")[0]
    assert raw.delimiter == ";" and raw.headers[0] == "number"
    assert list(tickets(FIX / "sep_line.csv")[m.TICKET_ID]) == IDS


def test_multiline_quoted_cells() -> None:
    t = tickets(FIX / "multiline.csv")
    assert list(t[m.TICKET_ID]) == IDS
    assert t.loc[0, m.SUMMARY] == 'Printer offline\r\nsince the move, says "offline"'
    assert t.loc[1, m.SUMMARY] == "Two\nlines"


def test_cell_over_131072_characters_survives(tmp_path: Path) -> None:
    big = "x" * 100_000 + "\n" + "y" * 100_000  # 200,001 characters, with a newline
    path = tmp_path / "huge.csv"
    path.write_text(
        "number,short_description,state,opened_at\n"
        f'INC0010001,"{big}",New,2026-03-02 09:00:00\n'
        "INC0010002,small,New,2026-03-03 09:00:00\n")
    t = tickets(path)
    assert len(t) == 2 and t.loc[0, m.SUMMARY] == big


def test_huge_cell_in_a_ragged_file_survives(tmp_path: Path) -> None:
    # the tolerant re-read (Python's csv module) must lift its 131,072-character limit
    big = "z" * 200_000
    path = tmp_path / "huge_wide.csv"
    path.write_text(
        "number,short_description,state,opened_at\n"
        f'INC0010001,"{big}",New,2026-03-02 09:00:00,extra\n'
        "INC0010002,small,New,2026-03-03 09:00:00\n")
    t = tickets(path)
    assert t.loc[0, m.SUMMARY] == big


def test_rows_wider_than_header_are_kept() -> None:
    raw = read_raw(FIX / "wide_rows.csv")[0]
    assert len(raw.frame) == 5  # nothing skipped
    assert raw.headers[-2:] == ["extra_1", "extra_2"]
    assert raw.frame["extra_1"].isna().tolist() == [True, False, True, False, True]
    assert raw.frame.loc[1, "extra_1"] == "label-a" and raw.frame.loc[3, "extra_1"] == "label-c"
    assert raw.frame.loc[1, "extra_2"] == "label-b"
    wide = next(w for w in raw.warnings if "more cells" in w)
    assert wide.startswith("2 rows") and "first at row 3" in wide
    narrow = next(w for w in raw.warnings if "fewer cells" in w)
    assert narrow.startswith("1 rows") and "row 6" in narrow
    t = tickets(FIX / "wide_rows.csv")
    assert list(t[m.TICKET_ID]) == [f"INC001000{i}" for i in range(1, 6)]
    assert t.loc[1, m.PRIORITY] == 2 and pd.isna(t.loc[4, m.OPENED_AT])


@pytest.mark.parametrize("column", [m.ASSIGNMENT_GROUP, m.ASSIGNEE, m.CATEGORY])
def test_missing_value_tokens_are_null(column: str) -> None:
    t = tickets(FIX / "null_tokens.csv")
    assert t[column].iloc[:2].isna().all()  # ?, NA, (empty), -, #MULTIVALUE, " - "
    assert t.loc[2, m.ASSIGNMENT_GROUP] == "Network" and pd.isna(t.loc[2, m.ASSIGNEE])


def test_excel_mangled_ids_flagged_as_lossy() -> None:
    warning = next(w for w in warnings_of(FIX / "excel_mangled.csv") if "scientific" in w)
    assert "'correlation_id'" in warning and "2 values like '1.03006E+13'" in warning
    assert "lossy" in warning and "row 2" in warning


@pytest.mark.parametrize("rows", [500, 1_000])
def test_row_count_at_an_export_cap_warns(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "capped.csv"
    body = "".join(f"INC{10_001 + i:07d},New,2026-03-02 09:00:00\n" for i in range(rows))
    path.write_text("number,state,opened_at\n" + body)
    assert any(f"exactly {rows:,} rows" in w and "truncated" in w for w in warnings_of(path))


def test_stray_byte_past_the_encoding_sample_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    body = "".join(f"INC{10_001 + i:07d},Printer offline on floor {i},New,"
                   "2026-03-02 09:00:00\n" for i in range(6000))  # > 256 KB of UTF-8
    path.write_bytes(("number,short_description,state,opened_at\n" + body).encode()
                     + b"INC0099999,Caf\xe9 closed,New,2026-03-03 09:00:00\n")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 6001 and t.loc["INC0099999", m.SUMMARY] == "Caf\ufffd closed"
    assert any("1 bytes are not valid utf-8" in w for w in loaded.sources[0].warnings)
