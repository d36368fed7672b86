"""Many clients at once (``itsm-diag batch DIR``): every sub-folder of DIR is one client,
diagnosed in its own worker process; one report per client, plus an index of them all
(``index.md`` and ``index.json``).

A client folder may hold its own config (``itsm-diag.toml``, ``itsm-diag.yaml`` or
``itsm-diag.yml``, applied over the batch's ``--config``) and its own mappings (files
named ``*.mapping.yaml`` or ``*.mapping.yml``, used with the batch's ``--mapping``): the
clients of one consultant use different tools and conventions.

Nothing is written among a client's files: an output folder inside a client folder is
refused before anything is read (it would also drop that client from the run), and no
report may replace a file of the batch folder or of a client's folder, at any depth.
Every entry of the batch folder that is not a client (a loose export, a stray file) and
every entry of a client folder that was not read is named in a ``warning:`` line and in
``index.json``.

A client that fails (a bad file, an empty folder) gets its error in the index and the
others carry on. Workers are started with ``spawn``: the parent may hold pandas/pyarrow
thread pools, which a forked child could inherit in a locked state.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from itsm_diag.api import RunOptions
    from itsm_diag.report import Report

#: the report file's extension per format
EXTENSIONS = {"terminal": "txt", "markdown": "md", "html": "html", "json": "json",
              "pdf": "pdf", "csv": "csv"}
INDEX_COLUMNS = ("client", "score", "band", "unknown", "top_fix", "hours_at_stake", "error")


@dataclass(frozen=True)
class ClientRow:
    """One client's line in the index: its verdict, or the error that stopped it."""

    client: str
    score: int | None = None
    band: str | None = None
    unknown: int | None = None
    top_fix: str | None = None
    #: agent hours per month at stake over the triggered signs
    hours_at_stake: float | None = None
    #: the report's file name, next to the index
    report: str | None = None
    error: str | None = None
    #: entries of the client's folder that were not read, each with the reason (the
    #: report's data notes name them too)
    not_read: tuple[str, ...] = ()
    #: the file names of the mappings that read one of the client's files (not in the
    #: index: the batch checks with them that each of its ``--mapping`` was used)
    mappings_used: tuple[str, ...] = ()


def default_jobs() -> int:
    from itsm_diag import cpus

    return min(4, cpus.usable())


def _is_client(entry: Path) -> bool:
    """Whether a sub-folder of the batch folder can be a client (not hidden, no ``_``)."""
    return entry.is_dir() and not entry.name.startswith((".", "_"))


def _earlier_output(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier batch's reports (its ``index.md``, as
    :func:`write_index` writes it), not a client's exports."""
    try:
        with (folder / INDEX_FILES[0]).open("rb") as fh:
            head = fh.read(len(INDEX_TITLE) + 1)
    except OSError:
        return False
    return head.rstrip(b"\r\n") == INDEX_TITLE.encode() and (folder / INDEX_FILES[1]).is_file()


def client_dirs(root: Path, out: Path) -> list[Path]:
    """The client folders: sub-folders of ``root``, sorted, except hidden ones, ones
    starting with ``_`` (such as the default ``_reports``) and the output folder when it
    is empty or holds an earlier batch's reports. An output folder inside a client folder (or one
    that is a client folder) is refused, before anything is read: the reports would land
    among that client's exports, and the client would be left out of the run."""
    from itsm_diag.errors import UsageError
    from itsm_diag.render import real_path

    real_out = real_path(out)
    dirs = []
    for p in sorted(root.iterdir()):
        if not _is_client(p):
            continue
        real = real_path(p)
        if real == real_out and (_earlier_output(p) or not any(p.iterdir())):
            continue  # the reports of an earlier run into the same folder, or none yet
        if real == real_out or real in real_out.parents:
            raise UsageError(
                f"--output {out} is inside the client folder {p}: the reports would be "
                f"written among its files, and the client left out of the run",
                hint=f"write the reports to a folder that is no client's (the default is "
                     f"{root / '_reports'})")
        dirs.append(p)
    return dirs


#: why an entry of the batch folder that is no client folder is not read
LOOSE_REASON = ("not a client folder: batch reads each sub-folder of the batch folder as "
                "one client; move it into its client's folder, or diagnose it on its own")


