"""The canonical tickets and events tables: column names, dtypes, vocabularies, validation.

Every importer returns frames that pass :func:`conform_tickets` / :func:`conform_events`;
every sign reads columns through the constants below, never through string literals.
"""

from __future__ import annotations

import functools
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd

from itsm_diag.errors import ModelError

# ---- ticket columns -------------------------------------------------------------------
TICKET_ID: Final = "ticket_id"
KIND: Final = "kind"
SOURCE_TOOL: Final = "source_tool"
#: the ``source_tool`` of the tools itsm-diag reads without a mapping (the importers'
#: names; a test holds them equal)
BUILT_IN_TOOLS: Final = ("servicenow", "jira", "zendesk", "freshservice")
#: the ``source_tool`` of a caller's frame that names none (``api.diagnose_frames``)
FRAME_TOOL: Final = "dataframe"
SOURCE_FILE: Final = "source_file"
SUMMARY: Final = "summary"
STATUS: Final = "status"
STATUS_RAW: Final = "status_raw"
#: True where the importer read a done status (resolved, closed) from the ticket's done
#: time, or from Jira's Status Category, for a status label outside its vocabulary: the
#: ticket is done, but whether it was cancelled instead the label did not say
STATUS_INFERRED: Final = "status_inferred"
PRIORITY: Final = "priority"
PRIORITY_RAW: Final = "priority_raw"
CATEGORY: Final = "category"
SUBCATEGORY: Final = "subcategory"
SERVICE: Final = "service"
CI: Final = "ci"
REQUEST_ITEM: Final = "request_item"
ASSIGNMENT_GROUP: Final = "assignment_group"
ASSIGNEE: Final = "assignee"
REQUESTER: Final = "requester"
CHANNEL: Final = "channel"
CHANNEL_RAW: Final = "channel_raw"
#: the vocabulary fields whose reading keeps the tool's own label beside them: a label it
#: could not put in the vocabulary leaves the field empty and its raw twin filled
RAW_OF: Final = {STATUS: STATUS_RAW, PRIORITY: PRIORITY_RAW, CHANNEL: CHANNEL_RAW}
OPENED_AT: Final = "opened_at"
FIRST_RESPONSE_AT: Final = "first_response_at"
RESOLVED_AT: Final = "resolved_at"
CLOSED_AT: Final = "closed_at"
UPDATED_AT: Final = "updated_at"
DUE_AT: Final = "due_at"
START_DATE: Final = "start_date"
REASSIGNMENT_COUNT: Final = "reassignment_count"
REOPEN_COUNT: Final = "reopen_count"
SLA_MET: Final = "sla_met"
#: the file's own SLA flag value (``sla_met`` read from it): a flag filled with words the
#: reading could not read is unread, not unfilled
SLA_MET_RAW: Final = "sla_met_raw"
PROBLEM_REF: Final = "problem_ref"
CAUSED_BY_CHANGE: Final = "caused_by_change"
#: the incident this incident is a child of (a major incident's parent: ServiceNow's
#: ``parent_incident``, a Jira incident's ``Parent`` that is an incident of the file), as
#: the tool's number; filled on incidents only. A child is a report of its parent's
#: outage: recurrence folds it into its parent, the KPI panel counts it with its parent
PARENT_REF: Final = "parent_ref"
CHANGE_TYPE: Final = "change_type"
CHANGE_OUTCOME: Final = "change_outcome"
#: a change's type and outcome as the export wrote them (on changes): a value outside the
#: vocabulary leaves change_type / change_outcome empty, and is "not read", not missing
CHANGE_TYPE_RAW: Final = "change_type_raw"
CHANGE_OUTCOME_RAW: Final = "change_outcome_raw"
PLANNED_START: Final = "planned_start"
PLANNED_END: Final = "planned_end"
ACTUAL_START: Final = "actual_start"
ACTUAL_END: Final = "actual_end"
TIME_SPENT_HOURS: Final = "time_spent_hours"
#: the hours a ticket waited on the requester or a third party (pending, on hold), as the
#: export measures it (Zendesk's agent wait and on-hold minutes): the part of its time to
#: done that was not the desk's to work
WAITING_HOURS: Final = "waiting_hours"
LABELS: Final = "labels"
KNOWLEDGE_REF: Final = "knowledge_ref"

