"""Infer each date column's format from its values, and parse it to UTC.

Day-first and month-first are told apart by the data (a first component above 12
decides). A column that fits both takes the order the file's other date columns
showed; when no column decides, the user must say so with ``--date-format``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from itsm_diag.errors import DateFormatError
from itsm_diag.model import factorize_na, is_arrow_text, spread, wall_to_utc
from itsm_diag.text import quote

Order = Literal["day", "month"] | None

_TIMES = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "")
_DATES: tuple[tuple[str, Order], ...] = (
    ("%Y-%m-%d", None),
    ("%Y/%m/%d", None),
    ("%d/%m/%Y", "day"),
    ("%m/%d/%Y", "month"),
    ("%d-%m-%Y", "day"),
    ("%m-%d-%Y", "month"),
    ("%d.%m.%Y", "day"),
    ("%d/%m/%y", "day"),
    ("%m/%d/%y", "month"),
    ("%d/%b/%y", None),
    ("%d/%b/%Y", None),
    # Jira date formats an admin may choose (jira.lf.date.* / date.time.picker formats)
    ("%d-%b-%y", None),
    ("%d.%m.%y", "day"),
    ("%d %b %y", None),
    ("%d-%b-%Y", None),
    ("%d %b %Y", None),
    ("%b %d, %Y", None),
)
#: every candidate format and the day/month order it implies
CANDIDATES: tuple[tuple[str, Order], ...] = tuple(
    ((f"{d} {t}".strip()), order) for d, order in _DATES for t in _TIMES
)
ISO = "ISO8601"
#: the parsed columns' dtype (:data:`itsm_diag.model.TIMESTAMP_DTYPE`)
TIMESTAMP = pd.DatetimeTZDtype(unit="us", tz="UTC")
_SAMPLE = 4000
#: a column may lose at most this share of values to unparseable text (with a warning)
MAX_BAD_SHARE = 0.001
#: the ``--date-format`` values that give the day/month order, not a format
ORDERS = ("dayfirst", "monthfirst")
#: the hint of too many unreadable values: a :class:`DateFormatError` of remedy "pass"
_FIX_OR_PASS = "fix those cells or pass --date-format"


def given_format_hint(given: str, mapping: Path | None = None) -> str:
    """The hint of an error whose values contradict a date format the user gave: with
    ``--date-format``, or in ``mapping``'s ``date_format``. The one place it is worded.
    A strftime format names the alternative: ``dayfirst`` or ``monthfirst``, with which
    each column's format is inferred (date columns and date-time columns alike)."""
    infer = "to have each column's format inferred in that order, date-only columns too"
    if mapping is not None:
        if given in ORDERS:
            return (f"check date_format {given!r} in {mapping.name} against these values "
                    "(--date-format overrides it)")
        return (f"check date_format {given!r} in {mapping.name} against these values, or "
                f"set date_format: dayfirst (or monthfirst) {infer} (--date-format "
                "overrides it)")
    if given in ORDERS:
        return "check --date-format"
    return (f"check --date-format {given!r} against these values, or give --date-format "
            f"dayfirst (or monthfirst) {infer}, or leave it out to have each column's "
            "format inferred")


def blame_given(exc: DateFormatError, given: str, mapping: Path | None = None) -> None:
    """Make ``exc`` the error of a format the user gave (``mapping``: the mapping file
    whose ``date_format`` it is; None: ``--date-format``): its hint says to check that
    format, not to pass one (which would send the user in a circle)."""
    exc.remedy = "check"
    exc.hint = given_format_hint(given, mapping)


@dataclass
class ColumnFormat:
    column: str
    format: str
    order: Order
    #: the values fit both day/month orders: the order came from elsewhere...
    ambiguous: bool = False
    #: how the format was chosen, when it is not the one given or inferred as is (the
    #: date part of a given date-and-time format, for a column of dates only)
    note: str | None = None
    #: ...given (``dayfirst``/``monthfirst``), not shown by the file's other date columns
    order_given: bool = False


def _given_note(order: Order, mapping: Path | None = None) -> str:
    """The note of an order the user gave: with ``--date-format``, or in ``mapping``'s
    ``date_format``."""
    word = "dayfirst" if order == "day" else "monthfirst"
    by = f"--date-format {word}" if mapping is None else f"date_format: {word} in {mapping.name}"
    return f" (order given by {by})"


def format_used(f: ColumnFormat) -> str:
    """A column's format as the report lists it: for a column whose values fit both
    orders, with what chose the order (``--date-format``, else the file's other date
    columns; :func:`order_given_by` names a mapping's ``date_format``), then the
    format's note."""
    text = f.format
    if f.ambiguous:
        text += (_given_note(f.order) if f.order_given
                 else " (order decided by other date columns)")
    return text + (f" ({f.note})" if f.note else "")


def order_given_by(used: Mapping[str, str], mapping: Path) -> dict[str, str]:
    """``used`` (:func:`format_used` of each column) with an order that ``mapping``'s
    ``date_format`` gave said to come from it, not from ``--date-format``."""
    out = dict(used)
    for order in ("day", "month"):
        old, new = _given_note(order), _given_note(order, mapping)
        out = {c: t.replace(old, new) for c, t in out.items()}
    return out


#: strftime directives of a time of day (what :func:`date_part` cuts off)
_TIME_DIRECTIVES = re.compile(r"%[HIMSpfzZXTRcr]")


def date_part(fmt: str) -> str | None:
    """The date part of a strftime format whose time of day comes last
    (``%d.%m.%Y`` of ``%d.%m.%Y %H:%M``), or None when it has no such time part (or the
    time comes first, or no date is left)."""
    hit = _TIME_DIRECTIVES.search(fmt)
    if hit is None:
        return None
    # the separator before the time: spaces, a 'T', a comma, a dash
    date = re.sub(r"[\s,T-]*$", "", fmt[:hit.start()])
    rest = fmt[hit.start():]
    if not re.search(r"%[dmbBYyj]", date) or re.search(r"%[dmbBYyjaAUWwGuV]", rest):
        return None
    return date


def _given_or_date_part(name: str, values: pd.Series, given: str,
                        present: int) -> ColumnFormat | None:
    """The given strftime format for a column, or its date part when the column holds
    dates without a time (a start date beside date-time columns) that the date part
    reads and the whole format does not; None to keep the given format as it is."""
    date = date_part(given)
    if date is None:
        return None
    sample = _sample(values)
    allowed = tolerance(present)
    if _misses(sample, given, allowed) is not None:
        return None
    if _misses(sample, date, allowed) is None:
        return None
    return ColumnFormat(name, date, None,
                        note=f"the date part of {given!r}: the column holds dates only")


