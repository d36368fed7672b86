"""Write canonical tables as Jira Service Management "CSV (all fields)" exports.

One project (key ``ITSM``) holds every kind: Incident, Service Request, Change, Problem,
Task and Epic issue types. Keys are given in opened order (``ITSM-1``...; see
:func:`jira_keys`) and links are rewritten to them. As Jira writes them:

- dates ``dd/MMM/yy h:mm a`` (``12/Jan/26 3:45 PM``), date-only fields ``dd/MMM/yy``;
- repeated columns: one ``Labels`` column per label and one ``Comment`` column per
  comment (``<date>;<accountId>;<body>``, oldest first), as many as the busiest issue;
- people as display names plus ``Reporter Id`` / ``Assignee Id`` account ids
  (``557058:<uuid>``), comment authors as account ids;
- links ``Inward issue link (Problem/Incident)`` (the incident's problem) and
  ``Outward issue link (Problem/Incident)`` (a problem's incidents), ``Inward issue link
  (Causes)`` (the change that caused an incident) and ``Outward ... (Causes)``;
- change fields as ``Custom field (Change type)``, ``(Change start date)``,
  ``(Change completion date)``, ``(Actual start)``, ``(Actual end)``; the change outcome
  as the ``Resolution`` (Successful, Successful with issues, Failed, Backed out);
- ``Time Spent`` in seconds; category as ``Components``; group as ``Custom field (Team)``.

What a Jira CSV cannot carry (left out): channel, reassignment and reopen counts, SLA
met, knowledge article, a close time apart from ``Resolved`` (``Resolved`` is the
resolution time, or the close time when there is none), work-log entries.
Files are split ``max_rows`` issues each (``jira_1.csv``...), the 1,000-issue cap.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from itsm_diag import model as m

DATE_FORMAT = "%d/%b/%y %I:%M %p"
DAY_FORMAT = "%d/%b/%y"
_ISSUE_TYPE = {"incident": "Incident", "request": "Service Request", "change": "Change",
               "problem": "Problem", "task": "Task", "other": "Epic"}
_STATUS: dict[str, dict[str, str]] = {
    "incident": {"new": "Open", "open": "In Progress", "pending": "Waiting for customer",
                 "resolved": "Resolved", "closed": "Closed", "cancelled": "Canceled"},
    "change": {"new": "Open", "open": "Implementing", "pending": "Awaiting approval",
               "resolved": "Resolved", "closed": "Completed", "cancelled": "Canceled"},
    "problem": {"new": "Open", "open": "Under investigation", "pending": "Pending",
                "resolved": "Resolved", "closed": "Closed", "cancelled": "Canceled"},
    "task": {"new": "To Do", "open": "In Progress", "pending": "Pending", "resolved": "Done",
             "closed": "Done", "cancelled": "Canceled"},
}
_STATUS["request"] = _STATUS["incident"]
_STATUS["other"] = _STATUS["task"]
_CATEGORY = {"new": "To Do", "open": "In Progress", "pending": "In Progress",
             "resolved": "Done", "closed": "Done", "cancelled": "Done"}
_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}
_CHANGE_TYPE = {"standard": "Standard", "normal": "Normal", "emergency": "Emergency"}
_OUTCOME = {"successful": "Successful", "successful_with_issues": "Successful with issues",
            "failed": "Failed", "backed_out": "Backed out", "cancelled": "Won't Do"}


def jira_keys(tickets: pd.DataFrame, project: str = "ITSM") -> pd.Series:
    """ticket_id -> Jira key (``ITSM-1``...), numbered in opened order."""
    order = tickets.sort_values([m.OPENED_AT, m.TICKET_ID], kind="stable")[m.TICKET_ID]
    numbers = np.arange(1, len(order) + 1)
    return pd.Series(project + "-" + pd.Series(numbers).astype(str).to_numpy(),
                     index=order.to_numpy(), dtype=m.STRING_DTYPE)


def account_ids(names: pd.Series) -> pd.Series:
    """A stable Atlassian-style account id per person (``557058:<uuid>``)."""
    people = pd.unique(names.dropna().astype(str))
    # a handful of distinct people: hashing each name once is cheap
    ids = {p: "557058:" + _uuid(p) for p in people}
    return names.astype("object").map(ids).astype(m.STRING_DTYPE)


def _uuid(name: str) -> str:
    h = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()  # a stable fake UUID
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _fmt(col: pd.Series, fmt: str = DATE_FORMAT) -> pd.Series:
    text = col.dt.strftime(fmt).astype(m.STRING_DTYPE)
    # Jira writes the hour without a leading zero (h:mm a)
    return text.str.replace(r" 0(\d:)", r" \1", regex=True)


def _wide(ids: pd.Series, values: pd.Series, index: pd.Index) -> pd.DataFrame:
    """Long (ticket, value) pairs -> one column per position, aligned to ``index`` ids."""
    long = pd.DataFrame({"id": ids.to_numpy(dtype=object), "v": values.to_numpy(dtype=object)})
    long = long.dropna()
    if long.empty:
        return pd.DataFrame(index=index)
    long["pos"] = long.groupby("id").cumcount()
    wide = long.pivot(index="id", columns="pos", values="v")
    return wide.reindex(index)


def jira_frame(tickets: pd.DataFrame, events: pd.DataFrame | None,
               project: str = "ITSM") -> tuple[list[str], list[pd.Series]]:
    """Headers (with repeats) and columns of a Jira "all fields" export of ``tickets``."""
    t = tickets.sort_values([m.OPENED_AT, m.TICKET_ID], kind="stable").reset_index(drop=True)
    keys = jira_keys(tickets, project)
    key = t[m.TICKET_ID].map(keys).astype(m.STRING_DTYPE)
    kind = t[m.KIND].astype("object")
    status = t[m.STATUS].astype("object")
    idx = pd.Index(t[m.TICKET_ID].to_numpy(dtype=object))
    done = status.isin(["resolved", "closed", "cancelled"])
    status_label = pd.Series([None] * len(t), dtype="object")
    for k, labels in _STATUS.items():
        sel = kind == k
        status_label[sel] = status[sel].map(labels)
    resolution = pd.Series("Done", index=t.index, dtype="object").where(done)
    resolution = resolution.mask(status == "cancelled", "Won't Do")
    outcome = t[m.CHANGE_OUTCOME].astype("object").map(_OUTCOME)
    resolution = resolution.mask((kind == "change") & outcome.notna(), outcome)
    reporter = t[m.REQUESTER].fillna(t[m.ASSIGNEE])
    resolved = m.done_stamp(t).where(done)
    seconds = (t[m.TIME_SPENT_HOURS].astype("Float64") * 3600).round().astype("Int64")

    cols: list[tuple[str, pd.Series]] = [
        ("Summary", t[m.SUMMARY]),
        ("Issue key", key),
        ("Issue id", pd.Series(np.arange(10001, 10001 + len(t))).astype(str)),
        ("Issue Type", kind.map(_ISSUE_TYPE)),
        ("Status", status_label),
        ("Status Category", status.map(_CATEGORY)),
        ("Project key", pd.Series([project] * len(t))),
        ("Project name", pd.Series(["IT Service Desk"] * len(t))),
        ("Project type", pd.Series(["service_desk"] * len(t))),
        ("Priority", t[m.PRIORITY].astype("object").map(_PRIORITY)),
        ("Resolution", resolution),
        ("Assignee", t[m.ASSIGNEE]),
        ("Assignee Id", account_ids(t[m.ASSIGNEE])),
        ("Reporter", reporter),
        ("Reporter Id", account_ids(reporter)),
        ("Creator", reporter),
        ("Created", _fmt(t[m.OPENED_AT])),
        ("Updated", _fmt(t[m.UPDATED_AT])),
        ("Last Viewed", pd.Series([None] * len(t), dtype="object")),
        ("Resolved", _fmt(resolved)),
        ("Components", t[m.CATEGORY]),
        ("Due date", _fmt(t[m.DUE_AT])),
    ]
    labels = t[m.LABELS].astype(m.STRING_DTYPE).str.split(";").explode()
    wide = _wide(t[m.TICKET_ID].reindex(labels.index), labels, idx)
    cols += [("Labels", wide[c].reset_index(drop=True)) for c in wide.columns] or [
        ("Labels", pd.Series([None] * len(t), dtype="object"))]
    cols += [
        ("Description", pd.Series([None] * len(t), dtype="object")),
        ("Time Spent", seconds.astype(m.STRING_DTYPE)),
        ("Σ Time Spent", seconds.astype(m.STRING_DTYPE)),
        ("Custom field (Team)", t[m.ASSIGNMENT_GROUP]),
        ("Custom field (Subcategory)", t[m.SUBCATEGORY]),
        ("Custom field (Affected services)", t[m.SERVICE]),
        ("Custom field (Configuration item)", t[m.CI]),
        ("Custom field (Request Type)", t[m.REQUEST_ITEM]),
        ("Custom field ([CHART] Date of First Response)", _fmt(t[m.FIRST_RESPONSE_AT])),
        ("Custom field (Change type)", t[m.CHANGE_TYPE].astype("object").map(_CHANGE_TYPE)),
        ("Custom field (Change start date)", _fmt(t[m.PLANNED_START])),
        ("Custom field (Change completion date)", _fmt(t[m.PLANNED_END])),
        ("Custom field (Actual start)", _fmt(t[m.ACTUAL_START])),
        ("Custom field (Actual end)", _fmt(t[m.ACTUAL_END])),
        ("Custom field (Start date)", _fmt(t[m.START_DATE], DAY_FORMAT)),
    ]
    for link, ref in (("Problem/Incident", m.PROBLEM_REF), ("Causes", m.CAUSED_BY_CHANGE)):
        cols.append((f"Inward issue link ({link})", t[ref].map(keys).astype(m.STRING_DTYPE)))
        # the other side: the problem / change lists the issues it is linked to
        has = t[t[ref].notna()]
        back = _wide(has[ref], has[m.TICKET_ID].map(keys), idx)
        cols += [(f"Outward issue link ({link})", back[c].reset_index(drop=True))
                 for c in back.columns]
    if events is not None and len(events):
        c = events[(events[m.EV_KIND] == "comment") & events[m.EV_TICKET_ID].isin(idx)]
        c = c.sort_values([m.EV_TICKET_ID, m.EV_AT], kind="stable")
        author = account_ids(c[m.EV_AUTHOR].astype(m.STRING_DTYPE))
        cell = (_fmt(c[m.EV_AT]) + ";" + author.fillna("") + ";"
                + c[m.EV_VALUE].astype(m.STRING_DTYPE).fillna(""))
        wide = _wide(c[m.EV_TICKET_ID], cell, idx)
        cols += [("Comment", wide[col].reset_index(drop=True)) for col in wide.columns]
    return [h for h, _ in cols], [s.reset_index(drop=True) for _, s in cols]


def write_jira(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    project: str = "ITSM",
    max_rows: int = 1000,
    name: str = "jira",
) -> list[Path]:
    """Write ``tickets`` as Jira CSV exports of at most ``max_rows`` issues each.

    One file ``<name>.csv`` when it fits, else ``<name>_1.csv``, ``<name>_2.csv``... in
    key order, as users split exports past the 1,000-issue cap. Returns the paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    headers, columns = jira_frame(tickets, events, project)
    n = len(columns[0]) if columns else 0
    starts = range(0, n, max_rows)
    written = []
    for i, lo in enumerate(starts, start=1):
        part = [s.iloc[lo: lo + max_rows] for s in columns]
        # drop repeated columns this chunk leaves empty (Jira sizes repeats per export)
        keep = [j for j, (h, s) in enumerate(zip(headers, part, strict=True))
                if s.notna().any() or headers.count(h) == 1 or headers.index(h) == j]
        arrays = [pa.array(part[j].to_numpy(dtype=object, na_value=None), pa.string())
                  for j in keep]
        table = pa.Table.from_arrays(arrays, names=[headers[j] for j in keep])
        path = out / (f"{name}.csv" if len(starts) == 1 else f"{name}_{i}.csv")
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(
            quoting_style="needed", include_header=True))
        written.append(path)
    return written
