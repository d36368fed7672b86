"""Review 10 (rv10b), items 3, 5 and 6: a client folder the batch may not list fails that
client alone; ``python -m itsm_diag.schema`` prints the schema (``-o FILE`` writes it,
``--update`` alone rewrites the shipped file); ``batch --help`` lists every format it
takes."""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import schema
from itsm_diag.cli import Format, app

ROOT = Path(__file__).resolve().parents[1]
JIRA = ROOT / "samples" / "jira"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


# -- 3. an unreadable client folder ------------------------------------------------------


def _clients(tmp_path: Path, *unreadable: str) -> Path:
    clients = tmp_path / "clients"
    shutil.copytree(JIRA, clients / "globex")
    for name in unreadable:
        (clients / name).mkdir()
        shutil.copy(JIRA / "jira_3.csv", clients / name)
    return clients


def _cannot_list(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """Listing one of ``folders`` raises EACCES, as a folder of mode 000 does for anyone
    but root (the tests run as root in CI, where the mode itself stops nothing)."""
    denied = {f.resolve() for f in folders}
    real = Path.iterdir

    def iterdir(self: Path) -> Iterator[Path]:
        if self.resolve() in denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)


def test_a_client_folder_that_cannot_be_listed_fails_that_client_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = _clients(tmp_path, "noperm")
    out = tmp_path / "out"
    out.mkdir()
    (out / "noperm.json").write_text("{}", encoding="utf-8")  # last night's report
    _cannot_list(monkeypatch, clients / "noperm")
    code, stdout, stderr = run("batch", str(clients), "-f", "json", "-o", str(out), "-j", "1")
    assert code == 2, stderr  # a client failed: exit 2, as the README says
    # the readable client was diagnosed and its report written, with the index
    assert (out / "globex.json").is_file()
    doc = json.loads((out / "index.json").read_text(encoding="utf-8"))
    rows = {row["client"]: row for row in doc["clients"]}
    assert doc["total"] == 2 and doc["failed"] == 1
    assert rows["globex"]["error"] is None and rows["globex"]["score"] is not None
    error = rows["noperm"]["error"]
    assert "could not be listed" in error and "Permission denied" in error, error
    assert rows["noperm"]["report"] is None
    assert not (out / "noperm.json").exists()  # a stale report would contradict the index
    assert "noperm" in (out / "index.md").read_text(encoding="utf-8")
    # named on stderr, in one line, and in the summary
    assert any(line.startswith("itsm-diag: error: client noperm: its folder could not be "
                               "listed") for line in stderr.splitlines()), stderr
    assert "2 clients, 1 failed" in stdout


def test_every_client_folder_unlistable_still_writes_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = tmp_path / "clients"
    for name in ("acme", "initech"):
        (clients / name).mkdir(parents=True)
        shutil.copy(JIRA / "jira_3.csv", clients / name)
    _cannot_list(monkeypatch, clients / "acme", clients / "initech")
    out = tmp_path / "out"
    # -j 2 with no client left to run: no pool of zero workers
    code, _, stderr = run("batch", str(clients), "-f", "json", "-o", str(out), "-j", "2")
    assert code == 2, stderr
    doc = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert doc["failed"] == 2
    assert all("could not be listed" in row["error"] for row in doc["clients"])


def test_an_unlistable_client_s_error_names_no_path_when_redacted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = _clients(tmp_path, "secret-client")
    out = tmp_path / "out"
    _cannot_list(monkeypatch, clients / "secret-client")
    code, _, stderr = run("batch", str(clients), "--redact", "-f", "json", "-o", str(out),
                          "-j", "1")
    assert code == 2, stderr
    text = (out / "index.json").read_text(encoding="utf-8")
    row = next(r for r in json.loads(text)["clients"] if r["client"] == "secret-client")
    assert "could not be listed" in row["error"]
    assert str(tmp_path) not in row["error"] and str(tmp_path) not in stderr


