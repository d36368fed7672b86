"""Flags and counts that hold the tool's default on every ticket, not a measurement.

ServiceNow writes ``made_sla`` true when no SLA is attached to a ticket, and a
reassignment or reopen count stays 0 where nobody tracks it. Read as data, an export
with ``made_sla`` true and ``reassignment_count`` 0 on all of its 3,000 incidents showed
SLA adherence 100% and first-assignment resolution 100%, and cleared sla-by-priority and
routing with high confidence, while 23% of its done tickets were resolved after their
own due time.

So once every input is combined (:func:`itsm_diag.importers.registry.combine`, which
every importer's tickets pass through), a flag or count column (:data:`COLUMNS`) that
holds one value on every ticket that carries it, over at least :data:`MIN_TICKETS`
tickets, is read as not filled: the KPIs, signs and checks that need it take their own
"no such field" path (a due time, an assignment or status history where the export has
one, else unknown), and one data note per column says so in numbers (worded by
the run's ``defaults.wording``: ``export_default``).

Each table is judged on its own (the inputs of one tool's table together: the chunks of
one export pool their tickets), and the note names its files: ServiceNow's incident
table with ``made_sla`` true on all 1,561 incidents (no incident SLA defined) beside a
requested-item table whose fulfilment SLA was met on 70% read as SLA adherence 89%,
every incident "met", when the one-value test ran on the tables combined; the incident
file alone read it as not filled. Where every table holds the one value, the tables
together are one default (two tables of 150 tickets each, 300 in all).

Only the three canonical flags and counts: a column where one value is normal (``kind``,
``status``, a single priority in a small queue) is never touched. A flag is judged after
its unread values are known: one value read beside values the reading could not read
(``Ja`` beside ``Nee``) is not one value on every ticket that carries the flag; and a
flag read as the default is emptied with its raw column (not left as unread).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from itsm_diag import model as m

#: the canonical flag and count columns (model.TICKET_SCHEMA: the one boolean and the two
#: Int32 counts) a tool fills with a default when nothing records them
COLUMNS: tuple[str, ...] = (m.SLA_MET, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT)

#: each flag's raw column: a ticket whose raw value the reading left empty carries a
#: value all the same, one this report could not read
RAW: dict[str, str] = {m.SLA_MET: m.SLA_MET_RAW}

#: the fewest tickets carrying a column before one value on all of them is read as the
#: tool's default. A real flag or count that differs on as few as 2% of tickets (reopen
#: rates run at 2-10%, SLA misses at 5-30%, reassignments at 20-50%) shows one value on
#: all 200 only 1.8% of the time (0.98 ** 200); on fewer tickets one value can be chance
#: (0.98 ** 50 = 36%), and a small export's verdicts carry their own minimums
MIN_TICKETS = 200


#: an input as :func:`read_as_unset` groups it: the file names its tickets carry
#: (``source_file``), the table it was read as (the tool and table: the chunks of one
#: export share it) and its canonical field -> header map (``SourceInfo.column_map``)
Input = tuple[Sequence[str], Hashable, Mapping[str, str]]


def read_as_unset(tickets: pd.DataFrame, wording: Callable[[], Mapping[str, str]],
                  min_tickets: int = MIN_TICKETS,
                  inputs: Sequence[Input] = ()) -> tuple[pd.DataFrame, list[str]]:
    """``tickets`` with every :data:`COLUMNS` column emptied on each table where it holds
    one value on each of at least ``min_tickets`` tickets, and one data note per such
    column and table (all the tables together when each holds the same one value).

    ``inputs`` (:data:`Input`): which table each file's tickets are of, and the header
    each input names a field by; without them (or for a ticket whose file no input
    names) the tickets are judged as one table, named by every input's header. A count
    an importer derived (from a history, or Zendesk's group stations) is named by its
    canonical name. ``wording`` gives the
    run's ``defaults.wording`` (called only when a note is written). The frame passed
    in is not changed."""
    group, names = _tables(tickets, inputs)
    # (column, its one value as shown, the tickets carrying it, the tables' rows)
    found: list[tuple[str, str, int, np.ndarray]] = []
    for column in COLUMNS:
        found.extend(_one_valued(tickets, column, group, len(names), min_tickets))
    if not found:
        return tickets, []
    words = wording()
    emptied: dict[str, pd.Series] = {}
    gone: dict[str, np.ndarray] = {}
    for column, _, _, scope in found:
        gone[column] = gone.get(column, np.zeros(len(tickets), dtype=bool)) | scope
    for column, rows in gone.items():
        for name in (column, *((RAW[column],) if RAW.get(column) in tickets else ())):
            emptied[name] = tickets[name].mask(rows)
    notes = [_note(column, value, count, min_tickets, tickets, scope,
                   _headers(column, scope, group, names,
                            [column_map for _, _, column_map in inputs]),
                   _files(tickets, scope & tickets[column].notna().to_numpy(dtype=bool),
                          words), _others(tickets, column, scope, gone[column]),
                   words)
             for column, value, count, scope in found]
    return tickets.assign(**emptied), notes


def _tables(tickets: pd.DataFrame, inputs: Sequence[Input]
            ) -> tuple[np.ndarray, list[list[Mapping[str, str]]]]:
    """Each ticket's table, numbered, and each table's inputs' column maps: the tickets
    of a file no input names (or all, without ``inputs``) are one table of their own,
    numbered 0 with no column maps."""
    tables: dict[Hashable, int] = {}
    maps: list[list[Mapping[str, str]]] = [[]]
    of_file: dict[str, int] = {}
    for files, table, column_map in inputs:
        number = tables.setdefault(table, len(tables) + 1)
        if number == len(maps):
            maps.append([])
        maps[number].append(column_map)
        for name in files:
            of_file[name] = number
    if not of_file or m.SOURCE_FILE not in tickets:
        return np.zeros(len(tickets), dtype=np.intp), maps
    codes, distinct = pd.factorize(tickets[m.SOURCE_FILE], use_na_sentinel=True)
    lookup = np.array([of_file.get(str(name), 0) for name in distinct] + [0], dtype=np.intp)
    return lookup[codes], maps  # code -1 (no file) takes the last entry: table 0


def _one_valued(tickets: pd.DataFrame, column: str, group: np.ndarray, n_groups: int,
                least: int) -> list[tuple[str, str, int, np.ndarray]]:
    """``column``'s defaults: (column, the value as shown, tickets carrying it, the rows
    of their tables), the whole column when it holds one value on at least ``least``
    tickets, else each table's that does."""
    values = tickets[column]
    carried = values.notna().to_numpy(dtype=bool)
    count = int(carried.sum())  # masked reductions: ~5 ms a column at 1M tickets
    if count < least:
        return []
    number = values.to_numpy(dtype="float64", na_value=np.nan)
    raw = RAW.get(column)
    # other values there, unread (Nee beside Ja): one value read is no default
    unread = ((tickets[raw].notna().to_numpy(dtype=bool) & ~carried) if raw in tickets
              else np.zeros(len(tickets), dtype=bool))
    low, high = np.nanmin(number), np.nanmax(number)
    if low == high and not unread.any():
        return [(column, _shown(values, low), count, np.ones(len(tickets), dtype=bool))]
    if n_groups < 2 or (group == group[0]).all():
        return []
    frame = pd.DataFrame({"group": group, "value": number, "unread": unread}, copy=False)
    per = frame.groupby("group").agg(count=("value", "count"), low=("value", "min"),
                                     high=("value", "max"), unread=("unread", "any"))
    held = per[(per["count"] >= least) & (per["low"] == per["high"]) & ~per["unread"]]
    return [(column, _shown(values, float(row["low"])), int(row["count"]), group == table)
            for table, row in held.iterrows()]


