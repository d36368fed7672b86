"""Review 20c (``--redact``): what a shared report still gave away.

D2. Common phone shapes are swept: a number right after a word's dot or a letter
    ("Tel.+491715550123", "Mob.0171 5550123"), no-break-space separators
    ("+33 1 23 45 67 89"), en-dash separators ("+49–89–2180–2000"); ordinary numbers
    (ticket ids, dates, counts, versions, a year range) are not.
D3. A redacted report's warnings and data notes quote no cell ("first at row 9:
    'when Kasimir Wolkenstein is back from sick leave'" became ``[value]``), as a
    redacted error does.
D4. A workbook's sheet is ``input N sheet K``, never its name; a file not read is not
    quoted (its first line, its headers), in the report nor on stderr.
D7. An address with a quoted local part ('"lady jane"@acme.example') or a host without a
    dot ("helpdesk@acme") is swept.

Every planted value is looked for in the JSON (keys included), Markdown, HTML, the
Monday CSV and stderr; the verdicts and numbers are those of the plain report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app
from itsm_diag.redact import _Marks, hide_quoted, scrub_text

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "demo" / "incident_1.csv"
FORMATS = ("json", "md", "html", "csv")

#: group names holding a phone number or an address, as the review planted them
PLANTED_GROUPS = {
    "Service Desk Tel.+491715550123": "491715550123",
    "Network Ops +33\u00a01\u00a023\u00a045\u00a067\u00a089": "23\u00a045\u00a067",
    "AppSupport +49\u201389\u20132180\u20132000": "2180\u20132000",
    "Field Mob.0171 5550123": "0171 5550123",
    'Platform "lady jane"@acme.example': "lady jane",
    "Intranet helpdesk@acme": "helpdesk@acme",
}
#: a custom status holding a number
PLANTED_STATUS = "Callback Tel.+4917155501234"
#: group names holding ordinary numbers: no phone number, kept as written
ORDINARY_GROUPS = ("Release 4.2.1 INC0012345", "Project 2019\u20132024", "Zendesk 361958999737",
                   "Cutover 2024\u201303\u201315", "Team 4711 of 1,200")
#: what the user typed into a date cell, and the file that is not an export
TYPED = "when Kasimir Wolkenstein is back from sick leave"
CONTACTS = ("Kasimir Wolkenstein,kasimir@acme.example,+49 40 4285 1234,salary 85000\n"
            "Wilhelmina Q,w@acme.example,+49 40 1111 2222,salary 91000\n")
#: none of these may reach a redacted output
SECRETS = ("Kasimir", "Wolkenstein", "kasimir@", "4285 1234", "salary 85000", "4917155501234",
           *PLANTED_GROUPS.values())


def _export() -> pd.DataFrame:
    df = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[:900].copy()
    groups = [*PLANTED_GROUPS, *ORDINARY_GROUPS]
    for i, group in enumerate(groups):
        df.loc[df.index[i::len(groups) + 3], "assignment_group"] = group
    # an open custom status on 30 tickets
    open_rows = df.index[df["resolved_at"].eq("")][:30]
    df.loc[open_rows, "state"] = PLANTED_STATUS
    df.loc[df.index[8], "due_date"] = TYPED
    return df


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The folder (a ServiceNow export plus a stray contacts.csv) diagnosed plain and
    redacted in every format, with each run's stderr."""
    base = tmp_path_factory.mktemp("rv20c")
    folder = base / "acme-dump"
    folder.mkdir()
    _export().to_csv(folder / "incident.csv", index=False)
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    out: dict[str, Any] = {"plain": json.loads(_run(folder, base / "plain.json")[1])}
    for fmt in FORMATS:
        stderr, text = _run(folder, base / f"red.{fmt}", "--redact")
        out[fmt], out[f"{fmt}-stderr"] = text, stderr
    return out


def _run(path: Path, output: Path, *extra: str) -> tuple[str, str]:
    result = runner.invoke(app, ["diagnose", str(path), "-o", str(output), *extra])
    assert result.exit_code == 0, result.output
    return result.stderr, output.read_text(encoding="utf-8")


def _texts(runs: dict[str, Any]) -> dict[str, str]:
    texts = {k: v for k, v in runs.items() if k != "plain"}
    # the JSON as written and as read (escapes undone: "\u00a0", "\u2013")
    texts["json-read"] = json.dumps(json.loads(runs["json"]), ensure_ascii=False)
    return texts


def test_planted_values_reach_no_redacted_output(runs: dict[str, Any]) -> None:
    plain = json.dumps(runs["plain"], ensure_ascii=False)
    for secret in (*SECRETS[:2], "4917155501234", *PLANTED_GROUPS.values()):
        assert secret in plain, secret  # the plain report does show them
    for where, text in _texts(runs).items():
        found = [s for s in SECRETS if s.casefold() in text.casefold()]
        assert found == [], (where, found)


