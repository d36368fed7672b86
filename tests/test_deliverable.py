"""Issue 16: the report a consultant sends and the JSON a program reads. Command-line
conventions (formats from the output's suffix, any case, --version, help in words),
redaction of input names, the JSON's self-description, and compare's warnings."""

from __future__ import annotations

import json
import re
import shutil
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from itsm_diag import schema
from itsm_diag.cli import app
from itsm_diag.render import json as json_render
from renderkit import DEMO, ROOT, demo_report

runner = CliRunner()
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00$")


def run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# ---- command line -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "marker"), [
    ("r.html", "<!DOCTYPE html>"), ("r.HTM", "<!DOCTYPE html>"), ("r.md", "# "),
    ("r.json", '"schema_version"'), ("r.txt", "The seven warning signs"),
    ("r.out", "The seven warning signs")])
def test_format_follows_the_output_suffix(tmp_path: Path, name: str, marker: str) -> None:
    code, _, err = run("demo", "-o", tmp_path / name)
    assert code == 0, err
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.lstrip().startswith(marker) or marker in text[:2000], text[:200]
    assert "\x1b[" not in text  # a file gets plain text


def test_format_is_case_insensitive_and_explicit_wins(tmp_path: Path) -> None:
    code, out, err = run("demo", "--format", "MarkDown")
    assert code == 0 and out.startswith("# "), err
    code, _, err = run("demo", "-f", "JSON", "-o", tmp_path / "x.html")
    assert code == 0 and json.loads((tmp_path / "x.html").read_text())["schema_version"]
    code, _, err = run("demo", "-f", "docx")
    assert code == 2 and "'docx' is not a report format" in err and "Value error" not in err
    assert "terminal, markdown, html, json, pdf" in err


def test_version_and_help_in_words() -> None:
    from itsm_diag import __version__

    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"itsm-diag {__version__}"
    for command in ("diagnose", "demo", "inspect", "signs", "explain", "compare", "pull",
                    "config", "quiz", "batch"):
        code, out, _ = run(command, "--help")
        assert code == 0, command
        assert "Examples:" in out and f"itsm-diag {command}" in out, command
        assert not re.search(r"<(?:list\[|str>|path>|int>|float>)", out), (command, out)
        assert "{" not in out.split("Options:")[0], out.split("\n")[0]
    code, out, _ = run("diagnose", "--help")
    assert "terminal|markdown|html|json|pdf" in out and "healthy, gaps, slowing or crisis" in out
    for metavar in ("EXPORT...", "FILE", "TOOL", "DATE", "N|BAND", "ZONE"):
        assert metavar in out, metavar


