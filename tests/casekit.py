"""Build canonical tables from compact YAML rows, and run one sign/check case.

A row is a mapping of canonical column -> value (timestamps as ISO text). Special keys:
``_count`` (copies, default 1), ``_every`` (a pandas offset such as ``1D`` or ``6h``:
each copy's timestamps move on by it), ``_id`` (ticket id prefix; ids are numbered
when ``ticket_id`` is absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from itsm_diag import config, engine
from itsm_diag import model as m
from itsm_diag.report import Finding
from itsm_diag.signs.base import Calendar, Context

_SPECIAL = {"_count", "_every", "_id"}


def _spliced(specs: list[Any]) -> list[Mapping[str, Any]]:
    """The specs with a nested list (an alias to another case's tickets plus a few rows
    more, ``[*base, {...}]``) spliced in place."""
    return [row for spec in specs
            for row in (_spliced(spec) if isinstance(spec, list) else [spec])]


def expand_rows(specs: list[Mapping[str, Any]], prefix: str = "T") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n = 0
    for spec in _spliced(specs):
        count = int(spec.get("_count", 1))
        every = pd.Timedelta(spec["_every"]) if "_every" in spec else pd.Timedelta(0)
        pid = str(spec.get("_id", prefix))
        for i in range(count):
            row = {k: v for k, v in spec.items() if k not in _SPECIAL}
            for col in m.TIMESTAMP_COLUMNS:
                if row.get(col) is not None:
                    row[col] = pd.Timestamp(row[col], tz="UTC") + every * i
            if "ticket_id" not in row:
                n += 1
                row["ticket_id"] = f"{pid}{n:05d}"
            elif count > 1:
                row["ticket_id"] = f"{row['ticket_id']}-{i}"
            rows.append(row)
    return rows


def tickets_frame(specs: list[Mapping[str, Any]]) -> pd.DataFrame:
    rows = expand_rows(specs)
    if not rows:
        return m.empty_tickets()
    df = pd.DataFrame(rows)
    for col in m.TIMESTAMP_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_datetime(df[col], utc=True)
    return m.conform_tickets(df)


def events_frame(specs: list[Mapping[str, Any]]) -> pd.DataFrame:
    if not specs:
        return m.empty_events()
    rows = []
    for spec in specs:
        count = int(spec.get("_count", 1))
        every = pd.Timedelta(spec["_every"]) if "_every" in spec else pd.Timedelta(0)
        for i in range(count):
            row = {k: v for k, v in spec.items() if k not in _SPECIAL}
            row[m.EV_AT] = pd.Timestamp(row[m.EV_AT], tz="UTC") + every * i
            rows.append(row)
    df = pd.DataFrame(rows)
    df[m.EV_AT] = pd.to_datetime(df[m.EV_AT], utc=True)
    return m.conform_events(df)


def context_over(tickets: pd.DataFrame) -> Context:
    """A bare Context over ``tickets`` (no events, January 2024 as the window), for tests
    of what a Context computes and caches rather than of a rule."""
    return Context(tickets=tickets, events=pd.DataFrame(),
                   window=engine.Window(pd.Timestamp("2024-01-01", tz="UTC"),
                                        pd.Timestamp("2024-02-01", tz="UTC")))


def run_case(rule_id: str, case: Mapping[str, Any]) -> Finding:
    """Measure and grade one rule on the case's tables; window ends at ``as_of``."""
    rules = config.load_rules()
    if case.get("config"):
        rules = config.apply_overrides(rules, case["config"], source="case")
    tickets = tickets_frame(case.get("tickets") or [])
    events = events_frame(case.get("events") or [])
    as_of = pd.Timestamp(case["as_of"], tz="UTC")
    weeks = int(case.get("window_weeks", rules.defaults.window_weeks))
    window = engine.Window(start=as_of - pd.Timedelta(weeks=weeks), end=as_of)
    choice = engine.WindowChoice(window=window, how="case")
    d = rules.defaults
    ctx = Context(
        tickets=tickets, events=events, window=window,
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(), max_samples=d.max_samples,
    )
    rule = rules.get(rule_id)
    return engine.build_finding(rule, engine.measure(rule, ctx), choice, rules)
