"""ServiceNow list exports: incident, change_request, problem, sc_req_item, sc_task.

Accepts field-name headers (CSV default: ``number``, ``opened_at``) and label headers
(XLSX default: ``Number``, ``Opened``), display values (``3 - Moderate``) and raw values
(``3``). Audit-log exports, one row per update (the UCI event log), collapse to the
latest row per ticket and feed the events table with status, group and assignee changes. A
row that repeats another in every column is dropped first; a file that then repeats
only a few of its numbers (a list export with a duplicated row, two team exports pasted
into one file) keeps the latest row of each and makes no history from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache, partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from itsm_diag import cpus
from itsm_diag import model as m
from itsm_diag.errors import DateFormatError
from itsm_diag.importers import values as v
from itsm_diag.importers.base import (
    Detection,
    Imported,
    Importer,
    ImportOptions,
    SourceInfo,
    any_repeated,
    fold_name,
    head_texts,
    holding_cells,
    most_common_prefix,
    parse_dates,
    require_ids,
    resolve_columns,
    share_matching,
    stamp_source,
)
from itsm_diag.importers.ids import reused_note, split_reused
from itsm_diag.importers.readers import RawTable
from itsm_diag.importers.roles import comment_roles
from itsm_diag.text import quote

if TYPE_CHECKING:
    import pyarrow as pa

NAME = "servicenow"

# canonical field -> aliases (field names first, then labels); first match wins
_COMMON: dict[str, tuple[str, ...]] = {
    m.TICKET_ID: ("number", "Number"),
    m.SUMMARY: ("short_description", "Short description"),
    m.PRIORITY_RAW: ("priority", "Priority"),
    m.CATEGORY: ("category", "Category"),
    m.SUBCATEGORY: ("subcategory", "Subcategory"),
    m.SERVICE: ("business_service", "Service", "Business service"),
    m.CI: ("cmdb_ci", "Configuration item"),
    m.ASSIGNMENT_GROUP: ("assignment_group", "Assignment group"),
    m.ASSIGNEE: ("assigned_to", "Assigned to"),
    m.REQUESTER: ("caller_id", "Caller", "requested_for", "Requested for", "requested_by",
                  "Requested by", "opened_by", "Opened by"),
    m.CHANNEL_RAW: ("contact_type", "Channel", "Contact type"),
    m.REASSIGNMENT_COUNT: ("reassignment_count", "Reassignment count"),
    m.REOPEN_COUNT: ("reopen_count", "Reopen count"),
    m.SLA_MET: ("made_sla", "Made SLA"),
    m.PROBLEM_REF: ("problem_id", "Problem"),
    m.CAUSED_BY_CHANGE: ("caused_by", "Caused by Change"),
    # the major incident an incident is a child of (a reference: its number); ``parent``
    # is the task table's generic parent, read on incidents only (:func:`_parents`)
    m.PARENT_REF: ("parent_incident", "Parent Incident", "Parent incident", "parent",
                   "Parent"),
    m.LABELS: ("sys_tags", "Tags", "u_labels", "Labels"),
    m.KNOWLEDGE_REF: ("u_knowledge_article", "Knowledge article", "knowledge", "Knowledge"),
    m.REQUEST_ITEM: ("cat_item", "Item", "Catalog item"),
    m.TIME_SPENT_HOURS: ("time_worked", "Time worked", "u_time_spent_hours"),
}
_STATE = ("state", "State", "incident_state", "Incident state", "problem_state")
_DATES_COMMON: dict[str, tuple[str, ...]] = {
    m.OPENED_AT: ("opened_at", "Opened", "sys_created_on", "Created", "sys_created_at"),
    m.RESOLVED_AT: ("resolved_at", "Resolved"),
    m.CLOSED_AT: ("closed_at", "Closed"),
    m.UPDATED_AT: ("sys_updated_on", "Updated", "sys_updated_at"),
    m.DUE_AT: ("due_date", "Due date", "sla_due", "SLA due"),
}
_DATES_CHANGE: dict[str, tuple[str, ...]] = {
    m.PLANNED_START: ("start_date", "Planned start date"),
    m.PLANNED_END: ("end_date", "Planned end date"),
    m.ACTUAL_START: ("work_start", "Actual start"),
    m.ACTUAL_END: ("work_end", "Actual end"),
}
_DATES_REQUEST: dict[str, tuple[str, ...]] = {
    m.START_DATE: ("u_start_date", "variables.start_date", "Start date", "start_date"),
}
_CHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "_change_type": ("type", "Type"),
    "_close_code": ("close_code", "Close code", "closed_code", "Resolution code"),
}
_JOURNAL = ("comments_and_work_notes", "Comments and Work notes", "comments",
            "Additional comments", "Comments", "work_notes", "Work notes")

#: a request (``sc_request``, REQ): the order (the cart) that holds the requested items
#: (``sc_req_item``, RITM), the requests fulfilled. Read as a request of kind
#: ``request``, its ticket id named in :attr:`~.base.Imported.orders`: where the input
#: holds requested items it is left out (:func:`orders_apart`), else it is the request
ORDER = "order"

#: the project and agile tables' number prefixes (a list export of pm_project: PRJ0010001)
#: -> the table: their rows are project records (kind ``other``, labelled by
#: :func:`_project_labels`), never the incidents a file of unknown numbers defaults to
_PROJECT_PREFIXES: dict[str, str] = {
    "PRJTASK": "pm_project_task", "PRJ": "pm_project", "STRY": "rm_story", "EPIC": "rm_epic",
    "ENHC": "rm_enhancement",
}
_PREFIX_KIND: tuple[tuple[str, str], ...] = (
    ("SCTASK", "task"), ("CTASK", "task"), ("PTASK", "task"), ("RITM", "request"),
    ("REQ", ORDER), ("INC", "incident"), ("CHG", "change"), ("PRB", "problem"),
    ("TASK", "task"), *((prefix, "other") for prefix in _PROJECT_PREFIXES),
)
_NUMBER_RE = (r"^(SCTASK|CTASK|PTASK|RITM|REQ|INC|CHG|PRB|TASK|PRJTASK|PRJ|STRY|EPIC|ENHC)"
              r"\d{5,}$")

#: the tables of other departments' work that ServiceNow keeps beside IT's (HR Service
#: Delivery, Customer Service Management, Security Incident Response, Facilities, Legal
#: Service Delivery) -> the words that name their records. Their rows are no IT service
#: management work: the importer leaves them out of every figure and names them with
#: their counts (:func:`_foreign`), never reads them as the file's table
FOREIGN_TABLES: dict[str, str] = {
    "sn_hr_core_case": "HR case", "sn_hr_core_task": "HR task", "hr_case": "HR case",
    "hr_task": "HR task",
    "sn_customerservice_case": "customer service case",
    "sn_customerservice_task": "customer service task",
    "sn_si_incident": "security incident", "sn_si_task": "security incident task",
    "facilities_request": "facilities request", "sn_lg_ops_request": "legal request",
}
#: a table family's name start -> the words for a table of it not listed above (HR's
#: per-service case tables extend sn_hr_core_case: sn_hr_core_case_payroll ...)
_FOREIGN_FAMILIES: tuple[tuple[str, str], ...] = (
    ("sn_hr_", "HR record"), ("hr_", "HR record"),
    ("sn_customerservice_", "customer service record"), ("sn_si_", "security incident record"),
    ("facilities_", "facilities record"), ("sn_wsd_", "workplace service record"),
    ("sn_lg_", "legal record"),
)
#: the display names (label exports, "Task type") of those tables -> the table
_FOREIGN_LABELS: dict[str, str] = {
    "hr case": "sn_hr_core_case", "hr task": "sn_hr_core_task",
    "case": "sn_customerservice_case", "customer service case": "sn_customerservice_case",
    "security incident": "sn_si_incident", "security incident task": "sn_si_task",
    "facilities request": "facilities_request", "legal request": "sn_lg_ops_request",
}
#: their number prefixes (HRC0001001, CS0001001, SIR0001001, FAC0001001) -> the table
_FOREIGN_PREFIXES: dict[str, str] = {
    "HRC": "sn_hr_core_case", "CS": "sn_customerservice_case", "SIR": "sn_si_incident",
    "FAC": "facilities_request",
}

# state label or raw value -> canonical status, per table (raw numbers differ by table)
_STATES: dict[str, dict[str, str]] = {
    "incident": {
        "1": "new", "new": "new", "2": "open", "in progress": "open", "active": "open",
        "work in progress": "open", "assigned": "open",
        "3": "pending", "on hold": "pending", "awaiting user info": "pending",
        "awaiting problem": "pending", "awaiting vendor": "pending",
        "awaiting evidence": "pending", "awaiting caller": "pending",
        "awaiting change": "pending", "pending": "pending",
        "6": "resolved", "resolved": "resolved", "7": "closed", "closed": "closed",
        "8": "cancelled", "canceled": "cancelled", "cancelled": "cancelled",
    },
    "change": {
        "-5": "new", "new": "new", "-4": "open", "assess": "open", "-3": "pending",
        # Authorize: waiting on approval, not being worked
        "authorize": "pending", "-2": "open", "scheduled": "open", "-1": "open",
        # Review: implemented, awaiting the post-implementation review
        "implement": "open", "0": "resolved", "review": "resolved", "3": "closed",
        "closed": "closed",
        "4": "cancelled", "canceled": "cancelled", "cancelled": "cancelled",
        "on hold": "pending",
    },
    "problem": {
        "101": "new", "new": "new", "102": "open", "assess": "open", "103": "open",
        "root cause analysis": "open", "104": "open", "fix in progress": "open",
        "106": "resolved", "resolved": "resolved", "107": "closed", "closed": "closed",
        "1": "open", "open": "open", "2": "open", "known error": "open",
        "3": "pending", "pending change": "pending", "4": "closed",
        "closed/resolved": "closed", "canceled": "cancelled", "cancelled": "cancelled",
    },
    "request": {
        "-5": "pending", "pending": "pending", "1": "open", "open": "open",
        "2": "open", "work in progress": "open", "in progress": "open",
        "3": "closed", "closed complete": "closed", "4": "closed",
        "closed incomplete": "closed", "5": "cancelled", "7": "cancelled",
        "closed skipped": "cancelled", "closed cancelled": "cancelled",
        "request cancelled": "cancelled", "new": "new", "requested": "new",
        "closed": "closed", "canceled": "cancelled", "cancelled": "cancelled",
        "complete": "closed", "completed": "closed", "draft": "new",
    },
}
# a request item's closed states as a localised instance writes them (de, fr, es, nl)
_STATES["request"].update({
    **{w: "closed" for w in (
        "geschlossen abgeschlossen", "geschlossen vollständig", "geschlossen unvollständig",
        "fermé terminé", "fermé complet", "fermé incomplet", "cerrado completo",
        "cerrado completado", "cerrado incompleto", "gesloten voltooid",
        "gesloten volledig", "gesloten onvolledig")},
    **{w: "cancelled" for w in (
        "geschlossen übersprungen", "geschlossen storniert", "geschlossen abgebrochen",
        "fermé ignoré", "fermé annulé", "cerrado omitido", "cerrado cancelado",
        "gesloten overgeslagen", "gesloten geannuleerd")},
})
# a localised instance's done and cancelled labels (Geschlossen, Gelöst, Storniert...),
# shared with the other importers: each table's own labels win
_STATES = {table: {**v.DONE_STATUSES, **v.CANCELLED_STATUSES, **labels}
           for table, labels in _STATES.items()}
_STATES["task"] = _STATES[ORDER] = _STATES["request"]
_STATES["other"] = {**_STATES["incident"], **_STATES["request"]}

_TABLE_HINTS: dict[str, tuple[str, ...]] = {
    "change": ("type", "start date", "planned start date", "work start", "actual start",
               "risk", "implementation plan", "backout plan", "chg model"),
    "problem": ("problem state", "known error", "workaround", "first reported by task",
                "related incidents", "cause notes", "fix notes"),
    "request": ("cat item", "item", "catalog item", "requested for", "stage", "request",
                "sc catalog"),
    "incident": ("caller id", "caller", "incident state", "caused by", "made sla",
                 "reopen count", "problem id", "problem"),
}
_STRONG = ("number", "opened at", "short description", "sys id", "sys created on",
           "sys updated on", "assignment group", "caller id", "incident state", "sys mod count",
           "contact type", "cmdb ci")
_LABELS = ("number", "opened", "short description", "assignment group", "assigned to",
           "caller", "channel", "configuration item", "reassignment count", "made sla",
           "caused by change", "updated", "state", "priority")


class ServiceNowImporter(Importer):
    name = NAME

    def detect(self, raw: RawTable) -> Detection:
        folded = {fold_name(h) for h in raw.headers}
        reasons: list[str] = []
        strong = [h for h in _STRONG if h in folded]
        labels = [h for h in _LABELS if h in folded]
        score = 0.0
        if "number" in folded and ("opened at" in folded or "sys created on" in folded):
            score = 0.8
            reasons.append("field-name headers number + opened_at")
        elif "number" in folded and "opened" in folded and len(labels) >= 4:
            score = 0.75
            reasons.append(f"label headers ({', '.join(labels[:5])})")
        score += 0.02 * len(strong) + 0.01 * len(labels)
        ids = raw.frame.iloc[:, 0] if "number" not in folded else raw.frame[
            next(h for h in raw.headers if fold_name(h) == "number")]
        sample = head_texts(ids)
        if share_matching(sample, _NUMBER_RE) > 0.9:
            # ServiceNow numbering alone is strong evidence (INC0010001, CHG0030001 ...)
            score = max(score, 0.6) + 0.15
            reasons.append("ticket numbers like " + sample[0])
        table = self._table(raw, folded)
        if table in FOREIGN_TABLES or table.startswith(tuple(f for f, _ in _FOREIGN_FAMILIES)):
            reasons.append(f"a table of {_foreign_words(table)}s ({table}), not IT service "
                           "management work: its records are left out")
        return Detection(NAME, min(score, 1.0), table, reasons)

    def _table(self, raw: RawTable, folded: set[str]) -> str:
        """The kind the file's records are (its table's), by its numbers' most common
        prefix, else the table its file name names, else its headers; or the name of a
        table of other departments' work (:data:`FOREIGN_TABLES`) its numbers' prefix or
        its file name names."""
        col = next((h for h in raw.headers if fold_name(h) == "number"), None)
        if col is not None:
            top = most_common_prefix(head_texts(raw.frame[col], 500), r"([A-Z]+)\d")
            if top is not None:
                for prefix, kind in _PREFIX_KIND:
                    if top == prefix:
                        return kind
                if top in _FOREIGN_PREFIXES:
                    return _FOREIGN_PREFIXES[top]
        named = _foreign_file(raw.name)
        if named is not None:
            return named
        hits = {t: sum(1 for h in hints if h in folded) for t, hints in _TABLE_HINTS.items()}
        best = max(hits, key=lambda t: hits[t])
        return best if hits[best] > 0 else "incident"

    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        table = detection.table
        frame = raw.frame
        aliases: dict[str, tuple[str, ...]] = dict(_COMMON)
        date_aliases = dict(_DATES_COMMON)
        if table == "change":
            date_aliases.update(_DATES_CHANGE)
            aliases.update(_CHANGE_FIELDS)
            aliases.pop(m.REQUEST_ITEM, None)
        else:
            date_aliases.update(_DATES_REQUEST if table in ("request", ORDER, "task") else {})
            aliases["_close_code"] = ("close_code", "closed_code", "Resolution code")
        if table in ("change", "request", "task", "problem"):
            # the generic ``parent`` of a table whose records are no incidents
            aliases.pop(m.PARENT_REF, None)
        aliases[m.STATUS_RAW] = _STATE
        # travel with the mapped columns so a log collapse filters them the same way
        aliases["_journal"] = _JOURNAL
        aliases["_counter"] = ("sys_mod_count", "Updates")
        aliases["_task_type"] = ("sys_class_name", "Task type")
        cols = resolve_columns(raw.headers, aliases)
        date_cols = resolve_columns(raw.headers, date_aliases)
        ids = require_ids(raw, cols.get(m.TICKET_ID), date_cols.get(m.OPENED_AT),
                          tool="ServiceNow", id_label="number/Number",
                          opened_label="opened_at/Opened",
                          hint="export the list again with those columns")
        warnings = list(raw.warnings)
        blank = ids.isna()
        parsed, formats, date_warnings = parse_dates(raw, date_cols, options)
        warnings.extend(date_warnings)

        out: dict[str, pd.Series] = {}
        for canonical, header in cols.items():
            out[canonical] = frame[header]
        out.update(parsed)
        events = m.empty_events()
        rows = len(frame)
        if any_repeated(ids):
            copies = _exact_copies(frame, blank, [
                h for h in (cols[m.TICKET_ID], date_cols.get(m.UPDATED_AT), cols.get("_counter"))
                if h is not None])
            if copies.any():
                warnings.append(_copies_note(ids[copies]))
                out = {k: s[~copies] for k, s in out.items()}
                blank = blank[~copies]
            # one number, tickets opened months apart: two tickets (require_ids made sure
            # of the opened column)
            split, reused, example = split_reused(out[m.TICKET_ID], out[m.OPENED_AT])
            if reused:
                out[m.TICKET_ID] = split
                warnings.append(reused_note(reused, example))
            # rows per number, counted once: whether any repeats (after the copies
            # left), whether the file is a log, and the list export's note
            counts = _repeat_counts(out[m.TICKET_ID])
            if len(counts) and int(counts.max()) >= 2:
                if _looks_like_log(counts):
                    # and the log's numbers with a single row (dated by it below)
                    keep, events, note, out["_single"] = _collapse_log(
                        out, cols.get("_counter"), touches=True)
                else:
                    keep, note = _latest_of_list(out, cols.get("_counter"), counts)
                warnings.append(note)
                out = {k: s[keep] for k, s in out.items()}
                blank = blank[keep]
        if blank.any():
            skipped = holding_cells(raw.frame, blank)
            if skipped:
                warnings.append(f"{skipped} rows without a ticket number were skipped")
            out = {k: s[~blank] for k, s in out.items()}
        foreign = _foreign(out[m.TICKET_ID], table, out.get("_task_type"))
        left_out: dict[str, int] | None = None
        if foreign is not None:
            # other departments' records: out of every figure, named with their counts
            away = pd.notna(foreign)
            left_out = {str(k): int(n) for k, n in pd.Series(
                foreign[away], dtype="object").value_counts().items()}
            warnings.append(foreign_note(left_out))
            if len(events):
                events = events[~events[m.EV_TICKET_ID].isin(
                    out[m.TICKET_ID][away]).to_numpy(dtype=bool)].reset_index(drop=True)
            out = {k: s[~away] for k, s in out.items()}
        tickets = _canonical(out, table, warnings, options.words)
        _parents(tickets)
        _project_labels(tickets, tickets.pop(_PROJECT_COLUMN, None), warnings)
        if "_single" in out:
            dated = _resolved_from_single_row(tickets, out["_single"].to_numpy(dtype=bool))
            if dated:
                warnings.append(
                    f"resolved time taken from the row's update time for {dated:,} "
                    f"{'ticket' if dated == 1 else 'tickets'} of the audit log with a single "
                    "row, in the resolved state with no resolved_at (created resolved, or "
                    "pulled before its next update): the time its history gives once a "
                    "later row is added, never before the opened time")
        # the change fields made from a raw column of their own, as status and channel are
        # (those show through their *_raw entries): named by the column that fed them
        derived = {canon: cols[key] for canon, key in _DERIVED.items()
                   if canon in tickets and key in cols}
        if "_close_code" in cols and m.STATUS in tickets and not (
                tickets[m.KIND] == "change").fillna(False).all():
            # the close code decides whether a done incident was cancelled (a duplicate,
            # withdrawn): read for the status of every ticket that is no change
            derived[m.STATUS] = cols["_close_code"]
        if len(events) and m.EV_KIND in events:
            # the status history in canonical terms, through the table's own state labels
            is_status = (events[m.EV_KIND] == "status").to_numpy(dtype=bool)
            status = pd.Series(pd.NA, index=events.index, dtype="object")
            status[is_status] = v.map_vocab(
                events.loc[is_status, m.EV_VALUE].astype(m.STRING_DTYPE),
                _STATES.get(table, _STATES["other"])).astype("object").to_numpy()
            events[m.EV_STATUS] = status
            filled = _resolved_from_history(tickets, events)
            if filled:
                warnings.append(
                    f"resolved time taken from the status history for {filled:,} tickets "
                    "whose latest row has no resolved_at: the moment each last entered the "
                    "resolved (then closed) states it ends in, not the later closed time")
        stamp_source(tickets, NAME, raw.name, tickets[m.TICKET_ID].index)
        if "_journal" in out:
            journal = _journal_events(out["_journal"], out[m.TICKET_ID], out.get(m.REQUESTER),
                                      raw, options, out.get(m.ASSIGNEE), warnings)
            events = pd.concat([events, journal], ignore_index=True) if len(events) else journal
        order = tickets.pop(_ORDER_COLUMN, None)
        tickets = m.conform_tickets(pd.DataFrame(tickets, copy=False))
        info = SourceInfo(
            path=raw.label,
            tool=NAME, table=_TABLE_NAMES.get(table, table), rows=rows, tickets=len(tickets),
            confidence=round(detection.score, 2), detected_by="; ".join(detection.reasons),
            encoding=raw.encoding, delimiter=raw.delimiter, date_formats=formats,
            column_map={**{k: h for k, h in {**cols, **date_cols}.items()
                           if not k.startswith("_") and k in m.TICKET_SCHEMA}, **derived},
            warnings=warnings,
        )
        # unique: repeated numbers were collapsed to one row each above
        return Imported(tickets=tickets, events=m.conform_events(events), info=info,
                        unique_ids=True, orders=None if order is None else pd.Index(
                            tickets[m.TICKET_ID].to_numpy()[order.to_numpy(dtype=bool)]),
                        foreign=left_out)


#: canonical field -> the raw column (a key of ``cols``) it is made from, when some
#: ticket is a change (the close code of the other tickets feeds their status:
#: :func:`_gave_up`)
_DERIVED: dict[str, str] = {m.CHANGE_TYPE: "_change_type",
                            m.CHANGE_OUTCOME: "_close_code"}


def orders_apart(parts: list[Imported]) -> list[Imported]:
    """The parts with their orders (REQ, ``sc_request``) left out where the ServiceNow
    inputs hold requested items (RITM): a REQ is the order (the cart), its RITMs the
    requests fulfilled, so counting both counts every order twice (1,200 requests for
    600 orders, the onboarding hours and the backlog doubled). Each file's warnings
    count the orders left out and say why; where no requested item is in the input, the
    orders are the requests, and their files' warnings say so."""
    if not any(p.orders is not None and len(p.orders) for p in parts):
        return parts
    items = 0
    for p in parts:
        if p.info.tool == NAME:
            request = (p.tickets[m.KIND] == "request").to_numpy(dtype=bool)
            if p.orders is not None:
                request = request & ~p.tickets[m.TICKET_ID].isin(p.orders).to_numpy(dtype=bool)
            items += int(request.sum())
    item_table, order_table = _TABLE_NAMES["request"], _TABLE_NAMES[ORDER]
    out: list[Imported] = []
    for p in parts:
        if p.orders is None or not len(p.orders):
            out.append(p)
            continue
        order = p.tickets[m.TICKET_ID].isin(p.orders).to_numpy(dtype=bool)
        n = int(order.sum())
        if not items:
            out.append(replace(p, info=replace(p.info, warnings=[
                *p.info.warnings,
                f"{n:,} requests (REQ, {order_table}) read as the requests: the input holds "
                f"no requested items (RITM, {item_table}), the requests a REQ orders, "
                f"fulfilled and timed one by one. Export {item_table} for the request "
                "figures per item (with it the REQs are left out)"])))
            continue
        events = p.events
        if len(events):
            events = events[~events[m.EV_TICKET_ID].isin(p.orders).to_numpy(dtype=bool)
                            ].reset_index(drop=True)
        tickets = p.tickets[~order].reset_index(drop=True)
        info = replace(p.info, tickets=len(tickets), warnings=[
            *p.info.warnings,
            f"{n:,} requests (REQ, {order_table}) left out: a REQ is the order (the cart) "
            f"that holds requested items (RITM, {item_table}), and the input's {items:,} "
            "requested items are the requests fulfilled; counting both would count every "
            "order twice (requests, onboarding, backlog, time to resolve)"])
        out.append(replace(p, tickets=tickets, events=events, info=info, orders=None))
    return out


