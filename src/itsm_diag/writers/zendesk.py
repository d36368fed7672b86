"""Write canonical tables as Zendesk Support exports: the admin CSV, API JSON pages, NDJSON.

Zendesk has incidents, problems, questions and tasks; changes and epics (kind
``change`` / ``other``) are not Zendesk tickets and are left out. Ticket ids are numbers
given in opened order (:func:`zendesk_ids`); people and groups get stable numeric ids.

- :func:`write_zendesk_csv`: the admin "CSV export" with its fixed columns in order,
  dates ``dd-MM-yyyy HH:mm`` (an account whose format is day-first) in the account's
  time zone (UTC unless given; JSON is always UTC), metric columns
  (Group stations = reassignments + 1, Reopens, First reply time in minutes...) and
  custom fields ``Ticket Category [list]``, ``Subcategory [list]``, ``Service [list]``,
  ``Configuration item [txt]``, ``Request type [list]``, ``Total time spent (sec) [int]``.
- :func:`write_zendesk_pages`: incremental-export pages ``{"tickets": [...],
  "metric_sets": [...], "users": [...], "groups": [...], "end_of_stream": ...}`` in
  update order; ``stale_share`` of the tickets also appear in an earlier page as an
  older, still-open version (as the time-based export repeats updated tickets).
- :func:`write_zendesk_ndjson`: the full JSON export, one ``{"ticket": {...}}`` a line,
  with the metric set and comments (requester and agent comments) inline.
- :func:`write_ticket_fields`: the account's ticket fields (``GET
  /api/v2/ticket_fields.json``), which name the JSON custom fields: JSON tickets carry
  ``custom_fields`` as ``[{"id": ..., "value": ...}]`` only, a drop-down's value being
  its option's tag (``inquiry_help``), not its name. The page and NDJSON writers write
  it next to the tickets (``ticket_fields.json``) unless told not to.

What Zendesk cannot carry: walk-in and monitoring channels (written as web form and web
service), priority 5 (written as Low), ``cancelled`` (written as Closed), due dates
except on tasks, SLA met, knowledge article, caused-by change, planned/actual change
times, start date (custom date fields are not in the CSV). The CSV has no problem link
and no comments; JSON names category, subcategory, service, CI, request type and time
spent only through ``ticket_fields.json``; NDJSON carries people as ids only.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from itsm_diag import model as m

CSV_DATE = "%d-%m-%Y %H:%M"
_TYPE = {"incident": "incident", "request": "question", "problem": "problem", "task": "task"}
_STATUS = {"new": "new", "open": "open", "pending": "pending", "resolved": "solved",
           "closed": "closed", "cancelled": "closed"}
_PRIORITY = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}
_VIA = {"portal": "web", "email": "email", "phone": "voice", "chat": "chat",
        "walk_in": "web", "api": "api", "monitoring": "api", "other": "any_channel"}
_VIA_CSV = {"portal": "Web Form", "email": "Mail", "phone": "Voice", "chat": "Chat",
            "walk_in": "Web Form", "api": "Web service", "monitoring": "Web service",
            "other": "Any Channel"}
_CSV_COLUMNS = (
    "Id", "Requester", "Requester id", "Requester external id", "Requester email",
    "Requester domain", "Submitter", "Assignee", "Group", "Subject", "Tags", "Status",
    "Priority", "Via", "Ticket type", "Created at", "Updated at", "Assigned at",
    "Organization", "Due date", "Initially assigned at", "Solved at", "Resolution time",
    "Satisfaction Score", "Group stations", "Assignee stations", "Reopens", "Replies",
    "First reply time in minutes", "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes", "Full resolution time in minutes within business hours",
    "Agent wait time in minutes", "Agent wait time in minutes within business hours",
    "Requester wait time in minutes", "Requester wait time in minutes within business hours",
    "On hold time in minutes", "On hold time in minutes within business hours",
    "Ticket Category [list]", "Subcategory [list]", "Service [list]",
    "Configuration item [txt]", "Request type [list]", "Total time spent (sec) [int]",
)  # the last six: CUSTOM_FIELDS

#: the custom fields: (title, Zendesk field type, CSV type tag, canonical column)
CUSTOM_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("Ticket Category", "tagger", "list", m.CATEGORY),
    ("Subcategory", "tagger", "list", m.SUBCATEGORY),
    ("Service", "tagger", "list", m.SERVICE),
    ("Configuration item", "text", "txt", m.CI),
    ("Request type", "tagger", "list", m.REQUEST_ITEM),
    ("Total time spent (sec)", "integer", "int", m.TIME_SPENT_HOURS),
)


def field_id(title: str) -> int:
    """A stable numeric id per custom field title (Zendesk ids are 360000000000-ish)."""
    return 360000000000 + zlib.crc32(("field:" + title).encode())


def option_tag(names: pd.Series) -> pd.Series:
    """A drop-down option's value as Zendesk makes it from its name: a lower-case tag."""
    tag = names.astype(m.STRING_DTYPE).str.lower().str.replace(r"[^0-9a-z]+", "_", regex=True)
    return tag.str.strip("_")