def _shown(values: pd.Series, value: float) -> str:
    """The one value as the note shows it: ``true``, ``0``."""
    if isinstance(values.dtype, pd.BooleanDtype):
        return str(bool(value)).lower()
    return f"{int(value):,}"


def _headers(column: str, scope: np.ndarray, group: np.ndarray,
             maps: Sequence[Sequence[Mapping[str, str]]],
             column_maps: Sequence[Mapping[str, str]]) -> str:
    """The column as the export names it in the tables of ``scope`` (every input's
    header when those tickets are of no named table)."""
    numbers = np.unique(group[scope])
    given = [cm for n in numbers for cm in maps[int(n)]]
    if 0 in numbers:
        given = [*given, *column_maps]
    headers = list(dict.fromkeys(h for cm in given if (h := cm.get(column))))
    return " / ".join(headers) or column


def _files(tickets: pd.DataFrame, rows: np.ndarray, words: Mapping[str, str]) -> str:
    """The files the tickets of ``rows`` were read from, the first three named ("" when
    the tickets carry no file name)."""
    if m.SOURCE_FILE not in tickets:
        return ""
    names = [str(n) for n in pd.unique(tickets[m.SOURCE_FILE].to_numpy()[rows])
             if not pd.isna(n)]
    from itsm_diag.text import fmt

    shown = ", ".join(sorted(names)[:3])
    if len(names) > 3:
        shown = fmt(words["export_default.more_files"], {"files": shown,
                                                         "more": len(names) - 3})
    return shown


def _others(tickets: pd.DataFrame, column: str, scope: np.ndarray, gone: np.ndarray) -> int:
    """The tickets of the other tables (outside ``scope``) that still carry ``column``
    once every default is emptied (``gone``: the rows emptied), for the made-SLA flag a
    flag or a due time: what the KPIs and checks read instead."""
    kept = tickets[column].notna().to_numpy(dtype=bool) & ~gone
    if column == m.SLA_MET:
        kept |= tickets[m.DUE_AT].notna().to_numpy(dtype=bool)
    return int((kept & ~scope).sum())


def _note(column: str, shown: str, count: int, least: int, tickets: pd.DataFrame,
          scope: np.ndarray, header: str, files: str, others: int,
          wording: Mapping[str, str]) -> str:
    """The data note on one column read as not filled on the tables of ``scope``
    (``least``: the fewest tickets; ``others``: the tickets elsewhere that still give
    what it gave)."""
    from itsm_diag.text import fmt

    due = int((tickets[m.DUE_AT].notna().to_numpy(dtype=bool) & scope).sum())
    effect = f"export_default.{column}" + (
        "_due" if column == m.SLA_MET and due else "_other" if others else "")
    named = fmt(wording["export_default.in_files"], {"column": header, "files": files}) \
        if files else header
    values = {"column": named, "value": shown, "count": count, "min": least, "due": due,
              "others": others}
    return fmt(wording["export_default"], {**values, "effect": fmt(wording[effect], values)})
