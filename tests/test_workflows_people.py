"""Workflows with people in them: the quiz (self-assessment), --redact for safe sharing,
and batch runs over many clients; all through typer's CliRunner, exit codes included."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.config import SIGN_IDS
from itsm_diag.engine import Diagnosis, diagnose
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import Loaded, load_paths
from itsm_diag.redact import pseudonymise, scrub_series
from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Report

FIX = Path(__file__).parent / "fixtures" / "servicenow"
SMALL = FIX / "incident_fields_dayfirst.csv"  # 5 incidents: every sign unknown
# the demo's first incident file: four signs measured, onboarding and strategy unknown
INCIDENTS = api.demo_dir() / "incident_1.csv"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
runner = CliRunner()


def run(*args: str | Path, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], input=input)
    return result.exit_code, result.stdout, result.stderr


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def json_report(*args: str | Path) -> dict:
    code, out, err = run("diagnose", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def incidents_doc() -> dict:
    """The JSON report of INCIDENTS (diagnosed once for the module: reading takes a while)."""
    return json_report(INCIDENTS)


def quiz_score(out: str) -> int:
    found = re.search(r"Score (\d)/7", out)
    assert found, out
    return int(found.group(1))


# ---- quiz ------------------------------------------------------------------------------

def test_blank_quiz_scores_answers_and_saves_them(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    # backlog yes, recurrence no, reporting ?, trust y, changes n, onboarding Enter, strategy yes
    code, out, err = run("quiz", "--save-answers", saved,
                         input="yes\nno\n?\ny\nn\n\nyes\n")
    assert code == 0, err
    # two "don't know" answers could lift 3 to 5: the band is left open, and said so
    assert "Score 3/7 UNDETERMINED" in out
    assert "3 of 5 answerable signs triggered; 2 cannot be answered" in out
    assert "between gaps and slowing" in out
    assert "5 signs self-assessed." in out
    assert out.count("Does this apply?") == 7
    assert "Does firefighting take" in out  # the rule file's question is asked
    assert yaml.safe_load(saved.read_text()) == {
        "backlog": True, "recurrence": False, "trust": True, "changes": False, "strategy": True}


def test_quiz_asks_again_after_a_bad_answer() -> None:
    code, out, err = run("quiz", input="maybe\nyes\n" + "no\n" * 6)
    assert code == 0, err
    assert "Please answer yes, no or ?" in out
    assert "Score 1/7 HEALTHY" in out


def test_quiz_prefilled_from_export_round_trips_into_diagnose(
    tmp_path: Path, incidents_doc: dict,
) -> None:
    doc = incidents_doc
    statuses = {s["id"]: s["status"] for s in doc["signs"]}
    unknown = [sid for sid in SIGN_IDS if statuses[sid] == "unknown"]
    assert {"onboarding", "strategy"} <= set(unknown)
    # Enter accepts what the export shows; every unknown sign is answered yes
    answers = "".join("yes\n" if statuses[sid] == "unknown" else "\n" for sid in SIGN_IDS)
    saved = tmp_path / "answers.yaml"
    code, out, err = run("quiz", INCIDENTS, "--save-answers", saved, input=answers)
    assert code == 0, err
    assert out.count("The export shows:") == 7 - len(unknown)
    measured = next(s for s in doc["signs"] if s["status"] != "unknown")
    assert measured["evidence"]["summary"][:40] in " ".join(out.split())
    assert out.count("from the export") == 7 - len(unknown)
    assert yaml.safe_load(saved.read_text()) == dict.fromkeys(unknown, True)
    # the saved file is what diagnose --answers reads, and gives the quiz's score
    filled = json_report(INCIDENTS, "--answers", saved)
    assert filled["score"] == quiz_score(out) == doc["score"] + len(unknown)
    assert filled["self_assessed"] == len(unknown) and filled["unknown"] == 0


def test_quiz_override_is_self_assessed_and_replays_with_answers(
    tmp_path: Path, incidents_doc: dict,
) -> None:
    doc = incidents_doc
    statuses = {s["id"]: s["status"] for s in doc["signs"]}
    first = next(sid for sid in SIGN_IDS if statuses[sid] != "unknown")
    answers = "".join(("n\n" if sid == first else "\n") if statuses[sid] != "unknown"
                      else "?\n" for sid in SIGN_IDS)
    saved = tmp_path / "answers.yaml"
    code, out, err = run("quiz", INCIDENTS, "--save-answers", saved, input=answers)
    assert code == 0, err
    assert f"self-assessed (the export showed {statuses[first]})" in out
    flipped = statuses[first] != "triggered"
    assert yaml.safe_load(saved.read_text()) == {first: flipped}
    expected = doc["score"] + (1 if flipped else -1)
    assert quiz_score(out) == expected
    # the same answers, non-interactively: no prompt, the same result
    code, again, err = run("quiz", INCIDENTS, "--answers", saved, "--no-input")
    assert code == 0, err
    assert "Accept" not in again and quiz_score(again) == expected


def test_quiz_with_every_answer_in_a_file_needs_no_input(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f"{sid}: {str(i < 4).lower()}\n"
                               for i, sid in enumerate(SIGN_IDS)))
    code, out, err = run("quiz", "--answers", answers, input="")
    assert code == 0, err
    assert "Does this apply?" not in out
    assert "Score 4/7 SLOWING" in out


def test_quiz_refuses_when_input_ends() -> None:
    code, _, err = run("quiz", input="yes\nno\n")
    assert code == 2
    line = one_line_error(err)
    assert "standard input ended at question 3 of 7" in line and "--answers" in line


def test_quiz_no_input_without_answers_is_exit_2() -> None:
    code, _, err = run("quiz", "--no-input")
    assert code == 2 and "--answers" in one_line_error(err)


def test_quiz_bad_answers_file_is_exit_2(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("backlog: maybe\n")
    code, _, err = run("quiz", "--answers", answers, "--no-input")
    assert code == 2 and "backlog" in one_line_error(err)


# ---- redaction -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_loaded() -> Loaded:
    return load_paths([api.demo_dir()], ImportOptions())


def people_of(loaded: Loaded) -> tuple[set[str], set[str]]:
    """Every distinct requester, assignee and comment author, and every e-mail address,
    in the canonical tables ``load_paths`` gave."""
    t, ev = loaded.tickets, loaded.events
    names = set()
    for col in (t[m.REQUESTER], t[m.ASSIGNEE], ev[m.EV_AUTHOR]):
        names |= {str(v).strip() for v in col.dropna().unique() if str(v).strip()}
    text = " ".join(str(v) for col in t.columns for v in t[col].dropna().unique()
                    if t[col].dtype == m.STRING_DTYPE)
    text += " " + " ".join(str(v) for v in ev[m.EV_VALUE].dropna().unique())
    emails = set(EMAIL.findall(text)) | {n for n in names if "@" in n}
    return names, emails


def leaks(output: str, names: set[str], emails: set[str]) -> list[str]:
    low = output.lower()
    # the HTML escapes apostrophes; look for the escaped spellings too
    variants = {v for n in names | emails for v in (n, n.replace("'", "&#39;"))}
    return sorted(v for v in variants if v.lower() in low)


@pytest.fixture(scope="module")
def redacted_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo with --redact in every format: the JSON through the CLI, and the other
    formats rendered from that same report, as the CLI renders them (reading the demo
    is the slow part: once is enough)."""
    out = tmp_path_factory.mktemp("redacted") / "demo.json"
    code, _, err = run("demo", "--redact", "--format", "json", "--output", out)
    assert code == 0, err
    return render_all(out.read_text())


