"""The import path's fast paths give the same result as the plain ones they replace.

Normalisers run on distinct values, the CSV reader tries pyarrow's faster parser when
the head shows no multi-line cells, cells are trimmed in Arrow, XLSX columns become text
with Arrow compute, conform_tickets passes typed columns through, and ``itsm-diag signs``
reads titles without the rule models.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from itsm_diag import model as m
from itsm_diag.errors import ModelError
from itsm_diag.importers import readers
from itsm_diag.importers import values as v
from itsm_diag.importers.readers import read_raw

S = m.STRING_DTYPE
MESSY = ["3 - Moderate", " 2 - High", "P1", "critical", None, "", "x", "Low", "1,234", "3.0",
         "yes", "no", "Within SLA", "1 Day 2 Hours 15 Minutes", "01:30:00", "3600",
         "Self-service", "e_mail", "Walk-in", "unknown thing", "7", "0", "-5", "  Email  "]


def _per_row(fn, s: pd.Series, *args: object) -> pd.Series:  # type: ignore[no-untyped-def]
    """``fn`` (a per_value wrapper) on every row: the reference result."""
    return fn.__wrapped__(s, *args)


@pytest.mark.parametrize("dtype", [S, object])
@pytest.mark.parametrize("name,args", [
    ("priority", ()), ("boolean", ()), ("integer", ()), ("integer", ("Int8",)),
    ("hours_from_duration", ()), ("channel", ()), ("fold", ()),
    ("map_vocab", ({"Within-SLA": "a", "p1": "b", "E Mail": "c"},)),
])
def test_normalisers_on_distinct_values_match_per_row(dtype: object, name: str,
                                                      args: tuple[object, ...]) -> None:
    rng = np.random.default_rng(0)
    s = pd.Series(rng.choice(np.array(MESSY, dtype=object), 400), dtype=dtype,
                  index=np.arange(1000, 1400))
    fn = getattr(v, name)
    got = fn(s, *args)
    pd.testing.assert_series_equal(got, _per_row(fn, s, *args), check_names=False)
    assert got.index.equals(s.index)
    empty = pd.Series([], dtype=dtype)
    assert len(fn(empty, *args)) == 0


MULTILINE = "line one\nline, two\r\nthree"


def _comments_csv(path: Path, rows: int, first_multiline: int | None) -> list[str]:
    """A CSV of ``rows`` tickets whose comments hold line breaks from row
    ``first_multiline`` on (every third row stays one line); the comments written."""
    comments = ["plain" if first_multiline is None or i < first_multiline
                else (MULTILINE if i % 3 else "x") for i in range(rows)]
    path.write_text("number,opened_at,short_description,comments\n" + "".join(
        f'INC{i:07d},2024-01-01 10:00:00,"desc {i}","{c}"\n' for i, c in enumerate(comments)),
        encoding="utf-8")
    return comments


def _newline_flags(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record the ``newlines_in_values`` of every pyarrow read the CSV reader makes."""
    once = readers._arrow_csv_once
    flags: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        flags.append(inspect.signature(once).bind(*args, **kwargs)
                     .arguments["newlines_in_values"])
        return once(*args, **kwargs)

    monkeypatch.setattr(readers, "_arrow_csv_once", spy)
    return flags


#: every row is over 40 bytes: this many fill the head sample that read_raw sniffs
PAST_THE_SAMPLE = readers._SAMPLE_BYTES // 40


@pytest.mark.parametrize(("first_multiline", "reads"), [
    (PAST_THE_SAMPLE, [False, True]),  # fast parser first; the later cells send it back
    (None, [False]),  # no line break anywhere: the fast parser's table is kept
    (1, [True]),  # the head shows one: straight to the multi-line parser
])
def test_csv_with_multiline_cells_after_the_head_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_multiline: int | None,
        reads: list[bool]) -> None:
    path = tmp_path / "late_multiline.csv"
    rows = PAST_THE_SAMPLE + 3_000
    comments = _comments_csv(path, rows, first_multiline)
    data = path.read_bytes()
    if first_multiline == PAST_THE_SAMPLE:  # the head sample really holds no line break
        assert data.index(MULTILINE.encode()) > readers._SAMPLE_BYTES
    flags = _newline_flags(monkeypatch)
    frame = read_raw(path)[0].frame
    assert flags == reads
    assert frame["comments"].tolist() == comments
    assert frame["number"].tolist() == [f"INC{i:07d}" for i in range(rows)]


