"""Write canonical tickets as Freshservice UI exports (tickets and changes, CSV or XLSX).

Headers come from the importer's alias table (:data:`importers.freshservice.HEADERS`) in
the chosen language, so a writer/importer round trip tests the aliases. Values are the
English labels even in translated exports (what the documented Spanish export shows).
Numbers take Freshservice's display form: ``INC-10001``, ``SR-10001``, ``CHN-30001``.
Problems, tasks and epics are not part of either export and are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from itsm_diag import model as m
from itsm_diag.importers.freshservice import HEADERS
from itsm_diag.writers import write_workbook

__all__ = ["freshservice_frames", "freshservice_id", "write_freshservice"]

Fmt = Literal["csv", "xlsx"]

_PREFIX = {"INC": "INC", "RITM": "SR", "REQ": "SR", "CHG": "CHN", "PRB": "PRB"}
_TICKET_STATUS = {"new": "Open", "open": "Open", "pending": "Pending", "resolved": "Resolved",
                  "closed": "Closed", "cancelled": "Cancelled"}
_CHANGE_STATUS = {"new": "Open", "open": "Planning", "pending": "Awaiting Approval",
                  "resolved": "Pending Review", "closed": "Closed", "cancelled": "Rejected"}
_PRIORITY = {1: "Urgent", 2: "High", 3: "Medium", 4: "Low", 5: "Low"}
_SOURCE = {"portal": "Portal", "email": "Email", "phone": "Phone", "chat": "Chat",
           "walk_in": "Walkup", "api": "API", "monitoring": "Monitoring", "other": "Other"}
_TYPE = {"incident": "Incident", "request": "Service Request"}
_CHANGE_TYPE = {"standard": "Standard", "normal": "Major", "emergency": "Emergency"}
_RISK = {"standard": "Low", "normal": "Medium", "emergency": "High"}

#: (export field, source): a canonical column or a derived value (``@name``)
TICKET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ticket_id", "@id"), ("subject", m.SUMMARY), ("status", "@ticket_status"),
    ("priority", "@priority"), ("source", "@source"), ("type", "@type"),
    ("requester", m.REQUESTER), ("agent", m.ASSIGNEE), ("group", m.ASSIGNMENT_GROUP),
    ("category", m.CATEGORY), ("sub_category", m.SUBCATEGORY),
    ("created", m.OPENED_AT), ("due_by", m.DUE_AT), ("resolved", m.RESOLVED_AT),
    ("closed", m.CLOSED_AT), ("updated", m.UPDATED_AT),
    ("initial_response", m.FIRST_RESPONSE_AT), ("resolution_status", "@sla"),
    ("tags", m.LABELS), ("time_tracked", "@time_tracked"),
)
CHANGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("change_id", "@id"), ("subject", m.SUMMARY), ("status", "@change_status"),
    ("change_type", "@change_type"), ("risk", "@risk"), ("priority", "@priority"),
    ("planned_start", m.PLANNED_START), ("planned_end", m.PLANNED_END),
    ("agent", m.ASSIGNEE), ("group", m.ASSIGNMENT_GROUP), ("requester", m.REQUESTER),
    ("category", m.CATEGORY), ("created", m.OPENED_AT), ("closed", m.CLOSED_AT),
    ("updated", m.UPDATED_AT),
)


def freshservice_id(ids: pd.Series) -> pd.Series:
    """``INC0010001`` -> ``INC-10001``, ``RITM0010001`` -> ``SR-10001`` (others unchanged)."""
    parts = ids.astype(m.STRING_DTYPE).str.extract(r"^([A-Z]+)0*(\d+)$")
    prefix = parts[0].map(_PREFIX)
    out = prefix + "-" + parts[1]
    return out.fillna(ids.astype(m.STRING_DTYPE)).astype(m.STRING_DTYPE)


def _text(col: pd.Series, date_format: str | None) -> pd.Series:
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        floored = col.dt.floor("s").dt.tz_convert("UTC").dt.tz_localize(None)
        return floored if date_format is None else floored.dt.strftime(date_format).astype(
            m.STRING_DTYPE)
    return col.astype(m.STRING_DTYPE)


def _derived(rows: pd.DataFrame, name: str) -> pd.Series:
    def lookup(column: str, labels: dict) -> pd.Series:
        return rows[column].astype("object").map(labels).astype(m.STRING_DTYPE)

    if name == "id":
        return freshservice_id(rows[m.TICKET_ID])
    if name == "ticket_status":
        return lookup(m.STATUS, _TICKET_STATUS)
    if name == "change_status":
        return lookup(m.STATUS, _CHANGE_STATUS)
    if name == "priority":
        return lookup(m.PRIORITY, _PRIORITY)
    if name == "source":
        return lookup(m.CHANNEL, _SOURCE)
    if name == "type":
        return lookup(m.KIND, _TYPE)
    if name == "change_type":
        return lookup(m.CHANGE_TYPE, _CHANGE_TYPE)
    if name == "risk":
        return lookup(m.CHANGE_TYPE, _RISK)
    if name == "sla":
        return rows[m.SLA_MET].map({True: "Within SLA", False: "SLA Violated"}).astype(
            m.STRING_DTYPE)
    if name == "time_tracked":
        minutes = np.round(rows[m.TIME_SPENT_HOURS].astype("Float64").fillna(0).to_numpy(
            dtype=float) * 60).astype(np.int64)
        hh = pd.Series(minutes // 60, index=rows.index).astype(m.STRING_DTYPE).str.zfill(2)
        mm = pd.Series(minutes % 60, index=rows.index).astype(m.STRING_DTYPE).str.zfill(2)
        text = hh + ":" + mm
        return text.where(rows[m.TIME_SPENT_HOURS].notna().to_numpy())
    raise KeyError(name)


def freshservice_frames(
    tickets: pd.DataFrame, *, language: str = "en", date_format: str | None = "%Y-%m-%d %H:%M:%S"
) -> dict[str, pd.DataFrame]:
    """``{"tickets": ..., "changes": ...}`` display tables (empty ones left out).

    ``date_format=None`` keeps times as naive UTC timestamps (for XLSX date cells).
    """
    out: dict[str, pd.DataFrame] = {}
    for table, kinds, spec in (("tickets", ("incident", "request"), TICKET_COLUMNS),
                               ("changes", ("change",), CHANGE_COLUMNS)):
        rows = tickets[tickets[m.KIND].isin(kinds)]
        if rows.empty:
            continue
        cols: dict[str, pd.Series] = {}
        for field, source in spec:
            header = HEADERS[field][language][0]
            values = _derived(rows, source[1:]) if source.startswith("@") else _text(
                rows[source], date_format)
            cols[header] = values.reset_index(drop=True)
        out[table] = pd.DataFrame(cols)
    return out


def write_freshservice(
    tickets: pd.DataFrame,
    out_dir: str | Path,
    *,
    fmt: Fmt = "csv",
    language: str = "en",
    date_format: str = "%Y-%m-%d %H:%M:%S",
    tables: tuple[str, ...] = ("tickets", "changes"),
) -> list[Path]:
    """Write ``tickets.<fmt>`` (incidents and service requests) and ``changes.<fmt>``.

    ``tables`` limits which of the two exports are written.

    CSV: UTF-8 without BOM, values quoted only where needed. XLSX: times as real date
    cells (Excel's export), everything else as text.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
    if language not in HEADERS["subject"]:
        raise ValueError(f"language must be one of {sorted(HEADERS['subject'])}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    frames = freshservice_frames(tickets, language=language,
                                 date_format=date_format if fmt == "csv" else None)
    for table, frame in frames.items():
        if table not in tables:
            continue
        path = out / f"{table}.{fmt}"
        if fmt == "csv":
            arrays = [pa.array(frame[c].to_numpy(dtype=object, na_value=None), pa.string())
                      for c in frame.columns]
            pacsv.write_csv(pa.Table.from_arrays(arrays, names=list(frame.columns)), path,
                            write_options=pacsv.WriteOptions(quoting_style="needed"))
        else:
            write_workbook(frame, path, "Tickets")
        written.append(path)
    return written
