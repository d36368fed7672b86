"""A ``P`` label's number is read whole, never digit by digit: ``P12``, ``P345`` and
``P1000`` are no priority (left empty and counted), not 1, 3 and 1; every label read
before reads as before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import shapes
from itsm_diag import model as m
from itsm_diag.importers import values as v

#: label -> its priority (None: none), as :func:`v.priority` and :func:`v.read_priority`
#: read it in a column whose scale is numbered from the most urgent
TABLE: dict[str, int | None] = {
    # the defect: a number outside 1..5 read by its first digit
    "P12": None, "P345": None, "P1000": None, "p12": None, "P10": None, "P55": None,
    "P12 - High": None, "P21 - Low": None, "P1.5": None, "P1,000": None, "P3.5 - Medium": None,
    # outside the scale already
    "P6": None, "P0": None, "P01": None, "0 - Critical": None, "10 - Low": None, "42": None,
    "12": None, "1.5": None, "6": None,
    # read as before
    "1": 1, "2": 2, "5": 5, "01": 1, "P1": 1, "P2": 2, "p3": 3, "P4": 4, "P5": 5,
    "P3.0": 3, "P3.": 3, "P2 - High": 2, "P1, High": 1, "p1a": 1,
    "1 - Critical": 1, "2 - High": 2, "3 - Moderate": 3, "4 - Low": 4, "5 - Planning": 5,
    "3.0 - medium": 3, "3.00": 3, "  4  ": 4,
    "High": 2, "high": 2, "Critical": 1, "Urgent": 1, "Highest": 1, "Blocker": 1,
    "Medium": 3, "Normal": 3, "Moderate": 3, "Low": 4, "Lowest": 5, "Trivial": 5,
    "Planning": 5, "high 2": 2, "high.5": 2, "High-Priority": 2,
    # not read before either, and still not
    "Priority 2": None, "P 1": None, "P-1": None, "high2": None, "Hoch": None, "": None,
}


def _ints(out: pd.Series) -> list[int | None]:
    return [None if pd.isna(x) else int(x) for x in out]


def test_the_reviewers_labels() -> None:
    out = v.priority(pd.Series(["P12", "P345", "P1000", "P6"]))
    assert _ints(out) == [None, None, None, None]
    assert str(out.dtype) == "Int8"


@pytest.mark.parametrize(("label", "want"), list(TABLE.items()))
def test_each_label_reads_as_the_table_says(label: str, want: int | None) -> None:
    assert _ints(v.priority(pd.Series([label], dtype=m.STRING_DTYPE))) == [want]
    warnings: list[str] = []
    got = _ints(v.read_priority(pd.Series([label], dtype=m.STRING_DTYPE), warnings))
    assert got == [want]
    assert any("left without priority" in w for w in warnings) == (want is None)


def test_a_whole_column_reads_as_the_table_says_and_counts_what_it_left() -> None:
    labels = list(TABLE)
    warnings: list[str] = []
    got = _ints(v.read_priority(pd.Series(labels, dtype=m.STRING_DTYPE), warnings))
    assert dict(zip(labels, got, strict=True)) == TABLE
    assert not any("least urgent" in w for w in warnings)
    (note,) = [w for w in warnings if "left without priority" in w]
    unread = sum(want is None for want in TABLE.values())
    assert note.startswith(f"priority: {unread} tickets with values outside its vocabulary")


def test_the_warning_names_the_labels_no_longer_read() -> None:
    warnings: list[str] = []
    raw = pd.Series(["P12"] * 3 + ["P345"] * 2 + ["P1"] * 4, dtype=m.STRING_DTYPE)
    got = _ints(v.read_priority(raw, warnings))
    assert got == [None] * 5 + [1] * 4
    assert warnings == ["priority: 5 tickets with values outside its vocabulary, left "
                        "without priority: 'P12' (3), 'P345' (2)"]


def test_a_scale_numbered_from_the_least_urgent_reads_as_before() -> None:
    # the inverted rule of read_priority: words decide, a P label outside it is no priority
    labels = ["1 very low", "2 low", "3 normal", "4 high", "5 very high", "3", "P12", "P2"]
    warnings: list[str] = []
    got = _ints(v.read_priority(pd.Series(labels, dtype=m.STRING_DTYPE), warnings))
    assert got == [5, 4, 3, 2, 1, 3, None, 2]
    assert any("least urgent" in w for w in warnings)
    assert any("'P12' (1)" in w and "left without priority" in w for w in warnings)


def test_a_mapped_export_leaves_p12_empty_and_says_so(tmp_path: Path) -> None:
    by_label, warnings = shapes.mapped_priorities(
        tmp_path, ["P1", "P2", "P12", "P345", "P3", "P1000"])
    assert by_label == {"P1": 1, "P2": 2, "P12": None, "P345": None, "P3": 3, "P1000": None}
    notes = [w for w in warnings if "left without priority" in w]
    assert len(notes) == 1 and notes[0].startswith("priority: 3 tickets with values")
    assert all(f"'{x}' (1)" in notes[0] for x in ("P12", "P345", "P1000"))


_OUTSIDE = st.one_of(st.integers(min_value=6, max_value=10**12), st.just(0))


@settings(max_examples=300, deadline=None)
@given(n=_OUTSIDE, shape=st.sampled_from(["P{n}", "p{n}", "{n}", "P{n} - {w}", "{n} - {w}",
                                          "{n}.0 - {w}", "P{n}.0", " {n} {w}", "P{n}{w}"]),
       word=st.sampled_from(["Critical", "High", "Medium", "Low", "Planning", "urgent",
                             "p1", "P3", "very high", "sehr niedrig", "x"]),
       zeros=st.integers(min_value=0, max_value=2))
@example(n=12, shape="P{n}", word="x", zeros=0)
@example(n=345, shape="P{n}", word="x", zeros=0)
@example(n=1000, shape="P{n}", word="x", zeros=0)
def test_no_number_outside_the_scale_is_ever_a_priority(n: int, shape: str, word: str,
                                                        zeros: int) -> None:
    label = shape.format(n="0" * zeros + str(n), w=word)
    raw = pd.Series([label], dtype=m.STRING_DTYPE)
    assert _ints(v.priority(raw)) == [None], label
    warnings: list[str] = []
    assert _ints(v.read_priority(raw, warnings)) == [None], label
    assert any("left without priority" in w for w in warnings), label


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=1, max_value=5),
       shape=st.sampled_from(["P{n}", "p{n}", "{n}", "P{n} - {w}", "{n} - {w}",
                              "{n}.0 - {w}", "P{n}.0"]),
       word=st.sampled_from(["Critical", "High", "Medium", "Low", "x"]))
def test_every_number_on_the_scale_still_is_one(n: int, shape: str, word: str) -> None:
    label = shape.format(n=n, w=word)
    assert _ints(v.priority(pd.Series([label], dtype=m.STRING_DTYPE))) == [n], label
