"""Command line: parse options, call :mod:`itsm_diag.api`, turn typed errors into exit codes.

Exit codes: 0 success; 1 the ``--fail-on`` threshold was reached; 2 usage or input error
(one line on stderr, no traceback). Heavy libraries are imported inside commands so
``--help`` stays instant.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar, cast

import typer

if TYPE_CHECKING:
    from itsm_diag.report import Comparison, Report

class _PlainHelpGroup(typer.core.TyperGroup):
    """Plain (click) help, but each command's whole first sentence, wrapped, as rich's
    help shows it, not cut at the terminal width."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line; a usage error (an unknown option, a missing argument, a
        value click rejects) is one line on stderr and exit 2, like every other error,
        not click's usage block of four."""
        from typer._click.exceptions import ClickException, NoArgsIsHelpError

        from itsm_diag.errors import ItsmDiagError

        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except NoArgsIsHelpError as exc:  # `itsm-diag` alone: the help, as before
            exc.show()
            code = exc.exit_code
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = f" Run '{ctx.command_path} --help' for usage." if ctx is not None else ""
            message = exc.format_message().replace("Value error, ", "").rstrip(".")
            _say(f"error: {message}.{where}")
            code = exc.exit_code
        except typer.Abort:
            _say("aborted")
            code = 1
        except ItsmDiagError as exc:  # --version or --help with standard output closed
            _say(f"error: {exc.one_line()}")
            code = exc.exit_code
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


