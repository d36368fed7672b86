"""The window's ends against the data's (review 12).

- A ``--until`` after the export's last record: the weeks after it hold no ticket, yet
  the backlog read them as a desk gone quiet (a steady desk's "clear, high" became
  "triggered, high": 11 of 13 weeks with no arrival and no completion, the open tickets
  carried flat) and every figure a month was spread over them (the demo with
  ``--until 2026-10-31`` read recurrence 61.9 h for 93.8 h), with no data note. The data's
  end is now where the window would end without ``--until`` (:attr:`Window.data_to`):
  figures a month count the part up to it, the backlog leaves the weeks after it out (or
  is unknown when too few weeks remain), and a data note says so in numbers.
- ``--period month|quarter`` dropped the first month of an export that starts on a
  Saturday or a Sunday: the flow-start test compared a first "week" of one or two weekend
  days with a tenth of the busiest whole weeks. A partial first week is now judged by
  the days it has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, engine
from itsm_diag.report import Finding, Report
from itsm_diag.signs.base import Window
from shapes import printer_desk_csv


def _desk(path: Path, start: str, end: str, *, seed: int = 1, extra: tuple[str, ...] = ()
          ) -> Path:
    """A ServiceNow incident CSV of a steady weekday desk: 15 tickets a weekday, 2 a
    weekend day, opened between 07:00 and 18:00, a median of ~8 hours to resolve; the
    export taken at the end of ``end`` (later resolutions are open). ``extra``: opened
    times of stray tickets added (left open)."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in pd.date_range(start, end, freq="D"):
        for _ in range(rng.poisson(2 if day.day_of_week >= 5 else 15)):
            rows.append(day + pd.Timedelta(hours=float(rng.uniform(7, 18))))
    opened = pd.Series(sorted(rows)).dt.floor("s")
    n = len(opened)
    resolved = (opened + pd.to_timedelta(rng.lognormal(np.log(8 * 3600), 1.0, n), unit="s")
                ).dt.floor("s")
    resolved = resolved.where(resolved <= pd.Timestamp(end) + pd.Timedelta(hours=23))
    strays = pd.Series(pd.to_datetime(list(extra)), dtype="datetime64[ns]")
    opened = pd.concat([opened, strays], ignore_index=True)
    resolved = pd.concat([resolved, pd.Series(pd.NaT, index=range(len(strays)))],
                         ignore_index=True)
    return printer_desk_csv(path, opened, resolved)


def _sign(report: Report, sign: str) -> Finding:
    return next(s for s in report.signs if s.id == sign)


# ---- 1. a --until after the data's end -------------------------------------------------


def test_window_covers_the_part_up_to_the_data_end() -> None:
    start = pd.Timestamp("2026-08-02", tz="UTC")
    end = pd.Timestamp("2026-10-31 23:59:59.999999", tz="UTC")
    to = pd.Timestamp("2026-09-30 23:59:59.999999", tz="UTC")
    window = Window(start=start, end=end, data_to=to)
    assert window.covered_end == to
    assert window.covered_days == pytest.approx(60.0)
    assert window.months == pytest.approx(60.0 / 30.4375)
    both = Window(start=start, end=end, data_from=pd.Timestamp("2026-08-16", tz="UTC"),
                  data_to=to)
    assert both.covered_days == pytest.approx(46.0)


def test_a_until_weeks_after_the_export_leaves_the_backlog_unknown_with_a_note(
        tmp_path: Path) -> None:
    """The review's repro: a steady desk's export to 10 September, judged to 30 November
    (a reporting date), read 'triggered' on 11 empty weeks with no note."""
    path = _desk(tmp_path / "incident.csv", "2026-03-02", "2026-09-10")
    own = api.diagnose_paths([path], api.RunOptions())
    late = api.diagnose_paths([path], api.RunOptions(until="2026-11-30"))
    assert _sign(own, "backlog").status == "clear"
    backlog = _sign(late, "backlog")
    assert backlog.status == "unknown"
    assert "2026-09-10" in backlog.reason
    note = next(n for n in late.data_notes if "--until 2026-11-30" in n)
    # in numbers: the data's last day, the weeks after it, the weeks the figures cover
    assert "2026-09-10" in note and "11.6 weeks" in note and "1.4 weeks" in note