# ---- vocabularies ---------------------------------------------------------------------
KINDS: Final = ("incident", "request", "change", "problem", "task", "other")
STATUSES: Final = ("new", "open", "pending", "resolved", "closed", "cancelled")
DONE_STATUSES: Final = frozenset({"resolved", "closed", "cancelled"})
#: the canonical statuses of a ticket waiting on someone else (the caller, a vendor, an
#: approver): ServiceNow On Hold / Awaiting User Info / Awaiting Vendor, Jira Waiting for
#: customer, Zendesk pending and on-hold, Freshservice Pending. The backlog counts its open
#: tickets in one apart (``waiting_now``), the flow a long gap in one apart from idle time,
#: and the action list calls no ticket in one overdue on an assumed due time (SLA clocks
#: pause there): one set, read by all of them
WAITING_STATUSES: Final = frozenset({"pending"})
#: the strategy sign's effort buckets
BUCKETS: Final = ("operational", "tactical", "strategic")
#: label tags an importer gives a step of another ticket (a Jira sub-task) from its
#: parent, the model keeping no parent reference: ``incident:KEY`` / ``request:KEY`` on a
#: step of an incident or request the export holds (its work is that ticket's, operational
#: in the strategy sign), ``parent:KEY`` on one whose parent the export does not hold
STEP_OF_TAGS: Final = ("incident", "request")
PARENT_UNSEEN_TAG: Final = "parent"
CHANNELS: Final = ("portal", "email", "phone", "chat", "walk_in", "api", "monitoring", "other")
CHANGE_TYPES: Final = ("standard", "normal", "emergency")
CHANGE_OUTCOMES: Final = (
    "successful",
    "successful_with_issues",
    "failed",
    "backed_out",
    "cancelled",
)

# dtype families, resolved to concrete pandas dtypes by _dtype()
_STR = "string"
_TS = "timestamp"
_INT8 = "Int8"
_INT32 = "Int32"
_FLOAT = "Float64"
_BOOL = "boolean"

_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    KIND: KINDS,
    STATUS: STATUSES,
    CHANNEL: CHANNELS,
    CHANGE_TYPE: CHANGE_TYPES,
    CHANGE_OUTCOME: CHANGE_OUTCOMES,
}

#: every canonical ticket column and its dtype family, in table order
TICKET_SCHEMA: Final[dict[str, str]] = {
    TICKET_ID: _STR,
    KIND: "category",
    SOURCE_TOOL: "category_open",
    SOURCE_FILE: "category_open",
    SUMMARY: _STR,
    STATUS: "category",
    STATUS_RAW: _STR,
    STATUS_INFERRED: _BOOL,
    PRIORITY: _INT8,
    PRIORITY_RAW: _STR,
    CATEGORY: _STR,
    SUBCATEGORY: _STR,
    SERVICE: _STR,
    CI: _STR,
    REQUEST_ITEM: _STR,
    ASSIGNMENT_GROUP: _STR,
    ASSIGNEE: _STR,
    REQUESTER: _STR,
    CHANNEL: "category",
    CHANNEL_RAW: _STR,
    OPENED_AT: _TS,
    FIRST_RESPONSE_AT: _TS,
    RESOLVED_AT: _TS,
    CLOSED_AT: _TS,
    UPDATED_AT: _TS,
    DUE_AT: _TS,
    START_DATE: _TS,
    REASSIGNMENT_COUNT: _INT32,
    REOPEN_COUNT: _INT32,
    SLA_MET: _BOOL,
    SLA_MET_RAW: _STR,
    PROBLEM_REF: _STR,
    CAUSED_BY_CHANGE: _STR,
    PARENT_REF: _STR,
    CHANGE_TYPE: "category",
    CHANGE_OUTCOME: "category",
    CHANGE_TYPE_RAW: _STR,
    CHANGE_OUTCOME_RAW: _STR,
    PLANNED_START: _TS,
    PLANNED_END: _TS,
    ACTUAL_START: _TS,
    ACTUAL_END: _TS,
    TIME_SPENT_HOURS: _FLOAT,
    WAITING_HOURS: _FLOAT,
    LABELS: _STR,
    KNOWLEDGE_REF: _STR,
}
TICKET_COLUMNS: Final = tuple(TICKET_SCHEMA)
TIMESTAMP_COLUMNS: Final = tuple(c for c, t in TICKET_SCHEMA.items() if t == _TS)

# ---- events table ---------------------------------------------------------------------
EV_TICKET_ID: Final = "ticket_id"
EV_AT: Final = "at"
EV_KIND: Final = "kind"
EV_AUTHOR_ROLE: Final = "author_role"
EV_AUTHOR: Final = "author"
EV_VALUE: Final = "value"
#: the canonical status a status event set (its ``value`` keeps the tool's own label), where
#: the importer knows it: the status history the backlog at past weeks is rebuilt from
EV_STATUS: Final = "status"
#: ``update``: a recorded update that set no status or group and wrote no comment or work
#: note (an audit log's other rows: an assignee, priority or category changed, or only
#: the updater): a touch, read as an update (the flow's idle gaps and touchpoints, a
#: ticket's last update) and never as a status or group change.
#: ``assignee``: the assignee changed (an audit log's ``assigned_to`` from one row to the
#: next); ``value`` the new assignee, blank when the update cleared it (ServiceNow clears
#: it with every group change): the history the ownership check dates a ticket's time
#: without an assignee from. An audit log's rows each make another event at the same
#: time (a status, a group or a touch): the flow analysis skips these, so no update is
#: counted twice
EVENT_KINDS: Final = ("comment", "status", "assignment", "worklog", "update", "assignee")
AUTHOR_ROLES: Final = ("requester", "agent", "system")

