"""Review 17b, finding 5: the flow view showed a "(no group)" row counting every ticket
with 0.0 h, and credited each ticket's creation save (status New, group A in one save)
to "(no group)": at one time the events kept their input order, the status event before
the assignment event, so the status update had no group yet.

The world is flowkit's hand-made flow (200 tickets; each ticket's first save sets New
and Service Desk at its opened time), its events in the audit log's order: a save's
status row before its assignment row."""

from __future__ import annotations

from typing import Any

import pandas as pd

from flowkit import DESK, NET, SD, VENDOR, flow_world
from itsm_diag import config, engine
from itsm_diag.analyses import flow
from itsm_diag.signs.base import Context


def _flow(tickets: pd.DataFrame, events: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    rules = config.load_rules()
    ctx = Context(tickets=tickets, events=events,
                  window=engine.choose_window(tickets, rules).window,
                  defaults=rules.defaults.model_dump(),
                  analyses={a.id: a.params for a in rules.analyses.values()})
    meas = flow.measure(ctx, rules.analyses["flow"].params)
    assert meas.unknown is None
    return meas.tables


def _status_first(events: pd.DataFrame) -> pd.DataFrame:
    """The events with every status row before the assignment rows (input order)."""
    first = events.sort_values("kind", key=lambda k: (k != "status").astype(int),
                               kind="stable")
    return first.reset_index(drop=True)


def _rows(tables: dict[str, list[dict[str, Any]]], name: str) -> dict[str, dict[str, Any]]:
    return {r["group"]: {k: v for k, v in r.items() if k != "sample_ids"}
            for r in tables[name]}


def test_the_creation_save_belongs_to_the_group_it_assigned() -> None:
    w = flow_world()
    got = _flow(w.tickets, _status_first(w.events))
    want = _flow(w.tickets, w.events)
    for name in ("time_in_group", "touchpoints_by_group", "idle_by_group"):
        assert "(no group)" not in _rows(got, name), name
        # the same answer whatever the input order of one save's rows
        assert _rows(got, name) == _rows(want, name), name
    touch = _rows(got, "touchpoints_by_group")
    # Service Desk: the creation save (New, its assignment); the 40 vendor tickets and
    # the 60 bounced ones come back to it (its assignment, In Progress, Resolved)
    assert set(touch) == {SD, NET, VENDOR, DESK}
    assert touch[SD]["tickets"] == 200 and touch[DESK]["median_updates"] == 3


def test_a_ticket_without_a_group_still_shows_as_such() -> None:
    """"(no group)" stays where a ticket truly had none: the 100 straight tickets are
    assigned to Service Desk half an hour after their New save."""
    w = flow_world()
    ev = w.events.copy()
    late = ev["ticket_id"].isin(w.straight) & (ev["kind"] == "assignment") & (
        ev["value"] == SD)
    ev.loc[late, "at"] = ev.loc[late, "at"] + pd.Timedelta(minutes=30)
    rows = _rows(_flow(w.tickets, _status_first(ev)), "time_in_group")
    assert rows["(no group)"]["tickets"] == 100
    assert rows["(no group)"]["median_hours"] == 0.5
