"""Any other tool through a YAML mapping file (``--mapping FILE`` or a shipped name).

A mapping names, for canonical fields, the file's column (or alternatives, the first
present wins), translates tool values into the canonical vocabularies and may fix the
date format and time zone. Shipped mappings (GLPI, TOPdesk, BMC Remedy/Helix) live in
``itsm_diag/mappings/`` and load by name: ``--mapping glpi``.

Event-log files (one row per activity: case id, activity, timestamp, resource) collapse
to one ticket per case through the same mapping: the first timestamp opens the ticket,
the last activity mapped to ``resolved`` / ``closed`` / ``cancelled`` gives the done
times, the last status-bearing row gives the current status, and every row becomes an
event. Everything is vectorised (sort + groupby), never a loop over tickets.
"""

from __future__ import annotations

import difflib
import importlib.resources
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from itsm_diag import model as m
from itsm_diag.errors import ConfigError, DateFormatError, InputError
from itsm_diag.importers import dates
from itsm_diag.importers import values as v
from itsm_diag.importers.base import (
    Detection,
    Imported,
    Importer,
    ImportOptions,
    SourceInfo,
    holding_cells,
    parse_dates,
    resolve_columns,
    stamp_source,
)
from itsm_diag.importers.readers import RawTable
from itsm_diag.rulefiles import read_text, yaml_text
from itsm_diag.text import quote

__all__ = ["MappingImporter", "MappingSpec", "load_mapping", "shipped_mappings"]

#: canonical columns a mapping may not name: set by the importer, or kept automatically
#: (the raw label of status/priority/channel is kept when ``status``... is mapped)
_RESERVED = {
    m.SOURCE_TOOL: "it is set to the mapping's `tool`",
    m.SOURCE_FILE: "it is set to the file name",
    m.STATUS_RAW: "map `status`; the raw value is kept in status_raw automatically",
    m.PRIORITY_RAW: "map `priority`; the raw value is kept in priority_raw automatically",
    m.CHANNEL_RAW: "map `channel`; the raw value is kept in channel_raw automatically",
    m.STATUS_INFERRED: "it is set when a status outside the vocabulary is read by a done time",
    m.CHANGE_TYPE_RAW: "map `change_type`; the raw value is kept in change_type_raw "
                       "automatically",
    m.CHANGE_OUTCOME_RAW: "map `change_outcome`; the raw value is kept in change_outcome_raw "
                          "automatically",
}
MAPPABLE: tuple[str, ...] = tuple(c for c in m.TICKET_COLUMNS if c not in _RESERVED)

#: an event-log activity on at least this share of the rows is frequent: mapped to
#: nothing, it is named in a warning
FREQUENT_SHARE = 0.01

#: common status words understood without a `values.status` entry
DEFAULT_STATUS: dict[str, str] = {
    # done and cancelled labels in the languages exports come in (shared vocabulary)
    **v.DONE_STATUSES, **v.CANCELLED_STATUSES,
    **{s: s for s in m.STATUSES}, "canceled": "cancelled", "in progress": "open",
    "assigned": "open", "active": "open", "work in progress": "open", "on hold": "pending",
    "waiting": "pending", "solved": "resolved", "done": "closed", "completed": "closed",
    "complete": "closed", "finished": "closed", "rejected": "cancelled",
}
_DEFAULT_KIND: dict[str, str] = {
    **{k: k for k in m.KINDS}, "service request": "request", "request for change": "change",
    "rfc": "change", "issue": "incident",
}


def _fold_key(key: str) -> str:
    return " ".join(key.lower().replace("-", " ").replace("_", " ").split())


def _keys_as_text(raw: Any) -> Any:
    """Mapping keys as text: YAML may have made ``1`` an int (a ``Yes`` key is text
    already: :func:`~itsm_diag.rulefiles.yaml_text`'s ``keys_as_written``)."""
    if not isinstance(raw, dict):
        return raw
    return {str(key): value for key, value in raw.items()}


def _check_vocab(mapping: dict[str, str], allowed: tuple[str, ...], what: str) -> dict[str, str]:
    bad = sorted({str(val) for val in mapping.values() if val not in allowed})
    if bad:
        raise ValueError(f"{what} values must be one of {', '.join(allowed)}; got "
                         f"{', '.join(repr(b) for b in bad)}")
    return mapping


