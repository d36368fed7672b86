"""A caller's frame is read as a file is: its text cells trimmed, and a blank cell or a
missing-value token read as missing. Before, ``diagnose_frames`` kept ``""`` and ``" "``
as values: a problem link column of blanks (a ``fillna("")`` frame) made recurrence's
"what would answer" say "some ticket fills each" where the file route says the column is
there but empty, and a blank channel or change type was refused as a value outside the
vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.frames import read_frames
from itsm_diag.render.json import render

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "servicenow"


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    loaded = api._load([SAMPLE], api.RunOptions())
    return loaded.tickets, loaded.events


def _report(tickets: pd.DataFrame, events: pd.DataFrame) -> dict:
    return json.loads(render(api.diagnose_frames(tickets, events)))


def _column(t: pd.DataFrame, value: object) -> pd.Series:
    return pd.Series([value] * len(t), index=t.index, dtype=object)


@pytest.mark.parametrize("blank", ["", " ", "\t", "N/A", "-"])
@pytest.mark.parametrize("column", [m.PROBLEM_REF, m.KNOWLEDGE_REF, m.CHANNEL,
                                    m.CHANGE_TYPE])
def test_a_blank_column_reads_as_an_empty_one(sample: tuple[pd.DataFrame, pd.DataFrame],
                                              column: str, blank: str) -> None:
    t, e = sample
    empty = _report(t.assign(**{column: _column(t, None)}), e)
    blanks = t.assign(**{column: _column(t, blank)})
    before = blanks.copy()
    assert _report(blanks, e) == empty
    pd.testing.assert_frame_equal(blanks, before)  # the caller's frame is not changed


def test_the_problem_link_advice_names_the_empty_column(
        sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    t, e = sample
    signs = {f["id"]: f for f in _report(t.assign(**{m.PROBLEM_REF: _column(t, "")}), e)
             ["signs"]}
    said = signs["recurrence"]["what_would_answer"]
    assert signs["recurrence"]["status"] == "unknown"
    assert "problem_ref" in said and "some ticket fills each" not in said


def test_padded_text_reads_as_its_trimmed_value(
        sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    t, e = sample
    padded = t.assign(**{c: ("  " + t[c].astype(object) + " ").where(t[c].notna(), None)
                         for c in (m.CATEGORY, m.ASSIGNMENT_GROUP, m.SUMMARY)},
                      **{m.STATUS: t[m.STATUS].astype(object).where(
                          t[m.STATUS].isna(), " " + t[m.STATUS].astype(object))})
    assert _report(padded, e) == _report(t, e)


def test_event_text_is_read_as_a_files(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    t, e = sample
    third = pd.Series(range(len(e)), index=e.index) % 3 == 0
    missing = e.assign(**{m.EV_VALUE: e[m.EV_VALUE].astype(object).mask(third, None)})
    padded = e.assign(**{m.EV_VALUE: ("  " + e[m.EV_VALUE].astype(object)).mask(third, " ")})
    read = read_frames(t, padded, ImportOptions()).events
    want = read_frames(t, missing, ImportOptions()).events
    assert read[m.EV_VALUE].isna().sum() == int(third.sum()) > 0
    pd.testing.assert_series_equal(read[m.EV_VALUE], want[m.EV_VALUE])


def test_padded_categories_read_as_their_trimmed_value(
        sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A categorical column is read category by category: a padded or blank category
    reads as the file's cell would."""
    t, e = sample
    status = t[m.STATUS].astype(object)
    padded = t.assign(**{m.STATUS: pd.Categorical((" " + status).where(status.notna(), " ")),
                         m.CHANNEL: pd.Categorical(t[m.CHANNEL].astype(object)
                                                   .where(t[m.CHANNEL].notna(), "N/A"))})
    blanked = t.assign(**{m.STATUS: t[m.STATUS]})
    assert _report(padded, e) == _report(blanked, e)
