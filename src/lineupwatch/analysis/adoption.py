"""Adoption that means something: a size-normalized score per entry, in the spirit of ATOM's RAM.

Pure. An entry's cumulative downloads N days after its release (the sum of `downloadsAllTime` over
its repos, copies included, at the last poll on or shortly before that day) divided by the same
figure of the `adoption_rank`-th best entry of the same size class at the same day, among every
watched entry the project's own poll history can measure there. 1.0 means "as adopted as the
10th-best small model was at that age"; above it, among the leaders. A figure needs a poll within
`max(1, N // 7)` days before the day, so it exists only from the project's own history: none for
ages the polls did not see.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta

from .entries import Entry


def downloads_at(entry: Entry, day: date, series: dict[str, tuple[list[str], list[int]]],
                 poll_days: list[str], tolerance: int) -> int | None:
    """The entry's all-time downloads at the last poll in [day - tolerance, day], or None."""
    at = bisect.bisect_right(poll_days, day.isoformat())
    if at == 0 or poll_days[at - 1] < (day - timedelta(days=tolerance)).isoformat():
        return None
    poll_day = poll_days[at - 1]
    total, seen = 0, False
    for repo_id in entry.repos:
        days, values = series.get(repo_id, ([], []))
        i = bisect.bisect_right(days, poll_day)
        if i:
            total, seen = total + values[i - 1], True
    return total if seen else None


def adoption_scores(entries: list[Entry], series: dict[str, tuple[list[str], list[int]]], poll_days: list[str],
                    ages: tuple[int, ...], rank: int, as_of: date, since: date) -> list[dict]:
    """Scores of the entries released since `since`, each against its size class's `rank`-th best."""
    rows = []
    measured: dict[int, dict[str, list[int]]] = {}
    for age in ages:
        by_class: dict[str, list[int]] = {}
        for entry in entries:
            day = entry.released + timedelta(days=age)
            value = downloads_at(entry, day, series, poll_days, max(1, age // 7)) if day <= as_of else None
            if value is not None and entry.size_class:
                by_class.setdefault(entry.size_class, []).append(value)
        measured[age] = {c: sorted(v, reverse=True) for c, v in by_class.items()}
    for entry in entries:
        if entry.released < since or not entry.counted:
            continue
        scores: dict[str, float | None] = {}
        for age in ages:
            day = entry.released + timedelta(days=age)
            value = downloads_at(entry, day, series, poll_days, max(1, age // 7)) if day <= as_of else None
            ranked = measured[age].get(entry.size_class or "", [])
            reference = ranked[min(rank, len(ranked)) - 1] if ranked else None
            scores[str(age)] = round(value / reference, 3) if value is not None and reference else None
        rows.append({"family": entry.family, "entry": entry.key, "size_class": entry.size_class,
                     "released": entry.released.isoformat(), "scores": scores,
                     "peers": {str(age): len(measured[age].get(entry.size_class or "", [])) for age in ages}})
    return rows
