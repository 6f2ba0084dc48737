"""Who still covers each size class, how a family's releases spread over time, and its lineups."""

from __future__ import annotations

from datetime import date, timedelta

from ..config.settings import SIZE_CLASS_NAMES
from ..normalize.lines import LINE_LABELS
from .entries import Entry, family_entries


def coverage_matrix(entries: list[Entry], families: list[str], as_of: date, window_days: int) -> dict:
    """For each family and size class, its newest counted entry released within the window,
    preferring the family's own models (not built on another family's base), then one the facts
    are sure of. A cell filled only by uncertain entries says so; one filled only by models built
    on another family's base says so too ("on Qwen3-8B" in its text, `built_on` in its cell)."""
    since = as_of - timedelta(days=window_days)
    matrix: dict[str, dict[str, str]] = {}
    cells: dict[str, dict[str, dict]] = {}
    for family in families:
        newest: dict[str, Entry] = {}
        for entry in family_entries(entries, family):  # oldest first: the last one kept is the newest
            if entry.released >= since and entry.size_class:
                kept = newest.get(entry.size_class)
                if kept is None or _rank(entry) <= _rank(kept):
                    newest[entry.size_class] = entry
        matrix[family] = {c: newest[c].label + (" (uncertain)" if newest[c].shaky else "")
                          for c in SIZE_CLASS_NAMES if c in newest}
        cells[family] = {c: {"entry": newest[c].key, "released": newest[c].released.isoformat(),
                             "uncertain": list(newest[c].doubts) if newest[c].shaky else [],
                             "built_on": newest[c].built_on}
                         for c in SIZE_CLASS_NAMES if c in newest}
    return {"window_days": window_days, "size_classes": list(SIZE_CLASS_NAMES), "families": matrix, "cells": cells}


def _rank(entry: Entry) -> tuple[bool, bool]:
    """Lower is preferred: the family's own model first, then one the facts are sure of."""
    return entry.built_on is not None, entry.shaky


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarterly_counts(entries: list[Entry], family: str, as_of: date, baseline: date) -> dict:
    """Counted entries per quarter by size class, from the family's first quarter to as_of's."""
    counted = family_entries(entries, family)
    quarters: list[str] = []
    if counted:
        year, quarter = counted[0].released.year, (counted[0].released.month - 1) // 3
        while (year, quarter) <= (as_of.year, (as_of.month - 1) // 3):
            quarters.append(f"{year}Q{quarter + 1}")
            year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    counts = {c: [0] * len(quarters) for c in SIZE_CLASS_NAMES}
    index = {q: i for i, q in enumerate(quarters)}
    for entry in counted:
        if entry.size_class:
            counts[entry.size_class][index[quarter_of(entry.released)]] += 1
    return {"family": family, "size_classes": list(SIZE_CLASS_NAMES), "quarters": quarters, "counts": counts,
            "baseline_quarter": quarter_of(baseline)}


def lineup(entries: list[Entry], family: str, baseline: date) -> dict:
    """The family's last generation before the baseline beside every generation after it."""
    counted = family_entries(entries, family)
    before = [e for e in counted if e.released < baseline]
    baseline_generation = before[-1].generation if before else None
    since: dict[str, list[dict]] = {}
    for entry in counted:
        if entry.released >= baseline:
            since.setdefault(entry.generation or entry.key, []).append(_size_point(entry))
    return {"family": family, "baseline_generation": baseline_generation,
            "baseline": [_size_point(e) for e in before if e.generation == baseline_generation],
            "since": [{"generation": g, "entries": points} for g, points in since.items()]}


def _size_point(entry: Entry) -> dict:
    return {"entry": entry.key, "size_label": entry.size_label, "params_total_b": entry.params_total_b,
            "params_active_b": entry.params_active_b, "size_class": entry.size_class,
            "released": entry.released.isoformat(), "line": LINE_LABELS.get(entry.line, entry.line),
            "built_on": entry.built_on}
