"""Analysis ``text-clusters``: what recurs, read from what users wrote.

Incident summaries are grouped by text similarity, so "Outlook won't sync", "outlook not
syncing on laptop" and "Outlook sync error again" are one issue while "Outlook calendar
slow" is another. The work runs on the **distinct** normalised summaries (lower case;
urls, e-mail addresses, any token holding a digit (ids, dates, host names) and
punctuation removed; then words of the people columns (names), stop words and one- or
two-letter tokens dropped; a light suffix stemmer folds "syncing", "synced", "syncs" to
one word), never on the tickets: a million tickets repeat a few thousand wordings.

Similarity is the weighted Jaccard of the word sets, a word weighing ``ln(1 + N / df)``
(N distinct summaries, df those holding the word): rare words (``sync``) decide, common
ones (``laptop``, ``error``) barely count, and one in more than ``common_word_share`` of
the distinct word sets (a mail footer copied into every summary) weighs nothing and
names no cluster (:func:`common_words`). Pairs at or above ``similarity`` are found with
prefix filtering (a pair that similar must share one of each side's rarest words, so only
summaries sharing such a word are compared); clusters are stars: the most frequent wording
not yet placed becomes a centre, and each other wording joins the most similar centre it
reaches the threshold with (so every member is similar to its centre: no chaining).
Decided in rounds over arrays (all wordings whose more frequent neighbours are decided
at once), not one wording at a time.

No model, no download, no dependency beyond numpy, pandas and pyarrow.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itsm_diag import model as m
from itsm_diag.analyses._util import ids_of, note, params_key, rounded
from itsm_diag.signs.base import Context, Figure, Measurement, Note, in_values, ratio
from itsm_diag.signs.common import (
    _SUMMARY_KEY,
    distinct_codes,
    fold_words,
    normalise_summary,
    sorted_distinct,
    vague_max_words,
    wordless_left_out,
)
from itsm_diag.signs.recurrence import cluster_codes, problem_links, summary_templates
from itsm_diag.text import SPACE

#: suffix rules of the light stemmer, applied in order to each distinct word
_STEPS = (
    (re.compile(r"^(.{2,})ies$"), r"\1y"),
    (re.compile(r"^(.{2,}(?:sh|ch|x|ss|z))es$"), r"\1"),
    (re.compile(r"^(.{2,}[^s])s$"), r"\1"),
    (re.compile(r"^(.{2,}?)([bdgmnprt])\2(?:ing|ed)$"), r"\1\2"),
    (re.compile(r"^(.{3,}?)(?:ing|ed)$"), r"\1"),
    (re.compile(r"^(.{4,})e$"), r"\1"),
)


def stem(word: str) -> str:
    """``syncing``, ``synced``, ``syncs`` -> ``sync``; ``stopped`` -> ``stop``;
    ``updates``, ``updated``, ``update`` -> ``updat``. A key, never shown."""
    for pattern, repl in _STEPS:
        word = pattern.sub(repl, word)
    return word


@dataclass
class Clusters:
    """Text clusters of the distinct normalised summaries of the tickets in scope."""

    #: per ticket: the code of its cluster (-1: out of scope or no summary)
    codes: np.ndarray
    #: per cluster code: its label (its commonest words; a lone wording shows itself)
    labels: np.ndarray
    #: per cluster code: how many distinct wordings it holds
    wordings: np.ndarray
    #: per cluster code: the lowest similarity of a member wording to its centre (1.0 alone)
    min_similarity: np.ndarray
    #: per distinct normalised summary (codes of ``norm``): its cluster code
    cluster_of_norm: np.ndarray
    n_distinct: int
    scope: pd.Series
    #: distinct wordings compared with each other (all of them unless the candidate pairs
    #: were over ``max_candidate_pairs``: then the most used, as many as fit), the
    #: incidents they hold, and the candidate pairs comparing all of them would make
    compared: int = 0
    compared_tickets: int = 0
    candidates: int = 0
    #: the words held by more than ``common_word_share`` of the distinct word sets
    #: (:func:`common_words`), each in the form users wrote most, with the sets holding
    #: it, most held first: they weigh nothing and name no cluster
    common: list[tuple[str, int]] = field(default_factory=list)
    #: the distinct word sets of the wordings compared (what ``common`` is a share of)
    n_sets: int = 0


def _tokens(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(text position, word) of every whitespace-separated word."""
    lists = pc.utf8_split_whitespace(texts)
    parent = pc.list_parent_indices(lists).to_numpy()
    words = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    return np.asarray(parent, dtype=np.int64), words


#: marks an entry of :func:`name_words_of` that is a whole normalised name (its words
#: joined by a space), not a word: kept beside the words so that a person's name can be
#: told from a system account's ("SAP Batch Job") under ``--redact`` too, where the
#: names as exported reach the diagnosis only as this set (matched, never written)
_WHOLE = "\x1f"


def _cut(values: pd.Series) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``values`` cut at their whitespace, each distinct piece normalised once
    (:func:`normalise_summary`): (per piece of a value, the code of its distinct piece;
    per piece of a value, the value it is cut from; per distinct piece, its normalised
    text, null where nothing is left). No distinct piece when every value is blank."""
    lists = pc.split_pattern_regex(pa.array(values.astype(m.STRING_DTYPE).array),
                                   pattern=f"{SPACE}+")
    flat = pc.list_flatten(lists)
    pieces = pc.unique(flat)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    if not len(pieces):
        return np.zeros(0, np.int64), parent, pa.array([], type=pa.string())
    norm = normalise_summary(pd.Series(pd.array(pieces, dtype=m.STRING_DTYPE)))
    normed = pa.array(norm.array, type=pa.string())
    if isinstance(normed, pa.ChunkedArray):
        normed = normed.combine_chunks()
    piece = np.asarray(pc.index_in(flat, value_set=pieces).to_numpy(), dtype=np.int64)
    return piece, parent, normed


def _whole_names(values: pd.Series) -> pa.Array:
    """Per value of ``values``: its normalised text (:func:`normalise_summary`; null
    where nothing is left).

    Normalised word by word: each name is cut at its whitespace and each distinct piece
    normalised once (52,000 names hold about 7,000 distinct pieces), then the pieces are
    joined again. The same text comes out, because no step of the normalisation reaches
    across whitespace: links, e-mail addresses and ids are runs of non-whitespace,
    punctuation is one character, and case is folded character by character."""
    if values.empty:
        return pa.array([], type=pa.string())
    piece, parent, normed = _cut(values)
    if not len(normed):  # every value blank
        return pa.nulls(len(values), type=pa.string())
    per_piece = normed.take(pa.array(piece, type=pa.int64()))
    kept = pc.is_valid(per_piece).to_numpy(zero_copy_only=False)
    offsets = np.r_[0, np.cumsum(np.bincount(parent[kept], minlength=len(values)))]
    joined = pc.binary_join(pa.LargeListArray.from_arrays(
        pa.array(offsets, type=pa.int64()), per_piece.filter(pa.array(kept))), " ")
    # a blank value (<NA>, or only ids and punctuation) is no name
    return pc.cast(pc.if_else(pc.equal(joined, ""), None, joined), pa.string())


@dataclass
class _Pieces:
    """The distinct values of a people column cut at their whitespace, each distinct
    piece normalised once (as :func:`_whole_names` does, without joining them again)."""

    #: per piece of a value: the code of the distinct piece
    piece: np.ndarray
    #: per piece of a value: the value it is cut from (ctx.distinct's order)
    parent: np.ndarray
    #: how many values (ctx.distinct's, its trailing <NA> included)
    n: int
    #: per distinct piece: the words it normalises to (none for an id or a link)
    words: pa.ListArray

    def per_value(self, hit: np.ndarray | None = None) -> np.ndarray:
        """Per value: how many of its words are ``hit`` (per word of ``words``' flat
        list; all of them without)."""
        if hit is None:
            per_piece = np.asarray(pc.list_value_length(self.words).to_numpy(
                zero_copy_only=False), dtype=np.int64)
        else:
            per_piece = np.bincount(np.asarray(pc.list_parent_indices(self.words)
                                               .to_numpy(), dtype=np.int64)[hit],
                                    minlength=len(self.words))
        return np.bincount(self.parent, weights=per_piece[self.piece], minlength=self.n)

    def wholes(self) -> pa.Array:
        """The distinct whole normalised values, their words joined by a space: what
        :func:`_whole_names` gives of the values (the normalised text is single-spaced),
        without normalising again."""
        taken = self.words.take(pa.array(self.piece, type=pa.int64()))
        owner = self.parent[np.asarray(pc.list_parent_indices(taken).to_numpy(),
                                       dtype=np.int64)]
        offsets = np.r_[0, np.cumsum(np.bincount(owner, minlength=self.n))]
        joined = pc.binary_join(pa.LargeListArray.from_arrays(
            pa.array(offsets, type=pa.int64()), pc.list_flatten(taken)), " ")
        return pc.unique(pc.cast(joined, pa.string()).filter(pc.not_equal(joined, "")))

    def holding(self, words: frozenset[str] | tuple[str, ...]) -> np.ndarray:
        """Per value: whether one of its words is among ``words``."""
        flat = pc.list_flatten(self.words)
        if not words or not len(flat):
            return np.zeros(self.n, dtype=bool)
        hit = pc.is_in(flat, value_set=pa.array(sorted(words), type=pa.string()))
        return self.per_value(hit.to_numpy(zero_copy_only=False)) > 0


def _pieces(ctx: Context, column: str) -> _Pieces:
    """:class:`_Pieces` of a people column's distinct values: worked out once a run."""
    def make() -> _Pieces:
        values = ctx.distinct(column)[1]
        piece, parent, normed = _cut(values)
        if not len(normed):
            return _Pieces(np.zeros(0, np.int64), parent, len(values),
                           pa.array([], type=pa.list_(pa.string())))
        words = pc.fill_null(pc.utf8_split_whitespace(normed),
                             pa.scalar([], type=pa.list_(pa.string())))
        return _Pieces(piece, parent, len(values), words)
    result: _Pieces = ctx.memo(("textclusters.pieces", column), make)
    return result