def _custom_values(t: pd.DataFrame) -> dict[str, pd.Series]:
    """Per custom field title, the JSON value of each ticket (None when empty)."""
    out: dict[str, pd.Series] = {}
    for title, kind, _, column in CUSTOM_FIELDS:
        col = t[column]
        if column == m.TIME_SPENT_HOURS:
            value = (col * 3600).round().astype("Int64")
        elif kind == "tagger":
            value = option_tag(col)
        else:
            value = col.astype(m.STRING_DTYPE)
        out[title] = value
    return out


def write_ticket_fields(tickets: pd.DataFrame, out_dir: str | Path,
                        name: str = "ticket_fields.json") -> Path:
    """The ticket fields response (``{"ticket_fields": [...]}``): each custom field's id,
    title and type, and a drop-down's options (name and tag value) seen in ``tickets``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = zendesk_tickets(tickets)
    fields: list[dict[str, Any]] = []
    for title, kind, _, column in CUSTOM_FIELDS:
        field: dict[str, Any] = {"id": field_id(title), "type": kind, "title": title,
                                 "raw_title": title, "active": True, "removable": True}
        if kind == "tagger":
            names = pd.Series(sorted(t[column].dropna().astype(str).unique()), dtype=object)
            field["custom_field_options"] = [
                {"id": field_id(title + ":" + n), "name": n, "raw_name": n, "value": v}
                for n, v in zip(names, option_tag(names), strict=True)]
        fields.append(field)
    path = out / name
    doc = {"ticket_fields": fields, "next_page": None, "previous_page": None,
           "count": len(fields)}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def zendesk_tickets(tickets: pd.DataFrame) -> pd.DataFrame:
    """The tickets Zendesk can hold (not changes or epics), in opened order."""
    t = tickets[tickets[m.KIND].isin(list(_TYPE))]
    return t.sort_values([m.OPENED_AT, m.TICKET_ID], kind="stable").reset_index(drop=True)


def zendesk_ids(tickets: pd.DataFrame, start: int = 10001) -> pd.Series:
    """ticket_id -> Zendesk ticket id (text), numbered in opened order."""
    t = zendesk_tickets(tickets)
    return pd.Series(np.arange(start, start + len(t)).astype(str),
                     index=t[m.TICKET_ID].to_numpy(), dtype=m.STRING_DTYPE)


def people_ids(names: pd.Series) -> pd.Series:
    """A stable numeric id per person or group name (text)."""
    people = pd.unique(names.dropna().astype(str))
    # a handful of distinct names: a checksum each is cheap and stable across runs
    ids = {p: str(360000000000 + zlib.crc32(p.encode())) for p in people}
    return names.astype("object").map(ids).astype(m.STRING_DTYPE)


def _minutes(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return ((later - earlier).dt.total_seconds() / 60).round().astype("Int64")


def _text(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), None)


def zendesk_csv_frame(tickets: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """The admin CSV export of ``tickets`` (all cells text; times in the account's time
    zone ``tz``, without it, as Zendesk writes them)."""
    t = zendesk_tickets(tickets)
    ids = zendesk_ids(tickets)
    kind = t[m.KIND].astype("object")
    status = t[m.STATUS].astype("object")
    solved = m.done_stamp(t).where(status.isin(
        ["resolved", "closed", "cancelled"]))
    requester = t[m.REQUESTER].fillna(t[m.ASSIGNEE])
    email = (requester.str.lower().str.replace(r"[^a-z]+", ".", regex=True)
             + "@example.com")
    full = _minutes(solved, t[m.OPENED_AT])

    def fmt(col: pd.Series) -> pd.Series:
        return col.dt.tz_convert(tz).dt.strftime(CSV_DATE)

    cols: dict[str, Any] = {
        "Id": t[m.TICKET_ID].map(ids),
        "Requester": requester,
        "Requester id": people_ids(requester),
        "Requester email": email,
        "Requester domain": "example.com",
        "Submitter": requester,
        "Assignee": t[m.ASSIGNEE],
        "Group": t[m.ASSIGNMENT_GROUP],
        "Subject": t[m.SUMMARY],
        "Tags": t[m.LABELS].str.replace(";", " ", regex=False),
        "Status": status.map(_STATUS).str.capitalize(),
        "Priority": t[m.PRIORITY].astype("object").map(_PRIORITY).str.capitalize(),
        "Via": t[m.CHANNEL].astype("object").map(_VIA_CSV),
        "Ticket type": kind.map(_TYPE).str.capitalize(),
        "Created at": fmt(t[m.OPENED_AT]),
        "Updated at": fmt(t[m.UPDATED_AT]),
        "Due date": fmt(t[m.DUE_AT].where(kind == "task")),
        "Solved at": fmt(solved),
        "Resolution time": (full / 60).round().astype("Int64"),
        "Group stations": (t[m.REASSIGNMENT_COUNT] + 1).astype("Int64"),
        "Reopens": t[m.REOPEN_COUNT],
        "First reply time in minutes": _minutes(t[m.FIRST_RESPONSE_AT], t[m.OPENED_AT]),
        "First resolution time in minutes": full,
        "Full resolution time in minutes": full,
        "Ticket Category [list]": t[m.CATEGORY],
        "Subcategory [list]": t[m.SUBCATEGORY],
        "Service [list]": t[m.SERVICE],
        "Configuration item [txt]": t[m.CI],
        "Request type [list]": t[m.REQUEST_ITEM],
        "Total time spent (sec) [int]": (t[m.TIME_SPENT_HOURS] * 3600).round().astype("Int64"),
    }
    cols["Assignee stations"] = cols["Group stations"].where(t[m.ASSIGNEE].notna(), 0)
    frame = pd.DataFrame(index=t.index)
    for name in _CSV_COLUMNS:
        value = cols.get(name)
        frame[name] = (pd.Series(value, index=t.index) if value is not None
                       else pd.Series(pd.NA, index=t.index)).astype(m.STRING_DTYPE)
    return frame


def write_zendesk_csv(tickets: pd.DataFrame, out_dir: str | Path,
                      name: str = "zendesk_export.csv", tz: str = "UTC") -> Path:
    """Write the admin CSV export, times in the account's time zone ``tz``; returns its
    path (read it back with ``--tz`` set to that zone)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = zendesk_csv_frame(tickets, tz)
    arrays = [pa.array(frame[c].to_numpy(dtype=object, na_value=None), pa.string())
              for c in frame.columns]
    path = out / name
    pacsv.write_csv(pa.Table.from_arrays(arrays, names=list(frame.columns)), path,
                    write_options=pacsv.WriteOptions(quoting_style="needed"))
    return path


