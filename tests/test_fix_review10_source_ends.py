"""A retired tool's export beside the new tool's: its open tickets are no backlog.

Review 10 (Zendesk and mapped tools), item 6: a helpdesk export ending on 1 March 2026
diagnosed with GLPI's, which runs to 30 September. The window (July to September) holds
no helpdesk activity, yet its 206 open tickets sat in every week's backlog: open now 293
where GLPI holds 87, "9.6 weeks of arrivals", growth 11% where GLPI alone reads 53%, and
no note. The extract shape ``source_ends`` names it now and the backlog is not judged.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from itsm_diag import api
from itsm_diag.report import Report

GLPI = Path(__file__).resolve().parents[1] / "samples" / "glpi"
MAPPING = """tool: helpdesk
kind: incident
columns:
  ticket_id: Ref
  opened_at: Logged
  closed_at: Closed
  status: Status
  summary: Subject
values:
  status: {Closed: closed, Open: open}
"""


def _helpdesk(folder: Path, last: str, n: int = 300, still_open: int = 40,
              every: str = "12h") -> list[Path]:
    """``n`` tickets a few hours each, one ``every`` 12 hours (say) up to ``last``; the
    last ``still_open`` of them open."""
    folder.mkdir(parents=True, exist_ok=True)
    opened = pd.date_range(end=pd.Timestamp(last), periods=n, freq=every)
    with (folder / "helpdesk.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Ref", "Logged", "Closed", "Status", "Subject"])
        for i, at in enumerate(opened):
            done = i < n - still_open
            w.writerow([f"HD-{i}", f"{at:%Y-%m-%d %H:%M}",
                        f"{at + pd.Timedelta(hours=5):%Y-%m-%d %H:%M}" if done else "",
                        "Closed" if done else "Open", "Printer jam"])
    mapping = folder / "helpdesk.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return [folder / "helpdesk.csv", mapping]


def _run(data: Path, mapping: Path) -> Report:
    return api.diagnose_paths([GLPI, data], api.RunOptions(
        mapping=(Path("glpi"), mapping)))


def test_a_retired_tools_open_tickets_are_not_carried_forward(tmp_path: Path) -> None:
    data, mapping = _helpdesk(tmp_path / "old", last="2026-03-01 10:00")
    report = _run(data, mapping)
    shape = report.extract_shape["source_ends"]
    assert shape["source"] == "helpdesk" and shape["last"] == "2026-03-01"
    assert shape["open"] == 40 and shape["total"] == 300
    assert shape["others_last"] == "2026-09-30"
    backlog = next(s for s in report.signs if s.id == "backlog")
    assert backlog.status == "unknown"
    assert ("The helpdesk tickets end on 2026-03-01, 30.5 weeks before the other tools' "
            "(2026-09-30): 40 of its 300 incidents and requests are open as of its own end"
            ) in backlog.reason, backlog.reason
    assert any("whether they were done in the weeks since, no input says" in n
               for n in report.data_notes)
    # GLPI alone: judged as before
    alone = api.diagnose_paths([GLPI], api.RunOptions(mapping=Path("glpi")))
    assert "source_ends" not in alone.extract_shape


def test_tools_that_end_together_or_hold_nothing_open_are_no_shape(tmp_path: Path) -> None:
    data, mapping = _helpdesk(tmp_path / "now", last="2026-09-20 10:00")
    assert "source_ends" not in _run(data, mapping).extract_shape  # 10 days apart
    data, mapping = _helpdesk(tmp_path / "done", last="2026-03-01 10:00", still_open=0)
    assert "source_ends" not in _run(data, mapping).extract_shape  # nothing carried


def test_a_quiet_tool_or_a_window_before_its_end_is_no_shape(tmp_path: Path) -> None:
    """A side tool of a dozen tickets silent for five weeks is no retired tool's export (its
    own rate predicts about 3 tickets in them, under the gap's 10), and a window that ends
    before a tool does carries nothing past its end (review of the change, item 2)."""
    data, mapping = _helpdesk(tmp_path / "quiet", last="2026-08-25 10:00", n=12,
                              still_open=1, every="14D")  # 12 over 22 weeks
    report = _run(data, mapping)
    assert "source_ends" not in report.extract_shape
    assert next(s for s in report.signs if s.id == "backlog").status == "triggered"
    data, mapping = _helpdesk(tmp_path / "busy", last="2026-08-25 10:00", n=600,
                              still_open=20)
    assert "source_ends" in _run(data, mapping).extract_shape  # 5.2 weeks of 84 a week
    before = api.diagnose_paths([GLPI, data], api.RunOptions(
        mapping=(Path("glpi"), mapping), until="2026-07-31"))
    assert "source_ends" not in before.extract_shape
    assert next(s for s in before.signs if s.id == "backlog").status != "unknown"
