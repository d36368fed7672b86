"""Review 18, item 4: one figure, one precision in a report. A backlog shrink of 0.0345
read "measured 3%" in its reason, "3.5%" in the within-noise words after it and "3%" as
the terminal's key figure; a reopen rate of 36 of 724 (4.97%) read "measured 4.97%"
beside "reopen rate 5.0%" against its 5% threshold. The engine now decides the decimals
a measured figure is shown with once (the unit's usual, and as many more as tell it from
its threshold, as the sign modules' own notes and the rest of the report show a share),
and the reason, the noise words, the conditions table and the key figure all use them
(``decimals`` on the condition and key figure); the interval's ends, other figures, keep
their tenth of a point."""

from __future__ import annotations

import re
from typing import Any

from casekit import run_case
from itsm_diag.render import common, html

AS_OF = "2024-06-28T17:00:00"


def _done(count: int, reopens: int) -> dict[str, Any]:
    return {"kind": "incident", "status": "resolved", "opened_at": "2024-05-01T09:00",
            "resolved_at": "2024-05-02T09:00", "_count": count, "reopen_count": reopens}


def _figures(reason: str) -> tuple[str, str]:
    measured = re.search(r"\(measured ([\d.]+%)\)", reason)
    noisy = re.search(r"within noise: reopen rate ([\d.]+%)", reason)
    assert measured and noisy, reason
    return measured.group(1), noisy.group(1)


def test_a_share_within_noise_reads_one_figure_in_its_reason_and_key_figure() -> None:
    # 5 of 80 reopened (6.25%) against "at least 5%", within noise: the reason read
    # "measured 6%" and "reopen rate 6.2%"
    f = run_case("reopens", {"as_of": AS_OF, "tickets": [_done(75, 0), _done(5, 1)]})
    assert f.status == "triggered" and f.within_noise
    assert _figures(f.reason) == ("6%", "6%")
    # the interval's ends keep their tenth of a point
    assert re.search(r"its 90% interval, \d+\.\d% to \d+\.\d%", f.reason), f.reason
    cond = f.threshold.conditions["reopen_rate"]
    assert cond.decimals == 0 and f.key_figure.decimals == 0
    assert common.key_value(f) == "6%"
    assert html._measured(f, cond) == "6%"


def test_a_share_beside_its_threshold_reads_the_decimals_that_tell_them_apart() -> None:
    # 36 of 724 (4.97%) against 5%: "measured 4.97%" beside "reopen rate 5.0%", key "5%"
    f = run_case("reopens", {"as_of": AS_OF, "tickets": [_done(688, 0), _done(36, 1)]})
    assert f.status == "clear" and f.within_noise
    assert _figures(f.reason) == ("4.97%", "4.97%")
    assert f.key_figure.decimals == 2
    assert common.key_value(f) == "4.97%"
    assert "Reopen rate: 4.97%" in common.key_figure_text(f)


def test_a_share_clear_of_noise_keeps_the_usual_precision() -> None:
    # 30 of 300 (10%), beyond noise: "measured 10%", key figure "10%"
    f = run_case("reopens", {"as_of": AS_OF, "tickets": [_done(270, 0), _done(30, 1)]})
    assert not f.within_noise
    assert "(measured 10%)" in f.reason
    assert f.key_figure.decimals == 0 and common.key_value(f) == "10%"
