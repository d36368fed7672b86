"""Review 16 (angle C), D6: the printed report's pages.

Page 1 of the Jira and Freshservice samples overflowed, and the forced break before the
signs left page 2 holding 3-11 lines (the tail of the KPI notes and the hours line); the
demo ended page 9 on "Where the backlog is heading", its question and lead, with its
figures on page 10. Page 1 fits now (each KPI note's first sentence, the whole after the
fix plan; the summary's tables set tighter in print), and an analysis prints as one block.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from renderkit import ROOT

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
               None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH")


def _pages(args: list[str], pdf: Path) -> list[str]:
    import unicodedata

    from pypdf import PdfReader

    from itsm_diag.cli import app

    result = CliRunner().invoke(app, [*args, "-o", str(pdf), "--browser", str(BROWSER)])
    assert result.exit_code == 0, result.output
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text() or "").split())
            for p in PdfReader(pdf).pages]


@pytest.mark.parametrize("sample", ["jira/jira_1.csv", "freshservice"])
def test_page_one_holds_the_summary_and_page_two_is_no_leftover(sample: str,
                                                                tmp_path: Path) -> None:
    pages = _pages(["diagnose", str(ROOT / "samples" / sample)], tmp_path / "x.pdf")
    first, second = pages[0], pages[1]
    # the summary whole on page 1: the KPI notes' first lines, the pointer, the hours line
    assert "Hours at stake: agent hours a month" in first
    assert "How the KPIs are computed, with each note above in full" in first
    # page 2 opens the signs, not a leftover of page 1
    assert "The seven signs in detail" in second[:60], second[:200]
    assert "Hours at stake: agent hours a month" not in second
    assert len(second) > 600, second[:300]


def test_an_analysis_heading_prints_with_its_figures(tmp_path: Path) -> None:
    pages = _pages(["demo"], tmp_path / "demo.pdf")
    heading = next(i for i, p in enumerate(pages) if "Where the backlog is heading" in p)
    assert "Open incidents and requests now: 218" in pages[heading]
    assert len(pages) <= 10
