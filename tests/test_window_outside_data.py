"""A window that holds none of the data is refused (exit 2), not reported.

``--since 2027-01-01 --until 2027-03-01`` on an export that ends on 30 September 2026
printed a full report: "2,500 tickets … 1 Jan to 1 Mar 2027", band undetermined, every
sign unknown for want of tickets, and no word that the export stops four months before
the window starts (a monthly CI job fed a stale export files that as its report). A
``--until`` before the export's first record did the same. The window's part after the
data's end is measured only when the window holds some of the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itsm_diag import api
from itsm_diag.cli import app
from itsm_diag.errors import UsageError
from test_fix_review12_window_end import _desk


@pytest.mark.parametrize(("since", "until", "said"), [
    ("2027-01-01", "2027-03-01", "its last ticket was opened or done on 2026-09-30"),
    ("2026-10-01", "2026-12-31", "its last ticket was opened or done on 2026-09-30"),
    ("2025-01-01", "2025-03-01", "its first record is on 2025-10-06"),
])
def test_a_window_outside_the_data_is_refused(since: str, until: str, said: str) -> None:
    with pytest.raises(UsageError) as got:
        api.diagnose_paths([api.demo_dir()], api.RunOptions(since=since, until=until))
    assert f"the window {since} to {until} holds none of the data: {said}" in str(got.value)


def test_a_window_overlapping_the_data_by_a_day_is_diagnosed() -> None:
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions(since="2026-09-30",
                                                                 until="2026-12-31"))
    assert report.window.last_day == "2026-12-31"
    assert any("30 Sep 2026" in note or "2026-09-30" in note for note in report.data_notes)


def test_the_command_line_exits_2_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    path = _desk(tmp_path / "desk.csv", "2026-06-01", "2026-09-10")
    out = CliRunner().invoke(app, ["diagnose", str(path), "--since", "2026-10-01",
                                   "--until", "2026-11-30", "--format", "json"])
    assert out.exit_code == 2, out.output
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert lines == ["itsm-diag: error: the window 2026-10-01 to 2026-11-30 holds none of "
                     "the data: its last ticket was opened or done on 2026-09-10. choose "
                     "--since and --until within the data's dates, or diagnose an export "
                     "that covers the window."]


def test_periods_before_the_data_are_named_not_diagnosed() -> None:
    # --since before the data's first record (the demo's is on 2025-10-06): the quarters
    # it reaches that hold none of the data are left out with a note; so is 2025-Q4,
    # which holds only the strays before the flow starts (2026-03-30: review 14b, it
    # was graded "1/7, trust triggered" on 76 early tickets); the rest diagnosed
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions(since="2025-01-01",
                                                                 period="quarter"))
    labels = [p.label for p in report.periods]
    assert labels and labels[0] == "2026-Q1" and "2025-Q4" not in labels
    skipped = [n for n in report.data_notes if "is not diagnosed" in n]
    assert [n.split(":")[1].strip().split()[0] for n in skipped] == [
        "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert all("holds none of the data: its first record is on 2025-10-06" in n
               for n in skipped[:3])
    assert "ends before the data's flow starts on 2026-03-30" in skipped[3]
