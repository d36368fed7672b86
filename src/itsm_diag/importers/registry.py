"""Find the files, detect each one's tool, import, combine and de-duplicate.

Every importer scores every table; the best score at or above :data:`MIN_SCORE` wins,
unless it ties (within :data:`TIE_MARGIN`) with another tool. ``--source`` always wins.

Every file inside an input folder is accounted for: read, or named in a data note with
the reason it was not (a hidden file, a sub-folder, an archive, an image, a broken link,
a file no tool's export matches...). A file named on its own that cannot be read is an
error instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag import progress
from itsm_diag.errors import (
    ConfigError,
    DetectionError,
    InputError,
    ItsmDiagError,
    MissingColumns,
    NotAnExport,
    Skippable,
    UnknownTool,
    UsageError,
)
from itsm_diag.importers import guards, ids, timeofday, tooldefaults
from itsm_diag.importers.base import (
    Detection,
    Imported,
    Importer,
    ImportOptions,
    SourceInfo,
    kept_of_repeats,
    repeat_order,
    repeated_header_notes,
    unread_reference_notes,
)
from itsm_diag.importers.readers import RawTable, read_raw
from itsm_diag.text import path_text, plurals, quote

if TYPE_CHECKING:
    from itsm_diag.importers.mapping import MappingImporter

MIN_SCORE = 0.5
TIE_MARGIN = 0.05
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".ndjson", ".jsonl")


#: modules holding one tool's importer each (their ``IMPORTER`` attribute); imported
#: lazily because importers pull in pandas
IMPORTER_MODULES: tuple[str, ...] = (
    "itsm_diag.importers.servicenow",
    "itsm_diag.importers.jira",
    "itsm_diag.importers.zendesk",
    "itsm_diag.importers.freshservice",
)


def importers() -> dict[str, Importer]:
    """Every importer by tool name."""
    found: list[Importer] = [importlib.import_module(mod).IMPORTER for mod in IMPORTER_MODULES]
    return {i.name: i for i in found}


#: file name endings of archives: the exports inside must be extracted first
_ARCHIVES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".7z", ".rar")


@dataclass(frozen=True)
class Skipped:
    """A file or sub-folder inside an input folder that was not read, and why."""

    path: str
    reason: str

    def note(self) -> str:
        return f"{self.path} was not read: {self.reason}"


@dataclass
class Listing:
    """What :func:`list_inputs` found: the files to read (each with whether it was found
    inside a folder), what was skipped and why, and every file looked at."""

    files: list[tuple[Path, bool]]
    skipped: list[Skipped]
    seen: list[Path]


def _why_not_read(entry: Path) -> str | None:
    """Why an entry of an input folder is not read as an export (None: it is read)."""
    suffix = entry.suffix.lower()
    if entry.name.startswith("."):
        return "a hidden file"
    if entry.is_symlink() and not entry.exists():
        return "a broken link (its target does not exist)"
    if entry.is_dir():
        return ("a sub-folder: folders are read one level deep; pass the sub-folder as a "
                "path of its own to read it too")
    if not entry.is_file():
        return "a named pipe, socket or device, not a file: pass it on its own to read it"
    if suffix in _ARCHIVES:
        return f"an archive ({suffix}): extract it and pass the export files inside"
    if suffix in (".yaml", ".yml", ".toml"):
        return ("a YAML or TOML file, not an export: pass a mapping with --mapping, a "
                "config with --config")
    if suffix == ".xls":
        return "an Excel 97-2003 workbook: save it in Excel as .xlsx or CSV"
    if suffix not in SUFFIXES:
        return (f"not an export file ({suffix or 'no extension'}); exports end in "
                f"{', '.join(SUFFIXES)}")
    return None


#: the folder ``itsm-diag pull`` keeps its resume state in (itsm_diag.pull.store.STATE_DIR)
PULL_STATE = ".itsm-diag-pull"


def list_inputs(paths: Iterable[Path], used: Iterable[Path] = ()) -> Listing:
    """The files to read: files as given, and the export files inside folders (sorted,
    not recursive); every other entry of a folder is skipped with its reason, except
    ``used`` files (a client's mapping or config, read as such)."""
    taken = {_key(p) for p in used}
    files: list[tuple[Path, bool]] = []
    skipped: list[Skipped] = []
    seen: list[Path] = []
    for p in paths:
        if p.is_dir():
            entries = sorted(p.iterdir())
            seen.extend(entries)
            found = 0
            here: list[tuple[Path, str]] = []
            for entry in entries:
                # a client's config read as such, or the resume state of a pull into this
                # folder (itsm-diag's own bookkeeping, not an export)
                if _key(entry) in taken or (entry.name == PULL_STATE and entry.is_dir()):
                    continue
                reason = _why_not_read(entry)
                if reason is None:
                    files.append((entry, True))
                    found += 1
                else:
                    here.append((entry, reason))
                    skipped.append(Skipped(path_text(entry), reason))
            if not found:
                # whole paths, as the notes name them (a redacted run replaces them whole)
                what = "; ".join(f"{path_text(e)}: {r}" for e, r in here[:3])
                raise InputError("the folder holds no export files "
                                 f"({', '.join(SUFFIXES)})" + (f" (not read: {what})"
                                                               if what else ""), file=p)
        elif p.exists() or p.is_symlink():
            files.append((p, False))
            seen.append(p)
        else:
            raise InputError("no such file or folder", file=p, hint="check the path")
    return Listing(files, skipped, seen)


def _key(path: Path) -> tuple[int, int] | str:
    """What identifies a file: its device and inode when it exists, else its path."""
    try:
        st = path.stat()
        return (st.st_dev, st.st_ino)
    except OSError:
        return str(path.absolute())


def expand(paths: Iterable[Path]) -> list[Path]:
    """The files :func:`list_inputs` would read."""
    return [p for p, _ in list_inputs(paths).files]


def detect(raw: RawTable, source: str | None = None) -> tuple[Importer, Detection]:
    """The importer for ``raw``: ``source`` if given, else the best-scoring one."""
    table = importers()
    if source is not None:
        if source not in table:
            raise UsageError(f"unknown --source {source!r}",
                             hint=f"choose one of: {', '.join(sorted(table))}")
        imp = table[source]
        det = imp.detect(raw)
        if det.score < MIN_SCORE:
            # --source overrides detection, but not when another tool clearly fits instead
            others = [(i.detect(raw), i) for name, i in table.items() if name != source]
            fits = [d for d, _ in others if d.score >= MIN_SCORE and d.score - det.score >= 0.3]
            if fits:
                best = max(fits, key=lambda d: d.score)
                raise DetectionError(
                    f"--source {source} does not fit this file ({source} {det.score:.2f}); "
                    f"it looks like a {best.tool} export ({best.score:.2f})",
                    file=raw.path,
                    hint=f"pass --source {best.tool}, or leave --source out to detect the tool",
                )
        det.reasons.insert(0, "chosen with --source")
        return imp, det
    scored = sorted(((imp.detect(raw), imp) for imp in table.values()),
                    key=lambda t: -t[0].score)
    best_det, best_imp = scored[0]
    listing = ", ".join(f"{d.tool} {d.score:.2f}" for d, _ in scored[:3])
    if best_det.score < MIN_SCORE:
        from itsm_diag.importers.mapping import shipped_mappings

        raise UnknownTool(
            f"cannot tell which tool exported this file (scores: {listing}; headers: "
            f"{', '.join(quote(h) for h in raw.headers[:6])}...)",
            file=raw.path,
            hint=f"pass --source with one of: {', '.join(sorted(table))} if it is one of "
                 "them; for any other tool pass --mapping FILE or a shipped mapping "
                 f"({', '.join(shipped_mappings())})",
        )
    if len(scored) > 1 and best_det.score - scored[1][0].score < TIE_MARGIN:
        raise DetectionError(f"the file fits several tools equally well ({listing})",
                             file=raw.path, hint="pass --source TOOL")
    return best_imp, best_det


def detect_with_mappings(raw: RawTable, source: str | None,
                         mappers: Sequence[MappingImporter],
                         seen: MutableMapping[int, str | None] | None = None
                         ) -> tuple[Importer, Detection]:
    """The importer for ``raw`` when mappings were given: the mapping whose required
    columns the file has, else the best tool (:func:`detect`). When several fit, the
    one finding the most of its named columns wins, a tie on that count goes to the one
    finding the larger share of its columns, and a tie on both (two mappings of
    different tools) is an error; the file's warnings say which mapping was chosen over
    which (:attr:`Detection.warnings`).

    ``seen``: each mapping's position in ``mappers`` -> None once it fitted a table,
    else why it missed the first table it did not fit (``x.csv: no column ...``)."""
    if not mappers:
        return detect(raw, source)
    misses = [mapper.missing_column(raw) for mapper in mappers]
    if seen is not None:
        for i, miss in enumerate(misses):
            if miss is None:
                seen[i] = None
            else:
                seen.setdefault(i, f"{raw.label}: {miss}")
    fits = [(mapper.detect(raw), mapper) for mapper, miss in zip(mappers, misses, strict=True)
            if miss is None]
    if fits:
        counts = {id(mapper): mapper.fit(raw) for _, mapper in fits}

        def rank(fit: tuple[Detection, MappingImporter]) -> tuple[int, float]:
            found, named = counts[id(fit[1])]
            return found, found / max(named, 1)

        fits.sort(key=rank, reverse=True)  # stable: equal fits keep the order given
        best_det, best = fits[0]
        if len(fits) > 1 and rank(fits[1]) == rank(fits[0]) and \
                fits[1][1].spec.tool != best.spec.tool:
            raise DetectionError(
                f"the file fits the mappings {best.path.name} and {fits[1][1].path.name} "
                f"equally well ({_found(counts[id(best)])} each)", file=raw.path,
                hint="pass only the mapping meant for this file, or name more of its "
                     "columns in it")
        if len(fits) > 1:
            others = "; ".join(f"{mapper.path.name} {_found(counts[id(mapper)])}"
                               for _, mapper in fits[1:])
            best_det.warnings.append(
                f"several mappings fit this file: {best.path.name} read it, finding "
                f"{_found(counts[id(best)])}, over {others} (the mapping finding the most "
                "of its named columns reads the file); pass only the mapping meant for it "
                "to silence this")
        return best, best_det
    try:
        return detect(raw, source)
    except UnknownTool as exc:
        why = "; ".join(f"{mapper.path.name}: {miss}"
                        for mapper, miss in zip(mappers, misses, strict=True) if miss)
        raise UnknownTool(f"no mapping fits this file ({why}) and {exc.message}",
                          file=raw.path, hint=exc.hint) from exc


@dataclass
class Loaded:
    tickets: pd.DataFrame
    events: pd.DataFrame
    sources: list[SourceInfo]
    notes: list[str] = field(default_factory=list)
    #: files inside input folders that were not read, and why (also in ``notes``)
    skipped: list[Skipped] = field(default_factory=list)
    #: the columns holding dates without a time of day (:mod:`.timeofday`: every value
    #: at midnight in the files holding them so, 20 or more): column -> those values
    #: (also in ``notes``)
    day_only: dict[str, int] = field(default_factory=dict)
    #: the zone the run counts its days in (the window, business days, due days) without
    #: ``--tz``: the one zone every input's times were read in, else UTC
    #: (:func:`run_zone`); ``--tz`` when given
    tz: str = "UTC"


def load_paths(
    paths: Sequence[Path],
    options: ImportOptions,
    source: str | None = None,
    mapping: Path | Sequence[Path] | None = None,
    consumed: Sequence[Path] = (),
    shared_mappings: Sequence[Path] = (),
) -> Loaded:
    """Import every file, combine, and keep one row per ticket (the latest update wins).

    ``mapping``: YAML column mappings (one or several, files or shipped names) for any
    other tool. They take part in detection: a file is read through the mapping whose
    required columns it has (the best-fitting one when several do); a file no mapping
    fits is detected among the tools. A mapping that fits none of the tables read is an
    error (it was asked for and would be silently unused), unless it is among
    ``shared_mappings`` (a batch's ``--mapping``, meant for some clients only).
    ``consumed``: files inside input folders that are read as something else (a client's
    config), so not noted as skipped.
    """
    from itsm_diag.importers.mapping import load_mapping

    given = [Path(mapping)] if isinstance(mapping, str | Path) else [
        Path(p) for p in mapping or ()]
    mappers: list[MappingImporter] = [load_mapping(p) for p in given]
    parts: list[Imported] = []
    listing = list_inputs(paths, used=[*given, *consumed])
    skipped = list(listing.skipped)
    from itsm_diag.importers.zendesk import split_ticket_fields

    # Zendesk's ticket field definitions are not tickets: they name JSON custom fields
    rest, options, field_notes = split_ticket_fields([p for p, _ in listing.files], options)
    tickets_files = set(rest)
    seen: dict[int, str | None] = {}
    for path, in_folder in listing.files:
        if path not in tickets_files:
            continue
        try:
            parts.extend(_load_file(path, options, source, mappers, skipped, seen))
        except Skippable as exc:
            if not in_folder:
                raise
            skipped.append(Skipped(path_text(path), _reason(exc)))
        except InputError as exc:
            # a folder's file the detected tool finds neither its ticket id nor its
            # opened time in is one no tool's export matches: named, as the others are
            # (an export missing one of them, or with dates that cannot be read, stays
            # an error: reading the folder without it would diagnose part of the tickets)
            why = _no_ticket_columns(exc) if in_folder else None
            if why is None:
                raise
            skipped.append(Skipped(path_text(path), why))
    if not parts and skipped:
        first = skipped[0]
        raise InputError(f"no tickets were read from the inputs: "
                         f"{plurals(f'{len(skipped)} file(s)')} not read ({first.path}: "
                         f"{first.reason}"
                         + ("; ..." if len(skipped) > 1 else "") + ")",
                         hint="pass ticket export files (CSV, XLSX or JSON)")
    _check_mappings_fit(given, seen, shared_mappings)
    progress.say("combining the files" if len(parts) > 1 else "checking the tickets")
    return combined(parts, options, skipped, field_notes)


def combined(parts: Sequence[Imported], options: ImportOptions,
             skipped: Sequence[Skipped] = (), notes: Sequence[str] = ()) -> Loaded:
    """The tables read, as one run reads them, whether from files or a caller's frames
    (:mod:`itsm_diag.importers.frames`): combined and de-duplicated (:func:`combine`),
    with the columns holding dates alone and the zone the run counts its days in.
    ``skipped`` and ``notes`` lead the data notes."""
    day_only, day_note = _day_only(parts, options)
    loaded = combine(parts, options)
    loaded.skipped = list(skipped)
    loaded.day_only = day_only
    loaded.tz, zone_note = run_zone(parts, options)
    loaded.notes[:0] = [*(s.note() for s in skipped), *notes, *day_note, *zone_note]
    return loaded


def run_zone(parts: Sequence[Imported], options: ImportOptions) -> tuple[str, list[str]]:
    """The zone the run counts its days in, and the data note when it had to choose.

    ``--tz`` (even ``--tz UTC``) wins. Without it, the days are counted in the zone the
    times were read in: when every input was read in one zone (a mapping's
    ``time_zone``; the tools and mappings without one read in UTC), that zone; when they
    were read in different zones, UTC, with a note naming which input was read in which
    zone and that ``--tz`` chooses."""
    if options.tz_chosen:
        return options.tz, []
    by_zone: dict[str, list[str]] = {}
    for part in parts:
        by_zone.setdefault(part.zone, []).append(part.info.path)
    if len(by_zone) <= 1:
        return next(iter(by_zone), options.tz), []

    def named(paths: list[str]) -> str:
        shown = ", ".join(paths[:3])
        return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")

    read = "; ".join(f"{zone}: {named(paths)}" for zone, paths in by_zone.items())
    return "UTC", [f"the inputs' times were read in different time zones ({read}), so the "
                   "report counts its days (the window, business days, due days) in UTC; "
                   "pass --tz ZONE to count them in one zone (it then also reads every "
                   "input's times that carry no offset in that zone)"]


def _day_only(parts: Sequence[Imported], options: ImportOptions
              ) -> tuple[dict[str, int], list[str]]:
    """The columns holding dates without a time of day in some file (each file's values
    all at midnight in the zone it was read in), with their count, and the data note
    saying so (none when every date column has times)."""
    found: dict[str, int] = {}
    zones: dict[str, list[str]] = {}
    for part in parts:
        # every file's column whose values are all at midnight, however few: together
        # they make the count (a 10-row file of problems beside the incidents' files)
        for column, count in timeofday.midnight_columns(part.tickets, part.zone, 1).items():
            found[column] = found.get(column, 0) + count
            zones.setdefault(column, []).append(part.zone)
    # in the model's order, each over the fewest values that say so
    found = {c: found[c] for c in timeofday.COLUMNS
             if found.get(c, 0) >= timeofday.MIN_VALUES}
    if not found:
        return {}, []
    filled = {c: sum(int(p.tickets[c].notna().sum()) for p in parts) for c in found}
    return found, [timeofday.note(found, filled, [z for c in found for z in zones[c]],
                                  options.words())]


def _found(fit: tuple[int, int]) -> str:
    """A mapping's fit as the warnings say it: ``17 of its 18 named columns``."""
    found, named = fit
    return f"{found} of its {named} named column{'s' if named != 1 else ''}"


def _check_mappings_fit(given: Sequence[Path], seen: Mapping[int, str | None],
                        shared: Sequence[Path] = ()) -> None:
    """Refuse a mapping that fitted none of the tables read (``seen``: as
    :func:`detect_with_mappings` fills it), unless it is ``shared`` (a batch's own)."""
    free = {_key(p) for p in shared}
    for i, path in enumerate(given):
        if (i in seen and seen[i] is None) or _key(path) in free:
            continue
        why = seen.get(i) or "no table was read"
        raise ConfigError(
            f"the mapping fits no input file, so it would not be used ({why})",
            file=path, hint="name the export's own headers under its columns, or leave the "
                            "mapping out")


def _load_file(path: Path, options: ImportOptions, source: str | None,
               mappers: Sequence[MappingImporter],
               skipped: list[Skipped] | None = None,
               seen: MutableMapping[int, str | None] | None = None) -> list[Imported]:
    """Every table of one file, detected and imported. A workbook's sheet that holds no
    ticket table (notes, a title) goes to ``skipped`` with its reason when another sheet
    of the workbook is read; otherwise its error stands."""
    progress.say(f"reading {path.name} ({_megabytes(path)})")
    out = []
    tables = read_raw(path, options.max_file_mb)
    unread: list[tuple[RawTable, InputError]] = []
    for raw in tables:
        where = path.name + (f" [{raw.sheet}]" if raw.sheet else "")
        progress.say(f"{where}: {len(raw.frame):,} rows read; detecting the tool")
        det = None
        try:
            imp, det = _detected(raw, source, mappers, seen)
            progress.say(f"{where}: {len(raw.frame):,} rows read; normalising them as "
                         f"{det.tool}")
            part = imp.load(raw, det, options)
            part.zone = _zone_of(imp, options)
        except InputError as exc:
            # under --source or a mapping nothing is refused in detection: a sheet the
            # chosen importer scores low and cannot load holds no ticket table either
            if len(tables) < 2 or not (raw.not_read is not None or isinstance(
                    exc, UnknownTool) or (det is not None and det.score < MIN_SCORE)):
                raise
            unread.append((raw, exc))
            continue
        part.info.warnings[:0] = det.warnings  # the choice of reader first
        part.info.headers = tuple(str(h) for h in raw.headers)
        # how full each column no field was read from is (a count per column, no row
        # loop): a sign names such a column as where the export keeps a field only
        # when the export fills it
        read = set(part.info.column_map.values()) | set(part.info.read_also)
        part.info.fill = {str(h): int(raw.frame.iloc[:, j].count())
                          for j, h in enumerate(raw.frame.columns) if str(h) not in read}
        part.info.warnings.extend(repeated_header_notes(raw, part.info.column_map))
        # a filled column the tool's reference format lists that no field was read from
        part.info.warnings.extend(unread_reference_notes(part.info, len(raw.frame),
                                                         options.words))
        out.append(part)
    if unread and not out:  # no sheet read: the error of the first sheet with rows
        raise next((exc for raw, exc in unread if raw.not_read is None), unread[0][1])
    for raw, why in unread:
        reason = _reason(why) if not isinstance(why, UnknownTool) else (
            "no tool's export has its columns, so it holds no ticket table (its first "
            f"line: {', '.join(quote(h) for h in raw.headers[:4])}"
            f"{', ...' if len(raw.headers) > 4 else ''})")
        if skipped is None:
            out[0].info.warnings.append(f"{raw.label} was not read: {reason}")
        else:
            skipped.append(Skipped(raw.label, reason))
    return out


def _zone_of(imp: Importer, options: ImportOptions) -> str:
    """The zone ``imp`` reads times without an offset in: a mapping's own when it names
    one and ``--tz`` was not given, else ``--tz``."""
    from itsm_diag.importers.mapping import MappingImporter

    return imp.zone(options) if isinstance(imp, MappingImporter) else options.tz


def _detected(raw: RawTable, source: str | None, mappers: Sequence[MappingImporter],
              seen: MutableMapping[int, str | None] | None = None
              ) -> tuple[Importer, Detection]:
    """:func:`detect_with_mappings`, after the reader's own word that ``raw`` holds no
    tickets (a workbook's sheet with no rows)."""
    if raw.not_read is not None:
        raise NotAnExport(raw.not_read, file=raw.path)
    guards.check_not_own_output(raw)  # an action list saved among the exports
    return detect_with_mappings(raw, source, mappers, seen)


def _no_ticket_columns(exc: InputError) -> str | None:
    """The reason a folder's file is not read when its detected tool found neither its
    ticket id column nor its opened-time column in it (its values alone made it look
    like that tool's: a list of INC numbers); None for any other error
    (:func:`itsm_diag.importers.base.require_ids`' :class:`MissingColumns` says which)."""
    if not isinstance(exc, MissingColumns) or exc.id_label is None or (
            exc.opened_label is None):
        return None
    return (f"no tool's export has its columns: it was taken for a {exc.tool} export, "
            f"but it has neither the {exc.id_label} nor the {exc.opened_label} column, so "
            "it holds no tickets to read; if it is an export, export it again with those "
            "columns")


def _reason(exc: ItsmDiagError) -> str:
    """An error's message and hint, without the file name (the note names the file)."""
    text = exc.message.rstrip(".")
    return f"{text}; {exc.hint.rstrip('.')}" if exc.hint else text


def _megabytes(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1e6:,.1f} MB"
    except OSError:
        return "size unknown"


#: a ticket's state and the times that go with it: taken from its kept row alone, never
#: pieced together from an older row (a reopened ticket must not get its old done time)
_LIFECYCLE = (m.TICKET_ID, m.SOURCE_TOOL, m.SOURCE_FILE, m.STATUS, m.STATUS_RAW,
              m.RESOLVED_AT, m.CLOSED_AT, m.UPDATED_AT)


def _without_gone(tickets: pd.DataFrame, events: pd.DataFrame, parts: Sequence[Imported]
                  ) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The tickets and events without the rows of tickets an input lists as deleted
    (:attr:`Imported.gone`) from before the deletion: an older page's open row of a ticket
    a later page deletes would stand for it, open for ever. A row updated after the
    deletion stays (a ticket restored). The note counts them; ``None`` when none left."""
    gone = [p.gone for p in parts if p.gone is not None and len(p.gone)]
    if not gone:
        return tickets, events, None
    when = pd.concat(gone, ignore_index=True).groupby(m.TICKET_ID, sort=False)[
        m.UPDATED_AT].max()
    at = tickets[m.TICKET_ID].map(when)
    hit = tickets[m.TICKET_ID].isin(when.index).to_numpy(dtype=bool)
    # no time on either side: the deletion is the later news (it is what the export says)
    later = (at.isna() | tickets[m.UPDATED_AT].isna() | (tickets[m.UPDATED_AT] <= at))
    drop = hit & later.fillna(True).to_numpy(dtype=bool)
    if not drop.any():
        return tickets, events, None
    ids_out = tickets.loc[drop, m.TICKET_ID]
    n = int(ids_out.nunique())
    tickets = tickets.loc[~drop].reset_index(drop=True)
    if len(events):
        events = events[~events[m.EV_TICKET_ID].isin(ids_out)].reset_index(drop=True)
    return tickets, events, (
        f"{n:,} ticket{'' if n == 1 else 's'} an input lists as deleted "
        f"(e.g. {ids_out.iloc[0]}) left out with {'its' if n == 1 else 'their'} rows from "
        "before the deletion in the other inputs: an older row would have kept "
        f"{'it' if n == 1 else 'them'} open")


def _fill_from_other_forms(tickets: pd.DataFrame, order: pd.DataFrame, keep: pd.Index,
                           parts: Sequence[Imported]) -> str | None:
    """Fill, in place, the kept rows' fields that their input cannot hold at all (the
    column empty on every row of that input) from the latest other row of the same ticket
    in an input that holds them: a Zendesk admin CSV has the category and no problem link,
    its API JSON the other way round, and passing both must not lose either. The note
    names the columns and the inputs they came from; ``None`` when nothing was filled."""
    sizes = [len(p.tickets) for p in parts]
    part_of = pd.Series(np.repeat(np.arange(len(parts)), sizes), index=tickets.index)
    kept = pd.Series(False, index=tickets.index)
    kept[keep] = True
    said: list[str] = []
    for column in tickets.columns:
        if column in _LIFECYCLE or column.startswith("_"):
            continue
        holds = np.array([bool(p.tickets[column].notna().any()) if column in p.tickets
                          else False for p in parts])
        if holds.all() or not holds.any():
            continue
        lacking = kept & ~pd.Series(holds[part_of.to_numpy()], index=tickets.index)
        if not lacking.any():
            continue
        donors = order.index[(~kept[order.index] & tickets.loc[order.index, column].notna()
                              ).to_numpy()]
        if not len(donors):
            continue
        # the latest donor row of each ticket (order: oldest update first)
        latest = tickets.loc[donors, [m.TICKET_ID, column]].drop_duplicates(
            m.TICKET_ID, keep="last").set_index(m.TICKET_ID)[column]
        rows = lacking[lacking].index
        values = tickets.loc[rows, m.TICKET_ID].map(latest)
        got = values.notna()
        if not got.any():
            continue
        tickets.loc[rows[got.to_numpy()], column] = values[got].to_numpy()
        sources = sorted({Path(parts[int(i)].info.path).name for i in np.flatnonzero(holds)})
        said.append(f"{column} on {int(got.sum()):,} ({', '.join(sources)})")
    if not said:
        return None
    return ("fields the kept row's input does not hold were taken from another input's "
            "row of the same ticket: " + "; ".join(said))


def _file_names(tickets: pd.DataFrame) -> list[str]:
    """The file names an input's tickets carry (``source_file``: one, as a categorical)."""
    column = tickets.get(m.SOURCE_FILE)
    if column is None:
        return []
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return [str(c) for c in column.dropna().unique()]


