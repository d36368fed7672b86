"""A flag or count with one value on every ticket is the tool's default, not a measurement.

ServiceNow writes ``made_sla`` true when no SLA is attached and leaves a reassignment or
reopen count at 0 where nobody tracks it. An export holding those values on every ticket
read as SLA adherence 100% and first-assignment resolution 100%, and cleared
sla-by-priority and routing with high confidence, while a quarter of its done tickets
were resolved after their own due time. Such a column is read as not filled, once the
inputs are combined, with one data note per column in numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.config import load_rules
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import combine, load_paths
from itsm_diag.text import fmt
from shapes import closed_incident, write_csv

HEADER = ["number", "short_description", "state", "priority", "category", "assignment_group",
          "caller_id", "contact_type", "opened_at", "resolved_at", "closed_at",
          "sys_updated_on", "due_date", "reassignment_count", "reopen_count", "made_sla"]
START = pd.Timestamp("2026-01-05 09:00")


def write_incidents(path: Path, n: int, *, sla: object = "true", reassign: object = "0",
                    reopen: object = "0", due: bool = True, odd: dict[str, str] | None = None
                    ) -> Path:
    """``n`` closed incidents over ten weeks, every fourth resolved after its due time
    (``due``: the export has a due_date). ``sla``, ``reassign``, ``reopen``: the value on
    every ticket, or a function of the ticket's number; ``odd``: values on the last
    ticket only."""
    rows = []
    for i in range(n):
        opened = START + pd.Timedelta(hours=7 * i)
        resolved = opened + pd.Timedelta(hours=30 if i % 4 == 0 else 6)
        row = closed_incident(
            i, opened, resolved, urgent=i % 5 == 0,
            reassignment_count=reassign(i) if callable(reassign) else reassign,
            reopen_count=reopen(i) if callable(reopen) else reopen,
            made_sla=sla(i) if callable(sla) else sla)
        if not due:
            row["due_date"] = ""
        if odd and i == n - 1:
            row.update(odd)
        rows.append(row)
    return write_csv(path, HEADER, rows)


def default_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if "tickets that carry it" in n]


def test_constant_flag_and_counts_are_read_as_not_filled(tmp_path: Path) -> None:
    path = write_incidents(tmp_path / "incident.csv", 300)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    for column in (m.SLA_MET, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT):
        assert t[column].isna().all(), column
        assert t[column].dtype == m.ticket_dtypes()[column]  # still the canonical dtype
    assert t[m.DUE_AT].notna().all() and t[m.PRIORITY].notna().all()  # others untouched
    notes = default_notes(loaded.notes)
    assert len(notes) == 3
    sla, reassign, reopen = notes
    # the export's own header, the value and the count, in numbers
    # the file named too: each table is judged on its own (review 22a)
    assert sla.startswith("made_sla in incident.csv is true on all 300 tickets that carry "
                          "it: one value on 200 or more tickets is the tool's default")
    assert "SLA adherence is read from the due times instead (300 tickets carry one)" in sla
    assert reassign.startswith("reassignment_count in incident.csv is 0 on all 300 tickets")
    assert "First-assignment resolution is not reported" in reassign
    assert reopen.startswith("reopen_count in incident.csv is 0 on all 300 tickets")


def test_notes_are_worded_by_the_rules_file(tmp_path: Path) -> None:
    """The sentences come from rules/defaults.yaml's wording, filled with the numbers."""
    path = write_incidents(tmp_path / "incident.csv", 250, due=False)
    notes = default_notes(load_paths([path], ImportOptions()).notes)
    words = load_rules().defaults.wording
    column = fmt(words["export_default.in_files"], {"column": "made_sla",
                                                     "files": "incident.csv"})
    values = {"column": column, "value": "true", "count": 250, "min": 200, "due": 0,
              "others": 0}
    effect = fmt(words["export_default.sla_met"], values)  # no due times: the other sentence
    assert notes[0] == fmt(words["export_default"], {**values, "effect": effect})
    assert "the export holds no due times either" in notes[0]


def test_a_configs_wording_reaches_the_loaders_notes(tmp_path: Path) -> None:
    # the loader worded its notes from the shipped rules, loaded again (an override of
    # export_default or date_only in --config passed validation and did nothing)
    write_incidents(tmp_path / "incident.csv", 250, due=False)
    config = tmp_path / "words.yaml"
    config.write_text("defaults:\n  wording:\n    export_default: 'DEFAULT {column} "
                      "{count}: {effect}'\n", encoding="utf-8")
    report = api.diagnose_paths([tmp_path / "incident.csv"],
                                api.RunOptions(config_file=config))
    assert any(n.startswith("DEFAULT made_sla in incident.csv 250: ")
               for n in report.data_notes), \
        report.data_notes


def test_the_diagnosis_takes_the_field_missing_paths(tmp_path: Path) -> None:
    """SLA adherence from the due times (75%, not the flag's 100%), no first-assignment
    resolution, routing and reopens unknown with their own words; sla-by-priority reads
    the same due times as the KPI (one SLA outcome per ticket), never the default flag."""
    write_incidents(tmp_path / "incident.csv", 300)
    report = api.diagnose_paths([tmp_path], api.RunOptions())
    assert report.kpis.first_assignment_resolution is None
    assert report.kpis.sla_adherence == pytest.approx(0.75, abs=0.02)
    checks = {c.id: c for c in report.checks}
    for check in ("routing", "reopens"):
        assert checks[check].status == "unknown", check
    sla = checks["sla-by-priority"]
    counts = report.kpis.counts["sla_adherence"]
    assert sla.status != "unknown"
    overall = sla.metrics["overall_adherence"]
    assert (overall.numerator, overall.denominator) == (counts["numerator"],
                                                        counts["denominator"])
    reporting = next(s for s in report.signs if s.id == "reporting")
    # the reassignment count: a column the export has, filled with one value (signs.md
    # S3: a field that exists but is junk is a configuration gap; review 12)
    assert reporting.metrics["configuration_gaps"].value == 1
    assert reporting.metrics["capability_gaps"].value == 0
    assert len(default_notes(report.data_notes)) == 3