#: the orders' mask among :func:`_canonical`'s columns (no canonical column)
_ORDER_COLUMN = "_order"

_TABLE_NAMES = {"incident": "incident", "change": "change_request", "problem": "problem",
                "request": "sc_req_item", ORDER: "sc_request", "task": "sc_task",
                "other": "task"}


#: ``sys_class_name`` values (raw and display) of the project and agile tables -> the
#: table a row of them is a record of: a project record (kind ``other``), labelled
#: ``project:TABLE`` by :func:`_project_labels` (the strategy sign counts a strategic
#: word in the labels as project work, as it counts a Jira epic's ``epic`` / ``epic:KEY``)
_PROJECT_CLASSES: dict[str, str] = {
    "pm project": "pm_project", "project": "pm_project",
    "pm project task": "pm_project_task", "project task": "pm_project_task",
    "rm epic": "rm_epic", "epic": "rm_epic",
    "rm story": "rm_story", "story": "rm_story",
    "rm feature": "rm_feature", "feature": "rm_feature",
    "rm enhancement": "rm_enhancement", "enhancement": "rm_enhancement",
    "pm program": "pm_program", "program": "pm_program",
    "pm portfolio": "pm_portfolio", "portfolio": "pm_portfolio",
}

#: ``sys_class_name`` (label "Task type") values, raw and display, -> kind
_CLASS_KIND: dict[str, str] = {
    "incident": "incident", "change request": "change", "problem": "problem",
    "requested item": "request", "sc req item": "request", "request": ORDER,
    "sc request": ORDER, "catalog task": "task", "sc task": "task", "task": "task",
    "change task": "task", "problem task": "task", "incident task": "task",
    **{name: "other" for name in _PROJECT_CLASSES},
}