def _identified(part: Imported) -> Imported:
    """``part`` with its ids normalised (:func:`ids.normalise`), the change counted in
    its warnings."""
    t = part.tickets
    new_ids, changed, example = ids.normalise(t[m.TICKET_ID])
    if not changed:
        return part
    t = t.assign(**{m.TICKET_ID: new_ids})
    for col in ids.ID_COLUMNS[1:]:
        t[col] = ids.normalise(t[col])[0]
    events = part.events
    if len(events):
        events = events.assign(**{m.EV_TICKET_ID: ids.normalise(events[m.EV_TICKET_ID])[0]})
    info = replace(part.info, warnings=[*part.info.warnings, ids.note(changed, example)])
    gone = part.gone
    if gone is not None:
        gone = gone.assign(**{m.TICKET_ID: ids.normalise(gone[m.TICKET_ID])[0]})
    # every other field as it was (a field added to Imported is carried, not dropped)
    return replace(part, tickets=t, events=events, info=info, unique_ids=False, gone=gone)


def _kept_apart(parts: list[Imported]) -> tuple[list[Imported], str | None]:
    """With tickets from several sources, every id becomes ``source:id`` (the same
    number in two tools is two tickets); one source keeps its ids as exported."""
    found = ids.sources([p.info.tool for p in parts])
    if len(found) < 2:
        return parts, None
    out = [replace(p, tickets=ids.namespace(p.tickets, p.info.tool, ids.ID_COLUMNS),
                   events=ids.namespace(p.events, p.info.tool, [m.EV_TICKET_ID]),
                   gone=None if p.gone is None else ids.namespace(p.gone, p.info.tool,
                                                                  [m.TICKET_ID]))
           for p in parts]
    example = next(str(p.tickets[m.TICKET_ID].dropna().iloc[0]) for p in out
                   if p.tickets[m.TICKET_ID].notna().any())
    return out, (f"tickets come from {len(found)} sources ({', '.join(found)}): a ticket is "
                 "the same only within one source, so each id is shown as source:id (e.g. "
                 f"{example}) and equal numbers from different tools stay separate tickets")


