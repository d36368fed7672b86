"""Extra check ``channels``: how fragmented the intake is.

Fragmentation is 1 - the Herfindahl index of channel shares: 0 when every ticket comes
through one channel, approaching 1 - 1/k when k channels carry equal shares. Tickets
with no channel are left out (and counted); no channel at all is unknown. Tickets a
machine raised (the trust sign's bypass set: :func:`~itsm_diag.signs.trust.
raised_by_machine`) are no door a person chose: left out, counted, so the check reads
the intake the bypass share reads.
"""

from __future__ import annotations

from itsm_diag import model as m
from itsm_diag.checks._common import in_kinds, no_value, note, unread
from itsm_diag.signs.base import Confidence, Context, Figure, Measurement, Note, ParamMap, ratio
from itsm_diag.signs.common import unread_of
from itsm_diag.signs.trust import raised_by_machine


def measure(ctx: Context, params: ParamMap) -> Measurement:
    t = ctx.tickets
    scope = in_kinds(ctx, params) & ctx.opened_in_window()
    # a monitoring alert, or one e-mailed by "Zabbix Monitoring", is no door a person
    # chose: left out as the trust sign's bypass leaves it out (its neutral channels)
    machine = scope & raised_by_machine(ctx, ctx.signs.get("trust") or {})
    scope = scope & ~machine
    known = scope & t[m.CHANNEL].notna()
    if scope.any() and not known.any():
        # channels the reading could not put in the vocabulary: named, not called missing
        return Measurement(unknown=no_value(ctx, [m.CHANNEL], code="channel_unread",
                                            mask=scope))
    one = ctx.shape.one_channel
    if one is not None:
        # every incident and request through one channel: an export of one intake reads
        # no fragmentation by its filter, as a desk whose tool records one channel does
        return Measurement(unknown=note("one_channel", **one.params()))
    n = int(known.sum())
    minimum = int(params["min_tickets"])
    if n < minimum:
        return Measurement(unknown=note("too_few", n=n, min=minimum))
    fill = n / int(scope.sum())
    if fill < float(params["min_fill"]):
        return Measurement(unknown=note("sparse", n=n, total=int(scope.sum()), share=fill,
                                        min=float(params["min_fill"])))

    excluded: list[Note] = []
    if machine.any():
        excluded.append(note("machine_made", int(machine.sum()), ctx.samples(machine),
                             n=int(scope.sum() + machine.sum())))
    confidence: Confidence = "high"
    unknown_channel = scope & ~known
    # a channel left empty by the reading while the tool's label is kept: named apart
    unread_channel = unread(ctx, m.CHANNEL, scope, code="channel_left_out")
    blank = unknown_channel & ~unread_of(ctx, m.CHANNEL)
    if blank.any():
        excluded.append(note("no_channel", int(blank.sum()), ctx.samples(blank)))
    if unread_channel is not None:
        excluded.append(unread_channel)
    # shares of a minority of tickets may not describe the whole intake
    if unknown_channel.sum() / scope.sum() > float(params["max_unknown_share"]):
        confidence = "medium"

    counts = t.loc[known, m.CHANNEL].value_counts()
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    shares = counts / n
    hhi = float((shares**2).sum())
    # channels needed to carry the coverage share: the first k whose cumulative share reaches it
    reach = float(params["coverage_share"])
    cum = shares.cumsum().to_numpy()
    needed = int((cum < reach - 1e-12).sum()) + 1
    top = str(counts.index[0])
    top_mask = known & t[m.CHANNEL].eq(top).fillna(False).astype(bool)
    other_mask = known & ~top_mask
    metrics = {
        "fragmentation": Figure(value=1.0 - hhi, sample_ids=ctx.samples(other_mask)),
        "channels_for_coverage": Figure(value=float(needed)),
        "top_channel_share": ratio(counts.iloc[0], n, ctx.samples(top_mask)),
        "channels_used": Figure(value=float(len(counts))),
    }
    by_channel = [
        {"channel": str(c), "n": int(k), "share": round(float(k) / n, 4)}
        for c, k in counts.items()
    ]
    return Measurement(
        metrics=metrics,
        confidence=confidence,
        tables={"by_channel": by_channel},
        excluded=excluded,
        notes=[note("top_channel", channel=top, needed=needed, coverage=reach)],
    )
