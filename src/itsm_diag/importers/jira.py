"""Jira Service Management issue-navigator CSV exports ("all fields" and "current fields").

Repeated header names (``Comment``, ``Labels``, ``Components``, link columns) are kept
by position (``Comment``, ``Comment.1``...). Comment cells ``<date>;<author>;<body>``
become comment events; an author equal to the issue's reporter (by account id when the
export has ``Reporter Id``, else by name) is the requester, anyone else an agent; when
authors and reporters are in different identity spaces (account ids vs names) the role
stays unknown. Issue links: ``Inward/Outward issue link (Problem/Incident)`` give
``problem_ref`` (either direction); any link type about causing (``Causes``, ``is caused
by``) gives ``caused_by_change`` in its causing direction only: an incident's inward
``Causes`` link ("is caused by" the change), or a change's outward one (it "causes" the
incident); an incident that causes a change (the fix it prompted) is no change-caused
one. Several chunked exports (the 1,000-issue cap) are combined by the registry, the
latest ``Updated`` winning (without it, the row showing more of the issue's life:
:func:`~.base.repeat_order`). A file without ``Resolved``, ``Updated``, ``Status`` or
``Resolution`` (a "current fields" export) is named in a warning with the columns it
lacks: the export's cut, not fields the workflow leaves empty. (Most all-fields headers
have no ``Status Category``: its absence is no warning.)

Kinds from ``Issue Type``: Incident / Fault / Major incident -> incident; Service
Request (with Approvals) / IT Help / Access / Purchase -> request; Change (any change
type) -> change; Problem -> problem; Task / Sub-task -> task; Epic, Story, Bug,
Post-incident review and anything else -> other (with a warning for unknown types, and
one saying what to do when they are most of the file's). JSM's ITSM template names its
own types ``[System] Incident``, ``[System] Service request``...: read as the bare names.

Category: the first of ``Custom field (Category)``, ``Components`` (the issue's first),
``Labels`` (the issue's first) and ``Custom field (Request Type)`` filled on at least
half of the file's incidents and requests, else the best filled (:func:`_category`);
a Request Type of one value on every issue (JSM's default) only when the others are
empty.

Problem links: an all-fields file that writes issue-link columns writes the
``Problem/Incident`` ones whenever an issue names a problem, so its column map names
``problem_ref`` even when no issue does (:func:`_problem_links_written`): the recurrence
sign then counts its clusters as without a problem record, not unknown.

Project records: an issue of an epic-level type (Epic, Initiative) gains the label
``epic`` / ``initiative`` (unless its labels hold it), and an issue under one the label
``epic:KEY`` (the epic's key): the strategy sign counts both as project work, since the
model keeps no issue type or parent. Under an epic means an ``Epic Link`` (``Custom field
(Epic Link)``), or a ``Parent`` / ``Parent key`` / ``Parent id`` naming an epic-level
issue of the file, or any parent of an issue that is not a sub-task (in Jira's hierarchy a
standard issue's parent is an epic-level one); a sub-task follows its parent issue in the
file. A file holding epics without a Parent or Epic Link column is named in a warning:
the work under its epics cannot be told apart.

Not in a Jira CSV: a close time separate from ``Resolved`` (closed_at stays empty),
reassignment and reopen counts (they need the change history), SLA met (the SLA
fields export as text), and usually the channel.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.importers import values as v
from itsm_diag.importers.base import (
    Detection,
    Imported,
    Importer,
    ImportOptions,
    SourceInfo,
    finish_tickets,
    fold_name,
    head_texts,
    parse_dates,
    require_ids,
    resolve_columns,
    share_matching,
)
from itsm_diag.importers.readers import RawTable
from itsm_diag.importers.roles import comment_roles
from itsm_diag.text import joined, quote

NAME = "jira"
#: the comment/work-log dates, parsed with the date columns (named in error messages)
_COMMENT_AT = "Comment date"

_COLUMNS: dict[str, tuple[str, ...]] = {
    m.TICKET_ID: ("Issue key", "Key"),
    m.SUMMARY: ("Summary",),
    m.STATUS_RAW: ("Status",),
    m.PRIORITY_RAW: ("Priority",),
    m.CATEGORY: ("Custom field (Category)",),
    m.SUBCATEGORY: ("Custom field (Subcategory)",),
    m.SERVICE: ("Custom field (Affected services)", "Custom field (Service)"),
    m.CI: ("Custom field (Configuration item)", "Custom field (Affected hardware)"),
    m.REQUEST_ITEM: ("Custom field (Request Type)", "Custom field (Customer Request Type)",
                     "Request Type"),
    m.ASSIGNMENT_GROUP: ("Custom field (Team)", "Team", "Custom field (Assignment group)",
                         "Custom field (Support group)"),
    m.ASSIGNEE: ("Assignee",),
    m.REQUESTER: ("Reporter",),
    m.CHANNEL_RAW: ("Custom field (Request channel)", "Request channel",
                    "Custom field (Channel)", "Custom field (Source)"),
    m.KNOWLEDGE_REF: ("Custom field (Knowledge article)",),
    "_type": ("Issue Type", "Issue type", "Type"),
    "_resolution": ("Resolution",),
    "_status_category": ("Status Category",),
    "_reporter_id": ("Reporter Id", "Reporter ID"),
    "_assignee_id": ("Assignee Id", "Assignee ID"),
    "_time_spent": ("Time Spent", "Time spent"),
    # the issue hierarchy: which issues are epics' work (the strategy sign's project work)
    "_issue_id": ("Issue id", "Issue ID"),
    "_epic_link": ("Custom field (Epic Link)", "Epic Link"),
    "_parent": ("Parent key", "Parent"),
    "_parent_id": ("Parent id", "Parent ID"),
    # not in Jira's own CSV: itsm-diag pull derives them from the change history
    "_reassignments": ("Custom field (Reassignment count)",),
    "_reopens": ("Custom field (Reopen count)",),
    "_change_type": ("Custom field (Change type)",),
    "_change_outcome": ("Custom field (Change outcome)", "Custom field (Change result)"),
}
#: the columns read under a name of their own that give a canonical field the value
#: they hold (the change type only when some issue is a change; the change outcome, from
#: its own column else the resolution, likewise)
_DERIVED: tuple[tuple[str, str], ...] = (
    ("_reassignments", m.REASSIGNMENT_COUNT), ("_reopens", m.REOPEN_COUNT),
    ("_change_type", m.CHANGE_TYPE))
_DATES: dict[str, tuple[str, ...]] = {
    m.OPENED_AT: ("Created",),
    m.UPDATED_AT: ("Updated",),
    m.RESOLVED_AT: ("Resolved",),
    m.DUE_AT: ("Due date", "Due Date"),
    m.FIRST_RESPONSE_AT: ("Custom field ([CHART] Date of First Response)",),
    m.PLANNED_START: ("Custom field (Change start date)", "Custom field (Planned start)",
                      "Custom field (Planned start date)"),
    m.PLANNED_END: ("Custom field (Change completion date)", "Custom field (Planned end)",
                    "Custom field (Planned end date)"),
    m.ACTUAL_START: ("Custom field (Actual start)", "Custom field (Actual start date)"),
    m.ACTUAL_END: ("Custom field (Actual end)", "Custom field (Actual end date)"),
    # a new starter's first day; Jira Software's own "Start date" is only read on requests
    m.START_DATE: ("Custom field (Employee start date)", "Custom field (New starter start date)",
                   "Custom field (Start date)"),
}

#: the prefix Jira Service Management's ITSM template gives its own issue types
#: (``[System] Incident``, ``[System] Service request with approvals``,
#: ``[System] Post-incident review``...): read as the bare name
_SYSTEM_PREFIX = r"(?i)^\s*\[\s*system\s*\]\s*"
KINDS: dict[str, str] = {
    "incident": "incident", "major incident": "incident", "fault": "incident",
    "service request": "request", "service request with approvals": "request",
    "it help": "request", "access": "request", "purchase": "request", "request": "request",
    "change": "change", "standard change": "change", "normal change": "change",
    "emergency change": "change", "problem": "problem",
    "task": "task", "sub task": "task", "subtask": "task",
    "epic": "other", "story": "other", "bug": "other", "post incident review": "other",
    "improvement": "other", "new feature": "other",
}
STATUSES: dict[str, str] = {
    # the done and given-up labels of localised sites (Fertig, Abgebrochen, Wird nicht
    # erledigt...), shared with the other importers; Jira's own names below win
    **v.DONE_STATUSES, **v.GAVE_UP,
    "open": "new", "to do": "new", "new": "new", "backlog": "new", "awaiting assignment": "new",
    "untriaged": "new", "triage": "new", "selected for development": "new",
    "waiting for support": "open", "in progress": "open", "work in progress": "open",
    "escalated": "open", "investigating": "open", "under investigation": "open",
    "under review": "open", "in review": "open", "review": "open", "peer review": "open",
    "planning": "open", "awaiting implementation": "open", "implementing": "open",
    "scheduled": "open", "reopened": "open", "known error": "open",
    "waiting for customer": "pending", "pending": "pending", "on hold": "pending",
    "waiting for approval": "pending", "awaiting approval": "pending",
    "awaiting cab approval": "pending", "waiting for vendor": "pending",
    "waiting for third party": "pending", "blocked": "pending",
    "resolved": "resolved",
    "closed": "closed", "done": "closed", "completed": "closed", "complete": "closed",
    "failed": "closed",
    "canceled": "cancelled", "cancelled": "cancelled", "declined": "cancelled",
    "rejected": "cancelled", "won't do": "cancelled", "withdrawn": "cancelled",
}
#: epic-level issue types (Jira's hierarchy level 1, and Initiative above it in Premium
#: plans): project records, and the label each one and the issues under it carry
PROJECT_TYPES: dict[str, str] = {"epic": "epic", "initiative": "initiative"}
#: Jira's three status categories, and their names on a localised site (de, fr, es, nl,
#: it, pt)
_CATEGORY_STATUS = {
    "to do": "new", "in progress": "open", "done": "closed",
    "zu erledigen": "new", "in arbeit": "open", "fertig": "closed",
    "à faire": "new", "en cours": "open", "terminé": "closed", "terminée": "closed",
    "por hacer": "new", "en curso": "open", "en progreso": "open", "listo": "closed",
    "te doen": "new", "in uitvoering": "open", "bezig": "open", "gereed": "closed",
    "klaar": "closed", "da fare": "new", "in corso": "open", "completato": "closed",
    "fatto": "closed", "a fazer": "new", "itens pendentes": "new", "em andamento": "open",
    "concluído": "closed", "itens concluídos": "closed",
}
#: the default scheme (Highest..Lowest) and the older one (Blocker..Trivial)
#: JSM request channels (JQL ``request-channel-type``) that name no door the requester
#: used: ``jira``, an issue an agent raised in Jira for them (a call, a chat, a word in
#: the corridor, an e-mail to the agent). Read as no channel, never as ``other``
_AGENT_RAISED = ("jira",)


def _channel(raw: pd.Series, warnings: list[str]) -> pd.Series:
    """The canonical channel of JSM's request channels (``values.CHANNELS``: ``portal``,
    ``anonymousportal``, ``email``, ``api``, chat) with the issues an agent raised in
    Jira left without one, counted in a warning: the door their requester came through
    is not recorded, so they are no evidence of intake outside the official channels,
    nor of intake through them."""
    agent = v.fold(raw).isin(_AGENT_RAISED).to_numpy(dtype=bool, na_value=False)
    kept = raw.where(~agent)
    if agent.any():
        warnings.append(
            f"channel: {int(agent.sum()):,} issues with request channel "
            f"{quote(str(raw[agent].iloc[0]))} were raised by an agent in Jira for their "
            "requester; the door the requester came through is not recorded, so they "
            "carry no channel (map the value under values.channel in a mapping file if "
            "your agents log one door, such as phone)")
    v.note_channels(warnings, kept, v.CHANNELS)
    return v.channel(kept)


_PRIORITY_OLD = {"blocker": 1, "critical": 2, "major": 3, "minor": 4, "trivial": 5}

_KEY_RE = r"^[A-Z][A-Z0-9_]+-\d+$"
_JIRA_DATE_RE = r"^\d{1,2}/[A-Z][a-z]{2}/\d{2}( \d{1,2}:\d{2} [AP]M)?$"
#: Atlassian Cloud account ids (557058:uuid, or 24 hex) and Server/DC user keys
_ACCOUNT_RE = r"^(\d{6}:[0-9a-fA-F-]{20,}|[0-9a-f]{24}|JIRAUSER\d+)$"
_LINK_RE = re.compile(r"^(inward|outward) issue link \((.+)\)(\.\d+)?$", re.I)
#: a link type named by its inward side ("Caused by", "is caused by"): its outward column
#: on an issue says the issue is caused by the linked one
_PASSIVE_RE = re.compile(r"\bcaused by\b")
_STRONG = ("issue key", "issue id", "issue type")
_SUPPORT = ("summary", "project key", "project name", "project type", "reporter", "resolution",
            "status category", "watchers", "sprint", "last viewed", "creator")


def repeated(headers: list[str], name: str) -> list[str]:
    """Headers named ``name`` (a repeated Jira column: ``Comment``, ``Comment.1``...)."""
    pattern = re.compile(rf"^{re.escape(fold_name(name))}(\.\d+)?$")
    return [h for h in headers if pattern.match(fold_name(h))]


class JiraImporter(Importer):
    name = NAME

    def detect(self, raw: RawTable) -> Detection:
        headers = raw.headers
        base = {re.sub(r"\.\d+$", "", fold_name(h)) for h in headers}
        reasons: list[str] = []
        strong = [h for h in _STRONG if h in base]
        score = 0.0
        if "issue key" in base and len(strong) >= 2:
            score = 0.8
            reasons.append(f"Jira headers ({', '.join(strong)})")
        support = [h for h in _SUPPORT if h in base]
        score += 0.02 * len(support)
        if any(h.startswith("custom field (") for h in base):
            score += 0.04
            reasons.append("'Custom field (...)' columns")
        if any(_LINK_RE.match(fold_name(h)) for h in headers):
            score += 0.02
        if len(repeated(headers, "Comment")) > 1 or len(repeated(headers, "Labels")) > 1:
            score += 0.04
            reasons.append("repeated Comment/Labels columns")
        key_col = next((h for h in headers if fold_name(h) in ("issue key", "key")), None)
        if key_col is not None:
            keys = head_texts(raw.frame[key_col])
            if share_matching(keys, _KEY_RE) > 0.9:
                # Jira keys alone (PROJ-123) are evidence, but other tools use such ids too
                score = max(score, 0.45) + 0.1
                reasons.append(f"issue keys like {keys[0]}")
        created = next((h for h in headers if fold_name(h) == "created"), None)
        if created is not None and share_matching(head_texts(raw.frame[created]),
                                                  _JIRA_DATE_RE) > 0.9:
            score += 0.05
            reasons.append("Jira dates (dd/MMM/yy h:mm a)")
        return Detection(NAME, min(score, 1.0), "issues", reasons)

    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        frame = raw.frame
        cols = resolve_columns(raw.headers, _COLUMNS)
        date_cols = resolve_columns(raw.headers, _DATES)
        ids = require_ids(raw, cols.get(m.TICKET_ID), date_cols.get(m.OPENED_AT),
                          tool="Jira", id_label="Issue key", opened_label="Created",
                          hint="export from the issue navigator with 'CSV (all fields)', or "
                               "pass the right --source (or none, to detect the tool)")
        warnings = list(raw.warnings)
        left_out = _left_out({**cols, **date_cols})
        if left_out:
            warnings.append(left_out)
        blank = ids.isna()
        # comment dates are inferred with Created so one file keeps one day/month order
        comment_cells = _cells(frame, repeated(raw.headers, "Comment"), 3)
        work_cells = _cells(frame, repeated(raw.headers, "Log Work"), 4)
        stamps = pd.concat([comment_cells["at"], work_cells["at"]], ignore_index=True)
        date_raw = RawTable(path=raw.path, frame=frame, first_data_row=raw.first_data_row)
        if len(stamps):
            # pad to the frame's length so both columns share one table (and one order)
            extra = stamps.astype(m.STRING_DTYPE).reset_index(drop=True)
            n = max(len(frame), len(extra))
            date_frame = pd.DataFrame({
                **{h: frame[h].reindex(range(n)) for h in dict.fromkeys(date_cols.values())},
                _COMMENT_AT: extra.reindex(range(n)),
            })
            date_raw = RawTable(path=raw.path, frame=date_frame,
                                first_data_row=raw.first_data_row)
            date_cols_all = {**date_cols, _COMMENT_AT: _COMMENT_AT}
        else:
            date_cols_all = dict(date_cols)
        parsed, formats, date_warnings = parse_dates(date_raw, date_cols_all, options)
        warnings.extend(date_warnings)
        comment_at = parsed.pop(_COMMENT_AT, None)
        parsed = {k: s.iloc[: len(frame)].set_axis(frame.index) for k, s in parsed.items()}

        df = pd.DataFrame(index=frame.index)
        for canonical, header in cols.items():
            if canonical in m.TICKET_SCHEMA and m.TICKET_SCHEMA[canonical] == "string":
                df[canonical] = frame[header].astype(m.STRING_DTYPE)
        for canonical, series in parsed.items():
            df[canonical] = series
        kind = self._kinds(frame, cols, warnings)
        df[m.KIND] = kind
        category, category_from = _category(frame, raw.headers, cols, kind)
        if category is not None:
            df[m.CATEGORY] = category
        labels = repeated(raw.headers, "Labels")
        if labels:
            df[m.LABELS] = _join(frame[labels])
        # the Parent column looked up once, for the project tags and the parent incidents
        found = _parents(frame, cols, ids)
        if "_type" in cols:
            tagged = _hierarchy_labels(frame, cols, found, df.get(m.LABELS), kind, warnings)
            if tagged is not None:
                df[m.LABELS] = tagged
        if m.START_DATE in df:
            df[m.START_DATE] = df[m.START_DATE].where(kind == "request")
        df[m.STATUS] = self._status(df, frame, cols, warnings)
        if m.PRIORITY_RAW in df:
            df[m.PRIORITY] = _priority(df[m.PRIORITY_RAW])
            v.note_unmapped(warnings, "priority", df[m.PRIORITY_RAW], df[m.PRIORITY],
                            "left without priority")
        if m.CHANNEL_RAW in df:
            df[m.CHANNEL_RAW] = v.drop_placeholders(df[m.CHANNEL_RAW], warnings)
            df[m.CHANNEL] = _channel(df[m.CHANNEL_RAW], warnings)
        if "_time_spent" in cols:
            secs = v.number(frame[cols["_time_spent"]])
            df[m.TIME_SPENT_HOURS] = v.duration(secs / 3600, frame[cols["_time_spent"]],
                                                warnings)
        for key, count, field in (("_reassignments", m.REASSIGNMENT_COUNT, "reassignment count"),
                                  ("_reopens", m.REOPEN_COUNT, "reopen count")):
            if key in cols:
                # counts only: a cast would cut 2.5 to 2 and wrap 9999999999 round
                df[count] = v.read_count(frame[cols[key]], warnings, field)
        change = (kind == "change").to_numpy()
        if "_change_type" in cols:
            raw_type = frame[cols["_change_type"]].astype(m.STRING_DTYPE).where(change)
            df[m.CHANGE_TYPE_RAW] = raw_type
            df[m.CHANGE_TYPE] = v.map_vocab(raw_type, v.CHANGE_TYPES)
            v.note_unmapped(warnings, "change type", raw_type, df[m.CHANGE_TYPE],
                            "left empty")
        outcome = pd.Series(None, index=frame.index, dtype="object")
        for key in ("_change_outcome", "_resolution"):
            if key in cols:
                read = v.map_vocab(frame[cols[key]], v.CHANGE_OUTCOMES)
                if key == "_change_outcome":  # a resolution's words say no outcome
                    read = v.change_outcome_words(frame[cols[key]], read)
                outcome = outcome.fillna(read)
        outcome = outcome.where(change)
        if "_change_outcome" in cols:
            # the outcome's own column (a resolution also says Done, read by the status)
            raw_outcome = frame[cols["_change_outcome"]].astype(m.STRING_DTYPE).where(change)
            df[m.CHANGE_OUTCOME_RAW] = raw_outcome
            v.note_unmapped(warnings, "change outcome", raw_outcome, outcome, "left empty")
        outcome = outcome.mask(change & (df[m.STATUS] == "cancelled").fillna(False).to_numpy()
                               & outcome.isna().to_numpy(), "cancelled")
        df[m.CHANGE_OUTCOME] = outcome
        # the fields made from a column read under a name of its own (status and channel
        # show through their *_raw entries): named by the column that fed them
        derived = {canon: cols[key] for key, canon in _DERIVED if key in cols}
        if change.any():
            for key in ("_change_outcome", "_resolution"):
                if key in cols:
                    derived.setdefault(m.CHANGE_OUTCOME, cols[key])
        else:
            derived.pop(m.CHANGE_TYPE, None)
        if category_from is not None:
            derived[m.CATEGORY] = category_from
        df[m.PROBLEM_REF], df[m.CAUSED_BY_CHANGE] = _links(frame, raw.headers, df[m.TICKET_ID],
                                                           kind)
        parents = _parent_incidents(found, kind)
        if parents is not None:
            df[m.PARENT_REF] = parents
            derived[m.PARENT_REF] = cols.get("_parent", cols.get("_parent_id", ""))
        written = _problem_links_written(frame, raw.headers, left_out is None)
        if written is not None:
            derived[m.PROBLEM_REF] = written

        events = _events(comment_cells, work_cells, comment_at, frame, cols, ids, warnings)
        rows = len(frame)
        tickets = finish_tickets(df, blank, raw, NAME, "Issue key", warnings)
        info = SourceInfo(
            path=raw.label, tool=NAME, table="issues", rows=rows,
            tickets=int(tickets[m.TICKET_ID].nunique()),
            confidence=round(detection.score, 2), detected_by="; ".join(detection.reasons),
            encoding=raw.encoding, delimiter=raw.delimiter,
            date_formats={h: f for h, f in formats.items() if h != _COMMENT_AT},
            column_map={**{k: h for k, h in {**cols, **date_cols}.items()
                           if k in m.TICKET_SCHEMA}, **derived},
            warnings=warnings,
        )
        return Imported(tickets=tickets, events=m.conform_events(events), info=info)

    @staticmethod
    def _kinds(frame: pd.DataFrame, cols: dict[str, str], warnings: list[str]) -> pd.Series:
        if "_type" not in cols:
            warnings.append("no Issue Type column: ticket kinds are unknown (add Issue Type "
                            "to the export)")
            return pd.Series(None, index=frame.index, dtype="object")
        raw_type = frame[cols["_type"]]
        kind = v.map_vocab(_type_names(raw_type), KINDS)
        v.note_unmapped(warnings, "issue type", raw_type, kind, "counted as 'other'")
        _note_mostly_other(warnings, raw_type, kind)
        return kind.where(kind.notna() | raw_type.isna(), "other")

    @staticmethod
    def _status(df: pd.DataFrame, frame: pd.DataFrame, cols: dict[str, str],
                warnings: list[str]) -> pd.Series:
        if m.STATUS_RAW not in df:
            return pd.Series(None, index=df.index, dtype="object")
        raw = df[m.STATUS_RAW]
        read = v.map_vocab(raw, STATUSES)
        status = read
        if "_status_category" in cols:
            by_category = v.map_vocab(frame[cols["_status_category"]], _CATEGORY_STATUS)
            placed = (read.isna() & raw.notna() & by_category.notna()).to_numpy(dtype=bool)
            if placed.any():
                # a workflow status the vocabulary does not know, placed by its category:
                # named, as one read by its done time is (a done one may be a cancellation)
                counts = by_category[placed].value_counts()
                v.note_unmapped(warnings, "status", raw.where(placed), read,
                                "placed by their Status Category: " + ", ".join(
                                    f"{s} ({int(counts[s]):,})" for s in m.STATUSES
                                    if s in counts.index))
            status = status.fillna(by_category)
        # workflow-specific statuses: a resolution date means the issue was resolved
        # (Jira exports no close time), counted in a warning naming them
        status = v.done_by_time(status, raw, df.get(m.RESOLVED_AT), None, warnings)
        if "_resolution" in cols:
            # Won't Do, Declined, Duplicate... (and their localised names): given up
            status = v.gave_up(frame[cols["_resolution"]], status, warnings, None)
        v.note_unmapped(warnings, "status", raw, status, "left without status")
        df[m.STATUS_INFERRED] = v.inferred(raw, read, status)
        return status


#: columns every "CSV (all fields)" export holds (the real all-fields headers: the JSM
#: importer's and the fixture's of the reference, and newer Cloud ones), that a "current
#: fields" export (or an admin's column choice) may leave out, and what the file's issues
#: lose without each. ``Status Category`` is not among them: most all-fields headers do
#: not carry it, so its absence says nothing of the export's kind
_ALL_FIELDS: tuple[tuple[str, str, str], ...] = (
    (m.RESOLVED_AT, "Resolved", "its issues have no done time (the KPIs that need one count "
                                "them as not exported, not as left empty by the workflow)"),
    (m.UPDATED_AT, "Updated", "its issues have no update time (an issue also in another "
                              "file is kept by what its rows show of it)"),
    (m.STATUS_RAW, "Status", "its issues have no status"),
    ("_resolution", "Resolution", "a won't-do issue reads as done"),
)


def _left_out(found: dict[str, str]) -> str | None:
    """The warning naming the columns of an "all fields" export this file does not have
    (``found``: the columns resolved, canonical -> header), None when it has them all: a
    column a whole file lacks is the export's cut, not a field the workflow leaves empty.
    """
    missing = [(header, loses) for key, header, loses in _ALL_FIELDS if key not in found]
    if not missing:
        return None
    names = [h for h, _ in missing]
    named = joined(names, "or")
    return (f"no {named} column in this file (an export of the current fields, or columns "
            "left out): " + "; ".join(f"without {h}, {loses}" for h, loses in missing)
            + ". Export with 'CSV (all fields)' to read them")


class _Parents(NamedTuple):
    """Each issue's place in this file's hierarchy, looked up once for both readers of
    the Parent column (the project tags and the parent incidents)."""

    #: each issue's key, trimmed
    keys: pd.Series
    #: row of the issue a reference names, by issue key or issue id (a Cloud export's
    #: Parent may hold either), the first row of each
    position: pd.Series
    #: each issue's Parent (``Parent key``, else ``Parent id``), NA where none; None
    #: when the export has no Parent column
    ref: pd.Series | None
    #: the row ``ref`` names, -1 when not in this file (None with ``ref``)
    at: np.ndarray | None


def _column(frame: pd.DataFrame, cols: dict[str, str], key: str) -> pd.Series | None:
    """The trimmed text of a role's column, blank as NA; None when the export lacks it."""
    if key not in cols:
        return None
    text = frame[cols[key]].astype(m.STRING_DTYPE).str.strip()
    return text.mask(text == "")


