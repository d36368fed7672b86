"""ServiceNow and Jira read a status outside the vocabulary on a ticket with a done time
as done, with the warning the other importers give (follow-up of baadeb5).

The Freshservice, Zendesk and mapping importers read such a ticket as done (closed with a
closed time, else resolved) and say so, naming the values
(``itsm_diag.importers.values.done_by_time``). ServiceNow left it without status (an
instance's custom state ``Closed - Verified`` kept every closed incident open), and Jira
read an unknown workflow status with a Resolved time as resolved without a word.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from shapes import healthy_desk

_SN_HEADER = ["number", "short_description", "state", "priority", "category",
              "assignment_group", "caller_id", "opened_at", "resolved_at", "closed_at"]


def _sn_rows() -> list[list[str]]:
    """:func:`shapes.healthy_desk` as a ServiceNow incident list (open: In Progress)."""
    def f(t: datetime | None) -> str:
        return t.strftime("%Y-%m-%d %H:%M:%S") if t else ""

    return [[f"INC{i + 1:07d}", "Laptop issue", t.status or "In Progress", "3 - Moderate",
             "Hardware", "Desk", f"Caller {i % 200}", f(t.opened), f(t.resolved), f(t.closed)]
            for i, t in enumerate(healthy_desk(600, seed=4))]


def _write_sn(path: Path, rename: Callable[[str], str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_SN_HEADER)
        for row in _sn_rows():
            w.writerow([*row[:2], rename(row[2]), *row[3:]])
    return path


def _read_as_done(warnings: list[str]) -> str:
    (said,) = [w for w in warnings if "read as done" in w]
    return said


def test_servicenow_custom_states_with_a_done_time_are_done(tmp_path: Path) -> None:
    def rename(s: str) -> str:
        return {"Closed": "Closed - Verified", "Resolved": "Fixed"}.get(s, s)

    path = _write_sn(tmp_path / "incident.csv", rename)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    verified = t[m.STATUS_RAW] == "Closed - Verified"
    fixed = t[m.STATUS_RAW] == "Fixed"
    assert verified.sum() > 100 and fixed.sum() > 100
    # before: both left without status, and every sign counted them open
    assert (t.loc[verified, m.STATUS] == "closed").all()
    assert (t.loc[fixed, m.STATUS] == "resolved").all()
    assert isinstance(t[m.STATUS].dtype, pd.CategoricalDtype)
    warnings = loaded.sources[0].warnings
    said = _read_as_done(warnings)
    assert said.startswith("state: ")
    assert f"'Closed - Verified' ({int(verified.sum()):,})" in said
    assert f"'Fixed' ({int(fixed.sum()):,})" in said
    assert f"closed ({int(verified.sum()):,}, a closed time)" in said
    assert f"resolved ({int(fixed.sum()):,}, a resolved time only)" in said
    assert not any("left without status" in w for w in warnings)


def test_servicenow_healthy_desk_with_a_custom_close_state_stays_clear(tmp_path: Path
                                                                      ) -> None:
    plain = api.diagnose_paths([_write_sn(tmp_path / "plain.csv", lambda s: s)],
                               api.RunOptions())
    custom = api.diagnose_paths([_write_sn(
        tmp_path / "custom.csv", lambda s: "Closed - Verified" if s == "Closed" else s)],
        api.RunOptions())

    def sign(r: api.Report, sid: str) -> tuple[str, str]:
        found = next(f for f in r.signs if f.id == sid)
        return found.status, found.confidence

    assert sign(plain, "backlog")[0] == "clear"
    for sid in ("backlog", "reporting"):
        assert sign(custom, sid) == sign(plain, sid)
    assert custom.kpis.time_to_resolve_hours == plain.kpis.time_to_resolve_hours


def test_servicenow_state_without_a_done_time_is_still_left_without_status(
        tmp_path: Path) -> None:
    path = _write_sn(tmp_path / "parts.csv",
                     lambda s: "Awaiting Parts" if s == "In Progress" else s)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    assert t.loc[t[m.STATUS_RAW] == "Awaiting Parts", m.STATUS].isna().all()
    assert any("left without status" in w and "'Awaiting Parts'" in w
               for w in loaded.sources[0].warnings)
    assert not any("read as done" in w for w in loaded.sources[0].warnings)


def test_servicenow_mixed_task_types_and_the_audit_log(tmp_path: Path) -> None:
    # several kinds in one task export: each kind's own labels, then the done time
    task = tmp_path / "task.csv"
    task.write_text(
        "number,sys_class_name,state,opened_at,closed_at\n"
        "TASK0001001,Epic,Signed off,2026-03-02 09:00:00,2026-03-20 09:00:00\n"
        "TASK0001002,Task,Signed off,2026-03-03 09:00:00,2026-03-04 09:00:00\n"
        "TASK0001003,Task,Signed off,2026-03-03 09:00:00,\n"
        "TASK0001004,Catalog Task,Closed Skipped,2026-03-04 09:00:00,2026-03-05 09:00:00\n")
    loaded = load_paths([task], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t[m.STATUS].astype(object).where(t[m.STATUS].notna(), None)) == [
        "closed", "closed", None, "cancelled"]
    said = _read_as_done(loaded.sources[0].warnings)
    assert "'Signed off' (2)" in said and "closed (2, a closed time)" in said
    assert any("left without status" in w and "'Signed off' (1)" in w
               for w in loaded.sources[0].warnings)
    # the incident event log: the latest row's state, read with its done times
    log = tmp_path / "log.csv"
    log.write_text(
        "number,incident_state,sys_mod_count,assignment_group,opened_at,sys_updated_at,"
        "resolved_at,closed_at\n"
        "INC0000001,New,0,Group 1,29/2/2016 01:16,29/2/2016 01:23,29/2/2016 08:50,"
        "5/3/2016 12:00\n"
        "INC0000001,Resolved,1,Group 2,29/2/2016 01:16,29/2/2016 08:53,29/2/2016 08:50,"
        "5/3/2016 12:00\n"
        "INC0000001,Archived,2,Group 2,29/2/2016 01:16,5/3/2016 12:00,29/2/2016 08:50,"
        "5/3/2016 12:00\n"
        "INC0000002,New,0,Group 1,1/3/2016 10:00,1/3/2016 10:00,?,?\n"
        "INC0000002,Archived,1,Group 1,1/3/2016 10:00,1/3/2016 11:00,?,?\n")
    loaded = load_paths([log], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc["INC0000001", m.STATUS] == "closed"
    assert pd.isna(t.loc["INC0000002", m.STATUS])  # no done time: no status
    said = _read_as_done(loaded.sources[0].warnings)
    assert "'Archived' (1)" in said and "closed (1, a closed time)" in said


def test_jira_unknown_status_with_a_resolved_time_is_resolved_with_a_warning(
        tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    path.write_text(
        "Summary,Issue key,Issue id,Issue Type,Status,Priority,Reporter,Created,Updated,"
        "Resolved\n"
        "A,OPS-1,1,Incident,Done,High,jsmith,23/01/2026 14:05,24/01/2026 09:00,"
        "24/01/2026 09:00\n"
        "B,OPS-2,2,Incident,Deployed,High,adoe,02/01/2026 08:00,03/01/2026 08:00,"
        "03/01/2026 08:00\n"
        "C,OPS-3,3,Incident,Deployed,High,adoe,03/01/2026 08:00,04/01/2026 08:00,"
        "04/01/2026 08:00\n"
        "D,OPS-4,4,Incident,Awaiting triage,High,adoe,05/01/2026 08:00,05/01/2026 08:00,\n")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t[m.STATUS].astype(object).where(t[m.STATUS].notna(), None)) == [
        "closed", "resolved", "resolved", None]
    warnings = loaded.sources[0].warnings
    # before: resolved without a word
    said = _read_as_done(warnings)
    assert said.startswith("status: ")
    assert "'Deployed' (2)" in said and "resolved (2, a resolved time only)" in said
    assert any("left without status" in w and "'Awaiting triage' (1)" in w
               and "Deployed" not in w for w in warnings)


def test_jira_status_category_comes_before_the_resolved_time(tmp_path: Path) -> None:
    # a custom status whose Status Category is Done is closed by its category, no warning
    path = tmp_path / "jira.csv"
    path.write_text(
        "Summary,Issue key,Issue id,Issue Type,Status,Status Category,Created,Resolved\n"
        "A,OPS-1,1,Incident,Shipped,Done,02/01/2026 08:00,23/01/2026 08:00\n"
        "B,OPS-2,2,Incident,Shipped,In Progress,02/01/2026 08:00,\n")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t[m.STATUS]) == ["closed", "open"]
    assert not any("read as done" in w for w in loaded.sources[0].warnings)
