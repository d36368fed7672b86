"""Review 14a: inputs read as what they are, joined files, PDF to a redirected output,
and the help and ``config`` saying what the tool does.

1. A config (``--config``, or the ``itsm-diag.toml`` / ``pyproject.toml`` found in the
   working directory), an ``--answers`` file or a ``--baseline`` kept inside the diagnosed
   folder was applied, yet named "not read ... pass a config with --config" on stderr and
   in the report's data notes; a batch's ``--config`` kept in the batch folder was named
   a loose file. Any other YAML or TOML there is still named.
2. A second ``sep=,`` line (files joined with ``cat``) gave a short-row warning and was
   counted among the repeated headers: it is one note naming its row.
3. ``-f pdf`` with standard output redirected to a file was refused as "not to the
   terminal": the PDF's bytes now go there; a terminal is still refused, in true words.
4. ``inspect`` printed ``encoding None, delimiter None`` for a workbook.
5. ``--since``/``--until`` help named no ISO time, which both take.
6. ``itsm-diag config`` did not show the shipped value of a value a config set.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag.cli import app

DEMO = api.demo_dir()
NOT_READ = "was not read: a YAML or TOML file, not an export"


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _folder(tmp_path: Path, name: str = "exports") -> Path:
    """A copy of the demo's exports (incidents alone: a quick diagnosis)."""
    folder = tmp_path / name
    folder.mkdir()
    for part in ("incident_1.csv", "incident_2.csv"):
        shutil.copy(DEMO / part, folder / part)
    return folder


# ---- 1. configs, answers and baselines kept in the folder -------------------------------

