"""Small text helpers every renderer shares: number formatting and making ticket text safe.

Ticket-derived text (summaries, categories, ids, file names) reaches the report verbatim;
each renderer escapes it for its own syntax, and all of them first pass it through
:func:`clean`, which makes control characters (terminal escape sequences included)
visible instead of active, and :func:`clip`, which keeps one runaway value from swamping
a table.
"""

from __future__ import annotations

from typing import Any

from itsm_diag.report import Comparison, Finding, Report
from itsm_diag.text import shown

#: the longest a ticket-derived value may be in a table cell or list item
CELL_LIMIT = 200

#: what a redacted report says about itself (``--redact``), in every format
REDACTED_NOTE = ("Redacted for sharing: people are pseudonyms (Requester N, Agent N); e-mail "
                 "addresses, phone numbers and ticket text are removed.")

MARKS = {"triggered": "✘", "clear": "✔", "unknown": "?"}
_UNIT_SUFFIX = {"hours": " h", "days": " d", "weeks": " wk", "per_quarter": " /qtr",
                "per_month": " /mo"}


def figure(value: float | None, unit: str) -> str:
    """A metric value for people: ratios as percentages, counts as integers."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in _UNIT_SUFFIX:
        return f"{value:,.1f}{_UNIT_SUFFIX[unit]}"
    return f"{value:g}"


def clean(text: object) -> str:
    """``text`` as a string whose control characters are shown, not obeyed
    (``\\x1b[31m`` prints as the six characters ``\\x1b[31m``): :func:`itsm_diag.text.shown`."""
    return shown(text)


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
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return one_line(", ".join(clean(v) for v in value), limit)
    if isinstance(value, dict):
        return one_line(", ".join(f"{k}: {v}" for k, v in value.items()), limit)
    return one_line(value, limit)


def hours(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def key_figure_text(f: Finding) -> str:
    """What the checklist shows for a finding: its key figure, or why it is unknown."""
    if f.self_assessed:
        return "self-assessed"
    if f.status == "unknown":
        return "unknown: " + f.reason
    return f"{f.key_figure.label}: {figure(f.key_figure.value, f.key_figure.unit)}"


def unknown_range(r: Report) -> str:
    """'3 now, up to 5 if the 2 unknown signs apply.' ('' when nothing is unknown)."""
    if not r.unknown:
        return ""
    plural = "s" if r.unknown != 1 else ""
    return (f"{r.score} now, up to {r.score_max_if_unknown_apply} if the {r.unknown} "
            f"unknown sign{plural} apply.")


def headline(r: Report) -> str:
    """The one-line verdict: what ``--quiet`` prints."""
    line = f"itsm-diag: score {r.score}/7 {r.band.upper()}: {r.band_text}"
    extra = unknown_range(r)
    line = f"{line} {extra}" if extra else line
    return f"{line} [redacted]" if r.redacted else line


def ticket_counts(r: Report) -> str:
    kinds = ", ".join(f"{n:,} {k}" for k, n in r.tickets.by_kind.items() if n)
    return f"{r.tickets.total:,} tickets ({kinds})" if kinds else f"{r.tickets.total:,} tickets"


def ttr_text(r: Report) -> str:
    ttr = r.kpis.time_to_resolve_hours
    if ttr.get("median") is None:
        return "n/a"
    return (f"median {ttr['median']:,.1f} h, p90 {ttr.get('p90') or 0:,.1f} h "
            f"(n={ttr.get('n') or 0:,.0f})")


def kpi_label(r: Report, key: str) -> str:
    """The KPI's name as the Report carries it (worded by the rules); the bare key only
    for a report that has no labels, so a KPI row is never left unnamed."""
    return r.kpis.labels.get(key, key)


def top_categories(r: Report, n: int = 5) -> list[tuple[str, int]]:
    return sorted(r.kpis.volume_by_category.items(), key=lambda kv: -kv[1])[:n]


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """The union of the rows' keys, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


_DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}


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


def period_kind(r: Report) -> str:
    """'month' or 'quarter': what the report's periods are ('' without periods)."""
    if not r.periods:
        return ""
    return "quarter" if "Q" in r.periods[0].label else "month"


def signed(value: float | None, unit: str) -> str:
    """A change for people: ``+3``, ``-1.5 h``, ``+4.2 pp`` (ratios move in percentage
    points); ``n/a`` when either side is missing."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value * 100:+.1f} pp"
    if unit == "count":
        return f"{value:+,.0f}"
    suffix = _UNIT_SUFFIX.get(unit, "")
    return f"{value:+,.1f}{suffix}"


def status_move(old: str | None, new: str | None) -> str:
    return f"{old or 'absent'} → {new or 'absent'}"


CHANGE_WORDS = {"appeared": "newly triggered", "cleared": "cleared",
                "now_unknown": "now unknown", "now_measured": "now measured (clear)",
                "unchanged": "unchanged"}


def comparison_headline(c: Comparison) -> str:
    """'Score 3 → 4 (+1), band gaps → slowing (worse).'"""
    band = (f"band {c.band_old} → {c.band_new} ({c.band_direction})"
            if c.band_old != c.band_new else f"band {c.band_new} (unchanged)")
    return (f"Score {c.baseline.score} → {c.current.score} "
            f"({signed(c.score.delta, 'count')}), {band}.")


def comparison_verdict(c: Comparison) -> str:
    """The --fail-on-increase verdict in words."""
    if c.increased:
        return "Worse than the baseline: --fail-on-increase would fail."
    return "Not worse than the baseline: --fail-on-increase would pass."
