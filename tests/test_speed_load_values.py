"""Normalising from distinct values (issue 19) gives what the per-row path gave.

Vocabulary columns are built as categoricals straight from factorize codes, the source
columns as one-category categoricals, and unmapped-value warnings are counted from the
codes; each is compared with the path it replaced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm_diag import model as m
from itsm_diag.errors import ModelError
from itsm_diag.importers import values as v

RAW = ["Self-service", "e_mail", "Walk-in", "unknown thing", "  Email  ", "Phone", "x", "",
       "chat", "Chat", "zzz", "Portal", "teams"]


def _column(data: st.DataObject, pool: list[str]) -> pd.Series:
    cells = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(pool)), max_size=40))
    return pd.Series(cells, dtype=m.STRING_DTYPE, index=np.arange(7, 7 + len(cells)))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_channel_category_and_warning_equal_the_per_row_path(data: st.DataObject) -> None:
    raw = _column(data, RAW)
    col = v.Distinct.of(raw)
    got = col.category(col.apply(v.channel), m.CHANNEL)
    want = m.conform_tickets(pd.DataFrame({m.TICKET_ID: "T", m.CHANNEL: v.channel(raw)}))[
        m.CHANNEL]
    pd.testing.assert_series_equal(got.reset_index(drop=True), want, check_names=False)
    assert got.index.equals(raw.index)
    old: list[str] = []
    new: list[str] = []
    v.note_channels(old, raw, v.CHANNELS)
    v.note_unmapped_distinct(new, "channel", col, col.apply(v.map_vocab, v.CHANNELS),
                             "counted as 'other'")
    assert new == old


def test_unmapped_warning_names_the_most_frequent_first_ties_in_text_order() -> None:
    raw = pd.Series(["b", "a", "b", "c", "a", "d", "e", "f", "g", None, "Email"],
                    dtype=m.STRING_DTYPE)
    col = v.Distinct.of(raw)
    new: list[str] = []
    v.note_unmapped_distinct(new, "channel", col, col.apply(v.map_vocab, v.CHANNELS),
                             "counted as 'other'")
    assert new == ["channel: 9 tickets with values outside its vocabulary, counted as "
                   "'other': 'a' (2), 'b' (2), 'c' (1), 'd' (1), 'e' (1) and 2 more"]


def test_values_outside_the_vocabulary_raise_as_conform_does() -> None:
    raw = pd.Series(["x", "y", None, "x"], dtype=m.STRING_DTYPE)
    col = v.Distinct.of(raw)
    with pytest.raises(ModelError) as new:
        col.category(col.values, m.STATUS)
    with pytest.raises(ModelError) as old:
        m.conform_tickets(pd.DataFrame({m.TICKET_ID: "T", m.STATUS: raw.astype(object)}))
    assert str(new.value) == str(old.value)
    # a result no row takes (the missing slot's) is not a value of the column
    per = pd.Series(["open", "closed", "bogus"], dtype=object)
    codes = np.array([0, 1, 1, 0])
    got = m.vocabulary_codes(per, codes, pd.RangeIndex(4), m.ticket_dtypes()[m.STATUS],
                             m.STATUS)
    assert got.tolist() == ["open", "closed", "closed", "open"]


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_constant_category_equals_the_cast_of_a_text_column(rows: int) -> None:
    index = pd.RangeIndex(3, 3 + rows)
    got = m.constant_category("servicenow_incident.csv", index)
    want = pd.Series(["servicenow_incident.csv"] * rows, index=index, dtype=object).astype(
        "string").astype("category")
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert got.cat.categories.dtype == want.cat.categories.dtype
    assert got.cat.codes.dtype == want.cat.codes.dtype


@pytest.mark.parametrize("rows", [0, 1, 65_535, 65_536, 65_537, 200_000])
def test_missing_text_columns_share_one_block_of_nulls(rows: int) -> None:
    """An absent text column is all missing, of the text dtype, whatever its chunks."""
    import pyarrow as pa

    index = pd.RangeIndex(rows)
    got = m.conform_tickets(pd.DataFrame({m.TICKET_ID: pd.Series(["T"] * rows, index=index,
                                                                  dtype=m.STRING_DTYPE)}))
    want = pd.Series(pd.array(pa.nulls(rows, pa.large_string()), dtype=m.STRING_DTYPE),
                     name=m.LABELS)
    pd.testing.assert_series_equal(got[m.LABELS], want)
    chunks = got[m.LABELS].array.__arrow_array__().chunks
    assert len({c.buffers()[1].address for c in chunks}) <= 1  # one block, shared


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=-(2**40), max_value=2**40),
                          st.floats(allow_nan=True, allow_infinity=True),
                          st.sampled_from(["1e30", "3,000,000,000", "2147483647", "-2147483648",
                                           "2147483648", "3.0", "2.5", "", "x"])),
                max_size=20),
       st.sampled_from(["Int8", "Int32", "Int64"]))
def test_integer_keeps_only_whole_numbers_the_type_holds(raw: list[object], dtype: str) -> None:
    """A count too large for its column (a 3,000,000,000 reassignment count, 1e30) is
    missing, not wrapped round to a negative number by the cast; the rest is the whole
    number Python reads from the same text."""
    info = np.iinfo(pd.api.types.pandas_dtype(dtype).numpy_dtype)
    got = v.integer(pd.Series([str(x) for x in raw], dtype=object), dtype).tolist()
    for text, value in zip((str(x) for x in raw), got, strict=True):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            number = float("nan")
        want = (int(number) if number == number and abs(number) != float("inf")
                and number == int(number) and info.min <= int(number) <= info.max else None)
        assert (None if value is pd.NA else value) == want, (text, value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70),
                          st.floats(allow_nan=True, allow_infinity=True),
                          st.sampled_from(["1,234", "1e3", " 7 ", "", "x", "3.0", "-0"])),
                max_size=30),
       st.booleans())
def test_number_from_distinct_values_is_to_numeric_of_every_row(raw: list[object],
                                                                thousands: bool) -> None:
    """Parsed once per distinct value, the column is what ``pd.to_numeric`` gives on every
    row: values, dtype (Int64 when all are whole, Float64 otherwise) and index."""
    text = pd.Series([None if x is None else str(x) for x in raw], dtype=m.STRING_DTYPE,
                     index=np.arange(3, 3 + len(raw)))
    want = pd.to_numeric(text.str.replace(",", "") if thousands else text, errors="coerce")
    pd.testing.assert_series_equal(v.number(text, thousands=thousands), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=-(2**33), max_value=2**33),
                          st.sampled_from(["-0", "3.0", "-3.0", "2.5", "1,234", "x", "",
                                           "1e30", "-1"])),
                max_size=25))
def test_count_is_a_whole_number_from_zero(raw: list[object]) -> None:
    """A count is what :func:`integer` reads where that is 0 or more, else missing."""
    text = pd.Series([None if x is None else str(x) for x in raw], dtype=m.STRING_DTYPE)
    whole = v.integer(text).tolist()
    want = [None if w is pd.NA or w < 0 else w for w in whole]
    got = v.count(text)
    assert str(got.dtype) == "Int32"
    assert [None if x is pd.NA else x for x in got.tolist()] == want


@pytest.mark.parametrize(("fn", "args"), [(v.number, ()), (v.integer, ()), (v.count, ()),
                                          (v.priority, ()), (v.boolean, ()),
                                          (v.hours_from_duration, ()), (v.fold, ()),
                                          (v.map_vocab, ({"a": "b"},))])
def test_per_value_of_an_empty_column_is_the_function_of_it(fn: Any, args: tuple) -> None:
    """per_value hands an empty column to the function as it is: through its distinct
    values (one missing value) the dtype could differ (to_numeric: Float64, not Int64)."""
    empty = pd.Series([], dtype=m.STRING_DTYPE, name="c")
    pd.testing.assert_series_equal(fn(empty, *args), fn.__wrapped__(empty, *args).rename("c"))


def test_duration_keeps_0_to_the_most_and_names_the_rest() -> None:
    """values.duration after any importer's own parse: a negative, infinite, absurd or
    unreadable amount is left empty and named; the column converts to times even where
    a fraction sits beside 1e30 (a masked cell would keep the number pandas converts)."""
    raw = pd.Series(["90", "-60", "1e30", "x", "2.5", None, "-0", "inf"], dtype=m.STRING_DTYPE)
    said: list[str] = []
    got = v.duration(v.number(raw), raw, said, "first reply minutes", most=60_000_000.0)
    assert got.tolist() == [90.0, pd.NA, pd.NA, pd.NA, 2.5, pd.NA, 0.0, pd.NA]
    assert said == ["first reply minutes: 4 tickets with values that are not durations, "
                    "left empty: '-60' (1), '1e30' (1), 'inf' (1), 'x' (1)"]
    assert pd.to_timedelta(got, unit="m").notna().sum() == 3
