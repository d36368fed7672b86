"""Small helpers shared by the extra checks (scopes, coded notes).

Kept local to the checks on purpose: each helper is a line or two. What the signs share
too (the text fold :func:`~itsm_diag.signs.common.fold_key` and
:func:`~itsm_diag.signs.common.fold_words`, blank text
:func:`~itsm_diag.signs.common.filled`, distinct-value passes) is imported from the
signs' public helpers, not copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import Context, Note
from itsm_diag.signs.common import (
    LEFT_OUT_CODES,
    RAW_OF,
    LeftOut,
    by_code_then,
    filled,
    fold_words,
    isin_values,
    open_at,
    unread_labels,
    unread_of,
)


def blank(values: pd.Series) -> pd.Series:
    """Mask: null, empty or whitespace-only (text columns read from exports have all three)."""
    return ~filled(values)


def norm_list(words: Iterable[Any]) -> set[str]:
    """A configured word list folded as the checks fold free text (inner whitespace
    runs as one space)."""
    return fold_words(words, spaces=True)


def in_kinds(ctx: Context, params: Mapping[str, Any]) -> pd.Series:
    """Mask of tickets whose kind is in the rule's ``kinds`` param."""
    return ctx.of_kind(*params["kinds"])


def open_now(ctx: Context, mask: pd.Series) -> pd.Series:
    """Tickets under ``mask`` open at the window end (the data's end when a --until goes
    past it) as the backlog sign counts them (:func:`~itsm_diag.signs.common.open_at`:
    opened by then and not done then, by the status history, else the done time), a
    done ticket without a done time left out. A ticket whose status the reading could not
    put in the vocabulary (no canonical status: a tool's custom status, one a mapping
    does not map) and that has no done time is open: one
    definition of open in one report (the Monday list, ownership, the forecast's work
    in progress). The backlog sign's open count adds a clean-up script's closures
    (:func:`~itsm_diag.signs.backlog.mass_closure`: no work done, so still the desk's
    backlog); they are closed in the tool, and its mass-closure note counts them."""
    def every() -> pd.Series:  # per ticket, whatever the mask: worked out once a run
        no_time = ctx.is_done() & ctx.done_at.isna()
        everyone = pd.Series(True, index=ctx.tickets.index)
        return open_at(ctx, everyone, ctx.window.covered_end) & ~no_time
    opened: pd.Series = ctx.memo("open_now", every)
    return mask & opened


def left_out_notes(ctx: Context, left: LeftOut) -> list[Note]:
    """The notes of the tickets ``left`` leaves out of a check's done work
    (:func:`~itsm_diag.signs.common.left_out_done`), in its order, each kind with tickets
    once: ``machine_made``; ``mass_closed`` with the clean-up's hours (the backlog sign's
    mass closure, :func:`~itsm_diag.signs.backlog.mass_closure`, one set per Context) and
    the ``kept`` tickets the figure is over; ``cancelled``; ``child_incidents``. A kind the
    split was not asked for has no tickets and no note."""
    from itsm_diag.signs.backlog import mass_closure

    out: list[Note] = []
    for kind, n in left.parts():
        mask = getattr(left, kind)
        if kind == "cleanup":
            found = mass_closure(ctx)  # it holds the cleanup's tickets: never None here
            hours = ", ".join(f"{pd.Timestamp(h):%Y-%m-%d %H:00}"
                              for h in (found.hours if found is not None else []))
            out.append(note(LEFT_OUT_CODES[kind], n, ctx.samples(mask), hours=hours,
                            kept=int(left.kept.sum())))
        else:
            out.append(note(LEFT_OUT_CODES[kind], n, ctx.samples(mask)))
    return out