def test_config_and_answers_given_from_the_folder_are_not_named_unread(
        tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "c.toml").write_text("[defaults]\nhourly_rate = 50\n", encoding="utf-8")
    (folder / "answers.yaml").write_text("recurrence: true\n", encoding="utf-8")
    (folder / "other.yaml").write_text("x: 1\n", encoding="utf-8")
    code, out, err = _cli("diagnose", str(folder), "--config", str(folder / "c.toml"),
                          "--answers", str(folder / "answers.yaml"), "-f", "json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["assumptions"]["hourly_rate"] == 50.0  # the config was applied
    notes = " ".join(doc["data_notes"])
    for said in (err, notes):
        assert "c.toml" not in said and "answers.yaml" not in said
        assert f"other.yaml {NOT_READ}" in said  # the one nobody gave


@pytest.mark.parametrize(("name", "text"), [
    ("itsm-diag.toml", "[defaults]\nhourly_rate = 60\n"),
    ("pyproject.toml", "[project]\nname = 'x'\n[tool.itsm-diag.defaults]\nhourly_rate = 60\n"),
])
def test_the_config_found_in_the_working_directory_is_not_named_unread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    folder = _folder(tmp_path)
    (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    code, out, err = _cli("diagnose", ".", "-f", "json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["assumptions"]["hourly_rate"] == 60.0
    assert name not in err and name not in " ".join(doc["data_notes"])


def test_files_read_as_something_else_are_left_out_of_the_listing(tmp_path: Path) -> None:
    """The loader's side, for every kind of such file: a config (also the client's),
    the answers file and the baseline are not named; a pyproject.toml without the
    tool's table is no config, so it is named."""
    folder = _folder(tmp_path)
    names = ["c.toml", "client.toml", "answers.yaml", "old.json", "pyproject.toml"]
    for name in names[:-2]:
        (folder / name).write_text("x = 1\n", encoding="utf-8")
    (folder / "old.json").write_text('{"schema_version": 1}', encoding="utf-8")
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    loaded = api._load([folder], api.RunOptions(
        config_file=folder / "c.toml", client_config=folder / "client.toml",
        answers_file=folder / "answers.yaml", baseline=folder / "old.json"))
    assert [Path(s.path).name for s in loaded.skipped] == ["pyproject.toml"]


def test_a_batch_config_kept_in_the_batch_folder_is_no_loose_file(tmp_path: Path) -> None:
    root = tmp_path / "clients"
    root.mkdir()
    _folder(root, "acme")
    (root / "base.toml").write_text("[defaults]\nhourly_rate = 50\n", encoding="utf-8")
    (root / "stray.yaml").write_text("x: 1\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = _cli("batch", str(root), "-f", "json", "-o", str(out),
                        "--config", str(root / "base.toml"))
    assert code == 0, err
    index = (out / "index.md").read_text(encoding="utf-8")
    for said in (err, index):
        assert "base.toml" not in said
        assert "stray.yaml was not read: not a client folder" in said
    assert json.loads((out / "acme.json").read_text())["assumptions"]["hourly_rate"] == 50.0


# ---- 2. a second sep= line -----------------------------------------------------------------

def test_a_second_sep_line_is_one_note_naming_its_row(tmp_path: Path) -> None:
    from itsm_diag.importers.readers import read_raw

    body = "sep=,\nnumber,opened_at,state\nINC1,2024-01-01 10:00:00,New\n"
    short = "INC3,2024-01-02 10:00:00\n"  # a genuine short row (row 4)
    path = tmp_path / "joined.csv"
    path.write_text(body + short + body.replace("INC1", "INC2"), encoding="utf-8")
    raw = read_raw(path)[0]
    assert raw.frame["number"].isna().tolist() == [False, False, True, True, False]
    assert raw.warnings == [
        "1 rows have fewer cells than the 3 headers (first at row 4); the missing cells "
        "were left empty",
        "row 5 is a `sep=` line (files joined one after the other?): read as an empty row, "
        "not as a ticket",
        "1 row(s) repeat the header line (files joined one after the other?), first at row "
        "6: read as empty rows, not as tickets"]


def test_three_joined_files_count_their_sep_lines(tmp_path: Path) -> None:
    from itsm_diag.importers.readers import read_raw

    body = "sep=,\nnumber,opened_at,state\nINC1,2024-01-01 10:00:00,New\n"
    path = tmp_path / "joined.csv"
    path.write_text(body * 3, encoding="utf-8")
    warnings = read_raw(path)[0].warnings
    assert not any("fewer cells" in w for w in warnings)
    assert ("2 rows are `sep=` lines (files joined one after the other?), first at row 4: "
            "read as empty rows, not as tickets") in warnings
    assert any(w.startswith("2 row(s) repeat the header line") and "first at row 5" in w
               for w in warnings)


# ---- 3. a PDF to a redirected standard output --------------------------------------------

def _fake_browser(tmp_path: Path) -> Path:
    """A stand-in for Chromium: writes a tiny PDF where --print-to-pdf says."""
    script = tmp_path / "fake-chromium"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "out = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--print-to-pdf=')][0]\n"
        "open(out, 'wb').write(b'%PDF-1.4 fake\\n')\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_a_pdf_goes_to_a_redirected_standard_output(tmp_path: Path) -> None:
    browser = _fake_browser(tmp_path)
    target = tmp_path / "y.pdf"
    with target.open("wb") as fh:
        run = subprocess.run(  # nosec B603
            [sys.executable, "-m", "itsm_diag", "demo", "-f", "pdf", "--browser",
             str(browser)], stdout=fh, stderr=subprocess.PIPE, text=True, check=False,
            timeout=120)
    assert run.returncode == 0, run.stderr
    assert target.read_bytes() == b"%PDF-1.4 fake\n"


def test_a_pdf_to_a_terminal_is_refused_in_true_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm_diag import cli
    from itsm_diag.cli import Format
    from itsm_diag.errors import UsageError

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(UsageError) as caught:
        cli._check_destination(Format.pdf, None, None)
    assert caught.value.one_line() == (
        "--format pdf writes a binary file, which a terminal cannot show. add -o "
        "REPORT.pdf, or redirect standard output to a file (> REPORT.pdf).")


# ---- 4. inspect on a workbook ----------------------------------------------------------------

def test_inspect_says_a_workbook_has_no_encoding(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "incidents.xlsx"
    pd.read_csv(DEMO / "incident_1.csv", dtype=str).head(50).to_excel(path, index=False)
    code, out, err = _cli("inspect", str(path))
    assert code == 0, err
    assert "None" not in out
    assert "tickets; a workbook (no encoding or delimiter)" in out


# ---- 5. the help of --since/--until ------------------------------------------------------------

def test_since_and_until_help_name_the_iso_time() -> None:
    code, out, _ = _cli("diagnose", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "--since DATE Window start: YYYY-MM-DD, an ISO time (2026-08-01T08:00:00Z, " \
           "+02:00; without a zone, read in --tz)" in text
    assert "YYYY-MM-DD (the whole day), an ISO time (2026-08-31T18:00:00+02:00, that " \
           "instant)" in text


# ---- 6. config shows the shipped value ---------------------------------------------------------

def test_config_shows_the_shipped_value_of_an_overridden_one(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[signs.backlog.thresholds]\nmin_shrink = 0.1\n"
                    "[defaults.handle_minutes]\nincident = 45\n", encoding="utf-8")
    code, out, err = _cli("config", "--config", str(path))
    assert code == 0, err
    assert f"min_shrink: 0.1  # {path}; shipped 0.05; valid: from 0 to 1" in out
    # a kind's handle minutes are listed key by key (review 14b item 6)
    assert f"incident: 45  # {path}; shipped 30; valid: from 0 to" in out
    assert "  window_weeks: 13  # shipped default; valid: a whole number" in out  # as before
    code, out, err = _cli("config", "--config", str(path), "--json")
    settings = json.loads(out)["settings"]
    assert settings["signs.backlog.thresholds.min_shrink"] == {
        "value": 0.1, "source": str(path), "shipped": 0.05, "valid": "from 0 to 1"}
    assert settings["defaults.handle_minutes.incident"]["shipped"] == 30.0
    assert "shipped" not in settings["defaults.hourly_rate"]


def test_emptied_rows_are_not_counted_as_rows_without_an_id(tmp_path: Path) -> None:
    """The reader's note names a `sep=` line and a repeated header; the importer's count
    of rows skipped for a missing id no longer counts them again ("2 rows without a
    ticket number were skipped" beside the reader's two notes). A row that holds cells
    but no id is still counted."""
    from itsm_diag import api

    head = "number,opened_at,state,short_description\n"
    row = "{n},2026-01-0{d} 10:00:00,New,printer {n}\n"
    first = "sep=,\n" + head + "".join(row.format(n=f"INC00{i}", d=i) for i in (1, 2, 3))
    second = "sep=,\n" + head + "".join(row.format(n=f"INC01{i}", d=i) for i in (4, 5))
    path = tmp_path / "joined.csv"
    path.write_text(first + second, encoding="utf-8")
    notes = [w for i in api.diagnose_paths([path], api.RunOptions()).inputs for w in i.warnings]
    assert not any("without a ticket number" in n for n in notes), notes
    assert any("is a `sep=` line" in n for n in notes)
    assert any("repeat the header line" in n for n in notes)
    # a row with cells and no number is a ticket row without its id: counted
    path.write_text(first + ",2026-01-09 10:00:00,New,no number\n" + second, encoding="utf-8")
    notes = [w for i in api.diagnose_paths([path], api.RunOptions()).inputs for w in i.warnings]
    assert any("1 rows without a ticket number were skipped" in n for n in notes), notes
