"""Review 14a, items 2-4: every report lists each input's detection reasons and column
map; unquoted YAML yes/no/on/off keys of a mapping's ``values`` are the words written;
the date-order note says what decided it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.importers import dates
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.mapping import parse_mapping
from itsm_diag.importers.registry import load_paths
from itsm_diag.render import html, markdown, terminal
from renderkit import demo_report

runner = CliRunner()

# ---- item 2: the column map and the reasons in every format ------------------------------


def test_html_lists_each_inputs_column_map_folded() -> None:
    r = demo_report()
    page = html.render(r)
    data = page[page.index('<section id="data"'):]
    # one folded block per input, inside the folded inputs part: never open (the PDF
    # prints its summary line only)
    assert data.count('<details class="colmap">') == len(r.inputs)
    assert "<details class=\"colmap\" open" not in page
    for i in r.inputs:
        assert f"Which column each of its {len(i.column_map)} fields was read from" in data
    # a column name breaks anywhere, as a path does (review 16: words break at words)
    assert '<tr><td>summary</td><td class="wrap path">short_description</td></tr>' in data
    assert '<tr><td>change_outcome</td><td class="wrap path">close_code</td></tr>' in data
    assert "Detected by: field-name headers number + opened_at" in data


def test_markdown_lists_each_inputs_reasons_and_column_map() -> None:
    r = demo_report()
    text = markdown.render(r)
    for i in r.inputs:
        path = markdown.md(i.path)
        assert f"- {path}: detected by {markdown.md(i.detected_by, 1000)}" in text
        line = next(x for x in text.splitlines()
                    if x.startswith(f"- {path}: columns read (field ← column as exported): "))
        assert len(re.findall(" ← ", line)) == len(i.column_map) + 1
    assert "summary ← short\\_description" in text


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_terminal_verbose_lists_reasons_and_column_map_within_the_width(columns: int) -> None:
    r = demo_report()
    out = terminal.render(r, color=False, columns=columns, verbose=True)
    assert max(cell_len(x) for x in out.splitlines()) <= columns
    flat = " ".join(out.split())
    for i in r.inputs:
        assert f"detected by: {' '.join(i.detected_by.split())}" in flat
        for field, col in i.column_map.items():
            assert f"{field} <- {col}" in flat
    # a pair is never broken across lines (lines break between pairs only)
    assert all(not x.rstrip().endswith("<-") for x in out.splitlines())
    # the default screen keeps to the count of files
    assert "columns read" not in terminal.render(r, color=False, columns=columns)


def test_column_map_text_is_made_safe_for_each_format() -> None:
    r = demo_report().model_copy(deep=True)
    evil = "<b>x</b> *y* _z_ | \x1b[31mRED " + "W" * 300
    r.inputs[0].column_map = {"summary": evil, "category": "ok"}
    r.inputs[0].detected_by = "<i>reason</i> \x1b[2J"
    page = html.render(r)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<i>reason</i>" not in page and "\x1b" not in page
    text = markdown.render(r)
    assert "<b>" not in text and "&lt;b&gt;x&lt;/b&gt; \\*y\\* \\_z\\_ \\|" in text
    assert "\x1b" not in text
    out = terminal.render(r, color=False, columns=80, verbose=True)
    assert "\x1b" not in out and "\\x1b[31mRED" in out and "\\x1b[2J" in out
    assert max(cell_len(x) for x in out.splitlines()) <= 80


# ---- item 3: unquoted Yes/No/On/Off keys under values ------------------------------------

_YK = """\
tool: mytool
kind: incident
columns:
  ticket_id: Ticket No
  opened_at: Erstellt
  sla_met: SLA breached
  status: State
values:
  sla_met: {Yes: false, No: true}
  status: {On: open, Off: closed}
