"""Redaction for safe sharing (``--redact``): stable pseudonyms for people, no e-mail
addresses or phone numbers, no ticket text.

Two passes, so the diagnosis itself never sees a real name:

1. :func:`redact_tables` runs on the canonical tables *before* the diagnosis. Requester,
   assignee and comment author become ``Requester N`` / ``Agent N`` (one person keeps one
   pseudonym in every column and every table); e-mail addresses and phone numbers are
   scrubbed from the free text (summaries, comments, labels). The classification
   (groups, categories, services, CIs, statuses, and the groups and labels of the
   events) is left as exported: the diagnosis counts its values apart, and two
   shared-mailbox CIs scrubbed to one ``[email]`` would be one CI recurring.
2. :func:`redact_report` runs on the finished Report: evidence fields holding ticket text
   are dropped, summary-built cluster keys become ``Cluster N``, vague summaries become
   ``Summary N``, the intake-template wordings the recurrence and text-clusters notes
   list become ``Template N`` (their counts kept), and the text left (the classification's
   values, notes, reasons, file paths, warnings) is swept for the people's names (in
   their usual forms: "Müller, Jürgen" is also "Jürgen Müller"), e-mail addresses and
   phone numbers. Each distinct address or number becomes ``[email N]`` / ``[phone N]``
   (numbered in sorted order, one number in every table), so two groups stay two; a
   value of the classification that is all digits (a Zendesk group id) is an id, never
   a phone number. The report's own values are not text and are never swept: a time
   (``as_of``, a window's end, every ``week_end``), a ticket id, a number written as
   digits (a group id). Its times must stay times: ``compare``, ``--baseline`` and
   ``--period`` read them back.

Pseudonyms are deterministic: names are matched case- and edge-space-insensitively (as
the signs compare them) and numbered in sorted order, so the same export always gives
the same ``Requester 17``. Everything is vectorised over the tables; the report pass
only touches the Report's few hundred strings.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.report import Report

#: an e-mail address, internationalised ones included ("jürgen.müller@müller-bau.de":
#: letters of any script on both sides of the @); an apostrophe only inside it ("o'brien@"),
#: never the quote before it ("'sales@acme.example'"); a quoted local part ("\"lady
#: jane\"@acme.example") and a host without a dot ("helpdesk@acme", an intranet's) too
EMAIL_RE = re.compile(r"""(?:"[^"\n]+"|[\w.%+-][\w.%+'-]*)@[\w-]+(?:\.[\w-]+)*""")
#: what separates a phone number's digits: spaces (the no-break ones a spreadsheet or a
#: French number writes: "+33 1 23 45 67 89"), hyphens and dashes ("+49–89–2180–2000"),
#: brackets, dots, slashes
_PHONE_SEPARATORS = " \u00a0\u2007\u202f().\\-/\u2010-\u2015\u2212"
_DASHES = "\\-\u2010-\u2015\u2212"
# a phone candidate: digits with the usual separators; _phone() decides (dates are not).
# Never the minutes or seconds of a clock time: "23:59:59.999999" holds 8 digits and a dot.
# It starts after no digit, letter, "+", "/", "." or dash (not inside an id, a version, a
# longer number), except a number with its "+" right after a word ("Tel.+49…",
# "x+49…", "Callback+49…") and one with its leading 0 right after a word's dot
# ("Mob.0171 5550123"): never a letter then a 0 ("INC0012345", a ticket id)
PHONE_RE = re.compile(
    rf"(?:(?<![\w+/.{_DASHES}])(?<!\d:)|(?<=[^\W\d_])(?=\(?\+)|(?<=[^\W\d_]\.)(?=\(?[+0]))"
    rf"\+?\(?\d[\d{_PHONE_SEPARATORS}]{{5,}}\d(?!\w)")
_DATE_LIKE = re.compile(
    rf"^\(?(?:\d{{4}}[/.{_DASHES}]\d{{1,2}}[/.{_DASHES}]\d{{1,2}}|"
    rf"\d{{1,2}}[/.{_DASHES}]\d{{1,2}}[/.{_DASHES}]\d{{2,4}})(?: \d{{1,2}})?\)?$"
)
#: an ISO 8601 date or time, as the report writes its own
#: (``2026-09-30T23:59:59.999999+00:00``)
_ISO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
#: a number below one written with its leading zero
_FRACTION = re.compile(r"^\(?0\.\d")
#: a range of years ("2019–2024", "2019 - 2024"): two years, no phone number
_YEARS = re.compile(rf"^(?:19|20)\d\d ?[{_DASHES}] ?(?:19|20)\d\d$")
EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"