def test_batch_and_pull_take_the_common_output_option(tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    (clients / "acme").mkdir(parents=True)
    for f in DEMO.glob("*.csv"):
        shutil.copy(f, clients / "acme" / f.name)
    code, _, err = run("batch", clients, "-o", tmp_path / "out", "-f", "JSON", "-j", "1")
    assert code == 0, err
    assert (tmp_path / "out" / "acme.json").exists()
    code, _, err = run("batch", clients, "--out", tmp_path / "old", "-j", "1")
    assert code == 0 and (tmp_path / "old" / "acme.html").exists(), err
    _, out, _ = run("pull", "--help")
    assert "-o, --output, --out FOLDER" in out


def test_pdf_without_a_browser_is_one_clear_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ITSM_DIAG_BROWSER", raising=False)
    code, _, err = run("demo", "-o", tmp_path / "r.pdf")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "needs Chromium or Google Chrome" in err and "--browser" in err
    assert not (tmp_path / "r.pdf").exists()
    code, _, err = run("demo", "-o", tmp_path / "r.pdf", "--browser", tmp_path / "nothing")
    assert code == 2 and "no browser at" in err
    # to standard output (not a terminal here) it still needs the browser first
    code, out, err = run("demo", "-f", "pdf")
    assert code == 2 and "needs Chromium or Google Chrome" in err and out == ""


def test_title_and_client_in_every_format() -> None:
    for fmt in ("terminal", "markdown", "html", "json"):
        code, out, err = run("demo", "-f", fmt, "--title", "Service desk review",
                             "--client", "Acme <Corp>")
        assert code == 0, err
        assert "Service desk review" in out, fmt
        assert ("Acme &lt;Corp&gt;" if fmt in ("html", "markdown") else "Acme <Corp>") in out


def test_a_title_in_brackets_is_text_not_terminal_markup() -> None:
    # the terminal's headline box read a str title as Rich markup: "[/draft]" crashed
    # ("unexpected MarkupError"), "[internal]" vanished, "[link=...]" made a hyperlink
    for title in ("Q3 review [/draft]", "Review [internal]", "[link=https://x.example]x"):
        code, out, err = run("demo", "-f", "terminal", "--title", title, "--client",
                             "Acme [bold]Corp[/bold]")
        assert code == 0 and "This is a bug" not in err, err
        assert title in out and "Acme [bold]Corp[/bold]" in out, out[:400]


# ---- redaction --------------------------------------------------------------------------

def test_redaction_names_no_input_anywhere(tmp_path: Path) -> None:
    """A client's folder name and the file names never reach a redacted report (any
    format) nor an error line: they read 'input N' and 'the input folder'."""
    folder = tmp_path / "jane.doe" / "clients" / "AcmeCorp Confidential"
    folder.mkdir(parents=True)
    for f in DEMO.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    secrets = ("AcmeCorp", "jane.doe", "incident_1", "sc_req_item.csv", str(tmp_path))
    for fmt in ("terminal", "markdown", "html", "json"):
        code, out, err = run("diagnose", folder, "--redact", "-f", fmt, "--verbose"
                             if fmt == "terminal" else "--quiet")
        assert code == 0, err
        for secret in secrets:
            assert secret not in out and secret not in err, (fmt, secret)
    doc = json.loads(run("diagnose", folder, "--redact", "-f", "json")[1])
    assert [i["path"] for i in doc["inputs"]] == [f"input {n}" for n in range(1, 7)]
    assert "input 1, input 2" in run("diagnose", folder, "--redact")[1].replace("\n", " ")
    # a file of the folder that cannot be read is skipped with a warning (never silently,
    # never aborting the run): the warning names it as an input too
    (folder / "zz_empty.csv").write_text("number,opened_at\n", encoding="utf-8")
    code, out, err = run("diagnose", folder, "--redact")
    assert code == 0 and "input 7" in err, err
    assert not any(secret in err or secret in out for secret in secrets), err
    # and a file named on its own that cannot be read is one error line, as an input
    code, _, err = run("diagnose", folder / "zz_empty.csv", "--redact")
    assert code == 2 and "input 1" in err
    assert not any(secret in err for secret in secrets), err


# ---- the JSON report --------------------------------------------------------------------

def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    out = [(path, node)]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _walk(v, f"{path}[{i}]")
    return out


def test_every_schema_field_is_described() -> None:
    doc = schema.generate()
    missing = []
    for where, node in _walk(doc):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            missing += [f"{where}.{k}" for k, v in node["properties"].items()
                        if not v.get("description")]
    assert missing == []
    assert len([1 for _, n in _walk(doc) if isinstance(n, dict) and "description" in n]) > 150


def test_json_strings_times_and_tables_are_clean() -> None:
    doc = json.loads(json_render.render(demo_report()))
    strings = [(p, v) for p, v in _walk(doc) if isinstance(v, str)]
    assert [p for p, v in strings if v != v.strip()] == [], "no stray whitespace"
    stamps = [v for _, v in strings if re.match(r"^\d{4}-\d\d-\d\dT", v)]
    assert len(stamps) > 50
    assert [v for v in stamps if not ISO_UTC.match(v)] == [], "one timestamp form"
    for f in [*doc["signs"], *doc["checks"]]:
        ev = f["evidence"]
        for name, rows in [*ev["tables"].items(), *ev["series"].items()]:
            about = ev["about_tables"][name]
            assert about["rows"] == len(rows)
            assert about["complete"] == (about["rows_total"] == len(rows))
            assert about["title"] and "_" not in about["title"]
            keys = {k for row in rows for k in row}
            assert keys <= set(about["columns"]), (f["id"], name)
            for key, col in about["columns"].items():
                assert col["label"] and "_" not in col["label"], (f["id"], name, key)
                if col["unit"] == "ratio":
                    assert all(0 <= (r[key] or 0) <= 1 for r in rows if key in r)
    changes = next(f for f in doc["signs"] if f["id"] == "changes")
    about = changes["evidence"]["about_tables"]["change_caused"]
    assert about["rows"] == 50 and about["rows_total"] > 50 and not about["complete"]


def test_every_table_a_module_emits_is_worded_by_its_rule() -> None:
    """Over the samples of every tool, each evidence table and column has a title and
    label in its rule file (none falls back to a humanised key)."""
    from itsm_diag import api, config

    rules = config.load_rules()
    by_id = {r.id: r for r in rules.all()}
    seen = 0
    for folder, mapping in [("samples/demo", None), ("samples/jira", None),
                            ("samples/zendesk", None), ("samples/freshservice", None),
                            ("samples/glpi", ROOT / "src/itsm_diag/mappings/glpi.yaml")]:
        report = api.diagnose_paths([ROOT / folder], api.RunOptions(mapping=mapping))
        for f in [*report.signs, *report.checks]:
            docs = by_id[f.id].tables
            for name, rows in [*f.evidence.tables.items(), *f.evidence.series.items()]:
                assert name in docs, (folder, f.id, name)
                for key in {k for row in rows for k in row}:
                    assert key in docs[name].columns, (folder, f.id, name, key)
                    seen += 1
    assert seen > 50


# ---- compare ----------------------------------------------------------------------------

def test_compare_warns_on_other_tools_and_never_calls_nothing_worse(tmp_path: Path) -> None:
    demo, jira = tmp_path / "demo.json", tmp_path / "jira.json"
    assert run("demo", "-o", demo)[0] == 0
    assert run("diagnose", ROOT / "samples" / "jira", "-o", jira)[0] == 0
    doc = json.loads(run("compare", demo, jira, "-f", "json")[1])
    notes = " ".join(doc["notes"])
    assert "different tools (servicenow in the baseline, jira now)" in notes
    same = json.loads(run("compare", demo, demo, "-f", "json")[1])
    assert all(d["direction"] in ("same", None) for d in same["kpis"])
    assert all(d["delta"] in (0, None) for d in same["kpis"])
    from itsm_diag.compare import _delta

    nudged = _delta("x", "X", "ratio", 0.64041, 0.64012, lower_is_better=False)
    assert nudged.direction == "same" and nudged.delta == 0


def test_html_analyses_show_their_result_before_the_detail() -> None:
    # a reader sees each analysis's figures without opening it; an analysis the export
    # cannot answer gets no empty "Detail: 0 figures" fold; counts read "1 table"
    from itsm_diag.render import analyses, html

    report = demo_report()
    page = html.render(report)
    for out in report.analyses.values():
        section = re.search(rf'<section class="analysis[^"]*" id="analysis-{out.id}">(.*?)'
                            r"</section>", page, re.S)
        assert section is not None, out.id
        body = section.group(1)
        if out.status == "unknown":
            assert "<details>" not in body, out.id
            continue
        shown = html_escape(analyses.key_figures(out))
        assert f'<p class="summary">{shown}</p>' in body.split("<details>")[0], out.id
        assert re.search(r"Detail: [^<]*\b1 tables\b", body) is None


@pytest.mark.parametrize(("value", "key", "shown"), [
    (359.3, "age_days", "359.3"),  # measured to 0.1 day: no invented second decimal
    (12.25, "lift", "12.25"), (12.5, "lift", "12.5"), (1234.5, "", "1,234.5"),
    (6.804, "z", "6.8"), (2.0, "", "2"), (0.123, "", "0.123"), (0.25, "share", "25%"),
    (float("nan"), "", ""), (3, "", "3"),
])
def test_table_cells_show_no_precision_the_figure_lacks(value: object, key: str,
                                                       shown: str) -> None:
    from itsm_diag.render.common import cell

    assert cell(value, key) == shown


def test_wide_evidence_tables_give_their_room_to_sentences_not_to_dates() -> None:
    """An analysis table's columns are laid out by what they hold: numbers and shares
    right-aligned on one line, dates and times on one line, sentences kept readable
    (a minimum width, not six lines of two words), id lists free to wrap; a table of
    ten columns or more is set smaller so it fits the page."""
    from itsm_diag.render.analyses import _column_kinds, _table_rows
    from itsm_diag.report import AnalysisTable

    rows = [{"ticket_id": f"INC00{i}", "reasons": "overdue; no update for 256 business days",
             "age_days": 359.3, "idle": 12, "share": 0.25, "due": "2025-10-13T17:50:00+00:00",
             "sample_ids": ["INC0010707", "INC0010712", "INC0010714"], "note": None}
            for i in range(3)]
    table = AnalysisTable(label="t", definition="d", columns={k: k for k in rows[0]}, rows=rows)
    keys, _, shown = _table_rows(table, 15)
    kinds = _column_kinds(table, keys, shown)
    assert kinds == {"ticket_id": "text", "reasons": "long", "age_days": "num", "idle": "num",
                     "share": "num", "due": "date", "sample_ids": "text", "note": "text"}
    from itsm_diag.render import html as html_render

    html = html_render.render(demo_report())
    assert '<table class="evidence wide">' in html  # the action list's twelve columns
    assert '<td class="date">2025-10-13 17:50</td>' in html
    assert '<td class="num">359.3</td>' in html
    # the same columns are right-aligned in the Markdown and the terminal report
    from itsm_diag.render import markdown, terminal

    md_lines = markdown.render(demo_report()).splitlines()
    head = next(i for i, line in enumerate(md_lines)
                if line.startswith("| Ticket | Summary | Why |"))
    assert md_lines[head + 1].split(" | ")[3] == "---:"  # Priority
    term = terminal.render(demo_report(), color=False, columns=120).splitlines()
    header = next(line for line in term if line.startswith("Ticket ") and "Age (days)" in line)
    row = next(line for line in term if line.startswith("RITM0010001"))
    # Age (days), the last column shown: the value ends where its header ends
    assert row.rstrip().endswith("359.3") and len(row.rstrip()) == len(header.rstrip())


# ---- counts read the same everywhere ------------------------------------------------------

def test_template_counts_get_thousands_separators() -> None:
    """A count a rule-file template leaves bare prints as a table prints it (24,918), so
    one report never says "24918 tickets" in a sentence and "24,918" in the table beside
    it; an explicit spec still wins, and flags, text and fractions are left alone."""
    import numpy as np

    from itsm_diag.text import fmt

    assert fmt("{a} of {b}", {"a": 1201, "b": np.int64(24918)}) == "1,201 of 24,918"
    assert fmt("{a:d} {b:,.1f} {c:.0%}", {"a": 24918, "b": 3546.5, "c": 0.25}) == \
        "24918 3,546.5 25%"
    assert fmt("{a} {b} {c} {d}", {"a": True, "b": "2016", "c": 3.5, "d": None}) == \
        "True 2016 3.5 n/a"


def test_no_sentence_of_a_large_report_shows_a_bare_count() -> None:
    """Every sentence of a report of 30,000 tickets (reasons, notes, definitions, data
    notes) writes numbers of four digits or more with separators: years, dates, times and
    ticket ids aside."""
    from itsm_diag import config, engine, synth
    from itsm_diag.render import markdown

    s = synth.generate(30_000, seed=5)
    report = engine.diagnose(engine.Diagnosis(tickets=s.tickets, events=s.events,
                                              inputs=[]), config.load_rules())
    text = markdown.render(report)
    bare = [m.group() for m in re.finditer(r"(?<![\w.,:/-])\d{4,}(?![\w,:/-]|\.\d)", text)
            if not re.fullmatch(r"(19|20)\d\d", m.group())]
    assert bare == [], bare[:10]


def test_evidence_sentences_leave_out_what_was_not_measured() -> None:
    """A clause of an evidence sentence whose every figure is missing is left out (a
    ``;`` inside brackets does not end a clause); with nothing measured at all the whole
    sentence stays, n/a and all. A share under 1% keeps a decimal, as the key figure
    prints it."""
    from itsm_diag.text import fmt_known

    t = "chasers on {a:.0%} ({b:,.1f} a month); duplicates {c:.0%} (gap: {d:+.0%}; all {e:.0%})"
    assert fmt_known(t, {"a": None, "b": None, "c": 0.08, "d": None, "e": 0.5}) == \
        "duplicates 8% (gap: n/a; all 50%)"
    assert fmt_known(t, {"a": 0.003, "b": 73.25, "c": None, "d": None, "e": None}) == \
        "chasers on 0.3% (73.2 a month)"
    assert fmt_known(t, {}) == "chasers on n/a (n/a a month); duplicates n/a (gap: n/a; all n/a)"
    assert fmt_known("{x:.0%} and {y:.0%}", {"x": 0.0, "y": 0.004}) == "0% and 0.4%"
    # one ticket in 23,767 is not "0.0%": a share above zero never prints as zero
    assert fmt_known("{x:.0%}; {x:.1%}", {"x": 1 / 23_767}) == "<0.1%; <0.1%"
    from itsm_diag.text import figure
    assert [figure(v, "ratio") for v in (0.0, 1 / 23_767, 0.003, 0.011, 1.0)] == \
        ["0%", "<0.1%", "0.3%", "1%", "100%"]


def test_a_known_sign_never_says_n_a_where_a_clause_can_be_left_out() -> None:
    """The demo is a ticket list: no assignment history, so no A -> B -> A bounces. The
    routing check is measured from the reassignment counts; its evidence says those, not
    "n/a bounced A -> B -> A"; an unknown sign keeps its n/a (its reason says why). With
    no assignee and no summary, ownership and vague tickets are judged on what is there
    and say only that (a figure left n/a inside a clause that has others, "tier 1: n/a",
    stays: it says which part could not be measured)."""
    import pandas as pd

    from itsm_diag import api, config, engine, synth
    from itsm_diag import model as m

    jira = api.diagnose_paths([ROOT / "samples" / "jira"], api.RunOptions())
    # a list with no assignee and no summary: ownership judged on the group alone, vague
    # tickets on the category alone (the real log's shape)
    s = synth.generate(3000, seed=3)
    bare = s.tickets.assign(**{m.ASSIGNEE: pd.NA, m.SUMMARY: pd.NA})
    partial = engine.diagnose(engine.Diagnosis(tickets=bare, events=s.events, inputs=[]),
                              config.load_rules())
    known = {f.id for f in partial.checks if f.status != "unknown"}
    assert "ownership" in known
    # with no summary the vague share is a floor: it cannot clear, and says why
    vague = next(f for f in partial.checks if f.id == "vague-tickets")
    assert vague.status in ("unknown", "triggered"), vague.status
    for report in (demo_report(), jira, partial):
        for f in report.signs + report.checks:
            if f.status == "unknown":
                continue
            for clause in f.evidence.summary.split("; "):
                assert not re.fullmatch(r"[^0-9%]*n/a[^0-9%]*", clause), (f.id, clause)
            if f.id in ("ownership", "vague-tickets"):
                assert "n/a" not in f.evidence.summary, (f.id, f.evidence.summary)


def test_an_index_reads_as_the_same_number_everywhere() -> None:
    """Intake fragmentation (1 - Herfindahl) is an index, not a share of tickets: the key
    figure once read "0.3%" beside a threshold of "at least 0.60" and an evidence sentence
    saying "fragmentation 0.00". Key figure, verdict, evidence and every format now show
    the one number, to two decimals; so does arrivals per completion."""
    from itsm_diag.render import markdown, terminal
    from itsm_diag.text import figure

    report = demo_report()
    f = next(c for c in report.checks if c.id == "channels")
    metric = f.metrics["fragmentation"]
    assert metric.unit == "index" and metric.value is not None
    shown = figure(metric.value, "index")
    assert re.fullmatch(r"\d\.\d\d", shown)
    assert f"(measured {shown})" in f.reason and f"fragmentation {shown}" in f.evidence.summary
    for text in (markdown.render(report), terminal.render(report, color=False, columns=160)):
        assert f"Chance two tickets came in through different channels: {shown}" in text
    backlog = next(s for s in report.signs if s.id == "backlog")
    apc = backlog.metrics["arrivals_per_completion"]
    assert apc.unit == "index"
    assert f"arrivals per completion {figure(apc.value, 'index')}" in backlog.evidence.summary
    # a mean per ticket is no count: 0.49 reassignments once read "0" in the measures
    # beside "mean 0.5" in the sentence; 0.74 transfers per ticket read "1"
    routing = next(c for c in report.checks if c.id == "routing")
    mean = routing.metrics["mean_reassignments"]
    assert mean.unit == "index" and 0 < mean.value < 1
    assert f"(mean {figure(mean.value, 'index')})" in routing.evidence.summary
    from itsm_diag import config
    assert config.load_rules().analyses["flow"].metrics["transfers_per_ticket"].unit == "index"


def test_an_evidence_sentence_shows_each_measure_as_its_table_does() -> None:
    """Each figure an evidence template names is printed as the measures table and the
    key figure print it (its unit's figure, suffix and sign aside): the reopen check once
    said "1.1% of done tickets were reopened" under a key figure of "Reopen rate: 1%",
    and onboarding "154 hours" beside "153.9 h"."""
    import string

    from itsm_diag import config
    from itsm_diag.text import _FMT, figure

    rules = config.load_rules()
    checked, wrong = 0, []
    for f in demo_report().signs + demo_report().checks:
        rule = rules.signs.get(f.id) or rules.checks[f.id]
        for _, name, spec, _ in string.Formatter().parse(rule.evidence_template):
            metric = f.metrics.get(name or "")
            if metric is None or metric.value is None:
                continue
            said = _FMT.format_field(metric.value, spec or "").lstrip("+")
            shown = re.sub(r" (h|weeks|days|a month|a quarter)$", "",
                           figure(metric.value, metric.unit))
            checked += 1
            if said != shown:
                wrong.append((f.id, name, said, shown))
    assert wrong == [] and checked >= 40, (wrong, checked)


def test_labels_and_thresholds_follow_the_params_a_config_sets(tmp_path: Path) -> None:
    """"Tickets reassigned three or more times" was written into the routing check's
    label, threshold and sentence, and the drivers' outcome: a config setting
    min_reassignments to 5 measured five and still said three. The words now come from
    the param ({param_min_reassignments}), in the report and in `explain`."""
    from itsm_diag import api

    cfg = tmp_path / "itsm-diag.yaml"
    cfg.write_text("checks:\n  routing:\n    params: {min_reassignments: 5}\n"
                   "analyses:\n  drivers:\n    params: {min_reassignments: 5}\n"
                   "signs:\n  changes:\n    params: {window_hours: 24}\n"
                   "  recurrence:\n    params: {cluster_size: 4, span_days: 60}\n"
                   "  trust:\n    params: {duplicate_hours: 24}\n")
    report = api.diagnose_paths([DEMO], api.RunOptions(config_file=cfg))
    routing = next(c for c in report.checks if c.id == "routing")
    texts = [routing.key_figure.label, routing.metrics["multi_reassigned_share"].label,
             routing.threshold.conditions["many_reassignments"].text, routing.evidence.summary,
             report.analyses["drivers"].metrics["reassigned_rate"].label]
    assert all("reassigned 5 or more times" in t.lower() for t in texts), texts
    changes = next(s for s in report.signs if s.id == "changes")
    assert changes.metrics["tier3_incidents"].label == \
        "Tier 3: within 24 hours of a change (heuristic)"
    assert "opened within 24 hours after its end" in changes.metrics["tier3_incidents"].definition
    recurrence = next(s for s in report.signs if s.id == "recurrence")
    assert "at least 4 occurrences within some 60-day span" in \
        recurrence.metrics["recurring_clusters"].definition
    shown = json_render.render(report)
    assert "three or more" not in shown and "3 or more" not in shown
    assert "48 hours" not in shown
    assert "{param_" not in shown
    assert "{param_" not in json_render.render(demo_report())
    code, out, _ = run("explain", "routing")
    assert code == 0 and "reassigned 3 or more times" in out and "{param_" not in out


def test_no_rule_writes_a_param_s_value_into_its_words() -> None:
    """A label, definition, threshold text, analysis phrase or table code word that
    spells out a numeric param's value ("48 hours", "3 incidents") goes stale the day a
    config changes the param: each names it as {param_NAME} instead."""
    from itsm_diag import config

    rules = config.load_rules()
    found = []
    for rule in [*rules.signs.values(), *rules.checks.values(), *rules.analyses.values()]:
        texts = [m.label for m in rule.metrics.values()]
        texts += [m.definition for m in rule.metrics.values()]
        if isinstance(rule, config.RuleFile):
            texts += [c.text for c in rule.thresholds.conditions.values()]
            texts += [w for t in rule.tables.values() for c in t.columns.values()
                      for w in c.values.values()]
        else:
            texts += list(rule.wording.values())
        for name, value in rule.params.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value in (0, 1):
                continue
            number = re.escape(f"{value:g}")
            for text in texts:
                # placeholders aside, and the changes sign's tier names (Tier 2 is a name)
                # and the metric ids its definitions cite (tier2_beyond_chance, review 21b)
                plain = re.sub(r"\{[^}]*\}|(?i:tiers? \d(?:-\d)?)|\btier\d_\w+", "", text)
                if re.search(rf"(?<![\d.]){number}(?![\d.%])", plain):
                    found.append((rule.id, name, plain[:80]))
    assert found == []


def test_channel_codes_read_as_words() -> None:
    """The canonical channel code walk_in read "Tickets that came in by walk\\_in ..." in
    the GLPI sample's drivers and its channel table; both now say "walk-in". (The GLPI
    walk-in driver, 10 of 36 long resolutions, was carried-over tickets and a month's mix:
    no driver since drivers compare like for like in time. The sentence is built here from
    one of the sample's driver rows moved onto the channel code, as the drivers table's
    rows are: its wording is what is tested.)"""
    from itsm_diag import api, config
    from itsm_diag.insights import _rows, drivers_for
    from itsm_diag.render import html

    report = api.diagnose_paths([ROOT / "samples" / "glpi"], api.RunOptions(
        mapping=ROOT / "src/itsm_diag/mappings/glpi.yaml"))
    page = html.render(report)
    assert ">walk-in</td>" in page and ">walk_in</td>" not in page
    rule = config.load_rules().analyses["drivers"]
    out = report.analyses["drivers"]
    shown = out.tables["drivers"].rows[0]
    raw = {**shown, "outcome": shown["outcome_id"], "attribute": "channel",
           "value": "walk_in"}
    table = out.tables["drivers"].model_copy(update={"rows": _rows(rule, "drivers", [raw])})
    moved = out.model_copy(update={"tables": {**out.tables, "drivers": table}})
    texts = [d.text for found in drivers_for(rule, moved).values() for d in found]
    assert texts and all("came in by walk-in" in t and "walk_in" not in t for t in texts), texts


@pytest.mark.parametrize(("unit", "old", "new", "shown"), [
    ("hours", 27.76, 23.94, "-3.9 h"),   # 27.8 h -> 23.9 h: the unrounded move is -3.82
    ("hours", 309.94, 313.31, "+3.4 h"),
    ("count", 1195.4, 920.6, "-274"),    # 1,195 -> 921
    ("index", 0.614, 0.618, "+0.01"),    # 0.61 -> 0.62
    ("ratio", 0.524, 0.552, "+2.8 pp"),  # percentage points from the measured shares
    ("hours", None, 23.9, "n/a"),
])
def test_a_comparison_s_change_is_the_difference_of_what_it_shows(
        unit: str, old: float | None, new: float | None, shown: str) -> None:
    """The real log against its own first months read "27.8 h -> 23.9 h: -3.8 h"; a reader
    subtracting the two figures gets 3.9. The change of an hours, count or index figure is
    now the difference of the values as shown (the JSON keeps the exact delta)."""
    from itsm_diag.render import common
    from itsm_diag.report import Delta

    delta = None if old is None or new is None else new - old
    d = Delta(name="x", label="x", unit=unit, old=old, new=new, delta=delta)
    assert common.change(d) == shown


def test_inspect_never_prints_a_filled_column_as_empty(tmp_path: Path) -> None:
    """The real log's caused_by is filled on 3 of 24,918 tickets: `inspect` printed its
    coverage as 0.0%, the same as a column that holds nothing. It now reads <0.1%."""
    rows = ["number,opened_at,state,priority,short_description,caused_by"]
    rows += [f"INC{i:07d},2026-03-0{1 + i % 9} 10:00:00,Closed,3 - Moderate,VPN down,"
             + ("CHG0000001" if i == 7 else "") for i in range(2500)]
    path = tmp_path / "incident.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run("inspect", path)
    assert code == 0, err
    coverage = dict(line.split() for line in out.splitlines()
                    if line.startswith("  ") and line.strip().endswith("%"))
    assert coverage["caused_by_change"] == "<0.1%" and coverage["due_at"] == "0.0%"
