"""Zendesk Support exports: the admin CSV export, API / incremental-export JSON pages
(with side-loaded ``metric_sets``) and the NDJSON full export (read by
:mod:`itsm_diag.importers.jsonfiles`).

Derived fields (documented choices):

- ``kind`` from the ticket type: incident, problem, task as they are; **question ->
  request**; an untyped ticket (no type, Zendesk's default form) is also counted as a
  request, with a warning, because it is a customer asking for something.
- ``reassignment_count`` = group stations - 1 (the first assignment is a station too),
  never below 0; ``reopen_count`` = Reopens.
- ``first_response_at`` = created + first reply time in minutes (calendar minutes).
- ``waiting_hours`` = (agent wait time + on hold time in minutes) / 60 (calendar minutes
  in Pending, waiting on the requester, and in On-hold, waiting on a third party).
- ``resolved_at`` = Solved at (the last change to solved); ``closed_at`` = the update
  time of a closed ticket (closed tickets can no longer be updated, so their last update
  is the close), only where the solve time was exported too: the close is an automation's,
  days after the solve, and must not stand in for it. A JSON ticket without a metric set
  (a page fetched without ``include=metric_sets``) is done by its status with no done
  time, in a warning.
- ``problem_ref`` = ``problem_id`` (JSON only; the CSV export has no link column).
- Custom fields ``<Title> [<type>]`` (CSV) are matched by title: Category,
  Subcategory, Service, Configuration item, Request type, Total time spent (sec).
  JSON custom fields carry only ids and values (``custom_fields.<id>``; a drop-down's
  value is its option's tag): the account's ticket fields (``GET
  /api/v2/ticket_fields.json``, a file passed with the tickets, see
  :func:`split_ticket_fields`) name them and their options, so the JSON carries what the
  CSV does. Without that file they stay unnamed, with a warning.
- Comments exist only in the NDJSON full export (``comments``): private notes are agents'
  work logs; an author equal to the requester is a requester comment, an assignee of some
  ticket (or a private note's author) an agent's, anyone else's (a CC'd end user's) role
  is unknown (:mod:`itsm_diag.importers.roles`).
- Deleted tickets (``status: deleted``, which the incremental export lists until they
  are purged: spam, test tickets) are no work of the desk and no user's request: they
  are left out, counted in a warning, never read as cancelled.
- ``channel`` from ``via.channel``: tickets an agent or the system made (side
  conversations, triggers and automations, merges, linked problems) are ``monitoring``,
  the machine-made channel trust's bypass leaves out; a follow-up of a closed ticket is
  the requester's e-mail reply (``email``: a recurrence in their words); live chat and
  the messaging Web Widget (``chat``, ``native_messaging``) are ``chat``, as in every tool.
- A ticket metrics response (``GET /api/v2/ticket_metrics.json``: ``{"ticket_metrics":
  [...]}``) passed with the tickets is joined to them by ticket id, as side-loaded
  ``metric_sets`` are (:func:`split_ticket_fields`); metric records that reach the
  importer otherwise are refused by name, never read as tickets.
- An API page that says it is the last (``end_of_stream: true``, ``next_page: null``,
  ``meta.has_more: false``) gets no "exactly N rows, probably truncated" warning.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.errors import InputError, NotAnExport
from itsm_diag.importers import guards
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
)
from itsm_diag.importers.readers import RawTable
from itsm_diag.importers.roles import comment_roles
from itsm_diag.text import WHITESPACE

NAME = "zendesk"

_COLUMNS: dict[str, tuple[str, ...]] = {
    m.TICKET_ID: ("Id", "Ticket ID", "id"),
    m.SUMMARY: ("Subject", "subject", "raw_subject"),
    m.STATUS_RAW: ("Status", "status"),
    m.PRIORITY_RAW: ("Priority", "priority"),
    m.ASSIGNMENT_GROUP: ("Group", "group.name", "group_id"),
    m.ASSIGNEE: ("Assignee", "assignee.name", "assignee_id"),
    m.REQUESTER: ("Requester", "requester.name", "Requester email", "requester_id"),
    m.CHANNEL_RAW: ("Via", "via.channel"),
    m.PROBLEM_REF: ("problem_id", "Problem id"),
    "_type": ("Ticket type", "type"),
    "_tags": ("Tags", "tags"),
    "_reopens": ("Reopens", "metric_set.reopens"),
    "_group_stations": ("Group stations", "metric_set.group_stations"),
    "_reply_minutes": ("First reply time in minutes",
                       "metric_set.reply_time_in_minutes.calendar"),
    "_requester_id": ("requester_id", "Requester id"),
    # the agents' ids, the space comments' author_id is in (Assignee may be side-loaded names)
    "_assignee_id": ("assignee_id", "Assignee id"),
    # the time in Pending (waiting on the requester) and in On-hold (on a third party)
    "_agent_wait": ("Agent wait time in minutes",
                    "metric_set.agent_wait_time_in_minutes.calendar"),
    "_on_hold": ("On hold time in minutes", "metric_set.on_hold_time_in_minutes.calendar"),
    "_comments": ("comments",),
}
_DATES: dict[str, tuple[str, ...]] = {
    m.OPENED_AT: ("Created at", "created_at"),
    m.UPDATED_AT: ("Updated at", "updated_at"),
    m.RESOLVED_AT: ("Solved at", "metric_set.solved_at"),
    m.DUE_AT: ("Due date", "due_at"),
}
#: custom field titles (``Title [type]`` in the CSV) -> canonical field
_CUSTOM: dict[str, tuple[str, ...]] = {
    m.CATEGORY: ("Category", "Ticket Category", "Ticket category"),
    m.SUBCATEGORY: ("Subcategory", "Sub-category", "Sub category"),
    m.SERVICE: ("Service", "Affected service", "Business service"),
    m.CI: ("Configuration item", "Affected CI", "CI", "Asset"),
    m.REQUEST_ITEM: ("Request type", "Request item", "Catalog item", "Catalogue item"),
    "_time_spent": ("Total time spent (sec)",),
}
_CUSTOM_RE = re.compile(r"^(.*\S)\s*\[[a-z_ -]+\]$", re.I)
#: a JSON custom field column (``custom_fields`` and its older twin ``fields``)
_JSON_CUSTOM_RE = re.compile(r"^(?:custom_fields|fields)\.(\d+)$")
#: the ticket fields response's list, wherever its keys put it (sorted keys put
#: ``count`` and ``next_page`` first); no ticket page has that key
_FIELDS_HEAD_RE = re.compile(rb'"ticket_fields"\s*:\s*\[')
#: Zendesk field type -> the type tag the CSV export writes after a custom field's title
_TYPE_TAGS = {"tagger": "list", "multiselect": "multiselect", "text": "txt",
              "textarea": "txt", "integer": "int", "decimal": "dec", "checkbox": "flag",
              "date": "date", "regexp": "regexp", "partialcreditcard": "txt",
              "lookup": "lookup"}

KINDS: dict[str, str] = {"incident": "incident", "problem": "problem", "question": "request",
                         "task": "task"}
STATUSES: dict[str, str] = {
    # a localised or custom done / cancelled status (shared with the other importers)
    **v.DONE_STATUSES, **v.CANCELLED_STATUSES,
    "new": "new", "open": "open", "pending": "pending", "hold": "pending",
    "on hold": "pending", "solved": "resolved", "closed": "closed",
}
#: the status of a deleted ticket (left out of the tickets: :func:`_deleted`)
DELETED = "deleted"
#: machine- or agent-made tickets: the canonical channel trust's bypass leaves out
_MADE_BY_SYSTEM = "monitoring"

#: ``Via`` display values (CSV) and ``via.channel`` names or numeric ids (JSON)
VIA: dict[str, str] = {
    "mail": "email", "email": "email", "web form": "portal", "web": "portal",
    "help center": "portal", "web widget": "portal", "mobile": "portal",
    "web service": "api", "api": "api",
    # live chat, messaging (the messaging Web Widget, native_messaging) and the mobile
    # SDK are chat, as a chat is in every tool (values.CHANNELS maps them)
    "voice": "phone",
    "phone": "phone", "phone call (incoming)": "phone", "phone call (outgoing)": "phone",
    "voicemail": "phone",
    # made by an agent or by Zendesk itself, not raised by a user through some door:
    # side conversations (child tickets), triggers and automations, merges, linked
    # problems, the sample ticket, bulk imports
    "side conversation": _MADE_BY_SYSTEM,
    # a follow-up of a closed ticket: the requester's e-mail reply to it, a recurrence
    # in the user's own words (never an alert the text clusters leave out)
    "closed ticket": "email",
    "rule": _MADE_BY_SYSTEM, "automation": _MADE_BY_SYSTEM, "trigger": _MADE_BY_SYSTEM,
    "linked problem": _MADE_BY_SYSTEM, "merge": _MADE_BY_SYSTEM, "system": _MADE_BY_SYSTEM,
    "sample ticket": _MADE_BY_SYSTEM, "batch": _MADE_BY_SYSTEM,
    "any channel": "other", "twitter": "other", "facebook": "other",
    "0": "portal", "4": "email", "5": "api", "8": _MADE_BY_SYSTEM, "9": "other",
    "19": "other", "27": "email",
}

_CSV_STRONG = ("requester wait time in minutes",
               "first reply time in minutes within business hours",
               "group stations", "assignee stations", "reopens")
_CSV_SUPPORT = ("id", "requester id", "requester domain", "via", "ticket type", "solved at",
                "satisfaction score", "initially assigned at", "submitter",
                "requester external id", "full resolution time in minutes",
                "agent wait time in minutes", "created at", "updated at")
_JSON_STRONG = ("via.channel", "requester id", "submitter id", "satisfaction rating.score",
                "has incidents", "raw subject", "recipient", "brand id", "ticket form id",
                "metric set.reopens")
_STATUS_VALUES = frozenset({"new", "open", "pending", "hold", "on-hold", "solved", "closed"})


class ZendeskImporter(Importer):
    name = NAME

    def detect(self, raw: RawTable) -> Detection:
        folded = {fold_name(h) for h in raw.headers}
        reasons: list[str] = []
        csv_strong = [h for h in _CSV_STRONG if h in folded]
        json_strong = [h for h in _JSON_STRONG if h in folded]
        score = 0.0
        table = "tickets"
        if {"group stations", "assignee stations", "reopens"} <= folded or len(csv_strong) >= 3:
            score = 0.8
            reasons.append(f"Zendesk metric columns ({', '.join(csv_strong[:3])})")
        elif "via.channel" in folded and len(json_strong) >= 3:
            score = 0.8
            table = "tickets (JSON)"
            reasons.append(f"Zendesk ticket JSON ({', '.join(json_strong[:4])})")
        score += 0.02 * len([h for h in _CSV_SUPPORT if h in folded])
        score += 0.02 * len(json_strong)
        customs = [h for h in raw.headers if _CUSTOM_RE.match(h)]
        if customs:
            score += 0.04
            reasons.append(f"custom fields like {customs[0]!r}")
        status_col = next((h for h in raw.headers if fold_name(h) == "status"), None)
        if status_col is not None:
            st = [s.lower() for s in head_texts(raw.frame[status_col], 500)]
            if st and sum(s in _STATUS_VALUES for s in st) / len(st) > 0.95 and any(
                    s in ("solved", "pending", "hold", "on-hold") for s in st):
                score += 0.05
                reasons.append("Zendesk statuses (solved, pending...)")
        if raw.delimiter == "ndjson":
            table = "tickets (NDJSON)"
        return Detection(NAME, min(score, 1.0), table, reasons)

    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        _refuse_metric_records(raw)
        raw = _with_metrics(raw, options)
        frame = raw.frame
        cols = resolve_columns(raw.headers, _COLUMNS)
        warnings = _page_warnings(raw)
        named, options_of = _json_custom_names(raw.headers, options, warnings)
        cols.update(_custom_columns(raw.headers, named))
        date_cols = resolve_columns(raw.headers, _DATES)
        ids = require_ids(raw, cols.get(m.TICKET_ID), date_cols.get(m.OPENED_AT),
                          tool="Zendesk", id_label="Id", opened_label="Created at",
                          hint="export tickets from Admin Center > Account > Tools > Reports "
                               "(CSV or JSON), or pass the right --source (or none, to detect "
                               "the tool)")
        parsed, formats, date_warnings = parse_dates(raw, date_cols, options)
        warnings.extend(date_warnings)
        # deleted tickets out, after the ids and dates were read from every row (their
        # errors name the file's own row numbers)
        out = _deleted(frame, cols.get(m.STATUS_RAW), warnings)
        gone = None
        if out.any():  # an older row of them elsewhere must not stand
            gone = pd.DataFrame({
                m.TICKET_ID: ids[out].astype(m.STRING_DTYPE),
                m.UPDATED_AT: parsed[m.UPDATED_AT][out] if m.UPDATED_AT in parsed
                else pd.Series(pd.NaT, index=ids.index[out], dtype=m.TIMESTAMP_DTYPE),
            }).dropna(subset=[m.TICKET_ID]).reset_index(drop=True)
        frame = frame.loc[~out]
        ids = ids.loc[frame.index]
        parsed = {k: col.loc[frame.index] for k, col in parsed.items()}
        blank = ids.isna()

        df = pd.DataFrame(index=frame.index)
        for canonical, header in cols.items():
            if canonical in m.TICKET_SCHEMA and m.TICKET_SCHEMA[canonical] == "string":
                df[canonical] = frame[header].astype(m.STRING_DTYPE)
                if options_of.get(header):
                    # a drop-down's JSON value is its option's tag: show the option's name
                    df[canonical] = _option_names(df[canonical], options_of[header])
        for canonical, series in parsed.items():
            df[canonical] = series
        df[m.KIND] = _kinds(frame, cols, warnings)
        if m.STATUS_RAW in df:
            read = v.map_vocab(df[m.STATUS_RAW], STATUSES)
            status = v.done_by_time(read, df[m.STATUS_RAW], df.get(m.RESOLVED_AT), None,
                                    warnings, left="left without status")
            df[m.STATUS_INFERRED] = v.inferred(df[m.STATUS_RAW], read, status)
            df[m.STATUS] = status
            solve_known = _solve_known(frame, df, date_cols.get(m.RESOLVED_AT))
            if m.UPDATED_AT in df:
                # a closed ticket is read-only: its last update is when it was closed. That
                # is the close, not the solve (an automation closes a solved ticket 4 days
                # later by default, up to 28): a close time only stands where the solve
                # time was exported too, so it can never stand in for one
                df[m.CLOSED_AT] = df[m.UPDATED_AT].where(
                    status.eq("closed").fillna(False).to_numpy(dtype=bool) & solve_known)
            # JSON is flattened to dotted names (via.channel, metric_set.*); the admin CSV
            # names its columns in words: its fix is a column, not include=metric_sets
            from_json = raw.delimiter == "ndjson" or any(
                str(h).startswith(("via.", "metric_set.")) for h in raw.headers)
            _note_unknown_solves(status, solve_known, warnings, from_json)
        if m.PRIORITY_RAW in df:
            df[m.PRIORITY] = v.read_priority(df[m.PRIORITY_RAW], warnings)
        if m.CHANNEL_RAW in df:
            df[m.CHANNEL_RAW] = v.drop_placeholders(df[m.CHANNEL_RAW], warnings)
            via = v.map_vocab(df[m.CHANNEL_RAW], VIA)
            df[m.CHANNEL] = via.fillna(v.channel(df[m.CHANNEL_RAW]))
            v.note_channels(warnings, df[m.CHANNEL_RAW], {**v.CHANNELS, **VIA})
        if "_tags" in cols:
            tags = frame[cols["_tags"]].astype(m.STRING_DTYPE).str.strip()
            # the CSV separates tags with spaces (tags cannot hold one), JSON with ';'
            df[m.LABELS] = tags.str.replace(f"[{WHITESPACE};,]+", ";", regex=True)
        if "_reopens" in cols:
            df[m.REOPEN_COUNT] = v.read_count(frame[cols["_reopens"]], warnings, "reopens")
        if "_group_stations" in cols:
            stations = v.read_count(frame[cols["_group_stations"]], warnings,
                                    "group stations")
            df[m.REASSIGNMENT_COUNT] = (stations - 1).clip(lower=0).astype("Int32")
        if "_reply_minutes" in cols and m.OPENED_AT in df:
            minutes = v.duration(v.number(frame[cols["_reply_minutes"]], thousands=True),
                                 frame[cols["_reply_minutes"]], warnings,
                                 "first reply minutes", most=v.MAX_DURATION_HOURS * 60)
            df[m.FIRST_RESPONSE_AT] = df[m.OPENED_AT] + pd.to_timedelta(minutes, unit="m")
        waits = [v.duration(v.number(frame[cols[key]], thousands=True), frame[cols[key]],
                            warnings, label, most=v.MAX_DURATION_HOURS * 60)
                 for key, label in (("_agent_wait", "agent wait minutes"),
                                    ("_on_hold", "on-hold minutes")) if key in cols]
        if waits:
            # calendar minutes in Pending and in On-hold, summed where either is given
            total = waits[0] if len(waits) == 1 else waits[0].add(waits[1], fill_value=0)
            df[m.WAITING_HOURS] = (total / 60).astype("Float64")
        if "_time_spent" in cols:
            secs = v.number(frame[cols["_time_spent"]])
            df[m.TIME_SPENT_HOURS] = v.duration(secs / 3600, frame[cols["_time_spent"]],
                                                warnings)
        if m.PROBLEM_REF in df:
            df[m.PROBLEM_REF] = df[m.PROBLEM_REF].where((df[m.KIND] != "problem").to_numpy())

        events = m.empty_events()
        if "_comments" in cols:
            events = _comments(frame[cols["_comments"]], ids, frame.get(cols.get("_requester_id",
                                                                                 "")), raw,
                               options, frame.get(cols.get("_assignee_id", "")), warnings)
        rows = len(raw.frame)
        waited = tuple(cols[k] for k in ("_agent_wait", "_on_hold") if k in cols)
        tickets = finish_tickets(df, blank, raw, NAME, "Id", warnings)
        info = SourceInfo(
            path=raw.label, tool=NAME, table=detection.table, rows=rows,
            tickets=int(tickets[m.TICKET_ID].nunique()),
            confidence=round(detection.score, 2), detected_by="; ".join(detection.reasons),
            encoding=raw.encoding, delimiter=raw.delimiter if raw.delimiter != "ndjson" else None,
            date_formats=formats,
            column_map={**{k: h for k, h in {**cols, **date_cols}.items()
                           if k in m.TICKET_SCHEMA},
                        **({m.WAITING_HOURS: " + ".join(waited)} if waited else {})},
            warnings=warnings,
            read_also=waited,
        )
        return Imported(tickets=tickets, events=m.conform_events(events), info=info,
                        gone=gone)


def _deleted(frame: pd.DataFrame, status_header: str | None,
             warnings: list[str]) -> np.ndarray:
    """Per row: a deleted ticket, with a warning counting them: the incremental export
    lists deleted tickets (``status: deleted``) until Zendesk purges them. A deleted
    ticket is neither work the desk did nor a request a user made (mostly spam or a
    test), so it is no cancelled ticket either. Judged per distinct status, in any case
    and spacing (as detection reads statuses), not on a normalised copy of the column."""
    if status_header is None:
        return np.zeros(len(frame), dtype=bool)
    codes, values = pd.factorize(frame[status_header].astype(m.STRING_DTYPE))
    hit = (pd.Series(values, dtype=m.STRING_DTYPE).str.strip().str.lower() == DELETED
           ).fillna(False).to_numpy(dtype=bool)
    deleted = np.append(hit, False)[codes]  # code -1 (no status) reads the False
    n = int(deleted.sum())
    if n:
        warnings.append(
            f"{n:,} deleted ticket{'' if n == 1 else 's'} (status deleted: removed in "
            "Zendesk, such as spam) left out: they are neither work of the desk nor users' "
            "requests")
    return deleted


def _solve_known(frame: pd.DataFrame, df: pd.DataFrame, solved_header: str | None
                 ) -> np.ndarray:
    """Which tickets the export gives a solve time source for: every ticket of an export
    with a ``Solved at`` column (``solved_header``: the admin CSV), and in JSON each
    ticket with a side-loaded or embedded metric set (any ``metric_set.*`` value: its
    ``solved_at`` is the solve, empty when it was never solved). A ticket with a solved
    time has one anyway."""
    if solved_header is not None and not solved_header.startswith("metric_set."):
        return np.ones(len(frame), dtype=bool)
    known = (df[m.RESOLVED_AT].notna().to_numpy(dtype=bool) if m.RESOLVED_AT in df
             else np.zeros(len(frame), dtype=bool))
    metric = [c for c in frame.columns if str(c).startswith("metric_set.")]
    # every metric set has its own id and ticket id: one column tells which rows have one
    metric = [c for c in ("metric_set.id", "metric_set.ticket_id") if c in metric][:1] or metric
    if metric:
        known = known | frame[metric].notna().any(axis=1).to_numpy(dtype=bool)
    return known


def _note_unknown_solves(status: pd.Series, solve_known: np.ndarray,
                         warnings: list[str], from_json: bool) -> None:
    """One warning counting the solved and closed tickets without a solve time source:
    an API page or incremental export fetched without ``include=metric_sets``, or a CSV
    report without the ``Solved at`` column."""
    done = status.isin(["resolved", "closed"]).fillna(False).to_numpy(dtype=bool)
    missing = done & ~solve_known
    if not missing.any():
        return
    closed = int((missing & status.eq("closed").fillna(False).to_numpy(dtype=bool)).sum())
    source, fix = (("come without a metric set (metric_set.solved_at)",
                    "Export with include=metric_sets") if from_json else
                   ("come from a report without the Solved at column",
                    "Add the Solved at column to the report"))
    warnings.append(
        f"solve times unknown: {int(missing.sum()):,} solved or closed tickets {source}, so "
        f"they are done with no done time; the last update of the {closed:,} closed ones "
        "is their automatic close, days after the solve, and is not used as one (time to "
        f"resolve and onboarding cannot time them). {fix} or use `itsm-diag pull zendesk`")


@v.per_value
def _option_names(tags: pd.Series, names: Mapping[str, str]) -> pd.Series:
    """Each drop-down tag as its option's name (a tag without one, or no tag, as it was),
    looked up once per distinct tag."""
    named = [t if pd.isna(t) or (n := names.get(t)) is None else n for t in tags]
    return pd.Series(pd.array(named, dtype=m.STRING_DTYPE), index=tags.index)


def _custom_columns(headers: list[str], named: Mapping[str, str] | None = None
                    ) -> dict[str, str]:
    """Custom fields ``Title [type]`` matched by title; ``named``: header -> such a name
    for columns that do not carry it themselves (JSON custom fields)."""
    by_title: dict[str, str] = {}
    for h in headers:
        hit = _CUSTOM_RE.match((named or {}).get(h, h))
        if hit:
            by_title.setdefault(hit.group(1), h)
    found = resolve_columns(list(by_title), _CUSTOM)
    return {canonical: by_title[title] for canonical, title in found.items()}


def _json_custom_names(
    headers: list[str], options: ImportOptions, warnings: list[str]
) -> tuple[dict[str, str], dict[str, Mapping[str, str]]]:
    """JSON custom field columns named by the ticket field definitions: header ->
    ``Title [type]``, and header -> {option tag: option name} for drop-downs."""
    ids = {h: hit.group(1) for h in headers if (hit := _JSON_CUSTOM_RE.match(h))}
    if not ids:
        return {}, {}
    known = {h: options.custom_fields[i] for h, i in ids.items() if i in options.custom_fields}
    unnamed = sorted({i for i in ids.values() if i not in options.custom_fields})
    if unnamed:
        warnings.append(
            f"{len(unnamed)} custom fields are ids only (e.g. custom_fields.{unnamed[0]}) and "
            "were not read: pass the account's ticket fields (GET /api/v2/ticket_fields.json "
            "saved as a .json file) with the tickets to read category, request type and "
            "time spent from them")
    return ({h: name for h, (name, _) in known.items()},
            {h: opts for h, (_, opts) in known.items() if opts})


def _json_head_has(head: bytes, key: re.Pattern[bytes]) -> bool:
    """The first bytes of a file are one JSON object with ``key`` among its first keys."""
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and bool(key.search(head))


def is_ticket_fields(head: bytes) -> bool:
    """The first bytes of a file are those of Zendesk's ticket fields response: one JSON
    object with a ``ticket_fields`` list among its first keys."""
    return _json_head_has(head, _FIELDS_HEAD_RE)


def read_ticket_fields(path: Path, head: bytes, max_file_mb: float | None
                       ) -> dict[str, tuple[str, dict[str, str]]]:
    """Field id -> (``Title [type]``, drop-down option value -> name) from a ticket
    fields response (``{"ticket_fields": [{"id", "title", "type",
    "custom_field_options"}]}``)."""
    guards.check_file(path, head, max_file_mb)
    data = path.read_bytes()
    guards.check_json_depth(data, path)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the ticket fields file is not valid UTF-8 JSON ({exc})", file=path,
                         hint="save the response of GET /api/v2/ticket_fields.json again"
                         ) from exc
    fields = doc.get("ticket_fields") if isinstance(doc, dict) else None
    if not isinstance(fields, list):
        raise InputError("the ticket fields file has no ticket_fields list", file=path,
                         hint="save the response of GET /api/v2/ticket_fields.json again")
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for f in fields:
        if not isinstance(f, dict) or f.get("id") is None or not f.get("title"):
            continue
        title = " ".join(str(f["title"]).split())
        tag = _TYPE_TAGS.get(str(f.get("type", "")).lower(), "txt")
        options = f.get("custom_field_options")
        opts = {str(o["value"]): str(o["name"]) for o in
                (options if isinstance(options, list) else [])
                if isinstance(o, dict) and o.get("value") is not None and o.get("name")}
        out[str(f["id"])] = (f"{title} [{tag}]", opts)
    return out


def split_ticket_fields(paths: list[Path], options: ImportOptions
                        ) -> tuple[list[Path], ImportOptions, list[str]]:
    """Take Zendesk ticket field definitions and ticket metrics out of ``paths``: the
    other files, the options naming the custom fields and carrying the metric sets
    (joined to the JSON tickets by ticket id when they are loaded), and a note per file
    taken out."""
    rest: list[Path] = []
    found: dict[str, tuple[str, Mapping[str, str]]] = {}
    metrics: list[pd.DataFrame] = []
    notes: list[str] = []
    taken: list[Path] = []
    for path in paths:
        head = b""
        if path.suffix.lower() == ".json":
            try:
                with path.open("rb") as fh:
                    head = fh.read(_HEAD_BYTES)
            except OSError:
                head = b""  # read_raw names the problem when it opens the file
        if is_ticket_metrics(head):
            frame = read_ticket_metrics(path, head, options.max_file_mb)
            metrics.append(frame)
            taken.append(path)
            notes.append(f"{path.name}: {len(frame):,} Zendesk ticket metric sets, not "
                         "tickets: joined to the JSON tickets they name by ticket id (solve "
                         "times, reopens, group stations, reply times), as metric_sets "
                         "fetched with the tickets are (an admin CSV export carries its "
                         "own metric columns and is not joined)")
            continue
        if not is_ticket_fields(head):
            rest.append(path)
            continue
        defs = read_ticket_fields(path, head, options.max_file_mb)
        found.update(defs)
        taken.append(path)
        notes.append(f"{path.name}: definitions of {len(defs):,} Zendesk custom fields, used "
                     "to name the custom fields of Zendesk JSON tickets")
    if not taken:
        return rest, options, notes
    if not rest:
        what = ("ticket metrics" if not found else "ticket field definitions" if not metrics
                else "ticket field definitions and ticket metrics")
        raise InputError(f"only {what} were given, no tickets", file=taken[0],
                         hint="pass the ticket export with them")
    if found:
        options = dataclasses.replace(options, custom_fields={**options.custom_fields,
                                                              **found})
    if metrics:
        options = WithMetrics(**{f.name: getattr(options, f.name)
                                 for f in dataclasses.fields(options) if f.init},
                              ticket_metrics=pd.concat(metrics, ignore_index=True))
    return rest, options, notes


@dataclasses.dataclass(frozen=True)
class WithMetrics(ImportOptions):
    """Import options that carry Zendesk ticket metric sets read from a ticket metrics
    response passed with the tickets (:func:`split_ticket_fields`): flattened, one row a
    metric set, text cells, as a side-loaded ``metric_sets`` list is."""

    ticket_metrics: pd.DataFrame | None = dataclasses.field(default=None, compare=False,
                                                            repr=False)


#: the first bytes of a JSON file read to tell a ticket metrics response
_HEAD_BYTES = 1024
#: the ticket metrics response's list, wherever its keys put it (saved with sorted keys,
#: ``count`` and ``next_page`` come first); no ticket page has that key
_METRICS_HEAD_RE = re.compile(rb'"ticket_metrics"\s*:\s*\[')


def is_ticket_metrics(head: bytes) -> bool:
    """The first bytes of a file are those of Zendesk's ticket metrics response: one
    JSON object with a ``ticket_metrics`` list among its first keys."""
    return _json_head_has(head, _METRICS_HEAD_RE)


def read_ticket_metrics(path: Path, head: bytes, max_file_mb: float | None) -> pd.DataFrame:
    """The metric sets of a ticket metrics response (``{"ticket_metrics": [{"id",
    "ticket_id", "reopens", "solved_at", ...}]}``), flattened as the JSON reader flattens
    records (``reply_time_in_minutes.calendar``)."""
    from itsm_diag.importers import jsonfiles

    guards.check_file(path, head, max_file_mb)
    tables = jsonfiles.read_json(path)
    frame = tables[0].frame if tables else pd.DataFrame()
    if len(frame) and "ticket_id" not in frame.columns:
        raise InputError("the ticket metrics file has no ticket_id on its metric sets",
                         file=path, hint="save the response of GET "
                                         "/api/v2/ticket_metrics.json again")
    return frame


def _with_metrics(raw: RawTable, options: ImportOptions) -> RawTable:
    """``raw`` with the metric sets of a ticket metrics file passed with it joined by
    ticket id as ``metric_set.*`` columns (JSON tickets only, whose ``id`` they name); a
    metric set side-loaded with the tickets wins over the file's."""
    metrics = getattr(options, "ticket_metrics", None)
    if metrics is None or not len(metrics) or "id" not in raw.frame.columns or not any(
            str(h).startswith("via.") for h in raw.headers):
        return raw
    ms = metrics.dropna(subset=["ticket_id"]).drop_duplicates("ticket_id", keep="last")
    ms = ms.set_index("ticket_id").drop(columns=[c for c in ("id", "url") if c in ms.columns])
    ms.columns = [f"metric_set.{c}" for c in ms.columns]
    joined = raw.frame[["id"]].join(ms, on="id").drop(columns="id")
    frame = raw.frame.copy(deep=False)  # new columns only: the file's stay as read
    for col in joined.columns:
        frame[col] = frame[col].fillna(joined[col]) if col in frame.columns else joined[col]
    return dataclasses.replace(raw, frame=frame)


