"""The KPI panel's volume by category ranks only real categories (review 17a, defect 3).

The panel's "(other)", the sum of the categories beyond the top 15, was sorted among
the categories: a 40-category desk's terminal, Markdown and HTML led with "(other):
1,940", a bucket no ticket is in, and the real log's Markdown showed "(other): 2,080"
where its fifth category (Category 32, 1,389) belongs. The panel now ranks the real
categories and ends with "the rest: N", the tickets beyond those it shows.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Report
from itsm_diag.writers.servicenow import write_servicenow


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """A generated ServiceNow list, its incidents spread evenly over 40 categories."""
    folder = tmp_path_factory.mktemp("manycat") / "sn"
    s = synth.generate(4000, seed=11)
    write_servicenow(s.tickets, s.events, folder)
    inc = pd.read_csv(folder / "incident.csv", dtype=str)
    rng = np.random.default_rng(1)
    inc["category"] = [f"Cat{i:02d}" for i in rng.integers(0, 40, len(inc))]
    inc.to_csv(folder / "incident.csv", index=False)
    return folder, api.diagnose_paths([folder], api.RunOptions())


def _recount(folder: Path, report: Report) -> pd.Series:
    """Incidents and requests opened in the window: incidents by category, requested
    items by catalogue item, most first."""
    start = pd.Timestamp(report.window.first_day)
    end = pd.Timestamp(report.window.last_day) + pd.Timedelta(days=1)
    inc = pd.read_csv(folder / "incident.csv", dtype=str)
    req = pd.read_csv(folder / "sc_req_item.csv", dtype=str)
    opened = [pd.to_datetime(x["opened_at"]) for x in (inc, req)]
    inc_w = inc[(opened[0] >= start) & (opened[0] < end)]
    req_w = req[(opened[1] >= start) & (opened[1] < end)]
    return pd.concat([inc_w["category"], req_w["cat_item"] + " (catalogue item)"]
                     ).value_counts()


def _expected(counts: pd.Series, n: int) -> str:
    # no tie at the cut: the ranking is the recount's
    assert counts.iloc[n - 1] > counts.iloc[n]
    shown = ", ".join(f"{name}: {k:,}" for name, k in counts.head(n).items())
    return f"{shown}, the rest: {int(counts.iloc[n:].sum()):,}"


def test_the_bucket_beyond_the_top_15_is_never_ranked(many: tuple[Path, Report]) -> None:
    folder, report = many
    counts = _recount(folder, report)
    assert len(counts) > 40
    # the JSON keeps its top 15 and the tickets beyond them as "(other)"
    volume = report.kpis.volume_by_category
    assert volume["(other)"] == int(counts.iloc[15:].sum())
    assert volume["(other)"] > counts.iloc[0]  # the bucket outnumbers any category
    top3, top5 = _expected(counts, 3), _expected(counts, 5)
    # terminal: the row's cells joined (wrapped at the width)
    out = terminal.render(report, color=False, columns=100)
    block = out[out.index("\nCore KPIs\n"):]
    row = block[block.index("Volume by category"):]
    row = row[:row.index("\nBacklog trend")]
    cells = " ".join(line[24:].strip() for line in row.splitlines())
    # before: "(other): 1,940, Password reset (catalogue item): 227, …"
    assert " ".join(cells.split()) == top3
    # markdown (the CI job summary): the top 5
    line = next(x for x in markdown.render(report).splitlines()
                if x.startswith("| Volume by category |"))
    assert line.split(" | ")[1].replace("\\", "") == top5
    # HTML page 1
    page = unescape(html.render(report))
    assert f"<td>Volume by category</td><td>{top3}</td>" in page
    for text in (cells, line, page[:page.index("id=\"kpi-notes\"")]):
        assert "(other):" not in text
    assert report.kpis.volume_words == {"other": "(other)", "rest": "the rest"}


def test_the_demo_ends_with_the_rest_of_its_1131_tickets() -> None:
    # the demo: 1,131 opened; its "(other)" (50, beyond the top 15) is smaller than its
    # third category and was never shown; the panel now says how many are not shown
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions())
    volume = report.kpis.volume_by_category
    demo = api.demo_dir()
    opened = pd.to_datetime(pd.concat([
        pd.read_csv(demo / f, usecols=["opened_at"])["opened_at"]
        for f in ("incident_1.csv", "incident_2.csv", "sc_req_item.csv")]))
    assert sum(volume.values()) == int(((opened >= "2026-07-02")
                                        & (opened < "2026-10-01")).sum()) == 1131
    assert volume["(other)"] == 50
    line = next(x for x in markdown.render(report).splitlines()
                if x.startswith("| Volume by category |"))
    # 1,131 less the five shown (221 + 125 + 111 + 109 + 108)
    assert line.split(" | ")[1] == (
        "Software: 221, Hardware: 125, Access: 111, Network: 109, Email: 108, "
        "the rest: 457")
    # 1,131 less the three shown
    assert re.search(r"Access: 111,\s+the\s+rest: 674",
                     terminal.render(report, color=False, columns=100))