def _sample(values: pd.Series) -> pd.Series:
    """Up to ``_SAMPLE`` distinct values, spread over the column.

    Positions are thinned before ``unique()`` so a million-row column costs a few
    thousand look-ups, not a full hash pass.
    """
    # positions first, one filter after: ``dropna()`` would copy the whole column, and so
    # would a take (Arrow concatenates a column's chunks to take from it; a filter reads
    # each chunk in place)
    keep = values.notna().to_numpy(dtype=bool)
    where = np.flatnonzero(keep)
    if len(where) > 10 * _SAMPLE:
        keep = np.zeros(len(values), dtype=bool)
        keep[where[np.linspace(0, len(where) - 1, 10 * _SAMPLE).astype(int)]] = True
    present = values[keep]
    uniq = pd.Series(present.unique())
    if len(uniq) <= _SAMPLE:
        return uniq.astype(str)
    idx = np.linspace(0, len(uniq) - 1, _SAMPLE).astype(int)
    return uniq.iloc[idx].astype(str)


def tolerance(present: int) -> int:
    """How many values of a column with ``present`` values may be unreadable (nulled and
    counted): :data:`MAX_BAD_SHARE` of them, and always one. The same count bounds the
    format inference, so whether a file is read never depends on where a bad value is."""
    return max(1, int(MAX_BAD_SHARE * present))


#: what strptime's numeric directives and a format's spaces can match (``\d`` and ``\s``
#: in its own regexes): a value that fits a format of those alone is, once they are
#: removed, exactly the format's other characters
_NUMERIC_FILL = re.compile(r"[\d\s]")
_NUMERIC = frozenset({"%d", "%m", "%Y", "%y", "%H", "%I", "%M", "%S"})


def _skeleton(fmt: str) -> str | None:
    """The characters a value of ``fmt`` keeps once :data:`_NUMERIC_FILL` is removed, when
    ``fmt`` has numeric directives and punctuation only; otherwise None."""
    parts = re.split(r"(%.)", fmt)
    if any(p not in _NUMERIC for p in parts[1::2]) or any(
            c.isalnum() or c == "%" for c in "".join(parts[0::2])):
        return None
    return _NUMERIC_FILL.sub("", "".join(parts[0::2]))


_SKELETONS = {fmt: _skeleton(fmt) for fmt, _ in CANDIDATES}


def _locale_names() -> list[str]:
    """The month abbreviations (``%b``) and am/pm markers (``%p``) strptime reads in the
    current locale, from the same calls it makes."""
    import calendar
    import time

    return [*calendar.month_abbr[1:], *(
        time.strftime("%p", (1999, 3, 17, hour, 44, 55, 2, 76, 0)) for hour in (1, 22))]


def _names_hold_letters() -> bool:
    """Whether every month abbreviation (``%b``) and am/pm marker (``%p``) strptime reads
    in the current locale holds a letter (the names it reads, from the same calls): a
    value without a letter then fits no format with ``%b`` or ``%p`` (an empty marker
    matches only after trailing space, which stripped values do not have)."""
    return all(any(c.isalpha() for c in name) for name in _locale_names() if name)


#: the directives whose strptime patterns match only digits, letters and whitespace
#: (``%b``/``%p`` when the locale's names do: :func:`_names_plain`)
_PLAIN = frozenset({"%d", "%m", "%Y", "%y", "%H", "%I", "%M", "%S", "%b", "%p"})


def _marks(text: str) -> str:
    """The characters of ``text`` that are neither alphanumeric nor whitespace, in order
    (what is left of a date once its numbers, names and spaces are removed)."""
    return "".join(c for c in text if not (c.isalnum() or c.isspace()))


def _format_marks(fmt: str) -> str | None:
    """The marks (:func:`_marks`) every value ``fmt`` reads holds, in order: its
    literals' punctuation, when its directives match only letters, digits and
    whitespace (:data:`_PLAIN`); otherwise None."""
    parts = re.split(r"(%.)", fmt)
    if any(p not in _PLAIN for p in parts[1::2]):
        return None
    return _marks("".join(parts[0::2]))


_MARKS = {fmt: _format_marks(fmt) for fmt, _ in CANDIDATES}


def _names_plain() -> bool:
    """Whether every month abbreviation and am/pm marker strptime reads in the current
    locale is letters, digits and whitespace only (the names :func:`_names_hold_letters`
    reads): a value then fits a format of :data:`_PLAIN` directives only when its marks
    are the format's (``02/Oct/25 8:57 AM`` no format with a ``-`` or a ``,``)."""
    return all(not _marks(name) for name in _locale_names())


def _screen(sample: pd.Series, allowed: int, n: int = 24) -> list[tuple[str, Order]]:
    """Candidates that parse the first ``n`` sampled values with ``strptime``, all but at
    most ``allowed`` of them (each sampled value is at least one of the column's values,
    so more failures here mean more in the column than it may have).

    A cheap first pass: each pandas ``to_datetime`` call costs a millisecond or more,
    ``strptime`` a few microseconds, and most of the ~70 candidates fail at once. A
    value is only handed to ``strptime`` when it can fit: its punctuation is the
    format's (numeric formats), or it holds a letter (``%b``/``%p``); strptime's first
    call per format compiles a regex, ~0.5 ms each, most of this pass's cost before.
    A value with a letter is handed over for a format with names (``%b``/``%p``) only
    when its marks (:func:`_marks`) are the format's: strptime's cache holds five
    formats, so each of the ~60 such formats was compiled again for every column of
    every file (a folder of 1,000-issue Jira exports: ~5 ms a file).
    """
    head = [str(x).strip() for x in sample.iloc[:n]]
    limit = min(allowed, len(head) - 1)
    shapes = [_NUMERIC_FILL.sub("", value) for value in head]
    lettered = [any(c.isalpha() for c in value) for value in head]
    marks = [_marks(value) for value in head]
    named = not _names_hold_letters()  # a name without letters: every value may fit
    plain = _names_plain()  # names without punctuation: a value's marks must be the format's
    out = []
    for fmt, order in CANDIDATES:
        skeleton = _SKELETONS[fmt]
        need = _MARKS[fmt] if plain else None
        failed = 0
        for value, shape, letter, mark in zip(head, shapes, lettered, marks, strict=True):
            fits = shape == skeleton if skeleton is not None else (
                (letter or named) and (need is None or mark == need))
            if fits:
                try:
                    datetime.strptime(value, fmt)
                except ValueError:
                    fits = False
            if not fits:
                failed += 1
                if failed > limit:
                    break
        if failed <= limit:
            out.append((fmt, order))
    return out