def not_read(root: Path, redact: bool = False, used: Sequence[Path] = ()) -> list[str]:
    """Every entry of the batch folder that is neither a client folder, nor the output
    folder, nor a folder skipped by name (``.`` or ``_`` first), nor one of the ``used``
    files (the batch's ``--config`` and ``--mapping``, read as such): a loose export, a
    stray file, a broken link; each as a note with the reason. With ``redact``, numbered
    instead of named (``entry 1 of the batch folder``), as a redacted report names its
    inputs."""
    from itsm_diag.render import real_path
    from itsm_diag.text import path_text

    taken = {real_path(p) for p in used}
    notes: list[str] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir():  # a client, the output folder, or one skipped by its name
            continue
        if real_path(entry) in taken:
            continue
        name = (f"entry {len(notes) + 1} of the batch folder" if redact
                else path_text(entry))
        notes.append(f"{name} was not read: {LOOSE_REASON}")
    return notes


def used_files(options: RunOptions) -> list[Path]:
    """The batch's own ``--config`` and ``--mapping`` files (read as such)."""
    return [*options.mappings, *(p for p in (options.config_file,) if p is not None)]


def render(report: Report, fmt: str) -> str:
    """``report`` in ``fmt`` (a file: the terminal format is plain text, no colour)."""
    if fmt == "json":
        from itsm_diag.render.json import render as render_json

        return render_json(report)
    if fmt == "markdown":
        from itsm_diag.render.markdown import render as render_markdown

        return render_markdown(report)
    if fmt == "html":
        from itsm_diag.render.html import render as render_html

        return render_html(report)
    if fmt == "csv":  # each client's Monday action list
        from itsm_diag.render.analyses import action_csv

        return action_csv(report)
    from itsm_diag.render.terminal import render as render_terminal

    return render_terminal(report, color=False)


def row_for(name: str, report: Report, target: Path) -> ClientRow:
    top = report.fixes[0] if report.fixes else None
    return ClientRow(
        client=name, score=report.score, band=report.band, unknown=report.unknown,
        top_fix=None if top is None else f"{' '.join(top.action.split())} ({top.sign})",
        # the report's own total: each ticket's handle minutes counted once
        hours_at_stake=round(report.hours_at_stake_per_month or 0.0, 1), report=target.name,
    )


#: the index files every batch writes next to the reports
INDEX_FILES = ("index.md", "index.json")
#: the first line of ``index.md``
INDEX_TITLE = "# itsm-diag: clients"


def report_names(dirs: Sequence[Path], fmt: str) -> dict[str, str]:
    """Each client's report file name: ``CLIENT.EXT``, unless that would be an index file
    or another client's report on a file system that folds case or Unicode forms (then
    ``CLIENT~2.EXT``, ``~3``...): no two outputs ever share a name."""
    import unicodedata

    def key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()

    taken = {key(n) for n in INDEX_FILES}
    names = {}
    ext = EXTENSIONS[fmt]
    for d in dirs:
        name, n = f"{d.name}.{ext}", 1
        while key(name) in taken:
            n += 1
            name = f"{d.name}~{n}.{ext}"
        taken.add(key(name))
        names[d.name] = name
    return names


#: a client's own config file, the first of these found in its folder
CLIENT_CONFIGS = ("itsm-diag.toml", "itsm-diag.yaml", "itsm-diag.yml")
#: a client's own mapping files
CLIENT_MAPPINGS = ("*.mapping.yaml", "*.mapping.yml")


def client_options(folder: Path, options: RunOptions) -> RunOptions:
    """``options`` with the client folder's own config and mappings added. The batch's
    ``--mapping`` may fit none of a client's files (it is meant for the clients of that
    tool); a client's own mapping must fit one of them. Two configs in one client folder
    are an error: which one the client meant cannot be told."""
    from itsm_diag.errors import ConfigError

    configs = [folder / n for n in CLIENT_CONFIGS if (folder / n).is_file()]
    if len(configs) > 1:
        raise ConfigError(
            f"the client folder holds {len(configs)} client configs ("
            f"{', '.join(p.name for p in configs)}); only one is read, so the others' "
            "settings would be silently left out",
            hint=f"keep one of them (the first, {configs[0].name}, would be used)")
    config = configs[0] if configs else None
    mappings = sorted(p for pattern in CLIENT_MAPPINGS for p in folder.glob(pattern)
                      if p.is_file())
    shared = options.mappings
    if config is None and not mappings:
        return replace(options, shared_mappings=shared) if shared else options
    return replace(options, mapping=(*shared, *mappings), client_config=config,
                   shared_mappings=shared)


