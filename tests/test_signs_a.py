"""Helpers shared by the signs (common.py) and the evidence of S1-S3 beyond the YAML cases."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from casekit import tickets_frame
from itsm_diag import config
from itsm_diag import model as m
from itsm_diag.report import Kpis
from itsm_diag.signs import backlog, reporting
from itsm_diag.signs.base import Context, Window
from itsm_diag.signs.common import (
    leading_ramp,
    mass_closures,
    normalise_summary,
    phrase_pattern,
    recurrence_key,
    theil_sen,
    trend_levels,
    weekly_backlog,
)
from itsm_diag.signs.kpis import compute_kpis
from itsm_diag.signs.recurrence import choose_key, cluster_members

AS_OF = pd.Timestamp("2024-04-01", tz="UTC")
WINDOW = Window(start=AS_OF - pd.Timedelta(weeks=13), end=AS_OF)
DEFAULTS = config.Defaults(
    handle_minutes={"incident": 30, "request": 20},
    catch_all_categories=["other", "general"],
).model_dump()


def ctx_of(rows: list[Mapping[str, Any]]) -> Context:
    return Context(tickets=tickets_frame(rows), events=m.empty_events(), window=WINDOW,
                   defaults=DEFAULTS)


def utc(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True))


# ---- Theil-Sen --------------------------------------------------------------------------

def test_theil_sen_ignores_an_outlier() -> None:
    # y = 1 + 2x with the last point wild: 6 of 10 pairwise slopes are 2
    slope, intercept = theil_sen([1, 3, 5, 7, 100])
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(1.0)


def test_theil_sen_with_x_and_degenerate_input() -> None:
    assert theil_sen([10, 4, -2], x=[0, 2, 4]) == pytest.approx((-3.0, 10.0))
    assert theil_sen([5.0]) == (0.0, 5.0)
    with pytest.raises(ValueError):
        theil_sen([])


def test_trend_levels_are_the_line_at_both_ends() -> None:
    assert trend_levels([93 - 7 * k for k in range(13)]) == pytest.approx((93.0, 9.0))


# ---- ramp ---------------------------------------------------------------------------------

def test_leading_ramp() -> None:
    # median 35: the first two weeks (7, 14) are under half of it
    assert leading_ramp([7, 14, 21, 28, *[35] * 9], 0.5) == 2
    assert leading_ramp([20] * 6, 0.5) == 0
    # a low week later on is not a ramp
    assert leading_ramp([20, 20, 1, 20, 20, 20], 0.5) == 0
    # capped so that min_keep weeks stay for the trend
    assert leading_ramp([0, 0, 0, 0, 10, 10, 10, 10, 10], 0.5, min_keep=6) == 3


# ---- summaries and keys ---------------------------------------------------------------------

def test_normalise_summary() -> None:
    s = pd.Series([
        "Cannot login to SAP, user 12345",
        "cannot  login to sap  (user jdoe@corp.example)",
        "See https://wiki.example/x?id=9 for INC-00042: VPN   down",
        "Réseau lent sur srv-0042",
        "12345",
        None,
    ], dtype=m.STRING_DTYPE)
    out = normalise_summary(s).tolist()
    assert out[0] == out[1] == "cannot login to sap user"
    assert out[2] == "see for vpn down"
    assert out[3] == "réseau lent sur"
    assert out[4] is pd.NA and out[5] is pd.NA


def test_recurrence_key_joins_and_needs_every_part() -> None:
    t = tickets_frame([
        {"ci": " Mail-01 ", "category": "Email", "summary": "x"},
        {"ci": "mail-01", "category": "EMAIL"},
        {"ci": "mail-01", "category": "  "},
    ])
    key = recurrence_key(t, [m.CI, m.CATEGORY]).tolist()
    assert key[0] == key[1] == "mail-01 | email"
    assert key[2] is pd.NA


def test_choose_key_prefers_the_most_specific_filled_key() -> None:
    both = tickets_frame([{"ci": "a", "category": "b", "subcategory": "c", "summary": "d"}] * 4)
    assert choose_key(both, 0.5) == (m.CI, m.CATEGORY, m.SUBCATEGORY)
    # ci filled on 1 of 4 only: service is not there either, so category + summary
    rows: list[Mapping[str, Any]] = [{"ci": "a", "category": "b", "summary": "d"}]
    sparse = tickets_frame(rows + [{"category": "b", "summary": "d"}] * 3)
    assert choose_key(sparse, 0.5) == (m.CATEGORY, m.SUMMARY)
    assert choose_key(tickets_frame([{"status": "open"}]), 0.5) is None


def test_cluster_members_within_span() -> None:
    key = pd.Series(["a", "a", "a", "b", "b", "b", "a"])
    at = utc("2024-01-01", "2024-02-01", "2024-03-30", "2024-01-01", "2024-02-01",
             "2024-04-30", "2024-06-01")
    member = cluster_members(key, at, 3, pd.Timedelta(days=90))
    # a: Jan 1, Feb 1, Mar 30 within 89 days -> members; Jun 1 is 122 days after Feb 1
    # b: Jan 1 .. Apr 30 is 120 days -> none
    assert member.tolist() == [True, True, True, False, False, False, False]


# ---- mass closures ------------------------------------------------------------------------

def test_mass_closure_detected_against_ordinary_hours() -> None:
    ordinary = pd.date_range("2024-01-01 08:30", periods=100, freq="h", tz="UTC")
    script = pd.date_range("2024-03-15 10:00", periods=300, freq="s", tz="UTC")
    done = pd.Series(ordinary.append(script))
    found = mass_closures(done, {"mass_closure_min": 200, "mass_closure_factor": 10.0})
    assert list(found.index) == [pd.Timestamp("2024-03-15 10:00", tz="UTC")]
    assert found.iloc[0] == 300


def test_busy_hours_are_not_a_mass_closure() -> None:
    # 150 an hour is ordinary here, so 300 in one hour is only 2x the p99
    busy = pd.date_range("2024-01-01", periods=150 * 50, freq="24s", tz="UTC")
    spike = pd.date_range("2024-03-15 10:00", periods=300, freq="s", tz="UTC")
    done = pd.Series(busy.append(spike))
    params = {"mass_closure_min": 200, "mass_closure_factor": 10.0}
    assert mass_closures(done, params).empty
    assert mass_closures(pd.Series(spike[:150]), params).empty  # under the minimum


# ---- weekly backlog -----------------------------------------------------------------------

def test_weekly_backlog_counts() -> None:
    ctx = ctx_of([
        {"kind": "incident", "status": "open", "opened_at": "2023-12-01T00:00:00"},
        # done in week 1, opened in week 1
        {"kind": "incident", "status": "resolved", "opened_at": "2024-01-02T00:00:00",
         "resolved_at": "2024-01-03T00:00:00"},
        # junk: done before opened; opened in week 2; must never count as open
        {"kind": "request", "status": "closed", "opened_at": "2024-01-10T00:00:00",
         "closed_at": "2024-01-09T00:00:00"},
    ])
    weekly = weekly_backlog(ctx, ctx.of_kind("incident", "request"))
    assert len(weekly) == 13
    assert weekly["week_end"].iloc[-1] == AS_OF
    assert weekly["arrivals"].tolist()[:3] == [1, 1, 0]
    assert weekly["completions"].tolist()[:3] == [1, 1, 0]
    assert weekly["open"].tolist() == [1] * 13


# ---- evidence tables ----------------------------------------------------------------------

GROWING: list[Mapping[str, Any]] = [
    {"_id": "OLD", "kind": "incident", "status": "open", "opened_at": "2023-10-01T09:00:00",
     "_count": 100},
    {"_id": "INC", "kind": "incident", "status": "open", "opened_at": "2024-01-01T12:00:00",
     "_count": 91, "_every": "1D"},
    {"_id": "REQ", "kind": "request", "status": "resolved", "request_item": "Password reset",
     "opened_at": "2024-01-01T09:00:00", "resolved_at": "2024-01-01T11:00:00",
     "_count": 91, "_every": "1D"},
    {"_id": "HW", "kind": "incident", "status": "resolved", "category": "Hardware",
     "subcategory": "Mouse", "opened_at": "2024-01-01T09:00:00",
     "resolved_at": "2024-01-03T09:00:00", "_count": 12, "_every": "7D"},
]


def test_backlog_evidence_tables() -> None:
    ctx = ctx_of(GROWING)
    params = config.load_rule_file(config.rules_dir() / "backlog.yaml").params
    meas = backlog.measure(ctx, params)
    ages = {r["age_days"]: r["count"] for r in meas.tables["open_by_age"]}
    # open at Apr 1: INC opened Mar 25..31 (<7), Mar 2..24 (7-30), Jan 2..Mar 1 (30-90),
    # Jan 1 (90.5 days) and the 100 old ones (>90)
    assert ages == {"<7": 7, "7-30": 23, "30-90": 60, ">90": 101}
    cands = meas.tables["automation_candidates"]
    # frequent AND quick: "Hardware / Mouse" (12 done, median 48 h to done) is frequent
    # enough but takes two days, so it is no automation candidate
    assert [c["ticket_type"] for c in cands] == ["Password reset"]
    assert cands[0]["volume"] == 91 and cands[0]["median_hours_to_done"] == 2.0
    # cost: 91 x 20 minutes over 91 days, per 30.44-day month, in hours
    cost = meas.costs[0]
    assert cost.basis == "automation"
    assert cost.hours_per_month == pytest.approx((91 * 20) / 60 / (91 / 30.4375))
    assert len(meas.series["weekly"]) == 13
    assert meas.series["weekly"][0] == {"week_end": "2024-01-08T00:00:00+00:00",
                                        "arrivals": 15, "completions": 8, "open": 107,
                                        "trend": 107.0}


def test_reporting_gaps_capability_vs_configuration() -> None:
    ctx = ctx_of([
        # SLA flag present on half the done tickets; no reassignment count anywhere
        {"kind": "incident", "status": "resolved", "category": "Network", "sla_met": True,
         "opened_at": "2024-01-10T09:00:00", "resolved_at": "2024-01-10T11:00:00",
         "_count": 10, "_every": "1D"},
        {"kind": "incident", "status": "resolved", "category": "Network",
         "opened_at": "2024-01-10T09:00:00", "resolved_at": "2024-01-10T11:00:00",
         "_count": 10, "_every": "1D"},
    ])
    meas = reporting.measure(ctx, {"min_fill": 0.9, "max_negative": 0.01, "max_catch_all": 0.2,
                                   "one_value_share": 0.95, "one_value_min_tickets": 200,
                                   "min_done": 1})
    rows = {r["kpi"]: r for r in meas.tables["kpis"]}
    assert rows["first_contact_resolution"]["gap"] == "capability"
    assert rows["sla_adherence"]["gap"] == "configuration"
    assert rows["sla_adherence"]["share"] == 0.5
    assert rows["time_to_resolve"]["computable"] and rows["time_to_resolve"]["gap"] is None
    assert meas.value("kpis_missing") == 2


def test_compute_kpis_panel() -> None:
    ctx = ctx_of([
        {"kind": "incident", "status": "resolved", "category": "Network",
         "reassignment_count": 0, "sla_met": True, "opened_at": "2024-01-10T09:00:00",
         "resolved_at": "2024-01-10T11:00:00", "_count": 6, "_every": "1D"},
        {"kind": "request", "status": "closed", "category": "Access", "reassignment_count": 2,
         "sla_met": False, "opened_at": "2024-01-10T09:00:00",
         "closed_at": "2024-01-10T21:00:00", "_count": 4, "_every": "1D"},
        {"kind": "change", "status": "closed", "category": "Change",
         "opened_at": "2024-01-10T09:00:00", "closed_at": "2024-01-11T09:00:00"},
    ])
    kpis = compute_kpis(ctx)
    # the engine adds the wording (definitions) from the rule files; the rest is measured
    # the engine adds the wording, the backlog sign's figures and the reporting sign's
    # reliability verdicts, and holds the targets against the figures; the measure
    # layer adds what the window left out
    assert set(kpis) == (set(Kpis.model_fields) - {
        "definitions", "labels", "backlog", "reliable", "caveats", "targets",
        "targets_met", "target_texts", "decimals", "volume_words", "backlog_open_at"}) | {
            "left_out", "ttr_closed", "machine_made", "ttr_waiting"}
    left_out = kpis.pop("left_out")
    assert left_out["done_after"] == 0 and left_out["negative"] == 0
    # the closed-time fallback's count, which the engine words as a caveat
    assert kpis.pop("ttr_closed")["leaning"] == 0
    # the tickets a machine raised, left out (none here), which the engine words as a caveat
    assert kpis.pop("machine_made") == {"machine": 0, "done": 10}
    # the waiting the export measures (none here), which the engine words as a caveat
    waiting = kpis.pop("ttr_waiting")
    assert waiting["n"] == 10 and waiting["known"] == 0 and waiting["columns"] == []
    Kpis.model_validate(kpis)
    # hours: 2 x 6 and 12 x 4 -> median 2, p90 at position 8.1 of 0..9 -> 12
    assert kpis["time_to_resolve_hours"] == {"median": 2.0, "p90": 12.0, "n": 10}
    assert kpis["first_assignment_resolution"] == pytest.approx(0.6)
    assert kpis["sla_adherence"] == pytest.approx(0.6)
    assert kpis["volume_by_category"] == {"Network": 6, "Access": 4}
    assert kpis["backlog_weekly"] == backlog.weekly_rows(ctx)
    assert kpis["notes"] == []


def test_compute_kpis_notes_what_is_missing() -> None:
    ctx = ctx_of([{"kind": "incident", "status": "resolved", "opened_at": "2024-01-10T09:00:00",
                   "resolved_at": "2024-01-10T11:00:00", "_count": 3}])
    kpis = compute_kpis(ctx)
    assert kpis["notes"] == ["first_assignment_resolution.no_field", "sla_adherence.no_field"]
    assert kpis["volume_by_category"] == {"(blank)": 3}
    assert np.isclose(kpis["time_to_resolve_hours"]["median"], 2.0)



# ---- phrase matching (trust, onboarding, strategy) ----------------------------------------

def test_phrase_pattern_whole_words_in_both_regex_engines() -> None:
    pattern = phrase_pattern(["onboard*", "New  Hire", "status?", "epic", "où en est"])
    texts = ["Onboarding Tom", "new\thire laptop", "Status? please", "epicentre", "Epic: x",
             "OÙ EN EST ma demande", "ou en est", "xonboard", "é-epic", "renew hire", None]
    want = [True, True, True, False, True, True, False, False, True, False, False]
    # Arrow-backed strings run RE2, Python strings run re: both must agree
    arrow = pd.Series(texts, dtype=m.STRING_DTYPE).str.contains(pattern, case=False, na=False)
    assert arrow.tolist() == want
    assert [bool(t and re.search(pattern, t, re.IGNORECASE)) for t in texts] == want


def test_phrase_pattern_label_tokens_and_empty_lists() -> None:
    token = phrase_pattern(["okr-2024"], separators=r",;|\s")
    labels = pd.Series(["infra, OKR-2024", "okr-2024;net", "okr-2024-draft"], dtype=m.STRING_DTYPE)
    assert labels.str.contains(token, case=False).tolist() == [True, True, False]
    never = phrase_pattern(["", "  ", "*"])
    assert not pd.Series(["", "anything"], dtype=m.STRING_DTYPE).str.contains(never).any()
