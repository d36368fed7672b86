"""Text helpers every layer shares: filling rule-file templates (a ``str.format`` that
never fails on missing values) and the whitespace-folding pattern."""

from __future__ import annotations

import math
import string
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


class _SafeFormatter(string.Formatter):
    """Missing or None values print as ``n/a``; a bad spec falls back to ``str()``."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str):
            return kwargs.get(key)
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FMT = _SafeFormatter()

# units in words (an "h" is the one abbreviation, and every report says it means hours)
UNIT_SUFFIX = {"hours": " h", "days": " days", "weeks": " weeks", "per_quarter": " a quarter",
               "per_month": " a month"}


def figure(value: float | None, unit: str) -> str:
    """A metric value for people: ratios as percentages, counts as integers."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in UNIT_SUFFIX:
        return f"{value:,.1f}{UNIT_SUFFIX[unit]}"
    return f"{value:g}"


def fmt(template: str, values: Mapping[str, Any]) -> str:
    """Fill a rule-file template (whitespace folded to single spaces)."""
    return " ".join(_FMT.format(template, **values).split())