def _parents(frame: pd.DataFrame, cols: dict[str, str], keys: pd.Series) -> _Parents:
    """The file's :class:`_Parents`, with no per-row loop."""
    key_text = keys.astype(m.STRING_DTYPE).str.strip()
    n = len(frame)
    by_ref = [pd.Series(np.arange(n), index=key_text.to_numpy(dtype=object))]
    issue_id = _column(frame, cols, "_issue_id")
    if issue_id is not None:
        by_ref.append(pd.Series(np.arange(n), index=issue_id.to_numpy(dtype=object)))
    position = pd.concat(by_ref)
    position = position[position.index.notna() & ~position.index.duplicated()]
    parent, parent_id = _column(frame, cols, "_parent"), _column(frame, cols, "_parent_id")
    ref = parent if parent is not None else parent_id
    if parent is not None and parent_id is not None:
        ref = parent.fillna(parent_id)
    at = None if ref is None else _rows_named(ref, position)
    return _Parents(keys=key_text, position=position, ref=ref, at=at)


def _rows_named(ref: pd.Series, position: pd.Series) -> np.ndarray:
    """Row of the issue each of ``ref`` names, -1 when not in this file."""
    return ref.astype(object).map(position).fillna(-1).to_numpy(dtype=np.int64)


def _parent_incidents(found: _Parents, kind: pd.Series) -> pd.Series | None:
    """``parent_ref`` of the incidents whose ``Parent`` (``Parent key``, else ``Parent
    id``) is an incident of this file: its issue key. An incident's parent is otherwise
    an epic (Jira's hierarchy) and a sub-task is no incident, so only a parent found in
    the file as an incident makes a child incident. None when no incident has one."""
    if found.ref is None or found.at is None:
        return None
    incident = (kind == "incident").fillna(False).to_numpy(dtype=bool)
    at = found.at
    child = incident & (at >= 0)
    child[child] = incident[at[child]]
    if not child.any():
        return None
    out = pd.Series(pd.NA, index=kind.index, dtype=m.STRING_DTYPE)
    out[child] = found.keys.to_numpy(dtype=object)[at[child]]
    return out