class _Command(typer.core.TyperCommand):
    """Help in words: argument metavars as written (``EXPORT...``), without the Python
    types typer adds to them (``<list[Path]>``); choices stay listed."""

    def get_help(self, ctx: Any) -> str:
        return _words_only(super().get_help(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _words_only(super().get_usage(ctx))


def _words_only(text: str) -> str:
    import re

    text = re.sub(r"\{([A-Z][A-Za-z0-9_.|]*)\}(\.\.\.)?", lambda m: m.group(1) + (
        "..." if m.group(2) and not m.group(1).endswith("...") else ""), text)
    text = re.sub(r"\[(\[[A-Z]+\]\.\.\.)\]\.\.\.", r"\1", text)
    return re.sub(r" <(?:list\[\w+\]|Path|path|str|int|float|text|bool)>", "", text)


app = typer.Typer(
    cls=_PlainHelpGroup,
    name="itsm-diag",
    help="Diagnose the health of an IT service management process from a ticket export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: rich's help formatter imports rich.markdown and markdown-it
    # (~0.1 s), half of the --help start-up budget
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])
BANDS = ("healthy", "gaps", "slowing", "crisis")


class Format(StrEnum):
    terminal = "terminal"
    markdown = "markdown"
    html = "html"
    json = "json"
    pdf = "pdf"
    #: the Monday action list alone (issue 17), cells escaped against spreadsheet formulas
    csv = "csv"


#: the format an output file's suffix names, when --format is not given
SUFFIX_FORMATS = {".html": Format.html, ".htm": Format.html, ".md": Format.markdown,
                  ".markdown": Format.markdown, ".json": Format.json, ".pdf": Format.pdf,
                  ".txt": Format.terminal, ".csv": Format.csv}


def _format_for(fmt: str | None, output: Path | None,
                allowed: tuple[str, ...] = tuple(Format)) -> Format:
    """``--format`` when given (any case), else the one ``-o``'s suffix names
    (``report.html`` is HTML), else the terminal's plain text."""
    if fmt is not None:
        name = fmt.strip().lower()
        if name not in allowed:
            from itsm_diag.errors import UsageError

            raise UsageError(f"--format {fmt!r} is not a report format",
                             hint=f"use one of {', '.join(allowed)}")
        return Format(name)
    if output is not None:
        found = SUFFIX_FORMATS.get(output.suffix.lower(), Format.terminal)
        return found if found.value in allowed else Format.terminal
    return Format.terminal


def _version(value: bool) -> None:
    if value:
        from itsm_diag import __version__

        typer.echo(f"itsm-diag {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Diagnose the health of an IT service management process from a ticket export."""


def _say(message: str) -> None:
    """One line on stderr, ``itsm-diag: ...``, safe for a terminal: the message may quote
    file names, headers, values or option values, whose control characters and line
    breaks are shown as escapes, never obeyed."""
    from itsm_diag.text import shown

    typer.echo(f"itsm-diag: {shown(message, one_line=True)}", err=True)


def _fail(message: str) -> None:
    _say(f"error: {message}")
    raise typer.Exit(code=2)


def handled(func: F) -> F:
    """Turn every ItsmDiagError into one stderr line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from itsm_diag.errors import ItsmDiagError, from_environment

        try:
            return func(*args, **kwargs)
        except ItsmDiagError as exc:
            _fail(exc.one_line())
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            # the reader stopped reading (| head): a normal end, nothing more to say
            from itsm_diag.text import silence_stdout

            silence_stdout()
        except Exception as exc:
            # what the machine raises (a full disk, a file gone, no memory) is a typed
            # error; anything left is a defect (the fuzz step hunts for one)
            typed = from_environment(exc)
            if typed is not None:
                _fail(typed.one_line())
            if os.environ.get("ITSM_DIAG_DEBUG"):
                raise
            # a defect, not bad input; say so in one line rather than a traceback
            _fail(f"unexpected {type(exc).__name__}: {exc}. This is a bug in itsm-diag; "
                  "rerun with ITSM_DIAG_DEBUG=1 for details and report it")
        return None

    return wrapper  # type: ignore[return-value]


def _fail_on(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    if value.isascii() and value.isdigit() and 0 <= int(value) <= 7:
        return ("score", int(value))
    if value.lower() in BANDS:
        return ("band", BANDS.index(value.lower()))
    from itsm_diag.errors import UsageError
    from itsm_diag.text import quote

    raise UsageError(f"--fail-on {quote(value)} is neither a score 0-7 nor a band",
                     hint=f"use a number or one of {', '.join(BANDS)}")


def _reached(report: Report, rule: tuple[str, int] | None) -> bool:
    if rule is None:
        return False
    kind, level = rule
    # the triggered count decides, also for a band: unknown signs never fail a build, and
    # an undetermined band is compared by its lower end (the band of the score)
    if kind == "score":
        return report.score >= level
    from itsm_diag.engine import band_for

    return BANDS.index(band_for(report.score)) >= level


def _emit(report: Report, fmt: Format, output: Path | None, quiet: bool = False,
          verbose: bool = False, browser: Path | None = None) -> None:
    """Render ``report`` in ``fmt`` to ``output`` (atomically) or stdout. ``quiet`` cuts
    the terminal format to its headline line; a file format is always written whole, and
    with ``--output`` quiet also keeps the headline off stdout."""
    if fmt is Format.pdf:
        from itsm_diag.render import pdf

        target, found = _pdf_target(output, browser)
        pdf.write(report, target, found)
        return
    if fmt is Format.json:
        from itsm_diag.render.json import render as render_json

        text = render_json(report)
    elif fmt is Format.markdown:
        from itsm_diag.render.markdown import render as render_markdown

        text = render_markdown(report)
    elif fmt is Format.html:
        from itsm_diag.render.html import render as render_html

        text = render_html(report)
    elif fmt is Format.csv:
        from itsm_diag.render.analyses import action_csv

        actions = report.analyses.get("actions")
        if actions is not None and actions.status == "unknown":
            from itsm_diag.render.common import one_line

            typer.echo(f"itsm-diag: the action list is empty: {one_line(actions.reason, 600)}",
                       err=True)
        text = action_csv(report)
    else:
        from itsm_diag.render.terminal import render as render_terminal

        text = render_terminal(report, color=output is None and sys.stdout.isatty(),
                               quiet=quiet, verbose=verbose)
    _deliver(output, text)


def _deliver(output: Path | None, text: str) -> None:
    """The report to ``output`` or standard output (:func:`itsm_diag.render.deliver`: a
    failed write is one error line and exit 2)."""
    from itsm_diag.render import deliver

    deliver(output, text)


def _guard_output(output: Path, paths: Sequence[Path], others: Sequence[Path | None],
                  option: str = "--output", redact: bool = False) -> None:
    """Refuse an ``--output`` that is one of the run's inputs (before the slow read): an
    export (a file named, or any file inside a folder named), a mapping, a config, a
    baseline or an answers file. With ``redact``, the refusal names no input (``input
    1``), as every redacted line does."""
    from itsm_diag.errors import ItsmDiagError
    from itsm_diag.importers.registry import list_inputs
    from itsm_diag.render import check_output

    try:
        seen = list_inputs(paths).seen
    except ItsmDiagError:
        seen = list(paths)  # the run itself will say what is wrong with them
    try:
        check_output(output, [*seen, *(p for p in others if p is not None)], option)
    except ItsmDiagError as exc:
        if redact:
            from itsm_diag.redact import input_labels, redact_error

            redact_error(exc, input_labels(paths))
        raise


def _check_destination(fmt: Format, output: Path | None, browser: Path | None) -> None:
    """What :func:`_emit` would refuse after the diagnosis, refused before it: an output
    that cannot be written (no such folder, a folder, a folder not writable, a closed
    standard output), a PDF with no file or no browser to print it."""
    if output is not None:
        from itsm_diag.render import check_writable

        check_writable(output)
    if fmt is Format.pdf:
        _pdf_target(output, browser)
    elif output is None:
        _check_stdout()


class _ClosedStream(io.TextIOBase):
    """Standard output or error when its file descriptor was closed before the run
    (``>&-``, ``2>&-``): Python then leaves ``sys.stdout`` or ``sys.stderr`` None, and
    every ``isatty()``, ``write()`` or ``flush()`` on it would be an AttributeError.
    :func:`main` puts one in its place, once. It is no terminal (no progress, no colour).
    What is written to a closed standard error (a warning, an error line) has nowhere to
    go and is dropped; text written to a closed standard output is refused with the one
    line :func:`_stdout_closed` words (exit 2), as ``-o /dev/stdout`` is refused. A
    command that writes only to ``-o FILE`` never writes to it, and runs as usual."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click asks with b"" whether a stream is binary
            raise TypeError("a text stream")
        if text and self.fd == 1:
            raise _stdout_closed()
        return len(text)


def _stdout_closed() -> Exception:
    from itsm_diag.errors import UsageError

    return UsageError("cannot write to standard output: file descriptor 1 is not open",
                      hint="run it with standard output open, or write the report to a "
                           "file with -o FILE where the command takes one")


def _check_stdout() -> None:
    """Refuse, before anything is read, a run that would write to a closed standard
    output (the write itself would refuse it too, after a diagnosis of minutes)."""
    if isinstance(sys.stdout, _ClosedStream):
        raise _stdout_closed()


def _stand_in_for_closed_streams() -> None:
    """A :class:`_ClosedStream` for a standard output or error Python left None."""
    if sys.stdout is None:
        sys.stdout = cast(TextIO, _ClosedStream(1))
    if sys.stderr is None:
        sys.stderr = cast(TextIO, _ClosedStream(2))


def _stdout_on_terminal() -> bool:
    """Whether standard output is a terminal (read when asked: a test's runner swaps
    the stream)."""
    return sys.stdout.isatty()


def _pdf_target(output: Path | None, browser: Path | None) -> tuple[Path | None, Path]:
    """The file a PDF report is written to (None: standard output, when it is a file or a
    pipe, ``> report.pdf``) and the browser that prints it, or the one line saying there
    is none: a PDF is binary, never shown on a terminal (:func:`_check_destination` asks
    before the diagnosis, :func:`_emit` after it)."""
    from itsm_diag.errors import UsageError
    from itsm_diag.render.pdf import find_browser

    if output is None:
        _check_stdout()
        if _stdout_on_terminal():
            raise UsageError("--format pdf writes a binary file, which a terminal cannot "
                             "show", hint="add -o REPORT.pdf, or redirect standard output "
                             "to a file (> REPORT.pdf)")
    return output, find_browser(browser)


def _warn(message: str) -> None:
    """A warning the user must see even with ``--quiet`` or a report file: a file in an
    input folder that was not read."""
    _say(f"warning: {message}")


@contextlib.contextmanager
def _progress(paths: Sequence[Path], quiet: bool) -> Iterator[None]:
    """A spinner on stderr while the exports are read and diagnosed, naming the stage
    (the file being read, rows read, signs measured so far): only when stderr is a
    terminal (never in pipes, CI logs or captured output) and not ``--quiet``."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.markup import escape

    from itsm_diag import progress

    size = 0
    count = 0
    for path in paths:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for f in files:
            with contextlib.suppress(OSError):
                size += f.stat().st_size
                count += 1
    what = f"{count} file{'s' if count != 1 else ''}, {size / 1e6:,.1f} MB"
    head = f"Diagnosing {what}"
    with Console(stderr=True).status(escape(f"{head}...")) as status, progress.listening(
            lambda stage: status.update(escape(f"{head}: {stage}..."))):
        yield


def _answers(path: Path | None) -> dict[str, bool] | None:
    from itsm_diag.api import load_answers

    return load_answers(path)


def _config_file(path: Path | None) -> Path | None:
    """``--config``, else the config file found in the working directory, if any."""
    if path is not None:
        return path
    from itsm_diag.config import find_config_file

    # relative, so the report names the file the same way on every machine
    return find_config_file(Path())


def _increase_text(comparison: Comparison) -> str:
    """Why --fail-on-increase fires, in one clause."""
    parts = []
    if comparison.score.delta:
        parts.append(f"score {comparison.baseline.score} -> {comparison.current.score}")
    if comparison.appeared:
        parts.append(f"newly triggered: {', '.join(comparison.appeared)}")
    return "; ".join(parts) or "no increase"


Paths = Annotated[list[Path], typer.Argument(
    metavar="EXPORT...", help="Export files or folders (a folder is read whole).",
    show_default=False)]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", metavar="terminal|markdown|html|json|pdf|csv", show_default=False,
    help="Report format: terminal, markdown (GitHub-flavoured), html (one self-contained "
    "file), json, pdf (the HTML report printed by Chromium or Chrome: to -o FILE, or to "
    "standard output redirected to a file or a pipe, never to a terminal), or csv (the "
    "Monday action list alone). Default: the "
    "one -o's suffix names (.txt .md .html .json .pdf .csv), else terminal.")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically) "
    "instead of the terminal.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Terminal format: print only the headline line; no progress display.")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Terminal format: add the KPI definitions, the whole fix plan "
    "and each input file.")]
TitleOpt = Annotated[str | None, typer.Option(
    "--title", metavar="TEXT", help="The report's title (default: IT service management "
    "health check).")]
ClientOpt = Annotated[str | None, typer.Option(
    "--client", metavar="NAME", help="Who the report is for: shown under the title.")]
BrowserOpt = Annotated[Path | None, typer.Option(
    "--browser", metavar="PATH", help="--format pdf: the Chromium or Chrome to print with "
    "(default: the first of chromium, chromium-browser, google-chrome found on PATH).")]
SourceOpt = Annotated[str | None, typer.Option(
    "--source", metavar="TOOL", help="The exporting tool, overriding detection: servicenow, "
    "jira, zendesk or freshservice.")]
MappingOpt = Annotated[list[Path] | None, typer.Option(
    "--mapping", metavar="FILE|NAME", help="YAML column mapping for any other tool, or a "
    "shipped one: glpi, topdesk, remedy (see the README); repeat it for several: each file "
    "is read by the mapping whose columns it has.", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help="YAML or TOML file overriding thresholds, params and "
    "defaults (default: itsm-diag.toml, else the tool.itsm-diag table of pyproject.toml, "
    "in the working directory).")]
DateOpt = Annotated[str | None, typer.Option(
    "--date-format", metavar="ORDER|PATTERN",
    help="dayfirst, monthfirst, or a strftime pattern such as '%d.%m.%Y %H:%M'.")]
TzOpt = Annotated[str | None, typer.Option(
    "--tz", metavar="ZONE", help="Time zone of times without one in the file, e.g. "
    "Europe/Berlin (default UTC; given, even as UTC, it wins over a mapping's "
    "time_zone).", show_default=False)]
MaxFileOpt = Annotated[float | None, typer.Option(
    "--max-file-mb", metavar="MB", help="Refuse input files larger than this many MB "
    "(default 2048, JSON 1024; workbooks: their unpacked size).", show_default=False)]
RedactOpt = Annotated[bool, typer.Option(
    "--redact", help="For sharing: people become pseudonyms (Requester N, Agent N); e-mail "
    "addresses, phone numbers, ticket text and input file names are removed from the "
    "report.")]
FailOnOpt = Annotated[str | None, typer.Option(
    "--fail-on", metavar="N|BAND", help="Exit 1 when the score (signs triggered) reaches N "
    "(0-7), or its band reaches BAND: healthy, gaps, slowing or crisis.")]


def _zone(tz: str | None) -> dict[str, Any]:
    """``--tz`` as RunOptions takes it: the zone (UTC when not given), and whether it was
    given (an explicit UTC wins over a mapping's time_zone; the default does not)."""
    return {"tz": "UTC" if tz is None else tz, "tz_given": tz is not None}


def _examples(*lines: str) -> str:
    """A command's examples, for its --help (``\b`` keeps click from re-wrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@app.command(cls=_Command, epilog=_examples(
    "itsm-diag diagnose exports/",
    "itsm-diag diagnose exports/ -o acme.html --client 'Acme Corp'",
    "itsm-diag diagnose exports/ -o acme.pdf --redact",
    "itsm-diag diagnose exports/ --until last-month --period month -o health.json",
    "itsm-diag diagnose exports/ --fail-on slowing"))
@handled
def diagnose(
    paths: Paths,
    source: SourceOpt = None,
    mapping: MappingOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    title: TitleOpt = None,
    client: ClientOpt = None,
    browser: BrowserOpt = None,
    config_file: ConfigOpt = None,
    since: Annotated[str | None, typer.Option(
        metavar="DATE", help="Window start: YYYY-MM-DD, an ISO time (2026-08-01T08:00:00Z, "
        "+02:00; without a zone, read in --tz), or last-month / last-quarter (that whole "
        "calendar period, counted back from the data's latest timestamp, not today).")
    ] = None,
    until: Annotated[str | None, typer.Option(
        metavar="DATE", help="Window end / as-of: YYYY-MM-DD (the whole day), an ISO time "
        "(2026-08-31T18:00:00+02:00, that instant), or last-month / last-quarter (its end)."
    )] = None,
    period: Annotated[str | None, typer.Option(
        "--period", metavar="month|quarter", help="Also diagnose each calendar month or "
        "quarter in the data on its own, for a score trend.")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", metavar="OLD.json", help="An earlier JSON report: add what changed "
        "since it.")] = None,
    fail_on_increase: Annotated[bool, typer.Option(
        "--fail-on-increase", help="With --baseline: exit 1 when the score rose or a sign "
        "is triggered that was not in the baseline (a sign that appeared or cleared within "
        "noise counts on neither side).")] = False,
    fail_on: FailOnOpt = None,
    answers: Annotated[Path | None, typer.Option(
        "--answers", metavar="FILE", help="YAML of sign: true/false filling signs the data "
        "cannot answer (itsm-diag quiz --save-answers writes one).")] = None,
    date_format: DateOpt = None,
    tz: TzOpt = None,
    redact: RedactOpt = False,
    max_file_mb: MaxFileOpt = None,
) -> None:
    """Diagnose ticket exports: the seven signs, score, band, evidence and fix plan."""
    from itsm_diag import api

    rule = _fail_on(fail_on)
    if fail_on_increase and baseline is None:
        _fail("--fail-on-increase needs --baseline OLD.json to compare with")
    options = api.RunOptions(
        source=source, mapping=tuple(mapping or ()), date_format=date_format, **_zone(tz),
        config_file=_config_file(config_file), period=period, baseline=baseline,
        since=since, until=until, answers=_answers(answers), answers_file=answers,
        redact=redact, max_file_mb=max_file_mb,
    )
    if output is not None:
        _guard_output(output, paths,
                      [*options.mappings, options.config_file, baseline, answers],
                      redact=redact)
    chosen = _format_for(fmt, output)
    _check_destination(chosen, output, browser)  # before the slow read, not after it
    with _progress(paths, quiet):
        report = api.diagnose_paths(paths, options, warn=_warn)
    report = api.titled(report, title, client)
    _emit(report, chosen, output, quiet, verbose, browser)
    failed = _reached(report, rule)
    if failed:
        _say(f"score {report.score} ({report.band}) reached --fail-on {fail_on}")
    if fail_on_increase and report.comparison is not None and report.comparison.increased:
        _say(f"{_increase_text(report.comparison)} (--fail-on-increase)")
        failed = True
    if failed:
        raise typer.Exit(code=1)


@app.command(cls=_Command, epilog=_examples("itsm-diag demo", "itsm-diag demo -o demo.html",
                              "itsm-diag demo -o demo.pdf --client 'Example Ltd'"))
@handled
def demo(
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    title: TitleOpt = None,
    client: ClientOpt = None,
    browser: BrowserOpt = None,
    redact: RedactOpt = False,
) -> None:
    """Diagnose the bundled sample export: the first thing to run."""
    from itsm_diag import api

    chosen = _format_for(fmt, output)
    _check_destination(chosen, output, browser)
    with _progress([api.demo_dir()], quiet):
        report = api.diagnose_paths([api.demo_dir()], api.RunOptions(redact=redact))
    report = api.titled(report, title, client)
    _emit(report, chosen, output, quiet, verbose, browser)


@app.command(cls=_Command, epilog=_examples("itsm-diag inspect exports/",
                              "itsm-diag inspect incident.csv --json"))
@handled
def inspect(
    paths: Paths,
    source: SourceOpt = None,
    mapping: MappingOpt = None,
    date_format: DateOpt = None,
    tz: TzOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    max_file_mb: MaxFileOpt = None,
) -> None:
    """Show what was detected in the files and how well each field is covered."""
    import json

    from itsm_diag import api

    _check_stdout()
    info = api.inspect_paths(paths, api.RunOptions(
        source=source, mapping=tuple(mapping or ()), date_format=date_format, **_zone(tz),
        max_file_mb=max_file_mb))
    if as_json:
        _deliver(None, json.dumps(info, indent=2, default=str) + "\n")
        return
    _deliver(None, _inspect_text(info))


def _read_as(inp: dict[str, Any], safe: Callable[[object], str]) -> str:
    """How ``inspect`` says a table was decoded: a text file's encoding and delimiter; a
    workbook has neither (its reader leaves both None), a JSON file no delimiter."""
    if inp["encoding"] is None:
        return "a workbook (no encoding or delimiter)"
    if inp["delimiter"] is None:
        return f"encoding {safe(inp['encoding'])} (JSON: no delimiter)"
    return f"encoding {safe(inp['encoding'])}, delimiter {safe(repr(inp['delimiter']))}"


def _inspect_text(info: dict[str, Any]) -> str:
    """``inspect``'s plain-text listing. File names, headers, values and warnings come
    from the files: each line is made safe for a terminal (control characters and line
    breaks inside a value shown as escapes, so no value can start a line of its own)."""
    from itsm_diag.text import share as share_text
    from itsm_diag.text import shown

    def safe(value: object) -> str:
        return shown(value, one_line=True)

    lines = []
    for inp in info["inputs"]:
        lines += [
            safe(inp["path"]),
            f"  tool {safe(inp['tool'])}, table {safe(inp['table'])} (confidence "
            f"{inp['confidence']:.2f}: {safe(inp['detected_by'])})",
            f"  {inp['rows']:,} rows -> {inp['tickets']:,} tickets; {_read_as(inp, safe)}",
        ]
        lines += [f"  date column {safe(col)}: {safe(f)}"
                  for col, f in inp["date_formats"].items()]
        lines.append("  columns: " + ", ".join(f"{safe(k)} <- {safe(v)}"
                                               for k, v in inp["column_map"].items()))
        lines += [f"  warning: {safe(w)}" for w in inp["warnings"]]
    lines.append(f"{info['tickets']:,} tickets, {info['events']:,} events; by kind: "
                 + ", ".join(f"{safe(k)} {n:,}" for k, n in info["by_kind"].items()))
    lines.append("coverage (share of tickets with a value):")
    # share(): three links in 24,918 tickets read <0.1%, not 0.0% (as in the report)
    lines += [f"  {col:<20} {share_text(share, 1):>7}" for col, share in info["coverage"].items()]
    if info.get("unanswerable"):
        lines.append("fields a sign or check reads that no ticket fills (what would supply them):")
        lines += [f"  {safe(rule)}: {safe(line)}" for rule, said in info["unanswerable"].items()
                  for line in said]
    lines += [f"note: {safe(note)}" for note in info["notes"]]
    return "\n".join(lines) + "\n"


@app.command(cls=_Command, epilog=_examples("itsm-diag signs"))
@handled
def signs() -> None:
    """List the seven signs and the extra checks."""
    from itsm_diag.config import load_rules
    from itsm_diag.rulefiles import check_line, listing, sign_line

    rules = load_rules()
    typer.echo(listing([sign_line(r.number, r.id, r.title) for r in rules.signs.values()],
                       [check_line(r.id, r.title) for r in rules.checks.values()]))


@app.command(cls=_Command,
             epilog=_examples("itsm-diag explain backlog", "itsm-diag explain routing"))
@handled
def explain(sign: Annotated[str, typer.Argument(
        metavar="SIGN", help="A sign, check or analysis id, e.g. backlog or flow (itsm-diag "
        "signs lists the signs and checks).")],
            config_file: ConfigOpt = None) -> None:
    """Print a sign's documentation: what it checks, why, thresholds in force, data, fixes."""
    from itsm_diag.explain import explain_page

    # the config diagnose would read, so the page states the thresholds it grades with
    path = _config_file(config_file)
    typer.echo(explain_page(sign, path, "--config" if config_file is not None
                            else "found in the working directory"))


class CompareFormat(StrEnum):
    terminal = "terminal"
    markdown = "markdown"
    json = "json"


OldArg = Annotated[Path, typer.Argument(
    metavar="OLD.json", help="The baseline: an earlier JSON report (diagnose --format json).",
    show_default=False)]
NewArg = Annotated[Path, typer.Argument(
    metavar="NEW.json", help="The newer JSON report.", show_default=False)]


@app.command("compare", cls=_Command, epilog=_examples(
    "itsm-diag compare last-month.json this-month.json",
    "itsm-diag compare old.json new.json -o changes.md --fail-on-increase"))
@handled
def compare_reports(
    old: OldArg,
    new: NewArg,
    fmt_name: Annotated[str | None, typer.Option(
        "--format", "-f", metavar="terminal|markdown|json", show_default=False,
        help="terminal, markdown (GitHub-flavoured) or json. Default: the one -o's suffix "
        "names (.txt .md .json), else terminal.")] = None,
    output: OutputOpt = None,
    fail_on_increase: Annotated[bool, typer.Option(
        "--fail-on-increase", help="Exit 1 when the score rose or a sign is triggered that "
        "was not in OLD (a sign that appeared or cleared within noise counts on neither "
        "side).")] = False,
) -> None:
    """What changed between two JSON reports: signs, score, band, KPIs, hours at stake."""
    from itsm_diag import api
    from itsm_diag.compare import compare

    if output is not None:
        from itsm_diag.render import check_output, check_writable

        check_output(output, [old, new])
        check_writable(output)
    else:
        _check_stdout()
    comparison = compare(api.load_report(old), api.load_report(new),
                         api.load_rules(None).defaults.wording)
    fmt = CompareFormat(_format_for(fmt_name, output, tuple(CompareFormat)).value)
    if fmt is CompareFormat.json:
        from itsm_diag.render.json import render_comparison as render_json

        text = render_json(comparison)
    elif fmt is CompareFormat.markdown:
        from itsm_diag.render.markdown import render_comparison as render_markdown

        text = render_markdown(comparison)
    else:
        from itsm_diag.render.terminal import render_comparison as render_terminal

        text = render_terminal(comparison, color=output is None and sys.stdout.isatty())
    _deliver(output, text)
    if fail_on_increase and comparison.increased:
        _say(f"{_increase_text(comparison)} (--fail-on-increase)")
        raise typer.Exit(code=1)


@app.command(cls=_Command, epilog=_examples(
    "itsm-diag pull servicenow --url https://acme.service-now.com -o acme/ --since 2025-07-01",
    "itsm-diag pull jira --url https://acme.atlassian.net -o acme/ --jql 'project = ITSM'",
    "itsm-diag pull zendesk --url https://acme.zendesk.com -o acme/ --dry-run"))
@handled
def pull(
    tool: Annotated[str, typer.Argument(
        metavar="TOOL", help="servicenow, jira, zendesk or freshservice.")],
    url: Annotated[str, typer.Option("--url", metavar="URL",
                                     help="The instance's https:// address.")],
    out: Annotated[Path, typer.Option("--output", "-o", "--out", metavar="FOLDER",
                                      help="Folder for the files (and the state that lets "
                                      "a rerun resume).")],
    since: Annotated[str | None, typer.Option(
        metavar="DATE", help="Only records updated at or after this date (UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        metavar="DATE", help="Only records whose latest update is before this date (UTC).")
    ] = None,
    table: Annotated[list[str] | None, typer.Option(
        "--table", metavar="TABLE", help="ServiceNow table (repeatable; default incident, "
        "change_request, problem, sc_req_item).")] = None,
    jql: Annotated[str | None, typer.Option(
        metavar="QUERY", help="Jira: the issues to pull (JQL).")] = None,
    page_size: Annotated[int | None, typer.Option(
        metavar="N", help="Records asked per request.")] = None,
    slice_days: Annotated[int, typer.Option(
        metavar="DAYS", help="Days per window when --since cuts the range.")] = 30,
    timeout: Annotated[float, typer.Option(
        metavar="SECONDS", help="Seconds to wait for an answer.")] = 60.0,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the requests and an estimate; fetch no records.")] = False,
) -> None:
    """Fetch a tool's tickets from its API (read-only, resumable) into files diagnose reads.

    Credentials come only from ITSM_DIAG_USER + ITSM_DIAG_PASSWORD or ITSM_DIAG_TOKEN.
    Exit 1 when the server's count and the records received differ in a way a rerun can
    settle (records gone from the server or not readable by the account are said, exit 0)."""
    from itsm_diag.pull.engine import PullOptions, run

    _check_stdout()  # its summary goes there: refused before the first request
    result = run(PullOptions(tool=tool, url=url, out=out, since=since, until=until,
                             tables=table or [], jql=jql, page_size=page_size,
                             slice_days=slice_days, timeout=timeout, dry_run=dry_run))
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)


@app.command("config", cls=_Command,
             epilog=_examples("itsm-diag config", "itsm-diag config --json"))
@handled
def show_config(
    config_file: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration and where each value came from (and, for a
    value a config set, the shipped one)."""
    import json

    from itsm_diag import api, config

    path = _config_file(config_file)
    rules = api.load_rules(path)
    source = config.config_source(path) if path is not None else None
    found_by = None if path is None else ("--config" if config_file is not None
                                          else "found in the working directory")
    if as_json:
        typer.echo(json.dumps({"config_file": source, "found_by": found_by,
                               "settings": config.settings_document(rules)},
                              indent=2, ensure_ascii=False))
        return
    label = None if source is None else f"{source} ({found_by})"
    typer.echo(config.describe(rules, label), nl=False)


@app.command(cls=_Command, epilog=_examples(
    "itsm-diag quiz exports/ --save-answers acme-answers.yaml",
    "itsm-diag quiz --save-answers acme-answers.yaml",
    "itsm-diag quiz exports/ --answers acme-answers.yaml --no-input"))
@handled
def quiz(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[EXPORT]...",
        help="Export files or folders to pre-fill the answers from (optional).",
        show_default=False)] = None,
    answers: Annotated[Path | None, typer.Option(
        "--answers", metavar="FILE", help="YAML of sign: true/false: these signs are not "
        "asked.")] = None,
    save_answers: Annotated[Path | None, typer.Option(
        "--save-answers", metavar="FILE", help="Write the answers given to this YAML file "
        "(the format --answers reads).")] = None,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Never prompt: use the export and --answers only (for scripts).")
    ] = False,
    source: SourceOpt = None,
    mapping: MappingOpt = None,
    config_file: ConfigOpt = None,
    date_format: DateOpt = None,
    tz: TzOpt = None,
) -> None:
    """Self-assessment: the seven diagnostic questions, pre-filled from an export if given.

    Answers are read line by line from standard input (yes / no / ? for don't know;
    Enter accepts what the export shows), so they can be piped. When input ends before
    the last question, or with --no-input and no --answers, quiz exits 2.
    """
    from rich.console import Console

    from itsm_diag import api
    from itsm_diag import quiz as q
    from itsm_diag.errors import UsageError
    from itsm_diag.text import shown

    if no_input and answers is None:
        raise UsageError("quiz --no-input has nobody to ask",
                         hint="give the answers with --answers FILE, or drop --no-input")
    # the config diagnose would use, so the pre-filled verdicts are diagnose's (and the
    # one found in the working directory is an input --save-answers must not overwrite)
    config_file = _config_file(config_file)
    if save_answers is not None:  # the answers file itself may be updated in place
        _guard_output(save_answers, paths or [], [*(mapping or []), config_file],
                      "--save-answers")
        q.check_save_target(save_answers)  # before the questions, not after them
    given = _answers(answers) or {}
    report = None
    if paths:
        with _progress(paths, quiet=False):
            report = api.diagnose_paths(paths, api.RunOptions(
                source=source, mapping=tuple(mapping or ()), date_format=date_format,
                **_zone(tz), config_file=config_file, answers_file=answers))
    rules = api.load_rules(config_file)
    items = q.items_for(rules, report)
    console = Console(highlight=False)
    try:
        q.interview(items, given, None if no_input else q.RichAsker(console), console)
    except KeyboardInterrupt:
        typer.echo("\nitsm-diag: quiz interrupted; nothing saved", err=True)
        raise typer.Exit(code=130) from None
    q.print_result(items, q.score(items, rules), console)
    if save_answers is not None:
        q.save_answers(save_answers, items)
        typer.echo(shown(f"answers saved to {save_answers}", one_line=True))


@app.command(cls=_Command, epilog=_examples(
    "itsm-diag batch clients/",
    "itsm-diag batch clients/ --redact -f html -o shared/ --jobs 4",
    "itsm-diag batch clients/ -f json --fail-on slowing"))
@handled
def batch(
    root: Annotated[Path, typer.Argument(
        metavar="DIR", help="A folder with one sub-folder of exports per client.",
        show_default=False)],
    fmt_name: Annotated[str, typer.Option(
        "--format", "-f", metavar="terminal|markdown|html|json|pdf|csv",
        help="Each client's report: terminal (plain text), markdown, html, json, pdf (the "
        "HTML report printed by Chromium or Chrome) or csv (the client's Monday action "
        "list alone).")] = "html",
    out: Annotated[Path | None, typer.Option(
        "--output", "-o", "--out", metavar="FOLDER",
        help="Folder for the reports and the index [default: DIR/_reports].")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, metavar="N",
        help="Clients diagnosed in parallel [default: min(4, CPUs)].")] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="N|BAND", help="Exit 1 when any client's score (signs "
        "triggered) reaches N (0-7), or its band reaches BAND: healthy, gaps, slowing or "
        "crisis (a client that failed makes it exit 2).")] = None,
    redact: RedactOpt = False,
    source: SourceOpt = None,
    mapping: MappingOpt = None,
    config_file: ConfigOpt = None,
    date_format: DateOpt = None,
    tz: TzOpt = None,
    max_file_mb: MaxFileOpt = None,
) -> None:
    """Diagnose many clients: each sub-folder of DIR is one client. One report per client
    plus index.md and index.json. Exit 2 when any client failed (the others still run).

    A client folder may hold its own config (itsm-diag.toml, .yaml or .yml, over --config)
    and mappings (*.mapping.yaml, with --mapping).
    """
    from itsm_diag import api
    from itsm_diag import batch as b
    from itsm_diag.errors import UsageError
    from itsm_diag.text import shown

    def line(text: str) -> str:
        return shown(text, one_line=True)

    rule = _fail_on(fail_on)
    fmt = _format_for(fmt_name, None)
    _check_stdout()  # the summary goes there: said before any client is diagnosed
    if fmt is Format.pdf:
        from itsm_diag.render.pdf import find_browser

        find_browser()  # no browser: say so before diagnosing anyone
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder", hint="give a folder with one sub-folder "
                         "of exports per client")
    out_dir = out if out is not None else root / "_reports"
    if not b.client_dirs(root, out_dir):
        raise UsageError(f"{root} has no client sub-folders",
                         hint="put each client's exports in a folder of its own inside it")
    options = api.RunOptions(source=source, mapping=tuple(mapping or ()),
                             date_format=date_format, **_zone(tz),
                             config_file=_config_file(config_file), redact=redact,
                             max_file_mb=max_file_mb)

    def report_failure(row: b.ClientRow) -> None:
        if row.error is not None:
            _say(f"error: client {row.client}: {row.error}")

    rows = b.run(root, out_dir, options, fmt.value, jobs or b.default_jobs(),
                 on_done=report_failure, warn=_warn)
    md_path, _ = b.write_index(rows, out_dir, b.not_read(root, redact, b.used_files(options)))
    lines = []
    for row in rows:
        verdict = (f"error: {row.error}" if row.error is not None
                   else f"score {row.score}/7 {row.band}, {row.unknown} unknown")
        lines.append(line(f"{row.client:<24} {verdict}"))
    from itsm_diag.text import plurals

    failed = [row for row in rows if row.error is not None]
    lines.append(line(plurals(f"{len(rows)} client(s), {len(failed)} failed; index: {md_path}")))
    _deliver(None, "\n".join(lines) + "\n")
    unused = b.unused_mappings(rows, options.mappings)
    for path in unused:
        _say(f"error: --mapping {path}: it fits no file of any client, so it was not used; "
             "name the export's own headers under its columns, or leave it out")
    if failed or unused:
        raise typer.Exit(code=2)
    reached = [row.client for row in rows if row.score is not None and _reached_row(row, rule)]
    if reached:
        _say(f"--fail-on {fail_on} reached by: {', '.join(reached)}")
        raise typer.Exit(code=1)


def _reached_row(row: Any, rule: tuple[str, int] | None) -> bool:
    """:func:`_reached` for a batch index row (score and band only)."""
    if rule is None:
        return False
    kind, level = rule
    if kind == "score":
        return bool(row.score >= level)
    from itsm_diag.engine import band_for

    return BANDS.index(band_for(row.score)) >= level


def main() -> None:
    """Run the command line, then leave at once (``itsm-diag signs`` alone is answered
    before this module is imported: :mod:`itsm_diag.__main__`). A standard stream closed
    before the run gets its stand-in first (:class:`_ClosedStream`)."""
    _stand_in_for_closed_streams()
    try:
        app()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> None:
    """Exit without tearing the interpreter down.

    Once the command is done, everything is written and closed; what is left is giving
    back the memory a large run took (over 1 GB at a million tickets) object by object,
    and unloading pandas, numpy and pyarrow: 0.2-0.4 s of a 1M diagnosis, for nothing.
    The exit handlers still run and the streams are flushed; only the teardown is
    skipped. In-process callers (tests, the API) never come here.
    """
    import atexit

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # no console (pythonw)
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left (| head), or it is closed
            pass
        except OSError:  # the reports themselves are flushed by _deliver; this is a note
            status = status or 2
    atexit._run_exitfuncs()
    os._exit(status)


if __name__ == "__main__":
    main()
