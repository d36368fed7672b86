"""itsm-diag's own action list saved among the exports is named, not read (review 2,
item 3).

``diagnose acme -o acme/actions.csv`` is allowed (a new file), and its Ticket column of
INC numbers made every later diagnose, inspect and batch of that folder exit 2 ("missing
required ServiceNow column(s)"). A folder's file in which the tool its values point to
finds neither its ticket id nor its opened-time column is one no tool's export matches,
and is named as the README says; a real export missing one of them stays an error, and
so does any file named on the command line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"
SERVICENOW = ROOT / "samples" / "servicenow"


def cli(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    acme = tmp_path / "acme"
    acme.mkdir()
    for name in ("incident_1.csv", "incident_2.csv"):
        shutil.copy(DEMO / name, acme)
    return acme


def test_an_action_list_saved_in_the_folder_is_named_not_read(folder: Path) -> None:
    code, _, err = cli("diagnose", folder, "-o", folder / "actions.csv")
    assert code == 0, err
    assert (folder / "actions.csv").read_text(encoding="utf-8").startswith("Ticket,")
    assert "INC" in (folder / "actions.csv").read_text(encoding="utf-8")
    code, out, err = cli("diagnose", folder, "-q")
    assert code == 0, err
    assert "actions.csv was not read: this is an itsm-diag action list" in err
    code, out, err = cli("inspect", folder)
    assert code == 0, err
    assert "actions.csv was not read: this is an itsm-diag action list" in out
    # named on its own, it stays an error, saying what it is
    code, _, err = cli("diagnose", folder / "actions.csv", "-q")
    assert code == 2 and "this is an itsm-diag action list" in err


def test_a_batch_client_holding_its_action_list_is_diagnosed(tmp_path: Path,
                                                            folder: Path) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    shutil.move(str(folder), clients / "acme")
    code, _, err = cli("batch", clients, "-f", "csv", "-o", tmp_path / "out", "-j", "1")
    assert code == 0, err
    shutil.copy(tmp_path / "out" / "acme.csv", clients / "acme" / "actions.csv")
    code, out, err = cli("batch", clients, "-f", "json", "-o", tmp_path / "out2", "-j", "1")
    assert code == 0, err
    assert "0 failed" in out and "this is an itsm-diag action list" in err


def test_the_servicenow_sample_with_an_older_action_list(tmp_path: Path) -> None:
    folder = tmp_path / "sn"
    shutil.copytree(SERVICENOW, folder)
    # an older version's labels: Summary last, "Reassignments" for "Re-assigned"
    old = ("Ticket,Why,Priority,Status,Group,Assignee,Age (days),Idle (business days),Due,"
           "Due from,Reassignments,Summary\n"
           "INC0010001,overdue,1 - Critical,In Progress,Service Desk,Ana,12.0,3,"
           "2026-05-01 10:00,priority target,2,VPN down\n"
           "INC0010002,stale,3 - Moderate,New,Network,,40.0,9,,,0,printer\n")
    (folder / "actions-may.csv").write_text(old, encoding="utf-8")
    code, out, err = cli("inspect", folder)
    assert code == 0, err
    assert "actions-may.csv was not read: this is an itsm-diag action list" in out


def test_a_list_of_ticket_numbers_is_named_a_broken_export_is_still_an_error(
        folder: Path) -> None:
    notes = folder / "call-backs.csv"
    notes.write_text("Ticket,Note\nINC0010001,call back\nINC0010002,ok\n",
                     encoding="utf-8")
    code, _, err = cli("diagnose", folder, "-q")
    assert code == 0, err
    assert ("call-backs.csv was not read: no tool's export has its columns: it was taken "
            "for a ServiceNow export") in err
    # named on its own: an error, as before
    code, _, err = cli("inspect", notes)
    assert code == 2 and "missing required ServiceNow column(s)" in err
    notes.unlink()
    # a real export without its opened time is an export: reading the folder without it
    # would diagnose part of the tickets
    frame = pd.read_csv(DEMO / "problem.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=[c for c in frame.columns if c in ("opened_at", "Opened")]).to_csv(
        folder / "problem.csv", index=False)
    code, _, err = cli("inspect", folder)
    assert code == 2 and "missing required ServiceNow column(s) opened_at/Opened" in err


@pytest.mark.parametrize(("tool", "ids", "opened"), [
    ("ServiceNow", "number/Number", "opened_at/Opened"), ("Jira", "Issue key", "Created"),
    ("Zendesk", "Id", "Created at"), ("Freshservice", "Ticket Id / Change ID", "Created Time")])
def test_every_importers_no_ticket_columns_error_is_recognised(tmp_path: Path, tool: str,
                                                               ids: str, opened: str) -> None:
    """The folder rule reads require_ids' message: held to it for each importer's labels,
    and only when both columns are missing."""
    from itsm_diag.errors import InputError
    from itsm_diag.importers.base import require_ids
    from itsm_diag.importers.readers import read_raw
    from itsm_diag.importers.registry import _no_ticket_columns

    path = tmp_path / "t.csv"
    path.write_text("A,B\n1,2\n", encoding="utf-8")
    raw = read_raw(path, None)[0]
    with pytest.raises(InputError) as both:
        require_ids(raw, None, None, tool=tool, id_label=ids, opened_label=opened, hint="h")
    reason = _no_ticket_columns(both.value)
    assert reason is not None and f"neither the {ids} nor the {opened} column" in reason
    with pytest.raises(InputError) as one:
        require_ids(raw, "A", None, tool=tool, id_label=ids, opened_label=opened, hint="h")
    assert _no_ticket_columns(one.value) is None
