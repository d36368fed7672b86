"""The library entry points the CLI calls: load inputs, diagnose, inspect, demo data,
read a saved report back (for comparisons)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from itsm_diag import config
from itsm_diag import model as m
from itsm_diag.errors import UsageError
from itsm_diag.importers.base import ImportOptions, SourceInfo
from itsm_diag.report import InputInfo, Report

if TYPE_CHECKING:
    from itsm_diag.engine import Diagnosis
    from itsm_diag.importers.registry import Loaded


@dataclass(frozen=True)
class RunOptions:
    source: str | None = None
    #: one mapping, or several (``--mapping`` repeated): each file goes to the mapping
    #: whose columns it has
    mapping: Path | tuple[Path, ...] | None = None
    date_format: str | None = None
    tz: str = "UTC"
    #: ``--tz`` was given (even as UTC): it wins over a mapping's ``time_zone``; without
    #: it, the run counts its days in the zone every input was read in (a mapping's
    #: ``time_zone``), else in UTC (:func:`itsm_diag.importers.registry.run_zone`)
    tz_given: bool = False
    config_file: Path | None = None
    since: str | None = None
    until: str | None = None
    answers: Mapping[str, bool] | None = None
    #: ``month`` or ``quarter``: add one diagnosis per calendar period (Report.periods)
    period: str | None = None
    #: an earlier JSON report: add the comparison with it (Report.comparison)
    baseline: Path | None = None
    #: pseudonymise people and drop ticket text before and after the diagnosis
    redact: bool = False
    #: refuse input files (and workbooks unpacking to) more than this many MB (None: 2048)
    max_file_mb: float | None = None
    #: a second config applied over ``config_file`` (a batch client's own)
    client_config: Path | None = None
    #: the ``--answers`` file the answers came from: read as such, so an input folder
    #: holding it does not name it as a file not read
    answers_file: Path | None = None
    #: mappings of ``mapping`` that may fit none of the files (a batch's ``--mapping``,
    #: meant for some of its clients); any other mapping that fits no file is an error
    shared_mappings: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        # a library caller's str is a path as the command line's is (``Path`` methods
        # are called on them), and the answers are checked as an answers file's are
        for name in ("config_file", "baseline", "client_config", "answers_file"):
            object.__setattr__(self, name, _path_option(getattr(self, name), name))
        if self.mapping is not None:
            object.__setattr__(self, "mapping", (
                _path_option(self.mapping, "mapping")
                if isinstance(self.mapping, str | Path) else tuple(
                    _path_option(p, "mapping") for p in _several(self.mapping, "mapping"))))
        object.__setattr__(self, "shared_mappings", tuple(
            _path_option(p, "shared_mappings")
            for p in _several(self.shared_mappings, "shared_mappings")))
        if self.answers is not None:
            object.__setattr__(self, "answers", check_answers(self.answers))

    @property
    def mappings(self) -> tuple[Path, ...]:
        """``mapping`` as a tuple (empty without one)."""
        if self.mapping is None:
            return ()
        return (self.mapping,) if isinstance(self.mapping, Path) else self.mapping


def _path_option(value: object, name: str) -> Any:
    """A path option as a :class:`Path` (None stays None); anything else is refused."""
    if value is None or isinstance(value, Path):
        return value
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise UsageError(f"RunOptions.{name} must be a path, not {type(value).__name__}",
                     hint="pass a str or pathlib.Path")


def _input_paths(paths: object) -> list[Path]:
    """The inputs as :class:`Path` (a library caller's ``str`` too; one path alone is a
    list of one, not its characters)."""
    return [_path_option(p, "paths") for p in _several(paths, "paths")]


def _several(value: object, name: str) -> tuple[object, ...]:
    """The items of a path-list option (a str is one path, not its characters)."""
    if isinstance(value, str | Path):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(value)
    raise UsageError(f"RunOptions.{name} must be paths, not {type(value).__name__}",
                     hint="pass a path, or a list or tuple of paths")


def demo_dir() -> Path:
    """The bundled demo sample: inside an installed wheel, else the checkout's samples/demo."""
    packaged = resources.files("itsm_diag") / "_data" / "demo"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "samples" / "demo"