#: the project table of each row, where :func:`_kind` finds one: popped by the importer
#: for :func:`_project_labels` (no canonical column)
_PROJECT_COLUMN = "_project_table"

#: the label a project-class row gains: the word the strategy sign's strategic_words
#: hold, then the table (``project:pm_project_task``)
PROJECT_TAG = "project"
#: labels that already name a row project work: a whole label ``project`` or ``epic``
_HELD_RE = r"(?i)(?:^|[;,])\s*(?:project|epic)\s*(?:[;,]|$)"


def _project_labels(tickets: dict[str, pd.Series], project: pd.Series | None,
                    warnings: list[str]) -> None:
    """Label the rows of the project and agile tables (pm_project, pm_project_task,
    pm_program, pm_portfolio, rm_epic, rm_story, rm_feature, rm_enhancement; ``project``:
    each row's table, as :func:`_kind` found it) ``project:TABLE`` in
    :data:`~itsm_diag.model.LABELS` (after their own tags, unless these hold a label
    ``project`` or ``epic``), with a warning counting them by table:
    the model keeps no table, and the strategy sign reads project work from the labels
    (as the Jira importer labels epics and the issues under them). The kind stays
    ``other``."""
    if project is None:
        return
    at = np.flatnonzero(project.notna().to_numpy(dtype=bool))
    index = tickets[m.TICKET_ID].index
    have = tickets.get(m.LABELS)
    have = (pd.Series(pd.NA, index=index, dtype=m.STRING_DTYPE) if have is None
            else have.astype(m.STRING_DTYPE))
    # a row already labelled project or epic keeps its labels as they are (as a Jira
    # epic labelled epic does); only the project rows are read
    held = have.iloc[at].str.contains(_HELD_RE, regex=True).fillna(False).to_numpy(
        dtype=bool)
    at = at[~held]
    if not len(at):
        return
    table = project.iloc[at].astype(m.STRING_DTYPE)
    mine = have.iloc[at]
    labelled = have.copy()
    labelled.iloc[at] = (mine.fillna("") + ";" + PROJECT_TAG + ":" + table).str.strip(
        ";").to_numpy(dtype=object)
    tickets[m.LABELS] = labelled
    counts = table.value_counts().sort_index()
    by_table = ", ".join(f"{name} {int(n):,}" for name, n in counts.items())
    warnings.append(
        f"project records: {len(at):,} rows of the project and agile tables "
        f"({by_table}) are given the label {PROJECT_TAG}:TABLE, so the strategy sign "
        "counts them as project work (the model keeps no table)")


