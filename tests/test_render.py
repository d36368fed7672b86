"""Renderers: golden files of the demo report in all four formats, hostile ticket text,
charts, and the CLI's format, quiet and progress options.

``pytest --update-golden`` rewrites the golden files from the current output.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from itsm_diag import schema
from itsm_diag.cli import app
from itsm_diag.render import charts, html, markdown, terminal
from itsm_diag.render import json as json_render
from itsm_diag.report import Report
from renderkit import GOLDEN, HOSTILE, ROOT, demo_html, demo_report, hostile_report

RENDERERS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "terminal": ("demo.txt", lambda r: terminal.render(r, color=False, columns=100)),
    "markdown": ("demo.md", markdown.render),
    "html": ("demo.html", lambda r: demo_html()),
    "json": ("demo.json", json_render.render),
}


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        # a missing golden file is a failure, not a quiet skip: CI would compare nothing
        pytest.fail(f"golden file {name} is missing; create it with: pytest --update-golden")
    expected = path.read_text(encoding="utf-8")
    # a short, readable failure: the first differing line, then the remedy
    if text != expected:
        got, want = text.splitlines(), expected.splitlines()
        line = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
                    min(len(got), len(want)))
        pytest.fail(
            f"{name} differs from the golden file at line {line + 1}:\n"
            f"  golden: {want[line][:200] if line < len(want) else '<end>'!r}\n"
            f"  now:    {got[line][:200] if line < len(got) else '<end>'!r}\n"
            "If the change is intended, run: pytest --update-golden"
        )


# ---- golden files --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_golden(fmt: str, update_golden: bool) -> None:
    name, render = RENDERERS[fmt]
    check_golden(name, render(demo_report()), update_golden)


@pytest.mark.parametrize("columns", [80, 120])
def test_golden_terminal_widths(columns: int, update_golden: bool) -> None:
    text = terminal.render(demo_report(), color=False, columns=columns)
    check_golden(f"demo.{columns}.txt", text, update_golden)


@pytest.mark.parametrize("columns", [60, 80, 100, 120, 160, 220])
def test_terminal_lines_never_exceed_the_width(columns: int) -> None:
    """Laid out for 80-160 columns: narrower asks get 80, wider 160, and no line of any
    section (verbose included, colour codes aside) is wider than the layout."""
    width = min(max(columns, 80), 160)
    for report in (demo_report(), hostile_report()):
        for verbose in (False, True):
            out = terminal.render(report, color=True, columns=columns, verbose=verbose)
            plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
            widest = max(len(line) for line in plain.splitlines())
            assert widest <= width, (columns, verbose, widest)
            if report is demo_report():
                assert widest >= width - 2, "the layout does not use the width"


def test_terminal_width_comes_from_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal.width() == 132
    monkeypatch.setenv("COLUMNS", "40")
    assert terminal.width() == 80
    monkeypatch.setenv("COLUMNS", "300")
    assert terminal.width() == 160


def test_terminal_first_screen_holds_the_verdict_the_signs_and_the_top_fixes() -> None:
    """50 lines at 100 columns: the headline, the seven signs and the top three fixes,
    with no KPI definition pushing them off; the definitions come with verbose."""
    report = demo_report()
    out = terminal.render(report, color=False, columns=100)
    screen = " ".join(" ".join(out.splitlines()[:50]).split())
    assert f"Score {report.score} of 7" in screen
    for f in report.signs:
        assert " ".join(f.title.split()[:3]) in screen, f.title
    for fix in report.fixes[:3]:
        assert " ".join(fix.action.split()[:5]) in screen, fix.action
    definition = next(iter(report.kpis.definitions.values()))[:40]
    assert definition not in out
    assert definition in terminal.render(report, color=False, columns=100, verbose=True)
    # units said once, in words; no code or sentence of n/a
    assert "h/mo" not in out and "/qtr" not in out and "negative = grew" not in out
    assert "Hours: agent hours a month at stake" in out


def test_unknown_signs_read_plainly_in_every_format() -> None:
    """An unknown sign shows no evidence sentence full of n/a, the range sentence is
    grammatical, and a band is never said twice ('HEALTHY Healthy.')."""
    r = demo_report().model_copy(deep=True)
    r.signs[6].status = "unknown"
    r.signs[6].evidence.summary = "n/a of n/a tickets (mean n/a)"
    r.unknown, r.score_max_if_unknown_apply = 1, r.score + 1
    for text in (terminal.render(r, color=False), markdown.render(r), html.render(r)):
        assert "n/a of n/a" not in text
        assert "1 unknown sign apply" not in text
    from itsm_diag import config

    for band, sentence in config.load_rules().defaults.bands.items():
        assert not sentence.lower().startswith(band), sentence


def test_golden_quiet_line(update_golden: bool) -> None:
    check_golden("demo.quiet.txt", terminal.render(demo_report(), quiet=True), update_golden)


def test_json_output_validates_against_the_schema() -> None:
    doc = json.loads(json_render.render(demo_report()))
    jsonschema.validate(doc, schema.shipped())
    golden = GOLDEN / "demo.json"
    if golden.exists():
        jsonschema.validate(json.loads(golden.read_text(encoding="utf-8")), schema.shipped())


def test_html_is_deterministic() -> None:
    assert html.render(demo_report()) == demo_html()


# ---- the HTML page's promises --------------------------------------------------------------

def test_html_is_self_contained() -> None:
    page = demo_html()
    assert "Content-Security-Policy" in page and markup_escape(html.CSP) in page
    # nothing to fetch: no external URL in a src/href/url(), no script, no @import/@font-face
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", page, re.I)
    assert "<script" not in page.lower()
    assert "@import" not in page and "@font-face" not in page
    # the only xlink:href/href values point inside the page
    for ref in re.findall(r'href="([^"]*)"', page):
        assert ref.startswith("#"), ref
    assert "@media print" in page and "break-before: page" in page


def test_html_has_every_section_and_chart() -> None:
    report = demo_report()
    page = demo_html()
    for anchor in ["summary", "signs", "fixes", "checks", "data",
                   *(f"sign-{f.id}" for f in report.signs)]:
        assert f'id="{anchor}"' in page, anchor
    drawn = re.findall(r'data-chart="([^"]+)"', page)
    assert len(drawn) == len(set(drawn)), "a chart is drawn twice"
    assert {"backlog-weekly", "recurrence-clusters", "changes-over-time",
            "onboarding-lead-times", "strategy-effort"} == set(drawn)
    # one chart per sign at most: each sign's section holds one <svg> or none
    for f in report.signs:
        section = page.split(f'id="sign-{f.id}"', 1)[1].split("</section>", 1)[0]
        assert section.count("<svg") <= 1, f.id
    # element ids are unique in the page although several SVGs sit in it
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for fix in report.fixes:
        assert markup_escape(fix.action) in page


def markup_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


# ---- charts --------------------------------------------------------------------------------

def test_charts_are_drawn_only_when_their_data_exists() -> None:
    report = demo_report().model_copy(deep=True)
    for f in report.signs:
        f.evidence.tables.clear()
        f.evidence.series.clear()
    report.kpis.backlog_weekly = []
    assert charts.charts_for(report) == {}
    assert "<svg" not in html.render(report)


def test_charts_tolerate_reshaped_evidence() -> None:
    report = demo_report().model_copy(deep=True)
    for f in report.signs:
        for rows in [*f.evidence.tables.values(), *f.evidence.series.values()]:
            for row in rows:
                for key in list(row):
                    row[key] = "??"  # every value the wrong type
    report.kpis.backlog_weekly = [{"week_end": "nonsense", "open": "x"}]
    html.render(report)  # no exception: a chart that cannot be drawn is left out


def test_chart_svg_is_inline_ready() -> None:
    drawn = charts.charts_for(demo_report())
    assert drawn, "the demo report should have charts"
    for found in drawn.values():
        for chart in found:
            assert chart.svg.startswith("<svg ") and chart.svg.endswith("</svg>")
            assert "<?xml" not in chart.svg and "DOCTYPE" not in chart.svg
            # the page forbids scripts and fetches: a chart holds neither
            assert "<script" not in chart.svg and "href" not in chart.svg
            assert 'role="img"' in chart.svg


# ---- hostile ticket text -------------------------------------------------------------------

def _no_long_run(text: str) -> None:
    assert "A" * 1000 not in text, "a 10,000-character value went through uncut"


def test_hostile_text_html() -> None:
    page = html.render(hostile_report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "\x1b" not in page and "\x07" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", page)
    assert "{{ 7*7 }}" in page  # shown as typed, never evaluated
    _no_long_run(page)


def test_hostile_text_markdown() -> None:
    text = markdown.render(hostile_report())
    assert "<script" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text and r"\| pipe \|" in text and r"\*star\*" in text
    assert r"\[link\](http://evil.example/x)" in text  # no link: the '[' is escaped
    _no_long_run(text)
    # every table row keeps its column count: ticket pipes are escaped
    cells = 0
    for line in text.splitlines():
        if not line.startswith("|"):
            cells = 0
            continue
        n = len(re.findall(r"(?<!\\)\|", line))
        if cells == 0:
            cells = n
        assert n == cells, line[:200]


def test_hostile_text_terminal() -> None:
    for color, columns in ((False, 80), (True, 120)):
        out = terminal.render(hostile_report(), color=color, columns=columns, verbose=True)
        assert "\x1b[31mRED" not in out and "\x07" not in out
        assert r"\x1b[31mRED" in out  # visible, inert
        _no_long_run(out)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's own colours, if any
        assert max(len(line) for line in plain.splitlines()) <= columns
    quiet = terminal.render(hostile_report(), quiet=True)
    assert len(quiet.splitlines()) == 1


def test_hostile_text_json_round_trips() -> None:
    report = hostile_report()
    doc = json.loads(json_render.render(report))
    jsonschema.validate(doc, schema.shipped())
    assert Report.model_validate(doc) == report


# ---- command line --------------------------------------------------------------------------

runner = CliRunner()


# terminal and json through the CLI are covered by test_cli.py
@pytest.mark.parametrize(("fmt", "marker"), [
    ("markdown", "## Fix plan"), ("html", "<!DOCTYPE html>"),
])
def test_demo_writes_each_format(fmt: str, marker: str, tmp_path: Path) -> None:
    demo_report()  # skips when the sample is not there
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(app, ["demo", "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert marker in out.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.tmp"))


def test_diagnose_markdown_to_stdout_and_quiet() -> None:
    demo_report()
    result = runner.invoke(app, ["diagnose", str(ROOT / "samples" / "demo"), "-f", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# itsm-diag")
    quiet = runner.invoke(app, ["diagnose", str(ROOT / "samples" / "demo"), "--quiet"])
    assert quiet.exit_code == 0
    lines = quiet.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("itsm-diag: score ")
    # CliRunner's stderr is not a terminal: no progress display, no escape codes
    assert "\x1b" not in quiet.output


def _fake_status(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """rich's spinner replaced by a recorder: every text it is started or updated with."""
    shown: list[str] = []

    class FakeStatus:
        def __enter__(self) -> FakeStatus:
            return self

        def __exit__(self, *_: object) -> None: ...

        def update(self, text: str) -> None:
            shown.append(text)

    class FakeConsole:
        def __init__(self, **_: object) -> None: ...

        def status(self, text: str) -> FakeStatus:
            shown.append(text)
            return FakeStatus()

    monkeypatch.setattr("rich.console.Console", FakeConsole)
    return shown


