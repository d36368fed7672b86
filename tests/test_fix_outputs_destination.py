"""An ``-o`` the report cannot be written to is refused before anything is read (review
2, item 6): ``diagnose big.csv -o missing/dir/r.json`` read and diagnosed the whole
export, then failed. As batch and ``quiz --save-answers`` already do, ``diagnose``,
``demo`` and ``compare`` check the output's folder (it exists, is a folder, can be
written) first, for every format; a PDF's browser too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag.cli import app
from itsm_diag.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "samples" / "demo" / "incident_1.csv"


def cli(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def nothing_read(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every diagnosis started (there must be none)."""
    calls: list[object] = []

    def diagnose_paths(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise RuntimeError("the export was read")

    monkeypatch.setattr(api, "diagnose_paths", diagnose_paths)
    return calls


@pytest.mark.parametrize("name", ["r.json", "r.html", "r.md", "r.csv", "r.txt"])
def test_diagnose_refuses_a_missing_folder_before_reading(
        tmp_path: Path, nothing_read: list[object], name: str) -> None:
    target = tmp_path / "no" / "such" / "dir" / name
    code, out, err = cli("diagnose", EXPORT, "-o", target)
    assert code == 2 and out == ""
    assert nothing_read == []
    (line,) = err.splitlines()
    assert line.startswith(f"itsm-diag: error: cannot write the report to {target}: No such "
                           f"file or directory (the folder {target.parent} does not exist)")


def test_demo_and_pdf_are_checked_first_too(tmp_path: Path, nothing_read: list[object],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli("demo", "-o", tmp_path / "no" / "demo.pdf")
    assert code == 2 and "does not exist" in err
    from itsm_diag import cli as cli_module

    with monkeypatch.context() as terminal:  # a PDF is refused only on a terminal
        terminal.setattr(cli_module, "_stdout_on_terminal", lambda: True)
        code, _, err = cli("diagnose", EXPORT, "-f", "pdf")
    assert code == 2 and "which a terminal cannot show" in err
    monkeypatch.setenv("ITSM_DIAG_BROWSER", str(tmp_path / "no-browser"))
    code, _, err = cli("diagnose", EXPORT, "-o", tmp_path / "r.pdf")
    assert code == 2 and "no browser at" in err
    assert nothing_read == []


def test_a_file_as_folder_a_folder_as_file_and_a_closed_descriptor(tmp_path: Path,
                                                                   nothing_read: list[object]
                                                                   ) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    code, _, err = cli("diagnose", EXPORT, "-o", plain / "r.json")
    assert code == 2 and "is not a folder" in err
    code, _, err = cli("diagnose", EXPORT, "-o", tmp_path)
    assert code == 2 and "is a folder, not a file" in err
    assert nothing_read == []
    from itsm_diag.render import check_writable

    with pytest.raises(UsageError, match="file descriptor 987 is not open"):
        check_writable(Path("/dev/fd/987"))


def test_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        from itsm_diag.render import check_writable

        if os.access(locked, os.W_OK):
            pytest.skip("running as root: every folder is writable")
        with pytest.raises(UsageError, match="is not writable"):
            check_writable(locked / "r.json")
    finally:
        locked.chmod(0o700)


def test_compare_checks_its_output_before_reading(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old.json"
    shutil.copy(ROOT / "samples" / "demo" / "incident_1.csv", old)  # not even a report
    monkeypatch.setattr(api, "load_report", lambda *a: (_ for _ in ()).throw(
        RuntimeError("the reports were read")))
    code, _, err = cli("compare", old, old, "-o", tmp_path / "no" / "c.md")
    assert code == 2 and "does not exist" in err and "were read" not in err


def test_a_writable_destination_passes(tmp_path: Path) -> None:
    from itsm_diag.render import check_writable

    check_writable(tmp_path / "r.json")
    check_writable(Path("/dev/null"))
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "sub" / "r.json")  # its folder is the one that must exist
    with pytest.raises(UsageError, match="sub does not exist"):
        check_writable(link)
    (tmp_path / "sub").mkdir()
    check_writable(link)
