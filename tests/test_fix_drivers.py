"""Drivers: an exact test with a multiple-testing correction, and the one-ticket rule.

Round 2 of the statistics review (item 4): the shipped demo named a chance driver
("Reopened via chat: 10 of 93 vs 21 of 597, lift 3.06, z 3.1") although the demo
generator draws reopens independently of everything. The two-proportion z (a normal
approximation on 10 events) put its p at ~0.001 where Fisher's exact test gives 0.0048,
about a hundred values were tested with no correction, and 9 of 93 would have failed
``min_events``. A driver now needs a one-sided Fisher exact p-value at most
``family_alpha`` / the values tested (Bonferroni), and must pass every test with one
outcome fewer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import config, engine, synth
from itsm_diag import model as m
from itsm_diag.analyses import drivers
from itsm_diag.signs.base import Context, Measurement

CHANNELS = ("phone", "email", "portal", "chat", "walk_in")


@pytest.fixture(scope="module")
def base() -> synth.Synthetic:
    return synth.generate(8000, seed=5)


def _world(base: synth.Synthetic, seed: int, *, categories: int = 40, groups: int = 20,
           plant: tuple[str, float] | None = None) -> pd.DataFrame:
    """The synthetic tickets with every attribute and outcome redrawn at random, each
    independent of all the others: no value drives any outcome. ``plant`` = (category,
    reopen rate) raises that category's reopen rate."""
    rng = np.random.default_rng(seed)
    t = base.tickets.copy()
    n = len(t)
    cat = rng.integers(0, categories, n)
    t[m.CATEGORY] = pd.array([f"Cat {i}" for i in cat], dtype="string")
    t[m.ASSIGNMENT_GROUP] = pd.array([f"Group {i}" for i in rng.integers(0, groups, n)],
                                     dtype="string")
    t[m.CHANNEL] = pd.array(rng.choice(CHANNELS, n), dtype="string")
    t[m.PRIORITY] = pd.array(rng.integers(1, 5, n), dtype="Int8")
    t[m.SLA_MET] = pd.array(rng.random(n) >= 0.10, dtype="boolean")
    reopen = (rng.random(n) < 0.03).astype(np.int64)
    if plant is not None:
        name, rate = plant
        at = cat == int(name.split()[-1])
        reopen[at] = (rng.random(int(at.sum())) < rate).astype(np.int64)
    t[m.REOPEN_COUNT] = pd.array(reopen, dtype="Int32")
    t[m.REASSIGNMENT_COUNT] = pd.array(np.where(rng.random(n) < 0.05, 3, 0), dtype="Int32")
    return t


def _measure(base: synth.Synthetic, tickets: pd.DataFrame,
             **params: Any) -> Measurement:
    rules = config.load_rules()
    window = engine.choose_window(tickets, rules).window
    ctx = Context(tickets=tickets, events=base.events.iloc[:0], window=window,
                  defaults=rules.defaults.model_dump(),
                  analyses={a.id: a.params for a in rules.analyses.values()})
    return drivers.measure(ctx, {**rules.analyses["drivers"].params, **params})


def _fisher(k: int, n: int, events: int, total: int) -> float:
    """P(X >= k), X hypergeometric, by exact integer arithmetic."""
    return sum(math.comb(events, x) * math.comb(total - events, n - x)
               for x in range(k, min(n, events) + 1)) / math.comb(total, n)


def test_the_exact_tail_is_fishers_one_sided_p() -> None:
    # the demo's chance driver: 10 of 93 vs 21 of 597 -> 0.0048 (z 3.1 said ~0.001)
    assert drivers.upper_tail(np.array([10]), np.array([93]), np.array([31]),
                              np.array([690]))[0] == pytest.approx(0.004785, rel=1e-3)
    rng = np.random.default_rng(0)
    total = rng.integers(1, 400, 200)
    events = (rng.random(200) * (total + 1)).astype(int)
    n = (rng.random(200) * (total + 1)).astype(int)
    k = (rng.random(200) * (n + 2)).astype(int)
    got = drivers.upper_tail(k, n, events, total)
    want = [_fisher(*map(int, x)) for x in zip(k, n, events, total, strict=True)]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("seed", [1, 4, 7, 9, 18, 19, 23, 31])
