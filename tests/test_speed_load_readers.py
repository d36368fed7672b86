"""The CSV reader's Arrow shortcuts (issue 19) equal the pandas code they replace.

The repeated-header check compares the first column in Arrow and applies the exact test
to the few candidate rows; the trim check reads each cell's first and last byte with
clipped gathers; the reader hands pandas large_string columns as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from itsm_diag import model as m
from itsm_diag.importers import readers
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw
from itsm_diag.importers.registry import load_paths

#: pieces a first cell is built from: header names, sep lines, marks, spaces, line breaks
PIECES = ["number", "Number", "sep=", ",", ";", "\ufeff", " ", "\n", "\r", "é", "INC001", "x"]
CELLS = st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=4).map("".join),
                  st.text(max_size=6))


def _pandas_header_like(first: pd.Series, name: str) -> np.ndarray:
    """The pandas test the Arrow one replaced: a BOM-free cell equal to the name, or
    ``sep=`` and at most one character (``sep=`` alone: the line's character is the
    delimiter, so the line splits there)."""
    text = first.str.replace("\ufeff", "", regex=False)
    return (text.eq(name) | text.str.fullmatch(r"sep=.?")).fillna(False).to_numpy(bool)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(CELLS, min_size=1, max_size=12), name=st.sampled_from(["number", "N"]))
@example(cells=["sep=\n", "sep=é", "sep=,,", "\ufeffnumber", "num\ufeffber", None],
         name="number")
@example(cells=["sep=;", "number", "INC1", "sep=\r"], name="number")
def test_repeated_header_rows_found_as_pandas_finds_them(cells: list[str | None],
                                                         name: str) -> None:
    first = pd.Series(cells, dtype=m.STRING_DTYPE)
    np.testing.assert_array_equal(readers._header_like(first, name),
                                  _pandas_header_like(first, name))


def test_repeated_header_rows_with_byte_order_marks() -> None:
    """A column that may hold a mark takes the pandas path, the very expression the
    property test above uses as its reference: here the answers are written out."""
    cells = ["sep=\n", "sep=é", "sep=,,", "\ufeffnumber", "num\ufeffber", None, "sep=",
             "\ufeffsep=;", "numbers"]
    got = readers._header_like(pd.Series(cells, dtype=m.STRING_DTYPE), "number")
    assert got.tolist() == [False, True, False, True, True, False, True, True, False]


def test_repeated_header_blanked_in_a_joined_csv(tmp_path: Path) -> None:
    """Two exports joined with ``cat``: the second header reads as an empty row, counted
    once; a row whose first cell alone names the header is a row like any other."""
    body = "number,opened_at\nINC1,2024-01-01 10:00:00\n"
    path = tmp_path / "joined.csv"
    path.write_text(body + body + '"number ",x\n', encoding="utf-8")
    raw = read_raw(path)[0]
    assert raw.frame["number"].tolist() == ["INC1", pd.NA, "INC1", "number"]
    assert any("1 row(s) repeat the header line" in w and "first at row 3" in w
               for w in raw.warnings)


def test_sep_lines_of_joined_exports_are_not_tickets(tmp_path: Path) -> None:
    """Two exports joined with ``cat``, each starting with Excel's ``sep=,`` line: the
    second file's ``sep=,`` splits at its own comma into ``sep=`` and an empty cell; it
    was read as a ticket numbered ``sep=``."""
    body = "sep=,\nnumber,opened_at\nINC1,2024-01-01 10:00:00\n"
    path = tmp_path / "joined.csv"
    path.write_text(body + body.replace("INC1", "INC2"), encoding="utf-8")
    tickets = load_paths([path], ImportOptions()).tickets
    assert tickets[m.TICKET_ID].tolist() == ["INC1", "INC2"]


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), st.text(
    alphabet=st.sampled_from(["a", " ", "\t", "\u00a0", "\u3000", "é", "\x1f", "\u2028"]),
    max_size=4)), min_size=1, max_size=10), large=st.booleans(), start=st.integers(0, 3))
def test_trim_check_never_misses_a_cell_the_trim_changes(cells: list[str | None],
                                                         large: bool, start: int) -> None:
    """False from the byte check means the trim changes no cell, on sliced chunks too."""
    column = pa.chunked_array([pa.array(cells, pa.large_string() if large else pa.string())
                               .slice(min(start, len(cells)))])
    if not readers.may_need_trim(column):
        assert pc.utf8_trim_whitespace(column).equals(column)


def test_trim_check_says_no_for_cells_that_need_no_trim() -> None:
    """The shortcut must also pay: cells with inner spaces only need no trim pass."""
    column = pa.chunked_array([pa.array(["a", "é b", None, "x  y"], pa.large_string())])
    assert readers.may_need_trim(column) is False
    assert readers.may_need_trim(pa.chunked_array([pa.array(["a", " b"])])) is True


def test_reader_columns_are_large_strings_as_pandas_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("number,opened_at\nINC1,2024-01-01 10:00:00\n", encoding="utf-8")
    frame = read_raw(path)[0].frame
    for name in frame:
        assert frame[name].dtype == m.STRING_DTYPE
        assert frame[name].array.__arrow_array__().type == pa.large_string()
