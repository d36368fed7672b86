"""Review 21a, C5, C6, M1, M3 and m1: what a machine raised or touched is no user's
behaviour.

The reviewer's ServiceNow desk (``/work/rv21a/gen_sn.py``), rebuilt here smaller: 600
people's incidents over 13 weeks (Self-service 60%, Phone 15%, Email 25%; a work note an
agent writes on each), plus, per variant:

- ``mailmon`` (C5, M1): 400 alerts e-mailed by "Zabbix Monitoring" (contact_type Email):
  bypass read 55% (the alerts as users going round the desk) and the channels check
  counted them as a door;
- ``events`` (M1): the same alerts with contact_type Event (channel monitoring): the
  channels check read monitoring as the largest door, fragmentation over the 0.60 bar;
- ``backupjob`` (C6): six job/monitoring callers ("Backup Job Alerts", ...) at about 3.5
  alerts a week, under the proxy bar, in retry bursts of 2-3 in one category: the
  duplicate share read 9%, triggered and priced, where people raised none or two;
- ``stale``/``slajob``/``hold`` (M3, m1): 80 open incidents nobody but a machine touched
  for weeks (a "System" reminder comment every 3 days; or a nightly job's
  sys_updated_on stamp), or On Hold (waiting on the caller): silence read 0 of them
  silent, or all of them silent while the backlog calls them waiting.

Every figure is recounted with pandas from the written CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Report

START = pd.Timestamp("2026-03-02 08:00")  # a Monday
END = pd.Timestamp("2026-05-31 18:00")
SINCE, UNTIL = "2026-03-02", "2026-05-31"
FMT = "%Y-%m-%d %H:%M:%S"
MACHINES = (("Backup Job Alerts", "Storage"), ("SCOM Monitoring", "Hardware"),
            ("Batch Scheduler", "Database"), ("Nagios Alerts", "Network"),
            ("AD Sync Job", "Access"), ("Print Server Monitor", "Printing"))
CATS = ["Software", "Hardware", "Network", "Access", "Email", "Printing", "Database",
        "Telephony"]


def _journal(entries: list[tuple[pd.Timestamp, str, str, str]]) -> str:
    return "\n".join(f"{at:{FMT}} - {who} ({kind})\n{text}\n" for at, who, kind, text in
                     sorted(entries, key=lambda e: e[0], reverse=True))


def _row(number: str, opened: pd.Timestamp, resolved: pd.Timestamp | None, caller: str,
         agent: str, channel: str, category: str, updated: pd.Timestamp,
         entries: list[tuple[pd.Timestamp, str, str, str]], state: str = "") -> dict[str, Any]:
    closed = None if resolved is None else resolved + pd.Timedelta(days=3)
    return {
        "number": number, "opened_at": f"{opened:{FMT}}",
        "resolved_at": "" if resolved is None else f"{resolved:{FMT}}",
        "closed_at": "" if closed is None or closed > END else f"{closed:{FMT}}",
        "state": state or ("In Progress" if resolved is None else
                           "Closed" if closed is not None and closed <= END else "Resolved"),
        "priority": "3 - Moderate", "category": category, "subcategory": "General",
        "cmdb_ci": "CI001", "short_description": "Issue with laptop",
        "assignment_group": "Service Desk", "assigned_to": agent, "caller_id": caller,
        "contact_type": channel, "sys_updated_on": f"{updated:{FMT}}",
        "comments_and_work_notes": _journal(entries)}


def desk(variant: str, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = (END - START).days
    rows: list[dict[str, Any]] = []
    for i in range(600):
        opened = (START + pd.Timedelta(minutes=int(rng.integers(0, days * 24 * 60)))).replace(
            hour=int(rng.integers(8, 17)))
        caller, agent = f"User {int(rng.integers(0, 450)):04d}", f"Agent {i % 25:02d}"
        channel = str(rng.choice(["Self-service", "Phone", "Email"], p=[0.6, 0.15, 0.25]))
        resolved = opened + pd.Timedelta(hours=float(rng.gamma(1.5, 30)))
        open_now = resolved > END
        note = (opened + pd.Timedelta(minutes=30), agent, "Work notes", "Looking into it.")
        entries = [note] if note[0] <= min(resolved, END) else []
        updated = entries[0][0] if open_now and entries else (
            opened if open_now else min(resolved + pd.Timedelta(days=3), END))
        rows.append(_row(f"INC{1000000 + i}", opened, None if open_now else resolved, caller,
                         agent, channel, CATS[int(rng.integers(0, len(CATS)))], updated,
                         entries))
    k = 1000600
    if variant in ("mailmon", "events"):
        who, channel = ("Zabbix Monitoring", "Email") if variant == "mailmon" else (
            "Event Management", "Event")
        for _ in range(400):
            opened = START + pd.Timedelta(minutes=int(rng.integers(0, days * 24 * 60)))
            resolved = opened + pd.Timedelta(hours=float(rng.uniform(0.1, 3)))
            rows.append(_row(f"INC{k}", opened, resolved, who, "Agent 00", channel,
                             str(rng.choice(["Network", "Database"])), resolved, []))
            k += 1
    elif variant == "backupjob":
        for who, cat in MACHINES:
            at = START + pd.Timedelta(hours=2 + float(rng.uniform(0, 48)))
            while at < END - pd.Timedelta(days=2):
                for b in range(int(rng.choice([2, 3]))):
                    opened = at + pd.Timedelta(hours=2 * b)
                    rows.append(_row(f"INC{k}", opened, opened + pd.Timedelta(hours=24), who,
                                     "Agent 00", "Event", cat, opened + pd.Timedelta(days=1),
                                     []))
                    k += 1
                at += pd.Timedelta(days=float(rng.uniform(4, 6)))
    elif variant in ("stale", "slajob", "hold"):
        for j in range(80):
            opened = pd.Timestamp("2026-04-01 09:00") + pd.Timedelta(
                hours=int(rng.integers(0, 37 * 24)))
            agent = f"Agent {j % 25:02d}"
            entries = [(opened + pd.Timedelta(hours=1), agent, "Work notes", "Looking into it.")]
            updated = opened + pd.Timedelta(hours=1)
            if variant == "stale":  # the instance's reminder job, every 3 days
                at = opened + pd.Timedelta(days=3)
                while at <= END:
                    entries.append((at, "System", "Additional comments",
                                    "This is an automated reminder: your incident is still "
                                    "open."))
                    updated, at = at, at + pd.Timedelta(days=3)
            elif variant == "slajob":  # a nightly job's stamp on the last night
                updated = pd.Timestamp("2026-05-31 02:00")
            rows.append(_row(f"INC{2000000 + j}", opened, None,
                             f"User {int(rng.integers(0, 450)):04d}", agent, "Self-service",
                             "Software", updated, entries,
                             state="On Hold" if variant == "hold" else ""))
    frame = pd.DataFrame(rows)
    if variant == "hold":
        frame["hold_reason"] = np.where(frame.state == "On Hold", "Awaiting Caller", "")
    return frame


# ---- the independent recounts (pandas, from the CSV as written) ----------------------

MACHINE_WORDS = r"\b(?:monitoring|monitor|alerts?|job|scheduler|system|sync|event|management)\b"


def _read(path: Path) -> pd.DataFrame:
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d["o"] = pd.to_datetime(d.opened_at)
    d["machine"] = d.contact_type.eq("Event") | d.caller_id.str.contains(
        MACHINE_WORDS, case=False)
    return d[(d.o >= SINCE) & (d.o < pd.Timestamp(UNTIL) + pd.Timedelta(days=1))]


def recount_bypass(d: pd.DataFrame) -> tuple[int, int]:
    people = d[~d.machine]
    return int(people.contact_type.eq("Email").sum()), len(people)


def recount_fragmentation(d: pd.DataFrame) -> float:
    shares = d[~d.machine].contact_type.value_counts(normalize=True)
    return float(1 - (shares ** 2).sum())


def recount_duplicates(d: pd.DataFrame, machine: bool) -> int:
    """Tickets opened within 48 h after the same caller's ticket in the same category,
    still open then (machine callers in or out)."""
    x = d if machine else d[~d.machine]
    x = x.assign(done=pd.to_datetime(x.resolved_at.replace("", None)))
    x = x.sort_values(["caller_id", "category", "o", "number"])
    cover = x.o + pd.Timedelta(hours=48)
    cover = cover.where(x.done.isna() | (x.done - pd.Timedelta(microseconds=1) > cover),
                        x.done - pd.Timedelta(microseconds=1))
    reach = cover.groupby([x.caller_id, x.category]).transform(
        lambda s: s.shift().cummax())
    return int((reach >= x.o).sum())


def recount_silence(path: Path) -> tuple[int, int, int]:
    """(open at the end, of them waiting (On Hold), silent among the rest: last touch by
    a person (opening, or a journal entry whose author is not "System") more than 5
    business days before 31 May)."""
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d = d[d.resolved_at.eq("") & d.closed_at.eq("")]
    heads = d.comments_and_work_notes.str.extractall(
        r"(?m)^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - (?P<who>.+?) \(")
    heads = heads[heads.who != "System"]
    last_entry = pd.to_datetime(heads["at"]).groupby(level=0).max()
    last = pd.concat([pd.to_datetime(d.opened_at), last_entry.reindex(d.index)],
                     axis=1).max(axis=1)
    waiting = d.state.eq("On Hold")
    quiet = np.busday_count(last.to_numpy().astype("datetime64[D]"),
                            np.datetime64("2026-05-31"))
    return len(d), int(waiting.sum()), int(((quiet > 5) & ~waiting.to_numpy()).sum())


# ---- the reports -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Report]]:
    folder = tmp_path_factory.mktemp("machine")
    out = {}
    for variant in ("mailmon", "events", "backupjob", "stale", "slajob", "hold"):
        path = folder / f"{variant}_incident.csv"
        desk(variant).to_csv(path, index=False)
        out[variant] = (path, api.diagnose_paths(
            [path], api.RunOptions(since=SINCE, until=UNTIL)))
    return out


def _trust(r: Report) -> Any:
    return next(s for s in r.signs if s.id == "trust")


def _check(r: Report, check: str) -> Any:
    return next(c for c in r.checks if c.id == check)


def _metric(finding: Any, key: str) -> Any:
    return finding.metrics[key]


def _notes(finding: Any, code: str) -> list[Any]:
    return [n for n in [*finding.evidence.excluded, *finding.evidence.notes] if n.code == code]


def test_c5_alerts_by_email_are_no_users_going_round_the_desk(runs: dict[str, Any]) -> None:
    path, r = runs["mailmon"]
    d = _read(path)
    email, people = recount_bypass(d)
    assert int(d.machine.sum()) == 400 and people == 600
    bypass = _metric(_trust(r), "bypass_share")
    # before: (email + 400 alerts) / 1,000 = over 50%, trust triggered on bypass
    assert (bypass.numerator, bypass.denominator) == (email, people)
    assert bypass.value == pytest.approx(email / people)
    assert bypass.value < 0.5
    note = _notes(_trust(r), "machine_made")
    assert len(note) == 1 and note[0].count == 400
    text = " ".join(note[0].text.split())
    assert "400 from a requester whose name says so" in text
    assert "Zabbix Monitoring: 400" in text
    # the journals hold work notes only: no chaser share, and the note does not name one
    assert _metric(_trust(r), "chaser_share").value is None
    assert "left out of the bypass and duplicate shares" in text and "chaser" not in text


def test_c6_job_accounts_under_the_proxy_bar_are_no_duplicates(runs: dict[str, Any]) -> None:
    path, r = runs["backupjob"]
    d = _read(path)
    machine = int(d.machine.sum())
    assert machine > 200
    found_all, found_people = recount_duplicates(d, True), recount_duplicates(d, False)
    assert found_all - found_people > 100  # the job accounts' retries: before, counted
    trust = _trust(r)
    dup = _metric(trust, "duplicate_share")
    assert dup.denominator == 600  # people's tickets only, the machine callers' left out
    beyond = dup.numerator
    assert beyond <= found_people
    assert dup.value == pytest.approx(beyond / 600)
    assert dup.value < 0.05
    assert not any(c.basis == "duplicates" for c in trust.evidence.costs)
    note = _notes(trust, "machine_made")
    assert len(note) == 1 and note[0].count == machine
    text = " ".join(note[0].text.split())
    assert f"{int(d.contact_type.eq('Event').sum()):,} came through a monitoring" in text
    # and no proxy note claims them: they are under the bar, and machines
    assert not _notes(trust, "proxy_requesters")


def test_m1_channels_check_reads_people_intake_as_bypass_does(runs: dict[str, Any]) -> None:
    for variant in ("events", "mailmon"):
        path, r = runs[variant]
        d = _read(path)
        check = _check(r, "channels")
        frag = recount_fragmentation(d)
        assert _metric(check, "fragmentation").value == pytest.approx(frag)
        assert frag < 0.60 and check.status == "clear"  # before: monitoring a 40% door
        rows = {row["channel"]: row["n"] for row in check.evidence.tables["by_channel"]}
        assert "monitoring" not in rows
        assert sum(rows.values()) == _metric(_trust(r), "bypass_share").denominator == 600
        note = _notes(check, "machine_made")
        assert len(note) == 1 and note[0].count == 400


def test_m3_a_machines_touch_is_no_sign_of_life(runs: dict[str, Any]) -> None:
    for variant in ("stale", "slajob"):
        path, r = runs[variant]
        n_open, waiting, silent = recount_silence(path)
        assert waiting == 0 and silent >= 80
        trust = _trust(r)
        share = _metric(trust, "silent_share")
        # before: 0 of the open tickets silent (the reminder or the stamp read as updates)
        assert (share.numerator, share.denominator) == (silent, n_open)
        assert _metric(trust, "silent_open").value == silent
        note = _notes(trust, "silence_machine_touches")
        assert len(note) == 1 and note[0].count == 80
        if variant == "slajob":
            assert "2026-05-31 02:00:00 UTC" in note[0].text


def test_m3_an_updated_time_nobody_can_attribute_is_said_in_numbers(
        tmp_path: Path) -> None:
    """An updated time after the last journal entry, on a few tickets at different
    instants (no batch): the export cannot tell a person's field change from a job's.
    It counts as an update, and a note says how many more would be silent without it."""
    frame = desk("stale")
    stale = frame.number.str.startswith("INC2")
    frame.loc[stale, "comments_and_work_notes"] = frame.loc[stale, "comments_and_work_notes"
                                                            ].str.replace(
        r"(?s)^.*?(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - Agent)", "", regex=True)
    some = stale & (np.arange(len(frame)) % 4 == 0)
    frame.loc[some, "sys_updated_on"] = [
        f"{pd.Timestamp('2026-05-27 09:00') + pd.Timedelta(minutes=7 * i):{FMT}}"
        for i in range(int(some.sum()))]
    frame.loc[stale & ~some, "sys_updated_on"] = frame.loc[stale & ~some, "opened_at"]
    path = tmp_path / "blind_incident.csv"
    frame.to_csv(path, index=False)
    r = api.diagnose_paths([path], api.RunOptions(since=SINCE, until=UNTIL))
    n_open, _, silent_people = recount_silence(path)
    share = _metric(_trust(r), "silent_share")
    assert share.denominator == n_open
    assert share.numerator == silent_people - int(some.sum())
    note = _notes(_trust(r), "silence_unattributed")
    assert len(note) == 1 and note[0].count == int(some.sum())
    assert f"{silent_people:,} would be" in " ".join(note[0].text.split())


def test_minor1_waiting_tickets_are_not_left_in_silence(runs: dict[str, Any]) -> None:
    path, r = runs["hold"]
    n_open, waiting, silent = recount_silence(path)
    assert waiting == 80
    trust = _trust(r)
    share = _metric(trust, "silent_share")
    # before: 80 On Hold tickets both "waiting on the caller" (backlog) and "left in
    # silence" (trust); now the one waiting rule leaves them out of the silent share
    assert (share.numerator, share.denominator) == (silent, n_open - waiting)
    backlog = next(s for s in r.signs if s.id == "backlog")
    assert backlog.metrics["waiting_now"].value == waiting
    note = _notes(trust, "silence_waiting")
    assert len(note) == 1 and note[0].count == waiting
    assert "80 of them had no update by a person" in " ".join(note[0].text.split())


def test_redacted_run_reads_the_machines_as_the_plain_one(
        runs: dict[str, Any]) -> None:
    for variant in ("stale", "mailmon"):
        path, r = runs[variant]
        red = api.diagnose_paths([path], api.RunOptions(since=SINCE, until=UNTIL,
                                                        redact=True))
        for key in ("bypass_share", "duplicate_share", "silent_share"):
            a, b = _metric(_trust(r), key), _metric(_trust(red), key)
            assert (a.numerator, a.denominator) == (b.numerator, b.denominator), key


def test_the_machine_note_names_only_the_shares_measured(tmp_path: Path) -> None:
    """Without a journal the chaser share is not measured: the one note on the machine's
    tickets names the bypass and duplicate shares it left them out of, not the chaser
    share (each signal joined the note before its own early exits: a reader saw the 400
    alerts "left out of the chaser share" of a report with no chaser share)."""
    path = tmp_path / "nojournal_incident.csv"
    desk("mailmon").drop(columns=["comments_and_work_notes"]).to_csv(path, index=False)
    trust = _trust(api.diagnose_paths([path], api.RunOptions(since=SINCE, until=UNTIL)))
    assert trust.metrics["chaser_share"].value is None
    assert trust.metrics["bypass_share"].value is not None
    note = _notes(trust, "machine_made")
    assert len(note) == 1 and note[0].count == 400
    text = " ".join(note[0].text.split())
    assert "left out of the bypass and duplicate shares" in text
    assert "chaser" not in text
