"""The scale work must not change a single answer.

The engine measures the signs in threads sharing one Context (issue 7); these tests hold
that to the same report as one rule after another, and hold the Context's cache to
computing each value once when threads ask for it together. Dates are parsed in Arrow
when the format allows; property tests hold that to pandas' answer, value for value.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casekit import context_over
from itsm_diag import config, engine, synth
from itsm_diag import model as m
from itsm_diag.importers import dates
from itsm_diag.render import json as render_json

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def world() -> synth.Synthetic:
    # every condition on: every sign and check has work to do (and notes to write)
    return synth.generate(4000, seed=11, conditions=synth.Conditions.all())


def _report_json(world: synth.Synthetic, threads: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ITSM_DIAG_THREADS", threads)
    report = engine.diagnose(engine.Diagnosis(world.tickets, world.events, inputs=[]),
                             config.load_rules())
    return render_json.render(report)  # deterministic: no clock in the report


def test_threads_give_the_same_report_as_one_after_another(
        world: synth.Synthetic, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _report_json(world, "1", monkeypatch)
    assert engine.threads() == 1
    four = _report_json(world, "4", monkeypatch)
    assert engine.threads() == 4
    assert four == one
    assert '"status": "triggered"' in one  # the comparison covers real findings


def test_threads_default_to_the_cpus_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm_diag import batch
    from itsm_diag import cpus as cpu_count

    monkeypatch.delenv("ITSM_DIAG_THREADS", raising=False)
    for cpus, want in ((8, 4), (2, 2), (1, 1)):
        monkeypatch.setattr(cpu_count.os, "sched_getaffinity", lambda _, n=cpus: range(n),
                            raising=False)
        assert cpu_count.usable() == cpus
        assert engine.threads() == batch.default_jobs() == want
        for bad in ("zero", "0", "-3"):  # not a count: the default again
            monkeypatch.setenv("ITSM_DIAG_THREADS", bad)
            assert engine.threads() == want
        monkeypatch.delenv("ITSM_DIAG_THREADS")


def test_a_cached_value_is_computed_once_when_threads_race() -> None:
    ctx = context_over(pd.DataFrame({"x": [1, 2, 3]}))
    calls: list[int] = []
    start = threading.Barrier(8)

    def make() -> int:
        calls.append(1)
        time.sleep(0.05)  # long enough for every other thread to ask meanwhile
        return 42

    def ask(_: int) -> int:
        start.wait()
        return int(ctx.memo("slow", make))

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(ask, range(8)))
    assert got == [42] * 8
    assert len(calls) == 1


def test_a_cached_value_may_build_on_another() -> None:
    ctx = context_over(pd.DataFrame({"x": [1]}))
    got: list[int] = []
    # the outer value's maker asks for an inner one while the outer key is locked. In a
    # daemon thread, so a deadlock (one lock for every key, say) fails this test instead
    # of hanging the suite.
    worker = threading.Thread(
        target=lambda: got.append(ctx.memo("outer", lambda: ctx.memo("inner", lambda: 1) + 1)),
        daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "memo deadlocked: a value built on another never returned"
    assert got == [2]


# ---- dates: the Arrow fast path answers exactly as pandas does --------------------------

FAST_FORMATS = [f for f, _ in dates.CANDIDATES if dates._fast_pattern(f) is not None]


def _render(stamp: datetime, fmt: str, pad: bool) -> str:
    text = stamp.strftime(fmt)
    if not pad:  # one-digit day, month and hour, as a user's locale may write them
        text = re.sub(r"(?<![\d:])0(\d)(?=[/.\- :])", r"\1", text)
    return text


def test_the_fast_path_covers_the_common_export_formats() -> None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%m-%d-%Y %H:%M:%S", "%d.%m.%Y",
                "%d/%b/%y %I:%M %p", "%d/%m/%y %H:%M", "%b %d, %Y", "%m/%d/%Y %I:%M %p"):
        assert fmt in FAST_FORMATS  # Jira's default is the second line's first
    assert len(FAST_FORMATS) == len(dates.CANDIDATES)
    for fmt in ("%d %B %Y", "%Y-%m-%dT%H:%M:%S.%f", "%I:%M %d/%m/%Y", "%d/%m/%Y %I:%M"):
        assert dates._fast_pattern(fmt) is None  # pandas alone (no hour for %I without %p)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(FAST_FORMATS),
    stamps=st.lists(st.datetimes(min_value=datetime(1990, 1, 1),
                                 max_value=datetime(2035, 12, 31)), min_size=1, max_size=40),
    pads=st.lists(st.booleans(), min_size=40, max_size=40),
    junk=st.lists(st.sampled_from([
        None, "", "n/a", "30/02/2024 10:00", "2024-02-30 10:00:00", "31.04.2023",
        "2024-01-05 24:00:00", "05/01/2024  10:00", "5/1/2024 10:5", "2024-1-5 10:00:00",
        "13/13/2024 10:00", "2024-01-05T10:00:00", " 05/01/2024 10:00", "05/01/2024 10:00:00",
        "29/2/2023 01:16", "1/1/1990", "05/Foo/24 1:00 AM", "05/Jan/24 0:30 AM",
        "05/Jan/24 13:30 PM", "05/JAN/24 1:30 am", "Feb 30, 2024", "5-Jan-2024 10:00",
        "05/Jan/2024 12:00 PM", "Jan 5, 24"]), max_size=4),
)
def test_fast_dates_equal_pandas(fmt: str, stamps: list[datetime], pads: list[bool],
                                 junk: list[str | None]) -> None:
    texts = [_render(s.replace(microsecond=0), fmt, pad)
             for s, pad in zip(stamps, pads[:len(stamps)], strict=True)]
    values = pd.Series([*texts, *junk], dtype=m.STRING_DTYPE)
    expected = pd.to_datetime(values, format=fmt, errors="coerce").astype("datetime64[us]")
    fast = dates._parse_fast(values, fmt)
    if not junk:
        assert fast is not None  # clean data takes the fast path: the comparison is real
    got = expected if fast is None else fast
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_parse_with_a_time_zone_equals_pandas() -> None:
    values = pd.Series(["31/03/2024 01:30", "31/03/2024 02:30", "27/10/2024 02:30",
                        "1/7/2024 9:05", None], dtype=m.STRING_DTYPE)
    assert dates._parse_fast(values, "%d/%m/%Y %H:%M") is not None  # the Arrow path ran
    got, _ = dates.parse(values, "%d/%m/%Y %H:%M", Path("x.csv"), "opened_at", 2,
                         tz="Europe/Berlin")
    # pandas, with the clock-change rules (repeated hour: first pass; skipped hour: moved
    # forward by the gap, 02:30 -> 03:30 CEST)
    want = (pd.to_datetime(values, format="%d/%m/%Y %H:%M", errors="coerce")
            .dt.tz_localize("Europe/Berlin", ambiguous=np.ones(5, dtype=bool),
                            nonexistent=pd.Timedelta(hours=1))
            .dt.tz_convert("UTC").astype(dates.TIMESTAMP))
    pd.testing.assert_series_equal(got, want, check_names=False)


# ---- ids: a ServiceNow file's ids are made distinct once, not checked twice ------------

def test_a_servicenow_file_promises_distinct_ids_and_keeps_it(tmp_path: Path) -> None:
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths
    from itsm_diag.importers.servicenow import ServiceNowImporter

    src = (SAMPLES / "servicenow" / "problem.csv").read_text(encoding="utf-8").splitlines()
    # an audit-style export: the first two records again, later updates of the same ids
    path = tmp_path / "problem.csv"
    path.write_text("\n".join([*src, *src[1:3]]) + "\n", encoding="utf-8")
    loaded = load_paths([path], ImportOptions())
    ids = loaded.tickets[m.TICKET_ID]
    assert len(ids) == len(src) - 1 and ids.is_unique
    from itsm_diag.importers.readers import read_raw

    raw = read_raw(path)[0]
    imported = ServiceNowImporter().load(raw, ServiceNowImporter().detect(raw), ImportOptions())
    assert imported.unique_ids


def test_two_files_with_the_same_ids_are_still_deduplicated(tmp_path: Path) -> None:
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        p.write_bytes((SAMPLES / "servicenow" / "problem.csv").read_bytes())
    loaded = load_paths([a, b], ImportOptions())
    assert loaded.tickets[m.TICKET_ID].is_unique
    assert any("more than one input row" in n for n in loaded.notes)


# ---- the signs' shared helpers: Arrow versions answer as the pandas ones --------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30),
       st.sampled_from(["as given", "sorted", "sorted, one swap"]))
def test_id_ranks_equal_a_sorted_factorize(values: list[str | None], order: str) -> None:
    # exports listed by number take the running-count path: sorted lists (with repeats,
    # accents, and none missing) are drawn on purpose, and near-sorted ones
    if order != "as given":
        values = sorted(v for v in values if v is not None)
        if order == "sorted, one swap" and len(values) > 2:
            values[0], values[-1] = values[-1], values[0]
    ids = pd.Series(values, dtype=m.STRING_DTYPE)
    ctx = context_over(pd.DataFrame({m.TICKET_ID: ids}))
    codes, first = ctx.id_ranks
    want_codes, want_uniques = pd.factorize(ids.array, sort=True)
    want = want_codes.astype("int64")
    want[want < 0] = len(want_uniques)
    assert codes.tolist() == want.tolist()
    # each rank's row holds that id: the distinct ids in rank order
    assert ids.take(first).tolist() == list(want_uniques)
    # a sample names the rows' ids smallest rank first, a missing id last as <NA>
    every = ctx.samples(pd.Series(True, index=ids.index))
    in_order = [str(want_uniques[c]) if c < len(want_uniques) else "<NA>" for c in sorted(want)]
    assert every == in_order[:ctx.max_samples]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "\t", "x", " y ", "é", "\u3000"])),
                max_size=30), st.booleans())
def test_filled_equals_strip_and_compare(values: list[str | None], category: bool) -> None:
    from itsm_diag.signs.common import filled

    series = pd.Series(values, dtype=m.STRING_DTYPE)
    want = series.str.strip().fillna("").ne("").astype(bool)
    if category:
        series = series.astype("category")
    got = filled(series)
    assert got.dtype == bool
    assert got.tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "\t", "x", " y ", "é", "\u3000",
                                                      "\u00a0z", "\u2028", "a "])),
                max_size=40), st.lists(st.integers(0, 40), max_size=4))
def test_filled_reads_chunks_and_slices(values: list[str | None], cuts: list[int]) -> None:
    # filled reads each cell's first byte from the Arrow buffers: chunks that start inside
    # their buffers (slices), several chunks, a chunk of nulls only
    from itsm_diag.signs.common import filled

    whole = pa.array(["pad", *values], type=pa.large_string())
    bounds = sorted({1, len(whole), *(min(c + 1, len(whole)) for c in cuts)})
    chunks = [whole.slice(a, b - a) for a, b in pairwise(bounds)]
    arrow = pa.chunked_array(chunks, type=whole.type)
    series = pd.Series(pd.array(arrow, dtype=m.STRING_DTYPE))
    want = [bool(v and v.strip()) for v in values]
    assert filled(series).tolist() == want


def test_filled_agrees_with_pythons_strip_on_every_code_point() -> None:
    # filled tests "not empty and not all whitespace" in Arrow instead of trimming a copy
    # of every string: the two must agree on what whitespace is, character by character
    from itsm_diag.signs.common import filled

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    values = [*chars, *(f" {c}x{c} " for c in chars[:3000]), "", None]
    got = filled(pd.Series(values, dtype=m.STRING_DTYPE)).tolist()
    want = [bool(v and v.strip()) for v in values]
    assert [v for v, g, w in zip(values, got, want, strict=True) if g != w] == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-50, 50), max_size=40),
       st.lists(st.integers(-60, 60), max_size=8))
def test_count_upto_equals_a_sorted_search(values: list[int], points: list[int]) -> None:
    from itsm_diag.signs.common import count_upto

    v, p = np.array(values, dtype=np.int64), np.sort(np.array(points, dtype=np.int64))
    want = np.searchsorted(np.sort(v), p, side="right")
    assert count_upto(v, p).tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2 * 10**10, 3 * 10**10)), min_size=1,
                max_size=60), st.integers(0, 40), st.integers(0, 40))
def test_weekly_counts_equal_pandas_weekly_periods(seconds: list[int | None], cut_lo: int,
                                                   cut_hi: int) -> None:
    # the extract's shape counts per week with integer arithmetic, not periods
    from itsm_diag.signs.shape import _weekly

    # years 1336 to 2920: exports hold typos such as 3019, outside nanosecond timestamps
    ts = pd.Series(pd.array([None if s is None else np.datetime64(s, "s") for s in seconds],
                            dtype="datetime64[us]")).dt.tz_localize("UTC")
    if ts.isna().all():
        return
    lo = ts.min() + pd.Timedelta(days=cut_lo)
    hi = max(lo, ts.max() - pd.Timedelta(days=cut_hi))
    weeks = pd.period_range(lo.tz_localize(None).to_period("W"),
                            hi.tz_localize(None).to_period("W"), freq="W")
    naive = ts.dropna().dt.tz_localize(None).dt.to_period("W").value_counts()
    want = naive.reindex(weeks, fill_value=0).to_numpy(dtype=np.int64)
    assert _weekly(ts, weeks).tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2 * 10**10, 3 * 10**10)), min_size=1,
                max_size=60))
def test_window_weekly_arrivals_equal_pandas_weekly_periods(seconds: list[int | None]) -> None:
    # the window's "last active week" reads arrivals per week from integer week numbers:
    # the same weeks, counts and empty weeks as periods per ticket, counted and reindexed
    from itsm_diag.engine import _weekly_arrivals

    ts = pd.Series(pd.array([None if s is None else np.datetime64(s, "s") for s in seconds],
                            dtype="datetime64[us]")).dt.tz_localize("UTC")
    if ts.isna().all():
        return
    naive = ts.dropna().dt.tz_localize(None).dt.to_period("W").value_counts().sort_index()
    want = naive.reindex(pd.period_range(naive.index.min(), naive.index.max(), freq="W"),
                         fill_value=0)
    got = _weekly_arrivals(ts)
    assert got.index.equals(want.index)
    assert got.to_numpy().tolist() == want.to_numpy().tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2 * 10**10, 3 * 10**10)), max_size=30),
       st.sampled_from(["us", "ns"]))
def test_latest_and_earliest_time_are_the_columns_extremes(seconds: list[int | None],
                                                           unit: str) -> None:
    # the latest and earliest times read without pandas' copy of the column: the same
    # Timestamp (or None for no time at all) as Series.max() and .min(), before 1970 and
    # in years like 2920 too
    ts = pd.Series(pd.array([None if s is None else np.datetime64(s, "s") for s in seconds],
                            dtype="datetime64[us]")).dt.tz_localize("UTC")
    if unit == "ns" and ts.notna().any() and not (
            ts.dropna().between(pd.Timestamp("1678-01-01", tz="UTC"),
                                pd.Timestamp("2261-12-31", tz="UTC")).all()):
        return  # outside what nanoseconds hold: canonical columns are in microseconds
    ts = ts.astype(f"datetime64[{unit}, UTC]")
    for got, want in ((m.latest_time(ts), ts.max()), (m.earliest_time(ts), ts.min())):
        assert (got is None) if pd.isna(want) else (got == want and got.tz is not None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.one_of(st.none(), st.integers(0, 10**9))] * 4), max_size=20))
def test_activity_bounds_are_those_of_the_stacked_times(rows: list[tuple[int | None, ...]]
                                                        ) -> None:
    # the window's end and the data's start read the columns' own extremes, not the four
    # time columns stacked and stripped of blanks
    from itsm_diag.model import activity_bound

    cols = [m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT, m.UPDATED_AT]
    t = pd.DataFrame({c: pd.Series(pd.array(
        [None if r[i] is None else np.datetime64(r[i], "s") for r in rows],
        dtype="datetime64[us]")).dt.tz_localize("UTC") for i, c in enumerate(cols)})
    stacked = pd.concat([t[c] for c in cols], ignore_index=True).dropna()
    if stacked.empty:
        assert activity_bound(t, last=True) is None is activity_bound(t, last=False)
        return
    assert activity_bound(t, last=True) == stacked.max()
    assert activity_bound(t, last=False) == stacked.min()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["incident", "change", "(none)", "Zeta",
                                                      "é", " x ", ""])), max_size=30),
       st.booleans(), st.sampled_from([None, "(none)", "zz"]))
def test_category_sorted_is_the_text_in_text_order(values: list[str | None], unused: bool,
                                                   missing: str | None) -> None:
    """Strategy's kind column: categorical codes, yet the same values, tests and sorted
    group-by as the text (categories here in a shuffled, not text, order)."""
    from itsm_diag.signs.common import category_sorted

    cats = sorted({v for v in values if v is not None} | ({"unused"} if unused else set()),
                  key=lambda v: v[::-1])
    series = pd.Series(pd.Categorical(values, categories=cats), name="kind")
    text = series.astype("string")
    if missing is not None:
        text = text.fillna(missing)
    got = category_sorted(series, missing)
    assert got.astype("string").tolist() == text.tolist()
    for value in ("incident", "(none)", "zz"):
        assert (got == value).tolist() == (text == value).fillna(False).tolist()
    assert got.isin(["change", "é"]).tolist() == text.isin(["change", "é"]).tolist()
    weights = pd.Series(np.arange(len(values), dtype=float))
    want = weights.groupby(text, sort=True).sum()
    have = weights.groupby(got, sort=True, observed=True).sum()
    assert [str(x) for x in have.index] == [str(x) for x in want.index]
    assert have.tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(
    ["Other", " other ", "OTHER", "General", "Network", "", "  ", "é", "Autre"])), max_size=30),
    st.sets(st.sampled_from(["other", "general", "network", "autre", "x"]), max_size=3))
def test_folded_in_is_the_folded_column_isin(values: list[str | None], words: set[str]
                                             ) -> None:
    # a folded column tested against a word list on the fold's codes: the same mask as
    # the folded text of every ticket tested, blanks never in it
    from itsm_diag.signs.base import Context, Window
    from itsm_diag.signs.common import fold_key, folded_in

    t = pd.DataFrame({m.CATEGORY: pd.array(values, dtype=m.STRING_DTYPE)})
    end = pd.Timestamp("2026-01-01", tz="UTC")
    ctx = Context(tickets=t, events=pd.DataFrame(), defaults={},
                  window=Window(start=end - pd.Timedelta(weeks=13), end=end))
    want = fold_key(t[m.CATEGORY]).isin(words).fillna(False).astype(bool).to_numpy()
    assert folded_in(ctx, m.CATEGORY, words).tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(
    ["INC1", "INC2", "INC10", "REQ7", "a", "É"])), st.booleans()), max_size=40),
    st.booleans(), st.integers(1, 4))
def test_samples_are_the_smallest_ids_under_the_mask(rows: list[tuple[str | None, bool]],
                                                     listed_by_id: bool, n: int) -> None:
    # an export listed by id takes its sample from its first matching rows; any export
    # gives the n smallest ids under the mask (text order, a missing id last)
    from itsm_diag.signs.base import Context, Window

    if listed_by_id:
        rows = sorted(rows, key=lambda r: (r[0] is None, r[0] or ""))
    ids = [r[0] for r in rows]
    t = pd.DataFrame({m.TICKET_ID: pd.array(ids, dtype=m.STRING_DTYPE)})
    end = pd.Timestamp("2026-01-01", tz="UTC")
    ctx = Context(tickets=t, events=pd.DataFrame(), defaults={}, max_samples=n,
                  window=Window(start=end - pd.Timedelta(weeks=13), end=end))
    mask = pd.Series([r[1] for r in rows], index=t.index, dtype=bool)
    chosen = sorted((i for i, keep in zip(ids, mask, strict=True) if keep),
                    key=lambda i: (i is None, i or ""))[:n]
    assert ctx.samples(mask) == [str(pd.NA) if i is None else i for i in chosen]


def test_per_value_and_value_table_share_one_pass_over_the_distinct_values() -> None:
    """per_value gives the function on every row; value_table codes its results; the
    function runs once between them, on the distinct values and the missing one."""
    from itsm_diag.signs.base import Context, Window
    from itsm_diag.signs.common import fold_key

    t = pd.DataFrame({m.SUMMARY: pd.array([" VPN  down", None, "vpn down", "Printer", "x"],
                                          dtype=m.STRING_DTYPE)}, index=[10, 11, 12, 13, 14])
    end = pd.Timestamp("2026-01-01", tz="UTC")
    ctx = Context(tickets=t, events=pd.DataFrame(), defaults={},
                  window=Window(start=end - pd.Timedelta(weeks=13), end=end))
    calls: list[int] = []

    def fold(values: pd.Series) -> pd.Series:
        calls.append(len(values))
        return fold_key(values, spaces=True)

    pd.testing.assert_series_equal(ctx.per_value(m.SUMMARY, "fold", fold),
                                   fold_key(t[m.SUMMARY], spaces=True))
    codes, uniques = ctx.value_table(m.SUMMARY, "fold", fold)
    assert codes[0] == codes[2] and list(uniques)[codes[3]] == "printer"
    assert calls == [5]  # 4 distinct values and the missing one, once for both


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(
           ["project alpha", "Projet: é", "epicentre", "okr-2024", "a\nproject", "ÉPIC x",
            "epic", "roadmap-okr", "", " Epic "])), min_size=1, max_size=25),
       st.lists(st.booleans(), min_size=25, max_size=25),
       st.lists(st.booleans(), min_size=25, max_size=25),
       st.sampled_from([["epic", "project"], ["projet"], ["épic"], ["okr-2024"]]))
def test_contains_in_matches_str_contains_on_the_scope(
        values: list[str | None], in_scope: list[bool], in_rows: list[bool],
        words: list[str]) -> None:
    """contains_in (no text copied: the Context's distinct values) gives, on the chosen
    rows, what ``str.contains`` gives on the scope's rows as a column of their own: the
    regex engine pandas picks (RE2 or Python's re) follows the scope's newlines and
    non-ASCII text, as it did when the sign copied the window's rows out."""
    from itsm_diag.signs.base import Context, Window
    from itsm_diag.signs.common import contains_in, phrase_pattern

    n = len(values)
    t = pd.DataFrame({m.SUMMARY: pd.array(values, dtype=m.STRING_DTYPE)})
    end = pd.Timestamp("2026-01-01", tz="UTC")
    ctx = Context(tickets=t, events=pd.DataFrame(), defaults={},
                  window=Window(start=end - pd.Timedelta(weeks=13), end=end))
    scope = np.array(in_scope[:n], dtype=bool)
    rows = scope & np.array(in_rows[:n], dtype=bool)
    pattern = phrase_pattern(words)
    got = contains_in(ctx, m.SUMMARY, rows, pattern, case=False, scope=scope)
    column = t[m.SUMMARY][scope]
    want = np.zeros(n, dtype=bool)
    want[scope] = column.str.contains(pattern, case=False, regex=True, na=False).to_numpy(
        dtype=bool, na_value=False)
    assert got.tolist() == (want & rows).tolist()
    whole = contains_in(ctx, m.SUMMARY, np.ones(n, dtype=bool), pattern, case=False)
    assert whole.tolist() == t[m.SUMMARY].str.contains(
        pattern, case=False, regex=True, na=False).to_numpy(dtype=bool, na_value=False).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", "A", "é", "b", "a "])),
                max_size=30),
       st.integers(min_value=1, max_value=4), st.booleans())