def _demo_tables() -> dict[str, list[dict[str, str]]]:
    """The demo's CSV exports, read with the csv module (not the importers): name -> rows."""
    files = sorted(p for p in (ROOT / "samples" / "demo").rglob("*") if p.is_file())
    assert files and all(p.suffix == ".csv" for p in files)
    tables = {}
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            tables[path.name] = list(csv.DictReader(fh))
    return tables


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm_diag import cli

    demo = ROOT / "samples" / "demo"
    shown = _fake_status(monkeypatch)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with cli._progress([demo], quiet=False):
        pass
    assert shown == []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with cli._progress([demo], quiet=True):
        pass
    assert shown == []
    with cli._progress([demo], quiet=False):
        pass
    names = list(_demo_tables())
    size = sum((demo / name).stat().st_size for name in names)
    assert shown == [f"Diagnosing {len(names)} files, {size / 1e6:,.1f} MB..."]


def test_progress_names_each_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the spinner says which file is read, how many rows it held, how it
    is normalised and how many signs are measured (issue 7: progress on large inputs)."""
    from itsm_diag import api, cli, config, progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    shown = _fake_status(monkeypatch)
    demo = ROOT / "samples" / "demo"
    with cli._progress([demo], quiet=False):
        api.diagnose_paths([demo], api.RunOptions())
    stages = "\n".join(shown)
    tables = _demo_tables()
    assert f"Diagnosing {len(tables)} files" in shown[0]
    for name, rows in tables.items():
        assert f"reading {name} (" in stages
        assert f"{name}: {len(rows):,} rows read; normalising them as servicenow" in stages
    assert "combining the files" in stages
    rules = config.load_rules()
    measures = len(rules.signs) + len(rules.checks)  # the KPIs are not counted
    tickets = len({row["number"] for rows in tables.values() for row in rows})
    assert f"measuring {measures} signs and checks in {tickets:,} tickets" in stages
    for done in range(1, measures + 1):
        assert f"measured {done} of {measures} signs and checks (" in stages
    shown.clear()
    progress.say("after the block")  # the listener is gone with the block
    assert shown == []


def test_help_imports_no_renderer_libraries() -> None:
    code = ("import sys; from itsm_diag.cli import app; "
            "print(','.join(m for m in ('matplotlib', 'jinja2', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""


def test_hostile_text_is_in_every_format() -> None:
    """The hostile value really reaches each renderer (else the tests above prove nothing)."""
    report = hostile_report()
    assert "pwned" in terminal.render(report, color=False)
    assert "pwned" in markdown.render(report)
    assert "pwned" in html.render(report)
    assert json.loads(json_render.render(report))["data_notes"][-1] == HOSTILE


def test_every_kpi_says_how_it_is_computed() -> None:
    from itsm_diag.render import markdown as markdown_render

    report = demo_report()
    defs = report.kpis.definitions
    assert set(defs) == {"time_to_resolve_hours", "first_assignment_resolution",
                         "sla_adherence", "volume_by_category", "backlog_weekly"}
    window = f"{report.window.start[:10]} to {report.window.end[:10]}"
    assert all(window in text for text in defs.values()), "each names the window"
    md = markdown_render.render(report)
    html = demo_html()
    for text in defs.values():
        assert text.split(";")[0][:60] in md.replace("\\", "")
        assert text[:50] in html


def test_kpi_labels_come_from_the_rules_in_every_format(tmp_path: Path) -> None:
    """A KPI is named by the rules' wording, carried in the Report: reword every label in
    a config file and each format shows the new names, each as often as it shows a KPI
    (terminal and HTML: the row or card and the definitions; Markdown: the row; Markdown
    and HTML also in the reporting sign's table of which KPIs the export can compute,
    review 14b). A renderer with a label of its own would show the shipped name
    instead."""
    from itsm_diag import api

    keys = ["time_to_resolve_hours", "first_assignment_resolution", "sla_adherence",
            "volume_by_category", "backlog_weekly"]
    renamed = {key: f"Label {n} from config" for n, key in enumerate(keys, 1)}
    config = tmp_path / "itsm-diag.yaml"
    config.write_text("defaults:\n  wording:\n" + "".join(
        f'    "kpi.{key}": "{label}"\n' for key, label in renamed.items()), encoding="utf-8")
    shipped = demo_report().kpis.labels
    assert set(shipped) == set(keys) and not set(shipped.values()) & set(renamed.values())

    report = api.diagnose_paths([ROOT / "samples" / "demo"], api.RunOptions(config_file=config))
    assert report.kpis.labels == renamed
    # wide enough that no label is wrapped across two lines
    outputs = {"terminal": (terminal.render(report, color=False, verbose=True, columns=200), 2),
               "markdown": (markdown.render(report), 2), "html": (html.render(report), 3)}
    for fmt, (text, times) in outputs.items():
        for key, label in renamed.items():
            # the HTML's KPI notes name each KPI with a caveat once more (the demo's
            # backlog: its tickets waiting on callers and vendors)
            more = int(fmt == "html" and key in report.kpis.caveats)
            assert text.count(label) == times + more, \
                f"{fmt} shows {label!r} {text.count(label)}x"
    assert json.loads(json_render.render(report))["kpis"]["labels"] == renamed


def test_stylesheet_stays_inside_the_style_element() -> None:
    html = demo_html()
    body = html.split("</style>", 1)[1]
    assert "{ display:" not in body and "font-weight: 600; }" not in body


def test_fixes_sharing_hours_say_so() -> None:
    """Two recurrence fixes address the same recurring-incident hours: the plan must not
    let a reader add them up."""
    fixes = [f for f in demo_report().fixes
             if f.sign == "recurrence" and f.hours_at_stake_per_month is not None]
    assert len(fixes) == 2
    assert fixes[0].hours_at_stake_per_month == fixes[1].hours_at_stake_per_month
    assert "do not add them up" not in fixes[0].why_here
    assert f"fix #{fixes[0].rank}" in fixes[1].why_here
    backlog = next(f for f in demo_report().fixes if f.sign == "backlog")
    assert "do not add them up" not in backlog.why_here