#: the longest known prefix (PRJTASK) and its first digit: a number's first 8 characters
#: decide its kind, and they take few distinct values (INC00100, INC00101, ...)
_PREFIX_SPAN = max(len(p) for p, _ in _PREFIX_KIND) + 1


@v.per_value
def _prefix(head: pd.Series) -> pd.Series:
    """The letters a number starts with (``INC`` of ``INC0010``), or None."""
    return head.str.extract(r"^([A-Z]+)\d", expand=False).astype("object")


def _foreign_words(table: str) -> str:
    """The words for a record of a table of other departments' work ("HR case"), or ""."""
    if table in FOREIGN_TABLES:
        return FOREIGN_TABLES[table]
    return next((words for start, words in _FOREIGN_FAMILIES if table.startswith(start)), "")


_FOREIGN_FILE_RE = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted(map(re.escape, FOREIGN_TABLES), key=len, reverse=True))
    + r"|(?:sn_hr|sn_customerservice|sn_si|sn_wsd|sn_lg)_[a-z0-9_]*[a-z0-9])(?![a-z0-9])")


def _foreign_file(name: str) -> str | None:
    """The table of other departments' work a file's name names (``sn_hr_core_case.csv``,
    ``sn_customerservice_case_list.xlsx``), else None."""
    hit = _FOREIGN_FILE_RE.search(name.lower())
    return None if hit is None else hit.group(1)


@v.per_value
def _class_names(values: pd.Series) -> pd.Series:
    """Each ``sys_class_name`` value the importer does not know as IT work -> how its
    records are named: a known table of other departments' work as the table and its
    words (``sn_hr_core_case (HR case)``, also for its display name "HR Case"), any other
    class by its own value, quoted. None for an IT class (:data:`_CLASS_KIND`) or none."""
    text = values.astype(m.STRING_DTYPE).str.strip()
    it = v.map_vocab(text, _CLASS_KIND).notna().to_numpy(dtype=bool)
    by_label = v.map_vocab(text, _FOREIGN_LABELS)
    out: list[str | None] = []
    for raw, known, label in zip(text.tolist(), it, by_label.tolist(), strict=True):
        if known or raw is None or raw is pd.NA or raw == "":
            out.append(None)
            continue
        table = raw if re.fullmatch(r"[a-z][a-z0-9_]*", raw) else label
        words = "" if table is None else _foreign_words(table)
        out.append(f"{table} ({words})" if words else quote(raw))
    return pd.Series(out, index=values.index, dtype="object")


def _foreign(ids: pd.Series, table: str, task_type: pd.Series | None) -> np.ndarray | None:
    """How each row that is no IT service management work is named (None for an IT
    row), or None when every row is IT work. A stated record class (``sys_class_name``)
    decides: one outside the IT classes (:data:`_CLASS_KIND`) is another department's
    (:func:`_class_names`). A row without one goes by its number's prefix: a known
    other department's (HRC, CS, SIR, FAC) names its table; a prefix the importer does
    not know, in a file that holds IT numbers too, is named as that prefix; and in a file
    of such a table (its numbers' or its file name's: :meth:`ServiceNowImporter._table`)
    every row without an IT prefix is of that table. Each column's distinct values are
    read, and the names taken to the rows by code."""
    head = v.Distinct.of(ids.astype(m.STRING_DTYPE).str.slice(0, _PREFIX_SPAN))
    prefix = head.apply(_prefix)
    it = prefix.map(dict(_PREFIX_KIND)).notna().to_numpy(dtype=bool)
    name = prefix.map(_FOREIGN_PREFIXES).map(
        lambda t: t if pd.isna(t) else f"{t} ({_foreign_words(t)})").to_numpy(dtype=object)
    unknown = prefix.notna().to_numpy(dtype=bool) & ~it & pd.isna(name)
    if it[head.codes].any() and unknown.any():
        name = np.where(unknown, prefix.map(
            lambda p: f"{p}... numbers (a prefix of no IT table)").to_numpy(
                dtype=object), name)
    if table not in _TABLE_NAMES:  # a file of another department's table
        words = _foreign_words(table)
        name = np.where(~it & pd.isna(name), f"{table} ({words})" if words else table, name)
    row = name[head.codes]
    if task_type is not None:
        types = v.Distinct.of(task_type)
        text = types.values.astype(m.STRING_DTYPE).str.strip()
        stated = (text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)
        row = np.where(stated[types.codes],
                       types.apply(_class_names).to_numpy(dtype=object)[types.codes], row)
    return row if pd.notna(row).any() else None


def foreign_note(counts: Mapping[str, int], where: str = "") -> str:
    """The words that name the records left out as no IT service management work, each
    name with its count (largest first), and say they reach no figure."""
    total = sum(counts.values())
    named = ", ".join(f"{n:,} {name}" for name, n in sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{total:,} {'record' if total == 1 else 'records'}{where} left out as not IT "
            f"service management work: {named}. Their record class or number prefix is no "
            "IT table's (incident, requested item, catalog task, change, problem, their "
            "tasks, project records), so no sign, check, KPI, hours figure, text cluster or "
            "action list counts them; none is read as an incident")


def _kind(ids: pd.Series, table: str, task_type: pd.Series | None
          ) -> tuple[pd.Series, np.ndarray, pd.Series | None]:
    """An explicit task type wins, then the number prefix, then the table (a categorical
    of the kinds, built from each column's distinct values); per row whether it is an
    order (:data:`ORDER`, a REQ: kind ``request``); and the project table of each row
    that is a project record (by the same task type, else prefix), None when none is."""
    head = v.Distinct.of(ids.astype(m.STRING_DTYPE).str.slice(0, _PREFIX_SPAN))
    prefix = head.apply(_prefix)
    by_prefix = prefix.map(dict(_PREFIX_KIND))
    kind = head.category(by_prefix.replace(ORDER, "request"), m.KIND)
    order = by_prefix.eq(ORDER).fillna(False).to_numpy(dtype=bool)[head.codes]
    project = prefix.map(_PROJECT_PREFIXES).to_numpy(dtype=object)[head.codes]
    if task_type is not None:
        types = v.Distinct.of(task_type)
        by_class = types.apply(v.map_vocab, _CLASS_KIND)
        explicit = types.category(by_class.replace(ORDER, "request"), m.KIND)
        stated = explicit.notna().to_numpy(dtype=bool)
        order = np.where(stated, by_class.eq(ORDER).fillna(False).to_numpy(
            dtype=bool)[types.codes], order)
        kind = explicit.where(explicit.notna(), kind)
        project = np.where(stated, types.apply(v.map_vocab, _PROJECT_CLASSES).to_numpy(
            dtype=object)[types.codes], project)
    unstated = kind.isna().to_numpy(dtype=bool)
    order = order | (unstated & (table == ORDER))
    projects = pd.Series(project, index=kind.index, dtype="object") if pd.notna(
        project).any() else None
    # a table of other departments' work leaves none of its rows here (:func:`_foreign`)
    fallback = "request" if table == ORDER else table if table in m.KINDS else "other"
    return kind.where(kind.notna(), fallback), order, projects


#: rows from which :func:`_canonical` normalises its columns in two threads: each part is
#: a factorize and a take in Arrow (run without the GIL) around a little Python on the
#: distinct values (3M tickets: 0.35-0.60 -> 0.19-0.30 s)
CANONICAL_IN_THREADS = 200_000

#: a part of :func:`_canonical`: (its canonical columns, its warnings)
_Part = tuple[dict[str, pd.Series], list[str]]