def test_factorize_na_on_arrow_text_is_pandas_factorize(values: list[str | None],
                                                       chunks: int, large: bool) -> None:
    """Arrow text is factorized by Arrow's dictionary encoding (the missing value encoded
    as a value, then moved last): the same distinct values in the same order and the
    same codes as pandas' factorize gives, whatever the chunks and string type."""
    import pyarrow as pa

    kind = pa.large_string() if large else pa.string()
    cut = [values[i::chunks] for i in range(chunks)]  # interleaved: values spread over chunks
    flat = [v for part in cut for v in part]
    column = pa.chunked_array([pa.array(part, kind) for part in cut], kind)
    series = pd.Series(pd.array(column, dtype=m.STRING_DTYPE), name="col")
    codes, distinct = m.factorize_na(series)
    want_codes, want_uniques = pd.factorize(pd.Series(flat, dtype=object))
    want = np.where(want_codes < 0, len(want_uniques), want_codes)
    assert codes.tolist() == want.tolist()
    assert distinct.iloc[:-1].tolist() == list(want_uniques)
    assert distinct.iloc[-1] is pd.NA and len(distinct) == len(want_uniques) + 1
    assert distinct.dtype == series.dtype and distinct.name == "col"


@pytest.mark.parametrize("large", [False, True])
def test_factorize_na_of_a_column_of_nulls_is_the_encodings(large: bool) -> None:
    """A column the export lacks (every value missing) is not dictionary-encoded: every
    row gets the missing value's code, 0, as int32, and the distinct values are the one
    missing value: what the encoding gives."""
    import pyarrow as pa

    kind = pa.large_string() if large else pa.string()
    series = pd.Series(pd.array(pa.chunked_array([pa.nulls(5, kind), pa.nulls(3, kind)], kind),
                                dtype=m.STRING_DTYPE), name="col")
    codes, distinct = m.factorize_na(series)
    assert codes.dtype == np.int32 and codes.tolist() == [0] * 8
    assert distinct.tolist() == [pd.NA] and distinct.dtype == series.dtype
    assert distinct.name == "col"
    part_codes, part_distinct = m.factorize_na(pd.Series(
        pd.array(pa.chunked_array([pa.nulls(5, kind), pa.array(["a"], kind)], kind),
                 dtype=m.STRING_DTYPE), name="col"))  # one value: the encoding's path
    assert part_codes.dtype == codes.dtype and part_codes.tolist() == [1] * 5 + [0]
    assert part_distinct.array.__arrow_array__().type == distinct.array.__arrow_array__().type


