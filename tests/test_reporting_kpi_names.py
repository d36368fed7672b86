"""The reporting sign's per-KPI notes name each KPI as the KPI panel and its own table do.

A config that renamed a KPI (``defaults.wording: kpi.sla_adherence: "Within SLA"``) saw
the new name in the panel and the sign's KPI table, but the notes under them still began
"SLA adherence: the export has no SLA met/breached flag …", and first-contact resolution's
notes named a KPI ("First-contact resolution") the table calls "First-assignment
resolution". Each note now begins with the KPI's name in force.
"""

from __future__ import annotations

from casekit import run_case

TICKETS = [{"kind": "incident", "status": "resolved", "category": "Network",
            "opened_at": "2024-01-10T09:00:00", "resolved_at": "2024-01-10T11:00:00",
            "_count": 50, "_every": "1D"}]
CASE = {"as_of": "2024-04-01T00:00:00", "tickets": TICKETS}


def _notes(case: dict) -> dict[str, str]:
    f = run_case("reporting", case)
    assert f.status == "triggered"
    return {n.code: n.text for n in f.evidence.notes}


def test_the_notes_name_the_kpis_as_the_table_does() -> None:
    f = run_case("reporting", CASE)
    names = f.evidence.about_tables["kpis"].columns["kpi"].values
    notes = {n.code: n.text for n in f.evidence.notes}
    assert set(notes) == {"fcr_no_field", "sla_no_field"}
    assert notes["sla_no_field"].startswith(f"{names['sla_adherence']}: the export has no SLA")
    assert names["first_contact_resolution"] == "First-assignment resolution"
    assert notes["fcr_no_field"].startswith("First-assignment resolution: the export has no "
                                            "reassignment count")
    assert "neither first-contact resolution nor this proxy of it" in notes["fcr_no_field"]


def test_a_renamed_kpi_is_renamed_in_its_notes() -> None:
    words = {"kpi.sla_adherence": "Within SLA", "kpi.first_assignment_resolution": "FAR"}
    notes = _notes({**CASE, "config": {"defaults": {"wording": words}}})
    assert notes["sla_no_field"].startswith("Within SLA: the export has no SLA")
    assert notes["fcr_no_field"].startswith("FAR: the export has no reassignment count")
    assert not any("SLA adherence" in t or "First-assignment" in t for t in notes.values())
