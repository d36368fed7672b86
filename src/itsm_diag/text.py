"""Text helpers every layer shares: filling rule-file templates (a ``str.format`` that
never fails on missing values), the whitespace-folding pattern, and the character-level
core of the output-safety layer (:func:`shown`, :func:`quote`, :func:`silence_stdout`),
light enough for :mod:`itsm_diag.errors` and the command line to use before anything
heavy is imported.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import reprlib
import string
import sys
from collections.abc import Mapping
from typing import Any

#: the characters Python's ``re`` matches with ``\s`` in text, spelled out as a class body.
#: pandas runs any pattern holding ``\s`` or ``\S`` in Python's ``re``, value by value
#: (RE2's ``\s`` is ASCII-only and misses ``\x0b``); this class means the same in both
#: engines, so pandas hands the pattern to Arrow's RE2. (Literal characters, not ``\u``
#: escapes, which would send the pattern back to Python's ``re``.)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a"
              "\u2028\u2029\u202f\u205f\u3000")
#: ``\s`` and ``\S`` as :data:`WHITESPACE` classes
SPACE = f"[{WHITESPACE}]"
NOT_SPACE = f"[^{WHITESPACE}]"
#: replaced by one space, folds every run of whitespace to one space, as ``\s+`` does, but
#: matches only where something changes (a run of two or more, or a lone tab or newline):
#: a lone space, most of any text, is no match to replace.
SPACE_RUNS = f"{SPACE}{{2,}}|[{WHITESPACE.replace(' ', '')}]"


#: the built-in tools' names for people (their ``source_tool`` ids as keys), as every
#: report and note names them
TOOL_TITLES: dict[str, str] = {"servicenow": "ServiceNow", "jira": "Jira Service Management",
                               "zendesk": "Zendesk", "freshservice": "Freshservice"}


class _SafeFormatter(string.Formatter):
    """Missing or None values print as ``n/a``; a bad spec falls back to ``str()``; a
    whole number with no spec prints with thousands separators (``24,918``), so a count a
    template left bare reads as the same figure a table or a ``{n:,}`` shows beside it."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str):
            return kwargs.get(key)
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if _missing(value):
            return "n/a"
        # numpy's integers too (they have __index__, as int has and float has not)
        if not format_spec and hasattr(type(value), "__index__") \
                and not isinstance(value, bool):
            return f"{int(value):,}"
        # a share as figure() prints it: "0.3%" in the evidence sentence beside "0.3%" in
        # the key figure, never "0%" beside "73.3 a month"
        if format_spec in (".0%", ".1%") and isinstance(value, float):
            return share(value, int(format_spec[1]))
        # an hours-at-stake figure as every report shows it ("0.3", "9.5", "127")
        if format_spec == "hours" and isinstance(value, int | float):
            return hours_figure(float(value))
        # a difference of two shares in points, as figure() shows the unit "points"
        if format_spec in ("points", "+points") and isinstance(value, int | float):
            return points(value, signed=format_spec.startswith("+"))
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FMT = _SafeFormatter()


def hours_figure(value: float) -> str:
    """Agent hours a month as every report shows them (the ``{x:hours}`` spec): whole
    hours from 10 on, one decimal under (a 0.33 h stake beside its 18 EUR reads "0.3",
    not "0")."""
    return f"{value:,.1f}" if abs(value) < 9.95 else f"{value:,.0f}"


