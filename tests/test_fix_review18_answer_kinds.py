"""Review 18, item 3: a field counts as filled for what would answer a sign or check only
on the tickets it is read on. An incident-only ServiceNow list without 'caused_by' (the
commonest first export) left the changes sign unknown with the generic "Needs: change
records (kind change) with ci or service and end times, or incidents with
caused_by_change, ..." and ``inspect`` listed nothing for it: the incidents' own CI and
service filled the change records' alternative. Now the change records' alternative
counts on change tickets alone, and the other fields on the kinds the rule reads (its
``kinds`` param, else its ``kind incident or request`` item) where the export holds any."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pandas as pd

from itsm_diag import advice, api, synth
from itsm_diag import model as m
from itsm_diag.config import load_rules
from itsm_diag.writers.servicenow import write_servicenow
from itsm_diag.writers.zendesk import write_zendesk_csv

_SN_LINE = ("ServiceNow, the causing change on incidents, or change records "
            "(caused_by_change): add 'caused_by' to the incident list, or export the "
            "'change_request' list with 'cmdb_ci' and 'end_date'")
_ZD_LINE = ("Zendesk, the causing change on incidents, or change records (caused_by_change): "
            "Zendesk has no change records or change links: add the change tool's export, "
            "or answer the sign with 'itsm-diag quiz'")


@functools.cache
def _data() -> synth.Synthetic:
    return synth.generate(900, seed=5, weeks=26)


@functools.cache
def _incident_list() -> Path:
    """A ServiceNow incident list without 'caused_by', no change_request list."""
    out = Path(tempfile.mkdtemp(prefix="review18-kinds-")) / "sn"
    data = _data()
    write_servicenow(data.tickets, data.events, out, tables=("incident",))
    path = out / "incident.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "caused_by" in frame.columns
    frame.drop(columns=["caused_by"]).to_csv(path, index=False)
    return out


@functools.cache
def _zendesk() -> Path:
    out = Path(tempfile.mkdtemp(prefix="review18-kinds-")) / "zd"
    write_zendesk_csv(_data().tickets, out)
    return out


def _changes_both_ways(path: Path) -> tuple[str | None, list[str] | None]:
    report = api.diagnose_paths([path], api.RunOptions())
    changes = next(f for f in report.signs if f.id == "changes")
    assert changes.status == "unknown", changes.reason
    info = api.inspect_paths([path], api.RunOptions())
    assert info["by_kind"].get("change", 0) == 0
    assert info["coverage"]["caused_by_change"] == 0.0
    return changes.what_would_answer, info["unanswerable"].get("changes")


def test_an_incident_list_without_caused_by_is_told_how_servicenow_answers_changes() -> None:
    said, listed = _changes_both_ways(_incident_list())
    # was: "Needs: change records (kind change) with ci or service and end times, or
    # incidents with caused_by_change, change_outcome, change_type"; inspect: nothing
    assert said == _SN_LINE
    assert listed == [_SN_LINE]


def test_a_zendesk_csv_is_told_zendesk_has_no_change_records() -> None:
    said, listed = _changes_both_ways(_zendesk())
    assert said == _ZD_LINE
    assert listed == [_ZD_LINE]


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {m.TICKET_ID: None, m.OPENED_AT: pd.Timestamp("2026-03-02 09:00", tz="UTC"),
            m.STATUS: "open"}
    return m.conform_tickets(pd.DataFrame([{**base, m.TICKET_ID: f"T{i}", **r}
                                           for i, r in enumerate(rows)]))


def _missing(rule_id: str, tickets: pd.DataFrame) -> list[str]:
    rules = load_rules()
    return advice.missing_fields(rules.get(rule_id), tickets, None, rules.defaults.wording)


def test_change_records_are_change_tickets_with_a_ci_not_incidents_with_one() -> None:
    incidents = [{m.KIND: "incident", m.CI: "db01", m.SERVICE: "Payroll"}] * 3
    assert _missing("changes", _frame(incidents)) == ["caused_by_change"]
    change = {m.KIND: "change", m.CI: "db01", m.ACTUAL_END: pd.Timestamp("2026-03-01", tz="UTC")}
    assert _missing("changes", _frame([*incidents, change])) == []
    linked = {m.KIND: "incident", m.CAUSED_BY_CHANGE: "CHG1"}
    assert _missing("changes", _frame([*incidents, linked])) == []


def test_a_field_counts_on_the_kinds_the_rule_reads() -> None:
    # the knowledge check reads incidents (kinds: [incident]): a request's article
    # is not the incidents'
    rows = [{m.KIND: "incident", m.RESOLVED_AT: pd.Timestamp("2026-03-03", tz="UTC")},
            {m.KIND: "request", m.KNOWLEDGE_REF: "KB1"}]
    assert _missing("knowledge", _frame(rows)) == ["knowledge_ref"]
    # the backlog reads incidents and requests: a change's closed time is not theirs
    rows = [{m.KIND: "incident"}, {m.KIND: "request"},
            {m.KIND: "change", m.CLOSED_AT: pd.Timestamp("2026-03-04", tz="UTC")}]
    assert _missing("backlog", _frame(rows)) == ["resolved_at"]
    # the reporting sign too: a change's reassignment count is not the incidents'
    rows = [{m.KIND: "incident", m.CATEGORY: "network", m.SLA_MET: True},
            {m.KIND: "change", m.REASSIGNMENT_COUNT: 2}]
    assert _missing("reporting", _frame(rows)) == ["resolved_at", "reassignment_count"]


def test_without_the_rule_s_kinds_every_ticket_counts() -> None:
    # no incident at all: the knowledge check's reason says so, not a missing field
    rows = [{m.KIND: "request", m.KNOWLEDGE_REF: "KB1",
             m.RESOLVED_AT: pd.Timestamp("2026-03-03", tz="UTC")}]
    assert _missing("knowledge", _frame(rows)) == []