"""


def test_unquoted_boolean_keys_are_the_words_written() -> None:
    spec = parse_mapping(_YK, "yk.yaml")
    assert spec.values.status == {"On": "open", "Off": "closed"}
    # the values stay booleans
    assert spec.values.sla_met == {"Yes": False, "No": True}


def test_unquoted_boolean_keys_map_only_their_own_word(tmp_path: Path) -> None:
    (tmp_path / "yk.yaml").write_text(_YK, encoding="utf-8")
    rows = ["Ticket No,Erstellt,State,SLA breached"]
    cells = [("on", "Yes"), ("off", "No"), ("yes", "true"), ("true", "on"), ("ON", "YES")]
    rows += [f"T{n},2026-01-0{n + 1} 08:00,{s},{sla}" for n, (s, sla) in enumerate(cells)]
    (tmp_path / "yk.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = load_paths([tmp_path / "yk.csv"], ImportOptions(), mapping=tmp_path / "yk.yaml")
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc["T0", m.STATUS] == "open" and t.loc["T4", m.STATUS] == "open"
    assert t.loc["T1", m.STATUS] == "closed"
    # "yes" and "true" are no status the mapping names (they were read as 'On' before)
    assert pd.isna(t.loc["T2", m.STATUS]) and pd.isna(t.loc["T3", m.STATUS])
    assert not t.loc["T0", m.SLA_MET] and t.loc["T1", m.SLA_MET]
    # "true" and "on" are not the mapping's 'Yes' key (both were false before): "true" is
    # a yes-word the map does not list, read in the polarity the map gives its own yes/no
    # keys (Yes: false, a yes is not met: review 19a D3), and "on" is no SLA word
    assert not pd.isna(t.loc["T2", m.SLA_MET]) and not t.loc["T2", m.SLA_MET]
    assert pd.isna(t.loc["T3", m.SLA_MET])
    warned = " ".join(w for s in loaded.sources for w in s.warnings)
    # every key written matches a value; the status words no key maps are named as such
    assert "match no value" not in warned
    assert "left without status (map them under values.status): 'true' (1), 'yes' (1)" in (
        warned)


def test_the_unused_key_warning_names_only_keys_written(tmp_path: Path) -> None:
    (tmp_path / "yk.yaml").write_text(_YK, encoding="utf-8")
    (tmp_path / "yk.csv").write_text(
        "Ticket No,Erstellt,State,SLA breached\nT1,2026-01-02 08:00,on,Yes\n",
        encoding="utf-8")
    loaded = load_paths([tmp_path / "yk.csv"], ImportOptions(), mapping=tmp_path / "yk.yaml")
    warned = [w for s in loaded.sources for w in s.warnings if w.startswith("values.")]
    assert warned == [
        "values.status: 1 of its 2 key(s) match no value in this file: 'Off' (keys are "
        "compared ignoring case, '-' and '_'); check their spelling against the file's "
        "values",
        "values.sla_met: 1 of its 2 key(s) match no value in this file: 'No' (keys are "
        "compared ignoring case, '-' and '_'); check their spelling against the file's "
        "values",
    ]


def test_boolean_keys_through_a_merge_key() -> None:
    spec = parse_mapping(
        "tool: t\ncolumns: {ticket_id: a, opened_at: b}\n"
        "values:\n  status:\n    <<: {Off: closed}\n    On: open\n"
        "  sla_met: {yes: true, 'no': false}\n", "m.yaml")
    assert spec.values.status == {"Off": "closed", "On": "open"}
    assert spec.values.sla_met == {"yes": True, "no": False}


# ---- item 4: what decided a date column's order -----------------------------------------


def _ambiguous(tmp_path: Path, second: bool = False) -> Path:
    head = "id,opened" + (",resolved" if second else "")
    rows = [head] + [f"X{n},0{n % 9 + 1}/0{n % 9 + 1}/2026 09:00"
                     + (f",{n % 9 + 13}/01/2026 10:00" if second else "") for n in range(30)]
    path = tmp_path / "ambig.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _mapping(tmp_path: Path, extra: str = "", second: bool = False) -> Path:
    path = tmp_path / "g.yaml"
    path.write_text("tool: g\nkind: incident\ncolumns:\n  ticket_id: id\n  opened_at: opened\n"
                    + ("  resolved_at: resolved\n" if second else "") + extra,
                    encoding="utf-8")
    return path


def _date_line(args: list[str]) -> str:
    result = runner.invoke(app, ["inspect", *args])
    assert result.exit_code == 0, result.output
    return next(x for x in result.output.splitlines() if "date column opened" in x)


def test_inspect_credits_the_order_to_date_format(tmp_path: Path) -> None:
    data, mapping = _ambiguous(tmp_path), _mapping(tmp_path)
    line = _date_line([str(data), "--mapping", str(mapping), "--date-format", "dayfirst"])
    assert line.endswith("%d/%m/%Y %H:%M (order given by --date-format dayfirst)")
    assert "other" not in line


def test_inspect_credits_the_order_to_the_mappings_date_format(tmp_path: Path) -> None:
    data = _ambiguous(tmp_path)
    mapping = _mapping(tmp_path, "date_format: monthfirst\n")
    line = _date_line([str(data), "--mapping", str(mapping)])
    assert line.endswith("%m/%d/%Y %H:%M (order given by date_format: monthfirst in g.yaml)")
    # --date-format overrides the mapping's, and says so
    line = _date_line([str(data), "--mapping", str(mapping), "--date-format", "dayfirst"])
    assert line.endswith("(order given by --date-format dayfirst)")


def test_inspect_credits_the_order_to_the_other_date_columns(tmp_path: Path) -> None:
    data, mapping = _ambiguous(tmp_path, second=True), _mapping(tmp_path, second=True)
    line = _date_line([str(data), "--mapping", str(mapping)])
    assert line.endswith("%d/%m/%Y %H:%M (order decided by other date columns)")


def test_format_used_words_each_case() -> None:
    f = dates.ColumnFormat("c", "%d/%m/%Y", "day", ambiguous=True, order_given=True)
    assert dates.format_used(f) == "%d/%m/%Y (order given by --date-format dayfirst)"
    assert dates.order_given_by({"c": dates.format_used(f)}, Path("x/m.yaml")) == {
        "c": "%d/%m/%Y (order given by date_format: dayfirst in m.yaml)"}
    f = dates.ColumnFormat("c", "%m/%d/%Y", "month", ambiguous=True)
    assert dates.format_used(f) == "%m/%d/%Y (order decided by other date columns)"
    assert dates.format_used(dates.ColumnFormat("c", "%Y-%m-%d", None)) == "%Y-%m-%d"