def _chunked_text(values: list[str | None], cuts: list[int], large: bool,
                  index: pd.Index | None = None) -> pd.Series:
    import pyarrow as pa

    kind = pa.large_string() if large else pa.string()
    bounds = [0, *sorted({min(c, len(values)) for c in cuts}), len(values)]
    column = pa.chunked_array([pa.array(values[a:b], kind) for a, b in pairwise(bounds)],
                              kind)  # empty chunks included
    return pd.Series(pd.array(column, dtype=m.STRING_DTYPE), index=index, name="col")


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "é", "b c"])),
                           min_size=1, max_size=200),
       st.lists(st.integers(min_value=0, max_value=200), max_size=8), st.booleans(),
       st.sampled_from(["range", "offset", "shuffled"]))
def test_take_rows_is_series_take(data: st.DataObject, values: list[str | None],
                                  cuts: list[int], large: bool, index_kind: str) -> None:
    """``model.take_rows`` (each chunk takes its own rows) gives what ``Series.take``
    gives, values, dtype, Arrow type, index and name: ascending rows (a mask's), a few
    rows in any order, repeated rows, none, and many rows out of order (Series.take's
    own path); a row counted from the end is Series.take's, one out of range its error."""
    n = len(values)
    index = {"range": None, "offset": pd.RangeIndex(7, 7 + n),
             "shuffled": pd.Index(np.random.default_rng(n).permutation(n) * 3)}[index_kind]
    series = _chunked_text(values, cuts, large, index)
    rows = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n + 3)),
                    dtype=np.int64)
    if data.draw(st.booleans()):
        rows = np.sort(rows)
    got, want = m.take_rows(series, rows), series.take(rows)
    pd.testing.assert_series_equal(got, want)
    assert got.array.__arrow_array__().type == want.array.__arrow_array__().type
    pd.testing.assert_series_equal(m.take_rows(series, np.array([-1, 0])),
                                   series.take(np.array([-1, 0])))  # from the end
    with pytest.raises(IndexError):
        series.take(np.array([n]))
    with pytest.raises(IndexError):
        m.take_rows(series, np.array([n]))


