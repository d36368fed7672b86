"""Compare two reports: which signs appeared or cleared, score, band, KPI and hours deltas.

Pure: two :class:`~itsm_diag.report.Report` objects in, a
:class:`~itsm_diag.report.Comparison` out (the model lives in ``report.py`` because a
report can carry its comparison with a baseline). Reading report files is
:func:`itsm_diag.api.load_report`'s job.

The CI gate (``--fail-on-increase``) is :attr:`Comparison.increased`: true when the
score is higher than the baseline's, or when at least one sign is triggered now that
was not triggered in the baseline (clear, unknown or absent there), even if another
sign cleared and the score stayed the same. Nothing else fails it: a sign turning
unknown, a KPI getting worse or more hours at stake are reported, never gated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from itsm_diag.engine import band_for
from itsm_diag.report import (
    Band,
    Comparison,
    Delta,
    Direction,
    Finding,
    Report,
    ReportRef,
    SignChange,
    SignChangeKind,
    Status,
)
from itsm_diag.text import SHOWN_DIGITS, fmt

__all__ = ["Comparison", "compare", "sign_change"]

_BANDS: tuple[Band, ...] = ("healthy", "gaps", "slowing", "crisis")
#: deltas are rounded so float noise (0.1 + 0.2) cannot make two runs' JSON differ
_DIGITS = 6


def sign_change(old: Status | None, new: Status | None) -> SignChangeKind:
    """How one sign moved. ``None`` means the sign is not in that report.

    appeared: triggered now, not before · cleared: triggered before, clear now ·
    now_unknown: unknown now, known (or absent) before · now_measured: unknown before,
    clear now · unchanged: the same status.
    """
    if old == new:
        return "unchanged"
    if new == "triggered":
        return "appeared"
    if old == "triggered" and new == "clear":
        return "cleared"
    if new == "unknown" or new is None:
        return "now_unknown"
    return "now_measured"


#: the digits a value is shown with, by unit: a move smaller than what is shown is no
#: move (64.04% against 64.01% reads "64% -> 64%", and must not be called worse); a
#: ratio's change shows tenths of a point, one digit more than its value
_SHOWN = {**SHOWN_DIGITS, "ratio": 3}


def _direction(old: float | None, new: float | None, lower_is_better: bool,
               unit: str = "") -> Direction | None:
    if old is None or new is None:
        return None
    digits = _SHOWN.get(unit, _DIGITS)
    old, new = round(old, digits), round(new, digits)
    if new == old:
        return "same"
    return "better" if (new < old) == lower_is_better else "worse"


def _delta(name: str, label: str, unit: str, old: float | None, new: float | None,
           lower_is_better: bool | None) -> Delta:
    diff = None if old is None or new is None else round(new - old, _DIGITS)
    if diff is not None and round(diff, _SHOWN.get(unit, _DIGITS)) == 0:
        diff = 0.0  # no "-0.0 pp": an unchanged value moved by nothing
    return Delta(
        name=name, label=label, unit=unit,
        old=None if old is None else round(old, _DIGITS),
        new=None if new is None else round(new, _DIGITS),
        delta=diff,
        direction=None if lower_is_better is None
        else _direction(old, new, lower_is_better, unit),
    )


def _ref(r: Report) -> ReportRef:
    return ReportRef(as_of=r.as_of, window_start=r.window.start, window_end=r.window.end,
                     version=r.generated_by.version, score=r.score, band=r.band,
                     band_range=list(r.band_range) if r.band_range else None)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _open_backlog(r: Report) -> float | None:
    """Tickets open at the window end, as the backlog sign counted them."""
    if "open_now" in r.kpis.backlog:
        return _number(r.kpis.backlog["open_now"])
    weekly = r.kpis.backlog_weekly
    return _number(weekly[-1].get("open")) if weekly else None


def hours_at_stake(r: Report) -> float:
    """Agent hours a month at stake: the sum over triggered signs (what the fix plan
    addresses); a triggered sign that cannot be priced adds nothing."""
    return round(sum(f.hours_at_stake_per_month or 0.0 for f in r.signs
                     if f.status == "triggered"), 1)


#: (name, unit, getter, lower is better; None: neither); each row's label is the
#: ``compare.<name>`` wording of ``rules/defaults.yaml``
_KPIS: tuple[tuple[str, str, Callable[[Report], float | None], bool | None], ...] = (
    ("ttr_median", "hours", lambda r: _number(r.kpis.time_to_resolve_hours.get("median")),
     True),
    ("ttr_p90", "hours", lambda r: _number(r.kpis.time_to_resolve_hours.get("p90")), True),
    ("first_assignment_resolution", "ratio", lambda r: r.kpis.first_assignment_resolution,
     False),
    ("sla_adherence", "ratio", lambda r: r.kpis.sla_adherence, False),
    ("open_backlog", "count", _open_backlog, True),
    ("tickets_in_window", "count", lambda r: float(r.tickets.in_window), None),
)


def _notes(old: Report, new: Report, wording: Mapping[str, str]) -> list[str]:
    """Reasons to read the deltas with care; empty when the runs are like for like."""
    def note(key: str, **values: Any) -> str:
        return fmt(wording[f"compare_note.{key}"], values)

    notes = []
    tools_old, tools_new = _tools(old), _tools(new)
    if tools_old and tools_new and tools_old != tools_new:
        notes.append(note("tools", old=", ".join(sorted(tools_old)),
                          new=", ".join(sorted(tools_new))))
    kinds_old = {k for k, n in old.tickets.by_kind.items() if n}
    kinds_new = {k for k, n in new.tickets.by_kind.items() if n}
    if kinds_old != kinds_new:
        notes.append(note("kinds", only_old=", ".join(sorted(kinds_old - kinds_new)) or "none",
                          only_new=", ".join(sorted(kinds_new - kinds_old)) or "none"))
    small, large = sorted((old.tickets.in_window, new.tickets.in_window))
    if small and large >= 2 * small:
        notes.append(note("size", old=old.tickets.in_window, new=new.tickets.in_window))
    if old.as_of >= new.as_of:
        notes.append(note("order", old=old.as_of[:10], new=new.as_of[:10]))
    shapes_old, shapes_new = set(old.extract_shape), set(new.extract_shape)
    if shapes_old != shapes_new:
        # a cut that hides the open work (closure-selected, nothing open) changes what the
        # signs can see, so deltas across two cuts are not the process moving
        notes.append(note("shape", old=", ".join(sorted(shapes_old)) or "none",
                          new=", ".join(sorted(shapes_new)) or "none"))
    if new.unknown > old.unknown:
        notes.append(note("unknown", old=old.unknown, new=new.unknown))
    if abs(old.window.weeks - new.window.weeks) > 0.5:
        notes.append(note("window", old=old.window.weeks, new=new.window.weeks))
    if old.window.tz != new.window.tz:
        # --tz sets the window's days and the instants of times without a zone
        notes.append(note("tz", old=old.window.tz, new=new.window.tz))
    if old.generated_by.version != new.generated_by.version:
        notes.append(note("version", old=old.generated_by.version,
                          new=new.generated_by.version))
    if old.assumptions.overrides.keys() != new.assumptions.overrides.keys():
        only_old = sorted(set(old.assumptions.overrides) - set(new.assumptions.overrides))
        only_new = sorted(set(new.assumptions.overrides) - set(old.assumptions.overrides))
        parts = [note("only_old", ids=", ".join(only_old))] if only_old else []
        parts += [note("only_new", ids=", ".join(only_new))] if only_new else []
        notes.append(note("overrides", parts="; ".join(parts)))
    return notes


def _tools(r: Report) -> set[str]:
    return {i.tool for i in r.inputs}


def compare(old: Report, new: Report, wording: Mapping[str, str]) -> Comparison:
    """What changed from the baseline ``old`` to ``new`` (signs in ``new``'s order, then
    any the baseline alone has), worded with ``wording`` (the rules' defaults)."""
    before: dict[str, Finding] = {f.id: f for f in old.signs}
    after: dict[str, Finding] = {f.id: f for f in new.signs}
    order = [*after, *(i for i in before if i not in after)]
    changes = []
    for sign_id in order:
        o, n = before.get(sign_id), after.get(sign_id)
        ref = n or o
        assert ref is not None  # nosec B101  # type narrowing: every id came from a report
        changes.append(SignChange(
            id=sign_id, number=ref.number, title=ref.title,
            old=o.status if o else None, new=n.status if n else None,
            change=sign_change(o.status if o else None, n.status if n else None),
            hours_old=o.hours_at_stake_per_month if o else None,
            hours_new=n.hours_at_stake_per_month if n else None,
        ))
    appeared = [c.id for c in changes if c.change == "appeared"]
    cleared = [c.id for c in changes if c.change == "cleared"]
    # an undetermined band moves with its lower end, the band of the score
    band_old, band_new = (_BANDS.index(band_for(old.score)), _BANDS.index(band_for(new.score)))
    band_direction: Direction = ("same" if band_old == band_new
                                 else "worse" if band_new > band_old else "better")
    return Comparison(
        baseline=_ref(old),
        current=_ref(new),
        score=_delta("score", wording["compare.score"], "count", old.score, new.score,
                     True),
        band_old=old.band,
        band_new=new.band,
        band_direction=band_direction,
        appeared=appeared,
        cleared=cleared,
        signs=changes,
        kpis=[_delta(name, wording[f"compare.{name}"], unit, get(old), get(new), lower)
              for name, unit, get, lower in _KPIS],
        hours_at_stake=_delta("hours_at_stake", wording["compare.hours_at_stake"], "hours",
                              hours_at_stake(old), hours_at_stake(new), True),
        increased=new.score > old.score or bool(appeared),
        notes=_notes(old, new, wording),
    )
