"""The reviewer's ServiceNow incident desk (review 20a, ``/work/rv20a/gen_sn.py``), as
written: 1,800 incidents over 14 weeks on about 4,000 CIs with 8 planted recurring
clusters (4 incidents each on one CI, weeks apart, 6 of them with a problem record),
plus the defects' additions: major incidents (a P1 parent and its child incidents) and
duplicates (closed with ``close_code`` Duplicate). Read by the duplicates, major
incident and REQ/RITM tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FMT = "%Y-%m-%d %H:%M:%S"
START = pd.Timestamp("2026-06-01 00:00")
END = pd.Timestamp("2026-09-07 00:00")  # 14 weeks


def base(n: int = 1800, seed: int = 1) -> pd.DataFrame:
    """The base desk (gen_sn.base)."""
    rng = np.random.default_rng(seed)
    opened = START + pd.to_timedelta(rng.uniform(0, (END - START).total_seconds(), n), unit="s")
    opened = pd.Series(opened).sort_values().reset_index(drop=True).dt.floor("s")
    resolved = (opened + pd.to_timedelta(rng.lognormal(np.log(8), 1.0, n), unit="h")).dt.floor("s")
    open_now = resolved > END
    closed = resolved + pd.Timedelta(days=3)
    cats = [("Software", "Email"), ("Hardware", "Laptop"), ("Network", "VPN"),
            ("Software", "ERP"), ("Access", "Password"), ("Hardware", "Printer"),
            ("Network", "WiFi"), ("Database", "SQL")]
    ci = [f"CI-{rng.integers(0, 4000):04d}" for _ in range(n)]
    c = rng.integers(0, len(cats), n)
    df = pd.DataFrame({
        "number": [f"INC{1000000 + i:07d}" for i in range(n)],
        "opened_at": opened.dt.strftime(FMT),
        "resolved_at": resolved.dt.strftime(FMT).where(~open_now, ""),
        "closed_at": closed.dt.strftime(FMT).where(~open_now & (closed <= END), ""),
        "state": np.where(open_now, "In Progress",
                          np.where(closed <= END, "Closed", "Resolved")),
        "priority": [f"{p} - {w}" for p, w in zip(rng.choice([2, 3, 4], n, p=[.1, .5, .4]),
                                                  ["x"] * n, strict=True)],
        "category": [cats[i][0] for i in c],
        "subcategory": [cats[i][1] for i in c],
        "cmdb_ci": ci,
        "short_description": [f"{cats[i][1]} issue for user {k}" for k, i in enumerate(c)],
        "assignment_group": rng.choice(["Service Desk", "Network", "Apps"], n),
        "assigned_to": rng.choice([f"Agent {i}" for i in range(12)], n),
        "caller_id": [f"User {rng.integers(0, 3000)}" for _ in range(n)],
        "contact_type": rng.choice(["Self-service", "Phone", "Email"], n, p=[.5, .3, .2]),
        "reassignment_count": rng.choice([0, 1, 2, 3], n, p=[.6, .25, .1, .05]),
        "reopen_count": rng.choice([0, 1], n, p=[.95, .05]),
        "made_sla": rng.choice(["true", "false"], n, p=[.85, .15]),
        "problem_id": "",
        "close_code": np.where(open_now, "", "Solved (Permanently)"),
        "parent_incident": "",
    })
    for k in range(8):  # planted recurring clusters, 6 of them with a problem record
        idx = [k * 200 + 13 + 40 * j for j in range(4)]
        df.loc[idx, "cmdb_ci"] = f"CI-REC-{k}"
        df.loc[idx, "category"] = "Software"
        df.loc[idx, "subcategory"] = "ERP"
        if k < 6:
            df.loc[idx[0], "problem_id"] = f"PRB{5000 + k:07d}"
    df["priority"] = df["priority"].str.replace(" - x", "", regex=False).map(
        {"2": "2 - High", "3": "3 - Moderate", "4": "4 - Low"})
    return df


def major(df: pd.DataFrame, n_major: int = 3, children: int = 40, seed: int = 7) -> pd.DataFrame:
    """The major incidents (gen_sn.major): a P1 parent and ``children`` child incidents
    on one CI opened within 2 hours, all resolved with the parent."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    no = 2000000
    for k in range(n_major):
        t0 = START + pd.Timedelta(days=10 + 30 * k, hours=9)
        ci = f"CI-OUTAGE-{k}"
        res = t0 + pd.Timedelta(hours=4)
        pnum = f"INC{no:07d}"
        no += 1
        common = dict(category="Network", subcategory="WiFi" if k % 2 else "VPN",
                      cmdb_ci=ci, assignment_group="Network", assigned_to="Agent 1",
                      contact_type="Phone", reopen_count=0, made_sla="true",
                      problem_id="", state="Closed", priority="3 - Moderate",
                      close_code="Solved (Permanently)", resolved_at=res.strftime(FMT),
                      closed_at=(res + pd.Timedelta(days=3)).strftime(FMT))
        rows.append({**common, "number": pnum, "opened_at": t0.strftime(FMT),
                     "priority": "1 - Critical", "short_description": f"Major outage {ci}",
                     "caller_id": "Monitoring ops", "reassignment_count": 2,
                     "parent_incident": ""})
        for _ in range(children):
            o = t0 + pd.Timedelta(minutes=int(rng.integers(1, 120)))
            rows.append({**common, "number": f"INC{no:07d}", "opened_at": o.strftime(FMT),
                         "short_description": f"Cannot connect {ci}",
                         "caller_id": f"User {rng.integers(0, 3000)}",
                         "reassignment_count": 0, "parent_incident": pnum})
            no += 1
    return pd.concat([df, pd.DataFrame(rows)], ignore_index=True)


def dups(df: pd.DataFrame, share: float = 0.08, seed: int = 11,
         start_no: int = 3000000) -> pd.DataFrame:
    """The duplicates (gen_sn.dups): a second ticket from the same caller on the same
    CI/category, opened 5-60 minutes after its original, closed 2-10 minutes later with
    close_code Duplicate."""
    rng = np.random.default_rng(seed)
    orig = df[df.parent_incident.eq("") & df.resolved_at.ne("")].sample(
        int(len(df) * share), random_state=seed)
    rows = []
    for k, (_, r) in enumerate(orig.iterrows()):
        o = pd.Timestamp(r.opened_at) + pd.Timedelta(minutes=int(rng.integers(5, 60)))
        res = o + pd.Timedelta(minutes=int(rng.integers(2, 10)))
        closed = res + pd.Timedelta(days=3)
        rows.append({**r.to_dict(), "number": f"INC{start_no + k:07d}",
                     "opened_at": o.strftime(FMT), "resolved_at": res.strftime(FMT),
                     "closed_at": closed.strftime(FMT) if closed <= END else "",
                     "state": "Closed" if closed <= END else "Resolved",
                     "close_code": "Duplicate", "reassignment_count": 0, "reopen_count": 0,
                     "made_sla": "true", "parent_incident": ""})
    return pd.concat([df, pd.DataFrame(rows)], ignore_index=True)