def test_take_rows_reads_only_the_chunks_of_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample of ids or the rows of a mask never go through the Arrow column's take,
    which joins every chunk first (at 1M ids, 10-50 MB copied a call): rows in ascending
    order and a few rows in any order are taken chunk by chunk. Many rows out of order
    still use it (one join, then one take, is the cheaper way there)."""
    from pandas.core.arrays.arrow.array import ArrowExtensionArray

    series = _chunked_text([f"INC{i:05d}" for i in range(20_000)], [5_000, 10_000, 15_000],
                           large=True)
    want_few = series.take(np.array([19_999, 3, 12_000]))
    want_mask = series[series.str.endswith("7")]
    shuffled = np.random.default_rng(1).permutation(len(series))[:1_000]
    want_shuffled = series.take(shuffled)
    used: list[int] = []
    real = ArrowExtensionArray.take

    def counted(self: ArrowExtensionArray, indices: Any, **kw: Any) -> Any:
        used.append(len(indices))
        return real(self, indices, **kw)

    monkeypatch.setattr(ArrowExtensionArray, "take", counted)
    few = m.take_rows(series, np.array([19_999, 3, 12_000]))
    mask = m.take_rows(series, np.flatnonzero(series.str.endswith("7").to_numpy(dtype=bool)))
    none = m.take_rows(series, np.zeros(0, dtype=np.int64))
    assert used == []
    pd.testing.assert_series_equal(few, want_few)
    pd.testing.assert_series_equal(mask, want_mask)
    assert len(none) == 0 and none.dtype == series.dtype
    pd.testing.assert_series_equal(m.take_rows(series, shuffled), want_shuffled)
    assert used == [1_000]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=120),
       st.lists(st.sampled_from([m.TICKET_ID, m.KIND, m.OPENED_AT, m.PRIORITY]),
                unique=True, max_size=4), st.booleans())
def test_rows_of_is_loc(mask: list[bool], columns: list[str], offset: bool) -> None:
    """``model.rows_of`` (text columns taken chunk by chunk, every row kept without a
    copy) is ``frame.loc[mask, columns]``: values, dtypes, index and column labels."""
    n = len(mask)
    frame = pd.DataFrame({
        m.TICKET_ID: _chunked_text([f"INC{i}" if i % 7 else None for i in range(n)],
                                   [n // 3, n // 2], large=True),
        m.KIND: pd.Categorical(["incident", "request", None][i % 3] for i in range(n)),
        m.OPENED_AT: pd.Series(pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC")
                               .as_unit("us")),
        m.PRIORITY: pd.array([i % 5 or None for i in range(n)], dtype="Int8"),
    })
    if offset:
        frame.index = pd.RangeIndex(5, 5 + n)
    keep = pd.Series(mask, index=frame.index)
    pd.testing.assert_frame_equal(m.rows_of(frame, keep, columns), frame.loc[keep, columns])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", ""])), min_size=1,
                max_size=30),
       st.dictionaries(st.sampled_from(["a", "b", "c", "x", ""]), st.integers(0, 5),
                       max_size=5))
def test_lookup_is_series_map(values: list[str | None], table: dict[str, int]) -> None:
    """``common.lookup`` (one Arrow hash lookup) finds what ``Series.map`` finds; with an
    empty table (no events to count from) it hashes nothing and gives what a table
    that holds none of the values gives, dtype included."""
    from itsm_diag.signs.common import lookup

    column = pd.Series(pd.array(values, dtype=m.STRING_DTYPE), name="ids")

    def counts(of: dict[str, int]) -> pd.Series:
        return pd.Series(list(of.values()), dtype="int64",
                         index=pd.Index(list(of), dtype=m.STRING_DTYPE))

    got, want = lookup(column, counts(table)), column.map(counts(table))
    assert got.isna().tolist() == want.isna().tolist()
    assert got.dropna().tolist() == want.dropna().astype("float64").tolist()
    pd.testing.assert_series_equal(lookup(column, counts({})),
                                   lookup(column, counts({"not an id": 1})))


def test_missing_number_and_flag_columns_are_all_missing_of_their_dtype() -> None:
    """conform_tickets' all-missing columns built without writing their values (zeros
    under a full mask) equal pandas' own all-NA column, and stay independent: filling one
    leaves the others missing."""
    tickets = m.conform_tickets(pd.DataFrame({m.TICKET_ID: pd.array(["a", "b", "c"],
                                                                  dtype=m.STRING_DTYPE)}))
    dtypes = {c: pd.api.types.pandas_dtype(d) for c, d in m.ticket_dtypes().items()}
    masked = [c for c in tickets.columns
              if isinstance(dtypes[c], (pd.BooleanDtype, pd.Int8Dtype, pd.Int32Dtype,
                                        pd.Float64Dtype))]
    assert {m.PRIORITY, m.REOPEN_COUNT, m.SLA_MET, m.TIME_SPENT_HOURS} <= set(masked)
    for column in masked:
        want = pd.Series(pd.NA, index=tickets.index, dtype=dtypes[column], name=column)
        pd.testing.assert_series_equal(tickets[column], want)
    tickets.loc[0, m.REOPEN_COUNT] = 2
    assert tickets[m.REASSIGNMENT_COUNT].isna().all() and tickets[m.PRIORITY].isna().all()
    assert tickets[m.REOPEN_COUNT].tolist()[0] == 2


def test_absent_time_columns_share_one_all_nat_column_and_stay_independent() -> None:
    """The absent time columns are one all-NaT column (pandas 3 copies on write: nine of
    them are not 72 MB written at 1M tickets), equal to pandas' own all-NaT column, and
    writing a time into one leaves every other one missing, through ``.loc``, a column
    set anew, and on a copy of the table."""
    tickets = m.conform_tickets(pd.DataFrame({m.TICKET_ID: pd.array(["a", "b", "c"],
                                                                  dtype=m.STRING_DTYPE)}))
    times = [c for c, family in m.TICKET_SCHEMA.items() if family == "timestamp"]
    assert len(times) >= 9
    want = pd.Series(pd.NaT, index=tickets.index, dtype=m.TIMESTAMP_DTYPE)
    for column in times:
        pd.testing.assert_series_equal(tickets[column], want.rename(column))
    if m._COPY_ON_WRITE:
        assert all(np.shares_memory(m.ts_us(tickets[times[0]]), m.ts_us(tickets[c]))
                   for c in times[1:])
    when = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    copy = tickets.copy()
    tickets.loc[0, m.CLOSED_AT] = when
    tickets[m.DUE_AT] = pd.Series([when] * 3, dtype=m.TIMESTAMP_DTYPE)
    copy.loc[1, m.OPENED_AT] = when
    assert tickets[m.CLOSED_AT].tolist()[0] == when and tickets[m.DUE_AT].notna().all()
    for column in times:
        if column not in (m.CLOSED_AT, m.DUE_AT):
            assert tickets[column].isna().all(), column
        if column != m.OPENED_AT:
            assert copy[column].isna().all(), column
    assert copy[m.OPENED_AT].tolist()[1] == when


# ---- folding whitespace: the faster pattern replaces exactly as \s+ does ----------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\u00a0\u3000é")),
                        max_size=12), max_size=20))
def test_space_runs_fold_whitespace_as_a_plain_run_does(values: list[str]) -> None:
    from itsm_diag.text import SPACE_RUNS

    for dtype in (m.STRING_DTYPE, object):  # RE2 in Arrow, Python's re for object text
        series = pd.Series(values, dtype=dtype)
        want = series.str.replace(r"\s+", " ", regex=True)
        got = series.str.replace(SPACE_RUNS, " ", regex=True)
        assert got.tolist() == want.tolist()


# ---- recurrence on integer keys: the same clusters as the text keys -------------------

@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["VPN", " vpn", "Mail", "", None, "SAP ERP"]),
                          st.sampled_from(["Network", "network ", "Access", None, ""]),
                          st.integers(0, 40)), min_size=1, max_size=40),
       st.integers(2, 4))
def test_integer_keys_give_the_text_keys_and_clusters(rows: list[tuple[str | None, str | None,
                                                                       int]], size: int) -> None:
    from itsm_diag.signs.common import recurrence_key, recurrence_key_codes
    from itsm_diag.signs.recurrence import cluster_codes

    t = pd.DataFrame({
        m.TICKET_ID: pd.Series([f"INC{i:03d}" for i in range(len(rows))], dtype=m.STRING_DTYPE),
        m.CI: pd.Series([r[0] for r in rows], dtype=m.STRING_DTYPE),
        m.CATEGORY: pd.Series([r[1] for r in rows], dtype=m.STRING_DTYPE),
        m.OPENED_AT: pd.Series(pd.Timestamp("2024-01-01", tz="UTC")
                               + pd.to_timedelta([r[2] for r in rows], unit="D")),
    })
    text = recurrence_key(t, [m.CI, m.CATEGORY])
    codes, key_text = recurrence_key_codes(context_over(t), [m.CI, m.CATEGORY])
    assert (codes < 0).tolist() == text.isna().tolist()
    keyed = np.flatnonzero(codes >= 0)
    assert key_text(keyed) == text.iloc[keyed].tolist()
    # equal codes exactly where the key texts are equal
    same_code = codes[keyed][:, None] == codes[keyed][None, :]
    values = text.iloc[keyed].to_numpy(dtype=object)
    assert (same_code == (values[:, None] == values[None, :])).all()
    # clusters: the reference is the definition, checked pair by pair on the text keys
    at = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")
    got = cluster_codes(codes[keyed], at[keyed], size, pd.Timedelta(days=10))
    want = []
    for i in keyed:
        same = [j for j in keyed if values[list(keyed).index(j)] == values[list(keyed).index(i)]]
        times = sorted(at[j] for j in same)
        # some run of `size` same-key incidents within 10 days holds incident i's time
        want.append(any(times[s] <= at[i] <= times[s + size - 1]
                        and times[s + size - 1] - times[s] <= np.timedelta64(10, "D")
                        for s in range(len(times) - size + 1)))
    assert got.tolist() == want


def test_an_empty_open_category_column_is_what_a_cast_of_text_gives() -> None:
    index = pd.RangeIndex(5)
    got = m._nulls("category_open", None, index)
    want = pd.Series(pd.NA, index=index, dtype="object").astype("string").astype("category")
    pd.testing.assert_series_equal(got, want)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(
    ["INC1", "INC2", "INC10", "a", "b", "", "7", "007", "9", "10", "-3", "+4", " 5", "1.0",
     "99999999999999999999"])), max_size=8),
       st.sampled_from(["as is", "ascending", "descending", "by number", "by number, down"]))
def test_any_repeated_equals_a_duplicate_pass(values: list[str | None], order: str) -> None:
    # sorted exports take a comparison shortcut: as text, or as numbers when every id
    # reads as one ("007" and "7" are two ids that read as the same number)
    from itsm_diag.importers.base import any_repeated

    present = [v for v in values if v is not None]
    if order in ("ascending", "descending"):
        values = sorted(present, reverse=order == "descending")
    elif order.startswith("by number"):
        def number(v: str) -> float:
            return float(v) if v.strip().lstrip("+-").replace(".", "", 1).isdigit() else 0.0

        values = sorted(present, key=number, reverse=order.endswith("down"))
    ids = pd.Series(values, dtype=m.STRING_DTYPE)
    assert any_repeated(ids) == bool(ids.dropna().duplicated().any())


def test_any_repeated_reads_plain_number_ids_in_number_order() -> None:
    from itsm_diag.importers.base import any_repeated

    assert not any_repeated(pd.Series(["9998", "9999", "10000", "10001"], dtype=m.STRING_DTYPE))
    assert any_repeated(pd.Series(["9999", "10000", "10000"], dtype=m.STRING_DTYPE))
    # two texts, one number: not in strict order as numbers, so the hash pass decides
    assert not any_repeated(pd.Series(["7", "007"], dtype=m.STRING_DTYPE))


_WS = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
       "\u2000", "\u2009", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    [*_WS, "a", "Z", "é", "ß", "€", "中", "\u200b", "😀"]), max_size=6)), max_size=12),
    st.integers(0, 3))
def test_the_trim_shortcut_never_skips_a_cell_that_trims(values: list[str | None],
                                                         start: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from itsm_diag.importers.readers import may_need_trim

    for kind in (pa.string(), pa.large_string()):
        column = pa.chunked_array([pa.array(values, type=kind).slice(min(start, len(values)))],
                                  type=kind)
        changes = not pc.all(pc.equal(pc.utf8_trim_whitespace(column), column)).as_py() \
            if pc.count(column).as_py() else False
        if changes:
            assert may_need_trim(column)
        if all(v is None or v == "" or (v[0] in "aZ" and v[-1] in "aZ") for v in values):
            assert not may_need_trim(column)  # plain ASCII cells: the shortcut is taken


def test_whitespace_class_is_pythons_backslash_s_in_both_engines() -> None:
    import sys

    import pyarrow as pa
    import pyarrow.compute as pc

    from itsm_diag.text import NOT_SPACE, SPACE, SPACE_RUNS

    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    python_s = [re.fullmatch(r"\s", c) is not None for c in chars]
    assert [re.fullmatch(SPACE, c) is not None for c in chars] == python_s
    assert pc.match_substring_regex(pa.array(chars), f"^{SPACE}$").to_pylist() == python_s
    assert pc.match_substring_regex(pa.array(chars), f"^{NOT_SPACE}$").to_pylist() == [
        not s for s in python_s]
    # and pandas hands these patterns to Arrow (a \s pattern it runs in Python, per value);
    # a private pandas helper: checked while it exists
    needs_python = getattr(pd.Series(["a b"], dtype=m.STRING_DTYPE).array,
                           "_needs_python_regex", None)
    if needs_python is not None:
        assert needs_python(r"\s+")
        assert not any(needs_python(p) for p in (SPACE, NOT_SPACE, SPACE_RUNS))


def _near_open_pairs_by_lag(ctx: Any, cand: pd.Series, hours: pd.Timedelta) -> np.ndarray:
    """The duplicate rule as first written (the oracle): each ticket against its 1st,
    2nd, ... predecessor in its (requester, category) group, lag by lag."""
    from itsm_diag.signs.common import fold_codes

    t = ctx.tickets
    rows = np.flatnonzero(cand.to_numpy(dtype=bool))
    out = np.zeros(len(t), dtype=bool)
    if len(rows) < 2:
        return out
    req = fold_codes(ctx, m.REQUESTER)[0][rows]
    cat = fold_codes(ctx, m.CATEGORY)[0][rows]
    group = req * (int(cat.max()) + 1) + cat
    opened = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")[rows]
    until = ctx.done_at.to_numpy(dtype="datetime64[us]")[rows]
    order = np.lexsort((ctx.id_ranks[0][rows], opened, group))
    group, opened, until = group[order], opened[order], until[order]
    limit = np.timedelta64(int(hours / pd.Timedelta(microseconds=1)), "us")
    dup = np.zeros(len(rows), dtype=bool)
    for k in range(1, len(rows)):
        near = (group[k:] == group[:-k]) & (opened[k:] - opened[:-k] <= limit)
        if not near.any():
            break
        before = until[:-k]
        dup[k:] |= near & (np.isnat(before) | (before > opened[k:]))
    out[rows[order]] = dup
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(2, 300), st.sampled_from([0.5, 4.0, 24.0]))
def test_near_open_duplicates_equal_the_lag_by_lag_rule(seed: int, n: int,
                                                         hours: float) -> None:
    """The trust sign's duplicate rule (opened within ``hours`` after a still-open ticket
    of the same requester and category), computed with one cumulative maximum per
    group, flags exactly the tickets the lag-by-lag loop flags: on storms (many tickets
    at one second), ties, tickets done before they were opened, never done, or done at
    the very microsecond the next one opens, and tickets without an opened time."""
    from itsm_diag.signs.trust import _by_requester, _in_time_order, _near_open_pairs

    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2024-01-10", tz="UTC")
    opened = base + pd.to_timedelta(rng.integers(0, 72, n) * rng.choice([1, 60, 3600], n),
                                    unit="s")
    if rng.random() < 0.3:  # a storm: a third of the tickets at one second
        opened = opened.where(rng.random(n) > 0.33, base)
    done_after = pd.to_timedelta(rng.integers(-3600, 30 * 3600, n), unit="s")
    resolved = (opened + done_after).where(rng.random(n) > 0.3)
    if rng.random() < 0.5:  # closed exactly when another ticket opens
        resolved = resolved.where(rng.random(n) > 0.2, opened[rng.integers(0, n, n)])
    opened = opened.where(rng.random(n) > 0.05)
    status = np.where(pd.isna(resolved), "open", "resolved")
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: [f"T{i:04d}" for i in rng.permutation(n)],
        m.KIND: "incident", m.STATUS: status,
        m.OPENED_AT: opened, m.RESOLVED_AT: resolved,
        m.REQUESTER: rng.choice(["ann", "Ann ", "bob", "cy"], n),
        m.CATEGORY: rng.choice(["net", "NET", "mail"], n),
    }))
    ctx = context_over(tickets)
    cand = pd.Series(rng.random(n) < 0.9, index=tickets.index)
    want = _near_open_pairs_by_lag(ctx, cand, pd.Timedelta(hours=hours))
    got = _near_open_pairs(ctx, _by_requester(ctx, _in_time_order(ctx, cand),
                                                pd.Timedelta(hours=hours)))
    assert np.array_equal(got, want)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 6), st.one_of(st.none(), st.integers(0, 40)),
                          st.integers(0, 30)), min_size=1, max_size=40),
       st.integers(1, 4))
def test_recurrence_top_clusters_read_only_the_clusters_that_can_be_shown(
        rows: list[tuple[int, int | None, int]], top: int) -> None:
    # the largest clusters by size, then latest incident, then key text: the same table
    # when the clusters too small to reach the top are left out before grouping
    from casekit import tickets_frame
    from itsm_diag.signs import recurrence

    def at(days: float) -> str:
        return f"{pd.Timestamp('2024-01-01') + pd.Timedelta(days=days):%Y-%m-%dT%H:%M}"

    t = tickets_frame([{
        "ticket_id": f"T{i:03d}", "kind": "incident", "status": "resolved",
        "opened_at": None if day is None else at(day),
        "resolved_at": at((day or 0) + hours / 24)}
        for i, (_, day, hours) in enumerate(rows)])
    ctx = context_over(t)
    codes = np.array([c for c, _, _ in rows], dtype=np.int64)
    show = np.array([0, 1, 2, 3, 5], dtype=np.int64)

    def key_text(at: np.ndarray) -> list[str]:
        return [f"key {9 - codes[r]}" for r in at]  # text order unlike code order

    def unfiltered() -> list[dict[str, Any]]:
        keep = np.flatnonzero(np.isin(codes, show) & (codes >= 0))
        if not len(keep):
            return []
        opened = t[m.OPENED_AT].iloc[keep]
        hours = ((ctx.done_at.iloc[keep] - opened) / pd.Timedelta(hours=1)).astype("float64")
        df = pd.DataFrame({"code": codes[keep], "row": keep, "at": opened.array,
                           "hours": hours.where(hours >= 0).to_numpy()}, copy=False)
        g = df.groupby("code").agg(count=("at", "size"), first=("at", "min"),
                                   last=("at", "max"), median_hours=("hours", "median"),
                                   row=("row", "first"))
        g["key"] = key_text(g["row"].to_numpy())
        g = g.sort_values("key").sort_values(["count", "last"], ascending=[False, False])
        return [{"key": str(k), "count": int(c)} for k, c in g.head(top)[["key", "count"]]
                .itertuples(index=False)]

    got = recurrence._top_clusters(ctx, codes, key_text, show, top, links_known=True)
    assert [{"key": r["key"], "count": r["count"]} for r in got] == unfiltered()


_DAYS = st.one_of(st.none(), st.integers(-40, 45))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["open", "resolved"]), _DAYS, _DAYS),
                min_size=1, max_size=20),
       st.lists(st.tuples(st.integers(0, 25), st.integers(-40, 45)), max_size=25))
def test_trust_silence_on_the_open_rows_equals_the_whole_column_computation(
        rows: list[tuple[str, int | None, int | None]],
        events: list[tuple[int, int]]) -> None:
    # each open ticket's latest sign of life (opened, updated up to the as-of time, its
    # latest event up to it) and its business days of silence, computed on the open rows
    # only, as the old whole-column computation gave them
    from casekit import events_frame, tickets_frame
    from itsm_diag.signs import trust
    from itsm_diag.signs.base import Calendar, Context, Measurement, Window
    from itsm_diag.signs.common import open_at

    def at(days: int | None) -> str | None:
        if days is None:
            return None
        return f"{pd.Timestamp('2024-01-31 10:00') + pd.Timedelta(days=days):%Y-%m-%dT%H:%M}"

    # one ticket open at the end with an update, always: every case measures silence (the
    # generated rows alone left it unmeasured in over half the cases)
    rows = [("open", -20, -10), *rows]
    t = tickets_frame([{"ticket_id": f"T{i:02d}", "kind": "incident", "status": status,
                        "opened_at": at(o), "updated_at": at(u),
                        "resolved_at": at(o) if status == "resolved" else None}
                       for i, (status, o, u) in enumerate(rows)])
    ev = events_frame([{m.EV_TICKET_ID: f"T{i:02d}", m.EV_KIND: "comment",
                        m.EV_AT: at(d)} for i, d in events])
    w = Window(pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-02-29", tz="UTC"))
    ctx = Context(tickets=t, events=ev, window=w, calendar=Calendar())
    scope = pd.Series(True, index=t.index)
    meas = Measurement()
    trust._silence(ctx, {"silence_business_days": 5}, scope, meas)
    assert meas.metrics["silent_share"].value is not None
    # the whole-column computation this replaced
    open_end = open_at(ctx, scope, w.end)
    updated = t[m.UPDATED_AT].where(t[m.UPDATED_AT] <= w.end)
    last_ev = pd.Series(pd.NaT, index=t.index, dtype=m.TIMESTAMP_DTYPE)
    past = ev[ev[m.EV_AT] <= w.end] if not ev.empty else ev
    if len(past):
        latest = past.groupby(m.EV_TICKET_ID)[m.EV_AT].max()
        last_ev = pd.Series(latest.reindex(t[m.TICKET_ID]).array, index=t.index
                            ).astype(m.TIMESTAMP_DTYPE)
    last = pd.concat([t[m.OPENED_AT], updated, last_ev], axis=1).max(axis=1)
    quiet = ctx.calendar.busday_count(last, pd.Series(w.end, index=t.index))
    silent = open_end & (quiet > 5).fillna(False).astype(bool)
    assert meas.metrics["silent_open"].value == float(silent.sum())
    assert meas.metrics["silent_open"].sample_ids == ctx.samples(silent)


# ---- the KPI panel's counts in numpy equal their pandas definitions ----------------------

_STAMPS = st.one_of(st.none(), st.sampled_from([
    "2023-12-20T10:00", "2024-01-01T00:00", "2024-01-10T09:30", "2024-01-31T23:59",
    "2024-02-01T00:00", "2024-02-01T00:00:01", "2024-03-05T12:00"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["incident", "request", "change"]),
    st.sampled_from(["new", "open", "resolved", "closed", "cancelled"]),
    _STAMPS, _STAMPS, _STAMPS,
    st.sampled_from([None, "", "  ", "Network", " Network ", "Email"])), min_size=1,
    max_size=25))
def test_kpi_left_out_and_volume_equal_their_pandas_definitions(
        rows: list[tuple[str, str, str | None, str | None, str | None, str | None]]) -> None:
    from casekit import tickets_frame
    from itsm_diag.signs import kpis
    from itsm_diag.signs.common import filled

    tickets = tickets_frame([
        {"ticket_id": f"T{i}", "kind": k, "status": s, "opened_at": o, "resolved_at": r,
         "closed_at": c, "category": cat} for i, (k, s, o, r, c, cat) in enumerate(rows)])
    ctx = context_over(tickets)
    t, w = ctx.tickets, ctx.window
    scope = ctx.of_kind(*kpis.SCOPE_KINDS)
    done = scope & ctx.done_in_window()
    opened = scope & ctx.opened_in_window()
    hours = (ctx.done_at - t[m.OPENED_AT]) / pd.Timedelta(hours=1)

    def count(mask: pd.Series) -> int:
        return int((scope & mask.fillna(False).astype(bool)).sum())

    want = {
        "done_after": count(ctx.done_at > w.end), "done_before": count(ctx.done_at < w.start),
        "from_closed": int((done & (m.done_source(t) == m.CLOSED_AT).fillna(False)).sum()),
        "no_opened": int((done & t[m.OPENED_AT].isna()).sum()),
        "negative": int((done & (hours < 0).fillna(False)).sum()),
        "opened_after": count(t[m.OPENED_AT] > w.end),
        "done_no_time": count(m.is_done(t) & ctx.done_at.isna()),
    }
    assert kpis._left_out(ctx, scope, done) == want
    if opened.any():
        cat = t.loc[opened, m.CATEGORY].astype(m.STRING_DTYPE).str.strip()
        cat = cat.where(filled(t.loc[opened, m.CATEGORY]), kpis.BLANK)
        assert list(kpis._volume(ctx, opened).items()) == [
            (str(k), int(v)) for k, v in cat.value_counts().items()]


# ---- sorting by codes with radix passes gives numpy's lexsort order -----------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 2**40), st.integers(0, 5)),
                max_size=60), st.booleans())
def test_then_by_code_equals_lexsort(rows: list[tuple[int, int, int]], negative: bool) -> None:
    from itsm_diag.signs.common import by_code_then, then_by_code

    first = np.array([r[0] for r in rows], dtype=np.int64)
    codes = np.array([r[1] for r in rows], dtype=np.int64)
    if not negative:
        codes = np.abs(codes)
    tie = np.array([r[2] for r in rows], dtype=np.int64)
    want = np.lexsort((tie, first, codes))
    assert then_by_code(np.lexsort((tie, first)), codes).tolist() == want.tolist()
    # the usual call: by code, then time, then export order
    assert by_code_then(codes, first).tolist() == np.lexsort((first, codes)).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=80), st.sampled_from([1, 10**9]),
       st.sampled_from([np.int64, np.int32]))
def test_distinct_codes_equals_unique_with_counts(values: list[int], scale: int,
                                                  dtype: type) -> None:
    # dense codes are counted, sparse ones (far above their number) sorted: both give
    # np.unique's values and counts
    from itsm_diag.signs.common import distinct_codes

    codes = np.array([v * scale for v in values], dtype=np.int64)
    if scale == 1:  # value codes come as int32 too (Arrow's dictionary indices)
        codes = codes.astype(dtype)
    found, counts = distinct_codes(codes)
    want, want_counts = np.unique(codes, return_counts=True)
    assert found.tolist() == want.tolist() and counts.tolist() == want_counts.tolist()
    assert found.dtype == np.int64 and counts.dtype == np.int64


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(2**62), 2**62), max_size=80),
       st.sampled_from([np.int64, np.int32]))
def test_sorted_distinct_equals_unique(values: list[int], dtype: type) -> None:
    # np.unique's values and dtype, by a sort (negative and wide keys alike)
    from itsm_diag.signs.common import sorted_distinct

    keys = np.array(values, dtype=np.int64)
    if dtype is np.int32:
        keys = (keys % 2**31).astype(np.int32)
    got, want = sorted_distinct(keys), np.unique(keys)
    assert got.tolist() == want.tolist() and got.dtype == want.dtype


def test_distinct_codes_refuses_negative_codes() -> None:
    from itsm_diag.signs.common import distinct_codes

    with pytest.raises(ValueError, match="non-negative"):
        distinct_codes(np.array([3, -1, 2]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(0, 6))),
                max_size=40), st.integers(1, 4), st.integers(0, 3))
def test_cluster_codes_order_by_key_then_time_as_lexsort(
        rows: list[tuple[int, int | None]], min_n: int, span_days: int) -> None:
    # NaT sorts last, as numpy's lexsort puts it
    from itsm_diag.signs.recurrence import cluster_codes

    codes = np.array([r[0] for r in rows], dtype=np.int64)
    at = np.array([np.datetime64("NaT") if r[1] is None else
                   np.datetime64("2024-01-01") + np.timedelta64(r[1], "D") for r in rows],
                  dtype="datetime64[us]")
    order = np.lexsort((at, codes))
    c, a = codes[order], at[order]
    limit = np.timedelta64(span_days, "D")
    member = np.zeros(len(rows), dtype=bool)
    for i in range(len(rows)):  # the definition, row by row
        j = i - (min_n - 1)
        if min_n <= 1:
            closes = not np.isnat(a[i])
        else:
            closes = j >= 0 and c[j] == c[i] and bool(a[i] - a[j] <= limit)
        if closes:
            member[max(j, 0):i + 1] |= c[max(j, 0):i + 1] == c[i]
    want = np.zeros(len(rows), dtype=bool)
    want[order] = member
    got = cluster_codes(codes, at, min_n, pd.Timedelta(days=span_days))
    assert got.tolist() == want.tolist()


_DAYS_30_NS = 30 * 86_400 * 10**9


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-3 * 10**15, 3 * 10**15)), max_size=30),
       st.sampled_from(["ns", "us"]), st.sampled_from(["UTC", "Europe/Paris"]))
@example([-1, 0, 1, _DAYS_30_NS - 1, _DAYS_30_NS, _DAYS_30_NS + 1, None], "ns", "UTC")
@example([-1000, 0, _DAYS_30_NS, _DAYS_30_NS + 1000], "us", "Europe/Paris")
def test_window_contains_equals_pandas_comparisons(offsets: list[int | None], unit: str,
                                                   tz: str) -> None:
    # the window test compares in numpy, in the column's own unit and time zone
    from itsm_diag.signs.base import Window

    start = pd.Timestamp("2024-01-01", tz="UTC")
    window = Window(start, start + pd.Timedelta(days=30))
    ns = [None if o is None else start.value + o for o in offsets]
    ts = pd.Series(pd.to_datetime(ns, utc=True)).astype(f"datetime64[{unit}, UTC]")
    ts = ts.dt.tz_convert(tz)
    want = ((ts >= window.start) & (ts <= window.end)).fillna(False).astype(bool)
    assert window.contains(ts).tolist() == want.tolist()


def test_first_positions_read_past_the_first_blocks() -> None:
    # the sample's rows of a sparse mask lie past the first 4,096-row block: the blocks
    # grow fourfold until enough rows are found or the table ends
    from itsm_diag.signs.base import _first_positions

    t = pd.DataFrame({"x": np.zeros(100_000)})
    mask = np.zeros(100_000, dtype=bool)
    mask[[5_000, 30_000, 99_999]] = True
    assert _first_positions(t, mask, 2).tolist() == [5_000, 30_000]
    assert _first_positions(t, mask, 5).tolist() == [5_000, 30_000, 99_999]
    assert _first_positions(t, np.zeros(100_000, dtype=bool), 3).tolist() == []
    assert _first_positions(t.iloc[:0], np.zeros(0, dtype=bool), 3).tolist() == []


def test_each_events_ticket_row_is_read_through_the_id_codes() -> None:
    # an event's ticket row: the row holding its id (ids out of order in the export);
    # -1 for an event without an id or with an id no ticket has
    from itsm_diag.analyses._util import ticket_rows_of_events
    from itsm_diag.signs.base import Context, Window

    t = pd.DataFrame({m.TICKET_ID: pd.array(["INC3", "INC1", "INC2"], dtype=m.STRING_DTYPE)})
    ev = pd.DataFrame({m.EV_TICKET_ID: pd.array(["INC2", None, "INC9", "INC3", "INC1"],
                                                dtype=m.STRING_DTYPE)})
    end = pd.Timestamp("2026-01-01", tz="UTC")
    ctx = Context(tickets=t, events=ev, defaults={},
                  window=Window(start=end - pd.Timedelta(weeks=13), end=end))
    assert ticket_rows_of_events(ctx).tolist() == [2, -1, -1, 0, 1]
    assert ctx.id_rows.tolist() == [1, 2, 0, -1, -1]  # INC1, INC2, INC3 in id order