#: people columns of the tickets table and the events table
PERSON_COLUMNS = (m.REQUESTER, m.ASSIGNEE)
#: free-text ticket columns scrubbed of e-mail addresses and phone numbers before the
#: diagnosis (people columns are replaced whole; ids cannot hold either)
FREE_TEXT_COLUMNS = (m.SUMMARY, m.LABELS)
# classification columns (category, group, CI...) are left as exported for the diagnosis
# (scrubbed, two CIs named by an address would be one) and swept in the report, where a
# run of bare digits in them is an id (a Zendesk group id "361958999737")
#: event kinds whose value is free text (the others hold a group or a status label)
TEXT_EVENT_KINDS = ("comment", "worklog")
#: evidence-row fields that would carry ticket text: dropped from a redacted report
TEXT_FIELDS = frozenset({"summary", "summaries", "short_description", "description",
                         "text", "comment", "comments", "body", "work_notes"})
#: evidence-row fields holding people: their values are pseudonymised (a safety net; the
#: tables were pseudonymised before the diagnosis)
PERSON_FIELDS = frozenset({"requester", "assignee", "author", "caller", "assigned_to",
                           "opened_by", "requested_for"})
#: report fields of ticket ids (a list or one): never swept (a numeric ticket id is not a
#: phone number)
ID_LIST_FIELDS = frozenset({"sample_ids", "ticket_id", "ticket_ids"})
#: the notes listing intake-template wordings (a form's or channel's fixed subject: the
#: summaries' own words), by the finding or analysis that writes them
TEMPLATE_NOTES = {"recurrence": frozenset({"template_summaries", "template_key"}),
                  "text-clusters": frozenset({"templates", "only_templates"})}
#: what a redacted report calls a template wording (numbered once for the whole report)
TEMPLATE_LABEL = "Template {n}"
#: report fields written while the files were read, which may quote a cell as it stood
#: (the data notes, a file's warnings): swept as ticket text is, bare digits included
RAW_TEXT_FIELDS = frozenset({"data_notes", "warnings"})
# sweeping a name longer than this is pointless and would deepen the pattern recursion
_MAX_NAME = 120


def _phone(match: re.Match[str], bare_is_id: bool = False) -> str:
    """``[phone]`` for a phone-like run of 7-15 digits; dates and bare short numbers
    (counts, ids) stay as they are. With ``bare_is_id`` (a group or a category, the
    report's own text), a run of bare digits of any length is an id."""
    text = match.group()
    digits = sum(ch.isdigit() for ch in text)
    if not 7 <= digits <= 15 or _DATE_LIKE.match(text.strip()):
        return text
    # a decimal fraction and what follows it ("at most 0.00052 (0.05 divided by"): no
    # phone number starts "0."
    if _FRACTION.match(text) or _YEARS.match(text):
        return text
    # a bare run of digits is more often an id or an amount than a phone number
    if text.isdigit() and (bare_is_id or digits < 9):
        return text
    return PHONE_MARK


def _with_missing(values: np.ndarray) -> np.ndarray:
    """``values`` (object) plus a trailing None, so that factorize code -1 (a missing
    value) indexes None."""
    out = np.empty(len(values) + 1, dtype=object)
    out[:-1] = values
    return out


def scrub_series(text: pd.Series) -> pd.Series:
    """``text`` with e-mail addresses and phone numbers replaced by markers (vectorised;
    <NA> stays <NA>)."""
    # scrub each distinct value once: classification columns repeat a few values
    codes, uniques = pd.factorize(text.astype(m.STRING_DTYPE))
    clean = pd.Series(uniques, dtype=m.STRING_DTYPE)
    clean = clean.str.replace(EMAIL_RE, EMAIL_MARK, regex=True)
    clean = clean.str.replace(PHONE_RE, _phone, regex=True)
    lookup = _with_missing(clean.to_numpy(dtype=object, na_value=None))
    return pd.Series(pd.array(lookup[codes], dtype=m.STRING_DTYPE), index=text.index)


def scrub_text(text: str) -> str:
    """:func:`scrub_series` for one string."""
    return PHONE_RE.sub(_phone, EMAIL_RE.sub(EMAIL_MARK, text))


#: what a redacted report calls the n-th distinct e-mail address and phone number
NUMBERED_MARK = {"email": "[email {n}]", "phone": "[phone {n}]"}
#: a held place of an address or a number until every one is known (private-use
#: characters: no regex of the sweep reads them as a word, a digit or a separator)
_HOLD, _HELD = "\ue000", "\ue001"
_HELD_RE = re.compile(f"{_HOLD}(\\d+){_HELD}")


