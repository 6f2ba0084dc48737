"""A drawn chart, apart from the drawing code: a process that receives charts drawn by a worker
(a backfill, a weekly report) unpickles these without importing matplotlib."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    """One chart in both forms: SVG text to inline in HTML, PNG bytes for Markdown."""
    name: str
    svg: str
    png: bytes