def load_rules(config_file: Path | None, *more: Path | None) -> config.Rules:
    """The shipped rules with ``config_file`` (YAML, TOML or a pyproject.toml) applied,
    then each of ``more`` over it (a batch client's config over the batch's)."""
    return config.load_rules_with(config_file, *more)


#: how an answers file looks, as every refusal of one shows it
ANSWERS_SHAPE = ("an answers file holds one 'sign: true/false' per line (recurrence: true); "
                 "itsm-diag quiz --save-answers writes one")


def load_answers(path: Path | None) -> dict[str, bool] | None:
    """An ``--answers`` file (YAML; TOML for ``*.toml``): sign id -> whether it applies.
    Anything else is an error that says it is the answers file and what one holds."""
    if path is None:
        return None
    from itsm_diag.errors import ConfigError
    from itsm_diag.rulefiles import yaml_load

    if Path(path).suffix.lower() == ".toml":
        data: Any = config.load_config_file(path)
    else:
        try:
            data = yaml_load(path)
        except OSError as exc:
            raise ConfigError(f"cannot read the answers file: {exc.strerror}",
                              file=path) from exc
    return check_answers({} if data is None else data, path)


#: how ``RunOptions.answers`` looks, as every refusal of them shows it
ANSWERS_OPTION_SHAPE = ("RunOptions.answers maps a sign id to True (applies) or False "
                        "(does not apply), e.g. {'recurrence': True}")


def check_answers(data: object, path: Path | None = None) -> dict[str, bool]:
    """Self-assessed answers, checked: each key a sign id, each value ``True`` or
    ``False`` (nothing read for its truth: ``'no'`` or ``0`` is refused, not read as an
    answer). The one check of an answers file (``path``) and of ``RunOptions.answers``;
    a refusal is a :class:`~itsm_diag.errors.ConfigError` saying which it was."""
    from itsm_diag.errors import ConfigError
    from itsm_diag.text import quote

    shape = ANSWERS_SHAPE if path is not None else ANSWERS_OPTION_SHAPE
    source = "the answers file" if path is not None else "RunOptions.answers"
    if not isinstance(data, Mapping):
        what = "a list" if isinstance(data, list) else quote(data)
        said = (f"not an answers file: it holds {what}, not signs with true or false"
                if path is not None else
                f"RunOptions.answers holds {what}, not signs with True or False")
        raise ConfigError(said, file=path, hint=shape)
    out: dict[str, bool] = {}
    for key, value in data.items():
        if key not in config.SIGN_IDS:
            raise ConfigError(f"{source} names no sign {quote(key)}", file=path,
                              hint=f"valid signs: {', '.join(config.SIGN_IDS)}")
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: answer true (applies) or false (does not apply), "
                              f"not {quote(value)}", file=path, hint=shape)
        out[key] = value
    return out


#: a date without a time of day: ``--since`` takes its first instant, ``--until`` its last
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: an ISO 8601 (RFC 3339) date and time: ``T`` or a space, minutes at least, seconds and
#: their fraction optional, then ``Z``, an offset, or nothing (read in ``--tz``). Nothing
#: else is read: ``31.08.2026`` or ``02.03.2026`` would be guessed day- or month-first and
#: ``2026-08`` would end at 1 August 00:00, silently moving the window
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
                        r"(?:[Zz]|[+-]\d{2}:\d{2})?")
#: the forms ``--since``/``--until`` take, as every refusal names them
WHEN_FORMS = ("use YYYY-MM-DD, last-month or last-quarter (each the whole day or period), or "
              "an ISO time such as 2026-08-31T18:00:00Z or 2026-08-31T18:00:00+02:00")