def test_phone_and_address_groups_become_markers_each_its_own(runs: dict[str, Any]) -> None:
    text = _texts(runs)["json-read"]
    for group in PLANTED_GROUPS:
        prefix = group.split(" ")[0]
        assert re.search(re.escape(prefix) + r" [^\"|]*?\[(?:phone|email) \d+\]", text), group
    # the six groups and the status stay seven markers (no two values merge)
    marks = set(re.findall(r"\[(?:phone|email) \d+\]", text))
    assert len(marks) == len(PLANTED_GROUPS) + 1, marks
    assert re.search(r"Callback Tel\.\[phone \d+\]", text)


def test_ordinary_numbers_survive(runs: dict[str, Any]) -> None:
    plain = json.dumps(runs["plain"], ensure_ascii=False)
    red = _texts(runs)["json-read"]
    for group in ORDINARY_GROUPS:
        assert plain.count(group) > 0, group
        assert red.count(group) == plain.count(group), group


def test_verdicts_and_numbers_equal_plain(runs: dict[str, Any]) -> None:
    plain, red = runs["plain"], json.loads(runs["json"])
    assert (red["score"], red["band"]) == (plain["score"], plain["band"])
    def measured(doc: dict[str, Any]) -> list[Any]:
        return [(s["id"], s["status"], {k: v["value"] for k, v in s["metrics"].items()})
                for s in doc["signs"]]

    assert measured(red) == measured(plain)
    assert [(c["id"], c["status"]) for c in red["checks"]] == [
        (c["id"], c["status"]) for c in plain["checks"]]
    kpis = ("time_to_resolve_hours", "first_assignment_resolution", "sla_adherence",
            "counts", "backlog_weekly", "backlog", "reliable")
    assert {k: red["kpis"][k] for k in kpis} == {k: plain["kpis"][k] for k in kpis}
    # keyed on classification values (swept): the same counts
    assert sorted(red["kpis"]["volume_by_category"].values()) == sorted(
        plain["kpis"]["volume_by_category"].values())
    assert len(red["data_notes"]) == len(plain["data_notes"])


def test_warnings_and_notes_quote_no_cell(runs: dict[str, Any]) -> None:
    plain, red = runs["plain"], json.loads(runs["json"])
    said = [w for i in plain["inputs"] for w in i["warnings"] if TYPED in w]
    assert len(said) == 1 and "column 'due_date'" in said[0]
    hidden = [w for i in red["inputs"] for w in i["warnings"] if "column 'due_date'" in w
              and "unreadable date" in w]
    assert len(hidden) == 1 and hidden[0].endswith(": [value])"), hidden
    # the column's name, the row and the count stay
    assert hidden[0] == said[0].replace(repr(TYPED), "[value]")
    # the file not read: its headers counted as [value]s, named by its number
    skipped = [n for n in red["data_notes"] if "was not read" in n]
    assert skipped == ["input 1 was not read: cannot tell which tool exported this file "
                       "(scores: " + skipped[0].split("(scores: ")[1].split(";")[0]
                       + "; headers: [value], [value], [value], [value]...); "
                       + skipped[0].split("...); ")[1]], skipped


def test_stderr_warning_is_swept(runs: dict[str, Any]) -> None:
    for fmt in FORMATS:
        warning = [line for line in runs[f"{fmt}-stderr"].splitlines()
                   if "was not read" in line]
        assert len(warning) == 1, runs[f"{fmt}-stderr"]
        assert "headers: [value], [value], [value], [value]..." in warning[0]
        assert "input 1 was not read" in warning[0]


def test_workbook_sheets_are_numbered_not_named(tmp_path: Path) -> None:
    folder = tmp_path / "acme-wb"
    folder.mkdir()
    df = _export().iloc[:400]
    with pd.ExcelWriter(folder / "incident.xlsx") as w:
        df.to_excel(w, sheet_name="Kasimir Wolkenstein list", index=False)
        pd.DataFrame([["Kasimir Wolkenstein", "kasimir@acme.example", "salary 85000"],
                      ["Wilhelmina Q", "w@acme.example", "salary 91000"]]
                     ).to_excel(w, sheet_name="Wolkenstein salary", index=False,
                                header=False)
    texts = {}
    for fmt in ("json", "md", "html"):
        result = runner.invoke(app, ["diagnose", str(folder), "--redact", "-o",
                                     str(tmp_path / f"r.{fmt}")])
        assert result.exit_code == 0, result.output
        texts[fmt] = (tmp_path / f"r.{fmt}").read_text(encoding="utf-8")
        texts[f"{fmt}-stderr"] = result.stderr
    for where, text in texts.items():
        assert not [s for s in SECRETS if s in text], where
    doc = json.loads(texts["json"])
    assert [i["path"] for i in doc["inputs"]] == ["input 1 sheet 1"]
    assert "input 1 sheet 2 was not read: no tool's export has its columns, so it holds " \
           "no ticket table (its first line: [value], [value], [value])" in doc["data_notes"]
    assert "input 1 sheet 2 was not read" in texts["json-stderr"]


