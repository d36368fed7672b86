"""Renderers: each arranges a Report, never computes; JSON is the model's own dump."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FORMATS = ("terminal", "markdown", "html", "json", "pdf")


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


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
