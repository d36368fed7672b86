"""SLA adherence is judged per ticket: the made-SLA flag where the ticket carries one, else
done by its due time.

A healthy desk with a due time on every ticket (92% met) and the flag only on the urgent
tickets that carry a task SLA (14% of them, 60% met) showed "SLA adherence 63%": the flag
alone, as soon as any ticket had one, while the reporting sign called the figure reliable
because the due times cover every ticket. The figure now covers the tickets the reporting
sign judges, and its definition gives its numerator and denominator and how many outcomes
came from the flag and how many from the due time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from casekit import tickets_frame
from itsm_diag import api, config
from itsm_diag import model as m
from itsm_diag.signs import reporting
from itsm_diag.signs.base import Context, Window
from itsm_diag.signs.kpis import compute_kpis
from shapes import closed_incident, write_csv

AS_OF = pd.Timestamp("2024-04-01", tz="UTC")
WINDOW = Window(start=AS_OF - pd.Timedelta(weeks=13), end=AS_OF)
DEFAULTS = config.Defaults(handle_minutes={"incident": 30, "request": 20},
                           catch_all_categories=["other"]).model_dump()
REPORTING = {"min_fill": 0.9, "max_negative": 0.01, "max_catch_all": 0.2,
             "one_value_share": 0.95, "one_value_min_tickets": 200, "min_done": 1}
OPENED = "2024-02-01T09:00:00"
ON_TIME = "2024-02-01T11:00:00"   # resolved 2 hours after opening
DUE = "2024-02-02T09:00:00"       # due a day after opening
LATE = "2024-02-03T09:00:00"      # resolved after the due time


def ctx_of(rows: list[Mapping[str, Any]]) -> Context:
    return Context(tickets=tickets_frame(rows), events=m.empty_events(), window=WINDOW,
                   defaults=DEFAULTS)


def done(count: int, *, late: bool = False, due: bool = True,
         flag: bool | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": "incident", "status": "resolved", "category": "Network",
                           "reassignment_count": 0, "opened_at": OPENED,
                           "resolved_at": LATE if late else ON_TIME, "_count": count}
    if due:
        row["due_at"] = DUE
    if flag is not None:
        row["sla_met"] = flag
    return row


def sla_row(ctx: Context) -> dict[str, Any]:
    rows = reporting.measure(ctx, REPORTING).tables["kpis"]
    return next(r for r in rows if r["kpi"] == "sla_adherence")


def test_the_reviewers_shape_reads_the_due_times_of_the_unflagged() -> None:
    # 200 done: due times on all; 28 urgent (14%) carry the flag, 17 met (61%), each done
    # by its due time; the 172 others: 158 done by the due time (92%), 14 after it. The
    # unflagged 92% count, and the flagged 28 count by their flag
    ctx = ctx_of([done(17, flag=True), done(11, flag=False),
                  done(158), done(14, late=True)])
    kpis = compute_kpis(ctx)
    # the flag alone read 17 / 28 = 61%; the due times alone 186 / 200 = 93%
    assert kpis["sla_adherence"] == pytest.approx((17 + 158) / 200)
    assert kpis["sla_adherence"] > 0.85
    counts = {key: kpis["left_out"][key]
              for key in ("sla_met", "sla_n", "sla_flag", "sla_due", "sla_neither")}
    assert counts == {"sla_met": 175, "sla_n": 200, "sla_flag": 28, "sla_due": 172,
                      "sla_neither": 0}
    # the reporting sign judges the same tickets: every one has an SLA outcome
    row = sla_row(ctx)
    assert row["computable"] and row["share"] == 1.0


def test_flag_only() -> None:
    ctx = ctx_of([done(6, flag=True, due=False), done(4, flag=False, due=False)])
    kpis = compute_kpis(ctx)
    assert kpis["sla_adherence"] == pytest.approx(0.6)
    assert kpis["left_out"]["sla_flag"] == 10 and kpis["left_out"]["sla_due"] == 0
    assert sla_row(ctx)["computable"]


def test_due_only() -> None:
    ctx = ctx_of([done(7), done(3, late=True)])
    kpis = compute_kpis(ctx)
    assert kpis["sla_adherence"] == pytest.approx(0.7)
    assert kpis["left_out"]["sla_flag"] == 0 and kpis["left_out"]["sla_due"] == 10
    assert sla_row(ctx)["computable"]


def test_the_flag_wins_on_a_ticket_with_both() -> None:
    # flag false though done by the due time; flag true though done after it
    ctx = ctx_of([done(3, flag=False), done(1, late=True, flag=True)])
    kpis = compute_kpis(ctx)
    assert kpis["sla_adherence"] == pytest.approx(0.25)
    assert kpis["left_out"]["sla_flag"] == 4 and kpis["left_out"]["sla_due"] == 0


def test_a_ticket_with_neither_is_left_out_and_counted() -> None:
    # no due time anywhere: every flag is an outcome (a true flag without a due time
    # beside due times is the tool's default on a ticket with no SLA: review 22a)
    ctx = ctx_of([done(9, flag=True, due=False), done(1, flag=False, due=False),
                  done(2, due=False)])
    kpis = compute_kpis(ctx)
    assert kpis["sla_adherence"] == pytest.approx(0.9)
    assert kpis["left_out"]["sla_n"] == 10 and kpis["left_out"]["sla_neither"] == 2
    # neither on 2 of 12: the reporting sign's share says the same
    assert sla_row(ctx)["share"] == pytest.approx(10 / 12)


def test_the_reporting_verdicts() -> None:
    # a flag on half the tickets and nothing else: still a configuration gap at 50%
    half = ctx_of([done(10, flag=True, due=False), done(10, due=False)])
    row = sla_row(half)
    assert not row["computable"] and row["gap"] == "configuration" and row["share"] == 0.5
    # no flag, no due time anywhere: still a capability gap
    row = sla_row(ctx_of([done(10, due=False)]))
    assert not row["computable"] and row["gap"] == "capability"
    # a flag on every ticket, or a due time on every ticket: still computable
    assert sla_row(ctx_of([done(10, flag=True, due=False)]))["computable"]
    assert sla_row(ctx_of([done(10)]))["computable"]
    # a flag on one half and a due time on the other: each ticket has an outcome and the
    # KPI counts them all (the larger of the two shares, 50%, called it sparse); the flags
    # without a due time hold a false one, so they are measured there (all true beside due
    # times they are the tool's default where no SLA is attached: review 22a)
    split = ctx_of([done(8, flag=True, due=False), done(2, flag=False, due=False),
                    done(10)])
    row = sla_row(split)
    assert row["computable"] and row["share"] == 1.0
    assert compute_kpis(split)["left_out"]["sla_n"] == 20


# ---- the whole run: a ServiceNow export ------------------------------------------------

HEADER = ["number", "short_description", "state", "priority", "category", "assignment_group",
          "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on", "due_date", "reassignment_count", "made_sla"]
START = pd.Timestamp("2026-01-05 09:00")


def write_export(path: Path, n: int, made_sla: Any) -> tuple[int, int, int, int]:
    """``n`` closed incidents, due a day after opening, every twelfth resolved after it;
    ``made_sla(i, urgent, on_time)`` gives the flag's text. Returns (met, flagged, met by
    the flag, done by the due time among the unflagged)."""
    rows, flagged, met_flag, met_due = [], 0, 0, 0
    for i in range(n):
        opened = START + pd.Timedelta(hours=7 * i)
        on_time = i % 12 != 5
        resolved = opened + pd.Timedelta(hours=6 if on_time else 30)
        urgent = i % 7 == 0
        flag = made_sla(i, urgent, on_time)
        if flag:
            flagged += 1
            met_flag += flag == "true"
        else:
            met_due += on_time
        rows.append(closed_incident(i, opened, resolved, urgent=urgent,
                                    reassignment_count=str(i % 3), made_sla=flag))
    write_csv(path, HEADER, rows)
    return met_flag + met_due, flagged, met_flag, met_due


def test_the_report_states_the_figure_and_its_denominator(tmp_path: Path) -> None:
    # the flag only on the urgent seventh, 3 in 5 met; the due time on every ticket
    met, flagged, _, _ = write_export(
        tmp_path / "incident.csv", 300,
        lambda i, urgent, _on_time: ("true" if i % 5 < 3 else "false") if urgent else "")
    report = api.diagnose_paths([tmp_path], api.RunOptions())
    k = report.kpis
    assert k.sla_adherence == pytest.approx(met / 300)
    assert k.sla_adherence > 0.85  # the flag alone read about 60%
    definition = k.definitions["sla_adherence"]
    assert f"{met:,} of 300" in definition
    assert f"({flagged:,} tickets)" in definition and f"({300 - flagged:,} tickets)" in definition
    assert k.reliable["sla_adherence"] is True


def test_a_tools_default_flag_still_leaves_the_due_times(tmp_path: Path) -> None:
    # made_sla true on all 300 tickets (ServiceNow's default where no SLA is attached):
    # read as not filled, so every outcome comes from the due time, 275 of 300 on time
    met, _, _, _ = write_export(tmp_path / "incident.csv", 300, lambda *_: "true")
    report = api.diagnose_paths([tmp_path], api.RunOptions())
    definition = report.kpis.definitions["sla_adherence"]
    assert report.kpis.sla_adherence == pytest.approx(275 / 300)
    assert "275 of 300" in definition
    assert "(0 tickets)" in definition and "(300 tickets)" in definition
    assert met == 300  # as the flag would have read it
