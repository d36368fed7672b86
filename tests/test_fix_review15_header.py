"""Review 15 (rv15a), items 3, 5 and the last point of 7: one number for one concept.

- Item 3: on an extract no week's backlog can be rebuilt from (selected on closure, none
  open at its cut, selected on its updates) the backlog sign said "no week's backlog can
  be rebuilt" and "Open at window end: n/a", then printed a chart and a table of week-end
  open counts (the real log's 1,589 falling to 921) titled "with ... the trend line", and
  the JSON carried the same counts in ``kpis.backlog_weekly`` beside ``open_now: null``.
  Now only the weeks' arrivals and completions are shown, under a title that says so,
  and no chart of open counts is drawn.
- Item 5: the header printed the whole export's 24,918 tickets beside the window's dates,
  where the signs count 22,787 opened and 22,850 done in the window. It now says both.
- Item 7: the window note said the later tickets were done "up to 2017-02-18" (an
  auto-close's closed time) where the shape note put the cut at "2017-02-17 00:47" (the
  latest arrival or completion). Both now read the latest arrival or completion.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import shapes
from itsm_diag import api
from itsm_diag.render import html, markdown, terminal
from itsm_diag.report import Finding, Report


def _sign(r: Report, sid: str) -> Finding:
    return next(s for s in r.signs if s.id == sid)


def _plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _no_week_rebuilt(r: Report) -> None:
    """No week's open count anywhere the backlog shows, beside its n/a."""
    backlog = _sign(r, "backlog")
    assert backlog.status == "unknown"
    assert backlog.metrics["open_now"].value is None and r.kpis.backlog["open_now"] is None
    series = backlog.evidence.series
    assert "weekly" not in series and "trend_weekly" not in series
    assert series["weekly_flow"], series
    assert all(set(row) == {"week_end", "arrivals", "completions"}
               for row in series["weekly_flow"])
    title = backlog.evidence.about_tables["weekly_flow"].title
    assert title.startswith("Arrivals and completions in each week")
    assert "no week's open backlog can be rebuilt" in title and "trend line" not in title
    assert r.kpis.backlog_weekly and all("open" not in row and "trend" not in row
                                         for row in r.kpis.backlog_weekly)
    md = markdown.render(r)
    assert "Open at the week end" not in md and "with arrivals, completions and the trend" \
        not in md
    assert "Arrivals and completions in each week" in md
    page = html.render(r)
    assert 'id="backlog-weekly"' not in page and "Open at week end" not in page
    assert "Open at the week end" not in page
    assert "Arrivals and completions in each week" in page


# ---- the real ServiceNow log ------------------------------------------------------------

@pytest.fixture(scope="module")
def real(real_log: Path) -> Report:
    return api.diagnose_paths([real_log], api.RunOptions())


@pytest.fixture(scope="module")
def real_cut(real_log: Path, cut_kept: Path) -> Report:
    """The real log read as cut for its window too (``cut_kept``): by default its cut,
    256 days after the window, leaves next to none of the window missing (review 16)."""
    return api.diagnose_paths([real_log], api.RunOptions(config_file=cut_kept))


def test_the_real_logs_header_says_the_export_and_the_window_apart(real: Report) -> None:
    assert (real.tickets.total, real.tickets.in_window, real.tickets.done_in_window) == (
        24_918, 22_787, 22_850)
    export = "24,918 tickets in the export (24,918 incident) from ServiceNow"
    window = "window 7 Mar to 5 Jun 2016 (13 weeks): 22,787 opened, 22,850 done in it"
    text = terminal.render(real, color=False, columns=80, verbose=True)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    head = [line.strip("│ ").rstrip() for line in lines[:8]]
    assert export in head and window[:1].upper() + window[1:] in head, head
    md = markdown.render(real)
    assert f"{export}; {window}; data as of 5 Jun 2016." in md
    page = _plain(html.render(real))
    assert f"Window 7 Mar to 5 Jun 2016 (13 weeks): 22,787 opened, 22,850 done in it · " \
           f"data as of 5 Jun 2016 · {export}" in page
    assert f"{export}; {window}." in page
    # the export's size is never put beside the window's dates as if it were the window's
    for out in (text, md, page):
        assert "24,918 tickets (24,918 incident)" not in out


