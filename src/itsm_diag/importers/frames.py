"""A caller's own pandas frames, read as a run reads its files.

:func:`read_frames` takes a tickets frame in the canonical model's columns (and
optionally an events frame), types it as :func:`itsm_diag.model.conform_tickets` does,
then hands it to the same combination the files go through
(:func:`itsm_diag.importers.registry.combined`): ids normalised, one row per ticket (the
latest update wins), tickets of several tools kept apart, the same data notes. What it
cannot read is an :class:`~itsm_diag.errors.InputError` naming the column, the problem
and what to do; the caller's frames are never changed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itsm_diag import model as m
from itsm_diag.errors import InputError, ModelError, UsageError
from itsm_diag.importers.base import Imported, ImportOptions, SourceInfo
from itsm_diag.importers.registry import Loaded, combined
from itsm_diag.text import quote

#: the input's name and tool when the frame has no source_file / source_tool
FRAME_FILE = "DataFrame"
FRAME_TOOL = m.FRAME_TOOL
#: how the report's inputs say where a frame's tickets came from
DETECTED_BY = "a pandas DataFrame passed to itsm_diag.api.diagnose_frames"

#: the columns a tickets frame must have (an export lacking its id or opened column is
#: refused too; a frame has no tool to derive the kind and status from)
REQUIRED_TICKETS = (m.TICKET_ID, m.KIND, m.STATUS, m.OPENED_AT)
REQUIRED_EVENTS = (m.EV_TICKET_ID, m.EV_AT, m.EV_KIND)

#: what each dtype family takes, for the hint on a column that cannot be typed
_TAKES = {"string": "text", "Int8": "whole numbers", "Int32": "whole numbers",
          "Float64": "numbers", "boolean": "True or False"}
#: the README section a refusal points to
_SEE = "see README 'Using it as a library' for the columns"


def read_frames(tickets: object, events: object, options: ImportOptions) -> Loaded:
    """``tickets`` (and ``events``, or None) read as one run: see the module."""
    frame = _frame(tickets, "tickets")
    if not len(frame):
        raise InputError("the tickets frame has no rows", hint="pass one row per ticket")
    _require(frame, REQUIRED_TICKETS, "tickets")
    canonical = [c for c in frame.columns if c in m.TICKET_SCHEMA]
    unread = [c for c in frame.columns if c not in m.TICKET_SCHEMA]
    # a new frame of the caller's canonical columns on a fresh index (an index level
    # named like a column would make the two ambiguous); the caller's is not touched
    own = _cells_read(frame[canonical].reset_index(drop=True), m.TICKET_SCHEMA)
    t = _conformed(_zoned(own, m.TIMESTAMP_COLUMNS, options.tz), m.conform_tickets,
                   "tickets")
    t = t.assign(**{m.SOURCE_TOOL: _named(t[m.SOURCE_TOOL], FRAME_TOOL),
                    m.SOURCE_FILE: _named(t[m.SOURCE_FILE], FRAME_FILE)})
    ev = m.empty_events()
    if events is not None:
        eframe = _frame(events, "events")
        _require(eframe, REQUIRED_EVENTS, "events")
        extra = [c for c in eframe.columns if c not in m.EVENT_SCHEMA]
        if extra:
            raise InputError(
                f"the events frame has columns the events table does not have: "
                f"{', '.join(quote(c) for c in extra[:5])}", column=extra[0],
                hint=f"drop them; the events columns are {', '.join(m.EVENT_SCHEMA)}")
        ev = _conformed(_zoned(_cells_read(eframe.reset_index(drop=True), m.EVENT_SCHEMA),
                               (m.EV_AT,), options.tz), m.conform_events, "events")
    read = [c for c in canonical if c not in (m.SOURCE_TOOL, m.SOURCE_FILE)]
    return combined(_parts(t, ev, frame, unread, read, options.tz), options)


def _frame(value: object, what: str) -> pd.DataFrame:
    """``value`` when it is a frame whose column names are distinct texts."""
    if not isinstance(value, pd.DataFrame):
        raise UsageError(f"the {what} must be a pandas DataFrame, not "
                         f"{type(value).__name__}",
                         hint=f"pass a DataFrame with one row per {what[:-1]}")
    names = list(value.columns)
    odd = next((c for c in names if not isinstance(c, str)), None)
    if odd is not None:
        raise InputError(f"the {what} frame's column names must be text, not "
                         f"{quote(odd)} ({type(odd).__name__})", column=str(odd),
                         hint=f"name the columns as the canonical table does ({_SEE})")
    twice = value.columns[value.columns.duplicated()]
    if len(twice):
        raise InputError(f"the {what} frame has the column {quote(twice[0])} twice",
                         column=twice[0], hint="keep one column of each name")
    return value


def _require(frame: pd.DataFrame, required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"the {what} frame has no {missing[0]} column", column=missing[0],
                         hint=f"a {what} frame needs the columns {', '.join(required)} "
                              f"({_SEE})")


#: the dtype families whose cells are text a file's reader trims (the ids are normalised
#: by the combination, as a file's are)
_TEXT_FAMILIES = ("string", "category", "category_open")


def _cells_read(frame: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """``frame`` with its text cells read as a file's cells are
    (:func:`~itsm_diag.importers.readers.trim_cells`): trimmed, and a blank cell or a
    missing-value token (``N/A``, ``-``, ``null``, ...) missing. A caller's ``""`` read as
    a value would count a field filled that no ticket fills (``fillna("")`` is common),
    and a blank channel or change type would be refused as outside the vocabulary."""
    from itsm_diag.importers.readers import trim_cells

    read = {}
    for column in frame.columns:
        values = frame[column]
        if (column == m.TICKET_ID or schema[column] not in _TEXT_FAMILIES
                or not (pd.api.types.is_object_dtype(values.dtype)
                        or pd.api.types.is_string_dtype(values.dtype)
                        or isinstance(values.dtype, pd.CategoricalDtype))):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            # each category read once (a million statuses are a handful of labels); a
            # category read as missing leaves its tickets' codes missing
            cats = values.cat.categories
            if not len(cats):
                continue
            text = _arrow_text(pd.Series(cats))
            trimmed = trim_cells(text)
            if trimmed.equals(text):
                continue
            # one missing label last, for the missing code (-1)
            labels = pd.Series(pd.arrays.ArrowStringArray(
                pa.chunked_array([*trimmed.chunks, pa.nulls(1, trimmed.type)])))
            read[column] = m.spread(labels, values.cat.codes.to_numpy(), values.index)
            continue
        text = _arrow_text(values)
        trimmed = trim_cells(text)
        if not trimmed.equals(text):
            read[column] = pd.Series(pd.arrays.ArrowStringArray(trimmed), index=values.index)
    return frame.assign(**read) if read else frame


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """``values`` as Arrow strings, the chunks of an Arrow-backed column as they are (no
    copy: ``pa.array`` of a column of several chunks converts it value by value)."""
    text = values.astype(m.STRING_DTYPE).array.__arrow_array__()
    return text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text])


def _zoned(frame: pd.DataFrame, columns: tuple[str, ...], tz: str) -> pd.DataFrame:
    """``frame`` with its naive time columns read as wall-clock times in ``tz`` (as the
    importers read a time an export writes without an offset); UTC ones as they are."""
    if tz == "UTC":
        return frame  # conform_tickets reads naive times as UTC
    naive = {c: m.wall_to_utc(frame[c], tz)[0] for c in columns if c in frame.columns
             and pd.api.types.is_datetime64_dtype(frame[c].dtype)
             and not isinstance(frame[c].dtype, pd.DatetimeTZDtype)}
    return frame.assign(**naive) if naive else frame


def _conformed(frame: pd.DataFrame, conform: Callable[[pd.DataFrame], pd.DataFrame],
               what: str) -> pd.DataFrame:
    """``conform(frame)``, its refusals as :class:`InputError` saying what to do."""
    try:
        return conform(frame)
    except ModelError as exc:
        raise _refusal(exc, what) from None


def _refusal(exc: ModelError, what: str) -> InputError:
    """The :class:`InputError` for a column ``conform_tickets`` refused."""
    column, values = exc.column, exc.values
    schema = m.TICKET_SCHEMA if what == "tickets" else m.EVENT_SCHEMA
    if exc.problem == "vocabulary" and column is not None:
        dtype = (m.ticket_dtypes() if what == "tickets" else m.event_dtypes())[column]
        allowed = list(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) else []
        raw = m.RAW_OF.get(column) if what == "tickets" else None
        return InputError(
            f"the {what} frame holds values outside the column's vocabulary: "
            f"{', '.join(quote(v) for v in values)}", column=column,
            hint=f"map them onto {', '.join(allowed)}"
                 + (f" (keep the tool's own label in {raw})" if raw else ""))
    if exc.problem == "timestamps" and column is not None:
        return InputError(
            f"the {what} frame's column holds {values[0] if values else 'other'} values, "
            "not timestamps", column=column,
            hint="convert it with pandas.to_datetime (times without a zone are read in "
                 "RunOptions.tz), or leave the column out")
    if exc.problem == "type" and column is not None:
        family = schema[column]
        takes = _TAKES.get(family, family)
        return InputError(
            f"the {what} frame's column cannot be read as {takes} ({family}): "
            f"{str(exc.__cause__ or exc)[:200]}", column=column,
            hint=f"give it {takes} or empty values (None), or leave the column out")
    if exc.problem == "missing_id":
        n = int(values[0]) if values else 0
        return InputError(f"{n:,} row{'' if n == 1 else 's'} of the {what} frame "
                          f"{'has' if n == 1 else 'have'} no ticket id", column=m.TICKET_ID,
                          hint="give every row its ticket id (the tool's number or key)")
    return InputError(f"the {what} frame cannot be read: {exc}", column=column,
                      hint=_SEE)


def _named(values: pd.Series, label: str) -> pd.Series:
    """A source tool or file column with ``label`` where the frame gives none."""
    if not values.isna().any():
        return values
    if label not in values.cat.categories:  # some rows may name it already
        values = values.cat.add_categories(pd.Index([label], dtype=m.STRING_DTYPE))
    return values.fillna(label)


def _parts(tickets: pd.DataFrame, events: pd.DataFrame, frame: pd.DataFrame,
           unread: list[str], read: list[str], tz: str) -> list[Imported]:
    """One input per source tool and file the tickets name (in the order they first
    appear), as the files would be: tickets of two tools are kept apart by
    :func:`~itsm_diag.importers.registry.combine` as the files' are. Each event goes with
    its ticket's input (the first input when no ticket of its id is in the frame).

    An input's fields read (its ``column_map``) are the columns ``read`` its rows fill,
    and those no row fills: a frame has no header for each input, and one made of
    several tables' tickets holds every column for each (the requests' rows of a category
    column filled on incidents alone say that the requests' export has none, as a file's
    header would); a column empty on every row is one the caller has, empty."""
    tool_codes = tickets[m.SOURCE_TOOL].cat.codes.to_numpy(dtype=np.int64)
    file_codes = tickets[m.SOURCE_FILE].cat.codes.to_numpy(dtype=np.int64)
    n_files = len(tickets[m.SOURCE_FILE].cat.categories)
    group, _ = pd.factorize(tool_codes * max(n_files, 1) + file_codes)
    never = [c for c in read if not tickets[c].notna().any()]
    if group.max() == 0:  # the usual frame: one input, every ticket and event in it
        return [_part(tickets, events, frame, None, unread, read, never, tz)]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(group.max() + 2))
    ev_group = _event_groups(tickets[m.TICKET_ID], group, events[m.EV_TICKET_ID])
    parts = []
    for g in range(len(bounds) - 1):
        rows = order[bounds[g]:bounds[g + 1]]
        parts.append(_part(tickets.take(rows).reset_index(drop=True),
                           events.loc[ev_group == g].reset_index(drop=True), frame, rows,
                           unread, read, never, tz))
    return parts


def _event_groups(ids: pd.Series, group: np.ndarray, ev_ids: pd.Series) -> np.ndarray:
    """Each event's input: its ticket's (the first row's of its id), else the first."""
    if not len(ev_ids):
        return np.zeros(0, dtype=np.int64)
    first = ~ids.duplicated().to_numpy()
    keys = pa.array(ids.array[first], type=pa.large_string())
    at = pc.index_in(pa.array(ev_ids.array, type=pa.large_string()), value_set=keys)
    pos = at.to_numpy(zero_copy_only=False)
    found = ~np.isnan(pos) if pos.dtype.kind == "f" else np.ones(len(pos), dtype=bool)
    out = np.zeros(len(ev_ids), dtype=np.int64)
    out[found] = group[first][pos[found].astype(np.int64)]
    return out


def _part(part: pd.DataFrame, own: pd.DataFrame, frame: pd.DataFrame,
          rows: np.ndarray | None, unread: list[str], read: list[str], never: list[str],
          tz: str) -> Imported:
    """The input of the tickets ``part`` (the frame's ``rows``; None: all of them) and
    their events ``own``."""
    fill = {c: int((frame[c] if rows is None else frame[c].take(rows)).count())
            for c in unread}
    column_map = {c: c for c in read if c in never or part[c].notna().any()}
    info = SourceInfo(
        path=str(part[m.SOURCE_FILE].iloc[0]), tool=str(part[m.SOURCE_TOOL].iloc[0]),
        table="tickets", rows=len(part), tickets=int(part[m.TICKET_ID].nunique()),
        confidence=1.0, detected_by=DETECTED_BY, encoding=None, delimiter=None,
        date_formats={}, column_map=column_map, warnings=[],
        # a canonical column the rows leave empty is no header of a field not read
        headers=(*column_map, *unread),
        fill=fill)
    return Imported(tickets=part, events=own, info=info, zone=tz)