@pytest.fixture(scope="module")
def demo_pair() -> tuple[Report, Report]:
    """The demo (data to 2026-09-30) judged to the end of October, and the same days
    without the empty month."""
    demo = api.demo_dir()
    late = api.diagnose_paths([demo], api.RunOptions(until="2026-10-31"))
    trim = api.diagnose_paths([demo], api.RunOptions(since="2026-08-02", until="2026-09-30"))
    return late, trim


@pytest.mark.parametrize("sign", ["backlog", "recurrence", "trust", "changes"])
def test_hours_a_month_are_over_the_weeks_the_data_covers(
        demo_pair: tuple[Report, Report], sign: str) -> None:
    assert demo_pair[0].window.last_day == "2026-10-31"
    hours = [_sign(r, sign).hours_at_stake_per_month for r in demo_pair]
    assert hours[1] and hours[0] == pytest.approx(hours[1], rel=0.02)


def test_open_tickets_are_aged_to_the_datas_end(demo_pair: tuple[Report, Report]) -> None:
    """Ownership, onboarding and the Monday list aged open tickets to the --until (31
    October) while the backlog aged them to the data's end (a reader of the change): one
    report, two ages. They read as the same days without the empty month now."""
    a, b = (next(f for f in r.checks if f.id == "ownership") for r in demo_pair)
    assert {k: v.value for k, v in a.metrics.items()} == {
        k: v.value for k, v in b.metrics.items()}
    a, b = (_sign(r, "onboarding") for r in demo_pair)
    assert a.metrics["late_requests"].value == b.metrics["late_requests"].value
    overdue = [(r.analyses or {})["actions"].metrics["overdue"].value for r in demo_pair]
    assert overdue[0] == overdue[1]


def test_the_evidence_dates_end_where_the_data_does(
        demo_pair: tuple[Report, Report]) -> None:
    """The recurrence evidence named the window's end (31 October) beside a note that
    the data ends on 30 September: its dates are those its figures cover."""
    late, trim = demo_pair
    said = _sign(late, "recurrence").evidence.summary
    assert said.endswith("2026-08-02 to 2026-09-30"), said
    assert _sign(trim, "recurrence").evidence.summary.endswith("2026-08-02 to 2026-09-30")


def test_the_backlog_leaves_out_the_weeks_after_the_data(
        demo_pair: tuple[Report, Report]) -> None:
    late, trim = demo_pair
    backlog = _sign(late, "backlog")
    weekly = backlog.evidence.series["weekly"]
    # 13 weeks up to 31 October: the whole weeks up to 30 September, the data's end (no
    # week across it, part empty: review 17)
    assert len(weekly) == 8
    assert str(weekly[-1]["week_end"]).startswith("2026-09-30")
    assert all(row["arrivals"] > 0 for row in weekly[1:])
    assert any(n.code == "after_data" for n in backlog.evidence.notes)
    # the open tickets in weeks of arrivals: the data's, not spread over an empty month
    weeks = [_sign(r, "backlog").metrics["backlog_weeks_of_arrivals"].value
             for r in demo_pair]
    assert weeks[0] == pytest.approx(weeks[1], rel=0.15)
    assert any("2026-09-30" in n and "--until 2026-10-31" in n for n in late.data_notes)
    assert not any("after the end of the data" in n for n in trim.data_notes)


def test_the_data_ends_at_its_last_arrival_or_completion(tmp_path: Path) -> None:
    """The weeks a --until leaves after the data hold no ticket, as the note says: one
    opened weeks after the flow stopped ends the data where it stands (the automatic
    as-of still moves back from it), and completions after the arrivals thin out are data
    (the real log closes old tickets for weeks after its arrivals thin: a first version
    said 5.7 weeks with 640 completions 'hold no ticket')."""
    path = _desk(tmp_path / "incident.csv", "2026-03-02", "2026-08-31",
                 extra=("2026-10-20 10:00:00",))
    own = api.diagnose_paths([path], api.RunOptions())
    assert own.window.last_day < "2026-09-10"
    late = api.diagnose_paths([path], api.RunOptions(until="2026-10-31"))
    note = next(n for n in late.data_notes if "--until 2026-10-31" in n)
    assert "(2026-10-20)" in note and "last 1.6 weeks hold no ticket" in note
    # a tail of completions (each resolved 30 days later): no end of the data before it
    tail = _desk(tmp_path / "tail.csv", "2026-03-02", "2026-08-31")
    frame = pd.read_csv(tail, dtype=str, keep_default_na=False)
    done = frame["Resolved"] != ""
    moved = pd.to_datetime(frame.loc[done, "Resolved"]) + pd.Timedelta(days=30)
    frame.loc[done, "Resolved"] = moved.dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.to_csv(tail, index=False)
    got = api.diagnose_paths([tail], api.RunOptions(until="2026-10-31"))
    note = next(n for n in got.data_notes if "--until 2026-10-31" in n)
    assert f"({moved.max():%Y-%m-%d})" in note, note


