"""Jira Service Management importer: repeated headers, comments, links, dates, chunks,
detection, equivalence with the ServiceNow path, and a wrong --source."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag import synth
from itsm_diag.cli import app
from itsm_diag.errors import InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw
from itsm_diag.importers.registry import importers, load_paths
from itsm_diag.writers.jira import jira_keys, write_jira
from itsm_diag.writers.servicenow import write_servicenow

FIX = Path(__file__).parent / "fixtures" / "jira"
SAMPLES = Path(__file__).parents[1] / "samples"
ANNA = "557058:aaaaaaaa-1111-2222-3333-444444444444"


def load(*paths: Path) -> pd.DataFrame:
    return load_paths(list(paths), ImportOptions()).tickets.set_index(m.TICKET_ID)


def test_all_fields_known_values() -> None:
    t = load(FIX / "all_fields.csv")
    assert len(t) == 7
    assert t[m.KIND].to_dict() == {
        "ITSM-101": "incident", "ITSM-102": "incident", "ITSM-103": "request",
        "ITSM-130": "change", "ITSM-120": "problem", "ITSM-140": "task", "ITSM-150": "other"}
    inc = t.loc["ITSM-101"]
    assert inc[m.OPENED_AT] == pd.Timestamp("2026-01-12 09:05", tz="UTC")
    assert inc[m.RESOLVED_AT] == pd.Timestamp("2026-01-14 16:30", tz="UTC")
    assert inc[m.UPDATED_AT] == pd.Timestamp("2026-01-14 16:30", tz="UTC")
    assert inc[m.FIRST_RESPONSE_AT] == pd.Timestamp("2026-01-12 09:40", tz="UTC")
    assert inc[m.DUE_AT] == pd.Timestamp("2026-01-13", tz="UTC")
    assert inc[m.STATUS] == "resolved" and inc[m.PRIORITY] == 2
    assert inc[m.CATEGORY] == "Network"  # the first of two Components columns
    assert inc[m.LABELS] == "vpn;remote"  # two Labels columns kept by position
    assert inc[m.TIME_SPENT_HOURS] == 1.5
    assert inc[m.REQUEST_ITEM] == "Report a system problem"
    assert inc[m.REQUESTER] == "Anna Berger" and inc[m.ASSIGNEE] == "Kim Haddad"
    assert inc[m.PROBLEM_REF] == "ITSM-120"  # Inward issue link (Problem/Incident)
    assert inc[m.CAUSED_BY_CHANGE] == "ITSM-130"  # Inward issue link (Causes)
    # ITSM-102 has no link of its own; the problem's Outward link names it
    assert t.loc["ITSM-102", m.PROBLEM_REF] == "ITSM-120"
    assert t.loc["ITSM-102", m.STATUS] == "pending"
    assert pd.isna(t.loc["ITSM-120", m.PROBLEM_REF])
    chg = t.loc["ITSM-130"]
    assert chg[m.CHANGE_TYPE] == "emergency" and chg[m.CHANGE_OUTCOME] == "backed_out"
    assert chg[m.PLANNED_START] == pd.Timestamp("2026-01-11 20:00", tz="UTC")
    assert chg[m.PLANNED_END] == pd.Timestamp("2026-01-11 22:00", tz="UTC")
    assert t.loc["ITSM-120", m.PRIORITY] == 1 and t.loc["ITSM-120", m.STATUS] == "open"
    assert t.loc["ITSM-140", m.STATUS] == "cancelled" and t.loc["ITSM-140", m.PRIORITY] == 5
    assert t.loc["ITSM-150", m.LABELS] == "epic;initiative"
    # what a Jira CSV does not carry stays empty
    for col in (m.CLOSED_AT, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT, m.SLA_MET, m.CHANNEL):
        assert t[col].isna().all(), col
    assert pd.isna(t.loc["ITSM-102", m.ASSIGNMENT_GROUP])


def test_comments_become_events_with_roles() -> None:
    ev = load_paths([FIX / "all_fields.csv"], ImportOptions()).events
    assert len(ev) == 3
    first = ev.iloc[0]
    assert first[m.EV_TICKET_ID] == "ITSM-101" and first[m.EV_KIND] == "comment"
    assert first[m.EV_AT] == pd.Timestamp("2026-01-12 09:40", tz="UTC")
    assert first[m.EV_AUTHOR_ROLE] == "agent"
    assert first[m.EV_VALUE] == "Hi, we are looking into it."
    second = ev.iloc[1]
    assert second[m.EV_AUTHOR] == ANNA and second[m.EV_AUTHOR_ROLE] == "requester"
    # the body keeps its own ';' and newline: split on the first two separators only
    assert second[m.EV_VALUE] == "Any update? It dropped again; twice.\nSecond line."
    assert ev.iloc[2][m.EV_TICKET_ID] == "ITSM-103"


def test_roles_unknown_when_authors_and_reporters_differ(tmp_path: Path) -> None:
    # a "current fields" export without Reporter Id: account ids cannot meet names
    df = pd.read_csv(FIX / "all_fields.csv", dtype=str, keep_default_na=False)
    df.columns = [c.split(".")[0] for c in df.columns]
    df = df.loc[:, [c != "Reporter Id" for c in df.columns]]
    path = tmp_path / "current.csv"
    df.to_csv(path, index=False)
    loaded = load_paths([path], ImportOptions())
    assert loaded.events[m.EV_AUTHOR_ROLE].isna().all()
    assert any("roles left unknown" in w for w in loaded.sources[0].warnings)


def test_admin_changed_date_format_and_older_priorities(tmp_path: Path) -> None:
    path = tmp_path / "dc.csv"
    path.write_text(
        "Summary,Issue key,Issue id,Issue Type,Status,Priority,Reporter,Created,Updated,"
        "Resolved,Comment\n"
        "A,OPS-1,1,Incident,Done,Blocker,jsmith,23/01/2026 14:05,24/01/2026 09:00,"
        "24/01/2026 09:00,23/01/2026 15:00;jsmith;still down\n"
        "B,OPS-2,2,Bug,Open,Minor,adoe,02/01/2026 08:00,02/01/2026 08:00,,\n"
        "C,OPS-3,3,Fault,Awaiting triage,Critical,adoe,03/01/2026 08:00,04/01/2026 08:00,"
        "04/01/2026 08:00,03/01/2026 09:00;jsmith;on it\n")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc["OPS-1", m.OPENED_AT] == pd.Timestamp("2026-01-23 14:05", tz="UTC")
    assert t.loc["OPS-2", m.OPENED_AT] == pd.Timestamp("2026-01-02 08:00", tz="UTC")
    assert list(t[m.PRIORITY]) == [1, 4, 2]  # Blocker..Trivial scheme
    assert list(t[m.KIND]) == ["incident", "other", "incident"]
    # an unknown workflow status with a resolution date is resolved
    assert list(t[m.STATUS]) == ["closed", "new", "resolved"]
    ev = loaded.events
    # jsmith on OPS-3 is neither its reporter nor an assignee (the export has no
    # Assignee column): unknown, not an agent (review 21, importers.roles)
    assert list(ev[m.EV_AUTHOR_ROLE].astype(object).fillna("?")) == ["requester", "?"]
    assert ev.iloc[0][m.EV_AT] == pd.Timestamp("2026-01-23 15:00", tz="UTC")


def test_counts_whole_numbers_only(tmp_path: Path) -> None:
    # a count custom field is free text in Jira: a fraction or a number past Int32 is
    # junk (left empty), never cut to 2 or wrapped round to 1,410,065,407 by a cast
    path = tmp_path / "counts.csv"
    path.write_text(
        "Summary,Issue key,Issue type,Status,Created,Time Spent,"
        "Custom field (Reassignment count),Custom field (Reopen count)\n"
        "A,OPS-1,Incident,Open,2026-01-02 08:00,5400,2.5,1\n"
        "B,OPS-2,Incident,Open,2026-01-02 09:00,1,9999999999,0\n"
        "C,OPS-3,Incident,Open,2026-01-02 10:00,x,\"1,234\",3.0\n"
        "D,OPS-4,Incident,Open,2026-01-02 11:00,,4,\n")
    t = load(path)
    assert t[m.REASSIGNMENT_COUNT].tolist() == [pd.NA, pd.NA, 1234, 4]
    assert t[m.REOPEN_COUNT].tolist() == [1, 0, 3, pd.NA]
    assert str(t[m.REASSIGNMENT_COUNT].dtype) == "Int32"
    assert t[m.TIME_SPENT_HOURS].tolist() == [1.5, 1 / 3600, pd.NA, pd.NA]
    said = load_paths([path], ImportOptions()).sources[0].warnings
    assert ("time spent: 1 ticket with values that are not durations, left empty: "
            "'x' (1)") in said
    assert ("reassignment count: 2 tickets with values that are not counts (whole numbers "
            "0 or more), left empty: '2.5' (1), '9999999999' (1)") in said


def test_chunked_exports_deduplicate_latest_updated(tmp_path: Path) -> None:
    with (FIX / "all_fields.csv").open(newline="") as fh:
        header, *rows = list(csv.reader(fh))

    def write(path: Path, body: list[list[str]]) -> None:
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows([header, *body])

    write(tmp_path / "a.csv", rows[:2])  # an older export of ITSM-101 and ITSM-102
    # a later chunk: ITSM-102 resolved since, and the rest of the issues
    newer = list(rows[1])
    newer[header.index("Status")] = "Resolved"
    newer[header.index("Updated")] = newer[header.index("Resolved")] = "16/Jan/26 11:00 AM"
    write(tmp_path / "b.csv", [newer, *rows[2:]])
    loaded = load_paths([tmp_path / "b.csv", tmp_path / "a.csv"], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 7
    assert t.loc["ITSM-102", m.STATUS] == "resolved"
    assert t.loc["ITSM-102", m.UPDATED_AT] == pd.Timestamp("2026-01-16 11:00", tz="UTC")
    assert any("the latest update of each is kept" in n for n in loaded.notes)
    assert len(loaded.events) == 3


def test_missing_key_column_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Summary,Issue id,Issue Type,Created\nA,1,Incident,12/Jan/26 9:05 AM\n")
    with pytest.raises(InputError) as err:
        load_paths([path], ImportOptions(), source="jira")
    assert "Issue key" in err.value.one_line() and "x.csv" in err.value.one_line()


@pytest.mark.parametrize("path,tool", [
    (SAMPLES / "jira" / "jira_1.csv", "jira"),
    (FIX / "all_fields.csv", "jira"),
    (SAMPLES / "demo" / "incident_1.csv", "servicenow"),
    (SAMPLES / "zendesk" / "zendesk_export.csv", "zendesk"),
    (SAMPLES / "zendesk" / "api" / "tickets_1.json", "zendesk"),
    (SAMPLES / "zendesk" / "full_export" / "tickets.ndjson", "zendesk"),
])
def test_detection_margins(path: Path, tool: str) -> None:
    raw = read_raw(path)[0]
    scores = {name: imp.detect(raw).score for name, imp in importers().items()}
    assert scores[tool] >= 0.8, scores
    assert all(s < 0.5 for name, s in scores.items() if name != tool), scores


def _minute(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(**{c: t[c].dt.floor("min") for c in m.TIMESTAMP_COLUMNS})


def test_same_tickets_as_servicenow(tmp_path: Path) -> None:
    data = synth.generate(400, seed=5, conditions=synth.Conditions(changes=True,
                                                                   recurrence=True))
    tickets = _minute(data.tickets)
    sn_files = write_servicenow(tickets, data.events, tmp_path / "sn",
                                date_format="%Y-%m-%d %H:%M")
    sn = load_paths(sn_files, ImportOptions())
    jira = load_paths(write_jira(tickets, data.events, tmp_path / "jira", max_rows=150),
                      ImportOptions())
    keys = jira_keys(tickets)
    a = sn.tickets.set_index(m.TICKET_ID).sort_index()
    b = jira.tickets.assign(**{
        c: jira.tickets[c].map(pd.Series(keys.index, index=keys.to_numpy()))
        for c in (m.TICKET_ID, m.PROBLEM_REF, m.CAUSED_BY_CHANGE)
    }).astype({m.TICKET_ID: m.STRING_DTYPE, m.PROBLEM_REF: m.STRING_DTYPE,
               m.CAUSED_BY_CHANGE: m.STRING_DTYPE}).set_index(m.TICKET_ID).sort_index()
    assert list(a.index) == list(b.index)
    same = [m.KIND, m.SUMMARY, m.PRIORITY, m.CATEGORY, m.SUBCATEGORY, m.SERVICE, m.CI,
            m.REQUEST_ITEM, m.ASSIGNMENT_GROUP, m.ASSIGNEE, m.OPENED_AT, m.UPDATED_AT,
            m.DUE_AT, m.START_DATE, m.PROBLEM_REF, m.CAUSED_BY_CHANGE, m.CHANGE_TYPE,
            m.CHANGE_OUTCOME, m.PLANNED_START, m.PLANNED_END, m.ACTUAL_START, m.ACTUAL_END,
            m.LABELS]
    # the ServiceNow importer reads epics in the task table as tasks; Jira keeps Epic
    truth = tickets.set_index(m.TICKET_ID).sort_index()
    assert (b[m.KIND] == truth[m.KIND]).all()
    a = a.assign(**{m.KIND: truth[m.KIND]})

    def differ(x: pd.Series, y: pd.Series) -> bool:
        return not x.astype(object).equals(y.astype(object))

    # Jira carries each of these columns whole (the generator's truth) ...
    assert not [c for c in same if differ(b[c], truth[c])]
    # ... and agrees with the ServiceNow import wherever that has a value (the ServiceNow
    # list layouts leave out a request's category/service and the task table's labels)
    assert not [c for c in same if differ(b.loc[a[c].notna(), c], a.loc[a[c].notna(), c])]
    # the requester where ServiceNow has one (Jira always has a reporter)
    has = a[m.REQUESTER].notna()
    assert (a.loc[has, m.REQUESTER] == b.loc[has, m.REQUESTER]).all()
    # one done time: Jira's Resolved is the resolution, else the close
    done_b = m.done_at(b.reset_index())
    pd.testing.assert_series_equal(done_b, m.done_at(truth.reset_index()), check_names=False)
    known = a[m.STATUS].notna().to_numpy()  # ServiceNow has no state for an epic's "Complete"
    pd.testing.assert_series_equal(m.done_at(a.reset_index())[known], done_b[known],
                                   check_names=False)
    # durations: ServiceNow shows whole minutes, Jira seconds
    diff = (a[m.TIME_SPENT_HOURS] - b[m.TIME_SPENT_HOURS]).abs()
    assert (diff.fillna(0) <= 1 / 60).all()
    # statuses (changes and problems differ by design: ServiceNow's change "Review" and
    # problem "Assess" are in-progress states there; Jira keeps Resolved / Pending)
    core = a[m.KIND].isin(["incident", "request", "task", "other"])
    diff_truth = b.loc[core, m.STATUS].astype(object).compare(
        truth.loc[core, m.STATUS].astype(object))
    # (ServiceNow writes a cancelled request as "Closed Incomplete": compare incidents)
    inc = a[m.KIND] == "incident"
    diff_sn = b.loc[inc, m.STATUS].astype(object).compare(a.loc[inc, m.STATUS].astype(object))
    assert diff_truth.empty and diff_sn.empty, (diff_truth, diff_sn)
    # comments: the same requester and agent comments
    def counts(ev: pd.DataFrame) -> pd.Series:
        c = ev[ev[m.EV_KIND] == "comment"]
        return c[m.EV_AUTHOR_ROLE].astype(str).value_counts().sort_index()
    pd.testing.assert_series_equal(counts(sn.events), counts(jira.events))


def test_wrong_source_exits_2_with_advice() -> None:
    result = CliRunner().invoke(app, ["diagnose", str(FIX / "all_fields.csv"),
                                      "--source", "servicenow", "-q"])
    assert result.exit_code == 2
    assert "looks like a jira export" in result.stderr
    assert "--source jira" in result.stderr