def parse_when(text: str | None, option: str, tz: str = "UTC") -> pd.Timestamp | None:
    """``YYYY-MM-DD`` or an ISO date and time -> UTC timestamp; errors name the option.

    A date alone is a whole day in ``tz``: ``--since D`` starts at 00:00 of D and
    ``--until D`` ends at the end of D, so the dates a report prints reproduce its window.
    A time without a zone is read in ``tz``. Any other form is refused, never guessed."""
    from itsm_diag.engine import LAST_TICK
    from itsm_diag.importers.guards import EARLIEST, LATEST
    from itsm_diag.text import quote

    if text is None:
        return None
    value = text.strip()
    date_only = _DATE_ONLY.fullmatch(value) is not None
    if not date_only and _DATE_TIME.fullmatch(value) is None:
        raise UsageError(f"{option} {quote(text)} is not a date", hint=WHEN_FORMS)
    try:
        ts = pd.Timestamp(value.upper().replace(" ", "T", 1))
    except (ValueError, OverflowError) as exc:  # 2026-02-30, 25:00
        raise UsageError(f"{option} {quote(text)} is not a date", hint=WHEN_FORMS) from exc
    outside = UsageError(f"{option} {quote(text)} is outside {EARLIEST[:4]}-{LATEST[:4]}, "
                         "where ticket exports live", hint=WHEN_FORMS)
    # roughly on the written year first (a zone's offset can cross a year's end): a year
    # like 9999 is past what time zones can compute
    if not int(EARLIEST[:4]) - 1 <= ts.year <= int(LATEST[:4]):
        raise outside
    if date_only:
        # the day's first instant, or the next day's less one tick: a day whose midnight
        # a clock change skips (America/Santiago) starts at 01:00
        if option == "--until":
            ts = m.wall_time_to_utc(ts + pd.DateOffset(days=1), tz) - LAST_TICK
        else:
            ts = m.wall_time_to_utc(ts, tz)
    else:
        ts = m.wall_time_to_utc(ts, tz) if ts.tzinfo is None else ts.tz_convert("UTC")
    if not pd.Timestamp(EARLIEST, tz="UTC") <= ts < pd.Timestamp(LATEST, tz="UTC"):
        raise outside
    return ts


def input_info(src: SourceInfo) -> InputInfo:
    return InputInfo(**_reported(src))


def _reported(src: SourceInfo) -> dict[str, Any]:
    """What the report says of a table it read (its headers and their fill serve the
    signs alone)."""
    return {k: v for k, v in vars(src).items() if k not in ("headers", "fill", "read_also")}


def unread_columns(sources: Sequence[SourceInfo]) -> tuple[str, ...]:
    """The inputs' column headers no canonical field was read from, each once, in the
    order the files wrote them (columns read outside a column map are among them)."""
    seen: dict[str, None] = {}
    for src in sources:
        used = set(src.column_map.values()) | set(src.read_also)
        seen.update((h, None) for h in src.headers if h not in used and h.strip())
    return tuple(seen)


def unread_filled(sources: Sequence[SourceInfo]) -> dict[str, int]:
    """Each of :func:`unread_columns`' columns: the rows of the inputs that hold a value
    in it (``SourceInfo.fill``, summed over the tables whose header has it)."""
    filled: dict[str, int] = {}
    for src in sources:
        for h, n in src.fill.items():
            filled[h] = filled.get(h, 0) + n
    return filled


def parse_bound(text: str | None, option: str, tz: str = "UTC") -> pd.Timestamp | str | None:
    """A ``--since``/``--until`` value: a keyword (``last-month``, ``last-quarter``),
    returned as is because it needs the data to resolve, or a UTC timestamp."""
    from itsm_diag.engine import PERIOD_KEYWORDS

    if text is not None and text.strip().lower() in PERIOD_KEYWORDS:
        return text.strip().lower()
    return parse_when(text, option, tz)


def parse_period(text: str | None) -> str | None:
    """A ``--period`` value, checked."""
    from itsm_diag.engine import PERIOD_MONTHS

    if text is None:
        return None
    if text.strip().lower() not in PERIOD_MONTHS:
        raise UsageError(f"--period {text!r} is not a period",
                         hint=f"use {' or '.join(PERIOD_MONTHS)}")
    return text.strip().lower()


