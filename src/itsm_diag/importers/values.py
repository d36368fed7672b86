"""Vectorised value normalisers shared by importers: vocabularies, numbers, booleans."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.text import SPACE_RUNS, fmt, named_counts, plurals, quote

_STR = m.STRING_DTYPE


@dataclass(frozen=True)
class Distinct:
    """A column factorized once (:func:`itsm_diag.model.factorize_na`): its distinct
    values then one missing value, and each row's code into them. Several normalisers
    and checks of the same column share it instead of each factorizing the column."""

    values: pd.Series
    codes: np.ndarray
    index: pd.Index

    @classmethod
    def of(cls, s: pd.Series) -> Distinct:
        codes, values = m.factorize_na(s)
        return cls(values, codes, s.index)

    def apply(self, fn: Callable[..., pd.Series], *args: object) -> pd.Series:
        """A :func:`per_value` normaliser's result for each distinct value (not spread)."""
        return getattr(fn, "__wrapped__", fn)(self.values, *args)

    def category(self, per_distinct: pd.Series, column: str) -> pd.Series:
        """Per-distinct results as the canonical ticket column ``column`` (a vocabulary
        categorical), straight from the codes."""
        dtype = m.ticket_dtypes()[column]
        if not isinstance(dtype, pd.CategoricalDtype):
            raise TypeError(f"{column!r} is not a vocabulary column")
        return m.vocabulary_codes(per_distinct, self.codes, self.index, dtype, column)


def per_value(fn: Callable[..., pd.Series]) -> Callable[..., pd.Series]:
    """Run an element-wise normaliser on the distinct values of its first argument only.

    Ticket columns such as state, priority or channel hold a handful of distinct values
    over millions of rows: ``fn`` (regexes, folds, maps) runs on the distinct values plus
    one missing value (:func:`itsm_diag.model.factorize_na`), and the results are taken
    back to every row by code. ``fn`` must treat each value independently of the others.
    An empty column is given to ``fn`` as it is: its distinct values would hold the
    missing one, and a result's dtype can depend on it (``to_numeric`` of nothing is
    Int64, of one missing value Float64).
    """

    @functools.wraps(fn)
    def wrapper(s: pd.Series, *args: object, **kwargs: object) -> pd.Series:
        if not len(s):
            return fn(s, *args, **kwargs).rename(s.name)
        codes, distinct = m.factorize_na(s)
        return m.spread(fn(distinct, *args, **kwargs), codes, s.index).rename(s.name)

    return wrapper


def _fold(s: pd.Series) -> pd.Series:
    return (
        s.astype(_STR).str.lower().str.replace(r"[-_]+", " ", regex=True)
        .str.replace(SPACE_RUNS, " ", regex=True).str.strip()
    )


@per_value
def fold(s: pd.Series) -> pd.Series:
    """Lower case, ``-``/``_`` to spaces, whitespace folded: the key for vocabulary maps."""
    return _fold(s)


