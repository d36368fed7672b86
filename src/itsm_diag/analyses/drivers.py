"""Analysis ``drivers``: where each bad outcome is most likely.

For the done tickets in the window (those a machine raised, a clean-up script's
closures, the cancelled tickets and a major incident's children left out, each once with a
note, as the KPI panel leaves them out: :func:`~itsm_diag.signs.common.left_out_done`), each
bad outcome (SLA breach, reopen, three or more reassignments, an A -> B -> A bounce, a
long time to resolve) is compared across the values of each attribute (first and last
assignment group, category, channel, priority): a value is a driver when its tickets
have the outcome at least ``min_lift`` times as often as the other tickets whose outcome
and attribute are known, with at least ``min_sample`` tickets and ``min_events``
outcomes behind it, and when the one-sided exact (Fisher, hypergeometric) p-value of so
many outcomes among its tickets is at most ``family_alpha`` divided by the number of
values tested (Bonferroni: every value of every attribute with ``min_sample`` tickets on
each side, over the outcomes tested). A driver must pass all of it with one outcome
fewer as well: one ticket does not make a driver.

Like for like: a value whose tickets are mostly of a kind that has the outcome more often
everywhere (a group that works the P1s misses more SLAs) is no driver. Each candidate is
compared again within the values of each attribute set no later than it in turn
(:data:`CONFOUNDERS`: a Mantel-Haenszel ratio over that attribute's values, its unknowns
one more stratum), and the smallest of
these ratios (never above the plain lift) must reach ``min_lift`` too. An attribute whose
values hold the candidate's tickets with almost no others beside them (less than half of
its tickets share a value with other tickets) cannot separate the two and is skipped for
it.

Carried by a group: a category's (channel's, priority's) like for like figure never
holds the groups equal, so a group that alone makes a category's excess made the category
a driver too. Where a group that is a driver of the same outcome works some of its
tickets, the category is compared again with each such group held apart (:func:`_carried`);
under ``min_lift`` there it is no driver of its own, with a note.

Like for like in time too: a desk changes over a window (a category scheme retired on its
first day, a group renamed in its middle, a slow September), and a value that exists in
only part of it would be compared with tickets of other months. The strata are each
attribute's values crossed with the period of opening (:data:`PERIOD`: the calendar month
in the run's zone, a month's days before the window's start apart from the rest), and the
period alone is one more: a retired category or a renamed group is compared with the
tickets opened in the same months, and a value whose tickets sit in one slow month gets
no lift from it. A value whose tickets the periods cannot separate (less than half of
them opened in a period other tickets were opened in too: a queue migrated from another
tool, say) cannot be told from its time: it is no driver, with a note in numbers.

A long time to resolve is judged on the tickets opened in the window only. One opened
before it is among the done tickets because it was still open at the window's start:
its time is long by that selection (on a window that starts on a new category scheme's
first day, every ticket of an old category), not by its group or category, and kept in,
it would also raise the priority's bar the others are judged by. Comparing it only with
the others opened before the window would leave a handful per month and a bar of their
own, with no outcome that reads like the rest; it is left out, with a note (the other
outcomes keep it, within its own period).

Two drivers of one outcome that are the same tickets (each holds 90% of the other's) are
one driver: shown once, with a note. A value with fewer than ``min_events`` outcomes
elsewhere (none at all: every outcome is its) keeps its place, its lift shown as more
than it would be with ``min_events`` outcomes elsewhere (">39.9"), never as the 400x one
stray ticket makes.

Counted with ``np.bincount`` over integer codes per attribute (the strata: one bincount
of the candidates' codes times the stratum count plus the stratum code; a value and a
period crossed into one code, renumbered over the pairs that occur by a bincount, once
per outcome for an attribute that holds a candidate); the exact test only for the values
that pass the lift, sample and outcome gates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.analyses import flow as flow_mod
from itsm_diag.analyses._util import note, rounded, ticket_rows_of_events
from itsm_diag.model import NAT, ts_us
from itsm_diag.signs.base import Context, Figure, Measurement, Note, ratio, utc64
from itsm_diag.signs.common import (
    FOLD_KEY,
    LEFT_OUT_CODES,
    by_code_then,
    filled,
    fold_key,
    left_out_done,
    per_distinct,
    scheme_change,
    sla_outcome,
)
from itsm_diag.stats import upper_tail

#: outcome ids, in the order they are shown
OUTCOMES = ("sla_breach", "reopen", "reassigned", "bounce", "long_resolution")
#: the period of opening (the calendar month, a month's part before the window apart),
#: held equal like for like as the attributes are, alone and with each of them
PERIOD = "period"
#: attribute ids and the ticket column each reads (first_group reads the events)
ATTRIBUTES = {"first_group": None, "assignment_group": m.ASSIGNMENT_GROUP,
              "category": m.CATEGORY, "channel": m.CHANNEL, "priority": m.PRIORITY}
#: the attributes each one is compared within, like for like: those set no later than it
#: (category, channel and priority as the ticket is logged, then the first group, then the
#: last). Never one set after it: a category's tickets are slow through the groups it is
#: routed to, and the last group of a ticket follows its reassignments, so holding those
#: equal would explain away the very effect (but a group that is itself a driver of the
#: same outcome is held apart from it afterwards: :func:`_carried`)
CONFOUNDERS = {"category": ("priority", "channel"), "channel": ("priority", "category"),
               "priority": ("category", "channel"),
               "first_group": ("priority", "category", "channel"),
               "assignment_group": ("priority", "category", "channel", "first_group")}


def _outcomes(ctx: Context, scope: np.ndarray, params: Mapping[str, Any]
              ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per outcome: (known mask, bad mask) over all tickets (False outside scope)."""
    t = ctx.tickets
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    # each ticket's SLA outcome as the SLA adherence KPI reads it: the made-SLA flag,
    # else done by its due time (a due date without a time of day through its day's end)
    sla = sla_outcome(ctx)
    out["sla_breach"] = (scope & sla.known, scope & sla.breached)
    reopen = t[m.REOPEN_COUNT]
    out["reopen"] = (scope & reopen.notna().to_numpy(),
                     scope & (reopen > 0).fillna(False).to_numpy(dtype=bool))
    # bounces: the flow view's, on the tickets with an assignment history (both read by
    # the flow view up to the window end: one reading for the share's two sides)
    history = np.zeros(len(t), dtype=bool)
    bounced = np.zeros(len(t), dtype=bool)
    flow_params = ctx.analyses.get("flow")
    if flow_params and not ctx.events.empty:
        flow = flow_mod.flow_of(ctx, flow_params)
        history[flow.group_rows] = True
        bounced[flow.bounced_rows] = True
    out["bounce"] = (scope & history, scope & bounced)
    # floats, NaN where unknown (no nullable column copied for a comparison)
    count = t[m.REASSIGNMENT_COUNT].to_numpy(dtype="float64", na_value=np.nan)
    out["reassigned"] = (scope & ~np.isnan(count),
                         scope & (count >= int(params["min_reassignments"])))
    opened, done = ts_us(t[m.OPENED_AT]), ts_us(ctx.done_at)
    # on the tickets opened in the window only: one opened before it is among the done
    # tickets because it was still open at the window's start, long by that selection
    ok = (scope & (opened != NAT) & (done != NAT) & (done >= opened)
          & (opened >= _start_us(ctx)))
    hours = np.where(ok, (done - opened) / 3.6e9, np.nan)
    long = _long(hours, ok, t[m.PRIORITY], float(params["long_quantile"]),
                 int(params["min_sample"]))
    out["long_resolution"] = (ok, long)
    return out