def resolve_bounds(
    tickets: pd.DataFrame, rules: config.Rules,
    since: pd.Timestamp | str | None, until: pd.Timestamp | str | None, tz: str = "UTC",
) -> tuple[pd.Timestamp | None, pd.Timestamp | None, str | None]:
    """Turn keyword bounds into timestamps: ``(since, until, sentence for the report)``.

    Keywords count back from the data's own as-of time (the one a plain run uses: the
    latest timestamp, or the day of the last active week's latest timestamp when the
    data thins out), never from the wall clock, so a report on an old export comes out
    the same any day.
    ``--since KEYWORD`` starts the window at the period's first instant and, without
    ``--until``, ends it at the period's last second; ``--until KEYWORD`` ends it there.
    """
    from itsm_diag.engine import PERIOD_KEYWORDS, choose_window, last_complete_period
    from itsm_diag.signs.shape import measure_shape

    if not isinstance(since, str) and not isinstance(until, str):
        return since, until, None
    shape = measure_shape(tickets, rules.defaults.shape)
    reference = choose_window(tickets, rules, tz=tz, shape=shape).window.end
    said = []
    out: dict[str, pd.Timestamp | None] = {}

    def day(ts: pd.Timestamp) -> str:
        return f"{ts.tz_convert(tz):%Y-%m-%d}"

    for option, value in (("--since", since), ("--until", until)):
        if isinstance(value, str):
            start, end = last_complete_period(PERIOD_KEYWORDS[value], reference, tz)
            out[option] = start if option == "--since" else end
            said.append(f"{option} {value} is {day(start)} to {day(end)}")
        else:
            out[option] = value
    if isinstance(since, str) and until is None:
        out["--until"] = last_complete_period(PERIOD_KEYWORDS[since], reference, tz)[1]
        said[0] += " (without --until it sets the window end too)"
    note = (f"{' and '.join(said)}, counted back from the data's as-of day "
            f"{day(reference)}")
    return out["--since"], out["--until"], note


class _NotAReport(ValueError):
    """What makes a JSON text no report, found while parsing it."""


def _report_json(text: str) -> Any:
    """The JSON of a report, read strictly: a key given twice (``json`` keeps the last,
    so a hand-edited ``"score": 4, "score": 0`` would compare as 0), a value that is not
    finite (NaN, Infinity, 1e999) or an integer too long to read is :class:`_NotAReport`."""
    import json
    import math

    from itsm_diag.text import quote

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _NotAReport(f"the key {quote(key)} is given twice")
            out[key] = value
        return out

    def number(token: str) -> float:
        value = float(token)
        if not math.isfinite(value):
            raise _NotAReport(f"a value is not finite ({quote(token)})")
        return value

    def constant(token: str) -> float:
        raise _NotAReport(f"a value is not finite ({token})")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_float=number,
                          parse_constant=constant)
    except json.JSONDecodeError:
        raise
    except _NotAReport:
        raise
    except ValueError:  # an integer past Python's limit for turning text into an int
        raise _NotAReport("a number is far too long to be a report's") from None


def _report_consistent(report: Report) -> str:
    """What contradicts itself in a report that passed its schema, in words; empty when
    nothing does. The score is the count of triggered signs and the band follows from it
    (:func:`itsm_diag.engine.honest_band`): a hand-edited score or band would read as a
    move that never happened."""
    from itsm_diag.engine import BAND_ORDER, MAX_SCORE, band_for
    from itsm_diag.text import quote

    signs = len(report.signs)
    triggered = sum(1 for f in report.signs if f.status == "triggered")
    unknown = sum(1 for f in report.signs if f.status == "unknown")
    answered = sum(1 for f in report.signs if f.self_assessed)
    if not 0 <= report.score <= MAX_SCORE:
        return f"score {report.score} is outside 0 to {MAX_SCORE}"
    if report.score != triggered:
        return f"score {report.score}, but {triggered} of its {signs} signs are triggered"
    if report.unknown != unknown:
        return f"unknown {report.unknown}, but {unknown} of its {signs} signs are unknown"
    if report.self_assessed != answered:
        return (f"self_assessed {report.self_assessed}, but {answered} of its {signs} signs "
                "are self-assessed")
    if report.score_max_if_unknown_apply != report.score + report.unknown:
        return (f"score_max_if_unknown_apply {report.score_max_if_unknown_apply} is not "
                f"score + unknown ({report.score + report.unknown})")
    low, high = report.band_range
    # the range starts at the score's band, and the band is stated when the range is one
    # band (its upper end, the band of score + unknown, is not held to the unknown count)
    if low != band_for(report.score) or BAND_ORDER.index(high) < BAND_ORDER.index(low) \
            or report.band != (low if low == high else "undetermined"):
        return (f"band {quote(report.band)} (range {quote(low)} to {quote(high)}) does not "
                f"follow from score {report.score}")
    # no diagnosis prices anything below zero: its total, a finding's, a cost's, a fix's
    return negative_hours(report)


