"""Review 18a #2, #3: a frame's inputs (importers/frames.py ``_parts``, ``_named``).

#2: the usual frame (no source_tool / source_file) is one input, handed on as it is (no
copy of every ticket, no lookup of every event); a frame of several inputs still gives
each event to its ticket's input (the first input when no ticket has its id).
#3: a source column that names the default label on some rows and nothing on others is
read, not refused with a bare ValueError.
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers import frames as F
from itsm_diag.importers.base import ImportOptions


def _tickets(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        m.TICKET_ID: [f"T{i}" for i in range(n)], m.KIND: "incident", m.STATUS: "open",
        m.OPENED_AT: pd.date_range("2026-03-02 09:00", periods=n, freq="D", tz="UTC")})


def _events(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({m.EV_TICKET_ID: ids, m.EV_KIND: "assignment",
                         m.EV_AT: pd.Timestamp("2026-03-10", tz="UTC")})


def _split(tickets: pd.DataFrame, events: pd.DataFrame) -> list:
    """The inputs ``_parts`` makes of the frames, as read_frames calls it."""
    seen: list = []
    real = F._parts

    def spy(*args: object) -> list:
        seen.append(args)
        return real(*args)  # type: ignore[arg-type]

    F._parts = spy  # type: ignore[assignment]
    try:
        F.read_frames(tickets, events, ImportOptions())
    finally:
        F._parts = real  # type: ignore[assignment]
    return [seen[0], real(*seen[0])]


def test_one_input_frame_is_handed_on_without_a_copy() -> None:
    (t, ev, *_), parts = _split(_tickets(), _events(["T1", "T2", "X9"]))
    assert len(parts) == 1
    assert parts[0].tickets is t and parts[0].events is ev
    assert parts[0].info.rows == 6 and parts[0].info.tickets == 6
    assert parts[0].info.path == F.FRAME_FILE and parts[0].info.tool == F.FRAME_TOOL


def test_each_event_goes_with_its_tickets_input() -> None:
    t = _tickets().assign(**{m.SOURCE_TOOL: ["jira", "servicenow", "jira", "servicenow",
                                              "servicenow", "jira"]})
    _, parts = _split(t, _events(["T1", "T0", "T3", "X9", "T5", "T4", None]))
    assert [(p.info.tool, p.info.rows) for p in parts] == [("jira", 3), ("servicenow", 3)]
    # X9 and the event without an id have no ticket: the first input takes them
    assert [list(p.events[m.EV_TICKET_ID].astype(object).fillna("-")) for p in parts] == [
        ["T0", "X9", "T5", "-"], ["T1", "T3", "T4"]]


def test_source_file_naming_the_default_on_some_rows_is_read() -> None:
    t = _tickets(2).assign(**{m.SOURCE_FILE: [F.FRAME_FILE, None],
                              m.SOURCE_TOOL: [None, F.FRAME_TOOL]})
    loaded = F.read_frames(t, None, ImportOptions())
    assert [(s.path, s.tool, s.rows) for s in loaded.sources] == [
        (F.FRAME_FILE, F.FRAME_TOOL, 2)]
    report = api.diagnose_frames(t)
    assert report.tickets.total == 2
