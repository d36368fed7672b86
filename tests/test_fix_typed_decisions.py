"""Decisions made on typed data, not on an error's wording; one check per kind of output.

- A folder's file in which the detected tool finds neither its ticket id nor its
  opened-time column is named in a note (``holds no tickets``): decided on the
  :class:`MissingColumns` ``require_ids`` raises, not by a regex over its message.
- A date-format hint that would send the user in a circle (``pass --date-format`` when
  they passed one; ``check --date-format`` when the format came from a mapping) is
  re-worded on the :class:`DateFormatError`'s ``remedy``, not by matching its hint.
- ``quiz --save-answers`` is checked by the report's own output check
  (:func:`itsm_diag.render.check_writable`): a "folder" that is a file is said to be one.
- ``diagnose``'s early check and its writer share one PDF check (``cli._pdf_target``).

Each decision is held with every error's message and hint re-worded: the old code, which
read the wording, let the folder's file stop the run and left the circular hints as they
were.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app
from itsm_diag.errors import DateFormatError, ItsmDiagError, UsageError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"
GLPI = ROOT / "samples" / "glpi" / "tickets.csv"


@pytest.fixture
def reworded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every error's message and hint worded differently (as a future edit may)."""
    original = ItsmDiagError.__init__

    def init(self: ItsmDiagError, message: str, **kw: Any) -> None:
        if kw.get("hint"):
            kw["hint"] = f"(reworded) {kw['hint']} (reworded)"
        original(self, f"(reworded) {message}", **kw)

    monkeypatch.setattr(ItsmDiagError, "__init__", init)


def test_a_file_of_ticket_numbers_in_a_folder_is_named_whatever_the_wording(
        tmp_path: Path, reworded: None) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    shutil.copy(DEMO / "incident_1.csv", folder)
    (folder / "call-backs.csv").write_text("Ticket,Note\nINC0010001,call back\n"
                                           "INC0010002,ok\n", encoding="utf-8")
    loaded = load_paths([folder], ImportOptions())
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert reasons["call-backs.csv"] == (
        "no tool's export has its columns: it was taken for a ServiceNow export, but it has "
        "neither the number/Number nor the opened_at/Opened column, so it holds no tickets "
        "to read; if it is an export, export it again with those columns")
    assert len(loaded.tickets) > 0


def test_a_given_format_the_values_do_not_fit_is_named_whatever_the_wording(
        reworded: None) -> None:
    given = "%d.%m.%Y %H:%M"
    with pytest.raises(DateFormatError) as caught:
        load_paths([DEMO / "incident_1.csv"], ImportOptions(date_format=given))
    assert caught.value.hint == (
        f"check --date-format {given!r} against these values, or give --date-format "
        "dayfirst (or monthfirst) to have each column's format inferred in that order, "
        "date-only columns too, or leave it out to have each column's format inferred")
    assert caught.value.remedy == "check"


@pytest.mark.parametrize("given", ["%Y/%m/%d %H:%M", "monthfirst"])
def test_a_mappings_format_the_values_do_not_fit_is_named_whatever_the_wording(
        tmp_path: Path, reworded: None, given: str) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tool: mytool\ncolumns:\n  ticket_id: ID\n  opened_at: Opening date\n"
                       f"date_format: '{given}'\nkind: incident\n", encoding="utf-8")
    with pytest.raises(DateFormatError) as caught:
        load_paths([GLPI], ImportOptions(), mapping=[mapping])
    # a strftime format names the alternative (an order to infer each column's format by)
    alternative = ("" if given == "monthfirst" else
                   ", or set date_format: dayfirst (or monthfirst) to have each column's "
                   "format inferred in that order, date-only columns too")
    assert caught.value.hint == (
        f"check date_format {given!r} in m.yaml against these values{alternative} "
        "(--date-format overrides it)")
    assert caught.value.remedy == "check"


