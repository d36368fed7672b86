"""Review 12 (rd2), items 2 and 3: a header column counts as the export having a KPI's
field only for the inputs whose tickets are in scope, less the columns a tool fills only
on other kinds (Zendesk's Due date: tasks only); the text clusters' person words are
counted alike with and without ``--redact``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api, config, engine
from itsm_diag import model as m
from itsm_diag.analyses import textclusters as tc
from itsm_diag.errors import ConfigError
from itsm_diag.signs.base import Calendar, Context

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _context(paths: list[Path], **extra: Any) -> Context:
    """A Context over ``paths`` as read, its read fields as the engine builds them, over
    the 13 weeks to the last opening."""
    rules = config.load_rules()
    loaded = api._load(paths, api.RunOptions())
    d = rules.defaults
    end = loaded.tickets[m.OPENED_AT].max()
    inputs = [api.input_info(s) for s in loaded.sources]
    return Context(
        tickets=loaded.tickets, events=loaded.events,
        window=engine.Window(start=end - pd.Timedelta(weeks=13), end=end),
        calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
        defaults=d.model_dump(), max_samples=d.max_samples,
        read_fields=tuple((i.tool, i.path, frozenset(i.column_map)) for i in inputs),
        **extra,
    )


def _kpis(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The reporting sign's KPI rows of a whole run over ``paths``."""
    report = api.diagnose_paths(paths, api.RunOptions())
    sign = next(s for s in report.signs if s.id == "reporting")
    return {row["kpi"]: row for row in sign.evidence.tables["kpis"]}


# ---- item 2 ----------------------------------------------------------------------------

@pytest.mark.parametrize("sample", ["zendesk/zendesk_export.csv", "zendesk/api"])
def test_zendesk_due_date_column_is_no_sla_field(sample: str) -> None:
    """Zendesk exports Due date on every ticket, filled on tasks only: its SLA adherence
    stays a capability gap, as before the header counted."""
    kpi = _kpis([SAMPLES / sample])["sla_adherence"]
    assert (kpi["gap"], kpi["detail"]) == ("capability", "sla_no_field"), kpi


def test_an_out_of_scope_table_column_is_no_field_of_the_incidents(tmp_path: Path) -> None:
    """An incident table without a category column beside a change table whose header has
    one, blank: the change table's header says nothing of the incidents' category (a
    capability gap, as when no table has the column)."""
    frame = pd.read_csv(SAMPLES / "demo" / "incident_1.csv", dtype=str,
                        keep_default_na=False).drop(columns=["category"])
    frame.to_csv(tmp_path / "incident.csv", index=False)
    changes = pd.read_csv(SAMPLES / "demo" / "change_request.csv", dtype=str,
                          keep_default_na=False)
    changes["category"] = ""
    changes.to_csv(tmp_path / "change_request.csv", index=False)
    kpi = _kpis([tmp_path / "incident.csv", tmp_path / "change_request.csv"])[
        "volume_by_category"]
    assert (kpi["gap"], kpi["detail"]) == ("capability", "volume_no_field"), kpi


def test_a_sheet_among_others_says_nothing_of_given_tickets(tmp_path: Path) -> None:
    """The same two tables as sheets of one workbook: its tickets carry the workbook's
    name only, so the change sheet's blank category was read as the incidents' (a
    configuration gap; a reader of the change). A sheet among others lends no header."""
    openpyxl = pytest.importorskip("openpyxl")
    incidents = pd.read_csv(SAMPLES / "demo" / "incident_1.csv", dtype=str,
                            keep_default_na=False).drop(columns=["category"])
    changes = pd.read_csv(SAMPLES / "demo" / "change_request.csv", dtype=str,
                          keep_default_na=False)
    changes["category"] = ""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in (("incident", incidents), ("change_request", changes)):
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([c if c != "" else None for c in row])
    book.save(tmp_path / "export.xlsx")
    kpi = _kpis([tmp_path / "export.xlsx"])["volume_by_category"]
    assert (kpi["gap"], kpi["detail"]) == ("capability", "volume_no_field"), kpi


def test_unfilled_in_scope_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("signs:\n  reporting:\n    params:\n      unfilled_in_scope:\n"
                   "        zendesk: [due_date]\n")
    with pytest.raises(ConfigError, match="due_date"):
        config.load_rules_with(bad)
    good = tmp_path / "good.yaml"
    good.write_text("signs:\n  reporting:\n    params:\n      unfilled_in_scope:\n"
                    "        zendesk: []\n")
    rules = config.load_rules_with(good)
    assert rules.get("reporting").params["unfilled_in_scope"] == {"zendesk": []}


# ---- item 3 ----------------------------------------------------------------------------

def _bill(path: Path) -> Path:
    """The reviewer's bill case: four requesters and four agents named Bill, 18 "Bill X
    wrong" and 18 "X wrong" wordings."""
    rng = random.Random(2)
    req = ["Bill Adams", "Bill Baker", "Bill Clark", "Bill Davis", "Anna Meyer",
           "Tom Weber", "Sara Koch", "Lena Wolf"]
    ag = ["Bill Evans", "Bill Ford", "Bill Grant", "Bill Hill", "Pat Nordin", "Kim Olsen"]
    things = ["invoice", "amount", "address", "copy", "date", "currency", "tax",
              "discount", "reminder", "payment", "duplicate", "reference", "total",
              "credit", "format", "language", "period", "portal"]
    start = datetime(2025, 7, 1)
    rows = []
    for i in range(2000):
        o = start + timedelta(minutes=rng.randint(0, 60 * 24 * 150))
        r = o + timedelta(hours=rng.randint(1, 200))
        thing = rng.choice(things)
        rows.append({
            "number": f"INC{100000 + i}",
            "short_description": f"Bill {thing} wrong" if rng.random() < 0.5
            else f"{thing} wrong",
            "state": "Closed", "priority": "3 - Moderate", "category": "Billing",
            "assignment_group": "Billing", "assigned_to": rng.choice(ag),
            "caller_id": rng.choice(req), "contact_type": "Email",
            "opened_at": f"{o:%Y-%m-%d %H:%M:%S}", "resolved_at": f"{r:%Y-%m-%d %H:%M:%S}",
            "closed_at": f"{r:%Y-%m-%d %H:%M:%S}", "sys_updated_on": f"{r:%Y-%m-%d %H:%M:%S}",
        })
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_person_words_alike_plain_and_redacted(tmp_path: Path) -> None:
    from itsm_diag.redact import redact_tables

    params = config.load_rules().analyses["text-clusters"].params
    path = _bill(tmp_path / "incident.csv")
    plain = tc._person_words(_context([path]), params)
    loaded = api._load([path], api.RunOptions())
    requesters, assignees = (pd.Series(loaded.tickets[c].dropna().unique())
                             for c in (m.REQUESTER, m.ASSIGNEE))
    words = frozenset(tc.name_words_of([requesters, assignees]))
    tickets, events, _ = redact_tables(loaded.tickets, loaded.events)
    base = _context([path])
    redacted = tc._person_words(Context(
        tickets=tickets, events=events, window=base.window, calendar=base.calendar,
        defaults=base.defaults, max_samples=base.max_samples, name_words=words), params)
    assert "bill" in plain
    assert plain == redacted
