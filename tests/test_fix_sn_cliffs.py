"""Review 4's ServiceNow history cliffs (items 6, 3, 7): the typed and vectorised paths give
exactly what the old code paths gave.

Each old path is kept here verbatim (as it was at 441f599) and run side by side with the
new one on inputs built to reach the edges: missing ids, times and values, time zones,
ties, one ticket, nothing at all; journal cells with lines that start with a time but are
no header, headers without a newline, digits outside 0-9, several Arrow chunks.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from itsm_diag import model as m
from itsm_diag.analyses import flow
from itsm_diag.analyses._util import ids_of, top_rows_per_key
from itsm_diag.errors import DateFormatError
from itsm_diag.importers import servicenow as sn
from itsm_diag.importers import values as v
from itsm_diag.importers.base import ImportOptions, parse_dates
from itsm_diag.importers.readers import RawTable
from itsm_diag.importers.roles import comment_roles

# ---- the old code paths ------------------------------------------------------------------


def old_collapse_log(cols: dict[str, pd.Series], counter: str | None
                     ) -> tuple[pd.Series, pd.DataFrame, str]:
    ids = cols[m.TICKET_ID]
    n = len(ids)
    rank = m.dense_ranks(ids.astype(m.STRING_DTYPE))
    present = ~ids.isna().to_numpy(dtype=bool)
    keys: list[np.ndarray] = [np.arange(n)]
    if m.UPDATED_AT in cols:
        keys.append(cols[m.UPDATED_AT].to_numpy(dtype="datetime64[us]"))
    if "_counter" in cols:
        keys.append(pd.to_numeric(cols["_counter"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan))
    keys.append(rank)
    pos = np.lexsort(keys)
    pos = pos[present[pos]]
    sorted_rank = rank[pos]
    last = np.r_[sorted_rank[1:] != sorted_rank[:-1], True] if len(pos) else np.zeros(
        0, dtype=bool)
    keep = pd.Series(False, index=ids.index)
    keep.iloc[pos[last]] = True
    events = []
    same_ticket = np.r_[False, sorted_rank[1:] == sorted_rank[:-1]] if len(pos) else \
        np.zeros(0, dtype=bool)
    ticket = ids.iloc[pos].reset_index(drop=True)
    at = cols[m.UPDATED_AT].iloc[pos].to_numpy() if m.UPDATED_AT in cols else None
    for canon, kind in ((m.STATUS_RAW, "status"), (m.ASSIGNMENT_GROUP, "assignment")):
        if canon not in cols or at is None:
            continue
        val = cols[canon].iloc[pos].reset_index(drop=True)
        changed = val.ne(val.shift()) | ~same_ticket
        changed = changed.fillna(True) & val.notna()
        events.append(pd.DataFrame({
            m.EV_TICKET_ID: ticket.astype("object")[changed],
            m.EV_AT: pd.Series(at)[changed],
            m.EV_KIND: kind,
            m.EV_AUTHOR_ROLE: pd.NA,  # whose update: unknown (review 21a reader)
            m.EV_AUTHOR: pd.NA,
            m.EV_VALUE: val[changed],
        }))
    ev = pd.concat(events, ignore_index=True) if events else m.empty_events()
    n_tickets = int(last.sum())
    note = (f"audit log: {n:,} update rows collapsed to {n_tickets:,} tickets (latest row per "
            f"number{', by ' + counter if counter else ''}); history kept as {len(ev):,} events")
    return keep, ev, note


def old_journal_events(journal: pd.Series, ids: pd.Series, requester: pd.Series | None,
                       raw: RawTable, options: ImportOptions) -> pd.DataFrame:
    has = journal.notna()
    if not has.any():
        return m.empty_events()
    parts = journal[has].astype(str).str.extractall(sn._JOURNAL_RE.pattern,
                                                     flags=re.M | re.S)
    if parts.empty:
        return m.empty_events()
    row = parts.index.get_level_values(0)
    tid = ids.loc[row].to_numpy(dtype=object)
    author = parts["author"].str.strip()
    label = f"{journal.name} (the times of its entries)"
    stamp = RawTable(path=raw.path, frame=pd.DataFrame({label: parts["at"].reset_index(drop=True)}),
                     first_data_row=raw.first_data_row)
    try:
        parsed, _, _ = parse_dates(stamp, {"at": label}, options)
    except DateFormatError as exc:
        if exc.row is not None and 0 <= exc.row - raw.first_data_row < len(row):
            exc.row = raw.first_data_row + int(row[exc.row - raw.first_data_row])
        raise
    return pd.DataFrame({
        m.EV_TICKET_ID: tid,
        m.EV_AT: parsed["at"].to_numpy(),
        m.EV_KIND: np.where(parts["type"].to_numpy() == "Work notes", "worklog", "comment"),
        # the role rule since review 21 (importers.roles, tested in
        # test_fix_review21_chasers*): this test keeps the parsing as before
        m.EV_AUTHOR_ROLE: comment_roles(
            author.reset_index(drop=True),
            None if requester is None else requester.loc[row].reset_index(drop=True),
            (parts["type"] == "Work notes").to_numpy(), None, [], requester_label="",
            hint="").to_numpy(),
        m.EV_AUTHOR: author.to_numpy(),
        m.EV_VALUE: parts["text"].str.strip().to_numpy(),
    })


def old_ids_by(ctx: Any, top: dict[int, np.ndarray], index: pd.Index) -> list[list[str]]:
    return [ids_of(ctx, top.get(int(code), [])) for code in index]


def old_first_rows(keys: np.ndarray, rows: np.ndarray, k: int, idr: np.ndarray
                   ) -> dict[int, np.ndarray]:
    # per key its first k distinct rows by the ticket's id rank (review 18b: the samples
    # follow the ids, not the export's row order), then by row
    if not len(keys):
        return {}
    frame = pd.DataFrame({"key": keys, "row": rows}, copy=False).drop_duplicates()
    frame = frame.assign(rank=idr[frame["row"].to_numpy()])
    frame = frame.sort_values(["key", "rank", "row"]).groupby("key").head(k)
    return {int(key): grp.to_numpy() for key, grp in frame.groupby("key")["row"]}


# ---- 6: the audit log's collapse ------------------------------------------------------------

def _text(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype=m.STRING_DTYPE)


def _log(ids: list[Any], at: list[Any] | None, state: list[Any] | None = None,
         group: list[Any] | None = None, counter: list[Any] | None = None,
         tz: str = "UTC") -> dict[str, pd.Series]:
    cols = {m.TICKET_ID: _text(ids)}
    if at is not None:
        cols[m.UPDATED_AT] = pd.Series(pd.to_datetime(at)).dt.tz_localize(tz)
    if state is not None:
        cols[m.STATUS_RAW] = _text(state)
    if group is not None:
        cols[m.ASSIGNMENT_GROUP] = _text(group)
    if counter is not None:
        cols["_counter"] = _text(counter)
    return cols


LOGS = {
    "plain": _log(["INC2", "INC1", "INC2", "INC1", "INC2"],
                  ["2024-01-01 10:00", "2024-01-01 09:00", "2024-01-02 10:00",
                   "2024-01-01 09:30", "2024-01-03 10:00"],
                  ["New", "New", "Active", "New", "Resolved"],
                  ["A", "A", "B", "A", "B"], ["0", "0", "1", "1", "2"]),
    "missing": _log(["INC1", None, "INC1", "INC1", "INC2", "INC2", None],
                    ["2024-01-01 10:00", "2024-01-01 11:00", None, "2024-01-01 12:00",
                     None, None, None],
                    ["New", "Active", None, "Active", "New", None, "x"],
                    [None, "A", "A", None, "B", "B", None],
                    ["3", None, "x", " 5", "", "1e3", None]),
    "ties": _log(["INC1"] * 4 + ["INC2"] * 3,
                 ["2024-03-31 01:30"] * 7,
                 ["New", "Active", "Active", "New", "A", "A", "a"],
                 ["G", "g", "G", "G ", "H", "H", "H"],
                 ["1", "1", "1", "1", "2", "2", "2"], tz="Europe/Berlin"),
    "one ticket": _log(["INC9"] * 3, ["2024-01-01", "2024-01-02", "2024-01-02"],
                       ["New", "New", "Closed"], ["A", "B", "A"], ["0", "1", "1"]),
    "no counter": _log(["INC1", "INC1", "INC2"], ["2024-01-02", "2024-01-01", "2024-01-01"],
                       ["Closed", "New", "New"], ["A", "A", "A"]),
    "no times": _log(["INC1", "INC1"], None, ["New", "Closed"], ["A", "B"], ["0", "1"]),
    "no values": _log(["INC1", "INC1"], ["2024-01-01", "2024-01-02"]),
    "all missing": _log([None, None], [None, None], [None, None], [None, None], [None, None]),
    "counter numbers": _log(["INC1", "INC1", "INC1"], ["2024-01-01"] * 3, ["a", "b", "c"],
                            None, ["10", "9", "9.5"]),
    "empty": _log([], [], [], [], []),
}


@pytest.mark.parametrize("name", sorted(LOGS))
def test_collapse_log_as_before(name: str) -> None:
    cols = LOGS[name]
    keep0, ev0, note0 = old_collapse_log(dict(cols), "sys_mod_count")
    keep1, ev1, note1, lone = sn._collapse_log(dict(cols), "sys_mod_count")
    ids = cols[m.TICKET_ID]
    # each row's number has one row: what the importer dates a lone resolved row by
    counts = ids.value_counts()
    assert lone.tolist() == ids.map(counts).eq(1).fillna(False).tolist()
    pd.testing.assert_series_equal(keep1, keep0)
    # a number with a single row has no history since review 13 (its one row stamped a
    # status at its update time, which the backlog read as history): the old events of
    # the numbers with two or more rows, and the note's count of them and of the others
    ids = cols[m.TICKET_ID]
    several = set(ids[ids.duplicated(keep=False)].dropna())
    ev0 = ev0[ev0[m.EV_TICKET_ID].isin(several)].reset_index(drop=True)
    pd.testing.assert_frame_equal(m.conform_events(ev1), m.conform_events(ev0))
    single = int(ids.dropna().nunique()) - len(several)
    assert note1.startswith(note0.split("; history kept as")[0]), (note1, note0)
    assert f"history kept as {len(ev1):,} events" in note1
    if single:
        assert f"{single:,} number" in note1, note1


def test_numbers_as_to_numeric() -> None:
    for values in (["1", " 2 ", "x", None, "", "1e3", "-4", "007", "2.50", "nan", "inf"],
                   [None], [], ["3"] * 5):
        s = _text(values)
        want = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        got = v.number(s).to_numpy(dtype="float64", na_value=np.nan)  # what the log uses
        np.testing.assert_array_equal(got, want)


# ---- 3: the comment journal -------------------------------------------------------------------

H = "2024-01-0{d} 10:0{d}:00 - {who} ({kind})\n"

CELLS = [
    # two entries, newest first, with blank lines
    H.format(d=2, who="Ann Lee", kind="Additional comments") + "second\n\n"
    + H.format(d=1, who="Bob", kind="Work notes") + "first\n",
    # a line that starts with a time but is no header ends the entry before it; the text
    # after it belongs to no entry
    H.format(d=3, who="Ann Lee", kind="Comments") + "see\n2024-01-03 09:00 the log said\n"
    "more\n" + H.format(d=4, who="Cy", kind="Work notes") + "x",
    # text before the first header, an empty text, a header at the very end with no newline
    "preface\n" + H.format(d=5, who="Ann Lee", kind="Comments")
    + H.format(d=6, who="Dee", kind="Comments") + "\n  \n"
    + "2024-01-07 10:00 - Eve (Comments)",
    # AM/PM, no seconds, other separators, a name with " - ", a blank name
    "1/2/2024 10:00 AM - Al - Ops (Additional comments)\nam\n"
    "02.01.2024 10:00 -   (Comments)\nblank name\n"
    "2024-01-02T10:00 - Zed (Comments)\nT\n",
    # not a header: no space before "(", an unknown type, a "(" in the name, CRLF
    "2024-01-01 10:00 - Al(Comments)\nno\n2024-01-01 10:00 - Al (Notes)\nno\n"
    "2024-01-01 10:00 - A (x) (Comments)\nno\n2024-01-01 10:00 - Al (Comments)\r\nno\r\n",
    # non-ASCII names and text, an emoji, a private-use character
    H.format(d=8, who="José Ñúñez", kind="Comments") + "ça va \U0001F600 \ue000\n",
    # Arabic-Indic digits in a time: Python's \d reads them
    "٢٠٢٤-٠١-٠٩ ١٠:٠٠ - Ann Lee (Comments)\nArabic\n" + H.format(d=9, who="B", kind="Comments")
    + "after\n",
    "",
    "no entry at all",
    H.format(d=1, who="ann lee", kind="Additional comments") + "requester, other case\n",
    # a blank name: the requester's when the export has no requester column
    H.format(d=5, who=" ", kind="Comments") + "blank\n" + H.format(d=5, who=" ", kind="Work notes"),
]


EDGES = [
    None, "", "no entry", CELLS[0], "2024-01-01 10:00 - A (Comments)",
    "2024-01-01 10:00 - A (Comments)\n", "\n\n\n",
    "１２/０１/２０２４ 10:00 - Full Width (Comments)\nwide\n",
]


def _journal(cells: list[Any], chunks: int = 1, large: bool = False,
             requester: list[Any] | bool | None = True) -> tuple[pd.Series, ...]:
    n = len(cells)
    typ = pa.large_string() if large else pa.string()
    size = max(1, -(-n // chunks))
    arrow = pa.chunked_array([pa.array(cells[i:i + size], typ) for i in range(0, n, size)]
                             or [pa.array([], typ)], typ)
    journal = pd.Series(pd.array(arrow, dtype=m.STRING_DTYPE), name="comments_and_work_notes",
                        index=pd.RangeIndex(n) + 3)
    ids = pd.Series([f"INC{i:07d}" for i in range(n)], dtype=m.STRING_DTYPE, index=journal.index)
    req = None
    if requester is True:
        req = pd.Series([" Ann LEE " if i % 2 == 0 else None for i in range(n)],
                        dtype=m.STRING_DTYPE, index=journal.index)
    elif isinstance(requester, list):
        req = pd.Series(requester, dtype=m.STRING_DTYPE, index=journal.index)
    return journal, ids, req


def _outcome(fn: Any, journal: pd.Series, ids: pd.Series, req: pd.Series | None,
             options: ImportOptions) -> Any:
    """The events (typed), or the date error's row and words."""
    raw = RawTable(path="x.csv", frame=pd.DataFrame({journal.name: journal}), first_data_row=2)
    try:
        return m.conform_events(fn(journal, ids, req, raw, options))
    except DateFormatError as exc:
        return (exc.row, str(exc))