def map_values(s: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """:func:`values.map_vocab` computed once per distinct value (logs repeat a handful of
    activity labels over millions of rows; folding every row was most of the load time)."""
    codes, uniques = pd.factorize(s.astype("object"), use_na_sentinel=True)
    mapped = v.map_vocab(pd.Series(uniques, dtype=m.STRING_DTYPE), mapping).to_numpy(
        dtype=object)
    out = np.append(mapped, np.array([None], dtype=object))[codes]  # -1 (null) -> None
    return pd.Series(out, index=s.index, dtype="object")


#: the canonical vocabulary each value map must map into
_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "status": m.STATUSES, "channel": m.CHANNELS, "kind": m.KINDS,
    "change_type": m.CHANGE_TYPES, "change_outcome": m.CHANGE_OUTCOMES,
}


class ValuesSpec(BaseModel):
    """Tool value -> canonical value, per vocabulary field (keys compared folded)."""

    model_config = ConfigDict(extra="forbid")

    status: dict[str, str] = Field(default_factory=dict)
    priority: dict[str, int] = Field(default_factory=dict)
    channel: dict[str, str] = Field(default_factory=dict)
    kind: dict[str, str] = Field(default_factory=dict)
    change_type: dict[str, str] = Field(default_factory=dict)
    change_outcome: dict[str, str] = Field(default_factory=dict)
    sla_met: dict[str, bool] = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _keys_as_text(value)

    @field_validator("status", "channel", "kind", "change_type", "change_outcome")
    @classmethod
    def _vocabulary(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        field = str(info.field_name)
        return _check_vocab(value, _VOCABULARIES[field], field)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: dict[str, int]) -> dict[str, int]:
        bad = sorted({p for p in value.values() if not 1 <= p <= 5})
        if bad:
            raise ValueError(f"priority values must be 1 (highest) to 5; got {bad}")
        return value


class EventLogSpec(BaseModel):
    """Columns of an event log: one row per activity on a case."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    activity: str
    timestamp: str
    resource: str | None = None
    #: a column holding the status after each event, when the log has one (else the
    #: activity itself is mapped through ``values.status``)
    status: str | None = None
    #: activity -> event kind (comment, status, assignment, worklog); default status
    activity_kinds: dict[str, str] = Field(default_factory=dict)
    #: author role of every event (the log rarely says who is a requester) ...
    author_role: Literal["requester", "agent", "system"] = "agent"
    #: ... except these activities, done by the requester ("Update from customer")
    requester_activities: list[str] = Field(default_factory=list)

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_vocab(value, m.EVENT_KINDS, "activity_kinds")


class MappingSpec(BaseModel):
    """A mapping file, validated: unknown keys and values outside vocabularies fail."""

    model_config = ConfigDict(extra="forbid")

    tool: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str | None = None
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    values: ValuesSpec = Field(default_factory=ValuesSpec)
    date_format: str | None = None
    time_zone: str | None = None
    kind: str | None = None
    #: what a named column absent from the file does: fail (default) or warn; shipped
    #: mappings warn because users choose their export's columns
    missing_columns: Literal["error", "warn"] = "error"
    event_log: EventLogSpec | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for key, names in value.items():
            if key in _RESERVED:
                raise ValueError(f"columns: {key!r} cannot be mapped ({_RESERVED[key]})")
            if key not in m.TICKET_SCHEMA:
                raise ValueError(f"columns: unknown canonical field {key!r}"
                                 f"{_did_you_mean(key, MAPPABLE)}; valid fields: "
                                 f"{', '.join(MAPPABLE)}")
            if isinstance(names, list) and not names:
                raise ValueError(f"columns: {key!r} lists no column names")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        if value is not None and value not in m.KINDS:
            raise ValueError(f"kind must be one of {', '.join(m.KINDS)}; got {value!r}")
        return value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        from itsm_diag.importers.guards import date_format_problem

        problem = None if value is None else date_format_problem(value)
        if problem is not None:
            raise ValueError(f"date_format {value!r} is not a date format: {problem}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        from itsm_diag.importers.guards import known_tz

        if value is not None and not known_tz(value):
            raise ValueError(f"time_zone {value!r} is not a known time zone (use an "
                             "IANA name such as Europe/Paris or UTC)")
        return value

    def names(self, field: str) -> tuple[str, ...]:
        got = self.columns.get(field)
        if got is None:
            return ()
        return (got,) if isinstance(got, str) else tuple(got)


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_MODELS: dict[str, type[BaseModel]] = {"": MappingSpec, "values": ValuesSpec,
                                       "event_log": EventLogSpec}


def _explain(err: ValidationError) -> str:
    """pydantic's errors as one sentence naming the key and the valid ones."""
    parts = []
    for e in err.errors():
        loc = [str(x) for x in e["loc"]]
        where = ".".join(loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            parent = _MODELS.get(".".join(loc[:-1]), MappingSpec)
            valid = list(parent.model_fields)
            parts.append(f"unknown key {loc[-1]!r}"
                         f"{' under ' + '.'.join(loc[:-1]) if loc[:-1] else ''}"
                         f"{_did_you_mean(loc[-1], valid)}; valid keys: {', '.join(valid)}")
        elif e["type"] == "missing":
            parts.append(f"missing required key {where!r}")
        elif e["type"] == "value_error":
            parts.append(str(e["msg"]).removeprefix("Value error, "))
        else:
            parts.append(f"{where}: {e['msg']} (got {quote(e.get('input'))})")
    return "; ".join(parts)


def shipped_mappings() -> dict[str, Path]:
    """Mappings bundled with the package, by name (file stem)."""
    folder = importlib.resources.files("itsm_diag") / "mappings"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir()
            if p.name.endswith((".yaml", ".yml"))}