def render_all(json_text: str) -> dict[str, str]:
    report = Report.model_validate_json(json_text)
    return {"json": json_text, "terminal": terminal.render(report, color=False),
            "quiet": terminal.render(report, color=False, quiet=True),
            "markdown": markdown.render(report), "html": html.render(report)}


def test_redacted_demo_has_no_name_or_email_in_any_format(
    redacted_demo: dict[str, str], demo_loaded: Loaded,
) -> None:
    names, emails = people_of(demo_loaded)
    assert len(names) > 100  # the demo is full of people: the scan means something
    for fmt, text in redacted_demo.items():
        assert not leaks(text, names, emails), fmt


def test_redacted_demo_says_so_in_every_format(redacted_demo: dict[str, str]) -> None:
    assert json.loads(redacted_demo["json"])["redacted"] is True
    for fmt in ("terminal", "markdown", "html"):
        assert "Redacted for sharing" in " ".join(redacted_demo[fmt].split()), fmt
    quiet = redacted_demo["quiet"].strip()
    assert quiet.endswith("[redacted]") and len(quiet.splitlines()) == 1


def test_redaction_keeps_the_diagnosis(
    redacted_demo: dict[str, str], demo_loaded: Loaded,
) -> None:
    plain = diagnose(Diagnosis(tickets=demo_loaded.tickets, events=demo_loaded.events,
                               inputs=[]), api.load_rules(None))
    red = json.loads(redacted_demo["json"])
    assert red["score"] == plain.score and red["band"] == plain.band
    for a, b in zip(plain.signs + plain.checks, red["signs"] + red["checks"], strict=True):
        assert a.status == b["status"], a.id
        assert {k: v.value for k, v in a.metrics.items()} == {
            k: v["value"] for k, v in b["metrics"].items()}, a.id


