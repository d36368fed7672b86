"""An export selected on its update time ("updated in the last 30 days"), a CI review.

Such an export lacks every ticket done before its floor (the earliest update) and every
ticket still open but not updated since: the backlog of the weeks before the floor
climbs by the tickets missing from them, and it read "growth 107%", triggered, with no
note, one month, then "cleared" the next, so a monthly CI job reported a worsening and a
recovery that were only the cut. The counts a month were spread over the 13 weeks of a
window the export held 4 of.

Now the shape is seen (``updated_since``), in numbers; the window starts the day after
the floor; the backlog and what is open are not judged; ``compare`` says two exports were
cut differently. A whole export, one whose tool began with a migrated open backlog
before the window, and one whose update times a migration stamped (done times kept
before it) are not taken for one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, compare, config
from itsm_diag.report import Finding, Report

END = pd.Timestamp("2026-04-03 18:00")
HEADER = ["number", "short_description", "state", "priority", "category", "assignment_group",
          "assigned_to", "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on"]


def _desk(seed: int = 3, per_day: float = 30, weeks: int = 40, median_days: float = 3.0
          ) -> pd.DataFrame:
    """A steady desk: opened on working days, done after a lognormal stay; updated last
    when closed (a day after done), or at a last touch while open."""
    rng = np.random.default_rng(seed)
    days = pd.date_range((END - pd.Timedelta(weeks=weeks)).normalize(),
                         END.normalize() - pd.Timedelta(days=1), freq="B")
    counts = rng.poisson(per_day, len(days))
    opened = (pd.to_datetime(np.repeat(days.to_numpy(), counts))
              + pd.to_timedelta(rng.uniform(8, 18, int(counts.sum())), unit="h"))
    stay = pd.to_timedelta(median_days * np.exp(rng.normal(0, 1.3, len(opened))), unit="D")
    done = opened + stay
    done = pd.Series(done).where(done <= END)
    closed = (done + pd.Timedelta(days=1)).where(done + pd.Timedelta(days=1) <= END)
    # an open ticket was last touched somewhere between its opening and the export
    touch = opened + (END - opened) * rng.uniform(0, 1, len(opened))
    updated = closed.fillna(done).fillna(pd.Series(touch))
    return pd.DataFrame({"opened": opened, "done": done.to_numpy(), "closed": closed.to_numpy(),
                         "updated": updated.to_numpy()})


def _write(df: pd.DataFrame, folder: Path, groups: tuple[str, ...] = ("Desk",)) -> Path:
    """The tickets as a ServiceNow incident list, assigned to ``groups`` in turn."""
    folder.mkdir(parents=True, exist_ok=True)

    def when(ts: object) -> str:
        return "" if pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")

    with (folder / "incident.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, HEADER)
        out.writeheader()
        for i, row in enumerate(df.itertuples(index=False)):
            state = ("Closed" if not pd.isna(row.closed) else
                     "Resolved" if not pd.isna(row.done) else "In Progress")
            out.writerow({
                "number": f"INC{i + 1:07d}", "short_description": f"problem {i % 97}",
                "state": state, "priority": "3 - Moderate", "category": "Software",
                "assignment_group": groups[i % len(groups)], "assigned_to": "Agent 1",
                "caller_id": f"User {i % 700}", "contact_type": "Self-service",
                "opened_at": when(row.opened), "resolved_at": when(row.done),
                "closed_at": when(row.closed), "sys_updated_on": when(row.updated)})
    return folder


def _run(folder: Path, **options: object) -> Report:
    return api.diagnose_paths([folder], api.RunOptions(**options))  # type: ignore[arg-type]


def _sign(r: Report, sid: str) -> Finding:
    return next(s for s in r.signs if s.id == sid)


@pytest.fixture(scope="module")
def desk() -> pd.DataFrame:
    return _desk()


@pytest.fixture(scope="module")
def reports(desk: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Report, Report]:
    full = _run(_write(desk, tmp_path_factory.mktemp("full")))
    floor = END - pd.Timedelta(days=30)
    cut = _run(_write(desk[desk["updated"] >= floor], tmp_path_factory.mktemp("upd30")))
    return full, cut


def test_an_updated_since_export_is_seen_and_its_backlog_not_judged(
        reports: tuple[Report, Report]) -> None:
    full, cut = reports
    assert "updated_since" not in full.extract_shape
    assert "update time" not in _sign(full, "backlog").reason
    seen = cut.extract_shape["updated_since"]
    assert seen["floor"].startswith("2026-03-04")
    assert seen["opened_before"] >= 20 and seen["done_before"] == 0
    backlog = _sign(cut, "backlog")
    assert backlog.status == "unknown"
    assert "selected on its update time" in backlog.reason
    assert "not updated since" in backlog.reason
    assert any("looks selected on its update time" in n for n in cut.data_notes)


def test_its_window_starts_the_day_after_the_floor(reports: tuple[Report, Report]) -> None:
    full, cut = reports
    assert full.window.start.startswith("2026-01-03")  # 13 weeks up to the as-of
    assert cut.window.start.startswith("2026-03-05")
    assert "first whole day after the export's earliest update" in cut.window.how_chosen
    # the counts a month are those of the weeks the export holds: the desk's ~650 a month
    # (30 a working day), not a third of it
    months = (pd.Timestamp(cut.window.end) - pd.Timestamp(cut.window.start)) / pd.Timedelta(
        days=365.25 / 12)
    assert 500 < cut.tickets.in_window / months < 800


def test_compare_says_the_two_exports_were_cut_differently(
        reports: tuple[Report, Report]) -> None:
    full, cut = reports
    wording = config.load_rules().defaults.wording
    notes = compare.compare(full, cut, wording).notes
    assert any("cut differently" in n for n in notes)


def test_a_tool_begun_with_a_migrated_open_backlog_is_no_update_cut(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    """The desk's first ticket long before the window, with 200 older tickets migrated
    open (opened a year earlier, none done before the tool began): the earliest update
    is the tool's start, before the window, which holds nothing it cut."""
    rng = np.random.default_rng(5)
    start = desk["opened"].min()
    old = pd.DataFrame({
        "opened": start - pd.to_timedelta(rng.uniform(30, 365, 200), unit="D"),
        "done": start + pd.to_timedelta(rng.uniform(1, 20, 200), unit="D")})
    old["closed"] = old["done"] + pd.Timedelta(days=1)
    old["updated"] = old["closed"]
    r = _run(_write(pd.concat([old, desk], ignore_index=True), tmp_path / "migrated"))
    assert "updated_since" not in r.extract_shape
    assert r.window.start.startswith("2026-01-03")