def _unread(sample: pd.Series, fmt: str) -> int:
    """How many sampled values ``fmt`` cannot read."""
    if fmt == ISO:
        parsed = pd.to_datetime(sample, format=ISO, errors="coerce", utc=True)
    else:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    return int(parsed.isna().sum())


def _misses(sample: pd.Series, fmt: str, allowed: int) -> int | None:
    """How many sampled values ``fmt`` cannot read, or None when more than ``allowed``
    (or all of them)."""
    # most candidates fail on the first few values: try those before the whole sample
    if len(sample) > 64 and _misses(sample.iloc[:64], fmt, allowed) is None:
        return None
    bad = _unread(sample, fmt)
    return bad if bad <= allowed and bad < len(sample) else None


#: an ISO 8601 time with its UTC offset: ``Z``, ``+02:00``, ``+0200``, or the hours alone
#: as PostgreSQL writes a ``timestamptz`` (``2025-10-07 09:19:12+02``), after a space too
_ISO_PATTERN = (r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
             r"(Z| ?[+-]\d{2}(:?\d{2})?)$")
#: a time that ends in a UTC offset (``Z``, ``+05:45``, ``-0300``, ``+02``), whatever the
#: date before it looks like
_OFFSET_AT_END = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


_ISO_RE = re.compile(_ISO_PATTERN)
#: an ISO 8601 date and time without a UTC offset: ``T`` or a space, minutes at least,
#: seconds and a fraction of a second optional, one column mixing them (a workbook's
#: date cells are written with ``.ffffff`` only where the time has a fraction): what
#: ``--since``/``--until`` take, read in ``--tz`` like every time without its offset
_NAIVE_ISO_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
_NAIVE_ISO_RE = re.compile(_NAIVE_ISO_PATTERN)
#: the format of a column of such times (:data:`_NAIVE_ISO_PATTERN`), as the report names it
ISO_NAIVE = "ISO8601 without offset"
#: Unix times (UTC by definition): seconds (``1767571229``, a fraction allowed) and
#: milliseconds (``1767571229378``: ManageEngine's ``{value: <epoch ms>}``), told apart
#: by their digits; inferred only in the range of :data:`_EPOCH_RANGE`
EPOCH_S, EPOCH_MS = "epoch seconds", "epoch milliseconds"
_EPOCH_PATTERNS = {EPOCH_S: r"^\d{9,10}(\.\d+)?$", EPOCH_MS: r"^\d{12,13}$"}
_EPOCH_UNITS = {EPOCH_S: "s", EPOCH_MS: "ms"}
#: the seconds of 1990-01-01 and 2100-01-01: a number outside is no Unix time of a ticket
_EPOCH_RANGE = (631_152_000, 4_102_444_800)
#: a zero date, as MySQL writes an unknown one (``0000-00-00``, ``0000-00-00 00:00:00``),
#: or a day 00 or month 00 (``1900-01-00``, Excel's day zero), whatever time follows:
#: a placeholder for "no date", left empty with a warning like ``1900-01-01``
_ZERO_DATE = (r"^\s*(?:0{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}[-/.](?:0{1,2}[-/.]\d{1,2}|"
              r"\d{1,2}[-/.]0{1,2})|\d{1,2}[-/.]0{1,2}[-/.]\d{2,4}|0{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
              r"(?:[ T].*)?$")


def _looks_iso(sample: pd.Series, allowed: int, pattern: str = _ISO_PATTERN,
               compiled: re.Pattern[str] = _ISO_RE) -> bool:
    """Whether all of ``sample`` but ``allowed`` values (and at least one) match
    ``pattern`` (``compiled``: the same, compiled): by default an ISO time with its
    UTC offset."""
    if is_arrow_text(sample):
        import pyarrow.compute as pc

        # what ``str.match`` answers, without pandas' analysis of the pattern on every
        # call (~0.3 ms; a folder of exports asks for each date column of each file):
        # RE2 where it agrees with Python's ``re`` (ASCII text without a newline: ``\d``
        # and ``$`` differ only outside it), Python's ``re`` for the other values
        text = sample.array.__arrow_array__()
        odd = pc.or_(pc.invert(pc.string_is_ascii(text)), pc.match_substring(text, "\n"))
        easy = pc.and_(pc.match_substring_regex(text, pattern), pc.invert(odd))
        matched = int(pc.sum(easy).as_py() or 0)
        if pc.any(odd).as_py():
            matched += sum(compiled.match(value) is not None
                           for value in pc.filter(text, odd).to_pylist())
    else:
        matched = int(sample.str.match(pattern).sum())
    return matched > 0 and len(sample) - matched <= allowed


def candidates_for(values: pd.Series, present: int | None = None) -> list[tuple[str, Order]]:
    """All candidate formats that parse every sampled value but the few
    :func:`tolerance` allows the column (``present``: its filled values)."""
    sample = _sample(values)
    if sample.empty:
        return []
    allowed = tolerance(int(values.notna().sum()) if present is None else present)
    if _looks_iso(sample, allowed):
        return [(ISO, None)]
    # a few failures first (each failing candidate stops early); all the column may
    # have only when that finds nothing
    screened = _screen(sample, min(allowed, 2)) or (
        _screen(sample, allowed) if allowed > 2 else [])
    misses = {(fmt, order): _misses(sample, fmt, allowed) for fmt, order in screened}
    fitting = {cand: n for cand, n in misses.items() if n is not None}
    if not fitting:
        # forms no strftime candidate reads: naive ISO times (a fraction of a second on
        # some, a 'T'), Unix times; tried only here, so no column read before changes
        return _other_form(sample, allowed)
    # the formats that read the most values: a value only the day-first order reads is a
    # date that decides the order, not an unreadable one the month-first order may drop
    fewest = min(fitting.values())
    return [cand for cand, n in fitting.items() if n == fewest]


def _other_form(sample: pd.Series, allowed: int) -> list[tuple[str, Order]]:
    """[(:data:`ISO_NAIVE`, None)] or [(an epoch unit, None)] when ``sample`` is of that
    form (all but ``allowed`` values), else []."""
    if _looks_iso(sample, allowed, _NAIVE_ISO_PATTERN, _NAIVE_ISO_RE):
        return [(ISO_NAIVE, None)]
    text = sample.astype(str).str.strip()
    for fmt, pattern in _EPOCH_PATTERNS.items():
        shaped = text.str.match(pattern)
        if not shaped.any() or int((~shaped).sum()) > allowed:
            continue
        seconds = pd.to_numeric(text[shaped], errors="coerce") / (
            1000 if fmt == EPOCH_MS else 1)
        if int((~seconds.between(*_EPOCH_RANGE)).sum()) + int((~shaped).sum()) <= allowed:
            return [(fmt, None)]
    return []