def resolve_mapping_path(path: Path | str) -> Path:
    """A file path as given, else a shipped mapping's name (``glpi``)."""
    p = Path(path)
    if p.is_file():
        return p
    shipped = shipped_mappings()
    name = p.stem.lower() if p.suffix in (".yaml", ".yml") else str(path).lower()
    if p.parent == Path(".") and name in shipped:
        return shipped[name]
    raise ConfigError(
        "no such mapping file", file=p,
        hint=f"give the path of a YAML mapping, or one of the shipped mappings: "
             f"{', '.join(sorted(shipped))}",
    )


def parse_mapping(text: str, path: Path | str) -> MappingSpec:
    """Validate mapping YAML text (``path`` only names the file in errors)."""
    data = yaml_text(text, path, keys_as_written=True)
    if not isinstance(data, dict):
        raise ConfigError("a mapping file must be a YAML mapping with at least `tool:` and "
                          "`columns:`", file=path, hint="see the README's mapping example")
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc), file=path,
                          hint="see the README section 'Any other tool: mapping files'") from exc


def load_mapping(path: Path | str) -> MappingImporter:
    """The importer described by a mapping file (or a shipped mapping's name)."""
    resolved = resolve_mapping_path(path)
    try:
        text = read_text(resolved)
    except OSError as exc:
        raise ConfigError(f"cannot read the mapping: {exc.strerror}", file=resolved,
                          hint="check the path and permissions") from exc
    spec = parse_mapping(text, resolved)
    if spec.event_log is None and not spec.names(m.TICKET_ID):
        raise ConfigError("columns: ticket_id is required (the column with the ticket number)",
                          file=resolved, hint="add `ticket_id: <column>` under columns")
    if spec.event_log is None and not spec.names(m.OPENED_AT):
        raise ConfigError("columns: opened_at is required (the column with the open time)",
                          file=resolved, hint="add `opened_at: <column>` under columns")
    return MappingImporter(spec, resolved, shipped=_is_shipped(resolved))


def _is_shipped(path: Path) -> bool:
    """Whether ``path`` is one of the mappings bundled with the package (by name or by
    its own path; a copy elsewhere is the user's own)."""
    try:
        return path.resolve() in {p.resolve() for p in shipped_mappings().values()}
    except OSError:
        return False