def run_client(name: str, path: Path, options: RunOptions, fmt: str, out: Path,
               file_name: str | None = None) -> ClientRow:
    """Diagnose one client and write its report (``file_name`` in ``out``); never raises
    (runs in a worker)."""
    from itsm_diag import api
    from itsm_diag.errors import ItsmDiagError, from_environment
    from itsm_diag.render import write_atomic

    target = out / (file_name or f"{name}.{EXTENSIONS[fmt]}")
    skipped: list[str] = []  # named by the parent, on stderr (this is a worker)
    try:
        report = api.diagnose_paths([path], client_options(path, options), skipped.append)
        if fmt == "pdf":
            from itsm_diag.render import pdf

            write_atomic(target, pdf.render(report))
        else:
            write_atomic(target, render(report, fmt))
        used = sorted({i.detected_by.removeprefix("--mapping ") for i in report.inputs
                       if i.detected_by.startswith("--mapping ")})
        return replace(row_for(name, report, target), not_read=tuple(skipped),
                       mappings_used=tuple(used))
    except ItsmDiagError as exc:
        error = exc.one_line()
    except Exception as exc:  # a defect must not take the other clients down
        typed = from_environment(exc)  # a full disk, a file gone, no memory
        error = (typed.one_line() if typed is not None else
                 f"unexpected {type(exc).__name__}: {exc}. This is a bug in itsm-diag")
    if options.redact:  # the machine's or a defect's words may quote a path or a cell
        from itsm_diag.redact import input_labels, redact_error_text

        error = redact_error_text(error, input_labels([path]))
    # an old report next to a failed run would contradict the index
    target.unlink(missing_ok=True)
    return ClientRow(client=name, error=error, not_read=tuple(skipped))


def unlisted_reason(exc: OSError) -> str:
    """A client's error when its folder cannot be listed (``exc``): one line, without the
    folder's path (the index and the stderr line name the client; a redacted batch names
    no path)."""
    from itsm_diag.errors import InputError

    what = exc.strerror or type(exc).__name__
    return InputError(
        f"its folder could not be listed ({what}), so none of its files was read",
        hint="give the user running the batch the right to read and open that folder, "
             "then rerun the batch (or this client alone)").one_line()