def test_a_random_world_has_no_driver(base: synth.Synthetic, seed: int) -> None:
    """Every outcome drawn independently of every attribute (40 categories, 20 groups, 5
    channels, 4 priorities: 276 values tested over four outcomes): nothing passes. The
    z gate named a chance driver in each of these worlds (a reassignment, reopen, SLA or
    slow-resolution "driver" of 10 to 34 outcomes)."""
    meas = _measure(base, _world(base, seed))
    assert meas.unknown is None
    assert meas.tables["drivers"] == [], meas.tables["drivers"]
    assert meas.metrics["values_tested"].value == 276


def test_chance_drivers_stay_within_the_family_wise_level(base: synth.Synthetic) -> None:
    """Over 40 random worlds, a world with any driver at all is a family-wise error: at
    the 0.05 level about 2 of 40 (2 here: an SLA "driver" of 34 of 170 and a slow one of
    19 of 67). The z gate had one in 17 of the 40."""
    worlds = [seed for seed in range(1, 41)
              if _measure(base, _world(base, seed)).tables["drivers"]]
    assert len(worlds) <= 3, worlds


def test_a_planted_driver_passes(base: synth.Synthetic) -> None:
    """Category Cat 7 reopened at 20% (3% elsewhere): found, with its exact p-value, and
    nothing else."""
    meas = _measure(base, _world(base, 1, plant=("Cat 7", 0.2)))
    rows = meas.tables["drivers"]
    assert [(r["outcome"], r["attribute"], r["value"]) for r in rows] == [
        ("reopen", "category", "Cat 7")]
    r = rows[0]
    family = meas.metrics["values_tested"].value
    assert r["p"] <= 0.05 / family
    assert r["p"] == pytest.approx(_fisher(
        r["with_outcome"], r["tickets"], r["with_outcome"] + r["others_with_outcome"],
        r["tickets"] + r["others"]), rel=0.05)
    assert "z" not in r


def _cands(**counts: Any) -> list[tuple[str, str, int, int, int, int, int]]:
    return [("reopen", "category", 0, counts["n"], counts["k"], counts["n_out"],
             counts["k_out"])]


def test_a_driver_one_ticket_makes_is_not_shown(base: synth.Synthetic) -> None:
    """10 of 50 vs 50 of 1,000 passes every test (lift 4, p 3e-4 under a bar of 1e-3) but
    9 of 50 falls short of min_events: not shown, and counted as such. 11 of 50 is kept."""
    t = base.tickets
    n_t = len(t)
    known = np.ones(n_t, dtype=bool)
    codes = np.zeros(n_t, dtype=np.int64)
    outcomes = {"reopen": (known, known)}
    attrs = {"category": (codes, np.array(["Network"], dtype=object))}
    ctx = Context(tickets=t, events=base.events.iloc[:0],
                  window=engine.choose_window(t, config.load_rules()).window,
                  defaults=config.load_rules().defaults.model_dump(), analyses={})

    # nothing held equal: each candidate's like for like ratio is its plain lift
    def run(k: int, min_k: int = 10, lift: float = 2.0) -> tuple[list[Any], int]:
        return drivers._drivers(ctx, outcomes, attrs, _cands(n=50, k=k, n_out=1000, k_out=50),
                                bar=1e-3, min_k=min_k, min_lift=lift, max_drivers=5,
                                like=[(np.inf, None)], notes=[])

    rows, fragile = run(10)
    assert (rows, fragile) == ([], 1)
    rows, fragile = run(11)
    assert [r["with_outcome"] for r in rows] == [11] and fragile == 0
    # the lift too: 20 of 100 vs 50 of 500 is 2.0x (p 0.0056); 19 of 100 is 1.9x
    rows, fragile = drivers._drivers(ctx, outcomes, attrs, _cands(
        n=100, k=20, n_out=500, k_out=50), bar=0.05, min_k=10, min_lift=2.0, max_drivers=5,
        like=[(np.inf, None)], notes=[])
    assert (rows, fragile) == ([], 1)