EVENT_SCHEMA: Final[dict[str, str]] = {
    EV_TICKET_ID: _STR,
    EV_AT: _TS,
    EV_KIND: "category",
    EV_AUTHOR_ROLE: "category",
    EV_AUTHOR: _STR,
    EV_VALUE: _STR,
    EV_STATUS: "category",
}
_EVENT_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    EV_KIND: EVENT_KINDS,
    EV_AUTHOR_ROLE: AUTHOR_ROLES,
    EV_STATUS: STATUSES,
}

STRING_DTYPE: Final = pd.StringDtype("pyarrow")
TIMESTAMP_DTYPE: Final = pd.DatetimeTZDtype(unit="us", tz="UTC")


def rows_of(frame: pd.DataFrame, mask: pd.Series | np.ndarray, columns: list[str]
            ) -> pd.DataFrame:
    """``frame.loc[mask, columns]``, without the row filter's copy of every column when
    the mask keeps every row (a window that covers the whole export, the usual case), and
    each Arrow text column's rows taken chunk by chunk (:func:`take_rows`) when it keeps
    some."""
    keep = np.asarray(mask, dtype=bool)
    if keep.all():
        return frame[columns]
    rows = np.flatnonzero(keep)
    taken = {c: take_rows(frame[c], rows) for c in columns}  # a missing one: KeyError
    return pd.DataFrame(taken, index=frame.index[rows], copy=False,
                        columns=frame.columns.take(frame.columns.get_indexer(columns)))


def take_rows(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """``values.take(rows)``, the same Series (values, dtype, index, name), without
    joining an Arrow column's chunks first.

    Arrow's take on a column of many chunks (a CSV read gives one per block) first joins
    every chunk into one array, whatever it takes: at 1M tickets, 10-50 MB copied to
    name 10 sample ids or to take no row at all, 1-80 ms a call. Here each chunk takes
    its own rows: rows in ascending order (a mask's), or a few in any order. Anything
    else (not Arrow text, one chunk, many rows out of order, a row out of range) is
    ``values.take``'s, errors included."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(values)
    if not is_arrow_text(values) or (len(rows) and (int(rows.min()) < 0
                                                    or int(rows.max()) >= n)):
        return values.take(rows)
    chunked = values.array.__arrow_array__()
    ascending = len(rows) < 2 or bool((rows[1:] >= rows[:-1]).all())
    if chunked.num_chunks < 2 or (not ascending and len(rows) * 64 > n):
        return values.take(rows)
    import pyarrow as pa  # loaded by pandas' Arrow strings already

    order = None if ascending else np.argsort(rows, kind="stable")
    ordered = rows if order is None else rows[order]
    starts = np.concatenate([[0], np.cumsum([len(c) for c in chunked.iterchunks()])])
    cuts = np.searchsorted(ordered, starts)  # where each chunk's rows begin
    pieces = [chunk.take(pa.array(ordered[cuts[i]:cuts[i + 1]] - starts[i]))
              for i, chunk in enumerate(chunked.iterchunks()) if cuts[i + 1] > cuts[i]]
    joined = pa.concat_arrays(pieces) if pieces else chunked.chunk(0).slice(0, 0)
    if order is not None:
        joined = joined.take(pa.array(np.argsort(order)))  # back to the rows' order
    return pd.Series(pd.array(joined, dtype=values.dtype), index=values.index.take(rows),
                     name=values.name)


def dense_ranks(values: pd.Series) -> np.ndarray:
    """Each value's 0-based rank among the distinct values in sort order (text in code
    point order, as Python and pandas order it), missing values all ranked last, one
    rank after every value. Arrow's dense rank on Arrow text: ~0.1 s for a million ids
    where a sorted factorize takes 0.4."""
    if not is_arrow_text(values):
        codes, uniques = pd.factorize(values.array, sort=True)
        codes = np.asarray(codes, dtype=np.int64)
        codes[codes < 0] = len(uniques)
        return codes
    import pyarrow.compute as pc  # loaded with pandas' Arrow strings already

    text = values.array.__arrow_array__()
    n = len(text)
    if n > 1 and text.null_count == 0:
        # exports are often listed by number: when each id is >= the one before (byte
        # order, which is code point order for UTF-8), the ranks are a running count of
        # the changes, one pass instead of a sort of every id (~0.2 s at 3M)
        before, after = text.slice(0, n - 1), text.slice(1)
        if not pc.any(pc.less(after, before)).as_py():
            changes = pc.not_equal(after, before).to_numpy(zero_copy_only=False)
            return np.concatenate([[0], np.cumsum(changes, dtype=np.int64)])
    ranks = pc.rank(text, sort_keys="ascending",  # missing last
                    tiebreaker="dense")
    return np.asarray(ranks.to_numpy(zero_copy_only=False), dtype=np.int64) - 1


def is_arrow_text(values: object) -> bool:
    """Whether ``values`` (a Series, Index or array) holds Arrow-backed strings, the
    dtype every fast path here works on directly."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


