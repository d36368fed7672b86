"""What a sign (or extra check) module receives and returns.

A module ``itsm_diag.signs.<id>`` (or ``itsm_diag.checks.<id_with_underscores>``) exposes::

    def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement

It only measures: it never decides triggered/clear (the engine grades the metrics
against the rule file's thresholds) and never writes user-facing sentences (every
code it emits in a :class:`Note` is worded by the rule file's ``messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from itsm_diag import model as m

Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Window:
    """The analysis window, [start, end], UTC."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> float:
        return float((self.end - self.start) / pd.Timedelta(days=1))

    @property
    def months(self) -> float:
        """Length in months of 30.44 days (for 'per month' figures)."""
        return self.days / 30.4375

    def contains(self, ts: pd.Series) -> pd.Series:
        """Mask of timestamps inside the window (NaT is outside)."""
        return ((ts >= self.start) & (ts <= self.end)).fillna(False).astype(bool)


@dataclass(frozen=True)
class Calendar:
    """Business days: a numpy weekmask and holiday dates."""

    weekmask: str = "1111100"
    holidays: tuple[str, ...] = ()

    def busday_count(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Whole business days from ``start``'s date to ``end``'s date (vectorised).

        NaT in either gives <NA>. Negative when end is before start.
        """
        ok = start.notna() & end.notna()
        out = pd.Series(pd.NA, index=start.index, dtype="Int64")
        if not ok.any():
            return out
        s = start[ok].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[D]")
        e = end[ok].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[D]")
        hol = np.array(self.holidays, dtype="datetime64[D]")
        counts = np.busday_count(s, e, weekmask=self.weekmask, holidays=hol)
        out[ok] = counts
        return out


@dataclass(frozen=True)
class Context:
    """Everything a measurement may look at.

    ``tickets`` is the whole canonical table (not cut to the window: a backlog at the
    window start needs tickets opened before it); each sign applies its own scope.
    ``done_at`` / ``done_source`` are precomputed once (see :func:`model.done_at`).
    """

    tickets: pd.DataFrame
    events: pd.DataFrame
    window: Window
    calendar: Calendar = field(default_factory=Calendar)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    max_samples: int = 10

    @property
    def done_at(self) -> pd.Series:
        return _cached(self, "_done_at", lambda: m.done_at(self.tickets))

    @property
    def done_source(self) -> pd.Series:
        return _cached(self, "_done_source", lambda: m.done_source(self.tickets))

    def of_kind(self, *kinds: str) -> pd.Series:
        """Mask of tickets whose kind is one of ``kinds``."""
        return self.tickets[m.KIND].isin(kinds).fillna(False).astype(bool)

    def opened_in_window(self) -> pd.Series:
        return self.window.contains(self.tickets[m.OPENED_AT])

    def samples(self, mask: pd.Series, order_by: pd.Series | None = None) -> list[str]:
        """Up to ``max_samples`` ticket ids under ``mask`` (stable: sorted, or by ``order_by``)."""
        return sample_ids(self.tickets, mask, self.max_samples, order_by)


def _cached(ctx: Context, name: str, make: Any) -> pd.Series:
    cache = ctx.__dict__.setdefault("_cache", {})
    if name not in cache:
        cache[name] = make()
    return cache[name]


def sample_ids(
    tickets: pd.DataFrame, mask: pd.Series, n: int = 10, order_by: pd.Series | None = None
) -> list[str]:
    """Up to ``n`` ticket ids where ``mask`` holds; sorted by ``order_by`` (desc) or by id."""
    ids = tickets.loc[mask, m.TICKET_ID]
    if order_by is not None:
        ids = ids.iloc[np.argsort(-order_by[mask].to_numpy(dtype="float64", na_value=-np.inf),
                                  kind="stable")]
    else:
        ids = ids.sort_values()
    return [str(x) for x in ids.head(n).tolist()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(_Strict):
    """One measured value, with how it was computed.

    ``value`` is what thresholds compare (a ratio is 0..1, never a percentage);
    ``None`` means the data could not give it. Numerator/denominator are given for
    every ratio; ``sample_ids`` name tickets that stand behind it.
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample_ids: list[str] = Field(default_factory=list)


class Note(_Strict):
    """A coded statement; the rule file's ``messages[code]`` words it using ``params``."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    count: int | None = None
    sample_ids: list[str] = Field(default_factory=list)


class Cost(_Strict):
    """Agent hours per month at stake for one basis (the rule file's ``costs[basis]``)."""

    basis: str
    hours_per_month: float
    params: dict[str, Any] = Field(default_factory=dict)


class Measurement(_Strict):
    """What a sign or check module returns."""

    metrics: dict[str, Figure] = Field(default_factory=dict)
    #: set when the data cannot answer at all: the sign is ``unknown`` whatever the metrics
    unknown: Note | None = None
    confidence: Confidence = "high"
    #: evidence tables, e.g. automation candidates or top clusters (rows of plain values)
    tables: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    #: series for charts, e.g. the weekly backlog (rows of plain values)
    series: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    #: records in scope that could not be used, and why
    excluded: list[Note] = Field(default_factory=list)
    #: data notes (mass closure, ramp-up, which key or tier was used)
    notes: list[Note] = Field(default_factory=list)
    costs: list[Cost] = Field(default_factory=list)

    def value(self, metric: str) -> float | None:
        fig = self.metrics.get(metric)
        return None if fig is None else fig.value


def ratio(numerator: float, denominator: float, ids: list[str] | None = None) -> Figure:
    """A ratio figure; ``None`` value when the denominator is zero."""
    value = float(numerator) / float(denominator) if denominator else None
    return Figure(
        value=value,
        numerator=float(numerator),
        denominator=float(denominator),
        sample_ids=ids or [],
    )


def per_month(count: float, window: Window) -> float:
    """Scale a count over ``window`` to a 30.44-day month."""
    return float(count) / window.months if window.months > 0 else 0.0


ParamMap = Mapping[str, Any]
