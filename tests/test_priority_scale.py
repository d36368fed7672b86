"""A priority scale numbered from the least urgent up (OTRS, Znuny: "1 very low" .. "5
very high") is read by its words, with a warning; every other scale as before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shapes
from itsm_diag import model as m
from itsm_diag.importers import values as v

OTRS_EN = ["1 very low", "2 low", "3 normal", "4 high", "5 very high"]
OTRS_DE = ["1 sehr niedrig", "2 niedrig", "3 normal", "4 hoch", "5 sehr hoch"]


def read(labels: list[str | None]) -> tuple[list[object], list[str]]:
    warnings: list[str] = []
    out = v.read_priority(pd.Series(labels, dtype=m.STRING_DTYPE), warnings)
    return [None if pd.isna(x) else int(x) for x in out], warnings


@pytest.mark.parametrize("labels", [OTRS_EN, OTRS_DE])
def test_a_scale_numbered_from_the_least_urgent_is_read_by_its_words(
        labels: list[str]) -> None:
    got, warnings = read([*labels, labels[-1], None])
    assert got == [5, 4, 3, 2, 1, 1, None]
    assert any("from the least urgent up" in w for w in warnings)


def test_a_scale_that_holds_only_its_urgent_end_is_still_read_by_its_words() -> None:
    got, _ = read(["3 normal", "4 hoch", "5 sehr hoch", "5 sehr hoch"])
    assert got == [3, 2, 1, 1]


@pytest.mark.parametrize("labels", [
    ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning"],
    ["P1", "P2", "P3"], ["1", "2", "3", "4"], ["High", "Low", "Urgent"],
    # one label with a word says nothing about the order
    ["1 very low", "2", "3"],
    # words on one number only: no pair of labels says an order (review 5)
    ["1 - Critical", "2", "3", "4", "5", "1 - Urgent (VIP)", "1 - High"],
])
def test_every_other_scale_reads_as_before(labels: list[str]) -> None:
    want = v.priority(pd.Series(labels, dtype=m.STRING_DTYPE))
    got, warnings = read(labels)
    assert got == [None if pd.isna(x) else int(x) for x in want]
    assert not any("least urgent" in w for w in warnings)


def test_a_mixed_order_is_not_called_inverted() -> None:
    # "1 high" and "2 low" rise as urgency falls; "3 critical" contradicts: not one order
    got, warnings = read(["1 high", "2 low", "3 critical"])
    assert got == [1, 2, 3]
    assert not any("least urgent" in w for w in warnings)


def test_a_mapped_znuny_export_reads_its_urgent_tickets_as_urgent(tmp_path: Path) -> None:
    by_label, warnings = shapes.mapped_priorities(
        tmp_path, OTRS_DE * 4, ("Ticket#", "Erstellt", "Priorität", "Status"))
    assert by_label["5 sehr hoch"] == 1 and by_label["1 sehr niedrig"] == 5
    assert any("least urgent" in w for w in warnings)


def test_decimal_labels_of_an_inverted_scale_are_read_too() -> None:
    # review 5: "3.0 - medium" is read by priority() as 3; the inverted rule left it empty
    got, warnings = read(["1.0 - very low", "3.0 - medium", "5.0 - very high", "1 very low",
                          "5 very high", "3 medium", "2"])
    assert got == [5, 3, 1, 5, 1, 3, 4]
    assert not any("left without priority" in w for w in warnings)


def test_the_column_keeps_priority_dtype_and_name() -> None:
    raw = pd.Series(OTRS_EN, dtype=m.STRING_DTYPE, name="priority_raw")
    out = v.read_priority(raw, [])
    assert str(out.dtype) == "Int8" and out.name == "priority_raw"


def test_a_scale_the_mapping_maps_whole_is_read_as_mapped_without_a_warning(
        tmp_path: Path) -> None:
    """Every label under the mapping's values.priority: the words were still read over
    the whole column, and the warning said the scale had been "read by their words"
    where nothing was (a review)."""
    got, warnings = shapes.mapped_priorities(
        tmp_path, OTRS_EN, values={label: 5 - i for i, label in enumerate(OTRS_EN)})
    assert got == {"1 very low": 5, "2 low": 4, "3 normal": 3, "4 high": 2, "5 very high": 1}
    assert not any("least urgent" in w for w in warnings)