def negative_hours(r: Report) -> str:
    """The first hours or money figure of ``r`` that is negative, as ``field value is
    negative`` (``hours_at_stake_per_month -1 is negative``), or empty when none is: a
    diagnosis prices nothing below zero, so a report with such a figure was edited by
    hand, and :func:`load_report` refuses it in one line naming the field.
    Read in the report's order: its total first, then each finding's, its costs', and
    each fix's."""
    money = ("hours_at_stake_per_month", "money_per_month", "hours_shared_per_month",
             "hours_per_month")

    def first(where: str, model: object) -> str:
        for name in money:
            value = getattr(model, name, None)
            if isinstance(value, int | float) and value < 0:
                return f"{where}{name} {value:g} is negative"
        return ""

    found = [first("", r)]
    for where, findings in (("signs", r.signs), ("checks", r.checks)):
        for i, f in enumerate(findings):
            found.append(first(f"{where}[{i}].", f))
            for j, c in enumerate(f.evidence.costs):
                found.append(first(f"{where}[{i}].evidence.costs[{j}].", c))
                found += [first(f"{where}[{i}].evidence.costs[{j}].shared_with[{k}].", h)
                          for k, h in enumerate(c.shared_with)]
    for where, fixes in (("fixes", r.fixes), ("check_fixes", r.check_fixes)):
        found += [first(f"{where}[{i}].", fix) for i, fix in enumerate(fixes)]
    return next((text for text in found if text), "")


def load_report(path: Path) -> Report:
    """A JSON report written by ``diagnose --format json``, validated; any other schema
    version is an error (comparing across versions would compare unlike things), and so
    is a report that is not one as written: a key given twice, a value that is not finite,
    a value of the wrong type (``true`` for 1, ``"4"`` for 4: read strictly), or a score,
    band or count its signs contradict (:func:`_report_consistent`)."""
    import json

    from pydantic import ValidationError

    from itsm_diag import __version__
    from itsm_diag.errors import InputError
    from itsm_diag.importers.guards import check_json_depth, max_file_bytes
    from itsm_diag.report import SCHEMA_VERSION
    from itsm_diag.text import quote

    hint = "pass a report written by 'itsm-diag diagnose --format json'"
    try:
        # refused on its size before it is read into memory
        if Path(path).stat().st_size > max_file_bytes(None, json=True):
            raise InputError("the file is far larger than a report", file=path, hint=hint)
        raw = Path(path).read_bytes()
        try:
            check_json_depth(raw, Path(path))  # before json.loads can recurse
        except InputError as exc:
            raise InputError("the JSON is nested too deeply to be a report", file=path,
                             hint=hint) from exc
        text = raw.decode("utf-8-sig")  # a byte order mark is accepted, as in exports
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the report: {reason}", file=path, hint=hint) from exc
    try:
        data = _report_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=path, row=exc.lineno, hint=hint) from exc
    except _NotAReport as exc:
        raise InputError(f"not a valid itsm-diag report: {exc}", file=path,
                         hint=hint) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InputError("not an itsm-diag JSON report (it has no schema_version)",
                         file=path, hint=hint)
    version = data["schema_version"]
    if type(version) is not int:  # true == 1 and 1.0 == 1 in Python: the schema says integer
        raise InputError("not a valid itsm-diag report: schema_version "
                         f"{quote(json.dumps(version), 40)} is not an integer", file=path,
                         hint=hint)
    if version != SCHEMA_VERSION:
        raise InputError(
            f"the report has schema version {version!r}; itsm-diag {__version__} reads "
            f"version {SCHEMA_VERSION} only", file=path,
            hint="diagnose the old export again with this itsm-diag to get a comparable report",
        )
    try:
        # strictly: a report as written has no "4" for 4 nor true for 1 (lax validation
        # would take both)
        report = Report.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        what = (f"unknown key {loc!r} (written by a newer itsm-diag?)"
                if err["type"] == "extra_forbidden" else f"{loc}: {err['msg']}")
        raise InputError(f"not a valid itsm-diag report: {what}", file=path, hint=hint) from exc
    from datetime import datetime

    try:
        datetime.fromisoformat(report.as_of)
    except ValueError:
        # every comparison is "as of" that time: a report without one compares nothing
        raise InputError(f"not a valid itsm-diag report: as_of {quote(report.as_of)} is not "
                         "an ISO 8601 time", file=path, hint=hint) from None
    wrong = _report_consistent(report)
    if wrong:
        raise InputError(f"not a valid itsm-diag report: {wrong}", file=path,
                         hint="pass the report as 'itsm-diag diagnose --format json' wrote "
                         "it, or diagnose the export again")
    return report