def _reused_apart(parts: list[Imported]) -> tuple[list[Imported], str | None]:
    """A number the inputs give to tickets opened more than a day apart (numbering
    restarted by a migration: the old tool's files and the new one's, or one export of
    both) is two tickets (:func:`ids.split_reused`): the older one, its events and its
    deletion record renamed ``NUMBER (opened DAY)``, instead of one ticket whose latest
    update drops the other. One input whose importer found its ids unique is skipped."""
    if len(parts) == 1 and parts[0].unique_ids:
        return parts, None
    tickets = pd.concat([p.tickets[[m.TICKET_ID, m.OPENED_AT]] for p in parts],
                        ignore_index=True)
    if not tickets[m.TICKET_ID].duplicated().any():
        return parts, None
    split, reused, example = ids.split_reused(tickets[m.TICKET_ID], tickets[m.OPENED_AT])
    if not reused:
        return parts, None
    owners = _owners(tickets, split)
    out, start = [], 0
    for p in parts:
        new = split.iloc[start:start + len(p.tickets)].set_axis(p.tickets.index)
        start += len(p.tickets)
        old = p.tickets[m.TICKET_ID].astype(m.STRING_DTYPE)
        moved = (new != old).fillna(False).to_numpy(dtype=bool)
        events = p.events
        if len(events):
            # every input's events: a history file may come apart from its tickets
            events = _owned(events, owners)
        if not moved.any():
            out.append(p if events is p.events else replace(p, events=events))
            continue
        renames = pd.Series(new[moved].to_numpy(), index=old[moved].to_numpy())
        renames = renames[~renames.index.duplicated()]
        gone = p.gone
        if gone is not None and len(gone):
            gone_ids = gone[m.TICKET_ID].astype(m.STRING_DTYPE)
            gone = gone.assign(**{m.TICKET_ID: gone_ids.map(renames).fillna(gone_ids)})
        out.append(replace(p, tickets=p.tickets.assign(**{m.TICKET_ID: new}),
                           events=events, gone=gone, unique_ids=False))
    return out, ids.reused_note(reused, example)


