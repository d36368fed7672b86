"""S2 ``recurrence``: the same incidents keep coming back without a problem record.

Groups the window's incidents by the most specific recurrence key the export fills,
finds recurring clusters (at least ``cluster_size`` with one key within any
``span_days``), and checks whether each cluster links to a problem record. A cancelled
incident (a duplicate of another, withdrawn) is no occurrence: left out, counted. Fewer than
``min_incidents`` keyed incidents in the window make the sign unknown. A summary that is
an intake template (:func:`summary_templates`) is no key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    Window,
    input_file,
    per_month,
    ratio,
)
from itsm_diag.signs.common import (
    _SUMMARY_KEY,
    SCHEME_MIN_SIDE,
    by_code_then,
    cancelled_done,
    distinct_codes,
    effort_words,
    filled,
    fold_codes,
    kind_minutes,
    machine_raised,
    normalise_summary,
    parent_rows,
    recurrence_key_codes,
    ref_rows,
    scheme_change,
    too_few,
    vague_max_words,
    wordless_left_out,
)
from itsm_diag.signs.shape import export_first_day
from itsm_diag.text import named_counts

#: key candidates, most specific first; the first whose fields are filled enough is used
KEY_CANDIDATES: tuple[tuple[str, ...], ...] = (
    (m.CI, m.CATEGORY),
    (m.SERVICE, m.CATEGORY),
    (m.CATEGORY, m.SUMMARY),
    (m.SUMMARY,),
)


def choose_key(incidents: pd.DataFrame, min_fill: float, ctx: Context | None = None
               ) -> tuple[str, ...] | None:
    """The first key candidate whose every field is filled on ``min_fill`` of incidents;
    subcategory joins category when it is filled that well too. With ``ctx`` (whose
    tickets hold ``incidents``), the fill tests run once per distinct value, cached."""
    n = len(incidents)
    if n == 0:
        return None

    # cut by position, found once for every column tested (the tickets' index is a
    # range): a label lookup of every incident cost more than the test itself
    at = None if ctx is None else ctx.tickets.index.get_indexer(incidents.index)

    def share(col: str) -> float:
        if ctx is not None:
            # both tests work value by value: the whole column's, cut to the incidents
            whole = (ctx.per_value(col, "recurrence.summary_filled",
                                   lambda s: normalise_summary(s).notna())
                     if col == m.SUMMARY else ctx.filled(col))
            return float(whole.to_numpy(dtype=bool)[at].sum()) / n
        ok = normalise_summary(incidents[col]).notna() if col == m.SUMMARY else filled(
            incidents[col]
        )
        return float(ok.sum()) / n

    with_sub = share(m.SUBCATEGORY) >= min_fill
    for candidate in KEY_CANDIDATES:
        if all(share(col) >= min_fill for col in candidate):
            if with_sub and m.CATEGORY in candidate:
                i = candidate.index(m.CATEGORY) + 1
                return (*candidate[:i], m.SUBCATEGORY, *candidate[i:])
            return candidate
    return None


@dataclass
class SourceKey:
    """One source's incidents in scope and the key chosen for them."""

    #: the source (``source_tool``) as the report names it
    name: str
    #: per ticket: an incident in scope of this source
    rows: np.ndarray
    incidents: int
    key: tuple[str, ...] | None
    #: its code among ``Context.source_codes`` (-1: none)
    code: int = -1


def source_keys(ctx: Context, scope: pd.Series, min_fill: float) -> list[SourceKey]:
    """The recurrence key of each source's incidents in ``scope`` (:func:`choose_key`
    over that source's incidents alone), sources in name order. A tool whose export has
    no subcategory keys its incidents on what it fills, not on what another tool fills;
    a run over one source chooses over the whole scope, as it always did."""
    in_scope = scope.to_numpy(dtype=bool)
    codes, names = ctx.source_codes
    present = np.flatnonzero(np.bincount(codes[in_scope], minlength=len(names)))
    if len(present) <= 1:
        name = str(names.iloc[present[0]]) if len(present) else ""
        # choose_key reads only the index and length of what it is given when given ctx
        return [SourceKey(name, in_scope, int(in_scope.sum()),
                          choose_key(ctx.tickets.loc[scope, []], min_fill, ctx),
                          int(present[0]) if len(present) else -1)]
    out = []
    for code in present:  # a few tools
        rows = in_scope & (codes == code)
        out.append(SourceKey(str(names.iloc[code]), rows, int(rows.sum()),
                             choose_key(ctx.tickets.loc[rows, []], min_fill, ctx), int(code)))
    return sorted(out, key=lambda s: s.name)


def _listed(sources: list[SourceKey]) -> str:
    """The sources and their incidents in scope, most first: "zendesk: 93; ..."."""
    ordered = sorted(sources, key=lambda s: (-s.incidents, s.name))
    return "; ".join(f"{s.name}: {s.incidents:,}" for s in ordered)


def _key_codes(ctx: Context, sources: list[SourceKey], usable: np.ndarray,
               summary: tuple[np.ndarray, Any] | None
               ) -> tuple[np.ndarray, Callable[[np.ndarray], list[str]]]:
    """The recurrence key as integer codes (-1 outside ``usable`` or blank) and the text
    of given rows' keys (:func:`recurrence_key_codes`), each source's incidents keyed on
    its own key (``sources``: the keyed ones). With several sources an incident recurs
    only with its own tool's incidents (its problem links name its own tool's problems),
    and the key text names the tool."""
    if len(sources) == 1:
        key = sources[0].key or ()
        all_codes, text = recurrence_key_codes(ctx, key, summary)
        return np.where(usable, all_codes, -1), text
    codes = np.full(len(ctx.tickets), -1, dtype=np.int64)
    parts: list[tuple[str, np.ndarray, Callable[[np.ndarray], list[str]]]] = []
    by_key: dict[tuple[str, ...], tuple[np.ndarray, Callable[[np.ndarray], list[str]]]] = {}
    offset = 0
    for source in sources:
        key = source.key or ()
        if key not in by_key:
            by_key[key] = recurrence_key_codes(ctx, key, summary)
        part, text = by_key[key]
        sel = source.rows & usable & (part >= 0)
        dense, uniques = pd.factorize(part[sel])  # this source's keys, 0..k-1
        codes[sel] = np.asarray(dense, dtype=np.int64) + offset
        offset += len(uniques)
        parts.append((source.name, sel, text))

    def key_text(rows: np.ndarray) -> list[str]:
        out = [""] * len(rows)
        for name, sel, text in parts:
            mine = np.flatnonzero(sel[rows])
            for i, words in zip(mine, text(rows[mine]), strict=True):
                out[i] = f"{name}: {words}"
        return out
    return codes, key_text


@dataclass
class Turnover:
    """A category scheme that turns over inside the window (:func:`scheme_turnover`)."""

    #: the incidents looked at (ticket rows) and, per one, its key across the change: the
    #: key's other part with its value, a begun value read as the ended one it shares the
    #: most of the other part with (equal codes, one cluster)
    rows: np.ndarray
    codes: np.ndarray
    params: dict[str, Any]


