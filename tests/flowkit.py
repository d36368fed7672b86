"""Planted answers for the analyses' tests: wording variants of recurring issues, bounce
pairs, an idle group, a driver. Each planter takes generated data (synth) and returns it
changed, with the truth it planted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from itsm_diag import model as m

#: recurring issues and how users word them: key words (any inflection), in any order,
#: with noise around them; the last two share a word with the first but are other issues
FAMILIES: dict[str, list[str]] = {
    "outlook-sync": ["Outlook won't sync", "outlook not syncing on laptop",
                     "Outlook sync error again", "Outlook is not syncing my mail",
                     "mail in Outlook stopped syncing", "Outlook sync failing since {date}",
                     "outlook wont sync for {name}", "Outlook not synced on {host}"],
    "outlook-calendar": ["Outlook calendar slow", "outlook calendar very slow to open",
                         "Calendar in Outlook is slow today", "slow outlook calendar again",
                         "Outlook calendar slow for {name}"],
    "vpn-drops": ["VPN keeps disconnecting", "vpn disconnects every hour",
                  "VPN disconnecting at home", "vpn disconnected again {date}",
                  "VPN disconnects on {host}"],
    "printer-jam": ["Printer paper jam", "paper jammed in printer on floor 3",
                    "printer jam again", "Paper jam printer {host}",
                    "printer jams every morning"],
    "password-expired": ["Password expired", "my password has expired",
                         "password expired for {name}", "expired password cannot log in",
                         "Password expired again"],
    "sap-login": ["SAP login fails", "cannot login to SAP", "SAP login failed {date}",
                  "SAP login failing for {name}", "login to SAP fails with error"],
}
HOSTS = ("LT-22184", "PC-0042", "srv-app-07", "PRN-0042", "WS-1180")


@dataclass
class Planted:
    tickets: pd.DataFrame
    family: pd.Series  # per ticket: the planted family, <NA> elsewhere


def plant_wordings(tickets: pd.DataFrame, per_family: int = 60, seed: int = 3) -> Planted:
    """Overwrite the summaries of ``per_family`` incidents per family (opened in the last
    quarter of the data) with variants of that family's wordings."""
    rng = np.random.default_rng(seed)
    t = tickets.copy()
    inc = np.flatnonzero((t[m.KIND] == "incident").to_numpy()
                         & (t[m.OPENED_AT] >= t[m.OPENED_AT].max() - pd.Timedelta(weeks=12))
                         .fillna(False).to_numpy())
    chosen = rng.choice(inc, size=per_family * len(FAMILIES), replace=False)
    family = pd.Series(pd.NA, index=t.index, dtype="string")
    summaries = t[m.SUMMARY].astype(object).to_numpy().copy()
    # names typed into summaries are the requesters' own (the clustering strips them)
    names = t.loc[t[m.KIND] == "incident", m.REQUESTER].dropna().unique()[:50]
    for i, (name, forms) in enumerate(FAMILIES.items()):
        rows = chosen[i * per_family:(i + 1) * per_family]
        picks = rng.integers(0, len(forms), len(rows))
        for row, p in zip(rows, picks, strict=True):  # test data: a few hundred rows
            text = forms[p].format(date=f"{rng.integers(1, 28)}/0{rng.integers(1, 9)}/2026",
                                   name=names[rng.integers(len(names))],
                                   host=HOSTS[rng.integers(len(HOSTS))])
            if rng.random() < 0.3:
                text = text.upper() if rng.random() < 0.3 else text + " - please help"
            summaries[row] = text
        family.iloc[rows] = name
    t[m.SUMMARY] = pd.Series(summaries, dtype=m.STRING_DTYPE)
    return Planted(tickets=t, family=family)


def purity_recall(cluster: np.ndarray, family: pd.Series) -> tuple[float, float]:
    """Purity (tickets in their cluster's majority family, over planted tickets in clusters
    holding planted tickets) and recall (per family, the share in its largest cluster;
    averaged over families)."""
    frame = pd.DataFrame({"c": cluster, "f": family.to_numpy()}).dropna()
    counts = frame.value_counts()
    purity = counts.groupby(level="c").max().sum() / counts.sum()
    recall = (counts.groupby(level="f").max() / counts.groupby(level="f").sum()).mean()
    return float(purity), float(recall)


# ---- a hand-made flow with known answers ------------------------------------------------------

SD, NET, VENDOR, DESK = "Service Desk", "Network Ops", "Vendor Liaison", "Desktop Support"
#: the world's end: the window is the 13 weeks up to it
END = pd.Timestamp("2026-06-30 23:00", tz="UTC")


@dataclass
class FlowWorld:
    tickets: pd.DataFrame
    events: pd.DataFrame
    #: ticket ids per planted path
    bounced_network: list[str]
    idle_vendor: list[str]
    straight: list[str]


def flow_world() -> FlowWorld:
    """200 incidents done in June 2026 (Monday to Friday, business hours):

    - 60 bounce Service Desk -> Network Ops -> Service Desk within hours;
    - 40 go Service Desk -> Vendor Liaison, wait there (status Awaiting Vendor) with no
      update for 14 calendar days (10 business days), then back to Service Desk;
    - 100 go Service Desk -> Desktop Support and are resolved within hours.
    Every ticket: New, In Progress, Resolved, then Closed a day later.
    """
    rows, events = [], []
    start = pd.Timestamp("2026-06-01 09:00", tz="UTC")  # a Monday
    ids: dict[str, list[str]] = {"net": [], "vendor": [], "straight": []}
    h = pd.Timedelta(hours=1)
    for i in range(200):
        tid = f"INC{i + 1:05d}"
        opened = start + pd.Timedelta(days=(i % 5)) + pd.Timedelta(minutes=7 * (i // 5))
        kind = "net" if i < 60 else ("vendor" if i < 100 else "straight")
        ids[kind].append(tid)
        if kind == "net":
            path = [(opened, SD), (opened + h, NET), (opened + 2 * h, SD)]
            resolved = opened + 3 * h
            status = [(opened, "New"), (opened + h, "In Progress")]
        elif kind == "vendor":
            path = [(opened, SD), (opened + h, VENDOR), (opened + pd.Timedelta(days=14), SD)]
            resolved = opened + pd.Timedelta(days=14, hours=2)
            status = [(opened, "New"), (opened + h, "Awaiting Vendor"),
                      (opened + pd.Timedelta(days=14), "In Progress")]
        else:
            path = [(opened, SD), (opened + h, DESK)]
            resolved = opened + 4 * h
            status = [(opened, "New"), (opened + h, "In Progress")]
        status += [(resolved, "Resolved"), (resolved + pd.Timedelta(days=1), "Closed")]
        for at, group in path:
            events.append({"ticket_id": tid, "at": at, "kind": "assignment",
                           "author_role": "agent", "value": group})
        for at, value in status:
            events.append({"ticket_id": tid, "at": at, "kind": "status",
                           "author_role": "agent", "value": value})
        rows.append({"ticket_id": tid, "kind": "incident", "status": "closed",
                     "status_raw": "Closed", "opened_at": opened, "resolved_at": resolved,
                     "closed_at": resolved + pd.Timedelta(days=1), "assignment_group": path[-1][1],
                     "updated_at": resolved + pd.Timedelta(days=1), "priority": 3})
    tickets = m.conform_tickets(pd.DataFrame(rows))
    return FlowWorld(tickets=tickets, events=m.conform_events(pd.DataFrame(events)),
                     bounced_network=ids["net"],
                     idle_vendor=ids["vendor"], straight=ids["straight"])
