"""Extra check ``sla-by-priority``: do the most urgent tickets miss their SLA most?

SLA adherence (met / tickets with an SLA outcome) per priority, for tickets done in the
window, those a machine raised, a clean-up script's closures, the cancelled ones and a
major incident's children left out with a note, each once, as the SLA adherence KPI
leaves them out (:func:`~itsm_diag.signs.common.left_out_done`); the gap is the adherence
of the other priorities minus that of the high ones.
Each ticket's outcome is the one the SLA adherence KPI reads
(:func:`~itsm_diag.signs.common.sla_outcome`): its made-SLA flag where it carries one,
else done by its due time (a due date without a time of day through the end of its day);
a flag on a ticket with no due time, where the export holds due times, is the tool's
default on a ticket with no SLA attached: no outcome, left out with a note that counts
them (ServiceNow's ``made_sla`` true on every priority 3-5 ticket with no SLA read as
"the rest" meeting its SLA 100% of the time, and triggered the check).
A priority the reading left empty while the tool's label is kept (``Höchste``, ``Sev 1``
in ``priority_raw``) is unread, not missing: the notes count such tickets and name their
labels (:func:`~itsm_diag.checks._common.unread`).
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import model as m
from itsm_diag.checks._common import in_kinds, left_out_notes, no_value, note, unread
from itsm_diag.signs.base import Context, Figure, Measurement, Note, ParamMap, ratio
from itsm_diag.signs.common import (
    left_out_done,
    sla_outcome,
    unread_labels,
    unread_of,
)


def _by_priority(priority: pd.Series, met: pd.Series) -> list[dict[str, object]]:
    frame = pd.DataFrame({"priority": priority.astype("int64"), "met": met.astype("int64")},
                         copy=False)
    grouped = frame.groupby("priority")["met"].agg(["size", "sum"]).sort_index()
    return [
        {"priority": int(p), "n": int(r["size"]), "met": int(r["sum"]),
         "share": round(float(r["sum"]) / float(r["size"]), 4)}
        for p, r in grouped.iterrows()
    ]


def _nudged(high_met: int, n_high: int, rest_met: int, n_rest: int) -> list[float]:
    """The gap with one ticket of either group meeting or missing its SLA the other way."""
    return [rest / n_rest - high / n_high
            for high, rest in ((high_met - 1, rest_met), (high_met + 1, rest_met),
                               (high_met, rest_met - 1), (high_met, rest_met + 1))
            if 0 <= high <= n_high and 0 <= rest <= n_rest]


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    # an SLA outcome needs a made-SLA flag or a due time somewhere in the export
    no_sla = not (t[m.SLA_MET].notna().any() or t[m.DUE_AT].notna().any())
    missing = [*((m.SLA_MET, m.DUE_AT) if no_sla else ()),
               *((m.PRIORITY,) if not t[m.PRIORITY].notna().any() else ())]
    if missing:
        # a priority the reading could not put on the scale (Höchste, Sev 1) is filled in
        # the tool: named with its labels, not called missing
        rest = [f for f in missing if f not in (m.SLA_MET, m.DUE_AT)]
        flag_words = t[m.SLA_MET].isna() & ctx.filled(m.SLA_MET_RAW)
        if no_sla and flag_words.any():
            # a made-SLA flag in words the reading could not read (DOGRU/YANLIS) is
            # filled in the tool too: named with its words, never "no value at all"
            found = unread_labels(ctx, m.SLA_MET_RAW, flag_words)
            also = no_value(ctx, rest, code="priority_unread") if rest else ""
            return Measurement(unknown=note("sla_unread", found["unread"],
                                            ctx.samples(flag_words),
                                            values=found["values"], also=also))
        return Measurement(unknown=no_value(ctx, missing, code="priority_unread"))
    # left out of done work, each counted once (the SLA adherence KPI's one split,
    # :func:`~itsm_diag.signs.common.left_out_done`), each note's "stay" the tickets
    # kept after all four (was: the clean-up's counted before the cancelled and the
    # children were taken off, more than the check is over):
    # - an alert a machine raised and resolved in minutes meets any SLA: 3,000 of a
    #   storm, all priority 2, read the high priorities 15 points better than the rest
    #   where the desk's own tickets did 9.5 points worse;
    # - a clean-up script's closures (the backlog sign's mass closure) kept no SLA of
    #   their own: stale tickets closed in one hour read as breaches of their priorities;
    # - a cancelled ticket (a duplicate closed in minutes, withdrawn) met no target by
    #   any work;
    # - a major incident's children are resolved with it: its one outage, once
    left = left_out_done(ctx, in_kinds(ctx, params) & ctx.done_in_window())
    excluded: list[Note] = left_out_notes(ctx, left)
    done = left.kept
    outcome = sla_outcome(ctx)
    known = pd.Series(outcome.known, index=t.index)
    scope = done & known & t[m.PRIORITY].notna()

    # a priority left empty by the reading while the tool's label is kept: unread, named
    # apart from the tickets with no priority at all
    unread_done = unread(ctx, m.PRIORITY, done, code="priority_left_out")
    blank = done & t[m.PRIORITY].isna() & ~unread_of(ctx, m.PRIORITY)
    # a flag on a ticket with no SLA attached (no due time where the export holds them):
    # the tool's default, left out and counted apart, as the KPI leaves it out
    attached_not = done & pd.Series(outcome.no_sla, index=t.index)
    for lacking, code in ((done & ~known & ~attached_not, "no_sla"),
                          (attached_not, "no_sla_attached"), (blank, "no_priority")):
        if lacking.any():
            excluded.append(note(code, int(lacking.sum()), ctx.samples(lacking)))
    if unread_done is not None:
        excluded.append(unread_done)

    top = [int(p) for p in params["high_priorities"]]
    high = scope & t[m.PRIORITY].isin(top).fillna(False).astype(bool)
    rest = scope & ~high
    met = pd.Series(outcome.met, index=t.index)
    n_high, n_rest = int(high.sum()), int(rest.sum())
    minimum = int(params["min_per_group"])
    if min(n_high, n_rest) < minimum:
        # the tickets whose priority is unread said in the reason too: a top priority
        # renamed (Sev 1) leaves its group empty
        unread_clause = note("none_clause") if unread_done is None else note(
            "too_few_unread", unread_done.count, values=unread_done.params["values"])
        return Measurement(
            unknown=note("too_few", high=n_high, rest=n_rest, min=minimum,
                         priorities=", ".join(map(str, top)), unread=unread_clause),
            excluded=excluded,
        )

    high_met, rest_met = int((high & met).sum()), int((rest & met).sum())
    high_fig = ratio(high_met, n_high, ctx.samples(high & met))
    rest_fig = ratio(rest_met, n_rest, ctx.samples(rest & met))
    breached_high = high & ~met
    # value is always set here: both denominators are at least min_per_group (> 0)
    gap = float(rest_fig.value or 0.0) - float(high_fig.value or 0.0)
    metrics = {
        "high_adherence": high_fig,
        "rest_adherence": rest_fig,
        "adherence_gap": Figure(value=gap, sample_ids=ctx.samples(breached_high),
                                nudged=_nudged(high_met, n_high, rest_met, n_rest)),
        "overall_adherence": ratio(high_met + rest_met, n_high + n_rest),
    }
    table = _by_priority(t.loc[scope, m.PRIORITY], met[scope])
    return Measurement(metrics=metrics, tables={"by_priority": table}, excluded=excluded)