def _start_us(ctx: Context) -> int:
    """The window's start as int64 UTC microseconds (as :func:`ts_us` gives times)."""
    return int(utc64(ctx.window.start).astype("datetime64[us]").astype(np.int64))


def _period(ctx: Context, scope: np.ndarray) -> tuple[np.ndarray, int]:
    """Per ticket of ``scope``, the code of its period of opening: the calendar month in
    the run's zone, the part of a month before the window's start apart from the rest (a
    ticket still open at the window's start beside only the others that were); -1
    outside ``scope`` or where the open time is unknown. And the number of codes (the
    periods that hold a ticket). The months' starts as instants, and one binary search
    of them per ticket."""
    codes = np.full(len(ctx.tickets), -1, dtype=np.int64)
    rows = np.flatnonzero(scope)
    opened = ts_us(ctx.tickets[m.OPENED_AT])[rows]
    ok = opened != NAT
    rows, opened = rows[ok], opened[ok]
    if not len(rows):
        return codes, 0
    first, last = (m.local_wall(np.array([opened.min(), opened.max()]), ctx.tz)
                   .astype("datetime64[M]"))
    # the starts of the months after the first, in the zone, as UTC microseconds
    starts = pd.date_range(str(first + 1), str(last + 1), freq="MS", unit="us")
    # a midnight the clock skips or repeats (a zone that changes at midnight): the
    # project's one rule for wall times (model.wall_to_utc: the first pass, 01:00)
    utc = m.wall_to_utc(pd.Series(starts), ctx.tz)[0]
    bounds = ts_us(utc)
    month = np.searchsorted(bounds, opened, side="right")
    raw = month * 2 + (opened >= _start_us(ctx))
    used = np.bincount(raw) > 0
    codes[rows] = (np.cumsum(used) - 1)[raw]
    return codes, int(used.sum())


def _crossed(codes: np.ndarray, n_values: int, period: np.ndarray, n_period: int
             ) -> tuple[np.ndarray, int]:
    """The strata an attribute holds equal like for like in time too: per ticket, the
    code of its value (``codes``, its unknowns one more value) and its period of opening
    (``period``, unknown one more), renumbered over the pairs that occur (a bincount
    and a cumulative sum, no sort); and their number."""
    raw = (np.where(codes >= 0, codes, n_values) * (n_period + 1)
           + np.where(period >= 0, period, n_period))
    used = np.bincount(raw) > 0
    return (np.cumsum(used) - 1)[raw], int(used.sum())


