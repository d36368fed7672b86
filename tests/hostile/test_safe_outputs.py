"""Ticket text is data, never markup or control: hostile unicode (bidi overrides,
zero-width characters, NUL) in every report format, and no CSV written for users,
where a cell could run as a formula.

The HTML, Markdown and terminal escaping of markup and escape sequences is tested in
tests/test_render.py; this adds the characters that reorder or hide text.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from itsm_diag.render import common, html, markdown, terminal
from itsm_diag.render import json as json_render
from itsm_diag.report import Report

SRC = Path(__file__).resolve().parents[2] / "src" / "itsm_diag"

#: text that reads "invoice.exe" as "exe.eciovni"-style spoofing, hides a character, and
#: carries a NUL and an isolate
UNICODE = ("Reset \u202epassword\u202c for ad\u200bmin\x00 \u2066rtl\u2069 \ufeffbom "
           "\u200dzwj kept\u200c")
NEUTRALISED = ("\u202e", "\u202c", "\u200b", "\x00", "\u2066", "\u2069", "\ufeff")


def _unicode_report() -> Report:
    from renderkit import demo_report

    r = demo_report().model_copy(deep=True)
    r.data_notes.append(UNICODE)
    r.inputs[0].warnings.append(UNICODE)
    r.kpis.volume_by_category[UNICODE] = 10**9
    recurrence = next(f for f in r.signs if f.id == "recurrence")
    recurrence.evidence.tables["top_uncovered_clusters"] = [
        {"key": UNICODE, "count": 12, "covered": False, "sample_ids": [UNICODE]}]
    return r


def test_clean_makes_reordering_and_invisible_characters_visible() -> None:
    out = common.clean(UNICODE)
    assert out == ("Reset \\u202epassword\\u202c for ad\\u200bmin\\x00 \\u2066rtl\\u2069 "
                   "\\ufeffbom \u200dzwj kept\u200c")
    # joiners stay: scripts (Persian, Indic) and emoji sequences need them
    assert common.clean("👩\u200d💻 می\u200cخواهم") == "👩\u200d💻 می\u200cخواهم"


@pytest.mark.parametrize("fmt", ["html", "markdown", "terminal", "terminal-colour"])
def test_hostile_unicode_is_neutralised_in_every_text_format(fmt: str) -> None:
    report = _unicode_report()
    text = {"html": html.render, "markdown": markdown.render,
            "terminal": lambda r: terminal.render(r, color=False),
            "terminal-colour": lambda r: terminal.render(r, color=True)}[fmt](report)
    for ch in NEUTRALISED:
        assert ch not in text, (fmt, hex(ord(ch)))
    assert "\\u202epassword" in text or "\\\\u202epassword" in text  # shown, inert


def test_json_keeps_ticket_text_exactly() -> None:
    """JSON is data for programs: the text is kept as typed (JSON escapes NUL itself)."""
    doc = json.loads(json_render.render(_unicode_report()))
    assert doc["data_notes"][-1] == UNICODE
    assert "\x00" not in json_render.render(_unicode_report())


# ---- no CSV for users (formula injection) ---------------------------------------------

def _csv_writers(tree: ast.AST) -> list[int]:
    """Lines that write CSV: csv.writer/DictWriter, DataFrame.to_csv, pyarrow
    write_csv/CSVWriter."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in ("writer", "DictWriter", "to_csv", "write_csv", "CSVWriter"):
                lines.append(node.lineno)
    return lines


def test_no_module_writes_csv_for_users() -> None:
    """Ticket text in a CSV cell (``=HYPERLINK(...)``) runs as a formula when the file is
    opened in a spreadsheet, so itsm-diag writes no CSV for users (see itsm_diag.safety).
    Only the sample writers do, imitating real tool exports on purpose. A new CSV output
    must escape its cells, with a test of that, before it is let through here."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        lines = _csv_writers(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[path.relative_to(SRC).as_posix()] = lines
    samples = [rel for rel in found if rel.startswith("writers/")]
    assert samples, found  # the scan sees the sample writers' CSV: it can see one
    # the one CSV writer escapes every cell (safety.csv_text, used by pull and by the
    # action list; tests/test_pull_client.py and tests/test_analyses.py test it)
    escaped = ["safety.py"]
    assert {rel: lines for rel, lines in found.items()
            if rel not in samples and rel not in escaped} == {}


def test_batch_index_is_markdown_and_json_only(tmp_path: Path) -> None:
    """The one table the tool writes for users besides reports: not CSV (so no formula
    can run when it is opened), and its cells are escaped Markdown."""
    from itsm_diag import batch

    rows = [batch.ClientRow(client="=cmd|' /C calc'!A0", error="| =1+1 <b>")]
    md_path, json_path = batch.write_index(rows, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "index.md"]
    text = md_path.read_text()
    assert "\\| =1+1 &lt;b&gt;" in text and "<b>" not in text
    assert json.loads(json_path.read_text())["clients"][0]["client"] == "=cmd|' /C calc'!A0"
