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

Only the three canonical flags and counts: a column where one value is normal (``kind``,
``status``, a single priority in a small queue) is never touched. A flag is judged after
its unread values are known: one value read beside values the reading could not read
(``Ja`` beside ``Nee``) is not one value on every ticket that carries the flag; and a
flag read as the default is emptied with its raw column (not left as unread).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

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


def read_as_unset(tickets: pd.DataFrame, column_maps: Sequence[Mapping[str, str]],
                  wording: Callable[[], Mapping[str, str]],
                  min_tickets: int = MIN_TICKETS) -> tuple[pd.DataFrame, list[str]]:
    """``tickets`` with every :data:`COLUMNS` column that holds one value on each of at
    least ``min_tickets`` tickets emptied, and one data note per such column.

    ``column_maps``: each input's canonical field -> its header (SourceInfo.column_map),
    to name the column as the export does; a count an importer derived (from a history,
    or Zendesk's group stations) is named by its canonical name. ``wording`` gives the
    run's ``defaults.wording`` (called only when a note is written). The frame passed
    in is not changed."""
    found: list[tuple[str, str, int]] = []
    for column in COLUMNS:
        values = tickets[column]
        count = int(values.count())  # masked reductions: ~5 ms a column at 1M tickets
        if count < min_tickets or values.min() != values.max():
            continue
        raw = RAW.get(column)
        if raw in tickets and bool((tickets[raw].notna() & values.isna()).any()):
            # other values are there, unread (Nee beside Ja): one value read is no default
            continue
        first = values.min()
        shown = (str(bool(first)).lower() if isinstance(values.dtype, pd.BooleanDtype)
                 else f"{int(first):,}")
        found.append((column, shown, count))
    if not found:
        return tickets, []
    words = wording()
    notes = [_note(column, value, count, min_tickets, tickets, column_maps, words)
             for column, value, count in found]
    emptied = {name: pd.Series(pd.NA, index=tickets.index, dtype=tickets[name].dtype)
               for column, _, _ in found
               for name in (column, *((RAW[column],) if RAW.get(column) in tickets else ()))}
    return tickets.assign(**emptied), notes


def _note(column: str, shown: str, count: int, least: int, tickets: pd.DataFrame,
          column_maps: Sequence[Mapping[str, str]], wording: Mapping[str, str]) -> str:
    """The data note on one column read as not filled (``least``: the fewest tickets)."""
    from itsm_diag.text import fmt

    headers = list(dict.fromkeys(h for cm in column_maps if (h := cm.get(column))))
    due = int(tickets[m.DUE_AT].notna().sum())
    effect = f"export_default.{column}" + ("_due" if column == m.SLA_MET and due else "")
    values = {"column": " / ".join(headers) or column, "value": shown, "count": count,
              "min": least, "due": due}
    return fmt(wording["export_default"], {**values, "effect": fmt(wording[effect], values)})

