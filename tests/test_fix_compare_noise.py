"""compare weighs each KPI's move: a move two samples of an unchanged process make is
``same`` (within noise, with a note saying why), a real change is still better or worse,
and a move a report does not carry enough to weigh gets no direction.

The four draws are the review's (review2-stats item 6): one stationary healthy process
(1,200 incidents, seeds 21-24) diagnosed four times; their KPI figures are set on the demo
report (the golden JSON, read, so no diagnosis runs), with the done tickets the reporting
sign counted.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from itsm_diag import api
from itsm_diag.compare import compare
from itsm_diag.report import Report
from renderkit import GOLDEN

WORDS = api.load_rules(None).defaults.wording

#: seed -> (first-assignment resolution, SLA adherence, time to resolve, open backlog,
#: done incidents and requests in the window): the figures of the reviewer's reports
DRAWS: dict[int, tuple[float, float, dict[str, Any], float, float]] = {
    21: (0.7002032520325203, 0.9227642276422764,
         {"median": 23.395833333333336, "p90": 165.27650000000003, "n": 984}, 18.0, 984.0),
    22: (0.7033195020746889, 0.9128630705394191,
         {"median": 26.065416666666668, "p90": 172.9603333333334, "n": 964}, 32.0, 964.0),
    23: (0.7035897435897436, 0.9343589743589743,
         {"median": 25.93777777777778, "p90": 155.6755, "n": 975}, 16.0, 975.0),
    24: (0.6694300518134715, 0.9295336787564766,
         {"median": 26.016111111111112, "p90": 174.06511111111112, "n": 965}, 22.0, 965.0),
}


@functools.cache
def demo_report() -> Report:
    return Report.model_validate_json((GOLDEN / "demo.json").read_text(encoding="utf-8"))


def _report(far: float, sla: float, ttr: dict[str, Any], open_now: float,
            done: float | None, as_of: str = "2026-04-05T23:59:59+00:00",
            counts: dict[str, dict[str, int]] | None = None) -> Report:
    """A report with these KPI figures; without ``counts`` it carries no tickets behind
    its shares (as reports written before ``kpis.counts`` did)."""
    base = demo_report()
    kpis = base.kpis.model_copy(update={
        "first_assignment_resolution": far, "sla_adherence": sla,
        "time_to_resolve_hours": dict(ttr), "counts": counts or {},
        "backlog": {**base.kpis.backlog, "open_now": open_now}})
    signs = []
    for f in base.signs:
        if f.id == "reporting":
            metrics = dict(f.metrics)
            if done is None:  # a report that does not say how many tickets were done
                metrics.pop("resolve_times_share")
            else:
                metrics["resolve_times_share"] = metrics["resolve_times_share"].model_copy(
                    update={"numerator": done, "denominator": done, "value": 1.0})
            f = f.model_copy(update={"metrics": metrics})
        signs.append(f)
    return base.model_copy(update={"kpis": kpis, "signs": signs, "as_of": as_of})


def _draw(seed: int, as_of: str = "2026-04-05T23:59:59+00:00") -> Report:
    return _report(*DRAWS[seed], as_of=as_of)


def _directions(old: Report, new: Report) -> dict[str, str | None]:
    return {d.name: d.direction for d in compare(old, new, WORDS).kpis}


@pytest.mark.parametrize(("old", "new"), [(21, 22), (23, 24), (22, 21), (24, 23),
                                          (21, 23), (22, 24)])
def test_four_stationary_draws_read_same_not_worse(old: int, new: int) -> None:
    """The review's pairs (and others of the four draws): FAR 70% -> 67% (-3.4 pp on ~970
    tickets each), SLA 93% -> 93%, median 25.9 h -> 26.0 h, backlog 16 -> 22 or 18 -> 32
    were each "worse"; every move is within noise."""
    got = compare(_draw(old), _draw(new, as_of="2026-05-05T23:59:59+00:00"), WORDS)
    directions = {d.name: d.direction for d in got.kpis}
    assert "worse" not in directions.values() and "better" not in directions.values()
    assert directions["first_assignment_resolution"] == "same"
    noise = [n for n in got.notes if n.startswith("Within noise")]
    assert len(noise) == 1
    # the level the moves are weighed at, worded from the one the code tests against
    assert "more often than once in 100;" in noise[0]
    if (old, new) == (23, 24):
        # the reason, with the tickets behind the share and how often chance moves it
        assert "First-assignment resolution 70% → 67%: 686 of 975 tickets → 646 of 965, " \
               "p = 0.11 (Fisher's exact test)" in noise[0]
        assert "Time to resolve, median 25.9 h → 26.0 h: 975 and 965 tickets measured" \
               in noise[0]
        assert "Open backlog at the window end 16 → 22: p = 0.42" in noise[0]
    assert not any(n.startswith("Not weighed") for n in got.notes)


def test_a_real_change_is_still_worse_and_better() -> None:
    base = _draw(23)
    # the same desk, a month later: FAR fell to 55%, SLA to 73%, the median doubled, the
    # backlog tripled; another month it recovered past the baseline
    worse = _report(531 / 965, 700 / 965,
                    {"median": 52.0, "p90": 340.0, "n": 965}, 60.0, 965.0,
                    as_of="2026-05-05T23:59:59+00:00")
    assert _directions(base, worse) == {
        "ttr_median": "worse", "ttr_p90": "worse", "first_assignment_resolution": "worse",
        "sla_adherence": "worse", "open_backlog": "worse", "tickets_in_window": None}
    assert _directions(worse, base) == {
        "ttr_median": "better", "ttr_p90": "better", "first_assignment_resolution": "better",
        "sla_adherence": "better", "open_backlog": "better", "tickets_in_window": None}
    # a large move whose count the report leaves open is called when even the fewest
    # tickets the share can stand on resolve it (SLA 908/984 is 227/246 in lowest terms)
    wide = _report(0.7002032520325203, 0.9227642276422764,
                   {"median": 23.4, "p90": 165.3, "n": 984}, 18.0, None)
    assert _directions(wide, worse)["sla_adherence"] == "worse"


def test_a_share_without_its_ticket_count_is_not_weighed() -> None:
    """An older report (no count of the done tickets the share is a part of): a move it
    cannot resolve on the fewest tickets possible gets no direction, and a note says the
    baseline does not say how many tickets the share stands on; never "worse"."""
    older = _report(*DRAWS[23][:4], None)
    got = compare(older, _draw(24, as_of="2026-05-05T23:59:59+00:00"), WORDS)
    row = {d.name: d for d in got.kpis}["first_assignment_resolution"]
    assert row.direction is None and row.old is not None and row.delta is not None
    unweighed = [n for n in got.notes if n.startswith("Not weighed")]
    assert unweighed == ["Not weighed, so given no direction: First-assignment resolution "
                         "70% → 67%: the baseline does not say how many tickets the share "
                         "stands on; SLA adherence 93% → 93%: the baseline does not say how "
                         "many tickets the share stands on."]
    # a time to resolve without n cannot be weighed either
    no_n = _report(*DRAWS[23][:2], {"median": 25.9, "p90": 155.7}, *DRAWS[23][3:])
    got = compare(no_n, _draw(24, as_of="2026-05-05T23:59:59+00:00"), WORDS)
    assert {d.name: d.direction for d in got.kpis}["ttr_median"] is None
    assert any("Time to resolve, median 25.9 h → 26.0 h: the baseline does not say the "
               "tickets measured" in n for n in got.notes)


def test_the_ci_gate_reads_the_signs_not_the_kpis_moves() -> None:
    """--fail-on-increase reads the score and the signs, never a KPI's direction: KPIs
    that all got worse (beyond noise) pass it, a newly triggered sign fails it."""
    base = _draw(23)
    worse = _report(531 / 965, 700 / 965, {"median": 52.0, "p90": 340.0, "n": 965}, 60.0,
                    965.0, as_of="2026-05-05T23:59:59+00:00")
    got = compare(base, worse, WORDS)
    assert {d.direction for d in got.kpis if d.name != "tickets_in_window"} == {"worse"}
    assert not got.increased
    clear = next(f for f in worse.signs if f.status == "clear")
    flipped = worse.model_copy(update={"signs": [
        f.model_copy(update={"status": "triggered"}) if f.id == clear.id else f
        for f in worse.signs]})
    assert compare(base, flipped, WORDS).increased


def test_the_reports_own_counts_pin_the_tickets_behind_a_share() -> None:
    # a report carries each share's numerator and denominator (kpis.counts): the move is
    # weighed on them, not on what an exact ratio allows; the same figures whose count an
    # older report leaves open are pinned
    def counted(seed: int, far_k: int, sla_k: int, as_of: str) -> Report:
        far, sla, ttr, open_now, done = DRAWS[seed]
        n = int(done)
        return _report(far, sla, ttr, open_now, None, as_of=as_of, counts={
            "first_assignment_resolution": {"numerator": far_k, "denominator": n},
            "sla_adherence": {"numerator": sla_k, "denominator": n}})
    old = counted(23, 686, 911, "2026-04-05T23:59:59+00:00")
    new = counted(24, 646, 897, "2026-05-05T23:59:59+00:00")
    got = compare(old, new, WORDS)
    assert {d.name: d.direction for d in got.kpis}["first_assignment_resolution"] == "same"
    assert not any(n.startswith("Not weighed") for n in got.notes)
    assert any("686 of 975 tickets → 646 of 965, p = 0.11" in n for n in got.notes)


def test_a_diagnosis_carries_the_tickets_behind_its_shares() -> None:
    report = demo_report()
    for key in ("first_assignment_resolution", "sla_adherence"):
        pair = report.kpis.counts[key]
        assert pair["denominator"] > 0
        assert pair["numerator"] / pair["denominator"] == getattr(report.kpis, key)
