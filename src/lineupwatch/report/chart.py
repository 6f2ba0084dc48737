"""A drawn chart, apart from the drawing code: a process that receives charts drawn by a worker
(a backfill, a weekly report) unpickles these without importing matplotlib."""

from __future__ import annotations

from dataclasses import dataclass

# Every report's charts, in order; a chart's PNG is `<week>-<name>.png`, so Markdown can link them
# before they are drawn.
CHART_NAMES = ("releases", "adoption", "ecosystem", "resilience")


@dataclass(frozen=True)
class Chart:
    """One chart in both forms: SVG text to inline in HTML, PNG bytes for Markdown."""
    name: str
    svg: str
    png: bytes
