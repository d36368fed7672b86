"""The hours at stake counted once, on the first screen of every format.

The signs table's hours column is no sum when two signs price the same tickets' handle
minutes (the demo's column adds up to 116.6, its hours counted once are 112.8), and the
total a CIO asks first ("how many hours is this costing us?") was only in a grey note
under the KPIs. It is now a line under the band and the signs table's last row, the same
number as the JSON's ``hours_at_stake_per_month``; a report with no priced triggered
sign shows neither.
"""

from __future__ import annotations

import re

from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Report


def render(report: Report, fmt: str, width: int = 100) -> str:
    if fmt == "terminal":
        return terminal.render(report, color=False, columns=width)
    return {"markdown": markdown.render, "html": html.render}[fmt](report)

STAKE = "208 agent hours a month at stake over the triggered signs, each ticket counted once."


def test_every_format_shows_the_total_counted_once(demo_report: Report) -> None:
    assert demo_report.hours_at_stake_per_month is not None
    # logged time (review 21c): was 112; the changes sign's tiers against chance (21b): 211
    assert round(demo_report.hours_at_stake_per_month) == 208
    added = sum(s.hours_at_stake_per_month or 0 for s in demo_report.signs)
    assert round(added, 1) == 211.4  # the column's sum: not the total
    md = render(demo_report, "markdown")
    assert f"**{STAKE}**" in md
    assert "|  | **All triggered signs, each ticket counted once** |  |  |  | **208** |" in md
    html = render(demo_report, "html")
    assert f'<p class="stake">{STAKE}</p>' in html
    assert re.search(r'<tr class="total"><td></td><td colspan="4">All triggered signs, each '
                     r'ticket counted once</td><td class="num">208</td></tr>', html)
    text = render(demo_report, "terminal", width=120)
    assert "208 agent hours a month at stake over the triggered signs" in text
    assert re.search(r"All triggered signs, each ticket counted once +208\n", text)


def test_no_total_without_priced_triggered_signs(demo_report: Report) -> None:
    quiet = demo_report.model_copy(update={"hours_at_stake_per_month": None,
                                           "money_per_month": None, "hours_note": ""})
    for fmt in ("markdown", "html", "terminal"):
        out = render(quiet, fmt)
        assert "each ticket counted once" not in out, fmt
    assert 'class="total"' not in render(quiet, "html")


def test_money_beside_the_hours_when_a_rate_is_set(demo_report: Report) -> None:
    priced = demo_report.model_copy(update={"money_per_month": 9525.0, "assumptions":
        demo_report.assumptions.model_copy(update={"currency": "EUR"})})
    assert ("208 agent hours a month at stake (9,525 EUR a month) over the triggered signs"
            in render(priced, "markdown"))