def _entries_of(wholes: list[pa.Array]) -> set[str]:
    """The words of the normalised names ``wholes`` and each whole name, marked
    (:data:`_WHOLE`)."""
    out: set[str] = set()
    for whole in wholes:
        found = pc.unique(whole.drop_null())
        if not len(found):
            continue
        out.update(pc.list_flatten(pc.utf8_split_whitespace(found)).to_pylist())
        out.update(_WHOLE + str(w) for w in found.to_pylist())  # one per distinct name
    return out


def name_words_of(columns: list[pd.Series]) -> set[str]:
    """The words of the normalised values of ``columns`` (people's names), and each
    normalised value whole, marked (:data:`_WHOLE`): what :func:`_person_words` tells
    a person's name by and takes out of summaries."""
    return _entries_of([_whole_names(distinct.dropna()) for distinct in columns])


def _no_person(params: Mapping[str, Any]) -> frozenset[str]:
    """The words that make a name no person's (``machine_words`` and
    ``non_person_words``), folded as the names are."""
    words = [*params.get("machine_words", []), *params.get("non_person_words", [])]
    return frozenset(fold_words(words))


def _person_words(ctx: Context, params: Mapping[str, Any]) -> set[str]:
    """The name words taken out of summaries: those of the names that look like a
    person's, two words or more ("Anna Meyer") and none of them in ``no_person`` (not
    "SAP Batch Job", "Monitoring System", "Teams Bot", not a one-word login or
    "Caller 1234"). A system's name is desk vocabulary: "sap" dropped from every summary
    merged "SAP login slow" with "Citrix login slow". So is a person's name word the
    desk writes on its own (:func:`_desk_words`: "page" of "Larry Page"). Vectorised over
    the distinct names."""
    no_person = _no_person(params)
    least = int(params.get("vocabulary_min_wordings", 0))
    per_name = float(params.get("vocabulary_wordings_per_name", 0.0))

    def make() -> set[str]:
        # the person names' words, and how many distinct names hold each: counted over
        # the whole normalised names of both columns in both runs (a word shared by a
        # requester and an agent counts both), so --redact reads as the plain run does
        if ctx.name_words is None:  # the distinct names of both columns, normalised
            found = [_pieces(ctx, col).wholes() for col in (m.REQUESTER, m.ASSIGNEE)]
            wholes = pc.unique(pa.chunked_array(found, type=pa.string()).combine_chunks())
        else:  # --redact: the names as exported, whole (name_words_of's)
            wholes = pa.array([w[1:] for w in ctx.name_words if w.startswith(_WHOLE)],
                              type=pa.string())
        if not len(wholes):
            return set()
        lists = pc.utf8_split_whitespace(wholes)
        flat = pc.list_flatten(lists)
        parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
        n = len(wholes)
        size = np.bincount(parent, minlength=n)
        bad = (pc.is_in(flat, value_set=pa.array(sorted(no_person), type=pa.string()))
               .to_numpy(zero_copy_only=False) if no_person
               else np.zeros(len(flat), bool))
        person = ((size >= 2) & (np.bincount(parent[bad], minlength=n) == 0))[parent]
        if not person.any():
            return set()
        words, held = _holders(flat.filter(pa.array(person)), parent[person])
        if not len(words):
            return set()
        desk = _desk_words(ctx, words, held, least, per_name)
        return set(words.filter(pa.array(~desk)).to_pylist())
    result: set[str] = ctx.memo(("textclusters.person_words", tuple(sorted(no_person)),
                                 least, per_name), make)
    return result


def _holders(words: pa.Array, owner: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """(each distinct word of ``words``, how many distinct ``owner`` values hold it)."""
    # one pass codes the words (in first-seen order, as pc.unique lists them)
    coded = pc.dictionary_encode(words)
    uniq = coded.dictionary
    code = np.asarray(coded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    pairs = sorted_distinct(owner * len(uniq) + code)
    return uniq, np.bincount(pairs % len(uniq), minlength=len(uniq))


def _desk_words(ctx: Context, words: pa.Array, held: np.ndarray, least: int,
                per_name: float) -> np.ndarray:
    """Per name word of ``words`` (held by ``held`` person names): the desk writes it on
    its own, as its vocabulary, not as a name. That is, at least ``least`` distinct
    normalised summaries hold it and no other name word, and at least ``per_name`` such
    summaries per name holding it: "page not loading" is a word of the desk's, "Laptop
    for Larry Page" a name (two of its words), and a first name many people share
    ("conversation with john" from 50 Johns' chats) stays a name. ``least`` 0 turns the
    rule off."""
    out = np.zeros(len(words), dtype=bool)
    if least <= 0:
        return out
    _, norm = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)
    if not len(norm):
        return out
    lists = pc.utf8_split_whitespace(pa.array(pd.array(norm, dtype=m.STRING_DTYPE)))
    flat = pc.list_flatten(lists)
    code = np.asarray(pc.fill_null(pc.index_in(flat, value_set=words), -1).to_numpy(
        zero_copy_only=False), dtype=np.int64)
    hit = code >= 0
    if not hit.any():
        return out
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)[hit]
    pairs = sorted_distinct(parent * len(words) + code[hit])  # (summary, name word) once
    summary, word = pairs // len(words), pairs % len(words)
    alone = np.bincount(summary, minlength=len(norm))[summary] == 1
    wordings = np.bincount(word[alone], minlength=len(words))
    out[:] = (wordings >= least) & (wordings >= per_name * held)
    return out


#: marks an entry of ``Context.name_words`` that ties a requester's pseudonym to its name
#: as exported (``--redact``): the pseudonym, :data:`_WHOLE`, the name
_REQUESTER_OF = "\x1e"


def requesters_of(pseudonyms: pd.Series, exported: pd.Series) -> set[str]:
    """Entries of ``Context.name_words`` (:data:`_REQUESTER_OF`): each requester's
    pseudonym with its name as exported (``pseudonyms`` and ``exported`` aligned, a
    name without a pseudonym left out): what :func:`machine_made` tells a machine
    account by, under ``--redact`` (matched, never written)."""
    pairs = pd.DataFrame({"pseudonym": pseudonyms.to_numpy(dtype=object, na_value=None),
                          "name": exported.to_numpy(dtype=object, na_value=None)})
    pairs = pairs.dropna().drop_duplicates()
    return {f"{_REQUESTER_OF}{p}{_WHOLE}{n}"
            for p, n in zip(pairs["pseudonym"], pairs["name"], strict=True)}


def machine_made(ctx: Context, params: Mapping[str, Any]) -> np.ndarray:
    """Per ticket: raised by a machine, not written by a user: its channel is one of
    ``machine_channels`` (monitoring alerts, integrations), or its requester's name holds
    one of ``machine_words`` ("Monitoring System", "SAP Batch Job"). A read-only array,
    worked out once a run; the requester is read per distinct name. Under ``--redact``
    the requester is a pseudonym: its name as exported (:func:`requesters_of`) tells."""
    channels = tuple(sorted(fold_words(params.get("machine_channels", []))))
    words = tuple(sorted(fold_words(params.get("machine_words", []))))

    def make() -> np.ndarray:
        t = ctx.tickets
        out = np.zeros(len(t), dtype=bool)
        if channels and m.CHANNEL in t.columns:  # canonical values (lower case)
            out |= in_values(t[m.CHANNEL], channels).to_numpy(dtype=bool)
        if words and m.REQUESTER in t.columns:
            codes, values = ctx.distinct(m.REQUESTER)
            if ctx.name_words is None:
                system = _pieces(ctx, m.REQUESTER).holding(words)
            else:  # --redact: each pseudonym's name as exported, normalised as above
                tied = [e[1:].split(_WHOLE, 1) for e in ctx.name_words
                        if e.startswith(_REQUESTER_OF)]
                flagged: set[str] = set()
                if tied:
                    lists = pc.utf8_split_whitespace(
                        _whole_names(pd.Series([n for _, n in tied], dtype=object)))
                    hit = pc.is_in(pc.list_flatten(lists), value_set=pa.array(
                        sorted(words), type=pa.string())).to_numpy(zero_copy_only=False)
                    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(),
                                        dtype=np.int64)
                    held = np.bincount(parent[hit], minlength=len(tied)) > 0
                    flagged = {p for (p, _), h in zip(tied, held, strict=True) if h}
                system = values.isin(flagged).to_numpy(dtype=bool)
            if system.any():  # per distinct requester, then per ticket
                out |= system[codes]
        out.setflags(write=False)
        return out
    result: np.ndarray = ctx.memo(("textclusters.machine_made", channels, words), make)
    return result