def _refuse_metric_records(raw: RawTable) -> None:
    """Refuse a table of Zendesk ticket metric sets that did not come as a ticket metrics
    response (a bare list, NDJSON): each names a ticket (``ticket_id``) and has its own
    id and created time, and read as tickets it would add a phantom ticket a metric set."""
    folded = {fold_name(h) for h in raw.headers}
    metric = {"reopens", "replies", "group stations", "assignee stations", "solved at"}
    if "ticket id" not in folded or len(metric & folded) < 2 or folded & {
            "status", "subject", "via.channel", "type", "ticket type"}:
        return
    raise NotAnExport("this is Zendesk ticket metrics (one metric set a ticket: reopens, "
                      "replies, solved at), not tickets", file=raw.path,
                      hint="pass it with the tickets as the response of GET "
                           "/api/v2/ticket_metrics.json ({\"ticket_metrics\": [...]}), or "
                           "fetch the tickets with include=metric_sets")


#: the reader's warning on a table of a common export cap's size (readers.read_raw)
_CAP_WARNING_RE = re.compile(r"^exactly [\d,]+ rows: a common export cap")


def _page_warnings(raw: RawTable) -> list[str]:
    """The reader's warnings, less the export-cap one on an API page that says it is
    the last (``end_of_stream: true``, ``next_page: null``, ``meta.has_more: false``): a
    page of 500 or 1,000 tickets is its page size, and the last one is no truncation."""
    warnings = list(raw.warnings)
    capped = [w for w in warnings if _CAP_WARNING_RE.match(w)]
    if capped and raw.delimiter is None and _last_page(raw.path):
        warnings = [w for w in warnings if w not in capped]
    return warnings


