"""Month names in the exporting user's language are read.

Review 2 (tools), item 8: Jira writes ``dd/MMM/yy`` with the month abbreviation in the
exporting user's language (reference, section 2.4). ``13/Mär/25 18:00`` and
``12/juil./25 05:00`` were refused, with a hint to pass ``--date-format``, which cannot
help (strftime's ``%b`` is English only). The exports are written here as Jira's ``CSV
(all fields)`` writes them, with Java's month abbreviations of each language.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.errors import DateFormatError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

#: Java's short month names (JRE and CLDR forms) as Jira writes them
MONTHS = {
    "de": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    "de_cldr": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.",
                "Okt.", "Nov.", "Dez."],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
    "es_cldr": ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.",
                "oct.", "nov.", "dic."],
    # Polish: no language here reads it
    "pl": ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"],
}
_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority",
           "Resolution", "Assignee", "Reporter", "Created", "Updated", "Resolved"]


def _times(n: int = 240) -> list[tuple[datetime, datetime]]:
    """Opened and resolved times over a whole year: every month name appears."""
    start = datetime(2025, 1, 2, 8, 0)
    return [(start + timedelta(hours=36.5 * i), start + timedelta(hours=36.5 * i + 5 + i % 9,
                                                                   minutes=7 * (i % 8)))
            for i in range(n)]


def _write(path: Path, names: list[str]) -> Path:
    def f(t: datetime) -> str:
        return f"{t:%d}/{names[t.month - 1]}/{t:%y} {t:%H:%M}"

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_HEADER)
        for i, (opened, resolved) in enumerate(_times()):
            w.writerow(["VPN down", f"IT-{i + 1}", str(i + 1), "Incident", "Resolved",
                        "Medium", "Done", "A", "B", f(opened), f(resolved), f(resolved)])
    return path


def _expected(which: int) -> pd.Series:
    return pd.Series([pd.Timestamp(t[which], tz="UTC") for t in _times()], name="x")


@pytest.mark.parametrize("language", ["de", "de_cldr", "fr", "es", "es_cldr"])
def test_localised_month_names_are_read(tmp_path: Path, language: str) -> None:
    path = _write(tmp_path / f"{language}.csv", MONTHS[language])
    t = load_paths([path], ImportOptions()).tickets
    assert list(t[m.OPENED_AT]) == list(_expected(0))
    assert list(t[m.RESOLVED_AT]) == list(_expected(1))
    # the explicit format reads them too (it was refused with the same error)
    given = load_paths([path], ImportOptions(date_format="%d/%b/%y %H:%M")).tickets
    assert list(given[m.OPENED_AT]) == list(_expected(0))


def test_a_german_export_is_diagnosed_as_the_english_one(tmp_path: Path) -> None:
    english = api.diagnose_paths([_write(tmp_path / "en.csv", [
        datetime(2025, k, 1).strftime("%b") for k in range(1, 13)])], api.RunOptions())
    german = api.diagnose_paths([_write(tmp_path / "de.csv", MONTHS["de"])],
                                api.RunOptions())
    assert german.kpis.time_to_resolve_hours == english.kpis.time_to_resolve_hours
    assert [(f.id, f.status) for f in german.signs] == [(f.id, f.status)
                                                        for f in english.signs]


def test_a_month_name_no_language_reads_is_named_not_sent_to_date_format(
        tmp_path: Path) -> None:
    path = _write(tmp_path / "pl.csv", MONTHS["pl"])
    for options in (ImportOptions(), ImportOptions(date_format="%d/%b/%y %H:%M")):
        with pytest.raises(DateFormatError) as caught:
            load_paths([path], options)
        text = f"{caught.value} {caught.value.hint}"
        assert "'sty'" in text and "no month name" in text, text
        assert "pass --date-format" not in text, text