def _canonical(cols: dict[str, pd.Series], table: str, warnings: list[str],
               words: Callable[[], Mapping[str, str]] | None = None
               ) -> dict[str, pd.Series]:
    """Normalise the mapped raw columns into canonical values (by canonical name).

    Each vocabulary column (kind, status, channel) is made from its raw column's
    distinct values as the schema's categorical, so conform_tickets passes it through;
    a raw column that feeds a value and a warning is factorized once for both. The parts
    share no column, so a big table has them made in two threads; their columns and
    warnings are put together in one fixed order whichever finishes first."""
    df: dict[str, pd.Series] = {}
    for name, series in cols.items():
        if name in m.TICKET_SCHEMA and m.TICKET_SCHEMA[name] == "string":
            df[name] = series.astype(m.STRING_DTYPE)
    for name in m.TIMESTAMP_COLUMNS:
        if name in cols:
            df[name] = cols[name]
    parts: list[Callable[[], _Part]] = [
        partial(_kind_and_status, df, table, cols.get("_task_type")),
        partial(_priority_part, df), partial(_channel_part, df), partial(_other_parts, cols)]
    rows = len(cols[m.TICKET_ID])
    if rows >= CANONICAL_IN_THREADS and cpus.wanted(2) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2, thread_name_prefix="canonical") as pool:
            done = list(pool.map(lambda part: part(), parts))
    else:
        done = [part() for part in parts]
    for columns, notes in done:
        df.update(columns)
        warnings.extend(notes)
    change = df[m.KIND] == "change"
    if "_change_type" in cols and change.any():
        raw_type = cols["_change_type"].astype(m.STRING_DTYPE).where(change)
        df[m.CHANGE_TYPE_RAW] = raw_type
        df[m.CHANGE_TYPE] = v.map_vocab(raw_type, v.CHANGE_TYPES)
        v.note_unmapped(warnings, "change type", raw_type, df[m.CHANGE_TYPE], "left empty")
    if "_close_code" in cols and change.any():
        raw_code = cols["_close_code"].astype(m.STRING_DTYPE).where(change)
        df[m.CHANGE_OUTCOME_RAW] = raw_code
        outcome = v.change_outcome_words(raw_code, v.map_vocab(raw_code, v.CHANGE_OUTCOMES))
        v.note_unmapped(warnings, "close code", raw_code, outcome, "left empty")
        if m.STATUS in df:
            cancelled = (df[m.STATUS] == "cancelled") & change & outcome.isna()
            outcome = outcome.mask(cancelled, "cancelled")
        df[m.CHANGE_OUTCOME] = outcome
    if "_close_code" in cols and m.STATUS in df and not change.all():
        # an incident's close code (label "Resolution code") that says the work was not
        # done: cancelled, as Jira reads its Resolution (a change's is its outcome)
        df[m.STATUS] = v.gave_up(cols["_close_code"], df[m.STATUS], warnings, words,
                                 skip=change)
    return df


def _parents(tickets: dict[str, pd.Series]) -> None:
    """The parent reference kept on incidents alone, trimmed: ``parent_incident`` is an
    incident's, and the generic ``parent`` of another table's record (a catalog task's
    requested item, a change task's change) is no parent incident."""
    if m.PARENT_REF not in tickets:
        return
    ref = tickets[m.PARENT_REF].str.strip()
    incident = (tickets[m.KIND] == "incident").fillna(False).to_numpy(dtype=bool)
    tickets[m.PARENT_REF] = ref.where(incident & (ref != "").fillna(False).to_numpy(
        dtype=bool))


def _kind_and_status(df: dict[str, pd.Series], table: str, task_type: pd.Series | None
                     ) -> _Part:
    """The kind, then the status read through the labels of each kind's table."""
    out: dict[str, pd.Series] = {}
    warnings: list[str] = []
    kinds, order, projects = _kind(df[m.TICKET_ID], table, task_type)
    out[m.KIND] = kinds
    if projects is not None:
        out[_PROJECT_COLUMN] = projects
    if order.any():
        # popped by the importer into Imported.orders: no canonical column
        out[_ORDER_COLUMN] = pd.Series(order, index=kinds.index)
    if m.STATUS_RAW not in df:
        return out, warnings
    present = kinds.dropna().unique()
    if len(present) == 1 and kinds.notna().all():  # the usual one-table export
        raw = v.Distinct.of(df[m.STATUS_RAW])
        vocab = _STATES.get(str(present[0]), _STATES["other"])
        mapped = raw.apply(v.map_vocab, vocab)
        status = raw.category(mapped, m.STATUS)
        done = _done_by_time(df, status, warnings)
        if done is status:  # every state known, or none on a ticket with a done time
            v.note_unmapped_distinct(warnings, "state", raw, mapped, "left without status")
        else:
            v.note_unmapped(warnings, "state", df[m.STATUS_RAW], done, "left without status")
            out[m.STATUS_INFERRED] = v.inferred(df[m.STATUS_RAW], status, done)
            status = done.astype(m.ticket_dtypes()[m.STATUS])
        out[m.STATUS] = status
    else:
        status = pd.Series(None, index=kinds.index, dtype="object")
        for kind in present:
            sel = kinds == kind
            status[sel] = v.map_vocab(df[m.STATUS_RAW][sel],
                                      _STATES.get(str(kind), _STATES["other"]))
        read = status
        status = _done_by_time(df, status, warnings, left="left without status")
        if status is not read:
            out[m.STATUS_INFERRED] = v.inferred(df[m.STATUS_RAW], read, status)
        out[m.STATUS] = status
    return out, warnings


def _done_by_time(df: dict[str, pd.Series], status: pd.Series, warnings: list[str],
                  left: str | None = None) -> pd.Series:
    """``status`` with a ticket whose state is outside its table's labels (a custom state,
    an instance's own number) but which carries a done time read as done: closed with a
    closed time, else resolved, in a warning naming the states
    (:func:`itsm_diag.importers.values.done_by_time`). ``status`` itself when none is."""
    return v.done_by_time(status, df[m.STATUS_RAW], df.get(m.RESOLVED_AT),
                          df.get(m.CLOSED_AT), warnings, field="state", left=left)


def _priority_part(df: dict[str, pd.Series]) -> _Part:
    warnings: list[str] = []
    if m.PRIORITY_RAW not in df:
        return {}, warnings
    return {m.PRIORITY: v.read_priority(df[m.PRIORITY_RAW], warnings)}, warnings


def _channel_part(df: dict[str, pd.Series]) -> _Part:
    warnings: list[str] = []
    if m.CHANNEL_RAW not in df:
        return {}, warnings
    # "Unknown", "-- None --": no channel recorded, not a door named "other"
    labels = v.drop_placeholders(df[m.CHANNEL_RAW], warnings)
    raw = v.Distinct.of(labels)
    mapped = raw.apply(v.map_vocab, v.CHANNELS)  # once, for the column and the warning
    channel = raw.category(v.channel_of(mapped, raw.values), m.CHANNEL)
    v.note_unmapped_distinct(warnings, "channel", raw, mapped, "counted as 'other'")
    return {m.CHANNEL: channel, m.CHANNEL_RAW: labels}, warnings


def _other_parts(cols: dict[str, pd.Series]) -> _Part:
    """Counts, the SLA flag, the knowledge reference and the time spent."""
    out: dict[str, pd.Series] = {}
    warnings: list[str] = []
    for name, field in ((m.REASSIGNMENT_COUNT, "reassignment count"),
                        (m.REOPEN_COUNT, "reopen count")):
        if name in cols:
            out[name] = v.read_count(cols[name], warnings, field)
    if m.SLA_MET in cols:
        raw_sla = cols[m.SLA_MET].astype(m.STRING_DTYPE)
        out[m.SLA_MET] = v.read_flag(raw_sla, warnings, "made_sla")
        out[m.SLA_MET_RAW] = raw_sla
    if m.KNOWLEDGE_REF in cols:
        out[m.KNOWLEDGE_REF] = _knowledge(cols[m.KNOWLEDGE_REF], warnings)
    if m.TIME_SPENT_HOURS in cols:
        out[m.TIME_SPENT_HOURS] = v.duration(
            v.hours_from_duration(cols[m.TIME_SPENT_HOURS]), cols[m.TIME_SPENT_HOURS], warnings)
    return out, warnings


#: the headers of the incident's boolean knowledge field (the others, a custom
#: reference's, hold article ids)
_KNOWLEDGE_FLAG = frozenset({"knowledge"})
#: the share of a knowledge column's filled values that, read as yes/no words, makes it a
#: flag whatever its header
KNOWLEDGE_FLAG_SHARE = 0.5


def _knowledge(raw: pd.Series, warnings: list[str]) -> pd.Series:
    """The knowledge reference: an article id as it is, or ``(knowledge flag)`` where a
    flag says an article was used.

    The column is a flag when its header is the incident's boolean ``knowledge`` field,
    or when most of its filled values are yes/no words: then a yes is ``(knowledge
    flag)``, and a no and any value the reading cannot read (``Nee``, ``FALSCH`` before
    their words were known) are empty, the unread ones counted in a warning. An unread
    word was kept as an article id, and a desk linking 11% of its incidents read 100%.
    In a column of ids, a yes/no word is read as one all the same (no id reads as yes)."""
    kb = raw.astype(m.STRING_DTYPE)
    column = v.Distinct.of(kb)
    flags = column.apply(v.boolean)
    counts = np.bincount(column.codes, minlength=len(column.values))
    filled = column.values.notna().to_numpy(dtype=bool)
    read = flags.notna().to_numpy(dtype=bool)
    n_filled = int(counts[filled].sum())
    is_flag = str(raw.name or "").strip().lower() in _KNOWLEDGE_FLAG or (
        n_filled > 0 and int(counts[read].sum()) >= KNOWLEDGE_FLAG_SHARE * n_filled)
    yes = flags.eq(True).fillna(False).to_numpy(dtype=bool)
    kept = column.values.astype("object").where(~read, None)
    kept[yes] = "(knowledge flag)"
    if is_flag:
        kept[~yes] = None
        v.note_unmapped_distinct(warnings, "knowledge", column, flags,
                                 "left empty (no article counted)", v.NOT_YES_NO)
    per_value = pd.Series(pd.array(kept.tolist(), dtype=m.STRING_DTYPE))
    return m.spread(per_value, column.codes, raw.index).rename(raw.name)


