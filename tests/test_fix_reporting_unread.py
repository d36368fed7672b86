"""A status the reading could not put in the vocabulary is filled, not missing.

A ManageEngine export read through a mapping that left ``In Progress - L2`` out of
``values.status`` (40 open tickets, 16% of those the backlog needs) left those tickets
without a status. The reporting sign read the status as "filled on only 84% (needs 90%;
configuration gap)", counted the backlog trend as missing from the export and triggered,
blaming the client's tool for the consultant's mapping; the KPI panel said the same.
``status_raw`` keeps what the file held: a status missing where it is filled is *unread*,
named with its values and what to do, and not counted against the export; when counting
it would change the verdict, the sign is unknown.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from casekit import tickets_frame
from itsm_diag import api, config, engine
from itsm_diag import model as m
from itsm_diag.signs import reporting
from itsm_diag.signs.base import Context, Window

AS_OF = pd.Timestamp("2024-04-01", tz="UTC")
WINDOW = Window(start=AS_OF - pd.Timedelta(weeks=13), end=AS_OF)
DEFAULTS = config.Defaults(handle_minutes={"incident": 30, "request": 20},
                           catch_all_categories=["other"]).model_dump()
PARAMS = {"min_fill": 0.9, "max_negative": 0.01, "max_catch_all": 0.2,
          "one_value_share": 0.95, "one_value_min_tickets": 200, "min_done": 30}
CUSTOM = "In Progress - L2"


def done(count: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "incident", "status": "resolved", "status_raw": "Resolved",
            "category": "Network", "reassignment_count": 0,
            "opened_at": "2024-02-01T09:00:00", "resolved_at": "2024-02-01T11:00:00",
            "due_at": "2024-02-02T09:00:00", "_count": count, **extra}


def still_open(count: int, raw: str | None, status: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"kind": "incident", "status": status, "status_raw": raw, "category": "Network",
            "opened_at": "2024-03-01T09:00:00", "_count": count, **extra}


def ctx_of(rows: list[Mapping[str, Any]]) -> Context:
    return Context(tickets=tickets_frame(rows), events=m.empty_events(), window=WINDOW,
                   defaults=DEFAULTS)


def backlog_row(ctx: Context) -> dict[str, Any]:
    rows = reporting.measure(ctx, PARAMS).tables["kpis"]
    return next(r for r in rows if r["kpi"] == "backlog_trend")


def graded(rows: list[Mapping[str, Any]]) -> Any:
    """The reporting finding over ``rows``, graded and worded by the shipped rules."""
    rules = config.load_rules()
    rule = rules.get("reporting")
    choice = engine.WindowChoice(window=WINDOW, how="case")
    return engine.build_finding(rule, engine.measure(rule, ctx_of(rows)), choice, rules)


# 150 done, 30 open in a status the mapping does not map, 10 open and read: 160 of 190
# (84%) have a status read, every one a status filled
MAPPED = [done(150, source_tool="acme"), still_open(30, CUSTOM, source_tool="acme"),
          still_open(10, "Open", "open", source_tool="acme")]


def test_an_unmapped_status_is_unread_not_a_configuration_gap() -> None:
    row = backlog_row(ctx_of(MAPPED))
    assert not row["computable"]
    assert row["gap"] == "unread"
    assert row["detail"] == "backlog_unmapped"
    assert row["share"] == 1.0  # filled in the tool on every ticket


def test_its_words_name_the_values_and_the_mapping_not_the_tool() -> None:
    f = graded(MAPPED)
    # the backlog trend alone is unreliable: counted missing it would still be 1 of 5
    assert f.status == "clear"
    assert f.metrics["kpis_missing"].value == 0
    assert f.metrics["kpis_unread"].value == 1
    assert f.metrics["configuration_gaps"].value == 0
    text = next(n.text for n in f.evidence.notes if n.code == "backlog_unmapped")
    assert f"'{CUSTOM}' (30)" in text
    assert "values.status" in text
    assert "no configuration gap" in text and "(configuration gap)" not in text


def test_a_verdict_the_unread_status_decides_is_unknown() -> None:
    # no reassignment count: first-contact resolution is a capability gap; with the
    # backlog trend unread, the second KPI that would trigger the sign is the mapping's
    rows = [{**r, "reassignment_count": None} for r in MAPPED]
    f = graded(rows)
    assert f.status == "unknown"
    assert f.metrics["kpis_missing"].value == 1
    assert f"'{CUSTOM}' (30)" in f.reason and "values.status" in f.reason
    assert "configuration gap" not in f.reason


def test_gaps_of_the_export_still_trigger_it() -> None:
    # no reassignment count and no category: two gaps of the export; the unread backlog
    # is named apart and does not add a third
    rows = [{**r, "reassignment_count": None, "category": None} for r in MAPPED]
    f = graded(rows)
    assert f.status == "triggered"
    assert f.metrics["kpis_missing"].value == 2
    assert f.metrics["kpis_unread"].value == 1
    assert {"fcr_no_field", "volume_no_field", "backlog_unmapped"} <= {
        n.code for n in f.evidence.notes}


def test_a_built_in_tools_custom_status_is_named_as_outside_its_statuses() -> None:
    rows = [{**r, "source_tool": "freshservice"} for r in MAPPED]
    ctx = ctx_of(rows)
    row = backlog_row(ctx)
    assert row["gap"] == "unread" and row["detail"] == "backlog_unread"
    f = graded(rows)
    text = next(n.text for n in f.evidence.notes if n.code == "backlog_unread")
    assert "Freshservice" in text and f"'{CUSTOM}' (30)" in text
    assert "--mapping" in text and "configuration gap)" not in text


def test_a_status_column_nothing_reads_is_no_capability_gap() -> None:
    # every status outside the vocabulary: the export has a status on every ticket
    rows = [done(150, status=None, status_raw="Erledigt", source_tool="acme"),
            still_open(40, "In Bearbeitung", source_tool="acme")]
    row = backlog_row(ctx_of(rows))
    assert row["gap"] == "unread" and row["detail"] == "backlog_unmapped"


def test_an_empty_status_stays_a_configuration_gap_counting_the_unread_as_filled() -> None:
    # 150 done, 20 open unread, 30 open with no status at all, 10 read: 160 of 210 (76%)
    # read, 180 of 210 (86%) filled: short of 90% whatever the reading, the tool's gap
    rows = [done(150, source_tool="acme"), still_open(20, CUSTOM, source_tool="acme"),
            still_open(30, None, source_tool="acme"),
            still_open(10, "Open", "open", source_tool="acme")]
    row = backlog_row(ctx_of(rows))
    assert row["gap"] == "configuration" and row["detail"] == "backlog_sparse"
    assert row["share"] == 180 / 210  # filled, unread included; read is 160 / 210


# ---- end to end: a mapped CSV, the KPI panel's caveat, --redact -----------------------

MAPPING = """\
tool: acme
kind: incident
columns:
  ticket_id: Id
  opened_at: Created
  resolved_at: Resolved
  due_at: Due
  status: State
  category: Category
  reassignment_count: Reassigned