@pytest.mark.parametrize("text", [
    "Service Desk Tel.+491715550123", "Tel.+49 171 5550123", "Mob.0171 5550123",
    "Net +33\u00a01\u00a023\u00a045\u00a067\u00a089",
    "Net +33\u202f1\u202f23\u202f45\u202f67\u202f89",
    "AppSupport +49\u201389\u20132180\u20132000", "x+4917155501234", "Callback Tel.+4917155501234",
    "call +49 (0) 171 5550123",
])
def test_phone_shapes_are_swept(text: str) -> None:
    for scrubbed in (scrub_text(text), _Marks().scrub(text, ids=True)):
        assert not any(ch.isdigit() for ch in scrubbed.replace("\ue000", "").split(
            "\ue001")[-1] + scrubbed.split("\ue000")[0]), scrubbed


@pytest.mark.parametrize("text", [
    'Platform "lady jane"@acme.example', 'perms "ladyjane"@acme.example', "helpdesk@acme",
    "mail helpdesk@acme.",
])
def test_address_shapes_are_swept(text: str) -> None:
    scrubbed = scrub_text(text)
    assert "@" not in scrubbed and "jane" not in scrubbed and "helpdesk" not in scrubbed


@pytest.mark.parametrize("text", [
    "INC0012345", "RITM0010001", "SCTASK0123456789", "v2.3.4.5678", "2024\u201303\u201315",
    "15.03.2024", "15\u201303\u20132024", "2024-01-01\u20132024-03-31", "1,234 tickets",
    "ticket 12345678", "build.20240315", "ver.0.9.1", "KB5034441", "#4711", "P1.0123456",
    "rev.0042", "0.00052 (0.05 divided by 96)", "2026-09-30T23:59:59.999999+00:00",
    "Project 2019\u20132024", "Project 2019 - 2024", "C++2017", "x+12",
])
def test_ordinary_numbers_are_not_swept(text: str) -> None:
    assert scrub_text(text) == text
    assert _Marks().scrub(text, ids=True) == text


def test_hide_quoted_keeps_labels_columns_and_formats() -> None:
    text = ("input 2 sheet 1: column 'due_date': 1 unreadable date(s) left empty (first at "
            "row 9: 'when X is back'); read as '%d.%m.%Y'; 'input 3', 'skipped entry 2 of "
            "the input folder', 'the input folder'")
    assert hide_quoted(text) == text.replace("'when X is back'", "[value]")


@pytest.mark.parametrize("name", ["export", "glpi", "data"])
def test_a_folder_named_by_a_word_leaves_the_reports_words(tmp_path: Path, name: str) -> None:
    """A folder whose name is a word of the report's own text (``export``, ``data``, a
    shipped mapping's ``glpi``) is not replaced where that word stands: the redacted
    report of ``export/`` read "When the the input folder starts too late", and a
    redacted error listed "shipped mappings: the input folder, remedy, topdesk". Its
    redacted report is the one of a folder named ``acme-dump``, word for word."""
    texts = []
    for folder_name in (name, "acme-dump"):
        folder = tmp_path / folder_name
        folder.mkdir()
        _export().to_csv(folder / "incident.csv", index=False)
        texts.append(_run(folder, tmp_path / f"{folder_name}.md", "--redact")[1])
    assert "the the input folder" not in texts[0]
    # the as-of line and the run's own times aside, the two reports are the same words
    same = [re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?\S*", "", t) for t in texts]
    assert same[0] == same[1]


def test_a_skipped_entry_is_hidden_by_its_bare_name_unless_a_report_word(
        tmp_path: Path) -> None:
    """A folder's entry that was not read is hidden by its bare name too, as a folder
    is (rd20a: one test for both): a client's ``AcmeCorp`` was kept for being all
    letters, while ``data`` and ``export`` are words of the report's own text."""
    from itsm_diag.redact import input_labels

    folder = tmp_path / "in"
    folder.mkdir()
    _export().to_csv(folder / "incident.csv", index=False)
    for name in ("AcmeCorp", "data", "export"):
        (folder / name).mkdir()
    labels = input_labels([folder])
    assert labels["AcmeCorp"].startswith("skipped entry")
    assert "data" not in labels and "export" not in labels
    assert labels[str(folder / "data")].startswith("skipped entry")
