"""S7 ``strategy``: has the team done no strategic work in months?

Every ticket opened in the window is put in one bucket, first rule that applies:

1. its labels or category are marked strategic by the user -> strategic;
2. incident or service request -> operational; emergency change -> operational (it is
   firefighting, however it is filed);
3. other changes (standard, normal, untyped) and problems -> tactical;
4. a task that is a step of fulfilling a request -> its parent's bucket, operational: a
   ServiceNow catalog task (number prefix ``request_task_prefixes``, SCTASK: a step of a
   requested item), or a task / other naming a catalogue item or request type (the
   request_item column); and a step of an incident or request of the export (a Jira
   sub-task whose Parent is one: the importer labels it ``incident:KEY`` /
   ``request:KEY``, :data:`~itsm_diag.model.STEP_OF_TAGS`). The model keeps no parent
   reference, so a task linked to its request or incident only through a parent field
   the importer does not read (an incident task) falls to the rules below; so does a
   sub-task whose parent is not in the export (labelled ``parent:KEY``): those the rules
   below leave in ``unmatched_bucket`` or tactical are counted in a note
   (``parent_unseen``), and a clear verdict that would not hold were they operational is
   unknown (``absence_unproven``, ``parent_unseen_unproven``);
5. task / other whose labels or category hold a strategic word (project, epic,
   initiative, roadmap...) -> strategic: a field the team sets on project records (a
   Jira Epic and the issues under it carry ``epic`` / ``epic:KEY`` in their labels, see
   the Jira importer); one whose labels, category or summary hold an improvement word ->
   tactical;
6. task / other whose *summary alone* holds a strategic word -> ``unmatched_bucket``, not
   strategic: a word in a desk task's summary ("Install program Visio", "Create project
   folder") is no project record. They are listed by word (the ``project_words`` table,
   the ``summary_words`` note), and a trigger that would not hold with them counted as
   strategic is unknown (``presence_unproven``);
7. any other task / other -> ``unmatched_bucket`` (default tactical: planned work that
   is neither firefighting nor named as strategic).

Effort is logged time when at least ``min_time_share`` of the tickets, and of each
bucket's tickets, carry it (high confidence). Otherwise the split by ticket count is
shown but the sign is unknown (a password reset and a migration weigh the same, so
counts and hours of one set of tickets can give opposite verdicts: an export format
without logged time would contradict one with it); ``grade_ticket_counts`` grades the
count split anyway, with low confidence. Fewer than ``min_tickets`` classified tickets
make the sign unknown.

A kind of work counts as held by the export only from ``min_kind_share`` of the
window's effort (the largest always counts, and strategic work of any size: its
thinness is the finding): with one kind counted the sign is unknown
(``one_kind``, naming the thinner kinds in numbers). With no strategic work in the
window, a strategic record outside it must be within reach (opened in the
``strategic_lookback_days`` before the window, or still open at its start; never one
opened after the window end) to show the export can hold strategic work at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.base import (
    Context,
    Cost,
    Figure,
    Measurement,
    Note,
    ParamMap,
    per_month,
    ratio,
)
from itsm_diag.signs.common import (
    category_sorted,
    contains_in,
    contains_values,
    distinct_codes,
    fold_words,
    folded_in,
    open_at,
    phrase_pattern,
    too_few,
)
from itsm_diag.text import WHITESPACE

BUCKETS = m.BUCKETS
#: the buckets whose share the rule grades: each carries its effective number of tickets
GRADED = ("operational", "strategic")
#: where improvement words are looked for
TEXT_FIELDS = (m.LABELS, m.CATEGORY, m.SUMMARY)
#: where a strategic word makes planned work strategic: fields the team sets on a record,
#: not the free text of its summary
RECORD_FIELDS = (m.LABELS, m.CATEGORY)
#: what separates labels in a labels field ("a, b", "a;b", "a|b" or "a b" by tool)
_LABEL_SEP = ",;|" + WHITESPACE


def effective_n(weights: np.ndarray, member: np.ndarray) -> float:
    """How many tickets of equal weight a share of summed ``weights`` (the hours of the
    tickets, ``member`` those of the bucket) varies by chance as: p(1 - p) over the share's
    linearised variance, sum w²(y - p)² / (sum w)², the variance of a ratio of two sums of
    independent tickets. With weights independent of the bucket it is Kish's effective n,
    (sum w)² / sum w², which it falls back to when every or no ticket is of the bucket."""
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    kish = total ** 2 / float((weights ** 2).sum())
    p = float(weights[member].sum()) / total
    spread = float((weights ** 2 * (member - p) ** 2).sum())
    if not 0 < p < 1 or spread <= 0:
        return kish
    return p * (1 - p) * total ** 2 / spread


def _words(values: Iterable[object]) -> list[str]:
    """A configured word list as text, blanks dropped."""
    return [str(x) for x in values if str(x).strip()]


def _any_field(ctx: Context, fields: Iterable[str], words: list[str], rows: np.ndarray,
               scope: np.ndarray | None = None) -> np.ndarray:
    """Per ticket: one of ``fields`` holds one of ``words`` as whole words, looked at on
    ``rows`` only (False elsewhere): the words only decide planned work, so an incident's
    summary need not be scanned at all. ``scope``: see :func:`contains_in`."""
    out = np.zeros(len(ctx.tickets), dtype=bool)
    if not words or not rows.any():
        return out
    pattern = phrase_pattern(words)
    for f in fields:
        # each field matched once per distinct value of the rows, with the regex engine
        # the scope's column would get (see contains_in): the same result as str.contains
        out |= contains_in(ctx, f, rows, pattern, case=False, scope=scope)
    return out


def _marked(ctx: Context, inw: pd.Series, labels: list[str], categories: list[str]
            ) -> pd.Series:
    """Tickets under ``inw`` whose labels hold a user-marked label as a whole token, or
    whose category equals a user-marked category (both case-insensitive); indexed as
    the tickets under ``inw``."""
    keep = inw.to_numpy(dtype=bool)
    out = np.zeros(int(keep.sum()), dtype=bool)
    if labels:
        # whole label tokens: "okr-2024" must not match "okr-2024-draft"
        token = phrase_pattern(labels, separators=_LABEL_SEP)
        out |= contains_in(ctx, m.LABELS, keep, token, case=False, scope=keep)[keep]
    cats = fold_words(categories)
    if cats:
        out |= folded_in(ctx, m.CATEGORY, cats)[keep]
    return pd.Series(out, index=ctx.tickets.index[keep])


def _select(conds: list[np.ndarray], labels: list[str], index: pd.Index) -> pd.Series:
    """np.select on label codes, as a categorical: the first true condition's label, else
    "unclassified". (np.select on the labels themselves builds a million fixed-width
    strings.) The categories are sorted, so grouping orders the labels as text would."""
    names = sorted({*labels, "unclassified"})
    codes = np.select(conds, [names.index(x) for x in labels],
                      default=names.index("unclassified"))
    return pd.Series(pd.Categorical.from_codes(codes, categories=names), index=index)


def _request_steps(ctx: Context, params: ParamMap, rows: np.ndarray) -> np.ndarray:
    """Per ticket: a step of fulfilling a request, looked at on ``rows`` only (False
    elsewhere): its number starts with one of ``request_task_prefixes`` followed by a
    digit (SCTASK0010001, a ServiceNow catalog task, which always belongs to a requested
    item), or it names a catalogue item or request type (request_item filled)."""
    t = ctx.tickets
    out = np.zeros(len(t), dtype=bool)
    if not rows.any():
        return out
    raw = params.get("request_task_prefixes") or []
    prefixes = _words(raw if isinstance(raw, (list, tuple)) else [raw])
    out |= ctx.filled(m.REQUEST_ITEM).to_numpy(dtype=bool) & rows
    if prefixes:
        at = np.flatnonzero(rows & ~out)
        pattern = "^(?:" + "|".join(re.escape(p.strip()) for p in prefixes) + r")\d"
        ids = m.take_rows(t[m.TICKET_ID], at).astype(m.STRING_DTYPE)
        out[at] = ids.str.contains(pattern, case=False, regex=True).fillna(False).to_numpy(
            dtype=bool)
    return out


def _tagged(ctx: Context, tags: Iterable[str], rows: np.ndarray, scope: np.ndarray
            ) -> np.ndarray:
    """Per ticket: its labels hold a token ``TAG:...`` for one of ``tags`` (the parent
    tags an importer sets, :data:`~itsm_diag.model.STEP_OF_TAGS`), looked at on ``rows``
    only (False elsewhere)."""
    names = "|".join(re.escape(x) for x in tags)
    pattern = f"(?:^|[{_LABEL_SEP}])(?:{names}):[^{_LABEL_SEP}]"
    return contains_in(ctx, m.LABELS, rows, pattern, case=False, scope=scope)


def _strategic_elsewhere(ctx: Context, params: ParamMap, inw: pd.Series, days: float
                         ) -> tuple[bool, int, int, int]:
    """Whether a ticket outside the window is strategic work (marked by the user, or
    planned work whose labels or category name a project, epic, initiative...) within
    reach of it: proof that the export can hold the window's strategic work. Within
    reach: opened in the ``days`` (``strategic_lookback_days``) before the window start,
    or before them and still open at the start (a programme running into the window). One
    opened after the window end proves nothing of the window (an export pulled before it
    was opened would not hold it: the same window would read differently by pull date), and
    one long done before the lookback shows a past practice (a one-off rollout epic,
    projects since kept elsewhere). Open at the start is :func:`open_at`, as the backlog
    counts it (opened by then and not done by then, by the status history where it is
    known). Also the strategic records left out: how many opened before the lookback and
    done by the start, how many with no opened time (neither placed in reach nor out of
    it), how many opened after the window end."""
    t = ctx.tickets
    rest = ~inw
    if not rest.any():
        return False, 0, 0, 0
    marked = _marked(ctx, rest, _words(params.get("strategic_labels", [])),
                     [str(x) for x in params.get("strategic_categories", [])])
    strategic = np.zeros(len(t), dtype=bool)
    strategic[rest.to_numpy(dtype=bool)] = marked.to_numpy(dtype=bool)
    planned = (rest & t[m.KIND].isin(["task", "other"]).fillna(False)).to_numpy(dtype=bool)
    # a request's steps are request work, whatever their summary says
    planned = planned & ~_request_steps(ctx, params, planned)
    words = _words(params.get("strategic_words", []))
    # a word in a summary is no project record: only labels and category count
    if planned.any():
        strategic |= _any_field(ctx, RECORD_FIELDS, words, planned)
    if not strategic.any():
        return False, 0, 0, 0
    start = ctx.window.start
    lookback = pd.Timedelta(days=days)
    opened = t[m.OPENED_AT]
    later = ctx.window.after(opened).to_numpy(dtype=bool)
    dated = opened.notna().to_numpy(dtype=bool)
    recent = ((opened >= start - lookback) & (opened < start)).fillna(False).to_numpy(
        dtype=bool)
    before = strategic & ~later & dated
    open_at_start = open_at(ctx, pd.Series(before & ~recent, index=t.index),
                            start).to_numpy(dtype=bool)
    reach = before & (recent | open_at_start)
    return (bool(reach.any()), int((before & ~reach).sum()),
            int((strategic & ~dated).sum()), int((strategic & later).sum()))


def _first_word(ctx: Context, column: str, rows: np.ndarray, words: list[str],
                scope: np.ndarray) -> np.ndarray:
    """Per ticket: the position in ``words`` of the first word ``column`` holds as a whole
    word (the pattern :func:`_any_field` matches), looked at on ``rows`` only; -1 where
    none is or elsewhere. Matched on the distinct values of ``rows``, one pass a word,
    with the regex engine ``scope``'s column gets (as :func:`contains_in` picks it)."""
    codes, distinct = ctx.distinct(column)
    out = np.full(len(codes), -1, dtype=np.int64)
    if not words or not rows.any():
        return out
    used = distinct_codes(codes[rows])[0]
    texts = distinct.take(used).reset_index(drop=True)
    # a value of the scope with a trait the matched ones lack (a newline, non-ASCII
    # text) is matched along, once for every word, so pandas picks the same engine
    seen = distinct.take(distinct_codes(codes[scope])[0])
    found = np.full(len(used), -1, dtype=np.int64)
    for i, word in enumerate(words):
        if (found >= 0).all():
            break
        hit = contains_values(texts, seen, phrase_pattern([word]), False)
        found[(found < 0) & hit] = i
    by_code = np.full(len(distinct), -1, dtype=np.int64)
    by_code[used] = found
    out[rows] = by_code[codes[rows]]
    return out