#: the first bytes of the characters Arrow's ``utf8_is_space`` counts as whitespace,
#: which are the ones ``utf8_trim_whitespace`` removes (a test walks every code point):
#: ASCII whitespace with the 0x1C-0x1F separators, and the lead bytes of U+0085/U+00A0
#: (C2), U+1680 (E1), U+2000..U+205F (E2) and U+3000 (E3)
WS_FIRST = np.zeros(256, dtype=bool)
WS_FIRST[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0xC2, 0xE1, 0xE2, 0xE3]] = True


def text_offsets(chunk: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(the cells' ``len + 1`` offsets as ``intp``, the data bytes) of one Arrow string
    chunk, read from its buffers without a copy of the text; None when it holds no text
    bytes at all (or is no ``string``/``large_string``)."""
    import pyarrow as pa

    if chunk.type not in (pa.string(), pa.large_string()):
        return None
    buffers = chunk.buffers()
    if buffers[2] is None or buffers[2].size == 0:
        return None
    width = np.int64 if chunk.type == pa.large_string() else np.int32
    start = chunk.offset
    # as intp: what a gather indexes with (no copy of large_string's int64 offsets)
    offsets = np.frombuffer(buffers[1], dtype=width)[start:start + len(chunk) + 1]
    return offsets.astype(np.intp, copy=False), np.frombuffer(buffers[2], dtype=np.uint8)


def text_filled(values: pd.Series) -> np.ndarray:
    """Per cell of Arrow text (:func:`is_arrow_text`): a value that is not empty and
    not all whitespace, as ``utf8_is_space`` and the length say. Each cell's first byte
    is read from the buffers; only a cell that starts with a byte in :data:`WS_FIRST`
    is tested in full, so a column that no one padded costs a gather, not a pass over
    every character."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow: Any = values.array.__arrow_array__()
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    parts = [np.zeros(0, dtype=bool)]
    for chunk in chunks:
        n = len(chunk)
        got = text_offsets(chunk) if n and chunk.null_count < n else None
        if got is None:
            if n and chunk.null_count < n and chunk.type not in (pa.string(),
                                                                 pa.large_string()):
                # another text layout: the full test
                parts.append(np.asarray(pc.fill_null(pc.and_(
                    pc.greater(pc.binary_length(chunk), 0),
                    pc.invert(pc.utf8_is_space(chunk))), False)
                    .to_numpy(zero_copy_only=False), dtype=bool))
            else:  # every cell missing or empty
                parts.append(np.zeros(n, dtype=bool))
            continue
        offsets, raw = got
        ok = offsets[1:] > offsets[:-1]
        # an empty cell reads a neighbour's byte: it is not filled anyway
        maybe = ok & np.take(WS_FIRST, raw.take(offsets[:-1], mode="clip"))
        if maybe.any():
            at = np.flatnonzero(maybe)
            blank = pc.fill_null(pc.utf8_is_space(chunk.take(pa.array(at))), False)
            ok[at[np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)]] = False
        if chunk.null_count:
            ok &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        parts.append(ok)
    return parts[-1] if len(parts) == 2 else np.concatenate(parts)


def factorize_na(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct): ``distinct`` holds each distinct value of ``values`` once, then
    one missing value (same dtype); ``codes`` points every row into it (a missing value
    to that last one). A value-by-value function of ``values`` equals that function of
    ``distinct`` spread back with :func:`spread`: real exports repeat states, categories,
    requesters and even summaries, so a text pass over ``distinct`` is far cheaper."""
    if is_arrow_text(values):
        return _factorize_arrow(values)
    codes, uniques = pd.factorize(values.array)
    codes = np.asarray(codes, dtype=np.intp)
    codes[codes < 0] = len(uniques)
    order = np.arange(len(uniques) + 1, dtype=np.intp)
    order[-1] = -1  # with allow_fill, -1 takes a missing value
    taken = pd.api.extensions.take(uniques, order, allow_fill=True)
    return codes, pd.Series(taken, dtype=values.dtype, name=values.name)


def _factorize_arrow(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """:func:`factorize_na` of Arrow text by Arrow's dictionary encoding: the same
    distinct values in the same order (first seen, as pandas' factorize gives them), a
    missing value coded one past the last, int32 codes straight from Arrow's indices,
    without pandas' widening to 64 bits (a million rows: 8 MB less written a column)."""
    import pyarrow as pa  # loaded with pandas' Arrow strings already
    import pyarrow.compute as pc

    text = values.array.__arrow_array__()
    if len(text) and text.null_count == len(text):
        # a column the export lacks: every row the missing value's code, with no column
        # of nulls encoded (and the zeros not written: fresh pages are only mapped)
        return (np.zeros(len(text), dtype=np.int32),
                pd.Series(pd.array(pa.nulls(1, text.type), dtype=values.dtype),
                          name=values.name))
    encoded = text.dictionary_encode()
    if isinstance(encoded, pa.ChunkedArray):  # one dictionary for every chunk
        encoded = (encoded.combine_chunks() if encoded.num_chunks else
                   pa.array([], encoded.type.value_type).dictionary_encode())
    dictionary = encoded.dictionary
    indices = pc.fill_null(encoded.indices, len(dictionary))
    distinct = pa.concat_arrays([dictionary, pa.nulls(1, dictionary.type)])
    return (indices.to_numpy(zero_copy_only=False),
            pd.Series(pd.array(distinct, dtype=values.dtype), name=values.name))


def spread(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Per-row values from ``per_distinct`` (indexed 0..k) through ``codes``, of its dtype
    (what the function would have given on every row)."""
    return pd.Series(per_distinct.array.take(codes), index=index, name=per_distinct.name,
                     dtype=per_distinct.dtype)


def _dtype(family: str, column: str, cats: dict[str, tuple[str, ...]]) -> object:
    if family == _STR:
        return STRING_DTYPE
    if family == _TS:
        return TIMESTAMP_DTYPE
    if family == "category":
        return pd.CategoricalDtype(categories=list(cats[column]))
    if family == "category_open":
        return "category"
    return family


def ticket_dtypes() -> dict[str, object]:
    """The concrete pandas dtype of every canonical ticket column (a fresh dict; the
    dtypes themselves are immutable and built once: a categorical dtype costs ~0.1 ms,
    paid per column per file before, 2 s over a folder of 500 small exports)."""
    return dict(_dtypes("tickets"))


def event_dtypes() -> dict[str, object]:
    """The concrete pandas dtype of every events column (a fresh dict, shared dtypes)."""
    return dict(_dtypes("events"))


@functools.cache
def _dtypes(table: str) -> dict[str, object]:
    schema, cats = (TICKET_SCHEMA, _CATEGORIES) if table == "tickets" else (
        EVENT_SCHEMA, _EVENT_CATEGORIES)
    return {c: _dtype(f, c, cats) for c, f in schema.items()}


def empty_tickets() -> pd.DataFrame:
    """A tickets table with no rows and every canonical column typed (a fresh copy of
    one built once: every file without events asks for its empty events table)."""
    return _empty("tickets").copy()


def empty_events() -> pd.DataFrame:
    """An events table with no rows (a fresh copy of one built once)."""
    return _empty("events").copy()


@functools.cache
def _empty(table: str) -> pd.DataFrame:
    if table == "tickets":
        return conform_tickets(pd.DataFrame({c: pd.Series([], dtype=object)
                                             for c in TICKET_COLUMNS}))
    return conform_events(pd.DataFrame({c: pd.Series([], dtype=object) for c in EVENT_SCHEMA}))


def _typed(series: pd.Series, family: str, dtype: object) -> bool:
    """Already of the column's dtype (a categorical with its categories in schema order)."""
    have = series.dtype
    if family == "category_open":
        return isinstance(have, pd.CategoricalDtype) and have.categories.dtype == "string"
    if isinstance(dtype, pd.CategoricalDtype):
        return (isinstance(have, pd.CategoricalDtype) and have.ordered == dtype.ordered
                and list(have.categories) == list(dtype.categories))
    return bool(have == dtype)


#: the masked (nullable number and boolean) dtypes, by their public classes
_MASKED: Final = (pd.BooleanDtype, pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype,
                  pd.Float32Dtype, pd.Float64Dtype)

#: pandas 3 always copies on write: columns may share one array (a write copies first)
_COPY_ON_WRITE: Final = int(pd.__version__.split(".", 1)[0]) >= 3

#: rows per chunk of an all-missing text column (:func:`_nulls`)
_NULL_CHUNK: Final = 1 << 16


def _nulls(family: str, dtype: object, index: pd.Index) -> pd.Series:
    """An all-missing column of the given dtype (no per-row conversion)."""
    if family == "category_open":
        # all codes -1 (missing) over no categories: the dtype a cast of text gives
        dtype = pd.CategoricalDtype(pd.Index([], dtype="string"))
        return pd.Series(pd.Categorical.from_codes(np.full(len(index), -1, dtype=np.int8),
                                                   dtype=dtype), index=index)
    if family == _STR:
        import pyarrow as pa  # loaded by pandas' Arrow strings already

        # Arrow arrays are immutable: one block of nulls repeated as the column's chunks
        # (a million rows: 16 chunks sharing 512 KB) instead of 8 bytes of offsets a row
        n = len(index)
        block = pa.nulls(min(n, _NULL_CHUNK), pa.large_string())
        chunks = [block] * (n // _NULL_CHUNK)
        if n % _NULL_CHUNK:
            chunks.append(block.slice(0, n % _NULL_CHUNK))
        return pd.Series(pd.array(pa.chunked_array(chunks, pa.large_string()),
                                  dtype=STRING_DTYPE), index=index)
    masked = pd.api.types.pandas_dtype(dtype)  # the schema names them ("Int8")
    if isinstance(masked, _MASKED):
        # zeros under an all-set mask: the values are never read, and a calloc'd buffer
        # is not written (a million-row Float64 column: 8 MB of pages not touched)
        n = len(index)
        values = masked.construct_array_type()(np.zeros(n, masked.numpy_dtype),
                                               np.ones(n, dtype=bool))
        return pd.Series(values, index=index, copy=False)
    return pd.Series(pd.NaT if family == _TS else pd.NA, index=index, dtype=dtype)


def _vocabulary(series: pd.Series, dtype: pd.CategoricalDtype, column: str) -> pd.Series:
    """Values -> a categorical with the vocabulary ``dtype``, through the distinct values."""
    codes, distinct = factorize_na(series)
    return vocabulary_codes(distinct, codes, series.index, dtype, column)


def vocabulary_codes(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index,
                     dtype: pd.CategoricalDtype, column: str) -> pd.Series:
    """The categorical of vocabulary ``dtype`` that ``spread(per_distinct, codes,
    index)`` gives, without the per-row column: each distinct value is looked up in the
    vocabulary once and the rows take its code (:func:`factorize_na`'s ``codes``); a
    value outside the vocabulary is a :class:`ModelError`. The result has the column's
    dtype, so :func:`conform_tickets` passes it through."""
    lookup = pd.Index(dtype.categories).get_indexer(per_distinct.array)
    bad = (lookup < 0) & per_distinct.notna().to_numpy(dtype=bool)
    if bad.any():
        # only results some row takes (the trailing missing slot may be unused)
        bad &= np.bincount(codes, minlength=len(per_distinct)) > 0
        if bad.any():
            found = sorted(dict.fromkeys(map(str, per_distinct[bad])))[:5]
            raise ModelError(
                f"column {column!r} holds values outside its vocabulary: {found} "
                f"(allowed: {list(dtype.categories)})", column=column,
                problem="vocabulary", values=tuple(found))
    # -1 (missing) where the result is missing; int8: the codes of a small vocabulary
    taken = lookup.astype(np.int8 if len(dtype.categories) < 128 else np.int32)[codes]
    return pd.Series(pd.Categorical.from_codes(taken, dtype=dtype), index=index,
                     name=per_distinct.name)


def constant_category(value: str, index: pd.Index) -> pd.Series:
    """``value`` on every row as the open-vocabulary categorical :func:`conform_tickets`
    makes of a text column (a source tool or file name), without a per-row column."""
    # no rows, no category: what the cast of an empty column gives
    dtype = pd.CategoricalDtype(pd.Index([value] if len(index) else []).astype("string"))
    return pd.Series(pd.Categorical.from_codes(np.zeros(len(index), dtype=np.int8),
                                               dtype=dtype), index=index)


def _coerce(series: pd.Series, family: str, dtype: object, column: str) -> pd.Series:
    if _typed(series, family, dtype):
        return series
    if family == _TS:
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            return series.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            return series.dt.tz_localize("UTC").astype(TIMESTAMP_DTYPE)
        if series.isna().all():
            return pd.Series(pd.NaT, index=series.index, dtype=TIMESTAMP_DTYPE)
        raise ModelError(f"column {column!r} must hold timestamps, not {series.dtype}",
                         column=column, problem="timestamps", values=(str(series.dtype),))
    if family in ("category", "category_open"):
        if isinstance(dtype, pd.CategoricalDtype):
            return _vocabulary(series, dtype, column)
        return series.astype("string").astype("category")
    return series.astype(dtype)


def _conform(
    df: pd.DataFrame, schema: dict[str, str], dtypes: dict[str, object], what: str
) -> pd.DataFrame:
    extra = [c for c in df.columns if c not in schema]
    if extra:
        raise ModelError(f"{what} table has unknown columns: {extra}")
    out: dict[str, pd.Series] = {}
    no_times: pd.Series | None = None
    for column, family in schema.items():
        if column in df.columns:
            try:
                out[column] = _coerce(df[column], family, dtypes[column], column)
            except (TypeError, ValueError) as exc:
                raise ModelError(f"column {column!r} cannot be typed as {family}: {exc}",
                                 column=column, problem="type",
                                 values=(str(df[column].dtype),)) from exc
        elif family == _TS and _COPY_ON_WRITE:
            # every absent time column is one all-NaT column: NaT is not zero, so each
            # would be 8 bytes a row written (a ServiceNow list lacks nine: 72 MB at 1M,
            # 15 ms of fresh pages each); copy-on-write copies a column written to first
            if no_times is None:
                no_times = _nulls(family, dtypes[column], df.index)
            out[column] = no_times
        else:
            out[column] = _nulls(family, dtypes[column], df.index)
    return pd.DataFrame(out, index=df.index, copy=False).reset_index(drop=True)


def conform_tickets(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in order, with their dtypes.

    Missing columns become all-null (never a made-up default); values outside a
    vocabulary, unknown columns or untyped timestamps raise :class:`ModelError`.
    """
    out = _conform(df, TICKET_SCHEMA, ticket_dtypes(), "tickets")
    if out[TICKET_ID].isna().any():
        raise ModelError("every ticket needs a ticket_id", column=TICKET_ID,
                         problem="missing_id",
                         values=(str(int(out[TICKET_ID].isna().sum())),))
    return out


def conform_events(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` as a typed events table."""
    return _conform(df, EVENT_SCHEMA, event_dtypes(), "events")


def is_done(tickets: pd.DataFrame) -> pd.Series:
    """Boolean mask: status resolved, closed or cancelled."""
    return tickets[STATUS].isin(DONE_STATUSES).fillna(False).astype(bool)


#: a missing time (NaT) as int64 microseconds (:func:`ts_us`): the smallest int64, so a
#: maximum passes it by
NAT = np.iinfo(np.int64).min


def ts_us(values: pd.Series) -> np.ndarray:
    """Timestamps as int64 microseconds since the epoch (UTC), :data:`NAT` where missing:
    a view of a canonical column, no copy."""
    return values.to_numpy(dtype="datetime64[us]").view(np.int64)


def latest_time(times: pd.Series) -> pd.Timestamp | None:
    """The latest time in a timestamp column, None when it holds none: ``times.max()``
    without the copy of the column pandas makes to skip the missing times."""
    values = ts_us(times)
    top = int(values.max()) if len(values) else NAT
    return None if top == NAT else _utc(top)


def earliest_time(times: pd.Series) -> pd.Timestamp | None:
    """The earliest time in a timestamp column, None when it holds none: ``times.min()``
    read on the int64 view, the missing times (:data:`NAT`, the smallest int64: a plain
    minimum is one of them only when some is missing) left out by a mask, not by a copy
    of the column."""
    values = ts_us(times)
    if not len(values):
        return None
    low = int(values.min())  # no missing time (an opened column): one plain pass
    if low != NAT:
        return _utc(low)
    present = values != NAT
    if not present.any():
        return None
    return _utc(int(values.min(where=present, initial=np.iinfo(np.int64).max)))


def wall_to_utc(naive: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Naive wall-clock times in ``tz`` -> UTC, with a rule for each clock change:

    - a time in the hour repeated when clocks go back (02:30 twice in Europe/Berlin on
      the last Sunday of October) is read as its first pass, still in summer time: an
      export that writes local times without an offset cannot say which was meant, and
      the first is the one a ticket opened before the change shows;
    - a time in the hour skipped when clocks go forward (02:30 never happens on the last
      Sunday of March) is read as if the clock had already moved: moved forward by the
      gap (02:30 -> 03:30), so two such times keep their distance. A day whose midnight
      is skipped (America/Santiago) so starts at 01:00.

    Returns the UTC times and two masks over ``naive``: the repeated and the skipped
    times. pandas localizes every other time; only the few in a change are looked at
    again. The importers, ``--since``/``--until`` and the window's days all use it.
    """
    out = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    odd = (naive.notna() & out.isna()).to_numpy(dtype=bool)
    repeated = np.zeros(len(naive), dtype=bool)
    skipped = np.zeros(len(naive), dtype=bool)
    if odd.any():
        some = naive[odd]
        first_pass = some.dt.tz_localize(tz, ambiguous=np.ones(len(some), dtype=bool),
                                         nonexistent="NaT")
        in_repeat = first_pass.notna().to_numpy(dtype=bool)
        if not in_repeat.all():
            gap = some[~in_repeat]
            # the offset in force just before the gap, applied to the wall time
            before = gap.dt.tz_localize(tz, nonexistent="shift_backward")
            offset = before.dt.tz_localize(None) - before.dt.tz_convert(None)
            first_pass[~in_repeat] = (gap - offset).dt.tz_localize("UTC").dt.tz_convert(tz)
        out = out.copy()
        out[odd] = first_pass
        repeated[odd] = in_repeat
        skipped[odd] = ~in_repeat
    return out.dt.tz_convert("UTC"), repeated, skipped


def wall_time_to_utc(naive: pd.Timestamp, tz: str) -> pd.Timestamp:
    """One wall-clock time in ``tz`` -> UTC, by the rules of :func:`wall_to_utc`."""
    try:
        # a time no clock change touches (nearly all): what the Series path gives, without
        # building a Series for one value (the report's bounds and days ask ~100 times)
        return naive.tz_localize(tz, ambiguous="raise", nonexistent="raise").tz_convert("UTC")
    except ValueError:  # repeated or skipped by a clock change: the rules decide
        return wall_to_utc(pd.Series([naive]), tz)[0].iloc[0]


#: a Timestamp or a Series of them (:func:`local_day` keeps the kind it is given)
T = TypeVar("T", pd.Timestamp, pd.Series)


def local_wall(us: np.ndarray, tz: str) -> np.ndarray:
    """The wall-clock times in ``tz`` (naive ``datetime64[us]``, NaT where missing) of
    instants given as int64 UTC microseconds (:data:`NAT` missing): the zone's offsets
    applied to the whole array at once. The one conversion every day count, due day and
    midnight test starts from."""
    wall = np.asarray(us, dtype=np.int64).view("datetime64[us]")
    if tz == "UTC":
        return wall
    local: np.ndarray = (pd.DatetimeIndex(wall).tz_localize("UTC").tz_convert(tz)
                         .tz_localize(None).to_numpy(dtype="datetime64[us]"))
    return local


def local_day(ts: T, tz: str) -> T:
    """The calendar day (in ``tz``) holding ``ts`` (a Timestamp or a Series of them), as
    a naive midnight: day arithmetic on it is calendar arithmetic, whatever the clock does
    that day."""
    if isinstance(ts, pd.Series):
        return ts.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    return ts.tz_convert(tz).tz_localize(None).normalize()


def _utc(us: int) -> pd.Timestamp:
    """The UTC Timestamp of ``us`` microseconds since the epoch."""
    return pd.Timestamp(np.datetime64(us, "us")).tz_localize("UTC")


#: the columns a ticket's activity is seen in (the window's end, the data's start)
ACTIVITY_COLUMNS: Final = (OPENED_AT, RESOLVED_AT, CLOSED_AT, UPDATED_AT)


def activity_bound(tickets: pd.DataFrame, *, last: bool) -> pd.Timestamp | None:
    """The latest (``last``) or earliest opened, resolved, closed or updated time of any
    ticket, None when no ticket has one: the extreme of the columns' own extremes, not
    of the four columns stacked into one and stripped of their blanks (two copies of
    4 x 8 bytes a ticket, written to read one value)."""
    bound = latest_time if last else earliest_time
    known = [ts for ts in (bound(tickets[c]) for c in ACTIVITY_COLUMNS) if ts is not None]
    if not known:
        return None
    return max(known) if last else min(known)


def done_at(tickets: pd.DataFrame) -> pd.Series:
    """Done time of each ticket: ``resolved_at``, else ``closed_at``; NaT when not done.

    A ticket whose status is not done has no done time even if an old resolution
    timestamp survived a reopen.
    """
    return done_stamp(tickets).where(is_done(tickets))


def done_stamp(tickets: pd.DataFrame) -> pd.Series:
    """``resolved_at``, else ``closed_at``, whatever the status says: the time a ticket
    was last done, which a reopened ticket of a list export keeps (:func:`done_at` is it
    for the tickets done now)."""
    return tickets[RESOLVED_AT].fillna(tickets[CLOSED_AT])


def done_source(tickets: pd.DataFrame) -> pd.Series:
    """Which column :func:`done_at` took: 'resolved_at', 'closed_at' or <NA>."""
    done = is_done(tickets)
    src = pd.Series(pd.NA, index=tickets.index, dtype=STRING_DTYPE)
    src = src.mask(done & tickets[CLOSED_AT].notna(), CLOSED_AT)
    return src.mask(done & tickets[RESOLVED_AT].notna(), RESOLVED_AT)