def diagnose_paths(paths: Sequence[Path | str], options: RunOptions,
                   warn: Callable[[str], None] | None = None) -> Report:
    """Read ``paths`` and return the full diagnosis (with periods and the comparison
    with a baseline when ``options`` ask for them). ``warn`` hears of each file inside an
    input folder that was not read (the report's data notes name them too). With
    ``redact``, neither the report, nor an error, nor a warning names an input path, file
    or folder (``input 1``…)."""
    paths = _input_paths(paths)
    if not options.redact:
        return _diagnose_paths(paths, options, warn)
    from itsm_diag import progress
    from itsm_diag.errors import ItsmDiagError
    from itsm_diag.redact import (
        hide_inputs,
        input_labels,
        redact_error,
        redact_error_text,
        redact_inputs,
    )

    labels = input_labels(paths)
    # a warning (a file not read) may quote its first line, as an error its cell: it is
    # swept as a redacted error line is (names, quoted values, addresses, numbers)
    hidden = None if warn is None else (lambda text: warn(redact_error_text(text, labels)))
    try:
        # the progress display on stderr names files too
        with progress.hiding(lambda text: hide_inputs(text, labels)):
            report = _diagnose_paths(paths, options, hidden, labels)
    except ItsmDiagError as exc:
        # the error's class and exit code stay; the names, addresses and numbers go
        redact_error(exc, labels)
        raise
    return redact_inputs(report, labels)


def _diagnose_paths(paths: Sequence[Path], options: RunOptions,
                    warn: Callable[[str], None] | None = None,
                    labels: Mapping[str, str] | None = None) -> Report:
    """:func:`diagnose_paths` before any redaction of the inputs' names (``labels``:
    with ``redact``, hidden before the people's names are swept, which could otherwise
    rewrite part of a file name: "Jürgen Müller salary.docx")."""
    checked = _checked_options(options)
    loaded = _load(paths, options, checked.rules.defaults.wording)
    if warn is not None:
        for skipped in loaded.skipped:
            warn(skipped.note())
    _check_some_time(loaded)
    return _diagnose_loaded(loaded, options, checked, labels)


def diagnose_frames(tickets: pd.DataFrame, events: pd.DataFrame | None = None,
                    options: RunOptions | None = None) -> Report:
    """The full diagnosis of a tickets frame of the canonical model's columns (and an
    optional events frame), as :func:`diagnose_paths` gives it for files.

    The frames are read as the files are read and never changed: each column typed as
    :func:`itsm_diag.model.conform_tickets` types it (text of any string dtype, times
    naive (read in ``options.tz``) or in any zone, categories as text), a repeated
    ticket id kept once (the latest update wins) with a data note saying so, tickets of
    several ``source_tool`` values kept apart. Columns outside the model are not read
    (as a file's unread headers; a sign may name one). What cannot be read is an
    :class:`~itsm_diag.errors.InputError` naming the column and what to do. The options
    that read files (``source``, ``mapping``, ``date_format``, ``max_file_mb``) are
    refused; with ``redact`` the inputs keep the names the frame's ``source_file`` gives.
    """
    from itsm_diag.importers.frames import read_frames

    options = RunOptions() if options is None else options
    for name in ("source", "mapping", "date_format", "max_file_mb"):
        if getattr(options, name) is not None:
            raise UsageError(f"RunOptions.{name} is for reading files; diagnose_frames "
                             "reads the canonical columns", hint=f"leave {name} out, or "
                             "pass the export files to diagnose_paths")
    checked = _checked_options(options)
    loaded = read_frames(tickets, events,
                         _import_options(options, checked.rules.defaults.wording))
    return _diagnose_loaded(loaded, options, checked)


