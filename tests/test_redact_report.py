"""``--redact`` sweeps only text, never the report's own values: its times stay ISO 8601
times (a redacted report is a ``--baseline``, a ``compare`` input, and ``--period`` runs
with it), a numeric id (a Zendesk group, a ticket number) is not taken for a phone
number, and the phone numbers, e-mail addresses and names of the ticket text are still
scrubbed (README, For consultants)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.redact import Pseudonyms, redact_report, redact_tables
from itsm_diag.report import Report

DEMO = api.demo_dir()
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ZENDESK = SAMPLES / "zendesk" / "full_export"  # groups are 12-digit ids
SMALL = Path(__file__).parent / "fixtures" / "servicenow" / "incident_fields_dayfirst.csv"
#: report fields that hold a time (ISO 8601) wherever they appear
TIME_KEYS = frozenset({"as_of", "start", "end", "week_end", "window_start", "window_end",
                       "due"})
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def times(doc: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, value) of a time field in a JSON report."""
    found = []
    if isinstance(doc, dict) and not path.endswith(".columns"):  # columns: their labels
        for k, v in doc.items():
            if k in TIME_KEYS and isinstance(v, str):
                found.append((f"{path}.{k}", v))
            found += times(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += times(v, f"{path}[{i}]")
    return found


def strings(doc: Any) -> list[str]:
    """Every string of a JSON document, dict keys included."""
    if isinstance(doc, dict):
        return [*doc, *(s for v in doc.values() for s in strings(v))]
    if isinstance(doc, list):
        return [s for v in doc for s in strings(v)]
    return [doc] if isinstance(doc, str) else []


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo as JSON: redacted and plain."""
    out = tmp_path_factory.mktemp("redact")
    paths = {"redacted": out / "red.json", "plain": out / "plain.json"}
    for args in (("demo", "--redact", "-f", "json", "-o", paths["redacted"]),
                 ("demo", "-f", "json", "-o", paths["plain"])):
        code, _, err = run(*args)
        assert code == 0, (args, err)
    return paths


@pytest.fixture(scope="module")
def month_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """``diagnose demo --redact --period month -f json``: exit code, stderr, the file."""
    out = tmp_path_factory.mktemp("redact_month") / "month.json"
    code, _, err = run("diagnose", DEMO, "--redact", "--period", "month", "-f", "json",
                       "-o", out)
    return code, err, out


# ---- the report's own values ------------------------------------------------------------

def test_every_time_of_a_redacted_report_is_an_iso_time(demo_reports: dict[str, Path]) -> None:
    red = json.loads(demo_reports["redacted"].read_text())
    plain = json.loads(demo_reports["plain"].read_text())
    found = times(red)
    # as_of, the window, every finding's window, every week_end of the backlog series
    assert len(found) > 40
    for where, value in found:
        # raised on "2026-09-30T23:59:[phone]+00:00"
        assert datetime.fromisoformat(value).tzinfo is not None, where
    # the very same times as without --redact
    assert found == times(plain)
    assert red["as_of"] == plain["as_of"] and red["as_of"].endswith("23:59:59.999999+00:00")
    # the demo's text holds no phone number once summaries are gone: no marker anywhere
    assert not [s for s in strings(red) if re.search(r"\[phone( \d+)?\]", s)]


def test_redacted_reports_load_as_baselines_and_compare(
    demo_reports: dict[str, Path], tmp_path: Path,
) -> None:
    red = demo_reports["redacted"]
    assert api.load_report(red).redacted
    # two redacted reports
    other = tmp_path / "other.json"
    code, _, err = run("diagnose", DEMO / "incident_1.csv", "--redact", "-f", "json", "-o",
                       other)
    assert code == 0, err
    code, out, err = run("compare", other, red)
    assert code == 0, err
    assert "not a valid itsm-diag report" not in err
    # a redacted baseline against a plain report, either way round
    for old, new in ((red, demo_reports["plain"]), (demo_reports["plain"], red)):
        code, _, err = run("compare", old, new)
        assert code == 0, err
    # and as --baseline of a redacted run
    copy = tmp_path / "baseline.json"
    shutil.copy(red, copy)
    code, out, err = run("diagnose", DEMO / "incident_1.csv", "--redact", "--baseline", copy,
                         "-f", "json")
    assert code == 0, err
    assert json.loads(out)["comparison"]["baseline"]["as_of"] == api.load_report(red).as_of


def test_redact_with_period_month_runs(month_report: tuple[int, str, Path]) -> None:
    code, err, path = month_report
    assert code == 0, err
    doc = json.loads(path.read_text())
    assert doc["redacted"] is True
    periods = doc["periods"]
    assert len(periods) >= 3
    assert periods[-1]["end"] == doc["as_of"]
    for p in periods:
        assert datetime.fromisoformat(p["start"]) < datetime.fromisoformat(p["end"])


def test_redact_with_period_quarter_in_a_terminal_runs() -> None:
    code, out, err = run("diagnose", DEMO / "incident_1.csv", "--redact", "--period",
                         "quarter", "-q")
    assert code == 0, err
    assert out.strip().endswith("[redacted]") and "bug" not in err


def test_batch_redacted_json_keeps_its_times(tmp_path: Path) -> None:
    client = tmp_path / "clients" / "acme"
    client.mkdir(parents=True)
    shutil.copy(DEMO / "incident_1.csv", client)
    out = tmp_path / "out"
    code, _, err = run("batch", tmp_path / "clients", "--redact", "-f", "json", "-o", out,
                       "-j", "1")
    assert code == 0, err
    report = api.load_report(out / "acme.json")
    assert report.redacted
    for _, value in times(json.loads((out / "acme.json").read_text())):
        datetime.fromisoformat(value)


# ---- ids are not phone numbers ----------------------------------------------------------

@pytest.fixture(scope="module")
def zendesk() -> dict[str, dict[str, Any]]:
    docs = {}
    for name, extra in (("plain", ()), ("redacted", ("--redact",))):
        code, out, err = run("diagnose", ZENDESK, "-f", "json", *extra)
        assert code == 0, err
        docs[name] = json.loads(out)
    return docs


def test_a_zendesk_numeric_group_id_survives_redaction(
    zendesk: dict[str, dict[str, Any]],
) -> None:
    plain, red = (zendesk[k]["analyses"]["actions"]["tables"]["actions"]["rows"]
                  for k in ("plain", "redacted"))
    groups = [row["group"] for row in plain]
    assert len(groups) > 10 and all(g.isdigit() and len(g) >= 9 for g in groups)
    # "Assignment groups, categories, services and CIs stay; ticket ids stay"
    assert [row["group"] for row in red] == groups
    assert [row["ticket_id"] for row in red] == [row["ticket_id"] for row in plain]
    assert not [s for s in strings(zendesk["redacted"])
                if re.search(r"\[phone( \d+)?\]", s)]


def test_zendesk_redacted_diagnosis_is_the_same(zendesk: dict[str, dict[str, Any]]) -> None:
    """The diagnosis reads the same tickets: no two groups merged into one marker."""
    plain, red = zendesk["plain"], zendesk["redacted"]
    assert (red["score"], red["band"]) == (plain["score"], plain["band"])
    for a, b in zip(plain["signs"] + plain["checks"], red["signs"] + red["checks"],
                    strict=True):
        assert a["status"] == b["status"], a["id"]
        assert {k: v["value"] for k, v in a["metrics"].items()} == {
            k: v["value"] for k, v in b["metrics"].items()}, a["id"]
    assert red["analyses"]["drivers"] == plain["analyses"]["drivers"]


def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tickets whose summaries, labels and comments hold phone numbers and addresses,
    in numeric groups, with a status event and an assignment event."""
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["100000001", "100000002"],
        m.SUMMARY: ["Call me on 0612345678 or +49 30 1234567", "VPN down, mail a.b@x.example"],
        m.LABELS: ["callback 0612345678", "vpn"],
        m.ASSIGNMENT_GROUP: ["361958999737", "Network +44 20 7946 0958"],
        m.CATEGORY: ["360001234567", "support@corp.example"],
        m.REQUESTER: ["Jane Doe", "Raj Patel"],
        m.ASSIGNEE: ["Ana Silva", None],
    }))
    events = m.conform_events(pd.DataFrame({
        m.EV_TICKET_ID: ["100000001", "100000001", "100000002", "100000002"],
        m.EV_KIND: ["comment", "assignment", "status", "comment"],
        m.EV_AUTHOR_ROLE: ["requester", "agent", "agent", "agent"],
        m.EV_AUTHOR: ["Jane Doe", "Ana Silva", "Ana Silva", "Ana Silva"],
        m.EV_VALUE: ["Ring me: 0612345678 (sent 2026-03-02 10:00:00.123456)",
                     "361958999737", "Waiting 360001234567", "Call (555) 123-4567"],
    }))
    return tickets, events


