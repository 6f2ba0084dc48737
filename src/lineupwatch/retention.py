"""Retention for the long run: thin old counter columns, then give the space back to the disk.

Only the volatile counters (downloads, likes) of old polls are ever thinned: every poll's
counters for `storage.counters_daily_days` days back from the newest poll, then the last poll of
each ISO week (or month), plus the very first poll. Never thinned, because a forecast or an
adoption figure reads them: the repos docs of every poll (so `rebuild` still re-derives every
table exactly), child-model counts, metadata observations, events, and the counters of the
newest polls. The adoption trend samples the polls whose counters are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from .config import StorageSettings

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
    """Drop the counter columns retention does not keep; returns how many polls lost them."""
    polls = db.execute(
        "SELECT id, started_at FROM polls WHERE status = 'ok' AND id IN "
        "(SELECT poll_id FROM raw_listings WHERE counters IS NOT NULL) ORDER BY id").fetchall()
    thinned = polls_to_thin(polls, settings.counters_daily_days, settings.counters_keep_every)
    with db.atomic():
        db.conn.executemany("UPDATE raw_listings SET counters = NULL WHERE poll_id = ?", [(p,) for p in thinned])
    return len(thinned)


def vacuum(db: Database, path: Path, settings: StorageSettings) -> VacuumResult:
    """Thin, then rewrite the file without its free pages (needs as much free disk as the file)."""
    before = _size(db, path)
    thinned = thin_counters(db, settings)
    db.execute("VACUUM")
    return VacuumResult(thinned, before, _size(db, path))


def _size(db: Database, path: Path) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size
