"""A 90-day cluster judged inside a 4- or 8-week window (review 16, angle A, item 2).

A recurring cluster is three incidents with one key within any 90 days (``span_days``),
but clusters were formed from the window's incidents alone: on the reviewer's desk (50
tickets a month, a 26-week export, 4 clusters of 3 incidents without a problem record at
80, 45 and 10 days before the end) an 8-week window read "clear, high: 2 recurring
clusters, 0 without a problem record" while the 13-week one triggered on the 4.

Now a window shorter than the span counts each key's incidents over the span up to the
window's end when the export reaches back that far (a cluster still needs an incident
in the window; the share of incidents that recur and the hours are the window's), with a
note; when the export does not reach back the span, a clear becomes unknown with the
days it covers against the span. A window that holds the span (the default 13 weeks)
is read as before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.writers.servicenow import write_servicenow

END = pd.Timestamp("2026-09-30 23:59:59", tz="UTC")
SINCE = {4: "2026-09-03", 8: "2026-08-06", 13: None}


def _planted(n_month: int = 50, seed: int = 3, clusters: int = 4) -> pd.DataFrame:
    """The reviewer's desk (``plant.recurrence``): a 26-week synthetic export, plus
    ``clusters`` issues of three incidents each, 80, 45 and 10 days before its end, on a
    CI of their own, none naming a problem."""
    tickets = synth.generate(n_month * 6, seed=seed, weeks=26,
                             conditions=synth.Conditions.none()).tickets.copy()
    rng = np.random.default_rng(seed)
    done = tickets[(tickets["kind"] == "incident") & tickets["resolved_at"].notna()]
    numbers = tickets["ticket_id"].str.extract(r"^INC(\d+)$")[0].dropna().astype(int)
    rows = []
    for c in range(clusters):
        for days in (80, 45, 10):
            r = done.sample(1, random_state=int(rng.integers(1e9))).copy()
            at = END - pd.Timedelta(days=days) - pd.Timedelta(hours=int(rng.integers(1, 48)))
            r["opened_at"], r["resolved_at"] = at, at + pd.Timedelta(hours=5)
            r["closed_at"] = r["updated_at"] = at + pd.Timedelta(days=3)
            r["first_response_at"] = at + pd.Timedelta(minutes=30)
            r["due_at"] = at + pd.Timedelta(days=2)
            r["status"], r["status_raw"] = "closed", "Closed"
            r["ci"], r["service"] = f"Planted App {c}", f"Planted Svc {c}"
            r["category"], r["subcategory"] = "Software", "Error message"
            r["summary"] = f"Planted App {c} shows an error when saving"
            r["problem_ref"] = pd.NA
            rows.append(r)
    new = pd.concat(rows)
    new["ticket_id"] = [f"INC{numbers.max() + i + 1:07d}" for i in range(len(new))]
    return pd.concat([tickets, new], ignore_index=True)


def _diagnose(tickets: pd.DataFrame, tmp_path: Path, weeks: int) -> Any:
    folder = tmp_path / f"in{weeks}"
    write_servicenow(tickets, None, folder)
    report = api.diagnose_paths([folder], api.RunOptions(since=SINCE[weeks]))
    return next(s for s in report.signs if s.id == "recurrence")


@pytest.fixture(scope="module")
def desk() -> pd.DataFrame:
    return _planted()


def test_an_8_week_window_counts_the_clusters_of_the_90_days_up_to_its_end(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    rec = _diagnose(desk, tmp_path, 8)
    # was clear, high: 2 recurring clusters, 0 without a problem record (0%)
    assert rec.status == "triggered"
    assert rec.metrics["recurring_clusters"].value == 8
    assert rec.metrics["uncovered_clusters"].value == 4
    table = rec.evidence.tables["top_uncovered_clusters"]
    assert sorted(row["key"] for row in table) == [
        f"planted app {c} | software | error message" for c in range(4)]
    # each counts its three incidents, the first of them before the window
    assert [row["count"] for row in table] == [3, 3, 3, 3]
    assert all(row["first_seen"] < "2026-08-06" for row in table)
    note = next(n for n in rec.evidence.notes if n.code == "span_before_window")
    assert "fewer than the 90 days" in note.text
    assert "counted over the 90 days from 2026-07-02 to 2026-09-30" in note.text
    # (30 before review 20a: 2 of them cancelled, no occurrence now)
    assert "28 keyed incidents opened before the window's start (2026-08-06)" in note.text
    # the share of incidents that recur and the hours are the window's: 17 of its 51
    # keyed incidents recur; 8 of the planted incidents (two of each cluster) fall in it
    share = rec.metrics["recurring_incident_share"]
    assert (share.numerator, share.denominator) == (17.0, 51.0)
    cost = rec.evidence.costs[0]
    assert cost.count == 8
    # at the incidents' handle minutes the cost line gives (their median logged time,
    # review 21c: the desk logs time on every incident)
    minutes = float(re.search(r"x ([\d,.]+) agent minutes", cost.text)[1].replace(",", ""))
    assert cost.hours_per_month == pytest.approx(8 / (55 / 30.4375) * minutes / 60, rel=0.02)


def test_the_default_window_holds_the_span_and_reads_as_before(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    rec = _diagnose(desk, tmp_path, 13)
    assert rec.status == "triggered"
    assert (rec.metrics["recurring_clusters"].value,
            rec.metrics["uncovered_clusters"].value) == (8, 4)
    assert not any(n.code == "span_before_window" for n in rec.evidence.notes)


def test_an_export_that_does_not_reach_back_the_span_refuses_a_clear(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    # the desk at 300 a month, its export cut 38 days before the end, read over 4 weeks:
    # its planted clusters have at most two incidents in it
    big = _planted(300)
    cut = big[big["opened_at"] > END - pd.Timedelta(days=38)]
    rec = _diagnose(cut, tmp_path, 4)
    # was clear, high ("0 without a problem record")
    assert rec.status == "unknown"
    assert rec.metrics["uncovered_clusters"].value == 0
    assert "The export reaches back 38 days from the window's end" in rec.reason
    assert "fewer than the 90 days a recurring cluster is counted over" in rec.reason
    assert "the window holds 28" in rec.reason
