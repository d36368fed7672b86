"""Review 22, D2: ownership dated by the assignee history, or worded as the owner now.

ServiceNow clears ``assigned_to`` on every assignment-group change. The check aged each
open ticket from its opening and read its assignee now, so on a routed desk's audit log
(every ticket picked up within minutes, resolvers within 3 hours of a handoff) the
tickets handed on that afternoon read "10 of 50 (20%) have sat for more than a business
day with no owner": triggered, where none went 3 hours without an assignee. The
importer now keeps an audit log's assignee changes as ``assignee`` events (a cleared one
blank), and the check counts a ticket's time without an assignee from the update that
cleared it, in business days on the run's calendar. A list export holds no history:
its reasons say what is measured, "open for more than a business day and with no
assignee or no group now", a fresh handoff included.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.redact import redact_tables
from itsm_diag.report import Finding, Report

HEADER = ("number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,"
          "made_sla,caller_id,opened_by,opened_at,sys_updated_by,sys_updated_at,"
          "contact_type,category,priority,assignment_group,assigned_to,resolved_at,closed_at")
#: the log's last event: a Friday afternoon
AS_OF = pd.Timestamp("2026-05-22 15:00")
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _t(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d %H:%M:%S}"


def _rows(number: str, opened: pd.Timestamp,
          steps: list[tuple[pd.Timedelta | pd.Timestamp, str, str, str]],
          resolved: pd.Timestamp | None = None) -> list[str]:
    """One ticket's audit rows: each step (time after opening or a time, state, group,
    assignee; "?" blank)."""
    out = []
    for mod, (when, state, group, who) in enumerate(steps):
        at = when if isinstance(when, pd.Timestamp) else opened + when
        res = _t(resolved) if resolved is not None and state == "Resolved" else "?"
        out.append(f"{number},{state},true,0,0,{mod},true,Caller {mod},Opened by 1,"
                   f"{_t(opened)},Updated by 1,{_t(at)},Phone,Category 1,3 - Moderate,"
                   f"{group},{who},{res},?")
    return out


def _desk(stale: int) -> dict[str, list[str]]:
    """Each ticket's audit rows. 120 done incidents; 50 open ones opened 1 to 14 May, each
    picked up by the Service Desk within 10 minutes and handed to a resolver group (the
    assignee cleared) who picks it up 2 hours later. 10 of them were handed on again
    between 0.5 and 2.8 hours before the log's last event (no assignee yet); ``stale`` of
    them were handed on on Monday 18 May and nobody picked them up."""
    out: dict[str, list[str]] = {}
    h = pd.Timedelta(hours=1)
    for i in range(120):
        opened = pd.Timestamp("2026-03-02 09:00") + pd.Timedelta(days=i * 0.6)
        done = opened + 20 * h
        out[f"INC{i:05d}"] = _rows(f"INC{i:05d}", opened, [
            (pd.Timedelta(0), "New", "Service Desk", "?"),
            (pd.Timedelta(minutes=8), "Active", "Service Desk", "Ann Lee"),
            (done - opened, "Resolved", "Service Desk", "Ann Lee")], resolved=done)
    for k in range(50):
        i = 1000 + k
        opened = pd.Timestamp("2026-05-01 09:00") + pd.Timedelta(days=k * 13 / 50)
        steps: list[tuple[pd.Timedelta | pd.Timestamp, str, str, str]] = [
            (pd.Timedelta(0), "New", "Service Desk", "?"),
            (pd.Timedelta(minutes=8), "Active", "Service Desk", "Ann Lee"),
            (3 * h, "Active", "Network Ops", "?"),
            (5 * h, "Active", "Network Ops", "Nia Obi")]
        if k < 10:
            steps.append((AS_OF - pd.Timedelta(hours=0.5 + 0.25 * k), "Active", "DBA", "?"))
        elif k < 10 + stale:
            steps.append((pd.Timestamp("2026-05-18 10:00"), "Active", "DBA", "?"))
        elif k == 49:
            steps.append((AS_OF, "Active", "Network Ops", "Nia Obi"))  # the last event
        out[f"INC{i:05d}"] = _rows(f"INC{i:05d}", opened, steps)
    return out


def _write(tmp: Path, name: str, desk: dict[str, list[str]], *, log: bool) -> Path:
    """The audit log (every row), or a list export (each ticket's last row)."""
    path = tmp / name
    lines = [row for rows in desk.values() for row in (rows if log else rows[-1:])]
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ownership(report: Report) -> Finding:
    return next(c for c in report.checks if c.id == "ownership")


def _run(path: Path) -> Finding:
    return _ownership(api.diagnose_paths([path], api.RunOptions()))


def test_a_fresh_handoff_in_an_audit_log_is_no_unowned_ticket(tmp_path: Path) -> None:
    own = _run(_write(tmp_path, "incident_event_log.csv", _desk(stale=0), log=True))
    # before: triggered, "10 of 50 (20%) have sat for more than a business day with no
    # owner" (the 10 handed on that afternoon)
    assert own.status == "clear" and own.confidence == "high"
    share = own.metrics["unowned_share"]
    assert (share.numerator, share.denominator, share.value) == (0.0, 50.0, 0.0)
    assert own.metrics["no_assignee_share"].numerator == 0
    assert own.reason.startswith("Open tickets get an owner within a business day.")
    note = next(n for n in own.evidence.notes if n.code == "dated")
    assert "counted from the update that cleared it" in note.text
    assert "10 of the 50 aged open tickets had no assignee at the window end; 10 of them " \
        "had lost it no more than 1 business day" in note.text


def test_an_assignee_lost_days_ago_still_counts(tmp_path: Path) -> None:
    # 6 handed on on Monday and never picked up: 4 business days to Friday
    own = _run(_write(tmp_path, "incident_event_log.csv", _desk(stale=6), log=True))
    # before: 16 of 50 (32%), the 10 fresh handoffs counted with the 6
    assert own.status == "triggered"
    share = own.metrics["unowned_share"]
    assert (share.numerator, share.denominator) == (6.0, 50.0)
    assert share.value == pytest.approx(0.12)
    assert own.metrics["no_group_share"].numerator == 0
    assert own.reason.startswith(
        "Too many open tickets have sat for more than a business day with no owner.")
    assert "(measured 12%)" in own.reason
    # the six handed on on Monday, none of the fresh handoffs
    assert sorted(share.sample_ids) == [f"INC{1000 + k:05d}" for k in range(10, 16)]
    note = next(n for n in own.evidence.notes if n.code == "dated")
    assert "16 of the 50 aged open tickets had no assignee" in note.text
    assert "10 of them had lost it" in note.text


def test_a_list_export_says_it_judges_the_owner_now(tmp_path: Path) -> None:
    # the same desk as a list (each ticket's last row): no history, so the owner now
    own = _run(_write(tmp_path, "incident.csv", _desk(stale=6), log=False))
    assert own.status == "triggered"
    share = own.metrics["unowned_share"]
    assert (share.numerator, share.denominator) == (16.0, 50.0)
    # before: "Too many open tickets have sat for more than a business day with no owner"
    assert own.reason.startswith(
        "Too many tickets open for more than a business day have no assignee or no "
        "group now.")
    assert "handed to a new group moments ago" in own.reason
    assert "have sat for" not in own.reason
    assert not any(n.code in ("dated", "dated_part") for n in own.evidence.notes)


def test_the_importer_keeps_the_assignee_history(tmp_path: Path) -> None:
    path = _write(tmp_path, "incident_event_log.csv", _desk(stale=6), log=True)
    loaded = load_paths([path], ImportOptions())
    ev = loaded.events
    mine = ev[(ev[m.EV_TICKET_ID] == "INC01010") & (ev[m.EV_KIND] == "assignee")]
    # Ann Lee, cleared at the group change, Nia Obi, cleared again on Monday
    assert mine[m.EV_VALUE].tolist()[:1] == ["Ann Lee"]
    assert mine[m.EV_VALUE].isna().tolist() == [False, True, False, True]
    assert mine[m.EV_AT].iloc[-1] == pd.Timestamp("2026-05-18 10:00", tz="UTC")
    # the other events are as before: each of its 5 rows a status, group or touch event
    # (New and Service Desk; Active; Network Ops; the pick-up a touch; DBA)
    kinds = ev.loc[ev[m.EV_TICKET_ID] == "INC01010", m.EV_KIND].astype(str)
    assert kinds.value_counts().to_dict() == {"assignee": 4, "assignment": 3, "status": 2,
                                              "update": 1}
    note = next(w for w in loaded.sources[0].warnings if w.startswith("audit log:"))
    assert "assignee changes (cleared ones included) as assignee events" in note
    # redacted: the assignee events' names are the assignees' pseudonyms
    _, red, _ = redact_tables(loaded.tickets, ev)
    values = red.loc[red[m.EV_KIND] == "assignee", m.EV_VALUE].dropna()
    assert len(values) and values.str.fullmatch(r"Agent \d+").all()


@pytest.mark.parametrize(("sample", "aged"), [("jira", 139), ("zendesk", 37),
                                              ("freshservice", 37), ("servicenow", 249)])
def test_list_exports_read_as_before_worded_as_the_owner_now(sample: str, aged: int) -> None:
    own = _ownership(api.diagnose_paths([SAMPLES / sample], api.RunOptions()))
    assert own.status == "clear" and own.confidence == "high"
    share = own.metrics["unowned_share"]
    assert (share.numerator, share.denominator) == (0.0, float(aged))
    # before: "Open tickets get an owner within a business day."
    assert own.reason.startswith(
        "Few tickets open for more than a business day have no assignee or no group now")


def test_real_log_ownership_from_its_assignee_history(real_log: Path) -> None:
    own = _ownership(api.diagnose_paths([real_log], api.RunOptions()))
    # before: unknown, low ("921 of the 921 ... updated after it ... with all of them
    # unowned the share would be 100%"): the assignee at the window end was not read.
    # A pandas recount of the log's rows up to 2016-06-05: 130 aged open incidents with
    # no assignee, 112 of them for more than one business day, 18 handed on since
    assert own.status == "triggered" and own.confidence == "medium"
    share = own.metrics["unowned_share"]
    assert (share.numerator, share.denominator) == (112.0, 921.0)
    assert own.metrics["no_group_share"].numerator == 0
    assert any(n.code == "owner_after_history" and "the assignee of 921" in n.text
               for n in own.evidence.notes)
    note = next(n for n in own.evidence.notes if n.code == "dated")
    assert "130 of the 921 aged open tickets had no assignee" in note.text
    assert "18 of them had lost it" in note.text


# rd22b, 1: coverage is the source's history reaching the window end, not a ticket's own
# assignee event


def test_a_never_assigned_ticket_in_the_log_is_unowned_since_opening(tmp_path: Path) -> None:
    # one more aged ticket whose two log rows both leave the assignee blank: the log
    # writes no assignee event for it, yet covers it (nobody ever owned it)
    desk = _desk(stale=0)
    h = pd.Timedelta(hours=1)
    desk["INC02000"] = _rows("INC02000", pd.Timestamp("2026-05-04 09:00"), [
        (pd.Timedelta(0), "New", "Service Desk", "?"),
        (2 * h, "Active", "Service Desk", "?")])
    own = _run(_write(tmp_path, "incident_event_log.csv", desk, log=True))
    # before: the whole check worded as the owner now ("Few tickets ... have no assignee
    # or no group now (for a ticket without an assignee history in the export, how long
    # it has had no owner is not seen)"), with a dated_part note of 50 of the 51
    assert own.status == "clear" and own.confidence == "high"
    assert own.reason.startswith("Open tickets get an owner within a business day.")
    assert "not seen" not in own.reason
    share = own.metrics["no_assignee_share"]
    assert (share.numerator, share.denominator) == (1.0, 51.0)
    assert share.sample_ids == ["INC02000"]
    assert not any(n.code == "dated_part" for n in own.evidence.notes)
    note = next(n for n in own.evidence.notes if n.code == "dated")
    assert "11 of the 51 aged open tickets had no assignee at the window end; 10 of them " \
        "had lost it" in note.text


def test_a_log_that_begins_after_the_window_end_does_not_date_a_ticket(
        tmp_path: Path) -> None:
    # the window ends Thursday 21 May; one more aged ticket (opened 4 May) whose log rows
    # are all of Friday 22 May, each naming its assignee: its log says nothing of the
    # window end, so whether it had an assignee then is not seen
    desk = _desk(stale=0)
    friday = pd.Timestamp("2026-05-22 10:00")
    desk["INC03000"] = _rows("INC03000", pd.Timestamp("2026-05-04 09:00"), [
        (friday, "Active", "Network Ops", "Nia Obi"),
        (friday + pd.Timedelta(hours=1), "Active", "Network Ops", "Nia Obi")])
    path = _write(tmp_path, "incident_event_log.csv", desk, log=True)
    own = _ownership(api.diagnose_paths([path], api.RunOptions(until="2026-05-21")))
    # before: read as unassigned since its opening, 1 of 51 with no assignee, and the
    # check worded as dated by the assignee history
    assert own.metrics["no_assignee_share"].numerator == 0
    assert own.metrics["unowned_share"].denominator == 51
    assert own.reason.startswith(
        "Few tickets open for more than a business day have no assignee or no group now")
    part = next(n for n in own.evidence.notes if n.code == "dated_part")
    assert part.text.startswith("50 of the 51 aged open tickets have an assignee history")
    # updated after the window end and showing an assignee: its owner then is unseen
    # (the share would be 1 of 51 with it unowned); the history gives the other 11's
    assert own.status == "clear" and own.confidence == "medium"
    after = next(n for n in own.evidence.notes if n.code == "owner_after_rebuilt")
    assert "12 of the 51 tickets" in after.text
    assert "the group at the window end of 11 of them and the assignee of 11, but the 1 " \
        "that show an owner" in after.text
    assert "the share would be 2%" in after.text