def test_the_real_logs_backlog_shows_no_weeks_open_count(real_cut: Report) -> None:
    real = real_cut
    assert "none_open" in real.extract_shape
    _no_week_rebuilt(real)
    rows = _sign(real, "backlog").evidence.series["weekly_flow"]
    assert (rows[0]["arrivals"], rows[0]["completions"]) == (2_073, 1_491)
    assert (rows[-1]["arrivals"], rows[-1]["completions"]) == (673, 941)
    text = terminal.render(real, color=False, columns=120, verbose=True)
    for out in (text, markdown.render(real), html.render(real), real.model_dump_json()):
        # the number standing alone (a ticket id such as INC0015891 holds its digits)
        assert not re.search(r"(?<![\w,.])1,?589(?![\w,.]\d)", out)


def test_the_real_logs_two_ends_of_the_data_agree(real_cut: Report) -> None:
    real = real_cut
    cut = real.extract_shape["none_open"]["cut"]
    assert cut == "2017-02-17 00:47"
    assert "were done later, up to 2017-02-17," in real.window.how_chosen
    assert "2017-02-18" not in real.window.how_chosen


# ---- built extracts ---------------------------------------------------------------------

def test_a_closure_selected_extract_shows_no_weeks_open_count(tmp_path: Path) -> None:
    log, mapping = shapes.closure_selected_log(tmp_path / "closure")
    r = api.diagnose_paths([log], api.RunOptions(mapping=mapping))
    assert "closure_selected" in r.extract_shape
    _no_week_rebuilt(r)
    # the header's window counts are the report's, counted here from the file
    events = pd.read_csv(log)
    events["Time"] = pd.to_datetime(events["Time"], utc=True)
    start, end = pd.Timestamp(r.window.start), pd.Timestamp(r.window.end)
    opened = events[events["Status"] == "Accepted"].groupby("Case")["Time"].min()
    done = events[events["Status"] == "Completed"].groupby("Case")["Time"].max()
    n_open = int(((opened >= start) & (opened <= end)).sum())
    n_done = int(((done >= start) & (done <= end)).sum())
    assert (r.tickets.in_window, r.tickets.done_in_window) == (n_open, n_done)
    assert n_done > 0
    window = f"{n_open:,} opened, {n_done:,} done in it"
    assert "tickets in the export (" in markdown.render(r)
    assert window in markdown.render(r) and window in _plain(html.render(r))
    assert window in terminal.render(r, color=False, columns=80)


def test_an_export_selected_on_its_updates_says_what_its_open_count_lacks(
        tmp_path: Path) -> None:
    """An update-selected export lacks only the tickets still open but untouched since its
    floor: they add the same number to every week's backlog (review 15b), so the weeks
    are rebuilt and the open count is shown, with a caveat that says what it lacks, and
    a clear is refused while the export's own open tickets show stale ones (14 of 134)."""
    from test_fix_update_cut import END, _desk, _write

    desk = _desk()
    folder = _write(desk[desk["updated"] >= END - pd.Timedelta(days=30)], tmp_path / "upd")
    r = api.diagnose_paths([folder], api.RunOptions())
    shape = r.extract_shape["updated_since"]
    assert shape["covered"] is False and (shape["stale"], shape["open"]) == (14, 134)
    backlog = next(s for s in r.signs if s.id == "backlog")
    assert backlog.status == "unknown"
    assert "lacks the tickets still open but not updated since" in backlog.reason
    assert r.kpis.backlog["open_now"] == 134
    assert "lacks the tickets still open but not updated since" in r.kpis.caveats[
        "backlog_weekly"]
    # the action list and trust's silence say the same, not "every opened and done time
    # falls within 0.0 hours" or "selected on closure"
    actions = r.analyses["actions"]
    assert actions.status == "unknown"
    assert "selected on its update time (floor 2026-03-04 18:21 UTC;" in actions.reason
    assert "within 0.0 hours" not in actions.reason
    trust = next(s for s in r.signs if s.id == "trust")
    silence = [n.text for n in trust.evidence.excluded if "Silence not measured" in n.text]
    assert silence and "selected on its update time" in silence[0]
    assert "selected on closure" not in silence[0]