def _word_table(ctx: Context, words: list[str], strong: np.ndarray, summary: np.ndarray,
                hours: np.ndarray, bucket: np.ndarray, scope: np.ndarray
                ) -> list[dict[str, object]]:
    """Which strategic word put which tickets where: one row per (field, word) with the
    tickets, their logged hours, their bucket and sample ids. ``strong``: the tickets a
    strategic word in their labels or category made strategic; ``summary``: those whose
    summary alone holds one; both masks over every ticket, ``hours`` and ``bucket`` too;
    ``scope``: the tickets the matches stood for (the window's)."""
    rows: list[dict[str, object]] = []
    in_labels = _first_word(ctx, m.LABELS, strong, words, scope)
    in_category = _first_word(ctx, m.CATEGORY, strong & (in_labels < 0), words, scope)
    in_summary = _first_word(ctx, m.SUMMARY, summary, words, scope)
    for field, found in ((m.LABELS, in_labels), (m.CATEGORY, in_category),
                         (m.SUMMARY, in_summary)):
        for i in np.unique(found[found >= 0]):
            mask = found == i
            at = np.flatnonzero(mask)
            rows.append({
                "field": field, "word": words[int(i)],
                "bucket": str(bucket[at[0]]), "tickets": len(at),
                "hours_logged": float(np.nansum(hours[at])),
                "sample_ids": ctx.samples(pd.Series(mask, index=ctx.tickets.index)),
            })
    return rows


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t, w = ctx.tickets, ctx.window
    meas = Measurement()
    inw = ctx.opened_in_window()
    if not inw.any():
        meas.unknown = Note(code="no_tickets")
        return meas
    # only the columns read below, no text: the text fields are matched in place
    tw = m.rows_of(t, inw, [m.KIND, m.CHANGE_TYPE, m.TIME_SPENT_HOURS])
    keep = inw.to_numpy(dtype=bool)

    def samples(mask: pd.Series) -> list[str]:
        return ctx.samples(mask.reindex(t.index, fill_value=False).astype(bool))

    # categorical in text order: every test below and the group-by run on codes
    kind = category_sorted(tw[m.KIND])
    ctype = category_sorted(tw[m.CHANGE_TYPE])

    marked = _marked(ctx, inw, _words(params.get("strategic_labels", [])),
                     [str(x) for x in params.get("strategic_categories", [])])
    planned = kind.isin(["task", "other"]).fillna(False).astype(bool)
    # the window's planned work, as a mask over every ticket; the window's tickets are
    # the column each match stands for (its regex engine, see contains_in)
    planned_at = np.zeros(len(t), dtype=bool)
    planned_at[keep] = planned.to_numpy(dtype=bool)

    def said(words_key: str, fields: tuple[str, ...] = TEXT_FIELDS) -> pd.Series:
        hits = _any_field(ctx, fields, _words(params.get(words_key, [])), planned_at,
                          scope=keep)
        return pd.Series(hits[keep], index=tw.index)

    request_step = pd.Series(_request_steps(ctx, params, planned_at)[keep], index=tw.index)
    # a step of an incident or request of the export (a Jira sub-task under one); one
    # whose parent the export does not hold cannot be placed
    operational_step = pd.Series(_tagged(ctx, m.STEP_OF_TAGS, planned_at, keep)[keep],
                                 index=tw.index)
    parent_unseen = pd.Series(_tagged(ctx, [m.PARENT_UNSEEN_TAG], planned_at, keep)[keep],
                              index=tw.index)
    # a strategic word makes planned work strategic only in the fields a team sets on a
    # record (labels, category); in the summary alone it is a word a desk task may hold
    # ("Install program Visio", "Create project folder"): listed, not counted
    strategic_word = planned & said("strategic_words", RECORD_FIELDS)
    summary_word = planned & ~strategic_word & said("strategic_words", (m.SUMMARY,))
    tactical_word = planned & said("tactical_words")
    is_change = (kind == "change").fillna(False).astype(bool)
    emergency = is_change & (ctype == "emergency").fillna(False).astype(bool)
    unmatched = str(params.get("unmatched_bucket", "tactical"))
    if unmatched not in BUCKETS:
        unmatched = "tactical"

    # first matching rule wins: np.select is the vectorised "if / elif" chain
    rules = [
        ("marked strategic", "strategic", marked),
        ("incident or request", "operational",
         kind.isin(["incident", "request"]).fillna(False).astype(bool)),
        ("emergency change", "operational", emergency),
        ("standard or normal change", "tactical", is_change),
        ("problem", "tactical", (kind == "problem").fillna(False).astype(bool)),
        # a request's steps are its fulfilment: the request's bucket, however named
        ("step of a request", "operational", request_step),
        ("step of an incident or request", "operational", operational_step),
        ("strategic word", "strategic", strategic_word),
        ("improvement word", "tactical", tactical_word),
        ("summary word", unmatched, summary_word),
        ("other planned work", unmatched, planned),
    ]
    conds = [c.to_numpy(dtype=bool) for _, _, c in rules]
    rule = _select(conds, [r for r, _, _ in rules], tw.index)
    bucket = _select(conds, [b for _, b, _ in rules], tw.index)

    hours = tw[m.TIME_SPENT_HOURS].astype("float64")
    logged = hours.notna()
    time_share = float(logged.mean())
    min_share = float(params.get("min_time_share", 0.5))
    # logged time is effort only when every bucket logs it: an export (or a format, such
    # as an incident audit log) without time on incidents would count them as no effort
    by_bucket = logged.groupby(bucket, observed=True).mean()
    by_bucket = by_bucket[by_bucket.index.isin(BUCKETS)]
    weakest = str(by_bucket.idxmin()) if len(by_bucket) else "none"
    weakest_share = float(by_bucket.min()) if len(by_bucket) else 0.0
    use_time = (time_share >= min_share and weakest_share >= min_share
                and float(hours.sum()) > 0)
    effort = hours.fillna(0.0) if use_time else pd.Series(1.0, index=tw.index)
    meas.confidence = "high" if use_time else "low"
    meas.metrics["time_logged_share"] = ratio(int(logged.sum()), len(tw))
    meas.notes.append(Note(code="effort_time" if use_time else "effort_count",
                           params={"share": time_share, "min": min_share,
                                   "bucket": weakest, "bucket_share": weakest_share}))
    if use_time and (~logged).any():
        meas.excluded.append(Note(code="no_time", count=int((~logged).sum()),
                                  sample_ids=samples(~logged)))

    summary = pd.DataFrame({"kind": category_sorted(tw[m.KIND], "(none)"), "rule": rule,
                            "bucket": bucket, "hours": hours, "effort": effort}, copy=False)
    table = summary.groupby(["kind", "rule", "bucket"], sort=True, observed=True).agg(
        tickets=("effort", "size"), hours_logged=("hours", "sum")).reset_index()
    meas.tables["classification"] = table.astype(object).to_dict("records")

    # which word put which tickets where: a sceptic checks "project" against the tickets
    strong_rule = (rule == "strategic word").to_numpy(dtype=bool)
    summary_rule = (rule == "summary word").to_numpy(dtype=bool)
    if strong_rule.any() or summary_rule.any():
        # over every ticket, as the word matches are: the window's rows at ``keep``
        strong_all, summary_all = np.zeros(len(t), dtype=bool), np.zeros(len(t), dtype=bool)
        strong_all[keep], summary_all[keep] = strong_rule, summary_rule
        hours_all = np.full(len(t), np.nan)
        hours_all[keep] = hours.to_numpy(dtype="float64", na_value=np.nan)
        bucket_all = np.full(len(t), None, dtype=object)
        bucket_all[keep] = bucket.astype(object).to_numpy()
        meas.tables["project_words"] = _word_table(
            ctx, _words(params.get("strategic_words", [])), strong_all, summary_all,
            hours_all, bucket_all, keep)
    named = pd.Series(summary_rule, index=tw.index)
    named_effort = float(effort[named].sum())
    named_params: dict[str, object] = {}
    if summary_rule.any():
        by_word = [(str(r["word"]), int(r["tickets"]))
                   for r in meas.tables["project_words"] if r["field"] == m.SUMMARY]
        named_params = {
            "count": int(summary_rule.sum()),
            # their hours only where effort is read from logged time (else "0.0 hours")
            "logged": Note(code="summary_hours", params={"hours": float(hours[named].sum())})
            if use_time else Note(code="summary_no_hours"),
            "bucket": unmatched,
            "words": ", ".join(f"{w} ({n:,})" for w, n in by_word),
        }
        meas.notes.append(Note(code="summary_words", count=int(summary_rule.sum()),
                               params=named_params, sample_ids=samples(named)))

    # sub-tasks whose parent is not in the export, placed by no record field: had they
    # been steps of incidents or requests, they would be operational work
    unplaced = (parent_unseen
                & rule.isin(["improvement word", "summary word", "other planned work"])
                & (bucket != "operational"))
    unplaced_effort = float(effort[unplaced].sum())
    if unplaced.any():
        meas.notes.append(Note(code="parent_unseen", count=int(unplaced.sum()), params={
            "hours": Note(code="summary_hours", params={"hours": float(hours[unplaced].sum())})
            if use_time else Note(code="summary_no_hours"),
            "bucket": ", ".join(sorted(set(bucket[unplaced].astype(str))))},
            sample_ids=samples(unplaced)))

    unclassified = bucket == "unclassified"
    if unclassified.any():
        meas.excluded.append(Note(code="unclassified", count=int(unclassified.sum()),
                                  sample_ids=samples(unclassified)))
    # each kind's tickets and effort, summed once: the kinds held, the floor below, the
    # total and each share's numerator are all read from it
    by_kind = pd.DataFrame({"bucket": bucket, "effort": effort}, copy=False).groupby(
        "bucket", observed=True)["effort"].agg(["size", "sum"])
    by_kind = by_kind[by_kind.index.isin(BUCKETS)]
    if by_kind.empty:
        meas.unknown = Note(code="no_kind", count=len(tw))
        return meas
    # a kind of work counts only from a floor of the window's effort: three changes
    # among 20,000 incidents make no second kind, the export is an incident queue
    total = float(by_kind["sum"].sum())
    shares = by_kind["sum"] / total if total > 0 else by_kind["size"] / float(
        by_kind["size"].sum())
    floor = float(params.get("min_kind_share", 0.01))
    # the largest kind always counts (a floor above every share leaves one kind), and
    # strategic work of any size does: its thinness is what the sign measures (an 8-hour
    # epic among 2,000 incidents is project work the export holds, little of it)
    counted = (shares >= floor) | (shares.index == shares.idxmax()) | (
        shares.index == "strategic")
    present = sorted(str(x) for x in shares.index[counted.to_numpy(dtype=bool)])
    if len(present) < 2:
        thin = [str(x) for x in shares.index[~counted.to_numpy(dtype=bool)]]
        kinds = ", ".join(sorted(set(kind.dropna().unique())))
        main = present[0]
        meas.unknown = Note(code="one_kind", params={
            "work": Note(code="one_kind_thin", count=len(tw), params={
                "bucket": main, "main": int(by_kind.loc[main, "size"]),
                "share": float(shares[main]), "kinds": kinds, "min": floor,
                "thin": ", ".join(f"{b} ({int(by_kind.loc[b, 'size']):,}; "
                                  f"{float(shares[b]):.2%})" for b in sorted(thin))})
            if thin else Note(code="one_kind_all", count=len(tw),
                              params={"bucket": main, "kinds": kinds})})
        return meas
    # strategic work the export cannot hold is not work the team did not do: a ticket-only
    # export (incidents, requests, tasks, changes) has no project records at all, and
    # one holding them only long before the window (or after it) shows no practice of
    # the window's
    if not (bucket == "strategic").any():
        lookback = float(params.get("strategic_lookback_days", 365))
        reach, older, undated, later = _strategic_elsewhere(ctx, params, inw, lookback)
        if not reach:
            # the tickets that existed at the window end: a later pull's count would
            # differ, the verdict and its reason must not
            existed = t[m.KIND][ctx.opened_by_end().to_numpy(dtype=bool)]
            meas.unknown = Note(code="no_strategic_records", count=len(existed), params={
                "kinds": ", ".join(sorted(set(existed.dropna().astype(str).unique()))),
                "days": lookback,
                "out_of_reach": Note(code="strategic_out_of_reach", params={
                    "older": older, "later": later, "days": lookback,
                    "undated": Note(code="strategic_undated", count=undated)
                    if undated else Note(code="strategic_none")})
                if older or later or undated else Note(code="strategic_none")})
            return meas
    # a split of a dozen tickets swings by 8 points per ticket: no basis for a verdict
    short = too_few(int(by_kind["size"].sum()), int(params.get("min_tickets", 30)))
    if short is not None:
        meas.unknown = short
        return meas

    classified = bucket.isin(BUCKETS).to_numpy(dtype=bool)
    weights = effort.to_numpy(dtype="float64")[classified]
    for name in BUCKETS:
        mask = bucket == name
        meas.metrics[f"{name}_share"] = ratio(
            float(by_kind["sum"].get(name, 0.0)), total, samples(mask))
        if name in GRADED and use_time:
            # the share's numerator is hours, not tickets: the engine weighs its chance
            # variation on the tickets behind it (their effective number); a share of
            # ticket counts is a plain share of tickets, worded as one ("95 of 1,323")
            meas.metrics[f"{name}_share_effective_n"] = Figure(value=effective_n(
                weights, mask.to_numpy(dtype=bool)[classified]))

    # the tickets that name project work in their summary alone are not counted as
    # strategic: a trigger ("too little strategic work") that would not hold were they
    # project work cannot be shown from the export
    if named_effort > 0 and unmatched != "strategic" and total > 0:
        with_named = (meas.value("strategic_share") or 0.0) + named_effort / total
        meas.presence_unproven = Note(code="summary_words_unproven",
                                      count=int(summary_rule.sum()), params={
            **named_params, "with_share": with_named,
            "share": meas.value("strategic_share") or 0.0})
        meas.worst_case = {"strategic_share": with_named}

    # a clear verdict the sub-tasks of unseen parents could undo, were they steps of
    # incidents or requests (operational), cannot be shown from the export
    if unplaced_effort > 0 and total > 0:
        moved_strategic = float(effort[unplaced & (bucket == "strategic")].sum())
        with_op = (meas.value("operational_share") or 0.0) + unplaced_effort / total
        with_strategic = (meas.value("strategic_share") or 0.0) - moved_strategic / total
        meas.absence_unproven = Note(code="parent_unseen_unproven", count=int(unplaced.sum()),
                                     params={"share": meas.value("operational_share") or 0.0,
                                             "with_share": with_op})
        meas.clear_case = {"operational_share": with_op, "strategic_share": with_strategic}

    if not use_time and not params.get("grade_ticket_counts", False):
        # a count is not effort (a password reset weighs what a month of project work
        # does): the same tickets with and without logged time would get opposite
        # verdicts, so counts are shown, not graded, unless the user asks for it
        meas.unknown = Note(code="no_effort_time", params={
            "share": time_share, "min": min_share, "bucket": weakest,
            "bucket_share": weakest_share,
            **{name: meas.value(f"{name}_share") or 0.0 for name in BUCKETS}})
        return meas
    target = float(params.get("operational_target", 0.70))
    op = meas.value("operational_share")
    # hours above the target are only honest with logged time, never with ticket counts
    if use_time and op is not None and op > target:
        excess = (op - target) * total
        # the operational tickets' logged hours, each at the excess's share of them: the
        # hours the other signs price on the same incidents and requests (a recurring
        # one, a duplicate) are in these, and the report's total counts them once
        operational = bucket == "operational"
        part = excess / float(effort[operational].sum())
        meas.costs.append(Cost(
            basis="operational_excess",
            hours_per_month=per_month(excess, w),
            params={"hours": per_month(excess, w), "share": op, "target": target,
                    "part": part, "tickets": int(operational.sum())},
        ).handling(t, operational.reindex(t.index, fill_value=False).astype(bool),
                   effort.where(operational, 0.0).reindex(t.index, fill_value=0.0)
                   * part * per_month(1, w)))
    return meas