PEOPLE = ["Jane O'Neil", "Raj Patel", "li.wei@example.com", "Marta Kowalska"]
AGENTS = ["Sam Agent-Smith", "Ana Silva"]


def write_personal_export(path: Path) -> None:
    """Incidents whose people, summaries and comments are full of names, e-mail addresses
    and phone numbers; no CI, service or category, so recurrence clusters on summaries."""
    header = ["number", "short_description", "state", "priority", "category",
              "assignment_group", "assigned_to", "caller_id", "contact_type", "opened_at",
              "resolved_at", "closed_at", "sys_updated_on", "comments"]
    rows = []
    start = pd.Timestamp("2026-03-02 09:00")
    for i in range(48):
        who = PEOPLE[i % len(PEOPLE)]
        agent = AGENTS[i % len(AGENTS)]
        opened = start + pd.Timedelta(hours=31 * i)
        done = opened + pd.Timedelta(hours=5)
        summary = (f"Outlook crash for {who} call +49 30 1234567 or {who.split()[0].lower()}"
                   f"@corp.example" if i % 6 else "not working")
        comment = (f"{opened + pd.Timedelta(hours=1):%Y-%m-%d %H:%M:%S} - {who} "
                   f"(Additional comments)\nAny update? Reach me at (555) 123-4567 or "
                   f"{who.split()[0].lower()}.x@mail.example\n"
                   f"{opened + pd.Timedelta(hours=2):%Y-%m-%d %H:%M:%S} - {agent} "
                   f"(Additional comments)\nOn it, {who}. {agent} / +44 20 7946 0958\n")
        rows.append([f"INC00{20000 + i}", summary, "Resolved", "3 - Moderate", "",
                     "Service Desk", agent, who, "Email", f"{opened:%Y-%m-%d %H:%M:%S}",
                     f"{done:%Y-%m-%d %H:%M:%S}", "", f"{done:%Y-%m-%d %H:%M:%S}", comment])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_redaction_removes_people_that_would_otherwise_show(tmp_path: Path) -> None:
    export = tmp_path / "incident.csv"
    write_personal_export(export)
    names, emails = people_of(load_paths([export], ImportOptions()))
    assert set(PEOPLE) | set(AGENTS) <= names and emails
    code, plain, err = run("diagnose", export, "--format", "json")
    assert code == 0, err
    code, red, err = run("diagnose", export, "--format", "json", "--redact")
    assert code == 0, err
    # without --redact the people reach the report (summary-keyed clusters) ...
    assert leaks(plain, names, emails)
    # ... with it, no format holds a name, an e-mail address or a phone number
    for fmt, text in render_all(red).items():
        assert not leaks(text, names, emails), fmt
        for phone in ("1234567", "123-4567", "7946 0958"):
            assert phone not in text, fmt
    doc = json.loads(red)
    recurrence = next(s for s in doc["signs"] if s["id"] == "recurrence")
    keys = [row["key"] for row in recurrence["evidence"]["tables"]["top_uncovered_clusters"]]
    assert keys and all(re.fullmatch(r"Cluster \d+", k) for k in keys)
    # the same input gives the same pseudonyms: redaction is deterministic
    code, again, _ = run("diagnose", export, "--format", "json", "--redact")
    assert again == red


def test_pseudonyms_are_stable_sorted_and_shared_across_columns() -> None:
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["1", "2", "3", "4"],
        m.REQUESTER: ["Zoe Abel", " zoe abel", "Bob Burns", None],
        m.ASSIGNEE: ["Kim Lee", "Kim Lee", None, "Al Brown"],
    }))
    events = m.conform_events(pd.DataFrame({
        m.EV_TICKET_ID: ["1", "1", "3"],
        m.EV_KIND: ["comment", "comment", "comment"],
        m.EV_AUTHOR_ROLE: ["requester", "agent", "agent"],
        m.EV_AUTHOR: ["ZOE ABEL", "Kim Lee", "Eve Ng"],
        m.EV_VALUE: ["Any update?", "Working on it", "Done"],
    }))
    t, ev, people = pseudonymise(tickets, events)
    # requesters numbered in name order; one person, one pseudonym, whatever the case
    assert t[m.REQUESTER].tolist()[:3] == ["Requester 2", "Requester 2", "Requester 1"]
    assert t[m.REQUESTER].isna().tolist() == [False, False, False, True]
    assert t[m.ASSIGNEE].dropna().tolist() == ["Agent 3", "Agent 3", "Agent 1"]
    # an agent-role author who never requested is an agent too
    assert ev[m.EV_AUTHOR].tolist() == ["Requester 2", "Agent 3", "Agent 2"]
    assert t[m.REQUESTER].dtype == m.STRING_DTYPE
    assert people.sweep("Ticket for zoe abel, via Kim Lee.") == \
        "Ticket for Requester 2, via Agent 3."