def test_update_times_a_migration_stamped_are_no_update_cut(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    """Every ticket's update time set to one day by a migration 20 days before the
    export, the later ones updated after it: the tickets done before it keep their done
    times, so it is no cut."""
    stamp = END - pd.Timedelta(days=20)
    moved = desk.assign(updated=desk["updated"].where(desk["updated"] >= stamp, stamp))
    r = _run(_write(moved, tmp_path / "stamped"))
    assert "updated_since" not in r.extract_shape


def test_the_floor_is_a_setting(desk: pd.DataFrame, tmp_path: Path) -> None:
    floor = END - pd.Timedelta(days=30)
    folder = _write(desk[desk["updated"] >= floor], tmp_path / "upd30")
    rules = tmp_path / "itsm-diag.yaml"
    rules.write_text("defaults:\n  shape:\n    updated_min_opened: 100000\n", encoding="utf-8")
    r = _run(folder, config_file=rules)
    assert "updated_since" not in r.extract_shape


def test_a_quick_desk_cut_on_its_update_time_is_seen_from_a_few_older_tickets(
        tmp_path: Path) -> None:
    """Tickets done within a day (median): cut to the last 30 days of updates, 15 of them
    were opened more than a week before the floor and none was done by then; a gate of
    20 let its backlog read the cut (a review: "9 -> 27", triggered)."""
    quick = _desk(median_days=1.0)
    cut = quick[quick["updated"] >= END - pd.Timedelta(days=30)]
    r = _run(_write(cut, tmp_path / "upd30"))
    seen = r.extract_shape["updated_since"]
    assert 5 <= seen["opened_before"] < 20 and seen["done_before"] == 0
    assert _sign(r, "backlog").status == "unknown"


def test_a_since_after_the_floor_keeps_the_cut_named(desk: pd.DataFrame,
                                                     tmp_path: Path) -> None:
    """The open tickets not updated since the floor are missing from every week of a
    window that starts after it too (a review: --since dropped the shape)."""
    folder = _write(desk[desk["updated"] >= END - pd.Timedelta(days=30)], tmp_path / "upd30")
    r = _run(folder, since="2026-03-16")
    assert "updated_since" in r.extract_shape
    assert _sign(r, "backlog").status == "unknown"


def test_a_since_before_the_floor_counts_months_from_the_floor(
        desk: pd.DataFrame, tmp_path: Path) -> None:
    """With --since before the floor the window keeps the user's start, but every figure
    a month is over the days after the floor (Window.data_from), and the note says so
    with the configured number of days (it said "a week" whatever the setting)."""
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths
    from itsm_diag.signs.shape import measure_shape

    folder = _write(desk[desk["updated"] >= END - pd.Timedelta(days=30)], tmp_path / "upd30")
    rules = tmp_path / "itsm-diag.yaml"
    rules.write_text("defaults:\n  shape:\n    updated_floor_days: 10\n", encoding="utf-8")
    r = _run(folder, since="2026-02-01", config_file=rules)
    assert r.window.start.startswith("2026-02-01")
    note = next(n for n in r.data_notes if "selected on its update time" in n)
    assert "more than 10 days before that" in note
    assert "every figure a month is over the days after it" in note
    assert "starts_late" not in r.extract_shape  # the update cut's note says where
    loaded = config.load_rules_with(rules)
    tickets = load_paths([folder], ImportOptions()).tickets
    from itsm_diag import engine
    shape = measure_shape(tickets, loaded.defaults.shape)
    window = engine.choose_window(tickets, loaded, since=pd.Timestamp("2026-02-01", tz="UTC"),
                                  shape=shape).window
    assert window.data_from == pd.Timestamp("2026-03-05", tz="UTC")