def plain_amount(value: float) -> str:
    """A rate or other amount a user set, whole: grouped, with its own decimals and no
    more ("1,000,000", "123,456.7", "55.5"), never in e-notation."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

# units in words (an "h" is the one abbreviation, and every report says it means hours)
UNIT_SUFFIX = {"hours": " h", "days": " days", "weeks": " weeks", "per_quarter": " a quarter",
               "per_month": " a month"}
#: the decimals :func:`figure` shows a value of each unit with (a ratio: as a whole
#: percentage, 0.01 of a share; a rate or duration: one)
SHOWN_DIGITS = {"count": 0, "index": 2, "ratio": 2, "points": 2,
                **dict.fromkeys(UNIT_SUFFIX, 1)}


def share(value: float, digits: int = 0) -> str:
    """A share as a percentage with ``digits`` decimals; under 1% at least one decimal,
    and a share above zero that would still print as zero reads "<0.1%" (not zero: some
    tickets; "<0.01%" with two decimals)."""
    shown = max(digits, 1) if value != 0 and abs(value) < 0.01 else digits
    if 0 < value < 0.5 * 10 ** -(shown + 2):
        return f"<{10 ** -shown:.{shown}f}%"
    return f"{value:.{shown}%}"


def points(value: float, signed: bool = False, digits: int = 0) -> str:
    """A difference of two shares (a fraction) in points: "66 points", "+1 point" (with
    ``digits`` decimals: "29.55 points")."""
    return plurals(f"{value * 100:{'+' if signed else ''},.{digits}f} point(s)")


def figure(value: float | None, unit: str, more: int = 0) -> str:
    """A metric value for people: ratios as percentages, counts as integers (``more``
    decimals than usual: see :func:`figure_beside`)."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return share(value, more)
    if unit == "count":
        # a rate in counts (a backlog's change a week) that rounds to zero but is not:
        # the decimals that say so ("-0.3", not "-0", nor "0" beside a growing projection)
        for extra in (0, 1, 2):
            text = f"{value:,.{more + extra}f}"
            if not value or float(text.replace(",", "")) != 0:
                return text
        return f"{0:.{more}f}"
    if unit == "index":  # a plain number, not a share of tickets: no %
        return f"{value:.{SHOWN_DIGITS[unit] + more}f}"
    if unit == "points":  # a difference of two shares: "66 points", never "66%"
        return points(value, digits=more)
    if unit in UNIT_SUFFIX:
        return f"{value:,.{SHOWN_DIGITS[unit] + more}f}{UNIT_SUFFIX[unit]}"
    return f"{value:g}"


#: the most decimals beyond a unit's usual a figure is shown with (a threshold to be
#: exact, a measured figure to tell it from its threshold)
MORE_DECIMALS = 3


def _exact_at(value: float, decimals: int) -> bool:
    """Whether ``value`` rounded to ``decimals`` is ``value`` (to a float's noise)."""
    return abs(round(value, decimals) - value) <= 1e-9 * max(1.0, abs(value))


def exact_decimals(value: float | None, unit: str) -> int:
    """The decimals beyond the unit's usual (``more`` of :func:`figure`) with which a value
    a rule or a config file set (a threshold, a KPI target) reads as itself, up to
    three: 0.085 as 8.5%, not 8%; 0.509 as 50.9%, not 51%; 19.08 hours as 19.08 h, not
    19.1 h. A threshold printed at the shipped precision read "at least 8% ... measured
    8.47%: no" beside a threshold of 8.5% in force."""
    if value is None or unit not in SHOWN_DIGITS:
        return 0  # figure() prints it with :g, which is exact
    scaled = value * 100 if unit in ("ratio", "points") else value
    usual = 0 if unit in ("ratio", "points") else SHOWN_DIGITS[unit]
    return next((more for more in range(MORE_DECIMALS) if _exact_at(scaled, usual + more)),
                MORE_DECIMALS)


def figure_exact(value: float | None, unit: str) -> str:
    """:func:`figure` of a threshold or target, with the decimals that show the value in
    force (:func:`exact_decimals`)."""
    return figure(value, unit, exact_decimals(value, unit))


def beside_decimals(value: float | None, other: float | None, unit: str) -> int:
    """The decimals beyond the unit's usual (``more`` of :func:`figure`) with which
    ``value`` is shown beside ``other`` (a measured figure beside its threshold, which
    reads exactly: :func:`figure_exact`): where the two differ but would print alike, as
    many more (up to three) as tell them apart, so the figure never reads on the wrong
    side of it; equal to it, as the threshold reads ("measured 8.5%" beside "at least
    8.5%", not "8%")."""
    if value is not None and other is not None and value == other:
        return exact_decimals(other, unit)
    if value is None or other is None or figure(value, unit) != figure(other, unit):
        return 0
    for more in (1, 2):
        if figure(value, unit, more) != figure(other, unit, more):
            return more
    return 3