#: the share of a file's distinct numbers that must have two or more (distinct) rows for
#: the file to be read as an audit log. A log holds one row per update and nearly every
#: ticket is updated after it is opened (the UCI log: every one of its 24,918 numbers has
#: several rows); a list export holds one row per number, and a duplicated row or two
#: overlapping team exports pasted into one file repeat a minority of its numbers. Half
#: keeps a log cut from a window (tickets opened near its end have one row so far) a log,
#: and two exports pasted into one file a list while fewer than half of their numbers
#: are in both with rows that differ (rows equal in every column are dropped before).
LOG_REPEATED_SHARE = 0.5

#: the repeated numbers a list export's warning names
_NAMED_REPEATS = 3


def _exact_copies(frame: pd.DataFrame, blank: pd.Series, keys: list[str]) -> pd.Series:
    """Rows with a ticket number that a later row repeats in every column: a copy
    carries no update. The last copy is kept, where the file put it, as a row repeated
    across two files is (the later file's), so two team exports pasted into one file
    read as the two files. Only rows whose ``keys`` columns (number, update time,
    counter) repeat can be copies: the whole rows are compared among those alone (a log
    of 141,712 rows: 0.05 s, not 0.3)."""
    copies = np.zeros(len(frame), dtype=bool)
    maybe = frame[keys].duplicated(keep=False).to_numpy(dtype=bool) & ~blank.to_numpy(
        dtype=bool)
    if maybe.any():
        copies[maybe] = frame[maybe].duplicated(keep="last").to_numpy(dtype=bool)
    return pd.Series(copies, index=blank.index)


def _copies_note(numbers: pd.Series) -> str:
    """The warning for the dropped copies (``numbers``: their ticket numbers)."""
    n = len(numbers)
    named = ", ".join(quote(str(x)) for x in numbers.drop_duplicates().head(_NAMED_REPEATS))
    return (f"{n:,} {'row is a copy' if n == 1 else 'rows are copies'} of a later row, "
            f"every column equal (e.g. {named}), and {'was' if n == 1 else 'were'} "
            "dropped (the last copy is kept): a copied row records no update")


def _repeat_counts(ids: pd.Series) -> pd.Series:
    """Rows per present number, in the order each number first appears."""
    return ids.dropna().astype(m.STRING_DTYPE).value_counts(sort=False)


def _looks_like_log(counts: pd.Series) -> bool:
    """Whether a file whose numbers repeat is an audit log: at least
    :data:`LOG_REPEATED_SHARE` of its distinct numbers have two or more rows
    (``counts``: rows per number, :func:`_repeat_counts`)."""
    return bool(len(counts)) and int((counts >= 2).sum()) >= LOG_REPEATED_SHARE * len(counts)


def _latest_of_list(cols: dict[str, pd.Series], counter: str | None, counts: pd.Series
                    ) -> tuple[pd.Series, str]:
    """A list export with a few numbers repeated: keep the latest row of each number (as
    :func:`_collapse_log` orders them) and make no history from the others (``counts``:
    rows per number, :func:`_repeat_counts`)."""
    keep = _latest_rows(cols)[0]
    repeated = counts[counts >= 2]
    dropped = int(repeated.sum()) - len(repeated)
    named = ", ".join(quote(str(x)) for x in repeated.index[:_NAMED_REPEATS])
    more = ", ..." if len(repeated) > _NAMED_REPEATS else ""
    n = len(repeated)
    note = (f"{n:,} of {len(counts):,} numbers {'appears' if n == 1 else 'appear'} in more "
            f"than one row ({named}{more}): read as a list export, not an audit log (an "
            "audit log repeats most of its numbers); the latest row of each number is kept "
            f"(by {counter + ', then ' if counter else ''}the updated time, then file order) "
            f"as a list export's and {dropped:,} other {'row' if dropped == 1 else 'rows'} "
            f"dropped, with no status history made from {'it' if dropped == 1 else 'them'}")
    return keep, note


def _latest_rows(cols: dict[str, pd.Series]
                 ) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """The latest row per ticket: (keep, the rows with a number in update order, their
    ids' ranks, whether each is its ticket's last).

    Order within a ticket: the update counter (``sys_mod_count``), then the updated time,
    then file order.
    """
    ids = cols[m.TICKET_ID]
    n = len(ids)
    # one integer sort: the ids' ranks (code point order, as Python orders the text; a
    # missing id is left out), then the counter, the updated time (missing last, as
    # sort_values puts them) and the file position
    rank = m.dense_ranks(ids.astype(m.STRING_DTYPE))
    present = ~ids.isna().to_numpy(dtype=bool)
    keys: list[np.ndarray] = [np.arange(n)]
    # typed: a tz-aware column's plain to_numpy() is one Timestamp object a row
    at = cols[m.UPDATED_AT].to_numpy(dtype="datetime64[us]") if m.UPDATED_AT in cols else None
    if at is not None:
        keys.append(at)
    if "_counter" in cols:
        # the counter converted once per distinct value (a few hundred over a million rows)
        keys.append(v.number(cols["_counter"]).to_numpy(dtype="float64", na_value=np.nan))
    keys.append(rank)
    pos = np.lexsort(keys)
    pos = pos[present[pos]]
    sorted_rank = rank[pos]
    last = np.r_[sorted_rank[1:] != sorted_rank[:-1], True] if len(pos) else np.zeros(
        0, dtype=bool)
    kept = np.zeros(n, dtype=bool)
    kept[pos[last]] = True
    return pd.Series(kept, index=ids.index), pos, sorted_rank, last


def _row_events(ids: pd.Series, at: pd.Series, rows: np.ndarray, kind: str,
                values: pd.Series | None = None) -> pd.DataFrame:
    """Events of the log's ``rows``: their ticket, their ``at`` time, ``kind``, and the
    row's value of ``values`` (none without). No author is read (sys_updated_by is not):
    whose update it was is unknown, a person's or a job's (a nightly stamp is no agent's
    update: trust's silence)."""
    return pd.DataFrame({
        m.EV_TICKET_ID: ids.take(rows).reset_index(drop=True),
        m.EV_AT: at.take(rows).reset_index(drop=True),
        m.EV_KIND: kind,
        m.EV_AUTHOR_ROLE: pd.NA,
        m.EV_AUTHOR: pd.NA,
        m.EV_VALUE: pd.NA if values is None else values.take(rows).reset_index(drop=True),
    })


def _collapse_log(
    cols: dict[str, pd.Series], counter: str | None, *, touches: bool = False
) -> tuple[pd.Series, pd.DataFrame, str, pd.Series]:
    """Keep the latest row per ticket (:func:`_latest_rows`); turn the update history
    into events. Returns (keep, the events, the note, each row's number has one row).

    Only a number with two or more rows has a history. A number with a single row (a
    ticket opened near the end of a log cut from a window, or a number that one of two
    pasted snapshots holds alone) is read as a list export's row, by its own resolved
    and closed times: its one row, stamped at ``sys_updated_on``, is no status change,
    and an event there would be read as the ticket's history. Only a resolved row with no
    resolved time is then dated by its update time (:func:`_resolved_from_single_row`, in
    :meth:`ServiceNowImporter.load`), as its history would date it once a later row came.

    The assignee's changes are ``assignee`` events too (a cleared one blank), beside the
    others at the same times: the history the ownership check dates a time without an
    assignee from (the other readers skip them or see no new time).

    ``touches``: also one ``update`` event for each other row of those numbers with an
    updated time (a row that changed neither the state nor the group: the assignee, the
    priority, the category, or only the updater), after the status and group events.
    Every row of a log is an update (``sys_mod_count`` + 1): the flow's idle gaps and
    touchpoints are cut at each, while the status and group history keeps its meaning
    (the readers of status or assignment events never see the ``update`` kind)."""
    ids = cols[m.TICKET_ID]
    n = len(ids)
    keep, pos, sorted_rank, last = _latest_rows(cols)

    # history -> events: a status or group that differs from the ticket's previous row
    # (compared by integer codes of the values; only the rows that change are taken)
    events = []
    same_ticket = np.r_[False, sorted_rank[1:] == sorted_rank[:-1]] if len(pos) else \
        np.zeros(0, dtype=bool)
    # the rows (in update order) of the numbers with two or more rows
    first = ~same_ticket
    several = (~first | ~last) if len(pos) else np.zeros(0, dtype=bool)
    lone = np.zeros(n, dtype=bool)
    lone[pos[first & last]] = True
    single = int(lone.sum())
    # the rows (in update order) that made a status or a group event
    evented = np.zeros(len(pos), dtype=bool)
    for canon, kind in ((m.STATUS_RAW, "status"), (m.ASSIGNMENT_GROUP, "assignment")):
        if canon not in cols or m.UPDATED_AT not in cols:
            continue
        codes, distinct = m.factorize_na(cols[canon])
        code = np.asarray(codes, dtype=np.int64)[pos]
        missing = len(distinct) - 1  # factorize_na's code of a missing value
        prev = np.r_[missing, code[:-1]] if len(code) else code
        changed = several & (code != missing) & ((code != prev) | ~same_ticket)
        evented |= changed
        rows = pos[changed]
        events.append(_row_events(ids, cols[m.UPDATED_AT], rows, kind, cols[canon]))
    n_touches = 0
    if touches and events and m.UPDATED_AT in cols:
        # every other row of a history is an update too: a touch at its updated time
        at = cols[m.UPDATED_AT]
        rows = pos[several & ~evented]
        rows = rows[at.take(rows).notna().to_numpy(dtype=bool)]
        n_touches = len(rows)
        events.append(_row_events(ids, at, rows, "update"))
    n_assignee = 0
    if m.ASSIGNEE in cols and m.UPDATED_AT in cols and events:
        # the assignee's history, beside the events above (each of its rows already made
        # one at that time: a status, a group or a touch): each row whose assignee
        # differs from the ticket's previous row (the first row when it names one),
        # cleared ones included (blank value). ServiceNow clears assigned_to on every
        # group change; the ownership check dates a time without an assignee from it
        at = cols[m.UPDATED_AT]
        codes, distinct = m.factorize_na(cols[m.ASSIGNEE])
        code = np.asarray(codes, dtype=np.int64)[pos]
        missing = len(distinct) - 1
        prev = np.where(same_ticket, np.r_[missing, code[:-1]] if len(code) else code,
                        missing)
        rows = pos[several & (code != prev)]
        rows = rows[at.take(rows).notna().to_numpy(dtype=bool)]
        n_assignee = len(rows)
        events.append(_row_events(ids, at, rows, "assignee", cols[m.ASSIGNEE]))
    ev = pd.concat(events, ignore_index=True) if events else m.empty_events()
    n_tickets = int(last.sum())
    note = (f"audit log: {n:,} update rows collapsed to {n_tickets:,} tickets (latest row per "
            f"number{', by ' + counter if counter else ''}); history kept as "
            f"{len(ev) - n_touches - n_assignee:,} events")
    if n_touches:
        note += (f", and {n_touches:,} other update {'row' if n_touches == 1 else 'rows'} "
                 "(no state or group change: assignee, priority, category, or only the "
                 "updater) as touches, which end the flow's idle gaps and count as its "
                 "touchpoints")
    if n_assignee:
        note += (f"; {n_assignee:,} assignee {'change' if n_assignee == 1 else 'changes'} "
                 "(cleared ones included) as assignee events, which date a ticket's time "
                 "without an assignee")
    if single:
        note += (f"; {single:,} {'number has' if single == 1 else 'numbers have'} a single "
                 f"row, read as a list export's, with no history")
    return keep, ev, note, pd.Series(lone, index=ids.index)