def _hierarchy_labels(frame: pd.DataFrame, cols: dict[str, str], found: _Parents,
                      labels: pd.Series | None, kind: pd.Series, warnings: list[str]
                      ) -> pd.Series | None:
    """The labels with the project-record tags (see the module doc): ``epic`` on an
    epic-level issue, ``epic:KEY`` on an issue under one; and the step tags
    (:data:`~itsm_diag.model.STEP_OF_TAGS`): ``incident:KEY`` / ``request:KEY`` on a
    sub-task whose parent in the file is an incident / request (its work is that ticket's),
    ``parent:KEY`` on a sub-task whose parent the file does not hold; None when no issue
    gets one. Parents are looked up in this file, by issue key or issue id, with no
    per-row loop."""
    n = len(frame)
    folded = v.fold(_type_names(frame[cols["_type"]]))
    level = folded.map(PROJECT_TYPES).astype("object")
    project = level.notna().to_numpy(dtype=bool)
    subtask = folded.str.contains(r"sub ?task", regex=True).fillna(False).to_numpy(dtype=bool)

    epic_link = _column(frame, cols, "_epic_link")
    ref, parent_at = found.ref, found.at
    linked = epic_link is not None or ref is not None
    tag = pd.Series(None, index=frame.index, dtype="object")
    steps = np.zeros(n, dtype=bool)
    step_tag = np.empty(0, dtype=object)
    unseen = np.zeros(n, dtype=bool)
    if linked:
        key_of = found.keys.to_numpy(dtype=object)
        level_of = level.to_numpy(dtype=object)
        if ref is not None and parent_at is not None:
            at = parent_at
            known = at >= 0
            # the parent's level where the file holds it; else Jira's hierarchy: a
            # standard issue's parent is an epic-level issue, a sub-task's is not
            parent_level = np.full(n, None, dtype=object)
            parent_level[known] = level_of[at[known]]
            parent_level[~known & ref.notna().to_numpy(dtype=bool) & ~subtask] = "epic"
            parent_key = np.where(known, key_of[np.maximum(at, 0)], ref.to_numpy(dtype=object))
            under = np.asarray(pd.notna(parent_level), dtype=bool)
            tag[under] = (pd.Series(parent_level[under], dtype=m.STRING_DTYPE) + ":"
                          + pd.Series(parent_key[under], dtype=m.STRING_DTYPE)).to_numpy(
                dtype=object)
            # a sub-task of an incident or request of the file is a step of that ticket's
            # work (operational, whatever epic its parent sits under); one whose parent
            # the file does not hold is named as such: its work cannot be placed
            kind_of = kind.astype("object").to_numpy(dtype=object)
            parent_kind = np.full(n, None, dtype=object)
            parent_kind[known] = kind_of[at[known]]
            steps = subtask & ~under & np.isin(parent_kind, m.STEP_OF_TAGS)
            step_tag = (pd.Series(parent_kind[steps], dtype=m.STRING_DTYPE) + ":"
                        + pd.Series(parent_key[steps], dtype=m.STRING_DTYPE)).to_numpy(
                dtype=object)
            unseen = subtask & ~known & ref.notna().to_numpy(dtype=bool)
        if epic_link is not None:
            at = _rows_named(epic_link, found.position)
            link_key = np.where(at >= 0, key_of[np.maximum(at, 0)],
                                epic_link.to_numpy(dtype=object))
            filled = epic_link.notna().to_numpy()
            tag[filled] = ("epic:" + pd.Series(link_key[filled], dtype=m.STRING_DTYPE)
                           ).to_numpy(dtype=object)
        if steps.any():
            tag[steps] = step_tag
        if parent_at is not None:
            # a sub-task under a story under an epic: the story's tag, one level up (a
            # step of an incident or request keeps its own)
            inherit = tag.isna().to_numpy() & (parent_at >= 0)
            tag[inherit] = tag.to_numpy(dtype=object)[parent_at[inherit]]
        # a sub-task without an epic link whose parent is not in the file
        unseen &= tag.isna().to_numpy()
        if unseen.any() and ref is not None:
            tag[unseen] = (f"{m.PARENT_UNSEEN_TAG}:" + pd.Series(
                ref.to_numpy(dtype=object)[unseen], dtype=m.STRING_DTYPE)).to_numpy(
                dtype=object)
    elif project.any():
        warnings.append(
            f"{int(project.sum()):,} epic-level issues ({', '.join(sorted(set(level[project])))})"
            " but no Parent or Epic Link column: the issues under them cannot be told from "
            "other work (the strategy sign counts only the epics themselves as project "
            "work); export the Parent (or Epic Link) column too")
    tag = tag.where(~project, level)
    if tag.isna().all():
        return None
    token = tag.astype(m.STRING_DTYPE).str.replace(r"[;\s]+", "-", regex=True)
    have = labels if labels is not None else pd.Series(pd.NA, index=frame.index,
                                                       dtype=m.STRING_DTYPE)
    have = have.astype(m.STRING_DTYPE)
    # an epic already labelled "epic" keeps its labels as they are
    held = pd.Series(False, index=frame.index)
    for name in set(level.dropna()):
        held |= ((level == name).to_numpy(dtype=bool)
                 & have.str.contains(rf"(?i)(?:^|;)\s*{re.escape(name)}\s*(?:;|$)",
                                     regex=True).fillna(False).to_numpy(dtype=bool))
    add = token.notna().to_numpy(dtype=bool) & ~held.to_numpy(dtype=bool)
    if not add.any():
        return None
    joined = (have.fillna("") + ";" + token.fillna("")).str.strip(";")
    out = have.where(~add, joined)
    added_epics = int((add & project).sum())
    added_under = int((add & ~project & ~steps & ~unseen).sum())
    types = ", ".join(sorted(set(level[add & project])))
    parts = ([f"{added_epics:,} epic-level issues the label of their type ({types})"]
             if added_epics else []) + (
        [f"{added_under:,} issues under an epic the label epic:KEY"] if added_under else [])
    if parts:
        warnings.append(
            f"project records: {' and '.join(parts)}, so the strategy sign counts them as "
            "project work (the model keeps no issue type or parent)")
    if steps.any():
        by_kind = pd.Series(tag[steps].to_numpy(dtype=object)).str.split(":").str[0]
        counts = by_kind.value_counts()
        named = " and ".join(f"{int(counts[k]):,} of {k}s (label {k}:KEY)"
                             for k in m.STEP_OF_TAGS if k in counts.index)
        warnings.append(
            f"sub-tasks of an incident or request in this file: {named}; the strategy "
            "sign counts them as their parent's work, operational (the model keeps no "
            "issue type or parent)")
    if unseen.any():
        warnings.append(
            f"{int(unseen.sum()):,} sub-tasks name a Parent that is not in this file (label "
            f"{m.PARENT_UNSEEN_TAG}:KEY): whether they are steps of incidents or requests "
            "(operational work) or of other work cannot be told; the strategy sign judges "
            "them by their own words like other tasks and says whether its verdict "
            "depends on them. "
            "Export their parent issues in the same file")
    return out


