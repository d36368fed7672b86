"""A ServiceNow incident desk where a share of tickets sit On Hold (awaiting the caller or
a vendor) for days, written as a list export, an audit log in the UCI log's shape and a
Zendesk admin CSV, with the truth: the backlog, KPI, forecast, flow and action list
tests' desk. Review 20b: ``/work/rv20b/gen_hold.py`` and ``gen_hold_zendesk.py``,
vectorised. About 25 incidents a day over 26 weeks to 2026-09-30 23:59; each ticket's
own work time lognormal (median ``work_median`` hours).

Each ticket: New at its opened time, Active 10 minutes later, for a held one Awaiting
User Info / Awaiting Vendor at ``hold_start`` and Active again at ``hold_end``, Resolved
at ``resolved``, Closed three days later, all on whole minutes (so the log's times are
the truth's); rows after ``END`` are not in the exports (as a pull at ``END``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag.writers.servicenow import LOG_COLUMNS

END = pd.Timestamp("2026-09-30 23:59:00")


def desk(share: float, days: float, seed: int, *, per_day: float = 25.0,
         work_median: float = 8.0, ramp: float = 1.0, weeks: int = 26) -> pd.DataFrame:
    """The truth: one row a ticket (number, opened, active, resolved, closed, work_h,
    hold_h, held, hold_start, hold_end, reason, category), ``per_day`` a day over
    ``weeks`` weeks to END. ``ramp``: the arrival rate at the end over the one at the
    start (a rate rising linearly)."""
    rng = np.random.default_rng(seed)
    start = END - pd.Timedelta(weeks=weeks)
    span = (END - start).days
    n = rng.poisson(per_day * span * (1 + ramp) / 2)
    # arrivals with a density rising linearly from 1 to ``ramp``
    u = rng.uniform(0, 1, n)
    x = u if ramp == 1.0 else (np.sqrt(1 + (ramp ** 2 - 1) * u) - 1) / (ramp - 1)
    opened = start + pd.to_timedelta(np.sort(x) * span * 86400, unit="s")
    work_h = np.maximum(rng.lognormal(np.log(work_median), 1.0, n), 0.5)
    cats = np.array(["Software", "Hardware", "Network", "Access", "Email"])
    cat = cats[rng.integers(0, 5, n)]
    held = rng.random(n) < share
    hold_h = np.where(held, rng.uniform(0.5, 1.5, n) * days * 24, 0.0)
    # work before the hold: after the ticket went Active (10 minutes after opening)
    first_h = np.maximum(work_h * rng.uniform(0.1, 0.5, n), 0.25)
    hold_start = opened + pd.to_timedelta(first_h, unit="h")
    hold_end = hold_start + pd.to_timedelta(hold_h, unit="h")
    resolved = opened + pd.to_timedelta(work_h + hold_h, unit="h")
    reason = np.where(rng.random(n) < 0.6, "Awaiting Caller", "Awaiting Vendor")
    # times to the minute, as the exports write them
    minute = "min"
    return pd.DataFrame({
        "number": [f"INC{1000000 + i}" for i in range(n)],
        "opened": opened.floor(minute),
        "active": opened.floor(minute) + pd.Timedelta(minutes=10),
        "resolved": resolved.floor(minute),
        "closed": (resolved + pd.Timedelta(days=3)).floor(minute),
        "work_h": work_h, "hold_h": hold_h, "held": held,
        "hold_start": hold_start.floor(minute), "hold_end": hold_end.floor(minute),
        "reason": reason, "category": cat})


def state_at(t: pd.DataFrame, at: pd.Timestamp) -> np.ndarray:
    """Each ticket's ServiceNow state at ``at``."""
    s = np.full(len(t), "In Progress", dtype=object)
    s[(t.resolved <= at).to_numpy()] = "Resolved"
    s[(t.closed <= at).to_numpy()] = "Closed"
    on = (t.held & (t.hold_start <= at) & (t.hold_end > at)).to_numpy()
    s[on] = "On Hold"
    return s