def ids_mask(ctx: Context, ids: Iterable[Any]) -> pd.Series:
    """Ticket mask from a collection of ticket ids (e.g. found in the events table)."""
    if isinstance(ids, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        # Arrow strings: one hash lookup in C, not a Python scalar per id
        return isin_values(ctx.tickets[m.TICKET_ID], pd.Series(ids))
    return ctx.tickets[m.TICKET_ID].isin(list(ids)).fillna(False).astype(bool)


def events_of(ctx: Context, kind: str, tickets_mask: pd.Series) -> pd.DataFrame:
    """Events of one kind on the tickets under ``tickets_mask``, with a value, in time order.

    Sorted by ticket then time (stable, so same-time events keep their export order), which
    is what shift-within-ticket comparisons need.
    """
    ev = ctx.events
    if ev.empty:
        return ev
    # up to the window end: a reassignment or reopen after it was not there yet (an
    # export pulled weeks later reads the window as one pulled at its end)
    keep = (
        ev[m.EV_KIND].eq(kind).fillna(False).to_numpy(dtype=bool)
        & ctx.events_of_tickets(tickets_mask)
        & ev[m.EV_AT].notna().to_numpy()
        & ctx.events_by_end()
    )
    # the blank test (a strip of every value) only on the events the rest keeps
    rows = np.flatnonzero(keep)
    rows = rows[filled(ev[m.EV_VALUE].iloc[rows]).to_numpy(dtype=bool)]
    # ticket then time: the id codes sort as the id strings do (ranks of the sorted
    # distinct ids), so integer sorts (stable) replace a sort on strings
    at = m.ts_us(ev[m.EV_AT].iloc[rows])
    order = by_code_then(ctx.event_id_codes[rows], at)
    out = ev[[m.EV_TICKET_ID, m.EV_AT, m.EV_VALUE]].iloc[rows[order]]
    return out.reset_index(drop=True)


def note(code: str, count: int | None = None, ids: list[str] | None = None, **params: Any) -> Note:
    """A coded note (worded by the rule file's ``messages[code]``)."""
    return Note(code=code, count=count, sample_ids=ids or [], params=params)


def no_field(*fields: str) -> Note:
    """The unknown note: these fields hold no value at all in the export."""
    return note("no_field", field=" / ".join(fields))


def unread(ctx: Context, field: str, mask: pd.Series, code: str) -> Note | None:
    """The tickets under ``mask`` whose vocabulary ``field`` (status, priority, channel)
    the reading left empty while the tool's own label is kept in its raw twin
    (:func:`~itsm_diag.signs.common.unread_of`), as the note ``code``: how many
    (``count``), their most frequent labels with counts (``values``), the tools that
    read them (``tools``) and what reads them, a clause worded by the rule file's
    ``unread_by_tool`` (every one read by a built-in importer: rename the labels, or
    read the export through a mapping), ``unread_by_mapping`` (a mapping file read
    some: its ``values`` section) or ``unread_by_frame`` (a caller's frame: its own
    column); None when there are none. The field is filled in the
    client's tool: such tickets carry a value this report could not read, never "no
    value", as :mod:`itsm_diag.signs.reporting` words an unread status."""
    lacking = mask & unread_of(ctx, field)
    if not lacking.any():
        return None
    found = unread_labels(ctx, RAW_OF[field], lacking)
    fix = note(f"unread_by_{found['reader']}", tools=found["tools"])
    return note(code, found["unread"], ctx.samples(lacking), values=found["values"],
                tools=found["tools"], fix=fix)


def no_value(ctx: Context, fields: Iterable[str], code: str,
             mask: pd.Series | None = None) -> Note:
    """The unknown note when no ticket of the export (or of ``mask``) holds a value in
    any of ``fields``:
    a vocabulary field whose tool labels the reading kept (its raw twin filled) is
    unread, the note ``code`` of :func:`unread` (how many tickets, which labels, what to
    do), not "no value at all" (``no_field``, said of the rest; both together:
    ``no_field_unread``, the unread note as its ``unread`` clause). At most one of
    ``fields`` is a vocabulary field."""
    fields = list(fields)
    scope = pd.Series(True, index=ctx.tickets.index) if mask is None else mask
    found = [(f, n) for f in fields if f in RAW_OF
             and (n := unread(ctx, f, scope, code)) is not None]
    if not found:
        return no_field(*fields)
    if len(found) > 1:
        raise ValueError(f"no_value words one unread field, not {[f for f, _ in found]}")
    read, clause = found[0]
    rest = [f for f in fields if f != read]
    if not rest:
        return clause
    return note("no_field_unread", clause.count, clause.sample_ids,
                field=" / ".join(rest), unread=clause)