@v.per_value
def _type_names(raw: pd.Series) -> pd.Series:
    """The Issue Type values without JSM's ``[System]`` prefix (:data:`_SYSTEM_PREFIX`)."""
    return raw.astype(m.STRING_DTYPE).str.replace(_SYSTEM_PREFIX, "", regex=True)


#: the Issue Type values the mostly-other note names (most frequent first)
_TYPES_NAMED = 5


def _note_mostly_other(warnings: list[str], raw_type: pd.Series, kind: pd.Series) -> None:
    """When most of the file's issues with a type have one outside :data:`KINDS` (they
    count as 'other', which no sign reads as an incident, request, change or problem),
    a warning saying what to do, naming those types."""
    typed = raw_type.notna().to_numpy(dtype=bool)
    unknown = typed & kind.isna().to_numpy(dtype=bool)
    n, total = int(unknown.sum()), int(typed.sum())
    if not n or 2 * n <= total:
        return
    counts = raw_type[unknown].astype(m.STRING_DTYPE).str.strip().value_counts()
    named = ", ".join(f"'{name}' ({int(c):,})" for name, c in counts.head(_TYPES_NAMED).items())
    if len(counts) > _TYPES_NAMED:
        named += f" and {len(counts) - _TYPES_NAMED:,} more"
    first = str(counts.index[0]).replace("'", "''")
    warnings.append(
        f"most of this file's issues ({n:,} of {total:,}) have an Issue Type outside Jira's "
        f"vocabulary ({named}): they count as kind 'other', so no sign reads them as "
        "incidents, requests, changes or problems. Rename those types in the file's Issue "
        "Type column to Incident, Service Request, Change, Problem or Task, or read the file "
        "with a mapping file (--mapping; README, 'Any other tool: mapping files') that maps "
        "kind to the Issue Type column and gives each of those types its kind under "
        f"values.kind ('{first}': incident, and so on); a mapping file reads only the "
        "columns it names (not the Jira comments or issue links)")


