"""A thinned as-of ends on the day of its week's last record, not on the week's end
(review 18a, #2, secondary).

The same 17 Sep 14:20 cut with one stray weeks later moved the as-of to the end of the
last active week (Sunday 20 Sep), three days past the export's last record: the window
gained three days that hold no ticket, lost its first three (in-window tickets 4,083 ->
4,011, trust 63.4 -> 61.7 h), no note said so, and a gap after the cut counted as in the
window. The as-of is now the end of the day of that week's latest timestamp, as a plain
run ends on the data's: the stray moves no window. (The real log's week ends with
auto-closes on Sunday 5 June 2016: its window does not move.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.report import Report
from test_fix_review18_stray_gap import CUT, _desk


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = _desk(tmp_path_factory.mktemp("plain") / "incident.csv")
    return api.diagnose_paths([path], api.RunOptions())


@pytest.mark.parametrize("stray", ["2025-10-30 09:12:00", "2025-12-04 09:12:00"])
def test_a_stray_moves_no_window(plain: Report, stray: str, tmp_path: Path) -> None:
    path = _desk(tmp_path / "incident.csv", stray=stray)
    got = api.diagnose_paths([path], api.RunOptions())
    day = f"{CUT:%Y-%m-%d}"  # a Thursday; its week ends on Sunday 2025-09-21
    assert plain.window.last_day == day
    assert (got.window.first_day, got.window.last_day) == (plain.window.first_day, day)
    assert got.tickets.in_window == plain.tickets.in_window
    assert got.tickets.done_in_window == plain.tickets.done_in_window
    note = next(n for n in got.data_notes if "thins out" in n)
    assert note.startswith(f"as-of {day} (the day of the latest timestamp in the last "
                           "active week)"), note
    assert "1 of " in note and f"up to {stray[:10]}" in note
    # every sign as without the stray
    assert [(s.id, s.status, s.confidence) for s in got.signs] == [
        (s.id, s.status, s.confidence) for s in plain.signs]
    # --until last-month counts back from that day: August, as without the stray
    month = api.diagnose_paths([path], api.RunOptions(until="last-month"))
    assert month.window.last_day == "2025-08-31"
    assert "counted back from the data's as-of day 2025-09-18" in month.window.how_chosen


def test_the_window_ends_on_the_weeks_last_record(tmp_path: Path) -> None:
    # the last active week's last record on Friday 19 Sep: its Saturday and Sunday hold
    # no ticket, so the window ends on the Friday; a closure on the Sunday (the real
    # log's auto-closes) is a record of that day, and the window ends on it
    path = tmp_path / "incident.csv"
    _desk(path, stray="2025-12-04 09:12:00")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    last = frame["Opened"] == frame["Opened"][frame["Opened"] < "2025-10"].max()
    frame.loc[last, "Opened"] = "2025-09-19 10:00:00"
    frame.to_csv(path, index=False)
    got = api.diagnose_paths([path], api.RunOptions())
    assert got.window.last_day == "2025-09-19"
    done = frame.index[frame["Resolved"] != ""][0]
    frame["Closed"] = ""
    frame.loc[done, "Closed"] = "2025-09-21 18:00:00"
    frame.to_csv(path, index=False)
    got = api.diagnose_paths([path], api.RunOptions())
    assert got.window.last_day == "2025-09-21"
