"""Write canonical tables out in the formats real tools export (for samples and tests).

For now ServiceNow list exports (:func:`write_servicenow`): one file per table, as a
user gets them from a list's *Export* menu, with display values (state labels,
"3 - Moderate", reference fields as names/numbers) and either field-name headers (the
CSV default) or label headers (the XLSX default; a CSV with labels is what an admin who
flipped ``glide.export.csv.column_header_label`` gets).

Tables written (a table with no rows is skipped):

- ``incident``: incidents, with the journal of requester and agent comments in
  ``comments`` (newest first, ``"<date> - <name> (Additional comments)\\n<text>\\n\\n"``),
  ``knowledge`` (true/false) and the article number in the custom field
  ``u_knowledge_article``.
- ``change_request``, ``problem``, ``sc_req_item`` (requests; the new starter's start day
  in the catalogue variable column ``u_start_date``).
- ``task``: tasks and epics from the generic ``task`` table, told apart by
  ``sys_class_name`` (Task type: "Task" / "Epic"), with labels in the custom field
  ``u_labels`` (";"-joined).

Every table carries ``time_worked`` as a ServiceNow duration display value
("1 Day 2 Hours 15 Minutes"). Times are written in UTC with ``date_format``; CSVs are
UTF-8 with every value quoted, as ServiceNow writes them. ``made_sla`` and
``reassignment_count`` are left out when no ticket has them (a list layout without
those fields: the capability gap the reporting sign looks for).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from itsm_diag import model as m

__all__ = ["SERVICENOW_TABLES", "write_servicenow"]

Style = Literal["field", "label"]
Fmt = Literal["csv", "xlsx"]

#: canonical status -> ServiceNow display label, per table (used when status_raw is empty)
_STATE: dict[str, dict[str, str]] = {
    "incident": {"new": "New", "open": "In Progress", "pending": "On Hold",
                 "resolved": "Resolved", "closed": "Closed", "cancelled": "Canceled"},
    "change_request": {"new": "New", "open": "Implement", "pending": "Authorize",
                       "resolved": "Review", "closed": "Closed", "cancelled": "Canceled"},
    "problem": {"new": "New", "open": "Root Cause Analysis", "pending": "Assess",
                "resolved": "Resolved", "closed": "Closed", "cancelled": "Closed"},
    "sc_req_item": {"new": "Open", "open": "Work in Progress", "pending": "Pending",
                    "resolved": "Closed Complete", "closed": "Closed Complete",
                    "cancelled": "Closed Skipped"},
    "task": {"new": "Open", "open": "Work in Progress", "pending": "Pending",
             "resolved": "Closed Complete", "closed": "Closed Complete",
             "cancelled": "Closed Skipped"},
}
_PRIORITY = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low", 5: "5 - Planning"}
_CHANNEL = {"portal": "Self-service", "email": "Email", "phone": "Phone", "chat": "Chat",
            "walk_in": "Walk-in", "api": "API", "monitoring": "Monitoring", "other": "Other"}
_CHANGE_TYPE = {"standard": "Standard", "normal": "Normal", "emergency": "Emergency"}
_CLOSE_CODE = {"successful": "Successful", "successful_with_issues": "Successful with issues",
               "failed": "Unsuccessful", "backed_out": "Unsuccessful"}
_TASK_TYPE = {"task": "Task", "other": "Epic"}

#: canonical kinds held by each table
_KINDS: dict[str, tuple[str, ...]] = {
    "incident": ("incident",), "change_request": ("change",), "problem": ("problem",),
    "sc_req_item": ("request",), "task": ("task", "other"),
}

#: per table: (field name, label, source); a source is a canonical column (copied, times
#: formatted) or the name of a derived value (see _derived)
SERVICENOW_TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "incident": (
        ("number", "Number", m.TICKET_ID),
        ("short_description", "Short description", m.SUMMARY),
        ("state", "State", "@state"),
        ("priority", "Priority", "@priority"),
        ("category", "Category", m.CATEGORY),
        ("subcategory", "Subcategory", m.SUBCATEGORY),
        ("cmdb_ci", "Configuration item", m.CI),
        ("business_service", "Service", m.SERVICE),
        ("assignment_group", "Assignment group", m.ASSIGNMENT_GROUP),
        ("assigned_to", "Assigned to", m.ASSIGNEE),
        ("caller_id", "Caller", m.REQUESTER),
        ("contact_type", "Channel", "@channel"),
        ("opened_at", "Opened", m.OPENED_AT),
        ("resolved_at", "Resolved", m.RESOLVED_AT),
        ("closed_at", "Closed", m.CLOSED_AT),
        ("sys_updated_on", "Updated", m.UPDATED_AT),
        ("due_date", "Due date", m.DUE_AT),
        ("reassignment_count", "Reassignment count", m.REASSIGNMENT_COUNT),
        ("reopen_count", "Reopen count", m.REOPEN_COUNT),
        ("made_sla", "Made SLA", m.SLA_MET),
        ("problem_id", "Problem", m.PROBLEM_REF),
        ("caused_by", "Caused by Change", m.CAUSED_BY_CHANGE),
        ("knowledge", "Knowledge", "@knowledge"),
        ("u_knowledge_article", "Knowledge article", m.KNOWLEDGE_REF),
        ("time_worked", "Time worked", "@time_worked"),
        ("comments", "Additional comments", "@comments"),
    ),
    "change_request": (
        ("number", "Number", m.TICKET_ID),
        ("short_description", "Short description", m.SUMMARY),
        ("type", "Type", "@change_type"),
        ("state", "State", "@state"),
        ("close_code", "Close code", "@close_code"),
        ("priority", "Priority", "@priority"),
        ("category", "Category", m.CATEGORY),
        ("cmdb_ci", "Configuration item", m.CI),
        ("business_service", "Service", m.SERVICE),
        ("assignment_group", "Assignment group", m.ASSIGNMENT_GROUP),
        ("assigned_to", "Assigned to", m.ASSIGNEE),
        ("requested_by", "Requested by", m.REQUESTER),
        ("start_date", "Planned start date", m.PLANNED_START),
        ("end_date", "Planned end date", m.PLANNED_END),
        ("work_start", "Actual start", m.ACTUAL_START),
        ("work_end", "Actual end", m.ACTUAL_END),
        ("opened_at", "Opened", m.OPENED_AT),
        ("closed_at", "Closed", m.CLOSED_AT),
        ("sys_updated_on", "Updated", m.UPDATED_AT),
        ("time_worked", "Time worked", "@time_worked"),
    ),
    "problem": (
        ("number", "Number", m.TICKET_ID),
        ("short_description", "Short description", m.SUMMARY),
        ("state", "State", "@state"),
        ("priority", "Priority", "@priority"),
        ("category", "Category", m.CATEGORY),
        ("subcategory", "Subcategory", m.SUBCATEGORY),
        ("cmdb_ci", "Configuration item", m.CI),
        ("assignment_group", "Assignment group", m.ASSIGNMENT_GROUP),
        ("assigned_to", "Assigned to", m.ASSIGNEE),
        ("opened_at", "Opened", m.OPENED_AT),
        ("resolved_at", "Resolved", m.RESOLVED_AT),
        ("closed_at", "Closed", m.CLOSED_AT),
        ("sys_updated_on", "Updated", m.UPDATED_AT),
        ("time_worked", "Time worked", "@time_worked"),
    ),
    "sc_req_item": (
        ("number", "Number", m.TICKET_ID),
        ("short_description", "Short description", m.SUMMARY),
        ("cat_item", "Item", m.REQUEST_ITEM),
        ("state", "State", "@state"),
        ("priority", "Priority", "@priority"),
        ("assignment_group", "Assignment group", m.ASSIGNMENT_GROUP),
        ("assigned_to", "Assigned to", m.ASSIGNEE),
        ("requested_for", "Requested for", m.REQUESTER),
        ("contact_type", "Channel", "@channel"),
        ("opened_at", "Opened", m.OPENED_AT),
        ("closed_at", "Closed", m.CLOSED_AT),
        ("due_date", "Due date", m.DUE_AT),
        ("u_start_date", "Start date", "@start_day"),
        ("sys_updated_on", "Updated", m.UPDATED_AT),
        ("reassignment_count", "Reassignment count", m.REASSIGNMENT_COUNT),
        ("made_sla", "Made SLA", m.SLA_MET),
        ("time_worked", "Time worked", "@time_worked"),
        ("comments", "Additional comments", "@comments"),
    ),
    "task": (
        ("number", "Number", m.TICKET_ID),
        ("sys_class_name", "Task type", "@task_type"),
        ("short_description", "Short description", m.SUMMARY),
        ("state", "State", "@state"),
        ("priority", "Priority", "@priority"),
        ("assignment_group", "Assignment group", m.ASSIGNMENT_GROUP),
        ("assigned_to", "Assigned to", m.ASSIGNEE),
        ("opened_at", "Opened", m.OPENED_AT),
        ("closed_at", "Closed", m.CLOSED_AT),
        ("sys_updated_on", "Updated", m.UPDATED_AT),
        ("time_worked", "Time worked", "@time_worked"),
        ("u_labels", "Labels", m.LABELS),
    ),
}
#: columns a list layout leaves out when the instance does not track them at all
_DROP_WHEN_EMPTY = frozenset({m.SLA_MET, m.REASSIGNMENT_COUNT})


def write_servicenow(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    style: Style = "field",
    fmt: Fmt = "csv",
    date_format: str = "%Y-%m-%d %H:%M:%S",
    max_rows: int | None = None,
    tables: tuple[str, ...] | None = None,
) -> list[Path]:
    """Write ``tickets`` (canonical) as ServiceNow list exports into ``out_dir``.

    One file per table (``incident.csv``, ``change_request.csv``, ``problem.csv``,
    ``sc_req_item.csv``, ``task.csv``, or ``.xlsx``); returns the paths written.
    ``style`` picks field-name or label headers; ``events`` feeds the comments journal.
    ``max_rows`` splits a larger table into chunks ``incident_1.csv``, ``incident_2.csv``...
    in number order, as users export past ServiceNow's row cap. ``tables`` limits which
    tables are written (default: all of :data:`SERVICENOW_TABLES`).
    """
    if style not in ("field", "label"):
        raise ValueError(f"style must be 'field' or 'label', not {style!r}")
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    journal = _journal(events, date_format) if events is not None else None
    written: list[Path] = []
    for table, spec in SERVICENOW_TABLES.items():
        if tables is not None and table not in tables:
            continue
        rows = tickets[tickets[m.KIND].isin(_KINDS[table])]
        if rows.empty:
            continue
        frame = servicenow_frame(rows, table, spec, journal, style, date_format)
        size = max_rows if max_rows and max_rows < len(frame) else len(frame)
        parts = range(0, len(frame), size)
        for i, lo in enumerate(parts, start=1):
            name = table if len(parts) == 1 else f"{table}_{i}"
            path = out / f"{name}.{fmt}"
            chunk = frame.iloc[lo: lo + size]
            if fmt == "csv":
                _write_csv(chunk, path)
            else:
                _write_xlsx(chunk, path)
            written.append(path)
    return written


def servicenow_frame(
    rows: pd.DataFrame,
    table: str,
    spec: tuple[tuple[str, str, str], ...],
    journal: pd.Series | None,
    style: Style,
    date_format: str,
) -> pd.DataFrame:
    """The display-value table for one ServiceNow table (all columns strings)."""
    derived = _derived(rows, table, journal, date_format)
    cols: dict[str, pd.Series] = {}
    for field, label, source in spec:
        if source.startswith("@"):
            values = derived[source[1:]]()
        else:
            if source in _DROP_WHEN_EMPTY and rows[source].isna().all():
                continue
            values = _display(rows[source], date_format)
        cols[field if style == "field" else label] = values.reset_index(drop=True)
    return pd.DataFrame(cols)


def _display(col: pd.Series, date_format: str) -> pd.Series:
    """A canonical column as display text (times formatted, booleans true/false)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.strftime(date_format).astype(m.STRING_DTYPE)
    if isinstance(col.dtype, pd.BooleanDtype):
        return col.map({True: "true", False: "false"}).astype(m.STRING_DTYPE)
    return col.astype(m.STRING_DTYPE)


