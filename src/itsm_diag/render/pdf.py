"""PDF report: the HTML report printed by a headless Chromium or Google Chrome.

No PDF library is bundled: the HTML report is already laid out for A4 (its print
stylesheet), and a Chromium prints it exactly as the browser's "Save as PDF" would, with
no header or footer. The browser is the one given (``--browser``), else the
``ITSM_DIAG_BROWSER`` environment variable, else the first of the usual names on PATH.
It runs with a throw-away profile, no network (the page's Content-Security-Policy
forbids every request anyway) and a time limit; the PDF is written atomically.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404  # runs the browser the user named or has on PATH
import tempfile
from pathlib import Path

from itsm_diag.errors import UsageError
from itsm_diag.report import Report

#: names a Chromium or Chrome goes by on PATH, in the order they are tried
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
            "chrome", "microsoft-edge")
#: seconds a print may take (the demo prints in about two)
TIMEOUT = 120
#: the flags that make a headless print quiet, private and offline
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--mute-audio", "--no-pdf-header-footer",
         "--print-to-pdf-no-header")
_INSTALL = ("install Chromium (apt-get install chromium, brew install --cask chromium) or "
            "Google Chrome, or name one with --browser PATH")


def find_browser(given: Path | None = None) -> Path:
    """The browser to print with, or a one-line error saying how to get one."""
    named = given if given is not None else (
        Path(os.environ["ITSM_DIAG_BROWSER"]) if os.environ.get("ITSM_DIAG_BROWSER") else None)
    if named is not None:
        found = shutil.which(str(named))
        if found is None:
            raise UsageError(f"--format pdf: no browser at {named}", hint=_INSTALL)
        return Path(found)
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    raise UsageError("--format pdf needs Chromium or Google Chrome, and none is on PATH",
                     hint=_INSTALL)


def print_html(html: str, browser: Path) -> bytes:
    """``html`` printed to PDF by ``browser`` (A4, the page's own margins, no header or
    footer)."""
    with tempfile.TemporaryDirectory(prefix="itsm-diag-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        # a browser running as root refuses to start with its sandbox on
        sandbox = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        cmd = [str(browser), *FLAGS, *sandbox, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={out}", page.as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True,  # nosec B603
                                 timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise UsageError(f"--format pdf: {browser} did not finish printing in "
                             f"{TIMEOUT} s", hint="try another browser with --browser") from exc
        except OSError as exc:
            raise UsageError(f"--format pdf: cannot run {browser}: {exc.strerror or exc}",
                             hint=_INSTALL) from exc
        if run.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            last = (run.stderr.strip().splitlines() or ["no message"])[-1][:200]
            raise UsageError(f"--format pdf: {browser} could not print the report "
                             f"(exit {run.returncode}: {last})",
                             hint="try another browser with --browser")
        return out.read_bytes()


def render(report: Report, browser: Path | None = None) -> bytes:
    """The report as PDF bytes."""
    from itsm_diag.render import html

    found = find_browser(browser)
    return print_html(html.render(report), found)


def write(report: Report, output: Path | None, browser: Path | None = None) -> None:
    """Print the report to ``output`` (atomically), or to standard output when None (a
    file or a pipe: the CLI refuses a terminal)."""
    from itsm_diag.render import write_atomic

    data = render(report, browser)
    if output is None:
        to_stdout(data)
        return
    try:
        write_atomic(output, data)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {output}: {exc.strerror or exc}",
                         hint="check that the folder exists and is writable and that the "
                         "disk has room") from exc


def to_stdout(data: bytes) -> None:
    """``data`` written to standard output's bytes, flushed: a reader that stopped reading
    (``| head``) is a normal end; a write that fails is one error line, not a traceback."""
    import sys

    try:
        sys.stdout.flush()  # nothing written before may land after the PDF's bytes
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        from itsm_diag.text import silence_stdout

        silence_stdout()
    except OSError as exc:
        raise UsageError(f"cannot write the report to standard output: {exc.strerror or exc}",
                         hint="check where standard output is sent (a full disk?)") from exc
