"""Small server-side SVG charts of a connection's sync history: one row of bars per figure
(duration, rows changed, requests, rate-limit waits), oldest run on the left. Pure: runs
in, SVG text out (every label escaped), no script, no external file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from bigsync.sync.history import RunView

WIDTH = 640
ROW_HEIGHT = 46
LABEL_WIDTH = 150
BAR_GAP = 2
BAR_MAX = 36  # a short history keeps thin bars, on the left


@dataclass(frozen=True)
class Series:
    """One figure of each run, and how its values are written."""

    title: str
    value: Callable[[RunView], float]
    unit: Callable[[float], str]
    css: str


def _seconds(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def _count(value: float) -> str:
    return f"{int(value):,}"


SERIES: tuple[Series, ...] = (
    Series("Duration", lambda r: r.duration_s or 0.0, _seconds, "duration"),
    Series("Rows changed", lambda r: float(r.records), _count, "records"),
    Series("Requests", lambda r: float(r.requests), _count, "requests"),
    Series("Rate-limit waits", lambda r: r.waited_s, _seconds, "waits"),
)


def history_chart(runs: Sequence[RunView], *, series: Sequence[Series] = SERIES) -> str:
    """An SVG of `runs` (given newest first, as the history lists them); empty text when
    there is no finished run."""
    done = [r for r in reversed(runs) if r.finished_at is not None]
    if not done:
        return ""
    height = ROW_HEIGHT * len(series) + 18
    slot = min((WIDTH - LABEL_WIDTH) / len(done), BAR_MAX + BAR_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="history-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-label="Sync history: {len(done)} runs">'
    ]
    for row, line in enumerate(series):
        parts.extend(_row(done, line, top=row * ROW_HEIGHT, slot=slot))
    first, last = done[0].number, done[-1].number
    right = LABEL_WIDTH + slot * len(done)
    parts.append(f'<text x="{LABEL_WIDTH}" y="{height - 4}" class="axis">#{first}</text>')
    if last != first:
        parts.append(
            f'<text x="{right:.1f}" y="{height - 4}" class="axis" text-anchor="end">#{last}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _row(runs: Sequence[RunView], line: Series, *, top: float, slot: float) -> list[str]:
    values = [max(0.0, line.value(r)) for r in runs]
    peak = max(values)
    bar_area = ROW_HEIGHT - 14
    parts = [
        f'<g class="series {line.css}">',
        f'<text x="0" y="{top + 16}" class="label">{escape(line.title)}</text>',
        f'<text x="0" y="{top + 32}" class="peak">max {escape(line.unit(peak))}</text>',
        f'<line x1="{LABEL_WIDTH}" x2="{WIDTH}" y1="{top + bar_area + 2}" '
        f'y2="{top + bar_area + 2}" class="base"/>',
    ]
    for i, (run, value) in enumerate(zip(runs, values, strict=True)):
        h = (value / peak * bar_area) if peak else 0.0
        h = max(h, 1.0) if value else 0.0
        x = LABEL_WIDTH + i * slot + BAR_GAP / 2
        w = max(1.0, slot - BAR_GAP)
        tip = f"#{run.number} {run.mode} {run.status}: {line.unit(value)}"
        parts.append(
            f'<rect x="{x:.1f}" y="{top + bar_area + 2 - h:.1f}" width="{w:.1f}" '
            f'height="{h:.1f}" class="bar {escape(run.status)}"><title>{escape(tip)}</title></rect>'
        )
    parts.append("</g>")
    return parts
