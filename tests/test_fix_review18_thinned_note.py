"""Review 18a #1: a thinned as-of and its note tell one story.

The as-of is the day of the last active week's latest timestamp of any kind, as a plain
run's is the data's latest (an auto-close on the Sunday after a Thursday's last ticket is
a record of that Sunday: the real log's as-of, 5 June 2016, is such a day). The note's
"opened and done later, up to D" counts the tail of arrivals and completions; a tail of
closed or updated times alone (nothing opened or done after the as-of) read "0 opened
and 0 done later, up to 2026-05-14", a day before the as-of 2026-05-17 it explained. It
now says that only closed or updated times are left out, up to the latest of them.
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import model as m
from itsm_diag.config import load_rules
from itsm_diag.engine import _data_end


def _desk(extra_opened: str | None = None) -> pd.DataFrame:
    """Arrivals every 2 h to Thursday 2026-05-14, each resolved 5 h later and closed
    (an auto-close) 3 days after it opened; one ticket's close weeks later."""
    days = pd.date_range("2025-12-29", "2026-05-14 12:00", freq="2h", tz="UTC")
    n = len(days)
    df = pd.DataFrame({m.TICKET_ID: [f"T{i}" for i in range(n)], m.KIND: "incident",
                       m.STATUS: "closed", m.OPENED_AT: days,
                       m.RESOLVED_AT: days + pd.Timedelta(hours=5),
                       m.CLOSED_AT: days + pd.Timedelta(days=3)})
    df.loc[n - 5:, m.STATUS] = "open"
    df.loc[n - 5:, [m.RESOLVED_AT, m.CLOSED_AT]] = pd.NaT
    df.loc[0, m.CLOSED_AT] = pd.Timestamp("2026-07-01", tz="UTC")  # a stray late close
    if extra_opened is not None:
        df.loc[n - 1, m.OPENED_AT] = pd.Timestamp(extra_opened, tz="UTC")
    return m.conform_tickets(df)


def _end(t: pd.DataFrame) -> tuple[pd.Timestamp, str]:
    as_of, how, _ = _data_end(t, load_rules(), m.activity_bound(t, last=True), "UTC",
                              None, m.done_at(t))
    return as_of, " ".join(how.split())


def test_a_tail_of_closes_alone_is_said_as_one() -> None:
    as_of, note = _end(_desk())
    # the week's last record is the Sunday's auto-close: the as-of (kept, as the real log)
    assert f"{as_of:%Y-%m-%d}" == "2026-05-17"
    assert note.startswith("as-of 2026-05-17 (the day of the latest timestamp in the "
                           "last active week)")
    assert "no ticket was opened or done later" in note
    assert "only closed or updated times, up to 2026-07-01, are outside the window" in note
    assert "2026-05-14" not in note  # no "later, up to" day before the as-of


def test_a_later_arrival_is_counted_up_to_itself() -> None:
    as_of, note = _end(_desk(extra_opened="2026-06-20 08:00"))
    assert f"{as_of:%Y-%m-%d}" == "2026-05-17"
    assert "1 of " in note and "later, up to 2026-06-20" in note
