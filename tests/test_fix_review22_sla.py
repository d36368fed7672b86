"""ServiceNow's made_sla default and SLA adherence (review 22a, findings 1 and 2).

Finding 1: an export of ``incident.csv`` with ``made_sla`` true on all 1,561 incidents
(no incident SLA: ServiceNow's default) and ``sc_req_item.csv`` with a real fulfilment
SLA (288 of 408 done requests met). The incident file alone was read right (the flag is
the default, not filled), but with the requests beside it the one-value test ran on the
tables combined, saw the requests' ``false`` and kept the incidents' defaults: SLA
adherence 89% (1,001 of 1,121), sla-by-priority clear on P1 19/19. Each table is now
judged on its own, and the data note names its file.

Finding 2: only the priority 1-2 incidents carry an SLA (``sla_due`` filled, 62 of 93
met); every other ticket has no ``sla_due`` and ``made_sla`` true (the default). The
panel read 97% (1,090 of 1,121) and sla-by-priority triggered on "the rest" at 100%,
none of which had an SLA. A flag on a ticket with no due time, where the export holds
due times, is now no outcome: left out of the KPI and the check alike, counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.report import Finding, Report
from itsm_diag.writers.servicenow import write_servicenow


def _check(report: Report, check_id: str) -> Finding:
    return next(c for c in report.checks if c.id == check_id)


def _recount(report: Report, files: list[Path], *, with_due: bool) -> tuple[int, int]:
    """Done in the window (not cancelled, no machine's alert) with made_sla: (met, n);
    ``with_due``: only those with an SLA attached (sla_due filled)."""
    start, end = pd.Timestamp(report.window.start), pd.Timestamp(report.window.end)
    frame = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    closed = pd.to_datetime(frame["closed_at"], utc=True)
    done_at = (pd.to_datetime(frame["resolved_at"], utc=True).fillna(closed)
               if "resolved_at" in frame else closed)
    done = (frame["state"].isin(["Resolved", "Closed", "Closed Complete", "Closed Incomplete"])
            & (done_at >= start) & (done_at <= end)
            # an alert raised by monitoring (the KPI leaves a machine's incidents out)
            & ~(frame["number"].str.startswith("INC")
                & frame["contact_type"].fillna("").str.lower().isin(["monitoring", "api"])))
    if with_due:
        done &= frame["sla_due"].notna()
    flag = frame["made_sla"].eq("true")
    return int((done & flag).sum()), int(done.sum())


# ---- finding 1: the one-value test per table -----------------------------------------


def _incidents_and_requests(folder: Path) -> list[Path]:
    """The review's s6: incidents with made_sla true on every one and no due time,
    requests met on 70% (the same generator, seeds and writer)."""
    s = synth.generate(3000, seed=11)
    t, e = s.tickets.copy(), s.events.copy()
    rng = np.random.default_rng(2)
    inc, req = t.kind.eq("incident"), t.kind.eq("request")
    t.loc[inc, "sla_met"] = True
    t.loc[inc, "due_at"] = pd.NaT
    t.loc[req, "sla_met"] = rng.random(int(req.sum())) < 0.7
    return list(write_servicenow(t, e, folder, tables=("incident", "sc_req_item")))


@pytest.fixture(scope="module")
def per_table(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Report]:
    folder = tmp_path_factory.mktemp("s6")
    paths = _incidents_and_requests(folder)
    return paths, api.diagnose_paths(paths, api.RunOptions())


def test_the_incidents_default_is_not_read_beside_the_requests(
        per_table: tuple[list[Path], Report]) -> None:
    paths, report = per_table
    requests = [p for p in paths if p.name == "sc_req_item.csv"]
    met, n = _recount(report, requests, with_due=False)
    assert (met, n) == (288, 408)  # the requests' real outcomes, the only ones
    counts = report.kpis.counts["sla_adherence"]
    assert (counts["numerator"], counts["denominator"]) == (288, 408)  # was 1,001 of 1,121
    assert report.kpis.sla_adherence == pytest.approx(0.7059, abs=1e-4)  # was 0.893
    # 408 of 1,121 done tickets carry an outcome: the panel says it is no full figure
    assert report.kpis.reliable["sla_adherence"] is False
    # the check reads the same outcomes: one number per concept
    overall = _check(report, "sla-by-priority").metrics["overall_adherence"]
    assert (overall.numerator, overall.denominator) == (288, 408)
    notes = [n for n in report.data_notes if "tickets that carry it" in n]
    assert len(notes) == 1
    assert notes[0].startswith("made_sla in incident.csv is true on all 1,561 tickets that "
                               "carry it: one value on 200 or more tickets is the tool's "
                               "default")
    assert "the other tables' 869 tickets with a flag or a due time" in notes[0]


def test_the_incident_file_alone_reads_the_same(per_table: tuple[list[Path], Report]
                                               ) -> None:
    paths, _ = per_table
    alone = api.diagnose_paths([p for p in paths if p.name == "incident.csv"],
                               api.RunOptions())
    assert alone.kpis.sla_adherence is None
    assert _check(alone, "sla-by-priority").status == "unknown"
    note = next(n for n in alone.data_notes if "tickets that carry it" in n)
    assert note.startswith("made_sla in incident.csv is true on all 1,561 tickets")
    assert "the export holds no due times either" in note


def test_tables_with_one_value_each_are_judged_together_and_apart() -> None:
    """Two tables of 150 tickets each, both all true: one default over the 300 (as
    before); a table of 250 all 0 beside one whose counts vary: only the first."""
    import itsm_diag.model as m
    from itsm_diag.importers import tooldefaults
    from itsm_diag.importers.base import ImportOptions

    def frame(values: dict[str, list[object]], files: list[str]) -> pd.DataFrame:
        n = len(files)
        return m.conform_tickets(pd.DataFrame({
            m.TICKET_ID: pd.array([f"T{i}" for i in range(n)], dtype=m.STRING_DTYPE),
            m.SOURCE_FILE: pd.array(files, dtype=m.STRING_DTYPE),
            **{c: pd.array(v, dtype="boolean" if c == m.SLA_MET else "Int32")
               for c, v in values.items()}}))

    inputs = [(["incident.csv"], ("servicenow", "incident"), {m.SLA_MET: "made_sla"}),
              (["sc_req_item.csv"], ("servicenow", "sc_req_item"), {m.SLA_MET: "made_sla"})]
    files = ["incident.csv"] * 150 + ["sc_req_item.csv"] * 150
    both = frame({m.SLA_MET: [True] * 300}, files)
    out, notes = tooldefaults.read_as_unset(both, ImportOptions().words, inputs=inputs)
    assert out[m.SLA_MET].isna().all()
    assert [n.split(":")[0] for n in notes] == [
        "made_sla in incident.csv, sc_req_item.csv is true on all 300 tickets that carry it"]

    files = ["incident.csv"] * 250 + ["sc_req_item.csv"] * 250
    counts = frame({m.REASSIGNMENT_COUNT: [0] * 250 + [i % 3 for i in range(250)]}, files)
    out, notes = tooldefaults.read_as_unset(counts, ImportOptions().words, inputs=inputs)
    assert out[m.REASSIGNMENT_COUNT].isna().sum() == 250
    assert out[m.REASSIGNMENT_COUNT].iloc[250:].notna().all()
    assert len(notes) == 1 and notes[0].startswith(
        "reassignment_count in incident.csv is 0 on all 250 tickets that carry it")
    # the other table's counts are read: the note does not say "not reported"
    assert "reads the other tables' 250 tickets with a count" in notes[0]


# ---- finding 2: a flag on a ticket with no SLA attached -------------------------------


def _urgent_only(folder: Path, *, measured_elsewhere: bool = False) -> list[Path]:
    """The review's s2: only the priority 1-2 incidents carry an SLA (sla_due filled, 60%
    met); every other ticket has no sla_due and made_sla true, the default. The urgent
    incidents are raised by people (the KPI leaves a machine's out: the review's recount
    counted 3 alerts in). ``measured_elsewhere``: one routine incident without a due time
    has the flag false."""
    s = synth.generate(3000, seed=11)
    t, e = s.tickets.copy(), s.events.copy()
    rng = np.random.default_rng(5)
    inc, req = t.kind.eq("incident"), t.kind.eq("request")
    has_sla = inc & t.priority.isin([1, 2])
    t.loc[~has_sla, "due_at"] = pd.NaT
    t.loc[~has_sla & (inc | req), "sla_met"] = True
    t.loc[has_sla, "sla_met"] = rng.random(int(has_sla.sum())) < 0.6
    alerts = has_sla & t.channel.isin(["monitoring", "api"])
    t.loc[alerts, "channel"], t.loc[alerts, "channel_raw"] = "email", "Email"
    if measured_elsewhere:
        t.loc[(inc & ~has_sla).idxmax(), "sla_met"] = False
    paths = list(write_servicenow(t, e, folder))
    for p in paths:  # the SLA engine's field, as the incident list exports it
        if p.name in ("incident.csv", "sc_req_item.csv"):
            p.write_text(p.read_text().replace('"due_date"', '"sla_due"', 1))
    return paths


@pytest.fixture(scope="module")
def urgent_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Report]:
    paths = _urgent_only(tmp_path_factory.mktemp("s2"))
    return paths, api.diagnose_paths(paths, api.RunOptions())


def test_a_flag_without_an_sla_is_no_outcome(urgent_only: tuple[list[Path], Report]
                                             ) -> None:
    paths, report = urgent_only
    tables = [p for p in paths if p.name in ("incident.csv", "sc_req_item.csv")]
    met, n = _recount(report, tables, with_due=True)
    assert (met, n) == (62, 93)  # the review's recount: 66.7%
    counts = report.kpis.counts["sla_adherence"]
    assert (counts["numerator"], counts["denominator"]) == (62, 93)  # was 1,090 of 1,121
    assert report.kpis.sla_adherence == pytest.approx(0.6667, abs=1e-4)  # was 0.972
    assert report.kpis.reliable["sla_adherence"] is False  # 93 of 1,121 carry an SLA
    definition = report.kpis.definitions["sla_adherence"]
    assert "62 of 93" in definition
    # the incidents' defaults counted in the definition (the requests' flags, one value
    # on all 869 of their table, are read as not filled there: no flag, no due time)
    kept_out = int(definition.split("Also left out: ")[1].split(" done with a made-SLA")[0]
                   .replace(",", ""))
    assert kept_out > 500
    assert "a flag without one is the tool's default on a ticket with no SLA" in definition
    assert "words this report could not read" not in definition


def test_sla_by_priority_compares_no_tickets_without_an_sla(
        urgent_only: tuple[list[Path], Report]) -> None:
    _, report = urgent_only
    check = _check(report, "sla-by-priority")
    # was triggered: high 71% against "the rest" at 100%, none of which had an SLA
    assert check.status == "unknown"
    assert "93 with a high priority (1, 2) and 0 with another priority" in check.reason
    excluded = {n.code: n.count for n in check.evidence.excluded}
    definition = report.kpis.definitions["sla_adherence"]
    assert f"Also left out: {excluded['no_sla_attached']:,} done with a made-SLA flag" \
        in definition  # the KPI and the check leave out the same tickets


def test_a_false_flag_without_a_due_time_keeps_the_flags(tmp_path: Path) -> None:
    """A file whose tickets without a due time hold a false flag measures the flag
    without one: every flag of that file is read, as before."""
    paths = _urgent_only(tmp_path, measured_elsewhere=True)
    report = api.diagnose_paths(paths, api.RunOptions())
    counts = report.kpis.counts["sla_adherence"]
    # the incidents' flags all read (the requests' one value is still the default)
    assert counts["denominator"] > 600
    assert "done with a made-SLA flag but no due time" not in \
        report.kpis.definitions["sla_adherence"]
    assert _check(report, "sla-by-priority").status != "unknown"


def test_an_export_without_due_times_reads_every_flag() -> None:
    """The demo holds no due time: its flags are its outcomes, as before (770 of 980)."""
    report = api.diagnose_paths([api.demo_dir()], api.RunOptions())
    counts = report.kpis.counts["sla_adherence"]
    assert (counts["numerator"], counts["denominator"]) == (770, 980)
    assert _check(report, "sla-by-priority").status == "triggered"
    assert "no due time" not in report.kpis.definitions["sla_adherence"]
