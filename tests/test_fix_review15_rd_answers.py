"""Review rd15, items 4 and 5: what a report says the export keeps, and what would
answer an unknown read through an event-log mapping.

- rd15 4: an SLA column no importer reads (JSM's ``Custom field (Time to resolution)``)
  was named as where the export keeps its SLA on its name alone. A Jira all-fields
  export carries every custom field of the site, so an empty one turned the SLA
  configuration gap into "unread" and reporting from triggered (score 7) to unknown
  (score 6). The column now counts only when the export fills it (as many rows as the
  done tickets it would have to give an outcome to for the KPI's fill bar).
- rd15 5: on an open-queue extract read through an event-log mapping, the reason said
  "Export the done tickets of the period too" and the what-would-answer line said to map
  a 'resolved_at' column, which an event log does not have: its done times come from the
  activities its ``values.status`` maps. The line now says how an event log gives the
  fields it derives from its events, in ``diagnose`` and ``inspect`` alike.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import shapes
from itsm_diag import advice, api
from itsm_diag import model as m
from itsm_diag.report import Finding, Report

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SLA_COLUMN = "Custom field (Time to resolution)"


def _sign(report: Report, sign: str) -> Finding:
    return next(s for s in report.signs if s.id == sign)


# ---- rd15 4: an SLA column the export does not fill --------------------------------------

def _jira(out: Path, filled_rows: int | None) -> Path:
    """The Jira sample with its Due date blanked (no readable SLA outcome) and, unless
    ``filled_rows`` is None, JSM's SLA field added to every file's header, filled on the
    first ``filled_rows`` issues of each file only (0: empty on every issue)."""
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted((SAMPLES / "jira").glob("*.csv")):
        with src.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        head = rows[0]
        due = head.index("Due date")
        for row in rows[1:]:
            row[due] = ""
        if filled_rows is not None:
            head.append(SLA_COLUMN)
            for i, row in enumerate(rows[1:]):
                row.append("Completed" if i < filled_rows else "")
        with (out / src.name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return out


@pytest.fixture(scope="module")
def without_column(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return api.diagnose_paths([_jira(tmp_path_factory.mktemp("none"), None)],
                              api.RunOptions())


@pytest.mark.parametrize("filled_rows", [0, 2])
def test_an_empty_or_near_empty_sla_column_leaves_the_gap(
        tmp_path: Path, without_column: Report, filled_rows: int) -> None:
    report = api.diagnose_paths([_jira(tmp_path / "jsm", filled_rows)], api.RunOptions())
    sign, bare = _sign(report, "reporting"), _sign(without_column, "reporting")
    assert bare.status == "triggered"
    row = next(r for r in sign.evidence.tables["kpis"] if r["kpi"] == "sla_adherence")
    assert (row["gap"], row["detail"]) == ("configuration", "sla_sparse")
    # the same verdict, score and KPI table as the same export without the column
    assert sign.status == bare.status
    assert report.score == without_column.score
    assert sign.evidence.tables["kpis"] == bare.evidence.tables["kpis"]
    assert sign.metrics["kpis_unread"].value == 0
    # and nothing says the export keeps its SLA there
    assert SLA_COLUMN not in sign.reason
    assert SLA_COLUMN not in report.kpis.caveats.get("sla_adherence", "")
    assert SLA_COLUMN not in sign.model_dump_json()


def test_the_importer_counts_the_rows_filling_each_unread_column(tmp_path: Path) -> None:
    loaded = api._load([_jira(tmp_path / "jsm", 2)], api.RunOptions())
    filled = api.unread_filled(loaded.sources)
    assert filled[SLA_COLUMN] == 2 * len(loaded.sources)
    # a column read into a field is not among them, and the report's inputs say nothing
    assert "Summary" not in filled
    assert all("fill" not in api.input_info(s).model_dump() for s in loaded.sources)


# ---- rd15 5: an event log's done times come from its statuses ----------------------------

@pytest.fixture(scope="module")
def open_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return shapes.open_only_log(tmp_path_factory.mktemp("open_only"))


def test_an_event_log_is_not_told_to_map_a_done_time_column(
        open_only: tuple[Path, Path]) -> None:
    log, mapping = open_only
    options = api.RunOptions(mapping=mapping)
    report = api.diagnose_paths([log], options)
    backlog = _sign(report, "backlog")
    assert backlog.status == "unknown"
    assert "Export the done tickets of the period too" in backlog.reason
    answer = backlog.what_would_answer or ""
    assert "desk-log, the resolved or closed time (resolved_at)" in answer
    assert "map the export's column to 'resolved_at'" not in answer
    assert "'values.status'" in answer and "export the cases done in the period" in answer
    # every unknown that names the done time says the same, and inspect lists the lines
    # the report gives
    listed = api.inspect_paths([log], options)["unanswerable"]
    for finding in [*report.signs, *report.checks]:
        text = finding.what_would_answer or ""
        assert "'resolved_at' under 'columns:'" not in text, finding.id
        if finding.id in listed:
            assert ". ".join(listed[finding.id]) == text, finding.id
    assert "backlog" in listed and "reporting" in listed
    # a field an event log has no way to derive keeps the mapping key to set
    assert "map the export's column to 'sla_met'" in " ".join(listed["reporting"])


def test_an_event_logs_reassignments_come_from_its_group_or_activities() -> None:
    rules = api.load_rules(None)
    wording = rules.defaults.wording
    rule = next(r for r in rules.all() if any(
        "reassignment_count" in item for item in r.data_needed))
    tickets = m.conform_tickets(pd.DataFrame({m.TICKET_ID: ["1"], m.KIND: ["incident"]}))
    log = {m.TICKET_ID: "Case", m.OPENED_AT: "Time (first event)",
           m.STATUS: "Status (last mapped event)"}
    table = {m.TICKET_ID: "Number", m.OPENED_AT: "Opened"}
    lines = advice.answer_lines(rule, [("desk-log", log), ("glpi", table)], tickets, None,
                                wording)
    by_tool = {line.split(",")[0]: line for line in lines if "(reassignment_count)" in line}
    assert "'event_log.activity_kinds'" in by_tool["desk-log"]
    assert "'assignment_group'" in by_tool["desk-log"]
    assert "'reassignment_count' under 'columns:'" not in by_tool["desk-log"]
    assert "map the export's column to 'reassignment_count'" in by_tool["glpi"]