def _one_value(text: pd.Series, scope: np.ndarray) -> bool:
    """Whether ``text`` (trimmed, blank as <NA>) holds one distinct value on the
    ``scope`` rows that fill it (False when none does)."""
    return bool(text[scope].nunique() == 1)


def _category(frame: pd.DataFrame, headers: list[str], cols: dict[str, str],
              kind: pd.Series) -> tuple[pd.Series | None, str | None]:
    """The category and the column it comes from (a repeated column's family, named as
    such): the first of ``Custom field (Category)``, ``Components`` (``Component/s``;
    the issue's first), ``Labels`` (the issue's first label) and ``Custom field (Request
    Type)`` filled on at least half of the file's incidents and requests (of all its
    issues when it has none), else the best filled of them (the first on a tie); the
    first of them, blank, when all are empty; (None, None) when the file has none.

    A Request Type holding one value on every incident and request that has one (JSM's
    default, "Get IT help", on a desk that set up no request types of its own) classifies
    nothing: it is not read as the category when one of the other columns holds a value,
    however few (a category field filled on 30% is the desk's own classification, and a
    gap named as such; the one default would show one bar). Alone, it is read, and the
    reporting sign judges it (one value on nearly every ticket is no breakdown)."""
    families: list[str] = []
    if m.CATEGORY in cols:
        families.append(cols[m.CATEGORY])
    named: dict[str, str] = {}
    for name in ("Components", "Component/s", "Labels"):
        found = repeated(headers, name)
        if found:
            families.append(found[0])
            if len(found) > 1:
                # the column map names the family (a repeated header read is otherwise
                # warned about as a column kept twice by mistake)
                named[found[0]] = f"{name} (the issue's first, of {len(found)} columns)"
    scope = kind.isin(["incident", "request"]).to_numpy(dtype=bool)
    if not scope.any():
        scope = np.ones(len(frame), dtype=bool)
    texts: dict[str, pd.Series] = {}

    def trimmed(header: str) -> pd.Series:
        # each column trimmed once, blank as <NA>, for the test and the choice alike
        if header not in texts:
            text = frame[header].astype(m.STRING_DTYPE).str.strip()
            texts[header] = text.mask(text == "")
        return texts[header]

    request_type = cols.get(m.REQUEST_ITEM)
    if request_type is not None and not (
            families and _one_value(trimmed(request_type), scope)
            and any(trimmed(h)[scope].notna().any() for h in families)):
        families.append(request_type)
    best: tuple[float, str | None] = (0.0, None)
    for header in dict.fromkeys(families):
        text = trimmed(header)
        share = float(text.notna().to_numpy(dtype=bool)[scope].mean())
        if share >= 0.5:
            return text, named.get(header, header)
        if share > best[0]:
            best = (share, header)
    # empty on every issue: the first column, blank (the header has the field: an empty
    # category is the workflow's, not the export's)
    chosen = best[1] if best[1] is not None else next(iter(families), None)
    if chosen is None:
        return None, None
    return trimmed(chosen), named.get(chosen, chosen)


