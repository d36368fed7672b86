"""How the extract's cut is recognised (review 16, rv16b: the real ServiceNow audit log
cut the way clients cut their exports).

- D1: a closed-only list (state Resolved or Closed) read "backlog clear, shrank 89%, 0
  open" because 91 Resolved incidents without a resolved time counted as open at its
  cut: open is a status that is not done, not a missing done time.
- D2: the cut was judged over every tool pooled: a closed-only ServiceNow list beside a
  small Jira desk read "clear, shrank 82%" with no note. Each tool is judged on its own.
- D4: a group's export read "a file of a split export is probably missing" from empty
  weeks after the window's end (a flow that ends, then trickles): each side of a gap
  must predict the arrivals, and a gap after the window is no gap of it.
- D7: an "updated since" ServiceNow list was not seen: tickets resolved before the
  floor and closed after it are in it for their closure.
- D9: the whole list read "no week's backlog can be rebuilt" for a cut 8 months after
  its window: the cut is judged for the window's weeks.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.report import Finding, Report
from itsm_diag.signs import shape as sh
from itsm_diag.writers.jira import write_jira

# the stationary desk of the backlog-cut tests, and its ServiceNow incident list header
from test_fix_backlog_cut import END, HEADER, _desk


def _write(rows: pd.DataFrame, folder: Path, name: str = "incident.csv") -> Path:
    """A ServiceNow incident list: ``rows`` with opened, resolved, closed, updated (any
    may be NaT) and state."""
    folder.mkdir(parents=True, exist_ok=True)

    def when(ts: pd.Timestamp) -> str:
        return "" if pd.isna(ts) else ts.strftime("%Y-%m-%d %H:%M:%S")

    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, row in enumerate(rows.itertuples(index=False)):
            out.writerow({
                "number": f"INC{i + 1:07d}", "short_description": f"problem {i % 97}",
                "state": row.state, "priority": "3 - Moderate", "category": "Software",
                "assignment_group": f"Desk {i % 3}", "assigned_to": f"Agent {i % 9}",
                "caller_id": f"User {i % 700}", "contact_type": "Self-service",
                "opened_at": when(row.opened), "resolved_at": when(row.resolved),
                "closed_at": when(row.closed), "sys_updated_on": when(row.updated)})
    return folder


def _as_of(desk: pd.DataFrame, cut: pd.Timestamp, close_after: pd.Timedelta
           ) -> pd.DataFrame:
    """The desk's current state at ``cut``: resolved at its done time, closed
    ``close_after`` later, each by the cut; updated at its last change."""
    opened = desk["opened"][desk["opened"] <= cut]
    done = desk["done"][desk["opened"] <= cut]
    resolved = done.where(done <= cut)
    closed = (resolved + close_after).where(resolved + close_after <= cut)
    state = np.where(closed.notna(), "Closed", np.where(resolved.notna(), "Resolved",
                                                        "In Progress"))
    updated = closed.fillna(resolved).fillna(opened)
    return pd.DataFrame({"opened": opened, "resolved": resolved, "closed": closed,
                         "updated": updated, "state": state}).reset_index(drop=True)


def _closed_only(desk: pd.DataFrame) -> pd.DataFrame:
    """A "state is Resolved or Closed" list of the desk as of ``END``."""
    rows = _as_of(desk, END, pd.Timedelta(days=1))
    return rows[rows["state"] != "In Progress"].reset_index(drop=True)


def _run(folder: Path, **options: str) -> Report:
    return api.diagnose_paths([folder], api.RunOptions(**options))


def _sign(report: Report, sign: str = "backlog") -> Finding:
    return next(s for s in report.signs if s.id == sign)


# ---- D1: done by its status is not open -------------------------------------------------

def test_a_closed_only_list_with_resolved_rows_lacking_a_time_is_none_open(
        tmp_path: Path) -> None:
    desk = _desk(seed=16, per_day=40, weeks=26, median_days=2.0)
    closed = _closed_only(desk)
    # Resolved incidents without a resolved or closed time (ServiceNow's "created
    # already resolved", closed later): done by their status
    timeless = closed.sample(40, random_state=1).index
    closed.loc[timeless, ["resolved", "closed"]] = pd.NaT
    closed.loc[timeless, "state"] = "Resolved"
    report = _run(_write(closed, tmp_path / "closed"))
    shape = report.extract_shape["none_open"]  # they made 40 open of about 100 expected
    assert shape["open_at_cut"] == 0
    assert 0.05 * shape["expected_open"] < 40  # over the gate of 5%: they switched it off
    assert "source" not in shape
    backlog = _sign(report)
    assert backlog.status == "unknown"  # it read clear, shrank most of the queue
    assert backlog.reason.count("The export looks selected on closure: 0 incidents") == 1
    assert any(n.startswith("The export looks selected on closure: 0 incidents and "
                            "requests were open at its cut") for n in report.data_notes)
    # the whole list as of the same day: its open queue is there, and it is no cut
    whole = _run(_write(_as_of(desk, END, pd.Timedelta(days=1)), tmp_path / "whole"))
    assert "none_open" not in whole.extract_shape


# ---- D2: each tool's cut on its own -----------------------------------------------------

def _jira(folder: Path, n: int) -> None:
    """A small Jira desk with its open issues, up to ``END``."""
    made = synth.generate(n, seed=5, end=f"{END:%Y-%m-%d}", weeks=26)
    write_jira(made.tickets, made.events, folder, name="jira_desk")


def test_a_closed_only_tool_is_not_hidden_by_another_tools_open_tickets(
        tmp_path: Path) -> None:
    desk = _desk(seed=17, per_day=40, weeks=26, median_days=2.0)
    folder = _write(_closed_only(desk), tmp_path / "mixed")
    _jira(folder, 600)
    report = _run(folder)
    shape = report.extract_shape["none_open"]  # the two pooled: Jira's open were its queue
    assert shape["source"] == "servicenow" and shape["open_at_cut"] == 0
    assert shape["scope"] > shape["total"] > 0.8 * shape["scope"]
    backlog = _sign(report)
    assert backlog.status == "unknown", backlog.reason
    part = (f"The servicenow part of the export ({shape['total']:,} of its "
            f"{shape['scope']:,} incidents and requests, "
            f"{shape['total'] / shape['scope']:.0%}; the other tools' are not cut so")
    assert part in backlog.reason and "but the weekly backlog pools them" in backlog.reason
    assert any(n.startswith(part) for n in report.data_notes)
    # the Jira desk alone is no such cut; so neither is the export whole of each
    jira = tmp_path / "jira"
    _jira(jira, 600)
    assert "none_open" not in _run(jira).extract_shape
    # a window ending three days before the cut: judged on the servicenow tickets' own
    # times to done, and still cut
    late = _run(folder, until=f"{END - pd.Timedelta(days=3):%Y-%m-%d}")
    shape = late.extract_shape["none_open"]
    assert shape["source"] == "servicenow" and shape["missing_at_end"] > 0
    assert _sign(late).status == "unknown"


def test_a_small_tool_is_not_judged_apart(tmp_path: Path) -> None:
    """A tool under ``source_min_share`` of the export's incidents and requests (or
    ``min_tickets``) is no cut of its own."""
    desk = _desk(seed=18, per_day=40, weeks=26, median_days=2.0)
    tickets = api._load([_write(_closed_only(desk), tmp_path / "sn")],
                        api.RunOptions()).tickets
    params = {**api.load_rules(None).defaults.shape, "source_min_share": 0.99}
    other = tickets.head(200).copy()  # a second tool's 200 open tickets
    for column in (m.RESOLVED_AT, m.CLOSED_AT):
        other[column] = other[column].where(pd.Series(False, index=other.index))
    other[m.SOURCE_TOOL] = other[m.SOURCE_TOOL].astype(object).where(
        pd.Series(False, index=other.index), "other")
    other[m.STATUS] = other[m.STATUS].astype(object).where(
        pd.Series(False, index=other.index), "open")
    many = m.conform_tickets(pd.concat([tickets.astype({m.SOURCE_TOOL: object,
                                                        m.STATUS: object}), other],
                                       ignore_index=True))
    assert sh.measure_shape(many, params).none_open is None
    found = sh.measure_shape(many, {**params, "source_min_share": 0.05}).none_open
    assert found is not None and found.source == "servicenow"


# ---- D4: a gap is weeks both sides of which are busy, inside the window ------------------

def test_a_flow_that_ends_in_a_trickle_is_no_gap(tmp_path: Path) -> None:
    desk = _desk(seed=19, per_day=40, weeks=20, median_days=1.0)
    last = desk["opened"].max()
    # stragglers after the flow ends: 2 in 4 weeks, then 1 a week (a group's cut)
    trickle = pd.DataFrame({"opened": [last + pd.Timedelta(days=d) for d in
                                       (40, 47, 54, 61, 68)]})
    trickle["done"] = trickle["opened"] + pd.Timedelta(days=2)
    rows = _as_of(pd.concat([desk, trickle], ignore_index=True),
                  trickle["done"].max() + pd.Timedelta(days=3), pd.Timedelta(days=1))
    report = _run(_write(rows, tmp_path / "trickle"))
    # the mean of the two sides (4 weeks of ~200, 4 of ~1) predicted ~400 in the empty
    # weeks after the window's end: "a file of a split export is probably missing"
    assert "gap" not in report.extract_shape
    assert not any("split export" in n for n in report.data_notes)
    assert "No incident or request was opened between" not in _sign(report).reason


def test_a_gap_after_the_window_is_no_gap_of_it(tmp_path: Path) -> None:
    desk = _desk(seed=20, per_day=40, weeks=30, median_days=1.0)
    hole = (desk["opened"] >= END - pd.Timedelta(weeks=8)) & (
        desk["opened"] < END - pd.Timedelta(weeks=5))
    folder = _write(_as_of(desk[~hole], END, pd.Timedelta(days=1)), tmp_path / "split")
    inside = _run(folder)
    assert "gap" in inside.extract_shape  # a file missing inside the window: as before
    assert "No incident or request was opened between" in _sign(inside).reason
    until = f"{END - pd.Timedelta(weeks=9):%Y-%m-%d}"  # the window ends before the hole
    before = _run(folder, until=until)
    assert "gap" not in before.extract_shape
    assert not any("split export" in n for n in before.data_notes)
    backlog = _sign(before)
    assert "No incident or request was opened between" not in backlog.reason
    # its trend is measured (a stationary desk's may be unknown on its own noise)
    assert backlog.metrics["backlog_shrink"].value is not None, backlog.reason


# ---- D7: the closure puts a resolved ticket in an updated-since export -------------------

def test_an_updated_since_list_of_a_tool_that_closes_later_is_seen(tmp_path: Path) -> None:
    desk = _desk(seed=21, per_day=40, weeks=30, median_days=2.0)
    # resolved, then auto-closed 20 days later (its own update); open ones touched lately
    rows = _as_of(desk, END, pd.Timedelta(days=20))
    still = rows["resolved"].isna()
    rows.loc[still, "updated"] = END - pd.Timedelta(hours=6)
    floor = END - pd.Timedelta(days=45)
    cut = rows[rows["updated"] >= floor].reset_index(drop=True)
    well_before = floor - pd.Timedelta(days=7)
    old = cut["opened"] < well_before
    resolved_before = int((old & (cut["resolved"] < well_before)).sum())
    assert resolved_before > 0.1 * int(old.sum())  # the resolved time failed the 10% gate
    report = _run(_write(cut, tmp_path / "updated"))
    shape = report.extract_shape["updated_since"]
    assert shape["done_before"] == 0 and shape["opened_before"] == int(old.sum())
    assert pd.Timestamp(report.window.first_day) > floor.normalize()
    assert any(n.startswith("The export looks selected on its update time")
               for n in report.data_notes)


# ---- D9: a none-open cut long after the window -----------------------------------------

def test_a_cut_long_after_the_window_leaves_its_weeks_whole(tmp_path: Path) -> None:
    desk = _desk(seed=22, per_day=40, weeks=40, median_days=1.0)
    folder = _write(_closed_only(desk), tmp_path / "closed")
    assert "none_open" in _run(folder).extract_shape  # at its own cut: as before
    # the window ends 8 weeks before the cut: a ticket open then is missing only if it
    # stayed open 56 days, which next to none does
    early = _run(folder, until=f"{END - pd.Timedelta(weeks=8):%Y-%m-%d}")
    assert "none_open" not in early.extract_shape
    backlog = _sign(early)
    assert "looks selected on closure" not in backlog.reason
    assert backlog.metrics["backlog_shrink"].value is not None, backlog.reason
    assert backlog.metrics["open_now"].value is not None
    # three days before the cut: a good part of the queue then is still open at the cut
    late = _run(folder, until=f"{END - pd.Timedelta(days=3):%Y-%m-%d}")
    shape = late.extract_shape["none_open"]
    assert shape["window_end"] == f"{END - pd.Timedelta(days=3):%Y-%m-%d}"
    assert shape["missing_at_end"] > shape["max_share"] * shape["expected_at_end"]
    assert 2 < shape["after_days"] < 4  # the end of its last day to the cut
    backlog = _sign(late)
    assert backlog.status == "unknown"
    said = (f"The window ends on {shape['window_end']}, {shape['after_days']:,.0f} days "
            f"before the cut, and about {shape['missing_at_end']:,.1f} of the "
            f"{shape['expected_at_end']:,.0f} tickets its flow predicts open then")
    assert said in backlog.reason, backlog.reason
    assert any(f"The window ends on {shape['window_end']}" in n for n in late.data_notes)


def test_the_real_logs_cut_leaves_its_window_whole(real_log: Path) -> None:
    """Its cut (17 February 2017, the stragglers' last) comes 256 days after its window's
    end (5 June 2016, where its arrivals thin out): 0.3% of the time to done runs past
    that, so its backlog is judged, as the same list without its stragglers was."""
    tickets = api._load([real_log], api.RunOptions()).tickets
    rules = api.load_rules(None)
    done_at = m.done_at(tickets)
    shape = sh.measure_shape(tickets, rules.defaults.shape, done_at)
    assert shape.none_open is not None and shape.none_open.open_at_cut == 0
    end = pd.Timestamp("2016-06-05 23:59:59.999999", tz="UTC")
    judged = sh.judge_none_open(shape, tickets, done_at, end, rules.defaults.shape)
    assert judged.none_open is None
    kept = sh.judge_none_open(shape, tickets, done_at, end,
                              {**rules.defaults.shape, "none_open_max_share": 0.0})
    at_end = kept.none_open.at_end if kept.none_open is not None else None
    assert at_end is not None and 255 < at_end.after_days < 257
    assert 0 < at_end.missing < 0.005 * at_end.expected
    report = _run(real_log)
    assert "none_open" not in report.extract_shape
    assert _sign(report).status == "clear"