def _owners(tickets: pd.DataFrame, split: pd.Series) -> pd.DataFrame:
    """The tickets of each reused number (``split`` renamed at least one of its
    holders): the number, each holder's opened time and its id after the split, in
    opened order."""
    number = tickets[m.TICKET_ID].astype(m.STRING_DTYPE)
    reused = number[(split != number).fillna(False)].unique()
    rows = number.isin(reused).fillna(False) & tickets[m.OPENED_AT].notna()
    return pd.DataFrame({"number": number[rows].to_numpy(),
                         "opened": tickets.loc[rows, m.OPENED_AT].to_numpy(),
                         "owner": split[rows].to_numpy()}).sort_values("opened")


def _owned(events: pd.DataFrame, owners: pd.DataFrame) -> pd.DataFrame:
    """``events`` whose ticket number is reused (:func:`_owners`) given to the holder
    open at the event: the latest opened at or before it (one before every holder's
    opening, to the first holder), not all to one of them."""
    ev_ids = events[m.EV_TICKET_ID].astype(m.STRING_DTYPE)
    hit = ev_ids.isin(owners["number"].unique()).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return events
    at = events[m.EV_AT]
    asked = pd.DataFrame({"number": ev_ids[hit].to_numpy(), "at": at[hit].to_numpy(),
                          "row": np.flatnonzero(hit)})
    timed = asked[asked["at"].notna()].sort_values("at")
    found = pd.merge_asof(timed, owners, left_on="at", right_on="opened", by="number",
                          direction="backward")
    first = owners.drop_duplicates("number").set_index("number")["owner"]
    owner = pd.Series(asked["number"].map(first).to_numpy(), index=asked["row"].to_numpy())
    placed = found["owner"].notna().to_numpy()
    owner.loc[found["row"].to_numpy()[placed]] = found["owner"].to_numpy()[placed]
    ids = ev_ids.copy()
    ids.iloc[owner.index.to_numpy()] = owner.to_numpy(dtype=object)
    return events.assign(**{m.EV_TICKET_ID: ids})