@per_value
def map_vocab(s: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Map folded values through ``mapping`` (keys folded too); unmapped -> <NA>."""
    folded = _fold(s)
    keyed = {" ".join(k.lower().replace("-", " ").replace("_", " ").split()): v
             for k, v in mapping.items()}
    return folded.map(keyed).astype("object").where(lambda x: x.notna(), None)


#: distinct unmapped values a warning names (the rest are counted)
NAMED_VALUES = 5


#: what :func:`note_unmapped` says the tickets hold, by default
OUTSIDE_VOCABULARY = "values outside its vocabulary"


def note_unmapped(warnings: list[str], field: str, raw: pd.Series, mapped: pd.Series,
                  outcome: str, what: str = OUTSIDE_VOCABULARY) -> None:
    """Add a warning counting the tickets whose ``raw`` value ``mapped`` left empty (a
    value outside the field's vocabulary, or ``what`` else), naming the most frequent
    such values with their counts: nothing is dropped or guessed without a word."""
    mask = (raw.notna() & mapped.isna()).to_numpy(dtype=bool)
    if mask.any():
        _unmapped_warning(warnings, field, raw[mask].astype(_STR).value_counts(), outcome,
                          what)


def note_unmapped_distinct(warnings: list[str], field: str, raw: Distinct,
                           mapped: pd.Series, outcome: str,
                           what: str = OUTSIDE_VOCABULARY) -> None:
    """:func:`note_unmapped` from a column's distinct values and their results
    (``mapped``, one per distinct value): counted from the codes, no per-row pass."""
    mask = (raw.values.notna() & mapped.isna()).to_numpy(dtype=bool)
    if mask.any():
        counts = np.bincount(raw.codes, minlength=len(raw.values))[mask]
        _unmapped_warning(warnings, field, pd.Series(
            counts, index=pd.Index(raw.values[mask].astype(_STR).array)), outcome, what)


def done_by_time(status: pd.Series, raw: pd.Series, resolved: pd.Series | None,
                 closed: pd.Series | None, warnings: list[str],
                 field: str = "status", left: str | None = None) -> pd.Series:
    """:func:`read_done_by_time`, then, with ``left`` (the outcome's words, "left without
    status"), the warning counting the tickets still without a status."""
    out = read_done_by_time(status, raw, resolved, closed, warnings, field)
    if left is not None:
        note_unmapped(warnings, field, raw, out, left)
    return out


def read_done_by_time(status: pd.Series, raw: pd.Series, resolved: pd.Series | None,
                      closed: pd.Series | None, warnings: list[str],
                      field: str = "status") -> pd.Series:
    """``status`` with each ticket whose ``raw`` status is outside the vocabulary
    (``status`` left empty) but which carries a done time read as done: ``closed`` when it
    has a closed time, else ``resolved``; counted in a warning naming the values.

    An admin's custom done status (Freshservice's ``Completed``) or a misspelt
    ``values.status`` key otherwise left a ticket with both done times filled without a
    status, and every sign counted it open forever (``model.is_done`` reads the status).
    The tickets left without status after this are the caller's to count
    (:func:`done_by_time` with ``left`` counts them)."""
    unmapped = (raw.notna() & status.isna()).to_numpy(dtype=bool)
    has_closed = (closed.notna().to_numpy(dtype=bool) if closed is not None
                  else np.zeros(len(status), dtype=bool))
    has_resolved = (resolved.notna().to_numpy(dtype=bool) if resolved is not None
                    else np.zeros(len(status), dtype=bool))
    as_closed = unmapped & has_closed
    as_resolved = unmapped & ~has_closed & has_resolved
    if not (as_closed.any() or as_resolved.any()):
        return status
    out = status.astype("object").copy()
    out[as_closed] = "closed"
    out[as_resolved] = "resolved"
    done = as_closed | as_resolved
    read_as = [f"{what} ({int(mask.sum()):,}, {why})" for what, mask, why in (
        ("closed", as_closed, "a closed time"), ("resolved", as_resolved, "a resolved time only"))
        if mask.any()]
    _unmapped_warning(warnings, field, raw[done].astype(_STR).value_counts(),
                      "read as done: " + " and ".join(read_as),
                      "values outside its vocabulary but a resolved or closed time")
    return out


def inferred(raw: pd.Series, read: pd.Series, status: pd.Series) -> pd.Series:
    """``model.STATUS_INFERRED``: True on each ticket whose ``raw`` status the vocabulary
    did not read (``read`` empty) but which ends done (resolved or closed in ``status``:
    by its done time, :func:`read_done_by_time`, or by Jira's Status Category), <NA>
    elsewhere. Such a ticket is done, but the label did not say whether it was cancelled
    instead: a sign whose verdict they could undo must not rest on them."""
    done = status.isin(("resolved", "closed")).fillna(False).to_numpy(dtype=bool)
    mask = raw.notna().to_numpy(dtype=bool) & read.isna().to_numpy(dtype=bool) & done
    out = pd.Series(pd.NA, index=status.index, dtype="boolean")
    out[mask] = True
    return out


#: the most hours a duration of one ticket may hold: more (114 years) is not one, and a
#: few such values would turn every sum of effort into infinity
MAX_DURATION_HOURS = 1_000_000.0


def duration(amounts: pd.Series, raw: pd.Series, warnings: list[str],
             field: str = "time spent", most: float = MAX_DURATION_HOURS) -> pd.Series:
    """``amounts`` (Float64) where they are durations: hours of time spent or to a first
    response, or minutes to a first reply with ``most`` in minutes; a number from 0 to
    ``most``. A negative, infinite or absurd value, and text no format reads (``raw``
    present, no amount), is left empty and counted in a warning naming the values: -100
    hours on a project would otherwise take effort away from it in the strategy sign's
    shares, and a reply 5 hours before the ticket was created would count as its first."""
    values = amounts.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        values[(values < 0) | (values > most)] = np.nan
    # built anew, not masked: a masked value keeps its number underneath, and
    # pd.to_timedelta reads it (-1e30 minutes raised OutOfBoundsTimedelta)
    out = pd.Series(pd.array(values, dtype="Float64"), index=amounts.index, name=amounts.name)
    note_unmapped(warnings, field, raw, out, "left empty", "values that are not durations")
    return out


def _unmapped_warning(warnings: list[str], field: str, counts: pd.Series,
                      outcome: str, what: str) -> None:
    """The warning of :func:`note_unmapped` from each unmapped value's row count."""
    # "1 ticket", "4 tickets": the count in its grammar, with no verb to agree
    warnings.append(plurals(f"{field}: {int(counts.sum()):,} ticket(s) with {what}, "
                            f"{outcome}: ") + named_counts(counts, NAMED_VALUES))


PRIORITY_WORDS: dict[str, int] = {
    "critical": 1, "urgent": 1, "highest": 1, "blocker": 1, "p1": 1,
    "high": 2, "p2": 2,
    "moderate": 3, "medium": 3, "normal": 3, "p3": 3,
    "low": 4, "p4": 4, "lowest": 5, "planning": 5, "p5": 5, "trivial": 5,
}


@per_value
def priority(s: pd.Series) -> pd.Series:
    """``3 - Moderate`` / ``3`` / ``Moderate`` / ``P3`` -> 3 (Int8, 1 highest .. 5).

    A leading number decides when there is one, and only 1 to 5 is a priority: ``10 -
    Low``, ``42``, ``0 - Critical`` and ``P0`` are left empty (and counted by
    :func:`note_unmapped`), never read digit by digit or guessed from a word. A ``P``
    label's number is read whole the same way: ``P12``, ``P345``, ``P1000``, ``P1.5`` and
    ``P1,000`` are left empty (not ``P1``, ``P3``), ``P3.0`` is 3.
    """
    text = s.astype(_STR)
    lead = pd.to_numeric(text.str.extract(r"^\s*(\d+)(?:\.0+)?(?![\d.,])", expand=False),
                         errors="coerce")
    # the first word with all the digits glued to it, and what follows them: "p12" is not
    # "p1", nor "p1.5" or "p1,000"; only a ".0" may follow (as after a leading number)
    parts = _fold(text).str.extract(r"([a-z]+)(\d*)((?:[.,]\d+)*)")
    whole_number = (parts[1].fillna("").eq("")
                    | parts[2].fillna("").str.fullmatch(r"(?:\.0+)?")).fillna(False).astype(bool)
    word = (parts[0] + parts[1]).where(whole_number).map(PRIORITY_WORDS)
    numbered = text.str.match(r"^\s*\d").fillna(False).astype(bool)
    out = lead.where(numbered, pd.to_numeric(word, errors="coerce"))
    out = out.where((out >= 1) & (out <= 5))
    return out.astype("Int8")


#: how urgent a priority's word says it is (1 most .. 5 least), in the languages exports
#: come in: what tells a scale numbered from the least urgent up ("1 very low" .. "5 very
#: high", as OTRS and Znuny number theirs) from one numbered from the most urgent
URGENCY_WORDS: dict[str, int] = {
    **{w: 1 for w in ("critical", "critique", "kritisch", "critico", "crítico", "urgent",
                      "urgente", "dringend", "emergency", "blocker", "highest", "höchste")},
    **{w: 2 for w in ("high", "hoch", "haute", "haut", "élevée", "elevee", "élevé",
                      "eleve", "alta", "alto", "hoog", "major")},
    **{w: 3 for w in ("medium", "moderate", "normal", "normale", "mittel", "moyenne",
                      "moyen", "media", "medio", "gemiddeld", "standard")},
    **{w: 4 for w in ("low", "niedrig", "basse", "bas", "faible", "baja", "bajo", "laag",
                      "minor")},
    **{w: 5 for w in ("lowest", "planning", "trivial", "niedrigste")},
}
#: words that make "high" the most urgent and "low" the least ("very high", "sehr niedrig")
_VERY = frozenset({"very", "sehr", "très", "tres", "muy", "zeer", "molto", "extremely"})


def _urgency(label: str) -> int | None:
    """The urgency (1..5) a priority label's words say, or None when none says one."""
    words = re.findall(r"[^\W\d_]+", label.lower())
    for i, word in enumerate(words):
        rank = URGENCY_WORDS.get(word)
        if rank is not None:
            very = i > 0 and words[i - 1] in _VERY
            return 1 if very and rank == 2 else 5 if very and rank == 4 else rank
    return None


def read_priority(raw: pd.Series, warnings: list[str], *, count_unread: bool = True
                  ) -> pd.Series:
    """:func:`priority` of a whole column, with the one rule that needs every label at
    once: a scale numbered from the least urgent up. When the labels that carry both a
    number and a word that says how urgent they are (at least two urgencies) all rise in
    number as they rise in urgency, the words decide (``5 very high`` -> 1), a numbered
    label without such a word reads ``6 - n``, and a warning says so. Read by the
    number, 95% of such tickets would be the least urgent. Worked out once per distinct
    label. The values left without a priority are counted as :func:`note_unmapped`
    counts them (unless ``count_unread`` is False: a caller that maps some labels itself
    counts what is left)."""
    distinct = Distinct.of(raw)
    base = distinct.apply(priority).to_numpy(dtype="float64", na_value=np.nan)
    labels = [None if pd.isna(x) else str(x) for x in distinct.values]
    numbered = [x is not None and re.match(r"\s*\d", x) is not None for x in labels]
    ranks = [None if x is None else _urgency(x) for x in labels]
    # the labels read by their number that also say how urgent they are
    pairs = sorted((int(n), r, x) for x, n, r, num in zip(labels, base, ranks, numbered,
                                                            strict=True)
                   if num and r is not None and not np.isnan(n))
    # the pairs of labels that differ in both number and urgency: each says an order
    orders = [(a[0] - b[0]) * (a[1] - b[1]) < 0 for i, a in enumerate(pairs)
              for b in pairs[i + 1:] if a[0] != b[0] and a[1] != b[1]]
    if orders and all(orders):
        base = np.array([float(r) if num and r is not None else 6.0 - n if num else n
                         for n, r, num in zip(base, ranks, numbered, strict=True)])
        warnings.append(
            f"priority: the export numbers its priorities from the least urgent up "
            f"({quote(pairs[0][2], 30)} .. {quote(pairs[-1][2], 30)}): read by their words, "
            "1 the most urgent (a label without such a word as 6 minus its number)")
    per_label = pd.Series(pd.array(base, dtype="Float64").round().astype("Int8"))
    out = m.spread(per_label, distinct.codes, raw.index).rename(raw.name)
    if count_unread:
        note_unmapped_distinct(warnings, "priority", distinct, per_label, "left without priority")
    return out


#: the plain yes and no words of a flag, in the languages exports come in: a spreadsheet
#: re-saved in a localised Excel writes its booleans in the locale's words (WAHR/FALSCH,
#: VRAI/FAUX, VERDADERO/FALSO, WAAR/ONWAAR, VERO/FALSO, VERDADEIRO/FALSO, SANT/FALSKT,
#: SAND/FALSK, SANN/USANN, TOSI/EPÄTOSI, PRAWDA/FAŁSZ), and a tool in the site's
#: language its yes and no (ja/nein/nee, oui/non, sí/no, sim/não). What such a word
#: means depends on the column's question ("met?" or "breached?")
YES_WORDS: frozenset[str] = frozenset({
    "true", "yes", "y", "1", "t", "x", "ja", "j", "oui", "si", "sí", "sì", "sim", "s",
    "wahr", "vrai", "verdadero", "verdadeiro", "vero", "waar", "sant", "sand", "sann",
    "tosi", "prawda"})
NO_WORDS: frozenset[str] = frozenset({
    "false", "no", "n", "0", "f", "nein", "nee", "non", "não", "nao", "falsch", "faux",
    "falso", "onwaar", "falskt", "falsk", "usann", "epätosi", "fałsz", "nej"})
#: words that say an SLA's outcome itself, whatever the column asks
MET_WORDS: frozenset[str] = frozenset({"within sla", "met", "sla met"})
BREACHED_WORDS: frozenset[str] = frozenset({"sla violated", "breached", "sla breached",
                                            "not met"})
_TRUE = YES_WORDS | MET_WORDS
_FALSE = NO_WORDS | BREACHED_WORDS


def _flag_key(s: pd.Series) -> pd.Series:
    return s.astype(_STR).str.strip().str.lower()


@per_value
def boolean(s: pd.Series) -> pd.Series:
    """A flag's yes and no (:data:`YES_WORDS`, :data:`NO_WORDS`, in any case) and the
    words of an SLA's outcome -> True/False; anything else <NA>."""
    folded = _flag_key(s)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out = out.mask(folded.isin(_TRUE).fillna(False).astype(bool), True)
    return out.mask(folded.isin(_FALSE).fillna(False).astype(bool), False)


@per_value
def plain_boolean(s: pd.Series) -> pd.Series:
    """:func:`boolean` of the plain yes and no words alone (no outcome words): the
    values whose meaning the column's question decides."""
    folded = _flag_key(s)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out = out.mask(folded.isin(YES_WORDS).fillna(False).astype(bool), True)
    return out.mask(folded.isin(NO_WORDS).fillna(False).astype(bool), False)


#: what a flag's warning says its unread values are
NOT_YES_NO = "values that are not yes/no"


def read_flag(raw: pd.Series, warnings: list[str], field: str,
              outcome: str = "left empty") -> pd.Series:
    """:func:`boolean` of a flag column, each value it cannot read left empty and
    counted in a warning naming the values (one factorize serves both): ``Nee`` or
    ``FALSCH`` dropped without a word read as a flag nobody filled."""
    column = Distinct.of(raw)
    flags = column.apply(boolean)
    note_unmapped_distinct(warnings, field, column, flags, outcome, NOT_YES_NO)
    return m.spread(flags, column.codes, raw.index).astype("boolean").rename(raw.name)


def whole(num: pd.Series, dtype: str) -> pd.Series:
    """``num`` (numbers) where it is a whole number the integer ``dtype`` can hold, else
    missing: a count of 3,000,000,000 or 1e30 is junk, not a value to wrap round to a
    negative one in the cast."""
    low = float(np.iinfo(pd.api.types.pandas_dtype(dtype).numpy_dtype).min)
    with np.errstate(invalid="ignore"):
        ok = num.notna() & (num == num.round()) & (num >= low) & (num < -low)
    return num.where(ok.fillna(False).astype(bool))


def _integer(s: pd.Series, dtype: str = "Int32") -> pd.Series:
    """Whole numbers the column's integer type holds; ``1,234`` and ``3.0`` accepted;
    anything else <NA>."""
    text = s.astype(_STR).str.replace(",", "", regex=False)
    return whole(pd.to_numeric(text, errors="coerce"), dtype).astype(dtype)


integer = per_value(_integer)


def _count(s: pd.Series, dtype: str = "Int32") -> pd.Series:
    """A count (reassignments, reopens): a whole number 0 or more that the column's
    integer type holds, ``1,234`` and ``3.0`` accepted; anything else <NA> (a negative
    count is junk, not a number to average)."""
    whole_numbers = _integer(s, dtype)
    return whole_numbers.mask((whole_numbers < 0).fillna(False).astype(bool))


count = per_value(_count)


def read_count(raw: pd.Series, warnings: list[str], field: str) -> pd.Series:
    """``raw`` as counts (:func:`count`), with a warning counting and naming the values
    that are not (negative, fractional, too large, not a number): a reassignment count
    of -5 would otherwise pull a mean below zero without a word. One factorize of the
    column serves both."""
    column = Distinct.of(raw)
    counted = column.apply(_count)  # on the distinct values already: no second factorize
    note_unmapped_distinct(warnings, field, column, counted, "left empty",
                           "values that are not counts (whole numbers 0 or more)")
    return m.spread(counted, column.codes, raw.index).rename(raw.name)


@per_value
def number(s: pd.Series, thousands: bool = False) -> pd.Series:
    """``pd.to_numeric`` of the text (``thousands``: ``1,234`` read as 1234), anything
    else <NA>; parsed once per distinct value (a metric holds a few thousand over 100k
    tickets), its dtype the one the whole column gets (Int64 when every value is whole)."""
    text = s.astype(_STR)
    return pd.to_numeric(text.str.replace(",", "", regex=False) if thousands else text,
                         errors="coerce")


@per_value
def hours_from_duration(s: pd.Series) -> pd.Series:
    """``HH:MM:SS``, seconds, or ``1 Day 2 Hours 3 Minutes`` -> hours (Float64)."""
    text = s.astype(_STR).str.strip()
    hms = text.str.extract(r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$")
    hours = (pd.to_numeric(hms[0], errors="coerce") + pd.to_numeric(hms[1], errors="coerce") / 60
             + pd.to_numeric(hms[2], errors="coerce").fillna(0) / 3600)
    secs = pd.to_numeric(text, errors="coerce") / 3600
    words = _fold(text)
    parts = {"day": 24.0, "hour": 1.0, "minute": 1 / 60, "second": 1 / 3600}
    total = pd.Series(0.0, index=s.index)
    found = pd.Series(False, index=s.index)
    for unit, factor in parts.items():
        n = pd.to_numeric(words.str.extract(rf"(\d+)\s*{unit}s?", expand=False), errors="coerce")
        total = total + n.fillna(0) * factor
        found = found | n.notna()
    out = hours.fillna(secs).fillna(total.where(found))
    return out.astype("Float64")


CHANNELS: dict[str, str] = {
    "self service": "portal", "selfservice": "portal", "portal": "portal", "web": "portal",
    "service portal": "portal", "web form": "portal", "customer portal": "portal",
    "help center": "portal", "web widget": "portal", "form": "portal",
    "email": "email", "e mail": "email", "mail": "email", "inbound email": "email",
    "phone": "phone", "telephone": "phone", "call": "phone", "voice": "phone", "ivr": "phone",
    # JSM's customer portal used signed out (request channel ``anonymousportal``)
    "anonymousportal": "portal", "anonymous portal": "portal",
    # live chat and messaging are one channel in every tool: a ServiceNow "Chat", a
    # Freshservice "MS Teams" and a Zendesk ``chat`` or ``native_messaging`` alike
    # (trust's official_channels says whether the desk takes chat as a front door)
    "chat": "chat", "virtual agent": "chat", "messaging": "chat", "teams": "chat",
    "slack": "chat", "whatsapp": "chat", "sms": "chat", "native messaging": "chat",
    "ms teams": "chat", "msteams": "chat", "microsoft teams": "chat", "mobile sdk": "chat",
    "walk in": "walk_in", "walkin": "walk_in", "walk up": "walk_in", "in person": "walk_in",
    "api": "api", "integration": "api", "rest": "api",
    "monitoring": "monitoring", "event": "monitoring", "alert": "monitoring",
    "system": "monitoring", "discovery": "monitoring",
    # alerting tools a desk tool names as a ticket's source (Freshservice's built-in
    # "AWS Cloudwatch" and "Pagerduty"): their tickets are alerts, not a person's
    "aws cloudwatch": "monitoring", "cloudwatch": "monitoring", "pagerduty": "monitoring",
    "opsgenie": "monitoring", "datadog": "monitoring", "nagios": "monitoring",
    "zabbix": "monitoring",
}


@per_value
def channel(s: pd.Series) -> pd.Series:
    """Tool channel labels -> canonical channel; unknown non-empty values -> ``other``."""
    return channel_of(map_vocab(s, CHANNELS), s)


def channel_of(mapped: pd.Series, s: pd.Series) -> pd.Series:
    """:func:`channel` from ``map_vocab(s, CHANNELS)`` already computed (an importer that
    also counts the unmapped values maps the column once)."""
    return mapped.where(mapped.notna() | s.isna(), "other")


#: channel labels that say no channel was recorded, a placeholder and not a door a person
#: chose ("Unknown", ServiceNow's empty choice "-- None --", "Not specified", "N/A", a
#: lone dash), in the languages a tool exports its display values in (en, de, fr, es,
#: nl, it, pt), folded as :func:`fold` folds them: read as no channel, never as the door
#: "other" (7% "Unknown" and 4% "Not specified" had made a fourth channel and read a
#: desk's intake fragmented, 0.648, where its three doors hold 0.546). A literal "Other"
#: may be a real door and is not one of them
CHANNEL_PLACEHOLDERS: frozenset[str] = frozenset((
    "", "?", "unknown", "not specified", "unspecified", "none", "(none)", "<none>",
    "not set", "tbd", "to be determined", "n/a", "na", "not applicable", "not available",
    "not recorded", "not provided", "undefined", "null", "nil", "blank", "(blank)", "empty",
    "unbekannt", "nicht angegeben", "keine angabe", "keine", "k.a.", "nicht festgelegt",
    "inconnu", "inconnue", "non spécifié", "non specifie", "non renseigné", "non renseigne",
    "aucun", "aucune", "non défini",
    "desconocido", "desconocida", "no especificado", "sin especificar", "ninguno",
    "ninguna", "no definido",
    "onbekend", "niet opgegeven", "niet gespecificeerd", "geen",
    "sconosciuto", "non specificato", "nessuno", "nessuna",
    "desconhecido", "não especificado", "nao especificado", "nenhum", "nenhuma",
))


@per_value
def _placeholder(s: pd.Series, words: frozenset[str]) -> pd.Series:
    return _fold(s).isin(words).fillna(False).astype(bool) & s.notna()


def drop_placeholders(raw: pd.Series, warnings: list[str], field: str = "channel",
                      mapped: Mapping[str, str] | None = None) -> pd.Series:
    """``raw`` (a channel column) with each placeholder (:data:`CHANNEL_PLACEHOLDERS`)
    as no value, so the tool's label reads as no channel, as a blank one does, not as
    ``other``; counted and named in a warning. A value a mapping file maps (``mapped``,
    its ``values.channel``) is the mapping's, never a placeholder."""
    words = CHANNEL_PLACEHOLDERS - {str(k) for k in fold(pd.Series(list(mapped or {}),
                                                                   dtype=_STR))}
    mask = _placeholder(raw, frozenset(words)).to_numpy(dtype=bool, na_value=False)
    if not mask.any():
        return raw
    _unmapped_warning(warnings, field, raw[mask].astype(_STR).value_counts(),
                      "read as no channel", "values that say no channel was recorded")
    return raw.mask(pd.Series(mask, index=raw.index))


def note_channels(warnings: list[str], raw: pd.Series, known: Mapping[str, str]) -> None:
    """:func:`note_unmapped` for a channel column whose values outside ``known`` were
    counted as ``other``."""
    note_unmapped(warnings, "channel", raw, map_vocab(raw, known), "counted as 'other'")


#: status labels that say a ticket was cancelled (withdrawn, called off), in the
#: languages a tool exports its display values in (en, de, fr, es, nl, it, pt): shared by
#: every importer's status vocabulary, so a German ``Abgebrochen`` or ``Storniert`` is
#: never read as done by its done time
CANCELLED_STATUSES: dict[str, str] = {w: "cancelled" for w in (
    "cancelled", "canceled", "withdrawn",
    "abgebrochen", "storniert", "annulliert", "abgesagt", "zurückgezogen",
    "annulé", "annulée", "annule", "abandonné", "retiré", "retirée",
    "cancelado", "cancelada", "anulado", "anulada", "retirado", "retirada",
    "geannuleerd", "ingetrokken", "afgebroken",
    "annullato", "annullata", "cancellato", "cancellata", "ritirato", "ritirata",
)}
#: resolutions (and Jira statuses) that say the work was given up, not done: Jira's
#: "Won't Do", "Won't Fix", "Declined", "Duplicate" and the like, in the same languages,
#: and the cancelled words. A done issue with one is cancelled
GAVE_UP: dict[str, str] = {**CANCELLED_STATUSES, **{w: "cancelled" for w in (
    "won't do", "won’t do", "won't fix", "won’t fix", "declined", "rejected", "duplicate",
    "wird nicht erledigt", "wird nicht behoben", "wird nicht umgesetzt", "abgelehnt",
    "duplikat",
    "ne sera pas fait", "ne sera pas réalisé", "ne sera pas corrigé", "refusé", "rejeté",
    "doublon",
    "no se hará", "no se realizará", "no se corregirá", "rechazado", "rechazada",
    "denegado", "duplicado", "duplicada",
    "wordt niet gedaan", "wordt niet uitgevoerd", "wordt niet opgelost", "afgewezen",
    "geweigerd", "duplicaat",
    "non verrà eseguito", "non sarà fatto", "non verrà risolto", "rifiutato", "respinto",
    "duplicato",
    "não será feito", "não será corrigido", "recusado", "rejeitado",
)}}
#: done status labels in the same languages (resolved / closed / done): a localised
#: export's done tickets read by their label, not guessed from a done time. Not the
#: words that also mean "ready" (es "listo", nl "gereed", "klaar"): a custom "Ready"
#: status is open; Jira's Status Category reads them as its Done (``jira``)
DONE_STATUSES: dict[str, str] = {
    **{w: "resolved" for w in ("gelöst", "behoben", "résolu", "résolue", "resuelto",
                               "resuelta", "opgelost", "risolto", "risolta", "resolvido",
                               "resolvida")},
    **{w: "closed" for w in ("geschlossen", "abgeschlossen", "erledigt", "fertig", "fermé",
                             "fermée", "clos", "clôturé", "terminé", "cerrado", "cerrada",
                             "terminado", "finalizado", "hecho", "gesloten",
                             "afgerond", "chiuso", "chiusa",
                             "completato", "fatto", "fechado", "fechada", "concluído",
                             "concluido", "feito")},
}

CHANGE_TYPES: dict[str, str] = {
    "standard": "standard", "pre approved": "standard", "preapproved": "standard",
    # a minor change is a low-risk one still approved change by change (Freshservice's
    # Minor "undergoes every stage in a change lifecycle, including CAB approval"; ITIL's
    # minor change is a normal change the change manager authorises): only a standard
    # change is pre-approved
    "minor": "normal", "normal": "normal", "major": "normal", "comprehensive": "normal",
    "significant": "normal", "emergency": "emergency", "expedited": "emergency",
    "urgent": "emergency", "latent": "emergency",
    # de, fr, es, nl, it, pt (a localised instance exports its display values)
    **{w: "standard" for w in ("standardänderung", "estándar", "estandar", "standaard",
                               "padrão", "padrao", "vorab genehmigt", "pré approuvé",
                               "preaprobado")},
    **{w: "normal" for w in ("normale", "normaal", "normalen")},
    **{w: "emergency" for w in ("notfall", "notfalländerung", "dringend", "urgence",
                                "urgente", "emergencia", "spoed", "nood", "noodgeval",
                                "spoedwijziging", "emergenza", "emergência")},
}

CHANGE_OUTCOMES: dict[str, str] = {
    "successful": "successful", "success": "successful", "implemented": "successful",
    "successful issues": "successful_with_issues",
    "successful with issues": "successful_with_issues",
    "partially successful": "successful_with_issues",
    "unsuccessful": "failed", "failed": "failed", "failure": "failed",
    "backed out": "backed_out", "back out": "backed_out", "rolled back": "backed_out",
    "rollback": "backed_out", "canceled": "cancelled", "cancelled": "cancelled",
    # de, fr, es, nl, it, pt
    **{w: "successful" for w in (
        "erfolgreich", "réussi", "réussie", "succès", "exitoso", "exitosa", "con éxito",
        "geslaagd", "succesvol", "riuscito", "riuscita", "completato con successo",
        "bem sucedido", "bem sucedida", "sucesso", "implementiert", "implémenté",
        "implementado", "geïmplementeerd", "implementato")},
    **{w: "successful_with_issues" for w in (
        "erfolgreich mit problemen", "teilweise erfolgreich", "réussi avec problèmes",
        "réussi avec des problèmes", "partiellement réussi", "exitoso con problemas",
        "parcialmente exitoso", "geslaagd met problemen", "succesvol met problemen",
        "gedeeltelijk geslaagd", "riuscito con problemi", "parzialmente riuscito",
        "bem sucedido com problemas", "parcialmente bem sucedido")},
    **{w: "failed" for w in (
        "nicht erfolgreich", "fehlgeschlagen", "gescheitert", "échoué", "échec", "non réussi",
        "fallido", "fallida", "no exitoso", "fracasado", "mislukt", "niet geslaagd",
        "niet succesvol", "fallito", "non riuscito", "falhou", "falha", "mal sucedido",
        "não bem sucedido")},
    **{w: "backed_out" for w in (
        "zurückgesetzt", "zurückgenommen", "rückgängig gemacht", "retour arrière",
        "revertido", "revertida", "teruggedraaid", "ripristinato")},
    **CANCELLED_STATUSES,
}


#: a close code outside :data:`CHANGE_OUTCOMES` that says in words that the change was
#: backed out or failed ("Backed out - rollback done", "Rolled back partially",
#: "Unsuccessful - reverted"): failures are the codes a desk customises. A code that also
#: says success ("Successful, no rollback needed") or negates ("no rollback") stays unread
_BACKED_OUT_WORDS = re.compile(r"\b(?:backed out|back out|backout|rolled back|roll back|"
                               r"rollback|reverted|revert)\b")
_FAILED_WORDS = re.compile(r"\b(?:unsuccessful|failed|failure|not successful|aborted)\b")
_NOT_FAILED_WORDS = re.compile(r"(?<!un)\bsuccess(?:ful(?:ly)?)?\b|\b(?:no|not needed|"
                               r"not required|without)\b")


def change_outcome_words(raw: pd.Series, outcome: pd.Series) -> pd.Series:
    """``outcome`` (the close codes read by :data:`CHANGE_OUTCOMES`) with each code it left
    empty read by its words: a backed-out or rolled-back wording is ``backed_out``, an
    unsuccessful or failed one ``failed`` (:data:`_BACKED_OUT_WORDS`); a code that also
    says success or negates stays unread."""
    left = (raw.notna() & outcome.isna()).to_numpy(dtype=bool)
    if not left.any():
        return outcome
    folded = _fold(raw[left])
    plain = ~folded.str.contains(_NOT_FAILED_WORDS).fillna(True).astype(bool)
    words = pd.Series(None, index=folded.index, dtype="object")
    words = words.mask(plain & folded.str.contains(_FAILED_WORDS).fillna(False)
                       .astype(bool), "failed")
    words = words.mask(plain & folded.str.contains(_BACKED_OUT_WORDS).fillna(False)
                       .astype(bool), "backed_out")
    out = outcome.astype("object").copy()
    out[left] = words.to_numpy()
    return out.where(out.notna(), None)


def gave_up(code: pd.Series, status: pd.Series, warnings: list[str],
            words: Callable[[], Mapping[str, str]] | None,
            skip: pd.Series | None = None) -> pd.Series:
    """``status`` with each done ticket (not under ``skip``) whose resolution code says
    the work was not done read as cancelled: ServiceNow's ``Duplicate`` close code, a
    Jira Resolution of Won't Do, and the shared words of a given-up resolution in the
    languages exports come in (:data:`GAVE_UP`: Canceled, Duplikat...), read once per
    distinct code. The ticket keeps its own status label (``status_raw``); with
    ``words``, a warning names the codes with their counts. Read as closed, 144
    duplicates closed within minutes of their original counted as recurrences (a
    recurrence verdict flipped to triggered) and as the fastest resolutions of the KPI
    panel."""
    raw = Distinct.of(code.astype(m.STRING_DTYPE))
    said = raw.apply(map_vocab, GAVE_UP).notna().to_numpy(dtype=bool)
    if not said.any():
        return status
    hit = said[raw.codes] & status.isin(("resolved", "closed")).fillna(False).to_numpy(
        dtype=bool)
    if skip is not None:
        hit &= ~skip.fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return status
    out = status.copy()
    out[hit] = "cancelled"
    if words is not None:
        counts = code[hit].astype(m.STRING_DTYPE).str.strip().value_counts()
        warnings.append(fmt(words()["close_code_gave_up"], {
            "count": int(hit.sum()), "codes": named_counts(counts, NAMED_VALUES)}))
    return out
