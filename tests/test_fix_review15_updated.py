"""An export selected "updated on or after" a date (ServiceNow's everyday list filter), a
review (15b, defect 1).

Such an export was refused outright: backlog, onboarding and reporting read unknown at
high confidence, onboarding saying "the export holds none of the tickets still open at
its cut" and reporting "it lacks the tickets open at its cut" while it held 529 open
ones, and the re-export asked for ("every ticket opened in the period") was a strict
subset of it, which was graded.

What it lacks within a window that starts after its floor is only the tickets still open
and untouched since the floor: each is open in every week alike, so a backlog that did
not shrink stands; and when the export's own open tickets show few can have gone
untouched that long (shape.UpdateReach) every sign is judged on it. Else a clear is
unknown, with the true reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Finding, Report
from test_fix_update_cut import _write as write_list

END = pd.Timestamp("2026-04-03 18:00")
FLOOR = END - pd.Timedelta(days=70)


def _desk(seed: int, per_day: tuple[float, float], median_days: float,
          stale: float = 0.0) -> pd.DataFrame:
    """A desk over 40 weeks, arrivals a working day rising from ``per_day[0]`` to
    ``per_day[1]``, done after a lognormal stay; an open ticket was last touched within
    the last 10 days. ``stale``: that share of the open queue at the end is never
    updated after it was opened and never done, half of them opened before the floor,
    half in the first half of the days after it."""
    rng = np.random.default_rng(seed)
    days = pd.date_range((END - pd.Timedelta(weeks=40)).normalize(),
                         END.normalize() - pd.Timedelta(days=1), freq="B")
    rate = np.linspace(per_day[0], per_day[1], len(days))
    counts = rng.poisson(rate)
    opened = pd.Series(pd.to_datetime(np.repeat(days.to_numpy(), counts))
                       + pd.to_timedelta(rng.uniform(8, 18, int(counts.sum())), unit="h"))
    done = opened + pd.to_timedelta(median_days * np.exp(rng.normal(0, 1.3, len(opened))),
                                    unit="D")
    if stale:
        k = int(np.ceil(stale * int((done > END).sum())))
        half = FLOOR + (END - FLOOR) / 2
        before = np.flatnonzero(((opened < FLOOR) & (opened > FLOOR - pd.Timedelta(days=60))
                                 & (done <= END)).to_numpy())
        after = np.flatnonzero(((opened > FLOOR) & (opened < half) & (done <= END)).to_numpy())
        pick = np.concatenate([rng.choice(before, k, replace=False),
                               rng.choice(after, k, replace=False)])
        done.iloc[pick] = END + pd.Timedelta(days=3650)
    else:
        pick = np.array([], dtype=int)
    done = done.where(done <= END)
    closed = (done + pd.Timedelta(days=1)).where(done + pd.Timedelta(days=1) <= END)
    touch = pd.Series(np.maximum(opened.to_numpy(), (END - pd.to_timedelta(
        rng.uniform(0, 10, len(opened)), unit="D")).to_numpy()))
    touch.iloc[pick] = opened.iloc[pick] + pd.Timedelta(minutes=30)
    updated = closed.fillna(done).fillna(touch)
    return pd.DataFrame({"opened": opened, "done": done, "closed": closed,
                         "updated": updated})


def _write(df: pd.DataFrame, folder: Path) -> Path:
    return write_list(df, folder, groups=("Desk", "Network", "Apps"))


def _updated(df: pd.DataFrame, folder: Path) -> Report:
    """The report on the export of ``df``'s tickets updated on or after FLOOR."""
    kept = df[df["updated"] >= FLOOR]
    return api.diagnose_paths([_write(kept, folder)], api.RunOptions())


def _sign(r: Report, sid: str) -> Finding:
    return next(s for s in r.signs if s.id == sid)


def _check(r: Report, cid: str) -> Finding:
    return next(s for s in r.checks if s.id == cid)


FALSE = ("none of the tickets still open at its cut", "lacks the tickets open at its cut",
         "looks selected on closure", "no week's backlog can be rebuilt")


def _texts(r: Report) -> list[str]:
    out = [*r.data_notes]
    for f in [*r.signs, *r.checks]:
        out.append(f.reason)
        out.extend(n.text for n in f.evidence.notes)
    return out


@pytest.fixture(scope="module")
def steady() -> pd.DataFrame:
    return _desk(3, (30, 30), 1.0)


def test_an_update_cut_whose_open_tickets_are_all_recent_is_judged(
        steady: pd.DataFrame, tmp_path: Path) -> None:
    r = _updated(steady, tmp_path / "steady")
    backlog = _sign(r, "backlog")
    assert backlog.status == "clear"  # was unknown: "no week's backlog can be rebuilt"
    cut = r.extract_shape["updated_since"]
    assert cut["before_window"] and cut["covered"]
    assert cut["open"] >= 30 and cut["stale"] == 0 and cut["longest_days"] <= 10.5
    note = next(n.text for n in backlog.evidence.notes if n.code == "updated_since_judged")
    assert f"Its {cut['open']:,} incidents and requests open at its cut" in note
    assert "a ticket still open and untouched since is unlikely" in note
    assert any("so the backlog and what is open are judged" in n for n in r.data_notes)
    assert _check(r, "ownership").status != "unknown"
    assert _sign(r, "reporting").metrics["kpis_cut"].value == 0
    for text in _texts(r):
        assert not any(f in text for f in FALSE), text


def test_stale_open_tickets_keep_a_clear_unknown_with_the_true_reason(
        tmp_path: Path) -> None:
    r = _updated(_desk(3, (30, 30), 1.0, stale=0.05), tmp_path / "stale")
    backlog = _sign(r, "backlog")
    assert backlog.status == "unknown"
    assert "lacks the tickets still open but not updated since then" in backlog.reason
    cut = r.extract_shape["updated_since"]
    assert cut["before_window"] and not cut["covered"] and cut["stale"] >= 2
    assert f"{cut['stale']:,} of its {cut['open']:,} open at its cut" in backlog.reason
    assert "Add the open incidents and requests, whatever their last update" in backlog.reason
    ownership = _check(r, "ownership")
    assert ownership.status == "unknown"
    assert "still open but not updated since" in ownership.reason
    reporting = _sign(r, "reporting")
    assert reporting.metrics["kpis_cut"].value == 1
    assert any("not updated since its floor" in n.text for n in reporting.evidence.notes)
    for text in _texts(r):
        assert not any(f in text for f in FALSE), text


def test_a_growing_backlog_cut_on_its_updates_is_triggered_even_with_stale_tickets(
        tmp_path: Path) -> None:
    """The missing tickets add one number to every week: a growth stays a growth."""
    desk = _desk(5, (20, 45), 4.0, stale=0.05)
    r = _updated(desk, tmp_path / "growing")
    backlog = _sign(r, "backlog")
    assert backlog.status == "triggered"
    assert not r.extract_shape["updated_since"]["covered"]
    note = next(n.text for n in backlog.evidence.notes if n.code == "updated_since_stands")
    assert "that the backlog did not shrink stands" in note
