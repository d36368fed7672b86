"""Review 4 of a tool read through a mapping file (defects 1, 3, 4 and 5).

1. A mapping's ``time_zone`` read the times but the run counted its days in UTC: on-time
   new starters (done 08:30 Berlin time on their start day) were all reported late.
   Without ``--tz`` the days are now counted in the one zone every input was read in;
   inputs read in different zones count in UTC with a data note; ``--tz`` always wins.
3. When several mappings fitted a file, the one finding the larger share of its columns
   won (3 of 3 over 17 of 18), contrary to the README; the most columns found now wins,
   a tie on count goes to the share, and the file's warnings name the losers.
4. A strftime ``date_format`` could not read a date-only column beside date-time ones;
   the format's date part now reads it, and a format fitting neither names
   ``dayfirst``/``monthfirst`` as the alternative.
5. The shipped mappings warned about their own alternative ``values`` keys on every run.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag.cli import app
from itsm_diag.errors import DateFormatError, DetectionError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.mapping import shipped_mappings
from itsm_diag.importers.registry import load_paths
from itsm_diag.report import Report

ROOT = Path(__file__).resolve().parents[1]
DEMO_INCIDENTS = ROOT / "samples" / "demo" / "incident_1.csv"
GLPI = ROOT / "samples" / "glpi" / "tickets.csv"

_ONB_MAPPING = """tool: znuny
date_format: {date_format}
{zone}columns:
  ticket_id: Ticket#
  summary: Titel
  opened_at: Erstellt
  closed_at: Geschlossen
  status: Status
  priority: Priorität
  assignment_group: Queue
  kind: Typ
  category: Service
  start_date: Eintrittsdatum
values:
  status: {{erfolgreich geschlossen: closed}}
  kind: {{ServiceRequest: request, Incident: incident}}
"""


def _onboarding_export(folder: Path) -> Path:
    """A Znuny export: 16 weeks of three new starters each (asked on the Friday before,
    done at 08:30 Berlin time on their Monday start day) and six incidents a week."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["Ticket#;Titel;Erstellt;Geschlossen;Status;Priorität;Queue;Typ;Service;"
             "Eintrittsdatum"]
    n = 0
    monday = datetime(2025, 3, 3)
    for week in range(16):
        day = monday + timedelta(weeks=week)
        for _ in range(3):
            n += 1
            asked = day - timedelta(days=10) + timedelta(hours=10)
            lines.append(f"{n};Neuer Mitarbeiter;{asked:%d.%m.%Y %H:%M};"
                         f"{day + timedelta(hours=8, minutes=30):%d.%m.%Y %H:%M};"
                         "erfolgreich geschlossen;3 normal;Service Desk;ServiceRequest;"
                         f"Onboarding;{day:%d.%m.%Y}")
        for i in range(6):
            n += 1
            opened = day + timedelta(days=i % 5, hours=9 + i)
            lines.append(f"{n};Drucker defekt;{opened:%d.%m.%Y %H:%M};"
                         f"{opened + timedelta(hours=5):%d.%m.%Y %H:%M};erfolgreich "
                         "geschlossen;3 normal;Service Desk;Incident;Hardware;")
    path = folder / "tickets.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _onb_mapping(tmp_path: Path, date_format: str = "dayfirst",
                 zone: str | None = "Europe/Berlin") -> Path:
    path = tmp_path / "otrs_onb.yaml"
    path.write_text(_ONB_MAPPING.format(
        date_format=f'"{date_format}"', zone=f"time_zone: {zone}\n" if zone else ""),
        encoding="utf-8")
    return path


def _sign(report: Report, sign: str) -> str:
    return next(s.status for s in report.signs if s.id == sign)


# ---- 1. the mapping's time_zone is the report's zone ------------------------------------