def test_padded_tokens_and_blanks_become_null_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_text("number,state,priority\nINC0000001,  Closed  , - \n"
                    "INC0000002,\t,N/A\nINC0000003,New,3\n", encoding="utf-8")
    frame = read_raw(path)[0].frame
    assert frame["state"].tolist()[0] == "Closed"
    assert frame["state"].isna().tolist() == [False, True, False]
    assert frame["priority"].isna().tolist() == [True, True, False]
    assert frame["number"].dtype == S


def test_conform_passes_typed_columns_through_and_checks_vocabularies() -> None:
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: pd.Series(["A1", "A2", "A3"], dtype=S),
        m.KIND: ["incident", None, "change"],
        m.STATUS: pd.Series(["open", "closed", pd.NA], dtype=S),
    }))
    assert tickets[m.KIND].tolist()[0] == "incident" and pd.isna(tickets[m.KIND][1])
    assert list(tickets[m.STATUS].cat.categories) == list(m.STATUSES)
    again = m.conform_tickets(tickets)
    dtypes = m.ticket_dtypes()
    for col, family in m.TICKET_SCHEMA.items():
        assert again[col].dtype == tickets[col].dtype
        series = tickets[col]
        assert m._coerce(series, family, dtypes[col], col) is series  # no copy, no cast
    assert again[m.SUMMARY].isna().all() and again[m.SUMMARY].dtype == S
    with pytest.raises(ModelError, match="outside its vocabulary"):
        m.conform_tickets(pd.DataFrame({m.TICKET_ID: ["A1"], m.STATUS: ["weird"]}))


def test_signs_fast_listing_matches_the_validated_rules() -> None:
    from typer.testing import CliRunner

    from itsm_diag.cli import app

    # the validated path: typer's runner calls the `signs` command itself
    validated = CliRunner().invoke(app, ["signs"])
    assert validated.exit_code == 0
    out = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['itsm-diag', "
                          "'signs']; from itsm_diag.__main__ import main; main(); "
                          "print(sorted({'pydantic', 'typer'} & set(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    fast, loaded = out.rsplit("\n", 2)[0] + "\n", out.splitlines()[-1]
    assert fast == validated.stdout
    assert fast.startswith("1. backlog") and "Extra checks (not scored):" in fast
    assert loaded == "[]"  # neither the rule models nor the command line were loaded


_TEXT = st.one_of(st.none(), st.sampled_from(["INC0010001", "CHG0030002", "RITM00001",
                                              "PROJ-12", "x", "", "inc0001", "INC01\n",
                                              "SCTASK0000001", "\u0661\u0662"]),
                  st.text(max_size=8))


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(_TEXT, max_size=40), n=st.integers(0, 30),
       arrow=st.booleans())
# the first 4n rows too blank to hold n values: the whole column is read (random lists
# seldom have such a run of blanks)
@example(cells=[None] * 9 + ["INC0010001", "CHG0030002"], n=2, arrow=True)
def test_detection_samples_equal_the_pandas_they_replace(cells: list[str | None], n: int,
                                                         arrow: bool) -> None:
    """head_texts, share_matching and most_common_prefix give what the detectors computed
    with pandas before (``dropna().head(n).astype(str)``, ``str.match().mean()``,
    ``str.extract().mode()``), on Arrow text and on object columns alike."""
    from itsm_diag.importers.base import head_texts, most_common_prefix, share_matching

    values = pd.Series(cells, dtype=S if arrow else object)
    expected = values.dropna().head(n).astype(str)
    texts = head_texts(values, n)
    assert texts == expected.tolist()
    for pattern in (r"^(SCTASK|INC|CHG|RITM)\d{5,}$", r"^[A-Z][A-Z0-9_]+-\d+$", r"\d+$"):
        want = float(expected.str.match(pattern).mean()) if len(expected) else 0.0
        assert share_matching(texts, pattern) == pytest.approx(want)
    prefixes = expected.str.extract(r"^([A-Z]+)\d", expand=False).dropna()
    want_top = str(prefixes.mode().iloc[0]) if len(prefixes) else None
    assert most_common_prefix(texts, r"([A-Z]+)\d") == want_top