def zero_dates(values: pd.Series) -> pd.Series:
    """Which of ``values`` are zero dates (:data:`_ZERO_DATE`): a boolean mask."""
    if is_arrow_text(values):
        import pyarrow.compute as pc

        text = values.array.__arrow_array__()
        hit = pc.fill_null(pc.match_substring_regex(text, _ZERO_DATE), False)
        return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index)
    return values.astype("string").str.match(_ZERO_DATE).fillna(False).astype(bool)


def mixed_offsets(values: pd.Series, path: Path, column: str,
                  first_row: int) -> DateFormatError | None:
    """The error for a column whose times are written partly with a UTC offset and partly
    without (no single format reads both), or None when it is not mixed."""
    text = values.astype("string").str.strip()
    present = text.notna().to_numpy(dtype=bool)
    offset = text.str.contains(_OFFSET_AT_END, regex=True).fillna(False).to_numpy(dtype=bool)
    with_offset, without = present & offset, present & ~offset
    if not with_offset.any() or not without.any():
        return None
    first_with, first_without = int(with_offset.argmax()), int(without.argmax())
    return DateFormatError(
        f"{int(with_offset.sum()):,} of {int(present.sum()):,} times carry a UTC offset "
        f"(first: {quote(str(values.iloc[first_with]))}, row {first_row + first_with}) "
        f"and {int(without.sum()):,} do not (first: {quote(str(values.iloc[first_without]))}"
        f", row {first_row + first_without}): no date format reads both, and a time without "
        "its offset cannot be placed", file=path, column=column,
        hint="export every time in one form: all with their offset, or all in one zone "
             "without it (then pass that zone with --tz)")


def _unreadable(values: pd.Series, path: Path, column: str, first_row: int,
                tried: pd.Series | None = None) -> DateFormatError:
    """The error for a column no format reads: what the most fitting format could not
    read (how many, the first row and value), or a value no format reads at all.
    ``tried``: the values as the formats were tried on them (month names in English,
    :func:`english_names`), when not ``values`` themselves; the error quotes ``values``."""
    mixed = mixed_offsets(values, path, column, first_row)
    if mixed is not None:
        return mixed
    tried = values if tried is None else tried
    head = [str(x).strip() for x in _sample(tried).iloc[:24]]
    best, best_read = None, 0
    for fmt, _ in CANDIDATES:
        read = 0
        for value in head:
            try:
                datetime.strptime(value, fmt)
                read += 1
            except ValueError:
                pass
        if read > best_read:
            best, best_read = fmt, read
    present = values.notna().to_numpy(dtype=bool)
    if best is not None:
        parsed = pd.to_datetime(tried, format=best, errors="coerce")
        bad = present & parsed.isna().to_numpy(dtype=bool)
        pos = int(bad.argmax())
        message = (f"{int(bad.sum()):,} of {int(present.sum()):,} values are not dates in "
                   f"the format {best!r} (first: {quote(str(values.iloc[pos]))})")
        month = _month_error(str(values.iloc[pos]), message, path, column, first_row + pos)
        if month is not None:
            return month
        return DateFormatError(
            f"{int(bad.sum()):,} of {int(present.sum()):,} values are not dates in the format "
            f"{best!r} (first: {quote(str(values.iloc[pos]))}); at most "
            f"{tolerance(int(present.sum())):,} may be",
            file=path, row=first_row + pos, column=column, hint=_FIX_OR_PASS, remedy="pass")
    pos = int(present.argmax())
    if _excel_serials(values):
        return DateFormatError(
            f"cannot read {quote(str(values.iloc[pos]))} as a date: the column holds Excel "
            "date serial numbers (date cells formatted as numbers), which no --date-format "
            "reads", file=path, row=first_row + pos, column=column,
            hint="in Excel, format the column as Date (Format Cells > Date) and save the "
                 "workbook again, or export the tickets as CSV")
    if _numbers(values):
        # numbers that are no Unix time read here (microseconds, out of range) and no
        # Excel serial: a strftime format reads only the digits of a date
        return DateFormatError(
            f"cannot read {quote(str(values.iloc[pos]))} as a date: the column holds "
            "numbers that are no Unix time in seconds or milliseconds from 1990 to 2100 "
            "(those are read as such), and no --date-format reads a Unix time",
            file=path, row=first_row + pos,
            column=column,
            hint="export the times as dates and times, or as Unix seconds or milliseconds; "
                 "a date written as digits (20260105 0930) is read with --date-format "
                 "'%Y%m%d %H%M'")
    month = _month_error(str(values.iloc[pos]), f"cannot read {quote(str(values.iloc[pos]))} "
                         "as a date", path, column, first_row + pos)
    if month is not None:
        return month
    return DateFormatError(f"cannot read {quote(str(values.iloc[pos]))} as a date", file=path,
                           row=first_row + pos, column=column,
                           hint="pass --date-format with the format (e.g. '%d.%m.%Y %H:%M') "
                                "or fix the column")


#: Excel date serial numbers (days since 1899-12-30) of the years 1954 to 2119
_SERIALS = (20_000, 80_000)


def _excel_serials(values: pd.Series) -> bool:
    """Whether a column's values (a spread sample) are all numbers in the range of Excel
    date serials: date cells a workbook shows as numbers (``45931.375``)."""
    numbers = pd.to_numeric(_sample(values), errors="coerce")
    return bool(len(numbers)) and bool(numbers.between(*_SERIALS).all())


def _numbers(values: pd.Series) -> bool:
    """Whether a column's values (a spread sample) are all numbers."""
    numbers = pd.to_numeric(_sample(values), errors="coerce")
    return bool(len(numbers)) and bool(numbers.notna().all())


