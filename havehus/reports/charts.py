"""Bar charts as plain SVG, written on the server: no script, no style attribute, no library.

A chart is drawn for sighted readers and for print (black text, outlined bars, a legend); the
page hides it from screen readers (`aria-hidden`) and gives its numbers as a table beside it.
A hidden small count (`<5`, in exports) is drawn as no bar, marked `<5` above its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Okabe–Ito colours: told apart with the common colour vision deficiencies.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#999999",
    "#000000",
)
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 64
#: At most this many labels under the bars (every n-th beyond).
MAX_LABELS = 18

Value = int | float | str | None


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Value]


@dataclass(frozen=True)
class Chart:
    #: What the chart shows (the table alternative's caption too).
    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    stacked: bool = False


def _number(value: Value) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _step(top: int) -> int:
    """A round step for about four grid lines up to `top`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            return step
    return max(1, top // 4)


def svg(chart: Chart) -> Markup:
    """The chart as an inline SVG element (hidden from screen readers: see the table)."""
    count = len(chart.labels)
    heights = [
        sum(_number(s.values[i]) for s in chart.series)
        if chart.stacked
        else max((_number(s.values[i]) for s in chart.series), default=0)
        for i in range(count)
    ]
    top = max(heights, default=0)
    step = _step(max(top, 1))
    scale_top = max(step, -(-top // step) * step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    legend_rows = 0 if len(chart.series) < 2 else 1 + (len(chart.series) - 1) // 4
    total_h = HEIGHT + legend_rows * 18

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / scale_top

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {total_h}" '
        f'width="{WIDTH}" height="{total_h}" aria-hidden="true" focusable="false" '
        f'font-family="DejaVu Sans, sans-serif" font-size="11">'
    ]
    for tick in range(0, scale_top + 1, step):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#bbbbbb" stroke-width="0.5"/>'
            f'<text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#000000">'
            f"{tick}</text>"
        )
    slot = plot_w / max(count, 1)
    groups = 1 if chart.stacked else max(len(chart.series), 1)
    bar = max(slot * 0.8 / groups, 1.0)
    every = -(-count // MAX_LABELS) if count > MAX_LABELS else 1
    for i, label in enumerate(chart.labels):
        x0 = LEFT + slot * i + slot * 0.1
        base = 0
        hidden = False
        for n, series in enumerate(chart.series):
            value = series.values[i]
            hidden = hidden or isinstance(value, str)
            amount = _number(value)
            if chart.stacked:
                x, bottom = x0, base
                base += amount
            else:
                x, bottom = x0 + n * bar, 0
            if amount:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(bottom + amount):.1f}" width="{bar:.1f}" '
                    f'height="{y(bottom) - y(bottom + amount):.1f}" '
                    f'fill="{COLOURS[n % len(COLOURS)]}" stroke="#000000" stroke-width="0.5"/>'
                )
            if isinstance(value, str) and not chart.stacked:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y(0) - 3:.1f}" text-anchor="middle" '
                    f'font-size="9" fill="#000000">{escape(value)}</text>'
                )
        if hidden and chart.stacked:
            parts.append(
                f'<text x="{x0 + bar / 2:.1f}" y="{y(base) - 3:.1f}" text-anchor="middle" '
                f'font-size="9" fill="#000000">&lt;5</text>'
            )
        if i % every == 0:
            cx = LEFT + slot * i + slot / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{TOP + plot_h + 12}" text-anchor="end" fill="#000000" '
                f'transform="rotate(-45 {cx:.1f} {TOP + plot_h + 12})">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        f'stroke="#000000" stroke-width="1"/>'
    )
    if legend_rows:
        for n, series in enumerate(chart.series):
            lx = LEFT + (n % 4) * 168
            ly = HEIGHT + (n // 4) * 18
            parts.append(
                f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" '
                f'fill="{COLOURS[n % len(COLOURS)]}" stroke="#000000" stroke-width="0.5"/>'
                f'<text x="{lx + 14}" y="{ly}" fill="#000000">{escape(series.name)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
