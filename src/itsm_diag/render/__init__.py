"""Renderers: each arranges a Report, never computes; JSON is the model's own dump."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

FORMATS = ("terminal", "markdown", "html", "json", "pdf")


def check_output(output: Path, inputs: Iterable[Path], option: str = "--output") -> None:
    """Refuse to write ``output`` when it is one of the run's inputs: the same file under
    any name (a symbolic or hard link included: device and inode are compared), or the
    same path; or when it is a file already there anywhere under an input folder (in a
    sub-folder too: the folder's owner's file, read or not). A report never replaces an
    export, a mapping, a config or a baseline."""
    from itsm_diag.errors import UsageError

    target = _identity(output)
    if target is None and not os.path.lexists(output):
        return  # nothing there yet: no input can be lost
    inputs = list(inputs)
    for path in inputs:
        if target is not None and _identity(path) == target:
            same = "" if Path(path) == Path(output) else f" (the same file as {path})"
            raise UsageError(f"{option} {output} is an input of this run{same}; an output "
                             "never replaces an input", hint="write to another file")
    # where the output is: the link itself (replacing it loses it) and what it points to
    places = {real_path(output.parent) / output.name, real_path(output)}
    for path in inputs:
        if not Path(path).is_dir():
            continue
        folder = real_path(Path(path))
        if any(folder == p or folder in p.parents for p in places):
            raise UsageError(f"{option} {output} is a file already inside {path}, part of "
                             "an input of this run; an output never replaces an input's file",
                             hint="write to a file outside the input folders")


def real_path(path: Path) -> Path:
    """``path`` absolute, its links followed (as far as it exists)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a loop of links
        return Path(os.path.abspath(path))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path`` via a temp file in the same folder and
    a rename, so a reader never sees half a report and an old report survives a failed
    write."""
    path = Path(path)
    if path.exists() and not path.is_file():
        # a device or pipe (/dev/null, /dev/stdout, a FIFO): renaming over it would
        # replace it with a regular file, so write through it instead
        if isinstance(text, bytes):
            path.write_bytes(text)
            return
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    with _stopping_unwinds():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            # mkstemp makes the file private (0600); a report gets the mode a plain open()
            # would give it: the old file's, else 0666 less the umask
            os.chmod(tmp, _mode_for(path))
            if isinstance(text, bytes):
                with os.fdopen(fd, "wb") as fb:
                    fb.write(text)
            else:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class Stopped(SystemExit):
    """SIGTERM or SIGHUP arrived while a report was being written."""


@contextlib.contextmanager
def _stopping_unwinds() -> Iterator[None]:
    """While a report is written, SIGTERM and SIGHUP raise :class:`Stopped` (exit code
    128 + the signal) instead of ending the process on the spot, so the temporary file is
    removed on the way out. Only the main thread can set handlers; elsewhere (a batch
    worker's thread) the default stands."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
