"""Where a pull keeps what it received: a journal per stream and one atomic state file.

Everything lives in ``OUT/.itsm-diag-pull/`` (a dot folder, which ``diagnose OUT`` skips):

- ``<stream>.ndjson``: every record of every page, appended page by page, one
  ``{"k": kind, "r": record}`` a line (``k`` is ``main`` or a side-load's name);
- ``state.json``: the run's parameters, and per stream and window the cursor of the next
  page, the journal's length after the last page and the counts so far. It is replaced
  atomically (temporary file, fsync, rename) after each page's lines are fsynced.

A run killed between the two leaves journal lines the state does not know; the next run
cuts the journal back to the length the state recorded, and fetches that page again, so
each page lands exactly once. The journal keeps every version received; :meth:`Journal.
latest` keeps the latest of each record (the latest update wins; on a tie, the one
received last).

The state also holds the SHA-256 of every export file the pull wrote into ``OUT``
(:class:`Outputs`): a file of that name whose content is not one the pull wrote is the
user's (an export saved there, a file edited since) and is never replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from itsm_diag.errors import UsageError
from itsm_diag.pull.client import dumps

#: diagnose OUT passes over it (importers.registry.PULL_STATE, the same name: tested)
STATE_DIR = ".itsm-diag-pull"
STATE_VERSION = 1


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``path`` so that a reader (or a crash) sees the old file or the new, never half."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class State:
    """The state file: ``data`` is plain JSON (parameters, streams, windows)."""

    def __init__(self, folder: Path, data: dict[str, Any]) -> None:
        self.folder = folder
        self.data = data

    @property
    def path(self) -> Path:
        return self.folder / "state.json"

    @classmethod
    def open(cls, out: Path, params: dict[str, Any]) -> State:
        """The state of a pull into ``out`` with ``params``: the saved one (a resumed or
        repeated run) or a new one. Another pull's state in ``out`` is a usage error."""
        folder = out / STATE_DIR
        path = folder / "state.json"
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(f"the pull state is unreadable ({type(exc).__name__})",
                                 file=path, hint="delete the folder's .itsm-diag-pull "
                                 "and pull again") from exc
            if data.get("version") != STATE_VERSION or data.get("params") != params:
                saved = data.get("params", {})
                raise UsageError(
                    f"{out} holds another pull ({saved.get('tool')} {saved.get('url')}, "
                    + ", ".join(f"{k}={v}" for k, v in saved.items()
                                if k not in ("tool", "url") and v not in (None, [], ""))
                    + ")", hint="rerun that command to resume it, or pull into another --out")
            return cls(folder, data)
        return cls(folder, {"version": STATE_VERSION, "params": params, "streams": {}})

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True))

    def stream(self, name: str) -> dict[str, Any]:
        return self.data["streams"].setdefault(name, {"windows": [], "journal_bytes": 0})


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One pull at a time into a folder (a second would interleave pages)."""
    folder = out / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("w") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise UsageError(f"another pull is writing into {out}",
                             hint="wait for it to finish, or pull into another --out") from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Journal:
    """The append-only record log of one stream."""

    def __init__(self, folder: Path, stream: str) -> None:
        self.path = folder / f"{stream}.ndjson"
        self._fh: TextIO | None = None

    def open(self, committed: int) -> None:
        """Open for appending after cutting off what the state never recorded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        if self.path.stat().st_size != committed:
            with self.path.open("r+b") as fh:
                fh.truncate(committed)
        self._fh = self.path.open("a", encoding="utf-8")

    def append(self, kind: str, records: list[Any]) -> int:
        """Append records, fsync, and return the journal's length (to record in the state)."""
        if self._fh is None:
            raise RuntimeError("Journal.append before Journal.open")
        self._fh.write("".join(dumps({"k": kind, "r": r}) + "\n" for r in records))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self._fh.tell()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def entries(self, committed: int) -> Iterator[tuple[str, Any]]:
        """``(kind, record)`` in the order received, up to the committed length."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            data = fh.read(committed)
        for line in data.splitlines():
            if line.strip():
                item = json.loads(line)
                yield item["k"], item["r"]

    def latest(self, committed: int, keys: dict[str, Callable[[Any], tuple[str, str]]]
               ) -> dict[str, list[Any]]:
        """Per kind, the latest version of each record by ``keys[kind](record) -> (id,
        updated)``; records listed in the order each id was first received."""
        best: dict[str, dict[str, tuple[str, Any]]] = {}
        for kind, record in self.entries(committed):
            rid, updated = keys[kind](record)
            seen = best.setdefault(kind, {})
            old = seen.get(rid)
            if old is None or updated >= old[0]:
                seen[rid] = (updated, record)
        return {kind: [r for _, r in seen.values()] for kind, seen in best.items()}


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class Outputs:
    """The export files of a pull into ``folder``: written atomically, and never over a
    file the pull did not write itself (an input the user put there).

    The state keeps, per file name, the SHA-256 of the content the pull wrote. A file of
    that name with another content (or no record: a file the user saved there before the
    first pull, or a link, or a folder) is refused before the first request and again
    just before writing. The digest of the new content is saved (beside the old one) before
    the file is replaced, so a run killed between the two still knows both as its own.
    """

    KEY = "files"

    def __init__(self, folder: Path, state: State) -> None:
        self.folder = folder
        self.state = state

    def _known(self) -> dict[str, list[str]]:
        known: dict[str, list[str]] = self.state.data.setdefault(self.KEY, {})
        return known

    def check(self, names: list[str]) -> None:
        """Refuse when one of ``names`` in the folder is not a file this pull wrote."""
        for name in names:
            path = self.folder / name
            if not (path.exists() or path.is_symlink()):
                continue
            if not self._ours(path, name):
                raise UsageError(
                    "no earlier pull into this folder wrote this file, and the pull "
                    "would replace it",
                    file=path, hint="move it out of the folder, or pull into another --out")

    def _ours(self, path: Path, name: str) -> bool:
        if path.is_symlink() or not path.is_file():
            return False
        try:
            return digest(path) in self._known().get(name, [])
        except OSError:  # unreadable: not known to be ours, so not replaced
            return False

    def write(self, name: str, text: str) -> Path:
        """Write ``name`` atomically, after :meth:`check`; returns its path."""
        self.check([name])
        data = text.encode("utf-8")
        new = hashlib.sha256(data).hexdigest()
        known = self._known()
        known[name] = [*dict.fromkeys([*known.get(name, []), new])]
        self.state.save()
        path = self.folder / name
        write_atomic(path, data)
        known[name] = [new]
        self.state.save()
        return path

    def remove(self, name: str) -> Path | None:
        """Remove ``name``, a file an earlier run wrote, when no record is left to write
        in it (every one deleted on the server, or no longer returned): ``diagnose``
        would else read the records it holds. Refused, as :meth:`write` is, when the file
        is not the pull's own; None when there is no such file. The unlink is atomic (a
        reader sees the old file or none), and the digest is forgotten after it (a run
        killed between the two finds no file, and nothing to remove)."""
        path = self.folder / name
        if not (path.exists() or path.is_symlink()):
            return None
        self.check([name])
        path.unlink()
        self._known().pop(name, None)
        self.state.save()
        return path