def _problem_links_written(frame: pd.DataFrame, headers: list[str],
                           all_fields: bool) -> str | None:
    """What ``problem_ref`` is read from when the file shows which issues name a problem,
    None when it cannot. A "CSV (all fields)" export (its :data:`_ALL_FIELDS` columns
    present) writes one column for each link type and direction some exported issue has
    (a link to an issue outside the export too), so a file that writes issue-link
    columns, some issue's link in them, writes the ``Problem/Incident`` ones whenever an
    issue names a problem: without them, none does. A file without link columns (a
    "current fields" export, or issue linking turned off) shows nothing either way, nor
    does one whose link columns hold no link at all (no export of Jira's writes an empty
    one: a file made or re-saved by something else)."""
    links = [(h, hit.group(2)) for h in headers if (hit := _LINK_RE.match(fold_name(h)))]
    if not all_fields or not links:
        return None
    if not any(frame[h].notna().any() for h, _ in links):
        return None
    # named as the column family, not one of its repeated headers (a repeated header
    # read is otherwise warned about as a column kept twice by mistake)
    if any("problem" in link_type for _, link_type in links):
        return "Inward/Outward issue link (Problem/Incident)"
    return "issue-link columns (no Problem/Incident link written)"


def _priority(raw: pd.Series) -> pd.Series:
    """Highest..Lowest (default) or Blocker..Trivial (older scheme) -> 1..5."""
    folded = v.fold(raw)
    if folded.isin(["blocker", "major", "minor", "trivial"]).any():
        old = folded.map(_PRIORITY_OLD)
        return pd.to_numeric(old, errors="coerce").astype("Int8").fillna(v.priority(raw))
    return v.priority(raw)


