"""Every sign and check against its YAML cases (tests/cases/<id>.yaml).

Each case names the expected status and, optionally, metric values (``metrics``:
exact or ``{approx: x, rel: r}``), note/exclusion codes that must appear, sample ids
that must stand behind a metric, whether hours at stake are present, and phrases the
reason must hold (``reason_contains``: a clear verdict names the condition that failed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from casekit import run_case

CASES = Path(__file__).parent / "cases"


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            params.append(pytest.param(doc["rule"], case, id=f"{doc['rule']}:{case['name']}"))
    return params


@pytest.mark.parametrize(("rule_id", "case"), _load())
def test_case(rule_id: str, case: dict[str, Any]) -> None:
    finding = run_case(rule_id, case)
    expect = case["expect"]
    assert finding.status == expect["status"], finding.reason
    for name, want in (expect.get("metrics") or {}).items():
        got = finding.metrics[name].value
        if isinstance(want, dict):
            assert got == pytest.approx(want["approx"], rel=want.get("rel", 1e-6),
                                        abs=want.get("abs", 1e-9)), name
        elif want is None:
            assert got is None, name
        else:
            assert got == pytest.approx(want), name
    codes = {n.code for n in finding.evidence.notes + finding.evidence.excluded}
    for code in expect.get("notes") or []:
        assert code in codes, f"note {code!r} missing; have {sorted(codes)}"
    for name, ids in (expect.get("sample_ids") or {}).items():
        assert set(ids) <= set(finding.metrics[name].sample_ids), name
    if "confidence" in expect:
        assert finding.confidence == expect["confidence"]
    if expect.get("hours"):
        assert finding.hours_at_stake_per_month and finding.hours_at_stake_per_month > 0
    if finding.status != "triggered":
        # hours are at stake only where the statement applies
        assert finding.hours_at_stake_per_month is None
        assert not finding.evidence.costs
    for text in expect.get("reason_contains") or []:
        assert text in finding.reason, finding.reason
