"""The importer interface, and the column-mapping machinery every importer shares.

An importer scores a raw table (how sure it is the file is its tool's) and turns it into
the canonical tickets table plus an optional events table. Column aliases are compared
after folding (case, spaces, ``_``/``-``), so ``opened_at``, ``Opened`` and ``OPENED AT``
meet.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.errors import DateFormatError, InputError, MissingColumns
from itsm_diag.importers import dates, guards
from itsm_diag.importers.readers import RawTable


@dataclass(frozen=True)
class ImportOptions:
    """User choices that override detection and inference."""

    date_format: str | None = None
    tz: str = "UTC"
    #: ``--tz`` was given (even as UTC): it wins over a mapping's ``time_zone``, which
    #: otherwise sets the zone of the times its files hold without one
    tz_given: bool = False
    #: ``--max-file-mb``: None for the defaults (:mod:`.guards`)
    max_file_mb: float | None = None
    #: custom field id -> (its name as a CSV header, ``Title [type]``; a drop-down's
    #: option value -> option name), from field definitions passed with the tickets
    #: (Zendesk's ticket_fields.json)
    custom_fields: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    #: the run's ``defaults.wording`` (with its config's overrides) for the loader's own
    #: data notes; None for the shipped wording (:func:`words`)
    wording: Mapping[str, str] | None = None

    @property
    def tz_chosen(self) -> bool:
        """The user chose the zone (``--tz``, even UTC, or a library caller's zone): it
        wins over a mapping's ``time_zone``."""
        return self.tz_given or self.tz != "UTC"

    def words(self) -> Mapping[str, str]:
        """The wording the loader's data notes use: the run's, else the shipped one
        (read only when a note is written, and only for callers that give none)."""
        if self.wording is not None:
            return self.wording
        from itsm_diag.config import load_rules

        return load_rules().defaults.wording

    def __post_init__(self) -> None:
        # before any file is read
        guards.check_max_file_mb(self.max_file_mb)
        guards.check_tz(self.tz)
        guards.check_date_format(self.date_format)


@dataclass
class Detection:
    """How sure an importer is that a raw table is its tool's, and which table it is."""

    tool: str
    score: float
    table: str
    reasons: list[str] = field(default_factory=list)
    #: what the file's warnings say about the choice (a mapping chosen over others that
    #: fit the file too)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SourceInfo:
    """What was read from one table of one file (becomes the report's ``inputs`` row)."""

    path: str
    tool: str
    table: str
    rows: int
    tickets: int
    confidence: float
    detected_by: str
    encoding: str | None
    delimiter: str | None
    date_formats: dict[str, str]
    column_map: dict[str, str]
    warnings: list[str]
    #: every column header of the table, as the file wrote them: a sign may name a column
    #: that looks like a field it lacks and was not read (not part of the report: columns
    #: a reader takes outside ``column_map``, comments or links, are among them)
    headers: tuple[str, ...] = ()
    #: each header no canonical field was read from: the table's rows holding a value in
    #: it (a column in every header of a Jira all-fields export is no proof that the tool
    #: keeps anything there). Not part of the report either
    fill: dict[str, int] = field(default_factory=dict)
    #: headers read outside ``column_map`` into a field it names once (Zendesk's agent
    #: wait and on-hold minutes, summed into ``waiting_hours``): no unread column. Not
    #: part of the report
    read_also: tuple[str, ...] = ()


@dataclass
class Imported:
    tickets: pd.DataFrame
    events: pd.DataFrame
    info: SourceInfo
    #: the importer has made every ticket id distinct (and present), so a single file
    #: needs no second duplicate pass over a million ids in ``registry.combine``
    unique_ids: bool = False
    #: the zone the file's times without an offset were read in (``--tz``, or the zone
    #: its mapping names): where a date without a time of day lands on midnight
    zone: str = "UTC"
    #: tickets the file lists as deleted (``ticket_id``, ``updated_at``), left out of
    #: ``tickets``: :func:`~itsm_diag.importers.registry.combine` leaves out every row of
    #: such a ticket that another input holds from before its deletion
    gone: pd.DataFrame | None = None
    #: the ticket ids of orders among ``tickets`` (kind request): records that hold
    #: requests of their own, a ServiceNow REQ its requested items (RITM). Left out where
    #: the input holds those requests (:func:`~itsm_diag.importers.servicenow.orders_apart`)
    orders: pd.Index | None = None
    #: records of other departments' work (HR, customer service, security, facilities
    #: and legal cases, any record class the importer does not know as IT work) left out
    #: of ``tickets``: how they are named -> their count, for the run's data note
    foreign: dict[str, int] | None = None


def fold_name(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").replace("\ufeff", "").lower().split())


def head_texts(values: pd.Series, n: int = 200) -> list[str]:
    """The first ``n`` filled values of a column as text: the bounded sample a detector
    reads a column's content from (``values.dropna().head(n).astype(str)``, without
    pandas' per-call cost, which on the small files detection mostly sees is most of it).
    """
    if m.is_arrow_text(values):
        import pyarrow.compute as pc

        column = values.array.__arrow_array__()
        # the first 4n rows hold n filled values in nearly every column: no copy of a
        # million-row column for each detector; the whole column only when they do not
        filled = pc.drop_null(column.slice(0, 4 * n))
        if len(filled) < n and len(column) > 4 * n:
            filled = pc.drop_null(column)
        return filled.slice(0, n).to_pylist()
    return [str(x) for x in values.dropna().head(n)]


def share_matching(texts: Sequence[str], pattern: str) -> float:
    """The share of ``texts`` that ``pattern`` matches at their start (Python's ``re``,
    as pandas' ``str.match``); 0.0 when there are none."""
    if not texts:
        return 0.0
    rx = re.compile(pattern)
    return sum(rx.match(t) is not None for t in texts) / len(texts)


def most_common_prefix(texts: Sequence[str], pattern: str) -> str | None:
    """The most frequent first group of ``pattern`` matched at the texts' start (ties: the
    smallest, as pandas' ``mode``), or None when it matches none."""
    rx = re.compile(pattern)
    counts = Counter(hit.group(1) for t in texts if (hit := rx.match(t)) is not None)
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def resolve_columns(
    headers: Iterable[str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """canonical field -> the first header matching one of its aliases (by priority)."""
    by_fold: dict[str, str] = {}
    for h in headers:
        by_fold.setdefault(fold_name(h), h)
    out: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            hit = by_fold.get(fold_name(alias))
            if hit is not None:
                out[canonical] = hit
                break
    return out


def _repeat_of(header: str, headers: set[str]) -> str:
    """The header ``header`` repeats: ``opened_at`` for ``opened_at.1`` (as
    :func:`~.readers.dedupe_headers` numbers repeats), else ``header`` itself."""
    base, dot, digits = header.rpartition(".")
    return base if dot and digits.isdigit() and base in headers else header


def repeated_header_notes(raw: RawTable, column_map: Mapping[str, str]) -> list[str]:
    """Warnings for the fields read from a header that the file has more than once
    (the same name, or names equal once case, spaces, ``_`` and ``-`` are folded): which
    column was read, which were not, and in how many rows their values differ."""
    headers = [str(h) for h in raw.frame.columns]
    present = set(headers)
    groups: dict[str, list[int]] = {}
    for pos, h in enumerate(headers):
        groups.setdefault(fold_name(_repeat_of(h, present)), []).append(pos)
    used = set(column_map.values())
    notes: list[str] = []
    said: set[str] = set()
    for canonical, header in column_map.items():
        if header not in present or header in said:
            continue
        said.add(header)
        same = groups[fold_name(_repeat_of(header, present))]
        pos = headers.index(header)
        others = [p for p in same if p != pos and headers[p] not in used]
        if not others:
            continue
        read = raw.frame.iloc[:, pos]
        unread = []
        for other in others:
            values = raw.frame.iloc[:, other]
            both = (read.notna() & values.notna()).to_numpy(bool)
            differ = both & (read.astype("string") != values.astype("string")).fillna(
                False).to_numpy(bool)
            only = (read.isna() & values.notna()).to_numpy(bool)
            found = []
            if differ.any():
                found.append(f"its value differs in {int(differ.sum()):,} rows, first at "
                             f"row {raw.first_data_row + int(differ.argmax())}")
            if only.any():
                found.append(f"it alone has a value in {int(only.sum()):,} rows")
            unread.append(f"column {other + 1} was not read ("
                          + ("; ".join(found) or "its values are the same or empty") + ")")
        places = [str(p + 1) for p in sorted([pos, *others])]
        notes.append(
            f"columns {', '.join(places[:-1])} and {places[-1]} share the header {header!r}: "
            f"{canonical} was read from column {pos + 1}; {'; '.join(unread)}; keep one "
            "such column in the export")
    return notes


#: per tool, the columns the export-formats reference lists for its exports that bear on
#: a reading but that no field is read from (by field name; a label header such as
#: ``Parent Incident`` folds to the same name): a file that fills one has it named in its
#: warnings with what is not read (:func:`unread_reference_notes`), never dropped without
#: a word. What each leaves unread is the wording's ``unread_column.<tool>.<name>``. A
#: column an importer comes to read (into its column map) is no longer named
REFERENCE_UNREAD: dict[str, tuple[str, ...]] = {
    "servicenow": ("child_incidents", "duplicate_of"),
}


def unread_reference_notes(info: SourceInfo, rows: int,
                           words: Callable[[], Mapping[str, str]]) -> list[str]:
    """One warning per column of :data:`REFERENCE_UNREAD` for ``info``'s tool that the
    file fills and no field was read from (``info.fill``: a header outside the column
    map, with its filled rows): its header, how many of the table's ``rows`` fill it and
    what is not read (``unread_column`` of ``words()``, read only when one is found). A
    parent incident column dropped without a word left a client no way to tell that 120
    child incidents were counted as incidents of their own."""
    names = REFERENCE_UNREAD.get(info.tool, ())
    if not names:
        return []
    wanted = {fold_name(n): n for n in names}
    found = [(header, n, wanted[fold_name(header)]) for header, n in info.fill.items()
             if n and fold_name(header) in wanted]
    if not found:
        return []
    from itsm_diag.text import fmt

    wording = words()
    return [fmt(wording["unread_column"], {
        "column": header, "filled": n, "rows": rows,
        "effect": wording[f"unread_column.{info.tool}.{name}"]}) for header, n, name in found]


#: below this many rows, date columns are parsed one after another (threads cost more)
_PARALLEL_ROWS = 50_000


def parse_dates(
    raw: RawTable,
    columns: Mapping[str, str],
    options: ImportOptions,
) -> tuple[dict[str, pd.Series], dict[str, str], list[str]]:
    """Parse the mapped date columns (canonical -> raw header) of ``raw``.

    Returns the parsed series by canonical name, the format used per raw header, and
    warnings. Formats are inferred together so one file keeps one day/month order.
    """
    values = {raw_col: raw.frame[raw_col] for raw_col in dict.fromkeys(columns.values())}
    formats = dates.infer_formats(values, raw.path, options.date_format, raw.first_data_row)
    parsed: dict[str, pd.Series] = {}
    warnings: list[str] = []

    def parse_one(raw_col: str) -> tuple[pd.Series, str | None]:
        return dates.parse(raw.frame[raw_col], formats[raw_col].format, raw.path, raw_col,
                           raw.first_data_row, options.tz)

    todo = [c for c in dict.fromkeys(columns.values()) if c in formats]
    try:
        # columns parse independently, mostly in Arrow kernels that release the GIL: in
        # threads for a large file; results (and the first error) are taken in column order
        if len(todo) > 1 and len(raw.frame) >= _PARALLEL_ROWS:
            with ThreadPoolExecutor(max_workers=min(4, len(todo))) as pool:
                done = dict(zip(todo, pool.map(parse_one, todo), strict=True))
        else:
            done = {c: parse_one(c) for c in todo}
    except DateFormatError as exc:
        if options.date_format is not None and options.date_format not in dates.ORDERS and (
                exc.remedy == "pass"):
            # the format was given: "pass --date-format" would send the user in a circle
            dates.blame_given(exc, options.date_format)
        raise
    said: set[str] = set()
    for canonical, raw_col in columns.items():
        if raw_col not in formats:  # an all-empty column
            parsed[canonical] = pd.Series(pd.NaT, index=raw.frame.index, dtype=m.TIMESTAMP_DTYPE)
            continue
        warning = done[raw_col][1]
        if warning and raw_col not in said:  # where the one-by-one loop said it
            warnings.append(warning)
        said.add(raw_col)
        # impossible timestamps (before 1990, events after today) are counted and nulled
        parsed[canonical] = guards.plausible_times(done[raw_col][0], canonical, raw_col,
                                                   raw.first_data_row, warnings)
    used = {c: dates.format_used(f) for c, f in formats.items()}
    return parsed, used, warnings


class Importer(ABC):
    """One tool's export format."""

    name: str

    @abstractmethod
    def detect(self, raw: RawTable) -> Detection:
        """Score ``raw`` in [0, 1]: 1 = certainly this tool."""

    @abstractmethod
    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        """Canonical tickets (conformed) and events from ``raw``."""


def require_ids(
    raw: RawTable,
    id_col: str | None,
    opened_col: str | None,
    *,
    tool: str,
    id_label: str,
    opened_label: str,
    hint: str,
) -> pd.Series:
    """The ticket id column, once the id and opened-time columns are known to exist and
    at least one id is filled; otherwise the one-line error that says which is missing."""
    missing = [label for label, col in ((id_label, id_col), (opened_label, opened_col))
               if col is None]
    if missing or id_col is None:
        raise MissingColumns(f"missing required {tool} column(s) {', '.join(missing)}",
                             tool=tool, id_label=id_label if id_col is None else None,
                             opened_label=opened_label if opened_col is None else None,
                             file=raw.path, hint=hint)
    ids = raw.frame[id_col]
    if ids.isna().all():
        raise InputError(f"the {id_label} column is empty", file=raw.path, column=id_col,
                         hint=f"export the {id_label} column")
    return ids


def any_repeated(ids: pd.Series) -> bool:
    """Whether a present id appears more than once (``ids.dropna().duplicated().any()``).

    Exports are usually sorted by number, ascending or descending, and a strictly
    ordered column holds no repeat: one comparison pass proves it, where the hash pass
    over a million ids costs ten times more. Ids that are plain numbers (Zendesk's,
    Freshservice's) are in order as numbers, not as text ("9" > "10"): when every id reads
    as an integer and those are strictly ordered, no two are equal, so no two texts are
    (equal texts read as equal numbers). Any other column gets the hash pass.
    """
    present = ids.dropna()
    if len(present) > 1 and m.is_arrow_text(present):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = present.array.__arrow_array__()
        if _strictly_ordered(arr):
            return False
        try:
            numbers = pc.cast(arr, pa.int64())
        except pa.ArrowException:  # not all plain integers (or past 64 bits)
            pass
        else:
            if _strictly_ordered(numbers):
                return False
    return bool(present.duplicated().any())


def _strictly_ordered(values: Any) -> bool:
    """Whether an Arrow array without nulls is strictly ascending or strictly descending."""
    import pyarrow.compute as pc

    later, earlier = values.slice(1), values.slice(0, len(values) - 1)
    return bool(pc.all(pc.greater(later, earlier)).as_py()
                or pc.all(pc.less(later, earlier)).as_py())


def stamp_source(tickets: pd.DataFrame | MutableMapping[str, Any], tool: str,
                 file_name: str, index: pd.Index | None = None) -> None:
    """Set the tickets' source tool and file (in place; a frame, or columns by name on
    ``index``): the columns that keep two tools' tickets apart in a combined run."""
    rows = index if index is not None else tickets.index  # type: ignore[union-attr]
    tickets[m.SOURCE_TOOL] = m.constant_category(tool, rows)
    tickets[m.SOURCE_FILE] = m.constant_category(file_name, rows)


#: the times a row shows of its ticket's life (its update time aside): with no update
#: time, the row holding the latest of them has seen more of the ticket
LIFE_TIMES = (m.OPENED_AT, m.FIRST_RESPONSE_AT, m.RESOLVED_AT, m.CLOSED_AT)


def repeat_order(tickets: pd.DataFrame) -> pd.DataFrame:
    """``tickets`` (their id column, on their own index) ordered so that the row to keep
    of each repeated ticket id comes last (``drop_duplicates(keep="last")``) and its
    other rows before it, oldest first.

    The latest update wins, and a row without an update time loses to one with it.
    Among rows without one (chunked exports without ``Updated``, taken at different
    times), the row showing more of the ticket's life wins: a row that shows the ticket
    done (a resolved or closed time, or a done status) over one that does not, then the
    row with the latest of its :data:`LIFE_TIMES`; the row read last only when they tie
    (chunked exports are usually passed oldest first). An issue resolved by the later
    export is no longer counted open from the earlier one's row, whatever the files'
    names."""
    n = len(tickets)
    updated = m.ts_us(tickets[m.UPDATED_AT])
    has_update = updated != m.NAT
    life = np.full(n, m.NAT, dtype=np.int64)
    for column in LIFE_TIMES:
        if column in tickets.columns:
            np.maximum(life, m.ts_us(tickets[column]), out=life)
    done = m.is_done(tickets).to_numpy(dtype=bool)
    for column in (m.RESOLVED_AT, m.CLOSED_AT):
        if column in tickets.columns:
            done = done | tickets[column].notna().to_numpy(dtype=bool)
    # a row with an update time is ordered by it alone (and the order read on ties)
    done = done & ~has_update
    life = np.where(has_update, m.NAT, life)
    order = np.lexsort((np.arange(n), life, done, updated, has_update))
    return tickets[[m.TICKET_ID]].iloc[order]


def kept_of_repeats(updated: pd.Series) -> str:
    """Which row of a repeated ticket id is kept, as the rows' update times (``updated``,
    those of the repeated rows) let registry.combine choose (:func:`repeat_order`): the
    latest update, else the row showing more of the ticket's life, else the last read."""
    life = ("unless another shows more of the ticket's life: a row that shows it done (a "
            "resolved or closed time, or a done status) over one that does not, else the "
            "row with the latest of its opened, first response, resolved and closed times")
    known = int(updated.notna().sum())
    if known == len(updated):
        return "the latest update of each is kept"
    if known == 0:
        return f"the last row read of each is kept (the rows carry no update time) {life}"
    return ("the latest update of each is kept (a row without an update time loses to one "
            f"with it; among rows without one, the last read wins {life})")


def holding_cells(frame: pd.DataFrame, rows: pd.Series) -> int:
    """How many of the ``rows`` (a mask on ``frame``'s index) hold a cell. A row whose
    every cell is empty is no ticket left without its id: the reader emptied it (a
    repeated header line, a ``sep=`` line of files joined with ``cat``) and named it in a
    note of its own, so the count of rows skipped for a missing id leaves it out."""
    picked = rows.index[rows.to_numpy(dtype=bool)]
    if not len(picked):
        return 0
    return int((~frame.loc[picked].isna().all(axis=1)).sum())


def finish_tickets(
    df: pd.DataFrame, blank: pd.Series, raw: RawTable, tool: str, id_label: str,
    warnings: list[str],
) -> pd.DataFrame:
    """Drop rows without an id, stamp the source, conform, and warn about repeated ids
    (registry.combine keeps the latest update of each)."""
    if blank.any():
        skipped = holding_cells(raw.frame, blank)
        if skipped:
            warnings.append(f"{skipped} rows without {id_label} were skipped")
        df = df[~blank]
    stamp_source(df, tool, raw.name)
    tickets = m.conform_tickets(df)
    dupes = int(tickets[m.TICKET_ID].duplicated().sum()) if any_repeated(
        tickets[m.TICKET_ID]) else 0
    if dupes:
        repeated = tickets[m.TICKET_ID].duplicated(keep=False).to_numpy(dtype=bool)
        warnings.append(f"{dupes} {id_label} values appear more than once in this file; "
                        + kept_of_repeats(tickets.loc[repeated, m.UPDATED_AT]))
    return tickets