def figure_beside(value: float | None, other: float | None, unit: str) -> str:
    """:func:`figure` of ``value`` shown beside ``other`` (a measured figure beside its
    threshold): where the two differ but would print alike, with as many more decimals
    (up to three) as tell them apart. A backlog of 0.482 weeks of arrivals against "more
    than 0.5 weeks" read "measured 0.5 weeks", not met, beside 0.525 "0.5 weeks", met."""
    return figure(value, unit, beside_decimals(value, other, unit))


#: a number, up to three words, and a noun written "word(s)" in a rule's wording
_PLURAL = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)((?:\s+[\w-]+){0,3}?)\s+([\w-]+)\(s\)")


def joined(items: list[str], word: str = "and") -> str:
    """Items as a sentence lists them: ``a``, ``a and b``, ``a, b and c`` (``word``:
    the last joint, e.g. "or"; no items: empty)."""
    if len(items) < 2:
        return items[0] if items else ""
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def plurals(text: str) -> str:
    """Each "N word(s)" as English says it: "1 channel", "6 channels", "1 agent hour",
    "2.5 hours" (only 1 itself is singular)."""
    def one(match: re.Match[str]) -> str:
        number, between, noun = match.groups()
        return f"{number}{between} {noun}{'' if number == '1' else 's'}"
    return _PLURAL.sub(one, text)


def fmt(template: str, values: Mapping[str, Any]) -> str:
    """Fill a rule-file template (whitespace folded to single spaces; "N word(s)" in the
    number's grammar)."""
    return plurals(" ".join(_FMT.format(template, **values).split()))


def with_params(text: str, params: Mapping[str, Any]) -> str:
    """``text`` with each ``{param_NAME}`` (or ``{param_NAME:spec}``) naming a scalar
    param filled, and every other placeholder left for later: a label or a threshold's
    words follow the param a config file set ("reassigned 5 or more times"), never a
    number written into the sentence. A param that lists scalars is filled with its
    items, each with the spec, joined as a sentence says them ("in 4 and 12 weeks",
    "priority 1, 2 and 3 tickets")."""
    def scalar(value: Any) -> bool:
        return not isinstance(value, bool) and isinstance(value, int | float | str)

    def fill(match: re.Match[str]) -> str:
        value, spec = params.get(match.group(1)), match.group(2) or ""
        if isinstance(value, list | tuple) and value and all(scalar(v) for v in value):
            items = [_FMT.format_field(v, spec) for v in value]
            return joined(items)
        if value is None or not scalar(value):
            return match.group(0)
        return _FMT.format_field(value, spec)
    return re.sub(r"\{param_(\w+)(?::([^{}]*))?\}", fill, text)


#: a format spec with a precision: ".0%", ",.1f"
_SPEC_DECIMALS = re.compile(r"(?P<head>[^.]*)\.(?P<n>\d+)(?P<kind>[f%])")


def exact_field(value: float, spec: str) -> str:
    """``value`` (a threshold or target in force) as a rule file's ``spec`` shows it
    (".0%", ".2f", "points", "g"), with as many more decimals (up to three) as show it
    exactly: the spec gives the shipped value's precision, and a config may set a value
    between two of its steps (a duplicates threshold of 0.085 read "at least 8%")."""
    if spec in ("points", "+points"):
        return points(value, signed=spec.startswith("+"),
                      digits=exact_decimals(value, "points"))
    found = _SPEC_DECIMALS.fullmatch(spec)
    if found is None:  # "g", or no spec: shown as it is
        return _FMT.format_field(value, spec)
    n, percent = int(found["n"]), found["kind"] == "%"
    scaled = value * 100 if percent else value
    n += next((more for more in range(MORE_DECIMALS) if _exact_at(scaled, n + more)),
              MORE_DECIMALS)
    if percent and not found["head"]:
        return share(value, n)
    return _FMT.format_field(value, f"{found['head']}.{n}{found['kind']}")


def with_exact(text: str, values: Mapping[str, float | None]) -> str:
    """``text`` with each ``{NAME}`` or ``{NAME:spec}`` that ``values`` holds (thresholds
    or targets in force) filled by :func:`exact_field`; every other placeholder left for
    later."""
    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None or isinstance(value, bool):
            return match.group(0)
        return exact_field(value, match.group(2) or "")
    return re.sub(r"\{(\w+)(?::([^{}]*))?\}", fill, text)


