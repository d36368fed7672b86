"""Exports shaped like the world, not like our generator: cut by date, selected on
closure, ticket-only, links kept on a sliver of incidents. Each builder writes real
files (an event log with its mapping, ServiceNow and Jira exports) for the tests of
issue 14 (verdicts a consultant can defend)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag import synth

#: an event-log mapping like a process-mining log of an incident desk (case, activity,
#: time, resource group): the shape of the public car maker's incident log
EVENT_LOG_MAPPING = """\
tool: desk-log
kind: incident
event_log:
  case_id: Case
  activity: Status
  timestamp: Time
  activity_kinds:
    Queued: assignment
columns:
  assignment_group: Group
  priority: Impact
values:
  status:
    Accepted: open
    In Progress: open
    Queued: open
    Awaiting Assignment: pending
    Completed: resolved
    Closed: closed
  priority:
    High: 2
    Medium: 3
    Low: 4
"""

GROUPS = ("Desk L1", "Network", "Apps", "Workplace")


def _population(n: int, start: str, weeks: int, median_days: float, seed: int
                ) -> pd.DataFrame:
    """Cases opened over ``weeks`` from ``start`` on working hours, with a long-tailed
    time to completion (lognormal, median ``median_days``)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="UTC")
    opened = t0 + pd.to_timedelta(np.sort(rng.uniform(0, weeks * 7, n)), unit="D")
    done = opened + pd.to_timedelta(median_days * np.exp(rng.normal(0, 1.0, n)), unit="D")
    return pd.DataFrame({"case": [f"C{i:06d}" for i in range(n)], "opened": opened,
                         "done": done, "group": rng.choice(GROUPS, n),
                         "impact": rng.choice(["High", "Medium", "Low"], n, p=[.1, .5, .4])})


def _log_rows(cases: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """One row per activity: Accepted at opening, Queued to a group, In Progress, and
    Completed + Closed when done before ``cut`` (events after it are not in the file)."""
    parts = [
        cases.assign(Status="Accepted", Time=cases["opened"], Group="Desk L1"),
        cases.assign(Status="Queued", Time=cases["opened"] + pd.Timedelta(minutes=30)),
        cases.assign(Status="In Progress", Time=cases["opened"] + pd.Timedelta(hours=2)),
    ]
    done = cases[cases["done"] <= cut]
    parts += [done.assign(Status="Completed", Time=done["done"]),
              done.assign(Status="Closed", Time=done["done"] + pd.Timedelta(hours=1))]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["Time"] <= cut]
    rows = rows.sort_values(["case", "Time"], kind="stable")
    return pd.DataFrame({"Case": rows["case"], "Status": rows["Status"],
                         "Time": rows["Time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                         "Group": rows["group"].where(rows["Status"] != "Accepted",
                                                      "Desk L1"),
                         "Impact": rows["impact"]})


def _write_log(rows: pd.DataFrame, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    log, mapping = out / "incident_log.csv", out / "desk-log.yaml"
    rows.to_csv(log, index=False)
    mapping.write_text(EVENT_LOG_MAPPING, encoding="utf-8")
    return log, mapping


def closure_selected_log(out: Path, n: int = 6000, seed: int = 3) -> tuple[Path, Path]:
    """A process-mining extract selected on closure: every case completed in the last
    three weeks of a 16-week span, none opened after its end (the way public incident
    logs are usually cut), with long-tailed resolution times."""
    cases = _population(n, "2012-01-02", 16, median_days=20.0, seed=seed)
    cut_from = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=13)
    cut_to = cut_from + pd.Timedelta(weeks=3)
    chosen = cases[(cases["done"] > cut_from) & (cases["done"] <= cut_to)]
    return _write_log(_log_rows(chosen, cut_to + pd.Timedelta(hours=2)), out)


def open_date_cut_log(out: Path, n: int = 6000, seed: int = 4) -> tuple[Path, Path]:
    """An extract of the cases opened in 12 weeks, pulled 8 weeks later with all their
    history: arrivals stop while completions go on."""
    cases = _population(n, "2012-01-02", 12, median_days=2.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=20)
    return _write_log(_log_rows(cases, pulled), out)


def live_log(out: Path, n: int = 6000, seed: int = 5) -> tuple[Path, Path]:
    """A live, uncut export of the same desk: every case opened in 16 weeks, open or
    done, up to the export day (the control for the two cut shapes)."""
    cases = _population(n, "2012-01-02", 16, median_days=2.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=16)
    return _write_log(_log_rows(cases, pulled), out)


