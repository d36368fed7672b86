"""A closed-only export of a mid-size desk is no evidence of an empty queue.

Review 10 (Zendesk and mapped tools), item 3: a desk of about 13 tickets a day, median
time to done 11 hours, exported with a "status is closed" filter, read backlog "clear,
high confidence, shrank 48%", with no data note. The "none open at the cut" check
estimated the queue a live desk holds at its cut with the *median* stay (6.6 tickets,
under its gate of 8), where Little's law takes the mean: each stay now counts up to the
settle time (the time within which 90% were done), so a clean-up of year-old tickets
cannot inflate it, and the estimate is the tickets of the last settle time still open.

The real log is such an export too: all 24,918 incidents done, none open at its cut,
where its flow predicts about 11. Its backlog read "clear, shrank 38%"; it was unknown,
until review 16 judged the cut for the window: the cut comes 256 days after the
window's end, and next to none of the window's open tickets stay open that long.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from itsm_diag import api
from itsm_diag.report import Report
from test_fix_backlog_cut import END, _desk, _write


def _run(folder: Path) -> Report:
    return api.diagnose_paths([folder], api.RunOptions())


def _backlog(report: Report) -> str:
    return next(s for s in report.signs if s.id == "backlog").status


def test_a_mid_size_desks_closed_only_export_is_none_open(tmp_path: Path) -> None:
    desk = _desk(seed=11, per_day=18, weeks=26, median_days=0.46)
    whole = _run(_write(desk, tmp_path / "whole"))
    assert "none_open" not in whole.extract_shape
    # a "state is closed" filter: closed a day after done, by the export's end
    closed = _run(_write(desk[desk["done"] + pd.Timedelta(days=1) <= END],
                         tmp_path / "closed"))
    shape = closed.extract_shape["none_open"]
    assert shape["open_at_cut"] == 0
    # the median stay predicted 5.5 open, under the gate of 8: nothing was judged
    per_day, stay = shape["per_day"], shape["stay_hours"]
    assert 8 <= shape["expected_open"] == per_day * stay / 24
    assert stay > 1.4 * 0.46 * 24  # the mean, its tail capped, is over the median
    assert _backlog(closed) == "unknown"


def test_the_real_log_is_none_open_at_its_cut(real_log: Path, cut_kept: Path) -> None:
    # none open at its cut; for its window, 256 days before the cut, next to none is
    # missing and the shape is dropped by default (review 16: test_fix_review16_shape),
    # so it is read as cut for its window too here
    report = api.diagnose_paths([real_log], api.RunOptions(config_file=cut_kept))
    shape = report.extract_shape["none_open"]
    assert shape["open_at_cut"] == 0 and shape["done"] == shape["total"] == 24_918
    assert 10 < shape["expected_open"] < 12  # 3.0 a day x 85.5 hours; the median gave 2.0
    assert _backlog(report) == "unknown"
    backlog = next(s for s in report.signs if s.id == "backlog")
    assert "85.5 hours to done on average, each stay counted up to the 361 hours within " \
           "which 90% were done" in backlog.reason
