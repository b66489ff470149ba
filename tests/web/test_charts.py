"""The sync-history chart: one bar per finished run and figure, scaled to the largest,
labels escaped, nothing for a history without a finished run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from bigsync.sync.history import RunView
from bigsync.web.charts import SERIES, history_chart

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted input


def _run(number: int, *, seconds: float | None, records: int, status: str = "ok") -> RunView:
    return RunView(
        id=number,
        number=number,
        mode="incremental",
        status=status,
        records=records,
        records_read=records * 2,
        requests=records // 10,
        rate_limited=0,
        waited_s=1.5 if number == 2 else 0.0,
        error=None,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=seconds) if seconds is not None else None,
        updated_at=None,
        streams=(),
    )


def test_one_bar_per_finished_run_and_figure_scaled_to_the_largest() -> None:
    runs = [  # newest first, as the history gives them
        _run(3, seconds=None, records=0, status="running"),
        _run(2, seconds=20.0, records=500, status="failed"),
        _run(1, seconds=10.0, records=1000),
    ]
    root = _parse(history_chart(runs))
    groups = root.findall(f"{SVG}g")
    assert len(groups) == len(SERIES)
    heights = {
        g.get("class"): [float(r.get("height") or 0) for r in g.findall(f"{SVG}rect")]
        for g in groups
    }
    duration = heights["series duration"]
    assert len(duration) == 2  # the running run has no bar yet
    assert duration[1] == 2 * duration[0]  # oldest first: 10 s then 20 s
    records = heights["series records"]
    assert records[0] == 2 * records[1]
    assert heights["series waits"][0] == 0.0
    assert heights["series waits"][1] > 0
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "#2 incremental failed: 20.0 s" in tips


def test_no_finished_run_draws_nothing() -> None:
    assert history_chart([]) == ""
    assert history_chart([_run(1, seconds=None, records=0, status="running")]) == ""


def test_labels_are_escaped() -> None:
    run = _run(1, seconds=1.0, records=1, status='<script>"x"')
    svg = history_chart([run])
    assert "<script>" not in svg
    _parse(svg)
