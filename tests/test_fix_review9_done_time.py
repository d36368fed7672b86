"""One done moment per ticket: a ServiceNow audit log fills a missing resolved time from
its status history (a review).

The real log holds 1,543 tickets whose latest row has no ``resolved_at`` although their
history shows them ``Resolved`` (INC0002883: Resolved 6/3/2016 00:05, Closed 24/3/2016
18:40). The backlog counted them done at the Resolved event, the KPI panel, duplicates,
drivers and the flow's paths at the auto-close about 120 h later: a median time to resolve
of 23.9 h where the history gives 7.4 h, and with resolved_at blanked on 30% of tickets
(history intact) trust flipped to triggered. The importer now takes the resolved time from
the history: the last entry into the resolved/closed run the ticket ends in.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

HEADER = ("number,incident_state,sys_mod_count,assignment_group,opened_at,sys_updated_at,"
          "resolved_at,closed_at\n")


def _row(number: str, state: str, count: int, opened: str, updated: str,
         resolved: str = "?", closed: str = "?") -> str:
    return f"{number},{state},{count},Group 1,{opened},{updated},{resolved},{closed}\n"


def _history_note(warnings: list[str]) -> list[str]:
    return [w for w in warnings if w.startswith("resolved time taken from the status history")]


def test_a_missing_resolved_time_comes_from_the_run_the_ticket_ends_in(
        tmp_path: Path) -> None:
    op = "1/3/2016 10:00"
    rows = [
        # Resolved at its first event, closed 5 days later, no resolved_at (INC0002883)
        _row("INC0000001", "Resolved", 0, op, op, closed="6/3/2016 10:00"),
        _row("INC0000001", "Closed", 1, op, "6/3/2016 10:00", closed="6/3/2016 10:00"),
        # resolved, reopened, resolved again: the second resolution, as resolved_at is
        _row("INC0000002", "New", 0, op, op),
        _row("INC0000002", "Resolved", 1, op, "1/3/2016 12:00"),
        _row("INC0000002", "Active", 2, op, "2/3/2016 09:00"),
        _row("INC0000002", "Resolved", 3, op, "2/3/2016 15:30"),
        _row("INC0000002", "Closed", 4, op, "7/3/2016 16:00", closed="7/3/2016 16:00"),
        # a resolved_at of its own is kept
        _row("INC0000003", "New", 0, op, op),
        _row("INC0000003", "Resolved", 1, op, "1/3/2016 11:00", resolved="1/3/2016 11:05"),
        _row("INC0000003", "Closed", 2, op, "6/3/2016 11:00", resolved="1/3/2016 11:05",
             closed="6/3/2016 11:00"),
        # closed without ever being resolved: no resolved time is invented
        _row("INC0000004", "New", 0, op, op),
        _row("INC0000004", "Closed", 1, op, "3/3/2016 10:00", closed="3/3/2016 10:00"),
        # resolved once, open again now: not resolved
        _row("INC0000005", "New", 0, op, op),
        _row("INC0000005", "Resolved", 1, op, "1/3/2016 13:00"),
        _row("INC0000005", "Active", 2, op, "2/3/2016 13:00"),
        # resolved, then cancelled: a cancelled ticket was not resolved
        _row("INC0000006", "Resolved", 0, op, "1/3/2016 14:00"),
        _row("INC0000006", "Canceled", 1, op, "2/3/2016 14:00", closed="2/3/2016 14:00"),
        # its Resolved row was stamped before the ticket's opened time: at the opening
        _row("INC0000007", "Resolved", 0, op, "1/3/2016 09:00"),
        _row("INC0000007", "Closed", 1, op, "6/3/2016 09:00", closed="6/3/2016 09:00"),
        # resolved, and its latest row still resolved (not yet closed)
        _row("INC0000008", "New", 0, op, op),
        _row("INC0000008", "Resolved", 1, op, "1/3/2016 18:00"),
        _row("INC0000008", "Resolved", 2, op, "1/3/2016 19:00"),
    ]
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "".join(rows))
    loaded = load_paths([log], ImportOptions(date_format="dayfirst"))
    t = loaded.tickets.set_index(m.TICKET_ID)
    res = t[m.RESOLVED_AT]

    def at(text: str) -> pd.Timestamp:
        return pd.Timestamp(text, tz="UTC")

    assert res["INC0000001"] == at("2016-03-01 10:00")
    assert res["INC0000002"] == at("2016-03-02 15:30")
    assert res["INC0000003"] == at("2016-03-01 11:05")
    assert pd.isna(res["INC0000004"]) and pd.isna(res["INC0000005"])
    assert pd.isna(res["INC0000006"])
    assert res["INC0000007"] == at("2016-03-01 10:00")  # never before the opened time
    assert res["INC0000008"] == at("2016-03-01 18:00")
    assert (res.dropna() >= t.loc[res.notna(), m.OPENED_AT]).all()
    notes = _history_note(loaded.sources[0].warnings)
    assert len(notes) == 1 and "for 4 tickets" in notes[0], loaded.sources[0].warnings


def test_a_list_export_keeps_its_resolved_times_and_says_nothing(tmp_path: Path) -> None:
    """No history (one row a number): a closed ticket without resolved_at stays so."""
    path = tmp_path / "list.csv"
    path.write_text(HEADER + _row("INC0000001", "Closed", 3, "1/3/2016 10:00",
                                  "6/3/2016 10:00", closed="6/3/2016 10:00")
                    + _row("INC0000002", "Resolved", 2, "1/3/2016 10:00",
                           "1/3/2016 12:00"))
    loaded = load_paths([path], ImportOptions(date_format="dayfirst"))
    assert loaded.tickets[m.RESOLVED_AT].isna().all()
    assert not _history_note(loaded.sources[0].warnings)


def _log_with_auto_close(tmp_path: Path) -> Path:
    """40 tickets opened over two weeks, each resolved 2 hours after it was opened and
    auto-closed 120 hours later, with no resolved_at on any row (the history intact)."""
    rows = []
    start = pd.Timestamp("2016-03-01 08:00")
    fmt = "%d/%m/%Y %H:%M"
    for i in range(40):
        opened = start + pd.Timedelta(hours=8 * i)
        resolved = opened + pd.Timedelta(hours=2)
        closed = resolved + pd.Timedelta(hours=120)
        number = f"INC{i + 1:07d}"
        o, r, c = opened.strftime(fmt), resolved.strftime(fmt), closed.strftime(fmt)
        rows += [_row(number, "New", 0, o, o), _row(number, "Resolved", 1, o, r),
                 _row(number, "Closed", 2, o, c, closed=c)]
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "".join(rows))
    return log


def test_time_to_resolve_and_the_flow_paths_read_the_resolution_not_the_auto_close(
        tmp_path: Path) -> None:
    report = api.diagnose_paths([_log_with_auto_close(tmp_path)], api.RunOptions())
    ttr = report.kpis.time_to_resolve_hours
    assert ttr["n"] == 40 and ttr["median"] == 2.0, ttr
    paths = report.analyses["flow"].tables["status_variants"].rows
    row = next(r for r in paths if r["path"] == "New → Resolved → Closed")
    assert row["tickets"] == 40 and row["median_hours"] == 2.0, row
    assert any(n.startswith("resolved time taken from the status history for 40 tickets")
               for n in report.inputs[0].warnings)