def machine_named(ctx: Context, params: Mapping[str, Any], names: pd.Series) -> np.ndarray:
    """Per value of ``names`` (an events table's authors): a name that holds one of
    ``machine_words`` ("System", "SLA Reminder Job"), read as :func:`machine_made` reads
    a requester's, per distinct name. Under ``--redact`` each pseudonym's name as
    exported (:func:`requesters_of`) tells; a pseudonym without one is no machine's."""
    words = tuple(sorted(fold_words(params.get("machine_words", []))))
    out = np.zeros(len(names), dtype=bool)
    codes, distinct = pd.factorize(names.astype(m.STRING_DTYPE).to_numpy(
        dtype=object, na_value=None))
    if not words or not len(distinct):
        return out
    values = pd.Series(distinct, dtype=object)
    if ctx.name_words is not None:  # --redact: the names behind the pseudonyms
        tied = dict(e[1:].split(_WHOLE, 1) for e in ctx.name_words
                    if e.startswith(_REQUESTER_OF))
        values = values.map(tied).astype(object)
        values = values.where(values.notna(), None)
    lists = pc.utf8_split_whitespace(_whole_names(values))
    hit = pc.is_in(pc.list_flatten(lists), value_set=pa.array(
        list(words), type=pa.string())).to_numpy(zero_copy_only=False)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    held = np.bincount(parent[hit], minlength=len(values)) > 0
    known = codes >= 0
    out[known] = held[codes[known]]
    return out


#: the Context cache name of :func:`unnamed_wordings`
_UNNAMED = "textclusters.unnamed_wordings"


