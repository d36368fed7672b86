"""Array helpers the analyses share: runs of sorted groups, per-run reductions, ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import Context, Note


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in sorted ``keys``."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def run_ids(keys: np.ndarray) -> np.ndarray:
    """For sorted ``keys``, the number of the run each position belongs to (0, 1, ...)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.cumsum(np.r_[False, keys[1:] != keys[:-1]]).astype(np.int64)


def ffill_within(values: np.ndarray, present: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``values`` carried forward over positions where ``present`` is False, restarting at
    every run start (``starts``: a boolean mask); -1 before the first present value."""
    n = len(values)
    pos = np.arange(n)
    mark = present | starts
    last = np.maximum.accumulate(np.where(mark, pos, 0))
    return np.where(present[last], values[last], -1)


def ticket_rows_of_events(ctx: Context) -> np.ndarray:
    """For each event, the row of its ticket in ``ctx.tickets`` (-1: no such ticket)."""
    def make() -> np.ndarray:
        return ctx.id_rows[ctx.event_id_codes]
    result: np.ndarray = ctx.memo("analyses.event_rows", make)
    return result


def ids_of(ctx: Context, rows: np.ndarray | list[int]) -> list[str]:
    """Ticket ids of the given ticket rows, in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    return [str(x) for x in m.take_rows(ctx.tickets[m.TICKET_ID], rows).tolist()]


def rank_in_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Each position's rank within its run of equal ``sorted_keys`` (0 for the first)."""
    starts = run_starts(sorted_keys)
    ranks: np.ndarray = np.arange(len(sorted_keys)) - starts.repeat(
        np.diff(np.r_[starts, len(sorted_keys)]))
    return ranks


def top_positions_per_key(keys: np.ndarray, order_by: np.ndarray, k: int,
                          tie: np.ndarray) -> np.ndarray:
    """The positions of each key's ``k`` largest ``order_by`` values (ties: the smallest
    ``tie``, the ticket's id rank: not the export's row order), in key order: one sort
    for every key."""
    if not len(keys) or k <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((tie, -order_by, keys))
    kept: np.ndarray = order[rank_in_runs(keys[order]) < k]
    return kept


def top_rows_per_key(keys: np.ndarray, order_by: np.ndarray, rows: np.ndarray, k: int,
                     tie: np.ndarray) -> dict[int, np.ndarray]:
    """For each key, the ``rows`` of its ``k`` largest ``order_by`` values (ties: the
    smallest ``tie``)."""
    keep = top_positions_per_key(keys, order_by, k, tie)
    if not len(keep):
        return {}
    frame = pd.DataFrame({"key": keys[keep], "row": rows[keep]}, copy=False)
    return {int(key): grp.to_numpy() for key, grp in frame.groupby("key", sort=False)["row"]}


def hours(us: np.ndarray) -> np.ndarray:
    """Microseconds as hours (float)."""
    return us.astype("float64") / 3.6e9


def note(code: str, count: int | None = None, ids: list[str] | None = None,
         **params: Any) -> Note:
    """A coded note, worded by the analysis file's ``messages[code]``."""
    return Note(code=code, count=count, sample_ids=ids or [], params=params)


def rounded(value: float | None, digits: int = 1) -> float | None:
    """A float for an evidence row (None stays None; NaN becomes None)."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)


def params_key(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A hashable key of a params mapping (for a Context cache)."""
    return tuple(sorted((k, repr(v)) for k, v in params.items()))
