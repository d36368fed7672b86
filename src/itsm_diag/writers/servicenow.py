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

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from itsm_diag import model as m
from itsm_diag.writers import write_workbook

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
                write_workbook(chunk, path, "Page 1")  # ServiceNow names its sheets so
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
    """Hours as a ServiceNow duration display value: '1 Day 2 Hours 15 Minutes' (under
    half a minute: '20 Seconds', not an empty cell)."""
    raw = hours.astype("Float64").fillna(0).to_numpy(dtype=float)
    minutes = np.round(raw * 60)
    minutes = minutes.astype(np.int64)
    seconds = np.round(raw * 3600).astype(np.int64)
    parts = []
    for value, unit in ((minutes // 1440, "Day"), (minutes % 1440 // 60, "Hour"),
                        (minutes % 60, "Minute")):
        text = pd.Series(value.astype(str), dtype=m.STRING_DTYPE) + " " + unit + pd.Series(
            np.where(value == 1, "", "s"), dtype=m.STRING_DTYPE)
        parts.append(text.where(value > 0, ""))
    out = (parts[0] + " " + parts[1] + " " + parts[2]).str.strip().str.replace(
        r"\s+", " ", regex=True)
    short = pd.Series(seconds.astype(str), dtype=m.STRING_DTYPE) + " Second" + pd.Series(
        np.where(seconds == 1, "", "s"), dtype=m.STRING_DTYPE)
    out = out.where(minutes > 0, short.where(seconds > 0))
    out = out.where(hours.notna().to_numpy(), pd.NA)
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


#: the header of the real incident audit log (the UCI "Incident management process
#: enriched event log", exported from a ServiceNow instance's audit), in its order
LOG_COLUMNS: tuple[str, ...] = (
    "number", "incident_state", "active", "reassignment_count", "reopen_count",
    "sys_mod_count", "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by",
    "sys_created_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify",
    "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at",
    "closed_at",
)
#: canonical status -> the legacy incident states that log uses
_LOG_STATE = {"new": "New", "open": "Active", "pending": "Awaiting User Info",
              "resolved": "Resolved", "closed": "Closed", "cancelled": "Canceled"}
LOG_DATE = "%d/%m/%Y %H:%M"


def servicenow_log_frame(tickets: pd.DataFrame, events: pd.DataFrame,
                         date_format: str = LOG_DATE) -> pd.DataFrame:
    """The incident audit log (all cells text, ``?`` for a missing value).

    One row per update of an incident: its creation, then every status change,
    assignment change and comment of ``events``, in time order, ``sys_mod_count``
    counting them from 0. Each row shows the state and assignment group at that update
    and the running reassignment and reopen counts; like the real log, the other fields
    (resolved/closed times, SLA, caller, CI, ...) hold the ticket's final values on every
    row. Dates are day-first without zero padding and without seconds (``5/3/2016 12:00``).
    """
    inc = tickets[tickets[m.KIND] == "incident"].reset_index(drop=True)
    ev = events[events[m.EV_TICKET_ID].isin(inc[m.TICKET_ID])
                & events[m.EV_KIND].isin(["status", "assignment", "comment", "worklog"])]
    ev = pd.DataFrame({
        m.EV_TICKET_ID: ev[m.EV_TICKET_ID].astype("object"), m.EV_AT: ev[m.EV_AT],
        "_status": ev[m.EV_VALUE].astype("object").where(ev[m.EV_KIND] == "status"),
        "_group": ev[m.EV_VALUE].astype("object").where(ev[m.EV_KIND] == "assignment"),
    })
    # the creation is one row: its status 'new' and first group, at the opened time
    opened_at = ev[m.EV_TICKET_ID].map(inc.set_index(m.TICKET_ID)[m.OPENED_AT])
    at_open = ev[m.EV_AT].eq(opened_at) & (ev["_status"].eq("new") | ev["_group"].notna())
    first_group = ev[at_open & ev["_group"].notna()].drop_duplicates(m.EV_TICKET_ID).set_index(
        m.EV_TICKET_ID)["_group"]
    created = pd.DataFrame({m.EV_TICKET_ID: inc[m.TICKET_ID].astype("object"),
                            m.EV_AT: inc[m.OPENED_AT], "_status": "new",
                            "_group": inc[m.TICKET_ID].map(first_group).astype("object")})
    rows = pd.concat([created, ev[~at_open]], ignore_index=True)
    rows = rows.sort_values([m.EV_TICKET_ID, m.EV_AT], kind="stable").reset_index(drop=True)
    by = rows.groupby(m.EV_TICKET_ID, sort=False)
    status = by["_status"].ffill()
    group = by["_group"].ffill().fillna(by["_group"].bfill())
    prev_status = status.groupby(rows[m.EV_TICKET_ID], sort=False).shift()
    reopened = (status.eq("open") & prev_status.isin(["resolved", "closed"])).astype(int)
    has_group = rows["_group"].notna().astype(int)
    moves = has_group.groupby(rows[m.EV_TICKET_ID], sort=False).cumsum()
    final = inc.set_index(m.TICKET_ID)
    tid = rows[m.EV_TICKET_ID]
    last_row = ~tid.duplicated(keep="last")

    def final_of(col: str) -> pd.Series:
        return tid.map(final[col])

    def text(col: pd.Series) -> pd.Series:
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.strftime(date_format).str.replace(r"(^|/)0(\d)", r"\1\2", regex=True)
        elif isinstance(col.dtype, pd.BooleanDtype):
            col = col.map({True: "true", False: "false"})
        return col.astype(m.STRING_DTYPE).fillna("?")

    at = rows[m.EV_AT]
    opened = final_of(m.OPENED_AT)
    state = status.map(_LOG_STATE)
    cols: dict[str, pd.Series] = {
        "number": tid.astype(m.STRING_DTYPE),
        "incident_state": state.astype(m.STRING_DTYPE),
        "active": (~status.isin(["closed", "cancelled"])).map({True: "true", False: "false"}),
        # a ticket without a count (an instance that does not track it) shows "?"
        "reassignment_count": (moves - 1).clip(lower=0).astype(str).where(
            final_of(m.REASSIGNMENT_COUNT).notna(), "?"),
        # running reopens from the history; the last update shows the ticket's count
        "reopen_count": reopened.groupby(tid, sort=False).cumsum().where(
            ~last_row, final_of(m.REOPEN_COUNT)).astype("Int64").astype(str).replace(
            "<NA>", "?"),
        "sys_mod_count": rows.groupby(m.EV_TICKET_ID, sort=False).cumcount().astype(str),
        "made_sla": text(final_of(m.SLA_MET).astype("boolean")),
        "caller_id": text(final_of(m.REQUESTER)),
        "opened_by": text(final_of(m.REQUESTER)),
        "opened_at": text(opened),
        "sys_created_by": text(final_of(m.REQUESTER)),
        "sys_created_at": text(opened),
        "sys_updated_by": pd.Series("system", index=rows.index),
        "sys_updated_at": text(at),
        "contact_type": text(final_of(m.CHANNEL_RAW).fillna(
            final_of(m.CHANNEL).astype("object").map(_CHANNEL))),
        "category": text(final_of(m.CATEGORY)),
        "subcategory": text(final_of(m.SUBCATEGORY)),
        "cmdb_ci": text(final_of(m.CI)),
        "priority": text(final_of(m.PRIORITY_RAW).fillna(
            final_of(m.PRIORITY).astype("object").map(_PRIORITY))),
        "assignment_group": text(group.astype(m.STRING_DTYPE)),
        "assigned_to": text(final_of(m.ASSIGNEE)),
        "knowledge": text(final_of(m.KNOWLEDGE_REF).notna().astype("boolean")),
        "notify": pd.Series("Do Not Notify", index=rows.index),
        "problem_id": text(final_of(m.PROBLEM_REF)),
        "rfc": pd.Series("?", index=rows.index),
        "caused_by": text(final_of(m.CAUSED_BY_CHANGE)),
        "resolved_at": text(final_of(m.RESOLVED_AT)),
        "closed_at": text(final_of(m.CLOSED_AT)),
    }
    frame = pd.DataFrame({c: cols.get(c, pd.Series("?", index=rows.index)).astype(
        m.STRING_DTYPE) for c in LOG_COLUMNS})
    return frame


def write_servicenow_log(tickets: pd.DataFrame, events: pd.DataFrame, out_dir: str | Path,
                         *, name: str = "incident_event_log.csv",
                         date_format: str = LOG_DATE) -> Path:
    """Write the incidents of ``tickets`` as an audit (event) log CSV; returns its path.

    Shaped like the real UCI log: its 36 columns, field-name headers, ``?`` for missing,
    unquoted values, legacy incident states (Active, Awaiting User Info...). Other kinds
    are not in an incident log: write them with :func:`write_servicenow`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = servicenow_log_frame(tickets, events, date_format)
    path = out / name
    frame.to_csv(path, index=False)  # quoted only where needed, as the real log
    return path
