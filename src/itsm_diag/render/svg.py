"""A small, deterministic SVG drawing kit for the HTML report's charts.

The charts are simple (bars, a line, points, a grid of cells), so they are written as SVG
by hand instead of through a plotting library: nothing heavy is imported, and the same
Report gives the same bytes on any computer. What the kit does:

- scales: a value maps linearly onto the plot box; axis ticks are round numbers (steps of
  1, 2, 2.5 or 5 times a power of ten, whole numbers for counts) and dates fall on round
  days (Mondays, the 1st and 15th, months...), so no tick reads ``Jul 03 13:42``;
- text stays text (selectable, in the page's own font, which the inline SVG inherits);
  its width is estimated from Helvetica's metrics with a margin, only to make room for
  labels and to thin tick labels that would overlap;
- every string is escaped for XML, with the characters XML cannot hold (control
  characters, U+FFFE/U+FFFF, lone surrogates) shown as escapes, so ticket text can
  neither end the SVG early nor make it unparseable;
- coordinates are written with at most one decimal: the output is stable byte for byte.

No ids and no references: several charts sit in one page, and the page forbids fetches.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from itsm_diag.render.common import MONTH_NAMES
from itsm_diag.text import shown

#: the drawing's width in SVG units; the page shows it at most 720 px wide (style.css)
WIDTH = 720
INK = "#1d2330"
AXIS = "#9aa1ad"
GRID = "#e3e6eb"
TICK_SIZE = 12
LABEL_SIZE = 13
SMALL = 11
#: under a horizontal axis: the tick labels' baseline, the axis label's, and the room both take
TICK_BELOW = 5 + TICK_SIZE
LABEL_BELOW = TICK_BELOW + 6 + LABEL_SIZE
AXIS_ROOM = LABEL_BELOW + 8

# advance widths (thousandths of an em) of ' ' to '~': the wider of Helvetica (Arial,
# Liberation Sans) and DejaVu Sans (the usual system-ui fallback on Linux), so a label is
# given the room it takes in either
_ASCII = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 556,
    1015, 709, 686, 722, 770, 667, 611, 778, 752, 295, 500, 667, 557, 863, 748, 787,
    667, 787, 722, 667, 611, 732, 684, 989, 685, 667, 685, 390, 337, 390, 838, 556,
    500, 613, 635, 550, 635, 615, 344, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 395, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
]
#: a margin for fonts a little wider still
_SLACK = 1.05
#: characters XML 1.0 cannot hold at all, even as references
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: object) -> str:
    """``text`` safe inside an SVG element or a quoted attribute: control and bidi
    characters shown as escapes (as the rest of the page shows them), then ``& < > " '``
    as entities."""
    s = _NOT_XML.sub("\ufffd", shown(text, one_line=True))
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def n(value: float) -> str:
    """A coordinate: at most one decimal, no ``-0``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def drop(size: float) -> float:
    """How far below a line a text's baseline goes for the text to sit centred on it."""
    return 0.35 * size


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at ``size`` (generous: a label is never cut)."""
    total = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 126:
            total += _ASCII[code - 32]
        elif unicodedata.combining(ch):
            continue
        elif ch == "…" or unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1000
        else:
            total += 700
    return total / 1000 * size * _SLACK


def fit(text: str, size: float, room: float) -> str:
    """``text`` cut (an ellipsis marks the cut) to about ``room`` wide at ``size``: a long
    label keeps the plot its room instead of running off the drawing's edge."""
    if text_width(text, size) <= room:
        return text
    while len(text) > 1 and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


# ---- scales and ticks -----------------------------------------------------------------------