def test_a_until_before_the_last_tickets_is_inside_the_data(real_log: Path) -> None:
    """The real log --until 2016-12-31, with 149 tickets opened and 179 done later, read
    "after the end of the data (2016-12-29)" beside its own note of what it leaves out
    (a reader of the change): a ticket after the --until puts it inside the data."""
    got = api.diagnose_paths([real_log], api.RunOptions(until="2016-12-31"))
    assert not [n for n in got.data_notes if "after the end of the data" in n]
    assert got.window.weeks == 13


@pytest.mark.parametrize("until", [None, "2026-09-15", "2026-09-30", "2026-06-30"])
def test_the_automatic_as_of_and_a_until_inside_the_data_keep_the_whole_window(
        until: str | None) -> None:
    """No data end inside the window, so no figure moves: the demo's data reach its end."""
    seen: list[Window] = []
    choose = engine.choose_window

    def spy(*args: object, **kwargs: object) -> engine.WindowChoice:
        choice = choose(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(choice.window)
        return choice

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "choose_window", spy)
        report = api.diagnose_paths([api.demo_dir()], api.RunOptions(until=until))
    assert seen and seen[0].data_to is None
    assert seen[0].covered_days == pytest.approx(seen[0].days - (
        0 if seen[0].data_from is None else
        (seen[0].data_from - seen[0].start) / pd.Timedelta(days=1)))
    assert not any("after the end of the data" in n for n in report.data_notes)


# ---- 2. --period: an export that starts at the weekend --------------------------------

#: months of 2024 whose first day falls on Monday .. Sunday
FIRSTS = ["2024-01-01", "2024-10-01", "2024-05-01", "2024-02-01", "2024-03-01",
          "2024-06-01", "2024-09-01"]


@pytest.mark.parametrize("first", FIRSTS)
def test_the_flow_and_the_first_month_start_on_the_exports_first_day(
        tmp_path: Path, first: str) -> None:
    """Whatever its weekday: the flow starts on the export's first day, and the first
    month is whole."""
    day = pd.Timestamp(first)
    end = f"{day + pd.DateOffset(months=2) - pd.Timedelta(days=1):%Y-%m-%d}"
    path = _desk(tmp_path / "incident.csv", first, end)
    tickets = api._load([path], api.RunOptions()).tickets
    start = engine.data_start(tickets, api.load_rules(None).defaults.shape)
    assert start is not None and f"{start:%Y-%m-%d}" == first
    report = api.diagnose_paths([path], api.RunOptions(period="month"))
    assert report.periods
    head = report.periods[0]
    assert head.start.startswith(first)
    assert not head.partial and head.coverage == 1.0 and head.score is not None
    # no ticket of the first days is taken for a stray before the flow
    assert not any("too few a week to be its flow" in n for n in report.data_notes)


@pytest.mark.parametrize("stray", ["2024-04-27 10:00:00",  # a Saturday, five weeks before
                                   "2024-05-28 10:00:00",  # a Tuesday, the week before
                                   ])
def test_a_stray_before_the_flow_is_still_no_start(tmp_path: Path, stray: str) -> None:
    path = _desk(tmp_path / "incident.csv", "2024-06-03", "2024-08-31", extra=(stray,))
    tickets = api._load([path], api.RunOptions()).tickets
    start = engine.data_start(tickets, api.load_rules(None).defaults.shape)
    assert start is not None and f"{start:%Y-%m-%d}" == "2024-06-03"