def scheme_turnover(ctx: Context, key: tuple[str, ...], sel: np.ndarray,
                    summary: tuple[np.ndarray, Any] | None) -> Turnover | None:
    """The category scheme turning over among the ``sel`` incidents (keyed on ``key``):
    :func:`~itsm_diag.signs.common.scheme_change` on the key's category/subcategory
    values by open time, the key's other part (the CI, service or summary cluster) the
    values the ended and the begun share. None when the key has no category or no other
    part, or no moment qualifies. Found, each begun value is read as the ended value that
    shares the most of the other part with it, so the key across the change is the other
    part with the old value (a value that does not turn over keeps its own)."""
    parts = tuple(c for c in key if c in (m.CATEGORY, m.SUBCATEGORY))
    other = tuple(c for c in key if c not in parts)
    rows = np.flatnonzero(sel)
    if not parts or not other or len(rows) < 2 * SCHEME_MIN_SIDE:
        return None
    # the value's code as the key joins its parts, numbered 0..k-1 over these rows
    # (keyed rows: no part is blank)
    value = np.asarray(pd.factorize(recurrence_key_codes(ctx, parts)[0][rows])[0],
                       dtype=np.int64)
    t = m.ts_us(ctx.tickets[m.OPENED_AT])[rows]

    def mine() -> np.ndarray:
        return np.asarray(pd.factorize(recurrence_key_codes(ctx, other, summary)[0][rows])[0],
                          dtype=np.int64)

    change = scheme_change(value, t, mine)
    if change is None:
        return None
    k = len(change.read_as)
    canon = change.read_as[value]
    codes = np.asarray(pd.factorize(change.other * k + canon)[0], dtype=np.int64)
    return Turnover(rows=rows, codes=codes,
                    params={**change.params(ctx.tz), "parts": "/".join(parts),
                            "other": " + ".join(other),
                            "incidents": int((canon != value).sum())})


def _across_turnover(ctx: Context, sources: list[SourceKey], codes: np.ndarray,
                     summary: tuple[np.ndarray, Any] | None
                     ) -> tuple[np.ndarray, list[Note]]:
    """The key codes with each source's turned-over category scheme
    (:func:`scheme_turnover`) read across the change: one CI's repeats under the old
    names and the new are one cluster, not two (nor two halves under ``cluster_size``),
    with a note in numbers. A cluster's key text is that of its first incident's own
    names. Unchanged when no source's scheme turns over (the common case: the
    per-value sums there cost little)."""
    found: list[tuple[SourceKey, Turnover]] = []
    for source in sources:
        if source.key is None:
            continue
        turn = scheme_turnover(ctx, source.key, source.rows & (codes >= 0), summary)
        if turn is not None:
            found.append((source, turn))
    if not found:
        return codes, []
    out = np.full(len(codes), -1, dtype=np.int64)
    keep = codes >= 0
    for _, turn in found:
        keep[turn.rows] = False
    dense, uniques = pd.factorize(codes[keep])
    out[keep] = np.asarray(dense, dtype=np.int64)
    offset = len(uniques)
    notes: list[Note] = []
    for source, turn in found:  # a source's own incidents recur only with its own
        out[turn.rows] = turn.codes + offset
        offset += int(turn.codes.max(initial=-1)) + 1
        params = dict(turn.params)
        if len(sources) > 1:
            params["source"] = source.name
        notes.append(Note(code="scheme_turnover" if len(sources) == 1
                          else "scheme_turnover_source", params=params))
    return out, notes


def cluster_members(key: pd.Series, at: pd.Series, min_n: int, span: pd.Timedelta) -> pd.Series:
    """Mask: the incident belongs to ``min_n`` or more with its key within ``span``
    (:func:`cluster_codes` on the keys' codes; a missing key is in no cluster)."""
    codes, _ = pd.factorize(key.array)
    codes = np.asarray(codes, dtype=np.int64)
    ok = codes >= 0
    member = np.zeros(len(key), dtype=bool)
    member[ok] = cluster_codes(codes[ok], at.to_numpy(dtype="datetime64[us]")[ok], min_n, span)
    return pd.Series(member, index=key.index)


def cluster_codes(codes: np.ndarray, at: np.ndarray, min_n: int, span: pd.Timedelta
                  ) -> np.ndarray:
    """Mask over rows: the row belongs to ``min_n`` or more rows with its key code
    within ``span`` of time.

    Sorted by key and time (stable: by time, then radix passes by key), row i closes a
    cluster when the row ``min_n - 1`` places earlier has the same key and lies within
    ``span``; that row and the ones between are members too.
    """
    n = len(codes)
    order = by_code_then(codes, at)
    c, a = codes[order], at[order]
    limit = np.timedelta64(int(span / pd.Timedelta(microseconds=1)), "us")
    k = max(1, min_n - 1)
    closes = np.zeros(n, dtype=bool)
    if min_n <= 1:
        closes[:] = ~np.isnat(a)
    elif n > k:
        closes[k:] = (c[k:] == c[:-k]) & (a[k:] - a[:-k] <= limit)
    member = closes.copy()
    for back in range(1, min_n):  # min_n - 1 shifts, not a loop over tickets
        if back < n:
            member[:-back] |= closes[back:] & (c[:-back] == c[back:])
    out = np.zeros(n, dtype=bool)
    out[order] = member
    return out


@dataclass(frozen=True)
class Episodes:
    """The occurrences a key's incidents make (:func:`episodes`): each incident is one,
    except a child incident, which is its parent's, and an incident opened within
    ``episode_hours`` of an occurrence's first incident on the same key, which is that
    one's."""

    #: per ticket: the key code of its occurrence (a child's is its parent's), -1 none
    codes: np.ndarray
    #: per ticket: the first incident of an occurrence (the one counted)
    head: np.ndarray
    #: per ticket: the row of its occurrence's first incident, -1 none
    rep: np.ndarray
    #: per ticket: a child folded into its parent (keyed, with a keyed parent)
    child: np.ndarray
    #: per ticket: opened within the hours of an earlier incident of its key
    burst: np.ndarray


def episodes(ctx: Context, codes: np.ndarray, opened: np.ndarray, hours: float
             ) -> Episodes:
    """The occurrences of the keyed incidents (``codes`` >= 0; ``opened`` as
    ``datetime64[us]``): a child incident (:func:`~itsm_diag.signs.common.parent_rows`: a
    major incident's child) takes its parent's key and time, one occurrence with it (a
    child whose parent has no key here, one outside the window's span, is in none); then
    each key's incidents are cut into occurrences of less than ``hours`` from their first
    incident, in time order (``hours`` 0: each incident is one). Sorted once by key and
    time; each pass moves every key's occurrence on at once, so the passes are the
    most occurrences one key has, not the incidents."""
    n = len(codes)
    parent = parent_rows(ctx)
    child = (parent >= 0) & (codes >= 0)
    child &= codes[np.maximum(parent, 0)] >= 0
    ep = np.where(parent >= 0, -1, codes)
    ep[child] = codes[parent[child]]
    rep = np.full(n, -1, dtype=np.int64)
    burst = np.zeros(n, dtype=bool)
    top = np.flatnonzero((parent < 0) & (codes >= 0))
    if len(top):
        order = top[by_code_then(codes[top], opened[top])]
        c = codes[order]
        sec = opened[order].astype("datetime64[s]").astype(np.int64)
        sec = sec - int(sec.min())
        limit = round(max(hours, 0.0) * 3600)
        head = np.zeros(len(order), dtype=bool)
        if limit <= 0:
            head[:] = True
        else:
            # one ordered number per (key, time): the first incident ``hours`` or more
            # after each one (a day later is another occurrence)
            width = int(sec.max()) + limit + 1
            flat = c.astype(np.int64) * width + sec
            after = np.searchsorted(flat, flat + limit, side="left")
            at = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])  # each key's first
            while len(at):  # one pass per occurrence of the key with the most
                head[at] = True
                nxt = after[at]
                on = nxt < len(order)
                at, nxt = at[on], nxt[on]
                at = nxt[c[nxt] == c[at]]  # the key's next occurrence starts there
        first = np.maximum.accumulate(np.where(head, np.arange(len(order)), 0))
        rep[order] = order[first]
        burst[order] = ~head
    rep[child] = rep[parent[child]]
    heads = np.zeros(n, dtype=bool)
    heads[top] = rep[top] == top
    return Episodes(codes=ep, head=heads, rep=rep, child=child, burst=burst)


#: one template wording as the notes list it, with its incidents: ``"no subject": 129``
TEMPLATE_ITEM = '"{text}": {n:,}'
#: a listed template wording (group 1) up to its count: a normalised wording holds no
#: ASCII punctuation, so never a quote, and a redacted report finds each one again
#: (:func:`itsm_diag.redact.redact_report` writes ``Template N`` in its place)
TEMPLATE_ITEM_RE = re.compile(r'"([^"]*)": (?=\d)')


