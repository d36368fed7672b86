"""Review 15, item 4: an unknown sign or check says what would answer it in the words of
the tool the export came from (the field in people's words, its canonical name, that
tool's column and how to get it: a column to add, another export form, ``itsm-diag pull
TOOL``, or ``itsm-diag quiz`` where no export of the tool holds it), in every format, and
``inspect`` lists the same lines. The wording is the rules' (``answer.*`` in
rules/defaults.yaml); a tool read through a mapping gets the mapping key to set."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.config import load_rules
from itsm_diag.importers import freshservice, jira, servicenow, zendesk
from itsm_diag.render import html, markdown, terminal
from itsm_diag.render import json as json_render
from itsm_diag.report import Finding, Report
from itsm_diag.writers.freshservice import write_freshservice
from itsm_diag.writers.jira import write_jira
from itsm_diag.writers.mapped import write_glpi
from itsm_diag.writers.zendesk import write_zendesk_csv

_ROOT: list[Path] = []


@functools.cache
def _data() -> synth.Synthetic:
    return synth.generate(900, seed=5, weeks=26)


def _folder(name: str) -> Path:
    if not _ROOT:
        import tempfile

        _ROOT.append(Path(tempfile.mkdtemp(prefix="review15-advice-")))
    return _ROOT[0] / name


@functools.cache
def _export(tool: str) -> tuple[Path, api.RunOptions]:
    data = _data()
    out = _folder(tool)
    if tool == "jira":
        write_jira(data.tickets, data.events, out)
    elif tool == "zendesk":
        write_zendesk_csv(data.tickets, out)
    elif tool == "freshservice":
        write_freshservice(data.tickets, out)
    else:
        write_glpi(data.tickets, out)
        return out, api.RunOptions(mapping=Path("glpi"))
    return out, api.RunOptions()


@functools.cache
def _report(tool: str) -> Report:
    path, options = _export(tool)
    return api.diagnose_paths([path], options)


def _finding(report: Report, rule_id: str) -> Finding:
    found = [f for f in [*report.signs, *report.checks] if f.id == rule_id]
    assert found, f"{rule_id} is not in the report"
    assert found[0].status == "unknown", (rule_id, found[0].status, found[0].reason)
    return found[0]


def _answer(tool: str, rule_id: str) -> str:
    text = _finding(_report(tool), rule_id).what_would_answer
    assert text is not None
    return text


def test_zendesk_csv_recurrence_names_problem_id_and_the_json_forms() -> None:
    text = _answer("zendesk", "recurrence")
    assert text.startswith("Zendesk, the problem link on incidents (problem_ref): ")
    assert "'problem_id'" in text and "not the admin CSV" in text
    assert "itsm-diag pull zendesk" in text
    assert "Needs:" not in text


def test_freshservice_unknowns_say_no_export_holds_it_and_the_quiz_for_a_sign() -> None:
    recurrence = _answer("freshservice", "recurrence")
    assert recurrence.startswith("Freshservice, the problem link on incidents (problem_ref)")
    assert "not in Freshservice's ticket export" in recurrence
    assert "answer the sign with 'itsm-diag quiz'" in recurrence
    routing = _answer("freshservice", "routing")
    assert routing.startswith(
        "Freshservice, the reassignment count or an assignment history (reassignment_count)")
    # a check: the quiz asks only the seven signs
    assert "quiz" not in routing and "no export from this tool answers this check" in routing
    reopens = _answer("freshservice", "reopens")
    assert reopens.startswith("Freshservice, the reopen count or a status history "
                              "(reopen_count)")


def test_jira_csv_counts_come_from_pull_jira() -> None:
    for rule_id, field, column in (
            ("routing", "reassignment_count", "Custom field (Reassignment count)"),
            ("reopens", "reopen_count", "Custom field (Reopen count)")):
        text = _answer("jira", rule_id)
        assert f"Jira, the {field.split('_')[0]}" in text and f"({field})" in text
        assert "itsm-diag pull jira" in text and f"'{column}'" in text
        # the column pull writes is the one the Jira importer reads the count from
        assert column in [c for names in jira._COLUMNS.values() for c in names]


def test_a_mapped_export_gets_the_mapping_key() -> None:
    report = _report("glpi")
    unknown = {f.id: f for f in [*report.signs, *report.checks] if f.status == "unknown"}
    assert "recurrence" in unknown
    text = unknown["recurrence"].what_would_answer or ""
    assert text == ("glpi, the problem link on incidents (problem_ref): map the export's "
                    "column to 'problem_ref' under 'columns:' in the mapping file"), text


def test_one_line_per_missing_field_per_tool() -> None:
    """A report over two tools' exports says, for each missing field, what each tool
    would need; a field one of them fills is not missing."""
    from itsm_diag.advice import answer_lines

    rules = load_rules()
    rule = rules.get("routing")
    tickets = pd.DataFrame({m.RESOLVED_AT: [pd.Timestamp("2026-01-05", tz="UTC")],
                            m.STATUS: ["resolved"], m.REASSIGNMENT_COUNT: [None]})
    inputs = [("zendesk", {}), ("freshservice", {}), ("zendesk", {})]
    lines = answer_lines(rule, inputs, tickets, None, rules.defaults.wording)
    assert [line.split(",")[0] for line in lines] == ["Zendesk", "Freshservice"]
    assert "'Group stations' (admin CSV)" in lines[0]
    # an assignment history answers it
    events = pd.DataFrame({m.EV_KIND: pd.Categorical(["assignment"])})
    assert answer_lines(rule, inputs, tickets, events, rules.defaults.wording) == []
    # a column the header carries that no ticket fills: said so, not "add the column"
    lines = answer_lines(rule, [("servicenow", {m.REASSIGNMENT_COUNT: "reassignment_count"})],
                         tickets, None, rules.defaults.wording)
    assert lines == ["ServiceNow, the reassignment count or an assignment history "
                     "(reassignment_count): the export's 'reassignment_count' column is "
                     "there but no ticket fills it"]


def test_every_format_shows_the_line() -> None:
    report = _report("zendesk")
    line = _answer("zendesk", "recurrence")
    assert line.startswith("Zendesk, the problem link")
    assert line in json_render.render(report)
    assert line in html.render(report).replace("&#39;", "'").replace("&#x27;", "'")
    plain = " ".join(terminal.render(report, color=False).split())
    assert line in plain
    md = markdown.render(report).replace("\\", "")
    assert line in md


def test_inspect_lists_what_would_supply_each_missing_field() -> None:
    from itsm_diag.cli import _inspect_text

    path, options = _export("zendesk")
    info = api.inspect_paths([path], options)
    line = _answer("zendesk", "recurrence")
    assert info["unanswerable"]["recurrence"] == [line]
    text = _inspect_text(info)
    assert "fields a sign or check reads that no ticket fills" in text
    assert f"  recurrence: {line}\n" in text
    # Freshservice: a check's line too
    path, options = _export("freshservice")
    info = api.inspect_paths([path], options)
    assert info["unanswerable"]["routing"] == [_answer("freshservice", "routing")]


def test_the_columns_named_are_the_importers() -> None:
    """Each column a tool's line names as its own is one that tool's importer reads."""
    words = load_rules().defaults.wording

    def names(*tables: object) -> set[str]:
        out: set[str] = set()
        for table in tables:
            assert isinstance(table, dict)
            for value in table.values():
                if isinstance(value, dict):  # Freshservice: per language
                    out |= {n for v in value.values() for n in v}
                else:
                    out |= set(value)
        return out

    vocab = {
        "servicenow": names(servicenow._COMMON, servicenow._DATES_COMMON),
        "jira": names(jira._COLUMNS, jira._DATES),
        "zendesk": names(zendesk._COLUMNS, zendesk._DATES),
        "freshservice": names(freshservice.HEADERS),
    }
    named = {
        "servicenow": {"problem_id", "reassignment_count", "reopen_count", "made_sla",
                       "due_date", "resolved_at", "closed_at", "contact_type", "knowledge",
                       "caused_by", "category"},
        "jira": {"Custom field (Reassignment count)", "Custom field (Reopen count)",
                 "Due date", "Resolved", "Custom field (Category)"},
        "zendesk": {"problem_id", "Group stations", "Reopens", "Solved at", "Via",
                    "via.channel", "Due date"},
        "freshservice": {"Resolution Status", "Due by Time", "Resolved Time", "Closed Time",
                         "Source", "Category"},
    }
    for tool, columns in named.items():
        text = " ".join(v for k, v in words.items()
                        if k.startswith("answer.") and k.endswith(f".{tool}"))
        for column in columns:
            assert f"'{column}'" in text, (tool, column)
            assert column in vocab[tool], (tool, column)


def test_an_unknown_whose_fields_are_all_there_does_not_say_it_needs_them(
        real_log: Path, cut_kept: Path) -> None:
    # the real log's backlog read as cut (``cut_kept``) is unknown for its cut (selected
    # on closure), not for a field: it read "Needs: opened_at, resolved_at or closed_at,
    # status, kind"
    report = api.diagnose_paths([real_log], api.RunOptions(config_file=cut_kept))
    found = {f.id: f for f in [*report.signs, *report.checks]}
    backlog = found["backlog"].what_would_answer or ""
    assert found["backlog"].status == "unknown"
    assert backlog.startswith("It reads opened_at, resolved_at or closed_at, status, kind "
                              "incident or request, and some ticket fills each")
    assert not backlog.startswith("Needs:")
    # strategy's needs name records no field stands for: its list stays
    assert (found["strategy"].what_would_answer or "").startswith("Needs:")
