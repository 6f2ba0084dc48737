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


def poll_day_at(day: date, poll_days: list[str], tolerance: int) -> str | None:
    """The last poll day in [day - tolerance, day], or None: an older figure says nothing of that age."""
    at = bisect.bisect_right(poll_days, day.isoformat())
    if at == 0 or poll_days[at - 1] < (day - timedelta(days=tolerance)).isoformat():
        return None
    return poll_days[at - 1]


def _poll_days_of(released: date, ages: tuple[int, ...], poll_days: list[str], as_of: date) -> list[str | None]:
    """The poll day each age of an entry released that day is measured at (None: not measurable
    as of the day)."""
    return [poll_day_at(released + timedelta(days=age), poll_days, max(1, age // 7))
            if released + timedelta(days=age) <= as_of else None for age in ages]


def _poll_days_by_release(entries: list[Entry], ages: tuple[int, ...], poll_days: list[str],
                          as_of: date) -> dict[date, list[str | None]]:
    """_poll_days_of per release day: a dozen entries share one on a busy Hub."""
    return {day: _poll_days_of(day, ages, poll_days, as_of) for day in {e.released for e in entries}}


def wanted_downloads(entries: list[Entry], poll_days: list[str], ages: tuple[int, ...],
                     as_of: date) -> dict[str, set[str]]:
    """{poll day: repo ids}: the only figures the scores read, so that the caller reads a few
    polls' counters instead of every repo's whole series."""
    wanted: dict[str, set[str]] = {}
    days_of = _poll_days_by_release(entries, ages, poll_days, as_of)
    for entry in entries:
        for poll_day in days_of[entry.released]:
            if poll_day is not None:
                wanted.setdefault(poll_day, set()).update(entry.repos)
    return wanted


def downloads_at(entry: Entry, poll_day: str | None, downloads: dict[str, dict[str, int]]) -> int | None:
    """The entry's all-time downloads (its repos summed) at a poll day, or None if none was seen."""
    seen = downloads.get(poll_day or "", {})
    figures = [seen[repo_id] for repo_id in entry.repos if repo_id in seen]
    return sum(figures) if figures else None


def adoption_scores(entries: list[Entry], downloads: dict[str, dict[str, int]], poll_days: list[str],
                    ages: tuple[int, ...], rank: int, as_of: date, since: date) -> list[dict]:
    """Scores of the entries released since `since`, each against its size class's `rank`-th best.
    `downloads`: {poll day: {repo id: all-time downloads}}, at least the figures `wanted_downloads` names."""
    days_of = _poll_days_by_release(entries, ages, poll_days, as_of)
    values = [[downloads_at(entry, poll_day, downloads) for poll_day in days_of[entry.released]] for entry in entries]
    measured: dict[int, dict[str, list[int]]] = {}
    for i, age in enumerate(ages):
        by_class: dict[str, list[int]] = {}
        for entry, figures in zip(entries, values):
            if (value := figures[i]) is not None and entry.size_class:
                by_class.setdefault(entry.size_class, []).append(value)
        measured[age] = {c: sorted(v, reverse=True) for c, v in by_class.items()}
    rows = []
    for entry, figures in zip(entries, values):
        if entry.released < since or not entry.counted:
            continue
        scores: dict[str, float | None] = {}
        for age, value in zip(ages, figures):
            ranked = measured[age].get(entry.size_class or "", [])
            reference = ranked[min(rank, len(ranked)) - 1] if ranked else None
            scores[str(age)] = round(value / reference, 3) if value is not None and reference else None
        rows.append({"family": entry.family, "entry": entry.key, "size_class": entry.size_class,
                     "released": entry.released.isoformat(), "scores": scores,
                     "peers": {str(age): len(measured[age].get(entry.size_class or "", [])) for age in ages}})
    return rows
