"""Shared by the renderer tests: the demo report with a fixed version, and hostile text."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from itsm_diag.report import Report, Tool

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"
GOLDEN = ROOT / "tests" / "golden"
#: the version golden files carry, so a release does not rewrite them
FIXED_VERSION = "0.0.0+golden"

#: a ticket summary that tries every trick: HTML and template injection, Markdown
#: syntax, a terminal escape sequence and sheer length
HOSTILE = (
    "<script>alert('pwned')</script> {{ 7*7 }} {% raw %} | pipe | *star* _under_ "
    "`tick` # hash [link](http://evil.example/x) ![img](http://evil.example/i.png) "
    "$math$ \x1b[31mRED\x1b[0m \x07bell & &amp; " + "A" * 10_000
)


@functools.cache
def demo_report() -> Report:
    """The bundled demo sample, diagnosed, with relative input paths and a fixed version
    (the report has no wall-clock field, so it is then fully reproducible)."""
    from itsm_diag import api

    # the demo sample is part of the product (it ships in the wheel): missing is a failure
    assert any(DEMO.glob("*.csv")), f"the demo sample is missing from {DEMO}"
    cwd = Path.cwd()
    os.chdir(ROOT)  # input paths are reported as given: keep them relative
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("itsm_diag.__version__", FIXED_VERSION)
            mp.setattr("itsm_diag.engine.__version__", FIXED_VERSION, raising=False)
            report = api.diagnose_paths([Path("samples/demo")], api.RunOptions())
    finally:
        os.chdir(cwd)
    # belt and braces: whatever the engine read the version from
    return report.model_copy(update={"generated_by": Tool(version=FIXED_VERSION)})


def hostile_report() -> Report:
    """The demo report with :data:`HOSTILE` planted wherever ticket text can appear."""
    r = demo_report().model_copy(deep=True)
    r.inputs[0].path = HOSTILE
    r.inputs[0].warnings.append(HOSTILE)
    r.data_notes.append(HOSTILE)
    r.kpis.volume_by_category[HOSTILE] = 10**9  # the top category, so every format shows it
    for f in [*r.signs, *r.checks]:
        for rows in [*f.evidence.tables.values(), *f.evidence.series.values()]:
            for row in rows[:2]:
                for key, value in list(row.items()):
                    if isinstance(value, str):
                        row[key] = HOSTILE
        for metric in f.metrics.values():
            if metric.sample_ids:
                metric.sample_ids[0] = HOSTILE
    recurrence = next(f for f in r.signs if f.id == "recurrence")
    recurrence.evidence.tables["top_uncovered_clusters"] = [
        {"key": HOSTILE, "count": 12, "covered": False, "sample_ids": [HOSTILE]},
        {"key": "vpn | network", "count": 5, "covered": True, "sample_ids": ["INC1"]},
    ]
    return r


@functools.cache
def demo_html() -> str:
    """The demo report as HTML (drawing the charts takes a second or two: do it once)."""
    from itsm_diag.render import html

    return html.render(demo_report())