def problems_only(out: Path) -> list[Path]:
    """A ServiceNow export of the problem table alone."""
    from itsm_diag.writers.servicenow import write_servicenow

    data = synth.generate(3000, seed=21, conditions=synth.Conditions.all())
    problems = data.tickets[data.tickets[m.KIND] == "problem"]
    return write_servicenow(problems, None, out, tables=("problem",))


def ticket_only_jira(out: Path) -> list[Path]:
    """A Jira Service Management export with logged time and no project work: incidents,
    service requests, changes, problems and routine tasks (no epic, no project)."""
    from itsm_diag.writers.jira import write_jira

    data = synth.generate(1500, seed=22, conditions=synth.Conditions.all())
    t = data.tickets[data.tickets[m.KIND] != "other"]
    return write_jira(t, data.events, out, max_rows=5000)


def closed_only_log(out: Path, n: int = 6000, seed: int = 5) -> tuple[Path, Path]:
    """The live desk of :func:`live_log` exported with a "state is closed" filter: every
    case done by the export day, none of those still open, and no silent weeks (the
    completions run all along), so only the empty queue at the cut gives it away."""
    cases = _population(n, "2012-01-02", 16, median_days=2.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=16)
    return _write_log(_log_rows(cases[cases["done"] <= pulled], pulled), out)


def open_only_log(out: Path, n: int = 6000, seed: int = 5) -> tuple[Path, Path]:
    """The same desk's open queue alone (a "state is not closed" filter)."""
    cases = _population(n, "2012-01-02", 16, median_days=2.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=16)
    return _write_log(_log_rows(cases[cases["done"] > pulled], pulled), out)


def slow_desk_log(out: Path, opened_weeks: int | None = None, n: int = 16000,
                  seed: int = 6) -> tuple[Path, Path]:
    """A desk in a steady state over 80 weeks with a long tail (median 15 days to done),
    exported live; with ``opened_weeks``, filtered to the cases opened in the last that
    many weeks (an export cut on the opened date, with their history): its backlog climbs
    from near zero through the whole window as the missing older tickets would have
    closed."""
    cases = _population(n, "2012-01-02", 80, median_days=15.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=80)
    if opened_weeks is not None:
        cases = cases[cases["opened"] >= pulled - pd.Timedelta(weeks=opened_weeks)]
    return _write_log(_log_rows(cases, pulled), out)


def quick_desk_log(out: Path, opened_weeks: int | None = None, n: int = 16000,
                   seed: int = 7) -> tuple[Path, Path]:
    """:func:`slow_desk_log` with tickets done in a median of 4 days: cut on the opened
    date, its first week's tickets are all done long before the window ends."""
    cases = _population(n, "2012-01-02", 80, median_days=4.0, seed=seed)
    pulled = pd.Timestamp("2012-01-02", tz="UTC") + pd.Timedelta(weeks=80)
    if opened_weeks is not None:
        cases = cases[cases["opened"] >= pulled - pd.Timedelta(weeks=opened_weeks)]
    return _write_log(_log_rows(cases, pulled), out)


@dataclass(frozen=True)
class DeskTicket:
    """One ticket of :func:`healthy_desk`: ``status`` is None while it is open."""

    opened: datetime
    resolved: datetime | None
    closed: datetime | None
    status: str | None  # "Resolved", "Closed" or None (open)


def healthy_desk(n: int = 600, seed: int = 2) -> list[DeskTicket]:
    """A healthy desk over 26 weeks from 2025-01-06: every ticket resolved within about a
    day, two in three then closed a day later; the last day's tickets still open. Each
    tool's test words the statuses and writes the times in its own export's form."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8)
    end = start + timedelta(weeks=26)
    out = []
    for _ in range(n):
        opened = start + (end - start) * rng.random()
        resolved: datetime | None = opened + timedelta(hours=rng.uniform(1, 30))
        if resolved is not None and resolved > end:
            resolved = None
        status = None if resolved is None else rng.choice(["Resolved", "Closed", "Closed"])
        closed = resolved + timedelta(days=1) if status == "Closed" and resolved else None
        if closed is not None and closed > end:
            closed, status = None, "Resolved"
        out.append(DeskTicket(opened, resolved, closed, status))
    return out


def closed_incident(i: int, opened: pd.Timestamp, resolved: pd.Timestamp, *, urgent: bool,
                    **fields: str) -> dict[str, str]:
    """Row ``i`` of a ServiceNow incident list of closed printer incidents (closed and
    last updated two days after the resolution, due a day after opening); ``fields`` add
    or replace columns."""
    closed = f"{resolved + pd.Timedelta(days=2):%Y-%m-%d %H:%M:%S}"
    return {
        "number": f"INC{i + 1:07d}", "short_description": f"Printer {i % 7} jams",
        "state": "Closed", "priority": "1 - Critical" if urgent else "3 - Moderate",
        "category": ["Hardware", "Software", "Network"][i % 3],
        "assignment_group": ["Service Desk", "Network", "Apps"][i % 3],
        "caller_id": f"User {i % 40}", "contact_type": "Phone",
        "opened_at": f"{opened:%Y-%m-%d %H:%M:%S}",
        "resolved_at": f"{resolved:%Y-%m-%d %H:%M:%S}",
        "closed_at": closed, "sys_updated_on": closed,
        "due_date": f"{opened + pd.Timedelta(hours=24):%Y-%m-%d %H:%M:%S}",
        **fields,
    }


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    """``rows`` as a CSV with every cell quoted (as ServiceNow writes it)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return path


