"""Injected conditions through the real engine: each synth switch triggers its own sign.

``synth.Conditions`` has one switch per sign. Healthy data must clear all seven signs,
each switch alone must trigger its sign (and leave the others clear), and all switches
together must score 7. One more size and seed checks two signs are not tuned to seed 7.
"""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from itsm_diag import config, engine, synth
from itsm_diag.report import Report

N, SEED = 2500, 7
SIGNS: tuple[str, ...] = tuple(f.name for f in fields(synth.Conditions))
#: the size/seed variation, for two signs: onboarding is low-volume (a few dozen requests a
#: quarter) and changes rests on heuristic tiers, so both are the likeliest to be fragile
OTHER_N, OTHER_SEED = 6000, 3
VARIED: tuple[str, ...] = ("onboarding", "changes")


def _only(sign: str) -> synth.Conditions:
    return replace(synth.Conditions.none(), **{sign: True})


def _diagnose(rules: config.Rules, conditions: synth.Conditions, n: int = N,
              seed: int = SEED) -> Report:
    data = synth.generate(n, seed=seed, conditions=conditions)
    return engine.diagnose(engine.Diagnosis(data.tickets, data.events, inputs=[]), rules)


def _statuses(report: Report) -> dict[str, str]:
    return {s.id: s.status for s in report.signs}


@pytest.fixture(scope="module")
def rules() -> config.Rules:
    return config.load_rules()


@pytest.fixture(scope="module")
def healthy(rules: config.Rules) -> Report:
    """One run with every condition off, shared by the tests below."""
    return _diagnose(rules, synth.Conditions.none())


def test_signs_match_the_switches(rules: config.Rules) -> None:
    # the switches and the rule files must name the same seven signs, or a sign goes untested
    assert set(SIGNS) == set(rules.signs)


def test_healthy_data_clears_every_sign(healthy: Report) -> None:
    assert _statuses(healthy) == dict.fromkeys(SIGNS, "clear"), [
        (s.id, s.reason) for s in healthy.signs if s.status != "clear"]
    assert healthy.score == 0


@pytest.mark.parametrize("sign", SIGNS)
def test_one_condition_triggers_its_sign_only(rules: config.Rules, sign: str) -> None:
    report = _diagnose(rules, _only(sign))
    statuses = _statuses(report)
    finding = next(s for s in report.signs if s.id == sign)
    assert statuses[sign] == "triggered", finding.reason
    others = {k: v for k, v in statuses.items() if k != sign}
    assert others == dict.fromkeys(others, "clear"), f"{sign} on also moved {others}"


def test_all_conditions_score_seven(rules: config.Rules) -> None:
    report = _diagnose(rules, synth.Conditions.all())
    assert report.score == 7, {s.id: s.reason for s in report.signs if s.status != "triggered"}
    assert report.band == "crisis"


@pytest.fixture(scope="module")
def healthy_other(rules: config.Rules) -> Report:
    return _diagnose(rules, synth.Conditions.none(), OTHER_N, OTHER_SEED)


@pytest.mark.parametrize("sign", VARIED)
def test_another_size_and_seed(rules: config.Rules, healthy_other: Report, sign: str) -> None:
    assert _statuses(healthy_other)[sign] == "clear"
    on = _diagnose(rules, _only(sign), OTHER_N, OTHER_SEED)
    assert _statuses(on)[sign] == "triggered"


def test_a_tiny_export_is_unknown_not_clear(rules: config.Rules) -> None:
    # 100 tickets hold about 25 incidents in the window: under the recurrence and changes
    # minimums (30), so those signs say how many there were and which param to lower
    report = _diagnose(rules, synth.Conditions.none(), 100)
    by_id = {s.id: s for s in report.signs}
    for sign in ("recurrence", "changes"):
        assert by_id[sign].status == "unknown"
        assert "min_incidents" in by_id[sign].reason, by_id[sign].reason