@dataclass
class _Marks:
    """The e-mail addresses and phone numbers of a report's text, each numbered: every
    one is first held in place (:meth:`scrub`), then, once all are known, numbered in
    sorted order (:meth:`put`), as the pseudonyms are, so the same export always gives
    the same ``[email 3]`` and one address has one number in every table. Each distinct
    value is numbered as written, so two values are two markers and never merge two
    rows of a table ("sales@acme.example" and "Sales@ACME.example", "+49 171 5550123"
    and "+491715550123" are two); the order is by the address in lower case and the
    number's digits, then as written, so the forms of one sit side by side."""

    held: dict[tuple[str, str], int] = field(default_factory=dict)

    def _hold(self, kind: str, key: str) -> str:
        return f"{_HOLD}{self.held.setdefault((kind, key), len(self.held))}{_HELD}"

    def scrub(self, text: str, ids: bool = False) -> str:
        """:func:`scrub_text`, each address or number held in place."""
        def phone(match: re.Match[str]) -> str:
            found = match.group()
            if _phone(match, bare_is_id=ids) != PHONE_MARK:
                return found
            return self._hold("phone", found)

        text = EMAIL_RE.sub(lambda mt: self._hold("email", mt.group()), text)
        return PHONE_RE.sub(phone, text)

    @staticmethod
    def _order(kind: str, key: str) -> tuple[str, str]:
        """Where ``key`` (as written) stands in the numbering: by the address in lower
        case or the number's digits (its "+" kept), then as written."""
        if kind == "email":
            return key.casefold(), key
        plus = "+" if key.lstrip("( ").startswith("+") else ""
        return plus + "".join(ch for ch in key if ch.isdigit()), key

    def put(self, value: Any) -> Any:
        """``value`` (a report's data) with each held place numbered."""
        labels = [""] * len(self.held)
        for kind, mark in NUMBERED_MARK.items():
            order = sorted((self._order(kind, k), k) for (k_kind, k) in self.held
                           if k_kind == kind)
            for n, (_, key) in enumerate(order, start=1):
                labels[self.held[(kind, key)]] = mark.format(n=n)

        def label(match: re.Match[str]) -> str:
            i = int(match.group(1))
            return labels[i] if i < len(labels) else match.group()

        def walk(v: Any) -> Any:
            if isinstance(v, str):
                return _HELD_RE.sub(label, v) if _HOLD in v else v
            if isinstance(v, dict):
                return {walk(k): walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v

        return walk(value) if self.held else value


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative matching any of ``words``, shaped as a character trie so a
    few thousand names cost one pass over the text, not one pass per name. A space in a
    word matches any run of whitespace ("Anna  Kowalska", "Anna\u00a0Kowalska")."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + build(sub)
                for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _key(values: pd.Series) -> pd.Series:
    """The matching key of a person: trimmed, lower case (as the signs compare requesters);
    blank is missing."""
    k = values.astype(m.STRING_DTYPE).str.strip().str.lower()
    return k.mask(k.fillna("").eq(""))


def _unaccented(text: str) -> str:
    """``text`` without its accents ("jürgen" -> "jurgen"; letters that do not decompose,
    "ø", stay)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


#: German umlauts as written without them ("Müller" -> "Mueller")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def name_forms(key: str) -> list[str]:
    """The usual written forms of the person named ``key`` (trimmed, lower case), ``key``
    first: "müller, jürgen" is also "jürgen müller" and "jürgen müller" also "müller,
    jürgen"; each with its accents dropped ("jurgen muller") and its umlauts spelt out
    ("juergen mueller"). Only a name of two words or more (a single word is swept as
    written, case-sensitively), and never an address or a name holding digits (an id)."""
    if "@" in key or any(ch.isdigit() for ch in key):
        return [key]
    forms = [key]
    # the name with each inner run of whitespace one space, as the text may write it
    # ("anna  kowalska" exported is "anna kowalska" in a group's name)
    key = " ".join(key.split())
    if key not in forms:
        forms.append(key)
    if key.count(",") == 1:
        last, first = (" ".join(part.split()) for part in key.split(","))
        if last and first:
            forms.append(f"{first} {last}")
    else:
        words = key.split()
        if len(words) >= 2:
            forms.append(f"{words[-1]}, {' '.join(words[:-1])}")
    if len(key.replace(",", " ").split()) < 2:
        return forms
    for form in list(forms):
        for other in (_unaccented(form), form.translate(_UMLAUTS)):
            if other not in forms:
                forms.append(other)
    return forms


@dataclass(frozen=True)
class Pseudonyms:
    """Who became whom: matching key (trimmed, lower case) -> pseudonym."""

    by_key: Mapping[str, str] = field(default_factory=dict)
    #: single-word names as written: swept case-sensitively so "Max" spares "max."
    words: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), init=False, repr=False,
                                                   compare=False)
    #: the single-word names swept in lower-cased text too (:meth:`sweep_folded`)
    _folded: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                            compare=False)
    #: each written form of a name (:func:`name_forms`, lower case) -> its pseudonym
    _forms: Mapping[str, str] = field(default_factory=dict, init=False, repr=False,
                                      compare=False)

    def __post_init__(self) -> None:
        # a "name" without a letter is an id (a Zendesk user id, "42"): swept, it would
        # rewrite the same number wherever the report's text holds it
        keys = [k for k in self.by_key if len(k) <= _MAX_NAME and not k.isalpha()
                and any(ch.isalpha() for ch in k)]
        # a name as exported first: another person's other form never takes it
        forms = {k: self.by_key[k] for k in keys}
        for k in keys:
            for form in name_forms(k)[1:]:
                forms.setdefault(form, self.by_key[k])
        object.__setattr__(self, "_forms", forms)
        multi = list(forms)
        single = [w for w in self.words if len(w) <= _MAX_NAME]
        patterns = []
        if multi:
            patterns.append(re.compile(rf"(?<!\w)(?:{_trie_pattern(multi)})(?!\w)",
                                       re.IGNORECASE))
        if single:
            patterns.append(re.compile(rf"(?<!\w)(?:{_trie_pattern(single)})(?!\w)"))
        object.__setattr__(self, "_patterns", tuple(patterns))
        # in lower-cased text a name's case cannot tell "Zorro" from a word: a name
        # written lower case is swept there already, one that is a word the rules write
        # in lower case ("Max", "System", "Will") is left
        ordinary = _ordinary_words()
        folded = sorted({w.lower() for w in single if not w.islower()} - ordinary)
        if folded:
            object.__setattr__(self, "_folded", re.compile(
                rf"(?<!\w)(?:{_trie_pattern(folded)})(?!\w)", re.IGNORECASE))

    def of(self, name: str) -> str | None:
        return self.by_key.get(name.strip().lower())

    def _pseudonym(self, mt: re.Match[str]) -> str:
        found = mt.group().lower()
        return (self._forms.get(found) or self.by_key.get(found)
                or self._forms.get(" ".join(found.split())) or mt.group())

    def sweep(self, text: str) -> str:
        """``text`` with every known name replaced by its pseudonym."""
        for pattern in self._patterns:
            text = pattern.sub(self._pseudonym, text)
        return text

    def sweep_folded(self, text: str) -> str:
        """:meth:`sweep` for text the diagnosis lower-cased (a recurrence key, folded as
        :func:`itsm_diag.signs.common.fold_key` folds it): a single-word name is swept
        there whatever its case ("exchange zorro" for the requester "Zorro"), unless it is
        an ordinary word (:func:`_ordinary_words`)."""
        text = self.sweep(text)
        return text if self._folded is None else self._folded.sub(self._pseudonym, text)


def _report_word(name: str) -> bool:
    """Whether ``name`` (a folder's) is one word the report's own text uses: a word the
    rule files write in lower case (:func:`_ordinary_words`) or a shipped mapping's
    name."""
    from itsm_diag.importers.mapping import shipped_mappings

    word = name.lower()
    return name.isalpha() and (word in _ordinary_words() or word in shipped_mappings())


@functools.lru_cache(maxsize=1)
def _ordinary_words() -> frozenset[str]:
    """The words the shipped rule files write in lower case (their wording, stop words,
    machine words and parameter names: "max", "system", "email"): ordinary words, never
    swept as a one-word name where the case cannot tell them apart. A word they only
    capitalise ("Anna" in an example) is not one."""
    from itsm_diag.rulefiles import rules_dir

    words: set[str] = set()
    for path in sorted(rules_dir().rglob("*.yaml")):
        words.update(w for w in re.findall(r"[^\W\d_]+", path.read_text(encoding="utf-8"))
                     if w.islower())
    return frozenset(words)


def pseudonymise(
    tickets: pd.DataFrame, events: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, Pseudonyms]:
    """Replace requester, assignee (an assignee event's too) and comment author by
    ``Requester N`` / ``Agent N``.

    One factorisation over all four columns, sorted, so one person has one number
    everywhere and the numbering depends only on the names. A person is an agent when
    they are ever an assignee, or write agent comments without ever requesting.
    """
    # an assignee event's value is an assignee too (an audit log's assignee history)
    # (those events' values alone: the other events' values are no names)
    assignee_event = events[m.EV_KIND].eq("assignee").fillna(False).to_numpy(dtype=bool)
    people = [tickets[m.REQUESTER], tickets[m.ASSIGNEE], events[m.EV_AUTHOR],
              events[m.EV_VALUE][assignee_event]]
    req, asg_now, aut, asg_ev = (_key(col) for col in people)
    asg = pd.concat([asg_now, asg_ev], ignore_index=True)
    stacked = pd.concat([req, asg_now, aut, asg_ev], ignore_index=True)
    codes, uniques = pd.factorize(stacked, sort=True)
    names = pd.Index(uniques)
    agent_authors = aut[(events[m.EV_AUTHOR_ROLE] == "agent").fillna(False).to_numpy()]
    is_agent = names.isin(asg.dropna().unique()) | (
        names.isin(agent_authors.dropna().unique()) & ~names.isin(req.dropna().unique())
    )
    agent_no = np.cumsum(is_agent)
    requester_no = np.cumsum(~is_agent)
    labels = np.where(
        is_agent,
        np.char.add("Agent ", agent_no.astype(str)),
        np.char.add("Requester ", requester_no.astype(str)),
    ).astype(object)
    # code -1 (no name) indexes the trailing None
    mapped = _with_missing(labels)[codes]
    n_t = len(tickets)
    # single-word names as written, for the case-sensitive sweep of the report
    written = pd.concat(people, ignore_index=True).astype(m.STRING_DTYPE).str.strip()
    words = written[written.str.fullmatch(r"[^\W\d_]+").fillna(False).astype(bool)]
    tickets = tickets.assign(**{
        m.REQUESTER: pd.array(mapped[:n_t], dtype=m.STRING_DTYPE),
        m.ASSIGNEE: pd.array(mapped[n_t:2 * n_t], dtype=m.STRING_DTYPE),
    })
    n_e = len(events)
    value = events[m.EV_VALUE].astype(m.STRING_DTYPE).copy()
    value[assignee_event] = pd.array(mapped[2 * n_t + n_e:], dtype=m.STRING_DTYPE)
    events = events.assign(**{
        m.EV_AUTHOR: pd.array(mapped[2 * n_t:2 * n_t + n_e], dtype=m.STRING_DTYPE),
        m.EV_VALUE: value})
    return tickets, events, Pseudonyms(
        by_key=dict(zip(names.astype(str), labels.tolist(), strict=True)),
        words=tuple(sorted(words.unique())),
    )


def redact_tables(
    tickets: pd.DataFrame, events: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, Pseudonyms]:
    """The canonical tables ready to diagnose for sharing: people pseudonymised, e-mail
    addresses and phone numbers scrubbed from free text. Ids, times and vocabularies
    (groups, categories, CIs, statuses; an assignment or a status event's group or
    label) are untouched, so the diagnosis measures the same tickets: the report pass
    sweeps the vocabularies (:func:`redact_report`)."""
    tickets, events, people = pseudonymise(tickets, events)
    tickets = tickets.assign(**{c: scrub_series(tickets[c]) for c in FREE_TEXT_COLUMNS})
    # a comment is free text; an assignment or a status event holds a group or a label
    text_event = events[m.EV_KIND].isin(TEXT_EVENT_KINDS).to_numpy(dtype=bool)
    value = events[m.EV_VALUE]
    if text_event.any():
        events = events.assign(**{m.EV_VALUE: scrub_series(value.where(text_event)).where(
            text_event, value)})
    return tickets, events, people


# ---- the report pass -------------------------------------------------------------------

def _summary_keyed(finding: dict[str, Any]) -> bool:
    """Whether the recurrence clusters were keyed on summaries (the engine words the key
    it used in a ``key_used`` note); without that note, assume they were."""
    for note in finding["evidence"]["notes"]:
        if note["code"] == "key_used":
            return "summary" in note["text"]
    return True


def _rows(finding: dict[str, Any]) -> Iterable[tuple[str, list[dict[str, Any]]]]:
    ev = finding["evidence"]
    yield from ev["tables"].items()
    yield from ev["series"].items()


def _strip_evidence(finding: dict[str, Any], people: Pseudonyms) -> None:
    """Drop ticket text from a finding's evidence rows (in place)."""
    keyed_on_text = finding["id"] == "recurrence" and _summary_keyed(finding)
    for name, rows in _rows(finding):
        for i, row in enumerate(rows, start=1):
            for key in [k for k in row if k in TEXT_FIELDS]:
                del row[key]
            for key in (k for k in row if k in PERSON_FIELDS):
                if isinstance(row[key], str):
                    row[key] = people.of(row[key]) or row[key]
            if keyed_on_text and "key" in row:
                row["key"] = f"Cluster {i}"
            elif finding["id"] == "recurrence" and isinstance(row.get("key"), str):
                # the classification's values, lower-cased (fold_key)
                row["key"] = people.sweep_folded(row["key"])
            if name == "vague_summaries" and "value" in row:
                row["value"] = f"Summary {i}"


def _own(text: str) -> bool:
    """Whether a string of the report is one of its own values, not text: a time (the
    as-of, a window's end, a week's end) or a number written as digits (an id)."""
    return text.isdigit() or _ISO_TIME.fullmatch(text) is not None


def _sweep(value: Any, clean: Callable[[str, bool], str], key: str = "",
           raw: bool = False) -> Any:
    """Every text string in ``value`` (dict keys included) as ``clean`` makes it (given
    whether it is raw text). Ticket ids are left alone. Text the reading wrote (``raw``:
    the data notes, an input's warnings) may quote a cell: there bare digits are swept
    too, and every quoted value becomes ``[value]`` (:func:`_swept`)."""
    if key in ID_LIST_FIELDS:
        return value
    raw = raw or key in RAW_TEXT_FIELDS
    if isinstance(value, str):
        return clean(value, raw)
    if isinstance(value, dict):
        return {_sweep(k, clean, raw=raw): _sweep(v, clean, k, raw) for k, v in value.items()}
    if isinstance(value, list):
        return [_sweep(v, clean, key, raw) for v in value]
    return value


#: what tells apart two values of a report that one sweep would write alike
APART_MARK = "{text} ({n})"


def _swept(data: Any, people: Pseudonyms, marks: _Marks) -> Any:
    """``data`` with every text string swept of names, e-mail addresses and phone numbers
    (each held in ``marks``, to be numbered); times and numbers written as digits are the
    report's own and stay, and so is a run of bare digits inside the engine's text (a
    group id, a count).

    Two distinct strings the sweep would write alike (one person written two ways:
    "Network - Carla Diaz-Ortega" and "Network - Diaz-Ortega, Carla", both "Network -
    Agent 4") stay two: the one already written so (or else the first in sorted order)
    keeps the text, each other one gets `` (2)``, `` (3)``… in sorted order, the same in
    every table, so two dict keys never become one and no count is lost."""
    swept: dict[tuple[str, bool], str] = {}

    def collect(text: str, raw: bool) -> str:
        if (text, raw) not in swept:
            # the reading's own text quotes cells ("first at row 53: 'when … is back from
            # sick leave'"), as an error does: they go as a redacted error's do
            # (:func:`hide_quoted`: a column's name, a date format, an input's label stay)
            swept[(text, raw)] = text if _own(text) else marks.scrub(
                people.sweep(hide_quoted(text) if raw else text), ids=not raw)
        return text

    _sweep(data, collect)
    by_text: dict[str, set[str]] = {}
    for (text, raw), out in swept.items():
        if not raw:  # the reading's notes and warnings are sentences, never a key
            by_text.setdefault(out, set()).add(text)
    used = set(by_text)
    apart: dict[tuple[str, str], str] = {}  # (swept, as written) -> told apart
    for out, texts in by_text.items():
        if len(texts) < 2:
            continue
        n = 1
        for text in sorted(texts, key=lambda t: (t != out, t))[1:]:
            n += 1
            while APART_MARK.format(text=out, n=n) in used:
                n += 1
            apart[(out, text)] = APART_MARK.format(text=out, n=n)
            used.add(apart[(out, text)])

    def clean(text: str, raw: bool) -> str:
        out = swept[(text, raw)]
        return out if raw else apart.get((out, text), out)

    return _sweep(data, clean)


def _strip_analyses(analyses: dict[str, Any], people: Pseudonyms) -> None:
    """Drop ticket text from the analyses' rows (in place): summaries and the wordings of
    the text clusters go, a cluster's label (its users' words) becomes ``Cluster N``."""
    for analysis_id, analysis in analyses.items():
        for table in analysis["tables"].values():
            for i, row in enumerate(table["rows"], start=1):
                for key in [k for k in row if k in TEXT_FIELDS]:
                    del row[key]
                for key in (k for k in row if k in PERSON_FIELDS):
                    if isinstance(row[key], str):
                        row[key] = people.of(row[key]) or row[key]
                if analysis_id == "text-clusters" and "label" in row:
                    row["label"] = f"Cluster {i}"
            for key in [k for k in table["columns"] if k in TEXT_FIELDS]:
                del table["columns"][key]


def _hide_templates(data: dict[str, Any]) -> None:
    """The intake-template wordings the recurrence sign and the text clusters list in
    their notes (and in an unknown reason) become ``Template N``, their counts kept (in
    place). Numbered once for the whole report, in the order first listed, so one
    wording has one number in the sign and in the analysis."""
    from itsm_diag.signs.recurrence import TEMPLATE_ITEM_RE

    labels: dict[str, str] = {}

    def label(match: re.Match[str]) -> str:
        text = match.group(1)
        if text not in labels:
            labels[text] = TEMPLATE_LABEL.format(n=len(labels) + 1)
        return f"{labels[text]}: "

    # (where the notes stand, the entry holding the reason, its id): the sign first
    places = [*((f["evidence"], f, f["id"]) for f in data["signs"]),
              *((a, a, a_id) for a_id, a in data["analyses"].items())]
    for notes_of, entry, entry_id in places:
        codes = TEMPLATE_NOTES.get(entry_id)
        if codes is None:
            continue
        for note in [*notes_of["excluded"], *notes_of["notes"]]:
            if note["code"] in codes:
                note["text"] = TEMPLATE_ITEM_RE.sub(label, note["text"])
        # an unknown one's reason ends with its note (template_key, only_templates)
        entry["reason"] = TEMPLATE_ITEM_RE.sub(label, entry["reason"])


#: what a redacted report calls a word the text clusters' ``common_words`` note lists
COMMON_WORD_LABEL = "Word {n}"


def _hide_common_words(data: dict[str, Any]) -> None:
    """The words in nearly every summary that the text clusters' ``common_words`` note
    lists (the summaries' own words: a footer's) become ``Word N``, the word sets holding
    each kept (in place)."""
    from itsm_diag.analyses.textclusters import COMMON_ITEM_RE

    analysis = data["analyses"].get("text-clusters")
    if not analysis:
        return
    for note in analysis["notes"]:
        if note["code"] == "common_words":
            parts = COMMON_ITEM_RE.split(note["text"])  # text, word, text, word, ...
            note["text"] = "".join(
                part if i % 2 == 0 else f'"{COMMON_WORD_LABEL.format(n=i // 2 + 1)}" ('
                for i, part in enumerate(parts))


def redact_report(report: Report, people: Pseudonyms) -> Report:
    """``report`` without ticket text or personal data, marked ``redacted``."""
    data = report.model_dump()
    _hide_templates(data)
    _hide_common_words(data)
    for finding in [*data["signs"], *data["checks"]]:
        _strip_evidence(finding, people)
    _strip_analyses(data["analyses"], people)
    marks = _Marks()
    data = marks.put(_swept(data, people, marks))
    data["redacted"] = True
    return Report.model_validate(data)


# ---- input paths: a redacted report names no file or folder ------------------------------

#: what a redacted report calls the n-th input file read
INPUT_LABEL = "input {n}"
#: ... and the n-th sheet of a workbook (its name is the client's as much as the file's:
#: "Kasimir Wolkenstein list"), in the workbook's order
SHEET_LABEL = "{input} sheet {n}"
#: what a redacted report calls the folders the inputs came from
INPUT_FOLDER = "the input folder"
#: what it calls an entry of an input folder that was not read (a ZIP archive, a
#: sub-folder, a hidden file): numbered in the folder's order
SKIPPED_ENTRY = "skipped entry {n} of the input folder"


def input_labels(paths: Iterable[Any]) -> dict[str, str]:
    """Every way an input can be named (its path as given and absolute, its file name,
    the folders holding it and their names) -> ``input 1``, ``input 2``… in the order
    the files are read, :data:`SKIPPED_ENTRY` for every other entry of an input folder
    (its name is the client's as much as a file's: ``globex-contract.zip``), or
    :data:`INPUT_FOLDER`. Longest first, so a path is replaced whole before its file
    name is."""
    from pathlib import Path

    from itsm_diag.errors import ItsmDiagError
    from itsm_diag.importers.registry import expand
    from itsm_diag.text import path_text

    given = [Path(p) for p in paths]
    try:
        files = expand(given)
    except (ItsmDiagError, OSError):
        files = [p for p in given if not p.is_dir()]
    out: dict[str, str] = {}
    given_folders = [p for p in given if p.is_dir()]
    folders: list[Path] = list(given_folders)
    for n, f in enumerate(files, start=1):
        label = INPUT_LABEL.format(n=n)
        named = (str(f), str(f.absolute()), str(f.resolve()), f.name, path_text(f),
                 path_text(f.name))
        for form in named:
            out.setdefault(form, label)
        # a workbook's table is named "file.xlsx [Sheet]" (readers.RawTable.label)
        for s, sheet in enumerate(_sheet_names(f), start=1):
            for form in named:
                out.setdefault(f"{form} [{sheet}]", SHEET_LABEL.format(input=label, n=s))
        folders.append(f.parent)
    skipped = 0
    for d in given_folders:
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for entry in entries:
            if str(entry) in out:  # read: already ``input N``
                continue
            skipped += 1
            label = SKIPPED_ENTRY.format(n=skipped)
            # as the notes write it (path_text: a name that is not UTF-8 escaped)
            forms = [str(entry), path_text(entry), str(entry.absolute())]
            # a bare name (a sheet's label may use one) unless it is a word of the
            # report's own text, as for a folder (:func:`_report_word`: "data", "old";
            # the notes and errors name the whole path, replaced above): a client's
            # "AcmeCorp" is hidden as "AcmeCorp.zip" is
            if len(entry.name) >= 3 and not _report_word(entry.name):
                forms += [entry.name, path_text(entry.name)]
            for form in forms:
                out.setdefault(form, label)
    for d in folders:
        for form in (str(d), str(d.absolute()), str(d.resolve())):
            if form not in (".", "/", ""):
                out.setdefault(form, INPUT_FOLDER)
        # a folder's own name often is the client's ("AcmeCorp Confidential"); one that
        # is a word of the report's own text ("export", "data", a shipped mapping's
        # "glpi") is no one's, and replacing it would rewrite that text ("When the the
        # input folder starts too late")
        if len(d.name) >= 3 and not _report_word(d.name):
            out.setdefault(d.name, INPUT_FOLDER)
    return dict(sorted(out.items(), key=lambda kv: -len(kv[0])))


#: a workbook's sheets as its workbook.xml lists them, in order
_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"")
#: read at most this much of workbook.xml (a few hundred bytes a sheet)
_WORKBOOK_XML_MAX = 4_000_000


def _sheet_names(path: Any) -> list[str]:
    """The names of ``path``'s sheets when it is an XLSX workbook (read from its
    ``xl/workbook.xml`` alone, no cell), else none."""
    import html
    import zipfile

    try:
        with path.open("rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return []
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/workbook.xml")
            if info.file_size > _WORKBOOK_XML_MAX:
                return []
            xml = zf.read(info)
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
        return []
    return [html.unescape(name.decode("utf-8", "replace")) for name in _SHEET_RE.findall(xml)]


def hide_inputs(text: str, labels: Mapping[str, str]) -> str:
    """``text`` with every input path, file and folder name replaced by its label (a
    name is replaced only where it stands alone, not inside a longer word)."""
    if not labels or not text:
        return text
    pattern = _inputs_pattern(tuple(labels))
    return pattern.sub(lambda m: labels[m.group(0)], text)


@functools.lru_cache(maxsize=8)  # the progress line asks for it on every message
def _inputs_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-])")


#: what a redacted error writes for a value it quoted (a cell, as the importers quote
#: one: :func:`itsm_diag.text.quote`)
QUOTED_MARK = "[value]"
#: a value quoted as ``repr`` quotes it ('…' or "…", backslash escapes inside): never an
#: apostrophe inside a word ("a month name's place", "O'Brien" in a double-quoted value)
#: (or a value cut short: "…" in place of its closing quote, as text.quote caps a long one)
_QUOTED_RE = re.compile(
    r"""(?<![\w'"])(?:'(?:[^'\\\n]|\\.)*(?:'|…)|"(?:[^"\\\n]|\\.)*(?:"|…))(?!\w)""")
#: what names a column before its quoted name ("column 'opened_at'", "columns 'a', 'b'")
_COLUMN_BEFORE = re.compile(r"\bcolumns? $", re.IGNORECASE)
#: what joins the names of a list of columns
_LIST_JOIN = re.compile(r"^(?:, | and | or | / |, and |, or )$")
#: a date format quoted as the format read or asked for ('%d.%m.%Y %H:%M'): no cell
_DATE_FORMAT = re.compile(r"(?:%[-#]?[A-Za-z]|[^A-Za-z%])*%[-#]?[A-Za-z](?:%[-#]?[A-Za-z]|"
                          r"[^A-Za-z%])*")


#: what a redacted report calls an input (:func:`input_labels`): no cell
_LABEL_RE = re.compile("|".join(
    re.escape(label).replace(r"\{n\}", r"\d+").replace(r"\{input\}", r"input\ \d+")
    for label in (INPUT_LABEL, SHEET_LABEL, INPUT_FOLDER, SKIPPED_ENTRY)))


def hide_quoted(text: str, keep: Iterable[str] = ()) -> str:
    """``text`` with every quoted value replaced by :data:`QUOTED_MARK`, except what is
    no cell: a column's name (after "column", or in the list after "columns"), a date
    format ('%d.%m.%Y'), an input's label (``'input 1'``, :data:`_LABEL_RE`) and the
    values of ``keep``.
    A redacted error quotes no cell, whatever words its reading would have quoted: a
    person's name a shifted column put in a date column is not known to be one."""
    kept = frozenset(keep)
    out: list[str] = []
    at = 0
    column_list = False  # the last quoted value was a column's name
    for match in _QUOTED_RE.finditer(text):
        before = text[at:match.start()]
        inner = match.group()[1:-1]
        column_list = bool(_COLUMN_BEFORE.search(text[max(0, match.start() - 9):
                                                      match.start()])) or (
            column_list and _LIST_JOIN.match(before) is not None)
        own = column_list or inner in kept or _DATE_FORMAT.fullmatch(inner) is not None or (
            _LABEL_RE.fullmatch(inner) is not None)
        out += [before, match.group() if own else QUOTED_MARK]
        at = match.end()
    out.append(text[at:])
    return "".join(out)


def redact_error(exc: Any, labels: Mapping[str, str], people: Pseudonyms | None = None
                 ) -> None:
    """An :class:`~itsm_diag.errors.ItsmDiagError` (in place, its class and exit code
    kept) naming no input path, file or folder (``input 1``…), quoting no cell
    (:func:`hide_quoted`: its row and column stay) and swept of e-mail addresses and
    phone numbers (and of the people's names, when ``people`` knows them) as the
    report's warnings are: an error may quote a cell ("first: 'ask Élodie Fauré
    elodie.faure@…'", "cannot read 'Jürgen Müller' as a date" before any name is known),
    and a redacted one goes where the report goes (a batch's index)."""
    def sweep(text: str) -> str:
        return scrub_text(text if people is None else people.sweep(text))

    from itsm_diag.errors import UnknownTool

    # a cell is quoted by an error that names its row or column (the reading's), and by
    # one that lists a file's first line (no tool's export); an option's or a config
    # key's value is the user's own and stays, to be fixed
    message = hide_inputs(exc.message, labels)
    if getattr(exc, "row", None) is not None or getattr(exc, "column", None) is not None or (
            isinstance(exc, UnknownTool)):
        message = hide_quoted(message, labels.values())
    exc.message = sweep(message)
    exc.file = None if exc.file is None else sweep(hide_inputs(exc.file, labels))
    exc.hint = None if exc.hint is None else sweep(hide_inputs(exc.hint, labels))
    exc.args = (exc.message,)


def redact_error_text(text: str, labels: Mapping[str, str]) -> str:
    """:func:`redact_error` for an error line already written (a batch worker's): its
    file and column stay, its quoted values go (its hint's too: the line no longer
    tells its message from its hint)."""
    text = hide_inputs(text, labels)
    return scrub_text(hide_quoted(text, labels.values()))


def redact_inputs(report: Report, labels: Mapping[str, str]) -> Report:
    """``report`` naming no input path, file or folder (``input 1``…), in every string."""
    def sweep(value: Any) -> Any:
        if isinstance(value, str):
            return hide_inputs(value, labels)
        if isinstance(value, dict):
            return {sweep(k): sweep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [sweep(v) for v in value]
        return value

    return Report.model_validate(sweep(report.model_dump()))