def _derived(
    rows: pd.DataFrame, table: str, journal: pd.Series | None, date_format: str
) -> dict[str, Callable[[], pd.Series]]:
    """Display values that are not a plain copy of one canonical column."""

    def mapped(raw: str, column: str, labels: dict) -> Callable[[], pd.Series]:
        # the tool's own value wins; otherwise translate the canonical one
        def make() -> pd.Series:
            fallback = rows[column].astype("object").map(labels)
            return rows[raw].fillna(fallback.astype(m.STRING_DTYPE)).astype(m.STRING_DTYPE)
        return make

    def state() -> pd.Series:
        labels = _STATE[table]
        fallback = rows[m.STATUS].astype("object").map(labels).astype(m.STRING_DTYPE)
        return rows[m.STATUS_RAW].fillna(fallback)

    def knowledge() -> pd.Series:
        return rows[m.KNOWLEDGE_REF].notna().map({True: "true", False: "false"}).astype(
            m.STRING_DTYPE)

    def comments() -> pd.Series:
        if journal is None:
            return pd.Series(pd.NA, index=rows.index, dtype=m.STRING_DTYPE)
        return rows[m.TICKET_ID].map(journal).astype(m.STRING_DTYPE)

    def start_day() -> pd.Series:
        day_format = date_format.split(" ")[0]
        return rows[m.START_DATE].dt.strftime(day_format).astype(m.STRING_DTYPE)

    return {
        "state": state,
        "priority": mapped(m.PRIORITY_RAW, m.PRIORITY, _PRIORITY),
        "channel": mapped(m.CHANNEL_RAW, m.CHANNEL, _CHANNEL),
        "change_type": lambda: rows[m.CHANGE_TYPE].astype("object").map(_CHANGE_TYPE).astype(
            m.STRING_DTYPE),
        "close_code": lambda: rows[m.CHANGE_OUTCOME].astype("object").map(_CLOSE_CODE).astype(
            m.STRING_DTYPE),
        "task_type": lambda: rows[m.KIND].astype("object").map(_TASK_TYPE).astype(
            m.STRING_DTYPE),
        "knowledge": knowledge,
        "time_worked": lambda: duration_display(rows[m.TIME_SPENT_HOURS]),
        "comments": comments,
        "start_day": start_day,
    }


