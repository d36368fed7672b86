"""Shortcuts taken for speed (issue 19) give what the general code they bypass gives.

Each test runs the shortcut and the general path side by side on inputs built to reach the
cases the shortcut must hand back (clock changes, missing values, chunked text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm_diag import model as m

KINDS = ["incident", "request", "change", "problem", "task", "other"]
ZONES = ["UTC", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Asia/Tokyo",
         "America/New_York"]


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("unit", ["s", "us"])
def test_one_wall_time_is_read_as_a_series_of_them(tz: str, unit: str) -> None:
    # the scalar path localizes directly and hands the hours a clock change repeats or
    # skips to the Series path: every half hour of a year (Lord Howe's clock moves by
    # half an hour), clock changes included
    times = pd.date_range("2024-01-01", "2024-12-31 23:30", freq="30min", unit=unit)
    want = m.wall_to_utc(pd.Series(times), tz)[0]
    got = [m.wall_time_to_utc(t, tz) for t in times]
    assert got == want.tolist()
    assert {t.unit for t in got} == {want.dt.unit}
    assert m.wall_time_to_utc(pd.NaT, tz) is pd.NaT


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(KINDS)), max_size=30),
       st.lists(st.sampled_from([*KINDS, "nothing"]), max_size=4, unique=True))
def test_a_kind_mask_read_from_codes_equals_isin(values: list[str | None],
                                                 kinds: list[str]) -> None:
    # of_kind judges each category once and spreads the verdict by code; a missing kind
    # (code -1) is in no scope
    from itsm_diag.signs.base import in_values

    column = pd.Series(pd.Categorical(values, categories=KINDS))
    want = column.astype(object).isin(kinds).to_numpy(dtype=bool)
    got = in_values(column, tuple(kinds))
    assert got.dtype == bool
    assert got.tolist() == want.tolist()
    assert in_values(column.astype(object), tuple(kinds)).tolist() == want.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 2_000_000_000)), max_size=20),
       st.sampled_from(ZONES))
def test_local_wall_is_each_instants_clock_in_the_zone(seconds: list[int | None],
                                                       tz: str) -> None:
    # the one UTC -> wall-clock conversion of the day counts, due days and midnight tests
    us = np.array([m.NAT if s is None else s * 1_000_000 + 7 for s in seconds],
                  dtype=np.int64)
    want = [None if s is None else
            pd.Timestamp(s * 1_000_000 + 7, unit="us", tz="UTC").tz_convert(tz)
            .tz_localize(None).to_datetime64() for s in seconds]
    got = m.local_wall(us, tz)
    assert got.dtype == np.dtype("datetime64[us]")
    assert [None if np.isnat(g) else g for g in got] == want
