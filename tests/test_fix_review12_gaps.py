"""Review 12b, items 1 and 4: a KPI field the export's header has but leaves blank (or
holding one tool default) is a configuration gap, not a capability gap; the columns that
feed the change type and outcome are in ``column_map``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api, config, engine
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.signs import reporting
from itsm_diag.signs.base import Calendar, Context

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"
JIRA = Path(__file__).resolve().parents[1] / "samples" / "jira"
#: the KPI columns of the demo's incident export the reviewer's repro blanked
KPI_COLUMNS = ("made_sla", "reassignment_count", "category", "due_date")


def _demo_incidents() -> pd.DataFrame:
    return pd.read_csv(DEMO / "incident_1.csv", dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def blanked(tmp_path: Path, name: str = "incident.csv") -> Path:
    """The reviewer's repro: the KPI columns kept in the header, every cell blank."""
    frame = _demo_incidents()
    for column in KPI_COLUMNS:
        frame[column] = ""
    return _write(frame, tmp_path / name)


def dropped(tmp_path: Path, name: str = "incident.csv") -> Path:
    """The same export without those columns at all."""
    return _write(_demo_incidents().drop(columns=list(KPI_COLUMNS)), tmp_path / name)


def measured(paths: list[Path]) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Reporting measured over ``paths`` as read, with the fields their column maps read
    (as the engine hands them to the Context), over the 13 weeks to the last opening."""
    rules = config.load_rules()
    loaded = api._load(paths, api.RunOptions())
    end = loaded.tickets[m.OPENED_AT].max()
    d = rules.defaults
    ctx = Context(
        tickets=loaded.tickets, events=loaded.events,
        window=engine.Window(start=end - pd.Timedelta(weeks=13), end=end),
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(), max_samples=d.max_samples,
        read_fields=frozenset(f for s in loaded.sources for f in s.column_map),
    )
    meas = reporting.measure(ctx, rules.get("reporting").params)
    return meas, {row["kpi"]: row for row in meas.tables["kpis"]}


def gaps(meas: Any) -> tuple[float, float]:
    return (meas.metrics["configuration_gaps"].value, meas.metrics["capability_gaps"].value)


# ---- item 1: the field exists but is empty or junk -> configuration gap ----------------

def test_blank_columns_in_the_header_are_configuration_gaps(tmp_path: Path) -> None:
    meas, kpis = measured([blanked(tmp_path)])
    assert gaps(meas) == (3.0, 0.0)
    for kpi in ("first_contact_resolution", "sla_adherence", "volume_by_category"):
        assert kpis[kpi]["gap"] == "configuration", kpis[kpi]
        assert kpis[kpi]["detail"].endswith("_sparse"), kpis[kpi]


def test_columns_the_export_lacks_stay_capability_gaps(tmp_path: Path) -> None:
    meas, kpis = measured([dropped(tmp_path)])
    assert gaps(meas) == (0.0, 3.0)
    for kpi in ("first_contact_resolution", "sla_adherence", "volume_by_category"):
        assert kpis[kpi]["gap"] == "capability", kpis[kpi]
        assert kpis[kpi]["detail"].endswith("_no_field"), kpis[kpi]


def test_a_tool_default_on_every_ticket_is_a_configuration_gap(tmp_path: Path) -> None:
    """ServiceNow's made_sla true everywhere (read as not filled) with no due times: junk
    in a field the export has, not a field it lacks."""
    frame = _demo_incidents()
    frame["made_sla"] = "true"
    frame["due_date"] = ""
    _, kpis = measured([_write(frame, tmp_path / "incident.csv")])
    assert kpis["sla_adherence"]["gap"] == "configuration", kpis["sla_adherence"]
    assert kpis["sla_adherence"]["detail"] == "sla_sparse"


def test_blank_done_times_are_unfilled_not_left_out(tmp_path: Path) -> None:
    """A built-in tool's file whose resolved and closed columns are there but blank did
    not leave the done time out of the export (an export gap): it does not fill it."""
    frame = _demo_incidents()
    frame["resolved_at"] = ""
    frame["closed_at"] = ""
    _, kpis = measured([_write(frame, tmp_path / "incident.csv")])
    assert kpis["time_to_resolve"]["gap"] == "configuration", kpis["time_to_resolve"]


def test_a_file_that_lacks_the_column_is_still_an_export_gap(tmp_path: Path) -> None:
    """Mixed inputs: one file of the tool fills the category, the other has no such
    column: that file's tickets were not exported for it (kind ``export``)."""
    frame = _demo_incidents()
    half = len(frame) // 2
    first = _write(frame.iloc[:half], tmp_path / "incident_a.csv")
    second = _write(frame.iloc[half:].drop(columns=["category"]), tmp_path / "incident_b.csv")
    _, kpis = measured([first, second])
    assert kpis["volume_by_category"]["gap"] == "export", kpis["volume_by_category"]
    assert kpis["volume_by_category"]["detail"] == "volume_left_out"


def test_the_plan_proposes_the_configuration_fix(tmp_path: Path) -> None:
    """The whole run on the reviewer's repro: configuration gaps, the quick configuration
    fix, no structural capability fix (needs the engine to hand the column maps' fields to
    the Context)."""
    report = api.diagnose_paths([blanked(tmp_path)], api.RunOptions())
    sign = next(s for s in report.signs if s.id == "reporting")
    assert (sign.metrics["configuration_gaps"].value,
            sign.metrics["capability_gaps"].value) == (3.0, 0.0)
    fixes = {f.id for f in report.fixes if f.sign == "reporting"}
    assert "fix-configuration-gaps" in fixes
    assert "fix-capability-gaps" not in fixes
    # and the same export without the columns keeps the structural fix
    other = tmp_path / "other"
    other.mkdir()
    report = api.diagnose_paths([dropped(other)], api.RunOptions())
    fixes = {f.id for f in report.fixes if f.sign == "reporting"}
    assert "fix-capability-gaps" in fixes
    assert "fix-configuration-gaps" not in fixes


# ---- item 4: the columns behind change_type and change_outcome -------------------------

def _column_maps(path: Path) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return [i["column_map"] for i in json.loads(result.stdout)["inputs"]]


def test_inspect_names_the_servicenow_change_columns() -> None:
    (change,) = _column_maps(DEMO / "change_request.csv")
    assert change[m.CHANGE_TYPE] == "type"
    assert change[m.CHANGE_OUTCOME] == "close_code"
    # an incident table's close code feeds no change outcome
    (incident,) = _column_maps(DEMO / "incident_1.csv")
    assert m.CHANGE_OUTCOME not in incident
    assert m.CHANGE_TYPE not in incident


@pytest.mark.parametrize("name", ["jira_1.csv"])
def test_inspect_names_the_jira_change_columns(name: str) -> None:
    (issues,) = _column_maps(JIRA / name)
    assert issues[m.CHANGE_TYPE] == "Custom field (Change type)"
    assert issues[m.CHANGE_OUTCOME] in ("Custom field (Change outcome)",
                                        "Custom field (Change result)", "Resolution")


def test_the_change_columns_are_read_not_unread() -> None:
    """Read columns are not offered to the signs as unread headers."""
    loaded = api._load([DEMO / "change_request.csv"], api.RunOptions())
    unread = api.unread_columns(loaded.sources)
    assert "type" not in unread
    assert "close_code" not in unread
