"""Date format screening without a strptime call per candidate (issue 19) keeps the
same candidates: a value is only skipped for a format when strptime must refuse it."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from itsm_diag.importers import dates

PIECES = ["2024", "24", "03", "3", "13", "31", "12", "00", "-", "/", ".", ":", " ", ",", "T",
          "Jan", "mar", "PM", "am", "x", "\u0663", "\u00a0", "Z", "+01:00"]


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _strptime_screen(sample: pd.Series, allowed: int, n: int = 24) -> list[tuple[str, object]]:
    """The screen as it was: every candidate tried with strptime on every value, kept
    when at most ``allowed`` (and fewer than all) fail."""
    head = [str(x).strip() for x in sample.iloc[:n]]
    limit = min(allowed, len(head) - 1)
    return [(fmt, order) for fmt, order in dates.CANDIDATES
            if sum(not _parses(value, fmt) for value in head) <= limit]


VALUES = st.lists(st.sampled_from(PIECES), min_size=1, max_size=9).map("".join)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(VALUES, min_size=1, max_size=6), allowed=st.integers(0, 3))
@example(values=["2024-03-01 10:00:00", "2024-03-13 09:05:01"], allowed=0)
@example(values=["01/03/2024 10:00 PM", "13/03/2024 9:05 am"], allowed=0)
@example(values=["01-Mar-24", "13 mar 2024", "Mar 13, 2024"], allowed=1)
@example(values=["\u0661\u0662/03/2024", "12/03/2024"], allowed=0)
def test_screen_keeps_the_candidates_strptime_keeps(values: list[str], allowed: int) -> None:
    sample = pd.Series(values, dtype=object)
    assert dates._screen(sample, allowed) == _strptime_screen(sample, allowed)


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_a_value_skipped_for_a_numeric_format_is_one_strptime_refuses(value: str) -> None:
    shape = dates._NUMERIC_FILL.sub("", value.strip())
    for fmt, skeleton in dates._SKELETONS.items():
        if skeleton is not None and shape != skeleton:
            assert not _parses(value.strip(), fmt), (value, fmt)


FORMATS = ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%y", "%m-%d-%Y", "%d %b %Y",
           "%I:%M %p %d/%m/%Y", "%Yг.%m.%d"]
CELLS = st.one_of(st.none(), st.sampled_from(
    ["2024-03-01 10:00:00", "01/03/2024 10:00", "01.03.24", "03-01-2024", "01 Mar 2024",
     "10:00 PM 01/03/2024", "2024г.03.01", "2024-03-01 10:00:0\u0663", "2024-3-01 10:00:00",
     "", "x"]), VALUES)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(CELLS, max_size=12), fmt=st.sampled_from(FORMATS), large=st.booleans(),
       start=st.integers(0, 2))
def test_values_at_width_are_the_ones_the_fixed_pattern_matches(
        cells: list[str | None], fmt: str, large: bool, start: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    how = dates._fast_format(fmt)
    assert how is not None
    text = pa.array(cells, pa.large_string() if large else pa.string())
    text = text.slice(min(start, len(text)))
    want = pc.fill_null(pc.match_substring_regex(text, how.fixed), False)
    assert dates._at_width(text, how).equals(want)
    # a chunked column, chunk by chunk (an empty chunk too)
    cut = len(text) // 2
    chunked = pa.chunked_array([text.slice(0, cut), text.slice(cut, 0), text.slice(cut)])
    assert dates._at_width(chunked, how).to_pylist() == pc.fill_null(
        pc.match_substring_regex(chunked, how.fixed), False).to_pylist()


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(CELLS, max_size=10), fmt=st.sampled_from([*FORMATS[:4], "%d %b %Y"]),
       cut=st.integers(0, 10))
def test_fast_parse_equals_pandas(cells: list[str | None], fmt: str, cut: int) -> None:
    """The Arrow parse (whole column at width or not, in two chunks) reads what pandas
    reads."""
    import pyarrow as pa

    from itsm_diag import model as m

    text = pa.array(cells, pa.large_string())
    values = pd.Series(pd.array(pa.chunked_array([text[:cut], text[cut:]]),
                                dtype=m.STRING_DTYPE))
    got = dates._parse_fast(values, fmt)
    want = pd.to_datetime(values, format=fmt, errors="coerce")
    if got is not None:
        pd.testing.assert_series_equal(got.astype("datetime64[us]"),
                                       want.astype("datetime64[us]"), check_names=False)


@pytest.mark.parametrize(("cells", "fmt"), [
    (["2024-03-01 10:00:00", None, "2023-12-31 23:59:59"] * 40, "%Y-%m-%d %H:%M:%S"),
    (["01/03/2024 10:00", "28/02/2023 08:15"] * 40, "%d/%m/%Y %H:%M"),
])
def test_fast_parse_takes_a_clean_column(cells: list[str | None], fmt: str) -> None:
    """A column whose every value is at the format's width is read by the Arrow parse
    itself (the property test above may see every column handed to pandas and assert
    nothing), and equals pandas' reading."""
    from itsm_diag import model as m

    values = pd.Series(cells, dtype=m.STRING_DTYPE)
    got = dates._parse_fast(values, fmt)
    assert got is not None
    pd.testing.assert_series_equal(
        got.astype("datetime64[us]"),
        pd.to_datetime(values, format=fmt, errors="coerce").astype("datetime64[us]"),
        check_names=False)


