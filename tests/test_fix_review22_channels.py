"""channels: placeholder channel values are no channel, not a door named "other"
(review 22d, finding 3).

A ServiceNow export of 1,500 incidents whose ``contact_type`` is Self-service 48%, Email
24%, Phone 10%, and the values an instance uses for "not recorded": ``Unknown`` 7%,
``-- None --`` 3%, ``n/a`` 4%, ``Not specified`` 4%. Only ``n/a`` (the reader's null
list) was no channel; the other three made a fourth channel ``other`` of 213 tickets,
and the check read fragmentation 0.648, triggered. Read as no channel, as a blank is,
the three doors give 0.546, clear, with 267 tickets without a channel noted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers import values as v
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.report import Finding, Report
from shapes import sn_incident_rows

_WINDOW = {"since": "2026-07-01", "until": "2026-09-30"}
_DOORS = ["Self-service", "Email", "Phone"]


def _servicenow(path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 1500
    frame = sn_incident_rows(n, rng)
    # drawn last, as the review's script draws it
    frame["contact_type"] = rng.choice(
        [*_DOORS, "Unknown", "-- None --", "n/a", "Not specified"], n,
        p=[.48, .24, .10, .07, .03, .04, .04])
    frame.to_csv(path, index=False)
    return frame


def _channels(report: Report) -> Finding:
    return next(c for c in report.checks if c.id == "channels")


@pytest.fixture(scope="module")
def placeholders(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path, Report]:
    path = tmp_path_factory.mktemp("ch") / "incident.csv"
    frame = _servicenow(path)
    return frame, path, api.diagnose_paths([path], api.RunOptions(**_WINDOW))


def test_placeholders_are_no_channel_and_the_intake_reads_clear(
        placeholders: tuple[pd.DataFrame, Path, Report]) -> None:
    frame, _, report = placeholders
    opened = frame[pd.to_datetime(frame["opened_at"]) < pd.Timestamp("2026-10-01")]
    doors = opened["contact_type"].where(opened["contact_type"].isin(_DOORS))
    shares = doors.value_counts(normalize=True)
    recount = 1.0 - float((shares**2).sum())
    check = _channels(report)
    assert check.metrics["fragmentation"].value == pytest.approx(recount, abs=1e-9)
    assert recount == pytest.approx(0.5463, abs=1e-4)  # was 0.648 with "other" a door
    assert check.status == "clear"
    assert check.confidence == "high"  # 267 of 1,500 (18%) without one: under 20%
    table = {row["channel"]: row["n"] for row in check.evidence.tables["by_channel"]}
    assert table == {"portal": 741, "email": 345, "phone": 147}
    note = next(n for n in check.evidence.excluded if n.code == "no_channel")
    assert note.count == int(doors.isna().sum()) == 267


def test_the_file_warning_names_the_placeholders(
        placeholders: tuple[pd.DataFrame, Path, Report]) -> None:
    _, path, _ = placeholders
    loaded = load_paths([path], ImportOptions())
    warnings = loaded.sources[0].warnings
    said = [w for w in warnings if "no channel was recorded" in w]
    assert said == ["channel: 213 tickets with values that say no channel was recorded, "
                    "read as no channel: 'Unknown' (103), 'Not specified' (61), "
                    "'-- None --' (49)"]
    assert not any("counted as 'other'" in w for w in warnings)
    t = loaded.tickets
    assert not t[m.CHANNEL].eq("other").any()
    assert int(t[m.CHANNEL].isna().sum()) == 267
    assert int(t[m.CHANNEL_RAW].isna().sum()) == 267  # no unread label left behind


def test_freshservice_placeholder_sources_are_no_channel(tmp_path: Path) -> None:
    n = 400
    sources = (["Portal"] * 200 + ["Email"] * 100 + ["Unknown"] * 60 + ["N/A"] * 20
               + ["Other"] * 20)
    opened = pd.Series(pd.Timestamp("2026-07-01 08:00")
                       + pd.to_timedelta(np.arange(n) * 180, unit="min"))
    stamp = opened.dt.strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "fs.csv"
    pd.DataFrame({
        "Ticket Id": [f"INC-{i}" for i in range(1, n + 1)],
        "Subject": [f"Issue {i % 30}" for i in range(n)], "Status": "Closed",
        "Priority": "Medium", "Source": sources, "Type": "Incident",
        "Requester Name": [f"User {i % 90}" for i in range(n)], "Agent": "Agent 1",
        "Group": "Service Desk", "Created Time": stamp, "Resolved Time": stamp,
        "Closed Time": stamp, "Category": "Software",
    }).to_csv(path, index=False)
    loaded = load_paths([path], ImportOptions())
    channel = loaded.tickets[m.CHANNEL].astype("object").fillna("(none)")
    # a literal "Other" may be a real door: kept as one
    assert channel.value_counts().to_dict() == {
        "portal": 200, "email": 100, "(none)": 80, "other": 20}
    # "N/A" is the reader's null already; "Unknown" is named
    assert ("source (channel): 60 tickets with values that say no channel was recorded, "
            "read as no channel: 'Unknown' (60)") in loaded.sources[0].warnings


def test_a_mapping_that_maps_a_placeholder_keeps_it() -> None:
    raw = pd.Series(["Unknown", "Email", "-- None --", "Sonstiges", None], dtype=m.STRING_DTYPE)
    warnings: list[str] = []
    kept = v.drop_placeholders(raw, warnings, mapped={"unknown": "phone"})
    assert kept.isna().tolist() == [False, False, True, False, True]
    assert warnings == ["channel: 1 ticket with values that say no channel was recorded, "
                        "read as no channel: '-- None --' (1)"]
    localised = pd.Series(["Unbekannt", "Nicht angegeben", "inconnu", "Desconocido", "-"],
                          dtype=m.STRING_DTYPE)
    assert v.drop_placeholders(localised, []).isna().all()
