"""Writers from the canonical tables to each tool's export format (one module per tool).

Used to make the samples, the equivalence tests (the same tickets in every format import
to the same table) and the scale benchmarks.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd


def write_workbook(frame: pd.DataFrame, path: Path, sheet: str) -> None:
    """``frame`` as a one-sheet XLSX: a header row, then the rows (empty cells for
    missing values, timestamps as date cells)."""
    try:  # a test-only dependency: imported when used
        openpyxl = importlib.import_module("openpyxl")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("writing XLSX needs openpyxl (pip install openpyxl)") from exc
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(frame.columns))
    objects = frame.astype(object).where(frame.notna(), None)
    for row in objects.itertuples(index=False, name=None):
        ws.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    wb.save(path)
