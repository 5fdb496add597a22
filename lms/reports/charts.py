"""Server-rendered SVG for the reports (no script, no style attributes: CSS classes only)."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from lms.charts import nice_max
from lms.units import number_text as _fmt

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 24, 40


def _frame(cls: str, title_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="report-chart {cls}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id}-title {title_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}-title">{escape(title)}</title>',
        f'<desc id="{title_id}-desc">{escape(desc)}</desc>',
    ]


def _grid(out: list[str], top: float, y, label: str) -> None:
    for tick in (0, top / 2, top):
        ty = y(tick)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    out.append(f'<text class="axis" x="4" y="{TOP - 10}">{escape(label)}</text>')


def histogram(bins: list[int], *, bin_hours: int, required_hours: float, title: str) -> Markup:
    """Members per 学时 bin, with a vertical line at the requirement."""
    n = len(bins)
    top = nice_max(max([*bins, 1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * (v / top)

    labels = [f"{i * bin_hours}–{(i + 1) * bin_hours}" for i in range(n - 1)] + [f"≥{(n - 1) * bin_hours}"]
    desc = "；".join(f"{lab} 学时 {c} 人" for lab, c in zip(labels, bins, strict=True))
    out = _frame("histogram", "hist", title, f"{desc}。竖线为 {_fmt(required_hours)} 学时要求。")
    _grid(out, top, y, "人数")
    for i, count in enumerate(bins):
        x = LEFT + slot * i + slot * 0.1
        w = slot * 0.8
        reached = i * bin_hours >= required_hours
        if count:
            y1 = y(count)
            out.append(
                f'<rect class="hbar{" hbar-done" if reached else ""}" x="{x:.1f}" y="{y1:.1f}" width="{w:.1f}" '
                f'height="{max(y(0) - y1, 0.5):.1f}"><title>{labels[i]} 学时：{count} 人</title></rect>'
            )
            out.append(f'<text class="value" x="{x + w / 2:.1f}" y="{y1 - 4:.1f}" text-anchor="middle">{count}</text>')
        out.append(
            f'<text class="axis" x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{labels[i]}</text>'
        )
    out.append(f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">学时</text>')
    rx = LEFT + slot * min(required_hours / bin_hours, n)
    out.append(f'<line class="target" x1="{rx:.1f}" x2="{rx:.1f}" y1="{TOP - 6}" y2="{y(0):.1f}"/>')
    out.append(f'<text class="target-label" x="{rx + 4:.1f}" y="{TOP + 4}">{_fmt(required_hours)} 学时</text>')
    out.append("</svg>")
    return Markup("".join(out))


def progress_chart(monthly_seconds: list[int], *, members: int, seconds_per_hour: int, required_hours: float,
                   year: int, today: date, title: str) -> Markup:
    """Average cumulative 学时 per member at each month's end, against the even pace to the requirement."""
    last_month = 12 if year < today.year else (today.month if year == today.year else 0)
    cumulative, running = [], 0
    for m in range(12):
        running += monthly_seconds[m]
        cumulative.append(running / seconds_per_hour / members if members else 0.0)
    actual = cumulative[:last_month]
    top = nice_max(max([*actual, required_hours, 1.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / 12

    def x(month: int) -> float:  # month 0 = 1 January, 12 = 31 December
        return LEFT + step * month

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * (v / top)

    desc = "；".join(f"{i + 1}月底 人均 {_fmt(v)} 学时" for i, v in enumerate(actual)) or "本年度尚无数据"
    out = _frame("progress", "progress", title,
                 f"{desc}。虚线为按 {_fmt(required_hours)} 学时均匀推进的进度。")
    _grid(out, top, y, "人均学时")
    for m in range(12):
        out.append(f'<text class="axis" x="{x(m + 1):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{m + 1}月</text>')
    out.append(
        f'<line class="target" x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(12):.1f}" y2="{y(required_hours):.1f}"/>'
    )
    if actual:
        points = " ".join(f"{x(m + 1):.1f},{y(v):.1f}" for m, v in enumerate(actual))
        out.append(f'<polyline class="actual" points="{x(0):.1f},{y(0):.1f} {points}"/>')
        for m, v in enumerate(actual):
            out.append(
                f'<circle class="dot" cx="{x(m + 1):.1f}" cy="{y(v):.1f}" r="3">'
                f'<title>{m + 1}月底 人均 {_fmt(v)} 学时</title></circle>'
            )
        out.append(
            f'<text class="value" x="{x(len(actual)):.1f}" y="{y(actual[-1]) - 8:.1f}" '
            f'text-anchor="middle">{_fmt(actual[-1])}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
