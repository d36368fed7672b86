"""A desk that changed tools mid-window: ServiceNow until the cut-over, Jira after it, the
tickets open at the migration closed in ServiceNow and created (stamped) in Jira.

Review 23a, D1-D3 (the reviewer's shapes, ``/work/rv23a/build_migration.py``; the truth is
the same synthetic desk written whole to one tool: 248 open at the end, trend 437 -> 249,
shrink 43%, 3,544 opened and 3,721 done in the window, 2,863 incidents and requests
opened by category):

- D1: the old tool's migration hour was read as a clean-up script's closures, its tickets
  counted open to the window end as well as in Jira: 452 open where 248 are, trend
  641 -> 453.
- D2: the retired tool was read as "selected on closure" (0 open at its cut): backlog,
  reporting and onboarding unknown, band "undetermined", also for a window wholly after
  the cut-over.
- D3: the import's tickets counted as new demand: 4,065 opened, 4,242 done, 3,248 by
  category, 596 arrivals in the migration's week where 211 arrived.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.report import Report
from itsm_diag.writers.jira import write_jira
from itsm_diag.writers.servicenow import write_servicenow

C = pd.Timestamp("2026-07-01 00:00", tz="UTC")
M = pd.Timestamp("2026-07-13 02:00", tz="UTC")


def _build(root: Path, share: float) -> tuple[Path, Path]:
    """The desk split at the cut-over, ``share`` of the tickets open at M migrated (the
    rest finished in ServiceNow), each migrated one closed in ServiceNow at M and opened
    in Jira at M (the import's stamp)."""
    d = synth.generate(8000, seed=11, end="2026-09-30", weeks=26)
    t, ev = d.tickets.copy(), d.events.copy()
    t["source_tool"] = "servicenow"
    rng = np.random.default_rng(5)
    done_at = t[["resolved_at", "closed_at"]].min(axis=1)
    opened = t["opened_at"]
    overlap = (opened >= C) & (opened < M)
    to_sn = (opened < C) | (overlap & (rng.random(len(t)) < 0.5))
    sn, jr = t[to_sn].copy(), t[~to_sn].copy()
    mig = sn[(sn["opened_at"] < M) & ~(done_at[to_sn] <= M)].copy()
    if share < 1:
        mig = mig[np.random.default_rng(8).random(len(mig)) < share]
    sel = sn.ticket_id.isin(mig.ticket_id)
    sn.loc[sel, "status"] = "closed"
    sn.loc[sel, "status_raw"] = pd.NA
    for col in ("resolved_at", "closed_at", "updated_at"):
        sn.loc[sel, col] = M
    j = mig.copy()
    j["ticket_id"] = "MIG" + j["ticket_id"].astype(str)
    j["opened_at"] = M
    j["source_tool"] = "jira"
    jj = pd.concat([jr, j], ignore_index=True)
    ids = set(mig.ticket_id)
    for col in ("problem_ref", "caused_by_change", "parent_ref"):
        jj[col] = jj[col].map(lambda r: ("MIG" + r) if isinstance(r, str) and r in ids
                              else r).astype(t[col].dtype)
    moved = ev.ticket_id.isin(mig.ticket_id) & (ev["at"] >= M)
    e_mig = ev[moved].copy()
    e_mig["ticket_id"] = "MIG" + e_mig["ticket_id"].astype(str)
    write_servicenow(sn, ev[ev.ticket_id.isin(sn.ticket_id) & ~moved], root / "servicenow")
    write_jira(jj, pd.concat([ev[ev.ticket_id.isin(jr.ticket_id)], e_mig],
                             ignore_index=True), root / "jira", max_rows=100000)
    return root / "servicenow", root / "jira"


def _run(paths: tuple[Path, Path], since: str | None = None) -> Report:
    opts = api.RunOptions(since=since)
    return api.diagnose_paths(list(paths), opts)


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build(tmp_path_factory.mktemp("mig_stamp"), 1.0)


@pytest.fixture(scope="module")
def half(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build(tmp_path_factory.mktemp("mig_half"), 0.5)


def _backlog(report: Report) -> dict[str, float | None]:
    sign = next(s for s in report.signs if s.id == "backlog")
    return {k: f.value for k, f in sign.metrics.items()}


def test_d1_a_migrations_closures_are_no_cleanup_and_count_once(
        half: tuple[Path, Path]) -> None:
    report = _run(half)
    backlog = next(s for s in report.signs if s.id == "backlog")
    figures = _backlog(report)
    # the truth (the whole desk in one tool): 248 open, 437 -> 249, shrink 43%; before,
    # 452 open and 641 -> 453 (the migrated tickets open in both tools)
    assert backlog.status == "clear"
    assert figures["open_now"] == 248
    assert figures["backlog_start"] == pytest.approx(437.14, abs=0.01)
    assert figures["backlog_end"] == pytest.approx(248.86, abs=0.01)
    assert figures["backlog_shrink"] == pytest.approx(0.4307, abs=0.001)
    # no clean-up read in the migration hour
    assert not any(n.code == "mass_closure" for n in backlog.evidence.notes)
    assert "migration" in report.extract_shape
    moved = report.extract_shape["migration"]
    assert (moved["source"], moved["target"]) == ("servicenow", "jira")
    assert moved["closed"] >= 200 and moved["carried"] >= 200
    weekly = report.kpis.backlog_weekly
    assert [w["open"] for w in weekly][-1] == 248


def test_d2_the_retired_tool_is_no_closure_selection(stamped: tuple[Path, Path]) -> None:
    report = _run(stamped)
    assert "none_open" not in report.extract_shape
    assert "closure_selected" not in report.extract_shape
    assert report.unknown == 0 and report.band == "healthy"
    assert _backlog(report)["open_now"] == 248
    # a window wholly after the cut-over: before, backlog, reporting and onboarding
    # (and recurrence) unknown
    after = _run(stamped, since="2026-07-20")
    status = {s.id: s.status for s in after.signs}
    for sign in ("backlog", "reporting", "onboarding"):
        assert status[sign] != "unknown", sign
    assert not any("selected on closure" in n for n in after.data_notes)


def test_d3_the_imports_tickets_are_no_arrivals(stamped: tuple[Path, Path]) -> None:
    report = _run(stamped)
    # the truth's 3,544 opened and 3,721 done (before 4,065 and 4,242: +521 each)
    assert report.tickets.in_window == 3544
    assert report.tickets.done_in_window == 3721
    assert sum(report.kpis.volume_by_category.values()) == 2863  # before 3,248
    arrivals = [w["arrivals"] for w in report.kpis.backlog_weekly]
    assert arrivals[:4] == [192, 211, 244, 231]  # before 596 in the week to 15 July
    trust = next(s for s in report.signs if s.id == "trust")
    assert trust.metrics["chaser_share"].denominator < 2900  # before 3,239
    assert any("changed tools" in n and "servicenow from 2025-10-03 to 2026-07-11" in n
               and "jira from 2026-07-01 to 2026-09-30" in n for n in report.data_notes)
