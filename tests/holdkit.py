"""A ServiceNow incident desk where some tickets go On Hold (awaiting the caller or a
vendor) for days, as a list export and as an audit log in the UCI log's shape, with its
own truth (review 20b, gen_hold.py, made small and on whole minutes so the log's times
are the truth's).

Each ticket: New at its opened time, Active 10 minutes later, for a held one Awaiting
User Info / Awaiting Vendor at ``hold_start`` (after Active) and Active again at
``hold_end``, Resolved at ``resolved``, Closed three days later; rows after ``END``
are not in the export (as a pull at ``END``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

END = pd.Timestamp("2026-09-30 23:59:00")
MIN = pd.Timedelta(minutes=1)
LOG_COLUMNS = [
    "number", "incident_state", "active", "reassignment_count", "reopen_count",
    "sys_mod_count", "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by",
    "sys_created_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify",
    "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at",
    "closed_at"]


@dataclass
class Desk:
    truth: pd.DataFrame
    list_csv: Path
    log_csv: Path


def _minutes(ts: pd.DatetimeIndex | pd.Series) -> pd.Series:
    return pd.Series(ts).dt.floor("min")


def make(out: Path, share: float, days: float, seed: int = 1, per_day: float = 4.0,
         weeks: int = 20) -> Desk:
    """Write ``out/incident.csv`` and ``out/log/incident_event_log.csv``: about
    ``per_day`` incidents a day over ``weeks`` weeks to ``END``; each one's own work
    lognormal (median 8 h), a ``share`` of them On Hold for 0.5-1.5 x ``days`` days
    from 15 minutes to 5 hours after they were set Active."""
    rng = np.random.default_rng(seed)
    start = END - pd.Timedelta(weeks=weeks)
    span = (END - start).total_seconds()
    n = int(rng.poisson(per_day * weeks * 7))
    opened = _minutes(start + pd.to_timedelta(np.sort(rng.uniform(0, span, n)), unit="s"))
    work = pd.to_timedelta(np.round(rng.lognormal(np.log(8), 1.0, n) * 60) + 30, unit="min")
    held = rng.random(n) < share
    hold = pd.to_timedelta(np.where(held, np.round(rng.uniform(0.5, 1.5, n) * days * 1440),
                                    0), unit="min")
    active = opened + 10 * MIN
    hold_start = active + pd.to_timedelta(np.round(rng.uniform(15, 300, n)), unit="min")
    hold_end = hold_start + hold
    resolved = active + work + hold
    # a held ticket's hold starts within its own work: work left after it
    resolved = resolved.where(resolved > hold_end + 10 * MIN, hold_end + 10 * MIN)
    closed = resolved + pd.Timedelta(days=3)
    reason = np.where(rng.random(n) < 0.6, "Awaiting User Info", "Awaiting Vendor")
    num = [f"INC{2000000 + i}" for i in range(n)]
    truth = pd.DataFrame({"number": num, "opened": opened, "active": active,
                          "resolved": resolved, "closed": closed, "held": held,
                          "hold_start": hold_start.where(held), "hold_end": hold_end.where(held),
                          "reason": np.where(held, reason, "")})
    on_hold = held & (hold_start <= END) & (hold_end > END)
    state = np.select([closed <= END, resolved <= END, on_hold.to_numpy()],
                      ["Closed", "Resolved", "On Hold"], "In Progress")
    truth["state"] = state

    def fmt(ts: pd.Series) -> pd.Series:
        return ts.dt.strftime("%Y-%m-%d %H:%M:%S").where(ts <= END, "")

    out.mkdir(parents=True, exist_ok=True)
    listing = pd.DataFrame({
        "number": num, "opened_at": fmt(opened), "resolved_at": fmt(resolved),
        "closed_at": fmt(closed), "state": state,
        "hold_reason": np.where(state == "On Hold",
                                np.where(reason == "Awaiting User Info", "Awaiting Caller",
                                         "Awaiting Vendor"), ""),
        "priority": "3 - Moderate", "category": "Software", "short_description": "an issue",
        "assignment_group": "Service Desk", "assigned_to": [f"Agent {i % 7}" for i in range(n)],
        "caller_id": [f"User {i % 300}" for i in range(n)], "contact_type": "Self-service",
        "reassignment_count": 0, "reopen_count": 0})
    list_csv = out / "incident.csv"
    listing.to_csv(list_csv, index=False)

    # the audit log: one row a state change, in time order per ticket
    parts = [pd.DataFrame({"number": num, "at": opened, "state": "New"}),
             pd.DataFrame({"number": num, "at": active, "state": "Active"}),
             pd.DataFrame({"number": num, "at": hold_start, "state": reason})[held],
             pd.DataFrame({"number": num, "at": hold_end, "state": "Active"})[held],
             pd.DataFrame({"number": num, "at": resolved, "state": "Resolved"}),
             pd.DataFrame({"number": num, "at": closed, "state": "Closed"})]
    ev = pd.concat(parts, ignore_index=True)
    ev = ev[ev["at"] <= END].sort_values(["number", "at"], kind="stable")
    t = truth.set_index("number")

    def d(ts: pd.Series) -> pd.Series:
        return (ts.dt.day.astype(str) + "/" + ts.dt.month.astype(str) + "/"
                + ts.dt.year.astype(str) + " " + ts.dt.strftime("%H:%M")).where(ts <= END, "?")

    o, r, c = (t[col].reindex(ev["number"]).reset_index(drop=True)
               for col in ("opened", "resolved", "closed"))
    ev = ev.reset_index(drop=True)
    log = pd.DataFrame({c_: "?" for c_ in LOG_COLUMNS}, index=ev.index)
    log["number"] = ev["number"]
    log["incident_state"] = ev["state"]
    log["active"] = np.where(ev["state"] == "Closed", "false", "true")
    log["reassignment_count"] = 0
    log["reopen_count"] = 0
    log["sys_mod_count"] = ev.groupby("number").cumcount()
    log["made_sla"] = "true"
    log["caller_id"] = "Caller 1"
    log["opened_by"] = "Opened by 1"
    log["opened_at"] = d(o)
    log["sys_created_by"] = "Created by 1"
    log["sys_created_at"] = d(o)
    log["sys_updated_by"] = "Updated by 1"
    log["sys_updated_at"] = d(ev["at"])
    log["contact_type"] = "Phone"
    log["category"] = "Category 1"
    log["priority"] = "3 - Moderate"
    log["assignment_group"] = "Group 1"
    log["assigned_to"] = "Resolver 1"
    log["resolved_at"] = d(r)
    log["closed_at"] = d(c)
    (out / "log").mkdir(exist_ok=True)
    log_csv = out / "log" / "incident_event_log.csv"
    log.to_csv(log_csv, index=False)
    return Desk(truth=truth, list_csv=list_csv, log_csv=log_csv)