def with_named(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``{NAME}`` that ``values`` holds filled, every other placeholder
    left as it is (a definition's words that depend on the run, such as where its open
    tickets are counted)."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)
    return re.sub(r"\{(\w+)\}", fill, text)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _clauses(template: str) -> list[str]:
    """``template`` cut at each ``;`` outside brackets (a ``;`` inside "(gap: x; overall
    y)" belongs to its clause)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(template):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == ";" and depth == 0:
            out.append(template[start:i])
            start = i + 1
    out.append(template[start:])
    return [c.strip() for c in out]


def fmt_known(template: str, values: Mapping[str, Any]) -> str:
    """:func:`fmt` for a sentence of ``;``-separated clauses (an evidence summary): a
    clause whose every placeholder is missing is left out, so a sign measured on part of
    the export says what it measured ("outside official channels 0%; duplicates 8%")
    rather than "chasers on n/a of tickets (n/a a month)". If no clause has a value, the
    whole template is filled (its n/a say that nothing was measured)."""
    kept = []
    for clause in _clauses(template):
        fields = [name for _, name, _, _ in _FMT.parse(clause) if name]
        if fields and all(_missing(values.get(re.split(r"[.[]", f)[0])) for f in fields):
            continue
        kept.append(clause)
    return fmt("; ".join(kept) if kept else template, values)


# ---- output safety: characters -----------------------------------------------------------

#: C0 controls except tab and newline, DEL, and the C1 range (ESC-less CSI lives there too);
#: bidi embeddings, overrides and isolates (U+202E reverses what follows: "Trojan Source"),
#: and invisible zero-width space, word joiner and BOM (zero-width (non-)joiners stay:
#: scripts and emoji need them); lone UTF-16 surrogates, which no UTF-8 output can hold
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u202a-\u202e"
                     "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
#: the same, with every line break too (tab, LF, and U+2028/U+2029, which some
#: terminals and editors take for line ends): for text that must stay on one line
CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u202a-\u202e\u2028"
                              "\u2029\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"  # a lone surrogate: half a character, nothing left to show
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def shown(text: object, *, one_line: bool = False) -> str:
    """``text`` as a string whose control characters are shown, not obeyed (``\\x1b[31m``
    prints as the six characters ``\\x1b[31m``); lone surrogates become U+FFFD. With
    ``one_line``, line breaks and tabs are shown as escapes too (``\\x0a``), so no value
    can start a line of its own (a fake ``itsm-diag: score 0/7`` line, say)."""
    s = str(text)
    return (CONTROL_OR_BREAK if one_line else CONTROL).sub(_escape, s)


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def path_text(path: object) -> str:
    """A path as text that any UTF-8 output can hold: a file name's bytes that are not
    UTF-8 (kept by Python as lone surrogates) shown as ``\\xff`` escapes."""
    import os

    try:
        return os.fsencode(str(path)).decode("utf-8", "backslashreplace")
    except (UnicodeError, TypeError):
        return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
#: the longest a message quotes any value from a file or an option
QUOTE_LIMIT = 80


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A value from outside, quoted for a message: ``repr`` for a string, cut to ``limit``
    characters, and a bounded preview of any other object (``reprlib``: a structure that
    expands to gigabytes through shared references prints a few items), shown on one
    line."""
    if isinstance(value, str):
        text = repr(cap(value, limit)) if len(value) > limit else repr(value)
    else:
        text = _REPR.repr(value)
    return cap(shown(text, one_line=True), limit + 2)


def named_counts(counts: Any, shown: int) -> str:
    """Values with their counts as a warning or a note names them: ``counts`` (a pandas
    Series: value -> count) most frequent first, ties in text order (the same words on
    every run), the first ``shown`` quoted with their counts, the rest counted:
    ``'In Progress - L2' (40), 'Waiting' (7) and 3 more``."""
    ordered = counts.sort_index().sort_values(ascending=False, kind="stable")
    named = ", ".join(f"{quote(str(value), 40)} ({int(n):,})"
                      for value, n in ordered.head(shown).items())
    return named + (f" and {len(ordered) - shown:,} more" if len(ordered) > shown else "")


def silence_stdout() -> None:
    """Point standard output at the null device, so nothing written later fails too (the
    reader of a pipe left: ``| head``)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
