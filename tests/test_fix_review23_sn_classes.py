"""Review 23, D1: ServiceNow records of other departments' tables (HR cases
``sn_hr_core_case`` / HRC..., customer service cases ``sn_customerservice_case`` / CS...,
security incidents ``sn_si_incident`` / SIR..., any record class the importer does not know
as IT work) are left out of every figure and named with their counts, never read as
incidents.

The reviewer's shapes: a synthetic IT desk (``Conditions.none()``: every sign clear or
unknown) written as ServiceNow list exports, then the same desk with its incident list
replaced by a task-table export (``sys_class_name``, raw or display values) that also
holds HR, customer service and security cases, and the desk beside a separate
``sn_hr_core_case.csv`` list export. Before the fix the mixed runs read the 3,000 other
records as incidents: the band went HEALTHY -> GAPS (backlog and reporting triggered,
1,041 listed on the Monday action list, HRC 650 of them), and the HR list was "table
incident". Now every IT figure is the IT desk's alone, to the last digit.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.writers.servicenow import write_servicenow

END = pd.Timestamp("2026-09-30 23:59:59")
START = END - pd.Timedelta(weeks=26)
COUNTS = {"sn_hr_core_case": 600, "sn_customerservice_case": 450, "sn_si_incident": 120}
LABELS = {"sn_hr_core_case": "HR Case", "sn_customerservice_case": "Case",
          "sn_si_incident": "Security Incident"}
PREFIX = {"sn_hr_core_case": "HRC", "sn_customerservice_case": "CS", "sn_si_incident": "SIR"}
WORDS = {"sn_hr_core_case": "HR case", "sn_customerservice_case": "customer service case",
         "sn_si_incident": "security incident"}
SUMMARY = {"sn_hr_core_case": ["Payroll query: overtime missing", "Copy of W-2 needed",
                               "Request parental leave"],
           "sn_customerservice_case": ["Order not delivered", "Refund request",
                                       "Invoice wrong"],
           "sn_si_incident": ["Phishing email reported", "Suspicious login"]}
STATES = {"sn_hr_core_case": (["Ready", "Work in Progress", "Suspended"], "Closed Complete"),
          "sn_customerservice_case": (["New", "Open", "Awaiting Info"], "Closed"),
          "sn_si_incident": (["Analysis", "Contain"], "Closed")}


def _cases(table: str, rng: np.random.Generator) -> pd.DataFrame:
    """Another department's records as its list export writes them (the reviewer's
    gen_hr.py): opened over the window, a third still open at its end, no SLA or
    reassignment fields filled."""
    n = COUNTS[table]
    opened = pd.Series(START + pd.to_timedelta(
        rng.uniform(0, (END - START).total_seconds(), n), unit="s")).sort_values(
        ignore_index=True)
    closed = opened + pd.to_timedelta(rng.lognormal(np.log(8), 1.0, n), unit="D")
    still = ((closed > END) | (rng.random(n) < 0.3)).to_numpy()
    open_states, done = STATES[table]
    fmt = "%Y-%m-%d %H:%M:%S"
    return pd.DataFrame({
        "number": [f"{PREFIX[table]}{1001 + i:07d}" for i in range(n)],
        "sys_class_name": table,
        "short_description": rng.choice(SUMMARY[table], n),
        "state": np.where(still, rng.choice(open_states, n), done),
        "priority": rng.choice(["3 - Moderate", "4 - Low", "2 - High"], n),
        "assignment_group": rng.choice(["HR Ops", "Customer Care", "SOC"], n),
        "assigned_to": rng.choice(["Hana Ruiz", "Omar Bell"], n),
        "caller_id": [f"Employee {k}" for k in rng.integers(1, 400, n)],
        "contact_type": rng.choice(["Email", "Phone", "Self-service"], n),
        "opened_at": opened.dt.strftime(fmt),
        "closed_at": np.where(still, "", closed.dt.strftime(fmt)),
        "sys_updated_on": np.where(still, (END - pd.Timedelta(days=1)).strftime(fmt),
                                   closed.dt.strftime(fmt)),
    })


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sn_classes")
    s = synth.generate(1500, seed=11, end="2026-09-30", weeks=26)
    it = root / "sn_it"
    write_servicenow(s.tickets, s.events, it)
    rng = np.random.default_rng(5)
    other = pd.concat([_cases(t, rng) for t in COUNTS], ignore_index=True)
    out = {"it": it}
    for variant in ("class", "label"):
        mixed = root / f"sn_taskmix_{variant}"
        mixed.mkdir()
        for f in it.iterdir():
            if f.name != "incident.csv":
                (mixed / f.name).write_bytes(f.read_bytes())
        inc = pd.read_csv(it / "incident.csv", dtype=str, keep_default_na=False)
        inc.insert(1, "sys_class_name", "incident" if variant == "class" else "Incident")
        rest = other.copy()
        if variant == "label":
            rest["sys_class_name"] = rest["sys_class_name"].map(LABELS)
        pd.concat([inc, rest], ignore_index=True).fillna("").to_csv(
            mixed / "task_all.csv", index=False)
        out[variant] = mixed
    hr = root / "nonit"
    hr.mkdir()
    other[other.sys_class_name == "sn_hr_core_case"].drop(columns="sys_class_name").to_csv(
        hr / "sn_hr_core_case.csv", index=False)
    out["hr_list"] = hr
    return out


def _same(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two dumped reports differ, floats to 1e-9 (a sum's last digit)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _same(a.get(k), b.get(k), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items -> {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _same(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [
            f"{where}: {a} -> {b}"]
    return [] if a == b else [f"{where}: {str(a)[:80]} -> {str(b)[:80]}"]


def _verdicts(report: Any) -> dict[str, Any]:
    dumped = report.model_dump(mode="json")
    return {k: v for k, v in dumped.items()
            if k not in ("inputs", "data_notes", "generated_by", "schema_version")}


@pytest.fixture(scope="module")
def alone(shapes: dict[str, Path]) -> Any:
    return api.diagnose_paths([shapes["it"]], api.RunOptions())


def _named(note: str) -> None:
    total = sum(COUNTS.values())
    assert note.startswith(f"{total:,} records")
    for table, n in COUNTS.items():
        assert f"{n:,} {table} ({WORDS[table]})" in note


@pytest.mark.parametrize("variant", ["class", "label"])
def test_other_departments_cases_change_no_it_figure(shapes: dict[str, Path], alone: Any,
                                                     variant: str) -> None:
    mixed = api.diagnose_paths([shapes[variant]], api.RunOptions())
    # the IT desk alone is healthy; before the fix the mixed export read 1,170 other
    # records as incidents (score 0 -> 1+, backlog triggered, HRC/CS on the action list)
    assert alone.score == 0 and alone.band == "healthy"
    assert mixed.score == alone.score and mixed.band == alone.band
    assert {s.id: s.status for s in mixed.signs} == {s.id: s.status for s in alone.signs}
    assert {c.id: c.status for c in mixed.checks} == {c.id: c.status for c in alone.checks}
    assert mixed.hours_at_stake_per_month == alone.hours_at_stake_per_month
    assert mixed.tickets.by_kind == alone.tickets.by_kind
    assert mixed.tickets.total == alone.tickets.total
    assert _same(_verdicts(alone), _verdicts(mixed)) == []
    listed = mixed.analyses["actions"].model_dump(mode="json")
    assert not any(p in str(listed) for p in ("HRC0", "CS0", "SIR0"))
    # named, with counts: in the file's warnings and the report's data notes
    task = next(i for i in mixed.inputs if i.path.endswith("task_all.csv"))
    assert task.table == "incident" and task.tickets == alone.tickets.by_kind["incident"]
    assert task.rows == task.tickets + sum(COUNTS.values())
    _named(next(w for w in task.warnings if "not IT service management work" in w))
    _named(next(n for n in mixed.data_notes if "not IT service management work" in n))
    # the HR states are no longer named as states the incident table could not read
    assert not any("'Ready'" in w or "Suspended" in w for w in task.warnings)


def test_hr_case_list_export_is_named_and_left_out(shapes: dict[str, Path],
                                                   alone: Any) -> None:
    both = api.diagnose_paths([shapes["it"], shapes["hr_list"]], api.RunOptions())
    hr = next(i for i in both.inputs if i.path.endswith("sn_hr_core_case.csv"))
    # before: "table incident (confidence 1.00)", 600 incidents
    assert hr.table == "sn_hr_core_case"
    assert "HR cases (sn_hr_core_case), not IT service management work" in hr.detected_by
    assert (hr.rows, hr.tickets) == (600, 0)
    assert any("600 sn_hr_core_case (HR case)" in w for w in hr.warnings)
    assert any(n.startswith("600 records of the inputs left out") for n in both.data_notes)
    assert _same(_verdicts(alone), _verdicts(both)) == []


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _row(number: str, cls: str | None = None, **more: str) -> dict[str, str]:
    row = {"number": number, "short_description": "x", "state": "In Progress",
           "opened_at": "2026-03-02 09:00:00", "sys_updated_on": "2026-03-03 09:00:00"}
    if cls is not None:
        row["sys_class_name"] = cls
    return {**row, **more}


def test_hr_list_named_by_its_file_name_when_its_numbers_say_nothing(tmp_path: Path) -> None:
    # numbers of no known prefix: the file's name names the table
    path = _write(tmp_path / "sn_hr_core_case.csv",
                  [_row(f"HR{1000 + i}") for i in range(3)])
    it = _write(tmp_path / "incident.csv", [_row("INC0010001")])
    loaded = load_paths([it, path], ImportOptions())
    hr = next(s for s in loaded.sources if s.path.endswith("sn_hr_core_case.csv"))
    assert (hr.table, hr.tickets) == ("sn_hr_core_case", 0)
    assert list(loaded.tickets[m.TICKET_ID]) == ["INC0010001"]
    assert any("3 sn_hr_core_case (HR case)" in w for w in hr.warnings)


def test_unknown_classes_and_prefixes_are_named_by_their_value(tmp_path: Path) -> None:
    path = _write(tmp_path / "task.csv", [
        _row("INC0010001", "incident"), _row("INC0010002", "Incident"),
        _row("WO0010001", "wm_order"), _row("WO0010002", "wm_order"),
        _row("FAC0010001", "Facilities Request"), _row("LGL0010001", "Legal Request"),
        _row("ABC0010001", "My Custom Case"), _row("RITM0010001", ""),
        _row("HRC0010001", ""), _row("XYZ0010001", "")])
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    # the IT records alone, read by their class (else their prefix)
    assert t[m.KIND].to_dict() == {"INC0010001": "incident", "INC0010002": "incident",
                                   "RITM0010001": "request"}
    note = next(w for w in loaded.sources[0].warnings
                if "not IT service management work" in w)
    assert note.startswith("7 records left out as not IT service management work: ")
    for named in ("2 'wm_order'", "1 facilities_request (facilities request)",
                  "1 sn_lg_ops_request (legal request)", "1 'My Custom Case'",
                  "1 sn_hr_core_case (HR case)", "1 XYZ... numbers (a prefix of no IT table)"):
        assert named in note


def test_a_file_of_unknown_numbers_alone_stays_its_tables(tmp_path: Path) -> None:
    # an instance's own incident numbering (no known prefix in the file): read as the
    # table the headers name, as before, nothing left out
    path = _write(tmp_path / "incident.csv", [
        _row(f"IM{1000 + i}", caller_id="Ann") for i in range(3)])
    loaded = load_paths([path], ImportOptions())
    assert list(loaded.tickets[m.KIND]) == ["incident"] * 3
    assert not any("left out" in w for w in loaded.sources[0].warnings)


@pytest.mark.parametrize(("cls", "number", "table"), [
    ("pm_program", "PRGM0010001", "pm_program"), ("Program", "PRGM0010001", "pm_program"),
    ("pm_portfolio", "PFM0010001", "pm_portfolio"), ("rm_enhancement", "X1", "rm_enhancement"),
    ("Enhancement", "X1", "rm_enhancement"), ("rm_feature", "X1", "rm_feature"),
    (None, "ENHC0010001", "rm_enhancement")])
def test_planned_work_classes_are_project_records(tmp_path: Path, cls: str | None,
                                                  number: str, table: str) -> None:
    rows = [_row("INC0010001", "incident" if cls else None), _row(number, cls)]
    loaded = load_paths([_write(tmp_path / "task.csv", rows)], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t.loc[number, m.KIND] == "other"
    assert t.loc[number, m.LABELS] == f"project:{table}"
    assert not any("not IT service management" in w for w in loaded.sources[0].warnings)
