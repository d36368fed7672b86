"""Write canonical tickets as the export a mapping file describes (any other tool).

:func:`write_mapped` inverts a :class:`~itsm_diag.importers.mapping.MappingSpec`: each
mapped field is written under its first column name, vocabulary fields as the first
tool value that maps to the canonical one. :func:`write_glpi` uses the shipped GLPI
mapping and GLPI's CSV habits (``;``, UTF-8 BOM, CRLF, every value quoted, numeric ids).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from itsm_diag import model as m
from itsm_diag.importers.mapping import MappingSpec, load_mapping
from itsm_diag.writers import write_workbook

__all__ = ["mapped_frame", "write_glpi", "write_mapped"]

_VOCAB_FIELDS = (m.STATUS, m.PRIORITY, m.CHANNEL, m.KIND, m.CHANGE_TYPE, m.CHANGE_OUTCOME,
                 m.SLA_MET)


def _inverse(table: dict) -> dict:
    """canonical value -> the first tool value mapping to it (codes like "1" skipped)."""
    out: dict = {}
    for tool_value, canonical in table.items():
        if not str(tool_value).isdigit():
            out.setdefault(canonical, tool_value)
    return out


def mapped_frame(tickets: pd.DataFrame, spec: MappingSpec,
                 date_format: str = "%Y-%m-%d %H:%M") -> pd.DataFrame:
    """The display table (all text) for ``tickets`` under ``spec``'s columns."""
    cols: dict[str, pd.Series] = {}
    for field in spec.columns:
        header = spec.names(field)[0]
        col = tickets[field]
        if field in _VOCAB_FIELDS and getattr(spec.values, field):
            labels = _inverse(getattr(spec.values, field))
            # a value the tool has no label for is written as the canonical word, which
            # the mapping importer's defaults read back
            text = col.astype("object").map(labels).fillna(col.astype("object"))
        elif isinstance(col.dtype, pd.DatetimeTZDtype):
            text = col.dt.tz_convert(spec.time_zone or "UTC").dt.strftime(date_format)
        else:
            text = col.astype("object")
        cols[header] = text.astype(m.STRING_DTYPE).reset_index(drop=True)
    return pd.DataFrame(cols)


def write_mapped(
    tickets: pd.DataFrame,
    spec: MappingSpec,
    path: str | Path,
    *,
    delimiter: str = ",",
    bom: bool = False,
    crlf: bool = False,
    date_format: str = "%Y-%m-%d %H:%M",
) -> Path:
    """Write one CSV of ``tickets`` as the tool described by ``spec`` exports it (an XLSX
    workbook, every cell text, when ``path`` ends in ``.xlsx``)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = mapped_frame(tickets, spec, date_format)
    if out.suffix.lower() == ".xlsx":
        write_workbook(frame, out, "Export")
        return out
    frame.to_csv(out, sep=delimiter, index=False, quoting=csv.QUOTE_ALL,
                 encoding="utf-8-sig" if bom else "utf-8",
                 lineterminator="\r\n" if crlf else "\n")
    return out


def write_glpi(
    tickets: pd.DataFrame, out_dir: str | Path, *, date_format: str = "%d-%m-%Y %H:%M"
) -> Path:
    """Incidents and requests as a GLPI ticket list export (``tickets.csv``).

    GLPI numbers tickets with one integer sequence, so ids are renumbered 1, 2, ... in
    opening order (``date_format`` follows a user preference; day-first by default).
    GLPI has no cancelled status: cancelled tickets are written as closed.
    """
    spec = load_mapping("glpi").spec
    rows = tickets[tickets[m.KIND].isin(["incident", "request"])].sort_values(
        [m.OPENED_AT, m.TICKET_ID], kind="stable").copy()
    rows[m.TICKET_ID] = pd.Series(range(1, len(rows) + 1), index=rows.index).astype(
        m.STRING_DTYPE)
    rows[m.STATUS] = rows[m.STATUS].astype("object").replace("cancelled", "closed")
    return write_mapped(rows, spec, Path(out_dir) / "tickets.csv", delimiter=";", bom=True,
                        crlf=True, date_format=date_format)