def test_the_hints_are_unchanged_with_the_shipped_wording(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tool: mytool\ncolumns:\n  ticket_id: ID\n  opened_at: Opening date\n"
                       "date_format: monthfirst\nkind: incident\n", encoding="utf-8")
    with pytest.raises(DateFormatError) as caught:
        load_paths([GLPI], ImportOptions(), mapping=[mapping])
    assert caught.value.hint == ("check date_format 'monthfirst' in m.yaml against these "
                                 "values (--date-format overrides it)")
    # the same values with --date-format: the command line is named
    with pytest.raises(DateFormatError) as caught:
        load_paths([GLPI], ImportOptions(date_format="monthfirst"), mapping=[mapping])
    assert caught.value.hint == "check --date-format"
    # a format the values do not fit, passed on the command line to a mapping's file
    with pytest.raises(DateFormatError) as caught:
        load_paths([GLPI], ImportOptions(date_format="%Y/%m/%d"), mapping=[mapping])
    assert caught.value.hint == (
        "check --date-format '%Y/%m/%d' against these values, or give --date-format "
        "dayfirst (or monthfirst) to have each column's format inferred in that order, "
        "date-only columns too, or leave it out to have each column's format inferred")


def quiz(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["quiz", *(str(a) for a in args)], input="")
    return result.exit_code, result.stdout, result.stderr


def test_quiz_refuses_a_save_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    target = tmp_path / "notes.txt" / "answers.yaml"
    code, out, err = quiz("--save-answers", target)
    assert code == 2 and "?" not in out  # before the first question
    assert " ".join(err.split()) == (
        f"itsm-diag: error: cannot save the answers to {target}: Not a directory (the "
        f"folder {tmp_path / 'notes.txt'} is not a folder). check that the folder exists "
        "and is writable, or save the answers elsewhere.")


def test_quiz_refuses_a_descriptor_that_is_not_open() -> None:
    code, out, err = quiz("--save-answers", "/dev/fd/987")
    assert code == 2 and "?" not in out
    assert "cannot save the answers to /dev/fd/987: file descriptor 987 is not open" in err


def test_quiz_keeps_its_words_for_a_folder_given_as_the_file(tmp_path: Path) -> None:
    code, _, err = quiz("--save-answers", tmp_path)
    assert code == 2
    assert " ".join(err.split()) == (f"itsm-diag: error: --save-answers {tmp_path} is a "
                                     "folder, not a file. give a file name such as "
                                     "answers.yaml.")


def test_the_early_check_and_the_writer_share_the_pdf_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm_diag import cli
    from itsm_diag.cli import Format

    calls: list[tuple[Path | None, Path | None]] = []

    def spy(output: Path | None, browser: Path | None) -> tuple[Path, Path]:
        calls.append((output, browser))
        raise UsageError("spied")

    monkeypatch.setattr(cli, "_pdf_target", spy)
    out, browser = tmp_path / "r.pdf", tmp_path / "chrome"
    with pytest.raises(UsageError, match="spied"):
        cli._check_destination(Format.pdf, out, browser)
    with pytest.raises(UsageError, match="spied"):
        cli._emit(cast(Any, None), Format.pdf, out, browser=browser)
    assert calls == [(out, browser), (out, browser)]


def test_a_pdf_to_the_terminal_is_refused_in_the_same_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the diagnosis and after it, the same words (review 14a: a PDF to a
    redirected standard output is written; only a terminal is refused)."""
    from itsm_diag import cli
    from itsm_diag.cli import Format

    monkeypatch.setattr(cli, "_stdout_on_terminal", lambda: True)
    for check in (lambda: cli._check_destination(Format.pdf, None, None),
                  lambda: cli._emit(cast(Any, None), Format.pdf, None)):
        with pytest.raises(UsageError) as caught:
            check()
        assert caught.value.one_line() == (
            "--format pdf writes a binary file, which a terminal cannot show. add -o "
            "REPORT.pdf, or redirect standard output to a file (> REPORT.pdf).")
