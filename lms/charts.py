"""What the server-rendered SVG charts (hours' month chart, the reports' charts) share."""

from __future__ import annotations


def nice_max(value: float) -> int:
    """The top of a chart's axis: the first round number at or above `value`."""
    for step in (1, 2, 4, 5, 8, 10, 16, 20, 32, 40, 50, 100):
        if value <= step:
            return step
    return int(value) + 1