def _iso(col: pd.Series) -> pd.Series:
    return _text(col.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _api_columns(t: pd.DataFrame, ids: pd.Series) -> dict[str, pd.Series]:
    """Per-ticket JSON values, vectorised per column (assembled into objects later)."""
    kind = t[m.KIND].astype("object")
    status = t[m.STATUS].astype("object")
    solved = m.done_stamp(t).where(status.isin(
        ["resolved", "closed", "cancelled"]))
    requester = t[m.REQUESTER].fillna(t[m.ASSIGNEE])
    problem = t[m.PROBLEM_REF].map(ids)
    return {
        "id": t[m.TICKET_ID].map(ids).astype(int),
        "type": kind.map(_TYPE),
        "subject": _text(t[m.SUMMARY]),
        "priority": t[m.PRIORITY].astype("object").map(_PRIORITY),
        "status": status.map(_STATUS),
        "requester_id": people_ids(requester).astype("Int64"),
        "submitter_id": people_ids(requester).astype("Int64"),
        "assignee_id": people_ids(t[m.ASSIGNEE]).astype("Int64"),
        "group_id": people_ids(t[m.ASSIGNMENT_GROUP]).astype("Int64"),
        "problem_id": problem.where(problem.notna() & (kind != "problem")).astype("Int64"),
        "has_incidents": kind.eq("problem") & t[m.TICKET_ID].isin(t[m.PROBLEM_REF]),
        "due_at": _iso(t[m.DUE_AT].where(kind == "task")),
        "tags": t[m.LABELS],
        "channel": t[m.CHANNEL].astype("object").map(_VIA),
        "created_at": _iso(t[m.OPENED_AT]),
        "updated_at": _iso(t[m.UPDATED_AT]),
        "reopens": t[m.REOPEN_COUNT].astype("Int64"),
        "group_stations": (t[m.REASSIGNMENT_COUNT] + 1).astype("Int64"),
        "reply_minutes": _minutes(t[m.FIRST_RESPONSE_AT], t[m.OPENED_AT]),
        "solved_at": _iso(solved),
        **{f"custom:{title}": value for title, value in _custom_values(t).items()},
    }


def _py(value: Any) -> Any:
    """A pandas cell as a JSON-ready Python value (NA -> None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _objects(cols: dict[str, pd.Series]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ticket objects and metric sets from the per-column values."""
    rows = pd.DataFrame({k: v.to_numpy(dtype=object) for k, v in cols.items()})
    tickets, metrics = [], []
    # building nested JSON objects needs one Python object per ticket
    for r in rows.to_dict("records"):
        r = {k: _py(v) for k, v in r.items()}
        tags = r.pop("tags")
        metric = {"ticket_id": r["id"], "reopens": r.pop("reopens"),
                  "group_stations": r.pop("group_stations"),
                  "reply_time_in_minutes": {"calendar": r.pop("reply_minutes"),
                                            "business": None},
                  "solved_at": r.pop("solved_at")}
        channel = r.pop("channel")
        # every custom field is listed, empty ones with a null value (as the API does)
        r["custom_fields"] = [{"id": field_id(k[7:]), "value": r.pop(k)}
                              for k in list(r) if k.startswith("custom:")]
        r["tags"] = tags.split(";") if tags else []
        r["via"] = {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
        r["satisfaction_rating"] = None
        tickets.append(r)
        metrics.append(metric)
    return tickets, metrics


def _stale(t: pd.DataFrame, share: float, seed: int = 7) -> pd.DataFrame:
    """Older, still-open versions of some finished tickets (updated half-way)."""
    done = t[t[m.STATUS].isin(["resolved", "closed"])]
    if done.empty or share <= 0:
        return t.iloc[0:0]
    rng = np.random.default_rng(seed)
    pick = done.iloc[np.sort(rng.choice(len(done), size=max(1, int(len(done) * share)),
                                        replace=False))].copy()
    pick[m.UPDATED_AT] = pick[m.OPENED_AT] + (pick[m.UPDATED_AT] - pick[m.OPENED_AT]) / 2
    pick[m.STATUS] = pd.Categorical(["open"] * len(pick), categories=m.STATUSES)
    for col in (m.RESOLVED_AT, m.CLOSED_AT):
        pick[col] = pd.Series(pd.NaT, index=pick.index, dtype=m.TIMESTAMP_DTYPE)
    return pick


def write_zendesk_pages(tickets: pd.DataFrame, out_dir: str | Path, *, per_page: int = 1000,
                        stale_share: float = 0.05, name: str = "tickets",
                        ticket_fields: bool = True) -> list[Path]:
    """Write incremental-export JSON pages (``tickets_1.json``...) and, unless
    ``ticket_fields`` is False, ``ticket_fields.json``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = zendesk_tickets(tickets)
    ids = zendesk_ids(tickets)
    both = pd.concat([t, _stale(t, stale_share)], ignore_index=True)
    # the time-based export returns tickets by update time
    both = both.sort_values([m.UPDATED_AT, m.TICKET_ID], kind="stable").reset_index(drop=True)
    objects, metrics = _objects(_api_columns(both, ids))
    people = pd.concat([both[m.REQUESTER].fillna(both[m.ASSIGNEE]), both[m.ASSIGNEE]])
    people = pd.Series(pd.unique(people.dropna()), dtype=m.STRING_DTYPE)
    groups = pd.Series(pd.unique(both[m.ASSIGNMENT_GROUP].dropna()), dtype=m.STRING_DTYPE)
    user_ids, group_ids = people_ids(people), people_ids(groups)
    users = {str(n): int(i) for n, i in zip(people, user_ids, strict=True)}
    grps = {str(n): int(i) for n, i in zip(groups, group_ids, strict=True)}
    paths = []
    starts = list(range(0, len(objects), per_page))
    for page, lo in enumerate(starts, start=1):
        chunk = objects[lo: lo + per_page]
        refs = {o["requester_id"] for o in chunk} | {o["assignee_id"] for o in chunk}
        gref = {o["group_id"] for o in chunk}
        doc = {
            "tickets": chunk,
            "metric_sets": metrics[lo: lo + per_page],
            "users": [{"id": i, "name": n} for n, i in users.items() if i in refs],
            "groups": [{"id": i, "name": n} for n, i in grps.items() if i in gref],
            "after_cursor": f"cursor{page}",
            "end_of_stream": page == len(starts),
        }
        path = out / f"{name}_{page}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
        paths.append(path)
    if ticket_fields:
        paths.append(write_ticket_fields(tickets, out))
    return paths


def write_zendesk_ndjson(tickets: pd.DataFrame, events: pd.DataFrame | None,
                         out_dir: str | Path, name: str = "tickets.ndjson",
                         ticket_fields: bool = True) -> Path:
    """Write the full JSON export (NDJSON) with metric sets and comments inline, and
    (unless ``ticket_fields`` is False) ``ticket_fields.json`` beside it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = zendesk_tickets(tickets)
    ids = zendesk_ids(tickets)
    objects, metrics = _objects(_api_columns(t, ids))
    comments: dict[int, list[dict[str, Any]]] = {}
    if events is not None and len(events):
        c = events[(events[m.EV_KIND] == "comment") & events[m.EV_TICKET_ID].isin(ids.index)]
        c = c.sort_values([m.EV_TICKET_ID, m.EV_AT], kind="stable")
        frame = pd.DataFrame({
            "ticket": c[m.EV_TICKET_ID].map(ids).astype(int).to_numpy(),
            "author_id": people_ids(c[m.EV_AUTHOR].astype(m.STRING_DTYPE)).astype(
                "Int64").to_numpy(dtype=object, na_value=None),
            "body": c[m.EV_VALUE].to_numpy(dtype=object),
            "created_at": _iso(c[m.EV_AT]).to_numpy(dtype=object),
        })
        for r in frame.to_dict("records"):
            comments.setdefault(int(r.pop("ticket")), []).append(
                {**{k: _py(v) for k, v in r.items()}, "public": True})
    path = out / name
    with path.open("w", encoding="utf-8") as fh:
        for obj, metric in zip(objects, metrics, strict=True):
            metric = {k: v for k, v in metric.items() if k != "ticket_id"}
            line = {"ticket": {**obj, "metric_set": metric,
                               "comments": comments.get(obj["id"], [])}}
            fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    if ticket_fields:
        write_ticket_fields(tickets, out)
    return path
