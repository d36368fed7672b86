"""Renderers: each arranges a Report, never computes; JSON is the model's own dump."""

from __future__ import annotations

import contextlib
import errno
import os
import re
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


#: the paths that name one of this process's file descriptors (``/dev/stdout`` is a link
#: to ``/proc/self/fd/1``; ``/proc/self`` is ``/proc/<pid>`` once its link is followed)
_FD_PATH = re.compile(r"/proc/(?:self|thread-self|(\d+))(?:/task/\d+)?/fd/(\d+)|/dev/fd/(\d+)")
_STD_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
#: links followed at most (the kernel's own limit)
_MAX_LINKS = 40


def destination(path: Path) -> tuple[str, Path, int]:
    """Where a report written to ``path`` goes, by :func:`write_atomic`'s rule:

    - ``("fd", p, n)``: ``path`` names file descriptor ``n`` of this process (``/dev/stdout``,
      ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, or a link, a chain of links or
      a folder link leading to one): the report is written to that descriptor as it stands
      (the file, pipe or terminal it was redirected to; ``>>`` appends), and no file is
      created, replaced or renamed;
    - ``("through", p, -1)``: ``path`` is, or leads to, something other than a regular file
      (``/dev/null``, a FIFO, another process's descriptor): written through, since a
      rename would put a regular file in its place;
    - ``("atomic", p, -1)``: a regular file, or none yet: ``p`` is where it stands once every
      link is followed, so a link given as ``-o`` stays a link and the report replaces
      the file it leads to (written next to that file and renamed), never the link.

    Raises ``OSError`` (ELOOP) for a loop of links."""
    here = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        fd = _descriptor(here)
        if fd is None:
            # the folder's links followed (/dev/fd is a link to /proc/self/fd)
            here = Path(os.path.realpath(here.parent)) / here.name
            fd = _descriptor(here)
        if fd is not None:
            return ("fd", here, fd) if fd >= 0 else ("through", here, -1)
        if not here.is_symlink():
            if here.exists() and not here.is_file() and not here.is_dir():
                return "through", here, -1
            return "atomic", here, -1
        here = Path(os.path.join(here.parent, os.readlink(here)))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))


def _descriptor(path: Path) -> int | None:
    """The descriptor of this process ``path`` names; -1 for another process's; None when
    it names none."""
    text = os.path.normpath(str(path))
    if text in _STD_PATHS:
        return _STD_PATHS[text]
    found = _FD_PATH.fullmatch(text)
    if found is None:
        return None
    pid, fd, dev_fd = found.groups()
    if dev_fd is not None:
        return int(dev_fd)
    return int(fd) if pid is None or int(pid) == os.getpid() else -1


#: what :func:`check_writable` says by default: a report's ``--output``
_WRITE_HINT = "check the path, create the folder first, or write to another file"


def check_writable(output: Path, option: str = "--output", *, what: str = "write the report",
                   example: str = "report.html", hint: str = _WRITE_HINT) -> None:
    """Refuse, before anything is read, an output a report cannot be written to: a folder,
    a file in a folder that does not exist (or is no folder, or cannot be written), a
    descriptor that is not open. A diagnosis of a large export takes minutes; a typo in
    ``-o`` is said at once, not after it.

    Every file a command writes is checked here (``quiz --save-answers`` too), each in its
    own words: ``option`` names it, ``what`` is what cannot be done (``save the answers``),
    ``example`` a file name to give instead of a folder, ``hint`` what to do otherwise."""
    from itsm_diag.errors import UsageError

    try:
        kind, target, fd = destination(output)
    except OSError as exc:
        raise UsageError(f"cannot {what} to {output}: {exc.strerror or exc}",
                         hint="give a path that is not a loop of links") from exc
    if kind == "fd":
        try:
            os.fstat(fd)
        except OSError as exc:
            raise UsageError(f"cannot {what} to {output}: file descriptor "
                             f"{fd} is not open", hint=hint) from exc
        return
    if kind == "through":
        return
    if target.is_dir():
        raise UsageError(f"{option} {output} is a folder, not a file",
                         hint=f"give a file name such as {example}")
    folder = target.parent
    if target == Path(os.path.abspath(output)):  # no link followed: named as given
        folder = Path(output).parent
    # the system's words first, as a failed write says them, then which folder
    if not folder.is_dir():
        code, state = ((errno.ENOTDIR, "is not a folder") if folder.exists()
                       else (errno.ENOENT, "does not exist"))
        raise UsageError(f"cannot {what} to {output}: {os.strerror(code)} (the "
                         f"folder {folder} {state})", hint=hint)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot {what} to {output}: "
                         f"{os.strerror(errno.EACCES)} (the folder {folder} is not "
                         "writable)", hint=hint)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path`` via a temp file in the same folder and
    a rename, so a reader never sees half a report and an old report survives a failed
    write. Where a rename would lose something, see :func:`destination`: a descriptor
    (``/dev/stdout``) is written to as it stands, a device or pipe is written through, and
    a link is followed to the file it leads to, which is replaced (the link stays)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    kind, target, fd = destination(Path(path))
    if kind == "fd":
        _write_fd(fd, data)
        return
    if kind == "through":
        with target.open("wb") as fb:
            fb.write(data)
        return
    with _stopping_unwinds():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
        try:
            # mkstemp makes the file private (0600); a report gets the mode a plain open()
            # would give it: the old file's, else 0666 less the umask
            os.chmod(tmp, _mode_for(target))
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _write_fd(fd: int, data: bytes) -> None:
    """``data`` to descriptor ``fd`` at its own position, after what this process's
    stream on it already holds."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            if stream is not None and stream.fileno() == fd:
                stream.flush()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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


def deliver(output: Path | None, text: str, what: str = "the report") -> None:
    """``text`` to ``output`` (atomically) or to standard output, flushed here: a write
    that fails (no such folder, no permission, a full disk, standard output closed) is a
    :class:`~itsm_diag.errors.UsageError` naming ``what`` and where, never a traceback,
    nor a cut text with exit 0; a reader that stopped reading (``| head``) is a normal
    end."""
    import sys

    from itsm_diag.errors import UsageError

    try:
        if output is not None:
            write_atomic(output, text)
        else:
            if sys.stdout is None:
                raise OSError("standard output is closed")
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError:
        from itsm_diag.text import silence_stdout

        silence_stdout()
    except OSError as exc:
        where, hint = (
            (str(output), "check that the folder exists and is writable and that the disk "
                          "has room") if output is not None
            else ("standard output", "check where standard output is sent (a full disk?)"))
        raise UsageError(f"cannot write {what} to {where}: {exc.strerror or exc}",
                         hint=hint) from exc