@dataclass(frozen=True)
class _Checked:
    """What :func:`_checked_options` read of the options: the run's rules and baseline,
    the bounds (read in ``options.tz``) and the period."""

    rules: config.Rules
    baseline: Report | None
    since: pd.Timestamp | str | None
    until: pd.Timestamp | str | None
    period: str | None


def _checked_options(options: RunOptions) -> _Checked:
    """The options read; everything that can be wrong with them fails here, before the
    (slow) read."""
    since = parse_bound(options.since, "--since", options.tz)
    until = parse_bound(options.until, "--until", options.tz)
    period = parse_period(options.period)
    baseline = load_report(options.baseline) if options.baseline is not None else None
    return _Checked(load_rules(options.config_file, options.client_config), baseline,
                    since, until, period)


def _diagnose_loaded(loaded: Loaded, options: RunOptions, checked: _Checked,
                     labels: Mapping[str, str] | None = None) -> Report:
    """The diagnosis of the tables read (from files or frames), as ``options`` ask."""
    from itsm_diag.engine import Diagnosis, diagnose
    from itsm_diag.errors import ItsmDiagError

    rules, baseline, period = checked.rules, checked.baseline, checked.period
    # the days are counted in the zone the times were read in: --tz, else the one zone
    # every input was read in (a mapping's time_zone), else UTC (registry.run_zone)
    tz = loaded.tz
    since, until = checked.since, checked.until
    if tz != options.tz:  # a date alone is a whole day in the run's zone
        since = parse_bound(options.since, "--since", tz)
        until = parse_bound(options.until, "--until", tz)
    tickets, events = loaded.tickets, loaded.events
    people = None
    names: frozenset[str] | None = None
    if options.redact:
        from itsm_diag.analyses.textclusters import name_words_of, requesters_of
        from itsm_diag.redact import redact_tables

        # the names' words as exported, for telling a name typed into a summary (only
        # matched against summaries, never written): the diagnosis reads what it reads
        # without --redact
        requesters, assignees = (pd.Series(tickets[c].dropna().unique())
                                 for c in (m.REQUESTER, m.ASSIGNEE))
        words = name_words_of([requesters, assignees])
        # before the diagnosis, so no real name can reach any evidence row
        tickets, events, people = redact_tables(tickets, events)
        # and each requester's and comment author's name as exported by its pseudonym,
        # for telling a machine account ("Zabbix Monitoring", a "System" reminder) by its
        # name's words (only matched, never written)
        authors = pd.Series(loaded.events[m.EV_AUTHOR].dropna().unique()) \
            if m.EV_AUTHOR in loaded.events.columns else pd.Series([], dtype=object)
        names = frozenset(words | requesters_of(requesters.map(people.of), requesters)
                          | requesters_of(authors.map(people.of), authors))
    data = Diagnosis(
        tickets=tickets, events=events,
        inputs=[input_info(s) for s in loaded.sources], data_notes=loaded.notes,
        day_only=frozenset(loaded.day_only), name_words=names,
        unread_columns=unread_columns(loaded.sources),
        unread_filled=unread_filled(loaded.sources),
    )
    try:
        since_ts, until_ts, window_note = resolve_bounds(data.tickets, rules, since, until,
                                                         tz)
        report = diagnose(data, rules, since=since_ts, until=until_ts,
                          answers=options.answers, window_note=window_note, tz=tz)
    except ItsmDiagError as exc:
        if people is not None:  # the people are known by now: no error names one
            from itsm_diag.redact import redact_error

            # the inputs' names first: a person's name in a file name ("Jürgen Müller
            # salary.csv") would otherwise be half swept and the rest of it left
            redact_error(exc, labels or {}, people)
        raise
    if people is not None:
        from itsm_diag.redact import redact_inputs, redact_report

        report = redact_report(report if labels is None else redact_inputs(report, labels),
                               people)
    if period is not None:
        report = _with_periods(report, data, rules, period, since_ts, options.answers, tz)
    if baseline is not None:
        from itsm_diag.compare import compare

        report = report.model_copy(update={"comparison": compare(
            baseline, report, rules.defaults.wording)})
    return report


