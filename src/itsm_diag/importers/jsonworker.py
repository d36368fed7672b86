"""A second Python process that flattens the second half of a big JSON export while the
reader flattens the first (:mod:`~itsm_diag.importers.jsonfiles`).

Flattening records is Python work, one record at a time, so threads cannot share it (the
interpreter lock); a second interpreter can. The reader sends the helper the raw bytes of
the records after a cut (NDJSON lines, or a document's record items as one JSON array),
the helper flattens them with the same functions (:mod:`~itsm_diag.importers.flatten`)
and sends back the Arrow text columns as an IPC stream, which the reader appends to its
own. The helper's answer is used only when it is whole (its exit status 0 and a stream
that reads); anything else (it could not start, a record it refused, a crash, a kill, a
stall) and the reader flattens those records itself, so the table, and any refusal, is
exactly what one process makes.

The helper is started with ``-I`` (no current directory, no ``PYTHON*`` variables, no
user site) and given the reader's own ``sys.path``, so it runs the same code as the
reader and nothing the working directory holds. It reads nothing but its input and
writes nothing but its answer; what it prints on error goes nowhere.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import subprocess  # nosec B404: runs this interpreter on this module, no shell
import sys
import threading
import time
from pathlib import Path
from typing import Any

from itsm_diag import cpus

#: a file smaller than this is read in one process (the helper's start, about 0.15 s of
#: its own, is not worth it for a few thousand records)
MIN_BYTES = 16 << 20
#: the helper's answer is given up (and those records flattened here) when it takes this
#: many times as long as the reader's own part, and at least :data:`MIN_WAIT` seconds
WAIT_FACTOR = 4.0
MIN_WAIT = 30.0
#: the share of the records the reader flattens itself: the helper's start (0.12 s), its
#: input and its answer through pipes cost it about a fifth more a record (measured on
#: 100k Zendesk tickets: both halves end within 0.1 s of each other at this share)
OWN_SHARE = 0.6
#: what flattening a side-loaded object (a metric set, a user) costs against a record
#: (100k Zendesk metric sets: 0.27 s; 100k tickets: 2.1 s)
SIDE_WEIGHT = 0.15
#: the metadata key of the answer's row count (records without a field are rows too)
_ROWS = b"rows"
#: what the helper runs: the reader's import path, then :func:`main`
_BOOT = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
         "from itsm_diag.importers.jsonworker import main; raise SystemExit(main(sys.argv[2:]))")


#: False in a process that shares the CPUs with others of its kind (:func:`turn_off`)
_enabled = True


def turn_off() -> None:
    """No helper from this process: for the workers of ``batch``, whose pool already runs
    a client a CPU (a helper each would double the processes and their memory)."""
    global _enabled
    _enabled = False


def wanted(size: int) -> bool:
    """Whether a JSON file of ``size`` bytes is worth a second process: big enough, and a
    second CPU to run it (``ITSM_DIAG_THREADS=1`` keeps every read in one process; so
    does :func:`turn_off`), and an interpreter to start (not in a frozen application,
    whose executable is the application itself)."""
    return (_enabled and size >= MIN_BYTES and cpus.wanted(2) >= 2 and bool(sys.executable)
            and not getattr(sys, "frozen", False))


class Helper:
    """A started helper: its answer with :meth:`columns`, stopped with :meth:`close`."""

    def __init__(self, proc: subprocess.Popen[bytes], payload: Any) -> None:
        self.proc, self.started = proc, time.monotonic()
        self.answer: bytes | None = None
        self._feeder = threading.Thread(target=self._feed, args=(payload,), daemon=True,
                                        name="itsm-diag-json-in")
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name="itsm-diag-json-out")
        self._feeder.start()
        self._reader.start()

    @classmethod
    def start(cls, mode: str, payload: Any, per_part: int, part_bytes: int) -> Helper | None:
        """A helper flattening ``payload``: ``"lines"``, NDJSON lines; ``"array"``, a JSON
        array of records. None when no process could be started."""
        # the import path's text entries (the only ones imports use; a Path object put
        # there by hand is passed over, as the import system passes it over)
        paths = [p for p in sys.path if isinstance(p, str)]
        args = [sys.executable, "-I", "-c", _BOOT, json.dumps(paths), mode, str(per_part),
                str(part_bytes)]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE,  # nosec B603: no shell
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
        try:
            return cls(proc, payload)
        except RuntimeError:  # no thread to feed or read it (a process out of threads)
            proc.kill()
            proc.wait()
            return None

    def _feed(self, payload: Any) -> None:
        # a helper gone early breaks the pipe: its exit status says so
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.write(payload)
                self.proc.stdin.close()

    def _read(self) -> None:
        try:
            if self.proc.stdout is not None:
                self.answer = self.proc.stdout.read()
        except (OSError, ValueError):
            self.answer = None

    def columns(self) -> tuple[list[str], list[Any], int] | None:
        """(names, Arrow text columns, rows) the helper made, or None when it made no
        whole answer. Waits up to :data:`WAIT_FACTOR` times what the reader has taken
        since the start."""
        import pyarrow as pa

        waited = max(MIN_WAIT, WAIT_FACTOR * (time.monotonic() - self.started))
        self._reader.join(waited)
        if self._reader.is_alive():
            self.close()
            return None
        try:
            status = self.proc.wait(timeout=MIN_WAIT)
        except subprocess.TimeoutExpired:
            self.close()
            return None
        if status != 0 or not self.answer:
            return None
        try:
            table = pa.ipc.open_stream(self.answer).read_all()
            rows = int((table.schema.metadata or {})[_ROWS])
        except (pa.ArrowException, KeyError, ValueError):
            return None
        # as many rows as it read records (a table without columns has none of its own:
        # every record it read had no field), every column text
        if rows < 0 or (table.num_columns and table.num_rows != rows) or any(
                not pa.types.is_large_string(t) for t in table.schema.types):
            return None
        return list(table.column_names), list(table.columns), rows

    def close(self) -> None:
        """Stop the helper if it still runs, and release its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def main(argv: list[str]) -> int:
    """The helper: the records on standard input flattened, their columns on standard
    output as an Arrow IPC stream. Anything it refuses ends it with a traceback (to no
    one: the reader sends standard error nowhere) and exit status 1, and the reader
    flattens those records itself, which refuses them as it would have."""
    import msgspec
    import pyarrow as pa

    from itsm_diag.importers.flatten import TextColumns, line_parts, plain

    mode, per_part, part_bytes = argv[0], int(argv[1]), int(argv[2])
    gc.disable()  # millions of short-lived objects and no cycles (as the reader does)
    data = sys.stdin.buffer.read()
    decode = msgspec.json.Decoder().decode
    if mode == "lines":
        values: Any = map(decode, itertools.chain.from_iterable(
            line_parts(data, 0, len(data), part_bytes)))
    elif mode == "array":
        values = map(decode, msgspec.json.Decoder(list[msgspec.Raw]).decode(data))
    else:
        return 2
    columns = TextColumns()
    columns.flatten(enumerate(plain(values)), Path("-"), per_part)
    arrays = columns.arrays()
    table = pa.Table.from_arrays(list(arrays.values()), names=list(arrays)
                                 ).replace_schema_metadata({_ROWS: str(columns.size).encode()})
    with pa.ipc.new_stream(sys.stdout.buffer, table.schema) as writer:
        writer.write_table(table)
    sys.stdout.buffer.flush()
    return 0