def _both(journal: pd.Series, ids: pd.Series, req: pd.Series | None,
          options: ImportOptions | None = None) -> tuple[Any, Any]:
    opts = options or ImportOptions()
    return (_outcome(old_journal_events, journal, ids, req, opts),
            _outcome(sn._journal_events, journal, ids, req, opts))


def _same(old: Any, new: Any) -> None:
    if isinstance(old, pd.DataFrame):
        assert isinstance(new, pd.DataFrame)
        pd.testing.assert_frame_equal(new, old)
    else:
        assert new == old


def _parts(cells: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """The old groups (str.extractall's) with each entry's cell position."""
    parts = cells.str.extractall(sn._JOURNAL_RE.pattern, flags=re.M | re.S)
    cell = pd.Index(cells.index).get_indexer(parts.index.get_level_values(0))
    return cell, parts.reset_index(drop=True)


@pytest.mark.parametrize("chunks", [1, 3])
@pytest.mark.parametrize("large", [False, True])
def test_journal_entries_as_extractall(chunks: int, large: bool) -> None:
    """Every layout of CELLS, the groups compared before any date is read."""
    journal, _, _ = _journal([*CELLS, None, *CELLS[::-1], *EDGES], chunks, large)
    cells = journal[journal.notna()].astype(str)
    cell0, parts0 = _parts(cells)
    split = sn._journal_split(cells)
    assert split is not None
    cell1, parts1 = split
    assert len(parts0) >= 30 and parts0["text"].isna().any()
    np.testing.assert_array_equal(cell1, cell0)
    pd.testing.assert_frame_equal(parts1, parts0, check_column_type=False)


@pytest.mark.parametrize("chunks", [1, 3])
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("requester", [True, None])
def test_journal_as_before(chunks: int, large: bool, requester: bool | None) -> None:
    """The events, on cells whose times share one layout."""
    one = [c for i, c in enumerate(CELLS) if i not in (3, 6)]  # other layouts
    cells = [*one, None, *one[::-1]]
    old, new = _both(*_journal(cells, chunks, large, requester),
                     ImportOptions(date_format="%Y-%m-%d %H:%M:%S"))
    assert isinstance(old, pd.DataFrame) and len(old) > 15
    # without a caller column no comment is a requester's (review 21: unknown instead)
    assert old[m.EV_VALUE].isna().any() and (
        requester is None) != old[m.EV_AUTHOR_ROLE].eq("requester").any()
    assert old[m.EV_KIND].eq("worklog").any() and old[m.EV_AUTHOR_ROLE].eq("agent").any()
    _same(old, new)


def test_journal_mixed_layouts_error_as_before() -> None:
    old, new = _both(*_journal(CELLS))
    assert isinstance(old, tuple) and old[0] is not None
    assert new == old


@pytest.mark.parametrize("cells", [[None, None]] + [[c] for c in EDGES])
def test_journal_edges_as_before(cells: list[Any]) -> None:
    old, new = _both(*_journal(cells))
    _same(old, new)


def test_journal_fast_path_taken() -> None:
    """The entries come from the Arrow path (not the old regex) for ordinary cells, and
    from the old regex only where a digit could be read two ways."""
    journal, _, _ = _journal(CELLS[:6])
    assert sn._journal_split(journal.astype(str)) is not None
    assert sn._re2_knows_python_digits()


def test_journal_date_error_names_the_cell_row() -> None:
    cells = [H.format(d=1, who="A", kind="Comments") + "ok\n", None,
             "2024-01-01 10:00:00 - A (Comments)\nok\n2024-99-99 10:00:00 - B (Comments)\nbad\n"
             "2024-98-99 10:00:00 - B (Comments)\nbad\n"]
    old, new = _both(*_journal(cells))
    assert isinstance(old, tuple) and old[0] is not None
    assert new == old


def test_journal_many_entries_as_before() -> None:
    rng = np.random.default_rng(7)
    kinds = ["Additional comments", "Work notes", "Comments"]
    cells: list[Any] = []
    for i in range(300):
        if i % 17 == 0:
            cells.append(None)
            continue
        parts = []
        for j in range(int(rng.integers(0, 6))):
            who = ["Ann Lee", "Bob", "ann lee "][int(rng.integers(0, 3))]
            parts.append(f"2024-0{1 + j % 9}-1{j % 10} 0{j % 10}:1{j % 6} - {who} "
                         f"({kinds[int(rng.integers(0, 3))]})\nline {i} {j}\n"
                         + ("2024-01-01 00:00 stray\n" if rng.random() < 0.2 else "")
                         + ("\n" if rng.random() < 0.5 else ""))
        cells.append("".join(parts))
    old, new = _both(*_journal(cells, chunks=4))
    assert isinstance(old, pd.DataFrame) and len(old) > 300
    _same(old, new)


# ---- 7: the flow's sample ids --------------------------------------------------------------

def _ctx(n: int) -> Any:
    ids = pd.Series(pa.chunked_array([pa.array([f"T{i}" for i in range(c, min(c + 7, n))])
                                      for c in range(0, n, 7)] or [pa.array([], pa.string())]))
    ids = ids.astype(m.STRING_DTYPE)
    # "T10" sorts before "T2": the id ranks are not the row order
    return SimpleNamespace(tickets=pd.DataFrame({m.TICKET_ID: ids}),
                           id_ranks=(m.dense_ranks(ids), None))


@pytest.mark.parametrize("k", [1, 2, 5, 50])
@pytest.mark.parametrize("case", ["ties", "random", "one", "empty", "absent keys"])
def test_ids_by_as_before(k: int, case: str) -> None:
    rng = np.random.default_rng(3)
    ctx = _ctx(40)
    if case == "ties":
        keys = np.array([2, 0, 2, 2, 0, 1, 2, 2])
        order_by = np.array([1.0, 3.0, 1.0, 2.0, 3.0, 0.0, 2.0, 1.0])
    elif case == "random":
        keys = rng.integers(0, 9, 200)
        order_by = rng.integers(0, 4, 200).astype(float)
    elif case == "one":
        keys, order_by = np.array([4]), np.array([0.0])
    elif case == "absent keys":  # keys 4..8 present; the index also asks for 0, 3 and 11
        keys = rng.integers(4, 9, 50)
        order_by = rng.integers(0, 4, 50).astype(float)
    else:
        keys, order_by = np.zeros(0, np.int64), np.zeros(0)
    rows = rng.integers(0, 40, len(keys))
    index = pd.Index(np.unique(np.r_[keys, [0, 11, 3]]) if case == "absent keys"
                     else np.unique(keys))
    want = old_ids_by(ctx, top_rows_per_key(keys, order_by, rows, k, ctx.id_ranks[0][rows]),
                      index)
    assert flow._ids_by(ctx, keys, order_by, rows, k, index) == want


@pytest.mark.parametrize("k", [1, 3, 100])
def test_first_rows_as_before(k: int) -> None:
    rng = np.random.default_rng(5)
    ctx = _ctx(30)
    for n in (0, 1, 300):
        keys = rng.integers(0, 12, n) * 1000 + 7
        rows = rng.integers(0, 30, n)
        idr = ctx.id_ranks[0]
        old = old_first_rows(keys, rows, k, idr)
        wanted = np.r_[np.unique(keys)[::-1], [5, 123456]]
        want = [ids_of(ctx, old.get(int(p), [])) for p in wanted]
        assert flow._ids_per_key(ctx, *flow._first_rows(keys, rows, k, idr), wanted) == want