def test_values_at_width_over_several_slabs() -> None:
    """Columns longer than one slab of rows, back to back and gathered, against RE2."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(3)
    pool = np.array(["2024-03-01 10:00:00", "2024-3-01 10:00:00", "2024-03-01 10:00:0x",
                     "2024/03/01 10:00:00", "2024-03-01 10:00:00 ", None], dtype=object)
    how = dates._fast_format("%Y-%m-%d %H:%M:%S")
    assert how is not None
    for weights in ([1, 0, 0, 0, 0, 0], [0.6, 0, 0.1, 0.1, 0, 0.2],
                    [0.5, 0.2, 0.1, 0.1, 0.05, 0.05]):
        cells = rng.choice(pool, 3 * dates._SLAB + 17, p=weights).tolist()
        text = pa.array(cells, pa.large_string())
        want = pc.fill_null(pc.match_substring_regex(text, how.fixed), False)
        assert dates._at_width(text, how).equals(want)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["2024-01-02", "03/04/2024", " x "]),
                          st.integers(0, 99).map(lambda i: f"2024-02-03 04:{i:02d}")),
                min_size=100, max_size=300),
       st.lists(st.integers(0, 300), max_size=6))
def test_sample_reads_the_rows_a_take_would_in_any_chunks(cells: list[str | None],
                                                          cuts: list[int]) -> None:
    """The sample is read with a filter (no concatenation of the column's chunks): the
    same values as a take of the same spread positions, whatever the chunks."""
    from unittest import mock

    import numpy as np
    import pyarrow as pa

    bounds = [0, *sorted(min(c, len(cells)) for c in cuts), len(cells)]
    chunked = pa.chunked_array([pa.array(cells[a:b], pa.large_string())
                                for a, b in pairwise(bounds)], pa.large_string())
    values = pd.Series(pd.array(chunked, dtype=pd.StringDtype("pyarrow")))
    with mock.patch.object(dates, "_SAMPLE", 7):  # thinned from 70 present values up
        # the take it replaced
        where = np.flatnonzero(values.notna().to_numpy(dtype=bool))
        if len(where) > 10 * dates._SAMPLE:
            where = where[np.linspace(0, len(where) - 1, 10 * dates._SAMPLE).astype(int)]
        uniq = pd.Series(values.iloc[where].unique())
        if len(uniq) > dates._SAMPLE:
            uniq = uniq.iloc[np.linspace(0, len(uniq) - 1, dates._SAMPLE).astype(int)]
        assert dates._sample(values).tolist() == uniq.astype(str).tolist()
