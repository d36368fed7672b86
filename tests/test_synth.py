"""The synthetic data generator and its ServiceNow writer.

Each condition switch is checked on the raw measure it is meant to move (not through
the signs, which have their own tests): on vs off with everything else the same.
"""

from __future__ import annotations

import csv
import re
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag import synth
from itsm_diag.writers.servicenow import SERVICENOW_TABLES, duration_display, write_servicenow

N = 3000
CHASER = re.compile(
    r"any update|any news|still waiting|following up|status\?|gentle reminder|has anyone"
    r"|gibt es neuigkeiten|wie ist der stand|des nouvelles|toujours en attente"
    r"|alguna novedad|al nieuws|alguma novidade",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def healthy() -> synth.Synthetic:
    return synth.generate(N, conditions=synth.Conditions.none())


def _only(name: str) -> synth.Synthetic:
    return synth.generate(N, conditions=replace(synth.Conditions.none(), **{name: True}))


# ---- raw measures ------------------------------------------------------------------
def _scope(t: pd.DataFrame) -> pd.DataFrame:
    return t[t[m.KIND].isin(["incident", "request"])]


def backlog_change(s: synth.Synthetic) -> float:
    """Relative change of the open backlog over the last 13 weeks (medians of 3 weeks)."""
    t = _scope(s.tickets)
    done = m.done_at(t)
    ends = [s.end - pd.Timedelta(weeks=w) for w in range(13, -1, -1)]
    levels = [int(((t[m.OPENED_AT] <= x) & ~(done <= x)).sum()) for x in ends]
    return float(np.median(levels[-3:]) / np.median(levels[:3]) - 1)


def recurring(s: synth.Synthetic) -> tuple[int, int]:
    """(recurring CI-or-service + category keys, of which no incident links a problem)."""
    inc = s.tickets[s.tickets[m.KIND] == "incident"]
    key = (inc[m.CI].fillna(inc[m.SERVICE]).fillna("") + "|" + inc[m.CATEGORY].fillna(""))
    frame = pd.DataFrame({"key": key, "at": inc[m.OPENED_AT],
                          "linked": inc[m.PROBLEM_REF].notna()}).sort_values(["key", "at"])
    k, at = frame["key"].to_numpy(), frame["at"].to_numpy()
    triple = (k[2:] == k[:-2]) & (at[2:] - at[:-2] <= np.timedelta64(90, "D"))
    keys = set(k[2:][triple])
    covered = set(frame.loc[frame["linked"], "key"])
    return len(keys), len(keys - covered)


def chaser_share(s: synth.Synthetic) -> float:
    t, e = _scope(s.tickets), s.events
    req = e[(e[m.EV_KIND] == "comment") & (e[m.EV_AUTHOR_ROLE] == "requester")]
    chased = req.loc[req[m.EV_VALUE].str.contains(CHASER, na=False), m.EV_TICKET_ID]
    return float(t[m.TICKET_ID].isin(chased).mean())


def bypass_share(s: synth.Synthetic) -> float:
    ch = _scope(s.tickets)[m.CHANNEL].dropna()
    ch = ch[ch != "monitoring"]
    return float((~ch.isin(["portal", "phone"])).mean())


def change_pairs(s: synth.Synthetic) -> int:
    """Incidents on a CI within 48 h after a change on it ended (tier 3)."""
    t = s.tickets
    chg = t[(t[m.KIND] == "change") & t[m.ACTUAL_END].notna()][[m.CI, m.ACTUAL_END]]
    inc = t[t[m.KIND] == "incident"][[m.CI, m.OPENED_AT]].dropna()
    pairs = inc.merge(chg, on=m.CI)
    gap = pairs[m.OPENED_AT] - pairs[m.ACTUAL_END]
    return int(((gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(hours=48))).sum())


def onboarding_slow_share(s: synth.Synthetic) -> float:
    t = s.tickets
    onb = t[t[m.REQUEST_ITEM] == "New hire onboarding"]
    done = m.done_at(onb)
    ok = done.notna()
    days = np.busday_count(
        onb.loc[ok, m.OPENED_AT].dt.tz_localize(None).to_numpy().astype("M8[D]"),
        done[ok].dt.tz_localize(None).to_numpy().astype("M8[D]"))
    return float((days > 2).mean())


def effort_split(s: synth.Synthetic) -> tuple[float, float]:
    """(operational, strategic) share of logged hours on the tickets opened in the span."""
    t = s.tickets[s.tickets[m.OPENED_AT] >= s.start]
    hours = t[m.TIME_SPENT_HOURS].fillna(0)
    strategic = t[m.LABELS].fillna("").str.contains("project|epic|initiative")
    operational = t[m.KIND].isin(["incident", "request"])
    return float(hours[operational].sum() / hours.sum()), float(hours[strategic].sum()
                                                                / hours.sum())


# ---- determinism and shape -----------------------------------------------------------
def test_same_seed_gives_identical_frames() -> None:
    a = synth.generate(1500, seed=11, conditions=synth.Conditions.all())
    b = synth.generate(1500, seed=11, conditions=synth.Conditions.all())
    pd.testing.assert_frame_equal(a.tickets, b.tickets)
    pd.testing.assert_frame_equal(a.events, b.events)
    c = synth.generate(1500, seed=12, conditions=synth.Conditions.all())
    assert not a.tickets[m.OPENED_AT].equals(c.tickets[m.OPENED_AT])


@pytest.mark.parametrize("seed", [3, 11, 31])
def test_status_history_ends_in_the_final_status(seed: int) -> None:
    """An audit log is written from the events: its last row must be the ticket's state
    (an on-hold ticket went on hold after work started, not before)."""
    s = synth.generate(1500, seed=seed, conditions=synth.Conditions.all())
    ev = s.events[s.events[m.EV_KIND] == "status"].sort_values(
        [m.EV_TICKET_ID, m.EV_AT], kind="stable")
    last = ev.groupby(m.EV_TICKET_ID)[m.EV_VALUE].last()
    t = s.tickets[s.tickets[m.KIND].isin(["incident", "request"])].set_index(m.TICKET_ID)
    assert (last.reindex(t.index).astype(str) == t[m.STATUS].astype(str)).all()
    # and the group history ends in the ticket's group, one move per reassignment (a
    # ticket opened minutes before the export was moved after it)
    moves = s.events[s.events[m.EV_KIND] == "assignment"].sort_values(
        [m.EV_TICKET_ID, m.EV_AT], kind="stable").groupby(m.EV_TICKET_ID)[m.EV_VALUE]
    assert (moves.last().reindex(t.index) == t[m.ASSIGNMENT_GROUP]).all()
    assert ((moves.size() - 1).reindex(t.index) == t[m.REASSIGNMENT_COUNT]).all()


def test_conforms_to_the_canonical_model(healthy: synth.Synthetic) -> None:
    t, e = healthy.tickets, healthy.events
    assert len(t) == N
    assert list(t.columns) == list(m.TICKET_COLUMNS)
    assert t.dtypes.to_dict() == m.ticket_dtypes()
    pd.testing.assert_frame_equal(m.conform_tickets(t), t)
    pd.testing.assert_frame_equal(m.conform_events(e), e)
    assert t[m.TICKET_ID].is_unique
    prefixes = {"incident": "INC", "request": "RITM", "change": "CHG", "problem": "PRB",
                "task": "TASK", "other": "EPIC"}
    for kind, prefix in prefixes.items():
        ids = t.loc[t[m.KIND] == kind, m.TICKET_ID]
        assert ids.str.fullmatch(prefix + r"\d{7}").all(), kind
    # numbers grow with the open time, as ServiceNow numbers them
    inc = t[t[m.KIND] == "incident"]
    assert inc[m.OPENED_AT].is_monotonic_increasing
    assert inc[m.TICKET_ID].iloc[0] == "INC0010001"
    # nothing happens after the export
    for col in (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT, m.UPDATED_AT):
        assert (t[col].dropna() <= healthy.end).all(), col
    assert (e[m.EV_AT] <= healthy.end).all()
    assert set(e[m.EV_TICKET_ID]) <= set(t[m.TICKET_ID])
    # a done ticket has a done time; time runs forward
    assert m.done_at(t)[m.is_done(t)].notna().all()
    assert ((t[m.RESOLVED_AT] >= t[m.OPENED_AT]) | t[m.RESOLVED_AT].isna()).all()
    assert ((t[m.CLOSED_AT] >= t[m.RESOLVED_AT]) | t[m.RESOLVED_AT].isna()
            | t[m.CLOSED_AT].isna()).all()
    assert ((t[m.CLOSED_AT] >= t[m.OPENED_AT]) | t[m.CLOSED_AT].isna()).all()
    assert (t[m.UPDATED_AT] >= t[m.OPENED_AT]).all()
    # realistic values
    prio = t.loc[t[m.KIND] == "incident", m.PRIORITY].value_counts(normalize=True)
    assert prio[3] + prio[4] > 0.7
    assert t.loc[t[m.KIND] == "incident", m.PRIORITY_RAW].isin(
        ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning"]).all()
    assert (t[m.OPENED_AT].dt.hour.between(7, 18)).mean() > 0.85
    assert t.loc[t[m.KIND] == "change", m.CHANGE_TYPE].notna().all()


def test_conditions_helpers() -> None:
    names = [f.name for f in fields(synth.Conditions)]
    assert names == ["backlog", "recurrence", "reporting", "trust", "changes", "onboarding",
                     "strategy"]
    assert synth.Conditions.all().on() == tuple(names)
    assert synth.Conditions.none().on() == ()


def test_large_generation_shape() -> None:
    s = synth.generate(200_000, seed=3)
    assert s.tickets.shape == (200_000, len(m.TICKET_COLUMNS))
    assert s.tickets[m.TICKET_ID].is_unique
    assert len(s.events) > 3 * 200_000
    assert s.tickets[m.KIND].value_counts()["incident"] > 90_000


# ---- one switch at a time -------------------------------------------------------------
def test_backlog(healthy: synth.Synthetic) -> None:
    assert backlog_change(_only("backlog")) > 0.20
    assert backlog_change(healthy) < -0.10


def test_recurrence(healthy: synth.Synthetic) -> None:
    on = _only("recurrence")
    keys, uncovered = recurring(on)
    # a single problem covers one small cluster; all the others have no problem link
    assert uncovered >= 8 and uncovered >= keys - 1
    assert on.tickets[m.PROBLEM_REF].notna().sum() >= 3
    keys, uncovered = recurring(healthy)
    assert keys >= 8 and uncovered == 0
    assert (healthy.tickets[m.KIND] == "problem").sum() > 0


def test_reporting(healthy: synth.Synthetic) -> None:
    on = _scope(_only("reporting").tickets)
    cat = on[m.CATEGORY].str.lower()
    assert (cat.isna() | cat.isin(["other", "inquiry / help"])).mean() > 0.7
    assert on[m.SLA_MET].isna().all() and on[m.REASSIGNMENT_COUNT].isna().all()
    assert on[m.DUE_AT].isna().all()
    off = _scope(healthy.tickets)
    for col in (m.CATEGORY, m.SLA_MET, m.REASSIGNMENT_COUNT, m.DUE_AT):
        assert off[col].notna().all(), col
    assert off.loc[off[m.KIND] == "incident", m.SUBCATEGORY].notna().all()
    assert (off[m.CATEGORY].str.lower().isin(["other", "inquiry / help"])).mean() < 0.1


def test_trust(healthy: synth.Synthetic) -> None:
    on = _only("trust")
    assert chaser_share(on) >= 0.15
    assert bypass_share(on) >= 0.5
    comments = on.events.loc[on.events[m.EV_AUTHOR_ROLE] == "requester", m.EV_VALUE]
    assert comments.str.contains("Neuigkeiten|nouvelles|novedad|nieuws", regex=True).any()
    assert chaser_share(healthy) < 0.01
    assert bypass_share(healthy) < 0.3


def test_changes(healthy: synth.Synthetic) -> None:
    on = _only("changes")
    t = on.tickets
    assert t[m.CAUSED_BY_CHANGE].notna().sum() >= 5
    assert t[m.CAUSED_BY_CHANGE].dropna().isin(t[m.TICKET_ID]).all()
    assert t[m.CHANGE_OUTCOME].isin(["failed", "successful_with_issues"]).sum() >= 5
    assert change_pairs(on) >= 10
    h = healthy.tickets
    assert h[m.CAUSED_BY_CHANGE].isna().all()
    assert not h[m.CHANGE_OUTCOME].isin(["failed", "successful_with_issues", "backed_out"]).any()
    assert change_pairs(healthy) == 0
    assert (h[m.KIND] == "change").sum() > 100


def test_onboarding(healthy: synth.Synthetic) -> None:
    assert onboarding_slow_share(_only("onboarding")) >= 0.40
    assert onboarding_slow_share(healthy) <= 0.05
    onb = healthy.tickets[healthy.tickets[m.REQUEST_ITEM] == "New hire onboarding"]
    assert len(onb) > 30 and onb[m.START_DATE].notna().all()


def test_strategy(healthy: synth.Synthetic) -> None:
    on = _only("strategy")
    operational, strategic = effort_split(on)
    assert operational > 0.75 and strategic == 0
    assert on.tickets[m.KIND].isin(["incident", "request"]).mean() > 0.9
    # strategic work long ago (epics done before the span): the export can hold it
    epics = on.tickets[on.tickets[m.KIND] == "other"]
    assert len(epics) > 0 and (epics[m.OPENED_AT] < on.start).all()
    operational, strategic = effort_split(healthy)
    assert strategic >= 0.15 and operational < 0.7
    assert healthy.tickets[m.TIME_SPENT_HOURS].notna().all()


def test_switches_leave_each_other_alone(healthy: synth.Synthetic) -> None:
    # turning trust on must not move the backlog condition, and vice versa
    assert backlog_change(_only("trust")) < -0.10
    assert chaser_share(_only("backlog")) < 0.01


# ---- ServiceNow writer ----------------------------------------------------------------
def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize("style", ["field", "label"])
def test_write_servicenow_csv(tmp_path: Path, style: str) -> None:
    s = synth.generate(600, conditions=synth.Conditions(trust=True, changes=True))
    paths = write_servicenow(s.tickets, s.events, tmp_path, style=style)  # type: ignore[arg-type]
    assert sorted(p.name for p in paths) == sorted(f"{t}.csv" for t in SERVICENOW_TABLES)
    pick = 0 if style == "field" else 1
    for table, spec in SERVICENOW_TABLES.items():
        assert _header(tmp_path / f"{table}.csv") == [c[pick] for c in spec]
    inc = pd.read_csv(tmp_path / "incident.csv", dtype=str, keep_default_na=False)
    n_inc = int((s.tickets[m.KIND] == "incident").sum())
    assert len(inc) == n_inc
    number, state, prio, comments = (("number", "state", "priority", "comments") if pick == 0
                                     else ("Number", "State", "Priority",
                                           "Additional comments"))
    assert inc[number].str.fullmatch(r"INC\d{7}").all()
    assert set(inc[state]) <= {"New", "In Progress", "On Hold", "Resolved", "Closed",
                               "Canceled"}
    assert inc[prio].str.fullmatch(r"[1-5] - \w+").all()
    journal = inc.loc[inc[comments] != "", comments]
    assert journal.str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - .+ \(Additional comments\)\n",
                                regex=True).all()
    chg = pd.read_csv(tmp_path / "change_request.csv", dtype=str, keep_default_na=False)
    close = chg["close_code" if pick == 0 else "Close code"]
    assert "Unsuccessful" in set(close)


def test_journal_is_newest_first(tmp_path: Path) -> None:
    s = synth.generate(600, conditions=synth.Conditions(trust=True))
    write_servicenow(s.tickets, s.events, tmp_path, tables=("incident",))
    inc = pd.read_csv(tmp_path / "incident.csv", dtype=str, keep_default_na=False)
    multi = inc.loc[inc["comments"].str.count(r"\(Additional comments\)") > 1, "comments"]
    assert len(multi) > 10
    for text in multi.head(20):
        stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - ", text, re.MULTILINE)
        assert stamps == sorted(stamps, reverse=True)


def test_reporting_gap_drops_columns_and_chunks(tmp_path: Path) -> None:
    s = synth.generate(600, conditions=synth.Conditions(reporting=True))
    paths = write_servicenow(s.tickets, s.events, tmp_path, max_rows=100,
                             tables=("incident",))
    assert len(paths) > 2 and paths[0].name == "incident_1.csv"
    header = _header(paths[0])
    assert "made_sla" not in header and "reassignment_count" not in header
    total = sum(len(pd.read_csv(p, dtype=str)) for p in paths)
    assert total == int((s.tickets[m.KIND] == "incident").sum())


def test_write_servicenow_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    s = synth.generate(300)
    paths = write_servicenow(s.tickets, s.events, tmp_path, style="label", fmt="xlsx",
                             tables=("incident", "sc_req_item"))
    assert [p.name for p in paths] == ["incident.xlsx", "sc_req_item.xlsx"]
    ws = openpyxl.load_workbook(paths[0], read_only=True)["Page 1"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [c[1] for c in SERVICENOW_TABLES["incident"]]
    assert len(rows) - 1 == int((s.tickets[m.KIND] == "incident").sum())


def test_duration_display() -> None:
    hours = pd.Series([0.25, 1.0, 2.5, 26.75, None, 0.0, 20 / 3600, 1 / 3600],
                      dtype="Float64")
    # under half a minute: seconds, not an empty cell (a blank reads as no time logged)
    assert duration_display(hours).tolist() == [
        "15 Minutes", "1 Hour", "2 Hours 30 Minutes", "1 Day 2 Hours 45 Minutes", pd.NA, pd.NA,
        "20 Seconds", "1 Second"]