def infer_formats(
    columns: Mapping[str, pd.Series], path: Path, date_format: str | None = None,
    first_row: int = 2,
) -> dict[str, ColumnFormat]:
    """Choose a format per column; raise :class:`DateFormatError` when undecidable.

    ``date_format`` is ``dayfirst``, ``monthfirst`` or an explicit strftime format.
    """
    chosen: dict[str, ColumnFormat] = {}
    options: dict[str, list[tuple[str, Order]]] = {}
    for name, values in columns.items():
        present = int(values.notna().sum())
        if present == 0:
            continue
        if date_format and date_format not in ORDERS:
            chosen[name] = _given_or_date_part(name, values, date_format, present) or (
                ColumnFormat(name, date_format, None))
            continue
        cands = candidates_for(values, present)
        english = None
        if not cands:
            # zero dates (0000-00-00, 1900-01-00): no date, left empty by parse() with a
            # warning; the format is that of the other values
            zero = zero_dates(values)
            if zero.any():
                values = values.mask(zero)
                present -= int(zero.sum())
                if present == 0:  # zero dates only: every value is left empty
                    chosen[name] = ColumnFormat(name, ISO_NAIVE, None,
                                                note="zero dates only")
                    continue
                cands = candidates_for(values, present)
        if not cands:
            # month names and am/pm markers in another language: the formats that read
            # them in English
            english = english_names(values)
            cands = [] if english is None else candidates_for(english, present)
        if not cands:
            raise _unreadable(values, path, name, first_row, english)
        options[name] = cands
    forced: Order = (
        "day" if date_format == "dayfirst" else "month" if date_format == "monthfirst" else None
    )
    decided = {o for c in options.values() for o in _orders(c) if len(_orders(c)) == 1}
    decided.discard(None)
    if forced is None and len(decided) > 1:
        raise DateFormatError(
            "some date columns are day-first and others month-first",
            file=path, hint="pass --date-format dayfirst or monthfirst",
        )
    file_order: Order = forced or (next(iter(decided)) if decided else None)
    for name, cands in options.items():
        orders = _orders(cands)
        pick = cands
        ambiguous = False
        if len(orders) > 1:
            if file_order is None:
                example = _ambiguous_example(columns[name])
                raise DateFormatError(
                    f"dates like {example!r} could be day-first or month-first and no "
                    "value decides it",
                    file=path, column=name,
                    hint="pass --date-format dayfirst or --date-format monthfirst",
                )
            pick = [c for c in cands if c[1] in (file_order, None)]
            ambiguous = True
        elif forced is not None and orders == {_other(forced)}:
            contradicted = DateFormatError(
                f"--date-format says {date_format} but the values only fit "
                f"{'month' if forced == 'day' else 'day'}-first",
                file=path, column=name,
            )
            blame_given(contradicted, str(date_format))
            raise contradicted
        fmt, order = pick[0]
        chosen[name] = ColumnFormat(name, fmt, order, ambiguous,
                                    order_given=ambiguous and forced is not None)
    return chosen


def _orders(cands: list[tuple[str, Order]]) -> set[Order]:
    return {o for _, o in cands}


def _other(order: Order) -> Order:
    return "month" if order == "day" else "day"


def _ambiguous_example(values: pd.Series) -> str:
    return str(values.dropna().iloc[0])


def parse(
    values: pd.Series, fmt: str, path: Path, column: str, first_row: int, tz: str = "UTC"
) -> tuple[pd.Series, str | None]:
    """Parse a text column with ``fmt`` to UTC; naive times are taken in ``tz``.

    Up to :data:`MAX_BAD_SHARE` of values may fail (nulled, with a warning naming the
    first row); more is an error naming the row and value. Times that fall in a clock
    change of ``tz`` follow :func:`_localize` and are counted in the warning.
    """
    out, notes = _parse_text(values, fmt, column, first_row, tz)
    present = values.notna().to_numpy(dtype=bool)
    bad = present & out.isna().to_numpy(dtype=bool)
    if bad.any() and english_names(values[bad]) is not None:
        # month names or am/pm markers in another language (13/Mär/25, 9:05 p. m.): read
        # as their English ones (the unread values tell first: a junk cell costs no pass
        # over a million good ones)
        english = english_names(values)
        if english is not None:
            out, notes = _parse_text(english, fmt, column, first_row, tz)
            bad = present & out.isna().to_numpy(dtype=bool)
    if bad.any() and _naive_iso_too(values, fmt, bad):
        # the same times in another ISO form, with a fraction of a second or a 'T' (a
        # workbook's cells with milliseconds beside whole seconds): all read as ISO
        out, notes = _parse_text(values, ISO_NAIVE, column, first_row, tz)
        bad = present & out.isna().to_numpy(dtype=bool)
    zero_note = None
    if bad.any():
        zero = np.zeros(len(values), dtype=bool)
        zero[bad] = zero_dates(values[bad]).to_numpy(dtype=bool)
        if zero.any():
            # a placeholder for no date, as 1900-01-01 is (guards.plausible_times): left
            # empty with a warning, and no unreadable value
            first = int(zero.argmax())
            zero_note = (f"column {column!r}: {int(zero.sum()):,} timestamp(s) before 1990 "
                         f"left empty (zero dates; first at row {first_row + first}: "
                         f"{quote(str(values.iloc[first]))})")
            bad &= ~zero
            present = present & ~zero
    n_bad = int(bad.sum())
    if zero_note is not None:
        notes.append(zero_note)
    if n_bad:
        pos = int(bad.argmax())
        example = str(values.iloc[pos])
        if n_bad > tolerance(int(present.sum())):
            mixed = mixed_offsets(values, path, column, first_row)
            if mixed is not None:
                raise mixed
            message = (f"{n_bad:,} of {int(present.sum()):,} values are not dates in the "
                       f"format {fmt!r} (first: {quote(example)})")
            raise _month_error(example, message, path, column, first_row + pos) or \
                DateFormatError(
                    f"{message}; at most {tolerance(int(present.sum())):,} may be",
                    file=path, row=first_row + pos, column=column,
                    hint=_FIX_OR_PASS, remedy="pass",
                )
        notes.append(
            f"column {column!r}: {n_bad} unreadable date(s) left empty "
            f"(first at row {first_row + pos}: {example!r})"
        )
    if out.dtype != TIMESTAMP:
        out = out.astype(TIMESTAMP)
    return out, "; ".join(notes) or None