def test_a_mappings_time_zone_counts_the_reports_days(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    mapping = _onb_mapping(tmp_path)
    plain = api.diagnose_paths([export], api.RunOptions(mapping=mapping))
    given = api.diagnose_paths([export], api.RunOptions(
        mapping=mapping, tz="Europe/Berlin", tz_given=True))
    assert plain.window.tz == "Europe/Berlin"
    # new starters set up at 08:30 Berlin time on their first day are on time
    assert _sign(plain, "onboarding") != "triggered"
    assert plain.window == given.window
    assert [(s.id, s.status) for s in plain.signs] == [(s.id, s.status) for s in given.signs]
    assert not any("time zones" in n for n in plain.data_notes)


def test_tz_given_wins_over_the_mappings_zone_even_as_utc(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    report = api.diagnose_paths([export], api.RunOptions(
        mapping=_onb_mapping(tmp_path), tz="UTC", tz_given=True))
    assert report.window.tz == "UTC"


def test_a_date_alone_in_since_is_a_day_of_the_mappings_zone(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    report = api.diagnose_paths([export], api.RunOptions(
        mapping=_onb_mapping(tmp_path), since="2025-04-01"))
    assert report.window.first_day == "2025-04-01"
    assert pd.Timestamp(report.window.start) == pd.Timestamp("2025-03-31T22:00:00Z")


def test_a_mapping_without_a_zone_counts_in_utc(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    report = api.diagnose_paths([export], api.RunOptions(
        mapping=_onb_mapping(tmp_path, zone=None)))
    assert report.window.tz == "UTC"
    assert not any("time zones" in n for n in report.data_notes)


def test_inputs_read_in_different_zones_count_in_utc_and_say_so(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    folder = tmp_path / "both"
    folder.mkdir()
    shutil.copy(export, folder / "tickets.csv")
    shutil.copy(DEMO_INCIDENTS, folder / "incident_1.csv")
    loaded = load_paths([folder], ImportOptions(), mapping=[_onb_mapping(tmp_path)])
    assert loaded.tz == "UTC"
    note = next(n for n in loaded.notes if "different time zones" in n)
    assert f"Europe/Berlin: {folder / 'tickets.csv'}" in note
    assert f"UTC: {folder / 'incident_1.csv'}" in note
    assert "pass --tz" in note
    # --tz chooses, and then there is nothing to say
    given = load_paths([folder], ImportOptions(tz="Europe/Berlin", tz_given=True),
                       mapping=[_onb_mapping(tmp_path)])
    assert given.tz == "Europe/Berlin"
    assert not any("different time zones" in n for n in given.notes)


# ---- 3. the mapping finding the most columns wins, and says over which -------------------

_SDP = ("Request ID,Subject,Created Time,Status,Priority,Group\n"
        "1,Printer,03/03/2025 09:00,Open,High,Desk\n"
        "2,Mail,04/03/2025 10:00,Closed,Low,Desk\n")


def _mapping(folder: Path, name: str, tool: str, columns: dict[str, str],
             warn: bool = False) -> Path:
    path = folder / name
    path.write_text(f"tool: {tool}\nkind: incident\ndate_format: dayfirst\n"
                    + ("missing_columns: warn\n" if warn else "") + "columns:\n"
                    + "".join(f"  {k}: {v}\n" for k, v in columns.items()),
                    encoding="utf-8")
    return path


_FEW = {"ticket_id": "Request ID", "opened_at": "Created Time", "status": "Status"}
_MANY = {**_FEW, "summary": "Subject", "priority": "Priority",
         "assignment_group": "Group", "sla_met": "SLA Violated"}


def test_the_mapping_finding_the_most_columns_wins_and_the_loser_is_named(
        tmp_path: Path) -> None:
    data = tmp_path / "requests.csv"
    data.write_text(_SDP, encoding="utf-8")
    few = _mapping(tmp_path, "sdp_min.yaml", "sdpmin", _FEW)
    many = _mapping(tmp_path, "sdp_full.yaml", "sdpfull", _MANY, warn=True)
    for order in ([few, many], [many, few]):
        loaded = load_paths([data], ImportOptions(), mapping=order)
        (source,) = loaded.sources
        assert source.tool == "sdpfull"
        assert source.warnings[0] == (
            "several mappings fit this file: sdp_full.yaml read it, finding 6 of its 7 "
            "named columns, over sdp_min.yaml 3 of its 3 named columns (the mapping "
            "finding the most of its named columns reads the file); pass only the mapping "
            "meant for it to silence this")


def test_a_tie_on_count_goes_to_the_share_and_a_tie_on_both_is_an_error(
        tmp_path: Path) -> None:
    data = tmp_path / "requests.csv"
    data.write_text(_SDP, encoding="utf-8")
    whole = _mapping(tmp_path, "a.yaml", "a", _FEW)
    part = _mapping(tmp_path, "b.yaml", "b", {**_FEW, "sla_met": "SLA Violated"}, warn=True)
    loaded = load_paths([data], ImportOptions(), mapping=[part, whole])
    assert loaded.sources[0].tool == "a"
    assert "over b.yaml 3 of its 4 named columns" in loaded.sources[0].warnings[0]
    twin = _mapping(tmp_path, "c.yaml", "c", {**_FEW})
    with pytest.raises(DetectionError, match="equally well"):
        load_paths([data], ImportOptions(), mapping=[whole, twin])


# ---- 4. a strftime date_format reads a date-only column with its date part ---------------

def test_a_strftime_date_format_reads_a_date_only_column(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    mapping = _onb_mapping(tmp_path, date_format="%d.%m.%Y %H:%M")
    loaded = load_paths([export], ImportOptions(), mapping=[mapping])
    formats = loaded.sources[0].date_formats
    assert formats["Erstellt"] == "%d.%m.%Y %H:%M"
    assert formats["Eintrittsdatum"].startswith("%d.%m.%Y (the date part of")
    starts = loaded.tickets["start_date"].dropna()
    assert len(starts) == 48
    # the day's first instant in the mapping's zone
    assert starts.min() == pd.Timestamp("2025-03-02T23:00:00Z")
    # --date-format on the command line behaves the same way
    plain = _onb_mapping(tmp_path, date_format="dayfirst")
    given = load_paths([export], ImportOptions(date_format="%d.%m.%Y %H:%M"),
                       mapping=[plain])
    assert given.tickets["start_date"].dropna().min() == starts.min()


def test_a_format_fitting_neither_names_dayfirst_and_monthfirst(tmp_path: Path) -> None:
    export = _onboarding_export(tmp_path / "onb")
    mapping = _onb_mapping(tmp_path, date_format="%m-%d-%Y %H:%M")
    with pytest.raises(DateFormatError) as caught:
        load_paths([export], ImportOptions(), mapping=[mapping])
    assert caught.value.hint is not None
    assert "date_format: dayfirst (or monthfirst)" in caught.value.hint
    with pytest.raises(DateFormatError) as caught:
        load_paths([export], ImportOptions(date_format="%m-%d-%Y %H:%M"),
                   mapping=[_onb_mapping(tmp_path)])
    assert caught.value.hint is not None
    assert "--date-format dayfirst (or monthfirst)" in caught.value.hint


# ---- 5. shipped mappings do not warn about their own alternative keys --------------------

def test_a_shipped_mapping_does_not_warn_about_its_own_keys(tmp_path: Path) -> None:
    small = tmp_path / "glpi.csv"
    small.write_text("".join(GLPI.read_text(encoding="utf-8").splitlines(True)[:30]),
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["inspect", str(small), "--mapping", "glpi"])
    assert result.exit_code == 0, result.stderr
    assert "match no value in this file" not in result.stdout
    # the same keys in a user's own copy are still checked
    own = tmp_path / "mine.yaml"
    own.write_text(shipped_mappings()["glpi"].read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["inspect", str(small), "--mapping", str(own)])
    assert result.exit_code == 0, result.stderr
    assert "warning: values.status:" in result.stdout
    assert "match no value in this file" in result.stdout