@dataclass
class Templates:
    """Summary wordings that are intake templates (:func:`summary_templates`)."""

    #: per ticket: in scope, with a summary that is a template wording
    mask: np.ndarray
    #: incidents in scope with a summary (what the shares are of)
    n: int = 0
    #: the template wordings (people's names dropped) and their incidents, most first
    items: list[tuple[str, int]] = field(default_factory=list)
    #: per ticket: one of the ``also`` tickets of :func:`summary_templates` (beyond the
    #: scope the templates were told in) with a summary that is one of these wordings
    beyond: np.ndarray | None = None

    def count(self) -> int:
        return int(self.mask.sum())

    def note_params(self, params: Mapping[str, Any], shown: int = 5) -> dict[str, Any]:
        """The params a note naming them takes: the largest ``shown`` as "wording: n",
        and the bars a template passed (``params``: the rule's)."""
        listed = "; ".join(TEMPLATE_ITEM.format(text=text, n=n)
                           for text, n in self.items[:shown])
        return {"wordings": len(self.items), "templates": listed, "n": self.n,
                "share": self.count() / self.n if self.n else 0.0,
                "min_share": float(params["template_min_share"]),
                "min_incidents": int(params["template_min_incidents"]),
                "min_names": int(params["template_min_names"])}


def _effective(counts: np.ndarray) -> np.ndarray:
    """Per row of category counts, the effective number of categories: the inverse of the
    unbiased Simpson index (the chance two incidents drawn without replacement share a
    category). 1.0 for fewer than two incidents; inf when no two share one."""
    counts = np.atleast_2d(counts).astype("float64")
    total = counts.sum(axis=1)
    pairs = total * (total - 1.0)
    same = (counts * (counts - 1.0)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where(same > 0, pairs / np.where(same > 0, same, 1.0), np.inf)
    return np.where(total >= 2, eff, 1.0)


def summary_templates(ctx: Context, scope: np.ndarray, params: Mapping[str, Any],
                      also: np.ndarray | None = None) -> Templates:
    """The summary wordings of the ``scope`` tickets that are intake templates: a form's
    or a channel's fixed subject ("Incident created from inbound email", "(no
    subject)", "Conversation with <requester>"), not an issue that recurs.

    Wordings are compared without the people columns' names
    (:func:`itsm_diag.analyses.textclusters.unnamed_wordings`). A template is held by
    at least ``template_min_share`` of the scope's incidents with a summary and at least
    ``template_min_incidents`` of them, and either spreads over the categories as all of
    them do (its effective number of categories, :func:`_effective`, at least
    ``template_min_spread`` times theirs and at least ``template_min_categories``: an
    issue sits in one or two categories) or is the same words around
    ``template_min_names`` or more distinct names (most of its incidents naming one).
    Counted per unnamed wording over arrays; a few per export become text. ``also``:
    tickets beyond the scope whose summary is marked (``Templates.beyond``) when it is
    one of the template wordings the scope shows (they take no part in telling them).
    """
    from itsm_diag.analyses.textclusters import unnamed_wordings

    none = Templates(mask=np.zeros(len(scope), dtype=bool))
    if not params.get("templates", True):
        return none
    norm_codes = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)[0]
    rows = np.flatnonzero(scope & (norm_codes >= 0))
    none.n = n = len(rows)
    if not n:
        return none
    unit_of, texts, named_of = unnamed_wordings(ctx)
    wording = norm_codes[rows]
    unit = unit_of[wording]
    cnt = np.bincount(unit[unit >= 0], minlength=len(texts))
    frequent = np.flatnonzero((cnt >= max(int(params["template_min_incidents"]), 1))
                              & (cnt >= float(params["template_min_share"]) * n))
    if not len(frequent):
        return none
    pos = np.full(len(texts), -1, dtype=np.int64)
    pos[frequent] = np.arange(len(frequent))
    f = np.where(unit >= 0, pos[np.maximum(unit, 0)], -1)
    # spread: the categories of each frequent wording against those of all incidents
    cat = fold_codes(ctx, m.CATEGORY)[0][rows]
    k = int(cat.max(initial=-1)) + 1
    spread = np.zeros(len(frequent), dtype=bool)
    if k:
        has = cat >= 0
        sel = has & (f >= 0)
        per = np.bincount(f[sel] * k + cat[sel], minlength=len(frequent) * k)
        eff = _effective(per.reshape(len(frequent), k))
        eff_all = float(_effective(np.bincount(cat[has], minlength=k))[0])
        bar = max(float(params["template_min_spread"]) * eff_all,
                  float(params["template_min_categories"]))
        spread = eff >= bar
    # names: most of its incidents name a person, in many distinct wordings
    in_f = f >= 0
    sel = in_f & named_of[wording]
    named_n = np.bincount(f[sel], minlength=len(frequent))
    width = int(wording.max()) + 1
    pairs = distinct_codes(f[sel] * width + wording[sel])[0]  # (wording, its template)
    distinct_named = np.bincount(pairs // width, minlength=len(frequent))
    by_names = ((2 * named_n >= cnt[frequent])
                & (distinct_named >= int(params["template_min_names"])))
    found = frequent[spread | by_names]
    if not len(found):
        return none
    hit = np.zeros(len(texts), dtype=bool)
    hit[found] = True
    mask = np.zeros(len(scope), dtype=bool)
    mask[rows] = np.where(unit >= 0, hit[np.maximum(unit, 0)], False)
    beyond = None
    if also is not None:
        more = np.flatnonzero(also & (norm_codes >= 0))
        more_unit = unit_of[norm_codes[more]]
        beyond = np.zeros(len(scope), dtype=bool)
        beyond[more] = np.where(more_unit >= 0, hit[np.maximum(more_unit, 0)], False)
    order = found[np.lexsort((found, -cnt[found]))]
    return Templates(mask=mask, n=n, beyond=beyond,
                     items=[(str(texts[u]), int(cnt[u])) for u in order])  # a few


def _total(table: list[dict[str, Any]], clusters: float | None) -> dict[str, int]:
    """The cut the cluster table states: it lists the largest ``top_clusters`` of them."""
    if clusters is None or int(clusters) <= len(table):
        return {}
    return {"top_uncovered_clusters": int(clusters)}


def _top_clusters(ctx: Context, codes: np.ndarray, key_text: Callable[[np.ndarray], list[str]],
                  show: np.ndarray, top: int, links_known: bool, ep: Episodes | None = None
                  ) -> list[dict[str, Any]]:
    """Evidence: the largest clusters in ``show`` (key codes), by occurrences
    (:func:`episodes`; without ``ep`` each incident is one), then incidents, then latest
    incident; ties in the order of the key text, that of an occurrence's first incident
    (a child's own key may differ)."""
    t = ctx.tickets
    head = np.ones(len(codes), dtype=bool) if ep is None else ep.head
    rows = np.flatnonzero(np.isin(codes, show) & (codes >= 0))
    if not len(rows) or top < 1:
        return []
    # only the clusters whose size can reach the table: one with fewer occurrences than
    # the top-th largest cannot be shown, whatever its incidents, dates or key (the rest
    # keep their rows in order, so each cluster's figures are those over all its rows)
    found, sizes = distinct_codes(codes[rows[head[rows]]])
    if len(found) > top:
        bar = np.partition(sizes, len(sizes) - top)[len(sizes) - top]
        rows = rows[np.isin(codes[rows], found[sizes >= bar])]
    opened = t[m.OPENED_AT].iloc[rows]
    # resolved as the window end saw it: one resolved after it was still open then
    hours = ((ctx.done_by_end().iloc[rows] - opened) / pd.Timedelta(hours=1)).astype("float64")
    df = pd.DataFrame({"code": codes[rows], "row": np.where(head[rows], rows, np.nan),
                       "at": opened.array, "head": head[rows],
                       "hours": hours.where(hours >= 0).to_numpy()}, copy=False)
    g = df.groupby("code").agg(count=("at", "size"), first=("at", "min"), last=("at", "max"),
                               occurrences=("head", "sum"),
                               median_hours=("hours", "median"), row=("row", "first"))
    g["key"] = key_text(g["row"].to_numpy(dtype=np.int64))
    # the order a grouping by key text gives, then the same stable ranking
    g = g.sort_values("key").sort_values(["occurrences", "count", "last"],
                                         ascending=[False, False, False]).head(top)
    table: list[dict[str, Any]] = []
    for code, row in g.iterrows():  # at most ``top`` rows
        table.append({
            "key": str(row["key"]),
            "count": int(row["count"]),
            "occurrences": int(row["occurrences"]),
            "first_seen": pd.Timestamp(row["first"]).isoformat(),
            "last_seen": pd.Timestamp(row["last"]).isoformat(),
            "median_hours_to_resolve": None if pd.isna(row["median_hours"])
            else round(float(row["median_hours"]), 2),
            "covered": False if links_known else None,
            "sample_ids": ctx.samples(codes == code),
        })
    return table


def _one_cluster_moved(uncovered: float | None, judged: int) -> list[dict[str, float]]:
    """The uncovered clusters and their share with one cluster more or less, as one
    incident can move them: an incident more closes a new cluster (uncovered, or
    covered if it names a problem) or covers one by naming a problem; an incident less
    dissolves a cluster of the bare minimum (uncovered or covered)."""
    if uncovered is None or not judged:
        return []
    u, j = uncovered, float(judged)
    moves = [(u + 1, j + 1), (u, j + 1)]
    if u >= 1:
        moves.append((u - 1, j))  # covered by a problem link
        if j >= 2:
            moves.append((u - 1, j - 1))
    if j - u >= 1 and j >= 2:
        moves.append((u, j - 1))
    return [{"uncovered_clusters": a, "uncovered_share": a / b} for a, b in moves]


def _no_key(ctx: Context, scope: pd.Series, min_fill: float) -> Note:
    """The unknown note for want of a key, with what the export does hold: how well each
    key field is filled and how many incidents carry a problem link."""
    n = max(int(scope.sum()), 1)

    def share(col: str) -> float:
        return float((ctx.filled(col) & scope).sum()) / n

    # every count of the window's incidents (``scope``), the problem links too
    return Note(code="no_key", params={
        "min_fill": min_fill, "n": int(scope.sum()), "ci": share(m.CI),
        "service": share(m.SERVICE), "category": share(m.CATEGORY),
        "summary": share(m.SUMMARY),
        "linked": int((ctx.filled(m.PROBLEM_REF) & scope).sum())})


@dataclass(frozen=True)
class HeaderFiles:
    """The input files whose header shows that no incident of theirs names a problem
    (:func:`header_files`), as a table over the tickets' (tool, file) codes."""

    #: per (tool code, file code): every input of that tool and file name read
    #: ``problem_ref`` from its header
    shows: np.ndarray
    #: per (tool code, file code): some ticket came from it
    held: np.ndarray
    tool_codes: np.ndarray
    file_codes: np.ndarray
    files: pd.Series


def header_files(ctx: Context, tools: Sequence[str]) -> HeaderFiles | None:
    """The (tool, file) pairs among ``tools`` whose inputs read ``problem_ref`` from
    their header (see :func:`links_in_header`), by the tickets' codes of ``source_tool``
    and ``source_file``; None when no input is of one of ``tools`` (no pass over the
    tickets). A file name two inputs of one tool share (two folders, two sheets) shows it
    only when every one of them does: its tickets' input is not known. Cached."""
    read = ctx.read_fields
    if isinstance(read, frozenset):  # one input of no known tool
        return None
    wanted = set(tools)
    if not any(tool in wanted for tool, _, _ in read):
        return None

    def make() -> HeaderFiles:
        t = ctx.tickets
        tool_codes, tool_names = ctx.source_codes
        if m.SOURCE_FILE in t.columns:
            file_codes, files = ctx.distinct(m.SOURCE_FILE)
        else:  # no file known: each tool's inputs are one
            file_codes, files = np.zeros(len(t), dtype=np.intp), pd.Series([pd.NA])
        # per (tool, file name): whether each of its inputs read problem_ref from a column
        by_pair: dict[tuple[str, str | None], bool] = {}
        for tool, path, fields in read:  # a few inputs
            key = (tool, input_file(path) if m.SOURCE_FILE in t.columns else None)
            by_pair[key] = by_pair.get(key, True) and tool in wanted and (
                m.PROBLEM_REF in fields)
        shows = np.zeros((len(tool_names), len(files)), dtype=bool)
        for i, tool in enumerate(tool_names):
            for j, file in enumerate(files):
                of: str | None = (None if pd.isna(file) or m.SOURCE_FILE not in t.columns
                                  else str(file))
                shows[i, j] = pd.notna(tool) and by_pair.get((str(tool), of), False)
        held = np.zeros_like(shows)
        if shows.any():  # which pairs hold tickets: one grouping of the codes
            pair = tool_codes.astype(np.int64) * len(files) + file_codes
            held = (np.bincount(pair, minlength=shows.size) > 0).reshape(shows.shape)
        return HeaderFiles(shows, held, tool_codes, file_codes, files)
    result: HeaderFiles = ctx.memo(("recurrence.header_files", tuple(sorted(wanted))), make)
    return result


def links_in_header(ctx: Context, tools: Sequence[str]) -> tuple[np.ndarray, set[str]]:
    """(per ticket: its source file is one of a tool among ``tools`` whose input read
    ``problem_ref`` from its header; the tools among ``tools`` that some input is of).

    ``tools`` (the ``links_exported_by`` param) are those whose export writes its problem
    link columns whenever some exported incident has such a link, and whose reader names
    ``problem_ref`` in its column map only when the file writes its link columns (a Jira
    "CSV (all fields)" file with issue-link columns): no incident of that file naming a
    problem then shows that none does. The evidence is the file's, not its tool's: a
    "CSV (current fields)" file of the same tool writes no link column and shows
    nothing. Any other tool's header proves nothing (a list column of a field the team
    may fill elsewhere)."""
    read = ctx.read_fields
    none = np.zeros(len(ctx.tickets), dtype=bool)
    if isinstance(read, frozenset):  # one input of no known tool
        return none, set()
    wanted = set(tools)
    present = {tool for tool, _, _ in read if tool in wanted}
    found = header_files(ctx, tools)
    if found is None or not found.shows.any():
        return none, present
    out: np.ndarray = ctx.memo(
        ("recurrence.links_in_header", tuple(sorted(wanted))),
        lambda: found.shows[found.tool_codes, found.file_codes])
    return out, present


@dataclass(frozen=True)
class ProblemLinks:
    """What the export shows of the incidents' problem links as of the window end
    (:func:`problem_links`): the recurrence sign and the text-clusters analysis read
    them alike."""

    #: per ticket: it names a problem that stood at the window end: ``problem_ref``
    #: filled, and, when the id is a problem record of the export (of the same tool),
    #: that record is one :func:`problems_by_end` counts (opened by the window end and
    #: not cancelled by it). A link to a problem outside the export counts as it is (the
    #: problem table is often exported by date)
    has_ref: pd.Series
    #: per ticket: its file's header shows its links (:func:`links_in_header`), and the
    #: tools of the ``links_exported_by`` list among the inputs
    by_header: np.ndarray
    header_tools: set[str]
    #: the incidents that existed at the window end (:meth:`Context.opened_by_end`) and
    #: name a problem that existed then (cancelled or not): next month's links (an export
    #: pulled weeks later) say nothing of how the desk linked as of the window end
    named: pd.Series
    #: of those incidents, the ones that show their links: they name a problem, or their
    #: file's header shows that they name none
    shown: pd.Series
    #: per ticket: it names a problem record of the export opened after the window end
    #: (a link not counted)
    later: np.ndarray
    #: per ticket: it names a problem record of the export cancelled by the window end
    #: (no root-cause work: a link not counted)
    cancelled: np.ndarray
    #: per ticket: it names a problem that is no ticket of the export (a link counted)
    outside: np.ndarray
    #: per ticket: the row of the problem record of the export it names, -1 none
    problem_row: np.ndarray


def problem_links(ctx: Context, tools: Sequence[str]) -> ProblemLinks:
    """The incidents' problem links as the window end saw them (:class:`ProblemLinks`),
    computed once per Context and ``tools`` (the ``links_exported_by`` param)."""
    def make() -> ProblemLinks:
        filled_ref = ctx.filled(m.PROBLEM_REF)
        ref = filled_ref.to_numpy(dtype=bool)
        linked = np.flatnonzero(ref)
        # the problem record of the export each link names (the few linked rows)
        row = np.full(len(ref), -1, dtype=np.int64)
        row[linked] = ref_rows(ctx, m.PROBLEM_REF, linked,
                               ctx.of_kind("problem").to_numpy(dtype=bool))
        found = row >= 0
        # the problem rows the links found (a few): opened after the window end, or
        # opened by it yet no problem then (one rule for what a problem record is at the
        # window end: the one count of them)
        at = row[found]
        opened = ctx.opened_by_end().to_numpy(dtype=bool)[at]
        stood = problems_by_end(ctx).to_numpy(dtype=bool)[at]
        later = np.zeros(len(ref), dtype=bool)
        later[found] = ~opened
        cancelled = np.zeros(len(ref), dtype=bool)
        cancelled[found] = opened & ~stood
        has_ref = pd.Series(ref & ~later & ~cancelled, index=filled_ref.index)
        by_header, header_tools = links_in_header(ctx, tools)
        existed = ctx.of_kind("incident") & ctx.opened_by_end()
        named = existed & pd.Series(ref & ~later, index=filled_ref.index)
        shown = named | (existed & by_header) if by_header.any() else named
        return ProblemLinks(has_ref=has_ref, by_header=by_header, header_tools=header_tools,
                            named=named, shown=shown, later=later, cancelled=cancelled,
                            outside=ref & ~found, problem_row=row)
    result: ProblemLinks = ctx.memo(("recurrence.problem_links", tuple(tools)), make)
    return result


def problems_by_end(ctx: Context) -> pd.Series:
    """The problem records that stood at the window end: opened by it, and not cancelled
    by it (:meth:`Context.cancelled_by_end`: closed as not a problem, a duplicate or
    withdrawn, no root-cause work). The one count of problems a report gives (a problem
    opened after it is next month's), and the one test of a link to a problem record of
    the export (:func:`problem_links`)."""
    return ctx.of_kind("problem") & ctx.opened_by_end() & ~ctx.cancelled_by_end()


def _distinct_named(ctx: Context, rows: pd.Series) -> int:
    """The distinct problem ids the ``rows`` tickets name (a few linked rows)."""
    refs = ctx.tickets.loc[rows.to_numpy(dtype=bool), m.PROBLEM_REF]
    return int(refs.astype(m.STRING_DTYPE).str.strip().nunique())


def _link_notes(ctx: Context, links: ProblemLinks, scope: pd.Series, codes: np.ndarray,
                uncovered_keys: np.ndarray, problem_kind: pd.Series) -> list[Note]:
    """The notes on the window's links to problem records of the export that covered no
    cluster: those opened after the window end (``problem_links_later``) and the
    cancelled problems (``problem_links_cancelled``, said whenever a problem record that
    would have counted was cancelled by the window end: ``problem_kind``, the problems
    not done before the window's start), each with the incidents, the problems and the
    recurring clusters counted without a problem record for it, and the links to
    problems outside the export, which count."""
    win = scope.to_numpy(dtype=bool)
    keyed = codes >= 0
    rows = links.problem_row
    out: list[Note] = []

    def said(mask: np.ndarray) -> dict[str, Any]:
        return {"problems": len(distinct_codes(rows[mask & win])[0]),
                "clusters": len(np.intersect1d(codes[mask & keyed], uncovered_keys))}

    later = links.later & win
    if later.any():
        out.append(Note(code="problem_links_later", count=int(later.sum()), params={
            **said(links.later), "end": f"{m.local_day(ctx.window.end, ctx.tz):%Y-%m-%d}",
            "outside": int((links.outside & win).sum())},
            sample_ids=ctx.samples(pd.Series(later, index=scope.index))))
    dropped = (problem_kind & ctx.opened_by_end() & ctx.cancelled_by_end()).to_numpy(dtype=bool)
    cancelled = links.cancelled & win
    if dropped.any() or cancelled.any():
        out.append(Note(code="problem_links_cancelled", count=int(dropped.sum()), params={
            "clusters": said(links.cancelled)["clusters"], "incidents": int(cancelled.sum())},
            sample_ids=ctx.samples(pd.Series(dropped, index=scope.index))))
    return out


def _judged(codes: np.ndarray, in_cluster: np.ndarray, with_links: np.ndarray,
            cluster_keys: np.ndarray) -> np.ndarray:
    """The cluster keys every incident of which ``with_links`` holds: a cluster with an
    incident whose file cannot show a problem link cannot be told uncovered (a tool's
    files may differ: one exported with its link columns, one without)."""
    return np.setdiff1d(cluster_keys, distinct_codes(codes[in_cluster & ~with_links])[0])


#: how many files a links note names (most incidents first, the rest counted)
FILES_NAMED = 3


def _left_out_notes(ctx: Context, keyed: pd.Series, in_cluster: np.ndarray,
                    codes: np.ndarray, unjudged_keys: np.ndarray, shown: pd.Series,
                    with_links: np.ndarray | None, tools: Sequence[str]) -> list[Note]:
    """The notes on the keyed incidents whose clusters cannot be told uncovered: those of
    the tools whose export names no problem on any incident (``links_sources``, by tool)
    and, with ``with_links`` (some file's header shows its links), those of the files of
    a tool of the list that cannot show theirs (``links_files``, by file). Each counts
    the clusters with an incident of its own."""
    rows = keyed.to_numpy(dtype=bool)
    out: list[Note] = []
    unlinked = ctx.by_source(keyed, "recurrence.problem_links", lambda: shown)
    tool_shows = ctx.source_holds("recurrence.problem_links", lambda: shown)
    if unlinked.left_out:
        left = rows & ~tool_shows
        out.append(unlinked.note("links_sources", clusters=len(
            distinct_codes(codes[in_cluster & left])[0])))
    found = header_files(ctx, tools) if with_links is not None else None
    if found is not None and with_links is not None:
        left = rows & tool_shows & ~with_links
        if left.any():
            _, tool_names = ctx.source_codes
            per = np.bincount(found.file_codes[left], minlength=len(found.files))
            by_file = pd.Series({str(found.files.iloc[f]): int(per[f])
                                 for f in np.flatnonzero(per)})  # a few files
            held = np.flatnonzero(np.bincount(found.tool_codes[left],
                                              minlength=len(tool_names)))
            out.append(Note(code="links_files", count=int(left.sum()), params={
                "clusters": len(distinct_codes(codes[in_cluster & left])[0]),
                "files": named_counts(by_file, FILES_NAMED), "n_files": len(by_file),
                "tools": ", ".join(sorted(str(tool_names.iloc[c]) for c in held))}))
    if not out:  # (an unjudged cluster has an incident of one of them)
        out.append(unlinked.note("links_sources", clusters=len(unjudged_keys)))
    return out


def _by_header_note(ctx: Context, unnamed: np.ndarray, in_cluster: np.ndarray,
                    codes: np.ndarray, judged_keys: np.ndarray, keyed: pd.Series,
                    tools: Sequence[str], problem: pd.Series) -> Note | None:
    """The note on the clusters counted without a problem record because their files'
    header shows that none of their incidents names one (``unnamed``: such incidents of
    a tool none of whose incidents names a problem): ``links_by_header`` when every file
    of those tools shows it, else ``links_by_header_files``, naming the files that do.
    Its problem records are those of the tools it names, among ``problem``
    (:func:`problems_by_end`). None when no judged cluster holds such an incident."""
    at = np.flatnonzero(unnamed & in_cluster)
    at = at[np.isin(codes[at], judged_keys)]
    found = header_files(ctx, tools)
    if not len(at) or found is None:
        return None
    _, tool_names = ctx.source_codes
    held_tools = np.flatnonzero(np.bincount(found.tool_codes[at], minlength=len(tool_names)))
    named = ", ".join(sorted(str(tool_names.iloc[c]) for c in held_tools))
    problems = int((problem.to_numpy(dtype=bool)
                    & np.isin(found.tool_codes, held_tools)).sum())
    shows, held = found.shows[held_tools], found.held[held_tools]
    if not (held & ~shows).any():
        return Note(code="links_by_header", params={"tools": named, "problems": problems})
    # the files that show it, with their keyed incidents in the window
    mine = keyed.to_numpy(dtype=bool) & unnamed
    per = np.bincount(found.file_codes[mine], minlength=len(found.files))
    files = np.flatnonzero((shows & held).any(axis=0))
    by_file = pd.Series({str(found.files.iloc[f]): int(per[f]) for f in files})
    return Note(code="links_by_header_files", params={
        "tools": named, "problems": problems, "shown": len(files),
        "files": int(held.any(axis=0).sum()), "names": named_counts(by_file, FILES_NAMED)})


def _folded_notes(ctx: Context, ep: Episodes, own_codes: np.ndarray, opened: np.ndarray,
                  win: np.ndarray, cluster_keys: np.ndarray, size: int, span: pd.Timedelta,
                  hours: float) -> list[Note]:
    """The notes on what :func:`episodes` counted as one occurrence among the window's
    keyed incidents: child incidents folded into their parents (``children_folded``),
    incidents that name a parent not in the export (``parent_not_found``: each its own),
    a key's incidents within ``hours`` of its first (``burst_folded``), and the keys that
    would be recurring clusters were every incident an occurrence (``folded_clusters``,
    with those whose incidents all lie within one day). Empty when nothing folds."""
    t = ctx.tickets
    notes: list[Note] = []
    keyed = (own_codes >= 0) & win
    child = ep.child & win
    if child.any():
        notes.append(Note(code="children_folded", count=int(child.sum()), params={
            "parents": len(distinct_codes(ep.rep[child])[0])},
            sample_ids=ctx.samples(pd.Series(child, index=t.index))))
    if m.PARENT_REF in t.columns:
        lost = keyed & ctx.filled(m.PARENT_REF).to_numpy(dtype=bool) & (parent_rows(ctx) < 0)
        if lost.any():
            notes.append(Note(code="parent_not_found", count=int(lost.sum()),
                              sample_ids=ctx.samples(pd.Series(lost, index=t.index))))
    burst = ep.burst & win
    if burst.any():
        notes.append(Note(code="burst_folded", count=int(burst.sum()), params={
            "hours": hours, "occurrences": int((ep.head & win).sum()),
            "incidents": int(keyed.sum())},
            sample_ids=ctx.samples(pd.Series(burst, index=t.index))))
    if not (child.any() or burst.any()):
        return notes
    # the clusters every incident counted as an occurrence would make
    codes = ep.codes
    rows = np.flatnonzero(codes >= 0)
    every = np.zeros(len(codes), dtype=bool)
    every[rows] = cluster_codes(codes[rows], opened[rows], size, span)
    gone = np.setdiff1d(distinct_codes(codes[every & win])[0], cluster_keys)
    if len(gone):
        at = rows[np.isin(codes[rows], gone)]
        frame = pd.DataFrame({"c": codes[at], "t": opened[at]})
        width = frame.groupby("c")["t"].agg(["min", "max"])
        one_day = int(((width["max"] - width["min"]) <= pd.Timedelta(days=1)).sum())
        notes.append(Note(code="folded_clusters", params={
            "clusters": len(gone), "one_day": one_day, "size": size,
            "span": span / pd.Timedelta(days=1)}))
    return notes


@dataclass(frozen=True)
class SpanReach:
    """How a window shorter than the span a cluster is counted over (``span_days``) is
    read (:func:`span_reach`)."""

    #: per ticket: an incident opened before the window, inside the span up to its end
    #: (and inside the export): counted with the window's incidents of its key
    earlier: np.ndarray
    #: the note's params saying so (None: the window holds the span)
    params: dict[str, Any] | None = None
    #: the export does not reach back the span: a clear cannot stand
    short: bool = False


def span_reach(ctx: Context, incident: pd.Series, span_days: float) -> SpanReach:
    """A recurring cluster is three incidents within any ``span_days``: a window shorter
    than that cannot hold one that recurs once a month. Then each key's incidents are
    counted over the span that ends at the end of the window's data
    (``Window.covered_end``), as far back as the export reaches
    (:func:`~itsm_diag.signs.shape.export_first_day`): the incidents opened in that span
    before the window join the window's (``earlier``). A window whose data holds the span
    (the default 13 weeks: 91 days) is read as before, alone. ``short`` when the window
    itself is shorter than the span (``--since``) and the export does not reach back the
    whole span: a window of the default weeks over a shorter export is read as it
    always was."""
    w = ctx.window
    none = np.zeros(len(ctx.tickets), dtype=bool)
    end = w.covered_end
    reach_start = end - pd.Timedelta(days=span_days)
    if w.covered_start <= reach_start:
        return SpanReach(earlier=none)
    first = export_first_day(ctx.tickets, ctx.shape, ctx.tz)
    start = reach_start if first is None else max(reach_start, first)
    earlier = none
    if start < w.start:
        before = Window(start=start, end=w.start - pd.Timedelta(microseconds=1))
        earlier = (incident & before.contains(ctx.tickets[m.OPENED_AT])).to_numpy(dtype=bool)
    start = min(start, w.covered_start)

    def day(at: pd.Timestamp) -> str:
        return f"{m.local_day(at, ctx.tz):%Y-%m-%d}"

    said = {"window_days": w.covered_days, "span": float(span_days),
            "days": float((end - start) / pd.Timedelta(days=1)),
            "from": day(start), "to": day(end), "window_from": day(w.covered_start)}
    return SpanReach(earlier=earlier, params=said,
                     short=start > reach_start and w.days < span_days)


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    w = ctx.window
    incident = ctx.of_kind("incident")
    no_open = incident & t[m.OPENED_AT].isna()
    # a cancelled incident (closed as a duplicate of another, withdrawn) is no occurrence:
    # a second report of one outage 20 minutes after the first made the third incident of
    # a "cluster" (144 duplicates turned 7 recurring clusters into 13, 2 uncovered into 8)
    cancelled = incident & cancelled_done(ctx)
    counted = incident & ~cancelled
    scope = counted & ctx.opened_in_window()
    excluded: list[Note] = []
    if no_open.any():
        excluded.append(Note(code="no_open_times", count=int(no_open.sum()),
                             sample_ids=ctx.samples(no_open)))
    dropped = cancelled & ctx.opened_in_window()
    if dropped.any():
        excluded.append(Note(code="cancelled", count=int(dropped.sum()),
                             sample_ids=ctx.samples(dropped)))
    if not scope.any():
        # incidents that all lack an opened time cannot be placed in the window
        code = "no_open_times" if incident.any() and not (incident & ~no_open).any() \
            else "no_incidents"
        return Measurement(unknown=Note(code=code, count=int(no_open.sum())), excluded=excluded)

    min_fill = float(params["key_min_fill"])
    # a window shorter than the span a cluster is counted over: the span up to its end
    reach = span_reach(ctx, counted, float(params["span_days"]))
    win = scope.to_numpy(dtype=bool)  # the window's incidents
    # each tool's export fills its own fields: the key is chosen per source, and a source
    # that fills none is left out (a tool without subcategories does not drop out of a
    # key another tool fills)
    sources = source_keys(ctx, scope, min_fill)
    keyed_sources = [s for s in sources if s.key is not None]
    if not keyed_sources:
        return Measurement(unknown=_no_key(ctx, scope, min_fill), excluded=excluded)
    unkeyed = [s for s in sources if s.key is None]
    # the incidents of a tool that fills no key are never grouped: when they are most of
    # the window's, a clear from the others says nothing of the desk (a trigger stands)
    unkeyed_most = None
    if unkeyed:
        left = sum(s.incidents for s in unkeyed)
        excluded.append(Note(code="key_sources", count=left,
                             params={"sources": _listed(unkeyed), "min_fill": min_fill}))
        total = left + sum(s.incidents for s in keyed_sources)
        if left > (1.0 - float(params["min_keyed_share"])) * total:
            unkeyed_most = Note(code="key_sources_most", count=left, params={
                "sources": _listed(unkeyed), "n": total, "share": left / total,
                "keyed": total - left, "min": float(params["min_keyed_share"]),
                "min_fill": min_fill})
    every_key = [s.key for s in keyed_sources if s.key is not None]
    with_summary = any(m.SUMMARY in k for k in every_key)
    if len(keyed_sources) == 1:
        key_name = " + ".join(every_key[0])
        notes = [Note(code="key_used", params={"key": key_name})]
    else:
        key_name = "; ".join(f"{s.name}: {' + '.join(s.key or ())}" for s in keyed_sources)
        notes = [Note(code="keys_by_source", params={"keys": "; ".join(
            f"{s.name}: {' + '.join(s.key or ())} ({s.incidents:,})" for s in keyed_sources)})]
    if reach.earlier.any():
        # the incidents of the span before the window, each of its own tool's key
        tool_codes = ctx.source_codes[0]
        keyed_sources = [replace(s, rows=s.rows | (reach.earlier & (tool_codes == s.code)))
                         for s in keyed_sources]
    # the incidents of the keyed sources (with those of the span before a short window;
    # every note counts the window's)
    in_scope = np.zeros(len(t), dtype=bool)
    for source in keyed_sources:
        in_scope |= source.rows
    # a form's or channel's fixed subject is no issue: its incidents cannot be keyed on
    # their summary, and when too few are left the summary is no key at all
    templates = Templates(mask=np.zeros(len(t), dtype=bool))
    summary_scope = np.zeros(len(t), dtype=bool)  # the incidents keyed on their summary
    for source in keyed_sources:
        if source.key is not None and m.SUMMARY in source.key:
            summary_scope |= source.rows
    text_params = ctx.analyses.get("text-clusters")
    if with_summary and text_params:
        # an alert a machine raised is keyed on what a machine wrote ("CPU load above 95%
        # on srv-app-07", its host dropped with the digits): no issue users report, and
        # not one a known-error article resolves at first contact. A CI key keeps it.
        machine = summary_scope & machine_raised(ctx)
        if (machine & win).any():
            excluded.append(Note(code="machine_summaries", count=int((machine & win).sum()),
                                 sample_ids=ctx.samples(pd.Series(machine & win,
                                                                  index=t.index))))
        summary_scope &= ~machine
        in_scope &= ~machine
    n_scope = int((summary_scope & win).sum())
    # a summary that says nothing ("urgent", "not working", "help!") is no issue that
    # recurs: the vague-tickets check's own test (its max_words) leaves it out of the key
    vague = np.zeros(len(t), dtype=bool)
    max_words = vague_max_words(ctx)
    if with_summary:
        everywhere = summary_scope & wordless_left_out(ctx, params)
        summary_scope &= ~everywhere
        in_scope &= ~everywhere
        vague = everywhere & win
        if vague.any():
            excluded.append(Note(code="vague_summaries", count=int(vague.sum()), params={
                "max_words": max_words},
                sample_ids=ctx.samples(pd.Series(vague, index=t.index))))
    if with_summary:
        # told among the window's incidents; the span's before it with the same wordings
        templates = summary_templates(ctx, summary_scope & win, params,
                                      also=summary_scope & ~win if reach.earlier.any()
                                      else None)
    if templates.count():
        excluded.append(Note(code="template_summaries", count=templates.count(),
                             params=templates.note_params(params),
                             sample_ids=ctx.samples(pd.Series(templates.mask, index=t.index))))
    if templates.count() and not vague.any():
        left = templates.n - templates.count()
        if left < min_fill * n_scope:
            return Measurement(unknown=Note(code="template_key", count=templates.count(), params={
                **templates.note_params(params), "incidents": n_scope, "left": left,
                "left_share": left / n_scope, "min_fill": min_fill}),
                excluded=excluded, notes=notes)
    elif vague.any():
        # the summaries left to key on: neither vague nor a template
        norm_codes = ctx.value_table(m.SUMMARY, _SUMMARY_KEY, normalise_summary)[0]
        left = int((summary_scope & win & (norm_codes >= 0) & ~templates.mask).sum())
        if left < min_fill * n_scope:
            return Measurement(unknown=Note(code="vague_key", count=int(vague.sum()), params={
                "templates": templates.count(), "incidents": n_scope, "left": left,
                "left_share": left / n_scope, "min_fill": min_fill,
                "max_words": max_words}), excluded=excluded, notes=notes)
    # a summary part groups wordings of one issue together (the text clusters), where on
    summary_table = None
    if with_summary and params.get("text_clusters", True) and text_params:
        from itsm_diag.analyses.textclusters import clusters_of, key_table

        summary_table = key_table(ctx, text_params)
        found = clusters_of(ctx, text_params)
        notes.append(Note(code="text_clusters", params={
            "similarity": float(text_params["similarity"]), "distinct": found.n_distinct,
            "clusters": len(distinct_codes(found.codes[found.codes >= 0])[0])}))
        if found.compared < found.n_distinct:  # the clustering's work was bounded
            notes.append(Note(code="text_clusters_bounded", params={
                "distinct": found.n_distinct, "compared": found.compared,
                "limit": int(text_params["max_candidate_pairs"])}))
    # the key as integer codes (equal codes, equal key text): -1 outside scope or blank
    no_template = ~templates.mask if templates.beyond is None else ~(
        templates.mask | templates.beyond)
    codes, key_text = _key_codes(ctx, keyed_sources, in_scope & no_template, summary_table)
    # a category scheme replaced inside the window would count one CI's repeats twice
    # (old names, new names), or split them into halves too small to recur
    codes, turned = _across_turnover(ctx, keyed_sources, codes, summary_table)
    notes.extend(turned)
    keyed = pd.Series((codes >= 0) & win, index=t.index)  # the window's
    no_key = pd.Series(in_scope & win, index=t.index) & ~keyed & ~templates.mask
    if no_key.any():
        excluded.append(Note(code="no_key_value" if len(keyed_sources) == 1
                             else "no_key_value_sources", count=int(no_key.sum()),
                             params={"key": key_name}, sample_ids=ctx.samples(no_key)))
    if not keyed.any():
        return Measurement(unknown=_no_key(ctx, scope, min_fill), excluded=excluded,
                           notes=notes)
    # "no recurring clusters" in five incidents says nothing about problem management
    short = too_few(int(keyed.sum()), int(params["min_incidents"]), key=key_name)
    if short is not None:
        return Measurement(unknown=short, excluded=excluded, notes=notes)

    opened = t[m.OPENED_AT].to_numpy(dtype="datetime64[us]")
    size, span = int(params["cluster_size"]), pd.Timedelta(days=float(params["span_days"]))
    # what recurs is an occurrence, not a report of one: a major incident's child
    # incidents are its one outage (the parent's key and time), and a key's incidents
    # within episode_hours of the first are one occurrence (an outage many called in
    # about, a ticket raised twice). From here on a child carries its parent's key
    ep = episodes(ctx, codes, opened, float(params.get("episode_hours", 0.0)))
    own_codes, codes = codes, ep.codes
    heads = np.flatnonzero(ep.head)
    in_cluster = np.zeros(len(t), dtype=bool)
    in_cluster[heads] = cluster_codes(codes[heads], opened[heads], size, span)
    # every incident of an occurrence in a cluster is in it
    has_rep = ep.rep >= 0
    in_cluster[has_rep] = in_cluster[ep.rep[has_rep]]
    # a cluster recurs in the window: it holds one of the window's occurrences (those of
    # the span before a short window count only with them)
    cluster_keys = distinct_codes(codes[in_cluster & win & ep.head])[0]
    notes.extend(_folded_notes(ctx, ep, own_codes, opened, win, cluster_keys, size, span,
                               float(params.get("episode_hours", 0.0))))
    if reach.earlier.any() and reach.params is not None:
        in_cluster &= np.isin(codes, cluster_keys)
        earlier_keyed = (codes >= 0) & ~win
        notes.append(Note(code="span_before_window", params={
            **reach.params, "earlier": int(earlier_keyed.sum()),
            "clusters": len(distinct_codes(codes[in_cluster & ~win])[0])}))
    # the clusters' incidents (the span's before a short window too), and the window's
    member = pd.Series(in_cluster, index=t.index)
    member_here = member & win
    # a cluster is covered when any of its incidents in the window names a problem. Only
    # an export in which some incident names one can show that the others do not: a list
    # exported without the problem field, a format that has no such field or writes link
    # columns only when links exist, all look like "nobody links" (missing data, not
    # missing problem management)
    # a file whose export writes its link columns whenever an incident has a problem link
    # (a Jira all-fields file with issue-link columns) shows, without any, that none of
    # its incidents names one; another file of the tool without them shows nothing.
    # Read by the incidents that existed at the window end (:func:`problem_links`)
    listed = params.get("links_exported_by", ())
    links = problem_links(ctx, listed)
    has_ref, by_header, header_tools = links.has_ref, links.by_header, links.header_tools
    any_header = bool(by_header.any())
    shown = links.shown
    links_known = bool(shown.any())
    # per source, as the key: a cluster of a tool whose export names no problem on any
    # incident (Freshservice's UI export has no problem field) cannot be told uncovered,
    # whatever another tool's incidents name, nor can one with an incident of a file that
    # cannot show its links (a tool of the list whose incidents name none); such clusters
    # are left out of the coverage
    named = ctx.source_holds("recurrence.problem_named", lambda: links.named)
    with_links = named | by_header if any_header else named
    # a cluster is covered when any of its incidents counted names a problem
    linked = pd.Series(codes >= 0, index=t.index) & has_ref
    judged_keys = _judged(codes, in_cluster, with_links, cluster_keys)
    unjudged_keys = np.setdiff1d(cluster_keys, judged_keys)
    covered_keys = np.intersect1d(codes[linked.to_numpy(dtype=bool)], judged_keys)
    uncovered_keys = np.setdiff1d(judged_keys, covered_keys)
    n_clusters, n_judged = len(cluster_keys), len(judged_keys)
    problem = problems_by_end(ctx)
    problems_in_export = int(problem.sum())
    problem_kind = ctx.of_kind("problem")
    # the incidents' tools: all of them read by a tool whose export would show its links
    # had it written its link columns (a Jira file without them: "current fields", or
    # issue linking off) get that tool's way to export them
    codes_all, source_names = ctx.source_codes
    # (no tool of the list among the inputs: no million-row pass)
    incident_tools = {str(source_names.iloc[c]) if pd.notna(source_names.iloc[c]) else ""
                      for c in distinct_codes(codes_all[incident.to_numpy(dtype=bool)])[0]
                      } if header_tools else set()
    no_columns = bool(incident_tools) and incident_tools <= header_tools
    no_links = Note(code="no_problem_link_columns" if no_columns else "no_problem_links",
                    params={"problems": problems_in_export})
    if not links_known and n_clusters == 0:
        notes.append(no_links)
    if links_known and len(unjudged_keys):
        left_notes = _left_out_notes(ctx, keyed, in_cluster, codes, unjudged_keys, shown,
                                     with_links if any_header else None, listed)
        if n_judged:
            excluded.extend(left_notes)
        else:  # the first is the reason, any other a note beside it
            no_links = left_notes[0]
            excluded.extend(left_notes[1:])
    # the files whose header alone shows that no incident of theirs names a problem: said
    # with the clusters counted without a problem record on that evidence
    if n_judged and any_header:
        said = _by_header_note(ctx, by_header & incident.to_numpy(dtype=bool) & ~named,
                               in_cluster, codes, judged_keys, keyed, listed, problem)
        if said is not None:
            notes.append(said)
    in_cluster_ids = ctx.samples(member)
    if n_judged or not len(unjudged_keys):
        # with no clusters nothing can be uncovered, whatever the export says about links
        n_uncovered = len(uncovered_keys)
        uncovered = Figure(value=float(n_uncovered), sample_ids=ctx.samples(
            member & np.isin(codes, uncovered_keys)))
        share = ratio(n_uncovered, n_judged)
    else:
        uncovered = Figure(value=None)
        share = Figure(value=None, denominator=float(n_clusters))

    # the problems that stood at the window end and were not done before its start; an
    # export that holds no problem record at all (an incident list pulled alone) cannot
    # say how many the desk keeps: n/a, with what its incidents name
    before = (ctx.done_at < w.start).fillna(False).astype(bool)
    problems = problem & ~before
    records = Figure(value=float(problems.sum()), sample_ids=ctx.samples(problems))
    notes.extend(_link_notes(ctx, links, scope, codes, uncovered_keys, problem_kind & ~before))
    if not problem_kind.any():
        records = Figure(value=None)
        notes.append(Note(code="no_problem_records", params={
            "named": _distinct_named(ctx, scope & links.named)}))
    metrics = {
        "recurring_clusters": Figure(value=float(n_clusters), sample_ids=in_cluster_ids),
        "uncovered_clusters": uncovered,
        "uncovered_share": share,
        "recurring_incident_share": ratio(int(member_here.sum()), int(keyed.sum()),
                                          ctx.samples(member_here)),
        "problem_records": records,
    }
    table = _top_clusters(ctx, codes, key_text, uncovered_keys if n_judged else cluster_keys,
                          int(params["top_clusters"]), n_judged > 0, ep)

    costs: list[Cost] = []
    # an incident's handle time: its median logged time where the export logs enough
    minutes = kind_minutes(ctx, "incident")
    # the hours are those of the clusters without a problem record, the sign's finding
    # and what its priced fixes address: a cluster with a problem record has its root
    # cause in hand (its incidents are no gap), and one whose tool exports no problem
    # field cannot be told uncovered
    # one occurrence, one handling: a major incident's children are resolved with it
    priced = member_here & np.isin(codes, uncovered_keys) & ep.head
    if priced.any() and minutes > 0:
        per_m = per_month(int(priced.sum()), w)
        costs.append(Cost(basis="recurring", count=float(priced.sum()),
                          hours_per_month=per_m * minutes / 60.0,
                          params={"incidents_per_month": per_m, "minutes": minutes,
                                  "clusters": len(uncovered_keys),
                                  "effort": effort_words(ctx, ["incident"])}
                          ).handling(t, priced, per_month(1, w) * minutes / 60.0))
    # why a clear cannot stand (a triggered verdict does): with no link in the export
    # the clusters' coverage is unknown; a window shorter than the span over an export
    # that does not reach back it shows an issue that recurs monthly once or twice; most
    # of the window's incidents are of tools that fill no key. The first that holds is
    # the reason, the others are among the notes
    reasons = [no_links if uncovered.value is None else None,
               Note(code="span_not_covered", params=reach.params)
               if reach.short and reach.params is not None else None, unkeyed_most]
    held = [r for r in reasons if r is not None]
    unproven = held[0] if held else None
    notes.extend(held[1:])
    return Measurement(
        metrics=metrics,
        nudges=_one_cluster_moved(uncovered.value, n_judged),
        # a summary-based key groups by wording, which is weaker evidence than a CI
        confidence="high" if not with_summary else "medium",
        tables={"top_uncovered_clusters": table},
        table_totals=_total(table, uncovered.value if n_judged else float(n_clusters)),
        excluded=excluded,
        notes=notes,
        costs=costs,
        absence_unproven=unproven,
    )
