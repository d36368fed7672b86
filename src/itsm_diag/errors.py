"""Typed errors. The CLI turns every :class:`ItsmDiagError` into one stderr line and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from itsm_diag.text import path_text

#: the longest one error line may be: it quotes headers, file names and values, and a
#: line that fills the screen says nothing
MESSAGE_LIMIT = 1000


class ItsmDiagError(Exception):
    """An error the user can act on: where it happened and what to do about it."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # a name's bytes that are not UTF-8 shown as escapes, as everywhere else
        self.file = path_text(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint

    def one_line(self) -> str:
        """``file: row N, column 'x': message. hint`` on a single line, safe for a
        terminal (file names, headers and values quoted in it come from outside: their
        control characters are shown as escapes, never obeyed) and at most
        :data:`MESSAGE_LIMIT` characters long."""
        from itsm_diag.text import cap, shown

        where = []
        if self.file:
            # a file name may hold a line break: shown as an escape, not folded away
            where.append(shown(self.file, one_line=True))
        loc = []
        if self.row is not None:
            loc.append(f"row {self.row}")
        if self.column is not None:
            loc.append(f"column {self.column!r}")
        if loc:
            where.append(", ".join(loc))
        text = self.message.rstrip(".")
        if self.hint:
            text += f". {self.hint.rstrip('.')}"
        line = ": ".join([*where, text]) if where else text
        return cap(shown(" ".join(line.split()), one_line=True), MESSAGE_LIMIT - 1) + "."

    def __str__(self) -> str:
        return self.one_line()


class InputError(ItsmDiagError):
    """An input file cannot be read or understood."""


class Skippable(InputError):
    """A file that is not read at all: inside a folder it is skipped and named in a note
    with this reason (the run goes on with the other files); named on its own, it is an
    error."""


class NotAnExport(Skippable):
    """The file is no ticket export (an image, an archive, an empty file, a text no
    tool's export matches)."""


class CannotOpen(Skippable):
    """The file cannot be opened (no permission, a broken link, a pipe nothing writes to)."""


class MissingColumns(InputError):
    """A table lacks the columns its tool's tickets need: ``id_label`` and
    ``opened_label`` name the ticket id and opened-time columns that are missing (None for
    one that is there). Typed, so a caller decides on the fields, never on the wording: a
    folder's file missing both holds no tickets (a list of ticket numbers) and is named in
    a note, not an error."""

    def __init__(
        self,
        message: str,
        *,
        tool: str = "",
        id_label: str | None = None,
        opened_label: str | None = None,
        file: str | Path | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, file=file, hint=hint)
        self.tool = tool
        self.id_label = id_label
        self.opened_label = opened_label


class DetectionError(InputError):
    """The source tool or table could not be decided."""


class UnknownTool(DetectionError, NotAnExport):
    """No tool's export (and no mapping) matches the file's columns."""


class DateFormatError(InputError):
    """A date column cannot be parsed, or its day/month order is ambiguous.

    What its hint asks of the date format is data, so a caller that knows where the
    format came from re-words the hint without reading it
    (:func:`itsm_diag.importers.dates.blame_given`): ``remedy`` is ``"pass"`` when the
    hint suggests passing ``--date-format`` (right when the format was inferred),
    ``"check"`` when the values contradict a format the user gave (on the command line
    or in a mapping file), None for neither."""

    def __init__(self, message: str, *, remedy: Literal["pass", "check"] | None = None,
                 **where: Any) -> None:
        super().__init__(message, **where)  # file, row, column, hint
        self.remedy = remedy


class ConfigError(ItsmDiagError):
    """A config, rule or mapping file is invalid (unknown key, wrong type)."""


class UsageError(ItsmDiagError):
    """The command line asks for something impossible."""


class ResourceError(ItsmDiagError):
    """The machine, not the input, stopped the run: a disk full, a file gone or unreadable
    halfway, not enough memory."""


def from_environment(exc: BaseException) -> ResourceError | None:
    """The typed error for an exception the environment raises (an ``OSError`` a reader
    or writer met, a ``MemoryError``), or None for anything else (a defect)."""
    if isinstance(exc, MemoryError):
        return ResourceError("not enough memory to read these inputs",
                             hint="pass fewer or smaller exports (export by month and "
                                  "diagnose a few months at a time)")
    if isinstance(exc, OSError):
        what = exc.strerror or type(exc).__name__
        return ResourceError(f"a file could not be read or written: {what}",
                             file=exc.filename if isinstance(exc.filename, str) else None,
                             hint="check the file, its permissions and the disk's free space")
    return None


class ModelError(Exception):
    """A frame does not conform to the canonical model: a bug in an importer, or a
    caller's own frame (``itsm_diag.api.diagnose_frames`` turns it into an
    :class:`InputError` that names the column and what to do).

    ``column``: the column at fault (None: the table); ``problem``: what is wrong, as
    data (``vocabulary``, ``timestamps``, ``type``, ``missing_id``; None: a bug, such as
    a column the table does not have); ``values``: the offending values or columns, a few."""

    def __init__(self, message: str, *, column: str | None = None,
                 problem: str | None = None, values: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.column = column
        self.problem = problem
        self.values = values
