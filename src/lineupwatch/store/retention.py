"""Retention for the long run: thin old counter columns, then give the space back to the disk.

Only the volatile counters (downloads, likes) of old polls are ever thinned: every poll's
counters for `storage.counters_daily_days` days back from the newest poll, then the last poll of
each ISO week (or month), plus the very first poll. Never thinned, because a forecast, an
adoption figure or `rebuild` reads them: the repo docs of every poll, child-model counts,
metadata observations, events, the counters of the newest polls, and each repo's last listed
counters (a removed repo's final figures). The adoption trend samples the polls whose counters
are all kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from ..config.settings import StorageSettings

PERIODS = ("week", "month")


@dataclass(frozen=True)
class VacuumResult:
    thinned_polls: int
    bytes_before: int
    bytes_after: int


def polls_to_thin(polls: list[tuple[int, str]], daily_days: int, keep_every: str) -> list[int]:
    """Pure: of (poll id, started_at) with counters, oldest first, the ids whose counters go."""
    if daily_days <= 0 or not polls:
        return []
    newest = date.fromisoformat(polls[-1][1][:10])
    last_of_period: dict[tuple[int, int], int] = {}
    for poll_id, started in polls:
        day = date.fromisoformat(started[:10])
        period = day.isocalendar()[:2] if keep_every == "week" else (day.year, day.month)
        last_of_period[period] = poll_id  # polls come oldest first: the last one wins
    keep = {polls[0][0], *last_of_period.values()}
    return [poll_id for poll_id, started in polls
            if (newest - date.fromisoformat(started[:10])).days > daily_days and poll_id not in keep]


def thin_counters(db: Database, settings: StorageSettings) -> int:
    """Drop the counter columns retention does not keep; returns how many polls lost them.

    A listing that was the last to list some repo keeps its counters (that repo's row in `repos`
    holds them, and `rebuild` must find them again): only that org's listing of that poll."""
    polls = db.execute(
        "SELECT id, started_at FROM polls WHERE status = 'ok' AND id IN "
        "(SELECT poll_id FROM raw_listings WHERE counters IS NOT NULL) ORDER BY id").fetchall()
    thinned = polls_to_thin(polls, settings.counters_daily_days, settings.counters_keep_every)
    changed = 0
    with db.atomic():
        for poll_id in thinned:
            changed += db.execute(
                "UPDATE raw_listings SET counters = NULL WHERE poll_id = ? AND counters IS NOT NULL AND lower(org) "
                "NOT IN (SELECT lower(org) FROM repos WHERE last_seen_poll = raw_listings.poll_id)", [poll_id]).rowcount > 0
    return changed


def vacuum(db: Database, path: Path, settings: StorageSettings) -> VacuumResult:
    """Thin, then rewrite the file without its free pages (needs as much free disk as the file)."""
    before = _size(db, path)
    thinned = thin_counters(db, settings)
    db.execute("VACUUM")
    return VacuumResult(thinned, before, _size(db, path))


def _size(db: Database, path: Path) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size
