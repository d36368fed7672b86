"""Date columns that carry no time of day: every value at midnight.

An export that writes ``2026-03-04`` for a ticket opened at 14:37 still reads: each time
is taken as the day's midnight (in ``--tz``, or the zone its mapping names). What is
measured in days (ages, weeks, business days) stays right; what is measured in hours is
counted from midnights, to the day at best. A median time to resolve of 19.1 hours reads
24.0 (whole days), and a 48-hour window after a change's end spans three calendar days
instead of two. So a column whose every value is at midnight in the files that hold it
that way, over at least :data:`MIN_VALUES` values together, is named in one data note
with its numbers (worded by ``rules/defaults.yaml``'s ``wording``: ``date_only``); a
file whose column has times of day is counted apart ("700 of 1,000 opened_at"). The note
says what those columns affect, and only that (:data:`HOUR_USES`): a Jira export whose
``Due date`` alone is a day stamp (its created and resolved times carry minutes) is told
that a due date stands for its whole day, not that time to resolve comes in whole days.

``start_date`` (a new starter's first day) is a day by nature and is never named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.text import joined

#: the fewest values of a column, in one file, all at midnight before the column is read
#: as dates without a time of day. A real time falls on 00:00:00 about once in 86,400
#: (once in 1,440 for times to the minute): 20 of them by chance is out of the question,
#: while a handful of tickets (a test file, a tiny queue) says nothing either way
MIN_VALUES = 20

#: the timestamp columns looked at: every one but the start date, a day by nature
COLUMNS: tuple[str, ...] = tuple(c for c in m.TIMESTAMP_COLUMNS if c != m.START_DATE)

_DAY_US = 86_400 * 10**6
#: the first values of a column looked at before the whole of it: a column with times
#: of day shows one within these nearly always, so most columns cost next to nothing
_HEAD = 64


def _at_midnight(us: np.ndarray, tz: str) -> np.ndarray:
    """Whether each time (UTC microseconds, none missing) is the first instant of its day
    in ``tz``: 00:00, or 01:00 on a day whose midnight a clock change skips (where a date
    read in that zone lands, :func:`itsm_diag.model.wall_to_utc`)."""
    if tz == "UTC":
        return np.asarray(us % _DAY_US == 0, dtype=bool)

    def local_days(times: np.ndarray) -> np.ndarray:
        return np.floor_divide(m.local_wall(times, tz).view(np.int64), _DAY_US)

    return np.asarray(local_days(us) != local_days(us - 1), dtype=bool)


def midnight_columns(tickets: pd.DataFrame, tz: str,
                     min_values: int = MIN_VALUES) -> dict[str, int]:
    """The columns of one file's tickets whose every filled value (at least
    ``min_values`` of them) is at midnight in ``tz``, with their number of values."""
    out: dict[str, int] = {}
    for column in COLUMNS:
        if column not in tickets:
            continue
        us = m.ts_us(tickets[column])  # a view: no copy of a million-row column
        head = us[:4 * _HEAD]
        head = head[head != m.NAT][:_HEAD]
        if len(head) and not _at_midnight(head, tz).all():
            continue  # a time of day among the first values: the usual column
        present = us[us != m.NAT]
        if len(present) >= max(min_values, 1) and _at_midnight(present, tz).all():
            out[column] = len(present)
    return out


#: the figures in hours read between the columns named, each said in the note (worded
#: by ``date_only.use.<key>``) only when one of its columns is a day stamp: time to
#: resolve (opened and done times), the 48-hour windows of the changes sign (incidents'
#: opened times, the changes' start, end and closed times) and of trust's duplicates,
#: onboarding's start-day morning (the done time) and the action list's hour-based
#: reasons (opened times; due dates have their own sentence, ``date_only.due``)
HOUR_USES: dict[str, tuple[str, ...]] = {
    "time_to_resolve": (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT),
    "change_window": (m.OPENED_AT, m.ACTUAL_START, m.ACTUAL_END, m.PLANNED_START,
                      m.PLANNED_END, m.CLOSED_AT),
    "duplicates": (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT),
    "onboarding": (m.RESOLVED_AT, m.CLOSED_AT),
    "actions": (m.OPENED_AT,),
}
#: the two 48-hour windows, said together
_WINDOWS = ("change_window", "duplicates")


def effects(found: Mapping[str, int], tz: str, wording: Mapping[str, str]) -> str:
    """What the day stamps of the ``found`` columns affect, worded: the figures in hours
    counted between them (only those reading one of them), a due date standing for its
    whole day, else that nothing in hours reads them."""
    from itsm_diag.text import fmt

    def said(key: str) -> bool:
        return any(c in found for c in HOUR_USES[key])

    figures: list[str] = []
    windows = [wording[f"date_only.use.{k}"] for k in _WINDOWS if said(k)]
    for key in HOUR_USES:
        if key == _WINDOWS[0] and windows:
            figures.append(fmt(wording["date_only.use.windows"],
                               {"windows": ", ".join(windows)}))
        elif key not in (*_WINDOWS, "time_to_resolve") and said(key):
            figures.append(wording[f"date_only.use.{key}"])
    # "time to resolve comes in whole days, and the 48-hour windows (...), ... read whole
    # days": each part only where a column it reads is a day stamp
    uses = [fmt(wording["date_only.use.time_to_resolve"], {})] if said("time_to_resolve") else []
    if figures:
        uses.append(fmt(wording["date_only.use.read"], {"figures": joined(figures)}))
    sentences: list[str] = []
    if uses:
        names = [c for c in found if any(c in cols for cols in HOUR_USES.values())]
        sentences.append(fmt(wording["date_only.hours"],
                             {"names": joined(names), "uses": ", and ".join(uses)}))
    if m.DUE_AT in found:
        sentences.append(fmt(wording["date_only.due"], {"tz": tz}))
    if not sentences:
        sentences.append(fmt(wording["date_only.other"], {}))
    return "".join(f" {s.strip()}" for s in sentences)


def note(found: Mapping[str, int], filled: Mapping[str, int], zones: Sequence[str],
         wording: Mapping[str, str]) -> str:
    """The data note on the columns without a time of day. ``found``: column -> values
    at midnight (in the files where all are); ``filled``: column -> its values in every
    file; ``zones``: the zones the midnights were read in."""
    from itsm_diag.text import fmt

    parts = [f"{count:,} of {filled.get(column, count):,} {column}"
             for column, count in found.items()]
    tz = " / ".join(dict.fromkeys(zones)) or "UTC"
    return fmt(wording["date_only"], {"columns": joined(parts), "count": sum(found.values()),
                                      "tz": tz, "effects": effects(found, tz, wording)})
