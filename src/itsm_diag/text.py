"""Text helpers every layer shares: filling rule-file templates (a ``str.format`` that
never fails on missing values) and the whitespace-folding pattern."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

#: replaced by one space, folds every run of whitespace to one space, as ``\s+`` does, but
#: matches only where something changes (a run of two or more, or a lone tab or newline):
#: a lone space, most of any text, is no match to replace. Arrow's RE2 replacement is
#: ~8x faster so (0.11 -> 0.014 s on 78k summaries). Valid for RE2 and Python's re.
SPACE_RUNS = r"\s{2,}|[^\S ]"


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


def fmt(template: str, values: Mapping[str, Any]) -> str:
    """Fill a rule-file template (whitespace folded to single spaces)."""
    return " ".join(_FMT.format(template, **values).split())