def _join(frame: pd.DataFrame) -> pd.Series:
    """Repeated columns (Labels, Labels.1, ...) -> one ``;``-joined value per row."""
    acc = frame.iloc[:, 0].astype(m.STRING_DTYPE).fillna("")
    for col in frame.columns[1:]:
        acc = acc + ";" + frame[col].astype(m.STRING_DTYPE).fillna("")
    out = acc.str.replace(r";{2,}", ";", regex=True).str.strip(";")
    return out.mask(out == "")


def _filled(values: pd.Series) -> tuple[np.ndarray, Any]:
    """The filled (non-null) cells of a column: their positions, and their values as an
    Arrow string array (Arrow-backed text) or an object array. Read from the Arrow
    validity bitmap, without touching an empty column's cells (a repeated Jira column is
    mostly or wholly empty), and filtered chunk by chunk (a take would first join the
    column's chunks into one copy)."""
    none = np.zeros(0, dtype=np.int64)
    if m.is_arrow_text(values):
        import pyarrow.compute as pc

        text = values.array.__arrow_array__()
        nulls = text.null_count
        if nulls == len(text):
            return none, None
        if nulls == 0:
            return np.arange(len(text), dtype=np.int64), text
        valid = pc.is_valid(text)
        where = np.flatnonzero(valid.to_numpy(zero_copy_only=False)).astype(np.int64)
        return where, text.filter(valid)
    where = np.flatnonzero(values.notna().to_numpy(dtype=bool)).astype(np.int64)
    return (where, values.iloc[where].to_numpy(dtype=object)) if len(where) else (none, None)


def _objects(cells: Any) -> np.ndarray:
    """:func:`_filled`'s values as an object array (Python strings)."""
    if isinstance(cells, np.ndarray):
        return cells
    return np.asarray(cells.to_numpy(zero_copy_only=False), dtype=object)


def _long(frame: pd.DataFrame, headers: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """The filled cells of the repeated columns ``headers``, column by column (as a melt
    and a dropna would order them): their rows, their column's position in ``headers``
    and, a column a part, their values (:func:`_filled`). Only filled cells are read: an
    issue with 2,000 links or 1,500 comments gives every row that many columns, nearly
    all empty."""
    rows, poses, cells = [], [], []
    for pos, h in enumerate(headers):
        where, values = _filled(frame[h])
        if len(where):
            rows.append(where)
            poses.append(np.full(len(where), pos, dtype=np.int64))
            cells.append(values)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    return np.concatenate(rows), np.concatenate(poses), cells


#: a cell's date, author and the rest, as ``str.split(";", n=parts - 1)`` cuts a cell
#: :func:`_cells` calls shaped: ``rest`` is the last part (3 parts: after the second
#: ``;``; 4 parts, a Log Work cell: after the third, empty when there is none)
_CELL_PARTS = {
    3: r"(?s)^(?P<at>[^;\n]{6,40});(?P<author>[^;\n]*);(?P<rest>.*)$",
    4: r"(?s)^(?P<at>[^;\n]{6,40});(?P<author>[^;\n]*);(?:[^;]*;(?P<rest>.*)|[^;]*)$",
}


def _cells(frame: pd.DataFrame, headers: list[str], parts: int) -> pd.DataFrame:
    """``<date>;<author>;<rest>`` cells of repeated columns, one row per cell.

    ``row`` is the frame position; cells that do not start with a date and an author
    keep their whole text as ``body``. Only the filled cells are read (an issue with
    1,500 comments gives every row 1,500 Comment columns), and they are cut by Arrow
    kernels, not one Python ``str.split`` per cell.
    """
    empty = pd.DataFrame({"row": pd.Series([], dtype="int64"),
                          "at": pd.Series([], dtype=m.STRING_DTYPE),
                          "author": pd.Series([], dtype=m.STRING_DTYPE),
                          "body": pd.Series([], dtype=m.STRING_DTYPE)})
    row, pos_of, cells = _long(frame, headers)
    if not cells:
        return empty
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = [chunk for values in cells for chunk in _arrow_text(values)]
    # row by row, each row's cells in column order (a (row, pos) pair is unique)
    order = np.lexsort((pos_of, row))
    text = pa.chunked_array(texts, type=pa.large_string()).combine_chunks().take(
        pa.array(order))
    cell = pd.Series(pd.arrays.ArrowStringArray(text)).astype(m.STRING_DTYPE)
    # the body may itself hold ';' and newlines: cut at the first separators only; a
    # cell is shaped when it starts with a date and an author (``^[^;\n]{6,40};[^;\n]*;``,
    # the patterns' head: what follows it matches any rest)
    found = pc.extract_regex(text, _CELL_PARTS[parts])
    shaped = pd.Series(pc.is_valid(found).to_numpy(zero_copy_only=False), index=cell.index)

    def part(name: str) -> pd.Series:
        return pd.Series(pd.arrays.ArrowStringArray(pc.struct_field(found, name)),
                         index=cell.index).astype(m.STRING_DTYPE)
    # Log Work cells are <date>;<author>;<seconds>;<comment>: the comment is the text
    body = part("rest").fillna("")
    return pd.DataFrame({
        "row": row[order],
        # the typed arrays, not object arrays of Python strings (three a cell)
        "at": part("at").where(shaped).str.strip().array,
        "author": part("author").where(shaped).str.strip().array,
        "body": body.where(shaped, cell).str.strip().array,
    }).astype({"at": m.STRING_DTYPE, "author": m.STRING_DTYPE, "body": m.STRING_DTYPE})


def _arrow_text(cells: Any) -> Any:
    """:func:`_filled`'s values as Arrow large_string chunks."""
    import pyarrow as pa

    if isinstance(cells, np.ndarray):  # not Arrow-backed: typed as the model's text
        cells = pd.Series(cells, dtype=m.STRING_DTYPE).array.__arrow_array__()
    chunks = cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]
    return [c.cast(pa.large_string()) for c in chunks]