def duration_display(hours: pd.Series) -> pd.Series:
    """Hours as a ServiceNow duration display value: '1 Day 2 Hours 15 Minutes'."""
    minutes = np.round(hours.astype("Float64").fillna(0).to_numpy(dtype=float) * 60)
    minutes = minutes.astype(np.int64)
    parts = []
    for value, unit in ((minutes // 1440, "Day"), (minutes % 1440 // 60, "Hour"),
                        (minutes % 60, "Minute")):
        text = pd.Series(value.astype(str), dtype=m.STRING_DTYPE) + " " + unit + pd.Series(
            np.where(value == 1, "", "s"), dtype=m.STRING_DTYPE)
        parts.append(text.where(value > 0, ""))
    out = (parts[0] + " " + parts[1] + " " + parts[2]).str.strip().str.replace(
        r"\s+", " ", regex=True)
    out = out.where((minutes > 0) & hours.notna().to_numpy(), pd.NA)
    out.index = hours.index
    return out.astype(m.STRING_DTYPE)


def _journal(events: pd.DataFrame, date_format: str) -> pd.Series:
    """Per ticket id, the comments journal as ServiceNow shows it: newest entry first."""
    c = events[(events[m.EV_KIND] == "comment")
               & events[m.EV_AUTHOR_ROLE].isin(["requester", "agent"])]
    if c.empty:
        return pd.Series(dtype=m.STRING_DTYPE)
    c = c.sort_values([m.EV_TICKET_ID, m.EV_AT], ascending=[True, False], kind="stable")
    entry = (c[m.EV_AT].dt.strftime(date_format).astype(m.STRING_DTYPE) + " - "
             + c[m.EV_AUTHOR].fillna("Unknown").astype(m.STRING_DTYPE)
             + " (Additional comments)\n" + c[m.EV_VALUE].fillna("").astype(m.STRING_DTYPE)
             + "\n\n")
    table = pa.table({"id": pa.array(c[m.EV_TICKET_ID].to_numpy(dtype=object), pa.string()),
                      "entry": pa.array(entry.to_numpy(dtype=object), pa.string())})
    # single-threaded grouping keeps each list in input (newest-first) order
    grouped = table.group_by("id", use_threads=False).aggregate([("entry", "list")])
    text = pc.binary_join(grouped["entry_list"], "")
    return pd.Series(text.to_pylist(), index=grouped["id"].to_pylist(), dtype=m.STRING_DTYPE)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    arrays = [pa.array(frame[c].to_numpy(dtype=object, na_value=None), pa.string())
              for c in frame.columns]
    table = pa.Table.from_arrays(arrays, names=list(frame.columns))
    # ServiceNow quotes every value; empty cells stay empty
    options = pacsv.WriteOptions(quoting_style="all_valid", include_header=True)
    pacsv.write_csv(table, path, write_options=options)


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    try:  # a test-only dependency: imported when used
        openpyxl = importlib.import_module("openpyxl")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("writing XLSX needs openpyxl (pip install openpyxl)") from exc
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Page 1")  # the sheet name ServiceNow gives list exports
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        ws.append([None if v is pd.NA or v is None else v for v in row])
    wb.save(path)