def combine(parts: Sequence[Imported], options: ImportOptions | None = None) -> Loaded:
    notes: list[str] = []
    if not parts:  # every input was an empty JSON page
        raise InputError("no tickets were read from the inputs", hint="check the files")
    from itsm_diag.importers.servicenow import foreign_note, orders_apart

    foreign: dict[str, int] = {}
    for p in parts:
        for name, n in (p.foreign or {}).items():
            foreign[name] = foreign.get(name, 0) + n
    if foreign:
        # other departments' records (HR, customer service, security cases), named
        notes.append(foreign_note(foreign, " of the inputs"))
        if not any(len(p.tickets) for p in parts):
            raise InputError(
                "no IT service management work was read from the inputs: "
                + foreign_note(foreign),
                hint="export the IT tables (incident, sc_req_item, change_request, problem)")
    # a ServiceNow REQ is the order of its requested items, not a request of its own
    parts = orders_apart(list(parts))
    parts, apart = _kept_apart([_identified(p) for p in parts])
    if apart is not None:
        notes.append(apart)
    parts, reused = _reused_apart(parts)
    if reused is not None:
        notes.append(reused)
    one = len(parts) == 1
    tickets = parts[0].tickets if one else pd.concat([p.tickets for p in parts],
                                                     ignore_index=True)
    events = pd.concat([p.events for p in parts if len(p.events)], ignore_index=True) if any(
        len(p.events) for p in parts) else m.empty_events()
    dup = None if one and parts[0].unique_ids else tickets[m.TICKET_ID].duplicated(keep=False)
    if dup is not None and dup.any():
        n_ids = int(tickets.loc[dup, m.TICKET_ID].nunique())
        conflicting = guards.conflicting_ids(tickets.loc[dup])
        kept = kept_of_repeats(tickets.loc[dup, m.UPDATED_AT])
        # the latest update wins; rows without an update time lose to rows with one and
        # among themselves the row showing more of the ticket's life wins; later files
        # win ties (chunked exports are usually passed oldest first)
        order = repeat_order(tickets)
        keep = order.drop_duplicates(m.TICKET_ID, keep="last").index
        dropped = len(tickets) - len(keep)
        filled_in = None if one else _fill_from_other_forms(tickets, order, keep, parts)
        tickets = tickets.loc[sorted(keep)].reset_index(drop=True)
        notes.append(
            f"{n_ids:,} ticket ids appear in more than one input row"
            + (f", {len(conflicting):,} of them with conflicting data (e.g. "
               f"{conflicting[0]})" if conflicting else "")
            + f"; {kept} ({dropped:,} other rows dropped)"
        )
        if filled_in:
            notes.append(filled_in)
        if len(events):
            events = events.drop_duplicates().reset_index(drop=True)
    tickets, events, deleted = _without_gone(tickets, events, parts)
    if deleted:
        notes.append(deleted)
    if tickets.empty:
        raise InputError("no tickets were read from the inputs", hint="check the files")
    tickets = m.conform_tickets(tickets)
    notes.extend(guards.ticket_notes(tickets))  # resolved before opened: counted, reported
    # a flag or count with one value on every ticket of a table is the tool's default
    # there: not filled in that table (each table judged on its own, its chunks together)
    tickets, unset = tooldefaults.read_as_unset(
        tickets, (options or ImportOptions()).words,
        inputs=[(_file_names(p.tickets), (p.info.tool, p.info.table), p.info.column_map)
                for p in parts])
    notes.extend(unset)
    return Loaded(tickets=tickets, events=m.conform_events(events),
                  sources=[p.info for p in parts], notes=notes)
