"""Many clients at once (``itsm-diag batch DIR``): every sub-folder of DIR is one client,
diagnosed in its own worker process; one report per client, plus an index of them all
(``index.md`` and ``index.json``).

A client folder may hold its own config (``itsm-diag.toml``, ``itsm-diag.yaml`` or
``itsm-diag.yml``, applied over the batch's ``--config``) and its own mappings (files
named ``*.mapping.yaml`` or ``*.mapping.yml``, used with the batch's ``--mapping``): the
clients of one consultant use different tools and conventions.

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
from dataclasses import asdict, dataclass
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


def default_jobs() -> int:
    from itsm_diag import cpus

    return min(4, cpus.usable())


def client_dirs(root: Path, out: Path) -> list[Path]:
    """The client folders: sub-folders of ``root``, sorted, except hidden ones, ones
    starting with ``_`` (such as the default ``_reports``) and the output folder."""
    out = out.resolve()
    return sorted(
        p for p in root.iterdir()
        if p.is_dir() and not p.name.startswith((".", "_")) and p.resolve() != out
    )


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
    triggered = [s.hours_at_stake_per_month or 0.0 for s in report.signs
                 if s.status == "triggered"]
    top = report.fixes[0] if report.fixes else None
    return ClientRow(
        client=name, score=report.score, band=report.band, unknown=report.unknown,
        top_fix=None if top is None else f"{' '.join(top.action.split())} ({top.sign})",
        hours_at_stake=round(sum(triggered), 1), report=target.name,
    )


#: the index files every batch writes next to the reports
INDEX_FILES = ("index.md", "index.json")


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
    """``options`` with the client folder's own config and mappings added."""
    from dataclasses import replace

    config = next((folder / n for n in CLIENT_CONFIGS if (folder / n).is_file()), None)
    mappings = sorted(p for pattern in CLIENT_MAPPINGS for p in folder.glob(pattern)
                      if p.is_file())
    if config is None and not mappings:
        return options
    return replace(options, mapping=(*options.mappings, *mappings), client_config=config)


def run_client(name: str, path: Path, options: RunOptions, fmt: str, out: Path,
               file_name: str | None = None) -> ClientRow:
    """Diagnose one client and write its report (``file_name`` in ``out``); never raises
    (runs in a worker)."""
    from itsm_diag import api
    from itsm_diag.errors import ItsmDiagError, from_environment
    from itsm_diag.render import write_atomic

    target = out / (file_name or f"{name}.{EXTENSIONS[fmt]}")
    try:
        report = api.diagnose_paths([path], client_options(path, options))
        if fmt == "pdf":
            from itsm_diag.render import pdf

            write_atomic(target, pdf.render(report))
        else:
            write_atomic(target, render(report, fmt))
        return row_for(name, report, target)
    except ItsmDiagError as exc:
        error = exc.one_line()
    except Exception as exc:  # a defect must not take the other clients down
        typed = from_environment(exc)  # a full disk, a file gone, no memory
        error = (typed.one_line() if typed is not None else
                 f"unexpected {type(exc).__name__}: {exc}. This is a bug in itsm-diag")
    # an old report next to a failed run would contradict the index
    target.unlink(missing_ok=True)
    return ClientRow(client=name, error=error)


def run(
    root: Path,
    out: Path,
    options: RunOptions,
    fmt: str,
    jobs: int,
    on_done: Callable[[ClientRow], None] | None = None,
) -> list[ClientRow]:
    """Diagnose every client folder of ``root``, ``jobs`` at a time; rows by client name.
    ``on_done`` sees each row as its client finishes."""
    from itsm_diag.render import check_output

    dirs = client_dirs(root, out)
    names = report_names(dirs, fmt)
    inputs = [entry for d in dirs for entry in d.iterdir()]
    for target in [*names.values(), *INDEX_FILES]:
        check_output(out / target, inputs, "--out")
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, ClientRow] = {}

    def done(row: ClientRow) -> None:
        rows[row.client] = row
        if on_done is not None:
            on_done(row)

    if jobs <= 1 or len(dirs) <= 1:
        # one at a time: no process start-up to pay for
        for d in dirs:
            done(run_client(d.name, d, options, fmt, out, names[d.name]))
    else:
        from itsm_diag.importers import jsonworker

        context = multiprocessing.get_context("spawn")
        # the pool runs a client a CPU: its workers read big JSON files without a helper
        # process of their own
        with ProcessPoolExecutor(max_workers=min(jobs, len(dirs)), mp_context=context,
                                 initializer=jsonworker.turn_off) as pool:
            futures: dict[Future[ClientRow], str] = {
                pool.submit(run_client, d.name, d, options, fmt, out, names[d.name]): d.name
                for d in dirs
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


def _md_cell(value: object) -> str:
    from itsm_diag.render.markdown import md

    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}"
    # folder names and error messages (which quote file names and headers) are text
    return md(value, 120)


def write_index(rows: Sequence[ClientRow], out: Path) -> tuple[Path, Path]:
    """``index.md`` (a table for people) and ``index.json`` (the rows) in ``out``."""
    from urllib.parse import quote

    from itsm_diag.render import write_atomic

    md_path, json_path = (out / name for name in INDEX_FILES)
    failed = sum(r.error is not None for r in rows)
    lines = [
        "# itsm-diag: clients", "",
        f"{len(rows)} client(s), {failed} failed.", "",
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
    write_atomic(md_path, "\n".join(lines) + "\n")
    doc = {"clients": [asdict(r) for r in rows], "total": len(rows), "failed": failed}
    write_atomic(json_path, json.dumps(doc, indent=2) + "\n")
    return md_path, json_path