def unnamed_wordings(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct normalised summary (the codes of the summary's value table): (the
    code of its wording without the words of the people columns' names, -1 when nothing
    else is left; the text each such code stands for; whether it held a name word).

    "Conversation with Anna Meyer" and "conversation with Ben Schmidt" are one unnamed
    wording, "conversation with": what an intake template is told by
    (:func:`itsm_diag.signs.recurrence.summary_templates`). Vectorised over the distinct
    summaries (their words split, the name words dropped, the rest joined by arrow)."""
    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, norm = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)
        n = len(norm)
        texts = pa.array(pd.array(norm, dtype=m.STRING_DTYPE))
        names = _person_words(ctx, ctx.analyses.get("text-clusters") or {})
        lists = pc.utf8_split_whitespace(texts)
        words = pc.list_flatten(lists)
        is_name = (pc.is_in(words, value_set=pa.array(sorted(names), type=pa.string()))
                   .to_numpy(zero_copy_only=False) if names and n
                   else np.zeros(len(words), dtype=bool))
        if not is_name.any():  # no summary names a person: each is its own wording
            return (np.arange(n, dtype=np.int64), np.asarray(norm, dtype=object),
                    np.zeros(n, dtype=bool))
        parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
        kept = ~is_name
        offsets = np.r_[0, np.cumsum(np.bincount(parent[kept], minlength=n))]
        joined = pc.binary_join(pa.LargeListArray.from_arrays(
            pa.array(offsets, type=pa.int64()), words.filter(pa.array(kept))),
            pa.scalar(" ", type=words.type))
        # nothing left (a summary that is only a name) is no wording
        coded = pc.dictionary_encode(pc.if_else(pc.equal(joined, ""), None, joined))
        codes = pc.fill_null(coded.indices, -1).to_numpy(zero_copy_only=False)
        return (np.asarray(codes, dtype=np.int64),
                np.asarray(coded.dictionary.to_pylist(), dtype=object),
                np.bincount(parent[is_name], minlength=n) > 0)
    params = ctx.analyses.get("text-clusters") or {}
    result: tuple[np.ndarray, np.ndarray, np.ndarray] = ctx.memo(
        (_UNNAMED, tuple(sorted(_no_person(params))),
         params.get("vocabulary_min_wordings"), params.get("vocabulary_wordings_per_name")),
        make)
    return result


@dataclass(frozen=True)
class Lexicon:
    """The stop words and the ``opposed_words`` param, stemmed once per rule set."""

    #: the stop words dropped (a stop word whose stem is a state word's stays)
    dropped: frozenset[str]
    #: the stems that weigh nothing: stop words kept for their state ("on", "failed")
    quiet: frozenset[str]
    #: per state word's stem: its set's bit in each opposition (0: not in it)
    bits: dict[str, tuple[int, ...]]
    oppositions: int


def _frozen(value: Any) -> Any:
    """A param's nested lists as nested tuples (hashable)."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list | tuple) else value


def lexicon(params: Mapping[str, Any]) -> Lexicon:
    """:class:`Lexicon` of the params' ``stop_words`` and ``opposed_words``."""
    return _lexicon(_frozen(params.get("stop_words") or []),
                    _frozen(params.get("opposed_words") or []))


@functools.lru_cache(maxsize=16)
def _lexicon(stop_words: tuple[Any, ...], opposed: tuple[Any, ...]) -> Lexicon:
    stop = {str(w).lower() for w in stop_words if isinstance(w, str)}
    groups = [[{stem(str(w).lower()) for w in words if isinstance(w, str)} for words in sets]
              for sets in opposed if isinstance(sets, tuple) and len(sets) >= 2]
    bits: dict[str, list[int]] = {}
    for g, sets in enumerate(groups):  # a handful of oppositions and word sets
        for bit, words in enumerate(sets):
            for word in words:
                bits.setdefault(word, [0] * len(groups))[g] |= 1 << bit
    kept = {w for w in stop if stem(w) in bits}
    return Lexicon(dropped=frozenset(stop - kept), quiet=frozenset(stem(w) for w in kept),
                   bits={k: tuple(v) for k, v in bits.items()}, oppositions=len(groups))


def _vocabulary(words: np.ndarray, lex: Lexicon, names: set[str], min_len: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(stem code of each word, -1 when dropped; the stems; per stem, whether it weighs
    nothing (a stop word kept for its state); per stem, its bit per opposition, None
    without oppositions)."""
    codes, uniques = pd.factorize(words)
    # one per distinct word (the vocabulary), not per ticket; a word of an opposition is
    # kept whatever its length ("on", "up" under min_word_length 3 would leave on/off
    # and up/down apart from nothing)
    kept = [None if (w in lex.dropped or w in names
                     or (len(w) < min_len and stem(w) not in lex.bits)) else stem(w)
            for w in uniques]
    stem_codes, stems = pd.factorize(pd.Series(kept, dtype=object))
    quiet = np.zeros(len(stems), dtype=bool)
    states = None
    if lex.oppositions and len(stems):
        index = pd.Index(stems)
        states = np.zeros((len(stems), lex.oppositions), dtype=np.int64)
        at = index.get_indexer(list(lex.bits))
        states[at[at >= 0]] = np.asarray(list(lex.bits.values()), dtype=np.int64)[at >= 0]
        if lex.quiet:
            at = index.get_indexer(sorted(lex.quiet))
            quiet[at[at >= 0]] = True
    return (np.asarray(stem_codes, dtype=np.int64)[codes], np.asarray(stems, dtype=object),
            quiet, states)


def _rarest_first(w: np.ndarray) -> np.ndarray:
    """Each word's rank in the global order every overlap is summed in: the rarest
    (heaviest) first, ties by word code."""
    rank = np.empty(len(w), dtype=np.int64)
    rank[np.lexsort((np.arange(len(w)), -w))] = np.arange(len(w))
    return rank


def _entries(doc: np.ndarray, tok: np.ndarray, w: np.ndarray, total: np.ndarray,
             theta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                    np.ndarray]:
    """The (document, word) entries ordered by document, rarest (heaviest) word first:
    (documents, words, each document's first entry, the entries of each document's
    prefix at ``theta``, the weight left from each entry on)."""
    order = np.lexsort((_rarest_first(w)[tok], doc))
    d, t = doc[order], tok[order]
    wt = w[t]
    cum = np.cumsum(wt)
    start = np.r_[True, d[1:] != d[:-1]]
    base = np.maximum.accumulate(np.where(start, cum - wt, 0.0))
    before = cum - wt - base
    in_prefix = before <= (1.0 - theta) * total[d] + 1e-9
    return d, t, start, in_prefix, total[d] - before


def _rare_words(d: np.ndarray, t: np.ndarray, w: np.ndarray, start: np.ndarray, n_doc: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(document, its rarest word) of the documents of two words or more (words that
    weigh: a state word of no weight is not counted): what the containment rule looks up
    in the other documents."""
    n_words = np.bincount(d, weights=w[t] > 0, minlength=n_doc)
    two = n_words[d[start]] >= 2
    return d[start][two], t[start][two]


def _candidate_count(doc: np.ndarray, tok: np.ndarray, w: np.ndarray, total: np.ndarray,
                     theta: float, contained: float) -> int:
    """How many candidate pairs :func:`_pairs` would make and compare (its two filters'
    rows, before they are made): the work it costs grows with this number."""
    if not len(doc):
        return 0
    d, t, start, pre, rest = _entries(doc, tok, w, total, theta)
    _, ptok, pweight, _, lo, hi = _prefix_order(d[pre], t[pre], total[d[pre]], rest[pre],
                                                theta)
    n = int(_range_bounds(ptok, pweight, lo, hi)[1].sum())
    if contained <= 1.0:  # the containment join: one row per posting of a rare word
        _, rare_t = _rare_words(d, t, w, start, int(doc.max()) + 1)
        n += int(np.bincount(t, minlength=len(w))[rare_t].sum())
    return n


def _masks(doc: np.ndarray, tok: np.ndarray, states: np.ndarray, n_doc: int
           ) -> np.ndarray:
    """Per document, per opposition: the bits of the word sets it holds (0: none)."""
    hit = np.asarray(states.any(axis=1))[tok]
    masks = np.zeros((n_doc, states.shape[1]), dtype=np.int64)
    np.bitwise_or.at(masks, doc[hit], states[tok[hit]])  # the few state words only
    return masks


def _clash(ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """Per row of two mask arrays (:func:`_masks`): in some opposition, each holds a
    word set the other lacks."""
    return (((ma & ~mb) != 0) & ((mb & ~ma) != 0)).any(axis=-1)


def _pairs(doc: np.ndarray, tok: np.ndarray, w: np.ndarray, total: np.ndarray,
           theta: float, floor: float, contained: float,
           masks: np.ndarray | None = None) -> pd.DataFrame:
    """Pairs of documents (a < b) that are similar, with their weighted Jaccard: at least
    ``theta``; or at least ``floor`` when the lighter one, of two words or more, has at
    least ``contained`` of its weight in the other ("vpn disconnects" in "vpn disconnects
    every hour"). Never two documents whose state bits (``masks``, per document:
    :func:`_masks`) clash: in some opposition each holds a word set the other lacks
    ("laptop turn on" and "laptop turn off"; "sap login slow" and "sap login fail"), so
    they are different issues whatever their similarity; a document without a word of
    the opposition clashes with none ("sap login" joins either, though never both:
    :func:`_stars` keeps a star's states).

    Candidates, never all pairs: (1) prefix filtering at ``theta`` (a pair that similar
    shares a word among each side's rarest words worth more than ``1 - theta`` of its
    weight); (2) for the containment rule (``contained`` 1.0: every word of the lighter
    one is in the other), the lighter one's rarest word looked up in the other's words.
    :func:`_candidate_count` counts them first.
    """
    n_doc = int(doc.max()) + 1 if len(doc) else 0
    empty = pd.DataFrame({"a": [], "b": [], "sim": [], "overlap": []})
    if not len(doc):
        return empty
    n_tok = len(w)
    d, t, start, in_prefix, rest = _entries(doc, tok, w, total, theta)
    n_words = np.bincount(doc, weights=w[tok] > 0, minlength=n_doc)  # words that weigh
    cand = _prefix_pairs(d[in_prefix], t[in_prefix], total[d[in_prefix]], rest[in_prefix],
                         theta)
    if contained <= 1.0:
        # the lighter document's rarest word must be among the other's words (with
        # contained < 1 this finds the pairs whose overlap holds that word)
        rare_d, rare_t = _rare_words(d, t, w, start, n_doc)
        rare = pd.DataFrame({"da": rare_d, "t": rare_t}, copy=False)
        full = pd.DataFrame({"db": d, "t": t}, copy=False)
        more = rare.merge(full, on="t")[["da", "db"]]
        wa, wb = total[more["da"].to_numpy()], total[more["db"].to_numpy()]
        more = more[(wa <= wb) & (wa >= floor * wb)]
        cand = pd.concat([cand, more], ignore_index=True)
    a0, b0 = cand["da"].to_numpy(), cand["db"].to_numpy()
    keep = a0 != b0
    a0, b0 = a0[keep], b0[keep]
    key = np.unique(np.minimum(a0, b0) * n_doc + np.maximum(a0, b0))
    a, b = key // n_doc, key % n_doc
    lo, hi = np.minimum(total[a], total[b]), np.maximum(total[a], total[b])
    keep = lo >= min(theta, floor) * hi  # the lighter side caps the similarity
    a, b = a[keep], b[keep]
    if not len(a):
        return empty
    # overlap: each word of a, looked up among b's words (sorted doc*V+word keys)
    width = n_tok + 1
    keys = np.sort(doc * width + tok)
    starts_a = np.searchsorted(d, a, side="left")
    ends_a = np.searchsorted(d, a, side="right")
    lens = ends_a - starts_a
    pair_of = np.repeat(np.arange(len(a)), lens)
    pos = np.repeat(starts_a - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
    words = t[pos]
    probe = b[pair_of] * width + words
    found = np.searchsorted(keys, probe)
    hit = (found < len(keys)) & (keys[np.minimum(found, len(keys) - 1)] == probe)
    overlap = np.bincount(pair_of[hit], weights=w[words[hit]], minlength=len(a))
    sim = overlap / (total[a] + total[b] - overlap)
    lighter = np.where(total[a] <= total[b], a, b)
    share = overlap / np.minimum(total[a], total[b])
    ok = (sim >= theta - 1e-12) | ((sim >= floor - 1e-12) & (share >= contained - 1e-12)
                                   & (n_words[lighter] >= 2))
    if masks is not None:  # opposite states never join (checked on the similar pairs)
        ok[ok] = ~_clash(masks[a[ok]], masks[b[ok]])
    return pd.DataFrame({"a": a[ok], "b": b[ok], "sim": sim[ok], "overlap": overlap[ok]},
                        copy=False)


def _range_bounds(block: np.ndarray, weight: np.ndarray, lo: np.ndarray, hi: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For each entry i of ``block`` (entries sorted by block then weight): (the first
    position j of its block with ``weight[j]`` >= lo[i], how many follow it up to
    hi[i]): a range join's bounds, so pairs that cannot qualify are never made."""
    span = float(np.max(weight)) * 4.0 + 4.0 if len(weight) else 1.0
    key = block.astype("float64") * span + weight
    start = np.searchsorted(key, block * span + lo, side="left")
    stop = np.searchsorted(key, block * span + hi, side="right")
    return start, np.maximum(stop - start, 0)


def _range_pairs(block: np.ndarray, weight: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j), i != j, of entries of one ``block`` (entries sorted by block then
    weight) whose ``weight[j]`` lies in [lo[i], hi[i]] (a block of thousands of
    near-equal wordings yields nothing)."""
    start, count = _range_bounds(block, weight, lo, hi)
    i = np.repeat(np.arange(len(block)), count)
    j = np.repeat(start - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
    keep = i != j
    return i[keep], j[keep]


def _prefix_order(doc: np.ndarray, tok: np.ndarray, weight: np.ndarray, rest: np.ndarray,
                  theta: float) -> tuple[np.ndarray, ...]:
    """The prefix entries ordered by word then weight, and each one's partner range:
    (doc, tok, weight, rest, lo, hi). For entry a, a partner b needs W_b >= theta W_a,
    W_b <= W_a / theta, and rest_a >= c (W_a + W_b), that is W_b <= rest_a / c - W_a,
    with c = theta / (1 + theta) (the overlap a weighted Jaccard of ``theta`` needs)."""
    c = theta / (1 + theta)
    order = np.lexsort((weight, tok))
    doc, tok, weight, rest = doc[order], tok[order], weight[order], rest[order]
    lo = theta * weight - 1e-9
    hi = np.minimum(weight / theta, rest / c - weight) + 1e-9
    return doc, tok, weight, rest, lo, hi


def _prefix_pairs(doc: np.ndarray, tok: np.ndarray, weight: np.ndarray, rest: np.ndarray,
                  theta: float) -> pd.DataFrame:
    """Candidate pairs from the prefix entries (document, word, its weight, the weight
    left from that word on): sharing a word, with the lighter side at least ``theta`` of
    the heavier, and what is left of each side able to reach ``theta / (1 + theta)`` of
    both weights."""
    doc, tok, weight, rest, lo, hi = _prefix_order(doc, tok, weight, rest, theta)
    i, j = _range_pairs(tok, weight, lo, hi)
    ok = rest[j] >= theta / (1 + theta) * (weight[i] + weight[j]) - 1e-9
    return pd.DataFrame({"da": doc[i[ok]], "db": doc[j[ok]]}, copy=False)


#: rounds of :func:`_stars` before the documents still undecided are taken one by one
MAX_ROUNDS = 64


def _stars(n: int, priority: np.ndarray, edges: pd.DataFrame,
           masks: np.ndarray | None = None, max_rounds: int = MAX_ROUNDS
           ) -> tuple[np.ndarray, np.ndarray]:
    """Star clusters: (centre of each document, its similarity to it), decided greedily
    by ``priority`` (0 first) in rounds over arrays.

    With ``masks`` (per document, its state bits per opposition: :func:`_masks`) a star
    keeps the OR of its members' bits, and a document whose bits clash with a star's
    (:func:`_clash`) does not join it: it joins another or becomes a centre. Without
    that, "laptop not turning" (no state) took "turn on" and "turn off" both.

    A round decides every document whose more frequent neighbours are all decided (and,
    for one with a state, whose centres no undecided more frequent document with a state
    of the same opposition may still join: it could change the star's bits), so the
    rounds are as many as the longest chain of such dependencies: a handful on real
    wordings, but a chain of wordings each similar only to the next (64,000 long: 15 s)
    would make them quadratic. After ``max_rounds`` the rest is decided in priority
    order, one document at a time over its own edges: the same greedy, the same answer.
    """
    centre = np.full(n, -1, dtype=np.int64)
    sim_to = np.ones(n)
    if edges.empty:
        return np.arange(n), sim_to
    a, b, s = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["sim"].to_numpy()
    # direct every edge from the lower-priority end (u) to the higher-priority one (v)
    swap = priority[a] < priority[b]
    u, v = np.where(swap, b, a), np.where(swap, a, b)
    state = np.zeros(n, dtype=np.int8)  # 0 undecided, 1 centre, 2 member
    touched = np.zeros(n, dtype=bool)
    touched[u] = True
    state[~touched] = 1  # no more frequent neighbour: a centre at once
    centre[state == 1] = np.flatnonzero(state == 1)
    stated = None  # per opposition with a state written: who holds one
    star = None
    if masks is not None and masks.any():
        stated = [masks[:, g] != 0 for g in range(masks.shape[1]) if masks[:, g].any()]
        star = masks.copy()  # per centre: the OR of its members' bits (its own first)
    for done_rounds in range(n + 1):
        undecided = state == 0
        if not undecided.any():
            break
        if done_rounds >= max_rounds:
            _finish_in_order(state, centre, sim_to, priority, u, v, s, masks, star)
            break
        blocked = np.zeros(n, dtype=bool)
        blocked[u[state[v] == 0]] = True
        to_centre = state[v] == 1
        for has in stated or ():  # a handful of oppositions
            # a document with a state waits while a more frequent undecided one with a
            # state of the same opposition may still join one of its centres
            e = undecided[u] & has[u]
            first = np.full(n, np.iinfo(np.int64).max)  # priorities need not be 0..n-1
            np.minimum.at(first, v[e], priority[u[e]])
            wait = e & to_centre & (first[v] < priority[u])
            blocked[u[wait]] = True
        ready = undecided & ~blocked
        # each ready document joins its most similar centre (ties: the more frequent one)
        # whose star's states do not clash with its own
        cand = ready[u] & to_centre
        if star is not None and masks is not None and cand.any():
            cand[cand] = ~_clash(masks[u[cand]], star[v[cand]])
        if cand.any():
            cu, cv, cs = u[cand], v[cand], s[cand]
            order = np.lexsort((priority[cv], -cs, cu))
            cu, cv, cs = cu[order], cv[order], cs[order]
            first = np.r_[True, cu[1:] != cu[:-1]]
            centre[cu[first]], sim_to[cu[first]] = cv[first], cs[first]
            state[cu[first]] = 2
            if star is not None and masks is not None:
                np.bitwise_or.at(star, cv[first], masks[cu[first]])
        alone = ready & (state == 0)
        state[alone] = 1
        centre[alone] = np.flatnonzero(alone)
    return centre, sim_to


def _finish_in_order(state: np.ndarray, centre: np.ndarray, sim_to: np.ndarray,
                     priority: np.ndarray, u: np.ndarray, v: np.ndarray, s: np.ndarray,
                     masks: np.ndarray | None = None, star: np.ndarray | None = None
                     ) -> None:
    """Decide the undecided documents (``state`` 0) in priority order, in place: each
    joins its most similar centre among its more frequent neighbours (ties: the more
    frequent centre) whose star's states (``star``) do not clash with its own
    (``masks``), else becomes a centre. Its neighbours are decided by then, as in
    a round. A loop over the wordings left after the rounds (a long chain), each step a
    slice of its own edges; never over tickets."""
    by_u = np.argsort(u, kind="stable")
    us, vs, ss = u[by_u], v[by_u], s[by_u]
    left = np.flatnonzero(state == 0)
    starts = np.searchsorted(us, left, side="left")
    ends = np.searchsorted(us, left, side="right")
    for k in np.argsort(priority[left], kind="stable"):
        x, lo, hi = int(left[k]), int(starts[k]), int(ends[k])
        nv, ns = vs[lo:hi], ss[lo:hi]
        is_c = state[nv] == 1
        if star is not None and masks is not None:
            is_c &= ~_clash(masks[x][None, :], star[nv])
        if is_c.any():
            nv, ns = nv[is_c], ns[is_c]
            best = np.lexsort((priority[nv], -ns))[0]
            centre[x], sim_to[x], state[x] = nv[best], ns[best], 2
            if star is not None and masks is not None:
                star[nv[best]] |= masks[x]
        else:
            centre[x], state[x] = x, 1


def tie_ranks(values: np.ndarray, rel: float = 1e-9) -> np.ndarray:
    """Rank of each value, largest first, values within ``rel`` of the next larger one
    tied: a sum of similarities x tickets comes out a few units in the last place apart
    when added in another order, and that rounding must not decide which wording leads."""
    order = np.argsort(-values, kind="stable")
    v = values[order]
    step = np.r_[True, (v[:-1] - v[1:]) > rel * np.abs(v[:-1])]
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.cumsum(step) - 1
    return ranks


def _word_sets(d: np.ndarray, t: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(the word set of each document, -1 for one without words; per set, its first
    document). Two wordings with the same words after stop words, names and stemming
    ("new hire onboarding maria k schmidt" once names are dropped) are one set."""
    order = np.lexsort((t, d))
    counts = np.bincount(d, minlength=n_docs)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts * 4, out=offsets[1:])
    data = np.ascontiguousarray(t[order], dtype="<i4")
    # each document's sorted word codes as one binary value, grouped by Arrow's hash
    keys = pa.Array.from_buffers(pa.large_binary(), n_docs,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    sets = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    sets[counts == 0] = -1
    sets[counts > 0] = np.unique(sets[counts > 0], return_inverse=True)[1]
    n_sets = int(sets.max()) + 1 if n_docs else 0
    first = np.full(n_sets, n_docs, dtype=np.int64)
    np.minimum.at(first, sets[sets >= 0], np.flatnonzero(sets >= 0))
    return sets, first


def _heads(d: np.ndarray, t: np.ndarray, n_docs: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(:func:`_word_sets`'s sets and first documents; the (set, word) entries of each
    set's first document, which is what :func:`_pairs` compares)."""
    sets, first = _word_sets(d, t, n_docs)
    rep = np.zeros(n_docs, dtype=bool)
    rep[first] = True
    keep = rep[d]
    return sets, first, sets[d[keep]], t[keep]


def _subset(d: np.ndarray, t: np.ndarray, chosen: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The (document, word) entries of the ``chosen`` documents, renumbered 0..k-1 in
    their order."""
    new_id = np.cumsum(chosen) - 1
    keep = chosen[d]
    return new_id[d[keep]], t[keep]


def _within_budget(d: np.ndarray, t: np.ndarray, weight: np.ndarray, total: np.ndarray,
                   tickets: np.ndarray, theta: float, contained: float, budget: int
                   ) -> tuple[np.ndarray | None, int]:
    """(None when comparing every document makes at most ``budget`` candidate pairs,
    else the documents to compare: the most used ones, as many as fit; the candidate
    pairs of all of them).

    Candidate pairs grow with the square of the wordings that share common words: free
    text over a wide vocabulary (300,000 distinct wordings) made 70 million of them, 100
    s and 15 GB. Counting them costs a sort; making and comparing them is the work. The
    wordings used most (ties: text order) are kept, so the clusters that hold the most
    tickets are the ones found; the count of a subset shrinks about with its size
    squared, which the first guess uses.
    """
    n_docs = len(tickets)

    def count(chosen: np.ndarray) -> int:
        sd, st = _subset(d, t, chosen)
        k = int(chosen.sum())
        _, first, hd, ht = _heads(sd, st, k)
        return _candidate_count(hd, ht, weight, total[chosen][first], theta, contained)

    everyone = np.ones(n_docs, dtype=bool)
    total_pairs = count(everyone)
    if total_pairs <= budget:
        return None, total_pairs
    order = np.lexsort((np.arange(n_docs), -tickets))  # most used first, then text order
    size = int(n_docs * (max(budget, 0) / total_pairs) ** 0.5)
    while size > 0:
        chosen = np.zeros(n_docs, dtype=bool)
        chosen[order[:size]] = True
        if count(chosen) <= budget:
            return chosen, total_pairs
        size = int(size * 0.8)
    return np.zeros(n_docs, dtype=bool), total_pairs


def _clustered(d: np.ndarray, t: np.ndarray, weight: np.ndarray, total: np.ndarray,
               tickets: np.ndarray, theta: float, floor: float, contained: float,
               states: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Star clusters of the documents: (centre of each, its similarity to it).

    The same greedy as pairing every two documents and running :func:`_stars` on them
    all, computed on word sets: documents with the same words are similar to each other
    (weighted Jaccard 1) and to the same other documents, so a thousand wordings that
    differ only in a dropped name are not a million pairs. Within a set, the first
    document in priority order (its head) is the only one that can become a centre (every
    later one has it, or the centre it joined, to join); so the greedy runs on the heads,
    and every other document then joins the most similar centre before it: its own head
    when that is a centre (similarity 1 beats any other set), else one of the centres
    its set is paired with.
    """
    n_docs = len(tickets)
    sets, first, sd, st = _heads(d, t, n_docs)
    n_sets = len(first)
    # a set's states (its words, so its documents', are the same): a pair that clashes
    # never joins, and a star never holds two that clash, whatever its centre holds
    set_masks = _masks(sd, st, states, n_sets) if states is not None else None
    edges = _pairs(sd, st, weight, total[first], theta, floor, contained, set_masks)
    ea, eb = edges["a"].to_numpy(dtype=np.int64), edges["b"].to_numpy(dtype=np.int64)
    e_sim = edges["sim"].to_numpy(dtype="float64")
    e_ov = edges["overlap"].to_numpy(dtype="float64")
    # a set's words weighed in the order _pairs sums an overlap (rarest first), so a
    # pair of its documents gets the very similarity pairing them would give
    by_rank = np.lexsort((_rarest_first(weight)[st], sd))
    self_ov = np.bincount(sd[by_rank], weights=weight[st[by_rank]], minlength=n_sets)
    set_total = total[first]
    self_sim = self_ov / (set_total + set_total - self_ov)
    # centres first where they reach the most tickets of other wordings (similarity x
    # tickets): the core wording "outlook sync" reaches every variant, a variant with
    # extra words reaches fewer; ties: more tickets, then text order
    has = sets >= 0
    set_tickets = np.bincount(sets[has], weights=tickets[has], minlength=n_sets)
    cross = (np.bincount(ea, weights=e_sim * set_tickets[eb], minlength=n_sets)
             + np.bincount(eb, weights=e_sim * set_tickets[ea], minlength=n_sets))
    reach = np.zeros(n_docs)
    s_of = sets[has]
    within = self_sim[s_of] * (set_tickets[s_of] - tickets[has])
    reach[has] = within + cross[s_of]
    priority = np.empty(n_docs, dtype=np.int64)
    priority[np.lexsort((np.arange(n_docs), -tickets, tie_ranks(reach)))] = np.arange(n_docs)
    # the heads, and the greedy among them (similarities between the heads themselves)
    best = np.full(n_sets, n_docs, dtype=np.int64)
    np.minimum.at(best, s_of, priority[has])
    doc_at = np.empty(n_docs, dtype=np.int64)
    doc_at[priority] = np.arange(n_docs)
    head = doc_at[best]
    head_sim = e_ov / (total[head[ea]] + total[head[eb]] - e_ov)
    set_centre, set_sim = _stars(n_sets, priority[head],
                                 pd.DataFrame({"a": ea, "b": eb, "sim": head_sim}, copy=False),
                                 set_masks)
    centre = np.arange(n_docs, dtype=np.int64)
    sim_to = np.ones(n_docs)
    centre[head] = head[set_centre]
    sim_to[head] = set_sim
    member = has.copy()
    member[head] = False
    rows = np.flatnonzero(member)
    s_m = sets[rows]
    own = set_centre[s_m] == s_m
    # the head is a centre: join it
    x, h = rows[own], head[s_m[own]]
    centre[x] = h
    sim_to[x] = self_ov[s_m[own]] / (total[x] + total[h] - self_ov[s_m[own]])
    # else: the most similar centre of a paired set placed before the document (ties:
    # the one placed first); the head's own centre is one, so there always is one
    x, s_x = rows[~own], s_m[~own]
    if len(x):
        is_c = set_centre == np.arange(n_sets)
        f_set = np.r_[ea, eb]
        f_c = np.r_[eb, ea]
        f_ov = np.r_[e_ov, e_ov]
        ok = is_c[f_c] & (set_centre[f_set] != f_set)
        f_set, f_c, f_ov = f_set[ok], f_c[ok], f_ov[ok]
        order = np.argsort(f_set, kind="stable")
        f_set, f_c, f_ov = f_set[order], f_c[order], f_ov[order]
        lo = np.searchsorted(f_set, s_x, side="left")
        n = np.searchsorted(f_set, s_x, side="right") - lo
        px = np.repeat(x, n)
        pe = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(int(n.sum()))
        c_doc = head[f_c[pe]]
        fine = priority[c_doc] < priority[px]
        if set_masks is not None and set_masks.any():
            # nor a star lacking one of its states: it adds none to a star its head is
            # not in, so no two of these add clashing ones (its head's star holds them)
            star = np.zeros_like(set_masks)
            np.bitwise_or.at(star, set_centre, set_masks)
            fine &= ((set_masks[sets[px]] & ~star[f_c[pe]]) == 0).all(axis=1)
        px, pe, c_doc = px[fine], pe[fine], c_doc[fine]
        sim = f_ov[pe] / (total[px] + total[c_doc] - f_ov[pe])
        order = np.lexsort((priority[c_doc], -sim, px))
        px, c_doc, sim = px[order], c_doc[order], sim[order]
        pick = np.r_[True, px[1:] != px[:-1]]
        centre[px[pick]] = c_doc[pick]
        sim_to[px[pick]] = sim[pick]
    return centre, sim_to


#: a token holding a digit (an asset tag, a ticket or error number), as the
#: normalisation drops it
_ID_IN_TEXT = re.compile(r"(?<![\w\-])[\w\-]*\d[\w\-]*")


def _shown_label(label: str, wordings: int, summaries: list[dict[str, Any]]) -> str:
    """A lone wording's label as a reader can take it: its commonest summary as typed,
    with each id-like token (the part the normalisation dropped) shown as "…"
    ("Battery of … drains within an hour", not "battery of drains within an hour"). A
    cluster of several wordings keeps its commonest words."""
    if wordings != 1 or not summaries:
        return label
    typed = str(summaries[0].get("summary") or "")
    shown = " ".join(_ID_IN_TEXT.sub("…", typed).split())
    return shown or label


def _labels(doc: np.ndarray, tok: np.ndarray, words: np.ndarray, weight: np.ndarray,
            cluster: np.ndarray, wanted: np.ndarray, top: int,
            quiet: np.ndarray | None = None) -> dict[int, str]:
    """For the clusters in ``wanted``: their ``top`` commonest words (by tickets using
    them; ties: the rarer word first), each in the form users wrote most, space-joined.
    A word of no weight (a state word such as "on"; per word, ``quiet`` 1) only when half
    the cluster's tickets or more use it, and after the others at equal use ("laptop
    turn on" beside "laptop turn off"); never one whose opposite the desk does not write
    (``quiet`` 2: the "on" of "printer jams on every job" tells nothing apart)."""
    keep = np.isin(cluster[doc], wanted)
    if not keep.any():
        return {}
    frame = pd.DataFrame({"c": cluster[doc][keep], "t": tok[keep], "word": words[keep],
                          "n": weight[doc][keep]}, copy=False)
    forms = frame.groupby(["t", "word"])["n"].sum().reset_index().sort_values(
        ["t", "n"], ascending=[True, False]).drop_duplicates("t")
    shown = np.empty(int(tok.max()) + 1, dtype=object)
    shown[forms["t"].to_numpy()] = forms["word"].to_numpy(dtype=object)
    counts = frame.groupby(["c", "t"])["n"].sum().reset_index()
    rank = "t"
    if quiet is not None and quiet.any():
        shy = quiet[counts["t"].to_numpy()]
        held = np.bincount(cluster, weights=weight)[counts["c"].to_numpy()]
        keep = (shy == 0) | ((shy == 1) & (2 * counts["n"].to_numpy() >= held))
        # at equal use, after the words that weigh
        counts = counts[keep].assign(rank=(counts["t"].to_numpy() + (shy > 0)
                                           * (int(tok.max()) + 1))[keep])
        rank = "rank"
    counts = counts.sort_values(["c", "n", rank], ascending=[True, False, True])
    counts = counts.groupby("c").head(top)
    counts["word"] = shown[counts["t"].to_numpy()]
    joined = counts.groupby("c", sort=False)["word"].agg(" ".join)
    return {int(c): str(w) for c, w in joined.items()}  # one per merged cluster


def _through(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` where a code is >= 0, -1 elsewhere (an empty table included: an
    export whose every summary is blank once normalised has no code at all)."""
    if not len(table):
        return np.full(len(codes), -1, dtype=np.int64)
    return np.where(codes >= 0, table[np.maximum(codes, 0)], -1)


def common_words(df: np.ndarray, n_sets: int, params: Mapping[str, Any]) -> np.ndarray:
    """Per word (``df``: the distinct word sets holding it, of ``n_sets``;
    :func:`_word_sets`): held by more than ``common_word_share`` of them, among
    ``common_word_min_wordings`` sets or more. Such a word (a mail footer's
    "confidentiality notice", copied into every summary) tells no wording from another,
    however many other words it is with: under ln(1 + N/df) it still weighed ln 2 in
    each, and a dozen footer words outweighed the two that named the issue (168 clusters
    fell to 61, most labelled "confidentiality notice mail")."""
    share = float(params.get("common_word_share", 1.0))
    least = int(params.get("common_word_min_wordings", 0))
    if share >= 1.0 or n_sets < max(least, 1):
        return np.zeros(len(df), dtype=bool)
    return df > share * n_sets


def _common_forms(t: np.ndarray, wd: np.ndarray, df: np.ndarray, common: np.ndarray
                  ) -> list[tuple[str, int]]:
    """The ``common`` words (per word code) as (the form users wrote most, the word sets
    holding it: ``df``), most held first (ties: the form's text): from the (wording, word)
    entries ``t``/``wd``, counted over arrays; a few become text."""
    hit = common[t]
    if not hit.any():
        return []
    forms = (pd.DataFrame({"t": t[hit], "word": wd[hit]}, copy=False).value_counts()
             .reset_index(name="n").sort_values(["t", "n", "word"],
                                                ascending=[True, False, True])
             .drop_duplicates("t"))
    forms["held"] = df[forms["t"].to_numpy()].astype(np.int64)
    forms = forms.sort_values(["held", "word"], ascending=[False, True])
    return [(str(w), int(h)) for w, h in zip(forms["word"], forms["held"], strict=True)]


#: how a common word is listed in the ``common_words`` note (:func:`common_listed`); a
#: word is letters and digits, so never a quote, and a redacted report finds each one
#: again (:func:`itsm_diag.redact.redact_report` writes ``Word N`` in its place)
COMMON_ITEM = '"{text}" ({n:,})'
COMMON_ITEM_RE = re.compile(r'"([^"]*)" \((?=\d)')


def common_listed(common: list[tuple[str, int]], shown: int = 10) -> str:
    """The ``shown`` most held of ``common`` as :data:`COMMON_ITEM`, and how many more."""
    listed = ", ".join(COMMON_ITEM.format(text=w, n=n) for w, n in common[:shown])
    more = len(common) - shown
    return f"{listed} and {more:,} more" if more > 0 else listed


def clusters_of(ctx: Context, params: Mapping[str, Any]) -> Clusters:
    """The text clusters of the summaries of the tickets in scope (cached per Context)."""
    def make() -> Clusters:
        return _clusters(ctx, params)
    result: Clusters = ctx.memo(("analyses.text-clusters", params_key(params)), make)
    return result


def _clusters(ctx: Context, params: Mapping[str, Any]) -> Clusters:
    # what users wrote: a machine's alert is left out (:func:`machine_made`), and so is a
    # summary that says nothing (:func:`~itsm_diag.signs.common.wordless_left_out`)
    scope = (ctx.of_kind(*params["kinds"]) & ctx.opened_in_window()
             & ~machine_made(ctx, params) & ~wordless_left_out(ctx, params))
    norm_codes, norm = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)
    in_scope = scope.to_numpy(dtype=bool) & (norm_codes >= 0)
    used, tickets = distinct_codes(norm_codes[in_scope])
    n_norm = len(norm)
    cluster_of_norm = np.arange(n_norm, dtype=np.int64)
    if not len(used):  # no summary in scope keeps a word (all ids, numbers, links)
        return Clusters(codes=np.full(len(norm_codes), -1, dtype=np.int64),
                        labels=np.asarray(pd.array(norm, dtype=m.STRING_DTYPE), dtype=object),
                        wordings=np.ones(n_norm, dtype=np.int64), min_similarity=np.ones(n_norm),
                        cluster_of_norm=cluster_of_norm, n_distinct=0, scope=scope)
    texts = pa.array(pd.array(norm, dtype=m.STRING_DTYPE).take(used))
    # the wordings in text order, not in the order the export first lists them: every
    # tie of the clustering ("then text order") and the word codes follow it, so the
    # clusters and their labels are a function of the wordings (a sort of the distinct
    # wordings only)
    by_text = np.asarray(pc.sort_indices(texts), dtype=np.int64)
    used, tickets, texts = used[by_text], tickets[by_text], texts.take(pa.array(by_text))
    doc, words = _tokens(texts)
    tok, stems, quiet, states = _vocabulary(words, lexicon(params),
                                            _person_words(ctx, params),
                                            int(params["min_word_length"]))
    keep = tok >= 0
    pairs = pd.DataFrame({"d": doc[keep], "t": tok[keep], "word": words[keep]},
                         copy=False).drop_duplicates(["d", "t"])
    d, t, wd = pairs["d"].to_numpy(), pairs["t"].to_numpy(), pairs["word"].to_numpy()
    n_docs = len(used)
    df = np.bincount(t, minlength=len(stems)).astype("float64")
    # a word in nearly every wording (a mail footer, a form's text copied into each
    # summary) tells no issue from another: it weighs nothing, names no cluster and
    # holds no state; its entries go (:func:`common_words`)
    # counted over the word sets, not the wordings: 3,000 "new hire onboarding <name>"
    # wordings are one set, and their words are no footer
    _, set_first = _word_sets(d, t, n_docs)
    set_df = np.bincount(t[np.isin(d, set_first)], minlength=len(stems))
    common = common_words(set_df, len(set_first), params)
    held_words = _common_forms(t, wd, set_df, common)
    # a stop word kept for its state ("on", "failed") weighs nothing
    weight = np.where(quiet | common, 0.0,
                      np.log1p(n_docs / (df + float(params["df_smoothing"]))))
    total = np.bincount(d, weights=weight[t], minlength=n_docs)
    light = quiet | common
    # state words alone ("not working"), or with only common words: no word
    gone = light[t] & (total[d] <= 0) if light.any() else None
    if gone is not None:
        gone |= common[t]
        d, t, wd = d[~gone], t[~gone], wd[~gone]
    theta = float(params["similarity"])
    floor, contained = float(params["contained_similarity"]), float(params["containment"])
    chosen, candidates = _within_budget(d, t, weight, total, tickets, theta, contained,
                                        int(params["max_candidate_pairs"]))
    if chosen is None:
        centre, sim_to = _clustered(d, t, weight, total, tickets, theta, floor, contained,
                                    states)
    else:
        # the wordings left out stand alone (their own centre, similarity 1)
        centre, sim_to = np.arange(n_docs, dtype=np.int64), np.ones(n_docs)
        picked = np.flatnonzero(chosen)
        if len(picked):
            sd, st = _subset(d, t, chosen)
            c_sub, s_sub = _clustered(sd, st, weight, total[picked], tickets[picked], theta,
                                      floor, contained, states)
            centre[picked], sim_to[picked] = picked[c_sub], s_sub
    cluster_of_norm[used] = used[centre]
    # per cluster (coded by its centre's normalised summary): label, wordings, cohesion
    c_codes, c_index = np.unique(centre, return_inverse=True)
    per_c = np.bincount(c_index, minlength=len(c_codes))
    low = pd.Series(sim_to).groupby(c_index).min().to_numpy()
    # a lone wording is its own label; a cluster of several, its commonest words
    merged = np.flatnonzero(per_c > 1)
    shy = np.zeros(len(stems), dtype=np.int64)
    if states is not None and quiet.any():  # a state word of no weight, for the labels
        present = np.bitwise_or.reduce(states[np.bincount(t, minlength=len(stems)) > 0],
                                       axis=0)
        # the desk writes another set of the word's opposition ("off" beside "on")
        opposite = ((states != 0) & ((present & ~states) != 0)).any(axis=1)
        shy[quiet] = np.where(opposite, 1, 2)[quiet]
    words_of = _labels(d, t, wd, tickets, c_index, merged, int(params["label_words"]),
                       shy)
    labels = np.asarray(pd.array(norm, dtype=m.STRING_DTYPE), dtype=object).copy()
    wordings = np.ones(n_norm, dtype=np.int64)
    min_sim = np.ones(n_norm)
    wordings[used[c_codes]] = per_c
    min_sim[used[c_codes]] = low
    for i in merged:  # one per merged cluster, not per ticket or wording
        labels[used[c_codes[i]]] = words_of.get(int(i)) or labels[used[c_codes[i]]]
    codes = np.where(in_scope, _through(cluster_of_norm, norm_codes), -1)
    compared = n_docs if chosen is None else int(chosen.sum())
    return Clusters(codes=codes, labels=labels, wordings=wordings, min_similarity=min_sim,
                    cluster_of_norm=cluster_of_norm, n_distinct=n_docs, scope=scope,
                    compared=compared, candidates=candidates, common=held_words,
                    n_sets=len(set_first),
                    compared_tickets=int(tickets.sum() if chosen is None
                                         else tickets[chosen].sum()))


def key_table(ctx: Context, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(per ticket, the code of its summary's text cluster, -1 where blank; per code, the
    cluster's label): the summary part of the recurrence key. A wording the clusters did
    not see (outside their scope) is a cluster of its own."""
    found = clusters_of(ctx, params)
    norm_codes = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)[0]
    return np.where(norm_codes >= 0, _through(found.cluster_of_norm, norm_codes),
                    -1), found.labels


#: the Context cache name of :func:`_trim`
_TRIMMED = "textclusters.trimmed"


def _trim(values: pd.Series) -> pd.Series:
    """The wording as typed, without its leading and trailing whitespace."""
    return values.str.strip()


def _samples(ctx: Context, rows: np.ndarray, cluster: np.ndarray, k: int
             ) -> dict[int, list[dict[str, Any]]]:
    """Per cluster: its ``k`` most used wordings as typed, with their ticket counts.

    Wordings are counted by the integer code of their trimmed text (one trim per
    distinct summary, shared by the run), and only the counted pairs are turned into
    text: not a hundred thousand summaries copied out, trimmed and hashed as strings."""
    codes, trimmed = ctx.value_table(m.SUMMARY, _TRIMMED, _trim)
    frame = pd.DataFrame({"c": cluster, "s": codes[rows]}, copy=False)
    counts = frame.value_counts().reset_index(name="n")
    counts["s"] = np.asarray(trimmed, dtype=object)[counts["s"].to_numpy()]
    counts = counts.sort_values(["c", "n", "s"], ascending=[True, False, True])
    counts = counts.groupby("c").head(k)
    out: dict[int, list[dict[str, Any]]] = {}
    for c, s, n in counts.itertuples(index=False):  # k per cluster shown
        out.setdefault(int(c), []).append({"summary": str(s), "tickets": int(n)})
    return out


def _largest(g: pd.DataFrame, labels: np.ndarray, n: int) -> pd.DataFrame:
    """The ``n`` largest clusters of ``g`` (by tickets, then wordings; at a tie by label,
    then by smallest ticket id ``idr``): the tie-breaks are sorted among the few clusters
    tied at the n-th place, not over every cluster."""
    if len(g) > n > 0:
        # (tickets, wordings) as one int64 that sorts as the pair (wordings below the step),
        # the n-th largest by a partition, then every cluster up to it and its ties
        tickets = g["tickets"].to_numpy(dtype=np.int64)
        wordings = g["wordings"].to_numpy(dtype=np.int64)
        key = tickets * (int(wordings.max()) + 1) + wordings
        kth = np.partition(key, len(key) - n)[len(key) - n]
        g = g[key >= kth]
    g = g.assign(label=labels[g.index.to_numpy()].astype(str))
    g = g.sort_values(["tickets", "wordings", "label", "idr"],
                      ascending=[False, False, True, True], kind="stable")
    return g.head(n) if n > 0 else g.iloc[:0]


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    scope = ctx.of_kind(*params["kinds"]) & ctx.opened_in_window()
    n_scope = int(scope.sum())
    has_summary = scope & ctx.filled(m.SUMMARY)
    if not has_summary.any():
        return Measurement(unknown=note("no_summary", n=n_scope))
    minimum = int(params["min_tickets"])
    if int(has_summary.sum()) < minimum:
        return Measurement(unknown=note("too_few", n=int(has_summary.sum()), min=minimum))
    found = clusters_of(ctx, params)
    codes = found.codes
    # an alert a machine raised is not what a user wrote: left out of the clusters
    machine = has_summary.to_numpy(dtype=bool) & machine_made(ctx, params)
    excluded = []
    if machine.any():
        excluded.append(note("machine_made", int(machine.sum()),
                             ctx.sample_rows(np.flatnonzero(machine)),
                             n=int(has_summary.sum()),
                             channels=" or ".join(str(c) for c in params["machine_channels"])))
    # a summary that says nothing ("urgent", "not working") is no issue: left out too
    vague = has_summary.to_numpy(dtype=bool) & ~machine & wordless_left_out(ctx, params)
    if vague.any():
        excluded.append(note("vague", int(vague.sum()), ctx.samples(
            pd.Series(vague, index=t.index)), n=int(has_summary.sum()),
            max_words=vague_max_words(ctx)))
    # a form's or channel's fixed subject is no issue: its incidents are left out
    templates = summary_templates(ctx, scope.to_numpy(dtype=bool) & ~machine & ~vague,
                                  params)
    if templates.count():
        excluded.append(note("templates", templates.count(),
                             ctx.samples(pd.Series(templates.mask, index=t.index)),
                             **templates.note_params(params)))
    rows = np.flatnonzero((codes >= 0) & ~templates.mask)
    keyed = len(rows)
    if keyed < minimum and templates.count():
        return Measurement(unknown=note("only_templates", templates.count(), left=keyed,
                                        min=minimum, **templates.note_params(params)),
                           excluded=excluded)
    norm_codes = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)[0]
    if keyed < minimum <= keyed + int((machine & (norm_codes >= 0)).sum()):
        # too few only because the machines' alerts were left out
        return Measurement(unknown=note("only_machine", int(machine.sum()),
                                        n=int(has_summary.sum()), left=keyed, min=minimum),
                           excluded=excluded)
    if keyed < minimum <= keyed + int(((machine | vague) & (norm_codes >= 0)).sum()):
        # too few only because the vague summaries (and the alerts) were left out
        return Measurement(unknown=note("only_vague", int(vague.sum()),
                                        n=int(has_summary.sum()), machine=int(machine.sum()),
                                        left=keyed, min=minimum,
                                        max_words=vague_max_words(ctx)),
                           excluded=excluded)
    if keyed < minimum:  # summaries that are only ids, numbers, links or e-mail addresses
        return Measurement(unknown=note("no_words", n=int(has_summary.sum()), words=keyed,
                                        min=minimum))
    cl = codes[rows]
    opened = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")[rows]
    recurring_row = cluster_codes(cl, opened, int(params["cluster_size"]),
                                  pd.Timedelta(days=float(params["span_days"])))
    recurring = distinct_codes(cl[recurring_row])[0]
    merged = np.flatnonzero(found.wordings > 1)
    merged_rows = np.isin(cl, merged)
    # as the recurrence sign reads links: known when some incident names a problem (an
    # empty or absent problem column cannot show that nobody links), or an export that
    # writes its link columns whenever an incident has one shows that none does
    # by the incidents that existed at the window end, as the sign reads it (one reading:
    # :func:`problem_links`)
    links = problem_links(ctx, params.get("links_exported_by", ()))
    has_ref, by_header = links.has_ref, links.by_header
    named = bool(links.named.any())
    # the header's evidence is its file's: without an incident that names a problem, a
    # cluster is told linked or not only when each of its incidents comes from a file
    # that shows it (a Jira "current fields" file beside an all-fields one shows nothing)
    shows = not named and bool(links.shown.any())
    blind = (distinct_codes(cl[~by_header[rows]])[0] if shows  # clusters told nothing of
             else np.zeros(0, dtype=np.int64))
    linked_known = named or (shows and not np.isin(recurring, blind).any())
    linked = has_ref.to_numpy(dtype=bool)[rows]
    covered = (distinct_codes(cl[linked & np.isin(cl, recurring)])[0] if linked_known
               else np.zeros(0))
    exact = len(distinct_codes(
        ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)[0][rows])[0])
    n_clusters = len(distinct_codes(cl)[0])
    metrics: dict[str, Figure] = {
        "distinct_summaries": Figure(value=float(found.n_distinct)),
        "clusters": Figure(value=float(n_clusters), numerator=float(exact)),
        "merged_ticket_share": ratio(int(merged_rows.sum()), keyed,
                                     ctx.sample_rows(rows[merged_rows])),
        "recurring_clusters": Figure(value=float(len(recurring)),
                                     sample_ids=ctx.sample_rows(rows[recurring_row])),
    }
    notes: list[Note] = [note("key_used", similarity=float(params["similarity"]),
                              distinct=found.n_distinct, clusters=n_clusters,
                              exact=exact)]
    if found.common:
        notes.append(note("common_words", len(found.common), n=found.n_sets,
                          share=float(params["common_word_share"]),
                          words=common_listed(found.common)))
    if found.compared < found.n_distinct:
        notes.append(note("over_budget", n=found.n_distinct, pairs=found.candidates,
                          limit=int(params["max_candidate_pairs"]), compared=found.compared,
                          tickets=found.compared_tickets, all_tickets=keyed,
                          left=found.n_distinct - found.compared))
    if linked_known and len(recurring):
        metrics["covered_share"] = ratio(len(covered), len(recurring))
    elif not linked_known:
        notes.append(note("no_problem_links"))
    # the table: the largest clusters, with the wordings they hold (purity evidence)
    # "idr": each ticket's id rank, the tie-break that makes the table a function of the
    # tickets (not of the export's row order): its sample ids are each cluster's smallest
    frame = pd.DataFrame({"c": cl, "row": rows, "rec": recurring_row,
                          "link": linked if linked_known else np.zeros(len(rows), bool),
                          "at": opened, "idr": ctx.id_ranks[0][rows]}, copy=False)
    g = frame.groupby("c").agg(tickets=("row", "size"), first=("at", "min"),
                               last=("at", "max"), linked=("link", "sum"),
                               idr=("idr", "min"))
    g["wordings"] = found.wordings[g.index.to_numpy()]
    top = _largest(g, found.labels, int(params["top_clusters"]))
    shown = _samples(ctx, rows[np.isin(cl, top.index.to_numpy())],
                     cl[np.isin(cl, top.index.to_numpy())], int(params["sample_wordings"]))
    ids = frame[frame["c"].isin(top.index)].sort_values(["c", "idr"]).groupby("c").head(
        ctx.max_samples)
    ids_by = {int(c): ids_of(ctx, grp.to_numpy()) for c, grp in ids.groupby("c")["row"]}
    rec_set = set(recurring.tolist())
    blind_set = set(blind.tolist())
    table = [{
        "label": _shown_label(str(found.labels[c]), int(r["wordings"]),
                              shown.get(int(c), [])),
        "tickets": int(r["tickets"]),
        "wordings": int(r["wordings"]),
        "min_similarity": rounded(float(found.min_similarity[c]), 2),
        "recurring": int(c) in rec_set,
        "problem_linked": (int(r["linked"]) if linked_known and int(c) not in blind_set
                           else None),
        "first_seen": pd.Timestamp(r["first"]).date().isoformat(),
        "last_seen": pd.Timestamp(r["last"]).date().isoformat(),
        "summaries": shown.get(int(c), []),
        "sample_ids": ids_by.get(int(c), []),
    } for c, r in top.iterrows()]
    blank = scope & ~has_summary
    if blank.any():
        excluded.append(note("no_summary_value", int(blank.sum()), ctx.samples(blank)))
    return Measurement(metrics=metrics, tables={"clusters": table}, notes=notes,
                       excluded=excluded)