def test_tables_keep_numeric_ids_and_scrub_ticket_text() -> None:
    tickets, events = tables()
    t, ev, _ = redact_tables(tickets, events)
    # free text: every phone number and address goes, a bare one included
    assert t[m.SUMMARY].tolist() == ["Call me on [phone] or [phone]",
                                     "VPN down, mail [email]"]
    assert t[m.LABELS].tolist() == ["callback [phone]", "vpn"]
    assert ev[m.EV_VALUE].tolist()[0] == "Ring me: [phone] (sent 2026-03-02 10:00:00.123456)"
    assert ev[m.EV_VALUE].tolist()[3] == "Call [phone]"
    # groups and categories stay as exported for the diagnosis (a CI named by two mailboxes
    # must stay two CIs: review 12): the report pass sweeps them, each distinct address
    # or number its own marker
    assert t[m.ASSIGNMENT_GROUP].tolist()[0] == "361958999737"
    assert t[m.CATEGORY].tolist()[0] == "360001234567"
    # an assignment or a status event holds a group or a label: its id stays too
    assert ev[m.EV_VALUE].tolist()[1:3] == ["361958999737", "Waiting 360001234567"]
    # ticket ids are never touched
    assert t[m.TICKET_ID].tolist() == ["100000001", "100000002"]


