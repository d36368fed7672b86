"""Review 18a #6: what would answer an unknown reads the tickets' kinds through masks
built once per set of kinds (the run's ``Context.of_kind`` in a diagnosis, one small
cache for ``inspect``), not an ``isin`` over every ticket per rule and twice per unknown
finding; the answers are the same.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from itsm_diag import advice, synth
from itsm_diag import model as m
from itsm_diag.config import load_rules


@functools.cache
def _tickets() -> pd.DataFrame:
    return synth.generate(600, seed=3, weeks=20).tickets


def _inputs(t: pd.DataFrame) -> list[tuple[str, dict[str, str]]]:
    return [("servicenow", {c: c for c in t.columns if t[c].notna().any()})]


def test_inspect_builds_each_kinds_mask_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = load_rules()
    t = _tickets().assign(**{m.CATEGORY: None, m.CI: None})
    built: list[tuple[str, ...]] = []
    real = advice.in_values

    def counted(column: pd.Series, kinds: tuple[str, ...]) -> pd.Series:
        built.append(kinds)
        return real(column, kinds)

    monkeypatch.setattr(advice, "in_values", counted)
    got = advice.unanswerable(rules, _inputs(t), t, None)
    assert got  # some rule misses the emptied fields
    assert len(built) == len(set(built))  # each set of kinds once, for every rule
    # the rules that read every kind (ownership, reopens, routing...) and the ones that
    # read incidents and requests share one mask each
    assert len(built) < len(list(rules.all()))


def test_answered_uses_the_masks_given_and_says_the_same() -> None:
    rules = load_rules()
    t = _tickets().assign(**{m.CATEGORY: None})
    asked: list[tuple[str, ...]] = []
    own = advice.kind_masks(t)

    def mask_of(kinds: tuple[str, ...]) -> pd.Series | None:
        asked.append(kinds)
        return own(kinds)

    unknown = [rules.get(r.id) for r in rules.all()]
    findings = [_unknown(r.id) for r in unknown if r.id in rules.signs or r.id in rules.checks]
    given = advice.answered(findings, rules, _inputs(t), t, None, mask_of=mask_of)
    plain = advice.answered(findings, rules, _inputs(t), t, None)
    assert asked and [f.what_would_answer for f in given] == [
        f.what_would_answer for f in plain]
    assert any(f.what_would_answer for f in given)


def test_every_kind_read_excludes_tickets_without_a_kind_as_before() -> None:
    """A rule reading every kind counts a field on tickets with a kind: a field filled
    only on a ticket without one is not filled (the mask is skipped only when every
    ticket has a kind)."""
    rule = load_rules().get("routing")
    assert set(rule.params["kinds"]) >= set(m.KINDS)
    t = _tickets().assign(**{m.REASSIGNMENT_COUNT: None})
    assert "reassignment_count" in advice.missing_fields(rule, t, None,
                                                       load_rules().defaults.wording)
    odd = t.copy()
    odd.loc[0, m.KIND] = np.nan
    odd.loc[0, m.REASSIGNMENT_COUNT] = 2
    assert advice.missing_fields(rule, odd, None, load_rules().defaults.wording) == \
        advice.missing_fields(rule, t, None, load_rules().defaults.wording)
    odd.loc[1, m.REASSIGNMENT_COUNT] = 2  # on a ticket with a kind: filled
    assert "reassignment_count" not in advice.missing_fields(
        rule, odd, None, load_rules().defaults.wording)


def _unknown(rule_id: str):  # type: ignore[no-untyped-def]
    from itsm_diag.report import Finding

    fields = Finding.model_fields
    base = {k: f.default for k, f in fields.items() if not f.is_required()}
    return Finding.model_construct(**{**base, "id": rule_id, "status": "unknown"})