def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering ``lo``..``hi``, about ``count`` intervals: steps of 1, 2,
    2.5 or 5 times a power of ten (whole steps when ``integer``)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = 10 * mag
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = m * mag
        if integer and candidate != int(candidate):
            continue
        if candidate >= raw - 1e-12:
            step = candidate
            break
    if integer:
        step = max(step, 1.0)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def tick_text(value: float, ticks: Sequence[float] = ()) -> str:
    """A tick value as text, with the decimals its step needs ('1,500', '2.5', '0.25')."""
    step = min((abs(b - a) for a, b in itertools.pairwise(ticks)), default=1.0)
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Scale:
    """A linear map from data values (``lo``..``hi``) to SVG coordinates (``a``..``b``)."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        if span == 0:
            return self.a
        return self.a + (value - self.lo) / span * (self.b - self.a)


def thin_step(count: int, label_width: float, slot: float, most: int | None = None) -> int:
    """Show every ``step``-th of ``count`` category labels so that none overlaps (labels
    ``label_width`` wide, categories ``slot`` apart) and at most ``most`` are shown."""
    step = max(1, math.ceil((label_width + 8) / slot)) if slot > 0 else count or 1
    if most:
        step = max(step, math.ceil(count / most))
    return step


#: the month steps date ticks may take
_MONTH_STEPS = (1, 2, 3, 6, 12)


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def day_label(d: date | datetime) -> str:
    """``Jul 03``: a tick's or a tooltip's day (month names fixed, not the locale's)."""
    return f"{MONTH_NAMES[d.month - 1]} {d.day:02d}"


def month_label(d: date | datetime) -> str:
    """``Jul 2026``: a monthly tick."""
    return f"{MONTH_NAMES[d.month - 1]} {d.year}"


def date_ticks(lo: datetime, hi: datetime, most: int = 7) -> list[tuple[datetime, str]]:
    """Round dates between ``lo`` and ``hi`` (both included) as (moment, label), at most
    ``most``: every day, 2 days, Monday, 1st and 15th, or 1st of every 1, 2, 3, 6 or 12
    months; a span holding no round date gets its two ends."""
    start = lo.date() if lo.time() == datetime.min.time() else lo.date() + timedelta(days=1)
    end = hi.date()

    def days(every: int) -> list[date]:
        first = start if every < 7 else start + timedelta(days=(7 - start.weekday()) % 7)
        return [first + timedelta(days=i) for i in range(0, (end - first).days + 1, every)]

    def months(every: int) -> list[date]:
        d = _add_months(start, 0 if start.day == 1 else 1)
        while (d.month - 1) % every:
            d = _add_months(d, 1)
        out = []
        while d <= end:
            out.append(d)
            d = _add_months(d, every)
        return out

    every_day = days(1)
    options = [(every_day, day_label), (days(2), day_label), (days(7), day_label),
               ([d for d in every_day if d.day in (1, 15)], day_label)]
    options += [(months(m), month_label) for m in _MONTH_STEPS]
    for dates, label in options:
        if 2 <= len(dates) <= most:
            return [(datetime(d.year, d.month, d.day), label(d)) for d in dates]
    dates, label = options[-1]
    if len(dates) >= 2:
        return [(datetime(d.year, d.month, d.day), label(d)) for d in dates]
    return [(lo, day_label(lo)), (hi, day_label(hi))] if hi > lo else [(lo, day_label(lo))]


# ---- the drawing ----------------------------------------------------------------------------

@dataclass
class Canvas:
    """SVG elements in drawing order; :meth:`svg` wraps them in the chart's root."""

    parts: list[str] = field(default_factory=list)

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *,
             opacity: float | None = None, tip: str | None = None) -> None:
        attrs = f'x="{n(x)}" y="{n(y)}" width="{n(max(w, 0))}" height="{n(max(h, 0))}" ' \
                f'fill="{fill}"'
        if opacity is not None:
            attrs += f' fill-opacity="{opacity:g}"'
        self.add(_element("rect", attrs, tip))

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS,
             width: float = 1) -> None:
        self.add(f'<line x1="{n(x1)}" y1="{n(y1)}" x2="{n(x2)}" y2="{n(y2)}" '
                 f'stroke="{stroke}" stroke-width="{n(width)}"/>')

    def polyline(self, points: Iterable[tuple[float, float]], stroke: str,
                 width: float) -> None:
        pts = " ".join(f"{n(x)},{n(y)}" for x, y in points)
        self.add(f'<polyline points="{pts}" fill="none" stroke="{stroke}" '
                 f'stroke-width="{n(width)}"/>')

    def circle(self, x: float, y: float, r: float, color: str, *, hollow: bool = False,
               tip: str | None = None) -> None:
        paint = (f'fill="#fff" stroke="{color}" stroke-width="1.5"' if hollow
                 else f'fill="{color}"')
        self.add(_element("circle", f'cx="{n(x)}" cy="{n(y)}" r="{n(r)}" {paint}', tip))

    def text(self, x: float, y: float, text: str, *, size: float = TICK_SIZE,
             anchor: str = "start", color: str = INK, rotate: float | None = None) -> None:
        """``text`` (escaped here) with its baseline at ``y``."""
        attrs = f'x="{n(x)}" y="{n(y)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if size != TICK_SIZE:
            attrs += f' font-size="{n(size)}"'
        if color != INK:
            attrs += f' fill="{color}"'
        if rotate is not None:
            attrs += f' transform="rotate({n(rotate)} {n(x)} {n(y)})"'
        self.add(f"<text {attrs}>{esc(text)}</text>")

    def svg(self, chart_id: str, caption: str, height: float) -> str:
        head = (f'<svg class="chart-svg" role="img" aria-label="{esc(caption)}" '
                f'data-chart="{esc(chart_id)}" xmlns="http://www.w3.org/2000/svg" '
                f'viewBox="0 0 {WIDTH} {n(math.ceil(height))}" width="100%" '
                f'font-size="{TICK_SIZE}" fill="{INK}">')
        return "\n".join([head, f"<title>{esc(caption)}</title>", *self.parts, "</svg>"])


