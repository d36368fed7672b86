"""Freshservice importer: tickets and changes, translated headers, CSV = XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag import synth
from itsm_diag.importers.base import ImportOptions, fold_name
from itsm_diag.importers.freshservice import HEADERS
from itsm_diag.importers.registry import load_paths
from itsm_diag.writers.freshservice import freshservice_id, write_freshservice

FIX = Path(__file__).parent / "fixtures" / "freshservice"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def load(*paths: Path) -> pd.DataFrame:
    return load_paths(list(paths), ImportOptions()).tickets


def test_english_tickets_known_answers() -> None:
    loaded = load_paths([FIX / "tickets_en.csv"], ImportOptions())
    assert loaded.sources[0].tool == "freshservice" and loaded.sources[0].table == "tickets"
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t.index) == ["INC-101", "SR-102", "INC-103", "INC-104"]  # "#" dropped
    assert list(t[m.KIND]) == ["incident", "request", "incident", "incident"]
    assert list(t[m.STATUS]) == ["closed", "open", "resolved", "pending"]
    assert list(t[m.PRIORITY]) == [2, 3, 1, 4]  # High, Medium, Urgent, Low
    assert list(t[m.CHANNEL]) == ["phone", "portal", "email", "walk_in"]
    assert list(t[m.SLA_MET].astype(object).where(t[m.SLA_MET].notna(), None)) == [
        True, None, False, None]
    a = t.loc["INC-101"]
    assert a[m.OPENED_AT] == ts("2026-03-13 08:00")
    assert a[m.RESOLVED_AT] == ts("2026-03-13 10:30")
    assert a[m.CLOSED_AT] == ts("2026-03-14 09:00")
    assert a[m.DUE_AT] == ts("2026-03-13 16:00")
    assert a[m.FIRST_RESPONSE_AT] == ts("2026-03-13 08:20")
    assert a[m.SUBCATEGORY] == "VPN / Client" and a[m.CATEGORY] == "Network"
    assert a[m.ASSIGNEE] == "Kim Lee" and a[m.ASSIGNMENT_GROUP] == "Network Team"
    assert a[m.TIME_SPENT_HOURS] == 1.5
    assert t.loc["SR-102", m.REQUESTER] == "ann@example.com"  # no name: the e-mail
    assert pd.isna(t.loc["SR-102", m.ASSIGNEE])
    c = t.loc["INC-103"]
    assert c[m.SUMMARY] == "Outlook crashes\nwhen opening attachments"
    # no Initial Response Time: created + "58:22:50" hours
    assert c[m.FIRST_RESPONSE_AT] == ts("2026-03-17 22:07:50")
    assert c[m.LABELS] == "outlook;crash"
    assert t.loc["INC-104", m.FIRST_RESPONSE_AT] == ts("2026-03-16 15:00")


def test_whole_hours_beside_clock_hours() -> None:
    # every decimal value whole ("2") beside a clock value ("01:30"): to_numeric's Int64
    # filled with 1.5 raised a TypeError out of the importer (found by a test below)
    from itsm_diag.importers.freshservice import _hours

    got = _hours(pd.Series(["2", "01:30", None, "58:22:50"], dtype=m.STRING_DTYPE))
    assert got.tolist() == [2.0, 1.5, pd.NA, 58 + 22 / 60 + 50 / 3600]


def test_hours_that_are_not_durations_are_left_empty_and_counted(tmp_path: Path) -> None:
    # a first response -5 hours after creation, or -2 hours tracked, is not a duration
    with (FIX / "tickets_en.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    first = rows[0].index("First Response Time (in hrs)")
    tracked = rows[0].index("Time tracked")
    rows[3][first], rows[1][tracked] = "-5", "-2"  # INC-103 (no Initial Response), INC-101
    path = tmp_path / "tickets.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert pd.isna(t.loc["INC-103", m.FIRST_RESPONSE_AT])
    assert pd.isna(t.loc["INC-101", m.TIME_SPENT_HOURS])
    said = loaded.sources[0].warnings
    assert ("first response time: 1 ticket with values that are not durations, left "
            "empty: '-5' (1)") in said
    assert ("time spent: 1 ticket with values that are not durations, left empty: "
            "'-2' (1)") in said


def test_changes_known_answers() -> None:
    loaded = load_paths([FIX / "changes_en.csv"], ImportOptions())
    assert loaded.sources[0].table == "changes"
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t.index) == ["CHN-7", "CHN-8", "CHN-9", "CHN-10"]
    assert set(t[m.KIND]) == {"change"}
    # Minor (CHN-10) is normal: only Standard is pre-approved (review 21b, defect 6)
    assert list(t[m.CHANGE_TYPE]) == ["normal", "standard", "emergency", "normal"]
    assert list(t[m.STATUS]) == ["closed", "open", "pending", "new"]
    assert list(t[m.PRIORITY]) == [2, 4, 1, 4]
    assert t.loc["CHN-7", m.PLANNED_START] == ts("2026-03-20 20:00")
    assert t.loc["CHN-7", m.PLANNED_END] == ts("2026-03-20 23:00")
    assert t.loc["CHN-7", m.CLOSED_AT] == ts("2026-03-21 09:00")
    assert pd.isna(t.loc["CHN-10", m.PLANNED_START])


def _translate(src: Path, dest: Path, language: str) -> Path:
    """``src`` with every English header replaced by its ``language`` translation."""
    english = {fold_name(n): f for f, langs in HEADERS.items() for n in langs["en"]}
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[0] = [HEADERS[english[fold_name(h)]][language][0] for h in rows[0]]
    with dest.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return dest


@pytest.mark.parametrize("language", ["es", "fr", "de"])
@pytest.mark.parametrize("name", ["tickets_en.csv", "changes_en.csv"])
def test_translated_headers_import_to_the_same_table(tmp_path: Path, language: str,
                                                     name: str) -> None:
    translated = _translate(FIX / name, tmp_path / f"{language}.csv", language)
    header = translated.read_text(encoding="utf-8").splitlines()[0]
    assert "Subject" not in header  # really translated
    expected = load(FIX / name).drop(columns=[m.SOURCE_FILE])
    got = load(translated).drop(columns=[m.SOURCE_FILE])
    pd.testing.assert_frame_equal(got, expected)


def test_german_headers_and_values_known_answers() -> None:
    t = load(FIX / "tickets_de_values.csv").set_index(m.TICKET_ID)
    assert list(t[m.KIND]) == ["incident", "request", "incident"]
    assert list(t[m.STATUS]) == ["resolved", "open", "closed"]
    assert list(t[m.PRIORITY]) == [2, 4, 1]
    assert list(t[m.CHANNEL]) == ["phone", "portal", "email"]
    assert t.loc["INC-201", m.SLA_MET] and not t.loc["INC-203", m.SLA_MET]
    assert t.loc["INC-201", m.OPENED_AT] == ts("2026-03-02 08:00")
    assert t.loc["INC-201", m.RESOLVED_AT] == ts("2026-03-02 12:00")
    assert t.loc["SR-202", m.REQUESTER] == "Ann Vogel"


def test_numeric_api_codes_decode(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("Ticket Id,Status,Priority,Source,Created Time,Resolution Status,Due by Time\n"
                    "1,2,4,Email,2026-03-02 08:00:00,Within SLA,2026-03-03 08:00:00\n"
                    "2,5,1,Phone,2026-03-13 08:00:00,SLA Violated,2026-03-14 08:00:00\n")
    t = load(path).set_index(m.TICKET_ID)
    assert list(t[m.STATUS]) == ["open", "closed"]
    assert list(t[m.PRIORITY]) == [1, 4]  # Freshservice 4 = Urgent, 1 = Low


@pytest.fixture(scope="module")
def world() -> synth.Synthetic:
    return synth.generate(400, seed=5)


def test_csv_and_xlsx_import_to_the_same_table(tmp_path: Path, world: synth.Synthetic) -> None:
    pytest.importorskip("openpyxl")
    csv_files = write_freshservice(world.tickets, tmp_path / "csv", fmt="csv")
    xlsx_files = write_freshservice(world.tickets, tmp_path / "xlsx", fmt="xlsx")
    a = load(*csv_files).drop(columns=[m.SOURCE_FILE])
    b = load(*xlsx_files).drop(columns=[m.SOURCE_FILE])
    pd.testing.assert_frame_equal(a, b)


def test_written_export_carries_the_source_values(tmp_path: Path,
                                                  world: synth.Synthetic) -> None:
    got = load(*write_freshservice(world.tickets, tmp_path, language="de")).set_index(
        m.TICKET_ID)
    src = world.tickets[world.tickets[m.KIND].isin(["incident", "request", "change"])].copy()
    src[m.TICKET_ID] = freshservice_id(src[m.TICKET_ID])
    src = src.set_index(m.TICKET_ID).loc[got.index]
    for col in (m.KIND, m.SUMMARY, m.ASSIGNMENT_GROUP, m.ASSIGNEE, m.CATEGORY, m.CHANNEL,
                m.SLA_MET):
        pd.testing.assert_series_equal(got[col], src[col], check_names=False,
                                       check_categorical=False, obj=col)
    for col in (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT, m.DUE_AT, m.PLANNED_START):
        pd.testing.assert_series_equal(got[col], src[col].dt.floor("s"), check_names=False,
                                       obj=col)
    incidents = src[m.KIND] == "incident"
    assert (got.loc[incidents, m.STATUS].astype(object).replace("new", "open")
            == src.loc[incidents, m.STATUS].astype(object).replace("new", "open")).all()
    changes = src[m.KIND] == "change"
    assert (got.loc[changes, m.CHANGE_TYPE].astype(object)
            == src.loc[changes, m.CHANGE_TYPE].astype(object)).all()
