"""Outputs never land on a client's files, and what goes out is inert: batch output
folders inside a client folder, outputs under an input's sub-folders, escape sequences in
the action-list CSV and in the progress display, and the names a redacted run (or a
batch) must give, or hide, for every entry it did not read."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api, batch, progress
from itsm_diag.cli import app
from itsm_diag.errors import UsageError
from itsm_diag.render import check_output

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"
ZENDESK = ROOT / "samples" / "zendesk" / "api" / "tickets_1.json"
ESC, BEL = "\x1b", "\x07"
#: a summary and an assignee written to attack whoever reads the CSV in a terminal
EVIL_SUMMARY = f"{ESC}]52;c;ZXZpbA=={BEL}clip {ESC}[31mRED{ESC}[0m"
EVIL_ASSIGNEE = "\u202eNordin"


def cli(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


# ---- 1. a batch's output folder inside a client folder ----------------------------------

@pytest.fixture
def clients(tmp_path: Path) -> Path:
    root = tmp_path / "c"
    (root / "acme").mkdir(parents=True)
    (root / "globex").mkdir()
    # acme's export happens to be named like the other client's report
    shutil.copy(ZENDESK, root / "acme" / "globex.json")
    shutil.copy(DEMO / "incident_1.csv", root / "globex")
    return root


@pytest.mark.parametrize("inside", ["acme", "acme/sub"])
def test_batch_refuses_an_output_folder_inside_a_client_folder(clients: Path,
                                                               inside: str) -> None:
    export = clients / "acme" / "globex.json"
    before = export.read_bytes()
    code, out, err = cli("batch", clients, "-o", clients / inside, "-f", "json", "-j", "1")
    assert code == 2 and out == ""
    (line,) = _lines(err)
    assert "is inside the client folder" in line and "left out of the run" in line
    assert export.read_bytes() == before
    assert sorted(p.name for p in (clients / "acme").iterdir()) == ["globex.json"]


def test_batch_output_folder_of_an_earlier_run_is_no_client(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "acme").mkdir(parents=True)
    (root / "reports").mkdir()
    batch.write_index([batch.ClientRow(client="acme")], root / "reports")
    assert batch.client_dirs(root, root / "reports") == [root / "acme"]
    (root / "empty").mkdir()  # made for the reports, none yet
    assert batch.client_dirs(root, root / "empty") == [root / "acme", root / "reports"]
    # a client folder whose export is called index.json is no earlier output
    (root / "zen").mkdir()
    shutil.copy(ZENDESK, root / "zen" / "index.json")
    with pytest.raises(UsageError, match="inside the client folder"):
        batch.client_dirs(root, root / "zen")


def test_batch_reruns_into_its_own_output_folders(clients: Path) -> None:
    shutil.rmtree(clients / "acme")
    for out in ([], ["-o", clients / "reports"]):
        for _ in range(2):
            code, _, err = cli("batch", clients, *out, "-f", "csv", "-j", "1")
            assert code == 0, err
            assert err == ""
    assert (clients / "_reports" / "globex.csv").is_file()
    assert (clients / "reports" / "globex.csv").is_file()


def test_batch_report_never_replaces_a_loose_file_of_the_batch_folder(clients: Path) -> None:
    loose = clients / "globex.json"
    loose.write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="is an input of this run"):
        batch.run(clients, clients, api.RunOptions(), "json", jobs=1)
    assert loose.read_text(encoding="utf-8") == "{}"


# ---- 2. an output under a sub-folder of an input folder -------------------------------------

def test_output_in_a_sub_folder_of_an_input_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "d2"
    (folder / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(DEMO / "incident_1.csv", folder)
    keep = folder / "sub" / "keep.csv"
    deep = folder / "sub" / "deeper" / "keep.md"
    for f in (keep, deep):
        f.write_text("keep me\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(keep)
    for target in (keep, deep, link):
        code, out, err = cli("diagnose", folder, "-o", target, "-f", "csv")
        assert code == 2 and out == "", err
        (line,) = _lines(err)
        assert "an output never replaces an input's file" in line
    assert keep.read_text(encoding="utf-8") == deep.read_text(encoding="utf-8") == "keep me\n"
    # a new file is no input's: a report may go into the folder (it is named, not read,
    # the next time)
    check_output(folder / "report.md", [folder, *folder.iterdir()])
    check_output(folder / "sub" / "new.md", [folder, *folder.iterdir()])


# ---- 3. the action list as CSV ---------------------------------------------------------------

def _evil_export(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.read_csv(DEMO / "incident_1.csv", dtype=str, keep_default_na=False)
    frame["short_description"] = EVIL_SUMMARY
    frame["assigned_to"] = EVIL_ASSIGNEE
    path = folder / f"evil_{ESC}[31mname.csv"
    frame.to_csv(path, index=False)
    return path


def test_action_list_csv_shows_escapes_and_stays_formula_safe(tmp_path: Path) -> None:
    export = _evil_export(tmp_path / "in")
    code, out, err = cli("diagnose", export, "-f", "csv")
    assert code == 0, err
    written = tmp_path / "actions.csv"
    assert cli("diagnose", export, "-o", written)[0] == 0
    for text in (out, written.read_text(encoding="utf-8")):
        assert ESC not in text and BEL not in text and "\u202e" not in text
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        assert body
        summary, assignee = header.index("Summary"), header.index("Assignee")
        assert {r[summary] for r in body} == {
            "\\x1b]52;c;ZXZpbA==\\x07clip \\x1b[31mRED\\x1b[0m"}
        assert {r[assignee] for r in body} == {"\\u202eNordin"}


def test_report_csv_cells_are_inert_and_formula_safe() -> None:
    from itsm_diag.safety import csv_text

    text = csv_text(["=h"], [[f"=cmd{ESC}[2J"], ["a\nINC1,fake row"], [f"{ESC}=x"],
                             ["\t-1"], [None]], inert=True)
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=h"], ["'=cmd\\x1b[2J"], ["a\\x0aINC1,fake row"], ["\\x1b=x"], ["\\x09-1"], [""]]
    assert text.count("\n") == 6  # one line a row: no cell starts a line of its own


# ---- 4. the progress display -----------------------------------------------------------------

def test_progress_shows_file_names_escaped(tmp_path: Path) -> None:
    export = _evil_export(tmp_path / "in")
    heard: list[str] = []
    with progress.listening(heard.append):
        api.diagnose_paths([export], api.RunOptions())
    assert any("evil_\\x1b[31mname.csv" in h for h in heard)
    assert not any(ESC in h or "\u202e" in h for h in heard)


def test_progress_under_redact_names_no_file(tmp_path: Path) -> None:
    folder = tmp_path / "AcmeCorp"
    folder.mkdir()
    shutil.copy(DEMO / "incident_1.csv", folder / "incidents_john.smith.csv")
    heard: list[str] = []
    with progress.listening(heard.append):
        api.diagnose_paths([folder], api.RunOptions(redact=True))
    assert any("reading input 1" in h for h in heard), heard
    assert not any("john" in h or "AcmeCorp" in h for h in heard), heard


# ---- 5. redacted names of the entries not read ------------------------------------------------

@pytest.fixture
def private(tmp_path: Path) -> Path:
    folder = tmp_path / "globex-private"
    (folder / "globex-sub").mkdir(parents=True)
    shutil.copy(DEMO / "incident_1.csv", folder)
    (folder / "globex-secret-contract.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    return folder


def test_redacted_run_names_no_entry_it_skipped(private: Path) -> None:
    warned: list[str] = []
    report = api.diagnose_paths([private], api.RunOptions(redact=True), warned.append)
    assert len(warned) == 2 and not any("globex" in w for w in warned), warned
    assert any(w.startswith("skipped entry 1 of the input folder was not read: an archive")
               for w in warned)
    from itsm_diag.render.html import render as html
    from itsm_diag.render.json import render as json_report
    from itsm_diag.render.markdown import render as markdown

    for text in (json_report(report), markdown(report), html(report)):
        assert "globex" not in text.lower()
        assert "skipped entry 2 of the input folder was not read: a sub-folder" in text
    code, _, err = cli("diagnose", private, "--redact", "-f", "json", "-o",
                       private.parent / "r.json")
    assert code == 0 and "globex" not in err and err.count("warning: skipped entry") == 2


def test_redacted_error_names_no_entry_of_the_folder(private: Path) -> None:
    (private / "incident_1.csv").unlink()
    (private / "Globex").mkdir()  # a name that is a plain word too
    code, _, err = cli("diagnose", private, "--redact")
    assert code == 2
    (line,) = _lines(err)
    assert "globex" not in line.lower() and "skipped entry 3 of the input folder" in line


# ---- 6. batch names what it did not read ------------------------------------------------------

def test_batch_names_loose_files_and_each_clients_skipped_entries(clients: Path) -> None:
    shutil.copy(DEMO / "incident_2.csv", clients / "loose.csv")
    (clients / "globex" / "globex-secret.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    out = clients.parent / "out"
    code, _, err = cli("batch", clients, "-o", out, "-f", "json", "-j", "1")
    assert code == 0, err
    lines = _lines(err)
    loose = str(clients / "loose.csv")
    assert f"itsm-diag: warning: {loose} was not read: not a client folder" in lines[0]
    assert any(line.startswith("itsm-diag: warning: client globex: ")
               and "globex-secret.zip was not read: an archive" in line for line in lines)
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert [n.split(" was not read")[0] for n in index["not_read"]] == [loose]
    by_client = {c["client"]: c["not_read"] for c in index["clients"]}
    assert by_client["acme"] == [] and "globex-secret.zip" in by_client["globex"][0]
    from itsm_diag.render.markdown import md

    assert f"- {md(loose, 600)} was not read" in (out / "index.md").read_text(encoding="utf-8")
    # redacted: numbered, never named
    code, _, err = cli("batch", clients, "-o", out, "-f", "json", "-j", "1", "--redact")
    assert code == 0 and "loose" not in err and "secret" not in err, err
    assert "entry 1 of the batch folder was not read" in err
    assert "client globex: skipped entry 1 of the input folder was not read" in err
