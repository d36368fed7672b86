"""One seeded, vectorised generator of realistic ServiceNow-like ticket data.

Used by the bundled samples, by tests and by scale benchmarks, so every sign can be
exercised on data whose truth is known: each of the seven signs has a switch in
:class:`Conditions` that injects its condition when on and leaves a clearly healthy
shape when off.

Shape of the generated world (all times UTC; business hours 08:00-18:00, Monday-Friday):

- ``weeks`` of activity ending at ``end`` (a date means the end of that day). Incidents
  and requests arrive over that span; a carry-over backlog was opened during the
  26 weeks before it and is still open at its start (an export of "everything active").
- Incidents sit on configuration items (applications, network and database servers,
  per-device laptops and desktops, shared printers) with a category, subcategory,
  service and resolver group; requests are catalogue items ("New hire onboarding",
  "Password reset", ...); changes, problems, tasks (``TASK``) and epics (``EPIC``,
  kind ``other``) complete the picture.
- Ids grow with the open time per kind: INC0010001, RITM0010001, CHG0030001,
  PRB0040001, TASK0050001, EPIC0060001.
- The events table holds status changes (canonical status names), assignment changes
  (group names) and comments from requesters and agents (the journal).

Everything is drawn with numpy from component-specific random streams derived from
``seed`` (so flipping one condition leaves unrelated draws alone where counts allow);
there is no per-ticket Python loop, so a million tickets take seconds.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itsm_diag import model as m

__all__ = ["Conditions", "Synthetic", "generate"]

DAY: Final = 86400.0
HOUR: Final = 3600.0
SOURCE_TOOL: Final = "synthetic"

# ---- codes (indices into the model vocabularies) --------------------------------------
INC, REQ, CHG, PRB, TSK, OTH = range(6)  # m.KINDS order
NEW, OPEN, PENDING, RESOLVED, CLOSED, CANCELLED = range(6)  # m.STATUSES order
PORTAL, EMAIL, PHONE, CHAT, WALK_IN, API, MONITORING = range(7)  # m.CHANNELS order

ID_PREFIX: Final = ("INC", "RITM", "CHG", "PRB", "TASK", "EPIC")
ID_START: Final = (10001, 10001, 30001, 40001, 50001, 60001)

#: ServiceNow display labels of each canonical status, per kind (the ``status_raw``).
STATUS_LABELS: Final[dict[int, tuple[str, ...]]] = {
    INC: ("New", "In Progress", "On Hold", "Resolved", "Closed", "Canceled"),
    REQ: ("Open", "Work in Progress", "Pending", "Closed Complete", "Closed Complete",
          "Closed Incomplete"),
    CHG: ("New", "Implement", "Assess", "Review", "Closed", "Canceled"),
    PRB: ("New", "Root Cause Analysis", "Assess", "Resolved", "Closed", "Closed"),
    TSK: ("Open", "Work in Progress", "Pending", "Closed Complete", "Closed Complete",
          "Closed Skipped"),
    OTH: ("Draft", "Work in Progress", "Pending", "Complete", "Complete", "Cancelled"),
}
PRIORITY_LABELS: Final = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning")
CHANNEL_LABELS: Final = ("Self-service", "Email", "Phone", "Chat", "Walk-in", "API", "Monitoring",
                         "Other")

# ---- the catalogue ---------------------------------------------------------------------
#: categories; "Other" only appears when the reporting condition is on
CATEGORIES: Final = ("Software", "Hardware", "Network", "Database", "Email", "Access",
                     "Inquiry / Help", "Other")
SW, HW, NW, DB, EM, AC, INQ, OTHER_CAT = range(8)
#: incident share per category (Other excluded)
CATEGORY_WEIGHTS: Final = (0.30, 0.18, 0.14, 0.05, 0.12, 0.15, 0.06, 0.0)

#: (subcategory, category, summary templates); "{ci}" is replaced by the CI name
SUBCATEGORIES: Final[tuple[tuple[str, int, tuple[str, str]], ...]] = (
    ("Error message", SW, ("{ci} shows an error when saving", "Error 500 in {ci} after login")),
    ("Performance", SW, ("{ci} is very slow", "{ci} freezes several times a day")),
    ("Installation", SW, ("Cannot install the {ci} update", "{ci} add-in missing after update")),
    ("Functionality", SW, ("Report export fails in {ci}", "{ci}: save button does nothing")),
    ("Laptop", HW, ("Laptop {ci} will not boot", "Battery of {ci} drains within an hour")),
    ("Desktop", HW, ("Desktop {ci} restarts randomly", "Blue screen on {ci}")),
    ("Printer", HW, ("Printer {ci} jams on every job", "Printer {ci} shows offline")),
    ("Peripherals", HW, ("Docking station of {ci} does not detect monitors",
                         "Keyboard of {ci} not working")),
    ("Connectivity", NW, ("No connection through {ci}", "{ci} drops the connection every few "
                          "minutes")),
    ("Latency", NW, ("High latency via {ci}", "Slow file transfers through {ci}")),
    ("Outage", NW, ("{ci} down for the whole floor", "{ci} unreachable")),
    ("Performance", DB, ("Queries on {ci} time out", "{ci} slow during month-end close")),
    ("Availability", DB, ("{ci} not responding", "Connection refused by {ci}")),
    ("Storage", DB, ("Tablespace almost full on {ci}", "Disk space alert on {ci}")),
    ("Delivery", EM, ("Emails stuck in the outbox ({ci})", "External mail not delivered via "
                      "{ci}")),
    ("Mailbox", EM, ("Mailbox full in {ci}", "Shared mailbox missing in {ci}")),
    ("Calendar", EM, ("Meeting invites not arriving ({ci})", "Calendar not syncing with {ci}")),
    ("Password", AC, ("Account locked in {ci}", "Password expired for {ci}, cannot change it")),
    ("Permissions", AC, ("No access to {ci}", "Missing permissions on {ci}")),
    ("MFA", AC, ("MFA prompt loops on {ci}", "New phone, MFA not working for {ci}")),
    ("How-to", INQ, ("How do I set an out-of-office reply?", "How do I connect to the meeting "
                     "room screen?")),
    ("Question", INQ, ("Question about my software licence", "Who approves a second monitor?")),
)
SUBCAT_CATEGORY: Final = np.array([s[1] for s in SUBCATEGORIES])
VAGUE_SUMMARIES: Final = ("IT issue", "not working", "Problem", "Help!", "Error", "urgent")

#: static CIs: (name, category, service, group, changeable, weight within category)
CIS: Final[tuple[tuple[str, int, str, str, bool, float], ...]] = (
    ("SAP ERP", SW, "ERP", "Application Support", True, 3.0),
    ("Salesforce CRM", SW, "CRM", "Application Support", True, 2.5),
    ("Microsoft Teams", SW, "Collaboration", "Messaging & Collaboration", True, 3.0),
    ("Microsoft Excel", SW, "Office Productivity", "Desktop Support", True, 2.0),
    ("Workday", SW, "HR Services", "Application Support", True, 1.2),
    ("Jira Software", SW, "Engineering Tools", "Platform Engineering", True, 1.0),
    ("Power BI", SW, "Data Platform", "Application Support", True, 1.0),
    ("Adobe Acrobat", SW, "Office Productivity", "Desktop Support", True, 1.2),
    ("Zoom", SW, "Collaboration", "Messaging & Collaboration", True, 1.0),
    ("Web Shop", SW, "E-commerce", "Platform Engineering", True, 1.5),
    ("VPN Gateway", NW, "Remote Access", "Network Ops", True, 3.0),
    ("Wi-Fi HQ", NW, "Network Connectivity", "Network Ops", True, 2.5),
    ("Core Switch 01", NW, "Network Connectivity", "Network Ops", True, 1.0),
    ("Firewall FW-02", NW, "Network Connectivity", "Network Ops", True, 1.0),
    ("Branch Router Lyon", NW, "Network Connectivity", "Network Ops", True, 1.0),
    ("Oracle DB PROD01", DB, "ERP", "Database Admins", True, 2.0),
    ("SQL Server SQLPRD02", DB, "CRM", "Database Admins", True, 1.5),
    ("PostgreSQL Analytics", DB, "Data Platform", "Database Admins", True, 1.0),
    ("Exchange Online", EM, "Email", "Messaging & Collaboration", True, 3.0),
    ("Mail Relay SMTP01", EM, "Email", "Messaging & Collaboration", True, 1.0),
    ("Outlook Client", EM, "Email", "Desktop Support", True, 2.0),
    ("Active Directory", AC, "Identity & Access", "Identity & Access", True, 3.0),
    ("Okta SSO", AC, "Identity & Access", "Identity & Access", True, 2.0),
    ("File Share FS01", AC, "File Services", "Identity & Access", True, 1.5),
    ("PRN-HQ-01", HW, "Printing", "Desktop Support", False, 1.0),
    ("PRN-HQ-02", HW, "Printing", "Desktop Support", False, 1.0),
    ("PRN-HQ-03", HW, "Printing", "Desktop Support", False, 1.0),
    ("PRN-LYON-01", HW, "Printing", "Desktop Support", False, 1.0),
)
CI_CATEGORY: Final = np.array([c[1] for c in CIS])
CI_CHANGEABLE: Final = np.array([c[4] for c in CIS])
CI_WEIGHT: Final = np.array([c[5] for c in CIS])
#: per-device CIs (laptops, desktops): name prefix; the number is drawn from a pool
DEVICE_PREFIX: Final = ("LT-", "DT-")

SERVICES: Final = tuple(dict.fromkeys(
    [c[2] for c in CIS] + ["End User Computing", "IT Service Desk", "Workplace"]
))
GROUPS: Final = (
    "Service Desk", "Desktop Support", "Network Ops", "Application Support", "Database Admins",
    "Identity & Access", "Messaging & Collaboration", "Platform Engineering",
)
G_SD, G_DESK, G_NET, G_APP, G_DBA, G_IAM, G_MSG, G_PLAT = range(len(GROUPS))
CI_SERVICE: Final = np.array([SERVICES.index(c[2]) for c in CIS])
CI_GROUP: Final = np.array([GROUPS.index(c[3]) for c in CIS])
SVC_EUC, SVC_DESK = SERVICES.index("End User Computing"), SERVICES.index("IT Service Desk")

#: catalogue items: (name, category, service, group, median hours to fulfil, weight)
REQUEST_ITEMS: Final[tuple[tuple[str, int, str, str, float, float], ...]] = (
    ("New hire onboarding", AC, "Workplace", "Service Desk", 20.0, 0.0),  # weight set below
    ("Password reset", AC, "Identity & Access", "Service Desk", 1.5, 3.0),
    ("Access to shared folder", AC, "File Services", "Identity & Access", 8.0, 2.5),
    ("Software installation", SW, "Office Productivity", "Desktop Support", 24.0, 2.5),
    ("Laptop replacement", HW, "End User Computing", "Desktop Support", 70.0, 1.0),
    ("Additional monitor", HW, "End User Computing", "Desktop Support", 48.0, 1.0),
    ("Distribution list change", EM, "Email", "Messaging & Collaboration", 12.0, 1.2),
    ("VPN access", NW, "Remote Access", "Identity & Access", 10.0, 1.2),
    ("Mobile phone", HW, "End User Computing", "Desktop Support", 90.0, 0.8),
    ("Adobe Acrobat Pro licence", SW, "Office Productivity", "Desktop Support", 30.0, 0.8),
    ("Leaver offboarding", AC, "Workplace", "Identity & Access", 24.0, 0.6),
)
ONBOARDING_SHARE: Final = 0.08  # of requests

CHANGE_SUMMARIES: Final = (
    "Patch {ci} to the latest security release", "Upgrade firmware on {ci}",
    "Deploy quarterly release to {ci}", "Renew TLS certificate on {ci}",
    "Increase capacity of {ci}", "Apply configuration change to {ci}",
)
CHANGE_TYPE_P: Final = {False: (0.50, 0.46, 0.04), True: (0.35, 0.50, 0.15)}

#: (summary, labels, median hours worked, median days open) per task flavour
STRATEGIC_TASKS: Final = (
    ("Cloud migration: move file shares to SharePoint", "project;cloud-migration"),
    ("Zero-trust network: pilot conditional access", "initiative;security"),
    ("Self-service portal redesign", "project;portal"),
    ("Automate password resets with the virtual agent", "project;automation"),
    ("CMDB data quality programme", "initiative;cmdb"),
    ("Laptop fleet refresh 2026", "project;workplace"),
    ("Data platform modernisation", "initiative;data"),
    ("Knowledge base overhaul", "project;knowledge"),
)
TACTICAL_TASKS: Final = (
    ("Tune monitoring thresholds for the VPN gateway", "improvement"),
    ("Update the runbook for Exchange outages", "improvement"),
    ("Clean up stale Active Directory accounts", "improvement"),
    ("Review standard change templates", "improvement"),
)
ROUTINE_TASKS: Final = (
    "Monthly backup restore test", "Weekly licence usage report", "Patch compliance report",
    "Rotate service account passwords",
)
EPICS: Final = (
    ("Epic: unified endpoint management", "epic;initiative"),
    ("Epic: ITSM process automation", "epic;automation"),
    ("Epic: hybrid work enablement", "epic;workplace"),
)

# ---- people (invented; no real persons) -------------------------------------------------
FIRST_NAMES: Final = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Karin", "Leo", "Maria", "Nils", "Olga", "Pablo", "Rosa", "Samir", "Tara", "Umar",
    "Vera", "Wim", "Yara", "Zoe", "Amir", "Bianca", "Carlos", "Dana", "Emil", "Fatima",
    "Gustav", "Hanna", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nora", "Oskar", "Paula",
    "Quentin", "Rita", "Stefan", "Tomas", "Ulla", "Viktor", "Wanda", "Xavier", "Yusuf", "Zofia",
)
LAST_NAMES: Final = (
    "Almeida", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Iversen",
    "Jansen", "Keller", "Lambert", "Moreau", "Novak", "Olsen", "Peeters", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Urban", "Vogel", "Weber", "Xu", "Young", "Zimmermann", "Bauer",
    "Conti", "Dvorak", "Ferreira", "Gomez", "Horvat", "Kowalski", "Lindqvist", "Marino",
    "Nielsen", "Oliveira", "Petrov", "Ramos", "Santos",
)
AGENTS: Final[tuple[tuple[str, int], ...]] = (
    ("Alex Brenner", G_SD), ("Sam Okafor", G_SD), ("Mira Lund", G_SD), ("Jo Castell", G_SD),
    ("Ray Duval", G_SD), ("Kim Haddad", G_DESK), ("Toni Marek", G_DESK), ("Lou Varga", G_DESK),
    ("Pat Nordin", G_NET), ("Eli Sorensen", G_NET), ("Noa Brandt", G_NET),
    ("Ari Lindholm", G_APP), ("Dee Moretti", G_APP), ("Cam Ruiz", G_APP),
    ("Jules Aydin", G_DBA), ("Rene Falk", G_DBA), ("Sky Tanner", G_IAM), ("Max Oyelaran", G_IAM),
    ("Robin Hale", G_MSG), ("Fran Ostrow", G_MSG), ("Drew Kalnins", G_PLAT),
    ("Quinn Abara", G_PLAT), ("Sasha Beltran", G_PLAT),
)
AGENT_GROUP: Final = np.array([a[1] for a in AGENTS])

# ---- comment texts ---------------------------------------------------------------------
CHASERS: Final = (
    "Any update on this?", "Any news? I still cannot work properly.",
    "Still waiting for a reply, please advise.", "Following up on this ticket.",
    "Status? This is blocking my team.", "Gentle reminder: this is still open.",
    "Has anyone looked at this yet?", "Gibt es Neuigkeiten zu meinem Ticket?",
    "Wie ist der Stand? Ich warte immer noch.", "Des nouvelles ? Je relance ma demande.",
    "Toujours en attente, merci de me tenir informé.", "¿Alguna novedad? Sigo esperando.",
    "Is er al nieuws over dit ticket?", "Alguma novidade sobre o meu pedido?",
)
REQUESTER_NOTES: Final = (
    "Attached a screenshot of the error.", "I restarted as suggested, same issue.",
    "Thanks, that worked!", "It happens mostly in the morning.",
    "Colleagues in my team have the same problem.", "I can be reached on my mobile today.",
)
AGENT_FIRST: Final = (
    "Hello, thanks for reaching out. We are looking into it.",
    "Hi, I have picked this up and will get back to you shortly.",
    "Thanks for the report. Could you tell us since when this happens?",
)
AGENT_PROGRESS: Final = (
    "Update: still investigating with the vendor.", "Update: waiting for a maintenance slot.",
    "Update: escalated to the second line, next review tomorrow.",
)
AGENT_RESOLVE: Final = (
    "Resolved: restarted the service, please confirm it works.",
    "Resolved: applied the fix, closing after your confirmation.",
    "Resolved: reset the configuration to the standard profile.",
    "Resolved: replaced the faulty component.",
)
AGENT_REPLY_CHASER: Final = "Sorry for the wait, we are still working on it."
DUPLICATE_NOTE: Final = "Closed as a duplicate of an earlier ticket."


@dataclass(frozen=True)
class Conditions:
    """One switch per sign: True injects the sign's condition, False keeps it healthy."""

    backlog: bool = False
    recurrence: bool = False
    reporting: bool = False
    trust: bool = False
    changes: bool = False
    onboarding: bool = False
    strategy: bool = False

    @classmethod
    def all(cls) -> Conditions:
        """Every condition on: a crisis-shaped dataset."""
        return cls(**{f.name: True for f in fields(cls)})

    @classmethod
    def none(cls) -> Conditions:
        """Every condition off: a healthy dataset."""
        return cls()

    def on(self) -> tuple[str, ...]:
        """The names of the switches that are on, in sign order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name))


@dataclass(frozen=True)
class Synthetic:
    """The generated data: canonical tickets and events plus how they were made."""

    tickets: pd.DataFrame
    events: pd.DataFrame
    conditions: Conditions
    seed: int
    start: pd.Timestamp
    end: pd.Timestamp


def generate(
    n_tickets: int = 3000,
    *,
    seed: int = 7,
    end: str = "2026-09-30",
    weeks: int = 26,
    conditions: Conditions | None = None,
) -> Synthetic:
    """Generate ``n_tickets`` canonical tickets (exactly) and their events.

    ``end`` is the export moment (a bare date means the end of that day); activity
    spans the ``weeks`` before it. ``conditions`` defaults to :meth:`Conditions.none`.
    The same arguments always give identical frames.
    """
    if n_tickets < 100:
        raise ValueError("n_tickets must be at least 100 (conditions need some volume)")
    if weeks < 14:
        raise ValueError("weeks must be at least 14 (the signs look at 13-week windows)")
    return _Builder(n_tickets, seed, end, weeks, conditions or Conditions.none()).run()


# ---------------------------------------------------------------------------------------
def _end_timestamp(end: str) -> pd.Timestamp:
    ts = pd.Timestamp(end)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if len(end.strip()) <= 10:  # a bare date: the export ran at the end of that day
        ts = ts + pd.Timedelta(days=1)
    return ts


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float,
               size: int) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, sigma, size))


#: arrivals per clock hour on working days (peaks mid-morning and early afternoon)
_HOURS_WORK: Final = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 2, 6, 9, 9, 8, 5, 7, 8, 7, 6, 4,
                               2, 1, 0.8, 0.6, 0.4, 0.3])
_HOURS_WEEKEND: Final = np.array([0.3] * 7 + [1.0] * 12 + [0.5] * 5)
_WEEKDAY_WEIGHT: Final = np.array([1.0, 1.0, 0.97, 0.95, 0.85, 0.10, 0.07])


class _Builder:
    """Holds the column arrays (one row per ticket) while the world is drawn."""

    def __init__(self, n: int, seed: int, end: str, weeks: int, cond: Conditions) -> None:
        self.n, self.seed, self.cond = n, seed, cond
        self.t_end = _end_timestamp(end)
        self.t_start = self.t_end - pd.Timedelta(weeks=weeks)
        self.base0 = self.t_start.normalize()
        # times are float seconds since base0 (midnight before the span); NaN = missing
        self.x_lo = (self.t_start - self.base0).total_seconds()
        self.x_hi = (self.t_end - self.base0).total_seconds()
        self.wd0 = self.base0.weekday()
        self.day0 = np.datetime64(self.base0.date(), "D")

    def rng(self, component: str) -> np.random.Generator:
        """An independent, reproducible stream per component of the world."""
        return np.random.default_rng([self.seed, zlib.crc32(component.encode())])

    # ---- time helpers ------------------------------------------------------------------
    def weekday(self, x: np.ndarray) -> np.ndarray:
        return (self.wd0 + np.floor(x / DAY).astype(np.int64)) % 7

    def sample_times(self, rng: np.random.Generator, size: int, lo: float, hi: float,
                     trend: tuple[float, float] = (1.0, 1.0),
                     weekday_weight: np.ndarray = _WEEKDAY_WEIGHT) -> np.ndarray:
        """Open times in [lo, hi): weekday, hour-of-day and linear trend weighted."""
        d_lo, d_hi = int(np.floor(lo / DAY)), int(np.ceil(hi / DAY))
        days = np.arange(d_lo, d_hi)
        w = weekday_weight[(self.wd0 + days) % 7] * np.linspace(trend[0], trend[1], len(days))
        d = rng.choice(days, size=size, p=w / w.sum())
        weekend = (self.wd0 + d) % 7 >= 5
        h_work = rng.choice(24, size=size, p=_HOURS_WORK / _HOURS_WORK.sum())
        h_end = rng.choice(24, size=size, p=_HOURS_WEEKEND / _HOURS_WEEKEND.sum())
        x = d * DAY + np.where(weekend, h_end, h_work) * HOUR + rng.uniform(0, HOUR, size)
        return np.clip(x, lo, hi - 60.0)

    def next_window(self, x: np.ndarray) -> np.ndarray:
        """Start of the next change window after x: 19:00 on weekdays, 09:00 on Saturdays."""
        d = np.floor(x / DAY) + 1
        wd = (self.wd0 + d.astype(np.int64)) % 7
        d = d + np.where(wd == 6, 1, 0)  # Sunday -> Monday
        wd = (self.wd0 + d.astype(np.int64)) % 7
        return d * DAY + np.where(wd == 5, 9 * HOUR, 19 * HOUR)

    def busday_offset(self, x: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The midnight (as x) of the k-th business day after the day of x."""
        day = self.day0 + np.floor(x / DAY).astype("timedelta64[D]")
        out = np.busday_offset(day, k, roll="forward")
        return (out - self.day0).astype(np.int64) * DAY

    # ---- the world ---------------------------------------------------------------------
    def run(self) -> Synthetic:
        self.counts()
        self.arrivals()
        self.classify()
        self.duplicates()
        self.durations()
        self.changes()
        self.finish_scope()
        self.reporting()
        self.problems()
        self.tasks()
        self.effort()
        tickets, ids = self.tickets_frame()
        events = self.events_frame(ids)
        return Synthetic(tickets=tickets, events=events, conditions=self.cond, seed=self.seed,
                         start=self.t_start, end=self.t_end)

    def counts(self) -> None:
        c = self.cond
        if c.strategy:
            # a few epics from long before the window: the team did projects once (so the
            # export can hold strategic work), not in the last months
            share = {INC: 0.598, REQ: 0.33, CHG: 0.045, PRB: 0.02, TSK: 0.005, OTH: 0.002}
        else:
            share = {INC: 0.52, REQ: 0.29, CHG: 0.06, PRB: 0.025, TSK: 0.085, OTH: 0.02}
        if c.recurrence:  # a handful of problem records, nowhere near the recurring clusters
            share[INC] += share[PRB] - 0.004
            share[PRB] = 0.004
        cnt = {k: int(np.floor(self.n * v)) for k, v in share.items()}
        cnt[PRB] = max(cnt[PRB], 1)
        cnt[INC] += self.n - sum(cnt.values())
        self.cnt = cnt
        n = self.n
        self.kind = np.repeat(np.arange(6, dtype=np.int8), [cnt[k] for k in range(6)])
        nan = np.full(n, np.nan)
        self.opened, self.first_resp = nan.copy(), nan.copy()
        self.resolved, self.closed, self.updated = nan.copy(), nan.copy(), nan.copy()
        self.due, self.start_date = nan.copy(), nan.copy()
        self.planned_start, self.planned_end = nan.copy(), nan.copy()
        self.actual_start, self.actual_end = nan.copy(), nan.copy()
        self.time_spent = nan.copy()
        neg = np.full(n, -1, dtype=np.int64)
        self.status = np.full(n, OPEN, dtype=np.int8)
        self.priority = np.full(n, 3, dtype=np.int8)
        self.category, self.subcat, self.ci, self.device = neg.copy(), neg.copy(), neg.copy(), \
            neg.copy()
        self.service, self.group, self.assignee, self.requester = neg.copy(), neg.copy(), \
            neg.copy(), neg.copy()
        self.channel, self.item, self.problem_ref, self.caused_by = neg.copy(), neg.copy(), \
            neg.copy(), neg.copy()
        self.change_type, self.change_outcome, self.labels = neg.copy(), neg.copy(), neg.copy()
        self.knowledge, self.summary = neg.copy(), neg.copy()
        self.summary_variant = np.zeros(n, dtype=np.int64)
        self.reassign = np.zeros(n, dtype=np.int64)
        self.reopen = np.zeros(n, dtype=np.int64)
        self.sla = np.zeros(n, dtype=np.int8)  # 1 met, 0 breached, -1 unknown
        self.carry = np.zeros(n, dtype=bool)
        self.dup_of = neg.copy()
        self.stale = np.zeros(n, dtype=bool)
        self.cancelled = np.zeros(n, dtype=bool)
        self.hot = np.zeros(n, dtype=bool)
        self.dur = nan.copy()
        self.n_people = int(min(len(FIRST_NAMES) * len(LAST_NAMES) * 26, max(400, n // 3)))

    def arrivals(self) -> None:
        """Open times of incidents and requests: carry-over backlog plus arrivals."""
        rng = self.rng("arrivals")
        scope = np.flatnonzero(self.kind <= REQ)
        weeks_span = (self.x_hi - self.x_lo) / (7 * DAY)
        weekly = len(scope) / weeks_span
        # the carry-over backlog: opened before the span, still open at its start
        b0 = int(min(0.15 * len(scope), round(weekly * (1.0 if self.cond.backlog else 2.5))))
        carry = rng.choice(scope, size=b0, replace=False)
        self.carry[carry] = True
        fresh = scope[~self.carry[scope]]
        trend = (0.85, 1.15) if self.cond.backlog else (1.03, 0.97)
        self.opened[fresh] = self.sample_times(rng, len(fresh), self.x_lo, self.x_hi, trend)
        # older carry-over tickets are rarer: weight the 26 weeks before the span by recency
        self.opened[carry] = self.sample_times(rng, b0, self.x_lo - 182 * DAY, self.x_lo,
                                               (0.2, 1.0))

    def classify(self) -> None:
        """Category, CI, service, group, priority, channel and requester of incidents and
        requests; hot recurring issues; onboarding requests."""
        rng = self.rng("classify")
        inc = np.flatnonzero(self.kind == INC)
        k = len(inc)
        cw = np.array(CATEGORY_WEIGHTS)
        cat = rng.choice(len(CATEGORIES), size=k, p=cw / cw.sum())
        # subcategory uniform within the category
        sub = np.empty(k, dtype=np.int64)
        for c in range(len(CATEGORIES) - 1):  # loop over 7 categories, not tickets
            idx = np.flatnonzero(cat == c)
            choices = np.flatnonzero(c == SUBCAT_CATEGORY)
            sub[idx] = rng.choice(choices, size=len(idx))
        # CI: static CI of the category (weighted), printers for the Printer subcategory,
        # a per-device CI for laptops/desktops/peripherals, none for Inquiry / Help
        ci = np.full(k, -1, dtype=np.int64)
        for c in (SW, NW, DB, EM, AC):
            idx = np.flatnonzero(cat == c)
            choices = np.flatnonzero(c == CI_CATEGORY)
            w = CI_WEIGHT[choices]
            ci[idx] = rng.choice(choices, size=len(idx), p=w / w.sum())
        printer_sub = next(i for i, s in enumerate(SUBCATEGORIES) if s[0] == "Printer")
        printers = np.flatnonzero(CI_CATEGORY == HW)
        is_prn = sub == printer_sub
        ci[is_prn] = rng.choice(printers, size=int(is_prn.sum()))
        device = np.full(k, -1, dtype=np.int64)
        is_dev = (cat == HW) & ~is_prn
        n_dev_pool = max(200, self.n // 4)
        device[is_dev] = rng.integers(1, n_dev_pool, size=int(is_dev.sum())) * 2 + \
            (sub[is_dev] == printer_sub - 1)  # odd numbers: desktops (DT-), even: laptops

        # hot recurring issues: a few CI + subcategory pairs that keep coming back
        n_hot_keys = int(min(20, 10 + self.n // 50000))
        static = np.flatnonzero(CI_CHANGEABLE)
        hot_ci = rng.choice(static, size=n_hot_keys, replace=False, p=CI_WEIGHT[static] /
                            CI_WEIGHT[static].sum())
        hot_sub = np.array([rng.choice(np.flatnonzero(CI_CATEGORY[c] == SUBCAT_CATEGORY))
                            for c in hot_ci])  # one draw per hot key
        fresh = ~self.carry[inc]
        hot = fresh & (rng.random(k) < 0.18)
        which = rng.integers(0, n_hot_keys, size=k)
        ci[hot], sub[hot] = hot_ci[which[hot]], hot_sub[which[hot]]
        cat[hot], device[hot] = CI_CATEGORY[hot_ci[which[hot]]], -1
        self.hot[inc] = hot

        service = np.where(ci >= 0, CI_SERVICE[np.maximum(ci, 0)],
                           np.where(device >= 0, SVC_EUC, SVC_DESK))
        group = np.where(ci >= 0, CI_GROUP[np.maximum(ci, 0)],
                         np.where(device >= 0, G_DESK, G_SD))
        self.category[inc], self.subcat[inc], self.ci[inc] = cat, sub, ci
        self.device[inc], self.service[inc], self.group[inc] = device, service, group
        self.summary[inc] = sub
        self.summary_variant[inc] = rng.integers(0, 2, size=k)
        self.priority[inc] = rng.choice(np.arange(1, 6), size=k,
                                        p=[0.03, 0.10, 0.42, 0.38, 0.07])

        req = np.flatnonzero(self.kind == REQ)
        r = len(req)
        iw = np.array([it[5] for it in REQUEST_ITEMS])
        iw[0] = ONBOARDING_SHARE / (1 - ONBOARDING_SHARE) * iw.sum()
        item = rng.choice(len(REQUEST_ITEMS), size=r, p=iw / iw.sum())
        # onboarding requests are all fresh: a carry-over one would blur the onboarding sign
        item[(item == 0) & self.carry[req]] = 3
        self.item[req] = item
        self.category[req] = np.array([it[1] for it in REQUEST_ITEMS])[item]
        self.service[req] = np.array([SERVICES.index(it[2]) for it in REQUEST_ITEMS])[item]
        self.group[req] = np.array([GROUPS.index(it[3]) for it in REQUEST_ITEMS])[item]
        self.priority[req] = rng.choice(np.arange(2, 6), size=r, p=[0.03, 0.17, 0.75, 0.05])

        scope = np.concatenate([inc, req])
        # channels: healthy intake goes through the portal and phone; distrust -> email,
        # chat and walk-ins (bypass)
        p_chan = ([0.14, 0.40, 0.20, 0.14, 0.08, 0.0, 0.04] if self.cond.trust
                  else [0.55, 0.10, 0.24, 0.05, 0.02, 0.0, 0.04])
        chan = rng.choice(7, size=len(scope), p=p_chan)
        chan[(self.kind[scope] == REQ) & (chan == MONITORING)] = PORTAL
        self.channel[scope] = chan
        self.requester[scope] = self.people(rng, len(scope))

    def people(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Requester codes: a mildly skewed pool (some people raise many tickets)."""
        u = rng.random(size)
        return np.minimum((u**1.6 * self.n_people).astype(np.int64), self.n_people - 1)

    def duplicates(self) -> None:
        """Trust on: the same requester raises the same issue again while it is open."""
        if not self.cond.trust:
            return
        rng = self.rng("duplicates")
        fresh = np.flatnonzero((self.kind == INC) & ~self.carry & ~self.hot)
        n_dup = int(0.07 * np.count_nonzero(self.kind <= REQ))
        n_dup = min(n_dup, len(fresh) // 3)
        pick = rng.choice(fresh, size=2 * n_dup, replace=False)
        dup, base = pick[:n_dup], pick[n_dup:]
        offset = rng.uniform(1 * HOUR, 30 * HOUR, n_dup)
        self.opened[dup] = np.minimum(self.opened[base] + offset, self.x_hi - 600)
        for col in (self.requester, self.category, self.subcat, self.ci, self.device,
                    self.service, self.group, self.summary, self.summary_variant):
            col[dup] = col[base]
        self.channel[dup] = rng.choice([EMAIL, CHAT, PHONE], size=n_dup, p=[0.6, 0.2, 0.2])
        self.dup_of[dup] = base
        self.dup_offset = offset

    def durations(self) -> None:
        """Time to done per incident/request; stale tickets never finish (backlog)."""
        rng = self.rng("durations")
        inc = np.flatnonzero(self.kind == INC)
        med_inc = np.array([0, 2.0, 5.0, 14.0, 30.0, 80.0])[self.priority[inc]] * HOUR
        self.dur[inc] = _lognormal(rng, med_inc, 0.9, len(inc))
        req = np.flatnonzero(self.kind == REQ)
        med_req = np.array([it[4] for it in REQUEST_ITEMS])[self.item[req]] * HOUR
        self.dur[req] = _lognormal(rng, med_req, 0.8, len(req))
        self.onboarding(rng, req[self.item[req] == 0])

        scope = np.flatnonzero(self.kind <= REQ)
        fresh = scope[~self.carry[scope]]
        # backlog on: 8% of arrivals are never finished, so the queue grows week on week
        stale_p = 0.08 if self.cond.backlog else 0.004
        stale = fresh[(rng.random(len(fresh)) < stale_p) & (self.dup_of[fresh] < 0)]
        self.stale[stale] = True
        self.dur[stale] = np.inf
        # the carry-over backlog is worked down (off) or barely touched (on)
        carry = scope[self.carry[scope]]
        span = self.x_hi - self.x_lo
        if self.cond.backlog:
            done = self.x_lo + rng.exponential(3.0 * span, len(carry))
        else:
            done = self.x_lo + rng.uniform(0, 1.4 * span, len(carry))
        self.dur[carry] = done - self.opened[carry]
        # cancellations, and duplicates closed as such half of the time
        # (onboarding requests are never cancelled: a new starter always comes)
        cancel = fresh[(rng.random(len(fresh)) < 0.02) & (self.item[fresh] != 0)]
        self.cancelled[cancel] = True
        dups = np.flatnonzero(self.dup_of >= 0)
        if len(dups):
            base = self.dup_of[dups]
            # the first ticket must still be open when its duplicate arrives
            need = self.dup_offset + rng.uniform(6 * HOUR, 48 * HOUR, len(dups))
            self.dur[base] = np.maximum(self.dur[base], need)
            self.cancelled[dups[rng.random(len(dups)) < 0.5]] = True
        c = np.flatnonzero(self.cancelled)
        self.dur[c] = rng.uniform(1 * HOUR, 3 * DAY, len(c))
        self.stale[c] = False

    def onboarding(self, rng: np.random.Generator, idx: np.ndarray) -> None:
        """New hire requests: start day 3-15 business days ahead, fulfilled in business days."""
        k = len(idx)
        opened = self.opened[idx]
        late_p = 0.60 if self.cond.onboarding else 0.02
        late = rng.random(k) < late_p
        lead = np.where(late, rng.integers(2, 8, k), rng.integers(5, 16, k))
        self.start_date[idx] = self.busday_offset(opened, lead)
        bdays = np.where(late, rng.integers(3, 13, k), rng.integers(0, 2, k))
        same_day = opened + rng.uniform(1 * HOUR, 5 * HOUR, k)
        later = self.busday_offset(opened, bdays) + rng.uniform(9 * HOUR, 17 * HOUR, k)
        done = np.where(bdays == 0, same_day, later)
        self.dur[idx] = done - opened
        self.due[idx] = self.start_date[idx]

    def changes(self) -> None:
        """Change records; with the condition on, failures and the incidents they cause."""
        rng = self.rng("changes")
        idx = np.flatnonzero(self.kind == CHG)
        k = len(idx)
        on = self.cond.changes
        # healthy: draw many candidates and keep those no incident follows within 48 h
        pool = k if on else 8 * k
        cand = self.draw_changes(rng, pool)
        if not on:
            conflicts = self.change_conflicts(cand)
            order = np.lexsort((rng.random(pool), conflicts > 0))
            keep = np.sort(order[:k])
            cand = {key: v[keep] for key, v in cand.items()}
        sort = np.argsort(cand["opened"], kind="stable")
        for key, v in cand.items():
            cand[key] = v[sort]
        self.opened[idx] = cand["opened"]
        self.ci[idx], self.change_type[idx] = cand["ci"], cand["type"]
        self.change_outcome[idx] = cand["outcome"]
        self.planned_start[idx], self.planned_end[idx] = cand["ps"], cand["pe"]
        self.actual_start[idx], self.actual_end[idx] = cand["as"], cand["ae"]
        self.category[idx] = CI_CATEGORY[cand["ci"]]
        self.service[idx], self.group[idx] = CI_SERVICE[cand["ci"]], CI_GROUP[cand["ci"]]
        self.summary[idx] = rng.integers(0, len(CHANGE_SUMMARIES), size=k)
        self.priority[idx] = rng.choice([2, 3, 4], size=k, p=[0.15, 0.55, 0.30])
        if on:
            self.caused_incidents(rng, idx)

    def draw_changes(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        on = self.cond.changes
        opened = self.sample_times(rng, size, self.x_lo, self.x_hi)
        ctype = rng.choice(3, size=size, p=CHANGE_TYPE_P[on])
        changeable = np.flatnonzero(CI_CHANGEABLE)
        w = CI_WEIGHT[changeable]
        ci = rng.choice(changeable, size=size, p=w / w.sum())
        lead = np.select([ctype == 0, ctype == 1],
                         [rng.uniform(1, 3, size) * DAY, rng.uniform(4, 14, size) * DAY],
                         rng.uniform(0.5, 6, size) * HOUR)
        ps = np.where(ctype == 2, opened + lead, self.next_window(opened + lead))
        pe = ps + rng.choice([1, 2, 3, 4], size=size) * HOUR
        a_s = ps + rng.uniform(-10 * 60, 30 * 60, size)
        a_e = a_s + (pe - ps) * np.exp(rng.normal(0, 0.3, size))
        p_out = [0.70, 0.10, 0.15, 0.0, 0.05] if on else [0.97, 0.0, 0.0, 0.0, 0.03]
        outcome = rng.choice(5, size=size, p=p_out)
        cancelled = outcome == 4
        a_s = np.where(cancelled | (a_s >= self.x_hi), np.nan, a_s)
        a_e = np.where(np.isnan(a_s) | (a_e >= self.x_hi), np.nan, a_e)
        # an outcome is only known once the change has been implemented
        outcome = np.where(cancelled | ~np.isnan(a_e), outcome, -1)
        return {"opened": opened, "type": ctype, "ci": ci, "ps": ps, "pe": pe, "as": a_s,
                "ae": a_e, "outcome": outcome}

    def change_conflicts(self, cand: dict[str, np.ndarray]) -> np.ndarray:
        """Per candidate change: incidents on its CI opened from 1 h before its start to
        50 h after its end (a margin around the signs' 48 h heuristic)."""
        inc = np.flatnonzero((self.kind == INC) & (self.ci >= 0))
        shift = 1e9  # seconds; keeps CIs apart on one sorted axis
        keys = np.sort(self.ci[inc] * shift + self.opened[inc])
        start = np.where(np.isnan(cand["as"]), cand["ps"], cand["as"])
        stop = np.where(np.isnan(cand["ae"]), cand["pe"], cand["ae"])
        lo = cand["ci"] * shift + start - HOUR
        hi = cand["ci"] * shift + stop + 50 * HOUR
        return np.searchsorted(keys, hi, "right") - np.searchsorted(keys, lo, "left")

    def caused_incidents(self, rng: np.random.Generator, chg: np.ndarray) -> None:
        """Failed changes break things: incidents on the same CI within 48 h of the end."""
        outcome = self.change_outcome[chg]
        end = self.actual_end[chg]
        bad = chg[np.isin(outcome, [1, 2]) & (end < self.x_hi - 2 * HOUR)]
        if not len(bad):
            return
        per = np.where(self.change_outcome[bad] == 2, 1 + rng.poisson(1.2, len(bad)),
                       rng.poisson(0.8, len(bad)))
        src = np.repeat(bad, per)
        pool = np.flatnonzero((self.kind == INC) & ~self.carry & ~self.hot & (self.dup_of < 0)
                              & ~self.stale & ~self.cancelled & ~np.isin(np.arange(self.n),
                                                                          self.dup_of))
        src = src[: len(pool) // 2]
        victims = rng.choice(pool, size=len(src), replace=False)
        self.opened[victims] = np.minimum(self.actual_end[src] + rng.uniform(0.3, 40, len(src))
                                          * HOUR, self.x_hi - 600)
        ci = self.ci[src]
        self.ci[victims], self.device[victims] = ci, -1
        self.category[victims] = CI_CATEGORY[ci]
        self.service[victims], self.group[victims] = CI_SERVICE[ci], CI_GROUP[ci]
        sub = np.array([rng.choice(np.flatnonzero(c == SUBCAT_CATEGORY)) for c in range(7)])
        self.subcat[victims] = sub[self.category[victims]]
        self.summary[victims] = self.subcat[victims]
        self.priority[victims] = rng.choice([1, 2, 3], size=len(src), p=[0.15, 0.45, 0.40])
        linked = rng.random(len(src)) < 0.7
        self.caused_by[victims[linked]] = src[linked]

    def finish_scope(self) -> None:
        """Status, timestamps, SLA, counts and owners of incidents and requests."""
        rng = self.rng("finish")
        idx = np.flatnonzero(self.kind <= REQ)
        k = len(idx)
        opened = self.opened[idx]
        done = opened + self.dur[idx]  # inf for stale tickets
        is_done = done < self.x_hi
        is_inc = self.kind[idx] == INC
        cancelled = self.cancelled[idx] & is_done
        prio = self.priority[idx]
        fr_med = np.array([0, 0.3, 0.6, 2.0, 3.0, 6.0])[prio] * HOUR
        first = opened + _lognormal(rng, fr_med, 0.8, k)
        first = np.where(is_done, np.minimum(first, done), first)
        first = np.where(first < self.x_hi, first, np.nan)
        # incidents are resolved, then closed automatically 72 h later; requests close
        resolved = np.where(is_done & is_inc & ~cancelled, done, np.nan)
        closed = np.where(is_inc, resolved + 72 * HOUR + rng.uniform(0, HOUR, k), done)
        closed = np.where(cancelled, done, closed)
        closed = np.where(is_done & (closed < self.x_hi), closed, np.nan)
        status = np.select(
            [cancelled, is_done & ~np.isnan(closed), is_done, np.isnan(first),
             rng.random(k) < 0.25],
            [CANCELLED, CLOSED, RESOLVED, NEW, PENDING], OPEN).astype(np.int8)
        # last update: done tickets at their last transition; open ones are touched
        # recently (healthy) or left silent for weeks (trust on)
        last_done = np.fmax(resolved, closed)
        age = self.x_hi - opened
        touched = np.fmax(first, opened)
        if self.cond.trust:
            upd_open = touched + rng.uniform(0, 1, k) * np.minimum(0.4 * age, 4 * DAY)
        else:
            upd_open = self.x_hi - rng.uniform(0.05, 2.5, k) * DAY
        upd_open = np.clip(upd_open, touched, self.x_hi - 60)
        updated = np.where(is_done, last_done, np.where(status == NEW, opened, upd_open))

        target = np.array([0, 4, 8, 24, 72, 168])[prio] * HOUR
        due = np.where(is_inc, opened + target, opened + 7 * DAY)
        is_onb = self.item[idx] == 0
        due = np.where(is_onb, self.due[idx], due)
        met_done = np.where(np.isnan(self.start_date[idx]), done <= due,
                            done <= self.start_date[idx] + 9 * HOUR)
        sla = np.where(is_done, met_done, self.x_hi <= due).astype(np.int8)

        reassign = rng.choice(5, size=k, p=[0.55, 0.30, 0.10, 0.04, 0.01])
        reassign = np.where(is_inc, reassign, rng.choice(3, size=k, p=[0.8, 0.17, 0.03]))
        reopen = np.where(is_done & ~cancelled,
                          rng.choice(3, size=k, p=[0.955, 0.04, 0.005]), 0)
        grp = self.group[idx]
        agent = self.agent_of(rng, grp)
        agent = np.where(status == NEW, -1, agent)
        kb = np.where(is_inc & ~np.isnan(resolved) & (rng.random(k) < 0.3),
                      rng.integers(10001, 10400, k), -1)

        self.first_resp[idx], self.resolved[idx], self.closed[idx] = first, resolved, closed
        self.updated[idx], self.due[idx], self.sla[idx] = updated, due, sla
        self.status[idx], self.reassign[idx], self.reopen[idx] = status, reassign, reopen
        self.assignee[idx], self.knowledge[idx] = agent, kb

        # changes: status from where they are in their life cycle
        c = np.flatnonzero(self.kind == CHG)
        out = self.change_outcome[c]
        a_e = self.actual_end[c]
        closed_c = np.where(out == 4, self.opened[c] + rng.uniform(1, 8, len(c)) * DAY,
                            a_e + rng.uniform(2 * HOUR, 4 * DAY, len(c)))
        closed_c = np.where(closed_c < self.x_hi, closed_c, np.nan)
        started = ~np.isnan(self.actual_start[c])
        young = self.x_hi - self.opened[c] < 12 * HOUR
        self.status[c] = np.select(
            [(out == 4) & ~np.isnan(closed_c), ~np.isnan(closed_c), started, young,
             self.change_type[c] == 0],
            [CANCELLED, CLOSED, OPEN, NEW, OPEN], PENDING)
        self.change_outcome[c] = np.where(np.isnan(closed_c), -1, out)
        self.closed[c] = closed_c
        self.updated[c] = np.fmax(np.fmax(self.opened[c], a_e), closed_c)
        self.assignee[c] = self.agent_of(rng, self.group[c])
        self.requester[c] = self.people(rng, len(c))

    def agent_of(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """A random agent of each row's group (vectorised: offset into the group's agents)."""
        order = np.argsort(AGENT_GROUP, kind="stable")
        sizes = np.bincount(AGENT_GROUP, minlength=len(GROUPS))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        g = np.maximum(group, 0)
        pick = starts[g] + (rng.random(len(g)) * sizes[g]).astype(np.int64)
        return order[pick]

    def reporting(self) -> None:
        """Reporting on: categories blank or catch-all, no SLA flag, due time or
        reassignment count (the export cannot feed three of the five KPIs)."""
        if not self.cond.reporting:
            return
        rng = self.rng("reporting")
        idx = np.flatnonzero(self.kind <= REQ)
        k = len(idx)
        u = rng.random(k)
        cat = self.category[idx]
        cat = np.where(u < 0.50, -1, np.where(u < 0.75, OTHER_CAT, np.where(u < 0.85, INQ, cat)))
        self.category[idx] = cat
        self.subcat[idx] = np.where(np.isin(cat, [-1, OTHER_CAT, INQ]), -1, self.subcat[idx])
        inc = idx[(self.kind[idx] == INC) & (rng.random(k) < 0.25)]
        self.summary_variant[inc] = -1 - rng.integers(0, len(VAGUE_SUMMARIES), len(inc))
        self.due[idx] = np.nan
        self.sla[:] = -1
        # a duplicate is filed like the ticket it repeats
        dups = np.flatnonzero(self.dup_of >= 0)
        self.category[dups] = self.category[self.dup_of[dups]]
        self.subcat[dups] = self.subcat[self.dup_of[dups]]

    def problems(self) -> None:
        """Problem records; with recurrence off they cover every recurring cluster."""
        rng = self.rng("problems")
        inc = np.flatnonzero(self.kind == INC)
        prb = np.flatnonzero(self.kind == PRB)
        # recurrence keys the signs may use: CI (else service) + category, and the finer
        # CI (else service) + category + subcategory
        where = np.where(self.ci[inc] >= 0, self.ci[inc],
                         np.where(self.device[inc] >= 0, 1000 + self.device[inc],
                                  -1 - self.service[inc]))
        key = (where + 64) * 16 + self.category[inc] + 1
        fine = key * 64 + self.subcat[inc] + 1
        rec_keys, third_time, order = _recurring(key, self.opened[inc])
        rec_fine, _, order_f = _recurring(fine, self.opened[inc])
        k_prb = len(prb)
        p_opened = self.sample_times(rng, k_prb, self.x_lo, self.x_hi)
        p_key_inc = rng.choice(inc, size=k_prb)  # standalone problems copy a random incident
        if not self.cond.recurrence and len(rec_keys):
            ks = key[order]
            volume = np.bincount(np.searchsorted(rec_keys, ks[np.isin(ks, rec_keys)]),
                                 minlength=len(rec_keys))
            rank = np.argsort(-volume, kind="stable")
            prob_of_key = np.empty(len(rec_keys), dtype=np.int64)
            prob_of_key[rank] = np.arange(len(rec_keys)) % k_prb
            # each problem opens shortly after its first key recurs
            opened_at = third_time + rng.uniform(1 * HOUR, 3 * DAY, len(rec_keys))
            p_first = np.full(k_prb, np.inf)
            np.minimum.at(p_first, prob_of_key, opened_at)
            has = np.isfinite(p_first)
            p_opened = np.where(has, np.minimum(p_first, self.x_hi - 3600), p_opened)
            # link every third incident of each recurring key, in time order: any three
            # consecutive incidents of a key then include a linked one, so every cluster
            # (three or more within 90 days) is covered, at either key granularity
            link = np.zeros(len(inc), dtype=bool)
            link[order] = _every_third(ks) & np.isin(ks, rec_keys)
            fs = fine[order_f]
            link[order_f] |= _every_third(fs) & np.isin(fs, rec_fine)
            pos = np.searchsorted(rec_keys, key[link])
            self.problem_ref[inc[link]] = prb[prob_of_key[pos]]
            # the problem's CI and category: those of its largest key's first incident
            first_inc = inc[order][np.searchsorted(ks, rec_keys[rank])]
            lead = np.full(k_prb, -1, dtype=np.int64)
            # written smallest key first, so the largest key of each problem is written last
            lead[prob_of_key[rank][::-1]] = first_inc[::-1]
            p_key_inc = np.where(lead >= 0, lead, p_key_inc)
        if self.cond.recurrence and len(rec_keys):
            # a token of problem management: one problem covers the smallest recurring
            # cluster (so the export visibly has links), every other cluster is uncovered
            ks = key[order]
            volume = np.bincount(np.searchsorted(rec_keys, ks[np.isin(ks, rec_keys)]),
                                 minlength=len(rec_keys))
            small = rec_keys[int(np.argmin(volume))]
            members = inc[key == small]
            self.problem_ref[members] = prb[0]
            p_key_inc[0] = members[0]
            p_opened[0] = min(third_time[int(np.argmin(volume))] + DAY, self.x_hi - 3600)
        self.opened[prb] = p_opened
        for col in (self.ci, self.device, self.service, self.group, self.category, self.subcat):
            col[prb] = col[p_key_inc]
        self.category[prb] = np.where(self.category[prb] < 0, SW, self.category[prb])
        self.summary[prb] = p_key_inc  # summary text is derived from this incident's CI
        self.priority[prb] = rng.choice([2, 3, 4], size=k_prb, p=[0.3, 0.5, 0.2])
        dur = _lognormal(rng, 20 * DAY, 0.8, k_prb)
        done = self.opened[prb] + dur
        resolved = np.where(done < self.x_hi, done, np.nan)
        closed = resolved + rng.uniform(1, 10, k_prb) * DAY
        closed = np.where(closed < self.x_hi, closed, np.nan)
        self.resolved[prb], self.closed[prb] = resolved, closed
        self.status[prb] = np.select([~np.isnan(closed), ~np.isnan(resolved),
                                      self.x_hi - self.opened[prb] < 2 * DAY,
                                      rng.random(k_prb) < 0.3], [CLOSED, RESOLVED, NEW, PENDING],
                                     OPEN)
        self.updated[prb] = np.fmax(self.opened[prb] + rng.uniform(0, 1, k_prb) *
                                    np.minimum(self.x_hi - self.opened[prb], 5 * DAY),
                                    np.fmax(resolved, closed))
        self.first_resp[prb] = np.nan
        self.assignee[prb] = self.agent_of(rng, self.group[prb])

    def tasks(self) -> None:
        """Tasks and epics: strategic and improvement work (strategy off) or chores (on)."""
        rng = self.rng("tasks")
        for kind, med_days in ((TSK, 20.0), (OTH, 60.0)):
            idx = np.flatnonzero(self.kind == kind)
            k = len(idx)
            if not k:
                continue
            lo, hi = self.x_lo - 30 * DAY, self.x_hi
            if kind == OTH and self.cond.strategy:
                lo, hi = self.x_lo - 300 * DAY, self.x_lo - 150 * DAY
            self.opened[idx] = np.sort(self.sample_times(rng, k, lo, hi))
            if kind == OTH:
                self.summary[idx] = rng.integers(0, len(EPICS), k)
            elif self.cond.strategy:
                self.summary[idx] = rng.integers(0, len(ROUTINE_TASKS), k)
            else:
                strategic = rng.random(k) < 0.75
                self.summary[idx] = np.where(
                    strategic, rng.integers(0, len(STRATEGIC_TASKS), k),
                    len(STRATEGIC_TASKS) + rng.integers(0, len(TACTICAL_TASKS), k))
            self.labels[idx] = self.summary[idx]
            self.group[idx] = rng.choice([G_PLAT, G_NET, G_APP, G_SD, G_IAM], size=k)
            self.assignee[idx] = self.agent_of(rng, self.group[idx])
            self.priority[idx] = rng.choice([3, 4], size=k, p=[0.6, 0.4])
            done = self.opened[idx] + _lognormal(rng, med_days * DAY, 0.7, k)
            closed = np.where(done < self.x_hi, done, np.nan)
            self.closed[idx] = closed
            self.status[idx] = np.where(~np.isnan(closed), CLOSED,
                                        np.where(rng.random(k) < 0.2, PENDING, OPEN))
            self.updated[idx] = np.where(~np.isnan(closed), closed,
                                         self.x_hi - rng.uniform(0.1, 6, k) * DAY)
            self.updated[idx] = np.fmax(self.updated[idx], self.opened[idx])

    def effort(self) -> None:
        """Logged hours per ticket (time worked), by kind and priority."""
        rng = self.rng("effort")
        kind = self.kind
        med = np.array([1.0, 0.6, 4.0, 8.0, 3.0, 30.0])[kind].astype(float)
        med = np.where(kind == INC, med * np.array([0, 3.0, 1.8, 1.0, 0.8, 0.7])[self.priority],
                       med)
        med = np.where((kind == REQ) & (self.item == 0), 2.5, med)
        if self.cond.strategy:
            # firefighting: little time goes into changes and root-cause work
            med = np.where(kind == CHG, 2.0, np.where(kind == PRB, 3.0, med))
        else:
            strategic_task = (kind == TSK) & (self.summary < len(STRATEGIC_TASKS))
            med = np.where(strategic_task, 8.0, np.where(kind == TSK, 5.0, med))
            med = np.where(kind == OTH, 16.0, med)
        hours = _lognormal(rng, med, 0.6, self.n)
        # open work has only part of its effort logged so far
        open_ = ~np.isin(self.status, [RESOLVED, CLOSED, CANCELLED])
        hours = np.where(open_, hours * rng.uniform(0.1, 0.8, self.n), hours)
        hours = np.where(self.status == NEW, 0.0, hours)
        self.time_spent = np.round(hours * 4) / 4  # quarter-hour bookings

    # ---- frames ------------------------------------------------------------------------
    def tickets_frame(self) -> tuple[pd.DataFrame, pa.Array]:
        """The canonical tickets table, rows ordered by kind then open time."""
        n = self.n
        order = np.lexsort((self.opened, self.kind))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        self.rank = rank
        # per-kind running number in open-time order
        kind_start = np.searchsorted(self.kind[order], self.kind)
        num = rank - kind_start + np.array(ID_START)[self.kind]
        ids = pc.binary_join_element_wise(
            _take(ID_PREFIX, self.kind),
            pc.utf8_lpad(pa.array(num).cast(pa.string()), 7, "0"), "")
        self.ids = ids

        ci_names = self.ci_names()
        people = self.people_names()
        summary = self.summaries(ci_names, people)
        status_raw = _take(tuple(s for k in range(6) for s in STATUS_LABELS[k]),
                           self.kind.astype(np.int64) * 6 + self.status)
        # changes waiting for approval are in Authorize, scheduled ones in Scheduled
        chg_pending = (self.kind == CHG) & (self.status == PENDING)
        chg_sched = (self.kind == CHG) & (self.status == OPEN) & np.isnan(self.actual_start)
        status_raw = pc.if_else(pa.array(chg_pending & (self.change_type != 0)),
                                "Authorize", status_raw)
        status_raw = pc.if_else(pa.array(chg_sched), "Scheduled", status_raw)
        prb_fix = (self.kind == PRB) & (self.status == OPEN) & (self.opened.astype(np.int64) % 2
                                                               == 0)
        status_raw = pc.if_else(pa.array(prb_fix), "Fix in Progress", status_raw)

        cat_names = _take(CATEGORIES, self.category)
        sub_names = _take(tuple(s[0] for s in SUBCATEGORIES), self.subcat)
        task_labels = np.where((self.kind == TSK) & (not self.cond.strategy), self.labels, -1)
        labels = pc.coalesce(
            _take(tuple(t[1] for t in STRATEGIC_TASKS + TACTICAL_TASKS), task_labels),
            _take(tuple(e[1] for e in EPICS), np.where(self.kind == OTH, self.labels, -1)))
        problem_ref = _take_ids(ids, self.problem_ref)
        caused_by = _take_ids(ids, self.caused_by)
        kb = pc.binary_join_element_wise(
            "KB", pc.utf8_lpad(pa.array(np.where(self.knowledge >= 0, self.knowledge, 0))
                               .cast(pa.string()), 7, "0"), "")
        kb = pc.if_else(pa.array(self.knowledge >= 0), kb, pa.nulls(n, pa.string()))
        in_scope = self.kind <= REQ
        # counts exist for incidents and requests; reporting on: the field is not exported
        reassign = pd.array(self.reassign, dtype="Int32")
        reassign[~in_scope | self.cond.reporting] = pd.NA
        reopen = pd.array(self.reopen, dtype="Int32")
        reopen[~in_scope] = pd.NA
        sla = pd.array(np.where(self.sla == 1, True, False), dtype="boolean")
        sla[(self.sla < 0) | ~in_scope] = pd.NA

        channel = pd.Categorical.from_codes(self.channel, categories=list(m.CHANNELS))
        frame = {
            m.TICKET_ID: _strings(ids),
            m.KIND: pd.Categorical.from_codes(self.kind, categories=list(m.KINDS)),
            m.SOURCE_TOOL: pd.Series(SOURCE_TOOL, index=range(n)),
            m.SUMMARY: _strings(summary),
            m.STATUS: pd.Categorical.from_codes(self.status, categories=list(m.STATUSES)),
            m.STATUS_RAW: _strings(status_raw),
            m.PRIORITY: pd.array(self.priority, dtype="Int8"),
            m.PRIORITY_RAW: _strings(_take(PRIORITY_LABELS, self.priority.astype(np.int64) - 1)),
            m.CATEGORY: _strings(cat_names),
            m.SUBCATEGORY: _strings(sub_names),
            m.SERVICE: _strings(_take(SERVICES, self.service)),
            m.CI: _strings(ci_names),
            m.REQUEST_ITEM: _strings(_take(tuple(it[0] for it in REQUEST_ITEMS), self.item)),
            m.ASSIGNMENT_GROUP: _strings(_take(GROUPS, self.group)),
            m.ASSIGNEE: _strings(_take(tuple(a[0] for a in AGENTS), self.assignee)),
            m.REQUESTER: _strings(pc.take(people, pa.array(self.requester,
                                                           mask=self.requester < 0))),
            m.CHANNEL: channel,
            m.CHANNEL_RAW: _strings(_take(CHANNEL_LABELS, self.channel)),
            m.OPENED_AT: self.ts(self.opened),
            m.FIRST_RESPONSE_AT: self.ts(self.first_resp),
            m.RESOLVED_AT: self.ts(self.resolved),
            m.CLOSED_AT: self.ts(self.closed),
            m.UPDATED_AT: self.ts(self.updated),
            m.DUE_AT: self.ts(self.due),
            m.START_DATE: self.ts(self.start_date),
            m.REASSIGNMENT_COUNT: reassign,
            m.REOPEN_COUNT: reopen,
            m.SLA_MET: sla,
            m.PROBLEM_REF: _strings(problem_ref),
            m.CAUSED_BY_CHANGE: _strings(caused_by),
            m.CHANGE_TYPE: pd.Categorical.from_codes(self.change_type,
                                                     categories=list(m.CHANGE_TYPES)),
            m.CHANGE_OUTCOME: pd.Categorical.from_codes(self.change_outcome,
                                                        categories=list(m.CHANGE_OUTCOMES)),
            m.PLANNED_START: self.ts(self.planned_start),
            m.PLANNED_END: self.ts(self.planned_end),
            m.ACTUAL_START: self.ts(self.actual_start),
            m.ACTUAL_END: self.ts(self.actual_end),
            m.TIME_SPENT_HOURS: pd.array(self.time_spent, dtype="Float64"),
            m.LABELS: _strings(labels),
            m.KNOWLEDGE_REF: _strings(kb),
        }
        df = pd.DataFrame(frame).iloc[order]
        return m.conform_tickets(df), ids

    def ts(self, x: np.ndarray) -> pd.Series:
        """Float seconds since base0 -> UTC timestamps (whole seconds; NaN -> NaT)."""
        base = self.base0.value // 10**9
        secs = np.where(np.isfinite(x), np.round(np.nan_to_num(x, posinf=0, neginf=0)), 0)
        ns = ((secs.astype(np.int64) + base) * 10**9).view("M8[ns]")
        ns = np.where(np.isfinite(x), ns, np.datetime64("NaT"))
        return pd.Series(ns).dt.tz_localize("UTC").astype(m.TIMESTAMP_DTYPE)

    def ci_names(self) -> pa.Array:
        static = _take(tuple(c[0] for c in CIS), self.ci)
        dev = pc.binary_join_element_wise(
            _take(DEVICE_PREFIX, self.device % 2),
            pc.utf8_lpad(pa.array(self.device // 2).cast(pa.string()), 5, "0"), "")
        return pc.if_else(pa.array(self.device >= 0), dev, static)

    def people_names(self) -> pa.Array:
        """The person pool: 'First Last', with a middle initial once the pool is large."""
        p = np.arange(self.n_people)
        nf, nl = len(FIRST_NAMES), len(LAST_NAMES)
        first = _take(FIRST_NAMES, p % nf)
        last = _take(LAST_NAMES, (p // nf) % nl)
        initial = (p // (nf * nl)) % 26
        base = pc.binary_join_element_wise(first, last, " ")
        with_initial = pc.binary_join_element_wise(
            first, pc.binary_join_element_wise(
                _take(tuple(chr(65 + i) + "." for i in range(26)), initial), last, " "), " ")
        return pc.if_else(pa.array(p >= nf * nl), with_initial, base)

    def summaries(self, ci_names: pa.Array, people: pa.Array) -> pa.Array:
        """Short descriptions: templates with the CI name filled in, per kind."""
        n = self.n
        kind, s = self.kind, self.summary
        templates = [t for sub in SUBCATEGORIES for t in sub[2]]
        pre = tuple(t.split("{ci}")[0] for t in templates)
        post = tuple(t.split("{ci}")[1] if "{ci}" in t else "" for t in templates)
        has_ci = np.array(["{ci}" in t for t in templates])
        t_idx = np.where(kind == INC, s * 2 + self.summary_variant, -1)
        t_idx = np.where(t_idx >= len(templates), -1, t_idx)
        ci_fill = pc.if_else(pa.array(np.where(t_idx >= 0, has_ci[np.maximum(t_idx, 0)], False)),
                             pc.fill_null(ci_names, ""), "")
        out = pc.binary_join_element_wise(_take(pre, t_idx), ci_fill, _take(post, t_idx), "")
        # incidents whose summary a user typed lazily (reporting on)
        vague = _take(VAGUE_SUMMARIES, -1 - self.summary_variant)
        out = pc.if_else(pa.array((kind == INC) & (self.summary_variant < 0)), vague, out)
        # requests: the catalogue item, with the new starter's name for onboarding
        items = _take(tuple(it[0] for it in REQUEST_ITEMS), np.where(kind == REQ, self.item, -1))
        who = pc.take(people, pa.array(np.maximum(self.requester, 0)))
        onboarding = pc.binary_join_element_wise(items, who, " - ")
        out = pc.if_else(pa.array(kind == REQ), items, out)
        out = pc.if_else(pa.array((kind == REQ) & (self.item == 0)), onboarding, out)
        # changes: a template on the CI
        chg_t = np.where(kind == CHG, s, -1)
        chg = pc.binary_join_element_wise(
            _take(tuple(t.split("{ci}")[0] for t in CHANGE_SUMMARIES), chg_t),
            pc.fill_null(ci_names, ""),
            _take(tuple(t.split("{ci}")[1] for t in CHANGE_SUMMARIES), chg_t), "")
        out = pc.if_else(pa.array(kind == CHG), chg, out)
        # problems: named after the CI (or service) whose incidents keep coming back
        where = pc.coalesce(ci_names, _take(SERVICES, self.service))
        prb = pc.binary_join_element_wise("Recurring incidents on", where, " ")
        out = pc.if_else(pa.array(kind == PRB), prb, out)
        tsk_titles = tuple(t[0] for t in STRATEGIC_TASKS + TACTICAL_TASKS)
        tsk = (_take(ROUTINE_TASKS, np.where(kind == TSK, s, -1)) if self.cond.strategy
               else _take(tsk_titles, np.where(kind == TSK, s, -1)))
        out = pc.if_else(pa.array(kind == TSK), tsk, out)
        out = pc.if_else(pa.array(kind == OTH),
                         _take(tuple(e[0] for e in EPICS), np.where(kind == OTH, s, -1)), out)
        assert len(out) == n  # nosec B101  # generator self-check; sample data only
        return out

    # ---- events ------------------------------------------------------------------------
    def events_frame(self, ids: pa.Array) -> pd.DataFrame:
        """Status and assignment changes and the comment journal of every ticket."""
        rng = self.rng("events")
        n = self.n
        everyone = np.arange(n)
        blocks: list[_Block] = []
        people = self.people_names()
        agents = tuple(a[0] for a in AGENTS)
        status_names = tuple(m.STATUSES)
        x_hi = self.x_hi

        def block(idx: np.ndarray, at: np.ndarray, kind: str, role: str,
                  author: pa.Array, value: pa.Array) -> None:
            blocks.append(_Block(idx, at, kind, role, author, value))

        def agent_names(idx: np.ndarray) -> pa.Array:
            return _take(agents, self.assignee[idx])

        def requester_names(idx: np.ndarray) -> pa.Array:
            return pc.take(people, pa.array(self.requester[idx], mask=self.requester[idx] < 0))

        def const(text: str, size: int) -> pa.Array:
            return pa.repeat(pa.scalar(text, pa.string()), size)

        # creation: status 'new' and the first assignment group
        block(everyone, self.opened, "status", "system", const("system", n),
              const("new", n))
        scope = np.flatnonzero(self.kind <= REQ)
        k = len(scope)
        reas = self.reassign[scope]
        final = self.group[scope]
        first_grp = np.where(reas == 0, final, np.where(final == G_SD, G_DESK, G_SD))
        init_group = self.group.copy()
        init_group[scope] = first_grp
        block(everyone, self.opened, "assignment", "system", const("system", n),
              _take(GROUPS, init_group))
        # reassignments spread over the time to first response (or the first day)
        rep = np.repeat(scope, reas)
        step = np.arange(len(rep)) - np.repeat(np.cumsum(reas) - reas, reas)
        total = np.repeat(reas, reas)
        span = np.fmin(np.fmax(self.first_resp[rep] - self.opened[rep], HOUR), DAY)
        span = np.where(np.isnan(span), HOUR, span)
        # before the export moment: the ticket's group and count already show them
        span = np.fmin(span, 0.9 * (x_hi - self.opened[rep]))
        at = self.opened[rep] + span * (step + 1) / (total + 1)
        mid = rng.integers(0, len(GROUPS), len(rep))
        grp = np.where(step == total - 1, self.group[rep], mid)
        block(rep, at, "assignment", "agent", agent_names(rep), _take(GROUPS, grp))

        # first response: work starts, and the agent says so
        fr = scope[~np.isnan(self.first_resp[scope])]
        block(fr, self.first_resp[fr], "status", "agent", agent_names(fr),
              const("open", len(fr)))
        ack = fr[rng.random(len(fr)) < 0.4]  # not every pickup comes with a message
        block(ack, self.first_resp[ack] + 60, "comment", "agent", agent_names(ack),
              _take(AGENT_FIRST, rng.integers(0, len(AGENT_FIRST), len(ack))))
        # reopened once: resolved, then the requester reopens
        ro = scope[self.reopen[scope] > 0]
        done_t = np.fmax(self.resolved[ro], self.closed[ro])
        mid_at = self.opened[ro] + 0.4 * (done_t - self.opened[ro])
        block(ro, mid_at, "status", "agent", agent_names(ro), const("resolved", len(ro)))
        block(ro, mid_at + 0.2 * (done_t - self.opened[ro]), "status", "requester",
              requester_names(ro), const("open", len(ro)))
        block(ro, mid_at + 0.2 * (done_t - self.opened[ro]) + 30, "comment", "requester",
              requester_names(ro), const("Still not working, reopening.", len(ro)))
        # pending tickets went on hold
        pend = np.flatnonzero((self.status == PENDING) & (self.kind <= REQ))
        p_at = self.opened[pend] + 0.5 * (self.updated[pend] - self.opened[pend])
        # on hold after work started (its status history ends in pending, as the ticket)
        p_at = np.fmin(np.fmax(p_at, self.first_resp[pend] + 60), self.updated[pend])
        block(pend, p_at, "status", "agent", agent_names(pend), const("pending", len(pend)))
        # done: resolution note, resolved / closed / cancelled transitions
        res = np.flatnonzero(~np.isnan(self.resolved))
        block(res, self.resolved[res], "status", "agent", agent_names(res),
              const("resolved", len(res)))
        res_inc = res[self.kind[res] == INC]
        # the resolution note is a work note, not a message to the caller
        block(res_inc, self.resolved[res_inc] - 30, "worklog", "agent", agent_names(res_inc),
              _take(AGENT_RESOLVE, rng.integers(0, len(AGENT_RESOLVE), len(res_inc))))
        cl = np.flatnonzero(~np.isnan(self.closed))
        cl_status = np.where(self.status[cl] == CANCELLED, CANCELLED, CLOSED)
        block(cl, self.closed[cl], "status", "system", const("system", len(cl)),
              _take(status_names, cl_status))
        dup_closed = np.flatnonzero((self.dup_of >= 0) & (self.status == CANCELLED))
        block(dup_closed, self.closed[dup_closed] - 30, "comment", "agent",
              agent_names(dup_closed), const(DUPLICATE_NOTE, len(dup_closed)))
        # open tickets: the agent's latest progress note is the last update
        op = scope[np.isin(self.status[scope], [OPEN, PENDING])]
        op = op[self.updated[op] > np.fmax(self.first_resp[op], self.opened[op]) + HOUR]
        block(op, self.updated[op], "comment", "agent", agent_names(op),
              _take(AGENT_PROGRESS, rng.integers(0, len(AGENT_PROGRESS), len(op))))

        # requester comments: chasers (trust on: many) and ordinary notes
        upper = np.where(np.isnan(self.resolved[scope]), self.closed[scope],
                         self.resolved[scope])
        upper = np.where(np.isnan(upper), self.updated[scope], upper)
        lower = self.opened[scope] + 0.5 * DAY
        room = upper - lower
        eligible = room > HOUR
        target = 0.22 if self.cond.trust else 0.004
        p = min(1.0, target / max(float(eligible.mean()), 1e-9))
        cmask = eligible & (rng.random(k) < p)
        chased, c_low, c_room = scope[cmask], lower[cmask], room[cmask]
        times = 1 + (rng.random(len(chased)) < 0.4) + (rng.random(len(chased)) < 0.15)
        rep = np.repeat(chased, times)
        at = np.repeat(c_low, times) + rng.uniform(0, 1, len(rep)) * np.repeat(c_room, times)
        block(rep, at, "comment", "requester", requester_names(rep),
              _take(CHASERS, rng.integers(0, len(CHASERS), len(rep))))
        block(rep, at + rng.uniform(0.5, 4, len(rep)) * HOUR, "comment", "agent",
              agent_names(rep), const(AGENT_REPLY_CHASER, len(rep)))
        nmask = eligible & (rng.random(k) < 0.08)
        noted = scope[nmask]
        at = lower[nmask] + rng.uniform(0, 1, len(noted)) * room[nmask]
        block(noted, at, "comment", "requester", requester_names(noted),
              _take(REQUESTER_NOTES, rng.integers(0, len(REQUESTER_NOTES), len(noted))))
        # changes: implementation starts
        impl = np.flatnonzero(~np.isnan(self.actual_start))
        block(impl, self.actual_start[impl], "status", "agent", agent_names(impl),
              const("open", len(impl)))

        idx = np.concatenate([b.idx for b in blocks])
        at = np.concatenate([b.at for b in blocks])
        keep = np.isfinite(at) & (at < x_hi)
        # events in ticket order, then time; nothing after the export moment
        order = np.lexsort((at, self.rank[idx]))
        order = order[keep[order]]
        ev_kind = np.concatenate([np.full(len(b.idx), m.EVENT_KINDS.index(b.kind))
                                  for b in blocks])
        role = np.concatenate([np.full(len(b.idx), m.AUTHOR_ROLES.index(b.role))
                               for b in blocks])
        author = pa.concat_arrays([b.author for b in blocks]).take(pa.array(order))
        value = pa.concat_arrays([b.value for b in blocks]).take(pa.array(order))
        df = pd.DataFrame({
            m.EV_TICKET_ID: _strings(pc.take(ids, pa.array(idx[order]))),
            m.EV_AT: self.ts(at[order]),
            m.EV_KIND: pd.Categorical.from_codes(ev_kind[order], categories=list(m.EVENT_KINDS)),
            m.EV_AUTHOR_ROLE: pd.Categorical.from_codes(role[order],
                                                        categories=list(m.AUTHOR_ROLES)),
            m.EV_AUTHOR: _strings(author),
            m.EV_VALUE: _strings(value),
        })
        return m.conform_events(df)


@dataclass
class _Block:
    idx: np.ndarray
    at: np.ndarray
    kind: str
    role: str
    author: pa.Array
    value: pa.Array


def _recurring(key: np.ndarray, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
    """Keys with three incidents within 90 days, the time the first such triple completes,
    and the (key, time) sort order used."""
    order = np.lexsort((opened, key))
    ks, ts = key[order], opened[order]
    triple = (ks[2:] == ks[:-2]) & (ts[2:] - ts[:-2] <= 90 * DAY)
    keys, first = np.unique(ks[2:][triple], return_index=True)
    return keys, ts[2:][triple][first], order


def _every_third(sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of positions 3, 6, 9... within each run of equal keys."""
    n = len(sorted_keys)
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]] if n else np.zeros(0, bool)
    run_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return (np.arange(n) - run_start) % 3 == 2


def _take(vocab: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Vocabulary strings by code; negative codes are null."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(vocab), pa.string()).take(pa.array(codes, mask=codes < 0))


def _take_ids(ids: pa.Array, ref: np.ndarray) -> pa.Array:
    return pc.take(ids, pa.array(ref, mask=ref < 0))


def _strings(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pyarrow string array as a pandas Series of the canonical string dtype."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())))
