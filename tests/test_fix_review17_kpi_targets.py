"""KPI targets in every format, each saying what it is held against and whether it is
met (review 17a, defect 4).

A config's ``kpi_targets`` were shown in the HTML and PDF only: the terminal (with
``-v`` too) and the Markdown KPI table, the CI job summary, dropped them; and the HTML's
"at most 24.0 h" stood beside both a median of 19.1 h and a p90 of 76.6 h, saying
neither which it applied to nor whether it was met. The Report now words each target
with its outcome (``kpis.target_texts``, ``kpis.targets_met``), every format shows it
from one helper, and the KPI's definition ("How the KPIs are computed") says it too.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from demokit import done_in_window
from itsm_diag import api
from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Report

TTR, FAR, SLA = "time_to_resolve_hours", "first_assignment_resolution", "sla_adherence"
CONFIG = """defaults:
  kpi_targets: {time_to_resolve_hours: 24, first_assignment_resolution: 0.7, sla_adherence: 0.9}
"""
TEXTS = {TTR: "median at most 24.0 h: met (18.6 h)",
         FAR: "at least 70%: missed (65%)",
         SLA: "at least 90%: missed (79%)"}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return api.diagnose_paths([api.demo_dir()], api.RunOptions(
        config_file=_config(tmp_path_factory.mktemp("targets"))))


def test_each_target_is_held_against_its_figure(report: Report) -> None:
    # recount: incidents and requests done in the window (resolved, else closed; a
    # requested item when closed)
    a = done_in_window(api.demo_dir())
    a = a[~a["machine"]]  # the 19 monitoring alerts are left out (review 19c)
    a = a[~a["cancelled"]]  # and the 51 cancelled tickets (review 20a)
    median = a["hours"].median()
    far = (a["reassignment_count"] == 0).mean()
    sla = (a["made_sla"].astype(str).str.lower() == "true").mean()
    assert (round(median, 2), round(far, 3), round(sla, 3)) == (18.61, 0.651, 0.786)
    assert report.kpis.targets_met == {TTR: median <= 24, FAR: far >= 0.7,
                                       SLA: sla >= 0.9} == {TTR: True, FAR: False,
                                                            SLA: False}
    assert report.kpis.target_texts == TEXTS
    # "How the KPIs are computed" says it too
    for key, text in TEXTS.items():
        assert report.kpis.definitions[key].endswith(
            f"Target (defaults.kpi_targets in the configuration): {text}.")


def _column(out: str, title: str) -> str:
    """The terminal KPI table's ``title`` column, its wrapped lines joined (up to the
    definitions ``-v`` adds)."""
    block = out[out.index("\nCore KPIs\n") + 1:].split("\n\n")[0].split(
        "\nTime to resolve: ")[0].splitlines()
    at = block[1].index(title)
    return " ".join(" ".join(line[at:].strip() for line in block[3:]).split())


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("verbose", [False, True])
def test_the_terminal_shows_each_target(report: Report, columns: int,
                                        verbose: bool) -> None:
    out = terminal.render(report, color=False, columns=columns, verbose=verbose)
    # before: no Target column, no target anywhere
    assert _column(out, "Target") == " ".join(TEXTS.values())
    block = out[out.index("\nCore KPIs\n"):].split("\n\n")[0].split("\nTime to resolve: ")[0]
    assert max(len(line) for line in block.splitlines()) <= columns
    # the labels whole beside the third column (2:5:3 cut "First-assignme…" at 80)
    assert "…" not in block and re.search(r"^First-assignment\s", block, re.M)
    if verbose:
        flat = " ".join(out.split())
        assert (f"Target (defaults.kpi_targets in the configuration): {TEXTS[SLA]}."
                in flat)


def test_the_markdown_and_the_html_show_each_target(report: Report) -> None:
    lines = markdown.render(report).splitlines()
    head = lines.index("| KPI | Value | Target | How it is computed |")
    rows = {row.split(" | ")[0][2:]: row.split(" | ") for row in lines[head + 2:head + 7]}
    assert rows["Time to resolve"][2] == TEXTS[TTR]
    assert rows["First-assignment resolution"][2] == TEXTS[FAR]
    assert rows["SLA adherence"][2] == TEXTS[SLA]
    assert rows["Volume by category"][2] == ""
    page = unescape(html.render(report))
    # before: "at most 24.0 h", which figure and whether met unsaid
    # (the cancelled tickets left out since review 20a: 19.2 h, 76.6 h, 1,031 before)
    assert ("<td>median 18.6 h, 90th percentile 78.1 h (980 tickets)</td>"
            f"<td>{TEXTS[TTR]}</td>") in page
    assert f"<td>65%</td><td>{TEXTS[FAR]}</td>" in page
    notes = page[page.index('id="kpi-notes"'):]
    assert f"Target (defaults.kpi_targets in the configuration): {TEXTS[SLA]}." in notes


def test_a_figure_not_reliable_is_not_judged(tmp_path: Path) -> None:
    # the demo's first quarter: the export starts on 2026-03-30, so the window lacks the
    # tickets opened before it, the slowest ones: time to resolve is not reliable
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions(
        config_file=_config(tmp_path), since="2026-03-30", until="2026-06-28"))
    assert report.kpis.reliable[TTR] is False
    median = report.kpis.time_to_resolve_hours["median"]
    assert median is not None
    assert report.kpis.targets_met[TTR] is None
    assert report.kpis.target_texts[TTR] == (
        f"median at most 24.0 h: not judged, the figure is not reliable ({median:,.1f} h)")
    assert report.kpis.targets_met[SLA] is not None