def _resolved_from_single_row(tickets: dict[str, pd.Series], single: np.ndarray) -> int:
    """Date a resolved ticket of an audit log that has a single row and no resolved time
    by that row's update time (never before its opened time); return how many were dated.

    Its one row is the first event of its history: the same row with a later one added
    (a later pull of the same log) makes a status history whose resolved run starts at
    this row, and :func:`_resolved_from_history` dates the ticket there. Only the
    ``resolved`` state: a closed row alone is left to its closed time, as a run of
    closed states is. ``single``: per ticket row, whether its number has one row."""
    if m.STATUS not in tickets or m.UPDATED_AT not in tickets:
        return 0
    ids = tickets[m.TICKET_ID]
    resolved = tickets.get(m.RESOLVED_AT)
    missing = (resolved.isna().to_numpy(dtype=bool) if resolved is not None
               else np.ones(len(ids), dtype=bool))
    updated = tickets[m.UPDATED_AT].to_numpy(dtype="datetime64[us]")
    want = (single & missing & ~np.isnat(updated)
            & (tickets[m.STATUS] == "resolved").fillna(False).to_numpy(dtype=bool))
    if not want.any():
        return 0
    when = updated
    if m.OPENED_AT in tickets:
        opened = tickets[m.OPENED_AT].to_numpy(dtype="datetime64[us]")
        when = np.where(~np.isnat(opened) & (opened > updated), opened, updated)
    values = (resolved.to_numpy(dtype="datetime64[us]").copy() if resolved is not None
              else np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[us]"))
    values[want] = when[want]
    tickets[m.RESOLVED_AT] = pd.Series(values, index=ids.index).dt.tz_localize("UTC").astype(
        m.TIMESTAMP_DTYPE)
    return int(want.sum())


#: the canonical statuses of a resolution's run: resolved, then closed (a cancelled
#: ticket was not resolved, and its state breaks the run)
_RESOLVED_RUN = ("resolved", "closed")


def _resolved_from_history(tickets: dict[str, pd.Series], events: pd.DataFrame) -> int:
    """Fill a missing ``resolved_at`` of the collapsed tickets from their status history;
    return how many were filled.

    A ticket qualifies when its status is resolved or closed, its latest row has no
    resolved time, and its status events (in update order, as :func:`_collapse_log` made
    them) end in a run of resolved and closed states that holds a resolved one. Its
    resolved time is the run's first event: the last entry into done, so a ticket
    reopened and resolved again is resolved at the second resolution, as ServiceNow's
    ``resolved_at`` is (and as the backlog reads the history). Never before the opened
    time. A run of closed states only (no resolved state) is left to the closed time.
    Vectorised: one stable sort and a few reductions over the events."""
    if m.STATUS not in tickets or m.EV_STATUS not in events:
        return 0
    ids = tickets[m.TICKET_ID]
    n = len(ids)
    resolved = tickets.get(m.RESOLVED_AT)
    missing = (resolved.isna().to_numpy(dtype=bool) if resolved is not None
               else np.ones(n, dtype=bool))
    want = missing & tickets[m.STATUS].isin(_RESOLVED_RUN).fillna(False).to_numpy(dtype=bool)
    if not want.any():
        return 0
    is_status = (events[m.EV_KIND] == "status").to_numpy(dtype=bool)
    rows = np.flatnonzero(is_status)
    # the ticket row of each status event (numbers are unique after the collapse)
    row = pd.Index(ids.astype(m.STRING_DTYPE)).get_indexer(
        events[m.EV_TICKET_ID].take(rows).astype(m.STRING_DTYPE))
    take = row >= 0
    take[take] = want[row[take]]
    rows, row = rows[take], row[take]
    if not len(rows):
        return 0
    order = np.argsort(row, kind="stable")  # by ticket, update order kept
    rows, row = rows[order], row[order]
    status = events[m.EV_STATUS].take(rows).astype("object")
    done = status.isin(_RESOLVED_RUN).to_numpy(dtype=bool)
    is_resolved = (status == "resolved").fillna(False).to_numpy(dtype=bool)
    at = events[m.EV_AT].take(rows).to_numpy(dtype="datetime64[us]")
    k = len(rows)
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    ends = np.r_[starts[1:], k]
    # the run a ticket ends in starts after its last event outside it
    breaks = np.where(done, -1, np.arange(k))
    run = np.maximum(np.maximum.reduceat(breaks, starts) + 1, starts)
    counts = np.r_[0, np.cumsum(is_resolved)]
    ok = (run < ends) & (counts[ends] > counts[run])
    start_at = at[np.minimum(run, k - 1)]
    ok &= ~np.isnat(start_at)
    if not ok.any():
        return 0
    target = row[starts[ok]]
    when = start_at[ok]
    if m.OPENED_AT in tickets:
        opened = tickets[m.OPENED_AT].to_numpy(dtype="datetime64[us]")[target]
        later = ~np.isnat(opened) & (opened > when)
        when = np.where(later, opened, when)
    values = (resolved.to_numpy(dtype="datetime64[us]").copy() if resolved is not None
              else np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))
    values[target] = when
    tickets[m.RESOLVED_AT] = pd.Series(values, index=ids.index).dt.tz_localize("UTC").astype(
        m.TIMESTAMP_DTYPE)
    return int(ok.sum())


_JOURNAL_RE = re.compile(
    r"(?ms)^(?P<at>\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?)"
    r" - (?P<author>[^\n(]+?) \((?P<type>Additional comments|Work notes|Comments)\)\n"
    r"(?P<text>.*?)(?=^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d{1,2}:\d{2}|\Z)"
)

# The same entries without a Python step per entry. An entry of _JOURNAL_RE runs from
# its header line to the next line that starts with a time (_STAMP), header or not, or
# to the end of the cell. So each cell is cut into lines (views of its bytes), the lines
# that start with a time are found by RE2 (anchored), the headers among them, and each
# entry's text is the bytes from its header's end to the next such line or the cell's
# end. Python's \d is any Unicode decimal digit (category Nd), as RE2's \p{Nd}.
_D = r"\p{Nd}"
_STAMP = rf"^{_D}{{1,4}}[-/.]{_D}{{1,2}}[-/.]{_D}{{1,4}}[ T]{_D}{{1,2}}:{_D}{{2}}"
#: a whole header line with its newline (the time holds no " - ", the name no "(")
_HEADER = (rf"{_STAMP}(?::{_D}{{2}})?(?: ?[AP]M)? - [^\n(]+? "
           r"\((?:Additional comments|Work notes|Comments)\)\n$")


