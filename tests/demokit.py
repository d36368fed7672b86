"""The demo's incidents and requests recounted with pandas, for tests that check a KPI
against the demo's own files (the window's dates are the demo's default window)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: the demo's default window: 2 July to 30 September 2026
START, END = pd.Timestamp("2026-07-02"), pd.Timestamp("2026-10-01")


def done_in_window(folder: Path) -> pd.DataFrame:
    """Incidents and requests of a demo-shaped folder done in the window (resolved, else
    closed; a requested item when closed), with ``k`` ("inc" or "req"), ``done``,
    ``hours`` (opened to done), ``machine`` (raised by a machine: the demo's
    "Monitoring" contact type, which the KPI panel and the drivers leave out) and
    ``cancelled`` (state Canceled, or a requested item's Closed Skipped / Cancelled: no
    work resolved them, and the KPI panel and the drivers leave them out too)."""
    inc = pd.concat([pd.read_csv(folder / f) for f in ("incident_1.csv", "incident_2.csv")])
    req = pd.read_csv(folder / "sc_req_item.csv")
    for x in (inc, req):
        for c in ("opened_at", "resolved_at", "closed_at"):
            if c in x:
                x[c] = pd.to_datetime(x[c])
    inc["done"] = inc["resolved_at"].fillna(inc["closed_at"])
    req["done"] = req["closed_at"]
    a = pd.concat([inc.assign(k="inc"), req.assign(k="req")])
    a = a[(a["done"] >= START) & (a["done"] < END)]
    return a.assign(hours=(a["done"] - a["opened_at"]) / pd.Timedelta(hours=1),
                    machine=a["contact_type"].isin(["Monitoring"]).to_numpy(),
                    cancelled=a["state"].isin(["Canceled", "Closed Skipped",
                                               "Request Cancelled"]).to_numpy())
