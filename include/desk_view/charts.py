"""Line charts as inline SVG, drawn on the server: the desk's machines may have no internet, so no
script and no CDN. Each line is (label, colour, dates, values); the y axis has four labelled ticks."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    dates: Sequence[date]
    values: Sequence[float]
    fill: bool = False  # shade between the line and zero (a drawdown)


def line_chart(lines: list[Line], fmt: Callable[[float], str], *, title: str, width: int = 640,
               height: int = 240) -> str:
    points = [(d, v) for line in lines for d, v in zip(line.dates, line.values) if _finite(v)]
    if not points:
        return f'<p class="missing">{escape(title)}: no data yet</p>'
    left, right, top, bottom = 74, 12, 28, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    days = sorted({d for d, _ in points})
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if any(line.fill for line in lines):
        hi = max(hi, 0.0)
    if hi == lo:
        lo, hi = lo - (abs(lo) or 1) * 0.01, hi + (abs(hi) or 1) * 0.01
    pad = (hi - lo) * 0.06
    filled = any(line.fill for line in lines)  # a drawdown: zero is the top, nothing above it
    lo, hi = lo - pad, hi if filled and hi == 0 else hi + pad

    def x(d: date) -> float:
        return left + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>']
    for i in range(4):
        v = lo + (hi - lo) * i / 3
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{escape(fmt(v))}</text>')
    for d, anchor in ((first, "start"), (first + (last - first) / 2, "middle"), (last, "end")):
        parts.append(f'<text x="{x(d):.1f}" y="{height - 8}" class="tick" text-anchor="{anchor}">{d:%Y-%m-%d}</text>')
    legend_x = width - right
    for line in reversed(lines):
        parts.append(f'<text x="{legend_x}" y="16" class="legend" text-anchor="end" fill="{line.colour}">'
                     f'&#9632; {escape(line.label)}</text>')
        legend_x -= 12 + 7.5 * (len(line.label) + 2)
    for line in lines:
        pts = [(x(d), y(v)) for d, v in zip(line.dates, line.values) if _finite(v)]
        if not pts:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        if line.fill:
            zero = y(0.0)
            parts.append(f'<polygon points="{pts[0][0]:.1f},{zero:.1f} {path} {pts[-1][0]:.1f},{zero:.1f}" '
                         f'fill="{line.colour}" fill-opacity="0.18"/>')
        parts.append(f'<polyline points="{path}" fill="none" stroke="{line.colour}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)