def _element(tag: str, attrs: str, tip: str | None) -> str:
    if tip is None:
        return f"<{tag} {attrs}/>"
    return f"<{tag} {attrs}><title>{esc(tip)}</title></{tag}>"


# ---- legends and axes -----------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One legend entry: a swatch (``box``, ``line`` with a dot, ``dot`` or ``ring``)."""

    label: str
    color: str
    mark: str = "box"
    opacity: float | None = None


def legend(canvas: Canvas, keys: Sequence[Key], x: float, y: float, right: float) -> float:
    """Draw ``keys`` left to right from (``x``, ``y``: top), wrapping before ``right``;
    the height used."""
    if not keys:
        return 0.0
    row_h, cx, cy = 18.0, x, y
    for key in keys:
        w = 18 + 5 + text_width(key.label, SMALL)
        if cx > x and cx + w > right:
            cx, cy = x, cy + row_h
        mid = cy + 7
        if key.mark == "line":
            canvas.line(cx, mid, cx + 18, mid, key.color, 2.6)
            canvas.circle(cx + 9, mid, 3, key.color)
        elif key.mark in ("dot", "ring"):
            canvas.circle(cx + 9, mid, 4, key.color, hollow=key.mark == "ring")
        else:
            canvas.rect(cx + 2, mid - 5, 14, 10, key.color, opacity=key.opacity)
        canvas.text(cx + 23, mid + drop(SMALL), key.label, size=SMALL)
        cx += w + 16
    return cy - y + row_h


def value_axis(canvas: Canvas, scale: Scale, ticks: Sequence[float], *, left: float,
               right: float, label: str = "") -> None:
    """A vertical value axis at ``left`` with round ticks and light grid lines across to
    ``right``; ``label`` written upwards beside it."""
    width = 0.0
    for t in ticks:
        y = scale(t)
        if t != ticks[0]:
            canvas.line(left, y, right, y, GRID)
        canvas.line(left - 4, y, left, y)
        text = tick_text(t, ticks)
        width = max(width, text_width(text, TICK_SIZE))
        canvas.text(left - 7, y + drop(TICK_SIZE), text, anchor="end")
    canvas.line(left, scale(ticks[0]), left, scale(ticks[-1]))
    if label:
        x, y = left - 7 - width - 8, (scale(ticks[0]) + scale(ticks[-1])) / 2
        canvas.text(x, y, label, size=LABEL_SIZE, anchor="middle", rotate=-90)


def value_axis_room(ticks: Sequence[float], label: bool = True) -> float:
    """The left margin a :func:`value_axis` needs."""
    widest = max(text_width(tick_text(t, ticks), TICK_SIZE) for t in ticks)
    return 7 + widest + (8 + LABEL_SIZE + 4 if label else 4)


def count_axis(canvas: Canvas, scale: Scale, ticks: Sequence[float], *, top: float,
               bottom: float, label: str = "") -> None:
    """A horizontal value axis along ``bottom`` with round ticks, light grid lines up to
    ``top`` and ``label`` centred under it."""
    for t in ticks:
        x = scale(t)
        if t != ticks[0]:
            canvas.line(x, top, x, bottom, GRID)
        canvas.line(x, bottom, x, bottom + 4)
        canvas.text(x, bottom + TICK_BELOW, tick_text(t, ticks), anchor="middle")
    canvas.line(scale(ticks[0]), bottom, scale(ticks[-1]), bottom)
    if label:
        canvas.text((scale(ticks[0]) + scale(ticks[-1])) / 2, bottom + LABEL_BELOW, label,
                    size=LABEL_SIZE, anchor="middle")