def _last_page(path: Path) -> bool:
    """Whether a JSON file is a page that says no page follows it."""
    import msgspec

    try:
        data = path.read_bytes()
        top = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode(
            data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    except (OSError, msgspec.DecodeError):
        return False  # not one JSON object (NDJSON, an array): no page

    def value(key: str) -> object:
        try:
            return msgspec.json.decode(top[key]) if key in top else ...
        except msgspec.DecodeError:
            return ...

    meta = value("meta")
    return (value("end_of_stream") is True or ("next_page" in top and value("next_page")
                                               is None)
            or (isinstance(meta, dict) and meta.get("has_more") is False))


def _kinds(frame: pd.DataFrame, cols: dict[str, str], warnings: list[str]) -> pd.Series:
    if "_type" not in cols:
        warnings.append("no Ticket type column: every ticket is counted as a request")
        return pd.Series("request", index=frame.index, dtype="object")
    raw_type = frame[cols["_type"]]
    kind = v.map_vocab(raw_type, KINDS)
    v.note_unmapped(warnings, "ticket type", raw_type, kind, "counted as requests")
    untyped = int(raw_type.isna().sum())
    if untyped:
        warnings.append(f"{untyped:,} tickets have no ticket type; counted as requests")
    return kind.where(kind.notna(), "request")


def _comments(
    cells: pd.Series, ids: pd.Series, requester_ids: pd.Series | None, raw: RawTable,
    options: ImportOptions, assignee_ids: pd.Series | None = None,
    warnings: list[str] | None = None,
) -> pd.DataFrame:
    """The full export's ``comments`` lists (JSON text per ticket) -> events. A private
    comment is an agent's work log; a public one's author role follows
    :func:`~itsm_diag.importers.roles.comment_roles` (the requester; an assignee of some
    ticket or a private comment's author: agent; anyone else, such as a CC'd end user:
    unknown)."""
    has = cells.notna() & ids.notna()
    if not has.any():
        return m.empty_events()
    # one parse for all cells: join them into one JSON array of arrays
    try:
        lists = guards.loads("[" + ",".join(cells[has].tolist()) + "]")
    except json.JSONDecodeError as exc:
        raise InputError(f"the comments are not valid JSON: {exc.msg}", file=raw.path,
                         column="comments", hint="export the tickets again") from exc
    lengths = np.fromiter((len(x) if isinstance(x, list) else 0 for x in lists), dtype=np.int64,
                          count=len(lists))
    flat = list(itertools.chain.from_iterable(x for x in lists if isinstance(x, list)))
    if not flat:
        return m.empty_events()
    rows = np.repeat(np.flatnonzero(has.to_numpy()), lengths)
    c = pd.DataFrame.from_records([x if isinstance(x, dict) else {} for x in flat])
    text = (c["plain_body"] if "plain_body" in c else c.get("body", pd.Series(pd.NA,
                                                                               index=c.index)))
    raw_author = c.get("author_id", pd.Series(pd.NA, index=c.index, dtype="object"))
    # ids are JSON numbers (floats once a null is among them): print them as integers;
    # one that is not a whole number an integer can hold (2.5, 1e30) keeps its own text
    number = v.whole(pd.to_numeric(raw_author, errors="coerce"), "Int64")
    author = number.astype("Int64").astype(m.STRING_DTYPE)
    author = author.fillna(raw_author.astype(m.STRING_DTYPE))
    public = c.get("public", pd.Series(True, index=c.index)).fillna(True).astype(bool)
    stamp = RawTable(path=raw.path, frame=pd.DataFrame(
        {"comments.created_at": c.get("created_at", pd.Series(pd.NA, index=c.index))
         .astype(m.STRING_DTYPE)}), first_data_row=raw.first_data_row)
    parsed, _, _ = parse_dates(stamp, {"at": "comments.created_at"}, options)
    req = None if requester_ids is None else _id_text(pd.Series(
        requester_ids.to_numpy(dtype=object)[rows], index=c.index))
    role = comment_roles(author, req, ~public.to_numpy(dtype=bool),
                         None if assignee_ids is None else _id_text(assignee_ids),
                         [] if warnings is None else warnings,
                         requester_label="requester_id",
                         hint="export the tickets with their requester_id")
    return pd.DataFrame({
        m.EV_TICKET_ID: ids.to_numpy(dtype=object)[rows],
        m.EV_AT: parsed["at"].array,  # typed times (to_numpy: a Timestamp object each)
        m.EV_KIND: np.where(public.to_numpy(), "comment", "worklog"),
        m.EV_AUTHOR_ROLE: role.to_numpy(),
        m.EV_AUTHOR: author.to_numpy(),
        m.EV_VALUE: pd.Series(text).astype(m.STRING_DTYPE).str.strip().to_numpy(),
    })


def _id_text(ids: pd.Series) -> pd.Series:
    """User ids (JSON numbers, floats once a null is among them) as the text of the
    integer, as the comments' ``author_id`` is printed; any other value as its text."""
    number = v.whole(pd.to_numeric(ids, errors="coerce"), "Int64")
    return number.astype("Int64").astype(m.STRING_DTYPE).fillna(ids.astype(m.STRING_DTYPE))


IMPORTER = ZendeskImporter()