def _journal_events(
    journal: pd.Series,
    ids: pd.Series,
    requester: pd.Series | None,
    raw: RawTable,
    options: ImportOptions,
    assignees: pd.Series | None = None,
    warnings: list[str] | None = None,
) -> pd.DataFrame:
    """ServiceNow journal cells (``<time> - <name> (Additional comments)\\n<text>``) -> events.

    Work notes are agents'; a comment's author role follows
    :func:`~itsm_diag.importers.roles.comment_roles` (the ticket's caller: requester; an
    assignee of some ticket or a work note's author: agent; anyone else, or every
    comment when the journal's names cannot meet the caller column's: unknown).
    """
    has = journal.notna()
    if not has.any():
        return m.empty_events()
    cells = journal[has].astype(str)
    split = _journal_split(cells)
    if split is None:
        parts = cells.str.extractall(_JOURNAL_RE.pattern, flags=re.M | re.S)
        if parts.empty:
            return m.empty_events()
        rows = parts.index.get_level_values(0)
        cell = pd.Index(cells.index).get_indexer(rows)
        parts = parts.reset_index(drop=True)
    else:
        cell, parts = split
        if not len(cell):
            return m.empty_events()
        rows = cells.index[cell]
    tid = ids[has].take(cell).reset_index(drop=True)
    author = parts["author"].str.strip()
    work = (parts["type"] == "Work notes").to_numpy(dtype=bool)
    req = None if requester is None else requester[has].take(cell).reset_index(drop=True)
    role = comment_roles(author, req, work, assignees, [] if warnings is None else warnings,
                         requester_label="caller_id/Caller",
                         hint="export caller_id as the display value (the name the "
                              "journal shows) to tell requesters from agents")
    # errors name the journal's own header and the file row of the cell, not the entry's
    # place among all entries
    label = f"{journal.name} (the times of its entries)"
    stamp = RawTable(path=raw.path, frame=pd.DataFrame({label: parts["at"]}),
                     first_data_row=raw.first_data_row)
    try:
        parsed, _, _ = parse_dates(stamp, {"at": label}, options)
    except DateFormatError as exc:
        if exc.row is not None and 0 <= exc.row - raw.first_data_row < len(rows):
            exc.row = raw.first_data_row + int(rows[exc.row - raw.first_data_row])
        raise
    dtypes = m.event_dtypes()
    return pd.DataFrame({
        m.EV_TICKET_ID: tid,
        m.EV_AT: parsed["at"].reset_index(drop=True),
        m.EV_KIND: _category(work, "worklog", "comment", dtypes[m.EV_KIND]),
        m.EV_AUTHOR_ROLE: pd.Categorical(role.to_numpy(), dtype=dtypes[m.EV_AUTHOR_ROLE]),
        m.EV_AUTHOR: author,
        m.EV_VALUE: parts["text"].str.strip(),
    }, copy=False)


def _category(mask: np.ndarray, yes: str, no: str, dtype: object) -> pd.Categorical:
    """``np.where(mask, yes, no)`` as the categorical ``dtype`` (which holds both), built
    from codes: no label is written per row."""
    if not isinstance(dtype, pd.CategoricalDtype):
        raise TypeError(f"{dtype} is not a categorical dtype")
    codes = dtype.categories.get_indexer([yes, no])
    return pd.Categorical.from_codes(np.where(mask, codes[0], codes[1]), dtype=dtype)


def _journal_split(cells: pd.Series) -> tuple[np.ndarray, pd.DataFrame] | None:
    """_JOURNAL_RE's matches in ``cells`` (text) without a Python step per entry: (each
    entry's cell position, its groups as text columns of ``cells``' dtype), entries in
    cell then match order, as ``str.extractall`` gives them. None when this cannot be
    sure to find exactly those: text not held by Arrow, or a decimal digit that RE2 and
    Python's ``re`` might class differently."""
    import pyarrow as pa  # loaded with pandas' Arrow strings already

    if not m.is_arrow_text(cells) or not _re2_knows_python_digits():
        return None
    text = cells.array.__arrow_array__()
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    found: list[tuple[np.ndarray, list[pa.Array]]] = []
    first = 0
    for chunk in chunks:
        one = _chunk_entries(chunk)
        if one is None:
            return None
        found.append((one[0] + first, one[1]))
        first += len(chunk)
    cell = np.concatenate([f[0] for f in found]) if found else np.zeros(0, np.int64)
    names = ("at", "author", "type", "text")
    parts = pd.DataFrame({
        name: pd.Series(pd.array(pa.chunked_array([f[1][i] for f in found], type=text.type),
                                 dtype=cells.dtype))
        for i, name in enumerate(names)}, copy=False)
    return cell, parts


def _chunk_entries(chunk: pa.Array) -> tuple[np.ndarray, list[pa.Array]] | None:
    """The entries of one Arrow chunk of journal cells: (their cell positions in the
    chunk; at, author, type, text), or None when it cannot say them exactly."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if chunk.null_count or not (pa.types.is_large_string(chunk.type)
                                or pa.types.is_string(chunk.type)):
        return None
    got = m.text_offsets(chunk)
    if got is None or int(got[0][-1]) == int(got[0][0]):  # no text at all
        return np.zeros(0, np.int64), [pa.array([], chunk.type)] * 4
    offsets, raw = got[0].astype(np.int64, copy=False), got[1]
    data = chunk.buffers()[2]
    n = len(chunk)
    lo, hi = int(offsets[0]), int(offsets[-1])
    # line starts: each cell's start and every byte after a newline that is not one
    # (a line keeps its newline; a line never crosses a cell); both sorted, so the sort
    # of the two is a merge
    after = np.flatnonzero(raw[lo:hi] == 10) + (lo + 1)
    at_cell = np.searchsorted(offsets, after)
    after = after[offsets[np.minimum(at_cell, n)] != after]
    starts = np.sort(np.concatenate([offsets[:-1], after]), kind="stable")
    ends = np.r_[starts[1:], hi]
    # a time starts with a decimal digit: 0-9, or a non-ASCII one (a lead byte >= 0x80)
    lead = raw[np.minimum(starts, len(raw) - 1)]
    maybe = np.flatnonzero((ends > starts) & (((lead >= 48) & (lead <= 57)) | (lead >= 128)))
    lines = _spans(chunk.type, starts[maybe], ends[maybe], data)
    timed = pc.match_substring_regex(lines, pattern=_STAMP).to_numpy(zero_copy_only=False)
    stamp = maybe[timed]  # the lines that start with a time
    stamped = lines.filter(pa.array(timed))
    if (raw[lo:hi] >= 128).any() and not _digits_agree(stamped):
        return None
    head = pc.match_substring_regex(stamped, pattern=_HEADER).to_numpy(zero_copy_only=False)
    headers = stamped.filter(pa.array(head))
    # each entry's text: from its header's end to the next stamped line in its cell, or
    # the cell's end
    at_line = stamp[head]
    line_cell = np.searchsorted(offsets, starts[at_line], side="right") - 1
    nxt = np.r_[starts[stamp[1:]], hi][head]
    body_start = ends[at_line]
    body_end = np.minimum(nxt, offsets[line_cell + 1])
    body = _spans(chunk.type, body_start, body_end, data)
    if (body_end == body_start).any():  # str.extractall reads an empty group as missing
        body = pc.if_else(pa.array(body_end > body_start), body, pa.scalar(None, chunk.type))
    # "<at> - <author> (<type>)\n": the time holds no " - ", the name no "(", so each
    # part lies between the first of those and the line's end (byte positions)
    first = starts[at_line]
    dash = first + pc.find_substring(headers, " - ").to_numpy(zero_copy_only=False)
    paren = first + pc.find_substring(headers, "(").to_numpy(zero_copy_only=False)
    stamp_ = _spans(chunk.type, first, dash, data)
    author = _spans(chunk.type, dash + 3, paren - 1, data)
    kind = _spans(chunk.type, paren + 1, body_start - 2, data)
    return line_cell.astype(np.int64), [stamp_, author, kind, body]


def _spans(kind: pa.DataType, starts: np.ndarray, ends: np.ndarray, data: pa.Buffer
           ) -> pa.Array:
    """Strings copied from the byte ranges [start, end) of ``data``, ranges in order and
    apart (each end at most the next start): views of the ranges and of the gaps between
    them, one array over ``data`` without a copy, of which the ranges are taken."""
    import pyarrow as pa

    if not len(starts):
        return pa.array([], kind)
    width = np.int64 if pa.types.is_large_string(kind) else np.int32
    bounds = np.empty(2 * len(starts), dtype=width)
    bounds[0::2], bounds[1::2] = starts, ends
    views = pa.Array.from_buffers(kind, len(bounds) - 1, [None, pa.py_buffer(bounds), data])
    return views.take(pa.array(np.arange(0, len(views), 2)))


def _digits_agree(stamped: pa.Array) -> bool:
    """Whether every decimal digit outside 0-9 at the start of these lines (where a time
    is read) is one to Python's ``re`` too (RE2's Unicode tables may be newer)."""
    import pyarrow.compute as pc

    odd = pc.match_substring_regex(stamped, r"^[^\n]{0,39}?[^0-9\P{Nd}]")
    if not pc.any(odd).as_py():
        return True
    start = pc.utf8_slice_codeunits(stamped.filter(odd), 0, 40)
    rest = pc.replace_substring_regex(start, pattern=r"[0-9]|\P{Nd}", replacement="")
    return all(unicodedata.category(c) == "Nd" for c in set("".join(rest.to_pylist())))


@cache
def _re2_knows_python_digits() -> bool:
    """Whether RE2's \\p{Nd} holds every character Python's ``re`` reads as \\d (every
    Unicode decimal digit lies below U+20000)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = re.findall(r"\d", "".join(map(chr, range(0x80, 0xD800)))
                        + "".join(map(chr, range(0xE000, 0x20000))))
    return bool(pc.all(pc.match_substring_regex(pa.array(digits, pa.string()),
                                                r"^\p{Nd}$")).as_py()) if digits else True


IMPORTER = ServiceNowImporter()