# -- 5. python -m itsm_diag.schema -----------------------------------------------------


def _schema_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 *args: str) -> tuple[int, str, str]:
    """``python -m itsm_diag.schema ARGS`` in this process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["python -m itsm_diag.schema", *args])
    monkeypatch.delitem(sys.modules, "itsm_diag.schema.__main__", raising=False)
    code: object = 0
    try:
        runpy.run_module("itsm_diag.schema", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return (0 if code is None else int(str(code))), out, err


@pytest.fixture
def package_untouched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The shipped schema file is never written (a call to :func:`schema.write` is
    recorded instead)."""
    calls: list[str] = []

    def write() -> Path:
        calls.append("write")
        return Path(schema.__file__).with_name(schema.SCHEMA_FILE)

    monkeypatch.setattr(schema, "write", write)
    yield calls


def test_schema_help_is_help_and_writes_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        package_untouched: list[str]) -> None:
    code, out, _ = _schema_main(monkeypatch, capsys, "--help")
    assert code == 0
    assert "usage:" in out and "-o FILE" in out and "--update" in out
    assert package_untouched == []


def test_schema_is_printed_by_default(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        package_untouched: list[str]) -> None:
    code, out, err = _schema_main(monkeypatch, capsys)
    assert code == 0, err
    # the model's schema, as --update writes it (test_cli checks the shipped file is it)
    assert out == schema.text()
    assert json.loads(out)["title"] == "itsm-diag report"
    assert package_untouched == []


def test_schema_output_writes_that_file_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        package_untouched: list[str]) -> None:
    target = tmp_path / "report.schema.json"
    target.write_text("old", encoding="utf-8")
    code, out, err = _schema_main(monkeypatch, capsys, "-o", str(target))
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8") == schema.text()
    assert [p.name for p in tmp_path.iterdir()] == ["report.schema.json"]  # no temp file left
    assert package_untouched == []


def test_schema_errors_are_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        package_untouched: list[str]) -> None:
    code, out, err = _schema_main(monkeypatch, capsys, "-o", str(tmp_path / "no" / "x.json"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "cannot write the schema" in err, err
    code, _, err = _schema_main(monkeypatch, capsys, "--no-such-option")
    assert code == 2 and "unrecognized arguments" in err
    code, _, err = _schema_main(monkeypatch, capsys, "-o", str(tmp_path / "x"), "--update")
    assert code == 2 and "not allowed" in err
    assert package_untouched == []


def test_schema_update_regenerates_the_shipped_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the developers' step, pointed at a copy of the package folder
    monkeypatch.setattr(schema, "__file__", str(tmp_path / "__init__.py"))
    (tmp_path / schema.SCHEMA_FILE).write_text("stale", encoding="utf-8")
    code, out, err = _schema_main(monkeypatch, capsys, "--update")
    assert code == 0, err
    assert out.strip() == str(tmp_path / schema.SCHEMA_FILE)
    assert (tmp_path / schema.SCHEMA_FILE).read_text(encoding="utf-8") == schema.text()


# -- 6. batch --help --------------------------------------------------------------------


def test_batch_help_lists_every_format_it_takes(tmp_path: Path) -> None:
    code, out, _ = run("batch", "--help")
    assert code == 0
    assert "terminal|markdown|html|json|pdf|csv" in out
    for fmt in Format:
        assert fmt.value in out.split("--output")[0], fmt
    # --fail-on in a batch is about any client, and a failed client's exit 2 wins
    assert "any client" in " ".join(out.split())
    # and csv is what it says: the batch writes each client's action list
    clients = tmp_path / "clients"
    shutil.copytree(JIRA, clients / "acme")
    code, _, err = run("batch", str(clients), "-f", "csv", "-o", str(tmp_path / "rep"),
                       "-j", "1")
    assert code == 0, err
    assert (tmp_path / "rep" / "acme.csv").is_file()