def _long(hours: np.ndarray, ok: np.ndarray, priority: pd.Series, q: float,
          min_n: int) -> np.ndarray:
    """Longer than the ``q`` quantile of the tickets of its priority (of all tickets,
    where its priority is unknown or has fewer than ``min_n`` tickets)."""
    # the measurable tickets' rows only, the priority as floats (NaN: unknown)
    frame = pd.DataFrame({"p": priority.to_numpy(dtype="float64", na_value=np.nan)[ok],
                          "h": hours[ok]}, copy=False)
    overall = float(np.quantile(frame["h"], q)) if len(frame) else np.inf
    by = frame.groupby("p")["h"]
    bar = by.quantile(q).where(by.size() >= min_n)
    limit = frame["p"].map(bar).fillna(overall).to_numpy()
    out = np.zeros(len(hours), dtype=bool)
    out[np.flatnonzero(ok)] = frame["h"].to_numpy() > limit
    return out


def _first_group(ctx: Context, scope: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per ticket, the code of the first group in its assignment history up to the window
    end (-1: none; a group first named after it was none then)."""
    ev = ctx.events
    codes = np.full(len(ctx.tickets), -1, dtype=np.int64)
    if ev.empty:
        return codes, np.zeros(0, dtype=object)
    rows = ticket_rows_of_events(ctx)
    at = ts_us(ev[m.EV_AT])
    keep = (ev[m.EV_KIND].eq("assignment").fillna(False).to_numpy(dtype=bool) & (rows >= 0)
            & (at != NAT) & ctx.events_by_end() & filled(ev[m.EV_VALUE]).to_numpy(dtype=bool))
    keep = keep & scope[np.maximum(rows, 0)]
    idx = np.flatnonzero(keep)
    if not len(idx):
        return codes, np.zeros(0, dtype=object)
    order = idx[by_code_then(rows[idx], at[idx])]
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
    values = ev[m.EV_VALUE].take(first).reset_index(drop=True)
    key = per_distinct(values, partial(fold_key, spaces=True))
    c, uniques = pd.factorize(key.array)
    shown = _shown(values, np.asarray(c), len(uniques))
    codes[rows[first]] = c
    return codes, shown


def _shown(values: pd.Series, codes: np.ndarray, n: int) -> np.ndarray:
    """Per code, the first value as written (trimmed)."""
    out = np.empty(n, dtype=object)
    ok = np.flatnonzero(codes >= 0)
    _, first = np.unique(codes[ok], return_index=True)
    out[codes[ok[first]]] = values.take(ok[first]).astype("string").str.strip().to_numpy(
        dtype=object)
    return out


def _attribute(ctx: Context, name: str, scope: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    column = ATTRIBUTES[name]
    if column is None:
        return _first_group(ctx, scope)
    values = ctx.tickets[column]
    if column == m.PRIORITY:
        # an integer column: its codes in order of first appearance, as the text's were
        codes, uniques = pd.factorize(values.array)
        return (np.asarray(codes, dtype=np.int64),
                np.array([str(int(u)) for u in uniques], dtype=object))
    # the shared fold of the column (one factorize of its distinct values, not of every
    # ticket): codes in order of first appearance, as a factorize of every ticket gives
    codes, _ = ctx.value_table(column, (FOLD_KEY, "spaces"), partial(fold_key, spaces=True))
    rows, distinct = ctx.distinct(column)
    per_distinct_code = np.full(len(distinct), -1, dtype=np.int64)
    per_distinct_code[rows] = codes
    # the distinct values are in order of first appearance too: a code's first distinct
    # value is the value its first ticket holds
    ok = np.flatnonzero(per_distinct_code >= 0)
    found, first = np.unique(per_distinct_code[ok], return_index=True)
    shown = np.empty(len(found), dtype=object)
    shown[found] = distinct.take(ok[first]).astype("string").str.strip().to_numpy(
        dtype=object)
    return codes, shown


#: the renamed groups a note names, the most tickets first
_RENAMED_SHOWN = 5


def _renamed(ctx: Context, attrs: Mapping[str, tuple[np.ndarray, np.ndarray]],
             scope: np.ndarray) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[Note]]:
    """The attributes with the group names replaced inside the window (a reorganisation:
    "Desktop Support" becomes "IT Ops - Desktop Support" on one day) read across the
    change, and a note naming the renamed groups with their tickets. The recurrence
    sign's test of a category scheme replaced
    (:func:`~itsm_diag.signs.common.scheme_change`) on the last group of the done tickets
    in scope by their done time (the group a ticket was done under: tickets still open
    at a reorganisation move to the new names), what the names share their assignees (a
    team keeps its people across a rename; a ticket without one its category): each new
    name is read as the old one sharing the most of them, and a group is compared as one
    across the change, under its old name; the first group (from the history) by the
    same names. Split, Desktop Support's 2.3x long resolutions read 1.84x and 1.95x, each
    half's "elsewhere" holding the other, and no driver was shown."""
    codes, shown = attrs["assignment_group"]
    at = ts_us(ctx.done_at)
    rows = np.flatnonzero(scope & (codes >= 0) & (at != NAT))
    if not len(rows):
        return dict(attrs), []
    def shared() -> np.ndarray:
        # an assignee, else the category (its own codes after the assignees'), else the
        # row alone (shared with no other); only when the names turn over
        who, _ = ctx.distinct(m.ASSIGNEE)
        who = np.where(ctx.filled(m.ASSIGNEE).to_numpy(dtype=bool), who, -1)[rows]
        cat = attrs["category"][0][rows]
        held = np.where(who >= 0, who, np.where(
            cat >= 0, int(who.max(initial=-1)) + 1 + cat, -1)).astype(np.int64)
        lone = held < 0
        held[lone] = int(held.max(initial=-1)) + 1 + np.arange(int(lone.sum()))
        return held

    value = codes[rows]
    change = scheme_change(value, at[rows], shared)
    if change is None:
        return dict(attrs), []
    read_as = np.arange(len(shown), dtype=np.int64)
    read_as[: len(change.read_as)] = change.read_as
    out = dict(attrs)
    out["assignment_group"] = (np.where(codes >= 0, read_as[np.maximum(codes, 0)], -1), shown)
    moved = np.flatnonzero(read_as != np.arange(len(shown)))
    # the first group by the same names (as shown, trimmed): each new name's code onto
    # its old name's, where the history holds both
    first, first_shown = attrs["first_group"]
    if len(first_shown):
        at_first = {str(v): i for i, v in enumerate(first_shown)}
        onto = np.arange(len(first_shown), dtype=np.int64)
        for i in moved:
            new, old = at_first.get(str(shown[i])), at_first.get(str(shown[read_as[i]]))
            if new is not None and old is not None:
                onto[new] = old
        out["first_group"] = (np.where(first >= 0, onto[np.maximum(first, 0)], -1),
                              first_shown)
    n = np.bincount(value, minlength=len(shown))[moved]
    order = np.lexsort((moved, -n))
    pairs = [note("renamed_pair", new=str(shown[moved[i]]), old=str(shown[read_as[moved[i]]]),
                  tickets=int(n[i])) for i in order[:_RENAMED_SHOWN]]
    return out, [note("renamed", **change.params(ctx.tz), tickets=int(n.sum()),
                      pairs=Note(code=f"renamed_pairs.{len(pairs)}",
                                 params={f"p{j}": p for j, p in enumerate(pairs)}),
                      more=note("renamed_more" if len(moved) > len(pairs)
                                else "renamed_more.none", more=len(moved) - len(pairs)))]


def _passes(k: np.ndarray, n: np.ndarray, k_out: np.ndarray, n_out: np.ndarray,
            bar: float, min_k: int, min_lift: float) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: whether it passes the outcome, lift and exact-test gates with ``k``
    outcomes among its ``n`` tickets, and the exact p-value (no outcome elsewhere: an
    unbounded lift, which passes the lift gate)."""
    p = upper_tail(k, n, k + k_out, n + n_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = (k / n) / (k_out / n_out)
    return (k >= min_k) & (lift >= min_lift) & (p <= bar), p


#: a candidate's tickets must share at least this share of themselves with other tickets
#: in the values of an attribute for that attribute to hold it like for like
SEPARABLE = 0.5
#: two drivers of one outcome are the same tickets when each holds this share of the other
SAME_TICKETS = 0.9


def _like_for_like(codes: np.ndarray, size: int, bad: np.ndarray, hits: np.ndarray,
                   strata: Mapping[str, tuple[np.ndarray, int]], required: str,
                   min_shared: int | None = None
                   ) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """Per hit (a code of ``codes``, over the tickets whose outcome is known): the
    smallest Mantel-Haenszel ratio of its outcome rate to the other tickets' within the
    values of each attribute of ``strata`` (codes and value count; unknown values one
    more stratum), and that attribute (inf and None where no attribute separates it);
    and how many of its tickets share a stratum of ``required`` (the period of opening)
    with other tickets. An attribute separates a hit when at least :data:`SEPARABLE` of
    its tickets share a value of it with other tickets (``min_shared``: at least that
    many of them). Vectorised: two bincounts per attribute."""
    has = codes >= 0
    at = np.full(size, -1, dtype=np.int64)
    at[hits] = np.arange(len(hits))
    c = at[codes[has]]
    sel = c >= 0
    b = bad[has]
    b_sel = b[sel]
    best = np.full(len(hits), np.inf)
    by: list[str | None] = [None] * len(hits)
    in_time = np.zeros(len(hits), dtype=np.int64)
    for name, (other, n_values) in strata.items():
        st = other[has]
        st = np.where(st >= 0, st, n_values)
        width = n_values + 1
        total = np.bincount(st, minlength=width)
        total_bad = np.bincount(st[b], minlength=width)
        joint = c[sel] * width + st[sel]
        n1 = np.bincount(joint, minlength=len(hits) * width).reshape(len(hits), width)
        a = np.bincount(joint[b_sel], minlength=len(hits) * width).reshape(len(hits), width)
        n0, c0 = total - n1, total_bad - a
        # each stratum weighted by 1 / its tickets (none where it is empty)
        w = np.divide(1.0, total, out=np.zeros(width), where=total > 0)
        num = (a * n0 * w).sum(axis=1)
        den = (c0 * n1 * w).sum(axis=1)
        shared = (n1 * (n0 > 0)).sum(axis=1)
        if name == required:
            in_time = shared
        usable = (shared >= SEPARABLE * n1.sum(axis=1) if min_shared is None
                  else shared >= min_shared)
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)
        lower = usable & (rr < best)
        best[lower] = rr[lower]
        for i in np.flatnonzero(lower):
            by[i] = name
    return best, by, in_time


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    # left out of done work, each counted once, as the KPI panel leaves them out (its
    # one split, :func:`~itsm_diag.signs.common.left_out_done`):
    # - the tickets a machine raised are no work of the desk's: 3,000 alerts of a storm,
    #   all priority 2 and resolved in minutes, pulled P2's long-resolution bar from
    #   20.4 h to 2.9 h, and 300 ordinary P2 tickets read long;
    # - a clean-up script's closures (the backlog sign's mass closure) are no work done
    #   either: stale tickets closed in one hour read as long resolutions of their groups;
    # - a cancelled ticket (a duplicate closed in minutes, withdrawn) was resolved by no
    #   work: no breach, no long or quick resolution of its group;
    # - a major incident's children are resolved with it: its one outage, once, not 40
    #   breaches or long resolutions of the group that held it
    left = left_out_done(ctx, ctx.of_kind(*params["kinds"]) & ctx.done_in_window())
    scope = left.kept.to_numpy(dtype=bool)
    n_scope = int(scope.sum())
    min_n, min_k = int(params["min_sample"]), int(params["min_events"])
    if n_scope < min_n:
        return Measurement(unknown=note("too_few", n=n_scope, min=min_n))
    outcomes = _outcomes(ctx, scope, params)
    attrs = {name: _attribute(ctx, name, scope) for name in ATTRIBUTES}
    # a reorganisation that renames the groups inside the window splits each group's
    # tickets under two names: each half's "elsewhere" holds the other half
    attrs, renamed = _renamed(ctx, attrs, scope)
    # like for like in time too: each value compared within its tickets' periods of
    # opening, alone and with each attribute it is held equal with
    period, n_period = _period(ctx, scope)
    summary: list[dict[str, Any]] = []
    metrics: dict[str, Figure] = {}
    min_lift, alpha = float(params["min_lift"]), float(params["family_alpha"])
    # the values tested (the family of the correction) and the candidates: the values
    # that pass the sample, outcome and lift gates, each (outcome, attribute, code,
    # tickets, outcomes, tickets elsewhere, outcomes elsewhere), and each one's like for
    # like ratio and the attribute that gave it
    family = 0
    cand: list[tuple[str, str, int, int, int, int, int]] = []
    like: list[tuple[float, str | None]] = []
    # per candidate, how many of its tickets were opened in a period others were too
    in_time: list[int] = []
    for outcome in OUTCOMES:
        known, bad = outcomes[outcome]
        n_known, n_bad = int(known.sum()), int(bad.sum())
        measurable = n_known >= min_n
        summary.append({"outcome": outcome, "tickets": n_known, "with_outcome": n_bad,
                        "rate": rounded(n_bad / n_known, 4) if n_known else None,
                        "measurable": measurable})
        if not measurable:
            continue
        metrics[f"{outcome}_rate"] = ratio(n_bad, n_known, ctx.samples(pd.Series(
            bad, index=ctx.tickets.index)))
        # the tickets whose outcome is known, once per outcome (not a million-row mask
        # per attribute); counts of ones are the sums of weights of ones, exactly
        at_known = np.flatnonzero(known)
        bad_known = bad[at_known]
        # each attribute's codes on those tickets: the values compared, and the strata
        # the others are compared within
        coded = {attr: (codes[at_known], len(shown)) for attr, (codes, shown) in attrs.items()
                 if len(shown) >= 2}
        when = period[at_known]
        # each attribute crossed with the period, once an attribute it is held equal for
        # has a candidate
        held: dict[str, tuple[np.ndarray, int]] = {PERIOD: (when, n_period)}
        for attr, (c, size) in coded.items():
            has = c >= 0
            if not has.any():
                continue
            n = np.bincount(c[has], minlength=size)
            k = np.bincount(c[has & bad_known], minlength=size)
            n_out, k_out = int(n.sum()) - n, int(k.sum()) - k
            # every value with min_sample tickets on each side is compared: the family
            tested = (n >= min_n) & (n_out >= min_n)
            family += int(tested.sum())
            with np.errstate(divide="ignore", invalid="ignore"):
                lift = (k / n) / (k_out / n_out)
            # no outcome elsewhere (every one of them is this value's): the strongest
            # concentration of all, an unbounded lift
            hit = np.flatnonzero(tested & (k >= min_k) & (lift >= min_lift))
            if not len(hit):
                continue
            cand += [(outcome, attr, int(code), int(n[code]), int(k[code]),
                      int(n_out[code]), int(k_out[code])) for code in hit]
            for other in CONFOUNDERS[attr]:
                if other in coded and other not in held:
                    held[other] = _crossed(*coded[other], when, n_period)
            adjusted, by, shared = _like_for_like(c, size, bad_known, hit, {
                **{other: held[other] for other in CONFOUNDERS[attr] if other in coded},
                PERIOD: held[PERIOD]}, PERIOD)
            like += list(zip(adjusted.tolist(), by, strict=True))
            in_time += shared.tolist()
    if not metrics:
        return Measurement(unknown=note("no_outcome", n=n_scope, min=min_n))
    bar = alpha / max(family, 1)
    said: list[Note] = []
    rows, fragile = _drivers(ctx, outcomes, attrs, cand, bar, min_k, min_lift,
                             int(params["max_drivers"]), like, said, in_time,
                             period=(period, n_period), min_n=min_n)
    metrics["values_tested"] = Figure(value=float(family))
    metrics["drivers"] = Figure(value=float(len(rows)))
    notes = [note("tested", lift=min_lift, n=min_n, k=min_k, alpha=alpha, family=family,
                  bar=bar)]
    parts = left.parts()
    kept = int(left.kept.sum())
    for kind, left_n in parts:
        if kind == "machine":  # of every done ticket
            notes.append(note(LEFT_OUT_CODES[kind], count=left_n,
                              n=sum(k for _, k in parts) + kept))
        else:
            notes.append(note(LEFT_OUT_CODES[kind], count=left_n, kept=kept))
    if "long_resolution_rate" in metrics:
        # the done tickets opened before the window, left out of a long time to resolve
        opened = ts_us(ctx.tickets[m.OPENED_AT])
        before = int((scope & (opened != NAT) & (opened < _start_us(ctx))).sum())
        if before:
            notes.append(note("carried_over", n=before,
                              kept=int(outcomes["long_resolution"][0].sum())))
    if fragile:
        notes.append(note("one_ticket", count=fragile))
    notes += renamed
    notes += said
    return Measurement(metrics=metrics, tables={"drivers": rows, "outcomes": summary},
                       notes=notes)


def _named(attr: str, value: str) -> Note:
    """A value with its attribute, as a clause the messages word ("last group MI")."""
    return note(f"named.{attr}", value=value)


def _shown_lift(lift: float, floor: float, bounded: bool) -> str:
    """A lift as the sentence and the table show it: more than ``floor`` where the
    outcomes elsewhere are too few to divide by (``bounded``), else to one decimal."""
    if bounded and lift >= floor:
        # rounded down: "more than" holds of the figure as printed
        return f">{math.floor(floor * 10) / 10:.1f}"
    return f"{lift:.1f}"


def _drivers(ctx: Context, outcomes: Mapping[str, tuple[np.ndarray, np.ndarray]],
             attrs: Mapping[str, tuple[np.ndarray, np.ndarray]],
             cand: list[tuple[str, str, int, int, int, int, int]], bar: float, min_k: int,
             min_lift: float, max_drivers: int,
             like: list[tuple[float, str | None]],
             notes: list[Note], in_time: list[int] | None = None,
             period: tuple[np.ndarray, int] | None = None, min_n: int = 1
             ) -> tuple[list[dict[str, Any]], int]:
    """The drivers' rows (at most ``max_drivers`` per outcome, the most outcomes in
    excess of like tickets first) among the candidates, and how many candidates passed
    every test but would not with one outcome fewer (not shown). ``like``: per
    candidate, its like for like ratio and the attribute that gave it (none: the plain
    lift); ``in_time``: per candidate, how many of its tickets were opened in a period
    other tickets were opened in too (None: all of them). A candidate under ``min_lift``
    like for like, or with fewer than :data:`SEPARABLE` of its tickets in such periods,
    is left out. So is a category, channel or priority whose excess a group that is a
    driver of the same outcome carries (:func:`_carried`; ``period``: per ticket, the code
    of its period of opening and their number, held equal there too; ``min_n``: the
    tickets that must share a stratum with others for that test). The notes on those
    and on drivers that are the same tickets go to ``notes``."""
    if not cand:
        return [], 0
    n, k, n_out, k_out = (np.array([c[i] for c in cand], dtype=np.int64) for i in range(3, 7))
    ok, p = _passes(k, n, k_out, n_out, bar, min_k, min_lift)
    # the one-ticket test: the same value with one outcome fewer (a ticket of the value
    # without it) must pass too
    ok_less, _ = _passes(k - 1, n, k_out, n_out, bar, min_k, min_lift)
    with np.errstate(divide="ignore", invalid="ignore"):
        crude = (k / n) / (k_out / n_out)
    adjusted = np.minimum(np.array([x[0] for x in like], dtype=float), crude)
    # most of its tickets opened in periods (months, the time before the window) that no
    # other ticket was opened in: a category retired or a group renamed there, the time
    # cannot be told from the value, which is no driver
    in_period = n if in_time is None else np.array(in_time, dtype=np.int64)
    apart = ok & ok_less & (in_period < SEPARABLE * n)
    if apart.any():
        top = int(max(np.flatnonzero(apart), key=lambda j: (k[j] - n[j] * k_out[j] / n_out[j],
                                                             -j)))
        outcome, attr, code = cand[top][:3]
        notes.append(note("apart_in_time", count=int(apart.sum()),
                          example=_named(attr, str(attrs[attr][1][code])),
                          outcome=note(f"named.{outcome}"), lift=float(crude[top]),
                          tickets=int(n[top]), shared=int(in_period[top])))
    same_kind = ok & ok_less & ~apart & (adjusted < min_lift)
    if same_kind.any():
        # the one with the most outcomes in excess of the plain rate elsewhere, as the
        # example
        top = int(max(np.flatnonzero(same_kind),
                      key=lambda j: (k[j] - n[j] * k_out[j] / n_out[j], -j)))
        outcome, attr, code = cand[top][:3]
        notes.append(note("like_for_like", count=int(same_kind.sum()), min_lift=min_lift,
                          example=_named(attr, str(attrs[attr][1][code])),
                          outcome=note(f"named.{outcome}"), lift=float(crude[top]),
                          # rounded down: a ratio under the bar never reads as the bar
                          adjusted=math.floor(float(adjusted[top]) * 10) / 10,
                          by=note(f"by.{like[top][1]}")))
    found: dict[str, list[dict[str, Any]]] = {}
    members: dict[int, np.ndarray] = {}
    for i in np.flatnonzero(ok & ok_less & ~apart & (adjusted >= min_lift)):  # a handful
        outcome, attr, code = cand[i][:3]
        known, bad = outcomes[outcome]
        codes, shown = attrs[attr]
        mine = known & (codes == code)
        p_in, p_out = k[i] / n[i], k_out[i] / n_out[i]
        # fewer than min_events outcomes elsewhere (none: every outcome is this value's):
        # no rate to divide by; the lift is more than it would be with min_events there
        bounded = bool(k_out[i] < min_k)
        # never under the bar it passed: few tickets elsewhere made ">1.5x" of a 16x
        floor = max(float(p_in / (min_k / n_out[i])), min_lift)
        lift = floor if bounded else float(crude[i])
        lift_like = min(float(adjusted[i]), lift)
        # nothing held equal (one category, one channel...): no like for like figure
        held = like[i][1] is not None
        members[len(members)] = np.flatnonzero(mine)
        found.setdefault(outcome, []).append({
            "outcome": outcome, "attribute": attr, "value": str(shown[code]),
            "tickets": int(n[i]), "with_outcome": int(k[i]), "rate": round(float(p_in), 4),
            "others": int(n_out[i]), "others_with_outcome": int(k_out[i]),
            "rate_elsewhere": round(float(p_out), 4),
            "lift": round(lift, 2), "lift_shown": _shown_lift(float(crude[i]), floor, bounded),
            "lift_like": round(lift_like, 2) if held else None,
            "lift_like_shown": _shown_lift(float(adjusted[i]), floor, bounded) if held
            else None,
            "like_by": like[i][1], "p": float(f"{p[i]:.2g}"),
            "same_tickets": [],
            "excess": float(k[i] * (1.0 - 1.0 / adjusted[i])),
            "members": len(members) - 1, "code": int(code),
            "sample_ids": ctx.sample_rows(np.flatnonzero(mine & bad)),
        })
    rows: list[dict[str, Any]] = []
    for outcome in OUTCOMES:
        ranked = sorted(found.get(outcome, []),
                        key=lambda r: (-r["excess"], -r["lift"], r["attribute"], r["value"]))
        if len(ranked) >= 2:
            ranked = _carried(ranked, members, outcomes[outcome], attrs, period,
                              min_lift, min_n, notes)
        kept: list[dict[str, Any]] = []
        for r in ranked:
            mine = members[r["members"]]
            twin = next((x for x in kept if _same(members[x["members"]], mine)), None)
            if twin is None:
                kept.append(r)
                continue
            # the same tickets under two attributes: one driver, shown once (the first)
            shared = int(np.intersect1d(members[twin["members"]], mine,
                                        assume_unique=True).size)
            twin["same_tickets"].append({"attribute": r["attribute"], "value": r["value"],
                                         "tickets": r["tickets"], "shared": shared})
            notes.append(note("same_tickets", shared=shared,
                              kept=_named(twin["attribute"], twin["value"]),
                              left=_named(r["attribute"], r["value"]),
                              outcome=note(f"named.{outcome}")))
        for r in kept[:max_drivers]:
            r.pop("excess")
            r.pop("members")
            r.pop("code")
            rows.append(r)
    return rows, int((ok & ~ok_less).sum())


#: the attributes that are groups: a category, channel or priority set before them may be
#: carried by one that is a driver of the same outcome
GROUPS = ("first_group", "assignment_group")


def _carried(ranked: list[dict[str, Any]], members: Mapping[int, np.ndarray],
             outcome: tuple[np.ndarray, np.ndarray],
             attrs: Mapping[str, tuple[np.ndarray, np.ndarray]],
             period: tuple[np.ndarray, int] | None, min_lift: float, min_n: int,
             notes: list[Note]) -> list[dict[str, Any]]:
    """The drivers of one outcome (``ranked``, strongest first) without the categories,
    channels and priorities a group carries, each with a note; one the groups cannot be
    told from moved after the group.

    A category's like for like figure never holds the groups equal (its tickets may be
    slow through the groups they are routed to, :data:`CONFOUNDERS`), so a group that
    alone makes a category's excess (it works only that category, half of it, and
    reopens 4x) made the category a driver too, "2.7x like for like". Where a group that
    is a driver of the outcome works some of a category's (channel's, priority's) tickets,
    the category is compared again within that group attribute: each group that is a
    driver of the outcome a stratum of its own, every other ticket one more (the groups
    that are no drivers are not held equal: routing stays the category's), crossed with
    the period of opening. Under ``min_lift`` (over at least ``min_n`` of its tickets
    sharing a stratum with other tickets) while the group stays a driver (its own like
    for like, within the category's values too, at least ``min_lift``): carried by the
    group, no driver of its own. With fewer such tickets the two cannot be told apart:
    shown, but never above the group. One Mantel-Haenszel pass per category-like
    attribute and group attribute that overlap (two bincounts each)."""
    known, bad = outcome
    at_known = np.flatnonzero(known)
    bad_known = bad[at_known]
    when, n_period = period if period is not None else (
        np.full(len(known), -1, dtype=np.int64), 0)
    when = when[at_known]
    groups = [r for r in ranked if r["attribute"] in GROUPS]
    others = [r for r in ranked if r["attribute"] not in GROUPS]
    # per category-like driver: (smallest ratio, its group attribute, the overlapping
    # groups with the tickets each shares)
    best: dict[int, tuple[float, str, list[tuple[int, dict[str, Any]]]]] = {}
    for gattr in GROUPS:
        mine = [g for g in groups if g["attribute"] == gattr]
        if not mine:
            continue
        overlap = {id(x): [(int(np.intersect1d(members[x["members"]], members[g["members"]],
                                               assume_unique=True).size), g) for g in mine]
                   for x in others}
        gcodes, gshown = attrs[gattr]
        g_known = gcodes[at_known]
        held = np.where(np.isin(g_known, [g["code"] for g in mine]), g_known, -1)
        strata = {gattr: _crossed(held, len(gshown), when, n_period)}
        for xattr in dict.fromkeys(x["attribute"] for x in others):
            xs = [x for x in others if x["attribute"] == xattr
                  and any(k for k, _ in overlap[id(x)])]
            if not xs:
                continue
            xcodes, xshown = attrs[xattr]
            ratio, _, _ = _like_for_like(xcodes[at_known], len(xshown), bad_known,
                                         np.array([x["code"] for x in xs]), strata, gattr,
                                         min_shared=min_n)
            for x, rr in zip(xs, ratio.tolist(), strict=True):
                shared = [(k, g) for k, g in overlap[id(x)] if k]
                if id(x) not in best or rr < best[id(x)][0]:
                    best[id(x)] = (rr, gattr, shared)
    if not best:
        return ranked
    out = [r for r in ranked if not (id(r) in best and best[id(r)][0] < min_lift)]
    for x in others:
        if id(x) not in best:
            continue
        rr, gattr, shared = best[id(x)]
        k, group = max(shared, key=lambda s: (s[0], -ranked.index(s[1])))
        if rr < min_lift:
            notes.append(note(
                "carried", example=_named(x["attribute"], x["value"]),
                outcome=note(f"named.{x['outcome']}"),
                lift_shown=x["lift_shown"],
                # rounded down: a ratio under the bar never reads as the bar
                adjusted=math.floor(rr * 10) / 10, min_lift=min_lift,
                kind=note(f"kind.{gattr}"),
                group=_named(gattr, group["value"]), most=k, tickets=x["tickets"],
                # the groups' tickets among its own (a ticket has one group of each)
                shared=sum(s[0] for s in shared),
                group_lift=group["lift_like_shown"] or group["lift_shown"]))
        elif not math.isfinite(rr):
            # the groups cannot tell it from them: never above the group that works it
            last = max(out.index(g) for _, g in shared)
            if out.index(x) < last:
                out.remove(x)
                out.insert(last, x)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two drivers' tickets (sorted rows) are the same: each holds at least
    :data:`SAME_TICKETS` of the other's."""
    if min(len(a), len(b)) < SAME_TICKETS * max(len(a), len(b)):
        return False
    shared = np.intersect1d(a, b, assume_unique=True).size
    return bool(shared >= SAME_TICKETS * max(len(a), len(b)))
