"""Review 12 (time and the calendar), items 3 and 4: date forms that were refused.

3. Naive ISO 8601 times (``2026-06-01T08:00:00``, ``2026-01-05 09:18:20.123``) were
   refused although ``--since``/``--until`` take that form; a workbook whose date cells
   carry milliseconds mixes ``.ffffff`` and whole seconds in one column, and neither
   inference nor either ``--date-format`` read it.
4. Errors whose hint could not work: Spanish, Dutch and German 12-hour markers
   (``a. m.``, ``a.m.``, ``vorm.``), Unix times through a mapping, zero dates
   (``0000-00-00``) that failed the run where ``1900-01-01`` is left empty.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag.errors import DateFormatError
from itsm_diag.importers import dates
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

_SN = ["Number", "Short description", "State", "Opened", "Resolved"]


def _times(n: int = 200) -> list[tuple[datetime, datetime]]:
    """Opened and resolved times (UTC wall clock), some on a whole second, most with
    milliseconds, day-of-month above 12 and below it."""
    start = datetime(2026, 1, 5, 0, 0, 29, 379000)
    out = []
    for i in range(n):
        opened = start + timedelta(hours=7.3 * i, microseconds=(i % 5 == 0) * -379000)
        resolved = opened + timedelta(hours=3 + i % 11, minutes=i % 50,
                                      microseconds=137000 * (i % 3))
        out.append((opened, resolved))
    return out


def _write_sn(path: Path, form: str, n: int = 200) -> Path:
    def f(t: datetime) -> str:
        if form == "T":
            return t.strftime("%Y-%m-%dT%H:%M:%S")
        if form == "T-min":
            return t.strftime("%Y-%m-%dT%H:%M")
        # as datetime.isoformat(" "): a fraction only where there is one
        return t.isoformat(" ")

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_SN)
        for i, (opened, resolved) in enumerate(_times(n)):
            w.writerow([f"INC{i + 1:07d}", "VPN down", "Resolved", f(opened), f(resolved)])
    return path


def _expected(which: int, form: str = "", tz: str = "UTC") -> list[pd.Timestamp]:
    out = []
    for t in (pair[which] for pair in _times()):
        if form == "T":
            t = t.replace(microsecond=0)
        elif form == "T-min":
            t = t.replace(second=0, microsecond=0)
        out.append(pd.Timestamp(t).tz_localize(tz).tz_convert("UTC"))
    return out


@pytest.mark.parametrize("form", ["T", "T-min", "fraction"])
def test_naive_iso_times_are_read_without_a_flag(tmp_path: Path, form: str) -> None:
    path = _write_sn(tmp_path / f"{form}.csv", form)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.sort_values(m.TICKET_ID)
    assert list(t[m.OPENED_AT]) == _expected(0, form)
    assert list(t[m.RESOLVED_AT]) == _expected(1, form)
    # read in --tz, as every time without its offset
    berlin = load_paths([path], ImportOptions(tz="Europe/Berlin", tz_given=True))
    t = berlin.tickets.sort_values(m.TICKET_ID)
    assert list(t[m.OPENED_AT]) == _expected(0, form, "Europe/Berlin")


def test_the_day_month_order_and_its_refusal_are_unchanged() -> None:
    # an ISO column beside an ambiguous day/month column: the ISO form decides nothing
    iso = pd.Series(["2026-01-05T09:18:20", "2026-02-03T10:00:00"] * 20)
    ambiguous = pd.Series(["05/01/2026 09:18", "03/02/2026 10:00"] * 20)
    with pytest.raises(DateFormatError, match="day-first or month-first"):
        dates.infer_formats({"a": iso, "b": ambiguous}, Path("x.csv"))
    got = dates.infer_formats({"a": iso, "b": ambiguous}, Path("x.csv"), "dayfirst")
    assert got["a"].format == dates.ISO_NAIVE
    assert got["b"].format == "%d/%m/%Y %H:%M"
    # a whole-second column keeps its strftime format (and its fast path)
    plain = pd.Series(["2026-01-05 09:18:20", "2026-01-13 10:00:00"] * 20)
    assert dates.infer_formats({"p": plain}, Path("x.csv"))["p"].format == "%Y-%m-%d %H:%M:%S"


def test_a_column_mixing_offsets_and_none_is_still_the_error_that_says_so(
        tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_SN)
        for i in range(40):
            opened = f"2026-06-{1 + i % 20:02d}T08:{i:02d}:00" + ("+02:00" if i % 2 else "")
            w.writerow([f"INC{i}", "x", "Resolved", opened, "2026-06-25T13:00:00"])
    with pytest.raises(DateFormatError, match="carry a UTC offset"):
        load_paths([path], ImportOptions())


def _workbook(path: Path) -> Path:
    """Date cells with milliseconds, 1 in 5 on a whole second: the reader writes
    ``.ffffff`` only on the others, so one column holds both forms."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(_SN)
    for i, (opened, resolved) in enumerate(_times()):
        ws.append([f"INC{i + 1:07d}", "VPN down", "Resolved", opened, resolved])
    wb.save(path)
    return path


