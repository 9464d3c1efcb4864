"""Bar charts as plain geometry for an inline SVG: the console has no internet (no chart library from a CDN)
and its CSP allows no inline script, so the server computes the bars and the template draws rectangles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    empty: bool  # no data for this bar (drawn as a gap, not as zero)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar]
    gridlines: list[tuple[float, str]]  # (y, label)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    max_value: float | None = None,
    percent: bool = False,
    width: int = 720,
    height: int = 220,
) -> BarChart:
    """Bars scaled to ``max_value`` (or the largest value); ``None`` values leave an empty slot."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    top, bottom, left, right = 16, height - 36, 40, 8
    known = [v for v in values if v is not None]
    scale = max_value if max_value is not None else max(known, default=0.0)
    scale = scale if scale > 0 else 1.0
    slot = (width - left - right) / max(1, len(values))
    bar_width = max(2.0, slot * 0.7)
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * slot + (slot - bar_width) / 2
        if value is None:
            bars.append(Bar(round(x, 1), bottom, round(bar_width, 1), 0, label, "–", True))
            continue
        bar_height = (bottom - top) * min(value, scale) / scale
        text = f"{value * 100:.0f}%" if percent else f"{value:g}"
        bars.append(
            Bar(
                round(x, 1),
                round(bottom - bar_height, 1),
                round(bar_width, 1),
                round(bar_height, 1),
                label,
                text,
                False,
            )
        )
    gridlines = []
    for fraction in (0.0, 0.5, 1.0):
        y = bottom - (bottom - top) * fraction
        amount = scale * fraction
        gridlines.append((round(y, 1), f"{amount * 100:.0f}%" if percent else f"{amount:g}"))
    return BarChart(width, height, top, bottom, bars, gridlines)