def run(
    root: Path,
    out: Path,
    options: RunOptions,
    fmt: str,
    jobs: int,
    on_done: Callable[[ClientRow], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[ClientRow]:
    """Diagnose every client folder of ``root``, ``jobs`` at a time; rows by client name.
    ``on_done`` sees each row as its client finishes; ``warn`` hears of each entry of the
    batch folder that is no client (first) and each entry of a client's folder that was
    not read (as the client finishes)."""
    from itsm_diag.render import check_output

    dirs = client_dirs(root, out)
    names = report_names(dirs, fmt)
    # a client folder that cannot be listed (no permission on a shared drive) fails that
    # client alone, before anything is diagnosed: none of its files can be read
    entries: dict[str, list[Path]] = {}
    unlisted: dict[str, str] = {}
    for d in dirs:
        try:
            entries[d.name] = list(d.iterdir())
        except OSError as exc:
            unlisted[d.name] = unlisted_reason(exc)
    runnable = [d for d in dirs if d.name in entries]
    # no report replaces a loose file of the batch folder or a file of a client's (at any
    # depth: check_output looks inside the client folders); the batch folder's other
    # folders (hidden ones, ``_reports``) are no client's; nor the batch's own --config
    # and --mapping (a link in the output folder to one), as diagnose refuses them
    inputs = [*(e for e in root.iterdir() if not e.is_dir()), *dirs,
              *(entry for listed in entries.values() for entry in listed),
              *used_files(options)]
    from itsm_diag.errors import ItsmDiagError

    try:
        for target in [*names.values(), *INDEX_FILES]:
            check_output(out / target, inputs, "--out")
    except ItsmDiagError as exc:
        if options.redact:  # naming no client's file, as every redacted line does (the
            # clients' folders are named: the reports are)
            from itsm_diag.redact import INPUT_FOLDER, input_labels, redact_error

            redact_error(exc, {k: v for k, v in input_labels(dirs).items()
                               if v != INPUT_FOLDER})
        raise
    if warn is not None:
        for note in not_read(root, options.redact, used_files(options)):
            warn(note)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, ClientRow] = {}

    def done(row: ClientRow) -> None:
        rows[row.client] = row
        if warn is not None:
            for note in row.not_read:
                warn(f"client {row.client}: {note}")
        if on_done is not None:
            on_done(row)

    for name, reason in unlisted.items():
        # an old report next to a failed run would contradict the index
        (out / names[name]).unlink(missing_ok=True)
        done(ClientRow(client=name, error=reason))
    if jobs <= 1 or len(runnable) <= 1:
        # one at a time: no process start-up to pay for
        for d in runnable:
            done(run_client(d.name, d, options, fmt, out, names[d.name]))
    else:
        from itsm_diag.importers import jsonworker

        context = multiprocessing.get_context("spawn")
        # the pool runs a client a CPU: its workers read big JSON files without a helper
        # process of their own
        with ProcessPoolExecutor(max_workers=min(jobs, len(runnable)), mp_context=context,
                                 initializer=jsonworker.turn_off) as pool:
            futures: dict[Future[ClientRow], str] = {
                pool.submit(run_client, d.name, d, options, fmt, out, names[d.name]): d.name
                for d in runnable
            }
            for future in as_completed(futures):
                name = futures[future]
                try:
                    done(future.result())
                except (BrokenProcessPool, CancelledError, OSError) as exc:
                    # run_client never raises: the worker process itself died (killed by
                    # the system, out of memory) or could not be started
                    done(ClientRow(client=name, error=(
                        f"the process diagnosing this client stopped ({type(exc).__name__}: "
                        f"{exc}); rerun the batch with --jobs 1, or this client alone, to see "
                        "why")))
    return [rows[d.name] for d in dirs]


def unused_mappings(rows: Sequence[ClientRow], mappings: Sequence[Path]) -> list[Path]:
    """The batch's ``--mapping`` files that read no file of any client, once every client
    was diagnosed (a client that failed may have been the one it was meant for: then
    nothing is said)."""
    from itsm_diag.importers.mapping import resolve_mapping_path

    if not rows or any(r.error is not None for r in rows):
        return []
    used = {name for r in rows for name in r.mappings_used}
    return [p for p in mappings if resolve_mapping_path(p).name not in used]


def _md_cell(value: object) -> str:
    from itsm_diag.render.markdown import md

    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}"
    # folder names and error messages (which quote file names and headers) are text
    return md(value, 120)


def write_index(rows: Sequence[ClientRow], out: Path,
                loose: Sequence[str] = ()) -> tuple[Path, Path]:
    """``index.md`` (a table for people) and ``index.json`` (the rows) in ``out``;
    ``loose``: the entries of the batch folder that were not read (:func:`not_read`),
    listed under the table and in the JSON."""
    from urllib.parse import quote

    from itsm_diag.render import write_atomic
    from itsm_diag.render.markdown import md
    from itsm_diag.text import plurals

    md_path, json_path = (out / name for name in INDEX_FILES)
    failed = sum(r.error is not None for r in rows)
    lines = [
        INDEX_TITLE, "",
        plurals(f"{len(rows)} client(s), {failed} failed."), "",
        "| client | score | band | unknown | top fix | hours at stake /mo | error |",
        "|---|--:|---|--:|---|--:|---|",
    ]
    for r in rows:
        name = _md_cell(r.client)
        if r.report is not None:
            # the file name is a folder name: percent-encoded, it is a link target and
            # nothing else (no markup, no second link, no line break)
            name = f"[{name}]({quote(r.report, safe='')})"
        lines.append("| " + " | ".join([
            name, _md_cell(r.score), _md_cell(r.band), _md_cell(r.unknown),
            _md_cell(r.top_fix), _md_cell(r.hours_at_stake), _md_cell(r.error),
        ]) + " |")
    if loose:
        lines += ["", "Not read in the batch folder:", "",
                  *(f"- {md(note, 600)}" for note in loose)]
    write_atomic(md_path, "\n".join(lines) + "\n")
    doc = {"clients": [{k: v for k, v in asdict(r).items() if k != "mappings_used"}
                       for r in rows], "total": len(rows), "failed": failed,
           "not_read": list(loose)}
    write_atomic(json_path, json.dumps(doc, indent=2) + "\n")
    return md_path, json_path
