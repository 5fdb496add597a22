"""Server-rendered SVG: the month-by-month 学时 chart (no script, no style attributes, CSS classes only)."""

from __future__ import annotations

from markupsafe import Markup, escape

from lms.charts import nice_max
from lms.hours.sources import LEDGER_SOURCES, SOURCES
from lms.units import number_text as _fmt

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 22, 34


def month_chart(by_month: list[dict[str, int]], *, seconds_per_hour: int, year: int,
                target_per_month: float, focus_month: int = 12) -> Markup:
    """Stacked bars per month (by source), in 学时, with a line at the even monthly pace.

    `data-focus` is where `focus_month` (this month, in the current year) sits across the chart, as
    a fraction of its width: on a phone the chart scrolls sideways, and chart-focus.js brings that
    month into view."""
    hours = [{s: m.get(s, 0) / seconds_per_hour for s in SOURCES} for m in by_month]
    totals = [max(0.0, sum(h.values())) for h in hours]
    top = nice_max(max([*totals, target_per_month, 1.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / 12
    bar_w = slot * 0.6

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * (v / top)

    focus = (LEFT + slot * (min(max(focus_month, 1), 12) - 0.5)) / WIDTH
    desc = "；".join(f"{i + 1}月 {_fmt(t)} 学时" for i, t in enumerate(totals))
    out = [
        f'<svg class="month-chart" viewBox="0 0 {WIDTH} {HEIGHT}" data-focus="{focus:.3f}" role="img" '
        f'aria-labelledby="month-chart-title month-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="month-chart-title">{year} 年各月学时</title>',
        f'<desc id="month-chart-desc">{escape(desc)}。虚线为平均每月 {_fmt(target_per_month)} 学时。</desc>',
    ]
    for tick in (0, top / 2, top):
        ty = y(tick)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    out.append(f'<text class="axis" x="4" y="{TOP - 8}">学时</text>')
    for i, h in enumerate(hours):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = 0.0
        for source in LEDGER_SOURCES:
            v = h[source.key]
            if v <= 0:
                continue
            y0, y1 = y(base), y(base + v)
            out.append(
                f'<rect class="bar {source.bar_class}" x="{x:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y0 - y1, 0.5):.1f}"><title>{i + 1}月 {source.label} {_fmt(v)} 学时</title></rect>'
            )
            base += v
        if totals[i] > 0:
            out.append(
                f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y(totals[i]) - 4:.1f}" '
                f'text-anchor="middle">{_fmt(totals[i])}</text>'
            )
        out.append(
            f'<text class="axis" x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{i + 1}月</text>'
        )
    ty = y(target_per_month)
    out.append(f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
    out.append("</svg>")
    return Markup("".join(out))
