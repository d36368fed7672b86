"""Every column of every sample export filled with odd values, one column at a time.

A whole column of odd numbers, durations, counts and dates (a fraction beside 1e30
minutes; whole hours beside ``01:30``; negative counts) is read into the canonical model
or refused with one clear :class:`ItsmDiagError`: never another exception. The mutation
fuzz changes a few cells of a three-row seed, which seldom makes such a mix in the one
column that needs it (it missed both crashes this test was written for: Zendesk's first
reply minutes of 1e30, Freshservice's whole hours beside clock hours).
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest

from itsm_diag.errors import ItsmDiagError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

ROOT = Path(__file__).resolve().parents[2]
#: (export, mapping to read it with): the samples, and the Freshservice ticket fixture
#: (the sample's tickets are a workbook)
FILES = [("samples/demo/incident_1.csv", None), ("samples/demo/change_request.csv", None),
         ("samples/demo/task.csv", None), ("samples/servicenow/problem.csv", None),
         ("samples/freshservice/changes.csv", None),
         ("tests/fixtures/freshservice/tickets_en.csv", None),
         ("samples/jira/jira_1.csv", None), ("samples/zendesk/zendesk_export.csv", None),
         ("samples/glpi/tickets.csv", "glpi")]
ODD = ("2", "2.5", "-1", "-0", "0", "1,234", "1e30", "-1e30", "inf", "-inf", "NaN", "x",
       "", "  ", "null", "-", "01:30", "58:22:50", "2 Hours", "9999999999", "true", "P1",
       "2026-13-45", "2026-03-01 25:00:00", "1970-01-01 00:00:00", "3000-01-01 00:00:00",
       "１２", "٣")
ROWS = 60  # every odd value at least twice in the column, beside each of the others


@pytest.mark.parametrize(("sample", "mapping"), FILES, ids=[Path(f).name for f, _ in FILES])
def test_every_column_of_odd_values_is_read_or_refused(tmp_path: Path, sample: str,
                                                       mapping: str | None) -> None:
    source = ROOT / sample
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    mapping_path = Path(mapping) if mapping else None
    failures = []
    for col, name in enumerate(header):
        odd = itertools.cycle(ODD)
        new = [list(body[i % len(body)]) for i in range(ROWS)]
        for i, row in enumerate(new):
            if col < len(row) and i % 4 != 3:  # a real value left in every fourth row
                row[col] = next(odd)
        path = tmp_path / f"{col}_{source.name}"
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *new])
        try:
            load_paths([path], ImportOptions(), mapping=mapping_path)
        except ItsmDiagError:
            pass
        except Exception as exc:  # what the test is for: anything but ItsmDiagError
            failures.append(f"column {name!r}: {type(exc).__name__}: {exc}")
        path.unlink()
    assert not failures, "\n".join(failures)
