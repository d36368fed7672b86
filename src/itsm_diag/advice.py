"""What would answer a sign or check the export cannot answer, in the words of the tool
the export came from.

A rule's ``data_needed`` lists the canonical fields it reads, alternatives joined by
``or`` ("reassignment_count or assignment history (events)"). An item none of whose
fields any ticket fills (nor, for a history, any event of its kind) is missing; its
first field with wording (``answer.FIELD`` in ``rules/defaults.yaml``) gives one line
per tool among the inputs: the field in people's words, its canonical name, and that
tool's column and way to get it (``answer.FIELD.TOOL``). A tool read through a mapping
gets the generic ``answer.mapped`` (the mapping key to set), except a field an event-log
mapping derives from its events (a done time from the activities its ``values.status``
maps to a done status, a reopen count from its statuses, a reassignment count from its
group column or assignment activities): that gets ``answer.event_log.FIELD``, how an
event log supplies it, never a column to map that an event log does not have. A column
the tool's header carries that no ticket fills gets ``answer.empty`` (``answer.unread`` when its
values are there, unread: a made-SLA flag in words not read). An unknown whose
every field some ticket fills says so (``answer.present``): its reason says what the
export lacks. All the words are the rules'.

A field counts as filled only on the tickets it is read on. An item's alternative that
names its kind ("change records (kind change) with ci or service and end times") counts
its fields on tickets of that kind alone, none when the export holds none: an incident's
own CI is no change record. The rule's other fields count on the kinds it reads (its
``kinds`` param, else a ``kind request or task`` item), when the export holds any of
them (else on every ticket: the lack of those tickets is its reason's to say, not a
field's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

import pandas as pd

from itsm_diag import model as m
from itsm_diag.config import RuleFile, Rules
from itsm_diag.report import Finding
from itsm_diag.signs.base import in_values
from itsm_diag.text import fmt

#: "status history (events)", "assignment history": the events of that kind
_HISTORY = re.compile(r"\b(status|assignment) history(?:\s*\(events\))?")
#: "events table with requester comments": the comment events
_COMMENTS = re.compile(r"\bevents table with [a-z ]*comments")
_WORD = re.compile(r"[a-z_:]+")
#: canonical fields an item names: ticket columns (kind is always filled: an item
#: naming it is about its values, "kind change"), and ``events`` / ``events:KIND``
_FIELDS = frozenset(m.TICKET_COLUMNS) - {m.KIND}


#: "(kind change)", "(kind request or task)": the kinds an alternative is read on
_KIND_MARK = re.compile(r"\(kind ([a-z_ ]+)\)")
#: "kind request or task": the kinds the rule reads (a bare "kind" is every kind)
_KIND_ITEM = re.compile(r"^kind ([a-z_ ]+)$")


def _kind_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"\s+or\s+|\s*,\s*|\s+", text.strip())
                 if w in m.KINDS)


def _alternatives(data_needed: Iterable[str]) -> list[list[str]]:
    """The rule's items, each as its alternatives: an item that begins with "or" is one
    more alternative of the one before (a YAML list splits "change records ..., or
    incidents with caused_by_change" at its comma); optional items left out."""
    out: list[list[str]] = []
    for raw in data_needed:
        item = raw.strip()
        if out and item.lower().startswith("or "):
            out[-1].append(item[3:].strip())
        else:
            out.append([item])
    return [alts for alts in out if not any("(optional)" in a for a in alts)]


def _tokens(item: str) -> list[str]:
    """The canonical fields (and event histories) an item names, in its order."""
    text = _COMMENTS.sub("events:comment", _HISTORY.sub(r"events:\1", item.lower()))
    text = _KIND_MARK.sub(" ", text)
    out: list[str] = []
    for word in _WORD.findall(text):
        if (word in _FIELDS or word == "events" or word.startswith("events:")) \
                and word not in out:
            out.append(word)
    return out


#: the tickets of the kinds given (None: the export has no kind column): the run's
#: cached masks (the engine's ``Context.of_kind``) or :func:`kind_masks`'
MaskOf = Callable[[tuple[str, ...]], "pd.Series | None"]


def kind_masks(tickets: pd.DataFrame) -> MaskOf:
    """Masks of the tickets of some kinds, each built once (one pass of the kind codes)
    however many rules and items ask for it: ``inspect`` has no run's Context."""
    cache: dict[tuple[str, ...], pd.Series | None] = {}

    def mask_of(kinds: tuple[str, ...]) -> pd.Series | None:
        if kinds not in cache:
            cache[kinds] = (in_values(tickets[m.KIND], kinds) if m.KIND in tickets.columns
                            else None)
        return cache[kinds]
    return mask_of


def _masks(tickets: pd.DataFrame, mask_of: MaskOf | None) -> MaskOf:
    return kind_masks(tickets) if mask_of is None else mask_of


def _item_kinds(item: str) -> tuple[str, ...] | None:
    """The kinds a "kind request or task" item names (None: the item is no such)."""
    found = _KIND_ITEM.match(item.strip().lower())
    return _kind_words(found.group(1)) if found else None


class _Scope:
    """Where a rule's fields count as filled: its alternatives' own kinds (strict), else
    the kinds the rule reads (when the export holds any of them), else every ticket."""

    def __init__(self, rule: RuleFile, tickets: pd.DataFrame,
                 events: pd.DataFrame | None, mask_of: MaskOf) -> None:
        self.tickets, self.events, self._mask_of = tickets, events, mask_of
        kinds: tuple[str, ...] = tuple(str(k) for k in rule.params.get("kinds", ()) or ())
        if not kinds:
            kinds = next((k for k in map(_item_kinds, rule.data_needed) if k is not None),
                         ())
        self.kinds = kinds

    def _mask(self, kinds: tuple[str, ...]) -> pd.Series | None:
        # in the vocabulary's order: the rules that read the same kinds share one mask
        return self._mask_of(tuple(k for k in m.KINDS if k in kinds))

    @cached_property
    def rule_mask(self) -> pd.Series | None:
        """The tickets of the kinds the rule reads; None: every ticket (no kinds named,
        none of them in the export, or every ticket of one of them)."""
        mask = self._mask(self.kinds) if self.kinds else None
        # the rule's kinds absent from the export: its reason says so; every ticket counts
        if mask is None or not bool(mask.any()):
            return None
        return None if set(self.kinds) >= set(m.KINDS) and bool(mask.all()) else mask

    def kinds_held(self, kinds: tuple[str, ...]) -> bool:
        """Whether some ticket is of one of ``kinds`` (a "kind request or task" item)."""
        mask = self._mask(kinds)
        return mask is not None and bool(mask.any())

    def filled(self, token: str, kinds: tuple[str, ...] = ()) -> bool:
        """Whether some ticket of ``kinds`` (else of the rule's kinds) fills ``token``
        (an event history: some event of its kind)."""
        if token.startswith("events"):
            return _filled(token, self.tickets, self.events)
        if token not in self.tickets.columns:
            return False
        mask = self._mask(kinds) if kinds else self.rule_mask
        held = self.tickets[token].notna()
        return bool((held & mask).any() if mask is not None else held.any())

    def item_filled(self, alternatives: list[str]) -> bool:
        """Whether some alternative of an item has a field filled where it is read."""
        for alt in alternatives:
            marked = _KIND_MARK.search(alt.lower())
            kinds = _kind_words(marked.group(1)) if marked else ()
            if any(self.filled(t, kinds) for t in _tokens(alt)):
                return True
        return False


def _filled(token: str, tickets: pd.DataFrame, events: pd.DataFrame | None) -> bool:
    if token.startswith("events"):
        if events is None or not len(events):
            return False
        kind = token.partition(":")[2]
        # compared in the column's own type: a copy of a million events' kinds as
        # strings, once per field asked, was the cost of it
        return not kind or bool(events[m.EV_KIND].eq(kind).fillna(False).any())
    return token in tickets.columns and bool(tickets[token].notna().any())


def missing_fields(rule: RuleFile, tickets: pd.DataFrame, events: pd.DataFrame | None,
                   wording: Mapping[str, str], *, mask_of: MaskOf | None = None
                   ) -> list[str]:
    """The fields with wording that the rule needs and no ticket (or event) holds where
    the rule reads it: of each item none of whose alternatives is filled, its first
    field with wording."""
    scope = _Scope(rule, tickets, events, _masks(tickets, mask_of))
    out: list[str] = []
    for alternatives in _alternatives(rule.data_needed):
        tokens = _tokens(" or ".join(alternatives))
        worded = [t for t in tokens if f"answer.{t}" in wording]
        if not worded or scope.item_filled(alternatives):
            continue
        if worded[0] not in out:
            out.append(worded[0])
    return out


#: the importer's marks on the columns an event-log mapping derives from its events
#: (``importers.mapping``: "Time (first event)", "Activity (last mapped event)")
_EVENT_LOG_MARKS = {m.OPENED_AT: " (first event)", m.STATUS: " (last mapped event)"}


#: a field whose file's own values the tickets keep: filled there while the field is
#: empty is filled with values the reading could not read, not unfilled
_RAW = {m.SLA_MET: m.SLA_MET_RAW}


def _event_logs(inputs: Iterable[tuple[str, Mapping[str, str]]]) -> set[str]:
    """The tools among the inputs read through an event-log mapping."""
    return {tool for tool, column_map in inputs
            if any(str(column_map.get(field, "")).endswith(mark)
                   for field, mark in _EVENT_LOG_MARKS.items())}


def _tools(inputs: Iterable[tuple[str, Mapping[str, str]]]) -> dict[str, dict[str, str]]:
    """Each tool among the inputs, in their order, with the columns its headers carry
    (canonical field -> the first file's column)."""
    out: dict[str, dict[str, str]] = {}
    for tool, column_map in inputs:
        cols = out.setdefault(tool, {})
        for field, column in column_map.items():
            cols.setdefault(field, column)
    return out


def answer_lines(rule: RuleFile, inputs: Sequence[tuple[str, Mapping[str, str]]],
                 tickets: pd.DataFrame, events: pd.DataFrame | None,
                 wording: Mapping[str, str], *, mask_of: MaskOf | None = None) -> list[str]:
    """One line per missing field per tool among ``inputs`` ((tool, column map) pairs):
    what would answer ``rule`` from each tool. Empty when no field it needs is missing
    (too few tickets, a value outside the vocabulary: its reason says so)."""
    quiz = wording["answer.quiz" if rule.kind == "sign" else "answer.no_quiz"]
    tools, logs = _tools(inputs), _event_logs(inputs)
    lines = []
    for field in missing_fields(rule, tickets, events, wording, mask_of=mask_of):
        for tool, columns in tools.items():
            values = {"canonical": field, "quiz": quiz, "column": columns.get(field, "")}
            key = f"answer.{field}.{tool}"
            if field in columns:
                # this tool's tickets' own labels (another tool's unread words are not
                # this column's)
                raw = _RAW.get(field)
                unread = raw is not None and raw in tickets and bool(
                    (tickets[raw].notna() & (tickets[m.SOURCE_TOOL] == tool)).any())
                how = fmt(wording["answer.unread" if unread else "answer.empty"], values)
            elif tool in logs and f"answer.event_log.{field}" in wording:
                # derived from the events: no column to map
                how = fmt(wording[f"answer.event_log.{field}"], values)
            elif tool in m.BUILT_IN_TOOLS and key in wording:
                how = fmt(wording[key], values)
            else:
                how = fmt(wording["answer.mapped"], values)
            lines.append(fmt(wording["answer.line"], {
                "tool": wording.get(f"answer.tool.{tool}", tool),
                "field": wording[f"answer.{field}"], "canonical": field, "how": how}))
    return lines


def what_would_answer(rule: RuleFile, inputs: Sequence[tuple[str, Mapping[str, str]]],
                      tickets: pd.DataFrame, events: pd.DataFrame | None,
                      wording: Mapping[str, str], *, mask_of: MaskOf | None = None
                      ) -> str | None:
    """:func:`answer_lines` as one text (lines as sentences; the formats end it), or
    None when no field the rule needs is missing."""
    lines = answer_lines(rule, inputs, tickets, events, wording, mask_of=mask_of)
    return ". ".join(lines) if lines else None


def all_present(rule: RuleFile, tickets: pd.DataFrame, events: pd.DataFrame | None, *,
                mask_of: MaskOf | None = None) -> bool:
    """Whether every item the rule needs names a canonical field and some ticket (or
    event) fills one of its alternatives: an unknown then comes from what the export
    holds of them (too few tickets, its cut), never from a field it lacks."""
    # a bare "kind" is every ticket's (always filled); "kind request or task" is there
    # when some ticket is of one of those kinds
    scope = _Scope(rule, tickets, events, _masks(tickets, mask_of))
    items = [alts for alts in _alternatives(rule.data_needed)
             if " or ".join(alts).strip().lower() != m.KIND]
    return bool(items) and len(tickets) > 0 and all(map(scope_holds(scope), items))


def scope_holds(scope: _Scope) -> Callable[[list[str]], bool]:
    """Whether ``scope`` holds an item: some ticket of the kinds a "kind request or
    task" item names, else a field of one of its alternatives filled."""
    def holds(alts: list[str]) -> bool:
        kinds = _item_kinds(alts[0]) if len(alts) == 1 else None
        if kinds is not None:
            return scope.kinds_held(kinds)
        return bool(_tokens(" or ".join(alts))) and scope.item_filled(alts)
    return holds


def answered(findings: list[Finding], rules: Rules,
             inputs: Sequence[tuple[str, Mapping[str, str]]], tickets: pd.DataFrame,
             events: pd.DataFrame | None, *, mask_of: MaskOf | None = None
             ) -> list[Finding]:
    """``findings`` with each unknown one's ``what_would_answer`` in the words of the
    inputs' tools, where a field it needs is missing (else as the engine wrote it).
    ``mask_of``: the run's masks of the tickets by kind (else built here, once each)."""
    wording = rules.defaults.wording
    mask_of = _masks(tickets, mask_of)
    out = []
    for f in findings:
        text = None
        if f.status == "unknown" and (f.id in rules.signs or f.id in rules.checks):
            rule = rules.get(f.id)
            text = what_would_answer(rule, inputs, tickets, events, wording,
                                     mask_of=mask_of)
            if text is None and all_present(rule, tickets, events, mask_of=mask_of):
                # "Needs: opened_at, …" read as if the export lacked them
                text = fmt(wording["answer.present"], {"needs": ", ".join(rule.data_needed)})
        out.append(f.model_copy(update={"what_would_answer": text}) if text else f)
    return out


def unanswerable(rules: Rules, inputs: Sequence[tuple[str, Mapping[str, str]]],
                 tickets: pd.DataFrame, events: pd.DataFrame | None
                 ) -> dict[str, list[str]]:
    """``inspect``'s list: each sign, then each check, that misses a field it needs, with
    its :func:`answer_lines` (nothing diagnosed: too few tickets is not said here)."""
    wording = rules.defaults.wording
    mask_of = kind_masks(tickets)  # one mask per set of kinds, for every rule
    out = {}
    for rule in rules.all():
        lines = answer_lines(rule, inputs, tickets, events, wording, mask_of=mask_of)
        if lines:
            out[rule.id] = lines
    return out