def test_scrub_keeps_dates_and_ids() -> None:
    text = pd.Series(["mail a.b@x.example now", "call +1 (555) 123-4567", "on 2026-07-14 09:30",
                      "see INC0012345 and 1234567", None, "from 14.07.2026"],
                     dtype=m.STRING_DTYPE)
    assert scrub_series(text).tolist() == [
        "mail [email] now", "call [phone]", "on 2026-07-14 09:30", "see INC0012345 and 1234567",
        pd.NA, "from 14.07.2026"]


# ---- batch -----------------------------------------------------------------------------

@pytest.fixture
def clients(tmp_path: Path) -> Path:
    """Three clients: two good (demo incidents; a small fixture), one with a bad file."""
    root = tmp_path / "clients"
    for name, export in (("acme", INCIDENTS), ("globex", SMALL)):
        (root / name).mkdir(parents=True)
        shutil.copy(export, root / name / export.name)
    (root / "broken").mkdir()
    shutil.copy(FIX / "not_servicenow.csv", root / "broken" / "incident.csv")
    return root


def test_batch_reports_each_client_and_a_failure_does_not_stop_the_others(
    clients: Path, incidents_doc: dict,
) -> None:
    code, out, err = run("batch", clients, "--jobs", "2", "--format", "json")
    assert code == 2
    assert "client broken" in err and len(err.strip().splitlines()) == 1
    reports = clients / "_reports"
    index = json.loads((reports / "index.json").read_text())
    rows = {r["client"]: r for r in index["clients"]}
    assert list(rows) == ["acme", "broken", "globex"] and index["failed"] == 1
    assert rows["broken"]["error"] and rows["broken"]["score"] is None
    for name in ("acme", "globex"):
        row = rows[name]
        assert row["error"] is None and row["report"] == f"{name}.json"
        doc = json.loads((reports / row["report"]).read_text())
        assert (row["score"], row["band"], row["unknown"]) == (
            doc["score"], doc["band"], doc["unknown"])
    acme, expected = rows["acme"], incidents_doc
    assert (acme["score"], acme["unknown"]) == (expected["score"], expected["unknown"])
    assert acme["top_fix"].startswith(" ".join(expected["fixes"][0]["action"].split()))
    # the report's total, each ticket's handle minutes counted once (review 12)
    assert acme["hours_at_stake"] == round(expected["hours_at_stake_per_month"], 1) > 0
    assert acme["hours_at_stake"] <= round(sum(
        s["hours_at_stake_per_month"] or 0 for s in expected["signs"]
        if s["status"] == "triggered"), 1)
    assert rows["globex"]["unknown"] == 7 and rows["globex"]["top_fix"] is None
    assert not (reports / "broken.json").exists()
    md = (reports / "index.md").read_text()
    assert "| [acme](acme.json) |" in md and "| broken |" in md
    assert "3 clients, 1 failed" in out


def test_batch_all_good_is_exit_0_and_fail_on_is_exit_1(clients: Path, tmp_path: Path) -> None:
    shutil.rmtree(clients / "broken")
    shutil.copy(SMALL, clients / "acme" / INCIDENTS.name)  # the small file: quicker
    out_dir = tmp_path / "out"
    code, _, err = run("batch", clients, "--jobs", "1", "--format", "markdown",
                       "--out", out_dir, "--redact")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "acme.md", "globex.md", "index.json", "index.md"]
    assert "Redacted for sharing" in (out_dir / "acme.md").read_text()
    code, _, err = run("batch", clients, "--jobs", "1", "--fail-on", "0", "--out", out_dir)
    assert code == 1 and "acme" in err and "globex" in err
    code, _, err = run("batch", clients, "--jobs", "1", "--fail-on", "1", "--out", out_dir)
    assert code == 0, err  # every sign unknown: score 0 reaches no higher threshold


def test_batch_without_clients_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("batch", tmp_path)
    assert code == 2 and "no client sub-folders" in one_line_error(err)
    code, _, err = run("batch", tmp_path / "nosuch")
    assert code == 2 and "not a folder" in one_line_error(err)


def test_quiz_will_not_save_answers_over_the_config_it_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the itsm-diag.toml of the working directory is an input of the run, found without
    # --config: --save-answers pointed at it must be refused before anything is written
    config = tmp_path / "itsm-diag.toml"
    config.write_text("[defaults]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    answers = tmp_path / "answers.yaml"
    answers.write_text("onboarding: true\n", encoding="utf-8")
    code, _, err = run("quiz", INCIDENTS, "--save-answers", "itsm-diag.toml", "--no-input",
                       "--answers", answers)
    assert code == 2
    assert "itsm-diag.toml" in err and "input" in err
    assert config.read_text(encoding="utf-8") == "[defaults]\n"
