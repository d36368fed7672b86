"""Review 20b, defect 4: the Monday action list put tickets waiting on the customer or a
vendor at the top as "overdue", on an assumed due time (opened + priority target) whose
clock does not pause on hold, as SLA clocks do.

On the reviewer's desk B the list read "Overdue 53% (49 of 92)", 43 of the 49 in
Awaiting User Info / Awaiting Vendor, leading the list. A ticket in a waiting status is
no longer overdue (nor due soon) on an assumed due time: it is marked "waiting on the
customer or a vendor" (with since when, where the status history shows it), listed
after the workable tickets when past that time or with another reason, and a note
counts the waiting tickets (desk B: overdue 6 of 92, waiting 78 of 92, 43 of them past
the assumed due time). A due time of the export's own that has passed stays overdue,
marked waiting. The open count stays the backlog's.

The truth is recounted with pandas from the generator's own table (tests/holddesk.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from holddesk import Desk, make
from itsm_diag import api
from itsm_diag.report import Report

END = pd.Timestamp("2026-09-30 23:59:59.999999")
TARGET = pd.Timedelta(hours=72)  # P3's resolution target (the list's target_hours)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    # seed 1: 26 open at the cut, 23 waiting (12 past the assumed due time), 3 workable
    # and overdue
    return make(tmp_path_factory.mktemp("held"), share=0.6, days=6, seed=1, per_day=6)


def _truth(desk: Desk) -> pd.DataFrame:
    t = desk.truth
    open_ = t[(t.opened <= END) & (t.resolved > END)].copy()
    open_["waiting"] = open_.state == "On Hold"
    open_["past"] = open_.opened + TARGET < END
    return open_.set_index("number")


WORDS = {"overdue": "overdue", "due_soon": "due within a day",
         "waiting": "waiting on the customer or a vendor"}


def _rows(report: Report) -> pd.DataFrame:
    """The list's rows, each row's reasons as codes (the report words them)."""
    a = report.analyses["actions"]
    rows = pd.DataFrame(a.tables["actions"].rows)
    codes = {w: c for c, w in WORDS.items()}
    rows["reasons"] = rows.reasons.map(
        lambda text: [codes.get(w, w) for w in text.split("; ")])
    return rows


@pytest.mark.parametrize("export", ["list", "log"])
def test_waiting_tickets_are_not_overdue_on_an_assumed_due_time(desk: Desk,
                                                                 export: str) -> None:
    path = desk.list_csv if export == "list" else desk.log_csv
    report = api.diagnose_paths([path], api.RunOptions())
    truth = _truth(desk)
    assert truth.waiting.sum() >= 10 and (truth.waiting & truth.past).sum() >= 5
    assert (~truth.waiting & truth.past).sum() >= 1  # overdue tickets to keep
    a = report.analyses["actions"]
    assert a.metrics["open_tickets"].value == len(truth)
    # one open count: the backlog's
    backlog = next(s for s in report.signs if s.id == "backlog")
    if "open_now" in backlog.metrics:
        assert backlog.metrics["open_now"].value == len(truth)
    workable_over = truth[~truth.waiting & truth.past]
    assert a.metrics["overdue"].numerator == len(workable_over)
    assert a.metrics["waiting"].numerator == int(truth.waiting.sum())
    rows = _rows(report).set_index("ticket_id")
    reasons = rows.reasons.map(set)
    assert set(rows.index[reasons.map(lambda r: "overdue" in r)]) == set(workable_over.index)
    # every waiting ticket past its assumed due time is listed, marked waiting, not overdue
    past_waiting = truth.index[truth.waiting & truth.past]
    assert set(past_waiting) <= set(rows.index)
    listed_waiting = rows.index[reasons.map(lambda r: "waiting" in r)]
    assert set(listed_waiting) <= set(truth.index[truth.waiting])
    assert set(past_waiting) <= set(listed_waiting)
    assert not any("due_soon" in reasons[i] or "overdue" in reasons[i] for i in listed_waiting)
    # the workable tickets first, the waiting ones after them
    is_waiting = reasons.map(lambda r: "waiting" in r).to_numpy()
    assert is_waiting.any() and not (~is_waiting).all()
    first_waiting = int(is_waiting.argmax())
    assert is_waiting[first_waiting:].all()
    # the note counts them
    said = next(n for n in a.notes if n.code == "waiting")
    assert said.count == int(truth.waiting.sum())
    assert f"{len(past_waiting):,} of them are past it" in said.text
    assert "listed, after the workable tickets" in said.text
    # since when: the status history's move into the waiting status (the log), else none
    since = rows.loc[listed_waiting, "waiting_since"]
    if export == "log":
        expected = truth.loc[listed_waiting, "hold_start"].dt.tz_localize("UTC")
        assert (pd.to_datetime(since) == expected).all()
    else:
        assert since.isna().all()
    # the worded reason, in the report's rows
    worded = report.analyses["actions"].tables["actions"]
    assert worded.columns["waiting_since"] == "Waiting since"


def test_a_due_time_of_the_export_that_passed_stays_overdue_marked_waiting(
        desk: Desk, tmp_path: Path) -> None:
    truth = _truth(desk)
    frame = pd.read_csv(desk.list_csv, dtype=str, keep_default_na=False)
    waiting_ids = list(truth.index[truth.waiting][:3])
    due = pd.Series("", index=frame.index)
    at = frame.number.isin(waiting_ids)
    # due one day after opening: passed for every one of them (open a day or more)
    opened = pd.to_datetime(frame.opened_at[at])
    assert (opened + pd.Timedelta(days=1) < END).all()
    due[at] = (opened + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["due_date"] = due
    path = tmp_path / "incident.csv"
    frame.to_csv(path, index=False)
    report = api.diagnose_paths([path], api.RunOptions())
    a = report.analyses["actions"]
    workable_over = truth[~truth.waiting & truth.past]
    assert a.metrics["overdue"].numerator == len(workable_over) + 3
    rows = _rows(report).set_index("ticket_id")
    for i in waiting_ids:
        assert rows.loc[i, "reasons"][0] == "overdue" and "waiting" in rows.loc[i, "reasons"]
        assert rows.loc[i, "due_from"] == "field"
    # listed after the workable ones, first among the waiting (overdue first)
    order = list(rows.index)
    first_waiting = min(order.index(i) for i in rows.index
                        if "waiting" in rows.loc[i, "reasons"])
    assert set(order[first_waiting:first_waiting + 3]) == set(waiting_ids)
    said = next(n for n in a.notes if n.code == "waiting")
    assert "3 are past a due time of the export's own" in said.text