class MappingImporter(Importer):
    """Reads any table through a :class:`MappingSpec`."""

    def __init__(self, spec: MappingSpec, path: Path, shipped: bool = False) -> None:
        self.spec = spec
        self.path = path
        self.name = spec.tool
        #: a mapping bundled with the package: its ``values`` list the spellings of
        #: several languages and versions on purpose, so keys no file value matches are
        #: not warned about (:meth:`_unused_values`)
        self.shipped = shipped

    def _wanted(self) -> dict[str, tuple[str, ...]]:
        """canonical (or ``_case``/``_activity``...) -> column names to look for."""
        wanted = {c: self.spec.names(c) for c in self.spec.columns}
        log = self.spec.event_log
        if log is not None:
            wanted.update({"_case": (log.case_id,), "_activity": (log.activity,),
                           "_at": (log.timestamp,)})
            if log.resource:
                wanted["_resource"] = (log.resource,)
            if log.status:
                wanted["_status"] = (log.status,)
        return wanted

    def fit(self, raw: RawTable) -> tuple[int, int]:
        """How many of the columns the mapping names ``raw`` has, and how many it names
        (the ``event_log`` columns included)."""
        wanted = self._wanted()
        return len(resolve_columns(raw.headers, wanted)), len(wanted)

    def detect(self, raw: RawTable) -> Detection:
        wanted = self._wanted()
        found = resolve_columns(raw.headers, wanted)
        score = len(found) / max(len(wanted), 1)
        table = "event_log" if self.spec.event_log is not None else "tickets"
        return Detection(self.name, score, table,
                         [f"mapping {self.path.name} ({len(found)}/{len(wanted)} columns found)"])

    def zone(self, options: ImportOptions) -> str:
        """The zone of the times a file read through this mapping holds without an
        offset: ``--tz`` when given (UTC too: ``tz_given``), else the mapping's
        ``time_zone``, else UTC."""
        if options.tz_chosen:
            return options.tz
        return self.spec.time_zone or "UTC"

    def _required(self) -> tuple[str, ...]:
        return (("_case", "_activity", "_at") if self.spec.event_log
                else (m.TICKET_ID, m.OPENED_AT))

    def missing_column(self, raw: RawTable) -> str | None:
        """The first required column the mapping names that ``raw`` does not have
        (``no column 'opened' for columns.opened_at``), or None when it fits."""
        wanted = self._wanted()
        found = resolve_columns(raw.headers, wanted)
        for key in self._required():
            if key not in found:
                field = {"_case": "event_log.case_id", "_activity": "event_log.activity",
                         "_at": "event_log.timestamp"}.get(key, f"columns.{key}")
                names = " / ".join(quote(n, 40) for n in wanted[key])
                cut = _comment_cut(wanted[key], raw.headers, field)
                return f"no column {names} for {field}" + (f" ({cut})" if cut else "")
        return None

    def _resolve(self, raw: RawTable, warnings: list[str]) -> dict[str, str]:
        wanted = self._wanted()
        found = resolve_columns(raw.headers, wanted)
        required = self._required()
        missing = [k for k in wanted if k not in found]
        hard = [k for k in missing if k in required or self.spec.missing_columns == "error"]
        if hard:
            key = hard[0]
            names = " / ".join(repr(n) for n in wanted[key])
            field = {"_case": "event_log.case_id", "_activity": "event_log.activity",
                     "_at": "event_log.timestamp", "_resource": "event_log.resource",
                     "_status": "event_log.status"}.get(key, f"columns.{key}")
            raise InputError(
                f"the mapping {self.path} names column {names} for {field}, but the file has "
                f"no such column (it has: {', '.join(raw.headers[:12])}"
                f"{'...' if len(raw.headers) > 12 else ''})",
                file=raw.path, column=wanted[key][0],
                hint=_comment_cut(wanted[key], raw.headers, field) or (
                    f"fix {field} in {self.path.name} to one of the file's headers, or "
                    "export the file with that column"),
            )
        if missing:
            warnings.append("mapped columns not in this file (left empty): "
                            + ", ".join(f"{k} ({wanted[k][0]!r})" for k in missing))
        return found

    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        spec = self.spec
        warnings = list(raw.warnings)
        found = self._resolve(raw, warnings)
        frame = raw.frame
        opts = ImportOptions(date_format=options.date_format or spec.date_format,
                             tz=self.zone(options))
        date_cols = {c: h for c, h in found.items()
                     if c in m.TIMESTAMP_COLUMNS or c == "_at"}
        try:
            parsed, formats, date_warnings = parse_dates(raw, date_cols, opts)
        except DateFormatError as exc:
            if options.date_format is None and spec.date_format is not None and (
                    exc.remedy == "check"):
                # the format the values contradict is this mapping's, not --date-format's
                dates.blame_given(exc, spec.date_format, self.path)
            raise
        if options.date_format is None and spec.date_format is not None:
            formats = dates.order_given_by(formats, self.path)
        warnings.extend(date_warnings)
        rows = pd.DataFrame(index=frame.index)
        for key, header in found.items():
            rows[key] = parsed[key] if key in parsed else frame[header]
        self._unused_values(rows, warnings)
        events = m.empty_events()
        if spec.event_log is not None:
            rows, events, notes = self._collapse(rows)
            warnings.extend(notes)
        blank = rows[m.TICKET_ID].isna()
        if blank.all():
            raise InputError("the ticket id column is empty", file=raw.path,
                             column=found.get(m.TICKET_ID, found.get("_case")),
                             hint="check columns.ticket_id in the mapping")
        if blank.any():
            # an event log's rows are collapsed to tickets: counted as they stand
            skipped = (int(blank.sum()) if spec.event_log is not None
                       else holding_cells(raw.frame, blank))
            if skipped:
                warnings.append(f"{skipped} rows without a ticket id were skipped")
            rows = rows[~blank]
        tickets = self._canonical(rows, warnings)
        stamp_source(tickets, spec.tool, raw.name)
        tickets = m.conform_tickets(tickets)
        column_map = {c: h for c, h in found.items() if c in m.TICKET_SCHEMA}
        if spec.event_log is not None:
            column_map.setdefault(m.TICKET_ID, found["_case"])
            column_map.setdefault(m.OPENED_AT, found["_at"] + " (first event)")
            column_map.setdefault(m.STATUS, found.get("_status", found["_activity"])
                                  + " (last mapped event)")
        info = SourceInfo(
            path=raw.label,
            tool=spec.tool, table=detection.table, rows=len(frame), tickets=len(tickets),
            confidence=round(detection.score, 2),
            detected_by=f"--mapping {self.path.name}", encoding=raw.encoding,
            delimiter=raw.delimiter, date_formats=formats, column_map=column_map,
            warnings=warnings,
        )
        return Imported(tickets=tickets, events=m.conform_events(events), info=info)

    def _unused_values(self, rows: pd.DataFrame, warnings: list[str]) -> None:
        """Warn about ``values:`` keys that match no value of their column in this file:
        a misspelt key maps nothing, and the values it meant stay unmapped. Not for a
        shipped mapping, whose keys are alternatives (other languages, numeric codes)
        most files use a few of; its values left unmapped are still warned about."""
        if self.shipped:
            return
        log = self.spec.event_log
        status_label = "_status" if "_status" in rows else "_activity" if log else m.STATUS
        columns = {"status": status_label, "priority": m.PRIORITY, "channel": m.CHANNEL,
                   "kind": m.KIND, "change_type": m.CHANGE_TYPE,
                   "change_outcome": m.CHANGE_OUTCOME, "sla_met": m.SLA_MET}
        for field, column in columns.items():
            keys = getattr(self.spec.values, field)
            if not keys or column not in rows:
                continue
            present = set(v.fold(pd.Series(rows[column].dropna().unique(),
                                           dtype=m.STRING_DTYPE)).dropna())
            unused = [k for k in keys if _fold_key(str(k)) not in present]
            if unused:
                named = ", ".join(quote(str(k), 40) for k in unused[:v.NAMED_VALUES])
                more = (f" and {len(unused) - v.NAMED_VALUES} more"
                        if len(unused) > v.NAMED_VALUES else "")
                warnings.append(
                    f"values.{field}: {len(unused)} of its {len(keys)} key(s) match no value "
                    f"in this file: {named}{more} (keys are compared ignoring case, '-' and "
                    "'_'); check their spelling against the file's values")

    # ---- event log -----------------------------------------------------------------
    def _status_map(self) -> dict[str, str]:
        return {**DEFAULT_STATUS, **{_fold_key(k): s for k, s in self.spec.values.status.items()}}

    def _collapse(self, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """One ticket per case: first event opens, mapped activities close, last row wins."""
        log = self.spec.event_log
        assert log is not None  # nosec B101  # type narrowing: only called for event logs
        n_rows = len(rows)
        rows = rows[rows["_case"].notna()].copy()
        rows["_pos"] = range(len(rows))
        rows = rows.sort_values(["_case", "_at", "_pos"], kind="stable", na_position="first")
        rows = rows.reset_index(drop=True)
        # group by integer codes, not the id strings: the same groups, far faster
        codes, case_ids = pd.factorize(rows["_case"].astype("object"), sort=False)
        case = pd.Series(codes, index=rows.index)
        label = rows["_status"] if "_status" in rows else rows["_activity"]
        done = map_values(label, self._status_map())
        has_status = done.notna()
        at = rows["_at"]

        groups = rows.drop(columns=["_pos"]).groupby(case, sort=True)
        out = groups.last()  # the last non-null value of every mapped column, per case
        out[m.TICKET_ID] = pd.Series(case_ids, dtype=m.STRING_DTYPE).to_numpy()
        by_case = at.groupby(case, sort=True)
        if m.OPENED_AT not in self.spec.columns:
            out[m.OPENED_AT] = by_case.min()
        if m.UPDATED_AT not in self.spec.columns:
            out[m.UPDATED_AT] = by_case.max()
        # current status: the label of the last row whose activity maps to a status
        out[m.STATUS] = label[has_status].groupby(case[has_status], sort=True).last()
        for column, states in ((m.RESOLVED_AT, {"resolved"}),
                               (m.CLOSED_AT, {"closed", "cancelled"})):
            if column not in self.spec.columns:
                hit = done.isin(states).to_numpy(dtype=bool)
                out[column] = at[hit].groupby(case[hit], sort=True).max()
        if m.REOPEN_COUNT not in self.spec.columns:
            seq = done[has_status]
            prev = seq.groupby(case[has_status], sort=True).shift()
            reopened = prev.isin(m.DONE_STATUSES) & ~seq.isin(m.DONE_STATUSES)
            out[m.REOPEN_COUNT] = reopened.groupby(case[has_status], sort=True).sum()
        if m.REASSIGNMENT_COUNT not in self.spec.columns and m.ASSIGNMENT_GROUP in rows:
            grp = rows[m.ASSIGNMENT_GROUP]
            known = grp.notna().to_numpy(dtype=bool)
            g = grp[known].astype(m.STRING_DTYPE)
            prev_g = g.groupby(case[known], sort=True).shift()
            moved = (prev_g.notna() & g.ne(prev_g)).fillna(False).astype(bool)
            counts = moved.groupby(case[known], sort=True).sum()
            out[m.REASSIGNMENT_COUNT] = counts.reindex(out.index).fillna(0)
        out = out.drop(columns=[c for c in ("_case", "_at", "_activity", "_resource",
                                            "_status") if c in out]).reset_index(drop=True)

        activity = rows["_activity"].astype(m.STRING_DTYPE)
        role = map_values(activity, dict.fromkeys(log.requester_activities, "requester"))
        kind = map_values(activity, log.activity_kinds).fillna("status")
        value = activity
        if m.ASSIGNMENT_GROUP in rows:
            # with a group column, the assignment history is the group itself: an activity
            # mapped to "assignment" carries the group it left the case with, and so does
            # every row where the group changed (the routing check's ping-pong and the flow
            # view read group names, not the activity's name)
            grp = rows[m.ASSIGNMENT_GROUP].astype(m.STRING_DTYPE)
            held = grp.groupby(case, sort=False).ffill()
            prev = held.groupby(case, sort=False).shift()
            changed = (held.notna() & held.ne(prev).fillna(True)).fillna(False).astype(bool)
            is_assign = (kind == "assignment").to_numpy(dtype=bool) & held.notna().to_numpy()
            value = value.mask(pd.Series(is_assign, index=rows.index), held)
        events = pd.DataFrame({
            m.EV_TICKET_ID: rows["_case"].astype(m.STRING_DTYPE),
            m.EV_AT: at,
            m.EV_KIND: kind,
            m.EV_AUTHOR_ROLE: role.fillna(log.author_role),
            m.EV_AUTHOR: (rows["_resource"].astype(m.STRING_DTYPE) if "_resource" in rows
                          else pd.Series(pd.NA, index=rows.index, dtype=m.STRING_DTYPE)),
            m.EV_VALUE: value,
            # the status each status-bearing row set, in canonical terms
            m.EV_STATUS: done.where(kind == "status"),
        })
        if m.ASSIGNMENT_GROUP in rows:
            # a group change on a row that is not an assignment activity: its own event
            moved = changed & ~pd.Series(is_assign, index=rows.index)
            extra = events[moved.to_numpy()].assign(**{
                m.EV_KIND: "assignment", m.EV_VALUE: held[moved], m.EV_STATUS: pd.NA})
            # each right after the row it came from, so same-time events keep their order
            order = np.concatenate([2 * np.arange(len(events)),
                                    2 * np.flatnonzero(moved.to_numpy()) + 1])
            events = pd.concat([events, extra], ignore_index=True)
            events = events.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        note = (f"event log: {n_rows:,} rows collapsed to {len(out):,} tickets (first "
                f"{log.timestamp!r} opens, activities mapped in values.status set the status "
                f"and done times); every row kept as an event")
        kinds = map_values(activity, log.activity_kinds)
        # a row that sets no status and is no comment, assignment or worklog either
        idle = label.notna() & ~has_status & (kinds.isna() | ("_status" in rows)) & \
            role.isna()
        return out, events, [note, *self._idle_rows(label[idle], len(rows))]

    def _idle_rows(self, labels: pd.Series, n_rows: int) -> list[str]:
        """A warning naming the frequent activities (or statuses) of an event log that map
        to nothing: an unmapped "Resolve ticket" leaves every ticket unresolved, and the
        time to resolve silently moves to the close."""
        if labels.empty:
            return []
        counts = labels.astype(m.STRING_DTYPE).value_counts()
        frequent = counts[counts >= max(1, FREQUENT_SHARE * n_rows)]
        if frequent.empty:
            return []
        status = bool(self.spec.event_log and self.spec.event_log.status)
        what = ("status" if status else "activity") if len(frequent) == 1 else (
            "statuses" if status else "activities")
        named = ", ".join(f"{quote(str(a), 40)} ({int(n):,} rows)"
                          for a, n in frequent.head(v.NAMED_VALUES).items())
        rest = len(counts) - min(len(frequent), v.NAMED_VALUES)
        return [f"event log: {len(frequent)} frequent {what} mapped to no status and no event "
                f"kind: {named}" + (f" ({rest:,} rarer or unnamed ones too)" if rest else "")
                + "; they neither open, resolve nor close a ticket: map them under "
                  "values.status (or event_log.activity_kinds) if they should"]

    # ---- values --------------------------------------------------------------------
    def _canonical(self, rows: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
        """Mapped raw columns -> canonical values and dtypes."""
        spec = self.spec
        vals = spec.values
        df = pd.DataFrame(index=rows.index)
        df[m.TICKET_ID] = rows[m.TICKET_ID].astype(m.STRING_DTYPE).str.strip()
        for name in rows.columns:
            if name in m.TICKET_SCHEMA and m.TICKET_SCHEMA[name] == "string" \
                    and name != m.TICKET_ID:
                df[name] = rows[name].astype(m.STRING_DTYPE)
            elif name in m.TIMESTAMP_COLUMNS:
                df[name] = rows[name]
        if m.STATUS in rows:
            raw_status = rows[m.STATUS].astype(m.STRING_DTYPE)
            df[m.STATUS_RAW] = raw_status
            read = map_values(raw_status, self._status_map())
            # a value no key maps (a custom or misspelt one) on a ticket with a done time
            status = v.done_by_time(read, raw_status, rows.get(m.RESOLVED_AT),
                                    rows.get(m.CLOSED_AT), warnings,
                                    left="left without status (map them under values.status)")
            df[m.STATUS_INFERRED] = v.inferred(raw_status, read, status)
            df[m.STATUS] = status
        if m.PRIORITY in rows:
            raw_priority = rows[m.PRIORITY].astype(m.STRING_DTYPE)
            df[m.PRIORITY_RAW] = raw_priority
            mapped = pd.to_numeric(
                map_values(raw_priority, {k: str(p) for k, p in vals.priority.items()}),
                errors="coerce")
            mapped = pd.Series(mapped, index=rows.index)
            # the tool's own reading only of the labels the mapping leaves: a scale the
            # user mapped whole is no scale to read (or warn about) by its words
            df[m.PRIORITY] = mapped.astype("Int8").fillna(v.read_priority(
                raw_priority.where(mapped.isna()), warnings, count_unread=False))
            v.note_unmapped(warnings, "priority", raw_priority, df[m.PRIORITY],
                            "left without priority (map them under values.priority)")
        if m.CHANNEL in rows:
            # a placeholder ("Unknown") is no channel, unless the mapping maps it
            raw_channel = v.drop_placeholders(rows[m.CHANNEL].astype(m.STRING_DTYPE),
                                              warnings, mapped=vals.channel)
            df[m.CHANNEL_RAW] = raw_channel
            mapped_ch = map_values(raw_channel, {**v.CHANNELS, **vals.channel})
            v.note_unmapped(warnings, "channel", raw_channel, mapped_ch,
                            "counted as 'other' (map them under values.channel)")
            df[m.CHANNEL] = mapped_ch.where(mapped_ch.notna() | raw_channel.isna(), "other")
        kind = pd.Series(None, index=rows.index, dtype="object")
        if m.KIND in rows:
            kind = map_values(rows[m.KIND], {**_DEFAULT_KIND, **vals.kind})
            v.note_unmapped(warnings, "kind", rows[m.KIND], kind,
                            (f"taken as {spec.kind}" if spec.kind else "left empty")
                            + " (map them under values.kind)")
        if spec.kind is not None:
            kind = kind.where(kind.notna(), spec.kind)
        elif kind.isna().all():
            warnings.append("no kind: map columns.kind or set `kind:` in the mapping (the "
                            "signs count incidents, requests and changes separately)")
        df[m.KIND] = kind
        change = (kind == "change").fillna(False).astype(bool)
        for field, raw_field, defaults in (
                (m.CHANGE_TYPE, m.CHANGE_TYPE_RAW, v.CHANGE_TYPES),
                (m.CHANGE_OUTCOME, m.CHANGE_OUTCOME_RAW, v.CHANGE_OUTCOMES)):
            if field in rows:
                raw_v = rows[field].astype(m.STRING_DTYPE).where(change)
                mapped_v = map_values(raw_v, {**defaults, **getattr(vals, field)})
                df[raw_field] = raw_v
                df[field] = mapped_v
                v.note_unmapped(warnings, field.replace("_", " "), raw_v, mapped_v,
                                f"left empty (map them under values.{field})")
        if m.SLA_MET in rows:
            raw_sla = rows[m.SLA_MET].astype(m.STRING_DTYPE)
            df[m.SLA_MET_RAW] = raw_sla
            if vals.sla_met:
                df[m.SLA_MET] = _sla_by_map(raw_sla, vals.sla_met, warnings)
            else:
                df[m.SLA_MET] = v.read_flag(raw_sla, warnings, "sla_met",
                                            "left empty (map them under values.sla_met)")
        for field in (m.REASSIGNMENT_COUNT, m.REOPEN_COUNT):
            if field in rows:
                df[field] = v.read_count(rows[field].astype(m.STRING_DTYPE), warnings, field)
        if m.TIME_SPENT_HOURS in rows:
            df[m.TIME_SPENT_HOURS] = v.duration(hours(rows[m.TIME_SPENT_HOURS]),
                                                rows[m.TIME_SPENT_HOURS], warnings)
        if m.WAITING_HOURS in rows:
            df[m.WAITING_HOURS] = v.duration(hours(rows[m.WAITING_HOURS]),
                                             rows[m.WAITING_HOURS], warnings, "waiting hours")
        return df


def _sla_by_map(raw: pd.Series, table: Mapping[str, bool], warnings: list[str]
                ) -> pd.Series:
    """The SLA flag through ``values.sla_met`` (``table``), the authority on what the
    column asks: ``SLA breached`` with ``Yes: false`` inverts it.

    A value the map does not list is read only where its meaning does not hang on the
    column's question: a word that names the outcome (``met``, ``within SLA``,
    ``breached``, ``SLA violated``) as it says; a plain yes/no word (``Y``, ``N``,
    ``WAHR``) in the polarity the map gives its own yes/no keys, when they all give one
    (``Yes: false`` makes every yes-word not met), with a warning counting them; without
    such keys (or with keys of both polarities) it is left empty, counted in a warning.
    Read with the default polarity, the README's own "SLA breached" example turned 73%
    adherence into 27%."""
    # on the column's distinct values (a handful over a million rows), spread by code
    column = v.Distinct.of(raw)
    values = column.values
    by_map = map_values(values, {k: str(b) for k, b in table.items()}).map(
        {"True": True, "False": False}).astype("boolean")
    left = (by_map.isna() & values.notna()).to_numpy(dtype=bool)
    if not left.any():
        return m.spread(by_map, column.codes, raw.index).astype("boolean")
    keys = pd.Series(list(table), dtype=m.STRING_DTYPE)
    said = v.plain_boolean(keys).to_numpy(dtype="float64", na_value=np.nan)
    given = np.array([float(b) for b in table.values()])
    has = ~np.isnan(said)
    sides = set((said[has] == given[has]).tolist())
    plain = v.plain_boolean(values)
    outcome = v.boolean(values).where(plain.isna())
    read = by_map.fillna(outcome)
    polarity = len(sides) == 1
    if polarity:
        same = sides.pop()
        polar = plain if same else ~plain
        by_polarity = read.isna() & polar.notna()
        read = read.fillna(polar)
        v.note_unmapped_distinct(
            warnings, "sla_met", v.Distinct(values.where(by_polarity), column.codes,
                                            column.index),
            pd.Series(pd.NA, index=values.index),
            "read in the polarity values.sla_met gives its own yes/no keys (a yes is "
            f"{'met' if same else 'not met'})", "yes/no values values.sla_met does not list")
    v.note_unmapped_distinct(warnings, "sla_met", column, read,
                             "left empty (map them under values.sla_met" + (
                                 ")" if polarity else "; a yes or no it does not list is "
                                 "read only in the polarity its own yes/no keys give, and "
                                 "it has none)"),
                             "values values.sla_met does not list")
    return m.spread(read.astype("boolean"), column.codes, raw.index).astype("boolean")


def hours(s: pd.Series) -> pd.Series:
    """A column named in hours: ``2.5`` / ``2,5``, ``2:30(:00)`` or ``1 Day 2 Hours``."""
    text = s.astype(m.STRING_DTYPE).str.strip()
    decimal = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    return decimal.astype("Float64").fillna(
        v.hours_from_duration(text.where(decimal.isna())))


def _comment_cut(names: Sequence[str], headers: Sequence[str], field: str) -> str | None:
    """The hint for a column name YAML cut at a comment: ``ticket_id: Ticket #`` reads
    ``Ticket``, since `` #`` starts a comment, where the file has ``Ticket #``."""
    for name in names:
        cut = [h for h in headers if " #" in h and h.split(" #", 1)[0].strip() == name]
        if cut:
            return (f"the file has {quote(cut[0], 40)}: in YAML a '#' after a space starts a "
                    f"comment, so write {field}'s column in quotes: {quote(cut[0], 40)}")
    return None