def test_inspect_shows_the_notes(tmp_path: Path) -> None:
    write_incidents(tmp_path / "incident.csv", 300)
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "note: made_sla in incident.csv is true on all 300 tickets that carry it" \
        in result.output
    assert "note: reassignment_count in incident.csv is 0 on all 300 tickets" in result.output


@pytest.mark.parametrize("case", ["too_few", "one_differs"])
def test_a_measurement_is_kept(tmp_path: Path, case: str) -> None:
    """Fewer tickets than the minimum (200), or one ticket with another value, is no
    default."""
    if case == "too_few":
        path = write_incidents(tmp_path / "incident.csv", 199)  # tooldefaults.MIN_TICKETS - 1
    else:
        path = write_incidents(tmp_path / "incident.csv", 300,
                               odd={"made_sla": "false", "reassignment_count": "2",
                                    "reopen_count": "1"})
    loaded = load_paths([path], ImportOptions())
    assert default_notes(loaded.notes) == []
    for column in (m.SLA_MET, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT):
        assert loaded.tickets[column].notna().all(), column


def test_only_the_constant_column_goes_and_blanks_do_not_count(tmp_path: Path) -> None:
    """A varied count stays; a flag filled on 210 tickets (blank on the rest), all
    true, is the default; the count is of the tickets that carry it."""
    path = write_incidents(tmp_path / "incident.csv", 300,
                           sla=lambda i: "true" if i < 210 else "",
                           reassign=lambda i: str(i % 3), reopen=lambda i: str(int(i % 20 == 0)))
    loaded = load_paths([path], ImportOptions())
    notes = default_notes(loaded.notes)
    assert len(notes) == 1 and notes[0].startswith(
        "made_sla in incident.csv is true on all 210 tickets")
    assert loaded.tickets[m.SLA_MET].isna().all()
    assert loaded.tickets[m.REASSIGNMENT_COUNT].notna().all()
    assert loaded.tickets[m.REOPEN_COUNT].notna().all()


def test_checked_over_every_input_combined(tmp_path: Path) -> None:
    """Two chunks of one export: each half holds 150 (under the minimum), together 300:
    the chunks of one table are judged together (and named)."""
    whole = write_incidents(tmp_path / "whole.csv", 300)
    rows = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(rows[:151]), encoding="utf-8")
    (tmp_path / "b.csv").write_text(rows[0] + "".join(rows[151:]), encoding="utf-8")
    whole.unlink()
    loaded = load_paths([tmp_path], ImportOptions())
    assert len(loaded.tickets) == 300
    assert [n.split(":")[0] for n in default_notes(loaded.notes)] == [
        "made_sla in a.csv, b.csv is true on all 300 tickets that carry it",
        "reassignment_count in a.csv, b.csv is 0 on all 300 tickets that carry it",
        "reopen_count in a.csv, b.csv is 0 on all 300 tickets that carry it"]


def test_the_frame_passed_in_is_left_alone() -> None:
    from itsm_diag.importers import tooldefaults

    n = 250
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: pd.array([f"T{i}" for i in range(n)], dtype=m.STRING_DTYPE),
        m.REOPEN_COUNT: pd.array([3] * n, dtype="Int32"),
    }))
    out, notes = tooldefaults.read_as_unset(tickets, ImportOptions().words)
    # no header known (a count an importer derived): the canonical name
    assert notes[0].startswith("reopen_count is 3 on all 250 tickets")
    assert out[m.REOPEN_COUNT].isna().all()
    assert tickets[m.REOPEN_COUNT].eq(3).all()


def test_combine_reads_defaults_for_every_importer() -> None:
    """combine is where every importer's tickets meet: the check runs there."""
    from itsm_diag.importers.base import Imported, SourceInfo

    n = 220
    tickets = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: pd.array([f"T{i}" for i in range(n)], dtype=m.STRING_DTYPE),
        m.SLA_MET: pd.array([False] * n, dtype="boolean"),
    }))
    info = SourceInfo(path="x.csv", tool="jira", table="issues", rows=n, tickets=n,
                      confidence=1.0, detected_by="test", encoding=None, delimiter=None,
                      date_formats={}, column_map={m.SLA_MET: "SLA breached?"}, warnings=[])
    loaded = combine([Imported(tickets=tickets, events=m.empty_events(), info=info)])
    assert loaded.tickets[m.SLA_MET].isna().all()
    assert default_notes(loaded.notes)[0].startswith(
        "SLA breached? is false on all 220 tickets that carry it")


def test_shipped_samples_keep_their_fields() -> None:
    """The demo's flags and counts vary: nothing is read as a default there."""
    loaded = load_paths([api.demo_dir()], ImportOptions())
    assert default_notes(loaded.notes) == []
    for column in (m.SLA_MET, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT):
        assert loaded.tickets[column].notna().any(), column