@pytest.mark.parametrize("given", [None, "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"])
def test_a_workbook_of_millisecond_date_cells_is_read(tmp_path: Path,
                                                      given: str | None) -> None:
    path = _workbook(tmp_path / "ms.xlsx")
    loaded = load_paths([path], ImportOptions(date_format=given))
    t = loaded.tickets.sort_values(m.TICKET_ID)
    assert list(t[m.OPENED_AT]) == _expected(0)
    assert list(t[m.RESOLVED_AT]) == _expected(1)
    assert not loaded.sources[0].warnings


# ---- 4. hints that could not work -------------------------------------------------------

#: 12-hour markers as Java writes them: Spanish (CLDR ``a. m.``, its space a no-break one
#: in newer data), Dutch and Latin American Spanish ``a.m.``, German (older JRE) ``vorm.``
MARKERS = {"es": ("a. m.", "p. m."), "es_nbsp": ("a.\u202fm.", "p.\u202fm."),
           "nl": ("a.m.", "p.m."), "de": ("vorm.", "nachm.")}
_JIRA = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority",
         "Resolution", "Created", "Updated", "Resolved"]
_ES_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov",
              "dic"]


@pytest.mark.parametrize("language", sorted(MARKERS))
def test_12_hour_markers_of_other_languages_are_read(tmp_path: Path, language: str) -> None:
    am, pm = MARKERS[language]

    def f(t: datetime) -> str:  # Jira's default dd/MMM/yy h:mm a in that language
        return (f"{t:%d}/{_ES_MONTHS[t.month - 1]}/{t:%y} {(t.hour % 12) or 12}:{t:%M} "
                + (am if t.hour < 12 else pm))

    path = tmp_path / f"{language}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_JIRA)
        for i, (opened, resolved) in enumerate(_times()):
            w.writerow(["VPN down", f"IT-{i + 1}", str(i + 1), "Incident", "Resolved",
                        "Medium", "Done", f(opened), f(resolved), f(resolved)])
    t = load_paths([path], ImportOptions()).tickets.sort_values(m.OPENED_AT)
    assert list(t[m.OPENED_AT]) == [x.floor("min") for x in _expected(0)]
    assert sorted(t[m.RESOLVED_AT]) == sorted(x.floor("min") for x in _expected(1))