def test_the_family_is_every_value_with_a_sample_on_each_side(base: synth.Synthetic) -> None:
    """The correction divides by the values tested: each attribute value with min_sample
    tickets with it and without it (outcome known), once per outcome tested; counted
    here with pandas from the scope's known tickets."""
    t = _world(base, 3)
    meas = _measure(base, t)
    rules = config.load_rules()
    params = rules.analyses["drivers"].params
    ctx = Context(tickets=t, events=base.events.iloc[:0],
                  window=engine.choose_window(t, rules).window,
                  defaults=rules.defaults.model_dump(),
                  analyses={a.id: a.params for a in rules.analyses.values()})
    scope = (ctx.of_kind(*params["kinds"]) & ctx.done_in_window()).to_numpy()
    min_n = int(params["min_sample"])
    expected = 0
    for known, _ in drivers._outcomes(ctx, scope, params).values():
        if known.sum() < min_n:
            continue
        for column in (m.ASSIGNMENT_GROUP, m.CATEGORY, m.CHANNEL, m.PRIORITY):
            sizes = t.loc[known, column].value_counts()
            expected += int(((sizes >= min_n) & (int(known.sum()) - sizes >= min_n)).sum())
    # no assignment history: no bounce and no first group; four outcomes of 69 values
    tested = [r["outcome"] for r in meas.tables["outcomes"] if r["measurable"]]
    assert tested == ["sla_breach", "reopen", "reassigned", "long_resolution"]
    assert expected == 4 * 69
    assert meas.metrics["values_tested"].value == expected
    note = next(x for x in meas.notes if x.code == "tested")
    assert note.params["family"] == expected
    assert note.params["bar"] == pytest.approx(0.05 / expected)
    # the level is a param
    loose = _measure(base, t, family_alpha=0.5)
    assert loose.notes[0].params["bar"] == pytest.approx(0.5 / expected)


def test_the_demo_names_no_chance_driver() -> None:
    """The shipped demo: the SLA breaches of priority 2 (44 of 84 vs 192 of 966, p ~3e-10)
    are named as passing all but like for like; "reopened via chat" (10 of 93, p 0.0048
    among 96 values tested) is gone, and so is its sentence under the reopens sign. Since
    the 42 tickets carried into the window are left out of long resolutions (review 13),
    Desktop Support's slow catalogue requests (50 of 293; its requests 21% long against
    1% of the other groups', its incidents 15% against 10%) are the one driver."""
    from pathlib import Path

    from itsm_diag import api

    demo = Path(__file__).resolve().parents[1] / "samples" / "demo"
    report = api.diagnose_paths([demo], api.RunOptions())
    out = report.analyses["drivers"]
    # priority 2's SLA breaches passed every test but like for like (review 10): within
    # the same category and month they are 1.9x, under the 2x a driver needs: not shown
    assert out.metrics["drivers"].value == 1
    [row] = out.tables["drivers"].rows
    assert (row["outcome_id"], row["attribute_id"], row["value"], row["with_outcome"],
            row["tickets"]) == ("long_resolution", "assignment_group", "Desktop Support", 43, 275)
    # 50 of 293 before its 3 monitoring alerts were left out with the demo's 16 others
    # (review 19c): each priority's bar is the people-raised tickets'; 47 of 290 before
    # its 15 cancelled tickets were left out with the demo's 36 others (review 20a)
    assert any(n.code == "cancelled" and n.count == 51 for n in out.notes)
    assert any(n.code == "machine_made" and n.count == 19 for n in out.notes)
    like = next(n.text for n in out.notes if n.code == "like_for_like")
    # (2.6x and 1.9x, 95 values tested, before the 51 cancelled tickets were left out)
    assert "priority 2, SLA breaches 2.5x as often as the other tickets but 1.8x within " \
           "the same category and month of opening" in like
    assert out.metrics["values_tested"].value == 83
    reopens = next(c for c in report.checks if c.id == "reopens")
    assert reopens.drivers == []
    assert "Fisher exact" in out.notes[0].text and "83 values tested" in out.notes[0].text