def _check_some_time(loaded: Loaded) -> None:
    """Refuse inputs whose every time was left empty as impossible (before 1990, or in
    the future), with that reason: the diagnosis would only say that no ticket has a
    time, and the reason is in the files' warnings (``itsm-diag inspect``)."""
    from itsm_diag.errors import InputError
    from itsm_diag.importers.guards import times_left_empty

    if m.activity_bound(loaded.tickets, last=True) is not None:
        return
    why = [f"{s.path}: {w}" for s in loaded.sources for w in times_left_empty(s.warnings)]
    if not why:
        return  # the window's own error says what is missing
    more = f"; and {len(why) - 2} more" if len(why) > 2 else ""
    raise InputError(
        "no ticket has an opened, resolved, closed or updated time: every one was left "
        f"empty as impossible ({'; '.join(why[:2])}{more})",
        hint="itsm-diag reads times from 1990 to today: check the export's date columns "
             "(itsm-diag inspect lists each file's warnings)")


def titled(report: Report, title: str | None, client: str | None) -> Report:
    """The report with its ``--title`` and ``--client`` (shown by every format)."""
    update = {k: " ".join(v.split()) for k, v in (("title", title), ("client", client)) if v}
    return report.model_copy(update=update) if update else report


def _with_periods(report: Report, data: Diagnosis, rules: config.Rules, period: str,
                  since: pd.Timestamp | None, answers: Mapping[str, bool] | None,
                  tz: str = "UTC") -> Report:
    """``report`` with one diagnosis per calendar period: every period in the data
    unless ``--since`` narrows it, up to the report's as-of, each cut to what the data
    covers (a ``--since`` before its flow or a ``--until`` after its end adds no days
    of it: :func:`~itsm_diag.engine.diagnose_periods`)."""
    from itsm_diag.engine import diagnose_periods

    end = pd.Timestamp(report.window.end)
    periods, notes = diagnose_periods(data, rules, period, since, end, answers, tz)
    return report.model_copy(update={"periods": periods,
                                     "data_notes": [*report.data_notes, *notes]})


def _load(paths: Sequence[Path], options: RunOptions,
          wording: Mapping[str, str] | None = None) -> Loaded:
    """The inputs read as ``options`` say (the configs, the answers file and the baseline
    are inputs read as such: an input folder holding one neither reads it as an export nor
    names it as not read); ``wording``: the run's, for the loader's data notes."""
    from itsm_diag.importers.registry import load_paths

    read_as = (options.config_file, options.client_config, options.answers_file,
               options.baseline)
    return load_paths(paths, _import_options(options, wording),
                      options.source, options.mappings,
                      consumed=[p for p in read_as if p is not None],
                      shared_mappings=options.shared_mappings)


def _import_options(options: RunOptions,
                    wording: Mapping[str, str] | None = None) -> ImportOptions:
    return ImportOptions(date_format=options.date_format, tz=options.tz,
                         tz_given=options.tz_given, max_file_mb=options.max_file_mb,
                         wording=wording)


def inspect_paths(paths: Sequence[Path | str], options: RunOptions) -> dict[str, Any]:
    """What was detected and how well each canonical field is covered; nothing diagnosed."""

    from itsm_diag.advice import unanswerable

    loaded = _load(_input_paths(paths), options)
    t = loaded.tickets
    read = [(s.tool, s.column_map) for s in loaded.sources]
    coverage = {
        col: round(float(t[col].notna().mean()), 4) if len(t) else 0.0
        for col in m.TICKET_COLUMNS
    }
    return {
        "inputs": [_reported(s) for s in loaded.sources],
        "tickets": len(t),
        "events": len(loaded.events),
        "by_kind": {str(k): int(n) for k, n in t[m.KIND].value_counts().items() if n},
        "coverage": coverage,
        # each sign and check that reads a field no ticket fills: what would supply it
        "unanswerable": unanswerable(load_rules(options.config_file, options.client_config),
                                     read, t, loaded.events),
        "notes": loaded.notes,
        # files inside the folders that were not read, and why (also among the notes)
        "skipped": [{"path": s.path, "reason": s.reason} for s in loaded.skipped],
    }
