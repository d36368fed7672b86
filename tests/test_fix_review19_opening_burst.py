"""Review 19c, defect 5: a migration that stamps the open tickets it carries over with its
run time hides every old ticket.

The new tool goes live on 2026-08-03 02:00 and the tickets open then are imported with
``opened_at`` = the import run (02:00-02:30). The report said "0 open more than 90 days"
(the truth, from the control's real opened times: most of them) with no note. Now the
extract's shape names the opening burst in a data note with its numbers, and the
backlog's open-by-age table counts the stamped tickets apart, their age not known; an
alert storm resolved within minutes is no import. Recounted with pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.report import Report

MIGRATION = pd.Timestamp("2026-08-03 02:00", tz="UTC")
WINDOW_END = pd.Timestamp("2026-10-01", tz="UTC")
SCOPE = ("incident", "request")


def _desk() -> tuple[pd.DataFrame, pd.DataFrame]:
    d = synth.generate(8000, seed=11, end="2026-09-30", weeks=26)
    return d.tickets.copy(), d.events.copy()


def _migrated(t: pd.DataFrame, e: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index]:
    """The tickets open at the migration, their opened time the import run's."""
    done = t.resolved_at.fillna(t.closed_at)
    carried = (t.opened_at < MIGRATION) & ~(done < MIGRATION)
    rng = np.random.default_rng(4)
    stamp = (MIGRATION + pd.to_timedelta(rng.uniform(0, 1800, int(carried.sum())).round(),
                                         unit="s")).as_unit("us")
    out = t.copy()
    out.loc[carried, "opened_at"] = stamp.array
    # the old tool's history does not migrate
    ev = e[~(e.ticket_id.isin(set(t.ticket_id[carried])) & (e["at"] < MIGRATION))]
    return out, ev, t.index[carried]


def _storm(t: pd.DataFrame) -> pd.DataFrame:
    """400 monitoring incidents in one hour, each resolved within ten minutes."""
    at = pd.Timestamp("2026-08-12 09:00", tz="UTC")
    tmpl = t[t.kind == "incident"].sample(400, random_state=2, replace=True).copy()
    rng = np.random.default_rng(6)
    opened = (at + pd.to_timedelta(rng.uniform(0, 3000, 400).round(), unit="s")).as_unit("us")
    tmpl["ticket_id"] = [f"INC08{i:05d}" for i in range(400)]
    tmpl["opened_at"] = opened.array
    tmpl["resolved_at"] = (opened + pd.Timedelta(minutes=8)).array
    tmpl["closed_at"] = (opened + pd.Timedelta(minutes=9)).array
    tmpl["updated_at"] = tmpl["closed_at"]
    tmpl["status"] = "closed"
    out = pd.concat([t, tmpl], ignore_index=True)
    out["status"] = out["status"].astype(t["status"].dtype)
    return out


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    t, e = _desk()
    moved, ev, carried = _migrated(t, e)
    return {"control": api.diagnose_frames(t, e), "migrated": api.diagnose_frames(moved, ev),
            "storm": api.diagnose_frames(_storm(t), e), "truth": t, "moved": moved,
            "carried": carried}


def _backlog(r: Report) -> Any:
    return next(s for s in r.signs if s.id == "backlog")


def _open_at_end(t: pd.DataFrame) -> pd.Series:
    done = t.resolved_at.fillna(t.closed_at)
    return t.kind.isin(SCOPE) & (t.opened_at < WINDOW_END) & ~(done < WINDOW_END)


def _by_age(t: pd.DataFrame, mask: pd.Series) -> list[int]:
    end = WINDOW_END - pd.Timedelta(microseconds=1)
    age = ((end - t.loc[mask, "opened_at"]) / pd.Timedelta(days=1)).to_numpy()
    return [int(n) for n in np.bincount(np.searchsorted([7, 30, 90], age, side="right"),
                                        minlength=4)]


def test_the_import_hour_is_a_data_note(runs: dict[str, Any]) -> None:
    r, t, carried = runs["migrated"], runs["moved"], runs["carried"]
    burst = r.extract_shape["opening_burst"]
    stamped = int(t.loc[carried].kind.isin(SCOPE).sum())
    assert stamped >= 300
    assert burst["count"] == stamped
    assert burst["hour"] == "2026-08-03 02:00"
    still = int((t.index.isin(carried) & t.kind.isin(SCOPE)
                 & t.resolved_at.isna() & t.closed_at.isna()).sum())
    assert burst["still_open"] == still
    note = next(n for n in r.data_notes if "stamped the tickets it carried over" in n)
    assert f"{stamped:,} incidents and requests were \"opened\"" in note
    assert f"({still:,} are open at the export's end)" in note


def test_the_age_table_counts_the_stamped_tickets_apart(runs: dict[str, Any]) -> None:
    t, carried = runs["moved"], runs["carried"]
    rows = {row["age_days"]: row["count"] for row in
            _backlog(runs["migrated"]).evidence.tables["open_by_age"]}
    open_end = _open_at_end(t)
    stamped = open_end & t.index.isin(carried)
    # the tickets with a real opened time, by age (pandas), and the stamped ones apart:
    # it read 0 over 90 days, every stamped ticket 30-90 days old
    assert [rows["<7"], rows["7-30"], rows["30-90"], rows[">90"]] == _by_age(
        t, open_end & ~stamped)
    assert rows["stamped"] == int(stamped.sum())
    # ... which the control's real opened times show mostly older than 90 days
    truth = runs["truth"]
    real = _by_age(truth, _open_at_end(truth) & truth.index.isin(carried))
    assert real[3] > real[2]
    note = next(n for n in _backlog(runs["migrated"]).evidence.notes
                if n.code == "open_by_age_stamped")
    assert note.count == int(stamped.sum())
    assert "their age is not known, at least 59 days" in note.text


def test_the_control_and_an_alert_storm_have_no_opening_burst(runs: dict[str, Any]) -> None:
    for name in ("control", "storm"):
        r = runs[name]
        assert "opening_burst" not in r.extract_shape, name
        rows = _backlog(r).evidence.tables["open_by_age"]
        assert [row["age_days"] for row in rows] == ["<7", "7-30", "30-90", ">90"]
    truth = runs["truth"]
    rows = _backlog(runs["control"]).evidence.tables["open_by_age"]
    assert [row["count"] for row in rows] == _by_age(truth, _open_at_end(truth))