# ---- the report pass --------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_report() -> Report:
    return api.diagnose_paths([SMALL], api.RunOptions())


def test_report_pass_sweeps_text_and_leaves_values(small_report: Report) -> None:
    people = Pseudonyms(by_key={"jane doe": "Requester 1", "42": "Requester 2"})
    data = small_report.model_dump()
    data["data_notes"] = [
        "row 7: caller Jane Doe, 0612345678, +44 20 7946 0958, jane@corp.example, 42 tickets",
        "first: 2026-09-30T23:59:59.999999+00:00",
    ]
    data["signs"][0]["evidence"]["notes"].append(
        {"code": "x", "text": "Group 361958999737 holds 42; ask Jane Doe on (555) 123-4567"})
    data["signs"][0]["evidence"]["tables"]["t"] = [
        {"ticket_id": "2024-000123456", "group": "361958999737",
         "opened": "2026-07-01T09:30:00.250000+00:00", "sample_ids": ["123456789012"]}]
    red = redact_report(Report.model_validate(data), people)
    # free text: names, addresses and phone numbers go (a bare one in a data note too)
    assert red.data_notes[0] == ("row 7: caller Requester 1, [phone 2], [phone 1], "
                                 "[email 1], 42 tickets")
    # a time inside a note stays a time
    assert red.data_notes[1] == "first: 2026-09-30T23:59:59.999999+00:00"
    # the engine's text: the group id and the count stay, the person and the phone go
    assert red.signs[0].evidence.notes[-1].text == (
        "Group 361958999737 holds 42; ask Requester 1 on [phone 3]")
    # the report's own values: ids, times, numbers
    assert red.signs[0].evidence.tables["t"] == [
        {"ticket_id": "2024-000123456", "group": "361958999737",
         "opened": "2026-07-01T09:30:00.250000+00:00", "sample_ids": ["123456789012"]}]
    assert (red.as_of, red.window.end, red.window.start) == (
        small_report.as_of, small_report.window.end, small_report.window.start)
    assert red.redacted


def test_a_numeric_person_key_does_not_rewrite_numbers() -> None:
    """A requester field holding an id ("42") is pseudonymised where it stands as a
    person; it does not turn every 42 of the report's text into a requester."""
    people = Pseudonyms(by_key={"42": "Requester 1", "jane doe": "Requester 2"})
    assert people.sweep("42 tickets for Jane Doe") == "42 tickets for Requester 2"
    assert people.of("42") == "Requester 1"


def test_a_decimal_fraction_is_no_phone_number() -> None:
    # the drivers' note "p-value of at most 0.00052 (0.05 divided by the 96 values": nine
    # digits with a dot, a space and a bracket between them, read as a phone number
    from itsm_diag.redact import PHONE_MARK, PHONE_RE, _phone

    def swept(text: str) -> str:
        return PHONE_RE.sub(_phone, text)

    assert swept("at most 0.00052 (0.05 divided by 96") == "at most 0.00052 (0.05 divided by 96"
    assert swept("call +44 20 7946 0958 today") == f"call {PHONE_MARK} today"
    assert swept("or 555.123.4567") == f"or {PHONE_MARK}"