def _parse_text(values: pd.Series, fmt: str, column: str, first_row: int, tz: str
                ) -> tuple[pd.Series, list[str]]:
    """:func:`parse`'s reading of ``values`` with ``fmt`` (unreadable values missing),
    and its notes on clock changes."""
    notes: list[str] = []
    if fmt in _EPOCH_UNITS:  # Unix times are UTC whatever the zone
        numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
        # beyond the year 2262 a time is no nanosecond timestamp (pandas' unit parser)
        numbers = numbers.where(numbers.abs() < 9e9 * (1000 if fmt == EPOCH_MS else 1))
        out = pd.to_datetime(numbers, unit=_EPOCH_UNITS[fmt], utc=True, errors="coerce")
        return out.dt.round("us"), notes
    naive = _naive_iso(values) if fmt == ISO_NAIVE else _parse_fast(values, fmt)
    if naive is not None:
        out = (naive.dt.tz_localize("UTC") if tz == "UTC" else
               _localize(naive, tz, column, first_row, notes))
    elif fmt == ISO or tz == "UTC":
        # offsets in the text are honoured; naive times are UTC already: no localize pass
        out = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    else:
        out = _localize(pd.to_datetime(values, format=fmt, errors="coerce"), tz, column,
                        first_row, notes)
    return out, notes


def _naive_iso(values: pd.Series) -> pd.Series:
    """Naive ISO 8601 times (:data:`_NAIVE_ISO_PATTERN`, each value in any of its forms),
    read as pandas reads ISO 8601; a value with a UTC offset among them is left missing
    (a column of both is an error, :func:`mixed_offsets`)."""
    try:
        naive = pd.to_datetime(values, format=ISO, errors="coerce")
    except ValueError:  # some values carry an offset: those are not naive times
        text = values.astype("string").str.strip()
        offset = text.str.contains(_OFFSET_AT_END, regex=True).fillna(False).astype(bool)
        naive = pd.to_datetime(values.mask(offset), format=ISO, errors="coerce")
    if isinstance(naive.dtype, pd.DatetimeTZDtype):  # every value carried the same offset
        naive = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    return naive.astype("datetime64[us]")


def _naive_iso_too(values: pd.Series, fmt: str, bad: np.ndarray) -> bool:
    """Whether ``fmt`` reads naive ISO times only (``%Y-%m-%d %H:%M:%S`` and the like)
    and some of its ``bad`` values are naive ISO times in another form (a fraction of a
    second: a workbook's cells with milliseconds beside whole seconds; a 'T'): the
    column is then one of :data:`ISO_NAIVE`."""
    if fmt not in _NAIVE_ISO_FORMATS:
        return False
    text = values[bad].astype("string").str.strip()
    return bool(text.str.match(_NAIVE_ISO_PATTERN).fillna(False).any())


#: the strftime formats all of whose values :data:`ISO_NAIVE` reads alike
_NAIVE_ISO_FORMATS = frozenset(
    f"%Y-%m-%d{sep}%H:%M{sec}" for sep in (" ", "T") for sec in ("", ":%S", ":%S.%f"))


def _localize(naive: pd.Series, tz: str, column: str, first_row: int,
              notes: list[str]) -> pd.Series:
    """Naive wall-clock times in ``tz`` -> UTC by :func:`itsm_diag.model.wall_to_utc`'s
    rules for clock changes, each counted in a note naming the first row."""
    out, repeated, skipped = wall_to_utc(naive, tz)
    for mask, what in ((repeated, "the hour repeated when clocks go back; read as its "
                        "first pass (summer time)"),
                       (skipped, "the hour skipped when clocks go forward; read as if "
                        "the clock had moved (02:30 -> 03:30)")):
        if mask.any():
            row = first_row + int(np.flatnonzero(mask)[0])
            notes.append(f"column {column!r}: {int(mask.sum()):,} time(s) in {tz} fall in "
                         f"{what} (first at row {row})")
    return out


#: the strftime directives the fast path reads: (RE2 group, its width when zero-padded);
#: a format with any other directive (``%B``, ``%j``, ``%f``...) is parsed by pandas alone
_FAST_PARTS = {
    "%Y": (r"(?P<Y>\d{4})", 4), "%y": (r"(?P<y>\d{2})", 2),
    "%m": (r"(?P<m>\d{1,2})", 2), "%b": (r"(?P<b>[A-Za-z]{3})", 3),
    "%d": (r"(?P<d>\d{1,2})", 2),
    "%H": (r"(?P<H>\d{1,2})", 2), "%I": (r"(?P<I>\d{1,2})", 2), "%p": (r"(?P<p>[AaPp][Mm])", 2),
    "%M": (r"(?P<M>\d{2})", 2), "%S": (r"(?P<S>\d{2})", 2),
}
#: ``%b`` as strptime reads it in the C locale (any letter case)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: the text Arrow's strict ISO cast reads as it is
_ISO_TEXT = "%Y-%m-%d %H:%M:%S"

#: month names a tool writes in its user's language (Jira's ``dd/MMM/yy`` follows the
#: exporting user's: ``13/Mär/25``, ``12/juil./25``), each month's spellings by language:
#: German, French, Spanish (the languages the Freshservice importer reads), Italian,
#: Portuguese, Dutch, in Java's older and CLDR abbreviations and in full, and English
#: spellings strptime's ``%b`` does not take (``Sept``, full names). Compared in lower
#: case, a final dot dropped; strptime reads only the English abbreviations, so each is
#: replaced by its English one before parsing (:func:`english_names`)
_MONTH_NAMES: tuple[tuple[str, str], ...] = (
    ("Jan", "january jän jänner januar janv janvier ene enero gen gennaio janeiro januari"),
    ("Feb", "february februar feber fév févr fevr février fevrier febrero febbraio fev "
            "fevereiro februari"),
    ("Mar", "march mär märz mrz maer maerz mars marzo março marco mrt maart"),
    ("Apr", "april avr avril abr abril aprile"),
    ("May", "mai may mayo mag maggio maio mei"),
    ("Jun", "june juni juin junio giu giugno junho"),
    ("Jul", "july juli juil juillet julio lug luglio julho"),
    ("Aug", "august aoû août aout ago agosto augustus"),
    ("Sep", "sept september septembre set septiembre setiembre settembre setembro"),
    ("Oct", "october okt oktober octobre octubre ott ottobre out outubro"),
    ("Nov", "november novembre noviembre novembro"),
    ("Dec", "december dez dezember déc décembre dic diciembre dicembre dezembro"),
)
_TO_ENGLISH: dict[str, str] = {
    **{name: english for english, names in _MONTH_NAMES for name in names.split()},
    **{name: name.capitalize() for name in _MONTHS},
}
#: a run of letters (any script) with an optional final dot: a month name's place
_WORD = re.compile(r"(?<![^\W\d_])([^\W\d_]+)(\.?)")
#: the languages :data:`_MONTH_NAMES` covers, as an error names them
_LANGUAGES = "English, German, French, Spanish, Italian, Portuguese or Dutch"


