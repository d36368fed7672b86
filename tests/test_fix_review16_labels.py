"""Review 16 (angle C), D7 and D9: labels and cells that read as cut, garbled or code.

D9: the strategy chart cut its own label at 48 characters ("planned work labelled as
project work (other re…"); the volume by category ran names and counts together
("Category 42 3,415"); HTML tables broke words mid-word ("catalogu e item"); a column of
the terminal mixed "199,097.4" and "98,327".
D7: Markdown backticks and internal field or param names in client-facing rule text.
"""

from __future__ import annotations

import re
from pathlib import Path

from itsm_diag.render import common, html, markdown, terminal
from itsm_diag.render.charts import strategy_effort
from itsm_diag.report import ColumnOut
from renderkit import ROOT, demo_html, demo_report


def test_the_strategy_chart_says_its_own_labels_whole() -> None:
    strategy = next(f for f in demo_report().signs if f.id == "strategy")
    chart = strategy_effort(strategy)
    assert chart is not None
    assert ">planned work labelled as project work (other records)<" in chart.svg
    assert "(other re…" not in chart.svg


def test_a_category_and_its_count_are_told_apart() -> None:
    r = demo_report()
    r = r.model_copy(update={"kpis": r.kpis.model_copy(update={"volume_by_category": {
        "Windows 11": 3415, "Category 26": 3163, "Access": 111}})})
    said = "Windows 11: 3,415, Category 26: 3,163, Access: 111"
    assert said in html.render(r)
    assert said in markdown.render(r)
    assert said in " ".join(terminal.render(r, color=False, columns=200).split())
    assert "Windows 11 3,415" not in html.render(r)


def test_a_column_has_one_precision() -> None:
    raw = [199097.4, 157275.5, 98327.0]
    texts = [common.cell(v) for v in raw]
    assert texts == ["199,097.4", "157,275.5", "98,327"]  # cell, one value at a time
    assert common.column_cells(raw, texts) == ["199,097.4", "157,275.5", "98,327.0"]
    # shares, words and blanks as they were; whole columns stay whole
    assert common.column_cells([1.0, 2.0], ["1", "2"]) == ["1", "2"]
    assert common.column_cells([0.5, None, "x"], ["50%", "", "x"]) == ["50%", "", "x"]
    rows = [{"w": "8 Jul", "trend": 134.7}, {"w": "12 Aug", "trend": 167.0}]
    cols = {"w": ColumnOut(label="Week"), "trend": ColumnOut(label="Trend", unit="count")}
    assert [t["trend"] for t in common.table_texts(rows, cols)] == ["134.7", "167.0"]
    # the demo's weekly backlog table, in the page: the trend column at one decimal
    page = demo_html()
    assert '<td class="num">167</td><td class="num">167.0</td></tr>' in page


def test_html_tables_break_words_only_when_they_must() -> None:
    style = demo_html().split("<style>", 1)[1].split("</style>", 1)[0]
    assert re.search(r"td\.wrap \{ overflow-wrap: break-word; \}", style)
    assert "td.wrap { overflow-wrap: anywhere; }" not in style
    assert "td.wrap.path { overflow-wrap: anywhere; }" in style  # a path or column name


#: rule-file keys whose text a report never shows (the code and the consultant read them)
_NOT_SHOWN = {"data_needed", "params", "id", "kind", "unknown_on_shape"}


def _client_texts(node: object, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [t for k, v in node.items() if str(k) not in _NOT_SHOWN
                for t in _client_texts(v, str(k))]
    if isinstance(node, list):
        return [t for v in node for t in _client_texts(v, key)]
    return [node] if isinstance(node, str) else []


def test_no_markdown_backticks_in_client_text() -> None:
    import yaml

    found = []
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        for text in _client_texts(yaml.safe_load(Path(path).read_text(encoding="utf-8"))):
            if "`" in text:
                found.append((path.name, text[:80]))
    assert not found, found


def test_client_sentences_name_no_internal_field() -> None:
    from itsm_diag.config import load_rules

    rules = load_rules()
    onboarding = rules.signs["onboarding"].messages["no_onboarding_requests"]
    assert "Searched: the catalogue item, subcategory, category, summary" in onboarding
    assert "{fields}" not in onboarding and "`" not in onboarding
    reopens = rules.checks["reopens"].messages["no_field"]
    assert reopens == ("The export has neither a reopen count nor status events for the "
                       "tickets done in the window.")
    actions = rules.analyses["actions"]
    assert "unseen_tail_share" not in actions.metrics["first_week_open"].definition
    assert "set target_hours to" not in actions.messages["due_from_targets"]