def _fmt(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d %H:%M:%S").where(ts <= END, "")


def write_list(t: pd.DataFrame, path: Path) -> Path:
    """The incident list as pulled at END (state and hold reason at the cut)."""
    st = state_at(t, END)
    n = len(t)
    pd.DataFrame({
        "number": t.number, "opened_at": _fmt(t.opened), "resolved_at": _fmt(t.resolved),
        "closed_at": _fmt(t.closed), "state": st,
        "hold_reason": np.where(st == "On Hold", t.reason, ""),
        "priority": "3 - Moderate", "category": t.category, "subcategory": "General",
        "cmdb_ci": [f"CI{i % 40}" for i in range(n)],
        "short_description": [f"{c} issue number {i % 97}" for i, c in enumerate(t.category)],
        "assignment_group": "Service Desk", "assigned_to": [f"Agent {i % 12}" for i in range(n)],
        "caller_id": [f"User {i % 700}" for i in range(n)], "contact_type": "Self-service",
        "reassignment_count": np.arange(n) % 2, "reopen_count": 0,
    }).to_csv(path, index=False)
    return path


def log_events(t: pd.DataFrame) -> pd.DataFrame:
    """The audit log's state changes up to END: (number, state, at)."""
    waits = np.where(t.reason == "Awaiting Caller", "Awaiting User Info", "Awaiting Vendor")
    parts = [pd.DataFrame({"number": t.number, "state": "New", "at": t.opened, "k": 0}),
             pd.DataFrame({"number": t.number, "state": "Active", "at": t.active, "k": 1})]
    h = t.held.to_numpy()
    parts += [pd.DataFrame({"number": t.number[h], "state": waits[h], "at": t.hold_start[h],
                            "k": 2}),
              pd.DataFrame({"number": t.number[h], "state": "Active", "at": t.hold_end[h],
                            "k": 3})]
    parts += [pd.DataFrame({"number": t.number, "state": "Resolved", "at": t.resolved, "k": 4}),
              pd.DataFrame({"number": t.number, "state": "Closed", "at": t.closed, "k": 5})]
    ev = pd.concat(parts, ignore_index=True)
    ev = ev[ev["at"] <= END].sort_values(["number", "k"], kind="stable")
    return ev.drop(columns="k").reset_index(drop=True)


def write_log(t: pd.DataFrame, path: Path) -> Path:
    """The audit log in the UCI log's 36-column shape."""
    ev = log_events(t)
    info = t.set_index("number").loc[ev.number]

    def d(ts: pd.Series) -> pd.Series:
        return (ts.dt.day.astype(str) + "/" + ts.dt.month.astype(str) + "/"
                + ts.dt.year.astype(str) + " " + ts.dt.strftime("%H:%M"))

    res, clo = info.resolved.reset_index(drop=True), info.closed.reset_index(drop=True)
    out = pd.DataFrame({c: "?" for c in LOG_COLUMNS}, index=ev.index)
    out["number"] = ev.number.to_numpy()
    out["incident_state"] = ev.state.to_numpy()
    out["active"] = np.where(ev.state == "Closed", "false", "true")
    out["reassignment_count"] = 0
    out["reopen_count"] = 0
    out["sys_mod_count"] = ev.groupby("number").cumcount().to_numpy()
    out["made_sla"] = "true"
    out["caller_id"] = "Caller 1"
    out["opened_by"] = out["sys_created_by"] = out["sys_updated_by"] = "Someone 1"
    out["opened_at"] = out["sys_created_at"] = d(info.opened.reset_index(drop=True)).to_numpy()
    out["sys_updated_at"] = d(ev["at"].reset_index(drop=True)).to_numpy()
    out["contact_type"] = "Phone"
    out["category"] = info.category.to_numpy()
    out["priority"] = "3 - Moderate"
    out["impact"] = out["urgency"] = "2 - Medium"
    out["assignment_group"] = "Group 1"
    out["assigned_to"] = "Resolver 1"
    out["knowledge"] = out["u_priority_confirmation"] = "false"
    out["notify"] = "Do Not Notify"
    out["resolved_at"] = np.where(res <= END, d(res), "?")
    out["closed_at"] = np.where(clo <= END, d(clo), "?")
    out.to_csv(path, index=False)
    return path


def write_zendesk(t: pd.DataFrame, path: Path) -> Path:
    """The desk as a Zendesk admin CSV: a held ticket Pending (the caller's, agent wait
    time) or On-hold (a vendor's, on hold time) at the cut."""
    st = state_at(t, END)
    vendor = (t.reason == "Awaiting Vendor").to_numpy()
    status = np.select([(st == "On Hold") & ~vendor, (st == "On Hold") & vendor,
                        st == "Resolved", st == "Closed"],
                       ["Pending", "On-hold", "Solved", "Closed"], "Open")
    done = (t.resolved <= END).to_numpy()
    hold_h = t.hold_h.to_numpy()

    def mins(h: np.ndarray) -> np.ndarray:
        return np.where(done, np.round(h * 60).astype(int).astype(str), "")

    full = ((t.resolved - t.opened).dt.total_seconds() / 3600).to_numpy()
    n = len(t)
    pd.DataFrame({
        "Id": np.arange(10001, 10001 + n), "Requester": [f"User {i % 700}" for i in range(n)],
        "Assignee": [f"Agent {i % 12}" for i in range(n)], "Group": "Service Desk",
        "Subject": [f"{c} issue number {i % 97}" for i, c in enumerate(t.category)],
        "Tags": "", "Status": status, "Priority": "Normal", "Via": "Web Form",
        "Ticket type": "Incident", "Created at": _fmt(t.opened),
        "Updated at": _fmt(t.resolved.clip(upper=END)), "Solved at": _fmt(t.resolved),
        "Group stations": 1, "Reopens": 0,
        "Full resolution time in minutes": mins(full),
        "Agent wait time in minutes": mins(np.where(vendor, 0, hold_h)),
        "Requester wait time in minutes": mins(t.work_h.to_numpy()),
        "On hold time in minutes": mins(np.where(vendor, hold_h, 0)),
        "Ticket Category [list]": t.category}).to_csv(path, index=False)
    return path


@dataclass
class Desk:
    truth: pd.DataFrame
    list_csv: Path
    log_csv: Path


def make(out: Path, share: float, days: float, seed: int = 1, per_day: float = 4.0,
         weeks: int = 20) -> Desk:
    """:func:`desk` (its truth with each ticket's ``state`` at END) written as
    ``out/incident.csv`` and ``out/log/incident_event_log.csv``."""
    t = desk(share, days, seed, per_day=per_day, weeks=weeks)
    t["state"] = state_at(t, END)
    (out / "log").mkdir(parents=True, exist_ok=True)
    return Desk(truth=t, list_csv=write_list(t, out / "incident.csv"),
                log_csv=write_log(t, out / "log" / "incident_event_log.csv"))
