"""Small text helpers every renderer shares: number formatting and making ticket text safe.

Ticket-derived text (summaries, categories, ids, file names) reaches the report verbatim;
each renderer escapes it for its own syntax, and all of them first pass it through
:func:`clean`, which makes control characters (terminal escape sequences included)
visible instead of active, and :func:`clip`, which keeps one runaway value from swamping
a table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from itsm_diag.report import (
    ColumnOut,
    Comparison,
    Finding,
    FixOut,
    InputInfo,
    PeriodOut,
    Report,
    SignChange,
)
from itsm_diag.text import (
    SHOWN_DIGITS,
    TOOL_TITLES,
    UNIT_SUFFIX,
    hours_figure,
    plurals,
    points,
    shown,
)
from itsm_diag.text import figure as figure  # the renderers' one number format
from itsm_diag.text import figure_exact as figure_exact  # a threshold as it is in force
from itsm_diag.text import plain_amount as plain_amount  # a rate as the user set it

#: the longest a ticket-derived value may be in a table cell or list item
CELL_LIMIT = 200

#: what a redacted report says about itself (``--redact``), in every format
REDACTED_NOTE = ("Redacted for sharing: people are pseudonyms (Requester N, Agent N); e-mail "
                 "addresses, phone numbers and ticket text are removed, and input files "
                 "are named input 1, input 2, … instead of their paths.")

MARKS = {"triggered": "✘", "clear": "✔", "unknown": "?"}


def clean(text: object) -> str:
    """``text`` as a string whose control characters are shown, not obeyed
    (``\\x1b[31m`` prints as the six characters ``\\x1b[31m``): :func:`itsm_diag.text.shown`."""
    return shown(text)


def counted(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless one: "1 table", "2 tables"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def clip(text: object, limit: int = CELL_LIMIT) -> str:
    """:func:`clean` text cut to ``limit`` characters (an ellipsis marks the cut)."""
    s = clean(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def one_line(text: object, limit: int = CELL_LIMIT) -> str:
    """:func:`clip` with line breaks folded to spaces, for table cells."""
    return clip(" ".join(str(text).split()), limit)


def cell(value: Any, key: str = "", limit: int = CELL_LIMIT) -> str:
    """Any evidence-table value as short display text (numbers kept as they were
    measured; only their notation is chosen here). Columns named ``share`` or
    ``*_share`` hold ratios and print as percentages."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if key == "share" or key.endswith("_share"):
            return figure(value, "ratio")
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) < 1:
            return f"{value:,.3g}"
        # at most two decimals, no trailing zeros: an age measured to 0.1 day reads
        # 359.3, not 359.30 (a precision the figure does not have)
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return one_line(", ".join(clean(v) for v in value), limit)
    if isinstance(value, dict):
        return one_line(", ".join(f"{k}: {v}" for k, v in value.items()), limit)
    return one_line(value, limit)


def column_cells(values: Sequence[Any], texts: Sequence[str]) -> list[str]:
    """One column's cells (``texts``, as :func:`cell` wrote each of ``values``) at one
    precision: the most decimals any of its numbers was shown with, for all of them (a
    column of idle hours read "199,097.4" above "98,327", which a reader takes for a
    hundred times more). Shares and other text are left as they are."""
    def decimals(text: str) -> int:
        number = text.replace(",", "")
        return len(number.split(".", 1)[1]) if re.fullmatch(r"-?\d+\.\d+", number) else 0

    numbers = [isinstance(v, int | float) and not isinstance(v, bool) and v == v
               and re.fullmatch(r"-?[\d,]+(?:\.\d+)?", t) is not None
               for v, t in zip(values, texts, strict=True)]
    most = max((decimals(t) for t, n in zip(texts, numbers, strict=True) if n), default=0)
    if any(n and abs(v) >= 1 for v, n in zip(values, numbers, strict=True)):
        most = min(most, 2)  # cell's most beside a number of 1 or more (3 is for a 0.123)
    if not most:
        return list(texts)
    return [f"{float(v):,.{most}f}" if n else t
            for v, t, n in zip(values, texts, numbers, strict=True)]


def hours(value: float | None) -> str:
    """Agent hours a month (:func:`~itsm_diag.text.hours_figure`: one decimal under 10)."""
    return "" if value is None else hours_figure(value)


def hours_word(value: float | None) -> str:
    """"hour" after an hours figure shown as 1, "hours" after any other (the rule files'
    ``word(s)`` grammar, for a figure shown apart from its noun)."""
    return plurals(f"{hours(value) or 0} hour(s)").split()[-1]


def fix_hours(fix: FixOut, *, short: bool = False) -> str:
    """A fix's hours, or ``98 (shares #1)`` (``98 ~#1`` when ``short``) when an earlier
    fix counts some or all of them already: the same hours are never shown as if they
    added up, nor called equal when they only overlap (24 h beside a 13 h fix)."""
    text = hours(fix.hours_at_stake_per_month)
    if text and fix.shares_hours_with:
        ranks = ", ".join(f"#{r}" for r in fix.shares_hours_with)
        text += f" ~{ranks}" if short else f" (shares {ranks})"
    return text


#: the label of the signs table's last row: the report's hours, each ticket counted once
STAKE_ROW = "All triggered signs, each ticket counted once"


def stake_text(r: Report) -> str:
    """The report's hours at stake for the first screen ("127 agent hours a month at stake
    over the triggered signs, each ticket counted once."), with their money when a rate is
    set; empty when no triggered sign has hours. The same number as the signs table's last
    row and the JSON's ``hours_at_stake_per_month``: never the column's sum, which counts
    a ticket priced by two signs twice."""
    value = r.hours_at_stake_per_month
    if value is None:
        return ""
    money = ("" if r.money_per_month is None else
             f" ({r.money_per_month:,.0f} {r.assumptions.currency} a month)")
    triggered = [f for f in r.signs if f.status == "triggered"]
    priced = [f for f in triggered if f.hours_at_stake_per_month is not None]
    if len(priced) == len(triggered):
        over = "the triggered signs"
    else:  # the signs the total leaves out, and why: an answer prices nothing
        answered = sum(1 for f in triggered if f.self_assessed and f not in priced)
        rest = len(triggered) - len(priced) - answered
        why = [f"{answered} self-assessed in the answers file" if answered else "",
               f"{rest} with no hours measurable" if rest else ""]
        over = (f"{len(priced)} of the {len(triggered)} triggered signs "
                f"({'; '.join(w for w in why if w)}: not priced)")
    return (f"{hours(value)} agent {hours_word(value)} a month at stake{money} over "
            f"{over}, each ticket counted once.")


#: the heading of a triggered check's fixes (listed with the checks, never in the plan)
CHECK_FIXES_TITLE = "What to do about the triggered checks"


def check_fix_note(fix: FixOut) -> str:
    """A check's fix's horizon and hours, ``quick, 887 agent hours a month``; a fix whose
    hours an earlier one counts already, some or all of them, says so (as
    :func:`fix_hours` does in the plan: never shown as if they added up, nor called
    equal when they only overlap)."""
    value = fix.hours_at_stake_per_month
    if not value:
        return fix.horizon
    said = f"{fix.horizon}, {hours(value)} agent {hours_word(value)} a month"
    return f"{said}, some or all of them counted under the fix above" \
        if fix.shares_hours_with else said


#: after a verdict's confidence when its threshold lies inside its figure's sampling
#: interval (``Finding.within_noise``; the reason says it in numbers)
WITHIN_NOISE = "within noise"


def confidence_words(f: Finding) -> str:
    """A verdict's confidence in words: ``low confidence, within noise`` for a verdict
    within sampling noise, else ``<confidence> confidence``."""
    return f"{f.confidence} confidence, {WITHIN_NOISE}" if f.within_noise \
        else f"{f.confidence} confidence"


def confidence_text(f: Finding) -> str:
    """A verdict's confidence for a table cell: none for an unknown finding (there is no
    verdict to be confident in); a verdict within noise says so."""
    if f.status == "unknown":
        return ""
    return f"{f.confidence}, {WITHIN_NOISE}" if f.within_noise else f.confidence


def no_fixes(r: Report) -> str:
    """What the fix plan says when no sign is triggered: never "nothing to fix" while
    unknown signs could hide something."""
    if r.unknown:
        return (f"No sign the export answers is triggered; {r.unknown} cannot be answered "
                "from it, so this is no all-clear (see the unknown signs).")
    return "No sign is triggered: nothing to fix urgently."


def key_value(f: Finding) -> str:
    """The key figure's value for people; a rate whose label names its period already
    ('... per quarter') is not followed by 'a quarter' again."""
    k = f.key_figure
    label = k.label.lower()
    if (k.unit == "per_quarter" and "quarter" in label) or (
            k.unit == "per_month" and "month" in label):
        return "n/a" if k.value is None else f"{k.value:,.{SHOWN_DIGITS[k.unit] + k.decimals}f}"
    # with the decimals the reason shows it with (to tell it from its threshold)
    return figure(k.value, k.unit, k.decimals)


def key_figure_text(f: Finding) -> str:
    """What the checklist shows for a finding: its key figure, or why it is unknown."""
    if f.self_assessed:
        return "self-assessed"
    if f.status == "unknown":
        return "unknown: " + f.reason
    text = f"{f.key_figure.label}: {key_value(f)}"
    # a verdict resting on thin or indirect evidence says so wherever it is shown
    return text if f.confidence == "high" else f"{text} ({confidence_words(f)})"


def unknown_range(r: Report) -> str:
    """'3 now, up to 5 if the 2 unknown signs apply.' ('' when nothing is unknown, or
    when the band is undetermined: its sentence says it already)."""
    if not r.unknown or r.band == "undetermined":
        return ""
    if r.unknown == 1:
        return (f"{r.score} now, up to {r.score_max_if_unknown_apply} if the unknown sign "
                "applies; the band stays the same either way.")
    return (f"{r.score} now, up to {r.score_max_if_unknown_apply} if the {r.unknown} "
            "unknown signs apply; the band stays the same either way.")


#: a status in words, for people (the JSON keeps the codes)
STATUS_WORDS = {"triggered": "Triggered", "clear": "Clear", "unknown": "Unknown"}

#: what "hours at stake" means, said once wherever hours appear
HOURS_NOTE = ("Hours at stake: agent hours a month the sign costs now, each cost line giving "
              "its basis: tickets or events a month x agent minutes each (a ticket's handle "
              "time as under Assumptions, its kind's median logged time or the default; a "
              "chaser's, a late request's or a change's rework minutes as the line says), "
              "or the logged hours themselves (operational work above the target); shown "
              "only for triggered signs.")


def effort_text(r: Report) -> str:
    """Each ticket kind's handle minutes as the hours price them ("incident: median
    logged 60 min (…); request: default 20 min (…)"); a report made before the logged
    time was read (no ``assumptions.effort``) lists its handle minutes."""
    a = r.assumptions
    if a.effort:
        return "; ".join(e.text for e in a.effort.values())
    return ", ".join(f"{k} {v:g}" for k, v in a.handle_minutes.items())


#: the cost params that are agent minutes per event (not handle time): each cost line
#: says its own, Assumptions lists them all
_EVENT_MINUTES = ("minutes_per_chaser", "extra_minutes", "expedite_minutes",
                  "handoff_minutes", "clarify_minutes")


def assumptions_text(r: Report) -> str:
    """What every hours figure rests on, in words: the handle minutes per ticket
    (:func:`effort_text`) and the minutes per event in force (chaser, change rework,
    late onboarding, handoff, clarification), by their config key."""
    events = [f"{key} {v:g}" for key, v in r.assumptions.cost_params.items()
              if key.rsplit(".", 1)[-1] in _EVENT_MINUTES]
    text = f"handle minutes per ticket: {effort_text(r)}"
    if events:
        text += f"; minutes per event: {', '.join(events)}"
    return text

#: month names for people, fixed (not the locale's: the same report gives the same bytes)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(value: object) -> str:
    """An ISO date or timestamp as a date for people ('3 Jul 2026'); anything else as is."""
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        try:
            return f"{int(text[8:10])} {MONTH_NAMES[int(text[5:7]) - 1]} {text[:4]}"
        except (ValueError, IndexError):
            return clip(text)
    return clip(text)


def human_time(value: object) -> str:
    """An ISO timestamp as '3 Jul 2026 23:09' (UTC, as the report stores it)."""
    text = str(value or "")
    day = human_date(text)
    if day != clip(text) and len(text) >= 16 and text[10] == "T":
        return f"{day} {clean(text[11:16])}"
    return day


def window_text(r: Report) -> str:
    """'2 Jul to 30 Sep 2026 (13 weeks)'."""
    first, last = human_date(r.window.first_day), human_date(r.window.last_day)
    if first[-4:] == last[-4:]:
        first = first[:-5]
    weeks = f"{r.window.weeks:g} weeks"
    return f"{first} to {last} ({weeks})"


def tools_text(r: Report) -> str:
    """The exporting tools, named once ('ServiceNow')."""
    seen: dict[str, None] = {}
    for i in r.inputs:
        seen.setdefault(TOOL_TITLES.get(i.tool, clip(i.tool, 40)), None)
    return ", ".join(seen)


def value_text(value: Any, col: ColumnOut | None, limit: int = CELL_LIMIT) -> str:
    """An evidence-table value for people, by its column's unit: shares as %, dates as
    dates, codes in words, yes/no, counts with separators."""
    if col is None:
        return cell(value, limit=limit)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    unit = col.unit
    if unit == "code" or col.values:
        if isinstance(value, list):
            return one_line(", ".join(col.values.get(str(v), clean(v)) for v in value), limit)
        return one_line(col.values.get(str(value), str(value)), limit)
    if isinstance(value, bool) or unit == "yes_no":
        return "yes" if value else "no"
    if unit in ("ratio", "points") and isinstance(value, int | float):
        return figure(float(value), unit)
    if unit in ("hours",) and isinstance(value, int | float):
        return f"{value:,.1f} h"
    if unit == "minutes" and isinstance(value, int | float):
        return f"{value:,.0f} min"
    if unit in ("per_month",) and isinstance(value, int | float):
        return f"{value:,.1f}"
    if unit == "timestamp":
        return human_time(value)
    if unit == "date":
        return human_date(value)
    return cell(value, limit=limit)


def table_texts(rows: Sequence[dict[str, Any]], cols: Mapping[str, ColumnOut | None],
                limit: int = CELL_LIMIT) -> list[dict[str, str]]:
    """An evidence table's rows as :func:`value_text` writes each cell, each column at one
    precision (:func:`column_cells`: a trend column read "167" among "134.7")."""
    texts = {k: column_cells([r.get(k) for r in rows],
                             [value_text(r.get(k), col, limit) for r in rows])
             for k, col in cols.items()}
    return [{k: texts[k][i] for k in cols} for i in range(len(rows))]


def amount(value: float | None, unit: str = "") -> str:
    """A numerator or denominator: whole numbers with separators, else one decimal (a
    robust trend's level is a fraction of a ticket; three decimals would be noise)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


_STRFTIME = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%H": "hh", "%I": "hh",
             "%M": "mm", "%S": "ss", "%f": "ffffff", "%p": "AM/PM", "%b": "Mon", "%B": "Month",
             "%z": "+hhmm", "%Z": "zone", "%j": "day of year", "%a": "Day", "%A": "Weekday"}


def date_pattern(text: str) -> str:
    """A strftime pattern as people write one ('%d/%m/%Y %H:%M' -> 'DD/MM/YYYY hh:mm'),
    with its note in brackets as read ('(order given by --date-format dayfirst)')."""
    out = re.sub(r"%[A-Za-z]", lambda m: _STRFTIME.get(m.group(), m.group()), str(text))
    pattern, sep, note = out.partition(" (")
    return clip(pattern, 60) + (clip(sep + note, 120) if sep else "")


def is_numeric(col: ColumnOut | None) -> bool:
    """Whether a column is right-aligned (a number)."""
    return col is not None and col.unit in ("count", "ratio", "hours", "days", "minutes",
                                            "business_days", "per_month")


def noise_band(r: Report) -> str:
    """``within noise: healthy to gaps`` when verdicts within sampling noise could move
    the band beyond ``band_range`` (the band's sentence says by how much), else ''."""
    wide = r.band_range_within_noise
    if not wide or list(wide) == list(r.band_range):
        return ""
    # with unknown signs the range is theirs and the noise's together
    return (f"within noise and unknowns: {wide[0]} to {wide[1]}" if r.unknown
            else f"within noise: {wide[0]} to {wide[1]}")


def band_label(r: Report) -> str:
    """``SLOWING``, or ``BAND UNDETERMINED (HEALTHY-SLOWING)`` when unknown signs could
    still move it; ``HEALTHY (WITHIN NOISE: HEALTHY TO GAPS)`` when verdicts within
    sampling noise could."""
    if r.band == "undetermined":
        low, high = r.band_range
        label = f"BAND UNDETERMINED ({low.upper()} TO {high.upper()})"
    else:
        label = r.band.upper()
    noise = noise_band(r)
    return f"{label} ({noise.upper()})" if noise else label


def headline(r: Report) -> str:
    """The one-line verdict: what ``--quiet`` prints."""
    line = f"itsm-diag: score {r.score}/7 {band_label(r)}: {r.band_text}"
    extra = unknown_range(r)
    line = f"{line} {extra}" if extra else line
    return f"{line} [redacted]" if r.redacted else line


def ticket_counts(r: Report) -> str:
    """'24,918 tickets in the export (24,918 incident)': the export's size, whatever the
    window (:func:`window_counts` says the window's)."""
    kinds = ", ".join(f"{n:,} {k}" for k, n in r.tickets.by_kind.items() if n)
    total = f"{r.tickets.total:,} tickets in the export"
    return f"{total} ({kinds})" if kinds else total


def window_counts(r: Report) -> str:
    """'22,787 opened, 22,850 done in it': the tickets of the window, the figures the
    signs and KPIs count (the done ones from a report that recorded them)."""
    done = r.tickets.done_in_window
    opened = f"{r.tickets.in_window:,} opened"
    return opened + (f", {done:,} done in it" if done is not None else " in it")


def header_counts(r: Report) -> tuple[str, str]:
    """The header's two halves: '24,918 tickets in the export (24,918 incident) from
    ServiceNow' and 'window 7 Mar to 5 Jun 2016 (13 weeks): 22,787 opened, 22,850 done in
    it'. The export's size beside the window's dates once read as the window's tickets,
    which no sign or KPI counts."""
    tools = tools_text(r)
    export = f"{ticket_counts(r)}{' from ' + tools if tools else ''}"
    return export, f"window {window_text(r)}: {window_counts(r)}"


def ttr_text(r: Report) -> str:
    """The time to resolve's median (with the decimals its target text shows it with),
    90th percentile and tickets."""
    ttr = r.kpis.time_to_resolve_hours
    if ttr.get("median") is None:
        return "n/a"
    more = r.kpis.decimals.get("time_to_resolve_hours", 0)
    return (f"median {ttr['median']:,.{1 + more}f} h, 90th percentile "
            f"{ttr.get('p90') or 0:,.1f} h ({ttr.get('n') or 0:,.0f} tickets)")


def kpi_share(r: Report, key: str) -> str:
    """A share KPI (first_assignment_resolution, sla_adherence) with the decimals its
    target text shows it with: "77.52%" beside "at least 77.53%: missed", not "78%"."""
    return figure(getattr(r.kpis, key), "ratio", r.kpis.decimals.get(key, 0))


def backlog_text(r: Report) -> str:
    """The backlog KPI as the backlog sign measured it: '135 → 212 (trend), 218 open at
    the window end, 45 of them waiting' (the one figure shown wherever the backlog
    appears; 'at the data's end (2026-09-30)' when a --until reaches past the data, as
    the sign says it; the waiting ones, on the caller or a third party, where any)."""
    b = r.kpis.backlog
    start, end, now = b.get("start"), b.get("end"), b.get("open_now")
    parts = []
    if start is not None and end is not None:
        parts.append(f"{start:,.0f} → {end:,.0f} (trend)")
    if now is not None:
        parts.append(f"{now:,.0f} open at {r.kpis.backlog_open_at or 'the window end'}")
        wait = b.get("waiting_now")
        if wait:  # waiting on the caller or a third party (status pending)
            parts.append(f"{wait:,.0f} of them waiting")
    return ", ".join(parts) or "n/a"


def kpi_caveat(r: Report, key: str) -> str:
    """Why a KPI is not reliable ('' when it is, or when nothing says otherwise)."""
    return r.kpis.caveats.get(key, "")


#: the longest a KPI caveat's page-1 line is (its first sentence; the whole caveat is in
#: the KPI notes after the fix plan)
CAVEAT_HEAD_LIMIT = 260
#: a sentence's end: a full stop, then a capital (or a bracket) opening the next one
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
#: the heading of the KPI notes (HTML and PDF: each KPI's definition and caveat whole)
KPI_NOTES_TITLE = "How the KPIs are computed"
#: the longest a KPI's definition or caveat is where it is shown whole (the KPI notes,
#: the markdown panel): the limit only keeps a runaway value from swamping the page
KPI_TEXT_LIMIT = 2000


def kpi_caveat_head(r: Report, key: str) -> str:
    """A KPI caveat's first sentence, for page 1 of the HTML and PDF (the whole caveat is
    in the KPI notes): cut at a word, an ellipsis marking it, only if that sentence is
    itself longer than :data:`CAVEAT_HEAD_LIMIT`."""
    whole = " ".join(clean(kpi_caveat(r, key)).split())
    head = _SENTENCE_END.split(whole, maxsplit=1)[0]
    if len(head) <= CAVEAT_HEAD_LIMIT:
        return head
    return head[: CAVEAT_HEAD_LIMIT].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def kpi_label(r: Report, key: str) -> str:
    """The KPI's name as the Report carries it (worded by the rules); the bare key only
    for a report that has no labels, so a KPI row is never left unnamed."""
    return r.kpis.labels.get(key, key)


def top_categories(r: Report, n: int = 5) -> list[tuple[str, int]]:
    """The ``n`` largest categories of the volume by category, the tickets beyond its
    top 15 (its "(other)", ``kpis.volume_words["other"]``) never among them: a sum of
    25 categories led a 40-category desk's panel, and hid the real log's fifth."""
    other = r.kpis.volume_words.get("other", "(other)")
    real = [(c, k) for c, k in r.kpis.volume_by_category.items() if c != other]
    return sorted(real, key=lambda kv: -kv[1])[:n]


def category_counts(r: Report, n: int, limit: int) -> str:
    """The volume by category's top ``n`` as "name: count, ...": a colon between them, as
    a name may end in a number itself ("Windows 11: 40", not "Windows 11 40"); then the
    tickets beyond them, "the rest: N" (``kpis.volume_words["rest"]``; N the tickets
    opened in the window less those shown), where there are any."""
    top = top_categories(r, n)
    parts = [f"{one_line(c, limit)}: {k:,}" for c, k in top]
    rest = sum(r.kpis.volume_by_category.values()) - sum(k for _, k in top)
    if top and rest > 0:
        parts.append(f"{clean(r.kpis.volume_words.get('rest', 'the rest'))}: {rest:,}")
    return ", ".join(parts)


def kpi_target(r: Report, key: str) -> str:
    """The KPI's target in words, with what it is held against and whether it is met
    ("median at most 24.0 h: met (19.1 h)"; the Report words it), '' where none is set:
    one text for every format (the terminal and the markdown showed none)."""
    return clean(r.kpis.target_texts.get(key, ""))


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """The union of the rows' keys, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


_DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}


#: how each input's column map is introduced: canonical field, arrow, the column as
#: exported (``COLUMNS_READ.format(arrow="<-")``)
COLUMNS_READ = "columns read (field {arrow} column as exported)"
#: the longest a field's or column's name is in an input's column map
COLUMN_NAME_LIMIT = 60


def column_pairs(i: InputInfo, arrow: str = "<-",
                 piece: Callable[[str, int], str] = clip) -> list[str]:
    """``ticket_id <- number``: each canonical field of ``i.column_map`` beside the column
    of the export it was read from, in the report's order; ``piece`` makes each name safe
    for its format (:func:`clip`, or Markdown's escaping)."""
    return [f"{piece(field, COLUMN_NAME_LIMIT)} {arrow} {piece(col, COLUMN_NAME_LIMIT)}"
            for field, col in i.column_map.items()]


def delimiter_name(value: str | None) -> str:
    """A CSV delimiter named in words (a tab or a pipe would vanish in a table cell)."""
    if not value:
        return ""
    return _DELIMITERS.get(value, clip(value, 10))


# ---- periods and comparisons -----------------------------------------------------------

_SPARK = "▁▂▃▄▅▆▇█"


def score_trend(scores: list[int]) -> str:
    """Scores 0-7 as a one-line bar chart (on the absolute 0-7 scale, so two reports'
    trend lines compare at a glance)."""
    return "".join(_SPARK[max(0, min(7, s))] for s in scores)


def period_cells(p: PeriodOut, of: str = "/7",
                 joined: Callable[[list[str]], str] = ", ".join) -> tuple[str, str, str]:
    """A period's score, triggered signs (``joined``) and unknown count as shown: a dash
    each for a partial period, which is not graded."""
    if p.partial or p.score is None:
        return "—", "—", "—"
    return f"{p.score}{of}", joined(p.triggered) or "none", str(p.unknown)


def period_band(p: PeriodOut) -> str:
    """A period's band in words: a partial period is not graded, an undetermined one
    shows where its band lies."""
    if p.partial:
        return f"partial ({p.coverage:.0%} of the period): not graded"
    if p.band == "undetermined" and p.band_range:
        return f"undetermined ({p.band_range[0]} to {p.band_range[1]})"
    return p.band


def period_kind(r: Report) -> str:
    """'month' or 'quarter': what the report's periods are ('' without periods)."""
    if not r.periods:
        return ""
    return "quarter" if "Q" in r.periods[0].label else "month"


def change(d: Any) -> str:
    """A comparison's change as the reader can check it: the difference of the two values
    as shown (27.8 h -> 23.9 h reads -3.9 h, not the -3.8 h of the unrounded values);
    ``signed`` for ratios (whole percentages that move in tenths of a point)."""
    digits = None if d.unit == "ratio" else SHOWN_DIGITS.get(d.unit)
    if digits is None or d.old is None or d.new is None:
        return signed(d.delta, d.unit)
    return signed(round(round(d.new, digits) - round(d.old, digits), digits) + 0.0, d.unit)


def signed(value: float | None, unit: str) -> str:
    """A change for people: ``+3``, ``-1.5 h``, ``+4.2 pp`` (ratios move in percentage
    points); ``n/a`` when either side is missing."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value * 100:+.1f} pp"
    if unit == "count":
        return f"{value:+,.0f}"
    if unit == "index":
        return f"{value:+.2f}"
    if unit == "points":
        return points(value, signed=True)
    suffix = UNIT_SUFFIX.get(unit, "")
    return f"{value:+,.1f}{suffix}"


def status_move(old: str | None, new: str | None) -> str:
    return f"{old or 'absent'} → {new or 'absent'}"


CHANGE_WORDS = {"appeared": "newly triggered", "cleared": "cleared",
                "now_unknown": "now unknown", "now_measured": "now measured (clear)",
                "unchanged": "unchanged"}
#: after a sign's change when one of its thresholds moved between the two reports
UNDER_CHANGED_THRESHOLD = "under a changed threshold"
#: after a sign's change when it was measured under other params (or a changed calendar
#: or word list every sign reads)
UNDER_CHANGED_PARAMS = "under changed params"
#: after a sign's change when both moved
UNDER_CHANGED_RULES = "under a changed threshold and params"
#: the longest a comparison's note is shown: the settings note lists every value that
#: differs (each cut to a few words), so it is not cut at a table cell's length
COMPARE_NOTE_LIMIT = 6000


def under_changed_rules(s: SignChange) -> str:
    """Why a sign is not compared like for like, when its rules moved; '' when not."""
    if s.thresholds_changed and s.params_changed:
        return UNDER_CHANGED_RULES
    if s.thresholds_changed:
        return UNDER_CHANGED_THRESHOLD
    return UNDER_CHANGED_PARAMS if s.params_changed else ""


def change_words(s: SignChange) -> str:
    """A sign's change in words, qualified when it was graded under a changed threshold
    or measured under changed params ("cleared, under a changed threshold": not the
    process improving; "unchanged, under changed params": the same status says nothing of
    the process either) or within noise ("newly triggered, within noise": the gate does
    not fire on it)."""
    words = CHANGE_WORDS[s.change]
    rules = under_changed_rules(s)
    if rules:
        words = f"{words}, {rules}"
    return f"{words}, {WITHIN_NOISE}" if s.within_noise else words


def moved_signs(c: Comparison, ids: Sequence[str],
                name: Callable[[str], str] = str) -> str:
    """Signs that appeared or cleared, each named by ``name`` and qualified when it was
    graded under a changed threshold or measured under changed params."""
    rules = {s.id: under_changed_rules(s) for s in c.signs}
    noisy = {s.id for s in c.signs if s.within_noise}

    def said(i: str) -> str:
        quals = [q for q, held in ((rules.get(i, ""), bool(rules.get(i))),
                                   (WITHIN_NOISE, i in noisy)) if held]
        return f"{name(i)} ({', '.join(quals)})" if quals else name(i)

    return ", ".join(said(i) for i in ids)


def data_notes(r: Report) -> list[str]:
    """The report's data notes less any the window's "how it was chosen" already says (a
    window that thins out is both: shown once)."""
    return [n for n in r.data_notes if n not in r.window.how_chosen]


def count_suffix(text: str, count: int | None) -> str:
    """" (387)" after a note, unless its text already says that number ("387 tickets
    lack a requester… (387)" says it twice)."""
    said = {int(n.replace(",", "")) for n in re.findall(r"(?<![\d.,])\d[\d,]*(?![\d,]|\.\d)",
                                                          text)}
    return "" if count is None or count in said else f" ({count:,})"


def _band_words(band: str, span: Sequence[str] | None) -> str:
    return (f"{band} ({span[0]} to {span[1]})" if band == "undetermined" and span
            and span[0] != span[1] else band)


def comparison_headline(c: Comparison) -> str:
    """'Score 3 → 4 (+1), band gaps → slowing (worse).' An undetermined band says where
    it lies, and a band that settled or unsettled says so, never "same"."""
    old = _band_words(c.band_old, c.baseline.band_range)
    new = _band_words(c.band_new, c.current.band_range)
    if old == new:
        band = f"band {new} (unchanged)"
    elif c.band_direction is None:
        # moved by signs measured on one side only or under changed thresholds
        band = f"band {old} → {new} ({c.direction_note})"
    elif c.band_direction != "same":
        band = f"band {old} → {new} ({c.band_direction})"
    elif c.band_old == "undetermined" and c.band_new != "undetermined":
        band = f"band {old} → {new} (now settled)"
    elif c.band_new == "undetermined" and c.band_old != "undetermined":
        band = f"band {old} → {new} (no longer settled)"
    else:
        band = f"band {old} → {new} (its range moved)"
    # a score moved by a sign not comparable has no direction: say why, on the band when
    # the band moved with it, else on the score
    on_band = old != new and c.band_direction is None
    why = f" ({c.direction_note})" if c.direction_note and not on_band else ""
    return (f"Score {c.baseline.score} → {c.current.score} "
            f"({signed(c.score.delta, 'count')}){why}, {band}.")


def comparison_verdict(c: Comparison) -> str:
    """The --fail-on-increase verdict in words."""
    # a sign measured under other params that flipped counts on neither side
    apart = [s.id for s in c.signs
             if s.params_changed and (s.old == "triggered") != (s.new == "triggered")]
    why = (f" ({', '.join(apart)}: measured under changed params, counted on neither side)"
           if apart else "")
    if c.increased:
        return f"Worse than the baseline: --fail-on-increase would fail{why}."
    return f"Not worse than the baseline: --fail-on-increase would pass{why}."