_MAPPING = """tool: mytool
columns:
  ticket_id: [Key]
  opened_at: [Created]
  resolved_at: [Resolved]
  status: [Status]
  summary: [Title]
  kind: [Type]
values:
  status: {Open: open, Done: resolved}
  kind: {Incident: incident}
"""


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_unix_times_through_a_mapping_are_read(tmp_path: Path, unit: str) -> None:
    scale = 1000 if unit == "ms" else 1
    rows = []
    for i, (opened, resolved) in enumerate(_times()):
        o = pd.Timestamp(opened, tz="UTC").value // 10**6  # milliseconds
        r = pd.Timestamp(resolved, tz="UTC").value // 10**6
        rows.append({"Key": f"INC{i}", "Title": "VPN down", "Type": "Incident",
                     "Status": "Done", "Created": o if scale == 1000 else o / 1000,
                     "Resolved": r if scale == 1000 else r // 1000})
    path = tmp_path / "epoch.json"
    path.write_text(json.dumps(rows))
    mapping = tmp_path / "my.yaml"
    mapping.write_text(_MAPPING)
    loaded = load_paths([path], ImportOptions(), mapping=mapping)
    t = loaded.tickets.sort_values(m.OPENED_AT)
    assert list(t[m.OPENED_AT]) == [x.floor("ms") for x in _expected(0)]
    whole = [x.floor("ms" if unit == "ms" else "s") for x in _expected(1)]
    assert sorted(t[m.RESOLVED_AT]) == sorted(whole)
    # Unix times are UTC whatever the zone the naive times are read in
    berlin = load_paths([path], ImportOptions(tz="Europe/Berlin", tz_given=True),
                        mapping=mapping).tickets.sort_values(m.OPENED_AT)
    assert list(berlin[m.OPENED_AT]) == list(t[m.OPENED_AT])


def test_numbers_that_are_no_unix_time_say_what_is_read(tmp_path: Path) -> None:
    # microseconds: no format reads them, and the error does not send the user to one
    values = pd.Series([str(1767571229378123 + 7_000_000 * i) for i in range(50)])
    with pytest.raises(DateFormatError) as caught:
        dates.infer_formats({"c": values}, Path("x.csv"))
    text = f"{caught.value} {caught.value.hint}"
    assert "Unix" in text and "pass --date-format with the format" not in text, text


@pytest.mark.parametrize("zero", ["0000-00-00 00:00:00", "0000-00-00", "1900-01-00"])
def test_zero_dates_are_left_empty_with_a_warning_like_1900_01_01(tmp_path: Path,
                                                                   zero: str) -> None:
    def write(path: Path, sentinel: str) -> Path:
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(_SN)
            for i, (opened, resolved) in enumerate(_times()):
                done = sentinel if i % 8 == 0 else f"{resolved:%Y-%m-%d %H:%M:%S}"
                w.writerow([f"INC{i + 1:07d}", "VPN down", "Resolved",
                            f"{opened:%Y-%m-%d %H:%M:%S}", done])
        return path

    zeroed = load_paths([write(tmp_path / "zero.csv", zero)], ImportOptions())
    sentinel = load_paths([write(tmp_path / "s.csv", "1900-01-01 00:00:00")],
                          ImportOptions())
    assert zeroed.tickets[m.RESOLVED_AT].isna().sum() == 25
    assert list(zeroed.tickets[m.RESOLVED_AT]) == list(sentinel.tickets[m.RESOLVED_AT])
    (warning,) = [w for w in zeroed.sources[0].warnings if "Resolved" in w]
    assert "25 timestamp(s) before 1990 left empty" in warning and zero in warning
    # with the format given too: not an error whose hint is a format
    given = load_paths([write(tmp_path / "g.csv", zero)],
                       ImportOptions(date_format="%Y-%m-%d %H:%M:%S"))
    assert given.tickets[m.RESOLVED_AT].isna().sum() == 25


def test_zero_days_and_months_are_told_with_the_year_last_too() -> None:
    """A day or month 00 was told only with the year first, or with year 0000 last
    ("05.00.2024" fell through to "cannot read", a reader of the change)."""
    values = pd.Series(["05.00.2024", "00.05.2024", "00/05/24 10:00", "0000-00-00",
                        "05.01.2024", "10/12/2024", "2024-01-05 00:00:00", "2024-10-05"])
    assert dates.zero_dates(values).tolist() == [True] * 4 + [False] * 4
    arrow = values.astype("string[pyarrow]")
    assert dates.zero_dates(arrow).tolist() == [True] * 4 + [False] * 4


def test_a_column_of_zero_dates_only_is_empty_with_its_warning(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_SN)
        for i, (opened, _) in enumerate(_times()):
            w.writerow([f"INC{i + 1:07d}", "VPN down", "New", f"{opened:%Y-%m-%d %H:%M:%S}",
                        "0000-00-00 00:00:00"])
    loaded = load_paths([path], ImportOptions())
    assert loaded.tickets[m.RESOLVED_AT].isna().all()
    assert any("200 timestamp(s) before 1990 left empty" in w
               for w in loaded.sources[0].warnings)