values:
  status: {Done: resolved}
"""


def write_export(folder: Path, custom: str) -> Path:
    folder.mkdir()
    rows = [["Id", "Created", "Resolved", "Due", "State", "Category", "Reassigned"]]
    for i in range(150):
        day = pd.Timestamp("2024-01-08 09:00") + pd.Timedelta(hours=13 * i)
        rows.append([f"A{i}", str(day), str(day + pd.Timedelta(hours=3)),
                     str(day + pd.Timedelta(days=1)), "Done", "Network", "0"])
    for i, state in enumerate([custom] * 30 + ["Open"] * 10):
        day = pd.Timestamp("2024-03-20 09:00") + pd.Timedelta(hours=i)
        rows.append([f"B{i}", str(day), "", str(day + pd.Timedelta(days=1)), state,
                     "Network", "0"])
    with (folder / "tickets.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    mapping = folder.parent / "acme.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def test_the_kpi_panel_caveat_names_the_unread_statuses(tmp_path: Path) -> None:
    mapping = write_export(tmp_path / "export", CUSTOM)
    report = api.diagnose_paths([tmp_path / "export"], api.RunOptions(mapping=mapping))
    caveat = report.kpis.caveats["backlog_weekly"]
    assert f"'{CUSTOM}' (30)" in caveat and "values.status" in caveat
    assert "configuration gap)" not in caveat
    assert report.kpis.reliable["backlog_weekly"] is False


def test_a_redacted_report_sweeps_the_values_it_names(tmp_path: Path) -> None:
    # a status is the client's own vocabulary, shown as the file's warnings show it; an
    # e-mail address typed into one is swept, as everywhere in a redacted report
    custom = "Waiting on jane.doe@example.com"
    mapping = write_export(tmp_path / "export", custom)
    report = api.diagnose_paths([tmp_path / "export"],
                                api.RunOptions(mapping=mapping, redact=True))
    caveat = report.kpis.caveats["backlog_weekly"]
    assert "'Waiting on [email 1]' (30)" in caveat
    assert "jane.doe" not in report.model_dump_json()


def test_the_panel_keeps_the_caveat_when_the_unread_kpi_leaves_the_sign_unknown(
        tmp_path: Path) -> None:
    # no reassignment count: one KPI the export lacks, and the unread backlog trend would
    # make it two (the sign's bar): the sign is unknown, and the panel still says why its
    # backlog trend is unreliable
    mapping = write_export(tmp_path / "export", CUSTOM)
    mapping.write_text(MAPPING.replace("  reassignment_count: Reassigned\n", ""),
                       encoding="utf-8")
    report = api.diagnose_paths([tmp_path / "export"], api.RunOptions(mapping=mapping))
    assert next(s for s in report.signs if s.id == "reporting").status == "unknown"
    caveat = report.kpis.caveats["backlog_weekly"]
    assert f"'{CUSTOM}' (30)" in caveat and "values.status" in caveat
    assert report.kpis.reliable["backlog_weekly"] is False


def test_the_built_in_tools_are_the_importers() -> None:
    # the signs tell a built-in tool's custom status from a mapping's by this list
    from itsm_diag import model as m
    from itsm_diag.importers.registry import importers

    assert set(m.BUILT_IN_TOOLS) == set(importers())