def _events(
    comments: pd.DataFrame,
    work: pd.DataFrame,
    stamps: pd.Series | None,
    frame: pd.DataFrame,
    cols: dict[str, str],
    ids: pd.Series,
    warnings: list[str],
) -> pd.DataFrame:
    """Comment and work-log cells -> events; comment roles by
    :func:`~itsm_diag.importers.roles.comment_roles` (the reporter: requester)."""
    if stamps is None or (comments.empty and work.empty):
        return m.empty_events()
    at = stamps.reset_index(drop=True)
    both = pd.concat([comments.assign(kind="comment"), work.assign(kind="worklog")],
                     ignore_index=True)
    # the typed array itself: ``to_numpy()`` of a zone-aware column is one Python
    # Timestamp a cell (4M of them for 2M comments), which the frame converts back
    both = both.assign(at=at.iloc[: len(both)].array)
    author = both["author"]
    # match authors to reporters in the same identity space (account ids or names)
    ids_like = author.dropna().str.match(_ACCOUNT_RE).mean() > 0.5 if author.notna().any() \
        else False
    rep_key = "_reporter_id" if ids_like and "_reporter_id" in cols else m.REQUESTER
    agent_key = "_assignee_id" if rep_key == "_reporter_id" else m.ASSIGNEE
    rows = both["row"].to_numpy()
    reporter = None
    if rep_key in cols:
        reporters = frame[cols[rep_key]].astype(m.STRING_DTYPE)
        reporter = pd.Series(reporters.array.take(rows), index=both.index)
    assignees = frame[cols[agent_key]] if agent_key in cols else None
    if rep_key == "_reporter_id" and m.ASSIGNEE in cols and m.REQUESTER in cols:
        # an export with Reporter Id but no Assignee Id: an assignee's account id from
        # the (Reporter, Reporter Id) pairs, where the agent raised a ticket themselves
        pairs = pd.DataFrame({"name": frame[cols[m.REQUESTER]].astype(m.STRING_DTYPE),
                              "id": frame[cols[rep_key]].astype(m.STRING_DTYPE)}).dropna()
        named = frame[cols[m.ASSIGNEE]].astype(m.STRING_DTYPE).map(
            pairs.drop_duplicates("name").set_index("name")["id"])
        assignees = named if assignees is None else pd.concat(
            [assignees.astype(m.STRING_DTYPE), named], ignore_index=True)
    # work logs are agents' time entries whoever wrote them; a comment's role by the one
    # rule every importer follows (importers.roles)
    role = comment_roles(author, reporter, (both["kind"] == "worklog").to_numpy(dtype=bool),
                         assignees, warnings,
                         requester_label="Reporter",
                         hint="export with Reporter Id to tell requesters from agents")
    # typed arrays taken as they are (an object array is a Python object a cell)
    return pd.DataFrame({
        m.EV_TICKET_ID: ids.iloc[rows].array,
        m.EV_AT: both["at"].array,
        m.EV_KIND: both["kind"].to_numpy(),
        m.EV_AUTHOR_ROLE: role.to_numpy(),
        m.EV_AUTHOR: author.array,
        m.EV_VALUE: both["body"].array,
    }).loc[lambda e: e[m.EV_TICKET_ID].notna()]


def _links(frame: pd.DataFrame, headers: list[str], keys: pd.Series,
           kind: pd.Series) -> tuple[pd.Series, pd.Series]:
    """problem_ref and caused_by_change from issue-link columns (both directions)."""
    found: dict[str, list[tuple[str, str]]] = {"problem": [], "change": []}
    for h in headers:
        hit = _LINK_RE.match(fold_name(h))
        if not hit:
            continue
        direction, link_type = hit.group(1), hit.group(2)
        if "problem" in link_type:
            found["problem"].append((h, direction))
        elif "caus" in link_type:
            found["change"].append((h, direction))
    key_kind = pd.Series(kind.to_numpy(), index=keys.to_numpy()).groupby(level=0).first()
    out = []
    for target, family in found.items():
        out.append(_pick_link(frame, family, keys, kind, key_kind, target))
    return out[0], out[1]


def _pick_link(frame: pd.DataFrame, family: list[tuple[str, str]], keys: pd.Series,
               kind: pd.Series, key_kind: pd.Series, target: str) -> pd.Series:
    """The ``target`` issue (a problem, a change) each issue is linked to by ``family``'s
    columns, filled from the target's side where the issue does not name it.

    A change link has a direction: an incident's ``Inward issue link (Causes)`` says it
    "is caused by" the change, its ``Outward`` one that it "causes" the change (the fix it
    prompted), which is no change-caused incident; from the change's side, its outward
    link is the incident it caused. A link type named in the passive (``Caused by``,
    ``is caused by``) reads the other way round. A problem link is kept either way, to a
    problem of the file or to an issue the file does not hold (a file of incidents only):
    an incident "causes" its problem as much as the problem "causes" it (JSM desks write
    both), and the problem names the incidents it covers."""
    result = pd.Series(pd.NA, index=frame.index, dtype=m.STRING_DTYPE)
    if not family:
        return result
    row, pos, cells = _long(frame, [h for h, _ in family])
    inward = np.array([direction == "inward" for _, direction in family], dtype=bool)
    # the column says "this issue is caused by the linked one" (inward of an active type)
    passive = np.array([bool(_PASSIVE_RE.search(fold_name(h))) for h, _ in family],
                       dtype=bool)
    caused_by = inward != passive
    long = pd.DataFrame({
        "row": row, "pos": pos, "inward": inward[pos], "caused_by": caused_by[pos],
        "key": (np.concatenate([_objects(values) for values in cells]) if cells
                else np.zeros(0, dtype=object)),
    })
    long["linked"] = long["key"].map(key_kind)
    long["own"] = kind.to_numpy(dtype=object)[long["row"].to_numpy()]
    long["own_key"] = keys.to_numpy(dtype=object)[long["row"].to_numpy()]
    directed = target == "change"
    # this issue points at a problem/change: known kind first, else the inward direction
    # ("is caused by"), the side an incident shows; a change only in its causing direction.
    # A problem link to an issue outside the file is kept either way too: a
    # Problem/Incident link written from the incident's side names its problem whichever
    # way the agent linked (the inward one first, where an issue has both)
    toward = long["caused_by"] if directed else pd.Series(True, index=long.index)
    unseen = long["linked"].isna() & (long["caused_by"] | (not directed))
    fwd = long[(long["own"] != target) & toward & ((long["linked"] == target) | unseen)]
    fwd = fwd.assign(rank=np.where(fwd["linked"] == target, 0,
                                   np.where(fwd["caused_by"], 1, 2)))
    fwd = fwd.sort_values(["row", "rank", "pos"], kind="stable").drop_duplicates("row")
    result.iloc[fwd["row"].to_numpy()] = fwd["key"].to_numpy()
    # the problem/change side lists its incidents: fill issues that did not link back (a
    # change's "causes" link only: "is caused by" an incident is the change it prompted)
    away = ~long["caused_by"] if directed else pd.Series(True, index=long.index)
    back = long[(long["own"] == target) & (long["linked"] != target) & long["linked"].notna()
                & away]
    if len(back):
        by_key = back.drop_duplicates("key").set_index("key")["own_key"]
        fill = keys.map(by_key).astype(m.STRING_DTYPE)
        result = result.fillna(fill.where((kind != target).fillna(True).to_numpy()))
    return result


IMPORTER = JiraImporter()