def mapped_priorities(folder: Path, labels: list[str],
                      header: tuple[str, str, str, str] = ("Id", "Created", "Prio", "Status"),
                      values: dict[str, int] | None = None
                      ) -> tuple[dict[str, float | None], list[str]]:
    """Each priority label of a ticket list written for a mapping file (``header``: its
    id, opened, priority and status columns; ``values``: its ``values.priority``) as the
    tool reads it (None: left empty), and the warnings of the read."""
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    rows = [";".join(header)]
    rows += [f"{1000 + i};2025-03-{1 + i % 28:02d} 09:00;{label};open"
             for i, label in enumerate(labels)]
    (folder / "tickets.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    names = ("ticket_id", "opened_at", "priority", "status")
    mapping = folder / "tool.yaml"
    mapping.write_text("tool: sometool\nkind: incident\ncolumns:\n" + "".join(
        f"  {name}: {column}\n" for name, column in zip(names, header, strict=True))
        + ("values:\n  priority:\n" + "".join(f"    {k}: {p}\n" for k, p in values.items())
           if values else ""), encoding="utf-8")
    loaded = load_paths([folder / "tickets.csv"], ImportOptions(), mapping=[mapping])
    tickets = loaded.tickets
    return ({str(raw): (None if pd.isna(got) else float(got)) for raw, got in zip(
        tickets[m.PRIORITY_RAW], tickets[m.PRIORITY], strict=True)},
            [w for source in loaded.sources for w in source.warnings])


def printer_desk_csv(path: Path, opened: pd.Series, resolved: pd.Series) -> Path:
    """A ServiceNow incident list (label headers) of one desk's printer jams: one row per
    opened time, resolved where ``resolved`` is set, in progress where it is not."""
    pd.DataFrame({
        "Number": [f"INC{1000000 + i}" for i in range(len(opened))],
        "Short description": [f"Printer {i % 40} jammed" for i in range(len(opened))],
        "State": np.where(resolved.notna(), "Resolved", "In Progress"),
        "Priority": "3 - Moderate", "Assignment group": "Service Desk",
        "Opened": opened.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Resolved": resolved.dt.strftime("%Y-%m-%d %H:%M:%S").fillna(""),
    }).to_csv(path, index=False)
    return path


def sn_incident_rows(n: int, rng: np.random.Generator, base: int = 0,
                     days: float = 90) -> pd.DataFrame:
    """A ServiceNow incident list export of ``n`` closed incidents opened over ``days``
    from 2026-07-01, raised by people on the portal (``Self-service``), each resolved
    within 3 days and closed a day later: the desk the review-22 checks' tests change
    one column of. The draws' order is fixed (the tests' figures rest on it)."""
    opened = (pd.Timestamp("2026-07-01")
              + pd.to_timedelta(rng.uniform(0, days * 86400, n), unit="s")).floor("s")
    resolved = (opened + pd.to_timedelta(rng.uniform(1800, 3 * 86400, n), unit="s")).floor("s")
    return pd.DataFrame({
        "number": [f"INC{base + i:07d}" for i in range(n)],
        "opened_at": opened.strftime("%Y-%m-%d %H:%M:%S"),
        "state": "Closed",
        "priority": rng.choice(["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"], n,
                               p=[.05, .15, .5, .3]),
        "category": rng.choice(["Software", "Hardware", "Network", "Database"], n),
        "short_description": [f"Outlook crashes when opening calendar item {i}"
                              for i in range(n)],
        "contact_type": "Self-service",
        "caller_id": rng.choice([f"Person {c} Surname" for c in "ABCDEFGHIJKLMNOP"], n),
        "assignment_group": rng.choice(["Service Desk", "Network Ops", "Apps"], n),
        "assigned_to": rng.choice(["Ann Agent", "Bob Agent", "Cid Agent"], n),
        "resolved_at": resolved.strftime("%Y-%m-%d %H:%M:%S"),
        "closed_at": (resolved + pd.Timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
    })