def _english_word(hit: re.Match[str]) -> str:
    """A month name as strptime's English abbreviation (its dot dropped); any other word
    as it was."""
    english = _TO_ENGLISH.get(hit.group(1).lower())
    return hit.group(0) if english is None else english


#: a 12-hour clock's marker as Java writes it in another language, which ``%p`` does not
#: read: Spanish ``a. m.``/``p. m.`` (CLDR; the space may be a no-break one), Dutch and
#: Latin American Spanish ``a.m.``/``p.m.`` (English too), German ``vorm.``/``nachm.``
#: (Java's older locale data): group 1 ``a``/``vorm`` before noon, 2 after
_MARKER = re.compile(r"(?<![^\W\d_])(?:(a|vorm)|(p|nachm))(?:(?<=[ap])\.[\s\u00a0\u202f]*m\.?|"
                     r"(?<=[ap])[\s\u00a0\u202f]*m\.|(?<=m)\.)(?![^\W\d_])", re.IGNORECASE)


def _english_marker(hit: re.Match[str]) -> str:
    return "AM" if hit.group(1) else "PM"


def english_names(values: pd.Series) -> pd.Series | None:
    """``values`` with every month name of another language (or an English one
    ``%b`` does not read: ``Sept``, ``Nov.``) replaced by its English abbreviation, and
    every am/pm marker ``%p`` does not read (:data:`_MARKER`: ``a. m.``, ``nachm.``) by
    ``AM``/``PM``, or None when no value holds one. Worked on the distinct values (one
    regex pass each), taken back to the rows by code."""
    codes, distinct = factorize_na(values)  # the missing value last
    if len(distinct) < 2:
        return None
    text = distinct.iloc[:-1].astype("object").astype(str)
    english = text.str.replace(_MARKER, _english_marker, regex=True).str.replace(
        _WORD, _english_word, regex=True)
    if bool((english == text).all()):
        return None
    dtype = values.dtype if isinstance(values.dtype, pd.StringDtype) else "object"
    per = pd.Series([*english.tolist(), None], dtype=dtype)
    return spread(per, codes, values.index).rename(values.name)


def _unread_month(value: str) -> str | None:
    """The word of ``value`` in a month name's place that is no month name
    :data:`_MONTH_NAMES` knows (``maj`` in ``13/maj/25 18:00``), or None: a word whose
    replacement by ``Jan`` makes the value a date in one of the candidate formats."""
    for hit in _WORD.finditer(value):
        word = hit.group(1)
        if len(word) < 3 or word.lower() in _TO_ENGLISH:
            continue
        trial = value[:hit.start()] + "Jan" + value[hit.end():]
        for fmt, _ in CANDIDATES:
            if "%b" not in fmt:
                continue
            try:
                datetime.strptime(trial.strip(), fmt)
            except ValueError:
                continue
            return word
    return None


def _month_error(value: str, message: str, path: Path, column: str,
                 row: int | None) -> DateFormatError | None:
    """The error for a value whose month name no language here reads, or None."""
    word = _unread_month(value)
    if word is None:
        return None
    return DateFormatError(
        f"{message}: {quote(word)} is in a month name's place but is no month name in "
        f"{_LANGUAGES}, and no --date-format reads it (%b is English only)",
        file=path, row=row, column=column,
        hint="export the dates with numeric or English month names (in Jira: the exporting "
             "user's profile language, or a numeric date format an admin sets), or replace "
             "the month names in the file")


@dataclass(frozen=True)
class _FastFormat:
    loose: str  # anchored RE2 pattern, one named group per directive, 1-2 digit fields
    fixed: str  # the same with every field at its zero-padded width (no groups)
    spans: dict[str, tuple[int, int]]  # directive letter -> (start, stop) in a fixed value
    #: ``fixed`` byte by byte, when it is digits and ASCII literals only: None for a
    #: digit, else the literal's byte (:func:`_at_width` tests it without a regex)
    layout: tuple[int | None, ...] | None = None


def _fast_format(fmt: str) -> _FastFormat | None:
    """How the fast path reads ``fmt``, or None when it has a directive it does not."""
    loose, fixed, spans, pos = [], [], {}, 0
    layout: list[int | None] | None = []
    for part in re.split(r"(%.)", fmt):
        if part.startswith("%") and len(part) == 2:
            if part not in _FAST_PARTS or part[1] in spans:
                return None
            group, width = _FAST_PARTS[part]
            loose.append(group)
            fixed.append(r"[A-Za-z]{3}" if part == "%b" else
                         r"[AaPp][Mm]" if part == "%p" else rf"\d{{{width}}}")
            spans[part[1]] = (pos, pos + width)
            pos += width
            layout = None if layout is None or part in ("%b", "%p") else [
                *layout, *[None] * width]
        elif "%" in part:
            return None
        else:
            lit = "".join(c if c.isalnum() or c == " " else "\\" + c for c in part)
            loose.append(lit)
            fixed.append(lit)
            pos += len(part)
            layout = None if layout is None or not part.isascii() else [
                *layout, *part.encode("ascii")]
    has = spans.keys()
    hour = "H" in has or "I" in has
    if (len(has & {"Y", "y"}) != 1 or len(has & {"m", "b"}) != 1 or "d" not in has
            or ("H" in has and "I" in has) or ("I" in has) != ("p" in has)
            or ("S" in has and "M" not in has) or ("M" in has and not hour)):
        return None
    return _FastFormat("^" + "".join(loose) + "$", "^" + "".join(fixed) + "$", spans,
                       None if layout is None else tuple(layout))


#: rows whose bytes :func:`_layout_rows` tests at a time
_SLAB = 1 << 15


