"""Server-rendered trend charts: coordinates are computed here, the SVG is drawn by an auto-escaped template
(web/_trend.html), so no markup is ever built from strings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext, ngettext

from keel.web.dates import shown_date, shown_datetime, shown_month, shown_month_short


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: int
    label: str  # the time, for the tooltip and the text summary


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    left: int
    bottom: float
    points: str  # the polyline's "x,y x,y ..."
    dots: tuple[Dot, ...]
    ticks: tuple[Tick, ...]
    summary: str  # what a screen reader hears instead of the picture


def trend(
    series: Sequence[tuple[datetime, int]], *, y_max: int, title: str, width: int = 640, height: int = 220
) -> Trend | None:
    """A line over time for `series` (oldest first), y from 0 to y_max; None when there is nothing to draw."""
    if not series:
        return None
    left, right, top, bottom = 36, 12, 12, height - 28
    start, end = series[0][0], series[-1][0]
    span = (end - start).total_seconds() or 1.0

    def x_of(when: datetime) -> float:
        if len(series) == 1:
            return left + (width - left - right) / 2
        return round(left + (when - start).total_seconds() / span * (width - left - right), 1)

    def y_of(value: int) -> float:
        return round(bottom - min(max(value, 0), y_max) / (y_max or 1) * (bottom - top), 1)

    dots = tuple(Dot(x_of(t), y_of(v), v, shown_datetime(t)) for t, v in series)  # lane words32: in words
    step = max(1, round(y_max / 4))
    ticks = tuple(Tick(y_of(v), v) for v in range(0, y_max + 1, step))
    values = [v for _, v in series]
    summary = ngettext(
        "%(title)s: %(n)s score from %(first)s to %(last)s; first %(a)s, last %(b)s, lowest %(low)s, "
        "highest %(high)s.",
        "%(title)s: %(n)s scores from %(first)s to %(last)s; first %(a)s, last %(b)s, lowest %(low)s, "
        "highest %(high)s.",
        len(values),
    ) % {
        "title": title,
        "n": len(values),
        "first": dots[0].label,
        "last": dots[-1].label,
        "a": values[0],
        "b": values[-1],
        "low": min(values),
        "high": max(values),
    }
    return Trend(width, height, left, bottom, " ".join(f"{d.x},{d.y}" for d in dots), dots, ticks, summary)


@dataclass(frozen=True)
class DailyLine:
    name: str
    css: str  # class of the line: craving or mood
    points: str  # "x,y x,y" (a gap-free run of days; a missing day breaks nothing, the line joins neighbours)
    dots: tuple[Dot, ...]


@dataclass(frozen=True)
class Marker:
    x: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    left: int
    top: int
    bottom: float
    lines: tuple[DailyLine, ...]
    markers: tuple[Marker, ...]  # days with reported use
    ticks: tuple[Tick, ...]
    first: str
    last: str
    summary: str


def daily_chart(
    start: date,
    end: date,
    lines: Sequence[tuple[str, str, Sequence[tuple[date, int]], int]],
    marked: Sequence[date],
    *,
    summary: str,
    width: int = 640,
    height: int = 220,
) -> DailyChart:
    """Several day-by-day lines over [start, end], each scaled to 0..its own max, with marked days (e.g. use
    days) as vertical bars. `lines` holds (name, css class, [(day, value)], max value)."""
    left, right, top, bottom = 36, 12, 12, height - 28
    span = max((end - start).days, 1)

    def x_of(day: date) -> float:
        return round(left + (day - start).days / span * (width - left - right), 1)

    def y_of(value: int, top_value: int) -> float:
        return round(bottom - min(max(value, 0), top_value) / (top_value or 1) * (bottom - top), 1)

    drawn = []
    for name, css, series, top_value in lines:
        dots = tuple(Dot(x_of(d), y_of(v, top_value), v, shown_date(d)) for d, v in series)
        drawn.append(DailyLine(name, css, " ".join(f"{d.x},{d.y}" for d in dots), dots))
    scale = lines[0][3] if lines else 10
    ticks = tuple(Tick(y_of(v, scale), v) for v in sorted({0, scale // 2, scale}))
    return DailyChart(
        width,
        height,
        left,
        top,
        bottom,
        tuple(drawn),
        tuple(Marker(x_of(d), shown_date(d)) for d in marked),
        ticks,
        shown_date(start),
        shown_date(end),
        summary,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the month in words ("November 2026"), for the tooltip and the text summary
    text: str  # the value as shown ("—" when there is none)
    under: str = ""  # the month under the bar, short ("Nov"; its year on the first bar and a January)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    bottom: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    summary: str


def bar_chart(
    series: Sequence[tuple[str, float | None]],
    *,
    y_max: float,
    unit: str,
    title: str,
    width: int = 640,
    height: int = 200,
) -> BarChart:
    """One bar per label (an ISO month, "2026-11", said in the reader's words: lane words35), scaled 0..y_max;
    a missing value draws no bar and reads as "no data"."""
    left, right, top, bottom = 40, 8, 12, height - 28
    count = max(len(series), 1)
    slot = (width - left - right) / count
    scale = y_max or 1.0

    def y_of(value: float) -> float:
        return round(bottom - min(max(value, 0.0), scale) / scale * (bottom - top), 1)

    bars = tuple(
        Bar(
            round(left + i * slot + slot * 0.15, 1),
            y_of(v if v is not None else 0.0),
            round(slot * 0.7, 1),
            round(bottom - y_of(v if v is not None else 0.0), 1),
            shown_month(label),
            "—" if v is None else f"{v:g}{unit}",
            shown_month_short(label, first=i == 0),
        )
        for i, (label, v) in enumerate(series)
    )
    ticks = tuple(Tick(y_of(v), int(v)) for v in (0.0, scale / 2, scale))
    shown = [f"{b.label} {b.text}" for b in bars]
    summary = f"{title}: " + ("; ".join(shown) if shown else gettext("no data")) + "."
    return BarChart(width, height, left, bottom, bars, ticks, summary)
