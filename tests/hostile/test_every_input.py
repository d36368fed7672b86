"""Issue 15, data loss: every input accounted for, no output over an input.

Class 1: no output ever replaces an input. Class 3: batch output names never collide.
Class 4: every file in an input folder is read or named with the reason. Class 12: pipes
are read (or refused in one line), never waited on for ever.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hostilekit import SAMPLES, cli, error_line

from itsm_diag.importers import readers

DEMO = SAMPLES / "demo"
#: rows (and tickets) of samples/demo/incident_1.csv and incident_2.csv
INCIDENTS_1 = 700


def _tickets(out: str) -> int:
    return int(json.loads(out)["tickets"]["total"])


# ---- class 1: no output over an input ----------------------------------------------------

@pytest.fixture
def export_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ex"
    folder.mkdir()
    shutil.copy(DEMO / "incident_1.csv", folder / "incident.csv")
    return folder


@pytest.mark.parametrize("how", ["same path", "hard link", "symbolic link"])
def test_report_never_replaces_an_input_file(export_folder: Path, how: str) -> None:
    export = export_folder / "incident.csv"
    before = export.read_bytes()
    target = export
    if how == "hard link":
        target = export_folder.parent / "report.json"
        os.link(export, target)
    elif how == "symbolic link":
        target = export_folder.parent / "report.json"
        target.symlink_to(export)
    line = error_line("diagnose", str(export_folder), "-f", "json", "-o", str(target))
    assert "is an input of this run" in line and "an output never replaces an input" in line
    assert export.read_bytes() == before
    assert sorted(p.name for p in export_folder.iterdir()) == ["incident.csv"]


def test_report_never_replaces_the_mapping_config_or_baseline(tmp_path: Path) -> None:
    mapping = tmp_path / "glpi.yaml"
    shutil.copy(Path(__file__).resolve().parents[2] / "src/itsm_diag/mappings/glpi.yaml",
                mapping)
    before = mapping.read_bytes()
    line = error_line("diagnose", str(SAMPLES / "glpi"), "--mapping", str(mapping),
                      "-o", str(mapping))
    assert f"--output {mapping} is an input of this run" in line
    assert mapping.read_bytes() == before
    old = tmp_path / "old.json"
    code, _out, _ = cli("demo", "-f", "json", "-o", str(old))
    assert code == 0
    kept = old.read_bytes()
    line = error_line("compare", str(old), str(old), "-o", str(old))
    assert "is an input of this run" in line and old.read_bytes() == kept


# ---- class 3: batch names never collide ----------------------------------------------------

@pytest.mark.parametrize("fmt,ext", [("markdown", "md"), ("json", "json")])
def test_batch_client_named_index_keeps_its_report(tmp_path: Path, fmt: str, ext: str) -> None:
    root = tmp_path / "clients"
    (root / "acme").mkdir(parents=True)
    (root / "index").mkdir()
    shutil.copy(DEMO / "incident_1.csv", root / "acme")
    shutil.copy(DEMO / "incident_2.csv", root / "index")
    code, out, err = cli("batch", str(root), "--format", fmt, "--jobs", "1")
    assert code == 0, err
    assert "2 clients, 0 failed" in out
    reports = root / "_reports"
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        [f"acme.{ext}", f"index~2.{ext}", "index.md", "index.json"])
    index = json.loads((reports / "index.json").read_text(encoding="utf-8"))
    assert [(c["client"], c["report"]) for c in index["clients"]] == [
        ("acme", f"acme.{ext}"), ("index", f"index~2.{ext}")]
    assert "# itsm-diag: clients" in (reports / "index.md").read_text(encoding="utf-8")
    client = (reports / f"index~2.{ext}").read_text(encoding="utf-8")
    assert "# itsm-diag: clients" not in client and "index/incident" in client  # a report


# ---- class 4: every file in a folder read or named ------------------------------------------

def test_every_file_in_a_folder_is_read_or_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(DEMO / "incident_1.csv", folder)
    with zipfile.ZipFile(folder / "more.zip", "w") as zf:
        zf.write(DEMO / "incident_2.csv", "incident_2.csv")
    import gzip
    (folder / "problem.csv.gz").write_bytes(gzip.compress((DEMO / "problem.csv").read_bytes()))
    (folder / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    shutil.copy(DEMO / "task.csv", folder / "locked.csv")
    (folder / "readme.txt").write_text("Exports from ServiceNow, March.\nAsk Kim.\n",
                                       encoding="utf-8")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (folder / "sub").mkdir()
    shutil.copy(DEMO / "change_request.csv", folder / "sub")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    os.mkfifo(folder / "pipe.csv")
    real_open = Path.open

    def no_permission(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", no_permission)
    code, out, err = cli("diagnose", str(folder), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tickets"]["total"] == INCIDENTS_1
    assert [Path(i["path"]).name for i in doc["inputs"]] == ["incident_1.csv"]
    expected = {
        ".DS_Store": "a hidden file",
        "dangling.csv": "a broken link (its target does not exist)",
        "locked.csv": "cannot open: Permission denied; check the path and permissions",
        "logo.png": "not an export file (.png)",
        "more.zip": "an archive (.zip): extract it and pass the export files inside",
        "pipe.csv": "a named pipe, socket or device, not a file",
        "problem.csv.gz": "an archive (.gz)",
        "readme.txt": "cannot tell which tool exported this file",
        "sub": "a sub-folder: folders are read one level deep",
    }
    notes = [n for n in doc["data_notes"] if " was not read: " in n]
    warned = [ln for ln in err.splitlines() if ln.startswith("itsm-diag: warning: ")]
    assert len(notes) == len(warned) == len(expected)
    for name, reason in expected.items():
        note = next(n for n in notes if n.startswith(f"{folder / name} was not read: "))
        assert reason in note, (name, note)
        assert any(note in w for w in warned)


def test_a_folder_with_nothing_readable_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "tickets.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "notes.txt").write_text("hello\nworld\n", encoding="utf-8")
    line = error_line("diagnose", str(folder))
    assert "no tickets were read from the inputs: 2 files not read" in line


def test_a_file_named_on_its_own_is_an_error_not_a_note(tmp_path: Path) -> None:
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "this is a PNG image, not a ticket export" in error_line("diagnose", str(png))


def test_an_itsm_diag_report_in_the_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(DEMO, folder)
    code, _, _ = cli("diagnose", str(folder), "-f", "json", "-o", str(folder / "report.json"))
    assert code == 0
    code, out, err = cli("diagnose", str(folder), "-f", "json")
    assert code == 0, err
    assert "report.json was not read: this is an itsm-diag report, not a ticket export" in err
    assert _tickets(out) == 2500


# ---- class 12: pipes ------------------------------------------------------------------------

def _feed(path: str | int, data: bytes) -> threading.Thread:
    def write() -> None:
        if isinstance(path, int):
            with os.fdopen(path, "wb") as fh:
                fh.write(data)
        else:
            with open(path, "wb") as fh:
                fh.write(data)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_named_pipe_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "incident.csv"
    os.mkfifo(fifo)
    thread = _feed(str(fifo), (DEMO / "incident_1.csv").read_bytes())
    code, out, err = cli("diagnose", str(fifo), "-f", "json")
    thread.join(5)
    assert code == 0, err
    assert _tickets(out) == INCIDENTS_1
    assert [i["path"] for i in json.loads(out)["inputs"]] == [str(fifo)]


def test_process_substitution_pipe_is_read() -> None:
    """``diagnose <(cat incident.csv)``: the shell passes /dev/fd/N, a pipe (no lseek)."""
    read_end, write_end = os.pipe()
    try:
        thread = _feed(write_end, (DEMO / "incident_1.csv").read_bytes())
        code, out, err = cli("diagnose", f"/dev/fd/{read_end}", "-f", "json")
        thread.join(5)
    finally:
        os.close(read_end)
    assert code == 0, err
    assert _tickets(out) == INCIDENTS_1


def test_named_pipe_nobody_writes_to_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "PIPE_WAIT_SECONDS", 0.2)
    fifo = tmp_path / "incident.csv"
    os.mkfifo(fifo)
    line = error_line("diagnose", str(fifo))
    assert line == (f"itsm-diag: error: {fifo}: nothing was written to this pipe "
                    "within 0.2 seconds. start the program that writes to it first, or pass "
                    "a file.")


# ---- class 2: tickets are the same only within one source -----------------------------------

def _zendesk_and_freshservice(folder: Path) -> None:
    """A Zendesk CSV and a Freshservice CSV in one folder, both numbering 101 and 102."""
    import csv

    import fastexcel

    folder.mkdir()
    with (SAMPLES / "zendesk" / "zendesk_export.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    for n, row in enumerate(rows[1:3]):
        row[0] = str(101 + n)
    with (folder / "zendesk.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:3])
    book = fastexcel.read_excel(str(SAMPLES / "freshservice" / "tickets.xlsx"))
    sheet = book.load_sheet(book.sheet_names[0], dtypes="string", n_rows=2).to_pandas()
    sheet.iloc[:, 0] = ["101", "102"]
    sheet.to_csv(folder / "freshservice.csv", index=False)


def test_equal_ids_from_two_tools_are_two_tickets(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _zendesk_and_freshservice(folder)
    code, out, err = cli("diagnose", str(folder), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tickets"]["total"] == 4
    assert not any("appear in more than one input row" in n for n in doc["data_notes"])
    assert ("tickets come from 2 sources (freshservice, zendesk): a ticket is the same only "
            "within one source, so each id is shown as source:id (e.g. freshservice:101)"
            ) in " ".join(doc["data_notes"])
    code, text, _ = cli("inspect", str(folder))
    assert code == 0 and "4 tickets" in text and "note: tickets come from 2 sources" in text


def test_one_source_keeps_its_ids_and_still_merges_chunks(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(DEMO / "incident_1.csv", folder / "a.csv")
    shutil.copy(DEMO / "incident_1.csv", folder / "b.csv")  # an overlapping chunk
    code, out, err = cli("diagnose", str(folder), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tickets"]["total"] == INCIDENTS_1
    samples = [i for s in doc["signs"] for t in s["evidence"]["tables"].values() for r in t
               for i in r.get("sample_ids", [])]
    assert samples and not any(":" in i for i in samples)


# ---- class 6: ids differing only by invisible characters are one ticket ---------------------

def test_ids_differing_by_invisible_characters_are_one_ticket(tmp_path: Path) -> None:
    from hostilekit import csv_bytes, incident_rows, write

    rows = incident_rows(4)
    variants = ["INC0000001", "INC0000001\u200b", "\ufeffINC0000001", "\uff29NC0000001"]
    for n, (row, number) in enumerate(zip(rows, variants, strict=True)):
        row[0] = number
        # one ticket's rows: its opened, resolved and closed times (rows of one number
        # opened days apart are two tickets, numbering restarted)
        row[4:7] = rows[0][4:7]
        row[7] = f"2024-01-0{n + 1} 15:00:00"  # sys_updated_on: the last one wins
    path = write(tmp_path / "incident.csv", csv_bytes(rows))
    code, out, err = cli("diagnose", str(path), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tickets"]["total"] == 1
    warnings = doc["inputs"][0]["warnings"]
    assert ("3 ticket id(s) held invisible characters, odd spaces or full-width forms and "
            "were normalised (e.g. 'INC0000001\\u200b' -> 'INC0000001')") in " ".join(warnings)


# ---- class 5: values outside a vocabulary are counted and named -----------------------------

def test_priorities_outside_the_vocabulary_are_counted_not_guessed(tmp_path: Path) -> None:
    from hostilekit import csv_bytes, incident_rows, write

    rows = incident_rows(8)
    labels = ["10 - Low", "42", "P0", "0 - Critical", "1 - Critical", "Urgent", "P0",
              "3 - Moderate"]
    for row, label in zip(rows, labels, strict=True):
        row[3] = label
    path = write(tmp_path / "incident.csv", csv_bytes(rows))
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    loaded = load_paths([path], ImportOptions())
    got = dict(zip(loaded.tickets["priority_raw"], loaded.tickets["priority"], strict=True))
    assert {k: (None if v is pd.NA else int(v)) for k, v in got.items()} == {
        "10 - Low": None, "42": None, "P0": None, "0 - Critical": None, "1 - Critical": 1,
        "Urgent": 1, "3 - Moderate": 3}
    warning = ("priority: 5 tickets with values outside its vocabulary, left without "
               "priority: 'P0' (2), '0 - Critical' (1), '10 - Low' (1), '42' (1)")
    assert warning in loaded.sources[0].warnings
    code, text, _ = cli("inspect", str(path))
    assert code == 0 and f"  warning: {warning}" in text
    code, out, _ = cli("diagnose", str(path), "-f", "json")
    assert code == 0 and warning in json.loads(out)["inputs"][0]["warnings"]


def test_counts_that_are_not_counts_are_left_empty_and_counted(tmp_path: Path) -> None:
    # a reassignment count of -5 is junk: read as a number it made the mean reassignments
    # of the routing check negative, without a word
    import csv

    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    path = tmp_path / "incident.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["number", "short_description", "state", "opened_at", "resolved_at",
                    "reassignment_count", "reopen_count"])
        counts = ["-5", "2.5", "x", "3", "1,234", "0", "-5", "1e30"] * 10
        for i, count in enumerate(counts):
            w.writerow([f"INC{i:07d}", "Printer jam", "Closed", f"2026-03-{1 + i % 28:02d} 09:00",
                        f"2026-03-{1 + i % 28:02d} 13:00", count, "-1" if i % 2 else "0"])
    loaded = load_paths([path], ImportOptions())
    got = dict(zip(counts, loaded.tickets["reassignment_count"], strict=True))
    assert {k: (None if v is pd.NA else int(v)) for k, v in got.items()} == {
        "-5": None, "2.5": None, "x": None, "3": 3, "1,234": 1234, "0": 0, "1e30": None}
    assert loaded.tickets["reopen_count"].tolist() == [0, pd.NA] * 40
    warnings = loaded.sources[0].warnings
    assert ("reassignment count: 50 tickets with values that are not counts (whole numbers "
            "0 or more), left empty: '-5' (20), '1e30' (10), '2.5' (10), 'x' (10)") in warnings
    assert ("reopen count: 40 tickets with values that are not counts (whole numbers 0 or "
            "more), left empty: '-1' (40)") in warnings
    # in the report: three valid counts of four, enough to measure routing; the -5 left
    # out, the mean is that of 1, 2 and 1 (with it read as a count: -0.25)
    report_path = tmp_path / "routing.csv"
    with report_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["number", "short_description", "state", "opened_at", "resolved_at",
                    "reassignment_count"])
        for i in range(80):
            w.writerow([f"INC{i:07d}", "Printer jam", "Closed",
                        f"2026-03-{1 + i % 28:02d} 09:00", f"2026-03-{1 + i % 28:02d} 13:00",
                        ("-5", "1", "2", "1")[i % 4]])
    code, out, _ = cli("diagnose", str(report_path), "-f", "json")
    routing = next(c for c in json.loads(out)["checks"] if c["id"] == "routing")
    assert code == 0 and routing["status"] != "unknown"
    assert routing["metrics"]["mean_reassignments"]["value"] == pytest.approx(4 / 3)


def test_time_spent_that_is_not_a_duration_is_left_empty_and_counted(tmp_path: Path) -> None:
    # -100 hours logged on a project took effort away from it in the strategy sign's
    # shares (its table showed -2,200 hours); text no format reads was dropped silently
    import csv

    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    path = tmp_path / "incident.csv"
    worked = ["3600", "-360000", "2 Hours", "x", "1e30", "0"]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["number", "short_description", "state", "opened_at", "time_worked"])
        for i, value in enumerate(worked):
            w.writerow([f"INC{i:07d}", "Printer jam", "New", f"2026-03-0{i + 1} 09:00",
                        value])
    loaded = load_paths([path], ImportOptions())
    assert loaded.tickets["time_spent_hours"].tolist() == [1.0, pd.NA, 2.0, pd.NA, pd.NA, 0.0]
    assert ("time spent: 3 tickets with values that are not durations, left empty: "
            "'-360000' (1), '1e30' (1), 'x' (1)") in loaded.sources[0].warnings


def test_status_channel_and_type_outside_the_vocabulary_are_counted(tmp_path: Path) -> None:
    import csv

    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    with (SAMPLES / "zendesk" / "zendesk_export.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:4]:
        row[header.index("Status")] = "Waiting for Godot"
        row[header.index("Via")] = "Carrier pigeon"
        row[header.index("Ticket type")] = "Complaint"
    path = tmp_path / "zendesk.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    warnings = load_paths([path], ImportOptions()).sources[0].warnings
    for expected in (
            # the three rows were solved (a Solved at time): read as done, and said so
            "status: 3 tickets with values outside its vocabulary but a resolved or closed "
            "time, read as done: resolved (3, a resolved time only): 'Waiting for Godot' (3)",
            "channel: 3 tickets with values outside its vocabulary, counted as 'other': "
            "'Carrier pigeon' (3)",
            "ticket type: 3 tickets with values outside its vocabulary, counted as "
            "requests: 'Complaint' (3)"):
        assert expected in warnings, warnings


def test_mapping_keys_matching_nothing_and_idle_activities_are_warned(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "mapping"
    log = tmp_path / "log.csv"
    log.write_text((fixtures / "bpi2014_activities.csv").read_text(encoding="utf-8")
                   .replace(";Closed;", ";Resolve ticket;"), encoding="utf-8")
    mapping = tmp_path / "bpi.yaml"
    mapping.write_text((fixtures / "bpi2014.yaml").read_text(encoding="utf-8")
                       .replace("Resolved: resolved", "Resolved ticket: resolved"),
                       encoding="utf-8")
    code, text, err = cli("inspect", str(log), "--mapping", str(mapping))
    assert code == 0, err
    assert ("  warning: values.status: 2 of its 5 key(s) match no value in this file: "
            "'Resolved ticket', 'Closed' (keys are compared ignoring case, '-' and '_'); "
            "check their spelling against the file's values") in text
    assert ("  warning: event log: 1 frequent activity mapped to no status and no event kind: "
            "'Resolve ticket' (2 rows); they neither open, resolve nor close a ticket") in text


def test_quiz_never_saves_answers_over_an_export(tmp_path: Path) -> None:
    export = tmp_path / "incident.csv"
    shutil.copy(DEMO / "incident_1.csv", export)
    before = export.read_bytes()
    line = error_line("quiz", str(export), "--no-input", "--answers", "/dev/null",
                      "--save-answers", str(export))
    assert f"--save-answers {export} is an input of this run" in line
    assert export.read_bytes() == before