def _at_width(text: Any, how: _FastFormat) -> Any:
    """Which values are written at the format's zero-padded width: RE2's match of
    ``how.fixed`` (nulls false), read from the Arrow buffers when the format is digits
    and ASCII literals (a regex over a million values costs ~0.06 s; this ~4x less).
    ``text``: an Arrow string array or chunked array (each chunk read in place)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    layout = how.layout
    if layout is None or text.type not in (pa.string(), pa.large_string()):
        return pc.fill_null(pc.match_substring_regex(text, how.fixed), False)
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    return pa.array(np.concatenate([_layout_rows(c, layout) for c in chunks])
                    if chunks else np.zeros(0, dtype=bool))


def _layout_rows(text: Any, layout: tuple[int | None, ...]) -> np.ndarray:
    """:func:`_at_width` of one Arrow string array, as a numpy mask.

    A value matches when it has exactly the layout's bytes: its length, a digit at each
    field byte, each literal's byte. When every such value lies back to back in the
    data buffer (the usual column: all one width, nulls taking no bytes), the bytes are
    one (rows, width) view; otherwise they are gathered.
    """
    import pyarrow as pa

    if not len(text):
        return np.zeros(0, dtype=bool)
    width = len(layout)
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if text.type == pa.large_string()
                            else np.int32)[text.offset:text.offset + len(text) + 1]
    ok = np.diff(offsets) == width
    if text.null_count:
        ok &= text.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(ok)
    if len(rows):
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        starts = offsets[rows].astype(np.intp)
        digit_at = [at for at, byte in enumerate(layout) if byte is None]
        literal_at = [at for at, byte in enumerate(layout) if byte is not None]
        literal = np.array([layout[at] for at in literal_at], dtype=np.uint8)
        back_to_back = starts[-1] - starts[0] == width * (len(rows) - 1)
        good = np.empty(len(rows), dtype=bool)
        # a slab of rows at a time: the byte tests' temporaries stay small (a fresh
        # allocation of the whole column's size costs more than the test)
        for first in range(0, len(rows), _SLAB):
            last = min(len(rows), first + _SLAB)
            block = (data[starts[0] + first * width:starts[0] + last * width].reshape(-1, width)
                     if back_to_back else data[starts[first:last, None] + np.arange(width)])
            # uint8 arithmetic: a byte below "0" wraps above 9, so only ASCII digits
            # pass (RE2's \d is ASCII too)
            good[first:last] = ((block[:, digit_at] - np.uint8(48)) <= 9).all(axis=1) & (
                block[:, literal_at] == literal).all(axis=1)
        ok[rows] = good
    return ok


def _fast_pattern(fmt: str) -> str | None:
    found = _fast_format(fmt)
    return None if found is None else found.loose


def _parse_fast(values: pd.Series, fmt: str) -> pd.Series | None:
    """``pd.to_datetime(values, format=fmt, errors="coerce")`` (naive), computed in Arrow.

    pandas parses a non-ISO format value by value (~1.8 s a million). Here a value
    written at the format's zero-padded width is cut at fixed positions into ISO text
    (one regex test, a few slices); a value with one-digit fields has its numbers
    extracted by a regex; both are cast by Arrow's strict ISO parser. The answer is
    pandas' own: a value neither pattern takes (odd spacing, a one-digit minute) is
    handed to pandas, and when any taken value is not a real date (30 February, hour 24)
    the whole column is (None is returned), so every value pandas would null or keep is
    nulled or kept alike.
    """
    how = _fast_format(fmt)
    if how is None or not is_arrow_text(values):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    # the column's chunks as they are (no concatenated copy of the text)
    text = values.array.__arrow_array__() if len(values) else pa.array([], pa.large_string())
    kind = text.type

    def lit(t: str) -> Any:
        return pa.scalar(t, kind)

    def iso_from(parts: dict[str, Any]) -> Any:
        parts = _iso_parts(parts, kind)

        def get(letter: str) -> Any:
            return parts.get(letter, lit("00"))
        return pc.binary_join_element_wise(
            get("Y"), lit("-"), get("m"), lit("-"), get("d"), lit(" "), get("H"), lit(":"),
            get("M"), lit(":"), get("S"), lit(""))

    fixed = _at_width(text, how)
    try:
        # only the values at the fixed width: a month name or clock cut from any other
        # value would be read as one (the fields of a null are null)
        every = (pc.sum(fixed).as_py() or 0) == len(text) - text.null_count
        at_width = text if every else pc.if_else(fixed, text, pa.scalar(None, kind))
        iso = at_width if fmt == _ISO_TEXT else iso_from(
            {k: pc.utf8_slice_codeunits(at_width, a, b) for k, (a, b) in how.spans.items()})
        stamps = pc.cast(iso, pa.timestamp("us")).to_numpy(zero_copy_only=False)
        rest = np.flatnonzero(~fixed.to_numpy(zero_copy_only=False)
                              & values.notna().to_numpy(dtype=bool))
        if len(rest):  # one-digit fields: the numbers by regex, for those rows only
            some = text.take(pa.array(rest))
            parts = pc.extract_regex(some, how.loose)
            names = {parts.type.field(i).name for i in range(parts.type.num_fields)}
            got = {k: pc.struct_field(parts, k) for k in names}
            got = {k: pc.utf8_lpad(v, 2, "0") if k in "mdHI" else v for k, v in got.items()}
            loose = pc.if_else(pc.is_valid(parts), iso_from(got), pa.scalar(None, kind))
            stamps[rest] = pc.cast(loose, pa.timestamp("us")).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, ValueError):  # no real date (or _NotAClock): pandas decides
        return None
    out = pd.Series(stamps, index=values.index)
    rest_mask = (values.notna() & out.isna()).to_numpy(dtype=bool)
    if rest_mask.any():
        out[rest_mask] = pd.to_datetime(values[rest_mask], format=fmt, errors="coerce").astype(
            "datetime64[us]")
    return out


class _NotAClock(ValueError):
    """A 12-hour clock value outside 1-12: strptime refuses it, Arrow would not."""


def _iso_parts(parts: dict[str, Any], kind: Any) -> dict[str, Any]:
    """Two-digit years, month names and 12-hour clocks as the ISO fields they stand for,
    as strptime reads them: ``%y`` 69-99 is 19xx, 00-68 20xx; ``%b`` any letter case (a
    name that is no month leaves the value to pandas); ``12 AM`` is 00, ``12 PM`` 12."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = dict(parts)
    if "y" in out:
        yy = out.pop("y")
        out["Y"] = pc.binary_join_element_wise(
            pc.if_else(pc.less(yy, pa.scalar("69", kind)), pa.scalar("20", kind),
                       pa.scalar("19", kind)), yy, pa.scalar("", kind))
    if "b" in out:
        number = pc.index_in(pc.utf8_lower(out.pop("b")),
                             value_set=pa.array(_MONTHS, kind))
        out["m"] = pc.utf8_lpad(pc.cast(pc.add(number, 1), kind), 2, "0")
    if "I" in out:
        clock = pc.cast(out.pop("I"), pa.int64())
        if pc.any(pc.or_(pc.less(clock, 1), pc.greater(clock, 12))).as_py():
            raise _NotAClock
        pm = pc.equal(pc.utf8_lower(out.pop("p")), pa.scalar("pm", kind))
        hour = pc.add(pc.remainder(clock, 12), pc.if_else(pm, 12, 0))
        out["H"] = pc.utf8_lpad(pc.cast(hour, kind), 2, "0")
    return out
